/* test-trim.c - reply trimming (src/trim.c): every reply in tests/replies/
 * against its expected output, plus targeted and pathological cases. */
#include <string.h>

#include "html.h"
#include "trim.h"

static char *replies_dir;

/* Expected files end with one newline that is not part of the text. */
static char *
read_expected(const char *path)
{
	char *s = NULL;
	gsize len = 0;

	if (!g_file_get_contents(path, &s, &len, NULL))
		return NULL;
	if (len > 0 && s[len - 1] == '\n')
		s[len - 1] = '\0';
	return s;
}

static void
test_corpus_file(gconstpointer data)
{
	const char *name = data;
	g_autofree char *path = g_build_filename(replies_dir, name, NULL);
	g_autofree char *input = NULL;
	gsize len = 0;
	gboolean html = g_str_has_suffix(name, ".html");
	g_autofree char *stem = g_strndup(name, strrchr(name, '.') - name);
	g_autofree char *exp_path = g_strdup_printf("%s/%s.expected", replies_dir, stem);
	g_autofree char *eli_path = g_strdup_printf("%s/%s.elided", replies_dir, stem);
	g_autofree char *expected = read_expected(exp_path);
	g_autofree char *want_elided = read_expected(eli_path);
	g_autofree char *elided = NULL;
	g_autofree char *got = NULL;

	g_assert_true(g_file_get_contents(path, &input, &len, NULL));
	g_assert_nonnull(expected);
	got = html ? rd_trim_html(input, len, NULL, &elided) : rd_trim_text(input, NULL, &elided);
	g_assert_cmpstr(got, ==, expected);
	if (want_elided != NULL)
		g_assert_cmpstr(elided, ==, want_elided);
}

static void
test_corpus_size(void)
{
	g_autoptr(GDir) dir = g_dir_open(replies_dir, 0, NULL);
	int inputs = 0, html = 0;
	const char *name;

	g_assert_nonnull(dir);
	while ((name = g_dir_read_name(dir)) != NULL) {
		if (g_str_has_suffix(name, ".txt") || g_str_has_suffix(name, ".html"))
			inputs++;
		if (g_str_has_suffix(name, ".html"))
			html++;
	}
	g_assert_cmpint(inputs, >=, 80);
	g_assert_cmpint(html, >=, 15);
}

static void
check(const char *in, const char *want, const char *want_elided)
{
	g_autofree char *elided = NULL;
	g_autofree char *got = rd_trim_text(in, NULL, &elided);

	g_assert_cmpstr(got, ==, want);
	if (want_elided != NULL)
		g_assert_cmpstr(elided, ==, want_elided);
}

static void
test_basics(void)
{
	check("", "", "");
	check("Just a note.\n", "Just a note.", "");
	check("Yes.\r\n\r\nOn Mon, 4 Mar 2024 at 10:00, Anna <a@example.org> wrote:\r\n> Can "
	      "you?\r\n",
	      "Yes.", "On Mon, 4 Mar 2024 at 10:00, Anna <a@example.org> wrote:\n> Can you?");
	/* Quote markers at any depth, with or without a space. */
	check("ok\n>a\n>> b\n> > c\n>>>d\n", "ok", ">a\n>> b\n> > c\n>>>d");
	/* Only quotes: the whole text is kept rather than nothing. */
	check("> all quoted\n> here\n", "> all quoted\n> here", "");
	check("Sent from my iPhone\n", "Sent from my iPhone", "");
	/* Invalid UTF-8 is repaired, not refused. */
	check("caf\xe9 ok\n", "caf\xef\xbf\xbd ok", NULL);
}

/* Issue 12: quoted lines followed by the sender's own text are an inline
 * answer and stay; only the trailing quote block goes. */
static void
test_inline(void)
{
	check(
	    "On Mon, Anna <a@example.org> wrote:\n> Question one?\nAnswer one.\n\n> Question two?\n"
	    "> More.\n\nAnswer two.\n-- \nSam\n",
	    "On Mon, Anna <a@example.org> wrote:\n> Question one?\nAnswer one.\n\n> Question two?\n"
	    "> More.\n\nAnswer two.",
	    "-- \nSam");
	check("> Is it Monday?\nYes.\n\nOn Mon, Anna <a@example.org> wrote:\n> Old.\n> Older.\n",
	      "> Is it Monday?\nYes.", "On Mon, Anna <a@example.org> wrote:\n> Old.\n> Older.");
	/* A client that wraps long quoted lines without repeating the marker:
	 * the wrapped rest is still quoted, not an answer. */
	check("Fine.\n\nOn Mon, Anna <a@example.org> wrote:\n> This is a long quoted line that "
	      "the client wrapped at seventy\ncharacters without a marker.\n>\n",
	      "Fine.", NULL);
}

/* Issue 12: attributions in every common shape. */
static void
test_attributions(void)
{
	/* Wrapped over three lines. */
	check("Reply.\n\nOn Nov 21, 2014,\nat 10:18,\nJohn Doe <john@example.com> wrote:\n\n> Old.\n",
	      "Reply.", NULL);
	/* Wrapped inside the address, the ">:" on a line of its own. */
	check("Reply.\n\ntir. 18. apr. 2017 kl. 13:09 skrev Test <test@example.com\n>:\n\n> Ok.\n",
	      "Reply.", NULL);
	/* Framed with dashes, without a colon. */
	check("Reply.\n\n---- On Mon, 4 Mar 2024 Anna <a@example.org> wrote ----\n\nOld text.\n",
	      "Reply.", NULL);
	/* HTML entities left in. */
	check("Reply.\n\nOn Dec 15, 2024, John &quot;J&quot; Smith &lt;john@example.com&gt; "
	      "wrote&#58;\nOld text.\n",
	      "Reply.", NULL);
	/* No verb: a date and an address before the colon. */
	check("Reply.\n\n30.09.2017, 18.30, \"John Doe\" <john@example.com>:\n\nOld text.\n",
	      "Reply.", NULL);
	/* "wrote" without its colon. */
	check("Reply.\n\nOn Wed, 14 Nov 2018 08:14:43 -0200 John <john@example.com> wrote\n\nOld.\n",
	      "Reply.", NULL);
	/* Yahoo's attribution with the quoted text on the same line. */
	check("Reply.\n\n  On Tue, Mar 12, 2024 at 9:14, Anna<a@example.org> wrote:   Who can?\n",
	      "Reply.", NULL);
	/* Outlook blocks in several languages and "Original Message" rules. */
	check("Reply.\n\nDe : Anna <a@example.org>\nEnvoy\xc3\xa9 le : jeudi 15 d\xc3\xa9"
	      "cembre 2016\n\xc3\x80 : b@example.org\nObjet : Test\n\nOld.\n",
	      "Reply.", NULL);
	check("Reply.\n\nFra: Hanne <h@example.com>\nSendt: 24. november 2025 09:30\nTil: "
	      "S\xc3\xb8ren\nEmne: Filerne\n\nOld.\n",
	      "Reply.", NULL);
	check("Reply.\n-------- Urspr\xc3\xbcngliche Nachricht --------Von: \"Shop\"  Datum: "
	      "07.08.24\n\nOld.\n",
	      "Reply.", NULL);
	/* Prose that only looks like an attribution stays. */
	check("On the other hand, we should be careful.\nOn average, it works.\n",
	      "On the other hand, we should be careful.\nOn average, it works.", NULL);
}

/* Issue 12: delimiters, invisible characters and "Sent from my ...". */
static void
test_clutter(void)
{
	check("Fine.\n\n__\nSam\n", "Fine.", NULL);
	check("Fine.\n\n***\nSam\n", "Fine.", NULL);
	check("Fine.\n\n* * *\nSam\n", "Fine.", NULL);
	check("Fine.\n\n===\nSam\n", "Fine.", NULL);
	check("Fine.\n\n~~~\nSam\n", "Fine.", NULL);
	check("Fine.\n\n+++\nSam\n", "Fine.", NULL);
	check("Fine.\n\n####\nSam\n", "Fine.", NULL);
	/* Bullets are text, and so is a table's underline or a rule used
	 * more than once as a separator. */
	check("List:\n- one\n* two\n-\n*\n", "List:\n- one\n* two\n-\n*", NULL);
	check("Service Date\n--------------\nReg Jun 27\n", "Service Date\n--------------\nReg Jun 27",
	      NULL);
	check("A\n\n----\n\nB\n\n====\n\nC\n", "A\n\n----\n\nB\n\n====\n\nC", NULL);
	/* Zero-width spaces, the BOM and the object replacement character
	 * count as blank. */
	check("Fine.\n\xe2\x80\x8b\n\xef\xbb\xbf\n\xef\xbf\xbc\n> old\n", "Fine.", NULL);
	check("Fine.\n\nSent from my iPhone\n\xe2\x80\x8b\n", "Fine.", NULL);
	/* "Sent from my ..." only as the last line. */
	check("Sent from my iPhone\n\nHi,\nsee you.\n", "Sent from my iPhone\n\nHi,\nsee you.", NULL);
	check("It was sent from my iPhone.\n", "It was sent from my iPhone.", NULL);
	check("Fine.\n\nGet Outlook for iOS<https://aka.ms/o0ukef>\n________________________________\n"
	      "From: Anna <a@example.org>\nSent: Thursday\nTo: Sam\nSubject: Hi\n\nOld.\n",
	      "Fine.", NULL);
}

/* Issue 12: the kept text is byte for byte what the sender wrote between
 * its first and last non-blank line. */
static void
test_whitespace(void)
{
	check("\n\n  Indented.\n\n\n\n    Code block  \n\tTab.\n\n> old\n",
	      "  Indented.\n\n\n\n    Code block  \n\tTab.", "> old");
	check("One.\n  \nTwo.\n", "One.\n  \nTwo.", "");
}

static void
test_signatures(void)
{
	check("Fine.\n\n-- \nSam Okafor\nWard 7\n", "Fine.", "-- \nSam Okafor\nWard 7");
	check("Fine.\n\nVon meinem iPhone gesendet\n", "Fine.", NULL);
	check("Fine.\n\nGet Outlook for Android<https://aka.ms/AAb9ysg>\n", "Fine.", NULL);
	/* "--" without the space only counts with a short tail. */
	GString *s = g_string_new("Part one\n--\n");
	for (int i = 0; i < 20; i++)
		g_string_append_printf(s, "line %d\n", i);
	g_autofree char *got = rd_trim_text(s->str, NULL, NULL);
	g_assert_true(g_str_has_suffix(got, "line 19"));
	g_string_free(s, TRUE);
}

/* Issue 12: a forward below the sender's text is cut; a message that is
 * only a forward keeps the forwarded text without its header block. */
static void
test_forward_kept(void)
{
	const char *fwd = "---------- Forwarded message ---------\nFrom: Anna "
	                  "<a@example.org>\nDate: Mon, 4 Mar 2024 at 10:00\nSubject: Rota\nTo: "
	                  "<b@example.org>\n\nThe rota is attached.\n\n> Quoted inside it.\n";
	g_autofree char *in = g_strconcat("FYI, see below.\n\n", fwd, NULL);

	check(in, "FYI, see below.", NULL);
	check(fwd, "The rota is attached.\n\n> Quoted inside it.", NULL);
	check("Begin forwarded message:\n\nFrom: Anna <a@example.org>\nSubject: Rota\nDate: 4 "
	      "March 2024\nTo: Sam <s@example.org>\n\nThe rota.\n",
	      "The rota.", "Begin forwarded message:\n\nFrom: Anna <a@example.org>\nSubject: "
	                   "Rota\nDate: 4 March 2024\nTo: Sam <s@example.org>");
}

static void
test_previous_signature(void)
{
	const char *prev[] = {"Earlier note.\n\nDr. Sam Okafor\nConsultant, Ward 7\nSt Mary's\n",
	                      NULL};
	rd_trim_opts opts = {prev, NULL};
	g_autofree char *got = rd_trim_text(
	    "Agreed, Thursday works.\n\nDr. Sam Okafor\nConsultant, Ward 7\nSt Mary's\n", &opts,
	    NULL);

	g_assert_cmpstr(got, ==, "Agreed, Thursday works.");
	/* A lone short line is not taken for a signature. */
	const char *prev2[] = {"Thanks!\n", NULL};
	rd_trim_opts opts2 = {prev2, NULL};
	g_autofree char *got2 = rd_trim_text("See you.\nThanks!\n", &opts2, NULL);
	g_assert_cmpstr(got2, ==, "See you.\nThanks!");
}

static void
test_pasted_digest(void)
{
	const char *digest = "Your daily digest for Care Circle\n\n1. Night shift handover\n"
	                     "Anna Berg: The new handover sheet is on the shared drive; please use "
	                     "it from Monday.\nReply: care+r-abc@lists.example.org\n";
	rd_trim_opts opts = {NULL, digest};
	g_autofree char *elided = NULL;
	g_autofree char *got =
	    rd_trim_text("Will do.\n\nYour daily digest for Care Circle\n1. Night shift "
	                 "handover\nAnna Berg: The new "
	                 "handover sheet is on the shared drive;\nplease use it from Monday.\n",
	                 &opts, &elided);

	g_assert_cmpstr(got, ==, "Will do.");
	g_assert_true(g_str_has_prefix(elided, "Your daily digest"));
}

static void
test_pathological(void)
{
	/* Each must complete quickly; timed by hand, not asserted here. */
	GString *s = g_string_new("Top text\n\nOn Mon, Anna <a@example.org> wrote:\n");
	for (int i = 0; i < 100000; i++)
		g_string_append(s, "> quoted line of a very long thread, again and again\n");
	g_autofree char *a = rd_trim_text(s->str, NULL, NULL);
	g_assert_cmpstr(a, ==, "Top text");

	g_string_assign(s, "Start ");
	for (int i = 0; i < 1024 * 1024 / 8; i++)
		g_string_append(s, "wrote: ");
	g_string_append(s, "\n> q\n");
	g_autofree char *b = rd_trim_text(s->str, NULL, NULL);
	g_assert_true(g_str_has_prefix(b, "Start wrote:"));

	g_string_assign(s, "<div>Reply</div>");
	for (int i = 0; i < 100; i++)
		g_string_append(s, "<blockquote type=\"cite\">bq ");
	g_autofree char *c = rd_trim_html(s->str, s->len, NULL, NULL);
	g_assert_cmpstr(c, ==, "Reply");

	g_string_assign(s, "Reply\n");
	for (int i = 0; i < 100; i++)
		g_string_append(s, ">");
	g_string_append(s, " deep\n");
	g_autofree char *d = rd_trim_text(s->str, NULL, NULL);
	g_assert_cmpstr(d, ==, "Reply");
	g_string_free(s, TRUE);
}

static int
compare_names(gconstpointer a, gconstpointer b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int
main(int argc, char **argv)
{
	const char *top = g_getenv("TOP");
	g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func(g_free);

	g_test_init(&argc, &argv, NULL);
	replies_dir = top != NULL ? g_build_filename(top, "tests", "replies", NULL)
	                          : g_strdup("tests/replies");
	if (!g_file_test(replies_dir, G_FILE_TEST_IS_DIR)) {
		g_autofree char *here = g_path_get_dirname(__FILE__);
		g_free(replies_dir);
		replies_dir = g_build_filename(here, "..", "replies", NULL);
	}
	g_autoptr(GDir) dir = g_dir_open(replies_dir, 0, NULL);
	const char *name;
	while (dir != NULL && (name = g_dir_read_name(dir)) != NULL) {
		if (g_str_has_suffix(name, ".txt") || g_str_has_suffix(name, ".html")) {
			g_ptr_array_add(names, g_strdup(name));
			continue;
		}
		/* Replies from public corpora, one folder per source with its
		 * licence (issue 12). */
		g_autofree char *sub = g_build_filename(replies_dir, name, NULL);
		g_autoptr(GDir) subdir = g_dir_open(sub, 0, NULL);
		const char *sname;
		while (subdir != NULL && (sname = g_dir_read_name(subdir)) != NULL) {
			if (g_str_has_suffix(sname, ".txt"))
				g_ptr_array_add(names, g_build_filename(name, sname, NULL));
		}
	}
	g_ptr_array_sort(names, compare_names);
	g_test_add_func("/trim/corpus-size", test_corpus_size);
	g_test_add_func("/trim/basics", test_basics);
	g_test_add_func("/trim/inline", test_inline);
	g_test_add_func("/trim/attributions", test_attributions);
	g_test_add_func("/trim/clutter", test_clutter);
	g_test_add_func("/trim/whitespace", test_whitespace);
	g_test_add_func("/trim/signatures", test_signatures);
	g_test_add_func("/trim/forward-kept", test_forward_kept);
	g_test_add_func("/trim/previous-signature", test_previous_signature);
	g_test_add_func("/trim/pasted-digest", test_pasted_digest);
	g_test_add_func("/trim/pathological", test_pathological);
	for (guint i = 0; i < names->len; i++) {
		g_autofree char *path = g_strconcat("/trim/reply/", (char *)names->pdata[i], NULL);
		g_test_add_data_func(path, names->pdata[i], test_corpus_file);
	}
	int rc = g_test_run();
	g_free(replies_dir);
	return rc;
}
