/* fuzz-auth.c - the Authentication-Results parser (command-auth.c): the
 * input as the header fields of a mail whose From is at example.org. */
#include "command.h"
#include "fuzz.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	g_autoptr(GByteArray) raw = g_byte_array_new();
	g_autoptr(GMimeMessage) msg = NULL;
	static const char head[] = "Authentication-Results: mx.example.test; ";
	rd_auth_verdict v;

	fuzz_init();
	g_byte_array_append(raw, (const guint8 *)head, sizeof head - 1);
	g_byte_array_append(raw, data, size);
	g_byte_array_append(raw, (const guint8 *)"\n\nbody\n", 7);
	msg = fuzz_mime(raw->data, raw->len);
	if (msg == NULL)
		return 0;
	v = rd_command_auth_verdict(msg, "mx.example.test", "ann@mail.example.org");
	g_assert(v == RD_AUTH_NONE || v == RD_AUTH_PASS || v == RD_AUTH_FAIL);
	(void)rd_command_auth_verdict(msg, "MX.example.test", "ann@example.org");
	return 0;
}
