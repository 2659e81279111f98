/* td-window.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "td-window"

#include "config.h"

#include <glib/gi18n-lib.h>
#include <string.h>

#include "td-account-dialog.h"
#include "td-account-row.h"
#include "td-application.h"
#include "td-error.h"
#include "td-provider.h"
#include "td-sign-in-dialog.h"
#include "td-window.h"

struct _TdWindow
{
  AdwApplicationWindow  parent_instance;

  TdApplication        *application;
  GSettings            *settings;
  /* Cancelled when the window goes: no callback touches a dead window. */
  GCancellable         *cancellable;

  GtkFilter            *filter;
  GtkSorter            *sorter;
  GtkFilterListModel   *filter_model;
  GtkSortListModel     *sort_model;
  GtkSingleSelection   *selection;
  char                 *search_text;  /* casefolded; NULL shows everything */

  AdwToast             *toast;        /* the one on screen, or NULL */
  TdAccount            *removed;      /* removed, its Undo still offered */

  /* Template widgets */
  AdwToastOverlay      *toast_overlay;
  GtkSearchBar         *search_bar;
  GtkSearchEntry       *search_entry;
  GtkToggleButton      *search_button;
  GtkStack             *stack;
  GtkSpinner           *loading_spinner;
  AdwStatusPage        *error_page;
  GtkGridView          *list_view;
};

G_DEFINE_FINAL_TYPE (TdWindow, td_window, ADW_TYPE_APPLICATION_WINDOW)

enum {
  PROP_0,
  PROP_APPLICATION_OBJECT,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

typedef enum
{
  COPY_TOKEN,
  COPY_HEADER,
  COPY_CURL,
} CopyFormat;

static void copy_account   (TdWindow   *self,
                            TdAccount  *account,
                            CopyFormat  format);
static void renew_account  (TdWindow   *self,
                            TdAccount  *account);

/* Helpers ---------------------------------------------------------------- */

TdApplication *
td_window_get_application_object (TdWindow *self)
{
  g_return_val_if_fail (TD_IS_WINDOW (self), NULL);
  return self->application;
}

TdAccount *
td_window_find_account (TdWindow   *self,
                        const char *id)
{
  g_return_val_if_fail (TD_IS_WINDOW (self), NULL);
  g_return_val_if_fail (id != NULL, NULL);

  return td_account_list_find_by_id (td_application_get_accounts (self->application), id);
}

static TdAccount *
get_selected_account (TdWindow *self)
{
  return gtk_single_selection_get_selected_item (self->selection);
}

/* Toasts ----------------------------------------------------------------
 *
 * The window shows one toast at a time and changes it in place: a newer
 * message replaces the one on screen instead of queueing behind it, and
 * "Undo" is offered for the latest removal only (a newer message ends it).
 *
 * Why in place: libadwaita 1.2 frees a toast's bookkeeping once its hide
 * animation ends, even if its show animation (500 ms when it replaced
 * another) still runs, and crashes when that one ends. A toast dismissed
 * from code right after it appeared does exactly that. Re-adding the toast
 * on screen only restarts its timeout, so no toast is ever dismissed here;
 * they go by their timeout or their close button. */

static void finish_removal (TdWindow *self);

static void
toast_dismissed_cb (TdWindow *self,
                    AdwToast *toast)
{
  if (toast != self->toast)
    return;

  g_clear_object (&self->toast);
  finish_removal (self);
}

static void
show_status (TdWindow   *self,
             const char *text,
             guint       timeout,
             TdAccount  *removed)
{
  /* Titles are markup in libadwaita 1.2; ours are plain text with names
   * and vendor messages in them. */
  g_autofree char *title = g_markup_escape_text (text, -1);

  if (self->removed != removed)
    finish_removal (self);
  g_set_object (&self->removed, removed);

  if (self->toast == NULL)
    {
      self->toast = adw_toast_new (title);
      g_signal_connect_object (self->toast, "dismissed", G_CALLBACK (toast_dismissed_cb),
                               self, G_CONNECT_SWAPPED);
    }
  else
    adw_toast_set_title (self->toast, title);

  adw_toast_set_timeout (self->toast, timeout);
  /* The button checks the pair as each changes: the target goes in
   * first and comes out last. */
  if (removed != NULL)
    {
      adw_toast_set_action_target (self->toast, "s", td_account_get_id (removed));
      adw_toast_set_action_name (self->toast, "win.undo-remove");
      adw_toast_set_button_label (self->toast, _("_Undo"));
    }
  else
    {
      adw_toast_set_button_label (self->toast, NULL);
      adw_toast_set_action_name (self->toast, NULL);
      adw_toast_set_action_target_value (self->toast, NULL);
    }

  /* New, or already up: then this only restarts its timeout. */
  adw_toast_overlay_add_toast (self->toast_overlay, g_object_ref (self->toast));
}

/* Shows text (not markup) in a toast. */
void
td_window_show_message (TdWindow   *self,
                        const char *text)
{
  g_return_if_fail (TD_IS_WINDOW (self));
  g_return_if_fail (text != NULL);

  show_status (self, text, 5, NULL);
}

static void
show_toast (TdWindow   *self,
            const char *text)
{
  show_status (self, text, 5, NULL);
}

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

/* Pages ------------------------------------------------------------------ */

static void
update_page (TdWindow *self)
{
  const char *page;
  const char *load_error = td_application_get_load_error (self->application);

  if (td_application_get_loading (self->application))
    page = "loading";
  else if (load_error != NULL)
    {
      g_autofree char *description =
        g_strdup_printf (_("%s\n\nThe file was left as it is. Fix or move it, then start "
                           "Token Desk again."), load_error);

      adw_status_page_set_description (self->error_page, description);
      page = "error";
    }
  else if (g_list_model_get_n_items (G_LIST_MODEL (td_application_get_accounts (self->application))) == 0)
    page = "empty";
  else if (g_list_model_get_n_items (G_LIST_MODEL (self->selection)) == 0)
    page = "no-results";
  else
    page = "list";

  gtk_spinner_set_spinning (self->loading_spinner, g_str_equal (page, "loading"));
  gtk_stack_set_visible_child_name (self->stack, page);

  /* Nothing to act on without accounts. */
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.add-account", load_error == NULL);
  gtk_widget_set_sensitive (GTK_WIDGET (self->search_button), g_str_equal (page, "list") ||
                                                              g_str_equal (page, "no-results"));
}

const char *
td_window_get_page (TdWindow *self)
{
  g_return_val_if_fail (TD_IS_WINDOW (self), NULL);
  return gtk_stack_get_visible_child_name (self->stack);
}

GListModel *
td_window_get_visible_accounts (TdWindow *self)
{
  g_return_val_if_fail (TD_IS_WINDOW (self), NULL);
  return G_LIST_MODEL (self->selection);
}

/* Search ----------------------------------------------------------------- */

static gboolean
contains_casefolded (const char *haystack,
                     const char *needle)
{
  g_autofree char *folded = NULL;

  if (haystack == NULL)
    return FALSE;

  folded = g_utf8_casefold (haystack, -1);
  return strstr (folded, needle) != NULL;
}

static gboolean
filter_func (gpointer item,
             gpointer user_data)
{
  TdWindow *self = user_data;
  TdAccount *account = item;
  TdProvider *provider;

  if (self->search_text == NULL)
    return TRUE;

  provider = td_provider_get_for_vendor (td_account_get_vendor (account));

  return contains_casefolded (td_account_get_display_name (account), self->search_text) ||
         contains_casefolded (td_account_get_username (account), self->search_text) ||
         contains_casefolded (td_account_get_vendor (account), self->search_text) ||
         (provider && contains_casefolded (td_provider_get_display_name (provider),
                                           self->search_text));
}

static void
search_changed_cb (TdWindow       *self,
                   GtkSearchEntry *entry)
{
  const char *text = gtk_editable_get_text (GTK_EDITABLE (entry));
  g_autofree char *folded = NULL;
  GtkFilterChange change = GTK_FILTER_CHANGE_DIFFERENT;

  g_strstrip ((folded = g_utf8_casefold (text, -1)));
  if (*folded == '\0')
    g_clear_pointer (&folded, g_free);

  if (g_strcmp0 (folded, self->search_text) == 0)
    return;

  /* Typing on narrows, deleting widens: the filter model then only
   * looks again at the items that can change. */
  if (self->search_text == NULL)
    change = GTK_FILTER_CHANGE_MORE_STRICT;
  else if (folded == NULL)
    change = GTK_FILTER_CHANGE_LESS_STRICT;
  else if (strstr (folded, self->search_text) != NULL)
    change = GTK_FILTER_CHANGE_MORE_STRICT;
  else if (strstr (self->search_text, folded) != NULL)
    change = GTK_FILTER_CHANGE_LESS_STRICT;

  g_free (self->search_text);
  self->search_text = g_steal_pointer (&folded);
  gtk_filter_changed (self->filter, change);
}

static void
search_mode_cb (TdWindow     *self,
                GParamSpec   *pspec,
                GtkSearchBar *search_bar)
{
  if (!gtk_search_bar_get_search_mode (search_bar))
    gtk_editable_set_text (GTK_EDITABLE (self->search_entry), "");
}

/* A name or username changed behind the models' backs. */
void
td_window_account_changed (TdWindow  *self,
                           TdAccount *account)
{
  g_return_if_fail (TD_IS_WINDOW (self));

  gtk_filter_changed (self->filter, GTK_FILTER_CHANGE_DIFFERENT);
  gtk_sorter_changed (self->sorter, GTK_SORTER_CHANGE_DIFFERENT);
}

/* Copy ------------------------------------------------------------------- */

typedef struct
{
  TdWindow   *self;
  TdAccount  *account;
  CopyFormat  format;
} CopyOperation;

static void
copy_operation_free (CopyOperation *op)
{
  g_clear_object (&op->self);
  g_clear_object (&op->account);
  g_free (op);
}

static char *
format_for_clipboard (TdAccount  *account,
                      const char *token,
                      CopyFormat  format)
{
  TdProvider *provider = td_provider_get_for_vendor (td_account_get_vendor (account));
  g_autofree char *header = NULL;
  g_autofree char *base_url = NULL;
  g_autofree char *quoted_header = NULL;
  g_autofree char *quoted_url = NULL;
  g_autofree char *url = NULL;

  if (format == COPY_TOKEN || provider == NULL)
    return g_strdup (token);

  header = td_provider_format_header (provider, token);
  if (format == COPY_HEADER)
    return g_steal_pointer (&header);

  /* The vendor's API root, for the user to complete with the call they
   * want; the slash goes inside the quotes so the snippet pastes cleanly. */
  base_url = td_provider_resolve_base_url (provider, td_account_get_endpoint (account), NULL);
  url = g_strconcat (base_url ? base_url : "https://", "/", NULL);
  quoted_header = g_shell_quote (header);
  quoted_url = g_shell_quote (url);

  return g_strdup_printf ("curl -H %s %s", quoted_header, quoted_url);
}

/* then (self, account, dialog) runs once the user signed in. */
static void
ask_to_sign_in (TdWindow  *self,
                TdAccount *account,
                GCallback  then,
                gpointer   then_data)
{
  TdSignInDialog *dialog = td_sign_in_dialog_new (self, account);

  g_object_set_data (G_OBJECT (dialog), "td-then-data", then_data);
  if (then != NULL)
    g_signal_connect_object (dialog, "signed-in", then, self, G_CONNECT_SWAPPED);
  gtk_window_present (GTK_WINDOW (dialog));
}

/* Renewing needed a password we do not keep: copy once it was typed. */
static void
copy_signed_in_cb (TdWindow       *self,
                   TdAccount      *account,
                   TdSignInDialog *dialog)
{
  gpointer format = g_object_get_data (G_OBJECT (dialog), "td-then-data");

  copy_account (self, account, GPOINTER_TO_INT (format));
}

static void
got_token_cb (GObject      *object,
              GAsyncResult *result,
              gpointer      user_data)
{
  CopyOperation *op = user_data;
  TdWindow *self = op->self;
  g_auto(TdSecret) token = NULL;
  g_auto(TdSecret) text = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *title = NULL;
  const char *name = td_account_get_display_name (op->account);
  guint clear_after;

  token = td_token_manager_get_token_finish (TD_TOKEN_MANAGER (object), result, &error);
  if (token == NULL)
    {
      if (is_cancelled (error))
        ;
      else if (g_error_matches (error, TD_ERROR, TD_ERROR_NEEDS_SIGN_IN))
        ask_to_sign_in (self, op->account, G_CALLBACK (copy_signed_in_cb),
                        GINT_TO_POINTER (op->format));
      else
        {
          /* Translators: %s is an account's name; the row says why */
          title = g_strdup_printf (_("Could not get a token for “%s”"), name);
          show_toast (self, title);
        }

      copy_operation_free (op);
      return;
    }

  clear_after = g_settings_get_uint (self->settings, "clipboard-timeout");
  text = format_for_clipboard (op->account, token, op->format);
  td_clipboard_copy_secret (td_application_get_clipboard (self->application), text, clear_after);

  if (clear_after > 0)
    {
      g_autofree char *when = format_clear_after (clear_after);

      switch (op->format)
        {
        case COPY_TOKEN:
          /* Translators: "Token for “Work” copied · clears in 30 s" */
          title = g_strdup_printf (_("Token for “%s” copied · clears in %s"), name, when);
          break;
        case COPY_HEADER:
          title = g_strdup_printf (_("Header line for “%s” copied · clears in %s"), name, when);
          break;
        case COPY_CURL:
          title = g_strdup_printf (_("curl command for “%s” copied · clears in %s"), name, when);
          break;
        default:
          g_assert_not_reached ();
        }
    }
  else
    {
      switch (op->format)
        {
        case COPY_TOKEN:
          title = g_strdup_printf (_("Token for “%s” copied"), name);
          break;
        case COPY_HEADER:
          title = g_strdup_printf (_("Header line for “%s” copied"), name);
          break;
        case COPY_CURL:
          title = g_strdup_printf (_("curl command for “%s” copied"), name);
          break;
        default:
          g_assert_not_reached ();
        }
    }

  show_status (self, title, 3, NULL);

  copy_operation_free (op);
}

static void
loaded_for_copy_cb (GObject      *object,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  CopyOperation *op = user_data;
  g_autoptr(GError) error = NULL;

  if (!td_token_manager_load_finish (TD_TOKEN_MANAGER (object), result, &error))
    {
      if (is_cancelled (error))
        {
          copy_operation_free (op);
          return;
        }

      /* The row says what is wrong with the keyring; a token in memory
       * may still do. */
      g_debug ("Copying without re-reading the keyring: %s", error->message);
    }

  td_token_manager_get_token_async (TD_TOKEN_MANAGER (object), op->account,
                                    g_settings_get_uint (op->self->settings, "min-validity"),
                                    op->self->cancellable, got_token_cb, op);
}

static void
copy_account (TdWindow   *self,
              TdAccount  *account,
              CopyFormat  format)
{
  CopyOperation *op;

  g_assert (TD_IS_WINDOW (self));
  g_assert (TD_IS_ACCOUNT (account));

  op = g_new0 (CopyOperation, 1);
  op->self = g_object_ref (self);
  op->account = g_object_ref (account);
  op->format = format;

  /* The keyring first: `tokendesk token` or another window may have
   * renewed the token since we read it, which kills ours at Cover Whale. */
  td_token_manager_load_async (td_application_get_token_manager (self->application),
                               account, self->cancellable, loaded_for_copy_cb, op);
}

/* Renew, sign in, sign out ----------------------------------------------- */

static void
renew_signed_in_cb (TdWindow       *self,
                    TdAccount      *account,
                    TdSignInDialog *dialog)
{
  g_autofree char *title = g_strdup_printf (_("Signed in to “%s”"),
                                            td_account_get_display_name (account));

  show_toast (self, title);
}

static void
renewed_cb (GObject      *object,
            GAsyncResult *result,
            gpointer      user_data)
{
  CopyOperation *op = user_data;
  TdWindow *self = op->self;
  const char *name = td_account_get_display_name (op->account);
  g_autoptr(GError) error = NULL;
  g_autofree char *title = NULL;

  if (td_token_manager_renew_finish (TD_TOKEN_MANAGER (object), result, &error))
    {
      title = g_strdup_printf (_("Token for “%s” renewed"), name);
      show_toast (self, title);
    }
  else if (is_cancelled (error))
    ;
  else if (g_error_matches (error, TD_ERROR, TD_ERROR_NEEDS_SIGN_IN))
    ask_to_sign_in (self, op->account, G_CALLBACK (renew_signed_in_cb), NULL);
  else
    {
      /* Translators: %s is an account's name; the row says why */
      title = g_strdup_printf (_("Could not renew the token for “%s”"), name);
      show_toast (self, title);
    }

  copy_operation_free (op);
}

static void
renew_account (TdWindow  *self,
               TdAccount *account)
{
  CopyOperation *op = g_new0 (CopyOperation, 1);

  op->self = g_object_ref (self);
  op->account = g_object_ref (account);
  td_token_manager_renew_async (td_application_get_token_manager (self->application),
                                account, self->cancellable, renewed_cb, op);
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
    show_toast (self, _("Could not sign out"));
}

/* Remove, with Undo ------------------------------------------------------ */

static void
secrets_removed_cb (GObject      *object,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  g_autoptr(TdApplication) app = user_data;
  g_autoptr(GError) error = NULL;

  if (!td_token_manager_sign_out_finish (TD_TOKEN_MANAGER (object), result, &error))
    g_warning ("Could not remove the secrets of a removed account: %s", error->message);

  g_application_release (G_APPLICATION (app));
}

static void
removal_saved_cb (GObject      *object,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(TdAccount) account = user_data;
  TdApplication *app = TD_APPLICATION (g_application_get_default ());
  g_autoptr(GError) error = NULL;

  if (!td_account_list_save_finish (TD_ACCOUNT_LIST (object), result, &error))
    {
      /* The file still has the account: so must the keyring. */
      g_warning ("Could not save the account list: %s", error->message);
      td_account_list_add (TD_ACCOUNT_LIST (object), account, NULL);
      td_account_set_error (account, error);
      g_application_release (G_APPLICATION (app));
      return;
    }

  td_token_manager_sign_out_async (td_application_get_token_manager (app), account, TRUE,
                                   NULL, secrets_removed_cb, g_object_ref (app));
}

/* Once Undo is no longer offered. The file first, then the keyring: a
 * crash in between leaves secrets of no account, never an account without
 * its secrets. */
static void
finish_removal (TdWindow *self)
{
  g_autoptr(TdAccount) account = g_steal_pointer (&self->removed);

  if (account == NULL)
    return;

  g_debug ("Removing account %s for good", td_account_get_id (account));

  /* Held until the keyring is done, even if this was the last window. */
  g_application_hold (G_APPLICATION (self->application));
  td_account_list_save_async (td_application_get_accounts (self->application), NULL,
                              removal_saved_cb, g_object_ref (account));
}

static void
remove_account (TdWindow  *self,
                TdAccount *account)
{
  g_autoptr(TdAccount) removed = g_object_ref (account);
  g_autofree char *title = NULL;

  td_account_list_remove (td_application_get_accounts (self->application), account);

  title = g_strdup_printf (_("“%s” removed"), td_account_get_display_name (account));
  show_status (self, title, 5, removed);
}

static void
undo_removal (TdWindow *self)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *title = NULL;
  TdAccountList *accounts = td_application_get_accounts (self->application);
  g_autoptr(TdAccount) account = g_steal_pointer (&self->removed);

  if (account == NULL)
    return;

  if (!td_account_list_add (accounts, account, &error))
    {
      /* Another account took the name meanwhile: it stays removed. */
      g_set_object (&self->removed, account);
      show_toast (self, error->message);
      return;
    }

  /* Another save may have written the list without it meanwhile. */
  td_application_save_accounts (self->application);

  title = g_strdup_printf (_("“%s” restored"), td_account_get_display_name (account));
  show_toast (self, title);
}

/* Actions ---------------------------------------------------------------- */

static TdAccount *
lookup_account_parameter (TdWindow *self,
                          GVariant *parameter)
{
  TdAccount *account = td_window_find_account (self, g_variant_get_string (parameter, NULL));

  if (account == NULL)
    g_debug ("No account %s", g_variant_get_string (parameter, NULL));

  return account;
}

static void
add_account_action (GtkWidget  *widget,
                    const char *action_name,
                    GVariant   *parameter)
{
  TdWindow *self = TD_WINDOW (widget);
  TdAccountDialog *dialog = td_account_dialog_new (self, NULL);

  gtk_window_present (GTK_WINDOW (dialog));
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

static void
selected_action (GtkWidget  *widget,
                 const char *action_name,
                 GVariant   *parameter)
{
  TdWindow *self = TD_WINDOW (widget);
  TdAccount *account = get_selected_account (self);

  if (account == NULL)
    return;

  if (g_str_equal (action_name, "win.copy"))
    copy_account (self, account, COPY_TOKEN);
  else if (g_str_equal (action_name, "win.renew"))
    renew_account (self, account);
  else if (g_str_equal (action_name, "win.remove"))
    remove_account (self, account);
  else
    g_assert_not_reached ();
}

static void
account_action (GtkWidget  *widget,
                const char *action_name,
                GVariant   *parameter)
{
  TdWindow *self = TD_WINDOW (widget);
  TdAccount *account = lookup_account_parameter (self, parameter);

  if (account == NULL)
    return;

  if (g_str_equal (action_name, "win.copy-account"))
    copy_account (self, account, COPY_TOKEN);
  else if (g_str_equal (action_name, "win.renew-account"))
    renew_account (self, account);
  else if (g_str_equal (action_name, "win.sign-in-account"))
    ask_to_sign_in (self, account, G_CALLBACK (renew_signed_in_cb), NULL);
  else if (g_str_equal (action_name, "win.edit-account"))
    gtk_window_present (GTK_WINDOW (td_account_dialog_new (self, account)));
  else if (g_str_equal (action_name, "win.change-password"))
    {
      TdAccountDialog *dialog = td_account_dialog_new (self, account);

      td_account_dialog_show_change_password (dialog);
      gtk_window_present (GTK_WINDOW (dialog));
    }
  else if (g_str_equal (action_name, "win.sign-out-account"))
    td_token_manager_sign_out_async (td_application_get_token_manager (self->application),
                                     account, FALSE, self->cancellable,
                                     signed_out_cb, g_object_ref (self));
  else if (g_str_equal (action_name, "win.remove-account"))
    remove_account (self, account);
  else if (g_str_equal (action_name, "win.show-account"))
    {
      GListModel *model = G_LIST_MODEL (self->selection);
      guint n;

      /* A search may hide it. */
      if (!filter_func (account, self))
        gtk_search_bar_set_search_mode (self->search_bar, FALSE);

      n = g_list_model_get_n_items (model);
      for (guint i = 0; i < n; i++)
        {
          g_autoptr(TdAccount) item = g_list_model_get_item (model, i);

          if (item == account)
            {
              gtk_single_selection_set_selected (self->selection, i);
              gtk_widget_activate_action (GTK_WIDGET (self->list_view),
                                          "list.scroll-to-item", "u", i);
              break;
            }
        }
    }
  else
    g_assert_not_reached ();
}

static void
copy_as_action (GtkWidget  *widget,
                const char *action_name,
                GVariant   *parameter)
{
  TdWindow *self = TD_WINDOW (widget);
  const char *id;
  const char *format;
  TdAccount *account;

  g_variant_get (parameter, "(&s&s)", &id, &format);

  if (!(account = td_window_find_account (self, id)))
    return;

  if (g_str_equal (format, "header"))
    copy_account (self, account, COPY_HEADER);
  else if (g_str_equal (format, "curl"))
    copy_account (self, account, COPY_CURL);
  else
    copy_account (self, account, COPY_TOKEN);
}

static void
undo_remove_action (GtkWidget  *widget,
                    const char *action_name,
                    GVariant   *parameter)
{
  TdWindow *self = TD_WINDOW (widget);
  const char *id = parameter ? g_variant_get_string (parameter, NULL) : NULL;

  /* Without an id (Ctrl+Z): the latest removal, the only one undoable. */
  if (self->removed != NULL &&
      (id == NULL || g_str_equal (id, td_account_get_id (self->removed))))
    undo_removal (self);
}

/* List ------------------------------------------------------------------- */

static void
setup_row_cb (GtkSignalListItemFactory *factory,
              GtkListItem              *item,
              TdWindow                 *self)
{
  gtk_list_item_set_child (item, td_account_row_new ());
}

static void
bind_row_cb (GtkSignalListItemFactory *factory,
             GtkListItem              *item,
             TdWindow                 *self)
{
  TdAccount *account = gtk_list_item_get_item (item);

  /* Whatever is on screen is read from the keyring first. */
  td_application_load_secrets_soon (self->application, account);
  td_account_row_set_account (TD_ACCOUNT_ROW (gtk_list_item_get_child (item)), account);
}

static void
unbind_row_cb (GtkSignalListItemFactory *factory,
               GtkListItem              *item,
               TdWindow                 *self)
{
  td_account_row_set_account (TD_ACCOUNT_ROW (gtk_list_item_get_child (item)), NULL);
}

static void
list_activate_cb (TdWindow    *self,
                  guint        position,
                  GtkGridView *list_view)
{
  g_autoptr(TdAccount) account = g_list_model_get_item (G_LIST_MODEL (self->selection), position);

  if (account != NULL)
    copy_account (self, account, COPY_TOKEN);
}

/* GtkWindow -------------------------------------------------------------- */

static gboolean
td_window_close_request (GtkWindow *window)
{
  TdWindow *self = TD_WINDOW (window);

  /* Removed is removed once the window goes: no Undo is left. */
  finish_removal (self);

  return GTK_WINDOW_CLASS (td_window_parent_class)->close_request (window);
}

/* GObject ---------------------------------------------------------------- */

static void
td_window_constructed (GObject *object)
{
  TdWindow *self = TD_WINDOW (object);
  GtkListItemFactory *factory;
  GtkExpression *expression;

  G_OBJECT_CLASS (td_window_parent_class)->constructed (object);

  gtk_window_set_application (GTK_WINDOW (self), GTK_APPLICATION (self->application));
  self->settings = g_object_ref (td_application_get_settings (self->application));

  g_settings_bind (self->settings, "window-width", self, "default-width", G_SETTINGS_BIND_DEFAULT);
  g_settings_bind (self->settings, "window-height", self, "default-height", G_SETTINGS_BIND_DEFAULT);
  g_settings_bind (self->settings, "window-maximized", self, "maximized", G_SETTINGS_BIND_DEFAULT);

  self->filter = GTK_FILTER (gtk_custom_filter_new (filter_func, self, NULL));
  expression = gtk_property_expression_new (TD_TYPE_ACCOUNT, NULL, "display-name");
  self->sorter = GTK_SORTER (gtk_string_sorter_new (expression));
  gtk_string_sorter_set_ignore_case (GTK_STRING_SORTER (self->sorter), TRUE);

  self->filter_model = gtk_filter_list_model_new (
      g_object_ref (G_LIST_MODEL (td_application_get_accounts (self->application))),
      g_object_ref (self->filter));
  self->sort_model = gtk_sort_list_model_new (g_object_ref (G_LIST_MODEL (self->filter_model)),
                                              g_object_ref (self->sorter));
  self->selection = gtk_single_selection_new (g_object_ref (G_LIST_MODEL (self->sort_model)));
  gtk_single_selection_set_autoselect (self->selection, FALSE);
  gtk_single_selection_set_can_unselect (self->selection, TRUE);

  factory = gtk_signal_list_item_factory_new ();
  g_signal_connect (factory, "setup", G_CALLBACK (setup_row_cb), self);
  g_signal_connect (factory, "bind", G_CALLBACK (bind_row_cb), self);
  g_signal_connect (factory, "unbind", G_CALLBACK (unbind_row_cb), self);
  gtk_grid_view_set_factory (self->list_view, factory);
  g_object_unref (factory);
  gtk_grid_view_set_model (self->list_view, GTK_SELECTION_MODEL (self->selection));

  g_signal_connect_object (self->selection, "items-changed",
                           G_CALLBACK (update_page), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (td_application_get_accounts (self->application), "items-changed",
                           G_CALLBACK (update_page), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->application, "notify::loading",
                           G_CALLBACK (update_page), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->application, "notify::load-error",
                           G_CALLBACK (update_page), self, G_CONNECT_SWAPPED);

  update_page (self);
}

static void
td_window_dispose (GObject *object)
{
  TdWindow *self = (TdWindow *)object;

  g_cancellable_cancel (self->cancellable);

  finish_removal (self);
  /* The toast may outlive us inside the overlay: it must not call back. */
  if (self->toast != NULL)
    g_signal_handlers_disconnect_by_func (self->toast, toast_dismissed_cb, self);
  g_clear_object (&self->toast);

  gtk_widget_dispose_template (GTK_WIDGET (self), TD_TYPE_WINDOW);

  g_clear_object (&self->selection);
  g_clear_object (&self->sort_model);
  g_clear_object (&self->filter_model);
  g_clear_object (&self->filter);
  g_clear_object (&self->sorter);
  g_clear_object (&self->settings);
  g_clear_object (&self->application);

  G_OBJECT_CLASS (td_window_parent_class)->dispose (object);
}

static void
td_window_finalize (GObject *object)
{
  TdWindow *self = (TdWindow *)object;

  g_clear_object (&self->cancellable);
  g_free (self->search_text);

  G_OBJECT_CLASS (td_window_parent_class)->finalize (object);
}

static void
td_window_get_property (GObject    *object,
                        guint       prop_id,
                        GValue     *value,
                        GParamSpec *pspec)
{
  TdWindow *self = TD_WINDOW (object);

  switch (prop_id)
    {
    case PROP_APPLICATION_OBJECT:
      g_value_set_object (value, self->application);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
td_window_set_property (GObject      *object,
                        guint         prop_id,
                        const GValue *value,
                        GParamSpec   *pspec)
{
  TdWindow *self = TD_WINDOW (object);

  switch (prop_id)
    {
    case PROP_APPLICATION_OBJECT:
      self->application = g_value_dup_object (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
td_window_class_init (TdWindowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);
  GtkWindowClass *window_class = GTK_WINDOW_CLASS (klass);

  object_class->constructed = td_window_constructed;
  object_class->dispose = td_window_dispose;
  object_class->finalize = td_window_finalize;
  object_class->get_property = td_window_get_property;
  object_class->set_property = td_window_set_property;

  window_class->close_request = td_window_close_request;

  /* "application" is GtkWindow's; this one is ours, set before constructed. */
  properties[PROP_APPLICATION_OBJECT] =
    g_param_spec_object ("td-application", NULL, NULL, TD_TYPE_APPLICATION,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/tokendesk/TokenDesk/td-window.ui");
  gtk_widget_class_bind_template_child (widget_class, TdWindow, toast_overlay);
  gtk_widget_class_bind_template_child (widget_class, TdWindow, search_bar);
  gtk_widget_class_bind_template_child (widget_class, TdWindow, search_entry);
  gtk_widget_class_bind_template_child (widget_class, TdWindow, search_button);
  gtk_widget_class_bind_template_child (widget_class, TdWindow, stack);
  gtk_widget_class_bind_template_child (widget_class, TdWindow, loading_spinner);
  gtk_widget_class_bind_template_child (widget_class, TdWindow, error_page);
  gtk_widget_class_bind_template_child (widget_class, TdWindow, list_view);

  gtk_widget_class_install_action (widget_class, "win.add-account", NULL, add_account_action);
  gtk_widget_class_install_action (widget_class, "win.search", NULL, search_action);
  gtk_widget_class_install_action (widget_class, "win.copy", NULL, selected_action);
  gtk_widget_class_install_action (widget_class, "win.renew", NULL, selected_action);
  gtk_widget_class_install_action (widget_class, "win.remove", NULL, selected_action);
  gtk_widget_class_install_action (widget_class, "win.copy-account", "s", account_action);
  gtk_widget_class_install_action (widget_class, "win.copy-account-as", "(ss)", copy_as_action);
  gtk_widget_class_install_action (widget_class, "win.renew-account", "s", account_action);
  gtk_widget_class_install_action (widget_class, "win.sign-in-account", "s", account_action);
  gtk_widget_class_install_action (widget_class, "win.edit-account", "s", account_action);
  gtk_widget_class_install_action (widget_class, "win.change-password", "s", account_action);
  gtk_widget_class_install_action (widget_class, "win.sign-out-account", "s", account_action);
  gtk_widget_class_install_action (widget_class, "win.remove-account", "s", account_action);
  gtk_widget_class_install_action (widget_class, "win.show-account", "s", account_action);
  gtk_widget_class_install_action (widget_class, "win.undo-remove", "s", undo_remove_action);
  gtk_widget_class_install_action (widget_class, "win.undo", NULL, undo_remove_action);

  /* Bubble phase: a focused entry keeps its own Ctrl+C, Delete and Ctrl+Z. */
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_c, GDK_CONTROL_MASK, "win.copy", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Delete, 0, "win.remove", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_KP_Delete, 0, "win.remove", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_z, GDK_CONTROL_MASK, "win.undo", NULL);
}

static void
td_window_init (TdWindow *self)
{
  self->cancellable = g_cancellable_new ();

  gtk_widget_init_template (GTK_WIDGET (self));

  g_object_bind_property (self->search_button, "active",
                          self->search_bar, "search-mode-enabled",
                          G_BINDING_BIDIRECTIONAL | G_BINDING_SYNC_CREATE);
  g_signal_connect_object (self->search_bar, "notify::search-mode-enabled",
                           G_CALLBACK (search_mode_cb), self, G_CONNECT_SWAPPED);
  gtk_search_bar_connect_entry (self->search_bar, GTK_EDITABLE (self->search_entry));
  gtk_search_bar_set_key_capture_widget (self->search_bar, GTK_WIDGET (self));

  g_signal_connect_object (self->search_entry, "search-changed",
                           G_CALLBACK (search_changed_cb), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->list_view, "activate",
                           G_CALLBACK (list_activate_cb), self, G_CONNECT_SWAPPED);
}

TdWindow *
td_window_new (TdApplication *application)
{
  g_return_val_if_fail (TD_IS_APPLICATION (application), NULL);

  return g_object_new (TD_TYPE_WINDOW,
                       "td-application", application,
                       NULL);
}
