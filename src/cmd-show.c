/* cmd-show.c - rounds thread and rounds message: reading what is stored. */
#include <stdio.h>
#include <string.h>

#include "cmd-internal.h"

static char *
iso_date(gint64 t)
{
	g_autoptr(GDateTime) d = g_date_time_new_from_unix_utc(t);

	return d ? g_date_time_format_iso8601(d) : NULL;
}

/* The message object of the public JSON contract (README, "JSON"). */
static void
message_members(JsonBuilder *b, const rd_stored_message *m, gboolean details)
{
	/* The ID moderators use in "held", "approve ID" and "reject ID". */
	cli_json_int(b, "id", m->id);
	cli_json_string(b, "message_id", m->message_id);
	if (m->thread_id)
		cli_json_int(b, "thread_id", m->thread_id);
	else
		cli_json_string(b, "thread_id", NULL);
	cli_json_string(b, "parent_message_id", m->parent_message_id);
	cli_json_string(b, "from", m->from_addr);
	cli_json_string(b, "subject", m->subject);
	cli_json_string(b, "date", m->date_text);
	cli_json_string(b, "status", m->status);
	cli_json_string(b, "hold_reason", m->hold_reason);
	/* The order of posting in the community; null while not posted. */
	if (m->posted_seq)
		cli_json_int(b, "seq", m->posted_seq);
	else
		cli_json_string(b, "seq", NULL);
	if (!details)
		return;
	cli_json_string(b, "from_name", m->from_name);
	cli_json_string(b, "body", m->body);
	json_builder_set_member_name(b, "references");
	json_builder_begin_array(b);
	for (int i = 0; m->refs && m->refs[i]; i++)
		json_builder_add_string_value(b, m->refs[i]);
	json_builder_end_array(b);
	json_builder_set_member_name(b, "attachments");
	json_builder_begin_array(b);
	for (guint i = 0; m->attachments && i < m->attachments->len; i++) {
		rd_attachment *a = m->attachments->pdata[i];

		json_builder_begin_object(b);
		cli_json_string(b, "filename", a->filename);
		cli_json_string(b, "content_type", a->content_type);
		cli_json_int(b, "size", a->size);
		json_builder_end_object(b);
	}
	json_builder_end_array(b);
}

static void
print_message_line(const rd_stored_message *m)
{
	printf("%s  %-6s  %s  %s  <%s>\n", m->date_text, m->status, m->from_addr, m->subject,
	       m->message_id);
}

/* ---- message ---- */

rd_status
rd_cmd_message_list(rd_cli *cli)
{
	gboolean json = FALSE;
	g_autofree char *status = NULL;
	GOptionEntry entries[] = {
	    {"json", 0, 0, G_OPTION_ARG_NONE, &json, "print JSON", NULL},
	    {"status", 0, 0, G_OPTION_ARG_STRING, &status, "only messages with this status",
	     "posted|held"},
	    {NULL}};
	g_autoptr(GError) err = NULL;
	g_autoptr(GPtrArray) list = NULL;

	if (!cli_start(cli, entries))
		return cli->status;
	if ((list = rd_store_message_list(cli->store, cli->community->id, status, &err)) == NULL)
		return cli_fail(cli, err);
	if (!json) {
		for (guint i = 0; i < list->len; i++)
			print_message_line(list->pdata[i]);
		return RD_OK;
	}
	g_autoptr(JsonBuilder) b = json_builder_new();
	json_builder_begin_array(b);
	for (guint i = 0; i < list->len; i++) {
		json_builder_begin_object(b);
		message_members(b, list->pdata[i], FALSE);
		json_builder_end_object(b);
	}
	json_builder_end_array(b);
	cli_json_print(b);
	return RD_OK;
}

rd_status
rd_cmd_message_show(rd_cli *cli)
{
	gboolean json = FALSE, raw = FALSE;
	GOptionEntry entries[] = {
	    {"json", 0, 0, G_OPTION_ARG_NONE, &json, "print JSON", NULL},
	    {"raw", 0, 0, G_OPTION_ARG_NONE, &raw, "print the message exactly as received", NULL},
	    {NULL}};
	g_autoptr(GError) err = NULL;
	g_autoptr(rd_stored_message) m = NULL;
	g_autofree char *id = NULL;
	gsize len;

	if (!cli_start(cli, entries))
		return cli->status;
	id = g_strdup(cli->argv[2]);
	len = strlen(id);
	if (len > 2 && id[0] == '<' && id[len - 1] == '>') {
		id[len - 1] = '\0';
		memmove(id, id + 1, len - 1);
	}
	if ((m = rd_store_message_get(cli->store, cli->community->id, id, raw, &err)) == NULL)
		return cli_fail(cli, err);
	if (raw) {
		const void *p = g_bytes_get_data(m->raw, &len);

		fwrite(p, 1, len, stdout);
		return RD_OK;
	}
	if (!json) {
		print_message_line(m);
		printf("\n%s\n", m->body);
		return RD_OK;
	}
	g_autoptr(JsonBuilder) b = json_builder_new();
	json_builder_begin_object(b);
	message_members(b, m, TRUE);
	json_builder_end_object(b);
	cli_json_print(b);
	return RD_OK;
}

/* ---- thread ---- */

static void
thread_members(JsonBuilder *b, const rd_thread_info *t)
{
	g_autofree char *first = iso_date(t->first_date);
	g_autofree char *last = iso_date(t->last_date);

	cli_json_int(b, "thread_id", t->id);
	cli_json_string(b, "subject", t->subject);
	cli_json_int(b, "message_count", t->message_count);
	cli_json_string(b, "first_date", first);
	cli_json_string(b, "last_date", last);
}

rd_status
rd_cmd_thread_list(rd_cli *cli)
{
	gboolean json = FALSE;
	GOptionEntry entries[] = {
	    {"json", 0, 0, G_OPTION_ARG_NONE, &json, "print JSON", NULL}, {NULL}};
	g_autoptr(GError) err = NULL;
	g_autoptr(GPtrArray) list = NULL;

	if (!cli_start(cli, entries))
		return cli->status;
	if ((list = rd_store_thread_list(cli->store, cli->community->id, &err)) == NULL)
		return cli_fail(cli, err);
	if (!json) {
		for (guint i = 0; i < list->len; i++) {
			rd_thread_info *t = list->pdata[i];
			g_autofree char *last = iso_date(t->last_date);

			printf("%6" G_GINT64_FORMAT "  %3" G_GINT64_FORMAT " msg  %s  %s\n", t->id,
			       t->message_count, last ? last : "", t->subject);
		}
		return RD_OK;
	}
	g_autoptr(JsonBuilder) b = json_builder_new();
	json_builder_begin_array(b);
	for (guint i = 0; i < list->len; i++) {
		json_builder_begin_object(b);
		thread_members(b, list->pdata[i]);
		json_builder_end_object(b);
	}
	json_builder_end_array(b);
	cli_json_print(b);
	return RD_OK;
}

/* Print a thread as an indented tree, children under their parent. */
static void
print_tree(GPtrArray *msgs, const char *parent, int depth, GHashTable *done)
{
	for (guint i = 0; i < msgs->len; i++) {
		rd_stored_message *m = msgs->pdata[i];
		gboolean match = parent ? (m->parent_message_id &&
					   strcmp(m->parent_message_id, parent) == 0)
					: m->parent_message_id == NULL;

		if (!match || g_hash_table_contains(done, m))
			continue;
		g_hash_table_add(done, m);
		printf("%*s%s %s%s%s  %s\n", depth * 2, "", m->date_text, m->from_name ? m->from_name : "",
		       m->from_name ? " " : "", m->from_addr, m->subject);
		print_tree(msgs, m->message_id, depth + 1, done);
	}
}

rd_status
rd_cmd_thread_show(rd_cli *cli)
{
	gboolean json = FALSE;
	GOptionEntry entries[] = {
	    {"json", 0, 0, G_OPTION_ARG_NONE, &json, "print JSON", NULL}, {NULL}};
	g_autoptr(rd_community) k = NULL;
	g_autoptr(rd_thread_info) t = NULL;
	g_autoptr(GError) err = NULL;
	g_autoptr(GPtrArray) msgs = NULL;
	char *end;
	gint64 id;

	if (!cli_start(cli, entries))
		return cli->status;
	id = g_ascii_strtoll(cli->argv[1], &end, 10);
	if (*end != '\0' || id <= 0)
		return cli_usage(cli, "%s is not a thread id", cli->argv[1]);
	if (!cli_open(cli))
		return cli->status;
	if ((t = rd_store_thread_get(cli->store, id, &err)) == NULL ||
	    (k = rd_store_community_get_by_id(cli->store, t->community_id, &err)) == NULL ||
	    (msgs = rd_store_thread_messages(cli->store, id, &err)) == NULL)
		return cli_fail(cli, err);
	if (!json) {
		g_autoptr(GHashTable) done = g_hash_table_new(g_direct_hash, g_direct_equal);

		printf("%s  (%s@%s, %u messages)\n", t->subject, k->name, k->domain, msgs->len);
		print_tree(msgs, NULL, 1, done);
		/* Loops that survived would hide messages: print the rest flat. */
		for (guint i = 0; i < msgs->len; i++)
			if (!g_hash_table_contains(done, msgs->pdata[i]))
				print_message_line(msgs->pdata[i]);
		return RD_OK;
	}
	g_autoptr(JsonBuilder) b = json_builder_new();
	g_autofree char *addr = g_strdup_printf("%s@%s", k->name, k->domain);
	json_builder_begin_object(b);
	thread_members(b, t);
	cli_json_string(b, "community", addr);
	json_builder_set_member_name(b, "messages");
	json_builder_begin_array(b);
	for (guint i = 0; i < msgs->len; i++) {
		json_builder_begin_object(b);
		message_members(b, msgs->pdata[i], TRUE);
		json_builder_end_object(b);
	}
	json_builder_end_array(b);
	json_builder_end_object(b);
	cli_json_print(b);
	return RD_OK;
}
