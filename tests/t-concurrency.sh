#!/bin/bash
# tests/t-concurrency.sh - 8 writers deliver 2,000 messages into one community.
#
# Like an MTA running many pipe(8) deliveries at once: every exit code must
# be 0 or 75 (database busy past the timeout), a 75 retried after a short
# sleep must eventually succeed, and in the end each message is stored
# exactly once.  The messages form 100 conversations (a root and replies
# that name it) spread over all writers, so threading also runs under
# contention: each conversation must end up as one thread.
#
# This uses the plain build (not the AddressSanitizer one that lib.sh
# prefers): the point is lock contention, and with sanitizers 16,000
# process starts would make the test several times slower without testing
# anything the corpus tests do not.  CONC_ROUNDS overrides the binary.

. tests/lib.sh

if [ -n "${CONC_ROUNDS:-}" ]; then
	ROUNDS=$CONC_ROUNDS
elif [ -x "$TOP/build/rounds" ]; then
	ROUNDS=$TOP/build/rounds
fi
WRITERS=${CONC_WRITERS:-8}
COUNT=${CONC_COUNT:-2000}

t_home
"$ROUNDS" community create care --title "Wound care" --policy open >/dev/null ||
	not_ok "create the open community care"

# COUNT distinct messages: message i belongs to conversation i % 100; the
# first message of each conversation is its root, the others reply to it
# (and, every third one, to the previous reply too).
mkdir -p "$T_TMP/msgs"
python3 - "$T_TMP/msgs" "$COUNT" <<'PY'
import sys
out, count = sys.argv[1], int(sys.argv[2])
names = ["Maria Alvarez", "Dev Ramanathan", "Samuel Ortiz", "Hannah Schmidt", "Priya Nair",
         "Grace Mensah", "Tom Becker", "Aisha Khan", "Claire Dubois", "Jon Petersen"]
topics = ["pressure injury", "leg ulcer", "surgical wound", "diabetic foot", "skin tear"]
last = {}
for i in range(count):
    conv = i % 100
    who = names[i % len(names)]
    addr = who.lower().replace(" ", ".") + "@example.org"
    mid = "conc-%05d.%d@example.org" % (i, conv)
    root = "conc-%05d.%d@example.org" % (conv, conv)
    subject = "Case %d: %s dressing plan" % (conv, topics[conv % len(topics)])
    hdr = ["From: %s <%s>" % (who, addr),
           "To: care@lists.example.test",
           "Date: Mon, %d Jun 2024 %02d:%02d:%02d +0000" % (1 + (i // 100) % 28, (i // 60) % 24, i % 60, (i * 7) % 60),
           "Message-ID: <%s>" % mid]
    if i >= 100:
        refs = [root]
        if i % 3 == 0 and conv in last and last[conv] != root:
            refs.append(last[conv])
        hdr.append("References: " + " ".join("<%s>" % r for r in refs))
        hdr.append("In-Reply-To: <%s>" % refs[-1])
        subject = "Re: " + subject
    hdr += ["Subject: " + subject, "MIME-Version: 1.0", "Content-Type: text/plain; charset=utf-8"]
    body = ("Update %d on case %d: dressing changed, wound bed granulating, "
            "no signs of infection. Next review in 3 days.\n\n%s\n" % (i, conv, who.split()[0]))
    with open("%s/%05d.eml" % (out, i), "w") as f:
        f.write("\n".join(hdr) + "\n\n" + body)
    last[conv] = mid
PY

# writer K: deliver every message whose number is K modulo WRITERS, in
# order, retrying a 75 after a short sleep like an MTA's queue would (only
# much sooner).  Logs every attempt's exit code.
writer() {
	local k=$1 i f code tries
	for ((i = k; i < COUNT; i += WRITERS)); do
		f=$(printf '%s/msgs/%05d.eml' "$T_TMP" "$i")
		tries=0
		while :; do
			"$ROUNDS" deliver --recipient care@lists.example.test --sender sender@example.org \
				<"$f" >/dev/null 2>"$T_TMP/err.$k"
			code=$?
			echo "$i $code" >>"$T_TMP/attempts.$k"
			if [ "$code" = 75 ]; then
				[ -s "$T_TMP/err.$k" ] || echo "$i" >>"$T_TMP/silent.$k"
				tries=$((tries + 1))
				if [ "$tries" -ge 40 ]; then
					echo "$i" >>"$T_TMP/gaveup.$k"
					break
				fi
				sleep "0.$((RANDOM % 3 + 1))"
				continue
			fi
			[ "$code" = 0 ] || cp "$T_TMP/err.$k" "$T_TMP/fail.$i"
			break
		done
	done
}

start=$(date +%s)
for ((k = 0; k < WRITERS; k++)); do writer "$k" & done
wait
echo "# $COUNT messages by $WRITERS writers in $(($(date +%s) - start))s ($ROUNDS)"

cat "$T_TMP"/attempts.* >"$T_TMP/attempts"
echo "# attempts by exit code: $(awk '{print $2}' "$T_TMP/attempts" | sort | uniq -c | awk '{printf "%s×%s ", $2, $1}')"
other=$(awk '$2 != 0 && $2 != 75' "$T_TMP/attempts")
if [ -z "$other" ]; then
	ok "every exit code is 0 or 75"
else
	first=$(echo "$other" | head -n 1 | awk '{print $1}')
	not_ok "every exit code is 0 or 75" "$(echo "$other" | wc -l) attempts (message exit):" \
		"$(echo "$other" | head -n 10)" "stderr of message $first: $(head -c 300 "$T_TMP/fail.$first" 2>/dev/null)"
fi
succeeded=$(awk '$2 == 0 {print $1}' "$T_TMP/attempts" | sort -u | wc -l)
expect_eq "every message was eventually accepted (75 retried until 0)" "$succeeded" "$COUNT"
if cat "$T_TMP"/gaveup.* >/dev/null 2>&1; then
	not_ok "no delivery stayed at 75 for 40 tries" "$(cat "$T_TMP"/gaveup.* | wc -l) gave up"
else
	ok "no delivery stayed at 75 for 40 tries"
fi
if cat "$T_TMP"/silent.* >/dev/null 2>&1; then
	not_ok "every 75 says why on stderr" "$(cat "$T_TMP"/silent.* | wc -l) silent"
else
	ok "every 75 says why on stderr"
fi

if "$ROUNDS" message list care --json >"$T_TMP/list.json" 2>"$T_TMP/err"; then
	res=$(python3 - "$T_TMP/list.json" "$COUNT" <<'PY'
import json, sys, collections
rows = json.load(open(sys.argv[1]))
count = int(sys.argv[2])
ids = [r["message_id"] for r in rows]
want = {"conc-%05d.%d@example.org" % (i, i % 100) for i in range(count)}
c = collections.Counter(ids)
print("rows=%d distinct=%d duplicates=%d missing=%d unexpected=%d" % (
    len(ids), len(c), sum(n - 1 for n in c.values()), len(want - set(c)), len(set(c) - want)))
threads = collections.defaultdict(set)
for r in rows:
    conv = int(r["message_id"].split(".")[1].split("@")[0])
    threads[conv].add(r["thread_id"])
split = sorted(k for k, v in threads.items() if len(v) != 1 or None in v)
owners = collections.Counter(next(iter(v)) for v in threads.values() if len(v) == 1)
merged = sorted(t for t, n in owners.items() if n > 1)
print("split=%s merged=%s" % (split[:10], merged[:10]))
PY
)
	counts=$(echo "$res" | head -n 1)
	expect_eq "message list has each message exactly once" "$counts" \
		"rows=$COUNT distinct=$COUNT duplicates=0 missing=0 unexpected=0"
	expect_eq "each conversation is exactly one thread" "$(echo "$res" | tail -n 1)" "split=[] merged=[]"
else
	not_ok "message list --json after the writers" "$(head -c 300 "$T_TMP/err")"
fi
t_done
