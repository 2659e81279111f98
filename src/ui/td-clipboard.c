/* td-clipboard.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "td-clipboard"

#include "config.h"

#include <string.h>

#include "td-clipboard.h"
#include "td-provider.h"
#include "td-tokens.h"

/* What GTK 4.8 does with the password-manager hint: a content provider
 * takes the name, and the X11 backend lists it among the clipboard's
 * TARGETS (Wayland among the offer's types), which is what GPaste and most
 * clipboard managers look at. Its value cannot be served, though: GDK
 * answers a conversion only for names gdk_intern_mime_type() accepts, and
 * that rejects a name without a '/'. Klipper, which reads the value, will
 * see the type but no "secret"; nothing in GTK 4.8 can do better. */

struct _TdClipboard
{
  GObject             parent_instance;

  GdkClipboard       *clipboard;
  /* What we last put there; weak, since the clipboard owns it and drops
   * it as soon as anyone else copies. */
  GdkContentProvider *provider;
  guint               clear_id;

  /* When the secret is an account's token: the copy follows renewals. */
  TdAccount          *account;
  TdCopyFormat        format;
  guint               clear_after;
  gulong              tokens_changed_id;
};

G_DEFINE_FINAL_TYPE (TdClipboard, td_clipboard, G_TYPE_OBJECT)

static void
forget_provider (TdClipboard *self)
{
  if (self->provider != NULL)
    g_object_remove_weak_pointer (G_OBJECT (self->provider), (gpointer *)&self->provider);
  self->provider = NULL;

  g_clear_signal_handler (&self->tokens_changed_id, self->account);
  g_clear_object (&self->account);
}

static void
td_clipboard_dispose (GObject *object)
{
  TdClipboard *self = (TdClipboard *)object;

  g_clear_handle_id (&self->clear_id, g_source_remove);
  forget_provider (self);
  g_clear_object (&self->clipboard);

  G_OBJECT_CLASS (td_clipboard_parent_class)->dispose (object);
}

static void
td_clipboard_class_init (TdClipboardClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = td_clipboard_dispose;
}

static void
td_clipboard_init (TdClipboard *self)
{
}

TdClipboard *
td_clipboard_new (GdkClipboard *clipboard)
{
  TdClipboard *self;

  g_return_val_if_fail (GDK_IS_CLIPBOARD (clipboard), NULL);

  self = g_object_new (TD_TYPE_CLIPBOARD, NULL);
  self->clipboard = g_object_ref (clipboard);

  return self;
}

GdkClipboard *
td_clipboard_get_clipboard (TdClipboard *self)
{
  g_return_val_if_fail (TD_IS_CLIPBOARD (self), NULL);
  return self->clipboard;
}

gboolean
td_clipboard_holds_secret (TdClipboard *self)
{
  g_return_val_if_fail (TD_IS_CLIPBOARD (self), FALSE);

  return self->provider != NULL &&
         gdk_clipboard_is_local (self->clipboard) &&
         gdk_clipboard_get_content (self->clipboard) == self->provider;
}

void
td_clipboard_clear_secret (TdClipboard *self)
{
  g_return_if_fail (TD_IS_CLIPBOARD (self));

  g_clear_handle_id (&self->clear_id, g_source_remove);

  if (td_clipboard_holds_secret (self))
    {
      g_debug ("Clearing the clipboard");
      gdk_clipboard_set_content (self->clipboard, NULL);
    }
  else if (self->provider != NULL)
    g_debug ("The clipboard changed since we copied: leaving it alone");

  forget_provider (self);
}

static gboolean
clear_timeout_cb (gpointer user_data)
{
  TdClipboard *self = user_data;

  self->clear_id = 0;
  td_clipboard_clear_secret (self);

  return G_SOURCE_REMOVE;
}

static GdkContentProvider *
secret_provider_new (const char *secret)
{
  g_autoptr(GBytes) hint = g_bytes_new_static ("secret", 6);
  GdkContentProvider *providers[2];

  providers[0] = gdk_content_provider_new_typed (G_TYPE_STRING, secret);
  providers[1] = gdk_content_provider_new_for_bytes (TD_CLIPBOARD_PASSWORD_HINT_MIME, hint);

  return gdk_content_provider_new_union (providers, G_N_ELEMENTS (providers));
}

static void
set_content (TdClipboard *self,
             const char  *secret,
             guint        clear_after)
{
  g_autoptr(GdkContentProvider) provider = NULL;

  g_clear_handle_id (&self->clear_id, g_source_remove);
  if (self->provider != NULL)
    g_object_remove_weak_pointer (G_OBJECT (self->provider), (gpointer *)&self->provider);
  self->provider = NULL;

  provider = secret_provider_new (secret);
  if (!gdk_clipboard_set_content (self->clipboard, provider))
    {
      g_warning ("Could not put the token on the clipboard");
      return;
    }

  self->provider = provider;
  g_object_add_weak_pointer (G_OBJECT (provider), (gpointer *)&self->provider);

  if (clear_after > 0)
    self->clear_id = g_timeout_add_seconds_full (G_PRIORITY_DEFAULT, clear_after,
                                                 clear_timeout_cb, self, NULL);
}

/* Copying an account's token --------------------------------------------- */

static char *
format_token (TdAccount    *account,
              const char   *token,
              TdCopyFormat  format)
{
  TdProvider *provider = td_provider_get_for_vendor (td_account_get_vendor (account));
  g_auto(TdSecret) header = NULL;
  g_auto(TdSecret) quoted_header = NULL;
  g_autofree char *base_url = NULL;
  g_autofree char *quoted_url = NULL;
  g_autofree char *url = NULL;

  if (format == TD_COPY_TOKEN || provider == NULL)
    return g_strdup (token);

  header = td_provider_format_header (provider, token);
  if (format == TD_COPY_HEADER)
    return g_steal_pointer (&header);

  /* The vendor's API root, for the user to complete with the call they
   * want; the slash goes inside the quotes so the snippet pastes cleanly. */
  base_url = td_provider_resolve_base_url (provider, td_account_get_endpoint (account), NULL);
  url = g_strconcat (base_url ? base_url : "https://", "/", NULL);
  /* Each in one allocation: g_shell_quote and g_strdup_printf grow their
   * buffers, leaving unwiped copies of the token behind. */
  quoted_header = td_secret_shell_quote (header);
  quoted_url = g_shell_quote (url);

  return td_secret_concat ("curl -H ", quoted_header, " ", quoted_url, NULL);
}

/* Whether the clipboard holds exactly text: a keyring read that brought
 * back the same token must not restart the clear timer. */
static gboolean
holds_text (TdClipboard *self,
            const char  *text)
{
  g_auto(GValue) value = G_VALUE_INIT;
  gboolean same;

  g_value_init (&value, G_TYPE_STRING);
  if (!gdk_content_provider_get_value (self->provider, &value, NULL))
    return FALSE;

  same = g_strcmp0 (g_value_get_string (&value), text) == 0;
  if (g_value_get_string (&value) != NULL)
    td_secret_wipe ((char *) g_value_get_string (&value), strlen (g_value_get_string (&value)));

  return same;
}

static void
account_tokens_changed_cb (TdClipboard *self,
                           TdAccount   *account)
{
  g_auto(TdSecret) token = NULL;
  g_auto(TdSecret) text = NULL;

  if (!td_clipboard_holds_secret (self))
    {
      /* Someone copied something else: the account is none of ours now. */
      forget_provider (self);
      return;
    }

  token = td_account_dup_hand_out_token (account);
  if (token == NULL)
    return;

  text = format_token (account, token, self->format);
  if (holds_text (self, text))
    return;

  g_debug ("Account %s was renewed: the clipboard gets its new token",
           td_account_get_id (account));
  set_content (self, text, self->clear_after);
}

static void
follow_account (TdClipboard  *self,
                TdAccount    *account,
                TdCopyFormat  format,
                guint         clear_after)
{
  self->account = g_object_ref (account);
  self->format = format;
  self->clear_after = clear_after;
  self->tokens_changed_id = g_signal_connect_object (account, "tokens-changed",
                                                     G_CALLBACK (account_tokens_changed_cb),
                                                     self, G_CONNECT_SWAPPED);
}

typedef struct
{
  TdTokenManager *token_manager;
  TdAccount      *account;
  TdCopyFormat    format;
  guint           min_valid;
  guint           clear_after;
} CopyData;

static void
copy_data_free (CopyData *data)
{
  g_clear_object (&data->token_manager);
  g_clear_object (&data->account);
  g_free (data);
}

static void
got_token_cb (GObject      *object,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  TdClipboard *self = g_task_get_source_object (task);
  CopyData *data = g_task_get_task_data (task);
  g_auto(TdSecret) token = NULL;
  g_auto(TdSecret) text = NULL;
  GError *error = NULL;

  token = td_token_manager_get_token_finish (TD_TOKEN_MANAGER (object), result, &error);
  if (token == NULL)
    {
      g_task_return_error (task, error);
      return;
    }

  /* Cancelled while the vendor answered: the user moved on. */
  if (g_task_return_error_if_cancelled (task))
    return;

  text = format_token (data->account, token, data->format);
  forget_provider (self);
  set_content (self, text, data->clear_after);
  if (self->provider == NULL)
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_FAILED,
                               "Could not put the token on the clipboard");
      return;
    }

  follow_account (self, data->account, data->format, data->clear_after);
  g_task_return_boolean (task, TRUE);
}

static void
loaded_cb (GObject      *object,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  CopyData *data = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;

  if (!td_token_manager_load_finish (TD_TOKEN_MANAGER (object), result, &error))
    {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        {
          g_task_return_error (task, g_steal_pointer (&error));
          return;
        }

      /* The account says what is wrong with the keyring; a token in
       * memory may still do. */
      g_debug ("Copying without re-reading the keyring: %s", error->message);
    }

  td_token_manager_get_token_async (data->token_manager, data->account, data->min_valid,
                                    g_task_get_cancellable (task), got_token_cb,
                                    g_object_ref (task));
}

void
td_clipboard_copy_account_async (TdClipboard         *self,
                                 TdTokenManager      *token_manager,
                                 TdAccount           *account,
                                 TdCopyFormat         format,
                                 guint                min_valid,
                                 guint                clear_after,
                                 GCancellable        *cancellable,
                                 GAsyncReadyCallback  callback,
                                 gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  CopyData *data;

  g_return_if_fail (TD_IS_CLIPBOARD (self));
  g_return_if_fail (TD_IS_TOKEN_MANAGER (token_manager));
  g_return_if_fail (TD_IS_ACCOUNT (account));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, td_clipboard_copy_account_async);

  data = g_new0 (CopyData, 1);
  data->token_manager = g_object_ref (token_manager);
  data->account = g_object_ref (account);
  data->format = format;
  data->min_valid = min_valid;
  data->clear_after = clear_after;
  g_task_set_task_data (task, data, (GDestroyNotify) copy_data_free);

  /* The keyring first: `tokendesk token` or another window may have
   * renewed the token since we read it, which kills ours at Cover Whale. */
  td_token_manager_load_async (token_manager, account, cancellable, loaded_cb,
                               g_steal_pointer (&task));
}

gboolean
td_clipboard_copy_account_finish (TdClipboard   *self,
                                  GAsyncResult  *result,
                                  GError       **error)
{
  g_return_val_if_fail (TD_IS_CLIPBOARD (self), FALSE);
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}
