/* rounds.h - declarations shared by every module of Rounds.
 *
 * Keep this header small: the status enum, the error domain and the GLib
 * autoptr glue for GMime types (GMime 3.2 ships none of its own).
 */
#ifndef RD_ROUNDS_H
#define RD_ROUNDS_H

#include <glib.h>
#include <gmime/gmime.h>

/* One status for the whole program; rd_status_exit() is the only place that
 * turns it into a sysexits code, so a temporary fault can never become a
 * bounce by accident. */
typedef enum {
	RD_OK = 0,
	RD_USAGE,     /* command line misuse: EX_USAGE */
	RD_DATAERR,   /* unparseable or oversized input: EX_DATAERR */
	RD_NOUSER,    /* unknown community or address: EX_NOUSER */
	RD_UNAVAIL,   /* feature or service not available: EX_UNAVAILABLE */
	RD_SOFTWARE,  /* internal error: EX_SOFTWARE */
	RD_CANTCREAT, /* cannot create output file: EX_CANTCREAT */
	RD_IOERR,     /* I/O error: EX_IOERR */
	RD_TEMPFAIL,  /* transient: busy database, disk full: EX_TEMPFAIL */
	RD_NOPERM,    /* refused by policy: EX_NOPERM */
	RD_CONFIG,    /* configuration error: EX_CONFIG */
	RD_NOTFOUND,  /* a named object does not exist (CLI): EX_NOINPUT */
} rd_status;

#define RD_ERROR (rd_error_quark())
GQuark rd_error_quark(void);

/* Map a status to the sysexits(3) code the MTA or the shell sees. */
int rd_status_exit(rd_status st);

/* The same for the MTA (deliver, and any listener that answers an MTA):
 * only a verdict on the mail itself (65, 67, 69, 77) or on the command
 * line (64) is permanent; every fault of ours or of the database is 75, so
 * the MTA keeps the mail. */
int rd_status_mta_exit(rd_status st);

/* The rd_status carried by an error in RD_ERROR, RD_SOFTWARE otherwise. */
rd_status rd_status_from_error(const GError *error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(GMimeMessage, g_object_unref)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(GMimeParser, g_object_unref)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(GMimeStream, g_object_unref)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(GMimeObject, g_object_unref)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(GMimeDataWrapper, g_object_unref)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(GMimeFilter, g_object_unref)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(GMimeParserOptions, g_mime_parser_options_free)

#endif
