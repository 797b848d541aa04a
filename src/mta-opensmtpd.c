/* mta-opensmtpd.c - the OpenSMTPD row of the mta backend table: an mda
 * action and a match line, and their check.
 *
 * smtpd.conf is read directly.  The first match line that takes mail from
 * the Internet for a community's domain decides, as in smtpd, and its
 * action must run rounds deliver as the rounds user.  See
 * mta-hooks/opensmtpd/README.
 */
#include <string.h>

#include "mta-internal.h"

static void
opensmtpd_lines(GString *s, const mta_site *site)
{
	g_string_append_printf(
	    s,
	    "# to rounds.  The lines are per domain: add them once for %s, above any\n"
	    "# other match line that would take the domain.  See mta-hooks/opensmtpd/README.\n"
	    "#\n"
	    "# /etc/smtpd.conf:\n"
	    "action \"rounds\" mda \"%s --home %s deliver --recipient '%%{rcpt}' "
	    "--sender='%%{sender}'\" user rounds\n"
	    "match from any for domain \"%s\" action \"rounds\"\n"
	    "#\n"
	    "# Then: smtpd -n && rcctl restart smtpd (or systemctl restart opensmtpd); "
	    "rounds mta check --config-dir /etc\n",
	    site->domain, site->rounds, site->home, site->domain);
}

/* The LMTP way: an lmtp action to the socket, one transaction per
 * recipient (rcpt-to passes the whole address, token and all). */
static void
opensmtpd_lmtp_lines(GString *s, const mta_site *site)
{
	g_string_append_printf(
	    s,
	    "# to rounds lmtp over LMTP.  The lines are per domain: add them once for %s,\n"
	    "# above any other match line that would take the domain.\n"
	    "# See mta-hooks/opensmtpd/README.\n"
	    "#\n"
	    "# /etc/smtpd.conf:\n"
	    "action \"rounds\" lmtp \"%s\" rcpt-to user rounds\n"
	    "match from any for domain \"%s\" action \"rounds\"\n"
	    "#\n"
	    "# user rounds: the delivery connects as the socket's owner.\n"
	    "# Then: smtpd -n && rcctl restart smtpd (or systemctl restart opensmtpd); "
	    "rounds mta check --config-dir /etc\n",
	    site->domain, site->lmtp, site->domain);
}

/* Split a smtpd.conf line into words; quotes group, braces stand alone. */
static GPtrArray *
smtpd_words(const char *line)
{
	GPtrArray *w = g_ptr_array_new_with_free_func(g_free);
	const char *c = line;

	while (*c != '\0') {
		GString *cur;

		while (*c == ' ' || *c == '\t' || *c == ',')
			c++;
		if (*c == '\0' || *c == '#')
			break;
		cur = g_string_new(NULL);
		if (*c == '"') {
			for (c++; *c != '\0' && *c != '"'; c++)
				g_string_append_c(cur, *c);
			if (*c == '"')
				c++;
		} else if (*c == '{' || *c == '}') {
			g_string_append_c(cur, *c++);
		} else {
			while (*c != '\0' && !strchr(" \t,{}\"#", *c))
				g_string_append_c(cur, *c++);
		}
		g_ptr_array_add(w, g_string_free(cur, FALSE));
	}
	return w;
}

static gboolean
smtpd_table_has(GHashTable *tables, const char *name, const char *domain)
{
	GPtrArray *vals = g_hash_table_lookup(tables, name);

	for (guint i = 0; vals != NULL && i < vals->len; i++) {
		const char *v = vals->pdata[i];

		if (g_ascii_strcasecmp(v, domain) == 0)
			return TRUE;
		if (g_str_has_prefix(v, "file:") || v[0] == '/') {
			g_autofree char *text = NULL;
			const char *path = v[0] == '/' ? v : v + 5;

			if (g_file_get_contents(path, &text, NULL, NULL) &&
			    mta_word_in(text, domain))
				return TRUE;
		}
	}
	return FALSE;
}

/* Does the argument of "for domain" (a name or <table>) take DOMAIN? */
static gboolean
smtpd_for_domain(GHashTable *tables, const char *arg, const char *domain)
{
	g_autofree char *name = NULL;

	if (arg[0] != '<')
		return g_ascii_strcasecmp(arg, domain) == 0;
	name = g_strndup(arg + 1, strcspn(arg + 1, ">"));
	return smtpd_table_has(tables, name, domain);
}

/* The first match line that takes DOMAIN: with REMOTE, among the lines whose
 * "from" lets Internet mail in ("for any" included); otherwise among the
 * local-only lines that name the domain. */
static GPtrArray *
smtpd_first_match(GPtrArray *matches, GHashTable *tables, const char *domain, gboolean remote)
{
	for (guint i = 0; i < matches->len; i++) {
		GPtrArray *w = matches->pdata[i];
		const char *const *v = (const char *const *)w->pdata;
		gboolean from_remote = FALSE, takes = FALSE;

		for (guint j = 0; j + 1 < w->len; j++) {
			if (strcmp(v[j], "from") == 0 && strcmp(v[j + 1], "local") != 0)
				from_remote = TRUE;
			if (strcmp(v[j], "for") != 0)
				continue;
			if (strcmp(v[j + 1], "any") == 0 && remote)
				takes = TRUE;
			else if (strcmp(v[j + 1], "domain") == 0 && j + 2 < w->len &&
			         smtpd_for_domain(tables, v[j + 2], domain))
				takes = TRUE;
		}
		if (takes && from_remote == remote)
			return w;
	}
	return NULL;
}

static GPtrArray *
opensmtpd_check(const char *dir, const char *const *addrs, char delim, GError **error)
{
	g_autofree char *path = NULL;
	g_autofree char *text = NULL;
	g_autoptr(GPtrArray) lines = NULL;
	g_autoptr(GPtrArray) problems = g_ptr_array_new_with_free_func(g_free);
	g_autoptr(GHashTable) tables = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
	                                                     (GDestroyNotify)g_ptr_array_unref);
	g_autoptr(GHashTable) actions =
	    g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	g_autoptr(GPtrArray) matches =
	    g_ptr_array_new_with_free_func((GDestroyNotify)g_ptr_array_unref);

	path = g_file_test(dir, G_FILE_TEST_IS_DIR) ? g_build_filename(dir, "smtpd.conf", NULL)
	                                            : g_strdup(dir);
	if (!g_file_get_contents(path, &text, NULL, NULL)) {
		g_set_error(error, RD_ERROR, RD_CONFIG,
		            "cannot read the OpenSMTPD configuration %s", path);
		return NULL;
	}
	lines = mta_logical_lines(text);
	for (guint i = 0; i < lines->len; i++) {
		g_autoptr(GPtrArray) w = smtpd_words(lines->pdata[i]);
		const char *const *v = (const char *const *)w->pdata;

		if (w->len >= 3 && strcmp(v[0], "table") == 0) {
			GPtrArray *vals = g_ptr_array_new_with_free_func(g_free);

			for (guint j = 2; j < w->len; j++) {
				if (strcmp(v[j], "{") != 0 && strcmp(v[j], "}") != 0)
					g_ptr_array_add(vals, g_strdup(v[j]));
			}
			g_hash_table_replace(tables, g_strdup(v[1]), vals);
		} else if (w->len >= 4 && strcmp(v[0], "action") == 0 && strcmp(v[2], "mda") == 0) {
			const char *cmd = v[3];
			const char *user = NULL;
			gboolean ok = TRUE;

			for (guint j = 4; j + 1 < w->len; j++) {
				if (strcmp(v[j], "user") == 0)
					user = v[j + 1];
			}
			if (strstr(cmd, "rounds") == NULL || strstr(cmd, "deliver") == NULL)
				continue;
			if (strstr(cmd, "--recipient") == NULL || strstr(cmd, "%{rcpt}") == NULL) {
				mta_problem(
				    problems,
				    "opensmtpd: the action %s must pass --recipient '%%{rcpt}', or "
				    "rounds cannot tell which address the mail was for",
				    v[1]);
				ok = FALSE;
			}
			if (user == NULL || strcmp(user, "root") == 0) {
				mta_problem(
				    problems,
				    "opensmtpd: the action %s must run as the rounds user (user "
				    "rounds), never as root",
				    v[1]);
				ok = FALSE;
			}
			g_hash_table_replace(actions, g_strdup(v[1]), GINT_TO_POINTER(ok));
		} else if (w->len >= 2 && strcmp(v[0], "match") == 0) {
			g_ptr_array_add(matches, g_ptr_array_ref(w));
		}
	}
	if (g_hash_table_size(actions) == 0)
		mta_problem(problems, "opensmtpd: no action runs rounds deliver through mda");
	for (; addrs != NULL && *addrs != NULL; addrs++) {
		g_autofree char *local = NULL, *domain = NULL;
		GPtrArray *found = NULL;

		if (!mta_split_address(*addrs, &local, &domain))
			continue;
		/* The first match line for the domain wins, as in smtpd; mail from the
		 * Internet only sees lines with a "from" other than local. */
		found = smtpd_first_match(matches, tables, domain, TRUE);
		if (found == NULL) {
			if (smtpd_first_match(matches, tables, domain, FALSE) != NULL)
				mta_problem(
				    problems,
				    "opensmtpd: the match line for %s lacks \"from any\", so only "
				    "local mail would reach rounds",
				    domain);
			else
				mta_problem(
				    problems,
				    "opensmtpd: no match line takes mail for %s (match from any "
				    "for domain \"%s\" action \"rounds\")",
				    domain, domain);
			continue;
		}
		{
			const char *const *v = (const char *const *)found->pdata;
			const char *action = NULL;
			gpointer ok;

			for (guint j = 0; j + 1 < found->len; j++) {
				if (strcmp(v[j], "action") == 0)
					action = v[j + 1];
			}
			if (action == NULL ||
			    !g_hash_table_lookup_extended(actions, action, NULL, &ok))
				mta_problem(
				    problems,
				    "opensmtpd: the first match line for %s sends it to the action "
				    "%s, which does not run rounds deliver",
				    domain, action ? action : "(none)");
		}
	}
	(void)delim; /* the whole domain goes to rounds, whatever the delimiter */
	return g_steal_pointer(&problems);
}

const mta_backend mta_opensmtpd = {
    .name = "opensmtpd",
    .title = "OpenSMTPD",
    .config_dir = "/etc",
    .lines = opensmtpd_lines,
    .lmtp_lines = opensmtpd_lmtp_lines,
    .check = opensmtpd_check,
};
