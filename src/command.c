/* command.c - command emails, confirmations and moderation by email (issue 5).
 *
 * One inbound mail is handled in one transaction: the commands it carries
 * are carried out, pending actions are created or used, and the one reply
 * (plus any confirmation requests, welcomes and goodbyes) is queued in the
 * outbox.  So a crash never leaves an action done without its reply, nor a
 * token used without its action.
 *
 * This file reads command mail, holds the verb table and the entry point
 * rd_command_deliver; the verbs and the rest live in command-*.c, which
 * share command-internal.h.  The verbs' files call down into command-util.c
 * and command-mail.c, never back up into this file; only command-digest.c,
 * the reply module's entry for one-line digest replies, runs lines here.
 */
#include <string.h>

#include "bounce.h"
#include "command-internal.h"
#include "log.h"
#include "notice.h"
#include "schedule.h"
#include "token.h"
#include "trim.h"

#define MAX_LINES 20

static void
cmd_result_free(cmd_result *r)
{
	g_free(r->command);
	g_free(r->result);
	g_free(r);
}

static void
cmd_confirmation_free(cmd_confirmation *k)
{
	g_free(k->what);
	g_free(k->token);
	g_free(k->address);
	g_free(k);
}

/* ---- reading commands ---- */

/* The subject without "Re:", "Fwd:" and similar prefixes. */
static const char *
skip_subject_prefixes(const char *subject)
{
	static const char *const prefixes[] = {"re:", "fwd:", "fw:", "aw:", "sv:", "wg:"};
	const char *p = subject;
	gboolean again = TRUE;

	while (again) {
		again = FALSE;
		while (g_ascii_isspace(*p))
			p++;
		for (gsize i = 0; i < G_N_ELEMENTS(prefixes); i++) {
			gsize n = strlen(prefixes[i]);

			if (g_ascii_strncasecmp(p, prefixes[i], n) == 0) {
				p += n;
				again = TRUE;
			}
		}
	}
	return p;
}

GPtrArray *
rd_command_extract(const char *subject, const char *body)
{
	GPtrArray *out = g_ptr_array_new_with_free_func(g_free);
	g_autofree char *subj =
	    rd_command_clean_line(skip_subject_prefixes(subject ? subject : ""));
	g_autofree char *trimmed = NULL;
	g_auto(GStrv) lines = NULL;
	gboolean seen = FALSE;
	guint looked = 0;

	/* The subject only counts when it is a command: subjects are often
	 * left as the mail client filled them in. */
	if (*subj && rd_command_is_command(subj)) {
		g_ptr_array_add(out, g_strdup(subj));
		seen = TRUE;
	}
	/* Trimming drops quoted replies, attributions and most signatures
	 * that have no "-- " delimiter. */
	trimmed = rd_trim_text(body ? body : "", NULL, NULL);
	lines = g_strsplit(trimmed, "\n", -1);
	for (guint i = 0; lines[i] != NULL && looked < MAX_LINES; i++) {
		g_autofree char *l = NULL;

		if (strcmp(lines[i], "-- ") == 0 || strcmp(lines[i], "--") == 0 ||
		    strcmp(lines[i], "-- \r") == 0 || strcmp(lines[i], "--\r") == 0)
			break;
		l = rd_command_clean_line(lines[i]);
		if (*l == '\0' || *l == '>')
			continue;
		looked++;
		if (g_ascii_strcasecmp(l, "end") == 0 || g_ascii_strcasecmp(l, "end.") == 0)
			break;
		if (rd_command_is_command(l)) {
			/* A mailto: link fills subject and body alike. */
			if (!(out->len == 1 && seen && g_ascii_strcasecmp(out->pdata[0], l) == 0))
				g_ptr_array_add(out, g_steal_pointer(&l));
			seen = TRUE;
		} else if (seen) {
			break;
		} else {
			g_ptr_array_add(out, g_steal_pointer(&l));
		}
	}
	return out;
}

/* ---- helpers for commands ---- */

static gboolean
is_owner(const rd_member *m)
{
	return m != NULL && strcmp(m->role, "owner") == 0;
}

/* ---- the state of one mail ---- */

void
rd_command_ctx_init(cmd_ctx *x, rd_store *s, const rd_context *o, const rd_community *c,
                    rd_message *m, const char *from)
{
	x->s = s;
	x->o = o;
	x->c = c;
	x->m = m;
	x->from = g_ascii_strdown(from, -1);
	x->now = rd_schedule_now();
	x->results = g_ptr_array_new_with_free_func((GDestroyNotify)cmd_result_free);
	x->confirms = g_ptr_array_new_with_free_func((GDestroyNotify)cmd_confirmation_free);
	x->deferred = g_string_new(NULL);
	x->run_line = rd_command_run_line;
}

void
rd_command_ctx_clear(cmd_ctx *x)
{
	g_free(x->from);
	rd_member_free(x->mem);
	g_ptr_array_unref(x->results);
	g_ptr_array_unref(x->confirms);
	g_string_free(x->deferred, TRUE);
}

/* ---- the verb table ---- */

/* What a verb needs before it runs: the trust table of DESIGN.md, enforced
 * for every verb by decide() below and nowhere else.
 *
 *   NEED_NOTHING  help; subscribe and unsubscribe (which ask the address
 *                 itself for a confirmation, or take a digest's token);
 *                 confirm (the token is the proof).
 *   NEED_TOKEN    mute, follow, get: the command token in the line names
 *                 the person and is the proof; it is refused once that
 *                 person is no longer a member.
 *   NEED_READ     settings: shows the writer's own settings; the answer
 *                 goes only to the writer's (or the token's) address.
 *   NEED_SELF     a change of one's own delivery or settings: a command
 *                 token of the person as the last word (digest links), a
 *                 trusted Authentication-Results pass for the From, or a
 *                 confirmation from the registered address; never From
 *                 alone (then it waits for that confirmation).
 *   NEED_MOD      moderators and owners; NEED_OWNER owners only: the role,
 *                 and a trusted Authentication-Results pass or a
 *                 confirmation from the registered address.
 *
 * NEED_READ and NEED_SELF verbs take the trailing command token. */
typedef enum { NEED_NOTHING, NEED_TOKEN, NEED_READ, NEED_SELF, NEED_MOD, NEED_OWNER } cmd_need;

static const struct {
	const char *name;
	cmd_need need;
	cmd_verb *fn;
} verbs[] = {
    {"help", NEED_NOTHING, rd_command_verb_help},
    {"subscribe", NEED_NOTHING, rd_command_verb_subscribe},
    {"join", NEED_NOTHING, rd_command_verb_subscribe},
    {"unsubscribe", NEED_NOTHING, rd_command_verb_unsubscribe},
    {"leave", NEED_NOTHING, rd_command_verb_unsubscribe},
    {"stop", NEED_NOTHING, rd_command_verb_unsubscribe},
    {"digest", NEED_SELF, rd_command_verb_digest},
    {"daily", NEED_SELF, rd_command_verb_digest},
    {"weekly", NEED_SELF, rd_command_verb_digest},
    {"each", NEED_SELF, rd_command_verb_each},
    {"pause", NEED_SELF, rd_command_verb_pause},
    {"nomail", NEED_SELF, rd_command_verb_pause},
    {"resume", NEED_SELF, rd_command_verb_resume},
    {"timezone", NEED_SELF, rd_command_verb_timezone},
    {"digest-time", NEED_SELF, rd_command_verb_digest_time},
    {"combined", NEED_SELF, rd_command_verb_grouping},
    {"separate", NEED_SELF, rd_command_verb_grouping},
    {"mute", NEED_TOKEN, rd_command_verb_mute},
    {"follow", NEED_TOKEN, rd_command_verb_mute},
    {"get", NEED_TOKEN, rd_command_verb_get},
    {"settings", NEED_READ, rd_command_verb_settings},
    {"alias", NEED_SELF, rd_command_verb_alias},
    {"confirm", NEED_NOTHING, rd_command_verb_confirm},
    {"add", NEED_OWNER, rd_command_verb_add},
    {"invite", NEED_OWNER, rd_command_verb_invite},
    {"remove", NEED_OWNER, rd_command_verb_remove},
    {"set", NEED_OWNER, rd_command_verb_set},
    {"who", NEED_MOD, rd_command_verb_who},
    {"held", NEED_MOD, rd_command_verb_held},
    {"approve", NEED_MOD, rd_command_verb_approve},
    {"reject", NEED_MOD, rd_command_verb_reject},
    {"policy", NEED_OWNER, rd_command_verb_policy},
    {"replies", NEED_OWNER, rd_command_verb_replies},
};

/* Whether LINE starts with a verb of the table above: the one list of
 * command words, for reading mail as for running it. */
gboolean
rd_command_is_command(const char *line)
{
	g_autofree char *w = rd_command_first_word(line ? line : "");

	for (gsize i = 0; i < G_N_ELEMENTS(verbs); i++)
		if (strcmp(w, verbs[i].name) == 0)
			return TRUE;
	return FALSE;
}

typedef enum { DECIDE_RUN, DECIDE_CONFIRM, DECIDE_REFUSE } cmd_decision;

/* Whether a verb that needs NEED runs now, waits for the writer's
 * confirmation or is refused (*WHY says why).  NAMED: the line carried a
 * command token of its person. */
static cmd_decision
decide(const cmd_ctx *x, cmd_need need, gboolean named, const char **why)
{
	*why = NULL;
	switch (need) {
	case NEED_NOTHING:
	case NEED_TOKEN:
	case NEED_READ:
		return DECIDE_RUN;
	case NEED_SELF:
		/* Someone who is not a member has nothing to change: the verb
		 * answers so, to the From address, changing nothing. */
		return named || x->proven || x->mem == NULL ? DECIDE_RUN : DECIDE_CONFIRM;
	case NEED_MOD:
	case NEED_OWNER:
		if (need == NEED_OWNER ? !is_owner(x->mem) : !rd_command_is_moderator(x->mem)) {
			*why = need == NEED_OWNER
			           ? "Refused: only the owners of this community can do that."
			           : "Refused: only owners and moderators can do that.";
			return DECIDE_REFUSE;
		}
		return x->proven ? DECIDE_RUN : DECIDE_CONFIRM;
	}
	return DECIDE_REFUSE;
}

/* When the last word of ARGV (NULL-terminated) is a command token of
 * this community, drop it, set *NAMED and *ACTING to the membership of the
 * person it names (NULL when they left). */
static gboolean
person_from_token(cmd_ctx *x, GPtrArray *argv, gboolean *named, rd_member **acting, GError **error)
{
	guint64 a = 0, b = 0;
	const char *last = argv->pdata[argv->len - 2];

	*named = FALSE;
	*acting = NULL;
	if (strlen(last) < 16 ||
	    !rd_token_check(x->o->secret, RD_TOKEN_COMMAND, x->c->name, x->c->domain, last, &a, &b))
		return TRUE;
	g_ptr_array_remove_index(argv, argv->len - 2);
	*named = TRUE;
	return rd_command_person_member(x, (gint64)a, acting, error);
}

void
rd_command_add_result(cmd_ctx *x, const char *command, const char *result)
{
	cmd_result *r = g_new0(cmd_result, 1);

	r->command = g_strdup(command);
	r->result = g_strdup(result);
	g_ptr_array_add(x->results, r);
}

/* Carry out one line, as decide() allows: what waits for the writer's
 * confirmation is collected in x->deferred. */
gboolean
rd_command_run_line(cmd_ctx *x, const char *line, GError **error)
{
	g_auto(GStrv) words = g_strsplit_set(line, " \t", -1);
	g_autoptr(GPtrArray) argv = g_ptr_array_new();
	g_autoptr(GString) res = g_string_new(NULL);
	g_autofree char *verb = NULL;
	rd_member *acting = NULL, *saved = NULL;
	gboolean ok, named = FALSE;

	for (guint i = 0; words[i]; i++)
		if (*words[i])
			g_ptr_array_add(argv, words[i]);
	if (argv->len == 0)
		return TRUE;
	verb = g_ascii_strdown(argv->pdata[0], -1);
	g_ptr_array_add(argv, NULL);
	for (gsize i = 0; i < G_N_ELEMENTS(verbs); i++) {
		if (strcmp(verbs[i].name, verb) != 0)
			continue;
		const char *why;

		if ((verbs[i].need == NEED_SELF || verbs[i].need == NEED_READ) && argv->len > 2 &&
		    !person_from_token(x, argv, &named, &acting, error))
			return FALSE;
		switch (decide(x, verbs[i].need, named, &why)) {
		case DECIDE_RUN:
			break;
		case DECIDE_REFUSE:
			rd_command_add_result(x, line, why);
			return TRUE;
		case DECIDE_CONFIRM:
			g_string_append_printf(x->deferred, "%s\n", line);
			rd_command_add_result(x, line,
			                      "Waiting for your confirmation (see below).");
			return TRUE;
		}
		/* A digest link acts for its person, whoever sent it. */
		if (named) {
			saved = x->mem;
			x->mem = acting;
		}
		ok = verbs[i].fn(x, (char **)argv->pdata, argv->len - 1, res, error);
		if (named) {
			x->mem = saved;
			rd_member_free(acting);
		}
		if (!ok)
			return FALSE;
		rd_command_add_result(x, line, res->str);
		return TRUE;
	}
	x->not_understood = TRUE;
	rd_command_add_result(x, line, "Not understood.");
	return TRUE;
}

/* ---- the reply ---- */

gboolean
rd_command_confirm_result(cmd_ctx *x, const char *token, char **text, GError **error)
{
	g_autoptr(GString) res = g_string_new(NULL);

	if (!rd_command_run_confirm(x, token, res, error))
		return FALSE;
	if (text != NULL)
		*text = g_strdup(res->str);
	/* Results of confirmed owner commands were added meanwhile: the
	 * confirmation's own line goes first. */
	cmd_result *r = g_new0(cmd_result, 1);
	r->command = g_strdup("confirm");
	r->result = g_string_free(g_steal_pointer(&res), FALSE);
	g_ptr_array_insert(x->results, 0, r);
	return TRUE;
}

gboolean
rd_command_send_reply(cmd_ctx *x, GError **error)
{
	JsonBuilder *b;
	gboolean ok;
	const char *reply_to = NULL;

	if (x->results->len == 0 && x->confirms->len == 0)
		return TRUE;
	b = rd_command_builder_new(x);
	json_builder_set_member_name(b, "results");
	json_builder_begin_array(b);
	for (guint i = 0; i < x->results->len; i++) {
		cmd_result *r = x->results->pdata[i];

		json_builder_begin_object(b);
		rd_command_add_field(b, "command", r->command);
		rd_command_add_str(b, "result", r->result);
		json_builder_end_object(b);
	}
	json_builder_end_array(b);
	json_builder_set_member_name(b, "has_confirmations");
	json_builder_add_boolean_value(b, x->confirms->len > 0);
	json_builder_set_member_name(b, "confirmations");
	json_builder_begin_array(b);
	for (guint i = 0; i < x->confirms->len; i++) {
		cmd_confirmation *k = x->confirms->pdata[i];

		json_builder_begin_object(b);
		rd_command_add_str(b, "what", k->what);
		rd_command_add_str(b, "token", k->token);
		rd_command_add_str(b, "confirm_address", k->address);
		json_builder_end_object(b);
	}
	json_builder_end_array(b);
	json_builder_set_member_name(b, "not_understood");
	json_builder_add_boolean_value(b, x->not_understood);
	json_builder_set_member_name(b, "one_confirmation");
	json_builder_add_boolean_value(b, x->confirms->len == 1);
	/* With one thing to confirm, a plain Reply is the confirmation. */
	if (x->confirms->len == 1)
		reply_to = ((cmd_confirmation *)x->confirms->pdata[0])->address;
	rd_command_add_str(b, "address", x->from);
	ok = rd_command_send_template(x, "command-reply.txt.mustache", b,
	                              x->mem ? x->mem->person_id : 0, x->from, reply_to, TRUE, NULL,
	                              error);
	g_object_unref(b);
	return ok;
}

/* ---- +owner: forward to the owners ---- */

static rd_status
forward_to_owners(rd_store *s, const rd_context *o, const rd_community *c, GBytes *data,
                  gint64 now, GError **error)
{
	g_autoptr(GPtrArray) list = NULL;
	g_autofree char *owner = rd_command_community_address(o, c, "owner");
	gsize n;
	guint sent = 0;
	const char *raw = g_bytes_get_data(data, &n);
	const char *nl = memchr(raw, '\n', n);
	/* Keep the message's own line endings. */
	g_autofree char *head = g_strdup_printf("X-Loop: %s%s", owner,
	                                        nl && nl > raw && nl[-1] == '\r' ? "\r\n" : "\n");

	if (!rd_store_begin(s, error))
		return rd_status_from_error(*error);
	list = rd_store_member_list(s, c->id, error);
	if (list == NULL)
		goto fail;
	for (guint i = 0; i < list->len; i++) {
		rd_member *m = list->pdata[i];
		g_autoptr(GBytes) copy = NULL;
		GString *text;
		gboolean allowed;

		if (!rd_command_is_moderator(m) || strcmp(m->status, "active") != 0)
			continue;
		/* Anyone can write to +owner: the owners' daily limit keeps a
		 * flood from filling their mailboxes. */
		if (!rd_notice_limit_take(s, o, c, m->address, now, &allowed, error))
			goto fail;
		if (!allowed) {
			rd_log_info("%s@%s: no more automatic mail to %s today (mail to %s)",
			            c->name, c->domain, m->address, owner);
			sent++;
			continue;
		}
		text = g_string_new(head);
		g_string_append_len(text, raw, n);
		copy = g_string_free_to_bytes(text);
		/* A failure to reach an owner must not bounce back to us. */
		if (!rd_notice_outbox_add(s, "message", c, m->person_id, m->address, "",
		                          "(to the owners)", copy, NULL, now, error))
			goto fail;
		sent++;
	}
	if (!rd_store_commit(s, error))
		goto fail;
	if (sent == 0)
		rd_log_warnx("%s@%s has no active owner or moderator: mail to %s dropped", c->name,
		             c->domain, owner);
	return RD_OK;
fail:
	rd_store_rollback(s);
	return rd_status_from_error(*error);
}

/* ---- entry points ---- */

static gboolean
is_our_loop(const rd_message *m, const rd_context *o, const rd_community *c)
{
	g_autofree char *list = rd_command_community_address(o, c, NULL);
	g_autofree char *owner = rd_command_community_address(o, c, "owner");
	g_autofree char *v = NULL;

	if (m->x_loop == NULL)
		return FALSE;
	v = rd_command_clean_line(m->x_loop);
	return g_ascii_strcasecmp(v, list) == 0 || g_ascii_strcasecmp(v, owner) == 0;
}

static void
set_result(rd_deliver_result *result, const rd_message *m, const char *status)
{
	if (result == NULL)
		return;
	g_free(result->message_id);
	result->message_id = g_strdup(m->message_id);
	g_free(result->status);
	result->status = g_strdup(status);
}

rd_status
rd_command_deliver(rd_store *s, const rd_context *o, const rd_community *c,
                   const rd_address *a, GBytes *data, rd_deliver_result *result, GError **error)
{
	g_autoptr(rd_message) m = NULL;
	g_autoptr(GPtrArray) lines = NULL;
	cmd_ctx x = {0};
	rd_status st = RD_OK;

	if (o->secret == NULL) {
		g_set_error(error, RD_ERROR, RD_TEMPFAIL,
		            "The list cannot handle commands right now; the message will be "
		            "retried.");
		return RD_TEMPFAIL;
	}
	m = rd_message_parse(data, c->domain, error);
	if (m == NULL)
		return RD_DATAERR;
	if (is_our_loop(m, o, c)) {
		rd_log_info("%s@%s: <%s> is our own mail coming back; dropped", c->name, c->domain,
		            m->message_id);
		set_result(result, m, "loop");
		return RD_OK;
	}
	if (a->kind == RD_ADDR_OWNER && m->mime != NULL && rd_bounce_is_auto_reply(m->mime)) {
		/* Out-of-office replies reach nobody, owners included. */
		rd_log_info("%s@%s: <%s> is an auto-reply to the owner address; dropped", c->name,
		            c->domain, m->message_id);
		set_result(result, m, "ignored");
		return RD_OK;
	}
	if (a->kind == RD_ADDR_OWNER) {
		st = forward_to_owners(s, o, c, data, rd_schedule_now(), error);
		if (st == RD_OK)
			set_result(result, m, "forwarded");
		return st;
	}
	/* Automatic mail gets no answer, and it carries out nothing either:
	 * a vacation reply to a confirmation request must not confirm it. */
	if (!rd_command_may_reply(m, o->sender)) {
		rd_log_info("%s@%s: <%s> is automatic mail to the %s address; ignored", c->name,
		            c->domain, m->message_id, rd_address_kind_name(a->kind));
		set_result(result, m, "ignored");
		return RD_OK;
	}

	rd_command_ctx_init(&x, s, o, c, m, m->from_addr);
	x.proven = rd_command_auth_trusted(m->mime, o->trusted_authserv_id, x.from);

	if (!rd_store_begin(s, error))
		goto fail;
	if (!rd_command_member_lookup(&x, x.from, &x.mem, error))
		goto fail;
	switch (a->kind) {
	case RD_ADDR_CONFIRM:
		if (!rd_command_confirm_result(&x, a->token ? a->token : "", NULL, error))
			goto fail;
		break;
	case RD_ADDR_HELP:
		if (!rd_command_run_line(&x, "help", error))
			goto fail;
		break;
	case RD_ADDR_SUBSCRIBE:
		if (!rd_command_run_line(&x, "subscribe", error))
			goto fail;
		break;
	case RD_ADDR_UNSUBSCRIBE:
		if (!rd_command_run_line(&x, "unsubscribe", error))
			goto fail;
		break;
	default:
		lines = rd_command_extract(m->subject, m->body);
		for (guint i = 0; i < lines->len; i++)
			if (!rd_command_run_line(&x, lines->pdata[i], error))
				goto fail;
		if (lines->len == 0) {
			x.not_understood = TRUE;
			rd_command_add_result(&x, "(empty)", "No commands found.");
		}
	}
	if (x.deferred->len > 0) {
		g_autofree char *tok = rd_command_pending_new(
		    &x, "commands", x.from, x.mem ? x.mem->person_id : 0, x.deferred->str, error);

		if (tok == NULL)
			goto fail;
		rd_command_ask_writer(&x, "carry out the commands marked as waiting", tok);
	}
	if (!(x.quiet && x.results->len == 1 && x.confirms->len == 0) &&
	    !rd_command_send_reply(&x, error))
		goto fail;
	if (!rd_store_commit(s, error))
		goto fail;
	set_result(result, m, "handled");
	rd_log_info("%s@%s: <%s> from %s: %u command(s)%s", c->name, c->domain, m->message_id,
	            x.from, x.results->len, x.proven ? " (authenticated)" : "");
	goto done;
fail:
	rd_store_rollback(s);
	st = rd_status_from_error(*error);
done:
	rd_command_ctx_clear(&x);
	return st;
}

/* The shell's way to the decision the mailed approve and reject commands
 * make (cmd-held.c): a context without a mail, and its own transaction. */
rd_status
rd_command_moderate(rd_store *s, const rd_context *o, const rd_community *c, gint64 row,
                    gboolean approve, gboolean allow, const char *reason, const char *by,
                    rd_moderate_outcome *outcome, char **text, GError **error)
{
	g_autoptr(GString) res = g_string_new(NULL);
	cmd_ctx x = {0};
	gboolean ok;

	rd_command_ctx_init(&x, s, o, c, NULL, by);
	ok = rd_store_begin(s, error);
	if (ok &&
	    !(ok = rd_command_decide(&x, row, approve, allow, reason, x.from, res, outcome, error)))
		rd_store_rollback(s);
	if (ok && !(ok = rd_store_commit(s, error)))
		rd_store_rollback(s);
	rd_command_ctx_clear(&x);
	if (!ok)
		return rd_status_from_error(*error);
	*text = g_string_free(g_steal_pointer(&res), FALSE);
	return RD_OK;
}
