#!/bin/bash
# t-trust-limits.sh - no input may make a delivery or a digest cost more
# than a bounded multiple of an ordinary one (issue 11, findings 9-11):
# the digest size ceiling with what was left out summarised and offered by
# get, MIME part and header limits on delivery and import, partial names
# that cannot leave the template directory, and an installed binary that
# never reads templates from the current directory.
. tests/lib.sh

t_home
R=$ROUNDS
D=lists.example.test
DB=$ROUNDS_HOME/rounds.db
tomorrow=$(date -u -d 'tomorrow 12:00' +%Y-%m-%dT%H:%M:%SZ)
dayafter=$(date -u -d '2 days 12:00' +%Y-%m-%dT%H:%M:%SZ)
printf '\n[digest]\nmax-size = 64K\n' >>"$ROUNDS_HOME/rounds.conf"
"$R" community create care --title "Care Team" --policy open >/dev/null
"$R" member add care reader@example.org --name "Rea Reader" >/dev/null

# A post with 400 small PNG attachments, as a phone's "share all" makes.
t_png "$T_TMP/one.png" 22
python3 - "$T_TMP/images.eml" "$T_TMP/one.png" <<'PY'
import sys, os
from email.message import EmailMessage
m = EmailMessage()
m["From"] = "Sam <sam@example.com>"
m["To"] = "care@lists.example.test"
m["Subject"] = "Photos of the ward"
m["Date"] = "Mon, 23 Nov 2026 08:00:00 +0000"
m["Message-ID"] = "<images@example.net>"
m.set_content("All the photos from today.\n")
png = open(sys.argv[2], "rb").read()
for i in range(400):
    m.add_attachment(png, maintype="image", subtype="png", filename=f"photo{i}.png")
open(sys.argv[1], "wb").write(bytes(m))
PY
deliver "care@$D" "$T_TMP/images.eml" >/dev/null 2>&1
# Five long posts in five conversations: together far over 64K.
for i in 1 2 3 4 5; do
	{
		printf 'From: Lee <lee@example.com>\nTo: care@%s\nSubject: Long report %s\n' "$D" "$i"
		printf 'Date: Mon, 23 Nov 2026 09:0%s:00 +0000\nMessage-ID: <long%s@example.net>\n' "$i" "$i"
		printf 'Content-Type: text/plain; charset=utf-8\n\n'
		for l in $(seq 1 12); do printf 'Line %s of report %s: %s\n' "$l" "$i" "$(printf 'word%.0s ' $(seq 1 200))"; done
	} >"$T_TMP/long$i.eml"
	deliver "care@$D" "$T_TMP/long$i.eml" >/dev/null 2>&1
done
expect_eq "all six posts are stored" "$("$R" message list care --json | json 'len(d)')" 6

# A minimal SMTP server that answers 250 to DATA only once the message is
# on disk, so that the file is there when tick returns.
cat >"$T_TMP/sink.py" <<'PY'
import socketserver, sys, os
out = sys.argv[1]
class H(socketserver.StreamRequestHandler):
    def handle(self):
        w = lambda s: (self.wfile.write((s + "\r\n").encode()), self.wfile.flush())
        w("220 sink")
        n = 0
        while True:
            line = self.rfile.readline()
            if not line:
                return
            cmd = line.decode("latin-1").strip().upper()
            if cmd.startswith("EHLO"):
                w("250-sink\r\n250 8BITMIME")
            elif cmd.startswith("DATA"):
                w("354 go on")
                data = bytearray()
                while True:
                    l = self.rfile.readline()
                    if l in (b".\r\n", b".\n", b""):
                        break
                    data += l[1:] if l.startswith(b"..") else l
                n += 1
                p = os.path.join(out, "%d.%d.eml" % (os.getpid(), len(os.listdir(out))))
                with open(p, "wb") as f:
                    f.write(data)
                    f.flush()
                    os.fsync(f.fileno())
                w("250 stored")
            elif cmd.startswith("QUIT"):
                w("221 bye")
                return
            else:
                w("250 ok")
socketserver.TCPServer.allow_reuse_address = True
s = socketserver.TCPServer(("127.0.0.1", 0), H)
print(s.server_address[1], flush=True)
s.serve_forever()
PY
mkdir "$T_TMP/sink"
mkfifo "$T_TMP/port.fifo"
python3 "$T_TMP/sink.py" "$T_TMP/sink" >"$T_TMP/port.fifo" &
SINK=$!
stop_sink() { kill "$SINK" 2>/dev/null; wait "$SINK" 2>/dev/null; }
t_on_exit stop_sink
read -r port <"$T_TMP/port.fifo"
set_smtp "$port"

expect_code 0 "tick sends the digest" "$R" tick --now "$tomorrow"
f=$(ls "$T_TMP/sink"/*.eml 2>/dev/null | head -1)
if [ -n "$f" ]; then ok "the digest arrived"; else not_ok "the digest arrived"; f=/dev/null; fi
size=$(wc -c <"$f")
if [ "$size" -gt 1000 ] && [ "$size" -le 65536 ]; then ok "the digest stays under max-size (64K)"; else not_ok "the digest stays under max-size (64K)" "$size bytes"; fi
python3 - "$f" >"$T_TMP/digest.txt" <<'PY'
import email, email.policy, sys
m = email.message_from_binary_file(open(sys.argv[1], "rb"), policy=email.policy.default)
print(m.get_body(("plain",)).get_content())
PY
tr "\n" " " <"$T_TMP/digest.txt" | grep -q "more messages in [0-9]* conversations were left out of this digest for size" &&
	ok "the digest says what was left out for size" ||
	not_ok "the digest says what was left out for size" "$(head -c 600 "$T_TMP/digest.txt")"
grep -q 'And 380 more attachments' "$T_TMP/digest.txt" &&
	ok "a message lists 20 attachments and counts the rest" ||
	not_ok "a message lists 20 attachments and counts the rest" "$(grep -c 'Attachment:' "$T_TMP/digest.txt") listed"
# The left-out list carries each conversation's get link.
tok=$(sed -n '/^== Left out for size ==/,$p' "$T_TMP/digest.txt" | grep -o 'subject=get%20[a-z2-7]*' | head -1 | sed 's/subject=get%20//')
expect_eq "a left-out conversation has a get link" "${tok:+yes}" yes
before=$(outbox_n 'o["recipient"] == "reader@example.org" and "the whole conversation" in (o["subject"] or "")')
printf 'From: reader@example.org\nTo: care+request@%s\nSubject: get %s\nMessage-ID: <get1@example.org>\n\n' "$D" "$tok" >"$T_TMP/get.eml"
expect_code 0 "get with the left-out link is accepted" deliver "care+request@$D" "$T_TMP/get.eml" reader@example.org
after=$(outbox_n 'o["recipient"] == "reader@example.org" and "the whole conversation" in (o["subject"] or "")')
expect_eq "get sends the left-out conversation" "$after" $((before + 1))
# What was summarised counts as delivered: nothing comes again next day.
expect_code 0 "next day's tick" "$R" tick --now "$dayafter" --no-send
expect_eq "left-out messages are not sent again" \
	"$("$R" outbox list --json | python3 -c 'import json,sys; print(len([o for o in json.load(sys.stdin) if o["kind"] == "digest"]))')" 1

# ---- hostile MIME: refused with 65 and one sentence ----
python3 - "$T_TMP/parts.eml" "$T_TMP/header.eml" <<'PY'
import sys
from email.message import EmailMessage
m = EmailMessage()
m["From"] = "x@example.com"; m["To"] = "care@lists.example.test"
m["Subject"] = "parts"; m["Message-ID"] = "<parts@example.net>"
m.set_content("hi")
for i in range(5000):
    m.add_attachment(b"x", maintype="application", subtype="octet-stream", filename=f"f{i}")
open(sys.argv[1], "wb").write(bytes(m))
h = "From: x@example.com\nTo: care@lists.example.test\nSubject: header\nMessage-ID: <header@example.net>\n"
h += "X-Padding: " + "\n ".join("pad" * 20 for _ in range(2 * 1024 * 1024 // 62)) + "\n\nbody\n"
open(sys.argv[2], "w").write(h)
PY
expect_code 65 "5,000 MIME parts: exit 65" deliver "care@$D" "$T_TMP/parts.eml" x@example.com
grep -q 'The message has more than 1000 MIME parts' "$T_TMP/err" && ok "5,000 parts: the sentence says why" ||
	not_ok "5,000 parts: the sentence says why" "$(cat "$T_TMP/err")"
expect_code 65 "2 MB header: exit 65" deliver "care@$D" "$T_TMP/header.eml" x@example.com
grep -q 'The message header is larger than 1 MB' "$T_TMP/err" && ok "2 MB header: the sentence says why" ||
	not_ok "2 MB header: the sentence says why" "$(cat "$T_TMP/err")"
# Import shares the parsing: the hostile message is reported, the rest imported.
mkdir -p "$T_TMP/maildir/cur" "$T_TMP/maildir/new" "$T_TMP/maildir/tmp"
cp "$T_TMP/parts.eml" "$T_TMP/maildir/cur/1.host:2,S"
printf 'From: Ann <ann@example.com>\nSubject: Fine\nMessage-ID: <fine@example.net>\nDate: Mon, 23 Nov 2026 10:00:00 +0000\n\nFine.\n' >"$T_TMP/maildir/cur/2.host:2,S"
expect_code 65 "import: a message over the limits is reported (65), not fatal" "$R" import -q care "$T_TMP/maildir"
grep -q 'more than 1000 MIME parts' "$T_TMP/err" "$T_TMP/out" && ok "import names the reason" ||
	not_ok "import names the reason" "$(cat "$T_TMP/err")"
expect_eq "import: the ordinary message is imported" \
	"$("$R" message list care --json | json 'len([m for m in d if m.get("subject") == "Fine"])')" 1

# ---- partials in a per-community template stay in the template directory ----
mkdir -p "$ROUNDS_HOME/templates/care"
echo "LEAKED-SECRET" >"$ROUNDS_HOME/templates/secret.mustache"
echo "our footer" >"$ROUNDS_HOME/templates/care/footer.mustache"
printf 'Digest {{title}}\n{{> ../secret}}\n{{> footer}}\n' >"$ROUNDS_HOME/templates/care/digest.txt.mustache"
expect_code 0 "preview with a per-community override" "$R" digest preview reader@example.org --now "$dayafter"
grep -q 'LEAKED-SECRET' "$T_TMP/out" && not_ok "{{> ../secret}} does not read outside the community's templates" ||
	ok "{{> ../secret}} does not read outside the community's templates"
grep -q 'our footer' "$T_TMP/out" && ok "a plain partial name still works" ||
	not_ok "a plain partial name still works" "$(cat "$T_TMP/out" "$T_TMP/err")"
rm -r "$ROUNDS_HOME/templates/care" "$ROUNDS_HOME/templates/secret.mustache"

# ---- templates are never read from the current directory ----
mkdir -p "$T_TMP/cwd/templates" "$T_TMP/inst/bin"
for t in README digest.txt.mustache digest.html.mustache help.txt.mustache; do
	echo "HOSTILE TEMPLATE" >"$T_TMP/cwd/templates/$t"
done
# An installed copy: the binary outside any checkout.
cp "$R" "$T_TMP/inst/bin/rounds"
(cd "$T_TMP/cwd" && "$T_TMP/inst/bin/rounds" digest preview reader@example.org --now "$dayafter") >"$T_TMP/out" 2>&1
grep -q 'HOSTILE' "$T_TMP/out" && not_ok "an installed binary ignores ./templates" "$(head -3 "$T_TMP/out")" ||
	ok "an installed binary ignores ./templates"
# The binary of the checkout uses the checkout's templates wherever it runs.
(cd "$T_TMP/cwd" && "$R" digest preview reader@example.org --now "$dayafter") >"$T_TMP/out" 2>&1
grep -q 'HOSTILE' "$T_TMP/out" && not_ok "the checkout's binary ignores ./templates" "$(head -3 "$T_TMP/out")" ||
	ok "the checkout's binary ignores ./templates"
grep -q 'Hello Rea Reader' "$T_TMP/out" && ok "the checkout's binary finds its templates from elsewhere" ||
	not_ok "the checkout's binary finds its templates from elsewhere" "$(head -3 "$T_TMP/out")"
(cd "$T_TMP/cwd" && printf 'From: reader@example.org\nTo: care+request@%s\nSubject: help\nMessage-ID: <help1@example.org>\n\n' "$D" |
	"$T_TMP/inst/bin/rounds" deliver --recipient "care+request@$D" --sender reader@example.org) >/dev/null 2>&1
case "$(outbox_last reader@example.org)" in *HOSTILE*) not_ok "command replies of an installed binary ignore ./templates" ;;
*) ok "command replies of an installed binary ignore ./templates" ;; esac

# ---- automatic mail: X-Loop on every notice, a flood of replies bounded ----
# A stranger who has reader's conversation address (a forwarded digest)
# sends replies from their own address: each is held and asks reader to
# confirm it.  Those questions count against reader's daily limit of
# automatic mail (reply-limit, 5) like every other notice.
RADDR=$(grep -o 'care+r-[a-z2-7]*@lists\.example\.test' "$T_TMP/digest.txt" | head -1)
expect_eq "the digest carries a conversation's reply address" "${RADDR:+yes}" yes
# notices ADDR: "N M" - automatic mail (not digests) that reached ADDR,
# and how many of those lack X-Loop naming the list.
notices() {
	python3 - "$T_TMP/sink" "$1" <<'PY'
import email, email.policy, glob, sys
n = bad = 0
for f in glob.glob(sys.argv[1] + "/*.eml"):
    m = email.message_from_binary_file(open(f, "rb"), policy=email.policy.default)
    if sys.argv[2] not in str(m["To"] or "") or not m["Auto-Submitted"] or m["Precedence"] == "list":
        continue
    n += 1
    bad += (m["X-Loop"] or "").strip() != "care@lists.example.test"
print(n, bad)
PY
}
"$R" outbox flush >/dev/null 2>&1
read -r before _ <<<"$(notices reader@example.org)"
for i in 1 2 3 4 5 6 7 8; do
	printf 'From: Stranger <stranger@example.net>\nTo: %s\nSubject: Re: digest\nMessage-ID: <flood%s@example.net>\nDate: Tue, 24 Nov 2026 10:0%s:00 +0000\n\nPost this as reader, number %s.\n' \
		"$RADDR" "$i" "$i" "$i" >"$T_TMP/flood.eml"
	deliver "$RADDR" "$T_TMP/flood.eml" stranger@example.net >/dev/null 2>&1
done
expect_eq "eight replies from another address are held" \
	"$("$R" message list care --json | json 'len([m for m in d if m["status"] == "held" and m["from"] == "stranger@example.net"])')" 8
"$R" outbox flush >/dev/null 2>&1
read -r after missing <<<"$(notices reader@example.org)"
if [ "$before" -lt 5 ] && [ "$after" -eq 5 ]; then ok "a flood of replies: reader gets no more than the limit of notices"; else
	not_ok "a flood of replies: reader gets no more than the limit of notices" "before $before, after $after (limit 5)"; fi
read -r all missing <<<"$(notices @)"
if [ "$all" -gt 0 ] && [ "$missing" -eq 0 ]; then ok "every automatic mail carries X-Loop"; else
	not_ok "every automatic mail carries X-Loop" "$missing of $all lack it"; fi

t_done
