/* mta-exim.c - the Exim row of the mta backend table: an accept router and
 * a pipe transport, and their check.
 *
 * The configuration text is read directly: one file, or every file below a
 * directory as in Debian's split configuration.  The first accept router for
 * a community's domain decides, as in Exim, and its transport must pipe into
 * rounds deliver.  See mta-hooks/exim/README.
 */
#include <string.h>

#include "mta-internal.h"

/* The head both ways share: the domain to accept and the router. */
static void
exim_router(GString *s, const mta_site *site, const char *transport)
{
	g_string_append_printf(
	    s,
	    "# to rounds.  The lines are per domain: add them once for %s, and add\n"
	    "# %s to local_domains (Debian: dc_other_hostnames in\n"
	    "# /etc/exim4/update-exim4.conf.conf).  See mta-hooks/exim/README.\n"
	    "#\n"
	    "# Router, before dnslookup (Debian: /etc/exim4/conf.d/router/150_rounds):\n"
	    "rounds:\n"
	    "  driver = accept\n"
	    "  domains = %s\n"
	    "  transport = %s\n"
	    "#\n"
	    "# Transport (Debian: /etc/exim4/conf.d/transport/30_rounds):\n",
	    site->domain, site->domain, site->domain, transport);
}

#define EXIM_THEN                                                                              \
	"#\n"                                                                                   \
	"# Then: update-exim4.conf && systemctl reload exim4; "                                \
	"rounds mta check --config-dir /etc/exim4\n"

static void
exim_lines(GString *s, const mta_site *site)
{
	exim_router(s, site, "rounds_pipe");
	g_string_append_printf(s,
	                       "rounds_pipe:\n"
	                       "  driver = pipe\n"
	                       "  command = %s --home %s deliver --recipient $local_part@$domain "
	                       "--sender=$sender_address\n"
	                       "  user = rounds\n"
	                       "  group = rounds\n"
	                       "  temp_errors = 75\n"
	                       "  return_fail_output\n"
	                       "  log_output\n"
	                       "  freeze_exec_fail\n"
	                       "  delivery_date_add\n"
	                       "  envelope_to_add\n"
	                       "  return_path_add\n"
	                       "  timeout = 10m\n" EXIM_THEN,
	                       site->rounds, site->home);
}

/* The LMTP way: the same router, Exim's lmtp transport to the socket of
 * rounds lmtp (which must be writable by Exim's user). */
static void
exim_lmtp_lines(GString *s, const mta_site *site)
{
	exim_router(s, site, "rounds_lmtp");
	g_string_append_printf(s,
	                       "rounds_lmtp:\n"
	                       "  driver = lmtp\n"
	                       "  socket = %s\n"
	                       "  batch_max = 50\n"
	                       "  rcpt_include_affixes\n"
	                       "  return_path_add\n" EXIM_THEN,
	                       site->lmtp);
}

/* Read FILE, or every regular file below the directory FILE (two levels, as
 * in Debian's split Exim configuration), into one text. */
static void
exim_read_tree(GString *all, const char *path, int depth)
{
	g_autoptr(GDir) d = NULL;
	const char *name;

	if (g_file_test(path, G_FILE_TEST_IS_REGULAR)) {
		g_autofree char *text = NULL;
		gsize len;

		if (g_file_get_contents(path, &text, &len, NULL) && len < 4 * 1024 * 1024) {
			g_string_append(all, text);
			g_string_append_c(all, '\n');
		}
		return;
	}
	if (depth > 2 || (d = g_dir_open(path, 0, NULL)) == NULL)
		return;
	{
		g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func(g_free);

		/* Sorted, as update-exim4.conf joins the pieces. */
		while ((name = g_dir_read_name(d)) != NULL) {
			if (name[0] == '.' || g_str_has_suffix(name, "~") ||
			    g_str_has_suffix(name, ".bak") || g_str_has_suffix(name, ".db"))
				continue;
			g_ptr_array_add(names, g_strdup(name));
		}
		g_ptr_array_sort(names, (GCompareFunc)g_strcmp0);
		for (guint i = 0; i < names->len; i++) {
			g_autofree char *sub = g_build_filename(path, names->pdata[i], NULL);

			exim_read_tree(all, sub, depth + 1);
		}
	}
}

typedef struct {
	char *name;
	GHashTable *opts; /* option -> value ("" for a bare flag) */
} exim_driver;

static void
exim_driver_free(exim_driver *d)
{
	g_free(d->name);
	g_hash_table_unref(d->opts);
	g_free(d);
}

static const char *
exim_opt(const exim_driver *d, const char *key)
{
	return g_hash_table_lookup(d->opts, key);
}

static gboolean
exim_list_has(GHashTable *lists, const char *list, const char *domain, int depth)
{
	g_auto(GStrv) items = g_strsplit(list, ":", -1);

	for (char **it = items; *it != NULL; it++) {
		char *v = g_strstrip(*it);

		if (*v == '\0' || *v == '!')
			continue;
		if (*v == '+') {
			const char *sub = g_hash_table_lookup(lists, v + 1);

			if (sub != NULL && depth < 5 &&
			    exim_list_has(lists, sub, domain, depth + 1))
				return TRUE;
			continue;
		}
		/* Lookups, macros and wildcards cannot be decided here: trust them. */
		if (strchr(v, ';') != NULL || strchr(v, '*') != NULL || g_ascii_isupper(v[0]) ||
		    v[0] == '$' || v[0] == '@')
			return TRUE;
		if (g_ascii_strcasecmp(v, domain) == 0)
			return TRUE;
	}
	return FALSE;
}

static gboolean
exim_transport_ok(GPtrArray *problems, const exim_driver *t, const exim_driver *router)
{
	const char *cmd = exim_opt(t, "command");
	const char *user = exim_opt(t, "user");
	const char *temp = exim_opt(t, "temp_errors");
	gboolean ok = TRUE;

	if (user == NULL && router != NULL)
		user = exim_opt(router, "user");
	if (cmd == NULL || strstr(cmd, "rounds") == NULL || strstr(cmd, "deliver") == NULL) {
		mta_problem(problems, "exim: the transport %s does not run rounds deliver",
		            t->name);
		return FALSE;
	}
	if (strstr(cmd, "--recipient") == NULL || strstr(cmd, "local_part") == NULL ||
	    strstr(cmd, "domain") == NULL) {
		mta_problem(
		    problems,
		    "exim: the transport %s must pass --recipient $local_part@$domain, or rounds "
		    "cannot tell which address the mail was for",
		    t->name);
		ok = FALSE;
	}
	if (router != NULL && exim_opt(router, "local_part_suffix") != NULL &&
	    strstr(cmd, "local_part_suffix") == NULL) {
		mta_problem(
		    problems,
		    "exim: the router %s strips a local_part_suffix that the transport %s does "
		    "not pass on ($local_part$local_part_suffix@$domain): tokens would be lost",
		    router->name, t->name);
		ok = FALSE;
	}
	if (user == NULL || strcmp(user, "root") == 0 || strcmp(user, "0") == 0) {
		mta_problem(problems, "exim: the transport %s must set user = rounds (never root)",
		            t->name);
		ok = FALSE;
	}
	if (temp != NULL && strstr(temp, "75") == NULL && strcmp(temp, "*") != 0) {
		mta_problem(
		    problems,
		    "exim: temp_errors of the transport %s lacks 75, so a temporary failure of "
		    "rounds would bounce the mail",
		    t->name);
		ok = FALSE;
	}
	return ok;
}

static GPtrArray *
exim_check(const char *dir, const char *const *addrs, char delim, GError **error)
{
	g_autoptr(GString) text = g_string_new(NULL);
	g_autoptr(GPtrArray) lines = NULL;
	g_autoptr(GPtrArray) drivers =
	    g_ptr_array_new_with_free_func((GDestroyNotify)exim_driver_free);
	g_autoptr(GHashTable) lists =
	    g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
	g_autoptr(GPtrArray) problems = g_ptr_array_new_with_free_func(g_free);
	exim_driver *cur = NULL;

	exim_read_tree(text, dir, 0);
	if (text->len == 0) {
		g_set_error(error, RD_ERROR, RD_CONFIG, "there is no Exim configuration in %s",
		            dir);
		return NULL;
	}
	lines = mta_logical_lines(text->str);
	for (guint i = 0; i < lines->len; i++) {
		char *l = lines->pdata[i];
		g_autofree char *s = g_strstrip(g_strdup(l));
		gsize n = strlen(s);
		char *eq;

		if (n == 0)
			continue;
		if (g_str_has_prefix(s, "domainlist ") && (eq = strchr(s, '=')) != NULL) {
			g_autofree char *name = g_strndup(s + 11, eq - s - 11);

			g_hash_table_replace(lists, g_strdup(g_strstrip(name)),
			                     g_strstrip(g_strdup(eq + 1)));
			continue;
		}
		if (!g_ascii_isspace(l[0]) && s[n - 1] == ':' && strchr(s, ' ') == NULL) {
			cur = g_new0(exim_driver, 1);
			cur->name = g_strndup(s, n - 1);
			cur->opts = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
			g_ptr_array_add(drivers, cur);
			continue;
		}
		if (g_str_has_prefix(s, "begin ")) {
			cur = NULL;
			continue;
		}
		if (cur == NULL)
			continue;
		if ((eq = strchr(s, '=')) != NULL) {
			g_autofree char *key = g_strndup(s, eq - s);

			g_hash_table_replace(cur->opts, g_strdup(g_strstrip(key)),
			                     g_strstrip(g_strdup(eq + 1)));
		} else {
			g_hash_table_replace(cur->opts, g_strdup(s), g_strdup(""));
		}
	}
	for (; addrs != NULL && *addrs != NULL; addrs++) {
		g_autofree char *local = NULL, *domain = NULL;
		const exim_driver *router = NULL, *transport = NULL;

		if (!mta_split_address(*addrs, &local, &domain))
			continue;
		/* The first accept router for the domain decides, as in Exim. */
		for (guint i = 0; i < drivers->len && router == NULL; i++) {
			const exim_driver *d = drivers->pdata[i];
			const char *drv = exim_opt(d, "driver");
			const char *doms = exim_opt(d, "domains");

			if (drv == NULL || strcmp(drv, "accept") != 0 ||
			    exim_opt(d, "transport") == NULL)
				continue;
			if (doms == NULL || exim_list_has(lists, doms, domain, 0))
				router = d;
		}
		if (router != NULL) {
			for (guint i = 0; i < drivers->len; i++) {
				const exim_driver *d = drivers->pdata[i];

				if (strcmp(d->name, exim_opt(router, "transport")) == 0)
					transport = d;
			}
		}
		if (router == NULL || transport == NULL ||
		    g_strcmp0(exim_opt(transport, "driver"), "pipe") != 0) {
			mta_problem(
			    problems,
			    "exim: no accept router sends %s to a pipe transport into rounds "
			    "deliver (domains = %s)",
			    *addrs, domain);
			continue;
		}
		if (exim_opt(router, "domains") == NULL)
			mta_problem(
			    problems,
			    "exim: the router %s has no domains option: it would take the mail of "
			    "every domain",
			    router->name);
		if (exim_opt(router, "local_parts") != NULL &&
		    !strstr(exim_opt(router, "local_parts"), local) &&
		    !strchr(exim_opt(router, "local_parts"), ';'))
			mta_problem(problems, "exim: local_parts of the router %s leaves out %s",
			            router->name, *addrs);
		if (exim_opt(router, "local_part_suffix") != NULL) {
			g_autofree char *want = g_strdup_printf("%c*", delim);

			if (exim_opt(router, "local_part_suffix_optional") == NULL)
				mta_problem(
				    problems,
				    "exim: the router %s needs local_part_suffix_optional, or %s "
				    "itself does not match",
				    router->name, *addrs);
			if (!strstr(exim_opt(router, "local_part_suffix"), want))
				mta_problem(problems,
				            "exim: local_part_suffix of the router %s lacks %s, so "
				            "%s%cr-TOKEN@%s does not match",
				            router->name, want, local, delim, domain);
		}
		exim_transport_ok(problems, transport, router);
	}
	return g_steal_pointer(&problems);
}

const mta_backend mta_exim = {
    .name = "exim",
    .title = "Exim",
    .config_dir = "/etc/exim4",
    .lines = exim_lines,
    .lmtp_lines = exim_lmtp_lines,
    .check = exim_check,
};
