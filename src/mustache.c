/* mustache.c - the Mustache template engine.
 *
 * A template is compiled into a flat array of nodes.  A section node records
 * the index just past its last child, so rendering is a loop over a range of
 * the array that recurses only into sections and partials.  Text nodes point
 * into the template's own copy of the source, so compiling allocates little
 * and rendering allocates nothing but output.
 *
 * The whitespace rules follow the Mustache spec: a section, inverted
 * section, end-of-section, comment, partial or set-delimiter tag that is the
 * only thing on its line apart from spaces and tabs is "standalone", and the
 * whole line (indentation, trailing blanks and the line ending, "\n" or
 * "\r\n") disappears from the output.  The indentation of a standalone
 * partial is put in front of every line of the partial's source before it
 * is compiled, as the spec describes.
 */
#include <string.h>

#include "mustache.h"

/* Partials may include themselves through data (a tree of replies), so
 * recursion is legal; this only stops a runaway template. */
#define RD_MUSTACHE_MAX_DEPTH 100

typedef enum {
	NODE_TEXT,
	NODE_ESCAPED, /* {{name}}: escaped in the HTML context */
	NODE_RAW,     /* {{{name}}} and {{& name}} */
	NODE_SECTION,
	NODE_INVERTED,
	NODE_PARTIAL,
} node_kind;

typedef struct {
	node_kind kind;
	/* Sections: index of the first node after the section's content. */
	guint end;
	/* Text: a slice of the template's source. */
	const char *text;
	gsize len;
	/* Tags: the name as written (trimmed), for messages and matching. */
	char *name;
	/* The name split on dots; NULL for the implicit iterator "." */
	char **path;
	/* A leading dot ("{{.name}}") resolves against the top of the stack only. */
	gboolean local;
	/* Partials: cache key, the indentation and the name joined by a newline
	 * (indentation is only blanks, so the key is unambiguous). */
	char *key;
	/* Partials: line of the tag, for messages. */
	guint line;
} node;

struct _rd_mustache {
	char *source;
	GArray *nodes;
	/* Compiled partials by node key; a NULL value records "not found". */
	GHashTable *partials;
	rd_mustache_partial_fn partial_fn;
	gpointer partial_data;
};

static void
node_clear(gpointer p)
{
	node *n = p;

	g_free(n->name);
	g_strfreev(n->path);
	g_free(n->key);
}

/* The 1-based line of byte offset POS, for error messages only. */
static guint
line_of(const char *src, gsize pos)
{
	guint line = 1;

	for (gsize i = 0; i < pos; i++)
		if (src[i] == '\n')
			line++;
	return line;
}

static gboolean
is_blank(char c)
{
	return c == ' ' || c == '\t';
}

static void
add_text(rd_mustache *t, gsize from, gsize len)
{
	node n = {0};

	if (len == 0)
		return;
	n.kind = NODE_TEXT;
	n.text = t->source + from;
	n.len = len;
	g_array_append_val(t->nodes, n);
}

/* Fill in NAME, PATH and LOCAL of N from the tag content NAME (trimmed). */
static void
node_set_name(node *n, const char *name)
{
	n->name = g_strdup(name);
	if (strcmp(name, ".") == 0)
		return;
	if (name[0] == '.') {
		n->local = TRUE;
		name++;
	}
	n->path = g_strsplit(name, ".", -1);
}

/* Parse the content of a set-delimiter tag, e.g. " <% %> ". */
static gboolean
parse_delimiters(const char *content, char **otag, char **ctag)
{
	g_autofree char *copy = g_strstrip(g_strdup(content));
	char *sep = copy;
	char *second;

	while (*sep != '\0' && !g_ascii_isspace(*sep))
		sep++;
	if (*sep == '\0' || sep == copy)
		return FALSE;
	*sep++ = '\0';
	while (g_ascii_isspace(*sep))
		sep++;
	second = sep;
	while (*sep != '\0' && !g_ascii_isspace(*sep))
		sep++;
	if (*sep != '\0' || *second == '\0')
		return FALSE;
	if (strchr(copy, '=') != NULL || strchr(second, '=') != NULL)
		return FALSE;
	g_free(*otag);
	g_free(*ctag);
	*otag = g_strdup(copy);
	*ctag = g_strdup(second);
	return TRUE;
}

/* Whether the tag spanning [START, END) of SRC is standalone: only blanks
 * before it on its line (back to LINE_FROM, the earliest offset that may be
 * the line's start) and only blanks after it up to the line's end.  On TRUE
 * sets *LS to the start of its line and *EOL to just past the line ending. */
static gboolean
standalone(const char *src, gsize n, gsize line_from, gboolean at_line_start, gsize start,
           gsize end, gsize *ls, gsize *eol)
{
	gsize i = start;
	gsize q = end;

	while (i > line_from && is_blank(src[i - 1]))
		i--;
	if (i > line_from) {
		if (src[i - 1] != '\n')
			return FALSE;
	} else if (!at_line_start) {
		/* The line began before another tag on this line. */
		return FALSE;
	}
	while (q < n && is_blank(src[q]))
		q++;
	if (q == n)
		*eol = n;
	else if (src[q] == '\n')
		*eol = q + 1;
	else if (src[q] == '\r' && src[q + 1] == '\n')
		*eol = q + 2;
	else
		return FALSE;
	*ls = i;
	return TRUE;
}

static gboolean compile_error(GError **error, const char *src, gsize pos, const char *fmt, ...)
    G_GNUC_PRINTF(4, 5);

static gboolean
compile_error(GError **error, const char *src, gsize pos, const char *fmt, ...)
{
	va_list ap;
	g_autofree char *msg = NULL;

	va_start(ap, fmt);
	msg = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	g_set_error(error, RD_ERROR, RD_DATAERR, "line %u: %s", line_of(src, pos), msg);
	return FALSE;
}

static gboolean
compile_nodes(rd_mustache *t, GError **error)
{
	const char *src = t->source;
	gsize n = strlen(src);
	g_autofree char *otag = g_strdup("{{");
	g_autofree char *ctag = g_strdup("}}");
	g_autoptr(GArray) open = g_array_new(FALSE, FALSE, sizeof(guint));
	gsize pos = 0;
	gboolean at_line_start = TRUE;

	while (pos < n) {
		const char *hit = strstr(src + pos, otag);
		gsize p, after, cstart, cend = 0, tag_end = 0, ls = 0, eol = 0;
		char sigil;
		gboolean alone = FALSE;
		g_autofree char *content = NULL;
		const char *close = NULL;

		if (hit == NULL) {
			add_text(t, pos, n - pos);
			break;
		}
		p = (gsize)(hit - src);
		after = p + strlen(otag);
		sigil = src[after];
		cstart = after;
		if (sigil == '{' || sigil == '=') {
			/* "{{{name}}}" and "{{=<% %>=}}" close with their own
			 * character in front of the closing delimiter. */
			g_autofree char *end =
			    g_strdup_printf("%c%s", sigil == '{' ? '}' : '=', ctag);

			cstart = after + 1;
			close = strstr(src + cstart, end);
			if (close != NULL) {
				cend = (gsize)(close - src);
				tag_end = cend + strlen(end);
			}
		} else {
			close = strstr(src + after, ctag);
			if (close != NULL) {
				cend = (gsize)(close - src);
				tag_end = cend + strlen(ctag);
			}
			if (sigil != '\0' && strchr("#^/!>&", sigil) != NULL)
				cstart = after + 1;
			else
				sigil = '\0';
		}
		if (close == NULL)
			return compile_error(error, src, p, "tag %s is never closed (expected %s)",
			                     otag, ctag);
		content = g_strndup(src + cstart, cend - cstart);

		if (sigil != '\0' && sigil != '&' && sigil != '{')
			alone = standalone(src, n, pos, at_line_start, p, tag_end, &ls, &eol);
		if (alone) {
			add_text(t, pos, ls - pos);
			pos = eol;
		} else {
			add_text(t, pos, p - pos);
			pos = tag_end;
		}
		at_line_start = alone;

		if (sigil == '!')
			continue;
		if (sigil == '=') {
			if (!parse_delimiters(content, &otag, &ctag))
				return compile_error(error, src, p,
				                     "bad set-delimiter tag: want two delimiters "
				                     "without blanks or '='");
			continue;
		}
		g_strstrip(content);
		if (content[0] == '\0')
			return compile_error(error, src, p, "empty tag");
		if (sigil == '/') {
			node *sec;
			guint idx;

			if (open->len == 0)
				return compile_error(error, src, p,
				                     "closing tag {{/%s}} without an open section",
				                     content);
			idx = g_array_index(open, guint, open->len - 1);
			sec = &g_array_index(t->nodes, node, idx);
			if (strcmp(sec->name, content) != 0)
				return compile_error(error, src, p,
				                     "closing tag {{/%s}} does not match section "
				                     "{{#%s}} opened on line %u",
				                     content, sec->name, sec->line);
			sec->end = t->nodes->len;
			g_array_set_size(open, open->len - 1);
			continue;
		}

		node nd = {0};
		nd.line = line_of(src, p);
		node_set_name(&nd, content);
		switch (sigil) {
		case '#':
		case '^':
			nd.kind = sigil == '#' ? NODE_SECTION : NODE_INVERTED;
			g_array_append_val(open, t->nodes->len);
			break;
		case '>':
			nd.kind = NODE_PARTIAL;
			nd.key = g_strdup_printf("%.*s\n%s", alone ? (int)(p - ls) : 0, src + ls,
			                         content);
			break;
		case '&':
		case '{':
			nd.kind = NODE_RAW;
			break;
		default:
			nd.kind = NODE_ESCAPED;
			break;
		}
		g_array_append_val(t->nodes, nd);
	}
	if (open->len > 0) {
		node *sec =
		    &g_array_index(t->nodes, node, g_array_index(open, guint, open->len - 1));

		g_set_error(error, RD_ERROR, RD_DATAERR, "line %u: section {{#%s}} is never closed",
		            sec->line, sec->name);
		return FALSE;
	}
	return TRUE;
}

rd_mustache *
rd_mustache_compile(const char *source, GError **error)
{
	rd_mustache *t = g_new0(rd_mustache, 1);

	g_return_val_if_fail(source != NULL, NULL);
	t->source = g_strdup(source);
	t->nodes = g_array_new(FALSE, FALSE, sizeof(node));
	g_array_set_clear_func(t->nodes, node_clear);
	if (!compile_nodes(t, error)) {
		rd_mustache_free(t);
		return NULL;
	}
	return t;
}

void
rd_mustache_forget_partials(rd_mustache *t)
{
	if (t->partials != NULL)
		g_hash_table_remove_all(t->partials);
}

void
rd_mustache_free(rd_mustache *t)
{
	if (t == NULL)
		return;
	if (t->partials != NULL)
		g_hash_table_destroy(t->partials);
	g_array_unref(t->nodes);
	g_free(t->source);
	g_free(t);
}

/* ---- rendering ---- */

typedef struct {
	rd_mustache *root; /* holds the partial cache */
	gboolean html;
	GPtrArray *stack; /* JsonNode *, borrowed; the top is the last */
	GString *out;
	guint depth;
} render_ctx;

/* Resolve N's name against the context stack (spec "name resolution"): the
 * first part is looked up from the top of the stack down, in objects only;
 * every further part only inside the value found so far. */
static JsonNode *
lookup(render_ctx *rc, const node *n)
{
	JsonNode *v = NULL;
	guint i;

	if (rc->stack->len == 0)
		return NULL;
	if (n->path == NULL)
		return g_ptr_array_index(rc->stack, rc->stack->len - 1);
	for (i = rc->stack->len; i > 0 && v == NULL; i--) {
		JsonNode *ctx = g_ptr_array_index(rc->stack, i - 1);

		if (JSON_NODE_HOLDS_OBJECT(ctx))
			v = json_object_get_member(json_node_get_object(ctx), n->path[0]);
		if (n->local)
			break;
	}
	for (guint k = 1; v != NULL && n->path[k] != NULL; k++) {
		if (!JSON_NODE_HOLDS_OBJECT(v))
			return NULL;
		v = json_object_get_member(json_node_get_object(v), n->path[k]);
	}
	return v;
}

/* Falsey in the spec's sense for JSON data: missing, null, false, []. */
static gboolean
falsey(JsonNode *v)
{
	if (v == NULL || JSON_NODE_HOLDS_NULL(v))
		return TRUE;
	if (JSON_NODE_HOLDS_ARRAY(v))
		return json_array_get_length(json_node_get_array(v)) == 0;
	if (JSON_NODE_HOLDS_VALUE(v) && json_node_get_value_type(v) == G_TYPE_BOOLEAN)
		return !json_node_get_boolean(v);
	return FALSE;
}

static void
append_html(GString *out, const char *s)
{
	const char *run = s;

	for (; *s != '\0'; s++) {
		const char *rep;

		switch (*s) {
		case '&':
			rep = "&amp;";
			break;
		case '<':
			rep = "&lt;";
			break;
		case '>':
			rep = "&gt;";
			break;
		case '"':
			rep = "&quot;";
			break;
		case '\'':
			rep = "&#39;";
			break;
		default:
			continue;
		}
		g_string_append_len(out, run, s - run);
		g_string_append(out, rep);
		run = s + 1;
	}
	g_string_append_len(out, run, s - run);
}

/* Print D as JSON would: the shortest form that reads back as the same
 * number, so 1.210 prints "1.21" and 2.0 prints "2". */
static void
append_double(GString *out, double d)
{
	char buf[G_ASCII_DTOSTR_BUF_SIZE];

	for (int prec = 1; prec <= 17; prec++) {
		char fmt[8];

		g_snprintf(fmt, sizeof fmt, "%%.%dg", prec);
		g_ascii_formatd(buf, sizeof buf, fmt, d);
		if (g_ascii_strtod(buf, NULL) == d)
			break;
	}
	g_string_append(out, buf);
}

/* Interpolate V; objects, arrays, null and misses print nothing. */
static void
append_value(render_ctx *rc, JsonNode *v, gboolean escape)
{
	if (v == NULL || !JSON_NODE_HOLDS_VALUE(v))
		return;
	switch (json_node_get_value_type(v)) {
	case G_TYPE_STRING:
		if (escape)
			append_html(rc->out, json_node_get_string(v));
		else
			g_string_append(rc->out, json_node_get_string(v));
		break;
	case G_TYPE_INT64:
		g_string_append_printf(rc->out, "%" G_GINT64_FORMAT, json_node_get_int(v));
		break;
	case G_TYPE_DOUBLE:
		append_double(rc->out, json_node_get_double(v));
		break;
	case G_TYPE_BOOLEAN:
		g_string_append(rc->out, json_node_get_boolean(v) ? "true" : "false");
		break;
	default:
		break;
	}
}

/* Put INDENT in front of every line of SRC (also empty ones), but not after
 * a final line ending: the spec's rule for standalone partials. */
static char *
indent_source(const char *src, const char *indent, gsize indent_len)
{
	GString *s = g_string_sized_new(strlen(src) + 8 * indent_len);
	gboolean at_start = TRUE;

	for (; *src != '\0'; src++) {
		if (at_start)
			g_string_append_len(s, indent, indent_len);
		g_string_append_c(s, *src);
		at_start = *src == '\n';
	}
	return g_string_free(s, FALSE);
}

/* Whether NAME may name a partial file: a plain name, nothing that could
 * leave the directory it is looked up in. */
static gboolean
partial_name_ok(const char *name)
{
	return name[0] != '\0' && name[0] != '.' && strchr(name, '/') == NULL &&
	       strchr(name, '\\') == NULL && strstr(name, "..") == NULL;
}

/* The compiled partial for N, or NULL when there is none (*FAILED stays
 * FALSE) or it does not compile (*FAILED set, error filled in). */
static rd_mustache *
partial_get(render_ctx *rc, const node *n, gboolean *failed, GError **error)
{
	rd_mustache *root = rc->root;
	gpointer value = NULL;
	g_autofree char *source = NULL;
	rd_mustache *p;
	GError *err = NULL;
	const char *nl = strchr(n->key, '\n');

	*failed = FALSE;
	if (root->partials == NULL)
		root->partials = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
		                                       (GDestroyNotify)rd_mustache_free);
	if (g_hash_table_lookup_extended(root->partials, n->key, NULL, &value))
		return value;
	/* Checked here, once for every caller: partial names become file
	 * names, and per-community templates are written by list owners. */
	if (root->partial_fn != NULL && partial_name_ok(n->name))
		source = root->partial_fn(n->name, root->partial_data);
	if (source != NULL && nl != n->key) {
		char *indented = indent_source(source, n->key, (gsize)(nl - n->key));

		g_free(source);
		source = indented;
	}
	p = source != NULL ? rd_mustache_compile(source, &err) : NULL;
	if (err != NULL) {
		g_set_error(error, RD_ERROR, RD_DATAERR, "partial %s: %s", n->name, err->message);
		g_error_free(err);
		*failed = TRUE;
		return NULL;
	}
	g_hash_table_insert(root->partials, g_strdup(n->key), p);
	return p;
}

static gboolean render_range(render_ctx *rc, const rd_mustache *t, guint from, guint to,
                             GError **error);

static gboolean
render_partial(render_ctx *rc, const node *n, GError **error)
{
	gboolean failed;
	gboolean ok;
	rd_mustache *p = partial_get(rc, n, &failed, error);

	if (p == NULL)
		return !failed;
	if (rc->depth >= RD_MUSTACHE_MAX_DEPTH) {
		g_set_error(error, RD_ERROR, RD_DATAERR,
		            "line %u: partials nested more than %d deep at {{>%s}}", n->line,
		            RD_MUSTACHE_MAX_DEPTH, n->name);
		return FALSE;
	}
	rc->depth++;
	ok = render_range(rc, p, 0, p->nodes->len, error);
	rc->depth--;
	return ok;
}

static gboolean
render_section(render_ctx *rc, const rd_mustache *t, guint i, GError **error)
{
	const node *n = &g_array_index(t->nodes, node, i);
	JsonNode *v = lookup(rc, n);
	gboolean ok = TRUE;

	if (n->kind == NODE_INVERTED)
		return falsey(v) ? render_range(rc, t, i + 1, n->end, error) : TRUE;
	if (falsey(v))
		return TRUE;
	if (JSON_NODE_HOLDS_ARRAY(v)) {
		JsonArray *a = json_node_get_array(v);
		guint len = json_array_get_length(a);

		for (guint k = 0; k < len && ok; k++) {
			g_ptr_array_add(rc->stack, json_array_get_element(a, k));
			ok = render_range(rc, t, i + 1, n->end, error);
			g_ptr_array_set_size(rc->stack, rc->stack->len - 1);
		}
		return ok;
	}
	g_ptr_array_add(rc->stack, v);
	ok = render_range(rc, t, i + 1, n->end, error);
	g_ptr_array_set_size(rc->stack, rc->stack->len - 1);
	return ok;
}

static gboolean
render_range(render_ctx *rc, const rd_mustache *t, guint from, guint to, GError **error)
{
	guint i = from;

	while (i < to) {
		const node *n = &g_array_index(t->nodes, node, i);

		switch (n->kind) {
		case NODE_TEXT:
			g_string_append_len(rc->out, n->text, n->len);
			break;
		case NODE_ESCAPED:
			append_value(rc, lookup(rc, n), rc->html);
			break;
		case NODE_RAW:
			append_value(rc, lookup(rc, n), FALSE);
			break;
		case NODE_SECTION:
		case NODE_INVERTED:
			if (!render_section(rc, t, i, error))
				return FALSE;
			i = n->end;
			continue;
		case NODE_PARTIAL:
			if (!render_partial(rc, n, error))
				return FALSE;
			break;
		}
		i++;
	}
	return TRUE;
}

gboolean
rd_mustache_render(rd_mustache *t, JsonNode *data, rd_mustache_escape esc,
                   rd_mustache_partial_fn partials, gpointer user_data, GString *out,
                   GError **error)
{
	render_ctx rc = {0};
	gsize start = out->len;
	gboolean ok;

	g_return_val_if_fail(t != NULL && out != NULL, FALSE);
	/* Cached partials came from one source of partials; another one
	 * may answer differently. */
	if (partials != t->partial_fn || user_data != t->partial_data) {
		rd_mustache_forget_partials(t);
		t->partial_fn = partials;
		t->partial_data = user_data;
	}
	rc.root = t;
	rc.html = esc == RD_MUSTACHE_HTML;
	rc.stack = g_ptr_array_sized_new(16);
	rc.out = out;
	if (data != NULL)
		g_ptr_array_add(rc.stack, data);
	ok = render_range(&rc, t, 0, t->nodes->len, error);
	g_ptr_array_free(rc.stack, TRUE);
	if (!ok)
		g_string_truncate(out, start);
	return ok;
}

char *
rd_mustache_render_string(const char *source, JsonNode *data, rd_mustache_escape esc,
                          rd_mustache_partial_fn partials, gpointer user_data, GError **error)
{
	g_autoptr(rd_mustache) t = rd_mustache_compile(source, error);
	GString *out;

	if (t == NULL)
		return NULL;
	out = g_string_sized_new(strlen(source) + 256);
	if (!rd_mustache_render(t, data, esc, partials, user_data, out, error)) {
		g_string_free(out, TRUE);
		return NULL;
	}
	return g_string_free(out, FALSE);
}
