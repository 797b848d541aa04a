/* store-fetch.c - the POP3 messages fetch has handled (table fetch_seen). */
#include <sqlite3.h>

#include "store-internal.h"

static void
seen_read(sqlite3_stmt *st, gpointer data)
{
	g_hash_table_replace(data, store_col_text(st, 0), store_col_text(st, 1));
}

GHashTable *
rd_store_fetch_seen(rd_store *s, const char *source, GError **error)
{
	g_autoptr(GHashTable) seen = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);

	if (!store_each(s,
			store_prepare(s, error,
				      "SELECT uidl, outcome FROM fetch_seen WHERE source = ?", "t",
				      source),
			seen_read, seen, error))
		return NULL;
	return g_steal_pointer(&seen);
}

gboolean
rd_store_fetch_seen_add(rd_store *s, const char *source, const char *uidl, const char *outcome,
			gint64 now, GError **error)
{
	return store_done(s,
			  store_prepare(s, error,
					"INSERT OR REPLACE INTO fetch_seen (source, uidl, outcome, "
					"at) VALUES (?,?,?,?)",
					"ttti", source, uidl, outcome, now),
			  error);
}

gboolean
rd_store_fetch_seen_forget(rd_store *s, const char *source, const char *uidl, GError **error)
{
	return store_done(s,
			  store_prepare(s, error,
					"DELETE FROM fetch_seen WHERE source = ? AND uidl = ?",
					"tt", source, uidl),
			  error);
}
