#!/bin/bash
# tests/bench/run.sh - digest benchmark (make bench).  Figures, not pass/fail.
#
# BENCH_PEOPLE people (default 100000), each in 3 communities with 30 new
# messages in 8 threads per community.  Reports the decide-and-queue rate,
# the render rate (text + HTML, one core), outbox growth per digest, peak
# memory, and the queue rate at a quarter of the people (linearity).
# Part of make bench (tests/bench/bench.py, which reads these lines).
set -eu
TOP=$(pwd)
R=${ROUNDS:-$TOP/build/rounds}
B=${BENCH_DIGEST:-$TOP/build/tests/bench/bench-digest}
N=${BENCH_PEOPLE:-100000}
RENDER=${BENCH_RENDER:-2000}
W=$(mktemp -d /tmp/rounds-bench.XXXXXX)
trap 'rm -rf "$W"' EXIT

setup() { # HOME PEOPLE
	export ROUNDS_HOME=$1
	"$R" init --domain lists.example.test >/dev/null
	# bench-digest lives deeper in build/ than rounds, too deep to find the
	# checkout's templates by itself.
	sed -i "s|^\[rounds\]\$|[rounds]\ntemplate-dir = $TOP/templates|" "$1/rounds.conf"
	seq 1 "$2" | sed 's/.*/person&@example.org/' >"$W/people"
	for c in care ward family; do
		"$R" community create $c --policy open >/dev/null
		"$R" member add $c --file "$W/people" >/dev/null
		for t in $(seq 1 8); do
			for m in $(seq 1 4); do
				[ $((t * 4 + m)) -gt 34 ] && continue # 30 messages in 8 threads
				irt=""
				[ "$m" -gt 1 ] && irt="In-Reply-To: <$c.$t.$((m - 1))@bench>
"
				printf 'From: Author %s <author%s@example.net>\nSubject: Thread %s in %s\nMessage-ID: <%s.%s.%s@bench>\n%sContent-Type: text/plain\n\nMessage %s of thread %s. %s\n' \
					"$m" "$m" "$t" "$c" "$c" "$t" "$m" "$irt" "$m" "$t" \
					"$(printf 'Some clinical discussion text, a typical line of a reply. %.0s' $(seq 1 6))" |
					"$R" deliver --recipient $c@lists.example.test
			done
		done
	done
}

rate() { python3 -c "import sys; print(f'{int(sys.argv[1]) / float(sys.argv[2]):.0f}')" "$1" "$2"; }

echo "== setup: $N people x 3 communities"
setup "$W/big" "$N"
size0=$(stat -c %s "$W/big/rounds.db")
now=$(date -u -d 'tomorrow 12:00' +%Y-%m-%dT%H:%M:%SZ)
/usr/bin/time -f '%e %M' -o "$W/time" "$R" tick --no-send --quiet --now "$now"
read -r secs kb <"$W/time"
"$R" outbox list --json >/dev/null 2>&1 || true
sqlite3 "$W/big/rounds.db" 'PRAGMA wal_checkpoint(TRUNCATE);' >/dev/null
size1=$(stat -c %s "$W/big/rounds.db")
echo "decide and queue: $N digests in ${secs}s = $(rate "$N" "$secs") digests/s (target 5000/s)"
echo "peak memory of the pass: $((kb / 1024)) MB (target < 200 MB)"
echo "outbox growth: $(( (size1 - size0) / N )) bytes per digest (target < 10 KB)"
echo "== render (text + HTML, one core), $RENDER digests"
"$B" "$W/big" "$RENDER"
echo "(target 2000 digests/s)"

# BENCH_LINEARITY=0 skips this second setup (tests/t-bench.sh).
[ "${BENCH_LINEARITY:-1}" = 0 ] && exit 0
echo "== linearity: $((N / 4)) people"
setup "$W/quarter" $((N / 4))
/usr/bin/time -f '%e %M' -o "$W/time" "$R" tick --no-send --quiet --now "$now"
read -r qsecs qkb <"$W/time"
echo "decide and queue: $((N / 4)) digests in ${qsecs}s = $(rate $((N / 4)) "$qsecs") digests/s"
echo "time ratio for 4x the people: $(python3 -c "import sys; print(f'{float(sys.argv[1]) / max(float(sys.argv[2]), 0.01):.1f}')" "$secs" "$qsecs") (linear = 4.0)"

