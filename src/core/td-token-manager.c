/* td-token-manager.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "td-token-manager"

#include "config.h"

#include <glib/gi18n-lib.h>

#include "td-account-lock.h"
#include "td-keyring-backend.h"
#include "td-error.h"
#include "td-provider.h"
#include "td-token-manager.h"

/* How a token is renewed, in order: another process may already have done
 * it (re-read the keyring under the account lock), then the refresh token,
 * then a remembered password. Only one renewal per account runs at a time
 * in this process; later requests wait for it instead of calling the
 * vendor again.
 *
 * Whatever changes the keyring's set of secrets (a renewal, a sign-in, a
 * pasted administrative token, a forgotten password, a sign-out, the
 * migration from the older format) does so under the account lock, from
 * a set it read under that lock, in one write.
 *
 * With a vendor whose renewals revoke the tokens before them (Cover
 * Whale), the lock file carries a mark while the vendor is being asked
 * (td-account-lock.h). A token is never handed out from the keyring while
 * the mark is there: the renewal that set it is still running, or died
 * after the vendor may have revoked what the keyring holds. Then the
 * account is renewed under the lock, with the refresh token, else the
 * remembered password, else it needs signing in. */

struct _TdTokenManager
{
  GObject       parent_instance;

  TdTokenStore *store;
  GHashTable   *renewals;  /* account id → Renewal */

  /* Keyring reads in the background, accounts on screen first */
  GQueue        load_queue;    /* TdAccount, owned */
  GHashTable   *loads_pending; /* TdAccount (owned) queued or being read */
  guint         loads_in_flight;
};

/* Keyring reads in flight at once while loading in the background: enough
 * to hide the round trips, few enough to leave the main loop to the UI. */
#define MAX_BACKGROUND_LOADS 4

G_DEFINE_FINAL_TYPE (TdTokenManager, td_token_manager, G_TYPE_OBJECT)

typedef struct
{
  TdTokenManager  *manager;  /* unowned: a renewal holds a ref through its waiters' tasks */
  TdAccount       *account;
  TdProvider      *provider;
  GPtrArray       *waiters;  /* GTask, each with a Waiter as task data */
  TdAccountLock   *lock;
  TdStoredSecrets *secrets;
  TdTokens        *tokens;   /* the new tokens, once the vendor gave them */
  guint            min_valid;
  gboolean         force;
  gboolean         refresh_rejected;
  char            *refresh_error;
  gboolean         interrupted;   /* the lock came with the mark: the stored tokens may be revoked */
  gboolean         refresh_next;  /* which vendor call waits for the mark */
  GError          *end_error;     /* while the mark is being cleared */
  gint64           answered_at;   /* monotonic, when the vendor's tokens arrived */
} Renewal;

typedef struct
{
  guint         min_valid;
  GCancellable *cancellable;
  gulong        cancelled_id;
  gboolean      returned;
} Waiter;

static void
waiter_free (Waiter *waiter)
{
  if (waiter->cancelled_id != 0)
    g_cancellable_disconnect (waiter->cancellable, waiter->cancelled_id);
  g_clear_object (&waiter->cancellable);
  g_free (waiter);
}

static void
renewal_free (Renewal *renewal)
{
  g_clear_pointer (&renewal->waiters, g_ptr_array_unref);
  g_clear_pointer (&renewal->lock, td_account_lock_release);
  g_clear_pointer (&renewal->secrets, td_stored_secrets_free);
  g_clear_pointer (&renewal->tokens, td_tokens_free);
  g_clear_object (&renewal->account);
  g_free (renewal->refresh_error);
  g_clear_error (&renewal->end_error);
  g_free (renewal);
}

static void
td_token_manager_dispose (GObject *object)
{
  TdTokenManager *self = (TdTokenManager *)object;

  g_queue_clear_full (&self->load_queue, g_object_unref);
  g_hash_table_remove_all (self->loads_pending);

  G_OBJECT_CLASS (td_token_manager_parent_class)->dispose (object);
}

static void
td_token_manager_finalize (GObject *object)
{
  TdTokenManager *self = (TdTokenManager *)object;

  g_clear_object (&self->store);
  g_clear_pointer (&self->renewals, g_hash_table_unref);
  g_clear_pointer (&self->loads_pending, g_hash_table_unref);

  G_OBJECT_CLASS (td_token_manager_parent_class)->finalize (object);
}

static void
td_token_manager_class_init (TdTokenManagerClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = td_token_manager_dispose;
  object_class->finalize = td_token_manager_finalize;
}

static void
td_token_manager_init (TdTokenManager *self)
{
  self->renewals = g_hash_table_new (g_str_hash, g_str_equal);
  g_queue_init (&self->load_queue);
  self->loads_pending = g_hash_table_new_full (NULL, NULL, g_object_unref, NULL);
}

TdTokenManager *
td_token_manager_new (TdTokenStore *store)
{
  TdTokenManager *self;

  g_return_val_if_fail (!store || TD_IS_TOKEN_STORE (store), NULL);

  self = g_object_new (TD_TYPE_TOKEN_MANAGER, NULL);
  g_set_object (&self->store, store);

  return self;
}

TdTokenStore *
td_token_manager_get_store (TdTokenManager *self)
{
  g_return_val_if_fail (TD_IS_TOKEN_MANAGER (self), NULL);
  return self->store;
}

static TdProvider *
lookup_provider (TdAccount  *account,
                 GError    **error)
{
  TdProvider *provider = td_provider_get_for_vendor (td_account_get_vendor (account));

  if (provider == NULL)
    g_set_error (error, TD_ERROR, TD_ERROR_NOT_SUPPORTED,
                 _("Token Desk does not know the vendor “%s”"),
                 td_account_get_vendor (account));

  return provider;
}

/* Waiters ---------------------------------------------------------------- */

static void
waiter_return (GTask  *task,
               char   *token,
               GError *error)
{
  Waiter *waiter = g_task_get_task_data (task);

  if (waiter->returned)
    {
      g_free (token);
      g_clear_error (&error);
      return;
    }

  waiter->returned = TRUE;

  if (error != NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, token, (GDestroyNotify)td_secret_free);
}

static gboolean
waiter_cancelled_idle (gpointer user_data)
{
  GTask *task = user_data;

  waiter_return (task, NULL, g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CANCELLED,
                                                  _("Operation was cancelled")));
  return G_SOURCE_REMOVE;
}

/* The renewal goes on for the others; only this caller stops waiting. The
 * return is deferred to an idle: a GCancellable handler must not re-enter. */
static void
waiter_cancelled_cb (GCancellable *cancellable,
                     GTask        *task)
{
  g_idle_add_full (G_PRIORITY_DEFAULT, waiter_cancelled_idle,
                   g_object_ref (task), g_object_unref);
}

static GTask *
new_waiter (TdTokenManager      *self,
            guint                min_valid,
            GCancellable        *cancellable,
            GAsyncReadyCallback  callback,
            gpointer             user_data,
            gpointer             source_tag)
{
  GTask *task = g_task_new (self, cancellable, callback, user_data);
  Waiter *waiter = g_new0 (Waiter, 1);

  g_task_set_source_tag (task, source_tag);
  waiter->min_valid = min_valid;
  g_task_set_task_data (task, waiter, (GDestroyNotify)waiter_free);

  if (cancellable != NULL)
    {
      waiter->cancellable = g_object_ref (cancellable);
      waiter->cancelled_id = g_cancellable_connect (cancellable,
                                                    G_CALLBACK (waiter_cancelled_cb),
                                                    task, NULL);
    }

  return task;
}

/* A vendor call that failed this way issued no tokens, so revoked none:
 * the mark set for it can go. A call that timed out, or whose answer we
 * could not read, may have issued some. */
static gboolean
vendor_issued_nothing (const GError *error)
{
  if (error->domain != TD_ERROR)
    return FALSE;

  switch ((TdError) error->code)
    {
    case TD_ERROR_BAD_CREDENTIALS:
    case TD_ERROR_TWO_FACTOR_REQUIRED:
    case TD_ERROR_ACCESS_DENIED:
    case TD_ERROR_NEEDS_SIGN_IN:
    case TD_ERROR_UNREACHABLE:
    case TD_ERROR_INSECURE:
    case TD_ERROR_INVALID_ENDPOINT:
    case TD_ERROR_NOT_SUPPORTED:
      return TRUE;

    case TD_ERROR_TIMED_OUT:
    case TD_ERROR_INVALID_RESPONSE:
    case TD_ERROR_KEYRING_UNAVAILABLE:
    case TD_ERROR_FAILED:
    default:
      return FALSE;
    }
}

static gboolean
needs_mark (TdProvider *provider)
{
  return td_provider_has_feature (provider, TD_PROVIDER_FEATURE_REVOKES_EARLIER);
}

/* Editing the stored set -------------------------------------------------
 *
 * Lock, read every item of the account, change the set, write it in one
 * go, unlock. Also the migration from the older format (no change: the
 * write is the migration). */

typedef enum
{
  EDIT_MIGRATE            = 0,
  EDIT_SET_ADMIN_TOKEN    = 1 << 0,
  EDIT_FORGET_PASSWORD    = 1 << 1,
  EDIT_FORGET_ADMIN_TOKEN = 1 << 2,
  EDIT_DROP_TOKENS        = 1 << 3,
  EDIT_REMOVE             = 1 << 4,
} EditFlags;

typedef struct
{
  TdAccount       *account;
  TdAccountLock   *lock;
  EditFlags        flags;
  char            *admin_token;
  TdStoredSecrets *secrets;
} Edit;

static void
edit_free (Edit *edit)
{
  g_clear_object (&edit->account);
  g_clear_pointer (&edit->lock, td_account_lock_release);
  td_secret_free (edit->admin_token);
  g_clear_pointer (&edit->secrets, td_stored_secrets_free);
  g_free (edit);
}

static void
edit_done (GTask *task)
{
  Edit *edit = g_task_get_task_data (task);

  g_clear_pointer (&edit->lock, td_account_lock_release);
  g_task_return_pointer (task, g_steal_pointer (&edit->secrets),
                         (GDestroyNotify)td_stored_secrets_free);
}

static void
edit_unmarked_cb (GObject      *object,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(GError) error = NULL;

  /* Left set, it only costs one renewal more. */
  if (!td_account_lock_mark_finish (result, &error))
    g_debug ("Could not clear the renewal mark: %s", error->message);

  edit_done (task);
}

static void
edit_saved_cb (GObject      *object,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  Edit *edit = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  gboolean saved;

  if (edit->flags & EDIT_REMOVE)
    saved = td_token_store_clear_finish (TD_TOKEN_STORE (object), result, &error);
  else
    saved = td_token_store_save_finish (TD_TOKEN_STORE (object), result, &error);

  if (!saved)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  edit->secrets->legacy = FALSE;

  /* No tokens left, so none that may be revoked. */
  if ((edit->flags & (EDIT_DROP_TOKENS | EDIT_REMOVE)) && td_account_lock_is_marked (edit->lock))
    {
      td_account_lock_mark_async (edit->lock, FALSE, edit_unmarked_cb, g_steal_pointer (&task));
      return;
    }

  edit_done (task);
}

static void
edit_loaded_cb (GObject      *object,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  Edit *edit = g_task_get_task_data (task);
  TdTokenStore *store = TD_TOKEN_STORE (object);
  TdStoredSecrets *secrets;
  g_autoptr(GError) error = NULL;

  secrets = edit->secrets = td_token_store_load_finish (store, result, &error);
  if (secrets == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  /* Migrated meanwhile by another process. */
  if (edit->flags == EDIT_MIGRATE && !secrets->legacy)
    {
      edit_done (task);
      return;
    }

  if (edit->flags & EDIT_SET_ADMIN_TOKEN)
    {
      td_secret_free (secrets->admin_token);
      secrets->admin_token = g_strdup (edit->admin_token);
    }
  if (edit->flags & EDIT_FORGET_PASSWORD)
    g_clear_pointer (&secrets->password, td_secret_free);
  if (edit->flags & EDIT_FORGET_ADMIN_TOKEN)
    g_clear_pointer (&secrets->admin_token, td_secret_free);
  if (edit->flags & EDIT_DROP_TOKENS)
    g_clear_pointer (&secrets->tokens, td_tokens_free);

  if (edit->flags & EDIT_REMOVE)
    {
      g_clear_pointer (&edit->secrets, td_stored_secrets_free);
      edit->secrets = td_stored_secrets_new ();
      td_token_store_clear_async (store, td_account_get_id (edit->account),
                                  g_task_get_cancellable (task), edit_saved_cb,
                                  g_object_ref (task));
      return;
    }

  td_token_store_save_async (store, edit->account, secrets, g_task_get_cancellable (task),
                             edit_saved_cb, g_object_ref (task));
}

static void
edit_locked_cb (GObject      *object,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  TdTokenManager *self = g_task_get_source_object (task);
  Edit *edit = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;

  edit->lock = td_account_lock_acquire_finish (result, &error);
  if (edit->lock == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  /* A search, not the lookup: it also finds the items of the older
   * format, for the write to remove. */
  td_token_store_scan_async (self->store, edit->account, g_task_get_cancellable (task),
                             edit_loaded_cb, g_object_ref (task));
}

static void
edit_secrets_async (TdTokenManager      *self,
                    TdAccount           *account,
                    EditFlags            flags,
                    const char          *admin_token,
                    GCancellable        *cancellable,
                    GAsyncReadyCallback  callback,
                    gpointer             user_data)
{
  g_autoptr(GTask) task = g_task_new (self, cancellable, callback, user_data);
  Edit *edit = g_new0 (Edit, 1);

  g_assert (self->store != NULL);

  g_task_set_source_tag (task, edit_secrets_async);
  edit->account = g_object_ref (account);
  edit->flags = flags;
  edit->admin_token = g_strdup (admin_token);
  g_task_set_task_data (task, edit, (GDestroyNotify)edit_free);

  td_account_lock_acquire_async (td_account_get_id (account), cancellable,
                                 edit_locked_cb, g_steal_pointer (&task));
}

/* The set as the keyring now holds it. */
static TdStoredSecrets *
edit_secrets_finish (TdTokenManager  *self,
                     GAsyncResult    *result,
                     GError         **error)
{
  g_assert (g_task_is_valid (result, self));

  return g_task_propagate_pointer (G_TASK (result), error);
}

/* Renewal ---------------------------------------------------------------- */

static void
renewal_complete (Renewal *renewal,
                  GError  *error)
{
  TdTokenManager *self = renewal->manager;
  g_autoptr(GPtrArray) waiters = g_steal_pointer (&renewal->waiters);

  g_hash_table_remove (self->renewals, td_account_get_id (renewal->account));
  /* Let other processes in before telling our callers. */
  g_clear_pointer (&renewal->lock, td_account_lock_release);

  if (error != NULL)
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        g_debug ("Renewing account %s failed: %s",
                 td_account_get_id (renewal->account), td_error_code_to_string (error->code));
      td_account_set_error (renewal->account, error);
    }

  td_account_set_busy (renewal->account, FALSE);

  for (guint i = 0; i < waiters->len; i++)
    {
      GTask *task = g_ptr_array_index (waiters, i);

      /* A token shorter than this waiter asked for is handed out all the
       * same once the vendor was asked: its tokens last no longer, and
       * asking again would not change that. The caller can tell with
       * td_account_has_valid_token (account, min_valid). */
      if (error != NULL)
        waiter_return (task, NULL, g_error_copy (error));
      else if (td_account_has_valid_token (renewal->account, 0))
        waiter_return (task, td_account_dup_hand_out_token (renewal->account), NULL);
      else
        waiter_return (task, NULL,
                       g_error_new (TD_ERROR, TD_ERROR_INVALID_RESPONSE,
                                    _("%s issued a token that expires too soon to be used"),
                                    td_provider_get_display_name (renewal->provider)));
    }

  g_clear_error (&error);
  renewal_free (renewal);
}

static void
renewal_unmarked_cb (GObject      *object,
                     GAsyncResult *result,
                     gpointer      user_data)
{
  Renewal *renewal = user_data;
  g_autoptr(GError) error = NULL;

  /* Left set, it only costs one renewal more. */
  if (!td_account_lock_mark_finish (result, &error))
    g_debug ("Could not clear the renewal mark of account %s: %s",
             td_account_get_id (renewal->account), error->message);

  renewal_complete (renewal, g_steal_pointer (&renewal->end_error));
}

/* The end of a renewal that may hold the lock: the mark goes when the new
 * tokens are stored, or when the vendor surely issued none and the mark
 * was ours. One found on taking the lock stays until tokens are stored:
 * the keyring's may be revoked whatever this renewal's vendor call said. */
static void
renewal_end (Renewal *renewal,
             GError  *error)
{
  if (renewal->lock != NULL && td_account_lock_is_marked (renewal->lock) &&
      (error == NULL || (!renewal->interrupted && vendor_issued_nothing (error))))
    {
      renewal->end_error = error;
      td_account_lock_mark_async (renewal->lock, FALSE, renewal_unmarked_cb, renewal);
      return;
    }

  renewal_complete (renewal, error);
}

static void
saved_tokens_cb (GObject      *object,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  Renewal *renewal = user_data;
  g_autoptr(GError) error = NULL;
  gboolean saved;

  saved = td_token_store_save_finish (TD_TOKEN_STORE (object), result, &error);
  g_debug ("Account %s: the keyring write ended %" G_GINT64_FORMAT " µs after the vendor's "
           "answer was read", td_account_get_id (renewal->account),
           g_get_monotonic_time () - renewal->answered_at);

  /* Stored or not, the vendor may already have invalidated the old tokens
   * (Cover Whale): the new ones stay in memory so this process can go on.
   * When the write failed, the keyring keeps the old set and the mark
   * stays, so that no process hands out a token from it. */
  td_account_set_tokens (renewal->account, renewal->tokens);
  td_account_record_granted_lifetime (renewal->account, renewal->tokens);

  renewal_end (renewal, saved ? NULL : g_steal_pointer (&error));
}

static void
renewal_got_tokens (Renewal  *renewal,
                    TdTokens *tokens)
{
  TdTokenManager *self = renewal->manager;
  TdStoredSecrets set;

  renewal->answered_at = g_get_monotonic_time ();

  /* A vendor that did not rotate keeps the refresh token we used. */
  if (tokens->refresh_token == NULL && renewal->secrets && renewal->secrets->tokens)
    tokens->refresh_token = g_strdup (renewal->secrets->tokens->refresh_token);

  renewal->tokens = tokens;

  if (self->store == NULL)
    {
      td_account_record_granted_lifetime (renewal->account, renewal->tokens);
      td_account_set_tokens (renewal->account, renewal->tokens);
      renewal_complete (renewal, NULL);
      return;
    }

  /* Into the keyring before anything else (no notification, no file
   * written): until it is there, a kill loses the rotated refresh token.
   * The set is borrowed: the store serializes it before returning. */
  set = renewal->secrets != NULL ? *renewal->secrets : (TdStoredSecrets) { 0 };
  set.tokens = renewal->tokens;
  td_token_store_save_async (self->store, renewal->account, &set, NULL, saved_tokens_cb, renewal);
}

static void
login_cb (GObject      *object,
          GAsyncResult *result,
          gpointer      user_data)
{
  Renewal *renewal = user_data;
  g_autoptr(GError) error = NULL;
  TdTokens *tokens;

  tokens = td_provider_login_finish (TD_PROVIDER (object), result, &error);
  if (tokens == NULL)
    {
      /* A remembered password the vendor no longer accepts: the user has
       * to type the new one. */
      if (g_error_matches (error, TD_ERROR, TD_ERROR_BAD_CREDENTIALS))
        {
          renewal_end (renewal,
                       g_error_new (TD_ERROR, TD_ERROR_NEEDS_SIGN_IN,
                                    _("The remembered password no longer works: %s"),
                                    error->message));
          return;
        }

      renewal_end (renewal, g_steal_pointer (&error));
      return;
    }

  renewal_got_tokens (renewal, tokens);
}

static void
refresh_cb (GObject      *object,
            GAsyncResult *result,
            gpointer      user_data);

static void renewal_call_vendor (Renewal  *renewal,
                                 gboolean  refresh);

static void
marked_cb (GObject      *object,
           GAsyncResult *result,
           gpointer      user_data)
{
  Renewal *renewal = user_data;
  g_autoptr(GError) error = NULL;

  /* Without the mark, a kill during the call could leave revoked tokens
   * that every process would hand out: no call then. */
  if (!td_account_lock_mark_finish (result, &error))
    {
      renewal_complete (renewal, g_steal_pointer (&error));
      return;
    }

  renewal_call_vendor (renewal, renewal->refresh_next);
}

static void
renewal_call_vendor (Renewal  *renewal,
                     gboolean  refresh)
{
  if (renewal->lock != NULL && !td_account_lock_is_marked (renewal->lock) &&
      needs_mark (renewal->provider))
    {
      renewal->refresh_next = refresh;
      td_account_lock_mark_async (renewal->lock, TRUE, marked_cb, renewal);
      return;
    }

  if (refresh)
    {
      g_debug ("Refreshing account %s", td_account_get_id (renewal->account));
      td_provider_refresh_async (renewal->provider, renewal->account,
                                 renewal->secrets->tokens->refresh_token,
                                 NULL, refresh_cb, renewal);
    }
  else
    {
      g_debug ("Renewing account %s with the remembered password",
               td_account_get_id (renewal->account));
      td_provider_login_async (renewal->provider, renewal->account, renewal->secrets->password,
                               NULL, NULL, login_cb, renewal);
    }
}

static void
renewal_try_password (Renewal *renewal)
{
  const char *password = renewal->secrets ? renewal->secrets->password : NULL;

  if (password == NULL)
    {
      GError *error;

      if (renewal->refresh_error != NULL)
        error = g_error_new (TD_ERROR, TD_ERROR_NEEDS_SIGN_IN,
                             _("Sign in again: %s"), renewal->refresh_error);
      else if (renewal->interrupted)
        error = g_error_new (TD_ERROR, TD_ERROR_NEEDS_SIGN_IN,
                             _("Sign in again: a renewal was interrupted, and %s may have "
                               "revoked the stored token"),
                             td_provider_get_display_name (renewal->provider));
      else
        error = g_error_new (TD_ERROR, TD_ERROR_NEEDS_SIGN_IN,
                             _("Sign in again to get a new token from %s"),
                             td_provider_get_display_name (renewal->provider));
      renewal_end (renewal, error);
      return;
    }

  renewal_call_vendor (renewal, FALSE);
}

static void
refresh_cb (GObject      *object,
            GAsyncResult *result,
            gpointer      user_data)
{
  Renewal *renewal = user_data;
  g_autoptr(GError) error = NULL;
  TdTokens *tokens;

  tokens = td_provider_refresh_finish (TD_PROVIDER (object), result, &error);
  if (tokens == NULL)
    {
      /* Only a rejected refresh token falls back to the password: a vendor
       * that is down would reject the password just the same. */
      if (g_error_matches (error, TD_ERROR, TD_ERROR_NEEDS_SIGN_IN) ||
          g_error_matches (error, TD_ERROR, TD_ERROR_BAD_CREDENTIALS))
        {
          renewal->refresh_error = g_strdup (error->message);
          renewal_try_password (renewal);
          return;
        }

      renewal_end (renewal, g_steal_pointer (&error));
      return;
    }

  renewal_got_tokens (renewal, tokens);
}

/* With whatever the keyring (or memory) holds, decide how to go on. */
static void
renewal_continue (Renewal *renewal)
{
  const TdTokens *stored = renewal->secrets ? renewal->secrets->tokens : NULL;

  if (td_account_get_admin_token (renewal->account))
    {
      /* Administrative tokens are pasted by the user; nothing renews them. */
      if (renewal->secrets && renewal->secrets->admin_token)
        {
          g_autoptr(TdTokens) tokens = td_tokens_new ();

          tokens->access_token = g_strdup (renewal->secrets->admin_token);
          tokens->expires_at = TD_EXPIRES_NEVER;
          td_account_set_tokens (renewal->account, tokens);
          renewal_end (renewal, NULL);
        }
      else
        renewal_end (renewal,
                     g_error_new_literal (TD_ERROR, TD_ERROR_NEEDS_SIGN_IN,
                                          _("Paste the administrative token again")));
      return;
    }

  if (renewal->interrupted)
    g_debug ("Account %s: a renewal died in flight; the stored tokens may be revoked",
             td_account_get_id (renewal->account));

  /* Another process renewed while we waited for the lock. Not when one
   * died renewing: what it left may have been revoked. */
  if (stored != NULL && stored->access_token != NULL && !renewal->force && !renewal->interrupted)
    {
      td_account_set_tokens (renewal->account, stored);
      if (td_account_has_valid_token (renewal->account, renewal->min_valid))
        {
          g_debug ("Account %s: the keyring already holds a fresh token",
                   td_account_get_id (renewal->account));
          renewal_end (renewal, NULL);
          return;
        }
    }

  if (stored != NULL && stored->refresh_token != NULL &&
      td_provider_has_feature (renewal->provider, TD_PROVIDER_FEATURE_REFRESH_TOKEN))
    {
      renewal_call_vendor (renewal, TRUE);
      return;
    }

  renewal_try_password (renewal);
}

static void
loaded_cb (GObject      *object,
           GAsyncResult *result,
           gpointer      user_data)
{
  Renewal *renewal = user_data;
  g_autoptr(GError) error = NULL;

  renewal->secrets = td_token_store_load_finish (TD_TOKEN_STORE (object), result, &error);
  if (renewal->secrets == NULL)
    {
      renewal_end (renewal, g_steal_pointer (&error));
      return;
    }

  renewal_continue (renewal);
}

static void
reopened_cb (GObject      *object,
             GAsyncResult *result,
             gpointer      user_data)
{
  Renewal *renewal = user_data;
  g_autoptr(GError) error = NULL;

  if (!td_keyring_backend_open_finish (result, &error))
    {
      renewal_complete (renewal, g_steal_pointer (&error));
      return;
    }

  /* A search rather than the lookup: items of the older format left by an
   * interrupted migration are seen, and the write removes them. */
  td_token_store_scan_async (renewal->manager->store, renewal->account, NULL, loaded_cb, renewal);
}

static void
locked_cb (GObject      *object,
           GAsyncResult *result,
           gpointer      user_data)
{
  Renewal *renewal = user_data;
  g_autoptr(GError) error = NULL;

  renewal->lock = td_account_lock_acquire_finish (result, &error);
  if (renewal->lock == NULL)
    {
      renewal_complete (renewal, g_steal_pointer (&error));
      return;
    }

  renewal->interrupted = td_account_lock_is_marked (renewal->lock);

  /* Inside Flatpak libsecret reads its keyring file once per process: the
   * file is read again, or a renewal another process made while we waited
   * for the lock goes unseen, and its rotated refresh token with it. */
  td_keyring_backend_open_async (TRUE, NULL, reopened_cb, renewal);
}

static void
renewal_start (Renewal *renewal)
{
  TdTokenManager *self = renewal->manager;

  td_account_set_busy (renewal->account, TRUE);

  if (self->store != NULL)
    {
      td_account_lock_acquire_async (td_account_get_id (renewal->account), NULL,
                                     locked_cb, renewal);
      return;
    }

  /* Memory only: what the account holds is all there is. */
  renewal->secrets = g_new0 (TdStoredSecrets, 1);
  if (td_account_peek_tokens (renewal->account) != NULL)
    renewal->secrets->tokens = td_tokens_copy (td_account_peek_tokens (renewal->account));

  renewal_continue (renewal);
}

static void
join_or_start_renewal (TdTokenManager *self,
                       TdAccount      *account,
                       TdProvider     *provider,
                       GTask          *task,
                       gboolean        force)
{
  Waiter *waiter = g_task_get_task_data (task);
  Renewal *renewal;

  renewal = g_hash_table_lookup (self->renewals, td_account_get_id (account));
  if (renewal != NULL)
    {
      g_debug ("Account %s: joining the renewal in flight", td_account_get_id (account));
      renewal->min_valid = MAX (renewal->min_valid, waiter->min_valid);
      g_ptr_array_add (renewal->waiters, task);
      return;
    }

  renewal = g_new0 (Renewal, 1);
  renewal->manager = self;
  renewal->account = g_object_ref (account);
  renewal->provider = provider;
  renewal->min_valid = waiter->min_valid;
  renewal->force = force;
  renewal->waiters = g_ptr_array_new_with_free_func (g_object_unref);
  g_ptr_array_add (renewal->waiters, task);
  g_hash_table_insert (self->renewals, (gpointer)td_account_get_id (account), renewal);

  renewal_start (renewal);
}

static void
mark_peeked_cb (GObject      *object,
                GAsyncResult *result,
                gpointer      user_data)
{
  GTask *task = user_data;
  Waiter *waiter = g_task_get_task_data (task);
  TdTokenManager *self = g_task_get_source_object (task);
  TdAccount *account = g_object_get_data (G_OBJECT (task), "account");
  TdProvider *provider = g_object_get_data (G_OBJECT (task), "provider");
  gboolean marked;

  marked = td_account_lock_peek_mark_finish (result, NULL);

  if (waiter->returned)
    {
      g_object_unref (task);
      return;
    }

  if (!marked && td_account_has_valid_token (account, waiter->min_valid) &&
      !g_hash_table_contains (self->renewals, td_account_get_id (account)))
    {
      waiter_return (task, td_account_dup_hand_out_token (account), NULL);
      g_object_unref (task);
      return;
    }

  if (marked)
    g_debug ("Account %s: a renewal is in flight or died; renewing under the lock",
             td_account_get_id (account));

  join_or_start_renewal (self, account, provider, task, FALSE);
}

void
td_token_manager_get_token_async (TdTokenManager      *self,
                                  TdAccount           *account,
                                  guint                min_valid,
                                  GCancellable        *cancellable,
                                  GAsyncReadyCallback  callback,
                                  gpointer             user_data)
{
  g_autoptr(GError) error = NULL;
  TdProvider *provider;
  GTask *task;

  g_return_if_fail (TD_IS_TOKEN_MANAGER (self));
  g_return_if_fail (TD_IS_ACCOUNT (account));
  g_return_if_fail (!cancellable || G_IS_CANCELLABLE (cancellable));

  task = new_waiter (self, min_valid, cancellable, callback, user_data,
                     td_token_manager_get_token_async);

  if (!(provider = lookup_provider (account, &error)))
    {
      waiter_return (task, NULL, g_steal_pointer (&error));
      g_object_unref (task);
      return;
    }

  /* The common case: a token in memory, no renewal in flight. */
  if (td_account_has_valid_token (account, min_valid) &&
      !g_hash_table_contains (self->renewals, td_account_get_id (account)))
    {
      /* Unless a renewal that revokes it is in flight, or died: the lock
       * file says so. Only such vendors' renewals leave the mark. */
      if (self->store != NULL && needs_mark (provider) && !td_account_get_admin_token (account))
        {
          g_object_set_data_full (G_OBJECT (task), "account", g_object_ref (account),
                                  g_object_unref);
          g_object_set_data (G_OBJECT (task), "provider", provider);
          td_account_lock_peek_mark_async (td_account_get_id (account), NULL,
                                           mark_peeked_cb, task);
          return;
        }

      waiter_return (task, td_account_dup_hand_out_token (account), NULL);
      g_object_unref (task);
      return;
    }

  join_or_start_renewal (self, account, provider, task, FALSE);
}

char *
td_token_manager_get_token_finish (TdTokenManager  *self,
                                   GAsyncResult    *result,
                                   GError         **error)
{
  g_return_val_if_fail (TD_IS_TOKEN_MANAGER (self), NULL);
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

static void
renew_done_cb (GObject      *object,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(GError) error = NULL;
  g_auto(TdSecret) token = NULL;

  token = td_token_manager_get_token_finish (TD_TOKEN_MANAGER (object), result, &error);
  if (token == NULL)
    g_task_return_error (task, g_steal_pointer (&error));
  else
    g_task_return_boolean (task, TRUE);
}

void
td_token_manager_renew_async (TdTokenManager      *self,
                              TdAccount           *account,
                              GCancellable        *cancellable,
                              GAsyncReadyCallback  callback,
                              gpointer             user_data)
{
  g_autoptr(GError) error = NULL;
  TdProvider *provider;
  GTask *outer;
  GTask *task;

  g_return_if_fail (TD_IS_TOKEN_MANAGER (self));
  g_return_if_fail (TD_IS_ACCOUNT (account));

  outer = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (outer, td_token_manager_renew_async);

  task = new_waiter (self, 0, cancellable, renew_done_cb, outer, td_token_manager_get_token_async);
  if (!(provider = lookup_provider (account, &error)))
    {
      waiter_return (task, NULL, g_steal_pointer (&error));
      g_object_unref (task);
      return;
    }

  join_or_start_renewal (self, account, provider, task, TRUE);
}

gboolean
td_token_manager_renew_finish (TdTokenManager  *self,
                               GAsyncResult    *result,
                               GError         **error)
{
  g_return_val_if_fail (TD_IS_TOKEN_MANAGER (self), FALSE);
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

/* Sign in ----------------------------------------------------------------
 *
 * Under the lock: read the set, mark, call the vendor, write the new set
 * (tokens and, when remembered, the password) in one go, unmark. */

typedef struct
{
  TdAccount       *account;
  TdProvider      *provider;
  TdAccountLock   *lock;
  TdStoredSecrets *secrets;      /* read under the lock */
  TdTokens        *tokens;
  char            *password;
  char            *new_password;
  gboolean         interrupted;  /* the lock came with the mark */
  GError          *end_error;    /* while the mark is being cleared */
} SignIn;

static void
sign_in_free (SignIn *sign_in)
{
  g_clear_object (&sign_in->account);
  g_clear_pointer (&sign_in->lock, td_account_lock_release);
  g_clear_pointer (&sign_in->secrets, td_stored_secrets_free);
  g_clear_pointer (&sign_in->tokens, td_tokens_free);
  td_secret_free (sign_in->password);
  td_secret_free (sign_in->new_password);
  g_clear_error (&sign_in->end_error);
  g_free (sign_in);
}

static void
sign_in_complete (GTask  *task,
                  GError *error)
{
  SignIn *sign_in = g_task_get_task_data (task);

  g_clear_pointer (&sign_in->lock, td_account_lock_release);
  td_account_set_busy (sign_in->account, FALSE);

  if (error == NULL)
    {
      g_task_return_boolean (task, TRUE);
      return;
    }

  if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    td_account_set_error (sign_in->account, error);
  g_task_return_error (task, error);
}

static void
sign_in_unmarked_cb (GObject      *object,
                     GAsyncResult *result,
                     gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  SignIn *sign_in = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;

  if (!td_account_lock_mark_finish (result, &error))
    g_debug ("Could not clear the renewal mark of account %s: %s",
             td_account_get_id (sign_in->account), error->message);

  sign_in_complete (task, g_steal_pointer (&sign_in->end_error));
}

/* As renewal_end (). */
static void
sign_in_end (GTask  *task,
             GError *error)
{
  SignIn *sign_in = g_task_get_task_data (task);

  if (sign_in->lock != NULL && td_account_lock_is_marked (sign_in->lock) &&
      (error == NULL || (!sign_in->interrupted && vendor_issued_nothing (error))))
    {
      sign_in->end_error = error;
      td_account_lock_mark_async (sign_in->lock, FALSE, sign_in_unmarked_cb, g_object_ref (task));
      return;
    }

  sign_in_complete (task, error);
}

static void
sign_in_saved_cb (GObject      *object,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  SignIn *sign_in = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  gboolean saved;

  saved = td_token_store_save_finish (TD_TOKEN_STORE (object), result, &error);

  td_account_set_tokens (sign_in->account, sign_in->tokens);
  td_account_record_granted_lifetime (sign_in->account, sign_in->tokens);

  sign_in_end (task, saved ? NULL : g_steal_pointer (&error));
}

static void
sign_in_login_cb (GObject      *object,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  SignIn *sign_in = g_task_get_task_data (task);
  TdTokenManager *self = g_task_get_source_object (task);
  g_autoptr(GError) error = NULL;
  TdStoredSecrets set;

  sign_in->tokens = td_provider_login_finish (TD_PROVIDER (object), result, &error);
  if (sign_in->tokens == NULL)
    {
      sign_in_end (task, g_steal_pointer (&error));
      return;
    }

  if (self->store == NULL)
    {
      td_account_record_granted_lifetime (sign_in->account, sign_in->tokens);
      td_account_set_tokens (sign_in->account, sign_in->tokens);
      sign_in_complete (task, NULL);
      return;
    }

  /* Into the keyring at once, the password with the tokens; unticking
   * "remember password" forgets the one stored before. Not cancellable
   * any more: the vendor has issued the tokens, and for Cover Whale
   * invalidated the old ones. The set is borrowed: the store serializes
   * it before returning. */
  set = *sign_in->secrets;
  set.tokens = sign_in->tokens;
  set.password = NULL;
  if (td_account_get_remember_password (sign_in->account))
    set.password = sign_in->new_password ? sign_in->new_password : sign_in->password;
  td_token_store_save_async (self->store, sign_in->account, &set, NULL,
                             sign_in_saved_cb, g_steal_pointer (&task));
}

static void
sign_in_call_vendor (GTask *task)
{
  SignIn *sign_in = g_task_get_task_data (task);

  td_provider_login_async (sign_in->provider, sign_in->account,
                           sign_in->password, sign_in->new_password,
                           g_task_get_cancellable (task),
                           sign_in_login_cb, g_object_ref (task));
}

static void
sign_in_marked_cb (GObject      *object,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(GError) error = NULL;

  if (!td_account_lock_mark_finish (result, &error))
    {
      sign_in_complete (task, g_steal_pointer (&error));
      return;
    }

  sign_in_call_vendor (task);
}

static void
sign_in_loaded_cb (GObject      *object,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  SignIn *sign_in = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;

  sign_in->secrets = td_token_store_load_finish (TD_TOKEN_STORE (object), result, &error);
  if (sign_in->secrets == NULL)
    {
      sign_in_complete (task, g_steal_pointer (&error));
      return;
    }

  if (!td_account_lock_is_marked (sign_in->lock) && needs_mark (sign_in->provider))
    {
      td_account_lock_mark_async (sign_in->lock, TRUE, sign_in_marked_cb, g_steal_pointer (&task));
      return;
    }

  sign_in_call_vendor (task);
}

static void
sign_in_locked_cb (GObject      *object,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  SignIn *sign_in = g_task_get_task_data (task);
  TdTokenManager *self = g_task_get_source_object (task);
  g_autoptr(GError) error = NULL;

  sign_in->lock = td_account_lock_acquire_finish (result, &error);
  if (sign_in->lock == NULL)
    {
      sign_in_complete (task, g_steal_pointer (&error));
      return;
    }

  sign_in->interrupted = td_account_lock_is_marked (sign_in->lock);

  /* What the set holds besides the tokens (the administrative token)
   * survives the write. */
  td_token_store_scan_async (self->store, sign_in->account, g_task_get_cancellable (task),
                             sign_in_loaded_cb, g_object_ref (task));
}

void
td_token_manager_sign_in_async (TdTokenManager      *self,
                                TdAccount           *account,
                                const char          *password,
                                const char          *new_password,
                                GCancellable        *cancellable,
                                GAsyncReadyCallback  callback,
                                gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(GError) error = NULL;
  SignIn *sign_in;

  g_return_if_fail (TD_IS_TOKEN_MANAGER (self));
  g_return_if_fail (TD_IS_ACCOUNT (account));
  g_return_if_fail (password != NULL);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, td_token_manager_sign_in_async);

  sign_in = g_new0 (SignIn, 1);
  sign_in->account = g_object_ref (account);
  sign_in->password = g_strdup (password);
  sign_in->new_password = g_strdup (new_password);
  g_task_set_task_data (task, sign_in, (GDestroyNotify)sign_in_free);

  if (!(sign_in->provider = lookup_provider (account, &error)))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  td_account_set_busy (account, TRUE);

  if (self->store != NULL)
    td_account_lock_acquire_async (td_account_get_id (account), cancellable,
                                   sign_in_locked_cb, g_steal_pointer (&task));
  else
    sign_in_call_vendor (task);
}

gboolean
td_token_manager_sign_in_finish (TdTokenManager  *self,
                                 GAsyncResult    *result,
                                 GError         **error)
{
  g_return_val_if_fail (TD_IS_TOKEN_MANAGER (self), FALSE);
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

/* Administrative token --------------------------------------------------- */

static void
admin_token_saved_cb (GObject      *object,
                      GAsyncResult *result,
                      gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  TdTokens *tokens = g_task_get_task_data (task);
  TdAccount *account = g_object_get_data (G_OBJECT (task), "account");
  g_autoptr(TdStoredSecrets) secrets = NULL;
  g_autoptr(GError) error = NULL;

  secrets = edit_secrets_finish (TD_TOKEN_MANAGER (object), result, &error);
  if (secrets == NULL)
    {
      td_account_set_error (account, error);
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  td_account_set_tokens (account, tokens);
  g_task_return_boolean (task, TRUE);
}

void
td_token_manager_set_admin_token_async (TdTokenManager      *self,
                                        TdAccount           *account,
                                        const char          *admin_token,
                                        GCancellable        *cancellable,
                                        GAsyncReadyCallback  callback,
                                        gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  TdTokens *tokens;

  g_return_if_fail (TD_IS_TOKEN_MANAGER (self));
  g_return_if_fail (TD_IS_ACCOUNT (account));
  g_return_if_fail (admin_token != NULL);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, td_token_manager_set_admin_token_async);
  g_object_set_data_full (G_OBJECT (task), "account", g_object_ref (account), g_object_unref);

  tokens = td_tokens_new ();
  tokens->access_token = g_strstrip (g_strdup (admin_token));
  tokens->expires_at = TD_EXPIRES_NEVER;
  g_task_set_task_data (task, tokens, (GDestroyNotify)td_tokens_free);

  if (*tokens->access_token == '\0')
    {
      g_task_return_new_error (task, TD_ERROR, TD_ERROR_BAD_CREDENTIALS,
                               _("The administrative token is empty"));
      return;
    }

  td_account_set_admin_token (account, TRUE);

  if (self->store == NULL)
    {
      td_account_set_tokens (account, tokens);
      g_task_return_boolean (task, TRUE);
      return;
    }

  edit_secrets_async (self, account, EDIT_SET_ADMIN_TOKEN, tokens->access_token, cancellable,
                      admin_token_saved_cb, g_steal_pointer (&task));
}

gboolean
td_token_manager_set_admin_token_finish (TdTokenManager  *self,
                                         GAsyncResult    *result,
                                         GError         **error)
{
  g_return_val_if_fail (TD_IS_TOKEN_MANAGER (self), FALSE);
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

/* Load -------------------------------------------------------------------
 *
 * Reads what the keyring holds into the account: at start-up, and before
 * handing out a token kept in memory, since another process (a second
 * window, `tokendesk token`) may have renewed it meanwhile; for Cover
 * Whale that renewal killed the token we hold. An account still in the
 * older format is migrated on the way. */

typedef struct
{
  TdAccount       *account;
  char            *token_before;   /* in memory when the read began */
  TdStoredSecrets *secrets;        /* as read, while migrating */
} LoadData;

static void
load_data_free (LoadData *data)
{
  g_clear_object (&data->account);
  td_secret_free (data->token_before);
  g_clear_pointer (&data->secrets, td_stored_secrets_free);
  g_free (data);
}

static char *
dup_access_token (TdAccount *account)
{
  const TdTokens *tokens = td_account_peek_tokens (account);

  return tokens != NULL ? g_strdup (tokens->access_token) : NULL;
}

/* What the keyring said, into the account. */
static void
apply_secrets (TdAccount             *account,
               const TdStoredSecrets *secrets)
{
  /* The keyring answered: a row that said it did not (or was locked)
   * shows the account's state again. */
  if (td_account_get_keyring_error (account))
    td_account_clear_error (account);

  if (td_account_get_admin_token (account) && secrets->admin_token != NULL)
    {
      g_autoptr(TdTokens) tokens = td_tokens_new ();

      tokens->access_token = g_strdup (secrets->admin_token);
      tokens->expires_at = TD_EXPIRES_NEVER;
      td_account_set_tokens (account, tokens);
    }
  else if (secrets->tokens != NULL)
    td_account_set_tokens (account, secrets->tokens);
}

static void
interrupted_checked_cb (GObject      *object,
                        GAsyncResult *result,
                        gpointer      user_data)
{
  g_autoptr(TdAccount) account = user_data;
  g_auto(TdSecret) token = NULL;
  g_autoptr(GError) error = NULL;

  /* What went wrong is on the account already, for its row to show. */
  token = td_token_manager_get_token_finish (TD_TOKEN_MANAGER (object), result, &error);
  if (error != NULL)
    g_debug ("Account %s: after an interrupted renewal: %s",
             td_account_get_id (account), error->message);
}

/* A renewal of a vendor that revokes earlier tokens may have died in
 * another process after the vendor answered: the tokens just read may be
 * dead. Asking for a token looks at the lock's mark and, only when it is
 * set, renews under the lock, so that the account shows its real state
 * (signed in again, or needing sign-in) before anyone asks for a token. */
static void
check_interrupted_renewal (TdTokenManager *self,
                           TdAccount      *account)
{
  TdProvider *provider = lookup_provider (account, NULL);

  if (provider == NULL || !needs_mark (provider) || td_account_get_admin_token (account) ||
      td_account_peek_tokens (account) == NULL)
    return;

  td_token_manager_get_token_async (self, account, 0, NULL, interrupted_checked_cb,
                                    g_object_ref (account));
}

static void
load_apply (GTask                 *task,
            const TdStoredSecrets *secrets)
{
  LoadData *data = g_task_get_task_data (task);
  g_auto(TdSecret) token_now = NULL;

  /* A renewal in this process that ended while we read is newer than what
   * we read: keep it. */
  token_now = dup_access_token (data->account);
  if (g_strcmp0 (token_now, data->token_before) != 0)
    {
      g_debug ("Account %s: tokens changed while the keyring was read; keeping them",
               td_account_get_id (data->account));
      if (td_account_get_keyring_error (data->account))
        td_account_clear_error (data->account);
      g_task_return_boolean (task, TRUE);
      return;
    }

  apply_secrets (data->account, secrets);
  check_interrupted_renewal (g_task_get_source_object (task), data->account);
  g_task_return_boolean (task, TRUE);
}

static void
migrated_cb (GObject      *object,
             GAsyncResult *result,
             gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  LoadData *data = g_task_get_task_data (task);
  g_autoptr(TdStoredSecrets) secrets = NULL;
  g_autoptr(GError) error = NULL;

  /* Not migrated this time: what was read is as good, and the next load
   * tries again. */
  secrets = edit_secrets_finish (TD_TOKEN_MANAGER (object), result, &error);
  if (secrets == NULL)
    {
      g_debug ("Account %s: not migrated: %s", td_account_get_id (data->account),
               error->message);
      load_apply (task, data->secrets);
      return;
    }

  g_debug ("Account %s: migrated to one keyring item", td_account_get_id (data->account));
  load_apply (task, secrets);
}

static void
load_cb (GObject      *object,
         GAsyncResult *result,
         gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  TdTokenManager *self = g_task_get_source_object (task);
  LoadData *data = g_task_get_task_data (task);
  g_autoptr(TdStoredSecrets) secrets = NULL;
  g_autoptr(GError) error = NULL;

  secrets = td_token_store_load_finish (TD_TOKEN_STORE (object), result, &error);
  if (secrets == NULL)
    {
      td_account_set_error (data->account, error);
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  /* Read the old items, write the new one, only then remove the old
   * ones: interrupted anywhere, nothing is lost. */
  if (secrets->legacy)
    {
      data->secrets = g_steal_pointer (&secrets);
      edit_secrets_async (self, data->account, EDIT_MIGRATE, NULL, g_task_get_cancellable (task),
                          migrated_cb, g_object_ref (task));
      return;
    }

  load_apply (task, secrets);
}

void
td_token_manager_load_async (TdTokenManager      *self,
                             TdAccount           *account,
                             GCancellable        *cancellable,
                             GAsyncReadyCallback  callback,
                             gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  LoadData *data;

  g_return_if_fail (TD_IS_TOKEN_MANAGER (self));
  g_return_if_fail (TD_IS_ACCOUNT (account));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, td_token_manager_load_async);

  if (self->store == NULL)
    {
      g_task_return_boolean (task, TRUE);
      return;
    }

  data = g_new0 (LoadData, 1);
  data->account = g_object_ref (account);
  data->token_before = dup_access_token (account);
  g_task_set_task_data (task, data, (GDestroyNotify)load_data_free);

  td_token_store_load_async (self->store, account, cancellable, load_cb, g_steal_pointer (&task));
}

gboolean
td_token_manager_load_finish (TdTokenManager  *self,
                              GAsyncResult    *result,
                              GError         **error)
{
  g_return_val_if_fail (TD_IS_TOKEN_MANAGER (self), FALSE);
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

/* Loading every account --------------------------------------------------
 *
 * One keyring search for all of them (`tokendesk list`), then the
 * accounts still in the older format are migrated one after the other. */

typedef struct
{
  GPtrArray *accounts;   /* TdAccount */
  GPtrArray *to_migrate; /* TdAccount */
  guint      next;
} LoadAll;

static void
load_all_free (LoadAll *load_all)
{
  g_clear_pointer (&load_all->accounts, g_ptr_array_unref);
  g_clear_pointer (&load_all->to_migrate, g_ptr_array_unref);
  g_free (load_all);
}

static void migrate_next (GTask *task);

static void
all_migrated_cb (GObject      *object,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  LoadAll *load_all = g_task_get_task_data (task);
  TdAccount *account = g_ptr_array_index (load_all->to_migrate, load_all->next - 1);
  g_autoptr(TdStoredSecrets) secrets = NULL;
  g_autoptr(GError) error = NULL;

  secrets = edit_secrets_finish (TD_TOKEN_MANAGER (object), result, &error);
  if (secrets == NULL)
    g_debug ("Account %s: not migrated: %s", td_account_get_id (account), error->message);
  else
    apply_secrets (account, secrets);

  migrate_next (g_steal_pointer (&task));
}

static void
migrate_next (GTask *task)
{
  TdTokenManager *self = g_task_get_source_object (task);
  LoadAll *load_all = g_task_get_task_data (task);

  if (load_all->next == load_all->to_migrate->len)
    {
      g_task_return_boolean (task, TRUE);
      g_object_unref (task);
      return;
    }

  edit_secrets_async (self, g_ptr_array_index (load_all->to_migrate, load_all->next++),
                      EDIT_MIGRATE, NULL, g_task_get_cancellable (task), all_migrated_cb, task);
}

static void
all_loaded_cb (GObject      *object,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  LoadAll *load_all = g_task_get_task_data (task);
  g_autoptr(GHashTable) all = NULL;
  g_autoptr(GError) error = NULL;

  all = td_token_store_load_all_finish (TD_TOKEN_STORE (object), result, &error);
  if (all == NULL)
    {
      for (guint i = 0; i < load_all->accounts->len; i++)
        td_account_set_error (g_ptr_array_index (load_all->accounts, i), error);
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  for (guint i = 0; i < load_all->accounts->len; i++)
    {
      TdAccount *account = g_ptr_array_index (load_all->accounts, i);
      TdStoredSecrets *secrets = g_hash_table_lookup (all, td_account_get_id (account));

      if (secrets == NULL)
        continue;

      apply_secrets (account, secrets);
      if (secrets->legacy)
        g_ptr_array_add (load_all->to_migrate, g_object_ref (account));
    }

  migrate_next (g_steal_pointer (&task));
}

void
td_token_manager_load_all_async (TdTokenManager      *self,
                                 GListModel          *accounts,
                                 GCancellable        *cancellable,
                                 GAsyncReadyCallback  callback,
                                 gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  LoadAll *load_all;
  guint n_items;

  g_return_if_fail (TD_IS_TOKEN_MANAGER (self));
  g_return_if_fail (G_IS_LIST_MODEL (accounts));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, td_token_manager_load_all_async);

  if (self->store == NULL)
    {
      g_task_return_boolean (task, TRUE);
      return;
    }

  load_all = g_new0 (LoadAll, 1);
  load_all->accounts = g_ptr_array_new_with_free_func (g_object_unref);
  load_all->to_migrate = g_ptr_array_new_with_free_func (g_object_unref);
  n_items = g_list_model_get_n_items (accounts);
  for (guint i = 0; i < n_items; i++)
    g_ptr_array_add (load_all->accounts, g_list_model_get_item (accounts, i));
  g_task_set_task_data (task, load_all, (GDestroyNotify)load_all_free);

  td_token_store_load_all_async (self->store, cancellable, all_loaded_cb, g_steal_pointer (&task));
}

gboolean
td_token_manager_load_all_finish (TdTokenManager  *self,
                                  GAsyncResult    *result,
                                  GError         **error)
{
  g_return_val_if_fail (TD_IS_TOKEN_MANAGER (self), FALSE);
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

/* Loading in the background ----------------------------------------------
 *
 * At start-up every account's secrets are read, a few at a time, so that
 * each shows its real state; the accounts on screen go first. */

static void load_next_in_background (TdTokenManager *self);

static void
background_loaded_cb (GObject      *object,
                      GAsyncResult *result,
                      gpointer      user_data)
{
  TdTokenManager *self = TD_TOKEN_MANAGER (object);
  g_autoptr(TdAccount) account = user_data;
  g_autoptr(GError) error = NULL;

  /* A failure is already on the account (keyring locked, say). The
   * error is NULL only for a programmer's error, already warned about. */
  if (!td_token_manager_load_finish (self, result, &error) && error != NULL)
    g_debug ("Could not load the secrets of account %s: %s",
             td_account_get_id (account), error->message);

  self->loads_in_flight--;
  td_account_set_secrets_loaded (account, TRUE);
  g_hash_table_remove (self->loads_pending, account);

  /* The keyring did not answer, or is locked: the accounts still queued
   * would wait for it one deadline (or one unlock prompt) after another.
   * They say the same now, and each can be read again on its own. */
  if (g_error_matches (error, TD_ERROR, TD_ERROR_KEYRING_UNAVAILABLE))
    {
      while (!g_queue_is_empty (&self->load_queue))
        {
          g_autoptr(TdAccount) queued = g_queue_pop_head (&self->load_queue);

          if (td_account_peek_tokens (queued) == NULL && !td_account_get_busy (queued))
            td_account_set_error (queued, error);
          td_account_set_secrets_loaded (queued, TRUE);
          g_hash_table_remove (self->loads_pending, queued);
        }
    }

  load_next_in_background (self);
}

static void
load_next_in_background (TdTokenManager *self)
{
  while (self->loads_in_flight < MAX_BACKGROUND_LOADS && !g_queue_is_empty (&self->load_queue))
    {
      g_autoptr(TdAccount) account = g_queue_pop_head (&self->load_queue);

      /* Signing in, renewing: whatever runs sets the tokens itself. */
      if (td_account_get_busy (account) || td_account_peek_tokens (account) != NULL)
        {
          td_account_set_secrets_loaded (account, TRUE);
          g_hash_table_remove (self->loads_pending, account);
          continue;
        }

      self->loads_in_flight++;
      td_token_manager_load_async (self, account, NULL, background_loaded_cb,
                                   g_object_ref (account));
    }
}

static void
queue_background_load (TdTokenManager *self,
                       TdAccount      *account,
                       gboolean        first)
{
  GList *link;

  if (td_account_get_secrets_loaded (account))
    return;

  if (!g_hash_table_contains (self->loads_pending, account))
    {
      g_hash_table_add (self->loads_pending, g_object_ref (account));
      if (first)
        g_queue_push_head (&self->load_queue, g_object_ref (account));
      else
        g_queue_push_tail (&self->load_queue, g_object_ref (account));
    }
  else if (first && (link = g_queue_find (&self->load_queue, account)) != NULL)
    {
      /* Queued already but not started: to the front. */
      g_queue_unlink (&self->load_queue, link);
      g_queue_push_head_link (&self->load_queue, link);
    }

  load_next_in_background (self);
}

void
td_token_manager_queue_load (TdTokenManager *self,
                             TdAccount      *account)
{
  g_return_if_fail (TD_IS_TOKEN_MANAGER (self));
  g_return_if_fail (TD_IS_ACCOUNT (account));

  queue_background_load (self, account, FALSE);
}

void
td_token_manager_load_soon (TdTokenManager *self,
                            TdAccount      *account)
{
  g_return_if_fail (TD_IS_TOKEN_MANAGER (self));
  g_return_if_fail (TD_IS_ACCOUNT (account));

  queue_background_load (self, account, TRUE);
}

/* Edit -------------------------------------------------------------------
 *
 * The keyring forgets first, then the account takes the changes: if the
 * keyring refuses, the account stays as it was and the user can retry. */

typedef struct
{
  TdAccount *account;
  TdAccount *changes;
} UpdateData;

static void
update_data_free (UpdateData *data)
{
  g_clear_object (&data->account);
  g_clear_object (&data->changes);
  g_free (data);
}

static void
apply_changes (UpdateData *data)
{
  TdAccount *account = data->account;
  TdAccount *changes = data->changes;
  const TdTokens *tokens = td_account_peek_tokens (changes);

  g_object_freeze_notify (G_OBJECT (account));
  td_account_set_display_name (account, td_account_get_display_name (changes));
  td_account_set_username (account, td_account_get_username (changes));
  td_account_set_endpoint (account, td_account_get_endpoint (changes));
  td_account_set_admin_token (account, td_account_get_admin_token (changes));
  td_account_set_remember_password (account, td_account_get_remember_password (changes));
  td_account_set_hand_out (account, td_account_get_hand_out (changes));
  td_account_set_renew_automatically (account, td_account_get_renew_automatically (changes));
  td_account_set_assumed_lifetime (account, td_account_get_assumed_lifetime (changes));
  /* Learned by signing in with the changes, else what the account knew. */
  if (td_account_get_granted_lifetime (changes) != 0)
    td_account_set_granted_lifetime (account, td_account_get_granted_lifetime (changes));
  /* Signed in with the changes: those tokens are the account's now. */
  if (tokens != NULL)
    td_account_set_tokens (account, tokens);
  g_object_thaw_notify (G_OBJECT (account));
}

static void
update_forgotten_cb (GObject      *object,
                     GAsyncResult *result,
                     gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(TdStoredSecrets) secrets = NULL;
  g_autoptr(GError) error = NULL;

  secrets = edit_secrets_finish (TD_TOKEN_MANAGER (object), result, &error);
  if (secrets == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  apply_changes (g_task_get_task_data (task));
  g_task_return_boolean (task, TRUE);
}

void
td_token_manager_update_account_async (TdTokenManager      *self,
                                       TdAccount           *account,
                                       TdAccount           *changes,
                                       GCancellable        *cancellable,
                                       GAsyncReadyCallback  callback,
                                       gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  UpdateData *data;
  EditFlags flags = 0;

  g_return_if_fail (TD_IS_TOKEN_MANAGER (self));
  g_return_if_fail (TD_IS_ACCOUNT (account));
  g_return_if_fail (TD_IS_ACCOUNT (changes));
  g_return_if_fail (g_strcmp0 (td_account_get_vendor (account),
                               td_account_get_vendor (changes)) == 0);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, td_token_manager_update_account_async);

  data = g_new0 (UpdateData, 1);
  data->account = g_object_ref (account);
  data->changes = g_object_ref (changes);
  g_task_set_task_data (task, data, (GDestroyNotify)update_data_free);

  if (td_account_get_remember_password (account) && !td_account_get_remember_password (changes))
    flags |= EDIT_FORGET_PASSWORD;
  if (td_account_get_admin_token (account) && !td_account_get_admin_token (changes))
    flags |= EDIT_FORGET_ADMIN_TOKEN;

  if (self->store == NULL || flags == 0)
    {
      apply_changes (data);
      g_task_return_boolean (task, TRUE);
      return;
    }

  edit_secrets_async (self, account, flags, NULL, cancellable, update_forgotten_cb,
                      g_steal_pointer (&task));
}

gboolean
td_token_manager_update_account_finish (TdTokenManager  *self,
                                        GAsyncResult    *result,
                                        GError         **error)
{
  g_return_val_if_fail (TD_IS_TOKEN_MANAGER (self), FALSE);
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

/* Sign out / remove ------------------------------------------------------ */

static void
cleared_cb (GObject      *object,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  TdAccount *account = g_task_get_task_data (task);
  g_autoptr(TdStoredSecrets) secrets = NULL;
  g_autoptr(GError) error = NULL;

  secrets = edit_secrets_finish (TD_TOKEN_MANAGER (object), result, &error);
  if (secrets == NULL)
    {
      td_account_set_error (account, error);
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  td_account_clear_tokens (account);
  g_task_return_boolean (task, TRUE);
}

void
td_token_manager_sign_out_async (TdTokenManager      *self,
                                 TdAccount           *account,
                                 gboolean             remove,
                                 GCancellable        *cancellable,
                                 GAsyncReadyCallback  callback,
                                 gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (TD_IS_TOKEN_MANAGER (self));
  g_return_if_fail (TD_IS_ACCOUNT (account));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, td_token_manager_sign_out_async);
  g_task_set_task_data (task, g_object_ref (account), g_object_unref);

  if (self->store == NULL)
    {
      td_account_clear_tokens (account);
      g_task_return_boolean (task, TRUE);
      return;
    }

  /* Signing out keeps the password, so that signing in again with a
   * remembered password needs no typing. */
  edit_secrets_async (self, account,
                      remove ? EDIT_REMOVE : (EDIT_DROP_TOKENS | EDIT_FORGET_ADMIN_TOKEN),
                      NULL, cancellable, cleared_cb, g_steal_pointer (&task));
}

gboolean
td_token_manager_sign_out_finish (TdTokenManager  *self,
                                  GAsyncResult    *result,
                                  GError         **error)
{
  g_return_val_if_fail (TD_IS_TOKEN_MANAGER (self), FALSE);
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}
