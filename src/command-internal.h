/* command-internal.h - what the files of the command module share: the
 * state of the mail being handled and the functions one file calls in
 * another.  Not part of the module's API (that is command.h).
 */
#ifndef RD_COMMAND_INTERNAL_H
#define RD_COMMAND_INTERNAL_H

#include <json-glib/json-glib.h>

#include "command.h"

typedef struct {
	char *command;
	char *result;
} cmd_result;

typedef struct {
	char *what;
	char *token;
	char *address;
} cmd_confirmation;

typedef struct cmd_ctx cmd_ctx;
struct cmd_ctx {
	rd_store *s;
	const rd_context *o;
	const rd_community *c;
	rd_message *m;  /* the mail being handled, NULL for a held notice */
	char *from;     /* who wrote it (lower case) */
	rd_member *mem; /* the writer's membership, NULL when none */
	/* The writer is proven (a trusted Authentication-Results pass, a
	 * confirmation from their address, or a digest reply's token): their
	 * own changes and owner commands run at once (decide() in command.c). */
	gboolean proven;
	gint64 now;
	GPtrArray *results;  /* cmd_result* */
	GPtrArray *confirms; /* cmd_confirmation* for the writer */
	GString *deferred;   /* owner command lines waiting for confirmation */
	gboolean not_understood;
	gboolean quiet; /* no command reply (a welcome or goodbye says it all) */
	/* rd_command_run_line, set by rd_command_ctx_init: confirmed commands
	 * run through it, so command-confirm.c never calls up into command.c. */
	gboolean (*run_line)(cmd_ctx *x, const char *line, GError **error);
};

/* A verb of the table in command.c: ARGV[0] is the verb, ARGC the number
 * of words.  The answer for the writer goes into RES; FALSE only with ERROR
 * set (the mail fails). */
typedef gboolean cmd_verb(cmd_ctx *x, char **argv, guint argc, GString *res, GError **error);

/* ---- command-util.c: helpers for every file (it calls only command-mail.c) ---- */

/* The first word of LINE, lower case. */
char *rd_command_first_word(const char *line);
/* LINE without surrounding white space (no-break spaces included). */
char *rd_command_clean_line(const char *line);

gboolean rd_command_is_moderator(const rd_member *m);
/* The membership of ADDRESS, NULL (no error) when there is none. */
gboolean rd_command_member_lookup(cmd_ctx *x, const char *address, rd_member **out, GError **error);
gboolean rd_command_valid_delivery(const char *d);
gboolean rd_command_looks_like_address(const char *a);
/* "<addr>" and "mailto:addr" as people paste them, lower case. */
char *rd_command_clean_address(const char *a);
/* The membership in this community of person PID, NULL (no error) when
 * there is none. */
gboolean rd_command_person_member(cmd_ctx *x, gint64 pid, rd_member **out, GError **error);
/* The person and thread a command token names (*PID, *TID); FALSE with
 * the reason in RES when it is not valid here. */
gboolean rd_command_token_person(cmd_ctx *x, const char *token, gint64 *pid, gint64 *tid,
                                 GString *res);
/* As rd_command_token_person, and the conversation of this community it
 * names (*T): NULL, with the reason in RES, when either is not valid or
 * the person is no longer a member. */
gboolean rd_command_token_thread(cmd_ctx *x, const char *token, gint64 *pid, gint64 *tid,
                                 rd_thread_info **t, GString *res, GError **error);

/* Create a pending action and return its token. */
char *rd_command_pending_new(cmd_ctx *x, const char *kind, const char *address, gint64 person_id,
                             const char *payload, GError **error);
/* The +c-TOKEN@ address of TOKEN. */
char *rd_command_confirm_address(cmd_ctx *x, const char *token);
/* Ask the writer, in the command reply, to confirm WHAT with TOKEN. */
void rd_command_ask_writer(cmd_ctx *x, const char *what, const char *token);

/* ---- command.c: reading commands, the verb table, the reply ---- */

/* X for mail M (may be NULL) written by FROM; rd_command_ctx_clear frees
 * what it holds. */
void rd_command_ctx_init(cmd_ctx *x, rd_store *s, const rd_context *o, const rd_community *c,
                         rd_message *m, const char *from);
void rd_command_ctx_clear(cmd_ctx *x);

void rd_command_add_result(cmd_ctx *x, const char *command, const char *result);
/* Carry out one command line (owner commands and changes of one's own
 * settings may wait for confirmation). */
gboolean rd_command_run_line(cmd_ctx *x, const char *line, GError **error);
/* Carry out confirmation TOKEN (rd_command_run_confirm) and put its
 * answer first among the results; *TEXT (may be NULL) gets a copy. */
gboolean rd_command_confirm_result(cmd_ctx *x, const char *token, char **text, GError **error);
/* Queue the one reply with every result and confirmation request. */
gboolean rd_command_send_reply(cmd_ctx *x, GError **error);

/* ---- command-mail.c: templates and outgoing mail ---- */

gint64 rd_command_token_days(const rd_context *o);
/* The address of C with extension EXT (NULL: the list itself). */
char *rd_command_community_address(const rd_context *o, const rd_community *c,
                                   const char *ext);
/* Member KEY of B's object: VALUE, or null when VALUE is NULL. */
void rd_command_add_str(JsonBuilder *b, const char *key, const char *value);
/* rd_command_add_str with VALUE on one line: for anything from a header. */
void rd_command_add_field(JsonBuilder *b, const char *key, const char *value);
/* A builder with an open object holding the common template variables. */
JsonBuilder *rd_command_builder_new(cmd_ctx *x);
/* Template NAME rendered with B's object; *SUBJECT from its first line. */
char *rd_command_render(const rd_context *o, const rd_community *c, const char *name,
                        JsonBuilder *b, char **subject, GError **error);
/* Render template NAME and queue it to TO. */
gboolean rd_command_send_template(cmd_ctx *x, const char *name, JsonBuilder *b, gint64 person_id,
                                  const char *to, const char *reply_to, gboolean auto_reply,
                                  gboolean *sent, GError **error);

/* ---- command-confirm.c: confirmations ---- */

/* Carry out what TOKEN confirms; the answer goes into RES. */
gboolean rd_command_run_confirm(cmd_ctx *x, const char *token, GString *res, GError **error);
cmd_verb rd_command_verb_confirm;

/* ---- command-member.c: everyone's commands ---- */

/* Add ADDR as a member and send the welcome. */
gboolean rd_command_add_member(cmd_ctx *x, const char *addr, const char *name, const char *role,
                               const char *delivery, GError **error);
/* Remove PERSON_ID (address ADDR) and send the goodbye. */
gboolean rd_command_leave_now(cmd_ctx *x, const char *addr, gint64 person_id, GError **error);
cmd_verb rd_command_verb_help;
cmd_verb rd_command_verb_alias;
cmd_verb rd_command_verb_subscribe;
cmd_verb rd_command_verb_unsubscribe;
cmd_verb rd_command_verb_digest;
cmd_verb rd_command_verb_each;
cmd_verb rd_command_verb_pause;
cmd_verb rd_command_verb_resume;
cmd_verb rd_command_verb_timezone;
cmd_verb rd_command_verb_digest_time;
cmd_verb rd_command_verb_grouping;
cmd_verb rd_command_verb_mute;
cmd_verb rd_command_verb_settings;

/* ---- command-get.c: get CODE [attachments] ---- */

cmd_verb rd_command_verb_get;

/* ---- command-owner.c: owners' commands ---- */

cmd_verb rd_command_verb_add;
cmd_verb rd_command_verb_invite;
cmd_verb rd_command_verb_remove;
cmd_verb rd_command_verb_set;
cmd_verb rd_command_verb_who;
cmd_verb rd_command_verb_policy;
cmd_verb rd_command_verb_replies;

/* ---- command-moderation.c: held posts ---- */

/* Approve or reject the held post ROW for BY; the first decision wins. */
gboolean rd_command_decide(cmd_ctx *x, gint64 row, gboolean approve, gboolean allow,
                           const char *reason, const char *by, GString *res,
                           rd_moderate_outcome *outcome, GError **error);
cmd_verb rd_command_verb_held;
cmd_verb rd_command_verb_approve;
cmd_verb rd_command_verb_reject;

#endif
