/* schedule.c - digest slots in local time. */
#include <stdio.h>
#include <string.h>

#include "schedule.h"

gboolean
rd_schedule_parse_frequency(const char *text, rd_frequency *freq)
{
	if (text == NULL)
		return FALSE;
	if (strcmp(text, "daily") == 0)
		*freq = RD_FREQ_DAILY;
	else if (strcmp(text, "weekly") == 0)
		*freq = RD_FREQ_WEEKLY;
	else if (strcmp(text, "off") == 0)
		*freq = RD_FREQ_OFF;
	else
		return FALSE;
	return TRUE;
}

GTimeZone *
rd_schedule_zone(const char *name, const char *fallback)
{
	GTimeZone *tz = NULL;

	if (name && *name)
		tz = g_time_zone_new_identifier(name);
	if (tz == NULL && fallback && *fallback)
		tz = g_time_zone_new_identifier(fallback);
	return tz ? tz : g_time_zone_new_utc();
}

static void
parse_hhmm(const char *hhmm, int *h, int *m)
{
	*h = 7;
	*m = 0;
	if (hhmm == NULL || sscanf(hhmm, "%d:%d", h, m) != 2 || *h < 0 || *h > 23 || *m < 0 ||
	    *m > 59) {
		*h = 7;
		*m = 0;
	}
}

/* The slot on the local calendar day of DAY.  In a spring-forward gap GLib
 * moves the time forward, so the digest still goes out that day. */
static gint64
slot_on(GDateTime *day, GTimeZone *tz, int h, int m)
{
	g_autoptr(GDateTime) s =
	    g_date_time_new(tz, g_date_time_get_year(day), g_date_time_get_month(day),
			    g_date_time_get_day_of_month(day), h, m, 0);

	return s ? g_date_time_to_unix(s) : g_date_time_to_unix(day);
}

/* The slot nearest NOW in direction STEP (-1: the latest at or before NOW,
 * +1: the first after it), walking at most eight local days. */
static gint64
find_slot(gint64 now, GTimeZone *tz, const char *hhmm, rd_frequency freq, int weekday, int step)
{
	g_autoptr(GDateTime) utc = g_date_time_new_from_unix_utc(now);
	g_autoptr(GDateTime) local = g_date_time_to_timezone(utc, tz);
	int h, m;

	if (freq == RD_FREQ_OFF)
		return -1;
	parse_hhmm(hhmm, &h, &m);
	if (weekday < 1 || weekday > 7)
		weekday = 1;
	for (int i = 0; i <= 8; i++) {
		g_autoptr(GDateTime) day = g_date_time_add_days(local, i * step);
		gint64 slot;

		if (freq == RD_FREQ_WEEKLY && g_date_time_get_day_of_week(day) != weekday)
			continue;
		slot = slot_on(day, tz, h, m);
		if (step < 0 ? slot <= now : slot > now)
			return slot;
	}
	return -1;
}

gint64
rd_schedule_last_slot(gint64 now, GTimeZone *tz, const char *hhmm, rd_frequency freq,
		      int weekday)
{
	return find_slot(now, tz, hhmm, freq, weekday, -1);
}

gint64
rd_schedule_next_slot(gint64 now, GTimeZone *tz, const char *hhmm, rd_frequency freq,
		      int weekday)
{
	return find_slot(now, tz, hhmm, freq, weekday, +1);
}

gint64
rd_schedule_parse_iso(const char *text)
{
	g_autoptr(GTimeZone) utc = g_time_zone_new_utc();
	g_autoptr(GDateTime) d = NULL;

	if (text == NULL)
		return -1;
	d = g_date_time_new_from_iso8601(text, utc);
	return d ? g_date_time_to_unix(d) : -1;
}

gint64
rd_schedule_now(void)
{
	const char *env = g_getenv("ROUNDS_NOW");

	if (env != NULL && *env != '\0') {
		gint64 t = rd_schedule_parse_iso(env);

		if (t >= 0)
			return t;
	}
	return g_get_real_time() / G_USEC_PER_SEC;
}
