/* mta.h - what the MTA must be told so that a community's mail reaches
 * rounds deliver, and a check that an installed configuration does so.
 *
 * The configuration texts follow mta-hooks/<mta>/README; keep them in step.
 */
#ifndef RD_MTA_H
#define RD_MTA_H

#include "rounds.h"

/* The lines an administrator must add to the MTA's configuration so that every
 * address of COMMUNITY@DOMAIN reaches rounds (g_malloc'd text, with comments).
 * MTA: "postfix", "exim", "opensmtpd", "sendmail"; NULL when it is none of them.
 * ROUNDS_PATH and HOME may be NULL: /usr/local/bin/rounds and /var/lib/rounds. */
char *rd_mta_lines(const char *mta, const char *community, const char *domain, char delimiter,
                   const char *rounds_path, const char *home);

/* The same for the LMTP way: to rounds lmtp on the UNIX socket LMTP_SOCKET
 * instead of the pipe; NULL also when the MTA has no LMTP way. */
char *rd_mta_lmtp_lines(const char *mta, const char *community, const char *domain,
                        char delimiter, const char *lmtp_socket);

/* Where rounds-lmtp.socket (contrib/systemd) puts the LMTP socket. */
#define RD_MTA_LMTP_SOCKET "/run/rounds/lmtp"

/* TRUE when rd_mta_lines() knows the LMTP way for MTA. */
gboolean rd_mta_has_lmtp(const char *mta);

/* Check the installed configuration in CONFIG_DIR (NULL: the MTA's usual
 * directory) for every address kind of each COMMUNITY_ADDRESSES entry
 * ("care@lists.example.org", NULL-terminated).  Returns the problems found,
 * one sentence each (empty when all is routed), or NULL with ERROR when the
 * configuration cannot be read at all (RD_CONFIG, or RD_UNAVAIL without
 * postconf). */
GPtrArray *rd_mta_check(const char *mta, const char *config_dir,
                        const char *const *community_addresses, char delimiter, GError **error);

/* TRUE when MTA is one rd_mta_lines() and rd_mta_check() know. */
gboolean rd_mta_known(const char *mta);

#endif
