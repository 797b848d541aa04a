/* lmtp.c - the LMTP server (RFC 2033) behind `rounds lmtp`.
 *
 * Two halves.  The session is a state machine without I/O: bytes in, reply
 * lines out (rd_lmtp_session_feed), so a fuzzer or a unit test can drive
 * it.  The server runs one session per connection in GIO's threaded socket
 * service, several connections at once, on a UNIX socket, loopback TCP or
 * sockets passed by systemd.
 *
 * Protocol notes.  LHLO is required (RFC 2033 4.1: HELO and EHLO are
 * refused).  The extensions offered are PIPELINING (replies are written
 * after each read, however many commands it held), ENHANCEDSTATUSCODES,
 * 8BITMIME and SIZE.  After the final dot every accepted recipient gets
 * its own reply, in RCPT order, and each is given only after that
 * recipient's copy is committed (the caller's deliver function returns
 * once its transaction is).  The message is dot-unstuffed and stored with
 * LF line ends, as the pipe delivers it.  Limits: a command line of 2,048
 * bytes (500 5.5.2 past it); data lines have no limit of their own (long
 * ones are taken in pieces) but the message has max_size: past it the
 * rest is read and dropped, and every recipient gets 552 5.3.4.
 */
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gio/gio.h>
#include <gio/gunixsocketaddress.h>
#include <glib-unix.h>

#include "lmtp.h"
#include "log.h"

#define LMTP_LINE_MAX 2048
#define LMTP_RECIPIENTS_MAX 1000

typedef enum {
	LMTP_GREETED, /* waiting for LHLO */
	LMTP_READY,   /* LHLO done, no transaction */
	LMTP_MAIL,    /* MAIL accepted; RCPTs may follow */
	LMTP_DATA,    /* reading the message */
	LMTP_CLOSED,  /* QUIT */
} lmtp_state;

struct rd_lmtp_session {
	rd_lmtp_params p;
	lmtp_state state;
	GByteArray *line;  /* an incomplete line */
	gboolean skipping; /* a command line too long: dropping it to its LF */
	gboolean midline;  /* DATA: part of the current line is in msg already */
	char *sender;      /* of the transaction; "" for <> */
	GPtrArray *rcpts;  /* accepted recipients */
	GByteArray *msg;   /* the message so far, unstuffed */
	gboolean too_big;  /* the message passed max_size */
};

static void reply(GString *out, const char *fmt, ...) G_GNUC_PRINTF(2, 3);

static void
reply(GString *out, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	g_string_append_vprintf(out, fmt, ap);
	va_end(ap);
	g_string_append(out, "\r\n");
}

static void
txn_reset(rd_lmtp_session *s)
{
	g_clear_pointer(&s->sender, g_free);
	g_ptr_array_set_size(s->rcpts, 0);
	g_byte_array_set_size(s->msg, 0);
	s->too_big = FALSE;
	s->midline = FALSE;
	if (s->state == LMTP_MAIL || s->state == LMTP_DATA)
		s->state = LMTP_READY;
}

rd_lmtp_session *
rd_lmtp_session_new(const rd_lmtp_params *p, GString *out)
{
	rd_lmtp_session *s = g_new0(rd_lmtp_session, 1);

	s->p = *p;
	if (s->p.hostname == NULL)
		s->p.hostname = "localhost";
	if (s->p.max_recipients == 0)
		s->p.max_recipients = LMTP_RECIPIENTS_MAX;
	s->line = g_byte_array_new();
	s->rcpts = g_ptr_array_new_with_free_func(g_free);
	s->msg = g_byte_array_new();
	s->state = LMTP_GREETED;
	reply(out, "220 %s LMTP Rounds ready", s->p.hostname);
	return s;
}

void
rd_lmtp_session_free(rd_lmtp_session *s)
{
	if (s == NULL)
		return;
	g_byte_array_unref(s->line);
	g_ptr_array_unref(s->rcpts);
	g_byte_array_unref(s->msg);
	g_free(s->sender);
	g_free(s);
}

gboolean
rd_lmtp_session_busy(const rd_lmtp_session *s)
{
	return s->state == LMTP_MAIL || s->state == LMTP_DATA;
}

/* "FROM:" or "TO:" after the verb, then <path> and parameters.  Returns
 * the path without brackets (may be "") and sets *PARAMS to what follows,
 * or NULL when the syntax is wrong.  Quoted local parts may hold '>'. */
static char *
parse_path(const char *arg, const char *keyword, const char **params)
{
	gsize kl = strlen(keyword);
	const char *p, *start;
	gboolean quoted = FALSE;

	if (g_ascii_strncasecmp(arg, keyword, kl) != 0)
		return NULL;
	p = arg + kl;
	while (*p == ' ')
		p++;
	if (*p != '<')
		return NULL;
	start = ++p;
	for (; *p; p++) {
		if (*p == '\\' && quoted && p[1])
			p++;
		else if (*p == '"')
			quoted = !quoted;
		else if (*p == '>' && !quoted)
			break;
	}
	if (*p != '>')
		return NULL;
	*params = p + 1;
	/* A source route (<@a,@b:user@c>) is ignored, as RFC 5321 allows. */
	if (*start == '@') {
		const char *colon = memchr(start, ':', (gsize)(p - start));

		if (colon != NULL)
			start = colon + 1;
	}
	return g_strndup(start, (gsize)(p - start));
}

/* deliver's sentence for a message over the limit (RD_DATAERR there). */
static void
reply_too_big(const rd_lmtp_session *s, GString *out)
{
	reply(out,
	      "552 5.3.4 The message is larger than this list accepts (%" G_GINT64_FORMAT
	      " bytes at most).",
	      s->p.max_size);
}

/* MAIL and RCPT parameters: KEY=VALUE words.  FALSE with a reply in OUT
 * for one this server does not know or cannot meet. */
static gboolean
check_params(rd_lmtp_session *s, const char *params, gboolean mail, GString *out)
{
	g_auto(GStrv) words = g_strsplit(params, " ", -1);

	for (char **w = words; *w; w++) {
		const char *eq = strchr(*w, '=');

		if (**w == '\0')
			continue;
		if (mail && eq && g_ascii_strncasecmp(*w, "SIZE=", 5) == 0) {
			guint64 n;

			if (!g_ascii_string_to_unsigned(eq + 1, 10, 0, G_MAXUINT64, &n, NULL)) {
				reply(out, "501 5.5.4 Bad SIZE parameter");
				return FALSE;
			}
			if (s->p.max_size > 0 && n > (guint64)s->p.max_size) {
				reply_too_big(s, out);
				return FALSE;
			}
		} else if (mail && eq && g_ascii_strncasecmp(*w, "BODY=", 5) == 0) {
			if (g_ascii_strcasecmp(eq + 1, "7BIT") != 0 &&
			    g_ascii_strcasecmp(eq + 1, "8BITMIME") != 0) {
				reply(out, "501 5.5.4 Unknown BODY type");
				return FALSE;
			}
		} else {
			reply(out, "555 5.5.4 Unsupported parameter %.64s", *w);
			return FALSE;
		}
	}
	return TRUE;
}

/* One sentence on one line, for a reply. */
static char *
one_line(const char *text, const char *fallback)
{
	char *t = g_strdup(text && *text ? text : fallback);

	for (char *p = t; *p; p++)
		if (*p == '\r' || *p == '\n' || (guchar)*p < 0x20)
			*p = ' ';
	return t;
}

/* The end of DATA: one reply per recipient, each after its delivery. */
static void
end_data(rd_lmtp_session *s, GString *out)
{
	g_autoptr(GBytes) data = NULL;

	if (!s->too_big)
		data = g_bytes_new(s->msg->data, s->msg->len);
	for (guint i = 0; i < s->rcpts->len; i++) {
		const char *rcpt = g_ptr_array_index(s->rcpts, i);
		g_autoptr(GError) err = NULL;
		g_autofree char *text = NULL;
		rd_status st;

		if (s->too_big) {
			reply_too_big(s, out);
			continue;
		}
		st = s->p.deliver(s->p.data, s->p.trusted, s->sender, rcpt, data, &err);
		/* The same verdicts as rounds deliver's exit codes: only one on
		 * the mail itself is permanent, every fault of ours is 451. */
		switch (rd_status_mta_exit(st)) {
		case 0:
			reply(out, "250 2.0.0 <%s> stored", rcpt);
			break;
		case 65: /* EX_DATAERR */
			text = one_line(err ? err->message : NULL, "The message cannot be read.");
			reply(out, "554 5.6.0 %s", text);
			break;
		case 67: /* EX_NOUSER */
			text = one_line(err ? err->message : NULL, "No such community.");
			reply(out, "550 5.1.1 %s", text);
			break;
		case 69: /* EX_UNAVAILABLE */
			text = one_line(err ? err->message : NULL, "This address is not enabled.");
			reply(out, "550 5.3.3 %s", text);
			break;
		case 77: /* EX_NOPERM */
			text = one_line(err ? err->message : NULL, "Refused by the list's policy.");
			reply(out, "550 5.7.1 %s", text);
			break;
		default:
			text = one_line(err ? err->message : NULL,
			                "A temporary failure; the message will be retried.");
			reply(out, "451 4.3.0 %s", text);
			break;
		}
	}
	txn_reset(s);
}

static void
msg_append(rd_lmtp_session *s, const char *b, gsize n)
{
	if (s->too_big)
		return;
	if (s->p.max_size > 0 && (gint64)(s->msg->len + n) > s->p.max_size) {
		s->too_big = TRUE;
		g_byte_array_set_size(s->msg, 0);
		return;
	}
	g_byte_array_append(s->msg, (const guint8 *)b, (guint)n);
}

/* A piece of the message: a whole line (COMPLETE, its CRLF or LF
 * stripped) or the first part of a long one. */
static void
data_piece(rd_lmtp_session *s, const char *l, gsize n, gboolean complete, GString *out)
{
	if (!s->midline) {
		if (complete && n == 1 && l[0] == '.') {
			end_data(s, out);
			return;
		}
		if (n > 0 && l[0] == '.') {
			l++;
			n--;
		}
	}
	msg_append(s, l, n);
	if (complete)
		msg_append(s, "\n", 1);
	s->midline = !complete;
}

static gboolean
command(rd_lmtp_session *s, char *l, GString *out)
{
	char *arg = strchr(l, ' ');
	g_autofree char *path = NULL;
	const char *params = "";

	if (arg != NULL)
		*arg++ = '\0';
	else
		arg = l + strlen(l);
	if (g_ascii_strcasecmp(l, "LHLO") == 0) {
		if (*g_strstrip(arg) == '\0') {
			reply(out, "501 5.5.4 LHLO needs a host name");
			return TRUE;
		}
		txn_reset(s);
		s->state = LMTP_READY;
		g_string_append_printf(out,
		                       "250-%s\r\n250-PIPELINING\r\n250-ENHANCEDSTATUSCODES\r\n"
		                       "250-8BITMIME\r\n",
		                       s->p.hostname);
		if (s->p.max_size > 0)
			reply(out, "250 SIZE %" G_GINT64_FORMAT, s->p.max_size);
		else
			reply(out, "250 SIZE");
	} else if (g_ascii_strcasecmp(l, "HELO") == 0 || g_ascii_strcasecmp(l, "EHLO") == 0) {
		reply(out, "500 5.5.1 This is an LMTP server: use LHLO");
	} else if (g_ascii_strcasecmp(l, "MAIL") == 0) {
		if (s->state == LMTP_GREETED)
			reply(out, "503 5.5.1 LHLO first");
		else if (s->state != LMTP_READY)
			reply(out, "503 5.5.1 Nested MAIL command");
		else if ((path = parse_path(arg, "FROM:", &params)) == NULL)
			reply(out, "501 5.5.4 Syntax: MAIL FROM:<address>");
		else if (check_params(s, params, TRUE, out)) {
			s->sender = g_steal_pointer(&path);
			s->state = LMTP_MAIL;
			reply(out, "250 2.1.0 Sender OK");
		}
	} else if (g_ascii_strcasecmp(l, "RCPT") == 0) {
		if (s->state != LMTP_MAIL)
			reply(out, "503 5.5.1 MAIL first");
		else if ((path = parse_path(arg, "TO:", &params)) == NULL)
			reply(out, "501 5.5.4 Syntax: RCPT TO:<address>");
		else if (*path == '\0' || strchr(path, '@') == NULL)
			reply(out, "501 5.1.3 Bad recipient address syntax");
		else if (s->rcpts->len >= s->p.max_recipients)
			reply(out, "452 4.5.3 Too many recipients");
		else if (check_params(s, params, FALSE, out)) {
			g_ptr_array_add(s->rcpts, g_steal_pointer(&path));
			reply(out, "250 2.1.5 Recipient OK");
		}
	} else if (g_ascii_strcasecmp(l, "DATA") == 0) {
		if (s->state != LMTP_MAIL)
			reply(out, "503 5.5.1 MAIL first");
		else if (s->rcpts->len == 0)
			reply(out, "554 5.5.1 No valid recipients");
		else {
			s->state = LMTP_DATA;
			reply(out, "354 End data with <CR><LF>.<CR><LF>");
		}
	} else if (g_ascii_strcasecmp(l, "RSET") == 0) {
		txn_reset(s);
		reply(out, "250 2.0.0 OK");
	} else if (g_ascii_strcasecmp(l, "NOOP") == 0) {
		reply(out, "250 2.0.0 OK");
	} else if (g_ascii_strcasecmp(l, "VRFY") == 0) {
		reply(out, "252 2.5.0 Cannot VRFY; send the message");
	} else if (g_ascii_strcasecmp(l, "QUIT") == 0) {
		reply(out, "221 2.0.0 Bye");
		s->state = LMTP_CLOSED;
		return FALSE;
	} else {
		reply(out, "500 5.5.2 Command not recognised");
	}
	return TRUE;
}

/* A complete line (CRLF or LF stripped). */
static gboolean
line_done(rd_lmtp_session *s, char *l, gsize n, GString *out)
{
	if (s->state == LMTP_DATA) {
		data_piece(s, l, n, TRUE, out);
		return TRUE;
	}
	if (memchr(l, '\0', n) != NULL) {
		reply(out, "500 5.5.2 Command not recognised");
		return TRUE;
	}
	return command(s, l, out);
}

gboolean
rd_lmtp_session_feed(rd_lmtp_session *s, const char *buf, gsize len, GString *out)
{
	while (len > 0 && s->state != LMTP_CLOSED) {
		const char *nl = memchr(buf, '\n', len);
		gsize take = nl ? (gsize)(nl - buf) + 1 : len;

		if (s->skipping) {
			/* The rest of a command line that was too long. */
			if (nl != NULL) {
				s->skipping = FALSE;
				reply(out, "500 5.5.2 Line too long");
			}
		} else {
			g_byte_array_append(s->line, (const guint8 *)buf, (guint)take);
			if (nl != NULL) {
				gsize n = s->line->len - 1;
				gboolean go;

				if (n > 0 && s->line->data[n - 1] == '\r')
					n--;
				/* NUL-terminated for the command parser. */
				g_byte_array_set_size(s->line, (guint)n + 1);
				s->line->data[n] = '\0';
				if (s->state != LMTP_DATA && n > LMTP_LINE_MAX) {
					reply(out, "500 5.5.2 Line too long");
					go = TRUE;
				} else
					go = line_done(s, (char *)s->line->data, n, out);
				g_byte_array_set_size(s->line, 0);
				if (!go)
					return FALSE;
			} else if (s->line->len > LMTP_LINE_MAX) {
				if (s->state == LMTP_DATA) {
					/* Keep a trailing CR: its LF may come next. */
					gsize n = s->line->len;
					gboolean cr = s->line->data[n - 1] == '\r';

					data_piece(s, (const char *)s->line->data, n - cr, FALSE,
					           out);
					g_byte_array_set_size(s->line, 0);
					if (cr)
						g_byte_array_append(s->line, (const guint8 *)"\r",
						                    1);
				} else {
					s->skipping = TRUE;
					g_byte_array_set_size(s->line, 0);
				}
			}
		}
		buf += take;
		len -= take;
	}
	return s->state != LMTP_CLOSED;
}

/* ---- the server ---- */

struct rd_lmtp_server {
	rd_lmtp_params p;
	guint idle_timeout;
	GSocketService *service;
	GPtrArray *unix_paths; /* removed when the server is freed */
	gint active;           /* connections accepted and not yet closed */
	gint stopping;
	GMainLoop *loop;
};

rd_lmtp_server *
rd_lmtp_server_new(const rd_lmtp_params *p, guint idle_timeout, guint max_connections)
{
	rd_lmtp_server *srv = g_new0(rd_lmtp_server, 1);

	srv->p = *p;
	srv->idle_timeout = idle_timeout ? idle_timeout : 300;
	srv->service = g_threaded_socket_service_new(max_connections ? (int)max_connections : 16);
	srv->unix_paths = g_ptr_array_new_with_free_func(g_free);
	return srv;
}

void
rd_lmtp_server_free(rd_lmtp_server *srv)
{
	if (srv == NULL)
		return;
	g_socket_service_stop(srv->service);
	g_socket_listener_close(G_SOCKET_LISTENER(srv->service));
	g_object_unref(srv->service);
	for (guint i = 0; i < srv->unix_paths->len; i++)
		unlink(g_ptr_array_index(srv->unix_paths, i));
	g_ptr_array_unref(srv->unix_paths);
	g_clear_pointer(&srv->loop, g_main_loop_unref);
	g_free(srv);
}

/* Is another server answering on the UNIX socket PATH? */
static gboolean
unix_in_use(const char *path)
{
	g_autoptr(GSocket) sock = g_socket_new(G_SOCKET_FAMILY_UNIX, G_SOCKET_TYPE_STREAM,
	                                       G_SOCKET_PROTOCOL_DEFAULT, NULL);
	g_autoptr(GSocketAddress) a = g_unix_socket_address_new(path);

	return sock != NULL && g_socket_connect(sock, a, NULL, NULL);
}

gboolean
rd_lmtp_server_add_unix(rd_lmtp_server *srv, const char *path, int mode, int owner, int group,
                        GError **error)
{
	g_autoptr(GSocketAddress) a = g_unix_socket_address_new(path);
	struct stat st;
	mode_t old;
	gboolean ok;

	if (lstat(path, &st) == 0) {
		if (!S_ISSOCK(st.st_mode)) {
			g_set_error(error, RD_ERROR, RD_CANTCREAT, "%s exists and is not a socket",
			            path);
			return FALSE;
		}
		if (unix_in_use(path)) {
			g_set_error(error, RD_ERROR, RD_TEMPFAIL,
			            "another server is listening on %s", path);
			return FALSE;
		}
		unlink(path); /* left by a server that died */
	}
	/* Nobody may connect before the mode below is set. */
	old = umask(0177);
	ok = g_socket_listener_add_address(G_SOCKET_LISTENER(srv->service), a, G_SOCKET_TYPE_STREAM,
	                                   G_SOCKET_PROTOCOL_DEFAULT, NULL, NULL, error);
	umask(old);
	if (!ok) {
		g_prefix_error(error, "cannot listen on %s: ", path);
		return FALSE;
	}
	g_ptr_array_add(srv->unix_paths, g_strdup(path));
	if ((owner != -1 || group != -1) && chown(path, (uid_t)owner, (gid_t)group) != 0) {
		g_set_error(error, RD_ERROR, RD_NOPERM, "cannot give %s its owner: %s", path,
		            g_strerror(errno));
		return FALSE;
	}
	if (chmod(path, (mode_t)mode) != 0) {
		g_set_error(error, RD_ERROR, RD_NOPERM, "cannot set the mode of %s: %s", path,
		            g_strerror(errno));
		return FALSE;
	}
	return TRUE;
}

gboolean
rd_lmtp_server_add_tcp(rd_lmtp_server *srv, const char *address, GError **error)
{
	g_autoptr(GSocketConnectable) na = g_network_address_parse(address, 0, error);
	g_autoptr(GInetAddress) ia = NULL;
	g_autoptr(GSocketAddress) sa = NULL;
	guint16 port;

	if (na == NULL)
		return FALSE;
	port = g_network_address_get_port(G_NETWORK_ADDRESS(na));
	ia = g_inet_address_new_from_string(g_network_address_get_hostname(G_NETWORK_ADDRESS(na)));
	if (ia == NULL || port == 0 || !g_inet_address_get_is_loopback(ia)) {
		/* LMTP carries no authentication: only local clients may speak it. */
		g_set_error(error, RD_ERROR, RD_USAGE,
		            "--listen takes a loopback address and a port, e.g. 127.0.0.1:2003");
		return FALSE;
	}
	sa = g_inet_socket_address_new(ia, port);
	if (!g_socket_listener_add_address(G_SOCKET_LISTENER(srv->service), sa,
	                                   G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, NULL, NULL,
	                                   error)) {
		g_prefix_error(error, "cannot listen on %s: ", address);
		return FALSE;
	}
	return TRUE;
}

gboolean
rd_lmtp_server_add_systemd(rd_lmtp_server *srv, guint *n, GError **error)
{
	const char *pid = g_getenv("LISTEN_PID"), *fds = g_getenv("LISTEN_FDS");
	guint64 want_pid, count;

	*n = 0;
	if (pid == NULL || fds == NULL ||
	    !g_ascii_string_to_unsigned(pid, 10, 1, G_MAXINT, &want_pid, NULL) ||
	    want_pid != (guint64)getpid() ||
	    !g_ascii_string_to_unsigned(fds, 10, 0, 64, &count, NULL))
		return TRUE;
	g_unsetenv("LISTEN_PID");
	g_unsetenv("LISTEN_FDS");
	g_unsetenv("LISTEN_FDNAMES");
	for (guint i = 0; i < count; i++) {
		/* SD_LISTEN_FDS_START: the first passed descriptor is 3. */
		g_autoptr(GSocket) sock = g_socket_new_from_fd(3 + (int)i, error);

		if (sock == NULL || !g_socket_listener_add_socket(G_SOCKET_LISTENER(srv->service),
		                                                  sock, NULL, error))
			return FALSE;
		(*n)++;
	}
	return TRUE;
}

static gboolean
send_all(GSocket *sock, GString *out, guint idle_timeout)
{
	gsize done = 0;
	guint waited = 0;

	while (done < out->len) {
		g_autoptr(GError) err = NULL;
		gssize n = g_socket_send(sock, out->str + done, out->len - done, NULL, &err);

		/* The socket's timeout is a second (for the reads); a client slow
		 * to read its replies gets the idle timeout, as a silent one. */
		if (n < 0 && g_error_matches(err, G_IO_ERROR, G_IO_ERROR_TIMED_OUT) &&
		    ++waited < idle_timeout)
			continue;
		if (n <= 0)
			return FALSE;
		done += (gsize)n;
	}
	g_string_truncate(out, 0);
	return TRUE;
}

/* Counted in the main thread as the connection is accepted, so a stopping
 * server cannot miss one whose thread has not started yet. */
static gboolean
on_incoming(GSocketService *service, GSocketConnection *conn, GObject *source, gpointer data)
{
	rd_lmtp_server *srv = data;

	g_atomic_int_inc(&srv->active);
	return FALSE; /* the threaded service's own handler runs it */
}

/* One connection, in its own thread.  The socket wakes up every second so
 * that a stopping server can end an idle session promptly. */
static gboolean
on_run(GThreadedSocketService *service, GSocketConnection *conn, GObject *source, gpointer data)
{
	rd_lmtp_server *srv = data;
	GSocket *sock = g_socket_connection_get_socket(conn);
	g_autoptr(GString) out = g_string_new(NULL);
	g_autoptr(rd_lmtp_session) s = NULL;
	rd_lmtp_params p = srv->p;
	guint idle = 0;
	char buf[65536];

	p.trusted = g_socket_get_family(sock) == G_SOCKET_FAMILY_UNIX;
	g_socket_set_timeout(sock, 1);
	s = rd_lmtp_session_new(&p, out);
	for (;;) {
		g_autoptr(GError) err = NULL;
		gssize n;

		if (out->len > 0 && !send_all(sock, out, srv->idle_timeout))
			break;
		if (g_atomic_int_get(&srv->stopping) && !rd_lmtp_session_busy(s)) {
			reply(out, "421 4.3.2 Shutting down; try again later");
			send_all(sock, out, srv->idle_timeout);
			break;
		}
		n = g_socket_receive(sock, buf, sizeof buf, NULL, &err);
		if (n < 0 && g_error_matches(err, G_IO_ERROR, G_IO_ERROR_TIMED_OUT)) {
			if (++idle < srv->idle_timeout)
				continue;
			reply(out, "421 4.4.2 Idle for too long; closing");
			send_all(sock, out, srv->idle_timeout);
			break;
		}
		if (n <= 0)
			break;
		idle = 0;
		if (!rd_lmtp_session_feed(s, buf, (gsize)n, out)) {
			send_all(sock, out, srv->idle_timeout);
			break;
		}
	}
	g_io_stream_close(G_IO_STREAM(conn), NULL, NULL);
	g_atomic_int_dec_and_test(&srv->active);
	return TRUE;
}

static gboolean
on_signal(gpointer data)
{
	rd_lmtp_server *srv = data;

	if (!g_atomic_int_get(&srv->stopping)) {
		rd_log_info("lmtp: stopping; finishing %d connection(s)",
		            g_atomic_int_get(&srv->active));
		g_atomic_int_set(&srv->stopping, 1);
		g_socket_service_stop(srv->service);
		g_socket_listener_close(G_SOCKET_LISTENER(srv->service));
	}
	return G_SOURCE_CONTINUE;
}

static gboolean
on_tick(gpointer data)
{
	rd_lmtp_server *srv = data;

	if (g_atomic_int_get(&srv->stopping) && g_atomic_int_get(&srv->active) == 0)
		g_main_loop_quit(srv->loop);
	return G_SOURCE_CONTINUE;
}

void
rd_lmtp_server_run(rd_lmtp_server *srv)
{
	guint sig_term, sig_int, tick;

	srv->loop = g_main_loop_new(NULL, FALSE);
	g_signal_connect(srv->service, "incoming", G_CALLBACK(on_incoming), srv);
	g_signal_connect(srv->service, "run", G_CALLBACK(on_run), srv);
	sig_term = g_unix_signal_add(SIGTERM, on_signal, srv);
	sig_int = g_unix_signal_add(SIGINT, on_signal, srv);
	tick = g_timeout_add(100, on_tick, srv);
	g_socket_service_start(srv->service);
	g_main_loop_run(srv->loop);
	g_source_remove(sig_term);
	g_source_remove(sig_int);
	g_source_remove(tick);
}
