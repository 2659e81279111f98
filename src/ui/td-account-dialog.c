/* td-account-dialog.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "td-account-dialog"

#include "config.h"

#include <glib/gi18n-lib.h>
#include <string.h>

#include "td-account-dialog.h"
#include "td-account-name.h"
#include "td-error.h"
#include "td-error-banner.h"
#include "td-provider.h"
#include "td-reset-password-page.h"

/* Adding and editing share this dialog. Nothing reaches the account list
 * before the vendor said yes: a sign-in runs on a draft account, which
 * becomes the new account (or lends its tokens to the edited one) only on
 * success. A failure leaves every field as typed.
 *
 * It knows neither window nor application: it works on the account list
 * and the token manager it was given, and says "added" or "saved" for
 * whoever opened it to save the list and tell the user. */

struct _TdAccountDialog
{
  AdwWindow          parent_instance;

  TdTokenManager    *manager;
  TdAccountList     *accounts;
  TdAccount         *account;       /* edited; NULL when adding */
  TdProvider        *provider;      /* the vendor chosen */
  TdAccount         *draft;         /* signing in, resetting */
  GCancellable      *cancellable;   /* set while talking to the vendor */
  GtkWidget         *busy_focus;    /* weak: where the focus goes back */
  GPtrArray         *vendor_rows;   /* AdwActionRow, in provider order */
  GPtrArray         *vendor_checks; /* GtkCheckButton, likewise */
  GtkStringList     *endpoint_model;
  char              *field_error;
  gboolean           name_edited;   /* typed by the user: never replaced */
  gboolean           renew_edited;  /* Renew Automatically set by the user */
  gboolean           setting_name;
  gboolean           closing;

  /* Template widgets */
  AdwWindowTitle    *window_title;
  GtkStack          *start_stack;
  GtkWidget         *cancel_button;
  GtkWidget         *sign_in_button;
  GtkStack          *sign_in_stack;
  GtkLabel          *sign_in_label;
  GtkSpinner        *sign_in_spinner;
  TdErrorBanner     *banner;
  GtkStack          *page_stack;
  AdwPreferencesPage *form_page;
  AdwPreferencesGroup *vendor_group;
  AdwPreferencesGroup *account_group;
  AdwEntryRow       *name_row;
  AdwEntryRow       *username_row;
  GtkLabel          *account_error_label;
  AdwPreferencesGroup *endpoint_group;
  AdwComboRow       *endpoint_row;
  AdwEntryRow       *url_row;
  GtkLabel          *url_error_label;
  AdwPreferencesGroup *sign_in_group;
  GtkWidget         *forgot_button;
  GtkWidget         *admin_row;
  GtkSwitch         *admin_switch;
  AdwEntryRow       *password_row;
  GtkWidget         *remember_row;
  GtkWidget         *lifetime_row;
  GtkSpinButton     *lifetime_spin;
  GtkSwitch         *remember_switch;
  AdwActionRow      *renew_row;
  GtkSwitch         *renew_switch;
  AdwExpanderRow    *change_password_row;
  AdwEntryRow       *new_password_row;
  AdwEntryRow       *confirm_password_row;
  GtkLabel          *sign_in_hint_label;
  AdwPreferencesGroup *token_group;
  AdwComboRow       *hand_out_row;
  TdResetPasswordPage *reset_page;
};

G_DEFINE_FINAL_TYPE (TdAccountDialog, td_account_dialog, ADW_TYPE_WINDOW)

enum {
  ADDED,
  SAVED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static void update (TdAccountDialog *self);

/* Reading the form ------------------------------------------------------- */

static const char *
text_of (gpointer editable)
{
  return gtk_editable_get_text (GTK_EDITABLE (editable));
}

static gboolean
is_blank (const char *text)
{
  if (text == NULL)
    return TRUE;

  for (; *text; text = g_utf8_next_char (text))
    if (!g_unichar_isspace (g_utf8_get_char (text)))
      return FALSE;

  return TRUE;
}

static guint
n_presets (TdAccountDialog *self)
{
  guint n = 0;

  if (self->provider != NULL)
    for (const TdEndpointPreset *p = td_provider_get_presets (self->provider); p->id; p++)
      n++;

  return n;
}

static gboolean
is_custom_endpoint (TdAccountDialog *self)
{
  return n_presets (self) == 0 ||
         adw_combo_row_get_selected (self->endpoint_row) >= n_presets (self);
}

/* A preset id, or the address typed. */
static char *
dup_endpoint (TdAccountDialog *self)
{
  if (is_custom_endpoint (self))
    return g_strstrip (g_strdup (text_of (self->url_row)));

  return g_strdup (td_provider_get_presets (self->provider)
                     [adw_combo_row_get_selected (self->endpoint_row)].id);
}

static gboolean
has_feature (TdAccountDialog    *self,
             TdProviderFeatures  feature)
{
  return self->provider != NULL && td_provider_has_feature (self->provider, feature);
}

static gboolean
admin_mode (TdAccountDialog *self)
{
  return has_feature (self, TD_PROVIDER_FEATURE_ADMIN_TOKEN) &&
         gtk_switch_get_active (self->admin_switch);
}

static gboolean
change_password_mode (TdAccountDialog *self)
{
  return has_feature (self, TD_PROVIDER_FEATURE_CHANGE_PASSWORD) && !admin_mode (self) &&
         adw_expander_row_get_enable_expansion (self->change_password_row);
}

static gboolean
remember_password (TdAccountDialog *self)
{
  return gtk_widget_get_visible (self->remember_row) &&
         gtk_switch_get_active (self->remember_switch);
}

static char *
dup_username (TdAccountDialog *self)
{
  return g_strstrip (g_strdup (text_of (self->username_row)));
}

static char *
dup_name (TdAccountDialog *self)
{
  return g_strstrip (g_strdup (text_of (self->name_row)));
}

/* Editing needs the vendor again only when what it knows changes. */
static gboolean
needs_sign_in (TdAccountDialog *self)
{
  g_autofree char *username = NULL;
  g_autofree char *endpoint = NULL;

  if (self->account == NULL)
    return TRUE;

  username = dup_username (self);
  endpoint = dup_endpoint (self);

  return g_strcmp0 (username, td_account_get_username (self->account)) != 0 ||
         g_strcmp0 (endpoint, td_account_get_endpoint (self->account) ?
                              td_account_get_endpoint (self->account) : "") != 0 ||
         admin_mode (self) != td_account_get_admin_token (self->account) ||
         (remember_password (self) && !td_account_get_remember_password (self->account)) ||
         change_password_mode (self) ||
         *text_of (self->password_row) != '\0';
}

/* Validation, as you type ------------------------------------------------ */

static void
set_label (GtkLabel   *label,
           const char *text,
           gboolean    is_error)
{
  gtk_label_set_label (label, text);
  gtk_widget_set_visible (GTK_WIDGET (label), text != NULL);

  if (is_error)
    {
      gtk_widget_add_css_class (GTK_WIDGET (label), "error");
      gtk_widget_remove_css_class (GTK_WIDGET (label), "dim-label");
    }
  else
    {
      gtk_widget_add_css_class (GTK_WIDGET (label), "dim-label");
      gtk_widget_remove_css_class (GTK_WIDGET (label), "error");
    }
}

static void
set_row_error (gpointer row,
               gboolean error)
{
  if (error)
    gtk_widget_add_css_class (GTK_WIDGET (row), "error");
  else
    gtk_widget_remove_css_class (GTK_WIDGET (row), "error");
}

static gboolean
name_taken (TdAccountDialog *self,
            const char      *name)
{
  TdAccount *other = td_account_list_find_by_name (self->accounts, name);

  return other != NULL && other != self->account;
}

/* Returns why the form cannot be sent, or NULL; shows it under the field. */
static char *
validate (TdAccountDialog *self)
{
  g_autofree char *name = dup_name (self);
  g_autofree char *username = dup_username (self);
  g_autofree char *account_error = NULL;
  g_autoptr(GError) name_error = NULL;
  g_autofree char *url_message = NULL;
  g_autofree char *sign_in_message = NULL;
  char *first_error = NULL;
  gboolean url_error = FALSE;
  gboolean sign_in_error = FALSE;

  if (self->provider == NULL)
    first_error = g_strdup (_("Choose a vendor"));

  /* Account */
  if (is_blank (name))
    first_error = first_error ? first_error : g_strdup (_("Enter a name for the account"));
  else if (!td_account_name_check (name, &name_error))
    {
      account_error = g_strdup (name_error->message);
      first_error = first_error ? first_error : g_strdup (account_error);
    }
  else if (name_taken (self, name))
    {
      account_error = g_strdup_printf (_("An account named “%s” already exists"), name);
      first_error = first_error ? first_error : g_strdup (account_error);
    }
  if (is_blank (username) && !admin_mode (self))
    first_error = first_error ? first_error : g_strdup (_("Enter the username"));
  set_label (self->account_error_label, account_error, TRUE);
  set_row_error (self->name_row, account_error != NULL);

  /* Endpoint */
  if (self->provider != NULL && is_custom_endpoint (self))
    {
      g_autofree char *url = g_strstrip (g_strdup (text_of (self->url_row)));
      g_autoptr(GError) error = NULL;

      if (*url == '\0')
        {
          if (n_presets (self) == 0)
            url_message = g_strdup_printf (_("%s has no public address: enter the address of "
                                             "your instance, such as https://example.com"),
                                           td_provider_get_display_name (self->provider));
          else
            url_message = g_strdup (_("Enter an address starting with https://"));
          first_error = first_error ? first_error : g_strdup (url_message);
        }
      else if (!td_provider_validate_url (url, &error))
        {
          url_message = g_strdup (error->message);
          url_error = TRUE;
          first_error = first_error ? first_error : g_strdup (url_message);
        }
    }
  set_label (self->url_error_label, url_message, url_error);
  set_row_error (self->url_row, url_error);

  /* Password */
  if (needs_sign_in (self) && *text_of (self->password_row) == '\0')
    {
      if (self->account != NULL)
        sign_in_message = g_strdup (admin_mode (self)
                                    ? _("These changes need the administrative token")
                                    : _("These changes need your password to sign in again"));
      first_error = first_error ? first_error : g_strdup (admin_mode (self)
                                                          ? _("Paste the administrative token")
                                                          : _("Enter the password"));
    }
  else if (change_password_mode (self))
    {
      const char *new_password = text_of (self->new_password_row);
      const char *confirm = text_of (self->confirm_password_row);

      if (*new_password == '\0')
        first_error = first_error ? first_error : g_strdup (_("Enter the new password"));
      else if (*confirm != '\0' && g_strcmp0 (new_password, confirm) != 0)
        {
          sign_in_message = g_strdup (_("The new passwords do not match"));
          sign_in_error = TRUE;
          first_error = first_error ? first_error : g_strdup (sign_in_message);
        }
      else if (*confirm == '\0')
        first_error = first_error ? first_error : g_strdup (_("Confirm the new password"));
    }
  else if (self->account != NULL && !needs_sign_in (self))
    sign_in_message = g_strdup (_("Type the password only to sign in again"));
  set_label (self->sign_in_hint_label, sign_in_message, sign_in_error);
  set_row_error (self->confirm_password_row, sign_in_error);

  return first_error;
}

static gboolean
get_busy (TdAccountDialog *self)
{
  return self->cancellable != NULL || td_reset_password_page_get_busy (self->reset_page);
}

/* A focused entry that turns insensitive never gets its focus-out (GTK
 * warns about it): the focus leaves the fields while the dialog talks to
 * the vendor, and comes back afterwards, so a mistyped password is fixed
 * at once. */
static void
set_fields_sensitive (TdAccountDialog *self,
                      gboolean         sensitive)
{
  GtkWidget *focus = gtk_window_get_focus (GTK_WINDOW (self));

  if (sensitive == gtk_widget_get_sensitive (GTK_WIDGET (self->page_stack)))
    return;

  if (!sensitive && focus != NULL && gtk_widget_is_ancestor (focus, GTK_WIDGET (self->page_stack)))
    {
      g_set_weak_pointer (&self->busy_focus, focus);
      gtk_window_set_focus (GTK_WINDOW (self), NULL);
    }

  gtk_widget_set_sensitive (GTK_WIDGET (self->page_stack), sensitive);

  if (sensitive && self->busy_focus != NULL)
    {
      gtk_widget_grab_focus (self->busy_focus);
      g_clear_weak_pointer (&self->busy_focus);
    }
}

static void
renew_toggled_cb (TdAccountDialog *self)
{
  self->renew_edited = TRUE;
}

/* Renewing automatically is safe where it costs the user nothing; the
 * switch follows the vendor and the options until the user sets it. */
static void
update_renew_row (TdAccountDialog *self)
{
  g_autoptr(TdAccount) draft = NULL;
  gboolean revokes = has_feature (self, TD_PROVIDER_FEATURE_REVOKES_EARLIER);

  gtk_widget_set_visible (GTK_WIDGET (self->renew_row), self->provider != NULL);
  if (self->provider == NULL)
    return;

  if (revokes)
    adw_action_row_set_subtitle (self->renew_row,
                                 _("Off by default: each renewal revokes the token copied before, "
                                   "which may still be in use elsewhere"));
  else
    adw_action_row_set_subtitle (self->renew_row,
                                 _("Renew before the token expires instead of warning"));

  if (self->renew_edited)
    return;

  draft = td_account_new (NULL, td_provider_get_vendor_id (self->provider));
  td_account_set_remember_password (draft, remember_password (self));
  td_account_set_admin_token (draft, admin_mode (self));

  g_signal_handlers_block_by_func (self->renew_switch, renew_toggled_cb, self);
  gtk_switch_set_active (self->renew_switch, td_provider_renews_freely (self->provider, draft));
  g_signal_handlers_unblock_by_func (self->renew_switch, renew_toggled_cb, self);
}

/* Updates what is shown, enabled and said, after any change. */
static void
update (TdAccountDialog *self)
{
  gboolean busy = get_busy (self);
  gboolean on_reset = g_strcmp0 (gtk_stack_get_visible_child_name (self->page_stack), "reset") == 0;
  gboolean admin = admin_mode (self);
  gboolean custom = is_custom_endpoint (self);

  gtk_widget_set_visible (GTK_WIDGET (self->endpoint_row), n_presets (self) > 0);
  gtk_widget_set_visible (GTK_WIDGET (self->url_row), self->provider != NULL && custom);
  gtk_widget_set_visible (self->admin_row, has_feature (self, TD_PROVIDER_FEATURE_ADMIN_TOKEN));
  gtk_widget_set_visible (GTK_WIDGET (self->username_row), !admin);
  gtk_widget_set_visible (self->remember_row,
                          self->provider != NULL && !admin &&
                          !has_feature (self, TD_PROVIDER_FEATURE_REFRESH_TOKEN));
  gtk_widget_set_visible (self->lifetime_row,
                          has_feature (self, TD_PROVIDER_FEATURE_ASSUMED_LIFETIME) && !admin);
  gtk_widget_set_visible (GTK_WIDGET (self->change_password_row),
                          has_feature (self, TD_PROVIDER_FEATURE_CHANGE_PASSWORD) && !admin);
  gtk_widget_set_visible (self->forgot_button,
                          has_feature (self, TD_PROVIDER_FEATURE_PASSWORD_RESET) && !admin);
  gtk_widget_set_visible (GTK_WIDGET (self->token_group),
                          has_feature (self, TD_PROVIDER_FEATURE_CHOOSE_TOKEN));
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (self->password_row),
                                 admin ? _("Administrative Token") : _("Password"));
  update_renew_row (self);

  g_clear_pointer (&self->field_error, g_free);
  self->field_error = validate (self);

  gtk_label_set_label (self->sign_in_label,
                       self->account != NULL && !needs_sign_in (self) ? _("_Save")
                       : admin ? _("_Add") : _("_Sign In"));
  gtk_widget_set_tooltip_text (self->sign_in_button, self->field_error);

  gtk_stack_set_visible_child_name (self->sign_in_stack, busy ? "spinner" : "label");
  gtk_spinner_set_spinning (self->sign_in_spinner, busy);
  gtk_widget_set_visible (self->sign_in_button, !on_reset);
  gtk_stack_set_visible_child_name (self->start_stack, on_reset ? "back" : "cancel");
  set_fields_sensitive (self, !busy);

  gtk_widget_action_set_enabled (GTK_WIDGET (self), "dialog.sign-in",
                                 !busy && self->field_error == NULL);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "dialog.forgot-password", !busy);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "dialog.back", !busy);

  if (on_reset)
    adw_window_title_set_title (self->window_title, _("Reset Password"));
  else if (self->account != NULL)
    adw_window_title_set_title (self->window_title, _("Edit Account"));
  else
    adw_window_title_set_title (self->window_title, _("Add Account"));
}

/* Vendor ----------------------------------------------------------------- */

static char *
unique_default_name (TdAccountDialog *self)
{
  const char *base = td_provider_get_display_name (self->provider);
  char *name = g_strdup (base);

  for (guint i = 2; name_taken (self, name); i++)
    {
      g_free (name);
      /* Translators: a default account name, "Cover Whale 2" */
      name = g_strdup_printf (C_("account name", "%s %u"), base, i);
    }

  return name;
}

static void
set_name (TdAccountDialog *self,
          const char      *name)
{
  self->setting_name = TRUE;
  gtk_editable_set_text (GTK_EDITABLE (self->name_row), name);
  self->setting_name = FALSE;
}

static void
set_provider (TdAccountDialog *self,
              TdProvider      *provider)
{
  guint i = 0;

  if (self->provider == provider)
    return;

  self->provider = provider;

  /* Endpoint presets: the vendor's, then "Custom Address". */
  gtk_string_list_splice (self->endpoint_model, 0,
                          g_list_model_get_n_items (G_LIST_MODEL (self->endpoint_model)), NULL);
  for (const TdEndpointPreset *p = td_provider_get_presets (provider); p->id; p++)
    {
      g_autofree char *label = g_strdup_printf ("%s — %s", g_dgettext (GETTEXT_PACKAGE, p->label),
                                                p->url);
      gtk_string_list_append (self->endpoint_model, label);
    }
  gtk_string_list_append (self->endpoint_model, _("Custom Address"));
  adw_combo_row_set_selected (self->endpoint_row, 0);

  if (!self->name_edited)
    {
      g_autofree char *name = unique_default_name (self);

      set_name (self, name);
    }

  for (GList *l = td_provider_get_all (); l; l = l->next, i++)
    if (l->data == provider)
      gtk_check_button_set_active (g_ptr_array_index (self->vendor_checks, i), TRUE);

  update (self);
}

static void
vendor_toggled_cb (GtkCheckButton  *check,
                   TdAccountDialog *self)
{
  if (gtk_check_button_get_active (check))
    set_provider (self, g_object_get_data (G_OBJECT (check), "td-provider"));
}

static void
add_vendor_rows (TdAccountDialog *self)
{
  GtkCheckButton *group = NULL;

  for (GList *l = td_provider_get_all (); l; l = l->next)
    {
      TdProvider *provider = l->data;
      GtkWidget *row = adw_action_row_new ();
      GtkWidget *check = gtk_check_button_new ();
      GtkWidget *icon = gtk_image_new_from_icon_name (td_provider_get_icon_name (provider));

      gtk_image_set_pixel_size (GTK_IMAGE (icon), 32);
      gtk_widget_set_valign (check, GTK_ALIGN_CENTER);
      gtk_check_button_set_group (GTK_CHECK_BUTTON (check), group);
      group = group ? group : GTK_CHECK_BUTTON (check);
      g_object_set_data (G_OBJECT (check), "td-provider", provider);
      g_signal_connect_object (check, "toggled", G_CALLBACK (vendor_toggled_cb), self, 0);

      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row),
                                     td_provider_get_display_name (provider));
      adw_action_row_set_subtitle (ADW_ACTION_ROW (row), td_provider_get_description (provider));
      adw_action_row_add_prefix (ADW_ACTION_ROW (row), check);
      adw_action_row_add_prefix (ADW_ACTION_ROW (row), icon);
      adw_action_row_set_activatable_widget (ADW_ACTION_ROW (row), check);

      adw_preferences_group_add (self->vendor_group, row);
      g_ptr_array_add (self->vendor_rows, row);
      g_ptr_array_add (self->vendor_checks, check);
    }
}

/* Signing in ------------------------------------------------------------- */

static void
set_busy (TdAccountDialog *self,
          gboolean         busy)
{
  if (busy)
    {
      g_assert (self->cancellable == NULL);
      self->cancellable = g_cancellable_new ();
    }
  else
    g_clear_object (&self->cancellable);

  update (self);
}

/* A fresh account with what the form says, for the vendor to look at. */
static TdAccount *
create_draft (TdAccountDialog *self)
{
  g_autofree char *name = dup_name (self);
  g_autofree char *username = dup_username (self);
  g_autofree char *endpoint = dup_endpoint (self);
  TdAccount *draft;

  draft = td_account_new (self->account ? td_account_get_id (self->account) : NULL,
                          td_provider_get_vendor_id (self->provider));
  td_account_set_display_name (draft, name);
  td_account_set_username (draft, admin_mode (self) ? NULL : username);
  td_account_set_endpoint (draft, endpoint);
  td_account_set_admin_token (draft, admin_mode (self));
  td_account_set_remember_password (draft, remember_password (self));
  td_account_set_renew_automatically (draft, gtk_switch_get_active (self->renew_switch));
  td_account_set_hand_out (draft, adw_combo_row_get_selected (self->hand_out_row) == 1
                                    ? TD_HAND_OUT_ACCESS_TOKEN : TD_HAND_OUT_ID_TOKEN);
  gtk_spin_button_update (self->lifetime_spin);
  td_account_set_assumed_lifetime (draft, 60 * gtk_spin_button_get_value_as_int (self->lifetime_spin));

  return draft;
}

static void
show_error (TdAccountDialog *self,
            const GError    *error)
{
  td_error_banner_set_error (self->banner, error);

  if (g_error_matches (error, TD_ERROR, TD_ERROR_TWO_FACTOR_REQUIRED) &&
      has_feature (self, TD_PROVIDER_FEATURE_ADMIN_TOKEN))
    td_error_banner_set_button (self->banner, _("Use an _Administrative Token"),
                                "dialog.use-admin-token");

  /* Point at the field to change. */
  if (g_error_matches (error, TD_ERROR, TD_ERROR_BAD_CREDENTIALS))
    {
      set_row_error (self->password_row, TRUE);
      gtk_widget_grab_focus (GTK_WIDGET (self->password_row));
    }
  else if (g_error_matches (error, TD_ERROR, TD_ERROR_INVALID_ENDPOINT) ||
           g_error_matches (error, TD_ERROR, TD_ERROR_INSECURE))
    set_row_error (self->url_row, TRUE);
}

static void
forget_secrets_cb (GObject      *object,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_autoptr(GError) error = NULL;

  if (!td_token_manager_sign_out_finish (TD_TOKEN_MANAGER (object), result, &error))
    g_warning ("Could not forget the secrets of an account never added: %s", error->message);
}

static void
account_updated_cb (GObject      *object,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  g_autoptr(TdAccountDialog) self = user_data;
  g_autoptr(GError) error = NULL;
  gboolean ok = td_token_manager_update_account_finish (TD_TOKEN_MANAGER (object), result, &error);

  if (self->closing)
    return;

  set_busy (self, FALSE);

  if (!ok)
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        show_error (self, error);
      return;
    }

  g_signal_emit (self, signals[SAVED], 0, self->account);
  gtk_window_destroy (GTK_WINDOW (self));
}

/* Signed in (or nothing needed the vendor): the account is added, or the
 * edited one takes the changes. */
static void
finish (TdAccountDialog *self)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(TdAccount) changes = NULL;

  if (self->account == NULL)
    {
      if (!td_account_list_add (self->accounts, self->draft, &error))
        {
          show_error (self, error);
          return;
        }

      g_signal_emit (self, signals[ADDED], 0, self->draft);
      gtk_window_destroy (GTK_WINDOW (self));
      return;
    }

  changes = self->draft ? g_object_ref (self->draft) : create_draft (self);
  set_busy (self, TRUE);
  td_token_manager_update_account_async (self->manager, self->account, changes,
                                         self->cancellable, account_updated_cb,
                                         g_object_ref (self));
}

static void
signed_in_cb (GObject      *object,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(TdAccountDialog) self = user_data;
  g_autoptr(GError) error = NULL;
  gboolean ok;

  if (td_account_get_admin_token (self->draft))
    ok = td_token_manager_set_admin_token_finish (TD_TOKEN_MANAGER (object), result, &error);
  else
    ok = td_token_manager_sign_in_finish (TD_TOKEN_MANAGER (object), result, &error);

  if (self->closing)
    {
      /* Cancelled too late: the vendor said yes, but nobody wants the
       * account any more. Its tokens must not stay behind. */
      if (ok && self->account == NULL)
        td_token_manager_sign_out_async (TD_TOKEN_MANAGER (object), self->draft, TRUE, NULL,
                                         forget_secrets_cb, NULL);
      return;
    }

  set_busy (self, FALSE);

  if (!ok)
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        show_error (self, error);
      g_clear_object (&self->draft);
      return;
    }

  finish (self);
}

static void
sign_in_action (GtkWidget  *widget,
                const char *action_name,
                GVariant   *parameter)
{
  TdAccountDialog *self = TD_ACCOUNT_DIALOG (widget);
  TdTokenManager *manager = self->manager;
  const char *password = text_of (self->password_row);

  if (self->cancellable != NULL || self->field_error != NULL)
    return;

  td_error_banner_set_error (self->banner, NULL);
  set_row_error (self->password_row, FALSE);

  if (!needs_sign_in (self))
    {
      finish (self);
      return;
    }

  g_clear_object (&self->draft);
  self->draft = create_draft (self);
  set_busy (self, TRUE);

  if (admin_mode (self))
    td_token_manager_set_admin_token_async (manager, self->draft, password, self->cancellable,
                                            signed_in_cb, g_object_ref (self));
  else
    td_token_manager_sign_in_async (manager, self->draft, password,
                                    change_password_mode (self) ? text_of (self->new_password_row)
                                                                : NULL,
                                    self->cancellable, signed_in_cb, g_object_ref (self));
}

static void
use_admin_token_action (GtkWidget  *widget,
                        const char *action_name,
                        GVariant   *parameter)
{
  TdAccountDialog *self = TD_ACCOUNT_DIALOG (widget);

  gtk_switch_set_active (self->admin_switch, TRUE);
  td_error_banner_set_error (self->banner, NULL);
  gtk_editable_set_text (GTK_EDITABLE (self->password_row), "");
  gtk_widget_grab_focus (GTK_WIDGET (self->password_row));
}

/* Password reset (Cover Whale) ------------------------------------------- */

static void
show_page (TdAccountDialog *self,
           const char      *page)
{
  gtk_stack_set_visible_child_name (self->page_stack, page);
  update (self);
}

static void
forgot_password_action (GtkWidget  *widget,
                        const char *action_name,
                        GVariant   *parameter)
{
  TdAccountDialog *self = TD_ACCOUNT_DIALOG (widget);
  g_autofree char *username = dup_username (self);
  g_autoptr(TdAccount) draft = NULL;

  if (self->provider == NULL)
    return;

  /* The form's vendor and endpoint: the reset happens where the sign-in would. */
  draft = create_draft (self);
  td_error_banner_set_error (self->banner, NULL);
  show_page (self, "reset");
  td_reset_password_page_start (self->reset_page, self->provider, draft, username);
}

static void
back_action (GtkWidget  *widget,
             const char *action_name,
             GVariant   *parameter)
{
  TdAccountDialog *self = TD_ACCOUNT_DIALOG (widget);

  td_error_banner_set_error (self->banner, NULL);
  show_page (self, "form");
}

static void
reset_failed_cb (TdAccountDialog     *self,
                 const GError        *error,
                 TdResetPasswordPage *page)
{
  show_error (self, error);
}

static void
reset_code_sent_cb (TdAccountDialog     *self,
                    const char          *username,
                    TdResetPasswordPage *page)
{
  g_autofree char *message = NULL;

  /* Translators: "Cover Whale has e-mailed a reset code for alice." */
  message = g_strdup_printf (_("%s has e-mailed a reset code for %s. Enter it below with "
                               "your new password."),
                             td_provider_get_display_name (self->provider), username);
  td_error_banner_set_info (self->banner, _("Reset Code Sent"), message);
}

/* Back to the form with the new password filled in: one click to sign in. */
static void
reset_password_set_cb (TdAccountDialog     *self,
                       const char          *username,
                       const char          *password,
                       TdResetPasswordPage *page)
{
  gtk_editable_set_text (GTK_EDITABLE (self->username_row), username);
  gtk_editable_set_text (GTK_EDITABLE (self->password_row), password);
  show_page (self, "form");
  td_error_banner_set_info (self->banner, _("Password Changed"),
                            _("The new password is filled in: sign in with it."));
}

/* Signals ---------------------------------------------------------------- */

static void
changed_cb (TdAccountDialog *self)
{
  update (self);
}

static void
name_changed_cb (TdAccountDialog *self)
{
  if (!self->setting_name)
    self->name_edited = !is_blank (text_of (self->name_row));
  update (self);
}

static void
password_changed_cb (TdAccountDialog *self)
{
  set_row_error (self->password_row, FALSE);
  update (self);
}

/* Cancel stops what is in flight, and only then closes. */
static void
cancel_clicked_cb (TdAccountDialog *self)
{
  if (self->cancellable != NULL)
    {
      g_cancellable_cancel (self->cancellable);
      return;
    }

  gtk_window_close (GTK_WINDOW (self));
}

static gboolean
td_account_dialog_close_request (GtkWindow *window)
{
  TdAccountDialog *self = TD_ACCOUNT_DIALOG (window);

  self->closing = TRUE;
  g_cancellable_cancel (self->cancellable);

  return GTK_WINDOW_CLASS (td_account_dialog_parent_class)->close_request (window);
}

static void
td_account_dialog_dispose (GObject *object)
{
  TdAccountDialog *self = (TdAccountDialog *)object;

  self->closing = TRUE;
  g_cancellable_cancel (self->cancellable);
  g_clear_weak_pointer (&self->busy_focus);
  gtk_widget_dispose_template (GTK_WIDGET (self), TD_TYPE_ACCOUNT_DIALOG);

  g_clear_object (&self->cancellable);
  g_clear_object (&self->draft);
  g_clear_object (&self->account);
  g_clear_object (&self->accounts);
  g_clear_object (&self->manager);
  g_clear_pointer (&self->vendor_rows, g_ptr_array_unref);
  g_clear_pointer (&self->vendor_checks, g_ptr_array_unref);
  g_clear_object (&self->endpoint_model);
  g_clear_pointer (&self->field_error, g_free);

  G_OBJECT_CLASS (td_account_dialog_parent_class)->dispose (object);
}

static void
td_account_dialog_class_init (TdAccountDialogClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);
  GtkWindowClass *window_class = GTK_WINDOW_CLASS (klass);

  object_class->dispose = td_account_dialog_dispose;
  window_class->close_request = td_account_dialog_close_request;

  g_type_ensure (TD_TYPE_ERROR_BANNER);
  g_type_ensure (TD_TYPE_RESET_PASSWORD_PAGE);

  /* A new account signed in and joined the list (account), or the edited
   * one took the changes: whoever opened the dialog saves the list. */
  signals[ADDED] =
    g_signal_new ("added", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                  NULL, NULL, NULL, G_TYPE_NONE, 1, TD_TYPE_ACCOUNT);
  signals[SAVED] =
    g_signal_new ("saved", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                  NULL, NULL, NULL, G_TYPE_NONE, 1, TD_TYPE_ACCOUNT);

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/tokendesk/TokenDesk/td-account-dialog.ui");
#define BIND(name) gtk_widget_class_bind_template_child (widget_class, TdAccountDialog, name)
  BIND (window_title);
  BIND (start_stack);
  BIND (cancel_button);
  BIND (sign_in_button);
  BIND (sign_in_stack);
  BIND (sign_in_label);
  BIND (sign_in_spinner);
  BIND (banner);
  BIND (page_stack);
  BIND (form_page);
  BIND (vendor_group);
  BIND (account_group);
  BIND (name_row);
  BIND (username_row);
  BIND (account_error_label);
  BIND (endpoint_group);
  BIND (endpoint_row);
  BIND (url_row);
  BIND (url_error_label);
  BIND (sign_in_group);
  BIND (forgot_button);
  BIND (admin_row);
  BIND (admin_switch);
  BIND (password_row);
  BIND (remember_row);
  BIND (lifetime_row);
  BIND (lifetime_spin);
  BIND (remember_switch);
  BIND (renew_row);
  BIND (renew_switch);
  BIND (change_password_row);
  BIND (new_password_row);
  BIND (confirm_password_row);
  BIND (sign_in_hint_label);
  BIND (token_group);
  BIND (hand_out_row);
  BIND (reset_page);
#undef BIND

  gtk_widget_class_install_action (widget_class, "dialog.sign-in", NULL, sign_in_action);
  gtk_widget_class_install_action (widget_class, "dialog.use-admin-token", NULL,
                                   use_admin_token_action);
  gtk_widget_class_install_action (widget_class, "dialog.forgot-password", NULL,
                                   forgot_password_action);
  gtk_widget_class_install_action (widget_class, "dialog.back", NULL, back_action);

  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Escape, 0, "window.close", NULL);
}

/* When the form's viewport shrinks (the error banner appears above it, or
 * the window is made smaller), the field that has the focus (the password
 * after a refusal) must stay in view. GtkViewport only scrolls on focus
 * changes. */
static void
keep_focus_in_view (TdAccountDialog *self,
                    GParamSpec      *pspec,
                    GtkAdjustment   *adjustment)
{
  GtkWidget *focus = gtk_window_get_focus (GTK_WINDOW (self));
  GtkWidget *scrolled;
  GtkWidget *content;
  graphene_rect_t bounds;

  if (focus == NULL ||
      !(scrolled = gtk_widget_get_ancestor (focus, GTK_TYPE_SCROLLED_WINDOW)) ||
      gtk_scrolled_window_get_vadjustment (GTK_SCROLLED_WINDOW (scrolled)) != adjustment)
    return;

  content = gtk_scrolled_window_get_child (GTK_SCROLLED_WINDOW (scrolled));
  if (GTK_IS_VIEWPORT (content))
    content = gtk_viewport_get_child (GTK_VIEWPORT (content));

  if (content != NULL && gtk_widget_compute_bounds (focus, content, &bounds))
    gtk_adjustment_clamp_page (adjustment, bounds.origin.y - 12,
                               bounds.origin.y + bounds.size.height + 12);
}

static void
watch_form_viewport (TdAccountDialog *self)
{
  GtkWidget *scrolled = gtk_widget_get_ancestor (GTK_WIDGET (self->password_row),
                                                 GTK_TYPE_SCROLLED_WINDOW);
  GtkAdjustment *adjustment;

  if (scrolled == NULL)
    return;

  adjustment = gtk_scrolled_window_get_vadjustment (GTK_SCROLLED_WINDOW (scrolled));
  g_signal_connect_object (adjustment, "notify::page-size",
                           G_CALLBACK (keep_focus_in_view), self, G_CONNECT_SWAPPED);
}

static void
td_account_dialog_init (TdAccountDialog *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));

  self->vendor_rows = g_ptr_array_new ();
  self->vendor_checks = g_ptr_array_new ();
  self->endpoint_model = gtk_string_list_new (NULL);
  adw_combo_row_set_model (self->endpoint_row, G_LIST_MODEL (self->endpoint_model));

  gtk_window_set_default_widget (GTK_WINDOW (self), self->sign_in_button);
  watch_form_viewport (self);

  g_signal_connect_object (self->cancel_button, "clicked",
                           G_CALLBACK (cancel_clicked_cb), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->name_row, "changed",
                           G_CALLBACK (name_changed_cb), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->password_row, "changed",
                           G_CALLBACK (password_changed_cb), self, G_CONNECT_SWAPPED);

#define WATCH(object, signal) \
  g_signal_connect_object (object, signal, G_CALLBACK (changed_cb), self, G_CONNECT_SWAPPED)
  WATCH (self->username_row, "changed");
  WATCH (self->url_row, "changed");
  WATCH (self->new_password_row, "changed");
  WATCH (self->confirm_password_row, "changed");
  WATCH (self->reset_page, "notify::busy");
  WATCH (self->endpoint_row, "notify::selected");
  WATCH (self->admin_switch, "notify::active");
  WATCH (self->remember_switch, "notify::active");
  g_signal_connect_object (self->renew_switch, "notify::active",
                           G_CALLBACK (renew_toggled_cb), self, G_CONNECT_SWAPPED);
  WATCH (self->change_password_row, "notify::enable-expansion");
#undef WATCH

  g_signal_connect_object (self->reset_page, "failed",
                           G_CALLBACK (reset_failed_cb), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->reset_page, "code-sent",
                           G_CALLBACK (reset_code_sent_cb), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->reset_page, "password-set",
                           G_CALLBACK (reset_password_set_cb), self, G_CONNECT_SWAPPED);
}

static void
fill_from_account (TdAccountDialog *self)
{
  TdAccount *account = self->account;
  TdProvider *provider = td_provider_get_for_vendor (td_account_get_vendor (account));
  const char *endpoint = td_account_get_endpoint (account);
  guint position = 0;
  guint i = 0;

  g_return_if_fail (provider != NULL);

  self->name_edited = TRUE;
  set_name (self, td_account_get_display_name (account));
  set_provider (self, provider);

  /* The vendor cannot change: an account belongs to one. */
  for (GList *l = td_provider_get_all (); l; l = l->next, i++)
    {
      gtk_widget_set_visible (g_ptr_array_index (self->vendor_rows, i), l->data == provider);
      gtk_widget_set_sensitive (g_ptr_array_index (self->vendor_checks, i), FALSE);
    }

  gtk_editable_set_text (GTK_EDITABLE (self->username_row),
                         td_account_get_username (account) ? td_account_get_username (account) : "");

  if (endpoint == NULL || *endpoint == '\0')
    position = 0;
  else
    {
      const TdEndpointPreset *presets = td_provider_get_presets (provider);

      for (position = 0; presets[position].id; position++)
        if (g_strcmp0 (presets[position].id, endpoint) == 0)
          break;

      if (presets[position].id == NULL)
        gtk_editable_set_text (GTK_EDITABLE (self->url_row), endpoint);
    }
  adw_combo_row_set_selected (self->endpoint_row, position);

  gtk_switch_set_active (self->admin_switch, td_account_get_admin_token (account));
  gtk_switch_set_active (self->remember_switch, td_account_get_remember_password (account));
  gtk_switch_set_active (self->renew_switch, td_account_get_renew_automatically (account));
  self->renew_edited = TRUE;
  gtk_spin_button_set_value (self->lifetime_spin, td_account_get_assumed_lifetime (account) / 60);
  adw_combo_row_set_selected (self->hand_out_row,
                              td_account_get_hand_out (account) == TD_HAND_OUT_ACCESS_TOKEN);
}

TdAccountDialog *
td_account_dialog_new (GtkWindow      *parent,
                       TdTokenManager *manager,
                       TdAccountList  *accounts,
                       TdAccount      *account)
{
  TdAccountDialog *self;

  g_return_val_if_fail (!parent || GTK_IS_WINDOW (parent), NULL);
  g_return_val_if_fail (TD_IS_TOKEN_MANAGER (manager), NULL);
  g_return_val_if_fail (TD_IS_ACCOUNT_LIST (accounts), NULL);
  g_return_val_if_fail (!account || TD_IS_ACCOUNT (account), NULL);

  self = g_object_new (TD_TYPE_ACCOUNT_DIALOG,
                       "transient-for", parent,
                       NULL);
  self->manager = g_object_ref (manager);
  self->accounts = g_object_ref (accounts);
  g_set_object (&self->account, account);

  add_vendor_rows (self);

  if (account != NULL)
    fill_from_account (self);
  else if (td_provider_get_all () != NULL)
    /* The first vendor, so that every field means something at once. */
    set_provider (self, td_provider_get_all ()->data);

  update (self);

  return self;
}

void
td_account_dialog_show_change_password (TdAccountDialog *self)
{
  g_return_if_fail (TD_IS_ACCOUNT_DIALOG (self));

  adw_expander_row_set_enable_expansion (self->change_password_row, TRUE);
  adw_expander_row_set_expanded (self->change_password_row, TRUE);
  gtk_widget_grab_focus (GTK_WIDGET (self->password_row));
}

void
td_account_dialog_select_vendor (TdAccountDialog *self,
                                 const char      *vendor_id)
{
  TdProvider *provider;

  g_return_if_fail (TD_IS_ACCOUNT_DIALOG (self));

  provider = td_provider_get_for_vendor (vendor_id);
  g_return_if_fail (provider != NULL);

  set_provider (self, provider);
}

void
td_account_dialog_select_endpoint (TdAccountDialog *self,
                                   const char      *preset_id)
{
  guint position = 0;

  g_return_if_fail (TD_IS_ACCOUNT_DIALOG (self));
  g_return_if_fail (self->provider != NULL);

  for (const TdEndpointPreset *p = td_provider_get_presets (self->provider); p->id; p++, position++)
    if (preset_id != NULL && g_str_equal (p->id, preset_id))
      break;

  adw_combo_row_set_selected (self->endpoint_row, position);
}

GtkEditable *
td_account_dialog_get_field (TdAccountDialog *self,
                             const char      *field)
{
  const struct { const char *name; gsize offset; } fields[] = {
    { "name", G_STRUCT_OFFSET (TdAccountDialog, name_row) },
    { "username", G_STRUCT_OFFSET (TdAccountDialog, username_row) },
    { "url", G_STRUCT_OFFSET (TdAccountDialog, url_row) },
    { "password", G_STRUCT_OFFSET (TdAccountDialog, password_row) },
    { "new-password", G_STRUCT_OFFSET (TdAccountDialog, new_password_row) },
    { "confirm-password", G_STRUCT_OFFSET (TdAccountDialog, confirm_password_row) },
    { "lifetime", G_STRUCT_OFFSET (TdAccountDialog, lifetime_spin) },
  };

  g_return_val_if_fail (TD_IS_ACCOUNT_DIALOG (self), NULL);

  /* The reset page's own: "reset-code" is its "code". */
  if (g_str_has_prefix (field, "reset-"))
    return td_reset_password_page_get_field (self->reset_page, field + strlen ("reset-"));

  for (guint i = 0; i < G_N_ELEMENTS (fields); i++)
    if (g_str_equal (fields[i].name, field))
      return GTK_EDITABLE (G_STRUCT_MEMBER (gpointer, self, fields[i].offset));

  g_return_val_if_reached (NULL);
}

void
td_account_dialog_set_option (TdAccountDialog *self,
                              const char      *option,
                              gboolean         active)
{
  g_return_if_fail (TD_IS_ACCOUNT_DIALOG (self));

  if (g_str_equal (option, "admin-token"))
    gtk_switch_set_active (self->admin_switch, active);
  else if (g_str_equal (option, "remember-password"))
    gtk_switch_set_active (self->remember_switch, active);
  else if (g_str_equal (option, "renew-automatically"))
    gtk_switch_set_active (self->renew_switch, active);
  else if (g_str_equal (option, "change-password"))
    adw_expander_row_set_enable_expansion (self->change_password_row, active);
  else
    g_return_if_reached ();
}

void
td_account_dialog_set_hand_out (TdAccountDialog *self,
                                TdHandOut        hand_out)
{
  g_return_if_fail (TD_IS_ACCOUNT_DIALOG (self));
  adw_combo_row_set_selected (self->hand_out_row, hand_out == TD_HAND_OUT_ACCESS_TOKEN);
}

const char *
td_account_dialog_get_message (TdAccountDialog *self)
{
  g_return_val_if_fail (TD_IS_ACCOUNT_DIALOG (self), NULL);
  return td_error_banner_get_message (self->banner);
}

const char *
td_account_dialog_get_field_error (TdAccountDialog *self)
{
  g_return_val_if_fail (TD_IS_ACCOUNT_DIALOG (self), NULL);
  return self->field_error;
}

gboolean
td_account_dialog_get_busy (TdAccountDialog *self)
{
  g_return_val_if_fail (TD_IS_ACCOUNT_DIALOG (self), FALSE);
  return get_busy (self);
}

const char *
td_account_dialog_get_page (TdAccountDialog *self)
{
  g_return_val_if_fail (TD_IS_ACCOUNT_DIALOG (self), NULL);
  return gtk_stack_get_visible_child_name (self->page_stack);
}

GtkWidget *
td_account_dialog_get_reset_page (TdAccountDialog *self)
{
  g_return_val_if_fail (TD_IS_ACCOUNT_DIALOG (self), NULL);
  return GTK_WIDGET (self->reset_page);
}
