#!/bin/sh
# tests/valgrind-rounds.sh - build/rounds under valgrind memcheck: make
# check-valgrind points ROUNDS here (tests/valgrind.sh).
#
# build/rounds is the lean front that execs rounds-full for every verb but
# deliver, so valgrind follows exec (--trace-children; helpers a verb may
# start are skipped).  A memory error or a definitely lost block makes the
# command exit 97, a code no verb uses, and writes its report to
# VG_LOG_DIR/vg.PID.log, which tests/valgrind.sh reads: a test that throws
# away stderr or the exit code still cannot hide it.  GLib's slice
# allocator would hide frees from valgrind: G_SLICE=always-malloc.
TOP=$(cd "$(dirname "$0")/.." && pwd)
G_SLICE=always-malloc G_DEBUG=gc-friendly
# Valgrind cannot follow PCRE2's JIT code (src/screen.c).
ROUNDS_NO_JIT=1
export G_SLICE G_DEBUG ROUNDS_NO_JIT
exec valgrind -q --trace-children=yes --trace-children-skip='*/sh,*/bash,*/python3*,*sendmail*' \
	--error-exitcode=97 --leak-check=full --show-leak-kinds=definite \
	--errors-for-leak-kinds=definite --num-callers=30 \
	--suppressions="$TOP/tests/valgrind.supp" \
	--log-file="${VG_LOG_DIR:-${TMPDIR:-/tmp}}/vg.%p.log" "$TOP/build/rounds" "$@"
