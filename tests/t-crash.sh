#!/bin/bash
# t-crash.sh - exactly once: kill -9 `rounds tick` at many random points
# while it decides and queues digests, run it again, and every person has
# exactly one digest queued; nobody is skipped, nobody gets two.  Then
# the same for deliver, import, and the LMTP listener (issue 18): every
# message stored once, every copy queued once.
#
# The kill points come from $RANDOM, seeded from CRASH_SEED (printed: run
# `CRASH_SEED=N bash tests/t-crash.sh` to replay the same points).
. tests/lib.sh
SEED=${CRASH_SEED:-$(( $(date +%s) % 100000 ))}
RANDOM=$SEED
echo "# seed $SEED (CRASH_SEED=$SEED replays these kill points)"

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
# kill_after MS PID: SIGKILL PID after MS milliseconds; 0 when the kill
# landed while it ran (exit 137).
kill_after() {
	sleep "$(($1 / 1000)).$(printf '%03d' $(($1 % 1000)))"
	kill -9 "$2" 2>/dev/null
	wait "$2" 2>/dev/null
	[ $? -eq 137 ]
}
# ms_of CMD...: how long CMD takes, in ms (at least 10).
ms_of() {
	local t0 ms
	t0=$(date +%s%N)
	"$@" >/dev/null 2>&1
	ms=$((($(date +%s%N) - t0) / 1000000))
	[ "$ms" -lt 10 ] && ms=10
	echo "$ms"
}
# crash_check NAME WANT: every message of care once (WANT of them, all
# distinct), and each every-message member's copy of each queued once.
crash_check() {
	"$R" message list care --json >"$T_TMP/m.json"
	"$R" outbox list --json >"$T_TMP/o.json"
	python3 - "$T_TMP/m.json" "$T_TMP/o.json" <<'PY' >"$T_TMP/verdict"
import json, sys, collections
ms = json.load(open(sys.argv[1])); os_ = json.load(open(sys.argv[2]))
ids = collections.Counter(m["message_id"] for m in ms)
per = collections.Counter((o["recipient"], o["subject"]) for o in os_ if o["kind"] == "post")
print(len(ms), len(ids), sum(1 for c in per.values() if c != 1), len(per))
PY
	read -r rows distinct twice copies <"$T_TMP/verdict"
	expect_eq "$1: every message stored once ($2)" "$rows $distinct" "$2 $2"
	expect_eq "$1: each copy to every-message members queued once" "$twice $copies" "0 $((2 * $2))"
}
crash_home() {
	t_home
	"$R" community create care --policy open >/dev/null
	"$R" member add care jo@example.org sam@example.org --delivery each >/dev/null
}
post() { # I: post number I
	printf 'From: Priya <priya@example.org>\nTo: care@lists.example.test\nDate: Tue, 11 Jun 2024 09:30:00 +0100\n'
	printf 'Message-ID: <crash%s@example.org>\nSubject: Round %s\n\nFoam dressing changed, round %s.\n' "$1" "$1" "$1"
}

# deliver: each message's process killed at a random point, then retried
# as the MTA does until it exits 0.
crash_home
post 0 >"$T_TMP/p.eml"
window=$(ms_of "$R" deliver --recipient care@lists.example.test --sender priya@example.org <"$T_TMP/p.eml")
killed=0
for i in $(seq 1 25); do
	post "$i" >"$T_TMP/p.eml"
	"$R" deliver --recipient care@lists.example.test --sender priya@example.org <"$T_TMP/p.eml" &
	kill_after $((RANDOM % window)) $! && killed=$((killed + 1))
	until "$R" deliver --recipient care@lists.example.test --sender priya@example.org <"$T_TMP/p.eml"; do :; done
done
echo "# deliver: killed $killed of 25 in the middle (a pass takes ${window} ms)"
[ "$killed" -ge 3 ] && ok "deliver: killed mid-way ($killed)" || not_ok "deliver: killed mid-way ($killed)"
crash_check deliver 26

# import: an mbox of 400 posts, killed at random points, then run to the end.
crash_home
for i in $(seq 1 400); do printf 'From priya@example.org Tue Jun 11 09:30:00 2024\n'; post "$i"; echo; done >"$T_TMP/big.mbox"
cp -r "$ROUNDS_HOME" "$T_TMP/calibrate-import"
window=$(ROUNDS_HOME="$T_TMP/calibrate-import" ms_of "$R" import care "$T_TMP/big.mbox" --quiet)
killed=0
for i in 1 2 3 4 5 6; do
	"$R" import care "$T_TMP/big.mbox" --quiet >/dev/null 2>&1 &
	kill_after $((RANDOM % window)) $! && killed=$((killed + 1))
done
expect_code 0 "import: the run after the kills" "$R" import care "$T_TMP/big.mbox" --quiet
echo "# import: killed $killed of 6 in the middle (a run takes ${window} ms)"
[ "$killed" -ge 2 ] && ok "import: killed mid-way ($killed)" || not_ok "import: killed mid-way ($killed)"
"$R" message list care --json >"$T_TMP/m.json"
expect_eq "import: every message stored once" \
	"$(python3 -c 'import json,sys; ms=json.load(open(sys.argv[1])); print(len(ms), len({m["message_id"] for m in ms}))' "$T_TMP/m.json")" "400 400"

# The LMTP listener killed while it takes a message; the MTA (here
# Python's LMTP client) retries, through a new listener, until it has 250.
crash_home
lmtp_up() { python3 -c 'import socket,sys; s=socket.socket(socket.AF_UNIX); s.connect(sys.argv[1])' "$ROUNDS_HOME/lmtp" 2>/dev/null; }
lmtp_send() {
	python3 - "$ROUNDS_HOME/lmtp" "$1" <<'PY'
import smtplib, sys
try:
    c = smtplib.LMTP(sys.argv[1], timeout=20)
    c.sendmail("priya@example.org", ["care@lists.example.test"], open(sys.argv[2], "rb").read())
    c.quit()
except Exception:
    sys.exit(75)
PY
}
killed=0
for i in $(seq 1 12); do
	post "$i" >"$T_TMP/p.eml"
	"$R" lmtp 2>>"$T_TMP/lmtp.err" &
	lpid=$!
	wait_for lmtp_up || not_ok "lmtp: listener $i starts"
	lmtp_send "$T_TMP/p.eml" &
	spid=$!
	kill_after $((RANDOM % 60)) "$lpid" && killed=$((killed + 1))
	wait "$spid"
	sent=$?
	while [ "$sent" -ne 0 ]; do
		"$R" lmtp 2>>"$T_TMP/lmtp.err" &
		lpid=$!
		wait_for lmtp_up
		lmtp_send "$T_TMP/p.eml"
		sent=$?
		kill "$lpid"
		wait "$lpid"
	done
done
echo "# lmtp: killed $killed listeners of 12"
crash_check lmtp 12
t_done
