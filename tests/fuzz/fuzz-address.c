/* fuzz-address.c - the address parser (address.c) and token checks
 * (token.c): each input line is an address read with '+' and '-' as the
 * delimiter, and its token (if any) checked for every kind. */
#include "address.h"
#include "fuzz.h"
#include "token.h"

static gboolean
exists(const char *name, const char *domain, gpointer data)
{
	return g_str_equal(name, "care") || g_str_equal(name, "care-team") ||
	       g_str_equal(name, "a");
}

static void
one(GBytes *secret, const char *addr, char delim)
{
	g_autoptr(rd_address) a = NULL;
	static const rd_token_kind kinds[] = {RD_TOKEN_REPLY, RD_TOKEN_CONFIRM, RD_TOKEN_BOUNCE,
	                                      RD_TOKEN_DIGEST, RD_TOKEN_WEB};
	guint64 x = 0, y = 0;

	a = rd_address_parse(addr, delim, exists, NULL, NULL);
	if (a == NULL)
		return;
	g_assert(a->community != NULL && a->domain != NULL);
	(void)rd_address_kind_name(a->kind);
	if (a->token != NULL) {
		for (guint i = 0; i < G_N_ELEMENTS(kinds); i++)
			(void)rd_token_check(secret, kinds[i], a->community, a->domain, a->token,
			                     &x, &y);
	}
	g_free(rd_address_make(a->community, a->domain, delim, a->token));
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const guint8 key[RD_TOKEN_SECRET_SIZE] = {7};
	g_autoptr(GBytes) secret = g_bytes_new_static(key, sizeof key);
	g_autofree char *s = fuzz_str(data, size);
	g_auto(GStrv) lines = NULL;
	guint64 x, y;

	fuzz_init();
	lines = g_strsplit(s, "\n", 64);
	for (guint i = 0; lines[i] != NULL; i++) {
		g_autofree char *t = NULL;

		one(secret, lines[i], '+');
		one(secret, lines[i], '-');
		/* The line as a bare token, and a real token round trip. */
		(void)rd_token_check(secret, RD_TOKEN_REPLY, "care", "lists.example.test", lines[i],
		                     &x, &y);
		t = rd_token_make(secret, RD_TOKEN_REPLY, "care", lines[i], size, i);
		g_assert(rd_token_check(secret, RD_TOKEN_REPLY, "care", lines[i], t, &x, &y));
		g_assert(x == size && y == i);
	}
	return 0;
}
