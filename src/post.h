/* post.h - one post stored in one transaction (post.c), for every path
 * that posts: the post address (route.c), replies (reply.c), imports
 * (import.c) and the LMTP listener to come. */
#ifndef RD_POST_H
#define RD_POST_H

#include "deliver.h"
#include "rounds.h"
#include "store.h"

struct _rd_message;

/* Store the parsed message M (raw bytes DATA) in community C in one
 * transaction: duplicate check, policy (FORCED_HOLD, if not NULL, holds it
 * with that reason), insert, threading. */
rd_status rd_post_store(rd_store *s, const rd_context *o, const rd_community *c,
                        struct _rd_message *m, GBytes *data, const char *forced_hold,
                        rd_deliver_result *result, GError **error);

/* Called inside the transaction of rd_post_store_then(), after the post
 * is stored as ROW with STATUS ("posted", "held", "private"): what the post
 * causes (a confirmation to its author) is queued there, so that both
 * commit or neither does and a retry by the MTA is never a silent
 * duplicate. */
typedef gboolean (*rd_post_hook)(rd_store *s, gint64 row, const char *status, gpointer data,
                                 GError **error);

/* rd_post_store() with HOOK (may be NULL) and its DATA. */
rd_status rd_post_store_then(rd_store *s, const rd_context *o, const rd_community *c,
                             struct _rd_message *m, GBytes *data, const char *forced_hold,
                             rd_post_hook hook, gpointer hook_data, rd_deliver_result *result,
                             GError **error);

/* M filed as "private": no policy, never threaded, fanned out or
 * digested; HOOK (may be NULL) sends it to whom it is for, in the same
 * transaction. */
rd_status rd_post_store_private(rd_store *s, const rd_context *o, const rd_community *c,
                                struct _rd_message *m, GBytes *data, rd_post_hook hook,
                                gpointer hook_data, rd_deliver_result *result, GError **error);

/* rd_post_store() inside the caller's transaction (begun, committed or
 * rolled back by the caller): a corrected version of a held post
 * (command-confirm.c) replaces it in one transaction. */
rd_status rd_post_store_in(rd_store *s, const rd_context *o, const rd_community *c,
                           struct _rd_message *m, GBytes *data, rd_deliver_result *result,
                           GError **error);

#endif
