/* test-bounce-score.c - bounce scoring: one permanent failure's worth per
 * day, the threshold crossed once, the window; the test clock. */
#include "bounce-score.h"
#include "schedule.h"

static void
test_score(void)
{
	const rd_bounce_score_policy *p = rd_bounce_score_policy_default();
	rd_fanout_bounce_state b = {.status = (char *)"active"};
	gint64 day = 86400, t0 = 1796112000; /* 2026-12-01 00:00 UTC */
	int crossings = 0;

	g_assert_cmpfloat(p->threshold, ==, 5.0);
	g_assert_cmpint(p->window_days, ==, 7);
	g_assert_false(rd_bounce_score_add(&b, 1.0, t0 + 3600, p));
	g_assert_false(rd_bounce_score_add(&b, 1.0, t0 + 7200, p));
	g_assert_cmpfloat(b.score, ==, 1.0);
	/* A temporary then a permanent failure on one day: 1 in all. */
	g_assert_false(rd_bounce_score_add(&b, 0.5, t0 + day, p));
	g_assert_cmpfloat(b.score, ==, 1.5);
	g_assert_false(rd_bounce_score_add(&b, 1.0, t0 + day + 60, p));
	g_assert_cmpfloat(b.score, ==, 2.0);
	g_assert_false(rd_bounce_score_add(&b, 0, t0 + 2 * day, p));
	g_assert_cmpfloat(b.score, ==, 2.0);
	for (int d = 2; d < 9; d++)
		crossings += rd_bounce_score_add(&b, 1.0, t0 + d * day, p);
	g_assert_cmpint(crossings, ==, 1);
	g_assert_cmpfloat(b.score, ==, 9.0);
	/* More than a window without bounces: the score starts again. */
	g_assert_false(rd_bounce_score_add(&b, 1.0, t0 + 20 * day, p));
	g_assert_cmpfloat(b.score, ==, 1.0);
	g_free(b.day);

	/* A member who is already disabled never crosses again. */
	rd_fanout_bounce_state d = {.status = (char *)"disabled", .score = 4.5};
	g_assert_false(rd_bounce_score_add(&d, 1.0, t0, p));
	g_free(d.day);
}

static void
test_now(void)
{
	g_setenv("ROUNDS_NOW", "2026-12-05T09:00:00Z", TRUE);
	g_assert_cmpint(rd_schedule_now(), ==, 1796461200);
	g_unsetenv("ROUNDS_NOW");
	g_assert_cmpint(rd_schedule_now(), >, 1700000000);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/bounce-score/score", test_score);
	g_test_add_func("/bounce-score/now", test_now);
	return g_test_run();
}
