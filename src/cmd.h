/* cmd.h - the verbs of the rounds command line.
 *
 * Each verb is int rd_cmd_NAME(int argc, char **argv): argv[0] is the verb
 * itself (e.g. "trim", or "bounce" for "rounds bounce parse"), options
 * follow.  It returns a sysexits code (through rd_status_exit()).  Usage
 * errors print one line "rounds VERB: what is wrong" to stderr and return
 * EX_USAGE (64).  rd_cli_home() is the installation directory (--home /
 * ROUNDS_HOME).
 */
#ifndef RD_CMD_H
#define RD_CMD_H

#include <json-glib/json-glib.h>

#include "config.h"
#include "deliver.h"
#include "rounds.h"
#include "store.h"

const char *rd_cli_home(void);
void rd_cli_set_home(const char *home);

/* Parse options with GOptionContext; on error print one line, return FALSE. */
gboolean rd_cli_parse(GOptionContext *ctx, const char *verb, int *argc, char ***argv);

/* Load rounds.conf and open the database; on failure print one line and
 * return the exit code, else 0. */
int rd_cli_open(const char *verb, rd_config **config, rd_store **store);

/* The community named by ARG ("NAME" on the default domain, or NAME@DOMAIN);
 * on failure prints one line and sets *code. */
rd_community *rd_cli_community(const char *verb, rd_config *config, rd_store *store,
			       const char *arg, int *code);

/* Print a JSON node (pretty) and a newline to stdout. */
void rd_cli_print_json(JsonNode *node);

/* Print "rounds VERB: message" for ERROR and return its exit code. */
int rd_cli_fail(const char *verb, const GError *error);

/* Print "rounds VERB: problem" and return EX_USAGE. */
int rd_cli_usage(const char *verb, const char *fmt, ...) G_GNUC_PRINTF(2, 3);

int rd_cmd_init(int argc, char **argv);
int rd_cmd_community(int argc, char **argv);
int rd_cmd_member(int argc, char **argv);
int rd_cmd_deliver(int argc, char **argv);
int rd_cmd_thread(int argc, char **argv);
int rd_cmd_message(int argc, char **argv);
int rd_cmd_template(int argc, char **argv);
int rd_cmd_trim(int argc, char **argv);
int rd_cmd_bounce(int argc, char **argv);
int rd_cmd_digest(int argc, char **argv);
int rd_cmd_report(int argc, char **argv);
/* Queue the weekly owner reports due at NOW ([report] of rounds.conf). */
gboolean rd_cli_report_pass(rd_store *s, const rd_config *c, const char *from, gint64 now,
			    guint *queued, GError **error);
int rd_cmd_tick(int argc, char **argv);
int rd_cmd_run(int argc, char **argv);
int rd_cmd_outbox(int argc, char **argv);
int rd_cmd_mta(int argc, char **argv);
int rd_cmd_community_set(int argc, char **argv);

/* Fill the installation's part of a delivery's options from C: delimiter,
 * size limit, threading window, [commands], templates (the caller sets
 * recipient, sender, secret and bypass_policy).  One place, so that
 * deliver, fetch and import apply the same settings. */
void rd_cli_deliver_opts(const rd_config *c, rd_deliver_opts *o);

/* The installation secret (hex in the secret file) for tokens. */
GBytes *rd_cli_secret(const rd_config *c, GError **error);

#endif
