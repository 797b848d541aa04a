/* cmd-report.c - "rounds report": the vitality of a community (issue 14).
 *
 *   rounds report COMMUNITY [--since DATE] [--until DATE] [--json]
 *
 * The store loads the rows (rd_store_report_rows), report.c computes every
 * figure; this verb only parses the period and prints.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd-internal.h"
#include "log.h"
#include "report-mail.h"
#include "report.h"
#include "schedule.h"


/* DATE as YYYY-MM-DD (midnight UTC, the start of that day) or ISO 8601
 * (UTC unless it carries an offset); -1 when it is neither. */
static gint64
report_parse_date(const char *text)
{
	g_autofree char *iso = NULL;

	if (strlen(text) == 10 && text[4] == '-' && text[7] == '-') {
		iso = g_strconcat(text, "T00:00:00Z", NULL);
		return rd_schedule_parse_iso(iso);
	}
	return rd_schedule_parse_iso(text);
}

rd_status
rd_cmd_report(rd_cli *cli)
{
	gboolean json = FALSE;
	g_autofree char *since_text = NULL;
	g_autofree char *until_text = NULL;
	GOptionEntry entries[] = {
	    {"since", 0, 0, G_OPTION_ARG_STRING, &since_text,
	     "start of the period (default: 7 days before --until)", "DATE"},
	    {"until", 0, 0, G_OPTION_ARG_STRING, &until_text, "end of the period (default: now)",
	     "DATE"},
	    {"json", 0, 0, G_OPTION_ARG_NONE, &json,
	     "print JSON (the keys are listed in README.md)", NULL},
	    {NULL, 0, 0, 0, NULL, NULL, NULL},
	};
	g_autoptr(GError) err = NULL;
	g_autoptr(GPtrArray) posts = NULL;
	g_autoptr(GPtrArray) members = NULL;
	g_autoptr(rd_report) r = NULL;
	const rd_community *k;
	gint64 since, until;

	cli->summary =
	    "How alive a community is over a period: posts, threads, replies, reply pairs,\n"
	    "unanswered threads, time to first reply, the core group (people who posted in\n"
	    "3 of the last 4 weeks), members and 12 weeks of posts and posters.\n\n"
	    "DATE is YYYY-MM-DD (midnight UTC at the start of that day) or ISO 8601.\n"
	    "The period is SINCE <= date < UNTIL.  README.md (\"Vitality report\") defines\n"
	    "every figure and the JSON keys.";
	if (!cli_start(cli, entries))
		return cli->status;
	until = until_text ? report_parse_date(until_text) : rd_schedule_now();
	if (until < 0)
		return cli_usage(cli, "--until %s is not YYYY-MM-DD or ISO 8601", until_text);
	since = since_text ? report_parse_date(since_text) : until - 7 * 24 * 3600;
	if (since < 0)
		return cli_usage(cli, "--since %s is not YYYY-MM-DD or ISO 8601", since_text);
	if (since > until)
		return cli_usage(cli, "--since is after --until");
	k = cli->community;
	if (!rd_store_report_rows(cli->store, k->id, &posts, &members, &err))
		return cli_fail(cli, err);
	r = rd_report_compute(posts, members, since, until);
	if (!rd_store_report_left(cli->store, k->id, since, until, &r->members_left, &err))
		return cli_fail(cli, err);
	if (json) {
		g_autoptr(JsonNode) root = rd_report_to_json(r);
		g_autoptr(JsonGenerator) gen = json_generator_new();
		g_autofree char *text = NULL;

		json_generator_set_pretty(gen, TRUE);
		json_generator_set_root(gen, root);
		text = json_generator_to_data(gen, NULL);
		printf("%s\n", text);
	} else {
		g_autofree char *name = g_strconcat(k->name, "@", k->domain, NULL);
		g_autofree char *text = rd_report_to_text(r, name);

		fputs(text, stdout);
	}
	return RD_OK;
}

/* ---- the weekly owner report, from the scheduler pass ---- */

gboolean
cli_report_pass(rd_store *s, const rd_config *c, const char *from, gint64 now, guint *queued,
                   GError **error)
{
	g_autoptr(GError) err = NULL;
	rd_report_mail_ctx ctx = {
	    .weekday = c->report_weekday,
	    .hour = c->report_hour,
	    .default_timezone = c->timezone,
	    .from_address = from,
	    .delimiter = c->delimiter,
	    .template_dir = c->template_dir,
	    .home = c->home,
	};

	*queued = 0;
	/* On unless [report] weekly = false.  An owner's first report comes at
	 * the first slot after they became owner (report-mail.c), so an upgrade
	 * or a new community sends nothing about weeks nobody watched. */
	if (!c->report_weekly)
		return TRUE;
	if (rd_report_mail_enqueue_due(s, &ctx, now, queued, &err))
		return TRUE;
	/* A missing template or a busy database must not hold up the digests
	 * and the outbox of this pass: the reports are tried again next pass. */
	if (rd_status_from_error(err) == RD_TEMPFAIL) {
		rd_log_warnx("weekly owner reports: %s", err->message);
		return TRUE;
	}
	g_propagate_error(error, g_steal_pointer(&err));
	return FALSE;
}
