/* deliver.c - the inbound filter behind `rounds deliver`. */
#include <string.h>

#include "address.h"
#include "bounce.h"
#include "bounce-score.h"
#include "command.h"
#include "reply.h"
#include "deliver.h"
#include "fanout.h"
#include "log.h"
#include "message.h"
#include "scrub.h"
#include "subject.h"
#include "thread.h"

static gboolean
community_exists(const char *name, const char *domain, gpointer data)
{
	g_autoptr(rd_community) c = rd_store_community_get(data, name, domain, NULL);

	return c != NULL;
}

/* Mail this community sent itself must never be posted again. */
static gboolean
is_own_loop(const rd_message *m, const rd_community *c)
{
	g_autofree char *addr = g_strdup_printf("%s@%s", c->name, c->domain);
	g_autofree char *list_id = g_strdup_printf("<%s.%s>", c->name, c->domain);

	if (m->x_loop != NULL && g_ascii_strcasecmp(m->x_loop, addr) == 0)
		return TRUE;
	if (m->list_id != NULL) {
		g_autofree char *lower = g_ascii_strdown(m->list_id, -1);
		g_autofree char *want = g_ascii_strdown(list_id, -1);

		if (strstr(lower, want) != NULL)
			return TRUE;
	}
	return FALSE;
}

/* Decide posted or held; returns the hold reason or NULL to post. */
static const char *
policy_decide(rd_store *s, const rd_deliver_opts *o, const rd_community *c, const rd_message *m,
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

/* Tokens pasted into M (raw *DATA) taken out; *CLEAN holds the new raw
 * message when there were any. */
static gboolean
scrub_post(rd_store *s, rd_message *m, GBytes **data, GBytes **clean, GError **error)
{
	g_autoptr(GPtrArray) domains = rd_store_community_domains(s, error);

	if (domains == NULL)
		return FALSE;
	g_ptr_array_add(domains, NULL);
	*clean = rd_scrub_message(m, *data, (const char *const *)domains->pdata);
	if (*clean != NULL)
		*data = *clean;
	return TRUE;
}

/* The one transaction behind rd_deliver_store() and
 * rd_deliver_store_private(): PRIVATE_PID > 0 files M as "private" (never
 * threaded, fanned out or digested) and forwards it to the owners. */
static rd_status
store_message(rd_store *s, const rd_deliver_opts *o, const rd_community *c, rd_message *m,
              GBytes *data, const char *forced_hold, gint64 private_pid, gint64 private_tid,
              rd_deliver_hook hook, gpointer hook_data, rd_deliver_result *result, GError **error)
{
	g_autoptr(rd_stored_message) sm = g_new0(rd_stored_message, 1);
	g_autoptr(GDateTime) now = g_date_time_new_now_utc();
	g_autoptr(GError) err = NULL;
	g_autoptr(GBytes) clean = NULL;
	const char *hold;
	gboolean dup = FALSE;

	g_free(result->message_id);
	result->message_id = g_strdup(m->message_id);
	/* Every post (deliver, reply, import) is stored here, and all that
	 * leaves is made from what is stored: one scrub covers every path. */
	if (!scrub_post(s, m, &data, &clean, error))
		return rd_status_from_error(*error);
	if (!rd_store_begin(s, error))
		return rd_status_from_error(*error);
	if (!rd_store_message_exists(s, c->id, m->message_id, &dup, error))
		goto fail;
	if (dup) {
		rd_store_rollback(s);
		result->status = g_strdup("duplicate");
		return RD_OK;
	}
	hold = forced_hold;
	if (hold == NULL && private_pid == 0 && !o->bypass_policy)
		hold = policy_decide(s, o, c, m, &err);
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
	sm->status = g_strdup(hold ? "held" : private_pid ? "private" : "posted");
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
	if (private_pid > 0 && !rd_command_forward_reply(s, o, c, private_pid, private_tid,
							  m->body, error))
		goto fail;
	if (hold == NULL && private_pid == 0 &&
	    !rd_thread_link(s, sm, o->subject_window_days, error))
		goto fail;
	/* Every-message members are queued in the same transaction: a post
	 * is either stored and queued for everyone, or neither.  Imports
	 * send nothing. */
	if (hold == NULL && private_pid == 0 && !o->bypass_policy &&
	    !rd_fanout_enqueue(s, o, c, sm->id, error))
		goto fail;
	/* A held post tells the moderators in the same transaction. */
	if (hold != NULL && !rd_command_held_notice(s, o, c, sm->id, hold, error))
		goto fail;
	if (hook != NULL && !hook(s, sm->id, sm->status, hook_data, error))
		goto fail;
	if (!rd_store_commit(s, error))
		goto fail;
	result->status = g_strdup(sm->status);
	result->row = sm->id;
	rd_log_info("%s: <%s> from %s %s%s%s", result->community ? result->community : c->name,
		    m->message_id, sm->from_addr, sm->status, hold ? ": " : "", hold ? hold : "");
	return RD_OK;

fail:
	rd_store_rollback(s);
	return rd_status_from_error(*error);
}

rd_status
rd_deliver_store(rd_store *s, const rd_deliver_opts *o, const rd_community *c, rd_message *m,
		 GBytes *data, const char *forced_hold, rd_deliver_result *result, GError **error)
{
	return store_message(s, o, c, m, data, forced_hold, 0, 0, NULL, NULL, result, error);
}

rd_status
rd_deliver_store_then(rd_store *s, const rd_deliver_opts *o, const rd_community *c, rd_message *m,
                      GBytes *data, const char *forced_hold, rd_deliver_hook hook,
                      gpointer hook_data, rd_deliver_result *result, GError **error)
{
	return store_message(s, o, c, m, data, forced_hold, 0, 0, hook, hook_data, result, error);
}

rd_status
rd_deliver_store_private(rd_store *s, const rd_deliver_opts *o, const rd_community *c,
			 rd_message *m, GBytes *data, gint64 person_id, gint64 thread_id,
			 rd_deliver_result *result, GError **error)
{
	g_return_val_if_fail(person_id > 0, RD_SOFTWARE);
	return store_message(s, o, c, m, data, NULL, person_id, thread_id, NULL, NULL, result,
	                     error);
}

static rd_status
deliver_post(rd_store *s, const rd_deliver_opts *o, const rd_community *c, GBytes *data,
	     rd_deliver_result *result, GError **error)
{
	g_autoptr(rd_message) m = rd_message_parse(data, c->domain, error);

	if (m == NULL)
		return RD_DATAERR;
	result->message_id = g_strdup(m->message_id);
	if (is_own_loop(m, c)) {
		rd_log_info("%s: <%s> carries this community's own X-Loop/List-Id; not posted again",
			    result->community, m->message_id);
		result->status = g_strdup("loop");
		return RD_OK;
	}
	/* A plain Reply to a digest that reached the post address (the client
	 * ignored Reply-To) is a digest reply, never a new thread. */
	g_autofree char *dtok = NULL;
	if (o->secret && !o->bypass_policy && rd_reply_is_digest_reply(m, c, o->secret, &dtok)) {
		rd_address da = {c->name, c->domain, RD_ADDR_DIGEST, dtok};

		return rd_reply_deliver(s, o, c, &da, data, result, error);
	}
	return rd_deliver_store(s, o, c, m, data, NULL, result, error);
}

rd_status
rd_deliver(rd_store *s, const rd_deliver_opts *o, GBytes *data, rd_deliver_result *result,
	   GError **error)
{
	g_autoptr(rd_address) a = NULL;
	g_autoptr(rd_community) c = NULL;
	rd_deliver_result dummy = {0};
	GError *err = NULL;

	if (result == NULL)
		result = &dummy;
	if (o->max_size > 0 && (gint64)g_bytes_get_size(data) > o->max_size) {
		g_set_error(error, RD_ERROR, RD_DATAERR,
			    "The message is larger than this list accepts (%" G_GINT64_FORMAT
			    " bytes at most).",
			    o->max_size);
		return RD_DATAERR;
	}
	a = rd_address_parse(o->recipient, o->delimiter, community_exists, s, &err);
	if (a == NULL) {
		rd_status st = rd_status_from_error(err);

		/* A busy database while looking the community up must not
		 * become "unknown community": check again by a real query. */
		g_autoptr(GPtrArray) probe = rd_store_community_list(s, NULL);
		if (probe == NULL)
			st = RD_TEMPFAIL;
		if (st == RD_NOUSER)
			g_set_error(error, RD_ERROR, RD_NOUSER,
				    "There is no community at %s; check the address.",
				    o->recipient);
		else if (st == RD_TEMPFAIL)
			g_set_error(error, RD_ERROR, RD_TEMPFAIL,
				    "The list database is busy; the message will be retried.");
		else
			g_propagate_error(error, g_steal_pointer(&err));
		g_clear_error(&err);
		rd_deliver_result_clear(&dummy);
		return st;
	}
	c = rd_store_community_get(s, a->community, a->domain, error);
	if (c == NULL)
		return rd_status_from_error(*error);
	result->community = g_strdup_printf("%s@%s", c->name, c->domain);

	rd_status st;
	switch (a->kind) {
	case RD_ADDR_POST:
		st = deliver_post(s, o, c, data, result, error);
		break;
	case RD_ADDR_BOUNCE:
		st = rd_bounce_score_deliver(s, o, c, a, data, result, error);
		break;
	case RD_ADDR_REPLY:
	case RD_ADDR_DIGEST:
		st = rd_reply_deliver(s, o, c, a, data, result, error);
		break;
	case RD_ADDR_CONFIRM:
		/* Conversation choices for kept digest replies are the reply
		 * module's; every other confirmation is a pending command. */
		if (rd_reply_owns_confirm(o->secret, c, a->token))
			st = rd_reply_confirm(s, o, c, a, data, result, error);
		else
			st = rd_command_deliver(s, o, c, a, data, result, error);
		break;
	case RD_ADDR_REQUEST:
	case RD_ADDR_OWNER:
	case RD_ADDR_SUBSCRIBE:
	case RD_ADDR_UNSUBSCRIBE:
	case RD_ADDR_HELP:
		st = rd_command_deliver(s, o, c, a, data, result, error);
		break;
	default:
		g_set_error(error, RD_ERROR, RD_UNAVAIL,
			    "Mail to the %s address of %s is not enabled on this server yet.",
			    rd_address_kind_name(a->kind), result->community);
		st = RD_UNAVAIL;
	}
	rd_deliver_result_clear(&dummy);
	return st;
}

void
rd_deliver_result_clear(rd_deliver_result *r)
{
	g_clear_pointer(&r->community, g_free);
	g_clear_pointer(&r->message_id, g_free);
	g_clear_pointer(&r->status, g_free);
}
