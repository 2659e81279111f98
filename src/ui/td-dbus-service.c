/* td-dbus-service.c: io.github.tokendesk.TokenDesk1, tokens for other
 * programs over D-Bus
 *
 * The interface is described in data/io.github.tokendesk.TokenDesk1.xml,
 * which the GResource carries. Every method answers asynchronously, after
 * the token manager; nothing here blocks the main loop.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "td-dbus-service"

#include "config.h"

#include <adwaita.h>
#include <glib/gi18n-lib.h>

#include "td-dbus-service.h"
#include "td-error.h"
#include "td-provider.h"

#define INTROSPECTION_RESOURCE "/io/github/tokendesk/TokenDesk/io.github.tokendesk.TokenDesk1.xml"

struct _TdDbusService
{
  GObject          parent_instance;

  GApplication    *application;  /* weak: it owns us */
  TdAccountList   *accounts;
  TdTokenManager  *token_manager;
  GSettings       *settings;
  GCancellable    *cancellable;

  GDBusConnection *connection;
  guint            registration_id;

  gboolean         loading;
  GPtrArray       *waiting;       /* Request, until the account list is read */

  GHashTable      *watched;       /* account id → TdAccount */
  GHashTable      *changed;       /* account ids whose change is not yet sent */
  GPtrArray       *removed;       /* names of accounts removed since */
  guint            changed_id;

  GHashTable      *allowed;       /* programs the user allowed, this session */
  GHashTable      *asking;        /* program → GPtrArray of Request, a dialog up */
};

G_DEFINE_FINAL_TYPE (TdDbusService, td_dbus_service, G_TYPE_OBJECT)

static GDBusNodeInfo *introspection_data;

typedef enum
{
  METHOD_LIST_ACCOUNTS,
  METHOD_GET_TOKEN,
  METHOD_RENEW,
} Method;

typedef struct
{
  TdDbusService         *self;
  GApplication          *application;  /* held while the request runs */
  GDBusMethodInvocation *invocation;
  Method                 method;
  char                  *name;
  guint                  min_valid;
  TdAccount             *account;
  char                  *program;      /* who asks: a process name, or its bus name */
  guint                  loads;        /* ListAccounts: keyring reads left */
} Request;

static void dispatch (Request *request);

/* Errors ------------------------------------------------------------------ */

/* "needs-sign-in" → "io.github.tokendesk.TokenDesk.Error.NeedsSignIn" */
static char *
dbus_error_name (const char *code)
{
  g_auto(GStrv) words = g_strsplit (code, "-", -1);
  GString *name = g_string_new (TD_DBUS_ERROR_PREFIX ".");

  for (guint i = 0; words[i] != NULL; i++)
    if (words[i][0] != '\0')
      {
        g_string_append_c (name, g_ascii_toupper (words[i][0]));
        g_string_append (name, words[i] + 1);
      }

  return g_string_free (name, FALSE);
}

/* Every code of TD_ERROR, those added later too: td_error_code_to_string ()
 * names them all and says "unknown" past the last. */
static void
register_errors (void)
{
  static gsize registered = 0;

  if (g_once_init_enter (&registered))
    {
      for (int code = 0; ; code++)
        {
          const char *nick = td_error_code_to_string (code);
          g_autofree char *name = NULL;

          if (g_str_equal (nick, "unknown"))
            break;
          name = dbus_error_name (nick);
          g_dbus_error_register_error (TD_ERROR, code, name);
        }
      g_once_init_leave (&registered, 1);
    }
}

/* Requests ---------------------------------------------------------------- */

/* Takes the invocation's reference. */
static Request *
request_new (TdDbusService         *self,
             GDBusMethodInvocation *invocation,
             Method                 method)
{
  Request *request = g_new0 (Request, 1);

  request->self = g_object_ref (self);
  request->application = g_object_ref (self->application);
  request->invocation = invocation;  /* ours to answer */
  request->method = method;

  /* Activated for this call (--gapplication-service): stay until it is
   * answered. */
  g_application_hold (request->application);

  return request;
}

static void
request_free (Request *request)
{
  g_application_release (request->application);
  g_clear_object (&request->application);
  g_clear_object (&request->self);
  g_clear_object (&request->invocation);
  g_clear_object (&request->account);
  g_free (request->name);
  g_free (request->program);
  g_free (request);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Request, request_free)

static void
return_error (Request *request,
              GError  *error)
{
  g_debug ("%s failed: %s", g_dbus_method_invocation_get_method_name (request->invocation),
           error->message);
  /* The invocation reference is consumed. */
  g_dbus_method_invocation_return_gerror (g_steal_pointer (&request->invocation), error);
}

static void
return_dbus_error (Request    *request,
                   const char *code,
                   const char *message)
{
  g_autofree char *name = g_strconcat (TD_DBUS_ERROR_PREFIX ".", code, NULL);

  g_debug ("%s failed: %s", g_dbus_method_invocation_get_method_name (request->invocation),
           name);
  g_dbus_method_invocation_return_dbus_error (g_steal_pointer (&request->invocation),
                                              name, message);
}

/* ListAccounts --------------------------------------------------------------- */

static gint64
expires_at_for_bus (TdAccount *account)
{
  gint64 expires_at = td_account_get_expires_at (account);

  return expires_at == TD_EXPIRES_NEVER || expires_at < 0 ? 0 : expires_at;
}

static GVariant *
describe_account (TdAccount *account)
{
  GVariantDict dict;
  gint64 expires_at = expires_at_for_bus (account);
  g_autofree char *iso = NULL;

  if (expires_at > 0)
    {
      g_autoptr(GDateTime) date_time = g_date_time_new_from_unix_utc (expires_at);

      iso = g_date_time_format (date_time, "%Y-%m-%dT%H:%M:%SZ");
    }

  g_variant_dict_init (&dict, NULL);
  g_variant_dict_insert (&dict, "name", "s", td_account_get_display_name (account));
  g_variant_dict_insert (&dict, "id", "s", td_account_get_id (account));
  g_variant_dict_insert (&dict, "vendor", "s", td_account_get_vendor (account));
  g_variant_dict_insert (&dict, "username", "s",
                         td_account_get_username (account) ? td_account_get_username (account)
                                                           : "");
  g_variant_dict_insert (&dict, "state", "s",
                         td_account_state_to_string (td_account_get_state (account)));
  g_variant_dict_insert (&dict, "expires-at", "x", expires_at);
  g_variant_dict_insert (&dict, "expires-at-iso", "s", iso ? iso : "");

  return g_variant_dict_end (&dict);
}

static void
return_accounts (Request *request)
{
  GListModel *model = G_LIST_MODEL (request->self->accounts);
  GVariantBuilder builder;

  g_variant_builder_init (&builder, G_VARIANT_TYPE ("aa{sv}"));
  for (guint i = 0; i < g_list_model_get_n_items (model); i++)
    {
      g_autoptr(TdAccount) account = g_list_model_get_item (model, i);

      g_variant_builder_add_value (&builder, describe_account (account));
    }

  g_dbus_method_invocation_return_value (g_steal_pointer (&request->invocation),
                                         g_variant_new ("(aa{sv})", &builder));
}

static void
listed_account_loaded_cb (GObject      *object,
                          GAsyncResult *result,
                          gpointer      user_data)
{
  Request *request = user_data;

  /* A failure is the account's state, which the answer shows. */
  td_token_manager_load_finish (TD_TOKEN_MANAGER (object), result, NULL);

  if (--request->loads == 0)
    {
      return_accounts (request);
      request_free (request);
    }
}

/* The states mean something once the keyring has been read: read it
 * first for the accounts the app has not come to yet (just activated). */
static void
list_accounts (Request *request)
{
  TdDbusService *self = request->self;
  GListModel *model = G_LIST_MODEL (self->accounts);
  guint n = g_list_model_get_n_items (model);

  request->loads = 1;
  for (guint i = 0; i < n; i++)
    {
      g_autoptr(TdAccount) account = g_list_model_get_item (model, i);

      if (td_account_get_secrets_loaded (account))
        continue;
      request->loads++;
      td_token_manager_load_async (self->token_manager, account, self->cancellable,
                                   listed_account_loaded_cb, request);
    }

  if (--request->loads == 0)
    {
      return_accounts (request);
      request_free (request);
    }
}

/* Renew ----------------------------------------------------------------------- */

static void
renewed_cb (GObject      *object,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr(Request) request = user_data;
  g_autoptr(GError) error = NULL;

  if (!td_token_manager_renew_finish (TD_TOKEN_MANAGER (object), result, &error))
    return_error (request, g_steal_pointer (&error));
  else
    g_dbus_method_invocation_return_value (g_steal_pointer (&request->invocation), NULL);
}

/* GetToken -------------------------------------------------------------------- */

static void
got_token_cb (GObject      *object,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(Request) request = user_data;
  g_autoptr(GError) error = NULL;
  g_auto(TdSecret) token = NULL;
  g_auto(TdSecret) header = NULL;
  TdProvider *provider;

  token = td_token_manager_get_token_finish (TD_TOKEN_MANAGER (object), result, &error);
  if (token == NULL)
    {
      return_error (request, g_steal_pointer (&error));
      return;
    }

  /* The token manager found it for this vendor already. */
  provider = td_provider_get_for_vendor (td_account_get_vendor (request->account));
  header = td_provider_format_header (provider, token);

  /* Account ids and program names only: never the token. */
  g_debug ("Handing out a token of account %s to %s", td_account_get_id (request->account),
           request->program);
  td_account_set_handed_out (request->account, g_get_real_time () / G_USEC_PER_SEC,
                             request->program);
  g_dbus_method_invocation_return_value (g_steal_pointer (&request->invocation),
                                         g_variant_new ("(sxs)", token,
                                                        expires_at_for_bus (request->account),
                                                        header));
}

static void
token_loaded_cb (GObject      *object,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  Request *request = user_data;
  TdDbusService *self = request->self;
  g_autoptr(GError) error = NULL;

  /* As the clipboard does: a failure shows on the account, and a token in
   * memory may still do. */
  if (!td_token_manager_load_finish (TD_TOKEN_MANAGER (object), result, &error))
    g_debug ("Handing out without re-reading the keyring: %s", error->message);

  td_token_manager_get_token_async (self->token_manager, request->account, request->min_valid,
                                    self->cancellable, got_token_cb, request);
}

/* The keyring first: `tokendesk token` or another program may have renewed
 * the token since the app read it, which kills ours at Cover Whale. */
static void
hand_out (Request *request)
{
  td_token_manager_load_async (request->self->token_manager, request->account,
                               request->self->cancellable, token_loaded_cb, request);
}

static void
confirmation_response_cb (AdwMessageDialog *dialog,
                          const char       *response,
                          TdDbusService    *self)
{
  const char *program = g_object_get_data (G_OBJECT (dialog), "td-program");
  gboolean allow = g_strcmp0 (response, "allow") == 0;
  g_autoptr(GPtrArray) requests = NULL;
  g_autofree char *asking_key = NULL;

  /* Stolen, the key is ours to free as well. */
  if (!g_hash_table_steal_extended (self->asking, program, (gpointer *) &asking_key,
                                    (gpointer *) &requests))
    return;

  /* Each request is freed below, or when it is answered. */
  g_ptr_array_set_free_func (requests, NULL);
  g_debug ("The user %s %s the tokens", allow ? "allowed" : "refused", program);
  if (allow)
    g_hash_table_add (self->allowed, g_strdup (program));

  for (guint i = 0; i < requests->len; i++)
    {
      Request *request = g_ptr_array_index (requests, i);
      g_autofree char *message = NULL;

      if (allow)
        {
          hand_out (request);
          continue;
        }

      message = g_strdup_printf (_("You did not allow “%s” to get the token of “%s”."),
                                 request->program, td_account_get_display_name (request->account));
      /* Not the vendor's AccessDenied: the user said no. */
      return_dbus_error (request, "NotAllowed", message);
      request_free (request);
    }
}

/* "Allow “curl” to get the token of “Work”?", once per program and
 * session; requests of the same program meanwhile wait for the answer. */
static void
confirm (Request *request)
{
  TdDbusService *self = request->self;
  GPtrArray *requests = g_hash_table_lookup (self->asking, request->program);
  GtkWindow *parent = NULL;
  AdwMessageDialog *dialog;

  if (requests != NULL)
    {
      g_ptr_array_add (requests, request);
      return;
    }

  requests = g_ptr_array_new_with_free_func ((GDestroyNotify) request_free);
  g_ptr_array_add (requests, request);
  g_hash_table_insert (self->asking, g_strdup (request->program), requests);

  if (GTK_IS_APPLICATION (self->application))
    parent = gtk_application_get_active_window (GTK_APPLICATION (self->application));

  dialog = ADW_MESSAGE_DIALOG (adw_message_dialog_new (parent, NULL, NULL));
  adw_message_dialog_format_heading (dialog, _("Allow “%s” to get the token of “%s”?"),
                                     request->program,
                                     td_account_get_display_name (request->account));
  adw_message_dialog_set_body (dialog, _("A program asks Token Desk for a token over D-Bus. "
                                         "If you allow it, it gets the tokens it asks for "
                                         "until Token Desk quits."));
  adw_message_dialog_add_responses (dialog, "deny", _("_Deny"), "allow", _("_Allow"), NULL);
  adw_message_dialog_set_response_appearance (dialog, "allow", ADW_RESPONSE_SUGGESTED);
  adw_message_dialog_set_default_response (dialog, "deny");
  adw_message_dialog_set_close_response (dialog, "deny");
  g_object_set_data_full (G_OBJECT (dialog), "td-program", g_strdup (request->program), g_free);
  g_signal_connect_object (dialog, "response", G_CALLBACK (confirmation_response_cb), self, 0);
  gtk_window_present (GTK_WINDOW (dialog));
}

static void
authorize (Request *request)
{
  TdDbusService *self = request->self;

  if (!g_settings_get_boolean (self->settings, "confirm-token-requests") ||
      g_hash_table_contains (self->allowed, request->program))
    hand_out (request);
  else
    confirm (request);
}

static void
comm_loaded_cb (GObject      *object,
                GAsyncResult *result,
                gpointer      user_data)
{
  Request *request = user_data;
  g_autofree char *contents = NULL;

  if (g_file_load_contents_finish (G_FILE (object), result, &contents, NULL, NULL, NULL))
    {
      g_strstrip (contents);
      if (contents[0] != '\0' && g_utf8_validate (contents, -1, NULL))
        {
          g_free (request->program);
          request->program = g_steal_pointer (&contents);
        }
    }

  authorize (request);
}

static void
pid_cb (GObject      *object,
        GAsyncResult *result,
        gpointer      user_data)
{
  Request *request = user_data;
  g_autoptr(GVariant) reply = NULL;
  g_autoptr(GFile) comm = NULL;
  g_autofree char *path = NULL;
  guint32 pid;

  /* Inside Flatpak the PID is of another namespace: /proc/PID may be
   * missing or someone else; the bus name stays. */
  reply = g_dbus_connection_call_finish (G_DBUS_CONNECTION (object), result, NULL);
  if (reply == NULL || g_file_test ("/.flatpak-info", G_FILE_TEST_EXISTS))
    {
      authorize (request);
      return;
    }

  g_variant_get (reply, "(u)", &pid);
  path = g_strdup_printf ("/proc/%u/comm", pid);
  comm = g_file_new_for_path (path);
  g_file_load_contents_async (comm, request->self->cancellable, comm_loaded_cb, request);
}

/* Who asks: the process name from the bus, which people recognise. */
static void
identify_caller (Request *request)
{
  const char *sender = g_dbus_method_invocation_get_sender (request->invocation);

  request->program = g_strdup (sender ? sender : "?");
  if (sender == NULL)
    {
      authorize (request);
      return;
    }

  g_dbus_connection_call (g_dbus_method_invocation_get_connection (request->invocation),
                          "org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus",
                          "GetConnectionUnixProcessID", g_variant_new ("(s)", sender),
                          G_VARIANT_TYPE ("(u)"), G_DBUS_CALL_FLAGS_NONE, -1,
                          request->self->cancellable, pid_cb, request);
}

/* Dispatching ----------------------------------------------------------------- */

static void
dispatch (Request *request)
{
  TdDbusService *self = request->self;

  if (request->method == METHOD_LIST_ACCOUNTS)
    {
      list_accounts (request);
      return;
    }

  request->account = td_account_list_find_by_name (self->accounts, request->name);
  if (request->account == NULL)
    {
      g_autofree char *message = g_strdup_printf (_("There is no account named “%s”."),
                                                  request->name);

      return_dbus_error (request, "NoSuchAccount", message);
      request_free (request);
      return;
    }
  g_object_ref (request->account);

  if (request->method == METHOD_RENEW)
    td_token_manager_renew_async (self->token_manager, request->account, self->cancellable,
                                  renewed_cb, request);
  else
    identify_caller (request);
}

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
  TdDbusService *self = user_data;
  Request *request;

  if (g_str_equal (method_name, "ListAccounts"))
    request = request_new (self, invocation, METHOD_LIST_ACCOUNTS);
  else if (g_str_equal (method_name, "GetToken"))
    {
      request = request_new (self, invocation, METHOD_GET_TOKEN);
      g_variant_get (parameters, "(su)", &request->name, &request->min_valid);
    }
  else if (g_str_equal (method_name, "Renew"))
    {
      request = request_new (self, invocation, METHOD_RENEW);
      g_variant_get (parameters, "(s)", &request->name);
    }
  else
    {
      /* GDBus checks the methods against the introspection data. */
      g_dbus_method_invocation_return_error (invocation, G_DBUS_ERROR,
                                             G_DBUS_ERROR_UNKNOWN_METHOD,
                                             "No method %s", method_name);
      return;
    }

  g_debug ("%s from %s", method_name, sender);
  if (self->loading)
    g_ptr_array_add (self->waiting, request);
  else
    dispatch (request);
}

static const GDBusInterfaceVTable interface_vtable = {
  method_call_cb,
  NULL,
  NULL,
  { 0 }
};

/* AccountChanged -------------------------------------------------------------- */

static void
emit_changed (TdDbusService *self,
              const char    *name,
              const char    *state,
              gint64         expires_at)
{
  g_autoptr(GError) error = NULL;

  if (self->registration_id == 0)
    return;

  if (!g_dbus_connection_emit_signal (self->connection, NULL, TD_DBUS_SERVICE_PATH,
                                      TD_DBUS_SERVICE_INTERFACE, "AccountChanged",
                                      g_variant_new ("(ssx)", name, state, expires_at), &error))
    g_debug ("Could not emit AccountChanged: %s", error->message);
}

static gboolean
changed_idle_cb (gpointer user_data)
{
  TdDbusService *self = user_data;
  g_autoptr(GHashTable) changed = g_steal_pointer (&self->changed);
  GHashTableIter iter;
  const char *id;

  self->changed_id = 0;
  self->changed = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);

  for (guint i = 0; i < self->removed->len; i++)
    emit_changed (self, g_ptr_array_index (self->removed, i), "removed", 0);
  g_ptr_array_set_size (self->removed, 0);

  g_hash_table_iter_init (&iter, changed);
  while (g_hash_table_iter_next (&iter, (gpointer *) &id, NULL))
    {
      TdAccount *account = g_hash_table_lookup (self->watched, id);

      /* Until the keyring has been read the state means nothing yet. */
      if (account != NULL && td_account_get_secrets_loaded (account))
        emit_changed (self, td_account_get_display_name (account),
                      td_account_state_to_string (td_account_get_state (account)),
                      expires_at_for_bus (account));
    }

  return G_SOURCE_REMOVE;
}

/* A renewal changes the expiry and maybe the state in one go: one signal. */
static void
queue_changed (TdDbusService *self)
{
  if (self->changed_id == 0)
    self->changed_id = g_idle_add (changed_idle_cb, self);
}

static void
account_notify_cb (TdDbusService *self,
                   GParamSpec    *pspec,
                   TdAccount     *account)
{
  g_hash_table_add (self->changed, g_strdup (td_account_get_id (account)));
  queue_changed (self);
}

static void
watch_account (TdDbusService *self,
               TdAccount     *account)
{
  static const char *signals[] = {
    "notify::state", "notify::expires-at", "notify::secrets-loaded",
  };

  for (guint i = 0; i < G_N_ELEMENTS (signals); i++)
    g_signal_connect_object (account, signals[i], G_CALLBACK (account_notify_cb), self,
                             G_CONNECT_SWAPPED);
  g_hash_table_insert (self->watched, g_strdup (td_account_get_id (account)),
                       g_object_ref (account));
}

static void
accounts_changed_cb (TdDbusService *self,
                     guint          position,
                     guint          removed,
                     guint          added,
                     GListModel    *model)
{
  g_autoptr(GHashTable) present = g_hash_table_new (g_str_hash, g_str_equal);
  GHashTableIter iter;
  TdAccount *account;

  for (guint i = 0; i < g_list_model_get_n_items (model); i++)
    {
      g_autoptr(TdAccount) item = g_list_model_get_item (model, i);

      g_hash_table_add (present, (gpointer) td_account_get_id (item));
      if (!g_hash_table_contains (self->watched, td_account_get_id (item)))
        {
          watch_account (self, item);
          account_notify_cb (self, NULL, item);
        }
    }

  g_hash_table_iter_init (&iter, self->watched);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &account))
    if (!g_hash_table_contains (present, td_account_get_id (account)))
      {
        g_signal_handlers_disconnect_by_data (account, self);
        g_ptr_array_add (self->removed, g_strdup (td_account_get_display_name (account)));
        g_hash_table_remove (self->changed, td_account_get_id (account));
        g_hash_table_iter_remove (&iter);
        queue_changed (self);
      }
}

/* GObject --------------------------------------------------------------------- */

static void
td_dbus_service_dispose (GObject *object)
{
  TdDbusService *self = TD_DBUS_SERVICE (object);

  td_dbus_service_unexport (self);
  g_cancellable_cancel (self->cancellable);
  g_clear_handle_id (&self->changed_id, g_source_remove);

  if (self->watched != NULL)
    {
      GHashTableIter iter;
      TdAccount *account;

      g_hash_table_iter_init (&iter, self->watched);
      while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &account))
        g_signal_handlers_disconnect_by_data (account, self);
      g_hash_table_remove_all (self->watched);
    }

  g_clear_object (&self->accounts);
  g_clear_object (&self->token_manager);
  g_clear_object (&self->settings);
  g_clear_object (&self->cancellable);

  G_OBJECT_CLASS (td_dbus_service_parent_class)->dispose (object);
}

static void
td_dbus_service_finalize (GObject *object)
{
  TdDbusService *self = TD_DBUS_SERVICE (object);

  /* Requests hold a reference: none can be waiting now. */
  g_ptr_array_unref (self->waiting);
  g_hash_table_unref (self->watched);
  g_hash_table_unref (self->changed);
  g_ptr_array_unref (self->removed);
  g_hash_table_unref (self->allowed);
  g_hash_table_unref (self->asking);

  G_OBJECT_CLASS (td_dbus_service_parent_class)->finalize (object);
}

static void
td_dbus_service_class_init (TdDbusServiceClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = td_dbus_service_dispose;
  object_class->finalize = td_dbus_service_finalize;
}

static void
td_dbus_service_init (TdDbusService *self)
{
  self->cancellable = g_cancellable_new ();
  self->waiting = g_ptr_array_new ();
  self->watched = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_object_unref);
  self->changed = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  self->removed = g_ptr_array_new_with_free_func (g_free);
  self->allowed = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  self->asking = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                        (GDestroyNotify) g_ptr_array_unref);
}

/* Public API ------------------------------------------------------------------ */

TdDbusService *
td_dbus_service_new (GApplication   *application,
                     TdAccountList  *accounts,
                     TdTokenManager *token_manager,
                     GSettings      *settings)
{
  TdDbusService *self;

  g_return_val_if_fail (G_IS_APPLICATION (application), NULL);
  g_return_val_if_fail (TD_IS_ACCOUNT_LIST (accounts), NULL);
  g_return_val_if_fail (TD_IS_TOKEN_MANAGER (token_manager), NULL);
  g_return_val_if_fail (G_IS_SETTINGS (settings), NULL);

  register_errors ();

  self = g_object_new (TD_TYPE_DBUS_SERVICE, NULL);
  self->application = application;
  self->accounts = g_object_ref (accounts);
  self->token_manager = g_object_ref (token_manager);
  self->settings = g_object_ref (settings);

  g_signal_connect_object (accounts, "items-changed", G_CALLBACK (accounts_changed_cb), self,
                           G_CONNECT_SWAPPED);
  accounts_changed_cb (self, 0, 0, 0, G_LIST_MODEL (accounts));

  return self;
}

gboolean
td_dbus_service_export (TdDbusService    *self,
                        GDBusConnection  *connection,
                        GError          **error)
{
  g_return_val_if_fail (TD_IS_DBUS_SERVICE (self), FALSE);
  g_return_val_if_fail (G_IS_DBUS_CONNECTION (connection), FALSE);
  g_return_val_if_fail (self->registration_id == 0, FALSE);

  if (introspection_data == NULL)
    {
      g_autoptr(GBytes) xml = g_resources_lookup_data (INTROSPECTION_RESOURCE,
                                                       G_RESOURCE_LOOKUP_FLAGS_NONE, NULL);

      g_assert (xml != NULL);
      introspection_data = g_dbus_node_info_new_for_xml (g_bytes_get_data (xml, NULL), error);
      if (introspection_data == NULL)
        return FALSE;
    }

  self->registration_id =
    g_dbus_connection_register_object (connection, TD_DBUS_SERVICE_PATH,
                                       introspection_data->interfaces[0], &interface_vtable,
                                       self, NULL, error);
  if (self->registration_id == 0)
    return FALSE;

  self->connection = g_object_ref (connection);

  return TRUE;
}

void
td_dbus_service_unexport (TdDbusService *self)
{
  g_return_if_fail (TD_IS_DBUS_SERVICE (self));

  if (self->registration_id != 0)
    g_dbus_connection_unregister_object (self->connection, self->registration_id);
  self->registration_id = 0;
  g_clear_object (&self->connection);
}

void
td_dbus_service_set_loading (TdDbusService *self,
                             gboolean       loading)
{
  g_autoptr(GPtrArray) waiting = NULL;

  g_return_if_fail (TD_IS_DBUS_SERVICE (self));

  self->loading = loading;
  if (loading || self->waiting->len == 0)
    return;

  waiting = g_steal_pointer (&self->waiting);
  self->waiting = g_ptr_array_new ();
  for (guint i = 0; i < waiting->len; i++)
    dispatch (g_ptr_array_index (waiting, i));
}
