/* command-util.c - what every file of the command module may use: reading
 * words and addresses, memberships, command tokens and pending actions.
 * It calls no other command-*.c file but command-mail.c, so that command.c
 * (the dispatcher) calls the verbs' files and they call only down here. */
#include <string.h>

#include "command-internal.h"
#include "token.h"

/* ---- words and lines ---- */

char *
rd_command_first_word(const char *line)
{
	const char *p = line;

	while (*p == ' ' || *p == '\t')
		p++;
	const char *e = p;
	while (*e && *e != ' ' && *e != '\t')
		e++;
	return g_ascii_strdown(p, e - p);
}

/* A line with its surrounding white space (including no-break spaces that
 * HTML conversion leaves) removed. */
char *
rd_command_clean_line(const char *line)
{
	g_autofree char *t = g_strdup(line);
	char *nb;

	while ((nb = strstr(t, "\xc2\xa0")) != NULL) {
		nb[0] = ' ';
		memmove(nb + 1, nb + 2, strlen(nb + 2) + 1);
	}
	return g_strdup(g_strstrip(t));
}

/* ---- memberships, addresses, command tokens ---- */

gboolean
rd_command_is_moderator(const rd_member *m)
{
	return m != NULL && (strcmp(m->role, "owner") == 0 || strcmp(m->role, "moderator") == 0);
}

/* The membership of ADDRESS, NULL (no error) when there is none. */
gboolean
rd_command_member_lookup(cmd_ctx *x, const char *address, rd_member **out, GError **error)
{
	g_autoptr(GError) err = NULL;

	*out = rd_store_member_get(x->s, x->c->id, address, &err);
	if (*out == NULL && rd_status_from_error(err) != RD_NOTFOUND) {
		g_propagate_error(error, g_steal_pointer(&err));
		return FALSE;
	}
	return TRUE;
}

gboolean
rd_command_valid_delivery(const char *d)
{
	return strcmp(d, "digest") == 0 || strcmp(d, "each") == 0 || strcmp(d, "none") == 0;
}

gboolean
rd_command_looks_like_address(const char *a)
{
	const char *at = strchr(a, '@');

	return at != NULL && at != a && at[1] != '\0' && strchr(at + 1, '@') == NULL &&
	       strchr(a, '<') == NULL && strchr(a, '>') == NULL && strchr(a, ',') == NULL;
}

/* "<addr>" and "mailto:addr" as people paste them. */
char *
rd_command_clean_address(const char *a)
{
	g_autofree char *t = g_strdup(a);
	char *p = t;
	gsize n;

	if (g_ascii_strncasecmp(p, "mailto:", 7) == 0)
		p += 7;
	if (*p == '<')
		p++;
	n = strlen(p);
	if (n > 0 && p[n - 1] == '>')
		p[n - 1] = '\0';
	return g_ascii_strdown(p, -1);
}

/* The person a command token names, checked: *PID and *TID. */
gboolean
rd_command_token_person(cmd_ctx *x, const char *token, gint64 *pid, gint64 *tid, GString *res)
{
	guint64 a = 0, b = 0;

	if (token == NULL || !rd_token_check(x->o->secret, RD_TOKEN_COMMAND, x->c->name,
	                                     x->c->domain, token, &a, &b)) {
		g_string_append(res, "That code is not valid here: please use the link in your "
		                     "latest digest.");
		return FALSE;
	}
	*pid = (gint64)a;
	*tid = (gint64)b;
	return TRUE;
}

gboolean
rd_command_person_member(cmd_ctx *x, gint64 pid, rd_member **out, GError **error)
{
	g_autofree char *addr = NULL;
	g_autoptr(GError) err = NULL;

	*out = NULL;
	if (!rd_store_reply_person_get(x->s, pid, &addr, NULL, &err)) {
		if (rd_status_from_error(err) == RD_NOTFOUND)
			return TRUE;
		g_propagate_error(error, g_steal_pointer(&err));
		return FALSE;
	}
	return rd_command_member_lookup(x, addr, out, error);
}

/* The person (*PID) and the conversation of this community (*T, id *TID)
 * a command token names.  *T stays NULL, with the answer in RES, when
 * either is not valid here, or when the person is no longer a member:
 * tokens die with the membership. */
gboolean
rd_command_token_thread(cmd_ctx *x, const char *token, gint64 *pid, gint64 *tid, rd_thread_info **t,
                        GString *res, GError **error)
{
	g_autoptr(GError) err = NULL;
	g_autoptr(rd_member) mem = NULL;

	*t = NULL;
	if (!rd_command_token_person(x, token, pid, tid, res))
		return TRUE;
	if (!rd_command_person_member(x, *pid, &mem, error))
		return FALSE;
	if (mem == NULL) {
		g_string_append_printf(res,
		                       "That code is no longer valid: its person is not a member "
		                       "of %s any more.",
		                       x->c->title);
		return TRUE;
	}
	if (*tid == 0 || (*t = rd_store_thread_get(x->s, *tid, &err)) == NULL ||
	    (*t)->community_id != x->c->id) {
		g_clear_pointer(t, rd_thread_info_free);
		if (err != NULL && rd_status_from_error(err) != RD_NOTFOUND) {
			g_propagate_error(error, g_steal_pointer(&err));
			return FALSE;
		}
		g_string_append(res, "That conversation does not exist any more.");
	} else {
		/* The subject goes into answers and mail text. */
		char *one = rd_command_one_line((*t)->subject);

		g_free((*t)->subject);
		(*t)->subject = one;
	}
	return TRUE;
}

/* ---- pending actions ---- */

/* Create a pending action and return its token. */
char *
rd_command_pending_new(cmd_ctx *x, const char *kind, const char *address, gint64 person_id,
                       const char *payload, GError **error)
{
	g_autoptr(rd_pending_action) p = g_new0(rd_pending_action, 1);

	p->community_id = x->c->id;
	p->kind = g_strdup(kind);
	p->address = g_ascii_strdown(address, -1);
	p->person_id = person_id;
	p->payload = g_strdup(payload);
	/* The nonce only keeps a token from matching a later action that
	 * reuses the id (a restored database); the HMAC is what makes
	 * tokens unguessable. */
	p->nonce = g_random_int_range(1, G_MAXINT32);
	p->created = x->now;
	p->expires = x->now + rd_command_token_days(x->o) * 86400;
	if (!rd_store_pending_add(x->s, p, error))
		return NULL;
	return rd_token_make(x->o->secret, RD_TOKEN_PENDING, x->c->name, x->c->domain,
	                     (guint64)p->id, (guint64)p->nonce);
}

char *
rd_command_confirm_address(cmd_ctx *x, const char *token)
{
	g_autofree char *ext = g_strdup_printf("c-%s", token);

	return rd_command_community_address(x->o, x->c, ext);
}

/* Remember a confirmation the writer is asked for in the command reply. */
void
rd_command_ask_writer(cmd_ctx *x, const char *what, const char *token)
{
	cmd_confirmation *k = g_new0(cmd_confirmation, 1);

	k->what = g_strdup(what);
	k->token = g_strdup(token);
	k->address = rd_command_confirm_address(x, token);
	g_ptr_array_add(x->confirms, k);
}
