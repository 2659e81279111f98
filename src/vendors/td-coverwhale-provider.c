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
      if ((tokens = parse_tokens (self, account, response, &error)))
        g_task_return_pointer (task, tokens, (GDestroyNotify)td_tokens_free);
      else
        g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  text = td_vendor_dup_error_text (response, "Error", "message", NULL);

  if (response->status == SOUP_STATUS_BAD_REQUEST && text != NULL)
    g_set_error (&error, TD_ERROR, TD_ERROR_BAD_CREDENTIALS,
                 _("%s refused the sign-in: %s"), td_provider_get_display_name (self), text);
  else
    td_provider_set_unexpected_status_error (self, response, text, &error);

  g_task_return_error (task, g_steal_pointer (&error));
}

static void
td_coverwhale_provider_login_async (TdProvider          *self,
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
  g_task_set_source_tag (task, td_coverwhale_provider_login_async);
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
  /* The forced change: the same call sets the new password. */
  if (new_password != NULL)
    {
      json_builder_set_member_name (builder, "new_password");
      json_builder_add_string_value (builder, new_password);
    }
  json_builder_end_object (builder);

  td_vendor_send (self, account, "POST", "/authentication", builder,
                  g_steal_pointer (&task), login_cb);
}

static void
refresh_cb (GObject      *object,
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

  g_debug ("Account %s: refresh answered %u", td_account_get_id (account), response->status);

  if (SOUP_STATUS_IS_SUCCESSFUL (response->status))
    {
      if ((tokens = parse_tokens (self, account, response, &error)))
        g_task_return_pointer (task, tokens, (GDestroyNotify)td_tokens_free);
      else
        g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  text = td_vendor_dup_error_text (response, "Error", "message", NULL);

  /* A refresh token that was rotated away, expired or revoked: Cover Whale
   * says 400 with its Error text; a gateway in front of it may say 401. */
  if (response->status == SOUP_STATUS_UNAUTHORIZED ||
      (response->status == SOUP_STATUS_BAD_REQUEST && text != NULL))
    {
      if (text != NULL)
        g_set_error (&error, TD_ERROR, TD_ERROR_NEEDS_SIGN_IN,
                     _("%s rejected the refresh token: %s"),
                     td_provider_get_display_name (self), text);
      else
        g_set_error (&error, TD_ERROR, TD_ERROR_NEEDS_SIGN_IN,
                     _("%s rejected the refresh token"),
                     td_provider_get_display_name (self));
    }
  else
    td_provider_set_unexpected_status_error (self, response, text, &error);

  g_task_return_error (task, g_steal_pointer (&error));
}

static void
td_coverwhale_provider_refresh_async (TdProvider          *self,
                                      TdAccount           *account,
                                      const char          *refresh_token,
                                      GCancellable        *cancellable,
                                      GAsyncReadyCallback  callback,
                                      gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(JsonBuilder) builder = NULL;
  g_autoptr(GError) error = NULL;
  const char *username;

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, td_coverwhale_provider_refresh_async);
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
  json_builder_set_member_name (builder, "refresh_token");
  json_builder_add_string_value (builder, refresh_token);
  json_builder_end_object (builder);

  td_vendor_send (self, account, "POST", "/authentication", builder,
                  g_steal_pointer (&task), refresh_cb);
}

static void td_coverwhale_provider_request_password_reset_async (TdProvider          *self,
                                                                 TdAccount           *account,
                                                                 GCancellable        *cancellable,
                                                                 GAsyncReadyCallback  callback,
                                                                 gpointer             user_data);

/* Both steps of the password reset answer 200 or a 400 with Error. */
static void
password_reset_cb (GObject      *object,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  TdProvider *self = g_task_get_source_object (task);
  TdAccount *account = g_task_get_task_data (task);
  g_autoptr(TdHttpResponse) response = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *text = NULL;
  gboolean confirm;

  if (!(response = td_vendor_send_finish (object, result, task)))
    return;

  confirm = g_task_get_source_tag (task) != td_coverwhale_provider_request_password_reset_async;
  g_debug ("Account %s: password reset %s answered %u", td_account_get_id (account),
           confirm ? "confirmation" : "request", response->status);

  if (SOUP_STATUS_IS_SUCCESSFUL (response->status))
    {
      g_task_return_boolean (task, TRUE);
      return;
    }

  text = td_vendor_dup_error_text (response, "Error", "message", NULL);

  if (response->status == SOUP_STATUS_BAD_REQUEST && text != NULL)
    {
      if (confirm)
        g_set_error (&error, TD_ERROR, TD_ERROR_BAD_CREDENTIALS,
                     _("%s did not accept the reset code: %s"),
                     td_provider_get_display_name (self), text);
      else
        g_set_error (&error, TD_ERROR, TD_ERROR_BAD_CREDENTIALS,
                     _("%s did not send a reset code: %s"),
                     td_provider_get_display_name (self), text);
    }
  else
    td_provider_set_unexpected_status_error (self, response, text, &error);

  g_task_return_error (task, g_steal_pointer (&error));
}

static void
td_coverwhale_provider_request_password_reset_async (TdProvider          *self,
                                                     TdAccount           *account,
                                                     GCancellable        *cancellable,
                                                     GAsyncReadyCallback  callback,
                                                     gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *escaped = NULL;
  g_autofree char *path = NULL;
  const char *username;

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, td_coverwhale_provider_request_password_reset_async);
  g_task_set_task_data (task, g_object_ref (account), g_object_unref);

  if (!(username = td_vendor_require_username (self, account, &error)))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  /* The code is e-mailed to the account's address. */
  escaped = g_uri_escape_string (username, NULL, FALSE);
  path = g_strconcat ("/password-reset?username=", escaped, NULL);

  td_vendor_send (self, account, "GET", path, NULL, g_steal_pointer (&task), password_reset_cb);
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
  g_autoptr(GTask) task = NULL;
  g_autoptr(JsonBuilder) builder = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *trimmed_code = NULL;
  const char *username;

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, td_coverwhale_provider_reset_password_async);
  g_task_set_task_data (task, g_object_ref (account), g_object_unref);

  if (!(username = td_vendor_require_username (self, account, &error)))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  /* Codes are pasted from an e-mail, often with a space or a newline. */
  trimmed_code = g_strstrip (g_strdup (code));

  builder = json_builder_new ();
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "username");
  json_builder_add_string_value (builder, username);
  json_builder_set_member_name (builder, "new_password");
  json_builder_add_string_value (builder, new_password);
  json_builder_set_member_name (builder, "reset_token");
  json_builder_add_string_value (builder, trimmed_code);
  json_builder_end_object (builder);

  td_vendor_send (self, account, "POST", "/password-reset", builder,
                  g_steal_pointer (&task), password_reset_cb);
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
                             TD_PROVIDER_FEATURE_PASSWORD_RESET |
                             TD_PROVIDER_FEATURE_CHANGE_PASSWORD;

  provider_class->login_async = td_coverwhale_provider_login_async;
  provider_class->login_finish = td_vendor_tokens_finish;
  provider_class->refresh_async = td_coverwhale_provider_refresh_async;
  provider_class->refresh_finish = td_vendor_tokens_finish;
  provider_class->request_password_reset_async =
    td_coverwhale_provider_request_password_reset_async;
  provider_class->reset_password_async = td_coverwhale_provider_reset_password_async;
}

static void
td_coverwhale_provider_init (TdCoverwhaleProvider *self)
{
}
