/* report-chart.c - 12 weeks of posts and posters as a PNG (cairo).
 *
 * Bars are posts, the dots joined by a line are posters; both share one
 * scale so that "many posts by few people" shows as a gap between them.
 * No text is drawn: fonts differ between machines, and the HTML carries
 * the same numbers as a table right under the image.
 */
#include <cairo.h>

#include "report-chart.h"

#define MARGIN 16.0

static cairo_status_t
chart_write(void *closure, const unsigned char *data, unsigned int length)
{
	g_byte_array_append(closure, data, length);
	return CAIRO_STATUS_SUCCESS;
}

GBytes *
rd_report_chart_png(const rd_report *r, GError **error)
{
	const double w = RD_REPORT_CHART_WIDTH, h = RD_REPORT_CHART_HEIGHT;
	const double slot = (w - 2 * MARGIN) / RD_REPORT_WEEKS;
	const double base = h - MARGIN, top = MARGIN;
	cairo_surface_t *surface = cairo_image_surface_create(CAIRO_FORMAT_RGB24, (int)w, (int)h);
	cairo_t *cr = cairo_create(surface);
	GByteArray *png = g_byte_array_new();
	cairo_status_t st;
	gint64 max = 1;

	for (int i = 0; i < RD_REPORT_WEEKS; i++)
		max = MAX(max, MAX(r->weekly[i].posts, r->weekly[i].posters));
	cairo_set_source_rgb(cr, 1, 1, 1);
	cairo_paint(cr);
	/* The baseline. */
	cairo_set_source_rgb(cr, 0.6, 0.6, 0.6);
	cairo_set_line_width(cr, 1);
	cairo_move_to(cr, MARGIN, base + 0.5);
	cairo_line_to(cr, w - MARGIN, base + 0.5);
	cairo_stroke(cr);
	/* Posts: one bar a week. */
	cairo_set_source_rgb(cr, 0.55, 0.72, 0.88);
	for (int i = 0; i < RD_REPORT_WEEKS; i++) {
		double bh = (base - top) * (double)r->weekly[i].posts / (double)max;

		cairo_rectangle(cr, MARGIN + i * slot + slot * 0.15, base - bh, slot * 0.7, bh);
	}
	cairo_fill(cr);
	/* Posters: a line through the middle of each week. */
	cairo_set_source_rgb(cr, 0.80, 0.30, 0.15);
	cairo_set_line_width(cr, 2.5);
	for (int i = 0; i < RD_REPORT_WEEKS; i++) {
		double x = MARGIN + (i + 0.5) * slot;
		double y = base - (base - top) * (double)r->weekly[i].posters / (double)max;

		if (i == 0)
			cairo_move_to(cr, x, y);
		else
			cairo_line_to(cr, x, y);
	}
	cairo_stroke(cr);
	for (int i = 0; i < RD_REPORT_WEEKS; i++) {
		double x = MARGIN + (i + 0.5) * slot;
		double y = base - (base - top) * (double)r->weekly[i].posters / (double)max;

		cairo_arc(cr, x, y, 4, 0, 2 * G_PI);
		cairo_fill(cr);
	}
	cairo_destroy(cr);
	st = cairo_surface_write_to_png_stream(surface, chart_write, png);
	cairo_surface_destroy(surface);
	if (st != CAIRO_STATUS_SUCCESS) {
		g_byte_array_unref(png);
		g_set_error(error, RD_ERROR, RD_SOFTWARE, "chart: %s", cairo_status_to_string(st));
		return NULL;
	}
	return g_byte_array_free_to_bytes(png);
}
