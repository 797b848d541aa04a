/* cmd-held.c - rounds held list | approve | reject: running a list's
 * moderation queue from the shell.
 *
 * The decision itself is the one the mailed "approve ID [and allow]" and
 * "reject ID [REASON]" make (rd_command_moderate() in
 * command-moderation.c): the post is threaded and queued for its
 * every-message members, or its sender is told why it was rejected, and
 * the first decision wins whether it came by mail or from the shell.
 */
#include <stdio.h>
#include <string.h>

#include "cmd-internal.h"
#include "command.h"

/* Unix time as ISO 8601 UTC. */
static char *
iso_time(gint64 t)
{
	g_autoptr(GDateTime) d = g_date_time_new_from_unix_utc(t);

	return d ? g_date_time_format_iso8601(d) : g_strdup("");
}

/* The conversation each choice of kept reply K names (Message-IDs, one
 * a line): its thread and subject, or 0 and NULL when it is gone. */
static void
kept_choices(rd_store *s, const rd_kept_reply *k, JsonBuilder *b, GString *text)
{
	g_auto(GStrv) mids = g_strsplit(k->choices ? k->choices : "", "\n", -1);

	for (guint i = 0; mids[i] && *mids[i]; i++) {
		g_autoptr(rd_stored_message) m =
		    rd_store_reply_posted(s, k->community_id, mids[i], NULL);

		if (b != NULL) {
			json_builder_begin_object(b);
			cli_json_int(b, "number", i + 1);
			cli_json_int(b, "thread_id", m ? m->thread_id : 0);
			cli_json_string(b, "subject", m ? m->subject : NULL);
			json_builder_end_object(b);
		} else {
			g_autofree char *subject = rd_command_one_line(m ? m->subject : "(gone)");

			g_string_append_printf(text,
			                       "        [%u] %s (thread %" G_GINT64_FORMAT ")\n",
			                       i + 1, subject, m ? m->thread_id : 0);
		}
	}
}

/* Held posts and kept replies of community C, as JSON objects into HELD
 * and KEPT, or as text on stdout. */
static gboolean
held_community(rd_cli *cli, const rd_community *c, JsonBuilder *held, JsonBuilder *kept,
               guint *shown, GError **error)
{
	g_autoptr(GPtrArray) posts = rd_store_message_list(cli->store, c->id, "held", error);
	g_autoptr(GPtrArray) replies = NULL;
	g_autofree char *addr = g_strdup_printf("%s@%s", c->name, c->domain);
	gint64 days = cli->config->token_days > 0 ? cli->config->token_days : 7;
	gboolean heading = FALSE;

	if (posts == NULL || (replies = rd_store_reply_kept_list(cli->store, c->id, error)) == NULL)
		return FALSE;
	for (guint i = 0; i < posts->len; i++) {
		rd_stored_message *m = posts->pdata[i];
		g_autofree char *from = NULL, *subject = NULL;

		if (held != NULL) {
			json_builder_begin_object(held);
			cli_json_int(held, "id", m->id);
			cli_json_string(held, "community", addr);
			cli_json_string(held, "reason", m->hold_reason);
			cli_json_string(held, "from", m->from_addr);
			cli_json_string(held, "name", m->from_name);
			cli_json_string(held, "subject", m->subject);
			cli_json_string(held, "date", m->date_text);
			cli_json_string(held, "message_id", m->message_id);
			json_builder_end_object(held);
			continue;
		}
		if (!heading)
			printf("%s\n", addr);
		heading = TRUE;
		(*shown)++;
		/* Header text is the sender's: no control characters reach the
		 * administrator's terminal. */
		from = rd_command_one_line(m->from_addr);
		subject = rd_command_one_line(m->subject);
		printf("  post %" G_GINT64_FORMAT "  %s  %s  \"%s\"  (%s)\n", m->id,
		       m->date_text ? m->date_text : "", from, subject,
		       m->hold_reason ? m->hold_reason : "held");
	}
	for (guint i = 0; i < replies->len; i++) {
		rd_kept_reply *k = replies->pdata[i];
		g_autofree char *created = iso_time(k->created);
		/* A kept reply's choice addresses live as long as a confirmation. */
		g_autofree char *expires = iso_time(k->created + days * 86400);

		if (strcmp(k->status, "kept") != 0)
			continue;
		if (kept != NULL) {
			json_builder_begin_object(kept);
			cli_json_int(kept, "id", k->id);
			cli_json_string(kept, "community", addr);
			cli_json_string(kept, "from", k->from_addr);
			cli_json_string(kept, "subject", k->subject);
			cli_json_string(kept, "created", created);
			cli_json_string(kept, "expires", expires);
			json_builder_set_member_name(kept, "choices");
			json_builder_begin_array(kept);
			kept_choices(cli->store, k, kept, NULL);
			json_builder_end_array(kept);
			json_builder_end_object(kept);
			continue;
		}
		g_autoptr(GString) text = g_string_new(NULL);
		g_autofree char *from = rd_command_one_line(k->from_addr);
		g_autofree char *subject = rd_command_one_line(k->subject);

		if (!heading)
			printf("%s\n", addr);
		heading = TRUE;
		(*shown)++;
		kept_choices(cli->store, k, NULL, text);
		printf("  kept reply %" G_GINT64_FORMAT "  %s  %s  \"%s\"  (awaiting a choice "
		       "until %s)\n%s",
		       k->id, created, from, subject, expires, text->str);
	}
	return TRUE;
}

rd_status
rd_cmd_held_list(rd_cli *cli)
{
	gboolean json = FALSE;
	GOptionEntry entries[] = {{"json", 0, 0, G_OPTION_ARG_NONE, &json, "print JSON", NULL},
	                          {NULL}};
	g_autoptr(GError) err = NULL;
	g_autoptr(GPtrArray) list = NULL;
	g_autoptr(JsonBuilder) held = NULL, kept = NULL;
	guint shown = 0;

	cli->description = "Held posts (decide with rounds held approve|reject ID) and digest "
	                   "replies kept until their author picks a conversation.";
	if (!cli_start(cli, entries) || !cli_open(cli))
		return cli->status;
	if (cli->argc == 2) {
		rd_community *c = cli_community(cli, cli->argv[1], &cli->status);

		if (c == NULL)
			return cli->status;
		list = g_ptr_array_new_with_free_func((GDestroyNotify)rd_community_free);
		g_ptr_array_add(list, c);
	} else if ((list = rd_store_community_list(cli->store, &err)) == NULL) {
		return cli_fail(cli, err);
	}
	if (json) {
		held = json_builder_new();
		kept = json_builder_new();
		json_builder_begin_array(held);
		json_builder_begin_array(kept);
	}
	for (guint i = 0; i < list->len; i++)
		if (!held_community(cli, list->pdata[i], held, kept, &shown, &err))
			return cli_fail(cli, err);
	if (!json && shown == 0)
		printf("Nothing is waiting.\n");
	if (json) {
		g_autoptr(JsonBuilder) b = json_builder_new();
		g_autoptr(JsonNode) h = NULL, k = NULL;

		json_builder_end_array(held);
		json_builder_end_array(kept);
		h = json_builder_get_root(held);
		k = json_builder_get_root(kept);
		json_builder_begin_object(b);
		json_builder_set_member_name(b, "held");
		json_builder_add_value(b, g_steal_pointer(&h));
		json_builder_set_member_name(b, "kept");
		json_builder_add_value(b, g_steal_pointer(&k));
		json_builder_end_object(b);
		cli_json_print(b);
	}
	return RD_OK;
}

/* rounds held approve|reject ID: the community is the post's own. */
static rd_status
held_decide(rd_cli *cli, gboolean approve)
{
	gboolean allow = FALSE;
	g_autofree char *reason = NULL;
	GOptionEntry approve_entries[] = {
	    {"allow-sender", 0, 0, G_OPTION_ARG_NONE, &allow,
	     "also let the sender post from now on (as \"approve ID and allow\")", NULL},
	    {NULL}};
	GOptionEntry reject_entries[] = {
	    {"reason", 0, 0, G_OPTION_ARG_STRING, &reason, "why, for the sender", "TEXT"}, {NULL}};
	g_autoptr(GError) err = NULL;
	g_autoptr(rd_stored_message) m = NULL;
	g_autoptr(rd_community) c = NULL;
	g_autofree char *text = NULL, *by = NULL;
	rd_moderate_outcome outcome;
	rd_context o = {0};
	gint64 id;
	rd_status st;

	cli->description = "The first decision wins, by mail or from the shell: deciding a post "
	                   "again exits 73, an unknown ID 66.";
	if (!cli_start(cli, approve ? approve_entries : reject_entries))
		return cli->status;
	if (!rd_command_parse_id(cli->argv[1], &id))
		return cli_usage(cli, "%s is not a post ID (see rounds held list)", cli->argv[1]);
	if (!cli_open(cli))
		return cli->status;
	m = rd_store_fanout_message(cli->store, id, FALSE, &err);
	if (m == NULL && rd_status_from_error(err) != RD_NOTFOUND)
		return cli_fail(cli, err);
	if (m == NULL) {
		fprintf(stderr, "rounds %s: there is no held post %" G_GINT64_FORMAT "\n",
		        cli->name, id);
		return RD_NOTFOUND;
	}
	if ((c = rd_store_community_get_by_id(cli->store, m->community_id, &err)) == NULL)
		return cli_fail(cli, err);
	cli_context(cli->config, &o);
	o.secret = cli->secret;
	by = g_strdup_printf("%s (shell)", g_get_user_name());
	st = rd_command_moderate(cli->store, &o, c, id, approve, allow, reason, by, &outcome, &text,
	                         &err);
	if (st != RD_OK)
		return cli_fail(cli, err);
	switch (outcome) {
	case RD_MODERATE_DONE:
		printf("%s\n", text);
		return RD_OK;
	case RD_MODERATE_DECIDED:
		fprintf(stderr, "rounds %s: %s\n", cli->name, text);
		return RD_CANTCREAT;
	case RD_MODERATE_NONE:
	default:
		fprintf(stderr, "rounds %s: %s\n", cli->name, text);
		return RD_NOTFOUND;
	}
}

rd_status
rd_cmd_held_approve(rd_cli *cli)
{
	return held_decide(cli, TRUE);
}

rd_status
rd_cmd_held_reject(rd_cli *cli)
{
	return held_decide(cli, FALSE);
}
