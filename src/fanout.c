/* fanout.c - every-message delivery and bounces (to be completed: issue 6). */
#include "fanout.h"

gboolean
rd_fanout_enqueue(rd_store *s, const rd_deliver_opts *o, const rd_community *c, gint64 row,
		  GError **error)
{
	return TRUE;
}

GBytes *
rd_fanout_render(rd_store *s, const rd_outbox_item *item, GBytes *secret, char delimiter,
		 GError **error)
{
	g_set_error(error, RD_ERROR, RD_NOTFOUND, "every-message delivery is not enabled yet");
	return NULL;
}

rd_status
rd_fanout_bounce(rd_store *s, const rd_deliver_opts *o, const rd_community *c,
		 const struct _rd_address *a, GBytes *data, rd_deliver_result *result,
		 GError **error)
{
	g_set_error(error, RD_ERROR, RD_UNAVAIL,
		    "Bounce processing is not enabled on this server yet.");
	return RD_UNAVAIL;
}
