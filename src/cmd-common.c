/* cmd-common.c - the runner every verb goes through, and the helpers the
 * cmd-*.c files share. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "cmd-internal.h"

static char *home_dir;

const char *
cli_home(void)
{
	const char *env;

	if (home_dir != NULL)
		return home_dir;
	env = g_getenv("ROUNDS_HOME");
	return env && *env ? env : "/var/lib/rounds";
}

char *
cli_rounds_path(void)
{
	g_autofree char *exe = g_file_read_link("/proc/self/exe", NULL);
	g_autofree char *dir = NULL;

	if (exe == NULL)
		return g_strdup("/usr/local/bin/rounds");
	/* The verbs run in rounds-full; the MTA runs the lean front beside it
	 * (src/lean.c). */
	if (!g_str_has_suffix(exe, "/rounds-full"))
		return g_steal_pointer(&exe);
	dir = g_path_get_dirname(exe);
	return g_build_filename(dir, "rounds", NULL);
}

void
rd_cli_set_home(const char *home)
{
	g_free(home_dir);
	home_dir = g_strdup(home);
}

/* ---- the runner ---- */

static gboolean
is_help(const char *arg)
{
	return strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0 || strcmp(arg, "-?") == 0;
}

/* GOption would print --help itself and exit(0) from inside the parse;
 * asking for the same text first keeps that exit on the one path. */
static gboolean
wants_help(int argc, char **argv)
{
	for (int i = 1; i < argc && strcmp(argv[i], "--") != 0; i++)
		if (is_help(argv[i]) || strcmp(argv[i], "--help-all") == 0)
			return TRUE;
	return FALSE;
}

gboolean
cli_start(rd_cli *cli, const GOptionEntry *entries)
{
	const rd_cli_verb *v = cli->verb;
	g_autoptr(GOptionContext) ctx = g_option_context_new(v->params);
	g_autoptr(GError) err = NULL;
	int n;

	if (entries != NULL)
		g_option_context_add_main_entries(ctx, entries, NULL);
	if (cli->summary != NULL)
		g_option_context_set_summary(ctx, cli->summary);
	if (cli->description != NULL)
		g_option_context_set_description(ctx, cli->description);
	if (wants_help(cli->argc, cli->argv)) {
		g_autofree char *help = NULL;
		g_autofree char *prg = g_strdup(g_get_prgname());
		g_autofree char *verb = g_strdup_printf("%s %s", prg ? prg : "rounds", cli->name);

		/* GOption's usage line names the program: make it the verb's
		 * own ("rounds member add [OPTION…] COMMUNITY ADDR..."). */
		g_set_prgname(verb);
		help = g_option_context_get_help(ctx, TRUE, NULL);
		g_set_prgname(prg);

		fputs(help, stdout);
		cli->status = RD_OK;
		return FALSE;
	}
	if (!g_option_context_parse(ctx, &cli->argc, &cli->argv, &err)) {
		fprintf(stderr, "rounds %s: %s (see rounds %s --help)\n", cli->name, err->message,
		        cli->name);
		cli->status = RD_USAGE;
		return FALSE;
	}
	n = cli->argc - 1;
	if (v->max_args >= 0 && (n < v->min_args || n > v->max_args)) {
		/* Rows without a usage line take no arguments (min_args 0). */
		cli->status = v->args_usage ? cli_usage(cli, "%s", v->args_usage)
		                            : cli_usage(cli, "unexpected argument %s",
		                                        cli->argv[v->max_args + 1]);
		return FALSE;
	}
	return (v->flags & RD_CLI_LATE) ? TRUE : cli_open(cli);
}

gboolean
cli_open(rd_cli *cli)
{
	g_autoptr(GError) err = NULL;
	unsigned flags = cli->verb->flags;
	rd_config *c;

	if (!(flags & (RD_CLI_STORE | RD_CLI_COMMUNITY)))
		return TRUE;
	c = cli->config = rd_config_load(cli_home(), &err);
	if (c == NULL) {
		cli->status = cli_fail(cli, err);
		return FALSE;
	}
	if (!g_file_test(c->database, G_FILE_TEST_EXISTS) || c->domain == NULL) {
		fprintf(stderr,
		        "rounds %s: %s is not initialised; run rounds init --domain DOMAIN\n",
		        cli->name, c->home);
		cli->status = RD_CONFIG;
		return FALSE;
	}
	cli->store = rd_store_open(c->database, c->busy_timeout_ms, &err);
	if (cli->store == NULL) {
		cli->status = cli_fail(cli, err);
		return FALSE;
	}
	if ((flags & RD_CLI_COMMUNITY) &&
	    (cli->community = cli_community(cli, cli->argv[1], &cli->status)) == NULL)
		return FALSE;
	/* Token addresses need the secret; a post does not, so a missing
	 * secret only matters (as a temporary failure) where it is used. */
	if (flags & RD_CLI_SECRET)
		cli->secret = rd_cli_secret(c, NULL);
	return TRUE;
}

void
cli_close(rd_cli *cli)
{
	g_clear_pointer(&cli->secret, g_bytes_unref);
	g_clear_pointer(&cli->community, rd_community_free);
	g_clear_pointer(&cli->store, rd_store_close);
	g_clear_pointer(&cli->config, rd_config_free);
}

/* Find the verb of group V named by argv[1], or answer --help. */
static rd_status
dispatch(rd_cli *cli, const rd_cli_verb *v, const char *group, int argc, char **argv)
{
	if (v->group == NULL) {
		cli->verb = v;
		cli->name = group ? g_strdup_printf("%s %s", group, v->name) : g_strdup(v->name);
		cli->argc = argc;
		cli->argv = argv;
		return v->run(cli);
	}
	cli->name = g_strdup(v->name);
	if (argc >= 2) {
		for (const rd_cli_verb *sub = v->group; sub->name != NULL; sub++)
			if (strcmp(argv[1], sub->name) == 0) {
				g_clear_pointer(&cli->name, g_free);
				return dispatch(cli, sub, v->name, argc - 1, argv + 1);
			}
		if (is_help(argv[1]) ||
		    ((v->flags & RD_CLI_HELP_WORD) && strcmp(argv[1], "help") == 0)) {
			fputs(v->help, stdout);
			return RD_OK;
		}
	}
	if (argc >= 2) {
		g_autoptr(GPtrArray) names = g_ptr_array_new();
		const char *near;

		for (const rd_cli_verb *sub = v->group; sub->name != NULL; sub++)
			g_ptr_array_add(names, (gpointer)sub->name);
		g_ptr_array_add(names, NULL);
		near = rd_cli_nearest(argv[1], (const char *const *)names->pdata);
		if (near != NULL)
			return cli_usage(cli, "unknown verb %s %s; did you mean %s %s?", v->name,
			                 argv[1], v->name, near);
	}
	return cli_usage(cli, "expected %s (see rounds %s --help)", v->params, v->name);
}

/* Levenshtein distance of A and B (short words: verbs). */
static guint
edit_distance(const char *a, const char *b)
{
	gsize la = strlen(a), lb = strlen(b);
	g_autofree guint *row = g_new(guint, lb + 1);

	for (gsize j = 0; j <= lb; j++)
		row[j] = (guint)j;
	for (gsize i = 1; i <= la; i++) {
		guint diag = row[0];

		row[0] = (guint)i;
		for (gsize j = 1; j <= lb; j++) {
			guint up = row[j];
			guint cost = g_ascii_tolower(a[i - 1]) == g_ascii_tolower(b[j - 1]) ? 0 : 1;

			row[j] = MIN(MIN(row[j] + 1, row[j - 1] + 1), diag + cost);
			diag = up;
		}
	}
	return row[lb];
}

const char *
rd_cli_nearest(const char *word, const char *const *names)
{
	const char *best = NULL;
	guint best_d = G_MAXUINT;
	/* Two edits for a verb of five letters or more, one for shorter ones:
	 * "memebr" finds member, "xyz" finds nothing. */
	guint limit = strlen(word) >= 5 ? 2 : 1;

	for (; *names; names++) {
		guint d = edit_distance(word, *names);

		if (d < best_d) {
			best_d = d;
			best = *names;
		}
	}
	return best_d <= limit ? best : NULL;
}

int
rd_cli_run(const rd_cli_verb *v, int argc, char **argv)
{
	rd_cli cli = {0};
	rd_status st = dispatch(&cli, v, NULL, argc, argv);
	gboolean mta = cli.verb != NULL && (cli.verb->flags & RD_CLI_MTA);

	cli_close(&cli);
	g_free(cli.name);
	fflush(stdout);
	if (ferror(stdout) && st == RD_OK)
		st = RD_IOERR;
	return mta ? rd_status_mta_exit(st) : rd_status_exit(st);
}

/* ---- helpers ---- */

rd_status
cli_fail(const rd_cli *cli, const GError *error)
{
	fprintf(stderr, "rounds %s: %s\n", cli->name, error ? error->message : "failed");
	return rd_status_from_error(error);
}

rd_status
cli_usage(const rd_cli *cli, const char *fmt, ...)
{
	va_list ap;
	g_autofree char *msg = NULL;

	va_start(ap, fmt);
	msg = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	fprintf(stderr, "rounds %s: %s\n", cli->name, msg);
	return RD_USAGE;
}

rd_community *
cli_community(const rd_cli *cli, const char *arg, rd_status *st)
{
	g_autoptr(GError) err = NULL;
	g_autofree char *name = g_ascii_strdown(arg, -1);
	char *at = strchr(name, '@');
	const char *domain = cli->config->domain;
	rd_community *c;

	if (at != NULL) {
		*at = '\0';
		domain = at + 1;
	}
	c = rd_store_community_get(cli->store, name, domain, &err);
	if (c == NULL) {
		if (rd_status_from_error(err) == RD_NOTFOUND)
			fprintf(stderr, "rounds %s: there is no community %s@%s\n", cli->name, name,
			        domain);
		else
			cli_fail(cli, err);
		*st = rd_status_from_error(err);
	}
	return c;
}

gboolean
cli_one_of(const char *v, const char *const *allowed)
{
	for (; *allowed; allowed++)
		if (strcmp(v, *allowed) == 0)
			return TRUE;
	return FALSE;
}

gboolean
cli_valid_address(const rd_cli *cli, const char *addr)
{
	const char *at = strchr(addr, '@');
	g_autofree char *ascii = NULL;
	g_autoptr(GPtrArray) domains = NULL;

	if (at == NULL || at == addr || at[1] == '\0' || strchr(at + 1, '@') != NULL ||
	    strpbrk(addr, " \t\r\n<>,;") != NULL || !g_utf8_validate(addr, -1, NULL))
		return FALSE;
	/* The domain as an MTA takes it: a valid host name (IDN allowed) ... */
	if ((ascii = g_hostname_to_ascii(at + 1)) == NULL || *ascii == '.' ||
	    g_str_has_suffix(ascii, ".") || strstr(ascii, "..") != NULL)
		return FALSE;
	if (strchr(ascii, '.') != NULL)
		return TRUE;
	/* ... with a dot, unless it is one of this installation's own. */
	if (cli->config == NULL || cli->store == NULL)
		return FALSE;
	if (cli->config->domain && g_ascii_strcasecmp(ascii, cli->config->domain) == 0)
		return TRUE;
	if ((domains = rd_store_community_domains(cli->store, NULL)) == NULL)
		return FALSE;
	for (guint i = 0; i < domains->len; i++)
		if (g_ascii_strcasecmp(ascii, domains->pdata[i]) == 0)
			return TRUE;
	return FALSE;
}

void
cli_json_string(JsonBuilder *b, const char *name, const char *value)
{
	json_builder_set_member_name(b, name);
	if (value != NULL)
		json_builder_add_string_value(b, value);
	else
		json_builder_add_null_value(b);
}

void
cli_json_int(JsonBuilder *b, const char *name, gint64 value)
{
	json_builder_set_member_name(b, name);
	json_builder_add_int_value(b, value);
}

void
cli_json_double(JsonBuilder *b, const char *name, double value)
{
	json_builder_set_member_name(b, name);
	json_builder_add_double_value(b, value);
}

void
cli_json_bool(JsonBuilder *b, const char *name, gboolean value)
{
	json_builder_set_member_name(b, name);
	json_builder_add_boolean_value(b, value);
}

void
cli_json_print(JsonBuilder *b)
{
	g_autoptr(JsonNode) root = json_builder_get_root(b);
	g_autoptr(JsonGenerator) gen = json_generator_new();
	g_autofree char *text = NULL;

	json_generator_set_pretty(gen, TRUE);
	json_generator_set_indent(gen, 2);
	json_generator_set_root(gen, root);
	text = json_generator_to_data(gen, NULL);
	fputs(text, stdout);
	fputc('\n', stdout);
}

void
cli_context(const rd_config *c, rd_context *o)
{
	o->delimiter = c->delimiter;
	o->max_size = c->max_message_size;
	o->subject_window_days = c->subject_window_days;
	o->trusted_authserv_id = c->trusted_authserv_id;
	o->token_days = c->token_days;
	o->reply_limit = c->reply_limit;
	o->template_dir = c->template_dir;
	o->home = c->home;
	o->web_url = c->web_url;
}

GBytes *
rd_cli_secret(const rd_config *c, GError **error)
{
	g_autofree char *text = NULL;
	g_autoptr(GByteArray) bytes = g_byte_array_new();
	g_autoptr(GError) err = NULL;

	if (!g_file_get_contents(c->secret_file, &text, NULL, &err)) {
		g_set_error(error, RD_ERROR, RD_CONFIG, "cannot read the secret: %s", err->message);
		return NULL;
	}
	g_strstrip(text);
	for (const char *p = text; p[0] && p[1]; p += 2) {
		int hi = g_ascii_xdigit_value(p[0]), lo = g_ascii_xdigit_value(p[1]);
		guint8 b;

		if (hi < 0 || lo < 0) {
			g_set_error(error, RD_ERROR, RD_CONFIG, "%s is not a Rounds secret",
			            c->secret_file);
			return NULL;
		}
		b = (guint8)(hi * 16 + lo);
		g_byte_array_append(bytes, &b, 1);
	}
	if (bytes->len < 16) {
		g_set_error(error, RD_ERROR, RD_CONFIG, "%s is too short to be a secret",
		            c->secret_file);
		return NULL;
	}
	return g_byte_array_free_to_bytes(g_steal_pointer(&bytes));
}
