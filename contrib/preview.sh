#!/bin/sh
# contrib/preview.sh - `make preview`: render the demo's HTML digest in
# headless Chromium at phone (390 px) and desktop (1024 px) widths, and
# check that nothing (a long URL, a long word) makes the page wider than
# the phone's screen: it fails naming the width the page took.  Also the
# one-click unsubscribe page of rounds web, at phone width.
# Usage: contrib/preview.sh [DIGEST.html]   (default demo-out/digest.html)
set -eu
cd "$(dirname "$0")/.."
OUT=$(pwd)/demo-out
page=${1:-$OUT/digest.html}
case "$page" in /*) ;; *) page=$(pwd)/$page ;; esac
[ -f "$page" ] || sh contrib/demo.sh >/dev/null
browser=$(command -v chromium || command -v chromium-browser || true)
if [ -z "$browser" ]; then
	echo "preview: chromium is not installed (contrib/install-deps.sh --preview)" >&2
	exit 69
fi
profile=$(mktemp -d)
trap 'rm -rf "$profile"' EXIT
# The flags keep Chromium off the network this machine does not have.
chrome() {
	"$browser" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
		--disable-background-networking --disable-component-update --disable-sync \
		--hide-scrollbars --user-data-dir="$profile" "$@"
}
mkdir -p "$OUT"
for shot in phone:390 desktop:1024; do
	name=${shot%%:*}
	width=${shot#*:}
	chrome --window-size="$width,2400" --screenshot="$OUT/digest-$name.png" \
		"file://$page" >/dev/null 2>&1
	echo "$OUT/digest-$name.png"
done

# Headless Chromium will not make its window narrower than 500 px, so the
# digest is measured in a 390 px frame: the width its content takes
# (scrollWidth) against the width of the frame (clientWidth).
cat >"$profile/measure.html" <<HTML
<!DOCTYPE html><html><body style="margin:0">
<iframe id="d" src="file://$page" style="width:390px;height:2400px;border:0"></iframe>
<script>
document.getElementById("d").addEventListener("load", function () {
	var e = this.contentDocument.documentElement, p = document.createElement("pre");
	p.textContent = "measured " + e.scrollWidth + " " + e.clientWidth;
	document.body.appendChild(p);
});
</script>
</body></html>
HTML
measured=$(chrome --window-size=1024,2400 --allow-file-access-from-files --dump-dom \
	"file://$profile/measure.html" 2>/dev/null | sed -n 's/.*measured \([0-9][0-9]*\) \([0-9][0-9]*\).*/\1 \2/p')
if [ -z "$measured" ]; then
	echo "preview: could not measure the digest in Chromium" >&2
	exit 1
fi
# shellcheck disable=SC2086
set -- $measured
if [ "$1" -gt "$2" ]; then
	echo "preview: at phone width the digest is $1 px wide in a $2 px screen" >&2
	exit 1
fi
echo "preview: at phone width the digest fits ($1 px in $2 px)"
# The one-click unsubscribe page of rounds web, at phone width: a scratch
# installation whose list copy carries the link, the service on a free
# loopback port, the page as a person opens it (nothing is pressed).
ROUNDS=${ROUNDS:-$(pwd)/build/rounds}
web_home=$(mktemp -d)
web_pid=
trap 'rm -rf "$profile" "$web_home"; [ -n "$web_pid" ] && kill "$web_pid" 2>/dev/null' EXIT
export ROUNDS_HOME="$web_home"
"$ROUNDS" init --domain lists.example.org >/dev/null
printf '\n[web]\nurl = https://lists.example.org/rounds\n' >>"$web_home/rounds.conf"
"$ROUNDS" community create wound-care --title "Wound Care Network" >/dev/null
"$ROUNDS" member add wound-care nurse@example.org sam@example.org --delivery each >/dev/null
printf 'From: Sam <sam@example.org>\nTo: wound-care@lists.example.org\nSubject: Sunday rota\nMessage-ID: <preview@example.org>\n\nWho covers Sunday?\n' |
	"$ROUNDS" deliver --recipient wound-care@lists.example.org --sender sam@example.org
id=$("$ROUNDS" outbox list --json | python3 -c 'import json,sys; print([o["id"] for o in json.load(sys.stdin) if o["kind"] == "post"][0])')
token=$("$ROUNDS" outbox show "$id" | tr -d '\r' | sed -n 's/^List-Unsubscribe: <https:[^>]*\/u\/\([a-z2-7]*\)>.*/\1/p')
# As root, rounds web becomes the installation's owner: give it one.
[ "$(id -u)" = 0 ] && chown -R nobody "$web_home"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')
"$ROUNDS" web --listen "127.0.0.1:$port" 2>"$OUT/web.log" &
web_pid=$!
for _ in $(seq 1 100); do
	python3 -c "import socket; socket.create_connection(('127.0.0.1', $port), 0.2)" 2>/dev/null && break
	kill -0 "$web_pid" 2>/dev/null || { cat "$OUT/web.log" >&2; exit 1; }
	sleep 0.1
done
python3 contrib/web-browser.py "http://127.0.0.1:$port/u/$token" --width 390 \
	--screenshot "$OUT/unsubscribe-phone.png" >/dev/null
echo "$OUT/unsubscribe-phone.png"
