/* reply.h - replies to digests (issue 4): mail to COMMUNITY+r-TOKEN@ lands,
 * trimmed, in the thread the token names; a plain Reply to the whole digest
 * (COMMUNITY+d-TOKEN@) lands in the conversation it is about, or is kept
 * and the person asked to pick one (COMMUNITY+c-TOKEN@).
 *
 * Confirm tokens: rd_token_make(secret, RD_TOKEN_CONFIRM, community, a, b).
 * Tokens with a == 0 (no person has id 0) are conversation choices for a
 * kept digest reply, b = kept_id * 256 + index, and belong to this module;
 * tokens with a == person_id, b == message row ask the person to confirm a
 * held reply from another address and belong to the commands module.
 */
#ifndef RD_REPLY_H
#define RD_REPLY_H

#include "address.h"
#include "deliver.h"
#include "message.h"
#include "rounds.h"
#include "store.h"

/* What the sender of a bad token reads in the bounce. */
#define RD_REPLY_BAD_TOKEN                                                                         \
	"This reply address is not valid; please reply from the digest you received."

/* Handle mail to COMMUNITY+r-TOKEN@ (kind RD_ADDR_REPLY) and
 * COMMUNITY+d-TOKEN@ (RD_ADDR_DIGEST). */
rd_status rd_reply_deliver(rd_store *s, const rd_context *o, const rd_community *c,
                           const rd_address *a, GBytes *data, rd_deliver_result *result,
                           GError **error);

/* TRUE when TOKEN (of a COMMUNITY+c-TOKEN@ address of C) is an authentic
 * conversation choice this module handles with rd_reply_confirm(). */
gboolean rd_reply_owns_confirm(GBytes *secret, const rd_community *c, const char *token);

/* Mail to COMMUNITY+c-TOKEN@ with a conversation-choice token: post the
 * kept digest reply into the chosen conversation. */
rd_status rd_reply_confirm(rd_store *s, const rd_context *o, const rd_community *c,
                           const rd_address *a, GBytes *data, rd_deliver_result *result,
                           GError **error);

/* TRUE when M, sent to the post address of C, answers a digest: its
 * In-Reply-To/References name a digest Message-ID
 * (digest-OUTBOXID.TOKEN@DOMAIN) whose token is authentic for C.  *TOKEN
 * (may be NULL) receives the digest token, to deliver M with
 * rd_reply_deliver() as if sent to COMMUNITY+d-TOKEN@. */
gboolean rd_reply_is_digest_reply(const rd_message *m, const rd_community *c, GBytes *secret,
                                  char **token);

/* The conversation number written at the start of the first non-blank line
 * of TEXT ("2", "#2", "[2]", "2.", "2)"), 0 when there is none; *REST (may
 * be NULL) receives TEXT without it (and without the line when nothing
 * else was on it). */
guint rd_reply_first_line_number(const char *text, char **rest);

/* "Re: " and the thread subject without its own reply prefixes. */
char *rd_reply_subject(const char *thread_subject);

#endif
