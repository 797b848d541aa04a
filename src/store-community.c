/* store-community.c - communities: their names, policies, list-copy settings
 * and where digest replies go (table communities). */
#include <sqlite3.h>
#include <string.h>

#include "store-internal.h"

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
	c->name = store_col_text(st, 1);
	c->domain = store_col_text(st, 2);
	c->title = store_col_text(st, 3);
	c->policy = store_col_text(st, 4);
	c->accept_auto = sqlite3_column_int(st, 5);
	c->created = store_col_text(st, 6);
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
	f->footer = store_col_text(st, 1);
	f->reply_to = store_col_text(st, 2);
	f->dmarc_mitigation = store_col_text(st, 3);
	f->archive_url = store_col_text(st, 4);
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

GPtrArray *
rd_store_community_domains(rd_store *s, GError **error)
{
	return store_texts(
	    s, store_prepare(s, error, "SELECT DISTINCT lower(domain) FROM communities", ""),
	    error);
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
	*mode = r > 0 ? store_col_text(st, 0) : g_strdup("list");
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
