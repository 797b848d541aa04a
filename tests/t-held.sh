#!/bin/bash
# t-held.sh - running a list from the shell (issue 15 item 4): rounds held
# list | approve | reject have the effects of the mailed approve/reject
# commands, the first decision wins (73 afterwards), kept digest replies
# show with their choices, and rounds member show reads one person across
# communities.
. tests/lib.sh

t_home
R=$ROUNDS
D=lists.example.test
tomorrow=$(date -u -d 'tomorrow 12:00' +%Y-%m-%dT%H:%M:%SZ)

"$R" community create care --title "Wound Care" --quiet >/dev/null
"$R" community create family --quiet >/dev/null
"$R" member add care owner@example.org --role owner >/dev/null
"$R" member add care jo@example.org --name "Jo Nurse" --delivery each >/dev/null
"$R" member add care sam@example.org >/dev/null
"$R" member add family sam@example.org --delivery none >/dev/null

# post FROM SUBJECT ID: a plain post to care.
post() {
	printf 'From: %s\nTo: care@%s\nSubject: %s\nDate: Mon, 07 Dec 2026 08:00:00 +0000\nMessage-ID: <%s@example.net>\n\nText of %s\n' \
		"$1" "$D" "$2" "$3" "$3" | "$R" deliver --recipient "care@$D" --sender "${1##*<}" >/dev/null 2>&1
}
post "Vic Stranger <vic@example.net>" "Hello from outside" h1
post "Pat <pat@example.biz>" "Cheap watches" h2
expect_code 0 "held list" "$R" held list care
if grep -q "vic@example.net" "$T_TMP/out" && grep -q "non-member" "$T_TMP/out"; then ok "... shows the sender and the reason"; else not_ok "... shows the sender and the reason" "$(cat "$T_TMP/out")"; fi
"$R" held list --json >"$T_TMP/held.json"
expect_eq "held list --json: reason, author, subject, date" \
	"$(json '[(h["reason"], h["from"], h["name"], h["subject"], h["date"], h["community"]) for h in d["held"]]' <"$T_TMP/held.json")" \
	"[('non-member', 'vic@example.net', 'Vic Stranger', 'Hello from outside', '2026-12-07T08:00:00+00:00', 'care@lists.example.test'), ('non-member', 'pat@example.biz', 'Pat', 'Cheap watches', '2026-12-07T08:00:00+00:00', 'care@lists.example.test')]"
vic=$(json '[h["id"] for h in d["held"] if h["from"] == "vic@example.net"][0]' <"$T_TMP/held.json")
pat=$(json '[h["id"] for h in d["held"] if h["from"] == "pat@example.biz"][0]' <"$T_TMP/held.json")
expect_eq "held list for another community is empty" "$("$R" held list family --json | json 'len(d["held"]) + len(d["kept"])')" 0
expect_code 66 "held list of an unknown community" "$R" held list nosuch
post "Eve <eve@example.net>" "=?utf-8?q?Hi=1B]0;owned=07=1B[2J?=" h4
"$R" held list care >"$T_TMP/esc.txt"
if grep -q "Hi" "$T_TMP/esc.txt" && ! grep -q "$(printf '\033')" "$T_TMP/esc.txt"; then ok "held list: no escape sequence of a subject reaches the terminal"; else not_ok "held list: no escape sequence of a subject reaches the terminal" "$(od -c "$T_TMP/esc.txt" | head)"; fi
expect_code 0 "... and that post is rejected" "$R" held reject "$(message_field care "m['message_id'] == 'h4@example.net'" id)"

# Approving posts it as the mailed "approve ID and allow" does: threaded,
# copied to the every-message member, and the sender may post from now on.
expect_code 0 "held approve --allow-sender" "$R" held approve "$vic" --allow-sender
expect_eq "approved: posted in a thread" "$(message_field care "m['message_id'] == 'h1@example.net'" status)" "posted"
expect_eq "approved: the each member's copy is queued" "$(outbox_n 'o["recipient"] == "jo@example.org" and o["kind"] == "post"')" 1
"$R" outbox show "$(outbox_id 'o["recipient"] == "jo@example.org" and o["kind"] == "post"')" >"$T_TMP/copy.eml"
if grep -q "^Message-ID: <h1@example.net>" "$T_TMP/copy.eml" && grep -q "^List-Id: " "$T_TMP/copy.eml" && grep -q "^Text of h1" "$T_TMP/copy.eml"; then
	ok "outbox show prints the copy as it will be sent"
else
	not_ok "outbox show prints the copy as it will be sent" "$(head -20 "$T_TMP/copy.eml")"
fi
expect_eq "--allow-sender: the sender is a member who gets no mail" "$(member_field care vic@example.net delivery)" "none"
post "Vic Stranger <vic@example.net>" "Second post" h3
expect_eq "... and the next post is not held" "$(message_field care "m['message_id'] == 'h3@example.net'" status)" "posted"

# The first decision wins.
expect_code 73 "approving again: 73" "$R" held approve "$vic"
if grep -q "already decided" "$T_TMP/err"; then ok "... says it was already decided"; else not_ok "... says it was already decided" "$(cat "$T_TMP/err")"; fi
expect_code 73 "rejecting an approved post: 73" "$R" held reject "$vic"
expect_eq "... it stays posted" "$(message_field care "m['message_id'] == 'h1@example.net'" status)" "posted"

expect_code 0 "held reject --reason" "$R" held reject "$pat" --reason "Advertising is not welcome here"
expect_eq "rejected: not posted" "$(message_field care "m['message_id'] == 'h2@example.net'" status)" "rejected"
if outbox_last pat@example.biz | grep -q "Advertising is not welcome here"; then ok "the sender is told the reason"; else not_ok "the sender is told the reason" "$(outbox_last pat@example.biz)"; fi
expect_code 73 "approving a rejected post: 73" "$R" held approve "$pat"
expect_eq "nothing is waiting any more" "$("$R" held list --json | json 'len(d["held"])')" 0
expect_code 66 "an unknown ID: 66" "$R" held approve 9999
expect_code 64 "a malformed ID: 64" "$R" held reject abc
expect_code 64 "held approve without an ID" "$R" held approve

# A reply to a digest of several conversations that names none is kept;
# held list shows it with its choices and when its choice expires.
post "Jo Nurse <jo@example.org>" "Dressing change frequency" t1
post "Jo Nurse <jo@example.org>" "Night shift handover" t2
"$R" tick --no-send --now "$tomorrow" >/dev/null
"$R" outbox show "$(outbox_id 'o["recipient"] == "sam@example.org" and o["kind"] == "digest"')" >"$T_TMP/digest.eml"
d_addr=$(sed -n 's/^Reply-To: //p' "$T_TMP/digest.eml" | head -1)
d_mid=$(sed -n 's/^Message-I[dD]: <\(.*\)>/\1/p' "$T_TMP/digest.eml" | head -1)
printf 'From: sam@example.org\nTo: %s\nSubject: Re: digest\nDate: Tue, 08 Dec 2026 08:00:00 +0000\nMessage-ID: <k1@example.org>\nIn-Reply-To: <%s>\n\nThanks all, very helpful.\n' \
	"$d_addr" "$d_mid" >"$T_TMP/kept.eml"
expect_code 0 "an unclear digest reply is taken" deliver "$d_addr" "$T_TMP/kept.eml" sam@example.org
"$R" held list care --json >"$T_TMP/kept.json"
expect_eq "held list --json: the kept reply, from its author" "$(json '[(k["from"], k["subject"]) for k in d["kept"]]' <"$T_TMP/kept.json")" "[('sam@example.org', 'Re: digest')]"
expect_eq "... with its choices" "$(json 'sorted(c["subject"] for c in d["kept"][0]["choices"])' <"$T_TMP/kept.json")" \
	"['Dressing change frequency', 'Hello from outside', 'Night shift handover', 'Second post']"
expect_eq "... and an expiry after its creation" "$(json 'd["kept"][0]["expires"] > d["kept"][0]["created"]' <"$T_TMP/kept.json")" "True"
expect_code 0 "held list (text) shows kept replies" "$R" held list care
if grep -q "kept reply" "$T_TMP/out" && grep -q "Night shift handover" "$T_TMP/out"; then ok "... with the conversations to choose from"; else not_ok "... with the conversations to choose from" "$(cat "$T_TMP/out")"; fi

# member show: one person across communities.
"$R" member show SAM@example.org --json >"$T_TMP/sam.json"
expect_eq "member show --json: memberships" \
	"$(json '[(m["community"], m["role"], m["delivery"], m["status"], m["bounce_score"]) for m in d["memberships"]]' <"$T_TMP/sam.json")" \
	"[('care@lists.example.test', 'member', 'digest', 'active', 0.0), ('family@lists.example.test', 'member', 'none', 'active', 0.0)]"
expect_eq "member show --json: settings" "$(json '(d["address"], d["digest"], d["digest_time"], d["grouping"], d["paused_until"])' <"$T_TMP/sam.json")" \
	"('sam@example.org', 'daily', '07:00', 'combined', None)"
expect_code 0 "member show (text)" "$R" member show jo@example.org
if grep -q "Jo Nurse" "$T_TMP/out" && grep -q "care@lists.example.test: member, delivery each" "$T_TMP/out"; then ok "... names the person and the membership"; else not_ok "... names the person and the membership" "$(cat "$T_TMP/out")"; fi
expect_code 66 "member show of nobody: 66" "$R" member show nobody@example.org

for v in "held list" "held approve" "held reject" "member show"; do
	expect_code 0 "$v --help" "$R" $v --help
done
t_done
