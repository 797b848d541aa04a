/* log.h - logging to syslog (LOG_MAIL) when run by the MTA, to stderr for people.
 *
 * rd_log_warn() appends strerror(errno); rd_log_warnx() does not.  Messages
 * are one line each.  Before rd_log_init() everything goes to stderr.
 */
#ifndef RD_LOG_H
#define RD_LOG_H

#include <glib.h>

/* to_stderr: also echo to standard error; syslog: also send to syslog. */
void rd_log_init(const char *ident, gboolean to_stderr, gboolean syslog);
void rd_log_info(const char *fmt, ...) G_GNUC_PRINTF(1, 2);
void rd_log_warn(const char *fmt, ...) G_GNUC_PRINTF(1, 2);
void rd_log_warnx(const char *fmt, ...) G_GNUC_PRINTF(1, 2);
void rd_log_debug(const char *fmt, ...) G_GNUC_PRINTF(1, 2);

#endif
