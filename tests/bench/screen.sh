#!/bin/sh
# tests/bench/screen.sh - the time screening for patient identifiers adds
# per post (issue 19 target: under 1 ms for a typical post).
#
# Screens the synthetic posts of tests/screen/ twenty times over in one
# process (`rounds screen --split`), so start-up is spread over thousands
# of posts, and prints microseconds per post.  A figure, not pass/fail.
# Usage: sh tests/bench/screen.sh [ROUNDS_BINARY]
set -eu
R=${1:-${ROUNDS:-./build/rounds}}
tmp=$(mktemp)
trap 'rm -f "$tmp"' EXIT
i=0
while [ $i -lt 20 ]; do
	cat tests/screen/phi.txt tests/screen/clean.txt >>"$tmp"
	i=$((i + 1))
done
posts=$(grep -c '^%%' "$tmp")
start=$(date +%s%N)
"$R" screen --split '%%' <"$tmp" >/dev/null
end=$(date +%s%N)
us=$(((end - start) / 1000 / posts))
echo "screen: $posts posts, $us us per post (start-up included)"
