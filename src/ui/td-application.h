/* td-application.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <adwaita.h>

#include "td-account-list.h"
#include "td-clipboard.h"
#include "td-token-manager.h"

G_BEGIN_DECLS

#define TD_TYPE_APPLICATION (td_application_get_type ())

G_DECLARE_FINAL_TYPE (TdApplication, td_application, TD, APPLICATION, AdwApplication)

TdApplication  *td_application_new                (void);

TdAccountList  *td_application_get_accounts       (TdApplication *self);
TdTokenManager *td_application_get_token_manager  (TdApplication *self);
GSettings      *td_application_get_settings       (TdApplication *self);
TdClipboard    *td_application_get_clipboard      (TdApplication *self);

/* TRUE until the account file has been read. */
gboolean        td_application_get_loading        (TdApplication *self);
/* Why the account file could not be read, or NULL. */
const char     *td_application_get_load_error     (TdApplication *self);

G_END_DECLS
