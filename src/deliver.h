/* deliver.h - one inbound message from the MTA, routed (route.c), parsed,
 * threaded and stored in one transaction (post.c, post.h): the options and
 * the result every delivery path shares. */
#ifndef RD_DELIVER_H
#define RD_DELIVER_H

#include "rounds.h"
#include "store.h"

/* The context every path runs in (deliver, reply, commands, import, fetch,
 * the scheduler): the envelope of the mail at hand, when there is one, and
 * the installation's settings.  Filled by cli_context() in cmd-common.c. */
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
	const char *web_url;             /* [web] url: its token links are scrubbed too */
} rd_context;

typedef struct {
	char *community;   /* NAME@DOMAIN */
	char *message_id;
	/* "posted", "held", "private", "duplicate", "loop", "command",
	 * "kept", "ignored", ... */
	char *status;
	gint64 thread_id;
	gint64 row;        /* the stored message's row, 0 when none */
} rd_deliver_result;

/* Handle DATA (route.c).  Returns the status the MTA should see; on
 * failure ERROR holds the one sentence for the sender.  RESULT may be
 * NULL. */
rd_status rd_deliver(rd_store *s, const rd_context *o, GBytes *data,
		     rd_deliver_result *result, GError **error);
/* Free what R holds (post.c: below every module that fills a result). */
void rd_deliver_result_clear(rd_deliver_result *r);

#endif
