/* store-command.c - commands by email: actions awaiting confirmation and the
 * log of automatic replies (tables pending_actions, auto_replies). */
#include <sqlite3.h>

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
	return store_insert(s,
			    store_prepare(s, error,
					  "INSERT INTO pending_actions (community_id, kind, address, "
					  "person_id, payload, nonce, created, expires) VALUES "
					  "(?,?,?,?,?,?,?,?)",
					  "ittitiii", p->community_id, p->kind, p->address,
					  p->person_id, p->payload, p->nonce, p->created, p->expires),
			    &p->id, error);
}

static gpointer
pending_from_row(sqlite3_stmt *st)
{
	rd_pending_action *p = g_new0(rd_pending_action, 1);

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
	return p;
}

rd_pending_action *
rd_store_pending_get(rd_store *s, gint64 id, GError **error)
{
	return store_one(s,
			 store_prepare(s, error,
				       "SELECT id, community_id, kind, address, coalesce(person_id, "
				       "0), payload, nonce, created, expires, coalesce(used, 0) FROM "
				       "pending_actions WHERE id = ?",
				       "i", id),
			 pending_from_row, error, "no pending action %" G_GINT64_FORMAT, id);
}

gboolean
rd_store_pending_use(rd_store *s, gint64 id, gint64 now, gboolean *won, GError **error)
{
	return store_update(s,
			    store_prepare(s, error,
					  "UPDATE pending_actions SET used = ? WHERE id = ? AND used "
					  "IS NULL",
					  "ii", now, id),
			    won, error);
}

gboolean
rd_store_autoreply_take(rd_store *s, const char *address, gint64 now, int limit,
			gboolean *allowed, GError **error)
{
	gint64 n;

	if (!store_int(s,
		       store_prepare(s, error,
				     "SELECT count(*) FROM auto_replies WHERE address = ? AND at > ?",
				     "ti", address, now - 86400),
		       &n, error))
		return FALSE;
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
