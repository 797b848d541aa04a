/* screen.h - find patient identifiers in a post before it reaches a list.
 *
 * rd_screen_text() looks at one text; rd_screen_message() at everything a
 * post shows its readers (subject, text or HTML body, attachment names,
 * text attachments).  A non-empty result holds the post with the reason
 * RD_SCREEN_HOLD_REASON (post.c).  The rules and word lists are in
 * screen.c; README "Patient identifiers" says what they catch.
 */
#ifndef RD_SCREEN_H
#define RD_SCREEN_H

#include <glib.h>

struct _rd_message;

/* The hold reason of a post held by screening. */
#define RD_SCREEN_HOLD_REASON "patient-identifiers"

/* One identifier found: KIND is a static string ("name", "date", "age",
 * "mrn", "nhs-number", "ssn", "mbi", "ni-number", "npi", "phone",
 * "email", "address", "ip", "serial", "vehicle"); START and END are byte offsets in
 * the text screened; MASKED is the matched text with all but the first
 * character of each word replaced by '*'; CONTEXT (may be NULL) is the
 * surrounding line with the match masked; WHERE says which part of a
 * message it was in ("subject", "body", "attachment NAME", ...). */
typedef struct {
	const char *kind;
	gsize start, end;
	char *masked;
	char *context;
	char *where;
} rd_screen_finding;
void rd_screen_finding_free(rd_screen_finding *f);

/* What is allowed: ALLOW (NULL-terminated, may be NULL) are words and
 * names that are never identifiers in this community (its allowlist and
 * its members' names and addresses); AUTHOR_* are the author's own name
 * and address, never identifiers in the post's contact block or
 * signature. */
typedef struct {
	const char *const *allow;
	const char *author_name;
	const char *author_addr;
} rd_screen_opts;

/* The findings (rd_screen_finding*, by START) in TEXT (UTF-8, LEN bytes or
 * -1), never NULL.  A trailing signature (trim.c) and the author's contact
 * block are not screened for contact details. */
GPtrArray *rd_screen_text(const char *text, gssize len, const rd_screen_opts *opts);

/* The findings in the message M: subject, body, attachment names and
 * text attachments; each finding's WHERE names the part. */
GPtrArray *rd_screen_message(const struct _rd_message *m, const rd_screen_opts *opts);

/* TEXT with all but the first character of each word replaced by '*'. */
char *rd_screen_mask(const char *text, gssize len);

#endif
