/* photo.c - metadata taken out of photos with gexiv2 (photo.h).
 *
 * Exiv2 rewrites an image through a stream; the stream here is a buffer
 * in memory, so a patient's photo is never written to disk on its way
 * through.  What is left is checked afresh: a photo that still carries
 * any EXIF tag but its orientation, or any XMP or IPTC, is refused
 * rather than passed on (fail closed).
 *
 * gexiv2 (and Exiv2, in C++) is loaded with GModule the first time a post
 * carries a photo: linked in, it costs every `rounds deliver` about a
 * millisecond of start-up, and most mail has no photo.
 */
#include <gexiv2/gexiv2.h>
#include <gmodule.h>
#include <string.h>

#include "log.h"
#include "photo.h"

#define GEXIV2_SONAME "libgexiv2.so.2"

/* The gexiv2 functions photo.c calls, resolved at run time. */
static struct {
	gboolean (*initialize)(void);
	void (*log_set_level)(GExiv2LogLevel level);
	GExiv2Metadata *(*metadata_new)(void);
	gboolean (*open_buf)(GExiv2Metadata *m, const guint8 *data, glong n, GError **error);
	GExiv2Orientation (*try_get_orientation)(GExiv2Metadata *m, GError **error);
	void (*clear)(GExiv2Metadata *m);
	gboolean (*try_set_tag_long)(GExiv2Metadata *m, const gchar *tag, glong value,
	                             GError **error);
	gboolean (*save_stream)(GExiv2Metadata *m, ManagedStreamCallbacks *cb, GError **error);
	gchar **(*get_exif_tags)(GExiv2Metadata *m);
	gchar **(*get_xmp_tags)(GExiv2Metadata *m);
	gchar **(*get_iptc_tags)(GExiv2Metadata *m);
} gx;

static const char *const photo_types[] = {
    "image/jpeg", "image/jpg", "image/pjpeg", "image/png", "image/tiff",
    "image/heic", "image/heif", "image/webp", NULL,
};
static const char *const photo_suffixes[] = {
    ".jpg", ".jpeg", ".jpe", ".png", ".tif", ".tiff", ".heic", ".heif", ".webp", NULL,
};

static gboolean
in_list(const char *value, const char *const *list, gboolean suffix)
{
	for (guint i = 0; value != NULL && list[i] != NULL; i++) {
		gsize n = strlen(value), k = strlen(list[i]);

		if (suffix ? n >= k && g_ascii_strcasecmp(value + n - k, list[i]) == 0
		           : g_ascii_strcasecmp(value, list[i]) == 0)
			return TRUE;
	}
	return FALSE;
}

gboolean
rd_photo_is_photo(const char *content_type, const char *filename)
{
	return in_list(content_type, photo_types, FALSE) ||
	       in_list(filename, photo_suffixes, TRUE);
}

gboolean
rd_photo_is_dicom(const char *content_type, const char *filename)
{
	static const char *const dicom_types[] = {"application/dicom", NULL};
	static const char *const dicom_suffixes[] = {".dcm", ".dicom", NULL};

	return in_list(content_type, dicom_types, FALSE) ||
	       in_list(filename, dicom_suffixes, TRUE);
}

/* The ManagedStream gexiv2 reads the image from and writes the new one
 * to: Exiv2 reads it all, then writes the whole new image from the start
 * (StreamIo::transfer), so what was written is the result. */
typedef struct {
	GByteArray *buf;
	gint64 pos;
	gsize written; /* end of what was written, from the start */
	gboolean wrote;
} mem_stream;

static gboolean
mem_yes(void *handle)
{
	return TRUE;
}

static gint64
mem_length(void *handle)
{
	return ((mem_stream *)handle)->buf->len;
}

static gint64
mem_position(void *handle)
{
	return ((mem_stream *)handle)->pos;
}

static gint32
mem_read(void *handle, void *buffer, gint32 offset, gint32 count)
{
	mem_stream *m = handle;
	gint64 left = (gint64)m->buf->len - m->pos;
	gint32 n = left <= 0 ? 0 : (gint32)MIN((gint64)count, left);

	if (n > 0)
		memcpy((char *)buffer + offset, m->buf->data + m->pos, n);
	m->pos += n;
	return n;
}

static void
mem_write(void *handle, void *buffer, gint32 offset, gint32 count)
{
	mem_stream *m = handle;
	gsize end = (gsize)m->pos + (gsize)count;

	if (count <= 0)
		return;
	if (end > m->buf->len)
		g_byte_array_set_size(m->buf, end);
	memcpy(m->buf->data + m->pos, (char *)buffer + offset, count);
	m->pos = (gint64)end;
	m->written = MAX(m->written, end);
	m->wrote = TRUE;
}

static void
mem_seek(void *handle, gint64 offset, WrapperSeekOrigin origin)
{
	mem_stream *m = handle;
	gint64 base = origin == Begin ? 0 : origin == Current ? m->pos : (gint64)m->buf->len;

	m->pos = CLAMP(base + offset, 0, (gint64)m->buf->len);
	/* A rewrite starts again from the beginning. */
	if (m->pos == 0)
		m->written = 0;
}

static void
mem_flush(void *handle)
{
}

/* Load gexiv2 once; FALSE (and logged) when it cannot be. */
static gboolean
photo_init(void)
{
	static gsize once = 0;
	static gboolean loaded = FALSE;

	if (g_once_init_enter(&once)) {
		static const struct {
			const char *name;
			gpointer *fn;
		} fns[] = {
		    {"gexiv2_initialize", (gpointer *)&gx.initialize},
		    {"gexiv2_log_set_level", (gpointer *)&gx.log_set_level},
		    {"gexiv2_metadata_new", (gpointer *)&gx.metadata_new},
		    {"gexiv2_metadata_open_buf", (gpointer *)&gx.open_buf},
		    {"gexiv2_metadata_try_get_orientation", (gpointer *)&gx.try_get_orientation},
		    {"gexiv2_metadata_clear", (gpointer *)&gx.clear},
		    {"gexiv2_metadata_try_set_tag_long", (gpointer *)&gx.try_set_tag_long},
		    {"gexiv2_metadata_save_stream", (gpointer *)&gx.save_stream},
		    {"gexiv2_metadata_get_exif_tags", (gpointer *)&gx.get_exif_tags},
		    {"gexiv2_metadata_get_xmp_tags", (gpointer *)&gx.get_xmp_tags},
		    {"gexiv2_metadata_get_iptc_tags", (gpointer *)&gx.get_iptc_tags},
		};
		/* Never unloaded: Exiv2's C++ statics must outlive every caller. */
		GModule *mod = g_module_open(GEXIV2_SONAME, G_MODULE_BIND_LOCAL);

		loaded = mod != NULL;
		for (gsize i = 0; loaded && i < G_N_ELEMENTS(fns); i++)
			loaded = g_module_symbol(mod, fns[i].name, fns[i].fn) && *fns[i].fn != NULL;
		if (loaded) {
			gx.initialize();
			/* Exiv2 warns on stderr about every odd maker note; the MTA
			 * would mail that to the postmaster. */
			gx.log_set_level(GEXIV2_LOG_LEVEL_MUTE);
		} else {
			rd_log_warnx("photo metadata cannot be removed: %s",
			             mod ? "gexiv2 lacks a function" : g_module_error());
		}
		g_once_init_leave(&once, 1);
	}
	return loaded;
}

/* Whether M carries nothing but an EXIF orientation. */
static gboolean
only_orientation(GExiv2Metadata *m)
{
	g_auto(GStrv) exif = gx.get_exif_tags(m);
	g_auto(GStrv) xmp = gx.get_xmp_tags(m);
	g_auto(GStrv) iptc = gx.get_iptc_tags(m);

	for (guint i = 0; exif != NULL && exif[i] != NULL; i++)
		if (strcmp(exif[i], "Exif.Image.Orientation") != 0)
			return FALSE;
	return (xmp == NULL || xmp[0] == NULL) && (iptc == NULL || iptc[0] == NULL);
}

static GExiv2Metadata *
photo_open(const guint8 *data, gsize len, GError **error)
{
	GExiv2Metadata *m = gx.metadata_new();

	if (len > G_MAXINT32 || !gx.open_buf(m, data, (glong)len, error)) {
		g_object_unref(m);
		return NULL;
	}
	return m;
}

GBytes *
rd_photo_clean(GBytes *image, GError **error)
{
	gsize len;
	const guint8 *data = g_bytes_get_data(image, &len);
	g_autoptr(GExiv2Metadata) m = NULL;
	g_autoptr(GExiv2Metadata) check = NULL;
	g_autoptr(GError) err = NULL;
	mem_stream ms = {0};
	ManagedStreamCallbacks cb = {
	    &ms, mem_yes, mem_yes, mem_yes, mem_length, mem_position,
	    mem_read, mem_write, mem_seek, mem_flush,
	};
	GExiv2Orientation orientation;

	if (!photo_init()) {
		g_set_error_literal(error, RD_ERROR, RD_UNAVAIL,
		                    "gexiv2 (" GEXIV2_SONAME ") cannot be loaded");
		return NULL;
	}
	if (data == NULL || (m = photo_open(data, len, &err)) == NULL) {
		g_set_error(error, RD_ERROR, RD_DATAERR, "not an image its metadata can be read from%s%s",
		            err ? ": " : "", err ? err->message : "");
		return NULL;
	}
	orientation = gx.try_get_orientation(m, NULL);
	gx.clear(m);
	if (orientation > GEXIV2_ORIENTATION_NORMAL && orientation <= GEXIV2_ORIENTATION_ROT_270)
		gx.try_set_tag_long(m, "Exif.Image.Orientation", orientation, NULL);

	ms.buf = g_byte_array_sized_new(len);
	g_byte_array_append(ms.buf, data, len);
	if (!gx.save_stream(m, &cb, &err) || !ms.wrote) {
		g_byte_array_unref(ms.buf);
		g_set_error(error, RD_ERROR, RD_DATAERR, "its metadata cannot be removed%s%s",
		            err ? ": " : "", err ? err->message : " (format not writable)");
		return NULL;
	}
	g_byte_array_set_size(ms.buf, ms.written);
	check = photo_open(ms.buf->data, ms.buf->len, NULL);
	if (check == NULL || !only_orientation(check)) {
		g_byte_array_unref(ms.buf);
		g_set_error_literal(error, RD_ERROR, RD_DATAERR,
		                    "its metadata was still there after removing it");
		return NULL;
	}
	return g_byte_array_free_to_bytes(ms.buf);
}
