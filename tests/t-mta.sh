#!/bin/bash
# t-mta.sh - rounds mta lines/check through the real binary, the Postfix
# snippets of mta-hooks/ as they are, contrib/ files and the man pages.
. tests/lib.sh

# The fixtures and snippets name lists.example.org and care.example.net.
ROUNDS_HOME=$(mktemp -d "$T_TMP/home.XXXXXX")
export ROUNDS_HOME
"$ROUNDS" init --domain lists.example.org >/dev/null
"$ROUNDS" community create care --owner owner@example.org >/dev/null
"$ROUNDS" community create wound-care@care.example.net >/dev/null

# --- rounds mta lines ---
expect_code 0 "mta lines for a community" "$ROUNDS" mta lines care --rounds-path /usr/local/bin/rounds
home_abs=$(cd "$ROUNDS_HOME" && pwd -P)
if grep -qxF "  flags=DRhu user=rounds argv=/usr/local/bin/rounds --home $home_abs deliver --recipient \${recipient} --sender \${sender}" "$T_TMP/out"; then
	ok "mta lines: the pipe service runs this installation"
else
	not_ok "mta lines: the pipe service runs this installation" "$(cat "$T_TMP/out")"
fi
expect_eq "mta lines: transport entry for the domain" \
	"$(grep -c "^lists.example.org	rounds:$" "$T_TMP/out")" 1
expect_eq "mta lines: delimiter from rounds.conf" \
	"$(grep -c '^recipient_delimiter = +$' "$T_TMP/out")" 1
expect_code 0 "mta lines --mta exim" "$ROUNDS" mta lines wound-care@care.example.net --mta exim
expect_eq "mta lines --mta exim names the other domain" \
	"$(grep -c '^  domains = care.example.net$' "$T_TMP/out")" 1
expect_code 0 "mta lines --mta opensmtpd" "$ROUNDS" mta lines care --mta opensmtpd
expect_eq "opensmtpd action runs as rounds" "$(grep -c "^action \"rounds\" mda .*%{rcpt}.* user rounds$" "$T_TMP/out")" 1
expect_code 0 "mta lines --mta sendmail" "$ROUNDS" mta lines care --mta sendmail
expect_eq "sendmail mailertable line" "$(grep -c "^lists.example.org	rounds:lists.example.org$" "$T_TMP/out")" 1
expect_code 66 "mta lines: unknown community" "$ROUNDS" mta lines nosuch
expect_code 64 "mta lines: no community" "$ROUNDS" mta lines
expect_code 64 "mta lines: unknown MTA" "$ROUNDS" mta lines care --mta qmail
expect_code 64 "mta: unknown subcommand" "$ROUNDS" mta frobnicate
expect_eq "usage error is one line" "$(wc -l <"$T_TMP/err")" 1
expect_code 0 "mta --help" "$ROUNDS" mta --help
expect_code 0 "mta check --help" "$ROUNDS" mta check --help

# --- rounds mta check on the fixtures ---
if command -v postconf >/dev/null 2>&1 || [ -x /usr/sbin/postconf ]; then
	expect_code 0 "mta check: good Postfix configuration" "$ROUNDS" mta check --config-dir tests/mta/postfix-good
	expect_eq "mta check: one line when all is routed" "$(cat "$T_TMP/out")" \
		"postfix: every address of 2 communities reaches rounds"
	expect_code 78 "mta check: broken Postfix configuration" "$ROUNDS" mta check --config-dir tests/mta/postfix-broken
	for want in "never as root" "rounds_destination_recipient_limit = 1" "recipient_delimiter is \"-\"" \
		"no address of wound-care@care.example.net" "Relay access denied" "--recipient \${recipient}"; do
		if grep -qF -- "$want" "$T_TMP/out"; then ok "mta check reports: $want"; else not_ok "mta check reports: $want" "$(cat "$T_TMP/out")"; fi
	done
	expect_code 78 "mta check --json on a broken configuration" "$ROUNDS" mta check --config-dir tests/mta/postfix-broken --json
	expect_eq "mta check --json: ok is false" "$(json 'd["ok"]' <"$T_TMP/out")" False
	expect_eq "mta check --json: problems listed" "$(json 'len(d["problems"]) >= 6' <"$T_TMP/out")" True
	expect_code 78 "mta check: no Postfix configuration there" "$ROUNDS" mta check --config-dir "$T_TMP/none"

	# The snippets of mta-hooks/postfix, appended verbatim to a stock Debian
	# configuration, route the community's domain (only lists.example.org:
	# the snippets name that one).
	pf="$T_TMP/postfix"
	mkdir -p "$pf"
	cp /usr/share/postfix/main.cf.debian "$pf/main.cf" 2>/dev/null || : >"$pf/main.cf"
	cat mta-hooks/postfix/main.cf.snippet >>"$pf/main.cf"
	cp /usr/share/postfix/master.cf.dist "$pf/master.cf" 2>/dev/null || : >"$pf/master.cf"
	cat mta-hooks/postfix/master.cf.snippet >>"$pf/master.cf"
	cp mta-hooks/postfix/transport "$pf/transport"
	postmap -c "$pf" "hash:$pf/transport" 2>"$T_TMP/postmap.err"
	expect_eq "postconf reads the snippets without warnings" \
		"$(postconf -c "$pf" -n 2>&1 >/dev/null)" ""
	solo=$(mktemp -d "$T_TMP/home.XXXXXX")
	ROUNDS_HOME=$solo "$ROUNDS" init --domain lists.example.org >/dev/null
	ROUNDS_HOME=$solo "$ROUNDS" community create care >/dev/null
	ROUNDS_HOME=$solo expect_code 0 "mta check: the Postfix snippets as shipped" "$ROUNDS" mta check --config-dir "$pf"
	# Without the compiled table the check says what to run.
	rm -f "$pf/transport.db"
	ROUNDS_HOME=$solo expect_code 78 "mta check: uncompiled transport table" "$ROUNDS" mta check --config-dir "$pf"
	expect_eq "mta check: says to run postmap" "$(grep -c "run postmap $pf/transport" "$T_TMP/out")" 1
else
	ok "# SKIP postconf is not installed"
fi

# The Exim files of mta-hooks/exim as they are, and the fixtures.
ex="$T_TMP/exim"
mkdir -p "$ex/conf.d/router" "$ex/conf.d/transport"
cp mta-hooks/exim/router "$ex/conf.d/router/150_rounds"
cp mta-hooks/exim/transport "$ex/conf.d/transport/30_rounds"
solo2=$(mktemp -d "$T_TMP/home.XXXXXX")
ROUNDS_HOME=$solo2 "$ROUNDS" init --domain lists.example.org >/dev/null
ROUNDS_HOME=$solo2 "$ROUNDS" community create care >/dev/null
ROUNDS_HOME=$solo2 expect_code 0 "mta check: the Exim files as shipped" "$ROUNDS" mta check --mta exim --config-dir "$ex"
osd="$T_TMP/opensmtpd"
mkdir -p "$osd"
cp mta-hooks/opensmtpd/smtpd.conf.snippet "$osd/smtpd.conf"
ROUNDS_HOME=$solo2 expect_code 0 "mta check: the OpenSMTPD lines as shipped" "$ROUNDS" mta check --mta opensmtpd --config-dir "$osd"
sm="$T_TMP/sendmail"
mkdir -p "$sm"
cp mta-hooks/sendmail/sendmail.mc.snippet "$sm/sendmail.mc"
cp mta-hooks/sendmail/mailertable mta-hooks/sendmail/relay-domains "$sm/"
ROUNDS_HOME=$solo2 expect_code 0 "mta check: the sendmail files as shipped" "$ROUNDS" mta check --mta sendmail --config-dir "$sm"
for m in exim opensmtpd sendmail; do
	expect_code 0 "mta check: good $m fixture" "$ROUNDS" mta check --mta $m --config-dir tests/mta/$m-good
	expect_code 78 "mta check: broken $m fixture" "$ROUNDS" mta check --mta $m --config-dir tests/mta/$m-broken
done

# --- every MTA folder documents user, delimiter and every exit code ---
for m in postfix exim opensmtpd sendmail forward; do
	f=mta-hooks/$m/README
	if [ ! -f "$f" ]; then not_ok "mta-hooks/$m/README exists"; continue; fi
	missing=""
	for w in rounds delimiter; do grep -qi "$w" "$f" || missing="$missing $w"; done
	if [ "$m" != forward ]; then
		for c in 0 64 65 67 69 75 77 78; do grep -qE "^ +$c +EX_" "$f" || missing="$missing exit-$c"; done
	fi
	if [ -z "$missing" ]; then ok "mta-hooks/$m/README covers user, delimiter, exit codes"; else not_ok "mta-hooks/$m/README covers user, delimiter, exit codes" "missing:$missing"; fi
done

# --- contrib/rounds.conf.example: every key the program reads, and it loads ---
# The keys are learnt by watching the binary: a preload shim logs each
# GKeyFile lookup while rounds loads the example and runs a scheduler pass
# (tick reads every setting: the installation's, [deliver], [digest],
# [smtp], [outbox] and [commands]).  No test reads src/.
# conf_missing EXAMPLE: the "[section]key" read by the program that EXAMPLE
# lacks (a key may be shown commented out, "#key = default").
conf_missing() {
	local missing="" section key
	while read -r section key; do
		[ -n "$section" ] || continue
		awk -v s="[$section]" -v k="$key" '
			/^\[/ { in_s = ($0 == s) }
			in_s && (index($0, k " = ") == 1 || index($0, "#" k " = ") == 1) { found = 1 }
			END { exit !found }' "$1" || missing="$missing [$section]$key"
	done <"$T_TMP/keys"
	echo "$missing"
}
if command -v cc >/dev/null 2>&1 && pkg-config --exists glib-2.0 2>/dev/null &&
	cc -shared -fPIC -o "$T_TMP/keyfile-log.so" tests/mta/keyfile-log.c \
		$(pkg-config --cflags glib-2.0) -ldl 2>"$T_TMP/cc.err"; then
	kf_home=$(mktemp -d "$T_TMP/home.XXXXXX")
	cp contrib/rounds.conf.example "$kf_home/rounds.conf"
	ROUNDS_HOME=$kf_home "$ROUNDS" init --domain lists.example.org >/dev/null 2>&1
	# An ASan build wants its runtime first; the shim only wraps GLib calls.
	KEYFILE_LOG=$T_TMP/keys.log LD_PRELOAD=$T_TMP/keyfile-log.so \
		ASAN_OPTIONS=$ASAN_OPTIONS:verify_asan_link_order=0 ROUNDS_HOME=$kf_home \
		expect_code 0 "tick with rounds.conf.example, every lookup logged" "$ROUNDS" tick
	sort -u "$T_TMP/keys.log" >"$T_TMP/keys" 2>/dev/null
	# The shim must have seen the settings of both readers (rounds.conf
	# itself and the scheduler), or the check below would pass on nothing.
	expect_eq "the shim sees the program read [rounds] domain and [outbox] retry" \
		"$(grep -cxE 'rounds domain|outbox retry' "$T_TMP/keys")" 2
	expect_eq "rounds.conf.example has every key the program reads" \
		"$(conf_missing contrib/rounds.conf.example)" ""
	# The check itself: an example without [outbox] batch is caught.
	sed '/^batch = /d' contrib/rounds.conf.example >"$T_TMP/example-less"
	expect_eq "an example that lacks a key the program reads is caught" \
		"$(conf_missing "$T_TMP/example-less")" " [outbox]batch"
else
	not_ok "build the GKeyFile lookup shim (cc, pkg-config glib-2.0)" "$(cat "$T_TMP/cc.err" 2>/dev/null)"
fi
ex_home=$(mktemp -d "$T_TMP/home.XXXXXX")
cp contrib/rounds.conf.example "$ex_home/rounds.conf"
ROUNDS_HOME=$ex_home "$ROUNDS" init --domain lists.example.org >/dev/null 2>&1
ROUNDS_HOME=$ex_home expect_code 0 "rounds.conf.example loads" "$ROUNDS" community list

# --- sysusers.d and tmpfiles.d create the user and a 0750 directory ---
if command -v systemd-sysusers >/dev/null 2>&1 && command -v systemd-tmpfiles >/dev/null 2>&1; then
	root="$T_TMP/root"
	mkdir -p "$root/etc"
	systemd-sysusers --root="$root" "$PWD/contrib/sysusers.d/rounds.conf" >/dev/null 2>&1
	expect_eq "sysusers.d creates the rounds user" \
		"$(cut -d: -f1,6,7 "$root/etc/passwd" | grep '^rounds:')" "rounds:/var/lib/rounds:/usr/sbin/nologin"
	systemd-tmpfiles --root="$root" --create "$PWD/contrib/tmpfiles.d/rounds.conf" >/dev/null 2>&1
	expect_eq "tmpfiles.d creates /var/lib/rounds mode 0750" "$(stat -c %a "$root/var/lib/rounds" 2>&1)" 750
else
	ok "# SKIP systemd-sysusers is not installed"
fi

# --- man pages: no groff warnings, an EXIT STATUS section ---
for page in contrib/man/rounds.1 contrib/man/rounds.conf.5; do
	if command -v groff >/dev/null 2>&1; then
		expect_eq "$page renders without warnings" "$(groff -man -Tutf8 -ww -z "$page" 2>&1)" ""
	fi
done
expect_eq "rounds.1 has an EXIT STATUS section" "$(grep -c '^\.SH EXIT STATUS' contrib/man/rounds.1)" 1
expect_eq "rounds.1 explains 75" "$(grep -c 'the MTA will retry' contrib/man/rounds.1)" 1
missing=""
for v in init community member deliver import fetch thread message digest tick run outbox mta template trim bounce; do
	grep -q "fBrounds $v" contrib/man/rounds.1 || missing="$missing $v"
done
expect_eq "rounds.1 documents every verb" "$missing" ""

t_done
