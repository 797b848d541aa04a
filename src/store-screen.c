/* store-screen.c - screening settings of a community (migration 9): the
 * mode (communities.screen_phi) and the allowlist (screen_allow), and
 * what screening allows, members' names and addresses included. */
#include "store-internal.h"

gboolean
rd_store_screen_mode(rd_store *s, gint64 community_id, char **mode, GError **error)
{
	int r;

	*mode = NULL;
	r = store_first(s,
			store_prepare(s, error, "SELECT screen_phi FROM communities WHERE id = ?",
				      "i", community_id),
			store_read_text, mode, error);
	if (r < 0)
		return FALSE;
	if (r == 0)
		*mode = g_strdup("hold");
	return TRUE;
}

gboolean
rd_store_screen_set_mode(rd_store *s, gint64 community_id, const char *mode, GError **error)
{
	return store_done(s,
			  store_prepare(s, error, "UPDATE communities SET screen_phi = ? WHERE id = ?",
					"ti", mode, community_id),
			  error);
}

gboolean
rd_store_screen_allow_add(rd_store *s, gint64 community_id, const char *word, GError **error)
{
	return store_done(s,
			  store_prepare(s, error,
					"INSERT OR IGNORE INTO screen_allow (community_id, word)"
					" VALUES (?, ?)",
					"it", community_id, word),
			  error);
}

GPtrArray *
rd_store_screen_allow_list(rd_store *s, gint64 community_id, GError **error)
{
	return store_texts(s,
			   store_prepare(s, error,
					 "SELECT word FROM screen_allow WHERE community_id = ?"
					 " ORDER BY word",
					 "i", community_id),
			   error);
}

GPtrArray *
rd_store_screen_allowed(rd_store *s, gint64 community_id, GError **error)
{
	return store_texts(
	    s,
	    store_prepare(s, error,
			  "SELECT word FROM screen_allow WHERE community_id = ?1"
			  " UNION SELECT p.name FROM memberships m JOIN people p ON p.id = m.person_id"
			  "  WHERE m.community_id = ?1 AND p.name IS NOT NULL AND p.name <> ''"
			  " UNION SELECT p.address FROM memberships m JOIN people p ON p.id = m.person_id"
			  "  WHERE m.community_id = ?1",
			  "i", community_id),
	    error);
}
