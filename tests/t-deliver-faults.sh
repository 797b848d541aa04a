#!/bin/bash
# t-deliver-faults.sh - a fault of ours or of the database is never a bounce
# (issue 16): `deliver` answers 75 so the MTA keeps the mail, and the same
# mail is stored once the fault is gone.
#
# The fault is injected into the database with a trigger (SQLite's RAISE
# gives the statement a constraint error, as a violated UNIQUE or CHECK
# would); there is no CLI for that, which is the point.
. tests/lib.sh

D=lists.example.test
t_home
"$ROUNDS" community create care --title "Wound care" --policy open >/dev/null

cat >"$T_TMP/post.eml" <<EOF
From: Priya Nair <priya.nair@example.org>
To: care@$D
Date: Tue, 11 Jun 2024 09:30:00 +0100
Message-ID: <fault1@example.org>
Subject: Heel ulcer, week 3
MIME-Version: 1.0
Content-Type: text/plain; charset=utf-8

The wound on the left heel is smaller today; foam dressing changed.
EOF
rows() { "$ROUNDS" message list care --json | json 'len(d)'; }

sqlite3 "$ROUNDS_HOME/rounds.db" \
	"CREATE TRIGGER fault BEFORE INSERT ON messages BEGIN SELECT RAISE(ABORT, 'injected fault'); END;"
expect_code 75 "a constraint error while storing: 75, never 65 or 70" deliver "care@$D" "$T_TMP/post.eml"
expect_eq "... and nothing is stored" "$(rows)" 0
if [ "$(wc -l <"$T_TMP/err")" -eq 1 ]; then ok "... one line on stderr"; else not_ok "... one line on stderr" "$(cat "$T_TMP/err")"; fi

sqlite3 "$ROUNDS_HOME/rounds.db" "DROP TRIGGER fault"
expect_code 0 "the MTA's retry after the fault is gone: stored" deliver "care@$D" "$T_TMP/post.eml"
expect_eq "... once" "$(rows)" 1
expect_code 0 "a second retry is a duplicate, not a second copy" deliver "care@$D" "$T_TMP/post.eml"
expect_eq "... still once" "$(rows)" 1

# A reply to a digest from another address is held and its person asked
# to confirm it, in one transaction: when the confirmation cannot be
# queued, nothing is stored and the MTA's retry stores both.  (Before,
# the retry found the held reply, called it a duplicate, and no
# confirmation was ever sent.)
"$ROUNDS" member add care jo.nurse@example.org --name "Jo Nurse" --delivery digest >/dev/null
sed -e 's/fault1@/fault0@/' -e 's/week 3/week 4/' "$T_TMP/post.eml" >"$T_TMP/post2.eml"
expect_code 0 "a post Jo's digest will carry" deliver "care@$D" "$T_TMP/post2.eml"
rtok=$("$ROUNDS" digest preview jo.nurse@example.org --now "$(date -u -d '+1 day' +%Y-%m-%dT12:00:00Z)" 2>/dev/null |
	tr -d '=\n' | grep -o 'care+r-[a-z2-7]*' | head -1 | sed 's/care+r-//')
expect_eq "Jo's digest has a reply address" "${rtok:+yes}" yes
{
	echo "From: Jo at home <jo.home@example.net>"
	echo "To: care+r-$rtok@$D"
	echo "Date: Wed, 12 Jun 2024 07:10:00 +0100"
	echo "Message-ID: <fault2@example.net>"
	echo "Subject: Re: Heel ulcer, week 3"
	echo "MIME-Version: 1.0"
	echo "Content-Type: text/plain; charset=utf-8"
	echo
	echo "Silver dressing worked for us."
} >"$T_TMP/reply.eml"
to_jo() { "$ROUNDS" outbox list --json | json 'len([i for i in d if i["recipient"] == "jo.nurse@example.org"])'; }
held() { "$ROUNDS" message list care --status held --json | json 'len(d)'; }
sqlite3 "$ROUNDS_HOME/rounds.db" \
	"CREATE TRIGGER fault BEFORE INSERT ON outbox WHEN NEW.recipient = 'jo.nurse@example.org' BEGIN SELECT RAISE(ABORT, 'injected fault'); END;"
expect_code 75 "the confirmation cannot be queued: 75" deliver "care+r-$rtok@$D" "$T_TMP/reply.eml" jo.home@example.net
expect_eq "... and the reply is not stored either" "$(held)" 0
sqlite3 "$ROUNDS_HOME/rounds.db" "DROP TRIGGER fault"
expect_code 0 "the MTA's retry: stored" deliver "care+r-$rtok@$D" "$T_TMP/reply.eml" jo.home@example.net
expect_eq "... held" "$(held)" 1
expect_eq "... and Jo is asked to confirm it" "$(to_jo)" 1
t_done
