/* fuzz-lmtp.c - the LMTP session (lmtp.c, the state machine without I/O):
 * the input as what a client sends, fed whole and then in pieces whose
 * sizes come from the input's bytes; both must give the same replies. */
#include "fuzz.h"
#include "lmtp.h"

static rd_status
deliver(gpointer data, gboolean trusted, const char *sender, const char *recipient,
        GBytes *message, GError **error)
{
	g_assert(sender != NULL && recipient != NULL && message != NULL);
	/* Some recipients fail, as a full store or an unknown name would. */
	if (strchr(recipient, '7') != NULL) {
		g_set_error(error, RD_ERROR, RD_TEMPFAIL, "try again later");
		return RD_TEMPFAIL;
	}
	return RD_OK;
}

static char *
run(const uint8_t *data, size_t size, gboolean split)
{
	rd_lmtp_params p = {"lmtp.example.test", 4096, 5, TRUE, deliver, NULL};
	GString *out = g_string_new(NULL);
	g_autoptr(rd_lmtp_session) s = rd_lmtp_session_new(&p, out);
	size_t off = 0;

	while (off < size) {
		size_t n = split ? 1 + data[off] % 17 : size - off;

		n = MIN(n, size - off);
		if (!rd_lmtp_session_feed(s, (const char *)data + off, n, out))
			break;
		off += n;
	}
	return g_string_free(out, FALSE);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	g_autofree char *whole = NULL, *pieces = NULL;

	fuzz_init();
	whole = run(data, size, FALSE);
	pieces = run(data, size, TRUE);
	g_assert(g_str_equal(whole, pieces));
	return 0;
}
