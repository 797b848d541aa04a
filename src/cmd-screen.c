/* cmd-screen.c - "rounds screen": the patient identifiers screening finds
 * in a text (or, with --message, in a whole mail as a post), so owners and
 * tests can see why a post would be held.
 *
 *   rounds screen [--json] [--message] [--split MARK] < TEXT
 *   rounds screen --message FILE...
 *
 * Prints one line per finding, "KIND START END MASKED" (byte offsets in
 * the text read; with --message also where in the mail), or with --json
 * an array of {kind, start, end, text, context, where}.  Exit status 0
 * whatever is found.
 */
#include <stdio.h>
#include <string.h>

#include "cmd-internal.h"
#include "message.h"
#include "screen.h"

#define VERB "screen"

/* The message in DATA (LEN bytes; an mbox "From " line skipped) parsed,
 * or NULL. */
static rd_message *
parse_input(const char *raw, gsize len)
{
	g_autoptr(GBytes) data = NULL;
	const char *body = raw ? raw : "";

	/* An mbox "From " line is not part of the message. */
	if (len > 5 && strncmp(body, "From ", 5) == 0) {
		const char *nl = memchr(body, '\n', len);

		if (nl != NULL) {
			len -= nl + 1 - body;
			body = nl + 1;
		}
	}
	data = g_bytes_new(body, len);
	return rd_message_parse(data, "screen.invalid", NULL);
}

/* With --message FILE...: one line per file, "FILE held KIND..." or
 * "FILE clean" ("FILE unreadable" when it cannot be read or parsed). */
static rd_status
screen_files(int n, char **files)
{
	for (int i = 0; i < n; i++) {
		g_autofree char *raw = NULL;
		g_autoptr(rd_message) m = NULL;
		g_autoptr(GPtrArray) found = NULL;
		rd_screen_opts opts = {0};
		gsize len = 0;

		if (!g_file_get_contents(files[i], &raw, &len, NULL) ||
		    (m = parse_input(raw, len)) == NULL) {
			printf("%s unreadable\n", files[i]);
			continue;
		}
		opts.author_name = m->from_name;
		opts.author_addr = m->from_addr;
		found = rd_screen_message(m, &opts);
		printf("%s %s", files[i], found->len > 0 ? "held" : "clean");
		for (guint j = 0; j < found->len; j++)
			printf(" %s", ((rd_screen_finding *)found->pdata[j])->kind);
		putchar('\n');
	}
	return fflush(stdout) == 0 ? RD_OK : RD_IOERR;
}

/* One line for part N of a --split text: "N held KIND..." or "N clean". */
static void
print_part(int n, const char *text, const rd_screen_opts *opts)
{
	g_autoptr(GPtrArray) found = rd_screen_text(text, -1, opts);

	printf("%d %s", n, found->len > 0 ? "held" : "clean");
	for (guint i = 0; i < found->len; i++)
		printf(" %s", ((rd_screen_finding *)found->pdata[i])->kind);
	putchar('\n');
}

rd_status
rd_cmd_screen(rd_cli *cli)
{
	gboolean json = FALSE, as_message = FALSE;
	char *split = NULL;
	GOptionEntry entries[] = {
	    {"json", 0, 0, G_OPTION_ARG_NONE, &json, "Print the findings as JSON", NULL},
	    {"message", 0, 0, G_OPTION_ARG_NONE, &as_message,
	     "The input is a whole mail: screen it as a post (subject, text, attachments)", NULL},
	    {"split", 0, 0, G_OPTION_ARG_STRING, &split,
	     "Screen each part of the text between lines starting with MARK; print one line per "
	     "part: its number, held or clean, the kinds found",
	     "MARK"},
	    {NULL, 0, 0, 0, NULL, NULL, NULL},
	};
	g_autoptr(GError) error = NULL;
	g_autoptr(GIOChannel) in = NULL;
	g_autofree char *raw = NULL;
	g_autofree char *text = NULL;
	g_autoptr(GPtrArray) found = NULL;
	g_autoptr(rd_message) m = NULL;
	gsize len = 0;
	rd_screen_opts opts = {0};

	cli->summary = "Print the patient identifiers found in a text read from standard input\n"
	               "(kind, byte offsets, the text masked).";
	if (!cli_start(cli, entries))
		return cli->status;
	if (cli->argc > 1 && !as_message)
		return cli_usage(cli, "unexpected argument %s (the text is read from standard input)",
		                 cli->argv[1]);
	if (cli->argc > 1)
		return screen_files(cli->argc - 1, cli->argv + 1);
	in = g_io_channel_unix_new(0);
	g_io_channel_set_encoding(in, NULL, NULL);
	if (g_io_channel_read_to_end(in, &raw, &len, &error) != G_IO_STATUS_NORMAL) {
		fprintf(stderr, "rounds " VERB ": cannot read standard input: %s\n", error->message);
		return RD_IOERR;
	}
	if (split != NULL && *split != '\0') {
		g_autofree char *all = g_utf8_make_valid(raw != NULL ? raw : "",
		                                         raw != NULL ? (gssize)strnlen(raw, len) : 0);
		g_auto(GStrv) lines = g_strsplit(all, "\n", -1);
		GString *part = g_string_new(NULL);
		int n = 0;
		gboolean started = FALSE;

		/* Lines before the first mark are a preamble, not a part. */
		for (gsize i = 0; lines[i] != NULL; i++) {
			gboolean mark = g_str_has_prefix(lines[i], split);

			if ((mark || lines[i + 1] == NULL) && started) {
				if (!mark && lines[i + 1] == NULL)
					g_string_append(part, lines[i]);
				print_part(++n, part->str, &opts);
				g_string_truncate(part, 0);
			}
			if (mark) {
				started = TRUE;
				continue;
			}
			if (started) {
				g_string_append(part, lines[i]);
				g_string_append_c(part, '\n');
			}
		}
		g_string_free(part, TRUE);
		return fflush(stdout) == 0 ? RD_OK : RD_IOERR;
	}
	if (as_message) {
		m = parse_input(raw, len);
		if (m == NULL) {
			fprintf(stderr, "rounds " VERB ": standard input is not a mail message\n");
			return RD_DATAERR;
		}
		opts.author_name = m->from_name;
		opts.author_addr = m->from_addr;
		found = rd_screen_message(m, &opts);
	} else {
		/* Broken bytes are repaired; a NUL byte ends the text. */
		text = g_utf8_make_valid(raw != NULL ? raw : "",
		                         raw != NULL ? (gssize)strnlen(raw, len) : 0);
		found = rd_screen_text(text, -1, &opts);
	}
	if (json) {
		g_autoptr(JsonBuilder) b = json_builder_new();

		json_builder_begin_array(b);
		for (guint i = 0; i < found->len; i++) {
			rd_screen_finding *f = found->pdata[i];

			json_builder_begin_object(b);
			cli_json_string(b, "kind", f->kind);
			cli_json_int(b, "start", (gint64)f->start);
			cli_json_int(b, "end", (gint64)f->end);
			cli_json_string(b, "text", f->masked);
			cli_json_string(b, "context", f->context);
			cli_json_string(b, "where", f->where ? f->where : "text");
			json_builder_end_object(b);
		}
		json_builder_end_array(b);
		cli_json_print(b);
	} else {
		for (guint i = 0; i < found->len; i++) {
			rd_screen_finding *f = found->pdata[i];

			if (f->where != NULL)
				printf("%s %zu %zu %s (%s)\n", f->kind, f->start, f->end, f->masked,
				       f->where);
			else
				printf("%s %zu %zu %s\n", f->kind, f->start, f->end, f->masked);
		}
	}
	if (fflush(stdout) != 0) {
		fprintf(stderr, "rounds " VERB ": cannot write the output\n");
		return RD_IOERR;
	}
	return RD_OK;
}
