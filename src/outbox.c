/* outbox.c - render, send and record. */
#include <stdio.h>
#include <string.h>

#include "bounce-score.h"
#include "fanout.h"
#include "log.h"
#include "outbox.h"

void
rd_outbox_policy_default(rd_outbox_policy *p)
{
	static const gint64 waits[] = {60, 300, 1800, 7200, 14400};

	memset(p, 0, sizeof *p);
	for (guint i = 0; i < G_N_ELEMENTS(waits); i++)
		p->retry[i] = waits[i];
	p->n_retry = G_N_ELEMENTS(waits);
	p->give_up = 5 * 86400;
	p->batch = 200;
}

gboolean
rd_outbox_policy_parse_retry(rd_outbox_policy *p, const char *text)
{
	g_auto(GStrv) parts = g_strsplit(text, ",", -1);
	guint n = 0;

	for (guint i = 0; parts[i]; i++) {
		char *end;
		gint64 v = g_ascii_strtoll(g_strstrip(parts[i]), &end, 10);

		if (*parts[i] == '\0' || *end != '\0' || v <= 0 || n >= G_N_ELEMENTS(p->retry))
			return FALSE;
		p->retry[n++] = v;
	}
	if (n == 0)
		return FALSE;
	p->n_retry = n;
	return TRUE;
}

gint64
rd_outbox_backoff(const rd_outbox_policy *p, gint64 attempts)
{
	if (attempts < 1)
		attempts = 1;
	if ((guint64)attempts > p->n_retry)
		return p->retry[p->n_retry - 1];
	return p->retry[attempts - 1];
}

/* Render a digest item; NULL with RD_NOTFOUND when there is nothing to
 * send any more (the person left, nothing remains). */
static GBytes *
outbox_render(rd_store *s, const rd_digest_ctx *dctx, rd_outbox_item *item, gint64 now,
	      rd_smtp_form *form, GError **error)
{
	g_autoptr(rd_digest_selection) sel = NULL;
	g_autoptr(rd_digest_person) p = NULL;

	if (item->data != NULL && strcmp(item->kind, "digest") != 0)
		return g_bytes_ref(item->data);
	if (strcmp(item->kind, "post") == 0)
		return rd_fanout_render(s, item, dctx->secret, dctx->delimiter, dctx->web_url, form,
					error);
	if (strcmp(item->kind, "digest") != 0) {
		g_set_error(error, RD_ERROR, RD_SOFTWARE, "outbox item %" G_GINT64_FORMAT
			    " has no content", item->id);
		return NULL;
	}
	sel = rd_digest_selection_from_payload(item->payload, item->person_id, error);
	if (sel == NULL)
		return NULL;
	p = rd_store_digest_person(s, item->recipient, NULL);
	sel->address = g_strdup(item->recipient);
	if (p != NULL) {
		sel->name = g_strdup(p->name);
		sel->timezone = g_strdup(p->timezone);
	}
	return rd_digest_render(s, dctx, sel, now, item->id, NULL, error);
}

GBytes *
rd_outbox_message(rd_store *s, const rd_digest_ctx *dctx, gint64 id, gint64 now, GError **error)
{
	g_autoptr(rd_outbox_item) item = rd_store_outbox_get(s, id, error);
	rd_smtp_form form = RD_SMTP_FORM_UNKNOWN;

	return item ? outbox_render(s, dctx, item, now, &form, error) : NULL;
}

static gboolean outbox_flush(rd_store *s, const rd_smtp_config *smtp, const rd_digest_ctx *dctx,
			     const rd_outbox_policy *policy, gint64 now, rd_outbox_counts *counts,
			     GError **error);

gboolean
rd_outbox_flush(rd_store *s, const rd_smtp_config *smtp, const rd_digest_ctx *dctx,
		const rd_outbox_policy *policy, gint64 now, rd_outbox_counts *counts,
		GError **error)
{
	gboolean ok;

	/* Recording what was sent need not wait for the disk: losing such a
	 * record (only on a power failure) sends a message twice, never loses
	 * one, and an fsync per round halved the sending rate. */
	if (!rd_store_set_durable(s, FALSE, error))
		return FALSE;
	ok = outbox_flush(s, smtp, dctx, policy, now, counts, error);
	rd_store_set_durable(s, TRUE, NULL);
	return ok;
}

/* One round: up to [outbox] batch items, rendered, sent, then recorded. */
typedef struct {
	GPtrArray *due;   /* rd_outbox_item*, owned */
	GPtrArray *batch; /* rd_smtp_message*, parallel to items */
	GPtrArray *items; /* rd_outbox_item*, borrowed from due */
	GArray *dead;     /* ids of items with nothing left to send */
	const rd_smtp_config *smtp;
	GThread *thread;
	gboolean sent_ok;
	GError *send_error;
} round;

static void
round_free(round *r)
{
	if (r == NULL)
		return;
	if (r->thread)
		g_thread_join(r->thread);
	g_ptr_array_unref(r->batch);
	g_ptr_array_unref(r->items);
	if (r->due)
		g_ptr_array_unref(r->due);
	g_array_unref(r->dead);
	g_clear_error(&r->send_error);
	g_free(r);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC(round, round_free)

/* Take the next due items, skipping those of the round in flight (still
 * queued until it is recorded), and render them. */
static round *
round_prepare(rd_store *s, const rd_digest_ctx *dctx, const rd_smtp_config *smtp,
	      const rd_outbox_policy *policy, gint64 now, const round *inflight, GError **error)
{
	g_autoptr(round) r = g_new0(round, 1);
	g_autoptr(GHashTable) busy = g_hash_table_new(g_int64_hash, g_int64_equal);
	g_autoptr(GPtrArray) due = NULL;
	guint skip = inflight ? inflight->due->len : 0;

	r->smtp = smtp;
	r->batch = g_ptr_array_new_with_free_func((GDestroyNotify)rd_smtp_message_free);
	r->items = g_ptr_array_new();
	r->dead = g_array_new(FALSE, FALSE, sizeof(gint64));
	for (guint i = 0; i < skip; i++)
		g_hash_table_add(busy, &((rd_outbox_item *)inflight->due->pdata[i])->id);
	due = rd_store_outbox_due(s, now, policy->batch + skip, error);
	if (due == NULL)
		return NULL;
	r->due = g_ptr_array_new_with_free_func((GDestroyNotify)rd_outbox_item_free);
	for (guint i = 0; i < due->len && r->due->len < policy->batch; i++) {
		rd_outbox_item *item = due->pdata[i];

		if (g_hash_table_contains(busy, &item->id))
			continue;
		g_ptr_array_add(r->due, item);
		due->pdata[i] = NULL;
	}
	g_ptr_array_set_free_func(due, NULL);
	for (guint i = 0; i < due->len; i++)
		rd_outbox_item_free(due->pdata[i]);
	for (guint i = 0; i < r->due->len; i++) {
		rd_outbox_item *item = r->due->pdata[i];
		g_autoptr(GError) rerr = NULL;
		rd_smtp_form form = RD_SMTP_FORM_UNKNOWN;
		GBytes *data = outbox_render(s, dctx, item, now, &form, &rerr);
		rd_smtp_message *m;

		if (data == NULL) {
			/* Nothing left to send is final; a fault is not. */
			if (rd_status_from_error(rerr) != RD_NOTFOUND) {
				g_propagate_error(error, g_steal_pointer(&rerr));
				return NULL;
			}
			g_array_append_val(r->dead, item->id);
			continue;
		}
		m = g_new0(rd_smtp_message, 1);
		m->id = (guint64)item->id;
		m->envelope_from = g_strdup(item->envelope_from);
		m->recipient = g_strdup(item->recipient);
		m->data = data;
		m->form = form;
		g_ptr_array_add(r->batch, m);
		g_ptr_array_add(r->items, item);
	}
	return g_steal_pointer(&r);
}

static gpointer
round_send(gpointer data)
{
	round *r = data;

	r->sent_ok = rd_smtp_send(r->smtp, r->batch, &r->send_error);
	return NULL;
}

/* Wait for R to be sent and record every result in one transaction. */
static gboolean
round_record(rd_store *s, const rd_digest_ctx *dctx, const rd_outbox_policy *policy, gint64 now,
	     round *r, rd_outbox_counts *counts, GError **error)
{
	if (r->thread) {
		g_thread_join(r->thread);
		r->thread = NULL;
		if (!r->sent_ok) {
			g_propagate_error(error, g_steal_pointer(&r->send_error));
			return FALSE;
		}
	}
	if (!rd_store_begin(s, error))
		return FALSE;
	for (guint i = 0; i < r->dead->len; i++) {
		if (!rd_store_outbox_update(s, g_array_index(r->dead, gint64, i), "failed", 0, now, 0,
					    0, "nothing left to send", error))
			goto fail;
		counts->failed++;
	}
	for (guint i = 0; i < r->batch->len; i++) {
		rd_smtp_message *m = r->batch->pdata[i];
		rd_outbox_item *item = r->items->pdata[i];
		gint64 attempts = item->attempts + 1;
		const char *status = "queued";
		gint64 next = now + rd_outbox_backoff(policy, attempts);

		if (m->sent) {
			status = "sent";
			counts->sent++;
		} else if (m->permanent || now - item->created >= policy->give_up) {
			status = "failed";
			counts->failed++;
			/* A 5xx from the smarthost for a member's copy counts
			 * like a bounce of that member. */
			if (m->permanent && m->code >= 500 && item->person_id && item->community_id &&
			    (strcmp(item->kind, "digest") == 0 || strcmp(item->kind, "post") == 0) &&
			    !rd_bounce_score_record_failure(s, dctx->secret, dctx->delimiter,
						      item->community_id, item->person_id, TRUE,
						      m->reply, now, error))
				goto fail;
			rd_log_warnx("outbox %" G_GINT64_FORMAT " to %s failed: %d %s", item->id,
				     item->recipient, m->code, m->reply ? m->reply : "no answer");
		} else {
			counts->deferred++;
		}
		if (!rd_store_outbox_update(s, item->id, status, attempts, next, m->sent ? now : 0,
					    m->code, m->reply, error))
			goto fail;
	}
	if (!rd_store_commit(s, error))
		goto fail;
	return TRUE;
fail:
	rd_store_rollback(s);
	return FALSE;
}

/* Rounds overlap: while one round is on the wire, the next is taken from
 * the outbox and rendered (rendering is CPU, sending mostly waiting).  A
 * round starts sending only after the one before it is recorded, so at
 * most one round is ever sent but not yet recorded. */
static gboolean
outbox_flush(rd_store *s, const rd_smtp_config *smtp, const rd_digest_ctx *dctx,
	     const rd_outbox_policy *policy, gint64 now, rd_outbox_counts *counts, GError **error)
{
	g_autoptr(round) inflight = NULL;

	memset(counts, 0, sizeof *counts);
	rd_digest_cache_clear();
	for (;;) {
		g_autoptr(GError) perr = NULL;
		g_autoptr(round) next =
		    round_prepare(s, dctx, smtp, policy, now, inflight, &perr);

		gboolean recorded = inflight != NULL;

		if (inflight != NULL) {
			gboolean ok = round_record(s, dctx, policy, now, inflight, counts, error);

			g_clear_pointer(&inflight, round_free);
			if (!ok)
				return FALSE;
		}
		if (next == NULL) {
			g_propagate_error(error, g_steal_pointer(&perr));
			return FALSE;
		}
		/* Recording may have queued mail (a bounce-disable notice): look
		 * once more before ending the flush. */
		if (next->due->len == 0 && recorded)
			continue;
		if (next->due->len == 0)
			return TRUE;
		if (next->batch->len > 0)
			next->thread = g_thread_new("rounds-outbox", round_send, next);
		inflight = g_steal_pointer(&next);
	}
}
