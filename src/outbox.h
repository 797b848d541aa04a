/* outbox.h - everything that leaves Rounds goes through the outbox.
 *
 * Items are queued inside the transaction that decides them; rd_outbox_flush
 * renders what is due, hands it to the SMTP module, and records the outcome.
 * An item is marked sent only after the server accepted it; the one window
 * for a duplicate is a crash between the server's 250 and that update.
 */
#ifndef RD_OUTBOX_H
#define RD_OUTBOX_H

#include "digest.h"
#include "rounds.h"
#include "smtp.h"
#include "store.h"

typedef struct {
	gint64 retry[16]; /* waits after each failed attempt, seconds */
	guint n_retry;    /* the last wait repeats */
	gint64 give_up;   /* seconds after queueing, then failed */
	guint batch;      /* items per SMTP round */
} rd_outbox_policy;

/* The defaults: 1 min, 5 min, 30 min, 2 h, then every 4 h, for 5 days. */
void rd_outbox_policy_default(rd_outbox_policy *p);

/* Parse "60,300,1800" into the retry waits; FALSE when malformed. */
gboolean rd_outbox_policy_parse_retry(rd_outbox_policy *p, const char *text);

typedef struct {
	guint sent;
	guint deferred;
	guint failed;
} rd_outbox_counts;

/* Send everything due at NOW.  FALSE only for faults of the store; SMTP
 * trouble is recorded per item and retried later. */
gboolean rd_outbox_flush(rd_store *s, const rd_smtp_config *smtp, const rd_digest_ctx *dctx,
			 const rd_outbox_policy *policy, gint64 now, rd_outbox_counts *counts,
			 GError **error);

/* The wait after ATTEMPTS failed attempts. */
/* Outbox item ID as it would be sent at NOW (a digest rendered, a copy
 * personalised); NULL with RD_NOTFOUND when there is no such item. */
GBytes *rd_outbox_message(rd_store *s, const rd_digest_ctx *dctx, gint64 id, gint64 now,
			  GError **error);

gint64 rd_outbox_backoff(const rd_outbox_policy *p, gint64 attempts);

#endif
