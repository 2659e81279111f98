/* td-preferences-window.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <glib/gi18n-lib.h>

#include "td-autostart.h"
#include "td-preferences-window.h"

struct _TdPreferencesWindow
{
  AdwPreferencesWindow  parent_instance;

  GSettings            *settings;
  TdAutostart          *autostart;
  char                 *autostart_subtitle;

  AdwComboRow          *clipboard_row;
  AdwComboRow          *validity_row;
  GtkSwitch            *notify_switch;
  AdwComboRow          *lead_time_row;
  GtkSwitch            *background_switch;
  GtkSwitch            *confirm_switch;
  AdwActionRow         *autostart_row;
  GtkSwitch            *autostart_switch;
};

G_DEFINE_FINAL_TYPE (TdPreferencesWindow, td_preferences_window, ADW_TYPE_PREFERENCES_WINDOW)

static const guint clipboard_choices[] = { 0, 10, 30, 60, 120, 300 };
static const guint validity_choices[] = { 60, 300, 600, 900, 1800, 3600 };
static const guint lead_time_choices[] = { 60, 120, 300, 600, 900, 1800, 3600 };

static char *
format_seconds (guint seconds)
{
  if (seconds == 0)
    return g_strdup (C_("clear clipboard", "Never"));
  if (seconds < 60 || seconds % 60 != 0)
    return g_strdup_printf (ngettext ("%u second", "%u seconds", seconds), seconds);
  if (seconds < 3600 || seconds % 3600 != 0)
    return g_strdup_printf (ngettext ("%u minute", "%u minutes", seconds / 60), seconds / 60);
  return g_strdup_printf (ngettext ("%u hour", "%u hours", seconds / 3600), seconds / 3600);
}

/* The rows offer a few round values; a value set elsewhere (gsettings, a
 * test) shows as one more choice instead of being rounded away. */
static void
setup_choices (TdPreferencesWindow *self,
               AdwComboRow         *row,
               const char          *key,
               const guint         *choices,
               guint                n_choices)
{
  g_autoptr(GtkStringList) model = gtk_string_list_new (NULL);
  GArray *values = g_array_new (FALSE, FALSE, sizeof (guint));
  guint current = g_settings_get_uint (self->settings, key);
  gboolean listed = FALSE;
  guint selected = 0;

  for (guint i = 0; i < n_choices; i++)
    {
      if (!listed && current < choices[i])
        {
          g_array_append_val (values, current);
          listed = TRUE;
        }
      if (current == choices[i])
        listed = TRUE;
      g_array_append_val (values, choices[i]);
    }
  if (!listed)
    g_array_append_val (values, current);

  for (guint i = 0; i < values->len; i++)
    {
      g_autofree char *label = format_seconds (g_array_index (values, guint, i));

      gtk_string_list_append (model, label);
      if (g_array_index (values, guint, i) == current)
        selected = i;
    }

  g_object_set_data_full (G_OBJECT (row), "td-values", values, (GDestroyNotify)g_array_unref);
  g_object_set_data_full (G_OBJECT (row), "td-key", g_strdup (key), g_free);
  adw_combo_row_set_model (row, G_LIST_MODEL (model));
  adw_combo_row_set_selected (row, selected);
}

static void
choice_selected_cb (AdwComboRow         *row,
                    GParamSpec          *pspec,
                    TdPreferencesWindow *self)
{
  GArray *values = g_object_get_data (G_OBJECT (row), "td-values");
  const char *key = g_object_get_data (G_OBJECT (row), "td-key");
  guint selected = adw_combo_row_get_selected (row);

  if (values != NULL && selected < values->len)
    g_settings_set_uint (self->settings, key, g_array_index (values, guint, selected));
}

/* Why the last change was refused stays under the title until the next. */
static void
autostart_error_cb (TdPreferencesWindow *self)
{
  const char *error = td_autostart_get_error (self->autostart);

  adw_action_row_set_subtitle (self->autostart_row, error ? error : self->autostart_subtitle);
  adw_action_row_set_icon_name (self->autostart_row, error ? "dialog-warning-symbolic" : NULL);
}

/* The switch follows TdAutostart:enabled, which moves only once the change
 * is made: flipped by the user, it asks; refused, it goes back. */
static void
autostart_switch_cb (GtkSwitch           *autostart_switch,
                     GParamSpec          *pspec,
                     TdPreferencesWindow *self)
{
  td_autostart_set_enabled (self->autostart, gtk_switch_get_active (autostart_switch),
                            GTK_WINDOW (self));
}

static void
td_preferences_window_dispose (GObject *object)
{
  TdPreferencesWindow *self = (TdPreferencesWindow *)object;

  gtk_widget_dispose_template (GTK_WIDGET (self), TD_TYPE_PREFERENCES_WINDOW);
  g_clear_object (&self->settings);
  g_clear_object (&self->autostart);
  g_clear_pointer (&self->autostart_subtitle, g_free);

  G_OBJECT_CLASS (td_preferences_window_parent_class)->dispose (object);
}

static void
td_preferences_window_class_init (TdPreferencesWindowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = td_preferences_window_dispose;

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/tokendesk/TokenDesk/td-preferences-window.ui");
  gtk_widget_class_bind_template_child (widget_class, TdPreferencesWindow, clipboard_row);
  gtk_widget_class_bind_template_child (widget_class, TdPreferencesWindow, validity_row);
  gtk_widget_class_bind_template_child (widget_class, TdPreferencesWindow, notify_switch);
  gtk_widget_class_bind_template_child (widget_class, TdPreferencesWindow, lead_time_row);
  gtk_widget_class_bind_template_child (widget_class, TdPreferencesWindow, background_switch);
  gtk_widget_class_bind_template_child (widget_class, TdPreferencesWindow, confirm_switch);
  gtk_widget_class_bind_template_child (widget_class, TdPreferencesWindow, autostart_row);
  gtk_widget_class_bind_template_child (widget_class, TdPreferencesWindow, autostart_switch);
}

static void
td_preferences_window_init (TdPreferencesWindow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
}

TdPreferencesWindow *
td_preferences_window_new (GSettings   *settings,
                           TdAutostart *autostart)
{
  TdPreferencesWindow *self;

  g_return_val_if_fail (G_IS_SETTINGS (settings), NULL);
  g_return_val_if_fail (TD_IS_AUTOSTART (autostart), NULL);

  self = g_object_new (TD_TYPE_PREFERENCES_WINDOW, NULL);
  self->settings = g_object_ref (settings);
  self->autostart = g_object_ref (autostart);

  setup_choices (self, self->clipboard_row, "clipboard-timeout",
                 clipboard_choices, G_N_ELEMENTS (clipboard_choices));
  setup_choices (self, self->validity_row, "min-validity",
                 validity_choices, G_N_ELEMENTS (validity_choices));
  g_signal_connect_object (self->clipboard_row, "notify::selected",
                           G_CALLBACK (choice_selected_cb), self, 0);
  setup_choices (self, self->lead_time_row, "expiry-lead-time",
                 lead_time_choices, G_N_ELEMENTS (lead_time_choices));
  g_signal_connect_object (self->validity_row, "notify::selected",
                           G_CALLBACK (choice_selected_cb), self, 0);
  g_signal_connect_object (self->lead_time_row, "notify::selected",
                           G_CALLBACK (choice_selected_cb), self, 0);

  g_settings_bind (settings, "notify-expiry", self->notify_switch, "active",
                   G_SETTINGS_BIND_DEFAULT);
  /* The lead time stays sensitive without the warnings: accounts that
   * renew automatically renew then. */
  g_settings_bind (settings, "run-in-background", self->background_switch, "active",
                   G_SETTINGS_BIND_DEFAULT);
  g_settings_bind (settings, "confirm-token-requests", self->confirm_switch, "active",
                   G_SETTINGS_BIND_DEFAULT);

  self->autostart_subtitle = g_strdup (adw_action_row_get_subtitle (self->autostart_row));
  g_object_bind_property (autostart, "enabled", self->autostart_switch, "active",
                          G_BINDING_SYNC_CREATE);
  g_object_bind_property (autostart, "busy", self->autostart_row, "sensitive",
                          G_BINDING_SYNC_CREATE | G_BINDING_INVERT_BOOLEAN);
  g_signal_connect_object (autostart, "notify::error",
                           G_CALLBACK (autostart_error_cb), self, G_CONNECT_SWAPPED);
  autostart_error_cb (self);
  g_signal_connect_object (self->autostart_switch, "notify::active",
                           G_CALLBACK (autostart_switch_cb), self, 0);
  /* The user may have removed the entry since we last looked. */
  td_autostart_refresh (autostart);

  return self;
}
