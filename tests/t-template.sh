#!/bin/bash
# t-template.sh - "rounds template render" through the real binary: the
# digest-shaped templates in tests/mustache/, both escaping contexts,
# partial lookup, and the exit codes for each kind of bad input.
. tests/lib.sh

M=tests/mustache

expect_code 0 "text digest renders" \
	"$ROUNDS" template render "$M/digest.txt.mustache" --data "$M/digest.json" --partials "$M/partials"
expect_eq "text digest is byte-exact" "$(od -c "$T_TMP/out")" "$(od -c "$M/digest.txt.expected")"

expect_code 0 "html digest renders" \
	"$ROUNDS" template render "$M/digest.html.mustache" --data "$M/digest.json" --partials "$M/partials"
expect_eq "html digest is byte-exact" "$(od -c "$T_TMP/out")" "$(od -c "$M/digest.html.expected")"

# The HTML digest escapes what people wrote; the text digest must not.
if grep -q 'A&amp;E &lt;draft 2&gt;' "$M/digest.html.expected" && grep -q 'A&E <draft 2>' "$M/digest.txt.expected"; then
	ok "contexts escape differently"
else
	not_ok "contexts escape differently"
fi

# Without --partials, partials come from the template's own directory.
cp "$M/digest.txt.mustache" "$M/partials/thread.txt.mustache" "$T_TMP/"
expect_code 0 "partials default to the template directory" \
	"$ROUNDS" template render "$T_TMP/digest.txt.mustache" --data "$M/digest.json"
expect_eq "same output from the template directory" "$(cat "$T_TMP/out")" "$(cat "$M/digest.txt.expected")"

# footer.txt: a .txt name selects the text context; partial without extension
# fallback (signature.mustache) and a set-delimiter tag.
expect_code 0 "footer renders" "$ROUNDS" template render "$M/footer.txt" --data "$M/digest.json" --partials "$M/partials"
expect_eq "footer output" "$(cat "$T_TMP/out")" "Sent by Rounds for amara.okafor@stjames-clinic.example
Literal braces: {{not a tag}} for Dr Amara Okafor"

printf '{{who}}|{{{who}}}\n' >"$T_TMP/x.mustache"
printf '{"who": "Sam O'"'"'Neill <sam@example.org>"}\n' >"$T_TMP/x.json"
expect_code 0 "html context by default" "$ROUNDS" template render "$T_TMP/x.mustache" --data "$T_TMP/x.json"
expect_eq "html escaping of & < > \" '" "$(cat "$T_TMP/out")" "Sam O&#39;Neill &lt;sam@example.org&gt;|Sam O'Neill <sam@example.org>"
expect_code 0 "--text selects the text context" "$ROUNDS" template render --text "$T_TMP/x.mustache" --data "$T_TMP/x.json"
expect_eq "--text does not escape" "$(cat "$T_TMP/out")" "Sam O'Neill <sam@example.org>|Sam O'Neill <sam@example.org>"
cp "$T_TMP/x.mustache" "$T_TMP/x.txt.mustache"
expect_code 0 "--html overrides a .txt name" "$ROUNDS" template render --html "$T_TMP/x.txt.mustache" --data "$T_TMP/x.json"
expect_eq "--html escapes" "$(cat "$T_TMP/out")" "Sam O&#39;Neill &lt;sam@example.org&gt;|Sam O'Neill <sam@example.org>"

printf '{{n}} {{k}}' >"$T_TMP/n.mustache"
out=$(printf '{"n": 1.210, "k": 85}' | "$ROUNDS" template render --data - "$T_TMP/n.mustache")
expect_eq "data from standard input, JSON numbers" "$out" "1.21 85"

# Exit codes and one-line messages.
expect_code 66 "missing template is EX_NOINPUT" \
	"$ROUNDS" template render "$M/no-such.mustache" --data "$M/digest.json"
expect_code 66 "missing data file is EX_NOINPUT" \
	"$ROUNDS" template render "$M/digest.txt.mustache" --data "$M/no-such.json"
expect_code 65 "bad JSON is EX_DATAERR" "$ROUNDS" template render "$M/digest.txt.mustache" --data "$M/bad.json"
if grep -q 'bad.json: line 2' "$T_TMP/err" && [ "$(wc -l <"$T_TMP/err")" -eq 1 ]; then
	ok "bad JSON message names file and line"
else
	not_ok "bad JSON message names file and line" "$(cat "$T_TMP/err")"
fi
expect_code 65 "template syntax error is EX_DATAERR" "$ROUNDS" template render "$M/bad.mustache" --data "$M/digest.json"
if grep -q 'bad.mustache: line 4: closing tag {{/threads}}' "$T_TMP/err"; then
	ok "syntax error message names the line"
else
	not_ok "syntax error message names the line" "$(cat "$T_TMP/err")"
fi
printf 'x{{>loop}}' >"$T_TMP/loop.mustache"
expect_code 65 "runaway partial recursion is an error" "$ROUNDS" template render "$T_TMP/loop.mustache"
expect_code 64 "no FILE is a usage error" "$ROUNDS" template render --data "$M/digest.json"
if grep -q '^rounds template render: ' "$T_TMP/err"; then ok "usage message names the verb"; else not_ok "usage message names the verb" "$(cat "$T_TMP/err")"; fi
expect_code 64 "two FILEs is a usage error" "$ROUNDS" template render a b
expect_code 64 "--text with --html is a usage error" "$ROUNDS" template render --text --html "$T_TMP/x.mustache"
expect_code 64 "unknown subcommand" "$ROUNDS" template frobnicate
expect_code 0 "--help works" "$ROUNDS" template render --help
if grep -q -- '--partials' "$T_TMP/out"; then ok "--help lists the options"; else not_ok "--help lists the options"; fi


# An installed binary reads its installed templates, never the current
# directory's: run from a directory that has a templates/ of its own (and
# even looks like a checkout), it still renders the shipped digest.  The
# install goes to a scratch PREFIX under DESTDIR, with no rebuild.
dest=$T_TMP/dest
make --no-print-directory -s install DESTDIR="$dest" PREFIX=/opt/rounds >/dev/null 2>"$T_TMP/err" ||
	not_ok "make install into a scratch DESTDIR" "$(tail -3 "$T_TMP/err")"
inst=$dest/opt/rounds/bin/rounds
mkdir -p "$T_TMP/cwd/templates" "$T_TMP/cwd/src"
printf 'FROM THE CURRENT DIRECTORY {{subject}}\n' >"$T_TMP/cwd/templates/digest.txt.mustache"
cp "$T_TMP/cwd/templates/digest.txt.mustache" "$T_TMP/cwd/templates/help.txt.mustache"
touch "$T_TMP/cwd/templates/README" "$T_TMP/cwd/src/main.c"
(
	cd "$T_TMP/cwd" || exit 1
	ROUNDS_HOME=$T_TMP/installed-home
	export ROUNDS_HOME
	"$inst" init --domain lists.example.test >/dev/null
	"$inst" community create care --policy open >/dev/null
	"$inst" member add care jo@example.org >/dev/null
	printf 'From: sam@example.org\nSubject: Hello\nMessage-ID: <t1@example.org>\n\nHi.\n' |
		"$inst" deliver --recipient care@lists.example.test
	"$inst" digest preview jo@example.org --now "$(date -u -d 'tomorrow 12:00' +%Y-%m-%dT%H:%M:%SZ)"
) >"$T_TMP/installed.out" 2>&1
if grep -q '^Hello jo@example.org,' "$T_TMP/installed.out" && ! grep -q 'CURRENT DIRECTORY' "$T_TMP/installed.out"; then
	ok "an installed binary uses its installed templates, not the current directory's"
else
	not_ok "an installed binary uses its installed templates, not the current directory's" "$(head -5 "$T_TMP/installed.out")"
fi
# Without its installed templates it fails (75 for the MTA), still never the cwd's.
rm -rf "$dest/opt/rounds/share/rounds/templates"
expect_code 75 "without installed templates: 75, not the current directory's" \
	sh -c 'cd "$1/cwd" && printf "From: x@example.org\nTo: care+help@lists.example.test\nSubject: help\nMessage-ID: <t2@example.org>\n\nhelp\n" |
		ROUNDS_HOME="$1/installed-home" "$2" deliver --recipient care+help@lists.example.test --sender x@example.org' sh "$T_TMP" "$inst"

t_done
