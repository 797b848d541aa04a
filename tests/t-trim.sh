#!/bin/bash
# t-trim.sh - "rounds trim" on reply bodies from tests/replies/.
. tests/lib.sh

R=tests/replies

# check NAME FILE EXPECTED [OPTIONS...]: output must be EXPECTED's text.
check() {
	name=$1 file=$2 want=$3
	shift 3
	"$ROUNDS" trim "$@" <"$file" >"$T_TMP/got" 2>"$T_TMP/err"
	code=$?
	if [ "$code" != 0 ]; then
		not_ok "$name" "exit $code" "$(head -c 400 "$T_TMP/err")"
	elif cmp -s "$T_TMP/got" "$want"; then
		ok "$name"
	else
		not_ok "$name" "$(diff "$want" "$T_TMP/got" | head -20)"
	fi
}

check "trim gmail top-posted" $R/gmail-web-en-top.txt $R/gmail-web-en-top.expected
check "trim --elided gmail" $R/gmail-web-en-top.txt $R/gmail-web-en-top.elided --elided
check "trim outlook german" $R/outlook-desktop-de.txt $R/outlook-desktop-de.expected
check "trim inline" $R/inline-en.txt $R/inline-en.expected
check "trim forward kept" $R/forward-gmail.txt $R/forward-gmail.expected
check "trim --html outlook" $R/html-outlook-desktop-en.html $R/html-outlook-desktop-en.expected --html
check "trim --html --elided outlook" $R/html-outlook-desktop-en.html $R/html-outlook-desktop-en.elided --html --elided
check "trim --html apple" $R/html-apple-mail-en.html $R/html-apple-mail-en.expected --html

# Exactly the text plus one newline; invalid UTF-8 is repaired, not refused.
printf 'caf\351 ok\n\n> old\n' | "$ROUNDS" trim >"$T_TMP/got"
expect_eq "trim repairs invalid UTF-8" "$(od -An -c "$T_TMP/got" | tr -s ' ')" \
	"$(printf 'caf\357\277\275 ok\n' | od -An -c | tr -s ' ')"
printf '' | "$ROUNDS" trim >"$T_TMP/got"
expect_eq "trim of nothing is one newline" "$(wc -c <"$T_TMP/got")" "1"

expect_code 0 "trim --help" "$ROUNDS" trim --help
expect_code 64 "trim rejects unknown options" "$ROUNDS" trim --no-such-option
expect_code 64 "trim rejects arguments" "$ROUNDS" trim somefile

t_done
