/* fuzz-mustache.c - the Mustache engine (mustache.c): the input as a
 * template, rendered with the data of tests/mustache/digest.json and
 * partials that include the template itself (deep recursion) or a fixed
 * text. */
#include <json-glib/json-glib.h>

#include "fuzz.h"
#include "mustache.h"

static JsonNode *data_node;

static char *
partial(const char *name, gpointer user_data)
{
	if (g_str_equal(name, "self"))
		return g_strdup(user_data);
	if (g_str_equal(name, "footer"))
		return g_strdup("{{#threads}}{{subject}}{{/threads}}\n");
	return NULL;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	g_autofree char *s = fuzz_str(data, size);
	g_autoptr(rd_mustache) t = NULL;
	g_autoptr(GError) err = NULL;

	fuzz_init();
	if (data_node == NULL) {
		g_autoptr(JsonParser) p = json_parser_new();

		if (json_parser_load_from_file(p, RD_FUZZ_TOP "/tests/mustache/digest.json", NULL))
			data_node = json_node_copy(json_parser_get_root(p));
		else
			data_node = json_from_string("{\"a\":[1,{\"b\":\"<x>\"}],\"c\":true}", NULL);
	}
	t = rd_mustache_compile(s, &err);
	if (t == NULL)
		return 0;
	for (int esc = RD_MUSTACHE_HTML; esc <= RD_MUSTACHE_TEXT; esc++) {
		g_autoptr(GString) out = g_string_new(NULL);
		g_autoptr(GError) e2 = NULL;

		(void)rd_mustache_render(t, data_node, esc, partial, s, out, &e2);
		/* Cached partials, and rendering without data. */
		g_string_truncate(out, 0);
		(void)rd_mustache_render(t, NULL, esc, partial, s, out, NULL);
	}
	return 0;
}
