/* import.c - archive import (mbox, Maildir, single files) with libetpan.
 *
 * Every message goes through the same store path as `rounds deliver`, each
 * in its own savepoint, inside batches of IMPORT_BATCH_MESSAGES messages or
 * IMPORT_BATCH_USEC of work, whichever comes first: one commit (one sync)
 * per batch instead of per message.  An interrupted import is simply run
 * again: what was committed comes back as duplicates, which change nothing,
 * and the batch a crash cut short was never stored.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib/gstdio.h>
#include <libetpan/libetpan.h>

#include "import.h"
#include "log.h"
#include "message.h"
#include "post.h"

/* How many messages of an mbox are read between two drops of the mapping's
 * pages: libetpan maps the whole file, and without this the resident size
 * would grow to the size of the archive. */
#define MBOX_RELEASE_EVERY 512

/* A batch ends after this many messages or this much time. */
#define IMPORT_BATCH_MESSAGES 500
#define IMPORT_BATCH_USEC G_USEC_PER_SEC

/* The open batch of an import, and the counts as of its last commit, so
 * that a batch lost to a fault is not reported as stored. */
typedef struct {
	gboolean open;
	guint messages;
	gint64 started;
	rd_import_stats committed;
} import_batch;

static gboolean
batch_commit(rd_store *s, import_batch *b, const rd_import_stats *st, GError **error)
{
	if (!b->open)
		return TRUE;
	b->open = FALSE;
	if (!rd_store_batch_commit(s, error))
		return FALSE;
	b->committed = *st;
	return TRUE;
}

/* Give up the open batch; the counts go back to its start. */
static void
batch_abandon(rd_store *s, import_batch *b, rd_import_stats *st)
{
	if (b->open)
		rd_store_batch_rollback(s);
	b->open = FALSE;
	st->added = b->committed.added;
	st->duplicates = b->committed.duplicates;
	st->errors = b->committed.errors;
	st->done = b->committed.done;
}

gboolean
rd_import_detect(const char *path, rd_import_kind *kind, GError **error)
{
	struct stat sb;
	char head[5];
	ssize_t n;
	int fd;

	if (stat(path, &sb) < 0) {
		g_set_error(error, RD_ERROR, errno == ENOENT ? RD_NOTFOUND : RD_IOERR,
		            "cannot read %s: %s", path, g_strerror(errno));
		return FALSE;
	}
	if (S_ISDIR(sb.st_mode)) {
		g_autofree char *cur = g_build_filename(path, "cur", NULL);
		g_autofree char *newdir = g_build_filename(path, "new", NULL);

		/* A complete Maildir is libetpan's to read; any other directory
		 * (only cur/, an MH folder, exported .eml files) is walked. */
		*kind =
		    g_file_test(cur, G_FILE_TEST_IS_DIR) && g_file_test(newdir, G_FILE_TEST_IS_DIR)
		        ? RD_IMPORT_MAILDIR
		        : RD_IMPORT_TREE;
		return TRUE;
	}
	if (!S_ISREG(sb.st_mode)) {
		g_set_error(error, RD_ERROR, RD_DATAERR, "%s is neither a file nor a Maildir",
		            path);
		return FALSE;
	}
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		g_set_error(error, RD_ERROR, RD_IOERR, "cannot read %s: %s", path,
		            g_strerror(errno));
		return FALSE;
	}
	n = read(fd, head, sizeof head);
	close(fd);
	/* An empty file is an mbox holding no messages. */
	if (n == 0 || (n == (ssize_t)sizeof head && memcmp(head, "From ", 5) == 0))
		*kind = RD_IMPORT_MBOX;
	else
		*kind = RD_IMPORT_FILE;
	return TRUE;
}

/* Add the files below DIR to FILES (full paths with their sort keys). */
static gboolean
tree_walk(const char *dir, GPtrArray *files, guint depth, GError **error)
{
	g_autoptr(GDir) d = NULL;
	g_autoptr(GError) err = NULL;
	g_autofree char *cur = g_build_filename(dir, "cur", NULL);
	g_autofree char *newdir = g_build_filename(dir, "new", NULL);
	gboolean maildir =
	    g_file_test(cur, G_FILE_TEST_IS_DIR) || g_file_test(newdir, G_FILE_TEST_IS_DIR);
	const char *name;

	/* No real archive nests this deep. */
	if (depth > 32)
		return TRUE;
	if ((d = g_dir_open(dir, 0, &err)) == NULL) {
		g_set_error(error, RD_ERROR, RD_IOERR, "%s", err->message);
		return FALSE;
	}
	while ((name = g_dir_read_name(d)) != NULL) {
		g_autofree char *full = NULL;

		if (name[0] == '.' || (maildir && strcmp(name, "tmp") == 0))
			continue;
		full = g_build_filename(dir, name, NULL);
		/* A linked directory may lead back up the tree: not followed. */
		if (g_file_test(full, G_FILE_TEST_IS_DIR) &&
		    !g_file_test(full, G_FILE_TEST_IS_SYMLINK)) {
			if (!tree_walk(full, files, depth + 1, error))
				return FALSE;
		} else if (g_file_test(full, G_FILE_TEST_IS_REGULAR)) {
			g_ptr_array_add(files, g_steal_pointer(&full));
		}
	}
	return TRUE;
}

static gint
tree_cmp(gconstpointer a, gconstpointer b)
{
	g_autofree char *ka = g_utf8_collate_key_for_filename(*(char *const *)a, -1);
	g_autofree char *kb = g_utf8_collate_key_for_filename(*(char *const *)b, -1);

	return strcmp(ka, kb);
}

GPtrArray *
rd_import_tree(const char *path, GError **error)
{
	g_autoptr(GPtrArray) files = g_ptr_array_new_with_free_func(g_free);

	if (!tree_walk(path, files, 0, error))
		return NULL;
	if (files->len == 0) {
		g_set_error(error, RD_ERROR, RD_NOTFOUND,
		            "nothing to import: %s holds no message or mbox files (names starting "
		            "with a dot and a Maildir's tmp/ are skipped)",
		            path);
		return NULL;
	}
	g_ptr_array_sort(files, tree_cmp);
	return g_steal_pointer(&files);
}

GBytes *
rd_import_unquote(const char *data, gsize len)
{
	GByteArray *out = g_byte_array_sized_new((guint)len);
	gsize i = 0;

	while (i < len) {
		const char *nl = memchr(data + i, '\n', len - i);
		gsize end = nl ? (gsize)(nl - data) + 1 : len;
		gsize j = i;

		while (j < end && data[j] == '>')
			j++;
		/* Only a line of one or more '>' followed by "From " was quoted
		 * by the writer of the mbox. */
		if (j > i && end - j >= 5 && memcmp(data + j, "From ", 5) == 0)
			i++;
		g_byte_array_append(out, (const guint8 *)data + i, (guint)(end - i));
		i = end;
	}
	return g_byte_array_free_to_bytes(out);
}

/* One message: parse, store, count.  Only a temporary fault is returned as
 * failure; everything else is counted and reported. */
static gboolean
import_one(rd_store *s, const rd_context *o, const rd_community *c, GBytes *data,
           const char *where, import_batch *b, rd_import_stats *st, GError **error)
{
	g_autoptr(rd_message) m = NULL;
	g_autoptr(GError) err = NULL;
	rd_deliver_result r = {0};
	rd_status rs;

	if (!b->open) {
		if (!rd_store_batch_begin(s, error))
			return FALSE;
		b->open = TRUE;
		b->messages = 0;
		b->started = g_get_monotonic_time();
	}

	if (o->max_size > 0 && (gint64)g_bytes_get_size(data) > o->max_size) {
		g_set_error(&err, RD_ERROR, RD_DATAERR,
		            "larger than this list accepts (%" G_GINT64_FORMAT " bytes at most)",
		            o->max_size);
		rs = RD_DATAERR;
	} else if ((m = rd_message_parse(data, c->domain, &err)) == NULL) {
		rs = RD_DATAERR;
	} else {
		/* Straight to the store, not through rd_deliver(): an archive of
		 * this very list carries its own List-Id and X-Loop, which the
		 * MTA path rightly drops as a loop but an import must keep. */
		r.community = g_strdup_printf("%s@%s", c->name, c->domain);
		rs = rd_post_store(s, o, c, m, data, NULL, &r, &err);
	}
	st->done++;
	if (rs == RD_OK) {
		if (g_strcmp0(r.status, "duplicate") == 0)
			st->duplicates++;
		else
			st->added++;
	} else if (rs == RD_TEMPFAIL) {
		g_propagate_prefixed_error(error, g_steal_pointer(&err), "%s: ", where);
		rd_deliver_result_clear(&r);
		return FALSE; /* rd_import_path abandons the batch */
	} else {
		st->errors++;
		rd_log_warnx("import %s: %s", where, err ? err->message : "not stored");
	}
	rd_deliver_result_clear(&r);
	if (++b->messages >= IMPORT_BATCH_MESSAGES ||
	    g_get_monotonic_time() - b->started >= IMPORT_BATCH_USEC)
		return batch_commit(s, b, st, error);
	return TRUE;
}

/* Read-only and without UID headers: libetpan must never write to the
 * archive it reads. */
static struct mailmbox_folder *
mbox_open(const char *path, GError **error)
{
	struct mailmbox_folder *f = NULL;
	int r = mailmbox_init(path, 1, 1, 0, &f);

	if (r != MAILMBOX_NO_ERROR) {
		g_set_error(error, RD_ERROR,
		            r == MAILMBOX_ERROR_FILE_NOT_FOUND ? RD_NOTFOUND : RD_IOERR,
		            "cannot read the mbox %s (libetpan error %d)", path, r);
		return NULL;
	}
	return f;
}

static void
mbox_release(struct mailmbox_folder *f)
{
	if (f->mb_mapping != NULL && f->mb_mapping_size > 0)
		madvise(f->mb_mapping, f->mb_mapping_size, MADV_DONTNEED);
}

static gboolean
is_empty_file(const char *path)
{
	struct stat sb;

	return stat(path, &sb) == 0 && S_ISREG(sb.st_mode) && sb.st_size == 0;
}

static gboolean
import_mbox(rd_store *s, const rd_context *o, const rd_community *c, const char *path,
            import_batch *b, rd_import_stats *st, rd_import_progress_fn progress, gpointer pdata,
            GError **error)
{
	struct mailmbox_folder *f;
	gboolean ok = TRUE;
	unsigned int i;

	if (is_empty_file(path))
		return TRUE;
	if ((f = mbox_open(path, error)) == NULL)
		return FALSE;
	mbox_release(f);
	for (i = 0; i < carray_count(f->mb_tab); i++) {
		struct mailmbox_msg_info *info = carray_get(f->mb_tab, i);
		g_autoptr(GBytes) data = NULL;
		g_autofree char *where = NULL;
		char *text;
		size_t len;

		if (info == NULL ||
		    mailmbox_fetch_msg_no_lock(f, info->msg_uid, &text, &len) != MAILMBOX_NO_ERROR)
			continue;
		data = rd_import_unquote(text, len);
		where = g_strdup_printf("%s message %u", path, i + 1);
		if (!import_one(s, o, c, data, where, b, st, error)) {
			ok = FALSE;
			break;
		}
		if ((i + 1) % MBOX_RELEASE_EVERY == 0)
			mbox_release(f);
		if (progress)
			progress(st, pdata);
	}
	mailmbox_done(f);
	return ok;
}

static struct maildir *
maildir_open(const char *path, GError **error)
{
	struct maildir *md = maildir_new(path);
	g_autofree char *marker = g_build_filename(path, "maildirfolder", NULL);
	gboolean had_marker = g_file_test(marker, G_FILE_TEST_EXISTS);
	GStatBuf sb;
	int r;

	if (md == NULL) {
		g_set_error(error, RD_ERROR, RD_TEMPFAIL, "out of memory reading %s", path);
		return NULL;
	}
	r = maildir_update(md);
	/* libetpan creates an empty "maildirfolder" marker; an import only
	 * reads, so what it created is taken away again. */
	if (!had_marker && g_stat(marker, &sb) == 0 && sb.st_size == 0)
		g_unlink(marker);
	if (r != MAILDIR_NO_ERROR) {
		maildir_free(md);
		g_set_error(error, RD_ERROR, RD_IOERR,
		            "cannot read the Maildir %s (libetpan error %d)", path, r);
		return NULL;
	}
	return md;
}

static gboolean
import_maildir(rd_store *s, const rd_context *o, const rd_community *c, const char *path,
               import_batch *b, rd_import_stats *st, rd_import_progress_fn progress,
               gpointer pdata, GError **error)
{
	struct maildir *md;
	gboolean ok = TRUE;
	unsigned int i;

	if ((md = maildir_open(path, error)) == NULL)
		return FALSE;
	for (i = 0; i < carray_count(md->mdir_msg_list); i++) {
		struct maildir_msg *msg = carray_get(md->mdir_msg_list, i);
		char *file = maildir_message_get(md, msg->msg_uid);
		g_autoptr(GError) err = NULL;
		g_autoptr(GBytes) data = NULL;
		g_autofree char *text = NULL;
		gsize len;

		if (file == NULL)
			continue;
		if (!g_file_get_contents(file, &text, &len, &err)) {
			/* Gone since the listing (another reader moved it):
			 * nothing to import, nothing lost. */
			st->done++;
			st->errors++;
			rd_log_warnx("import %s: %s", file, err->message);
			free(file);
			continue;
		}
		data = g_bytes_new_take(g_steal_pointer(&text), len);
		if (!import_one(s, o, c, data, file, b, st, error))
			ok = FALSE;
		free(file);
		if (!ok)
			break;
		if (progress)
			progress(st, pdata);
	}
	maildir_free(md);
	return ok;
}

static gboolean
import_file(rd_store *s, const rd_context *o, const rd_community *c, const char *path,
            import_batch *b, rd_import_stats *st, GError **error)
{
	g_autoptr(GError) err = NULL;
	g_autoptr(GBytes) data = NULL;
	char *text = NULL;
	gsize len;

	if (!g_file_get_contents(path, &text, &len, &err)) {
		g_set_error(error, RD_ERROR, RD_IOERR, "%s", err->message);
		return FALSE;
	}
	data = g_bytes_new_take(text, len);
	return import_one(s, o, c, data, path, b, st, error);
}

gboolean
rd_import_count(const char *path, guint *count, GError **error)
{
	rd_import_kind kind;

	*count = 0;
	if (!rd_import_detect(path, &kind, error))
		return FALSE;
	switch (kind) {
	case RD_IMPORT_FILE:
		*count = 1;
		break;
	case RD_IMPORT_MBOX: {
		struct mailmbox_folder *f;

		if (is_empty_file(path))
			break;
		if ((f = mbox_open(path, error)) == NULL)
			return FALSE;
		*count = carray_count(f->mb_tab);
		mailmbox_done(f);
		break;
	}
	case RD_IMPORT_MAILDIR: {
		struct maildir *md = maildir_open(path, error);

		if (md == NULL)
			return FALSE;
		*count = carray_count(md->mdir_msg_list);
		maildir_free(md);
		break;
	}
	case RD_IMPORT_TREE: {
		g_autoptr(GPtrArray) files = rd_import_tree(path, error);

		if (files == NULL)
			return FALSE;
		for (guint i = 0; i < files->len; i++) {
			guint n = 0;

			if (rd_import_count(files->pdata[i], &n, NULL))
				*count += n;
		}
		break;
	}
	}
	return TRUE;
}

gboolean
rd_import_path(rd_store *s, const rd_context *o, const rd_community *c, const char *path,
               rd_import_stats *st, rd_import_progress_fn progress, gpointer data, GError **error)
{
	import_batch b = {.committed = *st};
	rd_import_kind kind;
	gboolean ok = FALSE;
	guint before = st->done;

	if (!rd_import_detect(path, &kind, error))
		return FALSE;
	switch (kind) {
	case RD_IMPORT_MBOX:
		ok = import_mbox(s, o, c, path, &b, st, progress, data, error);
		break;
	case RD_IMPORT_MAILDIR:
		ok = import_maildir(s, o, c, path, &b, st, progress, data, error);
		if (ok && st->done == before) {
			g_set_error(error, RD_ERROR, RD_NOTFOUND,
			            "nothing to import: the Maildir %s holds no messages", path);
			ok = FALSE;
		}
		break;
	case RD_IMPORT_FILE:
		ok = import_file(s, o, c, path, &b, st, error);
		break;
	case RD_IMPORT_TREE: {
		g_autoptr(GPtrArray) files = rd_import_tree(path, error);

		ok = files != NULL;
		for (guint i = 0; ok && i < files->len; i++) {
			const char *f = files->pdata[i];

			/* Each file is an mbox or one message, told by its first line. */
			ok = rd_import_detect(f, &kind, error) &&
			     (kind == RD_IMPORT_MBOX
			          ? import_mbox(s, o, c, f, &b, st, progress, data, error)
			          : import_file(s, o, c, f, &b, st, error));
			if (ok && progress)
				progress(st, data);
		}
		break;
	}
	}
	/* Each path ends with its last batch committed. */
	if (ok)
		ok = batch_commit(s, &b, st, error);
	if (!ok)
		batch_abandon(s, &b, st);
	if (ok)
		st->paths++;
	if (progress)
		progress(st, data);
	return ok;
}

/* ---------------------------------------------------------------------- */
/* Mailbox intake: IMAP and POP3. */

#include <gnutls/gnutls.h>
#include <gnutls/x509.h>

typedef enum { FETCH_IMAP, FETCH_POP3 } fetch_proto;

typedef struct {
	fetch_proto proto;
	gboolean tls; /* TLS from the first byte (imaps, pop3s) */
	char *host;
	guint16 port;
	char *user;
	char *folder; /* IMAP only */
} fetch_url;

static void
fetch_url_clear(fetch_url *u)
{
	g_clear_pointer(&u->host, g_free);
	g_clear_pointer(&u->user, g_free);
	g_clear_pointer(&u->folder, g_free);
}

static gboolean
fetch_url_parse(const char *text, fetch_url *u, GError **error)
{
	g_autoptr(GUri) uri = NULL;
	g_autoptr(GError) err = NULL;
	const char *scheme, *path;
	int port;

	uri = g_uri_parse(text, G_URI_FLAGS_HAS_PASSWORD, &err);
	if (uri == NULL) {
		g_set_error(error, RD_ERROR, RD_USAGE, "bad --url %s: %s", text, err->message);
		return FALSE;
	}
	scheme = g_uri_get_scheme(uri);
	if (g_ascii_strcasecmp(scheme, "imaps") == 0) {
		u->proto = FETCH_IMAP, u->tls = TRUE, port = 993;
	} else if (g_ascii_strcasecmp(scheme, "imap") == 0) {
		u->proto = FETCH_IMAP, u->tls = FALSE, port = 143;
	} else if (g_ascii_strcasecmp(scheme, "pop3s") == 0) {
		u->proto = FETCH_POP3, u->tls = TRUE, port = 995;
	} else if (g_ascii_strcasecmp(scheme, "pop3") == 0) {
		u->proto = FETCH_POP3, u->tls = FALSE, port = 110;
	} else {
		g_set_error(error, RD_ERROR, RD_USAGE,
		            "bad --url %s: the scheme must be imaps, imap, pop3s or pop3", text);
		return FALSE;
	}
	if (g_uri_get_host(uri) == NULL || *g_uri_get_host(uri) == '\0' ||
	    g_uri_get_user(uri) == NULL || *g_uri_get_user(uri) == '\0') {
		g_set_error(error, RD_ERROR, RD_USAGE, "bad --url %s: USER@HOST is required", text);
		return FALSE;
	}
	if (g_uri_get_port(uri) > 0)
		port = g_uri_get_port(uri);
	u->host = g_strdup(g_uri_get_host(uri));
	u->port = (guint16)port;
	u->user = g_strdup(g_uri_get_user(uri));
	path = g_uri_get_path(uri);
	while (*path == '/')
		path++;
	u->folder = g_strdup(*path ? path : "INBOX");
	return TRUE;
}

/* libetpan does not check the server's certificate; do it here, after the
 * handshake and before the password is sent, with GnuTLS (which libetpan
 * itself uses on Debian). */
static gboolean
verify_peer(mailstream *stream, const char *host, const char *ca_file, GError **error)
{
	carray *chain = mailstream_get_certificate_chain(stream);
	gnutls_x509_trust_list_t tl = NULL;
	gnutls_x509_crt_t *certs = NULL;
	unsigned int n = 0, i, status = 0;
	gnutls_typed_vdata_st vdata = {GNUTLS_DT_DNS_HOSTNAME, (unsigned char *)host, 0};
	gboolean ok = FALSE;
	int r;

	if (chain == NULL || carray_count(chain) == 0) {
		g_set_error(error, RD_ERROR, RD_CONFIG, "%s sent no TLS certificate", host);
		goto done;
	}
	n = carray_count(chain);
	certs = g_new0(gnutls_x509_crt_t, n);
	for (i = 0; i < n; i++) {
		MMAPString *der = carray_get(chain, i);
		gnutls_datum_t d = {(unsigned char *)der->str, (unsigned int)der->len};

		gnutls_x509_crt_init(&certs[i]);
		if (gnutls_x509_crt_import(certs[i], &d, GNUTLS_X509_FMT_DER) < 0) {
			g_set_error(error, RD_ERROR, RD_CONFIG,
			            "%s sent a TLS certificate that cannot be read", host);
			goto done;
		}
	}
	gnutls_x509_trust_list_init(&tl, 0);
	if (ca_file != NULL)
		r = gnutls_x509_trust_list_add_trust_file(tl, ca_file, NULL, GNUTLS_X509_FMT_PEM, 0,
		                                          0);
	else
		r = gnutls_x509_trust_list_add_system_trust(tl, 0, 0);
	if (r <= 0) {
		g_set_error(error, RD_ERROR, RD_CONFIG, "no trusted certificates in %s",
		            ca_file ? ca_file : "the system's store");
		goto done;
	}
	r = gnutls_x509_trust_list_verify_crt2(tl, certs, n, &vdata, 1, 0, &status, NULL);
	if (r < 0 || status != 0) {
		gnutls_datum_t why = {NULL, 0};

		if (r >= 0)
			gnutls_certificate_verification_status_print(status, GNUTLS_CRT_X509, &why,
			                                             0);
		g_set_error(error, RD_ERROR, RD_CONFIG,
		            "the TLS certificate of %s is not trusted (%s); use --ca-file, or "
		            "--insecure to skip the check",
		            host, why.data ? (const char *)why.data : gnutls_strerror(r));
		gnutls_free(why.data);
		goto done;
	}
	ok = TRUE;
done:
	if (tl)
		gnutls_x509_trust_list_deinit(tl, 1);
	for (i = 0; certs && i < n; i++)
		if (certs[i])
			gnutls_x509_crt_deinit(certs[i]);
	g_free(certs);
	if (chain)
		mailstream_certificate_chain_free(chain);
	return ok;
}

static void
add_address_list(GPtrArray *out, const char *value)
{
	InternetAddressList *list = internet_address_list_parse(NULL, value);
	int i, n = list ? internet_address_list_length(list) : 0;

	for (i = 0; i < n; i++) {
		InternetAddress *ia = internet_address_list_get_address(list, i);

		if (INTERNET_ADDRESS_IS_MAILBOX(ia))
			g_ptr_array_add(out, g_strdup(internet_address_mailbox_get_addr(
			                         INTERNET_ADDRESS_MAILBOX(ia))));
	}
	if (list)
		g_object_unref(list);
}

char *
rd_import_recipient(GBytes *data, rd_store *s)
{
	static const char *const names[] = {"Delivered-To", "X-Original-To", "To"};
	g_autoptr(GMimeStream) stream = NULL;
	g_autoptr(GMimeParser) parser = NULL;
	g_autoptr(GMimeMessage) msg = NULL;
	g_autoptr(GPtrArray) communities = NULL;
	GMimeHeaderList *hl;
	gsize k;
	int i, n;

	stream =
	    g_mime_stream_mem_new_with_buffer(g_bytes_get_data(data, NULL), g_bytes_get_size(data));
	parser = g_mime_parser_new_with_stream(stream);
	msg = g_mime_parser_construct_message(parser, NULL);
	if (msg == NULL)
		return NULL;
	communities = rd_store_community_list(s, NULL);
	if (communities == NULL)
		return NULL;
	hl = g_mime_object_get_header_list(GMIME_OBJECT(msg));
	n = g_mime_header_list_get_count(hl);
	for (k = 0; k < G_N_ELEMENTS(names); k++) {
		g_autoptr(GPtrArray) addrs = g_ptr_array_new_with_free_func(g_free);
		guint a, ci;

		/* Every header of that name, top first: the top Delivered-To
		 * is the last hop, the mailbox this message was taken from. */
		for (i = 0; i < n; i++) {
			GMimeHeader *h = g_mime_header_list_get_header_at(hl, i);

			if (g_ascii_strcasecmp(g_mime_header_get_name(h), names[k]) == 0)
				add_address_list(addrs, g_mime_header_get_raw_value(h));
		}
		for (a = 0; a < addrs->len; a++) {
			const char *addr = addrs->pdata[a];
			const char *at = strrchr(addr, '@');

			if (at == NULL)
				continue;
			for (ci = 0; ci < communities->len; ci++) {
				const rd_community *c = communities->pdata[ci];

				if (g_ascii_strcasecmp(at + 1, c->domain) == 0)
					return g_strdup(addr);
			}
		}
	}
	return NULL;
}

/* The envelope sender the server recorded, from Return-Path. */
static char *
return_path(GBytes *data)
{
	gsize len = g_bytes_get_size(data);
	const char *p = g_bytes_get_data(data, NULL);
	const char *end = p + len;

	/* Only the header section, and only an unfolded Return-Path. */
	while (p < end && *p != '\r' && *p != '\n') {
		const char *nl = memchr(p, '\n', (gsize)(end - p));
		const char *le = nl ? nl : end;

		if (le - p > 12 && g_ascii_strncasecmp(p, "Return-Path:", 12) == 0) {
			g_autofree char *v = g_strndup(p + 12, (gsize)(le - p - 12));
			char *lt, *gt;

			g_strstrip(v);
			lt = strchr(v, '<');
			gt = lt ? strchr(lt, '>') : NULL;
			if (lt && gt)
				return g_strndup(lt + 1, (gsize)(gt - lt - 1));
			return g_steal_pointer(&v);
		}
		p = nl ? nl + 1 : end;
	}
	return NULL;
}

typedef enum {
	FETCHED_TAKE,    /* stored (or a duplicate): delete it */
	FETCHED_REFUSED, /* refused for good (65/67/69/77): leave it, never again */
	FETCHED_LEAVE,   /* a fault of ours (70, 74, 78...): leave it, try again */
	FETCHED_STOP,    /* temporary failure: stop the pass */
} fetched_action;

/* Deliver one fetched message; tell the caller what to do with it. */
static fetched_action
fetch_deliver(rd_store *s, const rd_context *base, GBytes *data, const char *where,
              rd_fetch_stats *st, GError **error)
{
	g_autofree char *rcpt = rd_import_recipient(data, s);
	g_autofree char *sender = return_path(data);
	g_autoptr(GError) err = NULL;
	rd_context o = *base;
	rd_deliver_result r = {0};
	rd_status rs;

	o.recipient = rcpt ? rcpt : base->recipient;
	o.sender = sender;
	o.bypass_policy = FALSE;
	rs = rd_deliver(s, &o, data, &r, &err);
	if (rs == RD_OK) {
		st->fetched++;
		if (g_strcmp0(r.status, "duplicate") == 0)
			st->duplicates++;
		else
			st->added++;
		rd_log_info("fetch %s to %s: <%s> %s", where, o.recipient,
		            r.message_id ? r.message_id : "", r.status ? r.status : "");
		rd_deliver_result_clear(&r);
		return FETCHED_TAKE;
	}
	rd_deliver_result_clear(&r);
	if (rs == RD_TEMPFAIL) {
		g_propagate_prefixed_error(error, g_steal_pointer(&err), "%s: ", where);
		return FETCHED_STOP;
	}
	st->left++;
	rd_log_warnx("fetch %s to %s: left on the server (exit %d): %s", where, o.recipient,
	             rd_status_exit(rs), err ? err->message : "refused");
	/* What the MTA path would bounce is the message's own fault and will
	 * not change; anything else is ours and worth another try. */
	switch (rs) {
	case RD_DATAERR:
	case RD_NOUSER:
	case RD_UNAVAIL:
	case RD_NOPERM:
		return FETCHED_REFUSED;
	default:
		return FETCHED_LEAVE;
	}
}

static struct mailimap_search_key *
search_unseen(void)
{
	return mailimap_search_key_new(MAILIMAP_SEARCH_KEY_UNSEEN, NULL, NULL, NULL, NULL, NULL,
	                               NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, 0,
	                               NULL, NULL, NULL, NULL, NULL, NULL, 0, NULL, NULL, NULL);
}

static int
imap_add_flag(mailimap *imap, uint32_t uid, struct mailimap_flag *flag)
{
	struct mailimap_set *set = mailimap_set_new_single(uid);
	struct mailimap_flag_list *fl = mailimap_flag_list_new_empty();
	struct mailimap_store_att_flags *sa;
	int r;

	mailimap_flag_list_add(fl, flag);
	sa = mailimap_store_att_flags_new_add_flags_silent(fl);
	r = mailimap_uid_store(imap, set, sa);
	mailimap_store_att_flags_free(sa);
	mailimap_set_free(set);
	return r;
}

/* The whole message of UID, or NULL. */
static GBytes *
imap_fetch_body(mailimap *imap, uint32_t uid, int *rc)
{
	struct mailimap_set *set = mailimap_set_new_single(uid);
	struct mailimap_fetch_type *ft = mailimap_fetch_type_new_fetch_att_list_empty();
	struct mailimap_fetch_att *att =
	    mailimap_fetch_att_new_body_peek_section(mailimap_section_new(NULL));
	GBytes *out = NULL;
	clist *result = NULL;
	clistiter *it, *jt;

	mailimap_fetch_type_new_fetch_att_list_add(ft, att);
	*rc = mailimap_uid_fetch(imap, set, ft, &result);
	mailimap_fetch_type_free(ft);
	mailimap_set_free(set);
	if (*rc != MAILIMAP_NO_ERROR)
		return NULL;
	for (it = clist_begin(result); it && out == NULL; it = clist_next(it)) {
		struct mailimap_msg_att *ma = clist_content(it);

		for (jt = clist_begin(ma->att_list); jt; jt = clist_next(jt)) {
			struct mailimap_msg_att_item *item = clist_content(jt);

			if (item->att_type == MAILIMAP_MSG_ATT_ITEM_STATIC &&
			    item->att_data.att_static->att_type == MAILIMAP_MSG_ATT_BODY_SECTION) {
				struct mailimap_msg_att_body_section *b =
				    item->att_data.att_static->att_data.att_body_section;

				out = g_bytes_new(b->sec_body_part ? b->sec_body_part : "",
				                  b->sec_length);
				break;
			}
		}
	}
	mailimap_fetch_list_free(result);
	return out;
}

static gboolean
fetch_imap(rd_store *s, const rd_context *o, const fetch_url *u, const char *password,
           gboolean insecure, const char *ca_file, rd_fetch_stats *st, GError **error)
{
	mailimap *imap = mailimap_new(0, NULL);
	clist *uids = NULL;
	clistiter *it;
	gboolean ok = FALSE, expunge = FALSE;
	int r;

	mailimap_set_timeout(imap, 60);
	if (u->tls)
		r = mailimap_ssl_connect(imap, u->host, u->port);
	else
		r = mailimap_socket_connect(imap, u->host, u->port);
	if (r != MAILIMAP_NO_ERROR_AUTHENTICATED && r != MAILIMAP_NO_ERROR_NON_AUTHENTICATED) {
		g_set_error(error, RD_ERROR, RD_TEMPFAIL,
		            "cannot connect to the IMAP server %s port %u (libetpan error %d)",
		            u->host, u->port, r);
		goto done;
	}
	/* Never send the password in the clear: imap:// means STARTTLS. */
	if (!u->tls && (r = mailimap_socket_starttls(imap)) != MAILIMAP_NO_ERROR) {
		g_set_error(error, RD_ERROR, RD_CONFIG,
		            "the IMAP server %s refused STARTTLS (libetpan error %d)", u->host, r);
		goto done;
	}
	if (!insecure && !verify_peer(imap->imap_stream, u->host, ca_file, error))
		goto done;
	if ((r = mailimap_login(imap, u->user, password)) != MAILIMAP_NO_ERROR) {
		g_set_error(error, RD_ERROR, r == MAILIMAP_ERROR_LOGIN ? RD_CONFIG : RD_TEMPFAIL,
		            "the IMAP server %s refused the login of %s (libetpan error %d)",
		            u->host, u->user, r);
		goto done;
	}
	if ((r = mailimap_select(imap, u->folder)) != MAILIMAP_NO_ERROR) {
		g_set_error(error, RD_ERROR, RD_CONFIG,
		            "cannot open the folder %s on %s (libetpan error %d)", u->folder,
		            u->host, r);
		goto done;
	}
	/* Refused messages are flagged \Seen and left, so only unseen ones
	 * are new work; a message stored by a run that then crashed is still
	 * unseen, comes back as a duplicate and is deleted this time. */
	struct mailimap_search_key *key = search_unseen();
	r = mailimap_uid_search(imap, NULL, key, &uids);
	mailimap_search_key_free(key);
	if (r != MAILIMAP_NO_ERROR) {
		g_set_error(error, RD_ERROR, RD_TEMPFAIL,
		            "IMAP SEARCH failed on %s (libetpan error %d)", u->host, r);
		goto done;
	}
	ok = TRUE;
	for (it = clist_begin(uids); it; it = clist_next(it)) {
		uint32_t uid = *(uint32_t *)clist_content(it);
		g_autofree char *where = g_strdup_printf("%s UID %u", u->folder, uid);
		g_autoptr(GBytes) data = imap_fetch_body(imap, uid, &r);
		fetched_action act;

		if (data == NULL) {
			if (r != MAILIMAP_NO_ERROR) {
				g_set_error(error, RD_ERROR, RD_TEMPFAIL,
				            "cannot fetch %s from %s (libetpan error %d)", where,
				            u->host, r);
				ok = FALSE;
				break;
			}
			continue; /* expunged meanwhile by another client */
		}
		act = fetch_deliver(s, o, data, where, st, error);
		if (act == FETCHED_STOP) {
			ok = FALSE;
			break;
		}
		/* A fault of ours leaves it unseen: the next pass tries again. */
		if (act == FETCHED_LEAVE)
			continue;
		r = imap_add_flag(imap, uid,
		                  act == FETCHED_TAKE ? mailimap_flag_new_deleted()
		                                      : mailimap_flag_new_seen());
		if (r != MAILIMAP_NO_ERROR) {
			g_set_error(error, RD_ERROR, RD_TEMPFAIL,
			            "cannot flag %s on %s (libetpan error %d)", where, u->host, r);
			ok = FALSE;
			break;
		}
		if (act == FETCHED_TAKE)
			expunge = TRUE;
	}
	/* Expunge what was committed even when the batch stopped early. */
	if (expunge && mailimap_expunge(imap) != MAILIMAP_NO_ERROR && ok) {
		g_set_error(error, RD_ERROR, RD_TEMPFAIL, "IMAP EXPUNGE failed on %s", u->host);
		ok = FALSE;
	}
	mailimap_logout(imap);
done:
	if (uids)
		mailimap_search_result_free(uids);
	mailimap_free(imap);
	return ok;
}

/* The key of a POP3 mailbox in the store's fetch_seen: user and host, not
 * port or TLS, since pop3:// and pop3s:// reach the same maildrop. */
static char *
pop3_source(const fetch_url *u)
{
	g_autofree char *host = g_ascii_strdown(u->host, -1);

	return g_strdup_printf("pop3://%s@%s", u->user, host);
}

/* Forget the UIDLs no longer on the server (deleted by our last QUIT or by
 * another client) before acting on any: RFC 1939 lets a server reuse a
 * UIDL once its message is gone, and that new message must not be skipped. */
static gboolean
pop3_prune(rd_store *s, const char *source, carray *list, GHashTable *seen, GError **error)
{
	g_autoptr(GHashTable) present = g_hash_table_new(g_str_hash, g_str_equal);
	g_autoptr(GPtrArray) gone = g_ptr_array_new();
	GHashTableIter it;
	gpointer uidl;
	unsigned int i;

	for (i = 0; i < carray_count(list); i++) {
		struct mailpop3_msg_info *info = carray_get(list, i);

		if (info != NULL && info->msg_uidl != NULL)
			g_hash_table_add(present, info->msg_uidl);
	}
	g_hash_table_iter_init(&it, seen);
	while (g_hash_table_iter_next(&it, &uidl, NULL))
		if (!g_hash_table_contains(present, uidl))
			g_ptr_array_add(gone, uidl);
	if (gone->len == 0)
		return TRUE;
	if (!rd_store_begin(s, error))
		return FALSE;
	for (i = 0; i < gone->len; i++)
		if (!rd_store_fetch_seen_forget(s, source, gone->pdata[i], error))
			goto fail;
	if (rd_store_commit(s, error))
		return TRUE;
fail:
	rd_store_rollback(s);
	return FALSE;
}

/* Fetch and deliver one message, then remember its UIDL when the outcome
 * is final; FETCHED_STOP (with ERROR) on any temporary fault. */
static fetched_action
pop3_deliver(mailpop3 *pop, rd_store *s, const rd_context *o, const char *host,
             const char *source, const struct mailpop3_msg_info *info, const char *where,
             rd_fetch_stats *st, GError **error)
{
	g_autoptr(GBytes) data = NULL;
	fetched_action act;
	char *text = NULL;
	size_t len = 0;
	int r;

	if ((r = mailpop3_retr(pop, info->msg_index, &text, &len)) != MAILPOP3_NO_ERROR) {
		g_set_error(error, RD_ERROR, RD_TEMPFAIL,
		            "cannot fetch %s from %s (libetpan error %d)", where, host, r);
		return FETCHED_STOP;
	}
	data = g_bytes_new(text, len);
	mailpop3_retr_free(text);
	act = fetch_deliver(s, o, data, where, st, error);
	if ((act != FETCHED_TAKE && act != FETCHED_REFUSED) || info->msg_uidl == NULL)
		return act;
	/* Recorded only once the delivery is committed, in a transaction of
	 * its own: dying in between makes the next pass deliver it again,
	 * which rd_deliver()'s Message-ID duplicate check turns into a no-op.
	 * Recording first could lose the message. */
	if (!rd_store_fetch_seen_add(s, source, info->msg_uidl,
	                             act == FETCHED_TAKE ? "taken" : "refused",
	                             g_get_real_time() / G_USEC_PER_SEC, error)) {
		g_prefix_error(error, "%s: ", where);
		return FETCHED_STOP;
	}
	return act;
}

static gboolean
fetch_pop3(rd_store *s, const rd_context *o, const fetch_url *u, const char *password,
           gboolean insecure, const char *ca_file, rd_fetch_stats *st, GError **error)
{
	mailpop3 *pop = mailpop3_new(0, NULL);
	g_autofree char *source = pop3_source(u);
	g_autoptr(GHashTable) seen = NULL;
	carray *list = NULL;
	gboolean ok = FALSE, warned = FALSE;
	unsigned int i;
	int r;

	mailpop3_set_timeout(pop, 60);
	if (u->tls)
		r = mailpop3_ssl_connect(pop, u->host, u->port);
	else
		r = mailpop3_socket_connect(pop, u->host, u->port);
	if (r != MAILPOP3_NO_ERROR) {
		g_set_error(error, RD_ERROR, RD_TEMPFAIL,
		            "cannot connect to the POP3 server %s port %u (libetpan error %d)",
		            u->host, u->port, r);
		goto done;
	}
	if (!u->tls && (r = mailpop3_socket_starttls(pop)) != MAILPOP3_NO_ERROR) {
		g_set_error(error, RD_ERROR, RD_CONFIG,
		            "the POP3 server %s refused STLS (libetpan error %d)", u->host, r);
		goto done;
	}
	if (!insecure && !verify_peer(pop->pop3_stream, u->host, ca_file, error))
		goto done;
	if ((r = mailpop3_user(pop, u->user)) != MAILPOP3_NO_ERROR ||
	    (r = mailpop3_pass(pop, password)) != MAILPOP3_NO_ERROR) {
		g_set_error(error, RD_ERROR, RD_CONFIG,
		            "the POP3 server %s refused the login of %s (libetpan error %d)",
		            u->host, u->user, r);
		goto done;
	}
	if ((r = mailpop3_list(pop, &list)) != MAILPOP3_NO_ERROR) {
		g_set_error(error, RD_ERROR, RD_TEMPFAIL,
		            "POP3 LIST failed on %s (libetpan error %d)", u->host, r);
		goto done;
	}
	/* POP3 has no flags: what IMAP marks \Seen is remembered by UIDL. */
	seen = rd_store_fetch_seen(s, source, error);
	ok = seen != NULL && pop3_prune(s, source, list, seen, error);
	for (i = 0; ok && i < carray_count(list); i++) {
		struct mailpop3_msg_info *info = carray_get(list, i);
		g_autofree char *where = NULL;
		const char *before = NULL;
		fetched_action act;

		if (info == NULL || info->msg_deleted)
			continue;
		if (info->msg_uidl != NULL)
			before = g_hash_table_lookup(seen, info->msg_uidl);
		else if (!warned) {
			rd_log_warnx("the POP3 server %s gives no UIDL: refused messages are "
			             "fetched and reported again on every pass",
			             u->host);
			warned = TRUE;
		}
		/* Refused by an earlier pass, which reported it: left alone. */
		if (g_strcmp0(before, "refused") == 0)
			continue;
		where = g_strdup_printf("POP3 message %u (UIDL %s)", info->msg_index,
		                        info->msg_uidl ? info->msg_uidl : "none");
		if (g_strcmp0(before, "taken") == 0) {
			/* Stored by an earlier pass that never reached QUIT. */
			rd_log_info("fetch %s: stored by an earlier pass, deleted now", where);
			act = FETCHED_TAKE;
		} else {
			act = pop3_deliver(pop, s, o, u->host, source, info, where, st, error);
		}
		if (act == FETCHED_STOP) {
			ok = FALSE;
			break;
		}
		if (act == FETCHED_TAKE &&
		    (r = mailpop3_dele(pop, info->msg_index)) != MAILPOP3_NO_ERROR) {
			g_set_error(error, RD_ERROR, RD_TEMPFAIL,
			            "cannot delete %s on %s (libetpan error %d)", where, u->host,
			            r);
			ok = FALSE;
			break;
		}
	}
	/* QUIT commits the deletions of what was stored, also after a stop. */
	if (mailpop3_quit(pop) != MAILPOP3_NO_ERROR && ok) {
		g_set_error(error, RD_ERROR, RD_TEMPFAIL, "POP3 QUIT failed on %s", u->host);
		ok = FALSE;
	}
done:
	mailpop3_free(pop);
	return ok;
}

gboolean
rd_import_fetch(rd_store *s, const rd_context *o, const char *url, const char *password,
                gboolean insecure, const char *ca_file, rd_fetch_stats *st, GError **error)
{
	fetch_url u = {0};
	gboolean ok;

	if (!fetch_url_parse(url, &u, error))
		return FALSE;
	if (u.proto == FETCH_IMAP)
		ok = fetch_imap(s, o, &u, password, insecure, ca_file, st, error);
	else
		ok = fetch_pop3(s, o, &u, password, insecure, ca_file, st, error);
	fetch_url_clear(&u);
	return ok;
}

gboolean
rd_import_fetch_once(rd_store *s, const rd_context *o, const char *url, const char *password,
                     gboolean insecure, const char *ca_file, guint *fetched, GError **error)
{
	rd_fetch_stats st = {0};
	gboolean ok = rd_import_fetch(s, o, url, password, insecure, ca_file, &st, error);

	if (fetched)
		*fetched = st.fetched;
	return ok;
}
