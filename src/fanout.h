/* fanout.h - every-message delivery ("each" members) and bounce handling.
 *
 * A post is queued for its "each" members in the transaction that stores
 * it; the outbox renders each member's copy (list headers, VERP) when it
 * sends.  Mail to COMMUNITY+b-TOKEN@ is a bounce for the member the token
 * names: it is scored as Mailman does it.
 */
#ifndef RD_FANOUT_H
#define RD_FANOUT_H

#include "deliver.h"
#include "rounds.h"
#include "smtp.h"
#include "store.h"

struct _rd_address;

/* The VERP return path COMMUNITY+b-TOKEN@DOMAIN naming PERSON_ID, used by
 * every copy a member is sent (posts and digests). */
char *rd_fanout_bounce_address(GBytes *secret, const rd_community *c, char delimiter,
                               gint64 person_id);

/* Queue the posted message ROW of community C for every "each" member
 * (not the author).  Runs inside the caller's transaction. */
gboolean rd_fanout_enqueue(rd_store *s, const rd_deliver_opts *o, const rd_community *c, gint64 row,
                           GError **error);

/* The complete message for an outbox item of kind "post" (NULL with
 * RD_NOTFOUND when there is nothing to send any more), in CRLF; *FORM
 * (may be NULL) says so for rd_smtp_send. */
GBytes *rd_fanout_render(rd_store *s, const rd_outbox_item *item, GBytes *secret, char delimiter,
                         rd_smtp_form *form, GError **error);

/* Mail to COMMUNITY+b-TOKEN@ (RD_ADDR_BOUNCE). */
rd_status rd_fanout_bounce(rd_store *s, const rd_deliver_opts *o, const rd_community *c,
                           const struct _rd_address *a, GBytes *data, rd_deliver_result *result,
                           GError **error);

/* The per-post part of every member's copy, computed once per post: the
 * original's headers (filtered and rewritten) and what follows the
 * member's own List-Unsubscribe line. */
typedef struct _rd_fanout_copy rd_fanout_copy;

/* Build the copy of RAW for community C with settings F; NULL with
 * RD_DATAERR when RAW cannot be read (only a footer needs parsing). */
rd_fanout_copy *rd_fanout_copy_new(GBytes *raw, const rd_community *c, const rd_fanout_settings *f,
                                   char delimiter, GError **error);
/* The complete message for member PERSON_ID (string operations only). */
GBytes *rd_fanout_copy_render(const rd_fanout_copy *copy, GBytes *secret, gint64 person_id);
void rd_fanout_copy_free(rd_fanout_copy *copy);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(rd_fanout_copy, rd_fanout_copy_free)

/* Forget the copies rd_fanout_render keeps between items. */
void rd_fanout_cache_clear(void);

/* TRUE when SUBJECT (decoded) already carries "[NAME]" anywhere, so that
 * replies never get the prefix twice. */
gboolean rd_fanout_has_prefix(const char *subject, const char *name);

/* When a member's delivery is disabled for bounces. */
typedef struct {
	double threshold; /* score at which delivery is disabled (5) */
	int window_days;  /* a score older than this starts again (7) */
} rd_fanout_bounce_policy;

/* The built-in policy (rounds.conf does not reach this module yet). */
const rd_fanout_bounce_policy *rd_fanout_bounce_policy_default(void);

/* Score a bounce worth POINTS (1 permanent, 0.5 temporary) at NOW into B:
 * at most the worth of one permanent failure per UTC day.  TRUE when this
 * bounce takes an active member to the threshold. */
gboolean rd_fanout_score(rd_fanout_bounce_state *b, double points, gint64 now,
                         const rd_fanout_bounce_policy *p);

/* "Now" for bounce scoring: $ROUNDS_NOW (ISO 8601, for tests) or the clock. */
gint64 rd_fanout_now(void);

/* The smarthost refused a message for PERSON_ID of COMMUNITY_ID (5xx when
 * PERMANENT): score it like a bounce.  Runs in the caller's transaction. */
gboolean rd_fanout_record_failure(rd_store *s, GBytes *secret, char delimiter, gint64 community_id,
                                  gint64 person_id, gboolean permanent, const char *diagnostic,
                                  gint64 now, GError **error);

#endif
