/* td-http-client.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "td-http"

#include "config.h"

#include <glib/gi18n-lib.h>
#include <libsoup/soup.h>
#include <string.h>

#include "td-error.h"
#include "td-http-client.h"
#include "td-secret.h"

/* What the answer buffer holds at first; it doubles as needed. */
#define INITIAL_BUFFER_SIZE (16 * 1024)

/* Vendors see few connections from one desktop. Per host, this bounds how
 * many accounts of one vendor renew at once; the total bounds the app. */
#define MAX_CONNS          32
#define MAX_CONNS_PER_HOST 8

struct _TdHttpClient
{
  GObject      parent_instance;
  SoupSession *session;
  guint        timeout;
};

G_DEFINE_FINAL_TYPE (TdHttpClient, td_http_client, G_TYPE_OBJECT)

typedef struct
{
  SoupMessage   *message;
  GInputStream  *stream;
  /* The answer, read straight into a buffer of ours rather than through
   * GBytes chunks: every copy of the tokens in it is one we can wipe. */
  char          *buffer;
  gsize          buffer_size;
  gsize          length;
  GCancellable  *cancellable;      /* ours: cancelled by the caller's or by the deadline */
  GCancellable  *caller_cancellable;
  gulong         caller_handler;
  guint          deadline_id;
  gboolean       deadline_armed;
  gboolean       timed_out;
  char          *vendor_label;
  guint          timeout;
} Request;

static void
request_free (Request *req)
{
  if (req->caller_handler != 0)
    g_cancellable_disconnect (req->caller_cancellable, req->caller_handler);
  g_clear_handle_id (&req->deadline_id, g_source_remove);
  g_clear_object (&req->caller_cancellable);
  if (req->message != NULL)
    g_signal_handlers_disconnect_by_data (req->message, req);
  g_clear_object (&req->message);
  g_clear_object (&req->stream);
  g_clear_object (&req->cancellable);
  td_secret_wipe (req->buffer, req->length);
  g_clear_pointer (&req->buffer, g_free);
  g_free (req->vendor_label);
  g_free (req);
}

void
td_http_response_free (TdHttpResponse *self)
{
  if (self == NULL)
    return;

  g_free (self->content_type);
  /* The body wipes itself; the tree is ours alone (the parser that built
   * it is gone), so its strings, the tokens among them, can be wiped. */
  g_clear_pointer (&self->body, g_bytes_unref);
  g_clear_pointer (&self->json, td_secret_json_free);
  g_free (self);
}

JsonObject *
td_http_response_get_object (TdHttpResponse *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  if (self->json == NULL || !JSON_NODE_HOLDS_OBJECT (self->json))
    return NULL;

  return json_node_get_object (self->json);
}

const char *
td_http_response_get_string (TdHttpResponse *self,
                             const char     *member)
{
  JsonObject *object = td_http_response_get_object (self);
  JsonNode *node;

  if (object == NULL)
    return NULL;

  node = json_object_get_member (object, member);
  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node) ||
      json_node_get_value_type (node) != G_TYPE_STRING)
    return NULL;

  return json_node_get_string (node);
}

static void
td_http_client_finalize (GObject *object)
{
  TdHttpClient *self = (TdHttpClient *)object;

  g_clear_object (&self->session);

  G_OBJECT_CLASS (td_http_client_parent_class)->finalize (object);
}

static void
td_http_client_class_init (TdHttpClientClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = td_http_client_finalize;
}

static void
td_http_client_init (TdHttpClient *self)
{
  g_autofree char *user_agent = g_strdup_printf ("TokenDesk/%s", PACKAGE_VERSION);

  self->timeout = TD_HTTP_DEFAULT_TIMEOUT_SECONDS;
  /* SoupSession's own timeout is per read; it catches a dead socket but not
   * a server that drips a byte a second. The per-request deadline below
   * bounds the whole exchange. */
  self->session = soup_session_new_with_options ("user-agent", user_agent,
                                                 "max-conns", MAX_CONNS,
                                                 "max-conns-per-host", MAX_CONNS_PER_HOST,
                                                 "timeout", self->timeout,
                                                 NULL);
}

TdHttpClient *
td_http_client_new (void)
{
  return g_object_new (TD_TYPE_HTTP_CLIENT, NULL);
}

/**
 * td_http_client_get_default:
 *
 * The one client the whole process shares, so connections to a vendor are
 * reused and capped across accounts.
 */
TdHttpClient *
td_http_client_get_default (void)
{
  static TdHttpClient *instance;

  if (g_once_init_enter (&instance))
    g_once_init_leave (&instance, td_http_client_new ());

  return instance;
}

guint
td_http_client_get_timeout (TdHttpClient *self)
{
  g_return_val_if_fail (TD_IS_HTTP_CLIENT (self), 0);

  return self->timeout;
}

void
td_http_client_set_timeout (TdHttpClient *self,
                            guint         seconds)
{
  g_return_if_fail (TD_IS_HTTP_CLIENT (self));
  g_return_if_fail (seconds > 0);

  self->timeout = seconds;
  g_object_set (self->session, "timeout", seconds, NULL);
}

guint
td_http_client_get_max_conns (TdHttpClient *self)
{
  g_return_val_if_fail (TD_IS_HTTP_CLIENT (self), 0);

  return soup_session_get_max_conns_per_host (self->session);
}

static void
caller_cancelled_cb (GCancellable *caller,
                     GCancellable *ours)
{
  g_cancellable_cancel (ours);
}

static gboolean
deadline_cb (gpointer user_data)
{
  Request *req = user_data;

  req->deadline_id = 0;
  req->timed_out = TRUE;
  g_cancellable_cancel (req->cancellable);

  return G_SOURCE_REMOVE;
}

/* The deadline runs from the moment this request opens a connection or
 * gets one, not from when it was queued: behind max-conns-per-host, many
 * accounts renewing at once wait for each other, and that wait says
 * nothing about the vendor. It stays bounded, since every request ahead
 * in the queue is. A restarted message keeps its first deadline. */
static void
arm_deadline (Request *req)
{
  if (req->deadline_armed)
    return;

  req->deadline_armed = TRUE;
  req->deadline_id = g_timeout_add_seconds (req->timeout, deadline_cb, req);
}

static void
message_starting_cb (SoupMessage *message,
                     Request     *req)
{
  arm_deadline (req);
}

static void
message_network_event_cb (SoupMessage        *message,
                          GSocketClientEvent  event,
                          GIOStream          *connection,
                          Request            *req)
{
  arm_deadline (req);
}

/* Turns a transport failure into something a person can act on. */
static void
return_transport_error (GTask  *task,
                        GError *error)
{
  Request *req = g_task_get_task_data (task);
  const char *vendor = req->vendor_label;

  if (req->timed_out)
    {
      g_task_return_new_error (task, TD_ERROR, TD_ERROR_TIMED_OUT,
                               g_dngettext (GETTEXT_PACKAGE,
                                            "%s did not answer within %u second",
                                            "%s did not answer within %u seconds",
                                            req->timeout),
                               vendor, req->timeout);
    }
  else if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  else if (error->domain == G_TLS_ERROR)
    {
      g_task_return_new_error (task, TD_ERROR, TD_ERROR_INSECURE,
                               _("The secure connection to %s could not be verified: %s"),
                               vendor, error->message);
    }
  else if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT))
    {
      g_task_return_new_error (task, TD_ERROR, TD_ERROR_TIMED_OUT,
                               _("%s did not answer in time: %s"), vendor, error->message);
    }
  else if (error->domain == SOUP_SESSION_ERROR)
    {
      g_task_return_new_error (task, TD_ERROR, TD_ERROR_INVALID_RESPONSE,
                               _("%s sent an answer that could not be read: %s"),
                               vendor, error->message);
    }
  else
    {
      g_task_return_new_error (task, TD_ERROR, TD_ERROR_UNREACHABLE,
                               _("Could not reach %s: %s"), vendor, error->message);
    }

  g_clear_error (&error);
}

static void
finish_response (GTask *task)
{
  Request *req = g_task_get_task_data (task);
  g_autoptr(TdHttpResponse) response = g_new0 (TdHttpResponse, 1);
  SoupMessageHeaders *headers = soup_message_get_response_headers (req->message);
  const char *content_type;
  const char *retry_after;
  const char *date;
  gsize len;

  response->status = soup_message_get_status (req->message);
  response->body = td_secret_bytes_new_take (g_steal_pointer (&req->buffer), req->length);
  req->length = 0;
  response->retry_after = -1;

  content_type = soup_message_headers_get_content_type (headers, NULL);
  if (content_type)
    response->content_type = g_ascii_strdown (content_type, -1);

  date = soup_message_headers_get_one (headers, "Date");
  if (date != NULL)
    {
      g_autoptr(GDateTime) date_time = soup_date_time_new_from_http_string (date);

      if (date_time != NULL)
        response->date = g_date_time_to_unix (date_time);
    }

  retry_after = soup_message_headers_get_one (headers, "Retry-After");
  if (retry_after)
    {
      guint64 seconds;

      if (g_ascii_string_to_unsigned (retry_after, 10, 0, 7 * 24 * 3600, &seconds, NULL))
        response->retry_after = seconds;
    }

  /* Parse whatever looks like JSON, whatever the Content-Type says: some
   * vendors' gateways send JSON as text/plain. The providers check shapes. */
  len = g_bytes_get_size (response->body);
  if (len > 0)
    {
      g_autoptr(JsonParser) parser = json_parser_new_immutable ();
      const char *data = g_bytes_get_data (response->body, NULL);

      /* The copy shares the parser's tree, which the parser lets go of
       * here: the response is then its only owner. */
      if (g_utf8_validate (data, len, NULL) &&
          json_parser_load_from_data (parser, data, len, NULL) &&
          json_parser_get_root (parser) != NULL)
        response->json = json_node_copy (json_parser_get_root (parser));
    }

  g_debug ("%s answered HTTP %u (%" G_GSIZE_FORMAT " bytes)",
           req->vendor_label, response->status, len);

  /* The request body may hold a password: let go of it now, not after
   * the caller has dealt with the answer. libsoup keeps the message a
   * little longer than we do, so the body is taken off it first. */
  g_signal_handlers_disconnect_by_data (req->message, req);
  soup_message_set_request_body (req->message, NULL, NULL, 0);
  g_clear_object (&req->stream);
  g_clear_object (&req->message);

  g_task_return_pointer (task, g_steal_pointer (&response), (GDestroyNotify)td_http_response_free);
}

static void read_next_chunk (GTask *task);

/* Grows by hand, not with g_realloc: realloc would free the old block with
 * the tokens read so far still in it. */
static void
grow_buffer (Request *req)
{
  gsize size = req->buffer_size * 2;
  char *buffer = g_malloc (size);

  memcpy (buffer, req->buffer, req->length);
  td_secret_wipe (req->buffer, req->length);
  g_free (req->buffer);
  req->buffer = buffer;
  req->buffer_size = size;
}

static void
read_cb (GObject      *object,
         GAsyncResult *result,
         gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  Request *req = g_task_get_task_data (task);
  GError *error = NULL;
  gssize n;

  n = g_input_stream_read_finish (G_INPUT_STREAM (object), result, &error);
  if (n < 0)
    {
      return_transport_error (task, error);
      return;
    }

  if (n == 0)
    {
      g_clear_handle_id (&req->deadline_id, g_source_remove);
      finish_response (task);
      return;
    }

  req->length += n;
  if (req->length > TD_HTTP_MAX_RESPONSE_SIZE)
    {
      /* Closing drops the connection instead of draining megabytes. */
      g_input_stream_close_async (req->stream, G_PRIORITY_DEFAULT, NULL, NULL, NULL);
      g_task_return_new_error (task, TD_ERROR, TD_ERROR_INVALID_RESPONSE,
                               _("%s sent an answer larger than %d KiB"),
                               req->vendor_label, TD_HTTP_MAX_RESPONSE_SIZE / 1024);
      return;
    }

  read_next_chunk (g_steal_pointer (&task));
}

static void
read_next_chunk (GTask *task)
{
  Request *req = g_task_get_task_data (task);

  /* One byte more than the limit may arrive, so that an answer too large
   * is told from one of exactly the limit. */
  if (req->length == req->buffer_size && req->buffer_size <= TD_HTTP_MAX_RESPONSE_SIZE)
    grow_buffer (req);

  g_input_stream_read_async (req->stream,
                             req->buffer + req->length,
                             MIN (req->buffer_size - req->length,
                                  TD_HTTP_MAX_RESPONSE_SIZE + 1 - req->length),
                             G_PRIORITY_DEFAULT,
                             req->cancellable,
                             read_cb,
                             task);
}

static void
send_cb (GObject      *object,
         GAsyncResult *result,
         gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  Request *req = g_task_get_task_data (task);
  GError *error = NULL;

  req->stream = soup_session_send_finish (SOUP_SESSION (object), result, &error);
  if (req->stream == NULL)
    {
      return_transport_error (task, error);
      return;
    }

  read_next_chunk (g_steal_pointer (&task));
}

void
td_http_client_request_async (TdHttpClient        *self,
                              const char          *method,
                              const char          *url,
                              JsonNode            *body,
                              const char          *vendor_label,
                              GCancellable        *cancellable,
                              GAsyncReadyCallback  callback,
                              gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(GUri) uri = NULL;
  SoupMessageHeaders *headers;
  Request *req;

  g_return_if_fail (TD_IS_HTTP_CLIENT (self));
  g_return_if_fail (method != NULL);
  g_return_if_fail (url != NULL);
  g_return_if_fail (vendor_label != NULL);
  g_return_if_fail (!cancellable || G_IS_CANCELLABLE (cancellable));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, td_http_client_request_async);

  uri = g_uri_parse (url, SOUP_HTTP_URI_FLAGS, NULL);
  if (uri == NULL)
    {
      g_task_return_new_error (task, TD_ERROR, TD_ERROR_INVALID_ENDPOINT,
                               _("“%s” is not a valid address"), url);
      return;
    }

  req = g_new0 (Request, 1);
  req->message = soup_message_new_from_uri (method, uri);
  req->buffer_size = INITIAL_BUFFER_SIZE;
  req->buffer = g_malloc (req->buffer_size);
  req->cancellable = g_cancellable_new ();
  req->vendor_label = g_strdup (vendor_label);
  req->timeout = self->timeout;
  g_task_set_task_data (task, req, (GDestroyNotify)request_free);

  /* A redirect could carry the password in the body to another host. No
   * vendor documents one, so a 3xx is reported instead of followed. */
  soup_message_add_flags (req->message, SOUP_MESSAGE_NO_REDIRECT);

  headers = soup_message_get_request_headers (req->message);
  soup_message_headers_replace (headers, "Accept", "application/json");

  if (body != NULL)
    {
      g_autoptr(GBytes) bytes = NULL;
      gsize len = 0;
      char *data;

      /* The body may hold a password: written in one buffer that is wiped
       * when libsoup lets go of it, with the message. */
      data = td_secret_json_to_string (body, &len);
      bytes = td_secret_bytes_new_take (data, len);
      soup_message_set_request_body_from_bytes (req->message, "application/json", bytes);
    }

  if (cancellable != NULL)
    {
      req->caller_cancellable = g_object_ref (cancellable);
      req->caller_handler = g_cancellable_connect (cancellable,
                                                   G_CALLBACK (caller_cancelled_cb),
                                                   req->cancellable, NULL);
    }

  g_signal_connect (req->message, "network-event", G_CALLBACK (message_network_event_cb), req);
  g_signal_connect (req->message, "starting", G_CALLBACK (message_starting_cb), req);

  /* Only the path: a query may hold a username, a body may hold a password. */
  g_debug ("%s %s%s", method, g_uri_get_host (uri), g_uri_get_path (uri));

  soup_session_send_async (self->session,
                           req->message,
                           G_PRIORITY_DEFAULT,
                           req->cancellable,
                           send_cb,
                           g_steal_pointer (&task));
}

TdHttpResponse *
td_http_client_request_finish (TdHttpClient  *self,
                               GAsyncResult  *result,
                               GError       **error)
{
  g_return_val_if_fail (TD_IS_HTTP_CLIENT (self), NULL);
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}
