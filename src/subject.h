/* subject.h - subject lines: reply/forward/[tag] prefixes and normalisation.
 *
 * Threading falls back to subjects when a reply carries no References or
 * In-Reply-To; these functions decide what counts as "the same subject".
 */
#ifndef RD_SUBJECT_H
#define RD_SUBJECT_H

#include <glib.h>

/* The subject with every reply/forward prefix and [tag] prefix removed,
 * whitespace collapsed, case-folded (g_utf8_casefold + NFKC normalisation),
 * for comparing subjects. NULL gives "". Never NULL. */
char *rd_subject_normalize(const char *subject);

/* TRUE when the subject starts (after optional [tag] prefixes) with a reply
 * prefix (Re:, AW:, SV:, Réf.:, 回复:, Re[2]:, ...); forward prefixes (Fwd:,
 * WG:, TR:, ...) are stripped by rd_subject_normalize() but are not replies. */
gboolean rd_subject_is_reply(const char *subject);

/* The subject with reply/forward/[tag] prefixes removed but case and inner
 * spacing kept (for display, e.g. "Re: " + base). NULL gives "". Never NULL. */
char *rd_subject_base(const char *subject);

#endif
