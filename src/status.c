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

rd_status
rd_status_from_error(const GError *error)
{
	if (error != NULL && error->domain == RD_ERROR)
		return (rd_status)error->code;
	return RD_SOFTWARE;
}
