/* store-community.c - communities: their names, policies, list-copy settings
 * and where digest replies go (table communities). */
#include <sqlite3.h>

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

static gpointer
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

	return store_insert(
	    s,
	    store_prepare(s, error,
			  "INSERT INTO communities (name, domain, title, policy, created) VALUES "
			  "(?,?,?,?,?)",
			  "ttttt", name, domain, title, policy, now),
	    id, error);
}

rd_community *
rd_store_community_get(rd_store *s, const char *name, const char *domain, GError **error)
{
	return store_one(
	    s,
	    store_prepare(s, error,
			  "SELECT " COMMUNITY_COLS " FROM communities WHERE name = ? AND domain = ?",
			  "tt", name, domain),
	    community_from_row, error, "no community %s@%s", name, domain);
}

rd_community *
rd_store_community_get_by_id(rd_store *s, gint64 id, GError **error)
{
	return store_one(
	    s,
	    store_prepare(s, error, "SELECT " COMMUNITY_COLS " FROM communities WHERE id = ?",
			  "i", id),
	    community_from_row, error, "no community #%" G_GINT64_FORMAT, id);
}

GPtrArray *
rd_store_community_list(rd_store *s, GError **error)
{
	return store_list(
	    s,
	    store_prepare(s, error,
			  "SELECT " COMMUNITY_COLS " FROM communities ORDER BY domain, name", ""),
	    community_from_row, (GDestroyNotify)rd_community_free, error);
}

GPtrArray *
rd_store_community_domains(rd_store *s, GError **error)
{
	return store_texts(
	    s, store_prepare(s, error, "SELECT DISTINCT lower(domain) FROM communities", ""),
	    error);
}

/* Set KEY of community ID through its statement among N SETTINGS. */
static gboolean
community_set(rd_store *s, const store_setting *settings, gsize n, gint64 id, const char *key,
	      const char *value, GError **error)
{
	const char *sql = store_setting_sql(settings, n, key);

	if (sql == NULL) {
		g_set_error(error, RD_ERROR, RD_USAGE, "unknown community setting %s", key);
		return FALSE;
	}
	return store_done(s, store_prepare(s, error, sql, "ti", value, id), error);
}

gboolean
rd_store_community_set(rd_store *s, gint64 id, const char *key, const char *value,
		       GError **error)
{
	static const store_setting settings[] = {
	    {"title", "UPDATE communities SET title = ? WHERE id = ?"},
	    {"policy", "UPDATE communities SET policy = ? WHERE id = ?"},
	    {"accept_auto", "UPDATE communities SET accept_auto = ? WHERE id = ?"},
	};

	return community_set(s, settings, G_N_ELEMENTS(settings), id, key, value, error);
}

/* ---- list-copy settings (migration 3) ---- */

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

static gpointer
fanout_settings_from_row(sqlite3_stmt *st)
{
	rd_fanout_settings *f = g_new0(rd_fanout_settings, 1);

	f->subject_prefix = sqlite3_column_int(st, 0);
	f->footer = store_col_text(st, 1);
	f->reply_to = store_col_text(st, 2);
	f->dmarc_mitigation = store_col_text(st, 3);
	f->archive_url = store_col_text(st, 4);
	return f;
}

rd_fanout_settings *
rd_store_fanout_settings(rd_store *s, gint64 community_id, GError **error)
{
	return store_one(s,
			 store_prepare(s, error,
				       "SELECT subject_prefix, footer, reply_to, dmarc_mitigation, "
				       "archive_url FROM communities WHERE id = ?",
				       "i", community_id),
			 fanout_settings_from_row, error, "no community #%" G_GINT64_FORMAT,
			 community_id);
}

gboolean
rd_store_fanout_set(rd_store *s, gint64 community_id, const char *key, const char *value,
		    GError **error)
{
	static const store_setting settings[] = {
	    {"subject_prefix", "UPDATE communities SET subject_prefix = ? WHERE id = ?"},
	    {"footer", "UPDATE communities SET footer = ? WHERE id = ?"},
	    {"reply_to", "UPDATE communities SET reply_to = ? WHERE id = ?"},
	    {"dmarc_mitigation", "UPDATE communities SET dmarc_mitigation = ? WHERE id = ?"},
	    {"archive_url", "UPDATE communities SET archive_url = ? WHERE id = ?"},
	};

	return community_set(s, settings, G_N_ELEMENTS(settings), community_id, key, value,
			     error);
}

/* ---- where digest replies go (migration 6) ---- */

gboolean
rd_store_command_replies(rd_store *s, gint64 community_id, char **mode, GError **error)
{
	int r;

	*mode = NULL;
	r = store_first(s,
			store_prepare(s, error, "SELECT replies FROM communities WHERE id = ?",
				      "i", community_id),
			store_read_text, mode, error);
	if (r < 0)
		return FALSE;
	if (r == 0)
		*mode = g_strdup("list");
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

/* ---- nudges to members (issue 14) ---- */

gboolean
rd_store_community_nudges(rd_store *s, gint64 community_id, gboolean *on, GError **error)
{
	gint64 v = 1;

	if (store_first(s,
			store_prepare(s, error, "SELECT nudges FROM communities WHERE id = ?", "i",
				      community_id),
			store_read_int, &v, error) < 0)
		return FALSE;
	*on = v != 0;
	return TRUE;
}

gboolean
rd_store_community_set_nudges(rd_store *s, gint64 community_id, gboolean on, GError **error)
{
	return store_done(s,
			  store_prepare(s, error, "UPDATE communities SET nudges = ? WHERE id = ?",
					"ii", (gint64)(on ? 1 : 0), community_id),
			  error);
}
