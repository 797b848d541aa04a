/* fuzz-html.c - HTML mail bodies to text (html.c). */
#include "fuzz.h"
#include "html.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	g_autofree char *s = NULL, *a = NULL, *b = NULL, *c = NULL, *removed = NULL;

	fuzz_init();
	s = fuzz_utf8(data, size);
	a = rd_html_to_text(s, -1);
	b = rd_html_reply_to_text(s, -1);
	c = rd_html_reply_split(s, -1, &removed);
	g_assert(g_utf8_validate(a, -1, NULL) && g_utf8_validate(b, -1, NULL));
	g_assert(g_utf8_validate(c, -1, NULL) && g_utf8_validate(removed, -1, NULL));
	return 0;
}
