#!/bin/bash
# t-trust-scope.sh - a token is bound to its community's name AND domain
# (issue 11, finding 6): care@lists.example.test and care@lists.other.test
# are different lists, even when one installation serves both, so a link
# from one list's digest must not act on the other.
. tests/lib.sh

t_home
R=$ROUNDS
A=lists.example.test
B=lists.other.test
n=0

"$R" community create care --title "Wound Care" >/dev/null
"$R" community create "care@$B" --title "Care elsewhere" >/dev/null
for c in care "care@$B"; do
	"$R" member add "$c" ana.rn@example.org --name "Ana RN" --delivery digest >/dev/null
	"$R" member add "$c" ben.md@example.org --name "Ben MD" >/dev/null
done

# post FROM RCPT SUBJECT BODY: deliver a real-shaped message, exit code in $rc.
post() {
	n=$((n + 1))
	{
		printf 'From: %s\nTo: %s\nSubject: %s\n' "$1" "$2" "$3"
		printf 'Date: Tue, 24 Nov 2026 09:%02d:00 +0000\n' "$n"
		printf 'Message-ID: <scope%d.%d@mail.example.org>\n' "$n" "$$"
		printf 'MIME-Version: 1.0\nContent-Type: text/plain; charset=utf-8\n\n%b\n' "$4"
	} >"$T_TMP/in.eml"
	"$R" deliver --recipient "$2" --sender "$1" <"$T_TMP/in.eml" >/dev/null 2>"$T_TMP/err"
	rc=$?
}
# is_member COMMUNITY ADDR: "yes" or "no", read with `member list --json`.
is_member() {
	"$R" member list "$1" --json |
		python3 -c 'import json,sys; print("yes" if any(m["address"] == sys.argv[1] for m in json.load(sys.stdin)) else "no")' "$2"
}
# digest_token ADDR WORD: the token after "WORD%20" in ADDR's digest links.
digest_token() {
	"$R" digest preview "$1" --html --now "$(date -u -d '+1 day' +%Y-%m-%dT12:00:00Z)" 2>/dev/null |
		tr -d '=\n' | grep -o "$2%20[a-z2-7]*" | head -1 | sed 's/.*%20//'
}

post ben.md@example.org "care@$A" "Dressing for a venous ulcer" "Which dressing do you use?"
expect_eq "a post to care@$A is stored" "$rc" 0

utok=$(digest_token ana.rn@example.org unsubscribe)
expect_eq "Ana's digest (care@$A) carries an unsubscribe token" "${utok:+yes}" yes

# A reply token of care@A is no reply address at care@B.
rtok=$("$R" digest preview ana.rn@example.org --now "$(date -u -d '+1 day' +%Y-%m-%dT12:00:00Z)" 2>/dev/null |
	tr -d '=\n' | grep -o 'care+r-[a-z2-7]*' | head -1 | sed 's/care+r-//')
if [ -n "$rtok" ]; then
	post ana.rn@example.org "care+r-$rtok@$B" "Re: Compression" "Six months at least."
	expect_eq "care@$A's reply token at care@$B: refused (77)" "$rc" 77
	post ana.rn@example.org "care+r-$rtok@$A" "Re: Compression" "Six months at least."
	expect_eq "... and accepted at care@$A" "$rc" 0
else
	not_ok "Ana's digest carries a reply address"
fi
# The attack: Ana's link from care@A's digest, sent (by anyone holding it)
# to care@B's request address.  Before tokens named the domain it removed
# her from care@B at once.
post ana.rn@example.org "care+request@$B" "unsubscribe $utok" ""
expect_eq "care@$A's token sent to care@$B: still a member there" "$(is_member "care@$B" ana.rn@example.org)" yes
expect_eq "... and of care@$A" "$(is_member care ana.rn@example.org)" yes

# The same link where it belongs still works at once.
post ana.rn@example.org "care+request@$A" "unsubscribe $utok" ""
expect_eq "the token at its own list: unsubscribed from care@$A" "$(is_member care ana.rn@example.org)" no
expect_eq "... and only from care@$A" "$(is_member "care@$B" ana.rn@example.org)" yes

t_done
