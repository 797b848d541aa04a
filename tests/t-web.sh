#!/bin/bash
# t-web.sh - rounds web with curl (and once in headless Chromium): the
# one-click unsubscribe of RFC 8058 (POST unsubscribes, GET changes
# nothing), confirmations by a button, 404 for every token that is not
# right, and the List-Unsubscribe headers of list copies and digests with
# and without [web] url.
. tests/lib.sh

t_home
R=$ROUNDS
D=lists.example.test
tomorrow=$(date -u -d 'tomorrow 12:00' +%Y-%m-%dT%H:%M:%SZ)
"$R" community create care --title "Care Team" --policy open --owner owner@example.org >/dev/null
"$R" member add care alice@example.org bob@example.org --delivery each >/dev/null
"$R" member add care carol@example.org >/dev/null # digest
"$R" community create other --title "Other Place" --policy open >/dev/null
"$R" member add other bob@example.org --delivery each >/dev/null
"$R" member add other carol@example.org >/dev/null # her digest combines both

# post: one post from alice; the newest copy to ADDR into FILE.
post() {
	t_mail alice@example.org "care@$D" "$1" "Who covers Sunday?" >"$T_TMP/post.eml"
	deliver "care@$D" "$T_TMP/post.eml" alice@example.org
}
copy_to() { # ADDR FILE: the newest list copy queued for ADDR, as it would be sent
	"$R" outbox show "$(outbox_id "o['recipient'] == '$1' and o['kind'] == 'post'")" | tr -d '\r' >"$2"
}
header() { # NAME FILE: the unfolded header NAME of FILE
	python3 -c 'import email,sys; m=email.message_from_binary_file(open(sys.argv[2],"rb")); print(" ".join((m[sys.argv[1]] or "").split()))' "$1" "$2"
}

# ---- headers without [web] url: mailto only, as before ----
post "Rota one"
copy_to bob@example.org "$T_TMP/c1.eml"
case $(header List-Unsubscribe "$T_TMP/c1.eml") in
"<mailto:care+request@$D?subject=unsubscribe%20"*">") ok "without [web] url: List-Unsubscribe is mailto only" ;;
*) not_ok "without [web] url: List-Unsubscribe is mailto only" "$(header List-Unsubscribe "$T_TMP/c1.eml")" ;;
esac
expect_eq "... and no List-Unsubscribe-Post" "$(header List-Unsubscribe-Post "$T_TMP/c1.eml")" ""
expect_code 0 "tick queues carol's digest" "$R" tick --now "$tomorrow" --no-send
"$R" outbox show "$(outbox_id "o['recipient'] == 'carol@example.org' and o['kind'] == 'digest'")" | tr -d '\r' >"$T_TMP/d1.eml"
case $(header List-Unsubscribe "$T_TMP/d1.eml") in
"<mailto:care+request@$D?subject=unsubscribe%20"*">") ok "without [web] url: the digest's List-Unsubscribe is mailto only" ;;
*) not_ok "without [web] url: the digest's List-Unsubscribe is mailto only" "$(header List-Unsubscribe "$T_TMP/d1.eml")" ;;
esac
expect_eq "... and no List-Unsubscribe-Post in the digest" "$(header List-Unsubscribe-Post "$T_TMP/d1.eml")" ""

# ---- with [web] url ----
printf '\n[web]\nurl = https://lists.example.test/rounds/\n' >>"$ROUNDS_HOME/rounds.conf"
copy_to bob@example.org "$T_TMP/c2.eml"
lu=$(header List-Unsubscribe "$T_TMP/c2.eml")
case $lu in
"<https://lists.example.test/rounds/u/"*">, <mailto:care+request@$D?subject=unsubscribe%20"*">") ok "with [web] url: List-Unsubscribe has the https link, then mailto" ;;
*) not_ok "with [web] url: List-Unsubscribe has the https link, then mailto" "$lu" ;;
esac
expect_eq "... and List-Unsubscribe-Post: List-Unsubscribe=One-Click" "$(header List-Unsubscribe-Post "$T_TMP/c2.eml")" "List-Unsubscribe=One-Click"
bob_url=$(printf '%s' "$lu" | sed -n 's/^<\(https:[^>]*\)>.*/\1/p')
bob_tok=${bob_url##*/u/}
bob_cmd=$(printf '%s' "$lu" | sed -n 's/.*subject=unsubscribe%20\([a-z2-7]*\)>$/\1/p')
[ ${#bob_tok} -ge 20 ] && ok "bob's copy carries his own link" || not_ok "bob's copy carries his own link" "$lu"
# The token is bob's alone: no other member's mail of the same post has it.
"$R" member add care dave@example.org --delivery each >/dev/null
post "Rota two"
copy_to dave@example.org "$T_TMP/cd.eml"
dave_lu=$(header List-Unsubscribe "$T_TMP/cd.eml")
case $dave_lu in
"<https://lists.example.test/rounds/u/"*) ;;
*) not_ok "dave's copy has his own link" "$dave_lu" ;;
esac
if grep -q "$bob_tok" "$T_TMP/cd.eml" || [ "$dave_lu" = "$lu" ]; then not_ok "dave's copy does not carry bob's link"; else ok "dave's copy does not carry bob's link"; fi
# dave pastes his own link into a post: nobody else may receive it.
dave_url=$(header List-Unsubscribe "$T_TMP/cd.eml" | sed -n 's/^<\(https:[^>]*\)>.*/\1/p')
t_mail dave@example.org "care@$D" "My link" "Is this mine? HTTPS://lists.example.test/rounds${dave_url#https://lists.example.test/rounds}." >"$T_TMP/paste.eml"
deliver "care@$D" "$T_TMP/paste.eml" dave@example.org
body=$("$R" message show care "$(message_field care 'm["subject"] == "My link"' message_id)" --json | json 'd["body"]')
case $body in
*"${dave_url##*/}"*) not_ok "a pasted one-click link is taken out of the post" "$body" ;;
*"Is this mine? [address removed]."*) ok "a pasted one-click link is taken out of the post" ;;
*) not_ok "a pasted one-click link is taken out of the post" "$body" ;;
esac
"$R" outbox show "$(outbox_id "o['recipient'] == 'carol@example.org' and o['kind'] == 'digest'")" | tr -d '\r' >"$T_TMP/d2.eml"
dl=$(header List-Unsubscribe "$T_TMP/d2.eml")
case $dl in
"<https://lists.example.test/rounds/u/"*">, <mailto:care+request@$D?subject=unsubscribe%20"*">") ok "with [web] url: the digest's List-Unsubscribe has the https link" ;;
*) not_ok "with [web] url: the digest's List-Unsubscribe has the https link" "$dl" ;;
esac
expect_eq "... and the digest has List-Unsubscribe-Post" "$(header List-Unsubscribe-Post "$T_TMP/d2.eml")" "List-Unsubscribe=One-Click"
carol_tok=$(printf '%s' "$dl" | sed -n 's/^<https:[^>]*\/u\/\([a-z2-7]*\)>.*/\1/p')

# ---- the service ----
PORT=$(free_port)
expect_code 0 "rounds web --help" "$R" web --help
# Started as root, rounds web becomes the owner of the installation.
chmod o+x "$T_TMP"
chown -R nobody "$ROUNDS_HOME"
"$R" web --listen "127.0.0.1:$PORT" 2>"$T_TMP/web.log" &
WEB_PID=$!
web_stop() { [ -n "${WEB_PID:-}" ] && kill "$WEB_PID" 2>/dev/null && wait "$WEB_PID" 2>/dev/null; WEB_PID=; return 0; }
t_on_exit web_stop
B="http://127.0.0.1:$PORT"
wait_for curl -s -o /dev/null "$B/" || not_ok "rounds web starts" "$(cat "$T_TMP/web.log")"
[ "$(id -u)" = 0 ] && expect_eq "started as root, rounds web runs as HOME's owner" "$(ps -o user= -p "$WEB_PID")" nobody
code() { curl -s -o "$T_TMP/page" -w '%{http_code}' "$@"; }

expect_eq "GET /u/TOKEN: 200" "$(code "$B/u/$bob_tok")" 200
grep -q "Care Team" "$T_TMP/page" && grep -q '<form method="post"' "$T_TMP/page" &&
	grep -q 'name="List-Unsubscribe" value="One-Click"' "$T_TMP/page" &&
	ok "... a page with the community's name and a button that POSTs" || not_ok "... a page with the community's name and a button that POSTs" "$(head -c 600 "$T_TMP/page")"
grep -q 'weekly' "$T_TMP/page" && grep -qi 'pause' "$T_TMP/page" && ok "... with the alternatives (weekly digest, pause)" || not_ok "... with the alternatives"
if grep -Eq '(src|href)="(https?:)?//' "$T_TMP/page"; then not_ok "... and no external resources"; else ok "... and no external resources"; fi
code -I "$B/u/$bob_tok" >/dev/null
expect_eq "GET and HEAD change nothing: bob is still a member" "$(member_field care bob@example.org delivery)" each
expect_eq "POST without List-Unsubscribe=One-Click: 400" "$(code -d 'x=y' "$B/u/$bob_tok")" 400
expect_eq "... and changes nothing" "$(member_field care bob@example.org delivery)" each
expect_eq "a mailto token in the link: 404" "$(code -d List-Unsubscribe=One-Click "$B/u/$bob_cmd")" 404
expect_eq "a truncated token: 404" "$(code -d List-Unsubscribe=One-Click "$B/u/${bob_tok%?????}")" 404
alt=$(printf '%s' "$bob_tok" | python3 -c 'import sys; t=sys.stdin.read(); print(t[:-1] + ("a" if t[-1] != "a" else "b"))')
expect_eq "an altered token: 404" "$(code -d List-Unsubscribe=One-Click "$B/u/$alt")" 404
grep -qi "not found" "$T_TMP/page" && ok "... a plain not-found page" || not_ok "... a plain not-found page"
expect_eq "an unknown path: 404" "$(code "$B/x/$bob_tok")" 404
# Another installation's link for the same community and person.
OTHER=$(mktemp -d "$T_TMP/home2.XXXXXX")
ROUNDS_HOME=$OTHER "$R" init --domain "$D" >/dev/null
ROUNDS_HOME=$OTHER "$R" community create care --title "Care Team" >/dev/null
ROUNDS_HOME=$OTHER "$R" member add care bob@example.org alice@example.org carol@example.org --delivery each >/dev/null
printf '\n[web]\nurl = https://lists.example.test/rounds\n' >>"$OTHER/rounds.conf"
t_mail alice@example.org "care@$D" "Elsewhere" "Hello" >"$T_TMP/p2.eml"
ROUNDS_HOME=$OTHER "$R" deliver --recipient "care@$D" --sender alice@example.org <"$T_TMP/p2.eml"
id2=$(ROUNDS_HOME=$OTHER "$R" outbox list --json | python3 -c 'import json,sys; print([o["id"] for o in json.load(sys.stdin) if o["recipient"] == "bob@example.org"][0])')
forged=$(ROUNDS_HOME=$OTHER "$R" outbox show "$id2" | tr -d '\r' | sed -n 's/^List-Unsubscribe: <https:[^>]*\/u\/\([a-z2-7]*\)>.*/\1/p')
[ -n "$forged" ] && [ "$forged" != "$bob_tok" ] && expect_eq "another installation's token: 404" "$(code -d List-Unsubscribe=One-Click "$B/u/$forged")" 404 ||
	not_ok "another installation's token: 404" "no token read"
expect_eq "after all the bad tokens bob is still a member" "$(member_field care bob@example.org delivery)" each

expect_eq "POST /u/TOKEN with List-Unsubscribe=One-Click: 200" "$(code -d List-Unsubscribe=One-Click "$B/u/$bob_tok")" 200
expect_eq "... bob has left care" "$(member_field care bob@example.org address)" ""
expect_eq "... and stays in the other community" "$(member_field other bob@example.org delivery)" each
expect_eq "a repeated POST is harmless: 200" "$(code -d List-Unsubscribe=One-Click "$B/u/$bob_tok")" 200
headers=$(curl -s -D - -o /dev/null -d List-Unsubscribe=One-Click "$B/u/$bob_tok" | tr -d '\r')
if printf '%s\n' "$headers" | grep -qi '^\(set-cookie\|location\):'; then not_ok "no cookie and no redirect" "$headers"; else ok "no cookie and no redirect"; fi
printf '%s\n' "$headers" | grep -qi '^cache-control: no-store' && ok "pages are not cached" || not_ok "pages are not cached" "$headers"

# A digest's one-click link stops the digest, the membership stays.
expect_eq "GET the digest's link changes nothing" "$(code "$B/u/$carol_tok") $(member_field care carol@example.org delivery)" "200 digest"
expect_eq "POST the digest's link: 200" "$(code -F List-Unsubscribe=One-Click "$B/u/$carol_tok")" 200
expect_eq "... carol gets no digest, and is still a member" "$(member_field care carol@example.org delivery)" none
expect_eq "... nor the other community's, which her combined digest held" "$(member_field other carol@example.org grouping) $(member_field other carol@example.org delivery)" "combined none"
# The page's alternatives are mail to the request address with carol's own
# code: sending the "weekly digest" one from her mail client works at once.
code "$B/u/$carol_tok" >/dev/null
weekly=$(sed -n 's/.*href="mailto:care+request@[^?]*?subject=\([^"]*\)".*weekly.*/\1/p' "$T_TMP/page" | head -1 | sed 's/%20/ /g')
case $weekly in "weekly "*) ok "the page offers a weekly digest by mail" ;; *) not_ok "the page offers a weekly digest by mail" "$(grep -i weekly "$T_TMP/page")" ;; esac
t_cmd carol@example.org "care+request@$D" "$weekly" ""
expect_eq "... and carol's mail with it gives her a weekly digest" "$(member_field care carol@example.org delivery) $(member_field care carol@example.org digest)" "digest weekly"

# ---- confirmations: /c/TOKEN ----
t_cmd erin@example.org "care+request@$D" subscribe ""
"$R" outbox show "$(outbox_id "o['recipient'] == 'erin@example.org'")" | tr -d '\r' >"$T_TMP/conf.eml"
ctok=$(grep -o "care+c-[a-z2-7]*@" "$T_TMP/conf.eml" | head -1 | sed 's/care+c-//; s/@//')
[ -n "$ctok" ] && ok "erin's subscription waits for confirmation" || not_ok "erin's subscription waits for confirmation" "$(head -30 "$T_TMP/conf.eml")"
expect_eq "GET /c/TOKEN: 200" "$(code "$B/c/$ctok")" 200
grep -q "erin@example.org" "$T_TMP/page" && grep -q '<form method="post"' "$T_TMP/page" && ok "... shows what waits, with a button" || not_ok "... shows what waits, with a button" "$(head -c 800 "$T_TMP/page")"
expect_eq "... and changes nothing" "$(member_field care erin@example.org address)" ""
expect_eq "GET /c/ with another kind's token: 404" "$(code "$B/c/$carol_tok")" 404
expect_eq "POST /c/TOKEN: 200" "$(code -d confirm=yes "$B/c/$ctok")" 200
expect_eq "... erin is a member, as with a reply to +c-" "$(member_field care erin@example.org address)" erin@example.org
expect_eq "... and welcomed by mail" "$(outbox_n "o['recipient'] == 'erin@example.org' and 'Welcome' in (o['subject'] or '')")" 1
expect_eq "the confirmation works once: a second POST is 404" "$(code -d confirm=yes "$B/c/$ctok")" 404
expect_eq "... and so is a GET" "$(code "$B/c/$ctok")" 404

# A reply to carol's digest from another address of hers waits for her
# confirmation; the button posts it, once.
raddr=$(grep -o "care+r-[a-z2-7]*@$D" "$T_TMP/d2.eml" | head -1)
t_cmd carol.home@example.net "$raddr" "Re: Rota one" "I can do Sunday."
expect_eq "a digest reply from another address is held" "$(message_field care 'm["from"] == "carol.home@example.net"' status)" held
rtok=$("$R" outbox show "$(outbox_id "o['recipient'] == 'carol@example.org' and o['kind'] != 'digest'")" | tr -d '\r' | grep -o "care+c-[a-z2-7]*@" | head -1 | sed 's/care+c-//; s/@//')
expect_eq "GET /c/ of the held reply: 200" "$(code "$B/c/$rtok")" 200
expect_eq "... changes nothing" "$(message_field care 'm["from"] == "carol.home@example.net"' status)" held
expect_eq "POST /c/ of the held reply: 200" "$(code -d confirm=yes "$B/c/$rtok")" 200
expect_eq "... the reply is posted" "$(message_field care 'm["from"] == "carol.home@example.net"' status)" posted
expect_eq "... and the link is used: 404" "$(code -d confirm=yes "$B/c/$rtok")" 404

# ---- once in a real browser ----
# ---- once in a real browser: the page at phone width, its button ----
"$R" member add care frank@example.org --delivery each >/dev/null
post "Rota three"
copy_to frank@example.org "$T_TMP/cf.eml"
frank_tok=$(header List-Unsubscribe "$T_TMP/cf.eml" | sed -n 's/^<https:[^>]*\/u\/\([a-z2-7]*\)>.*/\1/p')
python3 contrib/web-browser.py "$B/u/$frank_tok" --width 390 --screenshot "$T_TMP/phone.png" --click >"$T_TMP/browser.out" 2>"$T_TMP/browser.err"
brc=$?
if [ "$brc" = 69 ]; then
	ok "headless Chromium: the button unsubscribes # SKIP $(head -c 200 "$T_TMP/browser.err")"
elif [ "$brc" != 0 ]; then
	not_ok "headless Chromium: the page loads and its button is pressed" "$(head -c 600 "$T_TMP/browser.err")"
else
	[ -s "$T_TMP/phone.png" ] && ok "headless Chromium: a screenshot of the page at phone width" || not_ok "headless Chromium: a screenshot at phone width"
	grep -q "You have left Care Team" "$T_TMP/browser.out" && ok "... pressing the button shows the answer" || not_ok "... pressing the button shows the answer" "$(head -c 400 "$T_TMP/browser.out")"
	expect_eq "... and frank has left care" "$(member_field care frank@example.org address)" ""
fi

web_stop
t_done
