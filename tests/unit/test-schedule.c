/* test-schedule.c - digest slots at the right UTC instants across DST. */
#include "schedule.h"

static gint64
iso(const char *s)
{
	gint64 t = rd_schedule_parse_iso(s);

	g_assert_cmpint(t, >, 0);
	return t;
}

static void
check_last(const char *zone, const char *now, const char *hhmm, rd_frequency f, int wd,
	   const char *want)
{
	g_autoptr(GTimeZone) tz = rd_schedule_zone(zone, NULL);
	gint64 got = rd_schedule_last_slot(iso(now), tz, hhmm, f, wd);
	g_autoptr(GDateTime) g = g_date_time_new_from_unix_utc(got);
	g_autofree char *gs = g_date_time_format_iso8601(g);

	g_assert_cmpstr(gs, ==, want);
}

static void
test_daily_zones(void)
{
	/* Auckland: NZDT (+13) from the last Sunday of September 2026. */
	check_last("Pacific/Auckland", "2026-11-28T10:00:00Z", "07:00", RD_FREQ_DAILY, 1,
		   "2026-11-27T18:00:00Z");
	/* Kolkata: +05:30, no DST. */
	check_last("Asia/Kolkata", "2026-11-28T10:00:00Z", "07:00", RD_FREQ_DAILY, 1,
		   "2026-11-28T01:30:00Z");
	/* Los Angeles: PST (-8) in November. */
	check_last("America/Los_Angeles", "2026-11-28T10:00:00Z", "07:00", RD_FREQ_DAILY, 1,
		   "2026-11-27T15:00:00Z");
}

static void
test_dst_changes(void)
{
	/* Los Angeles springs forward on 8 March 2026: 07:00 is 15:00Z on the
	 * 7th (PST) and 14:00Z on the 8th (PDT). */
	check_last("America/Los_Angeles", "2026-03-07T20:00:00Z", "07:00", RD_FREQ_DAILY, 1,
		   "2026-03-07T15:00:00Z");
	check_last("America/Los_Angeles", "2026-03-08T20:00:00Z", "07:00", RD_FREQ_DAILY, 1,
		   "2026-03-08T14:00:00Z");
	/* Falls back on 1 November 2026. */
	check_last("America/Los_Angeles", "2026-10-31T20:00:00Z", "07:00", RD_FREQ_DAILY, 1,
		   "2026-10-31T14:00:00Z");
	check_last("America/Los_Angeles", "2026-11-01T20:00:00Z", "07:00", RD_FREQ_DAILY, 1,
		   "2026-11-01T15:00:00Z");
	/* Auckland moves to NZDT on 27 September 2026 (+12 -> +13). */
	check_last("Pacific/Auckland", "2026-09-26T12:00:00Z", "07:00", RD_FREQ_DAILY, 1,
		   "2026-09-25T19:00:00Z");
	check_last("Pacific/Auckland", "2026-09-27T12:00:00Z", "07:00", RD_FREQ_DAILY, 1,
		   "2026-09-26T18:00:00Z");
}

static void
test_weekly_and_off(void)
{
	g_autoptr(GTimeZone) tz = rd_schedule_zone("Europe/Berlin", NULL);

	/* Saturday 28 Nov 2026; weekly on Monday at 08:00 Berlin (+1). */
	check_last("Europe/Berlin", "2026-11-28T10:00:00Z", "08:00", RD_FREQ_WEEKLY, 1,
		   "2026-11-23T07:00:00Z");
	/* Same day, before and after the slot. */
	check_last("Europe/Berlin", "2026-11-28T06:59:00Z", "08:00", RD_FREQ_WEEKLY, 6,
		   "2026-11-21T07:00:00Z");
	check_last("Europe/Berlin", "2026-11-28T07:00:00Z", "08:00", RD_FREQ_WEEKLY, 6,
		   "2026-11-28T07:00:00Z");
	g_assert_cmpint(rd_schedule_last_slot(iso("2026-11-28T10:00:00Z"), tz, "08:00",
					      RD_FREQ_OFF, 1),
			==, -1);
	g_assert_cmpint(rd_schedule_next_slot(iso("2026-11-28T10:00:00Z"), tz, "08:00",
					      RD_FREQ_DAILY, 1),
			==, iso("2026-11-29T07:00:00Z"));
}

static void
test_bad_input(void)
{
	g_autoptr(GTimeZone) tz = rd_schedule_zone("No/Such_Zone", "Asia/Kolkata");
	rd_frequency f;

	g_assert_cmpint(rd_schedule_parse_iso("yesterday"), ==, -1);
	g_assert_false(rd_schedule_parse_frequency("hourly", &f));
	/* An unknown zone falls back; a bad time falls back to 07:00. */
	g_assert_cmpint(rd_schedule_last_slot(iso("2026-11-28T10:00:00Z"), tz, "25:99",
					      RD_FREQ_DAILY, 1),
			==, iso("2026-11-28T01:30:00Z"));
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/schedule/daily-zones", test_daily_zones);
	g_test_add_func("/schedule/dst", test_dst_changes);
	g_test_add_func("/schedule/weekly-off", test_weekly_and_off);
	g_test_add_func("/schedule/bad-input", test_bad_input);
	return g_test_run();
}
