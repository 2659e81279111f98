/* td-tray-menu.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* The id of the invisible root item, the parent of the top level. */
#define TD_TRAY_MENU_ROOT 0

#define TD_TYPE_TRAY_MENU (td_tray_menu_get_type ())

G_DECLARE_FINAL_TYPE (TdTrayMenu, td_tray_menu, TD, TRAY_MENU, GObject)

/* A menu exported as com.canonical.dbusmenu, the menu of a
 * StatusNotifierItem. It knows nothing of what it shows: its owner fills
 * it between td_tray_menu_begin () and td_tray_menu_commit (), and a click
 * activates the item's action on actions, which it does not keep alive.
 *
 * An item keeps its id across rebuilds as long as its key stays the same,
 * so a host holding an open menu still reaches the right item. A commit
 * that changes nothing a host can see emits nothing; one that does bumps
 * the revision and emits LayoutUpdated and ItemsPropertiesUpdated.
 *
 * "about-to-show" is emitted when a host is about to show the menu (or a
 * submenu): the time to refresh what goes stale, such as "expires in 5
 * min", without a timer. */
TdTrayMenu *td_tray_menu_new             (GActionGroup     *actions);

gboolean    td_tray_menu_export          (TdTrayMenu       *self,
                                          GDBusConnection  *connection,
                                          const char       *object_path,
                                          GError          **error);
void        td_tray_menu_unexport        (TdTrayMenu       *self);

void        td_tray_menu_begin           (TdTrayMenu       *self);
/* Returns the item's id. label uses "_" for mnemonics: double a literal
 * one (td_tray_menu_escape_label). action, a name in the action group, may
 * be NULL (a submenu, or a line of text); target may be NULL and is sunk. */
int         td_tray_menu_add_item        (TdTrayMenu       *self,
                                          int               parent,
                                          const char       *key,
                                          const char       *label,
                                          const char       *action,
                                          GVariant         *target);
int         td_tray_menu_add_separator   (TdTrayMenu       *self,
                                          int               parent,
                                          const char       *key);
void        td_tray_menu_set_enabled     (TdTrayMenu       *self,
                                          int               id,
                                          gboolean          enabled);
void        td_tray_menu_commit          (TdTrayMenu       *self);

guint       td_tray_menu_get_revision    (TdTrayMenu       *self);
char       *td_tray_menu_escape_label    (const char       *text);

G_END_DECLS
