/* td-reset-password-page.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <adwaita.h>

#include "td-account.h"
#include "td-provider.h"

G_BEGIN_DECLS

#define TD_TYPE_RESET_PASSWORD_PAGE (td_reset_password_page_get_type ())

G_DECLARE_FINAL_TYPE (TdResetPasswordPage, td_reset_password_page, TD, RESET_PASSWORD_PAGE,
                      AdwPreferencesPage)

/* The two steps of an e-mailed password reset (Cover Whale): ask the vendor
 * for a reset code, then set a new password with it. It knows no dialog:
 * it reports with "failed" (GError), "code-sent" (username) and
 * "password-set" (username, new password), and says "busy" while it talks
 * to the vendor. */

/* Starts over for account (its vendor and endpoint are used) with username
 * filled in unless one was typed already. */
void         td_reset_password_page_start     (TdResetPasswordPage *self,
                                               TdProvider          *provider,
                                               TdAccount           *account,
                                               const char          *username);
gboolean     td_reset_password_page_get_busy  (TdResetPasswordPage *self);
/* For tests: "username", "code", "password", "confirm". */
GtkEditable *td_reset_password_page_get_field (TdResetPasswordPage *self,
                                               const char          *field);

G_END_DECLS
