/* fuzz-deliver.c - message parsing and threading into a store (message.c,
 * route.c rd_deliver, post.c, thread.c, and what the address leads to):
 * the input as a message to the post address, the request address and a
 * digest reply address of bob.  The store is made anew every 500 inputs. */
#include "fuzz.h"
#include "token.h"

static rd_store *store;
static rd_context ctx;
static gint64 bob;
static guint runs;

static void
one(GBytes *msg, const char *rcpt, const char *sender)
{
	rd_deliver_result r = {0};
	g_autoptr(GError) err = NULL;
	rd_status st;

	ctx.recipient = rcpt;
	ctx.sender = sender;
	st = rd_deliver(store, &ctx, msg, &r, &err);
	/* A fault of ours or of the database is a bug here (75 for the MTA). */
	if (st == RD_TEMPFAIL || st == RD_SOFTWARE)
		g_error("%s: status %d: %s", rcpt, st, err ? err->message : "(no error)");
	g_assert(st == RD_OK || err != NULL);
	rd_deliver_result_clear(&r);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	g_autoptr(GBytes) msg = g_bytes_new(data, size);
	g_autofree char *tok = NULL, *reply = NULL;

	fuzz_init();
	if (store != NULL && ++runs % 500 == 0) {
		g_bytes_unref(ctx.secret);
		g_clear_pointer(&store, rd_store_close);
	}
	if (store == NULL)
		store = fuzz_store("open", &ctx, &bob);
	tok = rd_token_make(ctx.secret, RD_TOKEN_REPLY, "care", "lists.example.test", bob, 1);
	reply = g_strdup_printf("care+r-%s@lists.example.test", tok);
	one(msg, "care@lists.example.test", "bob@example.org");
	one(msg, "care+request@lists.example.test", "alice@example.org");
	one(msg, reply, "bob@example.org");
	return 0;
}
