/* td-expiry-text.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* "expires in 42 min", "expired 3 min ago", "does not expire"; NULL when
 * there is no token (expires_at 0). out_next_change receives the wall-clock
 * second at which the text changes next, or 0 if it never does. */
char *td_expiry_text (gint64  expires_at,
                      gint64  now,
                      gint64 *out_next_change);

/* "handed out 2 min ago to curl": when another program last got a token.
 * out_next_change as for td_expiry_text(). */
char *td_handed_out_text (gint64      handed_out_at,
                          const char *program,
                          gint64      now,
                          gint64     *out_next_change);

G_END_DECLS
