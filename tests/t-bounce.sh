#!/bin/bash
# t-bounce.sh - "rounds bounce parse" on every message in tests/bounces/,
# compared with its expected JSON as data (python3), not as text.
. tests/lib.sh

# same_json NAME FILE: the output in $T_TMP/out equals the JSON in FILE.
same_json() {
	if python3 - "$T_TMP/out" "$2" <<'PY'
import json, sys
got = json.load(open(sys.argv[1]))
want = json.load(open(sys.argv[2]))
sys.exit(0 if got == want else 1)
PY
	then ok "$1"; else not_ok "$1" "got: $(tr -d '\n' <"$T_TMP/out" | head -c 600)" "want: $(tr -d '\n' <"$2" | head -c 600)"; fi
}

# (lib.sh's helpers use $name themselves, so the loop uses $msg.)
for eml in tests/bounces/*.eml; do
	msg=$(basename "$eml" .eml)
	expect_code 0 "bounce parse $msg exits 0" "$ROUNDS" bounce parse <"$eml"
	same_json "bounce parse $msg" "tests/bounces/$msg.json"
done

# Real-world reports from public corpora (tests/bounces/corpus/README.md):
# one line each, so that 190 inputs stay readable in the output.
for eml in tests/bounces/corpus/*/*.eml tests/bounces/corpus/*/*.msg; do
	msg=${eml%.*}
	if "$ROUNDS" bounce parse <"$eml" >"$T_TMP/out" 2>"$T_TMP/err"; then
		same_json "bounce parse corpus ${msg#tests/bounces/corpus/}" "$msg.json"
	else
		not_ok "bounce parse corpus ${msg#tests/bounces/corpus/}" "exit $?: $(head -c 300 "$T_TMP/err")"
	fi
done

# The kind of report and the reason of each recipient (issue 12).
kind_of() { "$ROUNDS" bounce parse <"$1" | python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["kind"], " ".join(r["address"] + ":" + r["reason"] for r in d["recipients"]))'; }
expect_eq "bounce parse: a success DSN is kind delivered, not a bounce" \
	"$(kind_of tests/bounces/dsn-relayed-notice.eml)" "delivered ops@example.net:other"
expect_eq "bounce parse: an ARF report is kind feedback with the complaining address" \
	"$(kind_of tests/bounces/corpus/sisimai/arf-01.eml)" "feedback redacted@example.net:spam"
expect_eq "bounce parse: Original-Recipient wins over a rewritten Final-Recipient" \
	"$(kind_of tests/bounces/dsn-sendmail-mailbox-full.eml)" "bounce piotr@example.com:mailbox-full"
expect_eq "bounce parse: Exim's 'generated from' names the member" \
	"$(kind_of tests/bounces/corpus/sisimai/rhost-franceptt-03.eml)" "bounce noraneko.nyaan@example.com:other"
expect_eq "bounce parse: an auto-reply is kind auto-reply" \
	"$(kind_of tests/bounces/corpus/sisimai/rfc3834-06.eml)" "auto-reply "

# An mbox "From " line in front (as archives and some MTAs deliver it) is
# skipped, and the result is unchanged.
{ printf 'From MAILER-DAEMON Thu Mar 14 09:02:13 2024\n'; cat tests/bounces/qmail-local-no-mailbox.eml; } >"$T_TMP/mbox.eml"
"$ROUNDS" bounce parse <"$T_TMP/mbox.eml" >"$T_TMP/out" 2>"$T_TMP/err"
same_json "bounce parse skips an mbox From line" tests/bounces/qmail-local-no-mailbox.json

# The output is pretty-printed JSON ending in a newline.
"$ROUNDS" bounce parse <tests/bounces/dsn-postfix-mixed.eml >"$T_TMP/out"
expect_eq "bounce parse output is pretty-printed" "$(head -c 1 "$T_TMP/out")$(sed -n 2p "$T_TMP/out" | cut -c1-3)" '{  "'
expect_eq "bounce parse reports both recipients" \
	"$(json 'len(d["recipients"])' <"$T_TMP/out")" 2

# Unparseable input is a data error (65) with one line on stderr.
: >"$T_TMP/empty"
expect_code 65 "bounce parse of empty input exits 65" "$ROUNDS" bounce parse <"$T_TMP/empty"
expect_eq "bounce parse of empty input explains in one line" "$(wc -l <"$T_TMP/err")" 1
printf '\x00\x01\x02 not mail at all' >"$T_TMP/garbage"
expect_code 65 "bounce parse of garbage exits 65" "$ROUNDS" bounce parse <"$T_TMP/garbage"

# Usage errors are 64 with one line; --help works.
expect_code 64 "bounce without a subcommand exits 64" "$ROUNDS" bounce
expect_code 64 "bounce with an unknown subcommand exits 64" "$ROUNDS" bounce frobnicate
expect_code 64 "bounce parse with an extra argument exits 64" "$ROUNDS" bounce parse extra </dev/null
expect_code 64 "bounce parse with an unknown option exits 64" "$ROUNDS" bounce parse --nope </dev/null
expect_code 0 "bounce parse --help exits 0" "$ROUNDS" bounce parse --help
expect_code 0 "bounce --help exits 0" "$ROUNDS" bounce --help

t_done
