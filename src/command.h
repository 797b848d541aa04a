/* command.h - command emails, confirmations and moderation by email.
 *
 * COMMUNITY+request@ (and -request@), +subscribe@, +unsubscribe@, +help@,
 * +owner@ and +c-TOKEN@ land here.  Everything that leaves goes through
 * the outbox; nothing is carried out for a forged From: without a
 * confirmation from the real address.
 */
#ifndef RD_COMMAND_H
#define RD_COMMAND_H

#include "address.h"
#include "deliver.h"
#include "message.h"
#include "rounds.h"
#include "store.h"

/* Mail to the request, subscribe, unsubscribe, help, owner and confirm
 * addresses of C. */
rd_status rd_command_deliver(rd_store *s, const rd_context *o, const rd_community *c,
                             const rd_address *a, GBytes *data, rd_deliver_result *result,
                             GError **error);

/* A post of C was just stored as held (row ROW, reason REASON): tell the
 * owners and moderators, and the sender once.  Runs inside the caller's
 * transaction. */
gboolean rd_command_held_notice(rd_store *s, const rd_context *o, const rd_community *c,
                                gint64 row, const char *reason, GError **error);

/* What became of a decision on a held post. */
typedef enum {
	RD_MODERATE_DONE,    /* approved or rejected now */
	RD_MODERATE_DECIDED, /* an earlier decision stands: the first one wins */
	RD_MODERATE_NONE,    /* C has no held post ROW */
} rd_moderate_outcome;

/* Approve (ALLOW: and let its sender post from now on) or reject (with
 * REASON, may be NULL) the held post ROW of C on behalf of BY, exactly as
 * the mailed "approve ID [and allow]" and "reject ID [REASON]" do, in a
 * transaction of its own: *OUTCOME, and the one-sentence answer in *TEXT. */
rd_status rd_command_moderate(rd_store *s, const rd_context *o, const rd_community *c, gint64 row,
                              gboolean approve, gboolean allow, const char *reason,
                              const char *by, rd_moderate_outcome *outcome, char **text,
                              GError **error);

/* TEXT (may be NULL) with every control character, CR and LF above all,
 * folded to a space: a value taken from a header (a decoded name or
 * subject) put into a notice, or printed on an administrator's terminal,
 * must never start a line of its own there (nor carry escape sequences). */
char *rd_command_one_line(const char *text);

/* A post ID as written ("42" or "#42"). */
gboolean rd_command_parse_id(const char *text, gint64 *id);

/* The same for a post held for what it contains (patient identifiers; a
 * DICOM file): DETAILS (lines, nothing the post must not show) replaces
 * its text in the moderators' notice, and the author gets them with a
 * +c- address that posts it when the author confirms it is harmless. */
gboolean rd_command_held_notice_details(rd_store *s, const rd_context *o,
                                        const rd_community *c, gint64 row, const char *reason,
                                        const char *details, GError **error);

/* The command lines of a mail: the subject when it is a command, then the
 * body's lines (quotes skipped) up to "end", a signature delimiter, the
 * first non-command after a command, or 20 lines.  Never NULL. */
GPtrArray *rd_command_extract(const char *subject, const char *body);

/* TRUE when LINE starts with a command word this module knows. */
gboolean rd_command_is_command(const char *line);

/* FALSE when an automatic reply to this mail could cause backscatter or a
 * mail loop: null or MAILER-DAEMON envelope SENDER (NULL: not known),
 * Auto-Submitted other than "no", Precedence bulk|junk|list, any List-Id,
 * or an auto-reply by its looks. */
gboolean rd_command_may_reply(const rd_message *m, const char *sender);

/* What the trusted Authentication-Results headers of a mail say about
 * its From domain. */
typedef enum {
	RD_AUTH_NONE, /* nothing trusted either way */
	RD_AUTH_PASS, /* dmarc=pass for the From domain, or an aligned dkim=pass */
	RD_AUTH_FAIL, /* dmarc=fail for the From domain: evidence of forgery */
} rd_auth_verdict;

/* The verdict of the topmost contiguous Authentication-Results headers of
 * MSG added by AUTHSERV_ID (RFC 8601, parsed with quoted strings and
 * comments) about the domain of FROM: dmarc=pass or fail counts only with
 * header.from equal to it, dkim=pass only with header.d (or header.i)
 * equal to it or a parent of it.  A fail outweighs any pass. */
rd_auth_verdict rd_command_auth_verdict(GMimeMessage *msg, const char *authserv_id,
                                        const char *from);

/* rd_command_auth_verdict() is RD_AUTH_PASS. */
gboolean rd_command_auth_trusted(GMimeMessage *msg, const char *authserv_id, const char *from);

/* A digest reply by PERSON_ID (written from their own address) about
 * THREAD_ID (0: none) whose trimmed TEXT is one command - mute, follow,
 * unsubscribe/leave/stop, pause [until DATE], nomail, resume, daily,
 * weekly, each, digest ... - is carried out for that person instead of
 * being posted, and a short confirmation queued: *HANDLED says whether it
 * was.  Runs its own transaction (for the reply module, issue 5 item 4). */
rd_status rd_command_digest_reply(rd_store *s, const rd_context *o, const rd_community *c,
                                  gint64 person_id, gint64 thread_id, const rd_message *m,
                                  const char *text, gboolean *handled, GError **error);

/* TRUE in *PRIVATE when C has "replies owners": digest replies then go
 * only to its owners and posters (rd_command_forward_reply). */
gboolean rd_command_replies_private(rd_store *s, const rd_community *c, gboolean *private_,
                                    GError **error);

/* Send the digest reply TEXT of PERSON_ID about THREAD_ID privately to the
 * owners and posters of C, with Reply-To the person so that they can
 * answer by email.  Runs inside the caller's transaction. */
gboolean rd_command_forward_reply(rd_store *s, const rd_context *o, const rd_community *c,
                                  gint64 person_id, gint64 thread_id, const char *text,
                                  GError **error);

/* ---- rounds web (command-web.c) ---- */

/* A one-click unsubscribe of PERSON_ID from C (a RD_TOKEN_WEB link):
 * leave C, or with DIGEST_ONLY stop the digest (every community of a
 * combined one).  Its own transaction; repeating it is harmless.
 * *RESULT is the sentence for the page. */
rd_status rd_command_web_unsubscribe(rd_store *s, const rd_context *o, const rd_community *c,
                                     gint64 person_id, gboolean digest_only, char **result,
                                     GError **error);

/* What confirmation TOKEN of C (+c- token) waits for, changing nothing:
 * *ADDRESS who it was mailed to, *WHAT a sentence; RD_NOTFOUND when it is
 * not valid here, used or expired. */
rd_status rd_command_web_pending(rd_store *s, const rd_context *o, const rd_community *c,
                                 const char *token, char **address, char **what,
                                 GError **error);

/* Carry out confirmation TOKEN of C as a reply to +c-TOKEN@ from its
 * address would (the same answer mail); *RESULT the answer. */
rd_status rd_command_web_confirm(rd_store *s, const rd_context *o, const rd_community *c,
                                 const char *token, char **result, GError **error);

#endif
