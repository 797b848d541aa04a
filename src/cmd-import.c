/* cmd-import.c - rounds import (archives) and rounds fetch (IMAP/POP3). */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "address.h"
#include "cmd.h"
#include "import.h"
#include "log.h"

/* Redraw the bar at most this often (microseconds). */
#define PROGRESS_INTERVAL (G_USEC_PER_SEC / 10)

typedef struct {
	gint64 start;
	gint64 last;
	gboolean drawn;
} progress_state;

static void
format_duration(char *buf, gsize size, double seconds)
{
	long s = seconds < 0 ? 0 : (long)(seconds + 0.5);

	if (s >= 3600)
		g_snprintf(buf, size, "%ld:%02ld:%02ld", s / 3600, s / 60 % 60, s % 60);
	else
		g_snprintf(buf, size, "%ld:%02ld", s / 60, s % 60);
}

static void
progress_draw(const rd_import_stats *st, gpointer data)
{
	progress_state *ps = data;
	gint64 now = g_get_monotonic_time();
	double elapsed, rate, frac;
	char left[32];
	char bar[31];
	guint total = MAX(st->total, st->done);
	int i, fill;

	if (ps->drawn && now - ps->last < PROGRESS_INTERVAL && st->done < total)
		return;
	ps->last = now;
	ps->drawn = TRUE;
	elapsed = (double)(now - ps->start) / G_USEC_PER_SEC;
	rate = elapsed > 0 ? st->done / elapsed : 0;
	frac = total ? (double)st->done / total : 1.0;
	fill = (int)(frac * 30);
	for (i = 0; i < 30; i++)
		bar[i] = i < fill ? '#' : '.';
	bar[30] = '\0';
	if (rate > 0)
		format_duration(left, sizeof left, (total - st->done) / rate);
	else
		g_strlcpy(left, "?", sizeof left);
	fprintf(stderr, "\r[%s] %u/%u %3d%% %.0f msg/s %s left ", bar, st->done, total,
	        (int)(frac * 100), rate, left);
	fflush(stderr);
}

static int
import_finish(const rd_import_stats *st, gboolean shown)
{
	if (shown)
		fputc('\n', stderr);
	printf("imported %u messages (%u new, %u duplicates, %u errors) from %u paths\n", st->done,
	       st->added, st->duplicates, st->errors, st->paths);
	fflush(stdout);
	return 0;
}

int
rd_cmd_import(int argc, char **argv)
{
	gboolean quiet = FALSE;
	GOptionEntry entries[] = {{"quiet", 'q', 0, G_OPTION_ARG_NONE, &quiet,
	                           "no progress bar, even on a terminal", NULL},
	                          {NULL}};
	g_autoptr(GOptionContext) ctx =
	    g_option_context_new("COMMUNITY PATH... - import mbox files, Maildirs or messages");
	g_autoptr(rd_config) c = NULL;
	g_autoptr(rd_store) s = NULL;
	g_autoptr(rd_community) com = NULL;
	g_autofree char *post = NULL;
	rd_deliver_opts o = {0};
	rd_import_stats st = {0};
	progress_state ps = {0};
	gboolean bar;
	int rc = 0, i;

	g_option_context_add_main_entries(ctx, entries, NULL);
	g_option_context_set_description(
	    ctx, "Each PATH is an mbox file (mboxo or mboxrd), a Maildir or one message, told\n"
	         "apart automatically.  Messages are threaded like delivered ones, bypass the\n"
	         "posting policy and send nothing; importing the same archive again changes\n"
	         "nothing.\n\n"
	         "Exit status: 0 all imported, 65 some messages were unparseable (the rest\n"
	         "are imported), 66 a PATH does not exist, 75 temporary database fault (run\n"
	         "the same command again to continue).");
	rd_log_init("rounds import", TRUE, FALSE);
	if (!rd_cli_parse(ctx, "import", &argc, &argv))
		return EX_USAGE;
	if (argc < 2)
		return rd_cli_usage("import", "COMMUNITY is required");
	if (argc < 3)
		return rd_cli_usage("import", "at least one PATH is required");
	for (i = 2; i < argc; i++) {
		if (access(argv[i], R_OK) != 0) {
			fprintf(stderr, "rounds import: cannot read %s: %s\n", argv[i],
			        g_strerror(errno));
			return EX_NOINPUT;
		}
	}
	if ((rc = rd_cli_open("import", &c, &s)))
		return rc;
	com = rd_cli_community("import", c, s, argv[1], &rc);
	if (com == NULL)
		return rc;
	post = g_strdup_printf("%s@%s", com->name, com->domain);
	rd_cli_deliver_opts(c, &o);
	o.recipient = post;
	o.bypass_policy = TRUE;

	bar = !quiet && isatty(STDERR_FILENO);
	if (bar) {
		/* Counting first costs one extra read of each archive, which is
		 * small next to storing the messages and buys an honest bar. */
		for (i = 2; i < argc; i++) {
			guint n = 0;

			if (rd_import_count(argv[i], &n, NULL))
				st.total += n;
		}
	}
	ps.start = g_get_monotonic_time();
	for (i = 2; i < argc; i++) {
		g_autoptr(GError) err = NULL;

		if (!rd_import_path(s, &o, com, argv[i], &st, bar ? progress_draw : NULL, &ps,
		                    &err)) {
			rd_status rs = rd_status_from_error(err);

			import_finish(&st, bar && ps.drawn);
			if (rs == RD_TEMPFAIL) {
				fprintf(stderr,
				        "rounds import: %s; stopped, run it again to continue\n",
				        err->message);
				return EX_TEMPFAIL;
			}
			fprintf(stderr, "rounds import: %s\n", err->message);
			return rd_status_exit(rs);
		}
	}
	import_finish(&st, bar && ps.drawn);
	return st.errors ? EX_DATAERR : EX_OK;
}

/* The first line of FILE, without its line end. */
static char *
read_password(const char *file, GError **error)
{
	g_autofree char *text = NULL;
	char *nl;

	if (!g_file_get_contents(file, &text, NULL, error))
		return NULL;
	nl = strpbrk(text, "\r\n");
	if (nl)
		*nl = '\0';
	return g_steal_pointer(&text);
}

int
rd_cmd_fetch(int argc, char **argv)
{
	g_autofree char *url = NULL, *password_file = NULL, *ca_file = NULL;
	gboolean once = FALSE, insecure = FALSE;
	GOptionEntry entries[] = {
	    {"url", 0, 0, G_OPTION_ARG_STRING, &url,
	     "imaps://USER@HOST[:PORT]/FOLDER, imap:// (STARTTLS), pop3s:// or pop3:// (STLS)",
	     "URL"},
	    {"password-file", 0, 0, G_OPTION_ARG_FILENAME, &password_file,
	     "file whose first line is the password", "FILE"},
	    {"once", 0, 0, G_OPTION_ARG_NONE, &once, "one pass over the mailbox (the default)",
	     NULL},
	    {"insecure", 0, 0, G_OPTION_ARG_NONE, &insecure,
	     "do not verify the server's TLS certificate", NULL},
	    {"ca-file", 0, 0, G_OPTION_ARG_FILENAME, &ca_file,
	     "trust the certificates in this PEM file instead of the system's", "FILE"},
	    {NULL}};
	g_autoptr(GOptionContext) ctx =
	    g_option_context_new("COMMUNITY - take the messages waiting in a mailbox");
	g_autoptr(rd_config) c = NULL;
	g_autoptr(rd_store) s = NULL;
	g_autoptr(rd_community) com = NULL;
	g_autoptr(GError) err = NULL;
	g_autofree char *post = NULL, *password = NULL;
	rd_deliver_opts o = {0};
	rd_fetch_stats st = {0};
	gboolean ok;
	int rc;

	g_option_context_add_main_entries(ctx, entries, NULL);
	g_option_context_set_description(
	    ctx, "Each message goes through the same path as rounds deliver, addressed by its\n"
	         "Delivered-To, X-Original-To or To header (COMMUNITY's address when none\n"
	         "names a community), and is removed from the server only once stored.\n"
	         "Messages refused (unparseable, no such community, policy) are left on the\n"
	         "server and skipped from then on (IMAP: flagged \\Seen; POP3: remembered by\n"
	         "UIDL), so each is reported once.\n\n"
	         "Exit status: 0 every message taken, 65 some were left on the server, 75\n"
	         "temporary failure (server unreachable, database busy: run again), 78 TLS\n"
	         "certificate not trusted or login refused.");
	rd_log_init("rounds fetch", TRUE, TRUE);
	if (!rd_cli_parse(ctx, "fetch", &argc, &argv))
		return EX_USAGE;
	if (argc < 2)
		return rd_cli_usage("fetch", "COMMUNITY is required");
	if (argc > 2)
		return rd_cli_usage("fetch", "unexpected argument %s", argv[2]);
	if (url == NULL)
		return rd_cli_usage("fetch", "--url URL is required");
	if (password_file == NULL)
		return rd_cli_usage("fetch", "--password-file FILE is required");
	(void)once;
	password = read_password(password_file, &err);
	if (password == NULL) {
		fprintf(stderr, "rounds fetch: %s\n", err->message);
		return EX_NOINPUT;
	}
	if ((rc = rd_cli_open("fetch", &c, &s)))
		return rc;
	com = rd_cli_community("fetch", c, s, argv[1], &rc);
	if (com == NULL)
		return rc;
	post = g_strdup_printf("%s@%s", com->name, com->domain);
	rd_cli_deliver_opts(c, &o);
	o.recipient = post;
	o.secret = rd_cli_secret(c, NULL);
	ok = rd_import_fetch(s, &o, url, password, insecure, ca_file, &st, &err);
	if (o.secret)
		g_bytes_unref(o.secret);
	printf("fetched %u messages (%u new, %u duplicates, %u left on the server)\n", st.fetched,
	       st.added, st.duplicates, st.left);
	fflush(stdout);
	if (!ok)
		return rd_cli_fail("fetch", err);
	return st.left ? EX_DATAERR : EX_OK;
}
