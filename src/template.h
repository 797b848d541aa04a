/* template.h - where the templates of automatic mail and digests come
 * from: a community's own copy in HOME/templates/COMMUNITY/ overrides the
 * installation's template directory.  Never the current directory.
 */
#ifndef RD_TEMPLATE_H
#define RD_TEMPLATE_H

#include <glib.h>

/* Where to look for one community's templates. */
typedef struct {
	const char *home;      /* HOME of HOME/templates/COMMUNITY/; NULL: no overrides */
	const char *community; /* NULL: no overrides (a digest of several communities) */
	const char *dir;       /* installed templates; NULL: rd_config_default_template_dir() */
} rd_template_place;

/* The source of template NAME (a plain file name) at P: the community's
 * override, else the installed one; NULL when neither can be read. */
char *rd_template_load(const rd_template_place *p, const char *name);

/* An rd_mustache_partial_fn: partial NAME is the file NAME.mustache at the
 * rd_template_place PLACE (mustache.c has refused names with a path). */
char *rd_template_partial(const char *name, gpointer place);

#endif
