#!/bin/sh
# contrib/demo.sh - a sample community end to end (run by `make demo`).
#
# Creates a fresh installation under demo-out/, a community with members,
# delivers a short conversation through `rounds deliver` exactly as an MTA
# would, and shows what Rounds made of it.
set -eu
cd "$(dirname "$0")/.."
ROUNDS=${ROUNDS:-$(pwd)/build/rounds}
OUT=$(pwd)/demo-out
rm -rf "$OUT"
mkdir -p "$OUT"
ROUNDS_HOME=$OUT/home
export ROUNDS_HOME

say() { printf '\n== %s\n' "$*"; }

say "Setting up an installation in $ROUNDS_HOME"
"$ROUNDS" init --domain lists.example.test
"$ROUNDS" community create wound-care --title "Wound Care Peers" --policy members \
	--owner amara.okafor@stmarys.example.org
for m in "jonas.berg@vardcentral.example.net Jonas Berg" \
	"p.raman@healthboard.example.com Priya Raman" \
	"tomas.alvarez@hospital.example.org Tomás Álvarez" \
	"sarah.lin@clinic.example.com Sarah Lin"; do
	addr=${m%% *}
	name=${m#* }
	"$ROUNDS" member add wound-care "$addr" --name "$name" >/dev/null
done
"$ROUNDS" member set wound-care amara.okafor@stmarys.example.org --name "Amara Okafor" \
	--timezone Europe/London >/dev/null
"$ROUNDS" member list wound-care

say "Delivering the sample conversation through rounds deliver (as Postfix's pipe(8) would)"
for f in contrib/demo/*.eml; do
	sender=$(sed -n 's/^From:.*<\(.*\)>.*/\1/p' "$f" | head -n 1)
	set +e
	"$ROUNDS" deliver --recipient wound-care@lists.example.test --sender "$sender" --verbose <"$f"
	rc=$?
	set -e
	echo "   $(basename "$f"): exit $rc"
done

say "Threads of wound-care@lists.example.test"
"$ROUNDS" thread list wound-care
for t in $("$ROUNDS" thread list wound-care --json | python3 -c \
	'import json,sys; print(" ".join(str(t["thread_id"]) for t in json.load(sys.stdin)))'); do
	echo
	"$ROUNDS" thread show "$t"
done

say "Held for moderation"
"$ROUNDS" message list wound-care --status held

say "The digest Sarah Lin would receive tomorrow morning (rounds digest preview)"
tomorrow=$(date -u -d 'tomorrow 09:00' +%Y-%m-%dT%H:%M:%SZ)
"$ROUNDS" digest preview sarah.lin@clinic.example.com --now "$tomorrow"
"$ROUNDS" digest preview sarah.lin@clinic.example.com --now "$tomorrow" --html >"$OUT/digest.html"
say "The HTML digest is in $OUT/digest.html"

say "Sarah replies to the first conversation from her phone (top-posted, digest quoted)"
raddr=$("$ROUNDS" digest preview sarah.lin@clinic.example.com --now "$tomorrow" |
	sed -n 's/^ *Reply: \(.*\)$/\1/p' | head -n 1)
{
	printf 'From: Sarah Lin <sarah.lin@clinic.example.com>\nTo: %s\n' "$raddr"
	printf 'Subject: Re: Wound Care Peers: 2 conversations\nMessage-ID: <sarah-reply-1@clinic.example.com>\n'
	printf 'Content-Type: text/plain; charset=UTF-8\n\n'
	printf 'Our IG lead agreed: no camera roll, ever. I will share the leaflet Monday.\n\nSent from my iPhone\n\n'
	printf 'On 29 Nov 2026, at 07:00, Wound Care Peers <digest@lists.example.test> wrote:\n\n'
	"$ROUNDS" digest preview sarah.lin@clinic.example.com --now "$tomorrow" | sed 's/^/> /'
} >"$OUT/reply.eml"
"$ROUNDS" deliver --recipient "$raddr" --sender sarah.lin@clinic.example.com --verbose <"$OUT/reply.eml"
thread=$("$ROUNDS" message list wound-care --json | python3 -c \
	'import json,sys; print([m for m in json.load(sys.stdin) if m["message_id"] == "sarah-reply-1@clinic.example.com"][0]["thread_id"])')
"$ROUNDS" thread show "$thread"
echo
echo "What was stored (trimmed):"
"$ROUNDS" message show wound-care sarah-reply-1@clinic.example.com | tail -n +2
