/* cmd-mta.c - rounds mta lines | check: what the MTA must be told, and
 * whether it has been told. */
#include <stdio.h>
#include <string.h>
#include <sysexits.h>

#include "cmd-internal.h"
#include "mta.h"

int rd_cmd_mta(int argc, char **argv);

/* The path the MTA should run: this very binary when it can be found, so the
 * printed lines match the installation. */
static char *
mta_rounds_path(void)
{
	char *exe = g_file_read_link("/proc/self/exe", NULL);

	return exe ? exe : g_strdup("/usr/local/bin/rounds");
}

static int
mta_lines(int argc, char **argv)
{
	g_autofree char *mta = NULL;
	g_autofree char *rounds_path = NULL;
	GOptionEntry entries[] = {
	    {"mta", 0, 0, G_OPTION_ARG_STRING, &mta,
	     "postfix, exim, opensmtpd or sendmail (default: mta in rounds.conf)", "MTA"},
	    {"rounds-path", 0, 0, G_OPTION_ARG_FILENAME, &rounds_path,
	     "the rounds program the MTA runs (default: this one)", "PATH"},
	    {NULL}};
	g_autoptr(GOptionContext) ctx = g_option_context_new(
	    "COMMUNITY - print the lines the MTA needs for COMMUNITY's addresses");
	g_autoptr(rd_config) c = NULL;
	g_autoptr(rd_store) s = NULL;
	g_autoptr(rd_community) k = NULL;
	g_autofree char *text = NULL;
	g_autofree char *home = NULL;
	int rc = 0;

	g_option_context_add_main_entries(ctx, entries, NULL);
	g_option_context_set_description(ctx, "The lines go into the MTA's configuration files "
	                                      "named in their comments; see mta-hooks/.");
	if (!rd_cli_parse(ctx, "mta lines", &argc, &argv))
		return EX_USAGE;
	if (argc != 2)
		return rd_cli_usage("mta lines", "expected one COMMUNITY");
	if (mta != NULL && !rd_mta_known(mta))
		return rd_cli_usage("mta lines",
		                    "--mta must be postfix, exim, opensmtpd or sendmail");
	if ((rc = rd_cli_open("mta lines", &c, &s)))
		return rc;
	if (mta == NULL && !rd_mta_known(c->mta)) {
		fprintf(stderr,
		        "rounds mta lines: %s: mta must be postfix, exim, opensmtpd or "
		        "sendmail, not %s\n",
		        c->path, c->mta);
		return EX_CONFIG;
	}
	k = rd_cli_community("mta lines", c, s, argv[1], &rc);
	if (k == NULL)
		return rc;
	if (rounds_path == NULL)
		rounds_path = mta_rounds_path();
	/* The MTA runs rounds from elsewhere: give it an absolute home. */
	home = g_canonicalize_filename(c->home, NULL);
	text =
	    rd_mta_lines(mta ? mta : c->mta, k->name, k->domain, c->delimiter, rounds_path, home);
	fputs(text, stdout);
	return EX_OK;
}

static int
mta_check(int argc, char **argv)
{
	g_autofree char *mta = NULL;
	g_autofree char *dir = NULL;
	gboolean json = FALSE;
	GOptionEntry entries[] = {
	    {"config-dir", 0, 0, G_OPTION_ARG_FILENAME, &dir,
	     "the MTA's configuration directory (default: /etc/postfix, /etc/exim4, /etc, "
	     "/etc/mail)",
	     "DIR"},
	    {"mta", 0, 0, G_OPTION_ARG_STRING, &mta,
	     "postfix, exim, opensmtpd or sendmail (default: mta in rounds.conf)", "MTA"},
	    {"json", 0, 0, G_OPTION_ARG_NONE, &json, "print JSON", NULL},
	    {NULL}};
	g_autoptr(GOptionContext) ctx = g_option_context_new(
	    "- check that the MTA routes every address of every community to rounds");
	g_autoptr(rd_config) c = NULL;
	g_autoptr(rd_store) s = NULL;
	g_autoptr(GPtrArray) list = NULL;
	g_autoptr(GPtrArray) addrs = g_ptr_array_new_with_free_func(g_free);
	g_autoptr(GPtrArray) problems = NULL;
	g_autoptr(GError) err = NULL;
	const char *which;
	int rc;

	g_option_context_add_main_entries(ctx, entries, NULL);
	g_option_context_set_description(
	    ctx, "Checks the post, request, owner, subscribe, unsubscribe, help, reply, confirm,\n"
	         "bounce and digest addresses of each community.  Prints one line per problem.\n"
	         "Exit status: 0 all routed, 78 problems found (or the configuration cannot be\n"
	         "read), 69 the MTA's tools (postconf, postmap) are missing.");
	if (!rd_cli_parse(ctx, "mta check", &argc, &argv))
		return EX_USAGE;
	if (argc != 1)
		return rd_cli_usage("mta check", "unexpected argument %s", argv[1]);
	if (mta != NULL && !rd_mta_known(mta))
		return rd_cli_usage("mta check",
		                    "--mta must be postfix, exim, opensmtpd or sendmail");
	if ((rc = rd_cli_open("mta check", &c, &s)))
		return rc;
	which = mta ? mta : c->mta;
	list = rd_store_community_list(s, &err);
	if (list == NULL)
		return rd_cli_fail("mta check", err);
	for (guint i = 0; i < list->len; i++) {
		const rd_community *k = list->pdata[i];

		g_ptr_array_add(addrs, g_strdup_printf("%s@%s", k->name, k->domain));
	}
	g_ptr_array_add(addrs, NULL);
	problems = rd_mta_check(which, dir, (const char *const *)addrs->pdata, c->delimiter, &err);
	if (problems == NULL)
		return rd_cli_fail("mta check", err);
	if (json) {
		g_autoptr(JsonBuilder) b = json_builder_new();

		json_builder_begin_object(b);
		cli_json_string(b, "mta", which);
		json_builder_set_member_name(b, "communities");
		json_builder_begin_array(b);
		for (guint i = 0; i + 1 < addrs->len; i++)
			json_builder_add_string_value(b, addrs->pdata[i]);
		json_builder_end_array(b);
		cli_json_bool(b, "ok", problems->len == 0);
		json_builder_set_member_name(b, "problems");
		json_builder_begin_array(b);
		for (guint i = 0; i < problems->len; i++)
			json_builder_add_string_value(b, problems->pdata[i]);
		json_builder_end_array(b);
		json_builder_end_object(b);
		cli_json_print(b);
	} else if (problems->len == 0) {
		printf("%s: every address of %u %s reaches rounds\n", which, addrs->len - 1,
		       addrs->len == 2 ? "community" : "communities");
	} else {
		for (guint i = 0; i < problems->len; i++)
			printf("%s\n", (const char *)problems->pdata[i]);
	}
	return problems->len == 0 ? EX_OK : EX_CONFIG;
}

int
rd_cmd_mta(int argc, char **argv)
{
	if (argc >= 2 && strcmp(argv[1], "lines") == 0)
		return mta_lines(argc - 1, argv + 1);
	if (argc >= 2 && strcmp(argv[1], "check") == 0)
		return mta_check(argc - 1, argv + 1);
	if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
		printf("Usage:\n"
		       "  rounds mta lines COMMUNITY [--mta MTA] [--rounds-path PATH]\n"
		       "  rounds mta check [--config-dir DIR] [--mta MTA] [--json]\n"
		       "rounds mta lines|check --help shows every option; mta-hooks/ explains "
		       "each MTA.\n");
		return EX_OK;
	}
	if (argc >= 2)
		return rd_cli_usage("mta", "unknown subcommand %s (expected lines or check)",
		                    argv[1]);
	return rd_cli_usage("mta", "expected lines or check (see rounds mta --help)");
}
