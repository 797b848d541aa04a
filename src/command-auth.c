/* command-auth.c - whether a mail to the command addresses may be answered,
 * and whether its sender is authenticated (owner commands then run at
 * once).
 */
#include <string.h>

#include "bounce.h"
#include "command-internal.h"

static gboolean
is_mailer_daemon(const char *addr)
{
	return g_ascii_strncasecmp(addr, "mailer-daemon", 13) == 0 &&
	       (addr[13] == '\0' || addr[13] == '@');
}

gboolean
rd_command_may_reply(const rd_message *m, const char *sender)
{
	if (sender != NULL) {
		if (*sender == '\0' || strcmp(sender, "<>") == 0 || is_mailer_daemon(sender))
			return FALSE;
	}
	if (m->from_addr == NULL || is_mailer_daemon(m->from_addr))
		return FALSE;
	if (m->auto_submitted != NULL) {
		g_autofree char *v = rd_command_clean_line(m->auto_submitted);

		/* "no" may carry comments or parameters: "no (manual)". */
		if (g_ascii_strncasecmp(v, "no", 2) != 0 || g_ascii_isalnum(v[2]))
			return FALSE;
	}
	if (m->precedence != NULL) {
		g_autofree char *v = rd_command_clean_line(m->precedence);

		if (g_ascii_strcasecmp(v, "bulk") == 0 || g_ascii_strcasecmp(v, "junk") == 0 ||
		    g_ascii_strcasecmp(v, "list") == 0)
			return FALSE;
	}
	if (m->list_id != NULL)
		return FALSE;
	if (m->mime != NULL && rd_bounce_is_auto_reply(m->mime))
		return FALSE;
	return TRUE;
}

/* ---- Authentication-Results (RFC 8601) ----
 *
 * The header is tokenised, not split on ";": a quoted string (with
 * backslash escapes) or a comment (nested parentheses) may hold ";" or
 * "dmarc=pass" and is never a separator or a result.  The grammar:
 *
 *   header  = authserv-id [version] ( ";" "none" / *( ";" resinfo ) )
 *   resinfo = method ["/" version] "=" result ["reason" "=" value]
 *             *( ptype "." property "=" pvalue )
 *   pvalue  = value / [local-part] "@" domain   (local-part may be quoted)
 *
 * with CFWS allowed between any two tokens.  A result clause that does not
 * parse is skipped up to the next ";" (it counts for nothing).
 */

typedef enum { TOK_WORD, TOK_QUOTED, TOK_SEMI, TOK_EQ } auth_tok_kind;

typedef struct {
	auth_tok_kind kind;
	char *text;     /* WORD: as written; QUOTED: without quotes and escapes */
	gboolean glued; /* no white space or comment before it */
} auth_tok;

static void
auth_tok_free(auth_tok *t)
{
	g_free(t->text);
	g_free(t);
}

static void
auth_add(GPtrArray *toks, auth_tok_kind kind, char *text, gboolean glued)
{
	auth_tok *t = g_new0(auth_tok, 1);

	t->kind = kind;
	t->text = text;
	t->glued = glued;
	g_ptr_array_add(toks, t);
}

/* The tokens of header value V; comments and white space only clear the
 * "glued" flag of the next token. */
static GPtrArray *
auth_lex(const char *v)
{
	GPtrArray *toks = g_ptr_array_new_with_free_func((GDestroyNotify)auth_tok_free);
	const char *p = v;
	gboolean glued = FALSE;

	while (*p) {
		if (g_ascii_isspace(*p)) {
			glued = FALSE;
			p++;
		} else if (*p == ')') {
			/* A ")" outside a comment is a word of its own, so
			 * that the clause it is in is malformed; the lexer
			 * once never moved past it (found by fuzz-auth). */
			auth_add(toks, TOK_WORD, g_strdup(")"), glued);
			glued = TRUE;
			p++;
		} else if (*p == '(') {
			int depth = 0;

			/* A comment ends at its matching ")"; an unclosed one
			 * takes the rest of the header. */
			for (; *p; p++) {
				if (*p == '\\' && p[1])
					p++;
				else if (*p == '(')
					depth++;
				else if (*p == ')' && --depth == 0) {
					p++;
					break;
				}
			}
			glued = FALSE;
		} else if (*p == '"') {
			GString *q = g_string_new(NULL);

			for (p++; *p && *p != '"'; p++) {
				if (*p == '\\' && p[1])
					p++;
				if (*p != '\r' && *p != '\n')
					g_string_append_c(q, *p);
			}
			if (*p == '"')
				p++;
			auth_add(toks, TOK_QUOTED, g_string_free(q, FALSE), glued);
			glued = TRUE;
		} else if (*p == ';' || *p == '=') {
			auth_add(toks, *p == ';' ? TOK_SEMI : TOK_EQ, NULL, glued);
			glued = FALSE;
			p++;
		} else {
			const char *e = p;

			while (*e && !g_ascii_isspace(*e) && !strchr("();=\"", *e))
				e++;
			auth_add(toks, TOK_WORD, g_strndup(p, e - p), glued);
			glued = TRUE;
			p = e;
		}
	}
	return toks;
}

/* One result clause: "dkim=pass header.d=example.org" gives method
 * "dkim", result "pass" and the property "header.d" (all lower case). */
typedef struct {
	char *method;
	char *result;
	GHashTable *props; /* "ptype.property" -> value */
} auth_result;

static void
auth_result_free(auth_result *r)
{
	g_free(r->method);
	g_free(r->result);
	g_hash_table_unref(r->props);
	g_free(r);
}

static gboolean
is_value(const auth_tok *t)
{
	return t->kind == TOK_WORD || t->kind == TOK_QUOTED;
}

/* The value starting at TOKS[*I]: glued words and quoted strings joined, so
 * that "x;y"@example.org is one value.  NULL when there is none. */
static char *
auth_value(GPtrArray *toks, guint *i)
{
	GString *v;

	if (*i >= toks->len || !is_value(toks->pdata[*i]))
		return NULL;
	v = g_string_new(((auth_tok *)toks->pdata[*i])->text);
	for ((*i)++; *i < toks->len; (*i)++) {
		auth_tok *t = toks->pdata[*i];

		if (!is_value(t) || !t->glued)
			break;
		g_string_append(v, t->text);
	}
	return g_string_free(v, FALSE);
}

/* The word at TOKS[I] when it is one, else NULL. */
static const char *
auth_word(GPtrArray *toks, guint i)
{
	auth_tok *t = i < toks->len ? toks->pdata[i] : NULL;

	return t && t->kind == TOK_WORD ? t->text : NULL;
}

static gboolean
auth_is(GPtrArray *toks, guint i, auth_tok_kind kind)
{
	return i < toks->len && ((auth_tok *)toks->pdata[i])->kind == kind;
}

/* The result clause starting at TOKS[*I] (just after its ";"), NULL when it
 * does not parse; *I ends at the next ";" or the end either way. */
static auth_result *
auth_resinfo(GPtrArray *toks, guint *i)
{
	auth_result *r = g_new0(auth_result, 1);
	const char *method = auth_word(toks, *i);
	const char *result = auth_word(toks, *i + 2);
	gboolean ok = method != NULL && auth_is(toks, *i + 1, TOK_EQ) && result != NULL;

	r->props = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
	if (ok) {
		/* "dkim/1" names the method's version: the method is "dkim". */
		r->method = g_ascii_strdown(method, strcspn(method, "/"));
		r->result = g_ascii_strdown(result, -1);
		*i += 3;
	}
	while (ok && *i < toks->len && !auth_is(toks, *i, TOK_SEMI)) {
		const char *key = auth_word(toks, *i);
		g_autofree char *value = NULL;

		if (key == NULL || !auth_is(toks, *i + 1, TOK_EQ)) {
			ok = FALSE;
			break;
		}
		*i += 2;
		value = auth_value(toks, i);
		if (value == NULL) {
			ok = FALSE;
			break;
		}
		/* reason= is for people; only ptype.property values count. */
		if (strchr(key, '.') != NULL)
			g_hash_table_insert(r->props, g_ascii_strdown(key, -1),
			                    g_steal_pointer(&value));
	}
	while (*i < toks->len && !auth_is(toks, *i, TOK_SEMI))
		(*i)++;
	if (!ok) {
		auth_result_free(r);
		return NULL;
	}
	return r;
}

/* The results of one header value V (auth_result*), and its authserv-id in
 * *ID; NULL when V does not even name one. */
static GPtrArray *
auth_parse(const char *v, char **id)
{
	g_autoptr(GPtrArray) toks = auth_lex(v);
	GPtrArray *results;
	const char *version;
	guint i = 0;

	*id = auth_value(toks, &i);
	if (*id == NULL)
		return NULL;
	results = g_ptr_array_new_with_free_func((GDestroyNotify)auth_result_free);
	/* An optional version number ("example.com 1;"). */
	version = auth_word(toks, i);
	if (version != NULL && strspn(version, "0123456789") == strlen(version))
		i++;
	while (i < toks->len) {
		auth_result *r;

		if (!auth_is(toks, i, TOK_SEMI)) {
			/* Junk before the first ";": nothing here is a result. */
			i++;
			continue;
		}
		i++;
		/* "; none" (no result) parses as no clause. */
		r = auth_resinfo(toks, &i);
		if (r != NULL)
			g_ptr_array_add(results, r);
	}
	return results;
}

/* Relaxed DMARC alignment: D is the From domain or one of its parents. */
static gboolean
aligned(const char *d, const char *from_domain)
{
	gsize dl, fl;

	if (d == NULL || *d == '\0')
		return FALSE;
	if (strchr(d, '@'))
		d = strrchr(d, '@') + 1;
	dl = strlen(d);
	fl = strlen(from_domain);
	if (g_ascii_strcasecmp(d, from_domain) == 0)
		return TRUE;
	/* A parent must still be more than a bare top-level domain. */
	return dl < fl && from_domain[fl - dl - 1] == '.' &&
	       g_ascii_strcasecmp(from_domain + fl - dl, d) == 0 && strchr(d, '.') != NULL;
}

/* What one result says about the From domain FROM_DOMAIN. */
static rd_auth_verdict
auth_result_verdict(const auth_result *r, const char *from_domain)
{
	if (strcmp(r->method, "dmarc") == 0) {
		const char *hf = g_hash_table_lookup(r->props, "header.from");

		/* A verdict about another domain says nothing about this
		 * From, and one without header.from names no domain. */
		if (hf == NULL || g_ascii_strcasecmp(hf, from_domain) != 0)
			return RD_AUTH_NONE;
		if (strcmp(r->result, "pass") == 0)
			return RD_AUTH_PASS;
		if (strcmp(r->result, "fail") == 0)
			return RD_AUTH_FAIL;
	} else if (strcmp(r->method, "dkim") == 0 && strcmp(r->result, "pass") == 0) {
		const char *d = g_hash_table_lookup(r->props, "header.d");

		if (aligned(d ? d : g_hash_table_lookup(r->props, "header.i"), from_domain))
			return RD_AUTH_PASS;
	}
	return RD_AUTH_NONE;
}

/* Which headers count: only those of the trusted server, and only the
 * topmost run of them.  The trusted MTA adds its headers above everything
 * that came with the mail (and should remove any that claim its name,
 * RFC 8601 section 5); a header with its name below another server's
 * header was there before some other hop handled the mail, so whoever sent
 * it may have written it.  Within the run a dmarc=fail for the From domain
 * outweighs any pass: it is evidence of forgery. */
rd_auth_verdict
rd_command_auth_verdict(GMimeMessage *msg, const char *authserv_id, const char *from)
{
	GMimeHeaderList *hl;
	const char *at;
	gboolean pass = FALSE;
	int n;

	if (msg == NULL || authserv_id == NULL || *authserv_id == '\0' || from == NULL ||
	    (at = strrchr(from, '@')) == NULL)
		return RD_AUTH_NONE;
	hl = g_mime_object_get_header_list(GMIME_OBJECT(msg));
	n = g_mime_header_list_get_count(hl);
	for (int i = 0; i < n; i++) {
		GMimeHeader *h = g_mime_header_list_get_header_at(hl, i);
		g_autoptr(GPtrArray) results = NULL;
		g_autofree char *id = NULL;
		const char *raw;

		if (g_ascii_strcasecmp(g_mime_header_get_name(h), "Authentication-Results") != 0)
			continue;
		raw = g_mime_header_get_raw_value(h);
		results = auth_parse(raw ? raw : "", &id);
		if (results == NULL || g_ascii_strcasecmp(id, authserv_id) != 0)
			break;
		for (guint k = 0; k < results->len; k++) {
			rd_auth_verdict v = auth_result_verdict(results->pdata[k], at + 1);

			if (v == RD_AUTH_FAIL)
				return RD_AUTH_FAIL;
			pass = pass || v == RD_AUTH_PASS;
		}
	}
	return pass ? RD_AUTH_PASS : RD_AUTH_NONE;
}

gboolean
rd_command_auth_trusted(GMimeMessage *msg, const char *authserv_id, const char *from)
{
	return rd_command_auth_verdict(msg, authserv_id, from) == RD_AUTH_PASS;
}
