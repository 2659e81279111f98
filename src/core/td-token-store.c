/* td-token-store.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "td-token-store"

#include "config.h"

#include <glib/gi18n-lib.h>
#include <json-glib/json-glib.h>
#include <libsecret/secret.h>
#include <string.h>

#include "td-account-lock.h"
#include "td-error.h"
#include "td-keyring-backend.h"
#include "td-token-store.h"

/* Only libsecret's password API (secret_password_*) is used: it is the one
 * that also works inside Flatpak, where libsecret talks to the Secret portal
 * and keeps an encrypted file instead of calling the Secret Service. Two
 * exceptions, both guarded by SECRET_IS_ITEM: whether a search result is a
 * locked SecretItem, the only way to tell "locked" from "absent" (a lookup
 * whose unlock prompt was dismissed answers "nothing found", without an
 * error), and reading the values a search already loaded.
 *
 * One item per account (kind "credentials") holds the whole set as JSON:
 * a renewal replaces the access token, its expiry and the rotated refresh
 * token in one write, so a process killed halfway leaves either the old
 * set or the new one, never a new refresh token beside a revoked access
 * token. Older versions kept one item per kind (refresh token, access
 * token, password, administrative token); those are still read when the
 * new item is missing, and removed by the next save. */

/* How long a keyring call may take before we give up on it. */
#define DEFAULT_TIMEOUT_MS 10000

/* The value of the "kind" attribute of the one item per account. */
#define KIND_CREDENTIALS "credentials"
#define FORMAT_VERSION   1

/* The items of the one-per-kind format, read for migration only. */
typedef enum
{
  LEGACY_REFRESH_TOKEN,
  LEGACY_ACCESS_TOKEN,  /* access + id token + expiry, as one JSON secret */
  LEGACY_PASSWORD,
  LEGACY_ADMIN_TOKEN,
  N_LEGACY_KINDS
} LegacyKind;

static const char * const legacy_kinds[N_LEGACY_KINDS] = {
  "refresh-token", "access-token", "password", "admin-token",
};

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

/* The same schema as the one-per-kind items: one search by account finds
 * both formats, which is what migration needs. */
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

static gboolean
legacy_kind_from_string (const char *str,
                         LegacyKind *out_kind)
{
  for (LegacyKind kind = 0; kind < N_LEGACY_KINDS; kind++)
    {
      if (g_strcmp0 (str, legacy_kinds[kind]) == 0)
        {
          *out_kind = kind;
          return TRUE;
        }
    }

  return FALSE;
}

/* What Seahorse shows: the person must recognise the item. */
static char *
make_label (TdAccount *account)
{
  const char *name = td_account_get_display_name (account);

  if (name == NULL || *name == '\0')
    name = td_account_get_username (account);
  if (name == NULL || *name == '\0')
    name = td_account_get_id (account);

  return g_strdup_printf (_("Token Desk: credentials for %s"), name);
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


/* A keyring daemon that died between answering a search and our reading of
 * its items leaves proxies without an owner and without their cached
 * properties; libsecret's getters then fail with a critical and answer
 * "locked". Such an item is asked nothing: the keyring is gone. */
static gboolean
item_is_alive (gpointer item)
{
  g_autofree char *owner = NULL;
  g_autoptr(GVariant) locked = NULL;
  g_autoptr(GVariant) attributes = NULL;

  if (!SECRET_IS_ITEM (item))
    return TRUE;

  owner = g_dbus_proxy_get_name_owner (G_DBUS_PROXY (item));
  locked = g_dbus_proxy_get_cached_property (G_DBUS_PROXY (item), "Locked");
  attributes = g_dbus_proxy_get_cached_property (G_DBUS_PROXY (item), "Attributes");

  return owner != NULL && locked != NULL && attributes != NULL;
}

static GError *
gone_error (void)
{
  return g_error_new (TD_ERROR, TD_ERROR_KEYRING_UNAVAILABLE,
                      _("The keyring stopped running: start it again (log out and in, or "
                        "start GNOME Keyring or KeePassXC) and try again"));
}

TdStoredSecrets *
td_stored_secrets_new (void)
{
  return g_new0 (TdStoredSecrets, 1);
}

TdStoredSecrets *
td_stored_secrets_copy (const TdStoredSecrets *self)
{
  TdStoredSecrets *copy;

  g_return_val_if_fail (self != NULL, NULL);

  copy = td_stored_secrets_new ();
  copy->tokens = self->tokens ? td_tokens_copy (self->tokens) : NULL;
  copy->password = g_strdup (self->password);
  copy->admin_token = g_strdup (self->admin_token);
  copy->legacy = self->legacy;

  return copy;
}

gboolean
td_stored_secrets_is_empty (const TdStoredSecrets *self)
{
  g_return_val_if_fail (self != NULL, TRUE);

  return (self->tokens == NULL ||
          (self->tokens->access_token == NULL && self->tokens->refresh_token == NULL)) &&
         self->password == NULL && self->admin_token == NULL;
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

/* Serialization ----------------------------------------------------------
 *
 * {"version":1,"access_token":…,"id_token":…,"expires_at":…,
 *  "refresh_token":…,"password":…,"admin_token":…}, null for what is not
 * there. Written by hand into a buffer sized for the worst case up front:
 * a GString that grew would leave copies of the secrets in the blocks it
 * freed, and json-glib's builder keeps copies in nodes nobody wipes. */

static gsize
json_string_room (const char *value)
{
  /* Every byte may become \u00XX; two quotes; or "null". */
  return value != NULL ? strlen (value) * 6 + 2 : 4;
}

static void
append_json_string (GString    *out,
                    const char *value)
{
  static const char hex[] = "0123456789abcdef";

  if (value == NULL)
    {
      g_string_append (out, "null");
      return;
    }

  g_string_append_c (out, '"');
  for (const guchar *p = (const guchar *) value; *p != '\0'; p++)
    {
      if (*p == '"' || *p == '\\')
        {
          g_string_append_c (out, '\\');
          g_string_append_c (out, *p);
        }
      else if (*p < 0x20)
        {
          g_string_append (out, "\\u00");
          g_string_append_c (out, hex[*p >> 4]);
          g_string_append_c (out, hex[*p & 0xf]);
        }
      else
        g_string_append_c (out, *p);
    }
  g_string_append_c (out, '"');
}

/* For td_secret_free (). */
static char *
serialize_secrets (const TdStoredSecrets *secrets)
{
  const TdTokens *tokens = secrets->tokens;
  const char *access_token = tokens != NULL ? tokens->access_token : NULL;
  const char *id_token = tokens != NULL ? tokens->id_token : NULL;
  const char *refresh_token = tokens != NULL ? tokens->refresh_token : NULL;
  gsize room = 256 + json_string_room (access_token) + json_string_room (id_token) +
               json_string_room (refresh_token) + json_string_room (secrets->password) +
               json_string_room (secrets->admin_token);
  GString *out = g_string_sized_new (room);

  g_string_append_printf (out, "{\"version\":%d,\"access_token\":", FORMAT_VERSION);
  append_json_string (out, access_token);
  g_string_append (out, ",\"id_token\":");
  append_json_string (out, id_token);
  g_string_append (out, ",\"expires_at\":");
  if (tokens == NULL || tokens->expires_at == TD_EXPIRES_NEVER)
    g_string_append (out, "null");
  else
    g_string_append_printf (out, "%" G_GINT64_FORMAT, tokens->expires_at);
  g_string_append (out, ",\"refresh_token\":");
  append_json_string (out, refresh_token);
  g_string_append (out, ",\"password\":");
  append_json_string (out, secrets->password);
  g_string_append (out, ",\"admin_token\":");
  append_json_string (out, secrets->admin_token);
  g_string_append_c (out, '}');

  /* Never grown, so never copied. */
  g_assert (out->len < room);

  return g_string_free (out, FALSE);
}

/* A string member, copied; NULL when absent or null. *ok turns FALSE when
 * the member is something else. json-glib has no way to wipe what it
 * parsed: the node's copy is wiped in place, the parser is freed next. */
static char *
take_string (JsonObject *object,
             const char *member,
             gboolean   *ok)
{
  JsonNode *node = json_object_get_member (object, member);
  char *parsed;
  char *value;

  if (node == NULL || JSON_NODE_HOLDS_NULL (node))
    return NULL;

  if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_STRING)
    {
      *ok = FALSE;
      return NULL;
    }

  parsed = (char *) json_node_get_string (node);
  value = g_strdup (parsed);
  explicit_bzero (parsed, strlen (parsed));

  return value;
}

static gboolean
take_expiry (JsonObject *object,
             gint64     *expires_at)
{
  JsonNode *node = json_object_get_member (object, "expires_at");

  if (node == NULL || JSON_NODE_HOLDS_NULL (node))
    *expires_at = TD_EXPIRES_NEVER;
  else if (JSON_NODE_HOLDS_VALUE (node) && json_node_get_value_type (node) == G_TYPE_INT64)
    *expires_at = json_node_get_int (node);
  else
    return FALSE;

  return TRUE;
}

static JsonObject *
parse_object (JsonParser *parser,
              const char *data)
{
  JsonNode *root;

  if (!json_parser_load_from_data (parser, data, -1, NULL))
    return NULL;

  root = json_parser_get_root (parser);
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    return NULL;

  return json_node_get_object (root);
}

/* NULL for an item that is not ours or was damaged: it is then ignored, as
 * if absent, and overwritten by the next save. */
static TdStoredSecrets *
parse_secrets (const char *data)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(TdStoredSecrets) secrets = td_stored_secrets_new ();
  g_autoptr(TdTokens) tokens = td_tokens_new ();
  JsonObject *object;
  JsonNode *version;
  gboolean ok = TRUE;

  if ((object = parse_object (parser, data)) == NULL)
    return NULL;

  version = json_object_get_member (object, "version");
  if (version == NULL || !JSON_NODE_HOLDS_VALUE (version) ||
      json_node_get_value_type (version) != G_TYPE_INT64 || json_node_get_int (version) < 1)
    return NULL;

  tokens->access_token = take_string (object, "access_token", &ok);
  tokens->id_token = take_string (object, "id_token", &ok);
  tokens->refresh_token = take_string (object, "refresh_token", &ok);
  secrets->password = take_string (object, "password", &ok);
  secrets->admin_token = take_string (object, "admin_token", &ok);
  if (!ok || !take_expiry (object, &tokens->expires_at))
    return NULL;

  if (tokens->access_token != NULL || tokens->refresh_token != NULL)
    secrets->tokens = g_steal_pointer (&tokens);

  return g_steal_pointer (&secrets);
}

/* The access-token item of the one-per-kind format: the access token, the
 * Senmo ID token and the expiry. */
static TdTokens *
parse_legacy_access (const char *data)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(TdTokens) tokens = td_tokens_new ();
  JsonObject *object;
  gboolean ok = TRUE;

  if ((object = parse_object (parser, data)) == NULL)
    return NULL;

  tokens->access_token = take_string (object, "access_token", &ok);
  tokens->id_token = take_string (object, "id_token", &ok);
  if (!ok || tokens->access_token == NULL || !take_expiry (object, &tokens->expires_at))
    return NULL;

  return g_steal_pointer (&tokens);
}

/* What the items of one account said: the one item, and whatever the
 * items of the one-per-kind format held, first item of each kind first
 * (the search lists unlocked items first). */
typedef struct
{
  TdStoredSecrets *current;
  TdStoredSecrets *legacy;
  TdTokens        *legacy_access;
  char            *legacy_refresh;
} Found;

static void
found_free (Found *found)
{
  g_clear_pointer (&found->current, td_stored_secrets_free);
  g_clear_pointer (&found->legacy, td_stored_secrets_free);
  g_clear_pointer (&found->legacy_access, td_tokens_free);
  td_secret_free (found->legacy_refresh);
  g_free (found);
}

static void
found_take (Found      *found,
            const char *kind_name,
            const char *text)
{
  LegacyKind kind;

  /* Not text: not one of ours, ignore it. */
  if (text == NULL)
    return;

  if (g_strcmp0 (kind_name, KIND_CREDENTIALS) == 0)
    {
      if (found->current == NULL && (found->current = parse_secrets (text)) == NULL)
        g_debug ("Ignoring a damaged credentials item");
      return;
    }

  if (!legacy_kind_from_string (kind_name, &kind))
    return;

  if (found->legacy == NULL)
    found->legacy = td_stored_secrets_new ();

  switch (kind)
    {
    case LEGACY_REFRESH_TOKEN:
      if (found->legacy_refresh == NULL)
        found->legacy_refresh = g_strdup (text);
      break;

    case LEGACY_ACCESS_TOKEN:
      if (found->legacy_access == NULL &&
          (found->legacy_access = parse_legacy_access (text)) == NULL)
        g_debug ("Ignoring a damaged access-token item");
      break;

    case LEGACY_PASSWORD:
      if (found->legacy->password == NULL)
        found->legacy->password = g_strdup (text);
      break;

    case LEGACY_ADMIN_TOKEN:
      if (found->legacy->admin_token == NULL)
        found->legacy->admin_token = g_strdup (text);
      break;

    case N_LEGACY_KINDS:
    default:
      g_assert_not_reached ();
    }
}

/* The new item wins whole when there is one: it was written from
 * everything the old items held (by the migration) or later, and taking a
 * field from an old item could bring back a token signed out since. */
static TdStoredSecrets *
found_finish (Found *found)
{
  gboolean legacy = found->legacy != NULL;
  TdStoredSecrets *secrets;

  if (found->current != NULL)
    secrets = g_steal_pointer (&found->current);
  else if (found->legacy != NULL)
    {
      secrets = g_steal_pointer (&found->legacy);
      if (found->legacy_access != NULL || found->legacy_refresh != NULL)
        {
          secrets->tokens = found->legacy_access ? g_steal_pointer (&found->legacy_access)
                                                 : td_tokens_new ();
          secrets->tokens->refresh_token = g_steal_pointer (&found->legacy_refresh);
        }
    }
  else
    secrets = td_stored_secrets_new ();

  secrets->legacy = legacy;

  return secrets;
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

/* Search -----------------------------------------------------------------
 *
 * Every search of the keyring goes through here: our items (of one
 * account, or all when account_id is NULL), searched again when one
 * vanished. The error is libsecret's, for the caller to map. */

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

/* NULL when every item can be used; else why not: the keyring died under
 * them, or some are locked (and stay so: SECRET_SEARCH_UNLOCK asked once
 * for every locked item). Only items of the Secret Service can be locked;
 * the portal's file backend has SecretRetrievables that are not
 * SecretItems. */
static GError *
check_items (const GList *items)
{
  gboolean locked = FALSE;

  for (const GList *l = items; l; l = l->next)
    {
      if (!item_is_alive (l->data))
        return gone_error ();
      if (SECRET_IS_ITEM (l->data) && secret_item_get_locked (SECRET_ITEM (l->data)))
        locked = TRUE;
    }

  return locked ? locked_error () : NULL;
}

/* Load -------------------------------------------------------------------
 *
 * One account: a lookup of its one item first, which is what `tokendesk
 * token` costs, as cheap as `secret-tool lookup`. Only when there is none
 * (an account of the older format, or none at all) does a search of all
 * its items follow. Every account (`tokendesk list`): one search. */

typedef struct
{
  char       *account_id;  /* NULL: every account */
  gboolean    search_only;
  GHashTable *found;       /* account id → Found */
  guint       pending;
  GError     *error;
} Load;

static void
load_free (Load *load)
{
  g_free (load->account_id);
  g_clear_pointer (&load->found, g_hash_table_unref);
  g_clear_error (&load->error);
  g_free (load);
}

static Load *
load_new (const char *account_id)
{
  Load *load = g_new0 (Load, 1);

  load->account_id = g_strdup (account_id);
  load->found = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                       (GDestroyNotify)found_free);

  return load;
}

static void
load_take (Load       *load,
           GHashTable *attributes,
           const char *text)
{
  const char *account_id = g_hash_table_lookup (attributes, "account");
  Found *found;

  if (account_id == NULL ||
      (load->account_id != NULL && g_strcmp0 (account_id, load->account_id) != 0))
    return;

  if ((found = g_hash_table_lookup (load->found, account_id)) == NULL)
    {
      found = g_new0 (Found, 1);
      g_hash_table_insert (load->found, g_strdup (account_id), found);
    }

  found_take (found, g_hash_table_lookup (attributes, "kind"), text);
}

static void
load_complete (GTask *task)
{
  Load *load = g_task_get_task_data (task);
  g_autoptr(GHashTable) all = NULL;
  GHashTableIter iter;
  gpointer key, value;

  if (load->error != NULL)
    {
      g_task_return_error (task, g_steal_pointer (&load->error));
      return;
    }

  if (load->account_id != NULL)
    {
      Found *found = g_hash_table_lookup (load->found, load->account_id);

      g_task_return_pointer (task, found ? found_finish (found) : td_stored_secrets_new (),
                             (GDestroyNotify)td_stored_secrets_free);
      return;
    }

  all = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                               (GDestroyNotify)td_stored_secrets_free);
  g_hash_table_iter_init (&iter, load->found);
  while (g_hash_table_iter_next (&iter, &key, &value))
    g_hash_table_insert (all, g_strdup (key), found_finish (value));

  g_task_return_pointer (task, g_steal_pointer (&all), (GDestroyNotify)g_hash_table_unref);
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
  if (value != NULL && item_is_alive (item))
    {
      g_autoptr(GHashTable) attributes = secret_retrievable_get_attributes (item);

      load_take (load, attributes, secret_value_get_text (value));
    }
  else if (value != NULL)
    {
      if (load->error == NULL)
        load->error = gone_error ();
    }
  else if (is_vanished_item (error))
    g_debug ("A secret went away while it was being read");
  else if (error != NULL && load->error == NULL)
    load->error = map_error (g_steal_pointer (&error), g_task_get_cancellable (task));

  if (load->pending == 0)
    load_complete (task);
}

/* Reads what the search found: the Secret Service's values were loaded in
 * one call (secrets_loaded_cb); the portal's items are not SecretItems and
 * are read the portable way, one retrieval each. */
static void
take_items (GTask *task,
            GList *items)
{
  Load *load = g_task_get_task_data (task);

  /* One pending count for this loop, so that no retrieval completing
   * early can finish the load before every item was looked at. */
  load->pending = 1;

  for (const GList *l = items; l; l = l->next)
    {
      g_autoptr(GHashTable) attributes = secret_retrievable_get_attributes (l->data);
      g_autoptr(SecretValue) value = NULL;

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
}

typedef struct
{
  GTask *task;
  GList *items;
} LoadSecrets;

static void
secrets_loaded_cb (GObject      *object,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  LoadSecrets *loading = user_data;
  g_autoptr(GTask) task = loading->task;
  GList *items = loading->items;
  g_autoptr(GError) error = NULL;

  g_free (loading);

  if (!secret_item_load_secrets_finish (result, &error))
    g_task_return_error (task, map_error (g_steal_pointer (&error),
                                          g_task_get_cancellable (task)));
  else if ((error = check_items (items)) != NULL)
    g_task_return_error (task, g_steal_pointer (&error));
  else
    take_items (task, items);

  item_list_free (items);
}

static void
searched_cb (GObject      *object,
             GAsyncResult *result,
             gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  GList *items;
  g_autoptr(GError) error = NULL;

  items = search_items_finish (result, &error);
  if (error != NULL)
    {
      g_task_return_error (task, map_error (g_steal_pointer (&error),
                                            g_task_get_cancellable (task)));
      return;
    }

  if ((error = check_items (items)) != NULL)
    {
      item_list_free (items);
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  /* The Secret Service's values in one call rather than a round trip per
   * item. Not SECRET_SEARCH_LOAD_SECRETS: libsecret 0.20.5 then loads them
   * inside its own search callback and asks items whose daemon just died
   * whether they are locked (a GLib critical) before check_items () could
   * see it. Here nothing is dispatched between check_items () and the
   * call, so the items are known alive when it starts. */
  if (items != NULL && SECRET_IS_ITEM (items->data))
    {
      LoadSecrets *loading = g_new0 (LoadSecrets, 1);

      loading->task = g_steal_pointer (&task);
      loading->items = items;
      secret_item_load_secrets (items, g_task_get_cancellable (loading->task),
                                secrets_loaded_cb, loading);
      return;
    }

  take_items (task, items);
  item_list_free (items);
}

static void
load_search (GTask *task)
{
  Load *load = g_task_get_task_data (task);

  /* One search for every item rather than one lookup per item: a locked
   * keyring prompts once. */
  search_items_async (load->account_id,
                      SECRET_SEARCH_ALL | SECRET_SEARCH_UNLOCK,
                      g_task_get_cancellable (task), searched_cb, g_object_ref (task));
}

static void
looked_up_cb (GObject      *object,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(GError) error = NULL;
  TdStoredSecrets *secrets;
  char *text;

  text = secret_password_lookup_finish (result, &error);
  if (text != NULL)
    {
      secrets = parse_secrets (text);
      /* Wipes it. */
      secret_password_free (text);
      if (secrets != NULL)
        {
          g_task_return_pointer (task, secrets, (GDestroyNotify)td_stored_secrets_free);
          return;
        }
      g_debug ("The credentials item is damaged: reading every item of the account");
    }
  else if (error != NULL && !is_vanished_item (error))
    {
      g_task_return_error (task, map_error (g_steal_pointer (&error),
                                            g_task_get_cancellable (task)));
      return;
    }

  /* None: an account of the older format, a locked item whose unlock was
   * dismissed (the search tells), or nothing at all. */
  load_search (g_steal_pointer (&task));
}

static void
load_start (GTask *task)
{
  Load *load = g_task_get_task_data (task);

  if (load->search_only)
    {
      load_search (task);
      return;
    }

  secret_password_lookup (get_schema (), g_task_get_cancellable (task),
                          looked_up_cb, g_object_ref (task),
                          "account", load->account_id,
                          "kind", KIND_CREDENTIALS,
                          NULL);
}

/* ACCOUNT_ID NULL: every account's items, in one search. */
static void
load_submit (Call       *call,
             const char *account_id,
             gboolean    search_only)
{
  Load *load = load_new (account_id);

  load->search_only = search_only;
  g_task_set_task_data (call->inner, load, (GDestroyNotify)load_free);
  call_submit (call, load_start);
}

void
td_token_store_load_async (TdTokenStore        *self,
                           TdAccount           *account,
                           GCancellable        *cancellable,
                           GAsyncReadyCallback  callback,
                           gpointer             user_data)
{
  Call *call;

  g_return_if_fail (TD_IS_TOKEN_STORE (self));
  g_return_if_fail (TD_IS_ACCOUNT (account));
  g_return_if_fail (!cancellable || G_IS_CANCELLABLE (cancellable));

  call = call_new (self, cancellable, callback, user_data, td_token_store_load_async,
                   (GDestroyNotify)td_stored_secrets_free);
  load_submit (call, td_account_get_id (account), FALSE);
}

void
td_token_store_scan_async (TdTokenStore        *self,
                           TdAccount           *account,
                           GCancellable        *cancellable,
                           GAsyncReadyCallback  callback,
                           gpointer             user_data)
{
  Call *call;

  g_return_if_fail (TD_IS_TOKEN_STORE (self));
  g_return_if_fail (TD_IS_ACCOUNT (account));
  g_return_if_fail (!cancellable || G_IS_CANCELLABLE (cancellable));

  call = call_new (self, cancellable, callback, user_data, td_token_store_load_async,
                   (GDestroyNotify)td_stored_secrets_free);
  load_submit (call, td_account_get_id (account), TRUE);
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

void
td_token_store_load_all_async (TdTokenStore        *self,
                               GCancellable        *cancellable,
                               GAsyncReadyCallback  callback,
                               gpointer             user_data)
{
  Call *call;

  g_return_if_fail (TD_IS_TOKEN_STORE (self));
  g_return_if_fail (!cancellable || G_IS_CANCELLABLE (cancellable));

  call = call_new (self, cancellable, callback, user_data, td_token_store_load_all_async,
                   (GDestroyNotify)g_hash_table_unref);
  load_submit (call, NULL, TRUE);
}

GHashTable *
td_token_store_load_all_finish (TdTokenStore  *self,
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
  GList *items;

  items = search_items_finish (result, &error);
  if (error != NULL)
    {
      g_task_return_error (task, map_error (g_steal_pointer (&error),
                                            g_task_get_cancellable (task)));
      return;
    }

  error = check_items (items);
  item_list_free (items);

  if (error != NULL)
    g_task_return_error (task, g_steal_pointer (&error));
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

/* Writes inside Flatpak ---------------------------------------------------
 *
 * Inside Flatpak every account's secrets share one file, which libsecret
 * writes whole from what it read. Two things follow for each write, a
 * save's or a clear's:
 *
 * - libsecret refuses ("The file was externally modified") when another
 *   process wrote the file meanwhile, say a `tokendesk token` renewing
 *   another account: the file is read again and the write done again on
 *   top of it, or what that process wrote would be lost.
 * - its check that nobody wrote the file and its rename are two steps, and
 *   two processes writing two accounts at once could both pass the check:
 *   the later rename lost the other account's new tokens (one run of the
 *   flatpak suite in about twenty). So a write holds a lock on the whole
 *   file, beside the accounts' locks (always taken after an account's,
 *   never before), and reads the file again under it. */
#define MAX_CONFLICTS 3
#define FILE_LOCK_NAME "keyring-file"

typedef void (*WriteStart) (GTask *task);

typedef struct
{
  GTask          *task;
  WriteStart      start;
  TdAccountLock **file_lock;  /* in the task's data */
} FileStep;

static FileStep *
file_step_new (GTask          *task,
               WriteStart      start,
               TdAccountLock **file_lock)
{
  FileStep *step = g_new0 (FileStep, 1);

  step->task = g_object_ref (task);
  step->start = start;
  step->file_lock = file_lock;
  return step;
}

static void
file_step_free (FileStep *step)
{
  g_object_unref (step->task);
  g_free (step);
}

static void
file_reopened_cb (GObject      *object,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  FileStep *step = user_data;
  GError *error = NULL;

  if (!td_keyring_backend_open_finish (result, &error))
    g_task_return_error (step->task, error);
  else
    step->start (step->task);

  file_step_free (step);
}

/* TRUE when ERROR was a conflict on the file and START runs again on the
 * file as it is now. */
static gboolean
keyring_file_retry (GTask        *task,
                    guint        *conflicts,
                    const GError *error,
                    WriteStart    start)
{
  if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_WRONG_ETAG) || *conflicts >= MAX_CONFLICTS)
    return FALSE;

  g_debug ("The keyring file changed under us: reading it again");
  (*conflicts)++;
  td_keyring_backend_open_async (TRUE, g_task_get_cancellable (task), file_reopened_cb,
                                 file_step_new (task, start, NULL));
  return TRUE;
}

static void
file_locked_cb (GObject      *object,
                GAsyncResult *result,
                gpointer      user_data)
{
  FileStep *step = user_data;
  GError *error = NULL;

  *step->file_lock = td_account_lock_acquire_finish (result, &error);
  if (*step->file_lock == NULL)
    {
      g_task_return_error (step->task, error);
      file_step_free (step);
      return;
    }

  td_keyring_backend_open_async (TRUE, g_task_get_cancellable (step->task), file_reopened_cb,
                                 step);
}

/* TRUE when the write has to wait for the file's lock (inside Flatpak, the
 * first time): START runs again once it is held, FILE_LOCK set. */
static gboolean
keyring_file_lock (GTask          *task,
                   TdAccountLock **file_lock,
                   WriteStart      start)
{
  if (*file_lock != NULL || !td_keyring_backend_is_file ())
    return FALSE;

  td_account_lock_acquire_async (FILE_LOCK_NAME, g_task_get_cancellable (task), file_locked_cb,
                                 file_step_new (task, start, file_lock));
  return TRUE;
}

/* Clear ------------------------------------------------------------------ */

typedef struct
{
  char          *account_id;
  guint          conflicts;
  TdAccountLock *file_lock;  /* inside Flatpak, as a save's (below) */
} Clear;

static void
clear_free (Clear *clear)
{
  g_free (clear->account_id);
  g_clear_pointer (&clear->file_lock, td_account_lock_release);
  g_free (clear);
}

static void clear_start (GTask *task);

static void
cleared_cb (GObject      *object,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  Clear *clear = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;

  /* FALSE without an error: there was nothing to clear. */
  if (!secret_password_clear_finish (result, &error) && error != NULL)
    {
      if (keyring_file_retry (task, &clear->conflicts, error, clear_start))
        return;
      g_task_return_error (task, map_error (g_steal_pointer (&error),
                                            g_task_get_cancellable (task)));
    }
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

  items = search_items_finish (result, &error);
  if (error != NULL)
    {
      g_task_return_error (task, map_error (g_steal_pointer (&error), cancellable));
      return;
    }

  /* secret_password_clear skips locked items and still succeeds: the
   * account would be gone and its secrets left behind. */
  error = check_items (items);
  item_list_free (items);
  if (error != NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  /* Every item of the account, of either format. */
  secret_password_clear (get_schema (), cancellable, cleared_cb, g_object_ref (task),
                         "account", clear->account_id,
                         NULL);
}

static void
clear_start (GTask *task)
{
  Clear *clear = g_task_get_task_data (task);

  if (keyring_file_lock (task, &clear->file_lock, clear_start))
    return;

  search_items_async (clear->account_id, SECRET_SEARCH_ALL | SECRET_SEARCH_UNLOCK,
                      g_task_get_cancellable (task), clear_searched_cb, g_object_ref (task));
}

static void
clear_submit (Call       *call,
              const char *account_id)
{
  Clear *clear = g_new0 (Clear, 1);

  clear->account_id = g_strdup (account_id);
  g_task_set_task_data (call->inner, clear, (GDestroyNotify)clear_free);
  call_submit (call, clear_start);
}

void
td_token_store_clear_async (TdTokenStore        *self,
                            const char          *account_id,
                            GCancellable        *cancellable,
                            GAsyncReadyCallback  callback,
                            gpointer             user_data)
{
  Call *call;

  g_return_if_fail (TD_IS_TOKEN_STORE (self));
  g_return_if_fail (account_id != NULL);
  g_return_if_fail (!cancellable || G_IS_CANCELLABLE (cancellable));

  call = call_new (self, cancellable, callback, user_data, td_token_store_clear_async, NULL);
  clear_submit (call, account_id);
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

/* Save -------------------------------------------------------------------
 *
 * One write of the whole set: secret_password_store replaces the item
 * with the same attributes in one Secret Service call (CreateItem with
 * replace), so the keyring holds the old set or the new one, never half
 * of each. Then, once, the items of the older format go. */

typedef struct
{
  char     *account_id;
  char     *label;
  char     *data;     /* serialized secrets, wiped when freed */
  gboolean  legacy;
  guint     pending;
  guint     conflicts;
  TdAccountLock *file_lock;  /* inside Flatpak: the whole file's, held to the end */
} Save;

static void
save_free (Save *save)
{
  g_free (save->account_id);
  g_free (save->label);
  td_secret_free (save->data);
  g_clear_pointer (&save->file_lock, td_account_lock_release);
  g_free (save);
}

static void
legacy_cleared_cb (GObject      *object,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  Save *save = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;

  /* The new item is stored and is the one read: an old item left behind
   * is only clutter, removed by the next save. */
  if (!secret_password_clear_finish (result, &error) && error != NULL)
    g_debug ("Could not remove an item of the older format of account %s: %s",
             save->account_id, error->message);

  if (--save->pending == 0)
    g_task_return_boolean (task, TRUE);
}

static void save_start (GTask *task);

static void
stored_cb (GObject      *object,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  Save *save = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;

  if (!secret_password_store_finish (result, &error) &&
      keyring_file_retry (task, &save->conflicts, error, save_start))
    return;

  /* Not needed any more: wipe it now rather than when the call ends. */
  g_clear_pointer (&save->data, td_secret_free);

  if (error != NULL)
    {
      g_task_return_error (task, map_error (g_steal_pointer (&error),
                                            g_task_get_cancellable (task)));
      return;
    }

  if (!save->legacy)
    {
      g_task_return_boolean (task, TRUE);
      return;
    }

  g_debug ("Account %s: removing the items of the older format", save->account_id);
  save->pending = N_LEGACY_KINDS;
  for (LegacyKind kind = 0; kind < N_LEGACY_KINDS; kind++)
    secret_password_clear (get_schema (), g_task_get_cancellable (task),
                           legacy_cleared_cb, g_object_ref (task),
                           "account", save->account_id,
                           "kind", legacy_kinds[kind],
                           NULL);
}

static void
save_start (GTask *task)
{
  Save *save = g_task_get_task_data (task);

  if (keyring_file_lock (task, &save->file_lock, save_start))
    return;

  secret_password_store (get_schema (), SECRET_COLLECTION_DEFAULT, save->label, save->data,
                         g_task_get_cancellable (task), stored_cb, g_object_ref (task),
                         "account", save->account_id,
                         "kind", KIND_CREDENTIALS,
                         NULL);
}

void
td_token_store_save_async (TdTokenStore          *self,
                           TdAccount             *account,
                           const TdStoredSecrets *secrets,
                           GCancellable          *cancellable,
                           GAsyncReadyCallback    callback,
                           gpointer               user_data)
{
  Call *call;
  Save *save;

  g_return_if_fail (TD_IS_TOKEN_STORE (self));
  g_return_if_fail (TD_IS_ACCOUNT (account));
  g_return_if_fail (secrets != NULL);
  g_return_if_fail (!cancellable || G_IS_CANCELLABLE (cancellable));

  call = call_new (self, cancellable, callback, user_data, td_token_store_save_async, NULL);

  /* Nothing left to keep: no empty item, none at all. */
  if (td_stored_secrets_is_empty (secrets))
    {
      clear_submit (call, td_account_get_id (account));
      return;
    }

  save = g_new0 (Save, 1);
  save->account_id = g_strdup (td_account_get_id (account));
  save->label = make_label (account);
  save->data = serialize_secrets (secrets);
  save->legacy = secrets->legacy;
  g_task_set_task_data (call->inner, save, (GDestroyNotify)save_free);

  call_submit (call, save_start);
}

gboolean
td_token_store_save_finish (TdTokenStore  *self,
                            GAsyncResult  *result,
                            GError       **error)
{
  g_return_val_if_fail (TD_IS_TOKEN_STORE (self), FALSE);
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}
