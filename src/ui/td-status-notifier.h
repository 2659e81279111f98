/* td-status-notifier.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

#include "td-account-list.h"

G_BEGIN_DECLS

/* Where the item and its menu are exported on the application's bus
 * connection. */
#define TD_STATUS_NOTIFIER_ITEM_PATH "/StatusNotifierItem"
#define TD_STATUS_NOTIFIER_MENU_PATH "/MenuBar"

#define TD_TYPE_STATUS_NOTIFIER (td_status_notifier_get_type ())

G_DECLARE_FINAL_TYPE (TdStatusNotifier, td_status_notifier, TD, STATUS_NOTIFIER, GObject)

/* The tray icon: a StatusNotifierItem (org.kde.StatusNotifierItem) with a
 * menu of the accounts, on application's D-Bus connection, registered
 * with every org.kde.StatusNotifierWatcher that appears. Without a watcher
 * (GNOME Shell without the AppIndicator extension) it waits, silently.
 *
 * Its clicks activate actions of application: show-window, quit, and
 * copy-token, copy-header, renew-account and sign-in-account with the
 * account id. application must outlive it; an application that is not
 * registered on a bus gets no tray icon. */
TdStatusNotifier *td_status_notifier_new (GApplication  *application,
                                          TdAccountList *accounts);

G_END_DECLS
