/* mta.c - MTA configuration lines for a community and a check of the
 * installed configuration.
 *
 * The texts here are the ones documented in mta-hooks/<mta>/README.  The
 * check answers one question: does mail for every address kind of every
 * community (care@, care+request@, care-request@, care+r-TOKEN@, ...) reach
 * a pipe into "rounds deliver" that is told the whole recipient, runs as an
 * unprivileged user and passes the exit status back to the MTA?  Postfix is
 * asked through postconf(1) and postmap(1), so that its own parser decides;
 * for the other MTAs the configuration text is read directly.
 */
#include <stdarg.h>
#include <string.h>
#include <sys/wait.h>

#include "mta.h"

#define DEFAULT_ROUNDS "/usr/local/bin/rounds"
#define DEFAULT_HOME "/var/lib/rounds"

/* The extensions whose addresses must all reach rounds (see address.c); the
 * tokens are samples of the right shape. */
static const char *const sample_ext[] = {
    "request",        "owner",          "subscribe",      "unsubscribe",    "help",
    "r-k7q2mxw4ad5e", "c-k7q2mxw4ad5e", "b-k7q2mxw4ad5e", "d-k7q2mxw4ad5e",
};

gboolean
rd_mta_known(const char *mta)
{
	return mta != NULL && (strcmp(mta, "postfix") == 0 || strcmp(mta, "exim") == 0 ||
	                       strcmp(mta, "opensmtpd") == 0 || strcmp(mta, "sendmail") == 0);
}

/* ---- lines ---- */

static void
lines_postfix(GString *s, const char *addr, const char *domain, char delim, const char *rounds,
              const char *home)
{
	g_string_append_printf(
	    s,
	    "# Postfix: route every address of %s (%s, %.*s%crequest@, %.*s%cr-TOKEN@, ...)\n"
	    "# to rounds.  The lines are per domain: add them once for %s.\n"
	    "# See mta-hooks/postfix/README for what each flag means.\n"
	    "#\n"
	    "# /etc/postfix/main.cf (add %s to an existing relay_domains or\n"
	    "# transport_maps list instead of replacing it):\n"
	    "recipient_delimiter = %c\n"
	    "relay_domains = %s\n"
	    "transport_maps = hash:/etc/postfix/transport\n"
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
	    domain, addr, (int)strcspn(addr, "@"), addr, delim, (int)strcspn(addr, "@"), addr,
	    delim, domain, domain, delim, domain, domain, rounds, home);
}

static void
lines_exim(GString *s, const char *addr, const char *domain, char delim, const char *rounds,
           const char *home)
{
	g_string_append_printf(
	    s,
	    "# Exim: route every address of %s (%s, %.*s%crequest@, %.*s%cr-TOKEN@, ...)\n"
	    "# to rounds.  The lines are per domain: add them once for %s, and add\n"
	    "# %s to local_domains (Debian: dc_other_hostnames in\n"
	    "# /etc/exim4/update-exim4.conf.conf).  See mta-hooks/exim/README.\n"
	    "#\n"
	    "# Router, before dnslookup (Debian: /etc/exim4/conf.d/router/150_rounds):\n"
	    "rounds:\n"
	    "  driver = accept\n"
	    "  domains = %s\n"
	    "  transport = rounds_pipe\n"
	    "#\n"
	    "# Transport (Debian: /etc/exim4/conf.d/transport/30_rounds):\n"
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
	    "  timeout = 10m\n"
	    "#\n"
	    "# Then: update-exim4.conf && systemctl reload exim4; "
	    "rounds mta check --config-dir /etc/exim4\n",
	    domain, addr, (int)strcspn(addr, "@"), addr, delim, (int)strcspn(addr, "@"), addr,
	    delim, domain, domain, domain, rounds, home);
}

static void
lines_opensmtpd(GString *s, const char *addr, const char *domain, char delim, const char *rounds,
                const char *home)
{
	g_string_append_printf(
	    s,
	    "# OpenSMTPD: route every address of %s (%s, %.*s%crequest@, %.*s%cr-TOKEN@, ...)\n"
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
	    domain, addr, (int)strcspn(addr, "@"), addr, delim, (int)strcspn(addr, "@"), addr,
	    delim, domain, rounds, home, domain);
}

static void
lines_sendmail(GString *s, const char *addr, const char *domain, char delim, const char *rounds,
               const char *home)
{
	g_string_append_printf(
	    s,
	    "# sendmail: route every address of %s (%s, %.*s%crequest@, %.*s%cr-TOKEN@, ...)\n"
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
	    domain, addr, (int)strcspn(addr, "@"), addr, delim, (int)strcspn(addr, "@"), addr,
	    delim, rounds, home, domain, domain, domain);
}

char *
rd_mta_lines(const char *mta, const char *community, const char *domain, char delimiter,
             const char *rounds_path, const char *home)
{
	g_autoptr(GString) s = g_string_new(NULL);
	g_autofree char *addr = NULL;
	g_autofree char *dom = NULL;

	if (!rd_mta_known(mta) || community == NULL || domain == NULL)
		return NULL;
	if (delimiter != '+' && delimiter != '-')
		delimiter = '+';
	if (rounds_path == NULL)
		rounds_path = DEFAULT_ROUNDS;
	if (home == NULL)
		home = DEFAULT_HOME;
	dom = g_ascii_strdown(domain, -1);
	addr = g_strdup_printf("%s@%s", community, dom);
	if (strcmp(mta, "postfix") == 0)
		lines_postfix(s, addr, dom, delimiter, rounds_path, home);
	else if (strcmp(mta, "exim") == 0)
		lines_exim(s, addr, dom, delimiter, rounds_path, home);
	else if (strcmp(mta, "opensmtpd") == 0)
		lines_opensmtpd(s, addr, dom, delimiter, rounds_path, home);
	else
		lines_sendmail(s, addr, dom, delimiter, rounds_path, home);
	return g_string_free(g_steal_pointer(&s), FALSE);
}

/* ---- helpers shared by the checks ---- */

/* One problem per line; the same sentence is reported once. */
static void G_GNUC_PRINTF(2, 3) problem(GPtrArray *problems, const char *fmt, ...)
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
static gboolean
split_address(const char *addr, char **local, char **domain)
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
static GPtrArray *
address_kinds(const char *local, const char *domain, char delim)
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

static char *
find_tool(const char *name)
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
run_tool(const char *const *argv, char **out, char **err, int *status)
{
	int wait_status = 0;

	if (!g_spawn_sync(NULL, (char **)argv, NULL, err ? 0 : G_SPAWN_STDERR_TO_DEV_NULL, NULL,
	                  NULL, out, err, &wait_status, NULL))
		return FALSE;
	*status = WIFEXITED(wait_status) ? WEXITSTATUS(wait_status) : -1;
	return TRUE;
}

/* Does a whitespace- or comma-separated LIST name WORD (case-insensitive)? */
static gboolean
word_in(const char *list, const char *word)
{
	g_auto(GStrv) parts = g_strsplit_set(list ? list : "", " \t\n,", -1);

	for (char **p = parts; *p != NULL; p++) {
		if (**p != '\0' && g_ascii_strcasecmp(*p, word) == 0)
			return TRUE;
	}
	return FALSE;
}

/* ---- Postfix ---- */

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
	if (!run_tool((const char *const *)argv->pdata, &out, NULL, &status) || status != 0) {
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

	if (!run_tool(argv, &out, &err, &status))
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

		problem(p->problems,
		        "postfix: the table %s has not been compiled; run postmap %s and postfix "
		        "reload",
		        table, colon + 1);
		return pf_query(p, text, key);
	}
	fatal += strlen("fatal: ");
	problem(p->problems, "postfix: postmap cannot read %s: %.*s", table,
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

			if (g_file_get_contents(t, &text, NULL, NULL) && word_in(text, domain))
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

/* Check the master.cf entry of transport NAME; TRUE when it pipes into
 * rounds deliver properly. */
static gboolean
pf_service_ok(pf_ctx *p, const char *name)
{
	gpointer cached;
	g_autofree char *req = g_strdup_printf("%s/unix", name);
	const char *argv[] = {p->postconf, "-c", p->dir, "-M", req, NULL};
	g_autofree char *out = NULL;
	g_auto(GStrv) f = NULL;
	gboolean ok = TRUE;
	gboolean has_rounds = FALSE, has_deliver = FALSE, has_rcpt = FALSE;
	const char *user = NULL;
	g_autofree char *limit_name = NULL;
	const char *limit_names[2] = {NULL, NULL};
	int status, nf;

	if (g_hash_table_lookup_extended(p->services, name, NULL, &cached))
		return GPOINTER_TO_INT(cached);
	if (!run_tool(argv, &out, NULL, &status) || status != 0 || out == NULL) {
		problem(p->problems, "postfix: cannot read master.cf in %s", p->dir);
		ok = FALSE;
		goto done;
	}
	g_strstrip(out);
	if (*out == '\0') {
		problem(p->problems,
		        "postfix: master.cf has no service \"%s unix\" (the transport named in "
		        "transport_maps); add the rounds pipe service",
		        name);
		ok = FALSE;
		goto done;
	}
	f = g_strsplit_set(out, " \t\n", -1);
	/* Drop the empty fields that runs of blanks leave. */
	nf = 0;
	for (int i = 0; f[i] != NULL; i++) {
		if (*f[i] != '\0')
			f[nf++] = f[i];
		else
			g_free(f[i]);
	}
	f[nf] = NULL;
	if (nf < 8 || strcmp(f[7], "pipe") != 0) {
		problem(p->problems,
		        "postfix: the service %s in master.cf runs %s, not pipe; rounds needs a "
		        "pipe(8) service",
		        name, nf >= 8 ? f[7] : "nothing");
		ok = FALSE;
		goto done;
	}
	if (strcmp(f[3], "n") != 0) {
		problem(p->problems,
		        "postfix: the service %s must have n in the unpriv column, or pipe cannot "
		        "switch to the rounds user",
		        name);
		ok = FALSE;
	}
	if (strcmp(f[4], "y") == 0) {
		problem(p->problems,
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
		problem(p->problems,
		        "postfix: the service %s must run as the rounds user (user=rounds), never "
		        "as root",
		        name);
		ok = FALSE;
	}
	if (!has_rounds || !has_deliver) {
		problem(p->problems,
		        "postfix: the service %s does not run rounds deliver (argv=/usr/local/bin/"
		        "rounds ... deliver ...)",
		        name);
		ok = FALSE;
	} else if (!has_rcpt) {
		problem(p->problems,
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
		problem(p->problems, "postfix: %s = 1 is missing from main.cf (now: %s)",
		        limit_name,
		        *pf_param(p, limit_name) ? pf_param(p, limit_name) : "the default");
		ok = FALSE;
	}
done:
	g_hash_table_replace(p->services, g_strdup(name), GINT_TO_POINTER(ok));
	return ok;
}

static void
pf_check_domain(pf_ctx *p, const char *domain)
{
	if (pf_domain_in(p, pf_param(p, "relay_domains"), domain) ||
	    pf_domain_in(p, pf_param(p, "mydestination"), domain) ||
	    pf_domain_in(p, pf_param(p, "virtual_alias_domains"), domain))
		return;
	problem(p->problems,
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

	if (!split_address(addr, &local, &domain))
		return TRUE;
	t = pf_transport(p, addr, local, domain);
	if (t == NULL)
		return FALSE;
	service = g_strndup(t, strcspn(t, ":"));
	g_strstrip(service);
	if (*service == '\0') {
		problem(p->problems,
		        "postfix: %s is routed to \"%s\", which names no transport; use rounds:",
		        addr, t);
		return TRUE;
	}
	pf_service_ok(p, service);
	return TRUE;
}

static GPtrArray *
check_postfix(const char *dir, const char *const *addrs, char delim, GError **error)
{
	static const char *const names[] = {"recipient_delimiter",   "transport_maps",
	                                    "relay_domains",         "mydestination",
	                                    "virtual_alias_domains", NULL};
	g_autoptr(GPtrArray) problems = g_ptr_array_new_with_free_func(g_free);
	g_autofree char *main_cf = NULL;
	pf_ctx p = {0};
	GPtrArray *result = NULL;

	/* postconf expands $config_directory from the directory it is given. */
	p.dir = g_canonicalize_filename(dir ? dir : "/etc/postfix", NULL);
	p.delim = delim;
	p.problems = problems;
	p.params = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
	p.services = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	main_cf = g_build_filename(p.dir, "main.cf", NULL);
	if (!g_file_test(main_cf, G_FILE_TEST_IS_REGULAR)) {
		g_set_error(error, RD_ERROR, RD_CONFIG, "there is no Postfix main.cf in %s", p.dir);
		goto done;
	}
	p.postconf = find_tool("postconf");
	p.postmap = find_tool("postmap");
	if (p.postconf == NULL || p.postmap == NULL) {
		g_set_error(error, RD_ERROR, RD_UNAVAIL,
		            "postconf and postmap are needed to check a Postfix configuration");
		goto done;
	}
	if (!pf_params(&p, names, error))
		goto done;
	if (strchr(pf_param(&p, "recipient_delimiter"), delim) == NULL)
		problem(problems,
		        "postfix: recipient_delimiter is \"%s\" but rounds.conf says %c; set "
		        "recipient_delimiter = %c",
		        pf_param(&p, "recipient_delimiter"), delim, delim);
	for (; addrs != NULL && *addrs != NULL; addrs++) {
		g_autofree char *local = NULL, *domain = NULL;
		g_autoptr(GPtrArray) kinds = NULL;
		g_autoptr(GString) lost = g_string_new(NULL);
		guint n_lost = 0;

		if (!split_address(*addrs, &local, &domain))
			continue;
		pf_check_domain(&p, domain);
		kinds = address_kinds(local, domain, delim);
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
			problem(problems,
			        "postfix: no address of %s is routed to rounds: transport_maps has "
			        "no entry for %s",
			        *addrs, domain);
		else if (n_lost > 0)
			problem(problems,
			        "postfix: some addresses of %s are not routed to rounds (%s): "
			        "transport_maps has no entry for them or for %s",
			        *addrs, lost->str, domain);
	}
	result = g_steal_pointer(&problems);
done:
	pf_clear(&p);
	return result;
}

/* ---- configuration text of the other MTAs ---- */

/* Read FILE, or every regular file below the directory FILE (two levels, as
 * in Debian's split Exim configuration), into one text. */
static void
read_tree(GString *all, const char *path, int depth)
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

			read_tree(all, sub, depth + 1);
		}
	}
}

/* Logical lines: comments dropped, backslash continuations joined. */
static GPtrArray *
logical_lines(const char *text)
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

/* ---- Exim ---- */

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
		problem(problems, "exim: the transport %s does not run rounds deliver", t->name);
		return FALSE;
	}
	if (strstr(cmd, "--recipient") == NULL || strstr(cmd, "local_part") == NULL ||
	    strstr(cmd, "domain") == NULL) {
		problem(
		    problems,
		    "exim: the transport %s must pass --recipient $local_part@$domain, or rounds "
		    "cannot tell which address the mail was for",
		    t->name);
		ok = FALSE;
	}
	if (router != NULL && exim_opt(router, "local_part_suffix") != NULL &&
	    strstr(cmd, "local_part_suffix") == NULL) {
		problem(problems,
		        "exim: the router %s strips a local_part_suffix that the transport %s does "
		        "not pass on ($local_part$local_part_suffix@$domain): tokens would be lost",
		        router->name, t->name);
		ok = FALSE;
	}
	if (user == NULL || strcmp(user, "root") == 0 || strcmp(user, "0") == 0) {
		problem(problems, "exim: the transport %s must set user = rounds (never root)",
		        t->name);
		ok = FALSE;
	}
	if (temp != NULL && strstr(temp, "75") == NULL && strcmp(temp, "*") != 0) {
		problem(problems,
		        "exim: temp_errors of the transport %s lacks 75, so a temporary failure of "
		        "rounds would bounce the mail",
		        t->name);
		ok = FALSE;
	}
	return ok;
}

static GPtrArray *
check_exim(const char *dir, const char *const *addrs, char delim, GError **error)
{
	g_autoptr(GString) text = g_string_new(NULL);
	g_autoptr(GPtrArray) lines = NULL;
	g_autoptr(GPtrArray) drivers =
	    g_ptr_array_new_with_free_func((GDestroyNotify)exim_driver_free);
	g_autoptr(GHashTable) lists =
	    g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
	g_autoptr(GPtrArray) problems = g_ptr_array_new_with_free_func(g_free);
	exim_driver *cur = NULL;

	dir = dir ? dir : "/etc/exim4";
	read_tree(text, dir, 0);
	if (text->len == 0) {
		g_set_error(error, RD_ERROR, RD_CONFIG, "there is no Exim configuration in %s",
		            dir);
		return NULL;
	}
	lines = logical_lines(text->str);
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

		if (!split_address(*addrs, &local, &domain))
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
			problem(problems,
			        "exim: no accept router sends %s to a pipe transport into rounds "
			        "deliver (domains = %s)",
			        *addrs, domain);
			continue;
		}
		if (exim_opt(router, "domains") == NULL)
			problem(
			    problems,
			    "exim: the router %s has no domains option: it would take the mail of "
			    "every domain",
			    router->name);
		if (exim_opt(router, "local_parts") != NULL &&
		    !strstr(exim_opt(router, "local_parts"), local) &&
		    !strchr(exim_opt(router, "local_parts"), ';'))
			problem(problems, "exim: local_parts of the router %s leaves out %s",
			        router->name, *addrs);
		if (exim_opt(router, "local_part_suffix") != NULL) {
			g_autofree char *want = g_strdup_printf("%c*", delim);

			if (exim_opt(router, "local_part_suffix_optional") == NULL)
				problem(
				    problems,
				    "exim: the router %s needs local_part_suffix_optional, or %s "
				    "itself does not match",
				    router->name, *addrs);
			if (!strstr(exim_opt(router, "local_part_suffix"), want))
				problem(problems,
				        "exim: local_part_suffix of the router %s lacks %s, so "
				        "%s%cr-TOKEN@%s does not match",
				        router->name, want, local, delim, domain);
		}
		exim_transport_ok(problems, transport, router);
	}
	return g_steal_pointer(&problems);
}

/* ---- OpenSMTPD ---- */

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

			if (g_file_get_contents(path, &text, NULL, NULL) && word_in(text, domain))
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
check_opensmtpd(const char *dir, const char *const *addrs, char delim, GError **error)
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

	dir = dir ? dir : "/etc";
	path = g_file_test(dir, G_FILE_TEST_IS_DIR) ? g_build_filename(dir, "smtpd.conf", NULL)
	                                            : g_strdup(dir);
	if (!g_file_get_contents(path, &text, NULL, NULL)) {
		g_set_error(error, RD_ERROR, RD_CONFIG,
		            "cannot read the OpenSMTPD configuration %s", path);
		return NULL;
	}
	lines = logical_lines(text);
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
				problem(
				    problems,
				    "opensmtpd: the action %s must pass --recipient '%%{rcpt}', or "
				    "rounds cannot tell which address the mail was for",
				    v[1]);
				ok = FALSE;
			}
			if (user == NULL || strcmp(user, "root") == 0) {
				problem(
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
		problem(problems, "opensmtpd: no action runs rounds deliver through mda");
	for (; addrs != NULL && *addrs != NULL; addrs++) {
		g_autofree char *local = NULL, *domain = NULL;
		GPtrArray *found = NULL;

		if (!split_address(*addrs, &local, &domain))
			continue;
		/* The first match line for the domain wins, as in smtpd; mail from the
		 * Internet only sees lines with a "from" other than local. */
		found = smtpd_first_match(matches, tables, domain, TRUE);
		if (found == NULL) {
			if (smtpd_first_match(matches, tables, domain, FALSE) != NULL)
				problem(
				    problems,
				    "opensmtpd: the match line for %s lacks \"from any\", so only "
				    "local mail would reach rounds",
				    domain);
			else
				problem(
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
				problem(
				    problems,
				    "opensmtpd: the first match line for %s sends it to the action "
				    "%s, which does not run rounds deliver",
				    domain, action ? action : "(none)");
		}
	}
	(void)delim; /* the whole domain goes to rounds, whatever the delimiter */
	return g_steal_pointer(&problems);
}

/* ---- sendmail ---- */

static GPtrArray *
check_sendmail(const char *dir, const char *const *addrs, char delim, GError **error)
{
	g_autofree char *mt_path = NULL, *mt = NULL;
	g_autoptr(GString) cf = g_string_new(NULL);
	g_autoptr(GPtrArray) problems = g_ptr_array_new_with_free_func(g_free);
	g_autofree char *relay = NULL;
	g_autofree char *mailer = NULL;
	const char *rel_files[] = {"relay-domains", "local-host-names"};

	dir = dir ? dir : "/etc/mail";
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
		problem(
		    problems,
		    "sendmail: no mailer Mrounds is defined (MAILER_DEFINITIONS in sendmail.mc)");
	} else {
		const char *a = strstr(mailer, "A=");
		const char *u = strstr(mailer, "U=");
		const char *f = strstr(mailer, "F=");

		if (a == NULL || strstr(a, "deliver") == NULL || strstr(a, "--recipient") == NULL ||
		    strstr(a, "$u") == NULL)
			problem(
			    problems,
			    "sendmail: the rounds mailer must run rounds ... deliver --recipient "
			    "$u@$h (A=)");
		if (u == NULL || g_str_has_prefix(u, "U=root") || g_str_has_prefix(u, "U=0"))
			problem(problems,
			        "sendmail: the rounds mailer must run as the rounds user (U=rounds:"
			        "rounds), never as root");
		if (f != NULL) {
			gsize n = strcspn(f + 2, ", \t");

			if (memchr(f + 2, 'm', n) != NULL)
				problem(
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

		if (!split_address(*addrs, &local, &domain))
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
			problem(problems,
			        "sendmail: mailertable has no line \"%s rounds:%s\", so %s is not "
			        "routed to rounds",
			        domain, domain, *addrs);
		if (!word_in(relay, domain))
			problem(
			    problems,
			    "sendmail: %s is not in relay-domains, so sendmail refuses its mail "
			    "(Relaying denied)",
			    domain);
	}
	(void)delim;
	return g_steal_pointer(&problems);
}

GPtrArray *
rd_mta_check(const char *mta, const char *config_dir, const char *const *community_addresses,
             char delimiter, GError **error)
{
	if (mta == NULL || strcmp(mta, "postfix") == 0)
		return check_postfix(config_dir, community_addresses, delimiter, error);
	if (strcmp(mta, "exim") == 0)
		return check_exim(config_dir, community_addresses, delimiter, error);
	if (strcmp(mta, "opensmtpd") == 0)
		return check_opensmtpd(config_dir, community_addresses, delimiter, error);
	if (strcmp(mta, "sendmail") == 0)
		return check_sendmail(config_dir, community_addresses, delimiter, error);
	g_set_error(error, RD_ERROR, RD_CONFIG,
	            "mta must be postfix, exim, opensmtpd or sendmail, not %s", mta);
	return NULL;
}
