/* thread.c - order-independent JWZ threading. */
#include <string.h>

#include "subject.h"
#include "thread.h"

/* The parent of a ghost: the id that most often precedes it in the chains
 * that mention it; ties go to the smallest id. */
static const char *
ghost_parent(GHashTable *votes, const char *ghost)
{
	GHashTable *v = g_hash_table_lookup(votes, ghost);
	GHashTableIter it;
	gpointer key, val;
	const char *best = NULL;
	guint best_n = 0;

	if (v == NULL)
		return NULL;
	g_hash_table_iter_init(&it, v);
	while (g_hash_table_iter_next(&it, &key, &val)) {
		guint n = GPOINTER_TO_UINT(val);

		if (n > best_n || (n == best_n && strcmp(key, best) < 0)) {
			best = key;
			best_n = n;
		}
	}
	return best;
}

static int
node_cmp(const rd_thread_node *a, const rd_thread_node *b)
{
	if (a->date != b->date)
		return a->date < b->date ? -1 : 1;
	return strcmp(a->message_id, b->message_id);
}

void
rd_thread_assign_parents(rd_thread_node **nodes, guint n)
{
	g_autoptr(GHashTable) real = g_hash_table_new(g_str_hash, g_str_equal);
	g_autoptr(GHashTable) votes = g_hash_table_new_full(g_str_hash, g_str_equal, NULL,
							    (GDestroyNotify)g_hash_table_unref);
	g_autoptr(GHashTable) state = g_hash_table_new(g_direct_hash, g_direct_equal);

	for (guint i = 0; i < n; i++)
		g_hash_table_insert(real, (gpointer)nodes[i]->message_id, nodes[i]);
	for (guint i = 0; i < n; i++) {
		char **r = nodes[i]->refs;

		for (guint k = 1; r && r[0] && r[k]; k++) {
			GHashTable *v;

			if (g_hash_table_contains(real, r[k]))
				continue;
			v = g_hash_table_lookup(votes, r[k]);
			if (v == NULL) {
				v = g_hash_table_new(g_str_hash, g_str_equal);
				g_hash_table_insert(votes, r[k], v);
			}
			g_hash_table_insert(
			    v, r[k - 1],
			    GUINT_TO_POINTER(GPOINTER_TO_UINT(g_hash_table_lookup(v, r[k - 1])) + 1));
		}
	}
	/* Nearest present ancestor, crossing ghosts. */
	for (guint i = 0; i < n; i++) {
		rd_thread_node *m = nodes[i];
		g_autoptr(GHashTable) seen = g_hash_table_new(g_str_hash, g_str_equal);
		guint len = m->refs ? g_strv_length(m->refs) : 0;
		const char *p = len > 0 ? m->refs[len - 1] : m->fallback_parent;

		m->parent = NULL;
		g_hash_table_add(seen, (gpointer)m->message_id);
		/* The last id is In-Reply-To when there is one (see
		 * rd_message_ref_chain): when nobody has seen it, the message's
		 * own References say what came before it, not the other chains. */
		if (len > 1 && !g_hash_table_contains(real, p) &&
		    g_hash_table_contains(real, m->refs[len - 2]) &&
		    strcmp(m->refs[len - 2], m->message_id) != 0)
			p = m->refs[len - 2];
		while (p != NULL && !g_hash_table_contains(seen, p)) {
			rd_thread_node *pn = g_hash_table_lookup(real, p);

			if (pn != NULL) {
				m->parent = pn->message_id;
				break;
			}
			g_hash_table_add(seen, (gpointer)p);
			p = ghost_parent(votes, p);
		}
	}
	/* Break loops among present messages: in each cycle the earliest
	 * message (then the smallest id) becomes a root.  state: 1 = on the
	 * current path, 2 = done. */
	for (guint i = 0; i < n; i++) {
		g_autoptr(GPtrArray) path = g_ptr_array_new();
		rd_thread_node *x = nodes[i];

		while (x != NULL && g_hash_table_lookup(state, x) == NULL) {
			g_hash_table_insert(state, x, GINT_TO_POINTER(1));
			g_ptr_array_add(path, x);
			x = x->parent ? g_hash_table_lookup(real, x->parent) : NULL;
		}
		if (x != NULL && GPOINTER_TO_INT(g_hash_table_lookup(state, x)) == 1) {
			rd_thread_node *first = x, *y = x;

			do {
				if (node_cmp(y, first) < 0)
					first = y;
				y = g_hash_table_lookup(real, y->parent);
			} while (y != x);
			first->parent = NULL;
		}
		for (guint k = 0; k < path->len; k++)
			g_hash_table_insert(state, path->pdata[k], GINT_TO_POINTER(2));
	}
}

static void
add_thread(GArray *threads, gint64 t)
{
	if (t == 0)
		return;
	for (guint i = 0; i < threads->len; i++)
		if (g_array_index(threads, gint64, i) == t)
			return;
	g_array_append_val(threads, t);
}

/* The work is a constant number of statements whatever the number of
 * references (capped when parsed, see rd_message_refs_cap) plus one per
 * merged thread and one per message whose parent changes.  A thread is a
 * union of connected components (every message linked so far merged the
 * threads it touched), so the component of M lies within M and the
 * threads M touches; parents are recomputed over the merged thread, where
 * messages of other components cannot change each other's answer (ghost
 * votes come only from chains naming the ghost). */
gboolean
rd_thread_link(rd_store *s, rd_stored_message *m, int window_days, GError **error)
{
	g_autoptr(GPtrArray) comp = NULL;
	g_autoptr(GPtrArray) orphans = NULL;
	g_autoptr(GArray) threads = g_array_new(FALSE, FALSE, sizeof(gint64));
	g_autoptr(GArray) touched = g_array_new(FALSE, FALSE, sizeof(gint64));
	g_autoptr(GHashTable) adopted = g_hash_table_new(g_int64_hash, g_int64_equal);
	g_autofree rd_thread_node **nodes = NULL;
	g_autofree rd_thread_node *store_nodes = NULL;
	g_autofree char *fallback = NULL;
	gint64 window = (gint64)window_days * 86400;
	gint64 keep = 0;
	gboolean no_refs = m->refs == NULL || m->refs[0] == NULL;

	if (!rd_store_thread_touching(s, m->community_id, m->id, touched, error))
		return FALSE;

	/* A reply without references joins the most recent thread with the
	 * same subject; a new root adopts such replies that came before it. */
	if (no_refs && m->is_reply && *m->norm_subject != '\0') {
		g_autoptr(GError) err = NULL;
		g_autoptr(rd_stored_message) match = rd_store_subject_match(
		    s, m->community_id, m->norm_subject, m->date - window, m->date, &err);

		if (err != NULL) {
			g_propagate_error(error, g_steal_pointer(&err));
			return FALSE;
		}
		if (match != NULL) {
			g_autoptr(rd_stored_message) root = rd_store_thread_root(s, match->thread_id, &err);

			if (err != NULL) {
				g_propagate_error(error, g_steal_pointer(&err));
				return FALSE;
			}
			fallback = g_strdup(root ? root->message_id : match->message_id);
			add_thread(threads, match->thread_id);
		}
	} else if (no_refs && *m->norm_subject != '\0') {
		orphans = rd_store_subject_orphans(s, m->community_id, m->norm_subject, m->date,
						   m->date + window, error);
		if (orphans == NULL)
			return FALSE;
	}

	for (guint i = 0; i < touched->len; i++)
		add_thread(threads, g_array_index(touched, gint64, i));
	for (guint i = 0; orphans && i < orphans->len; i++) {
		rd_stored_message *o = orphans->pdata[i];

		if (o->id != m->id) {
			add_thread(threads, o->thread_id);
			g_hash_table_add(adopted, &o->id);
		}
	}
	for (guint i = 0; i < threads->len; i++) {
		gint64 t = g_array_index(threads, gint64, i);

		if (keep == 0 || t < keep)
			keep = t;
	}
	if (keep == 0 && !rd_store_thread_create(s, m->community_id, m->subject, &keep, error))
		return FALSE;
	for (guint i = 0; i < threads->len; i++)
		if (!rd_store_thread_merge(s, g_array_index(threads, gint64, i), keep, error))
			return FALSE;

	comp = rd_store_thread_nodes(s, keep, m->id, error);
	if (comp == NULL)
		return FALSE;
	nodes = g_new0(rd_thread_node *, comp->len);
	store_nodes = g_new0(rd_thread_node, comp->len);
	for (guint i = 0; i < comp->len; i++) {
		rd_stored_message *c = comp->pdata[i];

		store_nodes[i].message_id = c->message_id;
		store_nodes[i].refs = c->refs;
		store_nodes[i].fallback_parent = c->fallback_parent;
		store_nodes[i].date = c->date;
		/* The new message's subject match, and the orphans it adopts
		 * (they have no references, so the fallback is their parent). */
		if (c->id == m->id)
			store_nodes[i].fallback_parent = fallback;
		else if (g_hash_table_contains(adopted, &c->id))
			store_nodes[i].fallback_parent = m->message_id;
		nodes[i] = &store_nodes[i];
	}
	rd_thread_assign_parents(nodes, comp->len);
	/* Write only what changed: an ordinary reply updates itself alone. */
	for (guint i = 0; i < comp->len; i++) {
		rd_stored_message *c = comp->pdata[i];

		if (c->id != m->id && g_strcmp0(c->parent_message_id, nodes[i]->parent) == 0 &&
		    g_strcmp0(c->fallback_parent, nodes[i]->fallback_parent) == 0)
			continue;
		if (!rd_store_message_set_thread(s, c->id, keep, nodes[i]->parent,
						 nodes[i]->fallback_parent, error))
			return FALSE;
	}
	return rd_store_thread_refresh(s, keep, error);
}
