/* main.c - the rounds front end: global options and the dispatch table. */
#include <locale.h>
#include <stdio.h>
#include <string.h>
#include <sysexits.h>

#include "cmd.h"
#include "import.h"

#define ROUNDS_VERSION "0.1.0"

/* The map of the program: one row per verb. */
static const struct verb {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *summary;
} verbs[] = {
    {"init", rd_cmd_init, "create the database, secret and rounds.conf (idempotent)"},
    {"community", rd_cmd_community, "create, list and show communities"},
    {"member", rd_cmd_member, "add, remove, change and list members"},
    {"deliver", rd_cmd_deliver, "take one message from the MTA on standard input"},
    {"thread", rd_cmd_thread, "list a community's threads, show one thread"},
    {"message", rd_cmd_message, "list a community's messages, show one message"},
    {"report", rd_cmd_report, "the vitality of a community: core group, replies, unanswered"},
    {"digest", rd_cmd_digest, "preview the digest a person would receive now"},
    {"tick", rd_cmd_tick, "one scheduler pass: queue due digests, send the outbox"},
    {"run", rd_cmd_run, "the scheduler daemon: a pass every minute"},
    {"outbox", rd_cmd_outbox, "list, flush and retry outgoing mail"},
    {"mta", rd_cmd_mta, "print or check the MTA configuration for the communities"},
    {"import", rd_cmd_import, "import mbox files, Maildirs or single messages into a community"},
    {"fetch", rd_cmd_fetch, "take the messages waiting in an IMAP or POP3 mailbox"},
    {"template", rd_cmd_template, "render a Mustache template with JSON data"},
    {"trim", rd_cmd_trim, "print the new text of a reply read from stdin"},
    {"bounce", rd_cmd_bounce, "classify a bounce or automatic reply: bounce parse < MESSAGE"},
};

static void
usage(FILE *out)
{
	fprintf(out, "Usage: rounds [--home DIR] VERB [OPTIONS...]\n\n"
		     "Rounds: email lists and personalised digests for communities of practice.\n\n"
		     "Verbs:\n");
	for (gsize i = 0; i < G_N_ELEMENTS(verbs); i++)
		fprintf(out, "  %-12s %s\n", verbs[i].name, verbs[i].summary);
	fprintf(out, "\nGlobal options:\n"
		     "  --home DIR   installation directory (default $ROUNDS_HOME or "
		     "/var/lib/rounds)\n"
		     "  --help       this text; rounds VERB --help explains a verb\n"
		     "  --version    print the version\n");
}

int
main(int argc, char **argv)
{
	int i = 1;

	setlocale(LC_ALL, "");
	g_set_prgname("rounds");
	g_mime_init();
	while (i < argc && argv[i][0] == '-') {
		if (strcmp(argv[i], "--home") == 0 && i + 1 < argc) {
			rd_cli_set_home(argv[i + 1]);
			i += 2;
		} else if (strncmp(argv[i], "--home=", 7) == 0) {
			rd_cli_set_home(argv[i] + 7);
			i++;
		} else if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			usage(stdout);
			return EX_OK;
		} else if (strcmp(argv[i], "--version") == 0) {
			printf("rounds %s\n", ROUNDS_VERSION);
			return EX_OK;
		} else {
			fprintf(stderr, "rounds: unknown option %s (see rounds --help)\n", argv[i]);
			return EX_USAGE;
		}
	}
	if (i >= argc) {
		usage(stderr);
		return EX_USAGE;
	}
	for (gsize v = 0; v < G_N_ELEMENTS(verbs); v++) {
		if (strcmp(argv[i], verbs[v].name) == 0) {
			int rc = verbs[v].run(argc - i, argv + i);

			fflush(stdout);
			if (ferror(stdout) && rc == 0)
				rc = EX_IOERR;
			g_mime_shutdown();
			return rc;
		}
	}
	fprintf(stderr, "rounds: unknown verb %s (see rounds --help)\n", argv[i]);
	return EX_USAGE;
}
