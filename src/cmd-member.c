/* cmd-member.c - rounds member add | set | remove | list | alias: the
 * members of a community and the addresses a person writes from. */
#include <stdio.h>
#include <string.h>

#include "cmd-internal.h"

static const char *const roles[] = {"member", "poster", "moderator", "owner", NULL};
static const char *const deliveries[] = {"each", "digest", "none", NULL};

/* ---- member ---- */

/* One membership as a JSON object (README, "JSON output"). */
static gint
cmp_id(gconstpointer a, gconstpointer b)
{
	gint64 x = *(const gint64 *)a, y = *(const gint64 *)b;

	return x < y ? -1 : x > y;
}

/* The person's pause and muted conversations, read per member. */
static gboolean
member_json(rd_store *s, JsonBuilder *b, const rd_member *m, GError **error)
{
	g_autofree char *paused = NULL;
	g_autoptr(GHashTable) mutes = NULL;
	g_autoptr(GList) ids = NULL;

	if (!rd_store_command_paused(s, m->person_id, &paused, error) ||
	    (mutes = rd_store_mute_threads(s, m->person_id, error)) == NULL)
		return FALSE;
	ids = g_list_sort(g_hash_table_get_keys(mutes), cmp_id);
	json_builder_begin_object(b);
	cli_json_string(b, "address", m->address);
	cli_json_string(b, "name", m->name);
	cli_json_string(b, "role", m->role);
	cli_json_string(b, "delivery", m->delivery);
	cli_json_string(b, "status", m->status);
	cli_json_double(b, "bounce_score", m->bounce_score);
	cli_json_string(b, "delivery_disabled_reason", m->delivery_disabled_reason);
	cli_json_string(b, "timezone", m->timezone);
	cli_json_string(b, "digest_time", m->digest_time);
	cli_json_string(b, "digest", m->digest_frequency);
	cli_json_int(b, "digest_day", m->digest_day);
	cli_json_string(b, "grouping", m->grouping);
	cli_json_string(b, "created", m->created);
	cli_json_string(b, "paused_until", paused);
	json_builder_set_member_name(b, "muted_threads");
	json_builder_begin_array(b);
	for (GList *l = ids; l; l = l->next)
		json_builder_add_int_value(b, *(gint64 *)l->data);
	json_builder_end_array(b);
	json_builder_end_object(b);
	return TRUE;
}

typedef struct {
	char *name, *delivery, *role, *timezone, *digest_time, *digest, *digest_day, *grouping,
	    *self_copy;
	gboolean json;
} member_opts;

static void
member_opts_clear(member_opts *o)
{
	g_free(o->name);
	g_free(o->delivery);
	g_free(o->role);
	g_free(o->timezone);
	g_free(o->digest_time);
	g_free(o->digest);
	g_free(o->digest_day);
	g_free(o->grouping);
	g_free(o->self_copy);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(member_opts, member_opts_clear)

static const char *const weekdays[] = {"monday", "tuesday",  "wednesday", "thursday",
                                       "friday", "saturday", "sunday",    NULL};

/* Check every given option; returns NULL or what is wrong. */
static const char *
member_opts_check(const member_opts *o)
{
	static const char *const freqs[] = {"daily", "weekly", "off", NULL};
	static const char *const groupings[] = {"combined", "separate", NULL};

	if (o->delivery && !cli_one_of(o->delivery, deliveries))
		return "--delivery must be each, digest or none";
	if (o->role && !cli_one_of(o->role, roles))
		return "--role must be member, poster, moderator or owner";
	if (o->digest && !cli_one_of(o->digest, freqs))
		return "--digest must be daily, weekly or off";
	if (o->grouping && !cli_one_of(o->grouping, groupings))
		return "--grouping must be combined or separate";
	if (o->self_copy && !cli_one_of(o->self_copy, (const char *const[]){"yes", "no", NULL}))
		return "--self-copy must be yes or no";
	if (o->timezone) {
		GTimeZone *tz = g_time_zone_new_identifier(o->timezone);

		if (tz == NULL)
			return "--timezone must be an IANA zone such as Europe/London";
		g_time_zone_unref(tz);
	}
	if (o->digest_time) {
		int h, m;
		char end;

		if (sscanf(o->digest_time, "%d:%d%c", &h, &m, &end) != 2 || h < 0 || h > 23 ||
		    m < 0 || m > 59)
			return "--digest-time must be HH:MM";
	}
	if (o->digest_day) {
		g_autofree char *d = g_ascii_strdown(o->digest_day, -1);
		gboolean found = FALSE;

		for (int i = 0; weekdays[i]; i++)
			if (strcmp(d, weekdays[i]) == 0 || strncmp(d, weekdays[i], 3) == 0)
				found = TRUE;
		if (!found)
			return "--digest-day must be a weekday (monday ... sunday)";
	}
	return NULL;
}

/* Apply the person and membership settings of O inside a transaction. */
static gboolean
member_opts_apply(rd_store *s, gint64 cid, const char *addr, const member_opts *o, GError **error)
{
	g_autofree char *day = NULL;
	g_autofree char *hhmm = NULL;

	if (o->digest_day) {
		g_autofree char *d = g_ascii_strdown(o->digest_day, -1);

		for (int i = 0; weekdays[i]; i++)
			if (strncmp(d, weekdays[i], 3) == 0)
				day = g_strdup_printf("%d", i + 1);
	}
	if (o->digest_time) {
		int h = 0, m = 0;

		sscanf(o->digest_time, "%d:%d", &h, &m);
		hhmm = g_strdup_printf("%02d:%02d", h, m);
	}
	return (!o->name || rd_store_member_set(s, cid, addr, "name", o->name, error)) &&
	       (!o->delivery ||
	        rd_store_member_set(s, cid, addr, "delivery", o->delivery, error)) &&
	       (!o->role || rd_store_member_set(s, cid, addr, "role", o->role, error)) &&
	       (!o->timezone ||
	        rd_store_member_set(s, cid, addr, "timezone", o->timezone, error)) &&
	       (!hhmm || rd_store_member_set(s, cid, addr, "digest_time", hhmm, error)) &&
	       (!o->digest ||
	        rd_store_member_set(s, cid, addr, "digest_frequency", o->digest, error)) &&
	       (!day || rd_store_member_set(s, cid, addr, "digest_day", day, error)) &&
	       (!o->grouping || rd_store_member_set(s, cid, addr, "grouping", o->grouping, error)) &&
	       (!o->self_copy || rd_store_fanout_self_copy(s, cid, addr,
	                                                   strcmp(o->self_copy, "yes") == 0, error));
}

/* rounds member add|set: ADD adds every address (and sets what is given),
 * set changes one member. */
static rd_status
member_change(rd_cli *cli, gboolean add)
{
	g_auto(member_opts) o = {0};
	g_autofree char *file = NULL;
	GOptionEntry entries[] = {
	    {"name", 0, 0, G_OPTION_ARG_STRING, &o.name, "display name", "NAME"},
	    {"delivery", 0, 0, G_OPTION_ARG_STRING, &o.delivery,
	     "each (every message), digest (default) or none", "MODE"},
	    {"role", 0, 0, G_OPTION_ARG_STRING, &o.role,
	     "member (default), poster, moderator or owner", "ROLE"},
	    {"timezone", 0, 0, G_OPTION_ARG_STRING, &o.timezone, "IANA time zone of the person",
	     "ZONE"},
	    {"digest-time", 0, 0, G_OPTION_ARG_STRING, &o.digest_time,
	     "local time of the digest (default 07:00)", "HH:MM"},
	    {"digest", 0, 0, G_OPTION_ARG_STRING, &o.digest, "daily (default), weekly or off",
	     "FREQ"},
	    {"digest-day", 0, 0, G_OPTION_ARG_STRING, &o.digest_day, "weekday of weekly digests",
	     "DAY"},
	    {"grouping", 0, 0, G_OPTION_ARG_STRING, &o.grouping,
	     "combined (one digest for all communities) or separate", "MODE"},
	    {"self-copy", 0, 0, G_OPTION_ARG_STRING, &o.self_copy,
	     "an each member also gets a copy of their own posts", "yes|no"},
	    {"file", 0, 0, G_OPTION_ARG_FILENAME, &file,
	     "add: also every address in FILE (one per line, # comments)", "FILE"},
	    {NULL}};
	g_autoptr(GError) err = NULL;
	g_autoptr(GPtrArray) addrs = g_ptr_array_new_with_free_func(g_free);
	const char *problem;
	rd_community *k;
	rd_store *s;
	gint64 pid;
	guint already = 0;

	if (add)
		cli->description =
		    "Adding by CLI is an administrator's act: no confirmation is asked.";
	if (!cli_start(cli, entries))
		return cli->status;
	for (int i = 2; i < cli->argc; i++)
		g_ptr_array_add(addrs, g_strdup(cli->argv[i]));
	if (file != NULL) {
		g_autofree char *text = NULL;
		g_auto(GStrv) lines = NULL;

		if (!g_file_get_contents(file, &text, NULL, &err)) {
			fprintf(stderr, "rounds %s: %s\n", cli->name, err->message);
			return RD_NOTFOUND;
		}
		lines = g_strsplit(text, "\n", -1);
		for (int i = 0; lines[i]; i++) {
			g_strstrip(lines[i]);
			if (*lines[i] != '\0' && *lines[i] != '#')
				g_ptr_array_add(addrs, g_strdup(lines[i]));
		}
	}
	if (cli->argc < 2 || addrs->len == 0)
		return cli_usage(cli, "expected COMMUNITY and ADDR");
	if (!add && addrs->len != 1)
		return cli_usage(cli, "expected COMMUNITY and one ADDR");
	if ((problem = member_opts_check(&o)) != NULL)
		return cli_usage(cli, "%s", problem);
	if (!cli_open(cli))
		return cli->status;
	for (guint i = 0; i < addrs->len; i++)
		if (!cli_valid_address(cli, addrs->pdata[i]))
			return cli_usage(cli, "%s is not a mail address", (char *)addrs->pdata[i]);
	k = cli->community;
	s = cli->store;
	/* All addresses in one transaction: a list is added whole or not at all. */
	if (!rd_store_begin(s, &err))
		goto fail;
	for (guint i = 0; i < addrs->len; i++) {
		const char *addr = addrs->pdata[i];
		g_autoptr(rd_member) old = NULL;

		/* An active member stays as they are (role and delivery too),
		 * apart from the options given: adding is not resetting. */
		if (add && (old = rd_store_member_get(s, k->id, addr, &err)) == NULL &&
		    rd_status_from_error(err) != RD_NOTFOUND)
			goto fail;
		g_clear_error(&err);
		if (old != NULL && strcmp(old->status, "active") == 0)
			already++;
		else if (add && (!rd_store_person_ensure(s, addr, o.name, &pid, &err) ||
		                 !rd_store_member_add(s, k->id, pid, o.role ? o.role : "member",
		                                      o.delivery ? o.delivery : "digest", &err)))
			goto fail;
		if (!member_opts_apply(s, k->id, addr, &o, &err))
			goto fail;
	}
	if (!rd_store_commit(s, &err))
		goto fail;
	if (!add && addrs->len == 1)
		printf("%s updated in %s@%s\n", (char *)addrs->pdata[0], k->name, k->domain);
	else if (addrs->len == 1 && already)
		printf("%s is already a member of %s@%s\n", (char *)addrs->pdata[0], k->name,
		       k->domain);
	else if (addrs->len == 1)
		printf("%s added to %s@%s\n", (char *)addrs->pdata[0], k->name, k->domain);
	else if (!add)
		printf("%u members updated in %s@%s\n", addrs->len, k->name, k->domain);
	else
		printf("%u added to %s@%s (%u already members)\n", addrs->len - already, k->name,
		       k->domain, already);
	return RD_OK;
fail:
	rd_store_rollback(s);
	return cli_fail(cli, err);
}

rd_status
rd_cmd_member_add(rd_cli *cli)
{
	return member_change(cli, TRUE);
}

rd_status
rd_cmd_member_set(rd_cli *cli)
{
	return member_change(cli, FALSE);
}

rd_status
rd_cmd_member_remove(rd_cli *cli)
{
	g_autoptr(GError) err = NULL;
	const char *addr;

	if (!cli_start(cli, NULL))
		return cli->status;
	addr = cli->argv[2];
	if (!rd_store_member_remove(cli->store, cli->community->id, addr, &err))
		return cli_fail(cli, err);
	printf("%s removed from %s@%s\n", addr, cli->community->name, cli->community->domain);
	return RD_OK;
}

rd_status
rd_cmd_member_list(rd_cli *cli)
{
	gboolean json = FALSE;
	GOptionEntry entries[] = {{"json", 0, 0, G_OPTION_ARG_NONE, &json, "print JSON", NULL},
	                          {NULL}};
	g_autoptr(GError) err = NULL;
	g_autoptr(GPtrArray) list = NULL;

	if (!cli_start(cli, entries))
		return cli->status;
	if ((list = rd_store_member_list(cli->store, cli->community->id, &err)) == NULL)
		return cli_fail(cli, err);
	if (json) {
		g_autoptr(JsonBuilder) b = json_builder_new();

		json_builder_begin_array(b);
		for (guint i = 0; i < list->len; i++)
			if (!member_json(cli->store, b, list->pdata[i], &err))
				return cli_fail(cli, err);
		json_builder_end_array(b);
		cli_json_print(b);
		return RD_OK;
	}
	for (guint i = 0; i < list->len; i++) {
		rd_member *m = list->pdata[i];

		printf("%s\t%s\t%s\t%s\n", m->address, m->role, m->delivery,
		       m->name ? m->name : "");
	}
	return RD_OK;
}

/* rounds member alias add|remove|list ADDR [ALT]: the other addresses a
 * person writes from.  A reply through the person's own token from one of
 * them is theirs (not held), so this is an administrator's act, as
 * `member add` is. */
rd_status
rd_cmd_member_alias(rd_cli *cli)
{
	gboolean json = FALSE;
	GOptionEntry entries[] = {
	    {"json", 0, 0, G_OPTION_ARG_NONE, &json, "print JSON (list)", NULL}, {NULL}};
	g_autoptr(GError) err = NULL;
	g_autoptr(GPtrArray) list = NULL;
	const char *sub;
	char **argv;
	int argc;
	rd_store *s;
	gint64 pid = 0, other = 0;
	gboolean added;

	if (!cli_start(cli, entries))
		return cli->status;
	argc = cli->argc;
	argv = cli->argv;
	sub = argc >= 2 ? argv[1] : "";
	if (strcmp(sub, "list") == 0                                ? argc != 3
	    : strcmp(sub, "add") == 0 || strcmp(sub, "remove") == 0 ? argc != 4
	                                                            : TRUE)
		return cli_usage(cli, "expected add ADDR ALT, remove ADDR ALT or list ADDR");
	if (!cli_open(cli))
		return cli->status;
	if (argc == 4 && !cli_valid_address(cli, argv[3]))
		return cli_usage(cli, "%s is not an address", argv[3]);
	s = cli->store;
	if (!rd_store_person_id(s, argv[2], &pid, &err))
		return cli_fail(cli, err);
	if (strcmp(sub, "list") == 0) {
		if ((list = rd_store_person_aliases(s, pid, &err)) == NULL)
			return cli_fail(cli, err);
		if (json) {
			g_autoptr(JsonBuilder) b = json_builder_new();

			json_builder_begin_array(b);
			for (guint i = 0; i < list->len; i++)
				json_builder_add_string_value(b, list->pdata[i]);
			json_builder_end_array(b);
			cli_json_print(b);
		} else {
			for (guint i = 0; i < list->len; i++)
				printf("%s\n", (char *)list->pdata[i]);
		}
		return RD_OK;
	}
	if (strcmp(sub, "remove") == 0) {
		if (!rd_store_person_alias_remove(s, pid, argv[3], &err))
			return cli_fail(cli, err);
		printf("%s is no longer an address of %s\n", argv[3], argv[2]);
		return RD_OK;
	}
	/* An address that is already someone's (their own or an alternate)
	 * is never taken over: that person would lose their replies. */
	if (!rd_store_person_alias_add(s, pid, argv[3], &other, &added, &err))
		return cli_fail(cli, err);
	if (other != pid) {
		fprintf(stderr, "rounds %s: %s is the address of another person\n", cli->name,
		        argv[3]);
		return RD_CANTCREAT;
	}
	if (!added) {
		printf("%s is already an address of %s\n", argv[3], argv[2]);
		return RD_OK;
	}
	printf("%s is now also an address of %s\n", argv[3], argv[2]);
	return RD_OK;
}

/* rounds member show ADDR: one person (by their own or an alternate
 * address) across every community: the person's settings, then each
 * membership with its status and bounce score. */
rd_status
rd_cmd_member_show(rd_cli *cli)
{
	gboolean json = FALSE;
	GOptionEntry entries[] = {{"json", 0, 0, G_OPTION_ARG_NONE, &json, "print JSON", NULL},
	                          {NULL}};
	g_autoptr(GError) err = NULL;
	g_autoptr(GPtrArray) communities = NULL, aliases = NULL;
	g_autoptr(GPtrArray) members =
	    g_ptr_array_new_with_free_func((GDestroyNotify)rd_member_free);
	g_autoptr(GPtrArray) where = g_ptr_array_new_with_free_func(g_free);
	g_autofree char *address = NULL, *name = NULL, *paused = NULL;
	gint64 pid;
	rd_store *s;

	if (!cli_start(cli, entries) || !cli_open(cli))
		return cli->status;
	s = cli->store;
	if (!rd_store_reply_person_by_address(s, cli->argv[1], &pid, &err) ||
	    !rd_store_reply_person_get(s, pid, &address, &name, &err) ||
	    (aliases = rd_store_person_aliases(s, pid, &err)) == NULL ||
	    !rd_store_command_paused(s, pid, &paused, &err) ||
	    (communities = rd_store_community_list(s, &err)) == NULL)
		return cli_fail(cli, err);
	for (guint i = 0; i < communities->len; i++) {
		rd_community *c = communities->pdata[i];
		rd_member *m = rd_store_member_get(s, c->id, address, &err);

		if (m == NULL && rd_status_from_error(err) != RD_NOTFOUND)
			return cli_fail(cli, err);
		g_clear_error(&err);
		if (m == NULL)
			continue;
		g_ptr_array_add(members, m);
		g_ptr_array_add(where, g_strdup_printf("%s@%s", c->name, c->domain));
	}
	/* The person's own settings are the same in every membership row. */
	rd_member *p = members->len ? members->pdata[0] : NULL;

	if (json) {
		g_autoptr(JsonBuilder) b = json_builder_new();

		json_builder_begin_object(b);
		cli_json_string(b, "address", address);
		cli_json_string(b, "name", name);
		json_builder_set_member_name(b, "aliases");
		json_builder_begin_array(b);
		for (guint i = 0; i < aliases->len; i++)
			json_builder_add_string_value(b, aliases->pdata[i]);
		json_builder_end_array(b);
		cli_json_string(b, "timezone", p ? p->timezone : NULL);
		cli_json_string(b, "digest_time", p ? p->digest_time : NULL);
		cli_json_string(b, "digest", p ? p->digest_frequency : NULL);
		cli_json_int(b, "digest_day", p ? p->digest_day : 0);
		cli_json_string(b, "grouping", p ? p->grouping : NULL);
		cli_json_string(b, "paused_until", paused);
		json_builder_set_member_name(b, "memberships");
		json_builder_begin_array(b);
		for (guint i = 0; i < members->len; i++) {
			rd_member *m = members->pdata[i];

			json_builder_begin_object(b);
			cli_json_string(b, "community", where->pdata[i]);
			cli_json_string(b, "role", m->role);
			cli_json_string(b, "delivery", m->delivery);
			cli_json_string(b, "status", m->status);
			cli_json_double(b, "bounce_score", m->bounce_score);
			cli_json_string(b, "delivery_disabled_reason", m->delivery_disabled_reason);
			cli_json_string(b, "created", m->created);
			json_builder_end_object(b);
		}
		json_builder_end_array(b);
		json_builder_end_object(b);
		cli_json_print(b);
		return RD_OK;
	}
	printf("%s%s%s%s\n", address, name ? " (" : "", name ? name : "", name ? ")" : "");
	for (guint i = 0; i < aliases->len; i++)
		printf("  also writes from %s\n", (char *)aliases->pdata[i]);
	if (p != NULL)
		printf("  digest %s at %s, time zone %s, %s\n",
		       p->digest_frequency ? p->digest_frequency : "daily",
		       p->digest_time ? p->digest_time : "07:00", p->timezone ? p->timezone : "UTC",
		       p->grouping ? p->grouping : "combined");
	if (paused != NULL)
		printf("  paused until %s\n", paused);
	for (guint i = 0; i < members->len; i++) {
		rd_member *m = members->pdata[i];

		printf("  %s: %s, delivery %s, %s, bounce score %.1f%s%s\n",
		       (char *)where->pdata[i], m->role, m->delivery, m->status, m->bounce_score,
		       m->delivery_disabled_reason ? ", disabled for " : "",
		       m->delivery_disabled_reason ? m->delivery_disabled_reason : "");
	}
	if (members->len == 0)
		printf("  a member of no community\n");
	return RD_OK;
}
