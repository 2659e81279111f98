/* td-autostart.c: Start at Login, through the Background portal inside
 * Flatpak and an autostart entry of our own outside it
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "td-autostart"

#include "config.h"

#include <glib/gi18n-lib.h>
#include <libportal-gtk4/portal-gtk4.h>
#include <string.h>

#include "td-autostart.h"

/* The key start-at-login records the state; the entry (outside Flatpak)
 * or the portal's answer (inside) is what makes it true. Outside, the
 * entry is the truth: the user may remove it with another tool, so it is
 * looked at when the application starts and when Preferences opens.
 * Inside, the portal cannot be asked what it did, only told: the key is
 * all we know.
 *
 * The portal asks the user the first time and may refuse; it needs the
 * window the user acted in, or its answer may stick for good. It is
 * therefore asked only when the user flips the switch, never on our own. */

#define KEY "start-at-login"

struct _TdAutostart
{
  GObject       parent_instance;

  GSettings    *settings;
  gboolean      sandboxed;
  GFile        *entry;        /* outside Flatpak: our autostart entry */
  XdpPortal    *portal;       /* inside: made when first needed */
  GCancellable *check;        /* the look at the entry in flight, or NULL */

  gboolean      busy;
  gboolean      asking;       /* what the change under way asks for */
  gboolean      has_next;     /* a change asked for while busy */
  gboolean      next;
  GtkWindow    *next_parent;  /* weak */
  char         *error;
};

G_DEFINE_FINAL_TYPE (TdAutostart, td_autostart, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_SETTINGS,
  PROP_ENABLED,
  PROP_BUSY,
  PROP_ERROR,
  PROP_SANDBOXED,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void start_change (TdAutostart *self,
                          gboolean     enabled,
                          GtkWindow   *parent);

/* Changes ---------------------------------------------------------------- */

static void
finish_change (TdAutostart *self,
               gboolean     enabled,
               const char  *error)
{
  self->busy = FALSE;
  g_free (self->error);
  self->error = g_strdup (error);
  if (error != NULL)
    g_debug ("Start at login stays %s: %s", enabled ? "on" : "off", error);

  if (g_settings_get_boolean (self->settings, KEY) != enabled)
    g_settings_set_boolean (self->settings, KEY, enabled);

  /* Always: a switch the user flipped goes back when nothing changed. */
  g_object_freeze_notify (G_OBJECT (self));
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_ENABLED]);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_BUSY]);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_ERROR]);
  g_object_thaw_notify (G_OBJECT (self));

  if (self->has_next)
    {
      self->has_next = FALSE;
      if (self->next != enabled)
        start_change (self, self->next, self->next_parent);
      g_clear_weak_pointer (&self->next_parent);
    }
}

/* Outside Flatpak: the entry --------------------------------------------- */

/* The Desktop Entry specification's reserved characters: such an argument
 * is quoted, its ", `, $ and \ escaped. */
static char *
quote_exec_argument (const char *argument)
{
  GString *quoted;

  if (strpbrk (argument, " \t\n\"'\\><~|&;$*?#()`") == NULL)
    return g_strdup (argument);

  quoted = g_string_new ("\"");
  for (const char *c = argument; *c != '\0'; c++)
    {
      if (strchr ("\"`$\\", *c) != NULL)
        g_string_append_c (quoted, '\\');
      g_string_append_c (quoted, *c);
    }
  g_string_append_c (quoted, '"');

  return g_string_free (quoted, FALSE);
}

static GBytes *
build_entry (void)
{
  g_autoptr(GKeyFile) keyfile = g_key_file_new ();
  g_autofree char *app = quote_exec_argument (TOKENDESK_APP_PATH);
  g_autofree char *exec = g_strdup_printf ("%s --background", app);
  gsize length;
  char *data;

  g_key_file_set_string (keyfile, G_KEY_FILE_DESKTOP_GROUP, G_KEY_FILE_DESKTOP_KEY_TYPE,
                         G_KEY_FILE_DESKTOP_TYPE_APPLICATION);
  /* The name of the application, not translated. */
  g_key_file_set_string (keyfile, G_KEY_FILE_DESKTOP_GROUP, G_KEY_FILE_DESKTOP_KEY_NAME,
                         "Token Desk");
  g_key_file_set_string (keyfile, G_KEY_FILE_DESKTOP_GROUP, G_KEY_FILE_DESKTOP_KEY_ICON,
                         APPLICATION_ID);
  g_key_file_set_string (keyfile, G_KEY_FILE_DESKTOP_GROUP, G_KEY_FILE_DESKTOP_KEY_EXEC, exec);
  g_key_file_set_boolean (keyfile, G_KEY_FILE_DESKTOP_GROUP, G_KEY_FILE_DESKTOP_KEY_TERMINAL,
                          FALSE);
  g_key_file_set_boolean (keyfile, G_KEY_FILE_DESKTOP_GROUP, "X-GNOME-Autostart-enabled", TRUE);
  g_key_file_set_comment (keyfile, NULL, NULL,
                          " Written by Token Desk: Preferences, Start at Login", NULL);

  data = g_key_file_to_data (keyfile, &length, NULL);
  return g_bytes_new_take (data, length);
}

static void
entry_written_cb (GObject      *object,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(TdAutostart) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autofree char *message = NULL;

  if (!g_file_replace_contents_finish (G_FILE (object), result, NULL, &error))
    /* Translators: %s says why, from the system */
    message = g_strdup_printf (_("Could not add Token Desk to the apps started at login: %s"),
                               error->message);

  finish_change (self, error == NULL, message);
}

static void
make_folder_thread (GTask        *task,
                    gpointer      source_object,
                    gpointer      task_data,
                    GCancellable *cancellable)
{
  GFile *folder = task_data;
  g_autoptr(GError) error = NULL;

  if (!g_file_make_directory_with_parents (folder, cancellable, &error) &&
      !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_EXISTS))
    g_task_return_error (task, g_steal_pointer (&error));
  else
    g_task_return_boolean (task, TRUE);
}

static void
folder_made_cb (GObject      *object,
                GAsyncResult *result,
                gpointer      user_data)
{
  TdAutostart *self = TD_AUTOSTART (object);
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) contents = NULL;

  if (!g_task_propagate_boolean (G_TASK (result), &error))
    {
      g_autofree char *message =
        g_strdup_printf (_("Could not add Token Desk to the apps started at login: %s"),
                         error->message);

      finish_change (self, FALSE, message);
      return;
    }

  /* Written beside and renamed over: never half an entry. */
  contents = build_entry ();
  g_file_replace_contents_bytes_async (self->entry, contents, NULL, FALSE, G_FILE_CREATE_NONE,
                                       NULL, entry_written_cb, g_object_ref (self));
}

static void
write_entry (TdAutostart *self)
{
  g_autoptr(GTask) task = g_task_new (self, NULL, folder_made_cb, NULL);

  g_task_set_source_tag (task, write_entry);
  g_task_set_task_data (task, g_file_get_parent (self->entry), g_object_unref);
  g_task_run_in_thread (task, make_folder_thread);
}

static void
entry_removed_cb (GObject      *object,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(TdAutostart) self = user_data;
  g_autoptr(GError) error = NULL;

  if (!g_file_delete_finish (G_FILE (object), result, &error) &&
      !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND))
    {
      g_autofree char *message =
        /* Translators: %s says why, from the system */
        g_strdup_printf (_("Could not remove Token Desk from the apps started at login: %s"),
                         error->message);

      finish_change (self, TRUE, message);
      return;
    }

  finish_change (self, FALSE, NULL);
}

static void
entry_checked_cb (GObject      *object,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(TdAutostart) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GFileInfo) info = NULL;
  gboolean exists;

  info = g_file_query_info_finish (G_FILE (object), result, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;

  g_clear_object (&self->check);
  /* No folder, or a file in its place: no entry either. */
  if (info == NULL && !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND) &&
      !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_NOT_DIRECTORY))
    {
      g_warning ("Could not look at the autostart entry: %s", error->message);
      return;
    }

  exists = info != NULL;
  if (g_settings_get_boolean (self->settings, KEY) != exists)
    {
      g_debug ("The autostart entry is %s", exists ? "there" : "gone");
      g_settings_set_boolean (self->settings, KEY, exists);
    }
}

/* Inside Flatpak: the Background portal ---------------------------------- */

static void
background_requested_cb (GObject      *object,
                         GAsyncResult *result,
                         gpointer      user_data)
{
  g_autoptr(TdAutostart) self = user_data;
  g_autoptr(GError) error = NULL;
  gboolean allowed;

  allowed = xdp_portal_request_background_finish (XDP_PORTAL (object), result, &error);

  /* xdg-desktop-portal answers a refusal, stored or from its dialog, as
   * cancelled: libportal 0.6 reports G_IO_ERROR_CANCELLED for both. */
  if (error != NULL && !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      /* Translators: %s says why, from the system */
      g_autofree char *message = g_strdup_printf (_("Could not ask the system: %s"),
                                                  error->message);

      finish_change (self, !self->asking, message);
    }
  else if (self->asking && !allowed)
    finish_change (self, FALSE, _("Token Desk is not allowed to run in the background. "
                                  "You can allow it in the system settings."));
  else
    /* Turning it off needs no permission: the portal removes the entry
     * whatever it answers. */
    finish_change (self, self->asking, NULL);
}

static void
ask_portal (TdAutostart *self,
            gboolean     enabled,
            GtkWindow   *parent)
{
  g_autoptr(GPtrArray) commandline = g_ptr_array_new_with_free_func (g_free);
  XdpParent *xdp_parent = NULL;

  if (self->portal == NULL)
    self->portal = xdp_portal_new ();

  /* In the sandbox the prefix is /app, and flatpak runs this path. */
  g_ptr_array_add (commandline, g_strdup (TOKENDESK_APP_PATH));
  g_ptr_array_add (commandline, g_strdup ("--background"));

  if (parent != NULL)
    xdp_parent = xdp_parent_new_gtk (parent);

  /* libportal 0.6 copies the parent and takes its own reference on the
   * command line. */
  xdp_portal_request_background (self->portal, xdp_parent,
                                 _("Token Desk starts in the background when you log in, "
                                   "to warn you before your tokens expire."),
                                 commandline,
                                 enabled ? XDP_BACKGROUND_FLAG_AUTOSTART : XDP_BACKGROUND_FLAG_NONE,
                                 NULL, background_requested_cb, g_object_ref (self));

  g_clear_pointer (&xdp_parent, xdp_parent_free);
}

/* Either --------------------------------------------------------------- */

static void
start_change (TdAutostart *self,
              gboolean     enabled,
              GtkWindow   *parent)
{
  g_debug ("Turning start at login %s", enabled ? "on" : "off");

  self->busy = TRUE;
  self->asking = enabled;
  g_clear_pointer (&self->error, g_free);
  /* What the entry was is about to change. */
  g_cancellable_cancel (self->check);
  g_clear_object (&self->check);

  g_object_freeze_notify (G_OBJECT (self));
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_BUSY]);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_ERROR]);
  g_object_thaw_notify (G_OBJECT (self));

  if (self->sandboxed)
    ask_portal (self, enabled, parent);
  else if (enabled)
    write_entry (self);
  else
    g_file_delete_async (self->entry, G_PRIORITY_DEFAULT, NULL, entry_removed_cb,
                         g_object_ref (self));
}

static void
settings_changed_cb (TdAutostart *self,
                     const char  *key,
                     GSettings   *settings)
{
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_ENABLED]);
}

/* GObject ---------------------------------------------------------------- */

static void
td_autostart_dispose (GObject *object)
{
  TdAutostart *self = (TdAutostart *)object;

  g_cancellable_cancel (self->check);
  g_clear_object (&self->check);
  g_clear_weak_pointer (&self->next_parent);
  g_clear_object (&self->portal);
  g_clear_object (&self->entry);
  g_clear_object (&self->settings);

  G_OBJECT_CLASS (td_autostart_parent_class)->dispose (object);
}

static void
td_autostart_finalize (GObject *object)
{
  TdAutostart *self = (TdAutostart *)object;

  g_free (self->error);

  G_OBJECT_CLASS (td_autostart_parent_class)->finalize (object);
}

static void
td_autostart_get_property (GObject    *object,
                           guint       prop_id,
                           GValue     *value,
                           GParamSpec *pspec)
{
  TdAutostart *self = TD_AUTOSTART (object);

  switch (prop_id)
    {
    case PROP_SETTINGS:
      g_value_set_object (value, self->settings);
      break;
    case PROP_ENABLED:
      g_value_set_boolean (value, td_autostart_get_enabled (self));
      break;
    case PROP_BUSY:
      g_value_set_boolean (value, self->busy);
      break;
    case PROP_ERROR:
      g_value_set_string (value, self->error);
      break;
    case PROP_SANDBOXED:
      g_value_set_boolean (value, self->sandboxed);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
td_autostart_set_property (GObject      *object,
                           guint         prop_id,
                           const GValue *value,
                           GParamSpec   *pspec)
{
  TdAutostart *self = TD_AUTOSTART (object);

  switch (prop_id)
    {
    case PROP_SETTINGS:
      self->settings = g_value_dup_object (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
td_autostart_constructed (GObject *object)
{
  TdAutostart *self = TD_AUTOSTART (object);
  g_autofree char *path = NULL;

  G_OBJECT_CLASS (td_autostart_parent_class)->constructed (object);

  g_assert (G_IS_SETTINGS (self->settings));
  g_signal_connect_object (self->settings, "changed::" KEY,
                           G_CALLBACK (settings_changed_cb), self, G_CONNECT_SWAPPED);

  /* What GLib itself looks at to decide that it runs inside Flatpak. */
  self->sandboxed = g_file_test ("/.flatpak-info", G_FILE_TEST_EXISTS);
  path = g_build_filename (g_get_user_config_dir (), "autostart",
                           APPLICATION_ID ".desktop", NULL);
  self->entry = g_file_new_for_path (path);

  td_autostart_refresh (self);
}

static void
td_autostart_class_init (TdAutostartClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = td_autostart_dispose;
  object_class->finalize = td_autostart_finalize;
  object_class->get_property = td_autostart_get_property;
  object_class->set_property = td_autostart_set_property;
  object_class->constructed = td_autostart_constructed;

  properties[PROP_SETTINGS] =
    g_param_spec_object ("settings", NULL, NULL, G_TYPE_SETTINGS,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  properties[PROP_ENABLED] =
    g_param_spec_boolean ("enabled", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_BUSY] =
    g_param_spec_boolean ("busy", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_ERROR] =
    g_param_spec_string ("error", NULL, NULL, NULL,
                         G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_SANDBOXED] =
    g_param_spec_boolean ("sandboxed", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
td_autostart_init (TdAutostart *self)
{
}

TdAutostart *
td_autostart_new (GSettings *settings)
{
  g_return_val_if_fail (G_IS_SETTINGS (settings), NULL);

  return g_object_new (TD_TYPE_AUTOSTART, "settings", settings, NULL);
}

gboolean
td_autostart_get_enabled (TdAutostart *self)
{
  g_return_val_if_fail (TD_IS_AUTOSTART (self), FALSE);
  return g_settings_get_boolean (self->settings, KEY);
}

gboolean
td_autostart_get_busy (TdAutostart *self)
{
  g_return_val_if_fail (TD_IS_AUTOSTART (self), FALSE);
  return self->busy;
}

const char *
td_autostart_get_error (TdAutostart *self)
{
  g_return_val_if_fail (TD_IS_AUTOSTART (self), NULL);
  return self->error;
}

gboolean
td_autostart_get_sandboxed (TdAutostart *self)
{
  g_return_val_if_fail (TD_IS_AUTOSTART (self), FALSE);
  return self->sandboxed;
}

void
td_autostart_set_enabled (TdAutostart *self,
                          gboolean     enabled,
                          GtkWindow   *parent)
{
  g_return_if_fail (TD_IS_AUTOSTART (self));
  g_return_if_fail (parent == NULL || GTK_IS_WINDOW (parent));

  enabled = !!enabled;

  if (self->busy)
    {
      self->has_next = TRUE;
      self->next = enabled;
      g_set_weak_pointer (&self->next_parent, parent);
      return;
    }

  if (enabled == td_autostart_get_enabled (self))
    return;

  start_change (self, enabled, parent);
}

void
td_autostart_refresh (TdAutostart *self)
{
  g_return_if_fail (TD_IS_AUTOSTART (self));

  if (self->sandboxed || self->busy || self->check != NULL)
    return;

  self->check = g_cancellable_new ();
  g_file_query_info_async (self->entry, G_FILE_ATTRIBUTE_STANDARD_TYPE,
                           G_FILE_QUERY_INFO_NONE, G_PRIORITY_DEFAULT, self->check,
                           entry_checked_cb, g_object_ref (self));
}
