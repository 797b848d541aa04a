/* test-html.c - HTML to text conversion rules (src/html.c). */
#include <string.h>

#include "html.h"

static void
check(const char *html, const char *want)
{
	g_autofree char *got = rd_html_to_text(html, -1);

	g_assert_cmpstr(got, ==, want);
}

static void
test_empty(void)
{
	check("", "");
	check("   \n ", "");
	check("<html><head><title>x</title></head><body></body></html>", "");
	g_autofree char *n = rd_html_to_text(NULL, 0);
	g_assert_cmpstr(n, ==, "");
}

static void
test_paragraphs(void)
{
	check("<p>One</p><p>Two</p>", "One\n\nTwo");
	check("<h1>Title</h1>Text", "Title\n\nText");
	check("<p>a<br>b</p>", "a\nb");
	check("<p>a<br></p><p>b</p>", "a\n\nb");
	/* Gmail writes one <div> per line and <div><br></div> for a blank line. */
	check("<div>Hi</div><div><br></div><div>Line</div><div>Next</div>", "Hi\n\nLine\nNext");
	check("<p></p><p></p><p>x</p><p></p>", "x");
}

static void
test_whitespace(void)
{
	check("<p>  lots   of\n\t space  </p>", "lots of space");
	check("a&nbsp;b", "a b");
	check("<p>&nbsp;</p><p>x&nbsp;</p><p>&nbsp;</p><p>&nbsp;</p><p>y</p>", "x\n\ny");
	check("a <b>bold</b> c", "a bold c");
	check("<p>x<br><br><br><br>y</p>", "x\n\ny");
}

static void
test_entities(void)
{
	check("Fish &amp; chips &lt;3 &quot;q&quot; &eacute; &#x263A; &#8364;",
	      "Fish & chips <3 \"q\" \xc3\xa9 \xe2\x98\xba \xe2\x82\xac");
}

static void
test_lists(void)
{
	check("<ul><li>one</li><li>two</li></ul>", "- one\n- two");
	check("<ol><li>one</li><li><p>two</p></li></ol>", "1. one\n2. two");
	check("<ol start=\"4\"><li>d</li><li>e</li></ol>", "4. d\n5. e");
	check("<p>Intro</p><ul><li>a<ul><li>b</li></ul></li><li>c</li></ul><p>End</p>",
	      "Intro\n\n- a\n  - b\n- c\n\nEnd");
}

static void
test_links(void)
{
	check("<a href=\"https://example.org/x\">the page</a>", "the page <https://example.org/x>");
	check("<a href=\"https://example.org/\">https://example.org/</a>", "https://example.org/");
	check("<a href=\"https://example.org/\">example.org</a>", "example.org");
	check("<a href=\"mailto:anna@example.org\">anna@example.org</a>", "anna@example.org");
	check("Write to <a href=\"mailto:care+r-k3@lists.example.org\">reply</a>.",
	      "Write to reply <mailto:care+r-k3@lists.example.org>.");
	check("<a href=\"#top\">top</a>", "top");
	check("<a href=\"https://example.org/i\"><img src=\"x.png\"></a>", "https://example.org/i");
}

static void
test_images(void)
{
	check("<p>See <img src=\"a.png\" alt=\"chart of admissions\"> here</p>",
	      "See [chart of admissions] here");
	check("<img src=\"spacer.gif\" alt=\"\"><img src=\"t.gif\">x", "x");
}

static void
test_tables(void)
{
	check(
	    "<table><tr><td>Mon</td><td>9:00</td></tr><tr><td>Tue</td><td>10:00</td></tr></table>",
	    "Mon 9:00\nTue 10:00");
}

static void
test_pre(void)
{
	check("<p>code:</p><pre>  a  b\n    c\n</pre><p>after</p>",
	      "code:\n\n  a  b\n    c\n\nafter");
}

static void
test_hidden(void)
{
	check("<head><title>Title</title><style>p{}</style></head><script>var x;</script>"
	      "<div style=\"display: none\">preheader</div><p>Body</p>",
	      "Body");
}

static void
test_blockquote(void)
{
	check("<p>Yes.</p><blockquote><p>Can you come?</p></blockquote><p>Bye</p>",
	      "Yes.\n\n> Can you come?\n\nBye");
}

static void
test_garbage(void)
{
	const char *bad[] = {
	    "<",
	    "<<<>>>",
	    "<p",
	    "</p></div></body>",
	    "<a href=",
	    "&",
	    "&#xffffffff;",
	    "<ol start=99999999999><li>x",
	    "<table><td><table><td>",
	    "\xff\xfe<p>\xc3(</p>",
	    "<!--",
	    "<![CDATA[x]]>",
	    "<pre>",
	};
	for (gsize i = 0; i < G_N_ELEMENTS(bad); i++) {
		g_autofree char *s = rd_html_to_text(bad[i], -1);
		g_assert_nonnull(s);
		g_assert_true(g_utf8_validate(s, -1, NULL));
	}
	check("<p>caf\xe9</p>", "caf\xef\xbf\xbd");
}

static void
test_big(void)
{
	/* 10 MB: must finish quickly (measured by hand), and deep nesting must
	 * not exhaust the stack. */
	GString *s = g_string_new("<html><body>");
	while (s->len < 10 * 1024 * 1024)
		g_string_append(
		    s, "<p>Some <b>text</b> with a <a href=\"https://e.org/\">link</a>.</p>\n");
	for (int i = 0; i < 5000; i++)
		g_string_append(s, "<div><blockquote>");
	g_string_append(s, "deep");
	g_autofree char *t = rd_html_to_text(s->str, s->len);
	g_assert_true(g_str_has_prefix(t, "Some text with a link <https://e.org/>.\n\nSome"));
	g_string_free(s, TRUE);
}

static void
check_reply(const char *html, const char *want, const char *want_removed)
{
	g_autofree char *removed = NULL;
	g_autofree char *got = rd_html_reply_split(html, -1, &removed);

	g_assert_cmpstr(got, ==, want);
	if (want_removed != NULL)
		g_assert_cmpstr(removed, ==, want_removed);
	g_autofree char *got2 = rd_html_reply_to_text(html, -1);
	g_assert_cmpstr(got2, ==, want);
}

static void
test_reply_structure(void)
{
	check_reply(
	    "<div dir=\"ltr\">Fine by me.</div><br><div class=\"gmail_quote\"><div "
	    "dir=\"ltr\" class=\"gmail_attr\">On Mon, Anna &lt;a@example.org&gt; "
	    "wrote:<br></div><blockquote class=\"gmail_quote\">Shall we?</blockquote></div>",
	    "Fine by me.", "On Mon, Anna <a@example.org> wrote:\n\n> Shall we?");
	check_reply("<div>Yes<br><br><div>On 12 Mar 2024, at 09:14, Anna &lt;a@example.org&gt; "
	            "wrote:</div><blockquote type=\"cite\"><div>Shall we?</div></blockquote></div>",
	            "Yes", NULL);
	/* Inline answers between Apple Mail quotes stay, in order. */
	check_reply("<blockquote type=\"cite\">Q1?</blockquote><div>A1.</div>"
	            "<blockquote type=\"cite\">Q2?</blockquote><div>A2.</div>",
	            "A1.\n\nA2.", NULL);
	check_reply("<p>New text</p><div class=\"moz-cite-prefix\">On 3/12/24 9:14 AM, Anna "
	            "wrote:<br></div><blockquote type=\"cite\" cite=\"mid:x@y\">old</blockquote>"
	            "<pre class=\"moz-signature\" cols=\"72\">-- \nSam</pre>",
	            "New text", NULL);
	check_reply("<div>Top</div><div id=\"yahoo_quoted_123\" class=\"yahoo_quoted\">On "
	            "Tuesday, Anna wrote:<div>old</div></div>",
	            "Top", NULL);
	check_reply("<div>OWA answer</div><div id=\"appendonsend\"></div><hr tabindex=\"-1\">"
	            "<div id=\"divRplyFwdMsg\"><b>From:</b> Anna</div><div>old</div>",
	            "OWA answer", NULL);
	check_reply("<div>Answer</div><div><div id=\"x_foo\">quoted</div><p>more "
	            "quoted</p></div><p>tail</p>",
	            "Answer", "quoted\n\nmore quoted\n\ntail");
	/* Nothing new: the whole text rather than nothing. */
	check_reply("<blockquote type=\"cite\">only a quote</blockquote>", "> only a quote", "");
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/html/empty", test_empty);
	g_test_add_func("/html/paragraphs", test_paragraphs);
	g_test_add_func("/html/whitespace", test_whitespace);
	g_test_add_func("/html/entities", test_entities);
	g_test_add_func("/html/lists", test_lists);
	g_test_add_func("/html/links", test_links);
	g_test_add_func("/html/images", test_images);
	g_test_add_func("/html/tables", test_tables);
	g_test_add_func("/html/pre", test_pre);
	g_test_add_func("/html/hidden", test_hidden);
	g_test_add_func("/html/blockquote", test_blockquote);
	g_test_add_func("/html/garbage", test_garbage);
	g_test_add_func("/html/big", test_big);
	g_test_add_func("/html/reply-structure", test_reply_structure);
	return g_test_run();
}
