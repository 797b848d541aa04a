#!/bin/sh
# tests/run.sh - run every unit test and shell test, then print the totals.
# Usage: sh tests/run.sh [PATTERN]   (only scripts/binaries whose name has PATTERN)
#
# A check that prints "ok - NAME # SKIP WHY" is counted as skipped, never as
# passed (as TAP and notmuch's test-lib do).  Under CI (CI set) the machine
# is supposed to have every service the tests need, so a skip there means a
# required service is missing and fails the run.
TOP=$(pwd)
export TOP
pattern=${1:-}
passed=0
failed=0
skipped=0
log=$(mktemp)

count() { # $1 = label, reads the output in $log, $2 = exit status
	s=$(grep -ci '^ok .*# skip' "$log")
	p=$(($(grep -c '^ok ' "$log") - s))
	f=$(grep -c '^not ok ' "$log")
	if [ "$2" -ne 0 ] && [ "$f" -eq 0 ]; then
		echo "not ok - $1 exited $2 without reporting a failure"
		f=1
	fi
	grep -Ei '^(not ok|#)|^ok .*# skip' "$log" | grep -v '^# Start of\|^# End of\|^# random seed' | head -40
	if [ -n "${CI:-}" ] && [ "$s" -gt 0 ]; then
		echo "not ok - $1 skipped $s check(s) under CI: a required service is missing"
		f=$((f + 1))
	fi
	echo "$1: $p passed, $f failed, $s skipped"
	passed=$((passed + p))
	failed=$((failed + f))
	skipped=$((skipped + s))
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
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
