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

/* The value of property PROP ("header.from", "header.d") in one result
 * clause, without comments, or NULL. */
static char *
clause_property(const char *clause, const char *prop)
{
	gsize n = strlen(prop);
	const char *p = clause;

	while ((p = strstr(p, prop)) != NULL) {
		if ((p == clause || g_ascii_isspace(p[-1])) && p[n] == '=') {
			const char *v = p + n + 1;
			const char *e = v;

			while (*e && !g_ascii_isspace(*e) && *e != ';' && *e != '(')
				e++;
			return g_ascii_strdown(v, e - v);
		}
		p += n;
	}
	return NULL;
}

/* Relaxed DMARC alignment: D is the From domain or one of its parents. */
static gboolean
aligned(const char *d, const char *from_domain)
{
	gsize dl, fl;

	if (d == NULL || *d == '\0')
		return FALSE;
	if (*d == '@')
		d++;
	else if (strchr(d, '@'))
		d = strchr(d, '@') + 1;
	dl = strlen(d);
	fl = strlen(from_domain);
	if (g_ascii_strcasecmp(d, from_domain) == 0)
		return TRUE;
	/* A parent must still be more than a bare top-level domain. */
	return dl < fl && from_domain[fl - dl - 1] == '.' &&
	       g_ascii_strcasecmp(from_domain + fl - dl, d) == 0 && strchr(d, '.') != NULL;
}

/* Remove (comments) from an Authentication-Results value. */
static char *
strip_comments(const char *v)
{
	GString *out = g_string_new(NULL);
	int depth = 0;

	for (const char *p = v; *p; p++) {
		if (*p == '(')
			depth++;
		else if (*p == ')' && depth > 0)
			depth--;
		else if (depth == 0)
			g_string_append_c(out, g_ascii_isspace(*p) ? ' ' : g_ascii_tolower(*p));
	}
	return g_string_free(out, FALSE);
}

gboolean
rd_command_auth_trusted(GMimeMessage *msg, const char *authserv_id, const char *from)
{
	GMimeHeaderList *hl;
	const char *at;
	int n;

	if (msg == NULL || authserv_id == NULL || *authserv_id == '\0' || from == NULL ||
	    (at = strrchr(from, '@')) == NULL)
		return FALSE;
	hl = g_mime_object_get_header_list(GMIME_OBJECT(msg));
	n = g_mime_header_list_get_count(hl);
	for (int i = 0; i < n; i++) {
		GMimeHeader *h = g_mime_header_list_get_header_at(hl, i);
		g_autofree char *v = NULL;
		g_auto(GStrv) clauses = NULL;
		g_autofree char *id = NULL;

		if (g_ascii_strcasecmp(g_mime_header_get_name(h), "Authentication-Results") != 0)
			continue;
		v = strip_comments(g_mime_header_get_raw_value(h));
		clauses = g_strsplit(v, ";", -1);
		id = rd_command_first_word(clauses[0] ? clauses[0] : "");
		if (g_ascii_strcasecmp(id, authserv_id) != 0)
			continue;
		/* Only the topmost header of the trusted server counts: the
		 * server adds its own above anything the sender forged (and
		 * should remove forged ones, RFC 8601 section 5). */
		for (guint k = 1; clauses[k] != NULL; k++) {
			g_autofree char *c = g_strdup(g_strstrip(clauses[k]));

			if (g_str_has_prefix(c, "dmarc=pass")) {
				g_autofree char *hf = clause_property(c, "header.from");

				if (hf == NULL || aligned(hf, at + 1))
					return TRUE;
			} else if (g_str_has_prefix(c, "dkim=pass")) {
				g_autofree char *d = clause_property(c, "header.d");
				g_autofree char *ii = d ? NULL : clause_property(c, "header.i");

				if (aligned(d ? d : ii, at + 1))
					return TRUE;
			}
		}
		return FALSE;
	}
	return FALSE;
}
