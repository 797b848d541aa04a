/* fuzz-web.c - the HTTP request handler of rounds web (web.c
 * rd_web_handle): the first line is "METHOD PATH", the rest the body.
 * "TOKEN0" and "TOKEN1" in the path become bob's real unsubscribe tokens
 * (leave, stop the digest), so that the paths past the token check are
 * reached; the store is made anew every 200 inputs. */
#include "fuzz.h"
#include "token.h"
#include "web.h"

static rd_store *store;
static rd_context ctx;
static gint64 bob;
static guint runs;

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	g_autofree char *s = fuzz_str(data, size);
	g_autofree char *t0 = NULL, *t1 = NULL, *path = NULL;
	const char *method = "GET", *body = NULL, *p;
	gsize body_len = 0;
	rd_web_response r = {0};
	rd_web w;
	char *nl, *sp;

	fuzz_init();
	if (store != NULL && ++runs % 200 == 0) {
		g_bytes_unref(ctx.secret);
		g_clear_pointer(&store, rd_store_close);
	}
	if (store == NULL)
		store = fuzz_store("open", &ctx, &bob);
	w = (rd_web){.store = store, .o = &ctx};
	if ((nl = strchr(s, '\n')) != NULL) {
		*nl = '\0';
		body = nl + 1;
		/* The body may hold NULs: all of the input after the line. */
		body_len = size - (size_t)(body - s);
	}
	p = s;
	if ((sp = strchr(s, ' ')) != NULL) {
		*sp = '\0';
		method = s;
		p = sp + 1;
	}
	t0 = rd_token_make(ctx.secret, RD_TOKEN_WEB, "care", "lists.example.test", bob, 0);
	t1 = rd_token_make(ctx.secret, RD_TOKEN_WEB, "care", "lists.example.test", bob, 1);
	{
		g_autoptr(GString) g = g_string_new(p);

		g_string_replace(g, "TOKEN0", t0, 0);
		g_string_replace(g, "TOKEN1", t1, 0);
		path = g_string_free(g_steal_pointer(&g), FALSE);
	}
	rd_web_handle(&w, method, path, body ? (const char *)data + (body - s) : NULL, body_len,
	              &r);
	g_assert(r.status >= 200 && r.status < 600);
	g_assert(r.body != NULL && r.content_type != NULL);
	rd_web_response_clear(&r);
	return 0;
}
