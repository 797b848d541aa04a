/* scrub.c - tokens of this installation taken out of what people post.
 *
 * DESCRIPTION
 *	Every post is stored through post.c, and list copies, digests,
 *	held notices, forwards to owners and `get` are all made from what is
 *	stored; so a token taken out here reaches nobody.  No secret is
 *	needed: the shapes are Rounds' own, at the domains of its communities
 *	(any letter case, as local parts may be case-folded):
 *
 *	- an address NAME+r-TOKEN@DOMAIN, and +c-, +b-, +d- (also with '-'
 *	  or a percent-encoded '+' as the delimiter);
 *	- a digest's Message-ID, digest-N.TOKEN@DOMAIN;
 *	- a mailto: link to any address at DOMAIN whose query carries a token
 *	  (the digest's mute, get, pause, weekly and unsubscribe links);
 *	- a link of rounds web, URL/u/TOKEN or URL/c/TOKEN, when DOMAINS also
 *	  holds the [web] url (an entry with "://"; http or https);
 *
 *	where TOKEN is a run of at least SCRUB_MIN_TOKEN base32 letters.  The
 *	whole address or link, with "mailto:" and its query, becomes
 *	RD_SCRUB_MARK; the rest of the text stays as it was.
 *
 *	Photos (photo.h) lose their EXIF, XMP and IPTC here too, for the same
 *	reason: what is stored is all that ever leaves.  A photo that cannot
 *	be cleaned, and a DICOM object, make the post held (RD_SCRUB_HOLD_*).
 *
 * BUGS
 *	A token typed bare into a sentence ("mute abcd...") is not found:
 *	telling it from a long word needs the HMAC.  Attachments other than
 *	text, photos and attached messages are passed on as they are.
 */
#include <string.h>

#include "photo.h"
#include "scrub.h"

/* The shortest token: two ids and an 80-bit MAC are at least 20 letters. */
#define SCRUB_MIN_TOKEN 16
/* Longer than any local part (RFC 5321: 64 octets) with a "mailto:". */
#define SCRUB_MAX_LOCAL 128
#define SCRUB_MAX_DEPTH 64

static gboolean
is_b32(char ch)
{
	ch = g_ascii_tolower(ch);
	return (ch >= 'a' && ch <= 'z') || (ch >= '2' && ch <= '7');
}

static gboolean
is_local_char(char ch)
{
	return g_ascii_isalnum(ch) || (ch != '\0' && strchr(".!#$%&'*+/=^_`{|}~-", ch) != NULL);
}

/* Whether [P, END) ends in a run of at least SCRUB_MIN_TOKEN base32
 * letters; *START is where that run begins. */
static gboolean
ends_in_token(const char *p, const char *end, const char **start)
{
	const char *q = end;

	while (q > p && is_b32(q[-1]))
		q--;
	*start = q;
	return end - q >= SCRUB_MIN_TOKEN;
}

/* Whether the local part [P, END) is a token address or a digest's id:
 * the token is the run of base32 letters at its end, and what stands
 * before the run says which. */
static gboolean
local_is_token(const char *p, const char *end)
{
	const char *t, *q;

	if (!ends_in_token(p, end, &t) || t - p < 3)
		return FALSE;
	/* NAME+r-TOKEN, NAME-r-TOKEN, NAME%2Br-TOKEN */
	if (t[-1] == '-' && strchr("rcbdRCBD", t[-2]) != NULL &&
	    (t[-3] == '+' || t[-3] == '-' ||
	     (t - p >= 5 && g_ascii_strncasecmp(t - 5, "%2b", 3) == 0)))
		return TRUE;
	/* digest-N.TOKEN */
	if (t[-1] != '.')
		return FALSE;
	for (q = t - 1; q > p && g_ascii_isdigit(q[-1]); q--)
		;
	return q < t - 1 && q - p == 7 && g_ascii_strncasecmp(p, "digest-", 7) == 0;
}

/* The end of DOMAIN at P when one of DOMAINS starts there as a whole
 * domain (a sentence's full stop may follow), else NULL. */
static const char *
domain_at(const char *p, const char *const *domains)
{
	for (guint i = 0; domains && domains[i]; i++) {
		gsize n = strlen(domains[i]);
		const char *e = p + n;

		if (n == 0 || g_ascii_strncasecmp(p, domains[i], n) != 0)
			continue;
		if (g_ascii_isalnum(*e) || *e == '-' || (*e == '.' && g_ascii_isalnum(e[1])))
			continue;
		return e;
	}
	return NULL;
}

/* The end of a URL's query at P ("?subject=..."), or P when there is none. */
static const char *
query_end(const char *p)
{
	const char *q = p;

	if (*p != '?')
		return p;
	while ((unsigned char)*q > ' ' && strchr("\"'<>", *q) == NULL)
		q++;
	while (q > p + 1 && strchr(".,;:)]", q[-1]) != NULL)
		q--;
	return q;
}

static gboolean
has_token_run(const char *p, const char *end)
{
	gsize run = 0;

	for (; p < end; p++) {
		run = is_b32(*p) ? run + 1 : 0;
		if (run >= SCRUB_MIN_TOKEN)
			return TRUE;
	}
	return FALSE;
}

/* TEXT with every link of rounds web, BASE/u/TOKEN or BASE/c/TOKEN for a
 * BASE among DOMAINS that has "://" (the [web] url), replaced by
 * RD_SCRUB_MARK (with http or https, any letter case); NULL when none. */
static char *
scrub_links(const char *text, const char *const *domains)
{
	GString *out = NULL;
	const char *done = text;

	for (guint i = 0; domains && domains[i]; i++) {
		const char *base = strstr(domains[i], "://");
		gsize n;

		if (base == NULL || (n = strlen(base)) <= 3)
			continue;
		for (const char *p = done; (p = strchr(p, ':')) != NULL; p++) {
			const char *start = p, *q = p + n, *t;

			if (g_ascii_strncasecmp(p, base, n) != 0 || q[0] != '/' ||
			    strchr("ucUC", q[1]) == NULL || q[2] != '/')
				continue;
			for (t = q + 3; is_b32(*t); t++)
				;
			if (t - (q + 3) < SCRUB_MIN_TOKEN)
				continue;
			while (start > done && g_ascii_isalpha(start[-1]))
				start--;
			if (out == NULL)
				out = g_string_new(NULL);
			g_string_append_len(out, done, start - done);
			g_string_append(out, RD_SCRUB_MARK);
			done = t;
			p = t - 1;
		}
	}
	if (out == NULL)
		return NULL;
	g_string_append(out, done);
	return g_string_free(out, FALSE);
}

static char *scrub_addresses_in(const char *text, const char *const *domains);

char *
rd_scrub_text(const char *text, const char *const *domains)
{
	char *first, *second;

	if (text == NULL)
		return NULL;
	first = scrub_addresses_in(text, domains);
	second = scrub_links(first ? first : text, domains);

	if (second == NULL)
		return first;
	g_free(first);
	return second;
}

static char *
scrub_addresses_in(const char *text, const char *const *domains)
{
	GString *out = NULL;
	const char *done = text, *at;

	if (text == NULL)
		return NULL;
	for (at = strchr(text, '@'); at != NULL; at = strchr(at + 1, '@')) {
		const char *local = at, *dend, *qend, *start, *end;
		gboolean mailto;

		if (at <= done || (dend = domain_at(at + 1, domains)) == NULL)
			continue;
		while (local > done && at - local < SCRUB_MAX_LOCAL && is_local_char(local[-1]))
			local--;
		mailto = local - done >= 7 && g_ascii_strncasecmp(local - 7, "mailto:", 7) == 0;
		qend = mailto ? query_end(dend) : dend;
		if (!local_is_token(local, at) && !(mailto && has_token_run(dend, qend)))
			continue;
		start = mailto ? local - 7 : local;
		end = qend;
		if (out == NULL)
			out = g_string_new(NULL);
		g_string_append_len(out, done, start - done);
		g_string_append(out, RD_SCRUB_MARK);
		done = end;
		at = end - 1;
	}
	if (out == NULL)
		return NULL;
	g_string_append(out, done);
	return g_string_free(out, FALSE);
}

/* Replace *TEXT by its scrubbed form; TRUE when it changed. */
static gboolean
scrub_string(char **text, const char *const *domains)
{
	char *clean = rd_scrub_text(*text, domains);

	if (clean == NULL)
		return FALSE;
	g_free(*text);
	*text = clean;
	return TRUE;
}

/* Drop the mailboxes with a token from the address list of TYPE (header
 * NAME). */
static gboolean
scrub_addresses(GMimeMessage *msg, GMimeAddressType type, const char *name,
                const char *const *domains)
{
	InternetAddressList *list = g_mime_message_get_addresses(msg, type);
	gboolean changed = FALSE;

	for (int i = list ? internet_address_list_length(list) : 0; i-- > 0;) {
		InternetAddress *ia = internet_address_list_get_address(list, i);
		g_autofree char *text = internet_address_to_string(ia, NULL, FALSE);
		g_autofree char *clean = rd_scrub_text(text, domains);

		if (clean == NULL)
			continue;
		internet_address_list_remove_at(list, i);
		changed = TRUE;
	}
	/* An empty To: is no header at all (RFC 5322 allows mail without). */
	if (changed && internet_address_list_length(list) == 0)
		g_mime_object_remove_header(GMIME_OBJECT(msg), name);
	return changed;
}

/* References or In-Reply-To without the ids that carry a token. */
static gboolean
scrub_ids(GMimeMessage *msg, const char *name, const char *const *domains)
{
	const char *value = g_mime_object_get_header(GMIME_OBJECT(msg), name);
	g_autofree char *clean = value ? rd_scrub_text(value, domains) : NULL;
	g_auto(GStrv) words = NULL;
	GString *kept;

	if (clean == NULL)
		return FALSE;
	/* Whatever held the mark was an id in angle brackets. */
	words = g_strsplit_set(value, " \t\r\n", -1);
	kept = g_string_new(NULL);
	for (guint i = 0; words[i]; i++) {
		g_autofree char *w = rd_scrub_text(words[i], domains);

		if (*words[i] == '\0' || w != NULL)
			continue;
		g_string_append_printf(kept, "%s%s", kept->len ? " " : "", words[i]);
	}
	if (kept->len > 0)
		g_mime_object_set_header(GMIME_OBJECT(msg), name, kept->str, NULL);
	else
		g_mime_object_remove_header(GMIME_OBJECT(msg), name);
	g_string_free(kept, TRUE);
	return TRUE;
}

/* What one walk over a message carries down its parts. */
typedef struct {
	const char *const *domains;
	const char *hold; /* RD_SCRUB_HOLD_*, or NULL */
} scrub_walk;

static gboolean scrub_mime_message(GMimeMessage *msg, scrub_walk *w, int depth);

/* PART's decoded content. */
static GBytes *
part_bytes(GMimePart *part)
{
	GMimeDataWrapper *content = g_mime_part_get_content(part);
	g_autoptr(GMimeStream) mem = NULL;
	GByteArray *arr;

	if (content == NULL)
		return NULL;
	mem = g_mime_stream_mem_new();
	if (g_mime_data_wrapper_write_to_stream(content, mem) < 0)
		return NULL;
	arr = g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(mem));
	return g_bytes_new(arr->data, arr->len);
}

/* A photo's metadata out, or a hold when it cannot be; a DICOM object is
 * held as it is.  TRUE when PART changed. */
static gboolean
scrub_photo(GMimePart *part, scrub_walk *w)
{
	GMimeContentType *ct = g_mime_object_get_content_type(GMIME_OBJECT(part));
	g_autofree char *type = ct ? g_mime_content_type_get_mime_type(ct) : NULL;
	const char *name = g_mime_part_get_filename(part);
	g_autoptr(GBytes) raw = NULL;
	g_autoptr(GBytes) clean = NULL;
	g_autoptr(GMimeStream) stream = NULL;
	g_autoptr(GMimeDataWrapper) wrapper = NULL;

	if (rd_photo_is_dicom(type, name)) {
		w->hold = RD_SCRUB_HOLD_DICOM;
		return FALSE;
	}
	if (!rd_photo_is_photo(type, name))
		return FALSE;
	if ((raw = part_bytes(part)) == NULL || (clean = rd_photo_clean(raw, NULL)) == NULL) {
		if (w->hold == NULL)
			w->hold = RD_SCRUB_HOLD_PHOTO;
		return FALSE;
	}
	if (g_bytes_equal(raw, clean))
		return FALSE;
	stream = g_mime_stream_mem_new_with_buffer(g_bytes_get_data(clean, NULL),
	                                           g_bytes_get_size(clean));
	wrapper = g_mime_data_wrapper_new_with_stream(stream, GMIME_CONTENT_ENCODING_DEFAULT);
	g_mime_part_set_content(part, wrapper);
	g_mime_part_set_content_encoding(part, GMIME_CONTENT_ENCODING_BASE64);
	return TRUE;
}

static gboolean
scrub_object(GMimeObject *obj, scrub_walk *w, int depth)
{
	gboolean changed = FALSE;

	/* Bounded recursion: hostile mail can nest parts thousands deep. */
	if (obj == NULL || depth > SCRUB_MAX_DEPTH)
		return FALSE;
	if (GMIME_IS_MULTIPART(obj)) {
		GMimeMultipart *mp = GMIME_MULTIPART(obj);

		for (int i = 0; i < g_mime_multipart_get_count(mp); i++)
			changed |=
			    scrub_object(g_mime_multipart_get_part(mp, i), w, depth + 1);
		return changed;
	}
	if (GMIME_IS_MESSAGE_PART(obj))
		return scrub_mime_message(g_mime_message_part_get_message(GMIME_MESSAGE_PART(obj)),
		                          w, depth + 1);
	if (GMIME_IS_TEXT_PART(obj)) {
		GMimePart *part = GMIME_PART(obj);
		g_autofree char *text = g_mime_text_part_get_text(GMIME_TEXT_PART(obj));

		if (text == NULL || !scrub_string(&text, w->domains))
			return FALSE;
		g_mime_text_part_set_text(GMIME_TEXT_PART(obj), text);
		g_mime_part_set_content_encoding(part, g_mime_part_get_best_content_encoding(
		                                           part, GMIME_ENCODING_CONSTRAINT_7BIT));
		return TRUE;
	}
	if (GMIME_IS_PART(obj))
		return scrub_photo(GMIME_PART(obj), w);
	return FALSE;
}

static gboolean
scrub_mime_message(GMimeMessage *msg, scrub_walk *w, int depth)
{
	const char *const *domains = w->domains;
	static const struct {
		GMimeAddressType type;
		const char *name;
	} types[] = {
	    {GMIME_ADDRESS_TYPE_TO, "To"},
	    {GMIME_ADDRESS_TYPE_CC, "Cc"},
	    {GMIME_ADDRESS_TYPE_REPLY_TO, "Reply-To"},
	};
	const char *subject;
	g_autofree char *clean = NULL;
	gboolean changed = FALSE;

	if (msg == NULL)
		return FALSE;
	for (gsize i = 0; i < G_N_ELEMENTS(types); i++)
		changed |= scrub_addresses(msg, types[i].type, types[i].name, domains);
	changed |= scrub_ids(msg, "References", domains);
	changed |= scrub_ids(msg, "In-Reply-To", domains);
	subject = g_mime_message_get_subject(msg);
	if (subject != NULL && (clean = rd_scrub_text(subject, domains)) != NULL) {
		g_mime_message_set_subject(msg, clean, "utf-8");
		changed = TRUE;
	}
	return scrub_object(g_mime_message_get_mime_part(msg), w, depth + 1) || changed;
}

/* M's reference chain without the ids that carry a token. */
static void
scrub_refs(rd_message *m, const char *const *domains)
{
	GPtrArray *kept = g_ptr_array_new();

	for (guint i = 0; m->refs && m->refs[i]; i++) {
		g_autofree char *w = rd_scrub_text(m->refs[i], domains);

		if (w == NULL)
			g_ptr_array_add(kept, g_strdup(m->refs[i]));
	}
	g_ptr_array_add(kept, NULL);
	g_strfreev(m->refs);
	m->refs = (char **)g_ptr_array_free(kept, FALSE);
}

/* Whether charset value V (after "charset") is one in which ASCII text is
 * ASCII bytes; anything unclear (RFC 2231, UTF-16, UTF-7, EBCDIC) is not. */
static gboolean
ascii_charset(const char *v)
{
	static const char *const ok[] = {"us-ascii", "ascii", "utf-8", "utf8", "iso-8859-",
	                                 "windows-125", NULL};

	while (g_ascii_isspace(*v))
		v++;
	if (*v++ != '=')
		return FALSE;
	while (g_ascii_isspace(*v) || *v == '"')
		v++;
	for (guint i = 0; ok[i]; i++)
		if (g_str_has_prefix(v, ok[i]))
			return TRUE;
	return FALSE;
}

/* Whether the walk of rd_scrub_message() could change raw message P at
 * all.  It cannot when the raw bytes hold no token (rd_scrub_text() on
 * them finds none: a post's To and Cc name the list's own address, so
 * the domains alone say little), nothing encoded could hide one (base64,
 * quoted-printable, uuencode, encoded words, a charset in which ASCII is
 * not ASCII), and no part could be a photo or a DICOM object (an image
 * type, a file name).  Most mail is like that, and then it is not parsed
 * a second time. */
static gboolean
raw_may_change(const char *p, gsize len, const char *const *domains)
{
	static const char *const always[] = {"base64", "quoted-printable", "uuencode", "=?",
	                                     "image/", "dicom", "name=", "name*", NULL};
	g_autofree char *text = g_malloc(len + 1);
	g_autofree char *low = NULL;
	g_autofree char *clean = NULL;

	/* A NUL ends the text GMime gives as well. */
	for (gsize i = 0; i < len; i++)
		text[i] = p[i] != '\0' ? p[i] : ' ';
	text[len] = '\0';
	low = g_ascii_strdown(text, (gssize)len);
	for (guint i = 0; always[i]; i++)
		if (strstr(low, always[i]) != NULL)
			return TRUE;
	for (const char *q = low; (q = strstr(q, "charset")) != NULL; q += 7)
		if (!ascii_charset(q + 7))
			return TRUE;
	return (clean = rd_scrub_text(text, domains)) != NULL;
}

GBytes *
rd_scrub_message(rd_message *m, GBytes *data, const char *const *domains, const char **hold)
{
	scrub_walk w = {domains, NULL};
	g_autoptr(GMimeStream) stream = NULL;
	g_autoptr(GMimeParser) parser = NULL;
	g_autoptr(GMimeMessage) msg = NULL;
	gsize len;
	const char *p = g_bytes_get_data(data, &len);
	gboolean changed;
	char *bytes;

	*hold = NULL;
	scrub_string(&m->body, domains);
	scrub_string(&m->body_html, domains);
	scrub_string(&m->subject, domains);
	scrub_refs(m, domains);
	/* DATA is parsed afresh, not M's MIME tree: a reply is stored in a
	 * form composed from the person's text (reply.c). */
	if (p == NULL || len == 0 || !raw_may_change(p, len, domains))
		return NULL;
	stream = g_mime_stream_mem_new_with_buffer(p, len);
	parser = g_mime_parser_new_with_stream(stream);
	g_mime_parser_set_format(parser, GMIME_FORMAT_MESSAGE);
	msg = g_mime_parser_construct_message(parser, NULL);
	if (msg == NULL)
		return NULL;
	changed = scrub_mime_message(msg, &w, 0);
	*hold = w.hold;
	if (!changed)
		return NULL;
	bytes = g_mime_object_to_string(GMIME_OBJECT(msg), NULL);
	return g_bytes_new_take(bytes, strlen(bytes));
}
