#!/bin/bash
# t-trust-tokens.sh - no member can act as another (issue 11, findings 1, 4
# and part of 10), end to end through the real binary: digests go to
# smtp-sink, Jo answers them as Outlook and Gmail do (the whole digest, text
# and HTML, quoted below two lines), and nothing that leaves for anyone else
# - list copies, other people's digests, held notices, `get` results - nor
# the stored message may carry one of Jo's tokens.
. tests/lib.sh

t_home
R=$ROUNDS
D=lists.example.test
day1=$(date -u -d 'tomorrow 12:00' +%Y-%m-%dT%H:%M:%SZ)
day1b=$(date -u -d 'tomorrow 13:00' +%Y-%m-%dT%H:%M:%SZ)
day2=$(date -u -d '2 days 12:00' +%Y-%m-%dT%H:%M:%SZ)

"$R" community create care --title "Wound Care" --policy members >/dev/null
"$R" member add care jo.nurse@example.org --name "Jo Nurse" --delivery digest >/dev/null
"$R" member add care priya.nair@example.org --name "Priya Nair" --delivery digest >/dev/null
"$R" member add care sam.ortiz@example.com --name "Sam Ortiz" --delivery each >/dev/null
"$R" member add care olu.owner@example.org --name "Olu Owner" --delivery each --role owner >/dev/null
"$R" member add care carol@example.org --name "Carol Nurse" --delivery digest >/dev/null
"$R" member add care kim.lee@example.net --name "Kim Lee" --delivery digest >/dev/null

# post ID "NAME <ADDR>" SUBJECT BODY [COMMUNITY]
post() {
	{
		printf 'From: %s\nTo: %s@%s\nSubject: %s\n' "$2" "${5:-care}" "$D" "$3"
		printf 'Date: Mon, 23 Nov 2026 08:00:00 +0000\nMessage-ID: <%s@example.net>\n' "$1"
		printf 'MIME-Version: 1.0\nContent-Type: text/plain; charset=utf-8\n\n%s\n' "$4"
	} | "$R" deliver --recipient "${5:-care}@$D" --sender "$(sed 's/.*<\(.*\)>/\1/' <<<"$2")" >/dev/null 2>&1
}
show() { "$R" message show care "$1" --json | json "$2"; }

post q1 "Sam Ortiz <sam.ortiz@example.com>" "Dressing change frequency?" \
	"How often do you change the foam dressing on a pressure ulcer of the heel?"
post t2 "Priya Nair <priya.nair@example.org>" "Night shift handover checklist" \
	"The draft handover checklist for the night shift is ready, please comment."

SINK_DIR=$T_TMP/sink
sink_start "$SINK_DIR" || not_ok "smtp-sink starts"
set_smtp "$SINK_PORT"
# flush [NOW]: send what is queued, and wait until the sink has written it.
flush() {
	"$R" outbox flush --now "${1:-$day1b}" >/dev/null 2>&1
	sleep 0.3
}
"$R" tick --now "$day1" >/dev/null 2>&1
sleep 0.3

# mails.py DIR ADDR CMD: the mails in the sink for ADDR (recipient in the
# envelope), decoded: headers and every part's decoded payload.
cat >"$T_TMP/mails.py" <<'PY'
import email, email.policy, glob, re, sys
d, addr, cmd = sys.argv[1:4]
def rcpt(raw):
    head = raw.split(b"\n\n")[0]
    return [a.decode().lower() for a in re.findall(rb"X-Rcpt-Args: <?([^>\s]+)", head) + re.findall(rb"^To: .*?<?([\w.+-]+@[\w.-]+)>?\s*$", head, re.M)]
def decoded(raw):
    m = email.message_from_bytes(raw, policy=email.policy.default)
    out = [str(k) + ": " + str(v) for k, v in m.items()]
    for p in m.walk():
        if p is not m:
            out += [str(k) + ": " + str(v) for k, v in p.items()]
        if p.is_multipart():
            continue
        b = p.get_payload(decode=True) or b""
        out.append(b.decode("utf-8", "replace"))
    return m, "\n".join(out)
mails = []
for f in sorted(glob.glob(d + "/*")):
    raw = open(f, "rb").read()
    r = rcpt(raw)
    if addr == "*" or (addr.startswith("!") and addr[1:] not in r) or addr in r:
        mails.append((f, raw) + decoded(raw))
if cmd == "count":
    print(len(mails))
elif cmd == "digest":
    # The digest itself: text, HTML, headers, as one text.
    for f, raw, m, text in mails:
        if "digest-" in (m["Message-ID"] or ""):
            print(text)
elif cmd.startswith("leak:"):
    toks = [t for t in open(cmd[5:]).read().split() if t]
    for f, raw, m, text in mails:
        low = text.lower() + raw.decode("latin-1").lower()
        for t in toks:
            if t in low:
                print("%s (%s) has %s" % (f.rsplit("/", 1)[-1], m["Subject"], t))
elif cmd.startswith("grep:"):
    for f, raw, m, text in mails:
        if re.search(cmd[5:], text):
            print(text)
            break
PY
mails() { python3 "$T_TMP/mails.py" "$SINK_DIR" "$@"; }

mails jo.nurse@example.org digest >"$T_TMP/jo-digest.txt"
if grep -aq "Reply: care+r-" "$T_TMP/jo-digest.txt"; then ok "Jo's digest arrived"; else
	not_ok "Jo's digest arrived" "$(ls "$SINK_DIR")"
	t_done
fi
# Every token Jo was mailed: reply, digest, get/mute and unsubscribe.
grep -aoiE '([+-][rcbd]-|%20|digest-[0-9]+\.)[a-z2-7]{16,}' "$T_TMP/jo-digest.txt" |
	sed -E 's/^([+-][rcbd]-|%20|digest-[0-9]+\.)//' | tr 'A-Z' 'a-z' | sort -u >"$T_TMP/jo-tokens"
kinds=$(grep -aoiE '([+-][rd]-|subject=(mute|get|unsubscribe)%20)' "$T_TMP/jo-digest.txt" | sed 's/^[+-]//' | sort -u | tr '\n' ' ')
expect_eq "Jo's digest holds reply, digest, mute and unsubscribe tokens" "$kinds" \
	"d- r- subject=mute%20 subject=unsubscribe%20 "
R_DRESS=$(awk '/Dressing change frequency\?/ {f=1} f && /Reply: / {print $2; exit}' "$T_TMP/jo-digest.txt")
R_NIGHT=$(awk '/Night shift handover checklist/ {f=1} f && /Reply: / {print $2; exit}' "$T_TMP/jo-digest.txt")
N_NIGHT=$(grep -aoE '^\[[0-9]+\] Night shift' "$T_TMP/jo-digest.txt" | head -1 | tr -dc 0-9)
JO_D=$(grep -am1 '^Reply-To: ' "$T_TMP/jo-digest.txt" | grep -oE 'care\+d-[a-z2-7]+@[a-z.]+')
JO_MID=$(grep -am1 '^Message-ID: ' "$T_TMP/jo-digest.txt" | sed 's/^Message-ID: <\(.*\)>.*/\1/')

# jo_reply OUT TO MID FROM NEW: Outlook's reply, text and HTML, with the
# whole digest quoted below in both, and a PDF attached.
jo_reply() {
	python3 - "$SINK_DIR" "$@" <<'PY'
import email, email.policy, glob, html, sys
d, out, to, mid, frm, new, digest_mid = sys.argv[1:8]
for f in sorted(glob.glob(d + "/*")):
    m = email.message_from_bytes(open(f, "rb").read(), policy=email.policy.default)
    if "digest-" in (m["Message-ID"] or "") and "jo.nurse" in (m["To"] or ""):
        break
text = m.get_body(("plain",)).get_content()
page = m.get_body(("html",)).get_content()
quoted = "\n".join("> " + l for l in text.split("\n"))
s = f"""From: {frm}
To: {to}
Subject: RE: {m["Subject"]}
Date: Tue, 24 Nov 2026 13:05:00 +0000
Message-ID: <{mid}>
In-Reply-To: <{digest_mid}>
References: <{digest_mid}>
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="mix-1"

--mix-1
Content-Type: multipart/alternative; boundary="alt-1"

--alt-1
Content-Type: text/plain; charset="utf-8"

{new}

Jo

From: {m["From"]}
Sent: Tuesday, November 24, 2026 12:00 PM
To: {m["To"]}
Subject: {m["Subject"]}

{quoted}

--alt-1
Content-Type: text/html; charset="utf-8"

<html><body><div>{html.escape(new)}</div><div>Jo</div>
<div id="divRplyFwdMsg"><b>From:</b> {html.escape(m["From"])}<br><b>Subject:</b> {html.escape(m["Subject"])}</div>
<div>{page}</div></body></html>

--alt-1--

--mix-1
Content-Type: application/pdf; name="heel-protocol.pdf"
Content-Disposition: attachment; filename="heel-protocol.pdf"
Content-Transfer-Encoding: base64

JVBERi0xLjQKJcfsj6IKMSAwIG9iago8PC9UeXBlL0NhdGFsb2c+PgplbmRvYmoKdHJhaWxlcgo8PC9Sb290IDEgMCBSPj4KJSVFT0YK

--mix-1--
"""
open(out, "w").write(s)
PY
}

# ---- finding 1: a reply to +r- carries only what Jo wrote ----
jo_reply "$T_TMP/a.eml" "$R_DRESS" jo-a@example.org "Jo Nurse <jo.nurse@example.org>" \
	"We change it every 48 hours, protocol attached." "$JO_MID"
expect_code 0 "+r- reply quoting the whole digest is taken" deliver "$R_DRESS" "$T_TMP/a.eml" jo.nurse@example.org
expect_eq "+r- reply: posted as Jo with only the new text" \
	"$(show jo-a@example.org 'd["status"] + " " + d["from"] + " | " + d["body"]')" \
	"posted jo.nurse@example.org | We change it every 48 hours, protocol attached.

Jo"
expect_eq "+r- reply: the attachment is kept" \
	"$(show jo-a@example.org '[(a["filename"], a["content_type"]) for a in d["attachments"]]')" \
	"[('heel-protocol.pdf', 'application/pdf')]"
"$R" message show care jo-a@example.org --raw >"$T_TMP/a.raw" 2>&1
"$R" message show care jo-a@example.org --json >>"$T_TMP/a.raw" 2>&1
leaks=$(grep -oiF -f "$T_TMP/jo-tokens" "$T_TMP/a.raw" | head -3)
expect_eq "+r- reply: no token of Jo in the stored message" "$leaks" ""
if grep -qi '^Content-Type: text/html' "$T_TMP/a.raw"; then
	not_ok "+r- reply: stored without the quoting HTML" "$(grep -i '^Content-Type' "$T_TMP/a.raw")"
else ok "+r- reply: stored without the quoting HTML"; fi
if grep -q '^In-Reply-To: <q1@example.net>' "$T_TMP/a.raw" && grep -q '^To: Wound Care <care@lists.example.test>' "$T_TMP/a.raw" &&
	grep -q '^From: Jo Nurse <jo.nurse@example.org>' "$T_TMP/a.raw"; then
	ok "+r- reply: stored with the thread's headers, From Jo, To the list"
else
	not_ok "+r- reply: stored with the thread's headers, From Jo, To the list" "$(grep -E '^(From|To|In-Reply-To|References):' "$T_TMP/a.raw")"
fi

# An iPhone's photo sits in the HTML's multipart/related: it is Jo's too.
{
	printf 'From: Jo Nurse <jo.nurse@example.org>\nTo: %s\nSubject: Re: digest\n' "$R_DRESS"
	printf 'Date: Tue, 24 Nov 2026 13:10:00 +0000\nMessage-ID: <jo-photo@example.org>\nMIME-Version: 1.0\n'
	printf 'Content-Type: multipart/alternative; boundary="a"\n\n--a\nContent-Type: text/plain; charset=utf-8\n\n'
	printf 'This is how the heel looks today.\n\nSent from my iPhone\n\n> Reply: %s\n\n' "$R_DRESS"
	printf -- '--a\nContent-Type: multipart/related; type="text/html"; boundary="r"\n\n--r\n'
	printf 'Content-Type: text/html; charset=utf-8\n\n<div>This is how the heel looks today.</div><img src="cid:p1@jo"><blockquote>%s</blockquote>\n' "$R_DRESS"
	printf -- '--r\nContent-Type: image/jpeg; name=IMG_0042.jpeg\nContent-Disposition: inline; filename=IMG_0042.jpeg\n'
	printf 'Content-ID: <p1@jo>\nContent-Transfer-Encoding: base64\n\n/9j/4AAQSkZJRgABAQAAAQABAAD/2wBDAP8=\n--r--\n--a--\n'
} >"$T_TMP/photo.eml"
expect_code 0 "+r- reply with an inline photo is taken" deliver "$R_DRESS" "$T_TMP/photo.eml" jo.nurse@example.org
expect_eq "+r- reply with an inline photo: the text and the photo" \
	"$(show jo-photo@example.org 'd["body"] + " | " + str([a["filename"] for a in d["attachments"]])')" \
	"This is how the heel looks today. | ['IMG_0042.jpeg']"

# ---- the same through +d-, the conversation's number on the first line ----
jo_reply "$T_TMP/b.eml" "$JO_D" jo-b@example.org "Jo Nurse <jo.nurse@example.org>" \
	"$(printf '%s\nI will bring the printed checklist on Thursday.' "$N_NIGHT")" "$JO_MID"
expect_code 0 "+d- reply quoting the whole digest is taken" deliver "$JO_D" "$T_TMP/b.eml" jo.nurse@example.org
expect_eq "+d- reply: lands in its conversation with only the new text" \
	"$(show jo-b@example.org 'd["subject"] + " | " + d["body"]')" \
	"Re: Night shift handover checklist | I will bring the printed checklist on Thursday.

Jo"
leaks=$("$R" message show care jo-b@example.org --raw 2>&1 | grep -oiF -f "$T_TMP/jo-tokens" | head -3)
expect_eq "+d- reply: no token of Jo in the stored message" "$leaks" ""

# ---- a reply from another address: held, confirmed by Jo, released ----
jo_reply "$T_TMP/c.eml" "$R_NIGHT" jo-c@example.org "Jo at home <jo.home@example.net>" \
	"Sent from home: the pump check is on the list now." "$JO_MID"
expect_code 0 "reply from another address is taken" deliver "$R_NIGHT" "$T_TMP/c.eml" jo.home@example.net
expect_eq "reply from another address: held" "$(show jo-c@example.org 'd["status"] + " " + d["hold_reason"]')" \
	"held reply-from-other-address"
flush
confirm=$(mails jo.nurse@example.org 'grep:Confirm your reply')
C_ADDR=$(grep -m1 '^Reply-To: ' <<<"$confirm" | grep -oE 'care\+c-[a-z2-7]+@[a-z.]+')
has_hdr() { if grep -q "$3" <<<"$2"; then ok "$1"; else not_ok "$1" "$(grep -E '^(From|Reply-To|X-Loop|Auto-Submitted):' <<<"$2")"; fi; }
has_hdr "reply notice: X-Loop" "$confirm" '^X-Loop: care@lists.example.test'
has_hdr "reply notice: From the owner address" "$confirm" '^From: Wound Care <care+owner@lists.example.test>'
has_hdr "reply notice: Auto-Submitted" "$confirm" '^Auto-Submitted: auto-replied'
printf 'From: Jo Nurse <jo.nurse@example.org>\nTo: %s\nSubject: Re: confirm\nDate: Tue, 24 Nov 2026 14:00:00 +0000\nMessage-ID: <jo-confirm@example.org>\n\nYes, that was me.\n' \
	"$C_ADDR" >"$T_TMP/confirm.eml"
expect_code 0 "Jo confirms the held reply" deliver "$C_ADDR" "$T_TMP/confirm.eml" jo.nurse@example.org
expect_eq "confirmed reply is posted" "$(show jo-c@example.org 'd["status"]')" "posted"

# ---- defence in depth: tokens pasted into an ordinary post ----
JO_R=$(sed 's/^care+r-//; s/@.*//' <<<"$R_DRESS")
JO_U=$(grep -aoE 'subject=unsubscribe%20[a-z2-7]+' "$T_TMP/jo-digest.txt" | head -1 | sed 's/.*%20//')
post p1 "Sam Ortiz <sam.ortiz@example.com>" "Reaching Jo" "$(printf 'Jo wrote from CARE+R-%s@Lists.Example.Test last week.\nHer unsubscribe link: <mailto:care+request@%s?subject=unsubscribe%%20%s>\nAnd her digest address care-d-%s@%s.\nNot ours: other+r-abcdefghijklmnopqrstuvwx@example.com stays.' \
	"$(tr a-z A-Z <<<"$JO_R")" "$D" "$JO_U" "$JO_R" "$D")"
expect_eq "pasted tokens: neutralised in the stored text, the rest kept" "$(show p1@example.net 'd["body"]')" \
	"Jo wrote from [address removed] last week.
Her unsubscribe link: <[address removed]>
And her digest address [address removed].
Not ours: other+r-abcdefghijklmnopqrstuvwx@example.com stays."

# Everything goes out: copies, notices, and the next digests.
flush
"$R" tick --now "$day2" >/dev/null 2>&1
sleep 0.3
mails priya.nair@example.org digest >"$T_TMP/priya-digest.txt"
if grep -aq "We change it every 48 hours" "$T_TMP/priya-digest.txt"; then ok "Priya's digest carries Jo's reply"; else
	not_ok "Priya's digest carries Jo's reply" "$(head -c 600 "$T_TMP/priya-digest.txt")"; fi
# The link may be broken over two lines inside <...> (RFC 3986 appendix C).
GET=$(awk '/Attachment: heel-protocol.pdf/ {getline a; getline b; print a b; exit}' "$T_TMP/priya-digest.txt" |
	tr -d ' \t' | grep -aoE 'subject=get%20[a-z2-7]+%20attachments' | sed 's/subject=//; s/%20/ /g')
printf 'From: Priya Nair <priya.nair@example.org>\nTo: care+request@%s\nSubject: %s\nDate: Wed, 25 Nov 2026 09:00:00 +0000\nMessage-ID: <priya-get@example.org>\n\n%s\n' \
	"$D" "$GET" "$GET" >"$T_TMP/get.eml"
expect_code 0 "Priya asks for the attachment with get" deliver "care+request@$D" "$T_TMP/get.eml" priya.nair@example.org
flush "$day2"

sam=$(mails sam.ortiz@example.com 'grep:We change it every 48 hours')
if grep -q 'heel-protocol.pdf' <<<"$sam" && ! grep -qi 'text/html' <<<"$sam"; then
	ok "Sam's copy: Jo's text and attachment, no quoting HTML"
else not_ok "Sam's copy: Jo's text and attachment, no quoting HTML" "$(head -c 900 <<<"$sam")"; fi
expect_eq "Sam's copy of the released reply arrived" \
	"$(mails sam.ortiz@example.com 'grep:pump check is on the list' | grep -c 'pump check')" 1
got=$(mails priya.nair@example.org 'grep:%PDF-1')
if grep -q 'filename="heel-protocol.pdf"' <<<"$got"; then ok "get sends Priya the attachment"; else
	not_ok "get sends Priya the attachment" "$(head -c 600 <<<"$got")"; fi
olu=$(mails olu.owner@example.org 'grep:Jo at home|jo.home')
expect_eq "Olu was told about the held reply" "${olu:+yes}" yes
others=$(mails '!jo.nurse@example.org' count)
if [ "$others" -ge 8 ]; then ok "mail to others was sent ($others)"; else not_ok "mail to others was sent ($others)"; fi
leaks=$(mails '!jo.nurse@example.org' "leak:$T_TMP/jo-tokens")
expect_eq "no token of Jo in any mail to anyone else" "$leaks" ""

# ---- finding 4: no author without a From address ----
printf 'From: Carol Nurse\nReply-To: carol@example.org\nSender: carol@example.org\nTo: care@%s\nSubject: Shift swap\nDate: Tue, 24 Nov 2026 10:00:00 +0000\nMessage-ID: <nofrom-1@example.org>\n\nCan anyone swap Friday?\n' \
	"$D" >"$T_TMP/nofrom.eml"
expect_code 0 "From without an address is taken" deliver "care@$D" "$T_TMP/nofrom.eml" carol@example.org
expect_eq "From without an address: held, not posted as Carol" \
	"$(show nofrom-1@example.org 'd["status"] + " " + d["hold_reason"]')" "held no-from-address"
"$R" community create open --title "Open Room" --policy open >/dev/null
sed 's/^To: care@/To: open@/; s/nofrom-1@/nofrom-2@/' "$T_TMP/nofrom.eml" >"$T_TMP/nofrom2.eml"
expect_code 0 "From without an address, open community: taken" deliver "open@$D" "$T_TMP/nofrom2.eml" carol@example.org
expect_eq "From without an address, open community: held too" \
	"$("$R" message show open nofrom-2@example.org --json | json 'd["status"] + " " + d["hold_reason"]')" "held no-from-address"

# ---- finding 10: reply notices count against the daily limit ----
mails kim.lee@example.net digest >"$T_TMP/kim-digest.txt"
K_DRESS=$(awk '/Dressing change frequency\?/ {f=1} f && /Reply: / {print $2; exit}' "$T_TMP/kim-digest.txt")
before=$(mails kim.lee@example.net count)
for i in 1 2 3 4 5 6; do
	printf 'From: Someone <someone@example.net>\nTo: %s\nSubject: Re: digest\nDate: Tue, 24 Nov 2026 10:0%d:00 +0000\nMessage-ID: <forged-%d@example.net>\n\nPosting as Kim, attempt %d.\n' \
		"$K_DRESS" "$i" "$i" "$i" >"$T_TMP/f$i.eml"
	deliver "$K_DRESS" "$T_TMP/f$i.eml" someone@example.net >/dev/null 2>&1
done
expect_eq "six replies from another address are all held" \
	"$("$R" message list care --json --status held | json 'len([m for m in d if m["message_id"].startswith("forged-")])')" 6
flush "$day2"
expect_eq "only five confirmation notices reach Kim in a day" \
	"$(($(mails kim.lee@example.net count) - before))" 5

t_done
