/* log.c - syslog and stderr logging. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>

#include "log.h"

static gboolean log_stderr = TRUE;
static gboolean log_syslog = FALSE;
static gboolean log_debug = FALSE;
static const char *log_ident = "rounds";

void
rd_log_init(const char *ident, gboolean to_stderr, gboolean use_syslog)
{
	log_ident = ident;
	log_stderr = to_stderr;
	log_syslog = use_syslog;
	log_debug = g_getenv("ROUNDS_DEBUG") != NULL;
	if (use_syslog)
		openlog(ident, LOG_PID | LOG_NDELAY, LOG_MAIL);
}

static void
log_vlog(int prio, const char *err, const char *fmt, va_list ap)
{
	g_autofree char *msg = g_strdup_vprintf(fmt, ap);

	if (log_syslog) {
		if (err)
			syslog(prio, "%s: %s", msg, err);
		else
			syslog(prio, "%s", msg);
	}
	if (log_stderr) {
		if (err)
			fprintf(stderr, "%s: %s: %s\n", log_ident, msg, err);
		else
			fprintf(stderr, "%s: %s\n", log_ident, msg);
	}
}

void
rd_log_info(const char *fmt, ...)
{
	va_list ap;

	/* Informational lines go to syslog only: people see results on stdout. */
	if (!log_syslog)
		return;
	va_start(ap, fmt);
	g_autofree char *msg = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	syslog(LOG_INFO, "%s", msg);
}

void
rd_log_warn(const char *fmt, ...)
{
	va_list ap;
	const char *err = g_strerror(errno);

	va_start(ap, fmt);
	log_vlog(LOG_WARNING, err, fmt, ap);
	va_end(ap);
}

void
rd_log_warnx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vlog(LOG_WARNING, NULL, fmt, ap);
	va_end(ap);
}

void
rd_log_debug(const char *fmt, ...)
{
	va_list ap;

	if (!log_debug)
		return;
	va_start(ap, fmt);
	log_vlog(LOG_DEBUG, NULL, fmt, ap);
	va_end(ap);
}
