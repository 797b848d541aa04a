/* lean.c - the lean front: `rounds` as the MTA runs it.
 *
 * An MTA starts one `rounds deliver` per message, so start-up is half of a
 * delivery.  This front links only what delivery needs (GMime, SQLite,
 * GLib; libxml2 only when HTML mail arrives, html.c); every other verb is run by rounds-full,
 * the binary of src/main.c installed beside it, which links libetpan
 * (import, fetch), libesmtp (sending) and cairo (charts).  The static
 * library lets the linker take only the objects deliver reaches, and
 * tests/t-layout.sh checks that libesmtp and libetpan stay out.
 */
#include <errno.h>
#include <locale.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cmd.h"

/* The same row as in main.c's table. */
static const rd_cli_verb deliver = {
    "deliver", rd_cmd_deliver, RD_CLI_STORE | RD_CLI_SECRET | RD_CLI_LATE | RD_CLI_MTA,
    "- take one message from the MTA on standard input", 0, 0, NULL, NULL, NULL};

/* Run rounds-full from the directory of this binary with the same
 * arguments.  Only a broken installation gets here without exec: 75, so
 * that an MTA retries rather than bounces. */
static int
lean_exec_full(char **argv)
{
	g_autofree char *self = g_file_read_link("/proc/self/exe", NULL);
	g_autofree char *dir = self ? g_path_get_dirname(self) : g_strdup(RD_BINDIR);
	g_autofree char *full = g_build_filename(dir, "rounds-full", NULL);

	execv(full, argv);
	fprintf(stderr, "rounds: cannot run %s: %s\n", full, g_strerror(errno));
	return rd_status_exit(RD_TEMPFAIL);
}

int
main(int argc, char **argv)
{
	int i = 1;

	/* Global options as main.c reads them; anything else, and every verb
	 * but deliver, is for rounds-full. */
	while (i < argc && argv[i][0] == '-') {
		if (strcmp(argv[i], "--home") == 0 && i + 1 < argc)
			i += 2;
		else if (strncmp(argv[i], "--home=", 7) == 0)
			i++;
		else
			return lean_exec_full(argv);
	}
	if (i >= argc || strcmp(argv[i], "deliver") != 0)
		return lean_exec_full(argv);
	setlocale(LC_ALL, "");
	g_set_prgname("rounds");
	g_mime_init();
	for (int j = 1; j < i; j++) {
		if (strcmp(argv[j], "--home") == 0)
			rd_cli_set_home(argv[++j]);
		else
			rd_cli_set_home(argv[j] + 7);
	}
	{
		int rc = rd_cli_run(&deliver, argc - i, argv + i);

		g_mime_shutdown();
		return rc;
	}
}
