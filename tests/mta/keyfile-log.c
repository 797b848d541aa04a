/* keyfile-log.c - a preload shim for t-mta.sh: every GKeyFile lookup the
 * program makes is appended as "GROUP KEY" to the file $KEYFILE_LOG, so
 * the test learns which rounds.conf settings the binary reads by watching
 * it, not by reading src/.
 *
 *   cc -shared -fPIC -o keyfile-log.so keyfile-log.c $(pkg-config --cflags glib-2.0) -ldl
 *   KEYFILE_LOG=keys LD_PRELOAD=./keyfile-log.so rounds tick
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <glib.h>
#include <stdio.h>
#include <stdlib.h>

static void
keyfile_log(const char *group, const char *key)
{
	const char *path = getenv("KEYFILE_LOG");
	FILE *f = path ? fopen(path, "a") : NULL;

	if (f == NULL)
		return;
	fprintf(f, "%s %s\n", group ? group : "", key ? key : "");
	fclose(f);
}

/* One wrapper per lookup: log, then call GLib's own. */
#define KEYFILE_WRAP(type, name)                                                                   \
	type name(GKeyFile *kf, const gchar *group, const gchar *key, GError **error);             \
	type name(GKeyFile *kf, const gchar *group, const gchar *key, GError **error)              \
	{                                                                                          \
		type (*real)(GKeyFile *, const gchar *, const gchar *, GError **);                 \
                                                                                                   \
		*(void **)&real = dlsym(RTLD_NEXT, #name);                                         \
		keyfile_log(group, key);                                                           \
		return real(kf, group, key, error);                                                \
	}

KEYFILE_WRAP(gboolean, g_key_file_has_key)
KEYFILE_WRAP(gchar *, g_key_file_get_value)
KEYFILE_WRAP(gchar *, g_key_file_get_string)
KEYFILE_WRAP(gint, g_key_file_get_integer)
KEYFILE_WRAP(gint64, g_key_file_get_int64)
KEYFILE_WRAP(guint64, g_key_file_get_uint64)
KEYFILE_WRAP(gboolean, g_key_file_get_boolean)
KEYFILE_WRAP(gdouble, g_key_file_get_double)

/* The same for the lookups of a list, which also give its length. */
#define KEYFILE_WRAP_LIST(type, name)                                                              \
	type name(GKeyFile *kf, const gchar *group, const gchar *key, gsize *length,               \
	          GError **error);                                                                 \
	type name(GKeyFile *kf, const gchar *group, const gchar *key, gsize *length,               \
	          GError **error)                                                                  \
	{                                                                                          \
		type (*real)(GKeyFile *, const gchar *, const gchar *, gsize *, GError **);        \
                                                                                                   \
		*(void **)&real = dlsym(RTLD_NEXT, #name);                                         \
		keyfile_log(group, key);                                                           \
		return real(kf, group, key, length, error);                                        \
	}

KEYFILE_WRAP_LIST(gchar **, g_key_file_get_string_list)
KEYFILE_WRAP_LIST(gint *, g_key_file_get_integer_list)
KEYFILE_WRAP_LIST(gboolean *, g_key_file_get_boolean_list)
KEYFILE_WRAP_LIST(gdouble *, g_key_file_get_double_list)
