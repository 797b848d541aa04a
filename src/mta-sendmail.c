/* mta-sendmail.c - the sendmail row of the mta backend table: a mailer of
 * its own, a mailertable line and relay-domains, and their check.
 *
 * sendmail.cf or sendmail.mc, mailertable and relay-domains (or
 * local-host-names) are read directly.  See mta-hooks/sendmail/README.
 */
#include <string.h>

#include "mta-internal.h"

static void
sendmail_lines(GString *s, const mta_site *site)
{
	g_string_append_printf(
	    s,
	    "# to rounds through a mailer of its own.  The mailer is defined once; the\n"
	    "# mailertable and relay-domains lines once per domain.\n"
	    "# See mta-hooks/sendmail/README.\n"
	    "#\n"
	    "# /etc/mail/sendmail.mc (FEATURE before the MAILER lines, the rest at the end):\n"
	    "FEATURE(`mailertable')dnl\n"
	    "MAILER_DEFINITIONS\n"
	    "Mrounds, P=%s, F=DFMPlqs, U=rounds:rounds, S=EnvFromL, R=EnvToL/HdrToL, "
	    "T=DNS/RFC822/X-Unix,\n"
	    "\tA=rounds --home %s deliver --recipient $u@$h --sender=$g\n"
	    "#\n"
	    "# /etc/mail/mailertable (then: make -C /etc/mail):\n"
	    "%s\trounds:%s\n"
	    "#\n"
	    "# /etc/mail/relay-domains:\n"
	    "%s\n"
	    "#\n"
	    "# Then: make -C /etc/mail && systemctl restart sendmail; "
	    "rounds mta check --config-dir /etc/mail\n",
	    site->rounds, site->home, site->domain, site->domain, site->domain);
}

static GPtrArray *
sendmail_check(const char *dir, const char *const *addrs, char delim, GError **error)
{
	g_autofree char *mt_path = NULL, *mt = NULL;
	g_autoptr(GString) cf = g_string_new(NULL);
	g_autoptr(GPtrArray) problems = g_ptr_array_new_with_free_func(g_free);
	g_autofree char *relay = NULL;
	g_autofree char *mailer = NULL;
	const char *rel_files[] = {"relay-domains", "local-host-names"};

	for (gsize i = 0; i < 2; i++) {
		static const char *const names[] = {"sendmail.cf", "sendmail.mc"};
		g_autofree char *p = g_build_filename(dir, names[i], NULL);
		g_autofree char *t = NULL;

		if (g_file_get_contents(p, &t, NULL, NULL)) {
			g_string_append(cf, t);
			g_string_append_c(cf, '\n');
		}
	}
	if (cf->len == 0) {
		g_set_error(error, RD_ERROR, RD_CONFIG,
		            "there is no sendmail.cf or sendmail.mc in %s", dir);
		return NULL;
	}
	/* A mailer definition continues on lines that start with a tab. */
	{
		g_auto(GStrv) raw = g_strsplit(cf->str, "\n", -1);
		GString *def = NULL;

		for (char **l = raw; *l != NULL; l++) {
			if (def != NULL && (**l == '\t' || **l == ' ')) {
				g_string_append(def, *l);
				continue;
			}
			if (def != NULL)
				break;
			if (g_str_has_prefix(*l, "Mrounds,") || g_str_has_prefix(*l, "Mrounds "))
				def = g_string_new(*l);
		}
		if (def != NULL)
			mailer = g_string_free(def, FALSE);
	}
	if (mailer == NULL) {
		mta_problem(
		    problems,
		    "sendmail: no mailer Mrounds is defined (MAILER_DEFINITIONS in sendmail.mc)");
	} else {
		const char *a = strstr(mailer, "A=");
		const char *u = strstr(mailer, "U=");
		const char *f = strstr(mailer, "F=");

		if (a == NULL || strstr(a, "deliver") == NULL || strstr(a, "--recipient") == NULL ||
		    strstr(a, "$u") == NULL)
			mta_problem(
			    problems,
			    "sendmail: the rounds mailer must run rounds ... deliver --recipient "
			    "$u@$h (A=)");
		if (u == NULL || g_str_has_prefix(u, "U=root") || g_str_has_prefix(u, "U=0"))
			mta_problem(
			    problems,
			    "sendmail: the rounds mailer must run as the rounds user (U=rounds:"
			    "rounds), never as root");
		if (f != NULL) {
			gsize n = strcspn(f + 2, ", \t");

			if (memchr(f + 2, 'm', n) != NULL)
				mta_problem(
				    problems,
				    "sendmail: the rounds mailer must not have the m flag: rounds "
				    "takes one recipient per run");
		}
	}
	mt_path = g_build_filename(dir, "mailertable", NULL);
	if (!g_file_get_contents(mt_path, &mt, NULL, NULL))
		mt = g_strdup("");
	for (gsize i = 0; i < G_N_ELEMENTS(rel_files); i++) {
		g_autofree char *p = g_build_filename(dir, rel_files[i], NULL);
		g_autofree char *t = NULL;

		if (g_file_get_contents(p, &t, NULL, NULL)) {
			char *old = relay;

			relay = g_strconcat(old ? old : "", "\n", t, NULL);
			g_free(old);
		}
	}
	for (; addrs != NULL && *addrs != NULL; addrs++) {
		g_autofree char *local = NULL, *domain = NULL;
		g_auto(GStrv) mlines = NULL;
		gboolean routed = FALSE;

		if (!mta_split_address(*addrs, &local, &domain))
			continue;
		mlines = g_strsplit(mt, "\n", -1);
		for (char **l = mlines; *l != NULL; l++) {
			g_auto(GStrv) w = g_strsplit_set(g_strstrip(*l), " \t", 2);

			if (w[0] == NULL || w[1] == NULL || w[0][0] == '#')
				continue;
			if (g_ascii_strcasecmp(w[0], domain) == 0 &&
			    g_str_has_prefix(g_strstrip(w[1]), "rounds:"))
				routed = TRUE;
		}
		if (!routed)
			mta_problem(
			    problems,
			    "sendmail: mailertable has no line \"%s rounds:%s\", so %s is not "
			    "routed to rounds",
			    domain, domain, *addrs);
		if (!mta_word_in(relay, domain))
			mta_problem(
			    problems,
			    "sendmail: %s is not in relay-domains, so sendmail refuses its mail "
			    "(Relaying denied)",
			    domain);
	}
	(void)delim;
	return g_steal_pointer(&problems);
}

const mta_backend mta_sendmail = {
    .name = "sendmail",
    .title = "sendmail",
    .config_dir = "/etc/mail",
    .lines = sendmail_lines,
    .check = sendmail_check,
};
