#!/bin/bash
# t-lmtp-postfix.sh - end to end through a real Postfix and rounds lmtp:
# mail over SMTP (swaks) reaches the store through Postfix's lmtp client
# (transport lmtp:unix:, mta-hooks/postfix/transport.lmtp as shipped), one
# message to several communities gets one answer per recipient, and a
# temporary failure is answered 451, deferred by Postfix and retried until
# it lands, once.
. tests/lib.sh
R=$ROUNDS
command -v postfix >/dev/null && command -v swaks >/dev/null || { not_ok "postfix and swaks installed"; t_done; }

# rounds lmtp runs as its own user, never root; Postfix's lmtp client (user
# postfix) reaches the socket through a directory of group postfix whose
# setgid bit gives the socket that group (mta-hooks/postfix/README).
id rounds >/dev/null 2>&1 || useradd --system --no-create-home --shell /usr/sbin/nologin rounds
chmod o+x "$T_TMP"
PF=$T_TMP/postfix
home=$T_TMP/rounds-home
sockdir=$T_TMP/run
SOCK=$sockdir/lmtp
mkdir -p "$home" "$sockdir"
chown rounds "$home"
chown rounds:postfix "$sockdir"
chmod 2750 "$sockdir"
as_rounds() { runuser -u rounds -- env ROUNDS_HOME="$home" ASAN_OPTIONS="$ASAN_OPTIONS" UBSAN_OPTIONS="$UBSAN_OPTIONS" "$R" "$@"; }
as_rounds init --domain lists.example.test >/dev/null
as_rounds community create care --policy open --quiet >/dev/null
as_rounds community create wound --policy open --quiet >/dev/null

PORT=$(free_port)
pf_conf "$PF" "$PORT" alice
# The shipped hooks, as they are, with this machine's paths and domain.
hooks() { sed -e "s|/run/rounds/lmtp|$SOCK|g" -e "s|lists.example.org|lists.example.test|g" "$1"; }
hooks mta-hooks/postfix/main.cf.snippet >>"$PF/conf/main.cf"
hooks mta-hooks/postfix/transport.lmtp >"$PF/conf/transport"
postconf -c "$PF/conf" -F '*/*/chroot = n' >/dev/null
postmap -c "$PF/conf" "hash:$PF/conf/transport"
pf_listening() { python3 -c "import socket; socket.create_connection(('127.0.0.1', $PORT), 0.2)" 2>/dev/null; }
pf_down() { ! postfix -c "$PF/conf" status >/dev/null 2>&1 && ! pf_listening; }
pf_start() { postfix -c "$PF/conf" start >/dev/null 2>&1; wait_for pf_listening; }
pf_stop() { postfix -c "$PF/conf" stop >/dev/null 2>&1; wait_for pf_down; }
t_on_exit pf_stop

can_connect() { python3 -c 'import socket,sys; s=socket.socket(socket.AF_UNIX); s.connect(sys.argv[1])' "$SOCK" 2>/dev/null; }
# setpriv execs (runuser would stay as the parent and die of the signal).
setpriv --reuid="$(id -u rounds)" --regid="$(id -g rounds)" --clear-groups \
	env ROUNDS_HOME="$home" ASAN_OPTIONS="$ASAN_OPTIONS" UBSAN_OPTIONS="$UBSAN_OPTIONS" \
	"$R" lmtp --socket "$SOCK" --mode 0660 2>"$T_TMP/lmtp.err" &
LMTP_PID=$!
lmtp_stop() { [ -n "${LMTP_PID:-}" ] && kill "$LMTP_PID" 2>/dev/null && wait "$LMTP_PID"; LMTP_PID=; return 0; }
t_on_exit lmtp_stop
if wait_for can_connect; then ok "rounds lmtp listens, as user rounds"; else not_ok "rounds lmtp listens, as user rounds" "$(cat "$T_TMP/lmtp.err")"; t_done; fi
expect_eq "... on a socket of group postfix, mode 0660" "$(stat -c '%G %a' "$SOCK")" "postfix 660"
if pf_start; then ok "private Postfix starts"; else not_ok "private Postfix starts" "$(tail -5 "$PF/maillog" 2>/dev/null)"; t_done; fi

rows() { as_rounds message list "$1" --json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))'; }
has_rows() { [ "$(rows "$1")" = "$2" ]; }
pf_queue_empty() { postqueue -c "$PF/conf" -p 2>/dev/null | grep -q 'Mail queue is empty'; }
logged() { grep -q "$1" "$PF/maillog" 2>/dev/null; }

# One message to two communities and an unknown one: Postfix hands all
# three to one LMTP transaction and gets an answer for each.
swaks --server "127.0.0.1:$PORT" --from alice@readers.example.test \
	--to care@lists.example.test,wound@lists.example.test,nosuch@lists.example.test \
	--h-Subject "Night shift handover" --h-Message-Id "<handover1@readers.example.test>" \
	--body "Who takes the 2am wound check on ward 4?" >/dev/null 2>&1
if wait_for has_rows care 1 && wait_for has_rows wound 1; then ok "Postfix -> LMTP -> store, for two communities in one message"; else not_ok "Postfix -> LMTP -> store, for two communities in one message" "$(grep -i 'lmtp\|status=' "$PF/maillog" | tail -5)"; fi
wait_for logged "to=<care@lists.example.test>.*relay=.*lmtp.*status=sent" && ok "... Postfix logs care as sent over LMTP" || not_ok "... Postfix logs care as sent over LMTP" "$(grep 'care@' "$PF/maillog" | tail -3)"
wait_for logged "to=<nosuch@lists.example.test>.*status=bounced.*5.1.1 There is no community" &&
	ok "... and bounces the unknown recipient with 5.1.1 and deliver's sentence" || not_ok "... and bounces the unknown recipient with 5.1.1 and deliver's sentence" "$(grep 'nosuch@' "$PF/maillog" | tail -3)"

# A fault of the database: 451, Postfix defers and keeps the message; once
# the fault is gone its retry stores it, once.
sqlite3 "$home/rounds.db" \
	"CREATE TRIGGER fault BEFORE INSERT ON messages BEGIN SELECT RAISE(ABORT, 'injected fault'); END;"
swaks --server "127.0.0.1:$PORT" --from alice@readers.example.test --to care@lists.example.test \
	--h-Subject "Dressings" --h-Message-Id "<dressings1@readers.example.test>" \
	--body "The foam dressings arrive on Monday." >/dev/null 2>&1
if wait_for logged "to=<care@lists.example.test>.*status=deferred.*451 4.3.0"; then ok "a database fault: 451 4.3.0, Postfix defers"; else not_ok "a database fault: 451 4.3.0, Postfix defers" "$(grep 'care@' "$PF/maillog" | tail -3)"; fi
expect_eq "... nothing stored meanwhile" "$(rows care)" 1
sqlite3 "$home/rounds.db" "DROP TRIGGER fault"
postqueue -c "$PF/conf" -f
if wait_for has_rows care 2; then ok "Postfix's retry lands once the fault is gone"; else not_ok "Postfix's retry lands once the fault is gone" "$(grep 'care@' "$PF/maillog" | tail -3)"; fi
wait_for pf_queue_empty || not_ok "Postfix's queue empties"
expect_eq "... once, no duplicate" "$(rows care)" 2

# rounds mta lines and check know the LMTP way.
as_rounds mta lines care --mta postfix --lmtp --lmtp-socket "$SOCK" >"$T_TMP/lines"
grep -q "^lists.example.test	lmtp:unix:$SOCK\$" "$T_TMP/lines" && ok "mta lines --lmtp prints the transport line" || not_ok "mta lines --lmtp prints the transport line" "$(cat "$T_TMP/lines")"
expect_code 0 "mta check passes for the LMTP way" as_rounds mta check --mta postfix --config-dir "$PF/conf"
postconf -c "$PF/conf" -F 'lmtp/unix/chroot = y' >/dev/null
expect_code 78 "mta check: a chrooted lmtp client cannot reach the socket" as_rounds mta check --mta postfix --config-dir "$PF/conf"
grep -q "runs chrooted" "$T_TMP/out" && ok "... and says so" || not_ok "... and says so" "$(cat "$T_TMP/out")"
postconf -c "$PF/conf" -F 'lmtp/unix/chroot = n' >/dev/null

kill "$LMTP_PID"
wait "$LMTP_PID"
expect_eq "rounds lmtp exits 0 on SIGTERM" "$?" 0
LMTP_PID=
expect_code 78 "mta check: nothing listens on the socket once rounds lmtp is gone" as_rounds mta check --mta postfix --config-dir "$PF/conf"
grep -q "nothing listens on $SOCK" "$T_TMP/out" && ok "... and says so" || not_ok "... and says so" "$(cat "$T_TMP/out")"
t_done
