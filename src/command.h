/* command.h - command emails, confirmations and moderation by email.
 *
 * COMMUNITY+request@ (and -request@), +subscribe@, +unsubscribe@, +help@,
 * +owner@ and +c-TOKEN@ land here.  Everything that leaves goes through
 * the outbox; nothing is carried out for a forged From: without a
 * confirmation from the real address.
 */
#ifndef RD_COMMAND_H
#define RD_COMMAND_H

#include "address.h"
#include "deliver.h"
#include "message.h"
#include "rounds.h"
#include "store.h"

/* Mail to the request, subscribe, unsubscribe, help, owner and confirm
 * addresses of C. */
rd_status rd_command_deliver(rd_store *s, const rd_deliver_opts *o, const rd_community *c,
			     const rd_address *a, GBytes *data, rd_deliver_result *result,
			     GError **error);

/* A post of C was just stored as held (row ROW, reason REASON): tell the
 * owners and moderators, and the sender once.  Runs inside the caller's
 * transaction. */
gboolean rd_command_held_notice(rd_store *s, const rd_deliver_opts *o, const rd_community *c,
				gint64 row, const char *reason, GError **error);

#endif
