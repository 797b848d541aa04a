/* test-web.c - rd_web_handle() without a socket: the answers of rounds
 * web for each method, path and token, against a real (temporary) store
 * and the checkout's templates. */
#include <glib/gstdio.h>
#include <string.h>

#include "fanout.h"
#include "token.h"
#include "web.h"

typedef struct {
	char *dir;
	rd_store *s;
	GBytes *secret;
	char *templates;
	rd_context o;
	rd_web w;
	gint64 cid, bob;
} fixture;

static void
setup(fixture *f, gconstpointer data)
{
	g_autofree char *path = NULL;
	g_autoptr(GError) err = NULL;
	gint64 pa;

	f->dir = g_dir_make_tmp("test-web.XXXXXX", NULL);
	path = g_build_filename(f->dir, "rounds.db", NULL);
	f->s = rd_store_open(path, 1000, &err);
	g_assert_no_error(err);
	f->secret = g_bytes_new_static("0123456789abcdef0123456789abcdef", 32);
	/* Unit tests run from the top of the checkout, as test-command does. */
	f->templates =
	    g_strdup(g_getenv("ROUNDS_TEMPLATES") ? g_getenv("ROUNDS_TEMPLATES") : "templates");
	f->o = (rd_context){
	    .delimiter = '+', .secret = f->secret, .template_dir = f->templates, .home = f->dir};
	f->w = (rd_web){.store = f->s, .o = &f->o};
	g_assert_true(rd_store_community_create(f->s, "care", "lists.example.test", "Care Team",
	                                        "open", &f->cid, &err));
	g_assert_true(rd_store_person_ensure(f->s, "alice@example.org", NULL, &pa, &err));
	g_assert_true(rd_store_person_ensure(f->s, "bob@example.org", NULL, &f->bob, &err));
	g_assert_true(rd_store_member_add(f->s, f->cid, pa, "owner", "each", &err));
	g_assert_true(rd_store_member_add(f->s, f->cid, f->bob, "member", "each", &err));
}

static void
teardown(fixture *f, gconstpointer data)
{
	g_autofree char *path = g_build_filename(f->dir, "rounds.db", NULL);

	rd_store_close(f->s);
	g_bytes_unref(f->secret);
	g_free(f->templates);
	g_unlink(path);
	g_rmdir(f->dir);
	g_free(f->dir);
}

static gboolean
bob_is_member(fixture *f)
{
	g_autoptr(GError) err = NULL;
	g_autoptr(rd_member) m = rd_store_member_get(f->s, f->cid, "bob@example.org", &err);

	return m != NULL;
}

static guint
answer(fixture *f, const char *method, const char *path, const char *body, char **page)
{
	rd_web_response r;
	guint status;

	rd_web_handle(&f->w, method, path, body, body ? strlen(body) : 0, &r);
	status = r.status;
	if (page != NULL)
		*page = g_strdup(r.body);
	rd_web_response_clear(&r);
	return status;
}

static void
test_unsubscribe(fixture *f, gconstpointer data)
{
	g_autofree char *url = rd_fanout_unsubscribe_url(
	    f->secret, "https://x.example/r", "care", "lists.example.test", f->bob, RD_WEB_LEAVE);
	g_autofree char *path = g_strdup(strstr(url, "/u/"));
	g_autofree char *page = NULL, *upper = g_ascii_strup(path, -1);

	g_assert_cmpuint(answer(f, "GET", path, NULL, &page), ==, 200);
	g_assert_nonnull(strstr(page, "Care Team"));
	g_assert_nonnull(strstr(page, "value=\"One-Click\""));
	g_assert_true(bob_is_member(f));
	g_assert_cmpuint(answer(f, "HEAD", path, NULL, NULL), ==, 200);
	g_assert_cmpuint(answer(f, "PUT", path, "List-Unsubscribe=One-Click", NULL), ==, 405);
	g_assert_cmpuint(answer(f, "POST", path, NULL, NULL), ==, 400);
	g_assert_cmpuint(answer(f, "POST", path, "List-Unsubscribe=Two-Clicks", NULL), ==, 400);
	g_assert_true(bob_is_member(f));
	/* Tokens are matched case-insensitively, as in addresses. */
	upper[1] = 'u';
	g_assert_cmpuint(answer(f, "POST", upper, "List-Unsubscribe=One-Click", NULL), ==, 200);
	g_assert_false(bob_is_member(f));
	g_assert_cmpuint(answer(f, "POST", path, "List-Unsubscribe=One-Click", NULL), ==, 200);
}

static void
test_not_found(fixture *f, gconstpointer data)
{
	g_autofree char *cmd = rd_token_make(f->secret, RD_TOKEN_COMMAND, "care",
	                                     "lists.example.test", (guint64)f->bob, 0);
	g_autofree char *other =
	    rd_token_make(f->secret, RD_TOKEN_WEB, "care", "other.example", (guint64)f->bob, 0);
	g_autofree char *good = rd_token_make(f->secret, RD_TOKEN_WEB, "care", "lists.example.test",
	                                      (guint64)f->bob, 0);
	const char *const paths[] = {"/",          "/u/",   "/u", "/x/abc", "/u/../../etc/passwd",
	                             "/u/abc?x=1", "/c/abc"};
	g_autofree char *p1 = g_strdup_printf("/u/%s", cmd);
	g_autofree char *p2 = g_strdup_printf("/u/%s", other);
	g_autofree char *p3 = g_strdup_printf("/u/%.*s", (int)strlen(good) - 3, good);
	g_autofree char *p4 = g_strdup_printf("/c/%s", good);
	g_autofree char *page = NULL;

	for (guint i = 0; i < G_N_ELEMENTS(paths); i++)
		g_assert_cmpuint(answer(f, "POST", paths[i], "List-Unsubscribe=One-Click", NULL),
		                 ==, 404);
	g_assert_cmpuint(answer(f, "POST", p1, "List-Unsubscribe=One-Click", NULL), ==, 404);
	g_assert_cmpuint(answer(f, "POST", p2, "List-Unsubscribe=One-Click", NULL), ==, 404);
	g_assert_cmpuint(answer(f, "POST", p3, "List-Unsubscribe=One-Click", NULL), ==, 404);
	g_assert_cmpuint(answer(f, "POST", p4, "confirm=yes", &page), ==, 404);
	g_assert_nonnull(strstr(page, "Not found"));
	g_assert_true(bob_is_member(f));
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_mime_init();
	g_test_add("/web/unsubscribe", fixture, NULL, setup, test_unsubscribe, teardown);
	g_test_add("/web/not-found", fixture, NULL, setup, test_not_found, teardown);
	return g_test_run();
}
