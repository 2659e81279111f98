/* td-logware-provider.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "td-logware"

#include "config.h"

#include <glib/gi18n-lib.h>

#include "td-error.h"
#include "td-jwt.h"
#include "td-logware-provider.h"
#include "td-vendor-util.h"

/* "Once generated, a token is valid for 10 hours." */
#define DOCUMENTED_LIFETIME (10 * 60 * 60)

struct _TdLogwareProvider
{
  TdProvider parent_instance;
};

G_DEFINE_FINAL_TYPE (TdLogwareProvider, td_logware_provider, TD_TYPE_PROVIDER)

static const TdEndpointPreset presets[] = {
  { "production", N_("Production"), "https://api.logware.io" },
  { NULL }
};

static TdTokens *
parse_tokens (TdProvider      *self,
              TdAccount       *account,
              TdHttpResponse  *response,
              GError         **error)
{
  g_autoptr(TdTokens) tokens = td_tokens_new ();
  g_autoptr(JsonObject) claims = NULL;
  g_autoptr(GError) jwt_error = NULL;
  JsonObject *object;
  const char *token;

  /* Only the token matters; login, id and the null password are ignored. */
  if (!(object = td_vendor_get_success_object (self, response, error)) ||
      !td_vendor_get_string (self, object, "token", TRUE, &token, error))
    return NULL;

  /* Logware authenticates with JWTs: anything else is not its token. The
   * page gives the lifetime, the exp claim overrides it when present. */
  if (!(claims = td_jwt_decode_claims (token, &jwt_error)))
    {
      g_set_error (error, TD_ERROR, TD_ERROR_INVALID_RESPONSE,
                   _("%s sent a token that cannot be used: %s"),
                   td_provider_get_display_name (self), jwt_error->message);
      return NULL;
    }

  if (!td_provider_compute_expiry (self, token, FALSE, DOCUMENTED_LIFETIME,
                                   &tokens->expires_at, error))
    return NULL;

  tokens->access_token = g_strdup (token);
  return g_steal_pointer (&tokens);
}

/* Login and password are assigned by Logware. */
static const TdVendorCall sign_in = {
  .name = "sign-in",
  .path = "/api/users/authenticate",
  .username_member = "login",
  .password_member = "password",
  .text_members = { "message", "error" },
  .refused = N_("%s refused the sign-in: %s"),
  .parse = parse_tokens,
};

static void
td_logware_provider_class_init (TdLogwareProviderClass *klass)
{
  TdProviderClass *provider_class = TD_PROVIDER_CLASS (klass);

  provider_class->vendor_id = "logware";
  provider_class->display_name = "Logware";
  provider_class->description = N_("Data integrity API: ten-hour tokens, reused until they expire");
  provider_class->icon_name = "io.github.tokendesk.TokenDesk-logware";
  provider_class->header_name = "Authorization";
  provider_class->header_prefix = "Bearer ";
  provider_class->presets = presets;
  provider_class->features = TD_PROVIDER_FEATURE_NONE;

  /* No refresh token: renewing signs in again (the base class says so). */
  td_vendor_class_set_calls (provider_class, &sign_in, NULL);
}

static void
td_logware_provider_init (TdLogwareProvider *self)
{
}
