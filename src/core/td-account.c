/* td-account.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "td-account"

#include "config.h"

#include <gio/gio.h>
#include <glib/gi18n-lib.h>

#include "td-account.h"
#include "td-error.h"
#include "td-expiry-scheduler.h"

struct _TdAccount
{
  GObject         parent_instance;

  char           *id;
  char           *vendor;
  char           *display_name;
  char           *username;
  char           *endpoint;
  TdHandOut       hand_out;
  gboolean        remember_password;
  gboolean        admin_token;
  gboolean        renew_automatically;
  guint           assumed_lifetime;
  guint           granted_lifetime;
  guint           expiring_window;

  TdAccountState  state;
  char           *error_message;
  gboolean        keyring_error;
  gboolean        busy;
  gboolean        secrets_loaded;

  /* The last token another program got (D-Bus): when, and who. Not saved:
   * it tells the user what happened while the app ran. */
  gint64          handed_out_at;
  char           *handed_out_to;

  /* Secrets: never properties, never logged. */
  TdTokens       *tokens;
  gboolean        needs_sign_in;
};

G_DEFINE_FINAL_TYPE (TdAccount, td_account, G_TYPE_OBJECT)

G_DEFINE_ENUM_TYPE (TdAccountState, td_account_state,
  G_DEFINE_ENUM_VALUE (TD_ACCOUNT_STATE_SIGNED_OUT, "signed-out"),
  G_DEFINE_ENUM_VALUE (TD_ACCOUNT_STATE_SIGNED_IN, "signed-in"),
  G_DEFINE_ENUM_VALUE (TD_ACCOUNT_STATE_EXPIRING, "expiring"),
  G_DEFINE_ENUM_VALUE (TD_ACCOUNT_STATE_EXPIRED, "expired"),
  G_DEFINE_ENUM_VALUE (TD_ACCOUNT_STATE_NEEDS_SIGN_IN, "needs-sign-in"),
  G_DEFINE_ENUM_VALUE (TD_ACCOUNT_STATE_ERROR, "error"))

G_DEFINE_ENUM_TYPE (TdHandOut, td_hand_out,
  G_DEFINE_ENUM_VALUE (TD_HAND_OUT_ID_TOKEN, "id"),
  G_DEFINE_ENUM_VALUE (TD_HAND_OUT_ACCESS_TOKEN, "access"))

enum {
  PROP_0,
  PROP_ID,
  PROP_VENDOR,
  PROP_DISPLAY_NAME,
  PROP_USERNAME,
  PROP_ENDPOINT,
  PROP_HAND_OUT,
  PROP_REMEMBER_PASSWORD,
  PROP_ADMIN_TOKEN,
  PROP_RENEW_AUTOMATICALLY,
  PROP_ASSUMED_LIFETIME,
  PROP_GRANTED_LIFETIME,
  PROP_EXPIRING_WINDOW,
  PROP_STATE,
  PROP_ERROR_MESSAGE,
  PROP_BUSY,
  PROP_SECRETS_LOADED,
  PROP_EXPIRES_AT,
  PROP_HANDED_OUT_AT,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

enum {
  TOKENS_CHANGED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static void update_state (TdAccount *self);

const char *
td_account_state_to_string (TdAccountState state)
{
  GEnumClass *klass = g_type_class_ref (TD_TYPE_ACCOUNT_STATE);
  GEnumValue *value = g_enum_get_value (klass, state);

  g_type_class_unref (klass);

  return value ? value->value_nick : NULL;
}

const char *
td_hand_out_to_string (TdHandOut hand_out)
{
  return hand_out == TD_HAND_OUT_ACCESS_TOKEN ? "access" : "id";
}

gboolean
td_hand_out_from_string (const char *str,
                         TdHandOut  *out_hand_out)
{
  if (g_strcmp0 (str, "id") == 0)
    *out_hand_out = TD_HAND_OUT_ID_TOKEN;
  else if (g_strcmp0 (str, "access") == 0)
    *out_hand_out = TD_HAND_OUT_ACCESS_TOKEN;
  else
    return FALSE;

  return TRUE;
}

char *
td_account_generate_id (void)
{
  return g_uuid_string_random ();
}

static void
td_account_dispose (GObject *object)
{
  TdAccount *self = (TdAccount *)object;

  td_expiry_scheduler_clear_deadline (td_expiry_scheduler_get_default (), self);

  G_OBJECT_CLASS (td_account_parent_class)->dispose (object);
}

static void
td_account_finalize (GObject *object)
{
  TdAccount *self = (TdAccount *)object;

  g_clear_pointer (&self->tokens, td_tokens_free);
  g_free (self->id);
  g_free (self->vendor);
  g_free (self->display_name);
  g_free (self->username);
  g_free (self->endpoint);
  g_free (self->error_message);
  g_free (self->handed_out_to);

  G_OBJECT_CLASS (td_account_parent_class)->finalize (object);
}

static void
td_account_get_property (GObject    *object,
                         guint       prop_id,
                         GValue     *value,
                         GParamSpec *pspec)
{
  TdAccount *self = TD_ACCOUNT (object);

  switch (prop_id)
    {
    case PROP_ID:
      g_value_set_string (value, self->id);
      break;
    case PROP_VENDOR:
      g_value_set_string (value, self->vendor);
      break;
    case PROP_DISPLAY_NAME:
      g_value_set_string (value, self->display_name);
      break;
    case PROP_USERNAME:
      g_value_set_string (value, self->username);
      break;
    case PROP_ENDPOINT:
      g_value_set_string (value, self->endpoint);
      break;
    case PROP_HAND_OUT:
      g_value_set_enum (value, self->hand_out);
      break;
    case PROP_REMEMBER_PASSWORD:
      g_value_set_boolean (value, self->remember_password);
      break;
    case PROP_ADMIN_TOKEN:
      g_value_set_boolean (value, self->admin_token);
      break;
    case PROP_RENEW_AUTOMATICALLY:
      g_value_set_boolean (value, self->renew_automatically);
      break;
    case PROP_ASSUMED_LIFETIME:
      g_value_set_uint (value, self->assumed_lifetime);
      break;
    case PROP_GRANTED_LIFETIME:
      g_value_set_uint (value, self->granted_lifetime);
      break;
    case PROP_EXPIRING_WINDOW:
      g_value_set_uint (value, self->expiring_window);
      break;
    case PROP_STATE:
      g_value_set_enum (value, self->state);
      break;
    case PROP_ERROR_MESSAGE:
      g_value_set_string (value, self->error_message);
      break;
    case PROP_BUSY:
      g_value_set_boolean (value, self->busy);
      break;
    case PROP_SECRETS_LOADED:
      g_value_set_boolean (value, self->secrets_loaded);
      break;
    case PROP_HANDED_OUT_AT:
      g_value_set_int64 (value, self->handed_out_at);
      break;
    case PROP_EXPIRES_AT:
      g_value_set_int64 (value, td_account_get_expires_at (self));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
td_account_set_property (GObject      *object,
                         guint         prop_id,
                         const GValue *value,
                         GParamSpec   *pspec)
{
  TdAccount *self = TD_ACCOUNT (object);

  switch (prop_id)
    {
    case PROP_ID:
      self->id = g_value_dup_string (value);
      break;
    case PROP_VENDOR:
      self->vendor = g_value_dup_string (value);
      break;
    case PROP_DISPLAY_NAME:
      td_account_set_display_name (self, g_value_get_string (value));
      break;
    case PROP_USERNAME:
      td_account_set_username (self, g_value_get_string (value));
      break;
    case PROP_ENDPOINT:
      td_account_set_endpoint (self, g_value_get_string (value));
      break;
    case PROP_HAND_OUT:
      td_account_set_hand_out (self, g_value_get_enum (value));
      break;
    case PROP_REMEMBER_PASSWORD:
      td_account_set_remember_password (self, g_value_get_boolean (value));
      break;
    case PROP_ADMIN_TOKEN:
      td_account_set_admin_token (self, g_value_get_boolean (value));
      break;
    case PROP_RENEW_AUTOMATICALLY:
      td_account_set_renew_automatically (self, g_value_get_boolean (value));
      break;
    case PROP_ASSUMED_LIFETIME:
      td_account_set_assumed_lifetime (self, g_value_get_uint (value));
      break;
    case PROP_GRANTED_LIFETIME:
      td_account_set_granted_lifetime (self, g_value_get_uint (value));
      break;
    case PROP_EXPIRING_WINDOW:
      td_account_set_expiring_window (self, g_value_get_uint (value));
      break;
    case PROP_BUSY:
      td_account_set_busy (self, g_value_get_boolean (value));
      break;
    case PROP_SECRETS_LOADED:
      td_account_set_secrets_loaded (self, g_value_get_boolean (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
td_account_constructed (GObject *object)
{
  TdAccount *self = TD_ACCOUNT (object);

  G_OBJECT_CLASS (td_account_parent_class)->constructed (object);

  if (self->id == NULL)
    self->id = td_account_generate_id ();
}

static void
td_account_class_init (TdAccountClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = td_account_dispose;
  object_class->finalize = td_account_finalize;
  object_class->constructed = td_account_constructed;
  object_class->get_property = td_account_get_property;
  object_class->set_property = td_account_set_property;

  properties[PROP_ID] =
    g_param_spec_string ("id", NULL, NULL, NULL,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  properties[PROP_VENDOR] =
    g_param_spec_string ("vendor", NULL, NULL, NULL,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  properties[PROP_DISPLAY_NAME] =
    g_param_spec_string ("display-name", NULL, NULL, NULL,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_USERNAME] =
    g_param_spec_string ("username", NULL, NULL, NULL,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_ENDPOINT] =
    g_param_spec_string ("endpoint", NULL, NULL, NULL,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_HAND_OUT] =
    g_param_spec_enum ("hand-out", NULL, NULL,
                       TD_TYPE_HAND_OUT, TD_HAND_OUT_ID_TOKEN,
                       G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_REMEMBER_PASSWORD] =
    g_param_spec_boolean ("remember-password", NULL, NULL, FALSE,
                          G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_ADMIN_TOKEN] =
    g_param_spec_boolean ("admin-token", NULL, NULL, FALSE,
                          G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  /* Renew when the token enters the expiring window instead of warning. */
  properties[PROP_RENEW_AUTOMATICALLY] =
    g_param_spec_boolean ("renew-automatically", NULL, NULL, FALSE,
                          G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_ASSUMED_LIFETIME] =
    g_param_spec_uint ("assumed-lifetime", NULL, NULL,
                       60, 7 * 24 * 3600, TD_ACCOUNT_DEFAULT_ASSUMED_LIFETIME,
                       G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  /* How long the vendor's tokens last, as seen when it last issued one:
   * seconds, 0 unknown, TD_GRANTED_LIFETIME_NEVER. Not a secret. */
  properties[PROP_GRANTED_LIFETIME] =
    g_param_spec_uint ("granted-lifetime", NULL, NULL,
                       0, G_MAXUINT, 0,
                       G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_EXPIRING_WINDOW] =
    g_param_spec_uint ("expiring-window", NULL, NULL,
                       0, 24 * 3600, TD_ACCOUNT_DEFAULT_EXPIRING_WINDOW,
                       G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_STATE] =
    g_param_spec_enum ("state", NULL, NULL,
                       TD_TYPE_ACCOUNT_STATE, TD_ACCOUNT_STATE_SIGNED_OUT,
                       G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_ERROR_MESSAGE] =
    g_param_spec_string ("error-message", NULL, NULL, NULL,
                         G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_BUSY] =
    g_param_spec_boolean ("busy", NULL, NULL, FALSE,
                          G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  /* The keyring has been read for this account (or it signed in since):
   * until then its state says nothing, and the window shows none. */
  properties[PROP_SECRETS_LOADED] =
    g_param_spec_boolean ("secrets-loaded", NULL, NULL, FALSE,
                          G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  /* Seconds since the Unix epoch; 0 without a token; TD_EXPIRES_NEVER. */
  properties[PROP_EXPIRES_AT] =
    g_param_spec_int64 ("expires-at", NULL, NULL,
                        0, G_MAXINT64, 0,
                        G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  /* Seconds since the epoch; 0: never this session. See handed-out-to. */
  properties[PROP_HANDED_OUT_AT] =
    g_param_spec_int64 ("handed-out-at", NULL, NULL,
                        0, G_MAXINT64, 0,
                        G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);

  /* New tokens were set (signed in, renewed, read from the keyring):
   * whoever handed out the old ones may want to hand out these. */
  signals[TOKENS_CHANGED] =
    g_signal_new ("tokens-changed",
                  G_TYPE_FROM_CLASS (klass),
                  G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL,
                  G_TYPE_NONE, 0);
}

static void
td_account_init (TdAccount *self)
{
  self->assumed_lifetime = TD_ACCOUNT_DEFAULT_ASSUMED_LIFETIME;
  self->expiring_window = TD_ACCOUNT_DEFAULT_EXPIRING_WINDOW;
  self->state = TD_ACCOUNT_STATE_SIGNED_OUT;
}

TdAccount *
td_account_new (const char *id,
                const char *vendor)
{
  g_return_val_if_fail (vendor != NULL, NULL);

  return g_object_new (TD_TYPE_ACCOUNT,
                       "id", id,
                       "vendor", vendor,
                       NULL);
}

const char *
td_account_get_id (TdAccount *self)
{
  g_return_val_if_fail (TD_IS_ACCOUNT (self), NULL);
  return self->id;
}

const char *
td_account_get_vendor (TdAccount *self)
{
  g_return_val_if_fail (TD_IS_ACCOUNT (self), NULL);
  return self->vendor;
}

static void
set_string (TdAccount  *self,
            char      **field,
            const char *value,
            guint       prop)
{
  if (g_strcmp0 (*field, value) == 0)
    return;

  g_free (*field);
  *field = g_strdup (value);
  g_object_notify_by_pspec (G_OBJECT (self), properties[prop]);
}

const char *
td_account_get_display_name (TdAccount *self)
{
  g_return_val_if_fail (TD_IS_ACCOUNT (self), NULL);
  return self->display_name;
}

void
td_account_set_display_name (TdAccount  *self,
                             const char *display_name)
{
  g_return_if_fail (TD_IS_ACCOUNT (self));
  set_string (self, &self->display_name, display_name, PROP_DISPLAY_NAME);
}

const char *
td_account_get_username (TdAccount *self)
{
  g_return_val_if_fail (TD_IS_ACCOUNT (self), NULL);
  return self->username;
}

void
td_account_set_username (TdAccount  *self,
                         const char *username)
{
  g_return_if_fail (TD_IS_ACCOUNT (self));
  set_string (self, &self->username, username, PROP_USERNAME);
}

const char *
td_account_get_endpoint (TdAccount *self)
{
  g_return_val_if_fail (TD_IS_ACCOUNT (self), NULL);
  return self->endpoint;
}

void
td_account_set_endpoint (TdAccount  *self,
                         const char *endpoint)
{
  g_return_if_fail (TD_IS_ACCOUNT (self));
  set_string (self, &self->endpoint, endpoint, PROP_ENDPOINT);
}

TdHandOut
td_account_get_hand_out (TdAccount *self)
{
  g_return_val_if_fail (TD_IS_ACCOUNT (self), TD_HAND_OUT_ID_TOKEN);
  return self->hand_out;
}

void
td_account_set_hand_out (TdAccount *self,
                         TdHandOut  hand_out)
{
  g_return_if_fail (TD_IS_ACCOUNT (self));

  if (self->hand_out == hand_out)
    return;

  self->hand_out = hand_out;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_HAND_OUT]);
}

gboolean
td_account_get_remember_password (TdAccount *self)
{
  g_return_val_if_fail (TD_IS_ACCOUNT (self), FALSE);
  return self->remember_password;
}

void
td_account_set_remember_password (TdAccount *self,
                                  gboolean   remember_password)
{
  g_return_if_fail (TD_IS_ACCOUNT (self));

  remember_password = !!remember_password;
  if (self->remember_password == remember_password)
    return;

  self->remember_password = remember_password;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_REMEMBER_PASSWORD]);
}

gboolean
td_account_get_renew_automatically (TdAccount *self)
{
  g_return_val_if_fail (TD_IS_ACCOUNT (self), FALSE);
  return self->renew_automatically;
}

void
td_account_set_renew_automatically (TdAccount *self,
                                    gboolean   renew_automatically)
{
  g_return_if_fail (TD_IS_ACCOUNT (self));

  renew_automatically = !!renew_automatically;
  if (self->renew_automatically == renew_automatically)
    return;

  self->renew_automatically = renew_automatically;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_RENEW_AUTOMATICALLY]);
}

gboolean
td_account_get_admin_token (TdAccount *self)
{
  g_return_val_if_fail (TD_IS_ACCOUNT (self), FALSE);
  return self->admin_token;
}

void
td_account_set_admin_token (TdAccount *self,
                            gboolean   admin_token)
{
  g_return_if_fail (TD_IS_ACCOUNT (self));

  admin_token = !!admin_token;
  if (self->admin_token == admin_token)
    return;

  self->admin_token = admin_token;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_ADMIN_TOKEN]);
}

guint
td_account_get_assumed_lifetime (TdAccount *self)
{
  g_return_val_if_fail (TD_IS_ACCOUNT (self), 0);
  return self->assumed_lifetime;
}

void
td_account_set_assumed_lifetime (TdAccount *self,
                                 guint      seconds)
{
  g_return_if_fail (TD_IS_ACCOUNT (self));

  if (self->assumed_lifetime == seconds)
    return;

  self->assumed_lifetime = seconds;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_ASSUMED_LIFETIME]);
}

guint
td_account_get_granted_lifetime (TdAccount *self)
{
  g_return_val_if_fail (TD_IS_ACCOUNT (self), 0);
  return self->granted_lifetime;
}

void
td_account_set_granted_lifetime (TdAccount *self,
                                 guint      seconds)
{
  g_return_if_fail (TD_IS_ACCOUNT (self));

  if (self->granted_lifetime == seconds)
    return;

  self->granted_lifetime = seconds;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_GRANTED_LIFETIME]);
}

guint
td_account_get_expiring_window (TdAccount *self)
{
  g_return_val_if_fail (TD_IS_ACCOUNT (self), 0);
  return self->expiring_window;
}

void
td_account_set_expiring_window (TdAccount *self,
                                guint      seconds)
{
  g_return_if_fail (TD_IS_ACCOUNT (self));

  if (self->expiring_window == seconds)
    return;

  self->expiring_window = seconds;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_EXPIRING_WINDOW]);
  update_state (self);
}

TdAccountState
td_account_get_state (TdAccount *self)
{
  g_return_val_if_fail (TD_IS_ACCOUNT (self), TD_ACCOUNT_STATE_SIGNED_OUT);
  return self->state;
}

const char *
td_account_get_error_message (TdAccount *self)
{
  g_return_val_if_fail (TD_IS_ACCOUNT (self), NULL);
  return self->error_message;
}

gboolean
td_account_get_busy (TdAccount *self)
{
  g_return_val_if_fail (TD_IS_ACCOUNT (self), FALSE);
  return self->busy;
}

void
td_account_set_busy (TdAccount *self,
                     gboolean   busy)
{
  g_return_if_fail (TD_IS_ACCOUNT (self));

  busy = !!busy;
  if (self->busy == busy)
    return;

  self->busy = busy;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_BUSY]);
}

gint64
td_account_get_handed_out_at (TdAccount *self)
{
  g_return_val_if_fail (TD_IS_ACCOUNT (self), 0);
  return self->handed_out_at;
}

const char *
td_account_get_handed_out_to (TdAccount *self)
{
  g_return_val_if_fail (TD_IS_ACCOUNT (self), NULL);
  return self->handed_out_to;
}

/**
 * td_account_set_handed_out:
 *
 * Records that program (a process name, or a bus name) got a token of the
 * account at when (seconds since the epoch).
 */
void
td_account_set_handed_out (TdAccount  *self,
                           gint64      when,
                           const char *program)
{
  g_return_if_fail (TD_IS_ACCOUNT (self));
  g_return_if_fail (program != NULL);

  /* handed-out-to changes with it: one notification for both. */
  g_free (self->handed_out_to);
  self->handed_out_to = g_strdup (program);
  self->handed_out_at = when;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_HANDED_OUT_AT]);
}

gboolean
td_account_get_secrets_loaded (TdAccount *self)
{
  g_return_val_if_fail (TD_IS_ACCOUNT (self), FALSE);
  return self->secrets_loaded;
}

void
td_account_set_secrets_loaded (TdAccount *self,
                               gboolean   secrets_loaded)
{
  g_return_if_fail (TD_IS_ACCOUNT (self));

  secrets_loaded = !!secrets_loaded;
  if (self->secrets_loaded == secrets_loaded)
    return;

  self->secrets_loaded = secrets_loaded;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SECRETS_LOADED]);
}

gint64
td_account_get_expires_at (TdAccount *self)
{
  g_return_val_if_fail (TD_IS_ACCOUNT (self), 0);

  if (self->tokens == NULL)
    return 0;

  return self->tokens->expires_at;
}

const TdTokens *
td_account_peek_tokens (TdAccount *self)
{
  g_return_val_if_fail (TD_IS_ACCOUNT (self), NULL);
  return self->tokens;
}

static void
state_deadline_cb (gpointer owner)
{
  update_state (owner);
}

/* Seconds since the epoch on the scheduler's clock, which tests can move. */
static gint64
get_now (void)
{
  return td_expiry_scheduler_get_now (td_expiry_scheduler_get_default ()) / G_USEC_PER_SEC;
}

/* Derives the state from the tokens, the expiry and the clock, and sets a
 * deadline at the next moment it changes by itself. The scheduler keeps it
 * as a time of day and also calls us after a resume or a clock change: the
 * state is always recomputed from the wall clock, never counted down. */
static void
update_state (TdAccount *self)
{
  TdExpiryScheduler *scheduler = td_expiry_scheduler_get_default ();
  TdAccountState state;
  gint64 now = get_now ();
  gint64 next_change = 0;

  /* needs-sign-in keeps the vendor's words in error-message too */
  if (self->needs_sign_in)
    state = TD_ACCOUNT_STATE_NEEDS_SIGN_IN;
  else if (self->error_message != NULL)
    state = TD_ACCOUNT_STATE_ERROR;
  else if (self->tokens == NULL)
    state = TD_ACCOUNT_STATE_SIGNED_OUT;
  else if (self->tokens->expires_at == TD_EXPIRES_NEVER)
    state = TD_ACCOUNT_STATE_SIGNED_IN;
  else if (self->tokens->expires_at <= now)
    state = TD_ACCOUNT_STATE_EXPIRED;
  else if (self->tokens->expires_at - self->expiring_window <= now)
    {
      state = TD_ACCOUNT_STATE_EXPIRING;
      next_change = self->tokens->expires_at;
    }
  else
    {
      state = TD_ACCOUNT_STATE_SIGNED_IN;
      next_change = self->tokens->expires_at - self->expiring_window;
    }

  /* No deadline without a token, for one that never expires, or in an
   * error (clearing the error computes the state again): such accounts
   * cost the scheduler nothing. */
  if (next_change > now)
    td_expiry_scheduler_set_deadline (scheduler, self, next_change * G_USEC_PER_SEC,
                                      state_deadline_cb);
  else
    td_expiry_scheduler_clear_deadline (scheduler, self);

  if (state != self->state)
    {
      self->state = state;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_STATE]);
    }
}

static void
set_error_message (TdAccount  *self,
                   const char *message)
{
  if (message == NULL)
    self->keyring_error = FALSE;
  set_string (self, &self->error_message, message, PROP_ERROR_MESSAGE);
}

/**
 * td_account_set_tokens:
 *
 * Takes a copy of what a login or refresh returned. A refresh token that
 * did not come back keeps the one we had: vendors that do not rotate send
 * none.
 */
void
td_account_set_tokens (TdAccount      *self,
                       const TdTokens *tokens)
{
  TdTokens *copy;
  gint64 old_expires_at;

  g_return_if_fail (TD_IS_ACCOUNT (self));
  g_return_if_fail (tokens != NULL);

  old_expires_at = td_account_get_expires_at (self);
  copy = td_tokens_copy (tokens);

  if (copy->refresh_token == NULL && self->tokens != NULL)
    copy->refresh_token = g_steal_pointer (&self->tokens->refresh_token);

  g_clear_pointer (&self->tokens, td_tokens_free);
  self->tokens = copy;
  self->needs_sign_in = FALSE;

  g_object_freeze_notify (G_OBJECT (self));
  /* Tokens just issued are newer than whatever the keyring had. */
  td_account_set_secrets_loaded (self, TRUE);
  set_error_message (self, NULL);
  if (old_expires_at != copy->expires_at)
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_EXPIRES_AT]);
  update_state (self);
  g_object_thaw_notify (G_OBJECT (self));

  g_signal_emit (self, signals[TOKENS_CHANGED], 0);
}

void
td_account_clear_tokens (TdAccount *self)
{
  g_return_if_fail (TD_IS_ACCOUNT (self));

  g_object_freeze_notify (G_OBJECT (self));
  if (self->tokens != NULL)
    {
      g_clear_pointer (&self->tokens, td_tokens_free);
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_EXPIRES_AT]);
    }
  self->needs_sign_in = FALSE;
  set_error_message (self, NULL);
  update_state (self);
  g_object_thaw_notify (G_OBJECT (self));
}

char *
td_account_dup_hand_out_token (TdAccount *self)
{
  g_return_val_if_fail (TD_IS_ACCOUNT (self), NULL);

  if (self->tokens == NULL)
    return NULL;

  /* Only Senmo sends an ID token; everywhere else the access token is it. */
  if (self->hand_out == TD_HAND_OUT_ID_TOKEN && self->tokens->id_token != NULL)
    return g_strdup (self->tokens->id_token);

  return g_strdup (self->tokens->access_token);
}

gboolean
td_account_has_valid_token (TdAccount *self,
                            guint      min_valid)
{
  gint64 now;

  g_return_val_if_fail (TD_IS_ACCOUNT (self), FALSE);

  if (self->tokens == NULL || self->tokens->access_token == NULL)
    return FALSE;

  if (self->tokens->expires_at == TD_EXPIRES_NEVER)
    return TRUE;

  now = get_now ();
  return self->tokens->expires_at - (gint64) min_valid > now;
}

/**
 * td_account_record_granted_lifetime:
 *
 * Learns how long the vendor's tokens last from tokens it has just issued
 * (not from the keyring: those are older than they look). The vendor
 * counts from the second it issued them and the answer took a moment to
 * arrive, so the span is rounded: to 5 s below a minute, to 10 s above,
 * which keeps it the same from one renewal to the next.
 */
void
td_account_record_granted_lifetime (TdAccount      *self,
                                    const TdTokens *tokens)
{
  gint64 lifetime;
  gint64 unit;

  g_return_if_fail (TD_IS_ACCOUNT (self));
  g_return_if_fail (tokens != NULL);

  if (tokens->expires_at == TD_EXPIRES_NEVER)
    {
      td_account_set_granted_lifetime (self, TD_GRANTED_LIFETIME_NEVER);
      return;
    }

  lifetime = tokens->expires_at - get_now ();
  if (lifetime <= 0)
    return;  /* expired on arrival: says nothing of the vendor's habits */

  unit = lifetime < 60 ? 5 : 10;
  lifetime = MAX ((lifetime + unit / 2) / unit * unit, 1);
  td_account_set_granted_lifetime (self, (guint) MIN (lifetime, G_MAXUINT - 1));
}

/* Rounded to the nearest unit: seconds up to two minutes, minutes up to
 * two hours, hours up to two days, then days. */
char *
td_format_duration (gint64 seconds)
{
  gint64 count;

  seconds = MAX (seconds, 0);

  if (seconds < 2 * 60)
    return g_strdup_printf (ngettext ("%d s", "%d s", seconds), (int) seconds);

  if (seconds < 2 * 3600)
    {
      count = (seconds + 30) / 60;
      return g_strdup_printf (ngettext ("%d min", "%d min", count), (int) count);
    }

  if (seconds < 2 * 24 * 3600)
    {
      count = (seconds + 1800) / 3600;
      return g_strdup_printf (ngettext ("%d hour", "%d hours", count), (int) count);
    }

  count = MIN ((seconds + 12 * 3600) / (24 * 3600), G_MAXINT);
  return g_strdup_printf (ngettext ("%d day", "%d days", count), (int) count);
}

/**
 * td_account_set_error:
 *
 * Records why the last operation failed. The tokens are kept: a network
 * that drops does not make a still-valid token useless.
 */
void
td_account_set_error (TdAccount    *self,
                      const GError *error)
{
  g_return_if_fail (TD_IS_ACCOUNT (self));
  g_return_if_fail (error != NULL);

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;

  if (g_error_matches (error, TD_ERROR, TD_ERROR_NEEDS_SIGN_IN))
    {
      td_account_set_needs_sign_in (self, error->message);
      return;
    }

  g_object_freeze_notify (G_OBJECT (self));
  set_error_message (self, error->message);
  self->keyring_error = g_error_matches (error, TD_ERROR, TD_ERROR_KEYRING_UNAVAILABLE);
  update_state (self);
  g_object_thaw_notify (G_OBJECT (self));
}

gboolean
td_account_get_keyring_error (TdAccount *self)
{
  g_return_val_if_fail (TD_IS_ACCOUNT (self), FALSE);

  return self->keyring_error && self->error_message != NULL;
}

/* The error is over (the keyring answered after all): the state is again
 * what the tokens say. */
void
td_account_clear_error (TdAccount *self)
{
  g_return_if_fail (TD_IS_ACCOUNT (self));

  g_object_freeze_notify (G_OBJECT (self));
  if (!self->needs_sign_in)
    set_error_message (self, NULL);
  update_state (self);
  g_object_thaw_notify (G_OBJECT (self));
}

void
td_account_set_needs_sign_in (TdAccount  *self,
                              const char *message)
{
  g_return_if_fail (TD_IS_ACCOUNT (self));

  g_object_freeze_notify (G_OBJECT (self));
  self->needs_sign_in = TRUE;
  set_error_message (self, message);
  update_state (self);
  g_object_thaw_notify (G_OBJECT (self));
}
