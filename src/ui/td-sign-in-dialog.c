/* td-sign-in-dialog.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "td-sign-in-dialog"

#include "config.h"

#include <glib/gi18n-lib.h>

#include "td-error-banner.h"
#include "td-provider.h"
#include "td-sign-in-dialog.h"

struct _TdSignInDialog
{
  AdwWindow           parent_instance;

  TdTokenManager     *manager;
  TdAccount          *account;
  GCancellable       *cancellable;  /* set while signing in */

  AdwWindowTitle     *window_title;
  GtkButton          *cancel_button;
  GtkWidget          *sign_in_button;
  GtkStack           *sign_in_stack;
  GtkSpinner         *spinner;
  GtkWidget          *form;
  GtkLabel           *body_label;
  TdErrorBanner      *error_banner;
  GtkWidget          *list_box;
  AdwEntryRow        *password_row;
  GtkWidget          *remember_row;
  GtkSwitch          *remember_switch;
};

G_DEFINE_FINAL_TYPE (TdSignInDialog, td_sign_in_dialog, ADW_TYPE_WINDOW)

enum {
  SIGNED_IN,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static void
set_busy (TdSignInDialog *self,
          gboolean        busy)
{
  /* A focused entry that turns insensitive never gets its focus-out (GTK
   * warns about it): move the focus off first, and back when done so the
   * password can be retyped at once. */
  if (busy && gtk_widget_get_sensitive (self->list_box))
    gtk_window_set_focus (GTK_WINDOW (self), NULL);
  else if (!busy && !gtk_widget_get_sensitive (self->list_box))
    {
      gtk_widget_set_sensitive (self->list_box, TRUE);
      gtk_widget_grab_focus (GTK_WIDGET (self->password_row));
    }

  gtk_stack_set_visible_child_name (self->sign_in_stack, busy ? "spinner" : "label");
  gtk_spinner_set_spinning (self->spinner, busy);
  gtk_widget_set_sensitive (self->list_box, !busy);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "prompt.sign-in",
                                 !busy && *gtk_editable_get_text (GTK_EDITABLE (self->password_row)));
}

static void
password_changed_cb (TdSignInDialog *self)
{
  gtk_widget_remove_css_class (GTK_WIDGET (self->password_row), "error");
  set_busy (self, self->cancellable != NULL);
}

static void
signed_in_cb (GObject      *object,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(TdSignInDialog) self = user_data;
  g_autoptr(GError) error = NULL;
  gboolean ok;

  if (td_account_get_admin_token (self->account))
    ok = td_token_manager_set_admin_token_finish (TD_TOKEN_MANAGER (object), result, &error);
  else
    ok = td_token_manager_sign_in_finish (TD_TOKEN_MANAGER (object), result, &error);

  g_clear_object (&self->cancellable);

  if (!ok)
    {
      set_busy (self, FALSE);

      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        return;

      /* What was typed stays; the error says what to change. */
      td_error_banner_set_error (self->error_banner, error);
      gtk_widget_add_css_class (GTK_WIDGET (self->password_row), "error");
      gtk_widget_grab_focus (GTK_WIDGET (self->password_row));
      return;
    }

  /* "Remember password" may have changed, a setting of the account: the
   * handler writes the account list. */
  g_signal_emit (self, signals[SIGNED_IN], 0, self->account);
  gtk_window_destroy (GTK_WINDOW (self));
}

static void
sign_in_action (GtkWidget  *widget,
                const char *action_name,
                GVariant   *parameter)
{
  TdSignInDialog *self = TD_SIGN_IN_DIALOG (widget);
  TdTokenManager *manager = self->manager;
  const char *password = gtk_editable_get_text (GTK_EDITABLE (self->password_row));

  if (self->cancellable != NULL || *password == '\0')
    return;

  td_error_banner_set_error (self->error_banner, NULL);
  self->cancellable = g_cancellable_new ();
  set_busy (self, TRUE);

  if (td_account_get_admin_token (self->account))
    td_token_manager_set_admin_token_async (manager, self->account, password, self->cancellable,
                                            signed_in_cb, g_object_ref (self));
  else
    {
      if (gtk_widget_get_visible (self->remember_row))
        td_account_set_remember_password (self->account,
                                          gtk_switch_get_active (self->remember_switch));
      td_token_manager_sign_in_async (manager, self->account, password, NULL, self->cancellable,
                                      signed_in_cb, g_object_ref (self));
    }
}

/* Cancel stops a sign-in in flight; pressed again, it closes. */
static void
cancel_clicked_cb (TdSignInDialog *self)
{
  if (self->cancellable != NULL)
    {
      g_cancellable_cancel (self->cancellable);
      return;
    }

  gtk_window_close (GTK_WINDOW (self));
}

static gboolean
td_sign_in_dialog_close_request (GtkWindow *window)
{
  TdSignInDialog *self = TD_SIGN_IN_DIALOG (window);

  g_cancellable_cancel (self->cancellable);

  return GTK_WINDOW_CLASS (td_sign_in_dialog_parent_class)->close_request (window);
}

static void
td_sign_in_dialog_dispose (GObject *object)
{
  TdSignInDialog *self = (TdSignInDialog *)object;

  g_cancellable_cancel (self->cancellable);
  gtk_widget_dispose_template (GTK_WIDGET (self), TD_TYPE_SIGN_IN_DIALOG);
  g_clear_object (&self->cancellable);
  g_clear_object (&self->account);
  g_clear_object (&self->manager);

  G_OBJECT_CLASS (td_sign_in_dialog_parent_class)->dispose (object);
}

static void
td_sign_in_dialog_class_init (TdSignInDialogClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);
  GtkWindowClass *window_class = GTK_WINDOW_CLASS (klass);

  object_class->dispose = td_sign_in_dialog_dispose;
  window_class->close_request = td_sign_in_dialog_close_request;

  signals[SIGNED_IN] =
    g_signal_new ("signed-in",
                  G_TYPE_FROM_CLASS (klass),
                  G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL,
                  G_TYPE_NONE, 1, TD_TYPE_ACCOUNT);

  g_type_ensure (TD_TYPE_ERROR_BANNER);

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/tokendesk/TokenDesk/td-sign-in-dialog.ui");
  gtk_widget_class_bind_template_child (widget_class, TdSignInDialog, window_title);
  gtk_widget_class_bind_template_child (widget_class, TdSignInDialog, cancel_button);
  gtk_widget_class_bind_template_child (widget_class, TdSignInDialog, sign_in_button);
  gtk_widget_class_bind_template_child (widget_class, TdSignInDialog, sign_in_stack);
  gtk_widget_class_bind_template_child (widget_class, TdSignInDialog, spinner);
  gtk_widget_class_bind_template_child (widget_class, TdSignInDialog, form);
  gtk_widget_class_bind_template_child (widget_class, TdSignInDialog, body_label);
  gtk_widget_class_bind_template_child (widget_class, TdSignInDialog, error_banner);
  gtk_widget_class_bind_template_child (widget_class, TdSignInDialog, list_box);
  gtk_widget_class_bind_template_child (widget_class, TdSignInDialog, password_row);
  gtk_widget_class_bind_template_child (widget_class, TdSignInDialog, remember_row);
  gtk_widget_class_bind_template_child (widget_class, TdSignInDialog, remember_switch);

  gtk_widget_class_install_action (widget_class, "prompt.sign-in", NULL, sign_in_action);

  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Escape, 0, "window.close", NULL);
}

static void
td_sign_in_dialog_init (TdSignInDialog *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));

  gtk_window_set_default_widget (GTK_WINDOW (self), self->sign_in_button);
  g_signal_connect_object (self->cancel_button, "clicked",
                           G_CALLBACK (cancel_clicked_cb), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->password_row, "changed",
                           G_CALLBACK (password_changed_cb), self, G_CONNECT_SWAPPED);
}

TdSignInDialog *
td_sign_in_dialog_new (GtkWindow      *parent,
                       TdTokenManager *manager,
                       TdAccount      *account)
{
  TdSignInDialog *self;
  TdProvider *provider;
  const char *vendor;
  g_autofree char *body = NULL;

  g_return_val_if_fail (!parent || GTK_IS_WINDOW (parent), NULL);
  g_return_val_if_fail (TD_IS_TOKEN_MANAGER (manager), NULL);
  g_return_val_if_fail (TD_IS_ACCOUNT (account), NULL);

  self = g_object_new (TD_TYPE_SIGN_IN_DIALOG,
                       "transient-for", parent,
                       NULL);
  self->manager = g_object_ref (manager);
  self->account = g_object_ref (account);

  provider = td_provider_get_for_vendor (td_account_get_vendor (account));
  vendor = provider ? td_provider_get_display_name (provider) : td_account_get_vendor (account);

  adw_window_title_set_subtitle (self->window_title, td_account_get_display_name (account));

  if (td_account_get_admin_token (account))
    {
      /* Translators: %s is a vendor */
      body = g_strdup_printf (_("Paste the administrative token created in %s’s admin "
                                "interface."), vendor);
      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (self->password_row),
                                     _("Administrative Token"));
      gtk_widget_set_visible (self->remember_row, FALSE);
    }
  else
    {
      /* Translators: "Couchdrop needs the password of alice to issue a new token." */
      body = g_strdup_printf (_("%s needs the password of %s to issue a new token."),
                              vendor, td_account_get_username (account));
      /* Vendors with refresh tokens renew without a password. */
      gtk_widget_set_visible (self->remember_row,
                              provider != NULL &&
                              !td_provider_has_feature (provider, TD_PROVIDER_FEATURE_REFRESH_TOKEN));
      gtk_switch_set_active (self->remember_switch, td_account_get_remember_password (account));
    }

  gtk_label_set_label (self->body_label, body);
  set_busy (self, FALSE);

  return self;
}

void
td_sign_in_dialog_set_password (TdSignInDialog *self,
                                const char     *password)
{
  g_return_if_fail (TD_IS_SIGN_IN_DIALOG (self));
  gtk_editable_set_text (GTK_EDITABLE (self->password_row), password);
}

void
td_sign_in_dialog_sign_in (TdSignInDialog *self)
{
  g_return_if_fail (TD_IS_SIGN_IN_DIALOG (self));
  gtk_widget_activate_action (GTK_WIDGET (self), "prompt.sign-in", NULL);
}

const char *
td_sign_in_dialog_get_error (TdSignInDialog *self)
{
  g_return_val_if_fail (TD_IS_SIGN_IN_DIALOG (self), NULL);
  return td_error_banner_get_message (self->error_banner);
}
