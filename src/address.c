/* address.c - recipient address parsing. */
#include <string.h>

#include "address.h"

static const struct {
	const char *ext;
	rd_addr_kind kind;
} fixed[] = {
    {"request", RD_ADDR_REQUEST},         {"owner", RD_ADDR_OWNER},
    {"subscribe", RD_ADDR_SUBSCRIBE},     {"join", RD_ADDR_SUBSCRIBE},
    {"unsubscribe", RD_ADDR_UNSUBSCRIBE}, {"leave", RD_ADDR_UNSUBSCRIBE},
    {"help", RD_ADDR_HELP},
};

static const struct {
	char prefix;
	rd_addr_kind kind;
} tokened[] = {
    {'r', RD_ADDR_REPLY},
    {'c', RD_ADDR_CONFIRM},
    {'b', RD_ADDR_BOUNCE},
    {'d', RD_ADDR_DIGEST},
};

const char *
rd_address_kind_name(rd_addr_kind kind)
{
	static const char *const names[] = {"post",        "request", "owner",   "subscribe",
					    "unsubscribe", "help",    "reply",   "confirm",
					    "bounce",      "digest"};

	return (guint)kind < G_N_ELEMENTS(names) ? names[kind] : "unknown";
}

/* The meaning of an extension, or FALSE when it has none. */
static gboolean
address_ext(const char *ext, gboolean fixed_only, rd_address *a)
{
	for (gsize i = 0; i < G_N_ELEMENTS(fixed); i++) {
		if (strcmp(ext, fixed[i].ext) == 0) {
			a->kind = fixed[i].kind;
			return TRUE;
		}
	}
	if (fixed_only)
		return FALSE;
	for (gsize i = 0; i < G_N_ELEMENTS(tokened); i++) {
		if (ext[0] == tokened[i].prefix && ext[1] == '-' && ext[2] != '\0') {
			a->kind = tokened[i].kind;
			a->token = g_strdup(ext + 2);
			return TRUE;
		}
	}
	return FALSE;
}

rd_address *
rd_address_parse(const char *addr, char delimiter, rd_address_exists_fn exists, gpointer data,
		 GError **error)
{
	g_autoptr(rd_address) a = g_new0(rd_address, 1);
	g_autofree char *lower = NULL;
	char *at;
	const char *local;
	gsize len;

	if (addr == NULL || !g_utf8_validate(addr, -1, NULL)) {
		g_set_error(error, RD_ERROR, RD_DATAERR, "the recipient is not a mail address");
		return NULL;
	}
	lower = g_utf8_strdown(addr, -1);
	g_strstrip(lower);
	/* pipe(8) may hand over <addr> when so configured. */
	if (lower[0] == '<' && (len = strlen(lower)) > 1 && lower[len - 1] == '>') {
		lower[len - 1] = '\0';
		memmove(lower, lower + 1, len - 1);
	}
	at = strrchr(lower, '@');
	if (at == NULL || at == lower || at[1] == '\0') {
		g_set_error(error, RD_ERROR, RD_DATAERR, "the recipient %s is not a mail address",
			    addr);
		return NULL;
	}
	*at = '\0';
	local = lower;
	a->domain = g_strdup(at + 1);
	if (exists(local, a->domain, data)) {
		a->community = g_strdup(local);
		a->kind = RD_ADDR_POST;
		return g_steal_pointer(&a);
	}
	/* Longest community prefix first: "care-team+request" is care-team's. */
	len = strlen(local);
	for (gsize i = len; i-- > 1;) {
		gboolean fixed_only;
		g_autofree char *name = NULL;

		if (local[i] == delimiter)
			fixed_only = FALSE;
		else if (local[i] == '-')
			fixed_only = TRUE; /* care-request@ works whatever the delimiter */
		else
			continue;
		if (!address_ext(local + i + 1, fixed_only, a))
			continue;
		name = g_strndup(local, i);
		if (exists(name, a->domain, data)) {
			a->community = g_steal_pointer(&name);
			return g_steal_pointer(&a);
		}
		g_clear_pointer(&a->token, g_free);
	}
	g_set_error(error, RD_ERROR, RD_NOUSER, "there is no community at %s", addr);
	return NULL;
}

void
rd_address_free(rd_address *a)
{
	if (a == NULL)
		return;
	g_free(a->community);
	g_free(a->domain);
	g_free(a->token);
	g_free(a);
}

char *
rd_address_make(const char *community, const char *domain, char delimiter, const char *ext)
{
	if (ext == NULL)
		return g_strdup_printf("%s@%s", community, domain);
	return g_strdup_printf("%s%c%s@%s", community, delimiter, ext, domain);
}
