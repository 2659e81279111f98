/* td-window.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <adwaita.h>

#include "td-account-list.h"
#include "td-clipboard.h"
#include "td-token-manager.h"

G_BEGIN_DECLS

#define TD_TYPE_WINDOW (td_window_get_type ())

G_DECLARE_FINAL_TYPE (TdWindow, td_window, TD, WINDOW, AdwApplicationWindow)

/* The window shows accounts and works on them with the services given; it
 * shows "loading" and "load-error" (the account file's) as told. */
TdWindow   *td_window_new                  (GtkApplication *application,
                                            TdAccountList  *accounts,
                                            TdTokenManager *token_manager,
                                            GSettings      *settings,
                                            TdClipboard    *clipboard);

/* For tests: the account list as the user sees it (filtered and sorted),
 * and the name of the page shown (loading, empty, no-results, error, list). */
GListModel *td_window_get_visible_accounts (TdWindow       *self);
const char *td_window_get_page             (TdWindow       *self);

/* Whether the user is looking at account: the window has the focus and the
 * account's row is on screen. No notification is sent for it then. */
gboolean    td_window_shows_account        (TdWindow       *self,
                                            TdAccount      *account);

G_END_DECLS
