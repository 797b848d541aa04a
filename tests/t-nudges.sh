#!/bin/bash
# t-nudges.sh - nudges to members (issue 14, item 3): the welcome invites a
# newcomer to introduce themselves; a digest leads with a question that
# has waited more than 48 hours in a conversation the reader is in; both
# can be switched off per community (community set --nudges off).
. tests/lib.sh

t_home
R=$ROUNDS
D=lists.example.test
"$R" community create care --title "Care Team" --policy open >/dev/null
"$R" community create quiet --title "Quiet Ward" --policy open >/dev/null
expect_eq "nudges are on by default" "$("$R" community show care --json | json 'd["nudges"]')" True
expect_code 0 "community set --nudges off" "$R" community set quiet --nudges off
expect_eq "community show says so" "$("$R" community show quiet --json | json 'd["nudges"]')" False
expect_code 64 "--nudges takes on or off" "$R" community set quiet --nudges maybe

# ---- the welcome ----
join() { # COMMUNITY ADDR: subscribe and confirm by replying to the request
	t_cmd "$2" "$1+request@$D" "subscribe" ""
	tok=$(outbox_last "$2" | sed -n "s/^Reply-To: $1+c-\([a-z0-9]*\)@.*/\1/p")
	t_cmd "$2" "$1+c-$tok@$D" "Re: confirm" "yes"
}
join care newbie@example.org
outbox_last newbie@example.org >"$T_TMP/welcome"
grep -q '^Subject: Welcome to Care Team' "$T_TMP/welcome" && ok "the newcomer is welcomed" || not_ok "the newcomer is welcomed" "$(head -5 "$T_TMP/welcome")"
grep -q 'Say hello: write to everyone who you are' "$T_TMP/welcome" && ok "the welcome invites an introduction" || not_ok "the welcome invites an introduction" "$(cat "$T_TMP/welcome")"
join quiet shy@example.org
outbox_last shy@example.org >"$T_TMP/welcome2"
grep -q '^Subject: Welcome to Quiet Ward' "$T_TMP/welcome2" && ok "nudges off: still welcomed" || not_ok "nudges off: still welcomed" "$(head -5 "$T_TMP/welcome2")"
grep -q 'Say hello' "$T_TMP/welcome2" && not_ok "nudges off: no invitation" || ok "nudges off: no invitation"

# ---- the waiting question ----
# T is tomorrow 12:00 UTC, the digest's moment.  Alice started a thread 4
# days before; Bob asked her a question 3 days before, nobody answered.
T=$(date -u -d 'tomorrow 12:00' +%s)
rfc() { python3 -c "import email.utils; print(email.utils.formatdate($T - $1 * 3600, usegmt=True))"; }
post() { # COMMUNITY ID FROM HOURS-BEFORE-T SUBJECT BODY [PARENT]
	{
		printf 'From: %s\nTo: %s@%s\nSubject: %s\nDate: %s\n' "$3" "$1" "$D" "$5" "$(rfc "$4")"
		printf 'Message-ID: <%s@nudge.test>\n' "$2"
		[ -n "${7:-}" ] && printf 'In-Reply-To: <%s@nudge.test>\n' "$7"
		printf 'MIME-Version: 1.0\nContent-Type: text/plain; charset=utf-8\n\n%s\n' "$6"
	} | "$R" deliver --recipient "$1@$D" >/dev/null
}
for k in care quiet; do
	"$R" member add $k alice@example.org >/dev/null
	post $k $k-a1 alice@example.org 96 "Night dressings" "We change them at 2am."
	post $k $k-b1 bob@example.org 72 "Re: Night dressings" "Alice, which gauze do you use?" $k-a1
	post $k $k-c1 carol@example.org 1 "Rota for December" "The rota is attached."
done
# In care, dave's question is only a day old: not waiting long enough.
post care care-d1 dave@example.org 24 "Re: Rota for December" "Can I swap Tuesday?" care-c1
"$R" community set quiet --nudges on >/dev/null
"$R" member remove quiet alice@example.org >/dev/null
expect_code 0 "digest preview" "$R" digest preview alice@example.org --now "$(date -u -d @$T +%Y-%m-%dT%H:%M:%SZ)"
cp "$T_TMP/out" "$T_TMP/digest"
first=$(grep -n 'A question has waited' "$T_TMP/digest" | head -1 | cut -d: -f1)
conv=$(grep -n '^== ' "$T_TMP/digest" | head -1 | cut -d: -f1)
if [ -n "$first" ] && [ -n "$conv" ] && [ "$first" -lt "$conv" ]; then ok "the digest leads with the waiting question"; else not_ok "the digest leads with the waiting question" "$(head -20 "$T_TMP/digest")"; fi
grep -q 'A question has waited 3 days in a conversation you are in:' "$T_TMP/digest" &&
	grep -q '"Night dressings" from bob@example.org (Care Team)' "$T_TMP/digest" &&
	ok "it names the question, who asked and how long ago" || not_ok "it names the question, who asked and how long ago" "$(sed -n "${first:-1},+3p" "$T_TMP/digest")"
grep -A3 'A question has waited' "$T_TMP/digest" | grep -q "Answer it: care+r-[a-z0-9]*@$D" &&
	ok "with the reader's reply address for that conversation" || not_ok "with the reader's reply address for that conversation"
expect_eq "one question, not the one a day old" "$(grep -c 'A question has waited' "$T_TMP/digest")" 1

# Nudges off in care: the waiting question is not shown.
"$R" community set care --nudges off >/dev/null
"$R" digest preview alice@example.org --now "$(date -u -d @$T +%Y-%m-%dT%H:%M:%SZ)" >"$T_TMP/digest2"
grep -q 'A question has waited' "$T_TMP/digest2" && not_ok "nudges off: no waiting question" || ok "nudges off: no waiting question"
"$R" community set care --nudges on >/dev/null

# Answered: the question waits no more.
post care care-a2 alice@example.org 2 "Re: Night dressings" "Plain gauze, Bob." care-b1
"$R" digest preview alice@example.org --now "$(date -u -d @$T +%Y-%m-%dT%H:%M:%SZ)" >"$T_TMP/digest3"
grep -q '^== ' "$T_TMP/digest3" && ok "a digest still comes" || not_ok "a digest still comes"
grep -q 'A question has waited' "$T_TMP/digest3" && not_ok "answered: no nudge" "$(head -12 "$T_TMP/digest3")" || ok "answered: no nudge"
t_done
