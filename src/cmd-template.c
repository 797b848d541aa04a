/* cmd-template.c - "rounds template render": render a Mustache template
 * with JSON data, for template authors and for the tests.
 *
 *   rounds template render FILE [--data JSON_FILE] [--partials DIR] [--text|--html]
 */
#include <stdio.h>
#include <string.h>

#include "cmd-internal.h"
#include "mustache.h"

#define VERB "template render"

typedef struct {
	const char *dir;
	gboolean text;
} partial_dir;

/* Read partial NAME from the partials directory.  The context's own file
 * comes first (NAME.txt.mustache for text, NAME.html.mustache for HTML),
 * then NAME.mustache, then NAME itself.  Names that could leave the
 * directory never get here (mustache.c checks them for every caller). */
static char *
read_partial(const char *name, gpointer user_data)
{
	const partial_dir *pd = user_data;
	const char *suffixes[] = {pd->text ? ".txt.mustache" : ".html.mustache", ".mustache", ""};

	for (gsize i = 0; i < G_N_ELEMENTS(suffixes); i++) {
		g_autofree char *file = g_strconcat(name, suffixes[i], NULL);
		g_autofree char *path = g_build_filename(pd->dir, file, NULL);
		char *contents = NULL;

		if (g_file_test(path, G_FILE_TEST_IS_REGULAR) &&
		    g_file_get_contents(path, &contents, NULL, NULL))
			return contents;
	}
	return NULL;
}

/* Load JSON data from PATH ("-" is standard input).  Returns FALSE with a
 * printed message; *STATUS tells a missing file (NOTFOUND) from bad JSON. */
static gboolean
load_data(const char *path, JsonNode **data, rd_status *status)
{
	g_autofree char *text = NULL;
	gsize len = 0;
	g_autoptr(JsonParser) parser = json_parser_new();
	GError *error = NULL;
	JsonNode *root;

	if (strcmp(path, "-") == 0) {
		g_autoptr(GIOChannel) in = g_io_channel_unix_new(0);

		g_io_channel_set_encoding(in, NULL, NULL);
		if (g_io_channel_read_to_end(in, &text, &len, &error) != G_IO_STATUS_NORMAL) {
			fprintf(stderr,
			        "rounds " VERB ": cannot read data from standard input: %s\n",
			        error->message);
			g_error_free(error);
			*status = RD_IOERR;
			return FALSE;
		}
	} else if (!g_file_get_contents(path, &text, &len, &error)) {
		fprintf(stderr, "rounds " VERB ": cannot read data: %s\n", error->message);
		g_error_free(error);
		*status = RD_NOTFOUND;
		return FALSE;
	}
	if (!json_parser_load_from_data(parser, text, (gssize)len, &error)) {
		unsigned line = 0, col = 0;
		int used = 0;
		const char *msg = error->message;

		/* json-glib says "<data>:LINE:COL: Parse error: ..."; name the file. */
		if (sscanf(msg, "<data>:%u:%u: %n", &line, &col, &used) == 2 && used > 0)
			fprintf(stderr, "rounds " VERB ": %s: line %u, column %u: %s\n", path, line,
			        col, msg + used);
		else
			fprintf(stderr, "rounds " VERB ": %s: %s\n", path, msg);
		g_error_free(error);
		*status = RD_DATAERR;
		return FALSE;
	}
	root = json_parser_get_root(parser);
	*data = root != NULL ? json_node_copy(root) : NULL;
	return TRUE;
}

static gboolean
is_text_name(const char *file)
{
	return g_str_has_suffix(file, ".txt.mustache") || g_str_has_suffix(file, ".txt");
}

rd_status
rd_cmd_template_render(rd_cli *cli)
{
	g_autofree char *data_file = NULL;
	g_autofree char *partials = NULL;
	gboolean text = FALSE;
	gboolean html = FALSE;
	GOptionEntry entries[] = {
	    {"data", 'd', 0, G_OPTION_ARG_FILENAME, &data_file,
	     "JSON data to render with (\"-\" for standard input)", "JSON_FILE"},
	    {"partials", 'p', 0, G_OPTION_ARG_FILENAME, &partials,
	     "Directory of partials (default: the template's directory)", "DIR"},
	    {"text", 't', 0, G_OPTION_ARG_NONE, &text, "Plain-text context: no escaping", NULL},
	    {"html", 0, 0, G_OPTION_ARG_NONE, &html, "HTML context: escape & < > \" '", NULL},
	    {NULL, 0, 0, 0, NULL, NULL, NULL},
	};
	g_autofree char *source = NULL;
	g_autofree char *default_dir = NULL;
	g_autoptr(JsonNode) data = NULL;
	g_autoptr(rd_mustache) t = NULL;
	g_autoptr(GString) out = NULL;
	partial_dir pd;
	rd_status st = RD_OK;
	GError *error = NULL;
	const char *file;

	cli->description =
	    "A FILE ending in .txt or .txt.mustache is rendered in the text context\n"
	    "(nothing escaped), any other in the HTML context.  Partial NAME is read\n"
	    "from DIR/NAME.txt.mustache or DIR/NAME.html.mustache (by context), then\n"
	    "DIR/NAME.mustache, then DIR/NAME.\n";
	if (!cli_start(cli, entries))
		return cli->status;
	if (cli->argc != 2)
		return cli_usage(cli, "%s",
		                 cli->argc < 2 ? "missing template FILE"
		                               : "expected exactly one template FILE");
	if (text && html)
		return cli_usage(cli, "--text and --html exclude each other");
	file = cli->argv[1];
	if (!g_file_get_contents(file, &source, NULL, &error)) {
		fprintf(stderr, "rounds " VERB ": cannot read template: %s\n", error->message);
		g_error_free(error);
		return RD_NOTFOUND;
	}
	if (data_file != NULL && !load_data(data_file, &data, &st))
		return st;
	if (data == NULL)
		data = json_node_init_object(json_node_alloc(), json_object_new());

	t = rd_mustache_compile(source, &error);
	if (t == NULL)
		goto fail;
	if (!html && (text || is_text_name(file)))
		text = TRUE;
	default_dir = g_path_get_dirname(file);
	pd.dir = partials != NULL ? partials : default_dir;
	pd.text = text;
	out = g_string_sized_new(4096);
	if (!rd_mustache_render(t, data, text ? RD_MUSTACHE_TEXT : RD_MUSTACHE_HTML, read_partial,
	                        &pd, out, &error))
		goto fail;
	if (fwrite(out->str, 1, out->len, stdout) != out->len || fflush(stdout) != 0) {
		fprintf(stderr, "rounds " VERB ": cannot write the output\n");
		return RD_IOERR;
	}
	return RD_OK;

fail:
	fprintf(stderr, "rounds " VERB ": %s: %s\n", file, error->message);
	st = rd_status_from_error(error);
	g_error_free(error);
	return st;
}
