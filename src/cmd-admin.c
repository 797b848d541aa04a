/* cmd-admin.c - rounds init, community and member: the administrator's verbs. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sysexits.h>
#include <unistd.h>

#include "address.h"
#include "mta.h"
#include "cmd-internal.h"
#include "token.h"

/* ---- init ---- */

static int
write_secret(const char *path)
{
	g_autoptr(GError) err = NULL;
	g_autoptr(GBytes) secret = rd_token_new_secret(&err);
	gsize len;
	const guint8 *p;
	g_autofree char *hex = NULL;
	int fd;

	if (secret == NULL)
		return rd_cli_fail("init", err);
	p = g_bytes_get_data(secret, &len);
	hex = g_malloc(len * 2 + 2);
	for (gsize i = 0; i < len; i++)
		g_snprintf(hex + i * 2, 3, "%02x", p[i]);
	strcat(hex, "\n");
	/* O_EXCL: never overwrite a secret, or every token ever sent dies. */
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
	if (fd < 0) {
		fprintf(stderr, "rounds init: cannot create %s: %s\n", path, g_strerror(errno));
		return EX_CANTCREAT;
	}
	if (write(fd, hex, strlen(hex)) != (ssize_t)strlen(hex) || fsync(fd) != 0) {
		fprintf(stderr, "rounds init: cannot write %s: %s\n", path, g_strerror(errno));
		close(fd);
		unlink(path);
		return EX_IOERR;
	}
	close(fd);
	return 0;
}

int
rd_cmd_init(int argc, char **argv)
{
	g_autofree char *domain = NULL;
	GOptionEntry entries[] = {
	    {"domain", 0, 0, G_OPTION_ARG_STRING, &domain,
	     "default domain of the communities (e.g. lists.example.org)", "DOMAIN"},
	    {NULL}};
	g_autoptr(GOptionContext) ctx = g_option_context_new("- set up an installation");
	g_autoptr(GError) err = NULL;
	g_autoptr(rd_config) c = NULL;
	g_autoptr(rd_store) s = NULL;
	const char *home = rd_cli_home();
	int rc;

	g_option_context_add_main_entries(ctx, entries, NULL);
	g_option_context_set_description(
	    ctx, "Creates HOME (--home or ROUNDS_HOME), rounds.conf, the database and a random\n"
		 "secret readable by its owner only.  Running it again changes nothing.");
	if (!rd_cli_parse(ctx, "init", &argc, &argv))
		return EX_USAGE;
	if (argc > 1)
		return rd_cli_usage("init", "unexpected argument %s", argv[1]);
	if (g_mkdir_with_parents(home, 0750) != 0) {
		fprintf(stderr, "rounds init: cannot create %s: %s\n", home, g_strerror(errno));
		return EX_CANTCREAT;
	}
	c = rd_config_load(home, &err);
	if (c == NULL)
		return rd_cli_fail("init", err);
	if (c->domain == NULL) {
		if (domain == NULL)
			return rd_cli_usage("init", "--domain DOMAIN is required");
		if (strchr(domain, '@') || strchr(domain, '.') == NULL || strchr(domain, ' '))
			return rd_cli_usage("init", "%s is not a domain name", domain);
		if (!rd_config_write_default(home, domain, &err))
			return rd_cli_fail("init", err);
		rd_config_free(g_steal_pointer(&c));
		c = rd_config_load(home, &err);
		if (c == NULL)
			return rd_cli_fail("init", err);
	} else if (domain != NULL && g_ascii_strcasecmp(domain, c->domain) != 0) {
		fprintf(stderr, "rounds init: %s is already set up for %s; edit %s to change it\n",
			home, c->domain, c->path);
		return EX_CONFIG;
	}
	if (!g_file_test(c->secret_file, G_FILE_TEST_EXISTS) && (rc = write_secret(c->secret_file)))
		return rc;
	s = rd_store_open(c->database, c->busy_timeout_ms, &err);
	if (s == NULL)
		return rd_cli_fail("init", err);
	printf("%s is ready for %s\n", home, c->domain);
	return EX_OK;
}

/* ---- community ---- */

static gboolean
valid_name(const char *name)
{
	if (!g_ascii_isalnum(name[0]))
		return FALSE;
	for (const char *p = name; *p; p++)
		if (!g_ascii_isalnum(*p) && *p != '-' && *p != '_' && *p != '.')
			return FALSE;
	return strlen(name) <= 40;
}

static gboolean
valid_address(const char *addr)
{
	const char *at = strchr(addr, '@');

	return at != NULL && at != addr && at[1] != '\0' && strchr(at + 1, '@') == NULL &&
	       strpbrk(addr, " \t\r\n<>,;") == NULL && g_utf8_validate(addr, -1, NULL);
}

static gboolean
one_of(const char *v, const char *const *allowed)
{
	for (; *allowed; allowed++)
		if (strcmp(v, *allowed) == 0)
			return TRUE;
	return FALSE;
}

static const char *const policies[] = {"open", "members", "announce", NULL};
static const char *const roles[] = {"member", "poster", "moderator", "owner", NULL};
static const char *const deliveries[] = {"each", "digest", "none", NULL};

/* One community as a JSON object (README, "JSON output"). */
static void
community_json(JsonBuilder *b, rd_store *s, const rd_community *c)
{
	g_autoptr(GPtrArray) members = rd_store_member_list(s, c->id, NULL);
	g_autoptr(GPtrArray) threads = rd_store_thread_list(s, c->id, NULL);
	g_autofree char *addr = g_strdup_printf("%s@%s", c->name, c->domain);

	json_builder_begin_object(b);
	cli_json_string(b, "name", c->name);
	cli_json_string(b, "domain", c->domain);
	cli_json_string(b, "address", addr);
	cli_json_string(b, "title", c->title);
	cli_json_string(b, "policy", c->policy);
	cli_json_bool(b, "accept_auto", c->accept_auto);
	cli_json_int(b, "members", members ? members->len : 0);
	cli_json_int(b, "threads", threads ? threads->len : 0);
	json_builder_set_member_name(b, "owners");
	json_builder_begin_array(b);
	for (guint i = 0; members && i < members->len; i++) {
		rd_member *m = members->pdata[i];

		if (strcmp(m->role, "owner") == 0)
			json_builder_add_string_value(b, m->address);
	}
	json_builder_end_array(b);
	cli_json_string(b, "created", c->created);
	json_builder_end_object(b);
}

static int
community_create(int argc, char **argv)
{
	g_autofree char *title = NULL, *policy = NULL, *owner = NULL;
	gboolean quiet = FALSE;
	GOptionEntry entries[] = {
	    {"title", 0, 0, G_OPTION_ARG_STRING, &title, "display name (default: NAME)", "TEXT"},
	    {"policy", 0, 0, G_OPTION_ARG_STRING, &policy,
	     "who may post: open, members (default; others held), announce (owners and posters)",
	     "POLICY"},
	    {"owner", 0, 0, G_OPTION_ARG_STRING, &owner, "add ADDR as the owner", "ADDR"},
	    {"quiet", 'q', 0, G_OPTION_ARG_NONE, &quiet, "do not print the MTA lines", NULL},
	    {NULL}};
	g_autoptr(GOptionContext) ctx = g_option_context_new("NAME[@DOMAIN] - create a community");
	g_autoptr(rd_config) c = NULL;
	g_autoptr(rd_store) s = NULL;
	g_autoptr(GError) err = NULL;
	g_autofree char *name = NULL;
	const char *domain;
	gint64 id, pid;
	int rc;

	g_option_context_add_main_entries(ctx, entries, NULL);
	if (!rd_cli_parse(ctx, "community create", &argc, &argv))
		return EX_USAGE;
	if (argc != 2)
		return rd_cli_usage("community create", "expected one NAME");
	if (policy && !one_of(policy, policies))
		return rd_cli_usage("community create", "--policy must be open, members or announce");
	if (owner && !valid_address(owner))
		return rd_cli_usage("community create", "%s is not a mail address", owner);
	if ((rc = rd_cli_open("community create", &c, &s)))
		return rc;
	name = g_ascii_strdown(argv[1], -1);
	domain = c->domain;
	if (strchr(name, '@')) {
		*strchr(name, '@') = '\0';
		domain = strchr(argv[1], '@') + 1;
	}
	if (!valid_name(name) || strchr(name, c->delimiter))
		return rd_cli_usage("community create",
				    "%s is not a valid name (letters, digits, - _ . ; up to 40)",
				    name);
	g_autofree char *ldomain = g_ascii_strdown(domain, -1);
	g_autoptr(rd_community) old = rd_store_community_get(s, name, ldomain, NULL);
	if (old != NULL) {
		fprintf(stderr, "rounds community create: %s@%s already exists\n", name, ldomain);
		return EX_CANTCREAT;
	}
	if (!rd_store_begin(s, &err) ||
	    !rd_store_community_create(s, name, ldomain, title ? title : name,
				       policy ? policy : "members", &id, &err) ||
	    (owner && (!rd_store_person_ensure(s, owner, NULL, &pid, &err) ||
		       !rd_store_member_add(s, id, pid, "owner", "digest", &err))) ||
	    !rd_store_commit(s, &err)) {
		rd_store_rollback(s);
		return rd_cli_fail("community create", err);
	}
	printf("created %s@%s\n", name, ldomain);
	/* What the MTA needs so that every address of the new community
	 * reaches rounds deliver (rounds mta check verifies it). */
	g_autofree char *home = g_canonicalize_filename(c->home, NULL);
	g_autofree char *lines = rd_mta_lines(c->mta, name, ldomain, c->delimiter, NULL, home);
	if (lines != NULL && !quiet) {
		printf("\nAdd to the %s configuration:\n\n", c->mta);
		fputs(lines, stdout);
	}
	return EX_OK;
}

static int
community_list(int argc, char **argv)
{
	gboolean json = FALSE;
	GOptionEntry entries[] = {
	    {"json", 0, 0, G_OPTION_ARG_NONE, &json, "print JSON", NULL}, {NULL}};
	g_autoptr(GOptionContext) ctx = g_option_context_new("- list communities");
	g_autoptr(rd_config) c = NULL;
	g_autoptr(rd_store) s = NULL;
	g_autoptr(GError) err = NULL;
	g_autoptr(GPtrArray) list = NULL;
	int rc;

	g_option_context_add_main_entries(ctx, entries, NULL);
	if (!rd_cli_parse(ctx, "community list", &argc, &argv))
		return EX_USAGE;
	if (argc != 1)
		return rd_cli_usage("community list", "unexpected argument %s", argv[1]);
	if ((rc = rd_cli_open("community list", &c, &s)))
		return rc;
	list = rd_store_community_list(s, &err);
	if (list == NULL)
		return rd_cli_fail("community list", err);
	if (json) {
		g_autoptr(JsonBuilder) b = json_builder_new();

		json_builder_begin_array(b);
		for (guint i = 0; i < list->len; i++)
			community_json(b, s, list->pdata[i]);
		json_builder_end_array(b);
		cli_json_print(b);
		return EX_OK;
	}
	for (guint i = 0; i < list->len; i++) {
		rd_community *k = list->pdata[i];

		printf("%s@%s\t%s\t%s\n", k->name, k->domain, k->policy, k->title);
	}
	return EX_OK;
}

static int
community_show(int argc, char **argv)
{
	gboolean json = FALSE;
	GOptionEntry entries[] = {
	    {"json", 0, 0, G_OPTION_ARG_NONE, &json, "print JSON", NULL}, {NULL}};
	g_autoptr(GOptionContext) ctx = g_option_context_new("NAME - show one community");
	g_autoptr(rd_config) c = NULL;
	g_autoptr(rd_store) s = NULL;
	g_autoptr(rd_community) k = NULL;
	g_autoptr(JsonBuilder) b = json_builder_new();
	g_autoptr(JsonNode) node = NULL;
	int rc = 0;

	g_option_context_add_main_entries(ctx, entries, NULL);
	if (!rd_cli_parse(ctx, "community show", &argc, &argv))
		return EX_USAGE;
	if (argc != 2)
		return rd_cli_usage("community show", "expected one NAME");
	if ((rc = rd_cli_open("community show", &c, &s)))
		return rc;
	if ((k = rd_cli_community("community show", c, s, argv[1], &rc)) == NULL)
		return rc;
	community_json(b, s, k);
	if (json) {
		cli_json_print(b);
		return EX_OK;
	}
	node = json_builder_get_root(b);
	JsonObject *o = json_node_get_object(node);
	printf("community: %s\ntitle: %s\npolicy: %s\nmembers: %" G_GINT64_FORMAT
	       "\nthreads: %" G_GINT64_FORMAT "\n",
	       json_object_get_string_member(o, "address"), k->title, k->policy,
	       json_object_get_int_member(o, "members"), json_object_get_int_member(o, "threads"));
	return EX_OK;
}

int
rd_cmd_community(int argc, char **argv)
{
	if (argc >= 2 && strcmp(argv[1], "create") == 0)
		return community_create(argc - 1, argv + 1);
	if (argc >= 2 && strcmp(argv[1], "list") == 0)
		return community_list(argc - 1, argv + 1);
	if (argc >= 2 && strcmp(argv[1], "show") == 0)
		return community_show(argc - 1, argv + 1);
	if (argc >= 2 && strcmp(argv[1], "set") == 0)
		return rd_cmd_community_set(argc - 1, argv + 1);
	if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
		printf("Usage:\n"
		       "  rounds community create NAME[@DOMAIN] [--title TEXT] "
		       "[--policy open|members|announce] [--owner ADDR]\n"
		       "  rounds community list [--json]\n"
		       "  rounds community show NAME[@DOMAIN] [--json]\n"
		       "  rounds community set NAME[@DOMAIN] [--title T] [--policy P] "
		       "[--subject-prefix on|off] [--footer TEXT|--no-footer]\n"
		       "        [--reply-to list|author] [--dmarc-mitigation never|always] "
		       "[--archive-url URL] [--accept-auto yes|no]\n");
		return EX_OK;
	}
	return rd_cli_usage("community", "expected create, list, show or set (see rounds community "
					 "--help)");
}

/* ---- member ---- */

/* One membership as a JSON object (README, "JSON output"). */
static void
member_json(JsonBuilder *b, const rd_member *m)
{
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
	json_builder_end_object(b);
}

typedef struct {
	char *name, *delivery, *role, *timezone, *digest_time, *digest, *digest_day, *grouping;
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
}

static const char *const weekdays[] = {"monday", "tuesday", "wednesday", "thursday",
				       "friday", "saturday", "sunday", NULL};

/* Check every given option; returns NULL or what is wrong. */
static const char *
member_opts_check(const member_opts *o)
{
	static const char *const freqs[] = {"daily", "weekly", "off", NULL};
	static const char *const groupings[] = {"combined", "separate", NULL};

	if (o->delivery && !one_of(o->delivery, deliveries))
		return "--delivery must be each, digest or none";
	if (o->role && !one_of(o->role, roles))
		return "--role must be member, poster, moderator or owner";
	if (o->digest && !one_of(o->digest, freqs))
		return "--digest must be daily, weekly or off";
	if (o->grouping && !one_of(o->grouping, groupings))
		return "--grouping must be combined or separate";
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
member_opts_apply(rd_store *s, gint64 cid, const char *addr, const member_opts *o,
		  GError **error)
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
	       (!o->delivery || rd_store_member_set(s, cid, addr, "delivery", o->delivery, error)) &&
	       (!o->role || rd_store_member_set(s, cid, addr, "role", o->role, error)) &&
	       (!o->timezone || rd_store_member_set(s, cid, addr, "timezone", o->timezone, error)) &&
	       (!hhmm || rd_store_member_set(s, cid, addr, "digest_time", hhmm, error)) &&
	       (!o->digest ||
		rd_store_member_set(s, cid, addr, "digest_frequency", o->digest, error)) &&
	       (!day || rd_store_member_set(s, cid, addr, "digest_day", day, error)) &&
	       (!o->grouping || rd_store_member_set(s, cid, addr, "grouping", o->grouping, error));
}

static int
member_change(const char *sub, int argc, char **argv)
{
	member_opts o = {0};
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
	    {"file", 0, 0, G_OPTION_ARG_FILENAME, &file,
	     "add: also every address in FILE (one per line, # comments)", "FILE"},
	    {NULL}};
	g_autofree char *verb = g_strdup_printf("member %s", sub);
	g_autofree char *params = g_strdup_printf("COMMUNITY ADDR%s - %s a member",
						  strcmp(sub, "add") == 0 ? "..." : "",
						  strcmp(sub, "add") == 0 ? "add" : "change");
	g_autoptr(GOptionContext) ctx = g_option_context_new(params);
	g_autoptr(rd_config) c = NULL;
	g_autoptr(rd_store) s = NULL;
	g_autoptr(rd_community) k = NULL;
	g_autoptr(GError) err = NULL;
	g_autoptr(GPtrArray) addrs = NULL;
	const char *problem;
	gint64 pid;
	int rc = 0;

	g_option_context_add_main_entries(ctx, entries, NULL);
	if (strcmp(sub, "add") == 0)
		g_option_context_set_description(
		    ctx, "Adding by CLI is an administrator's act: no confirmation is asked.");
	if (!rd_cli_parse(ctx, verb, &argc, &argv)) {
		member_opts_clear(&o);
		return EX_USAGE;
	}
	addrs = g_ptr_array_new_with_free_func(g_free);
	for (int i = 2; i < argc; i++)
		g_ptr_array_add(addrs, g_strdup(argv[i]));
	if (file != NULL) {
		g_autofree char *text = NULL;
		g_auto(GStrv) lines = NULL;

		if (!g_file_get_contents(file, &text, NULL, &err)) {
			member_opts_clear(&o);
			fprintf(stderr, "rounds %s: %s\n", verb, err->message);
			return EX_NOINPUT;
		}
		lines = g_strsplit(text, "\n", -1);
		for (int i = 0; lines[i]; i++) {
			g_strstrip(lines[i]);
			if (*lines[i] != '\0' && *lines[i] != '#')
				g_ptr_array_add(addrs, g_strdup(lines[i]));
		}
	}
	if (argc < 2 || addrs->len == 0)
		rc = rd_cli_usage(verb, "expected COMMUNITY and ADDR");
	else if (strcmp(sub, "set") == 0 && addrs->len != 1)
		rc = rd_cli_usage(verb, "expected COMMUNITY and one ADDR");
	else if ((problem = member_opts_check(&o)) != NULL)
		rc = rd_cli_usage(verb, "%s", problem);
	for (guint i = 0; rc == 0 && i < addrs->len; i++)
		if (!valid_address(addrs->pdata[i]))
			rc = rd_cli_usage(verb, "%s is not a mail address", (char *)addrs->pdata[i]);
	if (rc == 0)
		rc = rd_cli_open(verb, &c, &s);
	if (rc == 0 && (k = rd_cli_community(verb, c, s, argv[1], &rc)) == NULL && rc == 0)
		rc = EX_SOFTWARE;
	if (rc != 0) {
		member_opts_clear(&o);
		return rc;
	}
	/* All addresses in one transaction: a list is added whole or not at all. */
	if (!rd_store_begin(s, &err))
		goto fail;
	for (guint i = 0; i < addrs->len; i++) {
		const char *addr = addrs->pdata[i];

		if (strcmp(sub, "add") == 0 &&
		    (!rd_store_person_ensure(s, addr, o.name, &pid, &err) ||
		     !rd_store_member_add(s, k->id, pid, o.role ? o.role : "member",
					  o.delivery ? o.delivery : "digest", &err)))
			goto fail;
		if (!member_opts_apply(s, k->id, addr, &o, &err))
			goto fail;
	}
	if (!rd_store_commit(s, &err))
		goto fail;
	member_opts_clear(&o);
	if (addrs->len == 1)
		printf("%s %s in %s@%s\n", (char *)addrs->pdata[0],
		       strcmp(sub, "add") == 0 ? "added" : "updated", k->name, k->domain);
	else
		printf("%u members %s in %s@%s\n", addrs->len,
		       strcmp(sub, "add") == 0 ? "added" : "updated", k->name, k->domain);
	return EX_OK;
fail:
	rd_store_rollback(s);
	member_opts_clear(&o);
	return rd_cli_fail(verb, err);
}

static int
member_remove(int argc, char **argv)
{
	g_autoptr(GOptionContext) ctx = g_option_context_new("COMMUNITY ADDR - remove a member");
	g_autoptr(rd_config) c = NULL;
	g_autoptr(rd_store) s = NULL;
	g_autoptr(rd_community) k = NULL;
	g_autoptr(GError) err = NULL;
	int rc = 0;

	if (!rd_cli_parse(ctx, "member remove", &argc, &argv))
		return EX_USAGE;
	if (argc != 3)
		return rd_cli_usage("member remove", "expected COMMUNITY and ADDR");
	if ((rc = rd_cli_open("member remove", &c, &s)))
		return rc;
	if ((k = rd_cli_community("member remove", c, s, argv[1], &rc)) == NULL)
		return rc;
	if (!rd_store_member_remove(s, k->id, argv[2], &err))
		return rd_cli_fail("member remove", err);
	printf("%s removed from %s@%s\n", argv[2], k->name, k->domain);
	return EX_OK;
}

static int
member_list(int argc, char **argv)
{
	gboolean json = FALSE;
	GOptionEntry entries[] = {
	    {"json", 0, 0, G_OPTION_ARG_NONE, &json, "print JSON", NULL}, {NULL}};
	g_autoptr(GOptionContext) ctx = g_option_context_new("COMMUNITY - list members");
	g_autoptr(rd_config) c = NULL;
	g_autoptr(rd_store) s = NULL;
	g_autoptr(rd_community) k = NULL;
	g_autoptr(GError) err = NULL;
	g_autoptr(GPtrArray) list = NULL;
	int rc = 0;

	g_option_context_add_main_entries(ctx, entries, NULL);
	if (!rd_cli_parse(ctx, "member list", &argc, &argv))
		return EX_USAGE;
	if (argc != 2)
		return rd_cli_usage("member list", "expected COMMUNITY");
	if ((rc = rd_cli_open("member list", &c, &s)))
		return rc;
	if ((k = rd_cli_community("member list", c, s, argv[1], &rc)) == NULL)
		return rc;
	if ((list = rd_store_member_list(s, k->id, &err)) == NULL)
		return rd_cli_fail("member list", err);
	if (json) {
		g_autoptr(JsonBuilder) b = json_builder_new();

		json_builder_begin_array(b);
		for (guint i = 0; i < list->len; i++)
			member_json(b, list->pdata[i]);
		json_builder_end_array(b);
		cli_json_print(b);
		return EX_OK;
	}
	for (guint i = 0; i < list->len; i++) {
		rd_member *m = list->pdata[i];

		printf("%s\t%s\t%s\t%s\n", m->address, m->role, m->delivery, m->name ? m->name : "");
	}
	return EX_OK;
}

/* rounds member alias add|remove|list ADDR [ALT]: the other addresses a
 * person writes from.  A reply through the person's own token from one of
 * them is theirs (not held), so this is an administrator's act, as
 * `member add` is. */
static int
member_alias(int argc, char **argv)
{
	gboolean json = FALSE;
	GOptionEntry entries[] = {
	    {"json", 0, 0, G_OPTION_ARG_NONE, &json, "print JSON (list)", NULL}, {NULL}};
	g_autoptr(GOptionContext) ctx = g_option_context_new(
	    "add|remove ADDR ALT | list ADDR - a person's alternate addresses");
	g_autoptr(rd_config) c = NULL;
	g_autoptr(rd_store) s = NULL;
	g_autoptr(GError) err = NULL;
	g_autoptr(GPtrArray) list = NULL;
	const char *verb = "member alias";
	const char *sub;
	gint64 pid = 0, other = 0;
	int rc;

	g_option_context_add_main_entries(ctx, entries, NULL);
	if (!rd_cli_parse(ctx, verb, &argc, &argv))
		return EX_USAGE;
	sub = argc >= 2 ? argv[1] : "";
	if (strcmp(sub, "list") == 0                                ? argc != 3
	    : strcmp(sub, "add") == 0 || strcmp(sub, "remove") == 0 ? argc != 4
	                                                            : TRUE)
		return rd_cli_usage(verb, "expected add ADDR ALT, remove ADDR ALT or list ADDR");
	if (argc == 4 && !valid_address(argv[3]))
		return rd_cli_usage(verb, "%s is not an address", argv[3]);
	if ((rc = rd_cli_open(verb, &c, &s)))
		return rc;
	if (!rd_store_person_id(s, argv[2], &pid, &err))
		return rd_cli_fail(verb, err);
	if (strcmp(sub, "list") == 0) {
		if ((list = rd_store_person_aliases(s, pid, &err)) == NULL)
			return rd_cli_fail(verb, err);
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
		return EX_OK;
	}
	if (strcmp(sub, "remove") == 0) {
		if (!rd_store_person_alias_remove(s, pid, argv[3], &err))
			return rd_cli_fail(verb, err);
		printf("%s is no longer an address of %s\n", argv[3], argv[2]);
		return EX_OK;
	}
	/* An address that is already someone's (their own or an alternate)
	 * is never taken over: that person would lose their replies. */
	if (rd_store_reply_person_by_address(s, argv[3], &other, &err)) {
		if (other == pid) {
			printf("%s is already an address of %s\n", argv[3], argv[2]);
			return EX_OK;
		}
		fprintf(stderr, "rounds %s: %s is the address of another person\n", verb, argv[3]);
		return EX_CANTCREAT;
	}
	if (rd_status_from_error(err) != RD_NOTFOUND)
		return rd_cli_fail(verb, err);
	g_clear_error(&err);
	if (!rd_store_reply_add_address(s, pid, argv[3], &err))
		return rd_cli_fail(verb, err);
	printf("%s is now also an address of %s\n", argv[3], argv[2]);
	return EX_OK;
}

int
rd_cmd_member(int argc, char **argv)
{
	if (argc >= 2 && strcmp(argv[1], "add") == 0)
		return member_change("add", argc - 1, argv + 1);
	if (argc >= 2 && strcmp(argv[1], "set") == 0)
		return member_change("set", argc - 1, argv + 1);
	if (argc >= 2 && strcmp(argv[1], "remove") == 0)
		return member_remove(argc - 1, argv + 1);
	if (argc >= 2 && strcmp(argv[1], "list") == 0)
		return member_list(argc - 1, argv + 1);
	if (argc >= 2 && strcmp(argv[1], "alias") == 0)
		return member_alias(argc - 1, argv + 1);
	if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
		printf(
		    "Usage:\n"
		    "  rounds member add COMMUNITY ADDR [--name NAME] [--delivery each|digest|none]"
		    " [--role member|poster|moderator|owner]\n"
		    "  rounds member set COMMUNITY ADDR [--name NAME] [--delivery MODE] [--role "
		    "ROLE]\n"
		    "        [--timezone ZONE] [--digest-time HH:MM] [--digest daily|weekly|off]\n"
		    "        [--digest-day DAY] [--grouping combined|separate]\n"
		    "  rounds member remove COMMUNITY ADDR\n"
		    "  rounds member list COMMUNITY [--json]\n"
		    "  rounds member alias add|remove ADDR ALT, rounds member alias list ADDR "
		    "[--json]\n"
		    "rounds member add|set --help shows every option.\n");
		return EX_OK;
	}
	return rd_cli_usage("member",
	                    "expected add, set, remove, list or alias (see rounds member --help)");
}
