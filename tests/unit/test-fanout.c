/* test-fanout.c - list copies, the subject prefix, and
 * queueing/rendering through a real (temporary) store. */
#include <glib/gstdio.h>
#include <string.h>

#include "fanout.h"
#include "token.h"

static GBytes *
test_secret(void)
{
	return g_bytes_new_static("0123456789abcdef0123456789abcdef", 32);
}

static rd_community community = {
    .id = 7,
    .name = (char *)"care",
    .domain = (char *)"lists.example.test",
    .title = (char *)"Care Team",
    .policy = (char *)"open",
};

/* OUT with its CRLF line ends (copies are made in SMTP's form) as LF, for
 * comparing with the LF texts below; every line must end in CRLF. */
static char *
unix_text(GBytes *out)
{
	gsize len;
	const char *data = g_bytes_get_data(out, &len);
	GString *s = g_string_sized_new(len);

	for (gsize i = 0; i < len; i++) {
		if (data[i] == '\n')
			g_assert_true(i > 0 && data[i - 1] == '\r');
		if (data[i] == '\r' && i + 1 < len && data[i + 1] == '\n')
			continue;
		g_string_append_c(s, data[i]);
	}
	g_assert_true(len >= 2 && data[len - 2] == '\r' && data[len - 1] == '\n');
	return g_string_free(s, FALSE);
}

static char *
render(GBytes *raw, const rd_fanout_settings *f, gint64 person)
{
	g_autoptr(GError) err = NULL;
	g_autoptr(GBytes) secret = test_secret();
	g_autoptr(rd_fanout_copy) copy = rd_fanout_copy_new(raw, &community, f, '+', &err);
	g_autoptr(GBytes) out = NULL;

	g_assert_no_error(err);
	g_assert_nonnull(copy);
	out = rd_fanout_copy_render(copy, secret, person, NULL);
	g_free(unix_text(out)); /* every line in CRLF */
	return g_strndup(g_bytes_get_data(out, NULL), g_bytes_get_size(out));
}

/* The same with LF line ends, for posts written with LF below. */
static char *
render_lf(GBytes *raw, const rd_fanout_settings *f, gint64 person)
{
	g_autofree char *crlf = render(raw, f, person);
	g_autoptr(GBytes) b = g_bytes_new(crlf, strlen(crlf));

	return unix_text(b);
}

/* The header block of TEXT (up to the blank line). */
static char *
headers_of(const char *text)
{
	const char *end = strstr(text, "\n\n");
	const char *crlf = strstr(text, "\r\n\r\n");

	if (crlf && (!end || crlf < end))
		end = crlf;
	return g_strndup(text, end ? (gsize)(end - text) : strlen(text));
}

static void
test_prefix(void)
{
	g_assert_true(rd_fanout_has_prefix("Re: [care] Weekend rota", "care"));
	g_assert_true(rd_fanout_has_prefix("[CARE] Weekend rota", "care"));
	g_assert_true(rd_fanout_has_prefix("AW: Re: [care] Dienstplan", "care"));
	g_assert_false(rd_fanout_has_prefix("Weekend rota for care", "care"));
	g_assert_false(rd_fanout_has_prefix("[careers] Job opening", "care"));
	g_assert_false(rd_fanout_has_prefix(NULL, "care"));
}

static const char crlf_post[] =
    "Return-Path: <alice@example.org>\r\n"
    "Delivered-To: care@lists.example.test\r\n"
    "Received: from mail.example.org (mail.example.org [192.0.2.10])\r\n"
    "\tby mx.lists.example.test (Postfix) with ESMTPS id 4XyZ1\r\n"
    "From: =?utf-8?q?Alice_M=C3=BCller?= <alice@example.org>\r\n"
    "To: care@lists.example.test\r\n"
    "Subject: =?utf-8?q?Caf=C3=A9_rota?=\r\n"
    "Message-ID: <rota-1@example.org>\r\n"
    "References: <rota-0@example.org>\r\n"
    "List-Id: Old list <old.example.net>\r\n"
    "Reply-To: Alice at home <alice@home.example>\r\n"
    "X-Original-To: care@lists.example.test\r\n"
    "Content-Type: text/plain; charset=utf-8\r\n"
    "\r\n"
    "Who covers Sunday?\r\n"
    "\r\n"
    "Alice\r\n";

static void
test_copy_headers(void)
{
	g_autoptr(GBytes) raw = g_bytes_new_static(crlf_post, sizeof crlf_post - 1);
	rd_fanout_settings f = {.subject_prefix = TRUE,
	                        .reply_to = (char *)"author",
	                        .dmarc_mitigation = (char *)"never",
	                        .archive_url = (char *)"https://lists.example.test/care/"};
	g_autofree char *one = render(raw, &f, 11);
	g_autofree char *two = render(raw, &f, 12);
	/* (this post is in CRLF; the others show LF posts come out in CRLF) */
	g_autofree char *h = headers_of(one);
	g_autoptr(GBytes) secret = test_secret();
	g_autofree char *token =
	    rd_token_make(secret, RD_TOKEN_COMMAND, "care", "lists.example.test", 11, 0);
	g_autofree char *unsub =
	    g_strdup_printf("\r\nList-Unsubscribe: "
	                    "<mailto:care+request@lists.example.test?subject=unsubscribe%%20%s>"
	                    "\r\n",
	                    token);

	g_assert_null(strstr(h, "Return-Path:"));
	g_assert_null(strstr(h, "Delivered-To:"));
	g_assert_null(strstr(h, "X-Original-To:"));
	g_assert_null(strstr(h, "Old list"));
	g_assert_nonnull(
	    strstr(h, "\tby mx.lists.example.test (Postfix) with ESMTPS id 4XyZ1\r\n"));
	g_assert_nonnull(strstr(h, "\r\nSubject: [care] =?utf-8?q?Caf=C3=A9_rota?=\r\n"));
	g_assert_nonnull(strstr(h, "\r\nList-Id: Care Team <care.lists.example.test>\r\n"));
	g_assert_nonnull(strstr(h, unsub));
	g_assert_nonnull(strstr(h, "\r\nList-Post: <mailto:care@lists.example.test>\r\n"));
	g_assert_nonnull(strstr(h, "\r\nList-Archive: <https://lists.example.test/care/>\r\n"));
	g_assert_nonnull(strstr(h, "\r\nPrecedence: list\r\nX-Loop: care@lists.example.test"));
	g_assert_nonnull(strstr(h, "\r\nReply-To: Alice at home <alice@home.example>\r\n"));
	g_assert_nonnull(strstr(h, "\r\nMessage-ID: <rota-1@example.org>\r\n"));
	g_assert_nonnull(strstr(h, "\r\nReferences: <rota-0@example.org>\r\n"));
	/* The body passes through byte for byte. */
	g_assert_true(g_str_has_suffix(one, "\r\n\r\nWho covers Sunday?\r\n\r\nAlice\r\n"));
	/* Only the unsubscribe token differs between members. */
	g_assert_cmpstr(one, !=, two);
	g_assert_cmpuint(strlen(one), ==, strlen(two));
}

static void
test_copy_no_double_prefix(void)
{
	static const char post[] = "From 1234@x Mon Nov 30 08:00:00 2026\n"
	                           "From: Bob <bob@example.org>\n"
	                           "Subject: Re: [care] Weekend rota\n"
	                           "Message-ID: <r2@example.org>\n"
	                           "\n"
	                           "Sunday is mine.\n";
	g_autoptr(GBytes) raw = g_bytes_new_static(post, sizeof post - 1);
	rd_fanout_settings f = {.subject_prefix = TRUE,
	                        .reply_to = (char *)"list",
	                        .dmarc_mitigation = (char *)"never"};
	g_autofree char *out = render_lf(raw, &f, 3);
	g_autofree char *h = headers_of(out);

	g_assert_true(g_str_has_prefix(out, "From: Bob <bob@example.org>\n"));
	g_assert_nonnull(strstr(h, "\nSubject: Re: [care] Weekend rota\n"));
	g_assert_null(strstr(h, "[care] Re:"));
	g_assert_nonnull(strstr(h, "\nReply-To: Care Team <care@lists.example.test>"));
	g_assert_null(strstr(h, "List-Archive:"));
	g_assert_true(g_str_has_suffix(out, "\n\nSunday is mine.\n"));
}

static void
test_copy_dmarc(void)
{
	static const char post[] = "From: \"Dr. Yusuf, Ward 4\" <yusuf@hospital.example>\n"
	                           "Reply-To: someone@else.example\n"
	                           "Subject: Sepsis bundle audit\n"
	                           "Message-ID: <audit@hospital.example>\n"
	                           "\n"
	                           "Results attached.\n";
	g_autoptr(GBytes) raw = g_bytes_new_static(post, sizeof post - 1);
	rd_fanout_settings f = {.reply_to = (char *)"author", .dmarc_mitigation = (char *)"always"};
	g_autofree char *out = render_lf(raw, &f, 3);
	g_autofree char *h = headers_of(out);

	g_assert_nonnull(
	    strstr(h, "From: \"Dr. Yusuf, Ward 4 via Care Team\" <care@lists.example.test>\n"));
	g_assert_nonnull(strstr(h, "\nReply-To: \"Dr. Yusuf, Ward 4\" <yusuf@hospital.example>"));
	g_assert_null(strstr(h, "someone@else.example"));
	g_assert_null(strstr(h, "\nCc:"));
	/* No prefix unless asked for. */
	g_assert_nonnull(strstr(h, "\nSubject: Sepsis bundle audit\n"));
}

static void
test_copy_footer(void)
{
	static const char plain[] = "From: Bob <bob@example.org>\n"
	                            "Subject: Rota\n"
	                            "Message-ID: <f1@example.org>\n"
	                            "Content-Type: text/plain; charset=us-ascii\n"
	                            "\n"
	                            "Sunday is mine.\n";
	static const char html[] = "From: Bob <bob@example.org>\n"
	                           "Subject: Rota\n"
	                           "Message-ID: <f2@example.org>\n"
	                           "MIME-Version: 1.0\n"
	                           "Content-Type: text/html; charset=utf-8\n"
	                           "\n"
	                           "<p>Sunday is mine.</p>\n";
	g_autoptr(GBytes) raw1 = g_bytes_new_static(plain, sizeof plain - 1);
	g_autoptr(GBytes) raw2 = g_bytes_new_static(html, sizeof html - 1);
	rd_fanout_settings f = {.reply_to = (char *)"author",
	                        .dmarc_mitigation = (char *)"never",
	                        .footer = (char *)"Care Team: https://lists.example.test/care/"};
	g_autofree char *one = render_lf(raw1, &f, 3);
	g_autofree char *two = render_lf(raw2, &f, 3);

	g_assert_nonnull(
	    strstr(one, "Sunday is mine.\n-- \nCare Team: https://lists.example.test/care/\n"));
	g_assert_nonnull(strstr(one, "\nMessage-ID: <f1@example.org>\n"));
	g_assert_nonnull(strstr(two, "multipart/mixed"));
	g_assert_nonnull(strstr(two, "<p>Sunday is mine.</p>"));
	g_assert_nonnull(strstr(two, "Care Team: https://lists.example.test/care/"));
	g_assert_nonnull(strstr(two, "\nMessage-ID: <f2@example.org>\n"));
}

static void
test_copy_title_encoded(void)
{
	static const char post[] = "From: Bob <bob@example.org>\nSubject: x\n\nx\n";
	g_autoptr(GBytes) raw = g_bytes_new_static(post, sizeof post - 1);
	rd_fanout_settings f = {.reply_to = (char *)"author", .dmarc_mitigation = (char *)"never"};
	rd_community c = community;
	g_autoptr(GError) err = NULL;
	g_autoptr(GBytes) secret = test_secret();
	g_autoptr(rd_fanout_copy) copy = NULL;
	g_autoptr(GBytes) out = NULL;
	g_autofree char *text = NULL;

	c.title = (char *)"Pflege Süd";
	copy = rd_fanout_copy_new(raw, &c, &f, '-', &err);
	g_assert_no_error(err);
	out = rd_fanout_copy_render(copy, secret, 1, NULL);
	text = unix_text(out);
	/* RFC 2047 words, never raw 8-bit bytes, in the header. */
	g_assert_nonnull(strstr(text, "List-Id: Pflege =?"));
	g_assert_nonnull(strstr(text, "?= <care.lists.example.test>\n"));
	for (const char *p = text; *p; p++)
		g_assert_cmpint((guchar)*p, <, 0x80);
	/* The recipient delimiter of the installation is used. */
	g_assert_nonnull(strstr(text, "<mailto:care-request@lists.example.test?subject=help>"));
	g_assert_nonnull(strstr(text, "<mailto:care-owner@lists.example.test>"));
}

/* Queue a post through the store and render it for each member. */
static void
test_enqueue_render(void)
{
	g_autofree char *dir = g_dir_make_tmp("test-fanout.XXXXXX", NULL);
	g_autofree char *path = g_build_filename(dir, "rounds.db", NULL);
	g_autoptr(GError) err = NULL;
	g_autoptr(rd_store) s = rd_store_open(path, 1000, &err);
	g_autoptr(GBytes) secret = test_secret();
	g_autoptr(rd_community) c = NULL;
	g_autoptr(GPtrArray) items = NULL;
	g_autoptr(rd_stored_message) m = g_new0(rd_stored_message, 1);
	static const char raw[] = "From: Alice <alice@example.org>\nSubject: Rota\n"
	                          "Message-ID: <q1@example.org>\n\nSunday?\n";
	rd_context o = {.delimiter = '+', .secret = secret};
	gint64 cid, pa, pb, pc;
	guint posts = 0;

	g_assert_no_error(err);
	g_assert_true(rd_store_community_create(s, "care", "lists.example.test", "Care Team",
	                                        "open", &cid, &err));
	g_assert_true(rd_store_person_ensure(s, "alice@example.org", NULL, &pa, &err));
	g_assert_true(rd_store_person_ensure(s, "bob@example.org", NULL, &pb, &err));
	g_assert_true(rd_store_person_ensure(s, "carol@example.org", NULL, &pc, &err));
	g_assert_true(rd_store_member_add(s, cid, pa, "member", "each", &err));
	g_assert_true(rd_store_member_add(s, cid, pb, "member", "each", &err));
	g_assert_true(rd_store_member_add(s, cid, pc, "member", "digest", &err));
	g_assert_true(rd_store_fanout_set(s, cid, "subject_prefix", "1", &err));
	c = rd_store_community_get_by_id(s, cid, &err);
	g_assert_nonnull(c);

	m->community_id = cid;
	m->message_id = g_strdup("q1@example.org");
	m->from_addr = g_strdup("alice@example.org");
	m->subject = g_strdup("Rota");
	m->norm_subject = g_strdup("rota");
	m->date_text = g_strdup("2026-12-01T08:00:00+00:00");
	m->status = g_strdup("posted");
	m->body = g_strdup("Sunday?");
	m->raw = g_bytes_new_static(raw, sizeof raw - 1);
	m->attachments = g_ptr_array_new();
	g_assert_true(rd_store_begin(s, &err));
	g_assert_true(rd_store_message_insert(s, m, &err));
	g_assert_true(rd_fanout_enqueue(s, &o, c, m->id, &err));
	g_assert_true(rd_store_commit(s, &err));
	g_assert_no_error(err);

	items = rd_store_outbox_due(s, G_MAXINT64, 100, &err);
	g_assert_nonnull(items);
	for (guint i = 0; i < items->len; i++) {
		rd_outbox_item *it = items->pdata[i];
		g_autoptr(GBytes) out = NULL;
		g_autofree char *text = NULL;
		guint64 who = 0, where = 0;
		const char *tok;

		if (strcmp(it->kind, "post") != 0)
			continue;
		posts++;
		/* Only bob: alice wrote it, carol reads digests. */
		g_assert_cmpstr(it->recipient, ==, "bob@example.org");
		g_assert_cmpint(it->person_id, ==, pb);
		g_assert_true(g_str_has_prefix(it->envelope_from, "care+b-"));
		tok = it->envelope_from + strlen("care+b-");
		g_autofree char *token = g_strndup(tok, strcspn(tok, "@"));
		g_assert_true(rd_token_check(secret, RD_TOKEN_BOUNCE, "care", "lists.example.test",
		                             token, &who, &where));
		g_assert_cmpint((gint64)who, ==, pb);
		g_assert_cmpint((gint64)where, ==, cid);
		out = rd_fanout_render(s, it, secret, '+', NULL, NULL, &err);
		g_assert_no_error(err);
		text = unix_text(out);
		g_assert_nonnull(strstr(text, "\nSubject: [care] Rota\n"));
		g_assert_nonnull(strstr(text, "\nList-Id: Care Team <care.lists.example.test>\n"));

		/* Bob switches to digests: his queued copy is not sent. */
		g_assert_true(
		    rd_store_member_set(s, cid, "bob@example.org", "delivery", "digest", &err));
		g_clear_pointer(&out, g_bytes_unref);
		out = rd_fanout_render(s, it, secret, '+', NULL, NULL, &err);
		g_assert_null(out);
		g_assert_error(err, RD_ERROR, RD_NOTFOUND);
		g_clear_error(&err);
	}
	g_assert_cmpuint(posts, ==, 1);
	rd_fanout_cache_clear();
	g_clear_pointer(&s, rd_store_close);
	g_remove(path);
	{
		g_autofree char *wal = g_strconcat(path, "-wal", NULL);
		g_autofree char *shm = g_strconcat(path, "-shm", NULL);

		g_remove(wal);
		g_remove(shm);
	}
	g_rmdir(dir);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_mime_init();
	g_test_add_func("/fanout/prefix", test_prefix);
	g_test_add_func("/fanout/copy-headers", test_copy_headers);
	g_test_add_func("/fanout/copy-no-double-prefix", test_copy_no_double_prefix);
	g_test_add_func("/fanout/copy-dmarc", test_copy_dmarc);
	g_test_add_func("/fanout/copy-footer", test_copy_footer);
	g_test_add_func("/fanout/copy-title-encoded", test_copy_title_encoded);
	g_test_add_func("/fanout/enqueue-render", test_enqueue_render);
	return g_test_run();
}
