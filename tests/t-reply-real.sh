#!/bin/bash
# t-reply-real.sh - replies as people really send them (issue 15, item 7):
# new text on top, the whole digest quoted, "Re: " subjects, replies to
# From instead of Reply-To, reply-all with Cc, and answers to the notices
# that ask a question ("Which conversation is your reply about?",
# "Confirm your reply"), which must come back to Rounds.
. tests/lib.sh

t_home
R=$ROUNDS
D=lists.example.test
tomorrow=$(date -u -d 'tomorrow 12:00' +%Y-%m-%dT%H:%M:%SZ)
"$R" community create care --title "Wound Care" --policy members >/dev/null
for a in jo.nurse@example.org sam.ortiz@example.com priya.nair@example.org; do
	"$R" member add care "$a" >/dev/null
done
post() { # ID FROM SUBJECT BODY
	printf 'From: %s\nTo: care@%s\nSubject: %s\nDate: Mon, 23 Nov 2026 08:00:00 +0000\nMessage-ID: <%s@example.net>\nMIME-Version: 1.0\nContent-Type: text/plain; charset=utf-8\n\n%s\n' \
		"$2" "$D" "$3" "$1" "$4" | "$R" deliver --recipient "care@$D" --sender "$2" >/dev/null
}
post q1 sam.ortiz@example.com "Dressing change frequency?" "How often do you change the foam dressing?"
post t2 priya.nair@example.org "Night shift handover checklist" "Here is the draft checklist for the night shift."
"$R" tick --now "$tomorrow" --no-send --quiet
"$R" outbox show "$(outbox_id "o['kind'] == 'digest' and o['recipient'] == 'jo.nurse@example.org'")" >"$T_TMP/digest.eml"

# headers NAME FILE: a header of a mail, decoded; body FILE: its text part.
hdr() { python3 -c '
import email, email.policy, sys
m = email.message_from_binary_file(open(sys.argv[2], "rb"), policy=email.policy.default)
v = m[sys.argv[1]]
print(v.addresses[0].addr_spec if hasattr(v, "addresses") and v.addresses else (v or ""))' "$1" "$2"; }
text() { python3 -c '
import email, email.policy, sys
m = email.message_from_binary_file(open(sys.argv[1], "rb"), policy=email.policy.default)
print((m.get_body(("plain",)) or m).get_content(), end="")' "$1"; }
# reply FROM TO SUBJECT NEW QUOTED-FILE IN-REPLY-TO [CC]: what a mail client
# sends: the new text, "On ... wrote:", then the whole mail quoted.
N=0
reply() {
	N=$((N + 1))
	{
		printf 'From: %s\nTo: %s\n' "$1" "$2"
		[ -n "${7:-}" ] && printf 'Cc: %s\n' "$7"
		printf 'Subject: %s\nDate: Tue, 24 Nov 2026 09:00:00 +0000\nMessage-ID: <real%d.%d@phone.example.org>\n' "$3" "$N" "$$"
		printf 'In-Reply-To: <%s>\nReferences: <%s>\n' "$6" "$6"
		printf 'MIME-Version: 1.0\nContent-Type: text/plain; charset=utf-8\n\n%b\n\n' "$4"
		printf 'On Tue, 24 Nov 2026 at 07:00, Rounds wrote:\n'
		sed 's/^/> /' "$5"
	} >"$T_TMP/reply$N.eml"
	MID="real$N.$$@phone.example.org"
}
text "$T_TMP/digest.eml" >"$T_TMP/digest.txt"
DFROM=$(hdr From "$T_TMP/digest.eml")
DRT=$(hdr Reply-To "$T_TMP/digest.eml")
DMID=$(hdr Message-ID "$T_TMP/digest.eml" | tr -d '<>')
DSUBJ=$(hdr Subject "$T_TMP/digest.eml")
case "$DFROM" in care+d-*@$D) ok "the digest comes from a deliverable +d- address" ;; *) not_ok "the digest comes from a deliverable +d- address" "$DFROM" ;; esac
expect_eq "From is the digest's Reply-To" "$DFROM" "$DRT"
n_of() { awk -v s="$1" 'index($0, s) && /^\[[0-9]+\]/ {print substr($1, 2, length($1) - 2); exit}' "$T_TMP/digest.txt"; }
N_NIGHT=$(n_of "Night shift handover")
N_DRESS=$(n_of "Dressing change")
[ -n "$N_NIGHT" ] && [ -n "$N_DRESS" ] && ok "the digest numbers both conversations" || not_ok "the digest numbers both conversations" "$(head -30 "$T_TMP/digest.txt")"
thread_of() { "$R" thread list care --json | json "[t['thread_id'] for t in d if t['subject'].startswith('$1')][0]"; }
T_NIGHT=$(thread_of Night)
T_DRESS=$(thread_of Dressing)
posted() { message_field care "m['message_id'] == '$1'" "$2"; }

# ---- a plain Reply to From: kept, and the question comes back ----
reply jo.nurse@example.org "$DFROM" "Re: $DSUBJ" "Thanks everyone, this helps a lot." "$T_TMP/digest.txt" "$DMID"
K1=$MID
expect_code 0 "a reply to the digest's From is taken" deliver "$DFROM" "$T_TMP/reply$N.eml" jo.nurse@example.org
expect_eq "nothing posted yet" "$(posted "$K1" status)" ""
ask=$(outbox_id "o['recipient'] == 'jo.nurse@example.org' and o['kind'] != 'digest'")
"$R" outbox show "$ask" >"$T_TMP/ask.eml"
text "$T_TMP/ask.eml" >"$T_TMP/ask.txt"
expect_eq "the question: its subject" "$(hdr Subject "$T_TMP/ask.eml")" "Which conversation is your reply about?"
ART=$(hdr Reply-To "$T_TMP/ask.eml")
case "$ART" in care+c-*@$D) ok "the question's Reply-To comes back to Rounds, not the owners" ;; *) not_ok "the question's Reply-To comes back to Rounds, not the owners" "$ART" ;; esac
grep -q "kept until [A-Z][a-z][a-z] [0-9][0-9] [A-Z][a-z][a-z] 20[0-9][0-9]" "$T_TMP/ask.txt" && ok "the question says until when the text is kept" || not_ok "the question says until when the text is kept" "$(head -5 "$T_TMP/ask.txt")"
long=$(awk 'length > 78' "$T_TMP/ask.txt")
expect_eq "the question fits 78 columns" "$long" ""

# Answer "2"-style: the number of the night-shift conversation, on top.
ANUM=$(awk '/Night shift handover/ && /^\[[0-9]+\]/ {print substr($1, 2, length($1) - 2); exit}' "$T_TMP/ask.txt")
reply jo.nurse@example.org "$ART" "Re: Which conversation is your reply about?" "$ANUM" "$T_TMP/ask.txt" "$(hdr Message-ID "$T_TMP/ask.eml" | tr -d '<>')"
expect_code 0 "answering the question with a number" deliver "$ART" "$T_TMP/reply$N.eml" jo.nurse@example.org
expect_eq "the kept text lands in that conversation" "$(posted "$K1" thread_id) $(posted "$K1" status)" "$T_NIGHT posted"
expect_eq "with the text as written" "$("$R" message show care "$K1" --json | json "d['body']")" "Thanks everyone, this helps a lot."
expect_eq "the answer itself is never posted" "$(posted "$MID" status)" ""

# ---- answered with "[N]" and with a word of the subject ----
keep() { # NEW: a fresh ambiguous reply to Reply-To; sets ART, ASK_MID, K
	reply jo.nurse@example.org "$DRT" "Re: $DSUBJ" "$1" "$T_TMP/digest.txt" "$DMID"
	K=$MID
	deliver "$DRT" "$T_TMP/reply$N.eml" jo.nurse@example.org >/dev/null 2>&1
	"$R" outbox show "$(outbox_id "o['recipient'] == 'jo.nurse@example.org' and o['kind'] != 'digest'")" >"$T_TMP/ask.eml"
	text "$T_TMP/ask.eml" >"$T_TMP/ask.txt"
	ART=$(hdr Reply-To "$T_TMP/ask.eml")
	ASK_MID=$(hdr Message-ID "$T_TMP/ask.eml" | tr -d '<>')
}
keep "We leave it for three days."
DNUM=$(awk '/Dressing change/ && /^\[[0-9]+\]/ {print $1; exit}' "$T_TMP/ask.txt")
reply jo.nurse@example.org "$ART" "Re: Which conversation is your reply about?" "$DNUM" "$T_TMP/ask.txt" "$ASK_MID"
expect_code 0 "answering with [N]" deliver "$ART" "$T_TMP/reply$N.eml" jo.nurse@example.org
expect_eq "[N]: filed in that conversation" "$(posted "$K" thread_id)" "$T_DRESS"
keep "I will print it for Thursday."
reply jo.nurse@example.org "$ART" "Re: Which conversation is your reply about?" "the handover one" "$T_TMP/ask.txt" "$ASK_MID"
expect_code 0 "answering with a word of the subject" deliver "$ART" "$T_TMP/reply$N.eml" jo.nurse@example.org
expect_eq "subject word: filed in that conversation" "$(posted "$K" thread_id)" "$T_NIGHT"

# ---- answers that cannot file anything ----
keep "Agreed with Priya."
reply jo.nurse@example.org "$ART" "Re: Which conversation is your reply about?" "" "$T_TMP/ask.txt" "$ASK_MID"
expect_code 77 "a bare Reply names nothing: refused with a reason" deliver "$ART" "$T_TMP/reply$N.eml" jo.nurse@example.org
grep -q "number of the conversation" "$T_TMP/err" && ok "the reason says how to answer" || not_ok "the reason says how to answer" "$(cat "$T_TMP/err")"
expect_eq "and the text stays kept" "$(posted "$K" status)" ""
reply sam.ortiz@example.com "$ART" "Re: Which conversation is your reply about?" "1" "$T_TMP/ask.txt" "$ASK_MID"
expect_code 77 "someone else cannot answer Jo's question" deliver "$ART" "$T_TMP/reply$N.eml" sam.ortiz@example.com
expect_eq "nothing filed for them" "$(posted "$K" status)" ""
reply jo.nurse@example.org "$ART" "Re: Which conversation is your reply about?" "1" "$T_TMP/ask.txt" "$ASK_MID"
ROUNDS_NOW=$(date -u -d '8 days' +%Y-%m-%dT%H:%M:%SZ) expect_code 77 "eight days later the kept text has expired" \
	deliver "$ART" "$T_TMP/reply$N.eml" jo.nurse@example.org
grep -q "expired on" "$T_TMP/err" && ok "the answer says it expired, and when" || not_ok "the answer says it expired, and when" "$(cat "$T_TMP/err")"
expect_eq "expired: nothing posted" "$(posted "$K" status)" ""

# ---- reply-all: Reply-To and the list in Cc, one post ----
reply jo.nurse@example.org "$DRT" "Re: $DSUBJ" "[$N_DRESS]\nEvery third day here too." "$T_TMP/digest.txt" "$DMID" "care@$D"
expect_code 0 "reply-all: the copy to the digest address" deliver "$DRT" "$T_TMP/reply$N.eml" jo.nurse@example.org
expect_code 0 "reply-all: the copy to the list" deliver "care@$D" "$T_TMP/reply$N.eml" jo.nurse@example.org
expect_eq "reply-all: posted once, in the conversation named" \
	"$("$R" message list care --json | json "len([m for m in d if m['message_id'] == '$MID'])") $(posted "$MID" thread_id)" "1 $T_DRESS"

# ---- "Confirm your reply": answerable, and within 78 columns ----
RADDR=$(grep -o "care+r-[a-z0-9]*@$D" "$T_TMP/digest.txt" | head -1)
reply jo.personal@example.net "$RADDR" "Re: Dressing change frequency?" "Sent from my other address." "$T_TMP/digest.txt" "$DMID"
expect_code 0 "a reply from another address is taken" deliver "$RADDR" "$T_TMP/reply$N.eml" jo.personal@example.net
"$R" outbox show "$(outbox_id "o['recipient'] == 'jo.nurse@example.org' and (o['subject'] or '').startswith('Confirm your reply')")" >"$T_TMP/confirm.eml"
text "$T_TMP/confirm.eml" >"$T_TMP/confirm.txt"
expect_eq "Confirm your reply fits 78 columns" "$(awk 'length > 78' "$T_TMP/confirm.txt")" ""
CRT=$(hdr Reply-To "$T_TMP/confirm.eml")
case "$CRT" in care+c-*@$D) ok "Confirm your reply can be answered by replying" ;; *) not_ok "Confirm your reply can be answered by replying" "$CRT" ;; esac
t_done
