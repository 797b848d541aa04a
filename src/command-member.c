/* command-member.c - everyone's commands: joining and leaving (with the
 * welcome and the goodbye), a member's own delivery settings, muting a
 * conversation.
 */
#include <string.h>

#include "command-internal.h"

/* ---- helpers for members' commands ---- */

static gboolean
need_member(cmd_ctx *x, GString *res)
{
	if (x->mem != NULL)
		return TRUE;
	g_string_append_printf(res, "Not a member of %s (any more).", x->c->title);
	return FALSE;
}

static gboolean
set_own(cmd_ctx *x, const char *key, const char *value, GError **error)
{
	return rd_store_member_set(x->s, x->c->id, x->mem->address, key, value, error);
}

/* ---- everyone's commands ---- */

gboolean
rd_command_verb_help(cmd_ctx *x, char **argv, guint argc, GString *res, GError **error)
{
	JsonBuilder *b = rd_command_builder_new(x);
	g_autofree char *text = NULL;

	json_builder_set_member_name(b, "is_owner");
	json_builder_add_boolean_value(b, rd_command_is_moderator(x->mem));
	text = rd_command_render(x->o, x->c, "help.txt.mustache", b, NULL, error);
	g_object_unref(b);
	if (text == NULL)
		return FALSE;
	g_string_append(res, text);
	return TRUE;
}

gboolean
rd_command_verb_subscribe(cmd_ctx *x, char **argv, guint argc, GString *res, GError **error)
{
	const char *delivery = "digest";
	g_autofree char *target = g_strdup(x->from);
	g_autoptr(rd_member) existing = NULL;
	g_autofree char *tok = NULL;

	for (guint i = 1; i < argc; i++) {
		g_autofree char *w = g_ascii_strdown(argv[i], -1);

		if (rd_command_valid_delivery(w))
			delivery = strcmp(w, "each") == 0   ? "each"
			           : strcmp(w, "none") == 0 ? "none"
			                                    : "digest";
		else if (rd_command_looks_like_address(argv[i])) {
			g_free(target);
			target = rd_command_clean_address(argv[i]);
		} else {
			g_string_append_printf(res,
			                       "Not understood: \"%s\". Use: subscribe "
			                       "[digest|each|none] [ADDRESS].",
			                       argv[i]);
			return TRUE;
		}
	}
	if (!rd_command_member_lookup(x, target, &existing, error))
		return FALSE;
	if (existing != NULL && strcmp(existing->status, "active") == 0) {
		g_string_append_printf(res, "%s is already a member of %s.", target, x->c->title);
		return TRUE;
	}
	tok = rd_command_pending_new(x, "subscribe", target, 0, delivery, error);
	if (tok == NULL)
		return FALSE;
	if (g_ascii_strcasecmp(target, x->from) == 0) {
		g_string_append_printf(res, "To join %s, please confirm (see below).", x->c->title);
		rd_command_ask_writer(x, "join", tok);
		return TRUE;
	}
	/* Subscribing someone else only ever asks them. */
	JsonBuilder *b = rd_command_builder_new(x);
	g_autofree char *caddr = rd_command_confirm_address(x, tok);
	gboolean sent;

	rd_command_add_str(b, "address", target);
	rd_command_add_str(b, "requester", x->from);
	rd_command_add_str(b, "delivery", delivery);
	rd_command_add_str(b, "token", tok);
	rd_command_add_str(b, "confirm_address", caddr);
	if (!rd_command_send_template(x, "confirm-subscribe.txt.mustache", b, 0, target, caddr,
	                              TRUE, &sent, error)) {
		g_object_unref(b);
		return FALSE;
	}
	g_object_unref(b);
	g_string_append_printf(res,
	                       "A confirmation request was sent to %s; nothing changes until "
	                       "they confirm.",
	                       target);
	return TRUE;
}

/* Add ADDR as a member and send the welcome. */
gboolean
rd_command_add_member(cmd_ctx *x, const char *addr, const char *name, const char *role,
                      const char *delivery, GError **error)
{
	gint64 pid;
	JsonBuilder *b;
	gboolean ok, nudges = TRUE;

	if (!rd_store_person_ensure(x->s, addr, name, &pid, error) ||
	    !rd_store_member_add(x->s, x->c->id, pid, role, delivery, error))
		return FALSE;
	b = rd_command_builder_new(x);
	rd_command_add_str(b, "address", addr);
	rd_command_add_str(b, "delivery", delivery);
	rd_command_add_str(b, "role", role);
	/* The invitation to introduce oneself, unless the community said no. */
	if (!rd_store_community_nudges(x->s, x->c->id, &nudges, error)) {
		g_object_unref(b);
		return FALSE;
	}
	json_builder_set_member_name(b, "nudges");
	json_builder_add_boolean_value(b, nudges);
	ok = rd_command_send_template(x, "welcome.txt.mustache", b, pid, addr, NULL, TRUE, NULL,
	                              error);
	g_object_unref(b);
	return ok;
}

/* Remove PERSON (address ADDR) and send the goodbye. */
gboolean
rd_command_leave_now(cmd_ctx *x, const char *addr, gint64 person_id, GError **error)
{
	JsonBuilder *b;
	gboolean ok;

	if (!rd_store_member_remove(x->s, x->c->id, addr, error))
		return FALSE;
	b = rd_command_builder_new(x);
	rd_command_add_str(b, "address", addr);
	ok = rd_command_send_template(x, "goodbye.txt.mustache", b, person_id, addr, NULL, TRUE,
	                              NULL, error);
	g_object_unref(b);
	return ok;
}

gboolean
rd_command_verb_unsubscribe(cmd_ctx *x, char **argv, guint argc, GString *res, GError **error)
{
	g_autofree char *tok = NULL;

	if (argc > 1) {
		gint64 pid, tid;
		g_autoptr(rd_member) mem = NULL;

		if (!rd_command_token_person(x, argv[1], &pid, &tid, res))
			return TRUE;
		if (!rd_command_person_member(x, pid, &mem, error))
			return FALSE;
		if (mem == NULL) {
			g_string_append_printf(res, "That address is no longer a member of %s.",
			                       x->c->title);
			return TRUE;
		}
		/* The digest's own link needs no confirmation. */
		if (!rd_command_leave_now(x, mem->address, pid, error))
			return FALSE;
		g_string_append_printf(res, "%s has left %s.", mem->address, x->c->title);
		if (g_ascii_strcasecmp(mem->address, x->from) == 0)
			x->quiet = TRUE;
		return TRUE;
	}
	if (!need_member(x, res))
		return TRUE;
	tok = rd_command_pending_new(x, "unsubscribe", x->from, x->mem->person_id, NULL, error);
	if (tok == NULL)
		return FALSE;
	g_string_append_printf(res, "To leave %s, please confirm (see below).", x->c->title);
	rd_command_ask_writer(x, "leave", tok);
	return TRUE;
}

static int
weekday_number(const char *w)
{
	static const char *const days[] = {"mon", "tue", "wed", "thu", "fri", "sat", "sun"};

	for (int i = 0; i < 7; i++)
		if (g_ascii_strncasecmp(w, days[i], 3) == 0)
			return i + 1;
	return 0;
}

static gboolean
digest_set(cmd_ctx *x, const char *freq, const char *day, GString *res, GError **error)
{
	int wd = 0;

	if (strcmp(freq, "off") == 0) {
		if (!set_own(x, "delivery", "none", error))
			return FALSE;
		g_string_append_printf(res, "No more digests from %s.", x->c->title);
		return TRUE;
	}
	if (strcmp(freq, "daily") != 0 && strcmp(freq, "weekly") != 0) {
		g_string_append(res, "Use: digest daily, digest weekly [DAY] or digest off.");
		return TRUE;
	}
	if (day != NULL && (strcmp(freq, "weekly") != 0 || (wd = weekday_number(day)) == 0)) {
		g_string_append_printf(res, "\"%s\" is not a day of the week.", day);
		return TRUE;
	}
	if (!set_own(x, "delivery", "digest", error) ||
	    !set_own(x, "digest_frequency", freq, error))
		return FALSE;
	if (wd > 0) {
		g_autofree char *n = g_strdup_printf("%d", wd);

		if (!set_own(x, "digest_day", n, error))
			return FALSE;
	}
	g_string_append_printf(res, "Your digest of %s now comes %s%s%s.", x->c->title, freq,
	                       wd > 0 ? " on " : "", wd > 0 ? day : "");
	return TRUE;
}

gboolean
rd_command_verb_digest(cmd_ctx *x, char **argv, guint argc, GString *res, GError **error)
{
	g_autofree char *verb = g_ascii_strdown(argv[0], -1);
	g_autofree char *freq = NULL;

	if (!need_member(x, res))
		return TRUE;
	if (strcmp(verb, "digest") == 0) {
		if (argc < 2) {
			g_string_append(res,
			                "Use: digest daily, digest weekly [DAY] or digest off.");
			return TRUE;
		}
		freq = g_ascii_strdown(argv[1], -1);
		return digest_set(x, freq, argc > 2 ? argv[2] : NULL, res, error);
	}
	return digest_set(x, verb, argc > 1 ? argv[1] : NULL, res, error);
}

gboolean
rd_command_verb_each(cmd_ctx *x, char **argv, guint argc, GString *res, GError **error)
{
	if (!need_member(x, res))
		return TRUE;
	if (!set_own(x, "delivery", "each", error))
		return FALSE;
	g_string_append_printf(res, "You now get every message of %s as it comes.", x->c->title);
	return TRUE;
}

/* YYYY-MM-DD, a real date after NOW: the ISO instant of its midnight UTC. */
static char *
parse_date(const char *text, gint64 now)
{
	int y, mo, d;
	char tail;
	g_autoptr(GDateTime) dt = NULL;

	if (sscanf(text, "%4d-%2d-%2d%c", &y, &mo, &d, &tail) != 3)
		return NULL;
	dt = g_date_time_new_utc(y, mo, d, 0, 0, 0);
	if (dt == NULL || g_date_time_to_unix(dt) <= now)
		return NULL;
	return g_date_time_format(dt, "%Y-%m-%dT%H:%M:%SZ");
}

gboolean
rd_command_verb_pause(cmd_ctx *x, char **argv, guint argc, GString *res, GError **error)
{
	g_autofree char *verb = g_ascii_strdown(argv[0], -1);
	const char *date = NULL;
	g_autofree char *until = NULL;

	if (!need_member(x, res))
		return TRUE;
	if (strcmp(verb, "pause") == 0 && argc > 1)
		date = (argc > 2 && g_ascii_strcasecmp(argv[1], "until") == 0) ? argv[2] : argv[1];
	if (date == NULL) {
		if (!set_own(x, "status", "paused", error))
			return FALSE;
		g_string_append_printf(res, "No mail from %s until you send \"resume\".",
		                       x->c->title);
		return TRUE;
	}
	until = parse_date(date, x->now);
	if (until == NULL) {
		g_string_append_printf(res, "\"%s\" is not a future date like 2027-01-10.", date);
		return TRUE;
	}
	if (!rd_store_command_set_paused(x->s, x->mem->person_id, until, error))
		return FALSE;
	g_string_append_printf(res, "Digests paused until %.10s.", until);
	return TRUE;
}

gboolean
rd_command_verb_resume(cmd_ctx *x, char **argv, guint argc, GString *res, GError **error)
{
	if (!need_member(x, res))
		return TRUE;
	if (!set_own(x, "status", "active", error) ||
	    !rd_store_command_set_paused(x->s, x->mem->person_id, NULL, error))
		return FALSE;
	g_string_append_printf(res, "Mail from %s resumes.", x->c->title);
	return TRUE;
}

gboolean
rd_command_verb_timezone(cmd_ctx *x, char **argv, guint argc, GString *res, GError **error)
{
	GTimeZone *tz;

	if (!need_member(x, res))
		return TRUE;
	if (argc < 2) {
		g_string_append(res, "Use: timezone ZONE, for example timezone Europe/Paris.");
		return TRUE;
	}
	/* Only IANA names: an offset like +02:00 ignores summer time. */
	tz = strchr(argv[1], '/') || g_ascii_strcasecmp(argv[1], "UTC") == 0
	         ? g_time_zone_new_identifier(argv[1])
	         : NULL;
	if (tz == NULL) {
		g_string_append_printf(res, "\"%s\" is not a time zone name like Europe/Paris.",
		                       argv[1]);
		return TRUE;
	}
	g_time_zone_unref(tz);
	if (!set_own(x, "timezone", argv[1], error))
		return FALSE;
	g_string_append_printf(res, "Your time zone is now %s.", argv[1]);
	return TRUE;
}

gboolean
rd_command_verb_digest_time(cmd_ctx *x, char **argv, guint argc, GString *res, GError **error)
{
	int h, m;
	char tail;
	g_autofree char *hhmm = NULL;

	if (!need_member(x, res))
		return TRUE;
	if (argc < 2 || sscanf(argv[1], "%2d:%2d%c", &h, &m, &tail) != 2 || h < 0 || h > 23 ||
	    m < 0 || m > 59) {
		g_string_append(res, "Use: digest-time HH:MM, for example digest-time 07:30.");
		return TRUE;
	}
	hhmm = g_strdup_printf("%02d:%02d", h, m);
	if (!set_own(x, "digest_time", hhmm, error))
		return FALSE;
	g_string_append_printf(res, "Your digest now comes at %s your time.", hhmm);
	return TRUE;
}

gboolean
rd_command_verb_grouping(cmd_ctx *x, char **argv, guint argc, GString *res, GError **error)
{
	g_autofree char *verb = g_ascii_strdown(argv[0], -1);

	if (!need_member(x, res))
		return TRUE;
	if (!set_own(x, "grouping", verb, error))
		return FALSE;
	g_string_append(res, strcmp(verb, "combined") == 0
	                         ? "Your communities now come in one combined digest."
	                         : "Each community now sends you its own digest.");
	return TRUE;
}

gboolean
rd_command_verb_mute(cmd_ctx *x, char **argv, guint argc, GString *res, GError **error)
{
	gboolean mute = g_ascii_strcasecmp(argv[0], "mute") == 0;
	g_autoptr(rd_thread_info) t = NULL;
	gint64 pid, tid;

	if (!rd_command_token_thread(x, argc > 1 ? argv[1] : NULL, &pid, &tid, &t, res, error))
		return FALSE;
	if (t == NULL)
		return TRUE;
	if (!rd_store_mute_set(x->s, pid, x->c->id, tid, mute, x->now, error))
		return FALSE;
	g_string_append_printf(res,
	                       mute ? "\"%s\" is muted: it will not appear in your digest."
	                            : "You follow \"%s\" again.",
	                       t->subject);
	return TRUE;
}

/* alias ADDRESS | alias remove ADDRESS | alias [list]: the other addresses
 * the writer sends from (a reply through their digest from one of them is
 * theirs).  Adding one asks ADDRESS itself: nobody claims a stranger's mail. */
gboolean
rd_command_verb_alias(cmd_ctx *x, char **argv, guint argc, GString *res, GError **error)
{
	const char *sub = argc >= 2 ? argv[1] : "list";
	g_autofree char *addr = NULL;
	g_autofree char *tok = NULL;
	g_autofree char *caddr = NULL;
	g_autoptr(GError) err = NULL;
	gint64 other = 0;
	JsonBuilder *b;
	gboolean sent;

	if (!need_member(x, res))
		return TRUE;
	if (g_ascii_strcasecmp(sub, "list") == 0 && argc <= 2) {
		g_autoptr(GPtrArray) list = rd_store_person_aliases(x->s, x->mem->person_id, error);

		if (list == NULL)
			return FALSE;
		if (list->len == 0)
			g_string_append(res, "You have no other addresses.");
		for (guint i = 0; i < list->len; i++)
			g_string_append_printf(res, "%s%s", i ? "\n" : "", (char *)list->pdata[i]);
		return TRUE;
	}
	if ((g_ascii_strcasecmp(sub, "remove") == 0 || g_ascii_strcasecmp(sub, "add") == 0) &&
	    argc == 3 && rd_command_looks_like_address(argv[2]))
		addr = rd_command_clean_address(argv[2]);
	else if (argc == 2 && rd_command_looks_like_address(argv[1]))
		addr = rd_command_clean_address(argv[1]);
	if (addr == NULL) {
		g_string_append(res, "Use: alias ADDRESS, alias remove ADDRESS or alias list.");
		return TRUE;
	}
	if (g_ascii_strcasecmp(sub, "remove") == 0) {
		if (rd_store_person_alias_remove(x->s, x->mem->person_id, addr, &err)) {
			g_string_append_printf(res, "%s is no longer one of your addresses.", addr);
			return TRUE;
		}
		if (rd_status_from_error(err) != RD_NOTFOUND) {
			g_propagate_error(error, g_steal_pointer(&err));
			return FALSE;
		}
		g_string_append_printf(res, "%s is not one of your other addresses.", addr);
		return TRUE;
	}
	if (!rd_store_reply_person_by_address(x->s, addr, &other, &err)) {
		if (rd_status_from_error(err) != RD_NOTFOUND) {
			g_propagate_error(error, g_steal_pointer(&err));
			return FALSE;
		}
		other = 0;
	}
	if (other != 0) {
		g_string_append_printf(res,
		                       other == x->mem->person_id
		                           ? "%s is already one of your addresses."
		                           : "%s is the address of someone else; it was not added.",
		                       addr);
		return TRUE;
	}
	if ((tok = rd_command_pending_new(x, "alias", addr, x->mem->person_id, NULL, error)) == NULL)
		return FALSE;
	caddr = rd_command_confirm_address(x, tok);
	b = rd_command_builder_new(x);
	rd_command_add_str(b, "address", addr);
	rd_command_add_str(b, "requester", x->mem->address);
	rd_command_add_str(b, "token", tok);
	rd_command_add_str(b, "confirm_address", caddr);
	if (!rd_command_send_template(x, "confirm-alias.txt.mustache", b, 0, addr, caddr, TRUE, &sent,
	                              error)) {
		g_object_unref(b);
		return FALSE;
	}
	g_object_unref(b);
	g_string_append_printf(res,
	                       "A confirmation request was sent to %s; it becomes one of your "
	                       "addresses once confirmed from there.",
	                       addr);
	return TRUE;
}

gboolean
rd_command_verb_settings(cmd_ctx *x, char **argv, guint argc, GString *res, GError **error)
{
	g_autofree char *paused = NULL;
	static const char *const days[] = {"",         "Monday", "Tuesday",  "Wednesday",
	                                   "Thursday", "Friday", "Saturday", "Sunday"};
	const rd_member *m = x->mem;

	if (!need_member(x, res))
		return TRUE;
	if (!rd_store_command_paused(x->s, m->person_id, &paused, error))
		return FALSE;
	g_string_append_printf(res, "address:      %s\n", m->address);
	if (m->name) {
		g_autofree char *name = rd_command_one_line(m->name);

		g_string_append_printf(res, "name:         %s\n", name);
	}
	g_string_append_printf(res, "role:         %s\n", m->role);
	g_string_append_printf(res, "delivery:     %s\n", m->delivery);
	g_string_append_printf(res, "status:       %s\n", m->status);
	g_string_append_printf(res, "digest:       %s%s%s\n", m->digest_frequency,
	                       strcmp(m->digest_frequency, "weekly") == 0 ? " on " : "",
	                       strcmp(m->digest_frequency, "weekly") == 0 && m->digest_day >= 1 &&
	                               m->digest_day <= 7
	                           ? days[m->digest_day]
	                           : "");
	g_string_append_printf(res, "digest-time:  %s\n", m->digest_time);
	g_string_append_printf(res, "timezone:     %s\n", m->timezone ? m->timezone : "(default)");
	g_string_append_printf(res, "grouping:     %s\n", m->grouping);
	g_string_append_printf(res, "paused until: %s", paused ? paused : "(not paused)");
	return TRUE;
}
