/* test-report.c - the vitality figures on small hand-made rows: what the
 * shell test cannot easily set up (skewed clocks, an even number of first
 * replies, paused and bouncing members). */
#include <string.h>

#include "report.h"

#define H 3600
#define U 1000000000 /* --until */

static void
post(GPtrArray *a, const char *id, const char *author, gint64 hours_before, gint64 thread,
     const char *parent)
{
	rd_report_post *p = g_new0(rd_report_post, 1);

	p->id = a->len + 1;
	p->message_id = g_strdup(id);
	p->parent_message_id = g_strdup(parent);
	p->author = g_strdup(author);
	p->date = U - hours_before * H;
	p->thread_id = thread;
	p->subject = g_strdup_printf("thread %" G_GINT64_FORMAT, thread);
	g_ptr_array_add(a, p);
}

static void
member(GPtrArray *a, const char *address, const char *delivery, const char *status, double score,
       const char *reason, const char *created, const char *paused)
{
	rd_report_member *m = g_new0(rd_report_member, 1);

	m->address = g_strdup(address);
	m->delivery = g_strdup(delivery);
	m->status = g_strdup(status);
	m->bounce_score = score;
	m->disabled_reason = g_strdup(reason);
	m->created = g_strdup(created);
	m->paused_until = g_strdup(paused);
	g_ptr_array_add(a, m);
}

static GPtrArray *
posts_new(void)
{
	return g_ptr_array_new_with_free_func((GDestroyNotify)rd_report_post_free);
}

static void
test_first_post_and_median(void)
{
	g_autoptr(GPtrArray) p = posts_new();
	g_autoptr(GPtrArray) m =
	    g_ptr_array_new_with_free_func((GDestroyNotify)rd_report_member_free);
	g_autoptr(rd_report) r = NULL;

	/* Thread 1: b's reply carries an earlier Date than a's root (a skewed
	 * clock); the root is still a's post, answered 0 hours "later". */
	post(p, "r1", "b", 50, 1, "a1");
	post(p, "a1", "a", 49, 1, NULL);
	post(p, "c1", "c", 40, 1, "a1");
	/* Thread 2: answered after 3 hours.  Thread 3: after 8 hours. */
	post(p, "a2", "a", 30, 2, NULL);
	post(p, "b2", "b", 27, 2, "a2");
	post(p, "a3", "a", 20, 3, NULL);
	post(p, "a3b", "a", 19, 3, "a3");
	post(p, "b3", "b", 12, 3, "a3b");
	/* Thread 4: answered after 4 hours. */
	post(p, "c4", "c", 10, 4, NULL);
	post(p, "a4", "a", 6, 4, "c4");
	r = rd_report_compute(p, m, U - 168 * H, U);
	g_assert_cmpint(r->threads_started, ==, 4);
	g_assert_cmpint(r->threads_without_reply, ==, 0);
	/* Waits 9 (c1 after a1), 3, 8, 4: b's skewed reply is not "after" the
	 * root, so thread 1's first answer is c's. */
	g_assert_true(r->has_median);
	g_assert_cmpfloat_with_epsilon(r->first_reply_median_hours, 6.0, 1e-9);
	/* {a,b}: only b answers a (three times); {a,c}: both ways (c1, a4). */
	g_assert_cmpint(r->reply_pairs, ==, 2);
	g_assert_cmpint(r->reciprocated, ==, 1);
}

static void
test_members(void)
{
	g_autoptr(GPtrArray) p = posts_new();
	g_autoptr(GPtrArray) m =
	    g_ptr_array_new_with_free_func((GDestroyNotify)rd_report_member_free);
	g_autoptr(rd_report) r = NULL;
	g_autoptr(GDateTime) u = g_date_time_new_from_unix_utc(U);
	g_autofree char *before = NULL, *inside = NULL, *after = NULL;

	{
		g_autoptr(GDateTime) b = g_date_time_add_days(u, -30);
		g_autoptr(GDateTime) i = g_date_time_add_days(u, -2);
		g_autoptr(GDateTime) a = g_date_time_add_days(u, 2);

		before = g_date_time_format_iso8601(b);
		inside = g_date_time_format_iso8601(i);
		after = g_date_time_format_iso8601(a);
	}
	post(p, "x", "poster@example.org", 500, 1, NULL);
	member(m, "poster@example.org", "digest", "active", 0, NULL, before, NULL);
	member(m, "reader@example.org", "digest", "active", 1.5, NULL, before, NULL);
	member(m, "disabled@example.org", "each", "disabled", 5, "bounces", inside, NULL);
	member(m, "nomail@example.org", "digest", "paused", 0, NULL, inside, NULL);
	member(m, "holiday@example.org", "each", "active", 0, NULL, before, after);
	member(m, "back@example.org", "each", "active", 0, NULL, before, before);
	member(m, "future@example.org", "digest", "active", 0, NULL, after, NULL);
	r = rd_report_compute(p, m, U - 168 * H, U);
	g_assert_cmpint(r->members_total, ==, 6);
	g_assert_cmpint(r->members_joined, ==, 2);
	g_assert_cmpint(r->members_bouncing, ==, 2);
	g_assert_cmpint(r->members_paused, ==, 2);
	g_assert_cmpint(r->readers_never_posted, ==, 2);
	g_assert_cmpint(r->posts, ==, 0);
	g_assert_false(r->has_median);
	g_assert_cmpfloat(r->replied_share, ==, 0);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/report/first-post-and-median", test_first_post_and_median);
	g_test_add_func("/report/members", test_members);
	return g_test_run();
}
