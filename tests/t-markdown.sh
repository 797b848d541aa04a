#!/bin/bash
# t-markdown.sh - the Markdown documents render as their authors meant:
# every table of README.md and the other .md files is rendered by Debian's
# cmark-gfm (GitHub's renderer) as a <table>, with as many columns as its
# header in every row, so no table falls apart into a paragraph of pipes.
. tests/lib.sh

if ! command -v cmark-gfm >/dev/null 2>&1; then
	echo "ok - cmark-gfm missing # SKIP (contrib/install-deps.sh --test installs it)"
	t_done
fi

files=$(find . -name '*.md' -not -path './build/*' -not -path './demo-out/*' -not -path '*/node_modules/*' | sort)
[ -n "$files" ] || not_ok "found the Markdown documents"
for f in $files; do
	cmark-gfm --extension table "$f" >"$T_TMP/out.html" 2>"$T_TMP/err" || { not_ok "$f renders" "$(cat "$T_TMP/err")"; continue; }
	python3 - "$f" "$T_TMP/out.html" >"$T_TMP/check" <<'PY'
import re, sys
src, html = open(sys.argv[1], encoding="utf-8").read().split("\n"), open(sys.argv[2], encoding="utf-8").read()

def cells(line):
    # Split a table row at unescaped pipes; a code span may hold \| too.
    s = line.strip()
    if s.startswith("|"): s = s[1:]
    if s.endswith("|") and not s.endswith("\\|"): s = s[:-1]
    return re.split(r"(?<!\\)\|", s)

delim = re.compile(r"^\s*\|?\s*:?-+:?\s*(\|\s*:?-+:?\s*)*\|?\s*$")
tables, fence, i = [], False, 0
while i < len(src):
    line = src[i]
    if re.match(r"^\s*(```|~~~)", line):
        fence = not fence
    elif not fence and "|" in line and i + 1 < len(src) and delim.match(src[i + 1]) and "-" in src[i + 1]:
        head, rows, j = len(cells(line)), [], i + 2
        bad = [] if len(cells(src[i + 1])) == head else [(i + 2, len(cells(src[i + 1])))]
        while j < len(src) and src[j].strip() and "|" in src[j]:
            if len(cells(src[j])) != head:
                bad.append((j + 1, len(cells(src[j]))))
            j += 1
        tables.append((i + 1, head, bad))
        i = j
        continue
    i += 1
rendered = re.findall(r"<table>.*?</table>", html, re.S)
problems = []
if len(rendered) != len(tables):
    problems.append(f"{len(tables)} tables in the source, {len(rendered)} rendered as <table>")
for (line, head, bad), t in zip(tables, rendered):
    ths = len(re.findall(r"<th[ >]", t))
    if ths != head:
        problems.append(f"line {line}: {head} header cells, {ths} rendered")
    for l, n in bad:
        problems.append(f"line {l}: {n} cells under a header of {head}")
print(len(tables))
for p in problems: print(p)
PY
	n=$(head -1 "$T_TMP/check")
	if [ "$(wc -l <"$T_TMP/check")" -eq 1 ]; then ok "$f: $n tables render with consistent columns"; else not_ok "$f: tables render with consistent columns" "$(tail -n +2 "$T_TMP/check")"; fi
done

# The check itself must catch what issue 15 found: a 2-column header over
# a 3-column separator row is not a table.
printf '| a | b |\n|---|---|---|\n| 1 | 2 | 3 |\n' >"$T_TMP/bad.md"
cmark-gfm --extension table "$T_TMP/bad.md" >"$T_TMP/bad.html"
if grep -q "<table>" "$T_TMP/bad.html"; then not_ok "a header narrower than its separator row is not a table" "$(cat "$T_TMP/bad.html")"; else ok "a header narrower than its separator row is not a table"; fi
t_done
