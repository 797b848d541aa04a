/* trim.h - the new text of a reply: quotes, attributions, forwarded-header
 * blocks and signatures removed (issue 4).
 *
 * Plain text is scanned line by line without regular expressions, so
 * pathological input (100,000 quoted lines, megabyte lines) stays linear.
 */
#ifndef RD_TRIM_H
#define RD_TRIM_H

#include <glib.h>

typedef struct {
	const char *const
	    *previous_bodies;    /* NULL-terminated earlier texts by the same sender, or NULL */
	const char *digest_text; /* text the reply answers (to drop pasted-back copies), or NULL */
} rd_trim_opts;

/* The new text of a reply (UTF-8, g_malloc'd); when elided != NULL it
 * receives the removed part. opts may be NULL. Never empty unless text is. */
char *rd_trim_text(const char *text, const rd_trim_opts *opts, char **elided);

/* For an HTML body: strip quotes by structure, convert with
 * rd_html_to_text, then rd_trim_text. */
char *rd_trim_html(const char *html, gssize len, const rd_trim_opts *opts, char **elided);

#endif
