/* web.c - rounds web: the pages behind the links of one-click
 * unsubscribe (RFC 8058) and of confirmations.
 *
 * A link carries a token as an address does, checked against every
 * community (tokens name their community).  GET only shows a page: link
 * scanners of mail providers fetch every URL, so nothing may change before
 * a person presses a button (a POST).  What the buttons do is the command
 * module's (command-web.c), the same code as the equivalent mail.  No
 * cookies, no redirects, no external resources.
 */
#include <glib-unix.h>
#include <libsoup/soup.h>
#include <string.h>

#include "address.h"
#include "command.h"
#include "fanout.h"
#include "log.h"
#include "mustache.h"
#include "template.h"
#include "token.h"
#include "web.h"

void
rd_web_response_clear(rd_web_response *r)
{
	g_free(r->content_type);
	g_free(r->body);
	memset(r, 0, sizeof *r);
}

/* The community TOKEN of KIND (or, for the confirmation page, KIND2)
 * belongs to, NULL when none: *KIND_OUT says which kind matched. */
static rd_community *
token_community(const rd_web *w, const char *token, rd_token_kind kind, rd_token_kind kind2,
                guint64 *a, guint64 *b, GError **error)
{
	g_autoptr(GPtrArray) all = rd_store_community_list(w->store, error);

	if (all == NULL || w->o->secret == NULL)
		return NULL;
	for (guint i = 0; i < all->len; i++) {
		rd_community *c = all->pdata[i];

		if (rd_token_check(w->o->secret, kind, c->name, c->domain, token, a, b) ||
		    (kind2 != kind &&
		     rd_token_check(w->o->secret, kind2, c->name, c->domain, token, a, b)))
			return g_ptr_array_steal_index(all, i);
	}
	return NULL;
}

/* The page from templates/web.html.mustache (or the community's own copy)
 * with B's object; the plain-text fallback when the template is missing. */
static void
page(const rd_web *w, const rd_community *c, guint status, JsonBuilder *b, rd_web_response *out)
{
	rd_template_place place = {w->o->home, c ? c->name : NULL, w->o->template_dir};
	g_autofree char *src = rd_template_load(&place, "web.html.mustache");
	g_autoptr(JsonNode) root = NULL;
	g_autoptr(GError) err = NULL;
	char *html = NULL;

	json_builder_set_member_name(b, "status");
	json_builder_add_int_value(b, status);
	json_builder_end_object(b);
	root = json_builder_get_root(b);
	if (src != NULL)
		html = rd_mustache_render_string(src, root, RD_MUSTACHE_HTML, rd_template_partial,
		                                 &place, &err);
	out->status = status;
	if (html == NULL) {
		rd_log_warnx("web: template web.html.mustache: %s", err ? err->message : "missing");
		out->status = status == 200 ? 503 : status;
		out->content_type = g_strdup("text/plain; charset=utf-8");
		out->body = g_strdup("This page cannot be shown just now.\n");
		return;
	}
	out->content_type = g_strdup("text/html; charset=utf-8");
	out->body = html;
}

static JsonBuilder *
builder(const rd_community *c, const char *section)
{
	JsonBuilder *b = json_builder_new();

	json_builder_begin_object(b);
	json_builder_set_member_name(b, section);
	json_builder_add_boolean_value(b, TRUE);
	if (c != NULL) {
		json_builder_set_member_name(b, "title");
		json_builder_add_string_value(b, c->title);
		json_builder_set_member_name(b, "community");
		json_builder_add_string_value(b, c->name);
	}
	return b;
}

static void
add_str(JsonBuilder *b, const char *key, const char *value)
{
	json_builder_set_member_name(b, key);
	if (value)
		json_builder_add_string_value(b, value);
	else
		json_builder_add_null_value(b);
}

static void
not_found(const rd_web *w, rd_web_response *out)
{
	g_autoptr(JsonBuilder) b = builder(NULL, "not_found");

	page(w, NULL, 404, b, out);
}

static void
fault(const GError *err, rd_web_response *out)
{
	/* The database is busy or broken: nothing was done, try again. */
	rd_log_warnx("web: %s", err ? err->message : "unknown fault");
	out->status = 503;
	out->content_type = g_strdup("text/plain; charset=utf-8");
	out->body = g_strdup("Please try again in a few minutes.\n");
}

/* RFC 8058: the POST carries List-Unsubscribe=One-Click, form-encoded
 * (or as a multipart/form-data field, which some clients send). */
static gboolean
one_click_body(const char *body, gsize len)
{
	g_autofree char *text = body ? g_strndup(body, len) : NULL;
	g_autoptr(GHashTable) form = NULL;

	if (text == NULL)
		return FALSE;
	form = soup_form_decode(text);
	if (form != NULL &&
	    g_strcmp0(g_hash_table_lookup(form, "List-Unsubscribe"), "One-Click") == 0)
		return TRUE;
	return strstr(text, "name=\"List-Unsubscribe\"") != NULL && strstr(text, "One-Click");
}

static void
unsubscribe(const rd_web *w, gboolean post, const char *token, const char *body, gsize len,
            rd_web_response *out)
{
	g_autoptr(GError) err = NULL;
	g_autoptr(rd_community) c = NULL;
	g_autoptr(JsonBuilder) b = NULL;
	guint64 person = 0, action = 0;

	c = token_community(w, token, RD_TOKEN_WEB, RD_TOKEN_WEB, &person, &action, &err);
	if (c == NULL) {
		if (err != NULL)
			fault(err, out);
		else
			not_found(w, out);
		return;
	}
	if (post) {
		g_autofree char *result = NULL;

		if (!one_click_body(body, len)) {
			out->status = 400;
			out->content_type = g_strdup("text/plain; charset=utf-8");
			out->body = g_strdup("Expected List-Unsubscribe=One-Click.\n");
			return;
		}
		if (rd_command_web_unsubscribe(w->store, w->o, c, (gint64)person,
		                               action == RD_WEB_DIGEST, &result, &err) != RD_OK) {
			fault(err, out);
			return;
		}
		b = builder(c, "done");
		add_str(b, "result", result);
		page(w, c, 200, b, out);
		return;
	}
	/* The alternatives are commands mailed with the person's own command
	 * token: only they see this page. */
	g_autofree char *ctok =
	    rd_token_make(w->o->secret, RD_TOKEN_COMMAND, c->name, c->domain, person, 0);
	g_autofree char *request = rd_address_make(c->name, c->domain, w->o->delimiter, "request");
	g_autofree char *weekly = g_strdup_printf("mailto:%s?subject=weekly%%20%s", request, ctok);
	g_autofree char *pause = g_strdup_printf("mailto:%s?subject=pause%%20%s", request, ctok);

	b = builder(c, "unsubscribe");
	json_builder_set_member_name(b, "digest_only");
	json_builder_add_boolean_value(b, action == RD_WEB_DIGEST);
	add_str(b, "weekly_mailto", weekly);
	add_str(b, "pause_mailto", pause);
	page(w, c, 200, b, out);
}

static void
confirm(const rd_web *w, gboolean post, const char *token, rd_web_response *out)
{
	g_autoptr(GError) err = NULL;
	g_autoptr(rd_community) c = NULL;
	g_autoptr(JsonBuilder) b = NULL;
	g_autofree char *address = NULL, *what = NULL, *result = NULL;
	rd_status st;

	c = token_community(w, token, RD_TOKEN_PENDING, RD_TOKEN_CONFIRM, NULL, NULL, &err);
	if (c == NULL) {
		if (err != NULL)
			fault(err, out);
		else
			not_found(w, out);
		return;
	}
	if (post)
		st = rd_command_web_confirm(w->store, w->o, c, token, &result, &err);
	else
		st = rd_command_web_pending(w->store, w->o, c, token, &address, &what, &err);
	if (st == RD_NOTFOUND) {
		not_found(w, out);
		return;
	}
	if (st != RD_OK) {
		fault(err, out);
		return;
	}
	b = builder(c, post ? "done" : "confirm");
	add_str(b, "result", result);
	add_str(b, "what", what);
	add_str(b, "address", address);
	page(w, c, 200, b, out);
}

void
rd_web_handle(const rd_web *w, const char *method, const char *path, const char *body,
              gsize body_len, rd_web_response *out)
{
	gboolean post = g_strcmp0(method, "POST") == 0;
	const char *token;

	memset(out, 0, sizeof *out);
	if (!post && g_strcmp0(method, "GET") != 0 && g_strcmp0(method, "HEAD") != 0) {
		out->status = 405;
		out->content_type = g_strdup("text/plain; charset=utf-8");
		out->body = g_strdup("Method not allowed.\n");
		return;
	}
	if (path == NULL || strlen(path) < 4 || path[0] != '/' || path[2] != '/' ||
	    (path[1] != 'u' && path[1] != 'c')) {
		not_found(w, out);
		return;
	}
	token = path + 3;
	/* A token is base32: anything else (a slash, a query) is no token. */
	if (*token == '\0' || strlen(token) > 64 ||
	    strspn(token, "abcdefghijklmnopqrstuvwxyz"
	                  "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	                  "234567") != strlen(token)) {
		not_found(w, out);
		return;
	}
	g_autofree char *lower = g_ascii_strdown(token, -1);
	if (path[1] == 'u')
		unsubscribe(w, post, lower, body, body_len, out);
	else
		confirm(w, post, lower, out);
}

/* ---- the server ---- */

static void
on_request(SoupServer *server, SoupServerMessage *msg, const char *path, GHashTable *query,
           gpointer user_data)
{
	const rd_web *w = user_data;
	SoupMessageBody *req = soup_server_message_get_request_body(msg);
	SoupMessageHeaders *h = soup_server_message_get_response_headers(msg);
	g_autoptr(GBytes) data = soup_message_body_flatten(req);
	gsize len = 0;
	const char *body = data ? g_bytes_get_data(data, &len) : NULL;
	rd_web_response r;

	rd_web_handle(w, soup_server_message_get_method(msg), path, body, len, &r);
	/* Pages hold tokens: no caching by the proxy or the browser, and no
	 * token in a Referer to anywhere. */
	soup_message_headers_replace(h, "Cache-Control", "no-store");
	soup_message_headers_replace(h, "Referrer-Policy", "no-referrer");
	soup_message_headers_replace(h, "X-Content-Type-Options", "nosniff");
	soup_message_headers_replace(h, "Content-Security-Policy",
	                             "default-src 'none'; style-src 'unsafe-inline'; "
	                             "form-action 'self'; frame-ancestors 'none'");
	gsize n = r.body ? strlen(r.body) : 0;

	soup_server_message_set_status(msg, r.status, NULL);
	soup_server_message_set_response(msg, r.content_type, SOUP_MEMORY_TAKE,
	                                 g_steal_pointer(&r.body), n);
	rd_web_response_clear(&r);
}

static gboolean
on_term(gpointer loop)
{
	g_main_loop_quit(loop);
	return G_SOURCE_REMOVE;
}

gboolean
rd_web_serve(const rd_web *w, const char *listen, GError **error)
{
	g_autoptr(GSocketConnectable) where = g_network_address_parse(listen, 8025, error);
	g_autoptr(SoupServer) server = NULL;
	g_autoptr(GSocketAddress) addr = NULL;
	g_autoptr(GMainLoop) loop = NULL;

	if (where == NULL)
		return FALSE;
	addr = g_inet_socket_address_new_from_string(
	    g_network_address_get_hostname(G_NETWORK_ADDRESS(where)),
	    g_network_address_get_port(G_NETWORK_ADDRESS(where)));
	if (addr == NULL) {
		g_set_error(error, RD_ERROR, RD_CONFIG,
		            "[web] listen: %s is not a numeric HOST:PORT", listen);
		return FALSE;
	}
	server = soup_server_new("server-header", "rounds-web", NULL);
	soup_server_add_handler(server, NULL, on_request, (gpointer)w, NULL);
	if (!soup_server_listen(server, addr, 0, error))
		return FALSE;
	rd_log_info("web: listening on %s", listen);
	loop = g_main_loop_new(NULL, FALSE);
	g_unix_signal_add(SIGTERM, on_term, loop);
	g_unix_signal_add(SIGINT, on_term, loop);
	g_main_loop_run(loop);
	rd_log_info("web: stopping");
	return TRUE;
}
