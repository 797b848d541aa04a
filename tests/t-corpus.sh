#!/bin/bash
# tests/t-corpus.sh - every message in tests/mail/ through `rounds deliver`.
#
# tests/mail/MANIFEST says, per file, which exit codes are allowed, whether
# the message must end up posted or held (or not posted at all), its decoded
# subject, a substring of its decoded body and its attachments.  Each file is
# delivered on its own; the rows it added are found by comparing
# `message list` before and after, so messages without a Message-ID (whose
# id Rounds derives) are checked the same way.  Two messages too large to
# commit (a 10 MB attachment and a 21 MiB message) are generated here.

. tests/lib.sh

t_home
"$ROUNDS" community create care --title "Wound care" --policy open >/dev/null ||
	not_ok "create the open community care"
# The members-policy community that nonmember-* files go to; it has one
# member so that the policy, not an empty roster, decides.
"$ROUNDS" community create clinic --title "Clinic staff" --policy members >/dev/null ||
	not_ok "create the members community clinic"
"$ROUNDS" member add clinic maria.alvarez@example.org --name "Maria Alvarez" >/dev/null ||
	not_ok "add a member to clinic"

# check.py BEFORE AFTER NAME STATUS SUBJECT BODY ATTACHMENTS SHOWDIR
# compares the rows a delivery added with the MANIFEST line; prints one
# problem per line, nothing when all is well.  The `message show` output of
# each new row is expected in SHOWDIR/<index>.json (written by the caller).
cat >"$T_TMP/diff.py" <<'PY'
import json, sys
before = {m["message_id"] for m in json.load(open(sys.argv[1]))}
for m in json.load(open(sys.argv[2])):
    if m["message_id"] not in before:
        print(m["message_id"])
PY
cat >"$T_TMP/check.py" <<'PY'
import json, re, sys
after, ids, name, status, subject, body, atts, showdir = sys.argv[1:9]
rows = {m["message_id"]: m for m in json.load(open(after))}
new = [l for l in open(ids).read().split("\n") if l]
problems = []
iso = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?([+-]\d\d:\d\d|Z)$")
if status == "-":
    posted = [i for i in new if rows[i]["status"] == "posted"]
    if posted:
        problems.append("must not be posted, but %s is posted" % posted)
elif len(new) != 1:
    problems.append("expected exactly 1 new message row, got %d: %s" % (len(new), new))
else:
    mid = new[0]
    row = rows[mid]
    if row["status"] != status:
        problems.append("status %r, wanted %r" % (row["status"], status))
    if status == "held" and row.get("thread_id") is not None:
        problems.append("held message has thread_id %r, wanted null" % row["thread_id"])
    if status == "posted" and not isinstance(row.get("thread_id"), int):
        problems.append("posted message has thread_id %r, wanted an integer" % row.get("thread_id"))
    if not iso.match(str(row.get("date"))):
        problems.append("date %r is not ISO 8601 with an offset" % row.get("date"))
    if "<" in mid or ">" in mid:
        problems.append("message_id %r keeps angle brackets" % mid)
    try:
        show = json.load(open(showdir + "/show.json"))
    except Exception as e:
        show = None
        problems.append("message show --json gave no JSON object: %s" % e)
    if show is not None:
        if subject != "-" and show.get("subject") != subject:
            problems.append("subject %r, wanted %r" % (show.get("subject"), subject))
        if row.get("subject") != show.get("subject"):
            problems.append("list says subject %r, show says %r" % (row.get("subject"), show.get("subject")))
        b = show.get("body")
        if not isinstance(b, str):
            problems.append("body is %r, not a string" % (b,))
        elif body != "-":
            flat = re.sub(r"\s+", " ", b)
            if body not in b and body not in flat:
                problems.append("body lacks %r; body starts %r" % (body, b[:300]))
        got = show.get("attachments")
        if not isinstance(got, list):
            problems.append("attachments is %r, not an array" % (got,))
        elif atts != "*":
            want = [] if atts == "-" else atts.split(",")
            have = ["%s:%s:%s" % (a.get("filename"), a.get("content_type"), a.get("size")) for a in got]
            if have != want:
                problems.append("attachments %r, wanted %r" % (have, want))
for p in problems:
    print(p)
PY

# deliver_and_check NAME FILE COMMUNITY EXITS STATUS SUBJECT BODY ATTACHMENTS
deliver_and_check() {
	local name=$1 file=$2 comm=$3 exits=$4 status=$5 subject=$6 body=$7 atts=$8
	local code problems
	if ! "$ROUNDS" message list "$comm" --json >"$T_TMP/before.json" 2>"$T_TMP/err"; then
		not_ok "$name: message list before delivery" "$(head -c 300 "$T_TMP/err")"
		return
	fi
	"$ROUNDS" deliver --recipient "$comm@lists.example.test" --sender "sender@example.org" \
		<"$file" >"$T_TMP/out" 2>"$T_TMP/err"
	code=$?
	if grep -q -e 'runtime error' -e 'AddressSanitizer' "$T_TMP/err"; then
		not_ok "$name: sanitizer report" "$(head -c 600 "$T_TMP/err")"
		return
	fi
	case ",$exits," in
	*",$code,"*) ;;
	*)
		not_ok "$name: exit code" "exit $code, wanted $exits" "$(head -c 300 "$T_TMP/err")"
		return
		;;
	esac
	if [ "$code" != 0 ] && [ ! -s "$T_TMP/err" ]; then
		not_ok "$name: a non-zero exit explains itself on stderr" "exit $code with empty stderr"
		return
	fi
	"$ROUNDS" message list "$comm" --json >"$T_TMP/after.json" 2>"$T_TMP/err" ||
		{ not_ok "$name: message list after delivery" "$(head -c 300 "$T_TMP/err")"; return; }
	python3 "$T_TMP/diff.py" "$T_TMP/before.json" "$T_TMP/after.json" >"$T_TMP/new" 2>"$T_TMP/err" ||
		{ not_ok "$name: message list gives JSON" "$(head -c 300 "$T_TMP/err")"; return; }
	rm -f "$T_TMP/show.json"
	if [ "$(wc -l <"$T_TMP/new")" = 1 ]; then
		"$ROUNDS" message show "$comm" "$(cat "$T_TMP/new")" --json >"$T_TMP/show.json" 2>"$T_TMP/err" ||
			{ not_ok "$name: message show" "$(head -c 300 "$T_TMP/err")"; return; }
	fi
	problems=$(python3 "$T_TMP/check.py" "$T_TMP/after.json" "$T_TMP/new" "$name" "$status" \
		"$subject" "$body" "$atts" "$T_TMP" 2>&1)
	if [ -z "$problems" ]; then
		ok "$name"
	else
		local IFS=$'\n'
		# shellcheck disable=SC2086
		not_ok "$name" $problems
	fi
}

count=0
while IFS=$'\t' read -r name exits status subject body atts; do
	case "$name" in '#'* | '') continue ;; esac
	count=$((count + 1))
	file=tests/mail/$name.eml
	[ -f "$file" ] || { not_ok "$name: file exists" "no $file"; continue; }
	case "$name" in nonmember-*) comm=clinic ;; *) comm=care ;; esac
	deliver_and_check "$name" "$file" "$comm" "$exits" "$status" "$subject" "$body" "$atts"
done <tests/mail/MANIFEST
if [ "$count" -ge 45 ]; then ok "corpus has $count messages"; else not_ok "corpus has at least 45 messages" "only $count"; fi

# A 10 MiB attachment (a zip of wound photos from a phone), generated here so
# that the repository stays small.  The content is pseudo-random but seeded,
# so every run builds the same message.
python3 - "$T_TMP/big-attachment.eml" <<'PY'
import base64, random, sys
rnd = random.Random(20240614)
data = rnd.randbytes(10 * 1024 * 1024)
b = base64.b64encode(data).decode()
with open(sys.argv[1], "w") as f:
    f.write("""Message-ID: <CAKx7pQ9big_attachment_20240614@mail.gmail.com>
Date: Fri, 14 Jun 2024 18:03:00 +0200
From: Claire Dubois <claire.dubois@example.com>
To: care@lists.example.test
Subject: Wound photos for the case review
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="0000000000004a9c7e061ab2f1d0"

--0000000000004a9c7e061ab2f1d0
Content-Type: text/plain; charset="UTF-8"

All photos from weeks 1 to 6 for Tuesday's case review, zipped.

Claire

--0000000000004a9c7e061ab2f1d0
Content-Type: application/zip; name="wound-photos-weeks-1-6.zip"
Content-Disposition: attachment; filename="wound-photos-weeks-1-6.zip"
Content-Transfer-Encoding: base64

""")
    for i in range(0, len(b), 76):
        f.write(b[i:i + 76] + "\n")
    f.write("--0000000000004a9c7e061ab2f1d0--\n")
PY
t0=$(date +%s%N)
deliver_and_check "big-attachment-10MiB" "$T_TMP/big-attachment.eml" care 0 posted \
	"Wound photos for the case review" "for Tuesday's case review" \
	"wound-photos-weeks-1-6.zip:application/zip:10485760"
t1=$(date +%s%N)
echo "# 10 MiB attachment delivered in $(((t1 - t0) / 1000000)) ms"

# 21 MiB is over the default 20 MiB limit: 65, and nothing stored.
python3 - "$T_TMP/too-big.eml" <<'PY'
import sys
line = "Daily observations: temperature 36.8, pulse 72, dressing dry and intact.\n"
with open(sys.argv[1], "w") as f:
    f.write("""Message-ID: <too-big.20240615@example.org>
Date: Sat, 15 Jun 2024 08:00:00 +0100
From: Priya Nair <priya.nair@example.org>
To: care@lists.example.test
Subject: Observation log export
MIME-Version: 1.0
Content-Type: text/plain; charset=us-ascii

""")
    n = 21 * 1024 * 1024 // len(line) + 1
    f.write(line * n)
PY
deliver_and_check "over-size-limit-21MiB" "$T_TMP/too-big.eml" care 65 - - - -
t_done
