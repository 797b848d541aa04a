/* fanout.h - every-message delivery ("each" members).
 *
 * A post is queued for its "each" members in the transaction that stores
 * it; the outbox renders each member's copy (list headers, VERP) when it
 * sends.  Bounces to the VERP address are bounce-score.c's.
 */
#ifndef RD_FANOUT_H
#define RD_FANOUT_H

#include "deliver.h"
#include "rounds.h"
#include "smtp.h"
#include "store.h"

/* The VERP return path COMMUNITY+b-TOKEN@DOMAIN naming PERSON_ID, used by
 * every copy a member is sent (posts and digests). */
char *rd_fanout_bounce_address(GBytes *secret, const rd_community *c, char delimiter,
                               gint64 person_id);

/* What a one-click unsubscribe link (rounds web, RFC 8058) stops. */
typedef enum {
	RD_WEB_LEAVE = 0,  /* the membership: a list copy's link */
	RD_WEB_DIGEST = 1, /* the digest the link came in (delivery none) */
} rd_web_action;

/* WEB_URL/u/TOKEN: PERSON_ID's own one-click link for community NAME@DOMAIN
 * (a token of kind RD_TOKEN_WEB), or NULL when WEB_URL is NULL. */
char *rd_fanout_unsubscribe_url(GBytes *secret, const char *web_url, const char *name,
                                const char *domain, gint64 person_id, rd_web_action action);

/* The List-Unsubscribe value "<WEB-URL>, <MAILTO>" (only the mailto part
 * without WEB_URL) and, with WEB_URL, *POST (may be NULL) set to
 * "List-Unsubscribe=One-Click" for List-Unsubscribe-Post. */
char *rd_fanout_list_unsubscribe(GBytes *secret, const char *web_url, const char *name,
                                 const char *domain, char delimiter, gint64 person_id,
                                 rd_web_action action, const char **post);

/* Queue the posted message ROW of community C for every "each" member
 * (not the author).  Runs inside the caller's transaction. */
gboolean rd_fanout_enqueue(rd_store *s, const rd_context *o, const rd_community *c, gint64 row,
                           GError **error);

/* The complete message for an outbox item of kind "post" (NULL with
 * RD_NOTFOUND when there is nothing to send any more), in CRLF; *FORM
 * (may be NULL) says so for rd_smtp_send. */
GBytes *rd_fanout_render(rd_store *s, const rd_outbox_item *item, GBytes *secret, char delimiter,
                         const char *web_url, rd_smtp_form *form, GError **error);

/* The per-post part of every member's copy, computed once per post: the
 * original's headers (filtered and rewritten) and what follows the
 * member's own List-Unsubscribe line. */
typedef struct _rd_fanout_copy rd_fanout_copy;

/* Build the copy of RAW for community C with settings F; NULL with
 * RD_DATAERR when RAW cannot be read (only a footer needs parsing). */
rd_fanout_copy *rd_fanout_copy_new(GBytes *raw, const rd_community *c, const rd_fanout_settings *f,
                                   char delimiter, GError **error);
/* The complete message for member PERSON_ID (string operations only);
 * WEB_URL ([web] url, may be NULL) adds the one-click link. */
GBytes *rd_fanout_copy_render(const rd_fanout_copy *copy, GBytes *secret, gint64 person_id,
                              const char *web_url);
void rd_fanout_copy_free(rd_fanout_copy *copy);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(rd_fanout_copy, rd_fanout_copy_free)

/* Forget the copies rd_fanout_render keeps between items. */
void rd_fanout_cache_clear(void);

/* TRUE when SUBJECT (decoded) already carries "[NAME]" anywhere, so that
 * replies never get the prefix twice. */
gboolean rd_fanout_has_prefix(const char *subject, const char *name);

#endif
