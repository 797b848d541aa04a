/* store.h - the SQLite database: the only module that speaks SQL.
 *
 * WAL mode, busy_timeout, foreign keys, numbered migrations (PRAGMA
 * user_version), prepared statements only.  Every failure comes back as a
 * GError in RD_ERROR whose code is RD_TEMPFAIL for busy/locked/full/I-O
 * faults, so the MTA retries instead of bouncing.
 */
#ifndef RD_STORE_H
#define RD_STORE_H

#include "rounds.h"

typedef struct _rd_store rd_store;

typedef struct {
	gint64 id;
	char *name;   /* local part */
	char *domain;
	char *title;
	char *policy; /* open|members|announce */
	gboolean accept_auto;
	char *created;
} rd_community;

typedef struct {
	gint64 person_id;
	char *address;
	char *name;
	char *role;     /* member|poster|moderator|owner */
	char *delivery; /* each|digest|none */
	char *status;   /* active|... */
	double bounce_score;
	char *delivery_disabled_reason;
	char *timezone;
	char *digest_time;
	char *digest_frequency;
	int digest_day;
	char *grouping;
	char *created;
} rd_member;

typedef struct {
	char *filename;
	char *content_type;
	gint64 size;
	char *content_id;
} rd_attachment;
void rd_attachment_free(rd_attachment *a);

typedef struct {
	gint64 id;          /* row id */
	gint64 community_id;
	char *message_id;
	gint64 thread_id;   /* 0 when in no thread (held) */
	char *parent_message_id;
	char *fallback_parent; /* parent chosen by subject, for reference-less replies */
	char *from_addr;
	char *from_name;
	char *subject;
	char *norm_subject;
	gboolean is_reply;
	gint64 date;        /* unix time */
	char *date_text;    /* ISO 8601 with the sender's offset */
	gint64 arrived;
	char *status;       /* posted|held */
	char *hold_reason;
	char *body;
	gint64 posted_seq;  /* order of posting, 0 while held */
	GBytes *raw;
	char **refs;        /* cleaned reference chain, oldest first */
	GPtrArray *attachments; /* rd_attachment* */
} rd_stored_message;

typedef struct {
	gint64 id;
	gint64 community_id;
	char *subject;
	gint64 message_count;
	gint64 first_date;
	gint64 last_date;
} rd_thread_info;

/* Open (creating and migrating as needed) the database at PATH. */
rd_store *rd_store_open(const char *path, int busy_timeout_ms, GError **error);
void rd_store_close(rd_store *s);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(rd_store, rd_store_close)

/* Transactions: begin takes the write lock at once (BEGIN IMMEDIATE). */
gboolean rd_store_begin(rd_store *s, GError **error);
gboolean rd_store_commit(rd_store *s, GError **error);
void rd_store_rollback(rd_store *s);

/* Communities. */
gboolean rd_store_community_create(rd_store *s, const char *name, const char *domain,
				   const char *title, const char *policy, gint64 *id,
				   GError **error);
/* NULL with RD_NOTFOUND when there is no such community. */
rd_community *rd_store_community_get(rd_store *s, const char *name, const char *domain,
				     GError **error);
rd_community *rd_store_community_get_by_id(rd_store *s, gint64 id, GError **error);
GPtrArray *rd_store_community_list(rd_store *s, GError **error);
gboolean rd_store_community_set(rd_store *s, gint64 id, const char *key, const char *value,
				GError **error);
void rd_community_free(rd_community *c);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(rd_community, rd_community_free)

/* People and memberships. */
gboolean rd_store_person_ensure(rd_store *s, const char *address, const char *name,
				gint64 *id, GError **error);
gboolean rd_store_member_add(rd_store *s, gint64 community_id, gint64 person_id,
			     const char *role, const char *delivery, GError **error);
/* FALSE with RD_NOTFOUND when the address is not a member. */
gboolean rd_store_member_remove(rd_store *s, gint64 community_id, const char *address,
				GError **error);
/* Set one field of a membership (role, delivery, status) or of the person
 * (name, timezone, digest_time, digest_frequency, digest_day, grouping). */
gboolean rd_store_member_set(rd_store *s, gint64 community_id, const char *address,
			     const char *key, const char *value, GError **error);
/* NULL with RD_NOTFOUND when not a member. */
rd_member *rd_store_member_get(rd_store *s, gint64 community_id, const char *address,
			       GError **error);
GPtrArray *rd_store_member_list(rd_store *s, gint64 community_id, GError **error);
void rd_member_free(rd_member *m);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(rd_member, rd_member_free)

/* Messages.  insert fills m->id. */
gboolean rd_store_message_exists(rd_store *s, gint64 community_id, const char *message_id,
				 gboolean *exists, GError **error);
gboolean rd_store_message_insert(rd_store *s, rd_stored_message *m, GError **error);
/* NULL with RD_NOTFOUND.  with_raw: also load the raw bytes. */
rd_stored_message *rd_store_message_get(rd_store *s, gint64 community_id,
					const char *message_id, gboolean with_raw,
					GError **error);
/* All messages of a community (status NULL = any), ordered by date. */
GPtrArray *rd_store_message_list(rd_store *s, gint64 community_id, const char *status,
				 GError **error);
GPtrArray *rd_store_thread_messages(rd_store *s, gint64 thread_id, GError **error);
void rd_stored_message_free(rd_stored_message *m);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(rd_stored_message, rd_stored_message_free)

/* Threading support: the posted messages of a community whose Message-ID or
 * references contain ID (light rows: id, message_id, thread, refs, date,
 * subject fields). */
GPtrArray *rd_store_messages_touching(rd_store *s, gint64 community_id, const char *id,
				      GError **error);
/* The posted message of the most recent thread with NORM_SUBJECT dated in
 * [from, to], or NULL (no error) when there is none. */
rd_stored_message *rd_store_subject_match(rd_store *s, gint64 community_id,
					  const char *norm_subject, gint64 from, gint64 to,
					  GError **error);
/* Reference-less replies with NORM_SUBJECT dated in [from, to] that are
 * still alone at the root of their thread. */
GPtrArray *rd_store_subject_orphans(rd_store *s, gint64 community_id, const char *norm_subject,
				    gint64 from, gint64 to, GError **error);
/* The root message (no parent) of a thread, earliest first. */
rd_stored_message *rd_store_thread_root(rd_store *s, gint64 thread_id, GError **error);
gboolean rd_store_thread_create(rd_store *s, gint64 community_id, const char *subject,
				gint64 *id, GError **error);
/* Move every message of thread FROM into thread TO and delete FROM. */
gboolean rd_store_thread_merge(rd_store *s, gint64 from, gint64 to, GError **error);
gboolean rd_store_message_set_thread(rd_store *s, gint64 row, gint64 thread_id,
				     const char *parent_message_id, const char *fallback_parent,
				     GError **error);
/* Recompute the subject, counts and dates of a thread from its messages. */
gboolean rd_store_thread_refresh(rd_store *s, gint64 thread_id, GError **error);
GPtrArray *rd_store_thread_list(rd_store *s, gint64 community_id, GError **error);
rd_thread_info *rd_store_thread_get(rd_store *s, gint64 thread_id, GError **error);
void rd_thread_info_free(rd_thread_info *t);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(rd_thread_info, rd_thread_info_free)

/* ---- digests ---- */

typedef struct {
	gint64 person_id;
	char *address;
	char *name;
	char *timezone;
	char *digest_time;
	char *digest_frequency;
	int digest_day;
	char *grouping;
	char *paused_until;
	gint64 last_slot;   /* unix time of the last slot decided, 0 = never */
	gint64 joined;      /* earliest membership (unix), the start for newcomers */
} rd_digest_person;

typedef struct {
	gint64 community_id;
	char *name;
	char *domain;
	char *title;
	gint64 last_seq;    /* -1 when the person never had a digest here */
	gint64 joined;      /* membership created (unix) */
} rd_digest_membership;

/* Everyone with at least one active digest membership. */
GPtrArray *rd_store_digest_people(rd_store *s, GError **error);
/* One person (by address), or NULL with RD_NOTFOUND. */
rd_digest_person *rd_store_digest_person(rd_store *s, const char *address, GError **error);
/* The person's active digest memberships. */
GPtrArray *rd_store_digest_memberships(rd_store *s, gint64 person_id, GError **error);
/* Highest posted_seq in a community among messages that arrived before
 * BEFORE (unix), 0 when none. */
gboolean rd_store_max_seq_before(rd_store *s, gint64 community_id, gint64 before, gint64 *seq,
				 GError **error);
/* Count and highest seq of posted messages after FROM_SEQ not written by
 * EXCLUDE_ADDR; *max_seq is the highest seq overall (own messages too). */
gboolean rd_store_count_new(rd_store *s, gint64 community_id, gint64 from_seq,
			    const char *exclude_addr, gint64 *count, gint64 *max_seq,
			    GError **error);
gboolean rd_store_digest_advance(rd_store *s, gint64 person_id, gint64 community_id,
				 gint64 last_seq, GError **error);
gboolean rd_store_person_set_last_slot(rd_store *s, gint64 person_id, gint64 slot,
				       GError **error);
/* Posted messages of a community with FROM_SEQ < posted_seq <= TO_SEQ. */
GPtrArray *rd_store_messages_seq_range(rd_store *s, gint64 community_id, gint64 from_seq,
				       gint64 to_seq, GError **error);
/* Posted messages of a thread with posted_seq <= TO_SEQ (0: all). */
GPtrArray *rd_store_thread_messages_upto(rd_store *s, gint64 thread_id, gint64 to_seq,
					 GError **error);
void rd_digest_person_free(rd_digest_person *p);
void rd_digest_membership_free(rd_digest_membership *m);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(rd_digest_person, rd_digest_person_free)

/* ---- outbox ---- */

typedef struct {
	gint64 id;
	char *kind;          /* "digest" or "message" */
	gint64 person_id;    /* 0 when none */
	gint64 community_id; /* 0 when none */
	char *recipient;
	char *envelope_from;
	char *subject;
	char *payload;       /* digests: the frozen selection (JSON) */
	GBytes *data;        /* other kinds: the complete message */
	char *status;        /* queued, sent, failed */
	gint64 attempts;
	gint64 next_attempt;
	gint64 created;
	gint64 sent_at;
	gint64 last_code;
	char *last_reply;
} rd_outbox_item;

gboolean rd_store_outbox_add(rd_store *s, rd_outbox_item *item, GError **error);
/* Queued items due at NOW, oldest first, at most LIMIT (with data). */
GPtrArray *rd_store_outbox_due(rd_store *s, gint64 now, guint limit, GError **error);
/* Every item, newest first, without data. */
GPtrArray *rd_store_outbox_list(rd_store *s, GError **error);
/* Record the outcome of one attempt. */
gboolean rd_store_outbox_update(rd_store *s, gint64 id, const char *status, gint64 attempts,
				gint64 next_attempt, gint64 sent_at, gint64 code,
				const char *reply, GError **error);
/* Queue ID again now (failed or deferred); RD_NOTFOUND when there is none. */
gboolean rd_store_outbox_retry(rd_store *s, gint64 id, gint64 now, GError **error);
void rd_outbox_item_free(rd_outbox_item *item);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(rd_outbox_item, rd_outbox_item_free)

#endif
