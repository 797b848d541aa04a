/* store.c - SQLite storage: opening, the schema and its migrations,
 * transactions, and the helpers every store-*.c file queries with.  The
 * queries themselves live in one file per kind of data (store-internal.h). */
#include <sqlite3.h>
#include <string.h>

#include "store-internal.h"

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
    /* 9: an author's latest posts (rd_store_reply_previous_bodies) read
     * every message of the community and sorted them by date; with this
     * index they are a range read in date order, however large the store
     * (issue 13).  NOCASE as the query compares. */
    "CREATE INDEX messages_author ON messages(community_id, from_addr COLLATE NOCASE, date);",
    /* 10: who left a community and when (unix time), for the vitality
     * report's members.left: leaving (remove, unsubscribe) deletes the
     * membership, so a trigger keeps the departure, whatever path deleted
     * it.  A community's own deletion takes its departures with it. */
    "CREATE TABLE departures ("
    " community_id INTEGER NOT NULL,"
    " person_id INTEGER NOT NULL,"
    " left_at INTEGER NOT NULL);"
    "CREATE INDEX departures_community ON departures(community_id, left_at);"
    "CREATE TRIGGER memberships_departure AFTER DELETE ON memberships"
    " WHEN EXISTS (SELECT 1 FROM communities WHERE id = OLD.community_id) BEGIN"
    " INSERT INTO departures (community_id, person_id, left_at)"
    " VALUES (OLD.community_id, OLD.person_id, CAST(strftime('%s', 'now') AS INTEGER)); END;"
    "CREATE TRIGGER communities_departures AFTER DELETE ON communities BEGIN"
    " DELETE FROM departures WHERE community_id = OLD.id; END;"
    /* ... and whether the community nudges its members (issue 14): the
     * welcome invites an introduction, a digest leads with a question
     * that waits for them. */
    "ALTER TABLE communities ADD COLUMN nudges INTEGER NOT NULL DEFAULT 1;",
    /* 11 (issue 19): screening for patient identifiers, 'hold' (the
     * default, also for communities that existed before: the risk is the
     * same for them) or 'off'; the words each community allows. */
    "ALTER TABLE communities ADD COLUMN screen_phi TEXT NOT NULL DEFAULT 'hold'"
    " CHECK (screen_phi IN ('hold','off'));"
    "CREATE TABLE screen_allow ("
    " community_id INTEGER NOT NULL REFERENCES communities(id) ON DELETE CASCADE,"
    " word TEXT NOT NULL COLLATE NOCASE,"
    " PRIMARY KEY (community_id, word)) WITHOUT ROWID;",
};

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
sqlite3_stmt *
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
gboolean
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

/* Step to the next row: 1 row, 0 done (ST reset), -1 error. */
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

/* The row helpers below own stepping, resetting and the "not found"
 * errors, so that each query in store-*.c is its SQL plus how a row
 * becomes a value (a store_row_fn) or lands somewhere (a store_read_fn). */

/* Set RD_NOTFOUND with the message FMT (nothing when FMT is NULL). */
static void
store_notfound(GError **error, const char *fmt, va_list ap)
{
	g_autofree char *msg = NULL;

	if (fmt == NULL)
		return;
	msg = g_strdup_vprintf(fmt, ap);
	g_set_error_literal(error, RD_ERROR, RD_NOTFOUND, msg);
}

int
store_first(rd_store *s, sqlite3_stmt *st, store_read_fn read, gpointer data, GError **error)
{
	int r;

	if (st == NULL || (r = store_row(s, st, error)) < 0)
		return -1;
	if (r > 0) {
		if (read)
			read(st, data);
		sqlite3_reset(st);
	}
	return r;
}

gboolean
store_found(rd_store *s, sqlite3_stmt *st, store_read_fn read, gpointer data, GError **error,
	    const char *fmt, ...)
{
	int r = store_first(s, st, read, data, error);
	va_list ap;

	if (r == 0) {
		va_start(ap, fmt);
		store_notfound(error, fmt, ap);
		va_end(ap);
	}
	return r > 0;
}

/* store_one reads its row through this: the builder and what it built. */
typedef struct {
	store_row_fn from_row;
	gpointer value;
} store_built;

static void
store_build(sqlite3_stmt *st, gpointer data)
{
	store_built *b = data;

	b->value = b->from_row(st);
}

gpointer
store_one_v(rd_store *s, sqlite3_stmt *st, store_row_fn from_row, GError **error,
	    const char *fmt, va_list ap)
{
	store_built b = {from_row, NULL};

	if (store_first(s, st, store_build, &b, error) == 0)
		store_notfound(error, fmt, ap);
	return b.value;
}

gpointer
store_one(rd_store *s, sqlite3_stmt *st, store_row_fn from_row, GError **error,
	  const char *fmt, ...)
{
	gpointer value;
	va_list ap;

	va_start(ap, fmt);
	value = store_one_v(s, st, from_row, error, fmt, ap);
	va_end(ap);
	return value;
}

gboolean
store_each(rd_store *s, sqlite3_stmt *st, store_read_fn read, gpointer data, GError **error)
{
	int r;

	if (st == NULL)
		return FALSE;
	while ((r = store_row(s, st, error)) > 0)
		read(st, data);
	return r == 0;
}

/* store_list's reader: build the row and append it to the array. */
typedef struct {
	store_row_fn from_row;
	GPtrArray *out;
} store_collected;

static void
store_collect(sqlite3_stmt *st, gpointer data)
{
	store_collected *c = data;

	g_ptr_array_add(c->out, c->from_row(st));
}

GPtrArray *
store_list(rd_store *s, sqlite3_stmt *st, store_row_fn from_row, GDestroyNotify free_row,
	   GError **error)
{
	g_autoptr(GPtrArray) out = g_ptr_array_new_with_free_func(free_row);
	store_collected c = {from_row, out};

	if (!store_each(s, st, store_collect, &c, error))
		return NULL;
	return g_steal_pointer(&out);
}

static gpointer
store_text0(sqlite3_stmt *st)
{
	return store_col_text(st, 0);
}

GPtrArray *
store_texts(rd_store *s, sqlite3_stmt *st, GError **error)
{
	return store_list(s, st, store_text0, g_free, error);
}

gboolean
store_insert(rd_store *s, sqlite3_stmt *st, gint64 *id, GError **error)
{
	if (!store_done(s, st, error))
		return FALSE;
	if (id)
		*id = sqlite3_last_insert_rowid(s->db);
	return TRUE;
}

const char *
store_setting_sql(const store_setting *settings, gsize n, const char *key)
{
	for (gsize i = 0; i < n; i++)
		if (strcmp(settings[i].key, key) == 0)
			return settings[i].sql;
	return NULL;
}

void
store_read_text(sqlite3_stmt *st, gpointer data)
{
	*(char **)data = store_col_text(st, 0);
}

void
store_read_texts(sqlite3_stmt *st, gpointer data)
{
	char ***out = data;

	for (int i = 0; i < 2; i++)
		if (out[i])
			*out[i] = store_col_text(st, i);
}

void
store_read_int(sqlite3_stmt *st, gpointer data)
{
	*(gint64 *)data = sqlite3_column_int64(st, 0);
}

gboolean
store_int(rd_store *s, sqlite3_stmt *st, gint64 *v, GError **error)
{
	*v = 0;
	return store_first(s, st, store_read_int, v, error) >= 0;
}

gboolean
store_update(rd_store *s, sqlite3_stmt *st, gboolean *changed, GError **error)
{
	if (!store_done(s, st, error))
		return FALSE;
	*changed = sqlite3_changes(s->db) > 0;
	return TRUE;
}

gboolean
store_changed(rd_store *s, sqlite3_stmt *st, GError **error, const char *fmt, ...)
{
	gboolean changed;
	va_list ap;

	if (!store_update(s, st, &changed, error))
		return FALSE;
	if (changed)
		return TRUE;
	va_start(ap, fmt);
	store_notfound(error, fmt, ap);
	va_end(ap);
	return FALSE;
}

char *
store_col_text(sqlite3_stmt *st, int i)
{
	const unsigned char *t = sqlite3_column_text(st, i);

	return t ? g_strdup((const char *)t) : NULL;
}

char *
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
	gint64 version;

	if (!store_int(s, store_prepare(s, error, "PRAGMA user_version", ""), &version, error))
		return FALSE;
	if (version > (int)G_N_ELEMENTS(migrations)) {
		g_set_error(error, RD_ERROR, RD_CONFIG,
			    "database %s has schema version %d, newer than this rounds (%d)",
			    s->path, (int)version, (int)G_N_ELEMENTS(migrations));
		return FALSE;
	}
	for (int v = (int)version; v < (int)G_N_ELEMENTS(migrations); v++) {
		g_autofree char *bump = g_strdup_printf("PRAGMA user_version = %d", v + 1);
		gint64 current;

		if (!rd_store_begin(s, error))
			return FALSE;
		/* Another process may have migrated while we waited for the lock. */
		if (!store_int(s, store_prepare(s, error, "PRAGMA user_version", ""), &current,
			       error)) {
			rd_store_rollback(s);
			return FALSE;
		}
		if (current > v) {
			rd_store_rollback(s);
			continue;
		}
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

/* Frames in the WAL past which a commit empties it (TRUNCATE checkpoint). */
#define STORE_WAL_FRAMES 1000

/* After each commit (SQLite's wal hook, in place of its automatic
 * checkpoint).  A process that opens the store while no other has it open
 * rebuilds the WAL index from the whole WAL file and takes every frame as
 * not yet copied (SQLite's WAL recovery), so a WAL kept between processes
 * and only checkpointed PASSIVE was read, and copied into the database
 * again, by every delivery.  A TRUNCATE checkpoint leaves it empty; without
 * the busy handler it never waits: with readers about, it copies what it
 * can and the next commit tries again. */
static int
store_wal_hook(void *data, sqlite3 *db, const char *name, int frames)
{
	rd_store *s = data;

	if (frames < STORE_WAL_FRAMES)
		return SQLITE_OK;
	sqlite3_busy_timeout(db, 0);
	sqlite3_wal_checkpoint_v2(db, name, SQLITE_CHECKPOINT_TRUNCATE, NULL, NULL);
	sqlite3_busy_timeout(db, s->busy_timeout_ms);
	return SQLITE_OK;
}

rd_store *
rd_store_open(const char *path, int busy_timeout_ms, GError **error)
{
	rd_store *s = g_new0(rd_store, 1);
	int persist_wal = 1;
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
	s->busy_timeout_ms = busy_timeout_ms;
	sqlite3_wal_hook(s->db, store_wal_hook, s);
	sqlite3_extended_result_codes(s->db, 1);
	/* A process per message must not checkpoint the WAL into the database
	 * and delete it on every exit: the WAL stays between processes and the
	 * scheduler checkpoints it (rd_store_checkpoint), and a commit that
	 * leaves more than STORE_WAL_FRAMES in it empties it (store_wal_hook). */
	sqlite3_db_config(s->db, SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1, NULL);
	sqlite3_file_control(s->db, "main", SQLITE_FCNTL_PERSIST_WAL, &persist_wal);
	/* WAL lets readers (digests, CLI) run while the MTA delivers;
	 * synchronous=FULL makes a commit durable before we exit 0.  The page
	 * cache (default 2 MB) and a memory map are sized for stores of a
	 * million messages; memory is only taken as pages are touched.  Temporary
	 * data (the savepoint journal of a batch, sorts) stays in memory: on
	 * disk it was the bulk of what an import wrote. */
	if (!store_exec(s, "PRAGMA journal_mode = WAL", error) ||
	    !store_exec(s, "PRAGMA synchronous = FULL", error) ||
	    !store_exec(s, "PRAGMA cache_size = -32768", error) ||
	    !store_exec(s, "PRAGMA mmap_size = 268435456", error) ||
	    !store_exec(s, "PRAGMA temp_store = MEMORY", error) ||
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
	if (s->batch) {
		if (!store_exec(s, "SAVEPOINT rd_one", error))
			return FALSE;
		s->savepoint = TRUE;
		return TRUE;
	}
	return store_done(s, store_prepare(s, error, "BEGIN IMMEDIATE", ""), error);
}

gboolean
rd_store_commit(rd_store *s, GError **error)
{
	if (s->batch) {
		if (!store_exec(s, "RELEASE rd_one", error))
			return FALSE;
		s->savepoint = FALSE;
		return TRUE;
	}
	return store_done(s, store_prepare(s, error, "COMMIT", ""), error);
}

void
rd_store_rollback(rd_store *s)
{
	if (s->batch) {
		/* Only the one message goes; the batch before it stays.  An
		 * I/O fault may have rolled back the whole batch already. */
		if (s->savepoint && !sqlite3_get_autocommit(s->db))
			sqlite3_exec(s->db, "ROLLBACK TO rd_one; RELEASE rd_one", NULL, NULL, NULL);
		s->savepoint = FALSE;
		return;
	}
	if (!sqlite3_get_autocommit(s->db))
		sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
}

gboolean
rd_store_batch_begin(rd_store *s, GError **error)
{
	g_return_val_if_fail(!s->batch, FALSE);
	if (!rd_store_begin(s, error))
		return FALSE;
	s->batch = TRUE;
	return TRUE;
}

gboolean
rd_store_batch_commit(rd_store *s, GError **error)
{
	g_return_val_if_fail(s->batch, FALSE);
	s->batch = FALSE;
	s->savepoint = FALSE;
	if (sqlite3_get_autocommit(s->db)) {
		/* A fault rolled the batch back under us: nothing is stored. */
		g_set_error(error, RD_ERROR, RD_TEMPFAIL, "%s: the batch was rolled back",
			    s->path);
		return FALSE;
	}
	if (!rd_store_commit(s, error)) {
		rd_store_rollback(s);
		return FALSE;
	}
	return TRUE;
}

void
rd_store_batch_rollback(rd_store *s)
{
	s->batch = FALSE;
	s->savepoint = FALSE;
	rd_store_rollback(s);
}

gboolean
rd_store_checkpoint(rd_store *s, GError **error)
{
	/* PASSIVE never waits for readers or writers: what it cannot copy now
	 * the next pass copies. */
	return store_exec(s, "PRAGMA wal_checkpoint(PASSIVE)", error);
}

