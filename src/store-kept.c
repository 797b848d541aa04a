/* store-kept.c - digest replies kept until their author picks a conversation
 * (table kept_replies). */
#include <sqlite3.h>

#include "store-internal.h"

void
rd_kept_reply_free(rd_kept_reply *k)
{
	if (k == NULL)
		return;
	g_free(k->message_id);
	g_free(k->from_addr);
	g_free(k->subject);
	g_free(k->body);
	if (k->raw)
		g_bytes_unref(k->raw);
	g_free(k->choices);
	g_free(k->status);
	g_free(k);
}

gboolean
rd_store_reply_keep(rd_store *s, rd_kept_reply *k, GError **error)
{
	return store_insert(s,
			    store_prepare(s, error,
					  "INSERT INTO kept_replies (community_id, person_id, "
					  "outbox_id, message_id, from_addr, subject, body, raw, "
					  "choices, created) VALUES (?,?,?,?,?,?,?,?,?,?)",
					  "iiittttbti", k->community_id, k->person_id, k->outbox_id,
					  k->message_id, k->from_addr, k->subject, k->body, k->raw,
					  k->choices, k->created),
			    &k->id, error);
}

#define KEPT_COLS                                                                                  \
	"id, community_id, person_id, outbox_id, message_id, from_addr, subject, body, choices, "  \
	"status, coalesce(thread_id, 0), created "

static gpointer
kept_from_row(sqlite3_stmt *st)
{
	rd_kept_reply *k = g_new0(rd_kept_reply, 1);

	k->id = sqlite3_column_int64(st, 0);
	k->community_id = sqlite3_column_int64(st, 1);
	k->person_id = sqlite3_column_int64(st, 2);
	k->outbox_id = sqlite3_column_int64(st, 3);
	k->message_id = store_col_text(st, 4);
	k->from_addr = store_col_text(st, 5);
	k->subject = store_col_text(st, 6);
	k->body = store_col_text(st, 7);
	k->choices = store_col_text(st, 8);
	k->status = store_col_text(st, 9);
	k->thread_id = sqlite3_column_int64(st, 10);
	k->created = sqlite3_column_int64(st, 11);
	return k;
}

/* KEPT_COLS followed by raw. */
static gpointer
kept_raw_from_row(sqlite3_stmt *st)
{
	rd_kept_reply *k = kept_from_row(st);

	k->raw = g_bytes_new(sqlite3_column_blob(st, 12), sqlite3_column_bytes(st, 12));
	return k;
}

rd_kept_reply *
rd_store_reply_kept_get(rd_store *s, gint64 id, GError **error)
{
	return store_one(s,
			 store_prepare(s, error,
				       "SELECT " KEPT_COLS ", raw FROM kept_replies WHERE id = ?", "i",
				       id),
			 kept_raw_from_row, error, "no kept reply %" G_GINT64_FORMAT, id);
}

gboolean
rd_store_reply_kept_filed(rd_store *s, gint64 id, gint64 thread_id, GError **error)
{
	return store_done(s,
			  store_prepare(s, error,
					"UPDATE kept_replies SET status = 'filed', thread_id = ? "
					"WHERE id = ?",
					"ii", thread_id, id),
			  error);
}

GPtrArray *
rd_store_reply_kept_list(rd_store *s, gint64 community_id, GError **error)
{
	return store_list(s,
			  store_prepare(s, error,
					"SELECT " KEPT_COLS " FROM kept_replies WHERE community_id = "
					"? ORDER BY id",
					"i", community_id),
			  kept_from_row, (GDestroyNotify)rd_kept_reply_free, error);
}
