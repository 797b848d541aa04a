/* gmime-floor.c - the parse-only floor for import: GMime alone, no store.
 * Usage: gmime-floor PATH  (a directory of message files, or an mbox)
 * Parses every message the way an importer must at least do and prints
 * "parsed N messages in S s: R messages/s".  make bench compares
 * rounds import with this rate. */
#include <fcntl.h>
#include <stdio.h>
#include <gmime/gmime.h>

static guint
parse_stream(GMimeStream *stream, GMimeFormat format)
{
	GMimeParser *parser = g_mime_parser_new_with_stream(stream);
	guint n = 0;

	g_mime_parser_set_format(parser, format);
	while (!g_mime_parser_eos(parser)) {
		GMimeMessage *m = g_mime_parser_construct_message(parser, NULL);
		if (m == NULL)
			break;
		n++;
		g_object_unref(m);
		if (format == GMIME_FORMAT_MESSAGE)
			break;
	}
	g_object_unref(parser);
	return n;
}

static guint
parse_path(const char *path, GMimeFormat format)
{
	GError *err = NULL;
	GMimeStream *stream = g_mime_stream_fs_open(path, O_RDONLY, 0, &err);
	guint n;

	if (stream == NULL) {
		fprintf(stderr, "gmime-floor: %s\n", err->message);
		g_error_free(err);
		return 0;
	}
	n = parse_stream(stream, format);
	g_object_unref(stream);
	return n;
}

int
main(int argc, char **argv)
{
	gint64 start;
	guint n = 0;
	double secs;

	if (argc != 2) {
		fprintf(stderr, "usage: gmime-floor PATH\n");
		return 64;
	}
	g_mime_init();
	start = g_get_monotonic_time();
	if (g_file_test(argv[1], G_FILE_TEST_IS_DIR)) {
		GDir *dir = g_dir_open(argv[1], 0, NULL);
		const char *name;

		if (dir == NULL) {
			fprintf(stderr, "gmime-floor: cannot open %s\n", argv[1]);
			return 66;
		}
		while ((name = g_dir_read_name(dir)) != NULL) {
			char *p = g_build_filename(argv[1], name, NULL);
			if (g_file_test(p, G_FILE_TEST_IS_REGULAR))
				n += parse_path(p, GMIME_FORMAT_MESSAGE);
			g_free(p);
		}
		g_dir_close(dir);
	} else {
		n = parse_path(argv[1], GMIME_FORMAT_MBOX);
	}
	secs = (double)(g_get_monotonic_time() - start) / G_USEC_PER_SEC;
	printf("parsed %u messages in %.3f s: %.0f messages/s\n", n, secs, secs > 0 ? n / secs : 0.0);
	g_mime_shutdown();
	return n > 0 ? 0 : 65;
}
