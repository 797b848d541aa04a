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
	gboolean batch;     /* inside rd_store_batch_begin(): transactions are savepoints */
	gboolean savepoint; /* a savepoint of the batch is open */
	int busy_timeout_ms;
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

/* Every helper below takes the statement straight from store_prepare: a
 * NULL statement means its error is already set, and they return failure. */

/* Step a statement that returns no rows. */
gboolean store_done(rd_store *s, sqlite3_stmt *st, GError **error);
/* Run an UPDATE or DELETE; *CHANGED tells whether it changed a row. */
gboolean store_update(rd_store *s, sqlite3_stmt *st, gboolean *changed, GError **error);
/* Run an UPDATE or DELETE; when it changed no row, FALSE with RD_NOTFOUND
 * and the message FMT. */
gboolean store_changed(rd_store *s, sqlite3_stmt *st, GError **error, const char *fmt, ...)
    G_GNUC_PRINTF(4, 5);
/* Run an INSERT; the new row's id into *ID (when ID is not NULL). */
gboolean store_insert(rd_store *s, sqlite3_stmt *st, gint64 *id, GError **error);

/* Reads the current row into DATA; builds a new value from the current row. */
typedef void (*store_read_fn)(sqlite3_stmt *st, gpointer data);
typedef gpointer (*store_row_fn)(sqlite3_stmt *st);

/* READ (may be NULL) the first row of ST into DATA and reset ST: 1 when
 * read, 0 when there is no row, -1 on error. */
int store_first(rd_store *s, sqlite3_stmt *st, store_read_fn read, gpointer data,
		GError **error);
/* store_first where no row is RD_NOTFOUND with the message FMT. */
gboolean store_found(rd_store *s, sqlite3_stmt *st, store_read_fn read, gpointer data,
		     GError **error, const char *fmt, ...) G_GNUC_PRINTF(6, 7);
/* The first row of ST built by FROM_ROW.  No row: NULL, with RD_NOTFOUND
 * and the message FMT, or without an error when FMT is NULL. */
gpointer store_one(rd_store *s, sqlite3_stmt *st, store_row_fn from_row, GError **error,
		   const char *fmt, ...) G_GNUC_PRINTF(5, 6);
gpointer store_one_v(rd_store *s, sqlite3_stmt *st, store_row_fn from_row, GError **error,
		     const char *fmt, va_list ap) G_GNUC_PRINTF(5, 0);
/* READ every row of ST into DATA; FALSE on error. */
gboolean store_each(rd_store *s, sqlite3_stmt *st, store_read_fn read, gpointer data,
		    GError **error);
/* Every row of ST built by FROM_ROW, in an array that frees them with
 * FREE_ROW; NULL on error. */
GPtrArray *store_list(rd_store *s, sqlite3_stmt *st, store_row_fn from_row,
		      GDestroyNotify free_row, GError **error);
/* The first column of every row of ST, as strings; NULL on error. */
GPtrArray *store_texts(rd_store *s, sqlite3_stmt *st, GError **error);
/* The integer in the first column of ST's first row (0 when no row). */
gboolean store_int(rd_store *s, sqlite3_stmt *st, gint64 *v, GError **error);
/* A store_read_fn: the first column as a gint64 into *(gint64 *)DATA. */
void store_read_int(sqlite3_stmt *st, gpointer data);

/* A store_read_fn: the first column as a new string into *(char **)DATA. */
void store_read_text(sqlite3_stmt *st, gpointer data);
/* A store_read_fn: the first two columns as new strings into *OUT[0] and
 * *OUT[1], each skipped when NULL (DATA is a char **OUT[2]). */
void store_read_texts(sqlite3_stmt *st, gpointer data);

/* Column names cannot be bound: each settable key maps to its own fixed
 * statement instead of SQL built from input. */
typedef struct {
	const char *key;
	const char *sql;
} store_setting;
/* The statement for KEY among N SETTINGS, NULL when KEY is unknown. */
const char *store_setting_sql(const store_setting *settings, gsize n, const char *key);

/* Column I as a new string, NULL for SQL NULL. */
char *store_col_text(sqlite3_stmt *st, int i);
/* Now in UTC, ISO 8601. */
char *store_now(void);

/* store-message.c: one row of STORE_MESSAGE_COLS (a store_row_fn). */
gpointer store_message_from_row(sqlite3_stmt *st);
/* store_one for a message query of STORE_MESSAGE_COLS, with the
 * message's references. */
rd_stored_message *store_message_one(rd_store *s, sqlite3_stmt *st, GError **error,
				     const char *fmt, ...) G_GNUC_PRINTF(4, 5);
/* Every row of ST, then each one's references (and attachments when
 * DETAILS); NULL on error. */
GPtrArray *store_message_rows(rd_store *s, sqlite3_stmt *st, gboolean details, GError **error);

#endif
