/* td-window-actions.c: the window's actions and the flows behind them
 *
 * One handler per action. Copying, renewing and signing in work through
 * the token manager; the dialogs report back with signals, and the window
 * saves the list and tells the user.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "td-window"

#include "config.h"

#include <glib/gi18n-lib.h>

#include "td-account-dialog.h"
#include "td-account-export.h"
#include "td-error.h"
#include "td-provider.h"
#include "td-sign-in-dialog.h"
#include "td-window-private.h"

/* Helpers ---------------------------------------------------------------- */

static gboolean
is_cancelled (const GError *error)
{
  return g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
}

/* "30 s", "2 min": how long a copied token stays on the clipboard. */
static char *
format_clear_after (guint seconds)
{
  if (seconds < 120)
    return g_strdup_printf (ngettext ("%u s", "%u s", seconds), seconds);

  return g_strdup_printf (ngettext ("%u min", "%u min", seconds / 60), seconds / 60);
}

static TdAccount *
find_account (TdWindow *self,
              GVariant *parameter)
{
  const char *id = g_variant_get_string (parameter, NULL);
  TdAccount *account = td_account_list_find_by_id (self->accounts, id);

  if (account == NULL)
    g_debug ("No account %s", id);

  return account;
}

static void
accounts_saved_cb (GObject      *object,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  GWeakRef *window_ref = user_data;
  g_autoptr(TdWindow) self = g_weak_ref_get (window_ref);
  g_autoptr(GError) error = NULL;

  g_weak_ref_clear (window_ref);
  g_free (window_ref);

  /* The list in memory stays as it is; the next save tries again. */
  if (!td_account_list_save_finish (TD_ACCOUNT_LIST (object), result, &error))
    {
      g_warning ("Could not save the account list: %s", error->message);
      if (self != NULL)
        _td_window_show_toast (self, error->message);
    }
}

/* Writes the account file in the background; the window may be gone when
 * it is done, the file is written all the same. */
static void
save_accounts (TdWindow *self)
{
  GWeakRef *window_ref = g_new0 (GWeakRef, 1);

  g_weak_ref_init (window_ref, self);
  td_account_list_save_async (self->accounts, NULL, accounts_saved_cb, window_ref);
}

/* Signing in ------------------------------------------------------------- */

/* then (self, account, dialog) runs once the user signed in. */
static void
ask_to_sign_in (TdWindow  *self,
                TdAccount *account,
                GCallback  then,
                gpointer   then_data)
{
  TdSignInDialog *dialog = td_sign_in_dialog_new (GTK_WINDOW (self), self->token_manager, account);

  g_object_set_data (G_OBJECT (dialog), "td-then-data", then_data);
  /* First: "remember password" may have changed, a setting on disk. */
  g_signal_connect_object (dialog, "signed-in", G_CALLBACK (save_accounts),
                           self, G_CONNECT_SWAPPED);
  if (then != NULL)
    g_signal_connect_object (dialog, "signed-in", then, self, G_CONNECT_SWAPPED);
  gtk_window_present (GTK_WINDOW (dialog));
}

static void
renew_signed_in_cb (TdWindow       *self,
                    TdAccount      *account,
                    TdSignInDialog *dialog)
{
  g_autofree char *title = g_strdup_printf (_("Signed in to “%s”"),
                                            td_account_get_display_name (account));

  _td_window_show_toast (self, title);
}

/* Copy ------------------------------------------------------------------- */

typedef struct
{
  TdWindow     *self;
  TdAccount    *account;
  TdCopyFormat  format;
} AccountOperation;

static AccountOperation *
account_operation_new (TdWindow     *self,
                       TdAccount    *account,
                       TdCopyFormat  format)
{
  AccountOperation *op = g_new0 (AccountOperation, 1);

  op->self = g_object_ref (self);
  op->account = g_object_ref (account);
  op->format = format;

  return op;
}

static void
account_operation_free (AccountOperation *op)
{
  g_clear_object (&op->self);
  g_clear_object (&op->account);
  g_free (op);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (AccountOperation, account_operation_free)

static char *
describe_copy (TdAccount    *account,
               TdCopyFormat  format,
               guint         clear_after)
{
  const char *name = td_account_get_display_name (account);
  g_autofree char *when = NULL;

  if (clear_after == 0)
    {
      switch (format)
        {
        case TD_COPY_TOKEN:
          return g_strdup_printf (_("Token for “%s” copied"), name);
        case TD_COPY_HEADER:
          return g_strdup_printf (_("Header line for “%s” copied"), name);
        case TD_COPY_CURL:
          return g_strdup_printf (_("curl command for “%s” copied"), name);
        default:
          g_assert_not_reached ();
        }
    }

  when = format_clear_after (clear_after);
  switch (format)
    {
    case TD_COPY_TOKEN:
      /* Translators: "Token for “Work” copied · clears in 30 s" */
      return g_strdup_printf (_("Token for “%s” copied · clears in %s"), name, when);
    case TD_COPY_HEADER:
      return g_strdup_printf (_("Header line for “%s” copied · clears in %s"), name, when);
    case TD_COPY_CURL:
      return g_strdup_printf (_("curl command for “%s” copied · clears in %s"), name, when);
    default:
      g_assert_not_reached ();
    }
}

/* Renewing needed a password we do not keep: copy once it was typed. */
static void
copy_signed_in_cb (TdWindow       *self,
                   TdAccount      *account,
                   TdSignInDialog *dialog)
{
  gpointer format = g_object_get_data (G_OBJECT (dialog), "td-then-data");

  _td_window_copy_account (self, account, GPOINTER_TO_INT (format));
}

static void
copied_cb (GObject      *object,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(AccountOperation) op = user_data;
  TdWindow *self = op->self;
  g_autoptr(GError) error = NULL;
  g_autofree char *title = NULL;

  if (!td_clipboard_copy_account_finish (TD_CLIPBOARD (object), result, &error))
    {
      if (is_cancelled (error))
        return;

      if (g_error_matches (error, TD_ERROR, TD_ERROR_NEEDS_SIGN_IN))
        ask_to_sign_in (self, op->account, G_CALLBACK (copy_signed_in_cb),
                        GINT_TO_POINTER (op->format));
      else
        {
          /* Translators: %s is an account's name; the row says why */
          title = g_strdup_printf (_("Could not get a token for “%s”"),
                                   td_account_get_display_name (op->account));
          _td_window_show_toast (self, title);
        }
      return;
    }

  title = describe_copy (op->account, op->format,
                         g_settings_get_uint (self->settings, "clipboard-timeout"));
  _td_window_show_status (self, title, 3, NULL);
}

void
_td_window_copy_account (TdWindow     *self,
                         TdAccount    *account,
                         TdCopyFormat  format)
{
  g_assert (TD_IS_WINDOW (self));
  g_assert (TD_IS_ACCOUNT (account));

  td_clipboard_copy_account_async (self->clipboard, self->token_manager, account, format,
                                   g_settings_get_uint (self->settings, "min-validity"),
                                   g_settings_get_uint (self->settings, "clipboard-timeout"),
                                   self->cancellable, copied_cb,
                                   account_operation_new (self, account, format));
}

/* Renew, sign out -------------------------------------------------------- */

static void
renewed_cb (GObject      *object,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr(AccountOperation) op = user_data;
  TdWindow *self = op->self;
  const char *name = td_account_get_display_name (op->account);
  g_autoptr(GError) error = NULL;
  g_autofree char *title = NULL;

  if (td_token_manager_renew_finish (TD_TOKEN_MANAGER (object), result, &error))
    {
      title = g_strdup_printf (_("Token for “%s” renewed"), name);
      _td_window_show_toast (self, title);
    }
  else if (is_cancelled (error))
    ;
  else if (g_error_matches (error, TD_ERROR, TD_ERROR_NEEDS_SIGN_IN))
    ask_to_sign_in (self, op->account, G_CALLBACK (renew_signed_in_cb), NULL);
  else
    {
      /* Translators: %s is an account's name; the row says why */
      title = g_strdup_printf (_("Could not renew the token for “%s”"), name);
      _td_window_show_toast (self, title);
    }
}

static void
renew_account (TdWindow  *self,
               TdAccount *account)
{
  td_token_manager_renew_async (self->token_manager, account, self->cancellable, renewed_cb,
                                account_operation_new (self, account, TD_COPY_TOKEN));
}

static void
signed_out_cb (GObject      *object,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr(TdWindow) self = user_data;
  g_autoptr(GError) error = NULL;

  /* A failure shows on the row (keyring locked…). */
  if (!td_token_manager_sign_out_finish (TD_TOKEN_MANAGER (object), result, &error) &&
      !is_cancelled (error))
    _td_window_show_toast (self, _("Could not sign out"));
}

/* Remove, with Undo ------------------------------------------------------ */

/* The application is held until the keyring is done, even if the window
 * that removed the account was the last. */
typedef struct
{
  GApplication   *application;  /* held, or NULL */
  TdTokenManager *token_manager;
  TdAccount      *account;
} Removal;

static void
removal_free (Removal *removal)
{
  if (removal->application != NULL)
    g_application_release (removal->application);
  g_clear_object (&removal->application);
  g_clear_object (&removal->token_manager);
  g_clear_object (&removal->account);
  g_free (removal);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Removal, removal_free)

static void
secrets_removed_cb (GObject      *object,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  g_autoptr(Removal) removal = user_data;
  g_autoptr(GError) error = NULL;

  if (!td_token_manager_sign_out_finish (TD_TOKEN_MANAGER (object), result, &error))
    g_warning ("Could not remove the secrets of a removed account: %s", error->message);
}

static void
removal_saved_cb (GObject      *object,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(Removal) removal = user_data;
  g_autoptr(GError) error = NULL;
  TdTokenManager *manager;
  TdAccount *account;

  if (!td_account_list_save_finish (TD_ACCOUNT_LIST (object), result, &error))
    {
      /* The file still has the account: so must the keyring. */
      g_warning ("Could not save the account list: %s", error->message);
      td_account_list_add (TD_ACCOUNT_LIST (object), removal->account, NULL);
      td_account_set_error (removal->account, error);
      return;
    }

  manager = removal->token_manager;
  account = removal->account;
  td_token_manager_sign_out_async (manager, account, TRUE, NULL,
                                   secrets_removed_cb, g_steal_pointer (&removal));
}

/* Once Undo is no longer offered. The file first, then the keyring: a
 * crash in between leaves secrets of no account, never an account without
 * its secrets. */
void
_td_window_finish_removal (TdWindow *self)
{
  g_autoptr(TdAccount) account = g_steal_pointer (&self->removed);
  GtkApplication *application = gtk_window_get_application (GTK_WINDOW (self));
  Removal *removal;

  if (account == NULL)
    return;

  g_debug ("Removing account %s for good", td_account_get_id (account));

  removal = g_new0 (Removal, 1);
  removal->token_manager = g_object_ref (self->token_manager);
  removal->account = g_object_ref (account);
  if (application != NULL)
    {
      removal->application = G_APPLICATION (g_object_ref (application));
      g_application_hold (removal->application);
    }

  td_account_list_save_async (self->accounts, NULL, removal_saved_cb, removal);
}

static void
remove_account (TdWindow  *self,
                TdAccount *account)
{
  g_autoptr(TdAccount) removed = g_object_ref (account);
  g_autofree char *title = NULL;

  td_account_list_remove (self->accounts, account);

  title = g_strdup_printf (_("“%s” removed"), td_account_get_display_name (account));
  _td_window_show_status (self, title, 5, removed);
}

static void
undo_removal (TdWindow *self)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *title = NULL;
  g_autoptr(TdAccount) account = g_steal_pointer (&self->removed);

  if (account == NULL)
    return;

  if (!td_account_list_add (self->accounts, account, &error))
    {
      /* Another account took the name meanwhile: it stays removed. */
      g_set_object (&self->removed, account);
      _td_window_show_toast (self, error->message);
      return;
    }

  /* Another save may have written the list without it meanwhile. */
  save_accounts (self);

  title = g_strdup_printf (_("“%s” restored"), td_account_get_display_name (account));
  _td_window_show_toast (self, title);
}

/* The account dialog ----------------------------------------------------- */

static void
account_added_cb (TdWindow        *self,
                  TdAccount       *account,
                  TdAccountDialog *dialog)
{
  g_autofree char *title = NULL;

  save_accounts (self);
  _td_window_select_account (self, account);

  /* Translators: %s is an account's name */
  title = g_strdup_printf (_("“%s” added"), td_account_get_display_name (account));
  _td_window_show_toast (self, title);
}

static void
account_saved_cb (TdWindow        *self,
                  TdAccount       *account,
                  TdAccountDialog *dialog)
{
  g_autofree char *title = NULL;

  save_accounts (self);
  _td_window_accounts_edited (self);

  title = g_strdup_printf (_("“%s” saved"), td_account_get_display_name (account));
  _td_window_show_toast (self, title);
}

static TdAccountDialog *
open_account_dialog (TdWindow  *self,
                     TdAccount *account)
{
  TdAccountDialog *dialog = td_account_dialog_new (GTK_WINDOW (self), self->token_manager,
                                                   self->accounts, account);

  g_signal_connect_object (dialog, "added", G_CALLBACK (account_added_cb),
                           self, G_CONNECT_SWAPPED);
  g_signal_connect_object (dialog, "saved", G_CALLBACK (account_saved_cb),
                           self, G_CONNECT_SWAPPED);
  gtk_window_present (GTK_WINDOW (dialog));

  return dialog;
}

/* Export and import ------------------------------------------------------
 *
 * The account definitions as a file for another machine, through
 * td-account-export.c as `tokendesk export` and `import` do. The chooser is
 * a GtkFileChooserNative: inside Flatpak it is the portal's. */

static void
exported_cb (GObject      *object,
             GAsyncResult *result,
             gpointer      user_data)
{
  g_autoptr(TdWindow) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autofree char *title = NULL;
  guint n_accounts;

  if (!g_file_replace_contents_finish (G_FILE (object), result, NULL, &error))
    {
      if (!is_cancelled (error))
        {
          title = g_strdup_printf (_("Could not export the accounts: %s"), error->message);
          _td_window_show_toast (self, title);
        }
      return;
    }

  n_accounts = GPOINTER_TO_UINT (g_object_get_data (object, "td-n-accounts"));
  title = g_strdup_printf (ngettext ("%u account exported, without its secrets",
                                     "%u accounts exported, without their secrets",
                                     n_accounts), n_accounts);
  _td_window_show_toast (self, title);
}

static void
export_chosen_cb (TdWindow             *self,
                  int                   response,
                  GtkFileChooserNative *chooser)
{
  g_autoptr(GPtrArray) accounts = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(GFile) file = NULL;
  g_autoptr(GBytes) bytes = NULL;

  if (response == GTK_RESPONSE_ACCEPT)
    file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (chooser));
  g_object_unref (chooser);
  if (file == NULL)
    return;

  for (guint i = 0; i < g_list_model_get_n_items (G_LIST_MODEL (self->accounts)); i++)
    g_ptr_array_add (accounts, g_list_model_get_item (G_LIST_MODEL (self->accounts), i));
  bytes = td_account_export_to_bytes (accounts);
  /* What was written, for the toast: the list may change meanwhile. */
  g_object_set_data (G_OBJECT (file), "td-n-accounts", GUINT_TO_POINTER (accounts->len));

  g_file_replace_contents_bytes_async (file, bytes, NULL, FALSE, G_FILE_CREATE_REPLACE_DESTINATION,
                                       self->cancellable, exported_cb, g_object_ref (self));
}

static void
show_import_error (TdWindow     *self,
                   const GError *error)
{
  GtkWidget *dialog = adw_message_dialog_new (GTK_WINDOW (self),
                                              _("Could Not Import Accounts"),
                                              error->message);

  adw_message_dialog_add_response (ADW_MESSAGE_DIALOG (dialog), "close", _("_Close"));
  gtk_window_present (GTK_WINDOW (dialog));
}

/* "2 accounts imported, 1 skipped: “Work” already exists" */
static char *
describe_import (GPtrArray *added,
                 GPtrArray *skipped)
{
  g_autoptr(GString) names = g_string_new (NULL);
  GString *text = g_string_new (NULL);

  g_string_printf (text, ngettext ("%u account imported", "%u accounts imported", added->len),
                   added->len);
  if (skipped->len == 0)
    {
      if (added->len > 0)
        g_string_append (text, _(": sign in to use them"));
      return g_string_free (text, FALSE);
    }

  for (guint i = 0; i < skipped->len; i++)
    g_string_append_printf (names, i ? ", “%s”" : "“%s”",
                            (const char *) g_ptr_array_index (skipped, i));
  g_string_append (text, ", ");
  /* Translators: follows "2 accounts imported, "; %s is one or more names */
  g_string_append_printf (text, ngettext ("%u skipped: %s already exists",
                                          "%u skipped: %s already exist", skipped->len),
                          skipped->len, names->str);

  return g_string_free (text, FALSE);
}

static void
import_loaded_cb (GObject      *object,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(TdWindow) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) contents = NULL;
  g_autoptr(GPtrArray) accounts = NULL;
  g_autoptr(GPtrArray) added = NULL;
  g_autoptr(GPtrArray) skipped = g_ptr_array_new_with_free_func (g_free);
  g_autofree char *where = g_file_get_parse_name (G_FILE (object));
  g_autofree char *data = NULL;
  g_autofree char *title = NULL;
  gsize length;

  if (!g_file_load_contents_finish (G_FILE (object), result, &data, &length, NULL, &error))
    {
      if (!is_cancelled (error))
        show_import_error (self, error);
      return;
    }

  contents = g_bytes_new_take (g_steal_pointer (&data), length);
  accounts = td_account_export_parse (contents, where, &error);
  if (accounts == NULL)
    {
      show_import_error (self, error);
      return;
    }

  added = td_account_export_add_to_list (self->accounts, accounts, FALSE, skipped);
  if (added->len > 0)
    {
      save_accounts (self);
      _td_window_select_account (self, g_ptr_array_index (added, 0));
    }

  title = describe_import (added, skipped);
  _td_window_show_toast (self, title);
}

static void
import_chosen_cb (TdWindow             *self,
                  int                   response,
                  GtkFileChooserNative *chooser)
{
  g_autoptr(GFile) file = NULL;

  if (response == GTK_RESPONSE_ACCEPT)
    file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (chooser));
  g_object_unref (chooser);
  if (file == NULL)
    return;

  g_file_load_contents_async (file, self->cancellable, import_loaded_cb, g_object_ref (self));
}

/* Held until it answers: the chooser's response unrefs it. */
static void
choose_file (TdWindow             *self,
             GtkFileChooserAction  action,
             const char           *title,
             const char           *accept_label,
             GCallback             chosen)
{
  GtkFileChooserNative *chooser;
  g_autoptr(GtkFileFilter) filter = gtk_file_filter_new ();

  chooser = gtk_file_chooser_native_new (title, GTK_WINDOW (self), action, accept_label,
                                         _("_Cancel"));
  gtk_native_dialog_set_modal (GTK_NATIVE_DIALOG (chooser), TRUE);

  gtk_file_filter_set_name (filter, _("Account Exports (JSON)"));
  gtk_file_filter_add_suffix (filter, "json");
  gtk_file_filter_add_mime_type (filter, "application/json");
  gtk_file_chooser_add_filter (GTK_FILE_CHOOSER (chooser), filter);

  if (action == GTK_FILE_CHOOSER_ACTION_SAVE)
    gtk_file_chooser_set_current_name (GTK_FILE_CHOOSER (chooser), "tokendesk-accounts.json");

  g_signal_connect_object (chooser, "response", chosen, self, G_CONNECT_SWAPPED);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (chooser));
}

/* Actions ---------------------------------------------------------------- */

static void
add_account_action (GtkWidget  *widget,
                    const char *action_name,
                    GVariant   *parameter)
{
  open_account_dialog (TD_WINDOW (widget), NULL);
}

static void
export_accounts_action (GtkWidget  *widget,
                        const char *action_name,
                        GVariant   *parameter)
{
  choose_file (TD_WINDOW (widget), GTK_FILE_CHOOSER_ACTION_SAVE, _("Export Accounts"),
               _("_Export"), G_CALLBACK (export_chosen_cb));
}

static void
import_accounts_action (GtkWidget  *widget,
                        const char *action_name,
                        GVariant   *parameter)
{
  choose_file (TD_WINDOW (widget), GTK_FILE_CHOOSER_ACTION_OPEN, _("Import Accounts"),
               _("_Import"), G_CALLBACK (import_chosen_cb));
}

static void
search_action (GtkWidget  *widget,
               const char *action_name,
               GVariant   *parameter)
{
  TdWindow *self = TD_WINDOW (widget);
  GtkWidget *focus;

  if (!gtk_widget_get_sensitive (GTK_WIDGET (self->search_button)))
    return;

  focus = gtk_root_get_focus (GTK_ROOT (self));

  /* Ctrl+F opens the search, focuses it when open, closes it when focused. */
  if (!gtk_search_bar_get_search_mode (self->search_bar) ||
      focus == NULL || !gtk_widget_is_ancestor (focus, GTK_WIDGET (self->search_entry)))
    {
      gtk_search_bar_set_search_mode (self->search_bar, TRUE);
      gtk_widget_grab_focus (GTK_WIDGET (self->search_entry));
    }
  else
    gtk_search_bar_set_search_mode (self->search_bar, FALSE);
}

/* Ctrl+C, Ctrl+R, Delete: on the selected account. */

static void
copy_action (GtkWidget  *widget,
             const char *action_name,
             GVariant   *parameter)
{
  TdWindow *self = TD_WINDOW (widget);
  TdAccount *account = gtk_single_selection_get_selected_item (self->selection);

  if (account != NULL)
    _td_window_copy_account (self, account, TD_COPY_TOKEN);
}

static void
renew_action (GtkWidget  *widget,
              const char *action_name,
              GVariant   *parameter)
{
  TdWindow *self = TD_WINDOW (widget);
  TdAccount *account = gtk_single_selection_get_selected_item (self->selection);

  if (account != NULL)
    renew_account (self, account);
}

static void
remove_action (GtkWidget  *widget,
               const char *action_name,
               GVariant   *parameter)
{
  TdWindow *self = TD_WINDOW (widget);
  TdAccount *account = gtk_single_selection_get_selected_item (self->selection);

  if (account != NULL)
    remove_account (self, account);
}

/* On the account whose id is the target: rows, notifications. */

static void
copy_account_action (GtkWidget  *widget,
                     const char *action_name,
                     GVariant   *parameter)
{
  TdWindow *self = TD_WINDOW (widget);
  TdAccount *account = find_account (self, parameter);

  if (account != NULL)
    _td_window_copy_account (self, account, TD_COPY_TOKEN);
}

static void
copy_account_as_action (GtkWidget  *widget,
                        const char *action_name,
                        GVariant   *parameter)
{
  TdWindow *self = TD_WINDOW (widget);
  g_autoptr(GVariant) id = g_variant_get_child_value (parameter, 0);
  const char *format;
  TdAccount *account;

  g_variant_get_child (parameter, 1, "&s", &format);

  if (!(account = find_account (self, id)))
    return;

  if (g_str_equal (format, "header"))
    _td_window_copy_account (self, account, TD_COPY_HEADER);
  else if (g_str_equal (format, "curl"))
    _td_window_copy_account (self, account, TD_COPY_CURL);
  else
    _td_window_copy_account (self, account, TD_COPY_TOKEN);
}

static void
renew_account_action (GtkWidget  *widget,
                      const char *action_name,
                      GVariant   *parameter)
{
  TdWindow *self = TD_WINDOW (widget);
  TdAccount *account = find_account (self, parameter);

  if (account != NULL)
    renew_account (self, account);
}

/* The keyring did not answer (or was locked): read it again. A failure
 * lands on the account, and the row says it again. */
static void
reloaded_cb (GObject      *object,
             GAsyncResult *result,
             gpointer      user_data)
{
  g_autoptr(TdAccount) account = user_data;
  g_autoptr(GError) error = NULL;

  td_account_set_busy (account, FALSE);
  if (!td_token_manager_load_finish (TD_TOKEN_MANAGER (object), result, &error))
    g_debug ("Reading the keyring again for account %s failed: %s",
             td_account_get_id (account), error->message);
}

static void
reload_account_action (GtkWidget  *widget,
                       const char *action_name,
                       GVariant   *parameter)
{
  TdWindow *self = TD_WINDOW (widget);
  TdAccount *account = find_account (self, parameter);

  if (account == NULL || td_account_get_busy (account))
    return;

  td_account_set_busy (account, TRUE);
  td_token_manager_load_async (self->token_manager, account, NULL, reloaded_cb,
                               g_object_ref (account));
}

static void
sign_in_account_action (GtkWidget  *widget,
                        const char *action_name,
                        GVariant   *parameter)
{
  TdWindow *self = TD_WINDOW (widget);
  TdAccount *account = find_account (self, parameter);

  if (account != NULL)
    ask_to_sign_in (self, account, G_CALLBACK (renew_signed_in_cb), NULL);
}

static void
edit_account_action (GtkWidget  *widget,
                     const char *action_name,
                     GVariant   *parameter)
{
  TdWindow *self = TD_WINDOW (widget);
  TdAccount *account = find_account (self, parameter);

  if (account != NULL)
    open_account_dialog (self, account);
}

static void
change_password_action (GtkWidget  *widget,
                        const char *action_name,
                        GVariant   *parameter)
{
  TdWindow *self = TD_WINDOW (widget);
  TdAccount *account = find_account (self, parameter);

  if (account != NULL)
    td_account_dialog_show_change_password (open_account_dialog (self, account));
}

static void
sign_out_account_action (GtkWidget  *widget,
                         const char *action_name,
                         GVariant   *parameter)
{
  TdWindow *self = TD_WINDOW (widget);
  TdAccount *account = find_account (self, parameter);

  if (account != NULL)
    td_token_manager_sign_out_async (self->token_manager, account, FALSE, self->cancellable,
                                     signed_out_cb, g_object_ref (self));
}

static void
remove_account_action (GtkWidget  *widget,
                       const char *action_name,
                       GVariant   *parameter)
{
  TdWindow *self = TD_WINDOW (widget);
  TdAccount *account = find_account (self, parameter);

  if (account != NULL)
    remove_account (self, account);
}

static void
show_account_action (GtkWidget  *widget,
                     const char *action_name,
                     GVariant   *parameter)
{
  TdWindow *self = TD_WINDOW (widget);
  TdAccount *account = find_account (self, parameter);

  if (account != NULL)
    _td_window_select_account (self, account);
}

/* win.undo-remove (the toast's button, with the id) and win.undo (Ctrl+Z). */
static void
undo_remove_action (GtkWidget  *widget,
                    const char *action_name,
                    GVariant   *parameter)
{
  TdWindow *self = TD_WINDOW (widget);
  const char *id = parameter ? g_variant_get_string (parameter, NULL) : NULL;

  /* Without an id: the latest removal, the only one undoable. */
  if (self->removed != NULL &&
      (id == NULL || g_str_equal (id, td_account_get_id (self->removed))))
    undo_removal (self);
}

void
_td_window_class_actions_init (TdWindowClass *klass)
{
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  gtk_widget_class_install_action (widget_class, "win.add-account", NULL, add_account_action);
  gtk_widget_class_install_action (widget_class, "win.search", NULL, search_action);
  gtk_widget_class_install_action (widget_class, "win.export-accounts", NULL,
                                   export_accounts_action);
  gtk_widget_class_install_action (widget_class, "win.import-accounts", NULL,
                                   import_accounts_action);
  gtk_widget_class_install_action (widget_class, "win.copy", NULL, copy_action);
  gtk_widget_class_install_action (widget_class, "win.renew", NULL, renew_action);
  gtk_widget_class_install_action (widget_class, "win.remove", NULL, remove_action);
  gtk_widget_class_install_action (widget_class, "win.copy-account", "s", copy_account_action);
  gtk_widget_class_install_action (widget_class, "win.copy-account-as", "(ss)",
                                   copy_account_as_action);
  gtk_widget_class_install_action (widget_class, "win.renew-account", "s", renew_account_action);
  gtk_widget_class_install_action (widget_class, "win.reload-account", "s",
                                   reload_account_action);
  gtk_widget_class_install_action (widget_class, "win.sign-in-account", "s",
                                   sign_in_account_action);
  gtk_widget_class_install_action (widget_class, "win.edit-account", "s", edit_account_action);
  gtk_widget_class_install_action (widget_class, "win.change-password", "s",
                                   change_password_action);
  gtk_widget_class_install_action (widget_class, "win.sign-out-account", "s",
                                   sign_out_account_action);
  gtk_widget_class_install_action (widget_class, "win.remove-account", "s",
                                   remove_account_action);
  gtk_widget_class_install_action (widget_class, "win.show-account", "s", show_account_action);
  gtk_widget_class_install_action (widget_class, "win.undo-remove", "s", undo_remove_action);
  gtk_widget_class_install_action (widget_class, "win.undo", NULL, undo_remove_action);

  /* Bubble phase: a focused entry keeps its own Ctrl+C, Delete and Ctrl+Z. */
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_c, GDK_CONTROL_MASK, "win.copy", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Delete, 0, "win.remove", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_KP_Delete, 0, "win.remove", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_z, GDK_CONTROL_MASK, "win.undo", NULL);
}
