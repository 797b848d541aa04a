/* reply.c - replies to digests land, trimmed, in the right thread (issue 4). */
#include <string.h>

#include "bounce.h"
#include "command.h"
#include "deliver.h"
#include "digest.h"
#include "log.h"
#include "notice.h"
#include "post.h"
#include "reply.h"
#include "schedule.h"
#include "subject.h"
#include "token.h"
#include "trim.h"

/* The digest numbers at most this many conversations; the rest are listed
 * by subject only (rd_digest_ctx.max_conversations defaults to 12). */
#define REPLY_CHOICES_MAX 255
/* The choice index of the c- address that answers the question itself
 * (the notice's Reply-To): the answer, not the address, names the pick. */
#define REPLY_ANSWER_INDEX 255
/* Earlier bodies of the sender passed to the trimmer to spot a signature. */
#define REPLY_PREVIOUS_BODIES 5
/* Messages of a thread that make up the text a reply token answers. */
#define REPLY_THREAD_TEXTS 20

/* One conversation of a digest, as the digest showed it. */
typedef struct {
	gint64 thread_id;
	gint64 community_id;
	char *community_name;
	char *community_domain;
	char *community_title;
	char *subject;
	char *latest_mid; /* Message-ID of its newest message in the digest */
	GPtrArray *fresh; /* rd_stored_message*, the new ones, owned */
	GPtrArray *texts; /* trimmed bodies of the new ones, as the digest showed them */
	gboolean took_part;
	gboolean unanswered;
	gboolean is_new;
	int section;
	gint64 last_date;
} reply_conv;

static void
reply_conv_free(reply_conv *c)
{
	g_free(c->community_name);
	g_free(c->community_domain);
	g_free(c->community_title);
	g_free(c->subject);
	g_free(c->latest_mid);
	g_ptr_array_unref(c->fresh);
	if (c->texts)
		g_ptr_array_unref(c->texts);
	g_free(c);
}

static rd_status
fail(GError **error, rd_status st, const char *sentence)
{
	g_set_error_literal(error, RD_ERROR, st, sentence);
	return st;
}

char *
rd_reply_subject(const char *thread_subject)
{
	g_autofree char *base = rd_subject_base(thread_subject);

	return g_strdup_printf("Re: %s", base);
}

/* ---- reading the reply ---- */

static gboolean
is_attachment(GMimeObject *part)
{
	const char *disp = g_mime_object_get_disposition(part);

	return disp != NULL && g_ascii_strcasecmp(disp, "attachment") == 0;
}

/* Whether the message has a text/plain body part: Outlook and many phone
 * clients send HTML only, and then the HTML structure tells the quotes. */
static gboolean
has_plain_part(GMimeObject *obj)
{
	if (obj == NULL)
		return FALSE;
	if (GMIME_IS_MULTIPART(obj)) {
		GMimeMultipart *mp = GMIME_MULTIPART(obj);

		for (int i = 0; i < g_mime_multipart_get_count(mp); i++)
			if (has_plain_part(g_mime_multipart_get_part(mp, i)))
				return TRUE;
		return FALSE;
	}
	if (!GMIME_IS_TEXT_PART(obj) || is_attachment(obj))
		return FALSE;
	return g_mime_content_type_is_type(g_mime_object_get_content_type(obj), "text", "plain");
}

/* The new text of M, and in *ELIDED what was cut (quotes, signatures). */
static char *
reply_text(rd_store *s, const rd_message *m, gint64 community_id, const char *author,
           const char *digest_text, char **elided)
{
	g_autoptr(GPtrArray) prev =
	    author ? rd_store_reply_previous_bodies(s, community_id, author, REPLY_PREVIOUS_BODIES,
	                                            NULL)
	           : NULL;
	rd_trim_opts opts = {NULL, digest_text};

	if (prev != NULL && prev->len > 0) {
		g_ptr_array_add(prev, NULL);
		opts.previous_bodies = (const char *const *)prev->pdata;
	}
	if (m->body_html != NULL && !has_plain_part(m->mime->mime_part))
		return rd_trim_html(m->body_html, -1, &opts, elided);
	return rd_trim_text(m->body ? m->body : "", &opts, elided);
}

/* Text for comparing: quote markers and indentation dropped, case folded,
 * every run of white space (line ends too) one space, so a quote the
 * client re-wrapped still matches the digest's lines. */
static char *
flatten(const char *text)
{
	g_autofree char *folded = g_utf8_casefold(text ? text : "", -1);
	GString *out = g_string_new(NULL);
	gboolean at_line = TRUE, space = FALSE;

	for (const char *p = folded; *p; p++) {
		if (at_line && (*p == '>' || *p == ' ' || *p == '\t'))
			continue;
		at_line = FALSE;
		if (*p == '\n') {
			at_line = TRUE;
			space = TRUE;
			continue;
		}
		if (g_ascii_isspace(*p)) {
			space = TRUE;
			continue;
		}
		if (space && out->len > 0)
			g_string_append_c(out, ' ');
		space = FALSE;
		g_string_append_c(out, *p);
	}
	return g_string_free(out, FALSE);
}

/* Whether the person FROM writes as PERSON_ID (their address or a recorded
 * alternate).  FALSE with an error only for database faults. */
static gboolean
is_person(rd_store *s, const char *from, gint64 person_id, gboolean *match, GError **error)
{
	g_autoptr(GError) err = NULL;
	gint64 id = 0;

	*match = FALSE;
	if (from == NULL || *from == '\0')
		return TRUE;
	if (!rd_store_reply_person_by_address(s, from, &id, &err)) {
		if (rd_status_from_error(err) == RD_NOTFOUND)
			return TRUE;
		g_propagate_error(error, g_steal_pointer(&err));
		return FALSE;
	}
	*match = id == person_id;
	return TRUE;
}

guint
rd_reply_first_line_number(const char *text, char **rest)
{
	const char *ls = text ? text : "", *le, *q;
	gboolean bracket = FALSE, hash = FALSE, punct = FALSE;
	guint n = 0, digits = 0;

	if (rest)
		*rest = NULL;
	/* The first line with something on it. */
	for (;;) {
		le = strchr(ls, '\n');
		if (le == NULL)
			le = ls + strlen(ls);
		for (q = ls; q < le && g_ascii_isspace(*q); q++)
			;
		if (q < le || *le == '\0')
			break;
		ls = le + 1;
	}
	if (*q == '[') {
		bracket = TRUE;
		q++;
	} else if (*q == '#') {
		hash = TRUE;
		q++;
	}
	for (; q < le && g_ascii_isdigit(*q) && digits < 4; q++, digits++)
		n = n * 10 + (guint)(*q - '0');
	if (digits == 0 || digits > 3 || n == 0)
		goto none;
	if (bracket) {
		if (q >= le || *q != ']')
			goto none;
		q++;
	} else if (q < le && (*q == '.' || *q == ')' || *q == ':')) {
		punct = TRUE;
		q++;
	}
	while (q < le && (*q == ' ' || *q == '\t' || *q == '\r'))
		q++;
	/* "2 weeks ago we tried..." is a sentence, not a choice: a bare
	 * number counts only alone on its line or marked as one. */
	if (q < le && !bracket && !hash && !punct)
		goto none;
	if (rest) {
		const char *after = q < le ? q : (*le ? le + 1 : le);

		*rest = g_strconcat("", after, NULL);
		g_strchug(*rest);
	}
	return n;
none:
	if (rest)
		*rest = g_strdup(text ? text : "");
	return 0;
}

/* ---- the conversations of a digest (the digest's own order) ---- */

/* The digest's conversations, in the digest's own order (the numbers its
 * reader saw), from the module that rendered it. */
static GPtrArray *
digest_conversations(rd_store *s, const rd_digest_selection *sel, GError **error)
{
	g_autoptr(GPtrArray) convs =
	    g_ptr_array_new_with_free_func((GDestroyNotify)reply_conv_free);
	g_autoptr(GPtrArray) dconvs = rd_digest_conversations(s, sel, error);

	if (dconvs == NULL)
		return NULL;
	for (guint i = 0; i < dconvs->len; i++) {
		rd_digest_conversation *d = dconvs->pdata[i];
		reply_conv *c = g_new0(reply_conv, 1);
		rd_stored_message *last = d->fresh->pdata[d->fresh->len - 1];

		c->thread_id = d->thread_id;
		c->community_id = d->community->id;
		c->community_name = g_strdup(d->community->name);
		c->community_domain = g_strdup(d->community->domain);
		c->community_title = g_strdup(d->community->title);
		c->subject = g_strdup(d->subject);
		c->latest_mid = g_strdup(last->message_id);
		/* The messages stay the digest module's; only the list is ours. */
		c->fresh = g_ptr_array_ref(d->fresh);
		c->texts = g_ptr_array_new_with_free_func(g_free);
		for (guint k = 0; k < d->fresh->len; k++) {
			rd_stored_message *m = d->fresh->pdata[k];

			g_ptr_array_add(c->texts, rd_trim_text(m->body ? m->body : "", NULL, NULL));
		}
		c->took_part = d->took_part;
		c->unanswered = d->unanswered;
		c->is_new = d->is_new;
		c->section = d->section;
		c->last_date = d->last_date;
		g_ptr_array_add(convs, c);
	}
	return g_steal_pointer(&convs);
}

/* The digest's text as far as a reply may paste it back: numbers,
 * subjects and the new messages. */
static char *
digest_text_of(GPtrArray *convs)
{
	GString *out = g_string_new(NULL);

	for (guint i = 0; i < convs->len; i++) {
		reply_conv *c = convs->pdata[i];

		g_string_append_printf(out, "[%u] %s\n\n", i + 1, c->subject);
		for (guint k = 0; k < c->texts->len; k++)
			g_string_append_printf(out, "%s\n\n", (char *)c->texts->pdata[k]);
	}
	return g_string_free(out, FALSE);
}

/* The conversation a reply to the whole digest is about, or -1.  *BODY may
 * lose the first line that named it. */
static int
choose_conversation(GBytes *secret, GPtrArray *convs, gint64 person_id, char **body,
                    const char *elided)
{
	g_autofree char *rest = NULL;
	g_autofree char *quoted = NULL;
	guint n;
	int found = -1;

	if (convs->len == 1)
		return 0;

	/* A number on the first line: "2", "#2", "[2]". */
	n = rd_reply_first_line_number(*body, &rest);
	if (n >= 1 && n <= convs->len) {
		if (*rest != '\0') {
			g_free(*body);
			*body = g_steal_pointer(&rest);
		}
		return (int)n - 1;
	}

	/* The subject on the first line. */
	{
		const char *b = *body, *le;
		g_autofree char *line = NULL, *norm = NULL;

		while (*b == '\n' || *b == ' ' || *b == '\t')
			b++;
		le = strchr(b, '\n');
		line = le ? g_strndup(b, (gsize)(le - b)) : g_strdup(b);
		norm = rd_subject_normalize(line);
		for (guint i = 0; *norm != '\0' && i < convs->len; i++) {
			reply_conv *c = convs->pdata[i];
			g_autofree char *cs = rd_subject_normalize(c->subject);

			if (strcmp(norm, cs) != 0)
				continue;
			if (found >= 0 && (guint)found != i)
				return -1;
			found = (int)i;
		}
		if (found >= 0) {
			if (le != NULL) {
				char *after = g_strdup(le + 1);

				g_strchug(after);
				if (*after != '\0') {
					g_free(*body);
					*body = after;
				} else {
					g_free(after);
				}
			}
			return found;
		}
	}

	/* What the person left quoted: a reply address of the digest is the
	 * surest sign, else the subject or a line of one conversation only. */
	if (elided == NULL || *elided == '\0')
		return -1;
	quoted = flatten(elided);
	for (const char *p = quoted; (p = strstr(p, "r-")) != NULL; p += 2) {
		const char *t = p + 2, *e = t;
		g_autofree char *tok = NULL;

		if (p == quoted || (p[-1] != '+' && p[-1] != '-'))
			continue;
		while ((*e >= 'a' && *e <= 'z') || (*e >= '2' && *e <= '7'))
			e++;
		if (*e != '@' || e - t < 16)
			continue;
		tok = g_strndup(t, (gsize)(e - t));
		for (guint i = 0; i < convs->len; i++) {
			reply_conv *c = convs->pdata[i];
			guint64 pid = 0, tid = 0;

			if (!rd_token_check(secret, RD_TOKEN_REPLY, c->community_name,
			                    c->community_domain, tok, &pid, &tid) ||
			    (gint64)pid != person_id || (gint64)tid != c->thread_id)
				continue;
			if (found >= 0 && (guint)found != i)
				goto by_text;
			found = (int)i;
		}
	}
	if (found >= 0)
		return found;
by_text:
	found = -1;
	for (guint i = 0; i < convs->len; i++) {
		reply_conv *c = convs->pdata[i];
		g_autofree char *subj = flatten(c->subject);
		gboolean hit = g_utf8_strlen(subj, -1) >= 4 && strstr(quoted, subj) != NULL;

		for (guint k = 0; !hit && k < c->texts->len; k++) {
			g_auto(GStrv) lines = g_strsplit(c->texts->pdata[k], "\n", -1);

			for (guint l = 0; !hit && lines[l]; l++) {
				g_autofree char *fl = flatten(lines[l]);

				hit = strlen(fl) >= 20 && strstr(quoted, fl) != NULL;
			}
		}
		if (!hit)
			continue;
		if (found >= 0)
			return -1;
		found = (int)i;
	}
	return found;
}

/* ---- outgoing notices ---- */

/* Queue a short notice to the person, in the caller's transaction, as
 * every automatic answer goes (notice.c: X-Loop, the daily limit per
 * address).  From is the owner address: a person who answers the notice
 * itself reaches people who can help. */
static gboolean
queue_notice(rd_store *s, const rd_context *o, const rd_community *c, gint64 person_id,
             const char *to, const char *subject, const char *reply_to, const char *body,
             GError **error)
{
	rd_notice n = {.from_ext = "owner",
	               .person_id = person_id,
	               .to = to,
	               .subject = subject,
	               .reply_to = reply_to,
	               .body = body,
	               .auto_reply = TRUE};

	return rd_notice_queue(s, o, c, &n, rd_schedule_now(), NULL, error);
}

/* Quote TEXT for a notice, at most 20 lines. */
static char *
quote_text(const char *text)
{
	g_auto(GStrv) lines = g_strsplit(text ? text : "", "\n", -1);
	GString *out = g_string_new(NULL);
	guint n = g_strv_length(lines);

	for (guint i = 0; i < n && i < 20; i++)
		g_string_append_printf(out, "> %s\n", lines[i]);
	if (n > 20)
		g_string_append(out, "> [...]\n");
	return g_string_free(out, FALSE);
}

/* Ask the person to confirm a reply that came from an address not theirs. */
static gboolean
queue_confirmation(rd_store *s, const rd_context *o, const rd_community *c, gint64 person_id,
                   const char *person_addr, gint64 row, const char *sender,
                   const char *thread_subject, const char *text, GError **error)
{
	g_autofree char *tok = rd_token_make(o->secret, RD_TOKEN_CONFIRM, c->name, c->domain,
	                                     (guint64)person_id, (guint64)row);
	g_autofree char *ext = g_strdup_printf("c-%s", tok);
	g_autofree char *reply_to = rd_address_make(c->name, c->domain, o->delimiter, ext);
	g_autofree char *request = rd_address_make(c->name, c->domain, o->delimiter, "request");
	g_autofree char *subject = g_strdup_printf("Confirm your reply to \"%s\"", thread_subject);
	g_autofree char *quoted = quote_text(text);
	g_autofree char *body = g_strdup_printf(
	    "A reply to your digest arrived from another address,\n"
	    "  %s\n"
	    "so it has not been posted to the conversation\n"
	    "  \"%s\".\n\n"
	    "If you sent it, reply to this mail to confirm, and it will be posted.\n"
	    "(Or send this line to %s:\n"
	    "confirm %s )\n"
	    "If you did not send it, ignore this mail: the reply stays held.\n\n"
	    "The reply said:\n\n%s",
	    sender && *sender ? sender : "an unknown sender", thread_subject, request, tok, quoted);

	return queue_notice(s, o, c, person_id, person_addr, subject, reply_to, body, error);
}

/* A reply from another address than the person's, waiting for the
 * person's confirmation (post_reply fills in the thread's subject). */
typedef struct {
	const rd_context *o;
	const rd_community *c;
	gint64 person_id;
	const char *person_addr, *sender, *text;
	const char *thread_subject;
} confirm_req;

/* rd_post_hook: a held reply asks its person, in the transaction that
 * stores it. */
static gboolean
confirm_hook(rd_store *s, gint64 row, const char *status, gpointer data, GError **error)
{
	confirm_req *r = data;

	if (strcmp(status, "held") != 0)
		return TRUE;
	return queue_confirmation(s, r->o, r->c, r->person_id, r->person_addr, row, r->sender,
	                          r->thread_subject, r->text, error);
}

/* A digest reply of PERSON_ID about THREAD_ID for the owners and posters
 * only ("replies owners"), forwarded as it is filed as "private". */
typedef struct {
	const rd_context *o;
	const rd_community *c;
	gint64 person_id, thread_id;
	const char *text;
} private_req;

/* rd_post_hook of store_private(). */
static gboolean
forward_hook(rd_store *s, gint64 row, const char *status, gpointer data, GError **error)
{
	private_req *r = data;

	return rd_command_forward_reply(s, r->o, r->c, r->person_id, r->thread_id, r->text, error);
}

/* Here and not in post.c: the forward (command-digest.c) runs above the
 * command dispatcher (command.c), and post.c stays below both, cycle-free. */
static rd_status
store_private(rd_store *s, const rd_context *o, const rd_community *c, rd_message *m,
              GBytes *data, gint64 person_id, gint64 thread_id, rd_deliver_result *result,
              GError **error)
{
	private_req r = {o, c, person_id, thread_id, m->body};

	g_return_val_if_fail(person_id > 0, RD_SOFTWARE);
	return rd_post_store_private(s, o, c, m, data, forward_hook, &r, result, error);
}

/* ---- posting ---- */

static char *
format_refs(char **refs)
{
	GString *out = g_string_new(NULL);

	for (guint i = 0; refs && refs[i]; i++)
		g_string_append_printf(out, "%s<%s>", i ? " " : "", refs[i]);
	return g_string_free(out, FALSE);
}

/* Record what became of a message in RESULT. */
static void
set_result(rd_deliver_result *result, const char *message_id, const char *status)
{
	g_free(result->message_id);
	result->message_id = g_strdup(message_id);
	g_free(result->status);
	result->status = g_strdup(status);
}

/* Out-of-office answers to digests: RFC 3834 headers or their looks. */
static gboolean
is_automatic(const rd_message *m)
{
	return rd_message_is_automatic(m, RD_AUTO_SUBMITTED | RD_AUTO_REPLY);
}

/* The reply as it is stored and sent on: what the person wrote (TEXT,
 * trimmed) and what they attached, under the thread's headers, From
 * FROM_ADDR.  The original is never passed on: its text, its HTML and its
 * To carry the quoted digest and with it the person's own reply, digest,
 * get and unsubscribe tokens, which must reach nobody else (DESIGN.md,
 * Trust model). */
static GBytes *
compose_reply(const rd_community *c, const rd_message *m, const char *from_addr,
              const char *subject, const char *irt, const char *chain, const char *text)
{
	g_autoptr(GMimeMessage) msg = g_mime_message_new(TRUE);
	g_autoptr(GPtrArray) parts = rd_message_own_parts(m);
	g_autofree char *list = g_strdup_printf("%s@%s", c->name, c->domain);
	GMimeTextPart *body = g_mime_text_part_new_with_subtype("plain");
	GMimeObject *top = GMIME_OBJECT(body);
	char *bytes;

	if (from_addr != NULL)
		g_mime_message_add_mailbox(msg, GMIME_ADDRESS_TYPE_FROM, m->from_name, from_addr);
	g_mime_message_add_mailbox(msg, GMIME_ADDRESS_TYPE_TO, c->title, list);
	g_mime_message_set_subject(msg, subject, "utf-8");
	g_mime_message_set_date(msg, m->date);
	g_mime_message_set_message_id(msg, m->message_id);
	g_mime_object_set_header(GMIME_OBJECT(msg), "In-Reply-To", irt, NULL);
	g_mime_object_set_header(GMIME_OBJECT(msg), "References", chain, NULL);
	g_mime_text_part_set_text(body, text);
	g_mime_part_set_content_encoding(GMIME_PART(body),
	                                 g_mime_part_get_best_content_encoding(
	                                     GMIME_PART(body), GMIME_ENCODING_CONSTRAINT_7BIT));
	if (parts->len > 0) {
		GMimeMultipart *mixed = g_mime_multipart_new_with_subtype("mixed");

		g_mime_multipart_add(mixed, top);
		g_object_unref(body);
		for (guint i = 0; i < parts->len; i++)
			g_mime_multipart_add(mixed, parts->pdata[i]);
		top = GMIME_OBJECT(mixed);
	}
	g_mime_message_set_mime_part(msg, top);
	g_object_unref(top);
	bytes = g_mime_object_to_string(GMIME_OBJECT(msg), NULL);
	return g_bytes_new_take(bytes, strlen(bytes));
}

/* Post M (raw DATA) into thread THREAD_ID of community C as a reply to its
 * latest message, with BODY as its text.  FORCED_HOLD holds it; AS_PERSON
 * files it under the person's own address.  CONFIRM (may be NULL): when
 * the reply is held, its person is asked to confirm it, in the same
 * transaction. */
static rd_status
post_reply(rd_store *s, const rd_context *o, const rd_community *c, gint64 thread_id,
           const char *person_addr, gboolean as_person, rd_message *m, const char *body,
           const char *forced_hold, confirm_req *confirm, rd_deliver_result *result, GError **error)
{
	g_autoptr(rd_thread_info) t = NULL;
	g_autoptr(rd_stored_message) latest = NULL;
	g_autoptr(rd_member) mem = NULL;
	g_autoptr(GError) err = NULL;
	g_autoptr(GPtrArray) refs = g_ptr_array_new();
	g_autofree char *subject = NULL, *irt = NULL, *chain = NULL;
	g_autoptr(GBytes) raw = NULL;
	g_autoptr(rd_message) clean = NULL;
	const char *hold = forced_hold;

	t = rd_store_thread_get(s, thread_id, &err);
	if (t == NULL || t->community_id != c->id) {
		if (err != NULL && rd_status_from_error(err) != RD_NOTFOUND) {
			g_propagate_error(error, g_steal_pointer(&err));
			return rd_status_from_error(*error);
		}
		return fail(error, RD_NOPERM,
		            "The conversation this reply is for no longer exists; please reply "
		            "from your latest digest.");
	}
	latest = rd_store_reply_latest(s, thread_id, error);
	if (latest == NULL)
		return rd_status_from_error(*error);
	subject = rd_reply_subject(t->subject);
	if (confirm)
		confirm->thread_subject = t->subject;

	/* The chain of the message answered plus that message: every mail
	 * client threads it there, and so does rd_thread_link(). */
	for (guint i = 0; latest->refs && latest->refs[i]; i++)
		if (strcmp(latest->refs[i], m->message_id) != 0)
			g_ptr_array_add(refs, latest->refs[i]);
	g_ptr_array_add(refs, latest->message_id);
	g_ptr_array_add(refs, NULL);
	chain = format_refs((char **)refs->pdata);
	irt = g_strdup_printf("<%s>", latest->message_id);
	raw = compose_reply(c, m, as_person ? person_addr : m->from_addr, subject, irt, chain,
	                    body);
	/* What is stored of the attachments is what the composed message has. */
	clean = rd_message_parse(raw, c->domain, error);
	if (clean == NULL) {
		/* Our own fault, not the sender's: the MTA retries. */
		if (error != NULL && *error != NULL)
			(*error)->code = RD_TEMPFAIL;
		return RD_TEMPFAIL;
	}
	g_ptr_array_unref(m->attachments);
	m->attachments = g_steal_pointer(&clean->attachments);

	g_strfreev(m->refs);
	m->refs = g_strdupv((char **)refs->pdata);
	g_free(m->subject);
	m->subject = g_strdup(subject);
	g_free(m->body);
	m->body = g_strdup(body);

	/* The token proves membership when it was made; a person who has left
	 * since is held for the owners instead. */
	if (hold == NULL) {
		mem = rd_store_member_get(s, c->id, person_addr, &err);
		if (mem == NULL) {
			if (rd_status_from_error(err) != RD_NOTFOUND) {
				g_propagate_error(error, g_steal_pointer(&err));
				return rd_status_from_error(*error);
			}
			g_clear_error(&err);
			hold = "not-a-member";
		}
	}
	if (as_person) {
		g_free(m->from_addr);
		m->from_addr = g_strdup(person_addr);
	}
	g_free(result->community);
	result->community = g_strdup_printf("%s@%s", c->name, c->domain);
	/* "replies owners" (caregiver communities): a member's reply reaches
	 * the owners and posters only; theirs still go to everyone. */
	if (hold == NULL && mem != NULL && strcmp(mem->role, "member") == 0 && !is_automatic(m)) {
		gboolean private_ = FALSE;

		if (!rd_command_replies_private(s, c, &private_, error))
			return rd_status_from_error(*error);
		if (private_)
			return store_private(s, o, c, m, raw, mem->person_id, thread_id, result,
			                     error);
	}
	return rd_post_store_then(s, o, c, m, raw, hold, confirm ? confirm_hook : NULL, confirm,
	                          result, error);
}

/* A reply that is one command ("mute", "stop", "weekly") is carried out
 * instead of posted (command.c); RESULT->status is then "command". */
static rd_status
command_reply(rd_store *s, const rd_context *o, const rd_community *c, gint64 person_id,
              gint64 thread_id, const rd_message *m, const char *body, gboolean *handled,
              rd_deliver_result *result, GError **error)
{
	rd_status st;

	*handled = FALSE;
	st = rd_command_digest_reply(s, o, c, person_id, thread_id, m, body, handled, error);
	if (st != RD_OK || !*handled)
		return st;
	set_result(result, m->message_id, "command");
	g_free(result->community);
	result->community = g_strdup_printf("%s@%s", c->name, c->domain);
	result->row = 0;
	rd_log_info("%s: <%s> from %s is a command, not a post", c->name, m->message_id,
	            m->from_addr ? m->from_addr : "?");
	return RD_OK;
}

/* ---- r-TOKEN: a reply to one conversation ---- */

static char *
thread_text(rd_store *s, gint64 thread_id)
{
	g_autoptr(GPtrArray) all = rd_store_thread_messages_upto(s, thread_id, 0, NULL);
	GString *out = g_string_new(NULL);
	guint from = all && all->len > REPLY_THREAD_TEXTS ? all->len - REPLY_THREAD_TEXTS : 0;

	for (guint i = from; all && i < all->len; i++) {
		rd_stored_message *m = all->pdata[i];
		g_autofree char *t = rd_trim_text(m->body ? m->body : "", NULL, NULL);

		g_string_append_printf(out, "%s\n%s\n\n", m->subject, t);
	}
	return g_string_free(out, FALSE);
}

static rd_status
deliver_thread_reply(rd_store *s, const rd_context *o, const rd_community *c,
                     const rd_address *a, rd_message *m, rd_deliver_result *result, GError **error)
{
	guint64 pid = 0, tid = 0;
	g_autofree char *paddr = NULL, *digest_text = NULL, *body = NULL;
	g_autoptr(GError) err = NULL;
	gboolean mine;
	rd_status st;

	if (a->token == NULL ||
	    !rd_token_check(o->secret, RD_TOKEN_REPLY, c->name, c->domain, a->token, &pid, &tid))
		return fail(error, RD_NOPERM, RD_REPLY_BAD_TOKEN);
	if (!rd_store_reply_person_get(s, (gint64)pid, &paddr, NULL, &err)) {
		if (rd_status_from_error(err) == RD_NOTFOUND)
			return fail(error, RD_NOPERM, RD_REPLY_BAD_TOKEN);
		g_propagate_error(error, g_steal_pointer(&err));
		return rd_status_from_error(*error);
	}
	if (!is_person(s, m->from_addr, (gint64)pid, &mine, error))
		return rd_status_from_error(*error);
	digest_text = thread_text(s, (gint64)tid);
	body = reply_text(s, m, c->id, mine ? paddr : NULL, digest_text, NULL);
	if (mine) {
		gboolean handled;

		st = command_reply(s, o, c, (gint64)pid, (gint64)tid, m, body, &handled, result,
		                   error);
		if (st != RD_OK || handled)
			return st;
	}
	confirm_req cr = {o, c, (gint64)pid, paddr, m->from_addr, body, NULL};
	return post_reply(s, o, c, (gint64)tid, paddr, mine, m, body,
	                  mine ? NULL : "reply-from-other-address", mine ? NULL : &cr, result,
	                  error);
}

/* ---- d-TOKEN: a reply to the whole digest ---- */

/* A kept reply waits as long as a confirmation code: [commands] token-days. */
static gint64
kept_expires(const rd_context *o, const rd_kept_reply *k)
{
	return k->created + (gint64)(o->token_days > 0 ? o->token_days : 7) * 24 * 3600;
}

/* When K expires, for people: "Mon 14 Dec 2026 09:30 UTC". */
static char *
kept_expiry_text(const rd_context *o, const rd_kept_reply *k)
{
	g_autoptr(GDateTime) t = g_date_time_new_from_unix_utc(kept_expires(o, k));

	return g_date_time_format(t, "%a %d %b %Y %H:%M UTC");
}

/* The address that answers "which conversation?" for kept reply ID: a
 * c- token of the kept reply (bound to its person by the kept row) with
 * the answer index instead of a choice. */
static char *
kept_answer_address(const rd_context *o, const rd_community *c, gint64 id)
{
	g_autofree char *tok = rd_token_make(o->secret, RD_TOKEN_CONFIRM, c->name, c->domain, 0,
	                                     (guint64)id * 256 + REPLY_ANSWER_INDEX);
	g_autofree char *ext = g_strdup_printf("c-%s", tok);

	return rd_address_make(c->name, c->domain, o->delimiter, ext);
}

/* Keep a reply whose conversation cannot be told and send the person the
 * list to pick from, in one transaction. */
static rd_status
keep_reply(rd_store *s, const rd_context *o, const rd_community *c, gint64 person_id,
           const char *paddr, gint64 outbox_id, GPtrArray *convs, rd_message *m, GBytes *data,
           const char *body, rd_deliver_result *result, GError **error)
{
	g_autoptr(rd_kept_reply) k = g_new0(rd_kept_reply, 1);
	g_autoptr(GDateTime) now = g_date_time_new_now_utc();
	GString *choices = g_string_new(NULL);
	GString *text = g_string_new(NULL);
	g_autofree char *quoted = quote_text(body);
	g_autofree char *until = NULL, *answer = NULL;
	guint n = MIN(convs->len, REPLY_CHOICES_MAX);

	for (guint i = 0; i < n; i++) {
		reply_conv *cv = convs->pdata[i];

		g_string_append_printf(choices, "%s%s", i ? "\n" : "", cv->latest_mid);
	}
	k->community_id = c->id;
	k->person_id = person_id;
	k->outbox_id = outbox_id;
	k->message_id = g_strdup(m->message_id);
	k->from_addr = g_strdup(m->from_addr ? m->from_addr : "");
	k->subject = g_strdup(m->subject ? m->subject : "");
	k->body = g_strdup(body);
	k->raw = g_bytes_ref(data);
	k->choices = g_string_free(choices, FALSE);
	k->created = g_date_time_to_unix(now);

	if (!rd_store_begin(s, error))
		goto fail;
	if (!rd_store_reply_keep(s, k, error))
		goto fail;
	until = kept_expiry_text(o, k);
	/* Its Reply-To answers the question: same kept reply, any choice. */
	answer = kept_answer_address(o, c, k->id);
	g_string_append_printf(
	    text,
	    "Your reply to the digest could not be matched to one conversation, so\n"
	    "it has not been posted yet; your text is kept until %s.\n"
	    "To post it, reply to this mail with the number of the conversation\n"
	    "(\"2\") or a word of its subject on the first line, or send an empty\n"
	    "mail to the address under the conversation (one tap is enough):\n",
	    until);
	for (guint i = 0; i < n; i++) {
		reply_conv *cv = convs->pdata[i];
		g_autofree char *tok =
		    rd_token_make(o->secret, RD_TOKEN_CONFIRM, cv->community_name,
		                  cv->community_domain, 0, (guint64)k->id * 256 + i);
		g_autofree char *ext = g_strdup_printf("c-%s", tok);
		g_autofree char *addr = NULL;
		g_autoptr(rd_community) cc =
		    rd_store_community_get_by_id(s, cv->community_id, error);

		if (cc == NULL)
			goto fail;
		addr = rd_address_make(cc->name, cc->domain, o->delimiter, ext);
		g_string_append_printf(text, "\n[%u] %s (%s)\n    %s\n", i + 1, cv->subject,
		                       cv->community_title, addr);
	}
	g_string_append_printf(text,
	                       "\nNext time, keep the number of the conversation on the first "
	                       "line of\nyour reply, or reply from its own reply address.\n\n"
	                       "Your text:\n\n%s",
	                       quoted);
	if (!queue_notice(s, o, c, person_id, paddr, "Which conversation is your reply about?",
	                  answer, text->str, error))
		goto fail;
	if (!rd_store_commit(s, error))
		goto fail;
	g_string_free(text, TRUE);
	set_result(result, m->message_id, "kept");
	result->row = 0;
	rd_log_info("%s: <%s> from %s kept: its conversation in digest %" G_GINT64_FORMAT
	            " is unclear; asked %s",
	            c->name, m->message_id, m->from_addr ? m->from_addr : "?", outbox_id, paddr);
	return RD_OK;
fail:
	rd_store_rollback(s);
	g_string_free(text, TRUE);
	return rd_status_from_error(*error);
}

static rd_status
deliver_digest_reply(rd_store *s, const rd_context *o, const rd_community *c,
                     const rd_address *a, rd_message *m, GBytes *data, rd_deliver_result *result,
                     GError **error)
{
	guint64 pid = 0, oid = 0;
	g_autoptr(rd_outbox_item) item = NULL;
	g_autoptr(rd_digest_selection) sel = NULL;
	g_autoptr(GPtrArray) convs = NULL;
	g_autoptr(rd_community) target = NULL;
	g_autoptr(GError) err = NULL;
	g_autofree char *paddr = NULL, *digest_text = NULL, *body = NULL, *elided = NULL;
	gboolean mine;
	reply_conv *cv;
	rd_status st;
	int idx;

	if (a->token == NULL ||
	    !rd_token_check(o->secret, RD_TOKEN_DIGEST, c->name, c->domain, a->token, &pid, &oid))
		return fail(error, RD_NOPERM, RD_REPLY_BAD_TOKEN);
	item = rd_store_reply_outbox_get(s, (gint64)oid, &err);
	if (item == NULL) {
		if (rd_status_from_error(err) == RD_NOTFOUND)
			return fail(error, RD_NOPERM,
			            "This digest is no longer known here; please reply from a "
			            "recent digest.");
		g_propagate_error(error, g_steal_pointer(&err));
		return rd_status_from_error(*error);
	}
	if (strcmp(item->kind, "digest") != 0 || item->person_id != (gint64)pid)
		return fail(error, RD_NOPERM, RD_REPLY_BAD_TOKEN);
	if (!rd_store_reply_person_get(s, (gint64)pid, &paddr, NULL, &err)) {
		if (rd_status_from_error(err) == RD_NOTFOUND)
			return fail(error, RD_NOPERM, RD_REPLY_BAD_TOKEN);
		g_propagate_error(error, g_steal_pointer(&err));
		return rd_status_from_error(*error);
	}
	sel = rd_digest_selection_from_payload(item->payload, (gint64)pid, error);
	if (sel == NULL)
		return rd_status_from_error(*error);
	sel->address = g_strdup(paddr);
	convs = digest_conversations(s, sel, error);
	if (convs == NULL)
		return rd_status_from_error(*error);
	if (convs->len == 0)
		return fail(error, RD_NOPERM,
		            "The conversations of this digest no longer exist; please reply from "
		            "your latest digest.");
	if (!is_person(s, m->from_addr, (gint64)pid, &mine, error))
		return rd_status_from_error(*error);
	digest_text = digest_text_of(convs);
	body = reply_text(s, m, c->id, mine ? paddr : NULL, digest_text, &elided);
	idx = choose_conversation(o->secret, convs, (gint64)pid, &body, elided);
	cv = idx >= 0 ? convs->pdata[idx] : NULL;
	if (cv != NULL && (target = rd_store_community_get_by_id(s, cv->community_id, error)) == NULL)
		return rd_status_from_error(*error);
	if (mine) {
		/* "stop" or "weekly" alone is a command for this person, whether or
		 * not the conversation could be told; "mute" needs one. */
		gboolean handled;

		st = command_reply(s, o, target ? target : c, (gint64)pid, cv ? cv->thread_id : 0, m,
		                   body, &handled, result, error);
		if (st != RD_OK || handled)
			return st;
	}
	if (cv == NULL)
		return keep_reply(s, o, c, (gint64)pid, paddr, (gint64)oid, convs, m, data, body,
		                  result, error);
	confirm_req cr = {o, target, (gint64)pid, paddr, m->from_addr, body, NULL};
	return post_reply(s, o, target, cv->thread_id, paddr, mine, m, body,
	                  mine ? NULL : "reply-from-other-address", mine ? NULL : &cr, result,
	                  error);
}

rd_status
rd_reply_deliver(rd_store *s, const rd_context *o, const rd_community *c, const rd_address *a,
                 GBytes *data, rd_deliver_result *result, GError **error)
{
	g_autoptr(rd_message) m = NULL;
	rd_deliver_result dummy = {0};
	rd_status st;

	if (o->secret == NULL)
		return fail(error, RD_TEMPFAIL,
		            "The list cannot check reply addresses right now; the message will "
		            "be retried.");
	m = rd_message_parse(data, c->domain, error);
	if (m == NULL)
		return RD_DATAERR;
	if (result == NULL)
		result = &dummy;
	if (is_automatic(m)) {
		/* An out-of-office answer to a digest is no reply to post, keep or
		 * hold for the moderators, and answering it could start a loop. */
		set_result(result, m->message_id, "ignored");
		rd_log_info("%s: <%s> automatic reply to a digest address ignored", c->name,
		            m->message_id);
		rd_deliver_result_clear(&dummy);
		return RD_OK;
	}
	switch (a->kind) {
	case RD_ADDR_REPLY:
		st = deliver_thread_reply(s, o, c, a, m, result, error);
		break;
	case RD_ADDR_DIGEST:
		st = deliver_digest_reply(s, o, c, a, m, data, result, error);
		break;
	default:
		st = fail(error, RD_SOFTWARE, "rd_reply_deliver: not a reply address");
	}
	rd_deliver_result_clear(&dummy);
	return st;
}

/* ---- c-TOKEN: the person picked a conversation for a kept reply ---- */

gboolean
rd_reply_owns_confirm(GBytes *secret, const rd_community *c, const char *token)
{
	guint64 a = 1, b = 0;

	return secret != NULL && token != NULL &&
	       rd_token_check(secret, RD_TOKEN_CONFIRM, c->name, c->domain, token, &a, &b) &&
	       a == 0;
}

/* The first line of the person's own text in an answer (not empty, not a
 * quote, not the "On ... wrote:" line before one), or NULL. */
static char *
answer_line(const char *body)
{
	g_auto(GStrv) lines = g_strsplit(body ? body : "", "\n", -1);

	for (guint i = 0; lines[i] != NULL; i++) {
		char *l = g_strstrip(lines[i]);

		if (*l == '\0')
			continue;
		if (*l == '>' || g_str_has_suffix(l, "wrote:"))
			return NULL;
		return g_strdup(l);
	}
	return NULL;
}

/* "2", "[2]", "#2", "2." or "2)" alone or before more words: 2; else -1. */
static int
answer_number(const char *line)
{
	const char *p = line;
	int n = 0;

	if (*p == '[' || *p == '#' || *p == '(')
		p++;
	if (!g_ascii_isdigit(*p))
		return -1;
	while (g_ascii_isdigit(*p) && n < 10000)
		n = n * 10 + (*p++ - '0');
	if (*p == ']' || *p == '.' || *p == ')')
		p++;
	return *p == '\0' || g_ascii_isspace(*p) ? n : -1;
}

/* The one subject of SUBJECTS that holds a word (4 letters or more) of
 * TEXT, case-insensitively; -1 when none or more than one does. */
static int
answer_subject(const char *text, char **subjects, guint n)
{
	g_autofree char *low = g_utf8_strdown(text, -1);
	g_auto(GStrv) words = g_strsplit_set(low, " \t,.;:!?\"'()[]<>/", -1);
	int found = -1;

	for (guint i = 0; i < n; i++) {
		g_autofree char *subj = g_utf8_strdown(subjects[i] ? subjects[i] : "", -1);
		gboolean hit = FALSE;

		for (guint w = 0; words[w] != NULL && !hit; w++)
			hit = g_utf8_strlen(words[w], -1) >= 4 && strstr(subj, words[w]) != NULL;
		if (hit && found >= 0)
			return -1;
		if (hit)
			found = (int)i;
	}
	return found;
}

/* A kept choice (the Message-ID of a conversation's newest message) as a
 * posted message and its community: C's, else any community's (a combined
 * digest lists conversations of several). */
static rd_stored_message *
kept_choice(rd_store *s, const rd_community *c, const char *mid, rd_community **where,
            GError **error)
{
	g_autoptr(GError) err = NULL;
	g_autoptr(GPtrArray) all = NULL;
	rd_stored_message *m = rd_store_reply_posted(s, c->id, mid, &err);

	*where = NULL;
	if (m != NULL || rd_status_from_error(err) != RD_NOTFOUND) {
		if (m == NULL)
			g_propagate_error(error, g_steal_pointer(&err));
		return m;
	}
	if ((all = rd_store_community_list(s, error)) == NULL)
		return NULL;
	for (guint i = 0; i < all->len; i++) {
		rd_community *k = all->pdata[i];

		g_clear_error(&err);
		if (k->id == c->id)
			continue;
		m = rd_store_reply_posted(s, k->id, mid, &err);
		if (m != NULL) {
			*where = g_ptr_array_steal_index(all, i);
			return m;
		}
		if (rd_status_from_error(err) != RD_NOTFOUND) {
			g_propagate_error(error, g_steal_pointer(&err));
			return NULL;
		}
	}
	g_set_error_literal(error, RD_ERROR, RD_NOTFOUND, "no such conversation");
	return NULL;
}

/* Which choice the answer ANSWER names: the number on its first line of
 * text, else a word of a conversation's subject there or in its Subject. */
static rd_status
kept_pick(rd_store *s, const rd_community *c, const rd_message *answer, char **choices,
          guint *idx, GError **error)
{
	guint n = g_strv_length(choices);
	g_autofree char *line = answer_line(answer->body);
	g_autofree char *subj = rd_subject_base(answer->subject ? answer->subject : "");
	g_autofree char **subjects = g_new0(char *, n + 1);
	int pick = line ? answer_number(line) : -1;
	rd_status st = RD_OK;

	if (pick >= 1 && (guint)pick <= n) {
		*idx = (guint)pick - 1;
		return RD_OK;
	}
	if (pick >= 0)
		return fail(error, RD_NOPERM,
		            "There is no conversation with that number in the list; please reply "
		            "with one of its numbers.");
	for (guint i = 0; i < n; i++) {
		g_autoptr(GError) err = NULL;
		g_autoptr(rd_community) where = NULL;
		g_autoptr(rd_stored_message) m = kept_choice(s, c, choices[i], &where, &err);

		if (m == NULL && rd_status_from_error(err) != RD_NOTFOUND) {
			g_propagate_error(error, g_steal_pointer(&err));
			st = rd_status_from_error(*error);
			break;
		}
		subjects[i] = m ? g_strdup(m->subject) : NULL;
	}
	if (st == RD_OK) {
		pick = line ? answer_subject(line, subjects, n) : -1;
		/* The Subject counts when the person wrote one of their own. */
		if (pick < 0 && g_ascii_strcasecmp(subj, "Which conversation is your reply about?") != 0)
			pick = answer_subject(subj, subjects, n);
		if (pick >= 0)
			*idx = (guint)pick;
		else
			st = fail(error, RD_NOPERM,
			          "Your answer did not name one of the conversations; nothing was "
			          "posted and your text stays kept.  Please reply with the number of "
			          "the conversation, such as 2, on the first line.");
	}
	for (guint i = 0; i < n; i++)
		g_free(subjects[i]);
	return st;
}

rd_status
rd_reply_confirm(rd_store *s, const rd_context *o, const rd_community *c, const rd_address *a,
                 GBytes *data, rd_deliver_result *result, GError **error)
{
	guint64 zero = 1, b = 0;
	g_autoptr(rd_kept_reply) k = NULL;
	g_autoptr(rd_message) choice = NULL, orig = NULL;
	g_autoptr(rd_stored_message) target = NULL;
	g_autoptr(rd_community) where = NULL;
	g_autoptr(GError) err = NULL;
	g_autofree char *paddr = NULL;
	g_auto(GStrv) choices = NULL;
	rd_deliver_result dummy = {0};
	gboolean mine;
	guint idx;
	rd_status st;

	if (o->secret == NULL)
		return fail(error, RD_TEMPFAIL,
		            "The list cannot check confirmation addresses right now; the message "
		            "will be retried.");
	if (a->token == NULL ||
	    !rd_token_check(o->secret, RD_TOKEN_CONFIRM, c->name, c->domain, a->token, &zero, &b))
		return fail(error, RD_NOPERM,
		            "This confirmation address is not valid; please use the one in the "
		            "mail you received.");
	if (zero != 0)
		return fail(error, RD_UNAVAIL,
		            "Confirmations by mail are not enabled on this server yet.");
	k = rd_store_reply_kept_get(s, (gint64)(b / 256), &err);
	if (k == NULL) {
		if (rd_status_from_error(err) == RD_NOTFOUND)
			return fail(error, RD_NOPERM,
			            "The reply this address was for is no longer kept here.");
		g_propagate_error(error, g_steal_pointer(&err));
		return rd_status_from_error(*error);
	}
	if (result == NULL)
		result = &dummy;
	choice = rd_message_parse(data, c->domain, error);
	if (choice == NULL)
		return RD_DATAERR;
	if (is_automatic(choice)) {
		/* A vacation reply must not pick a conversation for anyone. */
		set_result(result, choice->message_id, "ignored");
		rd_deliver_result_clear(&dummy);
		return RD_OK;
	}
	if (!is_person(s, choice->from_addr, k->person_id, &mine, error))
		return rd_status_from_error(*error);
	if (!mine)
		return fail(error, RD_NOPERM,
		            "Please choose the conversation from the address the list wrote to.");
	if (strcmp(k->status, "filed") == 0) {
		set_result(result, k->message_id, "duplicate");
		rd_deliver_result_clear(&dummy);
		return RD_OK;
	}
	if (rd_schedule_now() >= kept_expires(o, k)) {
		g_autofree char *when = kept_expiry_text(o, k);

		g_set_error(error, RD_ERROR, RD_NOPERM,
		            "Your kept reply expired on %s and was not posted; please send it "
		            "again from your latest digest.",
		            when);
		return RD_NOPERM;
	}
	choices = g_strsplit(k->choices, "\n", -1);
	idx = (guint)(b % 256);
	if (idx == REPLY_ANSWER_INDEX) {
		st = kept_pick(s, c, choice, choices, &idx, error);
		if (st != RD_OK)
			return st;
	}
	if (idx >= g_strv_length(choices))
		return fail(error, RD_NOPERM, "This confirmation address is not valid.");
	target = kept_choice(s, c, choices[idx], &where, &err);
	if (target == NULL) {
		if (rd_status_from_error(err) == RD_NOTFOUND)
			return fail(error, RD_NOPERM,
			            "That conversation no longer exists; your text stays kept.");
		g_propagate_error(error, g_steal_pointer(&err));
		return rd_status_from_error(*error);
	}
	if (!rd_store_reply_person_get(s, k->person_id, &paddr, NULL, error))
		return rd_status_from_error(*error);
	orig = rd_message_parse(k->raw, c->domain, error);
	if (orig == NULL)
		return RD_DATAERR;
	st = post_reply(s, o, where ? where : c, target->thread_id, paddr, TRUE, orig, k->body, NULL,
	                NULL, result, error);
	if (st == RD_OK) {
		/* Marking it filed is bookkeeping: a second tap finds the post
		 * already stored (same Message-ID) and stores nothing. */
		if (!rd_store_begin(s, &err) ||
		    !rd_store_reply_kept_filed(s, k->id, target->thread_id, &err) ||
		    !rd_store_commit(s, &err)) {
			rd_store_rollback(s);
			rd_log_warnx("kept reply %" G_GINT64_FORMAT " posted but not marked: %s",
			             k->id, err ? err->message : "?");
		}
	}
	rd_deliver_result_clear(&dummy);
	return st;
}

/* ---- replies to a digest sent to the post address ---- */

gboolean
rd_reply_is_digest_reply(const rd_message *m, const rd_community *c, GBytes *secret, char **token)
{
	if (secret == NULL || m->refs == NULL)
		return FALSE;
	for (int i = (int)g_strv_length(m->refs) - 1; i >= 0; i--) {
		const char *id = m->refs[i], *p, *dot, *at;
		g_autofree char *tok = NULL;
		guint64 oid = 0, want = 0;

		if (!g_str_has_prefix(id, "digest-"))
			continue;
		p = id + strlen("digest-");
		for (dot = p; g_ascii_isdigit(*dot); dot++)
			want = want * 10 + (guint64)(*dot - '0');
		if (dot == p || *dot != '.' || dot - p > 18)
			continue;
		at = strchr(dot, '@');
		if (at == NULL || g_ascii_strcasecmp(at + 1, c->domain) != 0)
			continue;
		tok = g_strndup(dot + 1, (gsize)(at - dot - 1));
		if (!rd_token_check(secret, RD_TOKEN_DIGEST, c->name, c->domain, tok, NULL, &oid) ||
		    oid != want)
			continue;
		if (token)
			*token = g_steal_pointer(&tok);
		return TRUE;
	}
	return FALSE;
}
