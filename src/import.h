/* import.h - archives (mbox, Maildir, single files) and remote mailboxes
 * (IMAP, POP3) read with libetpan and fed through the delivery path.
 */
#ifndef RD_IMPORT_H
#define RD_IMPORT_H

#include "deliver.h"
#include "rounds.h"
#include "store.h"

typedef enum {
	RD_IMPORT_MBOX,    /* mboxo or mboxrd file */
	RD_IMPORT_MAILDIR, /* directory with cur/ and new/ */
	RD_IMPORT_FILE,    /* one RFC 5322 message */
	RD_IMPORT_TREE,    /* any other directory: a Maildir without new/, an MH folder,
	                      a tree of message files and mbox files (rd_import_tree) */
} rd_import_kind;

typedef struct {
	guint total;      /* messages known in all paths (for progress) */
	guint done;       /* messages handled so far */
	guint added;      /* stored for the first time */
	guint duplicates; /* already stored (same Message-ID) */
	guint errors;     /* unparseable or refused */
	guint paths;      /* paths finished */
} rd_import_stats;

/* Called after each message (and once at the end of each path). */
typedef void (*rd_import_progress_fn)(const rd_import_stats *st, gpointer data);

/* What PATH holds, told from its type and first line; FALSE with
 * RD_NOTFOUND when it does not exist. */
gboolean rd_import_detect(const char *path, rd_import_kind *kind, GError **error);

/* The files of directory PATH to import, in order (numbers in names
 * compare as numbers, so an MH folder's 2 comes before 10): every regular
 * file below it, recursively, skipping names that start with a dot (MH's
 * .mh_sequences, Maildir++ subfolders, editors' files) and a Maildir's
 * tmp/ (mail still being written).  FALSE with RD_NOTFOUND, and the reason,
 * when there is no file to import. */
GPtrArray *rd_import_tree(const char *path, GError **error);

/* Number of messages in PATH, for a progress bar. */
gboolean rd_import_count(const char *path, guint *count, GError **error);

/* Undo the From-quoting of mbox body lines: one '>' is removed from every
 * line matching ^>+From (exact for mboxrd, the best guess for mboxo). */
GBytes *rd_import_unquote(const char *data, gsize len);

/* Store every message of PATH in community C, bypassing the posting policy
 * and sending nothing; duplicates are no-ops.  Unparseable messages are
 * counted in ST->errors and skipped.  FALSE (with ERROR) on a temporary
 * fault, which stops the import: a rerun continues where it stopped. */
gboolean rd_import_path(rd_store *s, const rd_context *o, const rd_community *c,
                        const char *path, rd_import_stats *st, rd_import_progress_fn progress,
                        gpointer data, GError **error);

typedef struct {
	guint fetched;    /* messages taken and removed from the server */
	guint added;      /* of those, stored for the first time */
	guint duplicates; /* of those, already stored */
	guint left;       /* refused: left, flagged \Seen (IMAP) or remembered (POP3) */
} rd_fetch_stats;

/* One pass over the mailbox at URL (imaps://, imap:// with STARTTLS,
 * pop3s://, pop3:// with STLS; USER@HOST[:PORT][/FOLDER]).  Each message
 * goes through rd_deliver() with O (O->recipient is the fallback address)
 * and is deleted only once committed.  A POP3 message refused for good
 * (65/67/69/77) is remembered by its UIDL and not fetched again; one
 * refused by a fault of ours is.  FALSE with RD_TEMPFAIL on a
 * connection or database fault, RD_CONFIG on TLS verification or login
 * failure. */
gboolean rd_import_fetch(rd_store *s, const rd_context *o, const char *url,
                         const char *password, gboolean insecure, const char *ca_file,
                         rd_fetch_stats *st, GError **error);

/* rd_import_fetch() for callers that only want the number of messages
 * taken (the [fetch] section of rounds run). */
gboolean rd_import_fetch_once(rd_store *s, const rd_context *o, const char *url,
                              const char *password, gboolean insecure, const char *ca_file,
                              guint *fetched, GError **error);

/* The address a fetched message was sent to: the first Delivered-To,
 * X-Original-To or To address whose domain is a community's, or NULL. */
char *rd_import_recipient(GBytes *data, rd_store *s);

#endif
