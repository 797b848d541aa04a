/* test-smtp.c - rd_smtp_send against real Postfix smtp-sink servers.
 *
 * Each test starts its own smtp-sink on a free loopback port, dumping every
 * message it receives into a fresh directory, and stops it again; what the
 * server wrote is then compared with what was sent.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "smtp.h"

#define SMTP_SINK "/usr/sbin/smtp-sink"

typedef struct {
	GPid pid;
	int port;
	char *dir; /* the dumps, one file per message */
	char *log; /* smtp-sink's stdout and stderr (-c counters, -v) */
} sink;

/* A port nobody listens on right now: bind port 0 and ask what it got. */
static int
free_port(void)
{
	struct sockaddr_in sa = {.sin_family = AF_INET};
	socklen_t len = sizeof sa;
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	int port;

	g_assert_cmpint(fd, >=, 0);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	g_assert_cmpint(bind(fd, (struct sockaddr *)&sa, sizeof sa), ==, 0);
	g_assert_cmpint(getsockname(fd, (struct sockaddr *)&sa, &len), ==, 0);
	port = ntohs(sa.sin_port);
	close(fd);
	return port;
}

static gboolean
port_open(int port)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	gboolean ok;

	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ok = connect(fd, (struct sockaddr *)&sa, sizeof sa) == 0;
	close(fd);
	return ok;
}

/* Start smtp-sink with the extra options (NULL-terminated), or skip the test
 * when Postfix is not installed.  As root it must drop privileges to nobody,
 * who then needs to write the dump directory. */
static sink *
sink_start(const char *first, ...)
{
	sink *s;
	va_list ap;
	g_autoptr(GPtrArray) argv = g_ptr_array_new_with_free_func(g_free);
	g_autoptr(GError) error = NULL;
	int out;
	gboolean started, up = FALSE;

	if (!g_file_test(SMTP_SINK, G_FILE_TEST_IS_EXECUTABLE)) {
		g_test_skip("smtp-sink (Debian package postfix) is not installed");
		return NULL;
	}
	s = g_new0(sink, 1);
	s->dir = g_dir_make_tmp("rounds-smtp-XXXXXX", &error);
	g_assert_no_error(error);
	g_assert_cmpint(chmod(s->dir, 0777), ==, 0);
	s->log = g_strdup_printf("%s.log", s->dir);
	s->port = free_port();
	/* timeout(1) passes our SIGTERM on, and ends a sink left behind by a
	 * test that failed half way. */
	g_ptr_array_add(argv, g_strdup("timeout"));
	g_ptr_array_add(argv, g_strdup("300"));
	g_ptr_array_add(argv, g_strdup(SMTP_SINK));
	g_ptr_array_add(argv, g_strdup("-c"));
	if (geteuid() == 0) {
		g_ptr_array_add(argv, g_strdup("-u"));
		g_ptr_array_add(argv, g_strdup("nobody"));
	}
	va_start(ap, first);
	for (const char *a = first; a != NULL; a = va_arg(ap, const char *))
		g_ptr_array_add(argv, g_strdup(a));
	va_end(ap);
	g_ptr_array_add(argv, g_strdup("-d"));
	g_ptr_array_add(argv, g_strdup_printf("%s/%%M.", s->dir));
	g_ptr_array_add(argv, g_strdup_printf("127.0.0.1:%d", s->port));
	g_ptr_array_add(argv, g_strdup("64"));
	g_ptr_array_add(argv, NULL);
	out = open(s->log, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	g_assert_cmpint(out, >=, 0);
	started = g_spawn_async_with_fds(NULL, (char **)argv->pdata, NULL,
	                                 G_SPAWN_DO_NOT_REAP_CHILD | G_SPAWN_SEARCH_PATH, NULL,
	                                 NULL, &s->pid, -1, out, out, &error);
	close(out);
	g_assert_no_error(error);
	g_assert_true(started);
	/* Exactly one probe connects, so that sink_sessions can leave it out. */
	for (int i = 0; i < 250 && !(up = port_open(s->port)); i++)
		g_usleep(20000);
	g_assert_true(up);
	return s;
}

/* Stop the sink; what it dumped stays until sink_free. */
static void
sink_stop(sink *s)
{
	int status;

	if (s->pid <= 0)
		return;
	kill(s->pid, SIGTERM);
	waitpid(s->pid, &status, 0);
	g_spawn_close_pid(s->pid);
	s->pid = 0;
}

static void
sink_free(sink *s)
{
	g_autoptr(GDir) d = NULL;
	const char *name;

	if (s == NULL)
		return;
	sink_stop(s);
	d = g_dir_open(s->dir, 0, NULL);
	while (d && (name = g_dir_read_name(d)) != NULL) {
		g_autofree char *path = g_build_filename(s->dir, name, NULL);

		g_unlink(path);
	}
	g_rmdir(s->dir);
	g_unlink(s->log);
	g_free(s->dir);
	g_free(s->log);
	g_free(s);
}

/* The dumped messages, sorted by file name. */
static GPtrArray *
sink_dumps(sink *s)
{
	GPtrArray *out = g_ptr_array_new_with_free_func(g_free);
	g_autoptr(GDir) d = g_dir_open(s->dir, 0, NULL);
	const char *name;

	g_assert_nonnull(d);
	while ((name = g_dir_read_name(d)) != NULL) {
		g_autofree char *path = g_build_filename(s->dir, name, NULL);
		char *text = NULL;

		g_assert_true(g_file_get_contents(path, &text, NULL, NULL));
		/* smtp-sink opens the file at MAIL FROM; a transaction whose
		 * recipients were all refused leaves it empty. */
		if (*text == '\0')
			g_free(text);
		else
			g_ptr_array_add(out, text);
	}
	return out;
}

/* The dump that was addressed to RCPT, or NULL. */
static const char *
dump_for(GPtrArray *dumps, const char *rcpt)
{
	g_autofree char *want = g_strdup_printf("\nX-Rcpt-Args: <%s>\n", rcpt);

	for (guint i = 0; i < dumps->len; i++)
		if (strstr(dumps->pdata[i], want) != NULL)
			return dumps->pdata[i];
	return NULL;
}

/* The number of SMTP sessions smtp-sink counted (-c prints "sess=N"),
 * without the probe of sink_start. */
static int
sink_sessions(sink *s)
{
	g_autofree char *log = NULL;
	const char *p, *last = NULL;

	g_assert_true(g_file_get_contents(s->log, &log, NULL, NULL));
	for (p = log; (p = strstr(p, "sess=")) != NULL; p++)
		last = p;
	return last ? atoi(last + 5) - 1 : 0;
}

/* smtp-sink counts a session when it notices the end of it, which may be
 * a moment after the client has gone: wait for at least WANT sessions (or
 * two seconds), then a little longer for any extra ones to show. */
static int
sink_sessions_settled(sink *s, int want)
{
	for (int i = 0; i < 100 && sink_sessions(s) < want; i++)
		g_usleep(20000);
	g_usleep(200000);
	return sink_sessions(s);
}

static rd_smtp_config
config_for(int port)
{
	rd_smtp_config c = {
	    .host = (char *)"127.0.0.1",
	    .port = port,
	    .starttls = RD_SMTP_TLS_OPPORTUNISTIC,
	    .connections = 4,
	    .timeout_seconds = 10,
	    .helo = (char *)"lists.example.org",
	};
	return c;
}

/* A digest as Rounds sends it, LF line ends. */
static rd_smtp_message *
digest_for(guint64 id, const char *rcpt, const char *verp, const char *body)
{
	rd_smtp_message *m = g_new0(rd_smtp_message, 1);
	g_autofree char *text = g_strdup_printf(
	    "From: Care Team <care@lists.example.org>\n"
	    "To: %s\n"
	    "Reply-To: care+d-k3x7q2mfa4@lists.example.org\n"
	    "Subject: Care Team: 2 conversations, 3 new messages - Sat 28 Nov\n"
	    "Date: Sat, 28 Nov 2026 07:00:02 +0000\n"
	    "Message-ID: <digest.%" G_GUINT64_FORMAT ".20261128@lists.example.org>\n"
	    "List-Id: Care Team <care.lists.example.org>\n"
	    "List-Unsubscribe: <mailto:care+request@lists.example.org?subject=unsubscribe>\n"
	    "Auto-Submitted: auto-generated\n"
	    "Precedence: list\n"
	    "MIME-Version: 1.0\n"
	    "Content-Type: text/plain; charset=utf-8\n"
	    "Content-Transfer-Encoding: 8bit\n"
	    "\n"
	    "%s",
	    rcpt, id, body);

	m->id = id;
	m->recipient = g_strdup(rcpt);
	m->envelope_from = g_strdup(verp);
	m->data = g_bytes_new(text, strlen(text));
	return m;
}

static GPtrArray *
messages_new(void)
{
	return g_ptr_array_new_with_free_func((GDestroyNotify)rd_smtp_message_free);
}

static void
test_five_verp(void)
{
	static const char *const rcpts[] = {"ana.silva@clinic.example.net", "bo@family.example",
	                                    "chen.wei@hospital.example.org",
	                                    "dr.okafor@example.com", "eli+digest@mail.example.net"};
	static const char *const tokens[] = {"a2bq7c", "b4xk3d", "c7mm2p", "d3rt5e", "e6yv4f"};
	sink *s = sink_start(NULL);
	g_autoptr(GPtrArray) msgs = messages_new();
	g_autoptr(GPtrArray) dumps = NULL;
	g_autoptr(GError) error = NULL;
	rd_smtp_config c;

	if (s == NULL)
		return;
	c = config_for(s->port);
	c.connections = 2;
	for (guint i = 0; i < G_N_ELEMENTS(rcpts); i++) {
		g_autofree char *verp = g_strdup_printf("care+b-%s@lists.example.org", tokens[i]);
		g_autofree char *body = g_strdup_printf(
		    "Good morning,\n\nWound care rota: who covers Sunday? (for %s)\n\n-- \n"
		    "Reply: care+r-t%u@lists.example.org\n",
		    rcpts[i], i);

		g_ptr_array_add(msgs, digest_for(100 + i, rcpts[i], verp, body));
	}
	g_assert_true(rd_smtp_send(&c, msgs, &error));
	g_assert_no_error(error);
	/* Five messages over two connections, not one each. */
	g_assert_cmpint(sink_sessions_settled(s, 2), ==, 2);
	sink_stop(s);
	dumps = sink_dumps(s);
	g_assert_cmpuint(dumps->len, ==, 5);
	for (guint i = 0; i < msgs->len; i++) {
		rd_smtp_message *m = msgs->pdata[i];
		const char *d = dump_for(dumps, rcpts[i]);
		g_autofree char *from =
		    g_strdup_printf("\nX-Mail-Args: <care+b-%s@lists.example.org>", tokens[i]);
		g_autofree char *line = g_strdup_printf("who covers Sunday? (for %s)\n", rcpts[i]);

		g_assert_true(m->sent);
		g_assert_false(m->permanent);
		g_assert_cmpint(m->code, ==, 250);
		g_assert_nonnull(m->reply);
		g_assert_nonnull(d);
		g_assert_nonnull(strstr(d, from));
		g_assert_nonnull(strstr(d, line));
		g_assert_nonnull(strstr(d, "\nX-Helo-Args: lists.example.org\n"));
		g_assert_nonnull(strstr(d, "\nList-Id: Care Team <care.lists.example.org>\n"));
		/* One envelope per recipient: no other recipient in this one. */
		g_assert_null(strstr(strstr(d, "X-Rcpt-Args") + 1, "X-Rcpt-Args"));
	}
	sink_free(s);
}

/* Lines beginning with a dot, and a line of a single dot, must survive
 * the SMTP DATA phase; the null sender and LF line ends too. */
static void
test_dot_stuffing(void)
{
	static const char body[] = "Notes from the night shift:\n"
	                           ".hidden line starting with a dot\n"
	                           "..two dots\n"
	                           ".\n"
	                           "The line above is a single dot; more follows.\n"
	                           ". a dot and a space\n"
	                           "last line without a newline";
	sink *s = sink_start(NULL);
	g_autoptr(GPtrArray) msgs = messages_new();
	g_autoptr(GPtrArray) dumps = NULL;
	g_autoptr(GError) error = NULL;
	rd_smtp_config c;
	rd_smtp_message *m;
	const char *d;

	if (s == NULL)
		return;
	c = config_for(s->port);
	m = digest_for(7, "nurse.lee@ward.example.org", "", body);
	g_ptr_array_add(msgs, m);
	g_assert_true(rd_smtp_send(&c, msgs, &error));
	g_assert_no_error(error);
	g_assert_true(m->sent);
	g_assert_cmpint(m->code, ==, 250);
	sink_stop(s);
	dumps = sink_dumps(s);
	g_assert_cmpuint(dumps->len, ==, 1);
	d = dumps->pdata[0];
	g_assert_nonnull(strstr(d, "\nX-Mail-Args: <>\n"));
	g_assert_nonnull(strstr(d, "\nNotes from the night shift:\n"
	                           ".hidden line starting with a dot\n"
	                           "..two dots\n"
	                           ".\n"
	                           "The line above is a single dot; more follows.\n"
	                           ". a dot and a space\n"
	                           "last line without a newline\n"));
	sink_free(s);
}

/* A rejected RCPT: 5xx is permanent, 4xx is not; nothing is accepted. */
static void
check_rcpt_rejected(const char *option, int klass, gboolean permanent)
{
	sink *s = sink_start(option, "rcpt", NULL);
	g_autoptr(GPtrArray) msgs = messages_new();
	g_autoptr(GPtrArray) dumps = NULL;
	g_autoptr(GError) error = NULL;
	rd_smtp_config c;

	if (s == NULL)
		return;
	c = config_for(s->port);
	g_ptr_array_add(
	    msgs, digest_for(1, "gone@example.net", "care+b-aaaa@lists.example.org", "Hello.\n"));
	g_ptr_array_add(
	    msgs, digest_for(2, "full@example.net", "care+b-bbbb@lists.example.org", "Hello.\n"));
	g_ptr_array_add(
	    msgs, digest_for(3, "away@example.net", "care+b-cccc@lists.example.org", "Hello.\n"));
	g_assert_true(rd_smtp_send(&c, msgs, &error));
	g_assert_no_error(error);
	for (guint i = 0; i < msgs->len; i++) {
		rd_smtp_message *m = msgs->pdata[i];

		g_assert_false(m->sent);
		g_assert_cmpint(m->code / 100, ==, klass);
		g_assert_cmpint(m->permanent, ==, permanent);
		g_assert_nonnull(m->reply);
	}
	sink_stop(s);
	dumps = sink_dumps(s);
	if (dumps->len > 0)
		g_test_message("unexpected dump:\n%s", (char *)dumps->pdata[0]);
	g_assert_cmpuint(dumps->len, ==, 0);
	sink_free(s);
}

static void
test_rcpt_5xx(void)
{
	check_rcpt_rejected("-f", 5, TRUE);
}

static void
test_rcpt_4xx(void)
{
	check_rcpt_rejected("-r", 4, FALSE);
}

/* The message itself refused after DATA: permanent, not sent. */
static void
test_data_5xx(void)
{
	sink *s = sink_start("-f", ".", NULL);
	g_autoptr(GPtrArray) msgs = messages_new();
	g_autoptr(GError) error = NULL;
	rd_smtp_config c;
	rd_smtp_message *m;

	if (s == NULL)
		return;
	c = config_for(s->port);
	m = digest_for(9, "ana@example.org", "care+b-zzzz@lists.example.org", "Hi.\n");
	g_ptr_array_add(msgs, m);
	g_assert_true(rd_smtp_send(&c, msgs, &error));
	g_assert_false(m->sent);
	g_assert_true(m->permanent);
	g_assert_cmpint(m->code / 100, ==, 5);
	sink_free(s);
}

/* A server that refuses in the middle of a big message and hangs up: the
 * refusal is reported and the process survives the broken pipe. */
static void
test_abort_in_data(void)
{
	sink *s = sink_start("-A", "0", NULL);
	g_autoptr(GPtrArray) msgs = messages_new();
	g_autoptr(GError) error = NULL;
	g_autoptr(GString) body = g_string_new(NULL);
	rd_smtp_config c;
	rd_smtp_message *m;

	if (s == NULL)
		return;
	c = config_for(s->port);
	c.connections = 1;
	for (int i = 0; i < 40000; i++)
		g_string_append_printf(
		    body, "Line %05d of the shift handover log, nothing to report.\n", i);
	m = digest_for(11, "archive@example.org", "care+b-big@lists.example.org", body->str);
	g_ptr_array_add(msgs, m);
	g_ptr_array_add(
	    msgs, digest_for(12, "next@example.org", "care+b-nx@lists.example.org", "Hello.\n"));
	g_assert_true(rd_smtp_send(&c, msgs, &error));
	for (guint i = 0; i < msgs->len; i++) {
		rd_smtp_message *mi = msgs->pdata[i];

		g_assert_false(mi->sent);
	}
	/* The refusal, if it was read before the hang-up, is the server's
	 * word on this message; the next one never got its turn. */
	g_assert_true(m->code == 0 || m->code / 100 == 5);
	g_assert_cmpint(m->permanent, ==, m->code / 100 == 5);
	g_assert_cmpint(((rd_smtp_message *)msgs->pdata[1])->code, ==, 0);
	g_assert_false(((rd_smtp_message *)msgs->pdata[1])->permanent);
	sink_free(s);
}

static void
test_not_listening(void)
{
	g_autoptr(GPtrArray) msgs = messages_new();
	g_autoptr(GError) error = NULL;
	rd_smtp_config c = config_for(free_port());

	for (guint i = 0; i < 3; i++)
		g_ptr_array_add(msgs, digest_for(i, "bo@family.example",
		                                 "care+b-q1@lists.example.org", "Hello.\n"));
	g_assert_true(rd_smtp_send(&c, msgs, &error));
	g_assert_no_error(error);
	for (guint i = 0; i < msgs->len; i++) {
		rd_smtp_message *m = msgs->pdata[i];

		g_assert_false(m->sent);
		g_assert_false(m->permanent);
		g_assert_cmpint(m->code, ==, 0);
		g_assert_nonnull(m->reply);
	}
}

/* 421 and a hang-up at the first RCPT: that message gets the 421, the
 * rest of the connection code 0; all of them temporary. */
static void
test_421_disconnect(void)
{
	sink *s = sink_start("-Q", "rcpt", NULL);
	g_autoptr(GPtrArray) msgs = messages_new();
	g_autoptr(GError) error = NULL;
	rd_smtp_config c;

	if (s == NULL)
		return;
	c = config_for(s->port);
	c.connections = 1;
	for (guint i = 0; i < 3; i++) {
		g_autofree char *rcpt = g_strdup_printf("member%u@example.net", i);

		g_ptr_array_add(msgs,
		                digest_for(i, rcpt, "care+b-q2@lists.example.org", "Hello.\n"));
	}
	g_assert_true(rd_smtp_send(&c, msgs, &error));
	for (guint i = 0; i < msgs->len; i++) {
		rd_smtp_message *m = msgs->pdata[i];

		g_assert_false(m->sent);
		g_assert_false(m->permanent);
		g_assert_true(m->code == 0 || m->code == 421);
	}
	g_assert_cmpint(((rd_smtp_message *)msgs->pdata[0])->code, ==, 421);
	g_assert_cmpint(((rd_smtp_message *)msgs->pdata[2])->code, ==, 0);
	sink_free(s);
}

/* The server goes away after two messages: those two stay sent (sending
 * them again would duplicate them), the rest are temporary failures. */
static void
test_partial_session(void)
{
	sink *s = sink_start("-M", "2", NULL);
	g_autoptr(GPtrArray) msgs = messages_new();
	g_autoptr(GError) error = NULL;
	rd_smtp_config c;
	guint sent = 0;

	if (s == NULL)
		return;
	c = config_for(s->port);
	c.connections = 1;
	for (guint i = 0; i < 4; i++) {
		g_autofree char *rcpt = g_strdup_printf("member%u@example.net", i);

		g_ptr_array_add(msgs,
		                digest_for(i, rcpt, "care+b-q3@lists.example.org", "Hello.\n"));
	}
	g_assert_true(rd_smtp_send(&c, msgs, &error));
	for (guint i = 0; i < msgs->len; i++) {
		rd_smtp_message *m = msgs->pdata[i];

		g_assert_false(m->permanent);
		if (m->sent) {
			g_assert_cmpint(m->code, ==, 250);
			sent++;
		} else {
			g_assert_cmpint(m->code, ==, 0);
		}
	}
	g_assert_true(((rd_smtp_message *)msgs->pdata[0])->sent);
	g_assert_false(((rd_smtp_message *)msgs->pdata[3])->sent);
	g_assert_cmpuint(sent, >=, 1);
	g_assert_cmpuint(sent, <=, 2);
	sink_free(s);
}

static void
test_starttls_required(void)
{
	sink *s = sink_start(NULL);
	g_autoptr(GPtrArray) msgs = messages_new();
	g_autoptr(GPtrArray) dumps = NULL;
	g_autoptr(GError) error = NULL;
	rd_smtp_config c;
	rd_smtp_message *m;

	if (s == NULL)
		return;
	c = config_for(s->port);
	c.starttls = RD_SMTP_TLS_REQUIRED;
	m = digest_for(5, "dr.okafor@example.com", "care+b-tls1@lists.example.org", "Private.\n");
	g_ptr_array_add(msgs, m);
	g_assert_true(rd_smtp_send(&c, msgs, &error));
	g_assert_false(m->sent);
	g_assert_false(m->permanent);
	g_assert_cmpint(m->code, ==, 0);
	g_assert_nonnull(strstr(m->reply, "STARTTLS"));
	sink_stop(s);
	dumps = sink_dumps(s);
	g_assert_cmpuint(dumps->len, ==, 0);
	sink_free(s);
}

/* With a user, libesmtp authenticates (smtp-sink offers AUTH PLAIN LOGIN);
 * without one it never tries.  -v makes smtp-sink log the commands. */
static void
test_auth(void)
{
	g_autofree char *plain = g_base64_encode((const guchar *)"\0care-bot\0s3cret pass", 21);
	g_autofree char *want = g_strdup_printf("AUTH PLAIN %s", plain);

	for (int with_user = 0; with_user < 2; with_user++) {
		sink *s = sink_start("-v", NULL);
		g_autoptr(GPtrArray) msgs = messages_new();
		g_autoptr(GError) error = NULL;
		g_autofree char *log = NULL;
		rd_smtp_config c;
		rd_smtp_message *m;

		if (s == NULL)
			return;
		c = config_for(s->port);
		if (with_user) {
			c.user = (char *)"care-bot";
			c.password = (char *)"s3cret pass";
		}
		g_ptr_array_add(msgs, digest_for(1, "ana@example.org",
		                                 "care+b-au1@lists.example.org", "Hi.\n"));
		g_assert_true(rd_smtp_send(&c, msgs, &error));
		g_assert_no_error(error);
		m = msgs->pdata[0];
		/* smtp-sink says 250 to AUTH and takes the mail. */
		g_assert_true(m->sent);
		sink_stop(s);
		g_assert_true(g_file_get_contents(s->log, &log, NULL, NULL));
		if (with_user)
			g_assert_nonnull(strstr(log, want));
		else
			g_assert_null(strstr(log, "AUTH "));
		sink_free(s);
	}
}

/* AUTH refused, then the recipient refused with a 5xx (as a smarthost
 * does when it will not relay for strangers): the member is not to blame,
 * so the message is kept for another try, and the reply says why. */
static void
test_auth_refused(void)
{
	sink *s = sink_start("-f", "auth,rcpt", NULL);
	g_autoptr(GPtrArray) msgs = messages_new();
	g_autoptr(GError) error = NULL;
	rd_smtp_config c;
	rd_smtp_message *m;

	if (s == NULL)
		return;
	c = config_for(s->port);
	c.user = (char *)"care-bot";
	c.password = (char *)"wrong";
	m = digest_for(1, "ana@example.org", "care+b-au2@lists.example.org", "Hi.\n");
	g_ptr_array_add(msgs, m);
	g_assert_true(rd_smtp_send(&c, msgs, &error));
	g_assert_false(m->sent);
	g_assert_cmpint(m->code / 100, ==, 5);
	g_assert_false(m->permanent);
	g_assert_nonnull(strstr(m->reply, "not authenticated"));
	sink_free(s);
}

static void
test_setup_faults(void)
{
	g_autoptr(GPtrArray) msgs = messages_new();
	g_autoptr(GError) error = NULL;
	rd_smtp_config c = config_for(70000);

	g_ptr_array_add(msgs, digest_for(1, "ana@example.org", "", "Hi.\n"));
	g_assert_false(rd_smtp_send(&c, msgs, &error));
	g_assert_error(error, RD_ERROR, RD_CONFIG);
	g_clear_error(&error);

	c = config_for(25);
	c.user = (char *)"care-bot";
	g_assert_false(rd_smtp_send(&c, msgs, &error));
	g_assert_error(error, RD_ERROR, RD_CONFIG);
	g_clear_error(&error);

	/* Nothing to send is no fault, and touches no server. */
	g_ptr_array_set_size(msgs, 0);
	c = config_for(free_port());
	g_assert_true(rd_smtp_send(&c, msgs, &error));
	g_assert_no_error(error);
}

/* An envelope address that would smuggle a command into the session is
 * never sent, and never retried; the other messages go out. */
static void
test_bad_address(void)
{
	sink *s = sink_start(NULL);
	g_autoptr(GPtrArray) msgs = messages_new();
	g_autoptr(GPtrArray) dumps = NULL;
	g_autoptr(GError) error = NULL;
	rd_smtp_config c;
	rd_smtp_message *bad, *good, *bad_from;

	if (s == NULL)
		return;
	c = config_for(s->port);
	c.connections = 1;
	bad = digest_for(1, "ana@example.org>\r\nRCPT TO:<evil@example.net", "", "Hi.\n");
	good = digest_for(2, "bo@family.example", "care+b-ok@lists.example.org", "Hi.\n");
	bad_from = digest_for(3, "chen@example.org", "care+b-x y@lists.example.org", "Hi.\n");
	g_ptr_array_add(msgs, bad);
	g_ptr_array_add(msgs, good);
	g_ptr_array_add(msgs, bad_from);
	g_assert_true(rd_smtp_send(&c, msgs, &error));
	g_assert_false(bad->sent);
	g_assert_true(bad->permanent);
	g_assert_false(bad_from->sent);
	g_assert_true(bad_from->permanent);
	g_assert_true(good->sent);
	sink_stop(s);
	dumps = sink_dumps(s);
	g_assert_cmpuint(dumps->len, ==, 1);
	g_assert_nonnull(dump_for(dumps, "bo@family.example"));
	g_assert_null(strstr(dumps->pdata[0], "evil@example.net"));
	sink_free(s);
}

/* CRLF conversion: what SMTP needs, and no copy when it is already so. */
static void
test_to_crlf(void)
{
	static const struct {
		const char *in, *out;
		gboolean eight_bit;
	} cases[] = {
	    {"a\nb\n", "a\r\nb\r\n", FALSE},
	    {"a\r\nb\r\n", "a\r\nb\r\n", FALSE},
	    {"a\r\nb\nc", "a\r\nb\r\nc\r\n", FALSE},
	    {"bare\rcr\r\n", "bare\rcr\r\n", FALSE},
	    {"", "\r\n", FALSE},
	    {"caf\xc3\xa9\n", "caf\xc3\xa9\r\n", TRUE},
	    {"0123456789abcdef0123456789abcdef\r\nend \xe2\x80\x94\r\n",
	     "0123456789abcdef0123456789abcdef\r\nend \xe2\x80\x94\r\n", TRUE},
	};

	for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autoptr(GBytes) in = g_bytes_new(cases[i].in, strlen(cases[i].in));
		gboolean bits = !cases[i].eight_bit;
		g_autoptr(GBytes) out = rd_smtp_to_crlf(in, &bits);
		g_autofree char *text =
		    g_strndup(g_bytes_get_data(out, NULL), g_bytes_get_size(out));

		g_assert_cmpstr(text, ==, cases[i].out);
		g_assert_cmpint(bits, ==, cases[i].eight_bit);
		if (*cases[i].in && strcmp(cases[i].in, cases[i].out) == 0)
			g_assert_true(g_bytes_get_data(out, NULL) == g_bytes_get_data(in, NULL));
	}
}

/* A digest as Rounds renders it for 8BITMIME: text and HTML in UTF-8,
 * 8bit, in multipart/alternative; long lines and a leading dot too. */
static const char digest_plain[] =
    "Grüße aus Köln — Wundversorgung, Woche 48\n"
    "\n"
    ".Zeile mit Punkt am Anfang\n"
    "Nächste Schicht: Dr. Øster übernimmt die Visite; bitte die Verbände "
    "kontrollieren, die Dokumentation vervollständigen und Rückfragen an "
    "die Stationsleitung (Zimmer 3.14, Durchwahl −2718) richten, danke! "
    "Trailing space \n"
    "Ende.\n";
static const char digest_html[] = "<p>Grüße — <b>Köln</b></p>\n<p>Kosten: 5 €</p>\n";

static rd_smtp_message *
digest_8bit_for(guint64 id, const char *rcpt, const char *verp)
{
	rd_smtp_message *m = g_new0(rd_smtp_message, 1);
	g_autofree char *text = g_strdup_printf(
	    "From: Care Team <care@lists.example.org>\n"
	    "To: %s\n"
	    "Subject: Care Team: 1 conversation - Sat 28 Nov\n"
	    "Date: Sat, 28 Nov 2026 07:00:02 +0000\n"
	    "Message-ID: <digest.%" G_GUINT64_FORMAT ".20261128@lists.example.org>\n"
	    "MIME-Version: 1.0\n"
	    "Content-Type: multipart/alternative; boundary=\"=-rounds-b1\"\n"
	    "\n"
	    "--=-rounds-b1\n"
	    "Content-Type: text/plain; charset=utf-8\n"
	    "Content-Transfer-Encoding: 8bit\n"
	    "\n"
	    "%s"
	    "--=-rounds-b1\n"
	    "Content-Type: text/html; charset=utf-8\n"
	    "Content-Transfer-Encoding: 8bit\n"
	    "\n"
	    "%s"
	    "--=-rounds-b1--\n",
	    rcpt, id, digest_plain, digest_html);

	m->id = id;
	m->recipient = g_strdup(rcpt);
	m->envelope_from = g_strdup(verp);
	m->data = g_bytes_new(text, strlen(text));
	return m;
}

/* The message in a dump: what follows smtp-sink's own Received header. */
static const char *
dump_message(const char *dump)
{
	const char *p = strstr(dump, "\nReceived: ");

	g_assert_nonnull(p);
	for (p++; (p = strchr(p, '\n')) != NULL && p[1] == '\t'; p++)
		;
	g_assert_nonnull(p);
	return p + 1;
}

/* The decoded content of each part of MESSAGE's multipart body, joined. */
static char *
decoded_parts(const char *message)
{
	g_autoptr(GMimeStream) stream = g_mime_stream_mem_new_with_buffer(message, strlen(message));
	g_autoptr(GMimeParser) parser = g_mime_parser_new_with_stream(stream);
	g_autoptr(GMimeMessage) msg = g_mime_parser_construct_message(parser, NULL);
	GMimeObject *body = msg ? g_mime_message_get_mime_part(msg) : NULL;
	g_autoptr(GString) out = g_string_new(NULL);

	g_assert_true(GMIME_IS_MULTIPART(body));
	for (int i = 0; i < g_mime_multipart_get_count(GMIME_MULTIPART(body)); i++) {
		GMimePart *part = GMIME_PART(g_mime_multipart_get_part(GMIME_MULTIPART(body), i));
		g_autoptr(GMimeStream) mem = g_mime_stream_mem_new();
		g_autofree char *type = g_mime_content_type_get_mime_type(
		    g_mime_object_get_content_type(GMIME_OBJECT(part)));
		GByteArray *b;

		g_mime_data_wrapper_write_to_stream(g_mime_part_get_content(part), mem);
		b = g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(mem));
		g_string_append_printf(out, "[%s]", type);
		g_string_append_len(out, (const char *)b->data, (gssize)b->len);
	}
	return g_string_free(g_steal_pointer(&out), FALSE);
}

static gboolean
is_7bit(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s >= 0x80)
			return FALSE;
	return TRUE;
}

/* A server that offers 8BITMIME gets the 8-bit message exactly as it is,
 * declared BODY=8BITMIME, over one session. */
static void
test_8bitmime_offered(void)
{
	sink *s = sink_start(NULL);
	g_autoptr(GPtrArray) msgs = messages_new();
	g_autoptr(GPtrArray) dumps = NULL;
	g_autoptr(GError) error = NULL;
	rd_smtp_config c;
	rd_smtp_message *m;
	g_autofree char *sent = NULL;
	g_autofree char *with_end = NULL;

	if (s == NULL)
		return;
	c = config_for(s->port);
	m = digest_8bit_for(21, "ana@example.org", "care+b-8b1@lists.example.org");
	sent = g_strndup(g_bytes_get_data(m->data, NULL), g_bytes_get_size(m->data));
	g_ptr_array_add(msgs, m);
	g_assert_true(rd_smtp_send(&c, msgs, &error));
	g_assert_no_error(error);
	g_assert_true(m->sent);
	g_assert_cmpint(sink_sessions_settled(s, 1), ==, 1);
	sink_stop(s);
	dumps = sink_dumps(s);
	g_assert_cmpuint(dumps->len, ==, 1);
	g_assert_nonnull(strstr(dumps->pdata[0],
	                        "\nX-Mail-Args: <care+b-8b1@lists.example.org> BODY=8BITMIME\n"));
	/* smtp-sink ends its dump with an empty line. */
	with_end = g_strconcat(sent, "\n", NULL);
	g_assert_cmpstr(dump_message(dumps->pdata[0]), ==, with_end);
	sink_free(s);
}

/* A server without 8BITMIME (smtp-sink -8): the session that declared it
 * ends before MAIL; a second one carries the 8-bit messages in 7-bit form
 * and the 7-bit ones as they are, each exactly once, and the text decodes
 * to the same.  The next send converts before the first session. */
/* With AUTH libesmtp never checks the extensions it needs: MAIL goes
 * without BODY=8BITMIME and the body must then be sent in 7-bit form. */
static void
test_8bitmime_missing_auth(void)
{
	sink *s = sink_start("-8", NULL);
	g_autoptr(GPtrArray) msgs = messages_new();
	g_autoptr(GPtrArray) dumps = NULL;
	g_autoptr(GError) error = NULL;
	rd_smtp_config c;
	rd_smtp_message *m;

	if (s == NULL)
		return;
	c = config_for(s->port);
	c.user = (char *)"care-bot";
	c.password = (char *)"s3cret pass";
	m = digest_8bit_for(50, "ana@example.org", "care+b-8a@lists.example.org");
	g_ptr_array_add(msgs, m);
	g_assert_true(rd_smtp_send(&c, msgs, &error));
	g_assert_no_error(error);
	g_assert_true(m->sent);
	g_assert_cmpint(sink_sessions_settled(s, 1), ==, 1);
	sink_stop(s);
	dumps = sink_dumps(s);
	g_assert_cmpuint(dumps->len, ==, 1);
	g_assert_true(is_7bit(dumps->pdata[0]));
	g_assert_null(strstr(dumps->pdata[0], "BODY=8BITMIME"));
	sink_free(s);
}

static void
test_8bitmime_missing(void)
{
	static const char *const rcpts[] = {"ana@example.org", "bo@family.example",
	                                    "chen@example.org", "dr.okafor@example.com"};
	sink *s = sink_start("-8", NULL);
	g_autoptr(GPtrArray) msgs = messages_new();
	g_autoptr(GPtrArray) again = messages_new();
	g_autoptr(GPtrArray) dumps = NULL;
	g_autoptr(GError) error = NULL;
	g_autofree char *sent = NULL;
	g_autofree char *want = NULL;
	rd_smtp_message *fan;
	GBytes *crlf;
	rd_smtp_config c;

	if (s == NULL)
		return;
	c = config_for(s->port);
	c.connections = 2;
	/* Two connections, each with an 8-bit and a 7-bit message. */
	for (guint i = 0; i < G_N_ELEMENTS(rcpts); i++)
		g_ptr_array_add(
		    msgs, i < 2 ? digest_8bit_for(30 + i, rcpts[i], "care+b-8m@lists.example.org")
		                : digest_for(30 + i, rcpts[i], "care+b-7m@lists.example.org",
		                             "Plain ASCII.\n"));
	sent = g_strndup(g_bytes_get_data(((rd_smtp_message *)msgs->pdata[0])->data, NULL),
	                 g_bytes_get_size(((rd_smtp_message *)msgs->pdata[0])->data));
	want = decoded_parts(sent);
	/* The second as fan-out hands its copies over: CRLF, said to be 8-bit. */
	fan = msgs->pdata[1];
	crlf = rd_smtp_to_crlf(fan->data, NULL);
	g_bytes_unref(fan->data);
	fan->data = crlf;
	fan->form = RD_SMTP_FORM_CRLF_8BIT;
	g_assert_true(rd_smtp_send(&c, msgs, &error));
	g_assert_no_error(error);
	for (guint i = 0; i < msgs->len; i++) {
		rd_smtp_message *m = msgs->pdata[i];

		g_assert_true(m->sent);
		g_assert_cmpint(m->code, ==, 250);
	}
	/* Each connection twice: one that ends after EHLO, then the send. */
	g_assert_cmpint(sink_sessions_settled(s, 4), ==, 4);

	g_ptr_array_add(again,
	                digest_8bit_for(40, "eli@example.net", "care+b-8n@lists.example.org"));
	g_assert_true(rd_smtp_send(&c, again, &error));
	g_assert_true(((rd_smtp_message *)again->pdata[0])->sent);
	g_assert_cmpint(sink_sessions_settled(s, 5), ==, 5);

	sink_stop(s);
	dumps = sink_dumps(s);
	g_assert_cmpuint(dumps->len, ==, 5);
	for (guint i = 0; i < dumps->len; i++) {
		const char *d = dumps->pdata[i];

		g_assert_true(is_7bit(d));
		g_assert_null(strstr(d, "BODY=8BITMIME"));
	}
	for (guint i = 0; i < G_N_ELEMENTS(rcpts); i++) {
		const char *d = dump_for(dumps, rcpts[i]);
		g_autofree char *got = NULL;

		g_assert_nonnull(d);
		if (i >= 2) {
			g_assert_nonnull(
			    strstr(d, "\nContent-Transfer-Encoding: 8bit\n\nPlain ASCII.\n"));
			continue;
		}
		got = decoded_parts(dump_message(d));
		g_assert_cmpstr(got, ==, want);
		g_assert_nonnull(strstr(d, "\nContent-Transfer-Encoding: quoted-printable\n"));
	}
	g_assert_nonnull(dump_for(dumps, "eli@example.net"));
	sink_free(s);
}

int
main(int argc, char **argv)
{
	/* SIGPIPE keeps its default action on purpose: rd_smtp_send must
	 * survive a server that hangs up while it writes (abort-in-data). */
	g_test_init(&argc, &argv, NULL);
	/* The 7-bit form for servers without 8BITMIME is made with GMime. */
	g_mime_init();
	g_test_add_func("/smtp/to-crlf", test_to_crlf);
	g_test_add_func("/smtp/five-verp", test_five_verp);
	g_test_add_func("/smtp/dot-stuffing", test_dot_stuffing);
	g_test_add_func("/smtp/rcpt-5xx", test_rcpt_5xx);
	g_test_add_func("/smtp/rcpt-4xx", test_rcpt_4xx);
	g_test_add_func("/smtp/data-5xx", test_data_5xx);
	g_test_add_func("/smtp/abort-in-data", test_abort_in_data);
	g_test_add_func("/smtp/not-listening", test_not_listening);
	g_test_add_func("/smtp/421-disconnect", test_421_disconnect);
	g_test_add_func("/smtp/partial-session", test_partial_session);
	g_test_add_func("/smtp/starttls-required", test_starttls_required);
	g_test_add_func("/smtp/auth", test_auth);
	g_test_add_func("/smtp/auth-refused", test_auth_refused);
	g_test_add_func("/smtp/setup-faults", test_setup_faults);
	g_test_add_func("/smtp/bad-address", test_bad_address);
	g_test_add_func("/smtp/8bitmime-offered", test_8bitmime_offered);
	g_test_add_func("/smtp/8bitmime-missing", test_8bitmime_missing);
	g_test_add_func("/smtp/8bitmime-missing-auth", test_8bitmime_missing_auth);
	return g_test_run();
}
