/* td-expiry-notifier.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

#include "td-account.h"
#include "td-account-list.h"
#include "td-token-manager.h"

G_BEGIN_DECLS

#define TD_TYPE_EXPIRY_NOTIFIER (td_expiry_notifier_get_type ())

G_DECLARE_FINAL_TYPE (TdExpiryNotifier, td_expiry_notifier, TD, EXPIRY_NOTIFIER, GObject)

/* Whether the user is looking at account right now (the focused window
 * shows it): it then gets no notification. */
typedef gboolean (*TdInViewFunc) (TdAccount *account,
                                  gpointer   user_data);

/* Watches the accounts of the list: renews those that renew automatically
 * when their token enters the warning time (the setting
 * "expiry-lead-time"), and sends application notifications for the others
 * — before expiry, expired, renewal failed — withdrawn once they no longer
 * apply. Their buttons activate app.copy-token, app.renew-account,
 * app.sign-in-account, app.renew-accounts and app.show-account. */
TdExpiryNotifier *td_expiry_notifier_new              (GApplication     *application,
                                                       TdAccountList    *accounts,
                                                       TdTokenManager   *token_manager,
                                                       GSettings        *settings);
void              td_expiry_notifier_set_in_view_func (TdExpiryNotifier *self,
                                                       TdInViewFunc      func,
                                                       gpointer          user_data);

G_END_DECLS
