/* config.c - rounds.conf, an INI file read with GKeyFile. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "config.h"

#define DEFAULT_MAX_SIZE (20 * 1024 * 1024)
/* Smarthosts commonly refuse mail over 10 to 25 MB, and a digest is read
 * on a phone: 2 MB holds a day of a busy community with a few images. */
#define DEFAULT_DIGEST_SIZE (2 * 1024 * 1024)

static char *
config_string(GKeyFile *kf, const char *group, const char *key, const char *def)
{
	char *v = g_key_file_get_string(kf, group, key, NULL);

	if (v != NULL) {
		g_strstrip(v);
		if (*v != '\0')
			return v;
		g_free(v);
	}
	return g_strdup(def);
}

/* The integer at GROUP KEY, DEF when it is not set.  Reads chain on one
 * ERROR: after the first bad value the rest return DEF, so the message
 * names the first mistake (and GLib never sees an error set twice). */
static gint64
config_int(GKeyFile *kf, const char *group, const char *key, gint64 def, GError **error)
{
	g_autoptr(GError) err = NULL;
	gint64 v;

	if ((error != NULL && *error != NULL) || !g_key_file_has_key(kf, group, key, NULL))
		return def;
	v = g_key_file_get_int64(kf, group, key, &err);
	if (err != NULL) {
		g_set_error(error, RD_ERROR, RD_CONFIG, "[%s] %s: not a number", group, key);
		return def;
	}
	return v;
}

/* As config_int, for a count that must be at least 1. */
static int
config_count(GKeyFile *kf, const char *group, const char *key, int def, GError **error)
{
	gint64 v = config_int(kf, group, key, def, error);

	if ((error == NULL || *error == NULL) && (v < 1 || v > G_MAXINT)) {
		g_set_error(error, RD_ERROR, RD_CONFIG, "[%s] %s: must be a whole number from 1",
		            group, key);
		return def;
	}
	return (int)v;
}

/* A size in bytes, with an optional K, M or G suffix (powers of 1024):
 * "2M", "512K", "2097152". */
static gint64
config_size(GKeyFile *kf, const char *group, const char *key, gint64 def, GError **error)
{
	g_autofree char *v = config_string(kf, group, key, NULL);
	const char *units = "KMG";
	const char *unit;
	char *end = NULL;
	gint64 n, mult = 1;

	if (v == NULL || (error != NULL && *error != NULL))
		return def;
	n = g_ascii_strtoll(v, &end, 10);
	if (end != v && *end != '\0' && (unit = strchr(units, g_ascii_toupper(*end))) != NULL) {
		for (const char *u = units; u <= unit; u++)
			mult *= 1024;
		end++;
	}
	if (end == v || *end != '\0' || n <= 0 || n > G_MAXINT64 / mult) {
		g_set_error(error, RD_ERROR, RD_CONFIG, "[%s] %s: not a size (like 2M)", group,
		            key);
		return def;
	}
	return n * mult;
}

/* A boolean (true/false, yes/no, on/off, 1/0), DEF when it is not set. */
static gboolean
config_bool(GKeyFile *kf, const char *group, const char *key, gboolean def, GError **error)
{
	static const char *const yes[] = {"true", "yes", "on", "1"};
	static const char *const no[] = {"false", "no", "off", "0"};
	g_autofree char *v = config_string(kf, group, key, NULL);

	if (v == NULL || (error != NULL && *error != NULL))
		return def;
	for (guint i = 0; i < G_N_ELEMENTS(yes); i++) {
		if (g_ascii_strcasecmp(v, yes[i]) == 0)
			return TRUE;
		if (g_ascii_strcasecmp(v, no[i]) == 0)
			return FALSE;
	}
	g_set_error(error, RD_ERROR, RD_CONFIG, "[%s] %s: not true or false", group, key);
	return def;
}

/* A weekday by name (monday) or number (1 = Monday ... 7 = Sunday). */
static int
config_weekday(GKeyFile *kf, const char *group, const char *key, int def, GError **error)
{
	static const char *const days[] = {"monday", "tuesday",  "wednesday", "thursday",
	                                   "friday", "saturday", "sunday"};
	g_autofree char *v = config_string(kf, group, key, NULL);

	if (v == NULL || (error != NULL && *error != NULL))
		return def;
	for (int i = 0; i < 7; i++)
		if (g_ascii_strcasecmp(v, days[i]) == 0 ||
		    (v[0] == '1' + i && v[1] == '\0'))
			return i + 1;
	g_set_error(error, RD_ERROR, RD_CONFIG, "[%s] %s: not a weekday (monday ... sunday)",
	            group, key);
	return def;
}

/* A local time HH:MM. */
static char *
config_hour(GKeyFile *kf, const char *group, const char *key, const char *def, GError **error)
{
	char *v = config_string(kf, group, key, def);
	int h, m;
	char end;

	if (error != NULL && *error != NULL)
		return v;
	if (sscanf(v, "%2d:%2d%c", &h, &m, &end) != 2 || h < 0 || h > 23 || m < 0 || m > 59 ||
	    strlen(v) != 5) {
		g_set_error(error, RD_ERROR, RD_CONFIG, "[%s] %s: not a time (like 08:00)", group,
		            key);
		g_free(v);
		return g_strdup(def);
	}
	return v;
}

/* Where the templates are when rounds.conf does not say: the checkout's
 * templates/ when the running binary is the one built in a checkout (make
 * check, make demo, the tests: the binary is build/rounds or
 * build/asan/rounds, the ./rounds link resolves to it), else the installed
 * ones: RD_DATADIR/templates when the build named a DATADIR of its own,
 * else BINDIR/../share/rounds/templates next to the binary (what `make
 * install` lays out for any PREFIX, so an install into another PREFIX or
 * DESTDIR needs no rebuild).  Never the current directory: an installed
 * binary run from wherever a user stands must not read templates from
 * there. */
char *
rd_config_default_template_dir(void)
{
	g_autofree char *exe = g_file_read_link("/proc/self/exe", NULL);
	g_autofree char *dir = exe ? g_path_get_dirname(exe) : NULL;

	for (int up = 0; dir != NULL && up < 3; up++) {
		g_autofree char *readme = g_build_filename(dir, "templates", "README", NULL);
		g_autofree char *main_c = g_build_filename(dir, "src", "main.c", NULL);
		char *parent;

		if (g_file_test(readme, G_FILE_TEST_IS_REGULAR) &&
		    g_file_test(main_c, G_FILE_TEST_IS_REGULAR))
			return g_build_filename(dir, "templates", NULL);
		parent = g_path_get_dirname(dir);
		if (strcmp(parent, dir) == 0) {
			g_free(parent);
			break;
		}
		g_free(dir);
		dir = parent;
	}
#ifdef RD_DATADIR
	return g_strdup(RD_DATADIR "/templates");
#else
	if (exe != NULL) {
		g_autofree char *bindir = g_path_get_dirname(exe);
		g_autofree char *rel = g_build_filename(bindir, "..", "share", "rounds", "templates", NULL);

		return g_canonicalize_filename(rel, NULL);
	}
	return g_strdup("/usr/local/share/rounds/templates");
#endif
}

/* Relative paths in the file are relative to the installation directory. */
static char *
config_path(const char *home, char *value)
{
	char *abs;

	if (value == NULL || g_path_is_absolute(value))
		return value;
	abs = g_build_filename(home, value, NULL);
	g_free(value);
	return abs;
}

rd_config *
rd_config_load(const char *home, GError **error)
{
	g_autoptr(rd_config) c = g_new0(rd_config, 1);
	g_autoptr(GError) err = NULL;
	g_autofree char *delim = NULL;
	GKeyFile *kf;

	c->home = g_strdup(home);
	c->path = g_build_filename(home, "rounds.conf", NULL);
	c->kf = kf = g_key_file_new();
	if (!g_key_file_load_from_file(kf, c->path, G_KEY_FILE_NONE, &err)) {
		if (!g_error_matches(err, G_FILE_ERROR, G_FILE_ERROR_NOENT)) {
			g_set_error(error, RD_ERROR, RD_CONFIG, "%s: %s", c->path, err->message);
			return NULL;
		}
		g_clear_error(&err);
	}
	c->domain = config_string(kf, "rounds", "domain", NULL);
	c->database = config_path(home, config_string(kf, "rounds", "database", "rounds.db"));
	c->secret_file = config_path(home, config_string(kf, "rounds", "secret-file", "secret"));
	c->template_dir = config_string(kf, "rounds", "template-dir", NULL);
	c->timezone = config_string(kf, "rounds", "timezone", "UTC");
	c->mta = config_string(kf, "rounds", "mta", "postfix");
	c->sender_domain = config_string(kf, "rounds", "sender-domain", c->domain);
	delim = config_string(kf, "rounds", "recipient-delimiter", "+");
	if (strlen(delim) != 1 || (delim[0] != '+' && delim[0] != '-')) {
		g_set_error(error, RD_ERROR, RD_CONFIG,
			    "%s: recipient-delimiter must be + or -", c->path);
		return NULL;
	}
	c->delimiter = delim[0];
	c->max_message_size =
	    config_int(kf, "deliver", "max-message-size", DEFAULT_MAX_SIZE, &err);
	c->subject_window_days = (int)config_int(kf, "deliver", "subject-window-days", 30, &err);
	c->busy_timeout_ms = (int)config_int(kf, "rounds", "busy-timeout-ms", 5000, &err);
	c->smtp_host = config_string(kf, "smtp", "host", "127.0.0.1");
	c->smtp_port = (int)config_int(kf, "smtp", "port", 25, &err);
	c->smtp_starttls = config_string(kf, "smtp", "starttls", "opportunistic");
	c->smtp_user = config_string(kf, "smtp", "user", NULL);
	c->smtp_password_file =
	    config_path(home, config_string(kf, "smtp", "password-file", NULL));
	c->smtp_connections = (int)config_int(kf, "smtp", "connections", 4, &err);
	c->digest_max_size = config_size(kf, "digest", "max-size", DEFAULT_DIGEST_SIZE, &err);
	c->trusted_authserv_id = config_string(kf, "commands", "trusted-authserv-id", NULL);
	c->token_days = config_count(kf, "commands", "token-days", 7, &err);
	c->reply_limit = config_count(kf, "commands", "reply-limit", 5, &err);
	c->report_weekly = config_bool(kf, "report", "weekly", TRUE, &err);
	c->report_weekday = config_weekday(kf, "report", "weekday", 1, &err);
	c->report_hour = config_hour(kf, "report", "hour", "08:00", &err);
	c->web_url = config_string(kf, "web", "url", NULL);
	c->web_listen = config_string(kf, "web", "listen", "127.0.0.1:8025");
	if (err == NULL && c->web_url != NULL) {
		/* The links in mail are this URL and /u/TOKEN: only https (or http
		 * for a test on loopback) and no final slash to double. */
		g_strchomp(c->web_url);
		while (*c->web_url && c->web_url[strlen(c->web_url) - 1] == '/')
			c->web_url[strlen(c->web_url) - 1] = '\0';
		if (!g_str_has_prefix(c->web_url, "https://") &&
		    !g_str_has_prefix(c->web_url, "http://"))
			g_set_error(&err, RD_ERROR, RD_CONFIG, "[web] url: not an http(s) URL");
		else if (strpbrk(c->web_url, " <>\"\t") != NULL)
			g_set_error(&err, RD_ERROR, RD_CONFIG, "[web] url: not an http(s) URL");
	}
	if (err != NULL) {
		g_propagate_error(error, g_steal_pointer(&err));
		return NULL;
	}
	if (c->template_dir == NULL)
		c->template_dir = rd_config_default_template_dir();
	return g_steal_pointer(&c);
}

void
rd_config_free(rd_config *c)
{
	if (c == NULL)
		return;
	g_free(c->home);
	g_free(c->path);
	g_free(c->domain);
	g_free(c->database);
	g_free(c->secret_file);
	g_free(c->template_dir);
	g_free(c->timezone);
	g_free(c->mta);
	g_free(c->smtp_host);
	g_free(c->web_url);
	g_free(c->web_listen);
	g_free(c->smtp_starttls);
	g_free(c->smtp_user);
	g_free(c->smtp_password_file);
	g_free(c->trusted_authserv_id);
	g_free(c->sender_domain);
	g_free(c->report_hour);
	if (c->kf)
		g_key_file_unref(c->kf);
	g_free(c);
}

gboolean
rd_config_write_default(const char *home, const char *domain, GError **error)
{
	g_autofree char *path = g_build_filename(home, "rounds.conf", NULL);
	g_autofree char *text = NULL;
	g_autoptr(GError) err = NULL;

	if (g_file_test(path, G_FILE_TEST_EXISTS))
		return TRUE;
	text = g_strdup_printf("# rounds.conf - see contrib/rounds.conf.example for every setting.\n"
			       "[rounds]\n"
			       "# Default domain of communities: NAME@%s\n"
			       "domain = %s\n"
			       "# Default time zone of people (IANA name).\n"
			       "timezone = UTC\n"
			       "recipient-delimiter = +\n"
			       "mta = postfix\n"
			       "\n[deliver]\n"
			       "max-message-size = %d\n"
			       "\n[smtp]\n"
			       "host = 127.0.0.1\n"
			       "port = 25\n",
			       domain, domain, DEFAULT_MAX_SIZE);
	if (!g_file_set_contents(path, text, -1, &err)) {
		g_set_error(error, RD_ERROR, RD_CANTCREAT, "%s", err->message);
		return FALSE;
	}
	return TRUE;
}
