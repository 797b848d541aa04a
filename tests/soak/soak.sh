# tests/soak/soak.sh - the soak: SOAK_COUNT deliveries from SOAK_WRITERS
# concurrent writers while one `rounds run` renders digests and sends them
# to smtp-sink.  Sourced by tests/t-soak.sh (5,000 deliveries, in make
# check) and run by `make soak` (100,000).
#
# The days: `rounds run` reads the real clock, and a digest is due only at
# a slot after the member joined, so a day cannot simply pass for it.  A
# ticker in this script makes one pass with `tick --no-send --now DAY`
# each time another 1/SOAK_DAYS of the deliveries is in: that decides and
# queues the day's digests (frozen selections) for a day in the future,
# and `outbox retry` makes each one due now, so `rounds run` renders and
# sends it on its next pass, while the writers go on.
#
# Checked at the end: every exit code 0 or 75 and every message accepted;
# each message stored exactly once; every digest item sent, exactly one
# copy of each at smtp-sink; each member's digests together announce every
# message exactly once (the subjects' "N new messages" add up to the
# count: nothing skipped, nothing twice); `rounds run` stops cleanly; and
# its memory stays flat: the anonymous resident set (RssAnon of
# /proc/PID/status, sampled every 0.2 s with VmRSS) of the last quarter of
# the run peaks within SOAK_RSS_SLACK percent (10) of the first quarter's
# peak plus SOAK_RSS_ALLOW_KB (2048), the first tenth of the samples being
# warm-up (GLib's and GMime's tables).  The allowance is SQLite's page
# cache, which fills as the database grows (up to cache_size) and, on a
# fast machine, is still filling when a short run ends; a leak grows with
# the work and outruns it on a long make soak.  RssAnon, not VmRSS: the store maps the database (PRAGMA
# mmap_size), so VmRSS also counts the pages of a database that grows by
# design with every delivery; a leak grows the heap, which is anonymous.
# Both are printed.

. tests/lib.sh

COUNT=${SOAK_COUNT:-5000}
WRITERS=${SOAK_WRITERS:-8}
DAYS=${SOAK_DAYS:-10}
MEMBERS=${SOAK_MEMBERS:-12}
SLACK=${SOAK_RSS_SLACK:-10}
ALLOW=${SOAK_RSS_ALLOW_KB:-2048}
R=$ROUNDS

t_home
"$R" community create care --title "Care Team" --policy open --quiet >/dev/null ||
	not_ok "create the open community care"
for ((m = 0; m < MEMBERS; m++)); do echo "reader$m@readers.example.org"; done >"$T_TMP/members"
"$R" member add care --file "$T_TMP/members" >/dev/null || not_ok "add the members"
sink_start "$T_TMP/sink" || not_ok "smtp-sink starts"
set_smtp "$SINK_PORT"

# COUNT distinct messages by authors who are not members (so every member's
# digests announce every message).  A conversation is 50 messages in a
# row (the first is its root, the others reply to it), so the load is the
# same on the last day as on the first: threads do not grow without end,
# and growing memory would be the daemon's own.
mkdir -p "$T_TMP/msgs"
python3 - "$T_TMP/msgs" "$COUNT" <<'PY'
import sys
out, count = sys.argv[1], int(sys.argv[2])
for i in range(count):
    conv, root = i // 50, i - i % 50
    thread = [] if i == root else ["In-Reply-To: <soak-%06d@example.org>" % root,
                                   "References: <soak-%06d@example.org>" % root]
    text = "\n".join(["From: Nurse %d <nurse%d@example.org>" % (i % 7, i % 7),
                      "To: care@lists.example.test",
                      "Subject: %sCase %d: dressing plan" % ("Re: " if thread else "", conv),
                      "Date: Tue, %d Jun 2025 10:%02d:%02d +0000" % (1 + conv % 28, i % 60, i * 13 % 60),
                      "Message-ID: <soak-%06d@example.org>" % i] + thread +
                     ["MIME-Version: 1.0", "Content-Type: text/plain; charset=utf-8", "",
                      "Update %d on case %d: dressing changed, wound bed granulating." % (i, conv),
                      "Next review in 3 days.", "", "> Earlier: how is it healing?", ""])
    open("%s/%06d.eml" % (out, i), "w").write(text)
PY

# The daemon, a pass a second, and its resident set sampled until it ends.
"$R" run --interval 1 2>"$T_TMP/run.err" &
run_pid=$!
(
	while [ -r "/proc/$run_pid/status" ]; do
		awk '/^VmRSS:/ {v = $2} /^RssAnon:/ {a = $2} END {if (a) print v, a}' "/proc/$run_pid/status" 2>/dev/null
		sleep 0.2
	done
) >"$T_TMP/rss" &
rss_pid=$!

# writer K: every message whose number is K modulo WRITERS, retrying a 75
# as an MTA's queue would (much sooner).  One line per attempt: "I CODE".
writer() {
	local k=$1 i code
	for i in $(seq "$k" "$WRITERS" $((COUNT - 1))); do
		for _ in $(seq 1 40); do
			"$R" deliver --recipient care@lists.example.test --sender sender@example.org \
				<"$T_TMP/msgs/$(printf %06d "$i").eml" >/dev/null 2>"$T_TMP/err.$k"
			code=$?
			echo "$i $code" >>"$T_TMP/attempts.$k"
			[ "$code" = 75 ] || break
			sleep "0.$((RANDOM % 3 + 1))"
		done
		[ "$code" = 0 ] || cp "$T_TMP/err.$k" "$T_TMP/fail.$i"
	done
}
accepted() { cat "$T_TMP"/attempts.* 2>/dev/null | awk '$2 == 0' | wc -l; }

# day K: queue the digests of simulated day K and make them due now.
day=0
next_day() {
	day=$((day + 1))
	"$R" tick --no-send --quiet --now "$(date -u -d "$day days" +%Y-%m-%dT12:00:00Z)" >/dev/null 2>>"$T_TMP/tick.err" ||
		echo "tick of day $day failed" >>"$T_TMP/tick.fail"
	"$R" outbox list --json | python3 -c '
import json, sys
for o in json.load(sys.stdin):
    if o["kind"] == "digest" and o["status"] != "sent" and o["attempts"] == 0:
        print(o["id"])' | while read -r id; do "$R" outbox retry "$id" >/dev/null 2>>"$T_TMP/tick.err"; done
}

start=$(date +%s)
for ((k = 0; k < WRITERS; k++)); do writer "$k" & writers="${writers:-} $!"; done
# The ticker paces itself on the writers' progress (polling, as wait_for does).
while [ "$day" -lt $((DAYS - 1)) ]; do
	if [ "$(accepted)" -ge $(((day + 1) * COUNT / DAYS)) ]; then next_day; continue; fi
	alive=0
	for p in $writers; do kill -0 "$p" 2>/dev/null && alive=1; done
	[ "$alive" = 1 ] || break
	sleep 0.2
done
wait $writers
next_day
elapsed=$(($(date +%s) - start))

digests() { outbox_n 'o["kind"] == "digest"'; }
unsent() { [ "$(outbox_n 'o["kind"] == "digest" and o["status"] != "sent"')" = 0 ]; }
for _ in $(seq 1 600); do unsent && break; sleep 0.2; done
n_digests=$(digests)
for _ in $(seq 1 100); do sink_has "$T_TMP/sink" "$n_digests" && break; sleep 0.2; done
kill -TERM "$run_pid"
wait "$run_pid"
run_code=$?
wait "$rss_pid"
echo "# $COUNT deliveries by $WRITERS writers in ${elapsed}s, $day days, $n_digests digests to $MEMBERS members ($R)"
echo "# attempts by exit code: $(cat "$T_TMP"/attempts.* | awk '{print $2}' | sort | uniq -c | awk '{printf "%s×%s ", $2, $1}')"

other=$(cat "$T_TMP"/attempts.* | awk '$2 != 0 && $2 != 75')
expect_eq "every exit code is 0 or 75" "$(echo "$other" | grep -c .)" 0
expect_eq "every delivery was accepted" "$(accepted)" "$COUNT"
[ -e "$T_TMP/tick.fail" ] && not_ok "every tick succeeded" "$(cat "$T_TMP/tick.fail" "$T_TMP/tick.err" | head -5)" ||
	ok "every tick succeeded"

"$R" message list care --json >"$T_TMP/list.json"
expect_eq "each message is stored exactly once" "$(python3 - "$T_TMP/list.json" "$COUNT" <<'PY'
import json, sys, collections
ids = collections.Counter(r["message_id"] for r in json.load(open(sys.argv[1])))
want = {"soak-%06d@example.org" % i for i in range(int(sys.argv[2]))}
print("rows=%d duplicates=%d missing=%d" % (sum(ids.values()), sum(n - 1 for n in ids.values()), len(want - set(ids))))
PY
)" "rows=$COUNT duplicates=0 missing=0"

"$R" outbox list --json >"$T_TMP/outbox.json"
res=$(python3 - "$T_TMP/outbox.json" "$T_TMP/sink" "$T_TMP/members" <<'PY'
import json, sys, os, re, collections, email, email.policy
items = [o for o in json.load(open(sys.argv[1])) if o["kind"] == "digest"]
unsent = sum(1 for o in items if o["status"] != "sent")
# What smtp-sink received: one file per message; the Message-ID tells
# copies apart, and the subject says how many messages are announced
# ("..., 7 new messages — ...").
mids = collections.Counter()
per = collections.Counter()
for f in os.listdir(sys.argv[2]):
    with open(os.path.join(sys.argv[2], f), "rb") as fh:
        m = email.message_from_binary_file(fh, policy=email.policy.default)
    mids[m.get("Message-ID")] += 1
    rcpt = re.search(r"<([^>]*)>", m.get("X-Rcpt-Args", "")).group(1)
    n = re.search(r"(\d+) new messages?", str(m.get("Subject", "")))
    per[rcpt] += int(n.group(1)) if n else 0
counts = sorted(set(per[a.strip()] for a in open(sys.argv[3]) if a.strip()))
print("items=%d unsent=%d" % (len(items), unsent))
print("received=%d distinct=%d" % (sum(mids.values()), len(mids)))
print("announced=%s" % counts)
PY
)
expect_eq "every digest item is sent" "$(echo "$res" | sed -n 1p)" "items=$n_digests unsent=0"
expect_eq "smtp-sink got each digest exactly once" "$(echo "$res" | sed -n 2p)" "received=$n_digests distinct=$n_digests"
expect_eq "each member's digests announce every message once" "$(echo "$res" | sed -n 3p)" "announced=[$COUNT]"
[ "$n_digests" -ge $((MEMBERS * 2)) ] && ok "digests went out during the run ($n_digests)" ||
	not_ok "digests went out during the run" "only $n_digests"
expect_eq "rounds run stops on SIGTERM with 0" "$run_code" 0

rss=$(python3 - "$T_TMP/rss" "$SLACK" "$ALLOW" <<'PY'
import sys
rows = [l.split() for l in open(sys.argv[1])]
rows = [(int(r[0]), int(r[1])) for r in rows if len(r) == 2 and r[0].isdigit() and r[1].isdigit()]
slack = int(sys.argv[2])
allow = int(sys.argv[3])
rows = rows[len(rows) // 10:]
q = max(1, len(rows) // 4)
def peaks(col):
    return max(r[col] for r in rows[:q]), max(r[col] for r in rows[-q:])
a1, a2 = peaks(1)
v1, v2 = peaks(0)
print("%s samples=%d RssAnon first-quarter-max=%dkB last-quarter-max=%dkB (%+.1f%%); VmRSS %dkB -> %dkB (%+.1f%%)" % (
    "flat" if a2 <= a1 * (100 + slack) / 100 + allow else "growing", len(rows), a1, a2, 100.0 * (a2 - a1) / a1,
    v1, v2, 100.0 * (v2 - v1) / v1))
PY
)
echo "# memory: $rss"
case "$rss" in
flat*) ok "rounds run's heap stays flat (last quarter within $SLACK% + ${ALLOW} kB of the first)" ;;
*) not_ok "rounds run's heap stays flat (last quarter within $SLACK% + ${ALLOW} kB of the first)" "$rss" ;;
esac
[ -n "${SOAK_RESULT:-}" ] && echo "$COUNT deliveries, $WRITERS writers, ${elapsed}s, $day days, $n_digests digests; rss $rss; $T_FAILED failed" >"$SOAK_RESULT"
t_done
