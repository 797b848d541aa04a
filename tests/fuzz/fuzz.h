/* fuzz.h - what every libFuzzer target of tests/fuzz/ shares: one-time
 * set-up (GMime, quiet logging, GLib criticals fatal) and the input as a
 * NUL-terminated string.  Built by `make fuzz-build` (Makefile). */
#ifndef RD_FUZZ_H
#define RD_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <glib.h>
#include <glib/gstdio.h>
#include <gmime/gmime.h>

#include "log.h"
#include "deliver.h"
#include "rounds.h"
#include "store.h"

#ifndef RD_FUZZ_TOP
#define RD_FUZZ_TOP "."
#endif

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static inline void
fuzz_init(void)
{
	static gboolean done;

	if (done)
		return;
	done = TRUE;
	g_mime_init();
	rd_log_init("rounds-fuzz", FALSE, FALSE);
	/* A critical is a bug of ours (a NULL or wrong type passed on). */
	g_log_set_always_fatal(G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_ERROR);
}

/* The input as a string (up to its first NUL, as C strings end). */
static inline char *
fuzz_str(const uint8_t *data, size_t size)
{
	return g_strndup((const char *)data, size);
}

/* The input as valid UTF-8 (what callers pass after charset conversion). */
static inline char *
fuzz_utf8(const uint8_t *data, size_t size)
{
	return g_utf8_make_valid((const char *)data, (gssize)size);
}

/* The input parsed as a message by GMime, NULL when it is none. */
static inline GMimeMessage *
fuzz_mime(const uint8_t *data, size_t size)
{
	g_autoptr(GMimeStream) st = g_mime_stream_mem_new_with_buffer((const char *)data, size);
	g_autoptr(GMimeParser) p = g_mime_parser_new_with_stream(st);

	return g_mime_parser_construct_message(p, NULL);
}

/* A store with community care@lists.example.test (policy POLICY), owner
 * alice@example.org and member bob@example.org (*BOB), and a context for
 * it with the templates of the checkout.  In /dev/shm when there is one:
 * the file is removed at once and lives as long as the store. */
static inline rd_store *
fuzz_store(const char *policy, rd_context *o, gint64 *bob)
{
	static const guint8 key[32] = {7};
	g_autofree char *dir = NULL, *path = NULL;
	g_autoptr(GError) err = NULL;
	rd_store *s;
	gint64 cid, pa;

	dir = g_mkdtemp(g_strdup(g_file_test("/dev/shm", G_FILE_TEST_IS_DIR)
	                             ? "/dev/shm/rounds-fuzz-XXXXXX"
	                             : "/tmp/rounds-fuzz-XXXXXX"));
	g_assert(dir != NULL);
	path = g_build_filename(dir, "rounds.db", NULL);
	s = rd_store_open(path, 1000, &err);
	g_assert_no_error(err);
	g_assert(rd_store_set_durable(s, FALSE, &err));
	g_assert(rd_store_community_create(s, "care", "lists.example.test", "Care Team", policy,
	                                   &cid, &err));
	g_assert(rd_store_person_ensure(s, "alice@example.org", NULL, &pa, &err));
	g_assert(rd_store_person_ensure(s, "bob@example.org", NULL, bob, &err));
	g_assert(rd_store_member_add(s, cid, pa, "owner", "each", &err));
	g_assert(rd_store_member_add(s, cid, *bob, "member", "digest", &err));
	*o = (rd_context){.delimiter = '+',
	                  .secret = g_bytes_new_static(key, sizeof key),
	                  .subject_window_days = 30,
	                  .max_size = 10 * 1024 * 1024,
	                  .template_dir = RD_FUZZ_TOP "/templates",
	                  .home = NULL};
	/* The open database keeps its files; nothing is left behind. */
	{
		g_autofree char *wal = g_strconcat(path, "-wal", NULL);
		g_autofree char *shm = g_strconcat(path, "-shm", NULL);

		g_unlink(path);
		g_unlink(wal);
		g_unlink(shm);
		g_rmdir(dir);
	}
	return s;
}

#endif
