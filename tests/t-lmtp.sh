#!/bin/bash
# t-lmtp.sh - rounds lmtp (RFC 2033) spoken to over its UNIX socket by a
# small client: one reply per recipient after the final dot (a post, an
# unknown community, a malformed message), pipelining, dot-stuffing, two
# connections at once, a database fault answered 451 with nothing stored,
# and SIGTERM: stop accepting, finish the transaction in flight, exit 0.
. tests/lib.sh

D=lists.example.test
t_home
"$ROUNDS" community create care --policy open --quiet >/dev/null
"$ROUNDS" community create wound --policy open --quiet >/dev/null
SOCK=$ROUNDS_HOME/lmtp

# lmtp_talk [PORT]: send standard input (LF turned into CRLF) in one write,
# as a pipelining client does, to $SOCK (or 127.0.0.1:PORT), and print
# every reply line until the server closes.
lmtp_talk() {
	python3 -c '
import socket, sys
if sys.argv[1].isdigit():
    s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
else:
    s = socket.socket(socket.AF_UNIX)
    s.connect(sys.argv[1])
s.settimeout(30)
s.sendall(sys.stdin.buffer.read().replace(b"\n", b"\r\n"))
buf = b""
while True:
    d = s.recv(65536)
    if not d: break
    buf += d
sys.stdout.write(buf.decode("utf-8", "replace").replace("\r\n", "\n"))
' "${1:-$SOCK}"
}
can_connect() { python3 -c 'import socket,sys; s=socket.socket(socket.AF_UNIX); s.connect(sys.argv[1])' "$SOCK" 2>/dev/null; }
lmtp_start() {
	"$ROUNDS" lmtp "$@" 2>>"$T_TMP/lmtp.err" &
	LMTP_PID=$!
	wait_for can_connect
}
lmtp_stop() { [ -n "${LMTP_PID:-}" ] && kill "$LMTP_PID" 2>/dev/null && wait "$LMTP_PID"; LMTP_PID=; return 0; }
t_on_exit lmtp_stop
rows() { "$ROUNDS" message list "$1" --json | json 'len(d)'; }
msg() {
	printf 'From: Priya Nair <priya@example.org>\nTo: care@%s\nSubject: %s\nMessage-ID: <%s@example.org>\n' "$D" "$2" "$1"
	printf 'Date: Tue, 11 Jun 2024 09:30:00 +0100\nMIME-Version: 1.0\nContent-Type: text/plain; charset=utf-8\n\n%b\n' "${3:-Foam dressing changed.}"
}

if lmtp_start; then ok "rounds lmtp listens on HOME/lmtp"; else not_ok "rounds lmtp listens on HOME/lmtp" "$(cat "$T_TMP/lmtp.err")"; t_done; fi
expect_eq "the socket is not open to everyone (0660)" "$(stat -c %a "$SOCK")" 660

printf 'LHLO mx.example.test\nQUIT\n' | lmtp_talk >"$T_TMP/r"
ext=$(grep -c -e '^250-PIPELINING' -e '^250-ENHANCEDSTATUSCODES' -e '^250-8BITMIME' -e '^250 SIZE [0-9]' "$T_TMP/r")
expect_eq "LHLO offers PIPELINING, ENHANCEDSTATUSCODES, 8BITMIME and SIZE" "$ext" 4
printf 'HELO mx\nMAIL FROM:<a@example.org>\nQUIT\n' | lmtp_talk >"$T_TMP/r"
expect_eq "HELO is refused, MAIL needs LHLO first" "$(sed -n '2p;3p' "$T_TMP/r" | cut -c1-9 | tr '\n' ' ')" "500 5.5.1 503 5.5.1 "

# One message for a post address, an unknown community and a second
# community: one reply each after the dot, in RCPT order.
{
	printf 'LHLO mx\nMAIL FROM:<priya@example.org>\n'
	printf 'RCPT TO:<care@%s>\nRCPT TO:<nosuch@%s>\nRCPT TO:<wound@%s>\nDATA\n' $D $D $D
	msg mixed1 "Heel ulcer" "..A line that began with a dot.\n..\nlast line"
	printf '.\nQUIT\n'
} | lmtp_talk >"$T_TMP/r"
tail -4 "$T_TMP/r" | cut -c1-9 >"$T_TMP/codes"
expect_eq "one reply per recipient: stored, no such community, stored" "$(head -3 "$T_TMP/codes" | tr '\n' ' ')" "250 2.0.0 550 5.1.1 250 2.0.0 "
grep -q "^550 5.1.1 There is no community at nosuch@$D; check the address.$" "$T_TMP/r" &&
	ok "... with deliver's sentence for the unknown one" || not_ok "... with deliver's sentence for the unknown one" "$(cat "$T_TMP/r")"
expect_eq "... the post is in care and in wound" "$(rows care) $(rows wound)" "1 1"
"$ROUNDS" message show care mixed1@example.org --raw >"$T_TMP/raw"
python3 - "$T_TMP/raw" <<'PY' && ok "dot-stuffed lines are unstuffed (a stuffed lone dot stays in the message)" || not_ok "dot-stuffed lines are unstuffed (a stuffed lone dot stays in the message)" "$(tail -5 "$T_TMP/raw")"
import sys
body = open(sys.argv[1], "rb").read().split(b"\n\n", 1)[1]
sys.exit(body != b".A line that began with a dot.\n.\nlast line\n")
PY

# A malformed message (over a thousand header fields) is refused for
# each recipient with 554 5.6.0; the next transaction on the same
# connection is not disturbed.
{
	printf 'LHLO mx\nMAIL FROM:<priya@example.org>\nRCPT TO:<care@%s>\nRCPT TO:<wound@%s>\nDATA\n' $D $D
	for i in $(seq 1 1100); do printf 'X-Filler-%d: x\n' "$i"; done
	msg bad1 "Too many fields"
	printf '.\nMAIL FROM:<>\nRCPT TO:<care@%s>\nDATA\n' $D
	msg pipe2 "Second in the same write"
	printf '.\nQUIT\n'
} | lmtp_talk >"$T_TMP/r"
expect_eq "a malformed message: 554 5.6.0 for each recipient" "$(grep -c '^554 5.6.0 ' "$T_TMP/r")" 2
expect_eq "pipelined: every command answered, in order" "$(grep -v '^250-' "$T_TMP/r" | cut -c1-3 | tr '\n' ' ')" \
	"220 250 250 250 250 354 554 554 250 250 354 250 221 "
expect_eq "... the second transaction, with a null sender, is stored" "$(rows care)" 2

# Limits: a command line past 2,048 bytes, a SIZE over max-message-size.
{
	printf 'LHLO mx\nNOOP %s\n' "$(head -c 5000 /dev/zero | tr '\0' x)"
	printf 'MAIL FROM:<a@example.org> SIZE=999999999999\nNOOP\nQUIT\n'
} | lmtp_talk >"$T_TMP/r"
expect_eq "a command line too long: 500 5.5.2, the session goes on; SIZE too large: 552 5.3.4" \
	"$(grep -v -e '^220 ' -e '^250[- ]' "$T_TMP/r" | cut -c1-9 | tr '\n' ' ')" "500 5.5.2 552 5.3.4 221 2.0.0 "

# Two connections at once: the first stops in the middle of its DATA,
# the second delivers meanwhile, then the first finishes.
python3 - "$SOCK" "$D" >"$T_TMP/two" <<'PY'
import socket, sys
path, d = sys.argv[1], sys.argv[2]
def conn():
    s = socket.socket(socket.AF_UNIX); s.connect(path); s.settimeout(20)
    f = s.makefile("rb")
    f.readline()
    return s, f
def cmd(s, f, line, n=1):
    s.sendall(line.encode() + b"\r\n")
    return [f.readline().decode().strip() for _ in range(n)]
def head(mid):
    return ("From: a@example.org\r\nTo: care@%s\r\nSubject: %s\r\nMessage-ID: <%s@example.org>\r\n\r\n" % (d, mid, mid)).encode()
a, fa = conn(); b, fb = conn()
cmd(a, fa, "LHLO a", 5); cmd(a, fa, "MAIL FROM:<a@example.org>"); cmd(a, fa, "RCPT TO:<care@%s>" % d); cmd(a, fa, "DATA")
a.sendall(head("slow1") + b"half of it\r\n")
cmd(b, fb, "LHLO b", 5); cmd(b, fb, "MAIL FROM:<b@example.org>"); cmd(b, fb, "RCPT TO:<care@%s>" % d); cmd(b, fb, "DATA")
b.sendall(head("fast1") + b"all of it\r\n.\r\n")
print("second:", fb.readline().decode().strip()[:9])
a.sendall(b"the other half\r\n.\r\n")
print("first:", fa.readline().decode().strip()[:9])
PY
expect_eq "two connections at once: the second is served while the first is in DATA" "$(tr '\n' ' ' <"$T_TMP/two")" "second: 250 2.0.0 first: 250 2.0.0 "
expect_eq "... both stored" "$(rows care)" 4

# A database fault: 451 4.3.0 for that recipient, nothing stored; the
# retry after the fault is gone stores it once.
sqlite3 "$ROUNDS_HOME/rounds.db" \
	"CREATE TRIGGER fault BEFORE INSERT ON messages BEGIN SELECT RAISE(ABORT, 'injected fault'); END;"
fault() {
	{
		printf 'LHLO mx\nMAIL FROM:<priya@example.org>\nRCPT TO:<care@%s>\nDATA\n' $D
		msg fault1 "Dressing change"
		printf '.\nQUIT\n'
	} | lmtp_talk
}
fault >"$T_TMP/r"
expect_eq "a database fault is answered 451 4.3.0" "$(grep -c '^451 4.3.0 ' "$T_TMP/r")" 1
expect_eq "... and nothing is stored" "$(rows care)" 4
sqlite3 "$ROUNDS_HOME/rounds.db" "DROP TRIGGER fault"
fault >"$T_TMP/r"
expect_eq "the retry once the fault is gone: 250" "$(grep -c '^250 2.0.0 <care@' "$T_TMP/r")" 1
fault >/dev/null
expect_eq "... stored once, a second retry is a duplicate" "$(rows care)" 5

# SIGTERM while a client is idle: it gets 421, the server exits 0 and
# removes its socket.
python3 - "$SOCK" "$LMTP_PID" >"$T_TMP/idle" <<'PY'
import os, signal, socket, sys
s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); s.settimeout(20)
f = s.makefile("rb"); f.readline()
s.sendall(b"LHLO idle\r\n")
while f.readline()[:4] != b"250 ": pass
os.kill(int(sys.argv[2]), signal.SIGTERM)
print(f.readline().decode().strip()[:9])
PY
expect_eq "SIGTERM: an idle client is told 421 4.3.2" "$(cat "$T_TMP/idle")" "421 4.3.2"
wait "$LMTP_PID"
expect_eq "... and the server exits 0" "$?" 0
LMTP_PID=
[ ! -e "$SOCK" ] && ok "... removing its socket" || not_ok "... removing its socket"

# SIGTERM in the middle of a transaction: the server stops accepting but
# finishes it (stored, 250), then closes.
lmtp_start --mode 0600
expect_eq "--mode sets the socket's mode" "$(stat -c %a "$SOCK")" 600
python3 - "$SOCK" "$LMTP_PID" "$D" >"$T_TMP/busy" <<'PY'
import os, signal, socket, sys, time
path, pid, d = sys.argv[1], int(sys.argv[2]), sys.argv[3]
s = socket.socket(socket.AF_UNIX); s.connect(path); s.settimeout(20)
f = s.makefile("rb"); f.readline()
s.sendall(b"LHLO busy\r\nMAIL FROM:<a@example.org>\r\nRCPT TO:<care@%s>\r\nDATA\r\n" % d.encode())
while f.readline()[:3] != b"354": pass
s.sendall(b"From: a@example.org\r\nSubject: in flight\r\nMessage-ID: <flight1@example.org>\r\n\r\nbody\r\n")
os.kill(pid, signal.SIGTERM)
# Wait until the listener is closed: new clients are refused.
for _ in range(200):
    try:
        t = socket.socket(socket.AF_UNIX); t.connect(path); t.close()
    except OSError:
        print("refused"); break
    time.sleep(0.1)
s.sendall(b".\r\n")
print(f.readline().decode().strip()[:9])
print(f.readline().decode().strip()[:9])
PY
expect_eq "SIGTERM in DATA: new clients refused, the transaction finishes, then 421" "$(tr '\n' ' ' <"$T_TMP/busy")" "refused 250 2.0.0 421 4.3.2 "
wait "$LMTP_PID"
expect_eq "... exit 0" "$?" 0
LMTP_PID=
expect_eq "... and the message in flight is stored" "$(rows care)" 6

# Loopback TCP: --listen; any other address is refused (LMTP has no
# authentication).
expect_code 64 "--listen refuses an address that is not loopback" "$ROUNDS" lmtp --listen 0.0.0.0:2003
# ... here with a smaller max-message-size: a message over it gets 552
# 5.3.4 for each recipient, and the connection goes on.
sed -i 's/^max-message-size = .*/max-message-size = 4096/' "$ROUNDS_HOME/rounds.conf"
TCP_PORT=$(free_port)
tcp_up() { python3 -c "import socket; socket.create_connection(('127.0.0.1', $TCP_PORT), 0.2)" 2>/dev/null; }
"$ROUNDS" lmtp --listen "127.0.0.1:$TCP_PORT" --idle-timeout 2 2>>"$T_TMP/lmtp.err" &
LMTP_PID=$!
wait_for tcp_up
{
	printf 'LHLO mx\nMAIL FROM:<priya@example.org>\nRCPT TO:<care@%s>\nDATA\n' $D
	msg tcp1 "Over TCP"
	printf '.\nMAIL FROM:<priya@example.org>\nRCPT TO:<care@%s>\nRCPT TO:<wound@%s>\nDATA\n' $D $D
	msg big1 "Too big" "$(head -c 6000 /dev/zero | tr '\0' 'y' | fold -w 70)"
	printf '.\nQUIT\n'
} | lmtp_talk "$TCP_PORT" >"$T_TMP/r"
expect_eq "--listen 127.0.0.1:PORT serves LMTP over TCP" "$(grep -c '^250 2.0.0 <care@' "$T_TMP/r")" 1
expect_eq "a message over max-message-size: 552 5.3.4 for each recipient" "$(grep -c '^552 5.3.4 The message is larger than this list accepts (4096 bytes at most).$' "$T_TMP/r")" 2
expect_eq "... nothing of it stored" "$("$ROUNDS" message list wound --json | json 'len([m for m in d if m["message_id"] == "big1@example.org"])')" 0
python3 - "$TCP_PORT" >"$T_TMP/idle" <<'PY'
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), 20)
f = s.makefile("rb"); f.readline()
print(f.readline().decode().strip()[:9])
PY
expect_eq "--idle-timeout: a silent client is told 421 4.4.2 and dropped" "$(cat "$T_TMP/idle")" "421 4.4.2"
kill "$LMTP_PID"
wait "$LMTP_PID"
expect_eq "... SIGTERM: exit 0" "$?" 0
LMTP_PID=

# Socket activation: the socket systemd passes (LISTEN_FDS) is used, and
# HOME/lmtp is not created.
if command -v systemd-socket-activate >/dev/null; then
	SOCK=$T_TMP/activated.sock
	systemd-socket-activate -E ROUNDS_HOME -E ASAN_OPTIONS -E UBSAN_OPTIONS -l "$SOCK" "$ROUNDS" lmtp 2>>"$T_TMP/lmtp.err" >/dev/null &
	LMTP_PID=$!
	wait_for can_connect
	{
		printf 'LHLO mx\nMAIL FROM:<priya@example.org>\nRCPT TO:<care@%s>\nDATA\n' $D
		msg activated1 "Socket activation"
		printf '.\nQUIT\n'
	} | lmtp_talk >"$T_TMP/r"
	expect_eq "a socket passed by systemd is served" "$(grep -c '^250 2.0.0 <care@' "$T_TMP/r")" 1
	[ ! -e "$ROUNDS_HOME/lmtp" ] && ok "... and HOME/lmtp is not created" || not_ok "... and HOME/lmtp is not created"
	kill "$LMTP_PID"
	wait "$LMTP_PID"
	expect_eq "... SIGTERM: exit 0" "$?" 0
	LMTP_PID=
else
	ok "socket activation # SKIP no systemd-socket-activate"
fi
t_done
