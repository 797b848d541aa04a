/* store-member.c - people, their memberships and alternate addresses (tables
 * people, memberships, person_addresses). */
#include <sqlite3.h>

#include "store-internal.h"

void
rd_member_free(rd_member *m)
{
	if (m == NULL)
		return;
	g_free(m->address);
	g_free(m->name);
	g_free(m->role);
	g_free(m->delivery);
	g_free(m->status);
	g_free(m->delivery_disabled_reason);
	g_free(m->timezone);
	g_free(m->digest_time);
	g_free(m->digest_frequency);
	g_free(m->grouping);
	g_free(m->created);
	g_free(m);
}

gboolean
rd_store_person_ensure(rd_store *s, const char *address, const char *name, gint64 *id,
		       GError **error)
{
	g_autofree char *now = store_now();

	return store_done(s,
			  store_prepare(s, error,
					"INSERT INTO people (address, name, created) VALUES (?,?,?) "
					"ON CONFLICT (address) DO UPDATE SET name = "
					"coalesce(excluded.name, name)",
					"ttt", address, name, now),
			  error) &&
	       rd_store_person_id(s, address, id, error);
}

gboolean
rd_store_member_add(rd_store *s, gint64 community_id, gint64 person_id, const char *role,
		    const char *delivery, GError **error)
{
	g_autofree char *now = store_now();

	return store_done(
	    s,
	    store_prepare(s, error,
			  "INSERT INTO memberships (community_id, person_id, role, delivery, "
			  "created) VALUES (?,?,?,?,?) ON CONFLICT (community_id, person_id) DO "
			  "UPDATE SET role = excluded.role, delivery = excluded.delivery, "
			  "status = 'active'",
			  "iitt" "t", community_id, person_id, role, delivery, now),
	    error) &&
	       /* A newcomer's first digest starts with what is posted after
		* joining, not with the community's whole history. */
	       store_done(s,
			  store_prepare(s, error,
					"INSERT INTO digest_state (person_id, community_id, "
					"last_seq) VALUES (?1, ?2, (SELECT coalesce(max(posted_seq), "
					"0) FROM messages WHERE community_id = ?2)) ON CONFLICT DO "
					"NOTHING",
					"ii", person_id, community_id),
			  error);
}

gboolean
rd_store_member_remove(rd_store *s, gint64 community_id, const char *address, GError **error)
{
	return store_changed(s,
			     store_prepare(s, error,
					   "DELETE FROM memberships WHERE community_id = ? AND "
					   "person_id = (SELECT id FROM people WHERE address = ?)",
					   "it", community_id, address),
			     error, "%s is not a member", address);
}

gboolean
rd_store_member_set(rd_store *s, gint64 community_id, const char *address, const char *key,
		    const char *value, GError **error)
{
	static const store_setting settings[] = {
	    {"role", "UPDATE memberships SET role = ?1 WHERE community_id = ?2 AND person_id = "
		     "(SELECT id FROM people WHERE address = ?3)"},
	    {"delivery", "UPDATE memberships SET delivery = ?1 WHERE community_id = ?2 AND "
			 "person_id = (SELECT id FROM people WHERE address = ?3)"},
	    {"status", "UPDATE memberships SET status = ?1 WHERE community_id = ?2 AND person_id = "
		       "(SELECT id FROM people WHERE address = ?3)"},
	    {"name", "UPDATE people SET name = ?1 WHERE ?2 IS NOT NULL AND address = ?3"},
	    {"timezone", "UPDATE people SET timezone = ?1 WHERE ?2 IS NOT NULL AND address = ?3"},
	    {"digest_time",
	     "UPDATE people SET digest_time = ?1 WHERE ?2 IS NOT NULL AND address = ?3"},
	    {"digest_frequency",
	     "UPDATE people SET digest_frequency = ?1 WHERE ?2 IS NOT NULL AND address = ?3"},
	    {"digest_day", "UPDATE people SET digest_day = ?1 WHERE ?2 IS NOT NULL AND address = ?3"},
	    {"grouping", "UPDATE people SET grouping = ?1 WHERE ?2 IS NOT NULL AND address = ?3"},
	};
	g_autoptr(rd_member) m = rd_store_member_get(s, community_id, address, error);
	const char *sql;

	if (m == NULL)
		return FALSE;
	sql = store_setting_sql(settings, G_N_ELEMENTS(settings), key);
	if (sql == NULL) {
		g_set_error(error, RD_ERROR, RD_USAGE, "unknown member setting %s", key);
		return FALSE;
	}
	return store_done(s, store_prepare(s, error, sql, "tit", value, community_id, address),
			  error);
}

#define MEMBER_SELECT                                                                              \
	"SELECT p.id, p.address, p.name, m.role, m.delivery, m.status, m.bounce_score, "          \
	"m.delivery_disabled_reason, p.timezone, p.digest_time, p.digest_frequency, "             \
	"p.digest_day, p.grouping, m.created FROM memberships m JOIN people p ON p.id = "         \
	"m.person_id "

static gpointer
member_from_row(sqlite3_stmt *st)
{
	rd_member *m = g_new0(rd_member, 1);

	m->person_id = sqlite3_column_int64(st, 0);
	m->address = store_col_text(st, 1);
	m->name = store_col_text(st, 2);
	m->role = store_col_text(st, 3);
	m->delivery = store_col_text(st, 4);
	m->status = store_col_text(st, 5);
	m->bounce_score = sqlite3_column_double(st, 6);
	m->delivery_disabled_reason = store_col_text(st, 7);
	m->timezone = store_col_text(st, 8);
	m->digest_time = store_col_text(st, 9);
	m->digest_frequency = store_col_text(st, 10);
	m->digest_day = sqlite3_column_int(st, 11);
	m->grouping = store_col_text(st, 12);
	m->created = store_col_text(st, 13);
	return m;
}

rd_member *
rd_store_member_get(rd_store *s, gint64 community_id, const char *address, GError **error)
{
	return store_one(s,
			 store_prepare(s, error,
				       MEMBER_SELECT "WHERE m.community_id = ? AND p.address = ?",
				       "it", community_id, address),
			 member_from_row, error, "%s is not a member", address);
}

GPtrArray *
rd_store_member_list(rd_store *s, gint64 community_id, GError **error)
{
	return store_list(s,
			  store_prepare(s, error,
					MEMBER_SELECT "WHERE m.community_id = ? ORDER BY p.address",
					"i", community_id),
			  member_from_row, (GDestroyNotify)rd_member_free, error);
}

gboolean
rd_store_fanout_self_copy(rd_store *s, gint64 community_id, const char *address, gboolean on,
			  GError **error)
{
	return store_changed(s,
			     store_prepare(s, error,
					   "UPDATE memberships SET self_copy = ? WHERE community_id = "
					   "? AND person_id = (SELECT id FROM people WHERE address = ?)",
					   "iit", (gint64)(on != FALSE), community_id, address),
			     error, "%s is not a member", address);
}

/* Where rd_store_fanout_recipients puts each row. */
typedef struct {
	GArray *ids;
	GPtrArray *addrs;
} recipients;

static void
recipient_read(sqlite3_stmt *st, gpointer data)
{
	recipients *r = data;
	gint64 id = sqlite3_column_int64(st, 0);

	g_array_append_val(r->ids, id);
	g_ptr_array_add(r->addrs, store_col_text(st, 1));
}

gboolean
rd_store_fanout_recipients(rd_store *s, gint64 community_id, const char *author, GArray *ids,
			   GPtrArray *addrs, GError **error)
{
	recipients r = {ids, addrs};

	return store_each(
	    s,
	    store_prepare(s, error,
			  "SELECT p.id, p.address FROM memberships m JOIN people p ON p.id = "
			  "m.person_id WHERE m.community_id = ? AND m.delivery = 'each' AND "
			  "m.status = 'active' AND (m.self_copy OR p.address <> coalesce(?, '')) "
			  "ORDER BY p.id",
			  "it", community_id, author),
	    recipient_read, &r, error);
}

gboolean
rd_store_fanout_member_active(rd_store *s, gint64 community_id, gint64 person_id,
			      gboolean *active, GError **error)
{
	int r = store_first(s,
			    store_prepare(s, error,
					  "SELECT 1 FROM memberships WHERE community_id = ? AND "
					  "person_id = ? AND status = 'active' AND delivery = 'each'",
					  "ii", community_id, person_id),
			    NULL, NULL, error);

	if (r < 0)
		return FALSE;
	*active = r > 0;
	return TRUE;
}

gboolean
rd_store_reply_person_by_address(rd_store *s, const char *address, gint64 *person_id,
				 GError **error)
{
	/* people.address and person_addresses.address are COLLATE NOCASE, so
	 * both comparisons ignore case. */
	return store_found(s,
			   store_prepare(s, error,
					 "SELECT id FROM people WHERE address = ?1 UNION ALL "
					 "SELECT person_id FROM person_addresses WHERE address = ?1 "
					 "LIMIT 1",
					 "t", address),
			   store_read_int, person_id, error, "nobody writes from %s", address);
}

/* Where rd_store_reply_person_get puts the row (either may be NULL). */
typedef struct {
	char **address;
	char **name;
} person_names;

static void
person_names_read(sqlite3_stmt *st, gpointer data)
{
	person_names *n = data;

	if (n->address)
		*n->address = store_col_text(st, 0);
	if (n->name)
		*n->name = store_col_text(st, 1);
}

gboolean
rd_store_reply_person_get(rd_store *s, gint64 person_id, char **address, char **name,
			  GError **error)
{
	person_names n = {address, name};

	return store_found(s,
			   store_prepare(s, error, "SELECT address, name FROM people WHERE id = ?",
					 "i", person_id),
			   person_names_read, &n, error, "no person #%" G_GINT64_FORMAT, person_id);
}

gboolean
rd_store_reply_add_address(rd_store *s, gint64 person_id, const char *address, GError **error)
{
	g_autofree char *now = store_now();

	return store_done(s,
			  store_prepare(s, error,
					"INSERT INTO person_addresses (address, person_id, created) "
					"VALUES (?,?,?) ON CONFLICT (address) DO UPDATE SET "
					"person_id = excluded.person_id",
					"tit", address, person_id, now),
			  error);
}

gboolean
rd_store_person_alias_add(rd_store *s, gint64 person_id, const char *address, gint64 *owner,
			  gboolean *added, GError **error)
{
	int r = store_first(s,
			    store_prepare(s, error,
					  "SELECT id FROM people WHERE address = ?1 UNION ALL "
					  "SELECT person_id FROM person_addresses WHERE address = ?1 "
					  "LIMIT 1",
					  "t", address),
			    store_read_int, owner, error);

	*added = FALSE;
	if (r != 0)
		return r > 0;
	if (!rd_store_reply_add_address(s, person_id, address, error))
		return FALSE;
	*owner = person_id;
	*added = TRUE;
	return TRUE;
}

gboolean
rd_store_person_id(rd_store *s, const char *address, gint64 *person_id, GError **error)
{
	return store_found(s,
			   store_prepare(s, error, "SELECT id FROM people WHERE address = ?", "t",
					 address),
			   store_read_int, person_id, error, "nobody has the address %s", address);
}

GPtrArray *
rd_store_person_aliases(rd_store *s, gint64 person_id, GError **error)
{
	return store_texts(s,
			   store_prepare(s, error,
					 "SELECT address FROM person_addresses WHERE person_id = ? "
					 "ORDER BY address",
					 "i", person_id),
			   error);
}

gboolean
rd_store_person_alias_remove(rd_store *s, gint64 person_id, const char *address, GError **error)
{
	return store_changed(
	    s,
	    store_prepare(s, error,
			  "DELETE FROM person_addresses WHERE person_id = ? AND address = ?", "it",
			  person_id, address),
	    error, "%s is not an alternate address of theirs", address);
}
