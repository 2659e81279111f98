/* td-fuzz.h: what every libFuzzer harness of tests/fuzz/ shares
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>
#include <stddef.h>
#include <stdint.h>

G_BEGIN_DECLS

/* libFuzzer's entry points, declared here for -Wmissing-declarations. */
int         LLVMFuzzerInitialize   (int            *argc,
                                    char         ***argv);
int         LLVMFuzzerTestOneInput (const uint8_t  *data,
                                    size_t          size);

/* Once per process: warnings and criticals abort (a crash for libFuzzer,
 * as G_DEBUG=fatal-criticals makes them in the suite), debug output is
 * dropped (its formatting is still run), the vendors are registered. */
void        td_fuzz_init           (void);

/* A private folder for the harnesses that need files, removed at exit. */
const char *td_fuzz_get_tmp_dir    (void);

G_END_DECLS
