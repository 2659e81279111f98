/* td-clipboard.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "td-clipboard"

#include "config.h"

#include "td-clipboard.h"

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
};

G_DEFINE_FINAL_TYPE (TdClipboard, td_clipboard, G_TYPE_OBJECT)

static void
forget_provider (TdClipboard *self)
{
  if (self->provider != NULL)
    g_object_remove_weak_pointer (G_OBJECT (self->provider), (gpointer *)&self->provider);
  self->provider = NULL;
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

void
td_clipboard_copy_secret (TdClipboard *self,
                          const char  *secret,
                          guint        clear_after)
{
  g_autoptr(GdkContentProvider) provider = NULL;

  g_return_if_fail (TD_IS_CLIPBOARD (self));
  g_return_if_fail (secret != NULL);

  g_clear_handle_id (&self->clear_id, g_source_remove);
  forget_provider (self);

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
