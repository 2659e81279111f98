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

static void
login_cb (GObject      *object,
          GAsyncResult *result,
          gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  TdProvider *self = g_task_get_source_object (task);
  TdAccount *account = g_task_get_task_data (task);
  const char *vendor = td_provider_get_display_name (self);
  g_autoptr(TdHttpResponse) response = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *text = NULL;
  TdTokens *tokens;

  if (!(response = td_vendor_send_finish (object, result, task)))
    return;

  g_debug ("Account %s: sign-in answered %u", td_account_get_id (account), response->status);

  if (SOUP_STATUS_IS_SUCCESSFUL (response->status))
    {
      if ((tokens = parse_tokens (self, account, response, &error)))
        g_task_return_pointer (task, tokens, (GDestroyNotify)td_tokens_free);
      else
        g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  text = td_vendor_dup_error_text (response, "error", "message", "Error", NULL);

  switch (response->status)
    {
    case SOUP_STATUS_UNAUTHORIZED:
      /* Couchdrop documents the status but no field to send a code in. */
      g_set_error (&error, TD_ERROR, TD_ERROR_TWO_FACTOR_REQUIRED,
                   _("%s asks for two-factor authentication, which its API does not "
                     "support. Create an administrative token in %s’s administration "
                     "interface and use it for this account instead."),
                   vendor, vendor);
      break;

    case SOUP_STATUS_FORBIDDEN:
      /* Couchdrop also says 403 for a wrong password. */
      if (text != NULL)
        g_set_error (&error, TD_ERROR, TD_ERROR_ACCESS_DENIED,
                     _("%s denied access (check the username and password): %s"),
                     vendor, text);
      else
        g_set_error (&error, TD_ERROR, TD_ERROR_ACCESS_DENIED,
                     _("%s denied access (check the username and password)"), vendor);
      break;

    default:
      td_provider_set_unexpected_status_error (self, response, text, &error);
      break;
    }

  g_task_return_error (task, g_steal_pointer (&error));
}

static void
td_couchdrop_provider_login_async (TdProvider          *self,
                                   TdAccount           *account,
                                   const char          *password,
                                   const char          *new_password,
                                   GCancellable        *cancellable,
                                   GAsyncReadyCallback  callback,
                                   gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(JsonBuilder) builder = NULL;
  g_autoptr(GError) error = NULL;
  const char *username;

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, td_couchdrop_provider_login_async);
  g_task_set_task_data (task, g_object_ref (account), g_object_unref);

  if (!(username = td_vendor_require_username (self, account, &error)))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  builder = json_builder_new ();
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "username");
  json_builder_add_string_value (builder, username);
  json_builder_set_member_name (builder, "password");
  json_builder_add_string_value (builder, password);
  json_builder_set_member_name (builder, "system");
  json_builder_add_string_value (builder, SYSTEM_NAME);
  json_builder_end_object (builder);

  td_vendor_send (self, account, "POST", "/authenticate", builder,
                  g_steal_pointer (&task), login_cb);
}

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
  provider_class->login_async = td_couchdrop_provider_login_async;
  provider_class->login_finish = td_vendor_tokens_finish;
}

static void
td_couchdrop_provider_init (TdCouchdropProvider *self)
{
}
