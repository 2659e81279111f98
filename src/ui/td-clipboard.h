/* td-clipboard.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gtk/gtk.h>

#include "td-account.h"
#include "td-token-manager.h"

G_BEGIN_DECLS

/* Besides text, a copied token is offered under this type with the value
 * "secret": KDE's Klipper, CopyQ, GPaste and others then leave it out of
 * their history. */
#define TD_CLIPBOARD_PASSWORD_HINT_MIME "x-kde-passwordManagerHint"

/* What goes on the clipboard for an account. */
typedef enum
{
  TD_COPY_TOKEN,   /* the token alone */
  TD_COPY_HEADER,  /* "AccessToken: …", the vendor's header line */
  TD_COPY_CURL,    /* curl -H '…' 'https://api…/' */
} TdCopyFormat;

#define TD_TYPE_CLIPBOARD (td_clipboard_get_type ())

G_DECLARE_FINAL_TYPE (TdClipboard, td_clipboard, TD, CLIPBOARD, GObject)

TdClipboard *td_clipboard_new             (GdkClipboard *clipboard);
GdkClipboard *td_clipboard_get_clipboard  (TdClipboard  *self);

/* TRUE while the clipboard holds the last secret we put there. */
gboolean      td_clipboard_holds_secret   (TdClipboard  *self);
/* Clears at once if the clipboard still holds our secret (quitting). */
void          td_clipboard_clear_secret   (TdClipboard  *self);

/* Copies a token of account valid for min_valid seconds, renewed first
 * when needed (re-reading the keyring before: another process may have
 * renewed it), in format. Fails with TD_ERROR_NEEDS_SIGN_IN when renewal
 * needs a password that is not remembered. Unless clear_after is 0, the
 * token is taken off again after clear_after seconds, but only if the
 * clipboard still holds it: something copied since is left alone.
 *
 * While the clipboard still holds it, the copy follows the account: when
 * its tokens are renewed the new one replaces it in the same format, and
 * the clear timer starts again. */
void          td_clipboard_copy_account_async  (TdClipboard         *self,
                                                TdTokenManager      *token_manager,
                                                TdAccount           *account,
                                                TdCopyFormat         format,
                                                guint                min_valid,
                                                guint                clear_after,
                                                GCancellable        *cancellable,
                                                GAsyncReadyCallback  callback,
                                                gpointer             user_data);
gboolean      td_clipboard_copy_account_finish (TdClipboard         *self,
                                                GAsyncResult        *result,
                                                GError             **error);

G_END_DECLS
