/* test-lmtp.c - the LMTP session (lmtp.c) without sockets: bytes in,
 * replies out, with a deliver function that records what it was given.
 * Every conversation is also fed one byte at a time, and the answer must
 * not depend on how the bytes were split. */
#include <string.h>

#include "lmtp.h"

typedef struct {
	GPtrArray *seen;  /* "RCPT|SENDER|MESSAGE" of each delivery */
	rd_status answer; /* for recipients starting with "fail" */
} fake;

static rd_status
fake_deliver(gpointer data, gboolean trusted, const char *sender, const char *rcpt, GBytes *msg,
             GError **error)
{
	fake *f = data;
	gsize n;
	const char *b = g_bytes_get_data(msg, &n);

	g_ptr_array_add(f->seen, g_strdup_printf("%s|%s|%.*s", rcpt, sender, (int)n, b));
	if (g_str_has_prefix(rcpt, "fail")) {
		g_set_error(error, RD_ERROR, f->answer, "Said no.");
		return f->answer;
	}
	return RD_OK;
}

/* Feed IN in pieces of STEP bytes (0: all at once); the replies. */
static char *
talk(fake *f, const char *in, gsize step, gint64 max_size)
{
	rd_lmtp_params p = {
	    .hostname = "mx.test", .max_size = max_size, .deliver = fake_deliver, .data = f};
	GString *out = g_string_new(NULL);
	g_autoptr(rd_lmtp_session) s = rd_lmtp_session_new(&p, out);
	gsize len = strlen(in);

	for (gsize i = 0; i < len;) {
		gsize n = step ? MIN(step, len - i) : len;

		if (!rd_lmtp_session_feed(s, in + i, n, out))
			break;
		i += n;
	}
	return g_string_free(out, FALSE);
}

/* The replies and deliveries for IN must be the same however it is split. */
static void
check(const char *in, gint64 max_size, rd_status answer, const char *want_replies,
      const char *const *want_seen)
{
	static const gsize steps[] = {0, 1, 2, 7, 2049};

	for (gsize k = 0; k < G_N_ELEMENTS(steps); k++) {
		fake f = {g_ptr_array_new_with_free_func(g_free), answer};
		g_autofree char *got = talk(&f, in, steps[k], max_size);
		guint i;

		g_assert_cmpstr(got, ==, want_replies);
		for (i = 0; want_seen && want_seen[i]; i++) {
			g_assert_cmpuint(i, <, f.seen->len);
			g_assert_cmpstr(f.seen->pdata[i], ==, want_seen[i]);
		}
		g_assert_cmpuint(f.seen->len, ==, i);
		g_ptr_array_unref(f.seen);
	}
}

#define HELLO                                                                                      \
	"220 mx.test LMTP Rounds ready\r\n250-mx.test\r\n250-PIPELINING\r\n"                       \
	"250-ENHANCEDSTATUSCODES\r\n250-8BITMIME\r\n"

static void
test_per_recipient(void)
{
	const char *seen[] = {"a@x|s@y|Subject: hi\n\n.dot\n.\nend\n",
	                      "fail@x|s@y|Subject: hi\n\n.dot\n.\nend\n", NULL};

	check("LHLO c\r\nMAIL FROM:<s@y> BODY=8BITMIME SIZE=10\r\nRCPT TO:<a@x>\r\n"
	      "RCPT TO:<fail@x>\r\nDATA\r\nSubject: hi\r\n\r\n..dot\r\n..\r\nend\r\n.\r\nQUIT\r\n",
	      1000, RD_TEMPFAIL,
	      HELLO "250 SIZE 1000\r\n250 2.1.0 Sender OK\r\n250 2.1.5 Recipient OK\r\n"
	            "250 2.1.5 Recipient OK\r\n354 End data with <CR><LF>.<CR><LF>\r\n"
	            "250 2.0.0 <a@x> stored\r\n451 4.3.0 Said no.\r\n221 2.0.0 Bye\r\n",
	      seen);
}

static void
test_verdicts(void)
{
	static const struct {
		rd_status st;
		const char *reply;
	} cases[] = {
	    {RD_NOUSER, "550 5.1.1 Said no.\r\n"},   {RD_DATAERR, "554 5.6.0 Said no.\r\n"},
	    {RD_NOPERM, "550 5.7.1 Said no.\r\n"},   {RD_UNAVAIL, "550 5.3.3 Said no.\r\n"},
	    {RD_SOFTWARE, "451 4.3.0 Said no.\r\n"}, {RD_CONFIG, "451 4.3.0 Said no.\r\n"},
	    {RD_USAGE, "451 4.3.0 Said no.\r\n"},
	};

	for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autofree char *want = g_strconcat(
		    HELLO "250 SIZE\r\n250 2.1.0 Sender OK\r\n250 2.1.5 Recipient OK\r\n"
		          "354 End data with <CR><LF>.<CR><LF>\r\n",
		    cases[i].reply, NULL);
		const char *seen[] = {"fail@x||x\n", NULL};

		check("LHLO c\nMAIL FROM:<>\nRCPT TO:<fail@x>\nDATA\nx\n.\n", 0, cases[i].st, want,
		      seen);
	}
}

/* A data line longer than the line buffer is taken in pieces: only its
 * very first dot is unstuffed, and a lone "." later on its own line still
 * ends the message. */
static void
test_long_line(void)
{
	g_autoptr(GString) in =
	    g_string_new("LHLO c\r\nMAIL FROM:<s@y>\r\nRCPT TO:<a@x>\r\nDATA\r\n");
	g_autoptr(GString) body = g_string_new(".");
	g_autofree char *seen0 = NULL;

	for (int i = 0; i < 5000; i++)
		g_string_append_c(body, i % 2049 == 0 ? '.' : 'z');
	g_string_append_printf(in, ".%s\r\n.\r\n", body->str);
	seen0 = g_strdup_printf("a@x|s@y|%s\n", body->str);
	{
		const char *seen[] = {seen0, NULL};

		check(in->str, 0, RD_OK,
		      HELLO "250 SIZE\r\n250 2.1.0 Sender OK\r\n250 2.1.5 Recipient OK\r\n"
		            "354 End data with <CR><LF>.<CR><LF>\r\n250 2.0.0 <a@x> stored\r\n",
		      seen);
	}
}

static void
test_limits_and_order(void)
{
	g_autoptr(GString) in = g_string_new("RCPT TO:<a@x>\r\nLHLO c\r\nHELO c\r\nNOOP ");

	for (int i = 0; i < 3000; i++)
		g_string_append_c(in, 'x');
	g_string_append(in, "\r\nDATA\r\nMAIL FROM:<s@y>\r\nMAIL FROM:<s@y>\r\nDATA\r\n"
	                    "RCPT TO:<nobody>\r\nRCPT TO:<a@x> NOTIFY=NEVER\r\n"
	                    "RCPT TO:<a@x>\r\nRSET\r\nDATA\r\nMAIL FROM:<s@y> SIZE=101\r\n"
	                    "BOGUS\r\nVRFY a\r\nQUIT\r\nNOOP\r\n");
	check(in->str, 100, RD_OK,
	      "220 mx.test LMTP Rounds ready\r\n503 5.5.1 MAIL first\r\n"
	      "250-mx.test\r\n250-PIPELINING\r\n250-ENHANCEDSTATUSCODES\r\n250-8BITMIME\r\n"
	      "250 SIZE 100\r\n500 5.5.1 This is an LMTP server: use LHLO\r\n"
	      "500 5.5.2 Line too long\r\n503 5.5.1 MAIL first\r\n250 2.1.0 Sender OK\r\n"
	      "503 5.5.1 Nested MAIL command\r\n554 5.5.1 No valid recipients\r\n"
	      "501 5.1.3 Bad recipient address syntax\r\n"
	      "555 5.5.4 Unsupported parameter NOTIFY=NEVER\r\n250 2.1.5 Recipient OK\r\n"
	      "250 2.0.0 OK\r\n503 5.5.1 MAIL first\r\n"
	      "552 5.3.4 The message is larger than this list accepts (100 bytes at most).\r\n"
	      "500 5.5.2 Command not recognised\r\n252 2.5.0 Cannot VRFY; send the message\r\n"
	      "221 2.0.0 Bye\r\n",
	      NULL);
}

/* Over max_size while reading DATA: every recipient gets 552, nobody is
 * delivered to, and the session goes on. */
static void
test_too_big(void)
{
	g_autoptr(GString) in =
	    g_string_new("LHLO c\r\nMAIL FROM:<s@y>\r\nRCPT TO:<a@x>\r\nRCPT TO:<b@x>\r\nDATA\r\n");
	const char *seen[] = {"a@x|s@y|small\n", NULL};

	for (int i = 0; i < 30; i++)
		g_string_append(in, "0123456789\r\n");
	g_string_append(in, ".\r\nMAIL FROM:<s@y>\r\nRCPT TO:<a@x>\r\nDATA\r\nsmall\r\n.\r\n");
	check(in->str, 100, RD_OK,
	      HELLO
	      "250 SIZE 100\r\n250 2.1.0 Sender OK\r\n250 2.1.5 Recipient OK\r\n"
	      "250 2.1.5 Recipient OK\r\n354 End data with <CR><LF>.<CR><LF>\r\n"
	      "552 5.3.4 The message is larger than this list accepts (100 bytes at most).\r\n"
	      "552 5.3.4 The message is larger than this list accepts (100 bytes at most).\r\n"
	      "250 2.1.0 Sender OK\r\n250 2.1.5 Recipient OK\r\n"
	      "354 End data with <CR><LF>.<CR><LF>\r\n250 2.0.0 <a@x> stored\r\n",
	      seen);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/lmtp/per-recipient", test_per_recipient);
	g_test_add_func("/lmtp/verdicts", test_verdicts);
	g_test_add_func("/lmtp/long-line", test_long_line);
	g_test_add_func("/lmtp/limits-and-order", test_limits_and_order);
	g_test_add_func("/lmtp/too-big", test_too_big);
	return g_test_run();
}
