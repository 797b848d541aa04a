/* cmd-community.c - rounds community create | list | show | set: a
 * community, its settings and how its every-message copies look. */
#include <stdio.h>
#include <string.h>

#include "cmd-internal.h"
#include "mta.h"

static const char *const policies[] = {"open", "members", "announce", NULL};

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

/* One community as a JSON object (README, "JSON output"). */
static void
community_json(JsonBuilder *b, rd_store *s, const rd_community *c)
{
	g_autoptr(GPtrArray) members = rd_store_member_list(s, c->id, NULL);
	g_autoptr(GPtrArray) threads = rd_store_thread_list(s, c->id, NULL);
	g_autofree char *addr = g_strdup_printf("%s@%s", c->name, c->domain);
	g_autofree char *replies = NULL;
	gboolean nudges = TRUE;

	if (!rd_store_command_replies(s, c->id, &replies, NULL))
		replies = NULL;
	if (!rd_store_community_nudges(s, c->id, &nudges, NULL))
		nudges = TRUE;
	g_autofree char *screen = NULL;
	g_autoptr(GPtrArray) allow = rd_store_screen_allow_list(s, c->id, NULL);

	if (!rd_store_screen_mode(s, c->id, &screen, NULL))
		screen = NULL;
	json_builder_begin_object(b);
	cli_json_string(b, "name", c->name);
	cli_json_string(b, "domain", c->domain);
	cli_json_string(b, "address", addr);
	cli_json_string(b, "title", c->title);
	cli_json_string(b, "policy", c->policy);
	cli_json_bool(b, "accept_auto", c->accept_auto);
	cli_json_string(b, "replies", replies);
	cli_json_bool(b, "nudges", nudges);
	cli_json_string(b, "screen_phi", screen);
	json_builder_set_member_name(b, "screen_allow");
	json_builder_begin_array(b);
	for (guint i = 0; allow && i < allow->len; i++)
		json_builder_add_string_value(b, allow->pdata[i]);
	json_builder_end_array(b);
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

rd_status
rd_cmd_community_create(rd_cli *cli)
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
	g_autoptr(GError) err = NULL;
	g_autofree char *name = NULL;
	g_autofree char *ldomain = NULL;
	g_autofree char *home = NULL;
	g_autofree char *exe = NULL;
	g_autofree char *lines = NULL;
	g_autoptr(rd_community) old = NULL;
	rd_config *c;
	rd_store *s;
	const char *domain;
	gint64 id, pid;

	if (!cli_start(cli, entries))
		return cli->status;
	if (policy && !cli_one_of(policy, policies))
		return cli_usage(cli, "--policy must be open, members or announce");
	if (!cli_open(cli))
		return cli->status;
	if (owner && !cli_valid_address(cli, owner))
		return cli_usage(cli, "%s is not a mail address", owner);
	c = cli->config;
	s = cli->store;
	name = g_ascii_strdown(cli->argv[1], -1);
	domain = c->domain;
	if (strchr(name, '@')) {
		*strchr(name, '@') = '\0';
		domain = strchr(cli->argv[1], '@') + 1;
	}
	if (!valid_name(name) || strchr(name, c->delimiter))
		return cli_usage(cli, "%s is not a valid name (letters, digits, - _ . ; up to 40)",
		                 name);
	ldomain = g_ascii_strdown(domain, -1);
	old = rd_store_community_get(s, name, ldomain, NULL);
	if (old != NULL) {
		fprintf(stderr, "rounds community create: %s@%s already exists\n", name, ldomain);
		return RD_CANTCREAT;
	}
	if (!rd_store_begin(s, &err) ||
	    !rd_store_community_create(s, name, ldomain, title ? title : name,
	                               policy ? policy : "members", &id, &err) ||
	    (owner && (!rd_store_person_ensure(s, owner, NULL, &pid, &err) ||
	               !rd_store_member_add(s, id, pid, "owner", "digest", &err))) ||
	    !rd_store_commit(s, &err)) {
		rd_store_rollback(s);
		return cli_fail(cli, err);
	}
	printf("created %s@%s\n", name, ldomain);
	/* What the MTA needs so that every address of the new community
	 * reaches rounds deliver (rounds mta check verifies it). */
	home = g_canonicalize_filename(c->home, NULL);
	exe = cli_rounds_path();
	lines = rd_mta_lines(c->mta, name, ldomain, c->delimiter, exe, home);
	if (lines != NULL && !quiet) {
		printf("\nAdd to the %s configuration:\n\n", c->mta);
		fputs(lines, stdout);
	}
	return RD_OK;
}

rd_status
rd_cmd_community_list(rd_cli *cli)
{
	gboolean json = FALSE;
	GOptionEntry entries[] = {{"json", 0, 0, G_OPTION_ARG_NONE, &json, "print JSON", NULL},
	                          {NULL}};
	g_autoptr(GError) err = NULL;
	g_autoptr(GPtrArray) list = NULL;

	if (!cli_start(cli, entries))
		return cli->status;
	list = rd_store_community_list(cli->store, &err);
	if (list == NULL)
		return cli_fail(cli, err);
	if (json) {
		g_autoptr(JsonBuilder) b = json_builder_new();

		json_builder_begin_array(b);
		for (guint i = 0; i < list->len; i++)
			community_json(b, cli->store, list->pdata[i]);
		json_builder_end_array(b);
		cli_json_print(b);
		return RD_OK;
	}
	for (guint i = 0; i < list->len; i++) {
		rd_community *k = list->pdata[i];

		printf("%s@%s\t%s\t%s\n", k->name, k->domain, k->policy, k->title);
	}
	return RD_OK;
}

rd_status
rd_cmd_community_show(rd_cli *cli)
{
	gboolean json = FALSE;
	GOptionEntry entries[] = {{"json", 0, 0, G_OPTION_ARG_NONE, &json, "print JSON", NULL},
	                          {NULL}};
	g_autoptr(JsonBuilder) b = json_builder_new();
	g_autoptr(JsonNode) node = NULL;
	rd_community *k;
	JsonObject *o;

	if (!cli_start(cli, entries))
		return cli->status;
	k = cli->community;
	community_json(b, cli->store, k);
	if (json) {
		cli_json_print(b);
		return RD_OK;
	}
	node = json_builder_get_root(b);
	o = json_node_get_object(node);
	printf("community: %s\ntitle: %s\npolicy: %s\nmembers: %" G_GINT64_FORMAT
	       "\nthreads: %" G_GINT64_FORMAT "\n",
	       json_object_get_string_member(o, "address"), k->title, k->policy,
	       json_object_get_int_member(o, "members"), json_object_get_int_member(o, "threads"));
	return RD_OK;
}

/* ---- set ---- */

typedef struct {
	char *title, *policy, *subject_prefix, *footer, *reply_to, *dmarc, *archive_url,
	    *accept_auto, *replies, *nudges, *screen_phi;
	char **screen_allow;
	gboolean no_footer;
} set_opts;

static void
set_opts_clear(set_opts *o)
{
	g_free(o->title);
	g_free(o->policy);
	g_free(o->subject_prefix);
	g_free(o->footer);
	g_free(o->reply_to);
	g_free(o->dmarc);
	g_free(o->archive_url);
	g_free(o->accept_auto);
	g_free(o->replies);
	g_free(o->nudges);
	g_free(o->screen_phi);
	g_strfreev(o->screen_allow);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(set_opts, set_opts_clear)

/* The first problem with the options, or NULL. */
static const char *
set_check(const set_opts *o)
{
	if (o->policy && !cli_one_of(o->policy, policies))
		return "--policy must be open, members or announce";
	if (o->subject_prefix &&
	    !cli_one_of(o->subject_prefix, (const char *const[]){"on", "off", NULL}))
		return "--subject-prefix must be on or off";
	if (o->footer && o->no_footer)
		return "--footer and --no-footer cannot be used together";
	if (o->reply_to && !cli_one_of(o->reply_to, (const char *const[]){"list", "author", NULL}))
		return "--reply-to must be list or author";
	if (o->replies && !cli_one_of(o->replies, (const char *const[]){"list", "owners", NULL}))
		return "--replies must be list or owners";
	if (o->nudges && !cli_one_of(o->nudges, (const char *const[]){"on", "off", NULL}))
		return "--nudges must be on or off";
	if (o->dmarc && !cli_one_of(o->dmarc, (const char *const[]){"never", "always", NULL}))
		return "--dmarc-mitigation must be never or always";
	if (o->accept_auto && !cli_one_of(o->accept_auto, (const char *const[]){"yes", "no", NULL}))
		return "--accept-auto must be yes or no";
	if (o->screen_phi && !cli_one_of(o->screen_phi, (const char *const[]){"hold", "off", NULL}))
		return "--screen-phi must be hold or off";
	for (char **w = o->screen_allow; w && *w; w++)
		if (**w == '\0' || strlen(*w) > 200 || !g_utf8_validate(*w, -1, NULL))
			return "--screen-allow takes a word or name of at most 200 characters";
	if (o->title && *o->title == '\0')
		return "--title must not be empty";
	if (o->archive_url && *o->archive_url && !strstr(o->archive_url, "://"))
		return "--archive-url must be a URL such as https://lists.example.org/care/";
	if (o->footer && (strchr(o->footer, '\r') || strlen(o->footer) > 2000))
		return "--footer must be plain text of at most 2000 characters";
	return NULL;
}

static gboolean
set_apply(rd_store *s, gint64 id, const set_opts *o, GError **error)
{
	if (o->title && !rd_store_community_set(s, id, "title", o->title, error))
		return FALSE;
	if (o->policy && !rd_store_community_set(s, id, "policy", o->policy, error))
		return FALSE;
	if (o->accept_auto &&
	    !rd_store_community_set(s, id, "accept_auto",
	                            strcmp(o->accept_auto, "yes") == 0 ? "1" : "0", error))
		return FALSE;
	if (o->subject_prefix &&
	    !rd_store_fanout_set(s, id, "subject_prefix",
	                         strcmp(o->subject_prefix, "on") == 0 ? "1" : "0", error))
		return FALSE;
	if ((o->footer || o->no_footer) &&
	    !rd_store_fanout_set(s, id, "footer", o->no_footer ? NULL : o->footer, error))
		return FALSE;
	if (o->reply_to && !rd_store_fanout_set(s, id, "reply_to", o->reply_to, error))
		return FALSE;
	if (o->replies && !rd_store_command_set_replies(s, id, o->replies, error))
		return FALSE;
	if (o->nudges &&
	    !rd_store_community_set_nudges(s, id, strcmp(o->nudges, "on") == 0, error))
		return FALSE;
	if (o->dmarc && !rd_store_fanout_set(s, id, "dmarc_mitigation", o->dmarc, error))
		return FALSE;
	if (o->screen_phi && !rd_store_screen_set_mode(s, id, o->screen_phi, error))
		return FALSE;
	for (char **w = o->screen_allow; w && *w; w++)
		if (!rd_store_screen_allow_add(s, id, *w, error))
			return FALSE;
	/* An empty URL removes List-Archive. */
	if (o->archive_url && !rd_store_fanout_set(s, id, "archive_url",
	                                           *o->archive_url ? o->archive_url : NULL, error))
		return FALSE;
	return TRUE;
}

rd_status
rd_cmd_community_set(rd_cli *cli)
{
	g_auto(set_opts) o = {0};
	GOptionEntry entries[] = {
	    {"title", 0, 0, G_OPTION_ARG_STRING, &o.title, "display name (List-Id, From)", "TEXT"},
	    {"policy", 0, 0, G_OPTION_ARG_STRING, &o.policy,
	     "who may post: open, members or announce", "POLICY"},
	    {"subject-prefix", 0, 0, G_OPTION_ARG_STRING, &o.subject_prefix,
	     "put [NAME] in front of subjects (never twice)", "on|off"},
	    {"footer", 0, 0, G_OPTION_ARG_STRING, &o.footer,
	     "text added to every list copy (breaks DKIM signatures)", "TEXT"},
	    {"no-footer", 0, 0, G_OPTION_ARG_NONE, &o.no_footer, "no footer (the default)", NULL},
	    {"reply-to", 0, 0, G_OPTION_ARG_STRING, &o.reply_to,
	     "where replies go: list or author (default)", "list|author"},
	    {"dmarc-mitigation", 0, 0, G_OPTION_ARG_STRING, &o.dmarc,
	     "always: From becomes \"Name via Title\" <list>, the author goes to Reply-To (or Cc)",
	     "never|always"},
	    {"archive-url", 0, 0, G_OPTION_ARG_STRING, &o.archive_url,
	     "List-Archive of the copies (empty: none)", "URL"},
	    {"replies", 0, 0, G_OPTION_ARG_STRING, &o.replies,
	     "where replies to digests go: the list (default) or only the owners", "list|owners"},
	    {"accept-auto", 0, 0, G_OPTION_ARG_STRING, &o.accept_auto,
	     "post automatic mail (auto-replies) instead of holding it", "yes|no"},
	    {"nudges", 0, 0, G_OPTION_ARG_STRING, &o.nudges,
	     "the welcome invites an introduction, digests lead with a waiting question (default on)",
	     "on|off"},
	    {"screen-phi", 0, 0, G_OPTION_ARG_STRING, &o.screen_phi,
	     "hold posts that carry patient identifiers for their author (default) or not",
	     "hold|off"},
	    {"screen-allow", 0, 0, G_OPTION_ARG_STRING_ARRAY, &o.screen_allow,
	     "a word or name never taken for a patient identifier here (repeatable; members' "
	     "names are allowed already)",
	     "WORD"},
	    {NULL}};
	g_autoptr(rd_community) k = NULL;
	g_autoptr(rd_fanout_settings) f = NULL;
	g_autoptr(GError) err = NULL;
	const char *problem;
	rd_store *s;
	rd_status st = RD_SOFTWARE;

	cli->description =
	    "Only the settings given change. Every-message copies always carry List-Id,\n"
	    "List-Post, List-Help, List-Subscribe, List-Unsubscribe, List-Owner,\n"
	    "Precedence: list and X-Loop.";
	if (!cli_start(cli, entries))
		return cli->status;
	if ((problem = set_check(&o)) != NULL)
		return cli_usage(cli, "%s", problem);
	if (!cli_open(cli))
		return cli->status;
	s = cli->store;
	if (!rd_store_begin(s, &err) || !set_apply(s, cli->community->id, &o, &err) ||
	    !rd_store_commit(s, &err)) {
		rd_store_rollback(s);
		return cli_fail(cli, err);
	}
	/* Read back what is stored now, title and policy included. */
	if ((k = cli_community(cli, cli->argv[1], &st)) == NULL)
		return st;
	if ((f = rd_store_fanout_settings(s, k->id, &err)) == NULL)
		return cli_fail(cli, err);
	printf("%s@%s: title %s, policy %s, accept-auto %s, subject-prefix %s, footer %s, "
	       "reply-to %s, dmarc-mitigation %s, archive-url %s\n",
	       k->name, k->domain, k->title, k->policy, k->accept_auto ? "yes" : "no",
	       f->subject_prefix ? "on" : "off", f->footer ? "on" : "off", f->reply_to,
	       f->dmarc_mitigation, f->archive_url ? f->archive_url : "none");
	return RD_OK;
}
