/* fuzz-command.c - the command reader (command.c, command-util.c): the
 * first line as the subject, the rest as the body, and every extracted
 * line through the word parsing the verbs use. */
#include "command-internal.h"
#include "fuzz.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	g_autofree char *s = fuzz_utf8(data, size);
	g_autoptr(GPtrArray) lines = NULL;
	char *nl = strchr(s, '\n');
	const char *body = "";

	fuzz_init();
	if (nl != NULL) {
		*nl = '\0';
		body = nl + 1;
	}
	lines = rd_command_extract(s, body);
	for (guint i = 0; i < lines->len; i++) {
		const char *line = lines->pdata[i];
		g_autofree char *w = rd_command_first_word(line);
		g_autofree char *c = rd_command_clean_line(line);
		g_autofree char *a = rd_command_clean_address(line);
		g_autofree char *o = rd_command_one_line(line);
		g_auto(GStrv) argv = NULL;
		gint64 id;

		(void)rd_command_looks_like_address(a);
		(void)rd_command_is_command(line);
		(void)rd_command_looks_like_address(c);
		(void)rd_command_valid_delivery(w);
		(void)rd_command_parse_id(c, &id);
		g_assert(strchr(o, '\n') == NULL && strchr(o, '\r') == NULL);
		argv = g_strsplit_set(c, " \t", -1);
		for (guint k = 0; argv[k] != NULL; k++) {
			g_autofree char *ka = rd_command_clean_address(argv[k]);

			(void)rd_command_looks_like_address(ka);
			(void)rd_command_parse_id(argv[k], &id);
		}
	}
	return 0;
}
