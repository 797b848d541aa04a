/* command-confirm.c - confirmations: what waits (a pending action made by
 * rd_command_pending_new in command-util.c) for a reply to +c-TOKEN@ (or
 * "confirm TOKEN"), carried out once the right address confirms.
 */
#include <string.h>

#include "command-internal.h"
#include "log.h"
#include "post.h"
#include "token.h"
#include "trim.h"

/* ---- the confirm verb ---- */

gboolean
rd_command_verb_confirm(cmd_ctx *x, char **argv, guint argc, GString *res, GError **error)
{
	if (argc < 2) {
		g_string_append(res, "Use: confirm TOKEN, with the code from the request.");
		return TRUE;
	}
	g_autofree char *tok = g_ascii_strdown(argv[1], -1);
	return rd_command_run_confirm(x, tok, res, error);
}

/* ---- confirmations ---- */

/* The corrected version (the text the author wrote in M) of the held post
 * HELD, as a new message with HELD's author, subject and place in its
 * thread, and M's own Message-ID. */
static GBytes *
corrected_post(const rd_community *c, const rd_stored_message *held, const rd_message *m,
               const char *text)
{
	g_autoptr(GMimeMessage) msg = g_mime_message_new(TRUE);
	g_autofree char *list = g_strdup_printf("%s@%s", c->name, c->domain);
	GMimeTextPart *body = g_mime_text_part_new_with_subtype("plain");
	GString *refs = g_string_new(NULL);
	guint n = held->refs ? g_strv_length(held->refs) : 0;
	char *bytes;

	g_mime_message_add_mailbox(msg, GMIME_ADDRESS_TYPE_FROM, held->from_name, held->from_addr);
	g_mime_message_add_mailbox(msg, GMIME_ADDRESS_TYPE_TO, c->title, list);
	g_mime_message_set_subject(msg, held->subject, "utf-8");
	g_mime_message_set_date(msg, m->date);
	g_mime_message_set_message_id(msg, m->message_id);
	for (guint i = 0; i < n; i++)
		g_string_append_printf(refs, "%s<%s>", i ? " " : "", held->refs[i]);
	if (n > 0) {
		g_autofree char *irt = g_strdup_printf("<%s>", held->refs[n - 1]);

		g_mime_object_set_header(GMIME_OBJECT(msg), "In-Reply-To", irt, NULL);
		g_mime_object_set_header(GMIME_OBJECT(msg), "References", refs->str, NULL);
	}
	g_string_free(refs, TRUE);
	g_mime_text_part_set_text(body, text);
	g_mime_part_set_content_encoding(GMIME_PART(body),
	                                 g_mime_part_get_best_content_encoding(
	                                     GMIME_PART(body), GMIME_ENCODING_CONSTRAINT_7BIT));
	g_mime_message_set_mime_part(msg, GMIME_OBJECT(body));
	g_object_unref(body);
	bytes = g_mime_object_to_string(GMIME_OBJECT(msg), NULL);
	return g_bytes_new_take(bytes, strlen(bytes));
}

/* The author sent a corrected version of post ROW held for its content:
 * the held one is set aside (rejected, by its author) and the new text is
 * posted in its place, screened like any post, in this transaction. */
static gboolean
replace_held(cmd_ctx *x, gint64 row, const char *author, GString *res, GError **error)
{
	g_autoptr(rd_stored_message) sm = NULL, held = NULL;
	g_autoptr(GError) err = NULL;
	g_autoptr(GBytes) raw = NULL;
	g_autoptr(rd_message) m = NULL;
	g_autofree char *text = NULL;
	rd_deliver_result r = {0};
	gboolean won;
	const char *p;

	sm = rd_store_fanout_message(x->s, row, FALSE, &err);
	if (sm == NULL || sm->community_id != x->c->id) {
		if (err != NULL && rd_status_from_error(err) != RD_NOTFOUND) {
			g_propagate_error(error, g_steal_pointer(&err));
			return FALSE;
		}
		g_string_append(res, "The post this was for is no longer held.");
		return TRUE;
	}
	text = rd_trim_text(x->m && x->m->body ? x->m->body : "", NULL, NULL);
	for (p = text; *p && g_ascii_isspace(*p); p++)
		;
	/* An empty reply, or one that is only the notice quoted back, is no
	 * corrected version. */
	if (*p == '\0' || strstr(text, "+c-") != NULL) {
		g_string_append(res, "No corrected text was found: write the corrected post above "
		                     "the quoted notice.");
		return TRUE;
	}
	held = rd_store_message_get(x->s, x->c->id, sm->message_id, FALSE, error);
	if (held == NULL)
		return FALSE;
	if (!rd_store_command_decide(x->s, x->c->id, row, FALSE, author,
	                             "replaced by a corrected version", x->now, &won, error))
		return FALSE;
	if (!won) {
		g_string_append(res, "The post was already decided; nothing was replaced.");
		return TRUE;
	}
	raw = corrected_post(x->c, held, x->m, text);
	m = rd_message_parse(raw, x->c->domain, error);
	if (m == NULL)
		return FALSE;
	if (rd_post_store_in(x->s, x->o, x->c, m, raw, &r, error) != RD_OK) {
		rd_deliver_result_clear(&r);
		return FALSE;
	}
	g_string_append_printf(res, "Your corrected post \"%s\" replaces the held one: %s.",
	                       held->subject, g_strcmp0(r.status, "posted") == 0
	                                          ? "it is posted"
	                                          : "it is held again, see the notice");
	rd_deliver_result_clear(&r);
	return TRUE;
}

static gboolean
confirm_pending(cmd_ctx *x, gint64 id, gint64 nonce, GString *res, GError **error)
{
	g_autoptr(rd_pending_action) p = NULL;
	g_autoptr(GError) err = NULL;
	gboolean won;

	p = rd_store_pending_get(x->s, id, &err);
	if (p == NULL) {
		if (rd_status_from_error(err) != RD_NOTFOUND) {
			g_propagate_error(error, g_steal_pointer(&err));
			return FALSE;
		}
	}
	if (p == NULL || p->nonce != nonce || p->community_id != x->c->id) {
		g_string_append(res, "This confirmation is not valid for this community.");
		return TRUE;
	}
	if (g_ascii_strcasecmp(p->address, x->from) != 0) {
		g_string_append_printf(res,
		                       "This confirmation must come from %s, the address it was "
		                       "sent to.",
		                       p->address);
		return TRUE;
	}
	/* Moderators' tokens report the decision others made first; so does
	 * an author's confirmation of a post held for its content. */
	if (strcmp(p->kind, "approve") != 0 && strcmp(p->kind, "reject") != 0 &&
	    strcmp(p->kind, "content-confirm") != 0 && strcmp(p->kind, "content-replace") != 0) {
		if (p->used != 0) {
			g_string_append(res, "This confirmation was already used; nothing was "
			                     "done again.");
			return TRUE;
		}
		if (p->expires <= x->now) {
			g_string_append(res, "This confirmation has expired; please send the "
			                     "request again.");
			return TRUE;
		}
	} else if (p->expires <= x->now && p->used == 0) {
		g_string_append(res, "This confirmation has expired; use approve or reject "
		                     "with the post's ID instead.");
		return TRUE;
	}
	if (p->used == 0 && !rd_store_pending_use(x->s, p->id, x->now, &won, error))
		return FALSE;

	if (strcmp(p->kind, "subscribe") == 0 || strcmp(p->kind, "invite") == 0) {
		g_autoptr(rd_member) existing = NULL;
		const char *delivery =
		    p->payload && rd_command_valid_delivery(p->payload) ? p->payload : "digest";

		if (!rd_command_member_lookup(x, p->address, &existing, error))
			return FALSE;
		if (existing != NULL) {
			if (!rd_store_member_set(x->s, x->c->id, existing->address, "status",
			                         "active", error))
				return FALSE;
			g_string_append_printf(res, "%s is a member of %s.", p->address,
			                       x->c->title);
			return TRUE;
		}
		if (!rd_command_add_member(x, p->address, x->m ? x->m->from_name : NULL, "member",
		                           delivery, error))
			return FALSE;
		x->quiet = TRUE;
		g_string_append_printf(res, "Welcome: %s is now a member of %s.", p->address,
		                       x->c->title);
		return TRUE;
	}
	if (strcmp(p->kind, "unsubscribe") == 0) {
		g_autoptr(rd_member) existing = NULL;

		if (!rd_command_member_lookup(x, p->address, &existing, error))
			return FALSE;
		if (existing == NULL) {
			g_string_append_printf(res, "%s is not a member any more.", p->address);
			return TRUE;
		}
		if (!rd_command_leave_now(x, existing->address, existing->person_id, error))
			return FALSE;
		x->quiet = TRUE;
		g_string_append_printf(res, "%s has left %s.", p->address, x->c->title);
		return TRUE;
	}
	/* The new address confirmed from itself: it becomes the person's, unless
	 * someone else took it meanwhile. */
	if (strcmp(p->kind, "alias") == 0) {
		g_autofree char *own = NULL;
		gint64 other = 0;
		gboolean added;

		if (!rd_store_reply_person_get(x->s, p->person_id, &own, NULL, &err)) {
			if (rd_status_from_error(err) != RD_NOTFOUND) {
				g_propagate_error(error, g_steal_pointer(&err));
				return FALSE;
			}
			g_clear_error(&err);
		}
		if (own != NULL && !rd_store_person_alias_add(x->s, p->person_id, p->address, &other,
		                                              &added, error))
			return FALSE;
		if (own == NULL || other != p->person_id) {
			g_string_append_printf(res, "%s was not added: it belongs to someone else now.",
			                       p->address);
			return TRUE;
		}
		g_string_append_printf(res, "%s is now also an address of %s.", p->address, own);
		return TRUE;
	}
	/* "owner": waiting commands of an older version, owner commands only. */
	if (strcmp(p->kind, "commands") == 0 || strcmp(p->kind, "owner") == 0) {
		g_auto(GStrv) lines = g_strsplit(p->payload ? p->payload : "", "\n", -1);

		gboolean had = x->proven;

		/* The writer confirmed from the registered address: run the
		 * commands as they were written, with the role and membership
		 * they have now (a person who left has nothing to change).
		 * Only these: later lines of the same mail wait as usual. */
		x->proven = TRUE;
		for (guint i = 0; lines[i]; i++) {
			if (*lines[i] && !x->run_line(x, lines[i], error)) {
				x->proven = had;
				return FALSE;
			}
		}
		x->proven = had;
		g_string_append(res, "Confirmed; the results follow.");
		return TRUE;
	}
	if (strcmp(p->kind, "approve") == 0 || strcmp(p->kind, "reject") == 0) {
		gint64 row = 0;
		g_autoptr(rd_member) mod = NULL;

		if (!rd_command_member_lookup(x, p->address, &mod, error))
			return FALSE;
		if (!rd_command_is_moderator(mod)) {
			g_string_append(res, "You are no longer a moderator of this community.");
			return TRUE;
		}
		rd_command_parse_id(p->payload, &row);
		return rd_command_decide(x, row, strcmp(p->kind, "approve") == 0, FALSE, NULL,
		                         p->address, res, NULL, error);
	}
	/* The author says the post held for its content (patient
	 * identifiers) is harmless: it is posted, unless a moderator decided
	 * first; the decision is recorded with its reason (table moderation)
	 * and logged for the owners. */
	if (strcmp(p->kind, "content-confirm") == 0) {
		gint64 row = 0;

		rd_command_parse_id(p->payload, &row);
		rd_log_info("%s@%s: post %" G_GINT64_FORMAT " confirmed harmless by its author %s",
		            x->c->name, x->c->domain, row, p->address);
		return rd_command_decide(x, row, TRUE, FALSE,
		                         "its author confirmed it identifies no patient", p->address,
		                         res, NULL, error);
	}
	if (strcmp(p->kind, "content-replace") == 0) {
		gint64 row = 0;

		rd_command_parse_id(p->payload, &row);
		return replace_held(x, row, p->address, res, error);
	}
	g_string_append(res, "This confirmation is of an unknown kind.");
	return TRUE;
}

/* A digest reply from another address, confirmed by its person. */
static gboolean
confirm_held_reply(cmd_ctx *x, gint64 pid, gint64 row, GString *res, GError **error)
{
	g_autofree char *addr = NULL;
	g_autoptr(GError) err = NULL;
	g_autoptr(rd_member) mem = NULL;

	if (!rd_store_reply_person_get(x->s, pid, &addr, NULL, &err)) {
		if (rd_status_from_error(err) != RD_NOTFOUND) {
			g_propagate_error(error, g_steal_pointer(&err));
			return FALSE;
		}
	}
	if (addr == NULL || g_ascii_strcasecmp(addr, x->from) != 0) {
		g_string_append_printf(res,
		                       "This confirmation must come from the address the "
		                       "request was sent to%s%s.",
		                       addr ? ", " : "", addr ? addr : "");
		return TRUE;
	}
	/* The reply was to be posted as a member: not once they have left. */
	if (!rd_command_member_lookup(x, addr, &mem, error))
		return FALSE;
	if (mem == NULL) {
		g_string_append_printf(res,
		                       "%s is no longer a member of %s; the reply was not "
		                       "posted.",
		                       addr, x->c->title);
		return TRUE;
	}
	return rd_command_decide(x, row, TRUE, FALSE, NULL, addr, res, NULL, error);
}

gboolean
rd_command_run_confirm(cmd_ctx *x, const char *token, GString *res, GError **error)
{
	guint64 a = 0, b = 0;

	if (x->o->secret != NULL &&
	    rd_token_check(x->o->secret, RD_TOKEN_PENDING, x->c->name, x->c->domain, token, &a, &b))
		return confirm_pending(x, (gint64)a, (gint64)b, res, error);
	if (x->o->secret != NULL &&
	    rd_token_check(x->o->secret, RD_TOKEN_CONFIRM, x->c->name, x->c->domain, token, &a,
	                   &b) &&
	    a != 0)
		return confirm_held_reply(x, (gint64)a, (gint64)b, res, error);
	g_string_append_printf(res,
	                       "This confirmation code is not valid for %s: it may be mistyped "
	                       "or belong to another community.",
	                       x->c->title);
	return TRUE;
}
