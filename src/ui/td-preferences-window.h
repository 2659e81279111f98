/* td-preferences-window.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <adwaita.h>

#include "td-autostart.h"

G_BEGIN_DECLS

#define TD_TYPE_PREFERENCES_WINDOW (td_preferences_window_get_type ())

G_DECLARE_FINAL_TYPE (TdPreferencesWindow, td_preferences_window, TD, PREFERENCES_WINDOW,
                      AdwPreferencesWindow)

/* Works on settings, and on autostart for Start at Login. */
TdPreferencesWindow *td_preferences_window_new (GSettings   *settings,
                                                TdAutostart *autostart);

G_END_DECLS
