/* cmd-bounce.c - "rounds bounce parse < MESSAGE": classify one message as a
 * bounce, an automatic reply or neither, and print the report as JSON.
 *
 * The JSON is a public interface (external test suites read it), so its
 * shape lives in one place, rd_bounce_report_to_json().
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "bounce.h"
#include "cmd-internal.h"

/* Larger input is not a bounce anyone sends to a list server. */
#define RD_BOUNCE_MAX_INPUT (64 * 1024 * 1024)

/* All of standard input, or NULL (with a message) on a read error or when
 * it is larger than RD_BOUNCE_MAX_INPUT. */
static GByteArray *
read_stdin(void)
{
	GByteArray *buf = g_byte_array_new();
	guint8 chunk[65536];
	ssize_t n;

	while ((n = read(STDIN_FILENO, chunk, sizeof chunk)) != 0) {
		if (n < 0) {
			perror("rounds bounce parse: reading standard input");
			g_byte_array_unref(buf);
			return NULL;
		}
		g_byte_array_append(buf, chunk, (guint)n);
		if (buf->len > RD_BOUNCE_MAX_INPUT) {
			fputs("rounds bounce parse: the message is too large\n", stderr);
			g_byte_array_unref(buf);
			return NULL;
		}
	}
	return buf;
}

static GMimeMessage *
parse_message(const guint8 *data, gsize len)
{
	g_autoptr(GMimeParserOptions) opts = g_mime_parser_options_new();
	g_autoptr(GMimeStream) stream = NULL;
	g_autoptr(GMimeParser) parser = NULL;
	const char *fallback[] = {"utf-8", "windows-1252", NULL};
	GMimeMessage *msg;

	/* An mbox "From " line is the envelope, not a header; skip it. */
	if (len >= 5 && memcmp(data, "From ", 5) == 0) {
		const guint8 *nl = memchr(data, '\n', len);
		gsize skip = nl ? (gsize)(nl - data) + 1 : len;
		data += skip;
		len -= skip;
	}
	if (len == 0)
		return NULL;
	g_mime_parser_options_set_fallback_charsets(opts, fallback);
	g_mime_parser_options_set_rfc2047_compliance_mode(opts, GMIME_RFC_COMPLIANCE_LOOSE);
	stream = g_mime_stream_mem_new_with_buffer((const char *)data, len);
	parser = g_mime_parser_new_with_stream(stream);
	msg = g_mime_parser_construct_message(parser, opts);
	/* GMime accepts almost anything; a "message" without a single header
	 * field was not mail. */
	if (msg != NULL &&
	    g_mime_header_list_get_count(g_mime_object_get_header_list(GMIME_OBJECT(msg))) == 0)
		g_clear_object(&msg);
	return msg;
}

rd_status
rd_cmd_bounce_parse(rd_cli *cli)
{
	g_autoptr(GByteArray) input = NULL;
	g_autoptr(GMimeMessage) msg = NULL;
	g_autoptr(rd_bounce_report) report = NULL;
	g_autofree char *json = NULL;

	cli->description =
	    "Reads one message (an mbox \"From \" line is skipped) and prints\n"
	    "{\"is_bounce\", \"is_auto_reply\", \"recipients\": [{\"address\", \"status\",\n"
	    "\"action\", \"permanent\", \"diagnostic\"}]}.\n"
	    "Exit status: 0 parsed, 64 usage error, 65 unparseable input.";
	if (!cli_start(cli, NULL))
		return cli->status;
	if (cli->argc > 1)
		return cli_usage(cli,
		                 "takes no arguments (got %s); the message is read from "
		                 "standard input",
		                 cli->argv[1]);
	input = read_stdin();
	if (input == NULL)
		return RD_IOERR;
	msg = parse_message(input->data, input->len);
	if (msg == NULL) {
		fputs("rounds bounce parse: standard input is not a mail message\n", stderr);
		return RD_DATAERR;
	}
	report = rd_bounce_parse(msg);
	json = rd_bounce_report_to_json(report, TRUE);
	fputs(json, stdout);
	fputc('\n', stdout);
	return fflush(stdout) == 0 ? RD_OK : RD_IOERR;
}
