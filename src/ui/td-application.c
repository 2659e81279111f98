/* td-application.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "td-application"

#include "config.h"

#include <glib/gi18n-lib.h>

#include "td-application.h"
#include "td-autostart.h"
#include "td-expiry-text.h"
#include "td-preferences-window.h"
#include "td-provider.h"
#include "td-token-store.h"
#include "td-window.h"

/* The application owns the services (accounts, token manager, settings,
 * clipboard) and hands them to each window it opens. */

struct _TdApplication
{
  AdwApplication  parent_instance;

  GSettings      *settings;
  TdAccountList  *accounts;
  TdTokenManager *token_manager;
  TdClipboard    *clipboard;
  TdAutostart    *autostart;

  gboolean        loading;
  char           *load_error;

  gboolean        held_in_background;
  gboolean        start_in_background;  /* --background: no window at first */
  gboolean        quitting;
};

G_DEFINE_FINAL_TYPE (TdApplication, td_application, ADW_TYPE_APPLICATION)

enum {
  PROP_0,
  PROP_ACCOUNTS,
  PROP_TOKEN_MANAGER,
  PROP_LOADING,
  PROP_LOAD_ERROR,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

TdApplication *
td_application_new (void)
{
  return g_object_new (TD_TYPE_APPLICATION,
                       "application-id", APPLICATION_ID,
                       "flags", G_APPLICATION_DEFAULT_FLAGS,
                       "resource-base-path", "/io/github/tokendesk/TokenDesk",
                       NULL);
}

/* Expiry notifications --------------------------------------------------- */

static char *
notification_id (TdAccount *account)
{
  return g_strdup_printf ("expiring-%s", td_account_get_id (account));
}

static void
account_state_cb (TdAccount     *account,
                  GParamSpec    *pspec,
                  TdApplication *self)
{
  g_autofree char *id = notification_id (account);
  g_autoptr(GNotification) notification = NULL;
  g_autofree char *title = NULL;
  g_autofree char *when = NULL;
  TdProvider *provider;

  if (td_account_get_state (account) != TD_ACCOUNT_STATE_EXPIRING)
    {
      /* Renewed, signed out, or expired: the warning has served. */
      if (td_account_get_state (account) != TD_ACCOUNT_STATE_EXPIRED)
        g_application_withdraw_notification (G_APPLICATION (self), id);
      return;
    }

  if (!g_settings_get_boolean (self->settings, "notify-expiry"))
    return;

  provider = td_provider_get_for_vendor (td_account_get_vendor (account));
  when = td_expiry_text (td_account_get_expires_at (account),
                         g_get_real_time () / G_USEC_PER_SEC, NULL);

  /* Translators: %s is the name of an account */
  title = g_strdup_printf (_("Token for “%s” expires soon"), td_account_get_display_name (account));
  notification = g_notification_new (title);
  if (provider != NULL)
    {
      /* Translators: the first %s is a vendor, the second "expires in 4 min" */
      g_autofree char *body = g_strdup_printf (_("The %s token %s."),
                                               td_provider_get_display_name (provider),
                                               when ? when : "");
      g_notification_set_body (notification, body);
    }
  g_notification_set_default_action_and_target (notification, "app.show-account",
                                                "s", td_account_get_id (account));
  g_notification_add_button_with_target (notification, _("Renew"), "app.renew-account",
                                         "s", td_account_get_id (account));
  g_application_send_notification (G_APPLICATION (self), id, notification);
}

static void
accounts_changed_cb (TdApplication *self,
                     guint          position,
                     guint          removed,
                     guint          added,
                     GListModel    *model)
{
  for (guint i = position; i < position + added; i++)
    {
      g_autoptr(TdAccount) account = g_list_model_get_item (model, i);

      /* Accounts come back after an undo: connect once. */
      if (g_signal_handler_find (account, G_SIGNAL_MATCH_FUNC | G_SIGNAL_MATCH_DATA,
                                 0, 0, NULL, account_state_cb, self) == 0)
        g_signal_connect_object (account, "notify::state",
                                 G_CALLBACK (account_state_cb), self, 0);
    }

  /* Accounts added by the UI arrive signed in; those from the file are
   * queued once the file is read. */
  if (!self->loading)
    for (guint i = position; i < position + added; i++)
      {
        g_autoptr(TdAccount) account = g_list_model_get_item (model, i);

        td_token_manager_queue_load (self->token_manager, account);
      }
}

/* Loading ---------------------------------------------------------------- */

static void
accounts_loaded_cb (GObject      *object,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  g_autoptr(TdApplication) self = user_data;
  g_autoptr(GError) error = NULL;
  guint n;

  if (!td_account_list_load_finish (TD_ACCOUNT_LIST (object), result, &error))
    {
      g_warning ("Could not read the account list: %s", error->message);
      self->load_error = g_strdup (error->message);
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_LOAD_ERROR]);
    }

  self->loading = FALSE;

  n = g_list_model_get_n_items (G_LIST_MODEL (self->accounts));
  for (guint i = 0; i < n; i++)
    {
      g_autoptr(TdAccount) account = g_list_model_get_item (G_LIST_MODEL (self->accounts), i);

      td_token_manager_queue_load (self->token_manager, account);
    }

  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_LOADING]);
}

/* Actions ---------------------------------------------------------------- */

/* Keeps running with no window, for the clipboard timeout and the expiry
 * warnings. */
static void
hold_in_background (TdApplication *self)
{
  if (self->held_in_background || self->quitting)
    return;

  g_debug ("Running in the background");
  self->held_in_background = TRUE;
  g_application_hold (G_APPLICATION (self));
}

static void
release_from_background (TdApplication *self)
{
  if (!self->held_in_background)
    return;

  self->held_in_background = FALSE;
  g_application_release (G_APPLICATION (self));
}

static TdWindow *
ensure_window (TdApplication *self)
{
  GtkWindow *window = gtk_application_get_active_window (GTK_APPLICATION (self));

  if (window == NULL)
    {
      window = GTK_WINDOW (td_window_new (GTK_APPLICATION (self), self->accounts,
                                          self->token_manager, self->settings,
                                          self->clipboard));
      g_object_bind_property (self, "loading", window, "loading", G_BINDING_SYNC_CREATE);
      g_object_bind_property (self, "load-error", window, "load-error", G_BINDING_SYNC_CREATE);
    }

  gtk_window_present (window);

  return TD_WINDOW (window);
}

static void
quit_action (GSimpleAction *action,
             GVariant      *parameter,
             gpointer       user_data)
{
  TdApplication *self = user_data;
  GList *windows;

  /* Closing the windows lets each finish what it owes (accounts removed
   * under an Undo toast lose their secrets then); the application ends
   * when that work is done and the last window is gone, even when it
   * would otherwise stay in the background. */
  self->quitting = TRUE;
  release_from_background (self);

  windows = g_list_copy (gtk_application_get_windows (GTK_APPLICATION (self)));
  for (GList *l = windows; l; l = l->next)
    gtk_window_close (l->data);
  g_list_free (windows);
}

static void
preferences_action (GSimpleAction *action,
                    GVariant      *parameter,
                    gpointer       user_data)
{
  TdApplication *self = user_data;
  TdWindow *window = ensure_window (self);
  GtkWindow *preferences;

  preferences = GTK_WINDOW (td_preferences_window_new (self->settings, self->autostart));
  gtk_window_set_transient_for (preferences, GTK_WINDOW (window));
  gtk_window_present (preferences);
}

static void
about_action (GSimpleAction *action,
              GVariant      *parameter,
              gpointer       user_data)
{
  TdApplication *self = user_data;
  TdWindow *window = ensure_window (self);
  static const char *developers[] = { "The Token Desk developers", NULL };
  GtkWidget *about;

  about = g_object_new (ADW_TYPE_ABOUT_WINDOW,
                        "transient-for", window,
                        "modal", TRUE,
                        "application-name", _("Token Desk"),
                        "application-icon", APPLICATION_ID,
                        "developer-name", _("The Token Desk developers"),
                        "developers", developers,
                        "version", PACKAGE_VERSION,
                        "website", "https://github.com/tokendesk/tokendesk",
                        "issue-url", "https://github.com/tokendesk/tokendesk/issues",
                        "license-type", GTK_LICENSE_GPL_3_0,
                        "copyright", _("© 2026 The Token Desk developers"),
                        /* Translators: your names, one per line */
                        "translator-credits", _("translator-credits"),
                        "comments", _("Copy a fresh API token for any of your accounts. "
                                      "Passwords and tokens stay in the system keyring."),
                        NULL);
  gtk_window_present (GTK_WINDOW (about));
}

/* From notifications: work on an account through the window's actions. */
static void
window_account_action (GSimpleAction *action,
                       GVariant      *parameter,
                       gpointer       user_data)
{
  TdApplication *self = user_data;
  TdWindow *window = ensure_window (self);
  const char *name = g_action_get_name (G_ACTION (action));

  if (g_str_equal (name, "renew-account"))
    gtk_widget_activate_action_variant (GTK_WIDGET (window), "win.renew-account", parameter);
  else
    gtk_widget_activate_action_variant (GTK_WIDGET (window), "win.show-account", parameter);
}

static const GActionEntry app_actions[] = {
  { "quit", quit_action },
  { "preferences", preferences_action },
  { "about", about_action },
  { "renew-account", window_account_action, "s" },
  { "show-account", window_account_action, "s" },
};

/* GApplication ----------------------------------------------------------- */

static void
td_application_window_removed (GtkApplication *application,
                               GtkWindow      *window)
{
  TdApplication *self = TD_APPLICATION (application);

  GTK_APPLICATION_CLASS (td_application_parent_class)->window_removed (application, window);

  /* Run in Background decides once the last window is gone, also for an
   * application started in the background. */
  if (gtk_application_get_windows (application) == NULL)
    {
      if (g_settings_get_boolean (self->settings, "run-in-background"))
        hold_in_background (self);
      else
        release_from_background (self);
    }
}

static int
td_application_handle_local_options (GApplication *application,
                                     GVariantDict *options)
{
  TdApplication *self = TD_APPLICATION (application);
  g_autoptr(GError) error = NULL;

  if (!g_variant_dict_contains (options, "background"))
    return -1;

  /* Started at login while already running: leave that one as it is. */
  if (!g_application_register (application, NULL, &error))
    {
      g_printerr ("%s\n", error->message);
      return 1;
    }
  if (g_application_get_is_remote (application))
    return 0;

  /* g_application_run () activates next: no window for that one. */
  self->start_in_background = TRUE;
  return -1;
}

static void
td_application_activate (GApplication *application)
{
  TdApplication *self = TD_APPLICATION (application);

  if (self->start_in_background)
    {
      self->start_in_background = FALSE;
      hold_in_background (self);
      return;
    }

  ensure_window (self);
}

static void
td_application_startup (GApplication *application)
{
  TdApplication *self = TD_APPLICATION (application);
  static const char *quit_accels[] = { "<Control>q", NULL };
  static const char *preferences_accels[] = { "<Control>comma", NULL };
  static const char *add_accels[] = { "<Control>n", NULL };
  static const char *search_accels[] = { "<Control>f", NULL };
  static const char *renew_accels[] = { "<Control>r", NULL };
  static const char *close_accels[] = { "<Control>w", NULL };
  /* GTK sets this one only for a gtk/help-overlay.ui, which we add later. */
  static const char *help_accels[] = { "<Control>question", NULL };
  GdkDisplay *display;

  G_APPLICATION_CLASS (td_application_parent_class)->startup (application);

  g_set_application_name (_("Token Desk"));
  gtk_window_set_default_icon_name (APPLICATION_ID);

  self->settings = g_settings_new (APPLICATION_ID);
  self->autostart = td_autostart_new (self->settings);

  display = gdk_display_get_default ();
  self->clipboard = td_clipboard_new (gdk_display_get_clipboard (display));

  if (self->token_manager == NULL)
    {
      g_autoptr(TdTokenStore) store = td_token_store_new ();

      self->token_manager = td_token_manager_new (store);
    }

  g_action_map_add_action_entries (G_ACTION_MAP (self), app_actions,
                                   G_N_ELEMENTS (app_actions), self);

  /* Ctrl+C and Delete are bindings of the window instead: as application
   * accelerators they would run before a focused entry gets the keys. */
  gtk_application_set_accels_for_action (GTK_APPLICATION (self), "app.quit", quit_accels);
  gtk_application_set_accels_for_action (GTK_APPLICATION (self), "app.preferences",
                                         preferences_accels);
  gtk_application_set_accels_for_action (GTK_APPLICATION (self), "win.add-account", add_accels);
  gtk_application_set_accels_for_action (GTK_APPLICATION (self), "win.search", search_accels);
  gtk_application_set_accels_for_action (GTK_APPLICATION (self), "win.renew", renew_accels);
  gtk_application_set_accels_for_action (GTK_APPLICATION (self), "window.close", close_accels);
  gtk_application_set_accels_for_action (GTK_APPLICATION (self), "win.show-help-overlay",
                                         help_accels);

  if (self->accounts == NULL)
    {
      self->accounts = td_account_list_new ();
      self->loading = TRUE;
    }

  g_signal_connect_object (self->accounts, "items-changed",
                           G_CALLBACK (accounts_changed_cb), self, G_CONNECT_SWAPPED);
  accounts_changed_cb (self, 0, 0, g_list_model_get_n_items (G_LIST_MODEL (self->accounts)),
                       G_LIST_MODEL (self->accounts));

  if (self->loading)
    td_account_list_load_async (self->accounts, NULL, accounts_loaded_cb, g_object_ref (self));
}

static void
td_application_shutdown (GApplication *application)
{
  TdApplication *self = TD_APPLICATION (application);

  /* A token left on the clipboard outlives us otherwise. */
  if (self->clipboard != NULL)
    td_clipboard_clear_secret (self->clipboard);

  G_APPLICATION_CLASS (td_application_parent_class)->shutdown (application);
}

/* GObject ---------------------------------------------------------------- */

static void
td_application_dispose (GObject *object)
{
  TdApplication *self = (TdApplication *)object;

  g_clear_object (&self->clipboard);
  g_clear_object (&self->autostart);
  g_clear_object (&self->settings);
  g_clear_object (&self->accounts);
  g_clear_object (&self->token_manager);

  G_OBJECT_CLASS (td_application_parent_class)->dispose (object);
}

static void
td_application_finalize (GObject *object)
{
  TdApplication *self = (TdApplication *)object;

  g_free (self->load_error);

  G_OBJECT_CLASS (td_application_parent_class)->finalize (object);
}

static void
td_application_get_property (GObject    *object,
                             guint       prop_id,
                             GValue     *value,
                             GParamSpec *pspec)
{
  TdApplication *self = TD_APPLICATION (object);

  switch (prop_id)
    {
    case PROP_ACCOUNTS:
      g_value_set_object (value, self->accounts);
      break;
    case PROP_TOKEN_MANAGER:
      g_value_set_object (value, self->token_manager);
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
td_application_set_property (GObject      *object,
                             guint         prop_id,
                             const GValue *value,
                             GParamSpec   *pspec)
{
  TdApplication *self = TD_APPLICATION (object);

  switch (prop_id)
    {
    case PROP_ACCOUNTS:
      self->accounts = g_value_dup_object (value);
      break;
    case PROP_TOKEN_MANAGER:
      self->token_manager = g_value_dup_object (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
td_application_class_init (TdApplicationClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GApplicationClass *app_class = G_APPLICATION_CLASS (klass);
  GtkApplicationClass *gtk_app_class = GTK_APPLICATION_CLASS (klass);

  object_class->dispose = td_application_dispose;
  object_class->finalize = td_application_finalize;
  object_class->get_property = td_application_get_property;
  object_class->set_property = td_application_set_property;

  app_class->handle_local_options = td_application_handle_local_options;
  app_class->startup = td_application_startup;
  app_class->activate = td_application_activate;
  app_class->shutdown = td_application_shutdown;

  gtk_app_class->window_removed = td_application_window_removed;

  /* Both construct-only, for benchmarks and tests: an account list already
   * filled (not read from disk) and a token manager without a keyring. */
  properties[PROP_ACCOUNTS] =
    g_param_spec_object ("accounts", NULL, NULL, TD_TYPE_ACCOUNT_LIST,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  properties[PROP_TOKEN_MANAGER] =
    g_param_spec_object ("token-manager", NULL, NULL, TD_TYPE_TOKEN_MANAGER,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  properties[PROP_LOADING] =
    g_param_spec_boolean ("loading", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_LOAD_ERROR] =
    g_param_spec_string ("load-error", NULL, NULL, NULL,
                         G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
td_application_init (TdApplication *self)
{
  /* What the autostart entry runs: tray and notifications, no window
   * until the launcher or a notification asks for one. */
  g_application_add_main_option (G_APPLICATION (self), "background", 0, G_OPTION_FLAG_NONE,
                                 G_OPTION_ARG_NONE, _("Start without a window, as at login"),
                                 NULL);
}

TdAccountList *
td_application_get_accounts (TdApplication *self)
{
  g_return_val_if_fail (TD_IS_APPLICATION (self), NULL);
  return self->accounts;
}

TdTokenManager *
td_application_get_token_manager (TdApplication *self)
{
  g_return_val_if_fail (TD_IS_APPLICATION (self), NULL);
  return self->token_manager;
}

GSettings *
td_application_get_settings (TdApplication *self)
{
  g_return_val_if_fail (TD_IS_APPLICATION (self), NULL);
  return self->settings;
}

TdClipboard *
td_application_get_clipboard (TdApplication *self)
{
  g_return_val_if_fail (TD_IS_APPLICATION (self), NULL);
  return self->clipboard;
}

gboolean
td_application_get_loading (TdApplication *self)
{
  g_return_val_if_fail (TD_IS_APPLICATION (self), FALSE);
  return self->loading;
}

const char *
td_application_get_load_error (TdApplication *self)
{
  g_return_val_if_fail (TD_IS_APPLICATION (self), NULL);
  return self->load_error;
}
