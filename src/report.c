/* report.c - community vitality figures from the store's rows.
 *
 * DESCRIPTION
 *	Posts after UNTIL are dropped first, so every figure (replies "up to
 *	UNTIL" included) sees the community as it was at UNTIL.  Each thread's
 *	posts are then walked once to find its first post and the first post
 *	by someone else; replies are matched to their parents by Message-ID.
 *	Weeks are the 7-day spans ending at UNTIL: week 0 is [UNTIL-7d, UNTIL).
 *	Memberships are deleted when people leave; the store keeps the
 *	departures, and the caller puts their count in members_left.
 */
#include <math.h>
#include <string.h>

#include "report.h"
#include "schedule.h"

#define DAY (24 * 3600)
#define WEEK (7 * DAY)

typedef struct {
	const rd_report_post *first;       /* root, or earliest post */
	const rd_report_post *first_other; /* first post by someone other than the root's author */
} report_thread;

void
rd_report_free(rd_report *r)
{
	if (r == NULL)
		return;
	g_ptr_array_unref(r->first_time_posters);
	g_ptr_array_unref(r->unanswered);
	g_ptr_array_unref(r->core_members);
	g_free(r);
}

static void
report_thread_free(rd_report_thread *t)
{
	g_free(t->subject);
	g_free(t->author);
	g_free(t);
}

char *
rd_report_iso(gint64 t)
{
	g_autoptr(GDateTime) d = g_date_time_new_from_unix_utc(t);

	return g_date_time_format(d, "%Y-%m-%dT%H:%M:%SZ");
}

static gboolean
in(gint64 t, gint64 from, gint64 to)
{
	return t >= from && t < to;
}

static double
round_to(double x, double scale)
{
	return round(x * scale) / scale;
}

static int
cmp_str(gconstpointer a, gconstpointer b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The keys of SET as a sorted array of copies. */
static GPtrArray *
sorted_keys(GHashTable *set)
{
	GPtrArray *out = g_ptr_array_new_with_free_func(g_free);
	GHashTableIter it;
	gpointer k;

	g_hash_table_iter_init(&it, set);
	while (g_hash_table_iter_next(&it, &k, NULL))
		g_ptr_array_add(out, g_strdup(k));
	g_ptr_array_sort(out, cmp_str);
	return out;
}

static int
report_thread_cmp(gconstpointer a, gconstpointer b)
{
	const rd_report_thread *x = *(rd_report_thread *const *)a,
	                       *y = *(rd_report_thread *const *)b;

	if (x->started != y->started)
		return x->started < y->started ? -1 : 1;
	return (x->thread_id > y->thread_id) - (x->thread_id < y->thread_id);
}

static int
cmp_double(gconstpointer a, gconstpointer b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* Distinct authors of posts in [FROM, TO). */
static GHashTable *
authors_between(GPtrArray *posts, gint64 from, gint64 to)
{
	GHashTable *set = g_hash_table_new(g_str_hash, g_str_equal);

	for (guint i = 0; i < posts->len; i++) {
		const rd_report_post *p = posts->pdata[i];

		if (in(p->date, from, to))
			g_hash_table_add(set, p->author);
	}
	return set;
}

static void
report_core(rd_report *r, GPtrArray *posts)
{
	GHashTable *weeks[8];
	g_autoptr(GHashTable) now = g_hash_table_new(g_str_hash, g_str_equal);
	GHashTable *counts[2] = {g_hash_table_new(g_str_hash, g_str_equal),
	                         g_hash_table_new(g_str_hash, g_str_equal)};
	GHashTableIter it;
	gpointer k, v;

	for (int w = 0; w < 8; w++) {
		weeks[w] = authors_between(posts, r->until - (w + 1) * (gint64)WEEK,
		                           r->until - w * (gint64)WEEK);
		g_hash_table_iter_init(&it, weeks[w]);
		while (g_hash_table_iter_next(&it, &k, NULL)) {
			GHashTable *c = counts[w / 4];

			g_hash_table_replace(
			    c, k, GINT_TO_POINTER(GPOINTER_TO_INT(g_hash_table_lookup(c, k)) + 1));
		}
	}
	/* "At least 3 of the 4 weeks": steady presence, not one busy week. */
	for (int half = 0; half < 2; half++) {
		g_hash_table_iter_init(&it, counts[half]);
		while (g_hash_table_iter_next(&it, &k, &v)) {
			if (GPOINTER_TO_INT(v) < 3)
				continue;
			if (half == 0)
				g_hash_table_add(now, k);
			else
				r->core_previous++;
		}
	}
	r->core_members = sorted_keys(now);
	r->core_size = r->core_members->len;
	for (int w = 0; w < 8; w++)
		g_hash_table_unref(weeks[w]);
	g_hash_table_unref(counts[0]);
	g_hash_table_unref(counts[1]);
}

static void
report_members(rd_report *r, GPtrArray *members, GHashTable *ever)
{
	for (guint i = 0; i < members->len; i++) {
		const rd_report_member *m = members->pdata[i];
		gint64 created = m->created ? rd_schedule_parse_iso(m->created) : -1;
		gint64 paused = m->paused_until ? rd_schedule_parse_iso(m->paused_until) : -1;

		if (created >= r->until)
			continue;
		r->members_total++;
		if (in(created, r->since, r->until))
			r->members_joined++;
		if (m->bounce_score > 0 || g_strcmp0(m->disabled_reason, "bounces") == 0)
			r->members_bouncing++;
		if (g_strcmp0(m->status, "paused") == 0 || paused > r->until)
			r->members_paused++;
		if (g_strcmp0(m->delivery, "digest") == 0 &&
		    !g_hash_table_contains(ever, m->address))
			r->readers_never_posted++;
	}
}

rd_report *
rd_report_compute(GPtrArray *all, GPtrArray *members, gint64 since, gint64 until)
{
	rd_report *r = g_new0(rd_report, 1);
	g_autoptr(GPtrArray) posts = g_ptr_array_new();
	g_autoptr(GHashTable) by_id = g_hash_table_new(g_str_hash, g_str_equal);
	g_autoptr(GHashTable) threads =
	    g_hash_table_new_full(g_int64_hash, g_int64_equal, NULL, g_free);
	g_autoptr(GHashTable) first_post = g_hash_table_new(g_str_hash, g_str_equal);
	g_autoptr(GHashTable) posters = NULL;
	g_autoptr(GHashTable) newcomers = g_hash_table_new(g_str_hash, g_str_equal);
	g_autoptr(GHashTable) pairs = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	g_autoptr(GHashTable) replied = g_hash_table_new(g_direct_hash, g_direct_equal);
	g_autoptr(GArray) waits = g_array_new(FALSE, FALSE, sizeof(double));
	gint64 replied_posts = 0;
	GHashTableIter it;
	gpointer k, v;

	r->since = since;
	r->until = until;
	r->unanswered = g_ptr_array_new_with_free_func((GDestroyNotify)report_thread_free);
	/* The rows come by date then id: "earliest" below is the first seen. */
	for (guint i = 0; i < all->len; i++) {
		rd_report_post *p = all->pdata[i];

		if (p->date < until) {
			g_ptr_array_add(posts, p);
			g_hash_table_insert(by_id, p->message_id, p);
			if (!g_hash_table_contains(first_post, p->author))
				g_hash_table_insert(first_post, p->author, p);
		}
	}
	/* First posts: the earliest parentless post, else the earliest. */
	for (guint i = 0; i < posts->len; i++) {
		const rd_report_post *p = posts->pdata[i];
		report_thread *t = g_hash_table_lookup(threads, &p->thread_id);
		gboolean root = p->parent_message_id == NULL ||
		                !g_hash_table_contains(by_id, p->parent_message_id);

		if (t == NULL) {
			t = g_new0(report_thread, 1);
			t->first = p;
			g_hash_table_insert(threads, (gpointer)&p->thread_id, t);
		} else if (root && t->first->parent_message_id != NULL &&
		           g_hash_table_contains(by_id, t->first->parent_message_id)) {
			t->first = p;
		}
	}
	for (guint i = 0; i < posts->len; i++) {
		const rd_report_post *p = posts->pdata[i];
		report_thread *t = g_hash_table_lookup(threads, &p->thread_id);
		const rd_report_post *parent =
		    p->parent_message_id ? g_hash_table_lookup(by_id, p->parent_message_id) : NULL;

		if (t->first_other == NULL && strcmp(p->author, t->first->author) != 0 &&
		    p->date >= t->first->date)
			t->first_other = p;
		if (parent != NULL && strcmp(parent->author, p->author) != 0) {
			g_hash_table_add(replied, (gpointer)parent);
			if (in(p->date, since, until)) {
				/* Key "a\nb" with a < b; the value's bits say who replied to whom.
				 */
				gboolean a_first = strcmp(p->author, parent->author) < 0;
				char *key =
				    a_first ? g_strconcat(p->author, "\n", parent->author, NULL)
				            : g_strconcat(parent->author, "\n", p->author, NULL);
				int bits = GPOINTER_TO_INT(g_hash_table_lookup(pairs, key));

				g_hash_table_replace(pairs, key,
				                     GINT_TO_POINTER(bits | (a_first ? 1 : 2)));
			}
		}
		if (!in(p->date, since, until))
			continue;
		r->posts++;
		if (p->parent_message_id != NULL)
			r->replies++;
	}
	for (guint i = 0; i < posts->len; i++) {
		const rd_report_post *p = posts->pdata[i];

		if (in(p->date, since, until) && g_hash_table_contains(replied, p))
			replied_posts++;
	}
	r->replied_share = r->posts ? round_to((double)replied_posts / r->posts, 1e4) : 0;
	g_hash_table_iter_init(&it, pairs);
	while (g_hash_table_iter_next(&it, &k, &v)) {
		r->reply_pairs++;
		if (GPOINTER_TO_INT(v) == 3)
			r->reciprocated++;
	}
	posters = authors_between(posts, since, until);
	r->posters = g_hash_table_size(posters);
	g_hash_table_iter_init(&it, first_post);
	while (g_hash_table_iter_next(&it, &k, &v))
		if (in(((rd_report_post *)v)->date, since, until))
			g_hash_table_add(newcomers, k);
	r->first_time_posters = sorted_keys(newcomers);

	g_hash_table_iter_init(&it, threads);
	while (g_hash_table_iter_next(&it, &k, &v)) {
		const report_thread *t = v;

		if (!in(t->first->date, since, until))
			continue;
		r->threads_started++;
		if (t->first_other != NULL) {
			double h = (double)(t->first_other->date - t->first->date) / 3600.0;

			g_array_append_val(waits, h);
			continue;
		}
		r->threads_without_reply++;
		/* Only questions that have waited two days are worth an owner's nudge. */
		if (t->first->date <= until - 2 * DAY) {
			rd_report_thread *u = g_new0(rd_report_thread, 1);

			u->thread_id = t->first->thread_id;
			u->subject = g_strdup(t->first->subject);
			u->author = g_strdup(t->first->author);
			u->started = t->first->date;
			g_ptr_array_add(r->unanswered, u);
		}
	}
	g_ptr_array_sort(r->unanswered, report_thread_cmp);
	if (waits->len > 0) {
		guint n = waits->len;
		double *w = (double *)(void *)waits->data;

		g_array_sort(waits, cmp_double);
		r->has_median = TRUE;
		r->first_reply_median_hours =
		    round_to(n % 2 ? w[n / 2] : (w[n / 2 - 1] + w[n / 2]) / 2, 100);
	}
	report_core(r, posts);
	report_members(r, members, first_post);
	for (int i = 0; i < RD_REPORT_WEEKS; i++) {
		gint64 start = until - (gint64)(RD_REPORT_WEEKS - i) * WEEK;
		g_autoptr(GHashTable) who = authors_between(posts, start, start + WEEK);

		r->weekly[i].week_start = start;
		r->weekly[i].posters = g_hash_table_size(who);
		for (guint j = 0; j < posts->len; j++)
			if (in(((rd_report_post *)posts->pdata[j])->date, start, start + WEEK))
				r->weekly[i].posts++;
	}
	return r;
}

static void
add_strings(JsonBuilder *b, const char *name, GPtrArray *list)
{
	json_builder_set_member_name(b, name);
	json_builder_begin_array(b);
	for (guint i = 0; i < list->len; i++)
		json_builder_add_string_value(b, list->pdata[i]);
	json_builder_end_array(b);
}

static void
add_int(JsonBuilder *b, const char *name, gint64 v)
{
	json_builder_set_member_name(b, name);
	json_builder_add_int_value(b, v);
}

static void
add_time(JsonBuilder *b, const char *name, gint64 t)
{
	g_autofree char *iso = rd_report_iso(t);

	json_builder_set_member_name(b, name);
	json_builder_add_string_value(b, iso);
}

JsonNode *
rd_report_to_json(const rd_report *r)
{
	g_autoptr(JsonBuilder) b = json_builder_new();

	json_builder_begin_object(b);
	add_int(b, "posts", r->posts);
	add_int(b, "threads_started", r->threads_started);
	add_int(b, "replies", r->replies);
	add_int(b, "posters", r->posters);
	add_strings(b, "first_time_posters", r->first_time_posters);
	json_builder_set_member_name(b, "pairs");
	json_builder_begin_object(b);
	add_int(b, "reply_pairs", r->reply_pairs);
	add_int(b, "reciprocated", r->reciprocated);
	json_builder_end_object(b);
	json_builder_set_member_name(b, "replied_share");
	json_builder_add_double_value(b, r->replied_share);
	add_int(b, "threads_without_reply", r->threads_without_reply);
	json_builder_set_member_name(b, "unanswered");
	json_builder_begin_array(b);
	for (guint i = 0; i < r->unanswered->len; i++) {
		const rd_report_thread *t = r->unanswered->pdata[i];

		json_builder_begin_object(b);
		add_int(b, "thread_id", t->thread_id);
		json_builder_set_member_name(b, "subject");
		json_builder_add_string_value(b, t->subject);
		json_builder_set_member_name(b, "author");
		json_builder_add_string_value(b, t->author);
		add_time(b, "started", t->started);
		json_builder_end_object(b);
	}
	json_builder_end_array(b);
	json_builder_set_member_name(b, "first_reply_median_hours");
	if (r->has_median)
		json_builder_add_double_value(b, r->first_reply_median_hours);
	else
		json_builder_add_null_value(b);
	json_builder_set_member_name(b, "core_group");
	json_builder_begin_object(b);
	add_int(b, "size", r->core_size);
	add_int(b, "previous", r->core_previous);
	add_strings(b, "members", r->core_members);
	json_builder_end_object(b);
	json_builder_set_member_name(b, "members");
	json_builder_begin_object(b);
	add_int(b, "total", r->members_total);
	add_int(b, "joined", r->members_joined);
	add_int(b, "left", r->members_left);
	add_int(b, "bouncing", r->members_bouncing);
	add_int(b, "paused", r->members_paused);
	json_builder_end_object(b);
	add_int(b, "readers_never_posted", r->readers_never_posted);
	json_builder_set_member_name(b, "weekly");
	json_builder_begin_array(b);
	for (int i = 0; i < RD_REPORT_WEEKS; i++) {
		json_builder_begin_object(b);
		add_time(b, "week_start", r->weekly[i].week_start);
		add_int(b, "posts", r->weekly[i].posts);
		add_int(b, "posters", r->weekly[i].posters);
		json_builder_end_object(b);
	}
	json_builder_end_array(b);
	json_builder_end_object(b);
	return json_builder_get_root(b);
}

static void
text_int(GString *out, const char *label, gint64 v)
{
	g_string_append_printf(out, "  %-28s %" G_GINT64_FORMAT "\n", label, v);
}

static void
text_list(GString *out, const char *label, GPtrArray *list)
{
	g_string_append_printf(out, "  %-28s ", label);
	for (guint i = 0; i < list->len; i++)
		g_string_append_printf(out, "%s%s", i ? ", " : "", (char *)list->pdata[i]);
	g_string_append_printf(out, "%s\n", list->len ? "" : "-");
}

char *
rd_report_to_text(const rd_report *r, const char *community)
{
	GString *out = g_string_new(NULL);
	g_autofree char *since = rd_report_iso(r->since);
	g_autofree char *until = rd_report_iso(r->until);

	g_string_append_printf(out, "Vitality of %s from %s to %s\n\n", community, since, until);
	g_string_append_printf(out, "Activity\n");
	text_int(out, "posts", r->posts);
	text_int(out, "threads started", r->threads_started);
	text_int(out, "replies", r->replies);
	text_int(out, "posters", r->posters);
	text_list(out, "first-time posters", r->first_time_posters);
	g_string_append_printf(out, "\nConversation\n");
	g_string_append_printf(out,
	                       "  %-28s %" G_GINT64_FORMAT " (%" G_GINT64_FORMAT " reciprocated)\n",
	                       "reply pairs", r->reply_pairs, r->reciprocated);
	g_string_append_printf(out, "  %-28s %.0f%%\n", "posts that got a reply",
	                       r->replied_share * 100);
	text_int(out, "threads without reply", r->threads_without_reply);
	if (r->has_median)
		g_string_append_printf(out, "  %-28s %.2f\n", "median hours to first reply",
		                       r->first_reply_median_hours);
	else
		g_string_append_printf(out, "  %-28s -\n", "median hours to first reply");
	for (guint i = 0; i < r->unanswered->len; i++) {
		const rd_report_thread *t = r->unanswered->pdata[i];
		g_autofree char *started = rd_report_iso(t->started);

		g_string_append_printf(out, "  %s thread %" G_GINT64_FORMAT " \"%s\" by %s, %s\n",
		                       i ? "  " : "unanswered:", t->thread_id, t->subject,
		                       t->author, started);
	}
	g_string_append_printf(out, "\nCore group (3 of the last 4 weeks)\n");
	g_string_append_printf(
	    out, "  %-28s %" G_GINT64_FORMAT " (4 weeks before: %" G_GINT64_FORMAT ")\n", "size",
	    r->core_size, r->core_previous);
	text_list(out, "members", r->core_members);
	g_string_append_printf(out, "\nMembers\n");
	text_int(out, "total", r->members_total);
	text_int(out, "joined", r->members_joined);
	text_int(out, "left", r->members_left);
	text_int(out, "bouncing", r->members_bouncing);
	text_int(out, "paused", r->members_paused);
	text_int(out, "digest readers never posted", r->readers_never_posted);
	g_string_append_printf(out, "\nWeekly (week starting)        posts  posters\n");
	for (int i = 0; i < RD_REPORT_WEEKS; i++) {
		g_autofree char *start = rd_report_iso(r->weekly[i].week_start);

		g_string_append_printf(out,
		                       "  %-28s %5" G_GINT64_FORMAT "  %7" G_GINT64_FORMAT "\n",
		                       start, r->weekly[i].posts, r->weekly[i].posters);
	}
	return g_string_free(out, FALSE);
}
