/* fuzz-trim.c - reply trimming of plain text and HTML (trim.c), with part
 * of the input also as an earlier text and as the digest it answers. */
#include "fuzz.h"
#include "trim.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	g_autofree char *s = NULL;
	g_autofree char *t1 = NULL, *e1 = NULL, *t2 = NULL, *e2 = NULL, *t3 = NULL;
	const char *prev[] = {NULL, NULL};
	rd_trim_opts opts = {prev, NULL};

	fuzz_init();
	s = fuzz_utf8(data, size);
	t1 = rd_trim_text(s, NULL, &e1);
	g_assert(g_utf8_validate(t1, -1, NULL));
	/* The second half as an earlier text and the digest it answers. */
	prev[0] = g_utf8_offset_to_pointer(s, g_utf8_strlen(s, -1) / 2);
	opts.digest_text = prev[0];
	t3 = rd_trim_text(s, &opts, NULL);
	t2 = rd_trim_html(s, -1, NULL, &e2);
	g_assert(g_utf8_validate(t2, -1, NULL));
	return 0;
}
