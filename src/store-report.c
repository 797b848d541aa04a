/* store-report.c - the rows the vitality report computes from (report.c):
 * a community's posts and memberships, and whether a weekly report went
 * out (tables messages, threads, memberships, people, departures, outbox;
 * read only). */
#include <sqlite3.h>

#include "store-internal.h"

void
rd_report_post_free(rd_report_post *p)
{
	if (p == NULL)
		return;
	g_free(p->message_id);
	g_free(p->parent_message_id);
	g_free(p->author);
	g_free(p->subject);
	g_free(p);
}

void
rd_report_member_free(rd_report_member *m)
{
	if (m == NULL)
		return;
	g_free(m->address);
	g_free(m->role);
	g_free(m->delivery);
	g_free(m->status);
	g_free(m->disabled_reason);
	g_free(m->created);
	g_free(m->paused_until);
	g_free(m);
}

static gpointer
post_from_row(sqlite3_stmt *st)
{
	rd_report_post *row = g_new0(rd_report_post, 1);

	row->id = sqlite3_column_int64(st, 0);
	row->message_id = store_col_text(st, 1);
	row->parent_message_id = store_col_text(st, 2);
	row->author = store_col_text(st, 3);
	row->date = sqlite3_column_int64(st, 4);
	row->thread_id = sqlite3_column_int64(st, 5);
	row->subject = store_col_text(st, 6);
	return row;
}

static gpointer
member_from_row(sqlite3_stmt *st)
{
	rd_report_member *row = g_new0(rd_report_member, 1);

	row->address = store_col_text(st, 0);
	row->role = store_col_text(st, 1);
	row->delivery = store_col_text(st, 2);
	row->status = store_col_text(st, 3);
	row->bounce_score = sqlite3_column_double(st, 4);
	row->disabled_reason = store_col_text(st, 5);
	row->created = store_col_text(st, 6);
	row->paused_until = store_col_text(st, 7);
	return row;
}

gboolean
rd_store_report_rows(rd_store *s, gint64 community_id, GPtrArray **posts, GPtrArray **members,
		     GError **error)
{
	g_autoptr(GPtrArray) p = NULL;

	p = store_list(s,
		       store_prepare(s, error,
				     "SELECT m.id, m.message_id, m.parent_message_id, "
				     "lower(m.from_addr), m.date, coalesce(m.thread_id, 0), "
				     "coalesce(t.subject, m.subject) FROM messages m LEFT JOIN threads t "
				     "ON t.id = m.thread_id WHERE m.community_id = ? AND m.status = "
				     "'posted' ORDER BY m.date, m.id",
				     "i", community_id),
		       post_from_row, (GDestroyNotify)rd_report_post_free, error);
	if (p == NULL)
		return FALSE;
	*members = store_list(s,
			      store_prepare(s, error,
					    "SELECT lower(p.address), m.role, m.delivery, m.status, "
					    "m.bounce_score, m.delivery_disabled_reason, m.created, "
					    "p.paused_until FROM memberships m JOIN people p ON p.id = "
					    "m.person_id WHERE m.community_id = ? ORDER BY lower(p.address)",
					    "i", community_id),
			      member_from_row, (GDestroyNotify)rd_report_member_free, error);
	if (*members == NULL)
		return FALSE;
	*posts = g_steal_pointer(&p);
	return TRUE;
}

gboolean
rd_store_report_sent(rd_store *s, gint64 community_id, gint64 person_id, gint64 since,
		     gboolean *sent, GError **error)
{
	gint64 n = 0;

	if (!store_int(s,
		       store_prepare(s, error,
				     "SELECT count(*) FROM outbox WHERE kind = 'report' AND "
				     "community_id = ? AND person_id = ? AND created >= ?",
				     "iii", community_id, person_id, since),
		       &n, error))
		return FALSE;
	*sent = n > 0;
	return TRUE;
}

gboolean
rd_store_report_left(rd_store *s, gint64 community_id, gint64 since, gint64 until, gint64 *left,
		     GError **error)
{
	return store_int(s,
			 store_prepare(s, error,
				       "SELECT count(DISTINCT person_id) FROM departures WHERE "
				       "community_id = ? AND left_at >= ? AND left_at < ?",
				       "iii", community_id, since, until),
			 left, error);
}
