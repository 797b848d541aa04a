#!/bin/bash
# t-commands.sh - command emails, confirmations and moderation by email
# (issue 5), end to end through `rounds deliver`.  Replies are read back
# from the outbox (the data column holds each complete message).
#
# Fake time: the commands module reads "now" from $ROUNDS_NOW (ISO 8601)
# when it is set, as bounce scoring does; the expiry checks use it.
. tests/lib.sh

t_home
R=$ROUNDS
D=lists.example.test
DB="$ROUNDS_HOME/rounds.db"

"$R" community create care --title "Wound Care" --policy members >/dev/null
"$R" member add care olu.owner@example.org --name "Olu Owner" --role owner >/dev/null
"$R" member add care mia.mod@example.org --name "Mia Moderator" --role moderator >/dev/null
"$R" member add care jo.nurse@example.org --name "Jo Nurse" >/dev/null
"$R" community create family --title "Okafor Family" --policy announce >/dev/null
"$R" member add family ann.okafor@example.com --role owner >/dev/null

mail() { t_mail "$@"; }
cmd() { t_cmd "$@"; }
req() { cmd "$1" "care+request@$D" "$2" "$3" "${4:-}" "${5-$1}"; }
count() { outbox_n "o['recipient'] == '$1'"; }
# last ADDR: the latest outbox message to ADDR (tests/lib.sh).
last() { outbox_last "$1"; }
token() { grep -o 'confirm [a-z2-7]\{20,\}' | head -1 | cut -d' ' -f2; }
has() { if grep -qi -- "$3" <<<"$2"; then ok "$1"; else not_ok "$1" "no \"$3\" in:" "$(head -c 900 <<<"$2")"; fi; }
hasnt() { if grep -qi -- "$3" <<<"$2"; then not_ok "$1" "unexpected \"$3\" in:" "$(head -c 900 <<<"$2")"; else ok "$1"; fi; }
# person_field ADDR FIELD: a setting of the person (the same in every community).
person_field() { member_field care "$1" "$2"; }
# memberships: how many memberships all communities have.
memberships() { "$R" community list --json | python3 -c 'import json,sys; print(sum(c["members"] for c in json.load(sys.stdin)))'; }
care() { "$R" community show care --json | json "d['$1']"; }
# msg FROM FIELD: FIELD of the newest message of care from FROM.
msg() { message_field care "m['from'] == '$1'" "$2"; }
# confirm_last ADDR: confirm from ADDR what the latest reply to it asks for.
confirm_last() {
	local t
	t=$(token <<<"$(last "$1")")
	[ -n "$t" ] && cmd "$1" "care+c-$t@$D" "Re: your commands" "Yes."
}
# self FROM SUBJECT BODY: a change of FROM's own settings, confirmed from
# FROM's address (From alone is never enough, issue 11), on a fresh day.
self() {
	newday
	req "$1" "$2" "$3"
	confirm_last "$1"
}

# ---- help, and the fixed addresses ----
req jo.nurse@example.org "help" ""
expect_eq "help: exit 0" "$rc" 0
out=$(last jo.nurse@example.org)
has "help: lists the commands" "$out" "digest weekly \[DAY\]"
has "help: auto-replied header" "$out" "Auto-Submitted: auto-replied"
hasnt "help: members see no owner commands" "$out" "approve ID"
cmd olu.owner@example.org "care+help@$D" "" ""
has "+help: owners see owner commands" "$(last olu.owner@example.org)" "approve ID"

# ---- reading commands ----
self jo.nurse@example.org "Re: digest weekly friday" "Thanks!"
has "subject command" "$(last jo.nurse@example.org)" "comes weekly on friday"
expect_eq "subject: weekly frequency stored" "$(person_field jo.nurse@example.org digest)/$(person_field jo.nurse@example.org digest_day)" "weekly/5"
self jo.nurse@example.org "" "TIMEZONE Europe/Paris\nDigest-Time 06:45\n> each\n--\nJo Nurse\nsubscribe"
out=$(last jo.nurse@example.org)
expect_eq "case-insensitive body commands" "$(person_field jo.nurse@example.org timezone)/$(person_field jo.nurse@example.org digest_time)" "Europe/Paris/06:45"
expect_eq "quoted line ignored" "$(member_field care jo.nurse@example.org delivery)" "digest"
hasnt "stops at the signature" "$out" "> subscribe"
newday
req jo.nurse@example.org "" "Hello, could you please\nsettings\nBest regards, Jo\ncombined"
out=$(last jo.nurse@example.org)
has "non-command before commands: not understood" "$out" "Not understood"
has "not understood points to help" "$out" "Send \"help\""
has "settings shows the time zone" "$out" "timezone:     Europe/Paris"
hasnt "stops at the first non-command after a command" "$out" "> combined"
self jo.nurse@example.org "" "separate\nend\ncombined"
expect_eq "stops at end" "$(person_field jo.nurse@example.org grouping)" "separate"
body=""
for i in $(seq 1 25); do body="${body}digest-time 07:$(printf %02d $i)\n"; done
self jo.nurse@example.org "" "$body"
expect_eq "at most 20 lines" "$(person_field jo.nurse@example.org digest_time)" "07:20"
{
	printf 'From: Jo Nurse <jo.nurse@example.org>\nTo: care+request@%s\nSubject: \n' "$D"
	printf 'Date: Tue, 24 Nov 2026 10:00:00 +0000\nMessage-ID: <html1@mail.example.org>\nMIME-Version: 1.0\n'
	printf 'Content-Type: text/html; charset=utf-8\n\n<html><body><div>digest daily</div><div>each</div>'
	printf '<div><br></div><div>Jo Nurse, RN<br>Ward 7</div></body></html>\n'
} | "$R" deliver --recipient "care+request@$D" --sender jo.nurse@example.org >/dev/null 2>&1
confirm_last jo.nurse@example.org
expect_eq "HTML-only command mail" "$(member_field care jo.nurse@example.org delivery)" "each"
newday
self jo.nurse@example.org "" "timezone Mars/Olympus\ndigest-time 25:00\npause until 2001-01-01"
out=$(last jo.nurse@example.org)
has "bad time zone refused" "$out" "not a time zone"
has "bad digest time refused" "$out" "Use: digest-time"
has "past pause date refused" "$out" "not a future date"
self jo.nurse@example.org "" "pause until 2030-01-10"
expect_eq "pause until DATE" "$(person_field jo.nurse@example.org paused_until)" "2030-01-10T00:00:00Z"
self jo.nurse@example.org "nomail" ""
expect_eq "nomail pauses the membership" "$(member_field care jo.nurse@example.org status)" "paused"
self jo.nurse@example.org "resume" ""
expect_eq "resume" "$(member_field care jo.nurse@example.org status)/$(person_field jo.nurse@example.org paused_until)" "active/"
self jo.nurse@example.org "digest off" ""
expect_eq "digest off" "$(member_field care jo.nurse@example.org delivery)" "none"
self jo.nurse@example.org "digest daily" ""
expect_eq "digest daily" "$(member_field care jo.nurse@example.org delivery)/$(person_field jo.nurse@example.org digest)" "digest/daily"

newday
# ---- subscribe: double opt-in ----
req kim.lee@example.net "subscribe each" ""
expect_eq "subscribe: exit 0" "$rc" 0
expect_eq "subscribe: nothing before confirming" "$(member_field care kim.lee@example.net delivery)" ""
out=$(last kim.lee@example.net)
has "subscribe: Reply-To is a confirm address" "$out" "Reply-To: care+c-"
tok=$(token <<<"$out")
cmd kim.lee@example.net "care+c-$tok@$D" "Re: your commands to Wound Care" "yes\n\n> quoted"
expect_eq "confirm: member with the asked delivery" "$(member_field care kim.lee@example.net delivery)" "each"
has "confirm: welcome sent" "$(last kim.lee@example.net)" "Welcome"
cmd kim.lee@example.net "care+c-$tok@$D" "Re: your commands to Wound Care" "yes again"
has "replayed token refused" "$(last kim.lee@example.net)" "already used"

req mallory@example.com "subscribe victim@example.com" ""
expect_eq "subscribing someone else: not a member" "$(member_field care victim@example.com role)" ""
out=$(last victim@example.com)
has "subscribing someone else: they are asked" "$out" "asked for victim@example.com to join"
vtok=$(token <<<"$out")
cmd mallory@example.com "care+c-$vtok@$D" "Re: confirm" "yes"
expect_eq "their token from another address does nothing" "$(member_field care victim@example.com role)" ""
has "wrong address told so" "$(last mallory@example.com)" "must come from victim@example.com"
cmd mallory@example.com "care+subscribe@$D" "" "" "From: victim@example.com"
expect_eq "forged From on +subscribe: no member" "$(member_field care victim@example.com role)" ""

# ---- unsubscribe ----
req kim.lee@example.net "unsubscribe" ""
expect_eq "unsubscribe: needs a confirmation" "$(member_field care kim.lee@example.net role)" "member"
tok=$(token <<<"$(last kim.lee@example.net)")
req kim.lee@example.net "confirm $tok" ""
expect_eq "confirm TOKEN line: unsubscribed" "$(member_field care kim.lee@example.net role)" ""
has "goodbye sent" "$(last kim.lee@example.net)" "no longer a member"
"$R" member add care rae.fam@example.com >/dev/null
mail "Olu Owner <olu.owner@example.org>" "care@$D" "Clinic hours over the holidays" \
	"The wound clinic closes at noon on 24 December." >"$T_TMP/post.eml"
"$R" deliver --recipient "care@$D" --sender olu.owner@example.org <"$T_TMP/post.eml" >/dev/null 2>&1
# preview_token ADDR VERB: the VERB token of the person's next digest.
preview_token() {
	"$R" digest preview "$1" --html --now "$(date -u -d '+1 day' +%Y-%m-%dT12:00:00Z)" 2>/dev/null |
		tr -d '=\n' | grep -o "$2%20[a-z2-7]*" | head -1 | sed 's/.*%20//'
}
utok=$(preview_token rae.fam@example.com unsubscribe)
expect_eq "digest carries an unsubscribe token" "${utok:+yes}" yes
req rae.fam@example.com "unsubscribe $utok" ""
expect_eq "unsubscribe TOKEN is immediate" "$(member_field care rae.fam@example.com role)" ""
has "unsubscribe TOKEN: goodbye" "$(last rae.fam@example.com)" "no longer a member"
req rae.fam@example.com "digest weekly $utok" ""
has "a departed person's digest link changes nothing" "$(last rae.fam@example.com)" "Not a member"
req rae.fam@example.com "unsubscribe aaaaaaaaaaaaaaaaaaaaaaaaaa" ""
has "forged unsubscribe token refused" "$(last rae.fam@example.com)" "not valid"

newday
# ---- owner commands: confirmation, forgery, trusted Authentication-Results ----
before=$(memberships)
req mallory@example.com "add eve@example.com as owner" "" "" mallory@example.com
expect_eq "non-owner: refused" "$(member_field care eve@example.com role)" ""
has "non-owner told" "$(last mallory@example.com)" "Refused"
cmd "Olu Owner <olu.owner@example.org>" "care+request@$D" "" "add eve@example.com as owner\npolicy open" "" mallory@example.com
expect_eq "spoofed owner From: nothing changes" "$(memberships)/$(care policy)" "$before/members"
out=$(last olu.owner@example.org)
has "the real owner is asked to confirm" "$out" "Waiting for your confirmation"
otok=$(token <<<"$out")
cmd mallory@example.com "care+c-$otok@$D" "Re:" "ok"
expect_eq "owner token from another address: nothing done" "$(member_field care eve@example.com role)" ""
cmd olu.owner@example.org "care+c-$otok@$D" "Re: your commands to Wound Care" "Yes, go ahead."
expect_eq "owner confirmed: add done" "$(member_field care eve@example.com role)" "owner"
expect_eq "owner confirmed: policy done" "$(care policy)" "open"
has "results listed after confirming" "$(last olu.owner@example.org)" "policy is now open"
"$R" member remove care eve@example.com >/dev/null
cmd olu.owner@example.org "care+c-$otok@$D" "Re: your commands" "Yes."
expect_eq "owner token replay: nothing redone" "$(member_field care eve@example.com role)" ""

AR_OK="Authentication-Results: mx.lists.example.test; dkim=pass header.d=example.org header.s=s1; dmarc=pass (p=reject) header.from=example.org"
AR_OTHER="Authentication-Results: mx.evil.example; dmarc=pass header.from=example.org"
printf '\n[commands]\ntrusted-authserv-id = mx.lists.example.test\n' >>"$ROUNDS_HOME/rounds.conf"
cmd olu.owner@example.org "care+request@$D" "policy announce" "" "$AR_OTHER"
expect_eq "Authentication-Results of another authserv-id ignored" "$(care policy)" "open"
cmd olu.owner@example.org "care+request@$D" "policy members" "" "$AR_OK"
expect_eq "trusted dmarc=pass runs at once" "$(care policy)" "members"

newday
# ---- owner commands, confirmed ----
# owner LINES: send as the owner and confirm from the owner's address.
owner() {
	cmd olu.owner@example.org "care+request@$D" "" "$1"
	local t
	t=$(token <<<"$(last olu.owner@example.org)")
	cmd olu.owner@example.org "care+c-$t@$D" "Re: your commands" "Confirmed."
	last olu.owner@example.org
}
out=$(owner "add lee.wong@example.net Lee Wong each as poster\ninvite nia.b@example.com\nwho")
expect_eq "add with name, delivery, role" "$(member_field care lee.wong@example.net role)/$(member_field care lee.wong@example.net delivery)/$(person_field lee.wong@example.net name)" "poster/each/Lee Wong"
has "added member welcomed" "$(last lee.wong@example.net)" "Welcome"
has "who lists members" "$out" "jo.nurse@example.org"
itok=$(token <<<"$(last nia.b@example.com)")
expect_eq "invite: not a member before accepting" "$(member_field care nia.b@example.com role)" ""
cmd nia.b@example.com "care+c-$itok@$D" "Re: You are invited" "Happy to join"
expect_eq "invite accepted" "$(member_field care nia.b@example.com role)" "member"
out=$(owner "set lee.wong@example.net delivery none\nremove nia.b@example.com")
expect_eq "set delivery" "$(member_field care lee.wong@example.net delivery)" "none"
expect_eq "remove" "$(member_field care nia.b@example.com role)" ""
out=$(owner "replies owners")
expect_eq "replies owners" "$(care replies)" "owners"

newday
# ---- moderation ----
cmd "Dr Vic Stranger <vic.stranger@example.net>" "care@$D" "Question about silver dressings" "Is there evidence for silver dressings on venous leg ulcers?"
row=$(msg vic.stranger@example.net id)
expect_eq "non-member post held" "$(msg vic.stranger@example.net status)" "held"
out=$(last olu.owner@example.org)
has "owner notice: sender" "$out" "vic.stranger@example.net"
has "owner notice: first lines" "$out" "evidence for silver dressings"
has "owner notice: reject address" "$out" "care+c-"
mout=$(last mia.mod@example.org)
has "moderator notified too" "$mout" "Question about silver dressings"
has "sender told it waits" "$(last vic.stranger@example.net)" "waiting for"
senders=$(count vic.stranger@example.net)
atok=$(grep -o 'care+c-[a-z2-7]*' <<<"$out" | head -1 | sed 's/care+c-//')
mtok=$(grep -o 'care+c-[a-z2-7]*' <<<"$mout" | head -1 | sed 's/care+c-//')
seq0=$("$R" message list care --json | json 'max([m["seq"] or 0 for m in d])')
cmd olu.owner@example.org "care+c-$atok@$D" "Re: Post waiting" "Approve."
expect_eq "approved: posted with a fresh seq and a thread" "$(msg vic.stranger@example.net status)|$(($(msg vic.stranger@example.net seq) > seq0))|$(msg vic.stranger@example.net thread_id | grep -c .)" "posted|1|1"
cmd mia.mod@example.org "care+c-$mtok@$D" "Re: Post waiting" "Approve."
has "second decision: already decided" "$(last mia.mod@example.org)" "already decided"
cmd olu.owner@example.org "care+c-$atok@$D" "Re: Post waiting" "Approve."
expect_eq "approved twice: one posted_seq" "$(msg vic.stranger@example.net seq)" "$(("$seq0" + 1))"
expect_eq "sender told once" "$(count vic.stranger@example.net)" "$senders"

cmd "Pat Spam <pat@example.biz>" "care@$D" "Cheap supplies" "Buy now."
row2=$(msg pat@example.biz id)
out=$(owner "held")
has "held lists the post" "$out" "$row2  pat@example.biz"
out=$(owner "reject $row2 Advertising is not allowed here.")
expect_eq "reject" "$(msg pat@example.biz status)" "rejected"
has "rejected sender told the reason" "$(last pat@example.biz)" "Advertising is not allowed"
cmd "Quinn Carer <quinn@example.com>" "care@$D" "Night routine" "Lights out at ten works best for Dad."
row3=$(msg quinn@example.com id)
out=$(owner "approve $row3 and allow")
expect_eq "approve and allow" "$(msg quinn@example.com status)/$(member_field care quinn@example.com delivery)" "posted/none"
cmd "Quinn Carer <quinn@example.com>" "care@$D" "Morning routine" "Breakfast at eight."
expect_eq "allowed sender posts" "$(message_field care "m['subject'] == 'Morning routine'" status)" "posted"

# ---- mute, follow, get (command tokens from the digest) ----
thread=$(msg vic.stranger@example.net thread_id)
newday
ctok=$(preview_token jo.nurse@example.org mute)
expect_eq "digest carries a mute token" "${ctok:+yes}" yes
req jo.nurse@example.org "mute $ctok" ""
expect_eq "mute" "$(person_field jo.nurse@example.org muted_threads)" 1
req jo.nurse@example.org "follow $ctok" ""
expect_eq "follow" "$(person_field jo.nurse@example.org muted_threads)" 0
req jo.nurse@example.org "get $ctok" ""
has "get: the whole conversation" "$(last jo.nurse@example.org)" "the whole conversation"
ptok=$(preview_token jo.nurse@example.org pause)
cmd "Jo at home <jo.home@example.net>" "care+request@$D" "digest weekly $ptok" ""
expect_eq "digest link token acts for its person" "$(person_field jo.nurse@example.org digest)" weekly

# A digest reply from a second address waits for its person's confirmation.
raddr=$("$R" digest preview jo.nurse@example.org --now "$(date -u -d '+1 day' +%Y-%m-%dT12:00:00Z)" 2>/dev/null |
	grep -o 'care+r-[a-z2-7]*@[a-z.]*' | head -1)
cmd "Jo at home <jo.home@example.net>" "$raddr" "Re: Question about silver dressings" "We use them only for two weeks, then review."
held_jo() { message_field care "m['from'].startswith('jo') and m['message_id'] == '$hmid'" "$1"; }
hmid=$(message_field care "m['from'].startswith('jo') and m['status'] == 'held'" message_id)
expect_eq "reply from a second address held" "$(held_jo hold_reason)" "reply-from-other-address"
ctok=$(last jo.nurse@example.org | grep -o 'care+c-[a-z2-7]*' | head -1 | sed 's/care+c-//')
cmd "Jo at home <jo.home@example.net>" "care+c-$ctok@$D" "Re: Confirm your reply" "yes"
expect_eq "its confirmation from the second address does nothing" "$(held_jo status)" "held"
cmd "Jo Nurse <jo.nurse@example.org>" "care+c-$ctok@$D" "Re: Confirm your reply" "Yes, that was me."
expect_eq "confirmed by its person: posted" "$(held_jo status)|$(held_jo thread_id)" "posted|$thread"

newday
# ---- tokens: foreign and expired ----
req ann.okafor@example.com "confirm $atok" "" "" ann.okafor@example.com
cmd ann.okafor@example.com "family+request@$D" "confirm $atok" ""
has "token of another community refused" "$(last ann.okafor@example.com)" "not valid for Okafor Family"
req zoe@example.org "subscribe" ""
ztok=$(token <<<"$(last zoe@example.org)")
ROUNDS_NOW=$(date -u -d "$((T_DAY + 8)) days" +%Y-%m-%dT%H:%M:%SZ) cmd zoe@example.org "care+c-$ztok@$D" "Re:" "yes"
expect_eq "expired token: nothing done" "$(member_field care zoe@example.org role)" ""
has "expired token told" "$(last zoe@example.org)" "expired"

newday
# ---- backscatter ----
b0=$(count nobody@example.org)
cmd nobody@example.org "care+request@$D" "help" "" "" ""
cmd MAILER-DAEMON@mx.example.org "care+request@$D" "help" "" "" MAILER-DAEMON
cmd nobody@example.org "care+request@$D" "help" "" "Auto-Submitted: auto-replied"
cmd nobody@example.org "care+request@$D" "help" "" "Precedence: bulk"
cmd nobody@example.org "care+request@$D" "help" "" "List-Id: <other.lists.example.net>"
expect_eq "no reply to null sender, MAILER-DAEMON, auto, bulk, list mail" "$(count nobody@example.org)" "$b0"
expect_eq "ignored mail still exits 0" "$rc" 0
for i in 1 2 3 4 5 6 7; do cmd flood@example.org "care+request@$D" "help" ""; done
expect_eq "at most 5 replies per address per day" "$(count flood@example.org)" 5
ROUNDS_NOW=$(date -u -d "$((T_DAY + 2)) days" +%Y-%m-%dT%H:%M:%SZ) cmd flood@example.org "care+request@$D" "help" ""
expect_eq "the limit is per 24 hours" "$(count flood@example.org)" 6

# ---- +owner, exit codes ----
o0=$(count olu.owner@example.org)
cmd "Sam Reader <sam.reader@example.com>" "care+owner@$D" "Question for the owners" "Could you add my colleague?"
expect_eq "+owner reaches the owners" "$(count olu.owner@example.org)" $((o0 + 1))
expect_code 0 "unknown command still exits 0" "$R" deliver --recipient "care+request@$D" --sender jo.nurse@example.org <"$T_TMP/in.eml"


# ---- get CODE attachments: the conversation with its attachments ----
# attmail FILE SUBJECT DATE MID PARENT NAME:TYPE:SOURCE...: a multipart/mixed
# post by the owner (a reply to PARENT unless empty) carrying the files as
# base64 attachments.
attmail() {
	python3 - "$@" <<'PY'
import sys
from email.message import EmailMessage
out, subject, date, mid, parent, *files = sys.argv[1:]
m = EmailMessage()
m["From"] = "Olu Owner <olu.owner@example.org>"
m["To"] = "care@lists.example.test"
m["Subject"] = subject
m["Date"] = date
m["Message-ID"] = mid
if parent:
    m["In-Reply-To"] = m["References"] = parent
m.set_content("Photos and the report from today's round are attached.\n")
for f in files:
    name, ctype, src = f.split(":")
    maintype, subtype = ctype.split("/")
    m.add_attachment(open(src, "rb").read(), maintype=maintype, subtype=subtype, filename=name)
open(out, "wb").write(bytes(m))
PY
}
# get_mail ADDR: the latest conversation mail to ADDR (not the command
# reply, which is queued after it) into $T_TMP/get.eml.
get_mail() {
	"$R" outbox show "$(outbox_id "o['recipient'] == '$1' and '(the whole conversation' in (o['subject'] or '')")" >"$T_TMP/get.eml"
}
# get_check ATTACHED LEFT-OUT: "fine" when the conversation mail is
# multipart/mixed and auto-replied, its text part (first) has the
# conversation, its attachments are exactly ATTACHED (NAME:SOURCE, comma
# separated) byte for byte, and its text names each of LEFT-OUT as left out.
get_check() {
	python3 - "$T_TMP/get.eml" "$1" "$2" <<'PY'
import email, email.policy, hashlib, sys
m = email.message_from_binary_file(open(sys.argv[1], "rb"), policy=email.policy.default)
want = dict(x.split(":") for x in sys.argv[2].split(",") if x)
left = [x for x in sys.argv[3].split(",") if x]
problems = []
if m.get_content_type() != "multipart/mixed":
    problems.append("type " + m.get_content_type())
if m["Auto-Submitted"] != "auto-replied":
    problems.append("Auto-Submitted: %s" % m["Auto-Submitted"])
parts = list(m.iter_parts()) if m.is_multipart() else [m]
text = parts[0].get_content() if parts[0].get_content_type() == "text/plain" else ""
if "Wound photos" not in text or "report from today" not in text:
    problems.append("text part without the conversation: %r" % text[:200])
got = {}
for p in parts[1:]:
    if p.get_content_disposition() != "attachment" or p["Content-Transfer-Encoding"] != "base64":
        problems.append("%s: %s, %s" % (p.get_filename(), p.get_content_disposition(), p["Content-Transfer-Encoding"]))
    got[p.get_filename()] = (p.get_content_type(), hashlib.sha256(p.get_payload(decode=True)).hexdigest())
types = {"report.pdf": "application/pdf", "wound.png": "image/png", "scan.pdf": "application/pdf"}
for name, src in want.items():
    h = hashlib.sha256(open(src, "rb").read()).hexdigest()
    if got.get(name) != (types[name], h):
        problems.append("%s: got %s" % (name, got.get(name)))
if set(got) != set(want):
    problems.append("attachments %s, wanted %s" % (sorted(got), sorted(want)))
for name in left:
    if not any(name in l and "left out" in l for l in text.splitlines()):
        problems.append(name + " not said to be left out")
print("; ".join(problems) or "fine")
PY
}
# digest_links ADDR: the mailto subjects of ADDR's next digest ("get%20TOKEN", ...).
digest_links() {
	"$R" digest preview "$1" --html --now "$(date -u -d '+1 day' +%Y-%m-%dT12:00:00Z)" 2>/dev/null |
		tr -d '=\n' | grep -o "?subject\(3D\)\?[a-z]*%20[a-z2-7]*\(%20[a-z]*\)\?" | sed 's/^?subject\(3D\)\?//'
}
head -c 3000 /dev/urandom | { printf '%%PDF-1.4\n'; cat; printf '\n%%%%EOF\n'; } >"$T_TMP/report.pdf"
t_png "$T_TMP/wound.png"
head -c 80000 /dev/urandom >"$T_TMP/scan.pdf"
attmail "$T_TMP/att1.eml" "Wound photos" "Tue, 24 Nov 2026 11:00:00 +0000" "<att1@mail.example.org>" "" \
	"report.pdf:application/pdf:$T_TMP/report.pdf" "wound.png:image/png:$T_TMP/wound.png"
deliver "care@$D" "$T_TMP/att1.eml" olu.owner@example.org >/dev/null 2>&1
expect_eq "post with attachments stored" "$("$R" message show care att1@mail.example.org --json | json 'len(d["attachments"])')" 2
# The get link with "attachments" sits only under messages that have some.
gtok=$(digest_links jo.nurse@example.org | sed -n 's/^get%20\([a-z2-7]*\)%20attachments$/\1/p' | head -1)
expect_eq "digest carries a get-attachments token" "${gtok:+yes}" yes
newday
req jo.nurse@example.org "get $gtok attachments" ""
get_mail jo.nurse@example.org
expect_eq "get attachments: text first, both attached byte for byte, auto-replied" \
	"$(get_check "report.pdf:$T_TMP/report.pdf,wound.png:$T_TMP/wound.png" "")" fine
has "get attachments: the reply says so" "$(last jo.nurse@example.org)" "and its 2 attachments were sent to jo.nurse@example.org"
expect_eq "get attachments: only to the person the code names" "$(outbox_n '(o["subject"] or "").startswith("Wound photos (the whole") and o["recipient"] != "jo.nurse@example.org"')" 0

# Past the size limit (here max-message-size, below 10 MB) an attachment
# is left out, and the mail says which.
attmail "$T_TMP/att2.eml" "Re: Wound photos" "Tue, 24 Nov 2026 11:05:00 +0000" "<att2@mail.example.org>" "<att1@mail.example.org>" \
	"scan.pdf:application/pdf:$T_TMP/scan.pdf"
deliver "care@$D" "$T_TMP/att2.eml" olu.owner@example.org >/dev/null 2>&1
cp "$ROUNDS_HOME/rounds.conf" "$T_TMP/rounds.conf.saved"
sed -i 's/^max-message-size = .*/max-message-size = 60000/' "$ROUNDS_HOME/rounds.conf"
newday
req jo.nurse@example.org "get $gtok attachments" ""
cp "$T_TMP/rounds.conf.saved" "$ROUNDS_HOME/rounds.conf"
get_mail jo.nurse@example.org
expect_eq "get attachments: the one past the limit left out, the rest attached" \
	"$(get_check "report.pdf:$T_TMP/report.pdf,wound.png:$T_TMP/wound.png" "scan.pdf")" fine
has "get attachments: the reply counts what fitted" "$(last jo.nurse@example.org)" "with 2 of its 3 attachments"
newday
req jo.nurse@example.org "get $gtok attachments" ""
get_mail jo.nurse@example.org
expect_eq "get attachments: all three within the default limit" \
	"$(get_check "report.pdf:$T_TMP/report.pdf,wound.png:$T_TMP/wound.png,scan.pdf:$T_TMP/scan.pdf" "")" fine

# A conversation without attachments: its text comes anyway, and both
# mails say there are none.
ntok=$(digest_links jo.nurse@example.org | sed -n 's/^mute%20//p' | grep -vx "$gtok" | head -1)
newday
req jo.nurse@example.org "get $ntok attachments" ""
has "get attachments, none: the reply says so" "$(last jo.nurse@example.org)" "has no attachments; the whole conversation"
get_mail jo.nurse@example.org
out=$(python3 -c 'import email,email.policy,sys; m=email.message_from_binary_file(open(sys.argv[1],"rb"),policy=email.policy.default); print(m.get_content_type()); print(m.get_content())' "$T_TMP/get.eml")
has "get attachments, none: text only" "$out" "^text/plain"
has "get attachments, none: the mail says so" "$out" "have no attachments"
newday
req jo.nurse@example.org "get $gtok" ""
get_mail jo.nurse@example.org
expect_eq "plain get: text only" "$(python3 -c 'import email,sys; print(email.message_from_binary_file(open(sys.argv[1],"rb")).get_content_type())' "$T_TMP/get.eml")" "text/plain"

t_done
