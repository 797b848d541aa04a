/* report-mail.h - the weekly owner report: the vitality figures of the
 * last 7 days mailed to each owner and moderator of a community, on a
 * weekday and hour of their own time zone, exactly once per week. */
#ifndef RD_REPORT_MAIL_H
#define RD_REPORT_MAIL_H

#include "report.h"
#include "store.h"

typedef struct {
	int weekday;      /* 1 = Monday ... 7 = Sunday */
	const char *hour; /* "08:00", local time of each owner */
	const char *default_timezone;
	const char *from_address; /* From: of the report; NULL: COMMUNITY+owner@ */
	char delimiter;
	const char *template_dir; /* installed templates */
	const char *home;         /* overrides in HOME/templates/COMMUNITY/ */
} rd_report_mail_ctx;

/* The complete report mail to TO about C for R: text and HTML
 * (report.txt.mustache, report.html.mustache), the chart as an inline PNG
 * (Content-ID chart@rounds), at most three suggested actions.  NULL with
 * RD_TEMPFAIL when a template is missing or broken. */
GBytes *rd_report_mail_render(const rd_report_mail_ctx *ctx, const rd_community *c,
                              const rd_report *r, const char *to, gint64 now, GError **error);

/* Queue the reports due at NOW: one per owner and moderator of each
 * community whose weekly slot has come and who has not had it yet (the
 * outbox remembers), covering the 7 days before that slot. */
gboolean rd_report_mail_enqueue_due(rd_store *s, const rd_report_mail_ctx *ctx, gint64 now,
                                    guint *queued, GError **error);

#endif
