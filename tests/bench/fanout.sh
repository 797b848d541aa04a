#!/bin/bash
# tests/bench/fanout.sh - every-message fan-out against Postfix's smtp-source.
#
# One 50 KB post to BENCH_MEMBERS (default 10000) "each" members, sent by
# `rounds outbox flush` to smtp-sink on loopback, against smtp-source
# sending the same number of messages of the same size over the same
# number of parallel connections (many messages per connection, -d) to the
# same sink, in the same run.  Target: rounds reaches at least 85% of
# smtp-source's rate (make bench takes the median of 5 runs).  Figures, not pass/fail.
set -eu
TOP=$(pwd)
R=${ROUNDS:-$TOP/build/rounds}
N=${BENCH_MEMBERS:-10000}
SIZE=${BENCH_SIZE:-51200}
CONN=${BENCH_CONNECTIONS:-4}
W=$(mktemp -d /tmp/rounds-bench-fanout.XXXXXX)
SINK_PID=
cleanup() {
	if [ -n "$SINK_PID" ]; then
		kill "$SINK_PID" 2>/dev/null
		wait "$SINK_PID" 2>/dev/null || true
	fi
	rm -rf "$W"
}
trap cleanup EXIT

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')
# No -d: the sink discards what it receives, so disk speed is not measured.
/usr/sbin/smtp-sink -u nobody "127.0.0.1:$port" 512 &
SINK_PID=$!
for _ in $(seq 1 50); do
	python3 -c "import socket; socket.create_connection(('127.0.0.1', $port), 0.2)" 2>/dev/null && break
	sleep 0.1
done

secs() { python3 -c "import sys; print(f'{float(sys.argv[1]):.2f}')" "$1"; }
rate() { python3 -c "import sys; print(f'{int(sys.argv[1]) / max(float(sys.argv[2]), 0.001):.0f}')" "$1" "$2"; }

echo "== smtp-source: $N messages of $SIZE bytes over $CONN connections"
/usr/bin/time -f '%e' -o "$W/t.source" ${SOURCE_WRAP:-} /usr/sbin/smtp-source -d -s "$CONN" -l "$SIZE" -m "$N" \
	-f bench@example.org -t member@example.org "127.0.0.1:$port"
src_secs=$(cat "$W/t.source")
[ -n "${SINK_CPU:-}" ] && echo "sink cpu after source: $(awk '{print $14+$15}' /proc/$SINK_PID/stat)"
src_rate=$(rate "$N" "$src_secs")
echo "smtp-source: $(secs "$src_secs")s = $src_rate messages/s"

echo "== rounds: one $SIZE-byte post to $N each members"
export ROUNDS_HOME=$W/home
"$R" init --domain lists.example.test >/dev/null
python3 - "$ROUNDS_HOME/rounds.conf" "$port" "$CONN" <<'PY'
import re, sys
p, port, conn = sys.argv[1:]
s = open(p).read()
s = re.sub(r"(?m)^port = .*$", f"port = {port}", s)
s = re.sub(r"(?m)^connections = .*$", f"connections = {conn}", s)
if "connections" not in s:
    s = s.replace("[smtp]\n", f"[smtp]\nconnections = {conn}\n")
if "starttls" not in s:
    s = s.replace("[smtp]\n", "[smtp]\nstarttls = none\n")
open(p, "w").write(s)
PY
[ -n "${BENCH_BATCH:-}" ] && printf "\n[outbox]\nbatch = %s\n" "$BENCH_BATCH" >>"$ROUNDS_HOME/rounds.conf"
"$R" community create care --title "Care Team" --policy open >/dev/null
seq 1 "$N" | sed 's/.*/member&@example.org/' >"$W/members"
"$R" member add care --file "$W/members" --delivery each >/dev/null
# A realistic long post: a case discussion with a pasted protocol.
python3 - "$SIZE" >"$W/post.eml" <<'PY'
import sys
size = int(sys.argv[1])
head = ("From: Dr. Amara Okafor <amara.okafor@hospital.example>\n"
        "To: care@lists.example.test\n"
        "Subject: Revised pressure ulcer protocol for discussion\n"
        "Message-ID: <protocol-rev3@hospital.example>\n"
        "Date: Tue, 01 Dec 2026 08:15:00 +0000\n"
        "MIME-Version: 1.0\n"
        "Content-Type: text/plain; charset=utf-8\n"
        "Content-Transfer-Encoding: 8bit\n\n")
para = ("Section {n}. Reposition patients at risk every two hours, document the "
        "skin inspection on the chart, and escalate any category 2 damage to the "
        "tissue viability nurse on the same shift. Use the hybrid mattress for "
        "scores above 15 and review nutrition with the dietitian within 48 hours.\n\n")
body, n = [], 1
while sum(len(p) for p in body) < size:
    body.append(para.format(n=n))
    n += 1
sys.stdout.write(head + "".join(body)[:size] + "\n")
PY
/usr/bin/time -f '%e' -o "$W/t.queue" "$R" deliver --recipient care@lists.example.test \
	--sender amara.okafor@hospital.example <"$W/post.eml"
echo "deliver and queue for $N members: $(secs "$(cat "$W/t.queue")")s"
/usr/bin/time -f '%e %M' -o "$W/t.flush" ${FLUSH_WRAP:-} "$R" outbox flush
read -r r_secs r_kb <"$W/t.flush"
[ -n "${SINK_CPU:-}" ] && echo "sink cpu after flush: $(awk '{print $14+$15}' /proc/$SINK_PID/stat)"
r_rate=$(rate "$N" "$r_secs")
sent=$(sqlite3 "$ROUNDS_HOME/rounds.db" "SELECT count(*) FROM outbox WHERE status = 'sent'")
echo "rounds outbox flush: $sent sent in $(secs "$r_secs")s = $r_rate messages/s (peak $((r_kb / 1024)) MB)"
echo "ratio rounds / smtp-source: $(python3 -c "import sys; print(f'{float(sys.argv[1]) / max(float(sys.argv[2]), 1):.2f}')" "$r_rate" "$src_rate") (target >= 0.85)"
