/* route.c - the inbound filter behind `rounds deliver`: the address kind
 * of the recipient decides who handles the mail (posts: post.c; replies
 * and digest replies: reply.c; bounces: fanout.c; commands, confirmations
 * and the owners: command.c).  Nothing below calls back up here. */
#include <string.h>

#include "address.h"
#include "bounce-score.h"
#include "command.h"
#include "deliver.h"
#include "fanout.h"
#include "log.h"
#include "message.h"
#include "post.h"
#include "reply.h"

struct lookup {
	rd_store *store;
	gboolean faulted; /* a lookup failed for another reason than "not found" */
};

static gboolean
community_exists(const char *name, const char *domain, gpointer data)
{
	struct lookup *l = data;
	g_autoptr(GError) err = NULL;
	g_autoptr(rd_community) c = rd_store_community_get(l->store, name, domain, &err);

	/* A fault of the database is not "no such community". */
	if (c == NULL && !g_error_matches(err, RD_ERROR, RD_NOTFOUND))
		l->faulted = TRUE;
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

static rd_status
deliver_post(rd_store *s, const rd_context *o, const rd_community *c, GBytes *data,
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
	return rd_post_store(s, o, c, m, data, NULL, result, error);
}

rd_status
rd_deliver(rd_store *s, const rd_context *o, GBytes *data, rd_deliver_result *result,
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
	struct lookup look = {s, FALSE};

	a = rd_address_parse(o->recipient, o->delimiter, community_exists, &look, &err);
	if (a == NULL) {
		rd_status st = look.faulted ? RD_TEMPFAIL : rd_status_from_error(err);

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
	case RD_ADDR_OWNER: {
		/* A feedback loop registered with the owner address: the
		 * report is scored as if it had come to the copy's VERP. */
		g_autofree char *verp = rd_bounce_score_feedback_token(o, c, data);

		if (verp != NULL) {
			rd_address va = {c->name, c->domain, RD_ADDR_BOUNCE, verp};

			st = rd_bounce_score_deliver(s, o, c, &va, data, result, error);
			break;
		}
		st = rd_command_deliver(s, o, c, a, data, result, error);
		break;
	}
	case RD_ADDR_REQUEST:
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
