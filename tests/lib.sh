# tests/lib.sh - sourced by every tests/t-*.sh script.
#
# Each check prints one TAP-style line ("ok - NAME" or "not ok - NAME");
# tests/run.sh counts them.  Scripts run from the top of the checkout.

set -u
TOP=${TOP:-$(pwd)}
# The sanitizer build when it exists (make check builds it), else the plain one.
if [ -z "${ROUNDS:-}" ]; then
	if [ -x "$TOP/build/asan/rounds" ]; then ROUNDS="$TOP/build/asan/rounds"; else ROUNDS="$TOP/build/rounds"; fi
fi
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0:exitcode=99}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1:exitcode=99}
T_FAILED=0
T_TMP=$(mktemp -d "${TMPDIR:-/tmp}/rounds-test.XXXXXX")
t_cleanup_hooks=""
trap 't_run_cleanup' EXIT
t_run_cleanup() {
	for h in $t_cleanup_hooks; do "$h" || true; done
	[ -n "${KEEP_TMP:-}" ] || rm -rf "$T_TMP"
}
# t_on_exit FUNC: run FUNC when the script ends (stop servers, ...).
t_on_exit() { t_cleanup_hooks="$t_cleanup_hooks $1"; }

ok() { echo "ok - $1"; }
not_ok() { echo "not ok - $1"; shift; for l in "$@"; do echo "#   $l"; done; T_FAILED=$((T_FAILED + 1)); }

# t_home: a fresh ROUNDS_HOME, initialised for lists.example.test.
t_home() {
	ROUNDS_HOME=$(mktemp -d "$T_TMP/home.XXXXXX")
	export ROUNDS_HOME
	"$ROUNDS" init --domain lists.example.test >/dev/null
}

# expect_code CODE NAME CMD...: run CMD, check its exit status.
expect_code() {
	want=$1 name=$2
	shift 2
	"$@" >"$T_TMP/out" 2>"$T_TMP/err"
	got=$?
	if [ "$got" = "$want" ]; then ok "$name"; else not_ok "$name" "exit $got, wanted $want" "$(head -c 600 "$T_TMP/err")"; fi
}

# expect_eq NAME GOT WANT
expect_eq() {
	if [ "$2" = "$3" ]; then ok "$1"; else not_ok "$1" "got:  $2" "want: $3"; fi
}

# deliver RCPT FILE [SENDER]: pipe FILE into rounds deliver as Postfix would.
deliver() {
	"$ROUNDS" deliver --recipient "$1" --sender "${3:-sender@example.org}" <"$2"
}

# jq-free JSON queries: python3 is on every machine of this kind.
json() { python3 -c "import json,sys; d=json.load(sys.stdin); print(eval(sys.argv[1]))" "$1"; }

# member_field COMMUNITY ADDR FIELD: FIELD of ADDR in `member list --json`
# ("" when ADDR is not a member or the value is null; a list prints its length).
member_field() {
	"$ROUNDS" member list "$1" --json | python3 -c '
import json, sys
for m in json.load(sys.stdin):
    if m["address"] == sys.argv[1]:
        v = m[sys.argv[2]]
        print("" if v is None else len(v) if isinstance(v, list) else v)' "$2" "$3"
}
# message_field COMMUNITY EXPR FIELD: FIELD of the newest message M of
# `message list --json` for which the Python expression EXPR holds ("" if none).
message_field() {
	"$ROUNDS" message list "$1" --json | python3 -c '
import json, sys
ms = [m for m in json.load(sys.stdin) if eval(sys.argv[1], {}, {"m": m})]
v = ms[-1][sys.argv[2]] if ms else None
print("" if v is None else v)' "$2" "$3"
}

# outbox_n EXPR: how many outbox items O make the Python expression EXPR
# true, e.g. outbox_n 'o["recipient"] == "a@x" and o["kind"] != "digest"'.
outbox_n() {
	"$ROUNDS" outbox list --json | python3 -c '
import json, sys
print(sum(1 for o in json.load(sys.stdin) if eval(sys.argv[1])))' "$1"
}
# outbox_id EXPR: the newest outbox item for which EXPR holds ("" if none).
outbox_id() {
	"$ROUNDS" outbox list --json | python3 -c '
import json, sys
ids = [o["id"] for o in json.load(sys.stdin) if eval(sys.argv[1])]
print(ids[0] if ids else "")' "$1"
}

# outbox_last ADDR: headers (Subject, Reply-To, Auto-Submitted) and decoded
# text of the latest outbox message to ADDR, "(none)" when there is none.
outbox_last() {
	outbox_id "o['recipient'] == '$1'" >"$T_TMP/id"
	[ -s "$T_TMP/id" ] || { echo "(none)"; return; }
	"$ROUNDS" outbox show "$(cat "$T_TMP/id")" >"$T_TMP/msg.eml"
	python3 - "$T_TMP/msg.eml" <<'PY'
import email, email.policy, sys
m = email.message_from_binary_file(open(sys.argv[1], "rb"), policy=email.policy.default)
for h in ("Subject", "Reply-To", "Auto-Submitted"):
    if m[h]: print(f"{h}: {m[h]}")
print()
print(m.get_content() if not m.is_multipart() else m.get_body(("plain",)).get_content())
PY
}

# t_mail FROM TO SUBJECT BODY [EXTRA-HEADER-LINES]: a real-shaped plain
# text message on stdout, each with its own Message-ID.
T_MAIL_N=0
t_mail() {
	T_MAIL_N=$((T_MAIL_N + 1))
	printf 'Return-Path: <%s>\n' "$1"
	[ -n "${5:-}" ] && printf '%b\n' "$5"
	printf 'From: %s\nTo: %s\nSubject: %s\n' "$1" "$2" "$3"
	printf 'Date: Tue, 24 Nov 2026 09:%02d:00 +0000\nMessage-ID: <cmd%d.%d@mail.example.org>\n' $((T_MAIL_N % 60)) "$T_MAIL_N" "$$"
	printf 'MIME-Version: 1.0\nContent-Type: text/plain; charset=utf-8\n\n%b\n' "$4"
}
# t_cmd FROM RCPT SUBJECT BODY [EXTRA] [SENDER]: deliver a t_mail to RCPT
# (envelope sender SENDER, FROM when not given); exit code in $rc.
t_cmd() {
	t_mail "$1" "$2" "$3" "$4" "${5:-}" >"$T_TMP/in.eml"
	"$ROUNDS" deliver --recipient "$2" --sender "${6-$1}" <"$T_TMP/in.eml" >"$T_TMP/out" 2>"$T_TMP/err"
	rc=$?
}

t_done() { exit $((T_FAILED > 0)); }

# newday: a day passes for every later command (ROUNDS_NOW is the clock of
# command mail and bounce scoring), so daily limits of automatic mail start
# afresh, as they would the next day.
T_DAY=0
newday() {
	T_DAY=$((T_DAY + 1))
	ROUNDS_NOW=$(date -u -d "$T_DAY days" +%Y-%m-%dT%H:%M:%SZ)
	export ROUNDS_NOW
}

# wait_for CMD...: poll CMD every 0.1 s until it succeeds (0) or 20 s pass (1).
# The one way tests wait for another process; never a fixed sleep.
wait_for() {
	for _ in $(seq 1 200); do "$@" && return 0; sleep 0.1; done
	return 1
}
# sink_has DIR N: smtp-sink has written at least N messages into DIR.
sink_has() { [ "$(ls "$1" 2>/dev/null | wc -l)" -ge "$2" ]; }
# sink_rcpt DIR ADDR...: smtp-sink has a message for each ADDR in DIR.
sink_rcpt() {
	local dir=$1 a
	shift
	for a in "$@"; do grep -qs "^X-Rcpt-Args: .*$a" "$dir"/* || return 1; done
}

# free_port: an unused TCP port on 127.0.0.1.
free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

# sink_start DIR [smtp-sink options...]: Postfix's smtp-sink on a free
# loopback port (SINK_PORT), dumping each message into DIR.  As root it
# must drop privileges, so DIR is handed to nobody.  SINK_PORT may be set
# beforehand to restart a sink on the same port.
sink_start() {
	local dir=$1
	shift
	mkdir -p "$dir"
	# nobody must reach DIR: open the (private) parents for traversal.
	chmod o+x "$T_TMP" "$(dirname "$dir")" 2>/dev/null
	chown nobody "$dir" 2>/dev/null
	chmod 777 "$dir"
	SINK_PORT=${SINK_PORT:-$(free_port)}
	/usr/sbin/smtp-sink -u nobody "$@" -d "$dir/%M." "127.0.0.1:$SINK_PORT" 256 &
	SINK_PID=$!
	for _ in $(seq 1 50); do
		python3 -c "import socket,sys; socket.create_connection(('127.0.0.1', $SINK_PORT), 0.2)" 2>/dev/null && return 0
		sleep 0.1
	done
	echo "# smtp-sink did not start on $SINK_PORT"
	return 1
}
sink_stop() {
	[ -n "${SINK_PID:-}" ] && kill "$SINK_PID" 2>/dev/null && wait "$SINK_PID" 2>/dev/null
	SINK_PID=
	return 0
}
t_on_exit sink_stop

# set_smtp PORT: point the installation's smarthost at 127.0.0.1:PORT.
set_smtp() {
	python3 - "$ROUNDS_HOME/rounds.conf" "$1" <<'PY'
import sys, re
p, port = sys.argv[1], sys.argv[2]
s = open(p).read()
s = re.sub(r"(?m)^port = .*$", f"port = {port}", s)
if "starttls" not in s:
    s = s.replace("[smtp]\n", "[smtp]\nstarttls = none\n")
open(p, "w").write(s)
PY
}

# pf_conf DIR PORT MAILBOX...: the directories, master.cf and main.cf of a
# private Postfix in DIR (its own conf, queue and data directories) that
# listens on 127.0.0.1:PORT only and delivers MAILBOX@readers.example.test
# into the Maildir DIR/mail/MAILBOX/.  The test adds its own lines to both
# files.
pf_conf() {
	local dir=$1 port=$2 maps="" m
	shift 2
	mkdir -p "$dir/conf" "$dir/queue" "$dir/data" "$dir/mail"
	for m in "$@"; do
		maps="$maps${maps:+, }$m@readers.example.test=$m/"
		mkdir -p "$dir/mail/$m"
	done
	chown postfix "$dir/data"
	chown -R 65534:65534 "$dir/mail"
	cp /usr/share/postfix/master.cf.dist "$dir/conf/master.cf"
	sed -i "s/^smtp      inet  n       -       y       -       -       smtpd/127.0.0.1:$port inet n - n - - smtpd/" "$dir/conf/master.cf"
	cat >"$dir/conf/main.cf" <<CONF
compatibility_level = 3.6
config_directory = $dir/conf
queue_directory = $dir/queue
data_directory = $dir/data
mail_owner = postfix
setgid_group = postdrop
myhostname = mx.lists.example.test
mydomain = lists.example.test
myorigin = \$myhostname
inet_interfaces = loopback-only
inet_protocols = ipv4
mynetworks = 127.0.0.0/8
mydestination =
smtputf8_enable = no
disable_dns_lookups = yes
maillog_file = $dir/maillog
maillog_file_prefixes = /tmp, /var, $T_TMP
virtual_mailbox_domains = readers.example.test
virtual_mailbox_base = $dir/mail
virtual_mailbox_maps = inline:{ $maps }
virtual_uid_maps = static:65534
virtual_gid_maps = static:65534
CONF
}

# t_png FILE [SIDE]: a real PNG (random pixels, SIDE x SIDE, no metadata):
# photos are stored cleaned by photo.c, and a broken one holds its post.
t_png() {
	python3 - "$1" "${2:-24}" <<'PY'
import os, struct, sys, zlib
def chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
side = int(sys.argv[2])
rows = b"".join(b"\0" + os.urandom(3 * side) for _ in range(side))
png = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", side, side, 8, 2, 0, 0, 0))
png += chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")
open(sys.argv[1], "wb").write(png)
PY
}
