#!/bin/bash
# t-report.sh - rounds report (issue 14): a generated community history
# imported through the real binary, for which every figure was worked out
# by hand beforehand (the comments below show the working).
. tests/lib.sh

t_home
"$ROUNDS" community create wc --title "Wound care" --owner owner@example.org >/dev/null

# U, the end of the period: the next full hour plus one, so that the members
# added below (stamped with the real clock) joined inside the last 7 days.
U=$(python3 -c 'import time; print((int(time.time()) // 3600 + 2) * 3600)')
UISO=$(python3 -c "import datetime,sys; print(datetime.datetime.fromtimestamp($U, datetime.timezone.utc).strftime('%Y-%m-%dT%H:%M:%SZ'))")

# The history: ID FROM HOURS-BEFORE-U SUBJECT [PARENT-ID].  Weeks are the
# 7-day spans ending at U: w0 = [U-168h, U) is the period.
cat >"$T_TMP/history" <<'H'
# week 0, the period
m1  alice@example.org   168   Pressure ulcer staging
m2  bob@example.org     158   Re: Pressure ulcer staging      m1
m3  ALICE@Example.org   148   Re: Pressure ulcer staging      m2
m4  carol@example.org   100   Re: Pressure ulcer staging      m1
m5  bob@example.org     120   Night shift handover
m13 bob@example.org     119   Re: Night shift handover        m5
m6  gina@example.org     90   Hello from the ICU
m7  alice@example.org    84   Re: Hello from the ICU          m6
m8  hank@example.org     70   Re: Old discussion              ghost
m9  bob@example.org      66.5 Re: Old discussion              m8
m10 hank@example.org     60   Re: Old discussion              m9
m11 carol@example.org    30   Dressing supplies
m12 alice@example.org   140   Re: Old question                e1
# after U: never counted
m14 dave@example.org     -5   Re: Dressing supplies           m11
# week 1
e1  erin@example.org    200   Old question
w1a alice@example.org   220   Topic w1a
w1b bob@example.org     230   Topic w1b
# week 2
w2a alice@example.org   390   Topic w2a
w2b bob@example.org     400   Topic w2b
# week 3
w3a alice@example.org   560   Topic w3a
w3c carol@example.org   570   Topic w3c
# week 4
w4a alice@example.org   720   Topic w4a
w4c carol@example.org   730   Topic w4c
w4d dave@example.org    740   Topic w4d
# week 5
w5a alice@example.org   890   Topic w5a
w5b bob@example.org     900   Topic w5b
w5c carol@example.org   910   Topic w5c
w5d dave@example.org    920   Topic w5d
# week 6
w6a alice@example.org  1060   Topic w6a
w6b bob@example.org    1070   Topic w6b
w6c carol@example.org  1080   Topic w6c
# week 7
w7b bob@example.org    1230   Topic w7b
w7d dave@example.org   1240   Topic w7d
# week 9, and week 12 (outside the 12 weeks shown)
w9f frank@example.org  1570   Topic w9f
w12 frank@example.org  2070   Topic w12
H
python3 - "$T_TMP/history" "$U" >"$T_TMP/history.mbox" <<'PY'
import sys, email.utils
U = int(sys.argv[2])
for line in open(sys.argv[1]):
    if not line.strip() or line.startswith("#"):
        continue
    f = line.split()
    mid, frm, hours = f[0], f[1], float(f[2])
    parent = f[-1] if (f[-1].startswith(("m", "e", "ghost")) and f[-2] != "Topic" and len(f) > 4 and f[3] == "Re:") else None
    subject = " ".join(f[3:-1] if parent else f[3:])
    date = email.utils.formatdate(U - hours * 3600, usegmt=True)
    print(f"From {frm} Mon Jan  1 00:00:00 2026")
    print(f"From: {frm}\nTo: wc@lists.example.test\nSubject: {subject}\nDate: {date}")
    print(f"Message-ID: <{mid}@report.test>")
    if parent:
        print(f"In-Reply-To: <{parent}@report.test>\nReferences: <{parent}@report.test>")
    print("MIME-Version: 1.0\nContent-Type: text/plain; charset=utf-8\n")
    print(f"Post {mid}.\n")
PY
expect_code 0 "import the generated history" "$ROUNDS" import wc "$T_TMP/history.mbox"
expect_eq "every message stored" "$(cat "$T_TMP/out")" \
	"imported 35 messages (35 new, 0 duplicates, 0 errors) from 1 paths"
for a in alice@example.org gina@example.org zoe@example.org yuri@example.org; do
	"$ROUNDS" member add wc "$a" >/dev/null
done
"$ROUNDS" member add wc bob@example.org --delivery each >/dev/null
# xavier joins and leaves again, and so does walt: two who left this week.
for a in xavier@example.org walt@example.org; do
	"$ROUNDS" member add wc "$a" >/dev/null
	"$ROUNDS" member remove wc "$a" >/dev/null
done

expect_code 0 "report --json" "$ROUNDS" report wc --until "$UISO" --json
cp "$T_TMP/out" "$T_TMP/r.json"
q() { json "$1" <"$T_TMP/r.json"; }

expect_eq "top-level keys are the contract" "$(q '",".join(d.keys())')" \
	"posts,threads_started,replies,posters,first_time_posters,pairs,replied_share,threads_without_reply,unanswered,first_reply_median_hours,core_group,members,readers_never_posted,weekly"
# m1..m13: m1 sits exactly on U-168h (the period includes its start); m14 is after U.
expect_eq "posts" "$(q 'd["posts"]')" 13
# T1 (m1), night shift (m5), hello (m6), the ghost thread (m8), dressing (m11);
# e1's thread began before the period.
expect_eq "threads_started" "$(q 'd["threads_started"]')" 5
# m2 m3 m4 m7 m9 m10 m12 m13; m8 answers a message never seen, so it has no parent.
expect_eq "replies" "$(q 'd["replies"]')" 8
expect_eq "posters (ALICE@Example.org is alice)" "$(q 'd["posters"]')" 5
expect_eq "first_time_posters" "$(q '",".join(d["first_time_posters"])')" \
	"gina@example.org,hank@example.org"
# {alice,bob} both ways (m2, m3), {alice,carol} (m4), {alice,gina} (m7),
# {bob,hank} both ways (m9, m10), {alice,erin} (m12 answers e1, older); m13 is
# bob answering himself.
expect_eq "pairs" "$(q '"%d/%d" % (d["pairs"]["reply_pairs"], d["pairs"]["reciprocated"])')" "5/2"
# Replied by someone else: m1 m2 m6 m8 m9 of 13 (m5 only by its author, m11
# only after U).
expect_eq "replied_share" "$(q 'd["replied_share"]')" "$(python3 -c 'print(round(5/13, 4))')"
# Night shift (bob answered himself) and dressing supplies (dave after U).
expect_eq "threads_without_reply" "$(q 'd["threads_without_reply"]')" 2
expect_eq "unanswered: only the one older than 48 hours" \
	"$(q '";".join("%s|%s|%s" % (t["subject"], t["author"], t["started"]) for t in d["unanswered"])')" \
	"Night shift handover|bob@example.org|$(python3 -c "import datetime; print(datetime.datetime.fromtimestamp($U - 120*3600, datetime.timezone.utc).strftime('%Y-%m-%dT%H:%M:%SZ'))")"
"$ROUNDS" thread list wc --json >"$T_TMP/threads"
expect_eq "unanswered: thread_id is the thread's" \
	"$(q 'd["unanswered"][0]["thread_id"]')" \
	"$(json '[t["thread_id"] for t in d if t["subject"] == "Night shift handover"][0]' <"$T_TMP/threads")"
# First answers: staging 10 h, hello 6 h, the ghost thread 3.5 h -> median 6.
expect_eq "first_reply_median_hours" "$(q 'd["first_reply_median_hours"]')" "6.0"
# Weeks 0-3: alice 4, bob 3, carol 2 -> 2; weeks 4-7: alice, bob, carol, dave 3 each.
expect_eq "core_group" \
	"$(q '"%d/%d/%s" % (d["core_group"]["size"], d["core_group"]["previous"], ",".join(d["core_group"]["members"]))')" \
	"2/4/alice@example.org,bob@example.org"
# The owner and five members, all added just now; xavier and walt left.
expect_eq "members" \
	"$(q '"%(total)d %(joined)d %(left)s %(bouncing)d %(paused)d" % d["members"]')" "6 6 2 0 0"
# Digest readers who never posted: the owner, zoe, yuri (bob reads each message).
expect_eq "readers_never_posted" "$(q 'd["readers_never_posted"]')" 3
expect_eq "weekly: 12 weeks, oldest first" \
	"$(q '" ".join("%d/%d" % (w["posts"], w["posters"]) for w in d["weekly"])')" \
	"0/0 0/0 1/1 0/0 2/2 3/3 4/4 3/3 2/2 2/2 3/3 13/5"
expect_eq "weekly: the last week starts 7 days before --until" \
	"$(q 'd["weekly"][-1]["week_start"]')" \
	"$(python3 -c "import datetime; print(datetime.datetime.fromtimestamp($U - 168*3600, datetime.timezone.utc).strftime('%Y-%m-%dT%H:%M:%SZ'))")"

# --since defaults to 7 days before --until, --until to now ($ROUNDS_NOW).
ROUNDS_NOW=$UISO "$ROUNDS" report wc --json >"$T_TMP/default.json"
if cmp -s "$T_TMP/r.json" "$T_TMP/default.json"; then ok "defaults: the last 7 days up to now"; else not_ok "defaults: the last 7 days up to now" "$(diff "$T_TMP/r.json" "$T_TMP/default.json" | head -5)"; fi

# A past period: weeks 5 and 4 (alice, carol, dave and bob, all seen before).  Nobody was a member yet.
"$ROUNDS" report wc --since "$(python3 -c "import datetime; print(datetime.datetime.fromtimestamp($U - 1008*3600, datetime.timezone.utc).isoformat())")" \
	--until "$(python3 -c "import datetime; print(datetime.datetime.fromtimestamp($U - 672*3600, datetime.timezone.utc).isoformat())")" --json >"$T_TMP/old.json"
expect_eq "past period: posts, posters, first-timers, members, left" \
	"$(json '"%d %d %s %d %d" % (d["posts"], d["posters"], ",".join(d["first_time_posters"]), d["members"]["total"], d["members"]["left"])' <"$T_TMP/old.json")" \
	"7 4  0 0"

# The text table says the same.
expect_code 0 "report as text" "$ROUNDS" report wc --until "$UISO"
grep -q '^  posts  *13$' "$T_TMP/out" && grep -q 'reply pairs  *5 (2 reciprocated)' "$T_TMP/out" &&
	grep -q 'unanswered: thread [0-9]* "Night shift handover" by bob@example.org' "$T_TMP/out" &&
	ok "text table" || not_ok "text table" "$(head -30 "$T_TMP/out")"

expect_code 64 "bad date" "$ROUNDS" report wc --since yesterday
expect_code 64 "since after until" "$ROUNDS" report wc --since 2026-12-01 --until 2026-11-01
expect_code 66 "unknown community" "$ROUNDS" report nosuch
expect_code 0 "a bare date is midnight UTC" "$ROUNDS" report wc --since 2026-01-01 --until 2026-01-08 --json
expect_eq "bare date: weeks end at midnight" "$(json 'd["weekly"][-1]["week_start"]' <"$T_TMP/out")" "2026-01-01T00:00:00Z"

# ---- the weekly owner report ----
# A second community with a fixed history, dated relative to S, the first
# Wednesday 09:00 UTC after now (an owner's first report comes at the first
# slot after they became owner): the period of the report is the 7 days
# before S.  The golden files write every time as its offset from S.
"$ROUNDS" community create golden --title "Night nurses" --owner boss@example.org >/dev/null
S=$(python3 -c 'import time; t = int(time.time()); d = (t // 86400 + 1) * 86400
while True:
    if time.gmtime(d).tm_wday == 2 and d + 9 * 3600 > t: break
    d += 86400
print(d + 9 * 3600)')
at() { python3 -c "import datetime; print(datetime.datetime.fromtimestamp($S + int($1 * 3600), datetime.timezone.utc).strftime('%Y-%m-%dT%H:%M:%SZ'))"; }
rfc() { python3 -c "import email.utils; print(email.utils.formatdate($S + int($1 * 3600), usegmt=True))"; }
# Times in the golden files become offsets from S ("S-7d", "S+0h" ...).
normalise() {
	python3 -c '
import datetime, re, sys
S = int(sys.argv[1])
def rel(m):
    t = int(datetime.datetime.strptime(m.group(0), "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=datetime.timezone.utc).timestamp())
    h = (t - S) / 3600
    if h == 0: return "S"
    return "S%+dd" % (h // 24) if h % 24 == 0 else "S%+gh" % h
sys.stdout.write(re.sub(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", rel, sys.stdin.read()))' "$S"
}
"$ROUNDS" tick --now "$(at -1)" --no-send --quiet
expect_eq "on by default, but no report before the first slot after joining" "$(outbox_n 'o["kind"] == "report"')" 0
# (The moderator joins after that tick: in New York the slot before S-1h is
# S-7d+5h, which is after now on a Wednesday morning.)
"$ROUNDS" member add golden mod@example.org --role moderator >/dev/null
"$ROUNDS" member set golden mod@example.org --timezone America/New_York >/dev/null
printf '\n[report]\nweekly = false\nweekday = wednesday\nhour = 09:00\n' >>"$ROUNDS_HOME/rounds.conf"
expect_code 0 "weekly = false: a tick queues no report" "$ROUNDS" tick --now "$(at 6)" --no-send --quiet
expect_eq "weekly = false: none queued" "$(outbox_n 'o["kind"] == "report"')" 0
sed -i 's/^weekly = false$/weekly = true/' "$ROUNDS_HOME/rounds.conf"
sed -i 's/^weekday = wednesday$/weekday = someday/' "$ROUNDS_HOME/rounds.conf"
expect_code 78 "a weekday that is none: the tick names the key" "$ROUNDS" tick --now "$(at 6)" --no-send --quiet
grep -q 'weekday' "$T_TMP/err" && ok "the error names [report] weekday" || not_ok "the error names [report] weekday" "$(cat "$T_TMP/err")"
sed -i 's/^weekday = someday$/weekday = wednesday/' "$ROUNDS_HOME/rounds.conf"
gmail() { # ID FROM HOURS-FROM-S SUBJECT [PARENT]
	printf 'From %s Mon Jan  1 00:00:00 2026\nFrom: %s\nTo: golden@lists.example.test\n' "$2" "$2"
	printf 'Subject: %s\nDate: %s\nMessage-ID: <%s@golden.test>\n' "$4" "$(rfc "$3")" "$1"
	[ -n "${5:-}" ] && printf 'In-Reply-To: <%s@golden.test>\n' "$5"
	printf 'MIME-Version: 1.0\nContent-Type: text/plain; charset=utf-8\n\nPost %s.\n\n' "$1"
}
{
	gmail g6 ben@example.org -503 "Older topic"
	gmail g5 ann@example.org -359 "Earlier topic"
	gmail g1 ann@example.org -143 "Night fever protocol"
	gmail g2 ben@example.org -139.5 "Re: Night fever protocol" g1
	gmail g3 ann@example.org -121 "Re: Night fever protocol" g2
	gmail g4 cat@example.org -93 "Catheter care & question"
} >"$T_TMP/golden.mbox"
"$ROUNDS" import golden "$T_TMP/golden.mbox" >/dev/null
reports() { outbox_n "o['kind'] == 'report' and o['recipient'] == '$1'"; }
expect_code 0 "tick on Wednesday 15:00 UTC" "$ROUNDS" tick --now "$(at 6)" --no-send --quiet
expect_eq "owner and New York moderator: one report each" "$(reports boss@example.org) $(reports mod@example.org)" "1 1"
expect_code 0 "a second tick (a restart) the same day" "$ROUNDS" tick --now "$(at 7)" --no-send --quiet
expect_eq "still exactly one each" "$(reports boss@example.org) $(reports mod@example.org)" "1 1"
"$ROUNDS" tick --now "$(at 169)" --no-send --quiet
expect_eq "next Wednesday 10:00 UTC: the owner's came, 09:00 in New York has not" \
	"$(reports boss@example.org) $(reports mod@example.org)" "2 1"
"$ROUNDS" tick --now "$(at 173.5)" --no-send --quiet
expect_eq "14:30 UTC: the moderator's too" "$(reports boss@example.org) $(reports mod@example.org)" "2 2"

db=$ROUNDS_HOME/rounds.db
"$ROUNDS" outbox show "$("$ROUNDS" outbox list --json | json '[o["id"] for o in d if o["kind"] == "report" and o["recipient"] == "boss@example.org"][-1]')" >"$T_TMP/report.eml"
python3 - "$T_TMP/report.eml" "$T_TMP" <<'PY' >"$T_TMP/parts"
import email, email.policy, struct, sys
m = email.message_from_binary_file(open(sys.argv[1], "rb"), policy=email.policy.default)
print(m.get_content_type(), m["Subject"], m["Auto-Submitted"])
for part in m.walk():
    ct = part.get_content_type()
    if ct == "text/plain":
        open(sys.argv[2] + "/report.txt", "w").write(part.get_content())
    elif ct == "text/html":
        open(sys.argv[2] + "/report.html", "w").write(part.get_content())
    elif ct == "image/png":
        png = part.get_content()
        w, h = struct.unpack(">II", png[16:24])
        print("png", part["Content-ID"], png[:8] == b"\x89PNG\r\n\x1a\n", png[12:16].decode(), w, h)
        # Decode it: the chunks' CRCs hold and the image data inflates to
        # exactly h rows of w pixels (plus a filter byte each).
        import zlib
        pos, idat, crc_ok = 8, b"", True
        while pos < len(png):
            n, kind = struct.unpack(">I4s", png[pos:pos + 8])
            data = png[pos + 8:pos + 8 + n]
            crc_ok &= zlib.crc32(kind + data) == struct.unpack(">I", png[pos + 8 + n:pos + 12 + n])[0]
            if kind == b"IDAT":
                idat += data
            pos += 12 + n
        depth, ctype = png[24], png[25]
        bpp = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}[ctype] * depth // 8
        print("decoded", crc_ok, len(zlib.decompress(idat)) == h * (1 + w * bpp))
PY
expect_eq "report mail: alternative, subject, auto-generated" "$(head -1 "$T_TMP/parts")" \
	"multipart/alternative Weekly report: Night nurses auto-generated"
expect_eq "the chart: a 600x240 PNG with a Content-ID" "$(grep '^png' "$T_TMP/parts")" \
	"png <chart@rounds> True IHDR 600 240"
expect_eq "the chart decodes: CRCs hold, 240 rows of 600 pixels" "$(grep '^decoded' "$T_TMP/parts")" "decoded True True"
normalise <"$T_TMP/report.txt" >"$T_TMP/report.txt.n"
normalise <"$T_TMP/report.html" >"$T_TMP/report.html.n"
if diff -u tests/report/weekly.txt "$T_TMP/report.txt.n" >"$T_TMP/diff"; then ok "golden text report"; else not_ok "golden text report" "$(head -20 "$T_TMP/diff")"; fi
if diff -u tests/report/weekly.html "$T_TMP/report.html.n" >"$T_TMP/diff"; then ok "golden HTML report"; else not_ok "golden HTML report" "$(head -20 "$T_TMP/diff")"; fi
grep -q 'src="cid:chart@rounds"' "$T_TMP/report.html" && ok "HTML shows the chart by its Content-ID" || not_ok "HTML shows the chart by its Content-ID"
expect_eq "HTML: the numbers as a table too (12 weeks)" "$(grep -c '^<tr><td>[0-9]\{4\}-' "$T_TMP/report.html")" 12
expect_eq "HTML: the actions are mailto links" "$(grep -c '^<li><a href="mailto:' "$T_TMP/report.html")" 2
grep -q 'Catheter care &amp; question' "$T_TMP/report.html" && ok "HTML escapes the subjects" || not_ok "HTML escapes the subjects"

# A broken template holds up neither the pass nor the outbox; the report
# goes out on the next pass once it is repaired.
mkdir -p "$ROUNDS_HOME/templates/golden"
printf '{{#unclosed}}\n' >"$ROUNDS_HOME/templates/golden/report.txt.mustache"
expect_code 0 "a broken report template: the tick still succeeds" \
	"$ROUNDS" tick --now "$(at 337)" --no-send --quiet
expect_eq "a broken report template: no report" "$(reports boss@example.org)" 2
rm "$ROUNDS_HOME/templates/golden/report.txt.mustache"
"$ROUNDS" tick --now "$(at 337.1)" --no-send --quiet
expect_eq "repaired: the report goes out" "$(reports boss@example.org)" 3

t_done
