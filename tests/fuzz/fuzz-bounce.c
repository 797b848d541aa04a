/* fuzz-bounce.c - the bounce parser (bounce.c) on the input as a message,
 * and its JSON. */
#include "bounce.h"
#include "fuzz.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	g_autoptr(GMimeMessage) msg = NULL;
	g_autoptr(rd_bounce_report) r = NULL;
	g_autofree char *json = NULL;

	fuzz_init();
	msg = fuzz_mime(data, size);
	if (msg == NULL)
		return 0;
	r = rd_bounce_parse(msg);
	g_assert(!(r->is_bounce && r->is_auto_reply));
	json = rd_bounce_report_to_json(r, FALSE);
	g_assert(json != NULL);
	return 0;
}
