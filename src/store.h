/* store.h - the SQLite database: the only module that speaks SQL.
 *
 * WAL mode, busy_timeout, foreign keys, numbered migrations (PRAGMA
 * user_version), prepared statements only.  Every failure comes back as a
 * GError in RD_ERROR whose code is RD_TEMPFAIL for busy/locked/full/I-O
 * faults, so the MTA retries instead of bouncing.
 *
 * The declarations come in sections by the data they touch, one section
 * per store-*.c file (store-internal.h lists them with their tables).
 */
#ifndef RD_STORE_H
#define RD_STORE_H

#include "rounds.h"

typedef struct _rd_store rd_store;

/* Open (creating and migrating as needed) the database at PATH. */
rd_store *rd_store_open(const char *path, int busy_timeout_ms, GError **error);
void rd_store_close(rd_store *s);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(rd_store, rd_store_close)

/* FULL (the default) makes every commit durable before it returns; NORMAL
 * (WAL) may lose the last commits on a power failure, never on a crash. */
gboolean rd_store_set_durable(rd_store *s, gboolean full, GError **error);

/* Transactions: begin takes the write lock at once (BEGIN IMMEDIATE). */
gboolean rd_store_begin(rd_store *s, GError **error);
gboolean rd_store_commit(rd_store *s, GError **error);
void rd_store_rollback(rd_store *s);

/* A batch: one transaction around many.  Inside it, begin, commit and
 * rollback work on a savepoint, so each message still stores whole or not
 * at all, and the batch costs one commit (one sync).  A crash loses the
 * uncommitted batch only; callers must be idempotent (rounds import). */
gboolean rd_store_batch_begin(rd_store *s, GError **error);
gboolean rd_store_batch_commit(rd_store *s, GError **error);
void rd_store_batch_rollback(rd_store *s);

/* Copy the WAL into the database without waiting for anyone (the
 * scheduler's job: processes leave the WAL in place when they exit). */
gboolean rd_store_checkpoint(rd_store *s, GError **error);

/* ---- communities and their settings (store-community.c) ---- */

typedef struct {
	gint64 id;
	char *name;   /* local part */
	char *domain;
	char *title;
	char *policy; /* open|members|announce */
	gboolean accept_auto;
	char *created;
} rd_community;
void rd_community_free(rd_community *c);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(rd_community, rd_community_free)

gboolean rd_store_community_create(rd_store *s, const char *name, const char *domain,
				   const char *title, const char *policy, gint64 *id,
				   GError **error);

/* NULL with RD_NOTFOUND when there is no such community. */
rd_community *rd_store_community_get(rd_store *s, const char *name, const char *domain,
				     GError **error);
rd_community *rd_store_community_get_by_id(rd_store *s, gint64 id, GError **error);
GPtrArray *rd_store_community_list(rd_store *s, GError **error);

/* The distinct domains of all communities (char*, lower case); NULL on error. */
GPtrArray *rd_store_community_domains(rd_store *s, GError **error);
gboolean rd_store_community_set(rd_store *s, gint64 id, const char *key, const char *value,
				GError **error);

/* How a community's list copies look (communities columns of migration 3). */
typedef struct {
	gboolean subject_prefix; /* "[name] " in front of subjects */
	char *footer;            /* NULL: no footer (the default: footers break DKIM) */
	char *reply_to;          /* "list" or "author" */
	char *dmarc_mitigation;  /* "never" or "always" */
	char *archive_url;       /* NULL: no List-Archive */
} rd_fanout_settings;
void rd_fanout_settings_free(rd_fanout_settings *f);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(rd_fanout_settings, rd_fanout_settings_free)

/* The list-copy settings of a community; NULL with RD_NOTFOUND. */
rd_fanout_settings *rd_store_fanout_settings(rd_store *s, gint64 community_id, GError **error);

/* Set one of subject_prefix ("1"/"0"), footer, reply_to, dmarc_mitigation,
 * archive_url (NULL clears footer and archive_url). */
gboolean rd_store_fanout_set(rd_store *s, gint64 community_id, const char *key,
			     const char *value, GError **error);

/* Whether a community nudges its members (welcome, waiting questions). */
gboolean rd_store_community_nudges(rd_store *s, gint64 community_id, gboolean *on,
				   GError **error);
gboolean rd_store_community_set_nudges(rd_store *s, gint64 community_id, gboolean on,
				       GError **error);

/* Where digest replies go in a community: "list" or "owners". */
gboolean rd_store_command_replies(rd_store *s, gint64 community_id, char **mode, GError **error);
gboolean rd_store_command_set_replies(rd_store *s, gint64 community_id, const char *mode,
				      GError **error);

/* ---- screening for patient identifiers (store-screen.c) ---- */

/* "hold" or "off" for community C. */
gboolean rd_store_screen_mode(rd_store *s, gint64 community_id, char **mode, GError **error);
gboolean rd_store_screen_set_mode(rd_store *s, gint64 community_id, const char *mode,
				  GError **error);
/* Add WORD to the community's allowlist (again: nothing changes). */
gboolean rd_store_screen_allow_add(rd_store *s, gint64 community_id, const char *word,
				   GError **error);
/* The allowlist alone (char*); NULL on error. */
GPtrArray *rd_store_screen_allow_list(rd_store *s, gint64 community_id, GError **error);
/* What screening allows in community C: its allowlist and its members'
 * names and addresses (char*); NULL on error. */
GPtrArray *rd_store_screen_allowed(rd_store *s, gint64 community_id, GError **error);

/* ---- people, memberships and alternate addresses (store-member.c) ---- */

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
void rd_member_free(rd_member *m);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(rd_member, rd_member_free)

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

/* Turn self-copies of the member ADDRESS on or off. */
gboolean rd_store_fanout_self_copy(rd_store *s, gint64 community_id, const char *address,
				   gboolean on, GError **error);

/* Active "each" members of a community, without AUTHOR unless they asked
 * for self-copies: person ids into IDS (gint64), addresses into ADDRS. */
gboolean rd_store_fanout_recipients(rd_store *s, gint64 community_id, const char *author,
				    GArray *ids, GPtrArray *addrs, GError **error);

/* Whether PERSON_ID is still an active "each" member of the community. */
gboolean rd_store_fanout_member_active(rd_store *s, gint64 community_id, gint64 person_id,
				       gboolean *active, GError **error);

/* The person writing from ADDRESS (their own address or a recorded
 * alternate, case-insensitive): FALSE with RD_NOTFOUND when nobody. */
gboolean rd_store_reply_person_by_address(rd_store *s, const char *address, gint64 *person_id,
					  GError **error);

/* The person whose own address is ADDRESS (alternates not counted);
 * RD_NOTFOUND. */
gboolean rd_store_person_id(rd_store *s, const char *address, gint64 *person_id, GError **error);

/* The person's alternate addresses (char*), sorted; NULL on error. */
GPtrArray *rd_store_person_aliases(rd_store *s, gint64 person_id, GError **error);

/* Forget one alternate address of the person; RD_NOTFOUND when it is not one. */
gboolean rd_store_person_alias_remove(rd_store *s, gint64 person_id, const char *address,
                                      GError **error);

/* The person's own address and name (either may be NULL); RD_NOTFOUND. */
gboolean rd_store_reply_person_get(rd_store *s, gint64 person_id, char **address, char **name,
				   GError **error);

/* Record ADDRESS as another address of PERSON_ID, unless someone already
 * writes from it (as their own address or an alternate): an address is
 * never taken over.  *OWNER is who writes from it afterwards; *ADDED says
 * whether this call recorded it. */
gboolean rd_store_person_alias_add(rd_store *s, gint64 person_id, const char *address,
				   gint64 *owner, gboolean *added, GError **error);

/* Record ADDRESS as another address of PERSON_ID (taking it over). */
gboolean rd_store_reply_add_address(rd_store *s, gint64 person_id, const char *address,
				    GError **error);

/* ---- messages and their moderation (store-message.c) ---- */

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
void rd_stored_message_free(rd_stored_message *m);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(rd_stored_message, rd_stored_message_free)

gboolean rd_store_message_exists(rd_store *s, gint64 community_id, const char *message_id,
				 gboolean *exists, GError **error);

/* Fills m->id. */
gboolean rd_store_message_insert(rd_store *s, rd_stored_message *m, GError **error);

/* NULL with RD_NOTFOUND.  with_raw: also load the raw bytes. */
rd_stored_message *rd_store_message_get(rd_store *s, gint64 community_id,
					const char *message_id, gboolean with_raw,
					GError **error);

/* All messages of a community (status NULL = any), ordered by date. */
GPtrArray *rd_store_message_list(rd_store *s, gint64 community_id, const char *status,
				 GError **error);

/* A stored message by row (no references or attachments); NULL with
 * RD_NOTFOUND. */
rd_stored_message *rd_store_fanout_message(rd_store *s, gint64 row, gboolean with_raw,
					   GError **error);

/* A posted message by Message-ID in any community (with references), or
 * NULL with RD_NOTFOUND. */
rd_stored_message *rd_store_reply_posted(rd_store *s, gint64 community_id,
					 const char *message_id, GError **error);

/* Bodies of the latest LIMIT posted messages from ADDRESS in a community. */
GPtrArray *rd_store_reply_previous_bodies(rd_store *s, gint64 community_id,
					  const char *address, guint limit, GError **error);

/* Posted messages of a community with FROM_SEQ < posted_seq <= TO_SEQ. */
GPtrArray *rd_store_messages_seq_range(rd_store *s, gint64 community_id, gint64 from_seq,
				       gint64 to_seq, GError **error);

/* Decide the held message ROW of a community: approving posts it with a
 * fresh posted_seq (the caller threads it and queues its fan-out in the
 * same transaction); *WON is FALSE when it was no longer held. */
gboolean rd_store_command_decide(rd_store *s, gint64 community_id, gint64 row, gboolean approve,
				 const char *by, const char *reason, gint64 now, gboolean *won,
				 GError **error);

/* The recorded decision on ROW ("approved", "rejected") and who made it,
 * NULL when none. */
gboolean rd_store_command_decision(rd_store *s, gint64 row, char **decision, char **by,
				   GError **error);

/* ---- threads (store-thread.c) ---- */

typedef struct {
	gint64 id;
	gint64 community_id;
	char *subject;
	gint64 message_count;
	gint64 first_date;
	gint64 last_date;
} rd_thread_info;
void rd_thread_info_free(rd_thread_info *t);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(rd_thread_info, rd_thread_info_free)

/* A thread by id; an id merged away answers with the thread that absorbed
 * it (t->id is then the live id).  So do rd_store_thread_messages,
 * rd_store_thread_messages_upto, rd_store_reply_latest and
 * rd_store_mute_set, which take ids from tokens. */
rd_thread_info *rd_store_thread_get(rd_store *s, gint64 thread_id, GError **error);

GPtrArray *rd_store_thread_list(rd_store *s, gint64 community_id, GError **error);
GPtrArray *rd_store_thread_messages(rd_store *s, gint64 thread_id, GError **error);

/* Posted messages of a thread with posted_seq <= TO_SEQ (0: all). */
GPtrArray *rd_store_thread_messages_upto(rd_store *s, gint64 thread_id, gint64 to_seq,
					 GError **error);

/* The thread's latest posted message (with references); NULL with
 * RD_NOTFOUND when the thread has none. */
rd_stored_message *rd_store_reply_latest(rd_store *s, gint64 thread_id, GError **error);

/* Threading support, one statement whatever the number of references:
 * append to THREADS (GArray of gint64) the distinct threads of the posted
 * messages that message ROW names in its references, or that name ROW or
 * share a reference with it. */
gboolean rd_store_thread_touching(rd_store *s, gint64 community_id, gint64 row, GArray *threads,
				  GError **error);

/* The posted messages of THREAD_ID plus message ROW as light rows (id,
 * message_id, thread_id, parent_message_id, fallback_parent, date, refs;
 * no bodies), in two statements. */
GPtrArray *rd_store_thread_nodes(rd_store *s, gint64 thread_id, gint64 row, GError **error);

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

/* Move every message of thread FROM into thread TO and delete FROM; FROM
 * stays an alias of TO, and its mutes and filed replies move to TO. */
gboolean rd_store_thread_merge(rd_store *s, gint64 from, gint64 to, GError **error);

gboolean rd_store_message_set_thread(rd_store *s, gint64 row, gint64 thread_id,
				     const char *parent_message_id, const char *fallback_parent,
				     GError **error);

/* Recompute the subject, counts and dates of a thread from its messages. */
gboolean rd_store_thread_refresh(rd_store *s, gint64 thread_id, GError **error);

/* ---- digests: positions, slots, pauses and mutes (store-digest.c) ---- */

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
void rd_digest_person_free(rd_digest_person *p);
void rd_digest_membership_free(rd_digest_membership *m);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(rd_digest_person, rd_digest_person_free)

/* Everyone with at least one active digest membership. */
GPtrArray *rd_store_digest_people(rd_store *s, GError **error);

/* One person (by address), or NULL with RD_NOTFOUND. */
rd_digest_person *rd_store_digest_person(rd_store *s, const char *address, GError **error);

/* The person's active digest memberships. */
GPtrArray *rd_store_digest_memberships(rd_store *s, gint64 person_id, GError **error);

/* A question waiting for PERSON_ID (address ADDRESS): the last post of a
 * conversation they wrote in, by someone else, with a question mark,
 * dated in [FROM, TO), in a community with nudges on where they read
 * digests, not muted.  The one that has waited longest. */
typedef struct {
	gint64 community_id;
	gint64 thread_id;
	char *subject;
	char *author; /* name, else address */
	gint64 date;
} rd_digest_waiting;
void rd_digest_waiting_free(rd_digest_waiting *w);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(rd_digest_waiting, rd_digest_waiting_free)
/* *OUT is NULL when there is none. */
gboolean rd_store_digest_waiting(rd_store *s, gint64 person_id, const char *address, gint64 from,
				 gint64 to, rd_digest_waiting **out, GError **error);

/* Highest posted_seq in a community among messages that arrived before
 * BEFORE (unix), 0 when none. */
gboolean rd_store_max_seq_before(rd_store *s, gint64 community_id, gint64 before, gint64 *seq,
				 GError **error);

/* Count and highest seq of posted messages after FROM_SEQ not written by
 * EXCLUDE_ADDR nor in a thread PERSON_ID muted; *max_seq is the highest
 * seq overall (own and muted messages too). */
gboolean rd_store_count_new(rd_store *s, gint64 community_id, gint64 from_seq,
			    gint64 person_id, const char *exclude_addr, gint64 *count,
			    gint64 *max_seq, GError **error);

gboolean rd_store_digest_advance(rd_store *s, gint64 person_id, gint64 community_id,
				 gint64 last_seq, GError **error);
gboolean rd_store_person_set_last_slot(rd_store *s, gint64 person_id, gint64 slot,
				       GError **error);

/* A person's paused_until (NULL when not paused), and setting it. */
gboolean rd_store_command_paused(rd_store *s, gint64 person_id, char **until, GError **error);
gboolean rd_store_command_set_paused(rd_store *s, gint64 person_id, const char *until,
				     GError **error);

/* Mute (or follow again) a conversation for a person. */
gboolean rd_store_mute_set(rd_store *s, gint64 person_id, gint64 community_id, gint64 thread_id,
			   gboolean mute, gint64 now, GError **error);

/* The set of thread ids (gint64*) PERSON_ID muted: digests skip them. */
GHashTable *rd_store_mute_threads(rd_store *s, gint64 person_id, GError **error);

/* ---- outbox (store-outbox.c) ---- */

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
void rd_outbox_item_free(rd_outbox_item *item);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(rd_outbox_item, rd_outbox_item_free)

gboolean rd_store_outbox_add(rd_store *s, rd_outbox_item *item, GError **error);

/* Queued items due at NOW, oldest first, at most LIMIT (with data). */
GPtrArray *rd_store_outbox_due(rd_store *s, gint64 now, guint limit, GError **error);

/* Every item, newest first, without data. */
GPtrArray *rd_store_outbox_list(rd_store *s, GError **error);

/* One outbox item (without data); NULL with RD_NOTFOUND. */
rd_outbox_item *rd_store_reply_outbox_get(rd_store *s, gint64 id, GError **error);

/* One outbox item with its data; NULL with RD_NOTFOUND. */
rd_outbox_item *rd_store_outbox_get(rd_store *s, gint64 id, GError **error);

/* Record the outcome of one attempt. */
gboolean rd_store_outbox_update(rd_store *s, gint64 id, const char *status, gint64 attempts,
				gint64 next_attempt, gint64 sent_at, gint64 code,
				const char *reply, GError **error);

/* Queue ID again now (failed or deferred); RD_NOTFOUND when there is none. */
gboolean rd_store_outbox_retry(rd_store *s, gint64 id, gint64 now, GError **error);

/* ---- bounces (store-bounce.c) ---- */

/* One membership's bounce state. */
typedef struct {
	gint64 person_id;
	char *address;
	char *role;
	char *status;      /* active, disabled, ... */
	char *reason;      /* delivery_disabled_reason or NULL */
	double score;
	gint64 last;       /* unix time of the last scored bounce, 0 = never */
	char *day;         /* UTC day (YYYY-MM-DD) of the last scored bounce, or NULL */
	double day_points; /* points scored on that day */
} rd_fanout_bounce_state;
void rd_fanout_bounce_state_free(rd_fanout_bounce_state *b);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(rd_fanout_bounce_state, rd_fanout_bounce_state_free)

/* NULL with RD_NOTFOUND when PERSON_ID is not a member. */
rd_fanout_bounce_state *rd_store_bounce_state(rd_store *s, gint64 community_id,
					      gint64 person_id, GError **error);

/* Write back score, last, day, day_points, status and reason. */
gboolean rd_store_bounce_state_save(rd_store *s, gint64 community_id,
				    const rd_fanout_bounce_state *b, GError **error);

/* Log one event (permanent, temporary, delayed, auto-reply, disabled,
 * re-enabled, ignored) for the member. */
gboolean rd_store_bounce_event(rd_store *s, gint64 community_id, gint64 person_id, gint64 at,
			       const char *kind, const char *detail, GError **error);

/* Number of events of KIND (NULL: any) logged for the member. */
gboolean rd_store_bounce_event_count(rd_store *s, gint64 community_id, gint64 person_id,
				     const char *kind, gint64 *count, GError **error);

/* ---- kept digest replies (store-kept.c) ---- */

/* A digest reply kept because its conversation could not be told. */
typedef struct {
	gint64 id;
	gint64 community_id;
	gint64 person_id;
	gint64 outbox_id;   /* the digest it answered */
	char *message_id;
	char *from_addr;
	char *subject;
	char *body;         /* the trimmed text */
	GBytes *raw;
	char *choices;      /* Message-IDs, one per line, in the order offered */
	char *status;       /* kept|filed */
	gint64 thread_id;   /* where it was filed, 0 while kept */
	gint64 created;
} rd_kept_reply;
void rd_kept_reply_free(rd_kept_reply *k);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(rd_kept_reply, rd_kept_reply_free)

/* Keep K (fills k->id); get one by id (NULL with RD_NOTFOUND); mark one filed. */
gboolean rd_store_reply_keep(rd_store *s, rd_kept_reply *k, GError **error);
rd_kept_reply *rd_store_reply_kept_get(rd_store *s, gint64 id, GError **error);
gboolean rd_store_reply_kept_filed(rd_store *s, gint64 id, gint64 thread_id, GError **error);

/* Every kept reply of a community, oldest first (without raw). */
GPtrArray *rd_store_reply_kept_list(rd_store *s, gint64 community_id, GError **error);

/* ---- commands: pending confirmations and automatic replies (store-command.c) ---- */

/* An action that waits for a confirmation from ADDRESS through a
 * COMMUNITY+c-TOKEN@ reply (token: RD_TOKEN_PENDING, id, nonce). */
typedef struct {
	gint64 id;
	gint64 community_id;
	char *kind;       /* subscribe, unsubscribe, invite, owner, approve, reject */
	char *address;    /* who must confirm */
	gint64 person_id; /* 0 when none */
	char *payload;    /* kind-specific text */
	gint64 nonce;
	gint64 created;
	gint64 expires;   /* unix time */
	gint64 used;      /* unix time of use, 0 while unused */
} rd_pending_action;
void rd_pending_action_free(rd_pending_action *p);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(rd_pending_action, rd_pending_action_free)

/* Store P (fills p->id). */
gboolean rd_store_pending_add(rd_store *s, rd_pending_action *p, GError **error);

/* NULL with RD_NOTFOUND when there is no such action. */
rd_pending_action *rd_store_pending_get(rd_store *s, gint64 id, GError **error);

/* Mark action ID used at NOW; *WON is FALSE when it already was. */
gboolean rd_store_pending_use(rd_store *s, gint64 id, gint64 now, gboolean *won, GError **error);

/* Log one automatic reply to ADDRESS at NOW unless LIMIT were sent in the
 * last 24 hours (*ALLOWED tells which). */
gboolean rd_store_autoreply_take(rd_store *s, const char *address, gint64 now, int limit,
				 gboolean *allowed, GError **error);

/* ---- POP3 messages fetch has handled (store-fetch.c) ---- */

/* UIDL -> outcome ("taken", "refused") of the messages of the mailbox
 * SOURCE that fetch has handled. */
GHashTable *rd_store_fetch_seen(rd_store *s, const char *source, GError **error);

/* Remember (or update) the outcome of UIDL in SOURCE. */
gboolean rd_store_fetch_seen_add(rd_store *s, const char *source, const char *uidl,
				 const char *outcome, gint64 now, GError **error);

/* Forget UIDL, gone from the server: UIDLs may be reused once deleted. */
gboolean rd_store_fetch_seen_forget(rd_store *s, const char *source, const char *uidl,
				    GError **error);

/* ---- vitality report rows (store-report.c, for report.c) ---- */

/* One posted message, as the vitality report needs it. */
typedef struct {
	gint64 id;
	char *message_id;
	char *parent_message_id; /* threading parent (a stored post), NULL for a root */
	char *author;            /* lower-cased From address */
	gint64 date;             /* unix time of the Date header */
	gint64 thread_id;
	char *subject;           /* the thread's subject */
} rd_report_post;
void rd_report_post_free(rd_report_post *p);

/* One membership, as the vitality report needs it. */
typedef struct {
	char *address;  /* lower case */
	char *role;
	char *delivery; /* each|digest|none */
	char *status;
	double bounce_score;
	char *disabled_reason;
	char *created;      /* ISO 8601 */
	char *paused_until; /* ISO 8601 or NULL */
} rd_report_member;
void rd_report_member_free(rd_report_member *m);

/* Every posted message of COMMUNITY_ID (rd_report_post*, by date then id)
 * and every membership (rd_report_member*, by address). */
gboolean rd_store_report_rows(rd_store *s, gint64 community_id, GPtrArray **posts,
			      GPtrArray **members, GError **error);
/* *LEFT: how many people left COMMUNITY_ID (their membership deleted)
 * in SINCE <= time < UNTIL. */
gboolean rd_store_report_left(rd_store *s, gint64 community_id, gint64 since, gint64 until,
			      gint64 *left, GError **error);
/* *SENT: a weekly report (outbox kind "report") to PERSON_ID about
 * COMMUNITY_ID was queued at or after SINCE. */
gboolean rd_store_report_sent(rd_store *s, gint64 community_id, gint64 person_id, gint64 since,
			      gboolean *sent, GError **error);

#endif
