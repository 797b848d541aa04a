/* cmd-import.c - rounds import (archives) and rounds fetch (IMAP/POP3). */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "address.h"
#include "cmd-internal.h"
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

rd_status
rd_cmd_import(rd_cli *cli)
{
	gboolean quiet = FALSE;
	GOptionEntry entries[] = {{"quiet", 'q', 0, G_OPTION_ARG_NONE, &quiet,
	                           "no progress bar, even on a terminal", NULL},
	                          {NULL}};
	g_autofree char *post = NULL;
	rd_context o = {0};
	rd_import_stats st = {0};
	progress_state ps = {0};
	rd_community *com;
	gboolean bar;
	int argc, i;
	char **argv;

	cli->description =
	    "Each PATH is an mbox file (mboxo or mboxrd), one message, or a directory:\n"
	    "a Maildir (with or without new/ and tmp/), an MH folder or any tree of\n"
	    "message and mbox files (read recursively; names starting with a dot are\n"
	    "skipped), told apart automatically.  Messages are threaded like delivered\n"
	    "ones, bypass the posting policy and send nothing; importing the same\n"
	    "archive again changes nothing.\n\n"
	    "Exit status: 0 all imported, 65 some messages were unparseable (the rest\n"
	    "are imported), 66 a PATH does not exist or holds nothing to import, 75\n"
	    "temporary database fault (run the same command again to continue).";
	rd_log_init("rounds import", TRUE, FALSE);
	if (!cli_start(cli, entries))
		return cli->status;
	argc = cli->argc;
	argv = cli->argv;
	if (argc < 2)
		return cli_usage(cli, "COMMUNITY is required");
	if (argc < 3)
		return cli_usage(cli, "at least one PATH is required");
	for (i = 2; i < argc; i++) {
		if (access(argv[i], R_OK) != 0) {
			fprintf(stderr, "rounds import: cannot read %s: %s\n", argv[i],
			        g_strerror(errno));
			return RD_NOTFOUND;
		}
	}
	if (!cli_open(cli))
		return cli->status;
	com = cli->community;
	post = g_strdup_printf("%s@%s", com->name, com->domain);
	cli_context(cli->config, &o);
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

		if (!rd_import_path(cli->store, &o, com, argv[i], &st, bar ? progress_draw : NULL, &ps,
		                    &err)) {
			rd_status rs = rd_status_from_error(err);

			/* "imported 0 messages" says nothing: the reason alone does. */
			if (st.done > 0)
				import_finish(&st, bar && ps.drawn);
			else if (bar && ps.drawn)
				fputc('\n', stderr);
			if (rs == RD_TEMPFAIL) {
				fprintf(stderr,
				        "rounds import: %s; stopped, run it again to continue\n",
				        err->message);
				return RD_TEMPFAIL;
			}
			fprintf(stderr, "rounds import: %s\n", err->message);
			return rs;
		}
	}
	import_finish(&st, bar && ps.drawn);
	return st.errors ? RD_DATAERR : RD_OK;
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

rd_status
rd_cmd_fetch(rd_cli *cli)
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
	g_autoptr(GError) err = NULL;
	g_autofree char *post = NULL, *password = NULL;
	rd_context o = {0};
	rd_fetch_stats st = {0};
	rd_community *com;
	gboolean ok;

	cli->description =
	    "Each message goes through the same path as rounds deliver, addressed by its\n"
	    "Delivered-To, X-Original-To or To header (COMMUNITY's address when none\n"
	    "names a community), and is removed from the server only once stored.\n"
	    "Messages refused (unparseable, no such community, policy) are left on the\n"
	    "server and skipped from then on (IMAP: flagged \\Seen; POP3: remembered by\n"
	    "UIDL), so each is reported once.\n\n"
	    "Exit status: 0 every message taken, 65 some were left on the server, 75\n"
	    "temporary failure (server unreachable, database busy: run again), 78 TLS\n"
	    "certificate not trusted or login refused.";
	rd_log_init("rounds fetch", TRUE, TRUE);
	if (!cli_start(cli, entries))
		return cli->status;
	if (cli->argc < 2)
		return cli_usage(cli, "COMMUNITY is required");
	if (cli->argc > 2)
		return cli_usage(cli, "unexpected argument %s", cli->argv[2]);
	if (url == NULL)
		return cli_usage(cli, "--url URL is required");
	if (password_file == NULL)
		return cli_usage(cli, "--password-file FILE is required");
	(void)once;
	password = read_password(password_file, &err);
	if (password == NULL) {
		fprintf(stderr, "rounds fetch: %s\n", err->message);
		return RD_NOTFOUND;
	}
	if (!cli_open(cli))
		return cli->status;
	com = cli->community;
	post = g_strdup_printf("%s@%s", com->name, com->domain);
	cli_context(cli->config, &o);
	o.recipient = post;
	o.secret = cli->secret;
	ok = rd_import_fetch(cli->store, &o, url, password, insecure, ca_file, &st, &err);
	printf("fetched %u messages (%u new, %u duplicates, %u left on the server)\n", st.fetched,
	       st.added, st.duplicates, st.left);
	fflush(stdout);
	if (!ok)
		return cli_fail(cli, err);
	return st.left ? RD_DATAERR : RD_OK;
}
