/* config.h - the installation's settings, from $ROUNDS_HOME/rounds.conf (GKeyFile).
 *
 * Only the command-line layer reads the file; modules get what they need
 * passed in (a rd_config or single values from it).
 */
#ifndef RD_CONFIG_H
#define RD_CONFIG_H

#include "rounds.h"

typedef struct {
	char *home;          /* the installation directory */
	char *path;          /* rounds.conf */
	char *domain;        /* default domain of communities */
	char *database;      /* absolute path of the SQLite database */
	char *secret_file;   /* absolute path of the HMAC secret */
	char *template_dir;  /* [rounds] template-dir, else the checkout's or RD_DATADIR's */
	char *timezone;      /* default IANA zone of people */
	char delimiter;      /* recipient delimiter: '+' or '-' */
	char *mta;           /* postfix|exim|opensmtpd|sendmail */
	gint64 max_message_size;
	int subject_window_days;
	int busy_timeout_ms;
	gint64 digest_max_size; /* [digest] max-size: bytes of one digest mail */
	/* [smtp] */
	char *smtp_host;
	int smtp_port;
	char *smtp_starttls;
	char *smtp_user;
	char *smtp_password_file;
	int smtp_connections;
	/* [commands] */
	char *trusted_authserv_id; /* NULL: trust no Authentication-Results */
	int token_days;
	int reply_limit;
	char *sender_domain; /* domain of automatic mail; default = domain */
	/* [report] the weekly owner report */
	gboolean report_weekly; /* weekly: on unless false */
	int report_weekday;     /* weekday: 1 = Monday ... 7 = Sunday */
	char *report_hour;      /* hour: "08:00", each owner's local time */
	/* [web] */
	char *web_url;    /* public base URL of rounds web, without a final /; NULL: off */
	char *web_listen; /* HOST:PORT rounds web listens on (127.0.0.1:8025) */
	GKeyFile *kf;        /* the file itself, for sections other modules own */
} rd_config;

/* Load HOME/rounds.conf; a missing file gives the defaults (domain unset). */
rd_config *rd_config_load(const char *home, GError **error);
void rd_config_free(rd_config *c);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(rd_config, rd_config_free)

/* Where templates are when rounds.conf names none: the checkout's when
 * the running binary was built in one, else the installed ones (RD_DATADIR,
 * or BINDIR/../share/rounds next to the binary); never the current
 * directory.  Reads no file but the executable's link. */
char *rd_config_default_template_dir(void);

/* Write a commented rounds.conf for DOMAIN into HOME, unless one exists. */
gboolean rd_config_write_default(const char *home, const char *domain, GError **error);

#endif
