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

/* Whether the in-flight mark (see td-account-lock.c) is set. Just after
 * the lock was taken, TRUE means that a renewal that revokes the tokens
 * before it died between calling the vendor and storing what it answered:
 * the keyring's tokens may be revoked. */
gboolean       td_account_lock_is_marked      (TdAccountLock       *lock);

/* Sets (before such a vendor call) or clears (once its tokens are in the
 * keyring) the mark, synced to disk, in a thread. */
void           td_account_lock_mark_async     (TdAccountLock       *lock,
                                               gboolean             in_flight,
                                               GAsyncReadyCallback  callback,
                                               gpointer             user_data);
gboolean       td_account_lock_mark_finish    (GAsyncResult        *result,
                                               GError             **error);

/* Whether the account's mark is set, without taking the lock: before a
 * token read from the keyring is handed out. A renewal may be in flight
 * in another process, or may have died; either way the token may be
 * revoked, and the caller renews under the lock instead. */
void           td_account_lock_peek_mark_async  (const char          *account_id,
                                                 GCancellable        *cancellable,
                                                 GAsyncReadyCallback  callback,
                                                 gpointer             user_data);
gboolean       td_account_lock_peek_mark_finish (GAsyncResult        *result,
                                                 GError             **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (TdAccountLock, td_account_lock_release)

G_END_DECLS
