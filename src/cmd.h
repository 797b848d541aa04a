/* cmd.h - the verbs of the rounds command line.
 *
 * Each verb is int rd_cmd_NAME(int argc, char **argv): argv[0] is the verb
 * itself (e.g. "trim", or "parse" for "rounds bounce parse"), options follow.
 * It returns a sysexits code (through rd_status_exit()).  Usage errors print
 * one line "rounds VERB: what is wrong" to stderr and return EX_USAGE (64).
 * rd_cli_home() is the installation directory (--home / ROUNDS_HOME).
 */
#ifndef RD_CMD_H
#define RD_CMD_H

#include "rounds.h"

const char *rd_cli_home(void);

/* Parse options with GOptionContext; on error print one line, return FALSE. */
gboolean rd_cli_parse(GOptionContext *ctx, const char *verb, int *argc, char ***argv);

int rd_cmd_init(int argc, char **argv);
int rd_cmd_community(int argc, char **argv);
int rd_cmd_member(int argc, char **argv);
int rd_cmd_deliver(int argc, char **argv);
int rd_cmd_thread(int argc, char **argv);
int rd_cmd_message(int argc, char **argv);
int rd_cmd_template(int argc, char **argv);
int rd_cmd_trim(int argc, char **argv);
int rd_cmd_bounce(int argc, char **argv);

#endif
