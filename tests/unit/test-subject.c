/* test-subject.c - reply/forward/[tag] prefixes and subject normalisation. */
#include "subject.h"

typedef struct {
	const char *subject;
	const char *base;
	gboolean reply;
} subject_case;

/* Subjects as mail clients in several languages write them. */
static const subject_case cases[] = {
    {"Wound dressing", "Wound dressing", FALSE},
    {"Re: Wound dressing", "Wound dressing", TRUE},
    {"RE: Wound dressing", "Wound dressing", TRUE},
    {"re: Wound dressing", "Wound dressing", TRUE},
    {"RE: RE: Wound dressing", "Wound dressing", TRUE},
    {"Re:Wound dressing", "Wound dressing", TRUE},
    {"AW: Wound dressing", "Wound dressing", TRUE},
    {"Aw: Wound dressing", "Wound dressing", TRUE},
    {"SV: Wound dressing", "Wound dressing", TRUE},
    {"Sv: Wound dressing", "Wound dressing", TRUE},
    {"VS: Wound dressing", "Wound dressing", TRUE},
    {"Antw: Wound dressing", "Wound dressing", TRUE},
    {"Antwort: Wound dressing", "Wound dressing", TRUE},
    {"Réf. : Pansements", "Pansements", TRUE},
    {"RE : Pansements", "Pansements", TRUE},
    {"Ref: Pansements", "Pansements", TRUE},
    {"RIF: Medicazione", "Medicazione", TRUE},
    {"R: Medicazione", "Medicazione", TRUE},
    {"Odp: Opatrunek", "Opatrunek", TRUE},
    {"Ynt: Pansuman", "Pansuman", TRUE},
    {"YNT: Pansuman", "Pansuman", TRUE},
    {"Vá: Kötszer", "Kötszer", TRUE},
    {"VÁ: Kötszer", "Kötszer", TRUE},
    {"回复：伤口敷料", "伤口敷料", TRUE},
    {"回复: 伤口敷料", "伤口敷料", TRUE},
    {"回覆：傷口敷料", "傷口敷料", TRUE},
    {"答复：伤口敷料", "伤口敷料", TRUE},
    {"返信：包帯の交換", "包帯の交換", TRUE},
    {"Отв: Перевязка", "Перевязка", TRUE},
    {"Ответ: Перевязка", "Перевязка", TRUE},
    {"Re[2]: Wound dressing", "Wound dressing", TRUE},
    {"Re(2): Wound dressing", "Wound dressing", TRUE},
    {"Re^2: Wound dressing", "Wound dressing", TRUE},
    {"Re：Wound dressing", "Wound dressing", TRUE},
    {"Re: [care] Re: AW: Wound dressing", "Wound dressing", TRUE},
    {"[care] Re: Wound dressing", "Wound dressing", TRUE},
    {"[EXTERNAL] RE: [care] Wound dressing", "Wound dressing", TRUE},
    {"[care] Wound dressing", "Wound dressing", FALSE},
    {"Fwd: Wound dressing", "Wound dressing", FALSE},
    {"Fw: Wound dressing", "Wound dressing", FALSE},
    {"FW: Wound dressing", "Wound dressing", FALSE},
    {"WG: Wound dressing", "Wound dressing", FALSE},
    {"TR: Pansements", "Pansements", FALSE},
    {"RV: Vendaje", "Vendaje", FALSE},
    {"Enc: Curativo", "Curativo", FALSE},
    {"转发：伤口敷料", "伤口敷料", FALSE},
    {"転送：包帯の交換", "包帯の交換", FALSE},
    {"Fwd: Re: Wound dressing", "Wound dressing", FALSE},
    {"Re: Fwd: Wound dressing", "Wound dressing", TRUE},
    /* Not prefixes: words that only start like one, text inside. */
    {"Reading list for March", "Reading list for March", FALSE},
    {"Regarding: the rota", "Regarding: the rota", FALSE},
    {"Rota change Re: Tuesday", "Rota change Re: Tuesday", FALSE},
    {"[Draft v2] agenda", "[Draft v2] agenda", FALSE},
    {"Re: [Draft v2] agenda", "[Draft v2] agenda", TRUE},
    {"[care]", "[care]", FALSE},
    {"[a-very-long-bracketed-token-that-is-no-tag] x",
     "[a-very-long-bracketed-token-that-is-no-tag] x", FALSE},
    {"", "", FALSE},
    {"Re:", "", TRUE},
    {"   Re:   Wound dressing  ", "Wound dressing", TRUE},
};

static void
test_base_and_reply(void)
{
	for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autofree char *base = rd_subject_base(cases[i].subject);
		/* Report every wrong case, not only the first one. */
		if (g_strcmp0(base, cases[i].base) != 0)
			g_test_fail_printf("base of '%s' is '%s', want '%s'", cases[i].subject,
			                   base, cases[i].base);
		if (rd_subject_is_reply(cases[i].subject) != cases[i].reply)
			g_test_fail_printf("is_reply('%s') should be %s", cases[i].subject,
			                   cases[i].reply ? "TRUE" : "FALSE");
	}
}

static void
check_norm(const char *subject, const char *want)
{
	g_autofree char *got = rd_subject_normalize(subject);
	g_assert_cmpstr(got, ==, want);
}

static void
test_normalize(void)
{
	check_norm("Wound dressing", "wound dressing");
	check_norm("Re: Wound dressing", "wound dressing");
	check_norm("AW: wound   dressing", "wound dressing");
	check_norm("Re[2]: WOUND\tDRESSING ", "wound dressing");
	check_norm("[care] Re: Wound\r\n dressing", "wound dressing");
	check_norm("Réf. : Pansements du lundi", "pansements du lundi");
	/* Full-width letters and spaces fold to their ASCII forms (NFKC). */
	check_norm("Ｒｅ： Ｗｏｕｎｄ　ｄｒｅｓｓｉｎｇ", "wound dressing");
	/* Composed and decomposed accents compare equal. */
	check_norm("Caf\xc3\xa9 rota", "caf\xc3\xa9 rota");
	check_norm("Cafe\xcc\x81 rota", "caf\xc3\xa9 rota");
	check_norm("Straße", "strasse");
	check_norm("", "");
	check_norm(NULL, "");
	check_norm("Re: Rota change Re: Tuesday", "rota change re: tuesday");
}

static void
test_same_thread_subjects(void)
{
	const char *same[] = {
	    "Wound dressing",        "Re: Wound dressing",        "AW: wound dressing",
	    "Re[2]: Wound dressing", "[care] Re: Wound dressing", "RE: RE: WOUND DRESSING",
	    "Fwd: Wound  dressing"};
	g_autofree char *first = rd_subject_normalize(same[0]);

	for (gsize i = 1; i < G_N_ELEMENTS(same); i++) {
		g_autofree char *n = rd_subject_normalize(same[i]);
		g_assert_cmpstr(n, ==, first);
	}
	g_autofree char *other = rd_subject_normalize("Re: Wound dressing supplies");
	g_assert_cmpstr(other, !=, first);
}

static void
test_invalid_utf8(void)
{
	/* Broken bytes must not crash or produce invalid UTF-8. */
	const char *bad = "Re: caf\xe9 \xff\xfe rota";
	g_autofree char *n = rd_subject_normalize(bad);
	g_autofree char *b = rd_subject_base(bad);

	g_assert_true(g_utf8_validate(n, -1, NULL));
	g_assert_true(g_utf8_validate(b, -1, NULL));
	g_assert_true(g_str_has_prefix(b, "caf"));
	g_assert_true(rd_subject_is_reply(bad));
	g_assert_false(rd_subject_is_reply(NULL));
}

static void
test_many_prefixes(void)
{
	/* A long chain of prefixes from a long back-and-forth is stripped whole. */
	GString *s = g_string_new(NULL);
	for (int i = 0; i < 200; i++)
		g_string_append(s, i % 3 == 0 ? "Re: " : i % 3 == 1 ? "AW: " : "[care] ");
	g_string_append(s, "Night shift handover");
	g_autofree char *base = rd_subject_base(s->str);
	g_assert_cmpstr(base, ==, "Night shift handover");
	g_assert_true(rd_subject_is_reply(s->str));
	g_string_free(s, TRUE);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/subject/base-and-reply", test_base_and_reply);
	g_test_add_func("/subject/normalize", test_normalize);
	g_test_add_func("/subject/same-thread", test_same_thread_subjects);
	g_test_add_func("/subject/invalid-utf8", test_invalid_utf8);
	g_test_add_func("/subject/many-prefixes", test_many_prefixes);
	return g_test_run();
}
