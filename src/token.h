/* token.h - HMAC-signed tokens for addresses like care+r-TOKEN@domain.
 *
 * A token is lower-case base32 (RFC 4648 alphabet, no padding) of two
 * varint-encoded ids followed by an 80-bit truncated HMAC-SHA256 over the
 * installation secret, the token kind and the community's name and domain.  Ids below
 * 2^21 give a 26-character token.
 */
#ifndef RD_TOKEN_H
#define RD_TOKEN_H

#include <glib.h>

typedef enum {
	RD_TOKEN_REPLY = 'r',
	RD_TOKEN_CONFIRM = 'c',
	RD_TOKEN_BOUNCE = 'b',
	RD_TOKEN_DIGEST = 'd',
	RD_TOKEN_COMMAND = 'm',
	/* A pending action of the commands module: a = action id, b = nonce. */
	RD_TOKEN_PENDING = 'p',
	/* A one-click unsubscribe link of rounds web: a = person, b = 0 to
	 * leave the community, 1 to stop the digest (RD_WEB_* in fanout.h). */
	RD_TOKEN_WEB = 'u',
} rd_token_kind;

/* Size in bytes of the secret rd_token_new_secret() makes. */
#define RD_TOKEN_SECRET_SIZE 32

/* g_malloc'd token for (kind, community NAME@DOMAIN, a, b).  Name and
 * domain are compared ASCII case-insensitively, as MTAs may case-fold. */
char *rd_token_make(GBytes *secret, rd_token_kind kind, const char *community, const char *domain,
                    guint64 a, guint64 b);

/* TRUE and the ids when TOKEN (any case) is authentic for this kind and
 * community; FALSE for forged, truncated, altered, other-kind or
 * other-community tokens, also those of a community of the same name at
 * another domain (a and b are then left untouched; either may be NULL). */
gboolean rd_token_check(GBytes *secret, rd_token_kind kind, const char *community,
                        const char *domain, const char *token, guint64 *a, guint64 *b);

/* A fresh random secret of RD_TOKEN_SECRET_SIZE bytes from /dev/urandom
 * (g_random is not good enough): returns NULL with error on failure. */
GBytes *rd_token_new_secret(GError **error);

#endif
