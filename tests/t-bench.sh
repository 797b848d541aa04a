#!/bin/bash
# tests/t-bench.sh - make bench in a very small mode: the harness works.
#
# Runs tests/bench/bench.py with about 20 messages per workload and checks
# the table and the JSON it writes (every workload's keys, the counts it
# measured), never the timings.  The helper programs come from
# make check-build (build/tests/bench/), as does the plain build it runs.

. tests/lib.sh

BIN=$TOP/build/tests/bench
# The bench measures the plain build (make bench), and the sanitizer build
# would make this run too slow; the other tests cover that build.
[ -x "$TOP/build/rounds" ] && ROUNDS=$TOP/build/rounds
for p in gmime-floor bench-digest; do
	if [ ! -x "$BIN/$p" ]; then
		not_ok "helper $p is built" "no $BIN/$p (make check-build builds it)"
		t_done
	fi
done

# The floor program counts what it parses: an mbox of three messages.
for i in 1 2 3; do
	printf 'From a@example.org Thu Jan  1 00:00:00 2026\nFrom: a@example.org\nSubject: %s\nMessage-ID: <%s@t>\n\nbody %s\n\n' "$i" "$i" "$i"
done >"$T_TMP/three.mbox"
expect_eq "gmime-floor parses every message of an mbox" \
	"$("$BIN/gmime-floor" "$T_TMP/three.mbox" | sed -n 's/^parsed \([0-9]*\) messages.*/\1/p')" 3

export BENCH_QUICK=1 BENCH_DELIVER=20 BENCH_IMPORT=20 BENCH_SCALE_SMALL=20 BENCH_SCALE_BIG=40 \
	BENCH_STORED_SMALL=100 BENCH_STORED_BIG=1000 BENCH_STORED_DELIVER=5 BENCH_STORED_IMPORT=20 \
	BENCH_PEOPLE=30 BENCH_RENDER=20 BENCH_MEMBERS=20 BENCH_FANOUT_RUNS=1 BENCH_REF_THREAD=5 \
	BENCH_REF_MEMBERS=5 BENCH_LINEARITY=0 BENCH_JSON=$T_TMP/bench.json ROUNDS BENCH_BIN=$BIN
if python3 tests/bench/bench.py >"$T_TMP/table" 2>"$T_TMP/bench.err"; then
	ok "bench.py runs every workload"
else
	not_ok "bench.py runs every workload" "$(grep -v '^\[' "$T_TMP/bench.err" | tail -n 15)"
fi
expect_eq "one table with the five columns" \
	"$(grep -c '^| workload | Rounds | reference | ratio | target |$' "$T_TMP/table")" 1

if "$ROUNDS" lmtp --help >/dev/null 2>&1; then lmtp=yes; else lmtp=no; fi
python3 - "$T_TMP/bench.json" "$lmtp" >"$T_TMP/checks" 2>"$T_TMP/checks.err" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
w = d["workloads"]
def check(name, cond):
    print(("ok - " if cond else "not ok - ") + name)
num = lambda v: isinstance(v, (int, float))
check("JSON has the date, the machine and the sizes",
      d["date"].endswith("Z") and d["machine"]["nproc"] >= 1
      and d["sizes"]["deliver"] == 20 and d["quick"] is True and d["failed"] == [])
keys = ["deliver", "lmtp", "import_vs_notmuch", "import_vs_floor", "import_scale",
        "stored_deliver", "stored_import", "digest_decide", "digest_render", "fanout",
        "references", "references_reply"]
missing = [k for k in keys if k not in w]
check("JSON has every workload (missing: %s)" % missing, not missing)
rated = [k for k in keys if k in w and k != "lmtp"]
check("every workload has a numeric ratio and target",
      all(num(w[k]["ratio"]) and w[k]["target"] for k in rated))
dl = w.get("deliver", {})
check("deliver: 20 messages, each accepted (exit 0), p50 <= p99, notmuch reference",
      dl.get("messages") == 20 and dl.get("exit_codes") == {"0": 20}
      and 0 < dl["p50_ms"] <= dl["p99_ms"] and dl["reference"]["name"] == "notmuch insert"
      and dl["reference"]["exit_codes"] == {"0": 20} and num(dl["reference"]["p99_ms"]))
lm = w.get("lmtp", {})
if sys.argv[2] == "yes":
    check("lmtp: measured against notmuch insert",
          num(lm.get("ratio")) and lm.get("messages") == 20 and lm.get("refused") == 0)
else:
    check("lmtp: n/a without rounds lmtp", lm.get("skipped") == "no rounds lmtp")
iv = w.get("import_vs_notmuch", {})
check("import: every copy of the ham is new (no duplicates, no errors)",
      iv.get("imported", {}).get("new") == 20 and iv["imported"]["errors"] == 0
      and iv["reference"]["name"] == "notmuch new")
check("import: the GMime floor is the reference",
      w.get("import_vs_floor", {}).get("reference", {}).get("name") == "gmime-floor")
sc = w.get("import_scale", {})
check("import scale: 40 vs 20 messages, all new",
      sc.get("imported", {}).get("new") == 40 and sc["reference"]["imported"]["new"] == 20)
sd = w.get("stored_deliver", {})
check("stored: 1000 vs 100 messages generated beforehand",
      sd.get("stored") == 1000 and sd["reference"]["stored"] == 100
      and w.get("stored_import", {}).get("messages") == 20)
check("digests: decide and render rates",
      num(w.get("digest_decide", {}).get("rate")) and num(w.get("digest_render", {}).get("rate"))
      and num(w["digest_render"].get("cpu_rate")))
check("fan-out: one run against smtp-source",
      w.get("fanout", {}).get("runs") == 1 and w["fanout"]["reference"]["name"] == "smtp-source")
check("references: hostile post against a plain post",
      w.get("references", {}).get("reference", {}).get("name") == "plain post")
check("the table has one row per workload", len(d["table"]) == len(keys))
PY
rc=$?
cat "$T_TMP/checks"
T_FAILED=$((T_FAILED + $(grep -c '^not ok' "$T_TMP/checks")))
[ "$rc" -eq 0 ] || not_ok "bench.json is readable and complete" "$(tail -c 600 "$T_TMP/checks.err")"
t_done
