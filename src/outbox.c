/* outbox.c - render, send and record. */
#include <stdio.h>
#include <string.h>

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
	      GError **error)
{
	g_autoptr(rd_digest_selection) sel = NULL;
	g_autoptr(rd_digest_person) p = NULL;

	if (item->data != NULL && strcmp(item->kind, "digest") != 0)
		return g_bytes_ref(item->data);
	if (strcmp(item->kind, "post") == 0)
		return rd_fanout_render(s, item, dctx->secret, dctx->delimiter, error);
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

static gboolean
outbox_flush(rd_store *s, const rd_smtp_config *smtp, const rd_digest_ctx *dctx,
	     const rd_outbox_policy *policy, gint64 now, rd_outbox_counts *counts, GError **error)
{
	memset(counts, 0, sizeof *counts);
	rd_digest_cache_clear();
	for (;;) {
		g_autoptr(GPtrArray) due = rd_store_outbox_due(s, now, policy->batch, error);
		g_autoptr(GPtrArray) batch =
		    g_ptr_array_new_with_free_func((GDestroyNotify)rd_smtp_message_free);
		g_autoptr(GPtrArray) items = g_ptr_array_new();
		g_autoptr(GPtrArray) dead = g_ptr_array_new_with_free_func(g_free);
		g_autoptr(GError) err = NULL;

		if (due == NULL)
			return FALSE;
		if (due->len == 0)
			return TRUE;
		for (guint i = 0; i < due->len; i++) {
			rd_outbox_item *item = due->pdata[i];
			g_autoptr(GError) rerr = NULL;
			GBytes *data = outbox_render(s, dctx, item, now, &rerr);
			rd_smtp_message *m;

			if (data == NULL) {
				/* Nothing left to send is final; a fault is not. */
				if (rd_status_from_error(rerr) != RD_NOTFOUND) {
					g_propagate_error(error, g_steal_pointer(&rerr));
					return FALSE;
				}
				g_ptr_array_add(dead, g_strdup_printf("%" G_GINT64_FORMAT, item->id));
				continue;
			}
			m = g_new0(rd_smtp_message, 1);
			m->id = (guint64)item->id;
			m->envelope_from = g_strdup(item->envelope_from);
			m->recipient = g_strdup(item->recipient);
			m->data = data;
			g_ptr_array_add(batch, m);
			g_ptr_array_add(items, item);
		}
		if (batch->len > 0 && !rd_smtp_send(smtp, batch, &err)) {
			g_propagate_error(error, g_steal_pointer(&err));
			return FALSE;
		}
		if (!rd_store_begin(s, error))
			return FALSE;
		for (guint i = 0; i < dead->len; i++) {
			gint64 id = g_ascii_strtoll(dead->pdata[i], NULL, 10);

			if (!rd_store_outbox_update(s, id, "failed", 0, now, 0, 0,
						    "nothing left to send", error))
				goto fail;
			counts->failed++;
		}
		for (guint i = 0; i < batch->len; i++) {
			rd_smtp_message *m = batch->pdata[i];
			rd_outbox_item *item = items->pdata[i];
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
				if (m->permanent && m->code >= 500 && item->person_id &&
				    item->community_id &&
				    (strcmp(item->kind, "digest") == 0 ||
				     strcmp(item->kind, "post") == 0) &&
				    !rd_fanout_record_failure(s, dctx->secret, dctx->delimiter,
							      item->community_id, item->person_id,
							      TRUE, m->reply, now, error))
					goto fail;
				rd_log_warnx("outbox %" G_GINT64_FORMAT " to %s failed: %d %s",
					     item->id, item->recipient, m->code,
					     m->reply ? m->reply : "no answer");
			} else {
				counts->deferred++;
			}
			if (!rd_store_outbox_update(s, item->id, status, attempts, next,
						    m->sent ? now : 0, m->code, m->reply, error))
				goto fail;
		}
		if (!rd_store_commit(s, error))
			goto fail;
		/* Items deferred in this round have a later next_attempt; the
		 * loop ends when nothing due is left. */
		continue;
	fail:
		rd_store_rollback(s);
		return FALSE;
	}
}
