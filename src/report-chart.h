/* report-chart.h - the weekly owner report's chart: 12 weeks of posts
 * (bars) and posters (a line), drawn with cairo into a PNG. */
#ifndef RD_REPORT_CHART_H
#define RD_REPORT_CHART_H

#include "report.h"

#define RD_REPORT_CHART_WIDTH 600
#define RD_REPORT_CHART_HEIGHT 240

/* The PNG bytes of R's weekly figures, RD_REPORT_CHART_WIDTH by
 * RD_REPORT_CHART_HEIGHT pixels; NULL with RD_SOFTWARE if cairo fails. */
GBytes *rd_report_chart_png(const rd_report *r, GError **error);

#endif
