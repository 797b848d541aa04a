/* smtp.h - sending with libesmtp: the only module that includes libesmtp.h.
 *
 * It knows nothing of the database: the outbox hands it messages with one
 * envelope recipient each and reads back, per message, what the server
 * said.  Messages are spread over a few parallel connections, many
 * messages per connection.
 */
#ifndef RD_SMTP_H
#define RD_SMTP_H

#include "rounds.h"

typedef enum { RD_SMTP_TLS_NONE, RD_SMTP_TLS_OPPORTUNISTIC, RD_SMTP_TLS_REQUIRED } rd_smtp_tls;

typedef struct {
	char *host;           /* default "127.0.0.1" */
	int port;             /* default 25 */
	rd_smtp_tls starttls; /* default opportunistic; required never sends in clear */
	char *user;           /* AUTH user or NULL */
	char *password;       /* AUTH password, needed with a user (the caller read the file) */
	int connections;      /* parallel connections, default 4 */
	int timeout_seconds;  /* per command, default 60 */
	char *helo;           /* EHLO name, default g_get_host_name() */
} rd_smtp_config;

/* What the caller knows of DATA's form, so that sending need not scan it. */
typedef enum {
	RD_SMTP_FORM_UNKNOWN = 0, /* LF or CRLF, 7- or 8-bit: rd_smtp_send looks */
	RD_SMTP_FORM_CRLF_7BIT,   /* every line ends in CRLF, no byte >= 0x80 */
	RD_SMTP_FORM_CRLF_8BIT,   /* every line ends in CRLF, 8-bit bytes */
} rd_smtp_form;

typedef struct {
	guint64 id;          /* the caller's, opaque */
	char *envelope_from; /* VERP return path, or "" for the null sender */
	char *recipient;     /* the one envelope recipient */
	GBytes *data;        /* the complete message, LF or CRLF line ends */
	rd_smtp_form form;   /* what is known of DATA (default: nothing) */
	/* results, filled in by rd_smtp_send: */
	int code;           /* the server's reply for this message; 0 = no answer */
	char *reply;        /* the server's text, or NULL */
	gboolean sent;      /* TRUE only when the server accepted the message */
	gboolean permanent; /* TRUE for a 5xx (or an envelope address that can
	                     * never be sent, code 0): do not try again */
} rd_smtp_message;

/* Send every rd_smtp_message of MESSAGES over up to config->connections
 * parallel connections (threads) and fill in its results.  FALSE only for a
 * fault of the setup; trouble with the server is recorded per message (a
 * connection that fails leaves its unsent messages with code 0). */
gboolean rd_smtp_send(const rd_smtp_config *config, GPtrArray *messages, GError **error);

/* Free a message and its results (a GDestroyNotify for GPtrArray). */
void rd_smtp_message_free(rd_smtp_message *m);

/* DATA with CRLF line ends, as SMTP wants it: bare CR and existing CRLF
 * pairs are left alone, and the last line gets its CRLF so that the
 * terminating dot stands on a line of its own.  DATA itself (a new
 * reference) when it is already so.  *EIGHT_BIT (may be NULL) says whether
 * it has bytes >= 0x80. */
GBytes *rd_smtp_to_crlf(GBytes *data, gboolean *eight_bit);

#endif
