/* thread.h - threading within a community, the JWZ way, independent of
 * arrival order.
 *
 * The parent of a message is its nearest present ancestor along its own
 * reference chain; a missing ("ghost") ancestor is crossed using the
 * chains of the other messages that name it, chosen by majority and then
 * by id so that no arrival order can change the answer.  Threads are the
 * connected components of the reference graph, plus the subject fallback
 * for replies that carry no references at all.
 */
#ifndef RD_THREAD_H
#define RD_THREAD_H

#include "rounds.h"
#include "store.h"

typedef struct {
	const char *message_id;
	char **refs;                 /* cleaned chain, oldest first */
	const char *fallback_parent; /* parent chosen by subject, or NULL */
	gint64 date;
	const char *parent;          /* out: another node's message_id, or NULL */
} rd_thread_node;

/* Decide the parent of every node; loops are broken at the earliest message. */
void rd_thread_assign_parents(rd_thread_node **nodes, guint n);

/* Thread the posted message M (already inserted, in no thread yet) into
 * its community: merges threads it connects, recomputes the parents of the
 * connected messages and applies the subject fallback (window in days). */
gboolean rd_thread_link(rd_store *s, rd_stored_message *m, int window_days, GError **error);

#endif
