/* td-window.c: the template, its pages, search and the list
 *
 * The actions and the flows behind them (copy, renew, remove with Undo,
 * the dialogs) are in td-window-actions.c.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "td-window"

#include "config.h"

#include <glib/gi18n-lib.h>
#include <string.h>

#include "td-account-row.h"
#include "td-provider.h"
#include "td-window-private.h"

G_DEFINE_FINAL_TYPE (TdWindow, td_window, ADW_TYPE_APPLICATION_WINDOW)

enum {
  PROP_0,
  PROP_ACCOUNTS,
  PROP_TOKEN_MANAGER,
  PROP_SETTINGS,
  PROP_CLIPBOARD,
  PROP_LOADING,
  PROP_LOAD_ERROR,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

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

static void
toast_dismissed_cb (TdWindow *self,
                    AdwToast *toast)
{
  if (toast != self->toast)
    return;

  g_clear_object (&self->toast);
  _td_window_finish_removal (self);
}

void
_td_window_show_status (TdWindow   *self,
                        const char *text,
                        guint       timeout,
                        TdAccount  *removed)
{
  /* Titles are markup in libadwaita 1.2; ours are plain text with names
   * and vendor messages in them. */
  g_autofree char *title = g_markup_escape_text (text, -1);

  if (self->removed != removed)
    _td_window_finish_removal (self);
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
_td_window_show_toast (TdWindow   *self,
                       const char *text)
{
  _td_window_show_status (self, text, 5, NULL);
}

/* Pages ------------------------------------------------------------------ */

static void
update_page (TdWindow *self)
{
  const char *page;
  const char *load_error = self->load_error;

  if (self->loading)
    page = "loading";
  else if (load_error != NULL)
    {
      g_autofree char *description =
        g_strdup_printf (_("%s\n\nThe file was left as it is. Fix or move it, then start "
                           "Token Desk again."), load_error);

      adw_status_page_set_description (self->error_page, description);
      page = "error";
    }
  else if (g_list_model_get_n_items (G_LIST_MODEL (self->accounts)) == 0)
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

/* Whether row is on screen inside the list's scrolled area. */
static gboolean
row_on_screen (GtkWidget *row,
               GtkWidget *viewport)
{
  graphene_rect_t bounds;

  if (!gtk_widget_get_mapped (row) ||
      !gtk_widget_compute_bounds (row, viewport, &bounds))
    return FALSE;

  return bounds.origin.y + bounds.size.height > 0 &&
         bounds.origin.y < gtk_widget_get_height (viewport);
}

static gboolean
shows_account_in (GtkWidget *widget,
                  GtkWidget *viewport,
                  TdAccount *account)
{
  if (TD_IS_ACCOUNT_ROW (widget))
    return td_account_row_get_account (TD_ACCOUNT_ROW (widget)) == account &&
           row_on_screen (widget, viewport);

  for (GtkWidget *child = gtk_widget_get_first_child (widget);
       child != NULL;
       child = gtk_widget_get_next_sibling (child))
    if (shows_account_in (child, viewport, account))
      return TRUE;

  return FALSE;
}

gboolean
td_window_shows_account (TdWindow  *self,
                         TdAccount *account)
{
  GtkWidget *viewport;

  g_return_val_if_fail (TD_IS_WINDOW (self), FALSE);
  g_return_val_if_fail (TD_IS_ACCOUNT (account), FALSE);

  if (!gtk_window_is_active (GTK_WINDOW (self)) ||
      g_strcmp0 (td_window_get_page (self), "list") != 0)
    return FALSE;

  /* The grid builds rows a little beyond what is visible: only those
   * inside the scrolled area count. */
  viewport = gtk_widget_get_parent (GTK_WIDGET (self->list_view));

  return shows_account_in (GTK_WIDGET (self->list_view), viewport, account);
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

gboolean
_td_window_matches_search (TdWindow  *self,
                           TdAccount *account)
{
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

static gboolean
filter_func (gpointer item,
             gpointer user_data)
{
  return _td_window_matches_search (user_data, item);
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
_td_window_accounts_edited (TdWindow *self)
{
  gtk_filter_changed (self->filter, GTK_FILTER_CHANGE_DIFFERENT);
  gtk_sorter_changed (self->sorter, GTK_SORTER_CHANGE_DIFFERENT);
}

/* Selects the account and scrolls to it, out of a search that hides it. */
void
_td_window_select_account (TdWindow  *self,
                           TdAccount *account)
{
  GListModel *model = G_LIST_MODEL (self->selection);
  guint n;

  if (!_td_window_matches_search (self, account))
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
  td_token_manager_load_soon (self->token_manager, account);
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
    _td_window_copy_account (self, account, TD_COPY_TOKEN);
}

/* The shortcuts window ---------------------------------------------------- */

/* Built once the first frame is out: GTK would build it with every window
 * (3 ms of a 50 ms start), for a window hardly anyone opens at once. */
static gboolean
add_help_overlay_cb (gpointer user_data)
{
  TdWindow *self = user_data;
  g_autoptr(GtkBuilder) builder =
    gtk_builder_new_from_resource ("/io/github/tokendesk/TokenDesk/td-help-overlay.ui");

  self->help_overlay_id = 0;
  gtk_application_window_set_help_overlay (GTK_APPLICATION_WINDOW (self),
                                           GTK_SHORTCUTS_WINDOW (gtk_builder_get_object (builder,
                                                                                         "help_overlay")));

  return G_SOURCE_REMOVE;
}

/* GtkWindow -------------------------------------------------------------- */

static gboolean
td_window_close_request (GtkWindow *window)
{
  TdWindow *self = TD_WINDOW (window);

  /* Removed is removed once the window goes: no Undo is left. */
  _td_window_finish_removal (self);

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

  g_assert (TD_IS_ACCOUNT_LIST (self->accounts));
  g_assert (TD_IS_TOKEN_MANAGER (self->token_manager));
  g_assert (G_IS_SETTINGS (self->settings));
  g_assert (TD_IS_CLIPBOARD (self->clipboard));

  g_settings_bind (self->settings, "window-width", self, "default-width", G_SETTINGS_BIND_DEFAULT);
  g_settings_bind (self->settings, "window-height", self, "default-height", G_SETTINGS_BIND_DEFAULT);
  g_settings_bind (self->settings, "window-maximized", self, "maximized", G_SETTINGS_BIND_DEFAULT);

  self->filter = GTK_FILTER (gtk_custom_filter_new (filter_func, self, NULL));
  expression = gtk_property_expression_new (TD_TYPE_ACCOUNT, NULL, "display-name");
  self->sorter = GTK_SORTER (gtk_string_sorter_new (expression));
  gtk_string_sorter_set_ignore_case (GTK_STRING_SORTER (self->sorter), TRUE);

  self->filter_model = gtk_filter_list_model_new (g_object_ref (G_LIST_MODEL (self->accounts)),
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
  g_signal_connect_object (self->accounts, "items-changed",
                           G_CALLBACK (update_page), self, G_CONNECT_SWAPPED);

  update_page (self);

  /* Below drawing: runs once the first frame is out. */
  self->help_overlay_id = g_idle_add_full (G_PRIORITY_LOW, add_help_overlay_cb, self, NULL);
}

static void
td_window_dispose (GObject *object)
{
  TdWindow *self = (TdWindow *)object;

  g_clear_handle_id (&self->help_overlay_id, g_source_remove);

  g_cancellable_cancel (self->cancellable);

  _td_window_finish_removal (self);
  /* The toast may outlive us inside the overlay: it must not call back. */
  if (self->toast != NULL)
    g_signal_handlers_disconnect_by_func (self->toast, toast_dismissed_cb, self);
  g_clear_object (&self->toast);

  /* The grid's rows go with the template; the model must not outlive it. */
  gtk_widget_dispose_template (GTK_WIDGET (self), TD_TYPE_WINDOW);

  g_clear_object (&self->selection);
  g_clear_object (&self->sort_model);
  g_clear_object (&self->filter_model);
  g_clear_object (&self->filter);
  g_clear_object (&self->sorter);
  g_clear_object (&self->accounts);
  g_clear_object (&self->token_manager);
  g_clear_object (&self->settings);
  g_clear_object (&self->clipboard);

  G_OBJECT_CLASS (td_window_parent_class)->dispose (object);
}

static void
td_window_finalize (GObject *object)
{
  TdWindow *self = (TdWindow *)object;

  g_clear_object (&self->cancellable);
  g_free (self->search_text);
  g_free (self->load_error);

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
    case PROP_ACCOUNTS:
      g_value_set_object (value, self->accounts);
      break;
    case PROP_TOKEN_MANAGER:
      g_value_set_object (value, self->token_manager);
      break;
    case PROP_SETTINGS:
      g_value_set_object (value, self->settings);
      break;
    case PROP_CLIPBOARD:
      g_value_set_object (value, self->clipboard);
      break;
    case PROP_LOADING:
      g_value_set_boolean (value, self->loading);
      break;
    case PROP_LOAD_ERROR:
      g_value_set_string (value, self->load_error);
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
    case PROP_ACCOUNTS:
      self->accounts = g_value_dup_object (value);
      break;
    case PROP_TOKEN_MANAGER:
      self->token_manager = g_value_dup_object (value);
      break;
    case PROP_SETTINGS:
      self->settings = g_value_dup_object (value);
      break;
    case PROP_CLIPBOARD:
      self->clipboard = g_value_dup_object (value);
      break;
    case PROP_LOADING:
      if (self->loading != g_value_get_boolean (value))
        {
          self->loading = g_value_get_boolean (value);
          /* Before constructed(), which shows the page once. */
          if (self->selection != NULL)
            update_page (self);
          g_object_notify_by_pspec (object, pspec);
        }
      break;
    case PROP_LOAD_ERROR:
      if (g_strcmp0 (self->load_error, g_value_get_string (value)) != 0)
        {
          g_free (self->load_error);
          self->load_error = g_value_dup_string (value);
          if (self->selection != NULL)
            update_page (self);
          g_object_notify_by_pspec (object, pspec);
        }
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

  properties[PROP_ACCOUNTS] =
    g_param_spec_object ("accounts", NULL, NULL, TD_TYPE_ACCOUNT_LIST,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  properties[PROP_TOKEN_MANAGER] =
    g_param_spec_object ("token-manager", NULL, NULL, TD_TYPE_TOKEN_MANAGER,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  properties[PROP_SETTINGS] =
    g_param_spec_object ("settings", NULL, NULL, G_TYPE_SETTINGS,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  properties[PROP_CLIPBOARD] =
    g_param_spec_object ("clipboard", NULL, NULL, TD_TYPE_CLIPBOARD,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  /* The account file is being read, or could not be (why). */
  properties[PROP_LOADING] =
    g_param_spec_boolean ("loading", NULL, NULL, FALSE,
                          G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_LOAD_ERROR] =
    g_param_spec_string ("load-error", NULL, NULL, NULL,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
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

  _td_window_class_actions_init (klass);
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
td_window_new (GtkApplication *application,
               TdAccountList  *accounts,
               TdTokenManager *token_manager,
               GSettings      *settings,
               TdClipboard    *clipboard)
{
  g_return_val_if_fail (!application || GTK_IS_APPLICATION (application), NULL);
  g_return_val_if_fail (TD_IS_ACCOUNT_LIST (accounts), NULL);
  g_return_val_if_fail (TD_IS_TOKEN_MANAGER (token_manager), NULL);
  g_return_val_if_fail (G_IS_SETTINGS (settings), NULL);
  g_return_val_if_fail (TD_IS_CLIPBOARD (clipboard), NULL);

  return g_object_new (TD_TYPE_WINDOW,
                       "application", application,
                       "accounts", accounts,
                       "token-manager", token_manager,
                       "settings", settings,
                       "clipboard", clipboard,
                       NULL);
}
