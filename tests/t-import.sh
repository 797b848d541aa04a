#!/bin/bash
# t-import.sh - rounds import: mboxo, mboxrd, Maildir and single files,
# re-import, unparseable messages, a locked database, the progress bar and
# memory on a large archive, and a kill -9 in the middle of a batched import.
. tests/lib.sh

D=tests/import
t_home
"$ROUNDS" community create wound-care --title "Wound care" --owner owner@example.org >/dev/null
# Imports bypass the posting policy: none of the authors is a member.
cp -r "$D/maildir" "$T_TMP/maildir"
mkdir -p "$T_TMP/maildir/tmp"

expect_code 0 "import four paths of three kinds" \
	"$ROUNDS" import wound-care "$D/mboxo.mbox" "$D/mboxrd.mbox" "$T_TMP/maildir" "$D/single.eml"
expect_eq "summary line" "$(cat "$T_TMP/out")" \
	"imported 8 messages (8 new, 0 duplicates, 0 errors) from 4 paths"
expect_eq "the imported Maildir is left as it was (no maildirfolder marker)" \
	"$(ls -A "$T_TMP/maildir" | tr '\n' ' ')" "cur new tmp "

"$ROUNDS" message list wound-care --json >"$T_TMP/list1"
expect_eq "all eight stored" "$(json 'len(d)' <"$T_TMP/list1")" 8
expect_eq "posted despite the members policy" \
	"$(json '",".join(sorted(set(m["status"] for m in d)))' <"$T_TMP/list1")" "posted"
expect_eq "threaded like delivered mail: three threads" \
	"$(json 'len(set(m["thread_id"] for m in d))' <"$T_TMP/list1")" 3
expect_eq "maildir reply threaded under the single file" \
	"$(json '[m["parent_message_id"] for m in d if m["message_id"].startswith("87a5k2m1bz")][0]' <"$T_TMP/list1")" \
	"f81c2e3a-0b5d-4c8e-a6a1-3e9d7c44b210@caritas-pflege.example.de"
expect_eq "no libetpan UID header written into the mbox" "$(grep -c X-LibEtPan "$D/mboxo.mbox")" 0

# mboxrd: one '>' comes off every ^>+From line, nothing else changes.
"$ROUNDS" message show wound-care CAJp7Lw0q1e@mail.riverside-hospital.example.org --raw >"$T_TMP/rd"
expect_eq "mboxrd >From unquoted" "$(grep -c '^From the ethics committee' "$T_TMP/rd")" 1
expect_eq "mboxrd >>From keeps one >" "$(grep -c "^>From a colleague's email" "$T_TMP/rd")" 1
expect_eq "mboxrd >>>From keeps two" "$(grep -c '^>>From three levels deep' "$T_TMP/rd")" 1
expect_eq "From- line untouched" "$(grep -c '^From-the-start lines' "$T_TMP/rd")" 1
expect_eq "no mbox From_ line in the stored message" "$(head -1 "$T_TMP/rd")" \
	"From: Priya Nair <priya.n@riverside-hospital.example.org>"
"$ROUNDS" message show wound-care CAF3k9q2x7@mail.stlukes-clinic.example.org --raw >"$T_TMP/o"
expect_eq "mboxo >From unquoted" "$(grep -c '^From what I have read' "$T_TMP/o")" 1
expect_eq "mboxo message ends where the next begins" "$(tail -1 "$T_TMP/o")" "St Luke's Clinic"
"$ROUNDS" message show wound-care AM6PR02MB4423.eurprd02.prod.outlook.example@stvincents.example.ie --json >"$T_TMP/s"
expect_eq "last mbox message intact" "$(json 'd["from_name"]' <"$T_TMP/s")" "Siobhán O'Connor"

expect_code 0 "re-import succeeds" \
	"$ROUNDS" import wound-care "$D/mboxo.mbox" "$D/mboxrd.mbox" "$T_TMP/maildir" "$D/single.eml"
expect_eq "re-import: all duplicates" "$(cat "$T_TMP/out")" \
	"imported 8 messages (0 new, 8 duplicates, 0 errors) from 4 paths"
"$ROUNDS" message list wound-care --json >"$T_TMP/list2"
if cmp -s "$T_TMP/list1" "$T_TMP/list2"; then ok "re-import changes nothing"; else not_ok "re-import changes nothing" "$(diff "$T_TMP/list1" "$T_TMP/list2" | head -5)"; fi

# A message without any of From, Subject, Message-ID or Date is not mail:
# an error, and the rest still goes in.
{
	printf 'From nobody Thu Mar  5 10:00:00 2026\nX-Spool-Note: truncated by a disk fault\n\n'
	printf 'ter the dressing change the skin was\n\n'
	printf 'From carer@family.example.com Thu Mar  5 10:05:00 2026\n'
	printf 'From: Sam Carer <carer@family.example.com>\nTo: wound-care@lists.example.test\n'
	printf 'Subject: Dressing change went well\nDate: Thu, 5 Mar 2026 10:05:00 +0000\n'
	printf 'Message-ID: <dressing-ok.1@family.example.com>\n\nMum was comfortable today.\n\n'
} >"$T_TMP/bad.mbox"
expect_code 65 "unparseable message: exit 65" "$ROUNDS" import wound-care "$T_TMP/bad.mbox"
expect_eq "unparseable: counted, the rest imported" "$(cat "$T_TMP/out")" \
	"imported 2 messages (1 new, 0 duplicates, 1 errors) from 1 paths"
"$ROUNDS" message show wound-care dressing-ok.1@family.example.com --json >/dev/null 2>&1 &&
	ok "good message after a bad one stored" || not_ok "good message after a bad one stored"

# Usage and missing things.
expect_code 64 "no arguments: 64" "$ROUNDS" import
expect_code 64 "no PATH: 64" "$ROUNDS" import wound-care
expect_code 0 "--help" "$ROUNDS" import --help
expect_code 66 "missing path: 66" "$ROUNDS" import wound-care "$T_TMP/nonexistent.mbox"
expect_code 66 "unknown community: 66" "$ROUNDS" import no-such-list "$D/single.eml"
expect_code 65 "a device is not an archive" "$ROUNDS" import wound-care /dev/null
: >"$T_TMP/empty.mbox"
expect_code 0 "empty file is an empty mbox" "$ROUNDS" import wound-care "$T_TMP/empty.mbox"
expect_eq "empty mbox summary" "$(cat "$T_TMP/out")" \
	"imported 0 messages (0 new, 0 duplicates, 0 errors) from 1 paths"

# Any directory (issue 15): a Maildir with only cur/, an MH folder, a tree
# of exported message files with an mbox among them; dot-files skipped.
# Each in a fresh community, so every message is new.
mkmsg() { # FILE ID SUBJECT
	printf 'From: Ana Ruiz <ana@clinic.example.org>\nTo: wound-care@lists.example.test\nSubject: %s\n' "$3" >"$1"
	printf 'Date: Tue, 10 Mar 2026 09:00:00 +0000\nMessage-ID: <%s@clinic.example.org>\n\nText of %s.\n' "$2" "$2" >>"$1"
}
"$ROUNDS" community create dirs >/dev/null
mkdir -p "$T_TMP/curonly/cur"
cp "$D/maildir/cur/"* "$D/maildir/new/"* "$T_TMP/curonly/cur/"
expect_code 0 "a Maildir with only cur/" "$ROUNDS" import dirs "$T_TMP/curonly"
expect_eq "... both messages" "$(cat "$T_TMP/out")" "imported 2 messages (2 new, 0 duplicates, 0 errors) from 1 paths"
mkdir -p "$T_TMP/mh"
for n in 1 2 10; do mkmsg "$T_TMP/mh/$n" "mh-$n" "MH message $n"; done
printf 'unseen: 1-2\n' >"$T_TMP/mh/.mh_sequences"
expect_code 0 "an MH folder" "$ROUNDS" import dirs "$T_TMP/mh"
expect_eq "... three messages, .mh_sequences skipped" "$(cat "$T_TMP/out")" "imported 3 messages (3 new, 0 duplicates, 0 errors) from 1 paths"
mkdir -p "$T_TMP/export/2026/March" "$T_TMP/export/.thumbnails"
mkmsg "$T_TMP/export/first.eml" exp-1 "Exported one"
mkmsg "$T_TMP/export/2026/March/second.eml" exp-2 "Exported two"
printf 'not a message at all\n' >"$T_TMP/export/.thumbnails/x.db"
printf 'junk\n' >"$T_TMP/export/.DS_Store"
cp "$D/mboxrd.mbox" "$T_TMP/export/2026/old.mbox"
ln -s .. "$T_TMP/export/2026/loop"
n_mbox=$(grep -c '^From ' "$D/mboxrd.mbox")
expect_code 0 "a tree of message files and an mbox" "$ROUNDS" import dirs "$T_TMP/export"
expect_eq "... every message, recursively, dot-files skipped" "$(cat "$T_TMP/out")" \
	"imported $((2 + n_mbox)) messages ($((2 + n_mbox)) new, 0 duplicates, 0 errors) from 1 paths"
expect_eq "... stored in the community" "$("$ROUNDS" message list dirs --json | json 'sorted(m["message_id"] for m in d if m["message_id"].startswith(("exp-", "mh-")))')" \
	"['exp-1@clinic.example.org', 'exp-2@clinic.example.org', 'mh-10@clinic.example.org', 'mh-1@clinic.example.org', 'mh-2@clinic.example.org']"
mkdir -p "$T_TMP/emptydir/.hidden"
: >"$T_TMP/emptydir/.hidden/1"
expect_code 66 "a directory with nothing to import: 66" "$ROUNDS" import dirs "$T_TMP/emptydir"
if grep -q "nothing to import" "$T_TMP/err"; then ok "... with the reason"; else not_ok "... with the reason" "$(cat "$T_TMP/err")"; fi
expect_eq "... and no 'imported 0 messages' line" "$(cat "$T_TMP/out")" ""
mkdir -p "$T_TMP/emptymd/cur" "$T_TMP/emptymd/new"
expect_code 66 "an empty Maildir: 66" "$ROUNDS" import dirs "$T_TMP/emptymd"

# A database locked by another writer past the timeout: 75, and a rerun
# picks up everything.
N=${IMPORT_BIG:-20000}
python3 - "$T_TMP/big.mbox" "$N" <<'PY'
import sys
out = open(sys.argv[1], "w")
n = int(sys.argv[2])
names = ["Maria Gonzalez", "Ahmed Khan", "Jo Bennett", "Priya Nair", "Tom Harris", "Lena Fischer"]
for i in range(n):
    who = names[i % len(names)]
    addr = who.lower().replace(" ", ".") + "@clinic%d.example.org" % (i % 37)
    root = i - i % 5
    subj = "Case review %d: dressing for a sacral pressure injury" % root
    out.write("From %s Mon Mar  2 08:%02d:%02d 2026\n" % (addr, i // 60 % 60, i % 60))
    out.write("From: %s <%s>\nTo: wound-care@lists.example.test\n" % (who, addr))
    out.write("Subject: %s%s\n" % ("" if i == root else "Re: ", subj))
    out.write("Date: Mon, %d Mar 2026 %02d:%02d:%02d +0000\n" % (1 + i // 86400 % 27, i // 3600 % 24, i // 60 % 60, i % 60))
    out.write("Message-ID: <case-%d.%d@clinic%d.example.org>\n" % (root, i, i % 37))
    if i != root:
        ref = "<case-%d.%d@clinic%d.example.org>" % (root, root, root % 37)
        out.write("In-Reply-To: %s\nReferences: %s\n" % (ref, ref))
    out.write("MIME-Version: 1.0\nContent-Type: text/plain; charset=utf-8\n\n")
    out.write("Message %d of the archive.\n\nWe changed to a foam dressing on day 3 and the\n" % i)
    out.write("exudate settled.\n>From the notes: turned every two hours, skin intact.\n\nRegards,\n%s\n\n" % who)
PY
t_home
"$ROUNDS" community create wound-care >/dev/null
printf '[rounds]\nbusy-timeout-ms = 200\n' >>"$ROUNDS_HOME/rounds.conf"
python3 - "$ROUNDS_HOME/rounds.db" "$T_TMP/locked" <<'PY' &
import sqlite3, sys, time, os
c = sqlite3.connect(sys.argv[1], isolation_level=None)
c.execute("BEGIN IMMEDIATE")
open(sys.argv[2], "w").close()
time.sleep(3)
c.execute("ROLLBACK")
PY
locker=$!
while [ ! -e "$T_TMP/locked" ]; do sleep 0.1; done
expect_code 75 "database locked past the timeout: 75" "$ROUNDS" import wound-care "$D/single.eml"
wait $locker
expect_code 0 "rerun after the lock" "$ROUNDS" import wound-care "$D/single.eml"

# Bounded memory: the whole archive is never held.  ASan's quarantine
# would count freed memory as resident, so keep it small for this run.
rss_kb() { # CMD...: run it, print its peak RSS in kB on fd 3
	if [ -x /usr/bin/time ]; then
		/usr/bin/time -f '%M' -o "$T_TMP/rss" "$@"
		rc=$?
		echo "$(tail -1 "$T_TMP/rss")" >&3
	else
		"$@" &
		p=$!
		m=0
		while kill -0 $p 2>/dev/null; do
			v=$(awk '/VmHWM/ {print $2}' /proc/$p/status 2>/dev/null)
			[ -n "$v" ] && m=$v
			sleep 0.2
		done
		wait $p
		rc=$?
		echo "$m" >&3
	fi
	return $rc
}
start=$(date +%s)
ASAN_OPTIONS="$ASAN_OPTIONS:quarantine_size_mb=4" rss_kb "$ROUNDS" import wound-care "$T_TMP/big.mbox" \
	>"$T_TMP/out" 2>"$T_TMP/err" 3>"$T_TMP/kb"
rc=$?
secs=$(($(date +%s) - start))
expect_eq "large mbox imports" "$rc $(cat "$T_TMP/out")" \
	"0 imported $N messages ($N new, 0 duplicates, 0 errors) from 1 paths"
kb=$(cat "$T_TMP/kb")
mb=$(( $(stat -c %s "$T_TMP/big.mbox") / 1048576 ))
echo "# $N messages ($mb MB) in ${secs}s, peak RSS $((kb / 1024)) MB"
if [ "${kb:-0}" -gt 0 ] && [ "$kb" -lt 102400 ]; then ok "large mbox: peak RSS under 100 MB"; else
	not_ok "large mbox: peak RSS under 100 MB" "peak $kb kB"; fi
expect_eq "large mbox: threads of five" \
	"$("$ROUNDS" thread list wound-care --json | json 'len(d)')" "$(( (N + 4) / 5 + 1 ))"

# Killed mid-import and run again: every message stored exactly once.
# Imports commit in batches (500 messages or a second), so the kill lands
# after some batches are committed and inside another.  The plain build:
# this is about transactions, and it must still be running when killed.
R=${ROUNDS_PLAIN:-$TOP/build/rounds}
t_home
"$R" community create wound-care >/dev/null
threads() { "$R" community show wound-care --json | json 'd["threads"]'; }
some_stored() { [ "$(threads)" -ge 100 ]; }
"$R" import -q wound-care "$T_TMP/big.mbox" >/dev/null 2>&1 &
pid=$!
wait_for some_stored
kill -9 "$pid" 2>/dev/null
wait "$pid" 2>/dev/null
rc=$?
n1=$("$R" message list wound-care --json | json 'len(d)')
if [ "$rc" -eq 137 ] && [ "$n1" -gt 0 ] && [ "$n1" -lt "$N" ]; then
	ok "import killed mid-way with $n1 of $N messages committed"
else
	not_ok "import killed mid-way" "exit $rc with $n1 of $N messages committed"
fi
"$R" import wound-care "$T_TMP/big.mbox" >"$T_TMP/out" 2>"$T_TMP/err"
expect_eq "the rerun stores the rest" "$? $(cat "$T_TMP/out")" \
	"0 imported $N messages ($((N - n1)) new, $n1 duplicates, 0 errors) from 1 paths"
"$R" message list wound-care --json >"$T_TMP/after"
expect_eq "after the crash and the rerun every message is stored once" \
	"$(json 'str(len(d)) + " " + str(len(set(m["message_id"] for m in d)))' <"$T_TMP/after")" "$N $N"
expect_eq "and threaded as in one run" "$(threads)" "$(( (N + 4) / 5 ))"

# The progress bar, on a terminal only.
if command -v script >/dev/null; then
	t_home
	"$ROUNDS" community create wound-care >/dev/null
	head -n 3000 "$T_TMP/big.mbox" >"$T_TMP/part.mbox"
	script -qec "'$ROUNDS' import wound-care '$T_TMP/part.mbox'" /dev/null >"$T_TMP/tty" 2>&1
	if grep -q $'\r\[#*\.*\] [0-9]*/[0-9]* .*msg/s .* left' "$T_TMP/tty"; then ok "progress bar on a terminal"; else
		not_ok "progress bar on a terminal" "$(head -c 300 "$T_TMP/tty" | od -c | head -5)"; fi
	"$ROUNDS" import wound-care "$T_TMP/part.mbox" 2>"$T_TMP/err" >/dev/null
	if [ -s "$T_TMP/err" ]; then not_ok "no progress bar without a terminal" "$(head -c 200 "$T_TMP/err")"; else ok "no progress bar without a terminal"; fi
fi
t_done
