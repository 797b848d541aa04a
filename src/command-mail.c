/* command-mail.c - the mail the command module sends: templates rendered
 * with the community's variables, queued in the outbox, with the daily
 * limit of automatic replies against backscatter.
 */
#include <string.h>

#include "command-internal.h"
#include "schedule.h"
#include "template.h"
#include "log.h"
#include "mustache.h"

#define DEFAULT_TOKEN_DAYS 7
#define DEFAULT_REPLY_LIMIT 5
/* Owners, moderators and posters run their community by email and need
 * more answers than anyone, so they get this many times the limit; but
 * anyone can make mail for them (a post to hold, mail to +owner, a forged
 * From), so they get a limit too. */
#define TRUSTED_ROLE_FACTOR 10

gint64
rd_command_token_days(const rd_deliver_opts *o)
{
	return o->token_days > 0 ? o->token_days : DEFAULT_TOKEN_DAYS;
}

char *
rd_command_community_address(const rd_deliver_opts *o, const rd_community *c, const char *ext)
{
	return rd_address_make(c->name, c->domain, o->delimiter, ext);
}

/* The common variables of every template. */
static void
add_common(JsonBuilder *b, const rd_deliver_opts *o, const rd_community *c)
{
	g_autofree char *list = rd_command_community_address(o, c, NULL);
	g_autofree char *request = rd_command_community_address(o, c, "request");
	g_autofree char *owner = rd_command_community_address(o, c, "owner");

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
	json_builder_add_int_value(b, rd_command_token_days(o));
}

void
rd_command_add_str(JsonBuilder *b, const char *key, const char *value)
{
	json_builder_set_member_name(b, key);
	if (value)
		json_builder_add_string_value(b, value);
	else
		json_builder_add_null_value(b);
}

char *
rd_command_one_line(const char *text)
{
	GString *out;

	if (text == NULL)
		return NULL;
	out = g_string_sized_new(strlen(text));
	for (const char *p = text; *p;) {
		gunichar c = g_utf8_get_char_validated(p, -1);

		if (c == (gunichar)-1 || c == (gunichar)-2) {
			/* Not UTF-8: judge the byte alone. */
			g_string_append_c(out, g_ascii_iscntrl(*p) ? ' ' : *p);
			p++;
			continue;
		}
		/* Line and paragraph separators end lines in some readers. */
		if (g_unichar_iscntrl(c) || c == 0x2028 || c == 0x2029)
			g_string_append_c(out, ' ');
		else
			g_string_append_len(out, p, g_utf8_next_char(p) - p);
		p = g_utf8_next_char(p);
	}
	return g_string_free(out, FALSE);
}

void
rd_command_add_field(JsonBuilder *b, const char *key, const char *value)
{
	g_autofree char *v = rd_command_one_line(value);

	rd_command_add_str(b, key, v);
}

/* Render template NAME with the object B was building (closed here).  The
 * first line "Subject: ..." of the output becomes *SUBJECT. */
char *
rd_command_render(const rd_deliver_opts *o, const rd_community *c, const char *name, JsonBuilder *b,
                  char **subject, GError **error)
{
	rd_template_place place = {o->home, c->name, o->template_dir};
	g_autofree char *src = rd_template_load(&place, name);
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

gboolean
rd_command_limit_take(rd_store *s, const rd_deliver_opts *o, const rd_community *c, const char *to,
                      gint64 now, gboolean *allowed, GError **error)
{
	g_autoptr(rd_member) mem = NULL;
	g_autoptr(GError) err = NULL;
	int limit = o->reply_limit > 0 ? o->reply_limit : DEFAULT_REPLY_LIMIT;

	mem = rd_store_member_get(s, c->id, to, &err);
	if (mem == NULL && rd_status_from_error(err) != RD_NOTFOUND) {
		g_propagate_error(error, g_steal_pointer(&err));
		return FALSE;
	}
	if (mem != NULL && strcmp(mem->role, "member") != 0)
		limit *= TRUSTED_ROLE_FACTOR;
	return rd_store_autoreply_take(s, to, now, limit, allowed, error);
}

/* Queue one message from the community's FROM_EXT address to TO: the text
 * BODY, followed in a multipart/mixed by the MIME objects of PARTS when it
 * has any (NULL: text only).  Every such mail counts against the per-address daily limit
 * (rd_command_limit_take): past it, nothing is queued and *SENT (may be
 * NULL) is FALSE.  AUTO_REPLY says whether it answers a mail
 * ("auto-replied") or not ("auto-generated", RFC 3834).  Automatic mail
 * has a null envelope sender so that nothing answers it in turn. */
static gboolean
queue_mail(rd_store *s, const rd_deliver_opts *o, const rd_community *c, const char *from_ext,
           gint64 person_id, const char *to, const char *subject, const char *reply_to,
           const char *body, GPtrArray *parts, gboolean auto_reply, gint64 now, gboolean *sent,
           GError **error)
{
	g_autoptr(GMimeMessage) msg = NULL;
	g_autoptr(GDateTime) date = g_date_time_new_now_utc();
	g_autoptr(rd_outbox_item) item = NULL;
	g_autofree char *from = rd_command_community_address(o, c, from_ext);
	g_autofree char *list = rd_command_community_address(o, c, NULL);
	g_autofree char *uuid = g_uuid_string_random();
	g_autofree char *mid = g_strdup_printf("cmd-%s@%s", uuid, c->domain);
	GMimeTextPart *part;
	gboolean allowed = TRUE;
	const char *auto_kind = auto_reply ? "auto-replied" : "auto-generated";
	char *bytes;

	if (sent)
		*sent = FALSE;
	if (!rd_command_limit_take(s, o, c, to, now, &allowed, error))
		return FALSE;
	if (!allowed) {
		rd_log_info("%s@%s: no more automatic mail to %s today (%s)", c->name, c->domain,
		            to, subject);
		return TRUE;
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

gboolean
rd_command_queue_mail(rd_store *s, const rd_deliver_opts *o, const rd_community *c,
                      gint64 person_id, const char *to, const char *subject, const char *reply_to,
                      const char *body, GPtrArray *parts, gboolean auto_reply, gint64 now,
                      gboolean *sent, GError **error)
{
	return queue_mail(s, o, c, "request", person_id, to, subject, reply_to, body, parts,
	                  auto_reply, now, sent, error);
}

gboolean
rd_command_queue_notice(rd_store *s, const rd_deliver_opts *o, const rd_community *c,
                        const char *from_ext, gint64 person_id, const char *to,
                        const char *subject, const char *reply_to, const char *body,
                        gboolean *sent, GError **error)
{
	return queue_mail(s, o, c, from_ext, person_id, to, subject, reply_to, body, NULL, TRUE,
	                  rd_schedule_now(), sent, error);
}

/* Render template NAME and queue it to TO. */
gboolean
rd_command_send_template(cmd_ctx *x, const char *name, JsonBuilder *b, gint64 person_id,
                         const char *to, const char *reply_to, gboolean auto_reply, gboolean *sent,
                         GError **error)
{
	g_autofree char *subject = NULL;
	g_autofree char *body = rd_command_render(x->o, x->c, name, b, &subject, error);

	if (body == NULL)
		return FALSE;
	return rd_command_queue_mail(x->s, x->o, x->c, person_id, to, subject, reply_to, body, NULL,
	                             auto_reply, x->now, sent, error);
}

JsonBuilder *
rd_command_builder_new(cmd_ctx *x)
{
	JsonBuilder *b = json_builder_new();

	json_builder_begin_object(b);
	add_common(b, x->o, x->c);
	return b;
}
