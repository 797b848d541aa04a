/* notice.h - the one builder of automatic mail.
 *
 * Everything the list writes by itself (command replies, welcomes,
 * confirmations, held-post and bounce notices, the reply module's
 * questions) is built by rd_notice_queue, and every outbox item (notices,
 * forwarded mail, every-message copies, digests) is filled by
 * rd_notice_outbox_add, in the caller's transaction.
 */
#ifndef RD_NOTICE_H
#define RD_NOTICE_H

#include "deliver.h"
#include "rounds.h"
#include "store.h"

/* One automatic mail from a community. */
typedef struct {
	const char *from_ext; /* From: the community's title at COMMUNITY+FROM_EXT@ */
	gint64 person_id;     /* the recipient's person, 0 when none */
	const char *to;
	const char *subject;
	const char *reply_to; /* NULL: none */
	const char *body;     /* the text */
	/* MIME objects after the text, in a multipart/mixed; NULL: text only. */
	GPtrArray *parts;
	/* It answers a mail: Auto-Submitted "auto-replied", else
	 * "auto-generated" (RFC 3834). */
	gboolean auto_reply;
	/* NULL: the null sender, so that nothing answers the notice in turn;
	 * bounce notices give their VERP address to hear of failures. */
	const char *envelope_from;
	/* Not counted against the daily per-address limit: only notices
	 * nobody outside can cause (bounce scoring's). */
	gboolean exempt;
	gint64 date; /* Date:, unix seconds; 0: the clock */
} rd_notice;

/* Build N (From, To, Reply-To, Subject, Date, Message-ID, Auto-Submitted,
 * X-Loop naming the list) and queue it at NOW in the caller's
 * transaction.  Unless N is exempt it counts against the recipient's daily
 * limit first: past it nothing is queued and *SENT (may be NULL) is FALSE. */
gboolean rd_notice_queue(rd_store *s, const rd_context *o, const rd_community *c,
                         const rd_notice *n, gint64 now, gboolean *sent, GError **error);

/* Count one automatic mail to TO against its daily limit ([commands]
 * reply-limit, larger for owners, moderators and posters of C): *ALLOWED
 * is FALSE past it, and nothing should be sent. */
gboolean rd_notice_limit_take(rd_store *s, const rd_context *o, const rd_community *c,
                              const char *to, gint64 now, gboolean *allowed, GError **error);

/* Queue an outbox item of KIND ("message", "post", "digest") of C for
 * RECIPIENT (PERSON_ID, 0 when none), envelope sender ENVELOPE_FROM ("":
 * the null sender): either the complete message DATA or the PAYLOAD the
 * outbox renders when it sends.  Due at NOW. */
gboolean rd_notice_outbox_add(rd_store *s, const char *kind, const rd_community *c,
                              gint64 person_id, const char *recipient, const char *envelope_from,
                              const char *subject, GBytes *data, const char *payload, gint64 now,
                              GError **error);

#endif
