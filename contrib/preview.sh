#!/bin/sh
# contrib/preview.sh - `make preview`: render the demo's HTML digest in
# headless Chromium at phone (390 px) and desktop (1024 px) widths.
set -eu
cd "$(dirname "$0")/.."
OUT=$(pwd)/demo-out
[ -f "$OUT/digest.html" ] || sh contrib/demo.sh >/dev/null
browser=$(command -v chromium || command -v chromium-browser || true)
if [ -z "$browser" ]; then
	echo "preview: chromium is not installed (contrib/install-deps.sh --preview)" >&2
	exit 69
fi
profile=$(mktemp -d)
trap 'rm -rf "$profile"' EXIT
for shot in phone:390 desktop:1024; do
	name=${shot%%:*}
	width=${shot#*:}
	# The flags keep Chromium off the network this machine does not have.
	"$browser" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
		--disable-background-networking --disable-component-update --disable-sync \
		--hide-scrollbars --user-data-dir="$profile" --window-size="$width,2400" \
		--screenshot="$OUT/digest-$name.png" "file://$OUT/digest.html" >/dev/null 2>&1
	echo "$OUT/digest-$name.png"
done
