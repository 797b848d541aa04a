/* template.c - the one template lookup (template.h).
 *
 * Commands' mail and digests used to find their templates each in their
 * own way; both now ask here, so an override or a missing file behaves the
 * same for either.
 */
#include "config.h"
#include "template.h"

char *
rd_template_load(const rd_template_place *p, const char *name)
{
	/* Callers without a configuration (bounce notices from the outbox)
	 * get the same default as rounds.conf; never the current directory. */
	static char *fallback;
	const char *dirs[2];
	guint n = 0;
	g_autofree char *own = NULL;

	if (p->home != NULL && p->community != NULL)
		dirs[n++] = own = g_build_filename(p->home, "templates", p->community, NULL);
	if (p->dir == NULL && fallback == NULL)
		fallback = rd_config_default_template_dir();
	dirs[n++] = p->dir != NULL ? p->dir : fallback;
	for (guint i = 0; i < n; i++) {
		g_autofree char *path = g_build_filename(dirs[i], name, NULL);
		char *text = NULL;

		if (g_file_get_contents(path, &text, NULL, NULL))
			return text;
	}
	return NULL;
}

char *
rd_template_partial(const char *name, gpointer place)
{
	g_autofree char *file = g_strdup_printf("%s.mustache", name);

	return rd_template_load(place, file);
}
