#!/bin/bash
# t-fuzz.sh - the libFuzzer targets of tests/fuzz/ (make fuzz-build): each
# replays its regression inputs (tests/fuzz/regress/TARGET/) and then fuzzes
# for FUZZ_SECONDS from its seeds, and must end without a crash, leak,
# sanitizer report, timeout or failed assertion.  `make fuzz` runs them
# 5 minutes each; here 15 s each (10 targets: 150 s of fuzzing, to stay
# within CI's ~4 minutes with the build) unless FUZZ_SECONDS says otherwise.
. tests/lib.sh

if ! command -v clang >/dev/null 2>&1; then
	ok "fuzz targets # SKIP clang is not installed (contrib/install-deps.sh --test)"
	t_done
fi
if ! make --no-print-directory fuzz-build >"$T_TMP/build.log" 2>&1; then
	not_ok "make fuzz-build" "$(tail -20 "$T_TMP/build.log")"
	t_done
fi
ok "make fuzz-build"

FUZZ_SECONDS=${FUZZ_SECONDS:-15} sh tests/fuzz/run.sh >"$T_TMP/run.out" 2>&1
rc=$?
for f in tests/fuzz/fuzz-*.c; do
	t=$(basename "$f" .c)
	if line=$(grep "^$t: ok," "$T_TMP/run.out"); then
		ok "$line"
	else
		not_ok "$t" "$(grep -A10 "^$t:" "$T_TMP/run.out" | head -c 2000)"
	fi
done
[ "$rc" -eq 0 ] || not_ok "tests/fuzz/run.sh exited $rc" "$(head -c 2000 "$T_TMP/run.out")"
t_done
