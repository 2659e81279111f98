/* td-token-manager.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

#include "td-account.h"
#include "td-token-store.h"

G_BEGIN_DECLS

#define TD_TYPE_TOKEN_MANAGER (td_token_manager_get_type ())

G_DECLARE_FINAL_TYPE (TdTokenManager, td_token_manager, TD, TOKEN_MANAGER, GObject)

/* store may be NULL: tokens then live in memory only (tests, benchmarks). */
TdTokenManager *td_token_manager_new                  (TdTokenStore        *store);
TdTokenStore   *td_token_manager_get_store            (TdTokenManager      *self);

/* A token valid for at least min_valid seconds, renewing first when needed:
 * by refresh token, else by remembered password, else TD_ERROR_NEEDS_SIGN_IN.
 * Requests for an account already being renewed join that renewal. Returns
 * the token the account hands out (Senmo: ID or access token).
 *
 * When even the fresh token is shorter than min_valid (the vendor grants no
 * longer: TdAccount:granted-lifetime), it is handed out all the same after
 * that one renewal; td_account_has_valid_token (account, min_valid) is then
 * FALSE, for the caller that wants to say so. */
void            td_token_manager_get_token_async      (TdTokenManager      *self,
                                                       TdAccount           *account,
                                                       guint                min_valid,
                                                       GCancellable        *cancellable,
                                                       GAsyncReadyCallback  callback,
                                                       gpointer             user_data);
char           *td_token_manager_get_token_finish     (TdTokenManager      *self,
                                                       GAsyncResult        *result,
                                                       GError             **error);

/* Renew now whatever the expiry says. */
void            td_token_manager_renew_async          (TdTokenManager      *self,
                                                       TdAccount           *account,
                                                       GCancellable        *cancellable,
                                                       GAsyncReadyCallback  callback,
                                                       gpointer             user_data);
gboolean        td_token_manager_renew_finish         (TdTokenManager      *self,
                                                       GAsyncResult        *result,
                                                       GError             **error);

/* Sign in with a password typed by the user (new_password: Cover Whale's
 * forced change). The password is stored when the account remembers it. */
void            td_token_manager_sign_in_async        (TdTokenManager      *self,
                                                       TdAccount           *account,
                                                       const char          *password,
                                                       const char          *new_password,
                                                       GCancellable        *cancellable,
                                                       GAsyncReadyCallback  callback,
                                                       gpointer             user_data);
gboolean        td_token_manager_sign_in_finish       (TdTokenManager      *self,
                                                       GAsyncResult        *result,
                                                       GError             **error);

/* Couchdrop: keeps a pasted administrative token; no vendor call. */
void            td_token_manager_set_admin_token_async  (TdTokenManager      *self,
                                                         TdAccount           *account,
                                                         const char          *admin_token,
                                                         GCancellable        *cancellable,
                                                         GAsyncReadyCallback  callback,
                                                         gpointer             user_data);
gboolean        td_token_manager_set_admin_token_finish (TdTokenManager      *self,
                                                         GAsyncResult        *result,
                                                         GError             **error);

/* Loads what the keyring holds into the account, without a vendor call. */
void            td_token_manager_load_async           (TdTokenManager      *self,
                                                       TdAccount           *account,
                                                       GCancellable        *cancellable,
                                                       GAsyncReadyCallback  callback,
                                                       gpointer             user_data);
gboolean        td_token_manager_load_finish          (TdTokenManager      *self,
                                                       GAsyncResult        *result,
                                                       GError             **error);

/* Loads what the keyring holds for every account of accounts (a
 * GListModel of TdAccount) with one keyring search; accounts still in the
 * older format are migrated on the way. */
void            td_token_manager_load_all_async       (TdTokenManager      *self,
                                                       GListModel          *accounts,
                                                       GCancellable        *cancellable,
                                                       GAsyncReadyCallback  callback,
                                                       gpointer             user_data);
gboolean        td_token_manager_load_all_finish      (TdTokenManager      *self,
                                                       GAsyncResult        *result,
                                                       GError             **error);

/* Reads the account's secrets in the background, a few accounts at a
 * time, and sets TdAccount:secrets-loaded when done (also on failure: the
 * account then says what is wrong). load_soon() puts the account first
 * (a row came on screen). Either does nothing once the secrets are loaded. */
void            td_token_manager_queue_load           (TdTokenManager      *self,
                                                       TdAccount           *account);
void            td_token_manager_load_soon            (TdTokenManager      *self,
                                                       TdAccount           *account);

/* Applies an edit made on changes (a draft of the same vendor, signed in or
 * not) to account: its settings, and its tokens if it has any. The keyring
 * first forgets what no longer applies (the password when it is no longer
 * remembered, the administrative token when it is no longer used); if it
 * refuses, the account is left as it was. */
void            td_token_manager_update_account_async  (TdTokenManager      *self,
                                                        TdAccount           *account,
                                                        TdAccount           *changes,
                                                        GCancellable        *cancellable,
                                                        GAsyncReadyCallback  callback,
                                                        gpointer             user_data);
gboolean        td_token_manager_update_account_finish (TdTokenManager      *self,
                                                        GAsyncResult        *result,
                                                        GError             **error);

/* Sign out drops the tokens (memory and keyring) but keeps the password;
 * forget (remove = TRUE) drops every secret of the account. */
void            td_token_manager_sign_out_async       (TdTokenManager      *self,
                                                       TdAccount           *account,
                                                       gboolean             remove,
                                                       GCancellable        *cancellable,
                                                       GAsyncReadyCallback  callback,
                                                       gpointer             user_data);
gboolean        td_token_manager_sign_out_finish      (TdTokenManager      *self,
                                                       GAsyncResult        *result,
                                                       GError             **error);

G_END_DECLS
