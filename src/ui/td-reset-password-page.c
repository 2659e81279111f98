/* td-reset-password-page.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "td-reset-password-page"

#include "config.h"

#include <glib/gi18n-lib.h>

#include "td-reset-password-page.h"

struct _TdResetPasswordPage
{
  AdwPreferencesPage  parent_instance;

  TdProvider         *provider;     /* borrowed: providers live as long as the process */
  TdAccount          *account;      /* what the reset is for: vendor and endpoint */
  GCancellable       *cancellable;  /* set while talking to the vendor */

  /* Template widgets */
  AdwEntryRow        *username_row;
  AdwEntryRow        *code_row;
  AdwEntryRow        *password_row;
  AdwEntryRow        *confirm_row;
  GtkLabel           *error_label;
};

G_DEFINE_FINAL_TYPE (TdResetPasswordPage, td_reset_password_page, ADW_TYPE_PREFERENCES_PAGE)

enum {
  PROP_0,
  PROP_BUSY,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

enum {
  FAILED,
  CODE_SENT,
  PASSWORD_SET,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static const char *
text_of (gpointer editable)
{
  return gtk_editable_get_text (GTK_EDITABLE (editable));
}

static char *
dup_username (TdResetPasswordPage *self)
{
  return g_strstrip (g_strdup (text_of (self->username_row)));
}

/* Why the new password cannot be set yet, or NULL. */
static const char *
find_problem (TdResetPasswordPage *self)
{
  const char *password = text_of (self->password_row);
  const char *confirm = text_of (self->confirm_row);
  g_autofree char *code = g_strstrip (g_strdup (text_of (self->code_row)));

  if (*code == '\0')
    return _("Enter the reset code");
  if (*password == '\0')
    return _("Enter a new password");
  if (*confirm == '\0')
    return _("Confirm the new password");
  if (g_strcmp0 (password, confirm) != 0)
    return _("The new passwords do not match");

  return NULL;
}

static void
update (TdResetPasswordPage *self)
{
  g_autofree char *username = dup_username (self);
  const char *problem = find_problem (self);
  gboolean busy = self->cancellable != NULL;

  /* Said only once the confirmation is typed: before, it is no news. */
  gtk_label_set_label (self->error_label, problem);
  gtk_widget_set_visible (GTK_WIDGET (self->error_label),
                          problem != NULL && *text_of (self->confirm_row) != '\0');

  gtk_widget_action_set_enabled (GTK_WIDGET (self), "reset.send-code",
                                 !busy && self->provider != NULL && *username != '\0');
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "reset.set-password",
                                 !busy && self->provider != NULL && *username != '\0' &&
                                 problem == NULL);
}

static void
set_busy (TdResetPasswordPage *self,
          gboolean             busy)
{
  if (busy)
    {
      g_assert (self->cancellable == NULL);
      self->cancellable = g_cancellable_new ();
    }
  else
    g_clear_object (&self->cancellable);

  update (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_BUSY]);
}

/* A fresh account for the vendor to look at: the username typed here. */
static TdAccount *
create_draft (TdResetPasswordPage *self)
{
  g_autofree char *username = dup_username (self);
  TdAccount *draft = td_account_new (NULL, td_account_get_vendor (self->account));

  td_account_set_endpoint (draft, td_account_get_endpoint (self->account));
  td_account_set_username (draft, username);

  return draft;
}

/* Ends a request to the vendor; TRUE when it succeeded. A failure is
 * reported; a cancelled request is silent, the page may be gone by then. */
static gboolean
end_request (TdResetPasswordPage *self,
             gboolean             ok,
             const GError        *error)
{
  if (!ok && g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return FALSE;

  set_busy (self, FALSE);

  if (!ok)
    g_signal_emit (self, signals[FAILED], 0, error);

  return ok;
}

static void
request_password_reset_cb (GObject      *object,
                           GAsyncResult *result,
                           gpointer      user_data)
{
  g_autoptr(TdResetPasswordPage) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autofree char *username = NULL;
  gboolean ok;

  ok = td_provider_request_password_reset_finish (TD_PROVIDER (object), result, &error);
  if (!end_request (self, ok, error))
    return;

  username = dup_username (self);
  g_signal_emit (self, signals[CODE_SENT], 0, username);
  gtk_widget_grab_focus (GTK_WIDGET (self->code_row));
}

static void
send_code_action (GtkWidget  *widget,
                  const char *action_name,
                  GVariant   *parameter)
{
  TdResetPasswordPage *self = TD_RESET_PASSWORD_PAGE (widget);
  g_autoptr(TdAccount) draft = NULL;

  if (self->cancellable != NULL || self->provider == NULL)
    return;

  draft = create_draft (self);
  set_busy (self, TRUE);
  td_provider_request_password_reset_async (self->provider, draft, self->cancellable,
                                            request_password_reset_cb, g_object_ref (self));
}

static void
reset_password_cb (GObject      *object,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_autoptr(TdResetPasswordPage) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autofree char *username = NULL;
  g_auto(TdSecret) password = NULL;
  gboolean ok;

  ok = td_provider_reset_password_finish (TD_PROVIDER (object), result, &error);
  if (!end_request (self, ok, error))
    return;

  /* Done with: only the new password goes on, to the sign-in form. */
  username = dup_username (self);
  password = g_strdup (text_of (self->password_row));
  gtk_editable_set_text (GTK_EDITABLE (self->code_row), "");
  gtk_editable_set_text (GTK_EDITABLE (self->password_row), "");
  gtk_editable_set_text (GTK_EDITABLE (self->confirm_row), "");

  g_signal_emit (self, signals[PASSWORD_SET], 0, username, password);
}

static void
set_password_action (GtkWidget  *widget,
                     const char *action_name,
                     GVariant   *parameter)
{
  TdResetPasswordPage *self = TD_RESET_PASSWORD_PAGE (widget);
  g_autoptr(TdAccount) draft = NULL;
  g_autofree char *code = NULL;

  if (self->cancellable != NULL || self->provider == NULL || find_problem (self) != NULL)
    return;

  draft = create_draft (self);
  code = g_strstrip (g_strdup (text_of (self->code_row)));
  set_busy (self, TRUE);
  td_provider_reset_password_async (self->provider, draft, code, text_of (self->password_row),
                                    self->cancellable, reset_password_cb, g_object_ref (self));
}

/* GObject ---------------------------------------------------------------- */

static void
td_reset_password_page_dispose (GObject *object)
{
  TdResetPasswordPage *self = (TdResetPasswordPage *)object;

  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  g_clear_object (&self->account);
  gtk_widget_dispose_template (GTK_WIDGET (self), TD_TYPE_RESET_PASSWORD_PAGE);

  G_OBJECT_CLASS (td_reset_password_page_parent_class)->dispose (object);
}

static void
td_reset_password_page_get_property (GObject    *object,
                                     guint       prop_id,
                                     GValue     *value,
                                     GParamSpec *pspec)
{
  TdResetPasswordPage *self = TD_RESET_PASSWORD_PAGE (object);

  switch (prop_id)
    {
    case PROP_BUSY:
      g_value_set_boolean (value, td_reset_password_page_get_busy (self));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
td_reset_password_page_class_init (TdResetPasswordPageClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = td_reset_password_page_dispose;
  object_class->get_property = td_reset_password_page_get_property;

  properties[PROP_BUSY] =
    g_param_spec_boolean ("busy", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  signals[FAILED] =
    g_signal_new ("failed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                  NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_ERROR);
  signals[CODE_SENT] =
    g_signal_new ("code-sent", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                  NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_STRING);
  signals[PASSWORD_SET] =
    g_signal_new ("password-set", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                  NULL, NULL, NULL, G_TYPE_NONE, 2, G_TYPE_STRING, G_TYPE_STRING);

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/tokendesk/TokenDesk/td-reset-password-page.ui");
  gtk_widget_class_bind_template_child (widget_class, TdResetPasswordPage, username_row);
  gtk_widget_class_bind_template_child (widget_class, TdResetPasswordPage, code_row);
  gtk_widget_class_bind_template_child (widget_class, TdResetPasswordPage, password_row);
  gtk_widget_class_bind_template_child (widget_class, TdResetPasswordPage, confirm_row);
  gtk_widget_class_bind_template_child (widget_class, TdResetPasswordPage, error_label);

  gtk_widget_class_install_action (widget_class, "reset.send-code", NULL, send_code_action);
  gtk_widget_class_install_action (widget_class, "reset.set-password", NULL,
                                   set_password_action);
}

static void
td_reset_password_page_init (TdResetPasswordPage *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));

  g_signal_connect_object (self->username_row, "changed",
                           G_CALLBACK (update), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->code_row, "changed",
                           G_CALLBACK (update), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->password_row, "changed",
                           G_CALLBACK (update), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->confirm_row, "changed",
                           G_CALLBACK (update), self, G_CONNECT_SWAPPED);
  update (self);
}

/* Public ----------------------------------------------------------------- */

void
td_reset_password_page_start (TdResetPasswordPage *self,
                              TdProvider          *provider,
                              TdAccount           *account,
                              const char          *username)
{
  g_autofree char *typed = NULL;

  g_return_if_fail (TD_IS_RESET_PASSWORD_PAGE (self));
  g_return_if_fail (TD_IS_PROVIDER (provider));
  g_return_if_fail (TD_IS_ACCOUNT (account));

  self->provider = provider;
  g_set_object (&self->account, account);

  typed = dup_username (self);
  if (*typed == '\0' && username != NULL && *username != '\0')
    gtk_editable_set_text (GTK_EDITABLE (self->username_row), username);

  update (self);

  /* The first field still empty: the username, or else the code. */
  gtk_widget_grab_focus (*typed == '\0' && (username == NULL || *username == '\0')
                         ? GTK_WIDGET (self->username_row) : GTK_WIDGET (self->code_row));
}

gboolean
td_reset_password_page_get_busy (TdResetPasswordPage *self)
{
  g_return_val_if_fail (TD_IS_RESET_PASSWORD_PAGE (self), FALSE);
  return self->cancellable != NULL;
}

GtkEditable *
td_reset_password_page_get_field (TdResetPasswordPage *self,
                                  const char          *field)
{
  g_return_val_if_fail (TD_IS_RESET_PASSWORD_PAGE (self), NULL);

  if (g_str_equal (field, "username"))
    return GTK_EDITABLE (self->username_row);
  if (g_str_equal (field, "code"))
    return GTK_EDITABLE (self->code_row);
  if (g_str_equal (field, "password"))
    return GTK_EDITABLE (self->password_row);
  if (g_str_equal (field, "confirm"))
    return GTK_EDITABLE (self->confirm_row);

  g_return_val_if_reached (NULL);
}
