/* test-message.c - parsing: charsets, headers, bodies, attachments, ids. */
#include <string.h>

#include "message.h"
#include "store.h"

static rd_message *
parse(const char *text)
{
	g_autoptr(GBytes) b = g_bytes_new(text, strlen(text));
	g_autoptr(GError) err = NULL;
	rd_message *m = rd_message_parse(b, "lists.example.test", &err);

	g_assert_no_error(err);
	g_assert_nonnull(m);
	return m;
}

static void
test_to_utf8(void)
{
	static const struct {
		const char *bytes, *charset, *want;
	} cases[] = {
	    {"caf\xe9", "iso-8859-1", "café"},
	    {"caf\xe9", NULL, "café"},                   /* unlabelled 8-bit */
	    {"\x93quoted\x94", "us-ascii", "“quoted”"},  /* mislabelled Windows-1252 */
	    {"caf\xc3\xa9", "iso-8859-1", "café"},       /* UTF-8 labelled Latin-1 */
	    {"caf\xc3\xa9", "x-unknown-charset", "café"}, /* unknown label */
	    {"caf\xe9", "utf-8", "café"},                /* labelled UTF-8, is not */
	    {"\x93\xfa\x96\x7b", "shift_jis", "日本"},
	    {"\x81", NULL, "\xc2\x81"}, /* undefined in 1252: Latin-1 maps it */
	};

	for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autofree char *got =
		    rd_message_to_utf8(cases[i].bytes, strlen(cases[i].bytes), cases[i].charset);

		g_assert_true(g_utf8_validate(got, -1, NULL));
		g_assert_cmpstr(got, ==, cases[i].want);
	}
}

static void
test_headers(void)
{
	g_autoptr(rd_message) m =
	    parse("From: =?ISO-8859-1?Q?J=F6rg_M=FCller?= <Joerg@Example.ORG>\n"
		  "Subject: =?UTF-8?B?R3LDvMOfZQ==?= =?UTF-8?Q?_aus_K=C3=B6ln?=\n"
		  "Date: Tue, 24 Nov 2026 08:05:00 -0500\n"
		  "Message-ID: <abc@example.org>\n"
		  "References: <r1@example.org> <r2@example.org>\n"
		  "In-Reply-To: <r2@example.org>\n"
		  "Auto-Submitted: auto-replied\n"
		  "\nhello\n");

	g_assert_cmpstr(m->message_id, ==, "abc@example.org");
	g_assert_cmpstr(m->from_addr, ==, "Joerg@Example.ORG");
	g_assert_cmpstr(m->from_name, ==, "Jörg Müller");
	g_assert_cmpstr(m->subject, ==, "Grüße aus Köln");
	g_assert_cmpint(g_date_time_to_unix(m->date), ==, 1795525500);
	g_assert_false(m->date_missing);
	g_assert_cmpstr(m->refs[0], ==, "r1@example.org");
	g_assert_cmpstr(m->refs[1], ==, "r2@example.org");
	g_assert_null(m->refs[2]);
	g_assert_cmpstr(m->auto_submitted, ==, "auto-replied");
	g_assert_cmpstr(m->body, ==, "hello\n");
}

static void
test_missing_id_and_date(void)
{
	const char *text = "From: a@example.org\nSubject: no id\n\nbody\n";
	g_autoptr(rd_message) a = parse(text);
	g_autoptr(rd_message) b = parse(text);
	g_autoptr(rd_message) c = parse("From: a@example.org\nSubject: no id\n\nother body\n");

	g_assert_true(a->id_derived);
	g_assert_true(a->date_missing);
	g_assert_true(g_str_has_suffix(a->message_id, "@lists.example.test"));
	/* The same message twice gets the same id; another one does not. */
	g_assert_cmpstr(a->message_id, ==, b->message_id);
	g_assert_cmpstr(a->message_id, !=, c->message_id);
}

static void
test_html_only(void)
{
	g_autoptr(rd_message) m = parse(
	    "From: p@example.com\nSubject: html\nMIME-Version: 1.0\n"
	    "Content-Type: text/html; charset=utf-8\n\n"
	    "<html><head><style>p{color:red}</style></head><body><p>First para.</p>"
	    "<p>See <a href=\"https://example.com/x\">the guide</a></p></body></html>\n");

	g_assert_nonnull(strstr(m->body, "First para."));
	g_assert_nonnull(strstr(m->body, "the guide <https://example.com/x>"));
	g_assert_null(strstr(m->body, "color"));
	g_assert_nonnull(m->body_html);
}

static void
test_alternative_and_attachments(void)
{
	g_autoptr(rd_message) m = parse(
	    "From: g@example.com\nSubject: parts\nMIME-Version: 1.0\n"
	    "Content-Type: multipart/mixed; boundary=\"outer\"\n\n"
	    "--outer\nContent-Type: multipart/alternative; boundary=\"inner\"\n\n"
	    "--inner\nContent-Type: text/plain; charset=\"UTF-8\"\n"
	    "Content-Transfer-Encoding: quoted-printable\n\nPlain caf=C3=A9\n"
	    "--inner\nContent-Type: text/html; charset=\"UTF-8\"\n\n<p>HTML</p>\n"
	    "--inner--\n"
	    "--outer\nContent-Type: application/pdf\n"
	    "Content-Disposition: attachment; filename*=UTF-8''B%C3%A9fund.pdf\n"
	    "Content-Transfer-Encoding: base64\n\nJVBERi0xLjQK\n"
	    "--outer--\n");
	rd_attachment *a;

	g_assert_nonnull(strstr(m->body, "Plain café"));
	g_assert_null(strstr(m->body, "HTML"));
	g_assert_cmpuint(m->attachments->len, ==, 1);
	a = m->attachments->pdata[0];
	g_assert_cmpstr(a->filename, ==, "Béfund.pdf");
	g_assert_cmpstr(a->content_type, ==, "application/pdf");
	g_assert_cmpint(a->size, ==, 9);
}

static void
test_unparseable(void)
{
	g_autoptr(GError) err = NULL;
	g_autoptr(GBytes) empty = g_bytes_new("", 0);
	g_autoptr(GBytes) junk = g_bytes_new("\x01\x02\x03 just bytes", 15);

	g_assert_null(rd_message_parse(empty, "d", &err));
	g_assert_error(err, RD_ERROR, RD_DATAERR);
	g_clear_error(&err);
	g_assert_null(rd_message_parse(junk, "d", &err));
	g_assert_error(err, RD_ERROR, RD_DATAERR);
}

/* Each module's policy asks for different kinds of automatic mail. */
static void
test_automatic(void)
{
	static const struct {
		const char *headers;
		guint kinds;
		gboolean want;
	} cases[] = {
	    {"Auto-Submitted: auto-replied\n", RD_AUTO_SUBMITTED, TRUE},
	    {"Auto-Submitted: no\n", RD_AUTO_SUBMITTED | RD_AUTO_REPLY, FALSE},
	    {"Auto-Submitted: auto-generated\n", RD_AUTO_BULK, FALSE},
	    {"Precedence: bulk\n", RD_AUTO_BULK, TRUE},
	    {"Precedence: JUNK\n", RD_AUTO_BULK, TRUE},
	    {"Precedence: list\n", RD_AUTO_BULK, FALSE},
	    {"Precedence: list\n", RD_AUTO_LIST, TRUE},
	    {"Precedence: auto_reply\n", RD_AUTO_REPLY, TRUE},
	    {"X-Autoreply: yes\n", RD_AUTO_REPLY, TRUE},
	    {"X-Autoreply: yes\n", RD_AUTO_SUBMITTED | RD_AUTO_BULK, FALSE},
	    {"Subject: Out of Office: Re: wound care\n", RD_AUTO_REPLY, TRUE},
	    {"Subject: Re: wound care\n", ~0u, FALSE},
	};

	for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autofree char *text = g_strdup_printf(
		    "From: a@example.org\nMessage-ID: <auto%zu@example.org>\n%s\nText.\n", i,
		    cases[i].headers);
		g_autoptr(rd_message) m = parse(text);

		if (rd_message_is_automatic(m, cases[i].kinds) != cases[i].want)
			g_error("case %zu (%s): want %d", i, cases[i].headers, cases[i].want);
	}
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_mime_init();
	g_test_add_func("/message/to-utf8", test_to_utf8);
	g_test_add_func("/message/headers", test_headers);
	g_test_add_func("/message/missing-id-and-date", test_missing_id_and_date);
	g_test_add_func("/message/html-only", test_html_only);
	g_test_add_func("/message/alternative-attachments", test_alternative_and_attachments);
	g_test_add_func("/message/unparseable", test_unparseable);
	g_test_add_func("/message/automatic", test_automatic);
	return g_test_run();
}
