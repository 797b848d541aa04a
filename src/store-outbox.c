/* store-outbox.c - mail waiting to be sent, and what became of it (table
 * outbox). */
#include <sqlite3.h>

#include "store-internal.h"

void
rd_outbox_item_free(rd_outbox_item *item)
{
	if (item == NULL)
		return;
	g_free(item->kind);
	g_free(item->recipient);
	g_free(item->envelope_from);
	g_free(item->subject);
	g_free(item->payload);
	if (item->data)
		g_bytes_unref(item->data);
	g_free(item->status);
	g_free(item->last_reply);
	g_free(item);
}

gboolean
rd_store_outbox_add(rd_store *s, rd_outbox_item *item, GError **error)
{
	static GBytes *empty;

	if (empty == NULL)
		empty = g_bytes_new_static("", 0);
	return store_insert(
	    s,
	    store_prepare(s, error,
			  "INSERT INTO outbox (kind, person_id, community_id, recipient, "
			  "envelope_from, subject, payload, data, status, next_attempt, created) "
			  "VALUES (?, nullif(?,0), nullif(?,0), ?, ?, ?, ?, CASE WHEN ?9 THEN ?8 "
			  "END, 'queued', ?10, ?11)",
			  "tiittttbiii", item->kind, item->person_id, item->community_id,
			  item->recipient, item->envelope_from, item->subject, item->payload,
			  item->data ? item->data : empty, (gint64)(item->data != NULL),
			  item->next_attempt, item->created),
	    &item->id, error);
}

#define OUTBOX_COLS                                                                                \
	"id, kind, coalesce(person_id, 0), coalesce(community_id, 0), recipient, envelope_from, "  \
	"subject, payload, status, attempts, next_attempt, created, coalesce(sent_at, 0), "       \
	"coalesce(last_code, 0), last_reply "

static gpointer
outbox_from_row(sqlite3_stmt *st)
{
	rd_outbox_item *o = g_new0(rd_outbox_item, 1);

	o->id = sqlite3_column_int64(st, 0);
	o->kind = store_col_text(st, 1);
	o->person_id = sqlite3_column_int64(st, 2);
	o->community_id = sqlite3_column_int64(st, 3);
	o->recipient = store_col_text(st, 4);
	o->envelope_from = store_col_text(st, 5);
	o->subject = store_col_text(st, 6);
	o->payload = store_col_text(st, 7);
	o->status = store_col_text(st, 8);
	o->attempts = sqlite3_column_int64(st, 9);
	o->next_attempt = sqlite3_column_int64(st, 10);
	o->created = sqlite3_column_int64(st, 11);
	o->sent_at = sqlite3_column_int64(st, 12);
	o->last_code = sqlite3_column_int64(st, 13);
	o->last_reply = store_col_text(st, 14);
	return o;
}

/* OUTBOX_COLS followed by data. */
static gpointer
outbox_data_from_row(sqlite3_stmt *st)
{
	rd_outbox_item *o = outbox_from_row(st);

	if (sqlite3_column_type(st, 15) != SQLITE_NULL)
		o->data = g_bytes_new(sqlite3_column_blob(st, 15), sqlite3_column_bytes(st, 15));
	return o;
}

GPtrArray *
rd_store_outbox_due(rd_store *s, gint64 now, guint limit, GError **error)
{
	return store_list(s,
			  store_prepare(s, error,
					"SELECT " OUTBOX_COLS ", data FROM outbox WHERE status = "
					"'queued' AND next_attempt <= ? ORDER BY next_attempt, id "
					"LIMIT ?",
					"ii", now, (gint64)limit),
			  outbox_data_from_row, (GDestroyNotify)rd_outbox_item_free, error);
}

GPtrArray *
rd_store_outbox_list(rd_store *s, GError **error)
{
	return store_list(s,
			  store_prepare(s, error, "SELECT " OUTBOX_COLS " FROM outbox ORDER BY id DESC",
					""),
			  outbox_from_row, (GDestroyNotify)rd_outbox_item_free, error);
}

gboolean
rd_store_outbox_update(rd_store *s, gint64 id, const char *status, gint64 attempts,
		       gint64 next_attempt, gint64 sent_at, gint64 code, const char *reply,
		       GError **error)
{
	return store_done(s,
			  store_prepare(s, error,
					"UPDATE outbox SET status = ?, attempts = ?, next_attempt = "
					"?, sent_at = nullif(?, 0), last_code = nullif(?, 0), "
					"last_reply = ? WHERE id = ?",
					"tiiiiti", status, attempts, next_attempt, sent_at, code,
					reply, id),
			  error);
}

gboolean
rd_store_outbox_retry(rd_store *s, gint64 id, gint64 now, GError **error)
{
	return store_changed(s,
			     store_prepare(s, error,
					   "UPDATE outbox SET status = 'queued', next_attempt = ? "
					   "WHERE id = ? AND status <> 'sent'",
					   "ii", now, id),
			     error, "no unsent outbox entry %" G_GINT64_FORMAT, id);
}

rd_outbox_item *
rd_store_reply_outbox_get(rd_store *s, gint64 id, GError **error)
{
	return store_one(s,
			 store_prepare(s, error, "SELECT " OUTBOX_COLS " FROM outbox WHERE id = ?",
				       "i", id),
			 outbox_from_row, error, "no outbox entry %" G_GINT64_FORMAT, id);
}

rd_outbox_item *
rd_store_outbox_get(rd_store *s, gint64 id, GError **error)
{
	return store_one(s,
			 store_prepare(s, error,
				       "SELECT " OUTBOX_COLS ", data FROM outbox WHERE id = ?", "i", id),
			 outbox_data_from_row, error, "no outbox entry %" G_GINT64_FORMAT, id);
}
