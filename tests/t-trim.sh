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

# Replies from public corpora (issue 12), one folder per source with its
# licence: every one must come out as decided in its .expected file.
for dir in $R/*/; do
	src=$(basename "$dir")
	bad=
	for f in "$dir"*.txt; do
		"$ROUNDS" trim <"$f" >"$T_TMP/got" 2>"$T_TMP/err" &&
			cmp -s "$T_TMP/got" "${f%.txt}.expected" || bad="$bad $(basename "$f")"
	done
	if [ -z "$bad" ]; then ok "trim corpus $src"; else not_ok "trim corpus $src" "$bad"; fi
done

# --elided prints exactly the removed part, byte for byte; the kept part
# keeps its indentation and blank-line runs.
printf '  Yes,\n\n\n  Thursday.\n\n-- \nSam  \nWard 7\n\nOn Mon, Anna <a@example.org> wrote:\n> Can you?\n' >"$T_TMP/in"
"$ROUNDS" trim <"$T_TMP/in" >"$T_TMP/got"
printf '  Yes,\n\n\n  Thursday.\n' >"$T_TMP/want"
if cmp -s "$T_TMP/got" "$T_TMP/want"; then ok "trim keeps white space"; else not_ok "trim keeps white space" "$(od -c "$T_TMP/got" | head -5)"; fi
"$ROUNDS" trim --elided <"$T_TMP/in" >"$T_TMP/got"
printf -- '-- \nSam  \nWard 7\n\nOn Mon, Anna <a@example.org> wrote:\n> Can you?\n' >"$T_TMP/want"
if cmp -s "$T_TMP/got" "$T_TMP/want"; then ok "trim --elided is the removed part"; else not_ok "trim --elided is the removed part" "$(od -c "$T_TMP/got" | head -5)"; fi
# An inline answer stays; only the trailing quote goes.
printf '> Monday?\nYes.\n\n> Old.\n' | "$ROUNDS" trim >"$T_TMP/got"
expect_eq "trim keeps inline answers" "$(cat "$T_TMP/got")" "$(printf '> Monday?\nYes.')"
# A message that is only a forward keeps the forwarded text.
printf -- '---------- Forwarded message ---------\nFrom: Anna <a@example.org>\nDate: Mon, 4 Mar 2024\nSubject: Rota\nTo: <b@example.org>\n\nThe rota.\n' |
	"$ROUNDS" trim >"$T_TMP/got"
expect_eq "trim of a forward keeps its text" "$(cat "$T_TMP/got")" "The rota."

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
