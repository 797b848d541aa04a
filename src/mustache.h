/* mustache.h - the Mustache template engine (core spec: interpolation,
 * sections, inverted sections, comments, partials, set delimiters).
 *
 * Compiling and rendering are separate so that a digest template is parsed
 * once and rendered thousands of times.  Data is a json-glib JsonNode.
 */
#ifndef RD_MUSTACHE_H
#define RD_MUSTACHE_H

#include <json-glib/json-glib.h>

#include "rounds.h"

/* A compiled template; opaque. */
typedef struct _rd_mustache rd_mustache;

/* How {{name}} is escaped: HTML escapes & < > " ', TEXT escapes nothing.
 * {{{name}}} and {{& name}} never escape. */
typedef enum {
	RD_MUSTACHE_HTML,
	RD_MUSTACHE_TEXT,
} rd_mustache_escape;

/* Returns a g_malloc'd template source for partial NAME, or NULL if none.
 * It is only called with plain names: no "/", "\\", ".." or leading "."
 * (mustache.c refuses the others as unknown partials). */
typedef char *(*rd_mustache_partial_fn)(const char *name, gpointer user_data);

/* Compile SOURCE.  On a syntax error (unclosed tag or section, mismatched
 * close, bad delimiters) returns NULL with RD_ERROR/RD_DATAERR "line N: ...". */
rd_mustache *rd_mustache_compile(const char *source, GError **error);

/* Free a compiled template and the partials cached in it; NULL is fine. */
void rd_mustache_free(rd_mustache *t);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(rd_mustache, rd_mustache_free)

/* Render T with DATA (usually an object; NULL means no data), appending to
 * OUT.  Partials are fetched through PARTIALS (may be NULL) on first use and
 * cached in T for as long as the same PARTIALS/USER_DATA pair is passed; on
 * error (bad partial, partials nested over 100 deep) OUT is left unchanged.
 * A template must not be rendered from two threads at once. */
gboolean rd_mustache_render(rd_mustache *t, JsonNode *data, rd_mustache_escape esc,
                            rd_mustache_partial_fn partials, gpointer user_data, GString *out,
                            GError **error);

/* Drop the partials cached in T, e.g. after the partial sources changed. */
void rd_mustache_forget_partials(rd_mustache *t);

/* Convenience: compile + render, returns a g_malloc'd string or NULL with error. */
char *rd_mustache_render_string(const char *source, JsonNode *data, rd_mustache_escape esc,
                                rd_mustache_partial_fn partials, gpointer user_data,
                                GError **error);

#endif
