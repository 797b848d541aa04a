/* cmd-internal.h - helpers shared by the cmd-*.c files only (prefix cli_).
 *
 * Nothing outside the command line includes this header: the public face of
 * the CLI is cmd.h.
 */
#ifndef RD_CMD_INTERNAL_H
#define RD_CMD_INTERNAL_H

#include "cmd.h"

/* --json output.  One rule for every verb: a missing value (NULL) is
 * null, never "" (README, "JSON output").  Each adds member NAME to the
 * object being built. */
void cli_json_string(JsonBuilder *b, const char *name, const char *value);
void cli_json_int(JsonBuilder *b, const char *name, gint64 value);
void cli_json_double(JsonBuilder *b, const char *name, double value);
void cli_json_bool(JsonBuilder *b, const char *name, gboolean value);

/* Print what B built (pretty) and a newline to stdout. */
void cli_json_print(JsonBuilder *b);

#endif
