/* status.c - the one mapping from rd_status to sysexits codes. */
#include <sysexits.h>

#include "rounds.h"

G_DEFINE_QUARK(rd - error - quark, rd_error)

int
rd_status_exit(rd_status st)
{
	switch (st) {
	case RD_OK:
		return EX_OK;
	case RD_USAGE:
		return EX_USAGE;
	case RD_DATAERR:
		return EX_DATAERR;
	case RD_NOUSER:
		return EX_NOUSER;
	case RD_UNAVAIL:
		return EX_UNAVAILABLE;
	case RD_CANTCREAT:
		return EX_CANTCREAT;
	case RD_IOERR:
		return EX_IOERR;
	case RD_TEMPFAIL:
		return EX_TEMPFAIL;
	case RD_NOPERM:
		return EX_NOPERM;
	case RD_CONFIG:
		return EX_CONFIG;
	case RD_NOTFOUND:
		return EX_NOINPUT;
	case RD_SOFTWARE:
		break;
	}
	return EX_SOFTWARE;
}

int
rd_status_mta_exit(rd_status st)
{
	switch (st) {
	case RD_OK:
	case RD_USAGE: /* the MTA's command line is wrong: its admin must see it */
	case RD_DATAERR:
	case RD_NOUSER:
	case RD_UNAVAIL:
	case RD_NOPERM:
		return rd_status_exit(st);
	default:
		/* Postfix and OpenSMTPD bounce on 70 (EX_SOFTWARE) and 66: a bug
		 * or a broken database must not cost the sender their mail. */
		return EX_TEMPFAIL;
	}
}

rd_status
rd_status_from_error(const GError *error)
{
	if (error != NULL && error->domain == RD_ERROR)
		return (rd_status)error->code;
	return RD_SOFTWARE;
}
