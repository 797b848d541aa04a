/* cmd.h - the verbs of the rounds command line.
 *
 * main.c's table is the map: one rd_cli_verb row per verb, saying what the
 * verb needs (flags), its argument count and its usage line.  rd_cli_run()
 * finds the row, the verb parses its options through the shared runner
 * (which checks the arguments and opens the installation the row asks
 * for), and the rd_status it returns becomes an exit code in one place:
 * rd_status_exit(), or rd_status_mta_exit() for a verb that answers an MTA.
 * Usage errors print one line "rounds VERB: what is wrong" to stderr and
 * exit EX_USAGE (64).
 */
#ifndef RD_CMD_H
#define RD_CMD_H

#include "config.h"
#include "rounds.h"

/* The state of one verb's run (cmd-internal.h). */
typedef struct rd_cli rd_cli;

/* What a verb needs; the runner opens it and closes it afterwards. */
typedef enum {
	RD_CLI_STORE = 1 << 0,     /* rounds.conf of an initialised home, and the database */
	RD_CLI_COMMUNITY = 1 << 1, /* and the community named by the first argument */
	RD_CLI_SECRET = 1 << 2,    /* and the secret, when readable (token addresses) */
	RD_CLI_LATE = 1 << 3,      /* the verb checks its options, then opens (cli_open) */
	RD_CLI_MTA = 1 << 4,       /* answers an MTA: exit through rd_status_mta_exit() */
	RD_CLI_HELP_WORD = 1 << 5, /* a group that also takes "help" for --help */
} rd_cli_flags;

typedef struct rd_cli_verb rd_cli_verb;
struct rd_cli_verb {
	const char *name;
	rd_status (*run)(rd_cli *cli); /* NULL for a group of verbs */
	unsigned flags;                /* rd_cli_flags */
	const char *params;            /* --help's parameter line; a group: what it expects */
	int min_args;                  /* positional arguments after the verb ... */
	int max_args;                  /* ... -1: the verb counts them itself */
	const char *args_usage;        /* the usage error for a wrong count (NULL: "unexpected
	                                  argument ARG") */
	const rd_cli_verb *group;      /* a group's verbs, ending with a NULL name */
	const char *help;              /* a group's --help text */
};

/* Run verb V with ARGV (argv[0] is the verb's name); returns the exit code. */
int rd_cli_run(const rd_cli_verb *v, int argc, char **argv);

/* The name in NAMES (NULL-terminated) a mistyped WORD most likely meant
 * (a small edit distance), or NULL: for "did you mean ...?". */
const char *rd_cli_nearest(const char *word, const char *const *names);

/* The installation directory for every verb (--home; else ROUNDS_HOME). */
void rd_cli_set_home(const char *home);

rd_status rd_cmd_report(rd_cli *cli);

/* The installation secret (hex in the secret file) for tokens. */
GBytes *rd_cli_secret(const rd_config *c, GError **error);

/* The verbs, in main.c's order.  Each parses its options with cli_start(). */
rd_status rd_cmd_init(rd_cli *cli);
rd_status rd_cmd_community_create(rd_cli *cli);
rd_status rd_cmd_community_list(rd_cli *cli);
rd_status rd_cmd_community_show(rd_cli *cli);
rd_status rd_cmd_community_set(rd_cli *cli);
rd_status rd_cmd_member_add(rd_cli *cli);
rd_status rd_cmd_member_set(rd_cli *cli);
rd_status rd_cmd_member_remove(rd_cli *cli);
rd_status rd_cmd_member_list(rd_cli *cli);
rd_status rd_cmd_member_alias(rd_cli *cli);
rd_status rd_cmd_member_show(rd_cli *cli);
rd_status rd_cmd_deliver(rd_cli *cli);
rd_status rd_cmd_lmtp(rd_cli *cli);
rd_status rd_cmd_thread_list(rd_cli *cli);
rd_status rd_cmd_thread_show(rd_cli *cli);
rd_status rd_cmd_message_list(rd_cli *cli);
rd_status rd_cmd_message_show(rd_cli *cli);
rd_status rd_cmd_held_list(rd_cli *cli);
rd_status rd_cmd_held_approve(rd_cli *cli);
rd_status rd_cmd_held_reject(rd_cli *cli);
rd_status rd_cmd_digest_preview(rd_cli *cli);
rd_status rd_cmd_tick(rd_cli *cli);
rd_status rd_cmd_run(rd_cli *cli);
rd_status rd_cmd_outbox_list(rd_cli *cli);
rd_status rd_cmd_outbox_flush(rd_cli *cli);
rd_status rd_cmd_outbox_show(rd_cli *cli);
rd_status rd_cmd_outbox_retry(rd_cli *cli);
rd_status rd_cmd_mta_lines(rd_cli *cli);
rd_status rd_cmd_mta_check(rd_cli *cli);
rd_status rd_cmd_web(rd_cli *cli);
rd_status rd_cmd_import(rd_cli *cli);
rd_status rd_cmd_fetch(rd_cli *cli);
rd_status rd_cmd_template_render(rd_cli *cli);
rd_status rd_cmd_trim(rd_cli *cli);
rd_status rd_cmd_screen(rd_cli *cli);
rd_status rd_cmd_bounce_parse(rd_cli *cli);

#endif
