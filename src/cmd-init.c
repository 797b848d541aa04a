/* cmd-init.c - rounds init: set up an installation. */
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cmd-internal.h"
#include "token.h"

static rd_status
write_secret(const rd_cli *cli, const char *path)
{
	g_autoptr(GError) err = NULL;
	g_autoptr(GBytes) secret = rd_token_new_secret(&err);
	gsize len;
	const guint8 *p;
	g_autofree char *hex = NULL;
	int fd;

	if (secret == NULL)
		return cli_fail(cli, err);
	p = g_bytes_get_data(secret, &len);
	hex = g_malloc(len * 2 + 2);
	for (gsize i = 0; i < len; i++)
		g_snprintf(hex + i * 2, 3, "%02x", p[i]);
	strcat(hex, "\n");
	/* O_EXCL: never overwrite a secret, or every token ever sent dies. */
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
	if (fd < 0) {
		fprintf(stderr, "rounds init: cannot create %s: %s\n", path, g_strerror(errno));
		return RD_CANTCREAT;
	}
	if (write(fd, hex, strlen(hex)) != (ssize_t)strlen(hex) || fsync(fd) != 0) {
		fprintf(stderr, "rounds init: cannot write %s: %s\n", path, g_strerror(errno));
		close(fd);
		unlink(path);
		return RD_IOERR;
	}
	close(fd);
	return RD_OK;
}

/* Run as root in a directory that belongs to another user (the rounds
 * user, as contrib/tmpfiles.d makes it), init would leave the
 * configuration, the secret and the database to root, and every delivery
 * as that user would then fail.  It refuses and says how instead. */
static gboolean
init_owner_ok(const char *home, const char *domain)
{
	struct stat st;
	struct passwd *pw;

	if (geteuid() != 0 || stat(home, &st) != 0 || st.st_uid == 0)
		return TRUE;
	pw = getpwuid(st.st_uid);
	fprintf(stderr,
	        "rounds init: %s belongs to %s; run as root, the files would belong to root and "
	        "deliveries as %s would fail. Run it as that user:\n"
	        "  runuser -u %s -- rounds --home %s init --domain %s\n",
	        home, pw ? pw->pw_name : "another user", pw ? pw->pw_name : "that user",
	        pw ? pw->pw_name : "USER", home, domain ? domain : "DOMAIN");
	return FALSE;
}

rd_status
rd_cmd_init(rd_cli *cli)
{
	g_autofree char *domain = NULL;
	GOptionEntry entries[] = {{"domain", 0, 0, G_OPTION_ARG_STRING, &domain,
	                           "default domain of the communities (e.g. lists.example.org)",
	                           "DOMAIN"},
	                          {NULL}};
	g_autoptr(GError) err = NULL;
	g_autoptr(rd_config) c = NULL;
	g_autoptr(rd_store) s = NULL;
	const char *home = cli_home();
	rd_status st;

	cli->description =
	    "Creates HOME (--home or ROUNDS_HOME), rounds.conf, the database and a random\n"
	    "secret readable by its owner only.  Running it again changes nothing.\n"
	    "Run as root in a directory that belongs to another user, it refuses (the files\n"
	    "would belong to root) and prints the runuser command to use instead.";
	if (!cli_start(cli, entries))
		return cli->status;
	if (!init_owner_ok(home, domain))
		return RD_NOPERM;
	if (g_mkdir_with_parents(home, 0750) != 0) {
		fprintf(stderr, "rounds init: cannot create %s: %s\n", home, g_strerror(errno));
		return RD_CANTCREAT;
	}
	c = rd_config_load(home, &err);
	if (c == NULL)
		return cli_fail(cli, err);
	if (c->domain == NULL) {
		if (domain == NULL)
			return cli_usage(cli, "--domain DOMAIN is required");
		if (strchr(domain, '@') || strchr(domain, '.') == NULL || strchr(domain, ' '))
			return cli_usage(cli, "%s is not a domain name", domain);
		if (!rd_config_write_default(home, domain, &err))
			return cli_fail(cli, err);
		rd_config_free(g_steal_pointer(&c));
		c = rd_config_load(home, &err);
		if (c == NULL)
			return cli_fail(cli, err);
	} else if (domain != NULL && g_ascii_strcasecmp(domain, c->domain) != 0) {
		fprintf(stderr, "rounds init: %s is already set up for %s; edit %s to change it\n",
		        home, c->domain, c->path);
		return RD_CONFIG;
	}
	if (!g_file_test(c->secret_file, G_FILE_TEST_EXISTS) &&
	    (st = write_secret(cli, c->secret_file)) != RD_OK)
		return st;
	s = rd_store_open(c->database, c->busy_timeout_ms, &err);
	if (s == NULL)
		return cli_fail(cli, err);
	printf("%s is ready for %s\n", home, c->domain);
	return RD_OK;
}
