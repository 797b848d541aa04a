/* cmd-fanout.c - rounds community set: a community's title, policy and how
 * its every-message copies look. */
#include <stdio.h>
#include <string.h>
#include <sysexits.h>

#include "cmd.h"

/* Until cmd.h declares it (the dispatch table routes "community set"
 * here); the repeated declaration is harmless then. */
int rd_cmd_community_set(int argc, char **argv);

typedef struct {
	char *title, *policy, *subject_prefix, *footer, *reply_to, *dmarc, *archive_url,
	    *accept_auto;
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
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(set_opts, set_opts_clear)

static gboolean
one_of(const char *v, const char *a, const char *b, const char *c)
{
	return strcmp(v, a) == 0 || strcmp(v, b) == 0 || (c != NULL && strcmp(v, c) == 0);
}

/* The first problem with the options, or NULL. */
static const char *
set_check(const set_opts *o)
{
	if (o->policy && !one_of(o->policy, "open", "members", "announce"))
		return "--policy must be open, members or announce";
	if (o->subject_prefix && !one_of(o->subject_prefix, "on", "off", NULL))
		return "--subject-prefix must be on or off";
	if (o->footer && o->no_footer)
		return "--footer and --no-footer cannot be used together";
	if (o->reply_to && !one_of(o->reply_to, "list", "author", NULL))
		return "--reply-to must be list or author";
	if (o->dmarc && !one_of(o->dmarc, "never", "always", NULL))
		return "--dmarc-mitigation must be never or always";
	if (o->accept_auto && !one_of(o->accept_auto, "yes", "no", NULL))
		return "--accept-auto must be yes or no";
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
	if (o->dmarc && !rd_store_fanout_set(s, id, "dmarc_mitigation", o->dmarc, error))
		return FALSE;
	/* An empty URL removes List-Archive. */
	if (o->archive_url && !rd_store_fanout_set(s, id, "archive_url",
	                                           *o->archive_url ? o->archive_url : NULL, error))
		return FALSE;
	return TRUE;
}

int
rd_cmd_community_set(int argc, char **argv)
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
	    {"accept-auto", 0, 0, G_OPTION_ARG_STRING, &o.accept_auto,
	     "post automatic mail (auto-replies) instead of holding it", "yes|no"},
	    {NULL}};
	g_autoptr(GOptionContext) ctx =
	    g_option_context_new("NAME[@DOMAIN] - change a community's settings");
	g_autoptr(rd_config) c = NULL;
	g_autoptr(rd_store) s = NULL;
	g_autoptr(rd_community) k = NULL;
	g_autoptr(rd_fanout_settings) f = NULL;
	g_autoptr(GError) err = NULL;
	const char *problem;
	int rc = 0;

	g_option_context_add_main_entries(ctx, entries, NULL);
	g_option_context_set_description(
	    ctx, "Only the settings given change. Every-message copies always carry List-Id,\n"
	         "List-Post, List-Help, List-Subscribe, List-Unsubscribe, List-Owner,\n"
	         "Precedence: list and X-Loop.");
	if (!rd_cli_parse(ctx, "community set", &argc, &argv))
		return EX_USAGE;
	if (argc != 2)
		return rd_cli_usage("community set", "expected one NAME");
	if ((problem = set_check(&o)) != NULL)
		return rd_cli_usage("community set", "%s", problem);
	if ((rc = rd_cli_open("community set", &c, &s)))
		return rc;
	if ((k = rd_cli_community("community set", c, s, argv[1], &rc)) == NULL)
		return rc ? rc : EX_SOFTWARE;
	if (!rd_store_begin(s, &err) || !set_apply(s, k->id, &o, &err) ||
	    !rd_store_commit(s, &err)) {
		rd_store_rollback(s);
		return rd_cli_fail("community set", err);
	}
	g_clear_pointer(&k, rd_community_free);
	if ((k = rd_cli_community("community set", c, s, argv[1], &rc)) == NULL ||
	    (f = rd_store_fanout_settings(s, k->id, &err)) == NULL)
		return rc ? rc : rd_cli_fail("community set", err);
	printf("%s@%s: title %s, policy %s, accept-auto %s, subject-prefix %s, footer %s, "
	       "reply-to %s, dmarc-mitigation %s, archive-url %s\n",
	       k->name, k->domain, k->title, k->policy, k->accept_auto ? "yes" : "no",
	       f->subject_prefix ? "on" : "off", f->footer ? "on" : "off", f->reply_to,
	       f->dmarc_mitigation, f->archive_url ? f->archive_url : "none");
	return EX_OK;
}
