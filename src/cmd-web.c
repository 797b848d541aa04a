/* cmd-web.c - rounds web: the HTTP service of one-click unsubscribe and
 * confirmation links (web.c), in the foreground for systemd. */
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cmd-internal.h"
#include "log.h"
#include "web.h"

/* Started as root (by systemd without User=, or by hand): become the
 * owner of HOME (whoever owns the installation writes its database), else
 * the rounds user, before anything is opened, so that the database is
 * never written by root. */
static rd_status
drop_privileges(const rd_cli *cli)
{
	struct passwd *pw;
	struct stat st;
	uid_t uid;
	gid_t gid;

	if (geteuid() != 0)
		return RD_OK;
	if (stat(cli_home(), &st) == 0 && st.st_uid != 0) {
		/* The user's own group, not HOME's: a group of root's would
		 * keep more than we need (and may even lock us out). */
		uid = st.st_uid;
		pw = getpwuid(uid);
		gid = pw ? pw->pw_gid : st.st_gid;
	} else if ((pw = getpwnam("rounds")) != NULL) {
		uid = pw->pw_uid;
		gid = pw->pw_gid;
	} else {
		fprintf(stderr,
		        "rounds web: started as root, and there is neither a rounds user nor "
		        "a HOME owned by another user to become\n");
		return RD_NOPERM;
	}
	if (setgroups(0, NULL) != 0 || (pw != NULL && initgroups(pw->pw_name, gid) != 0) ||
	    setgid(gid) != 0 || setuid(uid) != 0 || setuid(0) == 0) {
		fprintf(stderr, "rounds web: cannot drop privileges: %s\n", g_strerror(errno));
		return RD_NOPERM;
	}
	return RD_OK;
}

rd_status
rd_cmd_web(rd_cli *cli)
{
	g_autofree char *listen = NULL;
	GOptionEntry entries[] = {{"listen", 0, 0, G_OPTION_ARG_STRING, &listen,
	                           "HOST:PORT to listen on (default: [web] listen, 127.0.0.1:8025)",
	                           "HOST:PORT"},
	                          {NULL}};
	g_autoptr(GError) err = NULL;
	rd_context o = {0};
	rd_web w = {0};
	rd_status st;

	cli->summary = "The HTTP service of one-click unsubscribe and confirmation links.";
	cli->description =
	    "Serves GET and POST /u/TOKEN (RFC 8058 one-click unsubscribe) and /c/TOKEN\n"
	    "(confirmations) on loopback, behind the site's reverse proxy, which\n"
	    "forwards [web] url's paths unchanged. Runs in the foreground (systemd);\n"
	    "started as root it becomes HOME's owner (else the rounds user). Logs to\n"
	    "syslog. SIGTERM or SIGINT stop it.";
	rd_log_init("rounds", TRUE, TRUE);
	if (!cli_start(cli, entries))
		return cli->status;
	if ((st = drop_privileges(cli)) != RD_OK)
		return st;
	if (!cli_open(cli))
		return cli->status;
	if (cli->config->web_url == NULL)
		rd_log_warnx("web: [web] url is not set in rounds.conf, so no mail carries its "
		             "links yet");
	cli_context(cli->config, &o);
	o.secret = rd_cli_secret(cli->config, &err);
	if (o.secret == NULL)
		return cli_fail(cli, err);
	w.store = cli->store;
	w.o = &o;
	st = rd_web_serve(&w, listen ? listen : cli->config->web_listen, &err) ? RD_OK
	                                                                       : cli_fail(cli, err);
	g_bytes_unref(o.secret);
	return st;
}
