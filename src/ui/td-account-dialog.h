/* td-account-dialog.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <adwaita.h>

#include "td-account-list.h"
#include "td-token-manager.h"

G_BEGIN_DECLS

#define TD_TYPE_ACCOUNT_DIALOG (td_account_dialog_get_type ())

G_DECLARE_FINAL_TYPE (TdAccountDialog, td_account_dialog, TD, ACCOUNT_DIALOG, AdwWindow)

/* account NULL: add an account to accounts. It is added only once signing
 * in succeeded ("added" then), and an edited account takes the changes only
 * then ("saved"); on failure the dialog stays, with everything typed. The
 * list is not written: whoever listens to "added" and "saved" does that. */
TdAccountDialog *td_account_dialog_new                  (GtkWindow       *parent,
                                                         TdTokenManager  *manager,
                                                         TdAccountList   *accounts,
                                                         TdAccount       *account);
/* Opens with "Change Password" switched on (Cover Whale). */
void             td_account_dialog_show_change_password (TdAccountDialog *self);

/* For tests: the dialog as a user fills it in. Fields: "name", "username",
 * "url", "password", "new-password", "confirm-password", "reset-username",
 * "reset-code", "reset-password", "reset-confirm". Options: "admin-token",
 * "remember-password", "change-password". */
void             td_account_dialog_select_vendor        (TdAccountDialog *self,
                                                         const char      *vendor_id);
/* A preset id, or NULL for a custom address. */
void             td_account_dialog_select_endpoint      (TdAccountDialog *self,
                                                         const char      *preset_id);
GtkEditable     *td_account_dialog_get_field            (TdAccountDialog *self,
                                                         const char      *field);
void             td_account_dialog_set_option           (TdAccountDialog *self,
                                                         const char      *option,
                                                         gboolean         active);
void             td_account_dialog_set_hand_out         (TdAccountDialog *self,
                                                         TdHandOut        hand_out);
/* The banner's message (error or info), or NULL. */
const char      *td_account_dialog_get_message          (TdAccountDialog *self);
/* Why the form cannot be sent yet (under a field), or NULL. */
const char      *td_account_dialog_get_field_error      (TdAccountDialog *self);
gboolean         td_account_dialog_get_busy             (TdAccountDialog *self);
const char      *td_account_dialog_get_page             (TdAccountDialog *self);
/* The password-reset page, whose actions are "reset.send-code" and
 * "reset.set-password". */
GtkWidget       *td_account_dialog_get_reset_page       (TdAccountDialog *self);

G_END_DECLS
