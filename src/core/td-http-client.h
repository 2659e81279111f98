/* td-http-client.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>

G_BEGIN_DECLS

#define TD_HTTP_DEFAULT_TIMEOUT_SECONDS 30
#define TD_HTTP_MAX_RESPONSE_SIZE (1024 * 1024)

/* What a vendor answered. The status is not an error: providers decide. */
typedef struct
{
  guint       status;
  char       *content_type;   /* without parameters, lower case; may be NULL */
  GBytes     *body;           /* never NULL */
  JsonNode   *json;           /* NULL unless the body parsed as JSON */
  gint64      retry_after;    /* seconds from Retry-After, or -1 */
  gint64      date;           /* the Date header, Unix seconds, or 0 without one */
} TdHttpResponse;

void            td_http_response_free          (TdHttpResponse *self);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (TdHttpResponse, td_http_response_free)

/* The string member of a JSON object answer, NULL when absent or not a string. */
const char     *td_http_response_get_string    (TdHttpResponse *self,
                                                const char     *member);
JsonObject     *td_http_response_get_object    (TdHttpResponse *self);

#define TD_TYPE_HTTP_CLIENT (td_http_client_get_type ())

G_DECLARE_FINAL_TYPE (TdHttpClient, td_http_client, TD, HTTP_CLIENT, GObject)

TdHttpClient   *td_http_client_new             (void);
TdHttpClient   *td_http_client_get_default     (void);

guint           td_http_client_get_timeout     (TdHttpClient        *self);
void            td_http_client_set_timeout     (TdHttpClient        *self,
                                                guint                seconds);
guint           td_http_client_get_max_conns   (TdHttpClient        *self);

/* method "GET" or "POST"; body (a JSON object) is sent for POST. The vendor
 * label names the vendor in network error messages. */
void            td_http_client_request_async   (TdHttpClient        *self,
                                                const char          *method,
                                                const char          *url,
                                                JsonNode            *body,
                                                const char          *vendor_label,
                                                GCancellable        *cancellable,
                                                GAsyncReadyCallback  callback,
                                                gpointer             user_data);
TdHttpResponse *td_http_client_request_finish  (TdHttpClient        *self,
                                                GAsyncResult        *result,
                                                GError             **error);

G_END_DECLS
