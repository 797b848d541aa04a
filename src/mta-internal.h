/* mta-internal.h - what the files of the mta module share: the backend
 * table row each MTA fills in (src/mta-<name>.c) and the helpers its check
 * uses.  Not part of the module's API (that is mta.h).
 *
 * As OpenSMTPD's struct table_backend: one row per MTA, one file per row;
 * mta.c finds the row by name and does what every MTA has in common.
 */
#ifndef RD_MTA_INTERNAL_H
#define RD_MTA_INTERNAL_H

#include "mta.h"

/* What the configuration lines of one community's domain are made of. */
typedef struct {
	const char *addr;   /* the post address, community@domain */
	const char *domain; /* lower case */
	char delim;         /* + or - */
	const char *rounds; /* the program the MTA runs */
	const char *home;   /* the installation directory it is given */
	const char *lmtp;   /* the socket of rounds lmtp for the LMTP way, else NULL */
} mta_site;

typedef struct {
	const char *name;       /* as rounds.conf and --mta spell it */
	const char *title;      /* as the configuration lines name it */
	const char *config_dir; /* where the configuration is when not told */
	/* Append the lines after the first comment line, which mta.c writes. */
	void (*lines)(GString *s, const mta_site *site);
	/* The same for the LMTP way (site->lmtp set); NULL: this MTA has none. */
	void (*lmtp_lines)(GString *s, const mta_site *site);
	/* The problems found for ADDRS in the configuration at DIR (never NULL
	 * here), one sentence each; NULL with ERROR when it cannot be read. */
	GPtrArray *(*check)(const char *dir, const char *const *addrs, char delim, GError **error);
} mta_backend;

extern const mta_backend mta_postfix;
extern const mta_backend mta_exim;
extern const mta_backend mta_opensmtpd;
extern const mta_backend mta_sendmail;

/* Add a problem sentence to PROBLEMS, unless the same one is there already. */
void mta_problem(GPtrArray *problems, const char *fmt, ...) G_GNUC_PRINTF(2, 3);

/* Split "local@domain" into lower-case halves; FALSE when it is not an address. */
gboolean mta_split_address(const char *addr, char **local, char **domain);

/* Every address of the community whose post address is LOCAL@DOMAIN, each
 * followed by the name of its kind ("post", "+request", ...): a flat array
 * of pairs. */
GPtrArray *mta_address_kinds(const char *local, const char *domain, char delim);

/* Does a whitespace- or comma-separated LIST name WORD (case-insensitive)? */
gboolean mta_word_in(const char *list, const char *word);

/* The logical lines of a configuration text: comments dropped, backslash
 * continuations joined, the indentation of the first line kept. */
GPtrArray *mta_logical_lines(const char *text);

#endif
