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
t_done
