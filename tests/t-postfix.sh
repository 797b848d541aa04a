#!/bin/bash
# t-postfix.sh - end to end through a real Postfix: posts arrive over SMTP
# (swaks) and reach `rounds deliver` through the pipe service of
# mta-hooks/postfix/ as it is shipped; `rounds tick` sends the digests back
# through that Postfix into the readers' Maildirs; a reader replies to the
# digest with swaks and the reply lands in the thread; a Postfix that is
# down while the scheduler runs loses nothing.  OpenDKIM, configured with
# mta-hooks/postfix/opendkim.conf, signs what Rounds sends.
. tests/lib.sh
R=$ROUNDS
command -v postfix >/dev/null && command -v swaks >/dev/null || { not_ok "postfix and swaks installed"; t_done; }
command -v opendkim >/dev/null && command -v opendkim-genkey >/dev/null || { not_ok "opendkim and opendkim-tools installed"; t_done; }

# The filter runs as a dedicated user, never root (mta-hooks/postfix/README).
id rounds >/dev/null 2>&1 || useradd --system --no-create-home --shell /usr/sbin/nologin rounds
chmod o+x "$T_TMP"
PF=$T_TMP/postfix
home=$T_TMP/rounds-home
as_rounds() { runuser -u rounds -- env ROUNDS_HOME="$home" ASAN_OPTIONS="$ASAN_OPTIONS" "$R" "$@"; }
mkdir -p "$home"
chown rounds "$home"
as_rounds init --domain lists.example.test >/dev/null
as_rounds community create care --title "Care Team" --quiet >/dev/null
as_rounds member add care alice@readers.example.test --name Alice >/dev/null
as_rounds member add care bob@readers.example.test --name Bob >/dev/null

PORT=$(free_port)
pf_conf "$PF" "$PORT" alice bob
# The shipped hooks, as they are, with this machine's paths and domain.
hooks() { sed -e "s|/usr/local/bin/rounds|$R|g" -e "s|/var/lib/rounds|$home|g" -e "s|lists.example.org|lists.example.test|g" "$1"; }
hooks mta-hooks/postfix/main.cf.snippet >>"$PF/conf/main.cf"
hooks mta-hooks/postfix/master.cf.snippet >>"$PF/conf/master.cf"
hooks mta-hooks/postfix/transport >"$PF/conf/transport"
postconf -c "$PF/conf" -F '*/*/chroot = n' >/dev/null
postmap -c "$PF/conf" "hash:$PF/conf/transport"
# ASan reads this in the pipe's environment.
postconf -c "$PF/conf" -e "export_environment = TZ MAIL_CONFIG LANG ASAN_OPTIONS UBSAN_OPTIONS" \
	"import_environment = MAIL_CONFIG MAIL_DEBUG MAIL_LOGTAG TZ LANG ASAN_OPTIONS=$ASAN_OPTIONS UBSAN_OPTIONS=$UBSAN_OPTIONS"
# OpenDKIM with the shipped opendkim.conf, a test key, and the public key
# given to it directly (TestPublicKeys) so that it can also verify.
# OpenDKIM refuses files below a directory others can write (/tmp).
DK=$(mktemp -d /run/rounds-dkim.XXXXXX)
opendkim-genkey -b 1024 -d lists.example.test -s rounds -D "$DK"
python3 - "$DK/rounds.txt" >"$DK/keys" <<'PY'
import re, sys
print("rounds._domainkey.lists.example.test", "".join(re.findall(r'"([^"]*)"', open(sys.argv[1]).read())))
PY
DKPORT=$(free_port)
sed -e 's/^Domain .*/Domain lists.example.test/' -e "s|^KeyFile .*|KeyFile $DK/rounds.private|" \
	-e "s|^Socket .*|Socket inet:$DKPORT@127.0.0.1|" -e 's/^Syslog .*/Syslog no/' \
	mta-hooks/postfix/opendkim.conf >"$DK/opendkim.conf"
printf 'Background no\nTestPublicKeys %s\nPidFile %s\n' "$DK/keys" "$DK/pid" >>"$DK/opendkim.conf"
opendkim -x "$DK/opendkim.conf" >"$DK/log" 2>&1 &
dk_pid=$!
dk_stop() { kill "$dk_pid" 2>/dev/null; wait "$dk_pid" 2>/dev/null; rm -rf "$DK"; }
t_on_exit dk_stop
dk_listening() { python3 -c "import socket; socket.create_connection(('127.0.0.1', $DKPORT), 0.2)" 2>/dev/null; }
wait_for dk_listening && ok "OpenDKIM starts with the shipped opendkim.conf" || not_ok "OpenDKIM starts with the shipped opendkim.conf" "$(cat "$DK/log")"
postconf -c "$PF/conf" -e "smtpd_milters = inet:127.0.0.1:$DKPORT" 'non_smtpd_milters = $smtpd_milters' \
	"milter_default_action = tempfail"
pf_listening() { python3 -c "import socket; socket.create_connection(('127.0.0.1', $PORT), 0.2)" 2>/dev/null; }
pf_down() { ! postfix -c "$PF/conf" status >/dev/null 2>&1 && ! pf_listening; }
pf_start() { postfix -c "$PF/conf" start >/dev/null 2>&1; wait_for pf_listening; }
pf_stop() { postfix -c "$PF/conf" stop >/dev/null 2>&1; wait_for pf_down; }
t_on_exit pf_stop
if pf_start; then ok "private Postfix starts"; else not_ok "private Postfix starts" "$(tail -5 "$PF/maillog" 2>/dev/null)"; t_done; fi
python3 - "$home/rounds.conf" "$PORT" <<'PY'
import sys, re
p, port = sys.argv[1], sys.argv[2]
s = open(p).read()
# Keep one [smtp] section pointing at the private Postfix.
parts = re.split(r"(?m)^\[smtp\]\n", s)
head = parts[0]
s = head + "[smtp]\nhost = 127.0.0.1\nport = %s\nstarttls = none\n" % port
# One-click unsubscription (RFC 8058): List-Unsubscribe-Post in every digest.
s += "\n[web]\nurl = https://lists.example.test/rounds\n"
open(p, "w").write(s)
PY

pf_queue_empty() { postqueue -c "$PF/conf" -p 2>/dev/null | grep -q 'Mail queue is empty'; }
pf_reloaded() { [ "$(grep -c 'reload -- version' "$PF/maillog" 2>/dev/null)" -gt "$1" ]; }
count_msgs() { as_rounds message list care --json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))'; }
has_msgs() { [ "$(count_msgs)" = "$1" ]; }
maildir_count() { ls "$PF/mail/alice/new" 2>/dev/null | wc -l; }
maildir_more() { [ "$(maildir_count)" -gt "$1" ]; }

swaks --server "127.0.0.1:$PORT" --from alice@readers.example.test --to care@lists.example.test \
	--h-Subject "Night shift handover" --h-Message-Id "<handover1@readers.example.test>" \
	--body "Who takes the 2am wound check on ward 4?" >/dev/null 2>&1
if wait_for has_msgs 1; then ok "a post over SMTP reaches rounds deliver through the pipe"; else not_ok "a post over SMTP reaches rounds deliver through the pipe" "$(grep -i 'rounds\|status=' "$PF/maillog" | tail -5)"; fi
grep -q "relay=rounds.*status=sent" "$PF/maillog" && ok "Postfix logs the pipe delivery as sent" || not_ok "Postfix logs the pipe delivery as sent"
swaks --server "127.0.0.1:$PORT" --from bob@readers.example.test --to CARE@lists.example.test \
	--h-Subject "Re: Night shift handover" --h-In-Reply-To "<handover1@readers.example.test>" \
	--body "I can, if someone covers my 6am." >/dev/null 2>&1
wait_for has_msgs 2 && ok "a reply with an upper-case recipient arrives" || not_ok "a reply with an upper-case recipient arrives"
swaks --server "127.0.0.1:$PORT" --from x@example.com --to nosuch@lists.example.test --body x >/dev/null 2>&1
wait_for grep -q "nosuch@lists.example.test.*status=bounced" "$PF/maillog" && ok "unknown community bounces (67)" || not_ok "unknown community bounces (67)"

# Digests go back through Postfix into the readers' Maildirs.
tomorrow=$(date -u -d 'tomorrow 12:00' +%Y-%m-%dT%H:%M:%SZ)
as_rounds tick --now "$tomorrow" >/dev/null
if wait_for maildir_more 0; then ok "the digest reaches alice's Maildir"; else not_ok "the digest reaches alice's Maildir" "$(tail -5 "$PF/maillog")"; fi
digest=$(ls "$PF/mail/alice/new"/* 2>/dev/null | head -1)
python3 - "$digest" >"$T_TMP/digest.txt" <<'PY'
import sys, email
from email import policy
m = email.message_from_binary_file(open(sys.argv[1], "rb"), policy=policy.default)
print("SUBJECT:", m["Subject"])
print("REPLYTO:", m["Reply-To"])
print(m.get_body(("plain",)).get_content())
PY
# The digest is signed by the list domain, and the signature covers both
# List-Unsubscribe headers (RFC 8058), each once more than it occurs.
python3 - "$digest" >"$T_TMP/dkim.txt" <<'PY'
import sys, email, re
m = email.message_from_binary_file(open(sys.argv[1], "rb"))
sig = re.sub(r"\s+", "", m.get("DKIM-Signature", ""))
tags = dict(t.split("=", 1) for t in sig.split(";") if "=" in t)
h = [x.lower() for x in tags.get("h", "").split(":")]
for name in ("list-unsubscribe", "list-unsubscribe-post"):
    print("%s: %d in the message, %d in h=" % (name, len(m.get_all(name, [])), h.count(name)))
print("d=%s" % tags.get("d"))
PY
expect_eq "the digest carries a DKIM signature of the list domain over both List-Unsubscribe headers, oversigned" \
	"$(cat "$T_TMP/dkim.txt")" "$(printf 'list-unsubscribe: 1 in the message, 2 in h=\nlist-unsubscribe-post: 1 in the message, 2 in h=\nd=lists.example.test')"
# A verifier of its own, as the receiving side would be.
printf 'Mode v\nSyslog no\nInternalHosts 192.0.2.1\nTestPublicKeys %s\n' "$DK/keys" >"$DK/verify.conf"
dk_verify() { opendkim -x "$DK/verify.conf" -v -v -t "$1" 2>&1 | grep 'verification (s=rounds'; }
expect_eq "the signature verifies" "$(dk_verify "$digest" | sed 's/.*) //')" succeeded
# Another List-Unsubscribe added after signing (oversigned) breaks it.
sed '0,/^List-Unsubscribe:/s//List-Unsubscribe: <mailto:attacker@example.com>\nList-Unsubscribe:/' "$digest" >"$T_TMP/tampered"
expect_eq "an added List-Unsubscribe breaks the signature" \
	"$(dk_verify "$T_TMP/tampered" | sed 's/.*) //')" "failed: signature verification failed"
grep -q "^SUBJECT: Care Team: 1 conversation, 1 new message" "$T_TMP/digest.txt" && ok "digest subject" || not_ok "digest subject" "$(head -1 "$T_TMP/digest.txt")"
raddr=$(sed -n 's/^ *Reply: \(care+r-[a-z2-7]*@lists.example.test\).*/\1/p' "$T_TMP/digest.txt" | head -1)
[ -n "$raddr" ] && ok "the digest has a reply address" || not_ok "the digest has a reply address"

# Alice replies from her phone: two new lines on top, the digest quoted below.
{ printf 'Thanks Bob, I will cover your 6am.\nSee you tonight.\n\nOn Sun, Care Team wrote:\n'; sed 's/^/> /' "$T_TMP/digest.txt"; } >"$T_TMP/reply.txt"
swaks --server "127.0.0.1:$PORT" --from alice@readers.example.test --to "$raddr" \
	--h-Subject "Re: Care Team: 1 conversation" --body "$T_TMP/reply.txt" >/dev/null 2>&1
if wait_for has_msgs 3; then ok "the reply to the digest arrives"; else not_ok "the reply to the digest arrives" "$(grep 'rounds' "$PF/maillog" | tail -3)"; fi
as_rounds message list care --json >"$T_TMP/list.json"
last=$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(d[-1]["message_id"])' "$T_TMP/list.json")
as_rounds message show care "$last" --json >"$T_TMP/last.json"
expect_eq "the reply is in the handover thread" "$(json '(d["subject"], d["thread_id"] == d["thread_id"])' <"$T_TMP/last.json")" "('Re: Night shift handover', True)"
expect_eq "exactly the new text" "$(json 'd["body"].strip()' <"$T_TMP/last.json")" "$(printf 'Thanks Bob, I will cover your 6am.\nSee you tonight.')"
expect_eq "one thread" "$(as_rounds thread list care --json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')" 1

# Postfix is down while the scheduler runs: the outbox keeps everything.
pf_stop
printf 'From: Bob <bob@readers.example.test>\nSubject: Supplies\nMessage-ID: <supplies@x>\n\nDressings arrive Monday.\n' |
	as_rounds deliver --recipient care@lists.example.test
day2=$(date -u -d '2 days 12:00' +%Y-%m-%dT%H:%M:%SZ)
as_rounds tick --now "$day2" >/dev/null
expect_eq "digest deferred while Postfix is down" "$(as_rounds outbox list --json | python3 -c 'import json,sys; print(sorted(set(o["status"] for o in json.load(sys.stdin) if o["recipient"].startswith("alice") and o["attempts"] > 0 and o["status"] != "sent")))')" "['queued']"
pf_start
before=$(ls "$PF/mail/alice/new" | wc -l)
later=$(date -u -d '2 days 12:10' +%Y-%m-%dT%H:%M:%SZ)
as_rounds outbox flush --now "$later" >/dev/null
if wait_for maildir_more "$before"; then ok "delivered once Postfix is back"; else not_ok "delivered once Postfix is back"; fi
# Once Postfix's queue is empty nothing more can arrive: count then.
wait_for pf_queue_empty || not_ok "Postfix's queue empties"
expect_eq "and only once" "$(ls "$PF/mail/alice/new" | wc -l)" $((before + 1))

# A 550 for one recipient: that one is failed, the others are sent.
as_rounds member add care carol@readers.example.test --name Carol >/dev/null
postconf -c "$PF/conf" -e "smtpd_recipient_restrictions = check_recipient_access inline:{ {carol@readers.example.test = 550 5.1.1 No such mailbox here} }, permit_mynetworks, reject_unauth_destination"
reloads=$(grep -c 'reload -- version' "$PF/maillog" 2>/dev/null)
postfix -c "$PF/conf" reload >/dev/null 2>&1
wait_for pf_reloaded "$reloads" || not_ok "Postfix reloads its configuration"
printf 'From: Bob <bob@readers.example.test>\nSubject: Fridge temperature log\nMessage-ID: <fridge@x>\n\nPlease sign the log daily.\n' |
	as_rounds deliver --recipient care@lists.example.test
day3=$(date -u -d '3 days 12:00' +%Y-%m-%dT%H:%M:%SZ)
before=$(maildir_count)
as_rounds tick --now "$day3" >/dev/null
as_rounds outbox list --json >"$T_TMP/ob.json"
expect_eq "550 for carol: failed" "$(python3 -c 'import json,sys; print(sorted(set((o["status"], o["last_code"]) for o in json.load(open(sys.argv[1])) if o["recipient"].startswith("carol"))))' "$T_TMP/ob.json")" "[('failed', 550)]"
expect_eq "alice's digest of that day was sent" "$(python3 -c 'import json,sys,collections; print(collections.Counter(o["status"] for o in json.load(open(sys.argv[1])) if o["recipient"].startswith("alice"))["failed"])' "$T_TMP/ob.json")" 0
wait_for maildir_more "$before" && ok "alice got hers" || not_ok "alice got hers"
expect_eq "the 550 counts against carol like a bounce" "$(as_rounds member list care --json | python3 -c 'import json,sys; print([m["bounce_score"] for m in json.load(sys.stdin) if m["address"].startswith("carol")])')" "[1.0]"
t_done
