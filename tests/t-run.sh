#!/bin/bash
# t-run.sh - the scheduler daemon: one instance at a time, SIGHUP reloads,
# SIGTERM stops cleanly, and each pass sends what the outbox has due.
. tests/lib.sh
R=$ROUNDS
t_home
tomorrow=$(date -u -d 'tomorrow 12:00' +%Y-%m-%dT%H:%M:%SZ)
"$R" community create care --policy open >/dev/null
"$R" member add care a@example.org >/dev/null
printf 'From: s@example.com\nSubject: Rota\nMessage-ID: <r1@x>\n\nSunday?\n' | "$R" deliver --recipient care@lists.example.test
"$R" tick --no-send --now "$tomorrow" >/dev/null
sink_start "$T_TMP/sink"
set_smtp "$SINK_PORT"
# The queued digest is due tomorrow; make it due now.
"$R" outbox retry 1 >/dev/null

# A pass an hour: anything sent later than the first pass proves a signal
# cut the wait short.
"$R" run --interval 3600 2>"$T_TMP/run.err" &
pid=$!
wait_for sink_has "$T_TMP/sink" 1
expect_eq "a pass sends what is due" "$(ls "$T_TMP/sink" | wc -l)" 1
expect_code 75 "a second instance is refused" "$R" run --interval 1

# SIGHUP: a changed setting takes effect at once.  The smarthost moves to a
# second sink and an each-message member's copy goes there.
"$R" member add care e@example.org --delivery each >/dev/null
printf 'From: s@example.com\nSubject: Rota again\nMessage-ID: <r2@x>\n\nMonday?\n' | "$R" deliver --recipient care@lists.example.test
first_pid=$SINK_PID
SINK_PORT=
sink_start "$T_TMP/sink2" || not_ok "second smtp-sink starts"
set_smtp "$SINK_PORT"
kill -HUP "$pid"
if wait_for sink_rcpt "$T_TMP/sink2" e@example.org; then ok "SIGHUP: the new smarthost is used at once"; else
	not_ok "SIGHUP: the new smarthost is used at once" "$(cat "$T_TMP/run.err")"; fi
expect_eq "... and not the old one" "$(grep -ls 'e@example.org' "$T_TMP/sink"/* | wc -l)" 0
if kill -0 "$pid" 2>/dev/null; then ok "SIGHUP reloads and keeps running"; else not_ok "SIGHUP reloads and keeps running"; fi
grep -q "SIGHUP, reloading" "$T_TMP/run.err" && ok "the reload is logged" || not_ok "the reload is logged" "$(cat "$T_TMP/run.err")"
kill "$first_pid" 2>/dev/null
kill -TERM "$pid"
wait "$pid"
expect_eq "SIGTERM: exit 0" "$?" 0
expect_code 0 "the lock is free again" timeout --preserve-status -s TERM 2 "$R" run --interval 1
t_done
