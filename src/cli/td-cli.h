/* td-cli.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* TRUE when arg (argv[1]) names a command-line command: main() then calls
 * td_cli_run() instead of starting the GTK application. */
gboolean td_cli_is_command (const char *arg);

/* Runs the command in argv[1] and returns the process exit status:
 * 0 success, 1 the vendor refused, 2 usage, 3 vendor unreachable or
 * unusable answer, 4 keyring unavailable. Needs no display and does not
 * initialise GTK. */
int      td_cli_run        (int         argc,
                            char      **argv);

G_END_DECLS
