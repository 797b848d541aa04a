/* store.c - SQLite storage: schema, migrations and every query. */
#include <sqlite3.h>
#include <string.h>

#include "store.h"

struct _rd_store {
	sqlite3 *db;
	GHashTable *stmts; /* SQL text -> sqlite3_stmt*, prepared once */
	char *path;
};

/* Numbered migrations: migrations[i] brings user_version i to i+1.  Never
 * edit one that has shipped; append a new one. */
static const char *const migrations[] = {
    /* 1: the foundation */
    "CREATE TABLE communities ("
    " id INTEGER PRIMARY KEY,"
    " name TEXT NOT NULL COLLATE NOCASE,"
    " domain TEXT NOT NULL COLLATE NOCASE,"
    " title TEXT NOT NULL,"
    " policy TEXT NOT NULL DEFAULT 'members' CHECK (policy IN ('open','members','announce')),"
    " accept_auto INTEGER NOT NULL DEFAULT 0,"
    " created TEXT NOT NULL,"
    " UNIQUE (name, domain));"
    "CREATE TABLE people ("
    " id INTEGER PRIMARY KEY,"
    " address TEXT NOT NULL UNIQUE COLLATE NOCASE,"
    " name TEXT,"
    " timezone TEXT,"
    " digest_time TEXT NOT NULL DEFAULT '07:00',"
    " digest_frequency TEXT NOT NULL DEFAULT 'daily',"
    " digest_day INTEGER NOT NULL DEFAULT 1,"
    " grouping TEXT NOT NULL DEFAULT 'combined',"
    " paused_until TEXT,"
    " created TEXT NOT NULL);"
    "CREATE TABLE memberships ("
    " community_id INTEGER NOT NULL REFERENCES communities(id) ON DELETE CASCADE,"
    " person_id INTEGER NOT NULL REFERENCES people(id) ON DELETE CASCADE,"
    " role TEXT NOT NULL DEFAULT 'member'"
    "  CHECK (role IN ('member','poster','moderator','owner')),"
    " delivery TEXT NOT NULL DEFAULT 'digest' CHECK (delivery IN ('each','digest','none')),"
    " status TEXT NOT NULL DEFAULT 'active',"
    " bounce_score REAL NOT NULL DEFAULT 0,"
    " delivery_disabled_reason TEXT,"
    " created TEXT NOT NULL,"
    " PRIMARY KEY (community_id, person_id));"
    "CREATE TABLE threads ("
    " id INTEGER PRIMARY KEY,"
    " community_id INTEGER NOT NULL REFERENCES communities(id) ON DELETE CASCADE,"
    " subject TEXT NOT NULL,"
    " message_count INTEGER NOT NULL DEFAULT 0,"
    " first_date INTEGER,"
    " last_date INTEGER);"
    "CREATE INDEX threads_community ON threads(community_id, last_date);"
    "CREATE TABLE messages ("
    " id INTEGER PRIMARY KEY,"
    " community_id INTEGER NOT NULL REFERENCES communities(id) ON DELETE CASCADE,"
    " message_id TEXT NOT NULL,"
    " thread_id INTEGER REFERENCES threads(id),"
    " parent_message_id TEXT,"
    " fallback_parent TEXT,"
    " from_addr TEXT NOT NULL,"
    " from_name TEXT,"
    " subject TEXT NOT NULL,"
    " norm_subject TEXT NOT NULL,"
    " is_reply INTEGER NOT NULL DEFAULT 0,"
    " date INTEGER NOT NULL,"
    " date_text TEXT NOT NULL,"
    " arrived INTEGER NOT NULL,"
    " status TEXT NOT NULL,"
    " hold_reason TEXT,"
    " body TEXT NOT NULL,"
    " raw BLOB NOT NULL,"
    " UNIQUE (community_id, message_id));"
    "CREATE INDEX messages_thread ON messages(thread_id, date);"
    "CREATE INDEX messages_subject ON messages(community_id, norm_subject, date);"
    "CREATE TABLE refs ("
    " message INTEGER NOT NULL REFERENCES messages(id) ON DELETE CASCADE,"
    " position INTEGER NOT NULL,"
    " ref TEXT NOT NULL,"
    " PRIMARY KEY (message, position));"
    "CREATE INDEX refs_ref ON refs(ref);"
    "CREATE TABLE attachments ("
    " message INTEGER NOT NULL REFERENCES messages(id) ON DELETE CASCADE,"
    " position INTEGER NOT NULL,"
    " filename TEXT,"
    " content_type TEXT NOT NULL,"
    " size INTEGER NOT NULL,"
    " content_id TEXT,"
    " PRIMARY KEY (message, position));",
    /* 2: digests and the outbox.  posted_seq orders messages by the moment
     * they were posted (a held post approved later gets a new number), so
     * "new since the last digest" is a range that never changes. */
    "ALTER TABLE messages ADD COLUMN posted_seq INTEGER;"
    "UPDATE messages SET posted_seq = id WHERE status = 'posted';"
    "CREATE UNIQUE INDEX messages_posted_seq ON messages(posted_seq);"
    "CREATE INDEX messages_community_seq ON messages(community_id, posted_seq);"
    "ALTER TABLE people ADD COLUMN digest_last_slot INTEGER;"
    "CREATE TABLE digest_state ("
    " person_id INTEGER NOT NULL REFERENCES people(id) ON DELETE CASCADE,"
    " community_id INTEGER NOT NULL REFERENCES communities(id) ON DELETE CASCADE,"
    " last_seq INTEGER NOT NULL DEFAULT 0,"
    " PRIMARY KEY (person_id, community_id));"
    "CREATE TABLE outbox ("
    " id INTEGER PRIMARY KEY,"
    " kind TEXT NOT NULL,"
    " person_id INTEGER REFERENCES people(id) ON DELETE SET NULL,"
    " community_id INTEGER REFERENCES communities(id) ON DELETE SET NULL,"
    " recipient TEXT NOT NULL,"
    " envelope_from TEXT NOT NULL,"
    " subject TEXT,"
    " payload TEXT,"
    " data BLOB,"
    " status TEXT NOT NULL DEFAULT 'queued'"
    "  CHECK (status IN ('queued','sent','failed')),"
    " attempts INTEGER NOT NULL DEFAULT 0,"
    " next_attempt INTEGER NOT NULL,"
    " created INTEGER NOT NULL,"
    " sent_at INTEGER,"
    " last_code INTEGER,"
    " last_reply TEXT);"
    "CREATE INDEX outbox_due ON outbox(status, next_attempt);",
    /* 3: every-message delivery and bounces (fanout.c).  Per-community
     * list-copy settings, self-copies per membership, the day-by-day bounce
     * score state, and a log of every bounce event for the owners. */
    "ALTER TABLE communities ADD COLUMN subject_prefix INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE communities ADD COLUMN footer TEXT;"
    "ALTER TABLE communities ADD COLUMN reply_to TEXT NOT NULL DEFAULT 'author'"
    " CHECK (reply_to IN ('list','author'));"
    "ALTER TABLE communities ADD COLUMN dmarc_mitigation TEXT NOT NULL DEFAULT 'never'"
    " CHECK (dmarc_mitigation IN ('never','always'));"
    "ALTER TABLE communities ADD COLUMN archive_url TEXT;"
    "ALTER TABLE memberships ADD COLUMN self_copy INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE memberships ADD COLUMN bounce_last INTEGER;"
    "ALTER TABLE memberships ADD COLUMN bounce_day TEXT;"
    "ALTER TABLE memberships ADD COLUMN bounce_day_points REAL NOT NULL DEFAULT 0;"
    "CREATE TABLE bounce_events ("
    " id INTEGER PRIMARY KEY,"
    " community_id INTEGER NOT NULL REFERENCES communities(id) ON DELETE CASCADE,"
    " person_id INTEGER NOT NULL REFERENCES people(id) ON DELETE CASCADE,"
    " at INTEGER NOT NULL,"
    " kind TEXT NOT NULL,"
    " detail TEXT);"
    "CREATE INDEX bounce_events_member ON bounce_events(community_id, person_id, at);",
    /* 4: replies (reply.c).  Further addresses a person writes from, and
     * the text of digest replies that could not be placed in a
     * conversation, kept until the person picks one.  choices holds the
     * Message-IDs (one per line) of the latest message of each listed
     * conversation, so a later thread merge cannot misplace the text. */
    "CREATE TABLE person_addresses ("
    " address TEXT PRIMARY KEY COLLATE NOCASE,"
    " person_id INTEGER NOT NULL REFERENCES people(id) ON DELETE CASCADE,"
    " created TEXT NOT NULL);"
    "CREATE TABLE kept_replies ("
    " id INTEGER PRIMARY KEY,"
    " community_id INTEGER NOT NULL REFERENCES communities(id) ON DELETE CASCADE,"
    " person_id INTEGER NOT NULL REFERENCES people(id) ON DELETE CASCADE,"
    " outbox_id INTEGER NOT NULL,"
    " message_id TEXT NOT NULL,"
    " from_addr TEXT NOT NULL,"
    " subject TEXT NOT NULL,"
    " body TEXT NOT NULL,"
    " raw BLOB NOT NULL,"
    " choices TEXT NOT NULL,"
    " status TEXT NOT NULL DEFAULT 'kept' CHECK (status IN ('kept','filed')),"
    " thread_id INTEGER,"
    " created INTEGER NOT NULL);",
    /* 5: digests look memberships up by person; without this index every
     * person's lookup scanned all memberships (quadratic in people). */
    "CREATE INDEX memberships_person ON memberships(person_id, community_id);",
    /* 6: commands by email (command.c).  Pending actions wait for a
     * confirmation from their address (single use, expiring); auto_replies
     * logs every automatic reply so that forged mail cannot make us a
     * backscatter source; mutes hide conversations from a person's digest;
     * moderation records who decided a held post first; "replies" says
     * whether digest replies reach the whole community or only its owners. */
    "CREATE TABLE pending_actions ("
    " id INTEGER PRIMARY KEY,"
    " community_id INTEGER NOT NULL REFERENCES communities(id) ON DELETE CASCADE,"
    " kind TEXT NOT NULL,"
    " address TEXT NOT NULL COLLATE NOCASE,"
    " person_id INTEGER,"
    " payload TEXT,"
    " nonce INTEGER NOT NULL,"
    " created INTEGER NOT NULL,"
    " expires INTEGER NOT NULL,"
    " used INTEGER);"
    "CREATE TABLE auto_replies ("
    " address TEXT NOT NULL COLLATE NOCASE,"
    " at INTEGER NOT NULL);"
    "CREATE INDEX auto_replies_address ON auto_replies(address, at);"
    "CREATE TABLE mutes ("
    " person_id INTEGER NOT NULL REFERENCES people(id) ON DELETE CASCADE,"
    " thread_id INTEGER NOT NULL,"
    " community_id INTEGER NOT NULL REFERENCES communities(id) ON DELETE CASCADE,"
    " created INTEGER NOT NULL,"
    " PRIMARY KEY (person_id, thread_id));"
    "CREATE TABLE moderation ("
    " message INTEGER PRIMARY KEY REFERENCES messages(id) ON DELETE CASCADE,"
    " decision TEXT NOT NULL,"
    " decided_by TEXT,"
    " reason TEXT,"
    " at INTEGER NOT NULL);"
    "ALTER TABLE communities ADD COLUMN replies TEXT NOT NULL DEFAULT 'list'"
    " CHECK (replies IN ('list','owners'));",
    /* 7: POP3 has no flags, so fetch remembers the UIDL of each message it
     * handled, per mailbox: 'taken' (stored, deletion pending until QUIT)
     * or 'refused' (left on the server for good, reported once). */
    "CREATE TABLE fetch_seen ("
    " source TEXT NOT NULL,"
    " uidl TEXT NOT NULL,"
    " outcome TEXT NOT NULL CHECK (outcome IN ('taken','refused')),"
    " at INTEGER NOT NULL,"
    " PRIMARY KEY (source, uidl)) WITHOUT ROWID;",
    /* 8: a thread absorbed by a merge (rd_thread_link) lives on as an alias
     * of the thread that took it in, so that the reply addresses, get and
     * mute codes already mailed for it keep working.  Aliases always name a
     * live thread (a later merge repoints them), and thread ids are never
     * reused (rd_store_thread_create), so an old code can never reach
     * another conversation.  Merges move mutes and filed replies, hence
     * their indexes by thread. */
    "CREATE TABLE thread_alias ("
    " old_id INTEGER PRIMARY KEY,"
    " thread_id INTEGER NOT NULL REFERENCES threads(id) ON DELETE CASCADE);"
    "CREATE INDEX thread_alias_thread ON thread_alias(thread_id);"
    "CREATE INDEX mutes_thread ON mutes(thread_id);"
    "CREATE INDEX kept_replies_thread ON kept_replies(thread_id);",
};

/* SQL for the live thread behind thread id parameter P (one from a token
 * may name a thread merged away since). */
#define THREAD_OF(p) "coalesce((SELECT thread_id FROM thread_alias WHERE old_id = " p "), " p ")"

/* Turn an SQLite result into a GError; busy, locked, full and I/O faults
 * are temporary so that the MTA retries. */
static gboolean
store_fail(rd_store *s, int rc, GError **error)
{
	rd_status st;

	switch (rc & 0xff) {
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
	case SQLITE_FULL:
	case SQLITE_IOERR:
	case SQLITE_NOMEM:
	case SQLITE_CANTOPEN:
	case SQLITE_PROTOCOL:
		st = RD_TEMPFAIL;
		break;
	case SQLITE_READONLY:
		st = RD_TEMPFAIL;
		break;
	case SQLITE_CONSTRAINT:
		/* Our queries check before they insert: a violated constraint
		 * is a bug of ours (or a damaged database), never the mail's. */
		st = RD_SOFTWARE;
		break;
	default:
		st = RD_SOFTWARE;
	}
	g_set_error(error, RD_ERROR, st, "database %s: %s", s->path,
		    s->db ? sqlite3_errmsg(s->db) : sqlite3_errstr(rc));
	return FALSE;
}

/* A cached prepared statement, reset and ready for binding. */
static sqlite3_stmt *
store_stmt(rd_store *s, const char *sql, GError **error)
{
	sqlite3_stmt *st = g_hash_table_lookup(s->stmts, sql);
	int rc;

	if (st != NULL) {
		sqlite3_reset(st);
		sqlite3_clear_bindings(st);
		return st;
	}
	rc = sqlite3_prepare_v3(s->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &st, NULL);
	if (rc != SQLITE_OK) {
		store_fail(s, rc, error);
		return NULL;
	}
	g_hash_table_insert(s->stmts, (gpointer)sql, st);
	return st;
}

/* Bind parameters by a type string: 't' text (may be NULL), 'i' gint64,
 * 'd' double, 'b' GBytes*. */
static sqlite3_stmt *
store_prepare(rd_store *s, GError **error, const char *sql, const char *types, ...)
{
	sqlite3_stmt *st = store_stmt(s, sql, error);
	va_list ap;
	int i = 1;

	if (st == NULL)
		return NULL;
	va_start(ap, types);
	for (const char *t = types; *t; t++, i++) {
		switch (*t) {
		case 't': {
			const char *v = va_arg(ap, const char *);
			if (v)
				sqlite3_bind_text(st, i, v, -1, SQLITE_TRANSIENT);
			else
				sqlite3_bind_null(st, i);
			break;
		}
		case 'i':
			sqlite3_bind_int64(st, i, va_arg(ap, gint64));
			break;
		case 'd':
			sqlite3_bind_double(st, i, va_arg(ap, double));
			break;
		case 'b': {
			GBytes *b = va_arg(ap, GBytes *);
			gsize n;
			const void *p = g_bytes_get_data(b, &n);
			sqlite3_bind_blob64(st, i, p ? p : "", n, SQLITE_TRANSIENT);
			break;
		}
		default:
			g_assert_not_reached();
		}
	}
	va_end(ap);
	return st;
}

/* Step a statement that returns no rows. */
static gboolean
store_done(rd_store *s, sqlite3_stmt *st, GError **error)
{
	int rc;

	if (st == NULL)
		return FALSE;
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	if (rc != SQLITE_DONE && rc != SQLITE_ROW)
		return store_fail(s, rc, error);
	return TRUE;
}

/* Step to the next row: 1 row, 0 done, -1 error. */
static int
store_row(rd_store *s, sqlite3_stmt *st, GError **error)
{
	int rc = sqlite3_step(st);

	if (rc == SQLITE_ROW)
		return 1;
	sqlite3_reset(st);
	if (rc == SQLITE_DONE)
		return 0;
	store_fail(s, rc, error);
	return -1;
}

/* The id in the first column of ST's one row into *ID; RD_NOTFOUND
 * ("WHAT KEY") when there is no row. */
static gboolean
store_one_id(rd_store *s, sqlite3_stmt *st, gint64 *id, const char *what, const char *key,
             GError **error)
{
	int r;

	if (st == NULL || (r = store_row(s, st, error)) < 0)
		return FALSE;
	if (r == 0) {
		g_set_error(error, RD_ERROR, RD_NOTFOUND, "%s %s", what, key);
		return FALSE;
	}
	*id = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	return TRUE;
}

static char *
col_text(sqlite3_stmt *st, int i)
{
	const unsigned char *t = sqlite3_column_text(st, i);

	return t ? g_strdup((const char *)t) : NULL;
}

static char *
store_now(void)
{
	g_autoptr(GDateTime) now = g_date_time_new_now_utc();

	return g_date_time_format_iso8601(now);
}

static gboolean
store_exec(rd_store *s, const char *sql, GError **error)
{
	char *msg = NULL;
	int rc = sqlite3_exec(s->db, sql, NULL, NULL, &msg);

	if (rc != SQLITE_OK) {
		sqlite3_free(msg);
		return store_fail(s, rc, error);
	}
	return TRUE;
}

static gboolean
store_migrate(rd_store *s, GError **error)
{
	int version = 0;
	sqlite3_stmt *st = store_prepare(s, error, "PRAGMA user_version", "");
	int r;

	if (st == NULL)
		return FALSE;
	r = store_row(s, st, error);
	if (r < 0)
		return FALSE;
	if (r > 0)
		version = sqlite3_column_int(st, 0);
	sqlite3_reset(st);
	if (version > (int)G_N_ELEMENTS(migrations)) {
		g_set_error(error, RD_ERROR, RD_CONFIG,
			    "database %s has schema version %d, newer than this rounds (%d)",
			    s->path, version, (int)G_N_ELEMENTS(migrations));
		return FALSE;
	}
	for (int v = version; v < (int)G_N_ELEMENTS(migrations); v++) {
		g_autofree char *bump = g_strdup_printf("PRAGMA user_version = %d", v + 1);

		if (!rd_store_begin(s, error))
			return FALSE;
		/* Another process may have migrated while we waited for the lock. */
		st = store_prepare(s, error, "PRAGMA user_version", "");
		if (st == NULL || (r = store_row(s, st, error)) < 0) {
			rd_store_rollback(s);
			return FALSE;
		}
		if (r > 0 && sqlite3_column_int(st, 0) > v) {
			sqlite3_reset(st);
			rd_store_rollback(s);
			continue;
		}
		sqlite3_reset(st);
		if (!store_exec(s, migrations[v], error) || !store_exec(s, bump, error)) {
			rd_store_rollback(s);
			return FALSE;
		}
		if (!rd_store_commit(s, error))
			return FALSE;
	}
	return TRUE;
}

static void
stmt_finalize(gpointer st)
{
	sqlite3_finalize(st);
}

rd_store *
rd_store_open(const char *path, int busy_timeout_ms, GError **error)
{
	rd_store *s = g_new0(rd_store, 1);
	int rc;

	s->path = g_strdup(path);
	s->stmts = g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL, stmt_finalize);
	rc = sqlite3_open_v2(path, &s->db,
			     SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL);
	if (rc != SQLITE_OK) {
		store_fail(s, rc, error);
		rd_store_close(s);
		return NULL;
	}
	sqlite3_busy_timeout(s->db, busy_timeout_ms);
	sqlite3_extended_result_codes(s->db, 1);
	/* WAL lets readers (digests, CLI) run while the MTA delivers;
	 * synchronous=FULL makes a commit durable before we exit 0. */
	if (!store_exec(s, "PRAGMA journal_mode = WAL", error) ||
	    !store_exec(s, "PRAGMA synchronous = FULL", error) ||
	    !store_exec(s, "PRAGMA foreign_keys = ON", error) || !store_migrate(s, error)) {
		rd_store_close(s);
		return NULL;
	}
	return s;
}

void
rd_store_close(rd_store *s)
{
	if (s == NULL)
		return;
	g_hash_table_destroy(s->stmts);
	sqlite3_close_v2(s->db);
	g_free(s->path);
	g_free(s);
}

gboolean
rd_store_set_durable(rd_store *s, gboolean full, GError **error)
{
	return store_exec(s, full ? "PRAGMA synchronous = FULL" : "PRAGMA synchronous = NORMAL",
			  error);
}

gboolean
rd_store_begin(rd_store *s, GError **error)
{
	return store_done(s, store_prepare(s, error, "BEGIN IMMEDIATE", ""), error);
}

gboolean
rd_store_commit(rd_store *s, GError **error)
{
	return store_done(s, store_prepare(s, error, "COMMIT", ""), error);
}

void
rd_store_rollback(rd_store *s)
{
	if (!sqlite3_get_autocommit(s->db))
		sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
}

/* ---- communities ---- */

void
rd_community_free(rd_community *c)
{
	if (c == NULL)
		return;
	g_free(c->name);
	g_free(c->domain);
	g_free(c->title);
	g_free(c->policy);
	g_free(c->created);
	g_free(c);
}

#define COMMUNITY_COLS "id, name, domain, title, policy, accept_auto, created"

static rd_community *
community_from_row(sqlite3_stmt *st)
{
	rd_community *c = g_new0(rd_community, 1);

	c->id = sqlite3_column_int64(st, 0);
	c->name = col_text(st, 1);
	c->domain = col_text(st, 2);
	c->title = col_text(st, 3);
	c->policy = col_text(st, 4);
	c->accept_auto = sqlite3_column_int(st, 5);
	c->created = col_text(st, 6);
	return c;
}

gboolean
rd_store_community_create(rd_store *s, const char *name, const char *domain, const char *title,
			  const char *policy, gint64 *id, GError **error)
{
	g_autofree char *now = store_now();
	sqlite3_stmt *st = store_prepare(
	    s, error,
	    "INSERT INTO communities (name, domain, title, policy, created) VALUES (?,?,?,?,?)",
	    "ttttt", name, domain, title, policy, now);

	if (!store_done(s, st, error))
		return FALSE;
	if (id)
		*id = sqlite3_last_insert_rowid(s->db);
	return TRUE;
}

static rd_community *
community_one(rd_store *s, sqlite3_stmt *st, const char *what, GError **error)
{
	rd_community *c = NULL;
	int r;

	if (st == NULL)
		return NULL;
	r = store_row(s, st, error);
	if (r < 0)
		return NULL;
	if (r == 0) {
		g_set_error(error, RD_ERROR, RD_NOTFOUND, "no community %s", what);
		return NULL;
	}
	c = community_from_row(st);
	sqlite3_reset(st);
	return c;
}

rd_community *
rd_store_community_get(rd_store *s, const char *name, const char *domain, GError **error)
{
	g_autofree char *what = g_strdup_printf("%s@%s", name, domain);

	return community_one(
	    s,
	    store_prepare(s, error,
			  "SELECT " COMMUNITY_COLS " FROM communities WHERE name = ? AND domain = ?",
			  "tt", name, domain),
	    what, error);
}

rd_community *
rd_store_community_get_by_id(rd_store *s, gint64 id, GError **error)
{
	g_autofree char *what = g_strdup_printf("#%" G_GINT64_FORMAT, id);

	return community_one(
	    s,
	    store_prepare(s, error, "SELECT " COMMUNITY_COLS " FROM communities WHERE id = ?",
			  "i", id),
	    what, error);
}

GPtrArray *
rd_store_community_list(rd_store *s, GError **error)
{
	sqlite3_stmt *st = store_prepare(
	    s, error, "SELECT " COMMUNITY_COLS " FROM communities ORDER BY domain, name", "");
	g_autoptr(GPtrArray) out = g_ptr_array_new_with_free_func((GDestroyNotify)rd_community_free);
	int r;

	if (st == NULL)
		return NULL;
	while ((r = store_row(s, st, error)) > 0)
		g_ptr_array_add(out, community_from_row(st));
	return r < 0 ? NULL : g_steal_pointer(&out);
}

gboolean
rd_store_community_set(rd_store *s, gint64 id, const char *key, const char *value,
		       GError **error)
{
	const char *sql;

	/* Column names cannot be bound: map each settable key to its own
	 * statement instead of building SQL from input. */
	if (strcmp(key, "title") == 0)
		sql = "UPDATE communities SET title = ? WHERE id = ?";
	else if (strcmp(key, "policy") == 0)
		sql = "UPDATE communities SET policy = ? WHERE id = ?";
	else if (strcmp(key, "accept_auto") == 0)
		sql = "UPDATE communities SET accept_auto = ? WHERE id = ?";
	else {
		g_set_error(error, RD_ERROR, RD_USAGE, "unknown community setting %s", key);
		return FALSE;
	}
	return store_done(s, store_prepare(s, error, sql, "ti", value, id), error);
}

/* ---- people and memberships ---- */

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
	sqlite3_stmt *st;
	int r;

	st = store_prepare(s, error,
			   "INSERT INTO people (address, name, created) VALUES (?,?,?) "
			   "ON CONFLICT (address) DO UPDATE SET name = coalesce(excluded.name, name)",
			   "ttt", address, name, now);
	if (!store_done(s, st, error))
		return FALSE;
	st = store_prepare(s, error, "SELECT id FROM people WHERE address = ?", "t", address);
	if (st == NULL || (r = store_row(s, st, error)) < 0)
		return FALSE;
	g_assert(r > 0);
	*id = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	return TRUE;
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
	if (!store_done(s,
			store_prepare(s, error,
				      "DELETE FROM memberships WHERE community_id = ? AND person_id "
				      "= (SELECT id FROM people WHERE address = ?)",
				      "it", community_id, address),
			error))
		return FALSE;
	if (sqlite3_changes(s->db) == 0) {
		g_set_error(error, RD_ERROR, RD_NOTFOUND, "%s is not a member", address);
		return FALSE;
	}
	return TRUE;
}

gboolean
rd_store_member_set(rd_store *s, gint64 community_id, const char *address, const char *key,
		    const char *value, GError **error)
{
	static const struct {
		const char *key;
		const char *sql;
	} setters[] = {
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

	if (m == NULL)
		return FALSE;
	for (gsize i = 0; i < G_N_ELEMENTS(setters); i++) {
		if (strcmp(setters[i].key, key) == 0)
			return store_done(s,
					  store_prepare(s, error, setters[i].sql, "tit", value,
							community_id, address),
					  error);
	}
	g_set_error(error, RD_ERROR, RD_USAGE, "unknown member setting %s", key);
	return FALSE;
}

#define MEMBER_SELECT                                                                              \
	"SELECT p.id, p.address, p.name, m.role, m.delivery, m.status, m.bounce_score, "          \
	"m.delivery_disabled_reason, p.timezone, p.digest_time, p.digest_frequency, "             \
	"p.digest_day, p.grouping, m.created FROM memberships m JOIN people p ON p.id = "         \
	"m.person_id "

static rd_member *
member_from_row(sqlite3_stmt *st)
{
	rd_member *m = g_new0(rd_member, 1);

	m->person_id = sqlite3_column_int64(st, 0);
	m->address = col_text(st, 1);
	m->name = col_text(st, 2);
	m->role = col_text(st, 3);
	m->delivery = col_text(st, 4);
	m->status = col_text(st, 5);
	m->bounce_score = sqlite3_column_double(st, 6);
	m->delivery_disabled_reason = col_text(st, 7);
	m->timezone = col_text(st, 8);
	m->digest_time = col_text(st, 9);
	m->digest_frequency = col_text(st, 10);
	m->digest_day = sqlite3_column_int(st, 11);
	m->grouping = col_text(st, 12);
	m->created = col_text(st, 13);
	return m;
}

rd_member *
rd_store_member_get(rd_store *s, gint64 community_id, const char *address, GError **error)
{
	sqlite3_stmt *st = store_prepare(
	    s, error, MEMBER_SELECT "WHERE m.community_id = ? AND p.address = ?", "it",
	    community_id, address);
	rd_member *m;
	int r;

	if (st == NULL || (r = store_row(s, st, error)) < 0)
		return NULL;
	if (r == 0) {
		g_set_error(error, RD_ERROR, RD_NOTFOUND, "%s is not a member", address);
		return NULL;
	}
	m = member_from_row(st);
	sqlite3_reset(st);
	return m;
}

GPtrArray *
rd_store_member_list(rd_store *s, gint64 community_id, GError **error)
{
	sqlite3_stmt *st = store_prepare(
	    s, error, MEMBER_SELECT "WHERE m.community_id = ? ORDER BY p.address", "i",
	    community_id);
	g_autoptr(GPtrArray) out = g_ptr_array_new_with_free_func((GDestroyNotify)rd_member_free);
	int r;

	if (st == NULL)
		return NULL;
	while ((r = store_row(s, st, error)) > 0)
		g_ptr_array_add(out, member_from_row(st));
	return r < 0 ? NULL : g_steal_pointer(&out);
}

/* ---- messages ---- */

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
	sqlite3_stmt *st = store_prepare(
	    s, error, "SELECT 1 FROM messages WHERE community_id = ? AND message_id = ?", "it",
	    community_id, message_id);
	int r;

	if (st == NULL || (r = store_row(s, st, error)) < 0)
		return FALSE;
	*exists = r > 0;
	sqlite3_reset(st);
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

	if (!store_done(s, st, error))
		return FALSE;
	m->id = sqlite3_last_insert_rowid(s->db);
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

#define MESSAGE_COLS                                                                               \
	"id, community_id, message_id, coalesce(thread_id, 0), parent_message_id, "                \
	"fallback_parent, from_addr, from_name, subject, norm_subject, is_reply, date, "          \
	"date_text, arrived, status, hold_reason, body, coalesce(posted_seq, 0) "

static gboolean
message_load_refs(rd_store *s, rd_stored_message *m, GError **error)
{
	sqlite3_stmt *st = store_prepare(
	    s, error, "SELECT ref FROM refs WHERE message = ? ORDER BY position", "i", m->id);
	g_autoptr(GPtrArray) refs = g_ptr_array_new();
	int r;

	if (st == NULL)
		return FALSE;
	while ((r = store_row(s, st, error)) > 0)
		g_ptr_array_add(refs, col_text(st, 0));
	if (r < 0) {
		g_ptr_array_set_free_func(refs, g_free);
		return FALSE;
	}
	g_ptr_array_add(refs, NULL);
	m->refs = (char **)g_ptr_array_free(g_steal_pointer(&refs), FALSE);
	return TRUE;
}

static gboolean
message_load_attachments(rd_store *s, rd_stored_message *m, GError **error)
{
	sqlite3_stmt *st = store_prepare(
	    s, error,
	    "SELECT filename, content_type, size, content_id FROM attachments WHERE message = ? "
	    "ORDER BY position",
	    "i", m->id);
	int r;

	if (st == NULL)
		return FALSE;
	m->attachments = g_ptr_array_new_with_free_func((GDestroyNotify)rd_attachment_free);
	while ((r = store_row(s, st, error)) > 0) {
		rd_attachment *a = g_new0(rd_attachment, 1);

		a->filename = col_text(st, 0);
		a->content_type = col_text(st, 1);
		a->size = sqlite3_column_int64(st, 2);
		a->content_id = col_text(st, 3);
		g_ptr_array_add(m->attachments, a);
	}
	return r == 0;
}

static rd_stored_message *
message_from_row(sqlite3_stmt *st)
{
	rd_stored_message *m = g_new0(rd_stored_message, 1);

	m->id = sqlite3_column_int64(st, 0);
	m->community_id = sqlite3_column_int64(st, 1);
	m->message_id = col_text(st, 2);
	m->thread_id = sqlite3_column_int64(st, 3);
	m->parent_message_id = col_text(st, 4);
	m->fallback_parent = col_text(st, 5);
	m->from_addr = col_text(st, 6);
	m->from_name = col_text(st, 7);
	m->subject = col_text(st, 8);
	m->norm_subject = col_text(st, 9);
	m->is_reply = sqlite3_column_int(st, 10);
	m->date = sqlite3_column_int64(st, 11);
	m->date_text = col_text(st, 12);
	m->arrived = sqlite3_column_int64(st, 13);
	m->status = col_text(st, 14);
	m->hold_reason = col_text(st, 15);
	m->body = col_text(st, 16);
	m->posted_seq = sqlite3_column_int64(st, 17);
	return m;
}

/* Collect all rows of a message query, then load each row's references
 * (the statement must be finished before another is stepped). */
static GPtrArray *
message_rows(rd_store *s, sqlite3_stmt *st, gboolean details, GError **error)
{
	g_autoptr(GPtrArray) out =
	    g_ptr_array_new_with_free_func((GDestroyNotify)rd_stored_message_free);
	int r;

	if (st == NULL)
		return NULL;
	while ((r = store_row(s, st, error)) > 0)
		g_ptr_array_add(out, message_from_row(st));
	if (r < 0)
		return NULL;
	for (guint i = 0; i < out->len; i++) {
		rd_stored_message *m = out->pdata[i];

		if (!message_load_refs(s, m, error))
			return NULL;
		if (details && !message_load_attachments(s, m, error))
			return NULL;
	}
	return g_steal_pointer(&out);
}

rd_stored_message *
rd_store_message_get(rd_store *s, gint64 community_id, const char *message_id,
		     gboolean with_raw, GError **error)
{
	sqlite3_stmt *st = store_prepare(
	    s, error,
	    "SELECT " MESSAGE_COLS ", raw FROM messages WHERE community_id = ? AND message_id = ?",
	    "it", community_id, message_id);
	g_autoptr(rd_stored_message) m = NULL;
	int r;

	if (st == NULL || (r = store_row(s, st, error)) < 0)
		return NULL;
	if (r == 0) {
		g_set_error(error, RD_ERROR, RD_NOTFOUND, "no message <%s>", message_id);
		return NULL;
	}
	m = message_from_row(st);
	if (with_raw)
		m->raw = g_bytes_new(sqlite3_column_blob(st, 18), sqlite3_column_bytes(st, 18));
	sqlite3_reset(st);
	if (!message_load_refs(s, m, error) || !message_load_attachments(s, m, error))
		return NULL;
	return g_steal_pointer(&m);
}

GPtrArray *
rd_store_message_list(rd_store *s, gint64 community_id, const char *status, GError **error)
{
	return message_rows(
	    s,
	    store_prepare(s, error,
			  "SELECT " MESSAGE_COLS " FROM messages WHERE community_id = ? AND "
			  "(?2 IS NULL OR status = ?2) ORDER BY date, id",
			  "it", community_id, status),
	    TRUE, error);
}

GPtrArray *
rd_store_thread_messages(rd_store *s, gint64 thread_id, GError **error)
{
	return message_rows(s,
			    store_prepare(s, error,
					  "SELECT " MESSAGE_COLS " FROM messages WHERE thread_id = "
					  THREAD_OF("?1") " ORDER BY date, id",
					  "i", thread_id),
			    TRUE, error);
}

gboolean
rd_store_thread_touching(rd_store *s, gint64 community_id, gint64 row, GArray *threads,
			 GError **error)
{
	/* Index lookups only: the messages named by ROW's references, and
	 * those whose references name ROW or share one of its references.
	 * The unary + keeps SQLite from scanning the community's index. */
	sqlite3_stmt *st = store_prepare(
	    s, error,
	    "WITH ids(id) AS (SELECT ref FROM refs WHERE message = ?2 UNION SELECT message_id "
	    "FROM messages WHERE id = ?2) "
	    "SELECT DISTINCT thread_id FROM messages WHERE id IN (SELECT id FROM messages WHERE "
	    "community_id = ?1 AND message_id IN ids UNION SELECT message FROM refs WHERE ref IN "
	    "ids) AND +community_id = ?1 AND status = 'posted' AND thread_id IS NOT NULL AND "
	    "id <> ?2 ORDER BY thread_id",
	    "ii", community_id, row);
	int r;

	if (st == NULL)
		return FALSE;
	while ((r = store_row(s, st, error)) > 0) {
		gint64 t = sqlite3_column_int64(st, 0);

		g_array_append_val(threads, t);
	}
	return r == 0;
}

GPtrArray *
rd_store_thread_nodes(rd_store *s, gint64 thread_id, gint64 row, GError **error)
{
	g_autoptr(GPtrArray) out =
	    g_ptr_array_new_with_free_func((GDestroyNotify)rd_stored_message_free);
	g_autoptr(GHashTable) by_id = g_hash_table_new(g_int64_hash, g_int64_equal);
	g_autoptr(GHashTable) chains = g_hash_table_new_full(g_int64_hash, g_int64_equal, NULL,
							     (GDestroyNotify)g_ptr_array_unref);
	sqlite3_stmt *st = store_prepare(
	    s, error,
	    "SELECT id, message_id, coalesce(thread_id, 0), parent_message_id, fallback_parent, "
	    "date FROM messages WHERE thread_id = ?1 AND status = 'posted' AND id <> ?2 "
	    "UNION ALL SELECT id, message_id, coalesce(thread_id, 0), parent_message_id, "
	    "fallback_parent, date FROM messages WHERE id = ?2",
	    "ii", thread_id, row);
	int r;

	if (st == NULL)
		return NULL;
	while ((r = store_row(s, st, error)) > 0) {
		rd_stored_message *m = g_new0(rd_stored_message, 1);

		m->id = sqlite3_column_int64(st, 0);
		m->message_id = col_text(st, 1);
		m->thread_id = sqlite3_column_int64(st, 2);
		m->parent_message_id = col_text(st, 3);
		m->fallback_parent = col_text(st, 4);
		m->date = sqlite3_column_int64(st, 5);
		g_ptr_array_add(out, m);
		g_hash_table_insert(by_id, &m->id, m);
	}
	if (r < 0)
		return NULL;
	/* Every chain in one statement, not one statement per message. */
	st = store_prepare(s, error,
			   "SELECT message, ref FROM refs WHERE message IN (SELECT id FROM messages "
			   "WHERE thread_id = ?1 AND status = 'posted' UNION ALL SELECT ?2) ORDER "
			   "BY message, position",
			   "ii", thread_id, row);
	if (st == NULL)
		return NULL;
	while ((r = store_row(s, st, error)) > 0) {
		gint64 id = sqlite3_column_int64(st, 0);
		rd_stored_message *m = g_hash_table_lookup(by_id, &id);
		GPtrArray *chain;

		if (m == NULL)
			continue;
		chain = g_hash_table_lookup(chains, &m->id);
		if (chain == NULL) {
			chain = g_ptr_array_new_with_free_func(g_free);
			g_hash_table_insert(chains, &m->id, chain);
		}
		g_ptr_array_add(chain, col_text(st, 1));
	}
	if (r < 0)
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
	g_autoptr(GPtrArray) rows = message_rows(
	    s,
	    store_prepare(s, error,
			  "SELECT " MESSAGE_COLS " FROM messages WHERE community_id = ? AND "
			  "norm_subject = ? AND status = 'posted' AND thread_id IS NOT NULL AND "
			  "date BETWEEN ? AND ? ORDER BY date DESC, message_id LIMIT 1",
			  "itii", community_id, norm_subject, from, to),
	    FALSE, error);

	if (rows == NULL || rows->len == 0)
		return NULL;
	return g_ptr_array_steal_index(rows, 0);
}

GPtrArray *
rd_store_subject_orphans(rd_store *s, gint64 community_id, const char *norm_subject, gint64 from,
			 gint64 to, GError **error)
{
	return message_rows(
	    s,
	    store_prepare(s, error,
			  "SELECT " MESSAGE_COLS " FROM messages m WHERE community_id = ? AND "
			  "norm_subject = ? AND status = 'posted' AND is_reply AND "
			  "parent_message_id IS NULL AND date BETWEEN ? AND ? AND NOT EXISTS "
			  "(SELECT 1 FROM refs WHERE message = m.id) ORDER BY date",
			  "itii", community_id, norm_subject, from, to),
	    FALSE, error);
}

rd_stored_message *
rd_store_thread_root(rd_store *s, gint64 thread_id, GError **error)
{
	g_autoptr(GPtrArray) rows =
	    message_rows(s,
			 store_prepare(s, error,
				       "SELECT " MESSAGE_COLS " FROM messages WHERE thread_id = ? "
				       "AND parent_message_id IS NULL ORDER BY date, message_id "
				       "LIMIT 1",
				       "i", thread_id),
			 FALSE, error);

	if (rows == NULL || rows->len == 0)
		return NULL;
	return g_ptr_array_steal_index(rows, 0);
}

gboolean
rd_store_thread_create(rd_store *s, gint64 community_id, const char *subject, gint64 *id,
		       GError **error)
{
	/* SQLite would hand out the id of a thread merged away (the highest
	 * one) again; its alias must keep leading to where it went. */
	if (!store_done(s,
			store_prepare(s, error,
				      "INSERT INTO threads (id, community_id, subject) VALUES "
				      "(max(coalesce((SELECT max(id) FROM threads), 0), "
				      "coalesce((SELECT max(old_id) FROM thread_alias), 0)) + 1, ?, ?)",
				      "it", community_id, subject),
			error))
		return FALSE;
	*id = sqlite3_last_insert_rowid(s->db);
	return TRUE;
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

static rd_thread_info *
thread_from_row(sqlite3_stmt *st)
{
	rd_thread_info *t = g_new0(rd_thread_info, 1);

	t->id = sqlite3_column_int64(st, 0);
	t->community_id = sqlite3_column_int64(st, 1);
	t->subject = col_text(st, 2);
	t->message_count = sqlite3_column_int64(st, 3);
	t->first_date = sqlite3_column_int64(st, 4);
	t->last_date = sqlite3_column_int64(st, 5);
	return t;
}

GPtrArray *
rd_store_thread_list(rd_store *s, gint64 community_id, GError **error)
{
	sqlite3_stmt *st = store_prepare(s, error,
					 "SELECT " THREAD_COLS " FROM threads WHERE community_id = ? "
					 "ORDER BY last_date DESC, id",
					 "i", community_id);
	g_autoptr(GPtrArray) out =
	    g_ptr_array_new_with_free_func((GDestroyNotify)rd_thread_info_free);
	int r;

	if (st == NULL)
		return NULL;
	while ((r = store_row(s, st, error)) > 0)
		g_ptr_array_add(out, thread_from_row(st));
	return r < 0 ? NULL : g_steal_pointer(&out);
}

rd_thread_info *
rd_store_thread_get(rd_store *s, gint64 thread_id, GError **error)
{
	sqlite3_stmt *st = store_prepare(
	    s, error, "SELECT " THREAD_COLS " FROM threads WHERE id = " THREAD_OF("?1"), "i",
	    thread_id);
	rd_thread_info *t;
	int r;

	if (st == NULL || (r = store_row(s, st, error)) < 0)
		return NULL;
	if (r == 0) {
		g_set_error(error, RD_ERROR, RD_NOTFOUND, "no thread %" G_GINT64_FORMAT, thread_id);
		return NULL;
	}
	t = thread_from_row(st);
	sqlite3_reset(st);
	return t;
}

/* ---- digests ---- */

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

static gint64
iso_to_unix(const char *text)
{
	g_autoptr(GTimeZone) utc = g_time_zone_new_utc();
	g_autoptr(GDateTime) d = text ? g_date_time_new_from_iso8601(text, utc) : NULL;

	return d ? g_date_time_to_unix(d) : 0;
}

#define DIGEST_PERSON_SELECT                                                                       \
	"SELECT p.id, p.address, p.name, p.timezone, p.digest_time, p.digest_frequency, "         \
	"p.digest_day, p.grouping, p.paused_until, coalesce(p.digest_last_slot, 0), "              \
	"min(m.created) FROM people p JOIN memberships m ON m.person_id = p.id AND m.delivery = "  \
	"'digest' AND m.status = 'active' "

static rd_digest_person *
digest_person_from_row(sqlite3_stmt *st)
{
	rd_digest_person *p = g_new0(rd_digest_person, 1);
	g_autofree char *joined = NULL;

	p->person_id = sqlite3_column_int64(st, 0);
	p->address = col_text(st, 1);
	p->name = col_text(st, 2);
	p->timezone = col_text(st, 3);
	p->digest_time = col_text(st, 4);
	p->digest_frequency = col_text(st, 5);
	p->digest_day = sqlite3_column_int(st, 6);
	p->grouping = col_text(st, 7);
	p->paused_until = col_text(st, 8);
	p->last_slot = sqlite3_column_int64(st, 9);
	joined = col_text(st, 10);
	p->joined = iso_to_unix(joined);
	return p;
}

GPtrArray *
rd_store_digest_people(rd_store *s, GError **error)
{
	sqlite3_stmt *st = store_prepare(
	    s, error, DIGEST_PERSON_SELECT "GROUP BY p.id ORDER BY p.id", "");
	g_autoptr(GPtrArray) out =
	    g_ptr_array_new_with_free_func((GDestroyNotify)rd_digest_person_free);
	int r;

	if (st == NULL)
		return NULL;
	while ((r = store_row(s, st, error)) > 0)
		g_ptr_array_add(out, digest_person_from_row(st));
	return r < 0 ? NULL : g_steal_pointer(&out);
}

rd_digest_person *
rd_store_digest_person(rd_store *s, const char *address, GError **error)
{
	sqlite3_stmt *st = store_prepare(
	    s, error, DIGEST_PERSON_SELECT "WHERE p.address = ? GROUP BY p.id", "t", address);
	rd_digest_person *p;
	int r;

	if (st == NULL || (r = store_row(s, st, error)) < 0)
		return NULL;
	if (r == 0) {
		g_set_error(error, RD_ERROR, RD_NOTFOUND,
			    "%s has no digest membership in any community", address);
		return NULL;
	}
	p = digest_person_from_row(st);
	sqlite3_reset(st);
	return p;
}

GPtrArray *
rd_store_digest_memberships(rd_store *s, gint64 person_id, GError **error)
{
	sqlite3_stmt *st = store_prepare(
	    s, error,
	    "SELECT c.id, c.name, c.domain, c.title, coalesce(d.last_seq, -1), m.created FROM "
	    "memberships m JOIN communities c ON c.id = m.community_id LEFT JOIN digest_state d "
	    "ON d.person_id = m.person_id AND d.community_id = m.community_id WHERE m.person_id = "
	    "? AND m.delivery = 'digest' AND m.status = 'active' ORDER BY c.title, c.name",
	    "i", person_id);
	g_autoptr(GPtrArray) out =
	    g_ptr_array_new_with_free_func((GDestroyNotify)rd_digest_membership_free);
	int r;

	if (st == NULL)
		return NULL;
	while ((r = store_row(s, st, error)) > 0) {
		rd_digest_membership *m = g_new0(rd_digest_membership, 1);
		g_autofree char *created = NULL;

		m->community_id = sqlite3_column_int64(st, 0);
		m->name = col_text(st, 1);
		m->domain = col_text(st, 2);
		m->title = col_text(st, 3);
		m->last_seq = sqlite3_column_int64(st, 4);
		created = col_text(st, 5);
		m->joined = iso_to_unix(created);
		g_ptr_array_add(out, m);
	}
	return r < 0 ? NULL : g_steal_pointer(&out);
}

gboolean
rd_store_max_seq_before(rd_store *s, gint64 community_id, gint64 before, gint64 *seq,
			GError **error)
{
	sqlite3_stmt *st = store_prepare(s, error,
					 "SELECT coalesce(max(posted_seq), 0) FROM messages WHERE "
					 "community_id = ? AND posted_seq IS NOT NULL AND arrived < ?",
					 "ii", community_id, before);
	int r;

	if (st == NULL || (r = store_row(s, st, error)) < 0)
		return FALSE;
	*seq = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	return TRUE;
}

gboolean
rd_store_count_new(rd_store *s, gint64 community_id, gint64 from_seq, gint64 person_id,
		   const char *exclude_addr, gint64 *count, gint64 *max_seq, GError **error)
{
	sqlite3_stmt *st = store_prepare(
	    s, error,
	    "SELECT count(*) FILTER (WHERE from_addr <> ?3 COLLATE NOCASE AND NOT EXISTS (SELECT 1 "
	    "FROM mutes WHERE person_id = ?4 AND thread_id = messages.thread_id)), "
	    "coalesce(max(posted_seq), ?2) FROM messages WHERE community_id = ?1 AND posted_seq > ?2",
	    "iiti", community_id, from_seq, exclude_addr ? exclude_addr : "", person_id);
	int r;

	if (st == NULL || (r = store_row(s, st, error)) < 0)
		return FALSE;
	*count = sqlite3_column_int64(st, 0);
	*max_seq = sqlite3_column_int64(st, 1);
	sqlite3_reset(st);
	return TRUE;
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

GPtrArray *
rd_store_messages_seq_range(rd_store *s, gint64 community_id, gint64 from_seq, gint64 to_seq,
			    GError **error)
{
	return message_rows(s,
			    store_prepare(s, error,
					  "SELECT " MESSAGE_COLS " FROM messages WHERE "
					  "community_id = ? AND posted_seq > ? AND posted_seq <= ? "
					  "ORDER BY posted_seq",
					  "iii", community_id, from_seq, to_seq),
			    TRUE, error);
}

GPtrArray *
rd_store_thread_messages_upto(rd_store *s, gint64 thread_id, gint64 to_seq, GError **error)
{
	return message_rows(s,
			    store_prepare(s, error,
					  "SELECT " MESSAGE_COLS " FROM messages WHERE thread_id = "
					  THREAD_OF("?1") " AND posted_seq IS NOT NULL AND "
					  "(?2 = 0 OR posted_seq <= ?2) "
					  "ORDER BY date, id",
					  "ii", thread_id, to_seq),
			    FALSE, error);
}

/* ---- outbox ---- */

void
rd_outbox_item_free(rd_outbox_item *item)
{
	if (item == NULL)
		return;
	g_free(item->kind);
	g_free(item->recipient);
	g_free(item->envelope_from);
	g_free(item->subject);
	g_free(item->payload);
	if (item->data)
		g_bytes_unref(item->data);
	g_free(item->status);
	g_free(item->last_reply);
	g_free(item);
}

gboolean
rd_store_outbox_add(rd_store *s, rd_outbox_item *item, GError **error)
{
	static GBytes *empty;
	sqlite3_stmt *st;

	if (empty == NULL)
		empty = g_bytes_new_static("", 0);
	st = store_prepare(s, error,
			   "INSERT INTO outbox (kind, person_id, community_id, recipient, "
			   "envelope_from, subject, payload, data, status, next_attempt, created) "
			   "VALUES (?, nullif(?,0), nullif(?,0), ?, ?, ?, ?, CASE WHEN ?9 THEN ?8 END,"
			   " 'queued', ?10, ?11)",
			   "tiittttbiii", item->kind, item->person_id, item->community_id,
			   item->recipient, item->envelope_from, item->subject, item->payload,
			   item->data ? item->data : empty, (gint64)(item->data != NULL),
			   item->next_attempt, item->created);
	if (!store_done(s, st, error))
		return FALSE;
	item->id = sqlite3_last_insert_rowid(s->db);
	return TRUE;
}

#define OUTBOX_COLS                                                                                \
	"id, kind, coalesce(person_id, 0), coalesce(community_id, 0), recipient, envelope_from, "  \
	"subject, payload, status, attempts, next_attempt, created, coalesce(sent_at, 0), "       \
	"coalesce(last_code, 0), last_reply "

static rd_outbox_item *
outbox_from_row(sqlite3_stmt *st, gboolean with_data)
{
	rd_outbox_item *o = g_new0(rd_outbox_item, 1);

	o->id = sqlite3_column_int64(st, 0);
	o->kind = col_text(st, 1);
	o->person_id = sqlite3_column_int64(st, 2);
	o->community_id = sqlite3_column_int64(st, 3);
	o->recipient = col_text(st, 4);
	o->envelope_from = col_text(st, 5);
	o->subject = col_text(st, 6);
	o->payload = col_text(st, 7);
	o->status = col_text(st, 8);
	o->attempts = sqlite3_column_int64(st, 9);
	o->next_attempt = sqlite3_column_int64(st, 10);
	o->created = sqlite3_column_int64(st, 11);
	o->sent_at = sqlite3_column_int64(st, 12);
	o->last_code = sqlite3_column_int64(st, 13);
	o->last_reply = col_text(st, 14);
	if (with_data && sqlite3_column_type(st, 15) != SQLITE_NULL)
		o->data = g_bytes_new(sqlite3_column_blob(st, 15), sqlite3_column_bytes(st, 15));
	return o;
}

GPtrArray *
rd_store_outbox_due(rd_store *s, gint64 now, guint limit, GError **error)
{
	sqlite3_stmt *st = store_prepare(s, error,
					 "SELECT " OUTBOX_COLS ", data FROM outbox WHERE status = "
					 "'queued' AND next_attempt <= ? ORDER BY next_attempt, id "
					 "LIMIT ?",
					 "ii", now, (gint64)limit);
	g_autoptr(GPtrArray) out =
	    g_ptr_array_new_with_free_func((GDestroyNotify)rd_outbox_item_free);
	int r;

	if (st == NULL)
		return NULL;
	while ((r = store_row(s, st, error)) > 0)
		g_ptr_array_add(out, outbox_from_row(st, TRUE));
	return r < 0 ? NULL : g_steal_pointer(&out);
}

GPtrArray *
rd_store_outbox_list(rd_store *s, GError **error)
{
	sqlite3_stmt *st = store_prepare(
	    s, error, "SELECT " OUTBOX_COLS " FROM outbox ORDER BY id DESC", "");
	g_autoptr(GPtrArray) out =
	    g_ptr_array_new_with_free_func((GDestroyNotify)rd_outbox_item_free);
	int r;

	if (st == NULL)
		return NULL;
	while ((r = store_row(s, st, error)) > 0)
		g_ptr_array_add(out, outbox_from_row(st, FALSE));
	return r < 0 ? NULL : g_steal_pointer(&out);
}

gboolean
rd_store_outbox_update(rd_store *s, gint64 id, const char *status, gint64 attempts,
		       gint64 next_attempt, gint64 sent_at, gint64 code, const char *reply,
		       GError **error)
{
	return store_done(s,
			  store_prepare(s, error,
					"UPDATE outbox SET status = ?, attempts = ?, next_attempt = "
					"?, sent_at = nullif(?, 0), last_code = nullif(?, 0), "
					"last_reply = ? WHERE id = ?",
					"tiiiiti", status, attempts, next_attempt, sent_at, code,
					reply, id),
			  error);
}

gboolean
rd_store_outbox_retry(rd_store *s, gint64 id, gint64 now, GError **error)
{
	if (!store_done(s,
			store_prepare(s, error,
				      "UPDATE outbox SET status = 'queued', next_attempt = ? WHERE "
				      "id = ? AND status <> 'sent'",
				      "ii", now, id),
			error))
		return FALSE;
	if (sqlite3_changes(s->db) == 0) {
		g_set_error(error, RD_ERROR, RD_NOTFOUND,
			    "no unsent outbox entry %" G_GINT64_FORMAT, id);
		return FALSE;
	}
	return TRUE;
}

/* ---- fan-out and bounces (fanout.c) ---- */

void
rd_fanout_settings_free(rd_fanout_settings *f)
{
	if (f == NULL)
		return;
	g_free(f->footer);
	g_free(f->reply_to);
	g_free(f->dmarc_mitigation);
	g_free(f->archive_url);
	g_free(f);
}

rd_fanout_settings *
rd_store_fanout_settings(rd_store *s, gint64 community_id, GError **error)
{
	sqlite3_stmt *st = store_prepare(s, error,
					 "SELECT subject_prefix, footer, reply_to, dmarc_mitigation, "
					 "archive_url FROM communities WHERE id = ?",
					 "i", community_id);
	rd_fanout_settings *f;
	int r;

	if (st == NULL || (r = store_row(s, st, error)) < 0)
		return NULL;
	if (r == 0) {
		g_set_error(error, RD_ERROR, RD_NOTFOUND, "no community #%" G_GINT64_FORMAT,
			    community_id);
		return NULL;
	}
	f = g_new0(rd_fanout_settings, 1);
	f->subject_prefix = sqlite3_column_int(st, 0);
	f->footer = col_text(st, 1);
	f->reply_to = col_text(st, 2);
	f->dmarc_mitigation = col_text(st, 3);
	f->archive_url = col_text(st, 4);
	sqlite3_reset(st);
	return f;
}

gboolean
rd_store_fanout_set(rd_store *s, gint64 community_id, const char *key, const char *value,
		    GError **error)
{
	static const struct {
		const char *key;
		const char *sql;
	} setters[] = {
	    {"subject_prefix", "UPDATE communities SET subject_prefix = ? WHERE id = ?"},
	    {"footer", "UPDATE communities SET footer = ? WHERE id = ?"},
	    {"reply_to", "UPDATE communities SET reply_to = ? WHERE id = ?"},
	    {"dmarc_mitigation", "UPDATE communities SET dmarc_mitigation = ? WHERE id = ?"},
	    {"archive_url", "UPDATE communities SET archive_url = ? WHERE id = ?"},
	};

	/* Column names cannot be bound: one fixed statement per key. */
	for (gsize i = 0; i < G_N_ELEMENTS(setters); i++)
		if (strcmp(setters[i].key, key) == 0)
			return store_done(s,
					  store_prepare(s, error, setters[i].sql, "ti", value,
							community_id),
					  error);
	g_set_error(error, RD_ERROR, RD_USAGE, "unknown community setting %s", key);
	return FALSE;
}

gboolean
rd_store_fanout_self_copy(rd_store *s, gint64 community_id, const char *address, gboolean on,
			  GError **error)
{
	if (!store_done(s,
			store_prepare(s, error,
				      "UPDATE memberships SET self_copy = ? WHERE community_id = ? "
				      "AND person_id = (SELECT id FROM people WHERE address = ?)",
				      "iit", (gint64)(on != FALSE), community_id, address),
			error))
		return FALSE;
	if (sqlite3_changes(s->db) == 0) {
		g_set_error(error, RD_ERROR, RD_NOTFOUND, "%s is not a member", address);
		return FALSE;
	}
	return TRUE;
}

gboolean
rd_store_fanout_recipients(rd_store *s, gint64 community_id, const char *author, GArray *ids,
			   GPtrArray *addrs, GError **error)
{
	sqlite3_stmt *st = store_prepare(
	    s, error,
	    "SELECT p.id, p.address FROM memberships m JOIN people p ON p.id = m.person_id "
	    "WHERE m.community_id = ? AND m.delivery = 'each' AND m.status = 'active' AND "
	    "(m.self_copy OR p.address <> coalesce(?, '')) ORDER BY p.id",
	    "it", community_id, author);
	int r;

	if (st == NULL)
		return FALSE;
	while ((r = store_row(s, st, error)) > 0) {
		gint64 id = sqlite3_column_int64(st, 0);

		g_array_append_val(ids, id);
		g_ptr_array_add(addrs, col_text(st, 1));
	}
	return r == 0;
}

rd_stored_message *
rd_store_fanout_message(rd_store *s, gint64 row, gboolean with_raw, GError **error)
{
	sqlite3_stmt *st = store_prepare(
	    s, error, "SELECT " MESSAGE_COLS ", raw FROM messages WHERE id = ?", "i", row);
	rd_stored_message *m;
	int r;

	if (st == NULL || (r = store_row(s, st, error)) < 0)
		return NULL;
	if (r == 0) {
		g_set_error(error, RD_ERROR, RD_NOTFOUND, "no message #%" G_GINT64_FORMAT, row);
		return NULL;
	}
	m = message_from_row(st);
	if (with_raw)
		m->raw = g_bytes_new(sqlite3_column_blob(st, 18), sqlite3_column_bytes(st, 18));
	sqlite3_reset(st);
	return m;
}

gboolean
rd_store_fanout_member_active(rd_store *s, gint64 community_id, gint64 person_id,
			      gboolean *active, GError **error)
{
	sqlite3_stmt *st = store_prepare(s, error,
					 "SELECT 1 FROM memberships WHERE community_id = ? AND "
					 "person_id = ? AND status = 'active' AND delivery = 'each'",
					 "ii", community_id, person_id);
	int r;

	if (st == NULL || (r = store_row(s, st, error)) < 0)
		return FALSE;
	*active = r > 0;
	sqlite3_reset(st);
	return TRUE;
}

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

rd_fanout_bounce_state *
rd_store_bounce_state(rd_store *s, gint64 community_id, gint64 person_id, GError **error)
{
	sqlite3_stmt *st = store_prepare(
	    s, error,
	    "SELECT p.address, m.role, m.status, m.delivery_disabled_reason, m.bounce_score, "
	    "coalesce(m.bounce_last, 0), m.bounce_day, m.bounce_day_points FROM memberships m "
	    "JOIN people p ON p.id = m.person_id WHERE m.community_id = ? AND m.person_id = ?",
	    "ii", community_id, person_id);
	rd_fanout_bounce_state *b;
	int r;

	if (st == NULL || (r = store_row(s, st, error)) < 0)
		return NULL;
	if (r == 0) {
		g_set_error(error, RD_ERROR, RD_NOTFOUND, "person #%" G_GINT64_FORMAT
			    " is not a member", person_id);
		return NULL;
	}
	b = g_new0(rd_fanout_bounce_state, 1);
	b->person_id = person_id;
	b->address = col_text(st, 0);
	b->role = col_text(st, 1);
	b->status = col_text(st, 2);
	b->reason = col_text(st, 3);
	b->score = sqlite3_column_double(st, 4);
	b->last = sqlite3_column_int64(st, 5);
	b->day = col_text(st, 6);
	b->day_points = sqlite3_column_double(st, 7);
	sqlite3_reset(st);
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
	sqlite3_stmt *st = store_prepare(s, error,
					 "SELECT count(*) FROM bounce_events WHERE community_id = ? "
					 "AND person_id = ? AND (?3 IS NULL OR kind = ?3)",
					 "iit", community_id, person_id, kind);
	int r;

	if (st == NULL || (r = store_row(s, st, error)) < 0)
		return FALSE;
	*count = r > 0 ? sqlite3_column_int64(st, 0) : 0;
	sqlite3_reset(st);
	return TRUE;
}

/* ---- replies (reply.c) ---- */

void
rd_kept_reply_free(rd_kept_reply *k)
{
	if (k == NULL)
		return;
	g_free(k->message_id);
	g_free(k->from_addr);
	g_free(k->subject);
	g_free(k->body);
	if (k->raw)
		g_bytes_unref(k->raw);
	g_free(k->choices);
	g_free(k->status);
	g_free(k);
}

gboolean
rd_store_reply_person_by_address(rd_store *s, const char *address, gint64 *person_id,
				 GError **error)
{
	/* people.address and person_addresses.address are COLLATE NOCASE, so
	 * both comparisons ignore case. */
	sqlite3_stmt *st =
	    store_prepare(s, error,
	                  "SELECT id FROM people WHERE address = ?1 UNION ALL "
	                  "SELECT person_id FROM person_addresses WHERE address = ?1 "
	                  "LIMIT 1",
	                  "t", address);

	return store_one_id(s, st, person_id, "nobody writes from", address, error);
}

gboolean
rd_store_reply_person_get(rd_store *s, gint64 person_id, char **address, char **name,
			  GError **error)
{
	sqlite3_stmt *st = store_prepare(s, error, "SELECT address, name FROM people WHERE id = ?",
					 "i", person_id);
	int r;

	if (st == NULL || (r = store_row(s, st, error)) < 0)
		return FALSE;
	if (r == 0) {
		g_set_error(error, RD_ERROR, RD_NOTFOUND, "no person #%" G_GINT64_FORMAT, person_id);
		return FALSE;
	}
	if (address)
		*address = col_text(st, 0);
	if (name)
		*name = col_text(st, 1);
	sqlite3_reset(st);
	return TRUE;
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
rd_store_person_id(rd_store *s, const char *address, gint64 *person_id, GError **error)
{
	sqlite3_stmt *st =
	    store_prepare(s, error, "SELECT id FROM people WHERE address = ?", "t", address);

	return store_one_id(s, st, person_id, "nobody has the address", address, error);
}

/* The first column of every row of ST, as strings; NULL on error. */
static GPtrArray *
store_texts(rd_store *s, sqlite3_stmt *st, GError **error)
{
	g_autoptr(GPtrArray) out = g_ptr_array_new_with_free_func(g_free);
	int r;

	if (st == NULL)
		return NULL;
	while ((r = store_row(s, st, error)) > 0)
		g_ptr_array_add(out, col_text(st, 0));
	return r < 0 ? NULL : g_steal_pointer(&out);
}

GPtrArray *
rd_store_community_domains(rd_store *s, GError **error)
{
	return store_texts(
	    s, store_prepare(s, error, "SELECT DISTINCT lower(domain) FROM communities", ""),
	    error);
}

GPtrArray *
rd_store_person_aliases(rd_store *s, gint64 person_id, GError **error)
{
	sqlite3_stmt *st = store_prepare(
	    s, error, "SELECT address FROM person_addresses WHERE person_id = ? ORDER BY address",
	    "i", person_id);

	return store_texts(s, st, error);
}

gboolean
rd_store_person_alias_remove(rd_store *s, gint64 person_id, const char *address, GError **error)
{
	if (!store_done(
	        s,
	        store_prepare(s, error,
	                      "DELETE FROM person_addresses WHERE person_id = ? AND address = ?",
	                      "it", person_id, address),
	        error))
		return FALSE;
	if (sqlite3_changes(s->db) == 0) {
		g_set_error(error, RD_ERROR, RD_NOTFOUND,
		            "%s is not an alternate address of theirs", address);
		return FALSE;
	}
	return TRUE;
}

rd_stored_message *
rd_store_reply_latest(rd_store *s, gint64 thread_id, GError **error)
{
	g_autoptr(GPtrArray) rows =
	    message_rows(s,
			 store_prepare(s, error,
				       "SELECT " MESSAGE_COLS " FROM messages WHERE thread_id = "
				       THREAD_OF("?1") " AND status = 'posted' ORDER BY date "
				       "DESC, id DESC LIMIT 1",
				       "i", thread_id),
			 FALSE, error);

	if (rows == NULL)
		return NULL;
	if (rows->len == 0) {
		g_set_error(error, RD_ERROR, RD_NOTFOUND,
			    "thread %" G_GINT64_FORMAT " has no posted message", thread_id);
		return NULL;
	}
	return g_ptr_array_steal_index(rows, 0);
}

rd_stored_message *
rd_store_reply_posted(rd_store *s, gint64 community_id, const char *message_id, GError **error)
{
	g_autoptr(GPtrArray) rows =
	    message_rows(s,
			 store_prepare(s, error,
				       "SELECT " MESSAGE_COLS " FROM messages WHERE community_id = "
				       "? AND message_id = ? AND status = 'posted'",
				       "it", community_id, message_id),
			 FALSE, error);

	if (rows == NULL)
		return NULL;
	if (rows->len == 0) {
		g_set_error(error, RD_ERROR, RD_NOTFOUND, "no posted message <%s>", message_id);
		return NULL;
	}
	return g_ptr_array_steal_index(rows, 0);
}

rd_outbox_item *
rd_store_reply_outbox_get(rd_store *s, gint64 id, GError **error)
{
	sqlite3_stmt *st = store_prepare(s, error, "SELECT " OUTBOX_COLS " FROM outbox WHERE id = ?",
					 "i", id);
	rd_outbox_item *item;
	int r;

	if (st == NULL || (r = store_row(s, st, error)) < 0)
		return NULL;
	if (r == 0) {
		g_set_error(error, RD_ERROR, RD_NOTFOUND, "no outbox entry %" G_GINT64_FORMAT, id);
		return NULL;
	}
	item = outbox_from_row(st, FALSE);
	sqlite3_reset(st);
	return item;
}

GPtrArray *
rd_store_reply_previous_bodies(rd_store *s, gint64 community_id, const char *address,
			       guint limit, GError **error)
{
	sqlite3_stmt *st =
	    store_prepare(s, error,
	                  "SELECT body FROM messages WHERE community_id = ? AND "
	                  "from_addr = ? COLLATE NOCASE AND status = 'posted' ORDER BY "
	                  "date DESC, id DESC LIMIT ?",
	                  "iti", community_id, address, (gint64)limit);

	return store_texts(s, st, error);
}

gboolean
rd_store_reply_keep(rd_store *s, rd_kept_reply *k, GError **error)
{
	if (!store_done(s,
			store_prepare(s, error,
				      "INSERT INTO kept_replies (community_id, person_id, outbox_id, "
				      "message_id, from_addr, subject, body, raw, choices, created) "
				      "VALUES (?,?,?,?,?,?,?,?,?,?)",
				      "iiittttbti", k->community_id, k->person_id, k->outbox_id,
				      k->message_id, k->from_addr, k->subject, k->body, k->raw,
				      k->choices, k->created),
			error))
		return FALSE;
	k->id = sqlite3_last_insert_rowid(s->db);
	return TRUE;
}

#define KEPT_COLS                                                                                  \
	"id, community_id, person_id, outbox_id, message_id, from_addr, subject, body, choices, "  \
	"status, coalesce(thread_id, 0), created "

static rd_kept_reply *
kept_from_row(sqlite3_stmt *st)
{
	rd_kept_reply *k = g_new0(rd_kept_reply, 1);

	k->id = sqlite3_column_int64(st, 0);
	k->community_id = sqlite3_column_int64(st, 1);
	k->person_id = sqlite3_column_int64(st, 2);
	k->outbox_id = sqlite3_column_int64(st, 3);
	k->message_id = col_text(st, 4);
	k->from_addr = col_text(st, 5);
	k->subject = col_text(st, 6);
	k->body = col_text(st, 7);
	k->choices = col_text(st, 8);
	k->status = col_text(st, 9);
	k->thread_id = sqlite3_column_int64(st, 10);
	k->created = sqlite3_column_int64(st, 11);
	return k;
}

rd_kept_reply *
rd_store_reply_kept_get(rd_store *s, gint64 id, GError **error)
{
	sqlite3_stmt *st = store_prepare(
	    s, error, "SELECT " KEPT_COLS ", raw FROM kept_replies WHERE id = ?", "i", id);
	rd_kept_reply *k;
	int r;

	if (st == NULL || (r = store_row(s, st, error)) < 0)
		return NULL;
	if (r == 0) {
		g_set_error(error, RD_ERROR, RD_NOTFOUND, "no kept reply %" G_GINT64_FORMAT, id);
		return NULL;
	}
	k = kept_from_row(st);
	k->raw = g_bytes_new(sqlite3_column_blob(st, 12), sqlite3_column_bytes(st, 12));
	sqlite3_reset(st);
	return k;
}

gboolean
rd_store_reply_kept_filed(rd_store *s, gint64 id, gint64 thread_id, GError **error)
{
	return store_done(s,
			  store_prepare(s, error,
					"UPDATE kept_replies SET status = 'filed', thread_id = ? "
					"WHERE id = ?",
					"ii", thread_id, id),
			  error);
}

GPtrArray *
rd_store_reply_kept_list(rd_store *s, gint64 community_id, GError **error)
{
	sqlite3_stmt *st = store_prepare(
	    s, error, "SELECT " KEPT_COLS " FROM kept_replies WHERE community_id = ? ORDER BY id",
	    "i", community_id);
	g_autoptr(GPtrArray) out =
	    g_ptr_array_new_with_free_func((GDestroyNotify)rd_kept_reply_free);
	int r;

	if (st == NULL)
		return NULL;
	while ((r = store_row(s, st, error)) > 0)
		g_ptr_array_add(out, kept_from_row(st));
	return r < 0 ? NULL : g_steal_pointer(&out);
}

/* ---- commands (command.c) ---- */

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
	p->kind = col_text(st, 2);
	p->address = col_text(st, 3);
	p->person_id = sqlite3_column_int64(st, 4);
	p->payload = col_text(st, 5);
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

gboolean
rd_store_mute_set(rd_store *s, gint64 person_id, gint64 community_id, gint64 thread_id,
		  gboolean mute, gint64 now, GError **error)
{
	if (mute)
		return store_done(s,
				  store_prepare(s, error,
						"INSERT INTO mutes (person_id, thread_id, "
						"community_id, created) VALUES (?1," THREAD_OF("?2")
						",?3,?4) ON CONFLICT DO NOTHING",
						"iiii", person_id, thread_id, community_id, now),
				  error);
	return store_done(s,
			  store_prepare(s, error,
					"DELETE FROM mutes WHERE person_id = ?1 AND thread_id = "
					THREAD_OF("?2"),
					"ii", person_id, thread_id),
			  error);
}

GHashTable *
rd_store_mute_threads(rd_store *s, gint64 person_id, GError **error)
{
	sqlite3_stmt *st = store_prepare(s, error, "SELECT thread_id FROM mutes WHERE person_id = ?",
					 "i", person_id);
	GHashTable *set;
	int r;

	if (st == NULL)
		return NULL;
	set = g_hash_table_new_full(g_int64_hash, g_int64_equal, g_free, NULL);
	while ((r = store_row(s, st, error)) > 0) {
		gint64 id = sqlite3_column_int64(st, 0);

		g_hash_table_add(set, g_memdup2(&id, sizeof id));
	}
	sqlite3_reset(st);
	if (r < 0) {
		g_hash_table_destroy(set);
		return NULL;
	}
	return set;
}

gboolean
rd_store_command_paused(rd_store *s, gint64 person_id, char **until, GError **error)
{
	sqlite3_stmt *st = store_prepare(s, error, "SELECT paused_until FROM people WHERE id = ?",
					 "i", person_id);
	int r;

	*until = NULL;
	if (st == NULL || (r = store_row(s, st, error)) < 0)
		return FALSE;
	if (r > 0)
		*until = col_text(st, 0);
	sqlite3_reset(st);
	return TRUE;
}

gboolean
rd_store_command_set_paused(rd_store *s, gint64 person_id, const char *until, GError **error)
{
	return store_done(s,
			  store_prepare(s, error, "UPDATE people SET paused_until = ? WHERE id = ?",
					"ti", until, person_id),
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

	if (!store_done(s, store_prepare(s, error, sql, "ii", row, community_id), error))
		return FALSE;
	*won = sqlite3_changes(s->db) > 0;
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
	sqlite3_stmt *st = store_prepare(
	    s, error, "SELECT decision, decided_by FROM moderation WHERE message = ?", "i", row);
	int r;

	*decision = NULL;
	if (by)
		*by = NULL;
	if (st == NULL || (r = store_row(s, st, error)) < 0)
		return FALSE;
	if (r > 0) {
		*decision = col_text(st, 0);
		if (by)
			*by = col_text(st, 1);
	}
	sqlite3_reset(st);
	return TRUE;
}

gboolean
rd_store_command_replies(rd_store *s, gint64 community_id, char **mode, GError **error)
{
	sqlite3_stmt *st = store_prepare(s, error, "SELECT replies FROM communities WHERE id = ?",
					 "i", community_id);
	int r;

	*mode = NULL;
	if (st == NULL || (r = store_row(s, st, error)) < 0)
		return FALSE;
	*mode = r > 0 ? col_text(st, 0) : g_strdup("list");
	sqlite3_reset(st);
	return TRUE;
}

gboolean
rd_store_command_set_replies(rd_store *s, gint64 community_id, const char *mode,
			     GError **error)
{
	return store_done(s,
			  store_prepare(s, error, "UPDATE communities SET replies = ? WHERE id = ?",
					"ti", mode, community_id),
			  error);
}

/* ---- POP3 messages fetch has handled (import.c) ---- */

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
		g_hash_table_replace(seen, col_text(st, 0), col_text(st, 1));
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

/* ---- vitality report (report.c) ---- */

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

gboolean
rd_store_report_rows(rd_store *s, gint64 community_id, GPtrArray **posts, GPtrArray **members,
		     GError **error)
{
	g_autoptr(GPtrArray) p = g_ptr_array_new_with_free_func((GDestroyNotify)rd_report_post_free);
	g_autoptr(GPtrArray) m =
	    g_ptr_array_new_with_free_func((GDestroyNotify)rd_report_member_free);
	sqlite3_stmt *st;
	int r;

	st = store_prepare(s, error,
			   "SELECT m.id, m.message_id, m.parent_message_id, lower(m.from_addr), "
			   "m.date, coalesce(m.thread_id, 0), coalesce(t.subject, m.subject) FROM "
			   "messages m LEFT JOIN threads t ON t.id = m.thread_id WHERE "
			   "m.community_id = ? AND m.status = 'posted' ORDER BY m.date, m.id",
			   "i", community_id);
	if (st == NULL)
		return FALSE;
	while ((r = store_row(s, st, error)) > 0) {
		rd_report_post *row = g_new0(rd_report_post, 1);

		row->id = sqlite3_column_int64(st, 0);
		row->message_id = col_text(st, 1);
		row->parent_message_id = col_text(st, 2);
		row->author = col_text(st, 3);
		row->date = sqlite3_column_int64(st, 4);
		row->thread_id = sqlite3_column_int64(st, 5);
		row->subject = col_text(st, 6);
		g_ptr_array_add(p, row);
	}
	if (r < 0)
		return FALSE;
	st = store_prepare(s, error,
			   "SELECT lower(p.address), m.role, m.delivery, m.status, m.bounce_score, "
			   "m.delivery_disabled_reason, m.created, p.paused_until FROM memberships m "
			   "JOIN people p ON p.id = m.person_id WHERE m.community_id = ? ORDER BY "
			   "lower(p.address)",
			   "i", community_id);
	if (st == NULL)
		return FALSE;
	while ((r = store_row(s, st, error)) > 0) {
		rd_report_member *row = g_new0(rd_report_member, 1);

		row->address = col_text(st, 0);
		row->role = col_text(st, 1);
		row->delivery = col_text(st, 2);
		row->status = col_text(st, 3);
		row->bounce_score = sqlite3_column_double(st, 4);
		row->disabled_reason = col_text(st, 5);
		row->created = col_text(st, 6);
		row->paused_until = col_text(st, 7);
		g_ptr_array_add(m, row);
	}
	if (r < 0)
		return FALSE;
	*posts = g_steal_pointer(&p);
	*members = g_steal_pointer(&m);
	return TRUE;
}

gboolean
rd_store_report_sent(rd_store *s, gint64 community_id, gint64 person_id, gint64 since,
		     gboolean *sent, GError **error)
{
	sqlite3_stmt *st = store_prepare(s, error,
					 "SELECT 1 FROM outbox WHERE kind = 'report' AND "
					 "community_id = ? AND person_id = ? AND created >= ? LIMIT 1",
					 "iii", community_id, person_id, since);
	int r;

	if (st == NULL || (r = store_row(s, st, error)) < 0)
		return FALSE;
	*sent = r > 0;
	sqlite3_reset(st);
	return TRUE;
}
