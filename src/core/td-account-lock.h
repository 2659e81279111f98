/* td-account-lock.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* A lock per account shared by every Token Desk process of the user (the
 * app, its windows, any number of `tokendesk token`), so that only one of
 * them renews a token at a time: Cover Whale invalidates every token on
 * each authentication. Held until freed. */
typedef struct _TdAccountLock TdAccountLock;

void           td_account_lock_acquire_async  (const char          *account_id,
                                               GCancellable        *cancellable,
                                               GAsyncReadyCallback  callback,
                                               gpointer             user_data);
TdAccountLock *td_account_lock_acquire_finish (GAsyncResult        *result,
                                               GError             **error);
void           td_account_lock_release        (TdAccountLock       *lock);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (TdAccountLock, td_account_lock_release)

G_END_DECLS
