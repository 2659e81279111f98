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

const char *
td_vendor_require_username (TdProvider  *self,
                            TdAccount   *account,
                            GError     **error)
{
  const char *username = td_account_get_username (account);

  if (username == NULL || *username == '\0')
    {
      g_set_error (error, TD_ERROR, TD_ERROR_BAD_CREDENTIALS,
                   _("Enter the username of your %s account"),
                   td_provider_get_display_name (self));
      return NULL;
    }

  return username;
}

void
td_vendor_send (TdProvider          *self,
                TdAccount           *account,
                const char          *method,
                const char          *path,
                JsonBuilder         *body,
                GTask               *task,
                GAsyncReadyCallback  callback)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) root = NULL;
  g_autofree char *base = NULL;
  g_autofree char *url = NULL;

  g_assert (TD_IS_PROVIDER (self));
  g_assert (G_IS_TASK (task));

  base = td_provider_resolve_base_url (self, td_account_get_endpoint (account), &error);
  if (base == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      g_object_unref (task);
      return;
    }

  url = g_strconcat (base, path, NULL);
  if (body != NULL)
    root = json_builder_get_root (body);

  /* The path may carry a username in its query: the HTTP client logs the
   * path without it. */
  g_debug ("Account %s: %s request", td_account_get_id (account), method);

  td_http_client_request_async (td_provider_get_http_client (self),
                                method, url, root,
                                td_provider_get_display_name (self),
                                g_task_get_cancellable (task),
                                callback, task);
}

TdHttpResponse *
td_vendor_send_finish (GObject      *client,
                       GAsyncResult *result,
                       GTask        *task)
{
  GError *error = NULL;
  TdHttpResponse *response;

  response = td_http_client_request_finish (TD_HTTP_CLIENT (client), result, &error);
  if (response == NULL)
    g_task_return_error (task, error);

  return response;
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

  *out_value = json_node_get_string (node);
  return TRUE;
}

char *
td_vendor_dup_error_text (TdHttpResponse *response,
                          const char     *first_member,
                          ...)
{
  va_list args;
  char *text = NULL;

  va_start (args, first_member);
  for (const char *member = first_member; member && !text; member = va_arg (args, const char *))
    {
      const char *value = td_http_response_get_string (response, member);

      if (value == NULL)
        continue;

      text = g_strstrip (g_strdup (value));
      if (*text == '\0')
        g_clear_pointer (&text, g_free);
    }
  va_end (args);

  if (text != NULL && g_utf8_strlen (text, -1) > MAX_VENDOR_TEXT_CHARS)
    {
      g_autofree char *head = g_utf8_substring (text, 0, MAX_VENDOR_TEXT_CHARS);

      g_free (text);
      text = g_strconcat (head, "…", NULL);
    }

  return text;
}

TdTokens *
td_vendor_tokens_finish (TdProvider    *self,
                         GAsyncResult  *result,
                         GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}
