/* store-message.c - stored messages, their references and attachments, and
 * the moderation of held ones (tables messages, refs, attachments, moderation). */
#include <sqlite3.h>

#include "store-internal.h"

void
rd_attachment_free(rd_attachment *a)
{
	g_free(a->filename);
	g_free(a->content_type);
	g_free(a->content_id);
	g_free(a);
}

void
rd_stored_message_free(rd_stored_message *m)
{
	if (m == NULL)
		return;
	g_free(m->message_id);
	g_free(m->parent_message_id);
	g_free(m->fallback_parent);
	g_free(m->from_addr);
	g_free(m->from_name);
	g_free(m->subject);
	g_free(m->norm_subject);
	g_free(m->date_text);
	g_free(m->status);
	g_free(m->hold_reason);
	g_free(m->body);
	if (m->raw)
		g_bytes_unref(m->raw);
	g_strfreev(m->refs);
	if (m->attachments)
		g_ptr_array_unref(m->attachments);
	g_free(m);
}

gboolean
rd_store_message_exists(rd_store *s, gint64 community_id, const char *message_id,
			gboolean *exists, GError **error)
{
	int r = store_first(s,
			    store_prepare(s, error,
					  "SELECT 1 FROM messages WHERE community_id = ? AND "
					  "message_id = ?",
					  "it", community_id, message_id),
			    NULL, NULL, error);

	if (r < 0)
		return FALSE;
	*exists = r > 0;
	return TRUE;
}

gboolean
rd_store_message_insert(rd_store *s, rd_stored_message *m, GError **error)
{
	sqlite3_stmt *st = store_prepare(
	    s, error,
	    "INSERT INTO messages (community_id, message_id, thread_id, parent_message_id, "
	    "fallback_parent, from_addr, from_name, subject, norm_subject, is_reply, date, "
	    "date_text, arrived, status, hold_reason, body, raw, posted_seq) VALUES "
	    "(?1,?2,nullif(?3,0),?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,?14,?15,?16,?17,"
	    "CASE WHEN ?14 = 'posted' THEN (SELECT coalesce(max(posted_seq), 0) + 1 FROM "
	    "messages) END)",
	    "itittttttiititttb", m->community_id, m->message_id, m->thread_id,
	    m->parent_message_id, m->fallback_parent, m->from_addr, m->from_name, m->subject,
	    m->norm_subject, (gint64)m->is_reply, m->date, m->date_text, m->arrived, m->status,
	    m->hold_reason, m->body, m->raw);

	if (!store_insert(s, st, &m->id, error))
		return FALSE;
	for (int i = 0; m->refs && m->refs[i]; i++) {
		st = store_prepare(s, error, "INSERT INTO refs (message, position, ref) VALUES (?,?,?)",
				   "iit", m->id, (gint64)i, m->refs[i]);
		if (!store_done(s, st, error))
			return FALSE;
	}
	for (guint i = 0; m->attachments && i < m->attachments->len; i++) {
		rd_attachment *a = m->attachments->pdata[i];

		st = store_prepare(s, error,
				   "INSERT INTO attachments (message, position, filename, "
				   "content_type, size, content_id) VALUES (?,?,?,?,?,?)",
				   "iittit", m->id, (gint64)i, a->filename, a->content_type, a->size,
				   a->content_id);
		if (!store_done(s, st, error))
			return FALSE;
	}
	return TRUE;
}

static gboolean
message_load_refs(rd_store *s, rd_stored_message *m, GError **error)
{
	GPtrArray *refs = store_texts(
	    s,
	    store_prepare(s, error, "SELECT ref FROM refs WHERE message = ? ORDER BY position",
			  "i", m->id),
	    error);

	if (refs == NULL)
		return FALSE;
	g_ptr_array_add(refs, NULL);
	m->refs = (char **)g_ptr_array_steal(refs, NULL);
	g_ptr_array_unref(refs);
	return TRUE;
}

static gpointer
attachment_from_row(sqlite3_stmt *st)
{
	rd_attachment *a = g_new0(rd_attachment, 1);

	a->filename = store_col_text(st, 0);
	a->content_type = store_col_text(st, 1);
	a->size = sqlite3_column_int64(st, 2);
	a->content_id = store_col_text(st, 3);
	return a;
}

static gboolean
message_load_attachments(rd_store *s, rd_stored_message *m, GError **error)
{
	m->attachments =
	    store_list(s,
		       store_prepare(s, error,
				     "SELECT filename, content_type, size, content_id FROM "
				     "attachments WHERE message = ? ORDER BY position",
				     "i", m->id),
		       attachment_from_row, (GDestroyNotify)rd_attachment_free, error);
	return m->attachments != NULL;
}

gpointer
store_message_from_row(sqlite3_stmt *st)
{
	rd_stored_message *m = g_new0(rd_stored_message, 1);

	m->id = sqlite3_column_int64(st, 0);
	m->community_id = sqlite3_column_int64(st, 1);
	m->message_id = store_col_text(st, 2);
	m->thread_id = sqlite3_column_int64(st, 3);
	m->parent_message_id = store_col_text(st, 4);
	m->fallback_parent = store_col_text(st, 5);
	m->from_addr = store_col_text(st, 6);
	m->from_name = store_col_text(st, 7);
	m->subject = store_col_text(st, 8);
	m->norm_subject = store_col_text(st, 9);
	m->is_reply = sqlite3_column_int(st, 10);
	m->date = sqlite3_column_int64(st, 11);
	m->date_text = store_col_text(st, 12);
	m->arrived = sqlite3_column_int64(st, 13);
	m->status = store_col_text(st, 14);
	m->hold_reason = store_col_text(st, 15);
	m->body = store_col_text(st, 16);
	m->posted_seq = sqlite3_column_int64(st, 17);
	return m;
}

/* STORE_MESSAGE_COLS followed by raw. */
static gpointer
message_raw_from_row(sqlite3_stmt *st)
{
	rd_stored_message *m = store_message_from_row(st);

	m->raw = g_bytes_new(sqlite3_column_blob(st, 18), sqlite3_column_bytes(st, 18));
	return m;
}

static gboolean
message_load(rd_store *s, rd_stored_message *m, gboolean details, GError **error)
{
	return message_load_refs(s, m, error) &&
	       (!details || message_load_attachments(s, m, error));
}

/* M (from store_one) with its references, and attachments when DETAILS;
 * NULL (M freed) when that fails, or when M is NULL. */
static rd_stored_message *
message_loaded(rd_store *s, rd_stored_message *m, gboolean details, GError **error)
{
	if (m != NULL && !message_load(s, m, details, error))
		g_clear_pointer(&m, rd_stored_message_free);
	return m;
}

rd_stored_message *
store_message_one(rd_store *s, sqlite3_stmt *st, GError **error, const char *fmt, ...)
{
	rd_stored_message *m;
	va_list ap;

	va_start(ap, fmt);
	m = store_one_v(s, st, store_message_from_row, error, fmt, ap);
	va_end(ap);
	return message_loaded(s, m, FALSE, error);
}

GPtrArray *
store_message_rows(rd_store *s, sqlite3_stmt *st, gboolean details, GError **error)
{
	/* All rows first: the statement must be finished before the next one
	 * is stepped. */
	g_autoptr(GPtrArray) out =
	    store_list(s, st, store_message_from_row, (GDestroyNotify)rd_stored_message_free, error);

	if (out == NULL)
		return NULL;
	for (guint i = 0; i < out->len; i++)
		if (!message_load(s, out->pdata[i], details, error))
			return NULL;
	return g_steal_pointer(&out);
}

rd_stored_message *
rd_store_message_get(rd_store *s, gint64 community_id, const char *message_id,
		     gboolean with_raw, GError **error)
{
	return message_loaded(
	    s,
	    store_one(s,
		      store_prepare(s, error,
				    "SELECT " STORE_MESSAGE_COLS ", raw FROM messages WHERE "
				    "community_id = ? AND message_id = ?",
				    "it", community_id, message_id),
		      with_raw ? message_raw_from_row : store_message_from_row, error,
		      "no message <%s>", message_id),
	    TRUE, error);
}

GPtrArray *
rd_store_message_list(rd_store *s, gint64 community_id, const char *status, GError **error)
{
	return store_message_rows(
	    s,
	    store_prepare(s, error,
			  "SELECT " STORE_MESSAGE_COLS " FROM messages WHERE community_id = ? AND "
			  "(?2 IS NULL OR status = ?2) ORDER BY date, id",
			  "it", community_id, status),
	    TRUE, error);
}

GPtrArray *
rd_store_messages_seq_range(rd_store *s, gint64 community_id, gint64 from_seq, gint64 to_seq,
			    GError **error)
{
	return store_message_rows(s,
				  store_prepare(s, error,
						"SELECT " STORE_MESSAGE_COLS " FROM messages WHERE "
						"community_id = ? AND posted_seq > ? AND "
						"posted_seq <= ? ORDER BY posted_seq",
						"iii", community_id, from_seq, to_seq),
				  TRUE, error);
}

rd_stored_message *
rd_store_fanout_message(rd_store *s, gint64 row, gboolean with_raw, GError **error)
{
	return store_one(s,
			 store_prepare(s, error,
				       "SELECT " STORE_MESSAGE_COLS ", raw FROM messages WHERE id = ?",
				       "i", row),
			 with_raw ? message_raw_from_row : store_message_from_row, error,
			 "no message #%" G_GINT64_FORMAT, row);
}

rd_stored_message *
rd_store_reply_posted(rd_store *s, gint64 community_id, const char *message_id, GError **error)
{
	return store_message_one(s,
				 store_prepare(s, error,
					       "SELECT " STORE_MESSAGE_COLS " FROM messages WHERE "
					       "community_id = ? AND message_id = ? AND status = "
					       "'posted'",
					       "it", community_id, message_id),
				 error, "no posted message <%s>", message_id);
}

GPtrArray *
rd_store_reply_previous_bodies(rd_store *s, gint64 community_id, const char *address,
			       guint limit, GError **error)
{
	return store_texts(s,
			   store_prepare(s, error,
					 "SELECT body FROM messages WHERE community_id = ? AND "
					 "from_addr = ? COLLATE NOCASE AND status = 'posted' ORDER "
					 "BY date DESC, id DESC LIMIT ?",
					 "iti", community_id, address, (gint64)limit),
			   error);
}

gboolean
rd_store_command_decide(rd_store *s, gint64 community_id, gint64 row, gboolean approve,
			const char *by, const char *reason, gint64 now, gboolean *won,
			GError **error)
{
	const char *sql =
	    approve ? "UPDATE messages SET status = 'posted', hold_reason = NULL, posted_seq = "
		      "(SELECT coalesce(max(posted_seq), 0) + 1 FROM messages) WHERE id = ? AND "
		      "community_id = ? AND status = 'held'"
		    : "UPDATE messages SET status = 'rejected' WHERE id = ? AND community_id = ? "
		      "AND status = 'held'";

	if (!store_update(s, store_prepare(s, error, sql, "ii", row, community_id), won, error))
		return FALSE;
	if (!*won)
		return TRUE;
	return store_done(s,
			  store_prepare(s, error,
					"INSERT OR REPLACE INTO moderation (message, decision, "
					"decided_by, reason, at) VALUES (?,?,?,?,?)",
					"ittti", row, approve ? "approved" : "rejected", by, reason,
					now),
			  error);
}

gboolean
rd_store_command_decision(rd_store *s, gint64 row, char **decision, char **by, GError **error)
{
	char **out[2] = {decision, by};

	*decision = NULL;
	if (by)
		*by = NULL;
	return store_first(s,
			   store_prepare(s, error,
					 "SELECT decision, decided_by FROM moderation WHERE "
					 "message = ?",
					 "i", row),
			   store_read_texts, out, error) >= 0;
}
