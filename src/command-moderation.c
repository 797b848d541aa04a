/* command-moderation.c - held posts: the notices to moderators and sender,
 * the held/approve/reject commands and the decision itself (the first one
 * wins).
 */
#include <string.h>

#include "command-internal.h"
#include "fanout.h"
#include "schedule.h"
#include "log.h"
#include "thread.h"

gboolean
rd_command_verb_held(cmd_ctx *x, char **argv, guint argc, GString *res, GError **error)
{
	g_autoptr(GPtrArray) list = rd_store_message_list(x->s, x->c->id, "held", error);

	if (list == NULL)
		return FALSE;
	if (list->len == 0)
		g_string_append(res, "No posts are waiting.");
	for (guint i = 0; i < list->len; i++) {
		rd_stored_message *m = list->pdata[i];
		g_autofree char *from = rd_command_one_line(m->from_addr);
		g_autofree char *subject = rd_command_one_line(m->subject);

		g_string_append_printf(res, "%s%" G_GINT64_FORMAT "  %s  \"%s\"  (%s)",
		                       i ? "\n" : "", m->id, from, subject,
		                       m->hold_reason ? m->hold_reason : "held");
	}
	return TRUE;
}

/* Tell the sender of a rejected post, when that cannot be backscatter. */
static gboolean
tell_rejected(cmd_ctx *x, const rd_stored_message *sm, const char *reason, GError **error)
{
	g_autoptr(rd_message) pm = NULL;
	JsonBuilder *b;
	gboolean ok;

	if (sm->raw == NULL || (pm = rd_message_parse(sm->raw, x->c->domain, NULL)) == NULL ||
	    !rd_command_may_reply(pm, NULL))
		return TRUE;
	b = rd_command_builder_new(x);
	rd_command_add_field(b, "subject", sm->subject);
	rd_command_add_str(b, "reason", reason);
	ok = rd_command_send_template(x, "rejected.txt.mustache", b, 0, sm->from_addr, NULL, TRUE,
	                              NULL, error);
	g_object_unref(b);
	return ok;
}

/* Approve or reject the held post ROW for BY; the first decision wins.
 * An approved post is threaded and queued for its "each" members in the
 * caller's transaction.  *OUTCOME (may be NULL) says which it was. */
gboolean
rd_command_decide(cmd_ctx *x, gint64 row, gboolean approve, gboolean allow, const char *reason,
                  const char *by, GString *res, rd_moderate_outcome *outcome, GError **error)
{
	g_autoptr(rd_stored_message) sm = NULL;
	g_autoptr(rd_stored_message) full = NULL;
	g_autoptr(GError) err = NULL;
	g_autofree char *decision = NULL, *who = NULL, *from = NULL, *subject = NULL;
	gboolean won;
	rd_moderate_outcome dummy;

	if (outcome == NULL)
		outcome = &dummy;
	*outcome = RD_MODERATE_NONE;
	sm = rd_store_fanout_message(x->s, row, TRUE, &err);
	if (sm == NULL || sm->community_id != x->c->id) {
		if (err != NULL && rd_status_from_error(err) != RD_NOTFOUND) {
			g_propagate_error(error, g_steal_pointer(&err));
			return FALSE;
		}
		g_string_append_printf(res, "There is no held post %" G_GINT64_FORMAT ".", row);
		return TRUE;
	}
	if (!rd_store_command_decide(x->s, x->c->id, row, approve, by, reason, x->now, &won, error))
		return FALSE;
	from = rd_command_one_line(sm->from_addr);
	subject = rd_command_one_line(sm->subject);
	*outcome = won ? RD_MODERATE_DONE : RD_MODERATE_DECIDED;
	if (!won) {
		if (!rd_store_command_decision(x->s, row, &decision, &who, error))
			return FALSE;
		g_string_append_printf(res,
		                       "Post %" G_GINT64_FORMAT " was already decided%s%s%s%s.",
		                       row, decision ? ": " : "", decision ? decision : "",
		                       who ? " by " : "", who ? who : "");
		return TRUE;
	}
	if (!approve) {
		if (!tell_rejected(x, sm, reason, error))
			return FALSE;
		g_string_append_printf(res, "Rejected post %" G_GINT64_FORMAT " from %s.", row,
		                       from);
		return TRUE;
	}
	full = rd_store_message_get(x->s, x->c->id, sm->message_id, FALSE, error);
	if (full == NULL || !rd_thread_link(x->s, full, x->o->subject_window_days, error) ||
	    !rd_fanout_enqueue(x->s, x->o, x->c, row, error))
		return FALSE;
	g_string_append_printf(res, "Approved post %" G_GINT64_FORMAT " from %s: \"%s\".", row,
	                       from, subject);
	if (allow) {
		g_autoptr(rd_member) existing = NULL;
		gint64 pid;
		const char *role = strcmp(x->c->policy, "announce") == 0 ? "poster" : "member";

		if (!rd_command_member_lookup(x, sm->from_addr, &existing, error))
			return FALSE;
		if (existing == NULL) {
			/* Allowed senders are members who get no mail. */
			if (!rd_store_person_ensure(x->s, sm->from_addr, sm->from_name, &pid,
			                            error) ||
			    !rd_store_member_add(x->s, x->c->id, pid, role, "none", error))
				return FALSE;
		} else if (strcmp(existing->role, "member") == 0 && strcmp(role, "poster") == 0 &&
		           !rd_store_member_set(x->s, x->c->id, existing->address, "role", role,
		                                error)) {
			return FALSE;
		}
		g_string_append_printf(res, " %s may post from now on.", from);
	}
	return TRUE;
}

gboolean
rd_command_parse_id(const char *text, gint64 *id)
{
	char *end;
	gint64 v;

	if (text == NULL)
		return FALSE;
	if (*text == '#')
		text++;
	v = g_ascii_strtoll(text, &end, 10);
	if (end == text || *end != '\0' || v <= 0)
		return FALSE;
	*id = v;
	return TRUE;
}

gboolean
rd_command_verb_approve(cmd_ctx *x, char **argv, guint argc, GString *res, GError **error)
{
	gint64 id;
	gboolean allow = argc > 3 && g_ascii_strcasecmp(argv[2], "and") == 0 &&
	                 g_ascii_strcasecmp(argv[3], "allow") == 0;

	if (argc < 2 || !rd_command_parse_id(argv[1], &id)) {
		g_string_append(res, "Use: approve ID [and allow] (send \"held\" for the IDs).");
		return TRUE;
	}
	return rd_command_decide(x, id, TRUE, allow, NULL, x->from, res, NULL, error);
}

gboolean
rd_command_verb_reject(cmd_ctx *x, char **argv, guint argc, GString *res, GError **error)
{
	gint64 id;
	g_autofree char *reason = NULL;

	if (argc < 2 || !rd_command_parse_id(argv[1], &id)) {
		g_string_append(res, "Use: reject ID [REASON] (send \"held\" for the IDs).");
		return TRUE;
	}
	if (argc > 2)
		reason = g_strjoinv(" ", argv + 2);
	return rd_command_decide(x, id, FALSE, FALSE, reason, x->from, res, NULL, error);
}

/* The first lines of a held post's text for the moderators. */
static char *
first_lines(const char *body, guint max)
{
	g_auto(GStrv) lines = g_strsplit(body ? body : "", "\n", -1);
	GString *out = g_string_new(NULL);
	guint n = 0;

	for (guint i = 0; lines[i] && n < max; i++) {
		if (n == 0 && *lines[i] == '\0')
			continue;
		g_string_append_printf(out, "%s\n", lines[i]);
		n++;
	}
	if (lines[0] && n == max)
		g_string_append(out, "[...]\n");
	return g_string_free(out, FALSE);
}

static const char *
reason_text(const char *reason)
{
	static const struct {
		const char *reason, *text;
	} texts[] = {
	    {"non-member", "the sender is not a member"},
	    {"announce", "only posters and owners may post to this community"},
	    {"automatic", "it looks like an automatic message"},
	    {"no-from-address", "it has no author address in From"},
	    {"oversized", "it is larger than the community accepts"},
	    {"reply-from-other-address", "it is a digest reply sent from another address"},
	    {"dicom", "it carries a DICOM file, whose header names the patient"},
	    {"photo-metadata",
	     "it carries a photo whose location and camera details could not be removed"},
	    {"patient-identifiers", "it seems to identify a patient"},
	};

	for (gsize i = 0; reason && i < G_N_ELEMENTS(texts); i++)
		if (strcmp(reason, texts[i].reason) == 0)
			return texts[i].text;
	return reason ? reason : "it needs a moderator's look";
}

gboolean
rd_command_held_notice(rd_store *s, const rd_context *o, const rd_community *c, gint64 row,
                       const char *reason, GError **error)
{
	return rd_command_held_notice_details(s, o, c, row, reason, NULL, error);
}

/* The author of a post held for its content hears what was found and
 * gets a +c- address to confirm it is harmless (then it is posted). */
static gboolean
held_author_notice(cmd_ctx *x, const rd_stored_message *sm, gint64 row, const char *reason,
                   const char *details, GError **error)
{
	g_autofree char *id = g_strdup_printf("%" G_GINT64_FORMAT, row);
	g_autofree char *tok = NULL, *addr = NULL, *rtok = NULL, *raddr = NULL;
	JsonBuilder *b;
	gboolean sent;

	tok = rd_command_pending_new(x, "content-confirm", sm->from_addr, 0, id, error);
	rtok = tok ? rd_command_pending_new(x, "content-replace", sm->from_addr, 0, id, error)
	           : NULL;
	if (rtok == NULL)
		return FALSE;
	addr = rd_command_confirm_address(x, tok);
	raddr = rd_command_confirm_address(x, rtok);
	b = rd_command_builder_new(x);
	rd_command_add_field(b, "subject", sm->subject);
	rd_command_add_str(b, "reason", reason);
	rd_command_add_str(b, "reason_text", reason_text(reason));
	rd_command_add_str(b, "details", details);
	rd_command_add_str(b, "confirm_address", addr);
	rd_command_add_str(b, "confirm_token", tok);
	rd_command_add_str(b, "replace_address", raddr);
	sent = rd_command_send_template(x, "held-author.txt.mustache", b, 0, sm->from_addr, raddr,
	                                TRUE, NULL, error);
	g_object_unref(b);
	return sent;
}

gboolean
rd_command_held_notice_details(rd_store *s, const rd_context *o, const rd_community *c,
                               gint64 row, const char *reason, const char *details,
                               GError **error)
{
	g_autoptr(rd_stored_message) sm = NULL;
	g_autoptr(GPtrArray) list = NULL;
	g_autoptr(rd_message) pm = NULL;
	g_autofree char *lines = NULL;
	cmd_ctx x = {0};
	gboolean ok = FALSE;

	if (o->secret == NULL) {
		/* Without the secret there are no approve addresses; the post
		 * stays held and "held" lists it. */
		rd_log_warnx("%s@%s: no secret; moderators not told about post %" G_GINT64_FORMAT,
		             c->name, c->domain, row);
		return TRUE;
	}
	sm = rd_store_fanout_message(s, row, TRUE, error);
	if (sm == NULL)
		return FALSE;
	list = rd_store_member_list(s, c->id, error);
	if (list == NULL)
		return FALSE;
	x.s = s;
	x.o = o;
	x.c = c;
	x.now = rd_schedule_now();
	x.from = g_strdup(sm->from_addr);
	/* Held for what it contains: the moderators see what was found,
	 * masked, not the text itself. */
	lines = details != NULL ? g_strdup(details) : first_lines(sm->body, 15);
	for (guint i = 0; i < list->len; i++) {
		rd_member *mod = list->pdata[i];
		g_autofree char *id = g_strdup_printf("%" G_GINT64_FORMAT, row);
		g_autofree char *atok = NULL, *rtok = NULL, *aaddr = NULL, *raddr = NULL;
		JsonBuilder *b;
		gboolean sent;

		if (!rd_command_is_moderator(mod) || strcmp(mod->status, "active") != 0)
			continue;
		/* Each moderator gets tokens bound to their own address. */
		atok =
		    rd_command_pending_new(&x, "approve", mod->address, mod->person_id, id, error);
		rtok = atok ? rd_command_pending_new(&x, "reject", mod->address, mod->person_id, id,
		                                     error)
		            : NULL;
		if (rtok == NULL)
			goto out;
		aaddr = rd_command_confirm_address(&x, atok);
		raddr = rd_command_confirm_address(&x, rtok);
		b = rd_command_builder_new(&x);
		rd_command_add_str(b, "id", id);
		rd_command_add_field(b, "sender", sm->from_addr);
		rd_command_add_field(b, "sender_name", sm->from_name);
		rd_command_add_field(b, "subject", sm->subject);
		rd_command_add_str(b, "reason", reason);
		rd_command_add_str(b, "reason_text", reason_text(reason));
		rd_command_add_str(b, "first_lines", lines);
		rd_command_add_str(b, "approve_address", aaddr);
		rd_command_add_str(b, "reject_address", raddr);
		rd_command_add_str(b, "approve_token", atok);
		rd_command_add_str(b, "reject_token", rtok);
		sent = rd_command_send_template(&x, "held-owner.txt.mustache", b, mod->person_id,
		                                mod->address, aaddr, FALSE, NULL, error);
		g_object_unref(b);
		if (!sent)
			goto out;
	}
	/* The sender hears once that the post waits, unless the mail was
	 * automatic (backscatter) or the person was already asked to
	 * confirm a reply from another address. */
	if (g_strcmp0(reason, "reply-from-other-address") != 0 && sm->raw != NULL &&
	    (pm = rd_message_parse(sm->raw, c->domain, NULL)) != NULL &&
	    rd_command_may_reply(pm, o->sender) && g_strcmp0(reason, "automatic") != 0 &&
	    details != NULL) {
		if (!held_author_notice(&x, sm, row, reason, details, error))
			goto out;
	} else if (g_strcmp0(reason, "reply-from-other-address") != 0 && pm != NULL &&
	           rd_command_may_reply(pm, o->sender) && g_strcmp0(reason, "automatic") != 0) {
		JsonBuilder *b = rd_command_builder_new(&x);
		gboolean sent;

		rd_command_add_field(b, "subject", sm->subject);
		rd_command_add_str(b, "reason", reason);
		rd_command_add_str(b, "reason_text", reason_text(reason));
		sent = rd_command_send_template(&x, "held-sender.txt.mustache", b, 0, sm->from_addr,
		                                NULL, TRUE, NULL, error);
		g_object_unref(b);
		if (!sent)
			goto out;
	}
	ok = TRUE;
out:
	g_free(x.from);
	return ok;
}
