# tests/dovecot.sh - a private Dovecot (IMAP, POP3, both with TLS) for tests.
#
# Source it after tests/lib.sh.  dovecot_start writes a configuration, a
# self-signed certificate (for localhost and 127.0.0.1) and a passwd-file
# into a directory under $T_TMP, listens on free ports of 127.0.0.1 (and
# 127.0.0.2, an address the certificate does not name) and registers dovecot_stop to run when
# the script ends.  It sets:
#   DOVECOT_USER DOVECOT_PASSWORD_FILE  the one mailbox user and its password
#   DOVECOT_MAILDIR                     that user's Maildir (new/ cur/ tmp/)
#   DOVECOT_CA                          the certificate, to pass as --ca-file
#   DOVECOT_IMAP DOVECOT_IMAPS DOVECOT_POP3 DOVECOT_POP3S   ports
# dovecot_put FILE... copies messages into the Maildir's new/ as a local
# delivery agent would.

dovecot_free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

dovecot_wait_port() { # PORT: up to 10 s
	python3 - "$1" <<'PY'
import socket, sys, time
for _ in range(100):
    try:
        socket.create_connection(("127.0.0.1", int(sys.argv[1])), 0.2).close()
        sys.exit(0)
    except OSError:
        time.sleep(0.1)
sys.exit(1)
PY
}

dovecot_start() {
	command -v dovecot >/dev/null || return 1
	DOVECOT_DIR=$(mktemp -d "$T_TMP/dovecot.XXXXXX")
	# Dovecot's processes run as nobody and dovenull: they must reach it.
	chmod 755 "$T_TMP" "$DOVECOT_DIR"
	mkdir -p "$DOVECOT_DIR/run" "$DOVECOT_DIR/state" "$DOVECOT_DIR/mail"
	DOVECOT_USER=family
	DOVECOT_PASSWORD_FILE="$DOVECOT_DIR/password"
	echo "Sunflower-7-harbour" >"$DOVECOT_PASSWORD_FILE"
	echo "$DOVECOT_USER:{PLAIN}Sunflower-7-harbour::::::" >"$DOVECOT_DIR/passwd"
	DOVECOT_MAILDIR="$DOVECOT_DIR/mail/$DOVECOT_USER"
	mkdir -p "$DOVECOT_MAILDIR/new" "$DOVECOT_MAILDIR/cur" "$DOVECOT_MAILDIR/tmp"
	chown -R nobody:nogroup "$DOVECOT_DIR/mail"
	DOVECOT_CA="$DOVECOT_DIR/cert.pem"
	openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=localhost \
		-addext "subjectAltName=DNS:localhost,IP:127.0.0.1" \
		-keyout "$DOVECOT_DIR/key.pem" -out "$DOVECOT_CA" >/dev/null 2>&1 || return 1
	DOVECOT_IMAP=$(dovecot_free_port)
	DOVECOT_IMAPS=$(dovecot_free_port)
	DOVECOT_POP3=$(dovecot_free_port)
	DOVECOT_POP3S=$(dovecot_free_port)
	cat >"$DOVECOT_DIR/dovecot.conf" <<CONF
base_dir = $DOVECOT_DIR/run
state_dir = $DOVECOT_DIR/state
log_path = $DOVECOT_DIR/dovecot.log
protocols = imap pop3
listen = 127.0.0.1, 127.0.0.2
ssl = yes
ssl_cert = <$DOVECOT_DIR/cert.pem
ssl_key = <$DOVECOT_DIR/key.pem
disable_plaintext_auth = yes
auth_mechanisms = plain
passdb {
  driver = passwd-file
  args = scheme=PLAIN $DOVECOT_DIR/passwd
}
userdb {
  driver = static
  args = uid=nobody gid=nogroup home=$DOVECOT_DIR/mail/%u
}
mail_location = maildir:$DOVECOT_DIR/mail/%u
pop3_uidl_format = %08Xu%08Xv
service imap-login {
  inet_listener imap {
    port = $DOVECOT_IMAP
  }
  inet_listener imaps {
    port = $DOVECOT_IMAPS
    ssl = yes
  }
}
service pop3-login {
  inet_listener pop3 {
    port = $DOVECOT_POP3
  }
  inet_listener pop3s {
    port = $DOVECOT_POP3S
    ssl = yes
  }
}
CONF
	dovecot -c "$DOVECOT_DIR/dovecot.conf" || return 1
	t_on_exit dovecot_stop
	for p in $DOVECOT_IMAP $DOVECOT_IMAPS $DOVECOT_POP3 $DOVECOT_POP3S; do
		dovecot_wait_port "$p" || return 1
	done
	DOVECOT_SEQ=0
	export DOVECOT_USER DOVECOT_PASSWORD_FILE DOVECOT_MAILDIR DOVECOT_CA
	export DOVECOT_IMAP DOVECOT_IMAPS DOVECOT_POP3 DOVECOT_POP3S
}

dovecot_stop() {
	[ -n "${DOVECOT_DIR:-}" ] || return 0
	if [ -f "$DOVECOT_DIR/run/master.pid" ]; then
		pid=$(cat "$DOVECOT_DIR/run/master.pid")
		kill "$pid" 2>/dev/null
		for _ in 1 2 3 4 5 6 7 8 9 10; do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
	fi
	DOVECOT_DIR=
}

# dovecot_put FILE...: deliver into new/ with unique Maildir names.
dovecot_put() {
	for f in "$@"; do
		DOVECOT_SEQ=$((DOVECOT_SEQ + 1))
		n="$(date +%s).M${DOVECOT_SEQ}P$$.testhost"
		cp "$f" "$DOVECOT_MAILDIR/tmp/$n"
		chown nobody:nogroup "$DOVECOT_MAILDIR/tmp/$n"
		mv "$DOVECOT_MAILDIR/tmp/$n" "$DOVECOT_MAILDIR/new/$n"
	done
}

# dovecot_count: messages in the mailbox (new/ and cur/).
dovecot_count() {
	find "$DOVECOT_MAILDIR/new" "$DOVECOT_MAILDIR/cur" -type f | wc -l
}
