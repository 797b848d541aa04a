/* bounce-score.c - bounces scored as Mailman does it.
 *
 * Mail to COMMUNITY+b-TOKEN@ is a delivery report (or an out-of-office
 * answer) for the member the VERP token names.  Each failure adds to the
 * member's score, at most one permanent failure's worth per UTC day; a
 * week without bounces starts the score again.  At the threshold delivery
 * is disabled, the member is told how to turn it on again (a reply to the
 * +b address) and the owners are told.  A 5xx from our own smarthost for a
 * member's copy is scored the same way (rd_bounce_score_record_failure).
 */
#include <string.h>

#include "address.h"
#include "bounce.h"
#include "bounce-score.h"
#include "fanout.h"
#include "log.h"
#include "message.h"
#include "notice.h"
#include "schedule.h"
#include "token.h"

/* Mailman's defaults (bounce_score_threshold, bounce_info_stale_after).
 * rounds.conf [bounces] threshold / window-days would go in rd_context;
 * until then these are the values. */
static const rd_bounce_score_policy default_policy = {
    .threshold = 5.0,
    .window_days = 7,
};

const rd_bounce_score_policy *
rd_bounce_score_policy_default(void)
{
	return &default_policy;
}

/* Decay: a score whose last bounce is more than window_days old starts
 * again from zero, as Mailman's bounce_info_stale_after does.  The outbox's
 * successful sends are not used, since a 250 from our own smarthost says
 * nothing about the member's mailbox; a week without bounces does. */
gboolean
rd_bounce_score_add(rd_fanout_bounce_state *b, double points, gint64 now,
                const rd_bounce_score_policy *p)
{
	g_autoptr(GDateTime) dt = g_date_time_new_from_unix_utc(now);
	g_autofree char *day = g_date_time_format(dt, "%Y-%m-%d");
	gboolean was_below = b->score < p->threshold;
	double add;

	if (points <= 0)
		return FALSE;
	if (b->last > 0 && now - b->last > (gint64)p->window_days * 86400) {
		b->score = 0;
		was_below = TRUE;
	}
	/* One scoring per day: a second bounce the same day only counts for
	 * what it adds (a temporary failure followed by a permanent one). */
	if (b->day != NULL && strcmp(b->day, day) == 0) {
		add = points > b->day_points ? points - b->day_points : 0;
		if (points > b->day_points)
			b->day_points = points;
	} else {
		add = points;
		g_free(b->day);
		b->day = g_strdup(day);
		b->day_points = points;
	}
	if (add <= 0)
		return FALSE;
	b->score += add;
	b->last = now;
	return was_below && b->score >= p->threshold && g_strcmp0(b->status, "active") == 0;
}

char *
rd_bounce_score_feedback_token(const rd_context *o, const rd_community *c, GBytes *data)
{
	g_autoptr(GError) err = NULL;
	g_autoptr(rd_message) m = NULL;
	g_autoptr(rd_bounce_report) report = NULL;
	g_autofree char *text = NULL, *mark = NULL;
	gsize len;
	const char *raw = g_bytes_get_data(data, &len);

	if (o->secret == NULL || (m = rd_message_parse(data, c->domain, &err)) == NULL)
		return NULL;
	report = rd_bounce_parse(m->mime);
	if (report->kind != RD_BOUNCE_KIND_FEEDBACK)
		return NULL;
	/* NAME+b-TOKEN@ anywhere in the report, any letter case. */
	text = g_ascii_strdown(raw, (gssize)len);
	mark = g_ascii_strdown(c->name, -1);
	for (const char *p = strstr(text, mark); p != NULL; p = strstr(p + 1, mark)) {
		const char *t = p + strlen(mark), *e;
		guint64 person = 0, community = 0;
		g_autofree char *tok = NULL;

		if (t[0] != o->delimiter || t[1] != 'b' || t[2] != '-')
			continue;
		for (e = t + 3; g_ascii_isalnum(*e); e++)
			;
		if (*e != '@')
			continue;
		tok = g_strndup(t + 3, e - (t + 3));
		if (rd_token_check(o->secret, RD_TOKEN_BOUNCE, c->name, c->domain, tok, &person,
		                   &community) &&
		    (gint64)community == c->id)
			return g_steal_pointer(&tok);
	}
	return NULL;
}

/* SUBJECT and BODY to every owner of C but the member B is about, each
 * with their own VERP address. */
static gboolean
tell_owners(rd_store *s, const rd_context *o, const rd_community *c,
            const rd_fanout_bounce_state *b, const char *subject, const char *body, gint64 now,
            gint64 send_at, GError **error)
{
	rd_notice owners = {.from_ext = "owner", .subject = subject, .body = body, .exempt = TRUE,
	                    .date = now};
	g_autoptr(GPtrArray) members = rd_store_member_list(s, c->id, error);

	if (members == NULL)
		return FALSE;
	for (guint i = 0; i < members->len; i++) {
		rd_member *m = members->pdata[i];
		g_autofree char *overp = NULL;

		if (strcmp(m->role, "owner") != 0 || m->person_id == b->person_id)
			continue;
		overp = rd_fanout_bounce_address(o->secret, c, o->delimiter, m->person_id);
		owners.person_id = m->person_id;
		owners.to = m->address;
		owners.envelope_from = overp;
		if (!rd_notice_queue(s, o, c, &owners, send_at, NULL, error))
			return FALSE;
	}
	return TRUE;
}

/* A complaint (an ARF feedback report) about list mail to member B: the
 * person marked a list copy or digest as spam, and providers count every
 * further one against the list.  B's delivery was turned off; the owners
 * are told, and decide whether to ask B or remove them.  B is not mailed:
 * they just said they do not want mail from the list. */
static gboolean
complaint_notice(rd_store *s, const rd_context *o, const rd_community *c,
                 const rd_fanout_bounce_state *b, gint64 now, gint64 send_at, GError **error)
{
	g_autofree char *subject =
	    g_strdup_printf("%s: a complaint about list mail to %s", c->title, b->address);
	g_autofree char *body = g_strdup_printf(
	    "Hello,\n\n"
	    "The mail provider of %s reported mail from %s (%s@%s) as\n"
	    "unwanted: the person marked it as spam, or their provider did.\n\n"
	    "Their delivery has been turned off, so that no more mail goes to\n"
	    "them. They can turn it on again themselves by sending \"resume\"\n"
	    "to %s+request@%s; or remove them with \"remove %s\".\n",
	    b->address, c->title, c->name, c->domain, c->name, c->domain, b->address);

	return tell_owners(s, o, c, b, subject, body, now, send_at, error);
}

/* Delivery is now off: tell the member how to turn it on again (a reply
 * to the +b address), and tell every owner. */
static gboolean
disable_notices(rd_store *s, const rd_context *o, const rd_community *c,
                const rd_fanout_bounce_state *b, const char *diagnostic, gint64 now, gint64 send_at,
                GError **error)
{
	g_autofree char *verp = rd_fanout_bounce_address(o->secret, c, o->delimiter, b->person_id);
	g_autofree char *subject = g_strdup_printf("Your mail from %s is paused", c->title);
	g_autofree char *body = g_strdup_printf(
	    "Hello,\n\n"
	    "Mail from %s (%s@%s) to %s has been returned as undeliverable\n"
	    "for several days, so the list has stopped sending it for now.\n\n"
	    "To turn your mail back on, simply reply to this message. What you\n"
	    "write does not matter.\n\n"
	    "The last report said: %s\n",
	    c->title, c->name, c->domain, b->address, diagnostic ? diagnostic : "(no details)");
	/* Only a run of failures makes these, never a stranger's mail, so
	 * they are exempt from the daily limit; they carry the VERP address
	 * so that a probe which bounces too is heard. */
	rd_notice probe = {.from_ext = "owner",
	                   .person_id = b->person_id,
	                   .to = b->address,
	                   .subject = subject,
	                   .reply_to = verp,
	                   .body = body,
	                   .auto_reply = TRUE,
	                   .envelope_from = verp,
	                   .exempt = TRUE,
	                   .date = now};
	g_autofree char *osubj =
	    g_strdup_printf("%s: mail to %s disabled after bounces", c->title, b->address);
	g_autofree char *obody = g_strdup_printf(
	    "Hello,\n\n"
	    "Mail to %s in %s (%s@%s) bounced on several days (score %.1f),\n"
	    "so their delivery is disabled. They have been sent a message\n"
	    "explaining how to turn it back on: a reply to it re-enables them.\n\n"
	    "The last report said: %s\n",
	    b->address, c->title, c->name, c->domain, b->score,
	    diagnostic ? diagnostic : "(no details)");
	if (!rd_notice_queue(s, o, c, &probe, send_at, NULL, error))
		return FALSE;
	return tell_owners(s, o, c, b, osubj, obody, now, send_at, error);
}

/* What a non-bounce message to the +b address is: "yes" from the member
 * (a reply to the probe) turns delivery back on. */
static gboolean
from_member(const rd_message *m, const rd_context *o, const char *address)
{
	if (m->from_addr != NULL && g_ascii_strcasecmp(m->from_addr, address) == 0)
		return TRUE;
	return o->sender != NULL && g_ascii_strcasecmp(o->sender, address) == 0;
}

rd_status
rd_bounce_score_deliver(rd_store *s, const rd_context *o, const rd_community *c,
                 const struct _rd_address *a, GBytes *data, rd_deliver_result *result,
                 GError **error)
{
	const rd_bounce_score_policy *policy = rd_bounce_score_policy_default();
	gint64 now = rd_schedule_now();
	gint64 send_at = MIN(now, g_get_real_time() / G_USEC_PER_SEC);
	g_autoptr(rd_message) m = NULL;
	g_autoptr(rd_bounce_report) report = NULL;
	g_autoptr(rd_fanout_bounce_state) b = NULL;
	g_autoptr(GError) err = NULL;
	guint64 person = 0, community = 0;
	const char *kind, *outcome, *diagnostic = NULL;
	double points = 0;

	if (o->secret == NULL) {
		g_set_error(
		    error, RD_ERROR, RD_TEMPFAIL,
		    "The list cannot read its secret just now; the report will be retried.");
		return RD_TEMPFAIL;
	}
	if (a->token == NULL ||
	    !rd_token_check(o->secret, RD_TOKEN_BOUNCE, c->name, c->domain, a->token, &person,
	                    &community) ||
	    (gint64)community != c->id) {
		g_set_error(error, RD_ERROR, RD_NOPERM,
		            "This address only accepts delivery reports.");
		return RD_NOPERM;
	}
	m = rd_message_parse(data, c->domain, error);
	if (m == NULL)
		return rd_status_from_error(*error);
	g_free(result->message_id);
	result->message_id = g_strdup(m->message_id);
	b = rd_store_bounce_state(s, c->id, (gint64)person, &err);
	if (b == NULL) {
		if (rd_status_from_error(err) != RD_NOTFOUND) {
			g_propagate_error(error, g_steal_pointer(&err));
			return rd_status_from_error(*error);
		}
		/* The member left since: the report has nothing to act on. */
		rd_log_info("%s@%s: report for former member #%" G_GUINT64_FORMAT " ignored",
		            c->name, c->domain, person);
		result->status = g_strdup("ignored");
		return RD_OK;
	}
	report = rd_bounce_parse(m->mime);

	if (report->kind == RD_BOUNCE_KIND_FEEDBACK) {
		kind = "complaint";
		outcome = "complaint";
	} else if (report->is_auto_reply) {
		/* Out-of-office replies to list mail come here (VERP): they
		 * are not bounces, and they are never posted. */
		kind = "auto-reply";
		outcome = "auto-reply";
	} else if (report->is_bounce) {
		gboolean any_failed = FALSE;

		for (guint i = 0; i < report->recipients->len; i++) {
			rd_bounce_recipient *r = report->recipients->pdata[i];

			if (g_strcmp0(r->action, "failed") != 0)
				continue;
			any_failed = TRUE;
			if (diagnostic == NULL || r->permanent)
				diagnostic = r->diagnostic ? r->diagnostic : r->status;
			/* A full mailbox or a message that expired in a queue may
			 * well be delivered later: temporary, whatever the code. */
			points = MAX(points, r->permanent && r->reason != RD_BOUNCE_REASON_MAILBOX_FULL &&
			                             r->reason != RD_BOUNCE_REASON_EXPIRED
			                         ? 1.0
			                         : 0.5);
		}
		/* A failure report that names nobody still says the copy did
		 * not arrive: count it as temporary. */
		if (!any_failed && report->recipients->len == 0)
			points = 0.5;
		kind = points >= 1.0 ? "permanent" : points > 0 ? "temporary" : "delayed";
		outcome = "bounce";
	} else if (!rd_message_is_automatic(m, RD_AUTO_SUBMITTED | RD_AUTO_BULK | RD_AUTO_LIST) &&
	           from_member(m, o, b->address) &&
	           g_strcmp0(b->status, "disabled") == 0 && g_strcmp0(b->reason, "bounces") == 0) {
		kind = "re-enabled";
		outcome = "re-enabled";
	} else {
		kind = "ignored";
		outcome = "ignored";
	}

	if (!rd_store_begin(s, error))
		return rd_status_from_error(*error);
	if (!rd_store_bounce_event(s, c->id, b->person_id, now, kind, diagnostic, error))
		goto fail;
	if (strcmp(kind, "complaint") == 0) {
		/* Only once: a second report about the same member (providers
		 * send one per marked mail) tells the owners nothing new. */
		gboolean was_on = g_strcmp0(b->status, "disabled") != 0;

		if (was_on) {
			g_free(b->status);
			b->status = g_strdup("disabled");
			g_free(b->reason);
			b->reason = g_strdup("complaint");
			outcome = "disabled";
			if (!rd_store_bounce_state_save(s, c->id, b, error) ||
			    !rd_store_bounce_event(s, c->id, b->person_id, now, "disabled", NULL,
			                           error) ||
			    !complaint_notice(s, o, c, b, now, send_at, error))
				goto fail;
		}
	} else if (strcmp(kind, "re-enabled") == 0) {
		g_free(b->status);
		b->status = g_strdup("active");
		g_clear_pointer(&b->reason, g_free);
		g_clear_pointer(&b->day, g_free);
		b->score = 0;
		b->day_points = 0;
		b->last = 0;
		if (!rd_store_bounce_state_save(s, c->id, b, error))
			goto fail;
	} else if (points > 0 && g_strcmp0(b->status, "active") == 0) {
		gboolean disable = rd_bounce_score_add(b, points, now, policy);

		if (disable) {
			g_free(b->status);
			b->status = g_strdup("disabled");
			g_free(b->reason);
			b->reason = g_strdup("bounces");
			outcome = "disabled";
		}
		if (!rd_store_bounce_state_save(s, c->id, b, error))
			goto fail;
		if (disable &&
		    (!rd_store_bounce_event(s, c->id, b->person_id, now, "disabled", NULL, error) ||
		     !disable_notices(s, o, c, b, diagnostic, now, send_at, error)))
			goto fail;
	}
	if (!rd_store_commit(s, error))
		goto fail;
	result->status = g_strdup(outcome);
	rd_log_info("%s@%s: %s for %s (score %.1f, %s)", c->name, c->domain, kind, b->address,
	            b->score, b->status);
	return RD_OK;

fail:
	rd_store_rollback(s);
	return rd_status_from_error(*error);
}

gboolean
rd_bounce_score_record_failure(rd_store *s, GBytes *secret, char delimiter, gint64 community_id,
                         gint64 person_id, gboolean permanent, const char *diagnostic, gint64 now,
                         GError **error)
{
	const rd_bounce_score_policy *policy = rd_bounce_score_policy_default();
	g_autoptr(rd_community) c = rd_store_community_get_by_id(s, community_id, error);
	g_autoptr(rd_fanout_bounce_state) b = NULL;
	g_autoptr(GError) err = NULL;
	rd_context o = {0};
	gboolean disable;

	if (c == NULL)
		return rd_status_from_error(*error) == RD_NOTFOUND;
	b = rd_store_bounce_state(s, community_id, person_id, &err);
	if (b == NULL) {
		/* Not a member any more: nothing to score. */
		if (rd_status_from_error(err) == RD_NOTFOUND)
			return TRUE;
		g_propagate_error(error, g_steal_pointer(&err));
		return FALSE;
	}
	if (!rd_store_bounce_event(s, community_id, person_id, now,
	                           permanent ? "smtp-permanent" : "smtp-temporary", diagnostic,
	                           error))
		return FALSE;
	if (g_strcmp0(b->status, "active") != 0)
		return TRUE;
	disable = rd_bounce_score_add(b, permanent ? 1.0 : 0.5, now, policy);
	if (disable) {
		g_free(b->status);
		b->status = g_strdup("disabled");
		g_free(b->reason);
		b->reason = g_strdup("bounces");
	}
	if (!rd_store_bounce_state_save(s, community_id, b, error))
		return FALSE;
	o.secret = secret;
	o.delimiter = delimiter;
	return !disable ||
	       (rd_store_bounce_event(s, community_id, person_id, now, "disabled", NULL, error) &&
	        disable_notices(s, &o, c, b, diagnostic, now, now, error));
}
