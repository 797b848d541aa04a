/* test-mta.c - MTA configuration lines and the check of installed
 * configurations (fixtures in tests/mta/, run from the top of the checkout). */
#include <glib/gstdio.h>
#include <stdarg.h>
#include <string.h>

#include "mta.h"

static const char *const communities[] = {"care@lists.example.org", "wound-care@care.example.net",
                                          NULL};

static char *
fixture(const char *name)
{
	char *dir = g_build_filename("tests", "mta", name, NULL);

	g_assert_true(g_file_test(dir, G_FILE_TEST_IS_DIR));
	return dir;
}

static gboolean
have_postfix_tools(void)
{
	g_autofree char *pc = g_find_program_in_path("postconf");

	if (pc == NULL && !g_file_test("/usr/sbin/postconf", G_FILE_TEST_IS_EXECUTABLE)) {
		g_test_skip("postconf is not installed");
		return FALSE;
	}
	return TRUE;
}

/* Is there a problem line containing every one of the NULL-terminated words? */
static gboolean
has_problem(GPtrArray *problems, const char *first, ...)
{
	for (guint i = 0; i < problems->len; i++) {
		const char *p = problems->pdata[i];
		gboolean all = TRUE;
		va_list ap;

		va_start(ap, first);
		for (const char *w = first; w != NULL; w = va_arg(ap, const char *)) {
			if (strstr(p, w) == NULL)
				all = FALSE;
		}
		va_end(ap);
		if (all)
			return TRUE;
	}
	return FALSE;
}

static void
print_problems(GPtrArray *problems)
{
	for (guint i = 0; i < problems->len; i++)
		g_test_message("problem: %s", (const char *)problems->pdata[i]);
}

static void
test_lines_postfix(void)
{
	g_autofree char *t = rd_mta_lines("postfix", "care", "Lists.Example.ORG", '+', NULL, NULL);

	g_assert_nonnull(t);
	g_assert_nonnull(strstr(t, "recipient_delimiter = +\n"));
	g_assert_nonnull(strstr(t, "relay_domains = lists.example.org\n"));
	g_assert_nonnull(strstr(t, "\nlists.example.org\trounds:\n"));
	g_assert_nonnull(strstr(t, "rounds_destination_recipient_limit = 1\n"));
	g_assert_nonnull(strstr(t, "rounds    unix  -       n       n       -       -       pipe\n"
	                           "  flags=DRhu user=rounds argv=/usr/local/bin/rounds --home "
	                           "/var/lib/rounds deliver --recipient ${recipient} --sender "
	                           "${sender}\n"));
	g_assert_nonnull(strstr(t, "care+r-TOKEN@"));
	/* Every line is a comment or configuration: nothing is left blank. */
	g_assert_null(strstr(t, "\n\n"));
}

static void
test_lines_paths_and_delimiter(void)
{
	g_autofree char *t = rd_mta_lines("postfix", "care", "lists.example.org", '-',
	                                  "/opt/rounds/bin/rounds", "/srv/rounds");

	g_assert_nonnull(strstr(t, "recipient_delimiter = -\n"));
	g_assert_nonnull(strstr(t, "argv=/opt/rounds/bin/rounds --home /srv/rounds deliver"));
	g_assert_nonnull(strstr(t, "care-request@"));
	g_assert_null(strstr(t, "/usr/local/bin/rounds --home"));
}

/* The LMTP way: a transport to the socket, no pipe; sendmail has none. */
static void
test_lines_lmtp(void)
{
	const char *sock = "/run/rounds/lmtp";
	g_autofree char *p = rd_mta_lmtp_lines("postfix", "care", "lists.example.org", '+', sock);
	g_autofree char *e = rd_mta_lmtp_lines("exim", "care", "lists.example.org", '+', sock);
	g_autofree char *o = rd_mta_lmtp_lines("opensmtpd", "care", "lists.example.org", '+', sock);
	g_autofree char *s = rd_mta_lmtp_lines("sendmail", "care", "lists.example.org", '+', sock);

	g_assert_nonnull(strstr(p, "\nlists.example.org\tlmtp:unix:/run/rounds/lmtp\n"));
	g_assert_null(strstr(p, "pipe"));
	g_assert_null(strstr(p, "recipient_limit"));
	g_assert_nonnull(strstr(e, "  driver = lmtp\n  socket = /run/rounds/lmtp\n"));
	g_assert_nonnull(strstr(o, "action \"rounds\" lmtp \"/run/rounds/lmtp\" rcpt-to user rounds\n"));
	g_assert_null(s);
	g_assert_false(rd_mta_has_lmtp("sendmail"));
	g_assert_true(rd_mta_has_lmtp("postfix"));
}

static void
test_lines_others(void)
{
	g_autofree char *e = rd_mta_lines("exim", "care", "lists.example.org", '+', NULL, NULL);
	g_autofree char *o =
	    rd_mta_lines("opensmtpd", "care", "lists.example.org", '+', NULL, NULL);
	g_autofree char *s = rd_mta_lines("sendmail", "care", "lists.example.org", '+', NULL, NULL);
	g_autofree char *none = rd_mta_lines("qmail", "care", "lists.example.org", '+', NULL, NULL);

	g_assert_nonnull(strstr(e, "  driver = accept\n  domains = lists.example.org\n"));
	g_assert_nonnull(strstr(e, "  temp_errors = 75\n"));
	g_assert_nonnull(strstr(e, "  user = rounds\n"));
	g_assert_nonnull(strstr(e, "--recipient $local_part@$domain"));
	g_assert_nonnull(strstr(o, "--recipient '%{rcpt}' --sender='%{sender}'\" user rounds\n"));
	g_assert_nonnull(strstr(o, "match from any for domain \"lists.example.org\" action "
	                           "\"rounds\"\n"));
	g_assert_nonnull(strstr(s, "Mrounds, P=/usr/local/bin/rounds,"));
	g_assert_nonnull(strstr(s, "U=rounds:rounds"));
	g_assert_nonnull(strstr(s, "lists.example.org\trounds:lists.example.org\n"));
	g_assert_null(none);
	g_assert_false(rd_mta_known("qmail"));
	g_assert_true(rd_mta_known("opensmtpd"));
}

/* What rd_mta_lines prints for Exim and OpenSMTPD must pass rd_mta_check. */
static void
test_lines_round_trip(void)
{
	const char *const mtas[] = {"exim", "opensmtpd"};
	const char *const one[] = {"care@lists.example.org", NULL};

	for (gsize i = 0; i < G_N_ELEMENTS(mtas); i++) {
		g_autoptr(GError) err = NULL;
		g_autofree char *dir = g_dir_make_tmp("rounds-mta-XXXXXX", &err);
		g_autofree char *t =
		    rd_mta_lines(mtas[i], "care", "lists.example.org", '+', NULL, NULL);
		g_autofree char *file = g_build_filename(
		    dir, strcmp(mtas[i], "exim") == 0 ? "exim4.conf" : "smtpd.conf", NULL);
		g_autoptr(GPtrArray) problems = NULL;

		g_assert_no_error(err);
		g_assert_true(g_file_set_contents(file, t, -1, NULL));
		problems = rd_mta_check(mtas[i], dir, one, '+', &err);
		g_assert_no_error(err);
		print_problems(problems);
		g_assert_cmpuint(problems->len, ==, 0);
		g_unlink(file);
		g_rmdir(dir);
	}
}

static void
test_check_postfix_good(void)
{
	g_autofree char *dir = fixture("postfix-good");
	g_autoptr(GError) err = NULL;
	g_autoptr(GPtrArray) problems = NULL;

	if (!have_postfix_tools())
		return;
	problems = rd_mta_check("postfix", dir, communities, '+', &err);
	g_assert_no_error(err);
	print_problems(problems);
	g_assert_cmpuint(problems->len, ==, 0);
}

static void
test_check_postfix_broken(void)
{
	g_autofree char *dir = fixture("postfix-broken");
	g_autoptr(GError) err = NULL;
	g_autoptr(GPtrArray) problems = NULL;

	if (!have_postfix_tools())
		return;
	problems = rd_mta_check("postfix", dir, communities, '+', &err);
	g_assert_no_error(err);
	print_problems(problems);
	g_assert_true(has_problem(problems, "recipient_delimiter is \"-\"", NULL));
	g_assert_true(has_problem(problems, "lists.example.org is in neither relay_domains", NULL));
	/* care+request@ falls back to care@ only with the + delimiter. */
	g_assert_true(has_problem(problems, "some addresses of care@lists.example.org",
	                          "+request, +owner, +subscribe", "+r-", NULL));
	/* With Postfix's delimiter "-", care-request@ falls back to care@. */
	g_assert_false(has_problem(problems, "-request)", NULL));
	/* The other community's domain has no entry at all. */
	g_assert_true(has_problem(problems, "no address of wound-care@care.example.net", NULL));
	g_assert_true(has_problem(problems, "never as root", NULL));
	g_assert_true(has_problem(problems, "chroot", NULL));
	g_assert_true(has_problem(problems, "rounds_destination_recipient_limit = 1", NULL));
	g_assert_true(has_problem(problems, "--recipient ${recipient}", NULL));
	/* The post address itself is routed: it is not among the lost ones. */
	g_assert_false(has_problem(problems, "(care@lists.example.org", NULL));
}

/* A delimiter that postfix-good does not use is a problem even there. */
static void
test_check_postfix_delimiter(void)
{
	g_autofree char *dir = fixture("postfix-good");
	g_autoptr(GError) err = NULL;
	g_autoptr(GPtrArray) problems = NULL;

	if (!have_postfix_tools())
		return;
	problems = rd_mta_check("postfix", dir, communities, '-', &err);
	g_assert_no_error(err);
	g_assert_cmpuint(problems->len, ==, 1);
	g_assert_true(has_problem(problems, "set recipient_delimiter = -", NULL));
}

static void
test_check_postfix_missing(void)
{
	g_autoptr(GError) err = NULL;
	g_autoptr(GPtrArray) problems =
	    rd_mta_check("postfix", "tests/mta/no-such-dir", communities, '+', &err);

	g_assert_null(problems);
	g_assert_error(err, RD_ERROR, RD_CONFIG);
}

static void
test_check_exim(void)
{
	g_autofree char *good = fixture("exim-good");
	g_autofree char *broken = fixture("exim-broken");
	const char *const one[] = {"care@lists.example.org", NULL};
	g_autoptr(GError) err = NULL;
	g_autoptr(GPtrArray) p1 = rd_mta_check("exim", good, communities, '+', &err);
	g_autoptr(GPtrArray) p2 = NULL;

	g_assert_no_error(err);
	print_problems(p1);
	g_assert_cmpuint(p1->len, ==, 0);
	p2 = rd_mta_check("exim", broken, one, '+', &err);
	g_assert_no_error(err);
	print_problems(p2);
	g_assert_true(has_problem(p2, "local_part_suffix_optional", NULL));
	g_assert_true(has_problem(p2, "tokens would be lost", NULL));
	g_assert_true(has_problem(p2, "user = rounds", NULL));
	g_assert_true(has_problem(p2, "temp_errors", "lacks 75", NULL));
}

static void
test_check_opensmtpd(void)
{
	g_autofree char *good = fixture("opensmtpd-good");
	g_autofree char *broken = fixture("opensmtpd-broken");
	g_autoptr(GError) err = NULL;
	g_autoptr(GPtrArray) p1 = rd_mta_check("opensmtpd", good, communities, '+', &err);
	g_autoptr(GPtrArray) p2 = NULL;

	g_assert_no_error(err);
	print_problems(p1);
	g_assert_cmpuint(p1->len, ==, 0);
	p2 = rd_mta_check("opensmtpd", broken, communities, '+', &err);
	g_assert_no_error(err);
	print_problems(p2);
	g_assert_true(has_problem(p2, "from any", NULL));
	g_assert_true(has_problem(p2, "%{rcpt}", NULL));
	g_assert_true(has_problem(p2, "never as root", NULL));
	g_assert_true(has_problem(p2, "for lists.example.org lacks \"from any\"", NULL));
	g_assert_true(has_problem(p2, "no match line takes mail for care.example.net", NULL));
}

static void
test_check_sendmail(void)
{
	g_autofree char *good = fixture("sendmail-good");
	g_autofree char *broken = fixture("sendmail-broken");
	g_autoptr(GError) err = NULL;
	g_autoptr(GPtrArray) p1 = rd_mta_check("sendmail", good, communities, '+', &err);
	g_autoptr(GPtrArray) p2 = NULL;

	g_assert_no_error(err);
	print_problems(p1);
	g_assert_cmpuint(p1->len, ==, 0);
	p2 = rd_mta_check("sendmail", broken, communities, '+', &err);
	g_assert_no_error(err);
	print_problems(p2);
	g_assert_true(has_problem(p2, "never as root", NULL));
	g_assert_true(has_problem(p2, "m flag", NULL));
	g_assert_true(has_problem(p2, "$u@$h", NULL));
	g_assert_true(has_problem(p2, "mailertable has no line \"lists.example.org", NULL));
	g_assert_true(has_problem(p2, "relay-domains", NULL));
}

static void
test_check_unknown_mta(void)
{
	g_autoptr(GError) err = NULL;
	g_autoptr(GPtrArray) p = rd_mta_check("qmail", "/etc", communities, '+', &err);

	g_assert_null(p);
	g_assert_error(err, RD_ERROR, RD_CONFIG);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/mta/lines/postfix", test_lines_postfix);
	g_test_add_func("/mta/lines/paths-and-delimiter", test_lines_paths_and_delimiter);
	g_test_add_func("/mta/lines/others", test_lines_others);
	g_test_add_func("/mta/lines/lmtp", test_lines_lmtp);
	g_test_add_func("/mta/lines/round-trip", test_lines_round_trip);
	g_test_add_func("/mta/check/postfix-good", test_check_postfix_good);
	g_test_add_func("/mta/check/postfix-broken", test_check_postfix_broken);
	g_test_add_func("/mta/check/postfix-delimiter", test_check_postfix_delimiter);
	g_test_add_func("/mta/check/postfix-missing", test_check_postfix_missing);
	g_test_add_func("/mta/check/exim", test_check_exim);
	g_test_add_func("/mta/check/opensmtpd", test_check_opensmtpd);
	g_test_add_func("/mta/check/sendmail", test_check_sendmail);
	g_test_add_func("/mta/check/unknown", test_check_unknown_mta);
	return g_test_run();
}
