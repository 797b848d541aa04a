#!/bin/bash
# t-screen.sh - screening posts for patient identifiers (issue 19).
#
# Rates on tests/screen/ (synthetic posts, our own text, tests/screen/
# generate.py) and on SpamAssassin ham (tests/fetch-corpus.sh); findings of
# `rounds screen` on tricky cases (eponyms, signatures, bare years, check
# digits); and the round trip through `rounds deliver`: a held post goes
# back to its author with the findings masked, the author's confirmation
# posts it, a moderator can approve one, nothing held reaches anyone else.
. tests/lib.sh

R=$ROUNDS
D=lists.example.test

# ---- rates ----
# rate FILE...: "held total" over the parts of the FILEs.
rate() { cat "$@" | "$R" screen --split '%%' | awk '{n++} $2=="held"{h++} END{print h+0, n+0}'; }
read -r held total <<<"$(rate tests/screen/phi.txt tests/screen/phi-handwritten.txt)"
if [ "$total" -ge 100 ] && [ $((held * 100)) -ge $((total * 97)) ]; then
	ok "identifier-bearing posts held: $held of $total"
else
	not_ok "identifier-bearing posts held >= 97%" "$held of $total" \
		"$("$R" screen --split '%%' <tests/screen/phi.txt | paste -d' ' <(grep '^%%' tests/screen/phi.txt) - | grep clean | head)"
fi
read -r held total <<<"$(rate tests/screen/clean.txt tests/screen/clean-handwritten.txt)"
if [ "$total" -ge 100 ] && [ $((held * 100)) -le $((total * 10)) ]; then
	ok "PHI-free clinical questions held: $held of $total"
else
	not_ok "PHI-free clinical questions held <= 10%" "$held of $total"
fi

if dir=$(sh tests/fetch-corpus.sh 2>"$T_TMP/fetch.err"); then
	# Every fourth ham message: 1,000 messages keep the run short.
	find "$dir" -type f -name '*.txt' -path '*ham*' | LC_ALL=C sort | awk 'NR % 4 == 0' >"$T_TMP/ham"
	# One process for them all (the sanitizer build starts slowly).
	xargs "$R" screen --message <"$T_TMP/ham" >"$T_TMP/ham-out" 2>"$T_TMP/ham-err"
	n=$(wc -l <"$T_TMP/ham-out")
	h=$(grep -c ' held' "$T_TMP/ham-out")
	grep ' held' "$T_TMP/ham-out" >"$T_TMP/ham-held"
	if [ "$n" -ge 500 ] && [ $((h * 100)) -le $((n * 5)) ]; then
		ok "ordinary list mail (SpamAssassin ham) held: $h of $n"
	else
		not_ok "ordinary list mail held <= 5%" "$h of $n" "$(head -5 "$T_TMP/ham-held" 2>/dev/null)"
	fi
else
	not_ok "fetch the SpamAssassin corpus" "$(head -c 600 "$T_TMP/fetch.err")"
fi

# ---- findings ----
# kinds TEXT: the kinds found in TEXT, space-separated.
kinds() { printf '%s\n' "$1" | "$R" screen --json | json "' '.join(f['kind'] for f in d)"; }
finds() { local got; got=$(kinds "$2"); if [ "$got" = "$3" ]; then ok "$1"; else not_ok "$1" "text: $2" "got: '$got' want: '$3'"; fi; }

finds "pt with initial" "Question about pt Maria K. and her dressing." "name"
finds "honorific with age" "Mrs Smith, 84, has a leg ulcer." "name"
finds "a patient called" "We have a patient called Tom B. with a wound." "name"
finds "eponyms are not names" "Does Parkinson's disease or the Glasgow Coma Scale change the Apgar score? Our patients vary." ""
finds "a bare year is not a date" "In 2019 we admitted more patients with ulcers than in 2018." ""
finds "a date without a patient" "The audit meeting is on 3 May at the hospital library." ""
finds "a date tied to a patient" "She was admitted on 3 May with a sacral ulcer." "date"
finds "DOB" "DOB 12/04/1931, lives alone, leg ulcer." "date"
finds "age over 89" "A 94-year-old man with cellulitis." "age"
finds "age under 90" "A 74-year-old man with cellulitis." ""
finds "labelled MRN" "MRN 00417733, wound review please." "mrn"
finds "NHS number, valid check digit" "Referral under 943 476 5919 please." "nhs-number"
finds "NHS number, wrong check digit" "Reference 943 476 5918 on the form." ""
finds "SSN in range" "SSN 078-05-1121 on the intake form." "ssn"
finds "SSN area 9xx is not one" "Form says 987-65-4320 for the ward." ""
finds "Medicare MBI" "MBI 1EG4-TE5-MK73 for the patient." "mbi"
finds "UK NI number" "NI AB 12 34 56 C on the form." "ni-number"
finds "UK NI bad prefix" "Code QQ 12 34 56 C on the form." ""
finds "NPI with Luhn" "Ordered under NPI 1234567893." "npi"
finds "NPI failing Luhn" "Ordered under NPI 1234567890." ""
finds "patient phone" "The patient's son is on 07700 900123 about the wound." "phone"
finds "signature phone is the author's" "$(printf 'Any advice on ulcers in patients?\n\nThanks,\nDr Jane Roe\nTel 0161 496 0000')" ""
finds "the author's own number in the text" "Any thoughts on this wound? Call me on 07700 900111 if easier." ""
finds "a colleague after a title" "The ward manager Ms Green asked us to update the pressure ulcer audit." ""
finds "an aggregate age" "We are studying patients aged 90 and over with pressure ulcers." ""
finds "patient address" "The patient lives at 12 Acacia Road in a third floor flat." "address"
finds "a hospital is not an address" "Our patients are seen at St Mary's Hospital, Paddington." ""
finds "IP in patient context" "The patient uploaded a photo from 192.168.4.20 via the portal." "ip"
finds "IP without a patient" "The mail server at 192.168.4.20 refused the connection." ""
out=$(printf 'pt Maria K. is here\n' | "$R" screen --json)
if [ "$(json "d[0]['start'], d[0]['end'], d[0]['text']" <<<"$out")" = "(3, 11, 'M**** K.')" ]; then
	ok "findings carry byte offsets and masked text"
else
	not_ok "findings carry byte offsets and masked text" "$out"
fi

# A text attachment and an HTML-only body are screened too.
att=$(printf 'From: a@example.org\nTo: care@lists.example.test\nSubject: notes\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=XX\n\n--XX\nContent-Type: text/plain\n\nSee the attached notes, any advice?\n--XX\nContent-Type: text/plain; name="notes.txt"\nContent-Disposition: attachment; filename="notes.txt"\n\nPatient: Helen Moore, NHS 943 476 5919, leg ulcer.\n--XX--\n' | "$R" screen --message)
if grep -q "^nhs-number .*(attachment notes.txt)" <<<"$att" && ! grep -q "(text)" <<<"$att"; then
	ok "a text attachment is screened"
else
	not_ok "a text attachment is screened" "$att"
fi
html=$(printf 'From: a@example.org\nTo: care@lists.example.test\nSubject: html\nMIME-Version: 1.0\nContent-Type: text/html\n\n<p>Our <b>patient</b> Helen Moore was admitted on 3 May with a <i>leg ulcer</i>.</p>\n' | "$R" screen --message)
if grep -q "^name .*(text)" <<<"$html" && grep -q "^date .*(text)" <<<"$html"; then
	ok "an HTML body is screened as text"
else
	not_ok "an HTML body is screened as text" "$html"
fi

# ---- through deliver ----
t_home
"$R" community create care --title "Wound Care" --policy members >/dev/null
"$R" member add care olu.owner@example.org --name "Olu Owner" --role owner >/dev/null
"$R" member add care jo.nurse@example.org --name "Jo Nurse" >/dev/null
"$R" member add care eve.each@example.org --name "Eve Each" --delivery each >/dev/null
"$R" member add care tom.brennan@example.org --name "Tom Brennan" >/dev/null
"$R" member add care ray.reader@example.org --name "Ray Reader" >/dev/null

expect_eq "new communities screen by default" "$("$R" community show care --json | json "d['screen_phi']")" "hold"

t_cmd jo.nurse@example.org "care@$D" "Leg ulcer question" "Hi all,\n\npt Maria K., MRN 00417733, admitted 11/03/24 with a sacral ulcer. Silver or not?\n\nJo"
expect_eq "a post with identifiers is accepted (exit 0)" "$rc" "0"
expect_eq "it is held as patient-identifiers" "$(message_field care "m['subject'] == 'Leg ulcer question'" hold_reason)" "patient-identifiers"
expect_eq "no list copy of the held post" "$(outbox_n "o['recipient'] == 'eve.each@example.org'")" "0"
note=$(outbox_last jo.nurse@example.org)
if grep -q "M\*\*\*\* K\." <<<"$note" && grep -q "0\*\*\*\*\*\*\*" <<<"$note" && ! grep -q "00417733\|Maria" <<<"$note"; then
	ok "the author's notice shows each finding masked"
else
	not_ok "the author's notice shows each finding masked" "$note"
fi
owner=$(outbox_last olu.owner@example.org)
if grep -q "patient" <<<"$owner" && ! grep -q "00417733\|Maria" <<<"$owner"; then
	ok "the moderators' notice carries no identifier"
else
	not_ok "the moderators' notice carries no identifier" "$owner"
fi
# The one-tap confirmation is the address in the text; Reply-To is the
# other answer (a corrected version).
tok=$(sed -n '/empty mail to/,$p' <<<"$note" | grep -o "care+c-[a-z2-7]*@" | head -1)
if [ -n "$tok" ]; then
	t_cmd jo.nurse@example.org "$tok$D" "Re: your post" ""
	expect_eq "the author's confirmation posts it" "$(message_field care "m['message_id'] == 'cmd1.$$@mail.example.org'" status)" "posted"
	expect_eq "then the list copy goes out" "$(outbox_n "o['recipient'] == 'eve.each@example.org'")" "1"
else
	not_ok "the author's notice has a +c- address" "$note"
fi

# A corrected version replaces the held post, in the same thread.
t_cmd jo.nurse@example.org "care@$D" "Leg ulcer question" "Following up: Mrs Kowalczyk, 84, now has cellulitis too.\nAntibiotics?" "In-Reply-To: <cmd1.$$@mail.example.org>\nReferences: <cmd1.$$@mail.example.org>"
expect_eq "the follow-up is held" "$(message_field care "m['status'] == 'held' and m['subject'] == 'Leg ulcer question'" hold_reason)" "patient-identifiers"
note=$(outbox_last jo.nurse@example.org)
rtok=$(grep -o "Reply-To: care+c-[a-z2-7]*@" <<<"$note" | head -1 | cut -d' ' -f2)
if [ -n "$rtok" ]; then
	t_cmd jo.nurse@example.org "$rtok$D" "Re: Your post to Wound Care was not sent" "Following up: the lady now has cellulitis too.\nAntibiotics?\n\n> Your post was not sent"
	first=$(message_field care "m['message_id'] == 'cmd1.$$@mail.example.org'" thread_id)
	expect_eq "the corrected version is posted in the same thread" \
		"$(message_field care "m['subject'] == 'Leg ulcer question' and m['message_id'] != 'cmd1.$$@mail.example.org'" status) $(message_field care "m['subject'] == 'Leg ulcer question' and m['message_id'] != 'cmd1.$$@mail.example.org'" thread_id)" \
		"posted $first"
	expect_eq "the held one is no longer waiting" "$("$R" message list care --json --status held | json "len([m for m in d if m['subject'] == 'Leg ulcer question'])")" "0"
else
	not_ok "the author's notice has a reply address for a corrected version" "$note"
fi

# A member's name is not a patient's; the allowlist works likewise.
t_cmd jo.nurse@example.org "care@$D" "Thanks to the team" "Our patient Tom Brennan ran the wound audit, thanks to him."
expect_eq "members' names are allowed" "$(message_field care "m['subject'] == 'Thanks to the team'" status)" "posted"
"$R" community set care --screen-allow "Waverley" >/dev/null
t_cmd jo.nurse@example.org "care@$D" "Waverley ward" "Has anyone used the patient Waverley pathway for ulcers?"
expect_eq "allowlisted words are allowed" "$(message_field care "m['subject'] == 'Waverley ward'" status)" "posted"
expect_eq "the allowlist is shown" "$("$R" community show care --json | json "d['screen_allow']")" "['Waverley']"

# A moderator can approve a held post.
t_cmd jo.nurse@example.org "care@$D" "Another case" "Mrs Kowalczyk, 84, was admitted with a grade 3 pressure ulcer."
id=$("$R" message list care --json | json "[m['id'] for m in d if m['subject'] == 'Another case'][0]")
expect_eq "the second post is held" "$(message_field care "m['subject'] == 'Another case'" hold_reason)" "patient-identifiers"
t_cmd olu.owner@example.org "care+request@$D" "approve $id" ""
otok=$(outbox_last olu.owner@example.org | grep -o 'confirm [a-z2-7]\{20,\}' | head -1 | cut -d' ' -f2)
[ -n "$otok" ] && t_cmd olu.owner@example.org "care+c-$otok@$D" "Re: confirm" "yes"
expect_eq "a moderator approves it" "$(message_field care "m['subject'] == 'Another case'" status)" "posted"

# Nothing held is in a digest; replies through +r- are screened too.
t_cmd jo.nurse@example.org "care@$D" "Held for the digest" "pt Maria K., MRN 00417733, fell on the ward."
digest=$("$R" digest preview ray.reader@example.org)
if grep -q "Leg ulcer question" <<<"$digest" && ! grep -q "Held for the digest\|fell on the ward" <<<"$digest"; then
	ok "a held post is not in the digest"
else
	not_ok "a held post is not in the digest" "$digest"
fi
raddr=$(grep -o "care+r-[a-z2-7]*@$D" <<<"$digest" | head -1)
if [ -n "$raddr" ]; then
	t_cmd ray.reader@example.org "$raddr" "Re: Leg ulcer question" "Our patient Nora Finch had the same after her hip surgery."
	expect_eq "a reply through +r- with an identifier is held" \
		"$(message_field care "m['from'] == 'ray.reader@example.org'" hold_reason)" "patient-identifiers"
	expect_eq "and goes back to its author" "$(outbox_n "o['recipient'] == 'ray.reader@example.org' and 'not sent' in o['subject']")" "1"
else
	not_ok "the digest has a reply address" "$(head -c 900 <<<"$digest")"
fi

# Off: nothing is screened.
"$R" community set care --screen-phi off >/dev/null
t_cmd jo.nurse@example.org "care@$D" "Off case" "pt Maria K., MRN 00417733."
expect_eq "--screen-phi off posts it" "$(message_field care "m['subject'] == 'Off case'" status)" "posted"
expect_code 64 "--screen-phi takes hold or off" "$R" community set care --screen-phi maybe

t_done
