/* trim.c - the new text of a reply.
 *
 * The text is split into lines, each classified once (blank, quoted, text),
 * then a few linear passes mark lines to drop:
 *   1. the first hard cut: an Outlook-style header block, an "Original
 *      Message" rule, the underscore divider, or an attribution followed by
 *      unmarked original text; everything after it is old.  A forward marker
 *      met first protects the rest instead (forwarded text is content);
 *   2. runs of quoted lines with the attribution line(s) just before them;
 *   3. signatures: "-- ", "Sent from my iPhone" and friends, up to the next
 *      quote (so inline answers below a signature survive);
 *   4. a trailing block pasted back from the digest, and a trailing block
 *      repeating the sender's signature from earlier messages.
 * Pattern tests only look at bounded prefixes of short lines, so huge or
 * hostile input stays linear.
 */
#include <string.h>

#include "html.h"
#include "trim.h"

typedef enum { L_BLANK, L_QUOTE, L_TEXT } line_kind;

typedef struct {
	const char *s; /* not NUL-terminated */
	gsize len;
	line_kind kind;
	gboolean drop;
} line;

/* Longest line examined for attributions and signatures; real ones are far
 * shorter, and the bound keeps megabyte lines cheap. */
#define MAX_PATTERN_LINE 600

/* "wrote" in the languages mail clients write attributions in (lower case). */
static const char *const wrote_words[] = {
    "wrote",
    "writes",
    "schrieb",
    "geschrieben",
    "\xc3\xa9"
    "crit",
    "escribi\xc3\xb3",
    "escribio",
    "scritto",
    "scrisse",
    "schreef",
    "geschreven",
    "escreveu",
    "skrev",
    "napisa\xc5\x82",
    "napisal",
    "\xd0\xbd\xd0\xb0\xd0\xbf\xd0\xb8\xd1\x81\xd0\xb0\xd0\xbb",     /* написал */
    "\xd0\xbd\xd0\xb0\xd0\xbf\xd0\xb8\xd1\x81\xd0\xb0\xd0\xb2",     /* написав */
    "\xd0\xbf\xd0\xb8\xd1\x88\xd0\xb5",                             /* пише */
    "\xd0\xbf\xd0\xb8\xd1\x81\xd0\xb0\xd0\xbb",                     /* писал */
    "\xe5\x86\x99\xe9\x81\x93",                                     /* 写道 */
    "\xe5\xaf\xab\xe9\x81\x93",                                     /* 寫道 */
    "\xe6\x9b\xb8\xe3\x81\x8d\xe3\x81\xbe\xe3\x81\x97\xe3\x81\x9f", /* 書きました */
    "\xe3\x81\xae\xe3\x83\xa1\xe3\x83\x83\xe3\x82\xbb\xe3\x83\xbc\xe3\x82\xb8", /* のメッセージ */
    "\xe3\x81\xae\xe3\x83\xa1\xe3\x83\xbc\xe3\x83\xab",                         /* のメール */
    "kirjoitti",
    "\xc3\xadrta",
    "yazd\xc4\xb1",
    "napsal",
    "\xd9\x83\xd8\xaa\xd8\xa8", /* كتب */
};

/* How attributions begin ("On ...", "Am ...", "Le ..."), lower case. */
static const char *const lead_words[] = {
    "on ",
    "am ",
    "le ",
    "el ",
    "il ",
    "op ",
    "em ",
    "den ",
    "p\xc3\xa5 ",
    "w dniu ",
    "dnia ",
    "\xd0\xb2 ",         /* в */
    "\xd0\xb2\xd0\xbe ", /* во */
    "\xd1\x83 ",         /* у */
    "quoting ",
    "zitat von ",
    "citando ",
    "citation ",
    "\xe5\x9c\xa8",
    "\xe6\x96\xbc",
    "\xd9\x81\xd9\x8a ", /* في */
};

/* Words that make a dashed rule or a "...:" line a forward marker. */
static const char *const forward_words[] = {
    "forward",
    "weitergeleitet",
    "transf\xc3\xa9r",
    "r\xc3\xa9"
    "exp\xc3\xa9"
    "di",
    "reenviad",
    "inoltrat",
    "doorgestuurd",
    "encaminhad",
    "vidarebefordra",
    "videresend",
    "przekaza",
    "\xd0\xbf\xd0\xb5\xd1\x80\xd0\xb5\xd1\x81\xd1\x8b\xd0\xbb", /* пересыл */
    "\xd0\xbf\xd0\xb5\xd1\x80\xd0\xb5\xd1\x81\xd0\xbb",         /* пересл */
    "\xd0\xbf\xd0\xb5\xd1\x80\xd0\xb5\xd1\x81\xd0\xb8\xd0\xbb", /* пересил */
    "\xe8\xbd\xac\xe5\x8f\x91",                                 /* 转发 */
    "\xe8\xbd\x89\xe5\xaf\x84",                                 /* 轉寄 */
    "\xe8\xbd\xac\xe5\xaf\x84",                                 /* 转寄 */
    "\xe8\xbb\xa2\xe9\x80\x81",                                 /* 転送 */
};

/* Words that make a dashed rule an "Original Message" marker. */
static const char *const original_words[] = {
    "original",
    "urspr\xc3\xbcngliche",
    "origine",
    "oorspronkelijk",
    "ursprungligt",
    "opprinnelig",
    "oprindelig",
    "oryginalna",
    "\xd0\xb8\xd1\x81\xd1\x85\xd0\xbe\xd0\xb4\xd0\xbd",                 /* исходн */
    "\xd0\xbe\xd1\x80\xd0\xb8\xd0\xb3\xd1\x96\xd0\xbd\xd0\xb0\xd0\xbb", /* оригінал */
    "\xd0\xbf\xd0\xbe\xd1\x87\xd0\xb0\xd1\x82\xd0\xba\xd0\xbe\xd0\xb2", /* початков */
    "\xe5\x8e\x9f\xe5\xa7\x8b",                                         /* 原始 */
    "\xe5\x85\x83\xe3\x81\xae",                                         /* 元の */
    "reply message",
    "p\xc5\xafvodn\xc3\xad",                 /* původní */
    "alkuper\xc3\xa4inen",                    /* alkuperäinen */
    "eredeti",
    "mensaje",
    "messaggio",
    "\xce\xb1\xcf\x81\xcf\x87\xce\xb9\xce\xba\xcf\x8c", /* αρχικό */
};

/* Labels of the "From:" line of a quoted header block. */
static const char
    *const
        from_labels
            [] =
                {
                    "from",
                    "von",
                    "de",
                    "da",
                    "van",
                    "fr\xc3\xa5n",
                    "fra",
                    "od",
                    "\xd0\xbe\xd1\x82",                     /* от */
                    "\xd0\xb2\xd1\x96\xd0\xb4",             /* від */
                    "\xe5\x8f\x91\xe4\xbb\xb6\xe4\xba\xba", /* 发件人 */
                    "\xe5\xaf\x84\xe4\xbb\xb6\xe8\x80\x85", /* 寄件者 */
                    "\xe5\xb7\xae\xe5\x87\xba\xe4\xba\xba", /* 差出人 */
                    "exp\xc3\xa9"
                    "diteur",
                    "remitente",
                    "mittente",
                    "afzender",
                    "remetente",
                    "avs\xc3\xa4ndare",
                    "avsender",
                    "afsender",
                    "nadawca",
                    "\xd9\x85\xd9\x86", /* من */
                    "l\xc3\xa4hett\xc3\xa4j\xc3\xa4", /* lähettäjä */
                    "felad\xc3\xb3",                   /* feladó */
                    "message du",
                    "\xd0\xbe\xd1\x82\xd0\xbf\xd1\x80\xd0\xb0\xd0\xb2\xd0\xb8\xd1\x82\xd0\xb5\xd0"
                    "\xbb\xd1\x8c", /* отправитель */
                    "\xd0\xb2\xd1\x96\xd0\xb4\xd0\xbf\xd1\x80\xd0\xb0\xd0\xb2\xd0\xbd\xd0\xb8\xd0"
                    "\xba", /* відправник */
};

/* The other labels of such a block: sent/date, to, cc, subject. */
static const char *const header_labels[] = {
    "sent",
    "date",
    "to",
    "cc",
    "subject",
    "reply-to",
    "bcc",
    "\xd8\xaa\xd9\x85 \xd8\xa7\xd9\x84\xd8\xa5\xd8\xb1\xd8\xb3\xd8\xa7\xd9\x84", /* تم الإرسال */
    "\xd8\xa5\xd9\x84\xd9\x89",                                     /* إلى */
    "\xd8\xa7\xd9\x84\xd9\x85\xd9\x88\xd8\xb6\xd9\x88\xd8\xb9", /* الموضوع */
    "envoy\xc3\xa9 le",
    "copie \xc3\xa0",
    "sujet",
    "dato",
    "cco",
    "enviado el",
    "l\xc3\xa4hetetty",      /* lähetetty */
    "vastaanottaja",
    "aihe",
    "odesl\xc3\xa1no",       /* odesláno */
    "komu",
    "p\xc5\x99" "edm\xc4\x9bt", /* předmět */
    "elk\xc3\xbcldve",       /* elküldve */
    "c\xc3\xadmzett",        /* címzett */
    "t\xc3\xa1rgy",          /* tárgy */
    "gesendet",
    "datum",
    "an",
    "kopie",
    "betreff",
    "envoy\xc3\xa9",
    "\xc3\xa0",
    "objet",
    "enviado",
    "fecha",
    "para",
    "asunto",
    "inviato",
    "data",
    "a",
    "oggetto",
    "verzonden",
    "aan",
    "onderwerp",
    "enviada",
    "assunto",
    "skickat",
    "till",
    "kopia",
    "\xc3\xa4mne",
    "sendt",
    "til",
    "emne",
    "wys\xc5\x82"
    "ano",
    "do",
    "dw",
    "temat",
    "\xd0\xbe\xd1\x82\xd0\xbf\xd1\x80\xd0\xb0\xd0\xb2\xd0\xbb\xd0\xb5\xd0\xbd\xd0\xbe", /* отправлено
                                                                                         */
    "\xd0\xb4\xd0\xb0\xd1\x82\xd0\xb0",                                         /* дата */
    "\xd0\xba\xd0\xbe\xd0\xbc\xd1\x83",                                         /* кому */
    "\xd1\x82\xd0\xb5\xd0\xbc\xd0\xb0",                                         /* тема */
    "\xd0\xba\xd0\xbe\xd0\xbf\xd0\xb8\xd1\x8f",                                 /* копия */
    "\xd0\xbd\xd0\xb0\xd0\xb4\xd1\x96\xd1\x81\xd0\xbb\xd0\xb0\xd0\xbd\xd0\xbe", /* надіслано */
    "\xd0\xb4\xd0\xbe",                                                         /* до */
    "\xd0\xba\xd0\xbe\xd0\xbf\xd1\x96\xd1\x8f",                                 /* копія */
    "\xe5\x8f\x91\xe9\x80\x81\xe6\x97\xb6\xe9\x97\xb4",                         /* 发送时间 */
    "\xe6\x97\xa5\xe6\x9c\x9f",                                                 /* 日期 */
    "\xe6\x94\xb6\xe4\xbb\xb6\xe4\xba\xba",                                     /* 收件人 */
    "\xe4\xb8\xbb\xe9\xa2\x98",                                                 /* 主题 */
    "\xe6\x8a\x84\xe9\x80\x81",                                                 /* 抄送 */
    "\xe5\x82\xb3\xe9\x80\x81\xe6\x99\x82\xe9\x96\x93",                         /* 傳送時間 */
    "\xe6\x94\xb6\xe4\xbb\xb6\xe8\x80\x85",                                     /* 收件者 */
    "\xe4\xb8\xbb\xe6\x97\xa8",                                                 /* 主旨 */
    "\xe9\x80\x81\xe4\xbf\xa1\xe6\x97\xa5\xe6\x99\x82",                         /* 送信日時 */
    "\xe6\x97\xa5\xe4\xbb\x98",                                                 /* 日付 */
    "\xe5\xae\x9b\xe5\x85\x88",                                                 /* 宛先 */
    "\xe4\xbb\xb6\xe5\x90\x8d",                                                 /* 件名 */
};

/* Beginnings of mobile and webmail signature lines, lower case. */
static const char *const sent_from[] =
    {
        "sent from ",
        "sent via ",
        "sent with ",
        "sent using ",
        "von meinem ",
        "gesendet von ",
        "gesendet mit ",
        "envoy\xc3\xa9 de ",
        "envoy\xc3\xa9 depuis ",
        "enviado desde ",
        "envoy\xc3\xa9 \xc3\xa0 partir de ",
        "l\xc3\xa4hetetty ",
        "trimis de pe ",
        "\xd8\xa3\xd9\x8f\xd8\xb1\xd8\xb3\xd9\x84\xd8\xaa \xd9\x85\xd9\x86 ", /* أُرسلت من */
        "enviado do ",
        "enviado de ",
        "enviado a partir ",
        "inviato da ",
        "inviato dal ",
        "verzonden vanaf ",
        "verstuurd vanaf ",
        "verzonden met ",
        "verstuurd met ",
        "skickat fr\xc3\xa5n ",
        "skickat med ",
        "sendt fra ",
        "sendt med ",
        "wys\xc5\x82"
        "ane z ",
        "wys\xc5\x82"
        "ano z ",
        "\xd0\xbe\xd1\x82\xd0\xbf\xd1\x80\xd0\xb0\xd0\xb2\xd0\xbb\xd0\xb5\xd0\xbd\xd0\xbe "
        "\xd1\x81 ", /* отправлено с */
        "\xd0\xbe\xd1\x82\xd0\xbf\xd1\x80\xd0\xb0\xd0\xb2\xd0\xbb\xd0\xb5\xd0\xbd\xd0\xbe "
        "\xd0\xb8\xd0\xb7 ", /* отправлено из */
        "\xd0\xbd\xd0\xb0\xd0\xb4\xd1\x96\xd1\x81\xd0\xbb\xd0\xb0\xd0\xbd\xd0\xbe \xd0\xb7 ", /* надіслано
                                                                                                 з
                                                                                               */
        "\xd0\xb2\xd1\x96\xd0\xb4\xd0\xbf\xd1\x80\xd0\xb0\xd0\xb2\xd0\xbb\xd0\xb5\xd0\xbd\xd0\xbe "
        "\xd0\xb7 ",                            /* відправлено з */
        "\xe5\x8f\x91\xe8\x87\xaa",             /* 发自 */
        "\xe7\x99\xbc\xe8\x87\xaa",             /* 發自 */
        "\xe4\xbb\x8e\xe6\x88\x91\xe7\x9a\x84", /* 从我的 */
        "\xe5\x82\xb3\xe9\x80\x81\xe8\x87\xaa", /* 傳送自 */
};

/* Invisible characters count as white space: zero-width spaces and
 * joiners, direction marks, the byte-order mark, soft hyphens, the
 * combining grapheme joiner and the object replacement character some
 * webmail inserts as a one-character tracking glyph. Returns the length of
 * the white-space character at p, or 0. */
static int
space_len(const char *p, const char *end)
{
	const guchar *u = (const guchar *)p;
	gssize left = end - p;

	if (left >= 1 && (*p == ' ' || *p == '\t' || *p == '\f' || *p == '\v'))
		return 1;
	if (left >= 2 && ((u[0] == 0xc2 && (u[1] == 0xa0 || u[1] == 0xad)) ||
	                  (u[0] == 0xcd && u[1] == 0x8f)))
		return 2;
	if (left < 3)
		return 0;
	if (u[0] == 0xe2 && u[1] == 0x80 && (u[2] >= 0x8b && u[2] <= 0x8f))
		return 3; /* U+200B..U+200F */
	if (u[0] == 0xe2 && u[1] == 0x80 && (u[2] >= 0xaa && u[2] <= 0xae))
		return 3; /* U+202A..U+202E, bidirectional embeddings */
	if (u[0] == 0xe2 && u[1] == 0x81 && (u[2] == 0xa0 || (u[2] >= 0xa6 && u[2] <= 0xa9)))
		return 3; /* U+2060, U+2066..U+2069 */
	if (u[0] == 0xef && ((u[1] == 0xbb && u[2] == 0xbf) || (u[1] == 0xbf && u[2] == 0xbc)))
		return 3; /* U+FEFF, U+FFFC */
	if (u[0] == 0xe3 && u[1] == 0x80 && u[2] == 0x80)
		return 3; /* U+3000 */
	return 0;
}

static gboolean
is_space_at(const char *p, const char *end, int *adv)
{
	*adv = space_len(p, end);
	return *adv > 0;
}

/* The length of the white-space character ending at end, or 0. */
static int
space_len_before(const char *start, const char *end)
{
	for (int n = 1; n <= 3 && end - n >= start; n++) {
		if (space_len(end - n, end) == n)
			return n;
	}
	return 0;
}

/* The line without surrounding white space. */
static void
strip(const line *l, const char **s, gsize *len)
{
	const char *p = l->s, *end = l->s + l->len;
	int adv;

	while (is_space_at(p, end, &adv))
		p += adv;
	while (end > p && (adv = space_len_before(p, end)) > 0)
		end -= adv;
	*s = p;
	*len = end - p;
}

/* Lower-case copy of at most max bytes of s, cut at a character boundary. */
static char *
lower(const char *s, gsize len, gsize max)
{
	if (len > max) {
		const char *cut = s + max;
		while (cut > s && ((guchar)*cut & 0xC0) == 0x80)
			cut--;
		len = cut - s;
	}
	return g_utf8_strdown(s, len);
}

static gboolean
contains_any(const char *hay, const char *const *words, gsize n)
{
	for (gsize i = 0; i < n; i++) {
		if (strstr(hay, words[i]) != NULL)
			return TRUE;
	}
	return FALSE;
}

static gboolean
starts_any(const char *s, const char *const *words, gsize n)
{
	for (gsize i = 0; i < n; i++) {
		if (g_str_has_prefix(s, words[i]))
			return TRUE;
	}
	return FALSE;
}

static gboolean
ends_with_colon(const char *s)
{
	gsize n = strlen(s);

	return (n > 0 && s[n - 1] == ':') || g_str_has_suffix(s, "\xef\xbc\x9a"); /* U+FF1A */
}

static gboolean
has_address(const char *s)
{
	return strchr(s, '@') != NULL || strchr(s, '<') != NULL;
}

/* Whether a (lower-cased) line names a date or a time. */
static gboolean
has_date(const char *s)
{
	if (strstr(s, "\xe5\xb9\xb4") != NULL)
		return TRUE; /* 年: CJK dates */
	for (const char *p = s; *p != '\0'; p++) {
		/* A time like 9:14 or a year like 2024. */
		if (g_ascii_isdigit(p[0]) && p[1] == ':' && g_ascii_isdigit(p[2]) &&
		    g_ascii_isdigit(p[3]))
			return TRUE;
		if ((p[0] == '1' || p[0] == '2') && (p[1] == '9' || p[1] == '0') &&
		    g_ascii_isdigit(p[2]) && g_ascii_isdigit(p[3]) && !g_ascii_isdigit(p[4]) &&
		    (p == s || !g_ascii_isdigit(p[-1])))
			return TRUE;
	}
	return FALSE;
}

/* Whether a (lower-cased) line names a date, a time or an address, as an
 * attribution does. */
static gboolean
has_date_or_address(const char *s)
{
	return has_address(s) || has_date(s);
}

static gboolean
has_lead(const char *lc)
{
	return g_ascii_isdigit(lc[0]) || starts_any(lc, lead_words, G_N_ELEMENTS(lead_words));
}

/* Whether lc ends with one of the "wrote" words (an attribution without
 * its colon, as in "---- On ... wrote ----" once the frame is gone). */
static gboolean
ends_with_verb(const char *lc)
{
	for (gsize i = 0; i < G_N_ELEMENTS(wrote_words); i++) {
		if (g_str_has_suffix(lc, wrote_words[i]))
			return TRUE;
	}
	return FALSE;
}

/* An attribution ("On Tue, Anna <a@b> wrote:"). A weak one is enough just
 * before quoted lines; a strong one also cuts unmarked text after it.
 * Some clients write no verb at all ("30.09.2017, 18.30, Anna <a@b>:");
 * a date and an address before the final colon are taken for one. */
static gboolean
is_attribution_text(const char *lc, gboolean strong)
{
	gboolean colon = ends_with_colon(lc);
	gboolean verb = contains_any(lc, wrote_words, G_N_ELEMENTS(wrote_words));
	if (!colon && !(strong && ends_with_verb(lc) && has_lead(lc) && has_date_or_address(lc)))
		return FALSE;
	if (strong)
		return (verb && (has_lead(lc) || has_date_or_address(lc))) ||
		       (strchr(lc, '@') != NULL && has_date(lc) && strlen(lc) < 200);
	return verb || has_date_or_address(lc);
}

/* Lower-case text of an attribution line: HTML entities some clients leave
 * in decoded, and a frame of dashes or asterisks around it removed. */
static char *
attribution_lower(const line *l)
{
	static const char *const entities[][2] = {
	    {"&lt;", "<"}, {"&gt;", ">"},    {"&quot;", "\""}, {"&#39;", "'"},
	    {"&#34;", "\""}, {"&nbsp;", " "}, {"&#58;", ":"},  {"&amp;", "&"},
	};
	const char *s;
	gsize len;

	strip(l, &s, &len);
	if (len > MAX_PATTERN_LINE)
		return NULL;
	g_autofree char *lc = lower(s, len, MAX_PATTERN_LINE);
	GString *out = g_string_sized_new(len);
	for (const char *p = lc; *p != '\0';) {
		gsize e = 0;
		while (*p == '&' && e < G_N_ELEMENTS(entities) &&
		       !g_str_has_prefix(p, entities[e][0]))
			e++;
		if (*p == '&' && e < G_N_ELEMENTS(entities)) {
			g_string_append(out, entities[e][1]);
			p += strlen(entities[e][0]);
		} else {
			g_string_append_c(out, *p++);
		}
	}
	gsize a = 0, b = out->len;
	while (a < b && (out->str[a] == '-' || out->str[a] == '*' || out->str[a] == ' '))
		a++;
	while (b > a && (out->str[b - 1] == '-' || out->str[b - 1] == '*' || out->str[b - 1] == ' '))
		b--;
	char *res = g_strndup(out->str + a, b - a);
	g_string_free(out, TRUE);
	return res;
}

/* Yahoo's mobile client writes the attribution and the quoted text on one
 * line: "On Tue, ..., Anna<a@b> wrote:   Who can ...". */
static gboolean
is_attribution_then_text(const line *l)
{
	g_autofree char *lc = attribution_lower(l);

	if (lc == NULL || !has_lead(lc))
		return FALSE;
	for (gsize i = 0; i < G_N_ELEMENTS(wrote_words); i++) {
		const char *p = strstr(lc, wrote_words[i]);
		gsize wl = strlen(wrote_words[i]);
		if (p == NULL || p[wl] != ':' || p[wl + 1] == '\0')
			continue;
		g_autofree char *head = g_strndup(lc, p + wl + 1 - lc);
		if (is_attribution_text(head, TRUE))
			return TRUE;
	}
	return FALSE;
}

/* The first line of an attribution ending at line i (i, or i-1 or i-2 when
 * wrapped over two or three lines), or -1. */
static gssize
attribution_at(const line *lines, gsize i, gboolean strong)
{
	if (lines[i].kind != L_TEXT)
		return -1;
	g_autofree char *lc = attribution_lower(&lines[i]);
	if (lc == NULL)
		return -1;
	if (has_lead(lc) && is_attribution_text(lc, strong))
		return (gssize)i;
	/* Clients wrap long attributions: "On ..., Anna <" / "a@b> wrote:",
	 * sometimes over three lines; the first line starts like one. */
	g_autofree char *joined = g_strdup(lc);
	gssize best = -1;
	gboolean best_lead = FALSE;
	for (gsize back = 1; back <= 2 && back <= i; back++) {
		const line *pl = &lines[i - back];
		if (pl->kind != L_TEXT || pl->drop)
			break;
		g_autofree char *prev_lc = attribution_lower(pl);
		if (prev_lc == NULL)
			break;
		char *j = g_strconcat(prev_lc, " ", joined, NULL);
		g_free(joined);
		joined = j;
		/* The longest reading wins, and one starting like an
		 * attribution ("On ...") beats one starting with a time. */
		gboolean lead = has_lead(prev_lc);
		if ((lead || (has_date(prev_lc) && !best_lead)) &&
		    is_attribution_text(joined, strong)) {
			best = (gssize)(i - back);
			best_lead = lead;
		}
	}
	if (best >= 0)
		return best;
	if (is_attribution_text(lc, strong))
		return (gssize)i;
	return -1;
}

/* "From:" / "De :" / "发件人：" ... at the start of a line (lower case). */
static gboolean
has_label(const char *lc, const char *const *labels, gsize n)
{
	const char *p = lc;

	while (*p == '*' || *p == ' ')
		p++;
	for (gsize i = 0; i < n; i++) {
		gsize ll = strlen(labels[i]);
		if (strncmp(p, labels[i], ll) != 0)
			continue;
		const char *q = p + ll;
		while (*q == ' ' || *q == '*')
			q++;
		if (*q == ':' || g_str_has_prefix(q, "\xef\xbc\x9a"))
			return TRUE;
	}
	return FALSE;
}

static char *
line_lower(const line *l, gsize max)
{
	const char *s;
	gsize len;

	strip(l, &s, &len);
	return lower(s, len, max);
}

/* A quoted header block starting at line i: a From line and at least two
 * more header lines among the next few lines. Some clients put Date: or
 * Subject: first, so the block may start at any of its fields. */
static gboolean
is_header_block(const line *lines, gsize n, gsize i)
{
	g_autofree char *lc = line_lower(&lines[i], 80);
	gboolean from = has_label(lc, from_labels, G_N_ELEMENTS(from_labels));

	if (!from && !has_label(lc, header_labels, G_N_ELEMENTS(header_labels)))
		return FALSE;
	int found = 1;
	for (gsize j = i + 1, seen = 0; j < n && seen < 8; j++) {
		if (lines[j].kind == L_BLANK)
			continue;
		seen++;
		g_autofree char *l2 = line_lower(&lines[j], 80);
		if (has_label(l2, from_labels, G_N_ELEMENTS(from_labels))) {
			from = TRUE;
			found++;
		} else if (has_label(l2, header_labels, G_N_ELEMENTS(header_labels))) {
			found++;
		}
	}
	return from && found >= 3;
}

typedef enum { M_NONE, M_FORWARD, M_CUT } marker;

/* Rules like "-----Original Message-----", the Outlook underscore divider,
 * and forward markers. */
static marker
rule_marker(const line *l)
{
	const char *s;
	gsize len;

	strip(l, &s, &len);
	if (len >= 20 && len <= 200) {
		gsize u = 0;
		while (u < len && s[u] == '_')
			u++;
		if (u == len)
			return M_CUT;
	}
	if (len > 200 || len < 4)
		return M_NONE;
	g_autofree char *lc = lower(s, len, 200);
	/* Some clients run the header on after the closing dashes:
	 * "-------- Ursprüngliche Nachricht --------Von: ...". */
	gboolean dashed = g_str_has_prefix(lc, "---") &&
	                  (g_str_has_suffix(lc, "---") || strstr(lc + 3, "---") != NULL);
	gboolean fwd = contains_any(lc, forward_words, G_N_ELEMENTS(forward_words));
	if (dashed && fwd)
		return M_FORWARD;
	if (dashed && contains_any(lc, original_words, G_N_ELEMENTS(original_words)))
		return M_CUT;
	/* "Begin forwarded message:", "Anfang der weitergeleiteten Nachricht:" */
	if (fwd && ends_with_colon(lc) && len < 80 && !has_date_or_address(lc))
		return M_FORWARD;
	return M_NONE;
}

/* A signature delimiter: a line of one repeated character ("--", "__",
 * "***", "===", "~~~", "+++", "####"), spaces allowed between them. "-- "
 * is strict (the standard one); a long rule of "-" or "=" right under a
 * line of text underlines a heading or a table and is no delimiter. */
static gboolean
is_sig_delimiter(const line *lines, gsize i, gboolean *strict)
{
	const line *l = &lines[i];
	const char *s;
	gsize len, count = 0;

	*strict = l->len == 3 && memcmp(l->s, "-- ", 3) == 0;
	strip(l, &s, &len);
	/* A line of em or en dashes, as GitHub and some clients write it. */
	if (len >= 3 && len <= 30 && len % 3 == 0) {
		gsize k = 0;
		while (k < len && (memcmp(s + k, "\xe2\x80\x94", 3) == 0 ||
		                   memcmp(s + k, "\xe2\x80\x93", 3) == 0))
			k += 3;
		if (k == len)
			return TRUE;
	}
	if (len < 2 || len > 80 || strchr("-_*=~+#", s[0]) == NULL)
		return FALSE;
	for (gsize k = 0; k < len; k++) {
		if (s[k] == s[0])
			count++;
		else if (s[k] != ' ')
			return FALSE;
	}
	gsize min = (s[0] == '-' || s[0] == '_') ? 2 : s[0] == '#' ? 4 : 3;
	if (count < min)
		return FALSE;
	return count <= 6 || (s[0] != '-' && s[0] != '=') || i == 0 || lines[i - 1].kind != L_TEXT;
}

/* "Sent from my iPhone", "Get Outlook for Android" and translations. */
static gboolean
is_mobile_signature(const line *l)
{
	const char *s;
	gsize len;

	strip(l, &s, &len);
	if (len == 0 || len > 120)
		return FALSE;
	g_autofree char *lc = lower(s, len, 120);
	if (strstr(lc, "outlook") != NULL &&
	    (strstr(lc, "ios") != NULL || strstr(lc, "android") != NULL) && len < 90)
		return TRUE;
	if (len <= 70 && starts_any(lc, sent_from, G_N_ELEMENTS(sent_from)))
		return TRUE;
	/* Hungarian: "Az iPhone-omról küldve" */
	if (len <= 50 && g_str_has_suffix(lc, "k\xc3\xbcldve"))
		return TRUE;
	/* Japanese: "iPhoneから送信" */
	return g_str_has_suffix(lc, "\xe3\x81\x8b\xe3\x82\x89\xe9\x80\x81\xe4\xbf\xa1");
}

static gboolean
is_quote_line(const char *s, gsize len)
{
	gsize i = 0;

	while (i < len && i < 4 && (s[i] == ' ' || s[i] == '\t'))
		i++;
	if (i < len && s[i] == '>')
		return TRUE;
	return i + 2 < len && memcmp(s + i, "\xef\xbc\x9e", 3) == 0; /* U+FF1E */
}

static GArray *
split_lines(const char *text)
{
	GArray *lines = g_array_new(FALSE, FALSE, sizeof(line));
	const char *p = text;

	while (*p != '\0') {
		const char *eol = strchr(p, '\n');
		if (eol == NULL)
			eol = p + strlen(p);
		line l = {p, eol - p, L_TEXT, FALSE};
		const char *s;
		gsize len;
		strip(&l, &s, &len);
		if (len == 0)
			l.kind = L_BLANK;
		else if (is_quote_line(l.s, l.len))
			l.kind = L_QUOTE;
		g_array_append_val(lines, l);
		if (*eol == '\0')
			break;
		p = eol + 1;
	}
	return lines;
}

/* Lines whose class depends on their neighbours: a lone ">:" ends an
 * attribution wrapped inside an address ("... <a@b" / ">:"), and a line
 * starting in lower case right after a long quoted line is the rest of that
 * line, wrapped by a client that did not repeat the marker; so is a line
 * after a quoted-printable soft line break ("=" at the end) in a raw body. */
static void
fix_kinds(line *lines, gsize n)
{
	for (gsize i = 1; i < n; i++) {
		const char *s;
		gsize len;
		strip(&lines[i], &s, &len);
		if (lines[i].kind == L_QUOTE && len == 2 && memcmp(s, ">:", 2) == 0 &&
		    lines[i - 1].kind == L_TEXT) {
			lines[i].kind = L_TEXT;
			continue;
		}
		if (lines[i].kind != L_TEXT || lines[i - 1].kind != L_QUOTE)
			continue;
		const char *ps;
		gsize plen;
		strip(&lines[i - 1], &ps, &plen);
		gunichar c = g_utf8_get_char_validated(s, len);
		if (plen >= 50 && c != (gunichar)-1 && c != (gunichar)-2 && g_unichar_islower(c))
			lines[i].kind = L_QUOTE;
		/* A quoted-printable soft line break left in a raw body. */
		if (plen > 0 && ps[plen - 1] == '=')
			lines[i].kind = L_QUOTE;
	}
}

/* Whether any line before i is not blank: the sender wrote something. */
static gboolean
has_text_before(const line *lines, gsize i)
{
	for (gsize k = 0; k < i; k++) {
		if (lines[k].kind != L_BLANK && !lines[k].drop)
			return TRUE;
	}
	return FALSE;
}

static gboolean
is_label_line(const line *l)
{
	g_autofree char *lc = line_lower(l, 80);

	return has_label(lc, from_labels, G_N_ELEMENTS(from_labels)) ||
	       has_label(lc, header_labels, G_N_ELEMENTS(header_labels));
}

/* A message that is only a forward (or a header block with nothing above
 * it): drop the marker line at i and the header block after it; the
 * forwarded text stays, as the content of the message. Returns the last
 * line dropped. */
static gsize
drop_forward_header(line *lines, gsize n, gsize i)
{
	gsize j = i, last = i;

	if (!is_label_line(&lines[i]))
		j = i + 1;
	gboolean in_block = FALSE;
	for (; j < n; j++) {
		if (lines[j].kind == L_BLANK) {
			/* Blank lines inside the block, as some clients put
			 * between its fields, or before it. */
			gsize k = j;
			while (k < n && lines[k].kind == L_BLANK)
				k++;
			if (k < n && is_label_line(&lines[k]))
				continue;
			break;
		}
		if (is_label_line(&lines[j]))
			in_block = TRUE;
		else if (!in_block || lines[j - 1].kind == L_BLANK)
			break;
		last = j;
	}
	for (gsize k = i; k <= last; k++)
		lines[k].drop = TRUE;
	return last;
}

/* Pass 1: the first hard cut or forward marker. Returns the end of the
 * region still to trim; lines from a cut on are dropped. Forwarded text is
 * content: a forward below the sender's text is cut like a quote, a
 * forward with nothing above it keeps its text and loses its header. */
static gsize
find_cut(line *lines, gsize n)
{
	for (gsize i = 0; i < n; i++) {
		if (lines[i].kind != L_TEXT)
			continue;
		marker m = rule_marker(&lines[i]);
		gssize start = -1;
		if (m != M_NONE || is_header_block(lines, n, i)) {
			/* Fields above the From line belong to the block. */
			while (m == M_NONE && i > 0) {
				gsize k = i - 1;
				while (k > 0 && lines[k].kind == L_BLANK)
					k--;
				if (lines[k].kind != L_TEXT || !is_label_line(&lines[k]))
					break;
				i = k;
			}
			if (!has_text_before(lines, i)) {
				gsize last = drop_forward_header(lines, n, i);
				if (m == M_FORWARD)
					return i;
				/* A header block with nothing above it (an Outlook
				 * message pasted as the start): trim what follows. */
				i = last;
				continue;
			}
			start = i;
		} else {
			gssize a = attribution_at(lines, i, TRUE);
			gsize j = i + 1;
			while (j < n && lines[j].kind == L_BLANK)
				j++;
			/* Followed by quoted lines, it is handled with them. */
			if (a >= 0 && j < n && lines[j].kind == L_TEXT)
				start = a;
			else if (a < 0 && is_attribution_then_text(&lines[i]))
				start = i;
		}
		if (start >= 0) {
			for (gsize k = start; k < n; k++)
				lines[k].drop = TRUE;
			return start;
		}
	}
	return n;
}

/* An attribution without its colon left as the last line, its header
 * block cut away: "Am 20.06.24 um 16:20 schrieb Anna Berg". A sentence
 * ends with a full stop, an attribution does not. */
static gboolean
is_bare_attribution(const line *l)
{
	g_autofree char *lc = attribution_lower(l);
	gsize n = lc != NULL ? strlen(lc) : 0;

	return n > 0 && n < 200 && strchr(".!?", lc[n - 1]) == NULL && has_lead(lc) &&
	       has_date(lc) && contains_any(lc, wrote_words, G_N_ELEMENTS(wrote_words));
}

/* Pass 2: the trailing quote block, with the attribution(s) just before
 * its runs. Quoted lines followed by the sender's own text are an inline
 * answer and stay. An attribution left at the very end (its quote removed
 * by structure, or an empty quote) goes too. */
static void
drop_trailing_quotes(line *lines, gsize end)
{
	gboolean quote_after = FALSE;
	gssize i = (gssize)end - 1;

	while (i >= 0) {
		if (lines[i].drop || lines[i].kind == L_BLANK) {
			i--;
			continue;
		}
		if (lines[i].kind == L_QUOTE) {
			lines[i].drop = TRUE;
			quote_after = TRUE;
			i--;
			continue;
		}
		gssize a = attribution_at(lines, (gsize)i, !quote_after);
		if (a < 0 && !quote_after && is_bare_attribution(&lines[i]))
			a = i;
		if (a < 0)
			break;
		for (gssize k = a; k <= i; k++)
			lines[k].drop = TRUE;
		quote_after = FALSE;
		i = a - 1;
	}
}

/* Pass 3: signatures, each up to the next removed quote. "Sent from my
 * iPhone" and friends only count as the last line of the sender's text. */
static void
drop_signatures(line *lines, gsize end)
{
	gsize rules = 0;
	gboolean strict;

	/* Several rules in the text separate its sections; none of them
	 * starts a signature, unless it is the standard "-- ". */
	for (gsize i = 0; i < end; i++) {
		if (!lines[i].drop && lines[i].kind == L_TEXT && is_sig_delimiter(lines, i, &strict))
			rules++;
	}
	/* Lines of text after each line up to the next removed one, counted
	 * once from the end so that hostile input stays linear: all of them,
	 * and those that are no rule. */
	g_autofree gsize *tail = g_new0(gsize, end + 1);
	g_autofree gsize *tail_text = g_new0(gsize, end + 1);
	for (gsize i = end; i-- > 1;) {
		gboolean counts = !lines[i].drop && lines[i].kind != L_BLANK;
		tail[i - 1] = lines[i].drop ? 0 : tail[i] + counts;
		tail_text[i - 1] =
		    lines[i].drop ? 0
		                  : tail_text[i] + (counts && !is_sig_delimiter(lines, i, &strict));
	}
	for (gsize i = 0; i < end; i++) {
		if (lines[i].drop || lines[i].kind != L_TEXT)
			continue;
		gboolean delim = is_sig_delimiter(lines, i, &strict);
		if (delim && !strict && rules > 1)
			continue;
		if (!delim && !is_mobile_signature(&lines[i]))
			continue;
		/* A bare rule may be a separator inside the text; only a short
		 * tail after it is taken for a signature. A rule left below
		 * "Sent from my ..." is no text. */
		if (delim && !strict && tail[i] > 15)
			continue;
		if (!delim && tail_text[i] > 0)
			continue;
		gsize j = i + 1;
		while (j < end && !lines[j].drop)
			j++;
		for (gsize k = i; k < j; k++)
			lines[k].drop = TRUE;
		i = j;
	}
}

/* White space collapsed and trimmed, for comparing text across rewrapping. */
static char *
normalize(const char *s, gsize len)
{
	GString *out = g_string_sized_new(len);
	const char *end = s + len;
	gboolean space = FALSE;
	int adv = 0;

	for (const char *p = s; p < end;) {
		if (*p == '\n' || *p == '\r' || is_space_at(p, end, &adv)) {
			space = out->len > 0;
			p += (*p == '\n' || *p == '\r') ? 1 : adv;
			continue;
		}
		if (space)
			g_string_append_c(out, ' ');
		space = FALSE;
		g_string_append_c(out, *p++);
	}
	return g_string_free(out, FALSE);
}

/* Indexes of the kept non-blank lines. */
static GArray *
kept_lines(const line *lines, gsize n)
{
	GArray *idx = g_array_new(FALSE, FALSE, sizeof(gsize));

	for (gsize i = 0; i < n; i++) {
		if (!lines[i].drop && lines[i].kind != L_BLANK)
			g_array_append_val(idx, i);
	}
	return idx;
}

static void
drop_from(line *lines, gsize n, gsize from)
{
	for (gsize i = from; i < n; i++)
		lines[i].drop = TRUE;
}

/* Pass 4a: a trailing block of lines pasted back from the digest without
 * quote markers. Each line must occur in the digest (rewrapping allowed);
 * short blocks are left alone, since a "Thanks!" occurs everywhere. */
static void
drop_pasted_digest(line *lines, gsize n, const char *digest)
{
	g_autofree char *dig = normalize(digest, strlen(digest));
	g_autoptr(GArray) idx = kept_lines(lines, n);
	gsize chars = 0, count = 0;
	gssize first = -1;

	for (gsize k = idx->len; k > 1; k--) {
		const line *l = &lines[g_array_index(idx, gsize, k - 1)];
		g_autofree char *norm = normalize(l->s, l->len);
		if (strstr(dig, norm) == NULL)
			break;
		chars += strlen(norm);
		count++;
		first = g_array_index(idx, gsize, k - 1);
	}
	if (first >= 0 && count >= 2 && chars >= 60)
		drop_from(lines, n, first);
}

/* Pass 4b: a trailing block of lines that also appears, in the same order,
 * in one of the sender's earlier messages: their signature. */
static void
drop_repeated_signature(line *lines, gsize n, const char *const *previous)
{
	g_autoptr(GArray) idx = kept_lines(lines, n);
	g_autoptr(GPtrArray) mine = g_ptr_array_new_with_free_func(g_free);
	gsize best = 0, best_chars = 0, chars = 0;

	for (gsize k = 0; k < idx->len && k < 40; k++) {
		const line *l = &lines[g_array_index(idx, gsize, idx->len - 1 - k)];
		g_ptr_array_insert(mine, 0, normalize(l->s, l->len));
	}
	for (const char *const *prev = previous; *prev != NULL; prev++) {
		g_autofree char *copy = g_strdup(*prev);
		g_autoptr(GPtrArray) theirs = g_ptr_array_new_with_free_func(g_free);
		g_auto(GStrv) split = g_strsplit(copy, "\n", -1);
		for (char **s = split; *s != NULL; s++) {
			char *norm = normalize(*s, strlen(*s));
			if (*norm == '\0' || *norm == '>')
				g_free(norm);
			else
				g_ptr_array_add(theirs, norm);
		}
		/* Grow the tail block while it still occurs contiguously. */
		chars = 0;
		for (gsize k = 1; k <= mine->len; k++) {
			gsize off = mine->len - k;
			gboolean found = FALSE;
			for (gsize s = 0; !found && s + k <= theirs->len; s++) {
				gsize m = 0;
				while (m < k &&
				       strcmp(mine->pdata[off + m], theirs->pdata[s + m]) == 0)
					m++;
				found = m == k;
			}
			if (!found)
				break;
			chars += strlen(mine->pdata[off]);
			if (k > best) {
				best = k;
				best_chars = chars;
			}
		}
	}
	/* Something new must stay, and one short line ("Thanks!") is not a
	 * signature worth removing. */
	if (best == 0 || best >= idx->len || (best == 1 && best_chars < 20))
		return;
	drop_from(lines, n, g_array_index(idx, gsize, idx->len - best));
}

/* The lines whose drop flag equals want, byte for byte from the first
 * non-blank one to the last; where lines of the other kind were left out,
 * the blank lines around the gap become one blank line. */
static char *
assemble(const line *lines, gsize n, gboolean want)
{
	GString *out = g_string_new(NULL);
	gboolean gap = FALSE;
	gssize last = -1; /* the last line written */

	for (gsize i = 0; i < n; i++) {
		const line *l = &lines[i];
		if (l->drop != want) {
			if (l->kind != L_BLANK && last >= 0)
				gap = TRUE;
			continue;
		}
		if (l->kind == L_BLANK)
			continue;
		if (last >= 0 && gap) {
			g_string_append(out, "\n\n");
		} else if (last >= 0) {
			/* No gap: the blank lines in between are kept, as written. */
			g_string_append_c(out, '\n');
			for (gsize k = last + 1; k < i; k++) {
				g_string_append_len(out, lines[k].s, lines[k].len);
				g_string_append_c(out, '\n');
			}
		}
		gap = FALSE;
		last = (gssize)i;
		g_string_append_len(out, l->s, l->len);
	}
	return g_string_free(out, FALSE);
}

/* Valid UTF-8 with "\n" line ends. */
static char *
clean_input(const char *text)
{
	g_autofree char *valid = g_utf8_make_valid(text, -1);
	GString *out = g_string_sized_new(strlen(valid));

	for (const char *p = valid; *p != '\0'; p++) {
		if (*p == '\r') {
			g_string_append_c(out, '\n');
			if (p[1] == '\n')
				p++;
		} else {
			g_string_append_c(out, *p);
		}
	}
	return g_string_free(out, FALSE);
}

char *
rd_trim_text(const char *text, const rd_trim_opts *opts, char **elided)
{
	g_autofree char *clean = clean_input(text != NULL ? text : "");
	g_autoptr(GArray) arr = split_lines(clean);
	line *lines = (line *)(void *)arr->data;
	gsize n = arr->len;

	fix_kinds(lines, n);
	gsize end = find_cut(lines, n);
	drop_trailing_quotes(lines, end);
	drop_signatures(lines, end);
	drop_trailing_quotes(lines, end);
	if (opts != NULL && opts->digest_text != NULL)
		drop_pasted_digest(lines, n, opts->digest_text);
	if (opts != NULL && opts->previous_bodies != NULL)
		drop_repeated_signature(lines, n, opts->previous_bodies);

	char *kept = assemble(lines, n, FALSE);
	if (*kept == '\0') {
		/* Nothing new remains: keep the whole text. */
		g_free(kept);
		for (gsize i = 0; i < n; i++)
			lines[i].drop = FALSE;
		kept = assemble(lines, n, FALSE);
	}
	if (elided != NULL)
		*elided = assemble(lines, n, TRUE);
	return kept;
}

char *
rd_trim_html(const char *html, gssize len, const rd_trim_opts *opts, char **elided)
{
	g_autofree char *removed = NULL;
	g_autofree char *text = rd_html_reply_split(html, len, &removed);
	g_autofree char *more = NULL;
	char *kept = rd_trim_text(text, opts, elided != NULL ? &more : NULL);

	if (elided != NULL) {
		if (*more != '\0' && *removed != '\0')
			*elided = g_strconcat(more, "\n\n", removed, NULL);
		else
			*elided = g_strconcat(more, removed, NULL);
	}
	return kept;
}
