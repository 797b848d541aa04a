#!/bin/sh
# contrib/preview.sh - `make preview`: render the demo's HTML digest (and the
# one-click unsubscribe page of rounds web) in
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
