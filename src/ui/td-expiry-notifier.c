/* td-expiry-notifier.c: warns before tokens expire, or renews them
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "td-expiry-notifier"

#include "config.h"

#include <glib/gi18n-lib.h>

#include "td-expiry-notifier.h"
#include "td-expiry-scheduler.h"
#include "td-expiry-text.h"
#include "td-provider.h"
#include "td-tokens.h"

/* Accounts whose warning falls within this many seconds of another's are
 * told about together, in one notification. */
#define SAME_MINUTE 60

typedef enum
{
  KIND_EXPIRING,
  KIND_EXPIRED,
  KIND_FAILED,
  N_KINDS
} Kind;

/* Also the start of each notification's id. */
static const char * const kind_names[N_KINDS] = { "expiring", "expired", "failed" };

/* One notification on screen, for one account or several. */
typedef struct
{
  Kind       kind;
  char      *id;
  GPtrArray *accounts;
} Notice;

/* What we know of an account: the state it was last in, and the event of
 * each kind it was last told about (its expiry; for a failure also the
 * message), so that one event never makes two notifications. */
typedef struct
{
  TdAccountState  state;
  gint64          told_expiry[N_KINDS];
  char           *told_failure;
} Watch;

struct _TdExpiryNotifier
{
  GObject          parent_instance;

  /* The application owns us: no reference back. */
  GApplication    *application;
  TdAccountList   *accounts;
  TdTokenManager  *token_manager;
  GSettings       *settings;
  GCancellable    *cancellable;

  TdInViewFunc     in_view;
  gpointer         in_view_data;

  GHashTable      *watches;          /* TdAccount* → Watch* */
  GPtrArray       *notices;          /* Notice* */
  GPtrArray       *pending[N_KINDS]; /* TdAccount*, told at the next idle */
  guint            flush_id;
  guint            serial;
};

G_DEFINE_FINAL_TYPE (TdExpiryNotifier, td_expiry_notifier, G_TYPE_OBJECT)

static void
notice_free (Notice *notice)
{
  g_free (notice->id);
  g_ptr_array_unref (notice->accounts);
  g_free (notice);
}

static void
watch_free (Watch *watch)
{
  g_free (watch->told_failure);
  g_free (watch);
}

/* The accounts' clock, which tests can move. */
static gint64
now_seconds (void)
{
  return td_expiry_scheduler_get_now (td_expiry_scheduler_get_default ()) / G_USEC_PER_SEC;
}

/* Whether renewing needs nothing typed: a refresh token, a remembered
 * password or an administrative token. Otherwise the button says Sign In. */
static gboolean
renews_without_password (TdAccount *account)
{
  const TdTokens *tokens = td_account_peek_tokens (account);

  return (tokens != NULL && tokens->refresh_token != NULL) ||
         td_account_get_remember_password (account) ||
         td_account_get_admin_token (account);
}

/* Renew Automatically, and nothing to type: only the user can type a
 * password, so those are warned about instead. */
static gboolean
renews_by_itself (TdAccount *account)
{
  return td_account_get_renew_automatically (account) && renews_without_password (account);
}

static const char *
vendor_name (TdAccount *account)
{
  TdProvider *provider = td_provider_get_for_vendor (td_account_get_vendor (account));

  return provider ? td_provider_get_display_name (provider) : td_account_get_vendor (account);
}

static char *
join_names (GPtrArray *accounts)
{
  g_autoptr(GString) names = g_string_new (NULL);

  for (guint i = 0; i < accounts->len; i++)
    {
      /* Translators: the separator between account names in a list */
      if (i > 0)
        g_string_append (names, _(", "));
      g_string_append (names, td_account_get_display_name (g_ptr_array_index (accounts, i)));
    }

  return g_string_free (g_steal_pointer (&names), FALSE);
}

/* The ids joined by commas: notification servers pass actions around as
 * text, and dunst cannot take one that holds brackets, as an array
 * target would. */
static GVariant *
account_ids (GPtrArray *accounts)
{
  g_autoptr(GString) ids = g_string_new (NULL);

  for (guint i = 0; i < accounts->len; i++)
    g_string_append_printf (ids, "%s%s", i > 0 ? "," : "",
                            td_account_get_id (g_ptr_array_index (accounts, i)));

  return g_variant_new_take_string (g_string_free (g_steal_pointer (&ids), FALSE));
}

static void
add_renew_button (GNotification *notification,
                  TdAccount     *account)
{
  if (renews_without_password (account))
    g_notification_add_button_with_target (notification, _("Renew"), "app.renew-account",
                                           "s", td_account_get_id (account));
  else
    g_notification_add_button_with_target (notification, _("Sign In…"), "app.sign-in-account",
                                           "s", td_account_get_id (account));
}

static GNotification *
build_one (Kind       kind,
           TdAccount *account)
{
  const char *name = td_account_get_display_name (account);
  const char *id = td_account_get_id (account);
  g_autoptr(GNotification) notification = NULL;
  g_autofree char *title = NULL;
  g_autofree char *body = NULL;
  g_autofree char *when = NULL;

  switch (kind)
    {
    case KIND_EXPIRING:
      when = td_expiry_text (td_account_get_expires_at (account), now_seconds (), NULL);
      notification = g_notification_new (name);
      /* Translators: "Cover Whale token expires in 4 min" */
      body = g_strdup_printf (_("%s token %s"), vendor_name (account), when ? when : "");
      g_notification_add_button_with_target (notification, _("Copy"), "app.copy-token",
                                             "s", id);
      add_renew_button (notification, account);
      break;

    case KIND_EXPIRED:
      /* Translators: %s is an account's name */
      title = g_strdup_printf (_("Token for “%s” expired"), name);
      notification = g_notification_new (title);
      /* Translators: %s is a vendor */
      body = g_strdup_printf (_("The %s token was not renewed in time."), vendor_name (account));
      add_renew_button (notification, account);
      g_notification_set_priority (notification, G_NOTIFICATION_PRIORITY_HIGH);
      break;

    case KIND_FAILED:
      /* Translators: %s is an account's name */
      title = g_strdup_printf (_("Could not renew the token for “%s”"), name);
      notification = g_notification_new (title);
      /* The vendor's own words say what to do. */
      body = g_strdup (td_account_get_error_message (account));
      g_notification_add_button_with_target (notification, _("Sign In…"), "app.sign-in-account",
                                             "s", id);
      g_notification_set_priority (notification, G_NOTIFICATION_PRIORITY_HIGH);
      break;

    default:
      g_assert_not_reached ();
    }

  if (body != NULL)
    g_notification_set_body (notification, body);
  g_notification_set_default_action_and_target (notification, "app.show-account", "s", id);

  return g_steal_pointer (&notification);
}

static GNotification *
build_many (Kind       kind,
            GPtrArray *accounts)
{
  g_autoptr(GNotification) notification = NULL;
  g_autofree char *title = NULL;
  g_autofree char *names = join_names (accounts);
  guint n = accounts->len;
  gint64 soonest = G_MAXINT64;
  gint64 minutes;

  switch (kind)
    {
    case KIND_EXPIRING:
      for (guint i = 0; i < n; i++)
        soonest = MIN (soonest, td_account_get_expires_at (g_ptr_array_index (accounts, i)));
      minutes = MAX (1, (soonest - now_seconds () + 59) / 60);
      /* Translators: "3 tokens expire in 5 min" */
      title = g_strdup_printf (ngettext ("%u token expires in %u min",
                                         "%u tokens expire in %u min", n),
                               n, (guint) minutes);
      break;
    case KIND_EXPIRED:
      title = g_strdup_printf (ngettext ("%u token expired", "%u tokens expired", n), n);
      break;
    case KIND_FAILED:
      title = g_strdup_printf (ngettext ("Could not renew %u token",
                                         "Could not renew %u tokens", n), n);
      break;
    default:
      g_assert_not_reached ();
    }

  notification = g_notification_new (title);
  g_notification_set_body (notification, names);
  g_notification_set_default_action (notification, "app.show-window");
  if (kind != KIND_FAILED)
    g_notification_add_button_with_target_value (notification, _("Renew All"),
                                                 "app.renew-accounts", account_ids (accounts));
  if (kind != KIND_EXPIRING)
    g_notification_set_priority (notification, G_NOTIFICATION_PRIORITY_HIGH);

  return g_steal_pointer (&notification);
}

static void
send_notice (TdExpiryNotifier *self,
             Notice           *notice)
{
  g_autoptr(GNotification) notification = NULL;

  if (notice->accounts->len == 1)
    notification = build_one (notice->kind, g_ptr_array_index (notice->accounts, 0));
  else
    notification = build_many (notice->kind, notice->accounts);

  g_debug ("Notification %s for %u account(s)", notice->id, notice->accounts->len);
  g_application_send_notification (self->application, notice->id, notification);
}

/* Whether what notice says of account is still true. */
static gboolean
still_applies (TdExpiryNotifier *self,
               Kind              kind,
               TdAccount        *account)
{
  Watch *watch = g_hash_table_lookup (self->watches, account);
  TdAccountState state = td_account_get_state (account);
  gint64 expires_at = td_account_get_expires_at (account);

  if (watch == NULL)
    return FALSE;  /* removed from the list */

  switch (kind)
    {
    case KIND_EXPIRING:
      /* Signed in still: told a little early, with others due that minute. */
      return (state == TD_ACCOUNT_STATE_EXPIRING || state == TD_ACCOUNT_STATE_SIGNED_IN) &&
             expires_at == watch->told_expiry[KIND_EXPIRING];
    case KIND_EXPIRED:
      return state == TD_ACCOUNT_STATE_EXPIRED && expires_at == watch->told_expiry[KIND_EXPIRED];
    case KIND_FAILED:
      return state == TD_ACCOUNT_STATE_ERROR || state == TD_ACCOUNT_STATE_NEEDS_SIGN_IN;
    default:
      g_assert_not_reached ();
    }
}

/* Takes account out of the notifications that no longer apply to it; a
 * notification left with nobody is withdrawn. One left with others stays
 * as it is: sending it again would alert the user again, and after one of
 * its buttons was used GLib no longer knows it, so it would come back as a
 * second notification. */
static void
withdraw_stale (TdExpiryNotifier *self,
                TdAccount        *account)
{
  for (guint i = self->notices->len; i > 0; i--)
    {
      Notice *notice = g_ptr_array_index (self->notices, i - 1);

      if (!g_ptr_array_find (notice->accounts, account, NULL) ||
          still_applies (self, notice->kind, account))
        continue;

      g_ptr_array_remove (notice->accounts, account);
      if (notice->accounts->len == 0)
        {
          g_debug ("Withdrawing notification %s", notice->id);
          g_application_withdraw_notification (self->application, notice->id);
          g_ptr_array_remove_index (self->notices, i - 1);
        }
    }

  for (guint k = 0; k < N_KINDS; k++)
    if (!still_applies (self, k, account))
      g_ptr_array_remove (self->pending[k], account);
}

static gboolean
in_view (TdExpiryNotifier *self,
         TdAccount        *account)
{
  return self->in_view != NULL && self->in_view (account, self->in_view_data);
}

/* Accounts not yet warned whose warning time comes within the minute: they
 * go in the same notification rather than one each a few seconds apart. */
static void
add_due_this_minute (TdExpiryNotifier *self,
                     GPtrArray        *accounts)
{
  guint lead = g_settings_get_uint (self->settings, "expiry-lead-time");
  gint64 horizon = now_seconds () + SAME_MINUTE;
  GHashTableIter iter;
  gpointer key, value;

  g_hash_table_iter_init (&iter, self->watches);
  while (g_hash_table_iter_next (&iter, &key, &value))
    {
      TdAccount *account = key;
      Watch *watch = value;
      gint64 expires_at = td_account_get_expires_at (account);

      if (td_account_get_state (account) != TD_ACCOUNT_STATE_SIGNED_IN ||
          expires_at == TD_EXPIRES_NEVER || expires_at - lead > horizon ||
          watch->told_expiry[KIND_EXPIRING] == expires_at ||
          renews_by_itself (account) ||
          in_view (self, account))
        continue;

      watch->told_expiry[KIND_EXPIRING] = expires_at;
      g_ptr_array_add (accounts, g_object_ref (account));
    }
}

static gboolean
flush_cb (gpointer user_data)
{
  TdExpiryNotifier *self = user_data;

  self->flush_id = 0;

  for (guint k = 0; k < N_KINDS; k++)
    {
      g_autoptr(GPtrArray) accounts = g_steal_pointer (&self->pending[k]);
      Notice *notice;

      self->pending[k] = g_ptr_array_new_with_free_func (g_object_unref);

      /* The user sees the row change: a notification would only repeat it. */
      for (guint i = accounts->len; i > 0; i--)
        if (in_view (self, g_ptr_array_index (accounts, i - 1)))
          {
            g_debug ("Account %s is on screen: no notification",
                     td_account_get_id (g_ptr_array_index (accounts, i - 1)));
            g_ptr_array_remove_index (accounts, i - 1);
          }

      if (accounts->len == 0)
        continue;

      if (k == KIND_EXPIRING)
        add_due_this_minute (self, accounts);

      notice = g_new0 (Notice, 1);
      notice->kind = k;
      notice->accounts = g_steal_pointer (&accounts);
      if (notice->accounts->len == 1)
        notice->id = g_strdup_printf ("%s-%s", kind_names[k],
                                      td_account_get_id (g_ptr_array_index (notice->accounts, 0)));
      else
        notice->id = g_strdup_printf ("%s-group-%u", kind_names[k], ++self->serial);

      g_ptr_array_add (self->notices, notice);
      send_notice (self, notice);
    }

  return G_SOURCE_REMOVE;
}

/* Tells about account at the next idle, with whatever else happened in
 * the same turn of the main loop (a resume wakes many accounts at once). */
static void
tell (TdExpiryNotifier *self,
      Kind              kind,
      TdAccount        *account)
{
  Watch *watch = g_hash_table_lookup (self->watches, account);
  gint64 expires_at = td_account_get_expires_at (account);
  const char *message = td_account_get_error_message (account);

  if (kind == KIND_FAILED)
    {
      if (watch->told_expiry[kind] == expires_at && g_strcmp0 (watch->told_failure, message) == 0)
        return;
      g_free (watch->told_failure);
      watch->told_failure = g_strdup (message);
    }
  else if (watch->told_expiry[kind] == expires_at)
    return;

  /* Counted as told even when nothing shows (notifications off, in
   * view): the same event never comes back later. */
  watch->told_expiry[kind] = expires_at;

  if (!g_settings_get_boolean (self->settings, "notify-expiry"))
    return;

  g_ptr_array_add (self->pending[kind], g_object_ref (account));
  if (self->flush_id == 0)
    self->flush_id = g_idle_add_full (G_PRIORITY_DEFAULT_IDLE, flush_cb, self, NULL);
}

static void
auto_renewed_cb (GObject      *object,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(TdAccount) account = user_data;
  g_autoptr(GError) error = NULL;

  /* A failure shows as the account's state, and is told from there. */
  if (!td_token_manager_renew_finish (TD_TOKEN_MANAGER (object), result, &error))
    g_debug ("Could not renew account %s automatically: %s",
             td_account_get_id (account), error->message);
  else
    g_debug ("Renewed account %s automatically", td_account_get_id (account));
}

static void
renew (TdExpiryNotifier *self,
       TdAccount        *account)
{
  if (td_account_get_busy (account))
    return;

  g_debug ("Renewing account %s before it expires", td_account_get_id (account));
  td_token_manager_renew_async (self->token_manager, account, self->cancellable,
                                auto_renewed_cb, g_object_ref (account));
}

static void
account_changed_cb (TdAccount        *account,
                    GParamSpec       *pspec,
                    TdExpiryNotifier *self)
{
  Watch *watch = g_hash_table_lookup (self->watches, account);
  TdAccountState old_state = watch->state;
  TdAccountState state = td_account_get_state (account);
  gboolean had_token;

  g_debug ("Account %s: %s → %s", td_account_get_id (account),
           td_account_state_to_string (old_state), td_account_state_to_string (state));
  withdraw_stale (self, account);

  /* Until the keyring was read the state says nothing. */
  if (!td_account_get_secrets_loaded (account) || state == old_state)
    return;

  watch->state = state;
  had_token = old_state == TD_ACCOUNT_STATE_SIGNED_IN ||
              old_state == TD_ACCOUNT_STATE_EXPIRING ||
              old_state == TD_ACCOUNT_STATE_EXPIRED;

  switch (state)
    {
    case TD_ACCOUNT_STATE_EXPIRING:
      if (renews_by_itself (account))
        renew (self, account);
      else
        tell (self, KIND_EXPIRING, account);
      break;

    case TD_ACCOUNT_STATE_EXPIRED:
      /* Only what expired while we ran: not a token stale since last week. */
      if (old_state != TD_ACCOUNT_STATE_SIGNED_IN && old_state != TD_ACCOUNT_STATE_EXPIRING)
        break;
      /* Asleep through its warning time: renew now, as it would have. */
      if (old_state == TD_ACCOUNT_STATE_SIGNED_IN && renews_by_itself (account))
        renew (self, account);
      else
        tell (self, KIND_EXPIRED, account);
      break;

    case TD_ACCOUNT_STATE_ERROR:
    case TD_ACCOUNT_STATE_NEEDS_SIGN_IN:
      if (had_token)
        tell (self, KIND_FAILED, account);
      break;

    case TD_ACCOUNT_STATE_SIGNED_IN:
    case TD_ACCOUNT_STATE_SIGNED_OUT:
    default:
      break;
    }
}

static void
apply_lead_time (TdExpiryNotifier *self,
                 TdAccount        *account)
{
  td_account_set_expiring_window (account,
                                  g_settings_get_uint (self->settings, "expiry-lead-time"));
}

static void
watch_account (TdExpiryNotifier *self,
               TdAccount        *account)
{
  Watch *watch;

  /* An account back from an Undo is watched afresh. */
  if (g_hash_table_contains (self->watches, account))
    return;

  /* First: the state depends on it. */
  apply_lead_time (self, account);

  watch = g_new0 (Watch, 1);
  watch->state = td_account_get_secrets_loaded (account) ? td_account_get_state (account)
                                                         : TD_ACCOUNT_STATE_SIGNED_OUT;
  g_hash_table_insert (self->watches, g_object_ref (account), watch);
  g_signal_connect_object (account, "notify::state", G_CALLBACK (account_changed_cb), self, 0);
  g_signal_connect_object (account, "notify::expires-at", G_CALLBACK (account_changed_cb),
                           self, 0);
  g_signal_connect_object (account, "notify::secrets-loaded", G_CALLBACK (account_changed_cb),
                           self, 0);

  /* Already in its warning time when it arrives (an account signed in
   * with a short-lived token). */
  if (td_account_get_secrets_loaded (account) &&
      td_account_get_state (account) == TD_ACCOUNT_STATE_EXPIRING)
    {
      watch->state = TD_ACCOUNT_STATE_SIGNED_IN;
      account_changed_cb (account, NULL, self);
    }
}

static void
unwatch_account (TdExpiryNotifier *self,
                 TdAccount        *account_)
{
  g_autoptr(TdAccount) account = g_object_ref (account_);

  g_signal_handlers_disconnect_by_data (account, self);
  g_hash_table_remove (self->watches, account);
  withdraw_stale (self, account);
}

static void
accounts_changed_cb (TdExpiryNotifier *self,
                     guint             position,
                     guint             removed,
                     guint             added,
                     GListModel       *model)
{
  g_autoptr(GHashTable) present = NULL;
  g_autoptr(GPtrArray) gone = g_ptr_array_new ();
  GHashTableIter iter;
  gpointer key;
  guint n = g_list_model_get_n_items (model);

  for (guint i = position; i < position + added; i++)
    {
      g_autoptr(TdAccount) account = g_list_model_get_item (model, i);

      watch_account (self, account);
    }

  if (removed == 0)
    return;

  /* Which ones left: the model does not say. */
  present = g_hash_table_new_full (NULL, NULL, g_object_unref, NULL);
  for (guint i = 0; i < n; i++)
    g_hash_table_add (present, g_list_model_get_item (model, i));

  g_hash_table_iter_init (&iter, self->watches);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    if (!g_hash_table_contains (present, key))
      g_ptr_array_add (gone, key);

  for (guint i = 0; i < gone->len; i++)
    unwatch_account (self, g_ptr_array_index (gone, i));
}

static void
lead_time_changed_cb (TdExpiryNotifier *self)
{
  GHashTableIter iter;
  gpointer key;

  g_hash_table_iter_init (&iter, self->watches);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    apply_lead_time (self, key);
}

static void
td_expiry_notifier_dispose (GObject *object)
{
  TdExpiryNotifier *self = (TdExpiryNotifier *)object;
  GHashTableIter iter;
  gpointer key;

  g_cancellable_cancel (self->cancellable);
  g_clear_handle_id (&self->flush_id, g_source_remove);

  if (self->watches != NULL)
    {
      g_hash_table_iter_init (&iter, self->watches);
      while (g_hash_table_iter_next (&iter, &key, NULL))
        g_signal_handlers_disconnect_by_data (key, self);
      g_hash_table_remove_all (self->watches);
    }

  if (self->accounts != NULL)
    g_signal_handlers_disconnect_by_data (self->accounts, self);
  g_clear_object (&self->accounts);
  g_clear_object (&self->token_manager);
  g_clear_object (&self->settings);
  g_clear_object (&self->cancellable);
  self->application = NULL;

  G_OBJECT_CLASS (td_expiry_notifier_parent_class)->dispose (object);
}

static void
td_expiry_notifier_finalize (GObject *object)
{
  TdExpiryNotifier *self = (TdExpiryNotifier *)object;

  g_hash_table_unref (self->watches);
  g_ptr_array_unref (self->notices);
  for (guint k = 0; k < N_KINDS; k++)
    g_ptr_array_unref (self->pending[k]);

  G_OBJECT_CLASS (td_expiry_notifier_parent_class)->finalize (object);
}

static void
td_expiry_notifier_class_init (TdExpiryNotifierClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = td_expiry_notifier_dispose;
  object_class->finalize = td_expiry_notifier_finalize;
}

static void
td_expiry_notifier_init (TdExpiryNotifier *self)
{
  self->cancellable = g_cancellable_new ();
  self->watches = g_hash_table_new_full (NULL, NULL, g_object_unref, (GDestroyNotify) watch_free);
  self->notices = g_ptr_array_new_with_free_func ((GDestroyNotify) notice_free);
  for (guint k = 0; k < N_KINDS; k++)
    self->pending[k] = g_ptr_array_new_with_free_func (g_object_unref);
}

TdExpiryNotifier *
td_expiry_notifier_new (GApplication   *application,
                        TdAccountList  *accounts,
                        TdTokenManager *token_manager,
                        GSettings      *settings)
{
  TdExpiryNotifier *self;

  g_return_val_if_fail (G_IS_APPLICATION (application), NULL);
  g_return_val_if_fail (TD_IS_ACCOUNT_LIST (accounts), NULL);
  g_return_val_if_fail (TD_IS_TOKEN_MANAGER (token_manager), NULL);
  g_return_val_if_fail (G_IS_SETTINGS (settings), NULL);

  self = g_object_new (TD_TYPE_EXPIRY_NOTIFIER, NULL);
  self->application = application;
  self->accounts = g_object_ref (accounts);
  self->token_manager = g_object_ref (token_manager);
  self->settings = g_object_ref (settings);

  g_signal_connect_object (settings, "changed::expiry-lead-time",
                           G_CALLBACK (lead_time_changed_cb), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (accounts, "items-changed",
                           G_CALLBACK (accounts_changed_cb), self, G_CONNECT_SWAPPED);
  accounts_changed_cb (self, 0, 0, g_list_model_get_n_items (G_LIST_MODEL (accounts)),
                       G_LIST_MODEL (accounts));

  return self;
}

void
td_expiry_notifier_set_in_view_func (TdExpiryNotifier *self,
                                     TdInViewFunc      func,
                                     gpointer          user_data)
{
  g_return_if_fail (TD_IS_EXPIRY_NOTIFIER (self));

  self->in_view = func;
  self->in_view_data = user_data;
}
