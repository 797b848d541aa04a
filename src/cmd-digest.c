/* cmd-digest.c - rounds digest, tick, run and outbox: the scheduler's verbs. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sysexits.h>
#include <unistd.h>

#include "cmd.h"
#include "digest.h"
#include "import.h"
#include "log.h"
#include "outbox.h"
#include "schedule.h"

/* Everything the scheduler needs from rounds.conf, loaded once per pass. */
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
	rd_config_free(e->config);
	if (e->secret)
		g_bytes_unref(e->secret);
	g_free(e->from);
	g_free(e->smtp.password);
	memset(e, 0, sizeof *e);
}

GBytes *
rd_cli_secret(const rd_config *c, GError **error)
{
	g_autofree char *text = NULL;
	g_autoptr(GByteArray) bytes = g_byte_array_new();
	g_autoptr(GError) err = NULL;

	if (!g_file_get_contents(c->secret_file, &text, NULL, &err)) {
		g_set_error(error, RD_ERROR, RD_CONFIG, "cannot read the secret: %s", err->message);
		return NULL;
	}
	g_strstrip(text);
	for (const char *p = text; p[0] && p[1]; p += 2) {
		int hi = g_ascii_xdigit_value(p[0]), lo = g_ascii_xdigit_value(p[1]);
		guint8 b;

		if (hi < 0 || lo < 0) {
			g_set_error(error, RD_ERROR, RD_CONFIG, "%s is not a Rounds secret",
				    c->secret_file);
			return NULL;
		}
		b = (guint8)(hi * 16 + lo);
		g_byte_array_append(bytes, &b, 1);
	}
	if (bytes->len < 16) {
		g_set_error(error, RD_ERROR, RD_CONFIG, "%s is too short to be a secret",
			    c->secret_file);
		return NULL;
	}
	return g_byte_array_free_to_bytes(g_steal_pointer(&bytes));
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

static int
sched_env_load(const char *verb, rd_config *c, sched_env *e)
{
	g_autoptr(GError) err = NULL;
	g_autofree char *retry = NULL;
	GKeyFile *kf = c->kf;

	e->config = c;
	e->secret = rd_cli_secret(c, &err);
	if (e->secret == NULL)
		return rd_cli_fail(verb, err);
	e->from = g_key_file_get_string(kf, "digest", "from", NULL);
	if (e->from == NULL)
		e->from = g_strdup_printf("digest@%s", c->sender_domain ? c->sender_domain
									  : c->domain);
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
			return rd_cli_fail(verb, err);
		g_strchomp(e->smtp.password);
	}
	e->smtp.connections = c->smtp_connections > 0 ? c->smtp_connections : 4;
	e->smtp.timeout_seconds = (int)conf_int(kf, "smtp", "timeout", 60);
	e->smtp.helo = NULL;

	rd_outbox_policy_default(&e->policy);
	retry = g_key_file_get_string(kf, "outbox", "retry", NULL);
	if (retry && !rd_outbox_policy_parse_retry(&e->policy, retry)) {
		fprintf(stderr, "rounds %s: [outbox] retry must be seconds, e.g. 60,300,1800\n",
			verb);
		return EX_CONFIG;
	}
	e->policy.give_up = conf_int(kf, "outbox", "give-up", e->policy.give_up);
	e->policy.batch = (guint)CLAMP(conf_int(kf, "outbox", "batch", e->policy.batch), 1, 10000);
	return 0;
}

static int
now_option(const char *verb, const char *text, gint64 *now)
{
	if (text == NULL) {
		*now = g_get_real_time() / G_USEC_PER_SEC;
		return 0;
	}
	*now = rd_schedule_parse_iso(text);
	if (*now < 0)
		return rd_cli_usage(verb, "--now must be ISO 8601, e.g. 2026-11-28T07:00:00Z");
	return 0;
}

/* ---- digest preview ---- */

static int
digest_preview(int argc, char **argv)
{
	gboolean html = FALSE;
	g_autofree char *now_text = NULL;
	GOptionEntry entries[] = {
	    {"html", 0, 0, G_OPTION_ARG_NONE, &html, "print the HTML part instead of the text",
	     NULL},
	    {"now", 0, 0, G_OPTION_ARG_STRING, &now_text, "pretend it is this instant",
	     "ISO8601"},
	    {NULL}};
	g_autoptr(GOptionContext) ctx =
	    g_option_context_new("ADDR - print the digest ADDR would receive now");
	rd_config *c = NULL;
	g_autoptr(rd_store) s = NULL;
	g_autoptr(rd_digest_person) p = NULL;
	g_autoptr(GError) err = NULL;
	g_autoptr(GPtrArray) sels =
	    g_ptr_array_new_with_free_func((GDestroyNotify)rd_digest_selection_free);
	g_autoptr(GArray) advance = g_array_new(FALSE, FALSE, sizeof(rd_digest_range));
	sched_env e = {0};
	gboolean due;
	gint64 now;
	int rc;

	g_option_context_add_main_entries(ctx, entries, NULL);
	g_option_context_set_description(ctx, "Sends nothing and changes nothing. The content "
					      "is what is new since the person's last digest.");
	if (!rd_cli_parse(ctx, "digest preview", &argc, &argv))
		return EX_USAGE;
	if (argc != 2)
		return rd_cli_usage("digest preview", "expected one ADDR");
	if ((rc = now_option("digest preview", now_text, &now)))
		return rc;
	if ((rc = rd_cli_open("digest preview", &c, &s)))
		return rc;
	if ((rc = sched_env_load("digest preview", c, &e))) {
		sched_env_clear(&e);
		return rc;
	}
	p = rd_store_digest_person(s, argv[1], &err);
	if (p == NULL) {
		sched_env_clear(&e);
		return rd_cli_fail("digest preview", err);
	}
	/* A preview ignores the schedule: pretend the slot has come. */
	p->last_slot = 0;
	p->joined = 0;
	if (!rd_digest_decide(s, &e.digest, p, now, &due, sels, advance, &err)) {
		sched_env_clear(&e);
		return rd_cli_fail("digest preview", err);
	}
	if (sels->len == 0) {
		printf("Nothing new for %s: no digest would be sent.\n", p->address);
		sched_env_clear(&e);
		return EX_OK;
	}
	for (guint i = 0; i < sels->len; i++) {
		g_autofree char *text = NULL, *body_html = NULL, *subject = NULL;

		if (!rd_digest_render_bodies(s, &e.digest, sels->pdata[i], now, 0, &text,
					     &body_html, &subject, &err)) {
			sched_env_clear(&e);
			return rd_cli_fail("digest preview", err);
		}
		fputs(html ? body_html : text, stdout);
		if (!g_str_has_suffix(html ? body_html : text, "\n"))
			fputc('\n', stdout);
	}
	sched_env_clear(&e);
	return EX_OK;
}

int
rd_cmd_digest(int argc, char **argv)
{
	if (argc >= 2 && strcmp(argv[1], "preview") == 0)
		return digest_preview(argc - 1, argv + 1);
	if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
		printf("Usage:\n  rounds digest preview ADDR [--html] [--now ISO8601]\n");
		return EX_OK;
	}
	return rd_cli_usage("digest", "expected preview (see rounds digest --help)");
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
		rd_deliver_opts o = {0};
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
		rd_cli_deliver_opts(c, &o);
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
static int
sched_pass(const char *verb, rd_store *s, sched_env *e, gint64 now, gboolean send,
	   gboolean quiet)
{
	g_autoptr(GError) err = NULL;
	rd_outbox_counts counts = {0};
	guint queued = 0, people = 0, reports = 0;

	if (!rd_digest_enqueue_due(s, &e->digest, now, &queued, &people, &err))
		return rd_cli_fail(verb, err);
	if (!rd_cli_report_pass(s, e->config, e->from, now, &reports, &err))
		return rd_cli_fail(verb, err);
	if (send && !rd_outbox_flush(s, &e->smtp, &e->digest, &e->policy, now, &counts, &err))
		return rd_cli_fail(verb, err);
	if (!quiet)
		printf("%u digests queued (%u people checked); outbox: %u sent, %u deferred, %u "
		       "failed\n",
		       queued, people, counts.sent, counts.deferred, counts.failed);
	rd_log_info("%s: %u digests queued; %u sent, %u deferred, %u failed", verb, queued,
		    counts.sent, counts.deferred, counts.failed);
	if (reports > 0)
		rd_log_info("%s: %u weekly owner reports queued", verb, reports);
	return EX_OK;
}

int
rd_cmd_tick(int argc, char **argv)
{
	g_autofree char *now_text = NULL;
	gboolean no_send = FALSE, quiet = FALSE;
	GOptionEntry entries[] = {
	    {"now", 0, 0, G_OPTION_ARG_STRING, &now_text, "pretend it is this instant", "ISO8601"},
	    {"no-send", 0, 0, G_OPTION_ARG_NONE, &no_send, "queue digests but do not send", NULL},
	    {"quiet", 'q', 0, G_OPTION_ARG_NONE, &quiet, "print nothing on success", NULL},
	    {NULL}};
	g_autoptr(GOptionContext) ctx = g_option_context_new(
	    "- one pass: queue the digests that are due, send the outbox, exit");
	rd_config *c = NULL;
	g_autoptr(rd_store) s = NULL;
	sched_env e = {0};
	gint64 now;
	int rc;

	g_option_context_add_main_entries(ctx, entries, NULL);
	g_option_context_set_description(ctx, "For cron or a systemd timer "
					      "(contrib/systemd/rounds-tick.timer).");
	rd_log_init("rounds", TRUE, TRUE);
	if (!rd_cli_parse(ctx, "tick", &argc, &argv))
		return EX_USAGE;
	if (argc != 1)
		return rd_cli_usage("tick", "unexpected argument %s", argv[1]);
	if ((rc = now_option("tick", now_text, &now)))
		return rc;
	if ((rc = rd_cli_open("tick", &c, &s)))
		return rc;
	if ((rc = sched_env_load("tick", c, &e)) == 0)
		rc = sched_pass("tick", s, &e, now, !no_send, quiet);
	sched_env_clear(&e);
	return rc;
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

int
rd_cmd_run(int argc, char **argv)
{
	gint interval = 60;
	GOptionEntry entries[] = {
	    {"interval", 0, 0, G_OPTION_ARG_INT, &interval, "seconds between passes (60)", "SEC"},
	    {NULL}};
	g_autoptr(GOptionContext) ctx = g_option_context_new("- the scheduler daemon");
	g_autofree char *lock_path = NULL;
	struct sigaction sa;
	int lock_fd;

	g_option_context_add_main_entries(ctx, entries, NULL);
	g_option_context_set_description(
	    ctx, "One pass a minute. SIGTERM or SIGINT finish the current pass and exit 0;\n"
		 "SIGHUP reloads rounds.conf. A lock (HOME/rounds.lock) keeps a second\n"
		 "instance from running: it exits 75.");
	rd_log_init("rounds", TRUE, TRUE);
	if (!rd_cli_parse(ctx, "run", &argc, &argv))
		return EX_USAGE;
	if (argc != 1)
		return rd_cli_usage("run", "unexpected argument %s", argv[1]);
	if (interval < 1)
		return rd_cli_usage("run", "--interval must be at least 1");
	lock_path = g_build_filename(rd_cli_home(), "rounds.lock", NULL);
	lock_fd = open(lock_path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (lock_fd < 0) {
		fprintf(stderr, "rounds run: cannot open %s: %s\n", lock_path, g_strerror(errno));
		return EX_CANTCREAT;
	}
	if (flock(lock_fd, LOCK_EX | LOCK_NB) != 0) {
		fprintf(stderr, "rounds run: another rounds run is active (%s)\n", lock_path);
		close(lock_fd);
		return EX_TEMPFAIL;
	}
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_signal;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);

	while (!got_term) {
		rd_config *c = NULL;
		g_autoptr(rd_store) s = NULL;
		sched_env e = {0};
		int rc;

		got_hup = 0;
		/* The configuration is read afresh every pass, so SIGHUP only
		 * has to cut the wait short. */
		if ((rc = rd_cli_open("run", &c, &s)) == 0) {
			if (sched_env_load("run", c, &e) == 0) {
				fetch_pass(s, &e);
				sched_pass("run", s, &e, g_get_real_time() / G_USEC_PER_SEC, TRUE,
					   TRUE);
			}
			sched_env_clear(&e);
		}
		for (int i = 0; i < interval && !got_term && !got_hup; i++)
			sleep(1);
		if (got_hup)
			rd_log_warnx("run: SIGHUP, reloading the configuration");
	}
	rd_log_info("run: stopping");
	close(lock_fd);
	return EX_OK;
}

/* ---- outbox ---- */

static const char *
ts(gint64 t, char *buf, gsize len)
{
	g_autoptr(GDateTime) d = t ? g_date_time_new_from_unix_utc(t) : NULL;
	g_autofree char *s = d ? g_date_time_format_iso8601(d) : NULL;

	g_strlcpy(buf, s ? s : "", len);
	return buf;
}

static int
outbox_list(int argc, char **argv)
{
	gboolean json = FALSE;
	GOptionEntry entries[] = {
	    {"json", 0, 0, G_OPTION_ARG_NONE, &json, "print JSON", NULL}, {NULL}};
	g_autoptr(GOptionContext) ctx = g_option_context_new("- list the outbox");
	g_autoptr(rd_config) c = NULL;
	g_autoptr(rd_store) s = NULL;
	g_autoptr(GError) err = NULL;
	g_autoptr(GPtrArray) list = NULL;
	char b1[64], b2[64];
	int rc;

	g_option_context_add_main_entries(ctx, entries, NULL);
	if (!rd_cli_parse(ctx, "outbox list", &argc, &argv))
		return EX_USAGE;
	if ((rc = rd_cli_open("outbox list", &c, &s)))
		return rc;
	if ((list = rd_store_outbox_list(s, &err)) == NULL)
		return rd_cli_fail("outbox list", err);
	if (!json) {
		for (guint i = 0; i < list->len; i++) {
			rd_outbox_item *o = list->pdata[i];

			printf("%6" G_GINT64_FORMAT "  %-6s  %-7s  %s  attempts %" G_GINT64_FORMAT
			       "  next %s%s%s\n",
			       o->id, o->kind, o->status, o->recipient, o->attempts,
			       ts(o->next_attempt, b1, sizeof b1), o->last_reply ? "  " : "",
			       o->last_reply ? o->last_reply : "");
		}
		return EX_OK;
	}
	g_autoptr(JsonBuilder) b = json_builder_new();
	json_builder_begin_array(b);
	for (guint i = 0; i < list->len; i++) {
		rd_outbox_item *o = list->pdata[i];

		json_builder_begin_object(b);
		json_builder_set_member_name(b, "id");
		json_builder_add_int_value(b, o->id);
		json_builder_set_member_name(b, "kind");
		json_builder_add_string_value(b, o->kind);
		json_builder_set_member_name(b, "recipient");
		json_builder_add_string_value(b, o->recipient);
		json_builder_set_member_name(b, "envelope_from");
		json_builder_add_string_value(b, o->envelope_from);
		json_builder_set_member_name(b, "status");
		json_builder_add_string_value(b, o->status);
		json_builder_set_member_name(b, "attempts");
		json_builder_add_int_value(b, o->attempts);
		json_builder_set_member_name(b, "created");
		json_builder_add_string_value(b, ts(o->created, b1, sizeof b1));
		json_builder_set_member_name(b, "next_attempt");
		json_builder_add_string_value(b, ts(o->next_attempt, b2, sizeof b2));
		json_builder_set_member_name(b, "sent_at");
		if (o->sent_at)
			json_builder_add_string_value(b, ts(o->sent_at, b1, sizeof b1));
		else
			json_builder_add_null_value(b);
		json_builder_set_member_name(b, "last_code");
		if (o->last_code)
			json_builder_add_int_value(b, o->last_code);
		else
			json_builder_add_null_value(b);
		json_builder_set_member_name(b, "last_reply");
		if (o->last_reply)
			json_builder_add_string_value(b, o->last_reply);
		else
			json_builder_add_null_value(b);
		json_builder_end_object(b);
	}
	json_builder_end_array(b);
	g_autoptr(JsonNode) root = json_builder_get_root(b);
	rd_cli_print_json(root);
	return EX_OK;
}

static int
outbox_flush(int argc, char **argv)
{
	g_autofree char *now_text = NULL;
	GOptionEntry entries[] = {
	    {"now", 0, 0, G_OPTION_ARG_STRING, &now_text, "pretend it is this instant", "ISO8601"},
	    {NULL}};
	g_autoptr(GOptionContext) ctx = g_option_context_new("- send what is due in the outbox");
	rd_config *c = NULL;
	g_autoptr(rd_store) s = NULL;
	g_autoptr(GError) err = NULL;
	rd_outbox_counts counts;
	sched_env e = {0};
	gint64 now;
	int rc;

	g_option_context_add_main_entries(ctx, entries, NULL);
	rd_log_init("rounds", TRUE, TRUE);
	if (!rd_cli_parse(ctx, "outbox flush", &argc, &argv))
		return EX_USAGE;
	if ((rc = now_option("outbox flush", now_text, &now)))
		return rc;
	if ((rc = rd_cli_open("outbox flush", &c, &s)))
		return rc;
	if ((rc = sched_env_load("outbox flush", c, &e)) == 0) {
		if (!rd_outbox_flush(s, &e.smtp, &e.digest, &e.policy, now, &counts, &err))
			rc = rd_cli_fail("outbox flush", err);
		else
			printf("outbox: %u sent, %u deferred, %u failed\n", counts.sent,
			       counts.deferred, counts.failed);
	}
	sched_env_clear(&e);
	return rc;
}

static int
outbox_retry(int argc, char **argv)
{
	g_autoptr(GOptionContext) ctx =
	    g_option_context_new("ID - queue a failed or deferred item again, now");
	g_autoptr(rd_config) c = NULL;
	g_autoptr(rd_store) s = NULL;
	g_autoptr(GError) err = NULL;
	char *end;
	gint64 id;
	int rc;

	if (!rd_cli_parse(ctx, "outbox retry", &argc, &argv))
		return EX_USAGE;
	if (argc != 2)
		return rd_cli_usage("outbox retry", "expected one ID");
	id = g_ascii_strtoll(argv[1], &end, 10);
	if (*end != '\0' || id <= 0)
		return rd_cli_usage("outbox retry", "%s is not an outbox id", argv[1]);
	if ((rc = rd_cli_open("outbox retry", &c, &s)))
		return rc;
	if (!rd_store_outbox_retry(s, id, g_get_real_time() / G_USEC_PER_SEC, &err))
		return rd_cli_fail("outbox retry", err);
	printf("outbox %" G_GINT64_FORMAT " queued again\n", id);
	return EX_OK;
}

int
rd_cmd_outbox(int argc, char **argv)
{
	if (argc >= 2 && strcmp(argv[1], "list") == 0)
		return outbox_list(argc - 1, argv + 1);
	if (argc >= 2 && strcmp(argv[1], "flush") == 0)
		return outbox_flush(argc - 1, argv + 1);
	if (argc >= 2 && strcmp(argv[1], "retry") == 0)
		return outbox_retry(argc - 1, argv + 1);
	if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
		printf("Usage:\n"
		       "  rounds outbox list [--json]\n"
		       "  rounds outbox flush [--now ISO8601]\n"
		       "  rounds outbox retry ID\n");
		return EX_OK;
	}
	return rd_cli_usage("outbox", "expected list, flush or retry (see rounds outbox --help)");
}
