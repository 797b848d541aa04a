/* bounce.c - delivery-status notifications, non-DSN bounces, auto-replies.
 *
 * The order of the checks matters and is the heart of this module:
 *
 *  1. An RFC 3464 report (a message/delivery-status part) is trusted over
 *     everything else, because it names each recipient with its own status.
 *  2. Otherwise the human-readable text is read, up to where the returned
 *     copy of the original message begins.  Phrases that only bounces use
 *     ("the following addresses had permanent fatal errors") make it a
 *     bounce outright.
 *  3. Automatic replies come next: many bounces carry "Auto-Submitted:
 *     auto-replied" themselves, so the header alone cannot win over 1 or 2.
 *  4. Weaker phrases ("could not be delivered", a 5xx code next to an
 *     address) count only when the sender is a mailer daemon or the subject
 *     looks like a bounce, so that a person writing about a failed delivery
 *     is not mistaken for one.
 *
 * The failed addresses in a non-DSN bounce are found generically: every
 * address in the text (minus the bounce's own From/To and role addresses
 * like postmaster) is a recipient, and the SMTP codes that follow it, up to
 * the next address, belong to it.  This works for qmail, Exim, sendmail,
 * Postfix, Exchange, Gmail and Yahoo texts without per-format code.
 */
#include <string.h>

#include <json-glib/json-glib.h>

#include "bounce.h"

/* Longest diagnostic kept, in bytes; servers sometimes send whole essays. */
#define RD_BOUNCE_DIAG_MAX 500
/* Lines of a wrapped server reply joined into one diagnostic. */
#define RD_BOUNCE_DIAG_LINES 6
/* MIME nesting deeper than this is not a bounce anyone sends. */
#define RD_BOUNCE_MAX_DEPTH 16

/* Phrases that only bounce (or delay) reports use; casefolded, with
 * whitespace collapsed.  One of them is enough. */
static const char *const strong_phrases[] = {
    "this is the qmail-send program",
    "could not be delivered to one or more of its recipients",
    "has not yet been delivered to one or more of its recipients",
    "the following address(es) failed",
    "the following addresses had permanent fatal errors",
    "the following addresses had transient non-fatal errors",
    "i'm sorry to have to inform you that your message could not",
    "this is a warning only. you do not need to resend your message",
    "delivery has failed to these recipients or groups",
    "the following recipient(s) cannot be reached",
    "your message did not reach some or all of the intended recipients",
    "delivery to the following recipient failed permanently",
    "delivery to the following recipients failed",
    "delivery to the following recipient has been delayed",
    "delivery to the following recipients has been delayed",
    "sorry, we were unable to deliver your message to the following address",
    "the message that you sent was undeliverable to the following",
    "i wasn't able to deliver your message to the following addresses",
    "your message wasn't delivered to",
    "your message couldn't be delivered",
    "your message could not be delivered",
    "there was a temporary problem delivering your message",
    "could not be delivered to the following recipients",
    "unable to deliver your message to the following recipients",
    "message delivery to the following recipients has been delayed",
    "there was an error delivering your mail to",
    "the following addresses had delivery errors",
    "the following addresses had permanent delivery errors",
    "could not be delivered to: ",
    "did not reach the following recipient",
    "the following recipients returned permanent errors",
    "we had trouble delivering your message",
    "unable to deliver message to the following address",
    "could not deliver mail to the following address",
    "your mail could not be delivered",
    "delivery to the following recipients was aborted",
    "message could not be delivered to the following",
    "your message cannot be delivered to the following recipients",
    "could not be delivered because the recipient",
    "ihre nachricht konnte nicht zugestellt werden",
    "votre message n'a pas pu être remis",
    "no se ha podido entregar",
    "il messaggio non è stato recapitato",
    NULL};

/* Phrases that are evidence only together with a daemon sender or a
 * bounce-like subject. */
static const char *const weak_phrases[] = {"could not be delivered",
                                           "couldn't be delivered",
                                           "wasn't delivered",
                                           "was not delivered",
                                           "not been delivered",
                                           "undeliverable",
                                           "undelivered",
                                           "delivery failed",
                                           "delivery failure",
                                           "failed permanently",
                                           "permanent error",
                                           "permanent failure",
                                           "fatal error",
                                           "user unknown",
                                           "unknown user",
                                           "no such user",
                                           "mailbox unavailable",
                                           "mailbox not found",
                                           "mailbox is full",
                                           "over quota",
                                           "address rejected",
                                           "does not exist",
                                           "delivery has failed",
                                           "unable to deliver",
                                           "could not deliver",
                                           "address not found",
                                           "recipient not found",
                                           "has been delayed",
                                           "delivery delayed",
                                           "will retry",
                                           "temporary failure",
                                           NULL};

/* Subjects of bounces and delay warnings (casefolded substrings). */
static const char *const bounce_subjects[] = {"undeliverable",
                                              "undelivered mail",
                                              "mail delivery failed",
                                              "delivery status notification",
                                              "failure notice",
                                              "returned mail",
                                              "delivery failure",
                                              "message not delivered",
                                              "delivery notification",
                                              "non-delivery",
                                              "nondeliverable",
                                              "delivery has failed",
                                              "could not send message",
                                              "delayed mail",
                                              "delivery delayed",
                                              "message status - undeliverable",
                                              "mail system error",
                                              "unzustellbar",
                                              "non remis",
                                              "no se puede entregar",
                                              NULL};

/* Words that say the report is a delay warning, not a final failure. */
static const char *const delay_phrases[] = {"has not yet been delivered",
                                            "transient non-fatal errors",
                                            "this is a warning only",
                                            "has been delayed",
                                            "delivery delayed",
                                            "delayed mail",
                                            "(delay)",
                                            "will continue trying",
                                            "will keep trying",
                                            "will retry",
                                            "will be retried",
                                            "still being retried",
                                            "temporary problem delivering",
                                            "could not send message for past",
                                            "could not send mail for past",
                                            "delivery is delayed",
                                            NULL};

/* Lines (casefolded, trimmed) where the returned original message begins;
 * addresses after them are the original's, not failed recipients. */
static const char *const original_markers[] = {"--- below this line is a copy of the message",
                                               "this is a copy of the message",
                                               "original message headers",
                                               "possibly truncated original message follows",
                                               "original message follows",
                                               "unsent message follows",
                                               "message header follows",
                                               "returned message follows",
                                               "------- returned message",
                                               "message headers follow",
                                               "forwarded message",
                                               "-----original message-----",
                                               "----- original message -----",
                                               "------ original message ------",
                                               NULL};

/* Subject beginnings of automatic replies in the languages our members use. */
static const char *const auto_subjects[] = {"out of office",
                                            "out of the office",
                                            "automatic reply",
                                            "auto reply",
                                            "auto-reply",
                                            "autoreply",
                                            "auto response",
                                            "auto-response",
                                            "autoresponse",
                                            "abwesenheitsnotiz",
                                            "abwesenheit",
                                            "automatische antwort",
                                            "réponse automatique",
                                            "respuesta automática",
                                            "risposta automatica",
                                            "automatisch antwoord",
                                            "autosvar",
                                            "automatisk svar",
                                            "automatyczna odpowiedź",
                                            "resposta automática",
                                            "automaattinen vastaus",
                                            "automatická odpověď",
                                            "автоматический ответ",
                                            "自动回复",
                                            "自動回覆",
                                            "自動応答",
                                            "vacation reply",
                                            NULL};

/* Words that give the reason, casefolded.  Spam and expiry are looked
 * for first: servers put them behind generic codes (5.7.1, 4.4.7, even
 * 5.1.1), and they matter most to scoring. */
static const char *const spam_words[] = {
    "spam",        "blacklist",   "blocklist", "black list",  "block list", "dnsbl",
    "rbl",         "spamhaus",    "spamcop",   "listed in",   "listed on",  "listed at",
    "listed by",   "reputation",  "junk mail", "bulk mail",   "unsolicited", "uribl",
    "surbl",       "message content rejected", "content filter", "virus",   NULL};
static const char *const expired_words[] = {
    "expired", "retry time", "retry timeout", "too long in queue", "giving up",
    "could not be delivered for", "delivery time", "message timed out", "timeout exceeded",
    NULL};
static const char *const full_words[] = {
    "mailbox full", "mailbox is full", "mailbox was full", "full mailbox", "quota",
    "mailbox exceeds", "exceeds allowed size", "insufficient storage", "not enough storage",
    "mailbox size limit", "storage space", "mailbox has exceeded", "mail box full",
    "mailfolder is full", "postfach voll", "boîte pleine", "casella piena", NULL};
static const char *const host_words[] = {
    "host not found", "host unknown", "unknown host", "domain not found", "no such domain",
    "domain does not exist", "name service error", "no mx", "nxdomain", "unrouteable mail domain",
    "name or service not known", "unknown domain", "host or domain name not found",
    "domain name not found", "could not resolve", "dns lookup", "does not resolve", NULL};
static const char *const user_words[] = {
    "user unknown", "unknown user", "no such user", "no such recipient", "recipient unknown",
    "unknown recipient", "does not exist", "doesn't exist", "no mailbox", "mailbox not found",
    "mailbox unavailable", "address not found", "recipient not found", "invalid recipient",
    "invalid address", "not recognized", "unknown address", "user not found", "no such address",
    "account has been disabled", "account is disabled", "mailbox is disabled", "inactive",
    "deactivated", "unrouteable address", "not a valid", "no such mailbox", "is not a known user",
    "address rejected: user", "no longer", "not listed in", "unbekannt", "inconnu",
    "desconocido", "sconosciuto", "mailbox unknown", "user doesn't have", "recipient rejected",
    "bad destination mailbox", "unknown local part", "invalid mailbox", "recipientnotfound",
    "recipnotfound", "bad_recipient", "not an active address", "no mail box", NULL};
/* A message too large for the server is none of the reasons above. */
static const char *const size_words[] = {"message size", "too large", "size exceeded",
                                         "size exceeds", "message is too big", NULL};
static const char *const policy_words[] = {
    "relay", "policy", "not permitted", "not allowed", "denied", "dmarc", "spf", "dkim",
    "authentication", "blocked", "unauthenticated", "prohibited", "not authorized",
    NULL};

/* Local parts that name a role, never a failed member. */
static const char *const role_locals[] = {
    "postmaster", "post_master", "mailer-daemon", "mailer_daemon", "mail-daemon", "maildaemon",
    "mdaemon", NULL};

static GRegex *re_addr, *re_enhanced, *re_basic, *re_status;

static void
regex_init(void)
{
	static gsize done;

	if (g_once_init_enter(&done)) {
		/* An addr-spec good enough for bounce texts: no quoted local
		 * parts, a dotted domain, and no leading quote so that
		 * 'user@example.com' loses its quotes. */
		re_addr =
		    g_regex_new("[A-Za-z0-9_%+=-](?:[A-Za-z0-9!#$%&'*+/=?^_{|}~.-]*"
		                "[A-Za-z0-9_%+=~-])?@(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?"
		                "\\.)+[A-Za-z]{2,63}(?![A-Za-z0-9-])",
		                G_REGEX_OPTIMIZE, 0, NULL);
		/* RFC 3463 enhanced status codes of failures, not inside IP
		 * addresses or version numbers. */
		re_enhanced =
		    g_regex_new("(?<![0-9.])[45]\\.[0-9]{1,3}\\.[0-9]{1,3}(?![0-9]|\\.[0-9])",
		                G_REGEX_OPTIMIZE, 0, NULL);
		/* Any class, for the Status field of a DSN (2.0.0 for a
		 * delivered notice). */
		re_status =
		    g_regex_new("(?<![0-9.])[245]\\.[0-9]{1,3}\\.[0-9]{1,3}(?![0-9])", 0, 0, NULL);
		/* RFC 5321 reply codes 4xx/5xx as servers print them:
		 * "550 ", "550-", "554:", "'550". */
		re_basic = g_regex_new("(?<![A-Za-z0-9.:/#+=-])[45][0-9][0-9](?=[\\s:;,)\\]'-]|$)",
		                       G_REGEX_OPTIMIZE | G_REGEX_MULTILINE, 0, NULL);
		g_once_init_leave(&done, 1);
	}
}

const char *
rd_bounce_reason_name(rd_bounce_reason reason)
{
	static const char *const names[] = {"other",  "user-unknown", "mailbox-full", "host-unknown",
	                                    "policy", "spam",         "expired"};

	return (guint)reason < G_N_ELEMENTS(names) ? names[reason] : "other";
}

const char *
rd_bounce_kind_name(rd_bounce_kind kind)
{
	static const char *const names[] = {"none", "bounce", "auto-reply", "feedback", "delivered"};

	return (guint)kind < G_N_ELEMENTS(names) ? names[kind] : "none";
}

static void
recipient_free(gpointer p)
{
	rd_bounce_recipient *rc = p;

	if (rc == NULL)
		return;
	g_free(rc->address);
	g_free(rc->status);
	g_free(rc->action);
	g_free(rc->diagnostic);
	g_free(rc);
}

void
rd_bounce_report_free(rd_bounce_report *r)
{
	if (r == NULL)
		return;
	g_ptr_array_unref(r->recipients);
	g_free(r);
}

static rd_bounce_recipient *
find_recipient(GPtrArray *list, const char *address)
{
	for (guint i = 0; i < list->len; i++) {
		rd_bounce_recipient *rc = g_ptr_array_index(list, i);
		if (strcmp(rc->address, address) == 0)
			return rc;
	}
	return NULL;
}

/* Whitespace runs (including line breaks) become one space; ends trimmed. */
static char *
collapse_ws(const char *s)
{
	GString *out = g_string_new(NULL);
	gboolean space = FALSE;

	for (; *s; s++) {
		if (g_ascii_isspace(*s)) {
			space = out->len > 0;
			continue;
		}
		if (space)
			g_string_append_c(out, ' ');
		space = FALSE;
		g_string_append_c(out, *s);
	}
	return g_string_free(out, FALSE);
}

/* Casefolded, NFC-normalised, whitespace-collapsed: the form phrases are
 * compared in, so "Réponse  automatique" and "RÉPONSE automatique" match. */
static char *
fold(const char *s)
{
	g_autofree char *valid = g_utf8_make_valid(s, -1);
	g_autofree char *norm = g_utf8_normalize(valid, -1, G_NORMALIZE_NFC);
	g_autofree char *folded = g_utf8_casefold(norm ? norm : valid, -1);

	return collapse_ws(folded);
}

static gboolean
contains_any(const char *hay, const char *const *needles)
{
	for (; *needles; needles++)
		if (strstr(hay, *needles) != NULL)
			return TRUE;
	return FALSE;
}

/* The reason of one recipient from its status and TEXT (its diagnostic,
 * casefolded).  Specific words beat the codes' subject (x.1.1 and x.7.1
 * are what servers send for nearly everything), the code's subject beats
 * the generic words. */
static rd_bounce_reason
reason_of(const char *status, const char *text)
{
	const char *sub = status ? strchr(status, '.') : NULL;

	if (text != NULL && contains_any(text, spam_words))
		return RD_BOUNCE_REASON_SPAM;
	if ((sub && strcmp(sub, ".4.7") == 0) || (text && contains_any(text, expired_words)))
		return RD_BOUNCE_REASON_EXPIRED;
	if ((sub && (strcmp(sub, ".2.2") == 0 || strcmp(sub, ".3.1") == 0)) ||
	    (text && contains_any(text, full_words)))
		return RD_BOUNCE_REASON_MAILBOX_FULL;
	if ((sub && strcmp(sub, ".3.4") == 0) || (text && contains_any(text, size_words)))
		return RD_BOUNCE_REASON_OTHER;
	if (sub && (strcmp(sub, ".1.2") == 0 || strcmp(sub, ".4.4") == 0))
		return RD_BOUNCE_REASON_HOST_UNKNOWN;
	if (sub && (strcmp(sub, ".1.1") == 0 || strcmp(sub, ".1.0") == 0 || strcmp(sub, ".1.10") == 0 ||
	            strcmp(sub, ".1.6") == 0 || strcmp(sub, ".2.1") == 0))
		return RD_BOUNCE_REASON_USER_UNKNOWN;
	if (text != NULL && contains_any(text, host_words))
		return RD_BOUNCE_REASON_HOST_UNKNOWN;
	if (text != NULL && contains_any(text, user_words))
		return RD_BOUNCE_REASON_USER_UNKNOWN;
	if ((sub && g_str_has_prefix(sub, ".7.")) || (text && contains_any(text, policy_words)))
		return RD_BOUNCE_REASON_POLICY;
	return RD_BOUNCE_REASON_OTHER;
}

static char *
header_value(GMimeMessage *msg, const char *name)
{
	const char *v = g_mime_object_get_header(GMIME_OBJECT(msg), name);

	return v ? g_strstrip(g_strdup(v)) : NULL;
}

/* The first enhanced status code in S, or NULL. */
static char *
first_enhanced(const char *s)
{
	g_autoptr(GMatchInfo) mi = NULL;

	if (s == NULL || !g_regex_match(re_enhanced, s, 0, &mi))
		return NULL;
	return g_match_info_fetch(mi, 0);
}

/* The class digit ('4' or '5') of the first basic reply code in S, or 0. */
static char
first_basic_class(const char *s)
{
	g_autoptr(GMatchInfo) mi = NULL;
	g_autofree char *code = NULL;

	if (s == NULL || !g_regex_match(re_basic, s, 0, &mi))
		return 0;
	code = g_match_info_fetch(mi, 0);
	return code[0];
}

/* Lower-cased addr-spec found in S (a Final-Recipient value or text), or NULL. */
static char *
find_address(const char *s)
{
	g_autoptr(GMatchInfo) mi = NULL;
	g_autofree char *a = NULL;

	if (s == NULL)
		return NULL;
	if (!g_regex_match(re_addr, s, 0, &mi)) {
		/* Local test domains such as "user@localhost" have no dot. */
		g_autofree char *t = g_strstrip(g_strdup(s));
		g_strdelimit(t, "<>", ' ');
		g_strstrip(t);
		if (strchr(t, '@') == NULL || strchr(t, ' ') != NULL || t[0] == '@' ||
		    strchr(t, '@')[1] == '\0')
			return NULL;
		return g_ascii_strdown(t, -1);
	}
	a = g_match_info_fetch(mi, 0);
	return g_ascii_strdown(a, -1);
}

static const char *const dsn_actions[] = {"failed",  "delayed",  "delivered",
                                          "relayed", "expanded", NULL};

/* One per-recipient block of a delivery-status body. */
static void
dsn_block(GHashTable *f, GPtrArray *out)
{
	const char *fr = g_hash_table_lookup(f, "final-recipient");
	const char *orig = g_hash_table_lookup(f, "original-recipient");
	const char *action_v = g_hash_table_lookup(f, "action");
	const char *diag_v = g_hash_table_lookup(f, "diagnostic-code");
	g_autofree char *addr = NULL;
	g_autofree char *action = NULL;
	rd_bounce_recipient *rc;
	char cls;

	/* Original-Recipient is the address as the sender (Rounds) gave it,
	 * so the member's own address; Final-Recipient is what forwarding or
	 * aliasing made of it (an internal host, a source route, a mailbox
	 * name).  So Original-Recipient wins when it holds a well-formed
	 * addr-spec with a dotted domain; "rfc822; 1" or a missing one does
	 * not.  "rfc822; user@example.net": the type before the semicolon is
	 * not part of the address. */
	if (orig != NULL) {
		g_autoptr(GMatchInfo) mi = NULL;
		const char *v = strchr(orig, ';') ? strchr(orig, ';') + 1 : orig;
		if (g_regex_match(re_addr, v, 0, &mi)) {
			g_autofree char *a = g_match_info_fetch(mi, 0);
			addr = g_ascii_strdown(a, -1);
		}
	}
	if (addr == NULL)
		addr = find_address(fr && strchr(fr, ';') ? strchr(fr, ';') + 1 : fr);
	if (addr == NULL || find_recipient(out, addr) != NULL)
		return;

	rc = g_new0(rd_bounce_recipient, 1);
	rc->address = g_steal_pointer(&addr);
	if (g_hash_table_lookup(f, "status") != NULL) {
		g_autoptr(GMatchInfo) mi = NULL;
		if (g_regex_match(re_status, g_hash_table_lookup(f, "status"), 0, &mi))
			rc->status = g_match_info_fetch(mi, 0);
	}
	if (diag_v != NULL) {
		const char *semi = strchr(diag_v, ';');
		const char *text = diag_v;

		/* Strip the diagnostic type ("smtp;", "X-Postfix;") when it
		 * is one word; what follows is the server's own words. */
		if (semi != NULL && memchr(diag_v, ' ', semi - diag_v) == NULL)
			text = semi + 1;
		rc->diagnostic = collapse_ws(text);
		if (*rc->diagnostic == '\0')
			g_clear_pointer(&rc->diagnostic, g_free);
	}
	if (rc->status == NULL)
		rc->status = first_enhanced(rc->diagnostic);
	cls = rc->status ? rc->status[0] : first_basic_class(rc->diagnostic);

	if (action_v != NULL) {
		/* "failed (bad destination mailbox)" happens: take the word. */
		g_auto(GStrv) words = g_strsplit_set(action_v, " \t(;", 2);
		action = g_ascii_strdown(words[0] ? words[0] : "", -1);
		if (!g_strv_contains(dsn_actions, action))
			g_clear_pointer(&action, g_free);
	}
	if (action == NULL) {
		const char *st = g_hash_table_lookup(f, "status");
		action = g_strdup(cls == '4'                        ? "delayed"
		                  : st && g_str_has_prefix(st, "2") ? "delivered"
		                                                    : "failed");
	}
	rc->action = g_steal_pointer(&action);
	/* A failure is permanent unless the code says it was transient (an
	 * MTA gives up after days of 4xx and reports "failed" with 4.x.x). */
	rc->permanent = strcmp(rc->action, "failed") == 0 && cls != '4';
	{
		g_autofree char *fd = rc->diagnostic ? fold(rc->diagnostic) : NULL;
		rc->reason = reason_of(rc->status, fd);
		/* "failed" with a 4.x.x code: the MTA gave up retrying. */
		if (strcmp(rc->action, "failed") == 0 && cls == '4' &&
		    rc->reason != RD_BOUNCE_REASON_MAILBOX_FULL && rc->reason != RD_BOUNCE_REASON_SPAM)
			rc->reason = RD_BOUNCE_REASON_EXPIRED;
	}
	g_ptr_array_add(out, rc);
}

/* Read the fields of a message/delivery-status body: a per-message block,
 * then one block per recipient, separated by blank lines.  Folded lines
 * continue the field above them; of a repeated field the first counts. */
static void
dsn_parse(const char *text, GPtrArray *out)
{
	g_auto(GStrv) lines = g_strsplit(text, "\n", -1);
	g_autoptr(GHashTable) f = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
	g_autofree char *current = NULL; /* the field a continuation extends */

	for (char **lp = lines;; lp++) {
		char *line = *lp;
		gsize n = line ? strlen(line) : 0;
		char *colon;

		if (n > 0 && line[n - 1] == '\r')
			line[--n] = '\0';
		if (line == NULL || strspn(line, " \t") == n) {
			if (g_hash_table_contains(f, "final-recipient") ||
			    g_hash_table_contains(f, "original-recipient"))
				dsn_block(f, out);
			g_hash_table_remove_all(f);
			g_clear_pointer(&current, g_free);
			if (line == NULL)
				break;
			continue;
		}
		if ((line[0] == ' ' || line[0] == '\t') && current != NULL) {
			const char *old = g_hash_table_lookup(f, current);
			char *joined = g_strconcat(old, " ", g_strstrip(line), NULL);
			g_hash_table_replace(f, g_strdup(current), joined);
			continue;
		}
		g_clear_pointer(&current, g_free);
		colon = strchr(line, ':');
		if (colon == NULL || colon == line)
			continue;
		*colon = '\0';
		char *name = g_ascii_strdown(g_strstrip(line), -1);
		if (g_hash_table_contains(f, name)) {
			g_free(name);
			continue;
		}
		current = g_strdup(name);
		g_hash_table_insert(f, name, g_strstrip(g_strdup(colon + 1)));
	}
}

typedef struct {
	GString *plain;
	GString *html;
	GPtrArray *dsn;  /* char*: bodies of delivery-status parts */
	char *arf;       /* the first message/feedback-report body, or NULL */
	char *orig_to;   /* To of the first attached message, or NULL */
} walk_ctx;

static char *
part_bytes(GMimePart *part)
{
	GMimeDataWrapper *w = g_mime_part_get_content(part);
	g_autoptr(GMimeStream) mem = NULL;
	GByteArray *ba;

	if (w == NULL)
		return g_strdup("");
	mem = g_mime_stream_mem_new();
	g_mime_data_wrapper_write_to_stream(w, mem);
	ba = g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(mem));
	if (ba == NULL || ba->len == 0)
		return g_strdup("");
	return g_utf8_make_valid((const char *)ba->data, ba->len);
}

/* Collect the report's own texts and DSN bodies.  Attached messages
 * (message/rfc822) are the returned original and are skipped. */
static void
walk(GMimeObject *obj, walk_ctx *ctx, int depth)
{
	GMimeContentType *ct;
	GMimeContentDisposition *cd;

	if (obj == NULL || depth > RD_BOUNCE_MAX_DEPTH)
		return;
	if (GMIME_IS_MULTIPART(obj)) {
		GMimeMultipart *mp = GMIME_MULTIPART(obj);
		for (int i = 0; i < g_mime_multipart_get_count(mp); i++)
			walk(g_mime_multipart_get_part(mp, i), ctx, depth + 1);
		return;
	}
	if (GMIME_IS_MESSAGE_PART(obj)) {
		GMimeMessage *inner = g_mime_message_part_get_message(GMIME_MESSAGE_PART(obj));
		const char *to = inner ? g_mime_object_get_header(GMIME_OBJECT(inner), "To") : NULL;
		if (to != NULL && ctx->orig_to == NULL)
			ctx->orig_to = g_strdup(to);
		return;
	}
	if (!GMIME_IS_PART(obj))
		return;
	ct = g_mime_object_get_content_type(obj);
	if (g_mime_content_type_is_type(ct, "message", "feedback-report")) {
		if (ctx->arf == NULL)
			ctx->arf = part_bytes(GMIME_PART(obj));
		return;
	}
	if (g_mime_content_type_is_type(ct, "message", "delivery-status") ||
	    g_mime_content_type_is_type(ct, "message", "global-delivery-status")) {
		g_ptr_array_add(ctx->dsn, part_bytes(GMIME_PART(obj)));
		return;
	}
	cd = g_mime_object_get_content_disposition(obj);
	if (cd != NULL && g_mime_content_disposition_is_attachment(cd))
		return;
	if (g_mime_content_type_is_type(ct, "text", "plain") ||
	    g_mime_content_type_is_type(ct, "text", "html")) {
		GString *dst =
		    g_mime_content_type_is_type(ct, "text", "plain") ? ctx->plain : ctx->html;
		g_autofree char *t = GMIME_IS_TEXT_PART(obj)
		                         ? g_mime_text_part_get_text(GMIME_TEXT_PART(obj))
		                         : part_bytes(GMIME_PART(obj));
		if (t != NULL) {
			g_autofree char *v = g_utf8_make_valid(t, -1);
			g_string_append(dst, v);
			g_string_append_c(dst, '\n');
		}
	}
}

/* Crude HTML to text, enough to find addresses and codes in an HTML-only
 * non-delivery report: tags become line breaks or nothing, a few entities
 * are decoded, script and style are dropped. */
static char *
html_to_text(const char *html)
{
	GString *out = g_string_new(NULL);
	const char *p = html;

	while (*p) {
		if (*p == '<') {
			const char *end = strchr(p, '>');
			g_autofree char *tag = NULL;
			if (end == NULL)
				break;
			tag = g_ascii_strdown(p + 1, end - p - 1);
			if (g_str_has_prefix(tag, "style") || g_str_has_prefix(tag, "script")) {
				g_autofree char *close = g_strdup_printf(
				    "</%s", g_str_has_prefix(tag, "style") ? "style" : "script");
				const char *c = strstr(end, close);
				if (c == NULL)
					c = strstr(end, g_str_has_prefix(tag, "style")
					                    ? "</STYLE"
					                    : "</SCRIPT");
				end = c ? strchr(c, '>') : NULL;
				if (end == NULL)
					break;
			} else if (g_str_has_prefix(tag, "br") || g_str_has_prefix(tag, "p") ||
			           g_str_has_prefix(tag, "/p") || g_str_has_prefix(tag, "div") ||
			           g_str_has_prefix(tag, "/div") || g_str_has_prefix(tag, "tr") ||
			           g_str_has_prefix(tag, "li") || g_str_has_prefix(tag, "/h")) {
				g_string_append_c(out, '\n');
			} else if (g_str_has_prefix(tag, "td")) {
				g_string_append_c(out, ' ');
			}
			p = end + 1;
			continue;
		}
		if (*p == '&') {
			static const struct {
				const char *ent, *text;
			} ents[] = {{"&nbsp;", " "}, {"&amp;", "&"},   {"&lt;", "<"},
			            {"&gt;", ">"},   {"&quot;", "\""}, {"&#39;", "'"}};
			gboolean done = FALSE;
			for (gsize i = 0; i < G_N_ELEMENTS(ents); i++) {
				if (g_ascii_strncasecmp(p, ents[i].ent, strlen(ents[i].ent)) == 0) {
					g_string_append(out, ents[i].text);
					p += strlen(ents[i].ent);
					done = TRUE;
					break;
				}
			}
			if (done)
				continue;
		}
		g_string_append_c(out, *p++);
	}
	return g_string_free(out, FALSE);
}

static const char *const pasted_headers[] = {
    "from:",           "to:",       "cc:",          "subject:",      "date:",
    "message-id:",     "received:", "return-path:", "mime-version:", "content-type:",
    "dkim-signature:", "reply-to:", "sender:",      "x-mailer:",     NULL};

static gboolean
is_header_line(const char *line, gsize len)
{
	for (const char *const *h = pasted_headers; *h; h++)
		if (len > strlen(*h) && g_ascii_strncasecmp(line, *h, strlen(*h)) == 0)
			return TRUE;
	return FALSE;
}

/* The text up to the first line where the returned original begins: a
 * marker line, or two header lines in a row (an original pasted without
 * any marker, or after a marker in a language we do not know). */
static char *
cut_original(const char *text)
{
	const char *line = text;

	while (*line) {
		const char *nl = strchr(line, '\n');
		gsize len = nl ? (gsize)(nl - line) : strlen(line);
		g_autofree char *raw = g_strndup(line, len);
		g_autofree char *f = fold(raw);

		if (contains_any(f, original_markers))
			return g_strndup(text, line - text);
		if (nl != NULL && is_header_line(line, len)) {
			const char *next = nl + 1;
			const char *nnl = strchr(next, '\n');
			gsize nlen = nnl ? (gsize)(nnl - next) : strlen(next);
			if (is_header_line(next, nlen) ||
			    (nlen > 0 && (*next == ' ' || *next == '\t')))
				return g_strndup(text, line - text);
		}
		if (nl == NULL)
			break;
		line = nl + 1;
	}
	return g_strdup(text);
}

/* Addresses that a bounce text mentions but that are not failed
 * recipients: the bounce's own correspondents and role accounts. */
static GHashTable *
excluded_addresses(GMimeMessage *msg)
{
	GHashTable *ex = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	static const char *const names[] = {
	    "From", "To", "Cc", "Sender", "Reply-To", "Return-Path", NULL};
	/* Not Delivered-To or X-Original-To: some MTAs (DragonFly) put the
	 * failed recipient there, and a bounce's own recipient is in To. */

	for (const char *const *n = names; *n; n++) {
		const char *v = g_mime_object_get_header(GMIME_OBJECT(msg), *n);
		g_autoptr(GMatchInfo) mi = NULL;

		if (v == NULL)
			continue;
		g_regex_match(re_addr, v, 0, &mi);
		while (g_match_info_matches(mi)) {
			char *a = g_match_info_fetch(mi, 0);
			char *low = g_ascii_strdown(a, -1);
			g_free(a);
			g_hash_table_add(ex, low);
			g_match_info_next(mi, NULL);
		}
	}
	return ex;
}

static gboolean
is_role_address(const char *addr)
{
	g_autofree char *local = g_strndup(addr, strchr(addr, '@') - addr);

	return g_strv_contains(role_locals, local);
}

typedef struct {
	gsize start, end;
	char *addr;
} occurrence;

static void
occurrence_clear(gpointer p)
{
	g_free(((occurrence *)p)->addr);
}

static gsize
line_start(const char *body, gsize pos)
{
	while (pos > 0 && body[pos - 1] != '\n')
		pos--;
	return pos;
}

static gsize
line_end(const char *body, gsize pos)
{
	const char *nl = strchr(body + pos, '\n');

	return nl ? (gsize)(nl - body) : strlen(body);
}

static gsize
indent_of(const char *body, gsize ls)
{
	gsize n = 0;

	while (body[ls + n] == ' ' || body[ls + n] == '\t')
		n++;
	return n;
}

static gboolean
blank_between(const char *body, gsize from, gsize to)
{
	for (gsize i = from; i + 1 < to; i++)
		if (body[i] == '\n' && strspn(body + i + 1, " \t\r") == strcspn(body + i + 1, "\n"))
			return TRUE;
	return FALSE;
}

/* The server's words at ANCHOR (a reply code, or where a reason starts):
 * from the anchor's line, or from just after the address when the anchor
 * continues the address's own line or paragraph, plus the following lines
 * that are indented deeper or repeat the reply code (multi-line SMTP
 * replies), never past STOP.  NULL when that is empty. */
static char *
diagnostic_at(const char *body, gsize anchor, gsize addr_end, gsize stop)
{
	gsize ls = line_start(body, anchor), als = line_start(body, addr_end);
	gsize start = ls, end = line_end(body, anchor);
	gsize ind = indent_of(body, ls);
	char code[4] = "";
	g_autofree char *raw = NULL;
	char *d;

	if (ls + ind >= end)
		return NULL;
	if (als == ls && addr_end <= anchor) {
		start = addr_end;
	} else if (als < ls && !blank_between(body, addr_end, ls) && indent_of(body, als) < ind) {
		start = addr_end;
		ind = indent_of(body, als);
	}
	if (g_ascii_isdigit(body[anchor]) && g_ascii_isdigit(body[anchor + 1]) &&
	    g_ascii_isdigit(body[anchor + 2]))
		memcpy(code, body + anchor, 3);
	for (int lines = 1; lines < RD_BOUNCE_DIAG_LINES && end < stop && body[end] == '\n';
	     lines++) {
		gsize next = end + 1, nind = indent_of(body, next);
		gsize nend = line_end(body, next);

		if (nend == next + nind || nend > stop)
			break;
		if (!(nind > ind || (code[0] && strncmp(body + next + nind, code, 3) == 0)))
			break;
		end = nend;
	}
	raw = g_strndup(body + start, end - start);
	d = collapse_ws(raw);
	/* Drop the punctuation that tied the address to its reason
	 * ("<user@example.net>: ...", "user@example.net... Deferred"). */
	gsize skip = strspn(d, ">:;,.'\" ");
	memmove(d, d + skip, strlen(d + skip) + 1);
	if (strlen(d) > RD_BOUNCE_DIAG_MAX) {
		gsize cut = RD_BOUNCE_DIAG_MAX;
		while (cut > 0 && (d[cut] & 0xc0) == 0x80)
			cut--;
		d[cut] = '\0';
	}
	if (*d == '\0')
		g_clear_pointer(&d, g_free);
	return d;
}

/* The earliest failure code (enhanced or basic) in BODY[from, to). */
static gboolean
code_in(const char *body, gsize from, gsize to, gsize *at)
{
	g_autoptr(GMatchInfo) m1 = NULL;
	g_autoptr(GMatchInfo) m2 = NULL;
	gint s1 = -1, s2 = -1, e;
	gboolean found = FALSE;

	if (to <= from)
		return FALSE;
	if (g_regex_match_full(re_enhanced, body, to, from, 0, &m1, NULL))
		g_match_info_fetch_pos(m1, 0, &s1, &e);
	if (g_regex_match_full(re_basic, body, to, from, 0, &m2, NULL))
		g_match_info_fetch_pos(m2, 0, &s2, &e);
	if (s1 >= 0 && (s2 < 0 || s1 <= s2)) {
		*at = (gsize)s1;
		found = TRUE;
	} else if (s2 >= 0) {
		*at = (gsize)s2;
		found = TRUE;
	}
	return found;
}

/* Find failed recipients in the human-readable text of a non-DSN bounce. */
static void
text_extract(const char *body, GMimeMessage *msg, gboolean delay, GPtrArray *out)
{
	g_autoptr(GHashTable) ex = excluded_addresses(msg);
	g_autoptr(GArray) occ = g_array_new(FALSE, TRUE, sizeof(occurrence));
	g_autoptr(GMatchInfo) mi = NULL;
	gsize body_len = strlen(body);

	g_autoptr(GHashTable) alias = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);

	g_array_set_clear_func(occ, occurrence_clear);
	g_regex_match(re_addr, body, 0, &mi);
	while (g_match_info_matches(mi)) {
		gint s, e;
		occurrence o;
		g_autofree char *a = g_match_info_fetch(mi, 0);

		g_match_info_fetch_pos(mi, 0, &s, &e);
		g_match_info_next(mi, NULL);
		/* Addresses inside URLs ("?u=user@example.com") are not recipients. */
		if (s > 0 && strchr("/=?&", body[s - 1]) != NULL)
			continue;
		o.addr = g_ascii_strdown(a, -1);
		if (g_hash_table_contains(ex, o.addr) || is_role_address(o.addr)) {
			g_free(o.addr);
			continue;
		}
		/* "forwarded@example.net (generated from member@example.org)"
		 * (Exim), "(expanded from: <member@example.org>)" (sendmail):
		 * the member's address is the one Rounds sent to, the other is
		 * what forwarding made of it; from here on it stands for the
		 * member's. */
		{
			/* sendmail may put "(reason: ...)" in between. */
			const char *after = body + e + strspn(body + e, "> \t\r\n");
			static const char *const via[] = {"(generated from ", "(expanded from: ",
			                                  "(expanded from ", NULL};
			gboolean forwarded = FALSE;
			if (g_ascii_strncasecmp(after, "(reason: ", 9) == 0 && strchr(after, '\n'))
				after = strchr(after, '\n') + strspn(strchr(after, '\n'), " \t\r\n");
			for (const char *const *v = via; *v; v++) {
				g_autoptr(GMatchInfo) fm = NULL;
				if (g_ascii_strncasecmp(after, *v, strlen(*v)) == 0 &&
				    g_regex_match(re_addr, after + strlen(*v), 0, &fm)) {
					g_autofree char *fa = g_match_info_fetch(fm, 0);
					g_hash_table_replace(alias, g_strdup(o.addr), g_ascii_strdown(fa, -1));
					forwarded = TRUE;
				}
			}
			if (forwarded) {
				g_free(o.addr);
				continue;
			}
			if (g_hash_table_contains(alias, o.addr)) {
				char *member = g_strdup(g_hash_table_lookup(alias, o.addr));
				g_free(o.addr);
				o.addr = member;
			}
		}
		o.start = (gsize)s;
		o.end = (gsize)e;
		g_array_append_val(occ, o);
	}

	for (guint i = 0; i < occ->len; i++) {
		occurrence *o = &g_array_index(occ, occurrence, i);
		gsize stop =
		    i + 1 < occ->len ? g_array_index(occ, occurrence, i + 1).start : body_len;
		rd_bounce_recipient *rc = find_recipient(out, o->addr);
		gsize at;

		if (rc == NULL) {
			rc = g_new0(rd_bounce_recipient, 1);
			rc->address = g_strdup(o->addr);
			g_ptr_array_add(out, rc);
		}
		if (rc->status != NULL)
			continue;
		if (code_in(body, o->end, stop, &at)) {
			g_autofree char *d = diagnostic_at(body, at, o->end, body_len);
			g_autofree char *st = first_enhanced(d);
			if (st == NULL && rc->diagnostic != NULL &&
			    first_basic_class(rc->diagnostic))
				continue;
			g_free(rc->diagnostic);
			rc->diagnostic = g_steal_pointer(&d);
			g_free(rc->status);
			rc->status = g_steal_pointer(&st);
		} else if (rc->diagnostic == NULL) {
			/* No code: the rest of the address line, or else the
			 * next line and its continuations, in the server's words. */
			gsize le = line_end(body, o->end);
			if (strspn(body + o->end, ">:;,.) \t\r") < le - o->end)
				rc->diagnostic = diagnostic_at(body, o->end, o->end, stop);
			else if (le + 1 < stop)
				rc->diagnostic = diagnostic_at(body, le + 1, o->end, stop);
		}
	}

	for (guint i = 0; i < out->len; i++) {
		rd_bounce_recipient *rc = g_ptr_array_index(out, i);
		char cls = rc->status ? rc->status[0] : first_basic_class(rc->diagnostic);

		rc->permanent = cls == '5' || (cls == 0 && !delay);
		rc->action = g_strdup(delay && !rc->permanent ? "delayed" : "failed");
	}
}

/* NEEDLE (lower case, single spaces) in HAY ignoring case, where any run
 * of whitespace in HAY matches a space; the position in HAY, or NULL. */
static const char *
strcasestr_ws(const char *hay, const char *needle)
{
	for (const char *h = hay; *h; h++) {
		const char *p = h, *n = needle;

		while (*n && *p) {
			if (*n == ' ' && g_ascii_isspace(*p)) {
				while (g_ascii_isspace(*p))
					p++;
				n++;
			} else if (g_ascii_tolower(*p) == *n) {
				p++;
				n++;
			} else {
				break;
			}
		}
		if (*n == '\0')
			return h;
	}
	return NULL;
}

static gboolean
from_daemon(GMimeMessage *msg)
{
	const char *from = g_mime_object_get_header(GMIME_OBJECT(msg), "From");
	g_autofree char *rp = header_value(msg, "Return-Path");
	g_autofree char *f = NULL;
	g_autofree char *addr = NULL;

	if (rp != NULL && (strcmp(rp, "<>") == 0 || *rp == '\0'))
		return TRUE;
	if (from == NULL)
		return FALSE;
	f = fold(from);
	if (strstr(f, "mail delivery") || strstr(f, "mailer-daemon") || strstr(f, "postmaster"))
		return TRUE;
	addr = find_address(from);
	return addr != NULL && is_role_address(addr);
}

static gboolean
header_says_yes(GMimeMessage *msg, const char *name)
{
	g_autofree char *v = header_value(msg, name);
	g_autofree char *low = NULL;

	if (v == NULL)
		return FALSE;
	low = g_ascii_strdown(v, -1);
	return strcmp(low, "no") != 0 && strcmp(low, "false") != 0 && strcmp(low, "0") != 0;
}

gboolean
rd_bounce_is_auto_reply(GMimeMessage *msg)
{
	g_autofree char *as = header_value(msg, "Auto-Submitted");
	g_autofree char *prec = header_value(msg, "Precedence");
	g_autofree char *xprec = header_value(msg, "X-Precedence");
	g_autofree char *xgen = header_value(msg, "X-Autogenerated");
	g_autofree char *xclass = header_value(msg, "X-POST-MessageClass");
	const char *subject = g_mime_message_get_subject(msg);
	gboolean explicit_no = FALSE;

	if (as != NULL) {
		/* RFC 3834: any keyword but "no" (parameters may follow ";"). */
		g_autofree char *kw = g_ascii_strdown(as, strcspn(as, ";( \t"));
		if (*kw && strcmp(kw, "no") != 0)
			return TRUE;
		explicit_no = strcmp(kw, "no") == 0;
	}
	if (header_says_yes(msg, "X-Autoreply") || header_says_yes(msg, "X-Autorespond") ||
	    header_says_yes(msg, "X-Autoresponder"))
		return TRUE;
	if ((prec && g_ascii_strcasecmp(prec, "auto_reply") == 0) ||
	    (xprec && g_ascii_strcasecmp(xprec, "auto_reply") == 0))
		return TRUE;
	if (xgen && g_ascii_strcasecmp(xgen, "reply") == 0)
		return TRUE;
	if (xclass && g_strrstr(xclass, "utoresponder") != NULL)
		return TRUE;
	/* X-Auto-Response-Suppress asks others not to auto-reply; Outlook puts
	 * it on ordinary mail, so it says nothing about this message. */
	if (explicit_no || subject == NULL)
		return FALSE;

	g_autofree char *s = fold(subject);
	const char *p = s;
	while (*p == '[' || *p == '(' || *p == ' ' || *p == '*')
		p++;
	for (const char *const *a = auto_subjects; *a; a++) {
		g_autofree char *pat = fold(*a);
		g_autofree char *br1 = g_strconcat("[", pat, NULL);
		g_autofree char *br2 = g_strconcat("(", pat, NULL);
		if (g_str_has_prefix(p, pat) || strstr(s, br1) || strstr(s, br2))
			return TRUE;
	}
	/* Lotus Notes: "Jane Doe is out of the office." */
	return strstr(s, " is out of the office") != NULL || strstr(s, " is out of office") != NULL;
}

/* An ARF report (RFC 5965): the complaining address is Original-Rcpt-To,
 * else Removal-Recipient, else the To of the returned message.  It is not
 * a bounce; the lead's scoring flags the member and tells the owners. */
static void
feedback_parse(const char *arf, const char *orig_to, rd_bounce_report *r)
{
	g_auto(GStrv) lines = g_strsplit(arf, "\n", -1);
	g_autofree char *addr = NULL, *type = NULL, *removal = NULL;
	rd_bounce_recipient *rc;

	r->kind = RD_BOUNCE_KIND_FEEDBACK;
	for (char **lp = lines; *lp; lp++) {
		const char *colon = strchr(*lp, ':');
		g_autofree char *name = NULL;

		if (colon == NULL)
			continue;
		name = g_ascii_strdown(*lp, colon - *lp);
		if (strcmp(name, "original-rcpt-to") == 0 && addr == NULL)
			addr = find_address(colon + 1);
		else if (strcmp(name, "removal-recipient") == 0 && removal == NULL)
			removal = find_address(colon + 1);
		else if (strcmp(name, "feedback-type") == 0 && type == NULL) {
			g_autofree char *value = g_strstrip(g_strdup(colon + 1));

			type = g_ascii_strdown(value, -1);
		}
	}
	if (addr == NULL)
		addr = g_steal_pointer(&removal);
	if (addr == NULL && orig_to != NULL)
		addr = find_address(orig_to);
	if (addr == NULL)
		return;
	rc = g_new0(rd_bounce_recipient, 1);
	rc->address = g_steal_pointer(&addr);
	rc->action = g_strdup("feedback");
	rc->diagnostic = g_steal_pointer(&type);
	rc->reason = rc->diagnostic && (strcmp(rc->diagnostic, "abuse") == 0 ||
	                                strcmp(rc->diagnostic, "fraud") == 0)
	                 ? RD_BOUNCE_REASON_SPAM
	                 : RD_BOUNCE_REASON_OTHER;
	g_ptr_array_add(r->recipients, rc);
}

rd_bounce_report *
rd_bounce_parse(GMimeMessage *msg)
{
	rd_bounce_report *r = g_new0(rd_bounce_report, 1);
	walk_ctx ctx = {g_string_new(NULL), g_string_new(NULL),
	                g_ptr_array_new_with_free_func(g_free), NULL, NULL};
	g_autofree char *text = NULL, *body = NULL, *fbody = NULL, *fsubj = NULL;
	gboolean strong, delay, ndr_header, daemon, bounce_subject;

	regex_init();
	r->recipients = g_ptr_array_new_with_free_func(recipient_free);
	walk(g_mime_message_get_mime_part(msg), &ctx, 0);

	if (ctx.arf != NULL) {
		feedback_parse(ctx.arf, ctx.orig_to, r);
		goto done;
	}
	for (guint i = 0; i < ctx.dsn->len; i++)
		dsn_parse(g_ptr_array_index(ctx.dsn, i), r->recipients);
	/* Some gateways paste the DSN fields into a text part instead. */
	if (r->recipients->len == 0 && ctx.dsn->len == 0 && from_daemon(msg)) {
		g_autofree char *fp = g_ascii_strdown(ctx.plain->str, -1);
		if (strstr(fp, "\nfinal-recipient:") && strstr(fp, "\nstatus:"))
			dsn_parse(ctx.plain->str, r->recipients);
	}
	if (r->recipients->len > 0) {
		for (guint i = 0; i < r->recipients->len; i++) {
			rd_bounce_recipient *rc = g_ptr_array_index(r->recipients, i);
			if (strcmp(rc->action, "failed") == 0 || strcmp(rc->action, "delayed") == 0)
				r->is_bounce = TRUE;
		}
		r->kind = r->is_bounce ? RD_BOUNCE_KIND_BOUNCE : RD_BOUNCE_KIND_DELIVERED;
		goto done;
	}

	text = ctx.plain->len > 0 ? g_strdup(ctx.plain->str) : html_to_text(ctx.html->str);
	body = cut_original(text);
	fbody = fold(body);
	fsubj = fold(g_mime_message_get_subject(msg) ? g_mime_message_get_subject(msg) : "");
	strong = contains_any(fbody, strong_phrases);
	/* Headers only MTAs put on non-delivery reports. */
	ndr_header =
	    g_mime_object_get_header(GMIME_OBJECT(msg), "X-Failed-Recipients") != NULL ||
	    g_mime_object_get_header(GMIME_OBJECT(msg), "X-MS-Exchange-Message-Is-Ndr") != NULL;
	daemon = from_daemon(msg);
	bounce_subject = contains_any(fsubj, bounce_subjects);
	if (!strong && !ndr_header && !(daemon && bounce_subject) && rd_bounce_is_auto_reply(msg)) {
		r->is_auto_reply = TRUE;
		r->kind = RD_BOUNCE_KIND_AUTO_REPLY;
		goto done;
	}
	delay = contains_any(fbody, delay_phrases) || contains_any(fsubj, delay_phrases);
	{
		/* Exchange repeats the original's To, Subject and Sent above
		 * "did not reach the following recipient(s)": only what
		 * follows the phrase are recipients. */
		const char *list = strcasestr_ws(body, "did not reach the following recipient");
		text_extract(list ? list : body, msg, delay, r->recipients);
	}
	if (!strong && !ndr_header) {
		gboolean coded = FALSE;
		for (guint i = 0; i < r->recipients->len; i++) {
			rd_bounce_recipient *rc = g_ptr_array_index(r->recipients, i);
			if (rc->status || first_basic_class(rc->diagnostic))
				coded = TRUE;
		}
		/* A daemon sender with a bounce subject is enough once an
		 * address is named (IMail: "User mailbox exceeds allowed size:
		 * user@example.org"); either alone needs a code or a phrase. */
		if (!(daemon && bounce_subject && r->recipients->len > 0) &&
		    !((daemon || bounce_subject) && (coded || contains_any(fbody, weak_phrases)))) {
			g_ptr_array_set_size(r->recipients, 0);
			goto done;
		}
	}
	r->is_bounce = TRUE;
	r->kind = RD_BOUNCE_KIND_BOUNCE;
	if (r->recipients->len == 0) {
		/* Exim names the failed addresses in a header even when the
		 * text is in a language we do not read. */
		g_autofree char *xf = header_value(msg, "X-Failed-Recipients");
		g_auto(GStrv) parts = xf ? g_strsplit(xf, ",", -1) : NULL;
		for (char **p = parts; p && *p; p++) {
			g_autofree char *a = find_address(*p);
			rd_bounce_recipient *rc;
			if (a == NULL || find_recipient(r->recipients, a))
				continue;
			rc = g_new0(rd_bounce_recipient, 1);
			rc->address = g_steal_pointer(&a);
			rc->action = g_strdup(delay ? "delayed" : "failed");
			rc->permanent = !delay;
			g_ptr_array_add(r->recipients, rc);
		}
	}
	/* A text bounce's reason: the recipient's own words, else (one
	 * recipient) the whole text. */
	for (guint i = 0; i < r->recipients->len; i++) {
		rd_bounce_recipient *rc = g_ptr_array_index(r->recipients, i);
		g_autofree char *fd = rc->diagnostic ? fold(rc->diagnostic) : NULL;

		rc->reason = reason_of(rc->status, fd);
		if (rc->reason == RD_BOUNCE_REASON_OTHER && r->recipients->len == 1)
			rc->reason = reason_of(NULL, fbody);
	}
done:
	g_free(ctx.arf);
	g_free(ctx.orig_to);
	g_string_free(ctx.plain, TRUE);
	g_string_free(ctx.html, TRUE);
	g_ptr_array_unref(ctx.dsn);
	return r;
}

char *
rd_bounce_report_to_json(const rd_bounce_report *r, gboolean pretty)
{
	g_autoptr(JsonBuilder) b = json_builder_new();
	g_autoptr(JsonGenerator) gen = json_generator_new();
	g_autoptr(JsonNode) root = NULL;

	json_builder_begin_object(b);
	json_builder_set_member_name(b, "is_bounce");
	json_builder_add_boolean_value(b, r->is_bounce);
	json_builder_set_member_name(b, "is_auto_reply");
	json_builder_add_boolean_value(b, r->is_auto_reply);
	json_builder_set_member_name(b, "kind");
	json_builder_add_string_value(b, rd_bounce_kind_name(r->kind));
	json_builder_set_member_name(b, "recipients");
	json_builder_begin_array(b);
	for (guint i = 0; i < r->recipients->len; i++) {
		const rd_bounce_recipient *rc = g_ptr_array_index(r->recipients, i);

		json_builder_begin_object(b);
		json_builder_set_member_name(b, "address");
		json_builder_add_string_value(b, rc->address);
		json_builder_set_member_name(b, "status");
		if (rc->status)
			json_builder_add_string_value(b, rc->status);
		else
			json_builder_add_null_value(b);
		json_builder_set_member_name(b, "action");
		json_builder_add_string_value(b, rc->action);
		json_builder_set_member_name(b, "permanent");
		json_builder_add_boolean_value(b, rc->permanent);
		json_builder_set_member_name(b, "diagnostic");
		if (rc->diagnostic)
			json_builder_add_string_value(b, rc->diagnostic);
		else
			json_builder_add_null_value(b);
		json_builder_set_member_name(b, "reason");
		json_builder_add_string_value(b, rd_bounce_reason_name(rc->reason));
		json_builder_end_object(b);
	}
	json_builder_end_array(b);
	json_builder_end_object(b);

	root = json_builder_get_root(b);
	json_generator_set_root(gen, root);
	json_generator_set_pretty(gen, pretty);
	if (pretty)
		json_generator_set_indent(gen, 2);
	return json_generator_to_data(gen, NULL);
}
