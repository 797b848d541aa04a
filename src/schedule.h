/* schedule.h - when a person's digest is due, in their own time zone.
 *
 * Pure functions over GDateTime/GTimeZone, so daylight-saving changes are
 * GLib's business: a slot is "HH:MM local time", turned into a UTC instant
 * for each calendar day.
 */
#ifndef RD_SCHEDULE_H
#define RD_SCHEDULE_H

#include <glib.h>

typedef enum { RD_FREQ_DAILY, RD_FREQ_WEEKLY, RD_FREQ_OFF } rd_frequency;

/* Parse "daily", "weekly", "off"; FALSE for anything else. */
gboolean rd_schedule_parse_frequency(const char *text, rd_frequency *freq);

/* The time zone for an IANA name, falling back to FALLBACK, then UTC. */
GTimeZone *rd_schedule_zone(const char *name, const char *fallback);

/* The latest slot at or before NOW (unix seconds) for a person whose digest
 * is at HHMM ("07:00") local time in TZ, daily or weekly on WEEKDAY
 * (1 = Monday ... 7 = Sunday).  Returns -1 for RD_FREQ_OFF. */
gint64 rd_schedule_last_slot(gint64 now, GTimeZone *tz, const char *hhmm, rd_frequency freq,
			     int weekday);

/* The first slot after NOW, or -1 for RD_FREQ_OFF. */
gint64 rd_schedule_next_slot(gint64 now, GTimeZone *tz, const char *hhmm, rd_frequency freq,
			     int weekday);

/* Parse an ISO 8601 instant ("2026-11-28T07:00:00Z", with an offset, or
 * local-less dates taken as UTC); -1 when invalid. */
gint64 rd_schedule_parse_iso(const char *text);

/* "Now": $ROUNDS_NOW (ISO 8601, for tests) or the clock. */
gint64 rd_schedule_now(void);

#endif
