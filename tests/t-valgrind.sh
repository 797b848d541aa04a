#!/bin/bash
# t-valgrind.sh - make check's share of make check-valgrind: the end-to-end
# suites of VG_TESTS (default t-held: posting, screening, holding, approving
# and rejecting, with notices queued) with every rounds command under
# valgrind memcheck (tests/valgrind.sh).  make check-valgrind runs the
# longer list (t-send, t-digest, t-held).
. tests/lib.sh

command -v valgrind >/dev/null || { not_ok "valgrind installed"; t_done; }
[ -x build/rounds ] || { not_ok "build/rounds is built"; t_done; }
VG_TESTS=${VG_TESTS:-t-held} sh tests/valgrind.sh >"$T_TMP/vg.out" 2>&1
rc=$?
while read -r line; do
	case "$line" in
	t-*": "*" passed, 0 failed, "*) ok "under valgrind: ${line%%:*}" ;;
	t-*": "*) not_ok "under valgrind: ${line%%:*}" "$line" ;;
	esac
done <"$T_TMP/vg.out"
if [ "$rc" -eq 0 ]; then
	ok "valgrind: no memory errors, nothing definitely lost"
else
	not_ok "valgrind: no memory errors, nothing definitely lost" "$(grep -v '^t-' "$T_TMP/vg.out" | head -40)"
fi
t_done
