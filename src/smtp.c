/* smtp.c - sending with libesmtp: parallel sessions, per-message results.
 *
 * Each connection is one libesmtp session that carries many messages (one
 * envelope recipient each).  Each session runs in its own thread: libesmtp
 * keeps its error number per thread and guards its only shared state (the
 * TLS context) with a mutex, so independent sessions share nothing but the
 * read-only configuration.
 */
#include <stddef.h> /* libesmtp.h uses size_t without including it */

#include <auth-client.h>
#include <libesmtp.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#include "message.h"
#include "smtp.h"

void
rd_smtp_message_free(rd_smtp_message *m)
{
	if (m == NULL)
		return;
	g_free(m->envelope_from);
	g_free(m->recipient);
	if (m->data)
		g_bytes_unref(m->data);
	g_free(m->reply);
	g_free(m);
}

/* One message on its way: the caller's record, the CRLF copy libesmtp
 * reads, and libesmtp's handles for reading back the replies. */
typedef struct {
	rd_smtp_message *m;
	int *fd; /* the connection's socket (group.fd) */
	/* An EHLO answer without 8BITMIME was seen (group.ehlo_no_8bitmime). */
	const gboolean *no_8bitmime;
	gboolean eight_bit; /* the message has bytes >= 0x80 */
	gboolean seven;     /* crlf already holds its 7-bit form */
	GBytes *crlf;
	smtp_message_t msg;
	smtp_recipient_t rcpt;
	gsize offset; /* how much of crlf libesmtp has had */
} job;

/* One connection and what its event callback learnt. */
/* The connections of one rd_smtp_send() connect one after another, so
 * that each can tell its own socket (libesmtp does not give it out). */
typedef struct {
	GMutex lock;
	GCond cond;
	guint turn; /* the group whose connection is being made */
	guint next; /* the turn a connection made again gets (gate_again) */
} gate;

typedef struct {
	const rd_smtp_config *cfg;
	GPtrArray *jobs;
	gate *gate;
	guint index;     /* in the gate's order */
	gboolean passed; /* this group let the next one connect */
	int fd;          /* its socket, or -1 when it could not be told */
	int fd_port;     /* the socket's local port, as claimed */
	gboolean no_starttls; /* STARTTLS was required and not offered */
	gboolean no_8bitmime; /* 8BITMIME was declared and not offered */
	gboolean downgrade;   /* 8-bit messages go in their 7-bit form */
	/* The EHLO answer as seen on the wire (see monitor_cb). */
	gboolean ehlo_waiting;     /* EHLO went out, its last line has not come */
	gboolean ehlo_8bitmime;    /* the answer so far offers 8BITMIME */
	gboolean ehlo_no_8bitmime; /* the complete answer did not */
	gboolean connected;
	/* AUTH as seen on the wire (see monitor_cb). */
	gboolean auth_sent;     /* an AUTH command went out */
	gboolean auth_waiting;  /* its final reply has not come yet */
	gboolean authenticated; /* the server said 235 */
	gboolean past_auth;     /* MAIL was sent: AUTH is over */
	char *auth_reply;       /* the last refusal of AUTH */
} group;

static void set_tcp(int fd, int option, int on);

/* libesmtp asks with len == NULL to rewind (it reads the headers once
 * before sending them), then for data until it gets length 0; it does the
 * dot stuffing.  The message goes in pieces of BODY_PIECE bytes, each
 * pushed out corked: full-sized packets, yet the server can start on the
 * body before all of it is written (one 50 KB piece was slower). */
#define BODY_PIECE 16384
static void use_7bit(job *j);

static const char *
message_cb(void **ctx, int *len, void *arg)
{
	job *j = arg;
	gsize n;
	const char *p;

	if (len == NULL) {
		/* After an AUTH libesmtp never checks the server's extensions:
		 * MAIL went without BODY=8BITMIME, so the body must be 7-bit. */
		if (j->eight_bit && !j->seven && *j->no_8bitmime) {
			use_7bit(j);
			j->seven = TRUE;
		}
		j->offset = 0;
		return NULL;
	}
	p = g_bytes_get_data(j->crlf, &n);
	if (j->offset >= n) {
		/* The body is out; the final dot must not wait. */
		set_tcp(*j->fd, TCP_CORK, 0);
		*len = 0;
		return NULL;
	}
	/* Uncorking pushes out what libesmtp wrote of the piece before. */
	if (j->offset > 0)
		set_tcp(*j->fd, TCP_CORK, 0);
	set_tcp(*j->fd, TCP_CORK, 1);
	*len = (int)MIN(BODY_PIECE, n - j->offset);
	p += j->offset;
	j->offset += (gsize)*len;
	return p;
}

typedef struct {
	const char *user;
	const char *password;
} auth_creds;

/* The SASL mechanisms (PLAIN, LOGIN) ask for the user name and the
 * password; anything else (a realm) we cannot answer, which makes libesmtp
 * try the next mechanism. */
static int
auth_interact(auth_client_request_t request, char **result, int fields, void *arg)
{
	auth_creds *c = arg;

	for (int i = 0; i < fields; i++) {
		if (request[i].flags & AUTH_USER)
			result[i] = (char *)c->user;
		else if (request[i].flags & AUTH_PASS)
			result[i] = (char *)(c->password ? c->password : "");
		else
			return 0;
	}
	return 1;
}

/* libesmtp gives no access to its socket.  With Nagle's algorithm on,
 * every message waits ~40 ms for the delayed ACK of its final dot (fan-out
 * to 2,000 members: 23 s with it, 1.6 s without); with it off, each of
 * libesmtp's 2 KB writes is a packet of its own.  So each connection finds
 * its socket when it connects (connections are made one at a time, see
 * gate), turns Nagle off, and corks the socket while a message body is
 * written (message_cb): the body leaves in full-sized packets and the
 * final dot at once. */
static GMutex fds_lock;
static GHashTable *fds_claimed; /* fd -> local port, of connections in use */

static int
local_port(int fd)
{
	struct sockaddr_storage sa;
	socklen_t len = sizeof sa;

	if (getsockname(fd, (struct sockaddr *)&sa, &len) != 0)
		return -1;
	if (sa.ss_family == AF_INET)
		return ntohs(((struct sockaddr_in *)&sa)->sin_port);
	if (sa.ss_family == AF_INET6)
		return ntohs(((struct sockaddr_in6 *)&sa)->sin6_port);
	return -1;
}

/* The next TCP socket of the process after descriptor FD (*PORT its local
 * port), or -1.  Descriptors are allocated lowest first: after a run of
 * unused ones there are no more. */
static int
next_tcp_socket(int fd, int *port)
{
	for (int unused = 0; ++fd < 65536 && unused < 64;) {
		int type = 0;
		socklen_t len = sizeof type;

		if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) != 0) {
			unused = errno == EBADF ? unused + 1 : 0;
			continue;
		}
		unused = 0;
		if (type == SOCK_STREAM && (*port = local_port(fd)) >= 0)
			return fd;
	}
	return -1;
}

/* The TCP socket just connected by this thread: the one not claimed by
 * another connection.  -1 when there is not exactly one. */
static int
claim_socket(int *claimed_port)
{
	int found = -1, found_port = -1, n = 0, port;

	g_mutex_lock(&fds_lock);
	if (fds_claimed == NULL)
		fds_claimed = g_hash_table_new(NULL, NULL);
	for (int fd = 2; (fd = next_tcp_socket(fd, &port)) >= 0;) {
		gpointer v;

		if (g_hash_table_lookup_extended(fds_claimed, GINT_TO_POINTER(fd), NULL, &v) &&
		    GPOINTER_TO_INT(v) == port)
			continue;
		found = fd;
		found_port = port;
		n++;
	}
	if (n == 1) {
		*claimed_port = found_port;
		g_hash_table_insert(fds_claimed, GINT_TO_POINTER(found), GINT_TO_POINTER(found_port));
	}
	g_mutex_unlock(&fds_lock);
	return n == 1 ? found : -1;
}

/* When the socket cannot be told: Nagle off for every TCP socket of the
 * process (harmless for any other), and no corking. */
static void
nodelay_all(void)
{
	int port;

	for (int fd = 2; (fd = next_tcp_socket(fd, &port)) >= 0;)
		set_tcp(fd, TCP_NODELAY, 1);
}

/* libesmtp has closed the socket by now, and another connection may have
 * claimed the same number since: only our own claim (fd and port) goes. */
static void
release_socket(int fd, int port)
{
	gpointer v;

	if (fd < 0)
		return;
	g_mutex_lock(&fds_lock);
	if (g_hash_table_lookup_extended(fds_claimed, GINT_TO_POINTER(fd), NULL, &v) &&
	    GPOINTER_TO_INT(v) == port)
		g_hash_table_remove(fds_claimed, GINT_TO_POINTER(fd));
	g_mutex_unlock(&fds_lock);
}

static void
set_tcp(int fd, int option, int on)
{
	if (fd >= 0)
		setsockopt(fd, IPPROTO_TCP, option, &on, sizeof on);
}

/* Let the next group of the gate connect. */
static void
gate_pass(group *g)
{
	if (g->passed)
		return;
	g->passed = TRUE;
	g_mutex_lock(&g->gate->lock);
	g->gate->turn = MAX(g->gate->turn, g->index + 1);
	g_cond_broadcast(&g->gate->cond);
	g_mutex_unlock(&g->gate->lock);
}

static void
gate_wait(group *g)
{
	/* Bounded: connect() has no timeout of its own, and a smarthost that
	 * does not answer must not make each connection wait for the one
	 * before.  Going ahead early only costs the corking (nodelay_all). */
	gint64 until = g_get_monotonic_time() + 2 * G_USEC_PER_SEC;

	g_mutex_lock(&g->gate->lock);
	while (g->gate->turn < g->index)
		if (!g_cond_wait_until(&g->gate->cond, &g->gate->lock, until))
			break;
	g_mutex_unlock(&g->gate->lock);
}

/* A group that connects a second time takes a turn after every turn
 * given so far, so that connections are still made one at a time. */
static void
gate_again(group *g)
{
	g_mutex_lock(&g->gate->lock);
	g->index = g->gate->next++;
	g_mutex_unlock(&g->gate->lock);
	g->passed = FALSE;
}

/* Smarthosts ("host:port") seen without 8BITMIME, and when (monotonic
 * time): their 8-bit messages are converted before the session instead of
 * costing a session that sends nothing.  Asked again after an hour, in
 * case the server has changed, since to one that offers 8BITMIME messages
 * go exactly as they are. */
#define NO_8BITMIME_FOR (G_GINT64_CONSTANT(3600) * G_USEC_PER_SEC)
static GMutex no_8bitmime_lock;
static GHashTable *no_8bitmime; /* server -> gint64 * */

static gboolean
server_lacks_8bitmime(const char *server)
{
	const gint64 *seen;
	gboolean lacks;

	g_mutex_lock(&no_8bitmime_lock);
	seen = no_8bitmime ? g_hash_table_lookup(no_8bitmime, server) : NULL;
	lacks = seen != NULL && g_get_monotonic_time() - *seen < NO_8BITMIME_FOR;
	g_mutex_unlock(&no_8bitmime_lock);
	return lacks;
}

static void
server_lacks_8bitmime_set(const char *server)
{
	gint64 *seen = g_new(gint64, 1);

	*seen = g_get_monotonic_time();
	g_mutex_lock(&no_8bitmime_lock);
	if (no_8bitmime == NULL)
		no_8bitmime = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
	g_hash_table_replace(no_8bitmime, g_strdup(server), seen);
	g_mutex_unlock(&no_8bitmime_lock);
}

/* Events that change what libesmtp does.  With opportunistic TLS an
 * unverifiable certificate is still better than plain text (that is what
 * "opportunistic" means in Postfix too), so it is accepted; with TLS
 * required libesmtp's own check against the system's CA store stands. */
static void
event_cb(smtp_session_t session, int event_no, void *arg, ...)
{
	group *g = arg;
	va_list ap;
	int *ok = NULL;

	va_start(ap, arg);
	switch (event_no) {
	case SMTP_EV_CONNECT:
		g->connected = TRUE;
		release_socket(g->fd, g->fd_port); /* libesmtp tried another address */
		g->fd = claim_socket(&g->fd_port);
		if (g->fd >= 0)
			set_tcp(g->fd, TCP_NODELAY, 1);
		else
			nodelay_all();
		gate_pass(g);
		break;
	case SMTP_EV_EXTNA_STARTTLS:
		g->no_starttls = TRUE;
		break;
	case SMTP_EV_EXTNA_8BITMIME:
		g->no_8bitmime = TRUE;
		break;
	case SMTP_EV_INVALID_PEER_CERTIFICATE:
		(void)va_arg(ap, long);
		ok = va_arg(ap, int *);
		break;
	case SMTP_EV_NO_PEER_CERTIFICATE:
	case SMTP_EV_WRONG_PEER_CERTIFICATE:
		ok = va_arg(ap, int *);
		break;
	default:
		break;
	}
	va_end(ap);
	if (ok != NULL && g->cfg->starttls == RD_SMTP_TLS_OPPORTUNISTIC)
		*ok = 1;
}

/* libesmtp does not report how AUTH went, and when it fails it carries
 * on without it, as RFC 4954 allows; a smarthost that needs it then
 * refuses every recipient with a 5xx that has nothing to do with them.
 * So the protocol is watched here: the AUTH command, its 334 challenges
 * and its final reply, up to the first MAIL command. */
/* Read (part of) an EHLO answer: "250-8BITMIME" on any line, "250 " on
 * the last. */
static void
watch_ehlo(group *g, const char *buf, int buflen)
{
	const char *p = buf, *end = buf + buflen;

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *stop = nl ? nl : end;
		gsize n = (gsize)(stop - p);

		while (n > 0 && (p[n - 1] == '\r' || p[n - 1] == ' '))
			n--;
		if (n >= 12 && g_ascii_strncasecmp(p + 4, "8BITMIME", 8) == 0 && (n == 12 || p[12] == ' '))
			g->ehlo_8bitmime = TRUE;
		if (n >= 3 && (n == 3 || p[3] == ' ')) {
			g->ehlo_waiting = FALSE;
			g->ehlo_no_8bitmime = strncmp(p, "250", 3) == 0 && !g->ehlo_8bitmime;
		}
		p = nl ? nl + 1 : end;
	}
}

static void
monitor_cb(const char *buf, int buflen, int writing, void *arg)
{
	group *g = arg;
	const char *end = buf + buflen;
	const char *line = buf;

	if (g->past_auth || buflen <= 0 || writing == SMTP_CB_HEADERS)
		return;
	if (writing == SMTP_CB_READING && g->ehlo_waiting)
		watch_ehlo(g, buf, buflen);
	if (writing == SMTP_CB_WRITING) {
		if (buflen >= 5 && g_ascii_strncasecmp(buf, "EHLO ", 5) == 0) {
			/* Again after STARTTLS: only the last answer counts. */
			g->ehlo_waiting = TRUE;
			g->ehlo_8bitmime = FALSE;
			g->ehlo_no_8bitmime = FALSE;
		} else if (buflen >= 5 && g_ascii_strncasecmp(buf, "AUTH ", 5) == 0) {
			g->auth_sent = TRUE;
			g->auth_waiting = TRUE;
		} else if (buflen >= 5 && g_ascii_strncasecmp(buf, "MAIL ", 5) == 0) {
			g->past_auth = TRUE;
		}
		return;
	}
	if (!g->auth_waiting)
		return;
	/* The reply's code is the first character of its last line. */
	while (end > buf && (end[-1] == '\n' || end[-1] == '\r'))
		end--;
	for (const char *p = buf; p < end; p++)
		if (*p == '\n')
			line = p + 1;
	if (line >= end || *line == '3')
		return;
	g->auth_waiting = FALSE;
	if (*line == '2') {
		g->authenticated = TRUE;
	} else {
		g_free(g->auth_reply);
		g->auth_reply = g_strndup(line, (gsize)(end - line));
	}
}

/* An address that would corrupt the SMTP command it goes into (a line
 * break, a space, angle brackets) or is empty can never be sent. */
static gboolean
address_ok(const char *addr, gboolean may_be_empty)
{
	if (addr == NULL)
		return may_be_empty;
	if (*addr == '\0')
		return may_be_empty;
	for (const char *p = addr; *p; p++)
		if ((unsigned char)*p <= ' ' || *p == '<' || *p == '>' || *p == 0x7f)
			return FALSE;
	return TRUE;
}

static void
set_result(rd_smtp_message *m, int code, const char *text, gboolean sent, gboolean permanent)
{
	m->code = code;
	g_free(m->reply);
	m->reply = text ? g_strstrip(g_strdup(text)) : NULL;
	m->sent = sent;
	m->permanent = permanent;
}

static void
record(rd_smtp_message *m, const smtp_status_t *st, gboolean sent)
{
	int code = st ? st->code : 0;

	set_result(m, code, st ? st->text : NULL, sent, !sent && code >= 500 && code < 600);
}

/* What happened to one message, read from libesmtp's status of the MAIL
 * command, the RCPT command and the message transfer.  The first refusal
 * tells what went wrong; a message counts as sent only when both the
 * recipient and the data were accepted.  A message the connection never
 * reached keeps code 0 with the session's error, so it is tried again. */
static void
collect(group *g, job *j, const char *session_error)
{
	const smtp_status_t *rp = smtp_reverse_path_status(j->msg);
	const smtp_status_t *rc = smtp_recipient_status(j->rcpt);
	const smtp_status_t *tr = smtp_message_transfer_status(j->msg);
	gboolean rc_ok = rc && rc->code >= 200 && rc->code < 300;
	gboolean tr_ok = tr && tr->code >= 200 && tr->code < 300;

	if (rp && rp->code >= 400)
		record(j->m, rp, FALSE);
	else if (rc && rc->code >= 400)
		record(j->m, rc, FALSE);
	else if (rc_ok && tr_ok)
		record(j->m, tr, TRUE);
	else if (tr && tr->code >= 400)
		record(j->m, tr, FALSE);
	else if (g->no_starttls)
		set_result(j->m, 0, "the server does not offer STARTTLS, which is required", FALSE,
		           FALSE);
	else
		set_result(j->m, 0,
		           session_error ? session_error
		                         : "the connection ended before this message",
		           FALSE, FALSE);
	/* Without the authentication we were told to use, a refusal says
	 * nothing about the recipient: keep the message for later, and say
	 * why, so that the log points at the password, not the member. */
	if (g->cfg->user && *g->cfg->user && !g->authenticated && !j->m->sent && j->m->code != 0) {
		const char *cause = g->auth_reply  ? g->auth_reply
		                    : g->auth_sent ? "no answer to AUTH"
		                                   : "the server offered no usable AUTH mechanism";
		char *why = g_strdup_printf("%s (not authenticated: %s)",
		                            j->m->reply ? j->m->reply : "refused", cause);

		g_free(j->m->reply);
		j->m->reply = why;
		j->m->permanent = FALSE;
	}
}

/* For a server without 8BITMIME, an 8-bit message goes in its 7-bit form.
 * One that cannot be converted (it does not parse) goes as it is,
 * undeclared: the server may still take it, and holding it back here
 * would keep it in the outbox for ever. */
static void
use_7bit(job *j)
{
	g_autoptr(GBytes) seven = rd_message_to_7bit(j->crlf, NULL);

	if (seven == NULL)
		return;
	g_bytes_unref(j->crlf);
	j->crlf = rd_smtp_to_crlf(seven, NULL);
}

/* Whether a session ended before any MAIL command: the server never
 * heard of any of its messages. */
static gboolean
none_started(group *g)
{
	if (g->past_auth)
		return FALSE;
	for (guint i = 0; i < g->jobs->len; i++) {
		job *j = g->jobs->pdata[i];
		const smtp_status_t *rp = j->msg ? smtp_reverse_path_status(j->msg) : NULL;

		if (rp != NULL && rp->code != 0)
			return FALSE;
	}
	return TRUE;
}

/* One connection: every job of the group, in order.  FALSE when nothing
 * was sent because the server does not offer 8BITMIME and a message was
 * declared 8-bit; the results are then not filled in. */
static gboolean
send_session(group *g, const char *server)
{
	const rd_smtp_config *cfg = g->cfg;
	GPtrArray *jobs = g->jobs;
	smtp_session_t session = smtp_create_session();
	auth_context_t auth = NULL;
	auth_creds creds = {cfg->user, cfg->password};
	long timeout = (cfg->timeout_seconds > 0 ? cfg->timeout_seconds : 60) * 1000L;
	g_autofree char *session_error = NULL;
	guint queued = 0;
	gboolean again;

	g->no_starttls = g->no_8bitmime = g->connected = FALSE;
	g->auth_sent = g->auth_waiting = g->authenticated = g->past_auth = FALSE;
	g->ehlo_waiting = g->ehlo_8bitmime = g->ehlo_no_8bitmime = FALSE;
	smtp_set_server(session, server);
	smtp_set_hostname(session, cfg->helo && *cfg->helo ? cfg->helo : g_get_host_name());
	/* RFC 5321 asks for minutes per command; a test or a local smarthost
	 * may want less, so the configured value overrides the minimum. */
	smtp_set_timeout(session, Timeout_GREETING | Timeout_OVERRIDE_RFC2822_MINIMUM, timeout);
	smtp_set_timeout(session, Timeout_ENVELOPE | Timeout_OVERRIDE_RFC2822_MINIMUM, timeout);
	smtp_set_timeout(session, Timeout_DATA | Timeout_OVERRIDE_RFC2822_MINIMUM, timeout);
	smtp_set_timeout(session, Timeout_TRANSFER | Timeout_OVERRIDE_RFC2822_MINIMUM, timeout);
	smtp_set_timeout(session, Timeout_DATA2 | Timeout_OVERRIDE_RFC2822_MINIMUM, timeout);
	smtp_starttls_enable(session, cfg->starttls == RD_SMTP_TLS_NONE       ? Starttls_DISABLED
	                              : cfg->starttls == RD_SMTP_TLS_REQUIRED ? Starttls_REQUIRED
	                                                                      : Starttls_ENABLED);
	smtp_set_eventcb(session, event_cb, g);
	smtp_set_monitorcb(session, monitor_cb, g, 0);
	if (cfg->user && *cfg->user) {
		auth = auth_create_context();
		/* PLAIN and LOGIN send the password as it is; allow them. */
		auth_set_mechanism_flags(auth, AUTH_PLUGIN_PLAIN, 0);
		auth_set_interact_cb(auth, auth_interact, &creds);
		smtp_auth_set_context(session, auth);
	}
	for (guint i = 0; i < jobs->len; i++) {
		job *j = jobs->pdata[i];

		if (!address_ok(j->m->recipient, FALSE) || !address_ok(j->m->envelope_from, TRUE)) {
			set_result(j->m, 0, "the envelope address is not valid; not sent", FALSE,
			           TRUE);
			continue;
		}
		gboolean eight_bit;

		j->fd = &g->fd;
		j->offset = 0;
		j->seven = FALSE;
		if (j->m->form == RD_SMTP_FORM_UNKNOWN) {
			j->crlf = rd_smtp_to_crlf(j->m->data, &eight_bit);
		} else {
			j->crlf = g_bytes_ref(j->m->data);
			eight_bit = j->m->form == RD_SMTP_FORM_CRLF_8BIT;
		}
		j->eight_bit = eight_bit;
		j->no_8bitmime = &g->ehlo_no_8bitmime;
		if (eight_bit && g->downgrade) {
			use_7bit(j);
			j->seven = TRUE;
		}
		j->msg = smtp_add_message(session);
		smtp_set_reverse_path(j->msg, j->m->envelope_from ? j->m->envelope_from : "");
		smtp_set_messagecb(j->msg, message_cb, j);
		/* 8-bit bodies (UTF-8 digests in 8bit, or mail passed through
		 * as it came) are declared as such (RFC 6152). */
		if (eight_bit && !g->downgrade)
			smtp_8bitmime_set_body(j->msg, E8bitmime_8BITMIME);
		j->rcpt = smtp_add_recipient(j->msg, j->m->recipient);
		queued++;
	}
	gate_wait(g);
	if (queued > 0 && !smtp_start_session(session)) {
		char buf[256];

		session_error = g_strdup(smtp_strerror(smtp_errno(), buf, sizeof buf));
	}
	/* A connection that failed (or had nothing to send) still lets the
	 * next one go. */
	gate_pass(g);
	release_socket(g->fd, g->fd_port);
	g->fd = -1;
	/* libesmtp learns of a missing 8BITMIME after EHLO and then ends
	 * the whole session before the first MAIL, whatever the other
	 * messages are (the declaration is per session, not per message). */
	again = g->no_8bitmime && !g->downgrade && none_started(g);
	/* Even when the session failed part way, the messages before the
	 * failure may have been accepted: read every status, so none of
	 * them is sent twice. */
	for (guint i = 0; i < jobs->len && !again; i++) {
		job *j = jobs->pdata[i];

		if (j->msg != NULL)
			collect(g, j, session_error);
	}
	smtp_destroy_session(session);
	if (auth)
		auth_destroy_context(auth);
	g_clear_pointer(&g->auth_reply, g_free);
	for (guint i = 0; i < jobs->len; i++) {
		job *j = jobs->pdata[i];

		g_clear_pointer(&j->crlf, g_bytes_unref);
		j->msg = NULL;
		j->rcpt = NULL;
	}
	return !again;
}

/* Every job of the group, over one connection; over a second one with
 * 8-bit messages in 7-bit form when the first found no 8BITMIME (as
 * Postfix does, rather than leave them to fail over and over). */
static void
send_group(group *g)
{
	const rd_smtp_config *cfg = g->cfg;
	g_autofree char *server =
	    g_strdup_printf("%s:%d", cfg->host && *cfg->host ? cfg->host : "127.0.0.1",
	                    cfg->port > 0 ? cfg->port : 25);

	g->downgrade = server_lacks_8bitmime(server);
	if (send_session(g, server))
		return;
	server_lacks_8bitmime_set(server);
	g->downgrade = TRUE;
	gate_again(g);
	send_session(g, server);
}

/* A server that hangs up while we write would raise SIGPIPE and kill the
 * whole process.  The signal goes to the thread that wrote, so each
 * connection thread blocks it: the write then fails with EPIPE, libesmtp
 * reports the broken connection, and the signal left pending dies with
 * the thread.  The caller's signal handling stays untouched. */
static gpointer
group_thread(gpointer data)
{
	sigset_t pipe;

	sigemptyset(&pipe);
	sigaddset(&pipe, SIGPIPE);
	pthread_sigmask(SIG_BLOCK, &pipe, NULL);
	send_group(data);
	return NULL;
}

gboolean
rd_smtp_send(const rd_smtp_config *config, GPtrArray *messages, GError **error)
{
	static gsize auth_once;
	guint n;
	g_autofree job *jobs = NULL;
	g_autofree group *groups = NULL;
	g_autofree GThread **threads = NULL;

	if (config == NULL || messages == NULL) {
		g_set_error(error, RD_ERROR, RD_SOFTWARE, "rd_smtp_send: nothing to send with");
		return FALSE;
	}
	if (config->port < 0 || config->port > 65535) {
		g_set_error(error, RD_ERROR, RD_CONFIG, "[smtp] port %d is not a TCP port",
		            config->port);
		return FALSE;
	}
	if (config->user && *config->user && config->password == NULL) {
		g_set_error(error, RD_ERROR, RD_CONFIG, "[smtp] user %s has no password",
		            config->user);
		return FALSE;
	}
	for (guint i = 0; i < messages->len; i++) {
		rd_smtp_message *m = messages->pdata[i];

		if (m == NULL || m->data == NULL) {
			g_set_error(error, RD_ERROR, RD_SOFTWARE,
			            "rd_smtp_send: message %u has no data", i);
			return FALSE;
		}
	}
	if (messages->len == 0)
		return TRUE;
	if (g_once_init_enter(&auth_once)) {
		auth_client_init();
		g_once_init_leave(&auth_once, 1);
	}
	n = config->connections > 0 ? (guint)config->connections : 4;
	if (n > messages->len)
		n = messages->len;
	jobs = g_new0(job, messages->len);
	groups = g_new0(group, n);
	threads = g_new0(GThread *, n);
	gate gt = {0};

	g_mutex_init(&gt.lock);
	g_cond_init(&gt.cond);
	gt.next = n;
	for (guint i = 0; i < n; i++) {
		groups[i].cfg = config;
		groups[i].jobs = g_ptr_array_new();
		groups[i].gate = &gt;
		groups[i].index = i;
		groups[i].fd = -1;
	}
	/* Round robin keeps the connections equally busy. */
	for (guint i = 0; i < messages->len; i++) {
		jobs[i].m = messages->pdata[i];
		g_ptr_array_add(groups[i % n].jobs, &jobs[i]);
	}
	for (guint i = 0; i < n; i++)
		threads[i] = g_thread_new("rounds-smtp", group_thread, &groups[i]);
	for (guint i = 0; i < n; i++)
		g_thread_join(threads[i]);
	for (guint i = 0; i < n; i++)
		g_ptr_array_unref(groups[i].jobs);
	g_mutex_clear(&gt.lock);
	g_cond_clear(&gt.cond);
	return TRUE;
}
