/* notice.c - the one builder of automatic mail (notice.h).
 *
 * Four builders used to write these messages by hand and had drifted
 * apart (one lacked X-Loop, one the daily limit).  Now every notice gets
 * the same headers, the same null envelope sender unless it asks for a
 * VERP one, and the same limit against backscatter unless it is exempt.
 */
#include <string.h>

#include "address.h"
#include "log.h"
#include "notice.h"

#define DEFAULT_REPLY_LIMIT 5
/* Owners, moderators and posters run their community by email and need
 * more answers than anyone, so they get this many times the limit; but
 * anyone can make mail for them (a post to hold, mail to +owner, a forged
 * From), so they get a limit too. */
#define TRUSTED_ROLE_FACTOR 10

gboolean
rd_notice_limit_take(rd_store *s, const rd_context *o, const rd_community *c, const char *to,
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

gboolean
rd_notice_outbox_add(rd_store *s, const char *kind, const rd_community *c, gint64 person_id,
                     const char *recipient, const char *envelope_from, const char *subject,
                     GBytes *data, const char *payload, gint64 now, GError **error)
{
	rd_outbox_item item = {0};

	/* The store copies what it keeps: borrowing the caller's strings is
	 * enough. */
	item.kind = (char *)kind;
	item.person_id = person_id;
	item.community_id = c->id;
	item.recipient = (char *)recipient;
	item.envelope_from = (char *)envelope_from;
	item.subject = (char *)subject;
	item.data = data;
	item.payload = (char *)payload;
	item.created = now;
	item.next_attempt = now;
	return rd_store_outbox_add(s, &item, error);
}

/* N from C as a complete message. */
static GBytes *
build(const rd_context *o, const rd_community *c, const rd_notice *n)
{
	g_autoptr(GMimeMessage) msg = g_mime_message_new(TRUE);
	g_autoptr(GDateTime) date = n->date > 0 ? g_date_time_new_from_unix_utc(n->date)
	                                        : g_date_time_new_now_utc();
	g_autofree char *from = rd_address_make(c->name, c->domain, o->delimiter, n->from_ext);
	g_autofree char *list = rd_address_make(c->name, c->domain, o->delimiter, NULL);
	g_autofree char *uuid = g_uuid_string_random();
	g_autofree char *mid = g_strdup_printf("notice-%s@%s", uuid, c->domain);
	GMimeTextPart *part = g_mime_text_part_new_with_subtype("plain");
	char *bytes;

	g_mime_message_add_mailbox(msg, GMIME_ADDRESS_TYPE_FROM, c->title, from);
	g_mime_message_add_mailbox(msg, GMIME_ADDRESS_TYPE_TO, NULL, n->to);
	if (n->reply_to)
		g_mime_message_add_mailbox(msg, GMIME_ADDRESS_TYPE_REPLY_TO, NULL, n->reply_to);
	g_mime_message_set_subject(msg, n->subject, "utf-8");
	g_mime_message_set_date(msg, date);
	g_mime_message_set_message_id(msg, mid);
	g_mime_object_set_header(GMIME_OBJECT(msg), "Auto-Submitted",
	                         n->auto_reply ? "auto-replied" : "auto-generated", NULL);
	/* Our own mail forwarded back to the list is recognised as a loop. */
	g_mime_object_set_header(GMIME_OBJECT(msg), "X-Loop", list, NULL);
	g_mime_text_part_set_text(part, n->body);
	g_mime_part_set_content_encoding(GMIME_PART(part), GMIME_CONTENT_ENCODING_QUOTEDPRINTABLE);
	if (n->parts != NULL && n->parts->len > 0) {
		GMimeMultipart *mixed = g_mime_multipart_new_with_subtype("mixed");

		g_mime_multipart_add(mixed, GMIME_OBJECT(part));
		for (guint i = 0; i < n->parts->len; i++)
			g_mime_multipart_add(mixed, n->parts->pdata[i]);
		g_mime_message_set_mime_part(msg, GMIME_OBJECT(mixed));
		g_object_unref(mixed);
	} else {
		g_mime_message_set_mime_part(msg, GMIME_OBJECT(part));
	}
	g_object_unref(part);
	bytes = g_mime_object_to_string(GMIME_OBJECT(msg), NULL);
	return g_bytes_new_take(bytes, strlen(bytes));
}

gboolean
rd_notice_queue(rd_store *s, const rd_context *o, const rd_community *c, const rd_notice *n,
                gint64 now, gboolean *sent, GError **error)
{
	g_autoptr(GBytes) data = NULL;
	gboolean allowed = TRUE;

	if (sent)
		*sent = FALSE;
	if (!n->exempt && !rd_notice_limit_take(s, o, c, n->to, now, &allowed, error))
		return FALSE;
	if (!allowed) {
		rd_log_info("%s@%s: no more automatic mail to %s today (%s)", c->name, c->domain,
		            n->to, n->subject);
		return TRUE;
	}
	data = build(o, c, n);
	if (!rd_notice_outbox_add(s, "message", c, n->person_id, n->to,
	                          n->envelope_from ? n->envelope_from : "", n->subject, data, NULL,
	                          now, error))
		return FALSE;
	if (sent)
		*sent = TRUE;
	return TRUE;
}
