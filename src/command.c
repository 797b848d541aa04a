/* command.c - command emails, confirmations and moderation by email (issue 5).
 *
 * One inbound mail is handled in one transaction: the commands it carries
 * are carried out, pending actions are created or used, and the one reply
 * (plus any confirmation requests, welcomes and goodbyes) is queued in the
 * outbox.  So a crash never leaves an action done without its reply, nor a
 * token used without its action.
 */
#include <string.h>

#include "bounce.h"
#include "command.h"
#include "fanout.h"
#include "log.h"
#include "mustache.h"
#include "thread.h"
#include "token.h"
#include "trim.h"

#define MAX_LINES 20
#define DEFAULT_TOKEN_DAYS 7
#define DEFAULT_REPLY_LIMIT 5

typedef struct {
	char *command;
	char *result;
} cmd_result;

typedef struct {
	char *what;
	char *token;
	char *address;
} cmd_confirmation;

typedef struct {
	rd_store *s;
	const rd_deliver_opts *o;
	const rd_community *c;
	rd_message *m;      /* the mail being handled, NULL for a held notice */
	char *from;         /* who wrote it (lower case) */
	rd_member *mem;     /* the writer's membership, NULL when none */
	gboolean authority; /* owner commands run at once */
	gint64 now;
	GPtrArray *results;  /* cmd_result* */
	GPtrArray *confirms; /* cmd_confirmation* for the writer */
	GString *deferred;   /* owner command lines waiting for confirmation */
	gboolean not_understood;
	gboolean quiet; /* no command reply (a welcome or goodbye says it all) */
} cmd_ctx;

typedef gboolean (*cmd_fn)(cmd_ctx *x, char **argv, guint argc, GString *res, GError **error);

static void
cmd_result_free(cmd_result *r)
{
	g_free(r->command);
	g_free(r->result);
	g_free(r);
}

static void
cmd_confirmation_free(cmd_confirmation *k)
{
	g_free(k->what);
	g_free(k->token);
	g_free(k->address);
	g_free(k);
}

static gint64
token_days(const rd_deliver_opts *o)
{
	return o->token_days > 0 ? o->token_days : DEFAULT_TOKEN_DAYS;
}

static char *
community_address(const rd_deliver_opts *o, const rd_community *c, const char *ext)
{
	return rd_address_make(c->name, c->domain, o->delimiter, ext);
}

/* ---- reading commands ---- */

/* Words that start a command line.  Kept apart from the handlers so that
 * rd_command_is_command() needs no context. */
static const char *const verb_names[] = {
    "help",        "subscribe", "join",     "unsubscribe", "leave",  "stop",   "digest",
    "daily",       "weekly",    "each",     "pause",       "nomail", "resume", "timezone",
    "digest-time", "combined",  "separate", "mute",        "follow", "get",    "settings",
    "confirm",     "add",       "invite",   "remove",      "set",    "who",    "held",
    "approve",     "reject",    "policy",   "replies",
};

static char *
first_word(const char *line)
{
	const char *p = line;

	while (*p == ' ' || *p == '\t')
		p++;
	const char *e = p;
	while (*e && *e != ' ' && *e != '\t')
		e++;
	return g_ascii_strdown(p, e - p);
}

gboolean
rd_command_is_command(const char *line)
{
	g_autofree char *w = first_word(line ? line : "");

	for (gsize i = 0; i < G_N_ELEMENTS(verb_names); i++)
		if (strcmp(w, verb_names[i]) == 0)
			return TRUE;
	return FALSE;
}

/* The subject without "Re:", "Fwd:" and similar prefixes. */
static const char *
skip_subject_prefixes(const char *subject)
{
	static const char *const prefixes[] = {"re:", "fwd:", "fw:", "aw:", "sv:", "wg:"};
	const char *p = subject;
	gboolean again = TRUE;

	while (again) {
		again = FALSE;
		while (g_ascii_isspace(*p))
			p++;
		for (gsize i = 0; i < G_N_ELEMENTS(prefixes); i++) {
			gsize n = strlen(prefixes[i]);

			if (g_ascii_strncasecmp(p, prefixes[i], n) == 0) {
				p += n;
				again = TRUE;
			}
		}
	}
	return p;
}

/* A line with its surrounding white space (including no-break spaces that
 * HTML conversion leaves) removed. */
static char *
clean_line(const char *line)
{
	g_autofree char *t = g_strdup(line);
	char *nb;

	while ((nb = strstr(t, "\xc2\xa0")) != NULL) {
		nb[0] = ' ';
		memmove(nb + 1, nb + 2, strlen(nb + 2) + 1);
	}
	return g_strdup(g_strstrip(t));
}

GPtrArray *
rd_command_extract(const char *subject, const char *body)
{
	GPtrArray *out = g_ptr_array_new_with_free_func(g_free);
	g_autofree char *subj = clean_line(skip_subject_prefixes(subject ? subject : ""));
	g_autofree char *trimmed = NULL;
	g_auto(GStrv) lines = NULL;
	gboolean seen = FALSE;
	guint looked = 0;

	/* The subject only counts when it is a command: subjects are often
	 * left as the mail client filled them in. */
	if (*subj && rd_command_is_command(subj)) {
		g_ptr_array_add(out, g_strdup(subj));
		seen = TRUE;
	}
	/* Trimming drops quoted replies, attributions and most signatures
	 * that have no "-- " delimiter. */
	trimmed = rd_trim_text(body ? body : "", NULL, NULL);
	lines = g_strsplit(trimmed, "\n", -1);
	for (guint i = 0; lines[i] != NULL && looked < MAX_LINES; i++) {
		g_autofree char *l = NULL;

		if (strcmp(lines[i], "-- ") == 0 || strcmp(lines[i], "--") == 0 ||
		    strcmp(lines[i], "-- \r") == 0 || strcmp(lines[i], "--\r") == 0)
			break;
		l = clean_line(lines[i]);
		if (*l == '\0' || *l == '>')
			continue;
		looked++;
		if (g_ascii_strcasecmp(l, "end") == 0 || g_ascii_strcasecmp(l, "end.") == 0)
			break;
		if (rd_command_is_command(l)) {
			/* A mailto: link fills subject and body alike. */
			if (!(out->len == 1 && seen && g_ascii_strcasecmp(out->pdata[0], l) == 0))
				g_ptr_array_add(out, g_steal_pointer(&l));
			seen = TRUE;
		} else if (seen) {
			break;
		} else {
			g_ptr_array_add(out, g_steal_pointer(&l));
		}
	}
	return out;
}

/* ---- backscatter and authentication ---- */

static gboolean
is_mailer_daemon(const char *addr)
{
	return g_ascii_strncasecmp(addr, "mailer-daemon", 13) == 0 &&
	       (addr[13] == '\0' || addr[13] == '@');
}

gboolean
rd_command_may_reply(const rd_message *m, const char *sender)
{
	if (sender != NULL) {
		if (*sender == '\0' || strcmp(sender, "<>") == 0 || is_mailer_daemon(sender))
			return FALSE;
	}
	if (m->from_addr == NULL || is_mailer_daemon(m->from_addr))
		return FALSE;
	if (m->auto_submitted != NULL) {
		g_autofree char *v = clean_line(m->auto_submitted);

		/* "no" may carry comments or parameters: "no (manual)". */
		if (g_ascii_strncasecmp(v, "no", 2) != 0 || g_ascii_isalnum(v[2]))
			return FALSE;
	}
	if (m->precedence != NULL) {
		g_autofree char *v = clean_line(m->precedence);

		if (g_ascii_strcasecmp(v, "bulk") == 0 || g_ascii_strcasecmp(v, "junk") == 0 ||
		    g_ascii_strcasecmp(v, "list") == 0)
			return FALSE;
	}
	if (m->list_id != NULL)
		return FALSE;
	if (m->mime != NULL && rd_bounce_is_auto_reply(m->mime))
		return FALSE;
	return TRUE;
}

/* The value of property PROP ("header.from", "header.d") in one result
 * clause, without comments, or NULL. */
static char *
clause_property(const char *clause, const char *prop)
{
	gsize n = strlen(prop);
	const char *p = clause;

	while ((p = strstr(p, prop)) != NULL) {
		if ((p == clause || g_ascii_isspace(p[-1])) && p[n] == '=') {
			const char *v = p + n + 1;
			const char *e = v;

			while (*e && !g_ascii_isspace(*e) && *e != ';' && *e != '(')
				e++;
			return g_ascii_strdown(v, e - v);
		}
		p += n;
	}
	return NULL;
}

/* Relaxed DMARC alignment: D is the From domain or one of its parents. */
static gboolean
aligned(const char *d, const char *from_domain)
{
	gsize dl, fl;

	if (d == NULL || *d == '\0')
		return FALSE;
	if (*d == '@')
		d++;
	else if (strchr(d, '@'))
		d = strchr(d, '@') + 1;
	dl = strlen(d);
	fl = strlen(from_domain);
	if (g_ascii_strcasecmp(d, from_domain) == 0)
		return TRUE;
	/* A parent must still be more than a bare top-level domain. */
	return dl < fl && from_domain[fl - dl - 1] == '.' &&
	       g_ascii_strcasecmp(from_domain + fl - dl, d) == 0 && strchr(d, '.') != NULL;
}

/* Remove (comments) from an Authentication-Results value. */
static char *
strip_comments(const char *v)
{
	GString *out = g_string_new(NULL);
	int depth = 0;

	for (const char *p = v; *p; p++) {
		if (*p == '(')
			depth++;
		else if (*p == ')' && depth > 0)
			depth--;
		else if (depth == 0)
			g_string_append_c(out, g_ascii_isspace(*p) ? ' ' : g_ascii_tolower(*p));
	}
	return g_string_free(out, FALSE);
}

gboolean
rd_command_auth_trusted(GMimeMessage *msg, const char *authserv_id, const char *from)
{
	GMimeHeaderList *hl;
	const char *at;
	int n;

	if (msg == NULL || authserv_id == NULL || *authserv_id == '\0' || from == NULL ||
	    (at = strrchr(from, '@')) == NULL)
		return FALSE;
	hl = g_mime_object_get_header_list(GMIME_OBJECT(msg));
	n = g_mime_header_list_get_count(hl);
	for (int i = 0; i < n; i++) {
		GMimeHeader *h = g_mime_header_list_get_header_at(hl, i);
		g_autofree char *v = NULL;
		g_auto(GStrv) clauses = NULL;
		g_autofree char *id = NULL;

		if (g_ascii_strcasecmp(g_mime_header_get_name(h), "Authentication-Results") != 0)
			continue;
		v = strip_comments(g_mime_header_get_raw_value(h));
		clauses = g_strsplit(v, ";", -1);
		id = first_word(clauses[0] ? clauses[0] : "");
		if (g_ascii_strcasecmp(id, authserv_id) != 0)
			continue;
		/* Only the topmost header of the trusted server counts: the
		 * server adds its own above anything the sender forged (and
		 * should remove forged ones, RFC 8601 section 5). */
		for (guint k = 1; clauses[k] != NULL; k++) {
			g_autofree char *c = g_strdup(g_strstrip(clauses[k]));

			if (g_str_has_prefix(c, "dmarc=pass")) {
				g_autofree char *hf = clause_property(c, "header.from");

				if (hf == NULL || aligned(hf, at + 1))
					return TRUE;
			} else if (g_str_has_prefix(c, "dkim=pass")) {
				g_autofree char *d = clause_property(c, "header.d");
				g_autofree char *ii = d ? NULL : clause_property(c, "header.i");

				if (aligned(d ? d : ii, at + 1))
					return TRUE;
			}
		}
		return FALSE;
	}
	return FALSE;
}

gboolean
rd_command_is_muted(rd_store *s, gint64 person_id, gint64 thread_id, gboolean *muted,
                    GError **error)
{
	return rd_store_mute_check(s, person_id, thread_id, muted, error);
}

/* ---- templates and outgoing mail ---- */

static char *
template_source(const rd_deliver_opts *o, const rd_community *c, const char *name)
{
	const char *dirs[4];
	guint n = 0;
	g_autofree char *own = NULL;

	if (o->home != NULL)
		dirs[n++] = own = g_build_filename(o->home, "templates", c->name, NULL);
	if (o->template_dir != NULL)
		dirs[n++] = o->template_dir;
	dirs[n++] = "templates";
#ifdef RD_DATADIR
	dirs[n++] = RD_DATADIR "/templates";
#endif
	for (guint i = 0; i < n; i++) {
		g_autofree char *path = g_build_filename(dirs[i], name, NULL);
		char *text = NULL;

		if (g_file_get_contents(path, &text, NULL, NULL))
			return text;
	}
	return NULL;
}

/* The common variables of every template. */
static void
add_common(JsonBuilder *b, const rd_deliver_opts *o, const rd_community *c)
{
	g_autofree char *list = community_address(o, c, NULL);
	g_autofree char *request = community_address(o, c, "request");
	g_autofree char *owner = community_address(o, c, "owner");

	json_builder_set_member_name(b, "community");
	json_builder_add_string_value(b, c->name);
	json_builder_set_member_name(b, "title");
	json_builder_add_string_value(b, c->title);
	json_builder_set_member_name(b, "list_address");
	json_builder_add_string_value(b, list);
	json_builder_set_member_name(b, "request_address");
	json_builder_add_string_value(b, request);
	json_builder_set_member_name(b, "owner_address");
	json_builder_add_string_value(b, owner);
	json_builder_set_member_name(b, "token_days");
	json_builder_add_int_value(b, token_days(o));
}

static void
add_str(JsonBuilder *b, const char *key, const char *value)
{
	json_builder_set_member_name(b, key);
	if (value)
		json_builder_add_string_value(b, value);
	else
		json_builder_add_null_value(b);
}

/* Render template NAME with the object B was building (closed here).  The
 * first line "Subject: ..." of the output becomes *SUBJECT. */
static char *
render(const rd_deliver_opts *o, const rd_community *c, const char *name, JsonBuilder *b,
       char **subject, GError **error)
{
	g_autofree char *src = template_source(o, c, name);
	g_autoptr(JsonNode) root = NULL;
	char *text, *nl;

	json_builder_end_object(b);
	root = json_builder_get_root(b);
	if (src == NULL) {
		/* An installation problem: keep the mail queued at the MTA
		 * until the templates are back. */
		g_set_error(error, RD_ERROR, RD_TEMPFAIL, "template %s is missing", name);
		return NULL;
	}
	text = rd_mustache_render_string(src, root, RD_MUSTACHE_TEXT, NULL, NULL, error);
	if (text == NULL) {
		GError *e = *error;

		if (e)
			e->code = RD_TEMPFAIL;
		return NULL;
	}
	if (subject != NULL && g_str_has_prefix(text, "Subject: ") &&
	    (nl = strchr(text, '\n')) != NULL) {
		char *body = nl + 1;

		*subject = g_strndup(text + 9, nl - text - 9);
		while (*body == '\n')
			body++;
		body = g_strdup(body);
		g_free(text);
		return body;
	}
	if (subject != NULL)
		*subject = g_strdup(c->title);
	return text;
}

/* Queue one message from the community to TO: the text BODY, followed in
 * a multipart/mixed by the MIME objects of PARTS when it has any (NULL:
 * text only).  AUTO_REPLY mail counts against the per-address limit: past
 * it, nothing is queued and *SENT (may be NULL) is FALSE.  Automatic mail
 * has a null envelope sender (RFC 3834) so that nothing answers it in
 * turn. */
static gboolean
queue_mail(rd_store *s, const rd_deliver_opts *o, const rd_community *c, gint64 person_id,
           const char *to, const char *subject, const char *reply_to, const char *body,
           GPtrArray *parts, gboolean auto_reply, gint64 now, gboolean *sent, GError **error)
{
	g_autoptr(GMimeMessage) msg = NULL;
	g_autoptr(GDateTime) date = g_date_time_new_now_utc();
	g_autoptr(rd_outbox_item) item = NULL;
	g_autofree char *from = community_address(o, c, "request");
	g_autofree char *list = community_address(o, c, NULL);
	g_autofree char *uuid = g_uuid_string_random();
	g_autofree char *mid = g_strdup_printf("cmd-%s@%s", uuid, c->domain);
	GMimeTextPart *part;
	gboolean allowed = TRUE;
	const char *auto_kind = auto_reply ? "auto-replied" : "auto-generated";
	char *bytes;

	if (sent)
		*sent = FALSE;
	if (auto_reply) {
		g_autoptr(rd_member) mem = NULL;
		g_autoptr(GError) err = NULL;

		/* Owners and moderators run their community by email and
		 * need every answer; anyone else's address could be forged
		 * into a backscatter victim, so it gets at most LIMIT a day. */
		mem = rd_store_member_get(s, c->id, to, &err);
		if (mem == NULL && rd_status_from_error(err) != RD_NOTFOUND) {
			g_propagate_error(error, g_steal_pointer(&err));
			return FALSE;
		}
		if (mem != NULL &&
		    (strcmp(mem->role, "owner") == 0 || strcmp(mem->role, "moderator") == 0))
			auto_reply = FALSE;
	}
	if (auto_reply) {
		int limit = o->reply_limit > 0 ? o->reply_limit : DEFAULT_REPLY_LIMIT;

		if (!rd_store_autoreply_take(s, to, now, limit, &allowed, error))
			return FALSE;
		if (!allowed) {
			rd_log_info("%s@%s: no more automatic replies to %s today (%s)", c->name,
			            c->domain, to, subject);
			return TRUE;
		}
	}
	msg = g_mime_message_new(TRUE);
	g_mime_message_add_mailbox(msg, GMIME_ADDRESS_TYPE_FROM, c->title, from);
	g_mime_message_add_mailbox(msg, GMIME_ADDRESS_TYPE_TO, NULL, to);
	if (reply_to)
		g_mime_message_add_mailbox(msg, GMIME_ADDRESS_TYPE_REPLY_TO, NULL, reply_to);
	g_mime_message_set_subject(msg, subject, "utf-8");
	g_mime_message_set_date(msg, date);
	g_mime_message_set_message_id(msg, mid);
	g_mime_object_set_header(GMIME_OBJECT(msg), "Auto-Submitted", auto_kind, NULL);
	/* Our own mail forwarded back to the list is recognised as a loop. */
	g_mime_object_set_header(GMIME_OBJECT(msg), "X-Loop", list, NULL);
	part = g_mime_text_part_new_with_subtype("plain");
	g_mime_text_part_set_text(part, body);
	g_mime_part_set_content_encoding(GMIME_PART(part), GMIME_CONTENT_ENCODING_QUOTEDPRINTABLE);
	if (parts != NULL && parts->len > 0) {
		GMimeMultipart *mixed = g_mime_multipart_new_with_subtype("mixed");

		g_mime_multipart_add(mixed, GMIME_OBJECT(part));
		for (guint i = 0; i < parts->len; i++)
			g_mime_multipart_add(mixed, parts->pdata[i]);
		g_mime_message_set_mime_part(msg, GMIME_OBJECT(mixed));
		g_object_unref(mixed);
	} else {
		g_mime_message_set_mime_part(msg, GMIME_OBJECT(part));
	}
	g_object_unref(part);
	bytes = g_mime_object_to_string(GMIME_OBJECT(msg), NULL);

	item = g_new0(rd_outbox_item, 1);
	item->kind = g_strdup("message");
	item->person_id = person_id;
	item->community_id = c->id;
	item->recipient = g_strdup(to);
	item->envelope_from = g_strdup("");
	item->subject = g_strdup(subject);
	item->data = g_bytes_new_take(bytes, strlen(bytes));
	item->created = now;
	item->next_attempt = now;
	if (!rd_store_outbox_add(s, item, error))
		return FALSE;
	if (sent)
		*sent = TRUE;
	return TRUE;
}

/* Render template NAME and queue it to TO. */
static gboolean
send_template(cmd_ctx *x, const char *name, JsonBuilder *b, gint64 person_id, const char *to,
              const char *reply_to, gboolean auto_reply, gboolean *sent, GError **error)
{
	g_autofree char *subject = NULL;
	g_autofree char *body = render(x->o, x->c, name, b, &subject, error);

	if (body == NULL)
		return FALSE;
	return queue_mail(x->s, x->o, x->c, person_id, to, subject, reply_to, body, NULL,
	                  auto_reply, x->now, sent, error);
}

static JsonBuilder *
builder_new(cmd_ctx *x)
{
	JsonBuilder *b = json_builder_new();

	json_builder_begin_object(b);
	add_common(b, x->o, x->c);
	return b;
}

/* ---- pending actions ---- */

/* Create a pending action and return its token. */
static char *
pending_new(cmd_ctx *x, const char *kind, const char *address, gint64 person_id,
            const char *payload, GError **error)
{
	g_autoptr(rd_pending_action) p = g_new0(rd_pending_action, 1);

	p->community_id = x->c->id;
	p->kind = g_strdup(kind);
	p->address = g_ascii_strdown(address, -1);
	p->person_id = person_id;
	p->payload = g_strdup(payload);
	/* The nonce only keeps a token from matching a later action that
	 * reuses the id (a restored database); the HMAC is what makes
	 * tokens unguessable. */
	p->nonce = g_random_int_range(1, G_MAXINT32);
	p->created = x->now;
	p->expires = x->now + token_days(x->o) * 86400;
	if (!rd_store_pending_add(x->s, p, error))
		return NULL;
	return rd_token_make(x->o->secret, RD_TOKEN_PENDING, x->c->name, (guint64)p->id,
	                     (guint64)p->nonce);
}

static char *
confirm_address(cmd_ctx *x, const char *token)
{
	g_autofree char *ext = g_strdup_printf("c-%s", token);

	return community_address(x->o, x->c, ext);
}

/* Remember a confirmation the writer is asked for in the command reply. */
static void
ask_writer(cmd_ctx *x, const char *what, const char *token)
{
	cmd_confirmation *k = g_new0(cmd_confirmation, 1);

	k->what = g_strdup(what);
	k->token = g_strdup(token);
	k->address = confirm_address(x, token);
	g_ptr_array_add(x->confirms, k);
}

/* ---- helpers for commands ---- */

static gboolean
is_owner(const rd_member *m)
{
	return m != NULL && strcmp(m->role, "owner") == 0;
}

static gboolean
is_moderator(const rd_member *m)
{
	return m != NULL && (strcmp(m->role, "owner") == 0 || strcmp(m->role, "moderator") == 0);
}

/* The membership of ADDRESS, NULL (no error) when there is none. */
static gboolean
member_lookup(cmd_ctx *x, const char *address, rd_member **out, GError **error)
{
	g_autoptr(GError) err = NULL;

	*out = rd_store_member_get(x->s, x->c->id, address, &err);
	if (*out == NULL && rd_status_from_error(err) != RD_NOTFOUND) {
		g_propagate_error(error, g_steal_pointer(&err));
		return FALSE;
	}
	return TRUE;
}

static gboolean
valid_delivery(const char *d)
{
	return strcmp(d, "digest") == 0 || strcmp(d, "each") == 0 || strcmp(d, "none") == 0;
}

static gboolean
valid_role(const char *r)
{
	return strcmp(r, "member") == 0 || strcmp(r, "poster") == 0 ||
	       strcmp(r, "moderator") == 0 || strcmp(r, "owner") == 0;
}

static gboolean
looks_like_address(const char *a)
{
	const char *at = strchr(a, '@');

	return at != NULL && at != a && at[1] != '\0' && strchr(at + 1, '@') == NULL &&
	       strchr(a, '<') == NULL && strchr(a, '>') == NULL && strchr(a, ',') == NULL;
}

/* "<addr>" and "mailto:addr" as people paste them. */
static char *
clean_address(const char *a)
{
	g_autofree char *t = g_strdup(a);
	char *p = t;
	gsize n;

	if (g_ascii_strncasecmp(p, "mailto:", 7) == 0)
		p += 7;
	if (*p == '<')
		p++;
	n = strlen(p);
	if (n > 0 && p[n - 1] == '>')
		p[n - 1] = '\0';
	return g_ascii_strdown(p, -1);
}

static gboolean
need_member(cmd_ctx *x, GString *res)
{
	if (x->mem != NULL)
		return TRUE;
	g_string_append_printf(res, "Not a member of %s (any more).", x->c->title);
	return FALSE;
}

static gboolean
set_own(cmd_ctx *x, const char *key, const char *value, GError **error)
{
	return rd_store_member_set(x->s, x->c->id, x->mem->address, key, value, error);
}

/* The person a command token names, checked: *PID and *TID. */
static gboolean
command_token(cmd_ctx *x, const char *token, gint64 *pid, gint64 *tid, GString *res)
{
	guint64 a = 0, b = 0;

	if (token == NULL ||
	    !rd_token_check(x->o->secret, RD_TOKEN_COMMAND, x->c->name, token, &a, &b)) {
		g_string_append(res, "That code is not valid here: please use the link in your "
		                     "latest digest.");
		return FALSE;
	}
	*pid = (gint64)a;
	*tid = (gint64)b;
	return TRUE;
}

/* ---- everyone's commands ---- */

static gboolean
cmd_help(cmd_ctx *x, char **argv, guint argc, GString *res, GError **error)
{
	JsonBuilder *b = builder_new(x);
	g_autofree char *text = NULL;

	json_builder_set_member_name(b, "is_owner");
	json_builder_add_boolean_value(b, is_moderator(x->mem));
	text = render(x->o, x->c, "help.txt.mustache", b, NULL, error);
	g_object_unref(b);
	if (text == NULL)
		return FALSE;
	g_string_append(res, text);
	return TRUE;
}

static gboolean
cmd_subscribe(cmd_ctx *x, char **argv, guint argc, GString *res, GError **error)
{
	const char *delivery = "digest";
	g_autofree char *target = g_strdup(x->from);
	g_autoptr(rd_member) existing = NULL;
	g_autofree char *tok = NULL;

	for (guint i = 1; i < argc; i++) {
		g_autofree char *w = g_ascii_strdown(argv[i], -1);

		if (valid_delivery(w))
			delivery = strcmp(w, "each") == 0   ? "each"
			           : strcmp(w, "none") == 0 ? "none"
			                                    : "digest";
		else if (looks_like_address(argv[i])) {
			g_free(target);
			target = clean_address(argv[i]);
		} else {
			g_string_append_printf(res,
			                       "Not understood: \"%s\". Use: subscribe "
			                       "[digest|each|none] [ADDRESS].",
			                       argv[i]);
			return TRUE;
		}
	}
	if (!member_lookup(x, target, &existing, error))
		return FALSE;
	if (existing != NULL && strcmp(existing->status, "active") == 0) {
		g_string_append_printf(res, "%s is already a member of %s.", target, x->c->title);
		return TRUE;
	}
	tok = pending_new(x, "subscribe", target, 0, delivery, error);
	if (tok == NULL)
		return FALSE;
	if (g_ascii_strcasecmp(target, x->from) == 0) {
		g_string_append_printf(res, "To join %s, please confirm (see below).", x->c->title);
		ask_writer(x, "join", tok);
		return TRUE;
	}
	/* Subscribing someone else only ever asks them. */
	JsonBuilder *b = builder_new(x);
	g_autofree char *caddr = confirm_address(x, tok);
	gboolean sent;

	add_str(b, "address", target);
	add_str(b, "requester", x->from);
	add_str(b, "delivery", delivery);
	add_str(b, "token", tok);
	add_str(b, "confirm_address", caddr);
	if (!send_template(x, "confirm-subscribe.txt.mustache", b, 0, target, caddr, TRUE, &sent,
	                   error)) {
		g_object_unref(b);
		return FALSE;
	}
	g_object_unref(b);
	g_string_append_printf(res,
	                       "A confirmation request was sent to %s; nothing changes until "
	                       "they confirm.",
	                       target);
	return TRUE;
}

/* Remove PERSON (address ADDR) and send the goodbye. */
static gboolean
leave_now(cmd_ctx *x, const char *addr, gint64 person_id, GError **error)
{
	JsonBuilder *b;
	gboolean ok;

	if (!rd_store_member_remove(x->s, x->c->id, addr, error))
		return FALSE;
	b = builder_new(x);
	add_str(b, "address", addr);
	ok = send_template(x, "goodbye.txt.mustache", b, person_id, addr, NULL, TRUE, NULL, error);
	g_object_unref(b);
	return ok;
}

static gboolean
cmd_unsubscribe(cmd_ctx *x, char **argv, guint argc, GString *res, GError **error)
{
	g_autofree char *tok = NULL;

	if (argc > 1) {
		gint64 pid, tid;
		g_autofree char *addr = NULL;
		g_autoptr(rd_member) mem = NULL;
		g_autoptr(GError) err = NULL;

		if (!command_token(x, argv[1], &pid, &tid, res))
			return TRUE;
		if (!rd_store_reply_person_get(x->s, pid, &addr, NULL, &err)) {
			if (rd_status_from_error(err) != RD_NOTFOUND) {
				g_propagate_error(error, g_steal_pointer(&err));
				return FALSE;
			}
		}
		if (addr != NULL && !member_lookup(x, addr, &mem, error))
			return FALSE;
		if (mem == NULL) {
			g_string_append_printf(res, "That address is no longer a member of %s.",
			                       x->c->title);
			return TRUE;
		}
		/* The digest's own link needs no confirmation. */
		if (!leave_now(x, addr, pid, error))
			return FALSE;
		g_string_append_printf(res, "%s has left %s.", addr, x->c->title);
		if (g_ascii_strcasecmp(addr, x->from) == 0)
			x->quiet = TRUE;
		return TRUE;
	}
	if (!need_member(x, res))
		return TRUE;
	tok = pending_new(x, "unsubscribe", x->from, x->mem->person_id, NULL, error);
	if (tok == NULL)
		return FALSE;
	g_string_append_printf(res, "To leave %s, please confirm (see below).", x->c->title);
	ask_writer(x, "leave", tok);
	return TRUE;
}

static int
weekday_number(const char *w)
{
	static const char *const days[] = {"mon", "tue", "wed", "thu", "fri", "sat", "sun"};

	for (int i = 0; i < 7; i++)
		if (g_ascii_strncasecmp(w, days[i], 3) == 0)
			return i + 1;
	return 0;
}

static gboolean
digest_set(cmd_ctx *x, const char *freq, const char *day, GString *res, GError **error)
{
	int wd = 0;

	if (strcmp(freq, "off") == 0) {
		if (!set_own(x, "delivery", "none", error))
			return FALSE;
		g_string_append_printf(res, "No more digests from %s.", x->c->title);
		return TRUE;
	}
	if (strcmp(freq, "daily") != 0 && strcmp(freq, "weekly") != 0) {
		g_string_append(res, "Use: digest daily, digest weekly [DAY] or digest off.");
		return TRUE;
	}
	if (day != NULL && (strcmp(freq, "weekly") != 0 || (wd = weekday_number(day)) == 0)) {
		g_string_append_printf(res, "\"%s\" is not a day of the week.", day);
		return TRUE;
	}
	if (!set_own(x, "delivery", "digest", error) ||
	    !set_own(x, "digest_frequency", freq, error))
		return FALSE;
	if (wd > 0) {
		g_autofree char *n = g_strdup_printf("%d", wd);

		if (!set_own(x, "digest_day", n, error))
			return FALSE;
	}
	g_string_append_printf(res, "Your digest of %s now comes %s%s%s.", x->c->title, freq,
	                       wd > 0 ? " on " : "", wd > 0 ? day : "");
	return TRUE;
}

static gboolean
cmd_digest(cmd_ctx *x, char **argv, guint argc, GString *res, GError **error)
{
	g_autofree char *verb = g_ascii_strdown(argv[0], -1);
	g_autofree char *freq = NULL;

	if (!need_member(x, res))
		return TRUE;
	if (strcmp(verb, "digest") == 0) {
		if (argc < 2) {
			g_string_append(res,
			                "Use: digest daily, digest weekly [DAY] or digest off.");
			return TRUE;
		}
		freq = g_ascii_strdown(argv[1], -1);
		return digest_set(x, freq, argc > 2 ? argv[2] : NULL, res, error);
	}
	return digest_set(x, verb, argc > 1 ? argv[1] : NULL, res, error);
}

static gboolean
cmd_each(cmd_ctx *x, char **argv, guint argc, GString *res, GError **error)
{
	if (!need_member(x, res))
		return TRUE;
	if (!set_own(x, "delivery", "each", error))
		return FALSE;
	g_string_append_printf(res, "You now get every message of %s as it comes.", x->c->title);
	return TRUE;
}

/* YYYY-MM-DD, a real date after NOW: the ISO instant of its midnight UTC. */
static char *
parse_date(const char *text, gint64 now)
{
	int y, mo, d;
	char tail;
	g_autoptr(GDateTime) dt = NULL;

	if (sscanf(text, "%4d-%2d-%2d%c", &y, &mo, &d, &tail) != 3)
		return NULL;
	dt = g_date_time_new_utc(y, mo, d, 0, 0, 0);
	if (dt == NULL || g_date_time_to_unix(dt) <= now)
		return NULL;
	return g_date_time_format(dt, "%Y-%m-%dT%H:%M:%SZ");
}

static gboolean
cmd_pause(cmd_ctx *x, char **argv, guint argc, GString *res, GError **error)
{
	g_autofree char *verb = g_ascii_strdown(argv[0], -1);
	const char *date = NULL;
	g_autofree char *until = NULL;

	if (!need_member(x, res))
		return TRUE;
	if (strcmp(verb, "pause") == 0 && argc > 1)
		date = (argc > 2 && g_ascii_strcasecmp(argv[1], "until") == 0) ? argv[2] : argv[1];
	if (date == NULL) {
		if (!set_own(x, "status", "paused", error))
			return FALSE;
		g_string_append_printf(res, "No mail from %s until you send \"resume\".",
		                       x->c->title);
		return TRUE;
	}
	until = parse_date(date, x->now);
	if (until == NULL) {
		g_string_append_printf(res, "\"%s\" is not a future date like 2027-01-10.", date);
		return TRUE;
	}
	if (!rd_store_command_set_paused(x->s, x->mem->person_id, until, error))
		return FALSE;
	g_string_append_printf(res, "Digests paused until %.10s.", until);
	return TRUE;
}

static gboolean
cmd_resume(cmd_ctx *x, char **argv, guint argc, GString *res, GError **error)
{
	if (!need_member(x, res))
		return TRUE;
	if (!set_own(x, "status", "active", error) ||
	    !rd_store_command_set_paused(x->s, x->mem->person_id, NULL, error))
		return FALSE;
	g_string_append_printf(res, "Mail from %s resumes.", x->c->title);
	return TRUE;
}

static gboolean
cmd_timezone(cmd_ctx *x, char **argv, guint argc, GString *res, GError **error)
{
	GTimeZone *tz;

	if (!need_member(x, res))
		return TRUE;
	if (argc < 2) {
		g_string_append(res, "Use: timezone ZONE, for example timezone Europe/Paris.");
		return TRUE;
	}
	/* Only IANA names: an offset like +02:00 ignores summer time. */
	tz = strchr(argv[1], '/') || g_ascii_strcasecmp(argv[1], "UTC") == 0
	         ? g_time_zone_new_identifier(argv[1])
	         : NULL;
	if (tz == NULL) {
		g_string_append_printf(res, "\"%s\" is not a time zone name like Europe/Paris.",
		                       argv[1]);
		return TRUE;
	}
	g_time_zone_unref(tz);
	if (!set_own(x, "timezone", argv[1], error))
		return FALSE;
	g_string_append_printf(res, "Your time zone is now %s.", argv[1]);
	return TRUE;
}

static gboolean
cmd_digest_time(cmd_ctx *x, char **argv, guint argc, GString *res, GError **error)
{
	int h, m;
	char tail;
	g_autofree char *hhmm = NULL;

	if (!need_member(x, res))
		return TRUE;
	if (argc < 2 || sscanf(argv[1], "%2d:%2d%c", &h, &m, &tail) != 2 || h < 0 || h > 23 ||
	    m < 0 || m > 59) {
		g_string_append(res, "Use: digest-time HH:MM, for example digest-time 07:30.");
		return TRUE;
	}
	hhmm = g_strdup_printf("%02d:%02d", h, m);
	if (!set_own(x, "digest_time", hhmm, error))
		return FALSE;
	g_string_append_printf(res, "Your digest now comes at %s your time.", hhmm);
	return TRUE;
}

static gboolean
cmd_grouping(cmd_ctx *x, char **argv, guint argc, GString *res, GError **error)
{
	g_autofree char *verb = g_ascii_strdown(argv[0], -1);

	if (!need_member(x, res))
		return TRUE;
	if (!set_own(x, "grouping", verb, error))
		return FALSE;
	g_string_append(res, strcmp(verb, "combined") == 0
	                         ? "Your communities now come in one combined digest."
	                         : "Each community now sends you its own digest.");
	return TRUE;
}

static gboolean
cmd_mute(cmd_ctx *x, char **argv, guint argc, GString *res, GError **error)
{
	gboolean mute = g_ascii_strcasecmp(argv[0], "mute") == 0;
	g_autoptr(rd_thread_info) t = NULL;
	g_autoptr(GError) err = NULL;
	gint64 pid, tid;

	if (!command_token(x, argc > 1 ? argv[1] : NULL, &pid, &tid, res))
		return TRUE;
	if (tid == 0 || (t = rd_store_thread_get(x->s, tid, &err)) == NULL ||
	    t->community_id != x->c->id) {
		if (err != NULL && rd_status_from_error(err) != RD_NOTFOUND) {
			g_propagate_error(error, g_steal_pointer(&err));
			return FALSE;
		}
		g_string_append(res, "That conversation does not exist any more.");
		return TRUE;
	}
	if (!rd_store_mute_set(x->s, pid, x->c->id, tid, mute, x->now, error))
		return FALSE;
	g_string_append_printf(res,
	                       mute ? "\"%s\" is muted: it will not appear in your digest."
	                            : "You follow \"%s\" again.",
	                       t->subject);
	return TRUE;
}

/* "get CODE attachments" sends them in one mail of at most this many bytes
 * (or the installation's max-message-size when that is smaller): many mail
 * servers refuse larger mail, and a refused mail would bring nothing. */
#define ATTACHMENTS_MAX_BYTES (10 * 1000 * 1000)

/* What "get CODE attachments" gathers: the parts to attach and the room
 * left for them. */
typedef struct {
	GPtrArray *parts;       /* GMimeObject* */
	gint64 room;            /* bytes still free in the mail */
	const char *limit_text; /* the limit, to say why one is left out */
	guint found, attached;
} get_attachments;

/* The bytes DATA_LEN bytes take in base64, with GMime's 76-column lines,
 * plus room for the part's headers. */
static gint64
base64_size(gsize data_len)
{
	gint64 chars = ((gint64)data_len + 2) / 3 * 4;

	return chars + chars / 76 + 1 + 512;
}

/* One attachment as a part of its own: the content type and file name it
 * came with, base64 so that any bytes survive.  An attached message stays
 * a message (RFC 2046 allows no base64 for message/rfc822); anything
 * GMime cannot attach as its type goes as application/octet-stream. */
static GMimeObject *
attachment_part(const rd_attachment *a, GBytes *data)
{
	gsize len;
	const char *p = g_bytes_get_data(data, &len);
	const char *slash = a->content_type ? strchr(a->content_type, '/') : NULL;
	g_autofree char *type = slash ? g_strndup(a->content_type, slash - a->content_type) : NULL;
	const char *subtype = slash ? slash + 1 : NULL;
	g_autoptr(GMimeStream) stream = g_mime_stream_mem_new_with_buffer(p ? p : "", len);
	g_autoptr(GMimeDataWrapper) wrapper = NULL;
	GMimePart *part;

	if (g_strcmp0(type, "message") == 0 &&
	    (strcmp(subtype, "rfc822") == 0 || strcmp(subtype, "global") == 0 ||
	     strcmp(subtype, "news") == 0)) {
		g_autoptr(GMimeParser) parser = g_mime_parser_new_with_stream(stream);
		g_autoptr(GMimeMessage) inner = g_mime_parser_construct_message(parser, NULL);

		if (inner != NULL) {
			GMimeObject *mp =
			    GMIME_OBJECT(g_mime_message_part_new_with_message(subtype, inner));

			g_mime_object_set_disposition(mp, GMIME_DISPOSITION_ATTACHMENT);
			if (a->filename != NULL && *a->filename != '\0')
				g_mime_object_set_content_disposition_parameter(mp, "filename",
				                                                a->filename);
			return mp;
		}
		g_mime_stream_reset(stream);
	}
	if (type == NULL || *type == '\0' || *subtype == '\0' || strcmp(type, "message") == 0 ||
	    strcmp(type, "multipart") == 0)
		part = g_mime_part_new_with_type("application", "octet-stream");
	else
		part = g_mime_part_new_with_type(type, subtype);
	/* Only the type was kept, not the charset: label text that is valid
	 * UTF-8 as such, so that it reads as it was written. */
	if (g_strcmp0(type, "text") == 0 && p != NULL && g_utf8_validate(p, (gssize)len, NULL))
		g_mime_object_set_content_type_parameter(GMIME_OBJECT(part), "charset", "utf-8");
	wrapper = g_mime_data_wrapper_new_with_stream(stream, GMIME_CONTENT_ENCODING_DEFAULT);
	g_mime_part_set_content(part, wrapper);
	g_mime_part_set_content_encoding(part, GMIME_CONTENT_ENCODING_BASE64);
	g_mime_object_set_disposition(GMIME_OBJECT(part), GMIME_DISPOSITION_ATTACHMENT);
	if (a->filename != NULL && *a->filename != '\0')
		g_mime_part_set_filename(part, a->filename);
	return GMIME_OBJECT(part);
}

/* One attachment's entry in the conversation text: {name, size, attached,
 * reason}; REASON is why it was left out, NULL when it is attached. */
static void
add_attachment_entry(JsonBuilder *b, const rd_attachment *a, const char *reason)
{
	g_autofree char *name = a->filename && *a->filename
	                            ? g_strdup(a->filename)
	                            : g_strdup_printf("(unnamed %s)", a->content_type);
	g_autofree char *size_text = g_format_size((guint64)MAX(a->size, 0));

	json_builder_begin_object(b);
	add_str(b, "name", name);
	add_str(b, "size", size_text);
	json_builder_set_member_name(b, "attached");
	json_builder_add_boolean_value(b, reason == NULL);
	add_str(b, "reason", reason);
	json_builder_end_object(b);
}

/* The attachments of stored message M: attached to the mail while there
 * is room (G), listed in its text either way (an "attachments" array for
 * the message object B is building). */
static gboolean
get_message_attachments(cmd_ctx *x, const rd_stored_message *m, get_attachments *g, JsonBuilder *b,
                        GError **error)
{
	g_autoptr(rd_stored_message) full = NULL;
	g_autoptr(rd_message) parsed = NULL;
	g_autoptr(GError) err = NULL;
	g_autofree char *too_big = NULL;

	full = rd_store_message_get(x->s, x->c->id, m->message_id, TRUE, &err);
	if (full == NULL) {
		if (rd_status_from_error(err) == RD_NOTFOUND)
			return TRUE;
		g_propagate_error(error, g_steal_pointer(&err));
		return FALSE;
	}
	if (full->attachments == NULL || full->attachments->len == 0)
		return TRUE;
	/* The bytes live only in the stored raw message: parse it again. */
	parsed = rd_message_parse_full(full->raw, x->c->domain, TRUE, NULL);
	too_big =
	    g_strdup_printf("left out: it would make this mail larger than %s", g->limit_text);
	json_builder_set_member_name(b, "attachments");
	json_builder_begin_array(b);
	if (parsed == NULL) {
		for (guint i = 0; i < full->attachments->len; i++) {
			rd_attachment *a = full->attachments->pdata[i];

			g->found++;
			add_attachment_entry(
			    b, a, "left out: it could not be read back from the archive");
		}
	}
	for (guint i = 0;
	     parsed != NULL && i < parsed->attachments->len && i < parsed->attachment_data->len;
	     i++) {
		rd_attachment *a = parsed->attachments->pdata[i];
		GBytes *data = parsed->attachment_data->pdata[i];
		gint64 need = base64_size(g_bytes_get_size(data));

		g->found++;
		if (need > g->room) {
			add_attachment_entry(b, a, too_big);
			continue;
		}
		g->room -= need;
		g->attached++;
		g_ptr_array_add(g->parts, attachment_part(a, data));
		add_attachment_entry(b, a, NULL);
	}
	json_builder_end_array(b);
	return TRUE;
}

/* get CODE [attachments]: the whole conversation the code names, to the
 * person it names; with "attachments" also every attachment of its
 * messages, as real attachments, as far as they fit in one mail. */
static gboolean
cmd_get(cmd_ctx *x, char **argv, guint argc, GString *res, GError **error)
{
	g_autoptr(rd_thread_info) t = NULL;
	g_autoptr(GPtrArray) msgs = NULL;
	g_autoptr(GError) err = NULL;
	g_autoptr(GPtrArray) parts = g_ptr_array_new_with_free_func(g_object_unref);
	g_autofree char *addr = NULL, *subject = NULL, *body = NULL, *limit_text = NULL;
	gboolean with_attachments = argc > 2 && g_ascii_strcasecmp(argv[2], "attachments") == 0;
	get_attachments g = {parts, 0, NULL, 0, 0};
	gint64 limit = ATTACHMENTS_MAX_BYTES;
	gint64 pid, tid;
	JsonBuilder *b;
	gboolean ok = TRUE, sent = FALSE;

	if (!command_token(x, argc > 1 ? argv[1] : NULL, &pid, &tid, res))
		return TRUE;
	if (tid == 0 || (t = rd_store_thread_get(x->s, tid, &err)) == NULL ||
	    t->community_id != x->c->id) {
		if (err != NULL && rd_status_from_error(err) != RD_NOTFOUND) {
			g_propagate_error(error, g_steal_pointer(&err));
			return FALSE;
		}
		g_string_append(res, "That conversation does not exist any more.");
		return TRUE;
	}
	if (!rd_store_reply_person_get(x->s, pid, &addr, NULL, error))
		return FALSE;
	msgs = rd_store_thread_messages_upto(x->s, tid, 0, error);
	if (msgs == NULL)
		return FALSE;
	if (x->o->max_size > 0 && x->o->max_size < limit)
		limit = x->o->max_size;
	g.limit_text = limit_text = g_format_size((guint64)limit);
	/* The text goes quoted-printable: at most about three bytes for one,
	 * four to be safe, and room for the headers. */
	g.room = limit - 8192;
	for (guint i = 0; i < msgs->len; i++)
		g.room -= 4 * (gint64)strlen(((rd_stored_message *)msgs->pdata[i])->body);
	b = builder_new(x);
	add_str(b, "subject", t->subject);
	json_builder_set_member_name(b, "messages");
	json_builder_begin_array(b);
	for (guint i = 0; ok && i < msgs->len; i++) {
		rd_stored_message *m = msgs->pdata[i];

		json_builder_begin_object(b);
		add_str(b, "from", m->from_name && *m->from_name ? m->from_name : m->from_addr);
		add_str(b, "address", m->from_addr);
		add_str(b, "date", m->date_text);
		add_str(b, "body", m->body);
		if (with_attachments)
			ok = get_message_attachments(x, m, &g, b, error);
		json_builder_end_object(b);
	}
	json_builder_end_array(b);
	json_builder_set_member_name(b, "with_attachments");
	json_builder_add_boolean_value(b, with_attachments);
	json_builder_set_member_name(b, "no_attachments");
	json_builder_add_boolean_value(b, g.found == 0);
	json_builder_set_member_name(b, "any_attached");
	json_builder_add_boolean_value(b, g.attached > 0);
	json_builder_set_member_name(b, "any_left_out");
	json_builder_add_boolean_value(b, g.attached < g.found);
	/* The conversation goes to the person the token names, never to
	 * whoever sent the command. */
	if (ok)
		body = render(x->o, x->c, "conversation.txt.mustache", b, &subject, error);
	g_object_unref(b);
	if (!ok || body == NULL ||
	    !queue_mail(x->s, x->o, x->c, pid, addr, subject, NULL, body, parts, TRUE, x->now,
	                &sent, error))
		return FALSE;
	if (!sent)
		g_string_append_printf(res,
		                       "The conversation \"%s\" was not sent: %s has had enough "
		                       "automatic mail for today.",
		                       t->subject, addr);
	else if (!with_attachments)
		g_string_append_printf(
		    res, "The whole conversation \"%s\" (%u messages) was sent to %s.", t->subject,
		    msgs->len, addr);
	else if (g.found == 0)
		g_string_append_printf(res,
		                       "The conversation \"%s\" has no attachments; the whole "
		                       "conversation (%u messages) was sent to %s.",
		                       t->subject, msgs->len, addr);
	else if (g.attached == g.found)
		g_string_append_printf(res,
		                       "The whole conversation \"%s\" (%u messages) and its %u "
		                       "attachments were sent to %s.",
		                       t->subject, msgs->len, g.found, addr);
	else
		g_string_append_printf(
		    res,
		    "The whole conversation \"%s\" (%u messages) was sent to %s "
		    "with %u of its %u attachments: the others did not fit in one "
		    "mail (%s at most) or could not be read; the mail says which.",
		    t->subject, msgs->len, addr, g.attached, g.found, limit_text);
	return TRUE;
}

static gboolean
cmd_settings(cmd_ctx *x, char **argv, guint argc, GString *res, GError **error)
{
	g_autofree char *paused = NULL;
	static const char *const days[] = {"",         "Monday", "Tuesday",  "Wednesday",
	                                   "Thursday", "Friday", "Saturday", "Sunday"};
	const rd_member *m = x->mem;

	if (!need_member(x, res))
		return TRUE;
	if (!rd_store_command_paused(x->s, m->person_id, &paused, error))
		return FALSE;
	g_string_append_printf(res, "address:      %s\n", m->address);
	if (m->name)
		g_string_append_printf(res, "name:         %s\n", m->name);
	g_string_append_printf(res, "role:         %s\n", m->role);
	g_string_append_printf(res, "delivery:     %s\n", m->delivery);
	g_string_append_printf(res, "status:       %s\n", m->status);
	g_string_append_printf(res, "digest:       %s%s%s\n", m->digest_frequency,
	                       strcmp(m->digest_frequency, "weekly") == 0 ? " on " : "",
	                       strcmp(m->digest_frequency, "weekly") == 0 && m->digest_day >= 1 &&
	                               m->digest_day <= 7
	                           ? days[m->digest_day]
	                           : "");
	g_string_append_printf(res, "digest-time:  %s\n", m->digest_time);
	g_string_append_printf(res, "timezone:     %s\n", m->timezone ? m->timezone : "(default)");
	g_string_append_printf(res, "grouping:     %s\n", m->grouping);
	g_string_append_printf(res, "paused until: %s", paused ? paused : "(not paused)");
	return TRUE;
}

static gboolean run_confirm(cmd_ctx *x, const char *token, GString *res, GError **error);

static gboolean
cmd_confirm(cmd_ctx *x, char **argv, guint argc, GString *res, GError **error)
{
	if (argc < 2) {
		g_string_append(res, "Use: confirm TOKEN, with the code from the request.");
		return TRUE;
	}
	g_autofree char *tok = g_ascii_strdown(argv[1], -1);
	return run_confirm(x, tok, res, error);
}

/* ---- owners' and moderators' commands ---- */

static gboolean
add_member(cmd_ctx *x, const char *addr, const char *name, const char *role, const char *delivery,
           GError **error)
{
	gint64 pid;
	JsonBuilder *b;
	gboolean ok;

	if (!rd_store_person_ensure(x->s, addr, name, &pid, error) ||
	    !rd_store_member_add(x->s, x->c->id, pid, role, delivery, error))
		return FALSE;
	b = builder_new(x);
	add_str(b, "address", addr);
	add_str(b, "delivery", delivery);
	add_str(b, "role", role);
	ok = send_template(x, "welcome.txt.mustache", b, pid, addr, NULL, TRUE, NULL, error);
	g_object_unref(b);
	return ok;
}

static gboolean
cmd_add(cmd_ctx *x, char **argv, guint argc, GString *res, GError **error)
{
	g_autofree char *addr = NULL;
	const char *delivery = "digest", *role = "member";
	g_autoptr(GString) name = g_string_new(NULL);
	g_autoptr(rd_member) existing = NULL;

	if (argc < 2 || !looks_like_address(argv[1])) {
		g_string_append(res, "Use: add ADDRESS [NAME] [digest|each|none] [as "
		                     "poster|moderator|owner].");
		return TRUE;
	}
	addr = clean_address(argv[1]);
	for (guint i = 2; i < argc; i++) {
		g_autofree char *w = g_ascii_strdown(argv[i], -1);

		if (strcmp(w, "as") == 0 && i + 1 < argc) {
			g_autofree char *r = g_ascii_strdown(argv[++i], -1);

			if (!valid_role(r)) {
				g_string_append_printf(res, "\"%s\" is not a role.", argv[i]);
				return TRUE;
			}
			role = strcmp(r, "owner") == 0       ? "owner"
			       : strcmp(r, "moderator") == 0 ? "moderator"
			       : strcmp(r, "poster") == 0    ? "poster"
			                                     : "member";
		} else if (valid_delivery(w)) {
			delivery = strcmp(w, "each") == 0   ? "each"
			           : strcmp(w, "none") == 0 ? "none"
			                                    : "digest";
		} else {
			g_string_append_printf(name, "%s%s", name->len ? " " : "", argv[i]);
		}
	}
	if (!member_lookup(x, addr, &existing, error))
		return FALSE;
	if (existing != NULL) {
		g_string_append_printf(res, "%s is already a member (use set).", addr);
		return TRUE;
	}
	if (!add_member(x, addr, name->len ? name->str : NULL, role, delivery, error))
		return FALSE;
	g_string_append_printf(res, "Added %s as %s (%s).", addr, role, delivery);
	return TRUE;
}

static gboolean
cmd_invite(cmd_ctx *x, char **argv, guint argc, GString *res, GError **error)
{
	g_autofree char *addr = NULL, *tok = NULL, *caddr = NULL;
	g_autoptr(rd_member) existing = NULL;
	JsonBuilder *b;
	gboolean ok;

	if (argc < 2 || !looks_like_address(argv[1])) {
		g_string_append(res, "Use: invite ADDRESS.");
		return TRUE;
	}
	addr = clean_address(argv[1]);
	if (!member_lookup(x, addr, &existing, error))
		return FALSE;
	if (existing != NULL) {
		g_string_append_printf(res, "%s is already a member.", addr);
		return TRUE;
	}
	tok = pending_new(x, "invite", addr, 0, "digest", error);
	if (tok == NULL)
		return FALSE;
	caddr = confirm_address(x, tok);
	b = builder_new(x);
	add_str(b, "address", addr);
	add_str(b, "inviter", x->from);
	add_str(b, "token", tok);
	add_str(b, "confirm_address", caddr);
	ok = send_template(x, "invitation.txt.mustache", b, 0, addr, caddr, TRUE, NULL, error);
	g_object_unref(b);
	if (!ok)
		return FALSE;
	g_string_append_printf(res, "Invited %s; they join when they accept.", addr);
	return TRUE;
}

static gboolean
cmd_remove(cmd_ctx *x, char **argv, guint argc, GString *res, GError **error)
{
	g_autofree char *addr = NULL;
	g_autoptr(rd_member) existing = NULL;

	if (argc < 2 || !looks_like_address(argv[1])) {
		g_string_append(res, "Use: remove ADDRESS.");
		return TRUE;
	}
	addr = clean_address(argv[1]);
	if (!member_lookup(x, addr, &existing, error))
		return FALSE;
	if (existing == NULL) {
		g_string_append_printf(res, "%s is not a member.", addr);
		return TRUE;
	}
	if (!leave_now(x, existing->address, existing->person_id, error))
		return FALSE;
	g_string_append_printf(res, "Removed %s.", addr);
	return TRUE;
}

static gboolean
cmd_set(cmd_ctx *x, char **argv, guint argc, GString *res, GError **error)
{
	g_autofree char *addr = NULL, *key = NULL, *value = NULL;
	g_autoptr(rd_member) existing = NULL;

	if (argc < 4 || !looks_like_address(argv[1])) {
		g_string_append(res, "Use: set ADDRESS delivery digest|each|none, or set ADDRESS "
		                     "role member|poster|moderator|owner.");
		return TRUE;
	}
	addr = clean_address(argv[1]);
	key = g_ascii_strdown(argv[2], -1);
	value = g_ascii_strdown(argv[3], -1);
	if (!((strcmp(key, "delivery") == 0 && valid_delivery(value)) ||
	      (strcmp(key, "role") == 0 && valid_role(value)))) {
		g_string_append_printf(res, "Cannot set %s to %s.", key, value);
		return TRUE;
	}
	if (!member_lookup(x, addr, &existing, error))
		return FALSE;
	if (existing == NULL) {
		g_string_append_printf(res, "%s is not a member.", addr);
		return TRUE;
	}
	if (!rd_store_member_set(x->s, x->c->id, existing->address, key, value, error))
		return FALSE;
	g_string_append_printf(res, "%s: %s is now %s.", addr, key, value);
	return TRUE;
}

static gboolean
cmd_who(cmd_ctx *x, char **argv, guint argc, GString *res, GError **error)
{
	g_autoptr(GPtrArray) list = rd_store_member_list(x->s, x->c->id, error);

	if (list == NULL)
		return FALSE;
	g_string_append_printf(res, "%u members:", list->len);
	for (guint i = 0; i < list->len; i++) {
		rd_member *m = list->pdata[i];

		g_string_append_printf(res, "\n%s%s%s%s  %s, %s%s%s", m->address,
		                       m->name ? " (" : "", m->name ? m->name : "",
		                       m->name ? ")" : "", m->role, m->delivery,
		                       strcmp(m->status, "active") ? ", " : "",
		                       strcmp(m->status, "active") ? m->status : "");
	}
	return TRUE;
}

static gboolean
cmd_held(cmd_ctx *x, char **argv, guint argc, GString *res, GError **error)
{
	g_autoptr(GPtrArray) list = rd_store_message_list(x->s, x->c->id, "held", error);

	if (list == NULL)
		return FALSE;
	if (list->len == 0)
		g_string_append(res, "No posts are waiting.");
	for (guint i = 0; i < list->len; i++) {
		rd_stored_message *m = list->pdata[i];

		g_string_append_printf(res, "%s%" G_GINT64_FORMAT "  %s  \"%s\"  (%s)",
		                       i ? "\n" : "", m->id, m->from_addr, m->subject,
		                       m->hold_reason ? m->hold_reason : "held");
	}
	return TRUE;
}

/* Tell the sender of a rejected post, when that cannot be backscatter. */
static gboolean
tell_rejected(cmd_ctx *x, const rd_stored_message *sm, const char *reason, GError **error)
{
	g_autoptr(rd_message) pm = NULL;
	JsonBuilder *b;
	gboolean ok;

	if (sm->raw == NULL || (pm = rd_message_parse(sm->raw, x->c->domain, NULL)) == NULL ||
	    !rd_command_may_reply(pm, NULL))
		return TRUE;
	b = builder_new(x);
	add_str(b, "subject", sm->subject);
	add_str(b, "reason", reason);
	ok =
	    send_template(x, "rejected.txt.mustache", b, 0, sm->from_addr, NULL, TRUE, NULL, error);
	g_object_unref(b);
	return ok;
}

/* Approve or reject the held post ROW for BY; the first decision wins.
 * An approved post is threaded and queued for its "each" members in the
 * caller's transaction. */
static gboolean
decide(cmd_ctx *x, gint64 row, gboolean approve, gboolean allow, const char *reason, const char *by,
       GString *res, GError **error)
{
	g_autoptr(rd_stored_message) sm = NULL;
	g_autoptr(rd_stored_message) full = NULL;
	g_autoptr(GError) err = NULL;
	g_autofree char *decision = NULL, *who = NULL;
	gboolean won;

	sm = rd_store_fanout_message(x->s, row, TRUE, &err);
	if (sm == NULL || sm->community_id != x->c->id) {
		if (err != NULL && rd_status_from_error(err) != RD_NOTFOUND) {
			g_propagate_error(error, g_steal_pointer(&err));
			return FALSE;
		}
		g_string_append_printf(res, "There is no held post %" G_GINT64_FORMAT ".", row);
		return TRUE;
	}
	if (!rd_store_command_decide(x->s, x->c->id, row, approve, by, reason, x->now, &won, error))
		return FALSE;
	if (!won) {
		if (!rd_store_command_decision(x->s, row, &decision, &who, error))
			return FALSE;
		g_string_append_printf(res,
		                       "Post %" G_GINT64_FORMAT " was already decided%s%s%s%s.",
		                       row, decision ? ": " : "", decision ? decision : "",
		                       who ? " by " : "", who ? who : "");
		return TRUE;
	}
	if (!approve) {
		if (!tell_rejected(x, sm, reason, error))
			return FALSE;
		g_string_append_printf(res, "Rejected post %" G_GINT64_FORMAT " from %s.", row,
		                       sm->from_addr);
		return TRUE;
	}
	full = rd_store_message_get(x->s, x->c->id, sm->message_id, FALSE, error);
	if (full == NULL || !rd_thread_link(x->s, full, x->o->subject_window_days, error) ||
	    !rd_fanout_enqueue(x->s, x->o, x->c, row, error))
		return FALSE;
	g_string_append_printf(res, "Approved post %" G_GINT64_FORMAT " from %s: \"%s\".", row,
	                       sm->from_addr, sm->subject);
	if (allow) {
		g_autoptr(rd_member) existing = NULL;
		gint64 pid;
		const char *role = strcmp(x->c->policy, "announce") == 0 ? "poster" : "member";

		if (!member_lookup(x, sm->from_addr, &existing, error))
			return FALSE;
		if (existing == NULL) {
			/* Allowed senders are members who get no mail. */
			if (!rd_store_person_ensure(x->s, sm->from_addr, sm->from_name, &pid,
			                            error) ||
			    !rd_store_member_add(x->s, x->c->id, pid, role, "none", error))
				return FALSE;
		} else if (strcmp(existing->role, "member") == 0 && strcmp(role, "poster") == 0 &&
		           !rd_store_member_set(x->s, x->c->id, existing->address, "role", role,
		                                error)) {
			return FALSE;
		}
		g_string_append_printf(res, " %s may post from now on.", sm->from_addr);
	}
	return TRUE;
}

static gboolean
parse_id(const char *text, gint64 *id)
{
	char *end;
	gint64 v;

	if (text == NULL)
		return FALSE;
	if (*text == '#')
		text++;
	v = g_ascii_strtoll(text, &end, 10);
	if (end == text || *end != '\0' || v <= 0)
		return FALSE;
	*id = v;
	return TRUE;
}

static gboolean
cmd_approve(cmd_ctx *x, char **argv, guint argc, GString *res, GError **error)
{
	gint64 id;
	gboolean allow = argc > 3 && g_ascii_strcasecmp(argv[2], "and") == 0 &&
	                 g_ascii_strcasecmp(argv[3], "allow") == 0;

	if (argc < 2 || !parse_id(argv[1], &id)) {
		g_string_append(res, "Use: approve ID [and allow] (send \"held\" for the IDs).");
		return TRUE;
	}
	return decide(x, id, TRUE, allow, NULL, x->from, res, error);
}

static gboolean
cmd_reject(cmd_ctx *x, char **argv, guint argc, GString *res, GError **error)
{
	gint64 id;
	g_autofree char *reason = NULL;

	if (argc < 2 || !parse_id(argv[1], &id)) {
		g_string_append(res, "Use: reject ID [REASON] (send \"held\" for the IDs).");
		return TRUE;
	}
	if (argc > 2)
		reason = g_strjoinv(" ", argv + 2);
	return decide(x, id, FALSE, FALSE, reason, x->from, res, error);
}

static gboolean
cmd_policy(cmd_ctx *x, char **argv, guint argc, GString *res, GError **error)
{
	g_autofree char *v = argc > 1 ? g_ascii_strdown(argv[1], -1) : NULL;

	if (v == NULL || (strcmp(v, "open") && strcmp(v, "members") && strcmp(v, "announce"))) {
		g_string_append(res, "Use: policy open|members|announce.");
		return TRUE;
	}
	if (!rd_store_community_set(x->s, x->c->id, "policy", v, error))
		return FALSE;
	g_string_append_printf(res, "%s: policy is now %s.", x->c->title, v);
	return TRUE;
}

static gboolean
cmd_replies(cmd_ctx *x, char **argv, guint argc, GString *res, GError **error)
{
	g_autofree char *v = argc > 1 ? g_ascii_strdown(argv[1], -1) : NULL;

	if (v == NULL || (strcmp(v, "list") && strcmp(v, "owners"))) {
		g_string_append(res, "Use: replies list|owners.");
		return TRUE;
	}
	if (!rd_store_command_set_replies(x->s, x->c->id, v, error))
		return FALSE;
	g_string_append_printf(res,
	                       strcmp(v, "list") == 0
	                           ? "%s: digest replies now go to the whole community."
	                           : "%s: digest replies now reach only the owners and posters.",
	                       x->c->title);
	return TRUE;
}

/* ---- the verb table ---- */

/* WHO_SELF: a member's own settings, for the writer or for the person a
 * digest's command token (the last word, as digest links add it) names. */
typedef enum { WHO_ANYONE, WHO_SELF, WHO_MODERATOR, WHO_OWNER } cmd_who_may;

static const struct {
	const char *name;
	cmd_who_may who;
	cmd_fn fn;
} verbs[] = {
    {"help", WHO_ANYONE, cmd_help},
    {"subscribe", WHO_ANYONE, cmd_subscribe},
    {"join", WHO_ANYONE, cmd_subscribe},
    {"unsubscribe", WHO_ANYONE, cmd_unsubscribe},
    {"leave", WHO_ANYONE, cmd_unsubscribe},
    {"stop", WHO_ANYONE, cmd_unsubscribe},
    {"digest", WHO_SELF, cmd_digest},
    {"daily", WHO_SELF, cmd_digest},
    {"weekly", WHO_SELF, cmd_digest},
    {"each", WHO_SELF, cmd_each},
    {"pause", WHO_SELF, cmd_pause},
    {"nomail", WHO_SELF, cmd_pause},
    {"resume", WHO_SELF, cmd_resume},
    {"timezone", WHO_SELF, cmd_timezone},
    {"digest-time", WHO_SELF, cmd_digest_time},
    {"combined", WHO_SELF, cmd_grouping},
    {"separate", WHO_SELF, cmd_grouping},
    {"mute", WHO_ANYONE, cmd_mute},
    {"follow", WHO_ANYONE, cmd_mute},
    {"get", WHO_ANYONE, cmd_get},
    {"settings", WHO_SELF, cmd_settings},
    {"confirm", WHO_ANYONE, cmd_confirm},
    {"add", WHO_OWNER, cmd_add},
    {"invite", WHO_OWNER, cmd_invite},
    {"remove", WHO_OWNER, cmd_remove},
    {"set", WHO_OWNER, cmd_set},
    {"who", WHO_MODERATOR, cmd_who},
    {"held", WHO_MODERATOR, cmd_held},
    {"approve", WHO_MODERATOR, cmd_approve},
    {"reject", WHO_MODERATOR, cmd_reject},
    {"policy", WHO_OWNER, cmd_policy},
    {"replies", WHO_OWNER, cmd_replies},
};

/* When the last word of ARGV (NULL-terminated) is a command token of
 * this community, drop it, set *NAMED and *ACTING to the membership of the
 * person it names (NULL when they left). */
static gboolean
person_from_token(cmd_ctx *x, GPtrArray *argv, gboolean *named, rd_member **acting, GError **error)
{
	guint64 a = 0, b = 0;
	g_autofree char *addr = NULL;
	g_autoptr(GError) err = NULL;
	const char *last = argv->pdata[argv->len - 2];

	*named = FALSE;
	*acting = NULL;
	if (strlen(last) < 16 ||
	    !rd_token_check(x->o->secret, RD_TOKEN_COMMAND, x->c->name, last, &a, &b))
		return TRUE;
	g_ptr_array_remove_index(argv, argv->len - 2);
	*named = TRUE;
	if (!rd_store_reply_person_get(x->s, (gint64)a, &addr, NULL, &err)) {
		if (rd_status_from_error(err) != RD_NOTFOUND) {
			g_propagate_error(error, g_steal_pointer(&err));
			return FALSE;
		}
		return TRUE;
	}
	return member_lookup(x, addr, acting, error);
}

static void
add_result(cmd_ctx *x, const char *command, const char *result)
{
	cmd_result *r = g_new0(cmd_result, 1);

	r->command = g_strdup(command);
	r->result = g_strdup(result);
	g_ptr_array_add(x->results, r);
}

/* Carry out one line.  Owner commands without authority wait for the
 * owner's confirmation (collected in x->deferred). */
static gboolean
run_line(cmd_ctx *x, const char *line, GError **error)
{
	g_auto(GStrv) words = g_strsplit_set(line, " \t", -1);
	g_autoptr(GPtrArray) argv = g_ptr_array_new();
	g_autoptr(GString) res = g_string_new(NULL);
	g_autofree char *verb = NULL;
	rd_member *acting = NULL, *saved = NULL;
	gboolean ok, named = FALSE;

	for (guint i = 0; words[i]; i++)
		if (*words[i])
			g_ptr_array_add(argv, words[i]);
	if (argv->len == 0)
		return TRUE;
	verb = g_ascii_strdown(argv->pdata[0], -1);
	g_ptr_array_add(argv, NULL);
	for (gsize i = 0; i < G_N_ELEMENTS(verbs); i++) {
		if (strcmp(verbs[i].name, verb) != 0)
			continue;
		if (verbs[i].who == WHO_SELF && argv->len > 2 &&
		    !person_from_token(x, argv, &named, &acting, error))
			return FALSE;
		if (verbs[i].who == WHO_MODERATOR || verbs[i].who == WHO_OWNER) {
			gboolean may =
			    verbs[i].who == WHO_OWNER ? is_owner(x->mem) : is_moderator(x->mem);

			if (!may) {
				add_result(
				    x, line,
				    verbs[i].who == WHO_OWNER
				        ? "Refused: only the owners of this community can do "
				          "that."
				        : "Refused: only owners and moderators can do that.");
				return TRUE;
			}
			if (!x->authority) {
				g_string_append_printf(x->deferred, "%s\n", line);
				add_result(x, line, "Waiting for your confirmation (see below).");
				return TRUE;
			}
		}
		/* A digest link acts for its person, whoever sent it. */
		if (named) {
			saved = x->mem;
			x->mem = acting;
		}
		ok = verbs[i].fn(x, (char **)argv->pdata, argv->len - 1, res, error);
		if (named) {
			x->mem = saved;
			rd_member_free(acting);
		}
		if (!ok)
			return FALSE;
		add_result(x, line, res->str);
		return TRUE;
	}
	x->not_understood = TRUE;
	add_result(x, line, "Not understood.");
	return TRUE;
}

/* ---- confirmations ---- */

static gboolean
confirm_pending(cmd_ctx *x, gint64 id, gint64 nonce, GString *res, GError **error)
{
	g_autoptr(rd_pending_action) p = NULL;
	g_autoptr(GError) err = NULL;
	gboolean won;

	p = rd_store_pending_get(x->s, id, &err);
	if (p == NULL) {
		if (rd_status_from_error(err) != RD_NOTFOUND) {
			g_propagate_error(error, g_steal_pointer(&err));
			return FALSE;
		}
	}
	if (p == NULL || p->nonce != nonce || p->community_id != x->c->id) {
		g_string_append(res, "This confirmation is not valid for this community.");
		return TRUE;
	}
	if (g_ascii_strcasecmp(p->address, x->from) != 0) {
		g_string_append_printf(res,
		                       "This confirmation must come from %s, the address it was "
		                       "sent to.",
		                       p->address);
		return TRUE;
	}
	/* Moderators' tokens report the decision others made first. */
	if (strcmp(p->kind, "approve") != 0 && strcmp(p->kind, "reject") != 0) {
		if (p->used != 0) {
			g_string_append(res, "This confirmation was already used; nothing was "
			                     "done again.");
			return TRUE;
		}
		if (p->expires <= x->now) {
			g_string_append(res, "This confirmation has expired; please send the "
			                     "request again.");
			return TRUE;
		}
	} else if (p->expires <= x->now && p->used == 0) {
		g_string_append(res, "This confirmation has expired; use approve or reject "
		                     "with the post's ID instead.");
		return TRUE;
	}
	if (p->used == 0 && !rd_store_pending_use(x->s, p->id, x->now, &won, error))
		return FALSE;

	if (strcmp(p->kind, "subscribe") == 0 || strcmp(p->kind, "invite") == 0) {
		g_autoptr(rd_member) existing = NULL;
		const char *delivery =
		    p->payload && valid_delivery(p->payload) ? p->payload : "digest";

		if (!member_lookup(x, p->address, &existing, error))
			return FALSE;
		if (existing != NULL) {
			if (!rd_store_member_set(x->s, x->c->id, existing->address, "status",
			                         "active", error))
				return FALSE;
			g_string_append_printf(res, "%s is a member of %s.", p->address,
			                       x->c->title);
			return TRUE;
		}
		if (!add_member(x, p->address, x->m ? x->m->from_name : NULL, "member", delivery,
		                error))
			return FALSE;
		x->quiet = TRUE;
		g_string_append_printf(res, "Welcome: %s is now a member of %s.", p->address,
		                       x->c->title);
		return TRUE;
	}
	if (strcmp(p->kind, "unsubscribe") == 0) {
		g_autoptr(rd_member) existing = NULL;

		if (!member_lookup(x, p->address, &existing, error))
			return FALSE;
		if (existing == NULL) {
			g_string_append_printf(res, "%s is not a member any more.", p->address);
			return TRUE;
		}
		if (!leave_now(x, existing->address, existing->person_id, error))
			return FALSE;
		x->quiet = TRUE;
		g_string_append_printf(res, "%s has left %s.", p->address, x->c->title);
		return TRUE;
	}
	if (strcmp(p->kind, "owner") == 0) {
		g_auto(GStrv) lines = g_strsplit(p->payload ? p->payload : "", "\n", -1);

		gboolean had = x->authority;

		/* The owner confirmed from the registered address: run the
		 * commands as they were written, with the role they have now.
		 * Only these: later lines of the same mail wait as usual. */
		x->authority = TRUE;
		for (guint i = 0; lines[i]; i++) {
			if (*lines[i] && !run_line(x, lines[i], error)) {
				x->authority = had;
				return FALSE;
			}
		}
		x->authority = had;
		g_string_append(res, "Confirmed; the results follow.");
		return TRUE;
	}
	if (strcmp(p->kind, "approve") == 0 || strcmp(p->kind, "reject") == 0) {
		gint64 row = 0;
		g_autoptr(rd_member) mod = NULL;

		if (!member_lookup(x, p->address, &mod, error))
			return FALSE;
		if (!is_moderator(mod)) {
			g_string_append(res, "You are no longer a moderator of this community.");
			return TRUE;
		}
		parse_id(p->payload, &row);
		return decide(x, row, strcmp(p->kind, "approve") == 0, FALSE, NULL, p->address, res,
		              error);
	}
	g_string_append(res, "This confirmation is of an unknown kind.");
	return TRUE;
}

/* A digest reply from another address, confirmed by its person. */
static gboolean
confirm_held_reply(cmd_ctx *x, gint64 pid, gint64 row, GString *res, GError **error)
{
	g_autofree char *addr = NULL;
	g_autoptr(GError) err = NULL;

	if (!rd_store_reply_person_get(x->s, pid, &addr, NULL, &err)) {
		if (rd_status_from_error(err) != RD_NOTFOUND) {
			g_propagate_error(error, g_steal_pointer(&err));
			return FALSE;
		}
	}
	if (addr == NULL || g_ascii_strcasecmp(addr, x->from) != 0) {
		g_string_append_printf(res,
		                       "This confirmation must come from the address the "
		                       "request was sent to%s%s.",
		                       addr ? ", " : "", addr ? addr : "");
		return TRUE;
	}
	return decide(x, row, TRUE, FALSE, NULL, addr, res, error);
}

static gboolean
run_confirm(cmd_ctx *x, const char *token, GString *res, GError **error)
{
	guint64 a = 0, b = 0;

	if (x->o->secret != NULL &&
	    rd_token_check(x->o->secret, RD_TOKEN_PENDING, x->c->name, token, &a, &b))
		return confirm_pending(x, (gint64)a, (gint64)b, res, error);
	if (x->o->secret != NULL &&
	    rd_token_check(x->o->secret, RD_TOKEN_CONFIRM, x->c->name, token, &a, &b) && a != 0)
		return confirm_held_reply(x, (gint64)a, (gint64)b, res, error);
	g_string_append_printf(res,
	                       "This confirmation code is not valid for %s: it may be mistyped "
	                       "or belong to another community.",
	                       x->c->title);
	return TRUE;
}

/* ---- the reply ---- */

static gboolean
send_reply(cmd_ctx *x, GError **error)
{
	JsonBuilder *b;
	gboolean ok;
	const char *reply_to = NULL;

	if (x->results->len == 0 && x->confirms->len == 0)
		return TRUE;
	b = builder_new(x);
	json_builder_set_member_name(b, "results");
	json_builder_begin_array(b);
	for (guint i = 0; i < x->results->len; i++) {
		cmd_result *r = x->results->pdata[i];

		json_builder_begin_object(b);
		add_str(b, "command", r->command);
		add_str(b, "result", r->result);
		json_builder_end_object(b);
	}
	json_builder_end_array(b);
	json_builder_set_member_name(b, "has_confirmations");
	json_builder_add_boolean_value(b, x->confirms->len > 0);
	json_builder_set_member_name(b, "confirmations");
	json_builder_begin_array(b);
	for (guint i = 0; i < x->confirms->len; i++) {
		cmd_confirmation *k = x->confirms->pdata[i];

		json_builder_begin_object(b);
		add_str(b, "what", k->what);
		add_str(b, "token", k->token);
		add_str(b, "confirm_address", k->address);
		json_builder_end_object(b);
	}
	json_builder_end_array(b);
	json_builder_set_member_name(b, "not_understood");
	json_builder_add_boolean_value(b, x->not_understood);
	json_builder_set_member_name(b, "one_confirmation");
	json_builder_add_boolean_value(b, x->confirms->len == 1);
	/* With one thing to confirm, a plain Reply is the confirmation. */
	if (x->confirms->len == 1)
		reply_to = ((cmd_confirmation *)x->confirms->pdata[0])->address;
	add_str(b, "address", x->from);
	ok = send_template(x, "command-reply.txt.mustache", b, x->mem ? x->mem->person_id : 0,
	                   x->from, reply_to, TRUE, NULL, error);
	g_object_unref(b);
	return ok;
}

/* ---- +owner: forward to the owners ---- */

static rd_status
forward_to_owners(rd_store *s, const rd_deliver_opts *o, const rd_community *c, GBytes *data,
                  gint64 now, GError **error)
{
	g_autoptr(GPtrArray) list = NULL;
	g_autofree char *owner = community_address(o, c, "owner");
	gsize n;
	guint sent = 0;
	const char *raw = g_bytes_get_data(data, &n);
	const char *nl = memchr(raw, '\n', n);
	/* Keep the message's own line endings. */
	g_autofree char *head = g_strdup_printf("X-Loop: %s%s", owner,
	                                        nl && nl > raw && nl[-1] == '\r' ? "\r\n" : "\n");

	if (!rd_store_begin(s, error))
		return rd_status_from_error(*error);
	list = rd_store_member_list(s, c->id, error);
	if (list == NULL)
		goto fail;
	for (guint i = 0; i < list->len; i++) {
		rd_member *m = list->pdata[i];
		g_autoptr(rd_outbox_item) item = NULL;
		GString *copy;

		if (!is_moderator(m) || strcmp(m->status, "active") != 0)
			continue;
		copy = g_string_new(head);
		g_string_append_len(copy, raw, n);
		item = g_new0(rd_outbox_item, 1);
		item->kind = g_strdup("message");
		item->person_id = m->person_id;
		item->community_id = c->id;
		item->recipient = g_strdup(m->address);
		/* A failure to reach an owner must not bounce back to us. */
		item->envelope_from = g_strdup("");
		item->subject = g_strdup("(to the owners)");
		item->data = g_string_free_to_bytes(copy);
		item->created = now;
		item->next_attempt = now;
		if (!rd_store_outbox_add(s, item, error))
			goto fail;
		sent++;
	}
	if (!rd_store_commit(s, error))
		goto fail;
	if (sent == 0)
		rd_log_warnx("%s@%s has no active owner or moderator: mail to %s dropped", c->name,
		             c->domain, owner);
	return RD_OK;
fail:
	rd_store_rollback(s);
	return rd_status_from_error(*error);
}

/* ---- entry points ---- */

static gboolean
is_our_loop(const rd_message *m, const rd_deliver_opts *o, const rd_community *c)
{
	g_autofree char *list = community_address(o, c, NULL);
	g_autofree char *owner = community_address(o, c, "owner");
	g_autofree char *v = NULL;

	if (m->x_loop == NULL)
		return FALSE;
	v = clean_line(m->x_loop);
	return g_ascii_strcasecmp(v, list) == 0 || g_ascii_strcasecmp(v, owner) == 0;
}

static void
set_result(rd_deliver_result *result, const rd_message *m, const char *status)
{
	if (result == NULL)
		return;
	g_free(result->message_id);
	result->message_id = g_strdup(m->message_id);
	g_free(result->status);
	result->status = g_strdup(status);
}

rd_status
rd_command_deliver(rd_store *s, const rd_deliver_opts *o, const rd_community *c,
                   const rd_address *a, GBytes *data, rd_deliver_result *result, GError **error)
{
	g_autoptr(rd_message) m = NULL;
	g_autoptr(GPtrArray) lines = NULL;
	cmd_ctx x = {0};
	rd_status st = RD_OK;

	if (o->secret == NULL) {
		g_set_error(error, RD_ERROR, RD_TEMPFAIL,
		            "The list cannot handle commands right now; the message will be "
		            "retried.");
		return RD_TEMPFAIL;
	}
	m = rd_message_parse(data, c->domain, error);
	if (m == NULL)
		return RD_DATAERR;
	if (is_our_loop(m, o, c)) {
		rd_log_info("%s@%s: <%s> is our own mail coming back; dropped", c->name, c->domain,
		            m->message_id);
		set_result(result, m, "loop");
		return RD_OK;
	}
	if (a->kind == RD_ADDR_OWNER && m->mime != NULL && rd_bounce_is_auto_reply(m->mime)) {
		/* Out-of-office replies reach nobody, owners included. */
		rd_log_info("%s@%s: <%s> is an auto-reply to the owner address; dropped", c->name,
		            c->domain, m->message_id);
		set_result(result, m, "ignored");
		return RD_OK;
	}
	if (a->kind == RD_ADDR_OWNER) {
		st = forward_to_owners(s, o, c, data, rd_fanout_now(), error);
		if (st == RD_OK)
			set_result(result, m, "forwarded");
		return st;
	}
	/* Automatic mail gets no answer, and it carries out nothing either:
	 * a vacation reply to a confirmation request must not confirm it. */
	if (!rd_command_may_reply(m, o->sender)) {
		rd_log_info("%s@%s: <%s> is automatic mail to the %s address; ignored", c->name,
		            c->domain, m->message_id, rd_address_kind_name(a->kind));
		set_result(result, m, "ignored");
		return RD_OK;
	}

	x.s = s;
	x.o = o;
	x.c = c;
	x.m = m;
	x.from = g_ascii_strdown(m->from_addr, -1);
	x.now = rd_fanout_now();
	x.results = g_ptr_array_new_with_free_func((GDestroyNotify)cmd_result_free);
	x.confirms = g_ptr_array_new_with_free_func((GDestroyNotify)cmd_confirmation_free);
	x.deferred = g_string_new(NULL);
	x.authority = rd_command_auth_trusted(m->mime, o->trusted_authserv_id, x.from);

	if (!rd_store_begin(s, error))
		goto fail;
	if (!member_lookup(&x, x.from, &x.mem, error))
		goto fail;
	switch (a->kind) {
	case RD_ADDR_CONFIRM: {
		g_autoptr(GString) res = g_string_new(NULL);

		if (!run_confirm(&x, a->token ? a->token : "", res, error))
			goto fail;
		/* Results of confirmed owner commands were added meanwhile:
		 * the confirmation's own line goes first. */
		cmd_result *r = g_new0(cmd_result, 1);
		r->command = g_strdup("confirm");
		r->result = g_string_free(g_steal_pointer(&res), FALSE);
		g_ptr_array_insert(x.results, 0, r);
		break;
	}
	case RD_ADDR_HELP:
		if (!run_line(&x, "help", error))
			goto fail;
		break;
	case RD_ADDR_SUBSCRIBE:
		if (!run_line(&x, "subscribe", error))
			goto fail;
		break;
	case RD_ADDR_UNSUBSCRIBE:
		if (!run_line(&x, "unsubscribe", error))
			goto fail;
		break;
	default:
		lines = rd_command_extract(m->subject, m->body);
		for (guint i = 0; i < lines->len; i++)
			if (!run_line(&x, lines->pdata[i], error))
				goto fail;
		if (lines->len == 0) {
			x.not_understood = TRUE;
			add_result(&x, "(empty)", "No commands found.");
		}
	}
	if (x.deferred->len > 0) {
		g_autofree char *tok = pending_new(
		    &x, "owner", x.from, x.mem ? x.mem->person_id : 0, x.deferred->str, error);

		if (tok == NULL)
			goto fail;
		ask_writer(&x, "carry out the commands marked as waiting", tok);
	}
	if (!(x.quiet && x.results->len == 1 && x.confirms->len == 0) && !send_reply(&x, error))
		goto fail;
	if (!rd_store_commit(s, error))
		goto fail;
	set_result(result, m, "handled");
	rd_log_info("%s@%s: <%s> from %s: %u command(s)%s", c->name, c->domain, m->message_id,
	            x.from, x.results->len, x.authority ? " (authenticated)" : "");
	goto done;
fail:
	rd_store_rollback(s);
	st = rd_status_from_error(*error);
done:
	g_free(x.from);
	rd_member_free(x.mem);
	g_ptr_array_unref(x.results);
	g_ptr_array_unref(x.confirms);
	g_string_free(x.deferred, TRUE);
	return st;
}

/* The first lines of a held post's text for the moderators. */
static char *
first_lines(const char *body, guint max)
{
	g_auto(GStrv) lines = g_strsplit(body ? body : "", "\n", -1);
	GString *out = g_string_new(NULL);
	guint n = 0;

	for (guint i = 0; lines[i] && n < max; i++) {
		if (n == 0 && *lines[i] == '\0')
			continue;
		g_string_append_printf(out, "%s\n", lines[i]);
		n++;
	}
	if (lines[0] && n == max)
		g_string_append(out, "[...]\n");
	return g_string_free(out, FALSE);
}

static const char *
reason_text(const char *reason)
{
	static const struct {
		const char *reason, *text;
	} texts[] = {
	    {"non-member", "the sender is not a member"},
	    {"announce", "only posters and owners may post to this community"},
	    {"automatic", "it looks like an automatic message"},
	    {"no-sender", "it has no usable sender address"},
	    {"oversized", "it is larger than the community accepts"},
	    {"reply-from-other-address", "it is a digest reply sent from another address"},
	};

	for (gsize i = 0; reason && i < G_N_ELEMENTS(texts); i++)
		if (strcmp(reason, texts[i].reason) == 0)
			return texts[i].text;
	return reason ? reason : "it needs a moderator's look";
}

gboolean
rd_command_held_notice(rd_store *s, const rd_deliver_opts *o, const rd_community *c, gint64 row,
                       const char *reason, GError **error)
{
	g_autoptr(rd_stored_message) sm = NULL;
	g_autoptr(GPtrArray) list = NULL;
	g_autoptr(rd_message) pm = NULL;
	g_autofree char *lines = NULL;
	cmd_ctx x = {0};
	gboolean ok = FALSE;

	if (o->secret == NULL) {
		/* Without the secret there are no approve addresses; the post
		 * stays held and "held" lists it. */
		rd_log_warnx("%s@%s: no secret; moderators not told about post %" G_GINT64_FORMAT,
		             c->name, c->domain, row);
		return TRUE;
	}
	sm = rd_store_fanout_message(s, row, TRUE, error);
	if (sm == NULL)
		return FALSE;
	list = rd_store_member_list(s, c->id, error);
	if (list == NULL)
		return FALSE;
	x.s = s;
	x.o = o;
	x.c = c;
	x.now = rd_fanout_now();
	x.from = g_strdup(sm->from_addr);
	lines = first_lines(sm->body, 15);
	for (guint i = 0; i < list->len; i++) {
		rd_member *mod = list->pdata[i];
		g_autofree char *id = g_strdup_printf("%" G_GINT64_FORMAT, row);
		g_autofree char *atok = NULL, *rtok = NULL, *aaddr = NULL, *raddr = NULL;
		JsonBuilder *b;
		gboolean sent;

		if (!is_moderator(mod) || strcmp(mod->status, "active") != 0)
			continue;
		/* Each moderator gets tokens bound to their own address. */
		atok = pending_new(&x, "approve", mod->address, mod->person_id, id, error);
		rtok = atok ? pending_new(&x, "reject", mod->address, mod->person_id, id, error)
		            : NULL;
		if (rtok == NULL)
			goto out;
		aaddr = confirm_address(&x, atok);
		raddr = confirm_address(&x, rtok);
		b = builder_new(&x);
		add_str(b, "id", id);
		add_str(b, "sender", sm->from_addr);
		add_str(b, "sender_name", sm->from_name);
		add_str(b, "subject", sm->subject);
		add_str(b, "reason", reason);
		add_str(b, "reason_text", reason_text(reason));
		add_str(b, "first_lines", lines);
		add_str(b, "approve_address", aaddr);
		add_str(b, "reject_address", raddr);
		add_str(b, "approve_token", atok);
		add_str(b, "reject_token", rtok);
		sent = send_template(&x, "held-owner.txt.mustache", b, mod->person_id, mod->address,
		                     aaddr, FALSE, NULL, error);
		g_object_unref(b);
		if (!sent)
			goto out;
	}
	/* The sender hears once that the post waits, unless the mail was
	 * automatic (backscatter) or the person was already asked to
	 * confirm a reply from another address. */
	if (g_strcmp0(reason, "reply-from-other-address") != 0 && sm->raw != NULL &&
	    (pm = rd_message_parse(sm->raw, c->domain, NULL)) != NULL &&
	    rd_command_may_reply(pm, o->sender) && g_strcmp0(reason, "automatic") != 0) {
		JsonBuilder *b = builder_new(&x);
		gboolean sent;

		add_str(b, "subject", sm->subject);
		add_str(b, "reason", reason);
		add_str(b, "reason_text", reason_text(reason));
		sent = send_template(&x, "held-sender.txt.mustache", b, 0, sm->from_addr, NULL,
		                     TRUE, NULL, error);
		g_object_unref(b);
		if (!sent)
			goto out;
	}
	ok = TRUE;
out:
	g_free(x.from);
	return ok;
}

/* ---- digest replies (for the reply module) ---- */

static const char *const digest_reply_verbs[] = {
    "mute",   "follow", "unsubscribe", "leave",  "stop", "pause",
    "nomail", "resume", "daily",       "weekly", "each", "digest",
};

rd_status
rd_command_digest_reply(rd_store *s, const rd_deliver_opts *o, const rd_community *c,
                        gint64 person_id, gint64 thread_id, const rd_message *m, const char *text,
                        gboolean *handled, GError **error)
{
	g_auto(GStrv) lines = g_strsplit(text ? text : "", "\n", -1);
	g_autofree char *line = NULL, *verb = NULL, *addr = NULL;
	g_autoptr(GString) res = g_string_new(NULL);
	cmd_ctx x = {0};
	gboolean known = FALSE;
	rd_status st = RD_OK;

	*handled = FALSE;
	for (guint i = 0; lines[i]; i++) {
		g_autofree char *l = clean_line(lines[i]);

		if (*l == '\0')
			continue;
		if (line != NULL)
			return RD_OK; /* more than one line: a real reply */
		line = g_steal_pointer(&l);
	}
	if (line == NULL)
		return RD_OK;
	/* "Stop." and "Mute!" are how people write on phones. */
	while (*line && strchr(".!", line[strlen(line) - 1]))
		line[strlen(line) - 1] = '\0';
	verb = first_word(line);
	for (gsize i = 0; i < G_N_ELEMENTS(digest_reply_verbs); i++)
		known = known || strcmp(verb, digest_reply_verbs[i]) == 0;
	if (!known)
		return RD_OK;
	if (!rd_store_reply_person_get(s, person_id, &addr, NULL, error))
		return rd_status_from_error(*error);

	x.s = s;
	x.o = o;
	x.c = c;
	x.from = g_ascii_strdown(addr, -1);
	x.now = rd_fanout_now();
	x.results = g_ptr_array_new_with_free_func((GDestroyNotify)cmd_result_free);
	x.confirms = g_ptr_array_new_with_free_func((GDestroyNotify)cmd_confirmation_free);
	x.deferred = g_string_new(NULL);
	if (!rd_store_begin(s, error))
		goto fail;
	if (!member_lookup(&x, x.from, &x.mem, error))
		goto fail;
	if (x.mem == NULL) {
		/* Not a member any more: let the reply module decide. */
		rd_store_rollback(s);
		goto done;
	}
	if (strcmp(verb, "mute") == 0 || strcmp(verb, "follow") == 0) {
		if (thread_id == 0) {
			rd_store_rollback(s);
			goto done;
		}
		g_autoptr(rd_thread_info) t = rd_store_thread_get(s, thread_id, error);
		if (t == NULL || !rd_store_mute_set(s, person_id, c->id, thread_id,
		                                    strcmp(verb, "mute") == 0, x.now, error))
			goto fail;
		g_string_append_printf(res,
		                       strcmp(verb, "mute") == 0
		                           ? "\"%s\" is muted: it will not appear in your digest."
		                           : "You follow \"%s\" again.",
		                       t->subject);
		add_result(&x, line, res->str);
	} else if (strcmp(verb, "unsubscribe") == 0 || strcmp(verb, "leave") == 0 ||
	           strcmp(verb, "stop") == 0) {
		/* The reply address proves who it is: leave at once. */
		if (!leave_now(&x, x.mem->address, person_id, error))
			goto fail;
		x.quiet = TRUE;
	} else if (!run_line(&x, line, error)) {
		goto fail;
	}
	if (!x.quiet && (m == NULL || rd_command_may_reply(m, o->sender)) && !send_reply(&x, error))
		goto fail;
	if (!rd_store_commit(s, error))
		goto fail;
	*handled = TRUE;
	goto done;
fail:
	rd_store_rollback(s);
	st = rd_status_from_error(*error);
done:
	g_free(x.from);
	rd_member_free(x.mem);
	g_ptr_array_unref(x.results);
	g_ptr_array_unref(x.confirms);
	g_string_free(x.deferred, TRUE);
	return st;
}

gboolean
rd_command_replies_private(rd_store *s, const rd_community *c, gboolean *private_, GError **error)
{
	g_autofree char *mode = NULL;

	if (!rd_store_command_replies(s, c->id, &mode, error))
		return FALSE;
	*private_ = g_strcmp0(mode, "owners") == 0;
	return TRUE;
}

gboolean
rd_command_forward_reply(rd_store *s, const rd_deliver_opts *o, const rd_community *c,
                         gint64 person_id, gint64 thread_id, const char *text, GError **error)
{
	g_autoptr(GPtrArray) list = NULL;
	g_autoptr(rd_thread_info) t = NULL;
	g_autoptr(GError) err = NULL;
	g_autofree char *addr = NULL, *name = NULL, *subject = NULL, *body = NULL;
	gint64 now = rd_fanout_now();

	if (!rd_store_reply_person_get(s, person_id, &addr, &name, error))
		return FALSE;
	if (thread_id != 0 && (t = rd_store_thread_get(s, thread_id, &err)) == NULL &&
	    rd_status_from_error(err) != RD_NOTFOUND) {
		g_propagate_error(error, g_steal_pointer(&err));
		return FALSE;
	}
	list = rd_store_member_list(s, c->id, error);
	if (list == NULL)
		return FALSE;
	subject = g_strdup_printf("Private reply from %s%s%s", name && *name ? name : addr,
	                          t ? ": " : "", t ? t->subject : "");
	body = g_strdup_printf(
	    "%s <%s> replied to the %s digest%s%s%s.  Only the owners and "
	    "posters\nsee this; reply to this mail to answer them directly.\n\n%s\n",
	    name && *name ? name : addr, addr, c->title, t ? " about \"" : "", t ? t->subject : "",
	    t ? "\"" : "", text ? text : "");
	for (guint i = 0; i < list->len; i++) {
		rd_member *m = list->pdata[i];

		if ((strcmp(m->role, "owner") != 0 && strcmp(m->role, "poster") != 0) ||
		    strcmp(m->status, "active") != 0 || m->person_id == person_id)
			continue;
		if (!queue_mail(s, o, c, m->person_id, m->address, subject, addr, body, NULL, FALSE,
		                now, NULL, error))
			return FALSE;
	}
	return TRUE;
}
