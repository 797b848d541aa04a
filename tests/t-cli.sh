#!/bin/bash
# t-cli.sh - the administrator's verbs: init, community, member, --help on
# every verb, usage errors, --home and ROUNDS_HOME, the JSON contracts.
. tests/lib.sh
R=$ROUNDS

home=$T_TMP/inst
expect_code 0 "init creates an installation" "$R" --home "$home" init --domain lists.example.test
expect_eq "secret is readable by its owner only" "$(stat -c %a "$home/secret")" 600
secret=$(cat "$home/secret")
expect_code 0 "init again changes nothing" "$R" --home "$home" init --domain lists.example.test
expect_eq "secret kept" "$(cat "$home/secret")" "$secret"
expect_code 78 "init with another domain is refused" "$R" --home "$home" init --domain other.example
expect_code 64 "init without --domain" "$R" --home "$T_TMP/none" init
expect_eq "usage error is one line" "$(wc -l <"$T_TMP/err")" 1
expect_code 78 "a verb on an uninitialised home" env ROUNDS_HOME="$T_TMP/none2" "$R" community list

export ROUNDS_HOME=$home
expect_code 0 "create a community" "$R" community create care --title "Care Team" --owner Owner@Example.org
expect_code 73 "create it again" "$R" community create care
expect_code 0 "a community on another domain" "$R" community create ward@other.example.net --policy announce
expect_code 64 "bad policy" "$R" community create x --policy closed
expect_code 64 "bad name" "$R" community create 'bad name'
expect_code 64 "name with the delimiter" "$R" community create 'a+b'
"$R" community list --json >"$T_TMP/list.json"
expect_eq "community list --json" "$(json '[(c["address"], c["policy"], c["title"]) for c in d]' <"$T_TMP/list.json")" \
	"[('care@lists.example.test', 'members', 'Care Team'), ('ward@other.example.net', 'announce', 'ward')]"
"$R" community show care --json >"$T_TMP/show.json"
expect_eq "community show --json: owner" "$(json 'd["owners"]' <"$T_TMP/show.json")" "['Owner@Example.org']"
expect_code 66 "show an unknown community" "$R" community show nosuch

expect_code 0 "member add" "$R" member add care nurse@example.org --name "Nurse Jo" --delivery each --role poster
expect_code 0 "member add several" "$R" member add care a@example.org b@example.org
printf 'c@example.org\n# comment\n\nd@example.org\n' >"$T_TMP/list"
expect_code 0 "member add --file" "$R" member add care --file "$T_TMP/list"
expect_code 64 "member add with a bad address" "$R" member add care not-an-address
expect_code 0 "member add of a member again" "$R" member add care nurse@example.org
if grep -q "already a member" "$T_TMP/out"; then ok "... says already a member"; else not_ok "... says already a member" "$(cat "$T_TMP/out")"; fi
expect_eq "... and changes nothing" "$(member_field care nurse@example.org role) $(member_field care nurse@example.org delivery)" "poster each"
expect_code 64 "member add: a domain without a dot" "$R" member add care jo@example
expect_code 64 "member add: a broken domain" "$R" member add care jo@example..org
expect_code 0 "member add: the installation's own domain needs no dot check" "$R" member add care desk@lists.example.test
"$R" member remove care desk@lists.example.test >/dev/null
expect_code 64 "member add with a bad delivery" "$R" member add care x@example.org --delivery sometimes
expect_code 0 "member set" "$R" member set care NURSE@example.org --timezone Asia/Kolkata --digest-time 6:30 --digest weekly --digest-day fri --grouping separate
expect_code 64 "member set with a bad zone" "$R" member set care nurse@example.org --timezone Mars/Olympus
expect_code 66 "member set on a non-member" "$R" member set care nobody@example.org --delivery none
"$R" member list care --json >"$T_TMP/m.json"
expect_eq "member list --json" "$(json '[(m["address"], m["role"], m["delivery"]) for m in d]' <"$T_TMP/m.json")" \
	"[('a@example.org', 'member', 'digest'), ('b@example.org', 'member', 'digest'), ('c@example.org', 'member', 'digest'), ('d@example.org', 'member', 'digest'), ('nurse@example.org', 'poster', 'each'), ('Owner@Example.org', 'owner', 'digest')]"
expect_eq "person settings" "$(json '[(m["timezone"], m["digest_time"], m["digest"], m["digest_day"], m["grouping"], m["name"]) for m in d if m["address"] == "nurse@example.org"]' <"$T_TMP/m.json")" \
	"[('Asia/Kolkata', '06:30', 'weekly', 5, 'separate', 'Nurse Jo')]"
expect_eq "member fields" "$(json 'sorted(d[0].keys())' <"$T_TMP/m.json")" \
	"['address', 'bounce_score', 'created', 'delivery', 'delivery_disabled_reason', 'digest', 'digest_day', 'digest_time', 'grouping', 'muted_threads', 'name', 'paused_until', 'role', 'status', 'timezone']"
expect_code 0 "member remove" "$R" member remove care d@example.org

# --json: a missing value is null, never "" (README, "JSON output").  The
# answer to a command goes out with the null sender <>.
t_cmd nurse@example.org care+request@lists.example.test help ""
expect_eq "help answered" "$rc" 0
"$R" outbox list --json >"$T_TMP/outbox.json"
expect_eq "outbox list --json: the null sender is null" \
	"$(json '[o["envelope_from"] for o in d if o["recipient"] == "nurse@example.org"]' <"$T_TMP/outbox.json")" "[None]"
expect_eq "outbox list --json: not sent yet, sent_at null" \
	"$(json '[o["sent_at"] for o in d]' <"$T_TMP/outbox.json")" "[None]"
expect_code 66 "member remove again" "$R" member remove care d@example.org

# A mistyped setting is named, never silently replaced by its default
# (issue 16): 78 for a verb, 75 for deliver (the MTA keeps the mail while
# the administrator fixes the file).
cp "$home/rounds.conf" "$T_TMP/rounds.conf.good"
printf '\n[commands]\nreply-limit = five\n' >>"$home/rounds.conf"
expect_code 78 "a bad [commands] reply-limit: 78" "$R" community list
if grep -q "reply-limit" "$T_TMP/err"; then ok "... the message names the key"; else not_ok "... the message names the key" "$(cat "$T_TMP/err")"; fi
printf 'From: a@example.org\nSubject: x\nMessage-ID: <cfg1@example.org>\n\nhello\n' >"$T_TMP/cfg.eml"
expect_code 75 "... and deliver answers 75" deliver care@lists.example.test "$T_TMP/cfg.eml"
cp "$T_TMP/rounds.conf.good" "$home/rounds.conf"
printf '\n[commands]\ntoken-days = 0\n' >>"$home/rounds.conf"
expect_code 78 "token-days = 0 refused" "$R" community list
if grep -q "token-days" "$T_TMP/err"; then ok "... named"; else not_ok "... named" "$(cat "$T_TMP/err")"; fi
printf '[smtp]\nport = x\nconnections = y\n' >>"$home/rounds.conf"
expect_code 78 "several mistakes: 78" "$R" community list
expect_eq "... one line, no GLib warning about an error set twice" "$(wc -l <"$T_TMP/err")" 1
cp "$T_TMP/rounds.conf.good" "$home/rounds.conf"

for v in init community member deliver thread message digest tick run outbox template trim bounce; do
	expect_code 0 "$v --help" "$R" $v --help
done
for v in "community create" "community list" "community show" "community set" "member add" "member set" "member remove" "member list" "member alias" "thread list" "thread show" "message list" "message show" "outbox list" "outbox flush" "outbox retry" "digest preview" "mta lines" "mta check" "template render" "bounce parse" import fetch; do
	expect_code 0 "$v --help" "$R" $v --help
done
for v in init deliver tick run import fetch report trim "community create" "member add" "member show" "held approve" "outbox show" "digest preview" "mta lines" "template render" "bounce parse"; do
	"$R" $v --help >"$T_TMP/help" 2>&1
	if grep -q "rounds $v " "$T_TMP/help"; then ok "$v --help: the usage line names the verb"; else not_ok "$v --help: the usage line names the verb" "$(head -3 "$T_TMP/help")"; fi
done
expect_code 0 "template help" "$R" template help
expect_code 64 "an unknown sub-verb" "$R" community frobnicate
expect_code 64 "deliver without --recipient: 64 (the MTA's command line is wrong)" "$R" deliver
expect_code 64 "unknown verb" "$R" frobnicate
if grep -q "did you mean" "$T_TMP/err"; then not_ok "... nothing like it: no suggestion" "$(cat "$T_TMP/err")"; else ok "... nothing like it: no suggestion"; fi
expect_code 64 "a mistyped verb" "$R" memebr list care
if grep -q "did you mean member?" "$T_TMP/err"; then ok "... did you mean member?"; else not_ok "... did you mean member?" "$(cat "$T_TMP/err")"; fi
expect_code 64 "a mistyped sub-verb" "$R" community craete x
if grep -q "did you mean community create?" "$T_TMP/err"; then ok "... did you mean community create?"; else not_ok "... did you mean community create?" "$(cat "$T_TMP/err")"; fi
expect_code 64 "deliver with a malformed --recipient: 64, not 65" "$R" deliver --recipient not-an-address </dev/null
expect_code 64 "no verb" "$R"
expect_code 0 "--version" "$R" --version
expect_code 64 "thread show with a bad id" "$R" thread show abc
expect_code 66 "thread show with an unknown id" "$R" thread show 999
t_done
