/* mta-util.c - what the rows of the mta backend table share: problem
 * sentences, address kinds and reading configuration text.  A leaf below
 * mta.c and every mta-<name>.c, so the table and its rows call no cycle.
 */
#include <stdarg.h>
#include <string.h>

#include "mta-internal.h"

/* The extensions whose addresses must all reach rounds (see address.c); the
 * tokens are samples of the right shape. */
static const char *const sample_ext[] = {
    "request",        "owner",          "subscribe",      "unsubscribe",    "help",
    "r-k7q2mxw4ad5e", "c-k7q2mxw4ad5e", "b-k7q2mxw4ad5e", "d-k7q2mxw4ad5e",
};

/* ---- helpers shared by the checks ---- */

/* One problem per line; the same sentence is reported once. */
void
mta_problem(GPtrArray *problems, const char *fmt, ...)
{
	va_list ap;
	char *msg;

	va_start(ap, fmt);
	msg = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	for (guint i = 0; i < problems->len; i++) {
		if (strcmp(problems->pdata[i], msg) == 0) {
			g_free(msg);
			return;
		}
	}
	g_ptr_array_add(problems, msg);
}

/* Split "local@domain"; FALSE when it is not an address. */
gboolean
mta_split_address(const char *addr, char **local, char **domain)
{
	const char *at = strrchr(addr, '@');

	if (at == NULL || at == addr || at[1] == '\0')
		return FALSE;
	*local = g_ascii_strdown(addr, at - addr);
	*domain = g_ascii_strdown(at + 1, -1);
	return TRUE;
}

/* Every address of the community whose post address is LOCAL@DOMAIN, with
 * the name of its kind: pairs (address, kind) in a flat array. */
GPtrArray *
mta_address_kinds(const char *local, const char *domain, char delim)
{
	GPtrArray *a = g_ptr_array_new_with_free_func(g_free);

	g_ptr_array_add(a, g_strdup_printf("%s@%s", local, domain));
	g_ptr_array_add(a, g_strdup("post"));
	for (gsize i = 0; i < G_N_ELEMENTS(sample_ext); i++) {
		g_ptr_array_add(a,
		                g_strdup_printf("%s%c%s@%s", local, delim, sample_ext[i], domain));
		g_ptr_array_add(a, g_strdup_printf("%c%s", delim, sample_ext[i]));
	}
	/* The fixed "-request" form works whatever the delimiter. */
	if (delim != '-') {
		g_ptr_array_add(a, g_strdup_printf("%s-request@%s", local, domain));
		g_ptr_array_add(a, g_strdup("-request"));
	}
	return a;
}

gboolean
mta_word_in(const char *list, const char *word)
{
	g_auto(GStrv) parts = g_strsplit_set(list ? list : "", " \t\n,", -1);

	for (char **p = parts; *p != NULL; p++) {
		if (**p != '\0' && g_ascii_strcasecmp(*p, word) == 0)
			return TRUE;
	}
	return FALSE;
}

GPtrArray *
mta_logical_lines(const char *text)
{
	GPtrArray *out = g_ptr_array_new_with_free_func(g_free);
	g_auto(GStrv) lines = g_strsplit(text, "\n", -1);
	GString *cur = NULL;

	for (char **l = lines; *l != NULL; l++) {
		char *line = *l;
		gsize n;

		n = strlen(line);
		if (cur == NULL) {
			const char *s = line + strspn(line, " \t");

			if (*s == '#')
				continue;
			cur = g_string_new(NULL);
			/* Keep the indentation: Exim driver names start at column 0. */
		} else {
			line = line + strspn(line, " \t");
			n = strlen(line);
		}
		if (n > 0 && line[n - 1] == '\\') {
			g_string_append_len(cur, line, n - 1);
			continue;
		}
		g_string_append(cur, line);
		g_ptr_array_add(out, g_string_free(cur, FALSE));
		cur = NULL;
	}
	if (cur != NULL)
		g_ptr_array_add(out, g_string_free(cur, FALSE));
	return out;
}
