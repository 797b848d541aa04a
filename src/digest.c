/* digest.c - deciding, freezing and rendering personalised digests. */
#include <json-glib/json-glib.h>
#include <string.h>

#include "digest.h"
#include "fanout.h"
#include "message.h"
#include "mustache.h"
#include "notice.h"
#include "schedule.h"
#include "template.h"
#include "token.h"
#include "trim.h"

#define BATCH_PEOPLE 200

void
rd_digest_selection_free(rd_digest_selection *sel)
{
	if (sel == NULL)
		return;
	g_free(sel->address);
	g_free(sel->name);
	g_free(sel->timezone);
	if (sel->ranges)
		g_array_unref(sel->ranges);
	g_free(sel);
}

static rd_digest_selection *
selection_new(const rd_digest_person *p, gint64 slot)
{
	rd_digest_selection *sel = g_new0(rd_digest_selection, 1);

	sel->person_id = p->person_id;
	sel->address = g_strdup(p->address);
	sel->name = g_strdup(p->name);
	sel->timezone = g_strdup(p->timezone);
	sel->slot = slot;
	sel->ranges = g_array_new(FALSE, FALSE, sizeof(rd_digest_range));
	return sel;
}

/* ---- deciding ---- */

gboolean
rd_digest_decide(rd_store *s, const rd_digest_ctx *ctx, const rd_digest_person *p, gint64 now,
                 gboolean *due, GPtrArray *selections, GArray *advance, GError **error)
{
	g_autoptr(GTimeZone) tz = rd_schedule_zone(p->timezone, ctx->default_timezone);
	g_autoptr(GPtrArray) ms = NULL;
	rd_digest_selection *combined = NULL;
	rd_frequency freq = RD_FREQ_DAILY;
	gint64 slot, paused;

	*due = FALSE;
	rd_schedule_parse_frequency(p->digest_frequency, &freq);
	slot = rd_schedule_last_slot(now, tz, p->digest_time, freq, p->digest_day);
	if (slot < 0 || slot <= MAX(p->last_slot, p->joined))
		return TRUE;
	*due = TRUE;
	ms = rd_store_digest_memberships(s, p->person_id, error);
	if (ms == NULL)
		return FALSE;
	/* A paused person's slots pass without mail; what was posted meanwhile
	 * is skipped rather than arriving in one huge digest afterwards. */
	paused = p->paused_until ? rd_schedule_parse_iso(p->paused_until) : -1;
	for (guint i = 0; i < ms->len; i++) {
		rd_digest_membership *m = ms->pdata[i];
		rd_digest_range r = {m->community_id, m->last_seq, 0};
		gint64 count = 0;

		if (r.from_seq < 0 &&
		    !rd_store_max_seq_before(s, m->community_id, m->joined, &r.from_seq, error))
			return FALSE;
		if (!rd_store_count_new(s, m->community_id, r.from_seq, p->person_id, p->address, &count,
		                        &r.to_seq, error))
			return FALSE;
		g_array_append_val(advance, r);
		if (count == 0 || paused > now)
			continue;
		if (p->grouping && strcmp(p->grouping, "separate") == 0) {
			rd_digest_selection *sel = selection_new(p, slot);

			g_array_append_val(sel->ranges, r);
			g_ptr_array_add(selections, sel);
			continue;
		}
		if (combined == NULL) {
			combined = selection_new(p, slot);
			g_ptr_array_add(selections, combined);
		}
		g_array_append_val(combined->ranges, r);
	}
	return TRUE;
}

char *
rd_digest_selection_to_payload(const rd_digest_selection *sel)
{
	GString *s = g_string_new(NULL);

	g_string_append_printf(s, "{\"slot\":%" G_GINT64_FORMAT ",\"ranges\":[", sel->slot);
	for (guint i = 0; i < sel->ranges->len; i++) {
		rd_digest_range *r = &g_array_index(sel->ranges, rd_digest_range, i);

		g_string_append_printf(
		    s, "%s[%" G_GINT64_FORMAT ",%" G_GINT64_FORMAT ",%" G_GINT64_FORMAT "]",
		    i ? "," : "", r->community_id, r->from_seq, r->to_seq);
	}
	g_string_append(s, "]}");
	return g_string_free(s, FALSE);
}

rd_digest_selection *
rd_digest_selection_from_payload(const char *payload, gint64 person_id, GError **error)
{
	g_autoptr(JsonParser) parser = json_parser_new();
	g_autoptr(rd_digest_selection) sel = g_new0(rd_digest_selection, 1);
	JsonObject *o;
	JsonArray *ranges;

	if (payload == NULL || !json_parser_load_from_data(parser, payload, -1, NULL) ||
	    !JSON_NODE_HOLDS_OBJECT(json_parser_get_root(parser))) {
		g_set_error(error, RD_ERROR, RD_SOFTWARE, "outbox: a digest payload is damaged");
		return NULL;
	}
	o = json_node_get_object(json_parser_get_root(parser));
	sel->person_id = person_id;
	sel->slot = json_object_get_int_member_with_default(o, "slot", 0);
	sel->ranges = g_array_new(FALSE, FALSE, sizeof(rd_digest_range));
	ranges = json_object_get_array_member(o, "ranges");
	for (guint i = 0; ranges && i < json_array_get_length(ranges); i++) {
		JsonArray *a = json_array_get_array_element(ranges, i);
		rd_digest_range r;

		if (a == NULL || json_array_get_length(a) != 3)
			continue;
		r.community_id = json_array_get_int_element(a, 0);
		r.from_seq = json_array_get_int_element(a, 1);
		r.to_seq = json_array_get_int_element(a, 2);
		g_array_append_val(sel->ranges, r);
	}
	return g_steal_pointer(&sel);
}

static gboolean
enqueue_person(rd_store *s, const rd_digest_ctx *ctx, const rd_digest_person *p, gint64 now,
               guint *queued, GError **error)
{
	g_autoptr(GPtrArray) sels =
	    g_ptr_array_new_with_free_func((GDestroyNotify)rd_digest_selection_free);
	g_autoptr(GArray) advance = g_array_new(FALSE, FALSE, sizeof(rd_digest_range));
	gboolean due;
	gint64 slot = 0;

	if (!rd_digest_decide(s, ctx, p, now, &due, sels, advance, error))
		return FALSE;
	if (!due)
		return TRUE;
	for (guint i = 0; i < sels->len; i++) {
		rd_digest_selection *sel = sels->pdata[i];
		rd_digest_range *first = &g_array_index(sel->ranges, rd_digest_range, 0);
		g_autoptr(rd_community) c =
		    rd_store_community_get_by_id(s, first->community_id, error);
		g_autofree char *verp = NULL, *payload = NULL;

		if (c == NULL)
			return FALSE;
		slot = sel->slot;
		verp = rd_fanout_bounce_address(ctx->secret, c, ctx->delimiter, p->person_id);
		payload = rd_digest_selection_to_payload(sel);
		/* Rendered when the outbox sends it, from the frozen selection. */
		if (!rd_notice_outbox_add(s, "digest", c, p->person_id, p->address, verp, NULL, NULL,
		                          payload, now, error))
			return FALSE;
		(*queued)++;
	}
	for (guint i = 0; i < advance->len; i++) {
		rd_digest_range *r = &g_array_index(advance, rd_digest_range, i);

		if (!rd_store_digest_advance(s, p->person_id, r->community_id, r->to_seq, error))
			return FALSE;
	}
	if (slot == 0) {
		/* Nothing new: remember the slot all the same, so it is not
		 * decided again. */
		g_autoptr(GTimeZone) tz = rd_schedule_zone(p->timezone, ctx->default_timezone);
		rd_frequency freq = RD_FREQ_DAILY;

		rd_schedule_parse_frequency(p->digest_frequency, &freq);
		slot = rd_schedule_last_slot(now, tz, p->digest_time, freq, p->digest_day);
	}
	return rd_store_person_set_last_slot(s, p->person_id, slot, error);
}

gboolean
rd_digest_enqueue_due(rd_store *s, const rd_digest_ctx *ctx, gint64 now, guint *queued,
                      guint *people, GError **error)
{
	g_autoptr(GPtrArray) all = rd_store_digest_people(s, error);
	guint in_batch = 0;

	*queued = 0;
	*people = 0;
	if (all == NULL)
		return FALSE;
	for (guint i = 0; i < all->len; i++) {
		if (in_batch == 0 && !rd_store_begin(s, error))
			return FALSE;
		if (!enqueue_person(s, ctx, all->pdata[i], now, queued, error)) {
			rd_store_rollback(s);
			return FALSE;
		}
		(*people)++;
		if (++in_batch == BATCH_PEOPLE || i + 1 == all->len) {
			if (!rd_store_commit(s, error)) {
				rd_store_rollback(s);
				return FALSE;
			}
			in_batch = 0;
		}
	}
	return TRUE;
}

/* ---- rendering: the model ---- */

static const char *trimmed_text(const rd_stored_message *m);

void
rd_digest_conversation_free(rd_digest_conversation *c)
{
	g_free(c->subject);
	g_ptr_array_unref(c->fresh);
	if (c->all)
		g_ptr_array_unref(c->all);
	g_free(c);
}

static const char *const section_titles[] = {
    "Conversations you are in",
    "Questions waiting for an answer",
    "New conversations",
    "More activity",
};

static int
conversation_cmp(gconstpointer a, gconstpointer b)
{
	const rd_digest_conversation *x = *(rd_digest_conversation *const *)a,
	                             *y = *(rd_digest_conversation *const *)b;

	if (x->section != y->section)
		return x->section - y->section;
	if (x->fresh->len != y->fresh->len)
		return (int)y->fresh->len - (int)x->fresh->len;
	if (x->last_date != y->last_date)
		return x->last_date > y->last_date ? -1 : 1;
	return x->thread_id < y->thread_id ? -1 : x->thread_id > y->thread_id;
}

static gboolean
looks_like_question(const rd_stored_message *m)
{
	return strchr(m->subject, '?') != NULL || (m->body && strchr(m->body, '?') != NULL);
}

static char *
human_size(gint64 n)
{
	if (n < 1024)
		return g_strdup_printf("%" G_GINT64_FORMAT " bytes", n);
	if (n < 1024 * 1024)
		return g_strdup_printf("%" G_GINT64_FORMAT " KB", (n + 512) / 1024);
	return g_strdup_printf("%.1f MB", (double)n / (1024.0 * 1024.0));
}

static char *
mailto(const char *address, const char *subject)
{
	g_autofree char *enc = g_uri_escape_string(subject, NULL, FALSE);

	return g_strdup_printf("mailto:%s?subject=%s", address, enc);
}

/* Escape text for HTML and make http(s) links clickable; newlines become
 * <br>.  The text is never trusted: everything else is escaped. */
static char *
html_text(const char *text)
{
	GString *out = g_string_new(NULL);
	const char *p = text;

	while (*p) {
		const char *l = NULL;
		const char *h1 = strstr(p, "http://"), *h2 = strstr(p, "https://");

		l = h1 && (!h2 || h1 < h2) ? h1 : h2;
		if (l == NULL) {
			l = p + strlen(p);
		}
		g_autofree char *before = g_markup_escape_text(p, (gssize)(l - p));
		g_string_append(out, before);
		if (*l == '\0')
			break;
		const char *e = l;
		while (*e && !g_ascii_isspace(*e) && *e != '<' && *e != '>' && *e != '"')
			e++;
		while (e > l && strchr(".,;:!?)'", e[-1]))
			e--;
		g_autofree char *url = g_markup_escape_text(l, (gssize)(e - l));
		g_string_append_printf(out, "<a href=\"%s\" style=\"color:#1a5fb4\">%s</a>", url,
		                       url);
		p = e;
	}
	/* Newlines to <br> after escaping, so no markup is ever injected.  A
	 * line of 60 or more characters followed by more text was wrapped by
	 * the sender's client: join it, so paragraphs reflow on a phone. */
	GString *br = g_string_new(NULL);
	const char *line = out->str;
	for (const char *q = out->str; *q; q++) {
		if (*q != '\n') {
			g_string_append_c(br, *q);
			continue;
		}
		if (g_utf8_strlen(line, q - line) >= 60 && q[1] != '\0' && q[1] != '\n' &&
		    q[1] != ' ' && q[1] != '-' && q[1] != '>')
			g_string_append_c(br, ' ');
		else
			g_string_append(br, "<br>\n");
		line = q + 1;
	}
	g_string_free(out, TRUE);
	return g_string_free(br, FALSE);
}

static char *
participants(const rd_digest_conversation *c, const char *self)
{
	g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func(g_free);
	g_autoptr(GHashTable) seen = g_hash_table_new(g_str_hash, g_str_equal);
	gboolean you = FALSE;
	GString *s = g_string_new(NULL);

	for (guint i = 0; i < c->all->len; i++) {
		rd_stored_message *m = c->all->pdata[i];
		const char *n = m->from_name ? m->from_name : m->from_addr;

		if (g_ascii_strcasecmp(m->from_addr, self) == 0) {
			you = TRUE;
			continue;
		}
		if (g_hash_table_contains(seen, n))
			continue;
		g_hash_table_add(seen, (gpointer)n);
		g_ptr_array_add(names, g_strdup(n));
	}
	if (you)
		g_ptr_array_add(names, g_strdup("you"));
	for (guint i = 0; i < names->len; i++) {
		if (i > 0)
			g_string_append(s, i + 1 == names->len ? " and " : ", ");
		g_string_append(s, names->pdata[i]);
	}
	return g_string_free(s, FALSE);
}

typedef struct {
	const rd_digest_ctx *ctx;
	rd_store *store;
	const rd_digest_selection *sel;
	GTimeZone *tz;
	GPtrArray *images; /* inline images: GMimePart* for the HTML */
	gint64 images_total;
	char *person_address;
	gint64 used;   /* estimated bytes of the digest so far */
	gint64 budget; /* what the content may take (ctx->max_size less the frame) */
} model_state;

/* ---- the size ceiling ----
 *
 * A digest is built to fit ctx->max_size while the model is built, never
 * rendered whole and cut: each conversation's cost is estimated from the
 * strings it will put into both bodies (twice: text and HTML) plus the
 * markup around them, and a conversation that does not fit is left out
 * and listed with its get link (later ones may still fit).  Images come
 * last, per message, only into the room that is left.  The estimates are
 * generous, so the rendered mail stays under the ceiling with the stock
 * templates; a per-community template that repeats content can exceed it,
 * which is its owner's choice. */

/* Headers, both templates' frame, table of contents and footer. */
#define DIGEST_FRAME_COST 16384
/* One conversation's markup and links in both bodies, beyond its strings. */
#define CONVERSATION_COST 3072
/* One message's markup in both bodies, beyond its strings. */
#define MESSAGE_COST 1024
/* One entry of a list (left out, more) beyond its strings. */
#define LIST_ENTRY_COST 512
/* The MIME headers of an inline image part, beyond its base64. */
#define IMAGE_PART_COST 384
/* The part of the budget kept for listing what was left out. */
#define LIST_RESERVE_DIVISOR 8
/* Attachments listed per message (the rest are counted), and images shown
 * inline per message: a post with hundreds of attachments costs a digest
 * no more than one with twenty. */
#define MAX_LISTED_ATTACHMENTS 20
#define MAX_INLINE_IMAGES 20

static gboolean
fits(const model_state *st, gint64 cost, gint64 limit)
{
	return st->used + cost <= limit;
}

static void
add_str(JsonBuilder *b, const char *name, const char *value)
{
	json_builder_set_member_name(b, name);
	json_builder_add_string_value(b, value ? value : "");
}

static void
add_int(JsonBuilder *b, const char *name, gint64 value)
{
	json_builder_set_member_name(b, name);
	json_builder_add_int_value(b, value);
}

static void
add_bool(JsonBuilder *b, const char *name, gboolean value)
{
	json_builder_set_member_name(b, name);
	json_builder_add_boolean_value(b, value);
}

/* An inline image of a message, kept for the pass. */
typedef struct {
	char *cid;
	char *content_type;
	char *filename;
	GBytes *data;
} inline_image;

static void
inline_image_free(inline_image *im)
{
	g_free(im->cid);
	g_free(im->content_type);
	g_free(im->filename);
	g_bytes_unref(im->data);
	g_free(im);
}

static GHashTable *image_cache; /* message row -> GPtrArray of inline_image* */
static GHashTable *node_cache;  /* "row/zone/images" -> JsonNode* */

/* The images of M small enough to show inline (each up to max_image),
 * decoded once per pass.  Their Content-IDs are fixed per message, so a
 * cached message node can name them. */
static GPtrArray *
message_images(model_state *st, const rd_stored_message *m)
{
	g_autoptr(rd_stored_message) full = NULL;
	g_autoptr(rd_message) parsed = NULL;
	GPtrArray *images;
	gboolean any = FALSE;

	if (image_cache == NULL)
		image_cache = g_hash_table_new_full(g_int64_hash, g_int64_equal, g_free,
		                                    (GDestroyNotify)g_ptr_array_unref);
	images = g_hash_table_lookup(image_cache, &m->id);
	if (images != NULL)
		return images;
	images = g_ptr_array_new_with_free_func((GDestroyNotify)inline_image_free);
	g_hash_table_insert(image_cache, g_memdup2(&m->id, sizeof(gint64)), images);
	for (guint i = 0; i < m->attachments->len; i++) {
		rd_attachment *a = m->attachments->pdata[i];

		if (g_str_has_prefix(a->content_type, "image/") && a->size <= st->ctx->max_image)
			any = TRUE;
	}
	if (any)
		full = rd_store_message_get(st->store, m->community_id, m->message_id, TRUE, NULL);
	if (full)
		parsed = rd_message_parse_full(full->raw, NULL, TRUE, NULL);
	for (guint i = 0; parsed && i < m->attachments->len && i < parsed->attachment_data->len;
	     i++) {
		rd_attachment *a = m->attachments->pdata[i];
		inline_image *im;

		if (!g_str_has_prefix(a->content_type, "image/") || a->size > st->ctx->max_image)
			continue;
		if (images->len >= MAX_INLINE_IMAGES)
			break;
		im = g_new0(inline_image, 1);
		im->cid = g_strdup_printf("img%u.%" G_GINT64_FORMAT "@rounds", i, m->id);
		im->content_type = g_strdup(a->content_type);
		im->filename = g_strdup(a->filename);
		im->data = g_bytes_ref(parsed->attachment_data->pdata[i]);
		g_ptr_array_add(images, im);
	}
	return images;
}

static gint64
images_size(GPtrArray *images)
{
	gint64 n = 0;

	for (guint i = 0; i < images->len; i++)
		n += (gint64)g_bytes_get_size(((inline_image *)images->pdata[i])->data);
	return n;
}

/* What IMAGES add to the mail: base64 in lines of 76, and part headers. */
static gint64
images_cost(GPtrArray *images)
{
	gint64 n = 0;

	for (guint i = 0; i < images->len; i++) {
		gint64 b64 =
		    ((gint64)g_bytes_get_size(((inline_image *)images->pdata[i])->data) + 2) / 3 *
		    4;

		n += b64 + b64 / 76 * 2 + IMAGE_PART_COST;
	}
	return n;
}

/* The MIME parts of a message's images, for this digest's HTML. */
static void
attach_images(model_state *st, GPtrArray *images)
{
	for (guint i = 0; i < images->len; i++) {
		inline_image *im = images->pdata[i];
		GMimePart *part =
		    g_mime_part_new_with_type("image", strchr(im->content_type, '/') + 1);
		g_autoptr(GMimeStream) stream = g_mime_stream_mem_new_with_buffer(
		    g_bytes_get_data(im->data, NULL), g_bytes_get_size(im->data));
		g_autoptr(GMimeDataWrapper) wrapper =
		    g_mime_data_wrapper_new_with_stream(stream, GMIME_CONTENT_ENCODING_DEFAULT);

		g_mime_part_set_content(part, wrapper);
		g_mime_part_set_content_encoding(part, GMIME_CONTENT_ENCODING_BASE64);
		g_mime_object_set_content_id(GMIME_OBJECT(part), im->cid);
		g_mime_object_set_disposition(GMIME_OBJECT(part), "inline");
		if (im->filename)
			g_mime_part_set_filename(part, im->filename);
		g_ptr_array_add(st->images, part);
	}
}

/* One message as the templates see it.  Nothing in it depends on the
 * reader but the time zone (the reader's links live on the conversation,
 * where Mustache finds them from inside the message), so the node is built
 * once per pass and shared by every digest that shows the message. */
static JsonNode *
message_node(model_state *st, const rd_stored_message *m, GPtrArray *images)
{
	g_autofree char *key = g_strdup_printf("%" G_GINT64_FORMAT "/%s/%d", m->id,
	                                       g_time_zone_get_identifier(st->tz), images != NULL);
	JsonNode *node;
	const char *trimmed;
	g_auto(GStrv) lines = NULL;
	g_autoptr(GDateTime) utc = NULL;
	g_autoptr(GDateTime) local = NULL;
	g_autofree char *when = NULL;
	g_autofree char *html = NULL;
	g_autoptr(JsonBuilder) b = NULL;
	GString *shown;
	guint n, keep;

	if (node_cache == NULL)
		node_cache = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
		                                   (GDestroyNotify)json_node_unref);
	node = g_hash_table_lookup(node_cache, key);
	if (node != NULL)
		return json_node_ref(node);
	if (g_hash_table_size(node_cache) >= 8192)
		g_hash_table_remove_all(node_cache);

	trimmed = trimmed_text(m);
	utc = g_date_time_new_from_unix_utc(m->date);
	local = g_date_time_to_timezone(utc, st->tz);
	when = g_date_time_format(local, "%a %d %b %H:%M");
	lines = g_strsplit(trimmed, "\n", -1);
	n = g_strv_length(lines);
	keep =
	    st->ctx->max_lines > 0 && n > (guint)st->ctx->max_lines ? (guint)st->ctx->max_lines : n;
	shown = g_string_new(NULL);
	for (guint i = 0; i < keep; i++) {
		g_string_append(shown, lines[i]);
		if (i + 1 < keep)
			g_string_append_c(shown, '\n');
	}
	html = html_text(shown->str);
	b = json_builder_new_immutable();
	json_builder_begin_object(b);
	add_str(b, "author", m->from_name ? m->from_name : m->from_addr);
	add_str(b, "address", m->from_addr);
	add_str(b, "time", when);
	add_str(b, "text", shown->str);
	add_str(b, "text_html", html);
	add_bool(b, "cut", keep < n);
	add_int(b, "more_lines", n - keep);
	json_builder_set_member_name(b, "attachments");
	json_builder_begin_array(b);
	for (guint i = 0; i < m->attachments->len && i < MAX_LISTED_ATTACHMENTS; i++) {
		rd_attachment *a = m->attachments->pdata[i];
		g_autofree char *size = human_size(a->size);

		json_builder_begin_object(b);
		add_str(b, "name", a->filename ? a->filename : a->content_type);
		add_str(b, "size", size);
		json_builder_end_object(b);
	}
	json_builder_end_array(b);
	add_bool(b, "has_attachments", m->attachments->len > 0);
	add_bool(b, "has_more_attachments", m->attachments->len > MAX_LISTED_ATTACHMENTS);
	add_int(b, "more_attachments",
	        m->attachments->len > MAX_LISTED_ATTACHMENTS
	            ? m->attachments->len - MAX_LISTED_ATTACHMENTS
	            : 0);
	json_builder_set_member_name(b, "images");
	json_builder_begin_array(b);
	for (guint i = 0; images && i < images->len; i++) {
		inline_image *im = images->pdata[i];

		json_builder_begin_object(b);
		add_str(b, "cid", im->cid);
		add_str(b, "name", im->filename ? im->filename : "image");
		json_builder_end_object(b);
	}
	json_builder_end_array(b);
	json_builder_end_object(b);
	g_string_free(shown, TRUE);
	node = json_builder_get_root(b);
	g_hash_table_insert(node_cache, g_steal_pointer(&key), json_node_ref(node));
	return node;
}

/* The request address of C's community as a mailto for VERB with TOKEN,
 * then SUFFIX.  Tokens are lower-case base32 and need no escaping. */
static char *
request_mailto(model_state *st, const rd_digest_conversation *c, const char *verb,
               const char *token, const char *suffix)
{
	const char delim[2] = {st->ctx->delimiter, '\0'};

	return g_strconcat("mailto:", c->community->name, delim, "request@", c->community->domain,
	                   "?subject=", verb, "%20", token, suffix, NULL);
}

/* The reader's command token for conversation C (get, mute). */
static char *
conversation_token(model_state *st, const rd_digest_conversation *c)
{
	return rd_token_make(st->ctx->secret, RD_TOKEN_COMMAND, c->community->name,
	                     c->community->domain, (guint64)st->sel->person_id,
	                     (guint64)c->thread_id);
}

static gsize
member_len(JsonObject *o, const char *name)
{
	return strlen(json_object_get_string_member_with_default(o, name, ""));
}

/* What message NODE puts into both bodies; LINK is the length of the
 * mailto it may repeat (for the rest of the text, for each attachment). */
static gint64
message_cost(JsonNode *node, gsize link)
{
	JsonObject *o = json_node_get_object(node);
	JsonArray *att = json_object_get_array_member(o, "attachments");
	JsonArray *img = json_object_get_array_member(o, "images");
	gint64 n =
	    MESSAGE_COST + (gint64)(member_len(o, "text") + member_len(o, "text_html") +
	                            2 * (member_len(o, "author") + member_len(o, "time") + link));

	for (guint i = 0; att && i < json_array_get_length(att); i++) {
		JsonObject *a = json_array_get_object_element(att, i);

		n += 128 + (gint64)(2 * (member_len(a, "name") + member_len(a, "size") + link));
	}
	for (guint i = 0; img && i < json_array_get_length(img); i++) {
		JsonObject *a = json_array_get_object_element(img, i);

		n += 256 + (gint64)(2 * (member_len(a, "name") + member_len(a, "cid")));
	}
	return n;
}

/* The bytes of the images message_images() would pick for M, from the
 * stored attachment list: decides whether they could fit before any
 * message is parsed for them. */
static gint64
planned_images_size(model_state *st, const rd_stored_message *m)
{
	gint64 n = 0;
	guint count = 0;

	for (guint i = 0; i < m->attachments->len && count < MAX_INLINE_IMAGES; i++) {
		rd_attachment *a = m->attachments->pdata[i];

		if (g_str_has_prefix(a->content_type, "image/") && a->size <= st->ctx->max_image) {
			n += a->size;
			count++;
		}
	}
	return n;
}

/* One conversation as it would go into the model, with its cost. */
typedef struct {
	const rd_digest_conversation *c;
	char *raddr, *reply, *get, *get_att, *mute, *who;
	GPtrArray *nodes;  /* JsonNode* per new message */
	GPtrArray *images; /* GPtrArray of inline_image*, borrowed from the cache */
	gint64 cost;
	gint64 image_bytes;
} conv_model;

static void
conv_model_free(conv_model *cm)
{
	g_free(cm->raddr);
	g_free(cm->reply);
	g_free(cm->get);
	g_free(cm->get_att);
	g_free(cm->mute);
	g_free(cm->who);
	g_ptr_array_unref(cm->nodes);
	g_ptr_array_unref(cm->images);
	g_free(cm);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC(conv_model, conv_model_free)

/* Conversation C with its new messages, or NULL when it does not fit under
 * LIMIT; the messages' images are added while there is room for them.
 * Stops building as soon as the conversation is over the limit. */
static conv_model *
conversation_model(model_state *st, const rd_digest_conversation *c, gint64 limit)
{
	const rd_digest_ctx *ctx = st->ctx;
	g_autoptr(conv_model) cm = g_new0(conv_model, 1);
	g_autofree char *rtok =
	    rd_token_make(ctx->secret, RD_TOKEN_REPLY, c->community->name, c->community->domain,
	                  (guint64)st->sel->person_id, (guint64)c->thread_id);
	g_autofree char *ctok = conversation_token(st, c);
	const char delim[2] = {ctx->delimiter, '\0'};
	gsize link;

	cm->c = c;
	/* The escaped subject is the thread's, made once per pass: this runs
	 * for every conversation of every digest. */
	cm->raddr =
	    g_strconcat(c->community->name, delim, "r-", rtok, "@", c->community->domain, NULL);
	cm->reply = g_strconcat("mailto:", cm->raddr, "?subject=", c->reply_subject, NULL);
	cm->get = request_mailto(st, c, "get", ctok, "");
	cm->get_att = request_mailto(st, c, "get", ctok, "%20attachments");
	cm->mute = request_mailto(st, c, "mute", ctok, "");
	cm->who = participants(c, st->person_address);
	cm->nodes = g_ptr_array_new_with_free_func((GDestroyNotify)json_node_unref);
	cm->images = g_ptr_array_new();
	link = MAX(strlen(cm->get), strlen(cm->get_att));
	cm->cost =
	    CONVERSATION_COST +
	    (gint64)(2 * (strlen(c->subject) + strlen(c->community->title) + strlen(cm->who) +
	                  strlen(cm->raddr) + strlen(cm->reply) + strlen(cm->mute)));
	for (guint i = 0; i < c->fresh->len && fits(st, cm->cost, limit); i++) {
		JsonNode *node = message_node(st, c->fresh->pdata[i], NULL);

		cm->cost += message_cost(node, link);
		g_ptr_array_add(cm->nodes, node);
	}
	if (!fits(st, cm->cost, limit))
		return NULL;
	/* Images last, into the room the text left. */
	for (guint i = 0; i < c->fresh->len; i++) {
		const rd_stored_message *m = c->fresh->pdata[i];
		gint64 planned = planned_images_size(st, m);
		GPtrArray *images;
		JsonNode *with;
		gint64 extra, size;

		if (planned == 0 ||
		    st->images_total + cm->image_bytes + planned > ctx->max_images_total ||
		    !fits(st, cm->cost + planned, limit))
			continue;
		images = message_images(st, m);
		size = images_size(images);
		if (images->len == 0 ||
		    st->images_total + cm->image_bytes + size > ctx->max_images_total)
			continue;
		with = message_node(st, m, images);
		extra = images_cost(images) + message_cost(with, link) -
		        message_cost(cm->nodes->pdata[i], link);
		if (!fits(st, cm->cost + extra, limit)) {
			json_node_unref(with);
			continue;
		}
		json_node_unref(cm->nodes->pdata[i]);
		cm->nodes->pdata[i] = with;
		cm->cost += extra;
		cm->image_bytes += size;
		g_ptr_array_add(cm->images, images);
	}
	return g_steal_pointer(&cm);
}

/* Put CM into the model as conversation NUMBER, and count what it costs. */
static void
conversation_json(model_state *st, JsonBuilder *b, conv_model *cm, guint number)
{
	const rd_digest_conversation *c = cm->c;

	json_builder_begin_object(b);
	add_int(b, "number", number);
	add_str(b, "community", c->community->title);
	add_str(b, "subject", c->subject);
	add_str(b, "participants", cm->who);
	add_int(b, "new_count", c->fresh->len);
	add_bool(b, "one_new", c->fresh->len == 1);
	add_str(b, "reply_address", cm->raddr);
	add_str(b, "reply_mailto", cm->reply);
	add_str(b, "mute_mailto", cm->mute);
	/* Found from inside each message by Mustache's context lookup. */
	add_str(b, "get_mailto", cm->get);
	add_str(b, "attachments_mailto", cm->get_att);
	json_builder_set_member_name(b, "messages");
	json_builder_begin_array(b);
	for (guint i = 0; i < cm->nodes->len; i++)
		json_builder_add_value(b, json_node_ref(cm->nodes->pdata[i]));
	json_builder_end_array(b);
	json_builder_end_object(b);
	for (guint i = 0; i < cm->images->len; i++)
		attach_images(st, cm->images->pdata[i]);
	st->images_total += cm->image_bytes;
	st->used += cm->cost;
}

static int
message_date_cmp(gconstpointer a, gconstpointer b)
{
	const rd_stored_message *x = *(rd_stored_message *const *)a;
	const rd_stored_message *y = *(rd_stored_message *const *)b;

	if (x->date != y->date)
		return x->date < y->date ? -1 : 1;
	return x->id < y->id ? -1 : x->id > y->id;
}

/* ---- per-pass caches ----
 *
 * Most people of a community share the same range of new messages, so one
 * flush would load and trim the same messages thousands of times.  The
 * caches live until rd_digest_cache_clear(), which the outbox calls at the
 * start of every flush: within a pass stored messages do not change. */

typedef struct {
	rd_community *community;
	GPtrArray *msgs;     /* rd_stored_message*, posted in the range */
	GHashTable *threads; /* thread id -> thread_data* */
} range_data;

typedef struct {
	char *subject;
	char *reply_subject; /* "Re: SUBJECT", URI-escaped for mailto links */
	GPtrArray *all;      /* posted messages of the thread up to the range end */
} thread_data;

#define CACHE_MAX 64

static GHashTable *range_cache; /* "cid:from:to" -> range_data* */
static GHashTable *trim_cache;  /* message row -> trimmed text */
static GHashTable *tmpl_cache;  /* template path -> rd_mustache* */

static void
thread_data_free(thread_data *t)
{
	g_free(t->subject);
	g_free(t->reply_subject);
	if (t->all)
		g_ptr_array_unref(t->all);
	g_free(t);
}

static void
range_data_free(range_data *r)
{
	rd_community_free(r->community);
	if (r->msgs)
		g_ptr_array_unref(r->msgs);
	if (r->threads)
		g_hash_table_destroy(r->threads);
	g_free(r);
}

void
rd_digest_cache_clear(void)
{
	g_clear_pointer(&node_cache, g_hash_table_destroy);
	g_clear_pointer(&image_cache, g_hash_table_destroy);
	g_clear_pointer(&range_cache, g_hash_table_destroy);
	g_clear_pointer(&trim_cache, g_hash_table_destroy);
	g_clear_pointer(&tmpl_cache, g_hash_table_destroy);
}

static range_data *
range_load(rd_store *s, const rd_digest_range *range, GError **error)
{
	g_autofree char *key =
	    g_strdup_printf("%" G_GINT64_FORMAT ":%" G_GINT64_FORMAT ":%" G_GINT64_FORMAT,
	                    range->community_id, range->from_seq, range->to_seq);
	range_data *r;

	if (range_cache == NULL)
		range_cache = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
		                                    (GDestroyNotify)range_data_free);
	r = g_hash_table_lookup(range_cache, key);
	if (r != NULL)
		return r;
	r = g_new0(range_data, 1);
	r->threads = g_hash_table_new_full(g_int64_hash, g_int64_equal, g_free,
	                                   (GDestroyNotify)thread_data_free);
	r->community = rd_store_community_get_by_id(s, range->community_id, error);
	if (r->community == NULL ||
	    (r->msgs = rd_store_messages_seq_range(s, range->community_id, range->from_seq,
	                                           range->to_seq, error)) == NULL) {
		range_data_free(r);
		return NULL;
	}
	for (guint i = 0; i < r->msgs->len; i++) {
		rd_stored_message *m = r->msgs->pdata[i];
		thread_data *t;

		if (m->thread_id == 0 || g_hash_table_contains(r->threads, &m->thread_id))
			continue;
		g_autoptr(rd_thread_info) info = rd_store_thread_get(s, m->thread_id, NULL);
		t = g_new0(thread_data, 1);
		t->subject = g_strdup(info ? info->subject : m->subject);
		g_autofree char *re = g_strconcat("Re: ", t->subject, NULL);
		t->reply_subject = g_uri_escape_string(re, NULL, FALSE);
		t->all = rd_store_thread_messages_upto(s, m->thread_id, range->to_seq, error);
		if (t->all == NULL) {
			thread_data_free(t);
			range_data_free(r);
			return NULL;
		}
		g_hash_table_insert(r->threads, g_memdup2(&m->thread_id, sizeof(gint64)), t);
	}
	g_hash_table_insert(range_cache, g_steal_pointer(&key), r);
	return r;
}

/* The trimmed text of a message, once per pass. */
static const char *
trimmed_text(const rd_stored_message *m)
{
	char *t;

	if (trim_cache == NULL)
		trim_cache = g_hash_table_new_full(g_int64_hash, g_int64_equal, g_free, g_free);
	t = g_hash_table_lookup(trim_cache, &m->id);
	if (t != NULL)
		return t;
	if (g_hash_table_size(trim_cache) >= 4096)
		g_hash_table_remove_all(trim_cache);
	t = rd_trim_text(m->body ? m->body : "", NULL, NULL);
	g_strchomp(t);
	g_hash_table_insert(trim_cache, g_memdup2(&m->id, sizeof(gint64)), t);
	return t;
}

GPtrArray *
rd_digest_conversations(rd_store *s, const rd_digest_selection *sel, GError **error)
{
	g_autoptr(GPtrArray) convs =
	    g_ptr_array_new_with_free_func((GDestroyNotify)rd_digest_conversation_free);
	g_autoptr(GHashTable) by_thread = g_hash_table_new(g_int64_hash, g_int64_equal);
	/* Muted now, not when the digest was decided: a mute sent in between
	 * is what the person wants. */
	g_autoptr(GHashTable) muted = rd_store_mute_threads(s, sel->person_id, error);

	if (muted == NULL)
		return NULL;
	/* Evict before, never during: the conversations borrow from it. */
	if (range_cache && g_hash_table_size(range_cache) + sel->ranges->len > CACHE_MAX)
		g_hash_table_remove_all(range_cache);
	for (guint r = 0; r < sel->ranges->len; r++) {
		rd_digest_range *range = &g_array_index(sel->ranges, rd_digest_range, r);
		range_data *rd = range_load(s, range, error);

		if (rd == NULL)
			return NULL;
		for (guint i = 0; i < rd->msgs->len; i++) {
			rd_stored_message *m = rd->msgs->pdata[i];
			rd_digest_conversation *c;

			if (g_ascii_strcasecmp(m->from_addr, sel->address) == 0 ||
			    m->thread_id == 0 || g_hash_table_contains(muted, &m->thread_id))
				continue;
			c = g_hash_table_lookup(by_thread, &m->thread_id);
			if (c == NULL) {
				thread_data *t = g_hash_table_lookup(rd->threads, &m->thread_id);

				c = g_new0(rd_digest_conversation, 1);
				c->thread_id = m->thread_id;
				c->community = rd->community;
				c->subject = g_strdup(t->subject);
				c->reply_subject = t->reply_subject;
				c->fresh = g_ptr_array_new();
				c->all = g_ptr_array_ref(t->all);
				g_ptr_array_add(convs, c);
				g_hash_table_insert(by_thread, &c->thread_id, c);
			}
			g_ptr_array_add(c->fresh, m);
			c->last_date = MAX(c->last_date, m->date);
		}
	}
	for (guint i = 0; i < convs->len; i++) {
		rd_digest_conversation *c = convs->pdata[i];

		g_ptr_array_sort(c->fresh, message_date_cmp);
	}
	for (guint i = 0; i < convs->len; i++) {
		rd_digest_conversation *c = convs->pdata[i];
		rd_stored_message *first = c->all->len ? c->all->pdata[0] : c->fresh->pdata[0];

		for (guint k = 0; k < c->all->len; k++) {
			rd_stored_message *m = c->all->pdata[k];

			if (g_ascii_strcasecmp(m->from_addr, sel->address) == 0)
				c->took_part = TRUE;
		}
		c->is_new = FALSE;
		for (guint k = 0; k < c->fresh->len; k++)
			if (((rd_stored_message *)c->fresh->pdata[k])->id == first->id)
				c->is_new = TRUE;
		c->unanswered = c->all->len == 1 && looks_like_question(first);
		c->section = c->took_part ? 0 : c->unanswered ? 1 : c->is_new ? 2 : 3;
	}
	g_ptr_array_sort(convs, conversation_cmp);
	return g_steal_pointer(&convs);
}

/* ---- rendering: templates ---- */

/* Prose wraps at 72 columns; no line of the text digest is wider than
 * 78 (RFC 5322 2.1.1), so it reads on an 80-column terminal. */
#define WRAP_COLS 72
#define HARD_COLS 78

/* Columns one character takes on a terminal. */
static glong
char_cols(gunichar c)
{
	if (g_unichar_iszerowidth(c))
		return 0;
	return g_unichar_iswide(c) ? 2 : 1;
}

static const char *
next_char(const char *p, const char *end)
{
	const char *n = (*p & 0x80) ? g_utf8_next_char(p) : p + 1;

	return n > end ? end : n;
}

static void
append_indent(GString *out, gsize indent)
{
	for (gsize i = 0; i < indent; i++)
		g_string_append_c(out, ' ');
}

/* A word wider than a whole line (a long mailto: link or address) is
 * broken over lines inside "<" and ">", as RFC 3986 appendix C (which
 * RFC 6068 builds on) allows: the line breaks are not part of the link.
 * It breaks after "?", "&", "@", ".", "/" or "-" when one is near, else
 * where the line ends; every piece keeps the indent. */
static void
break_word(GString *out, const char *w, const char *end, gsize indent)
{
	glong width = HARD_COLS - (glong)indent - 1;

	if (width < 20)
		width = 20;
	g_string_append_c(out, '<');
	while (w < end) {
		const char *p = w, *good = NULL;
		glong col = 0;

		while (p < end) {
			glong c = char_cols(g_utf8_get_char(p));

			if (col + c > width)
				break;
			col += c;
			p = next_char(p, end);
			if (strchr("?&@./-", p[-1]) != NULL && col > width / 2)
				good = p;
		}
		if (p < end && good != NULL)
			p = good;
		if (p == w)
			p = next_char(p, end);
		g_string_append_len(out, w, p - w);
		w = p;
		if (w < end) {
			g_string_append_c(out, '\n');
			append_indent(out, indent);
		}
	}
	g_string_append_c(out, '>');
}

/* Append one line of N bytes wrapped at 72 columns on spaces, each
 * continuation line indented as the line itself is (a wrapped participants
 * line stays under its conversation).  A word that does not fit goes on a
 * line of its own, and is broken only when it is wider than 78 columns. */
static void
wrap_line(GString *out, const char *line, gsize n)
{
	const char *end = line + n, *p;
	gsize indent = 0;
	glong col;
	gboolean empty = TRUE;

	/* At most 72 bytes is at most 72 columns: most lines stop here. */
	if (n <= WRAP_COLS) {
		g_string_append_len(out, line, n);
		return;
	}
	while (indent < n && line[indent] == ' ')
		indent++;
	if (indent > WRAP_COLS / 2)
		indent = 0;
	g_string_append_len(out, line, indent);
	col = (glong)indent;
	p = line + indent;
	while (p < end) {
		const char *gap = p, *w;
		glong wc = 0;

		while (p < end && *p == ' ')
			p++;
		if (p >= end)
			break; /* trailing blanks go */
		w = p;
		while (p < end && *p != ' ') {
			wc += char_cols(g_utf8_get_char(p));
			p = next_char(p, end);
		}
		if (!empty && col + (w - gap) + wc > WRAP_COLS) {
			g_string_append_c(out, '\n');
			append_indent(out, indent);
			col = (glong)indent;
			empty = TRUE;
		}
		if (empty && (glong)indent + wc > HARD_COLS) {
			break_word(out, w, p, indent);
			col = HARD_COLS; /* whatever follows starts a new line */
		} else {
			if (!empty)
				g_string_append_len(out, gap, w - gap);
			g_string_append_len(out, w, p - w);
			col += (empty ? 0 : (glong)(w - gap)) + wc;
		}
		empty = FALSE;
	}
}

/* Wrap plain text at 72 columns, no line over 78 (one pass: this runs on
 * every digest). */
static char *
wrap72(const char *text)
{
	gsize len = strlen(text);
	GString *out = g_string_sized_new(len + len / 16);
	const char *p = text, *end = text + len;

	for (;;) {
		const char *nl = memchr(p, '\n', end - p);

		wrap_line(out, p, nl ? (gsize)(nl - p) : (gsize)(end - p));
		if (nl == NULL)
			break;
		g_string_append_c(out, '\n');
		p = nl + 1;
	}
	return g_string_free(out, FALSE);
}

/* The nudge a digest leads with (issue 14): the question that has waited
 * longest, more than 48 hours and less than two weeks, in a conversation
 * the reader took part in, in a community that nudges.  A nudge is a
 * courtesy: when the store cannot say, the digest goes without one. */
static void
nudge_json(model_state *st, JsonBuilder *b, gint64 now)
{
	g_autoptr(GError) err = NULL;
	g_autoptr(rd_digest_waiting) w = NULL;
	g_autoptr(rd_community) k = NULL;
	g_autofree char *rtok = NULL, *raddr = NULL, *subject = NULL, *reply = NULL;
	const char delim[2] = {st->ctx->delimiter, '\0'};
	gint64 waited;

	if (!rd_store_digest_waiting(st->store, st->sel->person_id, st->sel->address,
	                             now - 14 * 24 * 3600, now - 48 * 3600, &w, &err) ||
	    w == NULL || (k = rd_store_community_get_by_id(st->store, w->community_id, &err)) == NULL) {
		add_bool(b, "has_nudge", FALSE);
		return;
	}
	rtok = rd_token_make(st->ctx->secret, RD_TOKEN_REPLY, k->name, k->domain,
	                     (guint64)st->sel->person_id, (guint64)w->thread_id);
	raddr = g_strconcat(k->name, delim, "r-", rtok, "@", k->domain, NULL);
	subject = g_str_has_prefix(w->subject, "Re: ") ? g_strdup(w->subject)
	                                                : g_strconcat("Re: ", w->subject, NULL);
	reply = mailto(raddr, subject);
	waited = (now - w->date) / (24 * 3600);
	add_bool(b, "has_nudge", TRUE);
	json_builder_set_member_name(b, "nudge");
	json_builder_begin_object(b);
	add_str(b, "community", k->title);
	add_str(b, "subject", w->subject);
	add_str(b, "author", w->author);
	add_int(b, "days", waited);
	add_str(b, "reply_address", raddr);
	add_str(b, "reply_mailto", reply);
	json_builder_end_object(b);
}

static JsonNode *
build_model(model_state *st, GPtrArray *convs, gint64 now, gint64 outbox_id, char **subject,
            const rd_community *single)
{
	const rd_digest_ctx *ctx = st->ctx;
	g_autoptr(JsonBuilder) b = json_builder_new();
	g_autoptr(GDateTime) utc = g_date_time_new_from_unix_utc(now);
	g_autoptr(GDateTime) local = g_date_time_to_timezone(utc, st->tz);
	g_autofree char *day = g_date_time_format(local, "%a %d %b");
	guint total = 0, counts[4] = {0};
	guint left_convs = 0, left_msgs = 0, unlisted = 0, more = 0;
	/* Full conversations leave room for listing what did not fit. */
	gint64 full_limit = st->budget - st->budget / LIST_RESERVE_DIVISOR;
	g_autofree gboolean *full = g_new0(gboolean, convs->len);
	/* A negative max_conversations shows them all, as it always did. */
	guint in_full = MIN(convs->len, (guint)ctx->max_conversations);
	const char *title = single ? single->title : "Rounds";
	const rd_community *first = single;

	for (guint i = 0; i < convs->len; i++) {
		rd_digest_conversation *c = convs->pdata[i];

		total += c->fresh->len;
		counts[c->section]++;
		if (first == NULL)
			first = c->community;
	}
	*subject =
	    g_strdup_printf("%s: %u conversation%s, %u new message%s \u2014 %s", title, convs->len,
	                    convs->len == 1 ? "" : "s", total, total == 1 ? "" : "s", day);

	g_autofree char *dtok =
	    rd_token_make(ctx->secret, RD_TOKEN_DIGEST, first->name, first->domain,
	                  (guint64)st->sel->person_id, (guint64)outbox_id);
	g_autofree char *utok = rd_token_make(ctx->secret, RD_TOKEN_COMMAND, first->name,
	                                      first->domain, (guint64)st->sel->person_id, 0);
	g_autofree char *dext = g_strdup_printf("d-%s", dtok);
	g_autofree char *daddr =
	    g_strdup_printf("%s%c%s@%s", first->name, ctx->delimiter, dext, first->domain);
	g_autofree char *req =
	    g_strdup_printf("%s%crequest@%s", first->name, ctx->delimiter, first->domain);
	g_autofree char *s_weekly = g_strdup_printf("digest weekly %s", utok);
	g_autofree char *s_pause = g_strdup_printf("pause %s", utok);
	g_autofree char *s_unsub = g_strdup_printf("unsubscribe %s", utok);
	g_autofree char *m_weekly = mailto(req, s_weekly);
	g_autofree char *m_pause = mailto(req, s_pause);
	g_autofree char *m_unsub = mailto(req, s_unsub);

	json_builder_begin_object(b);
	add_str(b, "title", title);
	add_str(b, "subject", *subject);
	add_str(b, "date", day);
	add_str(b, "name", st->sel->name ? st->sel->name : st->sel->address);
	add_str(b, "address", st->sel->address);
	add_str(b, "digest_address", daddr);
	add_str(b, "weekly_mailto", m_weekly);
	add_str(b, "pause_mailto", m_pause);
	add_str(b, "unsubscribe_mailto", m_unsub);
	add_str(b, "request_address", req);
	add_int(b, "conversation_count", convs->len);
	add_int(b, "message_count", total);
	nudge_json(st, b, now);
	json_builder_set_member_name(b, "toc");
	json_builder_begin_array(b);
	for (int k = 0; k < 4; k++) {
		if (counts[k] == 0)
			continue;
		json_builder_begin_object(b);
		add_str(b, "title", section_titles[k]);
		add_int(b, "count", counts[k]);
		json_builder_end_object(b);
	}
	json_builder_end_array(b);
	json_builder_set_member_name(b, "sections");
	json_builder_begin_array(b);
	for (int k = 0; k < 4; k++) {
		gboolean open = FALSE;

		/* The number a reader sees is the index + 1 whatever is left
		 * out, as replies by number count them (rd_digest_conversations). */
		for (guint i = 0; i < in_full; i++) {
			rd_digest_conversation *c = convs->pdata[i];
			g_autoptr(conv_model) cm = NULL;

			if (c->section != k || (cm = conversation_model(st, c, full_limit)) == NULL)
				continue;
			if (!open) {
				json_builder_begin_object(b);
				add_str(b, "title", section_titles[k]);
				json_builder_set_member_name(b, "conversations");
				json_builder_begin_array(b);
				open = TRUE;
			}
			conversation_json(st, b, cm, i + 1);
			full[i] = TRUE;
		}
		if (open) {
			json_builder_end_array(b);
			json_builder_end_object(b);
		}
	}
	json_builder_end_array(b);
	/* What did not fit is listed with its get link while the list fits;
	 * past that it is only counted.  Either way it counts as delivered:
	 * the digest state advanced when the digest was decided, and the get
	 * link (or the archive) is where the rest is. */
	json_builder_set_member_name(b, "left_out");
	json_builder_begin_array(b);
	for (guint i = 0; i < in_full; i++) {
		rd_digest_conversation *c = convs->pdata[i];
		g_autofree char *ctok = NULL, *get = NULL;
		gint64 cost;

		if (full[i])
			continue;
		left_convs++;
		left_msgs += c->fresh->len;
		ctok = conversation_token(st, c);
		get = request_mailto(st, c, "get", ctok, "");
		cost =
		    LIST_ENTRY_COST +
		    (gint64)(2 * (strlen(c->subject) + strlen(c->community->title) + strlen(get)));
		if (!fits(st, cost, st->budget)) {
			unlisted++;
			continue;
		}
		st->used += cost;
		json_builder_begin_object(b);
		add_int(b, "number", i + 1);
		add_str(b, "community", c->community->title);
		add_str(b, "subject", c->subject);
		add_int(b, "new_count", c->fresh->len);
		add_str(b, "get_mailto", get);
		json_builder_end_object(b);
	}
	json_builder_end_array(b);
	json_builder_set_member_name(b, "more");
	json_builder_begin_array(b);
	for (guint i = in_full; i < convs->len; i++) {
		rd_digest_conversation *c = convs->pdata[i];
		gint64 cost = LIST_ENTRY_COST +
		              (gint64)(2 * (strlen(c->subject) + strlen(c->community->title)));

		if (!fits(st, cost, st->budget)) {
			left_convs++;
			left_msgs += c->fresh->len;
			unlisted++;
			continue;
		}
		st->used += cost;
		more++;
		json_builder_begin_object(b);
		add_str(b, "community", c->community->title);
		add_str(b, "subject", c->subject);
		add_int(b, "new_count", c->fresh->len);
		json_builder_end_object(b);
	}
	json_builder_end_array(b);
	add_bool(b, "has_more", more > 0);
	add_int(b, "more_count", more);
	add_bool(b, "has_left_out", left_convs > 0);
	add_int(b, "left_out_conversations", left_convs);
	add_int(b, "left_out_messages", left_msgs);
	add_bool(b, "has_left_out_unlisted", unlisted > 0);
	add_int(b, "left_out_unlisted", unlisted);
	json_builder_end_object(b);
	return json_builder_get_root(b);
}

static char *
render_template(const rd_digest_ctx *ctx, const char *community, const char *name, JsonNode *model,
                rd_mustache_escape esc, GError **error)
{
	g_autofree char *key = g_strdup_printf("%s/%s", community ? community : "", name);
	rd_template_place place = {ctx->home, community, ctx->template_dir};
	rd_mustache *t;
	GString *out;

	/* Compiled once per pass (and per community override). */
	if (tmpl_cache == NULL)
		tmpl_cache = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
		                                   (GDestroyNotify)rd_mustache_free);
	t = g_hash_table_lookup(tmpl_cache, key);
	if (t == NULL) {
		g_autofree char *src = rd_template_load(&place, name);

		if (src == NULL) {
			g_set_error(error, RD_ERROR, RD_CONFIG, "template %s not found in %s", name,
			            ctx->template_dir);
			return NULL;
		}
		t = rd_mustache_compile(src, error);
		if (t == NULL)
			return NULL;
		g_hash_table_insert(tmpl_cache, g_steal_pointer(&key), t);
	}
	out = g_string_sized_new(65536);
	if (!rd_mustache_render(t, model, esc, rd_template_partial, &place, out, error)) {
		g_string_free(out, TRUE);
		return NULL;
	}
	return g_string_free(out, FALSE);
}

static gboolean
render_all(rd_store *s, const rd_digest_ctx *ctx, const rd_digest_selection *sel, gint64 now,
           gint64 outbox_id, char **text, char **html, char **subject, GPtrArray *images,
           rd_community **single_out, GError **error)
{
	g_autoptr(GPtrArray) convs = NULL;
	g_autoptr(JsonNode) model = NULL;
	g_autoptr(rd_digest_person) person = NULL;
	g_autoptr(GTimeZone) tz = NULL;
	rd_community *single = NULL;
	g_autofree char *raw_text = NULL;
	model_state st = {0};
	gboolean ok = FALSE;

	/* The person's current name and zone; the content is what was frozen. */
	if (sel->address == NULL) {
		g_set_error(error, RD_ERROR, RD_SOFTWARE, "digest without a recipient");
		return FALSE;
	}
	tz = rd_schedule_zone(sel->timezone, ctx->default_timezone);
	convs = rd_digest_conversations(s, sel, error);
	if (convs == NULL)
		goto done;
	if (sel->ranges->len == 1)
		single = rd_store_community_get_by_id(
		    s, g_array_index(sel->ranges, rd_digest_range, 0).community_id, error);
	if (sel->ranges->len == 1 && single == NULL)
		goto done;
	if (convs->len == 0) {
		g_set_error(error, RD_ERROR, RD_NOTFOUND, "nothing new for %s", sel->address);
		goto done;
	}
	st.ctx = ctx;
	st.store = s;
	st.sel = sel;
	st.tz = tz;
	st.images = images;
	st.person_address = sel->address;
	st.budget = ctx->max_size > 0 ? ctx->max_size - DIGEST_FRAME_COST : G_MAXINT64 / 4;
	model = build_model(&st, convs, now, outbox_id, subject, single);
	raw_text = render_template(ctx, single ? single->name : NULL, "digest.txt.mustache", model,
	                           RD_MUSTACHE_TEXT, error);
	if (raw_text == NULL)
		goto done;
	*text = wrap72(raw_text);
	*html = render_template(ctx, single ? single->name : NULL, "digest.html.mustache", model,
	                        RD_MUSTACHE_HTML, error);
	if (*html == NULL)
		goto done;
	ok = TRUE;
done:
	g_clear_pointer(&convs, g_ptr_array_unref);
	if (single_out)
		*single_out = single;
	else
		rd_community_free(single);
	return ok;
}

gboolean
rd_digest_render_bodies(rd_store *s, const rd_digest_ctx *ctx, const rd_digest_selection *sel,
                        gint64 now, gint64 outbox_id, char **text, char **html, char **subject,
                        GError **error)
{
	g_autoptr(GPtrArray) images = g_ptr_array_new_with_free_func(g_object_unref);

	return render_all(s, ctx, sel, now, outbox_id, text, html, subject, images, NULL, error);
}

/* 7bit for ASCII, 8bit for UTF-8 with lines SMTP can carry (the SMTP
 * module then declares 8BITMIME), quoted-printable only where needed:
 * encoding was the largest cost of rendering a digest. */
static GMimeContentEncoding
body_encoding(const char *text)
{
	gsize len = strlen(text);
	const char *p = text, *end = text + len;
	gboolean ascii = TRUE;

	/* Line lengths by memchr, 8-bit bytes a word at a time: this runs
	 * over every byte of every digest. */
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));

		if ((nl ? nl : end) - p > 990)
			return GMIME_CONTENT_ENCODING_QUOTEDPRINTABLE;
		p = nl ? nl + 1 : end;
	}
	for (p = text; ascii && p + sizeof(guint64) <= end; p += sizeof(guint64)) {
		guint64 w;

		memcpy(&w, p, sizeof w);
		ascii = (w & G_GUINT64_CONSTANT(0x8080808080808080)) == 0;
	}
	for (; ascii && p < end; p++)
		ascii = (unsigned char)*p < 0x80;
	return ascii ? GMIME_CONTENT_ENCODING_7BIT : GMIME_CONTENT_ENCODING_8BIT;
}

/* A UTF-8 text part.  Built from a stream rather than
 * g_mime_text_part_set_text(), which scans every byte to pick a charset
 * (a fifth of the render time) when we already know it is UTF-8. */
static GMimePart *
text_part(const char *subtype, const char *text)
{
	GMimePart *p = g_mime_part_new_with_type("text", subtype);
	GMimeContentEncoding enc = body_encoding(text);
	g_autoptr(GMimeStream) stream = g_mime_stream_mem_new_with_buffer(text, strlen(text));
	/* 7bit and 8bit content is already in its encoded form: saying so
	 * lets GMime copy it instead of running it through an encoder. */
	g_autoptr(GMimeDataWrapper) content = g_mime_data_wrapper_new_with_stream(
	    stream, enc == GMIME_CONTENT_ENCODING_QUOTEDPRINTABLE ? GMIME_CONTENT_ENCODING_DEFAULT
	                                                          : enc);

	g_mime_object_set_content_type_parameter(GMIME_OBJECT(p), "charset", "utf-8");
	g_mime_part_set_content(p, content);
	g_mime_part_set_content_encoding(p, enc);
	return p;
}

/* A header that must go out exactly as written: GMime would turn a long
 * unstructured value (a mailto URL) into RFC 2047 encoded words. */
static void
set_raw_header(GMimeObject *obj, const char *name, const char *value)
{
	GMimeHeaderList *list = g_mime_object_get_header_list(obj);
	g_autofree char *raw = g_strdup_printf(" %s\n", value);
	GMimeHeader *h;

	g_mime_object_set_header(obj, name, value, NULL);
	h = g_mime_header_list_get_header(list, name);
	if (h != NULL)
		g_mime_header_set_raw_value(h, raw);
}

GBytes *
rd_digest_render(rd_store *s, const rd_digest_ctx *ctx, const rd_digest_selection *sel, gint64 now,
                 gint64 outbox_id, char **subject_out, GError **error)
{
	g_autoptr(GPtrArray) images = g_ptr_array_new_with_free_func(g_object_unref);
	g_autofree char *text = NULL, *html = NULL, *subject = NULL;
	g_autoptr(rd_community) single = NULL;
	g_autoptr(GMimeMessage) msg = NULL;
	g_autoptr(GDateTime) date = g_date_time_new_from_unix_utc(now);
	GMimeMultipart *alt;
	GMimeObject *html_obj;
	rd_community *first;
	char *bytes;
	gint64 first_id;

	if (!render_all(s, ctx, sel, now, outbox_id, &text, &html, &subject, images, &single,
	                error))
		return NULL;
	first_id = g_array_index(sel->ranges, rd_digest_range, 0).community_id;
	g_autoptr(rd_community) first_c =
	    single ? NULL : rd_store_community_get_by_id(s, first_id, error);
	first = single ? single : first_c;
	if (first == NULL)
		return NULL;

	msg = g_mime_message_new(TRUE);
	g_autofree char *dtok =
	    rd_token_make(ctx->secret, RD_TOKEN_DIGEST, first->name, first->domain,
	                  (guint64)sel->person_id, (guint64)outbox_id);
	g_autofree char *daddr =
	    g_strdup_printf("%s%cd-%s@%s", first->name, ctx->delimiter, dtok, first->domain);
	/* The digest goes to the owner of its token alone, so its From may
	 * carry it: a reply to From is a reply to the digest. */
	g_mime_message_add_mailbox(msg, GMIME_ADDRESS_TYPE_FROM, single ? single->title : "Rounds",
	                           ctx->from_address ? ctx->from_address : daddr);
	g_mime_message_add_mailbox(msg, GMIME_ADDRESS_TYPE_TO, sel->name, sel->address);
	g_mime_message_add_mailbox(msg, GMIME_ADDRESS_TYPE_REPLY_TO, NULL, daddr);
	g_mime_message_set_subject(msg, subject, "utf-8");
	g_mime_message_set_date(msg, date);
	g_autofree char *mid =
	    g_strdup_printf("digest-%" G_GINT64_FORMAT ".%s@%s", outbox_id, dtok, first->domain);
	g_mime_message_set_message_id(msg, mid);
	/* The one-click link of a digest stops that digest (every community
	 * in a combined one), not the membership: README, "rounds web". */
	const char *post = NULL;
	g_autofree char *unsub = rd_fanout_list_unsubscribe(
	    ctx->secret, ctx->web_url, first->name, first->domain, ctx->delimiter,
	    sel->person_id, RD_WEB_DIGEST, &post);
	set_raw_header(GMIME_OBJECT(msg), "List-Unsubscribe", unsub);
	if (post != NULL)
		g_mime_object_set_header(GMIME_OBJECT(msg), "List-Unsubscribe-Post", post, NULL);
	if (single) {
		g_autofree char *lid =
		    g_strdup_printf("%s <%s.%s>", single->title, single->name, single->domain);
		g_mime_object_set_header(GMIME_OBJECT(msg), "List-Id", lid, NULL);
	}
	g_mime_object_set_header(GMIME_OBJECT(msg), "Auto-Submitted", "auto-generated", NULL);
	g_mime_object_set_header(GMIME_OBJECT(msg), "Precedence", "list", NULL);

	alt = g_mime_multipart_new_with_subtype("alternative");
	GMimePart *tp = text_part("plain", text);
	g_mime_multipart_add(alt, GMIME_OBJECT(tp));
	g_object_unref(tp);
	GMimePart *hp = text_part("html", html);
	if (images->len > 0) {
		/* GMime 3.2 has no multipart/related class: build it plainly,
		 * root first, as RFC 2387 wants. */
		GMimeMultipart *rel = g_mime_multipart_new_with_subtype("related");

		g_mime_object_set_content_type_parameter(GMIME_OBJECT(rel), "type", "text/html");
		g_mime_multipart_add(rel, GMIME_OBJECT(hp));
		for (guint i = 0; i < images->len; i++)
			g_mime_multipart_add(rel, images->pdata[i]);
		html_obj = GMIME_OBJECT(rel);
	} else {
		html_obj = GMIME_OBJECT(g_object_ref(hp));
	}
	g_object_unref(hp);
	g_mime_multipart_add(alt, html_obj);
	g_object_unref(html_obj);
	g_mime_message_set_mime_part(msg, GMIME_OBJECT(alt));
	g_object_unref(alt);

	bytes = g_mime_object_to_string(GMIME_OBJECT(msg), NULL);
	if (subject_out)
		*subject_out = g_steal_pointer(&subject);
	return g_bytes_new_take(bytes, strlen(bytes));
}
