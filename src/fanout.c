/* fanout.c - every-message delivery (bounce scoring is bounce-score.c).
 *
 * Every-message copies are rendered from the stored raw message when the
 * outbox sends them.  Everything that is the same for all members (header
 * filtering, subject prefix, DMARC rewriting, footer, list headers) is done
 * once per post and kept in a small cache; per member only the
 * List-Unsubscribe line with the member's own token is written, so sending
 * to many members costs one memcpy of the message each.
 */
#include <string.h>

#include "address.h"
#include "fanout.h"
#include "smtp.h"
#include "log.h"
#include "message.h"
#include "notice.h"
#include "token.h"

struct _rd_fanout_copy {
	char *community; /* name and domain, for tokens */
	char *domain;
	gint64 community_id;
	char *request; /* COMMUNITY+request@DOMAIN */
	char delimiter;
	char *eol;     /* "\r\n": copies are kept as SMTP sends them */
	GBytes *head;  /* header fields up to List-Unsubscribe */
	GBytes *tail;  /* the remaining header fields, the blank line, the body */
	gboolean eight_bit; /* head or tail has bytes >= 0x80 */
};

/* Headers the list replaces or that must not leak to members (RFC 2369 and
 * 2919 headers of an upstream list, delivery trace of our own MTA). */
static const char *const dropped_headers[] = {
    "Return-Path", "Delivered-To", "X-Original-To",         "List-Id",
    "List-Post",   "List-Help",    "List-Subscribe",        "List-Unsubscribe",
    "List-Owner",  "List-Archive", "List-Unsubscribe-Post", "Precedence",
    "X-Loop",
};

/* ---- the per-post copy ---- */

typedef struct {
	const char *start; /* the whole field, continuation lines and line end included */
	gsize len;
	const char *name;
	gsize name_len;
	const char *value; /* after the colon, without the final line end */
	gsize value_len;
} field;

static gboolean
field_is(const field *f, const char *name)
{
	return f->name != NULL && strlen(name) == f->name_len &&
	       g_ascii_strncasecmp(f->name, name, f->name_len) == 0;
}

static char *
field_value(const field *f)
{
	return g_strstrip(g_strndup(f->value, f->value_len));
}

/* Split the header block of DATA into fields; *body_off is where the body
 * begins (after the blank line), or LEN when there is none. */
static GArray *
split_headers(const char *data, gsize len, gsize *body_off)
{
	GArray *fields = g_array_new(FALSE, TRUE, sizeof(field));
	gsize p = 0;

	*body_off = len;
	while (p < len) {
		field f = {0};
		gsize q = p, line_end;
		const char *colon;

		/* A blank line ends the header block. */
		if (data[p] == '\n' || (data[p] == '\r' && p + 1 < len && data[p + 1] == '\n')) {
			*body_off = p + (data[p] == '\r' ? 2 : 1);
			break;
		}
		do {
			const char *nl = memchr(data + q, '\n', len - q);

			q = nl ? (gsize)(nl - data) + 1 : len;
		} while (q < len && (data[q] == ' ' || data[q] == '\t'));
		f.start = data + p;
		f.len = q - p;
		line_end = q;
		while (line_end > p && (data[line_end - 1] == '\n' || data[line_end - 1] == '\r'))
			line_end--;
		colon = memchr(data + p, ':', line_end - p);
		if (colon != NULL && memchr(data + p, ' ', (gsize)(colon - (data + p))) == NULL) {
			f.name = data + p;
			f.name_len = (gsize)(colon - (data + p));
			f.value = colon + 1;
			f.value_len = line_end - (gsize)(colon + 1 - data);
		}
		g_array_append_val(fields, f);
		p = q;
	}
	return fields;
}

gboolean
rd_fanout_has_prefix(const char *subject, const char *name)
{
	g_autofree char *tag = g_strdup_printf("[%s]", name);
	g_autofree char *s = g_utf8_casefold(subject ? subject : "", -1);
	g_autofree char *t = g_utf8_casefold(tag, -1);

	return strstr(s, t) != NULL;
}

/* A display phrase and address as a header value, RFC 2047-encoded when
 * the phrase is not ASCII. */
static char *
mailbox_text(const char *name, const char *addr)
{
	InternetAddress *ia = internet_address_mailbox_new(name, addr);
	char *text = internet_address_to_string(ia, NULL, TRUE);

	/* rounds.h has no autoptr glue for InternetAddress. */
	g_object_unref(ia);
	return text;
}

/* The author of FROM_VALUE (a raw From: value): display name and address. */
static gboolean
author_of(const char *from_value, char **name, char **addr)
{
	InternetAddressList *list = internet_address_list_parse(NULL, from_value);
	InternetAddress *ia = NULL;

	if (list != NULL && internet_address_list_length(list) > 0)
		ia = internet_address_list_get_address(list, 0);
	if (ia == NULL || !INTERNET_ADDRESS_IS_MAILBOX(ia)) {
		g_clear_object(&list);
		return FALSE;
	}
	*addr = g_strdup(internet_address_mailbox_get_addr(INTERNET_ADDRESS_MAILBOX(ia)));
	*name = g_strdup(internet_address_get_name(ia));
	if (*name == NULL || **name == '\0') {
		const char *at = strchr(*addr, '@');

		g_free(*name);
		*name = g_strndup(*addr, at ? (gsize)(at - *addr) : strlen(*addr));
	}
	g_object_unref(list);
	return TRUE;
}

static GMimeTextPart *
footer_part(const char *footer)
{
	GMimeTextPart *part = g_mime_text_part_new_with_subtype("plain");

	g_mime_text_part_set_text(part, footer);
	g_mime_part_set_content_encoding(GMIME_PART(part),
	                                 g_mime_part_get_best_content_encoding(
	                                     GMIME_PART(part), GMIME_ENCODING_CONSTRAINT_7BIT));
	g_mime_object_set_content_disposition(GMIME_OBJECT(part),
	                                      g_mime_content_disposition_parse(NULL, "inline"));
	return part;
}

/* The original with FOOTER added: at the end of a lone text/plain body,
 * else as a new inline part (multipart/mixed gets one more part; any other
 * body is wrapped in a new multipart/mixed, which keeps signed parts valid). */
static GBytes *
with_footer(GBytes *raw, const char *footer, GError **error)
{
	gsize len;
	const char *data = g_bytes_get_data(raw, &len);
	g_autoptr(GMimeStream) stream = g_mime_stream_mem_new_with_buffer(data, len);
	g_autoptr(GMimeParser) parser = g_mime_parser_new_with_stream(stream);
	g_autoptr(GMimeMessage) msg = g_mime_parser_construct_message(parser, NULL);
	GMimeObject *body;
	char *text;

	if (msg == NULL || (body = g_mime_message_get_mime_part(msg)) == NULL) {
		g_set_error(error, RD_ERROR, RD_DATAERR, "the stored message cannot be parsed");
		return NULL;
	}
	if (GMIME_IS_TEXT_PART(body) &&
	    g_mime_content_type_is_type(g_mime_object_get_content_type(body), "text", "plain") &&
	    !g_mime_part_is_attachment(GMIME_PART(body))) {
		g_autofree char *old = g_mime_text_part_get_text(GMIME_TEXT_PART(body));
		g_autofree char *new_text = NULL;

		new_text = g_strdup_printf("%s%s-- \n%s\n", old ? old : "",
		                           old && *old && !g_str_has_suffix(old, "\n") ? "\n" : "",
		                           footer);
		g_mime_text_part_set_text(GMIME_TEXT_PART(body), new_text);
		g_mime_part_set_content_encoding(
		    GMIME_PART(body), g_mime_part_get_best_content_encoding(
		                          GMIME_PART(body), GMIME_ENCODING_CONSTRAINT_7BIT));
	} else if (GMIME_IS_MULTIPART(body) &&
	           g_mime_content_type_is_type(g_mime_object_get_content_type(body), "multipart",
	                                       "mixed")) {
		g_autoptr(GMimeObject) part = GMIME_OBJECT(footer_part(footer));

		g_mime_multipart_add(GMIME_MULTIPART(body), part);
	} else {
		g_autoptr(GMimeObject) mixed =
		    GMIME_OBJECT(g_mime_multipart_new_with_subtype("mixed"));
		g_autoptr(GMimeObject) part = GMIME_OBJECT(footer_part(footer));

		g_mime_multipart_add(GMIME_MULTIPART(mixed), body);
		g_mime_multipart_add(GMIME_MULTIPART(mixed), part);
		g_mime_message_set_mime_part(msg, mixed);
	}
	text = g_mime_object_to_string(GMIME_OBJECT(msg), NULL);
	return g_bytes_new_take(text, strlen(text));
}

rd_fanout_copy *
rd_fanout_copy_new(GBytes *raw, const rd_community *c, const rd_fanout_settings *f, char delimiter,
                   GError **error)
{
	g_autoptr(GBytes) source = NULL;
	g_autoptr(rd_fanout_copy) copy = g_new0(rd_fanout_copy, 1);
	g_autoptr(GArray) fields = NULL;
	g_autoptr(GString) head = g_string_sized_new(4096);
	g_autoptr(GString) tail = NULL;
	g_autofree char *list_addr = g_strdup_printf("%s@%s", c->name, c->domain);
	g_autofree char *owner = rd_address_make(c->name, c->domain, delimiter, "owner");
	g_autofree char *list_id_host = g_strdup_printf("%s.%s", c->name, c->domain);
	g_autofree char *list_id = mailbox_text(c->title, list_id_host);
	g_autofree char *author_name = NULL, *author_addr = NULL, *author_raw = NULL;
	gboolean dmarc = f->dmarc_mitigation && strcmp(f->dmarc_mitigation, "always") == 0;
	gboolean reply_list = f->reply_to && strcmp(f->reply_to, "list") == 0;
	gboolean have_subject = FALSE, have_cc = FALSE;
	const char *data, *eol = "\n";
	gsize len, body_off;

	source = f->footer && *f->footer ? with_footer(raw, f->footer, error) : g_bytes_ref(raw);
	if (source == NULL)
		return NULL;
	data = g_bytes_get_data(source, &len);
	if (len == 0) {
		g_set_error(error, RD_ERROR, RD_DATAERR, "the stored message is empty");
		return NULL;
	}
	/* Added lines follow the original's line ends. */
	{
		const char *nl = memchr(data, '\n', len);

		if (nl != NULL && nl > data && nl[-1] == '\r')
			eol = "\r\n";
	}
	copy->community = g_strdup(c->name);
	copy->domain = g_strdup(c->domain);
	copy->community_id = c->id;
	copy->request = rd_address_make(c->name, c->domain, delimiter, "request");
	copy->delimiter = delimiter;
	copy->eol = g_strdup(eol);

	fields = split_headers(data, len, &body_off);
	for (guint i = 0; i < fields->len; i++) {
		field *fd = &g_array_index(fields, field, i);

		if (field_is(fd, "From") && author_raw == NULL)
			author_raw = field_value(fd);
		if (field_is(fd, "Cc"))
			have_cc = TRUE;
	}
	if (author_raw == NULL || !author_of(author_raw, &author_name, &author_addr))
		dmarc = FALSE;

	for (guint i = 0; i < fields->len; i++) {
		field *fd = &g_array_index(fields, field, i);
		gboolean drop = FALSE;

		/* An mbox "From " separator is not part of the message. */
		if (fd->name == NULL && i == 0 && fd->len > 5 &&
		    strncmp(fd->start, "From ", 5) == 0)
			continue;
		for (gsize k = 0; k < G_N_ELEMENTS(dropped_headers) && !drop; k++)
			drop = field_is(fd, dropped_headers[k]);
		if (drop)
			continue;
		if (field_is(fd, "Subject") && !have_subject) {
			g_autofree char *value = field_value(fd);
			g_autofree char *decoded = rd_message_decode_header(value);

			have_subject = TRUE;
			if (f->subject_prefix && !rd_fanout_has_prefix(decoded, c->name)) {
				const char *v = fd->value;
				gsize n = fd->value_len;

				while (n > 0 && (*v == ' ' || *v == '\t')) {
					v++;
					n--;
				}
				g_string_append_printf(head, "Subject: [%s] ", c->name);
				g_string_append_len(head, v, (gssize)n);
				g_string_append(head, eol);
				continue;
			}
		}
		if (dmarc && field_is(fd, "From")) {
			g_autofree char *via = g_strdup_printf("%s via %s", author_name, c->title);
			g_autofree char *from = mailbox_text(via, list_addr);

			g_string_append_printf(head, "From: %s%s", from, eol);
			continue;
		}
		/* The list takes replies, or (DMARC) the author does: either way
		 * the list writes Reply-To itself. */
		if ((reply_list || dmarc) && field_is(fd, "Reply-To"))
			continue;
		if (dmarc && reply_list && field_is(fd, "Cc")) {
			g_string_append_len(head, fd->start, (gssize)(fd->value - fd->start));
			g_string_append_len(head, fd->value, (gssize)fd->value_len);
			g_string_append_printf(head, ", %s%s", author_raw, eol);
			continue;
		}
		g_string_append_len(head, fd->start, (gssize)fd->len);
		/* A header block that ends without a line end (no body). */
		if (fd->len > 0 && fd->start[fd->len - 1] != '\n')
			g_string_append(head, eol);
	}
	if (f->subject_prefix && !have_subject)
		g_string_append_printf(head, "Subject: [%s]%s", c->name, eol);

	/* RFC 2919 and 2369 headers; List-Unsubscribe comes per member. */
	g_string_append_printf(head, "List-Id: %s%s", list_id, eol);
	g_string_append_printf(head, "List-Help: <mailto:%s?subject=help>%s", copy->request, eol);
	g_string_append_printf(head, "List-Subscribe: <mailto:%s?subject=subscribe>%s",
	                       copy->request, eol);
	tail = g_string_sized_new(len - body_off + 1024);
	g_string_append_printf(tail, "List-Post: <mailto:%s>%s", list_addr, eol);
	g_string_append_printf(tail, "List-Owner: <mailto:%s>%s", owner, eol);
	if (f->archive_url && *f->archive_url)
		g_string_append_printf(tail, "List-Archive: <%s>%s", f->archive_url, eol);
	g_string_append_printf(tail, "Precedence: list%s", eol);
	g_string_append_printf(tail, "X-Loop: %s%s", list_addr, eol);
	if (reply_list) {
		g_autofree char *rt = mailbox_text(c->title, list_addr);

		g_string_append_printf(tail, "Reply-To: %s%s", rt, eol);
		if (dmarc && !have_cc)
			g_string_append_printf(tail, "Cc: %s%s", author_raw, eol);
	} else if (dmarc) {
		g_string_append_printf(tail, "Reply-To: %s%s", author_raw, eol);
	}
	g_string_append(tail, eol);
	g_string_append_len(tail, data + body_off, (gssize)(len - body_off));

	/* In CRLF once, as SMTP sends it: no member's copy is converted
	 * again (rd_smtp_to_crlf() passes CRLF data through). */
	g_autoptr(GBytes) h = g_string_free_to_bytes(g_steal_pointer(&head));
	g_autoptr(GBytes) t = g_string_free_to_bytes(g_steal_pointer(&tail));

	gboolean head_bits, tail_bits;

	copy->head = rd_smtp_to_crlf(h, &head_bits);
	copy->tail = rd_smtp_to_crlf(t, &tail_bits);
	copy->eight_bit = head_bits || tail_bits;
	g_free(copy->eol);
	copy->eol = g_strdup("\r\n");
	return g_steal_pointer(&copy);
}

char *
rd_fanout_unsubscribe_url(GBytes *secret, const char *web_url, const char *name,
                          const char *domain, gint64 person_id, rd_web_action action)
{
	g_autofree char *token = NULL;

	if (web_url == NULL)
		return NULL;
	token = rd_token_make(secret, RD_TOKEN_WEB, name, domain, (guint64)person_id,
	                      (guint64)action);
	return g_strdup_printf("%s/u/%s", web_url, token);
}

char *
rd_fanout_list_unsubscribe(GBytes *secret, const char *web_url, const char *name,
                           const char *domain, char delimiter, gint64 person_id,
                           rd_web_action action, const char **post)
{
	/* The mailto token is the person's own command token, as before. */
	g_autofree char *token =
	    rd_token_make(secret, RD_TOKEN_COMMAND, name, domain, (guint64)person_id, 0);
	g_autofree char *request = rd_address_make(name, domain, delimiter, "request");
	g_autofree char *url =
	    rd_fanout_unsubscribe_url(secret, web_url, name, domain, person_id, action);

	if (post != NULL)
		*post = url ? "List-Unsubscribe=One-Click" : NULL;
	if (url != NULL)
		return g_strdup_printf("<%s>, <mailto:%s?subject=unsubscribe%%20%s>", url, request,
		                       token);
	return g_strdup_printf("<mailto:%s?subject=unsubscribe%%20%s>", request, token);
}

GBytes *
rd_fanout_copy_render(const rd_fanout_copy *copy, GBytes *secret, gint64 person_id,
                      const char *web_url)
{
	const char *post = NULL;
	g_autofree char *value =
	    rd_fanout_list_unsubscribe(secret, web_url, copy->community, copy->domain,
	                               copy->delimiter, person_id, RD_WEB_LEAVE, &post);
	/* RFC 8058: the POST header goes with the https link, and both come
	 * before the rest, so the per-member part stays one piece. */
	g_autofree char *unsub =
	    post ? g_strdup_printf("List-Unsubscribe: %s%sList-Unsubscribe-Post: %s%s", value,
	                           copy->eol, post, copy->eol)
	         : g_strdup_printf("List-Unsubscribe: %s%s", value, copy->eol);
	gsize hl, tl, ul = strlen(unsub);
	const char *h = g_bytes_get_data(copy->head, &hl);
	const char *t = g_bytes_get_data(copy->tail, &tl);
	char *out = g_malloc(hl + ul + tl);

	memcpy(out, h, hl);
	memcpy(out + hl, unsub, ul);
	memcpy(out + hl + ul, t, tl);
	return g_bytes_new_take(out, hl + ul + tl);
}

void
rd_fanout_copy_free(rd_fanout_copy *copy)
{
	if (copy == NULL)
		return;
	g_free(copy->community);
	g_free(copy->domain);
	g_free(copy->request);
	g_free(copy->eol);
	if (copy->head)
		g_bytes_unref(copy->head);
	if (copy->tail)
		g_bytes_unref(copy->tail);
	g_free(copy);
}

/* ---- queueing and rendering ---- */

char *
rd_fanout_bounce_address(GBytes *secret, const rd_community *c, char delimiter, gint64 person_id)
{
	g_autofree char *token = rd_token_make(secret, RD_TOKEN_BOUNCE, c->name, c->domain,
	                                       (guint64)person_id, (guint64)c->id);
	g_autofree char *ext = g_strdup_printf("b-%s", token);

	return rd_address_make(c->name, c->domain, delimiter, ext);
}

gboolean
rd_fanout_enqueue(rd_store *s, const rd_context *o, const rd_community *c, gint64 row,
                  GError **error)
{
	g_autoptr(rd_stored_message) m = rd_store_fanout_message(s, row, FALSE, error);
	g_autoptr(GArray) ids = g_array_new(FALSE, FALSE, sizeof(gint64));
	g_autoptr(GPtrArray) addrs = g_ptr_array_new_with_free_func(g_free);
	g_autofree char *payload = g_strdup_printf("{\"row\": %" G_GINT64_FORMAT "}", row);
	gint64 now = g_get_real_time() / G_USEC_PER_SEC;

	if (m == NULL)
		return FALSE;
	if (!rd_store_fanout_recipients(s, c->id, m->from_addr, ids, addrs, error))
		return FALSE;
	if (ids->len == 0)
		return TRUE;
	/* Without the secret there is no VERP address: better the MTA retries
	 * the post than members get copies whose bounces nobody can read. */
	if (o->secret == NULL) {
		g_set_error(
		    error, RD_ERROR, RD_TEMPFAIL,
		    "The list cannot read its secret just now; the message will be retried.");
		return FALSE;
	}
	for (guint i = 0; i < ids->len; i++) {
		gint64 person = g_array_index(ids, gint64, i);
		g_autofree char *verp = rd_fanout_bounce_address(o->secret, c, o->delimiter, person);

		if (!rd_notice_outbox_add(s, "post", c, person, addrs->pdata[i], verp, m->subject,
		                          NULL, payload, now, error))
			return FALSE;
	}
	rd_log_info("%s@%s: <%s> queued for %u every-message members", c->name, c->domain,
	            m->message_id, ids->len);
	return TRUE;
}

/* A few posts' copies: the outbox sends a post to all its members in
 * order, so one or two entries are hit again and again.  Entries expire
 * so that a long-running scheduler sees changed community settings. */
#define COPY_CACHE_SIZE 4
#define COPY_CACHE_TTL (60 * G_USEC_PER_SEC)

static struct {
	gint64 row;
	gint64 born; /* monotonic microseconds */
	rd_fanout_copy *copy;
} copy_cache[COPY_CACHE_SIZE];
static guint copy_cache_next;

void
rd_fanout_cache_clear(void)
{
	for (guint i = 0; i < COPY_CACHE_SIZE; i++) {
		g_clear_pointer(&copy_cache[i].copy, rd_fanout_copy_free);
		copy_cache[i].row = 0;
	}
}

static const rd_fanout_copy *
copy_for_row(rd_store *s, gint64 row, char delimiter, GError **error)
{
	gint64 now = g_get_monotonic_time();
	g_autoptr(rd_stored_message) m = NULL;
	g_autoptr(rd_community) c = NULL;
	g_autoptr(rd_fanout_settings) f = NULL;
	rd_fanout_copy *copy;
	guint slot;

	for (guint i = 0; i < COPY_CACHE_SIZE; i++)
		if (copy_cache[i].copy != NULL && copy_cache[i].row == row &&
		    now - copy_cache[i].born < COPY_CACHE_TTL)
			return copy_cache[i].copy;
	m = rd_store_fanout_message(s, row, TRUE, error);
	if (m == NULL)
		return NULL;
	if (strcmp(m->status, "posted") != 0) {
		g_set_error(error, RD_ERROR, RD_NOTFOUND,
		            "message #%" G_GINT64_FORMAT " is no longer posted", row);
		return NULL;
	}
	if ((c = rd_store_community_get_by_id(s, m->community_id, error)) == NULL ||
	    (f = rd_store_fanout_settings(s, m->community_id, error)) == NULL)
		return NULL;
	copy = rd_fanout_copy_new(m->raw, c, f, delimiter, error);
	if (copy == NULL)
		return NULL;
	slot = copy_cache_next++ % COPY_CACHE_SIZE;
	for (guint i = 0; i < COPY_CACHE_SIZE; i++)
		if (copy_cache[i].row == row) /* an expired entry of the same row */
			slot = i;
	rd_fanout_copy_free(copy_cache[slot].copy);
	copy_cache[slot].row = row;
	copy_cache[slot].born = now;
	copy_cache[slot].copy = copy;
	return copy;
}

GBytes *
rd_fanout_render(rd_store *s, const rd_outbox_item *item, GBytes *secret, char delimiter,
                 const char *web_url, rd_smtp_form *form, GError **error)
{
	const char *p = item->payload ? strstr(item->payload, "\"row\"") : NULL;
	const rd_fanout_copy *copy;
	gboolean active = FALSE;
	gint64 row = 0;

	if (p != NULL && (p = strchr(p, ':')) != NULL)
		row = g_ascii_strtoll(p + 1, NULL, 10);
	if (row <= 0) {
		g_set_error(error, RD_ERROR, RD_NOTFOUND,
		            "outbox item %" G_GINT64_FORMAT " names no message", item->id);
		return NULL;
	}
	if (secret == NULL) {
		g_set_error(error, RD_ERROR, RD_TEMPFAIL, "the installation secret is not loaded");
		return NULL;
	}
	if ((copy = copy_for_row(s, row, delimiter, error)) == NULL)
		return NULL;
	/* Someone who left, switched to digests or was disabled for bounces
	 * since the post was queued gets nothing. */
	if (!rd_store_fanout_member_active(s, copy->community_id, item->person_id, &active, error))
		return NULL;
	if (!active) {
		g_set_error(error, RD_ERROR, RD_NOTFOUND, "%s no longer gets every message",
		            item->recipient);
		return NULL;
	}
	if (form != NULL)
		*form = copy->eight_bit ? RD_SMTP_FORM_CRLF_8BIT : RD_SMTP_FORM_CRLF_7BIT;
	return rd_fanout_copy_render(copy, secret, item->person_id, web_url);
}
