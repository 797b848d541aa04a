#!/bin/sh
# tests/run.sh - run every unit test and shell test, then print the totals.
# Usage: sh tests/run.sh [PATTERN]   (only scripts/binaries whose name has PATTERN)
TOP=$(pwd)
export TOP
pattern=${1:-}
passed=0
failed=0
log=$(mktemp)

count() { # $1 = label, reads the output in $log, $2 = exit status
	p=$(grep -c '^ok ' "$log")
	f=$(grep -c '^not ok ' "$log")
	if [ "$2" -ne 0 ] && [ "$f" -eq 0 ]; then
		echo "not ok - $1 exited $2 without reporting a failure"
		f=1
	fi
	grep -E '^(not ok|#)' "$log" | grep -v '^# Start of\|^# End of\|^# random seed' | head -40
	echo "$1: $p passed, $f failed"
	passed=$((passed + p))
	failed=$((failed + f))
}

for t in build/tests/unit/test-*; do
	[ -x "$t" ] || continue
	case "$t" in *"$pattern"*) ;; *) continue ;; esac
	"$t" --tap >"$log" 2>&1
	count "$(basename "$t")" $?
done
for t in tests/t-*.sh; do
	[ -f "$t" ] || continue
	case "$t" in *"$pattern"*) ;; *) continue ;; esac
	bash "$t" >"$log" 2>&1
	count "$(basename "$t")" $?
done
rm -f "$log"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
