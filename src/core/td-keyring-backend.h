/* td-keyring-backend.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* libsecret's file backend, the one it uses inside Flatpak (and Snap): an
 * encrypted file whose key the Secret portal hands out. libsecret opens it
 * once per process; these open it the way that works with libsecret
 * 0.20.5, and open it again to see what other processes wrote. */

gboolean td_keyring_backend_is_file   (void);

void     td_keyring_backend_open_async  (gboolean             reopen,
                                         GCancellable        *cancellable,
                                         GAsyncReadyCallback  callback,
                                         gpointer             user_data);
gboolean td_keyring_backend_open_finish (GAsyncResult        *result,
                                         GError             **error);

G_END_DECLS
