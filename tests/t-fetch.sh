#!/bin/bash
# t-fetch.sh - rounds fetch against a real Dovecot over IMAP and POP3 with
# TLS: routing by Delivered-To/To, policy, removal only after commit,
# certificate checks, kill -9 in the middle of a batch, and POP3 refusals
# reported once (UIDLs remembered).
. tests/lib.sh
. tests/dovecot.sh

D=tests/import
if ! dovecot_start; then
	not_ok "start a private Dovecot" "$(tail -5 "${DOVECOT_DIR:-/nonexistent}/dovecot.log" 2>&1)"
	t_done
fi
ok "start a private Dovecot"
t_home
"$ROUNDS" community create wound-care --owner owner@example.org >/dev/null
"$ROUNDS" member add wound-care maria.gonzalez@stlukes-clinic.example.org ahmed.k@northgate-health.example.net >/dev/null
PW=$DOVECOT_PASSWORD_FILE
IMAPS="imaps://$DOVECOT_USER@127.0.0.1:$DOVECOT_IMAPS/INBOX"
ids() { "$ROUNDS" message list wound-care --json | json '" ".join(sorted(m["message_id"] for m in d))'; }
status_of() { "$ROUNDS" message show wound-care "$1" --json 2>/dev/null | json 'd["status"]' 2>/dev/null; }

# Certificates are verified: a self-signed one is refused (78) and
# nothing is taken.
dovecot_put "$D/fetch-post.eml"
expect_code 78 "untrusted certificate: 78" "$ROUNDS" fetch wound-care --url "$IMAPS" --password-file "$PW"
if grep -q "not trusted" "$T_TMP/err"; then ok "untrusted certificate: says so"; else not_ok "untrusted certificate: says so" "$(cat "$T_TMP/err")"; fi
expect_eq "untrusted certificate: message still on the server" "$(dovecot_count)" 1
expect_code 78 "certificate for another name: 78" \
	"$ROUNDS" fetch wound-care --url "imaps://$DOVECOT_USER@127.0.0.2:$DOVECOT_IMAPS/" --password-file "$PW" --ca-file "$DOVECOT_CA"
expect_code 78 "wrong password: 78" "$ROUNDS" fetch wound-care --url "$IMAPS" \
	--password-file "$D/single.eml" --ca-file "$DOVECOT_CA"
expect_code 64 "no --url: 64" "$ROUNDS" fetch wound-care --password-file "$PW"
expect_code 64 "bad scheme: 64" "$ROUNDS" fetch wound-care --url "http://x@127.0.0.1/" --password-file "$PW"
expect_code 0 "--help" "$ROUNDS" fetch --help

# IMAPS with the test CA: a member's post, a command, a reply addressed
# only in To:, and a non-member's post (held: the policy applies).
dovecot_put "$D/fetch-command.eml" "$D/fetch-to-only.eml" "$D/single.eml"
"$ROUNDS" fetch wound-care --once --url "$IMAPS" --password-file "$PW" --ca-file "$DOVECOT_CA" >"$T_TMP/out" 2>"$T_TMP/err"
rc=$?
if [ $rc = 0 ] || [ $rc = 65 ]; then ok "imaps fetch runs (exit $rc)"; else not_ok "imaps fetch runs" "exit $rc" "$(cat "$T_TMP/err")"; fi
expect_eq "post by Delivered-To stored" "$(status_of CAF3k9q9zz1@mail.stlukes-clinic.example.org)" posted
expect_eq "reply by To: stored and threaded" \
	"$("$ROUNDS" message show wound-care 20260306144000.GB2231@northgate-health.example.net --json | json 'd["parent_message_id"]' 2>/dev/null)" \
	"CAF3k9q9zz1@mail.stlukes-clinic.example.org"
expect_eq "non-member post held, not bypassed" "$(status_of 87h6zq1x9k.fsf@valley-gp.example.co.uk)" held
expect_eq "command not stored as a post" "$(status_of CAF3k9qcmd2@mail.stlukes-clinic.example.org)" ""
# The command goes to the request address: handled (taken) or, while that
# address kind is not enabled, left on the server flagged \Seen.
if [ $rc = 0 ]; then
	expect_eq "everything taken from the server" "$(dovecot_count)" 0
else
	expect_eq "only the command left on the server" "$(dovecot_count)" 1
	if grep -q "to wound-care+request@lists.example.test: left" "$T_TMP/err"; then ok "command routed to the request address"; else
		not_ok "command routed to the request address" "$(cat "$T_TMP/err")"; fi
	left=$(ls "$DOVECOT_MAILDIR/cur")
	case "$left" in *:2,*S*) ok "left message flagged Seen" ;; *) not_ok "left message flagged Seen" "$left" ;; esac
	"$ROUNDS" fetch wound-care --url "$IMAPS" --password-file "$PW" --ca-file "$DOVECOT_CA" >"$T_TMP/out" 2>&1
	expect_eq "seen messages are not fetched again" "$(cat "$T_TMP/out")" \
		"fetched 0 messages (0 new, 0 duplicates, 0 left on the server)"
	rm -f "$DOVECOT_MAILDIR"/cur/*
fi
expect_eq "summary line" "$(head -1 "$T_TMP/out" | sed 's/[0-9]\+/N/g')" \
	"fetched N messages (N new, N duplicates, N left on the server)"

# --insecure skips the check; STARTTLS (imap://), pop3s:// and pop3:// (STLS).
n0=$("$ROUNDS" message list wound-care --json | json 'len(d)')
gen() { # PREFIX COUNT: member posts delivered into the Maildir
	python3 - "$DOVECOT_MAILDIR" "$1" "$2" <<'PY'
import os, pwd, sys
d, prefix, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
nobody = pwd.getpwnam("nobody")
for i in range(n):
    name = "1772870400.M%dP%d.%s.testhost" % (i, os.getpid(), prefix)
    tmp = os.path.join(d, "tmp", name)
    with open(tmp, "w") as f:
        f.write("Delivered-To: wound-care@lists.example.test\n"
                "From: Ahmed Khan <ahmed.k@northgate-health.example.net>\n"
                "To: wound-care@lists.example.test\n"
                "Subject: Ward round notes %s %d\n"
                "Date: Sat, 7 Mar 2026 08:%02d:%02d +0000\n"
                "Message-ID: <%s.%d@northgate-health.example.net>\n"
                "MIME-Version: 1.0\nContent-Type: text/plain; charset=us-ascii\n\n"
                "Bed %d: dressing changed, no signs of infection.\n\nAhmed\n"
                % (prefix, i, i // 60 % 60, i % 60, prefix, i, i % 30 + 1))
    os.chown(tmp, nobody.pw_uid, nobody.pw_gid)
    os.rename(tmp, os.path.join(d, "new", name))
PY
}
gen insecure 2
expect_code 0 "imaps --insecure" "$ROUNDS" fetch wound-care --url "$IMAPS" --password-file "$PW" --insecure
gen starttls 2
expect_code 0 "imap:// with STARTTLS" "$ROUNDS" fetch wound-care \
	--url "imap://$DOVECOT_USER@127.0.0.1:$DOVECOT_IMAP" --password-file "$PW" --ca-file "$DOVECOT_CA"
gen pop3s 3
expect_code 0 "pop3s://" "$ROUNDS" fetch wound-care \
	--url "pop3s://$DOVECOT_USER@127.0.0.1:$DOVECOT_POP3S" --password-file "$PW" --ca-file "$DOVECOT_CA"
expect_eq "pop3s summary" "$(cat "$T_TMP/out")" \
	"fetched 3 messages (3 new, 0 duplicates, 0 left on the server)"
gen stls 2
expect_code 0 "pop3:// with STLS" "$ROUNDS" fetch wound-care \
	--url "pop3://$DOVECOT_USER@127.0.0.1:$DOVECOT_POP3" --password-file "$PW" --ca-file "$DOVECOT_CA"
expect_eq "all protocols: messages stored" "$("$ROUNDS" message list wound-care --json | json 'len(d)')" $((n0 + 9))
expect_eq "all protocols: mailbox empty" "$(dovecot_count)" 0
expect_code 78 "pop3s: untrusted certificate" "$ROUNDS" fetch wound-care \
	--url "pop3s://$DOVECOT_USER@127.0.0.1:$DOVECOT_POP3S" --password-file "$PW"

# kill -9 in the middle of a batch, then run again: nothing lost, nothing
# twice.  Over IMAP and over POP3.
for proto in imaps pop3s; do
	N=${FETCH_KILL_N:-1000}
	gen "kill$proto" $N
	if [ $proto = imaps ]; then url=$IMAPS; else url="pop3s://$DOVECOT_USER@127.0.0.1:$DOVECOT_POP3S"; fi
	before=$("$ROUNDS" message list wound-care --json | json 'len(d)')
	"$ROUNDS" fetch wound-care --url "$url" --password-file "$PW" --ca-file "$DOVECOT_CA" >/dev/null 2>&1 &
	pid=$!
	sleep "0.$((RANDOM % 6 + 2))"
	kill -9 $pid 2>/dev/null
	wait $pid 2>/dev/null
	mid=$("$ROUNDS" message list wound-care --json | json 'len(d)')
	echo "# $proto: $((mid - before)) of $N stored before kill -9"
	expect_code 0 "$proto: fetch again after kill -9" "$ROUNDS" fetch wound-care --url "$url" --password-file "$PW" --ca-file "$DOVECOT_CA"
	"$ROUNDS" message list wound-care --json >"$T_TMP/all"
	expect_eq "$proto: every message once" \
		"$(json 'str(len([m for m in d if m["message_id"].startswith("kill'$proto'.")]))+" "+str(len(d)-len(set(m["message_id"] for m in d)))' <"$T_TMP/all")" "$N 0"
	expect_eq "$proto: mailbox empty" "$(dovecot_count)" 0
done

# POP3 has no \Seen: a refused message is remembered by its UIDL, reported
# by the first pass only and left on the server; a temporary failure (the
# database locked past busy-timeout-ms) is not remembered and is retried.
POP3S="pop3s://$DOVECOT_USER@127.0.0.1:$DOVECOT_POP3S"
seen() { sqlite3 "$ROUNDS_HOME/rounds.db" "select group_concat(outcome, ' ') from (select outcome from fetch_seen order by outcome)"; }
expect_code 0 "pop3: pass over an empty mailbox" "$ROUNDS" fetch wound-care --url "$POP3S" --password-file "$PW" --ca-file "$DOVECOT_CA"
expect_eq "pop3: UIDLs of deleted messages forgotten" "$(seen)" ""
printf 'Delivered-To: wound-care@lists.example.test\nFrom: Maria <maria.gonzalez@stlukes-clinic.example.org>\nTo: wound-care@lists.example.test\nSubject: Alginate stock\nMessage-ID: <pop3-good@x>\n\nWe are out of alginate dressings.\n' >"$T_TMP/pop3-good.eml"
printf 'Delivered-To: burns@lists.example.test\nFrom: Maria <maria.gonzalez@stlukes-clinic.example.org>\nTo: burns@lists.example.test\nSubject: Wrong list\nMessage-ID: <pop3-refused@x>\n\nThere is no burns list.\n' >"$T_TMP/pop3-refused.eml"
dovecot_put "$T_TMP/pop3-good.eml"
sed -i 's/^\[rounds\]$/[rounds]\nbusy-timeout-ms = 300/' "$ROUNDS_HOME/rounds.conf"
python3 -c 'import sqlite3, sys, time
c = sqlite3.connect(sys.argv[1], isolation_level=None)
c.execute("BEGIN IMMEDIATE")
print("locked", flush=True)
time.sleep(60)' "$ROUNDS_HOME/rounds.db" >"$T_TMP/lock" &
lockpid=$!
for _ in $(seq 1 50); do [ -s "$T_TMP/lock" ] && break; sleep 0.1; done
expect_code 75 "pop3: database locked: 75" "$ROUNDS" fetch wound-care --url "$POP3S" --password-file "$PW" --ca-file "$DOVECOT_CA"
kill $lockpid
wait $lockpid 2>/dev/null
expect_eq "pop3: temporary failure not remembered" "$(seen)" ""
expect_eq "pop3: message kept for the retry" "$(dovecot_count)" 1
dovecot_put "$T_TMP/pop3-refused.eml"
expect_code 65 "pop3: first pass: 65" "$ROUNDS" fetch wound-care --url "$POP3S" --password-file "$PW" --ca-file "$DOVECOT_CA"
expect_eq "pop3: first pass summary" "$(cat "$T_TMP/out")" \
	"fetched 1 messages (1 new, 0 duplicates, 1 left on the server)"
if grep -q "to burns@lists.example.test: left on the server (exit 67)" "$T_TMP/err"; then ok "pop3: refused message reported"; else
	not_ok "pop3: refused message reported" "$(cat "$T_TMP/err")"; fi
expect_eq "pop3: retried message stored" "$(status_of pop3-good@x)" posted
expect_eq "pop3: both UIDLs remembered" "$(seen)" "refused taken"
expect_code 0 "pop3: second pass: 0" "$ROUNDS" fetch wound-care --url "$POP3S" --password-file "$PW" --ca-file "$DOVECOT_CA"
expect_eq "pop3: second pass takes nothing, reports nothing" "$(cat "$T_TMP/out") $(grep -c "left on the server" "$T_TMP/err")" \
	"fetched 0 messages (0 new, 0 duplicates, 0 left on the server) 0"
expect_eq "pop3: refused message still on the server" "$(dovecot_count)" 1
expect_eq "pop3: only the refused UIDL still remembered" "$(seen)" "refused"
expect_eq "pop3: stored once" "$("$ROUNDS" message list wound-care --json | json 'len([m for m in d if m["message_id"] == "pop3-good@x"])')" 1
# A UIDL remembered as taken is a message stored by a pass that died before
# QUIT: it is deleted without being fetched or delivered again.
sqlite3 "$ROUNDS_HOME/rounds.db" "update fetch_seen set outcome = 'taken'"
expect_code 0 "pop3: taken but not yet deleted: 0" "$ROUNDS" fetch wound-care --url "$POP3S" --password-file "$PW" --ca-file "$DOVECOT_CA"
expect_eq "pop3: deleted without a delivery" "$(cat "$T_TMP/out") $(dovecot_count)" \
	"fetched 0 messages (0 new, 0 duplicates, 0 left on the server) 0"
sed -i '/^busy-timeout-ms = 300$/d' "$ROUNDS_HOME/rounds.conf"

# rounds run empties the mailboxes named in [fetch] sections every pass.
printf 'From: Maria <maria.gonzalez@stlukes-clinic.example.org>\nTo: wound-care@lists.example.test\nSubject: Friday audit\nMessage-ID: <run-fetch-1@x>\n\nAudit moved to 3pm.\n' >"$T_TMP/runfetch.eml"
dovecot_put "$T_TMP/runfetch.eml"
printf '\n[fetch clinic]\nurl = %s\ncommunity = wound-care\npassword-file = %s\nca-file = %s\n' \
	"$IMAPS" "$PW" "$DOVECOT_CA" >>"$ROUNDS_HOME/rounds.conf"
"$ROUNDS" run --interval 1 >/dev/null 2>&1 &
runpid=$!
for _ in $(seq 1 50); do [ "$(status_of run-fetch-1@x)" = posted ] && break; sleep 0.2; done
kill -TERM $runpid
wait $runpid
expect_eq "rounds run fetches the [fetch] mailbox" "$(status_of run-fetch-1@x)" posted
expect_eq "and empties it" "$(dovecot_count)" 0
t_done
