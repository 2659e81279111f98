/* td-sign-in-dialog.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <adwaita.h>

#include "td-account.h"
#include "td-token-manager.h"

G_BEGIN_DECLS

#define TD_TYPE_SIGN_IN_DIALOG (td_sign_in_dialog_get_type ())

G_DECLARE_FINAL_TYPE (TdSignInDialog, td_sign_in_dialog, TD, SIGN_IN_DIALOG, AdwWindow)

/* A small prompt for the password (or the administrative token) of an
 * account that cannot renew by itself. Emits "signed-in" (account) on
 * success, then closes; "remember password" may have changed then, which
 * the handler writes to the account list. */
TdSignInDialog *td_sign_in_dialog_new          (GtkWindow      *parent,
                                                TdTokenManager *manager,
                                                TdAccount      *account);
/* For tests: fill in and press Sign In. */
void            td_sign_in_dialog_set_password (TdSignInDialog *self,
                                                const char     *password);
void            td_sign_in_dialog_sign_in      (TdSignInDialog *self);
const char     *td_sign_in_dialog_get_error    (TdSignInDialog *self);

G_END_DECLS
