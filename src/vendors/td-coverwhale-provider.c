/* td-coverwhale-provider.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "td-coverwhale"

#include "config.h"

#include <glib/gi18n-lib.h>
#include <libsoup/soup.h>

#include "td-coverwhale-provider.h"
#include "td-error.h"
#include "td-jwt.h"
#include "td-vendor-util.h"

/* The lifetime the guide documents when ExpiresIn is missing. */
#define DEFAULT_EXPIRES_IN (60 * 60)
/* Cognito caps access tokens at a day; a year is already nonsense. */
#define MAX_EXPIRES_IN     (365 * 24 * 60 * 60)
/* How far ExpiresIn and the JWT's exp may disagree before we say so. */
#define CLOCK_SKEW_NOTED   (5 * 60)

struct _TdCoverwhaleProvider
{
  TdProvider parent_instance;
};

G_DEFINE_FINAL_TYPE (TdCoverwhaleProvider, td_coverwhale_provider, TD_TYPE_PROVIDER)

static const TdEndpointPreset presets[] = {
  { "production", N_("Production"), "https://app.coverwhale.com/api/v1" },
  { "sandbox", N_("Sandbox"), "https://api.coverwhale.dev/v1" },
  { NULL }
};

/* ExpiresIn is an integer in the guide and a string ("3600") in the
 * OpenAPI example: both are accepted, nothing else. */
static gboolean
get_expires_in (TdProvider  *self,
                JsonObject  *object,
                gint64      *out_seconds,
                GError     **error)
{
  JsonNode *node = json_object_get_member (object, "ExpiresIn");
  gint64 seconds = 0;
  gboolean ok = FALSE;

  if (node == NULL || JSON_NODE_HOLDS_NULL (node))
    {
      *out_seconds = DEFAULT_EXPIRES_IN;
      return TRUE;
    }

  if (JSON_NODE_HOLDS_VALUE (node))
    {
      switch (json_node_get_value_type (node))
        {
        case G_TYPE_INT64:
          seconds = json_node_get_int (node);
          ok = TRUE;
          break;

        case G_TYPE_DOUBLE:
          {
            double d = json_node_get_double (node);

            ok = d >= 1 && d <= MAX_EXPIRES_IN && d == (double) (gint64) d;
            seconds = ok ? (gint64) d : 0;
          }
          break;

        case G_TYPE_STRING:
          {
            g_autofree char *text = g_strstrip (g_strdup (json_node_get_string (node)));

            ok = g_ascii_string_to_signed (text, 10, 1, MAX_EXPIRES_IN, &seconds, NULL);
          }
          break;

        default:
          break;
        }
    }

  if (!ok || seconds < 1 || seconds > MAX_EXPIRES_IN)
    {
      g_set_error (error, TD_ERROR, TD_ERROR_INVALID_RESPONSE,
                   _("%s sent an “ExpiresIn” that is not a number of seconds"),
                   td_provider_get_display_name (self));
      return FALSE;
    }

  *out_seconds = seconds;
  return TRUE;
}

static TdTokens *
parse_tokens (TdProvider      *self,
              TdAccount       *account,
              TdHttpResponse  *response,
              GError         **error)
{
  g_autoptr(TdTokens) tokens = NULL;
  JsonObject *object;
  const char *access_token;
  const char *refresh_token;
  gint64 expires_in;
  gint64 jwt_exp;
  gint64 now;

  if (!(object = td_vendor_get_success_object (self, response, error)) ||
      !td_vendor_get_string (self, object, "AccessToken", TRUE, &access_token, error) ||
      !td_vendor_get_string (self, object, "RefreshToken", FALSE, &refresh_token, error) ||
      !get_expires_in (self, object, &expires_in, error))
    return NULL;

  /* The access token is a Cognito JWT: one that is not, or has no exp, is
   * not what Cover Whale issues. Its exp is only a cross-check: ExpiresIn
   * is relative, so it stays right when this machine's clock is off. */
  if (!td_provider_compute_expiry (self, access_token, TRUE, 0, &jwt_exp, error))
    return NULL;

  now = g_get_real_time () / G_USEC_PER_SEC;
  if (ABS (jwt_exp - (now + expires_in)) > CLOCK_SKEW_NOTED)
    g_debug ("Account %s: ExpiresIn and the token's exp differ by %" G_GINT64_FORMAT " s",
             td_account_get_id (account), jwt_exp - (now + expires_in));

  tokens = td_tokens_new ();
  tokens->access_token = g_strdup (access_token);
  /* Each authentication rotates the refresh token; none back keeps the old. */
  tokens->refresh_token = g_strdup (refresh_token);
  tokens->expires_at = now + expires_in;

  return g_steal_pointer (&tokens);
}

/* A refresh token that was rotated away, expired or revoked: Cover Whale
 * says 400 with its Error text; a gateway in front of it may say 401. */
static gboolean
refuse_refresh (TdProvider  *self,
                guint        status,
                const char  *text,
                GError     **error)
{
  const char *vendor = td_provider_get_display_name (self);

  if (status != SOUP_STATUS_UNAUTHORIZED && (status != SOUP_STATUS_BAD_REQUEST || text == NULL))
    return FALSE;

  if (text != NULL)
    g_set_error (error, TD_ERROR, TD_ERROR_NEEDS_SIGN_IN,
                 _("%s rejected the refresh token: %s"), vendor, text);
  else
    g_set_error (error, TD_ERROR, TD_ERROR_NEEDS_SIGN_IN,
                 _("%s rejected the refresh token"), vendor);
  return TRUE;
}

static const TdVendorCall sign_in = {
  .name = "sign-in",
  .path = "/authentication",
  .username_member = "username",
  .password_member = "password",
  /* The forced change: the same call sets the new password, when given. */
  .new_password_member = "new_password",
  .text_members = { "Error", "message" },
  .refused = N_("%s refused the sign-in: %s"),
  .parse = parse_tokens,
};

/* Returns a new refresh token too: each authentication rotates it. */
static const TdVendorCall refresh = {
  .name = "refresh",
  .path = "/authentication",
  .username_member = "username",
  .refresh_token_member = "refresh_token",
  .text_members = { "Error", "message" },
  .refuse = refuse_refresh,
  .parse = parse_tokens,
};

/* Both steps of the password reset answer 200 or a 400 with Error. */
static const TdVendorCall reset_request = {
  .name = "password reset request",
  .text_members = { "Error", "message" },
  .refused = N_("%s did not send a reset code: %s"),
};

static const TdVendorCall reset_confirmation = {
  .name = "password reset confirmation",
  .text_members = { "Error", "message" },
  .refused = N_("%s did not accept the reset code: %s"),
};

static void
td_coverwhale_provider_request_password_reset_async (TdProvider          *self,
                                                     TdAccount           *account,
                                                     GCancellable        *cancellable,
                                                     GAsyncReadyCallback  callback,
                                                     gpointer             user_data)
{
  g_autofree char *escaped = NULL;
  g_autofree char *path = NULL;
  const char *username;

  if (!(username = td_vendor_require_username (self, account, cancellable, callback, user_data)))
    return;

  /* The code is e-mailed to the account's address. */
  escaped = g_uri_escape_string (username, NULL, FALSE);
  path = g_strconcat ("/password-reset?username=", escaped, NULL);

  td_vendor_call_async (self, account, &reset_request, "GET", path, NULL,
                        cancellable, callback, user_data);
}

static void
td_coverwhale_provider_reset_password_async (TdProvider          *self,
                                             TdAccount           *account,
                                             const char          *code,
                                             const char          *new_password,
                                             GCancellable        *cancellable,
                                             GAsyncReadyCallback  callback,
                                             gpointer             user_data)
{
  g_auto(TdSecretJson) body = NULL;
  g_auto(TdSecret) trimmed_code = NULL;
  const char *username;

  if (!(username = td_vendor_require_username (self, account, cancellable, callback, user_data)))
    return;

  /* Codes are pasted from an e-mail, often with a space or a newline. */
  trimmed_code = g_strstrip (g_strdup (code));

  body = td_vendor_body_new ("username", username,
                             "new_password", new_password,
                             "reset_token", trimmed_code,
                             NULL);
  td_vendor_call_async (self, account, &reset_confirmation, "POST", "/password-reset", body,
                        cancellable, callback, user_data);
}

static void
td_coverwhale_provider_class_init (TdCoverwhaleProviderClass *klass)
{
  TdProviderClass *provider_class = TD_PROVIDER_CLASS (klass);

  provider_class->vendor_id = "coverwhale";
  provider_class->display_name = "Cover Whale";
  provider_class->description = N_("Commercial trucking insurance: access and refresh tokens");
  provider_class->icon_name = "io.github.tokendesk.TokenDesk-coverwhale";
  provider_class->header_name = "AccessToken";
  provider_class->header_prefix = "";
  provider_class->presets = presets;
  provider_class->features = TD_PROVIDER_FEATURE_REFRESH_TOKEN |
                             TD_PROVIDER_FEATURE_REVOKES_EARLIER |
                             TD_PROVIDER_FEATURE_PASSWORD_RESET |
                             TD_PROVIDER_FEATURE_CHANGE_PASSWORD;

  td_vendor_class_set_calls (provider_class, &sign_in, &refresh);
  provider_class->request_password_reset_async =
    td_coverwhale_provider_request_password_reset_async;
  provider_class->reset_password_async = td_coverwhale_provider_reset_password_async;
}

static void
td_coverwhale_provider_init (TdCoverwhaleProvider *self)
{
}
