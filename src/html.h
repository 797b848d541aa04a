/* html.h - readable plain text from HTML mail bodies.
 *
 * Built on libxml2's forgiving HTML parser.  Input is UTF-8 (the caller
 * converts charsets first); output is UTF-8, g_malloc'd, never NULL.
 */
#ifndef RD_HTML_H
#define RD_HTML_H

#include <glib.h>

/* Readable plain text from an HTML document or fragment: blocks separated by
 * a blank line, lists as "- item", links as "text <url>", quotes as "> ". */
char *rd_html_to_text(const char *html, gssize len);

/* Same, but first removes quoted material and signatures by structure
 * (Gmail, Apple Mail, Outlook, Thunderbird, Yahoo markup). */
char *rd_html_reply_to_text(const char *html, gssize len);

/* Like rd_html_reply_to_text(); when removed != NULL it receives the text of
 * what was taken out by structure ("" when nothing was). */
char *rd_html_reply_split(const char *html, gssize len, char **removed);

#endif
