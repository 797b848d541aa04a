/* cmd-internal.h - helpers shared by the cmd-*.c files only (prefix cli_).
 *
 * Nothing outside the command line includes this header: the public face of
 * the CLI is cmd.h.
 */
#ifndef RD_CMD_INTERNAL_H
#define RD_CMD_INTERNAL_H

#include <json-glib/json-glib.h>

#include "cmd.h"
#include "deliver.h"
#include "store.h"

/* One verb's run.  The runner owns everything here and frees it after the
 * verb returns, so a verb has no cleanup of its own for these. */
struct rd_cli {
	const rd_cli_verb *verb;
	char *name; /* "community create": the prefix of every message */
	int argc;   /* after cli_start(): argv[0] the verb, then its arguments */
	char **argv;
	const char *summary;     /* set before cli_start() for --help, or NULL */
	const char *description; /* likewise */
	rd_status status;        /* why cli_start() or cli_open() returned FALSE */
	rd_config *config;       /* RD_CLI_STORE */
	rd_store *store;
	rd_community *community; /* RD_CLI_COMMUNITY */
	GBytes *secret;          /* RD_CLI_SECRET; NULL when unreadable */
};

/* Parse the verb's options (ENTRIES may be NULL), check its argument count
 * against its row and, unless RD_CLI_LATE, open what the row's flags ask
 * for.  FALSE when the verb must return cli->status now: --help was
 * printed (RD_OK) or a problem was (one line on stderr). */
gboolean cli_start(rd_cli *cli, const GOptionEntry *entries);

/* Open the installation: rounds.conf, the database, and the community and
 * secret when the row's flags ask; FALSE (printed, cli->status) on failure. */
gboolean cli_open(rd_cli *cli);

/* Close what cli_open() opened (the runner does it after the verb). */
void cli_close(rd_cli *cli);

/* The installation directory (--home, ROUNDS_HOME, /var/lib/rounds). */
const char *cli_home(void);

/* The rounds program the MTA should run: this very binary when it can be
 * found, so the printed MTA lines match the installation. */
char *cli_rounds_path(void);

/* Print "rounds VERB: message" for ERROR and return its status. */
rd_status cli_fail(const rd_cli *cli, const GError *error);

/* Print "rounds VERB: problem" and return RD_USAGE. */
rd_status cli_usage(const rd_cli *cli, const char *fmt, ...) G_GNUC_PRINTF(2, 3);

/* The community named by ARG ("NAME" on the default domain, or
 * NAME@DOMAIN); NULL with a printed line and *ST set on failure. */
rd_community *cli_community(const rd_cli *cli, const char *arg, rd_status *st);

/* Fill the installation's part of a delivery's options from C: delimiter,
 * size limit, threading window, [commands], templates (the caller sets
 * recipient, sender, secret and bypass_policy).  One place, so that
 * deliver, fetch, import and run apply the same settings. */
void cli_context(const rd_config *c, rd_context *o);

/* Is V one of ALLOWED (NULL-terminated)? */
gboolean cli_one_of(const char *v, const char *const *allowed);

/* A mail address an MTA would take: one @, something on both sides, no
 * blanks, and a valid host name as the domain, with a dot unless it is
 * the installation's own domain or a community's (so after cli_open()). */
gboolean cli_valid_address(const rd_cli *cli, const char *addr);

/* --json output.  One rule for every verb: a missing value (NULL) is
 * null, never "" (README, "JSON output").  Each adds member NAME to the
 * object being built. */
void cli_json_string(JsonBuilder *b, const char *name, const char *value);
void cli_json_int(JsonBuilder *b, const char *name, gint64 value);
void cli_json_double(JsonBuilder *b, const char *name, double value);
void cli_json_bool(JsonBuilder *b, const char *name, gboolean value);

/* Print what B built (pretty) and a newline to stdout. */
void cli_json_print(JsonBuilder *b);

/* Queue the weekly owner reports due at NOW ([report] of rounds.conf);
 * cmd-report.c, for the scheduler pass of cmd-digest.c. */
gboolean cli_report_pass(rd_store *s, const rd_config *c, const char *from, gint64 now,
                         guint *queued, GError **error);

#endif
