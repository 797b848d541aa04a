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
#include "store.h"

struct _rd_address;

/* Queue the posted message ROW of community C for every "each" member
 * (not the author).  Runs inside the caller's transaction. */
gboolean rd_fanout_enqueue(rd_store *s, const rd_deliver_opts *o, const rd_community *c,
			   gint64 row, GError **error);

/* The complete message for an outbox item of kind "post" (NULL with
 * RD_NOTFOUND when there is nothing to send any more). */
GBytes *rd_fanout_render(rd_store *s, const rd_outbox_item *item, GBytes *secret,
			 char delimiter, GError **error);

/* Mail to COMMUNITY+b-TOKEN@ (RD_ADDR_BOUNCE). */
rd_status rd_fanout_bounce(rd_store *s, const rd_deliver_opts *o, const rd_community *c,
			   const struct _rd_address *a, GBytes *data, rd_deliver_result *result,
			   GError **error);

#endif
