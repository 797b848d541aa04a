/* smtp-crlf.c - message data in CRLF form for SMTP.  Apart from smtp.c so
 * that fanout.c (on the delivery path) can make its copies CRLF without
 * linking libesmtp into `rounds deliver` (see Makefile: the lean front). */
#include <string.h>

#include "smtp.h"

/* Whether N bytes at P hold a byte >= 0x80, a word at a time. */
static gboolean
any_8bit(const char *p, gsize n)
{
	const char *end = p + n;

	for (; p + sizeof(guint64) <= end; p += sizeof(guint64)) {
		guint64 w;

		memcpy(&w, p, sizeof w);
		if (w & G_GUINT64_CONSTANT(0x8080808080808080))
			return TRUE;
	}
	for (; p < end; p++)
		if ((unsigned char)*p >= 0x80)
			return TRUE;
	return FALSE;
}

GBytes *
rd_smtp_to_crlf(GBytes *data, gboolean *eight_bit)
{
	gsize len;
	const char *p = g_bytes_get_data(data, &len);
	const char *end = p + len;
	GByteArray *out = NULL;
	gboolean bits = FALSE;

	/* Line by line, and no copy at all for a message already in CRLF
	 * (fan-out copies are made so once): a byte-wise copy was the
	 * biggest cost of sending. */
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *stop = nl ? nl : end;
		gsize n = (gsize)(stop - p);
		gboolean crlf = nl != NULL && n > 0 && stop[-1] == '\r';

		if (crlf)
			n--;
		if (!bits)
			bits = any_8bit(p, n);
		if (out == NULL && !crlf) {
			const char *start = g_bytes_get_data(data, NULL);

			out = g_byte_array_sized_new((guint)(len + len / 40 + 2));
			g_byte_array_append(out, (const guint8 *)start, (guint)(p - start));
		}
		if (out != NULL) {
			g_byte_array_append(out, (const guint8 *)p, (guint)n);
			g_byte_array_append(out, (const guint8 *)"\r\n", 2);
		}
		p = nl ? nl + 1 : end;
	}
	if (eight_bit)
		*eight_bit = bits;
	if (out == NULL && len > 0)
		return g_bytes_ref(data);
	if (out == NULL)
		out = g_byte_array_new();
	if (out->len == 0)
		g_byte_array_append(out, (const guint8 *)"\r\n", 2);
	return g_byte_array_free_to_bytes(out);
}
