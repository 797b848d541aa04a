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
		g_autofree char *help = g_option_context_get_help(ctx, TRUE, NULL);

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
	return cli_usage(cli, "expected %s (see rounds %s --help)", v->params, v->name);
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
cli_valid_address(const char *addr)
{
	const char *at = strchr(addr, '@');

	return at != NULL && at != addr && at[1] != '\0' && strchr(at + 1, '@') == NULL &&
	       strpbrk(addr, " \t\r\n<>,;") == NULL && g_utf8_validate(addr, -1, NULL);
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
