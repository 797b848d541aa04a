/* cmd-show.c - rounds thread and rounds message: reading what is stored. */
#include <stdio.h>
#include <string.h>
#include <sysexits.h>

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
	if (!details)
		return;
	cli_json_string(b, "from_name", m->from_name);
	cli_json_string(b, "hold_reason", m->hold_reason);
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

static int
message_list(int argc, char **argv)
{
	gboolean json = FALSE;
	g_autofree char *status = NULL;
	GOptionEntry entries[] = {
	    {"json", 0, 0, G_OPTION_ARG_NONE, &json, "print JSON", NULL},
	    {"status", 0, 0, G_OPTION_ARG_STRING, &status, "only messages with this status",
	     "posted|held"},
	    {NULL}};
	g_autoptr(GOptionContext) ctx = g_option_context_new("COMMUNITY - list messages");
	g_autoptr(rd_config) c = NULL;
	g_autoptr(rd_store) s = NULL;
	g_autoptr(rd_community) k = NULL;
	g_autoptr(GError) err = NULL;
	g_autoptr(GPtrArray) list = NULL;
	int rc = 0;

	g_option_context_add_main_entries(ctx, entries, NULL);
	if (!rd_cli_parse(ctx, "message list", &argc, &argv))
		return EX_USAGE;
	if (argc != 2)
		return rd_cli_usage("message list", "expected COMMUNITY");
	if ((rc = rd_cli_open("message list", &c, &s)))
		return rc;
	if ((k = rd_cli_community("message list", c, s, argv[1], &rc)) == NULL)
		return rc;
	if ((list = rd_store_message_list(s, k->id, status, &err)) == NULL)
		return rd_cli_fail("message list", err);
	if (!json) {
		for (guint i = 0; i < list->len; i++)
			print_message_line(list->pdata[i]);
		return EX_OK;
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
	return EX_OK;
}

static int
message_show(int argc, char **argv)
{
	gboolean json = FALSE, raw = FALSE;
	GOptionEntry entries[] = {
	    {"json", 0, 0, G_OPTION_ARG_NONE, &json, "print JSON", NULL},
	    {"raw", 0, 0, G_OPTION_ARG_NONE, &raw, "print the message exactly as received", NULL},
	    {NULL}};
	g_autoptr(GOptionContext) ctx =
	    g_option_context_new("COMMUNITY MESSAGE_ID - show one message");
	g_autoptr(rd_config) c = NULL;
	g_autoptr(rd_store) s = NULL;
	g_autoptr(rd_community) k = NULL;
	g_autoptr(GError) err = NULL;
	g_autoptr(rd_stored_message) m = NULL;
	g_autofree char *id = NULL;
	gsize len;
	int rc = 0;

	g_option_context_add_main_entries(ctx, entries, NULL);
	if (!rd_cli_parse(ctx, "message show", &argc, &argv))
		return EX_USAGE;
	if (argc != 3)
		return rd_cli_usage("message show", "expected COMMUNITY and MESSAGE_ID");
	if ((rc = rd_cli_open("message show", &c, &s)))
		return rc;
	if ((k = rd_cli_community("message show", c, s, argv[1], &rc)) == NULL)
		return rc;
	id = g_strdup(argv[2]);
	len = strlen(id);
	if (len > 2 && id[0] == '<' && id[len - 1] == '>') {
		id[len - 1] = '\0';
		memmove(id, id + 1, len - 1);
	}
	if ((m = rd_store_message_get(s, k->id, id, raw, &err)) == NULL)
		return rd_cli_fail("message show", err);
	if (raw) {
		const void *p = g_bytes_get_data(m->raw, &len);

		fwrite(p, 1, len, stdout);
		return EX_OK;
	}
	if (!json) {
		print_message_line(m);
		printf("\n%s\n", m->body);
		return EX_OK;
	}
	g_autoptr(JsonBuilder) b = json_builder_new();
	json_builder_begin_object(b);
	message_members(b, m, TRUE);
	json_builder_end_object(b);
	cli_json_print(b);
	return EX_OK;
}

int
rd_cmd_message(int argc, char **argv)
{
	if (argc >= 2 && strcmp(argv[1], "list") == 0)
		return message_list(argc - 1, argv + 1);
	if (argc >= 2 && strcmp(argv[1], "show") == 0)
		return message_show(argc - 1, argv + 1);
	if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
		printf("Usage:\n"
		       "  rounds message list COMMUNITY [--json] [--status posted|held]\n"
		       "  rounds message show COMMUNITY MESSAGE_ID [--json | --raw]\n");
		return EX_OK;
	}
	return rd_cli_usage("message", "expected list or show (see rounds message --help)");
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

static int
thread_list(int argc, char **argv)
{
	gboolean json = FALSE;
	GOptionEntry entries[] = {
	    {"json", 0, 0, G_OPTION_ARG_NONE, &json, "print JSON", NULL}, {NULL}};
	g_autoptr(GOptionContext) ctx = g_option_context_new("COMMUNITY - list threads");
	g_autoptr(rd_config) c = NULL;
	g_autoptr(rd_store) s = NULL;
	g_autoptr(rd_community) k = NULL;
	g_autoptr(GError) err = NULL;
	g_autoptr(GPtrArray) list = NULL;
	int rc = 0;

	g_option_context_add_main_entries(ctx, entries, NULL);
	if (!rd_cli_parse(ctx, "thread list", &argc, &argv))
		return EX_USAGE;
	if (argc != 2)
		return rd_cli_usage("thread list", "expected COMMUNITY");
	if ((rc = rd_cli_open("thread list", &c, &s)))
		return rc;
	if ((k = rd_cli_community("thread list", c, s, argv[1], &rc)) == NULL)
		return rc;
	if ((list = rd_store_thread_list(s, k->id, &err)) == NULL)
		return rd_cli_fail("thread list", err);
	if (!json) {
		for (guint i = 0; i < list->len; i++) {
			rd_thread_info *t = list->pdata[i];
			g_autofree char *last = iso_date(t->last_date);

			printf("%6" G_GINT64_FORMAT "  %3" G_GINT64_FORMAT " msg  %s  %s\n", t->id,
			       t->message_count, last ? last : "", t->subject);
		}
		return EX_OK;
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
	return EX_OK;
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

static int
thread_show(int argc, char **argv)
{
	gboolean json = FALSE;
	GOptionEntry entries[] = {
	    {"json", 0, 0, G_OPTION_ARG_NONE, &json, "print JSON", NULL}, {NULL}};
	g_autoptr(GOptionContext) ctx = g_option_context_new("THREAD_ID - show one thread");
	g_autoptr(rd_config) c = NULL;
	g_autoptr(rd_store) s = NULL;
	g_autoptr(rd_community) k = NULL;
	g_autoptr(rd_thread_info) t = NULL;
	g_autoptr(GError) err = NULL;
	g_autoptr(GPtrArray) msgs = NULL;
	char *end;
	gint64 id;
	int rc = 0;

	g_option_context_add_main_entries(ctx, entries, NULL);
	if (!rd_cli_parse(ctx, "thread show", &argc, &argv))
		return EX_USAGE;
	if (argc != 2)
		return rd_cli_usage("thread show", "expected THREAD_ID");
	id = g_ascii_strtoll(argv[1], &end, 10);
	if (*end != '\0' || id <= 0)
		return rd_cli_usage("thread show", "%s is not a thread id", argv[1]);
	if ((rc = rd_cli_open("thread show", &c, &s)))
		return rc;
	if ((t = rd_store_thread_get(s, id, &err)) == NULL ||
	    (k = rd_store_community_get_by_id(s, t->community_id, &err)) == NULL ||
	    (msgs = rd_store_thread_messages(s, id, &err)) == NULL)
		return rd_cli_fail("thread show", err);
	if (!json) {
		g_autoptr(GHashTable) done = g_hash_table_new(g_direct_hash, g_direct_equal);

		printf("%s  (%s@%s, %u messages)\n", t->subject, k->name, k->domain, msgs->len);
		print_tree(msgs, NULL, 1, done);
		/* Loops that survived would hide messages: print the rest flat. */
		for (guint i = 0; i < msgs->len; i++)
			if (!g_hash_table_contains(done, msgs->pdata[i]))
				print_message_line(msgs->pdata[i]);
		return EX_OK;
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
	return EX_OK;
}

int
rd_cmd_thread(int argc, char **argv)
{
	if (argc >= 2 && strcmp(argv[1], "list") == 0)
		return thread_list(argc - 1, argv + 1);
	if (argc >= 2 && strcmp(argv[1], "show") == 0)
		return thread_show(argc - 1, argv + 1);
	if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
		printf("Usage:\n"
		       "  rounds thread list COMMUNITY [--json]\n"
		       "  rounds thread show THREAD_ID [--json]\n");
		return EX_OK;
	}
	return rd_cli_usage("thread", "expected list or show (see rounds thread --help)");
}
