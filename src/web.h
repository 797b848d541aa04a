/* web.h - rounds web: one-click unsubscribe (RFC 8058) and confirmations
 * by a button, over HTTP on loopback behind the site's reverse proxy.
 *
 * rd_web_handle() answers one request from its method, path and body, so
 * the pages can be tested without a socket; rd_web_serve() puts it behind
 * libsoup's server on the GLib main loop.
 */
#ifndef RD_WEB_H
#define RD_WEB_H

#include "deliver.h"
#include "rounds.h"
#include "store.h"

/* What a request needs: the open store and the installation's context
 * (secret, templates, delimiter, [commands]). */
typedef struct {
	rd_store *store;
	const rd_context *o;
} rd_web;

typedef struct {
	guint status;       /* HTTP status */
	char *content_type; /* "text/html; charset=utf-8" or "text/plain; charset=utf-8" */
	char *body;
} rd_web_response;

void rd_web_response_clear(rd_web_response *r);

/* Answer METHOD PATH (below [web] url: "/u/TOKEN", "/c/TOKEN") with BODY
 * (the request body, may be NULL).  GET never changes anything; POST
 * /u/TOKEN with List-Unsubscribe=One-Click unsubscribes, POST /c/TOKEN
 * confirms.  Unknown paths and tokens that are wrong, used, expired or of
 * another community get 404; a database fault 503. */
void rd_web_handle(const rd_web *w, const char *method, const char *path, const char *body,
                   gsize body_len, rd_web_response *out);

/* Listen on LISTEN ("HOST:PORT") and serve until SIGTERM or SIGINT;
 * FALSE with ERROR when the address cannot be used. */
gboolean rd_web_serve(const rd_web *w, const char *listen, GError **error);

#endif
