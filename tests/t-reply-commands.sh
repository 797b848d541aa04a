#!/bin/bash
# t-reply-commands.sh - a digest reply that is one command (issue 5 item
# 4), mutes seen by digests, and "replies owners" (item 8), end to end
# through `rounds deliver`.  Reply addresses come from `digest preview`;
# confirmations and private replies are read back from the outbox.
. tests/lib.sh

t_home
R=$ROUNDS
D=lists.example.test
DB="$ROUNDS_HOME/rounds.db"
tomorrow=$(date -u -d 'tomorrow 12:00' +%Y-%m-%dT%H:%M:%SZ)
n=0

"$R" community create care --title "Wound Care" --policy members >/dev/null
"$R" member add care jo.nurse@example.org --name "Jo Nurse" >/dev/null
"$R" member add care sam.ortiz@example.com --name "Sam Ortiz" >/dev/null
"$R" member add care kim.lee@example.net --name "Kim Lee" --delivery each >/dev/null

# post ID "NAME <ADDR>" SUBJECT BODY [IN-REPLY-TO]
post() {
	{
		printf 'From: %s\nTo: care@%s\nSubject: %s\n' "$2" "$D" "$3"
		printf 'Date: Mon, 23 Nov 2026 08:%02d:00 +0000\nMessage-ID: <%s@example.net>\n' $((n++ % 60)) "$1"
		[ -n "${5:-}" ] && printf 'In-Reply-To: <%s@example.net>\nReferences: <%s@example.net>\n' "$5" "$5"
		printf 'MIME-Version: 1.0\nContent-Type: text/plain; charset=utf-8\n\n%s\n' "$4"
	} | "$R" deliver --recipient "care@$D" --sender "$(sed 's/.*<\(.*\)>/\1/' <<<"$2")" >/dev/null 2>&1
}
# reply FROM TO BODY [HEADER]: a phone-style reply; exit code in $rc, output in $out.
reply() {
	n=$((n + 1))
	{
		printf 'From: %s\nTo: %s\nSubject: Re: digest\n' "$1" "$2"
		[ -n "${4:-}" ] && printf '%s\n' "$4"
		printf 'Date: Tue, 24 Nov 2026 07:%02d:00 +0000\nMessage-ID: <rc%d.%d@phone.example>\n' $((n % 60)) "$n" "$$"
		printf 'MIME-Version: 1.0\nContent-Type: text/plain; charset=utf-8\n\n%b\n\nSent from my iPhone\n\n' "$3"
		printf 'On Tue, 24 Nov 2026 at 07:00, Wound Care wrote:\n> [1] Dressing change frequency?\n> How often?\n'
	} >"$T_TMP/reply.eml"
	out=$("$R" deliver --recipient "$2" --sender "$1" -v <"$T_TMP/reply.eml" 2>"$T_TMP/err")
	rc=$?
}
status() { awk '{print $3}' <<<"$out"; }
# preview ADDR: the text digest ADDR would get tomorrow.
preview() { "$R" digest preview "$1" --now "$tomorrow" 2>/dev/null; }
raddr() { preview "$1" | awk -v s="$2" 'index($0, s) {f=1} f && /Reply: / {print $2; exit}'; }
last() { outbox_last "$1"; }
count() { outbox_n "o['recipient'] == '$1' and o['kind'] != 'digest'"; }
has() { if grep -qi -- "$3" <<<"$2"; then ok "$1"; else not_ok "$1" "no \"$3\" in:" "$(head -c 900 <<<"$2")"; fi; }
hasnt() { if grep -qi -- "$3" <<<"$2"; then not_ok "$1" "unexpected \"$3\" in:" "$(head -c 900 <<<"$2")"; else ok "$1"; fi; }
# person_field ADDR FIELD: a setting of ADDR in care (member_field, tests/lib.sh).
person_field() { member_field care "$@"; }
posts() {
	local n=0 c
	for c in care family; do
		n=$((n + $("$R" message list $c --json 2>/dev/null | json 'sum(1 for m in d if m["status"] == "posted")' 2>/dev/null || echo 0)))
	done
	echo $n
}
mutes() { member_field care jo.nurse@example.org muted_threads; }

post q1 "Sam Ortiz <sam.ortiz@example.com>" "Dressing change frequency?" "How often do you change the foam dressing?"
post t2 "Sam Ortiz <sam.ortiz@example.com>" "Night shift handover" "The draft handover checklist is ready for comments."

# ---- one command in a reply to a conversation (+r-) ----
addr=$(raddr jo.nurse@example.org "Dressing change")
expect_eq "the digest has a reply address" "${addr:+yes}" yes
p0=$(posts)
c0=$(count jo.nurse@example.org)
reply "Jo Nurse <jo.nurse@example.org>" "$addr" "Mute"
expect_eq "mute: exit 0" "$rc" 0
expect_eq "mute: status command" "$(status)" command
expect_eq "mute: nothing posted" "$(posts)" "$p0"
expect_eq "mute: the conversation is muted" "$(mutes)" 1
expect_eq "mute: one confirmation" "$(count jo.nurse@example.org)" $((c0 + 1))
out=$(last jo.nurse@example.org)
has "mute: confirmation names the conversation" "$out" "Dressing change frequency"
has "mute: confirmation is auto-replied" "$out" "Auto-Submitted: auto-replied"
expect_eq "each members got no copy of the command" "$(outbox_n 'o["recipient"] == "kim.lee@example.net" and "mute" in (o["subject"] or "").lower()')" 0

# the muted conversation leaves the digest; the other stays
d=$(preview jo.nurse@example.org)
hasnt "muted conversation not in the digest" "$d" "Dressing change"
has "other conversation still in the digest" "$d" "Night shift handover"
post r1 "Priya Nair <sam.ortiz@example.com>" "Re: Dressing change frequency?" "Every third day." q1
hasnt "new reply in a muted conversation: still not in the digest" "$(preview jo.nurse@example.org)" "Every third day"
"$R" member set care kim.lee@example.net --delivery digest >/dev/null
has "the others see it" "$(preview kim.lee@example.net)" "Every third day"
"$R" member set care kim.lee@example.net --delivery each >/dev/null

# a digest with only muted news is not sent at all
t2addr=$(raddr jo.nurse@example.org "Night shift")
reply "Jo Nurse <jo.nurse@example.org>" "$t2addr" "mute."
expect_eq "second mute" "$(mutes)" 2
"$R" tick --now "$tomorrow" >/dev/null 2>&1
expect_eq "only muted news: no digest queued" "$(outbox_n 'o["kind"] == "digest" and o["recipient"] == "jo.nurse@example.org"')" 0
expect_eq "... while others get theirs" "$(outbox_n 'o["kind"] == "digest" and o["recipient"] == "sam.ortiz@example.com"')" 0
reply "Jo Nurse <jo.nurse@example.org>" "$t2addr" "follow"

# follow: back in
post r2 "Sam Ortiz <sam.ortiz@example.com>" "Re: Dressing change frequency?" "And after a shower." q1
reply "Jo Nurse <jo.nurse@example.org>" "$addr" "follow"
expect_eq "follow: status command" "$(status)" command
expect_eq "follow: the mute is gone" "$(mutes)" 0
has "followed conversation back in the digest" "$(preview jo.nurse@example.org)" "And after a shower"

# a real reply that mentions a command word is posted
reply "Jo Nurse <jo.nurse@example.org>" "$addr" "Please stop using the old foam.\nIt leaks."
expect_eq "a sentence with a command word is posted" "$(status)" posted
# One line that starts with a command word is still a reply.
for line in "Stop by on Sunday" "Leave it with me" "Each of us should call her" "Weekly visits are fine" "Mute her phone"; do
	reply "Jo Nurse <jo.nurse@example.org>" "$addr" "$line"
	expect_eq "\"$line\" is posted, not a command" "$(status)" posted
done
expect_eq "... and changed nothing" "$(member_field care jo.nurse@example.org role)/$(member_field care jo.nurse@example.org delivery)/$(mutes)" "member/digest/0"
reply "Jo Nurse <jo.nurse@example.org>" "$addr" "weekly friday"
expect_eq "weekly DAY from a reply" "$(status)/$(person_field jo.nurse@example.org digest_day)" "command/5"
reply "Jo Nurse <jo.nurse@example.org>" "$addr" "Digest daily"
expect_eq "digest daily from a reply" "$(status)/$(person_field jo.nurse@example.org digest)" "command/daily"
reply "Jo Nurse <jo.nurse@example.org>" "$addr" "pause until 2030-01-10"
expect_eq "pause until DATE from a reply" "$(status)/$(person_field jo.nurse@example.org paused_until)" "command/2030-01-10T00:00:00Z"
reply "Jo Nurse <jo.nurse@example.org>" "$addr" "resume"
expect_eq "resume from a reply" "$(person_field jo.nurse@example.org paused_until)" ""
reply "Jo Nurse <jo.nurse@example.org>" "$addr" "Weekly"
expect_eq "weekly from a reply" "$(status)/$(person_field jo.nurse@example.org digest)" "command/weekly"

# an out-of-office "Stop" is no command; mail from another address is no command
reply "Jo Nurse <jo.nurse@example.org>" "$addr" "stop" "Auto-Submitted: auto-replied"
expect_eq "auto-replied stop: still a member" "$(member_field care jo.nurse@example.org role)" member
hasnt "auto-replied stop: no command" "$(status)" command
reply "Jo <jo.private@example.com>" "$addr" "unsubscribe"
expect_eq "stop from another address: still a member" "$(member_field care jo.nurse@example.org role)" member

# ---- one command in a reply to the whole digest (+d-) ----
"$R" member set care jo.nurse@example.org --digest daily >/dev/null
post t3 "Sam Ortiz <sam.ortiz@example.com>" "Heel offloading boots" "Which boots do you use?"
SINK_DIR=$T_TMP/sink
sink_start "$SINK_DIR" || not_ok "smtp-sink starts"
set_smtp "$SINK_PORT"
"$R" tick --now "$(date -u -d '+2 days 12:00' +%Y-%m-%dT%H:%M:%SZ)" >/dev/null 2>&1
sink_stop
# The +d- address is the Reply-To of the digest smtp-sink received.
dreply=$(python3 - "$SINK_DIR" <<'PY'
import email, email.policy, glob, sys
for f in sorted(glob.glob(sys.argv[1] + "/*")):
    m = email.message_from_binary_file(open(f, "rb"), policy=email.policy.default)
    if "digest-" in (m["Message-ID"] or "") and "jo.nurse@example.org" in str(m["To"]):
        print(str(m["Reply-To"]).strip("<>"))
PY
)
expect_eq "the sent digest has a +d- Reply-To" "$(grep -c '^care+d-[a-z2-7]*@' <<<"$dreply")" 1
# (as if a day passed: at most 5 automatic replies per address a day)
newday
reply "Jo Nurse <jo.nurse@example.org>" "$dreply" "Stop!"
expect_eq "stop to the digest address: exit 0" "$rc" 0
expect_eq "stop to the digest address: status command" "$(status)" command
expect_eq "stop to the digest address: left at once" "$(member_field care jo.nurse@example.org role)" ""
has "stop: goodbye sent" "$(last jo.nurse@example.org)" "no longer a member"

# ---- replies owners: a caregiver community ----
"$R" community create family --title "Okafor Family" --policy announce >/dev/null
"$R" member add family ann.okafor@example.com --name "Ann Okafor" --role owner >/dev/null
"$R" member add family nurse.bea@example.org --name "Bea" --role poster >/dev/null
"$R" member add family uche@example.com --name "Uche Okafor" >/dev/null
"$R" member add family ngozi@example.com --name "Ngozi Okafor" --delivery each >/dev/null
printf 'From: Ann Okafor <ann.okafor@example.com>\nTo: family@%s\nSubject: Mum this week\nDate: Mon, 23 Nov 2026 09:00:00 +0000\nMessage-ID: <fam1@example.net>\n\nMum walked to the garden twice this week.\n' "$D" |
	"$R" deliver --recipient "family@$D" --sender ann.okafor@example.com >/dev/null 2>&1
"$R" community set family --replies owners >/dev/null
faddr=$(raddr uche@example.com "Mum this week")
expect_eq "family digest has a reply address" "${faddr:+yes}" yes
a0=$(count ann.okafor@example.com)
b0=$(count nurse.bea@example.org)
g0=$(outbox_n 'o["recipient"] == "ngozi@example.com"')
p0=$(posts)
reply "Uche Okafor <uche@example.com>" "$faddr" "That is wonderful news, thank you.\nCan I visit on Saturday?"
expect_eq "private reply: exit 0" "$rc" 0
expect_eq "private reply: status private" "$(status)" private
expect_eq "private reply: nothing posted" "$(posts)" "$p0"
expect_eq "private reply: the owner gets it" "$(count ann.okafor@example.com)" $((a0 + 1))
expect_eq "private reply: the poster gets it" "$(count nurse.bea@example.org)" $((b0 + 1))
expect_eq "private reply: other family members do not" "$(outbox_n 'o["recipient"] == "ngozi@example.com"')" "$g0"
expect_eq "private reply: the sender gets no copy" "$(outbox_n 'o["recipient"] == "uche@example.com"')" 0
out=$(last ann.okafor@example.com)
has "private reply: Reply-To the family member" "$out" "Reply-To: .*uche@example.com"
has "private reply: the text" "$out" "Can I visit on Saturday"
hasnt "private reply: trimmed" "$out" "Sent from my iPhone"
hasnt "private reply: in no digest" "$(preview ngozi@example.com; preview uche@example.com)" "visit on Saturday"
expect_eq "private reply: kept as private" "$(message_field family "m['message_id'].startswith('rc') and m['from'] == 'uche@example.com'" status)" private
"$R" deliver --recipient "$faddr" --sender uche@example.com <"$T_TMP/reply.eml" >/dev/null 2>&1
expect_eq "private reply delivered twice: forwarded once" "$(count ann.okafor@example.com)" $((a0 + 1))
b1=$(count nurse.bea@example.org)
reply "Bea <nurse.bea@example.org>" "$(raddr nurse.bea@example.org "Mum this week")" "She also ate well on Thursday."
expect_eq "the poster's own reply is posted" "$(status)" posted
expect_eq "... and reaches every-message family members" "$(outbox_n 'o["recipient"] == "ngozi@example.com"')" $((g0 + 1))
"$R" community set family --replies list >/dev/null
reply "Uche Okafor <uche@example.com>" "$faddr" "Can I bring flowers?"
expect_eq "replies list, announce: a member's reply is held" "$(status)" held

t_done
