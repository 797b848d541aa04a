/* test-command.c - reading command mail, backscatter rules, trusted
 * Authentication-Results, and a held post decided twice (issue 5). */
#include <string.h>

#include "command.h"
#include "token.h"

static rd_message *
parse(const char *text)
{
	g_autoptr(GBytes) b = g_bytes_new(text, strlen(text));
	g_autoptr(GError) err = NULL;
	rd_message *m = rd_message_parse(b, "lists.example.test", &err);

	g_assert_no_error(err);
	return m;
}

static void
assert_lines(GPtrArray *got, const char *const *want)
{
	guint n = g_strv_length((char **)want);

	for (guint i = 0; i < got->len && i < n; i++)
		g_assert_cmpstr(got->pdata[i], ==, want[i]);
	g_assert_cmpuint(got->len, ==, n);
}

static void
test_extract_subject_and_body(void)
{
	g_autoptr(GPtrArray) l = rd_command_extract(
	    "Re: Digest Weekly friday", "\n  TIMEZONE Europe/Paris\n> each\n\ndigest-time 06:45\n"
	                                "Thanks, Jo\nsettings\n");
	const char *const want[] = {"Digest Weekly friday", "TIMEZONE Europe/Paris",
	                            "digest-time 06:45", NULL};

	assert_lines(l, want);
}

static void
test_extract_stops(void)
{
	g_autoptr(GPtrArray) sig = rd_command_extract("", "help\n-- \nJo Nurse\nsubscribe\n");
	g_autoptr(GPtrArray) end = rd_command_extract("", "who\nEND\nheld\n");
	g_autoptr(GPtrArray) pre =
	    rd_command_extract("Question", "Hello there,\nplease\nsubscribe\nregards");
	const char *const w1[] = {"help", NULL};
	const char *const w2[] = {"who", NULL};
	const char *const w3[] = {"Hello there,", "please", "subscribe", NULL};
	GString *many = g_string_new(NULL);

	assert_lines(sig, w1);
	assert_lines(end, w2);
	assert_lines(pre, w3);
	for (int i = 0; i < 30; i++)
		g_string_append_printf(many, "digest-time 07:%02d\n", i);
	g_autoptr(GPtrArray) lots = rd_command_extract(NULL, many->str);
	g_assert_cmpuint(lots->len, ==, 20);
	g_string_free(many, TRUE);
}

static void
test_extract_mailto_once(void)
{
	/* A mailto: link puts the same command in subject and body. */
	g_autoptr(GPtrArray) l = rd_command_extract("unsubscribe abc", "unsubscribe abc\n");
	const char *const want[] = {"unsubscribe abc", NULL};

	assert_lines(l, want);
	g_assert_true(rd_command_is_command("Digest-Time 07:00"));
	g_assert_false(rd_command_is_command("digests are great"));
	g_assert_false(rd_command_is_command(""));
}

#define HEAD                                                                                       \
	"From: Jo Nurse <jo.nurse@example.org>\nTo: care+request@lists.example.test\n"             \
	"Subject: help\nMessage-ID: <a1@example.org>\nDate: Tue, 24 Nov 2026 09:00:00 +0000\n"

static void
test_may_reply(void)
{
	static const struct {
		const char *extra;
		const char *sender;
		gboolean ok;
	} cases[] = {
	    {"", "jo.nurse@example.org", TRUE},
	    {"", NULL, TRUE},
	    {"Auto-Submitted: no\n", "jo.nurse@example.org", TRUE},
	    {"", "", FALSE},
	    {"", "MAILER-DAEMON", FALSE},
	    {"", "mailer-daemon@mx.example.org", FALSE},
	    {"Auto-Submitted: auto-replied\n", "jo.nurse@example.org", FALSE},
	    {"Auto-Submitted: auto-generated\n", NULL, FALSE},
	    {"Precedence: bulk\n", NULL, FALSE},
	    {"Precedence: junk\n", NULL, FALSE},
	    {"Precedence: list\n", NULL, FALSE},
	    {"List-Id: Other list <other.example.net>\n", NULL, FALSE},
	};

	for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autofree char *text = g_strdup_printf(HEAD "%s\nhelp\n", cases[i].extra);
		g_autoptr(rd_message) m = parse(text);

		g_assert_cmpint(rd_command_may_reply(m, cases[i].sender), ==, cases[i].ok);
	}
}

#define AR "Authentication-Results: "
#define TRUSTED AR "mx.lists.example.test"

static void
test_auth_trusted(void)
{
	static const struct {
		const char *headers;
		rd_auth_verdict want;
	} cases[] = {
	    {TRUSTED "; dmarc=pass (p=none) header.from=example.org\n", RD_AUTH_PASS},
	    {TRUSTED ";\n\tdkim=pass header.d=example.org header.s=k1; spf=fail\n", RD_AUTH_PASS},
	    /* a parent domain is aligned (relaxed), a stranger's is not */
	    {TRUSTED "; dkim=pass header.d=mail.example.org\n", RD_AUTH_NONE},
	    {TRUSTED "; dkim=pass header.d=evil.example\n", RD_AUTH_NONE},
	    {TRUSTED "; dkim=pass header.i=@example.org\n", RD_AUTH_PASS},
	    {TRUSTED "; dkim=pass header.i=jo@evil.example\n", RD_AUTH_NONE},
	    {TRUSTED "; dmarc=fail header.from=example.org\n", RD_AUTH_FAIL},
	    {TRUSTED "; dmarc=fail header.from=evil.example\n", RD_AUTH_NONE},
	    /* another server's verdict counts for nothing */
	    {AR "mx.evil.example; dmarc=pass header.from=example.org\n", RD_AUTH_NONE},
	    /* a fail in the trusted run outweighs a pass */
	    {TRUSTED "; dmarc=fail header.from=example.org\n" TRUSTED
	             "; dmarc=pass header.from=example.org\n",
	     RD_AUTH_FAIL},
	    /* milters of one MTA add one header each: the run counts */
	    {TRUSTED "; spf=pass smtp.mailfrom=example.org\n" TRUSTED
	             "; dmarc=pass header.from=example.org\n",
	     RD_AUTH_PASS},
	    /* a ";" in a quoted local part is no separator */
	    {TRUSTED "; spf=pass smtp.mailfrom=\"x;dmarc=pass\"@evil.example\n", RD_AUTH_NONE},
	    {TRUSTED "; spf=pass smtp.mailfrom=\"x;dmarc=pass header.from=example.org\"@evil."
	             "example\n",
	     RD_AUTH_NONE},
	    /* escapes inside the quoted string do not end it */
	    {TRUSTED "; spf=pass smtp.mailfrom=\"x\\\";dmarc=pass header.from=example.org;\"@e.x\n",
	     RD_AUTH_NONE},
	    /* nor in a comment, nested or not */
	    {TRUSTED "; spf=none (; dmarc=pass header.from=example.org) smtp.mailfrom=e.x\n",
	     RD_AUTH_NONE},
	    {TRUSTED "; spf=none (a (b; dmarc=pass header.from=example.org) c) smtp.helo=e.x\n",
	     RD_AUTH_NONE},
	    /* a comment inside the pass clause is fine */
	    {TRUSTED "; dmarc=pass (p=reject (strict)) header.from=(the From) example.org\n",
	     RD_AUTH_PASS},
	    {TRUSTED "; dmarc=pass header.from=\"example.org\"\n", RD_AUTH_PASS},
	    /* dmarc=pass says nothing without header.from */
	    {TRUSTED "; dmarc=pass\n", RD_AUTH_NONE},
	    {TRUSTED "; dmarc=pass (header.from=example.org)\n", RD_AUTH_NONE},
	    {TRUSTED "; dmarc=pass header.from=example.org.evil.example\n", RD_AUTH_NONE},
	    {TRUSTED "; dmarc=pass header.from=org\n", RD_AUTH_NONE},
	    /* case does not matter */
	    {AR "MX.Lists.Example.Test; DMARC=Pass Header.From=Example.ORG\n", RD_AUTH_PASS},
	    /* a version number after the authserv-id */
	    {TRUSTED " 1; dmarc=pass header.from=example.org\n", RD_AUTH_PASS},
	    {TRUSTED " 1; none\n", RD_AUTH_NONE},
	    {TRUSTED "; none\n", RD_AUTH_NONE},
	    /* a forged header below another server's is not trusted */
	    {AR "mx.evil.example; none\n" TRUSTED "; dmarc=pass header.from=example.org\n",
	     RD_AUTH_NONE},
	    {TRUSTED "; spf=pass smtp.mailfrom=example.org\n" AR "relay.example.net; none\n" TRUSTED
	             "; dmarc=pass header.from=example.org\n",
	     RD_AUTH_NONE},
	    /* the authserv-id is the first token, not a prefix */
	    {AR "mx.lists.example.test.evil.example; dmarc=pass header.from=example.org\n",
	     RD_AUTH_NONE},
	    {AR "(mx.lists.example.test) mx.evil.example; dmarc=pass header.from=example.org\n",
	     RD_AUTH_NONE},
	    /* a malformed clause counts for nothing, the next one does */
	    {TRUSTED "; dmarc pass header.from=example.org; dkim=pass header.d=example.org\n",
	     RD_AUTH_PASS},
	    {TRUSTED "; dmarc=pass header.from=\n", RD_AUTH_NONE},
	    /* a stray ")" makes its clause malformed (the lexer once looped on it) */
	    {TRUSTED "; dmarc=pass) header.from=example.org\n", RD_AUTH_NONE},
	    {TRUSTED "; spf=none smtp.helo=x) ; dkim=pass header.d=example.org\n", RD_AUTH_PASS},
	    {"", RD_AUTH_NONE},
	};

	for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autofree char *text = g_strdup_printf("%s" HEAD "\nwho\n", cases[i].headers);
		g_autoptr(rd_message) m = parse(text);

		if (g_test_verbose())
			g_printerr("case %zu: %s", i, cases[i].headers);
		g_assert_cmpint(rd_command_auth_verdict(m->mime, "mx.lists.example.test",
		                                        "jo.nurse@example.org"),
		                ==, cases[i].want);
		g_assert_cmpint(rd_command_auth_trusted(m->mime, "mx.lists.example.test",
		                                        "jo.nurse@example.org"),
		                ==, cases[i].want == RD_AUTH_PASS);
		g_assert_false(rd_command_auth_trusted(m->mime, NULL, "jo.nurse@example.org"));
	}
}

/* ---- through the store ---- */

typedef struct {
	char *dir;
	rd_store *s;
	rd_community *c;
	GBytes *secret;
	rd_context o;
} fixture;

static void
fixture_set_up(fixture *f, gconstpointer data)
{
	g_autoptr(GError) err = NULL;
	g_autofree char *path = NULL;
	guint8 key[32];
	gint64 id;

	f->dir = g_dir_make_tmp("test-command-XXXXXX", &err);
	g_assert_no_error(err);
	path = g_build_filename(f->dir, "rounds.db", NULL);
	f->s = rd_store_open(path, 5000, &err);
	g_assert_no_error(err);
	g_assert_true(rd_store_set_durable(f->s, FALSE, &err));
	g_assert_true(rd_store_community_create(f->s, "care", "lists.example.test", "Wound Care",
	                                        "members", &id, &err));
	f->c = rd_store_community_get(f->s, "care", "lists.example.test", &err);
	g_assert_no_error(err);
	g_assert_true(rd_store_person_ensure(f->s, "olu.owner@example.org", NULL, &id, &err));
	g_assert_true(rd_store_member_add(f->s, f->c->id, id, "owner", "digest", &err));
	g_assert_true(rd_store_person_ensure(f->s, "mia.mod@example.org", NULL, &id, &err));
	g_assert_true(rd_store_member_add(f->s, f->c->id, id, "moderator", "digest", &err));
	memset(key, 7, sizeof key);
	f->secret = g_bytes_new(key, sizeof key);
	f->o.delimiter = '+';
	f->o.secret = f->secret;
	f->o.subject_window_days = 30;
	f->o.template_dir =
	    g_getenv("ROUNDS_TEMPLATES") ? g_getenv("ROUNDS_TEMPLATES") : "templates";
}

static void
fixture_tear_down(fixture *f, gconstpointer data)
{
	g_autofree char *cmd = g_strdup_printf("rm -rf '%s'", f->dir);

	rd_community_free(f->c);
	rd_store_close(f->s);
	g_bytes_unref(f->secret);
	g_assert_cmpint(system(cmd), ==, 0);
	g_free(f->dir);
}

static rd_status
deliver(fixture *f, const char *rcpt, const char *text)
{
	g_autoptr(GBytes) b = g_bytes_new(text, strlen(text));
	g_autoptr(GError) err = NULL;
	rd_deliver_result r = {0};
	rd_status st;

	f->o.recipient = rcpt;
	f->o.sender = "someone@example.net";
	st = rd_deliver(f->s, &f->o, b, &r, &err);
	rd_deliver_result_clear(&r);
	return st;
}

static gint64
scalar_outbox_count(fixture *f, const char *rcpt)
{
	g_autoptr(GPtrArray) items = rd_store_outbox_list(f->s, NULL);
	gint64 n = 0;

	for (guint i = 0; items && i < items->len; i++) {
		rd_outbox_item *it = items->pdata[i];

		n += g_ascii_strcasecmp(it->recipient, rcpt) == 0;
	}
	return n;
}

static void
test_held_approved_twice(fixture *f, gconstpointer data)
{
	g_autoptr(GPtrArray) held = NULL;
	g_autoptr(rd_stored_message) after = NULL;
	g_autoptr(GError) err = NULL;
	g_autofree char *decision = NULL;
	gint64 row;
	gboolean won;

	g_assert_cmpint(deliver(f, "care@lists.example.test",
	                        "From: Vic Stranger <vic@example.net>\n"
	                        "To: care@lists.example.test\nSubject: Silver dressings?\n"
	                        "Message-ID: <h1@example.net>\n"
	                        "Date: Tue, 24 Nov 2026 09:00:00 +0000\n\n"
	                        "Is there evidence for silver dressings on venous leg ulcers?\n"),
	                ==, RD_OK);
	held = rd_store_message_list(f->s, f->c->id, "held", &err);
	g_assert_no_error(err);
	g_assert_cmpuint(held->len, ==, 1);
	row = ((rd_stored_message *)held->pdata[0])->id;
	/* Both moderators and the sender heard of it. */
	g_assert_cmpint(scalar_outbox_count(f, "olu.owner@example.org"), ==, 1);
	g_assert_cmpint(scalar_outbox_count(f, "mia.mod@example.org"), ==, 1);
	g_assert_cmpint(scalar_outbox_count(f, "vic@example.net"), ==, 1);

	g_assert_true(rd_store_begin(f->s, &err));
	g_assert_true(rd_store_command_decide(f->s, f->c->id, row, TRUE, "olu.owner@example.org",
	                                      NULL, 100, &won, &err));
	g_assert_true(won);
	g_assert_true(rd_store_command_decide(f->s, f->c->id, row, FALSE, "mia.mod@example.org",
	                                      "late", 101, &won, &err));
	g_assert_false(won);
	g_assert_true(rd_store_commit(f->s, &err));
	g_assert_true(rd_store_command_decision(f->s, row, &decision, NULL, &err));
	g_assert_cmpstr(decision, ==, "approved");
	after = rd_store_message_get(f->s, f->c->id, "h1@example.net", FALSE, &err);
	g_assert_no_error(err);
	g_assert_cmpstr(after->status, ==, "posted");
	g_assert_cmpint(after->posted_seq, >, 0);
}

static void
test_pending_single_use(fixture *f, gconstpointer data)
{
	g_autoptr(rd_pending_action) p = g_new0(rd_pending_action, 1);
	g_autoptr(rd_pending_action) back = NULL;
	g_autoptr(GError) err = NULL;
	gboolean won;

	p->community_id = f->c->id;
	p->kind = g_strdup("subscribe");
	p->address = g_strdup("kim@example.net");
	p->nonce = 42;
	p->created = 10;
	p->expires = 20;
	g_assert_true(rd_store_pending_add(f->s, p, &err));
	g_assert_true(rd_store_pending_use(f->s, p->id, 11, &won, &err));
	g_assert_true(won);
	g_assert_true(rd_store_pending_use(f->s, p->id, 12, &won, &err));
	g_assert_false(won);
	back = rd_store_pending_get(f->s, p->id, &err);
	g_assert_no_error(err);
	g_assert_cmpint(back->used, ==, 11);
	g_assert_cmpstr(back->address, ==, "kim@example.net");
}

static void
test_reply_limit(fixture *f, gconstpointer data)
{
	g_autoptr(GError) err = NULL;
	gboolean allowed;
	int n = 0;

	for (int i = 0; i < 8; i++) {
		g_assert_true(
		    rd_store_autoreply_take(f->s, "x@example.org", 1000 + i, 5, &allowed, &err));
		n += allowed;
	}
	g_assert_cmpint(n, ==, 5);
	/* A day later the address may get replies again. */
	g_assert_true(
	    rd_store_autoreply_take(f->s, "X@example.org", 1000 + 86400 + 10, 5, &allowed, &err));
	g_assert_true(allowed);
}

static void
test_digest_reply_commands(fixture *f, gconstpointer data)
{
	g_autoptr(GError) err = NULL;
	g_autoptr(rd_member) m = NULL;
	g_autoptr(rd_member) gone = NULL;
	gint64 pid, tid;
	gboolean handled, priv;

	g_assert_true(rd_store_person_ensure(f->s, "ann@example.com", "Ann", &pid, &err));
	g_assert_true(rd_store_member_add(f->s, f->c->id, pid, "member", "digest", &err));
	g_assert_true(rd_store_thread_create(f->s, f->c->id, "Photos from Sunday", &tid, &err));

	/* A real reply that happens to contain a command word is posted. */
	g_assert_cmpint(rd_command_digest_reply(f->s, &f->o, f->c, pid, tid, NULL,
	                                        "Lovely photos!\nStop by on Sunday?", &handled,
	                                        &err),
	                ==, RD_OK);
	g_assert_false(handled);
	g_assert_cmpint(
	    rd_command_digest_reply(f->s, &f->o, f->c, pid, tid, NULL, "weekly", &handled, &err),
	    ==, RD_OK);
	g_assert_true(handled);
	m = rd_store_member_get(f->s, f->c->id, "ann@example.com", &err);
	g_assert_cmpstr(m->digest_frequency, ==, "weekly");
	g_assert_cmpint(
	    rd_command_digest_reply(f->s, &f->o, f->c, pid, tid, NULL, " Mute ", &handled, &err),
	    ==, RD_OK);
	g_assert_true(handled);
	g_autoptr(GHashTable) muted = rd_store_mute_threads(f->s, pid, &err);
	g_assert_nonnull(muted);
	g_assert_true(g_hash_table_contains(muted, &tid));
	g_assert_cmpint(
	    rd_command_digest_reply(f->s, &f->o, f->c, pid, tid, NULL, "Stop.", &handled, &err), ==,
	    RD_OK);
	g_assert_true(handled);
	gone = rd_store_member_get(f->s, f->c->id, "ann@example.com", NULL);
	g_assert_null(gone);

	g_assert_true(rd_command_replies_private(f->s, f->c, &priv, &err));
	g_assert_false(priv);
	g_assert_true(rd_store_command_set_replies(f->s, f->c->id, "owners", &err));
	g_assert_true(rd_command_replies_private(f->s, f->c, &priv, &err));
	g_assert_true(priv);
	g_assert_true(
	    rd_command_forward_reply(f->s, &f->o, f->c, pid, tid, "Thank you all!", &err));
	g_assert_no_error(err);
	/* the owner, not the moderator (nor the writer) */
	g_assert_cmpint(scalar_outbox_count(f, "olu.owner@example.org"), ==, 1);
	g_assert_cmpint(scalar_outbox_count(f, "mia.mod@example.org"), ==, 0);
}

static void
test_trusted_owner_runs_at_once(fixture *f, gconstpointer data)
{
	g_autoptr(GError) err = NULL;
	g_autoptr(rd_community) other = NULL, after = NULL;
	static const char mail[] =
	    "Authentication-Results: %s; dkim=pass header.d=example.org; dmarc=pass "
	    "header.from=example.org\n"
	    "From: Olu Owner <olu.owner@example.org>\nTo: care+request@lists.example.test\n"
	    "Subject: policy %s\nMessage-ID: <p-%s@example.org>\n"
	    "Date: Tue, 24 Nov 2026 09:00:00 +0000\n\nThanks\n";
	g_autofree char *forged = g_strdup_printf(mail, "mx.evil.example", "open", "1");
	g_autofree char *trusted = g_strdup_printf(mail, "mx.lists.example.test", "announce", "2");

	f->o.trusted_authserv_id = "mx.lists.example.test";
	g_assert_cmpint(deliver(f, "care+request@lists.example.test", forged), ==, RD_OK);
	other = rd_store_community_get(f->s, "care", "lists.example.test", &err);
	g_assert_cmpstr(other->policy, ==, "members");
	g_assert_cmpint(deliver(f, "care+request@lists.example.test", trusted), ==, RD_OK);
	after = rd_store_community_get(f->s, "care", "lists.example.test", &err);
	g_assert_cmpstr(after->policy, ==, "announce");
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_mime_init();
	g_test_add_func("/command/extract/subject-and-body", test_extract_subject_and_body);
	g_test_add_func("/command/extract/stops", test_extract_stops);
	g_test_add_func("/command/extract/mailto-once", test_extract_mailto_once);
	g_test_add_func("/command/may-reply", test_may_reply);
	g_test_add_func("/command/auth-trusted", test_auth_trusted);
	g_test_add("/command/held-approved-twice", fixture, NULL, fixture_set_up,
	           test_held_approved_twice, fixture_tear_down);
	g_test_add("/command/pending-single-use", fixture, NULL, fixture_set_up,
	           test_pending_single_use, fixture_tear_down);
	g_test_add("/command/reply-limit", fixture, NULL, fixture_set_up, test_reply_limit,
	           fixture_tear_down);
	g_test_add("/command/digest-reply", fixture, NULL, fixture_set_up,
	           test_digest_reply_commands, fixture_tear_down);
	g_test_add("/command/trusted-owner", fixture, NULL, fixture_set_up,
	           test_trusted_owner_runs_at_once, fixture_tear_down);
	return g_test_run();
}
