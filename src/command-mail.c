/* command-mail.c - the mail the command module sends: templates rendered
 * with the community's variables, queued by notice.c (which applies the
 * daily limit of automatic replies against backscatter).
 */
#include <string.h>

#include "command-internal.h"
#include "mustache.h"
#include "notice.h"
#include "template.h"

#define DEFAULT_TOKEN_DAYS 7

gint64
rd_command_token_days(const rd_context *o)
{
	return o->token_days > 0 ? o->token_days : DEFAULT_TOKEN_DAYS;
}

char *
rd_command_community_address(const rd_context *o, const rd_community *c, const char *ext)
{
	return rd_address_make(c->name, c->domain, o->delimiter, ext);
}

/* The common variables of every template. */
static void
add_common(JsonBuilder *b, const rd_context *o, const rd_community *c)
{
	g_autofree char *list = rd_command_community_address(o, c, NULL);
	g_autofree char *request = rd_command_community_address(o, c, "request");
	g_autofree char *owner = rd_command_community_address(o, c, "owner");

	json_builder_set_member_name(b, "community");
	json_builder_add_string_value(b, c->name);
	json_builder_set_member_name(b, "title");
	json_builder_add_string_value(b, c->title);
	json_builder_set_member_name(b, "list_address");
	json_builder_add_string_value(b, list);
	json_builder_set_member_name(b, "request_address");
	json_builder_add_string_value(b, request);
	json_builder_set_member_name(b, "owner_address");
	json_builder_add_string_value(b, owner);
	json_builder_set_member_name(b, "token_days");
	json_builder_add_int_value(b, rd_command_token_days(o));
}

void
rd_command_add_str(JsonBuilder *b, const char *key, const char *value)
{
	json_builder_set_member_name(b, key);
	if (value)
		json_builder_add_string_value(b, value);
	else
		json_builder_add_null_value(b);
}

char *
rd_command_one_line(const char *text)
{
	GString *out;

	if (text == NULL)
		return NULL;
	out = g_string_sized_new(strlen(text));
	for (const char *p = text; *p;) {
		gunichar c = g_utf8_get_char_validated(p, -1);

		if (c == (gunichar)-1 || c == (gunichar)-2) {
			/* Not UTF-8: judge the byte alone. */
			g_string_append_c(out, g_ascii_iscntrl(*p) ? ' ' : *p);
			p++;
			continue;
		}
		/* Line and paragraph separators end lines in some readers. */
		if (g_unichar_iscntrl(c) || c == 0x2028 || c == 0x2029)
			g_string_append_c(out, ' ');
		else
			g_string_append_len(out, p, g_utf8_next_char(p) - p);
		p = g_utf8_next_char(p);
	}
	return g_string_free(out, FALSE);
}

void
rd_command_add_field(JsonBuilder *b, const char *key, const char *value)
{
	g_autofree char *v = rd_command_one_line(value);

	rd_command_add_str(b, key, v);
}

/* Render template NAME with the object B was building (closed here).  The
 * first line "Subject: ..." of the output becomes *SUBJECT. */
char *
rd_command_render(const rd_context *o, const rd_community *c, const char *name, JsonBuilder *b,
                  char **subject, GError **error)
{
	rd_template_place place = {o->home, c->name, o->template_dir};
	g_autofree char *src = rd_template_load(&place, name);
	g_autoptr(JsonNode) root = NULL;
	char *text, *nl;

	json_builder_end_object(b);
	root = json_builder_get_root(b);
	if (src == NULL) {
		/* An installation problem: keep the mail queued at the MTA
		 * until the templates are back. */
		g_set_error(error, RD_ERROR, RD_TEMPFAIL, "template %s is missing", name);
		return NULL;
	}
	text = rd_mustache_render_string(src, root, RD_MUSTACHE_TEXT, NULL, NULL, error);
	if (text == NULL) {
		GError *e = *error;

		if (e)
			e->code = RD_TEMPFAIL;
		return NULL;
	}
	if (subject != NULL && g_str_has_prefix(text, "Subject: ") &&
	    (nl = strchr(text, '\n')) != NULL) {
		char *body = nl + 1;

		*subject = g_strndup(text + 9, nl - text - 9);
		while (*body == '\n')
			body++;
		body = g_strdup(body);
		g_free(text);
		return body;
	}
	if (subject != NULL)
		*subject = g_strdup(c->title);
	return text;
}

/* Render template NAME and queue it to TO. */
gboolean
rd_command_send_template(cmd_ctx *x, const char *name, JsonBuilder *b, gint64 person_id,
                         const char *to, const char *reply_to, gboolean auto_reply, gboolean *sent,
                         GError **error)
{
	g_autofree char *subject = NULL;
	g_autofree char *body = rd_command_render(x->o, x->c, name, b, &subject, error);
	rd_notice n = {.from_ext = "request",
	               .person_id = person_id,
	               .to = to,
	               .subject = subject,
	               .reply_to = reply_to,
	               .body = body,
	               .auto_reply = auto_reply};

	if (body == NULL)
		return FALSE;
	return rd_notice_queue(x->s, x->o, x->c, &n, x->now, sent, error);
}

JsonBuilder *
rd_command_builder_new(cmd_ctx *x)
{
	JsonBuilder *b = json_builder_new();

	json_builder_begin_object(b);
	add_common(b, x->o, x->c);
	return b;
}
