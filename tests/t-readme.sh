#!/bin/bash
# t-readme.sh - the README's "Run it for real" block, run as it stands
# (between <!-- readme-test:begin --> and <!-- readme-test:end -->), so the
# README cannot drift from what works: make install into a scratch PREFIX,
# the rounds user, init, a community and a member, the Postfix lines of
# `community create` in a private Postfix (MAIL_CONFIG), `rounds mta check`,
# a test message through that Postfix, and the scheduler's timer (systemctl
# is a recorder here: the test machine runs no systemd; the installed
# service's ExecStart is then run as its User=).  Only the variables the
# block itself reads are set; no command of it is changed.
. tests/lib.sh
command -v postfix >/dev/null && command -v runuser >/dev/null || { not_ok "postfix and runuser installed"; t_done; }

block=$T_TMP/block.sh
sed -n '/^<!-- readme-test:begin -->$/,/^<!-- readme-test:end -->$/p' README.md |
	sed -e '1,/^```sh$/d' -e '/^```$/,$d' >"$block"
[ "$(wc -l <"$block")" -gt 20 ] && ok "the README has a marked setup block" ||
	{ not_ok "the README has a marked setup block" "$(head -3 "$block")"; t_done; }

# The rounds user reaches the scratch tree; it is removed again only if
# this test created it.
chmod 755 "$T_TMP"
had_user=1
id rounds >/dev/null 2>&1 || had_user=0
PF=$T_TMP/postfix
mkdir -p "$T_TMP/units" "$T_TMP/stub"
PORT=$(free_port)
pf_conf "$PF" "$PORT"
postconf -c "$PF/conf" -F '*/*/chroot = n' >/dev/null
# ASan (when the installed binary is one) reads these in the pipe's environment.
postconf -c "$PF/conf" -e "export_environment = TZ MAIL_CONFIG LANG ASAN_OPTIONS UBSAN_OPTIONS" \
	"import_environment = MAIL_CONFIG MAIL_DEBUG MAIL_LOGTAG TZ LANG ASAN_OPTIONS=$ASAN_OPTIONS UBSAN_OPTIONS=$UBSAN_OPTIONS"
pf_stop() { postfix -c "$PF/conf" stop >/dev/null 2>&1 || true; }
user_drop() { [ "$had_user" = 1 ] || userdel rounds >/dev/null 2>&1 || true; }
t_on_exit pf_stop
t_on_exit user_drop
cat >"$T_TMP/stub/systemctl" <<'STUB'
#!/bin/sh
echo "$*" >>"$SYSTEMCTL_LOG"
STUB
chmod 755 "$T_TMP/stub/systemctl"

export PREFIX=$T_TMP/prefix ROUNDS_HOME=$T_TMP/var/rounds DOMAIN=lists.readme.example.test UNITS=$T_TMP/units
export MAIL_CONFIG=$PF/conf SYSTEMCTL_LOG=$T_TMP/systemctl.log
mkdir -p "$T_TMP/var"
(
	export PATH=$PREFIX/bin:$T_TMP/stub:$PATH
	cd "$TOP" && timeout 120 sh -e "$block"
) >"$T_TMP/block.out" 2>&1
rc=$?
if [ "$rc" = 0 ]; then ok "the README block runs as it stands"; else
	not_ok "the README block runs as it stands" "exit $rc" "$(tail -8 "$T_TMP/block.out")" "$(tail -3 "$PF/maillog" 2>/dev/null)"
fi

inst=$PREFIX/bin/rounds
as_rounds() { runuser -u rounds -- "$inst" --home "$ROUNDS_HOME" "$@"; }
[ -x "$inst" ] && [ -f "$PREFIX/share/rounds/templates/digest.txt.mustache" ] &&
	ok "make install put rounds and its templates under PREFIX" || not_ok "make install put rounds and its templates under PREFIX"
owners=$(stat -c %U "$ROUNDS_HOME" "$ROUNDS_HOME/rounds.conf" "$ROUNDS_HOME/secret" "$ROUNDS_HOME/rounds.db" 2>&1 | sort -u | tr '\n' ' ')
expect_eq "the installation belongs to the rounds user" "$owners" "rounds "

# The Postfix configuration holds exactly the lines `community create` printed.
sed -n '/^Add to the postfix configuration:/,/^# Then:/p' "$T_TMP/block.out" | grep -v '^#\|^Add to\|^$' >"$T_TMP/lines"
[ "$(wc -l <"$T_TMP/lines")" -ge 7 ] && ok "community create printed the MTA lines" || not_ok "community create printed the MTA lines" "$(cat "$T_TMP/block.out" | head -20)"
missing=""
while IFS= read -r l; do
	case "$l" in
	*" = "*) [ "$(postconf -c "$PF/conf" -n "${l%% = *}")" = "$l" ] || missing="$missing|main.cf: $l" ;;
	*"	rounds:") grep -qxF "$l" "$PF/conf/transport" || missing="$missing|transport: $l" ;;
	*) grep -qxF "$l" "$PF/conf/master.cf" || missing="$missing|master.cf: $l" ;;
	esac
done <"$T_TMP/lines"
expect_eq "Postfix has the printed lines verbatim" "$missing" ""
expect_code 0 "rounds mta check passes" as_rounds mta check
grep -q "relay=rounds.*status=sent" "$PF/maillog" && ok "the test message went through the pipe as the rounds user" ||
	not_ok "the test message went through the pipe as the rounds user" "$(grep -i 'status=' "$PF/maillog" | tail -3)"
# Run as root in the rounds user's directory, init refuses and says how.
expect_code 77 "init as root in the rounds user's directory refuses" "$inst" --home "$ROUNDS_HOME" init --domain "$DOMAIN"
grep -q "runuser -u rounds -- rounds --home $ROUNDS_HOME init" "$T_TMP/err" && ok "and prints the runuser line" ||
	not_ok "and prints the runuser line" "$(cat "$T_TMP/err")"

# The timer: its units installed with this PREFIX and home, enabled, and
# the service's command works as the service's user.
grep -qx "enable --now rounds-tick.timer" "$SYSTEMCTL_LOG" 2>/dev/null && ok "the timer is enabled" || not_ok "the timer is enabled"
exec_start=$(sed -n 's/^ExecStart=//p' "$UNITS/rounds-tick.service")
unit_user=$(sed -n 's/^User=//p' "$UNITS/rounds-tick.service")
case "$exec_start" in "$inst tick"*) ok "the service runs the installed rounds" ;; *) not_ok "the service runs the installed rounds" "$exec_start" ;; esac
expect_code 0 "the service's command runs as its user" \
	runuser -u "$unit_user" -- env "$(sed -n 's/^Environment=//p' "$UNITS/rounds-tick.service")" $exec_start
[ -f "$UNITS/rounds-tick.timer" ] && ok "the timer unit is installed" || not_ok "the timer unit is installed"
t_done
