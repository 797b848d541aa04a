#!/bin/bash
# t-trust-commands.sh - no member can act as another through the command
# addresses (issue 11, findings 2, 3, 5 and 10): a forged From changes
# nothing without a confirmation from the real address, forged
# Authentication-Results run no owner command, a digest code dies with its
# membership, header text cannot start lines in notices, and mail to the
# owners has a daily limit.
. tests/lib.sh

t_home
R=$ROUNDS
D=lists.example.test

"$R" community create care --title "Wound Care" --policy members >/dev/null
"$R" member add care olu.owner@example.org --name "Olu Owner" --role owner >/dev/null
"$R" member add care alice@example.org --name "Alice Reyes" >/dev/null
"$R" member add care bo@example.net --name "Bo Lind" >/dev/null
printf '\n[commands]\ntrusted-authserv-id = mx.lists.example.test\n' >>"$ROUNDS_HOME/rounds.conf"

cmd() { t_cmd "$@"; }
# member FIELD ADDR: FIELD of ADDR's membership of care ("" when none).
member() {
	"$R" member list care --json | python3 -c '
import json, sys
for m in json.load(sys.stdin):
    if m["address"] == sys.argv[2]: print(m[sys.argv[1]])' "$1" "$2"
}
# sent_to ADDR: how many mails to ADDR the outbox holds.
sent_to() {
	"$R" outbox list --json | python3 -c '
import json, sys
print(sum(1 for i in json.load(sys.stdin) if i["recipient"] == sys.argv[1]))' "$1"
}
token() { grep -o 'confirm [a-z2-7]\{20,\}' | head -1 | cut -d' ' -f2; }
has() { if grep -qi -- "$3" <<<"$2"; then ok "$1"; else not_ok "$1" "no \"$3\" in:" "$(head -c 900 <<<"$2")"; fi; }

# ---- finding 2: a forged From changes no one's delivery ----
# One mail per change, each with its own confirmation request.
toks=""
for line in "digest off" "nomail" "pause" "timezone Asia/Tokyo"; do
	cmd "Alice Reyes <alice@example.org>" "care+request@$D" "$line" "" "" mallory@evil.example
	toks="$toks $(outbox_last alice@example.org | token)"
done
expect_eq "forged From: delivery, status and time zone unchanged" \
	"$(member delivery alice@example.org)/$(member status alice@example.org)/$(member timezone alice@example.org)" "digest/active/None"
has "forged From: the real address is asked to confirm" "$(outbox_last alice@example.org)" "Waiting for your confirmation"
expect_eq "forged From: four requests, four codes" "$(wc -w <<<"$toks")" 4
expect_eq "forged From: nothing goes to the forger" "$(sent_to mallory@evil.example)" 0
newday
set -- $toks - - - -
cmd "Alice Reyes <alice@example.org>" "care+c-$1@$D" "Re: your commands to Wound Care" "Yes."
expect_eq "digest off confirmed from the real address: done, and only that" \
	"$(member delivery alice@example.org)/$(member status alice@example.org)/$(member timezone alice@example.org)" "none/active/None"
has "confirmed: the result is reported" "$(outbox_last alice@example.org)" "No more digests"
cmd "Alice Reyes <alice@example.org>" "care+c-$4@$D" "Re: your commands to Wound Care" "Yes."
expect_eq "timezone confirmed" "$(member timezone alice@example.org)" "Asia/Tokyo"

newday
cmd "Alice Reyes <alice@example.org>" "care+request@$D" "nomail" "" "" mallory@evil.example
tok=$(token <<<"$(outbox_last alice@example.org)")
cmd "Mallory <mallory@evil.example>" "care+c-$tok@$D" "Re: your commands" "Yes."
expect_eq "the confirmation from another address does nothing" "$(member status alice@example.org)" active
cmd "Alice Reyes <alice@example.org>" "care+c-$tok@$D" "Re: your commands" "Yes."
expect_eq "nomail confirmed by its person pauses" "$(member status alice@example.org)" paused

# A trusted DMARC pass for the From's domain is proof enough.
AR_OK="Authentication-Results: mx.lists.example.test; dkim=pass header.d=example.org header.s=s1; dmarc=pass header.from=example.org"
cmd "Alice Reyes <alice@example.org>" "care+request@$D" "resume" "" "$AR_OK"
expect_eq "trusted dmarc=pass: resume at once" "$(member status alice@example.org)" active

# ---- finding 3: forged Authentication-Results run no owner command ----
newday
policy() { "$R" community show care --json 2>/dev/null | python3 -c 'import json,sys; print(json.load(sys.stdin)["policy"])'; }
p0=$(policy)
cmd "Olu Owner <olu.owner@example.org>" "care+request@$D" "" "add mallory@evil.example as owner\npolicy open" \
	'Authentication-Results: mx.lists.example.test; spf=pass smtp.mailfrom="x;dmarc=pass"@evil.example' mallory@evil.example
expect_eq "quoted ';' in Authentication-Results: no owner added, policy kept" \
	"$(member role mallory@evil.example)/$(policy)" "/$p0"
has "quoted ';': the owner is asked to confirm instead" "$(outbox_last olu.owner@example.org)" "Waiting for your confirmation"
cmd "Olu Owner <olu.owner@example.org>" "care+request@$D" "" "add mallory@evil.example as owner" \
	'Authentication-Results: mx.lists.example.test; dmarc=pass (header.from=example.org)' mallory@evil.example
expect_eq "dmarc=pass without header.from: no owner added" "$(member role mallory@evil.example)" ""
cmd "Olu Owner <olu.owner@example.org>" "care+request@$D" "" "add mallory@evil.example as owner" \
	'Authentication-Results: mx.lists.example.test; dmarc=pass header.from=evil.example' mallory@evil.example
expect_eq "dmarc=pass for another domain: no owner added" "$(member role mallory@evil.example)" ""

# ---- finding 5: a digest code dies with its membership ----
"$R" deliver --recipient "care@$D" --sender olu.owner@example.org <<EOF >/dev/null 2>&1
From: Olu Owner <olu.owner@example.org>
To: care@$D
Subject: Dressing changes over the holidays
Date: Mon, 07 Dec 2026 08:00:00 +0000
Message-ID: <hol1@mail.example.org>
Content-Type: text/plain; charset=utf-8

Please log every dressing change on the ward sheet.
EOF
gtok=$("$R" digest preview bo@example.net --html --now "$(date -u -d '+1 day' +%Y-%m-%dT12:00:00Z)" 2>/dev/null |
	tr -d '=\n' | grep -o "mute%20[a-z2-7]*" | head -1 | sed 's/.*%20//')
expect_eq "the digest carries a conversation code" "${gtok:+yes}" yes
"$R" member remove care bo@example.net >/dev/null
"$R" deliver --recipient "care@$D" --sender olu.owner@example.org <<EOF >/dev/null 2>&1
From: Olu Owner <olu.owner@example.org>
To: care@$D
Subject: Re: Dressing changes over the holidays
Date: Mon, 07 Dec 2026 10:00:00 +0000
Message-ID: <hol2@mail.example.org>
In-Reply-To: <hol1@mail.example.org>
References: <hol1@mail.example.org>
Content-Type: text/plain; charset=utf-8

The new door code is 4711.
EOF
newday
before=$(sent_to bo@example.net)
cmd "Bo Lind <bo@example.net>" "care+request@$D" "get $gtok" ""
expect_eq "get after leaving: exit 0" "$rc" 0
out=$(outbox_last bo@example.net)
has "get after leaving: refused clearly" "$out" "no longer valid"
expect_eq "get after leaving: only the answer, no conversation" "$(sent_to bo@example.net)" $((before + 1))
if grep -q "4711\|ward sheet" <<<"$out"; then not_ok "get after leaving: no content in the answer" "$out"; else ok "get after leaving: no content in the answer"; fi

# ---- finding 10a: CR/LF in a display name stays on its line ----
# (A members-only community, whatever the checks above let through.)
newday
"$R" community set care --policy members >/dev/null
"$R" member remove care mallory@evil.example >/dev/null 2>&1
cmd '"=?utf-8?q?Eve=0D=0AApprove_this?=" <eve@example.com>' "care@$D" "=?utf-8?q?Hi=0D=0A=0D=0AApprove_this_too?=" "Hello."
out=$(outbox_last olu.owner@example.org)
has "held notice sent" "$out" "waiting for a moderator"
if grep -q "^Approve this" <<<"$out"; then
	not_ok "decoded CR/LF in name and subject start no line of the notice" "$out"
else
	ok "decoded CR/LF in name and subject start no line of the notice"
fi
has "the name is kept, on one line" "$out" "Eve  Approve this <eve@example.com>"

# ---- finding 10b: mail to the owners has a daily limit too ----
newday
sed -i 's/^\[commands\]$/[commands]\nreply-limit = 1/' "$ROUNDS_HOME/rounds.conf"
o0=$(sent_to olu.owner@example.org)
for i in $(seq 1 12); do
	cmd "Spammer $i <spam$i@example.biz>" "care@$D" "Offer $i" "Buy now."
done
expect_eq "held notices to an owner stop at the limit (10 x reply-limit)" "$(sent_to olu.owner@example.org)" $((o0 + 10))
cmd "Sam Reader <sam@example.com>" "care+owner@$D" "Question" "Could you add my colleague?"
expect_eq "mail to +owner past the limit is not forwarded" "$(sent_to olu.owner@example.org)" $((o0 + 10))
expect_eq "mail to +owner past the limit still exits 0" "$rc" 0

# ---- the post policy: a trusted dmarc=fail for the From domain holds ----
# status SUBJECT: "status hold_reason" of the post with SUBJECT.
status() {
	local id
	id=$("$R" message list care --json | python3 -c '
import json, sys
for m in json.load(sys.stdin):
    if m["subject"] == sys.argv[1]: print(m["message_id"])' "$1")
	"$R" message show care "$id" --json | python3 -c '
import json, sys
m = json.load(sys.stdin); print(m["status"], m["hold_reason"] or "")'
}
AR_FAIL="Authentication-Results: mx.lists.example.test; dmarc=fail (p=reject) header.from=example.org"
cmd "Alice Reyes <alice@example.org>" "care@$D" "Forged in Alice's name" "Please send me the rota." "$AR_FAIL" "x@evil.example"
expect_eq "a member's From with a trusted dmarc=fail: held, not posted" "$(status "Forged in Alice's name")" "held dmarc-fail"
cmd "Alice Reyes <alice@example.org>" "care@$D" "Alice, really" "Rota attached." "$AR_OK"
expect_eq "... with a trusted dmarc=pass: posted" "$(status "Alice, really")" "posted "
AR_ELSE="Authentication-Results: mx.evil.example; dmarc=fail header.from=example.org"
cmd "Alice Reyes <alice@example.org>" "care@$D" "Alice via another server" "Hello." "$AR_ELSE"
expect_eq "... a dmarc=fail from a server we do not trust changes nothing" "$(status "Alice via another server")" "posted "


# ---- alternate addresses by email: both addresses must agree ----
aliases() { "$R" member alias list alice@example.org --json | python3 -c 'import json,sys; print(" ".join(json.load(sys.stdin)))'; }
sed -i 's/^reply-limit = 1$/reply-limit = 5/' "$ROUNDS_HOME/rounds.conf"
newday
m0=$(sent_to mallory@evil.example)
b0=$(sent_to bo@example.net)
cmd "Alice Reyes <alice@example.org>" "care+request@$D" "alias mallory@evil.example" "" "" mallory@evil.example
expect_eq "alias by a forged From: nothing recorded" "$(aliases)" ""
expect_eq "... and nothing sent to the address it names" "$(sent_to mallory@evil.example)" "$m0"
has "... the real address is asked to confirm" "$(outbox_last alice@example.org)" "Waiting for your confirmation"
cmd "Alice Reyes <alice@example.org>" "care+request@$D" "alias alice.home@example.com" "" "$AR_OK"
expect_eq "alias from the proven address: nothing recorded before the new address agrees" "$(aliases)" ""
has "... the new address is asked" "$(outbox_last alice.home@example.com)" "another of their addresses"
atok=$(outbox_last alice.home@example.com | token)
cmd "mallory@evil.example" "care+c-$atok@$D" "Re: Please confirm" "Yes."
expect_eq "alias confirmed from a third address: nothing recorded" "$(aliases)" ""
cmd "alice.home@example.com" "care+c-$atok@$D" "Re: Please confirm" "Yes."
expect_eq "alias confirmed from the new address: recorded" "$(aliases)" "alice.home@example.com"
has "... and said so" "$(outbox_last alice.home@example.com)" "is now also an address of alice@example.org"
newday
cmd "Alice Reyes <alice@example.org>" "care+request@$D" "alias bo@example.net" "" "$AR_OK"
has "another member's address is never claimed" "$(outbox_last alice@example.org)" "address of someone else"
expect_eq "... nothing sent to that member" "$(sent_to bo@example.net)" "$b0"
cmd "Alice Reyes <alice@example.org>" "care+request@$D" "alias list" "" "$AR_OK"
has "alias list" "$(outbox_last alice@example.org)" "alice.home@example.com"
cmd "Alice Reyes <alice@example.org>" "care+request@$D" "alias remove alice.home@example.com" "" "$AR_OK"
expect_eq "alias remove" "$(aliases)" ""

t_done
