#!/bin/bash
# t-faults.sh - fault injection (issue 18): tests/faults/faultshim.so,
# preloaded, makes the N-th SQLite step fail with BUSY, FULL or IOERR, or
# the N-th write/fsync of a file fail with ENOSPC or EIO, for N along
# deliver, import, tick, outbox flush, the LMTP listener and fetch.  Each
# time: exit 75 (or 0 with the work done), the database unchanged or the
# work fully committed (75 after a failed fsync of the commit: SQLite
# cannot tell whether the WAL kept it, and the retry is a duplicate), and
# a rerun without the fault converges to the result of a run without
# faults (compared through --json read-outs).
#
# FAULT_STRIDE=1 sweeps every N of every run (slow); by default deliver is
# swept at every N and the longer runs at a stride.
. tests/lib.sh

SHIM=$TOP/build/tests/faults/faultshim.so
if [ ! -f "$SHIM" ]; then
	not_ok "the fault shim is built (make check-build)" "$SHIM is missing"
	t_done
fi
# The faulty runs use $ROUNDS (the ASan build: error paths are where memory
# errors hide); set-up, reruns and read-outs the plain build, for speed.
P=${ROUNDS_PLAIN:-$TOP/build/rounds}
[ -x "$P" ] || P=$ROUNDS
# ASan wants to be first in the library list; the shim goes before it.
export ASAN_OPTIONS="$ASAN_OPTIONS:verify_asan_link_order=0"
STRIDE=${FAULT_STRIDE:-}

# norm: the JSON read-outs on stdin without the wall-clock fields.
norm() {
	python3 -c '
import json, sys
drop = {"created", "next_attempt", "sent_at", "arrived", "attempts", "last_code", "last_reply"}
def n(v):
    if isinstance(v, dict): return {k: n(x) for k, x in v.items() if k not in drop}
    if isinstance(v, list): return [n(x) for x in v]
    return v
dec = json.JSONDecoder(); s = sys.stdin.read(); i = 0
while True:
    while i < len(s) and s[i].isspace(): i += 1
    if i >= len(s): break
    v, i = dec.raw_decode(s, i)
    print(json.dumps(n(v), sort_keys=True))'
}
# readout: what a run leaves, through the CLI (each scenario picks).
readout() { { "$P" message list care --json; "$P" outbox list --json; } 2>/dev/null | norm; }

# faulty KIND N CMD...: CMD with the shim; rc in $frc, whether it fired in $fired.
faulty() {
	local kind=$1 n=$2
	shift 2
	rm -f "$T_TMP/flog"
	LD_PRELOAD=$SHIM ROUNDS_FAULT="$kind:$n" ROUNDS_FAULT_LOG="$T_TMP/flog" "$@" >"$T_TMP/fout" 2>"$T_TMP/ferr"
	frc=$?
	fired=$(grep -c '^fired' "$T_TMP/flog" 2>/dev/null)
}
# counts CMD...: how many steps and file writes/fsyncs CMD makes ($steps $ios).
counts() {
	rm -f "$T_TMP/flog"
	LD_PRELOAD=$SHIM ROUNDS_FAULT_LOG="$T_TMP/flog" "$@" >/dev/null 2>&1
	read -r _ steps ios < <(grep '^count' "$T_TMP/flog" | sort -k2 -n | tail -1)
}

# sweep NAME STRIDE MODE: for each fault kind and N (every STRIDE-th), copy
# the pristine home $PRISTINE, run `run_it` (a function of the scenario)
# with the fault, check, run `rerun_it` without it, check again.
# MODE "atomic": a failed run leaves the read-out exactly as before
# (one transaction); "converge": only the rerun is checked.
sweep() {
	case " ${FAULT_ONLY:-$1} " in *" $1 "*) ;; *) return 0 ;; esac
	local name=$1 stride=$2 mode=$3 kind nth total max runs=0 bad=0 fired_n=0
	[ -n "$STRIDE" ] && stride=$STRIDE
	rm -rf "$T_TMP/h"
	cp -a "$PRISTINE" "$T_TMP/h"
	export ROUNDS_HOME=$T_TMP/h
	reset_it
	readout >"$T_TMP/before"
	counts run_it
	rm -rf "$T_TMP/h"
	cp -a "$PRISTINE" "$T_TMP/h"
	reset_it
	run_it >/dev/null 2>&1
	readout >"$T_TMP/want"
	total="$steps $ios"
	if cmp -s "$T_TMP/before" "$T_TMP/want"; then not_ok "$name: the run without faults changes something"; fi
	for kind in busy full ioerr enospc eio; do
		case $kind in busy | full | ioerr) max=$steps ;; *) max=$ios ;; esac
		# Each kind starts at another offset, so that together they cover
		# more of the run when the stride is above 1.
		case $kind in
		busy) nth=1 ;;
		full) nth=$((1 + (stride + 2) / 3 % stride)) ;;
		ioerr) nth=$((1 + 2 * ((stride + 2) / 3) % stride)) ;;
		enospc) nth=1 ;;
		eio) nth=$((1 + (stride + 1) / 2 % stride)) ;;
		esac
		while [ "$nth" -le "$max" ]; do
			rm -rf "$T_TMP/h"
			cp -a "$PRISTINE" "$T_TMP/h"
			reset_it
			faulty "$kind" "$nth" run_it
			runs=$((runs + 1))
			[ "$fired" -gt 0 ] && fired_n=$((fired_n + 1))
			why=""
			[ "$mode" = atomic ] && readout >"$T_TMP/got"
			case "$frc" in
			# 75 with the work all there: a failed fsync of the commit
			# (SQLite says IOERR, yet the WAL holds the transaction).
			75) [ "$mode" = atomic ] && ! cmp -s "$T_TMP/got" "$T_TMP/before" &&
				! cmp -s "$T_TMP/got" "$T_TMP/want" && why="exit 75 and the database half changed" ;;
			0) [ "$mode" = atomic ] && ! cmp -s "$T_TMP/got" "$T_TMP/want" && why="exit 0 but the work is not all there" ;;
			*) why="exit $frc: $(head -c 300 "$T_TMP/ferr")" ;;
			esac
			if [ -z "$why" ]; then
				rerun_it >/dev/null 2>&1
				readout >"$T_TMP/got"
				cmp -s "$T_TMP/got" "$T_TMP/want" || why="the rerun does not converge: $(diff "$T_TMP/want" "$T_TMP/got" | head -c 400)"
			fi
			if [ -n "$why" ]; then
				bad=$((bad + 1))
				[ "$bad" -le 5 ] && not_ok "$name: $kind at call $nth" "$why"
			fi
			nth=$((nth + stride))
		done
	done
	echo "# $name: $runs faulty runs over $total steps/writes (stride $stride), $fired_n fired, $bad wrong"
	[ "$fired_n" -gt 0 ] || not_ok "$name: no fault fired"
	[ "$bad" -eq 0 ] && ok "$name: every injected fault gives 75 or the whole work, and a rerun converges ($runs runs)"
}

# reset_it: what else a scenario puts back before each run (a mailbox).
reset_it() { :; }

D=lists.example.test
mail() { # ID SUBJECT
	printf 'From: Priya Nair <priya@example.org>\nTo: care@%s\nDate: Tue, 11 Jun 2024 09:30:00 +0100\n' $D
	printf 'Message-ID: <%s@example.org>\nSubject: %s\nMIME-Version: 1.0\nContent-Type: text/plain; charset=utf-8\n\nFoam dressing changed.\n' "$1" "$2"
}

# The installation every scenario starts from: two communities, members
# who get every message and members who get digests, a few posts.
t_home
"$P" community create care --policy open >/dev/null
"$P" community create ward --policy open >/dev/null
"$P" member add care jo@example.org sam@example.org --delivery each >/dev/null
"$P" member add care ann@example.org bo@example.org cy@example.org --delivery digest >/dev/null
"$P" member add ward ann@example.org dee@example.org --delivery digest >/dev/null
for i in 1 2 3; do mail "old$i" "Heel ulcer, week $i" | "$P" deliver --recipient "care@$D" --sender priya@example.org; done
mail "w1" "Night shift" | sed 's/care@/ward@/' | "$P" deliver --recipient "ward@$D" --sender priya@example.org
PRISTINE=$T_TMP/pristine
cp -a "$ROUNDS_HOME" "$PRISTINE"

# deliver: one transaction; with the offsets of each kind, every N is hit.
mail new1 "Silver dressing" >"$T_TMP/post.eml"
run_it() { "$ROUNDS" deliver --recipient "care@$D" --sender priya@example.org <"$T_TMP/post.eml"; }
rerun_it() { "$P" deliver --recipient "care@$D" --sender priya@example.org <"$T_TMP/post.eml"; }
sweep deliver 2 atomic

# import: an mbox, committed in batches.
run_it() { "$ROUNDS" import care "$TOP/tests/import/mboxo.mbox" --quiet; }
rerun_it() { "$P" import care "$TOP/tests/import/mboxo.mbox" --quiet; }
sweep import 10 converge

# tick: every digest due, one transaction per person.
NOW=$(date -u -d '1 day 12:00' +%Y-%m-%dT%H:%M:%SZ)
run_it() { "$ROUNDS" tick --no-send --quiet --now "$NOW"; }
rerun_it() { "$P" tick --no-send --quiet --now "$NOW"; }
sweep tick 12 converge

# outbox flush to smtp-sink: what is queued goes out; a fault is retried
# (the read-out leaves out attempts and times, so a rerun converges when
# every item ends sent).
sink_start "$T_TMP/sink" || not_ok "smtp-sink starts"
set_smtp "$SINK_PORT"
ROUNDS_HOME=$PRISTINE "$P" tick --no-send --quiet --now "$NOW"
sed -i "s/^port = .*/port = $SINK_PORT/" "$PRISTINE/rounds.conf"
grep -q starttls "$PRISTINE/rounds.conf" || sed -i 's/^\[smtp\]$/[smtp]\nstarttls = none/' "$PRISTINE/rounds.conf"
LATER=$(date -u -d '3 days 12:00' +%Y-%m-%dT%H:%M:%SZ)
run_it() { "$ROUNDS" outbox flush --now "$NOW"; }
rerun_it() { "$P" outbox flush --now "$LATER"; }
sweep outbox 12 converge

# The LMTP listener: one message per connection; a fault answers 451 (or
# 250 when the message is committed), and the listener keeps serving.
lmtp_send() { # SOCKET FILE: the reply code to the message
	python3 - "$1" "$2" <<'PY'
import smtplib, sys
try:
    c = smtplib.LMTP(sys.argv[1], timeout=20)
    c.ehlo_or_helo_if_needed()
    r = c.sendmail("priya@example.org", ["care@lists.example.test"], open(sys.argv[2], "rb").read())
    print(250)
except smtplib.SMTPRecipientsRefused as e:
    print(list(e.recipients.values())[0][0])
except smtplib.SMTPResponseException as e:
    print(e.smtp_code)
except Exception as e:
    print("error", e)
PY
}
lmtp_up() { python3 -c 'import socket,sys; s=socket.socket(socket.AF_UNIX); s.connect(sys.argv[1])' "$ROUNDS_HOME/lmtp" 2>/dev/null; }
lmtp_run() { # the listener (with whatever is preloaded), one message, stop
	local code
	"$@" lmtp 2>>"$T_TMP/lmtp.err" &
	LPID=$!
	if ! wait_for lmtp_up; then wait "$LPID"; return $?; fi
	code=$(lmtp_send "$ROUNDS_HOME/lmtp" "$T_TMP/post.eml")
	kill "$LPID" 2>/dev/null
	wait "$LPID"
	case "$code" in 250) return 0 ;; 451 | 452 | 421) return 75 ;; *) echo "reply $code" >&2; return 70 ;; esac
}
sink_stop
run_it() { lmtp_run "$ROUNDS"; }
rerun_it() { lmtp_run "$P"; }
sweep lmtp 10 atomic

# fetch from a real Dovecot over IMAPS: the mailbox is filled afresh
# before each run; a message is deleted only once committed, so a fault
# leaves it on the server for the rerun.
. tests/dovecot.sh
case " ${FAULT_ONLY:-fetch} " in
*" fetch "*)
	if dovecot_start; then
		for i in 1 2 3; do mail "fetch$i" "From the mailbox $i" >"$T_TMP/fetch$i.eml"; done
		reset_it() {
			rm -f "$DOVECOT_MAILDIR"/new/* "$DOVECOT_MAILDIR"/cur/*
			dovecot_put "$T_TMP"/fetch*.eml
		}
		URL="imaps://$DOVECOT_USER@127.0.0.1:$DOVECOT_IMAPS/INBOX"
		run_it() { "$ROUNDS" fetch care --once --url "$URL" --password-file "$DOVECOT_PASSWORD_FILE" --ca-file "$DOVECOT_CA"; }
		rerun_it() { "$P" fetch care --once --url "$URL" --password-file "$DOVECOT_PASSWORD_FILE" --ca-file "$DOVECOT_CA"; }
		sweep fetch 14 converge
	else
		not_ok "start a private Dovecot" "$(tail -5 "${DOVECOT_DIR:-/nonexistent}/dovecot.log" 2>&1)"
	fi
	;;
esac
t_done
