/* config.c - rounds.conf, an INI file read with GKeyFile. */
#include <errno.h>

#include "config.h"

#define DEFAULT_MAX_SIZE (20 * 1024 * 1024)

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

static gint64
config_int(GKeyFile *kf, const char *group, const char *key, gint64 def, GError **error)
{
	g_autoptr(GError) err = NULL;
	gint64 v;

	if (!g_key_file_has_key(kf, group, key, NULL))
		return def;
	v = g_key_file_get_int64(kf, group, key, &err);
	if (err != NULL) {
		g_set_error(error, RD_ERROR, RD_CONFIG, "[%s] %s: not a number", group, key);
		return def;
	}
	return v;
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
	if (err != NULL) {
		g_propagate_error(error, g_steal_pointer(&err));
		return NULL;
	}
	if (c->template_dir == NULL) {
		/* Prefer the checkout's templates when run from it (tests, demo). */
		c->template_dir = g_file_test("templates/README", G_FILE_TEST_EXISTS)
				      ? g_canonicalize_filename("templates", NULL)
				      : g_strdup(RD_DATADIR "/templates");
	}
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
	g_free(c->smtp_starttls);
	g_free(c->smtp_user);
	g_free(c->smtp_password_file);
	g_free(c->sender_domain);
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
