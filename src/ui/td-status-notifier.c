/* td-status-notifier.c: the tray icon, a StatusNotifierItem over GDBus
 *
 * GTK 4 has no tray API. The item follows the KDE/freedesktop
 * StatusNotifierItem protocol: it is an object on our own connection,
 * registered with the watcher under the connection's unique name (no
 * org.kde.StatusNotifierItem-PID-N name: Flathub refuses it and PIDs
 * collide across sandboxes). Its menu is a TdTrayMenu.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "td-status-notifier"

#include "config.h"

#include <glib/gi18n-lib.h>

#include "td-expiry-text.h"
#include "td-status-notifier.h"
#include "td-tray-menu.h"

#define WATCHER_NAME      "org.kde.StatusNotifierWatcher"
#define WATCHER_PATH      "/StatusNotifierWatcher"
#define WATCHER_INTERFACE "org.kde.StatusNotifierWatcher"
#define ITEM_INTERFACE    "org.kde.StatusNotifierItem"

/* A standard name (Icon Naming Specification): every host's theme has it. */
#define ATTENTION_ICON_NAME "dialog-warning"

static const char introspection_xml[] =
  "<node>"
  "  <interface name='org.kde.StatusNotifierItem'>"
  "    <property name='Category' type='s' access='read'/>"
  "    <property name='Id' type='s' access='read'/>"
  "    <property name='Title' type='s' access='read'/>"
  "    <property name='Status' type='s' access='read'/>"
  "    <property name='IconName' type='s' access='read'/>"
  "    <property name='IconPixmap' type='a(iiay)' access='read'/>"
  "    <property name='OverlayIconName' type='s' access='read'/>"
  "    <property name='OverlayIconPixmap' type='a(iiay)' access='read'/>"
  "    <property name='AttentionIconName' type='s' access='read'/>"
  "    <property name='AttentionIconPixmap' type='a(iiay)' access='read'/>"
  "    <property name='AttentionMovieName' type='s' access='read'/>"
  "    <property name='IconThemePath' type='s' access='read'/>"
  "    <property name='ToolTip' type='(sa(iiay)ss)' access='read'/>"
  "    <property name='ItemIsMenu' type='b' access='read'/>"
  "    <property name='Menu' type='o' access='read'/>"
  "    <method name='ContextMenu'>"
  "      <arg type='i' name='x' direction='in'/>"
  "      <arg type='i' name='y' direction='in'/>"
  "    </method>"
  "    <method name='Activate'>"
  "      <arg type='i' name='x' direction='in'/>"
  "      <arg type='i' name='y' direction='in'/>"
  "    </method>"
  "    <method name='SecondaryActivate'>"
  "      <arg type='i' name='x' direction='in'/>"
  "      <arg type='i' name='y' direction='in'/>"
  "    </method>"
  "    <method name='Scroll'>"
  "      <arg type='i' name='delta' direction='in'/>"
  "      <arg type='s' name='orientation' direction='in'/>"
  "    </method>"
  "    <signal name='NewTitle'/>"
  "    <signal name='NewIcon'/>"
  "    <signal name='NewAttentionIcon'/>"
  "    <signal name='NewOverlayIcon'/>"
  "    <signal name='NewToolTip'/>"
  "    <signal name='NewStatus'>"
  "      <arg type='s' name='status'/>"
  "    </signal>"
  "  </interface>"
  "</node>";

struct _TdStatusNotifier
{
  GObject          parent_instance;

  GApplication    *application;  /* weak: it owns us */
  TdAccountList   *accounts;
  TdTrayMenu      *menu;

  GDBusConnection *connection;
  guint            registration_id;
  guint            watch_id;
  guint            host_registered_id;
  GCancellable    *cancellable;

  guint            update_id;
  const char      *status;
  char            *tooltip;
};

G_DEFINE_FINAL_TYPE (TdStatusNotifier, td_status_notifier, G_TYPE_OBJECT)

static GDBusNodeInfo *introspection_data;

static void
emit_signal (TdStatusNotifier *self,
             const char       *name,
             GVariant         *parameters)
{
  g_autoptr(GError) error = NULL;

  if (!g_dbus_connection_emit_signal (self->connection, NULL, TD_STATUS_NOTIFIER_ITEM_PATH,
                                      ITEM_INTERFACE, name, parameters, &error))
    g_debug ("Could not emit %s: %s", name, error->message);
}

static gboolean
needs_attention (TdAccount *account)
{
  TdAccountState state = td_account_get_state (account);

  return state == TD_ACCOUNT_STATE_NEEDS_SIGN_IN || state == TD_ACCOUNT_STATE_ERROR;
}

/* "expires in 12 min", "needs sign-in", …; NULL until the keyring has
 * been read, when the state means nothing yet. */
static char *
describe_state (TdAccount *account,
                gint64     now)
{
  char *expiry;

  if (!td_account_get_secrets_loaded (account))
    return NULL;

  switch (td_account_get_state (account))
    {
    case TD_ACCOUNT_STATE_SIGNED_OUT:
      return g_strdup (_("signed out"));
    case TD_ACCOUNT_STATE_NEEDS_SIGN_IN:
      return g_strdup (_("needs sign-in"));
    case TD_ACCOUNT_STATE_ERROR:
      return g_strdup (_("renewal failed"));
    case TD_ACCOUNT_STATE_SIGNED_IN:
    case TD_ACCOUNT_STATE_EXPIRING:
    case TD_ACCOUNT_STATE_EXPIRED:
    default:
      expiry = td_expiry_text (td_account_get_expires_at (account), now, NULL);
      return expiry ? expiry : g_strdup (_("signed in"));
    }
}

static void
add_account (TdStatusNotifier *self,
             TdAccount        *account,
             gint64            now)
{
  const char *id = td_account_get_id (account);
  g_autofree char *name = td_tray_menu_escape_label (td_account_get_display_name (account));
  g_autofree char *state = describe_state (account, now);
  g_autofree char *label = NULL;
  g_autofree char *key = g_strconcat ("account/", id, NULL);
  g_autofree char *copy_token_key = g_strconcat (key, "/copy-token", NULL);
  g_autofree char *copy_header_key = g_strconcat (key, "/copy-header", NULL);
  g_autofree char *renew_key = g_strconcat (key, "/renew", NULL);
  int submenu;

  /* Translators: an account's name and its state, as in
   * "Insurance API — expires in 12 min" or "Insurance API — needs sign-in" */
  label = state ? g_strdup_printf (_("%s — %s"), name, state) : g_strdup (name);

  submenu = td_tray_menu_add_item (self->menu, TD_TRAY_MENU_ROOT, key, label, NULL, NULL);
  td_tray_menu_add_item (self->menu, submenu, copy_token_key, _("Copy Token"),
                         "copy-token", g_variant_new_string (id));
  td_tray_menu_add_item (self->menu, submenu, copy_header_key, _("Copy Header"),
                         "copy-header", g_variant_new_string (id));
  if (td_account_get_state (account) == TD_ACCOUNT_STATE_NEEDS_SIGN_IN)
    td_tray_menu_add_item (self->menu, submenu, renew_key, _("Sign In…"),
                           "sign-in-account", g_variant_new_string (id));
  else
    td_tray_menu_add_item (self->menu, submenu, renew_key, _("Renew Now"),
                           "renew-account", g_variant_new_string (id));
}

/* "3 accounts · Insurance API expires in 12 min" */
static char *
describe_accounts (TdStatusNotifier *self,
                   gint64            now)
{
  GListModel *model = G_LIST_MODEL (self->accounts);
  guint n = g_list_model_get_n_items (model);
  g_autoptr(TdAccount) soonest = NULL;
  g_autofree char *count = NULL;
  g_autofree char *expiry = NULL;

  if (n == 0)
    return g_strdup (_("No accounts"));

  for (guint i = 0; i < n; i++)
    {
      g_autoptr(TdAccount) account = g_list_model_get_item (model, i);
      gint64 expires_at = td_account_get_expires_at (account);
      TdAccountState state = td_account_get_state (account);

      if ((state == TD_ACCOUNT_STATE_SIGNED_IN || state == TD_ACCOUNT_STATE_EXPIRING) &&
          expires_at > now && expires_at != TD_EXPIRES_NEVER &&
          (soonest == NULL || expires_at < td_account_get_expires_at (soonest)))
        g_set_object (&soonest, account);
    }

  count = g_strdup_printf (ngettext ("%u account", "%u accounts", n), n);
  if (soonest == NULL)
    return g_steal_pointer (&count);

  expiry = td_expiry_text (td_account_get_expires_at (soonest), now, NULL);
  /* Translators: "3 accounts", an account's name, "expires in 12 min" */
  return g_strdup_printf (_("%s · %s %s"), count, td_account_get_display_name (soonest), expiry);
}

static void
update (TdStatusNotifier *self)
{
  GListModel *model = G_LIST_MODEL (self->accounts);
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;
  guint n = g_list_model_get_n_items (model);
  g_autofree char *tooltip = NULL;
  const char *status = "Active";

  g_clear_handle_id (&self->update_id, g_source_remove);

  td_tray_menu_begin (self->menu);
  for (guint i = 0; i < n; i++)
    {
      g_autoptr(TdAccount) account = g_list_model_get_item (model, i);

      add_account (self, account, now);
      if (needs_attention (account))
        status = "NeedsAttention";
    }
  if (n > 0)
    td_tray_menu_add_separator (self->menu, TD_TRAY_MENU_ROOT, "separator");
  td_tray_menu_add_item (self->menu, TD_TRAY_MENU_ROOT, "show-window", _("Open Token Desk"),
                         "show-window", NULL);
  td_tray_menu_add_item (self->menu, TD_TRAY_MENU_ROOT, "quit", _("Quit"), "quit", NULL);
  td_tray_menu_commit (self->menu);

  tooltip = describe_accounts (self, now);
  if (g_strcmp0 (tooltip, self->tooltip) != 0)
    {
      g_free (self->tooltip);
      self->tooltip = g_steal_pointer (&tooltip);
      if (self->registration_id != 0)
        emit_signal (self, "NewToolTip", NULL);
    }

  if (!g_str_equal (status, self->status))
    {
      g_debug ("Status %s", status);
      self->status = status;
      if (self->registration_id != 0)
        {
          emit_signal (self, "NewStatus", g_variant_new ("(s)", status));
          /* For hosts that read the icons again only then (Xfce). */
          emit_signal (self, "NewAttentionIcon", NULL);
        }
    }
}

static gboolean
update_cb (gpointer user_data)
{
  TdStatusNotifier *self = user_data;

  self->update_id = 0;
  update (self);

  return G_SOURCE_REMOVE;
}

/* Many changes at once (the list read, every account renewed) make one
 * update. */
static void
queue_update (TdStatusNotifier *self)
{
  if (self->update_id == 0)
    self->update_id = g_idle_add (update_cb, self);
}

static void
account_notify_cb (TdStatusNotifier *self,
                   GParamSpec       *pspec,
                   TdAccount        *account)
{
  queue_update (self);
}

static void
accounts_changed_cb (TdStatusNotifier *self,
                     guint             position,
                     guint             removed,
                     guint             added,
                     GListModel       *model)
{
  for (guint i = position; i < position + added; i++)
    {
      g_autoptr(TdAccount) account = g_list_model_get_item (model, i);

      /* Accounts come back after an undo: connect once. */
      if (g_signal_handler_find (account, G_SIGNAL_MATCH_FUNC | G_SIGNAL_MATCH_DATA,
                                 0, 0, NULL, account_notify_cb, self) == 0)
        g_signal_connect_object (account, "notify", G_CALLBACK (account_notify_cb), self,
                                 G_CONNECT_SWAPPED);
    }

  queue_update (self);
}

static void
menu_about_to_show_cb (TdStatusNotifier *self,
                       TdTrayMenu       *menu)
{
  /* "expires in 12 min" has gone stale since: refresh it now rather than
   * on a timer. */
  update (self);
}

/* The watcher ------------------------------------------------------------ */

static void
registered_cb (GObject      *object,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr(GVariant) reply = NULL;
  g_autoptr(GError) error = NULL;

  reply = g_dbus_connection_call_finish (G_DBUS_CONNECTION (object), result, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;

  /* Not ours to fix: a watcher that went away again, or a broken one. */
  if (error != NULL)
    g_debug ("The watcher refused the item: %s", error->message);
  else
    g_debug ("Registered with the watcher");
}

static void
register_item (TdStatusNotifier *self)
{
  g_dbus_connection_call (self->connection, WATCHER_NAME, WATCHER_PATH, WATCHER_INTERFACE,
                          "RegisterStatusNotifierItem",
                          g_variant_new ("(s)", g_dbus_connection_get_unique_name (self->connection)),
                          NULL, G_DBUS_CALL_FLAGS_NO_AUTO_START, -1, self->cancellable,
                          registered_cb, NULL);
}

static void
watcher_appeared_cb (GDBusConnection *connection,
                     const char      *name,
                     const char      *name_owner,
                     gpointer         user_data)
{
  TdStatusNotifier *self = user_data;

  g_debug ("A watcher appeared: %s", name_owner);
  register_item (self);
}

static void
watcher_vanished_cb (GDBusConnection *connection,
                     const char      *name,
                     gpointer         user_data)
{
  /* Nothing to do: no tray until a watcher comes (GNOME Shell has none). */
  g_debug ("No watcher");
}

static void
host_registered_cb (GDBusConnection *connection,
                    const char      *sender_name,
                    const char      *object_path,
                    const char      *interface_name,
                    const char      *signal_name,
                    GVariant        *parameters,
                    gpointer         user_data)
{
  TdStatusNotifier *self = user_data;

  /* A watcher may forget items that registered before any host did. */
  g_debug ("A host registered");
  register_item (self);
}

/* The item on D-Bus ------------------------------------------------------ */

static void
method_call_cb (GDBusConnection       *connection,
                const char            *sender,
                const char            *object_path,
                const char            *interface_name,
                const char            *method_name,
                GVariant              *parameters,
                GDBusMethodInvocation *invocation,
                gpointer               user_data)
{
  TdStatusNotifier *self = user_data;

  g_dbus_method_invocation_return_value (invocation, NULL);

  /* Activate is a left click, SecondaryActivate a middle one: both show
   * the window. The host shows the menu itself (ContextMenu), and
   * scrolling means nothing here. */
  if ((g_str_equal (method_name, "Activate") || g_str_equal (method_name, "SecondaryActivate")) &&
      self->application != NULL)
    g_action_group_activate_action (G_ACTION_GROUP (self->application), "show-window", NULL);
}

static GVariant *
no_pixmaps (void)
{
  return g_variant_new_array (G_VARIANT_TYPE ("(iiay)"), NULL, 0);
}

static GVariant *
get_property_cb (GDBusConnection  *connection,
                 const char       *sender,
                 const char       *object_path,
                 const char       *interface_name,
                 const char       *property_name,
                 GError          **error,
                 gpointer          user_data)
{
  TdStatusNotifier *self = user_data;
  const char *theme_path;

  if (g_str_equal (property_name, "Category"))
    return g_variant_new_string ("ApplicationStatus");
  if (g_str_equal (property_name, "Id"))
    return g_variant_new_string (self->application ?
                                 g_application_get_application_id (self->application) :
                                 APPLICATION_ID);
  if (g_str_equal (property_name, "Title"))
    return g_variant_new_string (_("Token Desk"));
  if (g_str_equal (property_name, "Status"))
    return g_variant_new_string (self->status);
  if (g_str_equal (property_name, "IconName"))
    return g_variant_new_string (APPLICATION_ID);
  /* Only while it needs attention: Xfce shows an attention icon whenever
   * there is one, whatever the status. */
  if (g_str_equal (property_name, "AttentionIconName"))
    return g_variant_new_string (g_str_equal (self->status, "NeedsAttention") ?
                                 ATTENTION_ICON_NAME : "");
  if (g_str_equal (property_name, "OverlayIconName") ||
      g_str_equal (property_name, "AttentionMovieName"))
    return g_variant_new_string ("");
  if (g_str_has_suffix (property_name, "Pixmap"))
    return no_pixmaps ();
  if (g_str_equal (property_name, "IconThemePath"))
    {
      /* An uninstalled build points at its data/icons; installed, the
       * icon is in the host's own search path. */
      theme_path = g_getenv ("TD_ICON_THEME_PATH");
      return g_variant_new_string (theme_path ? theme_path : "");
    }
  if (g_str_equal (property_name, "ToolTip"))
    return g_variant_new ("(s@a(iiay)ss)", APPLICATION_ID, no_pixmaps (), _("Token Desk"),
                          self->tooltip);
  if (g_str_equal (property_name, "ItemIsMenu"))
    return g_variant_new_boolean (FALSE);
  if (g_str_equal (property_name, "Menu"))
    return g_variant_new_object_path (TD_STATUS_NOTIFIER_MENU_PATH);

  g_set_error (error, G_DBUS_ERROR, G_DBUS_ERROR_UNKNOWN_PROPERTY,
               "No property %s", property_name);
  return NULL;
}

static const GDBusInterfaceVTable vtable = {
  method_call_cb,
  get_property_cb,
  NULL,
};

static void
export (TdStatusNotifier *self)
{
  g_autoptr(GError) error = NULL;

  self->registration_id =
    g_dbus_connection_register_object (self->connection, TD_STATUS_NOTIFIER_ITEM_PATH,
                                       introspection_data->interfaces[0],
                                       &vtable, self, NULL, &error);
  if (self->registration_id == 0 ||
      !td_tray_menu_export (self->menu, self->connection, TD_STATUS_NOTIFIER_MENU_PATH, &error))
    {
      g_warning ("Could not export the tray icon: %s", error->message);
      return;
    }

  self->host_registered_id =
    g_dbus_connection_signal_subscribe (self->connection, WATCHER_NAME, WATCHER_INTERFACE,
                                        "StatusNotifierHostRegistered", WATCHER_PATH, NULL,
                                        G_DBUS_SIGNAL_FLAGS_NONE, host_registered_cb, self,
                                        NULL);
  self->watch_id = g_bus_watch_name_on_connection (self->connection, WATCHER_NAME,
                                                   G_BUS_NAME_WATCHER_FLAGS_NONE,
                                                   watcher_appeared_cb, watcher_vanished_cb,
                                                   self, NULL);
}

/* GObject ---------------------------------------------------------------- */

static void
td_status_notifier_dispose (GObject *object)
{
  TdStatusNotifier *self = (TdStatusNotifier *)object;

  g_cancellable_cancel (self->cancellable);
  g_clear_handle_id (&self->update_id, g_source_remove);
  g_clear_handle_id (&self->watch_id, g_bus_unwatch_name);
  if (self->host_registered_id != 0)
    g_dbus_connection_signal_unsubscribe (self->connection, self->host_registered_id);
  self->host_registered_id = 0;
  if (self->registration_id != 0)
    g_dbus_connection_unregister_object (self->connection, self->registration_id);
  self->registration_id = 0;
  if (self->menu != NULL)
    td_tray_menu_unexport (self->menu);

  if (self->accounts != NULL)
    {
      GListModel *model = G_LIST_MODEL (self->accounts);

      for (guint i = 0; i < g_list_model_get_n_items (model); i++)
        {
          g_autoptr(TdAccount) account = g_list_model_get_item (model, i);

          g_signal_handlers_disconnect_by_func (account, account_notify_cb, self);
        }
      g_signal_handlers_disconnect_by_func (self->accounts, accounts_changed_cb, self);
    }

  if (self->application != NULL)
    g_object_remove_weak_pointer (G_OBJECT (self->application),
                                  (gpointer *) &self->application);
  self->application = NULL;

  g_clear_object (&self->menu);
  g_clear_object (&self->accounts);
  g_clear_object (&self->connection);
  g_clear_object (&self->cancellable);

  G_OBJECT_CLASS (td_status_notifier_parent_class)->dispose (object);
}

static void
td_status_notifier_finalize (GObject *object)
{
  TdStatusNotifier *self = (TdStatusNotifier *)object;

  g_free (self->tooltip);

  G_OBJECT_CLASS (td_status_notifier_parent_class)->finalize (object);
}

static void
td_status_notifier_class_init (TdStatusNotifierClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = td_status_notifier_dispose;
  object_class->finalize = td_status_notifier_finalize;

  introspection_data = g_dbus_node_info_new_for_xml (introspection_xml, NULL);
  g_assert (introspection_data != NULL);
}

static void
td_status_notifier_init (TdStatusNotifier *self)
{
  self->cancellable = g_cancellable_new ();
  self->status = "Active";
}

/* Public API ------------------------------------------------------------- */

TdStatusNotifier *
td_status_notifier_new (GApplication  *application,
                        TdAccountList *accounts)
{
  TdStatusNotifier *self;
  GDBusConnection *connection;

  g_return_val_if_fail (G_IS_APPLICATION (application), NULL);
  g_return_val_if_fail (TD_IS_ACCOUNT_LIST (accounts), NULL);

  self = g_object_new (TD_TYPE_STATUS_NOTIFIER, NULL);
  self->application = application;
  g_object_add_weak_pointer (G_OBJECT (application), (gpointer *) &self->application);
  self->accounts = g_object_ref (accounts);
  self->menu = td_tray_menu_new (G_ACTION_GROUP (application));
  g_signal_connect_object (self->menu, "about-to-show",
                           G_CALLBACK (menu_about_to_show_cb), self, G_CONNECT_SWAPPED);

  g_signal_connect_object (accounts, "items-changed",
                           G_CALLBACK (accounts_changed_cb), self, G_CONNECT_SWAPPED);
  accounts_changed_cb (self, 0, 0, g_list_model_get_n_items (G_LIST_MODEL (accounts)),
                       G_LIST_MODEL (accounts));
  /* Ready before any host asks. */
  update (self);

  connection = g_application_get_dbus_connection (application);
  if (connection == NULL)
    {
      g_debug ("Not on a bus: no tray icon");
      return self;
    }

  self->connection = g_object_ref (connection);
  export (self);

  return self;
}
