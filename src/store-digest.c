/* store-digest.c - what digests remember: per-person slots and pauses, the
 * position in each community, muted conversations (tables digest_state,
 * mutes, the digest columns of people). */
#include <sqlite3.h>

#include "store-internal.h"

void
rd_digest_person_free(rd_digest_person *p)
{
	if (p == NULL)
		return;
	g_free(p->address);
	g_free(p->name);
	g_free(p->timezone);
	g_free(p->digest_time);
	g_free(p->digest_frequency);
	g_free(p->grouping);
	g_free(p->paused_until);
	g_free(p);
}

void
rd_digest_membership_free(rd_digest_membership *m)
{
	if (m == NULL)
		return;
	g_free(m->name);
	g_free(m->domain);
	g_free(m->title);
	g_free(m);
}

/* Column I, an ISO 8601 time (memberships.created), as unix time; 0 when
 * it is NULL or unreadable. */
static gint64
col_unix(sqlite3_stmt *st, int i)
{
	const char *text = (const char *)sqlite3_column_text(st, i);
	g_autoptr(GTimeZone) utc = g_time_zone_new_utc();
	g_autoptr(GDateTime) d = text ? g_date_time_new_from_iso8601(text, utc) : NULL;

	return d ? g_date_time_to_unix(d) : 0;
}

#define DIGEST_PERSON_SELECT                                                                       \
	"SELECT p.id, p.address, p.name, p.timezone, p.digest_time, p.digest_frequency, "         \
	"p.digest_day, p.grouping, p.paused_until, coalesce(p.digest_last_slot, 0), "              \
	"min(m.created) FROM people p JOIN memberships m ON m.person_id = p.id AND m.delivery = "  \
	"'digest' AND m.status = 'active' "

static gpointer
digest_person_from_row(sqlite3_stmt *st)
{
	rd_digest_person *p = g_new0(rd_digest_person, 1);

	p->person_id = sqlite3_column_int64(st, 0);
	p->address = store_col_text(st, 1);
	p->name = store_col_text(st, 2);
	p->timezone = store_col_text(st, 3);
	p->digest_time = store_col_text(st, 4);
	p->digest_frequency = store_col_text(st, 5);
	p->digest_day = sqlite3_column_int(st, 6);
	p->grouping = store_col_text(st, 7);
	p->paused_until = store_col_text(st, 8);
	p->last_slot = sqlite3_column_int64(st, 9);
	p->joined = col_unix(st, 10);
	return p;
}

GPtrArray *
rd_store_digest_people(rd_store *s, GError **error)
{
	return store_list(s,
			  store_prepare(s, error, DIGEST_PERSON_SELECT "GROUP BY p.id ORDER BY p.id",
					""),
			  digest_person_from_row, (GDestroyNotify)rd_digest_person_free, error);
}

rd_digest_person *
rd_store_digest_person(rd_store *s, const char *address, GError **error)
{
	return store_one(s,
			 store_prepare(s, error,
				       DIGEST_PERSON_SELECT "WHERE p.address = ? GROUP BY p.id", "t",
				       address),
			 digest_person_from_row, error,
			 "%s has no digest membership in any community", address);
}

static gpointer
digest_membership_from_row(sqlite3_stmt *st)
{
	rd_digest_membership *m = g_new0(rd_digest_membership, 1);

	m->community_id = sqlite3_column_int64(st, 0);
	m->name = store_col_text(st, 1);
	m->domain = store_col_text(st, 2);
	m->title = store_col_text(st, 3);
	m->last_seq = sqlite3_column_int64(st, 4);
	m->joined = col_unix(st, 5);
	return m;
}

GPtrArray *
rd_store_digest_memberships(rd_store *s, gint64 person_id, GError **error)
{
	return store_list(
	    s,
	    store_prepare(s, error,
			  "SELECT c.id, c.name, c.domain, c.title, coalesce(d.last_seq, -1), "
			  "m.created FROM memberships m JOIN communities c ON c.id = m.community_id "
			  "LEFT JOIN digest_state d ON d.person_id = m.person_id AND d.community_id "
			  "= m.community_id WHERE m.person_id = ? AND m.delivery = 'digest' AND "
			  "m.status = 'active' ORDER BY c.title, c.name",
			  "i", person_id),
	    digest_membership_from_row, (GDestroyNotify)rd_digest_membership_free, error);
}

gboolean
rd_store_max_seq_before(rd_store *s, gint64 community_id, gint64 before, gint64 *seq,
			GError **error)
{
	return store_int(s,
			 store_prepare(s, error,
				       "SELECT coalesce(max(posted_seq), 0) FROM messages WHERE "
				       "community_id = ? AND posted_seq IS NOT NULL AND arrived < ?",
				       "ii", community_id, before),
			 seq, error);
}

/* The two counts of rd_store_count_new into *OUT[0] and *OUT[1]. */
static void
count_read(sqlite3_stmt *st, gpointer data)
{
	gint64 **out = data;

	*out[0] = sqlite3_column_int64(st, 0);
	*out[1] = sqlite3_column_int64(st, 1);
}

gboolean
rd_store_count_new(rd_store *s, gint64 community_id, gint64 from_seq, gint64 person_id,
		   const char *exclude_addr, gint64 *count, gint64 *max_seq, GError **error)
{
	gint64 *out[2] = {count, max_seq};

	return store_first(
		   s,
		   store_prepare(s, error,
				 "SELECT count(*) FILTER (WHERE from_addr <> ?3 COLLATE NOCASE AND "
				 "NOT EXISTS (SELECT 1 FROM mutes WHERE person_id = ?4 AND "
				 "thread_id = messages.thread_id)), coalesce(max(posted_seq), ?2) "
				 "FROM messages WHERE community_id = ?1 AND posted_seq > ?2",
				 "iiti", community_id, from_seq, exclude_addr ? exclude_addr : "",
				 person_id),
		   count_read, out, error) >= 0;
}

gboolean
rd_store_digest_advance(rd_store *s, gint64 person_id, gint64 community_id, gint64 last_seq,
			GError **error)
{
	return store_done(s,
			  store_prepare(s, error,
					"INSERT INTO digest_state (person_id, community_id, last_seq) "
					"VALUES (?,?,?) ON CONFLICT (person_id, community_id) DO "
					"UPDATE SET last_seq = excluded.last_seq",
					"iii", person_id, community_id, last_seq),
			  error);
}

gboolean
rd_store_person_set_last_slot(rd_store *s, gint64 person_id, gint64 slot, GError **error)
{
	return store_done(s,
			  store_prepare(s, error,
					"UPDATE people SET digest_last_slot = ? WHERE id = ?", "ii",
					slot, person_id),
			  error);
}

gboolean
rd_store_mute_set(rd_store *s, gint64 person_id, gint64 community_id, gint64 thread_id,
		  gboolean mute, gint64 now, GError **error)
{
	if (mute)
		return store_done(s,
				  store_prepare(s, error,
						"INSERT INTO mutes (person_id, thread_id, "
						"community_id, created) VALUES (?1," STORE_THREAD_OF("?2")
						",?3,?4) ON CONFLICT DO NOTHING",
						"iiii", person_id, thread_id, community_id, now),
				  error);
	return store_done(s,
			  store_prepare(s, error,
					"DELETE FROM mutes WHERE person_id = ?1 AND thread_id = "
					STORE_THREAD_OF("?2"),
					"ii", person_id, thread_id),
			  error);
}

static void
mute_read(sqlite3_stmt *st, gpointer data)
{
	gint64 id = sqlite3_column_int64(st, 0);

	g_hash_table_add(data, g_memdup2(&id, sizeof id));
}

GHashTable *
rd_store_mute_threads(rd_store *s, gint64 person_id, GError **error)
{
	g_autoptr(GHashTable) set = g_hash_table_new_full(g_int64_hash, g_int64_equal, g_free, NULL);

	if (!store_each(s,
			store_prepare(s, error, "SELECT thread_id FROM mutes WHERE person_id = ?",
				      "i", person_id),
			mute_read, set, error))
		return NULL;
	return g_steal_pointer(&set);
}

gboolean
rd_store_command_paused(rd_store *s, gint64 person_id, char **until, GError **error)
{
	*until = NULL;
	return store_first(s,
			   store_prepare(s, error, "SELECT paused_until FROM people WHERE id = ?",
					 "i", person_id),
			   store_read_text, until, error) >= 0;
}

gboolean
rd_store_command_set_paused(rd_store *s, gint64 person_id, const char *until, GError **error)
{
	return store_done(s,
			  store_prepare(s, error, "UPDATE people SET paused_until = ? WHERE id = ?",
					"ti", until, person_id),
			  error);
}

void
rd_digest_waiting_free(rd_digest_waiting *w)
{
	if (w == NULL)
		return;
	g_free(w->subject);
	g_free(w->author);
	g_free(w);
}

static gpointer
waiting_from_row(sqlite3_stmt *st)
{
	rd_digest_waiting *w = g_new0(rd_digest_waiting, 1);

	w->community_id = sqlite3_column_int64(st, 0);
	w->thread_id = sqlite3_column_int64(st, 1);
	w->subject = store_col_text(st, 2);
	w->author = store_col_text(st, 3);
	w->date = sqlite3_column_int64(st, 4);
	return w;
}

gboolean
rd_store_digest_waiting(rd_store *s, gint64 person_id, const char *address, gint64 from,
			gint64 to, rd_digest_waiting **out, GError **error)
{
	g_autoptr(GError) err = NULL;

	/* The last post of each thread (the highest date, then id) is the
	 * question when nobody has written after it. */
	*out = store_one(
	    s,
	    store_prepare(
		s, error,
		"SELECT m.community_id, m.thread_id, t.subject, coalesce(nullif(m.from_name, ''), "
		"m.from_addr), m.date FROM messages m JOIN threads t ON t.id = m.thread_id "
		"JOIN memberships ms ON ms.community_id = m.community_id AND ms.person_id = ?1 "
		"JOIN communities c ON c.id = m.community_id "
		"WHERE m.status = 'posted' AND m.date >= ?3 AND m.date < ?4 "
		"AND ms.status = 'active' AND ms.delivery = 'digest' AND c.nudges = 1 "
		"AND lower(m.from_addr) <> lower(?2) "
		"AND (instr(m.subject, '?') > 0 OR instr(m.body, '?') > 0) "
		"AND NOT EXISTS (SELECT 1 FROM messages l WHERE l.thread_id = m.thread_id AND "
		" l.status = 'posted' AND (l.date > m.date OR (l.date = m.date AND l.id > m.id))) "
		"AND EXISTS (SELECT 1 FROM messages o WHERE o.thread_id = m.thread_id AND "
		" o.status = 'posted' AND lower(o.from_addr) = lower(?2)) "
		"AND NOT EXISTS (SELECT 1 FROM mutes u WHERE u.person_id = ?1 AND "
		" u.thread_id = m.thread_id) "
		"ORDER BY m.date, m.id LIMIT 1",
		"itii", person_id, address, from, to),
	    waiting_from_row, &err, NULL);
	if (err != NULL) {
		g_propagate_error(error, g_steal_pointer(&err));
		return FALSE;
	}
	return TRUE;
}
