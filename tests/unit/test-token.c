/* test-token.c - HMAC-signed address tokens. */
#include <string.h>

#include "rounds.h"
#include "token.h"

/* A fixed secret keeps failures reproducible; rd_token_new_secret() is
 * tested on its own. */
static GBytes *
fixed_secret(guint8 fill)
{
	guint8 key[RD_TOKEN_SECRET_SIZE];

	for (gsize i = 0; i < sizeof(key); i++)
		key[i] = (guint8)(fill + i * 7);
	return g_bytes_new(key, sizeof(key));
}

static const guint64 ids[] = {
    0,           1,       2,       127,         128,        255,        300,        16383,
    16384,       2097151, 2097152, G_MAXUINT32, 1ull << 35, 1ull << 56, G_MAXINT64, G_MAXUINT64 - 1,
    G_MAXUINT64,
};

static gboolean
only_alphabet(const char *t)
{
	for (; *t != '\0'; t++) {
		if (!((*t >= 'a' && *t <= 'z') || (*t >= '2' && *t <= '7')))
			return FALSE;
	}
	return TRUE;
}

static void
test_round_trip(void)
{
	g_autoptr(GBytes) secret = fixed_secret(1);
	const rd_token_kind kinds[] = {RD_TOKEN_REPLY, RD_TOKEN_CONFIRM, RD_TOKEN_BOUNCE,
	                               RD_TOKEN_DIGEST, RD_TOKEN_COMMAND};

	for (gsize k = 0; k < G_N_ELEMENTS(kinds); k++) {
		for (gsize i = 0; i < G_N_ELEMENTS(ids); i++) {
			for (gsize j = 0; j < G_N_ELEMENTS(ids); j++) {
				g_autofree char *t = rd_token_make(
				    secret, kinds[k], "care", "lists.example.test", ids[i], ids[j]);
				guint64 a = 42, b = 42;
				g_assert_nonnull(t);
				g_assert_true(only_alphabet(t));
				/* Whole local part "care+r-TOKEN" under 64 octets. */
				g_assert_cmpuint(strlen("care+r-") + strlen(t), <, 64);
				g_assert_true(rd_token_check(secret, kinds[k], "care",
				                             "lists.example.test", t, &a, &b));
				g_assert_cmpuint(a, ==, ids[i]);
				g_assert_cmpuint(b, ==, ids[j]);
			}
		}
	}
}

static void
test_deterministic_and_short(void)
{
	g_autoptr(GBytes) secret = fixed_secret(1);
	g_autofree char *t1 =
	    rd_token_make(secret, RD_TOKEN_REPLY, "care", "lists.example.test", 1234, 56789);
	g_autofree char *t2 =
	    rd_token_make(secret, RD_TOKEN_REPLY, "care", "lists.example.test", 1234, 56789);
	g_autofree char *t3 =
	    rd_token_make(secret, RD_TOKEN_REPLY, "care", "lists.example.test", 1234, 56790);
	g_autofree char *small =
	    rd_token_make(secret, RD_TOKEN_REPLY, "care", "lists.example.test", 0, 0);
	g_autofree char *typical =
	    rd_token_make(secret, RD_TOKEN_REPLY, "care", "lists.example.test", 2097151, 2097151);
	g_autofree char *big = rd_token_make(secret, RD_TOKEN_REPLY, "care", "lists.example.test",
	                                     G_MAXUINT64, G_MAXUINT64);

	g_assert_cmpstr(t1, ==, t2);
	g_assert_cmpstr(t1, !=, t3);
	/* 2 + 10 bytes, 12 + 10 bytes, 20 + 10 bytes in base32. */
	g_assert_cmpuint(strlen(small), ==, 20);
	g_assert_cmpuint(strlen(typical), ==, 26);
	g_assert_cmpuint(strlen(big), ==, 48);
}

static void
test_upper_case_accepted(void)
{
	g_autoptr(GBytes) secret = fixed_secret(1);
	g_autofree char *t =
	    rd_token_make(secret, RD_TOKEN_CONFIRM, "care", "lists.example.test", 77, 991);
	g_autofree char *up = g_ascii_strup(t, -1);
	guint64 a = 0, b = 0;

	g_assert_true(
	    rd_token_check(secret, RD_TOKEN_CONFIRM, "care", "lists.example.test", up, &a, &b));
	g_assert_cmpuint(a, ==, 77);
	g_assert_cmpuint(b, ==, 991);
	/* A case-folded community name in the address still matches. */
	g_assert_true(
	    rd_token_check(secret, RD_TOKEN_CONFIRM, "CARE", "lists.example.test", up, NULL, NULL));
	/* Mixed case too. */
	up[0] = g_ascii_tolower(up[0]);
	g_assert_true(
	    rd_token_check(secret, RD_TOKEN_CONFIRM, "care", "lists.example.test", up, NULL, NULL));
}

static void
test_binding(void)
{
	g_autoptr(GBytes) secret = fixed_secret(1);
	g_autoptr(GBytes) other = fixed_secret(2);
	g_autofree char *t =
	    rd_token_make(secret, RD_TOKEN_REPLY, "care", "lists.example.test", 5, 9);
	guint64 a = 123, b = 456;

	g_assert_true(
	    rd_token_check(secret, RD_TOKEN_REPLY, "care", "lists.example.test", t, NULL, NULL));
	g_assert_false(
	    rd_token_check(secret, RD_TOKEN_REPLY, "cares", "lists.example.test", t, &a, &b));
	g_assert_false(
	    rd_token_check(secret, RD_TOKEN_REPLY, "car", "lists.example.test", t, &a, &b));
	g_assert_false(rd_token_check(secret, RD_TOKEN_REPLY, "family-smith", "lists.example.test",
	                              t, &a, &b));
	g_assert_false(rd_token_check(secret, RD_TOKEN_REPLY, "", "lists.example.test", t, &a, &b));
	g_assert_false(
	    rd_token_check(secret, RD_TOKEN_CONFIRM, "care", "lists.example.test", t, &a, &b));
	g_assert_false(
	    rd_token_check(secret, RD_TOKEN_BOUNCE, "care", "lists.example.test", t, &a, &b));
	g_assert_false(
	    rd_token_check(secret, RD_TOKEN_DIGEST, "care", "lists.example.test", t, &a, &b));
	g_assert_false(
	    rd_token_check(secret, RD_TOKEN_COMMAND, "care", "lists.example.test", t, &a, &b));
	g_assert_false(
	    rd_token_check(other, RD_TOKEN_REPLY, "care", "lists.example.test", t, &a, &b));
	/* A failed check leaves the outputs alone. */
	g_assert_cmpuint(a, ==, 123);
	g_assert_cmpuint(b, ==, 456);
	/* Finding 6 of issue 11: the same name at another domain is another
	 * list, and its tokens are worth nothing here; the domain, like the
	 * name, is compared without case. */
	g_assert_false(
	    rd_token_check(secret, RD_TOKEN_REPLY, "care", "lists.other.test", t, &a, &b));
	g_assert_false(rd_token_check(secret, RD_TOKEN_REPLY, "care", "", t, &a, &b));
	g_assert_false(
	    rd_token_check(secret, RD_TOKEN_REPLY, "carel", "ists.example.test", t, &a, &b));
	g_assert_true(
	    rd_token_check(secret, RD_TOKEN_REPLY, "Care", "Lists.Example.TEST", t, NULL, NULL));
	/* Same ids, other community: a different token. */
	g_autofree char *t2 =
	    rd_token_make(secret, RD_TOKEN_REPLY, "cares", "lists.example.test", 5, 9);
	g_assert_cmpstr(t, !=, t2);
}

static void
test_altered(void)
{
	g_autoptr(GBytes) secret = fixed_secret(3);
	const char *alpha = "abcdefghijklmnopqrstuvwxyz234567";

	for (gsize id = 0; id < G_N_ELEMENTS(ids); id += 3) {
		g_autofree char *t = rd_token_make(secret, RD_TOKEN_BOUNCE, "care",
		                                   "lists.example.test", ids[id], 7);
		gsize len = strlen(t);

		/* Every other character of the alphabet, at every position. */
		for (gsize pos = 0; pos < len; pos++) {
			for (const char *c = alpha; *c != '\0'; c++) {
				if (*c == t[pos])
					continue;
				g_autofree char *x = g_strdup(t);
				x[pos] = *c;
				if (rd_token_check(secret, RD_TOKEN_BOUNCE, "care",
				                   "lists.example.test", x, NULL, NULL))
					g_test_fail_printf("altered token %s accepted", x);
			}
		}
		/* Truncated at every length, including the empty string. */
		for (gsize cut = 0; cut < len; cut++) {
			g_autofree char *x = g_strndup(t, cut);
			g_assert_false(rd_token_check(secret, RD_TOKEN_BOUNCE, "care",
			                              "lists.example.test", x, NULL, NULL));
		}
		/* Extended by one or more characters. */
		for (const char *c = alpha; *c != '\0'; c++) {
			g_autofree char *x1 = g_strdup_printf("%s%c", t, *c);
			g_autofree char *x2 = g_strdup_printf("%s%c%c", t, *c, *c);
			g_autofree char *x8 = g_strdup_printf("%saaaaaaa%c", t, *c);
			g_assert_false(rd_token_check(secret, RD_TOKEN_BOUNCE, "care",
			                              "lists.example.test", x1, NULL, NULL));
			g_assert_false(rd_token_check(secret, RD_TOKEN_BOUNCE, "care",
			                              "lists.example.test", x2, NULL, NULL));
			g_assert_false(rd_token_check(secret, RD_TOKEN_BOUNCE, "care",
			                              "lists.example.test", x8, NULL, NULL));
		}
		/* Characters outside the alphabet. */
		const char *bad = "0189=-_+ .@\xc3";
		for (const char *c = bad; *c != '\0'; c++) {
			g_autofree char *x = g_strdup(t);
			x[len / 2] = *c;
			g_assert_false(rd_token_check(secret, RD_TOKEN_BOUNCE, "care",
			                              "lists.example.test", x, NULL, NULL));
		}
	}
}

static void
test_forged(void)
{
	g_autoptr(GBytes) secret = fixed_secret(4);
	const char *alpha = "abcdefghijklmnopqrstuvwxyz234567";
	GRand *rand = g_rand_new_with_seed(20240611);

	for (int i = 0; i < 20000; i++) {
		char t[49];
		gint len = g_rand_int_range(rand, 0, 49);
		for (gint j = 0; j < len; j++)
			t[j] = alpha[g_rand_int_range(rand, 0, 32)];
		t[len] = '\0';
		if (rd_token_check(secret, RD_TOKEN_REPLY, "care", "lists.example.test", t, NULL,
		                   NULL))
			g_test_fail_printf("random token %s accepted", t);
	}
	g_rand_free(rand);
	g_assert_false(
	    rd_token_check(secret, RD_TOKEN_REPLY, "care", "lists.example.test", "", NULL, NULL));
	g_assert_false(
	    rd_token_check(secret, RD_TOKEN_REPLY, "care", "lists.example.test", NULL, NULL, NULL));
	/* Absurdly long input is refused without work. */
	g_autofree char *huge = g_strnfill(10000, 'a');
	g_assert_false(
	    rd_token_check(secret, RD_TOKEN_REPLY, "care", "lists.example.test", huge, NULL, NULL));
}

static void
test_new_secret(void)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GBytes) s1 = rd_token_new_secret(&error);
	g_assert_no_error(error);
	g_autoptr(GBytes) s2 = rd_token_new_secret(&error);
	g_assert_no_error(error);

	g_assert_nonnull(s1);
	g_assert_cmpuint(g_bytes_get_size(s1), ==, RD_TOKEN_SECRET_SIZE);
	g_assert_false(g_bytes_equal(s1, s2));

	/* A token made with one fresh secret fails with the other. */
	g_autofree char *t = rd_token_make(s1, RD_TOKEN_DIGEST, "care", "lists.example.test", 3, 4);
	g_assert_true(
	    rd_token_check(s1, RD_TOKEN_DIGEST, "care", "lists.example.test", t, NULL, NULL));
	g_assert_false(
	    rd_token_check(s2, RD_TOKEN_DIGEST, "care", "lists.example.test", t, NULL, NULL));
}

static void
test_short_secret_refused(void)
{
	g_autoptr(GBytes) tiny = g_bytes_new("abc", 3);
	g_autoptr(GBytes) secret = fixed_secret(1);
	g_autofree char *t =
	    rd_token_make(secret, RD_TOKEN_REPLY, "care", "lists.example.test", 1, 2);

	/* A short secret is a broken installation: nothing checks out. */
	g_assert_false(
	    rd_token_check(tiny, RD_TOKEN_REPLY, "care", "lists.example.test", t, NULL, NULL));
	g_assert_false(
	    rd_token_check(NULL, RD_TOKEN_REPLY, "care", "lists.example.test", t, NULL, NULL));
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/token/round-trip", test_round_trip);
	g_test_add_func("/token/deterministic-and-short", test_deterministic_and_short);
	g_test_add_func("/token/upper-case", test_upper_case_accepted);
	g_test_add_func("/token/binding", test_binding);
	g_test_add_func("/token/altered", test_altered);
	g_test_add_func("/token/forged", test_forged);
	g_test_add_func("/token/new-secret", test_new_secret);
	g_test_add_func("/token/short-secret", test_short_secret_refused);
	return g_test_run();
}
