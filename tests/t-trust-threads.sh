#!/bin/bash
# t-trust-threads.sh - conversations that merge keep answering to their
# old codes, and hostile References cost no more than ordinary ones
# (issue 11, findings 7 and 8), through the real binary.
#
# A merge: "Night handover" starts as a reply to a message that has not
# arrived; when it arrives, answering "Heel ulcer dressing", the two
# conversations become one and the younger one is absorbed.  Every code
# mailed for the absorbed conversation (reply address, mute, get) must
# still reach the merged one, also through a chain of merges.  Then a post
# with 20,000 References: taken, threaded under its root and parent, and
# stored with the capped chain.  (Timings are in make bench.)
. tests/lib.sh

t_home
R=$ROUNDS
D=lists.example.test
NOW=$(date -u -d '+1 day' +%Y-%m-%dT12:00:00Z)
n=0

"$R" community create care --title "Wound Care" --policy members >/dev/null
"$R" member add care jo.nurse@example.org --name "Jo Nurse" >/dev/null
"$R" member add care sam.ortiz@example.com --name "Sam Ortiz" >/dev/null
"$R" member add care priya.nair@example.org --name "Priya Nair" >/dev/null

# mail ID "NAME <ADDR>" TO SUBJECT REFERENCES [BODY]: a plain-text message
# as a mail client sends it; the last of REFERENCES is the In-Reply-To.
mail() {
	n=$((n + 1))
	printf 'Return-Path: <%s>\n' "${2#*<}"
	printf 'From: %s\nTo: %s\nSubject: %s\n' "$2" "$3" "$4"
	printf 'Date: Mon, 23 Nov 2026 %02d:%02d:00 +0000\n' $((8 + n / 60)) $((n % 60))
	printf 'Message-ID: <%s@example.net>\n' "$1"
	if [ -n "$5" ]; then
		printf 'In-Reply-To: %s\nReferences: %s\n' "${5##* }" "$5"
	fi
	printf 'MIME-Version: 1.0\nContent-Type: text/plain; charset=utf-8\n\n%s\n' "${6:-Text of $1.}"
}
# post ID "NAME <ADDR>" SUBJECT REFERENCES [BODY]: to the list; exit code in $rc.
post() {
	mail "$1" "$2" "care@$D" "$3" "$4" "${5:-}" >"$T_TMP/in.eml"
	"$R" deliver --recipient "care@$D" --sender "${2#*<}" <"$T_TMP/in.eml" >"$T_TMP/out" 2>"$T_TMP/err"
	rc=$?
}
# to ADDR ID "NAME <ADDR>" SUBJECT BODY: a mail to one of our addresses.
to() {
	mail "$2" "$3" "$1" "$4" "" "$5" >"$T_TMP/in.eml"
	"$R" deliver --recipient "$1" --sender "${3#*<}" <"$T_TMP/in.eml" >"$T_TMP/out" 2>"$T_TMP/err"
	rc=$?
}
show() { "$R" message show care "$1@example.net" --json | json "$2"; }
thread_of() { show "$1" 'd["thread_id"]'; }
preview() { "$R" digest preview jo.nurse@example.org --now "$NOW" "$@" 2>/dev/null; }
# reply_addr SUBJECT: the reply address of that conversation in Jo's digest.
reply_addr() { preview | awk -v s="$1" 'index($0, "] " s) {f=1} f && /Reply: / {print $2; exit}'; }
# mute_code SUBJECT: the mute code of that conversation in Jo's HTML digest.
mute_code() {
	preview --html | python3 -c '
import re, sys
html = sys.stdin.read()
at = html.find(". " + sys.argv[1] + "</h3>")
m = re.search(r"subject=mute%20([a-z2-7]+)", html[at:]) if at >= 0 else None
print(m.group(1) if m else "")' "$1"
}
has() { if grep -qi -- "$3" <<<"$2"; then ok "$1"; else not_ok "$1" "no \"$3\" in:" "$(head -c 900 <<<"$2")"; fi; }
hasnt() { if grep -qi -- "$3" <<<"$2"; then not_ok "$1" "unexpected \"$3\" in:" "$(head -c 900 <<<"$2")"; else ok "$1"; fi; }

SAM="Sam Ortiz <sam.ortiz@example.com>"
PRIYA="Priya Nair <priya.nair@example.org>"
JO="Jo Nurse <jo.nurse@example.org>"

# ---- a merge keeps the absorbed conversation's codes working ----
post heel "$SAM" "Heel ulcer dressing" ""
post night "$PRIYA" "Re: Night handover" "<handover@example.net>"
post mattress "$SAM" "Pressure mattress order" ""
R_NIGHT=$(reply_addr "Re: Night handover")
M_NIGHT=$(mute_code "Re: Night handover")
expect_eq "merge: the digest has a reply address and a mute code for each conversation" \
	"${R_NIGHT:+r}${M_NIGHT:+m}" rm
T_HEEL=$(thread_of heel)
T_NIGHT=$(thread_of night)
expect_eq "merge: two conversations before the missing message arrives" \
	"$([ "$T_HEEL" != "$T_NIGHT" ] && echo apart)" apart

to "care+request@$D" cmd1 "$JO" "mute $M_NIGHT" ""
hasnt "merge: Jo mutes the night handover conversation" "$(preview)" "Night handover"

# The missing message answers "Heel ulcer dressing": both become one.
post handover "$SAM" "Re: Heel ulcer dressing" "<heel@example.net>"
expect_eq "merge: the linking message is taken" "$rc" 0
expect_eq "merge: the night handover is absorbed into the older conversation" \
	"$(thread_of night) $(thread_of handover)" "$T_HEEL $T_HEEL"
expect_eq "merge: the absorbed thread is gone from the list" \
	"$("$R" thread list care --json | json '[t["thread_id"] for t in d].count('"$T_NIGHT"')')" 0

out=$(preview)
hasnt "merge: a mute of the absorbed conversation silences the merged one in the digest" "$out" "Heel ulcer dressing"
has "merge: the digest still has the other conversation" "$out" "Pressure mattress order"

to "care+request@$D" cmd2 "$JO" "get $M_NIGHT" ""
expect_eq "merge: get with the absorbed conversation's code: exit 0" "$rc" 0
out=$(outbox_last jo.nurse@example.org)
has "merge: get with the absorbed conversation's code sends the merged conversation" "$out" "the whole conversation"
hasnt "merge: get does not say the conversation is gone" "$out" "does not exist any more"

to "care+request@$D" cmd3 "$JO" "follow $M_NIGHT" ""
has "merge: follow with the absorbed conversation's code unmutes the merged one" "$(preview)" "Heel ulcer dressing"

to "$R_NIGHT" reply1 "$JO" "Re: Night handover" "We hand over at the bedside since March."
expect_eq "merge: a reply to the absorbed conversation's address is taken (exit 0)" "$rc" 0
expect_eq "merge: the reply is posted into the merged conversation" \
	"$(show reply1 'd["status"]') $(thread_of reply1)" "posted $T_HEEL"

# ---- a chain of merges: A into B, then B into C ----
post chainc "$SAM" "Wheelchair cushions" ""
post chainb "$PRIYA" "Cushion covers" ""
post chaina "$SAM" "Re: Washing the covers" "<ghost-a@example.net>"
R_A=$(reply_addr "Re: Washing the covers")
R_B=$(reply_addr "Cushion covers")
T_C=$(thread_of chainc)
post ghost-a "$PRIYA" "Re: Cushion covers" "<chainb@example.net>"
expect_eq "chain: A is absorbed into B" "$(thread_of chaina)" "$(thread_of chainb)"
post chainj "$SAM" "Re: Cushion covers" "<chainc@example.net> <chainb@example.net>"
expect_eq "chain: B is absorbed into C" "$(thread_of chaina) $(thread_of chainb)" "$T_C $T_C"
to "$R_A" reply2 "$JO" "Re: Washing the covers" "Sixty degrees, then air dry."
expect_eq "chain: a reply to A's address reaches C" "$rc $(thread_of reply2)" "0 $T_C"

# A conversation started after the merges never takes an absorbed
# thread's id (B's was the highest), so an old code cannot reach it.
post fresh "$PRIYA" "Fresh topic" ""
to "$R_B" reply3 "$JO" "Re: Cushion covers" "The covers go in a net bag."
expect_eq "chain: a reply to B's address after a new conversation began still reaches C" \
	"$rc $(thread_of reply3)" "0 $T_C"

# ---- 20,000 References ----
post root "$SAM" "Compression stockings" ""
post parent "$PRIYA" "Re: Compression stockings" "<root@example.net>"
# Folded one id a line, as a mail client would write it.
refs=$(python3 -c 'print("\n ".join(["<root@example.net>"] + ["<ghost%d.x@example.net>" % i for i in range(19998)] + ["<parent@example.net>"]))')
post hostile "$SAM" "Re: Compression stockings" "$refs"
expect_eq "20,000 references: the post is taken (exit 0)" "$rc" 0
expect_eq "20,000 references: threaded under the root's thread, parent the last known" \
	"$(thread_of hostile) $(show hostile 'd["parent_message_id"]')" "$(thread_of root) parent@example.net"
expect_eq "20,000 references: stored chain is the root and the last 100" \
	"$(show hostile 'str(len(d["references"])) + " " + d["references"][0] + " " + d["references"][1] + " " + d["references"][-1]')" \
	"101 root@example.net ghost19899.x@example.net parent@example.net"
post after "$PRIYA" "Re: Compression stockings" "$refs <hostile@example.net>"
expect_eq "20,000 references: a later reply inheriting the chain threads under it" \
	"$rc $(thread_of after) $(show after 'd["parent_message_id"]')" "0 $(thread_of root) hostile@example.net"
expect_eq "20,000 references: the later reply's chain is capped too" \
	"$(show after 'str(len(d["references"])) + " " + d["references"][0]')" "101 root@example.net"

t_done
