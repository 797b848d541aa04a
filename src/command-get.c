/* command-get.c - "get CODE [attachments]": a whole conversation (and its
 * attachments, as far as they fit) mailed to the person a digest's code
 * names.
 */
#include <string.h>

#include "command-internal.h"
#include "notice.h"

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
	rd_command_add_str(b, "name", name);
	rd_command_add_str(b, "size", size_text);
	json_builder_set_member_name(b, "attached");
	json_builder_add_boolean_value(b, reason == NULL);
	rd_command_add_str(b, "reason", reason);
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
gboolean
rd_command_verb_get(cmd_ctx *x, char **argv, guint argc, GString *res, GError **error)
{
	g_autoptr(rd_thread_info) t = NULL;
	g_autoptr(GPtrArray) msgs = NULL;
	g_autoptr(GPtrArray) parts = g_ptr_array_new_with_free_func(g_object_unref);
	g_autofree char *addr = NULL, *subject = NULL, *body = NULL, *limit_text = NULL;
	gboolean with_attachments = argc > 2 && g_ascii_strcasecmp(argv[2], "attachments") == 0;
	get_attachments g = {parts, 0, NULL, 0, 0};
	gint64 limit = ATTACHMENTS_MAX_BYTES;
	gint64 pid, tid;
	JsonBuilder *b;
	gboolean ok = TRUE, sent = FALSE;

	if (!rd_command_token_thread(x, argc > 1 ? argv[1] : NULL, &pid, &tid, &t, res, error))
		return FALSE;
	if (t == NULL)
		return TRUE;
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
	b = rd_command_builder_new(x);
	rd_command_add_field(b, "subject", t->subject);
	json_builder_set_member_name(b, "messages");
	json_builder_begin_array(b);
	for (guint i = 0; ok && i < msgs->len; i++) {
		rd_stored_message *m = msgs->pdata[i];

		json_builder_begin_object(b);
		rd_command_add_field(b, "from",
		                     m->from_name && *m->from_name ? m->from_name : m->from_addr);
		rd_command_add_field(b, "address", m->from_addr);
		rd_command_add_str(b, "date", m->date_text);
		rd_command_add_str(b, "body", m->body);
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
		body =
		    rd_command_render(x->o, x->c, "conversation.txt.mustache", b, &subject, error);
	g_object_unref(b);
	if (!ok || body == NULL)
		return FALSE;
	rd_notice n = {.from_ext = "request",
	               .person_id = pid,
	               .to = addr,
	               .subject = subject,
	               .body = body,
	               .parts = parts,
	               .auto_reply = TRUE};
	if (!rd_notice_queue(x->s, x->o, x->c, &n, x->now, &sent, error))
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
