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

/* Collect the posted messages connected to M through references. */
static gboolean
thread_component(rd_store *s, rd_stored_message *m, GPtrArray *out, GError **error)
{
	g_autoptr(GHashTable) ids = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	g_autoptr(GHashTable) rows = g_hash_table_new(g_int64_hash, g_int64_equal);
	g_autoptr(GQueue) todo = g_queue_new();

	g_hash_table_add(ids, g_strdup(m->message_id));
	g_queue_push_tail(todo, g_strdup(m->message_id));
	while (!g_queue_is_empty(todo)) {
		g_autofree char *id = g_queue_pop_head(todo);
		g_autoptr(GPtrArray) found = rd_store_messages_touching(s, m->community_id, id, error);

		if (found == NULL)
			return FALSE;
		for (guint i = 0; i < found->len; i++) {
			rd_stored_message *f = found->pdata[i];
			char **r = f->refs;

			if (g_hash_table_contains(rows, &f->id))
				continue;
			found->pdata[i] = NULL;
			g_ptr_array_add(out, f);
			g_hash_table_add(rows, &f->id);
			if (!g_hash_table_contains(ids, f->message_id)) {
				g_hash_table_add(ids, g_strdup(f->message_id));
				g_queue_push_tail(todo, g_strdup(f->message_id));
			}
			for (guint k = 0; r && r[k]; k++) {
				if (g_hash_table_contains(ids, r[k]))
					continue;
				g_hash_table_add(ids, g_strdup(r[k]));
				g_queue_push_tail(todo, g_strdup(r[k]));
			}
		}
		g_ptr_array_set_free_func(found, NULL);
		for (guint i = 0; i < found->len; i++)
			rd_stored_message_free(found->pdata[i]);
	}
	return TRUE;
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

gboolean
rd_thread_link(rd_store *s, rd_stored_message *m, int window_days, GError **error)
{
	g_autoptr(GPtrArray) comp =
	    g_ptr_array_new_with_free_func((GDestroyNotify)rd_stored_message_free);
	g_autoptr(GPtrArray) orphans = NULL;
	g_autoptr(GArray) threads = g_array_new(FALSE, FALSE, sizeof(gint64));
	g_autofree rd_thread_node **nodes = NULL;
	g_autofree rd_thread_node *store_nodes = NULL;
	g_autofree char *fallback = NULL;
	gint64 window = (gint64)window_days * 86400;
	gint64 keep = 0;
	gboolean no_refs = m->refs == NULL || m->refs[0] == NULL;

	if (!thread_component(s, m, comp, error))
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

	for (guint i = 0; i < comp->len; i++)
		add_thread(threads, ((rd_stored_message *)comp->pdata[i])->thread_id);
	for (guint i = 0; orphans && i < orphans->len; i++) {
		rd_stored_message *o = orphans->pdata[i];

		if (strcmp(o->message_id, m->message_id) != 0)
			add_thread(threads, o->thread_id);
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

	nodes = g_new0(rd_thread_node *, comp->len);
	store_nodes = g_new0(rd_thread_node, comp->len);
	for (guint i = 0; i < comp->len; i++) {
		rd_stored_message *c = comp->pdata[i];

		if (c->id == m->id) {
			g_free(c->fallback_parent);
			c->fallback_parent = g_strdup(fallback);
		}
		store_nodes[i].message_id = c->message_id;
		store_nodes[i].refs = c->refs;
		store_nodes[i].fallback_parent = c->fallback_parent;
		store_nodes[i].date = c->date;
		nodes[i] = &store_nodes[i];
	}
	rd_thread_assign_parents(nodes, comp->len);
	for (guint i = 0; i < comp->len; i++) {
		rd_stored_message *c = comp->pdata[i];

		if (!rd_store_message_set_thread(s, c->id, keep, nodes[i]->parent,
						 c->fallback_parent, error))
			return FALSE;
	}
	for (guint i = 0; orphans && i < orphans->len; i++) {
		rd_stored_message *o = orphans->pdata[i];

		if (strcmp(o->message_id, m->message_id) == 0)
			continue;
		if (!rd_store_message_set_thread(s, o->id, keep, m->message_id, m->message_id,
						 error))
			return FALSE;
	}
	return rd_store_thread_refresh(s, keep, error);
}
