/* command-digest.c - digest replies, for the reply and digest modules:
 * one-line commands answered to a digest, muted conversations, and replies
 * that go privately to the owners and posters.
 */
#include <string.h>

#include "command-internal.h"
#include "notice.h"
#include "schedule.h"

/* ---- digest replies (for the reply module) ---- */

/* Verbs that may stand alone as the whole reply. */
static const char *const bare_verbs[] = {
    "mute",   "follow", "unsubscribe", "leave", "stop",   "pause",
    "nomail", "resume", "daily",       "each",  "weekly",
};

static gboolean
is_weekday(const char *w)
{
	static const char *const days[] = {"monday", "tuesday", "wednesday", "thursday",
	                                   "friday", "saturday", "sunday"};

	for (gsize i = 0; i < G_N_ELEMENTS(days); i++)
		if (strcmp(w, days[i]) == 0 || (strlen(w) == 3 && strncmp(w, days[i], 3) == 0))
			return TRUE;
	return FALSE;
}

static gboolean
is_date(const char *w)
{
	return strlen(w) == 10 && g_ascii_isdigit(w[0]) && g_ascii_isdigit(w[3]) && w[4] == '-' &&
	       g_ascii_isdigit(w[5]) && w[7] == '-' && g_ascii_isdigit(w[9]);
}

/* Whether LINE is nothing but one command in one of its exact forms:
 * "Stop by on Sunday" or "Each of us should call her" is a reply to post,
 * not a command (the first word alone must never decide). */
static gboolean
whole_command(const char *line)
{
	g_autofree char *lower = g_ascii_strdown(line, -1);
	g_auto(GStrv) all = g_strsplit_set(lower, " \t", -1);
	const char *w[4] = {NULL};
	guint n = 0;

	for (guint i = 0; all[i]; i++) {
		if (*all[i] == '\0')
			continue;
		if (n == G_N_ELEMENTS(w))
			return FALSE;
		w[n++] = all[i];
	}
	if (n == 0)
		return FALSE;
	if (n == 1) {
		for (gsize i = 0; i < G_N_ELEMENTS(bare_verbs); i++)
			if (strcmp(w[0], bare_verbs[i]) == 0)
				return TRUE;
		return FALSE;
	}
	if (strcmp(w[0], "weekly") == 0)
		return n == 2 && is_weekday(w[1]);
	if (strcmp(w[0], "pause") == 0)
		return n == 3 && strcmp(w[1], "until") == 0 && is_date(w[2]);
	if (strcmp(w[0], "digest") == 0)
		return (n == 2 && (strcmp(w[1], "daily") == 0 || strcmp(w[1], "off") == 0 ||
		                   strcmp(w[1], "weekly") == 0)) ||
		       (n == 3 && strcmp(w[1], "weekly") == 0 && is_weekday(w[2]));
	return FALSE;
}

rd_status
rd_command_digest_reply(rd_store *s, const rd_context *o, const rd_community *c,
                        gint64 person_id, gint64 thread_id, const rd_message *m, const char *text,
                        gboolean *handled, GError **error)
{
	g_auto(GStrv) lines = g_strsplit(text ? text : "", "\n", -1);
	g_autofree char *line = NULL, *verb = NULL, *addr = NULL;
	g_autoptr(GString) res = g_string_new(NULL);
	cmd_ctx x = {0};
	rd_status st = RD_OK;

	*handled = FALSE;
	for (guint i = 0; lines[i]; i++) {
		g_autofree char *l = rd_command_clean_line(lines[i]);

		if (*l == '\0')
			continue;
		if (line != NULL)
			return RD_OK; /* more than one line: a real reply */
		line = g_steal_pointer(&l);
	}
	if (line == NULL)
		return RD_OK;
	/* "Stop." and "Mute!" are how people write on phones. */
	while (*line && strchr(".!", line[strlen(line) - 1]))
		line[strlen(line) - 1] = '\0';
	if (!whole_command(line))
		return RD_OK;
	verb = rd_command_first_word(line);
	if (!rd_store_reply_person_get(s, person_id, &addr, NULL, error))
		return rd_status_from_error(*error);

	rd_command_ctx_init(&x, s, o, c, NULL, addr);
	/* The reply address's token proves the person (the reply module
	 * checked that it came from their address). */
	x.proven = TRUE;
	if (!rd_store_begin(s, error))
		goto fail;
	if (!rd_command_member_lookup(&x, x.from, &x.mem, error))
		goto fail;
	if (x.mem == NULL) {
		/* Not a member any more: let the reply module decide. */
		rd_store_rollback(s);
		goto done;
	}
	if (strcmp(verb, "mute") == 0 || strcmp(verb, "follow") == 0) {
		if (thread_id == 0) {
			rd_store_rollback(s);
			goto done;
		}
		g_autoptr(rd_thread_info) t = rd_store_thread_get(s, thread_id, error);
		if (t == NULL || !rd_store_mute_set(s, person_id, c->id, thread_id,
		                                    strcmp(verb, "mute") == 0, x.now, error))
			goto fail;
		g_autofree char *subject = rd_command_one_line(t->subject);
		g_string_append_printf(res,
		                       strcmp(verb, "mute") == 0
		                           ? "\"%s\" is muted: it will not appear in your digest."
		                           : "You follow \"%s\" again.",
		                       subject);
		rd_command_add_result(&x, line, res->str);
	} else if (strcmp(verb, "unsubscribe") == 0 || strcmp(verb, "leave") == 0 ||
	           strcmp(verb, "stop") == 0) {
		/* The reply address proves who it is: leave at once. */
		if (!rd_command_leave_now(&x, x.mem->address, person_id, error))
			goto fail;
		x.quiet = TRUE;
	} else if (!rd_command_run_line(&x, line, error)) {
		goto fail;
	}
	if (!x.quiet && (m == NULL || rd_command_may_reply(m, o->sender)) &&
	    !rd_command_send_reply(&x, error))
		goto fail;
	if (!rd_store_commit(s, error))
		goto fail;
	*handled = TRUE;
	goto done;
fail:
	rd_store_rollback(s);
	st = rd_status_from_error(*error);
done:
	rd_command_ctx_clear(&x);
	return st;
}

gboolean
rd_command_replies_private(rd_store *s, const rd_community *c, gboolean *private_, GError **error)
{
	g_autofree char *mode = NULL;

	if (!rd_store_command_replies(s, c->id, &mode, error))
		return FALSE;
	*private_ = g_strcmp0(mode, "owners") == 0;
	return TRUE;
}

gboolean
rd_command_forward_reply(rd_store *s, const rd_context *o, const rd_community *c,
                         gint64 person_id, gint64 thread_id, const char *text, GError **error)
{
	g_autoptr(GPtrArray) list = NULL;
	g_autoptr(rd_thread_info) t = NULL;
	g_autoptr(GError) err = NULL;
	g_autofree char *addr = NULL, *name = NULL, *subject = NULL, *body = NULL;
	g_autofree char *about = NULL;
	gint64 now = rd_schedule_now();

	if (!rd_store_reply_person_get(s, person_id, &addr, &name, error))
		return FALSE;
	/* The name is the person's own choice: one line of the text. */
	if (name != NULL) {
		char *one = rd_command_one_line(name);

		g_free(name);
		name = one;
	}
	if (thread_id != 0 && (t = rd_store_thread_get(s, thread_id, &err)) == NULL &&
	    rd_status_from_error(err) != RD_NOTFOUND) {
		g_propagate_error(error, g_steal_pointer(&err));
		return FALSE;
	}
	list = rd_store_member_list(s, c->id, error);
	if (list == NULL)
		return FALSE;
	about = t ? rd_command_one_line(t->subject) : NULL;
	subject = g_strdup_printf("Private reply from %s%s%s", name && *name ? name : addr,
	                          t ? ": " : "", t ? about : "");
	body = g_strdup_printf(
	    "%s <%s> replied to the %s digest%s%s%s.  Only the owners and "
	    "posters\nsee this; reply to this mail to answer them directly.\n\n%s\n",
	    name && *name ? name : addr, addr, c->title, t ? " about \"" : "", t ? about : "",
	    t ? "\"" : "", text ? text : "");
	/* Reply-To the person: the owners answer them directly. */
	rd_notice n = {.from_ext = "request", .subject = subject, .reply_to = addr, .body = body};
	for (guint i = 0; i < list->len; i++) {
		rd_member *m = list->pdata[i];

		if ((strcmp(m->role, "owner") != 0 && strcmp(m->role, "poster") != 0) ||
		    strcmp(m->status, "active") != 0 || m->person_id == person_id)
			continue;
		n.person_id = m->person_id;
		n.to = m->address;
		if (!rd_notice_queue(s, o, c, &n, now, NULL, error))
			return FALSE;
	}
	return TRUE;
}
