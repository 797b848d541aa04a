/* store-internal.h - what the store-*.c files share, and nothing else may
 * include: the handle's struct and the private store_ helpers.
 *
 * store.c opens, migrates and runs transactions; the queries live in one
 * file per kind of data, each owning a coherent set of tables:
 *   store-community.c  communities (list-copy settings, reply mode)
 *   store-member.c     people, memberships, person_addresses
 *   store-message.c    messages, refs, attachments, moderation
 *   store-thread.c     threads, thread_alias, threading queries
 *   store-digest.c     digest_state, mutes, the digest columns of people
 *   store-outbox.c     outbox
 *   store-bounce.c     bounce columns of memberships, bounce_events
 *   store-kept.c       kept_replies
 *   store-command.c    pending_actions, auto_replies
 *   store-fetch.c      fetch_seen
 */
#ifndef RD_STORE_INTERNAL_H
#define RD_STORE_INTERNAL_H

#include <sqlite3.h>

#include "store.h"

struct _rd_store {
	sqlite3 *db;
	GHashTable *stmts; /* SQL text -> sqlite3_stmt*, prepared once */
	char *path;
};

/* SQL for the live thread behind thread id parameter P (one from a token
 * may name a thread merged away since). */
#define STORE_THREAD_OF(p) "coalesce((SELECT thread_id FROM thread_alias WHERE old_id = " p "), " p ")"

/* The columns store_message_from_row reads, in its order. */
#define STORE_MESSAGE_COLS                                                                         \
	"id, community_id, message_id, coalesce(thread_id, 0), parent_message_id, "                \
	"fallback_parent, from_addr, from_name, subject, norm_subject, is_reply, date, "          \
	"date_text, arrived, status, hold_reason, body, coalesce(posted_seq, 0) "

/* A cached statement for SQL with its parameters bound by a type string:
 * 't' text (may be NULL), 'i' gint64, 'd' double, 'b' GBytes*. */
sqlite3_stmt *store_prepare(rd_store *s, GError **error, const char *sql, const char *types,
			    ...);
/* Step a statement that returns no rows (NULL: the error is already set). */
gboolean store_done(rd_store *s, sqlite3_stmt *st, GError **error);
/* Step to the next row: 1 row, 0 done, -1 error. */
int store_row(rd_store *s, sqlite3_stmt *st, GError **error);
gboolean store_one_id(rd_store *s, sqlite3_stmt *st, gint64 *id, const char *what,
		      const char *key, GError **error);
GPtrArray *store_texts(rd_store *s, sqlite3_stmt *st, GError **error);
/* Column I as a new string, NULL for SQL NULL. */
char *store_col_text(sqlite3_stmt *st, int i);
/* Now in UTC, ISO 8601. */
char *store_now(void);

/* store-message.c: one row of STORE_MESSAGE_COLS; every row of ST with
 * references (and attachments when DETAILS). */
rd_stored_message *store_message_from_row(sqlite3_stmt *st);
GPtrArray *store_message_rows(rd_store *s, sqlite3_stmt *st, gboolean details, GError **error);

#endif
