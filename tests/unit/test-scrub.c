/* test-scrub.c - tokens of this installation taken out of posted text. */
#include <string.h>

#include "scrub.h"

static const char *const domains[] = {"lists.example.test", "care.example.org", NULL};
#define TOK "aeavt5rhzo52jzeqlo7q"

static void
test_text(void)
{
	static const struct {
		const char *text;
		const char *want; /* NULL: nothing to take out */
	} cases[] = {
	    {"write to care+r-" TOK "@lists.example.test today",
	     "write to " RD_SCRUB_MARK " today"},
	    /* Case-folded, the '-' delimiter, a full stop after it. */
	    {"CARE-D-" TOK "@Lists.Example.Test.", RD_SCRUB_MARK "."},
	    {"<care-team+c-" TOK "@care.example.org>", "<" RD_SCRUB_MARK ">"},
	    {"bounce: care+b-" TOK "@lists.example.test", "bounce: " RD_SCRUB_MARK},
	    {"care%2Br-" TOK "@lists.example.test", RD_SCRUB_MARK},
	    /* The whole link goes, with its query. */
	    {"<a href=\"mailto:care+r-" TOK "@lists.example.test?subject=Re%3A%20x\">Reply</a>",
	     "<a href=\"" RD_SCRUB_MARK "\">Reply</a>"},
	    {"Unsubscribe: mailto:care+request@lists.example.test?subject=unsubscribe%20" TOK
	     " (one tap)",
	     "Unsubscribe: " RD_SCRUB_MARK " (one tap)"},
	    {"<digest-12." TOK "@lists.example.test>", "<" RD_SCRUB_MARK ">"},
	    {"two: care+r-" TOK "@lists.example.test, care+d-" TOK "@lists.example.test",
	     "two: " RD_SCRUB_MARK ", " RD_SCRUB_MARK},
	    /* Left alone: other domains, a longer domain, no token, short runs. */
	    {"other+r-" TOK "@example.com", NULL},
	    {"care+r-" TOK "@lists.example.test.evil.example", NULL},
	    {"mailto:care+request@lists.example.test?subject=help", NULL},
	    {"care+request@lists.example.test and jo@lists.example.test", NULL},
	    {"care+r-abcdef@lists.example.test", NULL},
	    {"@ lists.example.test @@", NULL},
	    {"", NULL},
	};

	for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autofree char *got = rd_scrub_text(cases[i].text, domains);

		g_assert_cmpstr(got, ==, cases[i].want);
	}
}

static void
test_message(void)
{
	const char *raw = "From: Sam <sam@example.com>\n"
	                  "To: Jo <care+r-" TOK "@lists.example.test>, care@lists.example.test\n"
	                  "References: <a@b.example> <digest-3." TOK "@lists.example.test>\n"
	                  "Subject: Plain\n"
	                  "Message-ID: <m1@example.com>\n"
	                  "MIME-Version: 1.0\n"
	                  "Content-Type: text/plain; charset=utf-8\n"
	                  "Content-Transfer-Encoding: base64\n\n";
	g_autofree char *body64 =
	    g_base64_encode((const guchar *)"Jo is at care+d-" TOK "@lists.example.test\n",
	                    strlen("Jo is at care+d-" TOK "@lists.example.test\n"));
	g_autofree char *all = g_strconcat(raw, body64, "\n", NULL);
	g_autoptr(GBytes) data = g_bytes_new(all, strlen(all));
	g_autoptr(rd_message) m = rd_message_parse(data, "lists.example.test", NULL);
	g_autoptr(GBytes) clean = NULL;
	g_autoptr(rd_message) again = NULL;
	const char *p, *hold = "unset";

	g_assert_nonnull(m);
	clean = rd_scrub_message(m, data, domains, &hold);
	g_assert_nonnull(clean);
	g_assert_null(hold);
	g_assert_cmpstr(m->body, ==, "Jo is at " RD_SCRUB_MARK "\n");
	g_assert_cmpuint(g_strv_length(m->refs), ==, 1);
	g_assert_cmpstr(m->refs[0], ==, "a@b.example");
	p = g_bytes_get_data(clean, NULL);
	g_assert_null(strstr(p, TOK));
	again = rd_message_parse(clean, "lists.example.test", NULL);
	g_assert_nonnull(again);
	g_assert_cmpstr(again->body, ==, "Jo is at " RD_SCRUB_MARK "\n");
	g_assert_nonnull(strstr(p, "care@lists.example.test"));

	/* Nothing to take out: the raw message stays as it came. */
	{
		const char *plain = "From: Sam <sam@example.com>\nTo: care@lists.example.test\n"
		                    "Subject: Hi\nMessage-ID: <m2@example.com>\n\nHello.\n";
		g_autoptr(GBytes) d2 = g_bytes_new(plain, strlen(plain));
		g_autoptr(rd_message) m2 = rd_message_parse(d2, "lists.example.test", NULL);

		g_assert_null(rd_scrub_message(m2, d2, domains, &hold));
		g_assert_null(hold);
	}
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_mime_init();
	g_test_add_func("/scrub/text", test_text);
	g_test_add_func("/scrub/message", test_message);
	return g_test_run();
}
