/* command-owner.c - owners' commands that manage a community by email:
 * add, invite, remove, set, policy, replies, and "who" (which moderators
 * may send too).
 */
#include <string.h>

#include "command-internal.h"

static gboolean
valid_role(const char *r)
{
	return strcmp(r, "member") == 0 || strcmp(r, "poster") == 0 ||
	       strcmp(r, "moderator") == 0 || strcmp(r, "owner") == 0;
}

gboolean
rd_command_verb_add(cmd_ctx *x, char **argv, guint argc, GString *res, GError **error)
{
	g_autofree char *addr = NULL;
	const char *delivery = "digest", *role = "member";
	g_autoptr(GString) name = g_string_new(NULL);
	g_autoptr(rd_member) existing = NULL;

	if (argc < 2 || !rd_command_looks_like_address(argv[1])) {
		g_string_append(res, "Use: add ADDRESS [NAME] [digest|each|none] [as "
		                     "poster|moderator|owner].");
		return TRUE;
	}
	addr = rd_command_clean_address(argv[1]);
	for (guint i = 2; i < argc; i++) {
		g_autofree char *w = g_ascii_strdown(argv[i], -1);

		if (strcmp(w, "as") == 0 && i + 1 < argc) {
			g_autofree char *r = g_ascii_strdown(argv[++i], -1);

			if (!valid_role(r)) {
				g_string_append_printf(res, "\"%s\" is not a role.", argv[i]);
				return TRUE;
			}
			role = strcmp(r, "owner") == 0       ? "owner"
			       : strcmp(r, "moderator") == 0 ? "moderator"
			       : strcmp(r, "poster") == 0    ? "poster"
			                                     : "member";
		} else if (rd_command_valid_delivery(w)) {
			delivery = strcmp(w, "each") == 0   ? "each"
			           : strcmp(w, "none") == 0 ? "none"
			                                    : "digest";
		} else {
			g_string_append_printf(name, "%s%s", name->len ? " " : "", argv[i]);
		}
	}
	if (!rd_command_member_lookup(x, addr, &existing, error))
		return FALSE;
	if (existing != NULL) {
		g_string_append_printf(res, "%s is already a member (use set).", addr);
		return TRUE;
	}
	if (!rd_command_add_member(x, addr, name->len ? name->str : NULL, role, delivery, error))
		return FALSE;
	g_string_append_printf(res, "Added %s as %s (%s).", addr, role, delivery);
	return TRUE;
}

gboolean
rd_command_verb_invite(cmd_ctx *x, char **argv, guint argc, GString *res, GError **error)
{
	g_autofree char *addr = NULL, *tok = NULL, *caddr = NULL;
	g_autoptr(rd_member) existing = NULL;
	JsonBuilder *b;
	gboolean ok;

	if (argc < 2 || !rd_command_looks_like_address(argv[1])) {
		g_string_append(res, "Use: invite ADDRESS.");
		return TRUE;
	}
	addr = rd_command_clean_address(argv[1]);
	if (!rd_command_member_lookup(x, addr, &existing, error))
		return FALSE;
	if (existing != NULL) {
		g_string_append_printf(res, "%s is already a member.", addr);
		return TRUE;
	}
	tok = rd_command_pending_new(x, "invite", addr, 0, "digest", error);
	if (tok == NULL)
		return FALSE;
	caddr = rd_command_confirm_address(x, tok);
	b = rd_command_builder_new(x);
	rd_command_add_str(b, "address", addr);
	rd_command_add_str(b, "inviter", x->from);
	rd_command_add_str(b, "token", tok);
	rd_command_add_str(b, "confirm_address", caddr);
	ok = rd_command_send_template(x, "invitation.txt.mustache", b, 0, addr, caddr, TRUE, NULL,
	                              error);
	g_object_unref(b);
	if (!ok)
		return FALSE;
	g_string_append_printf(res, "Invited %s; they join when they accept.", addr);
	return TRUE;
}

gboolean
rd_command_verb_remove(cmd_ctx *x, char **argv, guint argc, GString *res, GError **error)
{
	g_autofree char *addr = NULL;
	g_autoptr(rd_member) existing = NULL;

	if (argc < 2 || !rd_command_looks_like_address(argv[1])) {
		g_string_append(res, "Use: remove ADDRESS.");
		return TRUE;
	}
	addr = rd_command_clean_address(argv[1]);
	if (!rd_command_member_lookup(x, addr, &existing, error))
		return FALSE;
	if (existing == NULL) {
		g_string_append_printf(res, "%s is not a member.", addr);
		return TRUE;
	}
	if (!rd_command_leave_now(x, existing->address, existing->person_id, error))
		return FALSE;
	g_string_append_printf(res, "Removed %s.", addr);
	return TRUE;
}

gboolean
rd_command_verb_set(cmd_ctx *x, char **argv, guint argc, GString *res, GError **error)
{
	g_autofree char *addr = NULL, *key = NULL, *value = NULL;
	g_autoptr(rd_member) existing = NULL;

	if (argc < 4 || !rd_command_looks_like_address(argv[1])) {
		g_string_append(res, "Use: set ADDRESS delivery digest|each|none, or set ADDRESS "
		                     "role member|poster|moderator|owner.");
		return TRUE;
	}
	addr = rd_command_clean_address(argv[1]);
	key = g_ascii_strdown(argv[2], -1);
	value = g_ascii_strdown(argv[3], -1);
	if (!((strcmp(key, "delivery") == 0 && rd_command_valid_delivery(value)) ||
	      (strcmp(key, "role") == 0 && valid_role(value)))) {
		g_string_append_printf(res, "Cannot set %s to %s.", key, value);
		return TRUE;
	}
	if (!rd_command_member_lookup(x, addr, &existing, error))
		return FALSE;
	if (existing == NULL) {
		g_string_append_printf(res, "%s is not a member.", addr);
		return TRUE;
	}
	if (!rd_store_member_set(x->s, x->c->id, existing->address, key, value, error))
		return FALSE;
	g_string_append_printf(res, "%s: %s is now %s.", addr, key, value);
	return TRUE;
}

gboolean
rd_command_verb_who(cmd_ctx *x, char **argv, guint argc, GString *res, GError **error)
{
	g_autoptr(GPtrArray) list = rd_store_member_list(x->s, x->c->id, error);

	if (list == NULL)
		return FALSE;
	g_string_append_printf(res, "%u members:", list->len);
	for (guint i = 0; i < list->len; i++) {
		rd_member *m = list->pdata[i];

		g_string_append_printf(res, "\n%s%s%s%s  %s, %s%s%s", m->address,
		                       m->name ? " (" : "", m->name ? m->name : "",
		                       m->name ? ")" : "", m->role, m->delivery,
		                       strcmp(m->status, "active") ? ", " : "",
		                       strcmp(m->status, "active") ? m->status : "");
	}
	return TRUE;
}

gboolean
rd_command_verb_policy(cmd_ctx *x, char **argv, guint argc, GString *res, GError **error)
{
	g_autofree char *v = argc > 1 ? g_ascii_strdown(argv[1], -1) : NULL;

	if (v == NULL || (strcmp(v, "open") && strcmp(v, "members") && strcmp(v, "announce"))) {
		g_string_append(res, "Use: policy open|members|announce.");
		return TRUE;
	}
	if (!rd_store_community_set(x->s, x->c->id, "policy", v, error))
		return FALSE;
	g_string_append_printf(res, "%s: policy is now %s.", x->c->title, v);
	return TRUE;
}

gboolean
rd_command_verb_replies(cmd_ctx *x, char **argv, guint argc, GString *res, GError **error)
{
	g_autofree char *v = argc > 1 ? g_ascii_strdown(argv[1], -1) : NULL;

	if (v == NULL || (strcmp(v, "list") && strcmp(v, "owners"))) {
		g_string_append(res, "Use: replies list|owners.");
		return TRUE;
	}
	if (!rd_store_command_set_replies(x->s, x->c->id, v, error))
		return FALSE;
	g_string_append_printf(res,
	                       strcmp(v, "list") == 0
	                           ? "%s: digest replies now go to the whole community."
	                           : "%s: digest replies now reach only the owners and posters.",
	                       x->c->title);
	return TRUE;
}
