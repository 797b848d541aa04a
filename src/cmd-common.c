/* cmd-common.c - helpers shared by the command-line verbs. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sysexits.h>

#include "cmd-internal.h"

static char *cli_home;

const char *
rd_cli_home(void)
{
	const char *env;

	if (cli_home != NULL)
		return cli_home;
	env = g_getenv("ROUNDS_HOME");
	return env && *env ? env : "/var/lib/rounds";
}

void
rd_cli_set_home(const char *home)
{
	g_free(cli_home);
	cli_home = g_strdup(home);
}

gboolean
rd_cli_parse(GOptionContext *ctx, const char *verb, int *argc, char ***argv)
{
	g_autoptr(GError) err = NULL;

	if (!g_option_context_parse(ctx, argc, argv, &err)) {
		fprintf(stderr, "rounds %s: %s (see rounds %s --help)\n", verb, err->message,
			verb);
		return FALSE;
	}
	return TRUE;
}

int
rd_cli_fail(const char *verb, const GError *error)
{
	fprintf(stderr, "rounds %s: %s\n", verb, error ? error->message : "failed");
	return rd_status_exit(rd_status_from_error(error));
}

int
rd_cli_usage(const char *verb, const char *fmt, ...)
{
	va_list ap;
	g_autofree char *msg = NULL;

	va_start(ap, fmt);
	msg = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	fprintf(stderr, "rounds %s: %s\n", verb, msg);
	return EX_USAGE;
}

int
rd_cli_open(const char *verb, rd_config **config, rd_store **store)
{
	g_autoptr(GError) err = NULL;
	g_autoptr(rd_config) c = rd_config_load(rd_cli_home(), &err);

	if (c == NULL)
		return rd_cli_fail(verb, err);
	if (!g_file_test(c->database, G_FILE_TEST_EXISTS) || c->domain == NULL) {
		fprintf(stderr, "rounds %s: %s is not initialised; run rounds init --domain DOMAIN\n",
			verb, c->home);
		return EX_CONFIG;
	}
	*store = rd_store_open(c->database, c->busy_timeout_ms, &err);
	if (*store == NULL)
		return rd_cli_fail(verb, err);
	*config = g_steal_pointer(&c);
	return 0;
}

rd_community *
rd_cli_community(const char *verb, rd_config *config, rd_store *store, const char *arg,
		 int *code)
{
	g_autoptr(GError) err = NULL;
	g_autofree char *name = g_ascii_strdown(arg, -1);
	char *at = strchr(name, '@');
	const char *domain = config->domain;
	rd_community *c;

	if (at != NULL) {
		*at = '\0';
		domain = at + 1;
	}
	c = rd_store_community_get(store, name, domain, &err);
	if (c == NULL) {
		if (rd_status_from_error(err) == RD_NOTFOUND)
			fprintf(stderr, "rounds %s: there is no community %s@%s\n", verb, name,
				domain);
		else
			rd_cli_fail(verb, err);
		*code = rd_status_exit(rd_status_from_error(err));
	}
	return c;
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
rd_cli_deliver_opts(const rd_config *c, rd_deliver_opts *o)
{
	o->delimiter = c->delimiter;
	o->max_size = c->max_message_size;
	o->subject_window_days = c->subject_window_days;
	o->trusted_authserv_id = c->trusted_authserv_id;
	o->token_days = c->token_days;
	o->reply_limit = c->reply_limit;
	o->template_dir = c->template_dir;
	o->home = c->home;
}
