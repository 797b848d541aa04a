/* cmd-deliver.c - rounds deliver: the MTA's filter.
 *
 * Postfix pipe(8), Exim, OpenSMTPD and sendmail run it with the message on
 * standard input; the exit code is the only thing they understand, and the
 * one line on stderr is what the sender reads in a bounce.
 */
#include <errno.h>
#include <stdio.h>
#include <unistd.h>

#include "address.h"
#include "cmd-internal.h"
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

/* For the syntax check of --recipient alone: any name would do. */
static gboolean
any_community(const char *name, const char *domain, gpointer data)
{
	return TRUE;
}

rd_status
rd_cmd_deliver(rd_cli *cli)
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
	g_autoptr(GError) err = NULL;
	g_autoptr(GBytes) data = NULL;
	rd_context o = {0};
	rd_deliver_result r = {0};
	gboolean too_big;
	rd_config *c;
	rd_status st;
	rd_address *a;

	cli->description =
	    "Exit status: 0 stored or handled (also a duplicate), 65 unparseable or too\n"
	    "large, 67 no such community, 69 address kind not enabled, 75 temporary\n"
	    "failure (the MTA retries), 77 refused by policy.";
	rd_log_init("rounds", TRUE, TRUE);
	if (!cli_start(cli, entries))
		return cli->status;
	if (recipient == NULL || *recipient == '\0')
		return cli_usage(cli, "--recipient ADDR is required");
	/* A recipient that is no address at all is the MTA's command line
	 * gone wrong (64), not a verdict on the mail (65). */
	if ((a = rd_address_parse(recipient, '+', any_community, NULL, &err)) == NULL)
		return cli_usage(cli, "--recipient %s is not a mail address", recipient);
	g_clear_pointer(&a, rd_address_free);
	/* A missing or broken installation is the admin's to fix: the row's
	 * RD_CLI_MTA keeps the mail queued meanwhile (75) instead of bouncing it. */
	if (!cli_open(cli))
		return cli->status;
	c = cli->config;
	data = read_stdin(c->max_message_size, &too_big, &err);
	if (data == NULL)
		return cli_fail(cli, err);
	cli_context(c, &o);
	o.recipient = recipient;
	o.sender = sender;
	if (too_big) {
		fprintf(stderr, "rounds deliver: The message is larger than this list accepts "
				"(%" G_GINT64_FORMAT " bytes at most).\n",
			c->max_message_size);
		return RD_DATAERR;
	}
	o.secret = cli->secret;
	st = rd_deliver(cli->store, &o, data, &r, &err);
	if (st != RD_OK) {
		rd_log_warnx("deliver to %s from %s: %s", recipient, sender ? sender : "<>",
			     err ? err->message : "failed");
		rd_deliver_result_clear(&r);
		return st;
	}
	rd_log_info("deliver to %s: <%s> %s", recipient, r.message_id ? r.message_id : "",
		    r.status ? r.status : "");
	if (verbose)
		printf("%s <%s> %s\n", r.community, r.message_id ? r.message_id : "",
		       r.status ? r.status : "");
	rd_deliver_result_clear(&r);
	return RD_OK;
}
