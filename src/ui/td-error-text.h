/* td-error-text.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* A short heading for what went wrong ("Wrong Username or Password"); the
 * error's own message, with the vendor's words, goes under it. */
const char *td_error_get_title (const GError *error);
/* What the user can do about it, or NULL. */
const char *td_error_get_hint  (const GError *error);

G_END_DECLS
