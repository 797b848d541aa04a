/* cmd-lmtp.c - rounds lmtp: the LMTP server (lmtp.c) in front of the same
 * delivery as rounds deliver, one long-lived process for every message.
 *
 * Each accepted recipient's copy goes through rd_deliver() with the
 * context cmd-deliver.c builds (cli_context, the secret), one transaction
 * per recipient, committed before that recipient's 250.  Connections run
 * in threads; the store is one SQLite connection, so deliveries take turns
 * (SQLite has one writer at a time anyway).
 */
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <unistd.h>

#include "cmd-internal.h"
#include "lmtp.h"
#include "log.h"

typedef struct {
	rd_cli *cli;
	GMutex lock; /* the store is used by one connection at a time */
} lmtp_env;

static rd_status
lmtp_deliver(gpointer data, gboolean trusted, const char *sender, const char *recipient,
             GBytes *message, GError **error)
{
	lmtp_env *e = data;
	rd_context o = {0};
	rd_deliver_result r = {0};
	rd_status st;

	cli_context(e->cli->config, &o);
	o.recipient = recipient;
	o.sender = sender;
	o.secret = e->cli->secret;
	/* Anyone on this host can reach a TCP port and write any header: an
	 * Authentication-Results header proves nothing there.  The UNIX
	 * socket's mode decides who may connect, as the pipe's user does. */
	if (!trusted)
		o.trusted_authserv_id = NULL;
	g_mutex_lock(&e->lock);
	st = rd_deliver(e->cli->store, &o, message, &r, error);
	g_mutex_unlock(&e->lock);
	if (st != RD_OK)
		rd_log_warnx("lmtp to %s from %s: %s", recipient, *sender ? sender : "<>",
		             error && *error ? (*error)->message : "failed");
	else
		rd_log_info("lmtp to %s: <%s> %s", recipient, r.message_id ? r.message_id : "",
		            r.status ? r.status : "");
	rd_deliver_result_clear(&r);
	return st;
}

/* The [lmtp] KEY of rounds.conf, or NULL. */
static char *
conf_string(const rd_config *c, const char *key)
{
	char *v = g_key_file_get_string(c->kf, "lmtp", key, NULL);

	if (v != NULL && *g_strstrip(v) == '\0')
		g_clear_pointer(&v, g_free);
	return v;
}

static gboolean
conf_uint(const rd_config *c, const char *key, guint *v, GError **error)
{
	g_autofree char *s = conf_string(c, key);
	guint64 n;

	if (s == NULL)
		return TRUE;
	if (!g_ascii_string_to_unsigned(s, 10, 1, G_MAXINT, &n, NULL)) {
		g_set_error(error, RD_ERROR, RD_CONFIG, "[lmtp] %s: not a positive number", key);
		return FALSE;
	}
	*v = (guint)n;
	return TRUE;
}

rd_status
rd_cmd_lmtp(rd_cli *cli)
{
	g_autofree char *socket_path = NULL, *listen = NULL, *mode_s = NULL, *owner = NULL,
	                *group = NULL;
	gint idle_opt = 0, conn_opt = 0;
	GOptionEntry entries[] = {
	    {"socket", 0, 0, G_OPTION_ARG_FILENAME, &socket_path,
	     "the UNIX socket ([lmtp] socket; default HOME/lmtp)", "PATH"},
	    {"listen", 0, 0, G_OPTION_ARG_STRING, &listen,
	     "a loopback TCP address instead ([lmtp] listen), e.g. 127.0.0.1:2003", "ADDR:PORT"},
	    {"mode", 0, 0, G_OPTION_ARG_STRING, &mode_s,
	     "the socket's mode in octal ([lmtp] mode; 0660)", "MODE"},
	    {"owner", 0, 0, G_OPTION_ARG_STRING, &owner, "the socket's owner ([lmtp] owner)",
	     "USER"},
	    {"group", 0, 0, G_OPTION_ARG_STRING, &group,
	     "the socket's group ([lmtp] group), e.g. postfix", "GROUP"},
	    {"idle-timeout", 0, 0, G_OPTION_ARG_INT, &idle_opt,
	     "seconds of silence before a client is dropped ([lmtp] idle-timeout; 300)", "SEC"},
	    {"max-connections", 0, 0, G_OPTION_ARG_INT, &conn_opt,
	     "connections served at once ([lmtp] max-connections; 16)", "N"},
	    {NULL}};
	g_autoptr(GError) err = NULL;
	g_autoptr(rd_lmtp_server) srv = NULL;
	rd_lmtp_params p = {0};
	lmtp_env e = {0};
	guint idle = 300, max_conn = 16, passed = 0;
	guint64 mode = 0660;
	int uid = -1, gid = -1;
	rd_config *c;

	cli->summary = "Take mail from the MTA over LMTP (RFC 2033): one reply per recipient,\n"
	               "each after that recipient's copy is committed.";
	cli->description =
	    "Replies after the final dot, per recipient: 250 stored (also a duplicate),\n"
	    "451 4.3.0 temporary failure (the MTA retries), 550 5.1.1 no such community,\n"
	    "554 5.6.0 unparseable, 552 5.3.4 too large, 550 5.7.1 refused by policy.\n"
	    "Listens on sockets passed by systemd (LISTEN_FDS) when there are any, else\n"
	    "on --listen, else on --socket. SIGTERM or SIGINT: stop accepting, finish\n"
	    "the transactions in flight, exit 0.";
	rd_log_init("rounds", TRUE, TRUE);
	if (!cli_start(cli, entries))
		return cli->status;
	if (idle_opt < 0 || conn_opt < 0)
		return cli_usage(cli, "--idle-timeout and --max-connections must be positive");
	if (!cli_open(cli))
		return cli->status;
	c = cli->config;
#define FROM_CONF(var, key)                                                                        \
	if ((var) == NULL)                                                                         \
		(var) = conf_string(c, key);
	FROM_CONF(socket_path, "socket");
	FROM_CONF(listen, "listen");
	FROM_CONF(mode_s, "mode");
	FROM_CONF(owner, "owner");
	FROM_CONF(group, "group");
#undef FROM_CONF
	if (!conf_uint(c, "idle-timeout", &idle, &err) ||
	    !conf_uint(c, "max-connections", &max_conn, &err))
		return cli_fail(cli, err);
	if (idle_opt > 0)
		idle = (guint)idle_opt;
	if (conn_opt > 0)
		max_conn = (guint)conn_opt;
	if (mode_s != NULL && !g_ascii_string_to_unsigned(mode_s, 8, 0, 0777, &mode, NULL))
		return cli_usage(cli, "the socket mode %s is not an octal mode like 0660", mode_s);
	if (owner != NULL) {
		struct passwd *pw = getpwnam(owner);

		if (pw == NULL)
			return cli_usage(cli, "no user %s", owner);
		uid = (int)pw->pw_uid;
	}
	if (group != NULL) {
		struct group *gr = getgrnam(group);

		if (gr == NULL)
			return cli_usage(cli, "no group %s", group);
		gid = (int)gr->gr_gid;
	}

	g_mutex_init(&e.lock);
	e.cli = cli;
	p.hostname = g_get_host_name();
	p.max_size = c->max_message_size;
	p.deliver = lmtp_deliver;
	p.data = &e;
	srv = rd_lmtp_server_new(&p, idle, max_conn);
	if (!rd_lmtp_server_add_systemd(srv, &passed, &err))
		goto fail;
	if (passed > 0) {
		rd_log_info("lmtp: listening on %u socket(s) from systemd", passed);
	} else if (listen != NULL) {
		if (!rd_lmtp_server_add_tcp(srv, listen, &err))
			goto fail;
		rd_log_info("lmtp: listening on %s", listen);
	} else {
		if (socket_path == NULL)
			socket_path = g_build_filename(c->home, "lmtp", NULL);
		if (!rd_lmtp_server_add_unix(srv, socket_path, (int)mode, uid, gid, &err))
			goto fail;
		rd_log_info("lmtp: listening on %s", socket_path);
	}
	rd_lmtp_server_run(srv);
	rd_log_info("lmtp: stopped");
	g_clear_pointer(&srv, rd_lmtp_server_free);
	g_mutex_clear(&e.lock);
	return RD_OK;
fail:
	g_mutex_clear(&e.lock);
	if (err->domain != RD_ERROR) {
		/* A GIO error (address in use, no such directory): the admin's. */
		fprintf(stderr, "rounds lmtp: %s\n", err->message);
		return RD_CONFIG;
	}
	return cli_fail(cli, err);
}
