#!/bin/bash
# t-reply.sh - replies to digests (issue 4), end to end through the real
# binary: digests are sent to smtp-sink, replies are built from what arrived
# (as mail clients build them: new text on top, the digest quoted below) and
# delivered to the reply addresses; the thread must then hold exactly the
# new text as its latest message.
. tests/lib.sh

t_home
R=$ROUNDS
D=lists.example.test
M=tests/reply-mail
tomorrow=$(date -u -d 'tomorrow 12:00' +%Y-%m-%dT%H:%M:%SZ)
later=$(date -u -d 'tomorrow 18:00' +%Y-%m-%dT%H:%M:%SZ)

"$R" community create care --title "Wound Care" --policy members >/dev/null
"$R" community create family --title "Okafor Family" --policy members >/dev/null
"$R" member add care jo.nurse@example.org --name "Jo Nurse" >/dev/null
"$R" member add care sam.ortiz@example.com --name "Sam Ortiz" >/dev/null
"$R" member add care priya.nair@example.org --name "Priya Nair" >/dev/null
"$R" member add family jo.nurse@example.org >/dev/null
"$R" member add family ann.okafor@example.com --name "Ann Okafor" >/dev/null
"$R" member add family uche.okafor@example.com --name "Uche Okafor" >/dev/null

# post COMMUNITY ID "NAME <ADDR>" SUBJECT BODY [IN-REPLY-TO]
post() {
	{
		printf 'From: %s\nTo: %s@%s\nSubject: %s\n' "$3" "$1" "$D" "$4"
		printf 'Date: Mon, 23 Nov 2026 %s +0000\nMessage-ID: <%s@example.net>\n' "${7:-08:00:00}" "$2"
		[ -n "${6:-}" ] && printf 'In-Reply-To: <%s@example.net>\nReferences: <%s@example.net>\n' "$6" "$6"
		printf 'MIME-Version: 1.0\nContent-Type: text/plain; charset=utf-8\n\n%s\n' "$5"
	} | "$R" deliver --recipient "$1@$D" --sender "${3#*<}" >/dev/null 2>&1
}
post care q1 "Sam Ortiz <sam.ortiz@example.com>" "Dressing change frequency?" \
	"How often do you change the foam dressing on a pressure ulcer of the heel?" "" 08:00:00
post care r1 "Priya Nair <priya.nair@example.org>" "Re: Dressing change frequency?" \
	"We change it every third day, or earlier when it leaks at the edges." q1 09:00:00
post care t2 "Priya Nair <priya.nair@example.org>" "Night shift handover checklist" \
	"Attached is the draft handover checklist for the night shift, please comment." "" 10:00:00
post family f1 "Ann Okafor <ann.okafor@example.com>" "Photos from Sunday" \
	"Mum enjoyed the garden on Sunday afternoon, here are a few pictures of her." "" 11:00:00

# mkmail TEMPLATE OUT DIGEST-TEXT KEY=VALUE...: fill a reply template;
# @QUOTED@ / @QUOTED_HTML@ become the digest text quoted as a client does.
mkmail() {
	python3 - "$@" <<'PY'
import html, sys
tpl, out, digest = sys.argv[1], sys.argv[2], sys.argv[3]
vals = dict(a.split("=", 1) for a in sys.argv[4:])
text = open(digest).read() if digest != "-" else ""
vals.setdefault("QUOTED", "\n".join(("> " + l).rstrip() for l in text.rstrip("\n").split("\n")))
vals["QUOTED_HTML"] = html.escape(text).replace("\n", "<br>\n")
vals["SUBJECT_HTML"] = html.escape(vals.get("SUBJECT", ""))
vals["NEW_HTML"] = html.escape(vals.get("NEW", "")).replace("\n", "<br>")
s = open(tpl).read()
for k in sorted(vals, key=len, reverse=True):
    s = s.replace("@" + k + "@", vals[k])
open(out, "w").write(s)
PY
}

# digest_of ADDR PREFIX: the digest ADDR received, as PREFIX.txt (text part)
# and PREFIX.hdr (Reply-To, Message-ID, Subject on three lines).
digest_of() {
	python3 - "$SINK_DIR" "$1" "$2" <<'PY'
import email, email.policy, glob, sys
d, addr, prefix = sys.argv[1:]
for f in sorted(glob.glob(d + "/*")):
    raw = open(f, "rb").read()
    if ("X-Rcpt-Args: " + addr).encode() not in raw and ("<" + addr + ">").encode() not in raw.split(b"\n\n")[0]:
        continue
    m = email.message_from_bytes(raw, policy=email.policy.default)
    if "digest-" not in (m["Message-ID"] or "") and "Which conversation" not in (m["Subject"] or ""):
        continue
    body = m.get_body(preferencelist=("plain",))
    open(prefix + ".txt", "w").write(body.get_content())
    mid = (m["Message-ID"] or "").strip("<> ")
    open(prefix + ".hdr", "w").write("%s\n%s\n%s\n" % (m["Reply-To"] or "", mid, m["Subject"]))
PY
}
# conv PREFIX N: the reply address of conversation N in a received digest.
conv_addr() { awk -v n="[$2]" '$1 == n {f=1} f && /Reply: / {print $2; exit}' "$1.txt"; }
conv_subject() { awk -v n="[$2]" '$1 == n {sub(/^\[[0-9]+\] /, ""); print; exit}' "$1.txt"; }
# section PREFIX N: only conversation N of the digest, as left quoted.
section() { awk -v n="[$2]" '$1 == n {f=1; print; next} f && (/^\[[0-9]+\] / || /^==/) {exit} f' "$1.txt"; }
# latest COMMUNITY THREAD EXPR: EXPR on the thread's latest posted message.
latest() {
	"$R" message list "$1" --json | python3 -c '
import json, subprocess, sys
ms = [m for m in json.load(sys.stdin) if m["thread_id"] == int(sys.argv[2]) and m["status"] == "posted"]
ms.sort(key=lambda m: (m["date"], m["message_id"]))
print(ms[-1]["message_id"])' "$1" "$2"
}
show() { "$R" message show "$1" "$2" --json | json "$3"; }
thread_of() { show "$1" "$2@example.net" 'd["thread_id"]'; }

SINK_DIR=$T_TMP/sink
sink_start "$SINK_DIR" || not_ok "smtp-sink starts"
set_smtp "$SINK_PORT"
expect_code 0 "tick sends the digests" "$R" tick --now "$tomorrow"
wait_for sink_rcpt "$SINK_DIR" jo.nurse@example.org uche.okafor@example.com priya.nair@example.org
digest_of jo.nurse@example.org "$T_TMP/jo"
digest_of uche.okafor@example.com "$T_TMP/uche"
digest_of priya.nair@example.org "$T_TMP/priya"
if [ -s "$T_TMP/jo.txt" ] && [ -s "$T_TMP/uche.txt" ]; then ok "digests arrived at the sink"; else
	not_ok "digests arrived at the sink" "$(ls "$SINK_DIR")"
	t_done
fi

# Jo's digest covers both communities; find the conversations by subject.
for n in 1 2 3; do
	case "$(conv_subject "$T_TMP/jo" $n)" in
	"Dressing change frequency?") N_DRESS=$n ;;
	"Night shift handover checklist") N_NIGHT=$n ;;
	"Photos from Sunday") N_PHOTO=$n ;;
	esac
done
R_DRESS=$(conv_addr "$T_TMP/jo" "$N_DRESS")
R_NIGHT=$(conv_addr "$T_TMP/jo" "$N_NIGHT")
R_PHOTO=$(conv_addr "$T_TMP/jo" "$N_PHOTO")
case "$R_DRESS $R_NIGHT $R_PHOTO" in
care+r-*@$D" "care+r-*@$D" "family+r-*@$D) ok "reply addresses in the digest" ;;
*) not_ok "reply addresses in the digest" "$R_DRESS $R_NIGHT $R_PHOTO" ;;
esac
JO_SUBJ=$(sed -n 3p "$T_TMP/jo.hdr")
JO_MID=$(sed -n 2p "$T_TMP/jo.hdr")
JO_D=$(sed -n 1p "$T_TMP/jo.hdr")
T_DRESS=$(thread_of care q1)
T_NIGHT=$(thread_of care t2)
T_PHOTO=$(thread_of family f1)

# 1. A phone reply, top-posted, the digest quoted below with ">".
mkmail $M/iphone-toppost.eml "$T_TMP/m1" "$T_TMP/jo.txt" FROM=jo.nurse@example.org TO="$R_DRESS" \
	SUBJECT="$JO_SUBJ" MID=A1B2C3D4-5E6F-4A7B-8C9D-0E1F2A3B4C5D@example.org DIGEST_MID="$JO_MID"
expect_code 0 "phone reply to a conversation is taken" deliver "$R_DRESS" "$T_TMP/m1" jo.nurse@example.org
id1=A1B2C3D4-5E6F-4A7B-8C9D-0E1F2A3B4C5D@example.org
expect_eq "phone reply is the thread's latest message" "$(latest care "$T_DRESS")" "$id1"
expect_eq "phone reply: exactly the new text" "$(show care "$id1" 'd["body"]')" \
	"$(printf 'Every 48 hours unless it is soaked through, then change it straight away.\n\nJo')"
expect_eq "phone reply answers the latest message" "$(show care "$id1" 'd["parent_message_id"]')" "r1@example.net"
expect_eq "phone reply: subject Re: thread subject" "$(show care "$id1" 'd["subject"]')" "Re: Dressing change frequency?"
expect_eq "phone reply: References end with the parent" "$(show care "$id1" 'd["references"]')" "['q1@example.net', 'r1@example.net']"
expect_eq "phone reply: posted as Jo" "$(show care "$id1" 'd["status"] + " " + d["from"]')" "posted jo.nurse@example.org"
"$R" message show care "$id1" --raw >"$T_TMP/raw1"
if grep -q '^In-Reply-To: <r1@example.net>' "$T_TMP/raw1" && grep -q '^Subject: Re: Dressing change frequency?' "$T_TMP/raw1"; then
	ok "stored raw message carries the rewritten headers"
else
	not_ok "stored raw message carries the rewritten headers" "$(grep -i '^\(in-reply-to\|subject\)' "$T_TMP/raw1")"
fi

# 2. Outlook on the web, HTML only, the digest under divRplyFwdMsg.
mkmail $M/outlook-html.eml "$T_TMP/m2" "$T_TMP/jo.txt" FROM=jo.nurse@example.org TO="$R_NIGHT" \
	SUBJECT="$JO_SUBJ" MID=DB9PR07MB7163A1C2D3E4F5A6B7C8D9E0F1A2B3C4@DB9PR07MB7163.eurprd07.prod.outlook.com DIGEST_MID="$JO_MID"
id2=DB9PR07MB7163A1C2D3E4F5A6B7C8D9E0F1A2B3C4@DB9PR07MB7163.eurprd07.prod.outlook.com
expect_code 0 "Outlook HTML reply is taken" deliver "$R_NIGHT" "$T_TMP/m2" jo.nurse@example.org
expect_eq "Outlook reply: exactly the new text" "$(show care "$id2" 'd["body"]')" \
	"$(printf 'I have added the infusion pump check to the checklist; please have a look before Friday.\n\nJo')"
expect_eq "Outlook reply: parent and subject" "$(show care "$id2" 'd["parent_message_id"] + " | " + d["subject"]')" \
	"t2@example.net | Re: Night shift handover checklist"

# 3. AW: (German Thunderbird) on the same conversation as 1: it answers 1.
mkmail $M/thunderbird-aw.eml "$T_TMP/m3" "$T_TMP/jo.txt" FROM=JO.Nurse@Example.ORG TO="$R_DRESS" \
	SUBJECT="$JO_SUBJ" MID=8f2d0c1e-3b4a-4c5d-9e6f-7a8b9c0d1e2f@example.org DIGEST_MID="$JO_MID"
id3=8f2d0c1e-3b4a-4c5d-9e6f-7a8b9c0d1e2f@example.org
expect_code 0 "AW: reply from the address in other case is taken" deliver "$R_DRESS" "$T_TMP/m3" jo.nurse@example.org
expect_eq "AW: reply: subject Re: thread subject" "$(show care "$id3" 'd["subject"]')" "Re: Dressing change frequency?"
expect_eq "AW: reply answers the previous reply" "$(show care "$id3" 'd["parent_message_id"]')" "$id1"
expect_eq "AW: reply: exactly the new text" "$(show care "$id3" 'd["body"]')" \
	"$(printf 'Danke, Priya – wir wechseln ab morgen alle 48 Stunden.\n\nViele Grüße\nJo')"

# 4-6. Bad tokens: forged, truncated, another community's.
tok=${R_DRESS#care+r-}
tok=${tok%@*}
forged=$(echo "$tok" | python3 -c 'import sys; t=sys.stdin.read().strip(); i=len(t)//2; print(t[:i] + ("b" if t[i] != "b" else "c") + t[i+1:])')
mkmail $M/iphone-toppost.eml "$T_TMP/m4" "$T_TMP/jo.txt" FROM=jo.nurse@example.org TO="care+r-$forged@$D" \
	SUBJECT="$JO_SUBJ" MID=forged-1@example.org DIGEST_MID="$JO_MID"
expect_code 77 "forged token refused (77)" deliver "care+r-$forged@$D" "$T_TMP/m4" jo.nurse@example.org
case "$(cat "$T_TMP/err")" in *"please reply from the digest you received"*) ok "forged token: one clear sentence" ;;
*) not_ok "forged token: one clear sentence" "$(cat "$T_TMP/err")" ;; esac
expect_code 77 "truncated token refused (77)" deliver "care+r-${tok%????}@$D" "$T_TMP/m4" jo.nurse@example.org
ptok=${R_PHOTO#family+r-}
expect_code 77 "another community's token refused (77)" deliver "care+r-${ptok%@*}@$D" "$T_TMP/m4" jo.nurse@example.org
expect_eq "nothing stored from bad tokens" "$("$R" message list care --json | json 'len([m for m in d if m["message_id"] == "forged-1@example.org"])')" 0

# 7. From a second address: held, and Jo is asked to confirm.
before=$("$R" outbox list --json | json 'len(d)')
mkmail $M/gmail-android.eml "$T_TMP/m7" "$T_TMP/jo.txt" NAME="Jo N" FROM=jo.home@gmail.com TO="$R_NIGHT" \
	SUBJECT="$JO_SUBJ" MID="CAJx7pQ1vN3dK8mZ0fR2=sT5uW9yB4cE6gH@mail.gmail.com" DIGEST_MID="$JO_MID" \
	NEW="Pump check added, see you at handover."
id7="CAJx7pQ1vN3dK8mZ0fR2=sT5uW9yB4cE6gH@mail.gmail.com"
expect_code 0 "reply from a second address is taken" deliver "$R_NIGHT" "$T_TMP/m7" jo.home@gmail.com
expect_eq "second address: held" "$(show care "$id7" 'd["status"] + " " + d["hold_reason"]')" "held reply-from-other-address"
expect_eq "second address: listed as held" \
	"$("$R" message list care --json | python3 -c 'import json,sys; print([m["status"] for m in json.load(sys.stdin) if m["message_id"] == sys.argv[1]])' "$id7")" "['held']"
expect_eq "second address: a confirmation is queued for Jo" \
	"$("$R" outbox list --json | json '[(o["kind"], o["recipient"]) for o in d][0]')" "('message', 'jo.nurse@example.org')"
expect_eq "second address: one new outbox entry" "$("$R" outbox list --json | json 'len(d)')" "$((before + 1))"

# 7b. A recorded alternate address is Jo.
expect_code 0 "member alias add: Jo also writes from jo.home@gmail.com" "$R" member alias add jo.nurse@example.org jo.home@gmail.com
expect_eq "member alias list --json" "$("$R" member alias list jo.nurse@example.org --json | json 'd')" "['jo.home@gmail.com']"
expect_code 73 "member alias add: another person's address is not taken over" "$R" member alias add jo.nurse@example.org uche.okafor@example.com
expect_code 66 "member alias add for nobody" "$R" member alias add nobody@example.org x@example.org
expect_code 64 "member alias add with a bad address" "$R" member alias add jo.nurse@example.org not-an-address
mkmail $M/gmail-android.eml "$T_TMP/m7b" "$T_TMP/jo.txt" NAME="Jo N" FROM=Jo.Home@gmail.com TO="$R_NIGHT" \
	SUBJECT="$JO_SUBJ" MID="CAJx7pQ2alt0address9Xk@mail.gmail.com" DIGEST_MID="$JO_MID" \
	NEW="Also: the sharps bin needs checking at handover."
expect_code 0 "reply from a recorded alternate address" deliver "$R_NIGHT" "$T_TMP/m7b" jo.home@gmail.com
expect_eq "alternate address: posted as Jo" "$(show care CAJx7pQ2alt0address9Xk@mail.gmail.com 'd["status"] + " " + d["from"]')" "posted jo.nurse@example.org"
expect_eq "alternate address: exactly the new text" "$(show care CAJx7pQ2alt0address9Xk@mail.gmail.com 'd["body"]')" "Also: the sharps bin needs checking at handover."
expect_code 0 "member alias remove" "$R" member alias remove jo.nurse@example.org JO.HOME@gmail.com
expect_eq "... the list is empty again" "$("$R" member alias list jo.nurse@example.org --json | json 'len(d)')" 0
expect_code 66 "member alias remove of an address that is not one" "$R" member alias remove jo.nurse@example.org jo.home@gmail.com

# 8. Reply to the whole digest, one conversation in it: it lands there.
U_D=$(sed -n 1p "$T_TMP/uche.hdr")
U_MID=$(sed -n 2p "$T_TMP/uche.hdr")
case "$U_D" in family+d-*@$D) ok "digest Reply-To is the d- address" ;; *) not_ok "digest Reply-To is the d- address" "$U_D" ;; esac
mkmail $M/gmail-android.eml "$T_TMP/m8" "$T_TMP/uche.txt" NAME="Uche Okafor" FROM=uche.okafor@example.com TO="$U_D" \
	SUBJECT="$(sed -n 3p "$T_TMP/uche.hdr")" MID="CAKd8uche1oneconv0Zq@mail.gmail.com" DIGEST_MID="$U_MID" \
	NEW="What a lovely afternoon. Give Mum a hug from us."
expect_code 0 "digest reply (one conversation) is taken" deliver "$U_D" "$T_TMP/m8" uche.okafor@example.com
expect_eq "one conversation: lands in it" "$(show family CAKd8uche1oneconv0Zq@mail.gmail.com 'd["thread_id"]')" "$T_PHOTO"
expect_eq "one conversation: exact text, parent, subject" \
	"$(show family CAKd8uche1oneconv0Zq@mail.gmail.com 'd["body"] + " | " + d["parent_message_id"] + " | " + d["subject"]')" \
	"What a lovely afternoon. Give Mum a hug from us. | f1@example.net | Re: Photos from Sunday"

# 8b. The same, sent to the post address with In-Reply-To naming the digest.
mkmail $M/gmail-android.eml "$T_TMP/m8b" "$T_TMP/uche.txt" NAME="Uche Okafor" FROM=uche.okafor@example.com TO="family@$D" \
	SUBJECT="$(sed -n 3p "$T_TMP/uche.hdr")" MID="CAKd8uche2postaddr1Zq@mail.gmail.com" DIGEST_MID="$U_MID" \
	NEW="PS: which garden centre was it?"
expect_code 0 "digest reply to the post address is taken" deliver "family@$D" "$T_TMP/m8b" uche.okafor@example.com
expect_eq "post address + In-Reply-To digest: lands in the conversation" \
	"$(show family CAKd8uche2postaddr1Zq@mail.gmail.com 'str(d["thread_id"]) + " " + d["subject"]')" "$T_PHOTO Re: Photos from Sunday"

# 9. Several conversations, the number on the first line.
mkmail $M/gmail-android.eml "$T_TMP/m9" "$T_TMP/jo.txt" NAME="Jo Nurse" FROM=jo.nurse@example.org TO="$JO_D" \
	SUBJECT="$JO_SUBJ" MID="CAJx7pQ3number0line5Rt@mail.gmail.com" DIGEST_MID="$JO_MID" \
	NEW="$(printf '%s\nI can bring the printed checklist on Thursday.' "$N_NIGHT")"
expect_code 0 "digest reply with a number is taken" deliver "$JO_D" "$T_TMP/m9" jo.nurse@example.org
expect_eq "number on the first line: lands in that conversation" "$(show care CAJx7pQ3number0line5Rt@mail.gmail.com 'd["thread_id"]')" "$T_NIGHT"
expect_eq "number on the first line: the number is not part of the text" \
	"$(show care CAJx7pQ3number0line5Rt@mail.gmail.com 'd["body"]')" "I can bring the printed checklist on Thursday."

# 10. Several conversations, only one left quoted.
section "$T_TMP/jo" "$N_PHOTO" >"$T_TMP/jo-photo.txt"
mkmail $M/gmail-android.eml "$T_TMP/m10" "$T_TMP/jo-photo.txt" NAME="Jo Nurse" FROM=jo.nurse@example.org TO="$JO_D" \
	SUBJECT="$JO_SUBJ" MID="CAJx7pQ4quoted0one8Lm@mail.gmail.com" DIGEST_MID="$JO_MID" \
	NEW="Lovely pictures, thank you for sending them!"
expect_code 0 "digest reply quoting one conversation is taken" deliver "$JO_D" "$T_TMP/m10" jo.nurse@example.org
expect_eq "quoted conversation: lands there with the new text" \
	"$(show family CAJx7pQ4quoted0one8Lm@mail.gmail.com 'str(d["thread_id"]) + " " + d["body"]')" \
	"$T_PHOTO Lovely pictures, thank you for sending them!"

# 11. Several conversations, nothing tells which: kept, and Jo is asked.
n_care=$("$R" message list care --json | json 'len(d)')
n_family=$("$R" message list family --json | json 'len(d)')
mkmail $M/gmail-android.eml "$T_TMP/m11" "$T_TMP/jo.txt" NAME="Jo Nurse" FROM=jo.nurse@example.org TO="$JO_D" \
	SUBJECT="$JO_SUBJ" MID="CAJx7pQ5ambiguous2Wq@mail.gmail.com" DIGEST_MID="$JO_MID" \
	NEW="Thanks everyone, this is really helpful."
expect_code 0 "ambiguous digest reply is taken" deliver "$JO_D" "$T_TMP/m11" jo.nurse@example.org
expect_eq "ambiguous: nothing posted" "$("$R" message list care --json | json 'len(d)') $("$R" message list family --json | json 'len(d)')" "$n_care $n_family"
expect_eq "ambiguous: never a thread about the digest" \
	"$("$R" message list care --json | json 'len([m for m in d if "conversation" in m["subject"]])')" 0
rm -rf "$SINK_DIR"/*
expect_code 0 "the answer is sent" "$R" outbox flush --now "$later"
wait_for sink_rcpt "$SINK_DIR" jo.nurse@example.org
digest_of jo.nurse@example.org "$T_TMP/ans"
if grep -q "could not be matched" "$T_TMP/ans.txt" 2>/dev/null && grep -q "Thanks everyone, this is really helpful." "$T_TMP/ans.txt"; then
	ok "ambiguous: the answer lists the conversations and keeps the text"
else
	not_ok "ambiguous: the answer lists the conversations and keeps the text" "$(cat "$T_TMP/ans.txt" 2>/dev/null | head -20)"
fi
C_NIGHT=$(awk -v n="[$N_NIGHT]" '$1 == n {getline; print $1; exit}' "$T_TMP/ans.txt")
case "$C_NIGHT" in care+c-*@$D) ok "each conversation has a one-tap address" ;; *) not_ok "each conversation has a one-tap address" "$C_NIGHT" ;; esac
mkmail $M/iphone-choice.eml "$T_TMP/m12" - FROM=jo.nurse@example.org TO="$C_NIGHT" MID=5C1D2E3F-choice-1@example.org
expect_code 0 "picking a conversation is taken" deliver "$C_NIGHT" "$T_TMP/m12" jo.nurse@example.org
expect_eq "picked: the kept text lands in that conversation" \
	"$(show care CAJx7pQ5ambiguous2Wq@mail.gmail.com 'str(d["thread_id"]) + " " + d["status"] + " " + d["body"]')" \
	"$T_NIGHT posted Thanks everyone, this is really helpful."
expect_eq "picked: it answers the thread's latest message" \
	"$(show care CAJx7pQ5ambiguous2Wq@mail.gmail.com 'd["parent_message_id"] + " | " + d["subject"]')" \
	"CAJx7pQ3number0line5Rt@mail.gmail.com | Re: Night shift handover checklist"
mkmail $M/iphone-choice.eml "$T_TMP/m13" - FROM=jo.nurse@example.org TO="$C_NIGHT" MID=5C1D2E3F-choice-2@example.org
expect_code 0 "picking twice is harmless" deliver "$C_NIGHT" "$T_TMP/m13" jo.nurse@example.org
expect_eq "picking twice: posted once" \
	"$("$R" message list care --json | json 'len([m for m in d if m["message_id"] == "CAJx7pQ5ambiguous2Wq@mail.gmail.com"])')" 1
mkmail $M/iphone-choice.eml "$T_TMP/m14" - FROM=sam.ortiz@example.com TO="$C_NIGHT" MID=5C1D2E3F-choice-3@example.org
expect_code 77 "someone else cannot pick" deliver "$C_NIGHT" "$T_TMP/m14" sam.ortiz@example.com

# An out-of-office answer to the digest: nothing kept, nothing sent back.
before=$("$R" outbox list --json | json 'len(d)')
mkmail $M/out-of-office.eml "$T_TMP/m16" - FROM=jo.nurse@example.org TO="$JO_D" SUBJECT="$JO_SUBJ" \
	MID=AM0PR07MB4321.auto.reply@AM0PR07MB4321.eurprd07.prod.outlook.com DIGEST_MID="$JO_MID"
expect_code 0 "out-of-office to the digest is taken" deliver "$JO_D" "$T_TMP/m16" jo.nurse@example.org
expect_eq "out-of-office: no answer queued" "$("$R" outbox list --json | json 'len(d)')" "$before"

# 12. Someone who has left since the digest: held, not posted.
"$R" member remove care priya.nair@example.org >/dev/null 2>&1
P_DRESS=$(conv_addr "$T_TMP/priya" 1)
mkmail $M/iphone-toppost.eml "$T_TMP/m15" "$T_TMP/priya.txt" FROM=priya.nair@example.org TO="$P_DRESS" \
	SUBJECT="digest" MID=0D9E8F7A-left-member@example.org DIGEST_MID=x@y
expect_code 0 "reply from a former member is taken" deliver "$P_DRESS" "$T_TMP/m15" priya.nair@example.org
expect_eq "former member: held" "$(show care 0D9E8F7A-left-member@example.org 'd["status"] + " " + d["hold_reason"]')" "held not-a-member"

t_done
