/* mta.c - MTA configuration lines for a community and a check of the
 * installed configuration.
 *
 * The texts are the ones documented in mta-hooks/<mta>/README.  The check
 * answers one question: does mail for every address kind of every community
 * (care@, care+request@, care-request@, care+r-TOKEN@, ...) reach a pipe
 * into "rounds deliver" that is told the whole recipient, runs as an
 * unprivileged user and passes the exit status back to the MTA?
 *
 * Each MTA is one row of the backend table below, in a file of its own
 * (mta-postfix.c, mta-exim.c, mta-opensmtpd.c, mta-sendmail.c); this file
 * finds the row and holds what every MTA shares (mta-internal.h).
 */
#include <stdarg.h>
#include <string.h>

#include "mta-internal.h"

#define DEFAULT_ROUNDS "/usr/local/bin/rounds"
#define DEFAULT_HOME "/var/lib/rounds"

static const mta_backend *const mta_backends[] = {
    &mta_postfix,
    &mta_exim,
    &mta_opensmtpd,
    &mta_sendmail,
};

/* The extensions whose addresses must all reach rounds (see address.c); the
 * tokens are samples of the right shape. */
static const char *const sample_ext[] = {
    "request",        "owner",          "subscribe",      "unsubscribe",    "help",
    "r-k7q2mxw4ad5e", "c-k7q2mxw4ad5e", "b-k7q2mxw4ad5e", "d-k7q2mxw4ad5e",
};

static const mta_backend *
mta_backend_find(const char *mta)
{
	for (gsize i = 0; mta != NULL && i < G_N_ELEMENTS(mta_backends); i++) {
		if (strcmp(mta_backends[i]->name, mta) == 0)
			return mta_backends[i];
	}
	return NULL;
}

/* "postfix, exim, opensmtpd or sendmail": the table's names, for messages. */
static char *
mta_backend_names(void)
{
	GString *s = g_string_new(NULL);
	gsize n = G_N_ELEMENTS(mta_backends);

	for (gsize i = 0; i < n; i++)
		g_string_append_printf(s, "%s%s",
		                       i == 0      ? ""
		                       : i + 1 < n ? ", "
		                                   : " or ",
		                       mta_backends[i]->name);
	return g_string_free(s, FALSE);
}

gboolean
rd_mta_known(const char *mta)
{
	return mta_backend_find(mta) != NULL;
}

char *
rd_mta_lines(const char *mta, const char *community, const char *domain, char delimiter,
             const char *rounds_path, const char *home)
{
	const mta_backend *b = mta_backend_find(mta);
	g_autoptr(GString) s = g_string_new(NULL);
	g_autofree char *addr = NULL;
	g_autofree char *dom = NULL;
	mta_site site;
	int n;

	if (b == NULL || community == NULL || domain == NULL)
		return NULL;
	if (delimiter != '+' && delimiter != '-')
		delimiter = '+';
	dom = g_ascii_strdown(domain, -1);
	addr = g_strdup_printf("%s@%s", community, dom);
	site = (mta_site){addr, dom, delimiter, rounds_path ? rounds_path : DEFAULT_ROUNDS,
	                  home ? home : DEFAULT_HOME};
	/* The first line is every MTA's: which addresses the lines route. */
	n = (int)strcspn(addr, "@");
	g_string_append_printf(
	    s, "# %s: route every address of %s (%s, %.*s%crequest@, %.*s%cr-TOKEN@, ...)\n",
	    b->title, dom, addr, n, addr, delimiter, n, addr, delimiter);
	b->lines(s, &site);
	return g_string_free(g_steal_pointer(&s), FALSE);
}

GPtrArray *
rd_mta_check(const char *mta, const char *config_dir, const char *const *community_addresses,
             char delimiter, GError **error)
{
	/* No MTA named is the default of rounds.conf: Postfix. */
	const mta_backend *b = mta ? mta_backend_find(mta) : &mta_postfix;

	if (b == NULL) {
		g_autofree char *names = mta_backend_names();

		g_set_error(error, RD_ERROR, RD_CONFIG, "mta must be %s, not %s", names, mta);
		return NULL;
	}
	return b->check(config_dir ? config_dir : b->config_dir, community_addresses, delimiter,
	                error);
}

/* ---- helpers shared by the checks ---- */

/* One problem per line; the same sentence is reported once. */
void
mta_problem(GPtrArray *problems, const char *fmt, ...)
{
	va_list ap;
	char *msg;

	va_start(ap, fmt);
	msg = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	for (guint i = 0; i < problems->len; i++) {
		if (strcmp(problems->pdata[i], msg) == 0) {
			g_free(msg);
			return;
		}
	}
	g_ptr_array_add(problems, msg);
}

/* Split "local@domain"; FALSE when it is not an address. */
gboolean
mta_split_address(const char *addr, char **local, char **domain)
{
	const char *at = strrchr(addr, '@');

	if (at == NULL || at == addr || at[1] == '\0')
		return FALSE;
	*local = g_ascii_strdown(addr, at - addr);
	*domain = g_ascii_strdown(at + 1, -1);
	return TRUE;
}

/* Every address of the community whose post address is LOCAL@DOMAIN, with
 * the name of its kind: pairs (address, kind) in a flat array. */
GPtrArray *
mta_address_kinds(const char *local, const char *domain, char delim)
{
	GPtrArray *a = g_ptr_array_new_with_free_func(g_free);

	g_ptr_array_add(a, g_strdup_printf("%s@%s", local, domain));
	g_ptr_array_add(a, g_strdup("post"));
	for (gsize i = 0; i < G_N_ELEMENTS(sample_ext); i++) {
		g_ptr_array_add(a,
		                g_strdup_printf("%s%c%s@%s", local, delim, sample_ext[i], domain));
		g_ptr_array_add(a, g_strdup_printf("%c%s", delim, sample_ext[i]));
	}
	/* The fixed "-request" form works whatever the delimiter. */
	if (delim != '-') {
		g_ptr_array_add(a, g_strdup_printf("%s-request@%s", local, domain));
		g_ptr_array_add(a, g_strdup("-request"));
	}
	return a;
}

gboolean
mta_word_in(const char *list, const char *word)
{
	g_auto(GStrv) parts = g_strsplit_set(list ? list : "", " \t\n,", -1);

	for (char **p = parts; *p != NULL; p++) {
		if (**p != '\0' && g_ascii_strcasecmp(*p, word) == 0)
			return TRUE;
	}
	return FALSE;
}

GPtrArray *
mta_logical_lines(const char *text)
{
	GPtrArray *out = g_ptr_array_new_with_free_func(g_free);
	g_auto(GStrv) lines = g_strsplit(text, "\n", -1);
	GString *cur = NULL;

	for (char **l = lines; *l != NULL; l++) {
		char *line = *l;
		gsize n;

		n = strlen(line);
		if (cur == NULL) {
			const char *s = line + strspn(line, " \t");

			if (*s == '#')
				continue;
			cur = g_string_new(NULL);
			/* Keep the indentation: Exim driver names start at column 0. */
		} else {
			line = line + strspn(line, " \t");
			n = strlen(line);
		}
		if (n > 0 && line[n - 1] == '\\') {
			g_string_append_len(cur, line, n - 1);
			continue;
		}
		g_string_append(cur, line);
		g_ptr_array_add(out, g_string_free(cur, FALSE));
		cur = NULL;
	}
	if (cur != NULL)
		g_ptr_array_add(out, g_string_free(cur, FALSE));
	return out;
}
