/* message.h - parse one inbound message with GMime into what Rounds stores.
 *
 * Every text comes out as valid UTF-8, whatever the charset labels said.
 */
#ifndef RD_MESSAGE_H
#define RD_MESSAGE_H

#include "rounds.h"

typedef struct _rd_message {
	GMimeMessage *mime;
	char *message_id;  /* without angle brackets; derived from content when missing */
	gboolean id_derived;
	char *from_addr;   /* may be NULL when there is no usable From: */
	char *from_name;
	char *subject;     /* decoded, "" when missing */
	GDateTime *date;   /* the Date: header, or arrival time when missing/invalid */
	gboolean date_missing;
	char **refs;       /* cleaned reference chain, oldest first, last = parent */
	char *body;        /* text/plain, or HTML turned into text */
	char *body_html;   /* the HTML part when there is one (UTF-8), else NULL */
	GPtrArray *attachments; /* rd_attachment* (store.h) */
	GPtrArray *attachment_data; /* GBytes* per attachment, only from _parse_full */
	char *auto_submitted;   /* header values, NULL when absent */
	char *precedence;
	char *x_loop;
	char *list_id;
} rd_message;

/* What one inbound message may cost.  Ordinary mail, even a long thread
 * forwarded with every attachment, stays far below these; hostile mail
 * with 100,000 parts or a 15 MB header made parsing alone take hundreds
 * of megabytes.  1,000 parts are more than any mail client produces (a
 * photo album of a few hundred pictures fits); a header of 1 MB holds
 * thousands of Received lines; 1,000 fields likewise. */
#define RD_MESSAGE_MAX_PARTS 1000
#define RD_MESSAGE_MAX_HEADER_BYTES (1024 * 1024)
#define RD_MESSAGE_MAX_HEADER_FIELDS 1000

/* Check DATA against the limits above before it is parsed, from the raw
 * bytes and without building anything in proportion to them; RD_DATAERR
 * with one sentence for the sender when it is over. */
gboolean rd_message_check_limits(const char *data, gsize len, GError **error);

/* Parse DATA (a whole RFC 5322 message).  DOMAIN is used to derive a
 * Message-ID when there is none.  NULL with RD_DATAERR when unparseable
 * or over the limits above. */
rd_message *rd_message_parse(GBytes *data, const char *domain, GError **error);
/* Same, and with WITH_DATA also the decoded bytes of every attachment. */
rd_message *rd_message_parse_full(GBytes *data, const char *domain, gboolean with_data,
				  GError **error);
void rd_message_free(rd_message *m);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(rd_message, rd_message_free)

/* The attachments of M as its MIME objects (new references, in order),
 * without the nameless resources of an HTML body (parts of a
 * multipart/related other than its root): what the author attached, for a
 * message re-composed from the author's text. */
GPtrArray *rd_message_own_parts(const rd_message *m);

/* What makes mail automatic; each module asks for the kinds its policy
 * needs (rd_message_is_automatic). */
typedef enum {
	RD_AUTO_SUBMITTED = 1 << 0, /* Auto-Submitted other than "no" (RFC 3834) */
	RD_AUTO_BULK = 1 << 1,      /* Precedence: bulk or junk */
	RD_AUTO_LIST = 1 << 2,      /* Precedence: list */
	RD_AUTO_REPLY = 1 << 3,     /* an auto-reply by its headers or subject
				     * (rd_bounce_is_auto_reply: X-Autoreply,
				     * Precedence: auto_reply, "Out of Office") */
} rd_auto_kind;

/* TRUE when M is automatic mail of one of KINDS (rd_auto_kind bits). */
gboolean rd_message_is_automatic(const rd_message *m, guint kinds);

/* Decode BYTES in CHARSET (may be NULL) to valid UTF-8: trusts a label that
 * converts cleanly, prefers UTF-8 for mislabelled UTF-8 text, and falls back
 * to Windows-1252 for unlabelled 8-bit. */
char *rd_message_to_utf8(const char *bytes, gsize len, const char *charset);

/* Decode an RFC 2047 header value word by word (UTF-8, never NULL). */
char *rd_message_decode_header(const char *raw);

/* The reference chain from References and In-Reply-To header values, as
 * threading uses it (see message.c for the rules).  Never NULL. */
char **rd_message_ref_chain(const char *references, const char *in_reply_to,
			    const char *self_id);

/* The longest reference chain kept: the root and the last 100 ancestors
 * (see rd_message_refs_cap in message.c for why). */
#define RD_MESSAGE_REFS_MAX 101

/* Cut REFS (a chain, oldest first, may be NULL) to its first id and its
 * last RD_MESSAGE_REFS_MAX - 1, in place; returns REFS. */
char **rd_message_refs_cap(char **refs);

/* DATA (a whole message) as a server without 8BITMIME may carry it: every
 * 8bit or binary leaf re-encoded, text as quoted-printable and anything else
 * as base64, and raw 8-bit header values as RFC 2047 words.  Line ends as
 * GMime writes them (rd_smtp_to_crlf makes them CRLF); DATA itself (a new
 * reference) when nothing needed converting.  NULL with RD_DATAERR when it
 * cannot be parsed. */
GBytes *rd_message_to_7bit(GBytes *data, GError **error);

#endif
