#!/bin/bash
# tests/t-threading.sh - threading end to end, through the real binary.
#
# Threading must not depend on arrival order: for each shape of a
# four-message thread every one of the 24 arrival orders is delivered into a
# fresh community, and each order must give the expected parent for every
# message and the expected grouping into threads (compared against the
# shape, not only order against order).  Then: ghost ancestors, threads that
# merge when the missing parent arrives, garbage in References and
# In-Reply-To, reference loops, and the subject fallback for replies that
# carry no references.  All mail is generated here.
. "${TOP:-$(pwd)}/tests/lib.sh"

# The 24-order sweeps run about two thousand processes: with the sanitizer
# build that takes under a minute here, and it is where memory errors in
# threading show up, so they use $ROUNDS too.  Set ROUNDS_SWEEP to another
# binary (e.g. the plain build) when a slow machine needs it.
ROUNDS_SWEEP=${ROUNDS_SWEEP:-$ROUNDS}

if [ ! -x "$ROUNDS" ]; then
	not_ok "threading: rounds binary built" "no executable at $ROUNDS"
	t_done
fi

t_home
DOMAIN=lists.example.test
MAIL="$T_TMP/mail"
mkdir -p "$MAIL"

# Stable dates in logical order (A oldest), so the answer can never come
# from arrival time.  X is the message that is never delivered (a ghost).
date_of() {
	case $1 in
	A) echo "Mon, 03 Jun 2024 08:00:00 +0200" ;;
	X) echo "Mon, 03 Jun 2024 08:30:00 +0200" ;;
	B) echo "Mon, 03 Jun 2024 09:10:00 +0200" ;;
	C) echo "Mon, 03 Jun 2024 10:20:00 -0400" ;;
	D) echo "Tue, 04 Jun 2024 07:45:00 +0100" ;;
	*) echo "Wed, 05 Jun 2024 12:00:00 +0000" ;;
	esac
}
who_of() {
	case $1 in
	A) echo "Dr. Amal Haddad <amal.haddad@stmarys.example.org>" ;;
	B) echo "Ben O'Neill <ben.oneill@stmarys.example.org>" ;;
	C) echo "\"Chiara Rossi, RN\" <c.rossi@homecare.example.net>" ;;
	D) echo "Dmitri Volkov <dvolkov@clinic.example.com>" ;;
	*) echo "Ward 4 <ward4@stmarys.example.org>" ;;
	esac
}

# mid NAME COMMUNITY: the Message-ID (no brackets) of NAME in COMMUNITY.
# Ids are unique per community, so no community's mail can be mistaken for
# a duplicate of another's.
mid() { printf '%s.%s@mail.stmarys.example.org' "${1,,}" "$2"; }

# ids COMMUNITY NAMES...: "<id> <id> ..." for a References/In-Reply-To.
ids() {
	c=$1
	shift
	out=""
	for n in "$@"; do out="$out${out:+ }<$(mid "$n" "$c")>"; done
	printf '%s' "$out"
}

# mkmail FILE MESSAGE_ID SUBJECT DATE REFERENCES IN_REPLY_TO [FROM]:
# a plain-text message as a mail client would send it; empty REFERENCES or
# IN_REPLY_TO leaves the header out, "-" as MESSAGE_ID leaves out Message-ID.
mkmail() {
	{
		printf 'Return-Path: <bounces@stmarys.example.org>\n'
		printf 'Received: from mail.stmarys.example.org (mail.stmarys.example.org [192.0.2.25])\n'
		printf '\tby mx.lists.example.test (Postfix) with ESMTPS id 4VtQ1x2Lz9z1\n'
		printf '\tfor <care@%s>; %s\n' "$DOMAIN" "$4"
		printf 'From: %s\n' "${7:-Ward 4 <ward4@stmarys.example.org>}"
		printf 'To: Care team <care@%s>\n' "$DOMAIN"
		printf 'Subject: %s\n' "$3"
		printf 'Date: %s\n' "$4"
		[ "$2" = "-" ] || printf 'Message-ID: <%s>\n' "$2"
		[ -z "$6" ] || printf 'In-Reply-To: %s\n' "$6"
		[ -z "$5" ] || printf 'References: %s\n' "$5"
		printf 'MIME-Version: 1.0\n'
		printf 'Content-Type: text/plain; charset=utf-8; format=flowed\n'
		printf 'Content-Transfer-Encoding: 8bit\n'
		printf 'User-Agent: Mozilla/5.0 Thunderbird/115.11.0\n'
		printf '\n'
		printf 'Dressing changed at 08:00, wound edges clean, no exudate.\n'
		printf 'Next change due Thursday; please note any redness.\n'
		printf '\n'
		printf -- '-- \nWard 4, St Mary'"'"'s\n'
	} >"$1"
}

# list_json COMMUNITY FILE [BINARY]: message list of COMMUNITY into FILE.
list_json() {
	"${3:-$ROUNDS}" message list "$1" --json >"$2" 2>"$T_TMP/list.err"
}

# The checker: every JSON file named on the command line is the message list
# of one community; EXPECT is "NAME=PARENT ..." (empty parent = root) and
# GROUPS the expected threads as "ABC D".  Message ids map back to names by
# their first label.  Prints nothing when all is well, else the problems of
# the first failing order.
CHECK_PY='
import json, sys
expect = dict(p.split("=") for p in sys.argv[1].split())
groups = sorted("".join(sorted(g)) for g in sys.argv[2].split())
def name(mid):
    return None if mid is None else mid.split(".")[0].upper()
bad = 0
for path in sys.argv[3:]:
    order = path.rsplit("x", 1)[-1].split(".")[0].upper()
    try:
        rows = json.load(open(path))
    except Exception as e:
        print("order %s: no JSON: %s" % (order, e)); bad += 1; continue
    probs = []
    names = [name(r.get("message_id")) for r in rows]
    if sorted(names) != sorted(expect):
        probs.append("messages listed %s, want %s" % (sorted(names), sorted(expect)))
    for r in rows:
        n = name(r.get("message_id"))
        if n not in expect:
            continue
        got = name(r.get("parent_message_id")) or ""
        if got != expect[n]:
            probs.append("parent of %s is %r, want %r" % (n, got or None, expect[n] or None))
        if r.get("status") != "posted":
            probs.append("%s has status %r" % (n, r.get("status")))
    by = {}
    for r in rows:
        by.setdefault(r.get("thread_id"), []).append(name(r.get("message_id")) or "?")
    got_groups = sorted("".join(sorted(g)) for g in by.values())
    if None in by:
        probs.append("messages in no thread: %s" % by[None])
    if got_groups != groups:
        probs.append("threads %s, want %s" % (got_groups, groups))
    if probs:
        bad += 1
        if bad == 1:
            first = "arrival order %s: %s" % (order, "; ".join(probs))
if bad:
    print("%d of %d orders wrong; first: %s" % (bad, len(sys.argv) - 3, first))
'

# sweep SHAPE GROUPS EXPECT SPEC...: deliver every arrival order of the four
# messages A-D of SPEC ("NAME:REFS:IRT", names separated by spaces inside
# REFS and IRT) into a fresh community each, then check them all.
sweep() {
	shape=$1 groups=$2 expect=$3
	shift 3
	files=""
	failed_deliver=""
	for p1 in A B C D; do for p2 in A B C D; do for p3 in A B C D; do for p4 in A B C D; do
		order="$p1$p2$p3$p4"
		case $order in *A*A* | *B*B* | *C*C* | *D*D*) continue ;; esac
		comm="${shape}x${order,,}"
		"$ROUNDS_SWEEP" community create "$comm" --policy open --title "Threading $shape" \
			>/dev/null 2>"$T_TMP/create.err" ||
			failed_deliver="$failed_deliver create:$comm:$(head -c 200 "$T_TMP/create.err")"
		for spec in "$@"; do
			n=${spec%%:*} rest=${spec#*:}
			refs=${rest%%:*} irt=${rest#*:}
			# shellcheck disable=SC2086
			mkmail "$MAIL/$comm.$n" "$(mid "$n" "$comm")" \
				"$([ "$n" = A ] && echo "Wound dressing for Mr K" || echo "Re: Wound dressing for Mr K")" \
				"$(date_of "$n")" "$(ids "$comm" $refs)" "$(ids "$comm" $irt)" "$(who_of "$n")"
		done
		for ((i = 0; i < 4; i++)); do
			n=${order:i:1}
			"$ROUNDS_SWEEP" deliver --recipient "$comm@$DOMAIN" --sender "bounces@stmarys.example.org" \
				<"$MAIL/$comm.$n" 2>"$T_TMP/deliver.err" ||
				failed_deliver="$failed_deliver deliver:$comm:$n:exit $?:$(head -c 200 "$T_TMP/deliver.err")"
		done
		list_json "$comm" "$T_TMP/$comm.json" "$ROUNDS_SWEEP"
		files="$files $T_TMP/$comm.json"
	done; done; done; done
	if [ -n "$failed_deliver" ]; then
		not_ok "threading: $shape: all 24 orders delivered" "$(echo "$failed_deliver" | head -c 600)"
	else
		ok "threading: $shape: all 24 orders delivered"
	fi
	# shellcheck disable=SC2086
	res=$(python3 -c "$CHECK_PY" "$expect" "$groups" $files 2>&1)
	if [ -z "$res" ]; then
		ok "threading: $shape: every arrival order gives the expected parents and threads"
	else
		not_ok "threading: $shape: every arrival order gives the expected parents and threads" "$res"
	fi
}

# --- shapes, every arrival order ---------------------------------------------

# A <- B <- C <- D, with both headers as most clients write them.
sweep chain "ABCD" "A= B=A C=B D=C" "A::" "B:A:A" "C:A B:B" "D:A B C:C"
# The same with only In-Reply-To (old clients), only References, and mixed.
sweep chainirt "ABCD" "A= B=A C=B D=C" "A::" "B::A" "C::B" "D::C"
sweep chainrefs "ABCD" "A= B=A C=B D=C" "A::" "B:A:" "C:A B:" "D:A B C:"
sweep chainmixed "ABCD" "A= B=A C=B D=C" "A::" "B:A:A" "C::B" "D:A B C:"
# A star: everyone answers the first post.
sweep star "ABCD" "A= B=A C=A D=A" "A::" "B:A:A" "C:A:A" "D:A:A"
sweep starirt "ABCD" "A= B=A C=A D=A" "A::" "B::A" "C::A" "D::A"
# A <- B <- C plus A <- D.
sweep branch "ABCD" "A= B=A C=B D=A" "A::" "B:A:A" "C:A B:B" "D:A:A"
# A <- B, B <- C, B <- D.
sweep fork "ABCD" "A= B=A C=B D=B" "A::" "B:A:A" "C:A B:B" "D:A B:B"
# Ghost in the middle: B and C answer X (which answered A) but X never
# reached the list; their parent is the nearest present ancestor, A.
sweep ghostmid "ABCD" "A= B=A C=A D=B" "A::" "B:A X:X" "C:A X:X" "D:A X B:B"
# Ghost at the root: A, B and C all answer the missing X; they share a
# thread through it, each with no parent.
sweep ghostroot "ABCD" "A= B= C= D=C" "A:X:X" "B:X:X" "C:X:X" "D:X C:C"
# Ghost named only by In-Reply-To: B and C share a thread through X; A,
# which names nothing, stays apart.
sweep ghostirt "A BCD" "A= B= C= D=B" "A::" "B::X" "C::X" "D::B"
# In-Reply-To names a message that References does not (a private copy,
# Q, that never reached the list): References rule, so C's parent is B.
sweep disagree "ABCD" "A= B=A C=B D=C" "A::" "B:A:A" "C:A B:Q" "D:A B C:C"
# In-Reply-To names one of the References but not the last: the project
# rule (src/message.c) is that In-Reply-To, the message actually answered,
# wins and the chain is cut there, so D's parent is B, not C.
sweep disagreeirt "ABCD" "A= B=A C=B D=B" "A::" "B:A:A" "C:A B:B" "D:A B C:B"
# Issue 12: a dodgy In-Reply-To must not beat References.  D's In-Reply-To
# names X, which is among its References but never reached the list, while
# the last References id names C, which did: C is the parent.
sweep irtghost "ABCD" "A= B=A C=B D=C" "A::" "B:A:A" "C:A B:B" "D:A B X C:X"
# ... nor several ids in In-Reply-To: References rule.
sweep irtseveral "ABCD" "A= B=A C=B D=C" "A::" "B:A:A" "C:A B:B" "D:A B C:A B"
# References out of order (C's lists B before A) and In-Reply-To names a
# stored message that References leaves out: In-Reply-To decides.
sweep refsdisorder "ABCD" "A= B=A C=B D=C" "A::" "B:A:A" "C:B A:B" "D:B A:C"

# --- targeted checks, one community each ---------------------------------------

# The helpers below load a community's message list into Python: N is the
# list of names (first label of each Message-ID, upper-cased), P maps a
# name to its parent's name ("" for none), T to its thread_id; want(COND,
# TEXT) records a problem, groups() is the threads as "ABC D".
CHECK_LIB='
import json, sys
rows = json.load(open(sys.argv[1]))
def name(m):
    return None if m is None else m.split(".")[0].upper()
N = [name(r.get("message_id")) for r in rows]
P = dict((name(r.get("message_id")), name(r.get("parent_message_id")) or "") for r in rows)
T = dict((name(r.get("message_id")), r.get("thread_id")) for r in rows)
probs = []
def want(cond, text):
    if not cond:
        probs.append(text)
def groups():
    by = {}
    for n, t in T.items():
        by.setdefault(t, []).append(n)
    return " ".join(sorted("".join(sorted(g)) for g in by.values()))
def acyclic():
    for n in P:
        seen, cur = set(), n
        while cur:
            if cur in seen:
                return False
            seen.add(cur)
            cur = P.get(cur, "")
    return True
'

# check NAME JSONFILE PYTHON: run the PYTHON checks over JSONFILE.
check() {
	res=$(python3 -c "$CHECK_LIB$3
print(\"; \".join(probs))" "$2" 2>&1)
	if [ -z "$res" ]; then ok "$1"; else not_ok "$1" "$res" "$(head -c 400 "$2")"; fi
}

# put COMMUNITY NAME SUBJECT DATE REFERENCES IN_REPLY_TO: generate and
# deliver one message with the headers exactly as given; failures collect
# in $put_failed.
put_failed=""
put() {
	mkmail "$MAIL/$1.$2" "$(mid "$2" "$1")" "$3" "$4" "$5" "$6" "$(who_of "$2")"
	"$ROUNDS" deliver --recipient "$1@$DOMAIN" --sender "bounces@stmarys.example.org" \
		<"$MAIL/$1.$2" 2>"$T_TMP/deliver.err" ||
		put_failed="$put_failed $1/$2: exit $? $(head -c 200 "$T_TMP/deliver.err")"
}
# delivered NAME: one line for all put calls since the last one.
delivered() {
	if [ -z "$put_failed" ]; then ok "$1"; else not_ok "$1" "$put_failed"; fi
	put_failed=""
}
create() {
	"$ROUNDS" community create "$1" --policy open --title "$2" >/dev/null 2>"$T_TMP/create.err" ||
		not_ok "threading: create community $1" "$(head -c 300 "$T_TMP/create.err")"
}
S="Wound dressing for Mr K"

# Ghost ancestor: B and C answer X, X answered A; neither A nor X arrives.
create ghosts "Ghost ancestors"
put ghosts B "Re: $S" "$(date_of B)" "$(ids ghosts A X)" "$(ids ghosts X)"
put ghosts C "Re: $S" "$(date_of C)" "$(ids ghosts A X)" "$(ids ghosts X)"
delivered "threading: ghost: replies to a missing message are taken"
list_json ghosts "$T_TMP/ghosts.json"
check "threading: ghost: the missing ancestor is never listed, its replies share a thread" \
	"$T_TMP/ghosts.json" '
want(sorted(N) == ["B", "C"], "listed %s, want B C" % sorted(N))
want(groups() == "BC", "threads %s, want BC" % groups())
want(P.get("B") == "" and P.get("C") == "", "parents %s, want none" % P)
'
"$ROUNDS" thread list ghosts --json >"$T_TMP/ghosts-threads.json" 2>"$T_TMP/err"
got=$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(" ".join(str(t["message_count"]) for t in d))' \
	"$T_TMP/ghosts-threads.json" 2>&1)
expect_eq "threading: ghost: thread list counts only present messages" "$got" "2"

# Child before parent: threads merge when the missing link arrives.
create merge "Merging threads"
put merge B "Re: $S" "$(date_of B)" "$(ids merge A)" "$(ids merge A)"
put merge C "Re: $S" "$(date_of C)" "$(ids merge X)" "$(ids merge X)"
list_json merge "$T_TMP/merge1.json"
check "threading: merge: unrelated orphans start apart" "$T_TMP/merge1.json" '
want(groups() == "B C", "threads %s, want B C" % groups())
'
put merge X "Re: $S" "$(date_of X)" "$(ids merge A)" "$(ids merge A)"
list_json merge "$T_TMP/merge2.json"
check "threading: merge: a message linking two orphans joins their threads" "$T_TMP/merge2.json" '
want(groups() == "BCX", "threads %s, want BCX" % groups())
want(P == {"B": "", "C": "X", "X": ""}, "parents %s" % P)
'
put merge A "$S" "$(date_of A)" "" ""
delivered "threading: merge: all four messages taken"
list_json merge "$T_TMP/merge3.json"
check "threading: merge: the late root becomes everyone's ancestor" "$T_TMP/merge3.json" '
want(groups() == "ABCX", "threads %s, want ABCX" % groups())
want(P == {"A": "", "B": "A", "C": "X", "X": "A"}, "parents %s" % P)
'
tid=$(json 'd[0]["thread_id"]' <"$T_TMP/merge3.json" 2>/dev/null)
"$ROUNDS" thread show "$tid" --json >"$T_TMP/merge-thread.json" 2>"$T_TMP/err"
got=$(python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
# The community is named by its name or by its list address.
c = d["community"] if d["community"] != "merge@lists.example.test" else "merge"
print(c, len(d["messages"]), sorted(m["message_id"].split(".")[0] for m in d["messages"]))
' "$T_TMP/merge-thread.json" 2>&1)
expect_eq "threading: merge: thread show lists the merged thread" "$got" "merge 4 ['a', 'b', 'c', 'x']"

# Garbage in References and In-Reply-To, as real clients produce it.
create garbage "Garbage headers"
put garbage A "$S" "$(date_of A)" "" ""
put garbage B "Re: $S" "$(date_of B)" "<$(mid A garbage)> garbage" ""
put garbage C "Re: $S" "$(date_of C)" "<$(mid A garbage)> garbage <$(mid B garbage)>" ""
put garbage D "Re: $S" "$(date_of D)" "" "Your message of Dec 31 <$(mid C garbage)>"
put garbage E "Re: $S" "Tue, 04 Jun 2024 09:00:00 +0100" "" \
	"<$(mid D garbage)> (Dmitri Volkov's message of \"Tue, 04 Jun 2024 07:45:00 +0100\")"
put garbage F "Shift swap on Friday" "Tue, 04 Jun 2024 10:00:00 +0100" "this is not a message id" ""
put garbage G "Pharmacy opening hours" "Tue, 04 Jun 2024 11:00:00 +0100" "<>" "<>"
delivered "threading: garbage: messages with garbage references are taken"
list_json garbage "$T_TMP/garbage.json"
check "threading: garbage: ids are found between the garbage, pure garbage is ignored" \
	"$T_TMP/garbage.json" '
want(sorted(N) == list("ABCDEFG"), "listed %s" % sorted(N))
want(P == {"A": "", "B": "A", "C": "B", "D": "C", "E": "D", "F": "", "G": ""}, "parents %s" % P)
want(groups() == "ABCDE F G", "threads %s, want ABCDE F G" % groups())
'

# Issue 12: an In-Reply-To with a trailing comment is dodgy and does not
# beat References, even when it names a stored message: D answers C (the
# last reference), whatever its In-Reply-To's comment says.
create dodgy "Dodgy In-Reply-To"
put dodgy A "$S" "$(date_of A)" "" ""
put dodgy B "Re: $S" "$(date_of B)" "$(ids dodgy A)" "$(ids dodgy A)"
put dodgy C "Re: $S" "$(date_of C)" "$(ids dodgy A B)" "$(ids dodgy B)"
put dodgy D "Re: $S" "$(date_of D)" "$(ids dodgy A B C)" \
	"<$(mid B dodgy)> (Ben O'Neill's message of \"Mon, 03 Jun 2024 09:10:00 +0200\")"
delivered "threading: dodgy In-Reply-To: messages are taken"
list_json dodgy "$T_TMP/dodgy.json"
check "threading: dodgy In-Reply-To: a commented In-Reply-To does not beat References" \
	"$T_TMP/dodgy.json" '
want(P == {"A": "", "B": "A", "C": "B", "D": "C"}, "parents %s" % P)
'

# Reference loops: two messages naming each other, in both orders; a
# message naming itself; a loop of three in all six orders.  Nothing may be
# lost, every message listed once, and the parents must form no cycle.
for order in "A B" "B A"; do
	o=${order// /}
	c=loop${o,,}
	create "$c" "Reference loop"
	for n in $order; do
		other=$([ "$n" = A ] && echo B || echo A)
		put "$c" "$n" "Re: $S" "$(date_of "$n")" "$(ids "$c" "$other")" "$(ids "$c" "$other")"
	done
	put "$c" S "Re: Self reference" "$(date_of D)" "$(ids "$c" S)" "$(ids "$c" S)"
	delivered "threading: loop $order: looping messages are taken"
	list_json "$c" "$T_TMP/$c.json"
	check "threading: loop $order: each message listed once, no cycle" "$T_TMP/$c.json" '
want(sorted(N) == ["A", "B", "S"], "listed %s, want A B S" % sorted(N))
want(acyclic(), "parents form a cycle: %s" % P)
want(T.get("A") == T.get("B"), "A and B in different threads")
want(T.get("S") != T.get("A"), "the self-referencing message joined the loop thread")
want(P.get("S") == "", "the self-referencing message has parent %r" % P.get("S"))
want(sorted([P.get("A"), P.get("B")]) in (["", "A"], ["", "B"]), "loop parents %s" % P)
'
done
got1=$(json '" ".join(sorted(m["message_id"].split(".")[0] + "=" + (m["parent_message_id"] or "-").split(".")[0] for m in d))' <"$T_TMP/loopab.json" 2>&1)
got2=$(json '" ".join(sorted(m["message_id"].split(".")[0] + "=" + (m["parent_message_id"] or "-").split(".")[0] for m in d))' <"$T_TMP/loopba.json" 2>&1)
expect_eq "threading: loop: the loop is broken the same way in both orders" "$got1" "$got2"

loop3_parents=""
loop3_ok=1
for order in "A B C" "A C B" "B A C" "B C A" "C A B" "C B A"; do
	o=${order// /}
	c=loopc${o,,}
	create "$c" "Reference loop of three"
	for n in $order; do
		# A names C, B names A, C names B.
		case $n in A) r=C ;; B) r=A ;; C) r=B ;; esac
		put "$c" "$n" "Re: $S" "$(date_of "$n")" "$(ids "$c" "$r")" ""
	done
	list_json "$c" "$T_TMP/$c.json"
	res=$(python3 -c "$CHECK_LIB
want(sorted(N) == ['A', 'B', 'C'], 'listed %s' % sorted(N))
want(acyclic(), 'cycle %s' % P)
want(groups() == 'ABC', 'threads %s' % groups())
print('; '.join(probs) if probs else ' '.join(k + '=' + (P[k] or '-') for k in sorted(P)))" "$T_TMP/$c.json" 2>&1)
	case $res in
	"A="*) ;;
	*) loop3_ok=0 ;;
	esac
	loop3_parents="$loop3_parents|$order: $res"
done
delivered "threading: loop of three: all messages taken"
if [ $loop3_ok = 1 ] && [ "$(echo "$loop3_parents" | tr '|' '\n' | sed 's/^[^:]*: //' | sort -u | grep -c .)" = 1 ]; then
	ok "threading: loop of three: listed once each, one thread, broken the same way in every order"
else
	not_ok "threading: loop of three: listed once each, one thread, broken the same way in every order" \
		"$(echo "$loop3_parents" | tr '|' '\n')"
fi

# Subject fallback: a reply without references joins the most recent thread
# with the same normalised subject, if it is at most 30 days old.
create subjects "Subject fallback"
put subjects A "Wound dressing" "Mon, 03 Jun 2024 08:00:00 +0200" "" ""
put subjects B "Re: Wound dressing" "Tue, 04 Jun 2024 08:00:00 +0200" "" ""
put subjects C "AW: wound dressing" "Wed, 05 Jun 2024 08:00:00 +0200" "" ""
put subjects D "Re[2]: Wound dressing" "Mon, 10 Jun 2024 08:00:00 +0200" "" ""
put subjects E "[care] Re: Wound dressing" "Thu, 20 Jun 2024 08:00:00 +0200" "" ""
put subjects F "Re: Wound dressing supplies" "Fri, 21 Jun 2024 08:00:00 +0200" "" ""
put subjects G "Wound dressing" "Sat, 22 Jun 2024 08:00:00 +0200" "" ""
put subjects H "RE: WOUND DRESSING" "Sun, 23 Jun 2024 08:00:00 +0200" "" ""
delivered "threading: subject: reference-less messages are taken"
list_json subjects "$T_TMP/subjects.json"
check "threading: subject: Re:, AW:, Re[2]:, [care] Re: replies join the thread of their subject" \
	"$T_TMP/subjects.json" '
want(T.get("A") is not None and all(T.get(n) == T.get("A") for n in "BCDE"),
     "threads %s, want A-E together" % groups())
want(T.get("F") not in (T.get(n) for n in "ABCDEGH"), "a different subject joined: %s" % groups())
want(T.get("G") != T.get("A"), "a new post without a reply prefix joined the old thread")
want(T.get("H") == T.get("G"), "the reply did not join the most recent thread: %s" % groups())
want(groups() == "ABCDE F GH", "threads %s, want ABCDE F GH" % groups())
want(acyclic(), "cycle %s" % P)
want(all(P[n] == "" or T.get(P[n]) == T.get(n) for n in P), "a parent in another thread: %s" % P)
'

create subjold "Subject fallback window"
put subjold A "Pressure ulcer audit" "Tue, 02 Jan 2024 09:00:00 +0000" "" ""
put subjold B "Re: Pressure ulcer audit" "Fri, 15 Mar 2024 09:00:00 +0000" "" ""
put subjold C "RE: pressure ulcer audit" "Wed, 20 Mar 2024 09:00:00 +0000" "" ""
put subjold D "Re: Pressure ulcer audit" "Thu, 25 Apr 2024 09:00:00 +0100" "" ""
delivered "threading: subject window: messages taken"
list_json subjold "$T_TMP/subjold.json"
check "threading: subject window: a reply does not join a thread older than 30 days" \
	"$T_TMP/subjold.json" '
want(T.get("B") != T.get("A"), "a reply 73 days later joined the old thread")
want(T.get("C") == T.get("B"), "a reply 5 days later did not join: %s" % groups())
want(T.get("D") not in (T.get("A"), T.get("B")), "a reply 36 days later joined: %s" % groups())
want(groups() == "A BC D", "threads %s, want A BC D" % groups())
'

t_done
