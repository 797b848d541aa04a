/* deliver.h - one inbound message from the MTA, routed, parsed, threaded
 * and stored in one transaction. */
#ifndef RD_DELIVER_H
#define RD_DELIVER_H

#include "rounds.h"
#include "store.h"

typedef struct {
	const char *recipient;   /* envelope recipient, as the MTA gives it */
	const char *sender;      /* envelope sender, may be NULL or "" */
	char delimiter;          /* recipient delimiter */
	gint64 max_size;         /* bytes; larger messages get RD_DATAERR */
	int subject_window_days; /* subject fallback window of threading */
	gboolean bypass_policy;  /* archive import: post whatever the policy */
	GBytes *secret;          /* installation secret, for token addresses */
	/* Commands by email (command.c); zero/NULL means the default. */
	const char *trusted_authserv_id; /* [commands] trusted-authserv-id, or NULL */
	int token_days;                  /* [commands] token-days (7) */
	int reply_limit;                 /* [commands] reply-limit per address per 24 h (5) */
	const char *template_dir;        /* templates (NULL: the default of rounds.conf) */
	const char *home;                /* per-community overrides in HOME/templates/NAME/ */
} rd_deliver_opts;

typedef struct {
	char *community;   /* NAME@DOMAIN */
	char *message_id;
	/* "posted", "held", "private", "duplicate", "loop", "command",
	 * "kept", "ignored", ... */
	char *status;
	gint64 thread_id;
	gint64 row;        /* the stored message's row, 0 when none */
} rd_deliver_result;

/* Handle DATA.  Returns the status the MTA should see; on failure ERROR
 * holds the one sentence for the sender.  RESULT may be NULL. */
rd_status rd_deliver(rd_store *s, const rd_deliver_opts *o, GBytes *data,
		     rd_deliver_result *result, GError **error);
void rd_deliver_result_clear(rd_deliver_result *r);

struct _rd_message;
/* Store the parsed message M (raw bytes DATA) in community C in one
 * transaction: duplicate check, policy (FORCED_HOLD, if not NULL, holds it
 * with that reason), insert, threading.  For modules that route other
 * address kinds (replies) into posts. */
rd_status rd_deliver_store(rd_store *s, const rd_deliver_opts *o, const rd_community *c,
			   struct _rd_message *m, GBytes *data, const char *forced_hold,
			   rd_deliver_result *result, GError **error);

/* Called inside the transaction of rd_deliver_store_then(), after the post
 * is stored as ROW with STATUS ("posted", "held"): what the post causes
 * (a confirmation to its author) is queued there, so that both commit or
 * neither does and a retry by the MTA is never a silent duplicate. */
typedef gboolean (*rd_deliver_hook)(rd_store *s, gint64 row, const char *status, gpointer data,
                                    GError **error);

/* rd_deliver_store() with HOOK (may be NULL) and its DATA. */
rd_status rd_deliver_store_then(rd_store *s, const rd_deliver_opts *o, const rd_community *c,
                                struct _rd_message *m, GBytes *data, const char *forced_hold,
                                rd_deliver_hook hook, gpointer hook_data, rd_deliver_result *result,
                                GError **error);

/* The same for a digest reply of PERSON_ID about THREAD_ID (0: none) in
 * a community with "replies owners": M is filed as "private" and its
 * text sent to the owners and posters only (rd_command_forward_reply). */
rd_status rd_deliver_store_private(rd_store *s, const rd_deliver_opts *o, const rd_community *c,
				   struct _rd_message *m, GBytes *data, gint64 person_id,
				   gint64 thread_id, rd_deliver_result *result, GError **error);

#endif
