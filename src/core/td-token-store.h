/* td-token-store.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

#include "td-account.h"
#include "td-tokens.h"

G_BEGIN_DECLS

/* Everything the keyring holds for one account, kept in one item so that
 * it changes all at once; any member may be NULL. */
typedef struct
{
  TdTokens *tokens;       /* access token, ID token, expiry, refresh token */
  char     *password;     /* remembered password */
  char     *admin_token;  /* Couchdrop's pasted administrative token */
  gboolean  legacy;       /* items of the one-per-kind format are in the
                           * keyring: the next save removes them */
} TdStoredSecrets;

TdStoredSecrets *td_stored_secrets_new      (void);
TdStoredSecrets *td_stored_secrets_copy     (const TdStoredSecrets *self);
gboolean         td_stored_secrets_is_empty (const TdStoredSecrets *self);
void             td_stored_secrets_free     (TdStoredSecrets       *self);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (TdStoredSecrets, td_stored_secrets_free)

#define TD_TYPE_TOKEN_STORE (td_token_store_get_type ())

G_DECLARE_FINAL_TYPE (TdTokenStore, td_token_store, TD, TOKEN_STORE, GObject)

TdTokenStore    *td_token_store_new                 (void);

/* The account's secrets; an empty set when the keyring holds none. */
void             td_token_store_load_async          (TdTokenStore        *self,
                                                     TdAccount           *account,
                                                     GCancellable        *cancellable,
                                                     GAsyncReadyCallback  callback,
                                                     gpointer             user_data);
TdStoredSecrets *td_token_store_load_finish         (TdTokenStore        *self,
                                                     GAsyncResult        *result,
                                                     GError             **error);

/* The same, read from a search of every item of the account rather than
 * a lookup of its one item: slower, but it also sees items of the older
 * format left behind (secrets->legacy), for the next save to remove.
 * Finished with td_token_store_load_finish (). */
void             td_token_store_scan_async          (TdTokenStore        *self,
                                                     TdAccount           *account,
                                                     GCancellable        *cancellable,
                                                     GAsyncReadyCallback  callback,
                                                     gpointer             user_data);

/* Every account's secrets in one keyring search: account id (char *) →
 * TdStoredSecrets. Accounts the keyring holds nothing for are absent. */
void             td_token_store_load_all_async      (TdTokenStore        *self,
                                                     GCancellable        *cancellable,
                                                     GAsyncReadyCallback  callback,
                                                     gpointer             user_data);
GHashTable      *td_token_store_load_all_finish     (TdTokenStore        *self,
                                                     GAsyncResult        *result,
                                                     GError             **error);

/* Replaces the account's secrets with secrets, in one keyring write: the
 * old set stays whole until the new one is stored. An empty set removes
 * the account's items. When secrets->legacy, the items of the older format
 * are removed after the write (a failure to do so is only logged: the new
 * item is the one read). The caller holds the account's lock
 * (td-account-lock.h), since whatever it did not load is lost. */
void             td_token_store_save_async          (TdTokenStore          *self,
                                                     TdAccount             *account,
                                                     const TdStoredSecrets *secrets,
                                                     GCancellable          *cancellable,
                                                     GAsyncReadyCallback    callback,
                                                     gpointer               user_data);
gboolean         td_token_store_save_finish         (TdTokenStore          *self,
                                                     GAsyncResult          *result,
                                                     GError               **error);

/* Before a vendor call whose tokens will have to be stored: fails with
 * TD_ERROR_KEYRING_UNAVAILABLE when there is no keyring, or when Token
 * Desk's items in it are locked and stay so (this asks to unlock them, as
 * a store would). A locked keyring holding none of our items yet is only
 * found out by the store itself. */
void             td_token_store_check_async         (TdTokenStore        *self,
                                                     GCancellable        *cancellable,
                                                     GAsyncReadyCallback  callback,
                                                     gpointer             user_data);
gboolean         td_token_store_check_finish        (TdTokenStore        *self,
                                                     GAsyncResult        *result,
                                                     GError             **error);

/* Removes every item of the account, of either format. */
void             td_token_store_clear_async         (TdTokenStore        *self,
                                                     const char          *account_id,
                                                     GCancellable        *cancellable,
                                                     GAsyncReadyCallback  callback,
                                                     gpointer             user_data);
gboolean         td_token_store_clear_finish        (TdTokenStore        *self,
                                                     GAsyncResult        *result,
                                                     GError             **error);

G_END_DECLS
