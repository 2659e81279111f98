/* td-window.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <adwaita.h>

#include "td-account.h"

G_BEGIN_DECLS

typedef struct _TdApplication TdApplication;

#define TD_TYPE_WINDOW (td_window_get_type ())

G_DECLARE_FINAL_TYPE (TdWindow, td_window, TD, WINDOW, AdwApplicationWindow)

TdWindow  *td_window_new              (TdApplication *application);
void       td_window_show_message     (TdWindow      *self,
                                       const char    *text);
TdAccount *td_window_find_account     (TdWindow      *self,
                                       const char    *id);
/* Its name or username changed: sort and filter again. */
void       td_window_account_changed  (TdWindow      *self,
                                       TdAccount     *account);
TdApplication *td_window_get_application_object (TdWindow *self);

/* For tests: the account list as the user sees it (filtered and sorted),
 * and the name of the page shown (loading, empty, no-results, error, list). */
GListModel *td_window_get_visible_accounts (TdWindow *self);
const char *td_window_get_page             (TdWindow *self);

G_END_DECLS
