/* bench-digest.c - render queued digests without sending them, and time it.
 * Usage: bench-digest HOME COUNT  (prints digests/s and bytes per digest) */
#include <stdio.h>
#include <time.h>
#include <stdlib.h>

#include "cmd.h"
#include "digest.h"
#include "store.h"

int
main(int argc, char **argv)
{
	g_autoptr(GError) err = NULL;
	g_autoptr(rd_config) c = NULL;
	g_autoptr(rd_store) s = NULL;
	g_autoptr(GPtrArray) due = NULL;
	g_autoptr(GBytes) secret = NULL;
	rd_digest_ctx ctx = {0};
	guint count;
	gint64 start, bytes = 0, now;
	struct timespec cpu0, cpu1;

	if (argc != 3) {
		fprintf(stderr, "usage: bench-digest HOME COUNT\n");
		return 64;
	}
	g_mime_init();
	count = (guint)atoi(argv[2]);
	c = rd_config_load(argv[1], &err);
	if (c == NULL || (s = rd_store_open(c->database, 5000, &err)) == NULL ||
	    (secret = rd_cli_secret(c, &err)) == NULL) {
		fprintf(stderr, "bench-digest: %s\n", err->message);
		return 1;
	}
	ctx.secret = secret;
	ctx.default_timezone = c->timezone;
	ctx.from_address = "digest@lists.example.test";
	ctx.delimiter = c->delimiter;
	ctx.template_dir = c->template_dir;
	ctx.home = c->home;
	ctx.max_lines = 15;
	ctx.max_conversations = 12;
	ctx.max_image = 1 << 20;
	ctx.max_images_total = 5 << 20;
	now = g_get_real_time() / G_USEC_PER_SEC + 86400 * 30;
	due = rd_store_outbox_due(s, now, count, &err);
	if (due == NULL) {
		fprintf(stderr, "bench-digest: %s\n", err->message);
		return 1;
	}
	start = g_get_monotonic_time();
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &cpu0);
	for (guint i = 0; i < due->len; i++) {
		rd_outbox_item *item = due->pdata[i];
		g_autoptr(rd_digest_selection) sel =
		    rd_digest_selection_from_payload(item->payload, item->person_id, &err);
		g_autoptr(GBytes) msg = NULL;

		if (sel == NULL)
			return 1;
		sel->address = g_strdup(item->recipient);
		msg = rd_digest_render(s, &ctx, sel, now, item->id, NULL, &err);
		if (msg == NULL) {
			fprintf(stderr, "bench-digest: %s\n", err->message);
			return 1;
		}
		bytes += (gint64)g_bytes_get_size(msg);
	}
	double secs = (double)(g_get_monotonic_time() - start) / 1e6;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &cpu1);
	double cpu = (double)(cpu1.tv_sec - cpu0.tv_sec) + (cpu1.tv_nsec - cpu0.tv_nsec) / 1e9;
	/* CPU time is the one-core figure; wall time also counts waiting for
	 * the disk and other processes. */
	printf("rendered %u digests in %.2f s: %.0f digests/s (%.0f per CPU second), "
	       "%.0f bytes each\n",
	       due->len, secs, due->len / (secs > 0 ? secs : 1e-9), due->len / (cpu > 0 ? cpu : 1e-9),
	       due->len ? (double)bytes / due->len : 0.0);
	return 0;
}
