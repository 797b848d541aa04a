/* subject.c - reply/forward/[tag] prefixes and subject normalisation.
 *
 * A subject is read as a run of prefixes followed by the base subject.  A
 * prefix is one of:
 *
 *  - a reply or forward word from the tables below, compared after NFKC
 *    normalisation and case folding (so "RE", "Re", "re" and the full-width
 *    "Ｒｅ" are one word), optionally followed by a counter ("[2]", "(2)",
 *    "^2"), optional spaces (French mail writes "Réf. :") and a colon, ASCII
 *    ":" or full-width "：";
 *  - a list tag: a bracket group at the start, 1 to 32 bytes long with no
 *    whitespace and no nested brackets inside ("[care]", "[EXTERNAL]",
 *    "[SPAM?]").  Groups with spaces ("[Draft v2] agenda") are real words of
 *    the subject and stay.  A tag is only a prefix when something follows it,
 *    so a subject that is nothing but "[care]" keeps it.
 *
 * Everything after the last prefix is the base; "Re:" inside it stays.
 */
#include <string.h>

#include "subject.h"

/* Reply words, written as people's mail clients write them; compared after
 * NFKC + case folding, so one spelling per word is enough. */
static const char *const reply_words[] = {
    "re",   "aw",   "sv",   "vs",   "antw", "antwort", "réf.",  "réf",  "ref.",
    "ref",  "rif",  "r",    "odp",  "ynt",  "vá",      "atb",   "vast", "απ",
    "σχετ", "回复", "回覆", "答复", "返信", "отв",     "ответ", NULL,
};

/* Forward words: stripped like reply words but not a sign of a reply. */
static const char *const forward_words[] = {
    "fwd", "fw", "fwd.",   "wg",   "tr",   "rv",   "enc",    "pd",
    "vb",  "vl", "doorst", "转发", "轉寄", "転送", "пересл", NULL,
};

/* Prefix words are short; anything longer is the start of the base. */
#define RD_SUBJECT_MAX_WORD 24
/* List tags longer than this are part of the subject, not a tag. */
#define RD_SUBJECT_MAX_TAG 32

typedef enum {
	PREFIX_NONE,
	PREFIX_TAG,
	PREFIX_REPLY,
	PREFIX_FORWARD,
} prefix_kind;

static gboolean
in_table(const char *const *table, const char *word)
{
	for (; *table != NULL; table++) {
		if (strcmp(*table, word) == 0)
			return TRUE;
	}
	return FALSE;
}

static gboolean
is_space(const char *p)
{
	return g_unichar_isspace(g_utf8_get_char(p));
}

static const char *
skip_spaces(const char *p)
{
	while (*p != '\0' && is_space(p))
		p = g_utf8_next_char(p);
	return p;
}

/* A colon, ASCII or full-width (U+FF1A, written by CJK input methods):
 * returns the position after it, or NULL. */
static const char *
after_colon(const char *p)
{
	if (*p == ':')
		return p + 1;
	if (g_utf8_get_char(p) == 0xFF1A)
		return g_utf8_next_char(p);
	return NULL;
}

/* The counter some clients add to a reply word: "[2]", "(2)" or "^2". */
static const char *
skip_counter(const char *p)
{
	const char *q;
	char close;

	if (*p == '^') {
		q = p + 1;
		if (!g_ascii_isdigit(*q))
			return p;
		while (g_ascii_isdigit(*q))
			q++;
		return q;
	}
	if (*p == '[')
		close = ']';
	else if (*p == '(')
		close = ')';
	else
		return p;
	q = p + 1;
	if (!g_ascii_isdigit(*q))
		return p;
	while (g_ascii_isdigit(*q))
		q++;
	return *q == close ? q + 1 : p;
}

/* Try to read one reply/forward word prefix at P.  On success returns its
 * kind and sets *END just after its colon. */
static prefix_kind
read_word_prefix(const char *p, const char **end)
{
	const char *q = p;
	const char *r;

	/* The word runs up to a colon, a counter, a space or a bracket. */
	while (*q != '\0' && *q != ':' && *q != '[' && *q != '(' && *q != '^' && *q != ']' &&
	       g_utf8_get_char(q) != 0xFF1A && !is_space(q)) {
		q = g_utf8_next_char(q);
		if (q - p > RD_SUBJECT_MAX_WORD)
			return PREFIX_NONE;
	}
	if (q == p)
		return PREFIX_NONE;

	r = skip_counter(q);
	/* Spaces before the colon only, as in "Réf. :" and "RE :". */
	while (*r == ' ' || *r == '\t')
		r++;
	r = after_colon(r);
	if (r == NULL)
		return PREFIX_NONE;

	g_autofree char *nfkc = g_utf8_normalize(p, q - p, G_NORMALIZE_ALL_COMPOSE);
	if (nfkc == NULL)
		return PREFIX_NONE;
	g_autofree char *folded = g_utf8_casefold(nfkc, -1);
	g_autofree char *word = g_utf8_normalize(folded, -1, G_NORMALIZE_ALL_COMPOSE);
	if (word == NULL)
		return PREFIX_NONE;

	if (in_table(reply_words, word)) {
		*end = r;
		return PREFIX_REPLY;
	}
	if (in_table(forward_words, word)) {
		*end = r;
		return PREFIX_FORWARD;
	}
	return PREFIX_NONE;
}

/* Try to read a [tag] prefix at P (see the rule at the top of the file). */
static prefix_kind
read_tag_prefix(const char *p, const char **end)
{
	const char *q;

	if (*p != '[')
		return PREFIX_NONE;
	q = p + 1;
	while (*q != '\0' && *q != ']') {
		if (*q == '[' || is_space(q) || q - (p + 1) >= RD_SUBJECT_MAX_TAG)
			return PREFIX_NONE;
		q = g_utf8_next_char(q);
	}
	if (*q != ']' || q == p + 1)
		return PREFIX_NONE;
	/* Nothing after the tag: it is the whole subject, keep it. */
	if (*skip_spaces(q + 1) == '\0')
		return PREFIX_NONE;
	*end = q + 1;
	return PREFIX_TAG;
}

/* Walk the prefixes of S (valid UTF-8).  Returns the start of the base and
 * sets *first_word to the kind of the first reply/forward word met (tags
 * do not count), PREFIX_NONE if none. */
static const char *
strip_prefixes(const char *s, prefix_kind *first_word)
{
	const char *p = skip_spaces(s);
	const char *end = NULL;
	prefix_kind k;

	*first_word = PREFIX_NONE;
	for (;;) {
		k = read_tag_prefix(p, &end);
		if (k == PREFIX_NONE)
			k = read_word_prefix(p, &end);
		if (k == PREFIX_NONE)
			break;
		if (k != PREFIX_TAG && *first_word == PREFIX_NONE)
			*first_word = k;
		p = skip_spaces(end);
	}
	return p;
}

/* Subjects come decoded from GMime and should be UTF-8; anything else is
 * repaired so that the UTF-8 walkers above never read past a string. */
static char *
valid_copy(const char *subject)
{
	if (subject == NULL)
		return g_strdup("");
	return g_utf8_make_valid(subject, -1);
}

char *
rd_subject_base(const char *subject)
{
	g_autofree char *s = valid_copy(subject);
	prefix_kind first;
	const char *base = strip_prefixes(s, &first);
	char *out = g_strdup(base);

	return g_strchomp(out);
}

gboolean
rd_subject_is_reply(const char *subject)
{
	g_autofree char *s = valid_copy(subject);
	prefix_kind first;

	strip_prefixes(s, &first);
	return first == PREFIX_REPLY;
}

char *
rd_subject_normalize(const char *subject)
{
	g_autofree char *base = rd_subject_base(subject);
	g_autofree char *nfkc = g_utf8_normalize(base, -1, G_NORMALIZE_ALL_COMPOSE);
	g_autofree char *folded = g_utf8_casefold(nfkc != NULL ? nfkc : "", -1);
	g_autofree char *again = g_utf8_normalize(folded, -1, G_NORMALIZE_ALL_COMPOSE);
	GString *out = g_string_new(NULL);
	const char *p = again != NULL ? again : "";

	/* Collapse every run of white space (any Unicode space, tabs and the
	 * folding left by long encoded headers) into one ASCII space. */
	p = skip_spaces(p);
	while (*p != '\0') {
		if (is_space(p)) {
			p = skip_spaces(p);
			if (*p != '\0')
				g_string_append_c(out, ' ');
			continue;
		}
		const char *next = g_utf8_next_char(p);
		g_string_append_len(out, p, next - p);
		p = next;
	}
	return g_string_free(out, FALSE);
}
