/* mta-postfix.c - the Postfix row of the mta backend table: the lines of
 * main.cf, transport and master.cf, and their check.
 *
 * Postfix is asked through postconf(1) and postmap(1), so that its own
 * parser decides what the configuration says: the check looks up every
 * address kind the way trivial-rewrite(8) would and then reads the master.cf
 * entry of the transport it finds.  See mta-hooks/postfix/README.
 */
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "mta-internal.h"

/* What both ways put in main.cf, after the first line of the comment. */
static void
postfix_main_cf(GString *s, const mta_site *site)
{
	g_string_append_printf(s,
	                       "#\n"
	                       "# /etc/postfix/main.cf (add %s to an existing relay_domains or\n"
	                       "# transport_maps list instead of replacing it):\n"
	                       "recipient_delimiter = %c\n"
	                       "relay_domains = %s\n"
	                       "transport_maps = hash:$config_directory/transport\n",
	                       site->domain, site->delim, site->domain);
}

static void
postfix_lines(GString *s, const mta_site *site)
{
	g_string_append_printf(s,
	                       "# to rounds.  The lines are per domain: add them once for %s.\n"
	                       "# See mta-hooks/postfix/README for what each flag means.\n",
	                       site->domain);
	postfix_main_cf(s, site);
	g_string_append_printf(
	    s,
	    "rounds_destination_recipient_limit = 1\n"
	    "#\n"
	    "# /etc/postfix/transport (then run: postmap /etc/postfix/transport):\n"
	    "%s\trounds:\n"
	    "#\n"
	    "# /etc/postfix/master.cf:\n"
	    "rounds    unix  -       n       n       -       -       pipe\n"
	    "  flags=DRhu user=rounds argv=%s --home %s deliver --recipient ${recipient} "
	    "--sender ${sender}\n"
	    "#\n"
	    "# Then: postfix reload; rounds mta check\n",
	    site->domain, site->rounds, site->home);
}

/* The LMTP way: the transport is Postfix's own lmtp client. */
static void
postfix_lmtp_lines(GString *s, const mta_site *site)
{
	g_string_append_printf(
	    s,
	    "# to rounds lmtp over LMTP.  The lines are per domain: add them once for %s.\n"
	    "# See mta-hooks/postfix/README (\"The LMTP way\").\n",
	    site->domain);
	postfix_main_cf(s, site);
	g_string_append_printf(
	    s,
	    "#\n"
	    "# /etc/postfix/transport (then run: postmap /etc/postfix/transport):\n"
	    "%s\tlmtp:unix:%s\n"
	    "#\n"
	    "# master.cf: Debian runs the lmtp client chrooted in the queue directory,\n"
	    "# where %s is out of reach; unless the socket is below it, run:\n"
	    "#   postconf -F lmtp/unix/chroot=n\n"
	    "# The socket must be writable by group postfix (rounds-lmtp.socket).\n"
	    "#\n"
	    "# Then: postfix reload; rounds mta check\n",
	    site->domain, site->lmtp, site->lmtp);
}

static char *
pf_find_tool(const char *name)
{
	static const char *const dirs[] = {"/usr/sbin", "/usr/local/sbin", "/sbin"};
	char *p = g_find_program_in_path(name);

	for (gsize i = 0; p == NULL && i < G_N_ELEMENTS(dirs); i++) {
		char *c = g_build_filename(dirs[i], name, NULL);

		if (g_file_test(c, G_FILE_TEST_IS_EXECUTABLE))
			p = c;
		else
			g_free(c);
	}
	return p;
}

/* Run ARGV; standard output in *OUT, standard error in *ERR (when ERR is not
 * NULL), exit status in *STATUS (-1 when it did not exit normally).  FALSE
 * only when it could not be started. */
static gboolean
pf_run_tool(const char *const *argv, char **out, char **err, int *status)
{
	int wait_status = 0;

	if (!g_spawn_sync(NULL, (char **)argv, NULL, err ? 0 : G_SPAWN_STDERR_TO_DEV_NULL, NULL,
	                  NULL, out, err, &wait_status, NULL))
		return FALSE;
	*status = WIFEXITED(wait_status) ? WEXITSTATUS(wait_status) : -1;
	return TRUE;
}

typedef struct {
	char *dir;
	char *postconf;
	char *postmap;
	char delim;
	GHashTable *params;   /* name -> value, as postconf -x prints them */
	GHashTable *services; /* transport name -> GINT_TO_POINTER(ok) */
	GPtrArray *problems;
} pf_ctx;

static void
pf_clear(pf_ctx *p)
{
	g_free(p->dir);
	g_free(p->postconf);
	g_free(p->postmap);
	g_clear_pointer(&p->params, g_hash_table_unref);
	g_clear_pointer(&p->services, g_hash_table_unref);
}

/* Ask postconf for NAMES (with $name expansion); unknown names are absent. */
static gboolean
pf_params(pf_ctx *p, const char *const *names, GError **error)
{
	g_autoptr(GPtrArray) argv = g_ptr_array_new();
	g_autofree char *out = NULL;
	g_auto(GStrv) lines = NULL;
	int status;

	g_ptr_array_add(argv, p->postconf);
	g_ptr_array_add(argv, (gpointer) "-c");
	g_ptr_array_add(argv, p->dir);
	g_ptr_array_add(argv, (gpointer) "-x");
	for (; *names != NULL; names++)
		g_ptr_array_add(argv, (gpointer)*names);
	g_ptr_array_add(argv, NULL);
	if (!pf_run_tool((const char *const *)argv->pdata, &out, NULL, &status) || status != 0) {
		g_set_error(error, RD_ERROR, RD_CONFIG,
		            "postconf cannot read the configuration in %s", p->dir);
		return FALSE;
	}
	lines = g_strsplit(out, "\n", -1);
	for (char **l = lines; *l != NULL; l++) {
		char *eq = strstr(*l, " = ");

		if (eq == NULL) {
			/* "name =" with an empty value */
			gsize n = strlen(*l);

			if (n > 2 && strcmp(*l + n - 2, " =") == 0)
				g_hash_table_replace(p->params, g_strndup(*l, n - 2), g_strdup(""));
			continue;
		}
		g_hash_table_replace(p->params, g_strndup(*l, eq - *l), g_strdup(eq + 3));
	}
	return TRUE;
}

static const char *
pf_param(pf_ctx *p, const char *name)
{
	const char *v = g_hash_table_lookup(p->params, name);

	return v ? v : "";
}

/* Split a Postfix list ("hash:/a, inline:{x=y, z=w} b") into its items:
 * separators are commas and white space outside braces. */
static GPtrArray *
pf_split(const char *value)
{
	GPtrArray *items = g_ptr_array_new_with_free_func(g_free);
	GString *cur = g_string_new(NULL);
	int depth = 0;

	for (const char *c = value ? value : "";; c++) {
		gboolean sep = *c == '\0' || (depth == 0 && strchr(", \t\n", *c) != NULL);

		if (sep) {
			if (cur->len > 0)
				g_ptr_array_add(items, g_strdup(cur->str));
			g_string_truncate(cur, 0);
			if (*c == '\0')
				break;
			continue;
		}
		if (*c == '{')
			depth++;
		else if (*c == '}' && depth > 0)
			depth--;
		g_string_append_c(cur, *c);
	}
	g_string_free(cur, TRUE);
	return items;
}

/* Look KEY up in one table with postmap.  postmap exits 1 both for "not
 * found" and for a fatal error, so standard error tells them apart.  A table
 * of an indexed type whose compiled file is missing is read from its source
 * text instead, and the missing postmap run is reported. */
static char *
pf_query(pf_ctx *p, const char *table, const char *key)
{
	const char *argv[] = {p->postmap, "-c", p->dir, "-q", key, table, NULL};
	g_autofree char *out = NULL;
	g_autofree char *err = NULL;
	const char *fatal;
	const char *colon = strchr(table, ':');
	int status;

	if (!pf_run_tool(argv, &out, &err, &status))
		return NULL;
	if (status == 0)
		return g_strchomp(g_steal_pointer(&out));
	fatal = err ? strstr(err, "fatal: ") : NULL;
	if (fatal == NULL)
		return NULL;
	if (strstr(fatal, "open database") != NULL && colon != NULL &&
	    g_file_test(colon + 1, G_FILE_TEST_IS_REGULAR) &&
	    !g_str_has_prefix(table, "texthash:")) {
		g_autofree char *text = g_strdup_printf("texthash:%s", colon + 1);

		mta_problem(
		    p->problems,
		    "postfix: the table %s has not been compiled; run postmap %s and postfix "
		    "reload",
		    table, colon + 1);
		return pf_query(p, text, key);
	}
	fatal += strlen("fatal: ");
	mta_problem(p->problems, "postfix: postmap cannot read %s: %.*s", table,
	            (int)strcspn(fatal, "\n"), fatal);
	return NULL;
}

/* Find KEY in a list of tables, the first that has it. */
static char *
pf_lookup_list(pf_ctx *p, const char *tables, const char *key)
{
	g_autoptr(GPtrArray) items = pf_split(tables);

	for (guint i = 0; i < items->len; i++) {
		const char *t = items->pdata[i];
		char *v;

		if (strchr(t, ':') == NULL)
			continue;
		v = pf_query(p, t, key);
		if (v != NULL)
			return v;
	}
	return NULL;
}

/* Is DOMAIN in a Postfix domain list (names, /file/names, type:table)? */
static gboolean
pf_domain_in(pf_ctx *p, const char *list, const char *domain)
{
	g_autoptr(GPtrArray) items = pf_split(list);

	for (guint i = 0; i < items->len; i++) {
		const char *t = items->pdata[i];

		if (t[0] == '/') {
			g_autofree char *text = NULL;

			if (g_file_get_contents(t, &text, NULL, NULL) && mta_word_in(text, domain))
				return TRUE;
		} else if (strchr(t, ':') != NULL) {
			g_autofree char *v = pf_query(p, t, domain);

			if (v != NULL)
				return TRUE;
		} else if (g_ascii_strcasecmp(t, domain) == 0) {
			return TRUE;
		}
	}
	return FALSE;
}

/* The transport Postfix picks for ADDR from transport_maps, as trivial-rewrite
 * searches: the full address, then without its extension, then the domain. */
static char *
pf_transport(pf_ctx *p, const char *addr, const char *local, const char *domain)
{
	const char *maps = pf_param(p, "transport_maps");
	const char *delims = pf_param(p, "recipient_delimiter");
	char *v;

	if ((v = pf_lookup_list(p, maps, addr)) != NULL)
		return v;
	if (*delims != '\0') {
		gsize n = strcspn(local, delims);

		if (local[n] != '\0' && n > 0) {
			g_autofree char *bare = g_strdup_printf("%.*s@%s", (int)n, local, domain);

			if ((v = pf_lookup_list(p, maps, bare)) != NULL)
				return v;
		}
	}
	return pf_lookup_list(p, maps, domain);
}

/* The fields of NAME's "unix" entry in master.cf, runs of blanks dropped;
 * NULL when there is none, or (*READABLE FALSE) master.cf cannot be read. */
static GStrv
pf_master_fields(pf_ctx *p, const char *name, gboolean *readable)
{
	g_autofree char *req = g_strdup_printf("%s/unix", name);
	const char *argv[] = {p->postconf, "-c", p->dir, "-M", req, NULL};
	g_autofree char *out = NULL;
	GStrv f;
	int status, nf = 0;

	*readable = pf_run_tool(argv, &out, NULL, &status) && status == 0 && out != NULL;
	if (!*readable)
		return NULL;
	g_strstrip(out);
	if (*out == '\0')
		return NULL;
	f = g_strsplit_set(out, " \t\n", -1);
	for (int i = 0; f[i] != NULL; i++) {
		if (*f[i] != '\0')
			f[nf++] = f[i];
		else
			g_free(f[i]);
	}
	f[nf] = NULL;
	return f;
}

/* Check the master.cf entry of transport NAME; TRUE when it pipes into
 * rounds deliver properly. */
static gboolean
pf_service_ok(pf_ctx *p, const char *name)
{
	gpointer cached;
	g_auto(GStrv) f = NULL;
	gboolean ok = TRUE;
	gboolean has_rounds = FALSE, has_deliver = FALSE, has_rcpt = FALSE;
	const char *user = NULL;
	g_autofree char *limit_name = NULL;
	const char *limit_names[2] = {NULL, NULL};
	gboolean readable;
	int nf;

	if (g_hash_table_lookup_extended(p->services, name, NULL, &cached))
		return GPOINTER_TO_INT(cached);
	f = pf_master_fields(p, name, &readable);
	if (!readable) {
		mta_problem(p->problems, "postfix: cannot read master.cf in %s", p->dir);
		ok = FALSE;
		goto done;
	}
	if (f == NULL) {
		mta_problem(p->problems,
		            "postfix: master.cf has no service \"%s unix\" (the transport named in "
		            "transport_maps); add the rounds pipe service",
		            name);
		ok = FALSE;
		goto done;
	}
	nf = (int)g_strv_length(f);
	if (nf < 8 || strcmp(f[7], "pipe") != 0) {
		mta_problem(
		    p->problems,
		    "postfix: the service %s in master.cf runs %s, not pipe; rounds needs a "
		    "pipe(8) service",
		    name, nf >= 8 ? f[7] : "nothing");
		ok = FALSE;
		goto done;
	}
	if (strcmp(f[3], "n") != 0) {
		mta_problem(
		    p->problems,
		    "postfix: the service %s must have n in the unpriv column, or pipe cannot "
		    "switch to the rounds user",
		    name);
		ok = FALSE;
	}
	if (strcmp(f[4], "y") == 0) {
		mta_problem(
		    p->problems,
		    "postfix: the service %s runs chrooted (y in the chroot column); rounds "
		    "cannot reach its database from the chroot",
		    name);
		ok = FALSE;
	}
	for (int i = 8; i < nf; i++) {
		if (g_str_has_prefix(f[i], "user="))
			user = f[i] + 5;
		if (!g_str_has_prefix(f[i], "argv="))
			continue;
		if (g_str_has_suffix(f[i] + 5, "/rounds") || strcmp(f[i] + 5, "rounds") == 0)
			has_rounds = TRUE;
		for (int j = i + 1; j < nf; j++) {
			if (strcmp(f[j], "deliver") == 0)
				has_deliver = TRUE;
			if (strcmp(f[j - 1], "--recipient") == 0 &&
			    (strcmp(f[j], "${recipient}") == 0 || strcmp(f[j], "$recipient") == 0))
				has_rcpt = TRUE;
			if (g_str_has_prefix(f[j], "--recipient=${recipient}") ||
			    strcmp(f[j], "--recipient=$recipient") == 0)
				has_rcpt = TRUE;
		}
		break;
	}
	if (user == NULL || *user == '\0' || g_str_has_prefix(user, "root") ||
	    g_str_has_prefix(user, "0:") || strcmp(user, "0") == 0) {
		mta_problem(
		    p->problems,
		    "postfix: the service %s must run as the rounds user (user=rounds), never "
		    "as root",
		    name);
		ok = FALSE;
	}
	if (!has_rounds || !has_deliver) {
		mta_problem(
		    p->problems,
		    "postfix: the service %s does not run rounds deliver (argv=/usr/local/bin/"
		    "rounds ... deliver ...)",
		    name);
		ok = FALSE;
	} else if (!has_rcpt) {
		mta_problem(p->problems,
		            "postfix: the service %s must pass --recipient ${recipient}, or rounds "
		            "cannot tell which address the mail was for",
		            name);
		ok = FALSE;
	}
	/* With more than one recipient per run ${recipient} would expand to
	 * several arguments and rounds would see only the first. */
	limit_name = g_strdup_printf("%s_destination_recipient_limit", name);
	limit_names[0] = limit_name;
	if (pf_params(p, limit_names, NULL) && strcmp(pf_param(p, limit_name), "1") != 0) {
		mta_problem(p->problems, "postfix: %s = 1 is missing from main.cf (now: %s)",
		            limit_name,
		            *pf_param(p, limit_name) ? pf_param(p, limit_name) : "the default");
		ok = FALSE;
	}
done:
	g_hash_table_replace(p->services, g_strdup(name), GINT_TO_POINTER(ok));
	return ok;
}

/* The LMTP way: transport T ("lmtp:unix:/run/rounds/lmtp") of a service
 * whose master.cf entry F runs Postfix's lmtp client.  The socket must be
 * reachable from where the client runs (not chrooted away) and exist, or
 * Postfix defers every message. */
static void
pf_lmtp_ok(pf_ctx *p, const char *t, GStrv f)
{
	const char *next = strchr(t, ':');
	g_autofree char *where = NULL;
	g_autofree char *key = g_strdup_printf("lmtp %s", t);
	gboolean chroot = g_strv_length(f) > 4 && strcmp(f[4], "n") != 0;
	struct stat st;

	if (g_hash_table_contains(p->services, key))
		return;
	g_hash_table_add(p->services, g_strdup(key));
	next = next ? next + 1 : "";
	if (g_str_has_prefix(next, "inet:")) {
		const char *host = next + 5;

		if (!g_str_has_prefix(host, "127.") && !g_str_has_prefix(host, "[::1]") &&
		    !g_str_has_prefix(host, "localhost:"))
			mta_problem(p->problems,
			            "postfix: %s is not on this host; rounds lmtp listens on loopback "
			            "only",
			            t);
		return;
	}
	if (!g_str_has_prefix(next, "unix:") || next[5] == '\0') {
		mta_problem(p->problems,
		            "postfix: %s names no socket; use lmtp:unix:/run/rounds/lmtp", t);
		return;
	}
	next += 5;
	if (next[0] != '/')
		/* Relative to the queue directory, where the client runs. */
		where = g_build_filename(pf_param(p, "queue_directory"), next, NULL);
	else if (chroot) {
		mta_problem(p->problems,
		            "postfix: the service %s runs chrooted in the queue directory, where "
		            "%s is out of reach; run postconf -F %s/unix/chroot=n",
		            f[0], next, f[0]);
		return;
	} else
		where = g_strdup(next);
	if (stat(where, &st) != 0 || !S_ISSOCK(st.st_mode))
		mta_problem(p->problems,
		            "postfix: nothing listens on %s; start rounds lmtp there "
		            "(rounds-lmtp.socket)",
		            where);
}

static void
pf_check_domain(pf_ctx *p, const char *domain)
{
	if (pf_domain_in(p, pf_param(p, "relay_domains"), domain) ||
	    pf_domain_in(p, pf_param(p, "mydestination"), domain) ||
	    pf_domain_in(p, pf_param(p, "virtual_alias_domains"), domain))
		return;
	mta_problem(p->problems,
	            "postfix: %s is in neither relay_domains nor mydestination nor "
	            "virtual_alias_domains, so Postfix refuses its mail (Relay access denied)",
	            domain);
}

/* TRUE when Postfix routes ADDR to a transport; the transport's master.cf
 * entry is checked once. */
static gboolean
pf_check_address(pf_ctx *p, const char *addr)
{
	g_autofree char *local = NULL, *domain = NULL, *t = NULL;
	g_autofree char *service = NULL;

	if (!mta_split_address(addr, &local, &domain))
		return TRUE;
	t = pf_transport(p, addr, local, domain);
	if (t == NULL)
		return FALSE;
	service = g_strndup(t, strcspn(t, ":"));
	g_strstrip(service);
	if (*service == '\0') {
		mta_problem(
		    p->problems,
		    "postfix: %s is routed to \"%s\", which names no transport; use rounds:", addr,
		    t);
		return TRUE;
	}
	if (g_hash_table_contains(p->services, service)) {
		pf_service_ok(p, service); /* checked before: its answer is cached */
		return TRUE;
	}
	gboolean readable;
	g_auto(GStrv) f = pf_master_fields(p, service, &readable);
	if (f != NULL && g_strv_length(f) >= 8 && strcmp(f[7], "lmtp") == 0)
		pf_lmtp_ok(p, t, f);
	else
		pf_service_ok(p, service);
	return TRUE;
}

static GPtrArray *
postfix_check(const char *dir, const char *const *addrs, char delim, GError **error)
{
	static const char *const names[] = {"recipient_delimiter",   "transport_maps",
	                                    "relay_domains",         "mydestination",
	                                    "virtual_alias_domains", "queue_directory",
	                                    NULL};
	g_autoptr(GPtrArray) problems = g_ptr_array_new_with_free_func(g_free);
	g_autofree char *main_cf = NULL;
	pf_ctx p = {0};
	GPtrArray *result = NULL;

	/* postconf expands $config_directory from the directory it is given. */
	p.dir = g_canonicalize_filename(dir, NULL);
	p.delim = delim;
	p.problems = problems;
	p.params = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
	p.services = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	main_cf = g_build_filename(p.dir, "main.cf", NULL);
	if (!g_file_test(main_cf, G_FILE_TEST_IS_REGULAR)) {
		g_set_error(error, RD_ERROR, RD_CONFIG, "there is no Postfix main.cf in %s", p.dir);
		goto done;
	}
	p.postconf = pf_find_tool("postconf");
	p.postmap = pf_find_tool("postmap");
	if (p.postconf == NULL || p.postmap == NULL) {
		g_set_error(error, RD_ERROR, RD_UNAVAIL,
		            "postconf and postmap are needed to check a Postfix configuration");
		goto done;
	}
	if (!pf_params(&p, names, error))
		goto done;
	if (strchr(pf_param(&p, "recipient_delimiter"), delim) == NULL)
		mta_problem(problems,
		            "postfix: recipient_delimiter is \"%s\" but rounds.conf says %c; set "
		            "recipient_delimiter = %c",
		            pf_param(&p, "recipient_delimiter"), delim, delim);
	for (; addrs != NULL && *addrs != NULL; addrs++) {
		g_autofree char *local = NULL, *domain = NULL;
		g_autoptr(GPtrArray) kinds = NULL;
		g_autoptr(GString) lost = g_string_new(NULL);
		guint n_lost = 0;

		if (!mta_split_address(*addrs, &local, &domain))
			continue;
		pf_check_domain(&p, domain);
		kinds = mta_address_kinds(local, domain, delim);
		for (guint i = 0; i + 1 < kinds->len; i += 2) {
			if (pf_check_address(&p, kinds->pdata[i]))
				continue;
			g_string_append_printf(lost, "%s%s", lost->len ? ", " : "",
			                       i == 0 ? (char *)kinds->pdata[i]
			                              : (char *)kinds->pdata[i + 1]);
			n_lost++;
		}
		/* One line per community: which of its addresses go astray. */
		if (n_lost == kinds->len / 2)
			mta_problem(
			    problems,
			    "postfix: no address of %s is routed to rounds: transport_maps has "
			    "no entry for %s",
			    *addrs, domain);
		else if (n_lost > 0)
			mta_problem(problems,
			            "postfix: some addresses of %s are not routed to rounds (%s): "
			            "transport_maps has no entry for them or for %s",
			            *addrs, lost->str, domain);
	}
	result = g_steal_pointer(&problems);
done:
	pf_clear(&p);
	return result;
}

const mta_backend mta_postfix = {
    .name = "postfix",
    .title = "Postfix",
    .config_dir = "/etc/postfix",
    .lines = postfix_lines,
    .lmtp_lines = postfix_lmtp_lines,
    .check = postfix_check,
};
