/* cmd-trim.c - "rounds trim": the new text of a reply, read from standard
 * input, for operators checking how a mail client's replies come out and
 * for external reply-trimming test suites.
 *
 *   rounds trim [--elided] [--html] < body
 *
 * Prints exactly the trimmed text (or, with --elided, the removed part)
 * followed by one newline.
 */
#include <stdio.h>
#include <string.h>

#include "cmd-internal.h"
#include "trim.h"

#define VERB "trim"

rd_status
rd_cmd_trim(rd_cli *cli)
{
	gboolean elided_only = FALSE, html = FALSE;
	GOptionEntry entries[] = {
	    {"elided", 'e', 0, G_OPTION_ARG_NONE, &elided_only, "Print the removed part instead",
	     NULL},
	    {"html", 0, 0, G_OPTION_ARG_NONE, &html, "The body is HTML (strip quotes by structure)",
	     NULL},
	    {NULL, 0, 0, 0, NULL, NULL, NULL},
	};
	g_autoptr(GError) error = NULL;
	g_autoptr(GIOChannel) in = NULL;
	g_autofree char *raw = NULL;
	g_autofree char *text = NULL;
	g_autofree char *removed = NULL;
	g_autofree char *kept = NULL;
	gsize len = 0;

	cli->summary = "Print the new text of a reply read from standard input:\n"
	               "quotes, attributions and signatures removed.";
	if (!cli_start(cli, entries))
		return cli->status;
	if (cli->argc > 1)
		return cli_usage(cli, "unexpected argument %s (the body is read from standard input)",
		                 cli->argv[1]);

	in = g_io_channel_unix_new(0);
	g_io_channel_set_encoding(in, NULL, NULL);
	if (g_io_channel_read_to_end(in, &raw, &len, &error) != G_IO_STATUS_NORMAL) {
		fprintf(stderr, "rounds " VERB ": cannot read standard input: %s\n",
		        error->message);
		return RD_IOERR;
	}
	/* Broken bytes are repaired, never a reason to refuse a body; a NUL
	 * byte ends the text. */
	text =
	    g_utf8_make_valid(raw != NULL ? raw : "", raw != NULL ? (gssize)strnlen(raw, len) : 0);
	if (html)
		kept = rd_trim_html(text, -1, NULL, &removed);
	else
		kept = rd_trim_text(text, NULL, &removed);
	fputs(elided_only ? removed : kept, stdout);
	fputc('\n', stdout);
	if (fflush(stdout) != 0) {
		fprintf(stderr, "rounds " VERB ": cannot write the output\n");
		return RD_IOERR;
	}
	return RD_OK;
}
