/* token.c - HMAC-signed tokens for plus addresses (care+r-TOKEN@domain).
 *
 * Layout of the decoded bytes: varint(a) varint(b) mac[10].  The varints are
 * little-endian base-128 (7 bits a byte, high bit = more follows), so small
 * ids cost few bytes and the whole address stays far below the 64-octet
 * local-part limit of RFC 5321.  The MAC is HMAC-SHA256 over
 *
 *     "rounds-token-v2" NUL kind varint(len(name)) name varint(len(domain)) domain
 *     varint(a) varint(b)
 *
 * truncated to 80 bits: the kind and the length-prefixed community name and
 * domain bind the token to one use and one community (care@lists.a and
 * care@lists.b are different lists, whoever hosts both), the version string
 * to this format.  v1 tokens named the community without its domain and are
 * no longer accepted.
 *
 * Tokens are lower-case base32 (RFC 4648 alphabet, no padding) because MTAs
 * and mail clients may change the case of a local part; input is accepted in
 * any case.  Decoding is strict (no padding bits set, no overlong varints,
 * nothing after the MAC) so that exactly one string is valid for each token.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "rounds.h"
#include "token.h"

/* 80 bits: forging one means 2^80 tries against a server that answers one
 * mail at a time, far beyond reach. */
#define RD_TOKEN_MAC_SIZE 10
/* A uint64 varint takes at most 10 bytes. */
#define RD_TOKEN_VARINT_MAX 10
#define RD_TOKEN_MAX_BYTES (2 * RD_TOKEN_VARINT_MAX + RD_TOKEN_MAC_SIZE)
/* Base32 characters for RD_TOKEN_MAX_BYTES bytes, rounded up. */
#define RD_TOKEN_MAX_CHARS ((RD_TOKEN_MAX_BYTES * 8 + 4) / 5)
/* Shorter secrets are a configuration mistake, not a key. */
#define RD_TOKEN_MIN_SECRET 16

static const char alphabet[] = "abcdefghijklmnopqrstuvwxyz234567";

static gsize
varint_put(guint8 *out, guint64 v)
{
	gsize n = 0;

	while (v >= 0x80) {
		out[n++] = (guint8)(v | 0x80);
		v >>= 7;
	}
	out[n++] = (guint8)v;
	return n;
}

/* Read one canonical varint from BUF[*pos..len); FALSE when it is cut off,
 * overlong (a trailing zero byte) or above 64 bits. */
static gboolean
varint_get(const guint8 *buf, gsize len, gsize *pos, guint64 *v)
{
	guint64 r = 0;
	guint shift = 0;
	gsize i = *pos;

	for (;;) {
		if (i >= len || shift >= 64)
			return FALSE;
		guint8 byte = buf[i++];
		/* The tenth byte may only carry the last bit of a uint64. */
		if (shift == 63 && (byte & 0x7e) != 0)
			return FALSE;
		r |= (guint64)(byte & 0x7f) << shift;
		if ((byte & 0x80) == 0) {
			if (byte == 0 && shift > 0)
				return FALSE;
			break;
		}
		shift += 7;
	}
	*pos = i;
	*v = r;
	return TRUE;
}

static void
compute_mac(GBytes *secret, rd_token_kind kind, const char *community, const char *domain,
            const guint8 *payload, gsize payload_len, guint8 mac[RD_TOKEN_MAC_SIZE])
{
	static const char version[] = "rounds-token-v2";
	g_autofree char *name = g_ascii_strdown(community, -1);
	g_autofree char *dom = g_ascii_strdown(domain, -1);
	gsize name_len = strlen(name), dom_len = strlen(dom);
	gsize key_len = 0;
	const guint8 *key = g_bytes_get_data(secret, &key_len);
	guint8 head[2 + RD_TOKEN_VARINT_MAX];
	guint8 digest[32];
	gsize digest_len = sizeof(digest);
	gsize n;

	static GMutex lock;
	static GBytes *base_secret;
	static GHmac *base;
	GHmac *hmac;

	/* Keying HMAC-SHA256 costs more than hashing a token: key once per
	 * secret and copy the keyed state (a digest renders dozens of tokens). */
	g_mutex_lock(&lock);
	if (base == NULL || !g_bytes_equal(base_secret, secret)) {
		g_clear_pointer(&base, g_hmac_unref);
		g_clear_pointer(&base_secret, g_bytes_unref);
		base = g_hmac_new(G_CHECKSUM_SHA256, key, key_len);
		g_hmac_update(base, (const guchar *)version, sizeof(version)); /* with its NUL */
		base_secret = g_bytes_new(key, key_len);
	}
	hmac = g_hmac_copy(base);
	g_mutex_unlock(&lock);
	head[0] = (guint8)kind;
	n = 1 + varint_put(head + 1, name_len);
	g_hmac_update(hmac, head, n);
	g_hmac_update(hmac, (const guchar *)name, name_len);
	n = varint_put(head, dom_len);
	g_hmac_update(hmac, head, n);
	g_hmac_update(hmac, (const guchar *)dom, dom_len);
	g_hmac_update(hmac, payload, payload_len);
	g_hmac_get_digest(hmac, digest, &digest_len);
	g_hmac_unref(hmac);
	memcpy(mac, digest, RD_TOKEN_MAC_SIZE);
}

static char *
base32_encode(const guint8 *buf, gsize len)
{
	GString *out = g_string_sized_new((len * 8 + 4) / 5 + 1);
	guint32 acc = 0;
	guint bits = 0;

	for (gsize i = 0; i < len; i++) {
		acc = (acc << 8) | buf[i];
		bits += 8;
		while (bits >= 5) {
			bits -= 5;
			g_string_append_c(out, alphabet[(acc >> bits) & 31]);
		}
	}
	if (bits > 0)
		g_string_append_c(out, alphabet[(acc << (5 - bits)) & 31]);
	return g_string_free(out, FALSE);
}

static int
base32_value(char c)
{
	c = g_ascii_tolower(c);
	if (c >= 'a' && c <= 'z')
		return c - 'a';
	if (c >= '2' && c <= '7')
		return c - '2' + 26;
	return -1;
}

/* Decode S into OUT (room for MAX bytes); returns the length or -1 for a
 * character outside the alphabet, a string too long, or leftover bits that
 * a canonical encoding would not produce. */
static gssize
base32_decode(const char *s, guint8 *out, gsize max)
{
	guint32 acc = 0;
	guint bits = 0;
	gsize n = 0;

	for (; *s != '\0'; s++) {
		int v = base32_value(*s);
		if (v < 0)
			return -1;
		acc = (acc << 5) | (guint32)v;
		bits += 5;
		if (bits >= 8) {
			bits -= 8;
			if (n >= max)
				return -1;
			out[n++] = (guint8)(acc >> bits);
		}
		acc &= (1u << bits) - 1;
	}
	/* At most four padding bits, all zero: otherwise the string was cut
	 * or altered. */
	if (bits >= 5 || acc != 0)
		return -1;
	return (gssize)n;
}

/* Compare in time independent of where the first difference is, so that
 * response timing tells a forger nothing about the MAC. */
static gboolean
equal_const_time(const guint8 *x, const guint8 *y, gsize len)
{
	guint8 diff = 0;

	for (gsize i = 0; i < len; i++)
		diff |= x[i] ^ y[i];
	return diff == 0;
}

char *
rd_token_make(GBytes *secret, rd_token_kind kind, const char *community, const char *domain,
              guint64 a, guint64 b)
{
	guint8 buf[RD_TOKEN_MAX_BYTES];
	gsize n;

	g_return_val_if_fail(secret != NULL, NULL);
	g_return_val_if_fail(g_bytes_get_size(secret) >= RD_TOKEN_MIN_SECRET, NULL);
	g_return_val_if_fail(community != NULL, NULL);
	g_return_val_if_fail(domain != NULL, NULL);

	n = varint_put(buf, a);
	n += varint_put(buf + n, b);
	compute_mac(secret, kind, community, domain, buf, n, buf + n);
	return base32_encode(buf, n + RD_TOKEN_MAC_SIZE);
}

gboolean
rd_token_check(GBytes *secret, rd_token_kind kind, const char *community, const char *domain,
               const char *token, guint64 *a, guint64 *b)
{
	guint8 buf[RD_TOKEN_MAX_BYTES];
	guint8 mac[RD_TOKEN_MAC_SIZE];
	gssize len;
	gsize pos = 0;
	guint64 va, vb;

	if (secret == NULL || g_bytes_get_size(secret) < RD_TOKEN_MIN_SECRET || community == NULL ||
	    domain == NULL || token == NULL)
		return FALSE;
	if (strnlen(token, RD_TOKEN_MAX_CHARS + 1) > RD_TOKEN_MAX_CHARS)
		return FALSE;
	len = base32_decode(token, buf, sizeof(buf));
	if (len < 0)
		return FALSE;
	if (!varint_get(buf, (gsize)len, &pos, &va) || !varint_get(buf, (gsize)len, &pos, &vb))
		return FALSE;
	if ((gsize)len - pos != RD_TOKEN_MAC_SIZE)
		return FALSE;
	compute_mac(secret, kind, community, domain, buf, pos, mac);
	if (!equal_const_time(mac, buf + pos, RD_TOKEN_MAC_SIZE))
		return FALSE;
	if (a != NULL)
		*a = va;
	if (b != NULL)
		*b = vb;
	return TRUE;
}

GBytes *
rd_token_new_secret(GError **error)
{
	guint8 *key = g_malloc(RD_TOKEN_SECRET_SIZE);
	gsize got = 0;
	int fd;

	fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		int e = errno;
		g_set_error(error, RD_ERROR, RD_IOERR, "cannot open /dev/urandom: %s",
		            g_strerror(e));
		goto fail;
	}
	while (got < RD_TOKEN_SECRET_SIZE) {
		ssize_t r = read(fd, key + got, RD_TOKEN_SECRET_SIZE - got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			int e = r < 0 ? errno : EIO;
			g_set_error(error, RD_ERROR, RD_IOERR, "cannot read /dev/urandom: %s",
			            g_strerror(e));
			close(fd);
			goto fail;
		}
		got += (gsize)r;
	}
	close(fd);
	return g_bytes_new_take(key, RD_TOKEN_SECRET_SIZE);

fail:
	/* Scrub whatever partial key material was read. */
	memset(key, 0, RD_TOKEN_SECRET_SIZE);
	g_free(key);
	return NULL;
}
