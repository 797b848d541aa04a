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

/* rd_message_to_7bit on TEXT: the result as a string, checked 7-bit clean. */
static char *
to_7bit(const char *text)
{
	g_autoptr(GBytes) in = g_bytes_new(text, strlen(text));
	g_autoptr(GError) err = NULL;
	g_autoptr(GBytes) out = rd_message_to_7bit(in, &err);
	gsize len;
	const char *p;

	g_assert_no_error(err);
	g_assert_nonnull(out);
	p = g_bytes_get_data(out, &len);
	for (gsize i = 0; i < len; i++)
		if ((unsigned char)p[i] >= 0x80 || p[i] == '\0')
			g_error("byte %zu of the 7-bit form is 0x%02x:\n%.*s", i,
			        (unsigned char)p[i], (int)len, p);
	return g_strndup(p, len);
}

/* The same message read back: headers, text, HTML and attachments. */
static void
assert_same_content(const char *a_text, const char *b_text)
{
	g_autoptr(GBytes) ab = g_bytes_new(a_text, strlen(a_text));
	g_autoptr(GBytes) bb = g_bytes_new(b_text, strlen(b_text));
	g_autoptr(rd_message) a = rd_message_parse_full(ab, "lists.example.test", TRUE, NULL);
	g_autoptr(rd_message) b = rd_message_parse_full(bb, "lists.example.test", TRUE, NULL);

	g_assert_nonnull(a);
	g_assert_nonnull(b);
	g_assert_cmpstr(a->message_id, ==, b->message_id);
	g_assert_cmpstr(a->subject, ==, b->subject);
	g_assert_cmpstr(a->from_name, ==, b->from_name);
	g_assert_cmpstr(a->from_addr, ==, b->from_addr);
	g_assert_cmpstr(a->body, ==, b->body);
	g_assert_cmpstr(a->body_html, ==, b->body_html);
	g_assert_cmpuint(a->attachment_data->len, ==, b->attachment_data->len);
	for (guint i = 0; i < a->attachment_data->len; i++) {
		rd_attachment *x = a->attachments->pdata[i], *y = b->attachments->pdata[i];

		g_assert_cmpstr(x->filename, ==, y->filename);
		g_assert_cmpstr(x->content_type, ==, y->content_type);
		g_assert_true(
		    g_bytes_equal(a->attachment_data->pdata[i], b->attachment_data->pdata[i]));
	}
}

/* A digest in 8bit (text and HTML in multipart/alternative) becomes
 * quoted-printable; everything else stays as it was. */
static void
test_7bit_digest(void)
{
	static const char text[] =
	    "From: Care Team <care@lists.example.org>\n"
	    "Subject: =?UTF-8?Q?Gr=C3=BC=C3=9Fe?=\n"
	    "Message-ID: <d1@lists.example.org>\n"
	    "MIME-Version: 1.0\n"
	    "Content-Type: multipart/alternative; boundary=\"b1\"\n"
	    "\n"
	    "--b1\n"
	    "Content-Type: text/plain; charset=utf-8\n"
	    "Content-Transfer-Encoding: 8bit\n"
	    "\n"
	    "Grüße aus Köln — eine sehr lange Zeile, die länger ist als sechsundsiebzig "
	    "Zeichen, damit weiche Zeilenumbrüche nötig werden, trailing space \n"
	    ".Punkt\n"
	    "From the ward\n"
	    "--b1\n"
	    "Content-Type: text/html; charset=utf-8\n"
	    "Content-Transfer-Encoding: 8bit\n"
	    "\n"
	    "<p>Grüße — 5 €</p>\n"
	    "--b1--\n";
	g_autofree char *out = to_7bit(text);

	g_assert_true(g_str_has_prefix(out, "From: Care Team <care@lists.example.org>\n"
	                                    "Subject: =?UTF-8?Q?Gr=C3=BC=C3=9Fe?=\n"
	                                    "Message-ID: <d1@lists.example.org>\n"));
	g_assert_null(strstr(out, "8bit"));
	g_assert_nonnull(strstr(out, "Content-Type: text/plain; charset=utf-8\n"
	                             "Content-Transfer-Encoding: quoted-printable\n"));
	g_assert_nonnull(strstr(out, "Content-Type: text/html; charset=utf-8\n"
	                             "Content-Transfer-Encoding: quoted-printable\n"));
	g_assert_nonnull(strstr(out, "<p>Gr=C3=BC=C3=9Fe =E2=80=94 5 =E2=82=AC</p>\n"));
	assert_same_content(text, out);
}

/* A binary or 8bit part that is not text becomes base64, with the CRLF
 * line ends it would have had on the wire. */
static void
test_7bit_binary(void)
{
	static const char text[] = "From: a@example.org\n"
	                           "Subject: data\n"
	                           "MIME-Version: 1.0\n"
	                           "Content-Type: multipart/mixed; boundary=\"b2\"\n"
	                           "Content-Transfer-Encoding: 8bit\n"
	                           "\n"
	                           "--b2\n"
	                           "Content-Type: text/plain; charset=us-ascii\n"
	                           "\n"
	                           "see attached\n"
	                           "--b2\n"
	                           "Content-Type: application/octet-stream\n"
	                           "Content-Disposition: attachment; filename=\"r.bin\"\n"
	                           "Content-Transfer-Encoding: 8bit\n"
	                           "\n"
	                           "\xff\xfe line\n\x80 end\n"
	                           "--b2--\n";
	g_autofree char *out = to_7bit(text);
	g_autofree char *b64 = g_base64_encode((const guchar *)"\xff\xfe line\r\n\x80 end", 14);

	g_assert_nonnull(strstr(out, "Content-Transfer-Encoding: 7bit\n\n--b2"));
	g_assert_nonnull(
	    strstr(out, "Content-Type: text/plain; charset=us-ascii\n\nsee attached\n"));
	g_assert_nonnull(strstr(out, "Content-Transfer-Encoding: base64\n\n"));
	g_assert_nonnull(strstr(out, b64));
}

/* Raw 8-bit header values become RFC 2047 words that decode to the same;
 * mail without MIME headers gets them, and unlabelled UTF-8 says so. */
static void
test_7bit_headers(void)
{
	static const char text[] = "From: Jörg Müller <joerg@example.org>\n"
	                           "Subject: Grüße aus Köln\n"
	                           "Message-ID: <h1@example.org>\n"
	                           "\n"
	                           "Café without MIME\n";
	g_autofree char *out = to_7bit(text);
	g_autoptr(rd_message) m = parse(out);

	g_assert_cmpstr(m->from_name, ==, "Jörg Müller");
	g_assert_cmpstr(m->from_addr, ==, "joerg@example.org");
	g_assert_cmpstr(m->subject, ==, "Grüße aus Köln");
	g_assert_cmpstr(m->body, ==, "Café without MIME\n");
	g_assert_nonnull(strstr(out, "\nMIME-Version: 1.0\n"));
	g_assert_nonnull(strstr(out, "charset=utf-8"));
	g_assert_nonnull(strstr(out, "\n\nCaf=C3=A9 without MIME\n"));
}

/* A forwarded message in 8bit is converted inside, and the message/rfc822
 * part labelled 7bit; CRLF input (as SMTP sends it) reads the same. */
static void
test_7bit_nested_crlf(void)
{
	static const char text[] = "From: a@example.org\r\n"
	                           "Subject: fwd\r\n"
	                           "MIME-Version: 1.0\r\n"
	                           "Content-Type: multipart/mixed; boundary=B\r\n"
	                           "\r\n"
	                           "--B\r\n"
	                           "Content-Type: text/plain; charset=utf-8\r\n"
	                           "Content-Transfer-Encoding: 8bit\r\n"
	                           "\r\n"
	                           "unten, bitte prüfen\r\n"
	                           "zweite Zeile\r\n"
	                           "--B\r\n"
	                           "Content-Type: message/rfc822\r\n"
	                           "Content-Transfer-Encoding: 8bit\r\n"
	                           "\r\n"
	                           "From: b@example.org\r\n"
	                           "Subject: innen\r\n"
	                           "Content-Type: text/plain; charset=utf-8\r\n"
	                           "Content-Transfer-Encoding: 8bit\r\n"
	                           "\r\n"
	                           "innen Café\r\n"
	                           "--B--\r\n";
	g_autofree char *out = to_7bit(text);
	g_autoptr(rd_message) m = parse(out);

	g_assert_cmpstr(m->body, ==, "unten, bitte prüfen\nzweite Zeile");
	g_assert_null(strstr(out, "=0D"));
	g_assert_nonnull(
	    strstr(out, "Content-Type: message/rfc822\nContent-Transfer-Encoding: 7bit\n"));
	g_assert_nonnull(strstr(out, "\n\ninnen Caf=C3=A9\n"));
	g_assert_null(strstr(out, "8bit"));
}

/* A message that is already 7-bit comes back as it is, not rewritten. */
static void
test_7bit_unchanged(void)
{
	static const char text[] = "From: a@example.org\nSubject: ascii\n"
	                           "Content-Type: text/plain\nContent-Transfer-Encoding: 7bit\n\n"
	                           "hello\n";
	g_autoptr(GBytes) in = g_bytes_new_static(text, strlen(text));
	g_autoptr(GBytes) empty = g_bytes_new("", 0);
	g_autoptr(GError) err = NULL;
	g_autoptr(GBytes) out = rd_message_to_7bit(in, &err);

	g_assert_no_error(err);
	g_assert_true(out == in);
	g_assert_null(rd_message_to_7bit(empty, &err));
	g_assert_error(err, RD_ERROR, RD_DATAERR);
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
	g_test_add_func("/message/7bit-digest", test_7bit_digest);
	g_test_add_func("/message/7bit-binary", test_7bit_binary);
	g_test_add_func("/message/7bit-headers", test_7bit_headers);
	g_test_add_func("/message/7bit-nested-crlf", test_7bit_nested_crlf);
	g_test_add_func("/message/7bit-unchanged", test_7bit_unchanged);
	return g_test_run();
}
