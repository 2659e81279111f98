/* td-senmo-provider.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "td-senmo"

#include "config.h"

#include <glib/gi18n-lib.h>
#include <libsoup/soup.h>

#include "td-error.h"
#include "td-senmo-provider.h"
#include "td-vendor-util.h"

struct _TdSenmoProvider
{
  TdProvider parent_instance;
};

G_DEFINE_FINAL_TYPE (TdSenmoProvider, td_senmo_provider, TD_TYPE_PROVIDER)

/* Senmo's answers carry a short statusMessage and sometimes a longer
 * error: "Failed to refresh token: Invalid Refresh Token". */
static char *
dup_senmo_text (TdHttpResponse *response)
{
  g_autofree char *status_message = td_vendor_dup_error_text (response, "statusMessage", NULL);
  g_autofree char *error = td_vendor_dup_error_text (response, "error", "message", NULL);

  if (status_message != NULL && error != NULL)
    return g_strconcat (status_message, ": ", error, NULL);

  return g_strdup (error ? error : status_message);
}

static TdTokens *
parse_tokens (TdProvider      *self,
              TdAccount       *account,
              TdHttpResponse  *response,
              GError         **error)
{
  const char *vendor = td_provider_get_display_name (self);
  g_autoptr(TdTokens) tokens = NULL;
  JsonObject *object;
  JsonNode *node;
  JsonObject *members;
  const char *id_token;
  const char *access_token;
  const char *refresh_token;
  gint64 id_exp;
  gint64 access_exp;

  if (!(object = td_vendor_get_success_object (self, response, error)))
    return NULL;

  node = json_object_get_member (object, "tokens");
  if (node == NULL || !JSON_NODE_HOLDS_OBJECT (node))
    {
      g_set_error (error, TD_ERROR, TD_ERROR_INVALID_RESPONSE,
                   node ? _("%s sent “tokens” that are not an object")
                        : _("%s sent an answer without “tokens”"),
                   vendor);
      return NULL;
    }
  members = json_node_get_object (node);

  /* Lifetime is in the JWTs only, so both must be JWTs with an exp. The
   * account hands out either: it is valid as long as the shorter lives. */
  if (!td_vendor_get_string (self, members, "idToken", TRUE, &id_token, error) ||
      !td_vendor_get_string (self, members, "accessToken", TRUE, &access_token, error) ||
      !td_vendor_get_string (self, members, "refreshToken", FALSE, &refresh_token, error) ||
      !td_provider_compute_expiry (self, id_token, TRUE, 0, &id_exp, error) ||
      !td_provider_compute_expiry (self, access_token, TRUE, 0, &access_exp, error))
    return NULL;

  tokens = td_tokens_new ();
  tokens->id_token = g_strdup (id_token);
  tokens->access_token = g_strdup (access_token);
  tokens->refresh_token = g_strdup (refresh_token);
  tokens->expires_at = MIN (id_exp, access_exp);

  return g_steal_pointer (&tokens);
}

/* The API page says 400 for a failed sign-in, the status-code page 401. */
static gboolean
is_refusal (guint       status,
            const char *text)
{
  return status == SOUP_STATUS_UNAUTHORIZED || (status == SOUP_STATUS_BAD_REQUEST && text != NULL);
}

static gboolean
refuse_sign_in (TdProvider  *self,
                guint        status,
                const char  *text,
                GError     **error)
{
  if (!is_refusal (status, text))
    return FALSE;

  g_set_error (error, TD_ERROR, TD_ERROR_BAD_CREDENTIALS,
               _("%s refused the sign-in: %s"),
               td_provider_get_display_name (self), text ? text : _("no reason given"));
  return TRUE;
}

static gboolean
refuse_refresh (TdProvider  *self,
                guint        status,
                const char  *text,
                GError     **error)
{
  if (!is_refusal (status, text))
    return FALSE;

  g_set_error (error, TD_ERROR, TD_ERROR_NEEDS_SIGN_IN,
               _("%s rejected the refresh token: %s"),
               td_provider_get_display_name (self), text ? text : _("no reason given"));
  return TRUE;
}

/* Sign-in and refresh answer in the same shape. */
static const TdVendorCall sign_in = {
  .name = "sign-in",
  .path = "/v1/auth",
  .username_member = "username",
  .password_member = "password",
  .dup_text = dup_senmo_text,
  .refuse = refuse_sign_in,
  .parse = parse_tokens,
};

static const TdVendorCall refresh = {
  .name = "refresh",
  .path = "/v1/auth/refreshtoken",
  /* One word, lower case, as the page spells it. */
  .refresh_token_member = "refreshtoken",
  .dup_text = dup_senmo_text,
  .refuse = refuse_refresh,
  .parse = parse_tokens,
};

static void
td_senmo_provider_class_init (TdSenmoProviderClass *klass)
{
  TdProviderClass *provider_class = TD_PROVIDER_CLASS (klass);

  provider_class->vendor_id = "senmo";
  provider_class->display_name = "Senmo";
  provider_class->description = N_("Senmo Foundry Platform: ID, access and refresh tokens "
                                   "from your own instance");
  provider_class->icon_name = "io.github.tokendesk.TokenDesk-senmo";
  provider_class->header_name = "Authorization";
  provider_class->header_prefix = "Bearer ";
  /* No public host is documented: every account names its own. */
  provider_class->presets = NULL;
  provider_class->features = TD_PROVIDER_FEATURE_REFRESH_TOKEN |
                             TD_PROVIDER_FEATURE_REQUIRES_ENDPOINT |
                             TD_PROVIDER_FEATURE_CHOOSE_TOKEN;

  td_vendor_class_set_calls (provider_class, &sign_in, &refresh);
}

static void
td_senmo_provider_init (TdSenmoProvider *self)
{
}
