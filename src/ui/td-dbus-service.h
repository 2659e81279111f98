/* td-dbus-service.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

#include "td-account-list.h"
#include "td-token-manager.h"

G_BEGIN_DECLS

/* Where the interface is, on the application's bus name. */
#define TD_DBUS_SERVICE_PATH      "/io/github/tokendesk/TokenDesk"
#define TD_DBUS_SERVICE_INTERFACE "io.github.tokendesk.TokenDesk1"
/* Errors are this, a dot and the code in CamelCase: ….Error.NeedsSignIn */
#define TD_DBUS_ERROR_PREFIX      "io.github.tokendesk.TokenDesk.Error"

#define TD_TYPE_DBUS_SERVICE (td_dbus_service_get_type ())

G_DECLARE_FINAL_TYPE (TdDbusService, td_dbus_service, TD, DBUS_SERVICE, GObject)

/* io.github.tokendesk.TokenDesk1 (data/io.github.tokendesk.TokenDesk1.xml)
 * for other programs: ListAccounts, GetToken, Renew and AccountChanged,
 * answered with the token manager the window uses, so every request joins
 * its single-flight renewal.
 *
 * Exported on connection by td_dbus_service_export () from the
 * application's dbus_register, before the bus name is requested: a call
 * that D-Bus-activated the app must find the object. Requests wait while
 * TdDbusService:loading is TRUE (the account list is being read). A token
 * request holds application while it runs; with the setting
 * "confirm-token-requests" the first one of each program asks the user.
 * application must outlive it. */
TdDbusService *td_dbus_service_new       (GApplication     *application,
                                          TdAccountList    *accounts,
                                          TdTokenManager   *token_manager,
                                          GSettings        *settings);
gboolean       td_dbus_service_export    (TdDbusService    *self,
                                          GDBusConnection  *connection,
                                          GError          **error);
void           td_dbus_service_unexport  (TdDbusService    *self);
void           td_dbus_service_set_loading (TdDbusService  *self,
                                            gboolean        loading);

G_END_DECLS
