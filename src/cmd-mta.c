/* cmd-mta.c - rounds mta lines | check: what the MTA must be told, and
 * whether it has been told. */
#include <stdio.h>
#include <string.h>

#include "cmd-internal.h"
#include "mta.h"

rd_status
rd_cmd_mta_lines(rd_cli *cli)
{
	g_autofree char *mta = NULL;
	g_autofree char *rounds_path = NULL;
	g_autofree char *lmtp_socket = NULL;
	gboolean lmtp = FALSE;
	GOptionEntry entries[] = {
	    {"mta", 0, 0, G_OPTION_ARG_STRING, &mta,
	     "postfix, exim, opensmtpd or sendmail (default: mta in rounds.conf)", "MTA"},
	    {"rounds-path", 0, 0, G_OPTION_ARG_FILENAME, &rounds_path,
	     "the rounds program the MTA runs (default: this one)", "PATH"},
	    {"lmtp", 0, 0, G_OPTION_ARG_NONE, &lmtp,
	     "the LMTP way: to rounds lmtp's socket instead of the pipe (postfix, exim, "
	     "opensmtpd)",
	     NULL},
	    {"lmtp-socket", 0, 0, G_OPTION_ARG_FILENAME, &lmtp_socket,
	     "with --lmtp: the socket (default: [lmtp] socket, else " RD_MTA_LMTP_SOCKET ")",
	     "PATH"},
	    {NULL}};
	g_autoptr(rd_community) k = NULL;
	g_autofree char *text = NULL;
	g_autofree char *home = NULL;
	rd_config *c;
	rd_status st = RD_SOFTWARE;

	cli->description = "The lines go into the MTA's configuration files "
	                   "named in their comments; see mta-hooks/.";
	if (!cli_start(cli, entries))
		return cli->status;
	if (mta != NULL && !rd_mta_known(mta))
		return cli_usage(cli, "--mta must be postfix, exim, opensmtpd or sendmail");
	if (!cli_open(cli))
		return cli->status;
	c = cli->config;
	/* The configured MTA is checked before the community is looked up
	 * (not RD_CLI_COMMUNITY): a broken rounds.conf is named first. */
	if (mta == NULL && !rd_mta_known(c->mta)) {
		fprintf(stderr,
		        "rounds mta lines: %s: mta must be postfix, exim, opensmtpd or "
		        "sendmail, not %s\n",
		        c->path, c->mta);
		return RD_CONFIG;
	}
	if (lmtp_socket != NULL)
		lmtp = TRUE;
	if (lmtp && !rd_mta_has_lmtp(mta ? mta : c->mta))
		return cli_usage(cli, "%s has no LMTP way here: use the pipe (rounds deliver)",
		                 mta ? mta : c->mta);
	if (lmtp && lmtp_socket == NULL) {
		lmtp_socket = g_key_file_get_string(c->kf, "lmtp", "socket", NULL);
		if (lmtp_socket != NULL && *g_strstrip(lmtp_socket) == '\0')
			g_clear_pointer(&lmtp_socket, g_free);
		if (lmtp_socket == NULL)
			lmtp_socket = g_strdup(RD_MTA_LMTP_SOCKET);
	}
	k = cli_community(cli, cli->argv[1], &st);
	if (k == NULL)
		return st;
	if (rounds_path == NULL)
		rounds_path = cli_rounds_path();
	/* The MTA runs rounds from elsewhere: give it an absolute home. */
	home = g_canonicalize_filename(c->home, NULL);
	if (lmtp)
		text = rd_mta_lmtp_lines(mta ? mta : c->mta, k->name, k->domain, c->delimiter,
		                         lmtp_socket);
	else
		text = rd_mta_lines(mta ? mta : c->mta, k->name, k->domain, c->delimiter,
		                    rounds_path, home);
	fputs(text, stdout);
	return RD_OK;
}

rd_status
rd_cmd_mta_check(rd_cli *cli)
{
	g_autofree char *mta = NULL;
	g_autofree char *dir = NULL;
	gboolean json = FALSE;
	GOptionEntry entries[] = {
	    {"config-dir", 0, 0, G_OPTION_ARG_FILENAME, &dir,
	     "the MTA's configuration directory (default: $MAIL_CONFIG or /etc/postfix, "
	     "/etc/exim4, /etc, /etc/mail)",
	     "DIR"},
	    {"mta", 0, 0, G_OPTION_ARG_STRING, &mta,
	     "postfix, exim, opensmtpd or sendmail (default: mta in rounds.conf)", "MTA"},
	    {"json", 0, 0, G_OPTION_ARG_NONE, &json, "print JSON", NULL},
	    {NULL}};
	g_autoptr(GPtrArray) list = NULL;
	g_autoptr(GPtrArray) addrs = g_ptr_array_new_with_free_func(g_free);
	g_autoptr(GPtrArray) problems = NULL;
	g_autoptr(GError) err = NULL;
	const char *which;

	cli->description =
	    "Checks the post, request, owner, subscribe, unsubscribe, help, reply, confirm,\n"
	    "bounce and digest addresses of each community.  Prints one line per problem.\n"
	    "Exit status: 0 all routed, 78 problems found (or the configuration cannot be\n"
	    "read), 69 the MTA's tools (postconf, postmap) are missing.";
	if (!cli_start(cli, entries))
		return cli->status;
	if (mta != NULL && !rd_mta_known(mta))
		return cli_usage(cli, "--mta must be postfix, exim, opensmtpd or sendmail");
	if (!cli_open(cli))
		return cli->status;
	which = mta ? mta : cli->config->mta;
	/* Postfix's own commands read MAIL_CONFIG; so does the check. */
	if (dir == NULL && strcmp(which, "postfix") == 0 && g_getenv("MAIL_CONFIG") != NULL)
		dir = g_strdup(g_getenv("MAIL_CONFIG"));
	list = rd_store_community_list(cli->store, &err);
	if (list == NULL)
		return cli_fail(cli, err);
	for (guint i = 0; i < list->len; i++) {
		const rd_community *k = list->pdata[i];

		g_ptr_array_add(addrs, g_strdup_printf("%s@%s", k->name, k->domain));
	}
	g_ptr_array_add(addrs, NULL);
	problems = rd_mta_check(which, dir, (const char *const *)addrs->pdata,
	                        cli->config->delimiter, &err);
	if (problems == NULL)
		return cli_fail(cli, err);
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
	return problems->len == 0 ? RD_OK : RD_CONFIG;
}
