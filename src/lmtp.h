/* lmtp.h - an LMTP server (RFC 2033) for the MTA: the protocol as a state
 * machine that consumes the client's bytes and produces the replies (no
 * I/O, so it can be fuzzed and tested alone), and a GIO listener that runs
 * one session per connection, several connections at once.
 *
 * The module knows nothing of the store: each accepted recipient's copy is
 * handed to the caller's rd_lmtp_deliver_fn once the message is complete,
 * and the status it returns becomes that recipient's reply.
 */
#ifndef RD_LMTP_H
#define RD_LMTP_H

#include "rounds.h"

/* Deliver MESSAGE from SENDER ("" for the null sender <>) to RECIPIENT.
 * TRUSTED is TRUE when the client came over a UNIX socket (whose mode says
 * who may connect), FALSE over TCP (any local user).  The status decides
 * the reply; on failure ERROR's message is its text.  Called once per
 * accepted recipient, in order, from the connection's thread; the caller
 * serialises access to what it shares. */
typedef rd_status (*rd_lmtp_deliver_fn)(gpointer data, gboolean trusted, const char *sender,
                                        const char *recipient, GBytes *message, GError **error);

typedef struct {
	const char *hostname; /* in the greeting and the LHLO answer */
	gint64 max_size;      /* bytes of one message; 0: no limit */
	guint max_recipients; /* per transaction; 0: 1000 */
	gboolean trusted;     /* passed to DELIVER (the server sets it per connection) */
	rd_lmtp_deliver_fn deliver;
	gpointer data;
} rd_lmtp_params;

/* One client's conversation. */
typedef struct rd_lmtp_session rd_lmtp_session;

/* A new session; its greeting (220) is appended to OUT.  P is copied;
 * the strings it points to must outlive the session. */
rd_lmtp_session *rd_lmtp_session_new(const rd_lmtp_params *p, GString *out);
void rd_lmtp_session_free(rd_lmtp_session *s);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(rd_lmtp_session, rd_lmtp_session_free)

/* Consume LEN bytes from the client (any split: partial lines are kept
 * for the next call) and append every reply they call for to OUT.  FALSE
 * once the session is over (QUIT): write OUT, then close. */
gboolean rd_lmtp_session_feed(rd_lmtp_session *s, const char *buf, gsize len, GString *out);

/* TRUE inside a transaction (after MAIL, until the replies to its DATA):
 * a stopping server lets it finish. */
gboolean rd_lmtp_session_busy(const rd_lmtp_session *s);

/* The listener. */
typedef struct rd_lmtp_server rd_lmtp_server;

/* A server for sessions with P; IDLE_TIMEOUT seconds of silence end a
 * connection (0: 300); at most MAX_CONNECTIONS at once (0: 16), more wait. */
rd_lmtp_server *rd_lmtp_server_new(const rd_lmtp_params *p, guint idle_timeout,
                                   guint max_connections);
void rd_lmtp_server_free(rd_lmtp_server *srv);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(rd_lmtp_server, rd_lmtp_server_free)

/* Listen on the UNIX socket PATH (a stale socket there is replaced) with
 * MODE, and OWNER/GROUP when not -1; the file is removed when the server
 * is freed. */
gboolean rd_lmtp_server_add_unix(rd_lmtp_server *srv, const char *path, int mode, int owner,
                                 int group, GError **error);
/* Listen on ADDRESS ("127.0.0.1:2003", "[::1]:2003"); only loopback. */
gboolean rd_lmtp_server_add_tcp(rd_lmtp_server *srv, const char *address, GError **error);
/* Listen on the sockets systemd passed (LISTEN_FDS for this process);
 * *N is how many (0 when none were passed). */
gboolean rd_lmtp_server_add_systemd(rd_lmtp_server *srv, guint *n, GError **error);

/* Serve until SIGTERM or SIGINT; then stop accepting, let every
 * transaction in flight finish (idle clients get 421) and return. */
void rd_lmtp_server_run(rd_lmtp_server *srv);

#endif
