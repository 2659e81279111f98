/* td-ui-test-util.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include "td-ui-test-util.h"

static gboolean
tick_cb (gpointer data)
{
  return G_SOURCE_CONTINUE;
}

gboolean
td_ui_test_wait_until (TdTestCondition condition,
                       gpointer        data,
                       guint           timeout_ms)
{
  /* A wake-up every 20 ms for what the main loop cannot see change. */
  guint tick = g_timeout_add (20, tick_cb, NULL);
  gboolean met = td_test_sim_wait_until (NULL, condition, data, timeout_ms);

  g_source_remove (tick);

  return met;
}

gboolean
td_ui_test_is_true (gpointer data)
{
  return *(gboolean *) data;
}

gboolean
td_ui_test_is_null (gpointer data)
{
  return *(gpointer *) data == NULL;
}

/* GTK 4 destroys a window by dropping it from its list of toplevels; it
 * is disposed only when the last reference goes. */
static gboolean
window_gone (gpointer window)
{
  GListModel *toplevels = gtk_window_get_toplevels ();

  for (guint i = 0; i < g_list_model_get_n_items (toplevels); i++)
    {
      g_autoptr(GtkWidget) toplevel = g_list_model_get_item (toplevels, i);

      if (toplevel == window)
        return FALSE;
    }

  return TRUE;
}

static gboolean
only_our_reference (gpointer object)
{
  return G_OBJECT (object)->ref_count == 1;
}

void
td_ui_test_assert_finalized (gpointer object)
{
  /* A callback still in flight (cancelled when the window went) may hold
   * a reference for a few iterations; anything that keeps one for good
   * fails here. */
  if (!td_ui_test_wait_until (only_our_reference, object, TD_UI_TEST_WAIT_MS))
    g_error ("A %s is still referenced %u times after it closed",
             G_OBJECT_TYPE_NAME (object), G_OBJECT (object)->ref_count - 1);

  g_assert_finalize_object (object);
}

static gboolean
window_ready (gpointer data)
{
  TdApplication *application = data;
  GtkWindow *window = gtk_application_get_active_window (GTK_APPLICATION (application));

  return window != NULL && gtk_widget_get_mapped (GTK_WIDGET (window)) &&
         !td_application_get_loading (application);
}

TdWindow *
td_ui_test_start_app (const char     *application_id,
                      int             width,
                      int             height,
                      TdApplication **out_application)
{
  g_autoptr(GError) error = NULL;
  TdApplication *application;
  GSettings *settings;

  /* The resource base path is the real one: the vendor icons are found
   * through it. */
  application = g_object_new (TD_TYPE_APPLICATION,
                              "application-id", application_id,
                              "flags", G_APPLICATION_NON_UNIQUE,
                              "resource-base-path", "/io/github/tokendesk/TokenDesk",
                              NULL);
  g_application_register (G_APPLICATION (application), NULL, &error);
  g_assert_no_error (error);

  settings = td_application_get_settings (application);
  if (width > 0)
    g_settings_set_int (settings, "window-width", width);
  if (height > 0)
    g_settings_set_int (settings, "window-height", height);
  g_settings_set_boolean (settings, "notify-expiry", FALSE);

  g_application_activate (G_APPLICATION (application));
  if (!td_ui_test_wait_until (window_ready, application, TD_UI_TEST_WAIT_MS))
    g_error ("The window did not show the account list");

  *out_application = application;
  return TD_WINDOW (gtk_application_get_active_window (GTK_APPLICATION (application)));
}

gpointer
td_ui_test_find_toplevel (GType type)
{
  GListModel *toplevels = gtk_window_get_toplevels ();

  for (guint i = 0; i < g_list_model_get_n_items (toplevels); i++)
    {
      g_autoptr(GtkWidget) toplevel = g_list_model_get_item (toplevels, i);

      if (G_TYPE_CHECK_INSTANCE_TYPE (toplevel, type) && gtk_widget_get_visible (toplevel))
        return toplevel;
    }

  return NULL;
}

void
td_ui_test_close_window (gpointer toplevel)
{
  g_object_ref (toplevel);
  gtk_window_close (GTK_WINDOW (toplevel));
  if (!td_ui_test_wait_until (window_gone, toplevel, TD_UI_TEST_WAIT_MS))
    g_error ("A window did not close");

  td_ui_test_assert_finalized (toplevel);
}

void
td_ui_test_set_field (TdAccountDialog *dialog,
                      const char      *field,
                      const char      *text)
{
  gtk_editable_set_text (td_account_dialog_get_field (dialog, field), text);
}

void
td_ui_test_fill_dialog (TdAccountDialog *dialog,
                        TdTestSim       *sim,
                        const char      *vendor,
                        const char      *name,
                        const char      *username,
                        const char      *password)
{
  g_autofree char *base = td_test_sim_dup_base (sim, vendor);

  td_account_dialog_select_vendor (dialog, vendor);
  if (!g_str_equal (vendor, "senmo"))
    td_account_dialog_select_endpoint (dialog, NULL);
  td_ui_test_set_field (dialog, "url", base);
  td_ui_test_set_field (dialog, "name", name);
  td_ui_test_set_field (dialog, "username", username);
  td_ui_test_set_field (dialog, "password", password);
}

gboolean
td_ui_test_dialog_idle (gpointer dialog)
{
  return !td_account_dialog_get_busy (dialog);
}

static gboolean
dialog_gone_or_said_something (gpointer dialog)
{
  /* Idle with nothing said: it is about to close. */
  return window_gone (dialog) ||
         (!td_account_dialog_get_busy (dialog) && td_account_dialog_get_message (dialog) != NULL);
}

gboolean
td_ui_test_sign_in (TdAccountDialog *dialog)
{
  g_object_ref (dialog);
  if (td_account_dialog_get_field_error (dialog) != NULL ||
      !gtk_widget_activate_action (GTK_WIDGET (dialog), "dialog.sign-in", NULL))
    g_error ("Sign In is disabled: %s", td_account_dialog_get_field_error (dialog));

  if (!window_gone (dialog))
    g_assert_true (td_account_dialog_get_busy (dialog));

  if (!td_ui_test_wait_until (dialog_gone_or_said_something, dialog, TD_UI_TEST_WAIT_MS))
    g_error ("The sign-in neither ended nor failed");

  if (window_gone (dialog))
    {
      td_ui_test_assert_finalized (dialog);
      return TRUE;
    }

  g_object_unref (dialog);
  return FALSE;
}
