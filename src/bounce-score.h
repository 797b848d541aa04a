/* bounce-score.h - bounces to COMMUNITY+b-TOKEN@ scored as Mailman does
 * it: past the threshold a member's delivery is disabled, the member is
 * told how to turn it back on and the owners are told.
 */
#ifndef RD_BOUNCE_SCORE_H
#define RD_BOUNCE_SCORE_H

#include "deliver.h"
#include "rounds.h"
#include "store.h"

struct _rd_address;

/* When a member's delivery is disabled for bounces. */
typedef struct {
	double threshold; /* score at which delivery is disabled (5) */
	int window_days;  /* a score older than this starts again (7) */
} rd_bounce_score_policy;

/* The built-in policy (rounds.conf does not reach this module yet). */
const rd_bounce_score_policy *rd_bounce_score_policy_default(void);

/* Score a bounce worth POINTS (1 permanent, 0.5 temporary) at NOW into B:
 * at most the worth of one permanent failure per UTC day.  TRUE when this
 * bounce takes an active member to the threshold. */
gboolean rd_bounce_score_add(rd_fanout_bounce_state *b, double points, gint64 now,
                             const rd_bounce_score_policy *p);

/* Mail to COMMUNITY+b-TOKEN@ (RD_ADDR_BOUNCE). */
rd_status rd_bounce_score_deliver(rd_store *s, const rd_context *o, const rd_community *c,
                                  const struct _rd_address *a, GBytes *data,
                                  rd_deliver_result *result, GError **error);

/* A feedback loop's ARF report that came to another address of C (a
 * provider sends it where it was registered, e.g. +owner): the VERP token
 * of the reported list copy or digest, found in the report (its
 * Original-Mail-From or the returned message's Return-Path), as a g_malloc'd
 * token of a +b- address of C; NULL when DATA is no such report.  The
 * token proves the report is about mail sent to that member: a forged
 * report naming a member by address proves nothing. */
char *rd_bounce_score_feedback_token(const rd_context *o, const rd_community *c, GBytes *data);

/* The smarthost refused a message for PERSON_ID of COMMUNITY_ID (5xx when
 * PERMANENT): score it like a bounce.  Runs in the caller's transaction. */
gboolean rd_bounce_score_record_failure(rd_store *s, GBytes *secret, char delimiter,
                                        gint64 community_id, gint64 person_id,
                                        gboolean permanent, const char *diagnostic, gint64 now,
                                        GError **error);

#endif
