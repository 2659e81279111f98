/* td-token-store.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "td-token-store"

#include "config.h"

#include <glib/gi18n-lib.h>
#include <json-glib/json-glib.h>
#include <libsecret/secret.h>

#include "td-error.h"
#include "td-keyring-backend.h"
#include "td-token-store.h"

/* Only libsecret's password API (secret_password_*) is used: it is the one
 * that also works inside Flatpak, where libsecret talks to the Secret portal
 * and keeps an encrypted file instead of calling the Secret Service. Two
 * exceptions, both guarded by SECRET_IS_ITEM: whether a search result is a
 * locked SecretItem, the only way to tell "locked" from "absent" (a lookup
 * whose unlock prompt was dismissed answers "nothing found", without an
 * error), and reading the values a search already loaded. */

/* How long a keyring call may take before we give up on it. */
#define DEFAULT_TIMEOUT_MS 10000

struct _TdTokenStore
{
  GObject  parent_instance;

  guint    timeout_ms;
  /* Until the keyring has answered a call, one call at a time: libsecret
   * 0.20.5 inside Flatpak loses the answers to calls sent while its first
   * one is out (the file backend subscribes to the Secret portal's
   * Response only after the call returned; fixed in 0.21.4). */
  gboolean answered;
  guint    in_flight;
  GQueue   waiting;  /* Call, not started yet */
};

G_DEFINE_FINAL_TYPE (TdTokenStore, td_token_store, G_TYPE_OBJECT)

static const SecretSchema *
get_schema (void)
{
  static const SecretSchema schema = {
    .name = "io.github.tokendesk.TokenDesk.Secret",
    .flags = SECRET_SCHEMA_NONE,
    .attributes = {
      { .name = "account", .type = SECRET_SCHEMA_ATTRIBUTE_STRING },
      { .name = "kind", .type = SECRET_SCHEMA_ATTRIBUTE_STRING },
      { .name = NULL },
    },
  };

  return &schema;
}

static const char *
kind_to_string (TdSecretKind kind)
{
  switch (kind)
    {
    case TD_SECRET_KIND_REFRESH_TOKEN: return "refresh-token";
    case TD_SECRET_KIND_ACCESS_TOKEN: return "access-token";
    case TD_SECRET_KIND_PASSWORD: return "password";
    case TD_SECRET_KIND_ADMIN_TOKEN: return "admin-token";
    default: g_assert_not_reached ();
    }
}

static gboolean
kind_from_string (const char   *str,
                  TdSecretKind *out_kind)
{
  for (TdSecretKind kind = TD_SECRET_KIND_REFRESH_TOKEN; kind <= TD_SECRET_KIND_ADMIN_TOKEN; kind++)
    {
      if (g_strcmp0 (str, kind_to_string (kind)) == 0)
        {
          *out_kind = kind;
          return TRUE;
        }
    }

  return FALSE;
}

/* What Seahorse shows: the person must recognise the item. */
static char *
make_label (TdAccount    *account,
            TdSecretKind  kind)
{
  const char *name = td_account_get_display_name (account);

  if (name == NULL || *name == '\0')
    name = td_account_get_username (account);
  if (name == NULL || *name == '\0')
    name = td_account_get_id (account);

  switch (kind)
    {
    case TD_SECRET_KIND_REFRESH_TOKEN:
      return g_strdup_printf (_("Token Desk: refresh token for %s"), name);
    case TD_SECRET_KIND_ACCESS_TOKEN:
      return g_strdup_printf (_("Token Desk: access token for %s"), name);
    case TD_SECRET_KIND_PASSWORD:
      return g_strdup_printf (_("Token Desk: password for %s"), name);
    case TD_SECRET_KIND_ADMIN_TOKEN:
      return g_strdup_printf (_("Token Desk: administrative token for %s"), name);
    default:
      g_assert_not_reached ();
    }
}

/* Turns whatever libsecret or D-Bus said into something a person can act
 * on. A cancellation we asked for stays a cancellation (silent); one we did
 * not ask for is the unlock prompt being dismissed. */
static GError *
map_error (GError       *error,
           GCancellable *cancellable)
{
  g_autoptr(GError) owned = error;
  g_autofree char *detail = NULL;
  GError *mapped;

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED) &&
      g_cancellable_is_cancelled (cancellable))
    return g_steal_pointer (&owned);

  if (g_error_matches (error, TD_ERROR, TD_ERROR_KEYRING_UNAVAILABLE))
    return g_steal_pointer (&owned);

  if (g_dbus_error_is_remote_error (error))
    g_dbus_error_strip_remote_error (error);
  detail = g_strdup (error->message);

  if (g_error_matches (error, SECRET_ERROR, SECRET_ERROR_IS_LOCKED))
    mapped = g_error_new (TD_ERROR, TD_ERROR_KEYRING_UNAVAILABLE,
                          _("The keyring is locked: unlock it and try again"));
  else if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    mapped = g_error_new (TD_ERROR, TD_ERROR_KEYRING_UNAVAILABLE,
                          _("The keyring stayed locked: its unlock prompt was dismissed"));
  else if (g_error_matches (error, G_DBUS_ERROR, G_DBUS_ERROR_SERVICE_UNKNOWN) ||
           g_error_matches (error, G_DBUS_ERROR, G_DBUS_ERROR_NAME_HAS_NO_OWNER) ||
           g_error_matches (error, G_DBUS_ERROR, G_DBUS_ERROR_SPAWN_SERVICE_NOT_FOUND) ||
           g_error_matches (error, G_DBUS_ERROR, G_DBUS_ERROR_SPAWN_EXEC_FAILED) ||
           g_error_matches (error, G_DBUS_ERROR, G_DBUS_ERROR_SPAWN_CHILD_EXITED))
    mapped = g_error_new (TD_ERROR, TD_ERROR_KEYRING_UNAVAILABLE,
                          _("No keyring is running (no Secret Service such as GNOME Keyring "
                            "or KeePassXC answers): %s"), detail);
  else if (g_error_matches (error, G_DBUS_ERROR, G_DBUS_ERROR_NO_REPLY) ||
           g_error_matches (error, G_DBUS_ERROR, G_DBUS_ERROR_TIMEOUT) ||
           g_error_matches (error, G_DBUS_ERROR, G_DBUS_ERROR_TIMED_OUT) ||
           g_error_matches (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT))
    mapped = g_error_new (TD_ERROR, TD_ERROR_KEYRING_UNAVAILABLE,
                          _("The keyring did not answer: %s"), detail);
  else if (error->domain == G_IO_ERROR || error->domain == G_DBUS_ERROR)
    /* Mostly "no session bus": over SSH, in a container, under cron. */
    mapped = g_error_new (TD_ERROR, TD_ERROR_KEYRING_UNAVAILABLE,
                          _("The keyring cannot be reached (is there a desktop session?): %s"),
                          detail);
  else
    mapped = g_error_new (TD_ERROR, TD_ERROR_KEYRING_UNAVAILABLE,
                          _("The keyring refused: %s"), detail);

  g_debug ("Keyring error %s:%d mapped to keyring-unavailable",
           g_quark_to_string (error->domain), error->code);

  return mapped;
}

static GError *
locked_error (void)
{
  return g_error_new (TD_ERROR, TD_ERROR_KEYRING_UNAVAILABLE,
                      _("The keyring is locked: unlock it and try again"));
}

void
td_stored_secrets_free (TdStoredSecrets *self)
{
  if (self == NULL)
    return;

  g_clear_pointer (&self->tokens, td_tokens_free);
  td_secret_free (self->password);
  td_secret_free (self->admin_token);
  g_free (self);
}

static void
td_token_store_class_init (TdTokenStoreClass *klass)
{
}

static void
td_token_store_init (TdTokenStore *self)
{
  const char *env = g_getenv ("TD_KEYRING_TIMEOUT_MS");
  guint64 timeout_ms = 0;

  /* For the tests, which cannot wait 10 s for each silent keyring. */
  if (env == NULL || !g_ascii_string_to_unsigned (env, 10, 1, G_MAXUINT / 2, &timeout_ms, NULL))
    timeout_ms = DEFAULT_TIMEOUT_MS;
  self->timeout_ms = (guint) timeout_ms;
  g_queue_init (&self->waiting);
}

TdTokenStore *
td_token_store_new (void)
{
  return g_object_new (TD_TYPE_TOKEN_STORE, NULL);
}

/* Calls ------------------------------------------------------------------
 *
 * Every public operation is a Call: the caller's task, answered once, and
 * the operation itself, an inner task whose cancellable is the call's own.
 * The call has a deadline: when the keyring has not answered by then, the
 * caller hears TD_ERROR_KEYRING_UNAVAILABLE, the operation is cancelled
 * and whatever libsecret says later is dropped. Nothing the caller holds
 * for the call (an application hold, a D-Bus request) outlives it.
 *
 * Until the keyring has answered once, calls go out one at a time; the
 * ones asked for meanwhile wait for the first. When the first gets no
 * answer, they fail with it: they would have gone to the same silent
 * keyring, and each row should say so now, not one deadline after the
 * other. The next call is again a first one. */

typedef void (*CallStart) (GTask *inner);

typedef struct
{
  TdTokenStore   *store;        /* while waiting or running */
  GTask          *task;         /* the caller's, until answered */
  GTask          *inner;        /* until started */
  CallStart       start;
  GDestroyNotify  result_free;  /* NULL: the result is a boolean */
  GCancellable   *cancellable;  /* the operation's */
  GCancellable   *caller_cancellable;
  gulong          cancelled_id;
  GSource        *deadline;
  gboolean        answered;     /* the caller's task has its result */
} Call;

static void
call_free (Call *call)
{
  g_assert (call->store == NULL && call->deadline == NULL && call->cancelled_id == 0);
  g_clear_object (&call->task);
  g_clear_object (&call->inner);
  g_clear_object (&call->cancellable);
  g_clear_object (&call->caller_cancellable);
  g_free (call);
}

static GError *
no_answer_error (void)
{
  return g_error_new (TD_ERROR, TD_ERROR_KEYRING_UNAVAILABLE, _("The keyring did not answer"));
}

/* Not in a cancellable's handler: it runs where the caller cancelled. */
static void
caller_cancelled_cb (GCancellable *caller_cancellable,
                     GCancellable *cancellable)
{
  g_cancellable_cancel (cancellable);
}

static void call_run (Call *call);

static void
call_return_error (Call   *call,
                   GError *error)
{
  call->answered = TRUE;
  g_task_return_error (call->task, error);
  g_clear_object (&call->task);
}

/* The call is over for the store (answered, or given up): lets the calls
 * waiting for it go, or fail with it. */
static void
call_end (Call         *call,
          const GError *no_answer)
{
  g_autoptr(TdTokenStore) self = g_steal_pointer (&call->store);
  g_autoptr(GQueue) waiting = NULL;

  if (call->deadline != NULL)
    {
      g_source_destroy (call->deadline);
      g_clear_pointer (&call->deadline, g_source_unref);
    }
  if (call->cancelled_id != 0)
    {
      g_cancellable_disconnect (call->caller_cancellable, call->cancelled_id);
      call->cancelled_id = 0;
    }

  self->in_flight--;
  if (no_answer == NULL)
    self->answered = TRUE;

  waiting = g_queue_copy (&self->waiting);
  g_queue_clear (&self->waiting);

  for (GList *l = waiting->head; l; l = l->next)
    {
      Call *next = l->data;

      if (no_answer == NULL)
        {
          call_run (next);
          continue;
        }

      g_debug ("A keyring call given up: it waited for one that got no answer");
      g_clear_object (&next->store);
      if (next->cancelled_id != 0)
        {
          g_cancellable_disconnect (next->caller_cancellable, next->cancelled_id);
          next->cancelled_id = 0;
        }
      call_return_error (next, g_error_copy (no_answer));
      call_free (next);
    }
}

static gboolean
deadline_cb (gpointer user_data)
{
  Call *call = user_data;
  g_autoptr(GError) error = NULL;

  g_debug ("The keyring did not answer within %u ms: giving up", call->store->timeout_ms);

  if (g_cancellable_is_cancelled (call->caller_cancellable))
    error = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CANCELLED, _("Operation was cancelled"));
  else
    error = no_answer_error ();

  call_end (call, error);
  /* Told before libsecret hears of it: its answer to the cancellation
   * may never come either. The inner task still ends, or not. */
  call_return_error (call, g_steal_pointer (&error));
  g_cancellable_cancel (call->cancellable);

  return G_SOURCE_REMOVE;
}

static void
answered_cb (GObject      *object,
             GAsyncResult *result,
             gpointer      user_data)
{
  Call *call = user_data;
  g_autoptr(GError) error = NULL;
  gpointer pointer = NULL;
  gboolean ok;

  if (call->answered)
    {
      /* Too late: the caller was told already. Free what came. */
      if (call->result_free != NULL)
        {
          pointer = g_task_propagate_pointer (G_TASK (result), NULL);
          if (pointer != NULL)
            call->result_free (pointer);
        }
      else
        g_task_propagate_boolean (G_TASK (result), NULL);
      g_debug ("A keyring answer came after its deadline: dropped");
      call_free (call);
      return;
    }

  if (call->result_free != NULL)
    {
      pointer = g_task_propagate_pointer (G_TASK (result), &error);
      ok = pointer != NULL;
    }
  else
    ok = g_task_propagate_boolean (G_TASK (result), &error);

  /* Any answer, even an error, says the keyring is there. */
  call_end (call, NULL);
  call->answered = TRUE;

  if (error != NULL)
    g_task_return_error (call->task, g_steal_pointer (&error));
  else if (call->result_free != NULL)
    g_task_return_pointer (call->task, pointer, call->result_free);
  else
    g_task_return_boolean (call->task, ok);

  call_free (call);
}

/* The call stays alive until its operation ends, which has not started. */
static void
backend_opened_cb (GObject      *object,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  Call *call = user_data;
  g_autoptr(GTask) inner = g_steal_pointer (&call->inner);
  GError *error = NULL;

  if (!td_keyring_backend_open_finish (result, &error))
    g_task_return_error (inner, error);
  else
    call->start (inner);
}

static void
call_run (Call *call)
{
  TdTokenStore *self = call->store;

  self->in_flight++;

  call->deadline = g_timeout_source_new (self->timeout_ms);
  g_source_set_callback (call->deadline, deadline_cb, call, NULL);
  g_source_set_static_name (call->deadline, "[td] keyring deadline");
  g_source_attach (call->deadline, g_main_context_get_thread_default ());

  /* Inside Flatpak the first call opens libsecret's file backend, which
   * from a busy main loop can miss the portal's answer for good: it is
   * opened apart first (td-keyring-backend.c), within the call's deadline. */
  if (!self->answered && td_keyring_backend_is_file ())
    {
      td_keyring_backend_open_async (FALSE, call->cancellable, backend_opened_cb, call);
      return;
    }

  {
    g_autoptr(GTask) inner = g_steal_pointer (&call->inner);

    call->start (inner);
  }
}

/* The caller's task, and the operation's (call->inner) for the caller to
 * give its data before call_submit () sends it. */
static Call *
call_new (TdTokenStore        *self,
          GCancellable        *cancellable,
          GAsyncReadyCallback  callback,
          gpointer             user_data,
          gpointer             source_tag,
          GDestroyNotify       result_free)
{
  Call *call = g_new0 (Call, 1);

  call->store = g_object_ref (self);
  call->task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (call->task, source_tag);
  call->result_free = result_free;
  call->cancellable = g_cancellable_new ();
  if (cancellable != NULL)
    {
      call->caller_cancellable = g_object_ref (cancellable);
      call->cancelled_id = g_cancellable_connect (cancellable, G_CALLBACK (caller_cancelled_cb),
                                                  call->cancellable, NULL);
    }
  call->inner = g_task_new (NULL, call->cancellable, answered_cb, call);

  return call;
}

static void
call_submit (Call      *call,
             CallStart  start)
{
  TdTokenStore *self = call->store;

  call->start = start;

  if (!self->answered && self->in_flight > 0)
    {
      g_debug ("A keyring call waits for the first one to be answered");
      g_queue_push_tail (&self->waiting, call);
      return;
    }

  call_run (call);
}

/* The access-token item: the access token, the Senmo ID token and the
 * expiry, together so that they can never disagree. */

static char *
serialize_access (const TdTokens *tokens)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonGenerator) generator = json_generator_new ();
  g_autoptr(JsonNode) root = NULL;

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "access_token");
  json_builder_add_string_value (builder, tokens->access_token);
  json_builder_set_member_name (builder, "id_token");
  if (tokens->id_token != NULL)
    json_builder_add_string_value (builder, tokens->id_token);
  else
    json_builder_add_null_value (builder);
  json_builder_set_member_name (builder, "expires_at");
  if (tokens->expires_at == TD_EXPIRES_NEVER)
    json_builder_add_null_value (builder);
  else
    json_builder_add_int_value (builder, tokens->expires_at);
  json_builder_end_object (builder);

  root = json_builder_get_root (builder);
  json_generator_set_root (generator, root);

  /* The builder's copies of the tokens live in JSON nodes we cannot wipe;
   * they are short-lived and freed right here. */
  return json_generator_to_data (generator, NULL);
}

/* FALSE for an item that is not ours or was damaged: it is then ignored,
 * as if absent, and overwritten by the next renewal. */
static gboolean
parse_access (const char *data,
              TdTokens   *tokens)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  JsonObject *object;
  JsonNode *node;

  if (!json_parser_load_from_data (parser, data, -1, NULL))
    return FALSE;

  node = json_parser_get_root (parser);
  if (node == NULL || !JSON_NODE_HOLDS_OBJECT (node))
    return FALSE;
  object = json_node_get_object (node);

  node = json_object_get_member (object, "access_token");
  if (node == NULL || json_node_get_value_type (node) != G_TYPE_STRING)
    return FALSE;
  tokens->access_token = g_strdup (json_node_get_string (node));

  node = json_object_get_member (object, "id_token");
  if (node != NULL && JSON_NODE_HOLDS_VALUE (node) &&
      json_node_get_value_type (node) == G_TYPE_STRING)
    tokens->id_token = g_strdup (json_node_get_string (node));

  node = json_object_get_member (object, "expires_at");
  if (node == NULL || JSON_NODE_HOLDS_NULL (node))
    tokens->expires_at = TD_EXPIRES_NEVER;
  else if (JSON_NODE_HOLDS_VALUE (node) && json_node_get_value_type (node) == G_TYPE_INT64)
    tokens->expires_at = json_node_get_int (node);
  else
    return FALSE;

  return TRUE;
}

/* An item found by a search but deleted before libsecret read it (another
 * process signed out, or removed the account, in between) fails the whole
 * search with "No such secret item", an unknown D-Bus method. Searching
 * again sees the keyring as it is now. */
#define MAX_SEARCHES 3

static gboolean
is_vanished_item (const GError *error)
{
  return g_error_matches (error, G_DBUS_ERROR, G_DBUS_ERROR_UNKNOWN_METHOD) ||
         g_error_matches (error, G_DBUS_ERROR, G_DBUS_ERROR_UNKNOWN_OBJECT) ||
         g_error_matches (error, SECRET_ERROR, SECRET_ERROR_NO_SUCH_OBJECT);
}

/* Search ----------------------------------------------------------------- */

/* Every read of the keyring goes through here: our items (of one account,
 * or all when account_id is NULL), searched again when one vanished. The
 * error is libsecret's, for the caller to map. */
typedef struct
{
  char              *account_id;
  SecretSearchFlags  flags;
  guint              attempts;
} Search;

static void
search_free (Search *search)
{
  g_free (search->account_id);
  g_free (search);
}

static void
item_list_free (GList *items)
{
  g_list_free_full (items, g_object_unref);
}

static void search_start (GTask *task);

static void
search_done_cb (GObject      *object,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  Search *search = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  GList *items;

  items = secret_password_search_finish (result, &error);
  if (is_vanished_item (error) && search->attempts < MAX_SEARCHES)
    {
      g_debug ("A secret went away during the search: searching again");
      search_start (g_steal_pointer (&task));
      return;
    }

  if (error != NULL)
    g_task_return_error (task, g_steal_pointer (&error));
  else
    g_task_return_pointer (task, items, (GDestroyNotify)item_list_free);
}

static void
search_start (GTask *task)
{
  Search *search = g_task_get_task_data (task);
  GCancellable *cancellable = g_task_get_cancellable (task);

  search->attempts++;
  if (search->account_id != NULL)
    secret_password_search (get_schema (), search->flags, cancellable, search_done_cb, task,
                            "account", search->account_id,
                            NULL);
  else
    secret_password_search (get_schema (), search->flags, cancellable, search_done_cb, task,
                            NULL);
}

static void
search_items_async (const char          *account_id,
                    SecretSearchFlags    flags,
                    GCancellable        *cancellable,
                    GAsyncReadyCallback  callback,
                    gpointer             user_data)
{
  GTask *task = g_task_new (NULL, cancellable, callback, user_data);
  Search *search = g_new0 (Search, 1);

  search->account_id = g_strdup (account_id);
  search->flags = flags;
  g_task_set_task_data (task, search, (GDestroyNotify)search_free);

  search_start (task);
}

/* The items found; NULL with error set when the search failed (NULL
 * without an error is an empty result). */
static GList *
search_items_finish (GAsyncResult  *result,
                     GError       **error)
{
  return g_task_propagate_pointer (G_TASK (result), error);
}

/* Only items of the Secret Service can be locked; the portal's file
 * backend has SecretRetrievables that are not SecretItems. */
static gboolean
any_item_locked (const GList *items)
{
  for (const GList *l = items; l; l = l->next)
    if (SECRET_IS_ITEM (l->data) && secret_item_get_locked (SECRET_ITEM (l->data)))
      return TRUE;

  return FALSE;
}

/* Load ------------------------------------------------------------------- */

typedef struct
{
  char            *account_id;
  TdStoredSecrets *secrets;
  TdTokens        *access;    /* from the access-token item */
  char            *refresh;   /* from the refresh-token item */
  guint            pending;
  GError          *error;
} Load;

static void
load_free (Load *load)
{
  g_free (load->account_id);
  g_clear_pointer (&load->secrets, td_stored_secrets_free);
  g_clear_pointer (&load->access, td_tokens_free);
  td_secret_free (load->refresh);
  g_clear_error (&load->error);
  g_free (load);
}

static void
load_complete (GTask *task)
{
  Load *load = g_task_get_task_data (task);

  if (load->error != NULL)
    {
      g_task_return_error (task, g_steal_pointer (&load->error));
      return;
    }

  if (load->access != NULL || load->refresh != NULL)
    {
      load->secrets->tokens = load->access ? g_steal_pointer (&load->access) : td_tokens_new ();
      load->secrets->tokens->refresh_token = g_steal_pointer (&load->refresh);
    }

  g_task_return_pointer (task, g_steal_pointer (&load->secrets),
                         (GDestroyNotify)td_stored_secrets_free);
}

/* Files one item's value under its kind; the first item of a kind wins
 * (the search lists unlocked items first). */
static void
load_take (Load       *load,
           GHashTable *attributes,
           const char *text)
{
  TdSecretKind kind;

  /* Not text, or not a kind we know: not one of ours, ignore it. */
  if (text == NULL || !kind_from_string (g_hash_table_lookup (attributes, "kind"), &kind))
    return;

  switch (kind)
    {
    case TD_SECRET_KIND_REFRESH_TOKEN:
      if (load->refresh == NULL)
        load->refresh = g_strdup (text);
      break;

    case TD_SECRET_KIND_ACCESS_TOKEN:
      if (load->access == NULL)
        {
          g_autoptr(TdTokens) tokens = td_tokens_new ();

          if (parse_access (text, tokens))
            load->access = g_steal_pointer (&tokens);
          else
            g_debug ("Ignoring a damaged access-token item");
        }
      break;

    case TD_SECRET_KIND_PASSWORD:
      if (load->secrets->password == NULL)
        load->secrets->password = g_strdup (text);
      break;

    case TD_SECRET_KIND_ADMIN_TOKEN:
      if (load->secrets->admin_token == NULL)
        load->secrets->admin_token = g_strdup (text);
      break;

    default:
      g_assert_not_reached ();
    }
}

static void
retrieved_cb (GObject      *object,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  Load *load = g_task_get_task_data (task);
  SecretRetrievable *item = SECRET_RETRIEVABLE (object);
  g_autoptr(SecretValue) value = NULL;
  g_autoptr(GError) error = NULL;

  load->pending--;

  value = secret_retrievable_retrieve_secret_finish (item, result, &error);
  if (value != NULL)
    {
      g_autoptr(GHashTable) attributes = secret_retrievable_get_attributes (item);

      load_take (load, attributes, secret_value_get_text (value));
    }
  else if (is_vanished_item (error))
    g_debug ("A secret went away while it was being read");
  else if (error != NULL && load->error == NULL)
    load->error = map_error (g_steal_pointer (&error), g_task_get_cancellable (task));

  if (load->pending == 0)
    load_complete (task);
}

static void
searched_cb (GObject      *object,
             GAsyncResult *result,
             gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  Load *load = g_task_get_task_data (task);
  GList *items;
  g_autoptr(GError) error = NULL;

  items = search_items_finish (result, &error);
  if (error != NULL)
    {
      g_task_return_error (task, map_error (g_steal_pointer (&error),
                                            g_task_get_cancellable (task)));
      return;
    }

  /* SECRET_SEARCH_UNLOCK asked once for every locked item; what is still
   * locked now stays so (prompt dismissed, or no prompt possible). */
  if (any_item_locked (items))
    {
      item_list_free (items);
      g_task_return_error (task, locked_error ());
      return;
    }

  /* One pending count for this loop, so that no retrieval completing
   * early can finish the load before every item was looked at. */
  load->pending = 1;

  for (const GList *l = items; l; l = l->next)
    {
      g_autoptr(GHashTable) attributes = secret_retrievable_get_attributes (l->data);
      g_autoptr(SecretValue) value = NULL;

      /* SECRET_SEARCH_LOAD_SECRETS fetched the Secret Service's values in
       * one call: a retrieval per item would be one more round trip each,
       * on the path of every `tokendesk token`. The portal's items are
       * not SecretItems and are read the portable way. */
      if (SECRET_IS_ITEM (l->data) && (value = secret_item_get_secret (l->data)) != NULL)
        {
          load_take (load, attributes, secret_value_get_text (value));
          continue;
        }

      load->pending++;
      secret_retrievable_retrieve_secret (l->data, g_task_get_cancellable (task),
                                          retrieved_cb, g_object_ref (task));
    }

  if (--load->pending == 0)
    load_complete (task);

  item_list_free (items);
}

static void
load_start (GTask *task)
{
  Load *load = g_task_get_task_data (task);

  /* One search for every item of the account rather than one lookup per
   * kind: a locked keyring prompts once, not four times. */
  search_items_async (load->account_id,
                      SECRET_SEARCH_ALL | SECRET_SEARCH_UNLOCK | SECRET_SEARCH_LOAD_SECRETS,
                      g_task_get_cancellable (task), searched_cb, g_object_ref (task));
}

void
td_token_store_load_async (TdTokenStore        *self,
                           TdAccount           *account,
                           GCancellable        *cancellable,
                           GAsyncReadyCallback  callback,
                           gpointer             user_data)
{
  Call *call;
  Load *load;

  g_return_if_fail (TD_IS_TOKEN_STORE (self));
  g_return_if_fail (TD_IS_ACCOUNT (account));
  g_return_if_fail (!cancellable || G_IS_CANCELLABLE (cancellable));

  call = call_new (self, cancellable, callback, user_data, td_token_store_load_async,
                   (GDestroyNotify)td_stored_secrets_free);

  load = g_new0 (Load, 1);
  load->account_id = g_strdup (td_account_get_id (account));
  load->secrets = g_new0 (TdStoredSecrets, 1);
  g_task_set_task_data (call->inner, load, (GDestroyNotify)load_free);

  call_submit (call, load_start);
}

TdStoredSecrets *
td_token_store_load_finish (TdTokenStore  *self,
                            GAsyncResult  *result,
                            GError       **error)
{
  g_return_val_if_fail (TD_IS_TOKEN_STORE (self), NULL);
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

/* Check ------------------------------------------------------------------ */

static void
check_searched_cb (GObject      *object,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(GError) error = NULL;
  gboolean locked;
  GList *items;

  items = search_items_finish (result, &error);
  if (error != NULL)
    {
      g_task_return_error (task, map_error (g_steal_pointer (&error),
                                            g_task_get_cancellable (task)));
      return;
    }

  locked = any_item_locked (items);
  item_list_free (items);

  if (locked)
    g_task_return_error (task, locked_error ());
  else
    g_task_return_boolean (task, TRUE);
}

static void
check_start (GTask *task)
{
  /* Every item of ours, whatever the account: the password API has no
   * way to ask a collection whether it is locked. */
  search_items_async (NULL, SECRET_SEARCH_ALL | SECRET_SEARCH_UNLOCK,
                      g_task_get_cancellable (task), check_searched_cb, g_object_ref (task));
}

void
td_token_store_check_async (TdTokenStore        *self,
                            GCancellable        *cancellable,
                            GAsyncReadyCallback  callback,
                            gpointer             user_data)
{
  g_return_if_fail (TD_IS_TOKEN_STORE (self));
  g_return_if_fail (!cancellable || G_IS_CANCELLABLE (cancellable));

  call_submit (call_new (self, cancellable, callback, user_data, td_token_store_check_async, NULL),
               check_start);
}

gboolean
td_token_store_check_finish (TdTokenStore  *self,
                             GAsyncResult  *result,
                             GError       **error)
{
  g_return_val_if_fail (TD_IS_TOKEN_STORE (self), FALSE);
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

/* Store ------------------------------------------------------------------ */

typedef struct
{
  TdSecretKind  kind;
  char         *label;
  char         *secret;  /* NULL: clear the item */
} Step;

typedef struct
{
  char      *account_id;
  GPtrArray *steps;      /* Step, done in order, stopping at the first failure */
  guint      next;
  guint      conflicts;
} Save;

static void
step_free (Step *step)
{
  g_free (step->label);
  td_secret_free (step->secret);
  g_free (step);
}

static void
save_free (Save *save)
{
  g_free (save->account_id);
  g_clear_pointer (&save->steps, g_ptr_array_unref);
  g_free (save);
}

static Save *
save_new (TdAccount *account)
{
  Save *save = g_new0 (Save, 1);

  save->account_id = g_strdup (td_account_get_id (account));
  save->steps = g_ptr_array_new_with_free_func ((GDestroyNotify)step_free);

  return save;
}

static void
save_add_step (Save         *save,
               TdAccount    *account,
               TdSecretKind  kind,
               char         *secret)
{
  Step *step = g_new0 (Step, 1);

  step->kind = kind;
  step->label = make_label (account, kind);
  step->secret = secret;
  g_ptr_array_add (save->steps, step);
}

static void save_next (GTask *task);

/* Inside Flatpak libsecret writes its whole file from what it read, and
 * refuses ("The file was externally modified") when another process wrote
 * it meanwhile, say a `tokendesk token` renewing another account: the
 * file is read again and the step done again on top of it, or the tokens
 * just renewed would be lost. */
#define MAX_CONFLICTS 3

static void
save_reopened_cb (GObject      *object,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  GError *error = NULL;

  if (!td_keyring_backend_open_finish (result, &error))
    {
      g_task_return_error (task, error);
      return;
    }

  save_next (task);
}

static gboolean
save_retry_on_conflict (GTask        *task,
                        const GError *error)
{
  Save *save = g_task_get_task_data (task);

  if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_WRONG_ETAG) ||
      save->conflicts >= MAX_CONFLICTS)
    return FALSE;

  g_debug ("Account %s: the keyring file changed under us: reading it again", save->account_id);
  save->conflicts++;
  save->next--;
  td_keyring_backend_open_async (TRUE, g_task_get_cancellable (task), save_reopened_cb,
                                 g_object_ref (task));
  return TRUE;
}

static void
stored_cb (GObject      *object,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(GError) error = NULL;

  if (!secret_password_store_finish (result, &error))
    {
      if (save_retry_on_conflict (task, error))
        return;
      g_task_return_error (task, map_error (g_steal_pointer (&error),
                                            g_task_get_cancellable (task)));
      return;
    }

  save_next (task);
}

static void
step_cleared_cb (GObject      *object,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(GError) error = NULL;

  /* FALSE without an error: there was nothing to clear. */
  if (!secret_password_clear_finish (result, &error) && error != NULL)
    {
      if (save_retry_on_conflict (task, error))
        return;
      g_task_return_error (task, map_error (g_steal_pointer (&error),
                                            g_task_get_cancellable (task)));
      return;
    }

  save_next (task);
}

static void
save_next (GTask *task)
{
  Save *save = g_task_get_task_data (task);
  GCancellable *cancellable = g_task_get_cancellable (task);
  Step *step;

  if (save->next == save->steps->len)
    {
      g_task_return_boolean (task, TRUE);
      return;
    }

  step = g_ptr_array_index (save->steps, save->next++);

  if (step->secret != NULL)
    secret_password_store (get_schema (), SECRET_COLLECTION_DEFAULT, step->label, step->secret,
                           cancellable, stored_cb, g_object_ref (task),
                           "account", save->account_id,
                           "kind", kind_to_string (step->kind),
                           NULL);
  else
    secret_password_clear (get_schema (), cancellable, step_cleared_cb, g_object_ref (task),
                           "account", save->account_id,
                           "kind", kind_to_string (step->kind),
                           NULL);
}

void
td_token_store_save_tokens_async (TdTokenStore        *self,
                                  TdAccount           *account,
                                  const TdTokens      *tokens,
                                  GCancellable        *cancellable,
                                  GAsyncReadyCallback  callback,
                                  gpointer             user_data)
{
  Call *call;
  Save *save;

  g_return_if_fail (TD_IS_TOKEN_STORE (self));
  g_return_if_fail (TD_IS_ACCOUNT (account));
  g_return_if_fail (tokens != NULL);
  g_return_if_fail (!cancellable || G_IS_CANCELLABLE (cancellable));

  call = call_new (self, cancellable, callback, user_data, td_token_store_save_tokens_async, NULL);

  save = save_new (account);
  g_task_set_task_data (call->inner, save, (GDestroyNotify)save_free);

  /* The refresh token first: when the vendor rotated it, the old one is
   * already dead, and losing the new one would sign the account out. If
   * this step fails, nothing else is touched. */
  if (tokens->refresh_token != NULL)
    save_add_step (save, account, TD_SECRET_KIND_REFRESH_TOKEN,
                   g_strdup (tokens->refresh_token));

  if (tokens->access_token != NULL)
    save_add_step (save, account, TD_SECRET_KIND_ACCESS_TOKEN, serialize_access (tokens));

  call_submit (call, save_next);
}

gboolean
td_token_store_save_tokens_finish (TdTokenStore  *self,
                                   GAsyncResult  *result,
                                   GError       **error)
{
  g_return_val_if_fail (TD_IS_TOKEN_STORE (self), FALSE);
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

void
td_token_store_save_secret_async (TdTokenStore        *self,
                                  TdAccount           *account,
                                  TdSecretKind         kind,
                                  const char          *secret,
                                  GCancellable        *cancellable,
                                  GAsyncReadyCallback  callback,
                                  gpointer             user_data)
{
  Call *call;
  Save *save;

  g_return_if_fail (TD_IS_TOKEN_STORE (self));
  g_return_if_fail (TD_IS_ACCOUNT (account));
  g_return_if_fail (kind == TD_SECRET_KIND_PASSWORD || kind == TD_SECRET_KIND_ADMIN_TOKEN);
  g_return_if_fail (!cancellable || G_IS_CANCELLABLE (cancellable));

  call = call_new (self, cancellable, callback, user_data, td_token_store_save_secret_async, NULL);

  save = save_new (account);
  g_task_set_task_data (call->inner, save, (GDestroyNotify)save_free);
  save_add_step (save, account, kind, g_strdup (secret));

  call_submit (call, save_next);
}

gboolean
td_token_store_save_secret_finish (TdTokenStore  *self,
                                   GAsyncResult  *result,
                                   GError       **error)
{
  g_return_val_if_fail (TD_IS_TOKEN_STORE (self), FALSE);
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

/* Clear ------------------------------------------------------------------ */

typedef struct
{
  char     *account_id;
  gboolean  all;
  guint     pending;
  GError   *error;
} Clear;

static void
clear_free (Clear *clear)
{
  g_free (clear->account_id);
  g_clear_error (&clear->error);
  g_free (clear);
}

static void
cleared_cb (GObject      *object,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  Clear *clear = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;

  if (!secret_password_clear_finish (result, &error) && error != NULL && clear->error == NULL)
    clear->error = map_error (g_steal_pointer (&error), g_task_get_cancellable (task));

  if (--clear->pending > 0)
    return;

  if (clear->error != NULL)
    g_task_return_error (task, g_steal_pointer (&clear->error));
  else
    g_task_return_boolean (task, TRUE);
}

static void
clear_searched_cb (GObject      *object,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  Clear *clear = g_task_get_task_data (task);
  GCancellable *cancellable = g_task_get_cancellable (task);
  g_autoptr(GError) error = NULL;
  GList *items;
  gboolean locked;

  items = search_items_finish (result, &error);
  if (error != NULL)
    {
      g_task_return_error (task, map_error (g_steal_pointer (&error), cancellable));
      return;
    }

  locked = any_item_locked (items);
  item_list_free (items);

  /* secret_password_clear skips locked items and still succeeds: the
   * account would be gone and its secrets left behind. */
  if (locked)
    {
      g_task_return_error (task, locked_error ());
      return;
    }

  if (clear->all)
    {
      clear->pending = 1;
      secret_password_clear (get_schema (), cancellable, cleared_cb, g_object_ref (task),
                             "account", clear->account_id,
                             NULL);
      return;
    }

  /* Signing out keeps the password, so that signing in again with a
   * remembered password needs no typing. */
  clear->pending = 3;
  secret_password_clear (get_schema (), cancellable, cleared_cb, g_object_ref (task),
                         "account", clear->account_id,
                         "kind", kind_to_string (TD_SECRET_KIND_ACCESS_TOKEN),
                         NULL);
  secret_password_clear (get_schema (), cancellable, cleared_cb, g_object_ref (task),
                         "account", clear->account_id,
                         "kind", kind_to_string (TD_SECRET_KIND_REFRESH_TOKEN),
                         NULL);
  secret_password_clear (get_schema (), cancellable, cleared_cb, g_object_ref (task),
                         "account", clear->account_id,
                         "kind", kind_to_string (TD_SECRET_KIND_ADMIN_TOKEN),
                         NULL);
}

static void
clear_start (GTask *task)
{
  Clear *clear = g_task_get_task_data (task);

  search_items_async (clear->account_id, SECRET_SEARCH_ALL | SECRET_SEARCH_UNLOCK,
                      g_task_get_cancellable (task), clear_searched_cb, g_object_ref (task));
}

void
td_token_store_clear_async (TdTokenStore        *self,
                            const char          *account_id,
                            gboolean             all,
                            GCancellable        *cancellable,
                            GAsyncReadyCallback  callback,
                            gpointer             user_data)
{
  Call *call;
  Clear *clear;

  g_return_if_fail (TD_IS_TOKEN_STORE (self));
  g_return_if_fail (account_id != NULL);
  g_return_if_fail (!cancellable || G_IS_CANCELLABLE (cancellable));

  call = call_new (self, cancellable, callback, user_data, td_token_store_clear_async, NULL);

  clear = g_new0 (Clear, 1);
  clear->account_id = g_strdup (account_id);
  clear->all = !!all;
  g_task_set_task_data (call->inner, clear, (GDestroyNotify)clear_free);

  call_submit (call, clear_start);
}

gboolean
td_token_store_clear_finish (TdTokenStore  *self,
                             GAsyncResult  *result,
                             GError       **error)
{
  g_return_val_if_fail (TD_IS_TOKEN_STORE (self), FALSE);
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}
