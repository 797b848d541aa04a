/* cmd-deliver.c - rounds deliver: the MTA's filter.
 *
 * Postfix pipe(8), Exim, OpenSMTPD and sendmail run it with the message on
 * standard input; the exit code is the only thing they understand, and the
 * one line on stderr is what the sender reads in a bounce.
 */
#include <errno.h>
#include <stdio.h>
#include <sysexits.h>
#include <unistd.h>

#include "cmd.h"
#include "deliver.h"
#include "log.h"

/* Read all of standard input.  Past LIMIT bytes keep reading (so the MTA
 * sees no broken pipe) but stop storing. */
static GBytes *
read_stdin(gint64 limit, gboolean *too_big, GError **error)
{
	GByteArray *buf = g_byte_array_new();
	guint8 chunk[65536];
	ssize_t n;

	*too_big = FALSE;
	while ((n = read(STDIN_FILENO, chunk, sizeof chunk)) != 0) {
		if (n < 0) {
			if (errno == EINTR)
				continue;
			g_set_error(error, RD_ERROR, RD_TEMPFAIL, "cannot read the message: %s",
				    g_strerror(errno));
			g_byte_array_unref(buf);
			return NULL;
		}
		if (limit > 0 && (gint64)buf->len + n > limit) {
			*too_big = TRUE;
			continue;
		}
		g_byte_array_append(buf, chunk, (guint)n);
	}
	return g_byte_array_free_to_bytes(buf);
}

int
rd_cmd_deliver(int argc, char **argv)
{
	g_autofree char *recipient = NULL, *sender = NULL;
	gboolean verbose = FALSE;
	GOptionEntry entries[] = {
	    {"recipient", 0, 0, G_OPTION_ARG_STRING, &recipient,
	     "envelope recipient (Postfix: ${recipient})", "ADDR"},
	    {"sender", 0, 0, G_OPTION_ARG_STRING, &sender,
	     "envelope sender (Postfix: ${sender}); may be empty", "ADDR"},
	    {"verbose", 'v', 0, G_OPTION_ARG_NONE, &verbose, "print what was done", NULL},
	    {NULL}};
	g_autoptr(GOptionContext) ctx =
	    g_option_context_new("- take one message from the MTA on standard input");
	g_autoptr(rd_config) c = NULL;
	g_autoptr(rd_store) s = NULL;
	g_autoptr(GError) err = NULL;
	g_autoptr(GBytes) data = NULL;
	rd_deliver_opts o = {0};
	rd_deliver_result r = {0};
	gboolean too_big;
	rd_status st;
	int rc;

	g_option_context_add_main_entries(ctx, entries, NULL);
	g_option_context_set_description(
	    ctx, "Exit status: 0 stored or handled (also a duplicate), 65 unparseable or too\n"
		 "large, 67 no such community, 69 address kind not enabled, 75 temporary\n"
		 "failure (the MTA retries), 77 refused by policy.");
	rd_log_init("rounds", TRUE, TRUE);
	if (!rd_cli_parse(ctx, "deliver", &argc, &argv))
		return EX_USAGE;
	if (recipient == NULL || *recipient == '\0')
		return rd_cli_usage("deliver", "--recipient ADDR is required");
	if (argc > 1)
		return rd_cli_usage("deliver", "unexpected argument %s", argv[1]);
	if ((rc = rd_cli_open("deliver", &c, &s))) {
		/* A missing or broken installation is the admin's to fix:
		 * keep the mail queued meanwhile instead of bouncing it. */
		return rc == EX_CONFIG || rc == EX_SOFTWARE ? EX_TEMPFAIL : rc;
	}
	data = read_stdin(c->max_message_size, &too_big, &err);
	if (data == NULL)
		return rd_cli_fail("deliver", err);
	rd_cli_deliver_opts(c, &o);
	o.recipient = recipient;
	o.sender = sender;
	if (too_big) {
		fprintf(stderr, "rounds deliver: The message is larger than this list accepts "
				"(%" G_GINT64_FORMAT " bytes at most).\n",
			c->max_message_size);
		return EX_DATAERR;
	}
	/* Token addresses need the secret; a post does not, so a missing
	 * secret only matters (as a temporary failure) where it is used. */
	o.secret = rd_cli_secret(c, NULL);
	st = rd_deliver(s, &o, data, &r, &err);
	if (o.secret)
		g_bytes_unref(o.secret);
	if (st != RD_OK) {
		rd_log_warnx("deliver to %s from %s: %s", recipient, sender ? sender : "<>",
			     err ? err->message : "failed");
		rd_deliver_result_clear(&r);
		return rd_status_mta_exit(st);
	}
	rd_log_info("deliver to %s: <%s> %s", recipient, r.message_id ? r.message_id : "",
		    r.status ? r.status : "");
	if (verbose)
		printf("%s <%s> %s\n", r.community, r.message_id ? r.message_id : "",
		       r.status ? r.status : "");
	rd_deliver_result_clear(&r);
	return EX_OK;
}
