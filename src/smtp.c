/* smtp.c - libesmtp sessions. */
#include <stddef.h> /* libesmtp.h uses size_t without including it */

#include <auth-client.h>
#include <libesmtp.h>
#include <string.h>

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

/* The message with CRLF line ends, as libesmtp sends it; it does the dot
 * stuffing itself. */
typedef struct {
	rd_smtp_message *m;
	GBytes *crlf;
	smtp_message_t msg;
	smtp_recipient_t rcpt;
	gboolean given;
} job;

static GBytes *
to_crlf(GBytes *data)
{
	gsize len;
	const char *p = g_bytes_get_data(data, &len);
	GByteArray *out = g_byte_array_sized_new((guint)(len + len / 40 + 2));

	for (gsize i = 0; i < len; i++) {
		if (p[i] == '\n' && (i == 0 || p[i - 1] != '\r'))
			g_byte_array_append(out, (const guint8 *)"\r", 1);
		g_byte_array_append(out, (const guint8 *)&p[i], 1);
	}
	if (out->len == 0 || out->data[out->len - 1] != '\n')
		g_byte_array_append(out, (const guint8 *)"\r\n", 2);
	return g_byte_array_free_to_bytes(out);
}

/* libesmtp asks with len == NULL to rewind, then for the data, then for
 * more until it gets length 0. */
static const char *
message_cb(void **ctx, int *len, void *arg)
{
	job *j = arg;
	gsize n;
	const char *p;

	(void)ctx;
	if (len == NULL) {
		j->given = FALSE;
		return NULL;
	}
	if (j->given) {
		*len = 0;
		return NULL;
	}
	j->given = TRUE;
	p = g_bytes_get_data(j->crlf, &n);
	*len = (int)n;
	return p;
}

typedef struct {
	const char *user;
	const char *password;
} auth_creds;

static int
auth_interact(auth_client_request_t request, char **result, int fields, void *arg)
{
	auth_creds *c = arg;

	for (int i = 0; i < fields; i++) {
		if (request[i].flags & AUTH_USER)
			result[i] = (char *)c->user;
		else if (request[i].flags & AUTH_PASS)
			result[i] = (char *)c->password;
		else
			return 0;
	}
	return 1;
}

static void
record(rd_smtp_message *m, const smtp_status_t *st)
{
	m->code = st ? st->code : 0;
	g_free(m->reply);
	m->reply = st && st->text ? g_strstrip(g_strdup(st->text)) : NULL;
	m->permanent = m->code >= 500;
}

/* One connection: every job of the group, in order. */
static void
send_group(const rd_smtp_config *cfg, GPtrArray *jobs)
{
	smtp_session_t session = smtp_create_session();
	auth_context_t auth = NULL;
	auth_creds creds = {cfg->user, cfg->password};
	g_autofree char *server = g_strdup_printf("%s:%d", cfg->host ? cfg->host : "127.0.0.1",
						  cfg->port > 0 ? cfg->port : 25);
	long timeout = (cfg->timeout_seconds > 0 ? cfg->timeout_seconds : 60) * 1000L;

	smtp_set_server(session, server);
	if (cfg->helo)
		smtp_set_hostname(session, cfg->helo);
	smtp_set_timeout(session, Timeout_GREETING | Timeout_OVERRIDE_RFC2822_MINIMUM, timeout);
	smtp_set_timeout(session, Timeout_ENVELOPE | Timeout_OVERRIDE_RFC2822_MINIMUM, timeout);
	smtp_set_timeout(session, Timeout_DATA | Timeout_OVERRIDE_RFC2822_MINIMUM, timeout);
	smtp_set_timeout(session, Timeout_TRANSFER | Timeout_OVERRIDE_RFC2822_MINIMUM, timeout);
	smtp_set_timeout(session, Timeout_DATA2 | Timeout_OVERRIDE_RFC2822_MINIMUM, timeout);
	smtp_starttls_enable(session, cfg->starttls == RD_SMTP_TLS_NONE       ? Starttls_DISABLED
				      : cfg->starttls == RD_SMTP_TLS_REQUIRED ? Starttls_REQUIRED
									      : Starttls_ENABLED);
	if (cfg->user && *cfg->user) {
		auth = auth_create_context();
		auth_set_mechanism_flags(auth, AUTH_PLUGIN_PLAIN, 0);
		auth_set_interact_cb(auth, auth_interact, &creds);
		smtp_auth_set_context(session, auth);
	}
	for (guint i = 0; i < jobs->len; i++) {
		job *j = jobs->pdata[i];

		j->crlf = to_crlf(j->m->data);
		j->msg = smtp_add_message(session);
		smtp_set_reverse_path(j->msg, j->m->envelope_from ? j->m->envelope_from : "");
		smtp_set_messagecb(j->msg, message_cb, j);
		j->rcpt = smtp_add_recipient(j->msg, j->m->recipient);
	}
	if (!smtp_start_session(session)) {
		char buf[128];

		/* No connection (or TLS required and refused): nothing was
		 * sent; all of it is temporary. */
		for (guint i = 0; i < jobs->len; i++) {
			job *j = jobs->pdata[i];

			j->m->code = 0;
			j->m->sent = FALSE;
			j->m->permanent = FALSE;
			g_free(j->m->reply);
			j->m->reply = g_strdup(smtp_strerror(smtp_errno(), buf, sizeof buf));
		}
	} else {
		for (guint i = 0; i < jobs->len; i++) {
			job *j = jobs->pdata[i];
			const smtp_status_t *rp = smtp_reverse_path_status(j->msg);
			const smtp_status_t *rc = smtp_recipient_status(j->rcpt);
			const smtp_status_t *tr = smtp_message_transfer_status(j->msg);

			/* The first refusal tells what went wrong: sender,
			 * recipient, then the message itself. */
			if (rp && rp->code >= 400)
				record(j->m, rp);
			else if (rc && rc->code >= 400)
				record(j->m, rc);
			else
				record(j->m, tr);
			j->m->sent = j->m->code >= 200 && j->m->code < 300 && rc &&
				     rc->code >= 200 && rc->code < 300;
			if (j->m->sent)
				j->m->permanent = FALSE;
			else if (j->m->code == 0 && j->m->reply == NULL)
				j->m->reply = g_strdup("the connection ended before this message");
		}
	}
	smtp_destroy_session(session);
	if (auth)
		auth_destroy_context(auth);
	for (guint i = 0; i < jobs->len; i++) {
		job *j = jobs->pdata[i];

		g_clear_pointer(&j->crlf, g_bytes_unref);
	}
}

typedef struct {
	const rd_smtp_config *cfg;
	GPtrArray *jobs;
} group;

static gpointer
group_thread(gpointer data)
{
	group *g = data;

	send_group(g->cfg, g->jobs);
	return NULL;
}

gboolean
rd_smtp_send(const rd_smtp_config *config, GPtrArray *messages, GError **error)
{
	static gsize auth_once;
	guint n = config->connections > 0 ? (guint)config->connections : 4;
	g_autofree job *jobs = NULL;
	g_autofree group *groups = NULL;
	g_autofree GThread **threads = NULL;

	if (messages->len == 0)
		return TRUE;
	if (config->port < 0 || config->port > 65535) {
		g_set_error(error, RD_ERROR, RD_CONFIG, "[smtp] port %d is not a port", config->port);
		return FALSE;
	}
	if (g_once_init_enter(&auth_once)) {
		auth_client_init();
		g_once_init_leave(&auth_once, 1);
	}
	if (n > messages->len)
		n = messages->len;
	jobs = g_new0(job, messages->len);
	groups = g_new0(group, n);
	threads = g_new0(GThread *, n);
	for (guint i = 0; i < n; i++) {
		groups[i].cfg = config;
		groups[i].jobs = g_ptr_array_new();
	}
	/* Round robin keeps the connections equally busy. */
	for (guint i = 0; i < messages->len; i++) {
		jobs[i].m = messages->pdata[i];
		g_ptr_array_add(groups[i % n].jobs, &jobs[i]);
	}
	/* Each connection is its own libesmtp session, so threads share
	 * nothing but the read-only configuration. */
	for (guint i = 1; i < n; i++)
		threads[i] = g_thread_new("smtp", group_thread, &groups[i]);
	send_group(config, groups[0].jobs);
	for (guint i = 1; i < n; i++)
		g_thread_join(threads[i]);
	for (guint i = 0; i < n; i++)
		g_ptr_array_unref(groups[i].jobs);
	return TRUE;
}
