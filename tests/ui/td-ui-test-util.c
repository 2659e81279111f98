/* td-ui-test-util.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include "td-ui-test-util.h"

static gboolean
timeout_cb (gpointer data)
{
  *(gboolean *) data = TRUE;
  return G_SOURCE_REMOVE;
}

static gboolean
tick_cb (gpointer data)
{
  return G_SOURCE_CONTINUE;
}

gboolean
td_ui_test_wait_until (TdUiTestCondition condition,
                       gpointer          data,
                       guint             timeout_ms)
{
  gboolean timed_out = FALSE;
  gboolean met;
  guint id = g_timeout_add (timeout_ms, timeout_cb, &timed_out);
  guint tick = g_timeout_add (20, tick_cb, NULL);

  while (!(met = condition (data)) && !timed_out)
    g_main_context_iteration (NULL, TRUE);

  if (!timed_out)
    g_source_remove (id);
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
  gpointer weak = toplevel;

  g_object_add_weak_pointer (G_OBJECT (toplevel), &weak);
  gtk_window_close (GTK_WINDOW (toplevel));
  if (!td_ui_test_wait_until (td_ui_test_is_null, &weak, TD_UI_TEST_WAIT_MS))
    g_error ("A window did not close");
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
dialog_gone_or_said_something (gpointer data)
{
  gpointer dialog = *(gpointer *) data;

  /* Idle with nothing said: it is about to close. */
  return dialog == NULL ||
         (!td_account_dialog_get_busy (dialog) && td_account_dialog_get_message (dialog) != NULL);
}

gboolean
td_ui_test_sign_in (TdAccountDialog *dialog)
{
  gpointer weak = dialog;

  g_object_add_weak_pointer (G_OBJECT (dialog), &weak);
  if (td_account_dialog_get_field_error (dialog) != NULL ||
      !gtk_widget_activate_action (GTK_WIDGET (dialog), "dialog.sign-in", NULL))
    g_error ("Sign In is disabled: %s", td_account_dialog_get_field_error (dialog));

  if (weak != NULL)
    g_assert_true (td_account_dialog_get_busy (dialog));

  if (!td_ui_test_wait_until (dialog_gone_or_said_something, &weak, TD_UI_TEST_WAIT_MS))
    g_error ("The sign-in neither ended nor failed");

  if (weak == NULL)
    return TRUE;

  g_object_remove_weak_pointer (G_OBJECT (dialog), &weak);
  return FALSE;
}
