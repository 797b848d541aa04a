/* report-mail.c - the weekly owner report (issue 14, item 2).
 *
 * DESCRIPTION
 *	For each owner and moderator, the latest weekly slot (weekday and hour
 *	in their own time zone) is computed as digests do; the report is
 *	queued when the outbox holds none for that person and community since
 *	that slot.  Check and insert happen in one transaction, so two ticks,
 *	or a crash and a restart, queue it exactly once.  The period is the 7
 *	days before the slot, so a late tick sends the same figures.
 */
#include <string.h>

#include "address.h"
#include "mustache.h"
#include "report-chart.h"
#include "report-mail.h"
#include "schedule.h"
#include "template.h"

#define CHART_CID "chart@rounds"

static void
add_action(JsonBuilder *b, const char *text, const char *href)
{
	json_builder_begin_object(b);
	json_builder_set_member_name(b, "text");
	json_builder_add_string_value(b, text);
	json_builder_set_member_name(b, "href");
	json_builder_add_string_value(b, href);
	json_builder_end_object(b);
}

static char *
mailto(const char *to, const char *subject, const char *body)
{
	g_autofree char *s = g_uri_escape_string(subject, NULL, FALSE);
	g_autofree char *t = body ? g_uri_escape_string(body, NULL, FALSE) : NULL;

	return g_strdup_printf("mailto:%s?subject=%s%s%s", to, s, t ? "&body=" : "", t ? t : "");
}

/* At most three actions an owner can take with one tap, most urgent first. */
static void
report_actions(JsonBuilder *b, const rd_community *c, const char *list, const rd_report *r)
{
	json_builder_set_member_name(b, "actions");
	json_builder_begin_array(b);
	if (r->unanswered->len > 0) {
		const rd_report_thread *t = r->unanswered->pdata[0];
		g_autofree char *text =
		    g_strdup_printf("%u question%s waited more than two days", r->unanswered->len,
		                    r->unanswered->len == 1 ? " has" : "s have");
		g_autofree char *subject = g_strconcat("Re: ", t->subject, NULL);
		g_autofree char *href = mailto(list, subject, NULL);

		add_action(b, text, href);
	}
	if (r->first_time_posters->len > 0) {
		GString *to = g_string_new(NULL);
		g_autofree char *text = g_strdup_printf(
		    "%u %s posted for the first time: welcome them", r->first_time_posters->len,
		    r->first_time_posters->len == 1 ? "person" : "people");
		g_autofree char *subject = g_strconcat("Welcome to ", c->title, NULL);
		g_autofree char *body = g_strdup_printf(
		    "Thank you for your first post to %s. We are glad you are here.", c->title);
		g_autofree char *href = NULL;

		for (guint i = 0; i < r->first_time_posters->len; i++)
			g_string_append_printf(to, "%s%s", i ? "," : "",
			                       (char *)r->first_time_posters->pdata[i]);
		href = mailto(to->str, subject, body);
		g_string_free(to, TRUE);
		add_action(b, text, href);
	}
	if (r->core_size < r->core_previous) {
		g_autofree char *text = g_strdup_printf(
		    "the core group shrank from %" G_GINT64_FORMAT " to %" G_GINT64_FORMAT,
		    r->core_previous, r->core_size);
		g_autofree char *href =
		    mailto(list, "What would help you take part this month?", NULL);

		add_action(b, text, href);
	}
	json_builder_end_array(b);
	json_builder_set_member_name(b, "has_actions");
	json_builder_add_boolean_value(b, r->unanswered->len > 0 ||
	                                      r->first_time_posters->len > 0 ||
	                                      r->core_size < r->core_previous);
}

static JsonNode *
report_data(const rd_report_mail_ctx *ctx, const rd_community *c, const rd_report *r)
{
	g_autoptr(JsonBuilder) b = json_builder_new();
	g_autofree char *list = rd_address_make(c->name, c->domain, ctx->delimiter, NULL);
	g_autofree char *since = rd_report_iso(r->since);
	g_autofree char *until = rd_report_iso(r->until);
	JsonNode *figures = rd_report_to_json(r);
	g_autoptr(GString) newcomers = g_string_new(NULL);

	for (guint i = 0; i < r->first_time_posters->len; i++)
		g_string_append_printf(newcomers, "%s%s", i ? ", " : "",
		                       (char *)r->first_time_posters->pdata[i]);

	json_builder_begin_object(b);
	json_builder_set_member_name(b, "title");
	json_builder_add_string_value(b, c->title);
	json_builder_set_member_name(b, "address");
	json_builder_add_string_value(b, list);
	json_builder_set_member_name(b, "since");
	json_builder_add_string_value(b, since);
	json_builder_set_member_name(b, "until");
	json_builder_add_string_value(b, until);
	json_builder_set_member_name(b, "chart_cid");
	json_builder_add_string_value(b, CHART_CID);
	json_builder_set_member_name(b, "replied_percent");
	json_builder_add_int_value(b, (gint64)(r->replied_share * 100 + 0.5));
	json_builder_set_member_name(b, "newcomers");
	json_builder_add_string_value(b, newcomers->len ? newcomers->str : "-");
	json_builder_set_member_name(b, "report");
	json_builder_add_value(b, figures);
	report_actions(b, c, list, r);
	json_builder_end_object(b);
	return json_builder_get_root(b);
}

static char *
report_render(const rd_report_mail_ctx *ctx, const rd_community *c, const char *name,
              JsonNode *data, rd_mustache_escape esc, GError **error)
{
	rd_template_place place = {ctx->home, c->name, ctx->template_dir};
	g_autofree char *src = rd_template_load(&place, name);
	char *out;

	if (src == NULL) {
		g_set_error(error, RD_ERROR, RD_TEMPFAIL, "template %s is missing", name);
		return NULL;
	}
	out = rd_mustache_render_string(src, data, esc, NULL, NULL, error);
	if (out == NULL && error && *error)
		(*error)->code = RD_TEMPFAIL;
	return out;
}

GBytes *
rd_report_mail_render(const rd_report_mail_ctx *ctx, const rd_community *c, const rd_report *r,
                      const char *to, gint64 now, GError **error)
{
	g_autoptr(JsonNode) data = report_data(ctx, c, r);
	g_autofree char *text =
	    report_render(ctx, c, "report.txt.mustache", data, RD_MUSTACHE_TEXT, error);
	g_autofree char *html =
	    text ? report_render(ctx, c, "report.html.mustache", data, RD_MUSTACHE_HTML, error)
	         : NULL;
	g_autoptr(GBytes) png = html ? rd_report_chart_png(r, error) : NULL;
	g_autoptr(GMimeMessage) msg = NULL;
	g_autoptr(GDateTime) date = g_date_time_new_from_unix_utc(now);
	g_autofree char *uuid = g_uuid_string_random();
	g_autofree char *mid = g_strdup_printf("report-%s@%s", uuid, c->domain);
	g_autofree char *subject = g_strdup_printf("Weekly report: %s", c->title);
	g_autofree char *owner = rd_address_make(c->name, c->domain, ctx->delimiter, "owner");
	GMimeMultipart *alt, *related;
	GMimeTextPart *plain, *rich;
	GMimePart *image;
	GMimeDataWrapper *wrapper;
	GMimeStream *stream;
	char *bytes;

	if (png == NULL)
		return NULL;
	msg = g_mime_message_new(TRUE);
	g_mime_message_add_mailbox(msg, GMIME_ADDRESS_TYPE_FROM, c->title,
	                           ctx->from_address ? ctx->from_address : owner);
	g_mime_message_add_mailbox(msg, GMIME_ADDRESS_TYPE_TO, NULL, to);
	g_mime_message_set_subject(msg, subject, "utf-8");
	g_mime_message_set_date(msg, date);
	g_mime_message_set_message_id(msg, mid);
	g_mime_object_set_header(GMIME_OBJECT(msg), "Auto-Submitted", "auto-generated", NULL);

	plain = g_mime_text_part_new_with_subtype("plain");
	g_mime_text_part_set_text(plain, text);
	g_mime_part_set_content_encoding(GMIME_PART(plain), GMIME_CONTENT_ENCODING_QUOTEDPRINTABLE);
	rich = g_mime_text_part_new_with_subtype("html");
	g_mime_text_part_set_text(rich, html);
	g_mime_part_set_content_encoding(GMIME_PART(rich), GMIME_CONTENT_ENCODING_QUOTEDPRINTABLE);
	image = g_mime_part_new_with_type("image", "png");
	stream =
	    g_mime_stream_mem_new_with_buffer(g_bytes_get_data(png, NULL), g_bytes_get_size(png));
	wrapper = g_mime_data_wrapper_new_with_stream(stream, GMIME_CONTENT_ENCODING_DEFAULT);
	g_mime_part_set_content(image, wrapper);
	g_mime_part_set_content_encoding(image, GMIME_CONTENT_ENCODING_BASE64);
	g_mime_part_set_content_id(image, CHART_CID);
	g_mime_part_set_filename(image, "chart.png");
	g_mime_object_set_disposition(GMIME_OBJECT(image), "inline");
	g_object_unref(wrapper);
	g_object_unref(stream);

	/* multipart/alternative(text, multipart/related(html, png)): clients
	 * that show HTML find the chart by its Content-ID. */
	related = g_mime_multipart_new_with_subtype("related");
	g_mime_multipart_add(related, GMIME_OBJECT(rich));
	g_mime_multipart_add(related, GMIME_OBJECT(image));
	alt = g_mime_multipart_new_with_subtype("alternative");
	g_mime_multipart_add(alt, GMIME_OBJECT(plain));
	g_mime_multipart_add(alt, GMIME_OBJECT(related));
	g_mime_message_set_mime_part(msg, GMIME_OBJECT(alt));
	g_object_unref(plain);
	g_object_unref(rich);
	g_object_unref(image);
	g_object_unref(related);
	g_object_unref(alt);
	bytes = g_mime_object_to_string(GMIME_OBJECT(msg), NULL);
	return g_bytes_new_take(bytes, strlen(bytes));
}

/* Queue the reports of community C due at NOW, inside the caller's
 * transaction. */
static gboolean
report_community(rd_store *s, const rd_report_mail_ctx *ctx, const rd_community *c, gint64 now,
                 guint *queued, GError **error)
{
	g_autoptr(GPtrArray) members = rd_store_member_list(s, c->id, error);
	g_autoptr(GPtrArray) posts = NULL;
	g_autoptr(GPtrArray) rows = NULL;

	if (members == NULL)
		return FALSE;
	for (guint i = 0; i < members->len; i++) {
		const rd_member *m = members->pdata[i];
		g_autoptr(GTimeZone) tz = NULL;
		g_autoptr(rd_report) r = NULL;
		g_autoptr(rd_outbox_item) item = NULL;
		gint64 slot;
		gboolean sent;

		/* A paused or bouncing owner asked for no mail, or cannot get it. */
		if ((strcmp(m->role, "owner") != 0 && strcmp(m->role, "moderator") != 0) ||
		    strcmp(m->status, "active") != 0)
			continue;
		tz = rd_schedule_zone(m->timezone, ctx->default_timezone);
		slot = rd_schedule_last_slot(now, tz, ctx->hour, RD_FREQ_WEEKLY, ctx->weekday);
		/* The first report comes at the first slot after the person
		 * became owner or moderator: nobody gets a report about weeks
		 * before they took the community on (nor after an upgrade). */
		if (slot < 0 || slot < rd_schedule_parse_iso(m->created))
			continue;
		if (!rd_store_report_sent(s, c->id, m->person_id, slot, &sent, error))
			return FALSE;
		if (sent)
			continue;
		if (posts == NULL && !rd_store_report_rows(s, c->id, &posts, &rows, error))
			return FALSE;
		r = rd_report_compute(posts, rows, slot - 7 * 24 * 3600, slot);
		if (!rd_store_report_left(s, c->id, r->since, r->until, &r->members_left, error))
			return FALSE;
		item = g_new0(rd_outbox_item, 1);
		item->data = rd_report_mail_render(ctx, c, r, m->address, now, error);
		if (item->data == NULL)
			return FALSE;
		item->kind = g_strdup("report");
		item->person_id = m->person_id;
		item->community_id = c->id;
		item->recipient = g_strdup(m->address);
		item->envelope_from = g_strdup("");
		item->subject = g_strdup_printf("Weekly report: %s", c->title);
		item->created = now;
		item->next_attempt = now;
		if (!rd_store_outbox_add(s, item, error))
			return FALSE;
		(*queued)++;
	}
	return TRUE;
}

gboolean
rd_report_mail_enqueue_due(rd_store *s, const rd_report_mail_ctx *ctx, gint64 now, guint *queued,
                           GError **error)
{
	g_autoptr(GPtrArray) all = rd_store_community_list(s, error);

	*queued = 0;
	if (all == NULL)
		return FALSE;
	for (guint i = 0; i < all->len; i++) {
		if (!rd_store_begin(s, error))
			return FALSE;
		if (!report_community(s, ctx, all->pdata[i], now, queued, error) ||
		    !rd_store_commit(s, error)) {
			rd_store_rollback(s);
			return FALSE;
		}
	}
	return TRUE;
}
