#!/bin/sh
# tests/valgrind.sh - make check-valgrind: the end-to-end tests of
# VG_TESTS (a chosen list: the paths every post, command and digest takes)
# with ROUNDS pointing at tests/valgrind-rounds.sh, so every rounds command
# they run is under valgrind memcheck.  Passes when the tests pass and no
# command reported a memory error or a definitely lost block.
TOP=$(pwd)
VG_TESTS=${VG_TESTS:-"t-send t-digest t-held"}
VG_LOG_DIR=$(mktemp -d "${TMPDIR:-/tmp}/rounds-valgrind.XXXXXX")
ROUNDS=$TOP/tests/valgrind-rounds.sh
export VG_LOG_DIR ROUNDS
failed=0
# Each suite must end with its totals and none failed: a suite that was
# killed or crashed prints no totals, and fails.
for t in $VG_TESTS; do
	last=$(sh tests/run.sh "$t.sh" 2>&1 | tail -n 1)
	echo "$t: $last"
	case "$last" in
	*" passed, 0 failed, "*) ;;
	*) failed=1 ;;
	esac
done
reports=$(find "$VG_LOG_DIR" -name 'vg.*.log' -size +0 | sort)
if [ -n "$reports" ]; then
	echo "valgrind reported on $(echo "$reports" | wc -l) command(s):"
	for r in $reports; do echo "== $r"; head -n 60 "$r"; done
	failed=1
fi
[ "$failed" = 0 ] && echo "valgrind: no errors, nothing definitely lost" && rm -rf "$VG_LOG_DIR"
exit "$failed"
