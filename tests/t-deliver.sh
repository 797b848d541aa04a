#!/bin/bash
# tests/t-deliver.sh - exit codes and the JSON contract of `rounds deliver`,
# through the real binary, as Postfix's pipe(8) would run it.

. tests/lib.sh

D=lists.example.test
t_home
"$ROUNDS" community create care --title "Wound care" --policy open >/dev/null
"$ROUNDS" community create clinic --title "Clinic staff" --policy members >/dev/null
"$ROUNDS" community create news --title "Ward news" --policy announce --owner maria.alvarez@example.org >/dev/null
"$ROUNDS" member add clinic priya.nair@example.org --name "Priya Nair" >/dev/null
"$ROUNDS" member add news dev.ramanathan@example.com --role poster >/dev/null
"$ROUNDS" member add news tom.becker@example.org --role member >/dev/null

# mail FILE FROM MESSAGE-ID SUBJECT [EXTRA-HEADER...]: write a plain
# message; MESSAGE-ID "-" leaves the header out.  Body from stdin if given
# with BODY=..., else a short clinical note.
mail() {
	local file=$1 from=$2 mid=$3 subject=$4
	shift 4
	{
		echo "From: $from"
		echo "To: care@$D"
		echo "Date: Tue, 11 Jun 2024 09:30:00 +0100"
		[ "$mid" = - ] || echo "Message-ID: <$mid>"
		echo "Subject: $subject"
		for h in "$@"; do echo "$h"; done
		echo "MIME-Version: 1.0"
		echo "Content-Type: text/plain; charset=utf-8"
		echo
		printf '%s\n' "${BODY:-The wound on the left heel is smaller today; foam dressing changed.}"
	} >"$T_TMP/$file"
}

# rows COMMUNITY: number of stored messages (all statuses).
rows() { "$ROUNDS" message list "$1" --json | json 'len(d)'; }
# field COMMUNITY MESSAGE-ID EXPR: evaluate EXPR on `message show --json`.
field() { "$ROUNDS" message show "$1" "$2" --json | json "$3"; }
# one_sentence NAME: the last command's stderr ($T_TMP/err) is one line.
one_sentence() {
	local n
	n=$(grep -c . "$T_TMP/err")
	if [ "$n" = 1 ]; then ok "$1"; else not_ok "$1" "stderr has $n lines:" "$(head -c 400 "$T_TMP/err")"; fi
}

# --- routing and usage ---------------------------------------------------
mail first.eml "Maria Alvarez <maria.alvarez@example.org>" first.1@example.org "Heel offloading boots"
expect_code 0 "deliver to an open community" deliver "care@$D" "$T_TMP/first.eml"
expect_code 67 "unknown community exits 67" deliver "nosuch@$D" "$T_TMP/first.eml"
one_sentence "67 explains itself in one line on stderr"
expect_code 67 "a community name at another domain exits 67" deliver "care@other.example.net" "$T_TMP/first.eml"
expect_code 64 "deliver without --recipient exits 64" "$ROUNDS" deliver --sender a@example.org
if grep -q '^rounds deliver: ' "$T_TMP/err"; then
	ok "usage error starts with 'rounds deliver: '"
else
	not_ok "usage error starts with 'rounds deliver: '" "$(head -c 300 "$T_TMP/err")"
fi
expect_code 64 "deliver with an unknown option exits 64" "$ROUNDS" deliver --recipient "care@$D" --frobnicate
expect_code 0 "deliver --help exits 0" "$ROUNDS" deliver --help
expect_code 0 "care+request@ takes commands (exit 0)" deliver "care+request@$D" "$T_TMP/first.eml"
mail upper.eml "Maria Alvarez <maria.alvarez@example.org>" upper.1@example.org "Offloading boots, sizes"
expect_code 0 "recipient address in upper case reaches care" deliver "Care@LISTS.Example.Test" "$T_TMP/upper.eml"

# --- the JSON contract ----------------------------------------------------
"$ROUNDS" message list care --json >"$T_TMP/list.json"
res=$(python3 - "$T_TMP/list.json" <<'PY'
import json, sys
rows = json.load(open(sys.argv[1]))
r = [x for x in rows if x["message_id"] == "first.1@example.org"]
want = {"message_id": str, "thread_id": int, "parent_message_id": type(None), "from": str,
        "subject": str, "date": str, "status": str}
out = []
if len(r) != 1:
    out.append("first.1@example.org listed %d times" % len(r))
else:
    for k, t in want.items():
        if not isinstance(r[0].get(k), t):
            out.append("%s is %r" % (k, r[0].get(k)))
    if r[0]["from"] != "maria.alvarez@example.org": out.append("from %r" % r[0]["from"])
    if r[0]["date"] != "2024-06-11T09:30:00+01:00": out.append("date %r" % r[0]["date"])
    if r[0]["status"] != "posted": out.append("status %r" % r[0]["status"])
print("; ".join(out) or "ok")
PY
)
expect_eq "message list --json has the contract's fields and types" "$res" ok
expect_eq "message show: from_name" "$(field care first.1@example.org 'd["from_name"]')" "Maria Alvarez"
expect_eq "message show: body" "$(field care first.1@example.org 'd["body"].strip()')" \
	"The wound on the left heel is smaller today; foam dressing changed."
expect_eq "message show: no attachments is []" "$(field care first.1@example.org 'd["attachments"]')" "[]"
expect_code 66 "message show of an unknown id exits 66" "$ROUNDS" message show care no.such@example.org --json

# --- duplicates --------------------------------------------------------------
n=$(rows care)
BODY="A different body under the same Message-ID." mail dup.eml "Maria Alvarez <maria.alvarez@example.org>" first.1@example.org "Changed subject"
expect_code 0 "a duplicate Message-ID exits 0" deliver "care@$D" "$T_TMP/dup.eml"
expect_eq "a duplicate Message-ID adds no row" "$(rows care)" "$n"
expect_eq "a duplicate Message-ID changes nothing" "$(field care first.1@example.org 'd["subject"]')" "Heel offloading boots"
expect_code 0 "the same file delivered twice exits 0" deliver "care@$D" "$T_TMP/first.eml"
expect_eq "the same file delivered twice is stored once" "$(rows care)" "$n"

mail noid.eml "Grace Mensah <grace.mensah@example.org>" - "Night-time pressure relief"
expect_code 0 "a message without Message-ID is accepted" deliver "care@$D" "$T_TMP/noid.eml"
expect_code 0 "the same message without Message-ID again exits 0" deliver "care@$D" "$T_TMP/noid.eml"
expect_eq "a message without Message-ID delivered twice is stored once" "$(rows care)" "$((n + 1))"
id1=$("$ROUNDS" message list care --json | json '[m["message_id"] for m in d if m["subject"] == "Night-time pressure relief"][0]')
# The derived id depends on the bytes, not on the installation or the time.
home1=$ROUNDS_HOME
t_home
"$ROUNDS" community create care --policy open >/dev/null
deliver "care@$D" "$T_TMP/noid.eml" 2>/dev/null
id2=$("$ROUNDS" message list care --json | json 'd[0]["message_id"]')
expect_eq "the derived Message-ID is deterministic" "$id2" "$id1"
ROUNDS_HOME=$home1
case "$id1" in *'<'* | *'>'* | '') not_ok "the derived Message-ID has no angle brackets" "$id1" ;; *) ok "the derived Message-ID has no angle brackets" ;; esac

# --- dates -----------------------------------------------------------------------
{
	echo "From: Olu Adeyemi <olu.adeyemi@example.com>"
	echo "To: care@$D"
	echo "Message-ID: <nodate.1@example.com>"
	echo "Subject: Compression hosiery fitting"
	echo
	echo "Who measures for class 2 stockings on your ward?"
} >"$T_TMP/nodate.eml"
expect_code 0 "a message without Date: is accepted" deliver "care@$D" "$T_TMP/nodate.eml"
d=$(field care nodate.1@example.com 'd["date"]')
age=$(python3 -c 'import sys, datetime; print(abs(int((datetime.datetime.now(datetime.timezone.utc) - datetime.datetime.fromisoformat(sys.argv[1].replace("Z", "+00:00"))).total_seconds())))' "$d" 2>/dev/null)
if [ -n "$age" ] && [ "$age" -lt 300 ]; then ok "missing Date: gives the arrival time ($d)"; else not_ok "missing Date: gives the arrival time" "date $d, ${age:-?} s from now"; fi

# --- policies ----------------------------------------------------------------------
mail m1.eml "Priya Nair <priya.nair@example.org>" m1@example.org "Clinic rota for July"
expect_code 0 "members: a member's post exits 0" deliver "clinic@$D" "$T_TMP/m1.eml" priya.nair@example.org
expect_eq "members: a member's post is posted" "$(field clinic m1@example.org 'd["status"]')" posted
mail m2.eml "Alex Visitor <visitor@example.com>" m2@example.com "Can I join the clinic list?"
expect_code 0 "members: a non-member's post exits 0" deliver "clinic@$D" "$T_TMP/m2.eml" visitor@example.com
expect_eq "members: a non-member's post is held" "$(field clinic m2@example.com 'd["status"]')" held
expect_eq "a held message has thread_id null" "$(field clinic m2@example.com 'd["thread_id"]')" None
expect_eq "a held message is in message list with thread_id null" \
	"$("$ROUNDS" message list clinic --json | json '[m["thread_id"] for m in d if m["message_id"] == "m2@example.com"]')" "[None]"
"$ROUNDS" thread list clinic --json >"$T_TMP/threads.json"
expect_eq "a held message makes no thread" "$(json 'sum(t["message_count"] for t in d)' <"$T_TMP/threads.json")" 1

mail a1.eml "Maria Alvarez <maria.alvarez@example.org>" a1@example.org "Ward 6 reopens on Monday"
mail a2.eml "Dev Ramanathan <dev.ramanathan@example.com>" a2@example.com "New dressing formulary"
mail a3.eml "Tom Becker <tom.becker@example.org>" a3@example.org "Thank you to the night team"
mail a4.eml "Alex Visitor <visitor@example.com>" a4@example.com "Visiting hours?"
expect_code 0 "announce: the owner's post exits 0" deliver "news@$D" "$T_TMP/a1.eml" maria.alvarez@example.org
expect_eq "announce: the owner's post is posted" "$(field news a1@example.org 'd["status"]')" posted
expect_code 0 "announce: a poster's post exits 0" deliver "news@$D" "$T_TMP/a2.eml" dev.ramanathan@example.com
expect_eq "announce: a poster's post is posted" "$(field news a2@example.com 'd["status"]')" posted
expect_code 0 "announce: a plain member's post exits 0" deliver "news@$D" "$T_TMP/a3.eml" tom.becker@example.org
expect_eq "announce: a plain member's post is held" "$(field news a3@example.org 'd["status"]')" held
expect_code 0 "announce: a non-member's post exits 0" deliver "news@$D" "$T_TMP/a4.eml" visitor@example.com
expect_eq "announce: a non-member's post is held" "$(field news a4@example.com 'd["status"]')" held
mail o1.eml "Alex Visitor <visitor@example.com>" o1@example.com "Question from a new carer"
expect_code 0 "open: a stranger's post exits 0" deliver "care@$D" "$T_TMP/o1.eml" visitor@example.com
expect_eq "open: a stranger's post is posted" "$(field care o1@example.com 'd["status"]')" posted

# --- loops and automatic mail ------------------------------------------------------------
n=$(rows care)
mail loop1.eml "Maria Alvarez <maria.alvarez@example.org>" loop1@example.org "Heel offloading boots" "X-Loop: care@$D"
expect_code 0 "our own X-Loop exits 0" deliver "care@$D" "$T_TMP/loop1.eml"
mail loop2.eml "Maria Alvarez <maria.alvarez@example.org>" loop2@example.org "[care] Heel offloading boots" \
	"List-Id: Wound care <care.$D>" "Precedence: list"
expect_code 0 "our own List-Id exits 0" deliver "care@$D" "$T_TMP/loop2.eml"
posted=$("$ROUNDS" message list care --json | json '[m["message_id"] for m in d if m["message_id"] in ("loop1@example.org", "loop2@example.org") and m["status"] == "posted"]')
expect_eq "mail with our own X-Loop or List-Id is not posted" "$posted" "[]"
mail loop3.eml "Priya Nair <priya.nair@example.org>" loop3@example.org "Fwd: clinic rota" "X-Loop: clinic@$D" \
	"List-Id: Clinic staff <clinic.$D>"
expect_code 0 "another community's X-Loop/List-Id exits 0" deliver "care@$D" "$T_TMP/loop3.eml"
expect_eq "another community's X-Loop/List-Id is posted here" "$(field care loop3@example.org 'd["status"]')" posted

mail auto1.eml "Samuel Ortiz <samuel.ortiz@example.net>" auto1@example.net "Automatic reply: Heel offloading boots" \
	"Auto-Submitted: auto-replied"
expect_code 0 "Auto-Submitted: auto-replied exits 0" deliver "care@$D" "$T_TMP/auto1.eml" ""
expect_eq "Auto-Submitted: auto-replied is held" "$(field care auto1@example.net 'd["status"]')" held
mail auto2.eml "Ward 6 Rota <rota@example.org>" auto2@example.org "Rota published" "Auto-Submitted: auto-generated"
expect_code 0 "Auto-Submitted: auto-generated exits 0" deliver "care@$D" "$T_TMP/auto2.eml"
expect_eq "Auto-Submitted: auto-generated is held" "$(field care auto2@example.org 'd["status"]')" held
mail auto3.eml "Samuel Ortiz <samuel.ortiz@example.net>" auto3@example.net "Heel boots: my notes" "Auto-Submitted: no"
expect_code 0 "Auto-Submitted: no exits 0" deliver "care@$D" "$T_TMP/auto3.eml"
expect_eq "Auto-Submitted: no is posted" "$(field care auto3@example.net 'd["status"]')" posted
mail bulk1.eml "Wound Care Supplies <newsletter@news.example.com>" bulk1@news.example.com "June offers" "Precedence: bulk"
expect_code 0 "Precedence: bulk exits 0" deliver "care@$D" "$T_TMP/bulk1.eml"
expect_eq "Precedence: bulk is held" "$(field care bulk1@news.example.com 'd["status"]')" held
mail bulk2.eml "Wound Care Supplies <newsletter@news.example.com>" bulk2@news.example.com "July offers" "Precedence: junk"
expect_code 0 "Precedence: junk exits 0" deliver "care@$D" "$T_TMP/bulk2.eml"
expect_eq "Precedence: junk is held" "$(field care bulk2@news.example.com 'd["status"]')" held

# --- threading basics ------------------------------------------------------------------------
mail r1.eml "Dev Ramanathan <dev.ramanathan@example.com>" r1@example.com "Re: Heel offloading boots" \
	"In-Reply-To: <first.1@example.org>" "References: <first.1@example.org>"
expect_code 0 "a reply exits 0" deliver "care@$D" "$T_TMP/r1.eml"
expect_eq "a reply's parent_message_id is the original" "$(field care r1@example.com 'd["parent_message_id"]')" first.1@example.org
expect_eq "a reply shares the original's thread" "$(field care r1@example.com 'd["thread_id"]')" \
	"$(field care first.1@example.org 'd["thread_id"]')"
tid=$(field care first.1@example.org 'd["thread_id"]')
"$ROUNDS" thread show "$tid" --json >"$T_TMP/thread.json" 2>"$T_TMP/err"
# The contract names the community; a name or its full address both do.
expect_eq "thread show lists the thread's messages" \
	"$(json '(d["thread_id"], d["community"] in ("care", "care@lists.example.test"), sorted(m["message_id"] for m in d["messages"]))' <"$T_TMP/thread.json" 2>&1)" \
	"($tid, True, ['first.1@example.org', 'r1@example.com'])"

# --- bad input ---------------------------------------------------------------------------------
n=$(rows care)
: >"$T_TMP/empty.eml"
expect_code 65 "an empty message exits 65" deliver "care@$D" "$T_TMP/empty.eml"
one_sentence "65 explains itself in one line on stderr"
printf '\n\n\n' >"$T_TMP/blank.eml"
expect_code 65 "a message of blank lines exits 65" deliver "care@$D" "$T_TMP/blank.eml"
head -c 4096 /dev/urandom >"$T_TMP/noise.eml"
"$ROUNDS" deliver --recipient "care@$D" --sender a@example.org <"$T_TMP/noise.eml" >/dev/null 2>"$T_TMP/err"
code=$?
case $code in 0 | 65) ok "random bytes exit 0 or 65 (got $code)" ;; *) not_ok "random bytes exit 0 or 65" "exit $code" "$(head -c 300 "$T_TMP/err")" ;; esac

python3 - "$T_TMP/big.eml" <<'PY'
import sys
with open(sys.argv[1], "w") as f:
    f.write("From: Priya Nair <priya.nair@example.org>\nTo: care@lists.example.test\n"
            "Message-ID: <big.1@example.org>\nSubject: Full observation export\n\n")
    line = "08:00 temp 36.9 pulse 74 BP 128/80 dressing intact, no strike-through\n"
    f.write(line * (21 * 1024 * 1024 // len(line) + 1))
PY
expect_code 65 "a 21 MiB message exits 65" deliver "care@$D" "$T_TMP/big.eml"
one_sentence "the size refusal explains itself in one line"
expect_eq "refused messages add no rows" "$(rows care)" "$n"

# A smaller limit from rounds.conf is honoured.
printf '\n[deliver]\nmax-message-size = 2000\n' >>"$ROUNDS_HOME/rounds.conf"
BODY=$(python3 -c 'print("Dressing changed, wound clean. " * 80)') mail over.eml "Priya Nair <priya.nair@example.org>" over.1@example.org "Long note"
mail under.eml "Priya Nair <priya.nair@example.org>" under.1@example.org "Short note"
expect_code 65 "max-message-size = 2000: a 2.6 kB message exits 65" deliver "care@$D" "$T_TMP/over.eml"
expect_code 0 "max-message-size = 2000: a short message exits 0" deliver "care@$D" "$T_TMP/under.eml"
# The lean front (issue 13): a delivery loads only what it needs.  The
# loader's own log names every library it maps; GMime must be among them
# (else the log is not working and the check below proves nothing).
mail lean.eml "Priya Nair <priya.nair@example.org>" lean.1@example.org "Lean start"
LD_DEBUG=libs deliver "care@$D" "$T_TMP/lean.eml" 2>"$T_TMP/ld.log" >/dev/null
if ! grep -q 'calling init: .*libgmime' "$T_TMP/ld.log"; then
	not_ok "LD_DEBUG=libs shows what deliver loads" "$(grep -c . "$T_TMP/ld.log") lines, no libgmime"
elif grep -E 'calling init: .*(libetpan|libesmtp|libcairo|libdb-|libsasl2)' "$T_TMP/ld.log" >"$T_TMP/heavy"; then
	not_ok "deliver loads no libetpan, libesmtp, cairo, BDB or SASL" "$(head -3 "$T_TMP/heavy")"
else
	ok "deliver loads no libetpan, libesmtp, cairo, BDB or SASL"
fi
# libxml2 (with ICU) is loaded only for HTML mail, and then does its job.
if grep -q 'calling init: .*libxml2' "$T_TMP/ld.log"; then
	not_ok "a plain-text delivery does not load libxml2" "$(grep -m1 libxml2 "$T_TMP/ld.log")"
else
	ok "a plain-text delivery does not load libxml2"
fi
mail html.eml "Priya Nair <priya.nair@example.org>" html.1@example.org "HTML only"
sed -i 's|^Content-Type: text/plain.*|Content-Type: text/html; charset=utf-8|' "$T_TMP/html.eml"
printf '<html><body><p>Heel <b>dressing</b> changed.</p></body></html>\n' >>"$T_TMP/html.eml"
LD_DEBUG=libs deliver "care@$D" "$T_TMP/html.eml" 2>"$T_TMP/ld.log" >/dev/null
expect_eq "an HTML-only delivery loads libxml2" \
	"$(grep -c 'calling init: .*libxml2' "$T_TMP/ld.log")" 1
expect_eq "and stores its text" "$(field care html.1@example.org '"Heel dressing changed." in d["body"]')" True

# A post is parsed a second time for its tokens only when its raw bytes
# could hold one: a token in plain text, or one that quoted-printable
# splits with a soft line break, is taken out either way.
TOK=abcdefghijklmnopqrstuvwxyz234567
BODY="Write to care+r-$TOK@$D today." mail tok1.eml "Priya Nair <priya.nair@example.org>" tok.1@example.org "Token plain"
mail tok2.eml "Priya Nair <priya.nair@example.org>" tok.2@example.org "Token QP"
sed -i -e 's|^Content-Type: text/plain.*|&\nContent-Transfer-Encoding: quoted-printable|' \
	-e "s|^The wound.*|Write to care+r-$TOK@lists.exam=\nple.test today.|" "$T_TMP/tok2.eml"
deliver "care@$D" "$T_TMP/tok1.eml" >/dev/null 2>&1
deliver "care@$D" "$T_TMP/tok2.eml" >/dev/null 2>&1
for n in 1 2; do
	"$ROUNDS" message show care tok.$n@example.org --raw >"$T_TMP/tok.raw" 2>&1
	"$ROUNDS" message show care tok.$n@example.org --json >>"$T_TMP/tok.raw" 2>&1
	if ! grep -q 'address removed' "$T_TMP/tok.raw"; then
		not_ok "token post $n: stored with the token taken out" "$(head -c 600 "$T_TMP/tok.raw")"
	elif grep -q "$TOK" "$T_TMP/tok.raw"; then
		not_ok "token post $n: stored with the token taken out" "$(grep -m2 "$TOK" "$T_TMP/tok.raw")"
	else
		ok "token post $n: stored with the token taken out"
	fi
done

# The WAL stays between processes: a delivery's pages wait in it, and the
# scheduler's pass copies them into the database file.
BODY=$(python3 -c 'print("Dressing changed, wound clean, exudate low.\n" * 400)') \
	mail wal.eml "Priya Nair <priya.nair@example.org>" wal.1@example.org "WAL kept"
sed -i '/^max-message-size/d' "$ROUNDS_HOME/rounds.conf"
db_before=$(stat -c %s "$ROUNDS_HOME/rounds.db")
expect_code 0 "a 17 kB message is delivered" deliver "care@$D" "$T_TMP/wal.eml"
if [ -s "$ROUNDS_HOME/rounds.db-wal" ] && [ "$(stat -c %s "$ROUNDS_HOME/rounds.db")" -eq "$db_before" ]; then
	ok "the delivery's pages stay in the WAL after the process exits"
else
	not_ok "the delivery's pages stay in the WAL after the process exits" \
		"wal $(stat -c %s "$ROUNDS_HOME/rounds.db-wal" 2>&1), db $db_before -> $(stat -c %s "$ROUNDS_HOME/rounds.db")"
fi
"$ROUNDS" tick --no-send --quiet
if [ "$(stat -c %s "$ROUNDS_HOME/rounds.db")" -gt "$db_before" ]; then
	ok "rounds tick checkpoints the WAL into the database"
else
	not_ok "rounds tick checkpoints the WAL into the database" "db stayed $db_before bytes"
fi
t_done
