#!/bin/sh
# run.sh [TARGET...] - replay the regression inputs of each fuzz target
# (tests/fuzz/regress/TARGET/), then fuzz it for FUZZ_SECONDS (300; 0: replay
# only) from its seeds (tests/fuzz/seeds.sh) and the corpus it built before
# (build/fuzz/corpus/TARGET).  One summary line per target; a crash, leak,
# sanitizer report or timeout leaves build/fuzz/crash-TARGET-* and fails.
# Run from the top of the checkout after `make fuzz-build`.
set -u
# Leaks count here (tests/lib.sh turns them off for the shell tests).
export ASAN_OPTIONS=detect_leaks=1:malloc_context_size=30
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
secs=${FUZZ_SECONDS:-300}
top=build/fuzz
targets=${*:-$(for f in tests/fuzz/fuzz-*.c; do basename "$f" .c | sed 's/^fuzz-//'; done)}
# Seeds of this run only, so that runs for other targets may go in parallel.
seeds=$top/seeds-$$
trap 'rm -rf "$seeds"' EXIT
sh tests/fuzz/seeds.sh "$seeds" || exit 1
fail=0
for t in $targets; do
	bin=$top/fuzz-$t
	if [ ! -x "$bin" ]; then
		echo "fuzz-$t: not built (make fuzz-build)"
		fail=1
		continue
	fi
	# Replay: each input once, in a process of its own per file, so that
	# a failure names its file.
	nreg=0
	for f in tests/fuzz/regress/"$t"/*; do
		[ -f "$f" ] || continue
		nreg=$((nreg + 1))
		if ! "$bin" -timeout=60 -rss_limit_mb=2560 "$f" >"$top/$t.replay.log" 2>&1; then
			echo "fuzz-$t: regression input $f fails again:"
			tail -30 "$top/$t.replay.log"
			fail=1
		fi
	done
	[ "$secs" -gt 0 ] || { echo "fuzz-$t: $nreg regression inputs replayed"; continue; }
	mkdir -p "$top/corpus/$t"
	"$bin" -max_total_time="$secs" -timeout=30 -rss_limit_mb=2560 -print_final_stats=1 \
		-artifact_prefix="$top/crash-$t-" "$top/corpus/$t" "$seeds/$t" \
		>"$top/$t.log" 2>&1
	rc=$?
	runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$top/$t.log" | tail -1)
	cov=$(grep -o 'cov: [0-9]*' "$top/$t.log" | tail -1 | sed 's/cov: //')
	ft=$(grep -o 'ft: [0-9]*' "$top/$t.log" | tail -1 | sed 's/ft: //')
	n=$(ls "$top/corpus/$t" | wc -l)
	if [ "$rc" -ne 0 ]; then
		echo "fuzz-$t: FAILED after ${runs:-?} runs (exit $rc), see $top/$t.log:"
		grep -E '^(==[0-9]+==ERROR|SUMMARY|.*ERROR:|artifact_prefix|Test unit written)' \
			"$top/$t.log" | head -10
		fail=1
	else
		echo "fuzz-$t: ok, ${secs}s, ${runs:-?} runs, coverage ${cov:-?} edges, ${ft:-?} features, corpus $n, $nreg regression inputs"
	fi
done
exit $fail
