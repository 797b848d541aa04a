/* store-fetch.c - the POP3 messages fetch has handled (table fetch_seen). */
#include <sqlite3.h>
#include <string.h>

#include "store-internal.h"

GHashTable *
rd_store_fetch_seen(rd_store *s, const char *source, GError **error)
{
	sqlite3_stmt *st = store_prepare(
	    s, error, "SELECT uidl, outcome FROM fetch_seen WHERE source = ?", "t", source);
	g_autoptr(GHashTable) seen = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
	int r;

	if (st == NULL)
		return NULL;
	while ((r = store_row(s, st, error)) > 0)
		g_hash_table_replace(seen, store_col_text(st, 0), store_col_text(st, 1));
	if (r < 0)
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
