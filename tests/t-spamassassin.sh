#!/bin/bash
# tests/t-spamassassin.sh - the SpamAssassin public corpus through `rounds deliver`.
#
# 6,046 real messages from 2002-2005 (ham and spam: broken MIME, every
# charset, forged headers).  Every one goes into an open community through
# the binary in $ROUNDS (the AddressSanitizer+UBSan build when it exists).
# Checks: no crash or sanitizer report, no delivery over 2 s, and every exit
# code one of 0, 65, 77.  Results are reported as a handful of lines, with
# the offending files listed on failure.
#
# SA_LIMIT=N delivers only the first N files (quick runs); SA_JOBS sets the
# number of parallel deliveries (default 2, the machine has 2 cores).

. tests/lib.sh

SA_JOBS=${SA_JOBS:-2}
SA_LIMIT=${SA_LIMIT:-0}
MAX_MS=${SA_MAX_MS:-2000}

if ! dir=$(sh tests/fetch-corpus.sh 2>"$T_TMP/fetch.err"); then
	not_ok "fetch the SpamAssassin corpus" "$(head -c 600 "$T_TMP/fetch.err")"
	t_done
fi
find "$dir" -type f -name '*.txt' | LC_ALL=C sort >"$T_TMP/files"
total=$(wc -l <"$T_TMP/files")
if [ "$total" -eq 6046 ]; then
	ok "corpus fetched: $total messages"
else
	not_ok "corpus fetched: 6046 messages" "found $total under $dir"
fi
if [ "$SA_LIMIT" -gt 0 ]; then
	head -n "$SA_LIMIT" "$T_TMP/files" >"$T_TMP/files.part"
	mv "$T_TMP/files.part" "$T_TMP/files"
	total=$(wc -l <"$T_TMP/files")
	echo "# SA_LIMIT: delivering only $total messages"
fi

t_home
"$ROUNDS" community create corpus --title "SpamAssassin corpus" --policy open >/dev/null ||
	not_ok "create the open community corpus"

# One delivery per call: strip the mbox "From " line (the MTA never sends
# one), time the delivery alone, keep stderr when it says anything worth
# reading, and append one result line: CODE TAB MS TAB SANITIZER TAB FILE.
# A 75 is retried after a short sleep, as the MTA would; retries are counted.
cat >"$T_TMP/worker.sh" <<'SH'
f=$1
n=$(basename "$f")
msg=$T_TMP/msg.$$
if [ "$(head -c 5 "$f")" = "From " ]; then tail -n +2 "$f" >"$msg"; else cp "$f" "$msg"; fi
tries=0
while :; do
	t0=$(date +%s%N)
	"$ROUNDS" deliver --recipient corpus@lists.example.test --sender sa@example.org \
		<"$msg" >/dev/null 2>"$T_TMP/err.$$"
	code=$?
	t1=$(date +%s%N)
	if [ "$code" = 75 ] && [ "$tries" -lt 5 ]; then
		tries=$((tries + 1))
		echo "$n" >>"$T_TMP/retries"
		sleep 0.2
		continue
	fi
	break
done
san=0
if grep -q -e 'runtime error' -e 'AddressSanitizer' -e 'LeakSanitizer' "$T_TMP/err.$$"; then
	san=1
	cp "$T_TMP/err.$$" "$T_TMP/san.$n"
fi
case "$code" in 0 | 65 | 77) ;; *) cp "$T_TMP/err.$$" "$T_TMP/bad.$n" ;; esac
if [ "$code" != 0 ] && [ ! -s "$T_TMP/err.$$" ]; then echo "$n $code" >>"$T_TMP/silent"; fi
printf '%s\t%s\t%s\t%s\n' "$code" "$(((t1 - t0) / 1000000))" "$san" "$f" >>"$T_TMP/results"
rm -f "$msg" "$T_TMP/err.$$"
SH
export ROUNDS ROUNDS_HOME T_TMP ASAN_OPTIONS UBSAN_OPTIONS
: >"$T_TMP/results"
start=$(date +%s)
tr '\n' '\0' <"$T_TMP/files" | xargs -0 -n 1 -P "$SA_JOBS" bash "$T_TMP/worker.sh"
elapsed=$(($(date +%s) - start))

done_n=$(wc -l <"$T_TMP/results")
echo "# $done_n deliveries in ${elapsed}s with $SA_JOBS in parallel ($ROUNDS)"
echo "# exit codes: $(cut -f1 "$T_TMP/results" | sort | uniq -c | awk '{printf "%s×%s ", $2, $1}')"
[ -f "$T_TMP/retries" ] && echo "# $(wc -l <"$T_TMP/retries") deliveries answered 75 and were retried"
expect_eq "every message was delivered once" "$done_n" "$total"

bad=$(awk -F'\t' '$1 != 0 && $1 != 65 && $1 != 77 { print $1 " " $4 }' "$T_TMP/results")
if [ -z "$bad" ]; then
	ok "every exit code is 0, 65 or 77"
else
	first=$(echo "$bad" | head -n 1 | awk '{print $2}')
	not_ok "every exit code is 0, 65 or 77" "$(echo "$bad" | wc -l) offending files, e.g.:" \
		"$(echo "$bad" | head -n 15)" "stderr of $first: $(head -c 400 "$T_TMP/bad.$(basename "$first")" 2>/dev/null)"
fi

san=$(awk -F'\t' '$3 == 1 { print $4 }' "$T_TMP/results")
if [ -z "$san" ]; then
	ok "no sanitizer report"
else
	first=$(echo "$san" | head -n 1)
	not_ok "no sanitizer report" "$(echo "$san" | wc -l) files, e.g.:" "$(echo "$san" | head -n 15)" \
		"$(grep -m 3 -e 'runtime error' -e 'ERROR: AddressSanitizer' "$T_TMP/san.$(basename "$first")")"
fi

slow=$(awk -F'\t' -v max="$MAX_MS" '$2 > max { print $2 " ms " $4 }' "$T_TMP/results" | sort -rn)
maxms=$(cut -f2 "$T_TMP/results" | sort -n | tail -n 1)
echo "# slowest delivery: ${maxms:-?} ms"
if [ -z "$slow" ]; then
	ok "no delivery took over $MAX_MS ms"
else
	not_ok "no delivery took over $MAX_MS ms" "$(echo "$slow" | wc -l) files:" "$(echo "$slow" | head -n 15)"
fi

if [ -s "$T_TMP/silent" ]; then
	not_ok "every non-zero exit says why on stderr" "$(wc -l <"$T_TMP/silent") silent, e.g.:" "$(head -n 10 "$T_TMP/silent")"
else
	ok "every non-zero exit says why on stderr"
fi

# The stored rows: at most one per accepted message (the corpus repeats a
# few Message-IDs), each listed with the contract's fields, and a sample
# of them readable with `message show`.
accepted=$(awk -F'\t' '$1 == 0' "$T_TMP/results" | wc -l)
if "$ROUNDS" message list corpus --json >"$T_TMP/list.json" 2>"$T_TMP/err"; then
	summary=$(python3 - "$T_TMP/list.json" "$accepted" <<'PY'
import json, sys
rows = json.load(open(sys.argv[1]))
accepted = int(sys.argv[2])
bad = [r for r in rows if not isinstance(r.get("message_id"), str) or r.get("status") not in ("posted", "held")
       or not isinstance(r.get("subject"), str) or not isinstance(r.get("date"), str)]
ids = [r["message_id"] for r in rows]
problems = []
if not 0 < len(rows) <= accepted:
    problems.append("%d rows for %d accepted messages" % (len(rows), accepted))
if len(set(ids)) != len(ids):
    problems.append("%d duplicate message ids" % (len(ids) - len(set(ids))))
if bad:
    problems.append("%d rows break the contract, e.g. %r" % (len(bad), bad[0]))
print("; ".join(problems) if problems else "OK %d" % len(rows))
with open(sys.argv[1] + ".sample", "w") as f:
    for r in rows[::25]:
        f.write(r["message_id"] + "\n")
PY
)
	case "$summary" in
	OK*) ok "message list has one row per accepted message (${summary#OK } rows, $accepted accepted)" ;;
	*) not_ok "message list has one row per accepted message" "$summary" ;;
	esac
else
	not_ok "message list --json after the corpus" "$(head -c 300 "$T_TMP/err")"
fi

showbad=""
nshow=0
if [ -f "$T_TMP/list.json.sample" ]; then
	while read -r id; do
		nshow=$((nshow + 1))
		if ! "$ROUNDS" message show corpus "$id" --json >"$T_TMP/show.json" 2>"$T_TMP/err" ||
			grep -q -e 'runtime error' -e 'AddressSanitizer' "$T_TMP/err" ||
			! python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert isinstance(d["body"], str) and isinstance(d["attachments"], list)' "$T_TMP/show.json" 2>/dev/null; then
			showbad="$showbad $id"
		fi
	done <"$T_TMP/list.json.sample"
fi
if [ -z "$showbad" ]; then ok "message show works on a sample of $nshow stored messages"; else not_ok "message show works on a sample of stored messages" "failed:$showbad"; fi
t_done
