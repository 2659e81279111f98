/* td-application.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "td-application"

#include "config.h"

#include <glib/gi18n-lib.h>
#include <gtk/gtk.h>
#ifdef GDK_WINDOWING_WAYLAND
# include <gdk/wayland/gdkwayland.h>
#endif

#include "td-application.h"
#include "td-autostart.h"
#include "td-dbus-service.h"
#include "td-error.h"
#include "td-expiry-notifier.h"
#include "td-expiry-scheduler.h"
#include "td-preferences-window.h"
#include "td-status-notifier.h"
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
  TdExpiryNotifier *expiry_notifier;
  TdStatusNotifier *status_notifier;
  TdDbusService  *dbus_service;
  GCancellable   *cancellable;
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

static void
accounts_changed_cb (TdApplication *self,
                     guint          position,
                     guint          removed,
                     guint          added,
                     GListModel    *model)
{
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
  if (self->dbus_service != NULL)
    td_dbus_service_set_loading (self->dbus_service, FALSE);

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
  /* Started by D-Bus, it would wait out the inactivity timeout first. */
  g_application_set_inactivity_timeout (G_APPLICATION (self), 0);
  release_from_background (self);

  windows = g_list_copy (gtk_application_get_windows (GTK_APPLICATION (self)));
  for (GList *l = windows; l; l = l->next)
    gtk_window_close (l->data);

  /* No window to finish anything: nothing but that timeout holds us. */
  if (windows == NULL)
    g_application_quit (G_APPLICATION (self));
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
  const char *developers[] = { _("The Token Desk developers"), NULL };
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

/* From the tray and notifications ---------------------------------------- */

static TdAccount *
find_account (TdApplication *self,
              GVariant      *parameter)
{
  const char *id = g_variant_get_string (parameter, NULL);
  TdAccount *account = td_account_list_find_by_id (self->accounts, id);

  /* Removed since the menu or the notification was made. */
  if (account == NULL)
    g_debug ("No account %s", id);

  return account;
}

static void
show_window_action (GSimpleAction *action,
                    GVariant      *parameter,
                    gpointer       user_data)
{
  ensure_window (TD_APPLICATION (user_data));
}

static void
show_account_action (GSimpleAction *action,
                     GVariant      *parameter,
                     gpointer       user_data)
{
  TdApplication *self = user_data;

  if (find_account (self, parameter) != NULL)
    gtk_widget_activate_action_variant (GTK_WIDGET (ensure_window (self)),
                                        "win.show-account", parameter);
}

/* Typing a password needs the window, and its sign-in prompt. */
static void
sign_in_account_action (GSimpleAction *action,
                        GVariant      *parameter,
                        gpointer       user_data)
{
  TdApplication *self = user_data;
  TdWindow *window;

  if (find_account (self, parameter) == NULL)
    return;

  window = ensure_window (self);
  gtk_widget_activate_action_variant (GTK_WIDGET (window), "win.show-account", parameter);
  gtk_widget_activate_action_variant (GTK_WIDGET (window), "win.sign-in-account", parameter);
}

typedef struct
{
  TdApplication *self;
  TdAccount     *account;
  TdCopyFormat   format;
} AccountRequest;

static AccountRequest *
account_request_new (TdApplication *self,
                     TdAccount     *account,
                     TdCopyFormat   format)
{
  AccountRequest *request = g_new0 (AccountRequest, 1);

  request->self = g_object_ref (self);
  request->account = g_object_ref (account);
  request->format = format;

  return request;
}

static void
account_request_free (AccountRequest *request)
{
  g_clear_object (&request->self);
  g_clear_object (&request->account);
  g_free (request);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (AccountRequest, account_request_free)

static void
renewed_cb (GObject      *object,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr(AccountRequest) request = user_data;
  g_autoptr(GVariant) id = NULL;
  g_autoptr(GError) error = NULL;

  /* A failure shows on the account, and the expiry notifier tells it;
   * only a password to type needs the window. */
  if (td_token_manager_renew_finish (TD_TOKEN_MANAGER (object), result, &error) ||
      !g_error_matches (error, TD_ERROR, TD_ERROR_NEEDS_SIGN_IN))
    return;

  id = g_variant_ref_sink (g_variant_new_string (td_account_get_id (request->account)));
  g_action_group_activate_action (G_ACTION_GROUP (request->self), "sign-in-account", id);
}

static void
renew (TdApplication *self,
       TdAccount     *account)
{
  td_token_manager_renew_async (self->token_manager, account, self->cancellable, renewed_cb,
                                account_request_new (self, account, TD_COPY_TOKEN));
}

static void
renew_account_action (GSimpleAction *action,
                      GVariant      *parameter,
                      gpointer       user_data)
{
  TdApplication *self = user_data;
  TdAccount *account = find_account (self, parameter);

  if (account != NULL)
    renew (self, account);
}

/* "Renew All" of a notification about several accounts: their ids,
 * separated by commas. */
static void
renew_accounts_action (GSimpleAction *action,
                       GVariant      *parameter,
                       gpointer       user_data)
{
  TdApplication *self = user_data;
  g_auto(GStrv) ids = g_strsplit (g_variant_get_string (parameter, NULL), ",", -1);

  for (guint i = 0; ids[i] != NULL; i++)
    {
      TdAccount *account = td_account_list_find_by_id (self->accounts, ids[i]);

      if (account != NULL)
        renew (self, account);
    }
}

static void
copied_cb (GObject      *object,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(AccountRequest) request = user_data;
  g_autoptr(GVariant) id = NULL;
  g_autoptr(GError) error = NULL;
  TdWindow *window;

  if (td_clipboard_copy_account_finish (TD_CLIPBOARD (object), result, &error) ||
      g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;

  /* Whatever went wrong, the window says it best: the account's row shows
   * the vendor's words, and a password can be typed there. */
  g_debug ("Could not copy a token of account %s: %s",
           td_account_get_id (request->account), error->message);
  id = g_variant_ref_sink (g_variant_new_string (td_account_get_id (request->account)));
  window = ensure_window (request->self);
  gtk_widget_activate_action_variant (GTK_WIDGET (window), "win.show-account", id);
  if (g_error_matches (error, TD_ERROR, TD_ERROR_NEEDS_SIGN_IN))
    gtk_widget_activate_action_variant (GTK_WIDGET (window), "win.copy-account-as",
                                        g_variant_new ("(ss)",
                                                       td_account_get_id (request->account),
                                                       request->format == TD_COPY_HEADER
                                                       ? "header" : "token"));
}

/* Wayland gives the clipboard only to the application with the keyboard
 * focus: the window comes up first, with the account, and copies once it
 * has it. */
static gboolean
needs_focus_to_copy (TdApplication *self)
{
#ifdef GDK_WINDOWING_WAYLAND
  GtkWindow *window = gtk_application_get_active_window (GTK_APPLICATION (self));

  if (GDK_IS_WAYLAND_DISPLAY (gdk_display_get_default ()))
    return window == NULL || !gtk_window_is_active (window);
#endif

  return FALSE;
}

static void
copy_when_active_cb (GtkWindow  *window,
                     GParamSpec *pspec,
                     GVariant   *target)
{
  g_autoptr(GVariant) copy = NULL;

  if (!gtk_window_is_active (window))
    return;

  /* Disconnecting drops the handler's reference. */
  copy = g_variant_ref (target);
  g_signal_handlers_disconnect_by_func (window, copy_when_active_cb, target);
  gtk_widget_activate_action_variant (GTK_WIDGET (window), "win.copy-account-as", copy);
}

static void
copy_account (TdApplication *self,
              GVariant      *parameter,
              TdCopyFormat   format)
{
  TdAccount *account = find_account (self, parameter);

  if (account == NULL)
    return;

  if (needs_focus_to_copy (self))
    {
      TdWindow *window = ensure_window (self);
      GVariant *target = g_variant_ref_sink (g_variant_new ("(ss)", td_account_get_id (account),
                                                            format == TD_COPY_HEADER
                                                            ? "header" : "token"));

      gtk_widget_activate_action_variant (GTK_WIDGET (window), "win.show-account", parameter);
      g_signal_connect_data (window, "notify::is-active", G_CALLBACK (copy_when_active_cb),
                             target, (GClosureNotify) (void (*) (void)) g_variant_unref, 0);
      copy_when_active_cb (GTK_WINDOW (window), NULL, target);
      return;
    }

  td_clipboard_copy_account_async (self->clipboard, self->token_manager, account, format,
                                   g_settings_get_uint (self->settings, "min-validity"),
                                   g_settings_get_uint (self->settings, "clipboard-timeout"),
                                   self->cancellable, copied_cb,
                                   account_request_new (self, account, format));
}

static void
copy_token_action (GSimpleAction *action,
                   GVariant      *parameter,
                   gpointer       user_data)
{
  copy_account (TD_APPLICATION (user_data), parameter, TD_COPY_TOKEN);
}

static void
copy_header_action (GSimpleAction *action,
                    GVariant      *parameter,
                    gpointer       user_data)
{
  copy_account (TD_APPLICATION (user_data), parameter, TD_COPY_HEADER);
}

static const GActionEntry app_actions[] = {
  { "quit", quit_action },
  { "preferences", preferences_action },
  { "about", about_action },
  { "show-window", show_window_action },
  { "show-account", show_account_action, "s" },
  { "copy-token", copy_token_action, "s" },
  { "copy-header", copy_header_action, "s" },
  { "renew-account", renew_account_action, "s" },
  { "renew-accounts", renew_accounts_action, "s" },
  { "sign-in-account", sign_in_account_action, "s" },
};

/* GApplication ----------------------------------------------------------- */

/* The services behind the window, the tray and D-Bus: made by whichever
 * comes first, dbus_register or startup. */
static void
ensure_services (TdApplication *self)
{
  if (self->settings == NULL)
    self->settings = g_settings_new (APPLICATION_ID);

  if (self->token_manager == NULL)
    {
      g_autoptr(TdTokenStore) store = td_token_store_new ();

      self->token_manager = td_token_manager_new (store);
    }

  if (self->accounts == NULL)
    {
      self->accounts = td_account_list_new ();
      self->loading = TRUE;
    }
}

/* Before the bus name is requested: a call that D-Bus-activated us must
 * find the interface. */
static gboolean
td_application_dbus_register (GApplication     *application,
                              GDBusConnection  *connection,
                              const char       *object_path,
                              GError          **error)
{
  TdApplication *self = TD_APPLICATION (application);

  if (!G_APPLICATION_CLASS (td_application_parent_class)->dbus_register (application, connection,
                                                                         object_path, error))
    return FALSE;

  ensure_services (self);
  g_clear_object (&self->dbus_service);
  self->dbus_service = td_dbus_service_new (application, self->accounts, self->token_manager,
                                            self->settings);
  td_dbus_service_set_loading (self->dbus_service, self->loading);

  return td_dbus_service_export (self->dbus_service, connection, error);
}

static void
td_application_dbus_unregister (GApplication    *application,
                                GDBusConnection *connection,
                                const char      *object_path)
{
  TdApplication *self = TD_APPLICATION (application);

  if (self->dbus_service != NULL)
    td_dbus_service_unexport (self->dbus_service);

  G_APPLICATION_CLASS (td_application_parent_class)->dbus_unregister (application, connection,
                                                                      object_path);
}

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

/* The focused window shows the account: no notification for it. */
static gboolean
account_in_view (TdAccount *account,
                 gpointer   user_data)
{
  GtkWindow *window = gtk_application_get_active_window (GTK_APPLICATION (user_data));

  return TD_IS_WINDOW (window) && td_window_shows_account (TD_WINDOW (window), account);
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

  ensure_services (self);
  /* D-Bus-activated for a script (--gapplication-service): its next calls
   * find us still running, with the tokens read, instead of starting us
   * again each time. */
  if (g_application_get_flags (application) & G_APPLICATION_IS_SERVICE)
    g_application_set_inactivity_timeout (application, 30 * 1000);
  /* Expiry passed while suspended is acted on at resume (logind). */
  td_expiry_scheduler_watch_sleep (td_expiry_scheduler_get_default ());
  self->autostart = td_autostart_new (self->settings);

  display = gdk_display_get_default ();
  self->clipboard = td_clipboard_new (gdk_display_get_clipboard (display));

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

  g_signal_connect_object (self->accounts, "items-changed",
                           G_CALLBACK (accounts_changed_cb), self, G_CONNECT_SWAPPED);
  accounts_changed_cb (self, 0, 0, g_list_model_get_n_items (G_LIST_MODEL (self->accounts)),
                       G_LIST_MODEL (self->accounts));

  self->expiry_notifier = td_expiry_notifier_new (G_APPLICATION (self), self->accounts,
                                                  self->token_manager, self->settings);
  td_expiry_notifier_set_in_view_func (self->expiry_notifier, account_in_view, self);

  /* Quiet and harmless where nothing shows a tray. */
  self->status_notifier = td_status_notifier_new (application, self->accounts);

  if (self->loading)
    td_account_list_load_async (self->accounts, NULL, accounts_loaded_cb, g_object_ref (self));
}

static void
td_application_shutdown (GApplication *application)
{
  TdApplication *self = TD_APPLICATION (application);

  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->expiry_notifier);
  g_clear_object (&self->status_notifier);

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

  g_clear_object (&self->expiry_notifier);
  g_clear_object (&self->status_notifier);
  g_clear_object (&self->dbus_service);
  g_clear_object (&self->clipboard);
  g_clear_object (&self->cancellable);
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
  app_class->dbus_register = td_application_dbus_register;
  app_class->dbus_unregister = td_application_dbus_unregister;

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
  self->cancellable = g_cancellable_new ();
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
