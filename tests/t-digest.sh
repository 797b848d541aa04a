#!/bin/bash
# t-digest.sh - personalised digests through the real binary: who gets one
# and when, what is in it, exactly once, golden files, valid HTML.
. tests/lib.sh

t_home
R=$ROUNDS
tomorrow=$(date -u -d 'tomorrow 12:00' +%Y-%m-%dT%H:%M:%SZ)
dayafter=$(date -u -d '2 days 12:00' +%Y-%m-%dT%H:%M:%SZ)

"$R" community create care --title "Care Team" --policy open >/dev/null
"$R" community create family --title "Okafor Family" --policy open >/dev/null
"$R" member add care nurse@example.org --name "Nurse Jo" >/dev/null
"$R" member add family nurse@example.org >/dev/null
"$R" member add care doc@example.org --name "Dr Doc" >/dev/null
"$R" member add care each@example.org --delivery each >/dev/null
"$R" member set care doc@example.org --grouping separate --timezone Asia/Kolkata >/dev/null
"$R" member add family doc@example.org >/dev/null

mail() { # id from subject [irt] [date]
	printf 'From: %s\nTo: list@lists.example.test\nSubject: %s\n' "$2" "$3"
	printf 'Date: %s\nMessage-ID: <%s@example.net>\n' "${5:-Mon, 23 Nov 2026 08:00:00 +0000}" "$1"
	[ -n "${4:-}" ] && printf 'In-Reply-To: <%s@example.net>\n' "$4"
	cat <<MAIL
Content-Type: text/plain; charset=UTF-8

Text of $1 by $2.
Question? https://example.org/guide?a=1&b=2 <script>alert(1)</script>
MAIL
}
mail q1 "Sam <sam@example.com>" "Dressing change frequency?" | "$R" deliver --recipient care@lists.example.test
mail r1 "Dr Doc <doc@example.org>" "Re: Dressing change frequency?" q1 | "$R" deliver --recipient care@lists.example.test
mail r2 "Sam <sam@example.com>" "Re: Dressing change frequency?" r1 | "$R" deliver --recipient care@lists.example.test
mail f1 "Ann <ann@example.com>" "Photos from Sunday" | "$R" deliver --recipient family@lists.example.test
# A long message is cut after 15 lines with a note.
{ mail long "Lee <lee@example.com>" "A long update"; seq 1 40 | sed 's/^/line /'; } |
	"$R" deliver --recipient care@lists.example.test

expect_code 0 "preview works" "$R" digest preview nurse@example.org --now "$tomorrow"
out=$(cat "$T_TMP/out")
case "$out" in *"Care Team ·"*) case "$out" in *"Okafor Family ·"*) ok "combined digest covers both communities" ;; *) not_ok "combined digest covers both communities" ;; esac ;;
*) not_ok "combined digest covers both communities" "$out" ;; esac
case "$out" in *"Rounds: 3 conversations, 5 new messages"*) ok "subject says what is inside" ;;
*) not_ok "subject says what is inside" "$(head -1 "$T_TMP/out")" ;; esac
case "$out" in *"27 more lines"*) ok "long message is cut after 15 lines" ;;
*) not_ok "long message is cut after 15 lines" ;; esac
case "$out" in *"line 13"*) ok "the first 15 lines are shown" ;; *) not_ok "the first 15 lines are shown" ;; esac
case "$out" in *"line 14"*) not_ok "nothing past line 15 is shown" ;; *) ok "nothing past line 15 is shown" ;; esac
case "$out" in *"+r-"*"@lists.example.test"*) ok "reply addresses are in the digest" ;;
*) not_ok "reply addresses are in the digest" ;; esac
# Sections: a question nobody answered comes before other new ones.
pos_q=$(grep -n "^== Questions waiting" "$T_TMP/out" | cut -d: -f1)
pos_n=$(grep -n "^== New conversations" "$T_TMP/out" | cut -d: -f1)
pos_y=$(grep -n "^== Conversations you are in" "$T_TMP/out" | cut -d: -f1)
if [ -z "$pos_y" ] && [ -n "$pos_q" ] && [ -n "$pos_n" ] && [ "$pos_q" -lt "$pos_n" ]; then
	ok "questions before new conversations"
else
	not_ok "questions before new conversations" "q=$pos_q n=$pos_n y=$pos_y"
fi
long=$(awk 'length > 72' "$T_TMP/out" | grep -v 'mailto:' | head -3)
expect_eq "text wrapped at 72 columns" "$long" ""

# Dr Doc took part: that conversation comes first, in his own zone, and his
# own message is not news to him.  Separate grouping: one per community.
expect_code 0 "preview for a separate-grouping person" "$R" digest preview doc@example.org --now "$tomorrow"
first=$(grep -n "^==" "$T_TMP/out" | head -1)
case "$first" in *"Conversations you are in"*) ok "conversations you are in come first" ;;
*) not_ok "conversations you are in come first" "$first" ;; esac
case "$(cat "$T_TMP/out")" in *"Mon 23 Nov 13:30"*) ok "times in the reader's zone (Kolkata)" ;;
*) not_ok "times in the reader's zone (Kolkata)" ;; esac
expect_eq "separate digests: one per community" "$(grep -c '^Care Team: \|^Okafor Family: ' "$T_TMP/out")" 2

# HTML: valid, escaped, links clickable, no remote images.
"$R" digest preview nurse@example.org --now "$tomorrow" --html >"$T_TMP/d.html"
if xmllint --html --noout "$T_TMP/d.html" 2>"$T_TMP/xml.err" && [ ! -s "$T_TMP/xml.err" ]; then
	ok "HTML digest parses without errors"
else
	not_ok "HTML digest parses without errors" "$(head -5 "$T_TMP/xml.err")"
fi
grep -q '&lt;script&gt;' "$T_TMP/d.html" && ! grep -q '<script>' "$T_TMP/d.html" &&
	ok "message text is escaped in HTML" || not_ok "message text is escaped in HTML"
grep -q '<a href="https://example.org/guide?a=1&amp;b=2"' "$T_TMP/d.html" &&
	ok "links in message text are clickable" || not_ok "links in message text are clickable"
grep -q '<img src="http' "$T_TMP/d.html" && not_ok "no remote images" || ok "no remote images"

# Nobody gets a digest before their slot; 'each' members never get one.
expect_code 0 "tick queues due digests" "$R" tick --now "$tomorrow" --no-send
expect_eq "one digest per combined person, one per community when separate" \
	"$("$R" outbox list --json | python3 -c 'import json,sys; print(sorted(o["recipient"] for o in json.load(sys.stdin) if o["kind"] == "digest"))')" \
	"['doc@example.org', 'doc@example.org', 'nurse@example.org']"
expect_code 0 "second tick in the same slot" "$R" tick --now "$tomorrow" --no-send
expect_eq "nothing queued twice" "$("$R" outbox list --json | python3 -c 'import json,sys; print(len([o for o in json.load(sys.stdin) if o["kind"] == "digest"]))')" 3
expect_code 0 "next day, nothing new" "$R" tick --now "$dayafter" --no-send
expect_eq "nothing new: nothing sent" "$("$R" outbox list --json | python3 -c 'import json,sys; print(len([o for o in json.load(sys.stdin) if o["kind"] == "digest"]))')" 3
mail n2 "Sam <sam@example.com>" "Next week's rota" | "$R" deliver --recipient care@lists.example.test
expect_code 0 "preview after the digest shows only what is new" "$R" digest preview nurse@example.org --now "$dayafter"
case "$(cat "$T_TMP/out")" in *"Next week's rota"*) ok "new message in the next digest" ;; *) not_ok "new message in the next digest" ;; esac
case "$(cat "$T_TMP/out")" in *"Dressing change"*) not_ok "old messages not repeated" ;; *) ok "old messages not repeated" ;; esac

# Golden file: the text digest, normalised (tokens and dates).
norm() { sed -E 's/\+([rdcbm])-[a-z2-7]+@/+\1-TOKEN@/g; s/(get|mute|pause|unsubscribe|weekly) [a-z2-7]{16,}/\1 TOKEN/g; s/%20[a-z2-7]{16,}/%20TOKEN/g; s/[A-Z][a-z]{2} [0-9]{2} [A-Z][a-z]{2}( [0-9]{2}:[0-9]{2})?/DATE/g'; }
"$R" digest preview nurse@example.org --now "$tomorrow" >/dev/null
t_home
"$R" community create care --title "Care Team" --policy open >/dev/null
"$R" member add care nurse@example.org --name "Nurse Jo" >/dev/null
for f in contrib/demo/0[1-8]-*.eml; do "$R" deliver --recipient care@lists.example.test <"$f"; done
"$R" digest preview nurse@example.org --now "$tomorrow" | norm >"$T_TMP/golden.txt"
"$R" digest preview nurse@example.org --now "$tomorrow" --html | norm >"$T_TMP/golden.html"
for g in txt html; do
	if [ -n "${UPDATE_GOLDEN:-}" ]; then cp "$T_TMP/golden.$g" "tests/digest/golden.$g"; fi
	if diff -u "tests/digest/golden.$g" "$T_TMP/golden.$g" >"$T_TMP/diff"; then
		ok "golden $g digest"
	else
		not_ok "golden $g digest" "$(head -20 "$T_TMP/diff")"
	fi
done
# A community may override any template under $ROUNDS_HOME/templates/NAME/.
mkdir -p "$ROUNDS_HOME/templates/care"
printf 'Our own layout for {{title}}: {{conversation_count}} conversations\n' >"$ROUNDS_HOME/templates/care/digest.txt.mustache"
expect_eq "per-community template override" "$("$R" digest preview nurse@example.org --now "$tomorrow" | head -1)" "Our own layout for Care Team: 2 conversations"
xmllint --html --noout tests/digest/golden.html 2>/dev/null && ok "golden HTML parses" || not_ok "golden HTML parses"

# Long everything: community name and domain, names, subject, a link.  Every
# line of the text digest fits 78 columns (an 80-column terminal), and a
# wrapped line keeps its indent (the participants line stays under its
# conversation).
dom=clinical-governance-and-patient-safety.regional-health-board.example.test
ROUNDS_HOME=$(mktemp -d "$T_TMP/home.XXXXXX")
"$R" init --domain "$dom" >/dev/null
"$R" community create tissue-viability-and-wound-care-network \
	--title "Tissue Viability and Wound Care Network" --policy open >/dev/null
for n in "Alexandra Konstantinopoulou-Fitzgerald" "Maximilian Oberholzer-Wittgenstein" \
	"Bartholomew Featherstonehaugh-Cholmondeley" "Guðrún Sigurðardóttir-Þorvaldsson"; do
	a=$(echo "$n" | tr -dc 'A-Za-z' | tr 'A-Z' 'a-z')
	"$R" member add tissue-viability-and-wound-care-network "$a@very-long-hospital-name.example.org" --name "$n" >/dev/null
	printf 'From: %s <%s@very-long-hospital-name.example.org>\nTo: x@%s\nSubject: %s\nMessage-ID: <%s@example.net>\n%s\n\n%s\n' \
		"$n" "$a" "$dom" "Re: Negative pressure wound therapy after skin grafting in the community setting: what do your teams do?" "$a" \
		"${prev:+In-Reply-To: <$prev@example.net>}" \
		"See https://guidelines.example.org/wound-care/negative-pressure/skin-grafts/community-setting?version=2026-11&section=4.2.1 and tell me." |
		"$R" deliver --recipient "tissue-viability-and-wound-care-network@$dom"
	prev=$a
done
expect_code 0 "preview with long names" "$R" digest preview alexandrakonstantinopouloufitzgerald@very-long-hospital-name.example.org --now "$tomorrow"
wide=$(python3 -c 'import sys, unicodedata as u
for l in open(sys.argv[1], encoding="utf-8").read().split("\n"):
    if sum(2 if u.east_asian_width(c) in "WF" else 1 for c in l) > 78: print(len(l), l)' "$T_TMP/out")
expect_eq "every text line fits 78 columns" "$wide" ""
part=$(grep -n "^    Tissue Viability and Wound Care Network ·" "$T_TMP/out" | head -1 | cut -d: -f1)
cont=$(sed -n "$((${part:-0} + 1))p" "$T_TMP/out")
case "$cont" in "    "[!\ ]*) ok "a wrapped participants line keeps its indent" ;;
*) not_ok "a wrapped participants line keeps its indent" "$(sed -n "${part:-1},$((${part:-1} + 2))p" "$T_TMP/out")" ;; esac
# A broken link sits inside <...> (RFC 3986 appendix C); joined again, it is whole.
link=$(python3 -c 'import re, sys
t = open(sys.argv[1], encoding="utf-8").read()
m = re.search(r"<(mailto:[^>]*)>", t)
print(re.sub(r"\s+", "", m.group(1)) if m else "")' "$T_TMP/out")
case "$link" in "mailto:tissue-viability-and-wound-care-network+request@$dom?subject="*) ok "a long mailto: link is broken inside <...>" ;;
*) not_ok "a long mailto: link is broken inside <...>" "$link" ;; esac
t_done
