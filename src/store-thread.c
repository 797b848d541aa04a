/* store-thread.c - conversations: threads, the aliases merges leave behind, and
 * the queries over messages and refs that threading needs (tables threads,
 * thread_alias). */
#include <sqlite3.h>

#include "store-internal.h"

GPtrArray *
rd_store_thread_messages(rd_store *s, gint64 thread_id, GError **error)
{
	return store_message_rows(s,
				  store_prepare(s, error,
						"SELECT " STORE_MESSAGE_COLS " FROM messages WHERE "
						"thread_id = " STORE_THREAD_OF("?1") " ORDER BY "
						"date, id",
						"i", thread_id),
				  TRUE, error);
}

static void
thread_id_read(sqlite3_stmt *st, gpointer data)
{
	gint64 t = sqlite3_column_int64(st, 0);

	g_array_append_val((GArray *)data, t);
}

gboolean
rd_store_thread_touching(rd_store *s, gint64 community_id, gint64 row, GArray *threads,
			 GError **error)
{
	/* Index lookups only: the messages named by ROW's references, and
	 * those whose references name ROW or share one of its references.
	 * The unary + keeps SQLite from scanning the community's index. */
	return store_each(
	    s,
	    store_prepare(
		s, error,
		"WITH ids(id) AS (SELECT ref FROM refs WHERE message = ?2 UNION SELECT message_id "
		"FROM messages WHERE id = ?2) "
		"SELECT DISTINCT thread_id FROM messages WHERE id IN (SELECT id FROM messages WHERE "
		"community_id = ?1 AND message_id IN ids UNION SELECT message FROM refs WHERE ref IN "
		"ids) AND +community_id = ?1 AND status = 'posted' AND thread_id IS NOT NULL AND "
		"id <> ?2 ORDER BY thread_id",
		"ii", community_id, row),
	    thread_id_read, threads, error);
}

/* A light message row: id, message_id, thread_id, parent_message_id,
 * fallback_parent, date. */
static gpointer
node_from_row(sqlite3_stmt *st)
{
	rd_stored_message *m = g_new0(rd_stored_message, 1);

	m->id = sqlite3_column_int64(st, 0);
	m->message_id = store_col_text(st, 1);
	m->thread_id = sqlite3_column_int64(st, 2);
	m->parent_message_id = store_col_text(st, 3);
	m->fallback_parent = store_col_text(st, 4);
	m->date = sqlite3_column_int64(st, 5);
	return m;
}

/* Append a (message, ref) row to that message's chain in DATA, a table
 * message id -> GPtrArray of references. */
static void
chain_read(sqlite3_stmt *st, gpointer data)
{
	GHashTable *chains = data;
	gint64 id = sqlite3_column_int64(st, 0);
	GPtrArray *chain = g_hash_table_lookup(chains, &id);

	if (chain == NULL) {
		chain = g_ptr_array_new_with_free_func(g_free);
		g_hash_table_insert(chains, g_memdup2(&id, sizeof id), chain);
	}
	g_ptr_array_add(chain, store_col_text(st, 1));
}

GPtrArray *
rd_store_thread_nodes(rd_store *s, gint64 thread_id, gint64 row, GError **error)
{
	g_autoptr(GHashTable) chains = g_hash_table_new_full(g_int64_hash, g_int64_equal, g_free,
							     (GDestroyNotify)g_ptr_array_unref);
	g_autoptr(GPtrArray) out = store_list(
	    s,
	    store_prepare(s, error,
			  "SELECT id, message_id, coalesce(thread_id, 0), parent_message_id, "
			  "fallback_parent, date FROM messages WHERE thread_id = ?1 AND status = "
			  "'posted' AND id <> ?2 UNION ALL SELECT id, message_id, coalesce(thread_id, "
			  "0), parent_message_id, fallback_parent, date FROM messages WHERE id = ?2",
			  "ii", thread_id, row),
	    node_from_row, (GDestroyNotify)rd_stored_message_free, error);

	if (out == NULL)
		return NULL;
	/* Every chain in one statement, not one statement per message. */
	if (!store_each(s,
			store_prepare(s, error,
				      "SELECT message, ref FROM refs WHERE message IN (SELECT id FROM "
				      "messages WHERE thread_id = ?1 AND status = 'posted' UNION ALL "
				      "SELECT ?2) ORDER BY message, position",
				      "ii", thread_id, row),
			chain_read, chains, error))
		return NULL;
	for (guint i = 0; i < out->len; i++) {
		rd_stored_message *m = out->pdata[i];
		GPtrArray *chain = g_hash_table_lookup(chains, &m->id);

		if (chain == NULL) {
			m->refs = g_new0(char *, 1);
			continue;
		}
		g_ptr_array_add(chain, NULL);
		m->refs = (char **)g_ptr_array_steal(chain, NULL);
	}
	return g_steal_pointer(&out);
}

rd_stored_message *
rd_store_subject_match(rd_store *s, gint64 community_id, const char *norm_subject, gint64 from,
		       gint64 to, GError **error)
{
	return store_message_one(s,
				 store_prepare(s, error,
					       "SELECT " STORE_MESSAGE_COLS " FROM messages WHERE "
					       "community_id = ? AND norm_subject = ? AND status = "
					       "'posted' AND thread_id IS NOT NULL AND date BETWEEN ? "
					       "AND ? ORDER BY date DESC, message_id LIMIT 1",
					       "itii", community_id, norm_subject, from, to),
				 error, NULL);
}

GPtrArray *
rd_store_subject_orphans(rd_store *s, gint64 community_id, const char *norm_subject, gint64 from,
			 gint64 to, GError **error)
{
	return store_message_rows(
	    s,
	    store_prepare(s, error,
			  "SELECT " STORE_MESSAGE_COLS " FROM messages m WHERE community_id = ? AND "
			  "norm_subject = ? AND status = 'posted' AND is_reply AND "
			  "parent_message_id IS NULL AND date BETWEEN ? AND ? AND NOT EXISTS "
			  "(SELECT 1 FROM refs WHERE message = m.id) ORDER BY date",
			  "itii", community_id, norm_subject, from, to),
	    FALSE, error);
}

rd_stored_message *
rd_store_thread_root(rd_store *s, gint64 thread_id, GError **error)
{
	return store_message_one(s,
				 store_prepare(s, error,
					       "SELECT " STORE_MESSAGE_COLS " FROM messages WHERE "
					       "thread_id = ? AND parent_message_id IS NULL ORDER BY "
					       "date, message_id LIMIT 1",
					       "i", thread_id),
				 error, NULL);
}

gboolean
rd_store_thread_create(rd_store *s, gint64 community_id, const char *subject, gint64 *id,
		       GError **error)
{
	/* SQLite would hand out the id of a thread merged away (the highest
	 * one) again; its alias must keep leading to where it went. */
	return store_insert(s,
			    store_prepare(s, error,
					  "INSERT INTO threads (id, community_id, subject) VALUES "
					  "(max(coalesce((SELECT max(id) FROM threads), 0), "
					  "coalesce((SELECT max(old_id) FROM thread_alias), 0)) + 1, "
					  "?, ?)",
					  "it", community_id, subject),
			    id, error);
}

gboolean
rd_store_thread_merge(rd_store *s, gint64 from, gint64 to, GError **error)
{
	/* ?1 the surviving thread, ?2 the absorbed one.  Aliases of FROM move
	 * on to TO, so a chain of merges resolves in one lookup; a person's
	 * mute of either conversation mutes the merged one. */
	static const char *const steps[] = {
	    "UPDATE messages SET thread_id = ?1 WHERE thread_id = ?2",
	    "UPDATE thread_alias SET thread_id = ?1 WHERE thread_id = ?2",
	    "INSERT OR REPLACE INTO thread_alias (old_id, thread_id) VALUES (?2, ?1)",
	    "INSERT OR IGNORE INTO mutes (person_id, thread_id, community_id, created) SELECT "
	    "person_id, ?1, community_id, created FROM mutes WHERE thread_id = ?2",
	    "DELETE FROM mutes WHERE thread_id = ?2",
	    "UPDATE kept_replies SET thread_id = ?1 WHERE thread_id = ?2",
	    "DELETE FROM threads WHERE id = ?2",
	};

	if (from == to)
		return TRUE;
	for (guint i = 0; i < G_N_ELEMENTS(steps); i++)
		if (!store_done(s, store_prepare(s, error, steps[i], "ii", to, from), error))
			return FALSE;
	return TRUE;
}

gboolean
rd_store_message_set_thread(rd_store *s, gint64 row, gint64 thread_id,
			    const char *parent_message_id, const char *fallback_parent,
			    GError **error)
{
	return store_done(s,
			  store_prepare(s, error,
					"UPDATE messages SET thread_id = nullif(?,0), "
					"parent_message_id = ?, fallback_parent = ? WHERE id = ?",
					"itti", thread_id,
					parent_message_id, fallback_parent, row),
			  error);
}

gboolean
rd_store_thread_refresh(rd_store *s, gint64 thread_id, GError **error)
{
	/* The thread's subject is its root's: the earliest message without a
	 * parent (the earliest message when a loop left none). */
	return store_done(
	    s,
	    store_prepare(s, error,
			  "UPDATE threads SET message_count = (SELECT count(*) FROM messages WHERE "
			  "thread_id = ?1), first_date = (SELECT min(date) FROM messages WHERE "
			  "thread_id = ?1), last_date = (SELECT max(date) FROM messages WHERE "
			  "thread_id = ?1), subject = coalesce((SELECT subject FROM messages WHERE "
			  "thread_id = ?1 ORDER BY parent_message_id IS NOT NULL, date, message_id "
			  "LIMIT 1), subject) WHERE id = ?1",
			  "i", thread_id),
	    error);
}

void
rd_thread_info_free(rd_thread_info *t)
{
	if (t == NULL)
		return;
	g_free(t->subject);
	g_free(t);
}

#define THREAD_COLS "id, community_id, subject, message_count, first_date, last_date"

static gpointer
thread_from_row(sqlite3_stmt *st)
{
	rd_thread_info *t = g_new0(rd_thread_info, 1);

	t->id = sqlite3_column_int64(st, 0);
	t->community_id = sqlite3_column_int64(st, 1);
	t->subject = store_col_text(st, 2);
	t->message_count = sqlite3_column_int64(st, 3);
	t->first_date = sqlite3_column_int64(st, 4);
	t->last_date = sqlite3_column_int64(st, 5);
	return t;
}

GPtrArray *
rd_store_thread_list(rd_store *s, gint64 community_id, GError **error)
{
	return store_list(s,
			  store_prepare(s, error,
					"SELECT " THREAD_COLS " FROM threads WHERE community_id = ? "
					"ORDER BY last_date DESC, id",
					"i", community_id),
			  thread_from_row, (GDestroyNotify)rd_thread_info_free, error);
}

rd_thread_info *
rd_store_thread_get(rd_store *s, gint64 thread_id, GError **error)
{
	return store_one(s,
			 store_prepare(s, error,
				       "SELECT " THREAD_COLS " FROM threads WHERE id = "
				       STORE_THREAD_OF("?1"),
				       "i", thread_id),
			 thread_from_row, error, "no thread %" G_GINT64_FORMAT, thread_id);
}

GPtrArray *
rd_store_thread_messages_upto(rd_store *s, gint64 thread_id, gint64 to_seq, GError **error)
{
	return store_message_rows(s,
				  store_prepare(s, error,
						"SELECT " STORE_MESSAGE_COLS " FROM messages WHERE "
						"thread_id = " STORE_THREAD_OF("?1") " AND "
						"posted_seq IS NOT NULL AND (?2 = 0 OR posted_seq "
						"<= ?2) ORDER BY date, id",
						"ii", thread_id, to_seq),
				  FALSE, error);
}

rd_stored_message *
rd_store_reply_latest(rd_store *s, gint64 thread_id, GError **error)
{
	return store_message_one(s,
				 store_prepare(s, error,
					       "SELECT " STORE_MESSAGE_COLS " FROM messages WHERE "
					       "thread_id = " STORE_THREAD_OF("?1") " AND status = "
					       "'posted' ORDER BY date DESC, id DESC LIMIT 1",
					       "i", thread_id),
				 error, "thread %" G_GINT64_FORMAT " has no posted message",
				 thread_id);
}
