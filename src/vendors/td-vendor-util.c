/* td-vendor-util.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "td-vendor"

#include "config.h"

#include <glib/gi18n-lib.h>
#include <libsoup/soup.h>

#include "td-error.h"
#include "td-vendor-util.h"

/* A vendor's error text goes into a one-line message; a proxy's page of
 * HTML squeezed into a JSON string would not fit one. */
#define MAX_VENDOR_TEXT_CHARS 200

/* What a call's callback needs: the task's data. */
typedef struct
{
  TdAccount          *account;
  const TdVendorCall *call;
} CallData;

static void
call_data_free (gpointer data)
{
  CallData *call_data = data;

  g_clear_object (&call_data->account);
  g_free (call_data);
}

const char *
td_vendor_require_username (TdProvider          *self,
                            TdAccount           *account,
                            GCancellable        *cancellable,
                            GAsyncReadyCallback  callback,
                            gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  const char *username;

  g_return_val_if_fail (TD_IS_PROVIDER (self), NULL);
  g_return_val_if_fail (TD_IS_ACCOUNT (account), NULL);

  username = td_account_get_username (account);
  if (username != NULL && *username != '\0')
    return username;

  /* A task like the call's own, so that a cancelled call still says so. */
  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, td_vendor_require_username);
  g_task_return_new_error (task, TD_ERROR, TD_ERROR_BAD_CREDENTIALS,
                           _("Enter the username of your %s account"),
                           td_provider_get_display_name (self));
  return NULL;
}

JsonNode *
td_vendor_body_new (const char *first_member,
                    ...)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  va_list args;

  json_builder_begin_object (builder);

  va_start (args, first_member);
  for (const char *member = first_member; member; member = va_arg (args, const char *))
    {
      const char *value = va_arg (args, const char *);

      if (value == NULL)
        continue;

      json_builder_set_member_name (builder, member);
      json_builder_add_string_value (builder, value);
    }
  va_end (args);

  json_builder_end_object (builder);

  return json_builder_get_root (builder);
}

static char *
dup_first_text (TdHttpResponse     *response,
                const char * const *members)
{
  char *text = NULL;

  for (guint i = 0; members[i] != NULL && text == NULL; i++)
    {
      const char *value = td_http_response_get_string (response, members[i]);

      if (value == NULL)
        continue;

      /* JSON may escape a lone surrogate ("\ud800"), which json-glib
       * decodes to bytes that are not UTF-8: the text goes into a
       * message shown in GTK and printed. */
      text = g_strstrip (g_utf8_make_valid (value, -1));
      if (*text == '\0')
        g_clear_pointer (&text, g_free);
    }

  if (text != NULL && g_utf8_strlen (text, -1) > MAX_VENDOR_TEXT_CHARS)
    {
      g_autofree char *head = g_utf8_substring (text, 0, MAX_VENDOR_TEXT_CHARS);

      g_free (text);
      text = g_strconcat (head, "…", NULL);
    }

  return text;
}

/* A vendor's expiry times are on its clock. When its Date header is more
 * than a minute away from ours, ours is probably wrong (the vendor's is
 * kept by people paid for it): the expiry is moved by the difference, so
 * that a token is renewed when it really expires, and the person is told.
 * Less than a minute is the request's own time and the header's
 * rounding, not worth correcting. */
#define CLOCK_OFFSET_IGNORED 60

static gint64
get_clock_offset (TdProvider     *self,
                  TdHttpResponse *response)
{
  gint64 offset;

  if (response->date <= 0)
    return 0;

  offset = g_get_real_time () / G_USEC_PER_SEC - response->date;
  if (ABS (offset) <= CLOCK_OFFSET_IGNORED)
    return 0;

  /* A message, not a warning: nothing is wrong with Token Desk, and the
   * command line prints it on stderr beside its answer. */
  g_message (offset > 0 ? "This computer's clock is %" G_GINT64_FORMAT " s ahead of %s's; "
                          "token expiry times are corrected for it"
                        : "This computer's clock is %" G_GINT64_FORMAT " s behind %s's; "
                          "token expiry times are corrected for it",
             ABS (offset), td_provider_get_display_name (self));
  return offset;
}

/* The one place a vendor's answer is read: each call only says which of
 * its statuses mean what, and how its tokens are spelled. */
gboolean
td_vendor_read_answer (TdProvider          *self,
                       TdAccount           *account,
                       const TdVendorCall  *call,
                       TdHttpResponse      *response,
                       TdTokens           **out_tokens,
                       GError             **error)
{
  g_autofree char *text = NULL;
  GError *local_error = NULL;

  g_return_val_if_fail (TD_IS_PROVIDER (self), FALSE);
  g_return_val_if_fail (TD_IS_ACCOUNT (account), FALSE);
  g_return_val_if_fail (call != NULL && response != NULL, FALSE);
  g_return_val_if_fail (out_tokens != NULL && *out_tokens == NULL, FALSE);

  if (SOUP_STATUS_IS_SUCCESSFUL (response->status))
    {
      if (call->parse == NULL)
        return TRUE;

      td_provider_set_clock_offset (self, get_clock_offset (self, response));
      *out_tokens = call->parse (self, account, response, error);
      td_provider_set_clock_offset (self, 0);
      return *out_tokens != NULL;
    }

  text = call->dup_text ? call->dup_text (response) : dup_first_text (response, call->text_members);

  if (call->refused != NULL && response->status == SOUP_STATUS_BAD_REQUEST && text != NULL)
    g_set_error (&local_error, TD_ERROR, TD_ERROR_BAD_CREDENTIALS, _(call->refused),
                 td_provider_get_display_name (self), text);
  else if (call->refuse == NULL || !call->refuse (self, response->status, text, &local_error))
    td_provider_set_unexpected_status_error (self, response, text, &local_error);

  g_propagate_error (error, local_error);
  return FALSE;
}

static void
call_cb (GObject      *object,
         GAsyncResult *result,
         gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  TdProvider *self = g_task_get_source_object (task);
  CallData *data = g_task_get_task_data (task);
  const TdVendorCall *call = data->call;
  g_autoptr(TdHttpResponse) response = NULL;
  g_autoptr(GError) error = NULL;
  TdTokens *tokens = NULL;
  gboolean ok;

  response = td_http_client_request_finish (TD_HTTP_CLIENT (object), result, &error);
  if (response == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  g_debug ("Account %s: %s answered %u",
           td_account_get_id (data->account), call->name, response->status);

  ok = td_vendor_read_answer (self, data->account, call, response, &tokens, &error);
  /* Gone before the result is returned: the caller's callback may run
   * right away and write the tokens to the keyring, and the answer's
   * copies of them need not live through that. */
  g_clear_pointer (&response, td_http_response_free);

  if (!ok)
    g_task_return_error (task, g_steal_pointer (&error));
  else if (call->parse == NULL)
    g_task_return_boolean (task, TRUE);
  else
    g_task_return_pointer (task, tokens, (GDestroyNotify)td_tokens_free);
}

void
td_vendor_call_async (TdProvider          *self,
                      TdAccount           *account,
                      const TdVendorCall  *call,
                      const char          *method,
                      const char          *path,
                      JsonNode            *body,
                      GCancellable        *cancellable,
                      GAsyncReadyCallback  callback,
                      gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *base = NULL;
  g_autofree char *url = NULL;
  CallData *data;

  g_return_if_fail (TD_IS_PROVIDER (self));
  g_return_if_fail (TD_IS_ACCOUNT (account));
  g_return_if_fail (call != NULL);
  g_return_if_fail (method != NULL && path != NULL);

  data = g_new0 (CallData, 1);
  data->account = g_object_ref (account);
  data->call = call;

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, td_vendor_call_async);
  g_task_set_task_data (task, data, call_data_free);

  base = td_provider_resolve_base_url (self, td_account_get_endpoint (account), &error);
  if (base == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  url = g_strconcat (base, path, NULL);

  /* The path may carry a username in its query: the HTTP client logs the
   * path without it. */
  g_debug ("Account %s: %s request", td_account_get_id (account), method);

  td_http_client_request_async (td_provider_get_http_client (self),
                                method, url, body,
                                td_provider_get_display_name (self),
                                cancellable, call_cb, g_steal_pointer (&task));
}

JsonObject *
td_vendor_get_success_object (TdProvider      *self,
                              TdHttpResponse  *response,
                              GError         **error)
{
  const char *vendor = td_provider_get_display_name (self);

  if (g_bytes_get_size (response->body) == 0)
    {
      g_set_error (error, TD_ERROR, TD_ERROR_INVALID_RESPONSE,
                   _("%s sent an empty answer"), vendor);
      return NULL;
    }

  if (response->json == NULL)
    {
      g_set_error (error, TD_ERROR, TD_ERROR_INVALID_RESPONSE,
                   _("%s sent an answer that is not JSON"), vendor);
      return NULL;
    }

  if (!JSON_NODE_HOLDS_OBJECT (response->json))
    {
      g_set_error (error, TD_ERROR, TD_ERROR_INVALID_RESPONSE,
                   _("%s sent JSON that is not an object"), vendor);
      return NULL;
    }

  return json_node_get_object (response->json);
}

static const char *
describe_json_type (JsonNode *node)
{
  if (JSON_NODE_HOLDS_OBJECT (node))
    return _("an object");
  if (JSON_NODE_HOLDS_ARRAY (node))
    return _("a list");
  if (json_node_get_value_type (node) == G_TYPE_BOOLEAN)
    return _("true or false");
  return _("a number");
}

gboolean
td_vendor_get_string (TdProvider  *self,
                      JsonObject  *object,
                      const char  *member,
                      gboolean     required,
                      const char **out_value,
                      GError     **error)
{
  const char *vendor = td_provider_get_display_name (self);
  JsonNode *node = json_object_get_member (object, member);

  *out_value = NULL;

  if (node == NULL || JSON_NODE_HOLDS_NULL (node))
    {
      if (!required)
        return TRUE;

      g_set_error (error, TD_ERROR, TD_ERROR_INVALID_RESPONSE,
                   _("%s sent an answer without “%s”"), vendor, member);
      return FALSE;
    }

  if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_STRING)
    {
      g_set_error (error, TD_ERROR, TD_ERROR_INVALID_RESPONSE,
                   _("%s sent “%s” as %s, not as text"),
                   vendor, member, describe_json_type (node));
      return FALSE;
    }

  if (*json_node_get_string (node) == '\0')
    {
      g_set_error (error, TD_ERROR, TD_ERROR_INVALID_RESPONSE,
                   _("%s sent an empty “%s”"), vendor, member);
      return FALSE;
    }

  /* A lone surrogate escaped in the JSON ("\ud800"), decoded by
   * json-glib to bytes that are not UTF-8: no token or name of a vendor
   * has one. */
  if (!g_utf8_validate (json_node_get_string (node), -1, NULL))
    {
      g_set_error (error, TD_ERROR, TD_ERROR_INVALID_RESPONSE,
                   _("%s sent a “%s” that is not valid text"), vendor, member);
      return FALSE;
    }

  *out_value = json_node_get_string (node);
  return TRUE;
}

char *
td_vendor_dup_error_text (TdHttpResponse *response,
                          const char     *first_member,
                          ...)
{
  const char *members[8] = { first_member, NULL };
  va_list args;

  va_start (args, first_member);
  for (guint i = 1; members[i - 1] != NULL; i++)
    {
      g_assert (i < G_N_ELEMENTS (members));
      members[i] = va_arg (args, const char *);
    }
  va_end (args);

  return dup_first_text (response, members);
}

/* Calls described by td_vendor_class_set_calls() */

static GQuark
sign_in_quark (void)
{
  return g_quark_from_static_string ("td-vendor-sign-in");
}

static GQuark
refresh_quark (void)
{
  return g_quark_from_static_string ("td-vendor-refresh");
}

static void
add_member (JsonBuilder *builder,
            const char  *member,
            const char  *value)
{
  if (member == NULL || value == NULL)
    return;

  json_builder_set_member_name (builder, member);
  json_builder_add_string_value (builder, value);
}

static void
send_described_async (TdProvider          *self,
                      TdAccount           *account,
                      const TdVendorCall  *call,
                      const char          *password,
                      const char          *new_password,
                      const char          *refresh_token,
                      GCancellable        *cancellable,
                      GAsyncReadyCallback  callback,
                      gpointer             user_data)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  /* Holds the password or the refresh token; shares its strings with the
   * builder's tree, so wiping it wipes both. */
  g_auto(TdSecretJson) body = NULL;
  const char *username = NULL;

  g_assert (call != NULL);

  /* Checked before anything is sent: a vendor would only refuse it. */
  if (call->username_member != NULL &&
      !(username = td_vendor_require_username (self, account, cancellable, callback, user_data)))
    return;

  json_builder_begin_object (builder);
  add_member (builder, call->username_member, username);
  add_member (builder, call->password_member, password);
  add_member (builder, call->new_password_member, new_password);
  add_member (builder, call->refresh_token_member, refresh_token);
  add_member (builder, call->fixed_member, call->fixed_value);
  json_builder_end_object (builder);

  body = json_builder_get_root (builder);
  td_vendor_call_async (self, account, call, "POST", call->path, body,
                        cancellable, callback, user_data);
}

static void
sign_in_async (TdProvider          *self,
               TdAccount           *account,
               const char          *password,
               const char          *new_password,
               GCancellable        *cancellable,
               GAsyncReadyCallback  callback,
               gpointer             user_data)
{
  send_described_async (self, account, g_type_get_qdata (G_OBJECT_TYPE (self), sign_in_quark ()),
                        password, new_password, NULL, cancellable, callback, user_data);
}

static void
refresh_async (TdProvider          *self,
               TdAccount           *account,
               const char          *refresh_token,
               GCancellable        *cancellable,
               GAsyncReadyCallback  callback,
               gpointer             user_data)
{
  send_described_async (self, account, g_type_get_qdata (G_OBJECT_TYPE (self), refresh_quark ()),
                        NULL, NULL, refresh_token, cancellable, callback, user_data);
}

const TdVendorCall *
td_vendor_get_described_call (TdProvider *self,
                              gboolean    refresh)
{
  g_return_val_if_fail (TD_IS_PROVIDER (self), NULL);

  return g_type_get_qdata (G_OBJECT_TYPE (self), refresh ? refresh_quark () : sign_in_quark ());
}

static TdTokens *
tokens_finish (TdProvider    *self,
               GAsyncResult  *result,
               GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

void
td_vendor_class_set_calls (TdProviderClass    *klass,
                           const TdVendorCall *sign_in,
                           const TdVendorCall *refresh)
{
  GType type = G_TYPE_FROM_CLASS (klass);

  g_return_if_fail (TD_IS_PROVIDER_CLASS (klass));
  g_return_if_fail (sign_in != NULL && sign_in->path != NULL);
  g_return_if_fail (refresh == NULL || refresh->path != NULL);

  /* The class struct of a final vendor type has no room of its own: the
   * descriptions hang on the type, which lives as long as the process. */
  g_type_set_qdata (type, sign_in_quark (), (gpointer)sign_in);
  klass->login_async = sign_in_async;
  klass->login_finish = tokens_finish;

  if (refresh != NULL)
    {
      g_type_set_qdata (type, refresh_quark (), (gpointer)refresh);
      klass->refresh_async = refresh_async;
      klass->refresh_finish = tokens_finish;
    }
}
