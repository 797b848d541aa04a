/* main.c - the rounds front end: global options and the dispatch table. */
#include <locale.h>
#include <stdio.h>
#include <string.h>

#include "cmd.h"

#define ROUNDS_VERSION "0.1.0"

#define STORE RD_CLI_STORE
#define COMMUNITY (RD_CLI_STORE | RD_CLI_COMMUNITY)
#define LATE RD_CLI_LATE
#define VERB(name, run, flags, params, min, max, usage)                                        \
	{name, run, flags, params, min, max, usage, NULL, NULL}

/* The map of the program: one row per verb, with what it needs opened
 * (STORE, COMMUNITY: the first argument), whether it checks its options
 * before that (LATE), its --help parameter line and its argument count.
 * A count of -1 means the verb counts its arguments itself. */
static const rd_cli_verb community_verbs[] = {
    VERB("create", rd_cmd_community_create, STORE | LATE, "NAME[@DOMAIN] - create a community",
	 1, 1, "expected one NAME"),
    VERB("list", rd_cmd_community_list, STORE, "- list communities", 0, 0, NULL),
    VERB("show", rd_cmd_community_show, COMMUNITY, "NAME - show one community", 1, 1,
     "expected one NAME"),
    VERB("set", rd_cmd_community_set, COMMUNITY | LATE,
     "NAME[@DOMAIN] - change a community's settings", 1, 1, "expected one NAME"),
    {NULL}};

static const rd_cli_verb member_verbs[] = {
    VERB("add", rd_cmd_member_add, COMMUNITY | LATE, "COMMUNITY ADDR... - add a member", 0, -1,
	 NULL),
    VERB("set", rd_cmd_member_set, COMMUNITY | LATE, "COMMUNITY ADDR - change a member", 0, -1,
	 NULL),
    VERB("remove", rd_cmd_member_remove, COMMUNITY, "COMMUNITY ADDR - remove a member", 2, 2,
     "expected COMMUNITY and ADDR"),
    VERB("list", rd_cmd_member_list, COMMUNITY, "COMMUNITY - list members", 1, 1,
     "expected COMMUNITY"),
    VERB("alias", rd_cmd_member_alias, STORE | LATE,
     "add|remove ADDR ALT | list ADDR - a person's alternate addresses", 0, -1, NULL),
    VERB("show", rd_cmd_member_show, STORE | LATE,
     "ADDR - one person across communities: settings, memberships, bounce scores", 1, 1,
     "expected one ADDR"),
    {NULL}};

static const rd_cli_verb held_verbs[] = {
    VERB("list", rd_cmd_held_list, STORE | LATE,
     "[COMMUNITY] - held posts and kept replies awaiting a choice", 0, 1,
     "expected at most one COMMUNITY"),
    VERB("approve", rd_cmd_held_approve, STORE | RD_CLI_SECRET | LATE,
     "ID - post a held message (as the mailed approve command)", 1, 1, "expected one ID"),
    VERB("reject", rd_cmd_held_reject, STORE | RD_CLI_SECRET | LATE,
     "ID - discard a held message; its sender is told (as the mailed reject command)", 1, 1,
     "expected one ID"),
    {NULL}};

static const rd_cli_verb thread_verbs[] = {
    VERB("list", rd_cmd_thread_list, COMMUNITY, "COMMUNITY - list threads", 1, 1,
     "expected COMMUNITY"),
    VERB("show", rd_cmd_thread_show, STORE | LATE, "THREAD_ID - show one thread", 1, 1,
     "expected THREAD_ID"),
    {NULL}};

static const rd_cli_verb message_verbs[] = {
    VERB("list", rd_cmd_message_list, COMMUNITY, "COMMUNITY - list messages", 1, 1,
     "expected COMMUNITY"),
    VERB("show", rd_cmd_message_show, COMMUNITY, "COMMUNITY MESSAGE_ID - show one message", 2, 2,
     "expected COMMUNITY and MESSAGE_ID"),
    {NULL}};

static const rd_cli_verb digest_verbs[] = {
    VERB("preview", rd_cmd_digest_preview, STORE | LATE,
     "ADDR - print the digest ADDR would receive now", 1, 1, "expected one ADDR"),
    {NULL}};

static const rd_cli_verb outbox_verbs[] = {
    VERB("list", rd_cmd_outbox_list, STORE, "- list the outbox", 0, -1, NULL),
    VERB("flush", rd_cmd_outbox_flush, STORE | LATE, "- send what is due in the outbox", 0, -1,
	 NULL),
    VERB("show", rd_cmd_outbox_show, STORE | LATE,
     "ID - print one item as it would be sent now (a digest rendered)", 1, 1, "expected one ID"),
    VERB("retry", rd_cmd_outbox_retry, STORE | LATE,
     "ID - queue a failed or deferred item again, now", 1, 1, "expected one ID"),
    {NULL}};

static const rd_cli_verb mta_verbs[] = {
    VERB("lines", rd_cmd_mta_lines, STORE | LATE,
     "COMMUNITY - print the lines the MTA needs for COMMUNITY's addresses", 1, 1,
     "expected one COMMUNITY"),
    VERB("check", rd_cmd_mta_check, STORE | LATE,
     "- check that the MTA routes every address of every community to rounds", 0, 0, NULL),
    {NULL}};

static const rd_cli_verb template_verbs[] = {
    VERB("render", rd_cmd_template_render, 0, "FILE - render a Mustache template", 0, -1, NULL),
    {NULL}};

static const rd_cli_verb bounce_verbs[] = {
    VERB("parse", rd_cmd_bounce_parse, 0,
     "< MESSAGE - classify a bounce or automatic reply, print JSON", 0, -1, NULL),
    {NULL}};

static const struct verb {
	const char *summary;
	rd_cli_verb v;
} verbs[] = {
    {"create the database, secret and rounds.conf (idempotent)",
     VERB("init", rd_cmd_init, 0, "- set up an installation", 0, 0, NULL)},
    {"create, list and show communities",
     {"community", NULL, 0, "create, list, show or set", .group = community_verbs,
      .help = "Usage:\n"
	      "  rounds community create NAME[@DOMAIN] [--title TEXT] "
	      "[--policy open|members|announce] [--owner ADDR]\n"
	      "  rounds community list [--json]\n"
	      "  rounds community show NAME[@DOMAIN] [--json]\n"
	      "  rounds community set NAME[@DOMAIN] [--title T] [--policy P] "
	      "[--subject-prefix on|off] [--footer TEXT|--no-footer]\n"
	      "        [--reply-to list|author] [--dmarc-mitigation never|always] "
	      "[--archive-url URL] [--accept-auto yes|no]\n"}},
    {"add, remove, change and list members",
     {"member", NULL, 0, "add, set, remove, list or alias", .group = member_verbs,
      .help = "Usage:\n"
	      "  rounds member add COMMUNITY ADDR [--name NAME] [--delivery each|digest|none]"
	      " [--role member|poster|moderator|owner]\n"
	      "  rounds member set COMMUNITY ADDR [--name NAME] [--delivery MODE] [--role "
	      "ROLE]\n"
	      "        [--timezone ZONE] [--digest-time HH:MM] [--digest daily|weekly|off]\n"
	      "        [--digest-day DAY] [--grouping combined|separate]\n"
	      "  rounds member remove COMMUNITY ADDR\n"
	      "  rounds member list COMMUNITY [--json]\n"
	      "  rounds member alias add|remove ADDR ALT, rounds member alias list ADDR "
	      "[--json]\n"
	      "  rounds member show ADDR [--json]\n"
	      "rounds member add|set --help shows every option.\n"}},
    {"take one message from the MTA on standard input",
     VERB("deliver", rd_cmd_deliver, STORE | RD_CLI_SECRET | LATE | RD_CLI_MTA,
      "- take one message from the MTA on standard input", 0, 0, NULL)},
    {"take mail from the MTA over LMTP (RFC 2033), a server",
     VERB("lmtp", rd_cmd_lmtp, STORE | RD_CLI_SECRET | LATE,
      "- serve LMTP on HOME/lmtp (or --socket, --listen)", 0, 0, NULL)},
    {"list a community's threads, show one thread",
     {"thread", NULL, 0, "list or show", .group = thread_verbs,
      .help = "Usage:\n"
	      "  rounds thread list COMMUNITY [--json]\n"
	      "  rounds thread show THREAD_ID [--json]\n"}},
    {"list a community's messages, show one message",
     {"message", NULL, 0, "list or show", .group = message_verbs,
      .help = "Usage:\n"
	      "  rounds message list COMMUNITY [--json] [--status posted|held]\n"
	      "  rounds message show COMMUNITY MESSAGE_ID [--json | --raw]\n"}},
    {"held posts and kept replies: list, approve, reject",
     {"held", NULL, 0, "list, approve or reject", .group = held_verbs,
      .help = "Usage:\n"
	      "  rounds held list [COMMUNITY] [--json]\n"
	      "  rounds held approve ID [--allow-sender]\n"
	      "  rounds held reject ID [--reason TEXT]\n"
	      "The first decision wins, by mail or from the shell: deciding a post again exits "
	      "73.\n"}},
    {"preview the digest a person would receive now",
     {"digest", NULL, 0, "preview", .group = digest_verbs,
      .help = "Usage:\n  rounds digest preview ADDR [--html] [--now ISO8601]\n"}},
    {"one scheduler pass: queue due digests, send the outbox",
     VERB("tick", rd_cmd_tick, STORE | LATE,
      "- one pass: queue the digests that are due, send the outbox, exit", 0, 0, NULL)},
    {"the scheduler daemon: a pass every minute",
     VERB("run", rd_cmd_run, STORE | LATE, "- the scheduler daemon", 0, 0, NULL)},
    {"list, flush and retry outgoing mail",
     {"outbox", NULL, 0, "list, flush or retry", .group = outbox_verbs,
      .help = "Usage:\n"
	      "  rounds outbox list [--json]\n"
	      "  rounds outbox show ID\n"
	      "  rounds outbox flush [--now ISO8601]\n"
	      "  rounds outbox retry ID\n"}},
    {"print or check the MTA configuration for the communities",
     {"mta", NULL, 0, "lines or check", .group = mta_verbs,
      .help = "Usage:\n"
	      "  rounds mta lines COMMUNITY [--mta MTA] [--rounds-path PATH] [--lmtp "
	      "[--lmtp-socket PATH]]\n"
	      "  rounds mta check [--config-dir DIR] [--mta MTA] [--json]\n"
	      "rounds mta lines|check --help shows every option; mta-hooks/ explains "
	      "each MTA.\n"}},
    {"import mbox files, Maildirs or single messages into a community",
     VERB("import", rd_cmd_import, COMMUNITY | LATE,
      "COMMUNITY PATH... - import mbox files, Maildirs or messages", 0, -1, NULL)},
    {"take the messages waiting in an IMAP or POP3 mailbox",
     VERB("fetch", rd_cmd_fetch, COMMUNITY | RD_CLI_SECRET | LATE,
      "COMMUNITY - take the messages waiting in a mailbox", 0, -1, NULL)},
    {"render a Mustache template with JSON data",
     {"template", NULL, RD_CLI_HELP_WORD, "render", .group = template_verbs,
      .help = "Usage: rounds template render FILE [--data JSON_FILE] [--partials DIR] "
	      "[--text|--html]\n"
	      "Render a Mustache template; see templates/README.\n"}},
    {"the vitality of a community: core group, replies, unanswered",
     VERB("report", rd_cmd_report, COMMUNITY, "COMMUNITY - how alive a community is over a period",
      1, 1, "expected COMMUNITY")},
    {"the HTTP service of one-click unsubscribe and confirmation links",
     VERB("web", rd_cmd_web, STORE | LATE, "- serve one-click unsubscribe and confirmations", 0,
	  0, NULL)},
    {"print the new text of a reply read from stdin",
     VERB("trim", rd_cmd_trim, 0, "< BODY", 0, -1, NULL)},
    {"print the patient identifiers found in a text read from stdin",
     VERB("screen", rd_cmd_screen, 0, "[--json] [--message [FILE...]] [--split MARK] < TEXT", 0, -1, NULL)},
    {"classify a bounce or automatic reply: bounce parse < MESSAGE",
     {"bounce", NULL, RD_CLI_HELP_WORD, "parse", .group = bounce_verbs,
      .help = "Usage: rounds bounce parse < MESSAGE\n\n"
	      "  parse    classify one message (bounce, automatic reply or neither)\n"
	      "           and print its delivery report as JSON\n"}},
};

static void
usage(FILE *out)
{
	fprintf(out, "Usage: rounds [--home DIR] VERB [OPTIONS...]\n\n"
		     "Rounds: email lists and personalised digests for communities of practice.\n\n"
		     "Verbs:\n");
	for (gsize i = 0; i < G_N_ELEMENTS(verbs); i++)
		fprintf(out, "  %-12s %s\n", verbs[i].v.name, verbs[i].summary);
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
			return rd_status_exit(RD_OK);
		} else if (strcmp(argv[i], "--version") == 0) {
			printf("rounds %s\n", ROUNDS_VERSION);
			return rd_status_exit(RD_OK);
		} else {
			fprintf(stderr, "rounds: unknown option %s (see rounds --help)\n", argv[i]);
			return rd_status_exit(RD_USAGE);
		}
	}
	if (i >= argc) {
		usage(stderr);
		return rd_status_exit(RD_USAGE);
	}
	for (gsize v = 0; v < G_N_ELEMENTS(verbs); v++) {
		if (strcmp(argv[i], verbs[v].v.name) == 0) {
			int rc = rd_cli_run(&verbs[v].v, argc - i, argv + i);

			g_mime_shutdown();
			return rc;
		}
	}
	{
		const char *names[G_N_ELEMENTS(verbs) + 1];
		const char *near;

		for (gsize v = 0; v < G_N_ELEMENTS(verbs); v++)
			names[v] = verbs[v].v.name;
		names[G_N_ELEMENTS(verbs)] = NULL;
		near = rd_cli_nearest(argv[i], names);
		if (near != NULL)
			fprintf(stderr, "rounds: unknown verb %s; did you mean %s? (see rounds --help)\n",
			        argv[i], near);
		else
			fprintf(stderr, "rounds: unknown verb %s (see rounds --help)\n", argv[i]);
	}
	return rd_status_exit(RD_USAGE);
}
