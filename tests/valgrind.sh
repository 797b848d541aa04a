#!/bin/sh
# tests/valgrind.sh - make check-valgrind: the end-to-end tests of
# VG_TESTS (a chosen list: the paths every post, command and digest takes)
# with ROUNDS pointing at tests/valgrind-rounds.sh, so every rounds command
# they run is under valgrind memcheck.  Passes when the tests pass and no
# command reported a memory error or a definitely lost block.
TOP=$(pwd)
VG_TESTS=${VG_TESTS:-"t-deliver t-digest t-send t-held t-reply t-commands"}
VG_LOG_DIR=$(mktemp -d "${TMPDIR:-/tmp}/rounds-valgrind.XXXXXX")
ROUNDS=$TOP/tests/valgrind-rounds.sh
export VG_LOG_DIR ROUNDS
failed=0
for t in $VG_TESTS; do
	sh tests/run.sh "$t" | tail -n 1 | sed "s/^/$t: /"
done >"$VG_LOG_DIR/summary" 2>&1
cat "$VG_LOG_DIR/summary"
grep -q ' [1-9][0-9]* failed' "$VG_LOG_DIR/summary" && failed=1
reports=$(find "$VG_LOG_DIR" -name 'vg.*.log' -size +0 | sort)
if [ -n "$reports" ]; then
	echo "valgrind reported on $(echo "$reports" | wc -l) command(s):"
	for r in $reports; do echo "== $r"; head -n 60 "$r"; done
	failed=1
fi
[ "$failed" = 0 ] && echo "valgrind: no errors, nothing definitely lost" && rm -rf "$VG_LOG_DIR"
exit "$failed"
