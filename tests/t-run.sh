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

"$R" run --interval 1 2>"$T_TMP/run.err" &
pid=$!
for _ in $(seq 1 50); do [ "$(ls "$T_TMP/sink" | wc -l)" -ge 1 ] && break; sleep 0.2; done
expect_eq "a pass sends what is due" "$(ls "$T_TMP/sink" | wc -l)" 1
expect_code 75 "a second instance is refused" "$R" run --interval 1
kill -HUP "$pid"
sleep 1.5
if kill -0 "$pid" 2>/dev/null; then ok "SIGHUP reloads and keeps running"; else not_ok "SIGHUP reloads and keeps running"; fi
kill -TERM "$pid"
wait "$pid"
expect_eq "SIGTERM: exit 0" "$?" 0
expect_code 0 "the lock is free again" timeout --preserve-status -s TERM 2 "$R" run --interval 1
t_done
