/* store-command.c - commands by email: actions awaiting confirmation and the
 * log of automatic replies (tables pending_actions, auto_replies). */
#include <sqlite3.h>
#include <string.h>

#include "store-internal.h"

void
rd_pending_action_free(rd_pending_action *p)
{
	if (p == NULL)
		return;
	g_free(p->kind);
	g_free(p->address);
	g_free(p->payload);
	g_free(p);
}

gboolean
rd_store_pending_add(rd_store *s, rd_pending_action *p, GError **error)
{
	if (!store_done(s,
			store_prepare(s, error,
				      "INSERT INTO pending_actions (community_id, kind, address, "
				      "person_id, payload, nonce, created, expires) VALUES "
				      "(?,?,?,?,?,?,?,?)",
				      "itti" "tiii", p->community_id, p->kind, p->address,
				      p->person_id, p->payload, p->nonce, p->created, p->expires),
			error))
		return FALSE;
	p->id = sqlite3_last_insert_rowid(s->db);
	return TRUE;
}

rd_pending_action *
rd_store_pending_get(rd_store *s, gint64 id, GError **error)
{
	sqlite3_stmt *st = store_prepare(
	    s, error,
	    "SELECT id, community_id, kind, address, coalesce(person_id, 0), payload, nonce, "
	    "created, expires, coalesce(used, 0) FROM pending_actions WHERE id = ?",
	    "i", id);
	rd_pending_action *p;
	int r;

	if (st == NULL || (r = store_row(s, st, error)) < 0)
		return NULL;
	if (r == 0) {
		g_set_error(error, RD_ERROR, RD_NOTFOUND, "no pending action %" G_GINT64_FORMAT, id);
		return NULL;
	}
	p = g_new0(rd_pending_action, 1);
	p->id = sqlite3_column_int64(st, 0);
	p->community_id = sqlite3_column_int64(st, 1);
	p->kind = store_col_text(st, 2);
	p->address = store_col_text(st, 3);
	p->person_id = sqlite3_column_int64(st, 4);
	p->payload = store_col_text(st, 5);
	p->nonce = sqlite3_column_int64(st, 6);
	p->created = sqlite3_column_int64(st, 7);
	p->expires = sqlite3_column_int64(st, 8);
	p->used = sqlite3_column_int64(st, 9);
	sqlite3_reset(st);
	return p;
}

gboolean
rd_store_pending_use(rd_store *s, gint64 id, gint64 now, gboolean *won, GError **error)
{
	if (!store_done(s,
			store_prepare(s, error,
				      "UPDATE pending_actions SET used = ? WHERE id = ? AND used IS "
				      "NULL",
				      "ii", now, id),
			error))
		return FALSE;
	*won = sqlite3_changes(s->db) > 0;
	return TRUE;
}

gboolean
rd_store_autoreply_take(rd_store *s, const char *address, gint64 now, int limit,
			gboolean *allowed, GError **error)
{
	sqlite3_stmt *st = store_prepare(
	    s, error, "SELECT count(*) FROM auto_replies WHERE address = ? AND at > ?", "ti",
	    address, now - 86400);
	gint64 n;
	int r;

	if (st == NULL || (r = store_row(s, st, error)) < 0)
		return FALSE;
	n = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	*allowed = n < limit;
	if (!*allowed)
		return TRUE;
	/* Old rows are of no further use: forget them as we go. */
	return store_done(s,
			  store_prepare(s, error, "DELETE FROM auto_replies WHERE at <= ?", "i",
					now - 2 * 86400),
			  error) &&
	       store_done(s,
			  store_prepare(s, error,
					"INSERT INTO auto_replies (address, at) VALUES (?,?)", "ti",
					address, now),
			  error);
}
