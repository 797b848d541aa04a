/* digest.h - personalised digests: deciding what is due, and rendering.
 *
 * Deciding is cheap and transactional: for each person whose local slot
 * has come, the digest is frozen as ranges of posted_seq per community and
 * queued in the outbox, and the person's digest state advances, all in the
 * same transaction.  Rendering happens when the outbox sends, from the
 * frozen ranges (stored messages never change), so the outbox holds a few
 * hundred bytes per digest instead of the whole message.
 */
#ifndef RD_DIGEST_H
#define RD_DIGEST_H

#include "rounds.h"
#include "store.h"

typedef struct {
	GBytes *secret;
	const char *default_timezone;
	const char *from_address;  /* From: of digests; NULL: the digest's Reply-To (+d-) */
	char delimiter;
	const char *template_dir;  /* installed templates */
	const char *home;          /* overrides in HOME/templates/COMMUNITY/ */
	int max_lines;             /* lines of a message before it is cut (15) */
	int max_conversations;     /* shown in full (12); the rest by subject */
	gint64 max_image;          /* bytes of one inline image (1 MiB) */
	gint64 max_images_total;   /* bytes of inline images per digest (5 MiB) */
	gint64 max_size;           /* bytes of one digest mail (2 MiB); 0: no ceiling */
	const char *web_url;       /* [web] url: one-click unsubscribe links, or NULL */
} rd_digest_ctx;

typedef struct {
	gint64 community_id;
	gint64 from_seq; /* exclusive */
	gint64 to_seq;   /* inclusive */
} rd_digest_range;

typedef struct {
	gint64 person_id;
	char *address;
	char *name;
	char *timezone;
	gint64 slot;
	GArray *ranges; /* rd_digest_range */
} rd_digest_selection;

void rd_digest_selection_free(rd_digest_selection *sel);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(rd_digest_selection, rd_digest_selection_free)

/* What PERSON would get at NOW: *due is FALSE when their slot has not come;
 * SELECTIONS receives one selection (combined) or one per community
 * (separate) with something new; every membership's new state goes to
 * ADVANCE (rd_digest_range with to_seq = the new last_seq). */
gboolean rd_digest_decide(rd_store *s, const rd_digest_ctx *ctx, const rd_digest_person *person,
			  gint64 now, gboolean *due, GPtrArray *selections, GArray *advance,
			  GError **error);

/* Decide and enqueue the digests of everyone due at NOW; counts what was
 * queued.  Batches people into transactions; each person is all or
 * nothing, so a crash anywhere is repaired by running again. */
gboolean rd_digest_enqueue_due(rd_store *s, const rd_digest_ctx *ctx, gint64 now,
			       guint *queued, guint *people, GError **error);

/* The frozen selection as stored in the outbox, and back. */
char *rd_digest_selection_to_payload(const rd_digest_selection *sel);
rd_digest_selection *rd_digest_selection_from_payload(const char *payload, gint64 person_id,
						      GError **error);

/* Render the complete digest message (RFC 5322 bytes).  OUTBOX_ID makes
 * the Message-ID and the digest token; NOW is the date shown. */
GBytes *rd_digest_render(rd_store *s, const rd_digest_ctx *ctx, const rd_digest_selection *sel,
			 gint64 now, gint64 outbox_id, char **subject, GError **error);

/* Only the text and HTML bodies, for `rounds digest preview`. */
gboolean rd_digest_render_bodies(rd_store *s, const rd_digest_ctx *ctx,
				 const rd_digest_selection *sel, gint64 now, gint64 outbox_id,
				 char **text, char **html, char **subject, GError **error);

/* One conversation of a digest. */
typedef struct {
	gint64 thread_id;
	rd_community *community; /* borrowed from the cache */
	char *subject;
	const char *reply_subject; /* "Re: SUBJECT" URI-escaped, borrowed from the cache */
	GPtrArray *fresh;        /* rd_stored_message*, the new ones by date, borrowed */
	GPtrArray *all;          /* the thread's posted messages up to the range end */
	gboolean took_part;      /* the reader wrote in it */
	gboolean unanswered;     /* a question with no reply yet */
	gboolean is_new;         /* it started within the range */
	int section;             /* 0 took part, 1 unanswered, 2 new, 3 the rest */
	gint64 last_date;
} rd_digest_conversation;

/* The conversations of SEL in the digest's order: the number a reader sees
 * is the index + 1 (the first max_conversations are shown in full).  They
 * borrow from the renderer's cache: valid until rd_digest_cache_clear(). */
GPtrArray *rd_digest_conversations(rd_store *s, const rd_digest_selection *sel, GError **error);
void rd_digest_conversation_free(rd_digest_conversation *c);

/* Forget what the renderer cached (loaded messages, trimmed texts,
 * compiled templates); call at the start of every pass. */
void rd_digest_cache_clear(void);

#endif
