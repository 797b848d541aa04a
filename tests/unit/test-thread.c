/* test-thread.c - reference chains and order-independent parent choice. */
#include <glib/gstdio.h>
#include <string.h>

#include "message.h"
#include "thread.h"

static char *
chain_str(char **chain)
{
	return g_strjoinv(" ", chain);
}

static void
test_chain_rules(void)
{
	static const struct {
		const char *refs, *irt, *self, *want;
	} cases[] = {
	    {NULL, NULL, "m", ""},
	    {"<a@x> <b@x>", NULL, "m", "a@x b@x"},
	    {NULL, "<b@x>", "m", "b@x"},
	    /* A clean In-Reply-To is moved (or added) to the end, where the
	     * parent is looked for first. */
	    {"<a@x> <b@x> <c@x>", "<b@x>", "m", "a@x c@x b@x"},
	    {"<a@x> <b@x>", "<z@x>", "m", "a@x b@x z@x"},
	    {"<a@x> <b@x>", " <b@x>\r\n", "m", "a@x b@x"},
	    /* A dodgy one (several ids, comments) is ignored when there are
	     * References. */
	    {"<a@x> <b@x>", "<y@x> <z@x>", "m", "a@x b@x"},
	    {"<a@x> <b@x>", "<z@x> (Zoe's message of Monday)", "m", "a@x b@x"},
	    {"<a@x> <b@x>", "Your message of Dec 31 <z@x>", "m", "a@x b@x"},
	    /* Garbage between ids is skipped. */
	    {"<x@y> garbage <z@w>", NULL, "m", "x@y z@w"},
	    {NULL, "Your message of Dec 31 <bar@baz.com>", "m", "bar@baz.com"},
	    /* Self references and duplicates are dropped, the last kept. */
	    {"<a@x> <m@x> <b@x> <a@x>", NULL, "m@x", "b@x a@x"},
	    {"not an id at all", NULL, "m", ""},
	    /* An id without '@' is garbage, not the end of the list. */
	    {"<a@x> <1234> <b@x>", NULL, "m", "a@x b@x"},
	    {"<a@x> <b@x", NULL, "m", "a@x"},
	    {NULL, "<a@x> (sent from phone)", "m", "a@x"},
	};

	for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_auto(GStrv) chain = rd_message_ref_chain(cases[i].refs, cases[i].irt, cases[i].self);
		g_autofree char *got = chain_str(chain);

		g_assert_cmpstr(got, ==, cases[i].want);
	}
}

typedef struct {
	const char *id;
	const char *refs; /* space separated */
	gint64 date;
	const char *parent;
} spec;

/* Run the parent assignment over SPECS in the order given by PERM. */
static void
check_parents(const spec *specs, guint n, const guint *perm)
{
	g_autofree rd_thread_node *nodes = g_new0(rd_thread_node, n);
	g_autofree rd_thread_node **ptrs = g_new0(rd_thread_node *, n);
	GPtrArray *chains = g_ptr_array_new_with_free_func((GDestroyNotify)g_strfreev);

	for (guint i = 0; i < n; i++) {
		const spec *sp = &specs[perm[i]];
		char **refs = *sp->refs ? g_strsplit(sp->refs, " ", -1) : g_new0(char *, 1);

		g_ptr_array_add(chains, refs);
		nodes[i].message_id = sp->id;
		nodes[i].refs = refs;
		nodes[i].date = sp->date;
		ptrs[i] = &nodes[i];
	}
	rd_thread_assign_parents(ptrs, n);
	for (guint i = 0; i < n; i++)
		g_assert_cmpstr(nodes[i].parent, ==, specs[perm[i]].parent);
	g_ptr_array_unref(chains);
}

static void
permute(const spec *specs, guint n, guint *perm, guint k)
{
	if (k == n) {
		check_parents(specs, n, perm);
		return;
	}
	for (guint i = k; i < n; i++) {
		guint t = perm[k];
		perm[k] = perm[i];
		perm[i] = t;
		permute(specs, n, perm, k + 1);
		perm[i] = perm[k];
		perm[k] = t;
	}
}

static void
all_orders(const spec *specs, guint n)
{
	guint perm[8];

	g_assert(n <= G_N_ELEMENTS(perm));
	for (guint i = 0; i < n; i++)
		perm[i] = i;
	permute(specs, n, perm, 0);
}

static void
test_chain_shape(void)
{
	const spec s[] = {{"a", "", 1, NULL}, {"b", "a", 2, "a"}, {"c", "a b", 3, "b"},
			  {"d", "a b c", 4, "c"}};
	all_orders(s, G_N_ELEMENTS(s));
}

static void
test_ghost_parent(void)
{
	/* x is missing: b and c hang under a, where x would have been. */
	const spec s[] = {{"a", "", 1, NULL}, {"b", "a x", 2, "a"}, {"c", "a x", 3, "a"},
			  {"d", "a x c", 4, "c"}};
	all_orders(s, G_N_ELEMENTS(s));
}

static void
test_ghost_learned_from_others(void)
{
	/* b names only the ghost x; c tells that x's parent is a. */
	const spec s[] = {{"a", "", 1, NULL}, {"b", "x", 2, "a"}, {"c", "a x", 3, "a"}};
	all_orders(s, G_N_ELEMENTS(s));
}

static void
test_ghost_root(void)
{
	/* Nothing present above the ghost: both are roots of one thread. */
	const spec s[] = {{"b", "x", 2, NULL}, {"c", "x", 3, NULL}, {"d", "x c", 4, "c"}};
	all_orders(s, G_N_ELEMENTS(s));
}

static void
test_loop(void)
{
	/* a and b name each other; the earlier one becomes the root. */
	const spec s[] = {{"a", "b", 1, NULL}, {"b", "a", 2, "a"}, {"c", "b", 3, "b"}};
	all_orders(s, G_N_ELEMENTS(s));
}

static void
test_ghost_loop(void)
{
	/* Ghosts naming each other in a circle must not hang the walk. */
	const spec s[] = {{"a", "y x", 1, NULL}, {"b", "x y", 2, NULL}};
	all_orders(s, G_N_ELEMENTS(s));
}

static void
test_chain_cap(void)
{
	GString *refs = g_string_new(NULL);
	g_auto(GStrv) chain = NULL;
	g_auto(GStrv) short_chain = NULL;

	/* A hostile header: the root, 19,998 ids and the parent. */
	for (int i = 0; i < 20000; i++)
		g_string_append_printf(refs, "<id%d@x> ", i);
	chain = rd_message_ref_chain(refs->str, "<id19999@x>", "m@x");
	g_string_free(refs, TRUE);
	g_assert_cmpuint(g_strv_length(chain), ==, RD_MESSAGE_REFS_MAX);
	g_assert_cmpstr(chain[0], ==, "id0@x");
	g_assert_cmpstr(chain[1], ==, "id19900@x");
	g_assert_cmpstr(chain[RD_MESSAGE_REFS_MAX - 1], ==, "id19999@x");

	/* A chain at the limit, and no chain, stay as they are. */
	short_chain = g_new0(char *, RD_MESSAGE_REFS_MAX + 1);
	for (int i = 0; i < RD_MESSAGE_REFS_MAX; i++)
		short_chain[i] = g_strdup_printf("s%d@x", i);
	g_assert_true(rd_message_refs_cap(short_chain) == short_chain);
	g_assert_cmpuint(g_strv_length(short_chain), ==, RD_MESSAGE_REFS_MAX);
	g_assert_cmpstr(short_chain[1], ==, "s1@x");
	g_assert_null(rd_message_refs_cap(NULL));
}

/* Threads merged away answer to their old ids, through chains of merges,
 * and their ids are never handed out again. */
static void
test_merge_alias(void)
{
	g_autoptr(GError) err = NULL;
	g_autofree char *dir = g_dir_make_tmp("test-thread-XXXXXX", &err);
	g_autofree char *path = g_build_filename(dir, "rounds.db", NULL);
	g_autofree char *wal = g_strconcat(path, "-wal", NULL);
	g_autofree char *shm = g_strconcat(path, "-shm", NULL);
	rd_store *s = rd_store_open(path, 5000, &err);
	gint64 cid, c, b, a, fresh;

	g_assert_no_error(err);
	g_assert_true(rd_store_community_create(s, "care", "lists.example.test", "Care", "open",
						&cid, &err));
	g_assert_true(rd_store_thread_create(s, cid, "C", &c, &err));
	g_assert_true(rd_store_thread_create(s, cid, "B", &b, &err));
	g_assert_true(rd_store_thread_create(s, cid, "A", &a, &err));
	g_assert_true(rd_store_thread_merge(s, a, b, &err));
	/* A was the highest id: SQLite alone would give it out again. */
	g_assert_true(rd_store_thread_create(s, cid, "Fresh", &fresh, &err));
	g_assert_cmpint(fresh, >, a);
	g_assert_true(rd_store_thread_merge(s, b, c, &err));
	g_assert_no_error(err);
	for (gint64 id = c; id <= a; id++) {
		g_autoptr(rd_thread_info) t = rd_store_thread_get(s, id, &err);

		g_assert_no_error(err);
		g_assert_cmpint(t->id, ==, c);
		g_assert_cmpstr(t->subject, ==, "C");
	}
	rd_store_close(s);
	g_unlink(wal);
	g_unlink(shm);
	g_unlink(path);
	g_rmdir(dir);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/thread/chain-rules", test_chain_rules);
	g_test_add_func("/thread/chain-shape", test_chain_shape);
	g_test_add_func("/thread/ghost-parent", test_ghost_parent);
	g_test_add_func("/thread/ghost-learned", test_ghost_learned_from_others);
	g_test_add_func("/thread/ghost-root", test_ghost_root);
	g_test_add_func("/thread/loop", test_loop);
	g_test_add_func("/thread/ghost-loop", test_ghost_loop);
	g_test_add_func("/thread/chain-cap", test_chain_cap);
	g_test_add_func("/thread/merge-alias", test_merge_alias);
	return g_test_run();
}
