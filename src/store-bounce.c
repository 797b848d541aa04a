/* store-bounce.c - bounce scores of memberships and the log of bounce events
 * (the bounce columns of memberships, table bounce_events). */
#include <sqlite3.h>

#include "store-internal.h"

void
rd_fanout_bounce_state_free(rd_fanout_bounce_state *b)
{
	if (b == NULL)
		return;
	g_free(b->address);
	g_free(b->role);
	g_free(b->status);
	g_free(b->reason);
	g_free(b->day);
	g_free(b);
}

/* Everything but the person id, which the caller knows. */
static gpointer
bounce_state_from_row(sqlite3_stmt *st)
{
	rd_fanout_bounce_state *b = g_new0(rd_fanout_bounce_state, 1);

	b->address = store_col_text(st, 0);
	b->role = store_col_text(st, 1);
	b->status = store_col_text(st, 2);
	b->reason = store_col_text(st, 3);
	b->score = sqlite3_column_double(st, 4);
	b->last = sqlite3_column_int64(st, 5);
	b->day = store_col_text(st, 6);
	b->day_points = sqlite3_column_double(st, 7);
	return b;
}

rd_fanout_bounce_state *
rd_store_bounce_state(rd_store *s, gint64 community_id, gint64 person_id, GError **error)
{
	rd_fanout_bounce_state *b = store_one(
	    s,
	    store_prepare(s, error,
			  "SELECT p.address, m.role, m.status, m.delivery_disabled_reason, "
			  "m.bounce_score, coalesce(m.bounce_last, 0), m.bounce_day, "
			  "m.bounce_day_points FROM memberships m JOIN people p ON p.id = "
			  "m.person_id WHERE m.community_id = ? AND m.person_id = ?",
			  "ii", community_id, person_id),
	    bounce_state_from_row, error, "person #%" G_GINT64_FORMAT " is not a member",
	    person_id);

	if (b != NULL)
		b->person_id = person_id;
	return b;
}

gboolean
rd_store_bounce_state_save(rd_store *s, gint64 community_id, const rd_fanout_bounce_state *b,
			   GError **error)
{
	return store_done(s,
			  store_prepare(s, error,
					"UPDATE memberships SET bounce_score = ?, bounce_last = "
					"nullif(?, 0), bounce_day = ?, bounce_day_points = ?, status "
					"= ?, delivery_disabled_reason = ? WHERE community_id = ? AND "
					"person_id = ?",
					"ditdttii", b->score, b->last, b->day, b->day_points,
					b->status, b->reason, community_id, b->person_id),
			  error);
}

gboolean
rd_store_bounce_event(rd_store *s, gint64 community_id, gint64 person_id, gint64 at,
		      const char *kind, const char *detail, GError **error)
{
	return store_done(s,
			  store_prepare(s, error,
					"INSERT INTO bounce_events (community_id, person_id, at, "
					"kind, detail) VALUES (?,?,?,?,?)",
					"iiitt", community_id, person_id, at, kind, detail),
			  error);
}

gboolean
rd_store_bounce_event_count(rd_store *s, gint64 community_id, gint64 person_id,
			    const char *kind, gint64 *count, GError **error)
{
	return store_int(s,
			 store_prepare(s, error,
				       "SELECT count(*) FROM bounce_events WHERE community_id = ? "
				       "AND person_id = ? AND (?3 IS NULL OR kind = ?3)",
				       "iit", community_id, person_id, kind),
			 count, error);
}
