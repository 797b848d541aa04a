/* bounce.h - reading delivery-status notifications, non-DSN bounces and
 * automatic replies.
 *
 * The parser looks at an already parsed GMimeMessage.  RFC 3464 reports are
 * read first; otherwise the human-readable text is searched for the failed
 * addresses and the SMTP status codes the remote servers gave.  Automatic
 * replies (RFC 3834 headers, or typical subjects) are never bounces.
 */
#ifndef RD_BOUNCE_H
#define RD_BOUNCE_H

#include "rounds.h"

/* Why a recipient failed, from its status code and the server's words.
 * Scoring counts mailbox-full and expired as temporary whatever the code. */
typedef enum {
	RD_BOUNCE_REASON_OTHER,
	RD_BOUNCE_REASON_USER_UNKNOWN,
	RD_BOUNCE_REASON_MAILBOX_FULL,
	RD_BOUNCE_REASON_HOST_UNKNOWN,
	RD_BOUNCE_REASON_POLICY,
	RD_BOUNCE_REASON_SPAM,
	RD_BOUNCE_REASON_EXPIRED,
} rd_bounce_reason;

/* What the message is.  FEEDBACK is an ARF report (RFC 5965): a member
 * complained, which is not a delivery failure.  DELIVERED is a DSN that
 * reports only successful delivery or relaying. */
typedef enum {
	RD_BOUNCE_KIND_NONE,
	RD_BOUNCE_KIND_BOUNCE,
	RD_BOUNCE_KIND_AUTO_REPLY,
	RD_BOUNCE_KIND_FEEDBACK,
	RD_BOUNCE_KIND_DELIVERED,
} rd_bounce_kind;

typedef struct {
	char *address;      /* lower-cased addr-spec: Original-Recipient when well-formed, else
	                       Final-Recipient (or the text; for FEEDBACK the complaining address) */
	char *status;       /* "5.1.1", "4.2.2", or NULL when unknown */
	char *action;       /* "failed", "delayed", "delivered", "relayed", "expanded" */
	gboolean permanent; /* TRUE only for a permanent failure */
	char *diagnostic;   /* Diagnostic-Code text or the server's words, or NULL */
	rd_bounce_reason reason;
} rd_bounce_recipient;

typedef struct {
	gboolean is_bounce;     /* a delivery failure/delay report (DSN or known non-DSN format) */
	gboolean is_auto_reply; /* vacation/out-of-office etc.; never both TRUE */
	rd_bounce_kind kind;    /* agrees with the two flags above */
	GPtrArray *recipients;  /* of rd_bounce_recipient*, owned */
} rd_bounce_report;

/* Classify MSG and list the recipients it reports on; never returns NULL.
 * A DSN that only reports successful delivery is not a bounce but still lists its recipients. */
rd_bounce_report *rd_bounce_parse(GMimeMessage *msg);

/* Free a report and its recipients; NULL is allowed. */
void rd_bounce_report_free(rd_bounce_report *r);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(rd_bounce_report, rd_bounce_report_free)

/* TRUE when the message is an automatic reply (RFC 3834 headers, or subject
 * patterns when headers are absent). */
gboolean rd_bounce_is_auto_reply(GMimeMessage *msg);

/* "user-unknown", "mailbox-full", ... as in the JSON. */
const char *rd_bounce_reason_name(rd_bounce_reason reason);

/* "none", "bounce", "auto-reply", "feedback", "delivered" as in the JSON. */
const char *rd_bounce_kind_name(rd_bounce_kind kind);

/* The JSON of the public interface, one object, pretty or compact (json-glib):
 * {"is_bounce", "is_auto_reply", "kind", "recipients": [{address, status,
 * action, permanent, diagnostic, reason}]}.
 */
char *rd_bounce_report_to_json(const rd_bounce_report *r, gboolean pretty);

#endif
