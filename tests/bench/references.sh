#!/bin/bash
# tests/bench/references.sh - the cost of hostile References (issue 11).
#
# In a community of BENCH_REF_MEMBERS (default 50) members with a thread of
# BENCH_REF_THREAD (default 200) messages: the delivery time of a plain
# post (median of 5), of a post with 20,000 References in that thread, and
# of a later ordinary reply to it whose References are copied from it, as
# mail clients do, and of one with a short chain.  Each is reported as a
# ratio to the plain post.  Target: every ratio under 3x.  Figures, not
# pass/fail.
set -eu
TOP=$(pwd)
R=${ROUNDS:-$TOP/build/rounds}
MEMBERS=${BENCH_REF_MEMBERS:-50}
THREAD=${BENCH_REF_THREAD:-200}
W=$(mktemp -d /tmp/rounds-bench-refs.XXXXXX)
trap 'rm -rf "$W"' EXIT
export ROUNDS_HOME=$W/home
D=lists.example.test
"$R" init --domain $D >/dev/null
"$R" community create care --policy open >/dev/null
seq 1 "$MEMBERS" | sed 's/.*/person&@example.org/' >"$W/people"
"$R" member add care --file "$W/people" >/dev/null

# mail ID SUBJECT REFERENCES: one message on stdout; REFERENCES is a file
# (may be empty) holding the header value.
mail() {
	printf 'From: Author <author@example.net>\nTo: care@%s\nSubject: %s\n' "$D" "$2"
	printf 'Date: Mon, 23 Nov 2026 08:00:00 +0000\nMessage-ID: <%s@bench>\n' "$1"
	if [ -s "$3" ]; then
		printf 'In-Reply-To: %s\nReferences: ' "$(tail -n 1 "$3" | tr -d ' ')"
		cat "$3"
	fi
	printf 'Content-Type: text/plain\n\n%s\n' \
		"$(printf 'Some clinical discussion text, a typical line of a reply. %.0s' $(seq 1 6))"
}
# timed FILE: deliver FILE, print the seconds it took.
timed() {
	python3 - "$R" "$1" <<'PY'
import subprocess, sys, time
data = open(sys.argv[2], "rb").read()
t = time.perf_counter()
subprocess.run([sys.argv[1], "deliver", "--recipient", "care@lists.example.test"], input=data, check=True)
print(f"{time.perf_counter() - t:.4f}")
PY
}
ratio() { python3 -c "import sys; print(f'{float(sys.argv[1]) / max(float(sys.argv[2]), 0.0001):.1f}')" "$1" "$2"; }

# A thread of $THREAD messages, each answering the previous one.
: >"$W/chain"
mail root "Thread for the benchmark" "$W/chain" | "$R" deliver --recipient care@$D
echo "<root@bench>" >"$W/chain"
for i in $(seq 1 "$THREAD"); do
	mail "m$i" "Re: Thread for the benchmark" "$W/chain" | "$R" deliver --recipient care@$D
	echo " <m$i@bench>" >>"$W/chain"
done

: >"$W/none"
for i in 1 2 3 4 5; do
	mail "plain$i" "Plain post $i" "$W/none" >"$W/plain$i.eml"
	timed "$W/plain$i.eml" >>"$W/plain.t"
done
plain=$(sort -n "$W/plain.t" | sed -n 3p)

python3 -c 'print("<root@bench>"); [print(" <ghost%d@bench>" % i) for i in range(19998)]; print(" <m'"$THREAD"'@bench>")' >"$W/hostile.refs"
mail hostile "Re: Thread for the benchmark" "$W/hostile.refs" >"$W/hostile.eml"
hostile=$(timed "$W/hostile.eml")
{ cat "$W/hostile.refs"; echo " <hostile@bench>"; } >"$W/copied.refs"
mail copied "Re: Thread for the benchmark" "$W/copied.refs" >"$W/copied.eml"
copied=$(timed "$W/copied.eml")
printf '<root@bench>\n <copied@bench>\n' >"$W/short.refs"
mail short "Re: Thread for the benchmark" "$W/short.refs" >"$W/short.eml"
short=$(timed "$W/short.eml")

echo "== hostile References: $MEMBERS members, a thread of $((THREAD + 1)) messages"
echo "plain post: ${plain}s"
echo "post with 20,000 References: ${hostile}s = $(ratio "$hostile" "$plain")x a plain post (target < 3x)"
echo "later reply, References copied from it: ${copied}s = $(ratio "$copied" "$plain")x (target < 3x)"
echo "later reply, short References: ${short}s = $(ratio "$short" "$plain")x (target < 3x)"
