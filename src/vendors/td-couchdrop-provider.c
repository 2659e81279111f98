/* td-couchdrop-provider.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "td-couchdrop"

#include "config.h"

#include <glib/gi18n-lib.h>
#include <libsoup/soup.h>

#include "td-couchdrop-provider.h"
#include "td-error.h"
#include "td-vendor-util.h"

/* Couchdrop's optional "source" field: the app's name, not translated. */
#define SYSTEM_NAME "Token Desk"

struct _TdCouchdropProvider
{
  TdProvider parent_instance;
};

G_DEFINE_FINAL_TYPE (TdCouchdropProvider, td_couchdrop_provider, TD_TYPE_PROVIDER)

static const TdEndpointPreset presets[] = {
  { "production", N_("Production"), "https://api.couchdrop.io" },
  { NULL }
};

static TdTokens *
parse_tokens (TdProvider      *self,
              TdAccount       *account,
              TdHttpResponse  *response,
              GError         **error)
{
  g_autoptr(TdTokens) tokens = td_tokens_new ();
  JsonObject *object;
  const char *token;

  if (!(object = td_vendor_get_success_object (self, response, error)) ||
      !td_vendor_get_string (self, object, "token", TRUE, &token, error))
    return NULL;

  /* The token is documented as opaque and short-lived, without a lifetime:
   * a JWT's exp when it is one, else the lifetime the user set. A JWT
   * without exp is still a Couchdrop token, so it gets the assumed one. */
  if (!td_provider_compute_expiry (self, token, FALSE, td_account_get_assumed_lifetime (account),
                                   &tokens->expires_at, error))
    return NULL;

  tokens->access_token = g_strdup (token);
  return g_steal_pointer (&tokens);
}

static gboolean
refuse (TdProvider  *self,
        guint        status,
        const char  *text,
        GError     **error)
{
  const char *vendor = td_provider_get_display_name (self);

  switch (status)
    {
    case SOUP_STATUS_UNAUTHORIZED:
      /* Couchdrop documents the status but no field to send a code in. */
      g_set_error (error, TD_ERROR, TD_ERROR_TWO_FACTOR_REQUIRED,
                   _("%s asks for two-factor authentication, which its API does not "
                     "support. Create an administrative token in %s’s administration "
                     "interface and use it for this account instead."),
                   vendor, vendor);
      return TRUE;

    case SOUP_STATUS_FORBIDDEN:
      /* Couchdrop also says 403 for a wrong password. */
      if (text != NULL)
        g_set_error (error, TD_ERROR, TD_ERROR_ACCESS_DENIED,
                     _("%s denied access (check the username and password): %s"),
                     vendor, text);
      else
        g_set_error (error, TD_ERROR, TD_ERROR_ACCESS_DENIED,
                     _("%s denied access (check the username and password)"), vendor);
      return TRUE;

    default:
      return FALSE;
    }
}

static const TdVendorCall sign_in = {
  .name = "sign-in",
  .path = "/authenticate",
  .username_member = "username",
  .password_member = "password",
  .fixed_member = "system",
  .fixed_value = SYSTEM_NAME,
  .text_members = { "error", "message", "Error" },
  .refuse = refuse,
  .parse = parse_tokens,
};

static void
td_couchdrop_provider_class_init (TdCouchdropProviderClass *klass)
{
  TdProviderClass *provider_class = TD_PROVIDER_CLASS (klass);

  provider_class->vendor_id = "couchdrop";
  provider_class->display_name = "Couchdrop";
  provider_class->description = N_("Cloud file transfer: short-lived or administrative tokens");
  provider_class->icon_name = "io.github.tokendesk.TokenDesk-couchdrop";
  provider_class->header_name = "token";
  provider_class->header_prefix = "";
  provider_class->presets = presets;
  provider_class->features = TD_PROVIDER_FEATURE_ADMIN_TOKEN |
                             TD_PROVIDER_FEATURE_ASSUMED_LIFETIME;

  /* No refresh token: renewing signs in again (the base class says so). */
  td_vendor_class_set_calls (provider_class, &sign_in, NULL);
}

static void
td_couchdrop_provider_init (TdCouchdropProvider *self)
{
}
