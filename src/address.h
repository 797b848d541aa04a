/* address.h - what a recipient address means (DESIGN.md, Addresses). */
#ifndef RD_ADDRESS_H
#define RD_ADDRESS_H

#include "rounds.h"

typedef enum {
	RD_ADDR_POST,        /* care@ */
	RD_ADDR_REQUEST,     /* care+request@, care-request@ */
	RD_ADDR_OWNER,       /* care+owner@ */
	RD_ADDR_SUBSCRIBE,   /* care+subscribe@ */
	RD_ADDR_UNSUBSCRIBE, /* care+unsubscribe@ */
	RD_ADDR_HELP,        /* care+help@ */
	RD_ADDR_REPLY,       /* care+r-TOKEN@ */
	RD_ADDR_CONFIRM,     /* care+c-TOKEN@ */
	RD_ADDR_BOUNCE,      /* care+b-TOKEN@ */
	RD_ADDR_DIGEST,      /* care+d-TOKEN@ */
} rd_addr_kind;

typedef struct _rd_address {
	char *community; /* local part of the community address, lower case */
	char *domain;    /* lower case */
	rd_addr_kind kind;
	char *token;     /* for r-, c-, b-, d- addresses, lower case */
} rd_address;

/* Returns TRUE when community NAME exists on DOMAIN. */
typedef gboolean (*rd_address_exists_fn)(const char *name, const char *domain, gpointer data);

/* Work out community and kind of ADDR.  Local parts are case-folded; the
 * community is the longest prefix (at DELIMITER, or at '-' for the fixed
 * -request/-owner forms) that exists.  RD_NOUSER when no community fits,
 * RD_DATAERR when ADDR is not an address. */
rd_address *rd_address_parse(const char *addr, char delimiter, rd_address_exists_fn exists,
			     gpointer data, GError **error);
void rd_address_free(rd_address *a);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(rd_address, rd_address_free)

/* The kind's name as in logs and JSON: "post", "request", "reply", ... */
const char *rd_address_kind_name(rd_addr_kind kind);

/* Build COMMUNITY<delim>EXT@DOMAIN (EXT NULL: the post address). */
char *rd_address_make(const char *community, const char *domain, char delimiter,
		      const char *ext);

#endif
