#!/bin/bash
# t-crash.sh - exactly once: kill -9 `rounds tick` at many random points
# while it decides and queues digests, run it again, and every person has
# exactly one digest queued; nobody is skipped, nobody gets two.
. tests/lib.sh

# The plain build: this is about transactions, not memory errors, and the
# sanitizer build would make each pass too slow to kill in the middle.
R=${ROUNDS_PLAIN:-$TOP/build/rounds}
t_home
N=5000
"$R" community create care --policy open >/dev/null
"$R" community create ward --policy open >/dev/null
seq 1 $N | sed 's/.*/p&@example.org/' >"$T_TMP/people"
"$R" member add care --file "$T_TMP/people" >/dev/null
seq 1 $((N / 2)) | sed 's/.*/p&@example.org/' >"$T_TMP/half"
"$R" member add ward --file "$T_TMP/half" >/dev/null
for i in 1 2 3 4; do
	printf 'From: a@example.com\nSubject: s%s\nMessage-ID: <m%s@x>\n\nbody %s\n' $i $i $i |
		"$R" deliver --recipient care@lists.example.test
	printf 'From: b@example.com\nSubject: w%s\nMessage-ID: <w%s@x>\n\nbody %s\n' $i $i $i |
		"$R" deliver --recipient ward@lists.example.test
done
# Five days: each day new posts, a pass killed at random points (each kill
# lands in a pass that still has work), then a pass that completes.
# How long an uninterrupted pass takes, measured on a copy, so that the
# kills land inside a pass on any machine.
cp -r "$ROUNDS_HOME" "$T_TMP/calibrate"
t0=$(date +%s%N)
ROUNDS_HOME="$T_TMP/calibrate" "$R" tick --no-send --quiet --now "$(date -u -d '1 days 12:00' +%Y-%m-%dT%H:%M:%SZ)"
window=$(( ($(date +%s%N) - t0) / 1000000 ))
[ "$window" -lt 10 ] && window=10
echo "# an uninterrupted pass takes ${window} ms"
killed=0
for day in 1 2 3 4 5; do
	now=$(date -u -d "$day days 12:00" +%Y-%m-%dT%H:%M:%SZ)
	printf 'From: a@example.com\nSubject: day %s\nMessage-ID: <d%s@x>\n\nnews %s\n' $day $day $day |
		"$R" deliver --recipient care@lists.example.test
	for i in 1 2 3 4; do
		"$R" tick --no-send --quiet --now "$now" &
		pid=$!
		ms=$((RANDOM % window))
		sleep "$((ms / 1000)).$(printf '%03d' $((ms % 1000)))"
		kill -9 "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
		# 137: the kill landed while the pass was running.
		[ $? -eq 137 ] && killed=$((killed + 1))
	done
	"$R" tick --no-send --quiet --now "$now" || not_ok "day $day: final pass"
done
echo "# killed $killed passes in the middle"
[ "$killed" -ge 3 ] && ok "passes were killed mid-way ($killed)" || not_ok "passes were killed mid-way ($killed)"
"$R" outbox list --json >"$T_TMP/outbox.json"
python3 - "$T_TMP/outbox.json" $N <<'PY' >"$T_TMP/verdict"
import json, sys, collections
items = json.load(open(sys.argv[1]))
n = int(sys.argv[2])
per = collections.Counter(o["recipient"] for o in items)
missing = [f"p{i}@example.org" for i in range(1, n + 1) if per[f"p{i}@example.org"] != 5]
print(len(items), len(missing))
PY
read -r total wrong <"$T_TMP/verdict"
expect_eq "one digest per person per day (total)" "$total" "$((N * 5))"
expect_eq "nobody skipped, nobody twice" "$wrong" 0
expect_code 0 "another pass in the same slot" "$R" tick --no-send --now "$now"
expect_eq "still one each" "$("$R" outbox list --json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')" "$((N * 5))"

# Sending: kill `rounds outbox flush` at random points while it talks to a
# real SMTP server, then let it finish.  Nobody is skipped; the only
# duplicates are the documented window (a message the server accepted just
# before the kill, sent again with the same Message-ID).
sink_start "$T_TMP/sink"
set_smtp "$SINK_PORT"
flushnow=$(date -u -d "5 days 13:00" +%Y-%m-%dT%H:%M:%SZ)
for i in 1 2 3 4 5; do
	"$R" outbox flush --now "$flushnow" >/dev/null &
	pid=$!
	sleep "0.$(printf '%03d' $((RANDOM % 500)))"
	kill -9 "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
done
expect_code 0 "a final flush" "$R" outbox flush --now "$flushnow"
wait_for sink_has "$T_TMP/sink" $((N * 5))
python3 - "$T_TMP/sink" $((N * 5)) <<'PY' >"$T_TMP/sent"
import sys, os, collections, re
d, want = sys.argv[1], int(sys.argv[2])
ids = collections.Counter()
for f in os.listdir(d):
    text = open(os.path.join(d, f), "rb").read().decode("utf-8", "replace")
    m = re.search(r"(?mi)^Message-Id: <([^>]+)>", text)
    ids[m.group(1) if m else f] += 1
print(len(ids), want - len(ids), sum(c - 1 for c in ids.values()))
PY
read -r distinct missing dups <"$T_TMP/sent"
expect_eq "every queued digest was delivered" "$missing" 0
echo "# $dups duplicate deliveries from kills inside an SMTP batch (same Message-ID)"
expect_eq "nothing left in the outbox" "$("$R" outbox list --json | python3 -c 'import json,sys; print(sum(1 for o in json.load(sys.stdin) if o["status"] != "sent"))')" 0
t_done
