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
 * finds the row; what the rows share is mta-util.c (mta-internal.h).
 */
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

gboolean
rd_mta_has_lmtp(const char *mta)
{
	const mta_backend *b = mta_backend_find(mta);

	return b != NULL && b->lmtp_lines != NULL;
}

static char *
mta_lines(const char *mta, const char *community, const char *domain, char delimiter,
          const char *rounds_path, const char *home, const char *lmtp_socket)
{
	const mta_backend *b = mta_backend_find(mta);
	g_autoptr(GString) s = g_string_new(NULL);
	g_autofree char *addr = NULL;
	g_autofree char *dom = NULL;
	mta_site site;
	int n;

	if (b == NULL || community == NULL || domain == NULL ||
	    (lmtp_socket != NULL && b->lmtp_lines == NULL))
		return NULL;
	if (delimiter != '+' && delimiter != '-')
		delimiter = '+';
	dom = g_ascii_strdown(domain, -1);
	addr = g_strdup_printf("%s@%s", community, dom);
	site = (mta_site){addr, dom, delimiter, rounds_path ? rounds_path : DEFAULT_ROUNDS,
	                  home ? home : DEFAULT_HOME, lmtp_socket};
	/* The first line is every MTA's: which addresses the lines route. */
	n = (int)strcspn(addr, "@");
	g_string_append_printf(
	    s, "# %s: route every address of %s (%s, %.*s%crequest@, %.*s%cr-TOKEN@, ...)\n",
	    b->title, dom, addr, n, addr, delimiter, n, addr, delimiter);
	if (lmtp_socket != NULL)
		b->lmtp_lines(s, &site);
	else
		b->lines(s, &site);
	return g_string_free(g_steal_pointer(&s), FALSE);
}

char *
rd_mta_lines(const char *mta, const char *community, const char *domain, char delimiter,
             const char *rounds_path, const char *home)
{
	return mta_lines(mta, community, domain, delimiter, rounds_path, home, NULL);
}

char *
rd_mta_lmtp_lines(const char *mta, const char *community, const char *domain, char delimiter,
                  const char *lmtp_socket)
{
	if (lmtp_socket == NULL)
		return NULL;
	return mta_lines(mta, community, domain, delimiter, NULL, NULL, lmtp_socket);
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
