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

static void td_senmo_provider_login_async (TdProvider          *self,
                                           TdAccount           *account,
                                           const char          *password,
                                           const char          *new_password,
                                           GCancellable        *cancellable,
                                           GAsyncReadyCallback  callback,
                                           gpointer             user_data);

/* Sign-in and refresh answer in the same shape. */
static void
answer_cb (GObject      *object,
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
  gboolean refresh;
  TdTokens *tokens;

  if (!(response = td_vendor_send_finish (object, result, task)))
    return;

  refresh = g_task_get_source_tag (task) != td_senmo_provider_login_async;
  g_debug ("Account %s: %s answered %u", td_account_get_id (account),
           refresh ? "refresh" : "sign-in", response->status);

  if (SOUP_STATUS_IS_SUCCESSFUL (response->status))
    {
      if ((tokens = parse_tokens (self, response, &error)))
        g_task_return_pointer (task, tokens, (GDestroyNotify)td_tokens_free);
      else
        g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  text = dup_senmo_text (response);

  /* The API page says 400 for a failed sign-in, the status-code page 401. */
  if (response->status == SOUP_STATUS_UNAUTHORIZED ||
      (response->status == SOUP_STATUS_BAD_REQUEST && text != NULL))
    {
      if (refresh)
        g_set_error (&error, TD_ERROR, TD_ERROR_NEEDS_SIGN_IN,
                     _("%s rejected the refresh token: %s"),
                     vendor, text ? text : _("no reason given"));
      else
        g_set_error (&error, TD_ERROR, TD_ERROR_BAD_CREDENTIALS,
                     _("%s refused the sign-in: %s"),
                     vendor, text ? text : _("no reason given"));
    }
  else
    td_provider_set_unexpected_status_error (self, response, text, &error);

  g_task_return_error (task, g_steal_pointer (&error));
}

static void
td_senmo_provider_login_async (TdProvider          *self,
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
  g_task_set_source_tag (task, td_senmo_provider_login_async);
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
  json_builder_end_object (builder);

  td_vendor_send (self, account, "POST", "/v1/auth", builder, g_steal_pointer (&task), answer_cb);
}

static void
td_senmo_provider_refresh_async (TdProvider          *self,
                                 TdAccount           *account,
                                 const char          *refresh_token,
                                 GCancellable        *cancellable,
                                 GAsyncReadyCallback  callback,
                                 gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(JsonBuilder) builder = NULL;

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, td_senmo_provider_refresh_async);
  g_task_set_task_data (task, g_object_ref (account), g_object_unref);

  /* One word, lower case, as the page spells it. */
  builder = json_builder_new ();
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "refreshtoken");
  json_builder_add_string_value (builder, refresh_token);
  json_builder_end_object (builder);

  td_vendor_send (self, account, "POST", "/v1/auth/refreshtoken", builder,
                  g_steal_pointer (&task), answer_cb);
}

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

  provider_class->login_async = td_senmo_provider_login_async;
  provider_class->login_finish = td_vendor_tokens_finish;
  provider_class->refresh_async = td_senmo_provider_refresh_async;
  provider_class->refresh_finish = td_vendor_tokens_finish;
}

static void
td_senmo_provider_init (TdSenmoProvider *self)
{
}
