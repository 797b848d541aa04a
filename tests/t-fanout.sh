#!/bin/bash
# t-fanout.sh - every-message delivery through the outbox to Postfix's
# smtp-sink: what members receive (list headers, VERP, the original intact),
# the subject prefix never doubled, self-copies, digest and each members
# side by side, DMARC mitigation, footers, and copies that come back.
. tests/lib.sh

t_home
R=$ROUNDS
D=lists.example.test
"$R" community create care --title "Care Team" --policy open --owner owner@example.org >/dev/null
"$R" member add care alice@example.org bob@example.org dave@example.org --delivery each >/dev/null
"$R" member add care carol@example.org >/dev/null # digest (the default)
expect_code 0 "community set: prefix and archive" "$R" community set care --subject-prefix on \
	--archive-url https://lists.example.test/care/
expect_code 64 "community set: bad --reply-to is a usage error" "$R" community set care --reply-to everyone
expect_code 64 "community set: --footer with --no-footer" "$R" community set care --footer x --no-footer
expect_code 66 "community set: unknown community" "$R" community set nosuch --subject-prefix on

sink_start "$T_TMP/sink" || not_ok "smtp-sink starts"
set_smtp "$SINK_PORT"

# A real-shaped post: Thunderbird, multipart/alternative, with the trace
# headers of the MTA that handed it to rounds.
cat >"$T_TMP/post1.eml" <<'EOF'
Return-Path: <alice@example.org>
Delivered-To: care@lists.example.test
X-Original-To: care@lists.example.test
Received: from mail.example.org (mail.example.org [192.0.2.10])
	by mx.lists.example.test (Postfix) with ESMTPS id 4XyZ1;
	Mon, 30 Nov 2026 08:12:03 +0000 (UTC)
Message-ID: <5f0c1e2a-7d1b-4c55-9a0e-3c2b1d9e8f70@example.org>
Date: Mon, 30 Nov 2026 09:11:58 +0100
MIME-Version: 1.0
User-Agent: Mozilla Thunderbird
From: Alice Example <alice@example.org>
To: care@lists.example.test
References: <rota-2026-11@example.org>
Subject: Weekend rota for wound care
Content-Type: multipart/alternative;
 boundary="------------b0undary4lt3rn4tive"

This is a multi-part message in MIME format.
--------------b0undary4lt3rn4tive
Content-Type: text/plain; charset=UTF-8; format=flowed
Content-Transfer-Encoding: 7bit

Hi all,

who can cover the Sunday dressing changes on ward 4?
I can do Saturday.

Alice

--------------b0undary4lt3rn4tive
Content-Type: text/html; charset=UTF-8
Content-Transfer-Encoding: 7bit

<html><body><p>Hi all,</p><p>who can cover the Sunday dressing changes on
ward 4?<br>I can do Saturday.</p><p>Alice</p></body></html>

--------------b0undary4lt3rn4tive--
EOF
expect_code 0 "post accepted" deliver care@$D "$T_TMP/post1.eml" alice@example.org
queued=$("$R" outbox list --json | python3 -c 'import json,sys; print(" ".join(sorted(o["recipient"] for o in json.load(sys.stdin) if o["kind"] == "post")))')
expect_eq "queued for each members but not the author or the digest member" "$queued" "bob@example.org dave@example.org"
expect_code 0 "outbox flush sends the copies" "$R" outbox flush
wait_for sink_rcpt "$T_TMP/sink" bob@example.org dave@example.org
f=$(grep -l 'X-Rcpt-Args: .*bob@example.org' "$T_TMP/sink"/* 2>/dev/null | head -1)
if [ -n "$f" ]; then ok "bob got his copy"; else not_ok "bob got his copy"; f=/dev/null; fi
tr -d '\r' <"$f" >"$T_TMP/bob1"
h() { sed '/^$/q' "$T_TMP/bob1" | grep -i "^$1:" | head -1; }
grep -q '^X-Mail-Args:.*care+b-[a-z2-7]*@lists.example.test' "$T_TMP/bob1" && ok "VERP envelope sender" || not_ok "VERP envelope sender" "$(grep X-Mail-Args "$T_TMP/bob1")"
expect_eq "List-Id" "$(h List-Id)" "List-Id: Care Team <care.lists.example.test>"
expect_eq "List-Post" "$(h List-Post)" "List-Post: <mailto:care@lists.example.test>"
expect_eq "List-Help" "$(h List-Help)" "List-Help: <mailto:care+request@lists.example.test?subject=help>"
expect_eq "List-Subscribe" "$(h List-Subscribe)" "List-Subscribe: <mailto:care+request@lists.example.test?subject=subscribe>"
expect_eq "List-Owner" "$(h List-Owner)" "List-Owner: <mailto:care+owner@lists.example.test>"
expect_eq "List-Archive" "$(h List-Archive)" "List-Archive: <https://lists.example.test/care/>"
h List-Unsubscribe | grep -Eq '^List-Unsubscribe: <mailto:care\+request@lists.example.test\?subject=unsubscribe%20[a-z2-7]{20,}>$' &&
	ok "List-Unsubscribe with the member's token" || not_ok "List-Unsubscribe with the member's token" "$(h List-Unsubscribe)"
expect_eq "Precedence" "$(h Precedence)" "Precedence: list"
expect_eq "X-Loop" "$(h X-Loop)" "X-Loop: care@lists.example.test"
expect_eq "subject prefix" "$(h Subject)" "Subject: [care] Weekend rota for wound care"
expect_eq "Message-ID kept" "$(h Message-ID)" "Message-ID: <5f0c1e2a-7d1b-4c55-9a0e-3c2b1d9e8f70@example.org>"
expect_eq "References kept" "$(h References)" "References: <rota-2026-11@example.org>"
expect_eq "From kept (dmarc-mitigation never)" "$(h From)" "From: Alice Example <alice@example.org>"
expect_eq "no Reply-To added (reply-to author)" "$(h Reply-To)" ""
expect_eq "trace headers removed" "$(sed '/^$/q' "$T_TMP/bob1" | grep -ciE '^(Return-Path|Delivered-To|X-Original-To):')" 0
grep -q '^Received: from mail.example.org' "$T_TMP/bob1" && ok "Received kept" || not_ok "Received kept"
# smtp-sink ends its dump files with an extra line end: compare the bodies
# without trailing blank lines.
body() { python3 -c 'import sys; t=open(sys.argv[1]).read().replace("\r", ""); print(t.split("\n\n", 1)[1].rstrip("\n"))' "$1"; }
if [ "$(body "$T_TMP/post1.eml")" = "$(body "$T_TMP/bob1")" ]; then ok "body and MIME structure intact"; else not_ok "body and MIME structure intact" "$(diff <(body "$T_TMP/post1.eml") <(body "$T_TMP/bob1") | head -5)"; fi
t1=$(h List-Unsubscribe)
fd=$(grep -l 'X-Rcpt-Args: .*dave@example.org' "$T_TMP/sink"/* | head -1)
t2=$(tr -d '\r' <"${fd:-/dev/null}" | grep '^List-Unsubscribe:')
[ -n "$t2" ] && [ "$t1" != "$t2" ] && ok "each member has their own unsubscribe token" || not_ok "each member has their own unsubscribe token" "$t1" "$t2"
expect_eq "outbox says sent" "$("$R" outbox list --json | python3 -c 'import json,sys; print(sorted(set(o["status"] for o in json.load(sys.stdin))))')" "['sent']"

# A reply whose subject already carries the prefix keeps one.
cat >"$T_TMP/post2.eml" <<'EOF'
From: Bob Builder <bob@example.org>
To: Care Team <care@lists.example.test>
Subject: Re: [care] Weekend rota for wound care
Message-ID: <CAB0b+reply1@mail.gmail.com>
In-Reply-To: <5f0c1e2a-7d1b-4c55-9a0e-3c2b1d9e8f70@example.org>
References: <rota-2026-11@example.org> <5f0c1e2a-7d1b-4c55-9a0e-3c2b1d9e8f70@example.org>
Date: Mon, 30 Nov 2026 10:02:11 +0100
Content-Type: text/plain; charset="UTF-8"

I'll take Sunday.

Bob
EOF
rm -f "$T_TMP/sink"/*
deliver care@$D "$T_TMP/post2.eml" bob@example.org
"$R" outbox flush >/dev/null
wait_for sink_rcpt "$T_TMP/sink" alice@example.org dave@example.org
subj=$(cat "$T_TMP/sink"/* | tr -d '\r' | grep '^Subject:' | sort -u)
expect_eq "prefix not doubled on a reply" "$subj" "Subject: Re: [care] Weekend rota for wound care"
expect_eq "the reply reached alice and dave, not bob" "$(grep -h '^X-Rcpt-Args' "$T_TMP/sink"/* | tr -d '\r' | grep -o '[a-z]*@example.org' | sort | tr '\n' ' ')" "alice@example.org dave@example.org "

# Digest and each members of the same community get what they asked for.
rm -f "$T_TMP/sink"/*
tomorrow=$(date -u -d 'tomorrow 12:00' +%Y-%m-%dT%H:%M:%SZ)
"$R" tick --now "$tomorrow" >/dev/null
wait_for sink_rcpt "$T_TMP/sink" carol@example.org owner@example.org
digests=$(grep -l '^Subject: .*Care Team' "$T_TMP/sink"/* 2>/dev/null | xargs -r grep -h '^X-Rcpt-Args' | tr -d '\r' | grep -o '[a-z]*@example.org' | sort | tr '\n' ' ')
expect_eq "digest only for the digest members" "$digests" "carol@example.org owner@example.org "

# Self-copies: alice asks for her own posts.
expect_code 0 "member set --self-copy yes" "$R" member set care alice@example.org --self-copy yes
sed -e 's/5f0c1e2a-7d1b/6a1d2f3b-8e2c/' -e 's/^Subject: .*/Subject: Dressing supplies/' "$T_TMP/post1.eml" >"$T_TMP/post3.eml"
deliver care@$D "$T_TMP/post3.eml" alice@example.org
expect_eq "self-copy queued for the author" "$("$R" outbox list --json | python3 -c 'import json,sys; print(sum(1 for o in json.load(sys.stdin) if o["kind"] == "post" and o["recipient"] == "alice@example.org" and o["status"] == "queued"))')" 1
# A member who switches to digests before the copy leaves gets none.
"$R" member set care dave@example.org --delivery digest >/dev/null
rm -f "$T_TMP/sink"/*
"$R" outbox flush >/dev/null
wait_for sink_rcpt "$T_TMP/sink" alice@example.org bob@example.org
expect_eq "copies go to alice and bob only" "$(grep -h '^X-Rcpt-Args' "$T_TMP/sink"/* | tr -d '\r' | grep -o '[a-z]*@example.org' | sort | tr '\n' ' ')" "alice@example.org bob@example.org "
expect_eq "dave's copy is dropped" "$("$R" outbox list --json | python3 -c 'import json,sys; print([o["status"] for o in json.load(sys.stdin) if o["kind"] == "post" and o["recipient"] == "dave@example.org"][0])')" "failed"

# A copy that comes back (a member's forward) is not posted again.
f=$(grep -l 'X-Rcpt-Args: .*bob@example.org' "$T_TMP/sink"/* | head -1)
grep -v '^X-\(Mail\|Rcpt\)-Args:' "$f" | tr -d '\r' | sed 's/^Message-ID: .*/Message-ID: <forwarded-copy@example.org>/' >"$T_TMP/back.eml"
before=$("$R" message list care --json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')
expect_code 0 "a returning copy exits 0" deliver care@$D "$T_TMP/back.eml" bob@example.org
after=$("$R" message list care --json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')
expect_eq "a returning copy is not posted again" "$after" "$before"

# DMARC mitigation with replies to the list: From rewritten, author in Cc.
"$R" community set care --dmarc-mitigation always --reply-to list --footer "Care Team list - https://lists.example.test/care/" >/dev/null
sed -e 's/5f0c1e2a-7d1b/7b2e3a4c-9f3d/' -e 's/^Subject: .*/Subject: Café rota: Müller/' "$T_TMP/post1.eml" >"$T_TMP/post4.eml"
rm -f "$T_TMP/sink"/*
deliver care@$D "$T_TMP/post4.eml" alice@example.org
"$R" outbox flush >/dev/null
wait_for sink_rcpt "$T_TMP/sink" bob@example.org
f=$(grep -l 'X-Rcpt-Args: .*bob@example.org' "$T_TMP/sink"/* | head -1)
tr -d '\r' <"${f:-/dev/null}" >"$T_TMP/bob4"
h4() { sed '/^$/q' "$T_TMP/bob4" | grep -i "^$1:" | head -1; }
expect_eq "DMARC: From rewritten" "$(h4 From)" 'From: Alice Example via Care Team <care@lists.example.test>'
expect_eq "DMARC: Reply-To the list" "$(h4 Reply-To)" 'Reply-To: Care Team <care@lists.example.test>'
expect_eq "DMARC: author in Cc" "$(h4 Cc)" 'Cc: Alice Example <alice@example.org>'
grep -q '^Care Team list - https://lists.example.test/care/' "$T_TMP/bob4" && ok "footer added" || not_ok "footer added"
grep -qi '^Content-Type: multipart/mixed' "$T_TMP/bob4" && ok "footer as a new part around multipart/alternative" || not_ok "footer as a new part around multipart/alternative"
grep -q 'who can cover the Sunday dressing changes on ward 4' "$T_TMP/bob4" && ok "original text still there" || not_ok "original text still there"
sink_stop
t_done
