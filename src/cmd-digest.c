/* cmd-digest.c - rounds digest, tick, run and outbox: the scheduler's verbs. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "cmd-internal.h"
#include "digest.h"
#include "import.h"
#include "log.h"
#include "outbox.h"
#include "schedule.h"

/* Everything the scheduler needs from rounds.conf, loaded once per pass.
 * The configuration itself is the runner's (cli->config), only borrowed. */
typedef struct {
	rd_config *config;
	GBytes *secret;
	char *from;
	rd_digest_ctx digest;
	rd_smtp_config smtp;
	rd_outbox_policy policy;
} sched_env;

static void
sched_env_clear(sched_env *e)
{
	if (e->secret)
		g_bytes_unref(e->secret);
	g_free(e->from);
	g_free(e->smtp.password);
	memset(e, 0, sizeof *e);
}

static gint64
conf_int(GKeyFile *kf, const char *group, const char *key, gint64 def)
{
	g_autoptr(GError) err = NULL;
	gint64 v;

	if (!g_key_file_has_key(kf, group, key, NULL))
		return def;
	v = g_key_file_get_int64(kf, group, key, &err);
	return err ? def : v;
}

static rd_status
sched_env_load(const rd_cli *cli, sched_env *e)
{
	g_autoptr(GError) err = NULL;
	g_autofree char *retry = NULL;
	rd_config *c = cli->config;
	GKeyFile *kf = c->kf;

	e->config = c;
	e->secret = rd_cli_secret(c, &err);
	if (e->secret == NULL)
		return cli_fail(cli, err);
	/* Unset: each digest comes from its own Reply-To address, and each
	 * report from its community's owner address, so a client that
	 * answers From reaches Rounds, never a mailbox that bounces. */
	e->from = g_key_file_get_string(kf, "digest", "from", NULL);
	e->digest.secret = e->secret;
	e->digest.default_timezone = c->timezone;
	e->digest.from_address = e->from;
	e->digest.delimiter = c->delimiter;
	e->digest.template_dir = c->template_dir;
	e->digest.home = c->home;
	e->digest.max_lines = (int)conf_int(kf, "digest", "max-lines", 15);
	e->digest.max_conversations = (int)conf_int(kf, "digest", "max-conversations", 12);
	e->digest.max_image = conf_int(kf, "digest", "max-image-size", 1024 * 1024);
	e->digest.max_images_total = conf_int(kf, "digest", "max-images-size", 5 * 1024 * 1024);
	e->digest.max_size = c->digest_max_size;
	e->digest.web_url = c->web_url;

	e->smtp.host = c->smtp_host;
	e->smtp.port = c->smtp_port;
	if (strcmp(c->smtp_starttls, "none") == 0)
		e->smtp.starttls = RD_SMTP_TLS_NONE;
	else if (strcmp(c->smtp_starttls, "required") == 0)
		e->smtp.starttls = RD_SMTP_TLS_REQUIRED;
	else
		e->smtp.starttls = RD_SMTP_TLS_OPPORTUNISTIC;
	e->smtp.user = c->smtp_user;
	if (c->smtp_password_file) {
		if (!g_file_get_contents(c->smtp_password_file, &e->smtp.password, NULL, &err))
			return cli_fail(cli, err);
		g_strchomp(e->smtp.password);
	}
	e->smtp.connections = c->smtp_connections > 0 ? c->smtp_connections : 4;
	e->smtp.timeout_seconds = (int)conf_int(kf, "smtp", "timeout", 60);
	e->smtp.helo = NULL;

	rd_outbox_policy_default(&e->policy);
	retry = g_key_file_get_string(kf, "outbox", "retry", NULL);
	if (retry && !rd_outbox_policy_parse_retry(&e->policy, retry)) {
		fprintf(stderr, "rounds %s: [outbox] retry must be seconds, e.g. 60,300,1800\n",
			cli->name);
		return RD_CONFIG;
	}
	e->policy.give_up = conf_int(kf, "outbox", "give-up", e->policy.give_up);
	e->policy.batch = (guint)CLAMP(conf_int(kf, "outbox", "batch", e->policy.batch), 1, 10000);
	return RD_OK;
}

static rd_status
now_option(const rd_cli *cli, const char *text, gint64 *now)
{
	if (text == NULL) {
		*now = g_get_real_time() / G_USEC_PER_SEC;
		return RD_OK;
	}
	*now = rd_schedule_parse_iso(text);
	if (*now < 0)
		return cli_usage(cli, "--now must be ISO 8601, e.g. 2026-11-28T07:00:00Z");
	return RD_OK;
}

/* ---- digest preview ---- */

rd_status
rd_cmd_digest_preview(rd_cli *cli)
{
	gboolean html = FALSE;
	g_autofree char *now_text = NULL;
	GOptionEntry entries[] = {
	    {"html", 0, 0, G_OPTION_ARG_NONE, &html, "print the HTML part instead of the text",
	     NULL},
	    {"now", 0, 0, G_OPTION_ARG_STRING, &now_text, "pretend it is this instant",
	     "ISO8601"},
	    {NULL}};
	g_autoptr(rd_digest_person) p = NULL;
	g_autoptr(GError) err = NULL;
	g_autoptr(GPtrArray) sels =
	    g_ptr_array_new_with_free_func((GDestroyNotify)rd_digest_selection_free);
	g_autoptr(GArray) advance = g_array_new(FALSE, FALSE, sizeof(rd_digest_range));
	sched_env e = {0};
	gboolean due;
	gint64 now;
	rd_status st;

	cli->description = "Sends nothing and changes nothing. The content "
			   "is what is new since the person's last digest.";
	if (!cli_start(cli, entries))
		return cli->status;
	if ((st = now_option(cli, now_text, &now)) != RD_OK)
		return st;
	if (!cli_open(cli))
		return cli->status;
	if ((st = sched_env_load(cli, &e)) != RD_OK)
		goto done;
	p = rd_store_digest_person(cli->store, cli->argv[1], &err);
	if (p == NULL) {
		st = cli_fail(cli, err);
		goto done;
	}
	/* A preview ignores the schedule: pretend the slot has come. */
	p->last_slot = 0;
	p->joined = 0;
	if (!rd_digest_decide(cli->store, &e.digest, p, now, &due, sels, advance, &err)) {
		st = cli_fail(cli, err);
		goto done;
	}
	if (sels->len == 0)
		printf("Nothing new for %s: no digest would be sent.\n", p->address);
	for (guint i = 0; i < sels->len; i++) {
		g_autofree char *text = NULL, *body_html = NULL, *subject = NULL;

		if (!rd_digest_render_bodies(cli->store, &e.digest, sels->pdata[i], now, 0, &text,
					     &body_html, &subject, &err)) {
			st = cli_fail(cli, err);
			goto done;
		}
		fputs(html ? body_html : text, stdout);
		if (!g_str_has_suffix(html ? body_html : text, "\n"))
			fputc('\n', stdout);
	}
done:
	sched_env_clear(&e);
	return st;
}

/* ---- tick and run ---- */

/* Mailboxes named in [fetch] or [fetch NAME] sections are emptied into
 * their community before digests are decided.  A failing mailbox is
 * logged and tried again next pass. */
static void
fetch_pass(rd_store *s, sched_env *e)
{
	g_auto(GStrv) groups = g_key_file_get_groups(e->config->kf, NULL);
	rd_config *c = e->config;

	for (int i = 0; groups[i]; i++) {
		const char *g = groups[i];
		g_autofree char *url = NULL, *community = NULL, *pwfile = NULL, *ca = NULL;
		g_autofree char *password = NULL, *post = NULL;
		g_autoptr(GError) err = NULL;
		rd_context o = {0};
		guint fetched = 0;

		if (strcmp(g, "fetch") != 0 && !g_str_has_prefix(g, "fetch "))
			continue;
		url = g_key_file_get_string(c->kf, g, "url", NULL);
		community = g_key_file_get_string(c->kf, g, "community", NULL);
		pwfile = g_key_file_get_string(c->kf, g, "password-file", NULL);
		ca = g_key_file_get_string(c->kf, g, "ca-file", NULL);
		if (url == NULL || community == NULL) {
			rd_log_warnx("[%s] needs url and community", g);
			continue;
		}
		if (pwfile && !g_file_get_contents(pwfile, &password, NULL, &err)) {
			rd_log_warnx("[%s] %s", g, err->message);
			continue;
		}
		if (password)
			g_strchomp(password);
		post = strchr(community, '@') ? g_strdup(community)
					      : g_strdup_printf("%s@%s", community, c->domain);
		cli_context(c, &o);
		o.recipient = post;
		o.secret = e->secret;
		if (!rd_import_fetch_once(s, &o, url, password,
					  g_key_file_get_boolean(c->kf, g, "insecure", NULL), ca,
					  &fetched, &err))
			rd_log_warnx("[%s] %s: %s", g, url, err->message);
		else if (fetched > 0)
			rd_log_info("[%s] fetched %u messages", g, fetched);
	}
}

/* One pass: queue the digests that are due, then flush the outbox. */
static rd_status
sched_pass(const rd_cli *cli, sched_env *e, gint64 now, gboolean send, gboolean quiet)
{
	g_autoptr(GError) err = NULL;
	rd_outbox_counts counts = {0};
	guint queued = 0, people = 0, reports = 0;

	if (!rd_digest_enqueue_due(cli->store, &e->digest, now, &queued, &people, &err))
		return cli_fail(cli, err);
	if (!cli_report_pass(cli->store, e->config, e->from, now, &reports, &err))
		return cli_fail(cli, err);
	if (send &&
	    !rd_outbox_flush(cli->store, &e->smtp, &e->digest, &e->policy, now, &counts, &err))
		return cli_fail(cli, err);
	if (!quiet)
		printf("%u digests queued (%u people checked); outbox: %u sent, %u deferred, %u "
		       "failed\n",
		       queued, people, counts.sent, counts.deferred, counts.failed);
	rd_log_info("%s: %u digests queued; %u sent, %u deferred, %u failed", cli->name, queued,
		    counts.sent, counts.deferred, counts.failed);
	if (reports > 0)
		rd_log_info("%s: %u weekly owner reports queued", cli->name, reports);
	/* Deliveries leave the WAL in place; the scheduler folds it back. */
	if (!rd_store_checkpoint(cli->store, &err))
		rd_log_warnx("%s: checkpoint: %s", cli->name, err->message);
	return RD_OK;
}

rd_status
rd_cmd_tick(rd_cli *cli)
{
	g_autofree char *now_text = NULL;
	gboolean no_send = FALSE, quiet = FALSE;
	GOptionEntry entries[] = {
	    {"now", 0, 0, G_OPTION_ARG_STRING, &now_text, "pretend it is this instant", "ISO8601"},
	    {"no-send", 0, 0, G_OPTION_ARG_NONE, &no_send, "queue digests but do not send", NULL},
	    {"quiet", 'q', 0, G_OPTION_ARG_NONE, &quiet, "print nothing on success", NULL},
	    {NULL}};
	sched_env e = {0};
	gint64 now;
	rd_status st;

	cli->description = "For cron or a systemd timer (contrib/systemd/rounds-tick.timer).";
	rd_log_init("rounds", TRUE, TRUE);
	if (!cli_start(cli, entries))
		return cli->status;
	if ((st = now_option(cli, now_text, &now)) != RD_OK)
		return st;
	if (!cli_open(cli))
		return cli->status;
	if ((st = sched_env_load(cli, &e)) == RD_OK)
		st = sched_pass(cli, &e, now, !no_send, quiet);
	sched_env_clear(&e);
	return st;
}

static volatile sig_atomic_t got_term, got_hup;

static void
on_signal(int sig)
{
	if (sig == SIGHUP)
		got_hup = 1;
	else
		got_term = 1;
}

rd_status
rd_cmd_run(rd_cli *cli)
{
	gint interval = 60;
	GOptionEntry entries[] = {
	    {"interval", 0, 0, G_OPTION_ARG_INT, &interval, "seconds between passes (60)", "SEC"},
	    {NULL}};
	g_autofree char *lock_path = NULL;
	struct sigaction sa;
	int lock_fd;

	cli->description =
	    "One pass a minute. SIGTERM or SIGINT finish the current pass and exit 0;\n"
	    "SIGHUP reloads rounds.conf. A lock (HOME/rounds.lock) keeps a second\n"
	    "instance from running: it exits 75.";
	rd_log_init("rounds", TRUE, TRUE);
	if (!cli_start(cli, entries))
		return cli->status;
	if (interval < 1)
		return cli_usage(cli, "--interval must be at least 1");
	lock_path = g_build_filename(cli_home(), "rounds.lock", NULL);
	lock_fd = open(lock_path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (lock_fd < 0) {
		fprintf(stderr, "rounds run: cannot open %s: %s\n", lock_path, g_strerror(errno));
		return RD_CANTCREAT;
	}
	if (flock(lock_fd, LOCK_EX | LOCK_NB) != 0) {
		fprintf(stderr, "rounds run: another rounds run is active (%s)\n", lock_path);
		close(lock_fd);
		return RD_TEMPFAIL;
	}
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_signal;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);

	while (!got_term) {
		sched_env e = {0};

		got_hup = 0;
		/* The configuration is read afresh every pass, so SIGHUP only
		 * has to cut the wait short. */
		if (cli_open(cli)) {
			if (sched_env_load(cli, &e) == RD_OK) {
				fetch_pass(cli->store, &e);
				sched_pass(cli, &e, g_get_real_time() / G_USEC_PER_SEC, TRUE, TRUE);
			}
			sched_env_clear(&e);
		}
		cli_close(cli);
		for (int i = 0; i < interval && !got_term && !got_hup; i++)
			sleep(1);
		if (got_hup)
			rd_log_warnx("run: SIGHUP, reloading the configuration");
	}
	rd_log_info("run: stopping");
	close(lock_fd);
	return RD_OK;
}

/* ---- outbox ---- */

/* T as ISO 8601 in BUF, or NULL when there is no time (0). */
static const char *
ts(gint64 t, char *buf, gsize len)
{
	g_autoptr(GDateTime) d = t ? g_date_time_new_from_unix_utc(t) : NULL;
	g_autofree char *s = d ? g_date_time_format_iso8601(d) : NULL;

	if (s == NULL)
		return NULL;
	g_strlcpy(buf, s, len);
	return buf;
}

rd_status
rd_cmd_outbox_list(rd_cli *cli)
{
	gboolean json = FALSE;
	GOptionEntry entries[] = {
	    {"json", 0, 0, G_OPTION_ARG_NONE, &json, "print JSON", NULL}, {NULL}};
	g_autoptr(GError) err = NULL;
	g_autoptr(GPtrArray) list = NULL;
	char b1[64], b2[64];

	if (!cli_start(cli, entries))
		return cli->status;
	if ((list = rd_store_outbox_list(cli->store, &err)) == NULL)
		return cli_fail(cli, err);
	if (!json) {
		for (guint i = 0; i < list->len; i++) {
			rd_outbox_item *o = list->pdata[i];

			printf("%6" G_GINT64_FORMAT "  %-6s  %-7s  %s  attempts %" G_GINT64_FORMAT
			       "  next %s%s%s\n",
			       o->id, o->kind, o->status, o->recipient, o->attempts,
			       ts(o->next_attempt, b1, sizeof b1) ? b1 : "", o->last_reply ? "  " : "",
			       o->last_reply ? o->last_reply : "");
		}
		return RD_OK;
	}
	g_autoptr(JsonBuilder) b = json_builder_new();
	json_builder_begin_array(b);
	for (guint i = 0; i < list->len; i++) {
		rd_outbox_item *o = list->pdata[i];

		json_builder_begin_object(b);
		cli_json_int(b, "id", o->id);
		cli_json_string(b, "kind", o->kind);
		cli_json_string(b, "recipient", o->recipient);
		cli_json_string(b, "subject", o->subject);
		/* The null sender <> (answers to commands, notices) is stored
		 * as ""; it is a missing address, so null. */
		cli_json_string(b, "envelope_from", *o->envelope_from ? o->envelope_from : NULL);
		cli_json_string(b, "status", o->status);
		cli_json_int(b, "attempts", o->attempts);
		cli_json_string(b, "created", ts(o->created, b1, sizeof b1));
		cli_json_string(b, "next_attempt", ts(o->next_attempt, b2, sizeof b2));
		cli_json_string(b, "sent_at", ts(o->sent_at, b1, sizeof b1));
		if (o->last_code)
			cli_json_int(b, "last_code", o->last_code);
		else
			cli_json_string(b, "last_code", NULL);
		cli_json_string(b, "last_reply", o->last_reply);
		json_builder_end_object(b);
	}
	json_builder_end_array(b);
	cli_json_print(b);
	return RD_OK;
}

rd_status
rd_cmd_outbox_flush(rd_cli *cli)
{
	g_autofree char *now_text = NULL;
	GOptionEntry entries[] = {
	    {"now", 0, 0, G_OPTION_ARG_STRING, &now_text, "pretend it is this instant", "ISO8601"},
	    {NULL}};
	g_autoptr(GError) err = NULL;
	rd_outbox_counts counts;
	sched_env e = {0};
	gint64 now;
	rd_status st;

	rd_log_init("rounds", TRUE, TRUE);
	if (!cli_start(cli, entries))
		return cli->status;
	if ((st = now_option(cli, now_text, &now)) != RD_OK)
		return st;
	if (!cli_open(cli))
		return cli->status;
	if ((st = sched_env_load(cli, &e)) == RD_OK) {
		if (!rd_outbox_flush(cli->store, &e.smtp, &e.digest, &e.policy, now, &counts, &err))
			st = cli_fail(cli, err);
		else
			printf("outbox: %u sent, %u deferred, %u failed\n", counts.sent,
			       counts.deferred, counts.failed);
	}
	sched_env_clear(&e);
	return st;
}

/* ARG as an outbox id, or 0 when it is not one. */
static gint64
outbox_id(const char *arg)
{
	char *end;
	gint64 id = g_ascii_strtoll(arg, &end, 10);

	return *end == '\0' && id > 0 ? id : 0;
}

/* rounds outbox show ID: the mail exactly as the next attempt would send it. */
rd_status
rd_cmd_outbox_show(rd_cli *cli)
{
	g_autoptr(GError) err = NULL;
	g_autoptr(GBytes) data = NULL;
	sched_env e = {0};
	rd_status st;
	gint64 id;
	gsize len;
	const char *bytes;

	if (!cli_start(cli, NULL))
		return cli->status;
	if ((id = outbox_id(cli->argv[1])) <= 0)
		return cli_usage(cli, "%s is not an outbox id", cli->argv[1]);
	if (!cli_open(cli))
		return cli->status;
	if ((st = sched_env_load(cli, &e)) == RD_OK) {
		data = rd_outbox_message(cli->store, &e.digest, id, rd_schedule_now(), &err);
		if (data == NULL)
			st = cli_fail(cli, err);
		else {
			bytes = g_bytes_get_data(data, &len);
			if (fwrite(bytes, 1, len, stdout) != len || fflush(stdout) != 0)
				st = RD_IOERR;
		}
	}
	sched_env_clear(&e);
	return st;
}

rd_status
rd_cmd_outbox_retry(rd_cli *cli)
{
	g_autoptr(GError) err = NULL;
	gint64 id;

	if (!cli_start(cli, NULL))
		return cli->status;
	if ((id = outbox_id(cli->argv[1])) <= 0)
		return cli_usage(cli, "%s is not an outbox id", cli->argv[1]);
	if (!cli_open(cli))
		return cli->status;
	if (!rd_store_outbox_retry(cli->store, id, g_get_real_time() / G_USEC_PER_SEC, &err))
		return cli_fail(cli, err);
	printf("outbox %" G_GINT64_FORMAT " queued again\n", id);
	return RD_OK;
}
