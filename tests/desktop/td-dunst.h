/* td-dunst.h: dunst, a real notification server, for the desktop tests
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* One notification as dunst received it (dunst -print). */
typedef struct
{
  char      *summary;
  char      *body;
  GPtrArray *actions;  /* "id=label" strings, in order */
} TdDunstNotification;

typedef struct _TdDunst TdDunst;

/* Starts dunst on the session bus with a test configuration (no timeout,
 * a context menu answered by td_dunst_choose()) in dir, and waits until it
 * owns org.freedesktop.Notifications. */
TdDunst             *td_dunst_start            (const char *dir);
void                 td_dunst_stop             (TdDunst    *dunst);

/* How many notifications are on screen (dunstctl count displayed). */
guint                td_dunst_count_displayed  (TdDunst    *dunst);
/* Every notification received so far, oldest first; the main loop must
 * have run for the latest to be read. */
GPtrArray           *td_dunst_get_received     (TdDunst    *dunst);
/* The last one received, or NULL. */
TdDunstNotification *td_dunst_get_last         (TdDunst    *dunst);
/* Whether one of its actions has that label; its id, or NULL. */
const char          *td_dunst_find_action      (TdDunstNotification *notification,
                                                const char          *label);
/* Chooses the button labelled label on the latest notification on screen,
 * as a user picking it from dunst's context menu. */
void                 td_dunst_choose           (TdDunst    *dunst,
                                                const char *label);
/* Opens dunst's menu of the latest notification's buttons with dmenu, as
 * a person sees them; end it with xdotool key Escape, then collect the
 * returned dunstctl. */
GSubprocess         *td_dunst_open_menu        (TdDunst    *dunst);
/* Closes every notification on screen. */
void                 td_dunst_close_all        (TdDunst    *dunst);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (TdDunst, td_dunst_stop)

G_END_DECLS
