#!/bin/bash
# t-send.sh - digests sent for real to Postfix's smtp-sink: what arrives,
# the VERP envelope, retries after 4xx and a dead smarthost, 5xx failures.
. tests/lib.sh

t_home
R=$ROUNDS
tomorrow=$(date -u -d 'tomorrow 12:00' +%Y-%m-%dT%H:%M:%SZ)
"$R" community create care --title "Care Team" --policy open >/dev/null
"$R" member add care a@example.org b@example.org c@example.org >/dev/null
printf 'From: Sam <sam@example.com>\nSubject: Wound care rota\nMessage-ID: <s1@x>\n\nWho covers Sunday?\n' |
	"$R" deliver --recipient care@lists.example.test

sink_start "$T_TMP/sink" || not_ok "smtp-sink starts"
set_smtp "$SINK_PORT"
expect_code 0 "tick sends the digests" "$R" tick --now "$tomorrow"
sleep 0.3
n=$(ls "$T_TMP/sink" | wc -l)
expect_eq "three digests arrived" "$n" 3
f=$(grep -l 'X-Rcpt-Args: .*a@example.org' "$T_TMP/sink"/* | head -1)
if [ -n "$f" ]; then ok "a@example.org got one"; else not_ok "a@example.org got one"; f=/dev/null; fi
grep -q '^X-Mail-Args:.*care+b-[a-z2-7]*@lists.example.test' "$f" && ok "VERP return path" || not_ok "VERP return path" "$(grep X-Mail-Args "$f")"
grep -q '^Reply-To: care+d-[a-z2-7]*@lists.example.test' "$f" && ok "Reply-To is the digest address" || not_ok "Reply-To is the digest address"
grep -q '^List-Unsubscribe: <mailto:care+request@lists.example.test?subject=unsubscribe' "$f" && ok "List-Unsubscribe" || not_ok "List-Unsubscribe"
grep -q '^Auto-Submitted: auto-generated' "$f" && ok "Auto-Submitted" || not_ok "Auto-Submitted"
grep -q '^List-Id: Care Team <care.lists.example.test>' "$f" && ok "List-Id" || not_ok "List-Id"
grep -qi '^Content-Type: multipart/alternative' "$f" && ok "multipart/alternative" || not_ok "multipart/alternative"
grep -q '^Subject: .*Care Team: 1 conversation, 1 new message' "$f" && ok "subject" || not_ok "subject" "$(grep ^Subject "$f")"
expect_eq "outbox says sent" "$("$R" outbox list --json | python3 -c 'import json,sys; print(sorted(set(o["status"] for o in json.load(sys.stdin))))')" "['sent']"
expect_code 0 "tick again" "$R" tick --now "$tomorrow"
expect_eq "nothing sent twice" "$(ls "$T_TMP/sink" | wc -l)" 3
sink_stop

# A smarthost that answers 4xx, then recovers: everything delivered once.
day2=$(date -u -d '2 days 12:00' +%Y-%m-%dT%H:%M:%SZ)
printf 'From: Sam <sam@example.com>\nSubject: Day two\nMessage-ID: <s2@x>\n\nMore.\n' |
	"$R" deliver --recipient care@lists.example.test
sink_start "$T_TMP/sink2" -r rcpt
expect_code 0 "tick against a 4xx server" "$R" tick --now "$day2"
expect_eq "nothing accepted" "$(ls "$T_TMP/sink2" | wc -l)" 0
expect_eq "all deferred with the 4xx code" "$("$R" outbox list --json | python3 -c 'import json,sys; print(sorted(set((o["status"], o["last_code"]) for o in json.load(sys.stdin) if o["status"] != "sent")))')" "[('queued', 450)]"
sink_stop
# The smarthost is down altogether for a while.
later=$(date -u -d '2 days 12:02' +%Y-%m-%dT%H:%M:%SZ)
expect_code 0 "flush with the smarthost down" "$R" outbox flush --now "$later"
expect_eq "still queued, nothing lost" "$("$R" outbox list --json | python3 -c 'import json,sys; print(sum(1 for o in json.load(sys.stdin) if o["status"] == "queued"))')" 3
sink_start "$T_TMP/sink3"
expect_code 0 "flush before the backoff has passed" "$R" outbox flush --now "$later"
expect_eq "backoff respected" "$(ls "$T_TMP/sink3" | wc -l)" 0
much_later=$(date -u -d '2 days 14:00' +%Y-%m-%dT%H:%M:%SZ)
expect_code 0 "flush after the backoff" "$R" outbox flush --now "$much_later"
sleep 0.3
expect_eq "each delivered once after recovery" "$(grep -h '^X-Rcpt-Args' "$T_TMP/sink3"/* | sort | uniq -c | awk '{print $1}' | sort -u)" 1
expect_eq "three delivered" "$(ls "$T_TMP/sink3" | wc -l)" 3
sink_stop

# A photo the caregiver posted is shown inline in the HTML part (cid:).
day25=$(date -u -d '2 days 20:00' +%Y-%m-%dT%H:%M:%SZ)
png=iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==
printf 'From: Ann <ann@example.com>\nSubject: Mum in the garden\nMessage-ID: <photo@x>\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary="b"\n\n--b\nContent-Type: text/plain\n\nShe loved the sun today.\n--b\nContent-Type: image/png; name="garden.png"\nContent-Disposition: attachment; filename="garden.png"\nContent-Transfer-Encoding: base64\n\n%s\n--b--\n' "$png" |
	"$R" deliver --recipient care@lists.example.test
sink_start "$T_TMP/sink5"
sleep_until=$(date -u -d '3 days 08:00' +%Y-%m-%dT%H:%M:%SZ)
expect_code 0 "tick with a photo" "$R" tick --now "$sleep_until"
sleep 0.3
f=$(grep -l 'X-Rcpt-Args: .*a@example.org' "$T_TMP/sink5"/* 2>/dev/null | head -1)
python3 - "${f:-/dev/null}" >"$T_TMP/photo" <<'PY'
import sys, email
from email import policy
m = email.message_from_binary_file(open(sys.argv[1], "rb"), policy=policy.default)
html = m.get_body(("html",))
cids = [p["Content-ID"] for p in m.walk() if p.get_content_type() == "image/png"]
print("related" if any(p.get_content_type() == "multipart/related" for p in m.walk()) else "no-related")
print("cid-ok" if cids and html and ("cid:" + cids[0].strip("<>")) in html.get_content() else "cid-missing")
PY
expect_eq "photo inline as multipart/related with its cid in the HTML" "$(tr '\n' ' ' <"$T_TMP/photo")" "related cid-ok "
sink_stop

# 5xx: failed, not retried.
day3=$(date -u -d '4 days 12:00' +%Y-%m-%dT%H:%M:%SZ)
printf 'From: Sam <sam@example.com>\nSubject: Day three\nMessage-ID: <s3@x>\n\nAgain.\n' |
	"$R" deliver --recipient care@lists.example.test
sink_start "$T_TMP/sink4" -f rcpt
expect_code 0 "tick against a 5xx server" "$R" tick --now "$day3"
expect_eq "failed with 5xx" "$("$R" outbox list --json | python3 -c 'import json,sys; print(sorted(set((o["status"], o["last_code"] // 100) for o in json.load(sys.stdin) if o["status"] != "sent")))')" "[('failed', 5)]"
sink_stop
t_done
