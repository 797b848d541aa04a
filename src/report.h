/* report.h - community vitality figures (issue 14), computed from the rows
 * the store loads (rd_store_report_rows); no SQL here, no clock either.
 *
 * A person is a lower-cased author address; a post is a posted message; a
 * thread's first post is its earliest post without a stored parent (the
 * earliest post of all when there is none, so a reply to a ghost is the
 * root).  The period is SINCE <= date < UNTIL; "up to UNTIL" means before
 * UNTIL.  Weeks are the 7-day spans ending at UNTIL, not calendar weeks.
 */
#ifndef RD_REPORT_H
#define RD_REPORT_H

#include <json-glib/json-glib.h>

#include "store.h"

#define RD_REPORT_WEEKS 12

typedef struct {
	gint64 thread_id;
	char *subject;
	char *author;
	gint64 started;
} rd_report_thread;

typedef struct {
	gint64 since, until;
	gint64 posts, threads_started, replies, posters;
	GPtrArray *first_time_posters; /* char*, sorted */
	gint64 reply_pairs, reciprocated;
	double replied_share; /* 0..1, rounded to 4 decimals */
	gint64 threads_without_reply;
	GPtrArray *unanswered; /* rd_report_thread*, oldest first */
	gboolean has_median;
	double first_reply_median_hours; /* rounded to 2 decimals */
	gint64 core_size, core_previous;
	GPtrArray *core_members; /* char*, sorted */
	gint64 members_total, members_joined, members_bouncing, members_paused;
	gint64 members_left; /* set by the caller: rd_store_report_left */
	gint64 readers_never_posted;
	struct {
		gint64 week_start, posts, posters;
	} weekly[RD_REPORT_WEEKS]; /* oldest first */
} rd_report;

/* Compute every figure for SINCE..UNTIL from POSTS (rd_report_post*) and
 * MEMBERS (rd_report_member*) as rd_store_report_rows returns them; the
 * caller fills members_left (rd_store_report_left). */
rd_report *rd_report_compute(GPtrArray *posts, GPtrArray *members, gint64 since, gint64 until);
void rd_report_free(rd_report *r);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(rd_report, rd_report_free)

/* The JSON object whose top-level keys are the public contract (README). */
JsonNode *rd_report_to_json(const rd_report *r);

/* A readable text table, for people. */
char *rd_report_to_text(const rd_report *r, const char *community);

/* UNIX time T as "2026-12-07T09:00:00Z". */
char *rd_report_iso(gint64 t);

#endif
