/* command-web.c - what rounds web (web.c) carries out: a one-click
 * unsubscribe (RFC 8058) and a confirmation by a button instead of a reply
 * to +c-TOKEN@.  The token in the link is the proof, exactly as the same
 * token in an address is: the confirmation runs through
 * rd_command_run_confirm() as if its owner had replied.
 */
#include <string.h>

#include "command-internal.h"
#include "log.h"
#include "schedule.h"
#include "token.h"

/* Stop the digest of PERSON_ID's membership M: with combined digests the
 * one mail held every community whose digest they get, so all of those. */
static gboolean
stop_digest(cmd_ctx *x, const rd_member *m, GString *res, GError **error)
{
	g_autoptr(GPtrArray) all = NULL;

	if (g_strcmp0(m->grouping, "combined") != 0) {
		if (!rd_store_member_set(x->s, x->c->id, m->address, "delivery", "none", error))
			return FALSE;
		g_string_append_printf(res, "No more digests from %s.", x->c->title);
		return TRUE;
	}
	if ((all = rd_store_community_list(x->s, error)) == NULL)
		return FALSE;
	for (guint i = 0; i < all->len; i++) {
		rd_community *c = all->pdata[i];
		g_autoptr(rd_member) other = NULL;
		g_autoptr(GError) err = NULL;

		other = rd_store_member_get(x->s, c->id, m->address, &err);
		if (other == NULL) {
			if (rd_status_from_error(err) == RD_NOTFOUND)
				continue;
			g_propagate_error(error, g_steal_pointer(&err));
			return FALSE;
		}
		if (g_strcmp0(other->delivery, "digest") == 0 &&
		    !rd_store_member_set(x->s, c->id, m->address, "delivery", "none", error))
			return FALSE;
	}
	g_string_append(res, "No more digests: your daily mail of all your communities stops.");
	return TRUE;
}

rd_status
rd_command_web_unsubscribe(rd_store *s, const rd_context *o, const rd_community *c,
                           gint64 person_id, gboolean digest_only, char **result, GError **error)
{
	cmd_ctx x = {0};
	g_autoptr(GString) res = g_string_new(NULL);
	g_autoptr(rd_member) mem = NULL;
	rd_status st = RD_OK;

	rd_command_ctx_init(&x, s, o, c, NULL, "");
	if (!rd_store_begin(s, error))
		goto fail;
	if (!rd_command_person_member(&x, person_id, &mem, error))
		goto fail;
	/* A repeated POST (RFC 8058 clients retry) finds nothing to do. */
	if (mem == NULL) {
		g_string_append_printf(res, "You are not a member of %s any more.", c->title);
	} else if (digest_only && strcmp(mem->delivery, "digest") != 0) {
		g_string_append_printf(res, "You get no digest from %s now.", c->title);
	} else if (digest_only) {
		if (!stop_digest(&x, mem, res, error))
			goto fail;
	} else {
		if (!rd_command_leave_now(&x, mem->address, person_id, error))
			goto fail;
		g_string_append_printf(res, "You have left %s.", c->title);
	}
	if (!rd_store_commit(s, error))
		goto fail;
	if (mem != NULL)
		rd_log_info("%s@%s: web: %s for %s", c->name, c->domain, res->str, mem->address);
	*result = g_strdup(res->str);
	goto done;
fail:
	rd_store_rollback(s);
	st = rd_status_from_error(*error);
done:
	rd_command_ctx_clear(&x);
	return st;
}

/* What pending action P asks, in a sentence for the page. */
static char *
pending_what(const rd_community *c, const rd_pending_action *p)
{
	if (strcmp(p->kind, "subscribe") == 0 || strcmp(p->kind, "invite") == 0)
		return g_strdup_printf("Join %s as %s.", c->title, p->address);
	if (strcmp(p->kind, "unsubscribe") == 0)
		return g_strdup_printf("Leave %s (%s).", c->title, p->address);
	if (strcmp(p->kind, "alias") == 0)
		return g_strdup_printf("Add %s as another address of yours.", p->address);
	if (strcmp(p->kind, "approve") == 0 || strcmp(p->kind, "reject") == 0)
		return g_strdup_printf("%s held post %s.",
		                       strcmp(p->kind, "approve") == 0 ? "Approve" : "Reject",
		                       p->payload ? p->payload : "");
	return g_strdup_printf("Carry out these commands for %s:\n%s", c->title,
	                       p->payload ? p->payload : "");
}

rd_status
rd_command_web_pending(rd_store *s, const rd_context *o, const rd_community *c, const char *token,
                       char **address, char **what, GError **error)
{
	g_autoptr(GError) err = NULL;
	guint64 a = 0, b = 0;

	if (o->secret != NULL &&
	    rd_token_check(o->secret, RD_TOKEN_PENDING, c->name, c->domain, token, &a, &b)) {
		g_autoptr(rd_pending_action) p = rd_store_pending_get(s, (gint64)a, &err);

		if (p == NULL && rd_status_from_error(err) != RD_NOTFOUND) {
			g_propagate_error(error, g_steal_pointer(&err));
			return rd_status_from_error(*error);
		}
		/* Used, expired or another's: the page says nothing about it. */
		if (p != NULL && p->nonce == (gint64)b && p->community_id == c->id &&
		    p->used == 0 && p->expires > rd_schedule_now()) {
			*address = g_strdup(p->address);
			*what = pending_what(c, p);
			return RD_OK;
		}
	} else if (o->secret != NULL &&
	           rd_token_check(o->secret, RD_TOKEN_CONFIRM, c->name, c->domain, token, &a, &b) &&
	           a != 0) {
		/* The held reply (row b) waits only while it is held: once
		 * decided, by this link or a moderator, the link is used. */
		g_autoptr(rd_stored_message) m = rd_store_fanout_message(s, (gint64)b, FALSE, &err);

		if (m == NULL && rd_status_from_error(err) != RD_NOTFOUND) {
			g_propagate_error(error, g_steal_pointer(&err));
			return rd_status_from_error(*error);
		}
		g_clear_error(&err);
		if (m != NULL && m->community_id == c->id && g_strcmp0(m->status, "held") == 0 &&
		    rd_store_reply_person_get(s, (gint64)a, address, NULL, &err)) {
			*what = g_strdup_printf("Post your reply to %s that came from another "
			                        "address.",
			                        c->title);
			return RD_OK;
		}
		if (err != NULL && rd_status_from_error(err) != RD_NOTFOUND) {
			g_propagate_error(error, g_steal_pointer(&err));
			return rd_status_from_error(*error);
		}
	}
	g_set_error(error, RD_ERROR, RD_NOTFOUND, "no such confirmation");
	return RD_NOTFOUND;
}

rd_status
rd_command_web_confirm(rd_store *s, const rd_context *o, const rd_community *c, const char *token,
                       char **result, GError **error)
{
	g_autofree char *address = NULL, *what = NULL;
	cmd_ctx x = {0};
	rd_status st;

	st = rd_command_web_pending(s, o, c, token, &address, &what, error);
	if (st != RD_OK)
		return st;
	/* The button stands for a reply from the address the link was mailed
	 * to: the same code as that reply, with the same answer mail. */
	rd_command_ctx_init(&x, s, o, c, NULL, address);
	if (!rd_store_begin(s, error))
		goto fail;
	if (!rd_command_member_lookup(&x, x.from, &x.mem, error))
		goto fail;
	if (!rd_command_confirm_result(&x, token, result, error))
		goto fail;
	if (!(x.quiet && x.results->len == 1 && x.confirms->len == 0) &&
	    !rd_command_send_reply(&x, error))
		goto fail;
	if (!rd_store_commit(s, error))
		goto fail;
	rd_log_info("%s@%s: web: confirmation by %s", c->name, c->domain, x.from);
	goto done;
fail:
	rd_store_rollback(s);
	st = rd_status_from_error(*error);
	g_clear_pointer(result, g_free);
done:
	rd_command_ctx_clear(&x);
	return st;
}
