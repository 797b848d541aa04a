/* test-reply.c - replies to digests: the pure helpers, the store queries of
 * replies, and routing of r-/d-/c- addresses through a real database. */
#include <glib/gstdio.h>
#include <string.h>

#include "address.h"
#include "deliver.h"
#include "post.h"
#include "message.h"
#include "reply.h"
#include "store.h"
#include "token.h"

static GBytes *
fixed_secret(void)
{
	guint8 key[RD_TOKEN_SECRET_SIZE];

	for (gsize i = 0; i < sizeof(key); i++)
		key[i] = (guint8)(3 + i * 11);
	return g_bytes_new(key, sizeof(key));
}

static void
test_first_line_number(void)
{
	static const struct {
		const char *text;
		guint n;
		const char *rest;
	} cases[] = {
	    {"2\nYes, I will bring it.", 2, "Yes, I will bring it."},
	    {"\n\n  #3\nThanks", 3, "Thanks"},
	    {"[12] Agreed, every 48 hours.", 12, "Agreed, every 48 hours."},
	    {"2. Agreed", 2, "Agreed"},
	    {"1) fine by me", 1, "fine by me"},
	    {"4", 4, ""},
	    /* A sentence that starts with a number is not a choice. */
	    {"2 weeks ago we tried the same.", 0, "2 weeks ago we tried the same."},
	    {"2 - agreed", 0, "2 - agreed"},
	    {"0\nzero is no conversation", 0, "0\nzero is no conversation"},
	    {"1234\ntoo many digits", 0, "1234\ntoo many digits"},
	    {"[2 missing bracket", 0, "[2 missing bracket"},
	    {"Thanks everyone", 0, "Thanks everyone"},
	    {"", 0, ""},
	};

	for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autofree char *rest = NULL;
		guint n = rd_reply_first_line_number(cases[i].text, &rest);

		g_assert_cmpuint(n, ==, cases[i].n);
		g_assert_cmpstr(rest, ==, cases[i].rest);
	}
	g_assert_cmpuint(rd_reply_first_line_number("[5]", NULL), ==, 5);
}

static void
test_subject(void)
{
	static const char *const in[][2] = {
	    {"Dressing change frequency?", "Re: Dressing change frequency?"},
	    {"Re: Dressing change frequency?", "Re: Dressing change frequency?"},
	    {"AW: RE: Night shift handover", "Re: Night shift handover"},
	};

	for (gsize i = 0; i < G_N_ELEMENTS(in); i++) {
		g_autofree char *s = rd_reply_subject(in[i][0]);

		g_assert_cmpstr(s, ==, in[i][1]);
	}
}

/* ---- against a database ---- */

typedef struct {
	char *dir;
	rd_store *s;
	GBytes *secret;
	rd_community *care;
	rd_community *family;
	gint64 jo;
} fixture;

static GBytes *
mail(const char *from, const char *mid, const char *subject, const char *irt, const char *body)
{
	GString *m = g_string_new(NULL);

	g_string_append_printf(m, "From: %s\nTo: care@lists.example.test\nSubject: %s\n", from,
	                       subject);
	g_string_append_printf(m, "Date: Mon, 23 Nov 2026 08:%02u:00 +0000\nMessage-ID: <%s>\n",
	                       (guint)(strlen(mid) % 60), mid);
	if (irt)
		g_string_append_printf(m, "In-Reply-To: <%s>\nReferences: <%s>\n", irt, irt);
	g_string_append_printf(
	    m, "MIME-Version: 1.0\nContent-Type: text/plain; charset=utf-8\n\n%s\n", body);
	return g_string_free_to_bytes(m);
}

static gboolean
exists(const char *name, const char *domain, gpointer data)
{
	return strcmp(name, "care") == 0 || strcmp(name, "family") == 0;
}

/* Route RCPT as rd_deliver() does once the reply routes are wired. */
static rd_status
deliver(fixture *f, const char *rcpt, GBytes *data, rd_deliver_result *r, GError **error)
{
	g_autoptr(rd_address) a = rd_address_parse(rcpt, '+', exists, NULL, NULL);
	g_autoptr(rd_message) m = NULL;
	rd_context o = {0};
	const rd_community *c;

	g_assert_nonnull(a);
	c = strcmp(a->community, "care") == 0 ? f->care : f->family;
	o.recipient = rcpt;
	o.delimiter = '+';
	o.subject_window_days = 30;
	o.secret = f->secret;
	switch (a->kind) {
	case RD_ADDR_POST:
		m = rd_message_parse(data, c->domain, error);
		g_assert_nonnull(m);
		return rd_post_store(f->s, &o, c, m, data, NULL, r, error);
	case RD_ADDR_CONFIRM:
		return rd_reply_confirm(f->s, &o, c, a, data, r, error);
	default:
		return rd_reply_deliver(f->s, &o, c, a, data, r, error);
	}
}

static void
fixture_set_up(fixture *f, gconstpointer data)
{
	g_autoptr(GError) err = NULL;
	g_autofree char *path = NULL;
	gint64 id, cid;

	f->dir = g_dir_make_tmp("test-reply-XXXXXX", &err);
	g_assert_no_error(err);
	path = g_build_filename(f->dir, "rounds.db", NULL);
	f->s = rd_store_open(path, 5000, &err);
	g_assert_no_error(err);
	f->secret = fixed_secret();
	g_assert_true(rd_store_community_create(f->s, "care", "lists.example.test", "Wound Care",
	                                        "members", &cid, &err));
	g_assert_true(rd_store_community_create(f->s, "family", "lists.example.test",
	                                        "Okafor Family", "members", &id, &err));
	f->care = rd_store_community_get(f->s, "care", "lists.example.test", &err);
	f->family = rd_store_community_get(f->s, "family", "lists.example.test", &err);
	g_assert_no_error(err);
	g_assert_true(
	    rd_store_person_ensure(f->s, "jo.nurse@example.org", "Jo Nurse", &f->jo, &err));
	g_assert_true(rd_store_member_add(f->s, cid, f->jo, "member", "digest", &err));
	g_assert_true(rd_store_person_ensure(f->s, "sam.ortiz@example.com", "Sam", &id, &err));
	g_assert_true(rd_store_member_add(f->s, cid, id, "member", "digest", &err));
	g_assert_no_error(err);
}

static void
fixture_tear_down(fixture *f, gconstpointer data)
{
	g_autofree char *db = g_build_filename(f->dir, "rounds.db", NULL);
	g_autofree char *wal = g_strconcat(db, "-wal", NULL);
	g_autofree char *shm = g_strconcat(db, "-shm", NULL);

	rd_store_close(f->s);
	rd_community_free(f->care);
	rd_community_free(f->family);
	g_bytes_unref(f->secret);
	g_unlink(db);
	g_unlink(wal);
	g_unlink(shm);
	g_rmdir(f->dir);
	g_free(f->dir);
}

static void
test_person_addresses(fixture *f, gconstpointer data)
{
	g_autoptr(GError) err = NULL;
	gint64 id = 0;

	g_assert_true(rd_store_reply_person_by_address(f->s, "JO.NURSE@example.org", &id, &err));
	g_assert_cmpint(id, ==, f->jo);
	g_assert_false(rd_store_reply_person_by_address(f->s, "jo.home@gmail.com", &id, &err));
	g_assert_cmpint(rd_status_from_error(err), ==, RD_NOTFOUND);
	g_clear_error(&err);
	g_assert_true(rd_store_reply_add_address(f->s, f->jo, "jo.home@gmail.com", &err));
	id = 0;
	g_assert_true(rd_store_reply_person_by_address(f->s, "Jo.Home@Gmail.com", &id, &err));
	g_assert_cmpint(id, ==, f->jo);
}

/* r-token: posted as a reply to the latest message, trimmed, with the
 * thread's subject; another sender is held; a bad token is refused. */
static void
test_thread_reply(fixture *f, gconstpointer data)
{
	g_autoptr(GError) err = NULL;
	rd_deliver_result r = {0};
	g_autoptr(GBytes) q =
	    mail("Sam <sam.ortiz@example.com>", "q1@example.net", "Dressing change frequency?",
	         NULL, "How often do you change it?");
	g_autoptr(GBytes) a =
	    mail("Jo <jo.nurse@example.org>", "a1@example.net", "Re: Dressing change frequency?",
	         "q1@example.net", "Every day.");
	g_autoptr(GBytes) reply = NULL, other = NULL;
	g_autoptr(rd_stored_message) first = NULL, got = NULL, held = NULL;
	g_autofree char *tok = NULL, *rcpt = NULL, *bad = NULL;
	g_autoptr(GPtrArray) outbox = NULL;

	g_assert_cmpint(deliver(f, "care@lists.example.test", q, &r, &err), ==, RD_OK);
	rd_deliver_result_clear(&r);
	g_assert_cmpint(deliver(f, "care@lists.example.test", a, &r, &err), ==, RD_OK);
	rd_deliver_result_clear(&r);
	first = rd_store_message_get(f->s, f->care->id, "q1@example.net", FALSE, &err);
	g_assert_nonnull(first);

	tok = rd_token_make(f->secret, RD_TOKEN_REPLY, "care", "lists.example.test", (guint64)f->jo,
	                    (guint64)first->thread_id);
	rcpt = g_strdup_printf("care+r-%s@lists.example.test", tok);
	reply = mail("Jo <Jo.Nurse@example.org>", "b1@example.org", "Re: Your daily digest", NULL,
	             "Every 48 hours is enough.\n\nSent from my iPhone\n\n> On Tue, Rounds wrote:\n"
	             "> [1] Dressing change frequency?\n");
	g_assert_cmpint(deliver(f, rcpt, reply, &r, &err), ==, RD_OK);
	g_assert_no_error(err);
	g_assert_cmpstr(r.status, ==, "posted");
	rd_deliver_result_clear(&r);
	got = rd_store_message_get(f->s, f->care->id, "b1@example.org", FALSE, &err);
	g_assert_nonnull(got);
	g_assert_cmpstr(got->body, ==, "Every 48 hours is enough.");
	g_assert_cmpstr(got->subject, ==, "Re: Dressing change frequency?");
	g_assert_cmpstr(got->parent_message_id, ==, "a1@example.net");
	g_assert_cmpstr(got->from_addr, ==, "jo.nurse@example.org");
	g_assert_cmpint(got->thread_id, ==, first->thread_id);

	other = mail("Someone <someone@example.net>", "c1@example.net", "Re: digest", NULL,
	             "I am not Jo.");
	g_assert_cmpint(deliver(f, rcpt, other, &r, &err), ==, RD_OK);
	g_assert_cmpstr(r.status, ==, "held");
	rd_deliver_result_clear(&r);
	held = rd_store_message_get(f->s, f->care->id, "c1@example.net", FALSE, &err);
	g_assert_cmpstr(held->hold_reason, ==, "reply-from-other-address");
	outbox = rd_store_outbox_list(f->s, &err);
	g_assert_cmpuint(outbox->len, ==, 1);
	g_assert_cmpstr(((rd_outbox_item *)outbox->pdata[0])->recipient, ==,
	                "jo.nurse@example.org");

	bad = g_strdup_printf("care+r-%.*s@lists.example.test", (int)strlen(tok) - 3, tok);
	g_assert_cmpint(deliver(f, bad, other, &r, &err), ==, RD_NOPERM);
	g_assert_cmpstr(err->message, ==, RD_REPLY_BAD_TOKEN);
	rd_deliver_result_clear(&r);
}

static void
test_is_digest_reply(fixture *f, gconstpointer data)
{
	g_autofree char *tok =
	    rd_token_make(f->secret, RD_TOKEN_DIGEST, "care", "lists.example.test", 7, 42);
	g_autofree char *mid = g_strdup_printf("digest-42.%s@lists.example.test", tok);
	g_autofree char *wrong = g_strdup_printf("digest-43.%s@lists.example.test", tok);
	g_autoptr(GBytes) yes =
	    mail("Jo <jo.nurse@example.org>", "d1@example.org", "Re: Wound Care", mid, "Thanks");
	g_autoptr(GBytes) no =
	    mail("Jo <jo.nurse@example.org>", "d2@example.org", "Re: Wound Care", wrong, "Thanks");
	g_autoptr(rd_message) m1 = rd_message_parse(yes, "lists.example.test", NULL);
	g_autoptr(rd_message) m2 = rd_message_parse(no, "lists.example.test", NULL);
	g_autofree char *got = NULL;

	g_assert_true(rd_reply_is_digest_reply(m1, f->care, f->secret, &got));
	g_assert_cmpstr(got, ==, tok);
	g_assert_false(rd_reply_is_digest_reply(m1, f->family, f->secret, NULL));
	g_assert_false(rd_reply_is_digest_reply(m2, f->care, f->secret, NULL));
	g_assert_false(rd_reply_is_digest_reply(m1, f->care, NULL, NULL));
}

static void
test_owns_confirm(fixture *f, gconstpointer data)
{
	g_autofree char *choice = rd_token_make(f->secret, RD_TOKEN_CONFIRM, "care",
	                                        "lists.example.test", 0, 3 * 256 + 1);
	g_autofree char *held =
	    rd_token_make(f->secret, RD_TOKEN_CONFIRM, "care", "lists.example.test", 5, 9);

	g_assert_true(rd_reply_owns_confirm(f->secret, f->care, choice));
	g_assert_false(rd_reply_owns_confirm(f->secret, f->care, held));
	g_assert_false(rd_reply_owns_confirm(f->secret, f->family, choice));
	g_assert_false(rd_reply_owns_confirm(NULL, f->care, choice));
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_mime_init();
	g_test_add_func("/reply/first-line-number", test_first_line_number);
	g_test_add_func("/reply/subject", test_subject);
	g_test_add("/reply/person-addresses", fixture, NULL, fixture_set_up, test_person_addresses,
	           fixture_tear_down);
	g_test_add("/reply/thread-reply", fixture, NULL, fixture_set_up, test_thread_reply,
	           fixture_tear_down);
	g_test_add("/reply/is-digest-reply", fixture, NULL, fixture_set_up, test_is_digest_reply,
	           fixture_tear_down);
	g_test_add("/reply/owns-confirm", fixture, NULL, fixture_set_up, test_owns_confirm,
	           fixture_tear_down);
	return g_test_run();
}
