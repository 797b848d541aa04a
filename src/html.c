/* html.c - readable plain text from HTML mail bodies.
 *
 * libxml2's HTML parser builds a tree from whatever arrives (it recovers
 * from garbage); a single non-recursive walk then renders it into a GString.
 * Pending line breaks and spaces are remembered and only written when the
 * next visible text arrives, which is what collapses whitespace and keeps
 * empty elements from producing blank lines.
 */
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/HTMLparser.h>
#include <libxml/tree.h>

#include "html.h"
#include "rounds.h"

/* libxml2 is loaded on first use, not linked: with ICU and libstdc++ it
 * was a third of the start-up of `rounds deliver` (issue 13), and most
 * mail has a plain-text part.  dlopen by soname searches only the
 * library path, never the working directory. */
#if LIBXML_VERSION >= 21400
#define HTML_LIBXML2 "libxml2.so.16"
#else
#define HTML_LIBXML2 "libxml2.so.2"
#endif

static struct {
	__typeof__(htmlReadMemory) *read_memory;
	__typeof__(xmlFreeDoc) *free_doc;
	__typeof__(xmlFreeNode) *free_node;
	__typeof__(xmlNodeGetContent) *node_get_content;
	__typeof__(xmlNewDocNode) *new_doc_node;
	__typeof__(xmlUnlinkNode) *unlink_node;
	__typeof__(xmlAddChild) *add_child;
	__typeof__(xmlAddPrevSibling) *add_prev_sibling;
	xmlFreeFunc *free_func;
} xml;

/* Every libxml2 call below goes through xml (the names stay libxml2's). */
#define htmlReadMemory xml.read_memory
#define xmlFreeDoc xml.free_doc
#define xmlFreeNode xml.free_node
#define xmlNodeGetContent xml.node_get_content
#define xmlNewDocNode xml.new_doc_node
#define xmlUnlinkNode xml.unlink_node
#define xmlAddChild xml.add_child
#define xmlAddPrevSibling xml.add_prev_sibling
#undef xmlFree
#define xmlFree (*xml.free_func)

static gboolean
html_sym(void *lib, const char *name, void *fn)
{
	void *p = dlsym(lib, name);

	memcpy(fn, &p, sizeof p);
	return p != NULL;
}

/* Load libxml2 once.  Without it no HTML mail can be read: that is a
 * broken installation, so the process ends 75 (the MTA retries) rather
 * than store mail without its text. */
static void
html_load(void)
{
	static gsize done = 0;

	if (g_once_init_enter(&done)) {
		void *lib = dlopen(HTML_LIBXML2, RTLD_NOW | RTLD_LOCAL);

		if (lib == NULL || !html_sym(lib, "htmlReadMemory", &xml.read_memory) ||
		    !html_sym(lib, "xmlFreeDoc", &xml.free_doc) ||
		    !html_sym(lib, "xmlFreeNode", &xml.free_node) ||
		    !html_sym(lib, "xmlNodeGetContent", &xml.node_get_content) ||
		    !html_sym(lib, "xmlNewDocNode", &xml.new_doc_node) ||
		    !html_sym(lib, "xmlUnlinkNode", &xml.unlink_node) ||
		    !html_sym(lib, "xmlAddChild", &xml.add_child) ||
		    !html_sym(lib, "xmlAddPrevSibling", &xml.add_prev_sibling) ||
		    !html_sym(lib, "xmlFree", &xml.free_func)) {
			fprintf(stderr, "rounds: cannot load %s: %s\n", HTML_LIBXML2, dlerror());
			exit(rd_status_exit(RD_TEMPFAIL));
		}
		g_once_init_leave(&done, 1);
	}
}

/* What an element does to the text flow. */
typedef enum {
	K_INLINE = 0,
	K_SKIP,   /* content never shown: script, style, head ... */
	K_BLOCK1, /* starts and ends a line */
	K_BLOCK2, /* a paragraph: blank line before and after */
	K_BR,
	K_LIST,
	K_LI,
	K_A,
	K_IMG,
	K_PRE,
	K_QUOTE,
	K_CELL,
	K_ROW,
} elem_kind;

static const struct {
	const char *name;
	elem_kind kind;
} elem_kinds[] = {
    {"a", K_A},
    {"address", K_BLOCK2},
    {"article", K_BLOCK1},
    {"aside", K_BLOCK1},
    {"blockquote", K_QUOTE},
    {"body", K_BLOCK1},
    {"br", K_BR},
    {"caption", K_BLOCK1},
    {"center", K_BLOCK1},
    {"dd", K_BLOCK1},
    {"details", K_BLOCK1},
    {"div", K_BLOCK1},
    {"dl", K_BLOCK2},
    {"dt", K_BLOCK1},
    {"fieldset", K_BLOCK2},
    {"figcaption", K_BLOCK1},
    {"figure", K_BLOCK2},
    {"footer", K_BLOCK1},
    {"form", K_BLOCK1},
    {"h1", K_BLOCK2},
    {"h2", K_BLOCK2},
    {"h3", K_BLOCK2},
    {"h4", K_BLOCK2},
    {"h5", K_BLOCK2},
    {"h6", K_BLOCK2},
    {"head", K_SKIP},
    {"header", K_BLOCK1},
    {"hr", K_BLOCK2},
    {"html", K_BLOCK1},
    {"iframe", K_SKIP},
    {"img", K_IMG},
    {"li", K_LI},
    {"main", K_BLOCK1},
    {"nav", K_BLOCK1},
    {"object", K_SKIP},
    {"ol", K_LIST},
    {"p", K_BLOCK2},
    {"pre", K_PRE},
    {"script", K_SKIP},
    {"section", K_BLOCK1},
    {"style", K_SKIP},
    {"summary", K_BLOCK1},
    {"svg", K_SKIP},
    {"table", K_BLOCK1},
    {"td", K_CELL},
    {"template", K_SKIP},
    {"th", K_CELL},
    {"title", K_SKIP},
    {"tr", K_ROW},
    {"ul", K_LIST},
    {"xmp", K_PRE},
};

static elem_kind
kind_of(const xmlNode *n)
{
	const char *name = (const char *)n->name;
	gsize lo = 0, hi = G_N_ELEMENTS(elem_kinds);

	/* The table is sorted, so a binary search keeps big documents cheap. */
	while (lo < hi) {
		gsize mid = (lo + hi) / 2;
		int cmp = strcmp(name, elem_kinds[mid].name);
		if (cmp == 0)
			return elem_kinds[mid].kind;
		if (cmp < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return K_INLINE;
}

/* The value of attribute NAME without allocating (NULL when absent). The
 * HTML parser stores a value as one text child with entities decoded. */
static const char *
attr(const xmlNode *n, const char *name)
{
	for (const xmlAttr *a = n->properties; a != NULL; a = a->next) {
		if (g_ascii_strcasecmp((const char *)a->name, name) != 0)
			continue;
		if (a->children != NULL && a->children->type == XML_TEXT_NODE &&
		    a->children->content != NULL)
			return (const char *)a->children->content;
		return "";
	}
	return NULL;
}

/* Lower-case copy of a style attribute with all white space removed, so
 * "display: none" and "DISPLAY:none" compare alike. Long values are cut. */
static char *
squash_style(const char *style)
{
	GString *s = g_string_sized_new(64);

	for (const char *p = style; *p != '\0' && s->len < 400; p++) {
		if (!g_ascii_isspace(*p))
			g_string_append_c(s, g_ascii_tolower(*p));
	}
	return g_string_free(s, FALSE);
}

static gboolean
is_hidden(const xmlNode *n)
{
	const char *style = attr(n, "style");

	if (style == NULL || strchr(style, ':') == NULL)
		return FALSE;
	g_autofree char *s = squash_style(style);
	return strstr(s, "display:none") != NULL || strstr(s, "mso-hide:all") != NULL;
}

typedef struct {
	int next;  /* next number of an <ol>, -1 for <ul> */
	int items; /* items seen so far */
} list_state;

typedef struct {
	GString *out;
	int pending_nl;      /* line breaks owed before the next text (0..2) */
	gboolean pending_sp; /* a space owed before the next text */
	int pre;             /* inside <pre>: text kept verbatim */
	int quote;           /* <blockquote> depth: lines get "> " each */
	gsize bullet_end;    /* out->len right after a list bullet, else 0 */
	GArray *lists;       /* list_state per open list */
	GArray *links;       /* gsize: where each open <a>'s text starts */
} conv;

/* Append text that contains no newline, starting a quoted line if needed. */
static void
put(conv *c, const char *s, gsize n)
{
	if (c->quote > 0 && (c->out->len == 0 || c->out->str[c->out->len - 1] == '\n')) {
		for (int i = 0; i < c->quote; i++)
			g_string_append(c->out, "> ");
	}
	g_string_append_len(c->out, s, n);
}

static void
rstrip_spaces(GString *s)
{
	gsize len = s->len;

	while (len > 0 && (s->str[len - 1] == ' ' || s->str[len - 1] == '\t'))
		len--;
	g_string_truncate(s, len);
}

static void
newline(conv *c)
{
	rstrip_spaces(c->out);
	g_string_append_c(c->out, '\n');
}

/* At the start of an empty line inside a quote that continues the quote
 * above: write the bare marker, so the quote reads as one block. */
static void
quote_marker(conv *c)
{
	GString *out = c->out;
	gsize b = out->len;

	if (c->quote == 0 || b == 0 || out->str[b - 1] != '\n')
		return;
	b--;
	while (b > 0 && out->str[b - 1] == '\n')
		b--;
	while (b > 0 && out->str[b - 1] != '\n')
		b--;
	if (out->str[b] != '>')
		return;
	for (int i = 0; i < c->quote; i++)
		g_string_append(out, i + 1 < c->quote ? "> " : ">");
}

/* Write what is owed (line breaks, or else a space) before new text. */
static void
flush(conv *c)
{
	GString *out = c->out;

	if (c->pending_nl > 0) {
		if (out->len > 0) {
			int have = 0;
			rstrip_spaces(out);
			while (have < c->pending_nl && (gsize)have < out->len &&
			       out->str[out->len - 1 - have] == '\n')
				have++;
			for (; have < c->pending_nl; have++) {
				if (have >= 1)
					quote_marker(c);
				g_string_append_c(out, '\n');
			}
		}
	} else if (c->pending_sp && out->len > 0) {
		char last = out->str[out->len - 1];
		if (last != '\n' && last != ' ')
			g_string_append_c(out, ' ');
	}
	c->pending_nl = 0;
	c->pending_sp = FALSE;
}

static void
block_break(conv *c, int n)
{
	/* A block right inside a list item stays on the bullet's line. */
	if (c->bullet_end != 0 && c->bullet_end == c->out->len)
		return;
	if (n > c->pending_nl)
		c->pending_nl = n;
}

/* Length of the white space character at p (0 when p is not white space).
 * U+00A0 counts, which is how &nbsp; becomes a normal space. */
static int
space_len(const char *p)
{
	switch (*p) {
	case ' ':
	case '\t':
	case '\n':
	case '\r':
	case '\f':
	case '\v':
		return 1;
	case '\xc2':
		return p[1] == '\xa0' ? 2 : 0;
	default:
		return 0;
	}
}

static void
text(conv *c, const char *s)
{
	const char *p = s;

	if (c->pre > 0) {
		flush(c);
		while (*p != '\0') {
			const char *q = p;
			while (*q != '\0' && *q != '\n' && *q != '\r')
				q++;
			if (q > p)
				put(c, p, q - p);
			if (*q == '\0')
				break;
			if (*q == '\n')
				newline(c);
			p = q + 1;
		}
		return;
	}
	while (*p != '\0') {
		int sp = space_len(p);
		if (sp > 0) {
			c->pending_sp = TRUE;
			p += sp;
			continue;
		}
		const char *q = p;
		while (*q != '\0' && space_len(q) == 0)
			q++;
		flush(c);
		put(c, p, q - p);
		p = q;
	}
}

/* Compare link text and target, ignoring a scheme and a trailing slash. */
static gboolean
same_url(const char *text, gsize tlen, const char *href)
{
	const char *schemes[] = {"https://", "http://", "mailto:", ""};
	gsize hlen = strlen(href);

	while (tlen > 0 && text[tlen - 1] == '/')
		tlen--;
	while (hlen > 0 && href[hlen - 1] == '/')
		hlen--;
	for (gsize i = 0; i < G_N_ELEMENTS(schemes); i++) {
		gsize sl = strlen(schemes[i]);
		if (g_ascii_strncasecmp(href, schemes[i], sl) != 0 || hlen < sl)
			continue;
		if (hlen - sl == tlen && g_ascii_strncasecmp(href + sl, text, tlen) == 0)
			return TRUE;
		if (tlen > sl && hlen == tlen && g_ascii_strncasecmp(href, text, tlen) == 0)
			return TRUE;
	}
	return FALSE;
}

static void
end_link(conv *c, const xmlNode *n, gsize start)
{
	const char *href = attr(n, "href");

	if (href == NULL)
		return;
	while (g_ascii_isspace(*href))
		href++;
	if (*href == '\0' || *href == '#' || g_ascii_strncasecmp(href, "javascript:", 11) == 0 ||
	    g_ascii_strncasecmp(href, "data:", 5) == 0 || g_ascii_strncasecmp(href, "cid:", 4) == 0)
		return;
	g_autofree char *url = g_strdup(href);
	g_strchomp(url);
	if (start > c->out->len)
		start = c->out->len;
	const char *t = c->out->str + start;
	while (*t == ' ' || *t == '\n' || *t == '>')
		t++;
	gsize tlen = strlen(t);
	while (tlen > 0 && (t[tlen - 1] == ' ' || t[tlen - 1] == '\n'))
		tlen--;

	if (tlen == 0) {
		/* A link with nothing visible (an image without alt text):
		 * the address is all a reader can use. */
		text(c, g_ascii_strncasecmp(url, "mailto:", 7) == 0 ? url + 7 : url);
		return;
	}
	if (same_url(t, tlen, url))
		return;
	if (g_ascii_strncasecmp(url, "mailto:", 7) == 0) {
		const char *addr = url + 7;
		gsize alen = strcspn(addr, "?");
		if (alen == tlen && g_ascii_strncasecmp(addr, t, tlen) == 0)
			return;
	}
	c->pending_sp = TRUE;
	flush(c);
	put(c, "<", 1);
	put(c, url, strlen(url));
	put(c, ">", 1);
}

/* Start of an element or text node; returns whether to walk its children. */
static gboolean
enter(conv *c, xmlNode *n)
{
	if (n->type == XML_TEXT_NODE || n->type == XML_CDATA_SECTION_NODE) {
		if (n->content != NULL)
			text(c, (const char *)n->content);
		return FALSE;
	}
	if (n->type != XML_ELEMENT_NODE)
		return FALSE;

	elem_kind k = kind_of(n);
	if (k == K_SKIP || is_hidden(n))
		return FALSE;
	switch (k) {
	case K_BLOCK1:
	case K_ROW:
		block_break(c, 1);
		break;
	case K_BLOCK2:
		block_break(c, 2);
		break;
	case K_QUOTE:
		block_break(c, 2);
		flush(c);
		c->quote++;
		break;
	case K_PRE:
		block_break(c, 2);
		c->pre++;
		break;
	case K_BR:
		c->pending_sp = FALSE;
		flush(c);
		quote_marker(c);
		newline(c);
		break;
	case K_CELL:
		c->pending_sp = TRUE;
		break;
	case K_LIST: {
		const char *start = attr(n, "start");
		list_state v = {-1, 0};
		if (g_ascii_strcasecmp((const char *)n->name, "ol") == 0)
			v.next = start != NULL && g_ascii_isdigit(*start)
			             ? (int)MIN(g_ascii_strtoull(start, NULL, 10), 1000000000)
			             : 1;
		block_break(c, c->lists->len > 0 ? 1 : 2);
		g_array_append_val(c->lists, v);
		break;
	}
	case K_LI: {
		int depth = c->lists->len;
		int num = -1;
		c->bullet_end = 0;
		if (depth > 0) {
			list_state *v = &g_array_index(c->lists, list_state, depth - 1);
			if (v->next >= 0 && v->next < G_MAXINT)
				num = v->next++;
			/* Items stay together even when one ends in a paragraph. */
			if (v->items++ > 0)
				c->pending_nl = MIN(c->pending_nl, 1);
		}
		block_break(c, 1);
		c->pending_sp = FALSE;
		flush(c);
		for (int i = 1; i < depth; i++)
			put(c, "  ", 2);
		if (num >= 0) {
			g_autofree char *b = g_strdup_printf("%d. ", num);
			put(c, b, strlen(b));
		} else {
			put(c, "- ", 2);
		}
		c->bullet_end = c->out->len;
		break;
	}
	case K_A: {
		gsize start = c->out->len;
		g_array_append_val(c->links, start);
		break;
	}
	case K_IMG: {
		const char *alt = attr(n, "alt");
		if (alt != NULL) {
			g_autofree char *a = g_strstrip(g_strdup(alt));
			if (*a != '\0') {
				g_autofree char *b = g_strdup_printf("[%s]", a);
				text(c, b);
			}
		}
		break;
	}
	default:
		break;
	}
	return TRUE;
}

static void
leave(conv *c, xmlNode *n)
{
	if (n->type != XML_ELEMENT_NODE)
		return;
	switch (kind_of(n)) {
	case K_BLOCK1:
	case K_ROW:
	case K_LI:
		block_break(c, 1);
		break;
	case K_BLOCK2:
		block_break(c, 2);
		break;
	case K_QUOTE:
		block_break(c, 2);
		if (c->quote > 0)
			c->quote--;
		break;
	case K_PRE:
		block_break(c, 2);
		if (c->pre > 0)
			c->pre--;
		break;
	case K_CELL:
		c->pending_sp = TRUE;
		break;
	case K_LIST:
		if (c->lists->len > 0)
			g_array_set_size(c->lists, c->lists->len - 1);
		block_break(c, c->lists->len > 0 ? 1 : 2);
		break;
	case K_A:
		if (c->links->len > 0) {
			gsize start = g_array_index(c->links, gsize, c->links->len - 1);
			g_array_set_size(c->links, c->links->len - 1);
			end_link(c, n, start);
		}
		break;
	default:
		break;
	}
}

/* Render FIRST and its following siblings (with their subtrees) into c.
 * Iterative, so deeply nested garbage cannot exhaust the stack. */
static void
render_siblings(conv *c, xmlNode *first)
{
	xmlNode *stop = first != NULL ? first->parent : NULL;
	xmlNode *n = first;

	while (n != NULL) {
		if (enter(c, n)) {
			if (n->children != NULL) {
				n = n->children;
				continue;
			}
			leave(c, n);
		}
		while (n->next == NULL) {
			n = n->parent;
			if (n == NULL || n == stop)
				return;
			leave(c, n);
		}
		n = n->next;
	}
}

/* Final pass: trailing blanks off every line, U+00A0 as a space, at most one
 * blank line in a row, none at the start or the end. */
static char *
tidy(const GString *raw)
{
	GString *out = g_string_sized_new(raw->len + 1);
	const char *p = raw->str;
	const char *end = raw->str + raw->len;
	gboolean blank_owed = FALSE;

	while (p < end) {
		const char *eol = memchr(p, '\n', end - p);
		if (eol == NULL)
			eol = end;
		const char *q = eol;
		while (q > p && (q[-1] == ' ' || q[-1] == '\t' ||
		                 (q - p >= 2 && q[-2] == '\xc2' && q[-1] == '\xa0'))) {
			q -= q[-1] == '\xa0' ? 2 : 1;
		}
		if (q == p) {
			blank_owed = out->len > 0;
		} else {
			if (out->len > 0)
				g_string_append(out, blank_owed ? "\n\n" : "\n");
			blank_owed = FALSE;
			for (const char *r = p; r < q; r++) {
				if (r + 1 < q && r[0] == '\xc2' && r[1] == '\xa0') {
					g_string_append_c(out, ' ');
					r++;
				} else {
					g_string_append_c(out, *r);
				}
			}
		}
		p = eol + 1;
	}
	return g_string_free(out, FALSE);
}

static void
conv_init(conv *c)
{
	memset(c, 0, sizeof(*c));
	c->out = g_string_sized_new(1024);
	c->lists = g_array_new(FALSE, FALSE, sizeof(list_state));
	c->links = g_array_new(FALSE, FALSE, sizeof(gsize));
}

static char *
conv_finish(conv *c)
{
	char *s = tidy(c->out);

	g_string_free(c->out, TRUE);
	g_array_free(c->lists, TRUE);
	g_array_free(c->links, TRUE);
	return s;
}

/* Parse HTML, forgiving everything. Returns NULL only for empty input. */
static htmlDocPtr
parse(const char *html, gssize len)
{
	if (html == NULL)
		return NULL;
	html_load();
	gsize n = len < 0 ? strlen(html) : strnlen(html, (gsize)len);
	if (n == 0 || n > G_MAXINT)
		return NULL;

	/* libxml2 gives up at the first invalid UTF-8 sequence even in
	 * recovery mode, so repair first rather than lose the rest. */
	g_autofree char *fixed = NULL;
	if (!g_utf8_validate(html, n, NULL)) {
		fixed = g_utf8_make_valid(html, n);
		html = fixed;
		n = strlen(fixed);
	}
	return htmlReadMemory(html, (int)n, NULL, "UTF-8",
	                      HTML_PARSE_RECOVER | HTML_PARSE_NOERROR | HTML_PARSE_NOWARNING |
	                          HTML_PARSE_NONET);
}

static char *
render_doc(htmlDocPtr doc)
{
	conv c;

	conv_init(&c);
	if (doc != NULL)
		render_siblings(&c, doc->children);
	return conv_finish(&c);
}

char *
rd_html_to_text(const char *html, gssize len)
{
	htmlDocPtr doc = parse(html, len);
	char *s = render_doc(doc);

	if (doc != NULL)
		xmlFreeDoc(doc);
	return s;
}

/* ---- Removing quoted material by structure ---- */

static gboolean
attr_contains(const xmlNode *n, const char *name, const char *needle)
{
	const char *v = attr(n, name);

	return v != NULL && strstr(v, needle) != NULL;
}

static gboolean
attr_is(const xmlNode *n, const char *name, const char *value)
{
	const char *v = attr(n, name);

	return v != NULL && g_ascii_strcasecmp(v, value) == 0;
}

/* Markers after which everything is the quoted original (Outlook). */
static gboolean
is_cut_marker(const xmlNode *n)
{
	const char *id = attr(n, "id");

	if (id != NULL) {
		if (g_ascii_strcasecmp(id, "divRplyFwdMsg") == 0 ||
		    g_ascii_strcasecmp(id, "appendonsend") == 0)
			return TRUE;
		/* Outlook on the web renames the ids of a message it quotes
		 * with an "x_" prefix: such an element is quoted text. */
		if (g_str_has_prefix(id, "x_"))
			return TRUE;
	}
	const char *style = attr(n, "style");
	if (style != NULL && strstr(style, "border") != NULL) {
		g_autofree char *s = squash_style(style);
		if (strstr(s, "border:none") != NULL && strstr(s, "border-top:solid") != NULL)
			return TRUE;
	}
	return FALSE;
}

/* Quoted blocks and signatures that are removed on their own, leaving what
 * surrounds them (so inline answers between quotes stay). */
static gboolean
is_removable(const xmlNode *n)
{
	const char *name = (const char *)n->name;
	gboolean bq = g_ascii_strcasecmp(name, "blockquote") == 0;

	if (bq && (attr_is(n, "type", "cite") || attr_contains(n, "class", "gmail_quote")))
		return TRUE;
	/* Gmail puts a forward's header block in a gmail_attr too; forwarded
	 * text is content. Its first line is a dashed rule in every language. */
	if (attr_contains(n, "class", "gmail_attr")) {
		xmlChar *content = xmlNodeGetContent(n);
		gboolean forward =
		    content != NULL && strstr((const char *)content, "-----") != NULL;
		xmlFree(content);
		return !forward;
	}
	if (attr_contains(n, "class", "gmail_signature") ||
	    attr_contains(n, "class", "moz-cite-prefix") ||
	    attr_contains(n, "class", "moz-signature") ||
	    attr_contains(n, "class", "yahoo_quoted") || attr_contains(n, "id", "yahoo_quoted"))
		return TRUE;
	/* Outlook's own signature block. */
	if (attr_is(n, "id", "Signature") || attr_contains(n, "id", "ms-outlook-mobile-signature"))
		return TRUE;
	return FALSE;
}

static gboolean
is_blank_node(const xmlNode *n)
{
	if (n->type == XML_COMMENT_NODE)
		return TRUE;
	if (n->type == XML_TEXT_NODE) {
		for (const char *p = (const char *)n->content; p != NULL && *p != '\0';) {
			int sp = space_len(p);
			if (sp == 0)
				return FALSE;
			p += sp;
		}
		return TRUE;
	}
	return n->type == XML_ELEMENT_NODE && g_ascii_strcasecmp((const char *)n->name, "br") == 0;
}

/* Move n out of the document into the holder of removed material. */
static void
take(xmlNode *holder, xmlNode *n)
{
	xmlNode *wrap = xmlNewDocNode(holder->doc, NULL, BAD_CAST "div", NULL);

	xmlUnlinkNode(n);
	xmlAddChild(holder, wrap);
	xmlAddChild(wrap, n);
}

/* The attribution line ("On ... wrote:") just before a quote: the nearest
 * visible sibling, when its text is short and ends with a colon. */
static void
take_attribution(xmlNode *holder, xmlNode *quote)
{
	xmlNode *p = quote->prev;
	g_autoptr(GPtrArray) run = g_ptr_array_new();
	GString *all = g_string_new(NULL);

	while (p != NULL && is_blank_node(p))
		p = p->prev;
	if (p == NULL || (p->type != XML_TEXT_NODE && p->type != XML_ELEMENT_NODE)) {
		g_string_free(all, TRUE);
		return;
	}
	/* A block element is the attribution on its own; otherwise it is the
	 * run of text and inline elements back to the previous line break
	 * ("On ... <span>&lt;a@b&gt;</span> wrote:"). */
	if (p->type == XML_ELEMENT_NODE && kind_of(p) != K_INLINE && kind_of(p) != K_A) {
		g_ptr_array_add(run, p);
	} else {
		for (; p != NULL && all->len < 1000; p = p->prev) {
			if (p->type == XML_ELEMENT_NODE &&
			    (kind_of(p) != K_INLINE && kind_of(p) != K_A))
				break;
			if (p->type != XML_TEXT_NODE && p->type != XML_ELEMENT_NODE)
				break;
			g_ptr_array_insert(run, 0, p);
		}
	}
	for (guint i = 0; i < run->len; i++) {
		xmlChar *content = xmlNodeGetContent(run->pdata[i]);
		if (content != NULL)
			g_string_append(all, (const char *)content);
		xmlFree(content);
	}
	g_autofree char *t = g_string_free(all, FALSE);
	/* Non-breaking spaces would survive g_strstrip. */
	for (char *s = t; *s != '\0'; s++) {
		if (s[0] == '\xc2' && s[1] == '\xa0')
			s[0] = s[1] = ' ';
	}
	g_strstrip(t);
	gsize tl = strlen(t);
	if (tl == 0 || tl > 400)
		return;
	if (t[tl - 1] == ':' || g_str_has_suffix(t, "\xef\xbc\x9a")) { /* U+FF1A */
		for (guint i = 0; i < run->len; i++)
			take(holder, run->pdata[i]);
	}
}

static void
strip_quotes(htmlDocPtr doc, xmlNode *holder)
{
	g_autoptr(GPtrArray) found = g_ptr_array_new();
	xmlNode *cut = NULL;
	xmlNode *n = doc->children;

	/* Collect in document order; removed subtrees are not searched. */
	while (n != NULL) {
		gboolean descend = TRUE;
		if (n->type == XML_ELEMENT_NODE) {
			if (is_cut_marker(n)) {
				cut = n;
				break;
			}
			if (is_removable(n)) {
				g_ptr_array_add(found, n);
				descend = FALSE;
			}
		}
		if (descend && n->children != NULL) {
			n = n->children;
			continue;
		}
		while (n != NULL && n->next == NULL)
			n = n->parent;
		if (n == NULL || n == (xmlNode *)doc)
			break;
		n = n->next;
	}

	for (guint i = 0; i < found->len; i++) {
		xmlNode *q = found->pdata[i];
		if (attr_is(q, "type", "cite") ||
		    g_ascii_strcasecmp((const char *)q->name, "blockquote") == 0)
			take_attribution(holder, q);
		/* An empty paragraph in its place keeps the answers before and
		 * after a removed quote apart. */
		xmlNode *gap = xmlNewDocNode(doc, NULL, BAD_CAST "p", NULL);
		xmlAddPrevSibling(q, gap);
		take(holder, q);
	}

	if (cut == NULL)
		return;
	/* Outlook on the web puts a rule just before the header block. */
	xmlNode *p = cut->prev;
	while (p != NULL && p->type == XML_TEXT_NODE && is_blank_node(p))
		p = p->prev;
	if (p != NULL && p->type == XML_ELEMENT_NODE &&
	    g_ascii_strcasecmp((const char *)p->name, "hr") == 0)
		take(holder, p);
	/* The marker, everything after it, and everything after each of its
	 * ancestors: in document order, that is the rest of the message. */
	xmlNode *from = cut;
	while (from != NULL && from != (xmlNode *)doc) {
		xmlNode *parent = from->parent;
		xmlNode *next;
		for (xmlNode *s = from; s != NULL; s = next) {
			next = s->next;
			take(holder, s);
		}
		/* Continue after the parent, not with it. */
		while (parent != NULL && parent != (xmlNode *)doc && parent->next == NULL)
			parent = parent->parent;
		if (parent == NULL || parent == (xmlNode *)doc)
			break;
		from = parent->next;
	}
}

static gboolean
is_blank_text(const char *s)
{
	for (; *s != '\0'; s++) {
		if (!g_ascii_isspace(*s))
			return FALSE;
	}
	return TRUE;
}

char *
rd_html_reply_split(const char *html, gssize len, char **removed)
{
	htmlDocPtr doc = parse(html, len);

	if (removed != NULL)
		*removed = NULL;
	if (doc == NULL) {
		if (removed != NULL)
			*removed = g_strdup("");
		return g_strdup("");
	}
	xmlNode *holder = xmlNewDocNode(doc, NULL, BAD_CAST "div", NULL);
	strip_quotes(doc, holder);
	char *kept = render_doc(doc);
	if (is_blank_text(kept)) {
		/* Nothing new remains: the whole message is better than none. */
		g_free(kept);
		xmlFreeNode(holder);
		xmlFreeDoc(doc);
		if (removed != NULL)
			*removed = g_strdup("");
		return rd_html_to_text(html, len);
	}
	if (removed != NULL) {
		conv c;
		conv_init(&c);
		render_siblings(&c, holder->children);
		*removed = conv_finish(&c);
	}
	xmlFreeNode(holder);
	xmlFreeDoc(doc);
	return kept;
}

char *
rd_html_reply_to_text(const char *html, gssize len)
{
	return rd_html_reply_split(html, len, NULL);
}
