/* test-bounce.c - the bounce and auto-reply parser against tests/bounces/
 * (each NAME.eml with its expected NAME.json) and targeted cases. */
#include <string.h>

#include <json-glib/json-glib.h>

#include "bounce.h"

static GMimeMessage *
parse_string(const char *text)
{
	g_autoptr(GMimeStream) stream = g_mime_stream_mem_new_with_buffer(text, strlen(text));
	g_autoptr(GMimeParser) parser = g_mime_parser_new_with_stream(stream);
	GMimeMessage *msg = g_mime_parser_construct_message(parser, NULL);

	g_assert_nonnull(msg);
	return msg;
}

static GMimeMessage *
parse_file(const char *path)
{
	g_autofree char *data = NULL;
	gsize len;
	g_autoptr(GError) err = NULL;

	g_assert_true(g_file_get_contents(path, &data, &len, &err));
	g_assert_no_error(err);
	return parse_string(data);
}

static JsonNode *
parse_json(const char *text)
{
	g_autoptr(JsonParser) p = json_parser_new();
	g_autoptr(GError) err = NULL;

	json_parser_load_from_data(p, text, -1, &err);
	g_assert_no_error(err);
	return json_node_copy(json_parser_get_root(p));
}

static const char *
corpus_dir(void)
{
	static char *dir;

	if (dir == NULL) {
		const char *top = g_getenv("TOP");
		dir = g_build_filename(top && *top ? top : ".", "tests", "bounces", NULL);
	}
	return dir;
}

/* One corpus file: the parsed report must equal the expected JSON
 * structurally (member order and whitespace do not matter). */
static void
test_corpus_file(gconstpointer data)
{
	const char *name = data;
	g_autofree char *eml = g_build_filename(corpus_dir(), name, NULL);
	g_autofree char *base = g_strndup(name, strlen(name) - 4);
	g_autofree char *jpath = g_strdup_printf("%s/%s.json", corpus_dir(), base);
	g_autofree char *expected_text = NULL;
	g_autoptr(GMimeMessage) msg = parse_file(eml);
	g_autoptr(rd_bounce_report) r = rd_bounce_parse(msg);
	g_autofree char *got_text = rd_bounce_report_to_json(r, FALSE);
	g_autoptr(JsonNode) got = parse_json(got_text);
	g_autoptr(JsonNode) want = NULL;

	g_assert_true(g_file_get_contents(jpath, &expected_text, NULL, NULL));
	want = parse_json(expected_text);
	if (!json_node_equal(got, want)) {
		g_test_message("%s: got %s", name, got_text);
		g_test_message("%s: want %s", name, expected_text);
	}
	g_assert_true(json_node_equal(got, want));
	g_assert_false(r->is_bounce && r->is_auto_reply);
	if (r->is_auto_reply)
		g_assert_cmpuint(r->recipients->len, ==, 0);
}

/* The corpus is what the issue asks for: 30+ bounces, 10+ auto-replies,
 * and ordinary mail that must be neither. */
static void
test_corpus_size(void)
{
	g_autoptr(GDir) d = g_dir_open(corpus_dir(), 0, NULL);
	const char *name;
	guint bounces = 0, autos = 0, neither = 0;

	g_assert_nonnull(d);
	while ((name = g_dir_read_name(d)) != NULL) {
		g_autofree char *path = NULL;
		g_autoptr(GMimeMessage) msg = NULL;
		g_autoptr(rd_bounce_report) r = NULL;

		if (!g_str_has_suffix(name, ".eml"))
			continue;
		path = g_build_filename(corpus_dir(), name, NULL);
		msg = parse_file(path);
		r = rd_bounce_parse(msg);
		if (r->is_bounce)
			bounces++;
		else if (r->is_auto_reply)
			autos++;
		else
			neither++;
	}
	g_assert_cmpuint(bounces, >=, 30);
	g_assert_cmpuint(autos, >=, 10);
	g_assert_cmpuint(neither, >=, 3);
}

static const char *
auto_msg(const char *headers, const char *subject)
{
	static char buf[2048];

	g_snprintf(buf, sizeof buf,
	           "From: Jo Bloggs <jo@example.com>\n"
	           "To: care+r-abc123@lists.example.org\n"
	           "Subject: %s\n"
	           "Date: Mon, 15 Apr 2024 08:00:12 -0400\n"
	           "%s"
	           "MIME-Version: 1.0\n"
	           "Content-Type: text/plain; charset=utf-8\n\n"
	           "Thanks for your note, I will reply next week.\n",
	           subject, headers);
	return buf;
}

static gboolean
is_auto(const char *headers, const char *subject)
{
	g_autoptr(GMimeMessage) msg = parse_string(auto_msg(headers, subject));
	g_autoptr(rd_bounce_report) r = rd_bounce_parse(msg);
	gboolean a = rd_bounce_is_auto_reply(msg);

	/* The report and the predicate must agree on an ordinary message. */
	g_assert_cmpint(a, ==, r->is_auto_reply);
	g_assert_false(r->is_bounce);
	return a;
}

static void
test_auto_reply_headers(void)
{
	g_assert_true(is_auto("Auto-Submitted: auto-replied\n", "Re: dressing changes"));
	g_assert_true(is_auto("Auto-Submitted: auto-generated\n", "Re: dressing changes"));
	g_assert_true(
	    is_auto("Auto-Submitted: Auto-Notified; owner-email=x@example.com\n", "Notice"));
	g_assert_true(is_auto("X-Autoreply: yes\n", "Re: dressing changes"));
	g_assert_true(is_auto("X-Autorespond: We got your message\n", "Thanks"));
	g_assert_true(is_auto("Precedence: auto_reply\n", "Re: dressing changes"));
	/* Outlook puts X-Auto-Response-Suppress on ordinary mail. */
	g_assert_false(is_auto("X-Auto-Response-Suppress: All\n", "Re: dressing changes"));
	g_assert_false(is_auto("Precedence: bulk\n", "Re: dressing changes"));
	g_assert_false(is_auto("Auto-Submitted: no\n", "Re: dressing changes"));
	/* An explicit "no" wins over a vacation-like subject. */
	g_assert_false(is_auto("Auto-Submitted: no\n", "Out of office plans for May"));
}

static void
test_auto_reply_subjects(void)
{
	g_assert_true(is_auto("", "Out of Office: [care] Silver dressings"));
	g_assert_true(is_auto("", "Automatic reply: Your daily digest"));
	g_assert_true(is_auto("", "AutoReply: Re: hello"));
	g_assert_true(is_auto("", "Re: hello [Auto-Reply]"));
	g_assert_true(is_auto("", "=?utf-8?q?Abwesenheitsnotiz=3A_Re=3A_Termin?="));
	g_assert_true(is_auto("", "=?utf-8?q?R=C3=A9ponse_automatique_=3A_Re=3A_Termin?="));
	g_assert_true(is_auto("", "=?utf-8?b?6Ieq5Yqo5Zue5aSNOiBoZWxsbw==?="));
	g_assert_true(is_auto("", "Jane Doe is out of the office."));
	/* People talk about these things too; only the start counts. */
	g_assert_false(is_auto("", "Re: Out of office replies on the list"));
	g_assert_false(is_auto("", "How do I set an automatic reply?"));
	g_assert_false(is_auto("", "Dressing changes"));
}

/* Bounces carry Auto-Submitted themselves; they are bounces, not replies. */
static void
test_bounce_not_auto_reply(void)
{
	g_autofree char *path = g_build_filename(corpus_dir(), "exim-user-unknown.eml", NULL);
	g_autoptr(GMimeMessage) msg = parse_file(path);
	g_autoptr(rd_bounce_report) r = rd_bounce_parse(msg);

	g_assert_true(rd_bounce_is_auto_reply(msg));
	g_assert_true(r->is_bounce);
	g_assert_false(r->is_auto_reply);
}

static rd_bounce_report *
parse_text(const char *text)
{
	g_autoptr(GMimeMessage) msg = parse_string(text);

	return rd_bounce_parse(msg);
}

/* A daemon sender alone is not evidence: the text must say so too. */
static void
test_daemon_without_evidence(void)
{
	g_autoptr(rd_bounce_report) r =
	    parse_text("From: MAILER-DAEMON@mx.example.net\n"
	               "To: care+b-abc@lists.example.org\n"
	               "Subject: Postmaster notice\n\n"
	               "Our server will be down for maintenance on Sunday.\n"
	               "Contact help@example.net with questions.\n");
	g_autoptr(rd_bounce_report) r2 =
	    parse_text("From: MAILER-DAEMON@mx.example.net\n"
	               "To: care+b-abc@lists.example.org\n"
	               "Subject: Returned mail\n\n"
	               "<ann@example.net>: 550 5.1.1 mailbox unavailable\n");

	g_assert_false(r->is_bounce);
	g_assert_cmpuint(r->recipients->len, ==, 0);
	g_assert_true(r2->is_bounce);
	g_assert_cmpuint(r2->recipients->len, ==, 1);
}

/* A DSN without Action: the class of Status decides; types, brackets and
 * case around the address are not part of it; folded fields are joined. */
static void
test_dsn_fields(void)
{
	g_autoptr(rd_bounce_report) r = parse_text(
	    "From: MAILER-DAEMON@mx.example.net\n"
	    "To: care+b-abc@lists.example.org\n"
	    "Subject: Delivery report\n"
	    "MIME-Version: 1.0\n"
	    "Content-Type: multipart/report; report-type=delivery-status; boundary=\"b\"\n\n"
	    "--b\nContent-Type: text/plain\n\nSee the report.\n\n"
	    "--b\nContent-Type: message/delivery-status\n\n"
	    "Reporting-MTA: dns; mx.example.net\n\n"
	    "Final-Recipient: RFC822; <Ann.Lee@Example.NET>\n"
	    "Status: 4.2.2\n"
	    "Diagnostic-Code: smtp; 452 4.2.2\n"
	    "  mailbox over quota\n\n"
	    "Original-Recipient: rfc822; bob@example.net\n"
	    "Status: 5.1.1\n\n"
	    "--b--\n");
	rd_bounce_recipient *a, *b;

	g_assert_true(r->is_bounce);
	g_assert_cmpuint(r->recipients->len, ==, 2);
	a = g_ptr_array_index(r->recipients, 0);
	b = g_ptr_array_index(r->recipients, 1);
	g_assert_cmpstr(a->address, ==, "ann.lee@example.net");
	g_assert_cmpstr(a->action, ==, "delayed");
	g_assert_cmpstr(a->status, ==, "4.2.2");
	g_assert_false(a->permanent);
	g_assert_cmpstr(a->diagnostic, ==, "452 4.2.2 mailbox over quota");
	g_assert_cmpstr(b->address, ==, "bob@example.net");
	g_assert_cmpstr(b->action, ==, "failed");
	g_assert_true(b->permanent);
	g_assert_null(b->diagnostic);
}

/* The returned original's addresses are not failed recipients. */
static void
test_original_not_recipient(void)
{
	g_autoptr(rd_bounce_report) r =
	    parse_text("From: MAILER-DAEMON@mx.example.net\n"
	               "To: care+b-abc@lists.example.org\n"
	               "Subject: failure notice\n\n"
	               "Hi. This is the qmail-send program at mx.example.net.\n"
	               "I'm afraid I wasn't able to deliver your message to the following "
	               "addresses.\n\n"
	               "<zoe@example.net>:\n"
	               "Sorry, no mailbox here by that name. (#5.1.1)\n\n"
	               "--- Below this line is a copy of the message.\n\n"
	               "From: Someone Else <someone@example.com>\n"
	               "To: zoe@example.net, other@example.org\n");
	rd_bounce_recipient *z;

	g_assert_true(r->is_bounce);
	g_assert_cmpuint(r->recipients->len, ==, 1);
	z = g_ptr_array_index(r->recipients, 0);
	g_assert_cmpstr(z->address, ==, "zoe@example.net");
	g_assert_cmpstr(z->status, ==, "5.1.1");
	g_assert_true(z->permanent);
}

static void
test_json_shape(void)
{
	rd_bounce_report *r = g_new0(rd_bounce_report, 1);
	rd_bounce_recipient *rc = g_new0(rd_bounce_recipient, 1);
	g_autofree char *compact = NULL;
	g_autofree char *pretty = NULL;

	r->recipients = g_ptr_array_new();
	r->is_bounce = TRUE;
	r->kind = RD_BOUNCE_KIND_BOUNCE;
	rc->address = g_strdup("ann@example.net");
	rc->reason = RD_BOUNCE_REASON_USER_UNKNOWN;
	rc->action = g_strdup("failed");
	rc->permanent = TRUE;
	g_ptr_array_add(r->recipients, rc);
	compact = rd_bounce_report_to_json(r, FALSE);
	g_assert_cmpstr(compact, ==,
	                "{\"is_bounce\":true,\"is_auto_reply\":false,\"kind\":\"bounce\","
	                "\"recipients\":[{\"address\":\"ann@example.net\",\"status\":null,"
	                "\"action\":\"failed\",\"permanent\":true,\"diagnostic\":null,"
	                "\"reason\":\"user-unknown\"}]}");
	pretty = rd_bounce_report_to_json(r, TRUE);
	g_assert_nonnull(strchr(pretty, '\n'));
	g_free(rc->address);
	g_free(rc->action);
	g_free(rc);
	g_ptr_array_unref(r->recipients);
	g_free(r);
	rd_bounce_report_free(NULL);
}

static gint
cmp_names(gconstpointer a, gconstpointer b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int
main(int argc, char **argv)
{
	g_autoptr(GDir) d = NULL;
	g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func(g_free);
	const char *name;
	int rc;

	g_test_init(&argc, &argv, NULL);
	g_mime_init();

	d = g_dir_open(corpus_dir(), 0, NULL);
	while (d != NULL && (name = g_dir_read_name(d)) != NULL)
		if (g_str_has_suffix(name, ".eml"))
			g_ptr_array_add(names, g_strdup(name));
	g_ptr_array_sort(names, cmp_names);
	for (guint i = 0; i < names->len; i++) {
		const char *n = g_ptr_array_index(names, i);
		g_autofree char *tp = g_strdup_printf("/bounce/corpus/%s", n);
		g_test_add_data_func(tp, n, test_corpus_file);
	}
	g_test_add_func("/bounce/corpus-size", test_corpus_size);
	g_test_add_func("/bounce/auto-reply/headers", test_auto_reply_headers);
	g_test_add_func("/bounce/auto-reply/subjects", test_auto_reply_subjects);
	g_test_add_func("/bounce/bounce-not-auto-reply", test_bounce_not_auto_reply);
	g_test_add_func("/bounce/daemon-without-evidence", test_daemon_without_evidence);
	g_test_add_func("/bounce/dsn-fields", test_dsn_fields);
	g_test_add_func("/bounce/original-not-recipient", test_original_not_recipient);
	g_test_add_func("/bounce/json-shape", test_json_shape);
	rc = g_test_run();
	g_mime_shutdown();
	return rc;
}
