/* post.c - storing one post in one transaction: duplicate check, policy,
 * insert, threading, fan-out or held notice, and what the caller's hook
 * queues.  Every path that posts comes here: mail to the post address
 * (route.c), replies (reply.c), imports (import.c).  It never calls back
 * into them, so none of them can form a cycle through it. */
#include <string.h>

#include "command.h"
#include "fanout.h"
#include "log.h"
#include "message.h"
#include "post.h"
#include "screen.h"
#include "scrub.h"
#include "subject.h"
#include "thread.h"

/* Decide posted or held; returns the hold reason or NULL to post. */
static const char *
policy_decide(rd_store *s, const rd_context *o, const rd_community *c, const rd_message *m,
              GError **error)
{
	g_autoptr(rd_member) mem = NULL;
	g_autoptr(GError) err = NULL;

	/* Out-of-office replies often lack Auto-Submitted: the bounce module
	 * also knows their subjects and other headers. */
	if (rd_message_is_automatic(m, RD_AUTO_SUBMITTED | RD_AUTO_BULK | RD_AUTO_REPLY) &&
	    !c->accept_auto)
		return "automatic";
	/* No From address, no author, whatever the policy: Sender, Reply-To
	 * and the envelope are claims of whoever sent it (message.c). */
	if (m->from_addr == NULL)
		return "no-from-address";
	/* The MTA we trust checked the From domain's DMARC policy and it
	 * failed: the From is forged, so nobody's name is posted on it, in an
	 * open community either (DESIGN.md, trust model). */
	if (o->trusted_authserv_id != NULL &&
	    rd_command_auth_verdict(m->mime, o->trusted_authserv_id, m->from_addr) == RD_AUTH_FAIL)
		return "dmarc-fail";
	if (strcmp(c->policy, "open") == 0)
		return NULL;
	mem = rd_store_member_get(s, c->id, m->from_addr, &err);
	if (mem == NULL) {
		if (rd_status_from_error(err) != RD_NOTFOUND) {
			g_propagate_error(error, g_steal_pointer(&err));
			return NULL;
		}
		return strcmp(c->policy, "announce") == 0 ? "announce" : "non-member";
	}
	if (strcmp(c->policy, "announce") == 0 && strcmp(mem->role, "member") == 0)
		return "announce";
	return NULL;
}

/* The screening step: patient identifiers in M hold it for its author
 * (RD_SCREEN_HOLD_REASON) unless the community turned screening off;
 * *DETAILS gets one line per finding, masked, for the notices. */
static const char *
screen_decide(rd_store *s, const rd_community *c, const rd_message *m, char **details,
              GError **error)
{
	g_autofree char *mode = NULL;
	g_autoptr(GPtrArray) allow = NULL;
	g_autoptr(GPtrArray) found = NULL;
	rd_screen_opts opts = {0};
	GString *out;

	if (!rd_store_screen_mode(s, c->id, &mode, error))
		return NULL;
	if (strcmp(mode, "hold") != 0)
		return NULL;
	if ((allow = rd_store_screen_allowed(s, c->id, error)) == NULL)
		return NULL;
	g_ptr_array_add(allow, NULL);
	opts.allow = (const char *const *)allow->pdata;
	opts.author_name = m->from_name;
	opts.author_addr = m->from_addr;
	found = rd_screen_message(m, &opts);
	if (found->len == 0)
		return NULL;
	out = g_string_new(NULL);
	for (guint i = 0; i < found->len; i++) {
		rd_screen_finding *f = found->pdata[i];

		g_string_append_printf(out, "  %s (%s): %s\n", f->kind, f->where ? f->where : "text",
		                       f->context ? f->context : f->masked);
	}
	*details = g_string_free(out, FALSE);
	return RD_SCREEN_HOLD_REASON;
}

/* Tokens pasted into M (raw *DATA) taken out, and its photos' metadata;
 * *CLEAN holds the new raw message when anything changed, *HOLD a reason
 * to hold it (scrub.h). */
static gboolean
scrub_post(rd_store *s, const rd_context *o, const rd_community *c, rd_message *m,
           GBytes **data, GBytes **clean, const char **hold, GError **error)
{
	g_autoptr(GPtrArray) domains = rd_store_community_domains(s, error);

	if (domains == NULL)
		return FALSE;
	/* The one-click links of rounds web are tokens as well. */
	if (o->web_url != NULL)
		g_ptr_array_add(domains, g_strdup(o->web_url));
	g_ptr_array_add(domains, NULL);
	*clean = rd_scrub_message(m, *data, (const char *const *)domains->pdata, hold);
	if (*clean == NULL)
		return TRUE;
	*data = *clean;
	/* A cleaned photo is smaller: the listed sizes follow what is stored. */
	if (m->attachments != NULL && m->attachments->len > 0) {
		g_autoptr(rd_message) again = rd_message_parse(*clean, c->domain, NULL);

		if (again != NULL && again->attachments != NULL &&
		    again->attachments->len == m->attachments->len) {
			g_ptr_array_unref(m->attachments);
			m->attachments = g_ptr_array_ref(again->attachments);
		}
	}
	return TRUE;
}

/* The one transaction behind every rd_post_store*(): PRIVATE_ files M as
 * "private" (never threaded, fanned out or digested); the caller's HOOK
 * sends it to whom it is for. */
static rd_status
store_message(rd_store *s, const rd_context *o, const rd_community *c, rd_message *m,
              GBytes *data, const char *forced_hold, gboolean private_, rd_post_hook hook,
              gpointer hook_data, gboolean own_tx, rd_deliver_result *result, GError **error)
{
	g_autoptr(rd_stored_message) sm = g_new0(rd_stored_message, 1);
	g_autoptr(GDateTime) now = g_date_time_new_now_utc();
	g_autoptr(GError) err = NULL;
	g_autoptr(GBytes) clean = NULL;
	g_autofree char *details = NULL;
	const char *hold, *media_hold = NULL;
	gboolean dup = FALSE;

	g_free(result->message_id);
	result->message_id = g_strdup(m->message_id);
	/* Every post (deliver, reply, import) is stored here, and all that
	 * leaves is made from what is stored: one scrub covers every path. */
	if (!scrub_post(s, o, c, m, &data, &clean, &media_hold, error))
		return rd_status_from_error(*error);
	if (own_tx && !rd_store_begin(s, error))
		return rd_status_from_error(*error);
	if (!rd_store_message_exists(s, c->id, m->message_id, &dup, error))
		goto fail;
	if (dup) {
		if (own_tx)
			rd_store_rollback(s);
		result->status = g_strdup("duplicate");
		return RD_OK;
	}
	hold = forced_hold;
	/* Not a policy: an archive import holds a DICOM object too. */
	if (hold == NULL && !private_)
		hold = media_hold;
	if (hold == NULL && !private_ && !o->bypass_policy)
		hold = policy_decide(s, o, c, m, &err);
	/* Screening comes after the policy: a post the policy holds anyway
	 * is not read for identifiers; replies come here too. */
	if (hold == NULL && err == NULL && !private_ && !o->bypass_policy)
		hold = screen_decide(s, c, m, &details, &err);
	if (err != NULL) {
		g_propagate_error(error, g_steal_pointer(&err));
		goto fail;
	}

	sm->community_id = c->id;
	sm->message_id = g_strdup(m->message_id);
	sm->from_addr = g_strdup(m->from_addr ? m->from_addr
					      : (o->sender && *o->sender ? o->sender : ""));
	sm->from_name = g_strdup(m->from_name);
	sm->subject = g_strdup(m->subject);
	sm->norm_subject = rd_subject_normalize(m->subject);
	sm->is_reply = rd_subject_is_reply(m->subject);
	sm->date = g_date_time_to_unix(m->date);
	sm->date_text = g_date_time_format(m->date, "%Y-%m-%dT%H:%M:%S%:z");
	sm->arrived = g_date_time_to_unix(now);
	sm->status = g_strdup(hold ? "held" : private_ ? "private" : "posted");
	sm->hold_reason = g_strdup(hold);
	sm->body = g_strdup(m->body);
	sm->raw = g_bytes_ref(data);
	/* Parsed chains are capped already; a reply's chain built from its
	 * conversation (reply.c) is one longer than the one it extends, and
	 * must not grow with every reply. */
	sm->refs = rd_message_refs_cap(g_strdupv(m->refs));
	sm->attachments = g_ptr_array_ref(m->attachments);
	if (!rd_store_message_insert(s, sm, error))
		goto fail;
	if (hold == NULL && !private_ &&
	    !rd_thread_link(s, sm, o->subject_window_days, error))
		goto fail;
	/* Every-message members are queued in the same transaction: a post
	 * is either stored and queued for everyone, or neither.  Imports
	 * send nothing. */
	if (hold == NULL && !private_ && !o->bypass_policy &&
	    !rd_fanout_enqueue(s, o, c, sm->id, error))
		goto fail;
	/* A held post tells the moderators in the same transaction. */
	if (hold != NULL &&
	    !rd_command_held_notice_details(s, o, c, sm->id, hold, details, error))
		goto fail;
	if (hook != NULL && !hook(s, sm->id, sm->status, hook_data, error))
		goto fail;
	if (own_tx && !rd_store_commit(s, error))
		goto fail;
	result->status = g_strdup(sm->status);
	result->row = sm->id;
	rd_log_info("%s: <%s> from %s %s%s%s", result->community ? result->community : c->name,
		    m->message_id, sm->from_addr, sm->status, hold ? ": " : "", hold ? hold : "");
	return RD_OK;

fail:
	if (own_tx)
		rd_store_rollback(s);
	return rd_status_from_error(*error);
}

rd_status
rd_post_store(rd_store *s, const rd_context *o, const rd_community *c, rd_message *m,
              GBytes *data, const char *forced_hold, rd_deliver_result *result, GError **error)
{
	return store_message(s, o, c, m, data, forced_hold, FALSE, NULL, NULL, TRUE, result, error);
}

rd_status
rd_post_store_then(rd_store *s, const rd_context *o, const rd_community *c, rd_message *m,
                   GBytes *data, const char *forced_hold, rd_post_hook hook, gpointer hook_data,
                   rd_deliver_result *result, GError **error)
{
	return store_message(s, o, c, m, data, forced_hold, FALSE, hook, hook_data, TRUE, result, error);
}

rd_status
rd_post_store_private(rd_store *s, const rd_context *o, const rd_community *c,
                      rd_message *m, GBytes *data, rd_post_hook hook, gpointer hook_data,
                      rd_deliver_result *result, GError **error)
{
	return store_message(s, o, c, m, data, NULL, TRUE, hook, hook_data, TRUE, result, error);
}

rd_status
rd_post_store_in(rd_store *s, const rd_context *o, const rd_community *c, rd_message *m,
                 GBytes *data, rd_deliver_result *result, GError **error)
{
	return store_message(s, o, c, m, data, NULL, FALSE, NULL, NULL, FALSE, result, error);
}

void
rd_deliver_result_clear(rd_deliver_result *r)
{
	g_clear_pointer(&r->community, g_free);
	g_clear_pointer(&r->message_id, g_free);
	g_clear_pointer(&r->status, g_free);
}
