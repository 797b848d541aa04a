/* command.c - command emails (to be completed: issue 5). */
#include "command.h"

rd_status
rd_command_deliver(rd_store *s, const rd_deliver_opts *o, const rd_community *c,
		   const rd_address *a, GBytes *data, rd_deliver_result *result, GError **error)
{
	g_set_error(error, RD_ERROR, RD_UNAVAIL,
		    "Mail to the %s address of %s@%s is not enabled on this server yet.",
		    rd_address_kind_name(a->kind), c->name, c->domain);
	return RD_UNAVAIL;
}

gboolean
rd_command_held_notice(rd_store *s, const rd_deliver_opts *o, const rd_community *c, gint64 row,
		       const char *reason, GError **error)
{
	return TRUE;
}
