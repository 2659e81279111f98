/* td-logware-provider.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "td-logware"

#include "config.h"

#include <glib/gi18n-lib.h>
#include <libsoup/soup.h>

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

static void
login_cb (GObject      *object,
          GAsyncResult *result,
          gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  TdProvider *self = g_task_get_source_object (task);
  TdAccount *account = g_task_get_task_data (task);
  g_autoptr(TdHttpResponse) response = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *text = NULL;
  TdTokens *tokens;

  if (!(response = td_vendor_send_finish (object, result, task)))
    return;

  g_debug ("Account %s: sign-in answered %u", td_account_get_id (account), response->status);

  if (SOUP_STATUS_IS_SUCCESSFUL (response->status))
    {
      if ((tokens = parse_tokens (self, response, &error)))
        g_task_return_pointer (task, tokens, (GDestroyNotify)td_tokens_free);
      else
        g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  text = td_vendor_dup_error_text (response, "message", "error", NULL);

  if (response->status == SOUP_STATUS_BAD_REQUEST && text != NULL)
    g_set_error (&error, TD_ERROR, TD_ERROR_BAD_CREDENTIALS,
                 _("%s refused the sign-in: %s"), td_provider_get_display_name (self), text);
  else
    td_provider_set_unexpected_status_error (self, response, text, &error);

  g_task_return_error (task, g_steal_pointer (&error));
}

static void
td_logware_provider_login_async (TdProvider          *self,
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
  const char *login;

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, td_logware_provider_login_async);
  g_task_set_task_data (task, g_object_ref (account), g_object_unref);

  if (!(login = td_vendor_require_username (self, account, &error)))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  builder = json_builder_new ();
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "login");
  json_builder_add_string_value (builder, login);
  json_builder_set_member_name (builder, "password");
  json_builder_add_string_value (builder, password);
  json_builder_end_object (builder);

  td_vendor_send (self, account, "POST", "/api/users/authenticate", builder,
                  g_steal_pointer (&task), login_cb);
}

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
  provider_class->login_async = td_logware_provider_login_async;
  provider_class->login_finish = td_vendor_tokens_finish;
}

static void
td_logware_provider_init (TdLogwareProvider *self)
{
}
