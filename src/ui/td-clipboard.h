/* td-clipboard.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

/* Besides text, a copied token is offered under this type with the value
 * "secret": KDE's Klipper, CopyQ, GPaste and others then leave it out of
 * their history. */
#define TD_CLIPBOARD_PASSWORD_HINT_MIME "x-kde-passwordManagerHint"

#define TD_TYPE_CLIPBOARD (td_clipboard_get_type ())

G_DECLARE_FINAL_TYPE (TdClipboard, td_clipboard, TD, CLIPBOARD, GObject)

TdClipboard *td_clipboard_new             (GdkClipboard *clipboard);
GdkClipboard *td_clipboard_get_clipboard  (TdClipboard  *self);

/* Puts secret on the clipboard and, unless clear_after is 0, takes it off
 * again after clear_after seconds, but only if the clipboard still holds
 * what we put there: something copied since is left alone. */
void          td_clipboard_copy_secret    (TdClipboard  *self,
                                           const char   *secret,
                                           guint         clear_after);
/* TRUE while the clipboard holds the last secret we put there. */
gboolean      td_clipboard_holds_secret   (TdClipboard  *self);
/* Clears at once if the clipboard still holds our secret (quitting). */
void          td_clipboard_clear_secret   (TdClipboard  *self);

G_END_DECLS
