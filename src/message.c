/* message.c - inbound message parsing with GMime. */
#include <string.h>

#include "bounce.h"
#include "html.h"
#include "message.h"
#include "store.h"

/* Single-byte charsets that mail clients put on UTF-8 text by mistake. */
static gboolean
charset_is_latin(const char *cs)
{
	return g_ascii_strncasecmp(cs, "iso-8859-", 9) == 0 ||
	       g_ascii_strncasecmp(cs, "windows-125", 11) == 0 ||
	       g_ascii_strncasecmp(cs, "cp125", 5) == 0 || g_ascii_strcasecmp(cs, "us-ascii") == 0 ||
	       g_ascii_strcasecmp(cs, "ascii") == 0 || g_ascii_strcasecmp(cs, "latin1") == 0;
}

static gboolean
bytes_are_ascii(const char *p, gsize len)
{
	for (gsize i = 0; i < len; i++)
		if ((unsigned char)p[i] >= 0x80)
			return FALSE;
	return TRUE;
}

char *
rd_message_to_utf8(const char *bytes, gsize len, const char *charset)
{
	gboolean valid = g_utf8_validate_len(bytes, len, NULL);
	gboolean seven_bit_charset =
	    charset != NULL && (g_ascii_strncasecmp(charset, "iso-2022", 8) == 0 ||
				g_ascii_strcasecmp(charset, "utf-7") == 0 ||
				g_ascii_strcasecmp(charset, "hz-gb-2312") == 0);
	char *out;

	/* ISO-2022-JP and friends are 7-bit: ASCII bytes that still need
	 * converting, so the shortcut for plain ASCII must not take them. */
	if (seven_bit_charset) {
		out = g_convert(bytes, len, "UTF-8", g_mime_charset_iconv_name(charset), NULL, NULL,
				NULL);
		if (out != NULL)
			return out;
	}
	if (bytes_are_ascii(bytes, len) || (valid && charset == NULL))
		return g_strndup(bytes, len);
	if (charset != NULL) {
		const char *iconv_name = g_mime_charset_iconv_name(charset);

		if (g_ascii_strcasecmp(iconv_name, "utf-8") == 0 ||
		    g_ascii_strcasecmp(iconv_name, "utf8") == 0) {
			if (valid)
				return g_strndup(bytes, len);
		} else if (valid && charset_is_latin(charset)) {
			/* Latin text is almost never valid UTF-8 by accident. */
			return g_strndup(bytes, len);
		} else {
			out = g_convert(bytes, len, "UTF-8", iconv_name, NULL, NULL, NULL);
			if (out != NULL && g_utf8_validate(out, -1, NULL))
				return out;
			g_free(out);
		}
	}
	if (valid)
		return g_strndup(bytes, len);
	/* Unlabelled or mislabelled 8-bit: Windows-1252 is what such mail
	 * nearly always is; ISO-8859-1 maps every byte and cannot fail. */
	out = g_convert(bytes, len, "UTF-8", "WINDOWS-1252", NULL, NULL, NULL);
	if (out == NULL)
		out = g_convert(bytes, len, "UTF-8", "ISO-8859-1", NULL, NULL, NULL);
	if (out == NULL)
		out = g_utf8_make_valid(bytes, len);
	return out;
}

static gboolean
valid_id(const char *id, gsize len)
{
	return len > 0 && len <= 900 && memchr(id, '@', len) != NULL &&
	       g_utf8_validate_len(id, len, NULL);
}

/* Message-IDs in a References or In-Reply-To value.  Every <...> group
 * that holds a valid id counts: GMime's own parser stops at the first id
 * without an '@', which would lose the parent named after it.  Only when
 * there are no brackets at all does GMime's more lenient reading apply. */
static GPtrArray *
parse_ids(const char *value)
{
	GPtrArray *ids = g_ptr_array_new_with_free_func(g_free);
	GMimeReferences *refs;
	gboolean brackets = FALSE;

	if (value == NULL)
		return ids;
	for (const char *p = value; (p = strchr(p, '<')) != NULL;) {
		const char *start = p + 1, *end = start;

		brackets = TRUE;
		while (*end && *end != '>' && *end != '<' && !g_ascii_isspace(*end))
			end++;
		if (*end == '>' && valid_id(start, (gsize)(end - start)))
			g_ptr_array_add(ids, g_strndup(start, (gsize)(end - start)));
		p = *end == '<' ? end : (*end ? end + 1 : end);
	}
	if (brackets)
		return ids;
	refs = g_mime_references_parse(NULL, value);
	for (int i = 0; refs && i < g_mime_references_length(refs); i++) {
		const char *id = g_mime_references_get_message_id(refs, i);

		if (id && valid_id(id, strlen(id)) && strpbrk(id, " \t\r\n<>") == NULL)
			g_ptr_array_add(ids, g_strdup(id));
	}
	if (refs)
		g_mime_references_free(refs);
	return ids;
}

/* The one id of a clean In-Reply-To (an id and nothing else), or NULL.
 * Old clients add comments ("<id> (Ann's message of ...)", "Your message
 * of ... <id>") that may hold more <...> groups; such a value is dodgy. */
static char *
clean_irt(const char *value, GPtrArray *ids)
{
	const char *lt, *gt;

	if (value == NULL || ids->len != 1)
		return NULL;
	lt = strchr(value, '<');
	gt = lt ? strchr(lt, '>') : NULL;
	if (gt == NULL || value[strspn(value, " \t\r\n")] != '<' ||
	    gt[1 + strspn(gt + 1, " \t\r\n")] != '\0')
		return NULL;
	return ids->pdata[0];
}

/* The chain from the root towards the parent: the References ids, with a
 * clean In-Reply-To moved (or added) at the end.  rd_thread_assign_parents
 * then takes In-Reply-To when it names a present message, and the nearest
 * present References id when it does not, so References out of order do
 * not win over the message actually answered, and an In-Reply-To naming a
 * message nobody has seen does not win over References.  A dodgy
 * In-Reply-To (several ids, comments) is used only when there are no
 * References.  The message's own id and earlier duplicates are dropped,
 * which breaks the simplest reference loops. */
char **
rd_message_ref_chain(const char *references, const char *in_reply_to, const char *self_id)
{
	g_autoptr(GPtrArray) refs = parse_ids(references);
	g_autoptr(GPtrArray) irt = parse_ids(in_reply_to);
	g_autoptr(GPtrArray) chain = g_ptr_array_new_with_free_func(g_free);
	g_autoptr(GHashTable) seen = g_hash_table_new(g_str_hash, g_str_equal);
	const char *clean = clean_irt(in_reply_to, irt);
	guint n;

	if (refs->len == 0 && irt->len > 0)
		g_ptr_array_add(refs, g_strdup(irt->pdata[irt->len - 1]));
	else if (clean != NULL)
		g_ptr_array_add(refs, g_strdup(clean));
	n = refs->len;
	/* Walk backwards so the last occurrence of a duplicate is kept; the
	 * chain is built newest first and turned round once (inserting at the
	 * front would be quadratic in a hostile header). */
	for (guint i = n; i-- > 0;) {
		const char *id = refs->pdata[i];

		if ((self_id && strcmp(id, self_id) == 0) || g_hash_table_contains(seen, id))
			continue;
		g_hash_table_add(seen, (gpointer)id);
		g_ptr_array_add(chain, g_strdup(id));
	}
	for (guint i = 0; i < chain->len / 2; i++) {
		gpointer t = chain->pdata[i];

		chain->pdata[i] = chain->pdata[chain->len - 1 - i];
		chain->pdata[chain->len - 1 - i] = t;
	}
	g_ptr_array_add(chain, NULL);
	return rd_message_refs_cap((char **)g_ptr_array_free(g_steal_pointer(&chain), FALSE));
}

/* Threading needs only the root (the first id) and the nearest ancestors
 * (the last ones): the middle of a long chain adds nothing a mail client or
 * rd_thread_link() uses, but every id costs work on each later reply that
 * inherits the chain, and a hostile header may carry tens of thousands.
 * News and mail software cut References the same way: Usenet's article
 * format (USEFOR, after son-of-RFC 1036) removes ids from the second on,
 * never the first, down to 21.  Rounds keeps the first and the last 100,
 * more than any real conversation is deep. */
char **
rd_message_refs_cap(char **refs)
{
	guint len = refs ? g_strv_length(refs) : 0;

	if (len <= RD_MESSAGE_REFS_MAX)
		return refs;
	for (guint i = 1; i < len - (RD_MESSAGE_REFS_MAX - 1); i++)
		g_free(refs[i]);
	memmove(refs + 1, refs + len - (RD_MESSAGE_REFS_MAX - 1),
		(RD_MESSAGE_REFS_MAX - 1) * sizeof *refs);
	refs[RD_MESSAGE_REFS_MAX] = NULL;
	return refs;
}

/* Decode an RFC 2047 header value one encoded word at a time.  GMime 3.2
 * joins adjacent words of one charset before decoding them, and loses the
 * text when a middle word ends in base64 padding; each word on its own is
 * always right.  Text outside encoded words may be raw 8-bit. */
char *
rd_message_decode_header(const char *raw)
{
	GString *out = g_string_new(NULL);
	const char *p = raw;
	gboolean last_was_word = FALSE;

	if (raw == NULL)
		return g_string_free(out, FALSE);
	while (*p) {
		const char *w = strstr(p, "=?");
		const char *q1 = NULL, *q2 = NULL, *end = NULL;

		if (w != NULL && (q1 = strchr(w + 2, '?')) != NULL && (q2 = strchr(q1 + 1, '?')) != NULL &&
		    q2 == q1 + 2)
			end = strstr(q2 + 1, "?=");
		if (w == NULL || end == NULL) {
			g_autofree char *rest = rd_message_to_utf8(p, strlen(p), NULL);

			g_string_append(out, rest);
			break;
		}
		/* Linear white space between two encoded words is dropped. */
		gboolean only_space = TRUE;
		for (const char *k = p; k < w; k++)
			if (!g_ascii_isspace(*k))
				only_space = FALSE;
		if (!(only_space && last_was_word)) {
			g_autofree char *text = rd_message_to_utf8(p, (gsize)(w - p), NULL);

			g_string_append(out, text);
		}
		g_autofree char *word = g_strndup(w, (gsize)(end + 2 - w));
		g_autofree char *dec = g_mime_utils_header_decode_text(NULL, word);
		g_string_append(out, dec ? dec : word);
		last_was_word = TRUE;
		p = end + 2;
	}
	g_strdelimit(out->str, "\r\n\t", ' ');
	return g_strstrip(g_string_free(out, FALSE));
}

static GBytes *
part_decoded(GMimePart *part)
{
	GMimeDataWrapper *content = g_mime_part_get_content(part);
	g_autoptr(GMimeStream) mem = NULL;
	GByteArray *buf;

	if (content == NULL)
		return g_bytes_new(NULL, 0);
	mem = g_mime_stream_mem_new();
	g_mime_data_wrapper_write_to_stream(content, mem);
	buf = g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(mem));
	return g_bytes_new(buf->data, buf->len);
}

static char *
part_text(GMimePart *part)
{
	g_autoptr(GBytes) raw = part_decoded(part);
	const char *cs = g_mime_object_get_content_type_parameter(GMIME_OBJECT(part), "charset");
	gsize len;
	const char *p = g_bytes_get_data(raw, &len);

	return rd_message_to_utf8(p ? p : "", len, cs);
}

typedef struct {
	GString *plain;
	GString *html;
	GPtrArray *attachments;
	GPtrArray *data; /* GBytes of each attachment, when asked for */
} walk_state;

static void
add_attachment(walk_state *w, GMimeObject *obj, const char *filename, gint64 size)
{
	rd_attachment *a = g_new0(rd_attachment, 1);
	GMimeContentType *ct = g_mime_object_get_content_type(obj);
	/* A new string (GMime 3), lower-cased into our own copy. */
	g_autofree char *type = g_mime_content_type_get_mime_type(ct);

	a->filename = filename ? g_utf8_make_valid(filename, -1) : NULL;
	a->content_type = g_ascii_strdown(type, -1);
	a->size = size;
	a->content_id = g_strdup(g_mime_object_get_content_id(obj));
	g_ptr_array_add(w->attachments, a);
}

static void
append_block(GString *s, const char *text)
{
	if (text == NULL || *text == '\0')
		return;
	if (s->len > 0)
		g_string_append(s, "\n\n");
	g_string_append(s, text);
}

static void walk(walk_state *w, GMimeObject *obj, int depth);

/* Whether leaf PART is text of the body (walk() reads it as such) rather
 * than an attachment. */
static gboolean
part_is_body_text(GMimePart *part)
{
	GMimeContentType *ct = g_mime_object_get_content_type(GMIME_OBJECT(part));
	const char *filename = g_mime_part_get_filename(part);

	return !g_mime_part_is_attachment(part) && (filename == NULL || *filename == '\0') &&
	       (g_mime_content_type_is_type(ct, "text", "plain") ||
		g_mime_content_type_is_type(ct, "text", "html"));
}

/* A detached signature belongs to the MIME structure, not to what was sent. */
static gboolean
part_is_signature(GMimeObject *obj)
{
	GMimeContentType *ct = g_mime_object_get_content_type(obj);

	return g_mime_content_type_is_type(ct, "application", "pgp-signature") ||
	       g_mime_content_type_is_type(ct, "application", "pkcs7-signature");
}

/* In multipart/alternative take the plain text when it has any, else the
 * richest part (the last), as RFC 2046 orders them. */
static void
walk_alternative(walk_state *w, GMimeMultipart *mp, int depth)
{
	int n = g_mime_multipart_get_count(mp);
	GMimeObject *plain = NULL, *other = NULL;

	for (int i = 0; i < n; i++) {
		GMimeObject *c = g_mime_multipart_get_part(mp, i);
		GMimeContentType *ct = g_mime_object_get_content_type(c);

		if (GMIME_IS_PART(c) && g_mime_content_type_is_type(ct, "text", "plain"))
			plain = c;
		else
			other = c;
	}
	if (plain != NULL) {
		g_autofree char *t = part_text(GMIME_PART(plain));

		if (*g_strstrip(t) != '\0') {
			append_block(w->plain, t);
			/* Keep the HTML too, for structure-aware quote removal. */
			if (other != NULL) {
				walk_state hw = {g_string_new(NULL), w->html, w->attachments,
						 w->data};
				walk(&hw, other, depth + 1);
				g_string_free(hw.plain, TRUE);
			}
			return;
		}
	}
	if (other != NULL)
		walk(w, other, depth + 1);
	else if (plain != NULL)
		walk(w, plain, depth + 1);
}

static void
walk(walk_state *w, GMimeObject *obj, int depth)
{
	GMimeContentType *ct = g_mime_object_get_content_type(obj);

	/* Bounded recursion: hostile mail can nest multiparts thousands deep. */
	if (depth > 64)
		return;
	if (GMIME_IS_MULTIPART(obj)) {
		GMimeMultipart *mp = GMIME_MULTIPART(obj);

		if (g_mime_multipart_get_count(mp) == 0) {
			/* The boundary never appears: the "prologue" is the body. */
			const char *pro = g_mime_multipart_get_prologue(mp);
			const char *cs = g_mime_object_get_content_type_parameter(obj, "charset");
			g_autofree char *t = pro ? rd_message_to_utf8(pro, strlen(pro), cs) : NULL;

			append_block(w->plain, t);
			return;
		}
		if (g_mime_content_type_is_type(ct, "multipart", "alternative")) {
			walk_alternative(w, mp, depth);
			return;
		}
		for (int i = 0; i < g_mime_multipart_get_count(mp); i++)
			walk(w, g_mime_multipart_get_part(mp, i), depth + 1);
		return;
	}
	if (GMIME_IS_MESSAGE_PART(obj)) {
		GMimeMessage *inner = g_mime_message_part_get_message(GMIME_MESSAGE_PART(obj));
		g_autofree char *text = inner ? g_mime_object_to_string(GMIME_OBJECT(inner), NULL)
					      : g_strdup("");
		const char *subj = inner ? g_mime_message_get_subject(inner) : NULL;
		g_autofree char *name = g_strdup_printf("%s.eml", subj && *subj ? subj : "message");

		add_attachment(w, obj, name, (gint64)strlen(text));
		if (w->data)
			g_ptr_array_add(w->data, g_bytes_new(text, strlen(text)));
		return;
	}
	if (!GMIME_IS_PART(obj))
		return;

	GMimePart *part = GMIME_PART(obj);

	if (part_is_body_text(part)) {
		g_autofree char *t = part_text(part);

		append_block(g_mime_content_type_is_type(ct, "text", "plain") ? w->plain : w->html,
			     t);
		return;
	}
	if (part_is_signature(obj))
		return;
	g_autoptr(GBytes) data = part_decoded(part);
	add_attachment(w, obj, g_mime_part_get_filename(part), (gint64)g_bytes_get_size(data));
	if (w->data)
		g_ptr_array_add(w->data, g_bytes_ref(data));
}

/* The root of a multipart/related: the part its "start" names, else the
 * first (RFC 2387). */
static GMimeObject *
related_root(GMimeMultipart *mp)
{
	const char *start =
	    g_mime_object_get_content_type_parameter(GMIME_OBJECT(mp), "start");

	for (int i = 0; start != NULL && i < g_mime_multipart_get_count(mp); i++) {
		GMimeObject *p = g_mime_multipart_get_part(mp, i);
		const char *cid = g_mime_object_get_content_id(p);

		if (cid != NULL && strstr(start, cid) != NULL)
			return p;
	}
	return g_mime_multipart_get_count(mp) > 0 ? g_mime_multipart_get_part(mp, 0) : NULL;
}

/* An attachment, or a part with a file name. */
static gboolean
sent_as_file(GMimePart *part)
{
	const char *name = g_mime_part_get_filename(part);

	return g_mime_part_is_attachment(part) || (name != NULL && *name != '\0');
}

static void
own_parts(GMimeObject *obj, GPtrArray *out, int depth)
{
	/* Bounded recursion, as in walk(). */
	if (obj == NULL || depth > 64)
		return;
	if (GMIME_IS_MULTIPART(obj)) {
		GMimeMultipart *mp = GMIME_MULTIPART(obj);
		gboolean related = g_mime_content_type_is_type(g_mime_object_get_content_type(obj),
							      "multipart", "related");
		GMimeObject *root = related ? related_root(mp) : NULL;

		for (int i = 0; i < g_mime_multipart_get_count(mp); i++) {
			GMimeObject *p = g_mime_multipart_get_part(mp, i);

			/* The other parts of a multipart/related are the HTML's
			 * resources, which go with the HTML, unless they have a
			 * file name: a phone puts the photo taken for the reply
			 * there (an Outlook signature logo stays too). */
			if (related && p != root && !(GMIME_IS_PART(p) && sent_as_file(GMIME_PART(p))))
				continue;
			own_parts(p, out, depth + 1);
		}
		return;
	}
	if (GMIME_IS_MESSAGE_PART(obj) ||
	    (GMIME_IS_PART(obj) && !part_is_body_text(GMIME_PART(obj)) && !part_is_signature(obj)))
		g_ptr_array_add(out, g_object_ref(obj));
}

GPtrArray *
rd_message_own_parts(const rd_message *m)
{
	GPtrArray *out = g_ptr_array_new_with_free_func(g_object_unref);

	own_parts(g_mime_message_get_mime_part(m->mime), out, 0);
	return out;
}

static char *
header_value(GMimeMessage *msg, const char *name)
{
	const char *v = g_mime_object_get_header(GMIME_OBJECT(msg), name);

	if (v == NULL)
		return NULL;
	return g_strstrip(g_utf8_make_valid(v, -1));
}

/* A Message-ID derived from what stays the same when the MTA delivers the
 * same message twice: the author's headers and the body, not Received. */
static char *
derive_message_id(GMimeMessage *msg, GBytes *data, const char *domain)
{
	static const char *const names[] = {"From", "To", "Cc", "Date", "Subject"};
	g_autoptr(GChecksum) sum = g_checksum_new(G_CHECKSUM_SHA256);
	gsize len;
	const char *p = g_bytes_get_data(data, &len);
	const char *body = NULL;

	for (gsize i = 0; i < G_N_ELEMENTS(names); i++) {
		const char *v = g_mime_object_get_header(GMIME_OBJECT(msg), names[i]);

		g_checksum_update(sum, (const guchar *)names[i], -1);
		if (v)
			g_checksum_update(sum, (const guchar *)v, -1);
	}
	for (gsize i = 0; p && i + 1 < len; i++) {
		if (p[i] == '\n' && (p[i + 1] == '\n' || (p[i + 1] == '\r' && i + 2 < len &&
							  p[i + 2] == '\n'))) {
			body = p + i + 1;
			break;
		}
	}
	if (body)
		g_checksum_update(sum, (const guchar *)body, (gssize)(len - (gsize)(body - p)));
	return g_strdup_printf("rounds-%.32s@%s", g_checksum_get_string(sum),
			       domain ? domain : "localhost");
}

/* The author is the first mailbox of From, and nobody else: Sender and
 * Reply-To name whoever the writer likes ("From: Carol Nurse" with
 * "Reply-To: carol@..." is not Carol), so mail without a From address has
 * no author and is held (post.c). */
static void
message_from(rd_message *m)
{
	InternetAddressList *list = g_mime_message_get_from(m->mime);

	for (int i = 0; list && i < internet_address_list_length(list); i++) {
		InternetAddress *ia = internet_address_list_get_address(list, i);

		if (INTERNET_ADDRESS_IS_GROUP(ia))
			ia = internet_address_list_length(internet_address_group_get_members(
				 INTERNET_ADDRESS_GROUP(ia))) > 0
				 ? internet_address_list_get_address(
				       internet_address_group_get_members(INTERNET_ADDRESS_GROUP(ia)),
				       0)
				 : NULL;
		if (ia == NULL || !INTERNET_ADDRESS_IS_MAILBOX(ia))
			continue;
		const char *addr = internet_address_mailbox_get_addr(INTERNET_ADDRESS_MAILBOX(ia));
		const char *name = internet_address_get_name(ia);

		if (addr == NULL || strchr(addr, '@') == NULL)
			continue;
		m->from_addr = g_utf8_make_valid(addr, -1);
		m->from_name = name && *name ? g_utf8_make_valid(name, -1) : NULL;
		return;
	}
}

/* ---- limits ----
 *
 * GMime builds the whole tree of a message before we see any of it, so the
 * limits are checked on the raw bytes first: the header block by its length
 * and its fields, the parts by the delimiter lines of the boundaries the
 * message declares (RFC 2046: each body part starts at "--BOUNDARY").  That
 * count is an upper bound of what GMime would build, within one line scan
 * and a set of at most RD_MESSAGE_MAX_PARTS boundaries.  A boundary that
 * escapes it (RFC 2231 continuations) is caught after parsing by
 * count_parts(), which costs what the parse did but keeps everything after
 * it bounded. */

static gboolean
too_many_parts(GError **error)
{
	g_set_error(error, RD_ERROR, RD_DATAERR,
	            "The message has more than %d MIME parts; this list accepts at most %d "
	            "parts (attachments) in one message.",
	            RD_MESSAGE_MAX_PARTS, RD_MESSAGE_MAX_PARTS);
	return FALSE;
}

/* The value of a boundary= parameter in LINE, or NULL. */
static char *
boundary_in_line(const char *line, gsize n)
{
	static const char key[] = "boundary";
	const gsize klen = sizeof key - 1;
	const char *end = line + n, *v, *stop;

	for (const char *p = line; p + klen < end; p++) {
		/* The first letter alone rules out almost every position. */
		if ((*p | 0x20) != 'b' || g_ascii_strncasecmp(p, key, klen) != 0)
			continue;
		v = p + klen;
		while (v < end && (*v == ' ' || *v == '\t'))
			v++;
		if (v >= end || *v != '=')
			continue;
		v++;
		while (v < end && (*v == ' ' || *v == '\t'))
			v++;
		if (v < end && *v == '"') {
			v++;
			stop = memchr(v, '"', (size_t)(end - v));
		} else {
			stop = v;
			while (stop < end && !strchr("; \t\r", *stop))
				stop++;
		}
		if (stop == NULL)
			stop = end;
		/* RFC 2046 allows 70 characters; more is not a boundary we
		 * need to recognise, and must not grow the set. */
		if (stop > v && stop - v <= 200)
			return g_strndup(v, (gsize)(stop - v));
	}
	return NULL;
}

gboolean
rd_message_check_limits(const char *data, gsize len, GError **error)
{
	g_autoptr(GHashTable) boundaries =
	    g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	const char *p = data, *end = data + len;
	gboolean in_header = TRUE;
	guint fields = 0, parts = 1;

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *eol = nl ? nl : end;
		gsize n = (gsize)(eol - p);
		char *b;

		if (n > 0 && p[n - 1] == '\r')
			n--;
		if (in_header) {
			if (n == 0) {
				in_header = FALSE;
			} else if (*p != ' ' && *p != '\t' &&
			           ++fields > RD_MESSAGE_MAX_HEADER_FIELDS) {
				g_set_error(error, RD_ERROR, RD_DATAERR,
				            "The message header has more than %d fields; this "
				            "list accepts at most %d.",
				            RD_MESSAGE_MAX_HEADER_FIELDS,
				            RD_MESSAGE_MAX_HEADER_FIELDS);
				return FALSE;
			}
			if ((gsize)(eol - data) > RD_MESSAGE_MAX_HEADER_BYTES) {
				g_set_error(error, RD_ERROR, RD_DATAERR,
				            "The message header is larger than %d MB; this list "
				            "accepts headers of at most %d MB.",
				            RD_MESSAGE_MAX_HEADER_BYTES / (1024 * 1024),
				            RD_MESSAGE_MAX_HEADER_BYTES / (1024 * 1024));
				return FALSE;
			}
		}
		if (n > 2 && p[0] == '-' && p[1] == '-' && g_hash_table_size(boundaries) > 0) {
			/* Transport padding may follow a delimiter. */
			gsize k = n;

			while (k > 2 && (p[k - 1] == ' ' || p[k - 1] == '\t'))
				k--;
			g_autofree char *rest = g_strndup(p + 2, k - 2);

			if (g_hash_table_contains(boundaries, rest) &&
			    ++parts > RD_MESSAGE_MAX_PARTS)
				return too_many_parts(error);
		} else if (n > 8 && (b = boundary_in_line(p, n)) != NULL) {
			/* Every multipart is a part itself. */
			g_hash_table_add(boundaries, b);
			if (g_hash_table_size(boundaries) > RD_MESSAGE_MAX_PARTS)
				return too_many_parts(error);
		}
		p = nl ? nl + 1 : end;
	}
	return TRUE;
}

/* The MIME objects under OBJ, counting stopped past LIMIT. */
static guint
count_parts(GMimeObject *obj, guint limit, int depth)
{
	guint n = 1;

	if (depth > 64)
		return n;
	if (GMIME_IS_MULTIPART(obj)) {
		GMimeMultipart *mp = GMIME_MULTIPART(obj);

		for (int i = 0; i < g_mime_multipart_get_count(mp) && n <= limit; i++)
			n += count_parts(g_mime_multipart_get_part(mp, i), limit - n, depth + 1);
	} else if (GMIME_IS_MESSAGE_PART(obj)) {
		GMimeMessage *inner = g_mime_message_part_get_message(GMIME_MESSAGE_PART(obj));
		GMimeObject *body = inner ? g_mime_message_get_mime_part(inner) : NULL;

		if (body != NULL && n <= limit)
			n += count_parts(body, limit - n, depth + 1);
	}
	return n;
}

rd_message *
rd_message_parse(GBytes *data, const char *domain, GError **error)
{
	return rd_message_parse_full(data, domain, FALSE, error);
}

rd_message *
rd_message_parse_full(GBytes *data, const char *domain, gboolean with_data, GError **error)
{
	g_autoptr(rd_message) m = g_new0(rd_message, 1);
	g_autoptr(GMimeParserOptions) opts = g_mime_parser_options_new();
	static const char *fallback[] = {"utf-8", "windows-1252", NULL};
	g_autoptr(GMimeStream) stream = NULL;
	g_autoptr(GMimeParser) parser = NULL;
	gsize len;
	const char *p = g_bytes_get_data(data, &len);
	walk_state w;

	if (p == NULL || len == 0) {
		g_set_error(error, RD_ERROR, RD_DATAERR, "the message is empty");
		return NULL;
	}
	if (!rd_message_check_limits(p, len, error))
		return NULL;
	g_mime_parser_options_set_fallback_charsets(opts, fallback);
	g_mime_parser_options_set_rfc2047_compliance_mode(opts, GMIME_RFC_COMPLIANCE_LOOSE);
	g_mime_parser_options_set_address_compliance_mode(opts, GMIME_RFC_COMPLIANCE_LOOSE);
	g_mime_parser_options_set_parameter_compliance_mode(opts, GMIME_RFC_COMPLIANCE_LOOSE);
	stream = g_mime_stream_mem_new_with_buffer(p, len);
	parser = g_mime_parser_new_with_stream(stream);
	g_mime_parser_set_format(parser, GMIME_FORMAT_MESSAGE);
	m->mime = g_mime_parser_construct_message(parser, opts);
	if (m->mime == NULL) {
		g_set_error(error, RD_ERROR, RD_DATAERR, "the message cannot be parsed as MIME");
		return NULL;
	}
	GMimeObject *top = GMIME_OBJECT(m->mime);
	GMimeObject *body = g_mime_message_get_mime_part(m->mime);
	if (body != NULL && count_parts(body, RD_MESSAGE_MAX_PARTS, 0) > RD_MESSAGE_MAX_PARTS) {
		too_many_parts(error);
		return NULL;
	}
	if (g_mime_object_get_header(top, "From") == NULL &&
	    g_mime_object_get_header(top, "Subject") == NULL &&
	    g_mime_object_get_header(top, "Message-ID") == NULL &&
	    g_mime_object_get_header(top, "Date") == NULL) {
		g_set_error(error, RD_ERROR, RD_DATAERR,
			    "the message has no From, Subject, Date or Message-ID header");
		return NULL;
	}

	const char *mid = g_mime_message_get_message_id(m->mime);
	if (mid != NULL && *mid != '\0' && strlen(mid) <= 900 && strpbrk(mid, " \t\r\n<>") == NULL &&
	    g_utf8_validate(mid, -1, NULL)) {
		m->message_id = g_strdup(mid);
	} else {
		m->message_id = derive_message_id(m->mime, data, domain);
		m->id_derived = TRUE;
	}
	message_from(m);

	GMimeHeader *sh = g_mime_header_list_get_header(g_mime_object_get_header_list(top), "Subject");
	const char *subj_raw = sh ? g_mime_header_get_raw_value(sh) : NULL;
	g_autofree char *subj = rd_message_decode_header(subj_raw);
	m->subject = g_utf8_make_valid(subj, -1);
	g_strdelimit(m->subject, "\r\n\t", ' ');
	g_strstrip(m->subject);

	GDateTime *date = g_mime_message_get_date(m->mime);
	if (date != NULL && g_date_time_get_year(date) >= 1970 && g_date_time_get_year(date) < 9000) {
		m->date = g_date_time_ref(date);
	} else {
		m->date = g_date_time_new_now_local();
		m->date_missing = TRUE;
	}

	m->refs = rd_message_ref_chain(g_mime_object_get_header(top, "References"),
				       g_mime_object_get_header(top, "In-Reply-To"), m->message_id);

	w.plain = g_string_new(NULL);
	w.html = g_string_new(NULL);
	w.attachments = m->attachments =
	    g_ptr_array_new_with_free_func((GDestroyNotify)rd_attachment_free);
	w.data = m->attachment_data =
	    with_data ? g_ptr_array_new_with_free_func((GDestroyNotify)g_bytes_unref) : NULL;
	walk(&w, g_mime_message_get_mime_part(m->mime), 0);
	if (w.html->len > 0)
		m->body_html = g_strdup(w.html->str);
	if (w.plain->len > 0)
		m->body = g_string_free(w.plain, FALSE);
	else {
		g_string_free(w.plain, TRUE);
		m->body = w.html->len > 0 ? rd_html_to_text(w.html->str, (gssize)w.html->len)
					  : g_strdup("");
	}
	g_string_free(w.html, TRUE);

	m->auto_submitted = header_value(m->mime, "Auto-Submitted");
	m->precedence = header_value(m->mime, "Precedence");
	m->x_loop = header_value(m->mime, "X-Loop");
	m->list_id = header_value(m->mime, "List-Id");
	return g_steal_pointer(&m);
}

void
rd_message_free(rd_message *m)
{
	if (m == NULL)
		return;
	g_clear_object(&m->mime);
	g_free(m->message_id);
	g_free(m->from_addr);
	g_free(m->from_name);
	g_free(m->subject);
	if (m->date)
		g_date_time_unref(m->date);
	g_strfreev(m->refs);
	g_free(m->body);
	g_free(m->body_html);
	if (m->attachments)
		g_ptr_array_unref(m->attachments);
	if (m->attachment_data)
		g_ptr_array_unref(m->attachment_data);
	g_free(m->auto_submitted);
	g_free(m->precedence);
	g_free(m->x_loop);
	g_free(m->list_id);
	g_free(m);
}

gboolean
rd_message_is_automatic(const rd_message *m, guint kinds)
{
	const char *p = m->precedence;

	if ((kinds & RD_AUTO_SUBMITTED) && m->auto_submitted != NULL &&
	    g_ascii_strncasecmp(m->auto_submitted, "no", 2) != 0)
		return TRUE;
	if ((kinds & RD_AUTO_BULK) && p != NULL &&
	    (g_ascii_strcasecmp(p, "bulk") == 0 || g_ascii_strcasecmp(p, "junk") == 0))
		return TRUE;
	if ((kinds & RD_AUTO_LIST) && p != NULL && g_ascii_strcasecmp(p, "list") == 0)
		return TRUE;
	return (kinds & RD_AUTO_REPLY) && m->mime != NULL && rd_bounce_is_auto_reply(m->mime);
}

/* Whether the content of a part, as it stands in the message, has a byte
 * >= 0x80 (an unlabelled 8-bit part is as 8-bit as a labelled one). */
static gboolean
content_is_8bit(GMimeDataWrapper *content)
{
	GMimeStream *s = content ? g_mime_data_wrapper_get_stream(content) : NULL;
	char buf[4096];
	gssize n;
	gboolean found = FALSE;

	if (s == NULL)
		return FALSE;
	g_mime_stream_reset(s);
	while (!found && (n = g_mime_stream_read(s, buf, sizeof buf)) > 0)
		found = !bytes_are_ascii(buf, (gsize)n);
	g_mime_stream_reset(s);
	return found;
}

/* Re-encode one leaf that is 8bit, binary or holds 8-bit bytes: text as
 * quoted-printable, anything else as base64.  Its decoded content is what a
 * reader would have decoded from the 8bit form after SMTP, whose lines end
 * in CRLF: text lines become hard QP line breaks (LF here, CRLF on the
 * wire), other content keeps CRLF inside the base64. */
static gboolean
downgrade_part(GMimePart *part)
{
	GMimeDataWrapper *content = g_mime_part_get_content(part);
	GMimeContentEncoding enc = g_mime_part_get_content_encoding(part);
	gboolean text = g_mime_content_type_is_type(
	    g_mime_object_get_content_type(GMIME_OBJECT(part)), "text", "*");
	g_autoptr(GMimeStream) mem = NULL;
	g_autoptr(GMimeStream) filtered = NULL;
	g_autoptr(GMimeFilter) eol = NULL;
	g_autoptr(GMimeDataWrapper) wrapper = NULL;

	if (content == NULL || (enc != GMIME_CONTENT_ENCODING_8BIT &&
	                        enc != GMIME_CONTENT_ENCODING_BINARY && !content_is_8bit(content)))
		return FALSE;
	mem = g_mime_stream_mem_new();
	filtered = g_mime_stream_filter_new(mem);
	eol = text ? g_mime_filter_dos2unix_new(FALSE) : g_mime_filter_unix2dos_new(FALSE);
	g_mime_stream_filter_add(GMIME_STREAM_FILTER(filtered), eol);
	g_mime_data_wrapper_write_to_stream(content, filtered);
	g_mime_stream_flush(filtered);
	g_mime_stream_reset(mem);
	wrapper = g_mime_data_wrapper_new_with_stream(mem, GMIME_CONTENT_ENCODING_DEFAULT);
	g_mime_part_set_content(part, wrapper);
	/* Unlabelled 8-bit text read as UTF-8 when it is (as parsing does);
	 * once encoded, a reader would take it for US-ASCII. */
	if (text &&
	    g_mime_object_get_content_type_parameter(GMIME_OBJECT(part), "charset") == NULL) {
		GByteArray *b = g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(mem));

		if (g_utf8_validate_len((const char *)b->data, b->len, NULL))
			g_mime_object_set_content_type_parameter(GMIME_OBJECT(part), "charset",
			                                         "utf-8");
	}
	g_mime_part_set_content_encoding(part, text ? GMIME_CONTENT_ENCODING_QUOTEDPRINTABLE
	                                            : GMIME_CONTENT_ENCODING_BASE64);
	return TRUE;
}

/* Raw 8-bit header values are set again as UTF-8 text: GMime writes them
 * back as RFC 2047 encoded words (address headers keep their addresses). */
static gboolean
downgrade_headers(GMimeObject *obj)
{
	GMimeHeaderList *list = g_mime_object_get_header_list(obj);
	gboolean changed = FALSE;

	for (int i = 0; i < g_mime_header_list_get_count(list); i++) {
		GMimeHeader *h = g_mime_header_list_get_header_at(list, i);
		const char *raw = g_mime_header_get_raw_value(h);
		g_autofree char *value = NULL;

		if (raw == NULL || bytes_are_ascii(raw, strlen(raw)))
			continue;
		value = rd_message_decode_header(raw);
		g_mime_header_set_value(h, NULL, value, "utf-8");
		changed = TRUE;
	}
	return changed;
}

/* A container (multipart, message/rfc822) labelled 8bit or binary whose
 * parts are now 7-bit is labelled 7bit. */
static void
label_7bit(GMimeObject *obj)
{
	const char *cte = g_mime_object_get_header(obj, "Content-Transfer-Encoding");

	if (cte != NULL &&
	    g_mime_content_encoding_from_string(cte) != GMIME_CONTENT_ENCODING_7BIT &&
	    g_mime_content_encoding_from_string(cte) != GMIME_CONTENT_ENCODING_DEFAULT)
		g_mime_object_set_header(obj, "Content-Transfer-Encoding", "7bit", NULL);
}

static gboolean
downgrade(GMimeObject *obj, int depth)
{
	gboolean changed;

	/* Bounded recursion, as in walk(). */
	if (obj == NULL || depth > 64)
		return FALSE;
	changed = downgrade_headers(obj);
	if (GMIME_IS_MESSAGE(obj)) {
		changed |= downgrade(g_mime_message_get_mime_part(GMIME_MESSAGE(obj)), depth + 1);
	} else if (GMIME_IS_MULTIPART(obj)) {
		GMimeMultipart *mp = GMIME_MULTIPART(obj);

		for (int i = 0; i < g_mime_multipart_get_count(mp); i++)
			changed |= downgrade(g_mime_multipart_get_part(mp, i), depth + 1);
		label_7bit(obj);
	} else if (GMIME_IS_MESSAGE_PART(obj)) {
		GMimeMessage *inner = g_mime_message_part_get_message(GMIME_MESSAGE_PART(obj));

		changed |= downgrade(GMIME_OBJECT(inner), depth + 1);
		label_7bit(obj);
	} else if (GMIME_IS_PART(obj)) {
		changed |= downgrade_part(GMIME_PART(obj));
	}
	return changed;
}

GBytes *
rd_message_to_7bit(GBytes *data, GError **error)
{
	g_autoptr(GMimeStream) stream = NULL;
	g_autoptr(GMimeParser) parser = NULL;
	g_autoptr(GMimeMessage) msg = NULL;
	g_autoptr(GMimeStream) out = NULL;
	GByteArray *bytes;
	gsize len;
	const char *p = g_bytes_get_data(data, &len);

	if (p == NULL || len == 0) {
		g_set_error(error, RD_ERROR, RD_DATAERR, "the message is empty");
		return NULL;
	}
	stream = g_mime_stream_mem_new_with_buffer(p, len);
	parser = g_mime_parser_new_with_stream(stream);
	g_mime_parser_set_format(parser, GMIME_FORMAT_MESSAGE);
	msg = g_mime_parser_construct_message(parser, NULL);
	if (msg == NULL) {
		g_set_error(error, RD_ERROR, RD_DATAERR, "the message cannot be parsed as MIME");
		return NULL;
	}
	/* Untouched, the message stays byte for byte as it came. */
	if (!downgrade(GMIME_OBJECT(msg), 0))
		return g_bytes_ref(data);
	/* Mail without MIME headers now has a Content-Transfer-Encoding,
	 * which means something only with MIME-Version. */
	if (g_mime_object_get_header(GMIME_OBJECT(msg), "MIME-Version") == NULL)
		g_mime_object_set_header(GMIME_OBJECT(msg), "MIME-Version", "1.0", NULL);
	out = g_mime_stream_mem_new();
	if (g_mime_object_write_to_stream(GMIME_OBJECT(msg), NULL, out) < 0) {
		g_set_error(error, RD_ERROR, RD_SOFTWARE, "the 7-bit form cannot be written");
		return NULL;
	}
	bytes = g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(out));
	g_mime_stream_mem_set_owner(GMIME_STREAM_MEM(out), FALSE);
	return g_byte_array_free_to_bytes(bytes);
}
