#!/bin/bash
# t-bounce-score.sh - bounces to COMMUNITY+b-TOKEN@ scored as Mailman does
# it: a member bouncing every day for a week is disabled exactly once,
# probed and re-enabled by replying; owners are told; auto-replies to any
# address of the community are never posted and never answered.
#
# Scoring takes "now" from ROUNDS_NOW (ISO 8601) when it is set, so the
# week of bounces below happens in one run.
. tests/lib.sh

t_home
R=$ROUNDS
D=lists.example.test
"$R" community create care --title "Care Team" --policy members --owner owner@example.org >/dev/null
"$R" member add care alice@example.org bob@example.org --delivery each >/dev/null
"$R" member add care carol@example.org >/dev/null

post() { # FROM ID SUBJECT
	printf 'From: %s\nTo: care@lists.example.test\nSubject: %s\nMessage-ID: <%s@example.org>\nDate: Tue, 1 Dec 2026 08:00:00 +0000\nContent-Type: text/plain; charset=utf-8\n\nText of %s.\n' \
		"$1" "$3" "$2" "$2" | "$R" deliver --recipient care@$D --sender "$1"
}
verp() { # ADDR: the envelope sender of the newest copy queued for ADDR
	"$R" outbox list --json | python3 -c 'import json,sys; print([o["envelope_from"] for o in json.load(sys.stdin) if o["recipient"] == sys.argv[1] and o["kind"] == "post"][0])' "$1"
}
member() { # ADDR FIELD
	"$R" member list care --json | python3 -c 'import json,sys; print([m[sys.argv[2]] for m in json.load(sys.stdin) if m["address"] == sys.argv[1]][0])' "$1" "$2"
}
outbox_to() { # ADDR KIND: number of outbox items of KIND to ADDR
	"$R" outbox list --json | python3 -c 'import json,sys; print(sum(1 for o in json.load(sys.stdin) if o["recipient"] == sys.argv[1] and o["kind"] == sys.argv[2]))' "$1" "$2"
}
posts() { "$R" message list care --json | python3 -c 'import json,sys; print(sum(1 for m in json.load(sys.stdin) if m["status"] == "posted"))'; }

# An RFC 3464 report from the member's provider, the way Postfix writes one.
dsn() { # DATE RCPT STATUS ACTION DIAGNOSTIC
	cat <<EOF
Return-Path: <>
Received: by mx.example.org (Postfix) id 3F1A2; $1
Date: $1
From: MAILER-DAEMON@mx.example.org (Mail Delivery System)
Subject: Undelivered Mail Returned to Sender
To: care+b-token@lists.example.test
Auto-Submitted: auto-replied
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status;
	boundary="3F1A2.1764576000/mx.example.org"
Message-Id: <20261201.3F1A2.$RANDOM$RANDOM@mx.example.org>

This is a MIME-encapsulated message.

--3F1A2.1764576000/mx.example.org
Content-Description: Notification
Content-Type: text/plain; charset=us-ascii

This is the mail system at host mx.example.org.

I'm sorry to have to inform you that your message could not
be delivered to one or more recipients.

<$2>: $5

--3F1A2.1764576000/mx.example.org
Content-Description: Delivery report
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.example.org
X-Postfix-Queue-ID: 3F1A2
Arrival-Date: $1

Final-Recipient: rfc822; $2
Original-Recipient: rfc822;$2
Action: $4
Status: $3
Remote-MTA: dns; store.example.org
Diagnostic-Code: smtp; $5

--3F1A2.1764576000/mx.example.org
Content-Description: Undelivered Message Headers
Content-Type: text/rfc822-headers

From: Bob Builder <bob@example.org>
To: care@lists.example.test
Subject: Shift swap
List-Id: Care Team <care.lists.example.test>

--3F1A2.1764576000/mx.example.org--
EOF
}
bounce() { # DAY(YYYY-MM-DD) VERP RCPT STATUS ACTION DIAG
	dsn "$(date -u -d "$1 09:00" '+%a, %d %b %Y %H:%M:%S +0000')" "$3" "$4" "$5" "$6" >"$T_TMP/dsn.eml"
	ROUNDS_NOW="${1}T09:00:00Z" "$R" deliver --recipient "$2" --sender "" <"$T_TMP/dsn.eml"
}

post bob@example.org p1 "Shift swap"
post alice@example.org p2 "Handover notes"
A=$(verp alice@example.org)
B=$(verp bob@example.org)
case "$A" in care+b-*@$D) ok "alice's VERP address" ;; *) not_ok "alice's VERP address" "$A" ;; esac
posted=$(posts)

# Forged and altered tokens are refused.
dsn "Tue, 1 Dec 2026 09:00:00 +0000" alice@example.org 5.1.1 failed "550 5.1.1 User unknown" >"$T_TMP/dsn.eml"
expect_code 77 "a forged bounce token is refused" "$R" deliver --recipient care+b-aaaaaaaaaaaaaaaaaaaaaaaaaa@$D --sender "" <"$T_TMP/dsn.eml"
grep -q 'only accepts delivery reports' "$T_TMP/err" && ok "the refusal says why" || not_ok "the refusal says why" "$(cat "$T_TMP/err")"

# A week of permanent failures for alice; two on the first day count once.
unknown="550 5.1.1 <alice@example.org>: Recipient address rejected: User unknown"
expect_code 0 "day 1 bounce" bounce 2026-12-01 "$A" alice@example.org 5.1.1 failed "$unknown"
expect_code 0 "day 1 second bounce" bounce 2026-12-01 "$A" alice@example.org 5.1.1 failed "$unknown"
expect_eq "one point for day 1" "$(member alice@example.org bounce_score)" "1.0"
for d in 02 03 04; do bounce 2026-12-$d "$A" alice@example.org 5.1.1 failed "$unknown"; done
expect_eq "four points after four days" "$(member alice@example.org bounce_score)" "4.0"
expect_eq "still active after four days" "$(member alice@example.org status)" "active"
expect_code 0 "day 5 bounce" bounce 2026-12-05 "$A" alice@example.org 5.1.1 failed "$unknown"
expect_eq "disabled at the threshold" "$(member alice@example.org status)" "disabled"
expect_eq "disabled for bounces" "$(member alice@example.org delivery_disabled_reason)" "bounces"
for d in 06 07; do bounce 2026-12-$d "$A" alice@example.org 5.1.1 failed "$unknown"; done
expect_eq "score stops at the threshold" "$(member alice@example.org bounce_score)" "5.0"
expect_eq "disabled exactly once" "$(outbox_n '"disabled after bounces" in (o["subject"] or "")')" 1
expect_eq "one probe to alice" "$(outbox_to alice@example.org message)" 1
expect_eq "one notice to the owner" "$(outbox_to owner@example.org message)" 1
expect_eq "nobody else told" "$("$R" outbox list --json | python3 -c 'import json,sys; print(sum(1 for o in json.load(sys.stdin) if o["kind"] == "message"))')" 2

# What the probe looks like when it reaches alice's (recovered) mailbox.
sink_start "$T_TMP/sink" || not_ok "smtp-sink starts"
set_smtp "$SINK_PORT"
"$R" outbox flush >/dev/null
probe_arrived() { grep -qs '^Subject: Your mail from Care Team is paused' "$T_TMP/sink"/*; }
wait_for probe_arrived
f=$(grep -l '^Subject: Your mail from Care Team is paused' "$T_TMP/sink"/* 2>/dev/null | head -1)
tr -d '\r' <"${f:-/dev/null}" >"$T_TMP/probe"
grep -q '^Auto-Submitted: auto-replied' "$T_TMP/probe" && ok "probe is Auto-Submitted" || not_ok "probe is Auto-Submitted"
expect_eq "probe Reply-To is alice's +b address" "$(grep '^Reply-To:' "$T_TMP/probe" | sed 's/^Reply-To: *//; s/[<>]//g')" "$A"
grep -q '^X-Mail-Args:.*care+b-' "$T_TMP/probe" && ok "probe has a VERP envelope" || not_ok "probe has a VERP envelope"
grep -q 'reply to this message' "$T_TMP/probe" && ok "probe says how to turn mail back on" || not_ok "probe says how to turn mail back on"
grep -l 'X-Rcpt-Args: .*owner@example.org' "$T_TMP/sink"/* | xargs -r cat | grep -q 'alice@example.org' && ok "owner notice names alice" || not_ok "owner notice names alice"
sink_stop

# No copies for a disabled member.
post bob@example.org p3 "Night shift"
expect_eq "no copy queued for disabled alice" "$(outbox_to alice@example.org post)" 1

# Somebody else answering the probe does not re-enable alice.
reply() { # FROM
	printf 'From: %s\nTo: %s\nSubject: Re: Your mail from Care Team is paused\nMessage-ID: <%s.%s@example.org>\nDate: Tue, 8 Dec 2026 10:00:00 +0000\nIn-Reply-To: <bounces.1@lists.example.test>\nContent-Type: text/plain; charset=utf-8\n\nYes please, my mailbox is fixed.\n' \
		"$1" "$A" "$RANDOM" "$RANDOM" | ROUNDS_NOW=2026-12-08T10:00:00Z "$R" deliver --recipient "$A" --sender "$1"
}
expect_code 0 "a stranger's reply exits 0" reply mallory@example.net
expect_eq "a stranger's reply changes nothing" "$(member alice@example.org status)" "disabled"
expect_code 0 "alice replies to the probe" reply "Alice Example <alice@example.org>"
expect_eq "alice is active again" "$(member alice@example.org status)" "active"
expect_eq "reason cleared" "$(member alice@example.org delivery_disabled_reason)" "None"
expect_eq "score reset" "$(member alice@example.org bounce_score)" "0.0"
post bob@example.org p4 "Handover again"
expect_eq "alice gets copies again" "$(outbox_to alice@example.org post)" 2
expect_eq "replies to the probe are not posted" "$(posts)" "$((posted + 2))"

# Temporary failures count half; delays count nothing; a week without
# bounces starts the score again.
expect_code 0 "temporary failure" bounce 2026-12-01 "$B" bob@example.org 4.2.2 failed "452 4.2.2 Mailbox full"
expect_eq "half a point" "$(member bob@example.org bounce_score)" "0.5"
expect_code 0 "a permanent failure the same day as a temporary one" bounce 2026-12-01 "$B" bob@example.org 5.2.1 failed "550 5.2.1 Mailbox disabled"
expect_eq "the same day counts one point at most" "$(member bob@example.org bounce_score)" "1.0"
expect_code 0 "delay notice" bounce 2026-12-02 "$B" bob@example.org 4.4.1 delayed "connect to store.example.org: Connection timed out"
expect_eq "a delay counts nothing" "$(member bob@example.org bounce_score)" "1.0"
expect_code 0 "a failure after ten quiet days" bounce 2026-12-11 "$B" bob@example.org 5.2.1 failed "550 5.2.1 Mailbox disabled"
expect_eq "a stale score starts again" "$(member bob@example.org bounce_score)" "1.0"

# Out-of-office replies: to a post (reply-all to the list, and to the VERP
# return path as RFC 3834 asks), to a digest, to a command reply.  Nothing
# is posted and nothing answers them.
ooo() { # TO
	printf 'From: Carol Nurse <carol@example.org>\nTo: %s\nSubject: Automatic reply: Night shift\nMessage-ID: <ooo.%s.%s@example.org>\nDate: Wed, 2 Dec 2026 07:00:00 +0000\nAuto-Submitted: auto-replied\nX-Auto-Response-Suppress: All\nContent-Type: text/plain; charset=utf-8\n\nI am out of the office until 14 December with no access to email.\nFor urgent matters please call the ward on 0123 456.\n' \
		"$1" "$RANDOM" "$RANDOM" | ROUNDS_NOW=2026-12-02T07:00:00Z "$R" deliver --recipient "$1" --sender carol@example.org
}
before_out=$("$R" outbox list --json | python3 -c 'import json,sys; print(sum(1 for o in json.load(sys.stdin) if o["kind"] == "post"))')
expect_code 0 "out-of-office to the list address" ooo care@$D
expect_code 0 "out-of-office to a +b address" ooo "$B"
expect_eq "bob's score untouched by an auto-reply" "$(member bob@example.org bounce_score)" "1.0"
# A digest's addresses: its return path (+b-), its Reply-To (+d-) and
# the reply address of one conversation (+r-), all taken from the digest
# smtp-sink received.
SINK_DIR=$T_TMP/sink
sink_start "$SINK_DIR" || not_ok "smtp-sink starts"
set_smtp "$SINK_PORT"
"$R" tick --quiet --now "$(date -u -d 'tomorrow 12:00' +%Y-%m-%dT%H:%M:%SZ)"
sink_stop
python3 - "$SINK_DIR" >"$T_TMP/daddr" <<'PY'
import email, email.policy, glob, re, sys
for f in sorted(glob.glob(sys.argv[1] + "/*")):
    m = email.message_from_binary_file(open(f, "rb"), policy=email.policy.default)
    if "digest-" in (m["Message-ID"] or "") and "carol@example.org" in str(m["To"]):
        print(str(m["Reply-To"]).strip("<> "))
        print(re.search(r"care\+r-[a-z2-7]+@[a-z.]+", m.get_body(("plain",)).get_content()).group(0))
PY
dig=$("$R" outbox list --json | python3 -c 'import json,sys; print([o["envelope_from"] for o in json.load(sys.stdin) if o["kind"] == "digest" and o["recipient"] == "carol@example.org"][0])')
expect_eq "carol got a digest with +d- and +r- addresses" "$(grep -c '^care+[dr]-' "$T_TMP/daddr")" 2
own0=$(outbox_n 'o["recipient"] == "owner@example.org"')
unposted() { "$R" message list care --json | python3 -c 'import json,sys; print(sum(1 for m in json.load(sys.stdin) if m["status"] != "posted"))'; }
held0=$(unposted)
for to in "$dig" $(cat "$T_TMP/daddr") "care+request@$D" "care+owner@$D"; do
	expect_code 0 "out-of-office to ${to%%-*}...: exit 0" ooo "$to"
done
expect_eq "an out-of-office reply is not forwarded to the owners" "$(outbox_n 'o["recipient"] == "owner@example.org"')" "$own0"
# A command reply: carol asks for help, her vacation reply answers the
# +request From: and the help's Reply-To; nothing may answer that.
printf 'From: carol@example.org\nTo: care+request@%s\nSubject: help\nMessage-ID: <help.carol@example.org>\nDate: Wed, 2 Dec 2026 06:00:00 +0000\n\nhelp\n' "$D" |
	ROUNDS_NOW=2026-12-02T06:00:00Z "$R" deliver --recipient "care+request@$D" --sender carol@example.org
replies=$(outbox_n 'o["recipient"] == "carol@example.org" and o["kind"] != "digest"')
expect_eq "carol's help request answered once" "$replies" 1
"$R" outbox show "$(outbox_id 'o["recipient"] == "carol@example.org" and o["kind"] != "digest"')" >"$T_TMP/help.eml"
for to in $(python3 -c 'import email,sys; m=email.message_from_binary_file(open(sys.argv[1],"rb")); print(" ".join(sorted({email.utils.parseaddr(m[h])[1] for h in ("From","Reply-To") if m[h]})))' "$T_TMP/help.eml"); do
	expect_code 0 "out-of-office to the command reply's $to" ooo "$to"
done
expect_eq "nothing answers carol's out-of-office replies" "$(outbox_n 'o["recipient"] == "carol@example.org" and o["kind"] != "digest"')" "$replies"
expect_eq "no out-of-office reply held for the digest addresses" "$(unposted)" "$held0"
expect_eq "no out-of-office reply was posted" "$(posts)" "$((posted + 2))"
after_out=$("$R" outbox list --json | python3 -c 'import json,sys; print(sum(1 for o in json.load(sys.stdin) if o["kind"] == "post"))')
expect_eq "no copies of an out-of-office reply queued" "$after_out" "$before_out"
expect_eq "nothing ever sent to the out-of-office sender but her digest and help" "$(outbox_n 'o["recipient"] == "carol@example.org" and o["kind"] != "digest"')" 1

# A full mailbox may take mail again tomorrow: half a point, even with a 5.x.x code.
b0=$(member bob@example.org bounce_score)
expect_code 0 "a mailbox-full bounce for bob" bounce 2026-12-10 "$B" bob@example.org 5.2.2 failed "552 5.2.2 <bob@example.org>: Mailbox full"
expect_eq "... counts as temporary (half a point)" "$(member bob@example.org bounce_score)" "$(python3 -c "print($b0 + 0.5)")"

# A complaint (an ARF feedback report) about list mail to bob: his
# delivery is turned off at once (providers count every further copy
# against the list) and the owners are told, once; his score is untouched.
B=$(verp bob@example.org)
own1=$(outbox_n 'o["recipient"] == "owner@example.org"')
score1=$(member bob@example.org bounce_score)
sed "s/^To: .*/To: $B/" tests/bounces/corpus/sisimai/arf-01.eml >"$T_TMP/arf.eml"
expect_code 0 "a complaint report is taken" "$R" deliver --recipient "$B" --sender "" <"$T_TMP/arf.eml"
expect_eq "... the owner is told" "$(outbox_n 'o["recipient"] == "owner@example.org" and "complaint" in (o["subject"] or "")')" 1
expect_eq "... and nothing else is sent" "$(outbox_n 'o["recipient"] == "owner@example.org"')" $((own1 + 1))
expect_eq "... bob's delivery is off for the complaint, his score unchanged" "$(member bob@example.org status) $(member bob@example.org delivery_disabled_reason) $(member bob@example.org bounce_score)" "disabled complaint $score1"
expect_eq "... bob himself is not mailed about it" "$(outbox_n 'o["recipient"] == "bob@example.org" and "complaint" in (o["subject"] or "")')" 0
expect_code 0 "a second report about bob is taken" "$R" deliver --recipient "$B" --sender "" <"$T_TMP/arf.eml"
expect_eq "... and tells the owners nothing new" "$(outbox_n 'o["recipient"] == "owner@example.org"')" $((own1 + 1))

# A feedback loop registered with the owner address: the report about
# alice's copy comes to care+owner@, with her copy's VERP address in it.
A=$(verp alice@example.org)
bad=$(printf '%s' "$A" | python3 -c 'import sys; a=sys.stdin.read(); l,d=a.split("@"); print(l[:-1] + ("a" if l[-1] != "a" else "b") + "@" + d)')
sed "s/^To: .*/To: care+owner@$D/; s/^Return-Path: <support@example.ed.jp>/Return-Path: <$bad>/" tests/bounces/corpus/sisimai/arf-01.eml >"$T_TMP/arf-forged.eml"
"$R" deliver --recipient "care+owner@$D" --sender "" <"$T_TMP/arf-forged.eml" >/dev/null 2>&1
expect_eq "an ARF report to +owner with an altered VERP token changes nothing" "$(member alice@example.org status)" active
sed "s/^To: .*/To: care+owner@$D/; s/^Return-Path: <support@example.ed.jp>/Return-Path: <$A>/" tests/bounces/corpus/sisimai/arf-01.eml >"$T_TMP/arf-owner.eml"
own2=$(outbox_n 'o["recipient"] == "owner@example.org" and "complaint" in (o["subject"] or "")')
expect_code 0 "an ARF report about alice's copy sent to +owner is taken" "$R" deliver --recipient "care+owner@$D" --sender "" <"$T_TMP/arf-owner.eml"
expect_eq "... alice's delivery is off for the complaint" "$(member alice@example.org status) $(member alice@example.org delivery_disabled_reason)" "disabled complaint"
expect_eq "... and the owner is told" "$(outbox_n 'o["recipient"] == "owner@example.org" and "complaint" in (o["subject"] or "")')" $((own2 + 1))

t_done
