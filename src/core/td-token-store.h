/* td-token-store.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

#include "td-account.h"
#include "td-tokens.h"

G_BEGIN_DECLS

typedef enum
{
  TD_SECRET_KIND_REFRESH_TOKEN,
  TD_SECRET_KIND_ACCESS_TOKEN,  /* access + id token + expiry, as one JSON secret */
  TD_SECRET_KIND_PASSWORD,
  TD_SECRET_KIND_ADMIN_TOKEN,
} TdSecretKind;

/* Everything the keyring holds for one account; any member may be NULL.
 * tokens->refresh_token is filled from the refresh-token item. */
typedef struct
{
  TdTokens *tokens;
  char     *password;
  char     *admin_token;
} TdStoredSecrets;

void td_stored_secrets_free (TdStoredSecrets *self);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (TdStoredSecrets, td_stored_secrets_free)

#define TD_TYPE_TOKEN_STORE (td_token_store_get_type ())

G_DECLARE_FINAL_TYPE (TdTokenStore, td_token_store, TD, TOKEN_STORE, GObject)

TdTokenStore    *td_token_store_new                 (void);

void             td_token_store_load_async          (TdTokenStore        *self,
                                                     TdAccount           *account,
                                                     GCancellable        *cancellable,
                                                     GAsyncReadyCallback  callback,
                                                     gpointer             user_data);
TdStoredSecrets *td_token_store_load_finish         (TdTokenStore        *self,
                                                     GAsyncResult        *result,
                                                     GError             **error);

/* Stores the refresh token (when there is one) before the access token, so
 * a rotated refresh token is never lost: if storing fails, the error says
 * so and the old items stay as they were. */
void             td_token_store_save_tokens_async   (TdTokenStore        *self,
                                                     TdAccount           *account,
                                                     const TdTokens      *tokens,
                                                     GCancellable        *cancellable,
                                                     GAsyncReadyCallback  callback,
                                                     gpointer             user_data);
gboolean         td_token_store_save_tokens_finish  (TdTokenStore        *self,
                                                     GAsyncResult        *result,
                                                     GError             **error);

/* kind is PASSWORD or ADMIN_TOKEN; a NULL secret clears that item. */
void             td_token_store_save_secret_async   (TdTokenStore        *self,
                                                     TdAccount           *account,
                                                     TdSecretKind         kind,
                                                     const char          *secret,
                                                     GCancellable        *cancellable,
                                                     GAsyncReadyCallback  callback,
                                                     gpointer             user_data);
gboolean         td_token_store_save_secret_finish  (TdTokenStore        *self,
                                                     GAsyncResult        *result,
                                                     GError             **error);

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

/* Sign out: the refresh and access tokens go, the password stays.
 * Remove (all = TRUE): every item of the account goes. */
void             td_token_store_clear_async         (TdTokenStore        *self,
                                                     const char          *account_id,
                                                     gboolean             all,
                                                     GCancellable        *cancellable,
                                                     GAsyncReadyCallback  callback,
                                                     gpointer             user_data);
gboolean         td_token_store_clear_finish        (TdTokenStore        *self,
                                                     GAsyncResult        *result,
                                                     GError             **error);

G_END_DECLS
