/* td-autostart.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

#define TD_TYPE_AUTOSTART (td_autostart_get_type ())

G_DECLARE_FINAL_TYPE (TdAutostart, td_autostart, TD, AUTOSTART, GObject)

/* Keeps the key start-at-login of settings and the autostart entry in
 * step; outside Flatpak it first looks whether the entry is there. */
TdAutostart *td_autostart_new           (GSettings   *settings);

/* Whether Token Desk starts at login, as far as we know: the setting. */
gboolean     td_autostart_get_enabled   (TdAutostart *self);
/* TRUE while the entry is written or removed, or the portal asked. */
gboolean     td_autostart_get_busy      (TdAutostart *self);
/* Why the last change did not happen, for the user; NULL when it did. */
const char  *td_autostart_get_error     (TdAutostart *self);
/* TRUE inside Flatpak, where the Background portal is asked. */
gboolean     td_autostart_get_sandboxed (TdAutostart *self);

/* Turns starting at login on or off. Inside Flatpak this asks the
 * Background portal on behalf of parent, the window the user acted in
 * (NULL: none). A change asked for while another runs follows it. */
void         td_autostart_set_enabled   (TdAutostart *self,
                                         gboolean     enabled,
                                         GtkWindow   *parent);
/* Outside Flatpak, looks again whether the entry is there: the user may
 * have removed it. Does nothing while a change runs, or inside Flatpak. */
void         td_autostart_refresh       (TdAutostart *self);

G_END_DECLS
