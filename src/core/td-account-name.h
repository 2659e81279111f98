/* td-account-name.h: which account names are accepted, and how names are shown
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* TRUE when name can be given to a new or renamed account; otherwise
 * TD_ERROR_FAILED saying what is wrong with it. Names must be valid UTF-8
 * without control characters or invisible formatting characters (bidi
 * overrides, zero-width spaces, line separators), so that what `list`
 * shows is what the account is called. */
gboolean  td_account_name_check         (const char  *name,
                                         GError     **error);

/* name as it may be printed on a terminal or shown: every character that
 * td_account_name_check() refuses written as \uXXXX (a byte that is not
 * UTF-8 as \xXX). For names already in a file from before the check. */
char     *td_account_name_dup_printable (const char  *name);

G_END_DECLS
