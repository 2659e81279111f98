/* td-provider.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

#include "td-account.h"
#include "td-http-client.h"
#include "td-tokens.h"

G_BEGIN_DECLS

typedef enum
{
  TD_PROVIDER_FEATURE_NONE              = 0,
  TD_PROVIDER_FEATURE_REFRESH_TOKEN     = 1 << 0, /* renews without the password */
  TD_PROVIDER_FEATURE_PASSWORD_RESET    = 1 << 1, /* the two-step e-mailed reset */
  TD_PROVIDER_FEATURE_CHANGE_PASSWORD   = 1 << 2, /* new_password on login */
  TD_PROVIDER_FEATURE_ADMIN_TOKEN       = 1 << 3, /* a pasted long-lived token */
  TD_PROVIDER_FEATURE_REQUIRES_ENDPOINT = 1 << 4, /* no public host: the user must enter one */
  TD_PROVIDER_FEATURE_CHOOSE_TOKEN      = 1 << 5, /* ID token or access token */
  TD_PROVIDER_FEATURE_ASSUMED_LIFETIME  = 1 << 6, /* tokens may not say when they expire */
  TD_PROVIDER_FEATURE_REVOKES_EARLIER   = 1 << 7, /* every renewal kills the tokens before it */
} TdProviderFeatures;

typedef struct
{
  const char *id;     /* stable, stored in the account file */
  const char *label;  /* translatable, marked with N_() */
  const char *url;
} TdEndpointPreset;

#define TD_TYPE_PROVIDER (td_provider_get_type ())

G_DECLARE_DERIVABLE_TYPE (TdProvider, td_provider, TD, PROVIDER, GObject)

struct _TdProviderClass
{
  GObjectClass parent_class;

  /* Metadata, set in class_init */
  const char              *vendor_id;      /* "coverwhale" */
  const char              *display_name;   /* "Cover Whale", not translated: a brand */
  const char              *description;    /* one line, marked with N_() */
  const char              *icon_name;
  const char              *header_name;    /* "AccessToken", "token", "Authorization" */
  const char              *header_prefix;  /* "" or "Bearer " */
  const TdEndpointPreset  *presets;        /* terminated by an all-NULL entry; first is default */
  TdProviderFeatures       features;

  /* Sign in with a password. new_password is only for vendors with
   * TD_PROVIDER_FEATURE_CHANGE_PASSWORD. */
  void       (*login_async)                   (TdProvider          *self,
                                               TdAccount           *account,
                                               const char          *password,
                                               const char          *new_password,
                                               GCancellable        *cancellable,
                                               GAsyncReadyCallback  callback,
                                               gpointer             user_data);
  TdTokens * (*login_finish)                  (TdProvider          *self,
                                               GAsyncResult        *result,
                                               GError             **error);
  void       (*refresh_async)                 (TdProvider          *self,
                                               TdAccount           *account,
                                               const char          *refresh_token,
                                               GCancellable        *cancellable,
                                               GAsyncReadyCallback  callback,
                                               gpointer             user_data);
  TdTokens * (*refresh_finish)                (TdProvider          *self,
                                               GAsyncResult        *result,
                                               GError             **error);
  void       (*request_password_reset_async)  (TdProvider          *self,
                                               TdAccount           *account,
                                               GCancellable        *cancellable,
                                               GAsyncReadyCallback  callback,
                                               gpointer             user_data);
  gboolean   (*request_password_reset_finish) (TdProvider          *self,
                                               GAsyncResult        *result,
                                               GError             **error);
  void       (*reset_password_async)          (TdProvider          *self,
                                               TdAccount           *account,
                                               const char          *code,
                                               const char          *new_password,
                                               GCancellable        *cancellable,
                                               GAsyncReadyCallback  callback,
                                               gpointer             user_data);
  gboolean   (*reset_password_finish)         (TdProvider          *self,
                                               GAsyncResult        *result,
                                               GError             **error);

  gpointer padding[8];
};

/* The registry: vendors register their types (td_vendors_init ()), the
 * rest of the app looks them up by id. One instance per vendor. */
void                td_provider_register                  (GType                provider_type);
TdProvider         *td_provider_get_for_vendor            (const char          *vendor_id);
GList              *td_provider_get_all                   (void); /* borrowed TdProvider*, in display order */

const char         *td_provider_get_vendor_id             (TdProvider          *self);
const char         *td_provider_get_display_name          (TdProvider          *self);
const char         *td_provider_get_description           (TdProvider          *self);
const char         *td_provider_get_icon_name             (TdProvider          *self);
const TdEndpointPreset *td_provider_get_presets           (TdProvider          *self);
const TdEndpointPreset *td_provider_find_preset           (TdProvider          *self,
                                                           const char          *id);
TdProviderFeatures  td_provider_get_features              (TdProvider          *self);
/* Whether renewing account unasked costs its user nothing: the vendor keeps
 * the tokens already handed out alive, and renewal needs no password typed
 * (a refresh token, a remembered password). The default of the account's
 * "renew automatically" option. */
gboolean            td_provider_renews_freely             (TdProvider          *self,
                                                           TdAccount           *account);
gboolean            td_provider_has_feature               (TdProvider          *self,
                                                           TdProviderFeatures   feature);
TdHttpClient       *td_provider_get_http_client           (TdProvider          *self);

/* "AccessToken: abc", "Authorization: Bearer abc", "token: abc" */
char               *td_provider_format_header             (TdProvider          *self,
                                                           const char          *token);
const char         *td_provider_get_header_name           (TdProvider          *self);
char               *td_provider_format_header_value       (TdProvider          *self,
                                                           const char          *token);

/* Turns an account's endpoint (a preset id, empty for the default, or a
 * URL) into a base URL without a trailing slash, enforcing https except for
 * loopback hosts. */
char               *td_provider_resolve_base_url          (TdProvider          *self,
                                                           const char          *endpoint,
                                                           GError             **error);
gboolean            td_provider_validate_url              (const char          *url,
                                                           GError             **error);

void                td_provider_login_async               (TdProvider          *self,
                                                           TdAccount           *account,
                                                           const char          *password,
                                                           const char          *new_password,
                                                           GCancellable        *cancellable,
                                                           GAsyncReadyCallback  callback,
                                                           gpointer             user_data);
TdTokens           *td_provider_login_finish              (TdProvider          *self,
                                                           GAsyncResult        *result,
                                                           GError             **error);
void                td_provider_refresh_async             (TdProvider          *self,
                                                           TdAccount           *account,
                                                           const char          *refresh_token,
                                                           GCancellable        *cancellable,
                                                           GAsyncReadyCallback  callback,
                                                           gpointer             user_data);
TdTokens           *td_provider_refresh_finish            (TdProvider          *self,
                                                           GAsyncResult        *result,
                                                           GError             **error);
void                td_provider_request_password_reset_async  (TdProvider          *self,
                                                               TdAccount           *account,
                                                               GCancellable        *cancellable,
                                                               GAsyncReadyCallback  callback,
                                                               gpointer             user_data);
gboolean            td_provider_request_password_reset_finish (TdProvider          *self,
                                                               GAsyncResult        *result,
                                                               GError             **error);
void                td_provider_reset_password_async      (TdProvider          *self,
                                                           TdAccount           *account,
                                                           const char          *code,
                                                           const char          *new_password,
                                                           GCancellable        *cancellable,
                                                           GAsyncReadyCallback  callback,
                                                           gpointer             user_data);
gboolean            td_provider_reset_password_finish     (TdProvider          *self,
                                                           GAsyncResult        *result,
                                                           GError             **error);

/* Helpers for subclasses */

/* Maps what a vendor answered outside its documented statuses (5xx, 404,
 * 429, 3xx, HTML…) to a TD_ERROR naming the vendor. Always sets error. */
void                td_provider_set_unexpected_status_error (TdProvider         *self,
                                                             TdHttpResponse     *response,
                                                             const char         *vendor_text,
                                                             GError            **error);
/* Expiry of a token, on this computer's clock: the JWT's exp when it
 * parses, moved by the clock offset; otherwise fallback seconds from now
 * (0 fallback = invalid response when no exp). A JWT that has already
 * expired is an invalid response, which names the clock. */
gboolean            td_provider_compute_expiry            (TdProvider          *self,
                                                           const char          *token,
                                                           gboolean             must_be_jwt,
                                                           gint64               fallback_seconds,
                                                           gint64              *out_expires_at,
                                                           GError             **error);
/* How far this computer's clock is ahead of the vendor's (its Date
 * header), for the answer about to be parsed; 0 when they agree. Set by
 * the shared reply path around each parser: parsers run on the main
 * thread, one at a time. */
void                td_provider_set_clock_offset          (TdProvider          *self,
                                                           gint64               seconds);

G_END_DECLS
