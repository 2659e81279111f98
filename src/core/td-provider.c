/* td-provider.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "td-provider"

#include "config.h"

#include <glib/gi18n-lib.h>
#include <libsoup/soup.h>
#include <string.h>

#include "td-error.h"
#include "td-jwt.h"
#include "td-provider.h"

typedef struct
{
  TdHttpClient *http_client;
  gint64        clock_offset;  /* of the answer being parsed: see td_provider_set_clock_offset */
} TdProviderPrivate;

G_DEFINE_ABSTRACT_TYPE_WITH_PRIVATE (TdProvider, td_provider, G_TYPE_OBJECT)

static GList *registry;

static void
td_provider_finalize (GObject *object)
{
  TdProvider *self = (TdProvider *)object;
  TdProviderPrivate *priv = td_provider_get_instance_private (self);

  g_clear_object (&priv->http_client);

  G_OBJECT_CLASS (td_provider_parent_class)->finalize (object);
}

static void
not_supported_async (TdProvider          *self,
                     GAsyncReadyCallback  callback,
                     gpointer             user_data,
                     gpointer             source_tag)
{
  g_task_report_new_error (self, callback, user_data, source_tag,
                           TD_ERROR, TD_ERROR_NOT_SUPPORTED,
                           _("%s does not support this"),
                           td_provider_get_display_name (self));
}

static void
real_refresh_async (TdProvider          *self,
                    TdAccount           *account,
                    const char          *refresh_token,
                    GCancellable        *cancellable,
                    GAsyncReadyCallback  callback,
                    gpointer             user_data)
{
  not_supported_async (self, callback, user_data, real_refresh_async);
}

static TdTokens *
real_refresh_finish (TdProvider    *self,
                     GAsyncResult  *result,
                     GError       **error)
{
  return g_task_propagate_pointer (G_TASK (result), error);
}

static void
real_request_password_reset_async (TdProvider          *self,
                                   TdAccount           *account,
                                   GCancellable        *cancellable,
                                   GAsyncReadyCallback  callback,
                                   gpointer             user_data)
{
  not_supported_async (self, callback, user_data, real_request_password_reset_async);
}

static gboolean
real_boolean_finish (TdProvider    *self,
                     GAsyncResult  *result,
                     GError       **error)
{
  return g_task_propagate_boolean (G_TASK (result), error);
}

static void
real_reset_password_async (TdProvider          *self,
                           TdAccount           *account,
                           const char          *code,
                           const char          *new_password,
                           GCancellable        *cancellable,
                           GAsyncReadyCallback  callback,
                           gpointer             user_data)
{
  not_supported_async (self, callback, user_data, real_reset_password_async);
}

static void
td_provider_class_init (TdProviderClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = td_provider_finalize;

  klass->refresh_async = real_refresh_async;
  klass->refresh_finish = real_refresh_finish;
  klass->request_password_reset_async = real_request_password_reset_async;
  klass->request_password_reset_finish = real_boolean_finish;
  klass->reset_password_async = real_reset_password_async;
  klass->reset_password_finish = real_boolean_finish;
}

static void
td_provider_init (TdProvider *self)
{
  TdProviderPrivate *priv = td_provider_get_instance_private (self);

  priv->http_client = g_object_ref (td_http_client_get_default ());
}

void
td_provider_register (GType provider_type)
{
  g_return_if_fail (g_type_is_a (provider_type, TD_TYPE_PROVIDER));

  for (const GList *l = registry; l; l = l->next)
    if (G_OBJECT_TYPE (l->data) == provider_type)
      return;

  registry = g_list_append (registry, g_object_new (provider_type, NULL));
}

TdProvider *
td_provider_get_for_vendor (const char *vendor_id)
{
  g_return_val_if_fail (vendor_id != NULL, NULL);

  for (const GList *l = registry; l; l = l->next)
    if (g_strcmp0 (td_provider_get_vendor_id (l->data), vendor_id) == 0)
      return l->data;

  return NULL;
}

GList *
td_provider_get_all (void)
{
  return registry;
}

#define CLASS(self) TD_PROVIDER_GET_CLASS (self)

const char *
td_provider_get_vendor_id (TdProvider *self)
{
  g_return_val_if_fail (TD_IS_PROVIDER (self), NULL);
  return CLASS (self)->vendor_id;
}

const char *
td_provider_get_display_name (TdProvider *self)
{
  g_return_val_if_fail (TD_IS_PROVIDER (self), NULL);
  return CLASS (self)->display_name;
}

const char *
td_provider_get_description (TdProvider *self)
{
  g_return_val_if_fail (TD_IS_PROVIDER (self), NULL);
  return g_dgettext (GETTEXT_PACKAGE, CLASS (self)->description);
}

const char *
td_provider_get_icon_name (TdProvider *self)
{
  g_return_val_if_fail (TD_IS_PROVIDER (self), NULL);
  return CLASS (self)->icon_name;
}

/* Never NULL: a vendor without presets has an empty list. The public
 * getter's type check may return NULL, which callers inside this file have
 * already made. */
static const TdEndpointPreset *
presets_of (TdProvider *self)
{
  static const TdEndpointPreset none[] = { { NULL } };

  return CLASS (self)->presets ? CLASS (self)->presets : none;
}

const TdEndpointPreset *
td_provider_get_presets (TdProvider *self)
{
  g_return_val_if_fail (TD_IS_PROVIDER (self), NULL);
  return presets_of (self);
}

const TdEndpointPreset *
td_provider_find_preset (TdProvider *self,
                         const char *id)
{
  g_return_val_if_fail (TD_IS_PROVIDER (self), NULL);

  for (const TdEndpointPreset *p = presets_of (self); p->id; p++)
    if (g_strcmp0 (p->id, id) == 0)
      return p;

  return NULL;
}

TdProviderFeatures
td_provider_get_features (TdProvider *self)
{
  g_return_val_if_fail (TD_IS_PROVIDER (self), 0);
  return CLASS (self)->features;
}

gboolean
td_provider_renews_freely (TdProvider *self,
                           TdAccount  *account)
{
  TdProviderFeatures features;

  g_return_val_if_fail (TD_IS_PROVIDER (self), FALSE);
  g_return_val_if_fail (TD_IS_ACCOUNT (account), FALSE);

  features = td_provider_get_features (self);

  /* A token pasted into a script elsewhere would die with the renewal. */
  if (features & TD_PROVIDER_FEATURE_REVOKES_EARLIER)
    return FALSE;

  return (features & TD_PROVIDER_FEATURE_REFRESH_TOKEN) != 0 ||
         td_account_get_remember_password (account) ||
         td_account_get_admin_token (account);
}

gboolean
td_provider_has_feature (TdProvider         *self,
                         TdProviderFeatures  feature)
{
  g_return_val_if_fail (TD_IS_PROVIDER (self), FALSE);
  return (CLASS (self)->features & feature) == feature;
}

TdHttpClient *
td_provider_get_http_client (TdProvider *self)
{
  TdProviderPrivate *priv = td_provider_get_instance_private (self);

  g_return_val_if_fail (TD_IS_PROVIDER (self), NULL);
  return priv->http_client;
}

const char *
td_provider_get_header_name (TdProvider *self)
{
  g_return_val_if_fail (TD_IS_PROVIDER (self), NULL);
  return CLASS (self)->header_name;
}

char *
td_provider_format_header_value (TdProvider *self,
                                 const char *token)
{
  g_return_val_if_fail (TD_IS_PROVIDER (self), NULL);
  g_return_val_if_fail (token != NULL, NULL);

  return g_strconcat (CLASS (self)->header_prefix ? CLASS (self)->header_prefix : "", token, NULL);
}

char *
td_provider_format_header (TdProvider *self,
                           const char *token)
{
  g_auto(TdSecret) value = NULL;

  g_return_val_if_fail (TD_IS_PROVIDER (self), NULL);
  g_return_val_if_fail (token != NULL, NULL);

  value = td_provider_format_header_value (self, token);
  return td_secret_concat (CLASS (self)->header_name, ": ", value, NULL);
}

static gboolean
is_loopback_host (const char *host)
{
  g_autoptr(GInetAddress) address = NULL;

  if (host == NULL)
    return FALSE;

  if (g_ascii_strcasecmp (host, "localhost") == 0)
    return TRUE;

  address = g_inet_address_new_from_string (host);
  return address != NULL && g_inet_address_get_is_loopback (address);
}

gboolean
td_provider_validate_url (const char  *url,
                          GError     **error)
{
  g_autoptr(GUri) uri = NULL;
  const char *scheme;
  const char *host;

  g_return_val_if_fail (url != NULL, FALSE);

  /* Checked before anything echoes the address: a newline or a bidi
   * override would rewrite what the terminal or the window shows. */
  if (!g_utf8_validate (url, -1, NULL))
    {
      g_set_error_literal (error, TD_ERROR, TD_ERROR_INVALID_ENDPOINT,
                           _("The address is not valid UTF-8 text"));
      return FALSE;
    }
  for (const char *p = url; *p != '\0'; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);

      if (g_unichar_iscntrl (c) || g_unichar_type (c) == G_UNICODE_FORMAT ||
          g_unichar_type (c) == G_UNICODE_LINE_SEPARATOR ||
          g_unichar_type (c) == G_UNICODE_PARAGRAPH_SEPARATOR)
        {
          g_autofree char *code = g_strdup_printf ("U+%04X", c);

          g_set_error (error, TD_ERROR, TD_ERROR_INVALID_ENDPOINT,
                       _("The address contains a control or invisible character (%s)"), code);
          return FALSE;
        }
    }

  uri = g_uri_parse (url, SOUP_HTTP_URI_FLAGS, NULL);
  if (uri == NULL)
    {
      g_set_error (error, TD_ERROR, TD_ERROR_INVALID_ENDPOINT,
                   _("“%s” is not a valid address"), url);
      return FALSE;
    }

  scheme = g_uri_get_scheme (uri);
  host = g_uri_get_host (uri);

  /* user:password@ would be kept in accounts.ini and printed by `list
   * --json`; the username has its own field and the password belongs in
   * the keyring. The address is not repeated: it holds the password. */
  if (g_uri_get_userinfo (uri) != NULL)
    {
      g_set_error_literal (error, TD_ERROR, TD_ERROR_INVALID_ENDPOINT,
                           _("The address contains a username or password (user:password@): "
                             "remove it, Token Desk asks for them separately"));
      return FALSE;
    }

  if (host == NULL || *host == '\0')
    {
      g_set_error (error, TD_ERROR, TD_ERROR_INVALID_ENDPOINT,
                   _("“%s” has no host name"), url);
      return FALSE;
    }

  if (g_ascii_strcasecmp (scheme, "https") == 0)
    return TRUE;

  /* Plain HTTP would send passwords in the clear. Loopback is the one
   * exception, for local proxies and the vendor simulator. */
  if (g_ascii_strcasecmp (scheme, "http") == 0)
    {
      if (is_loopback_host (host))
        return TRUE;

      /* The same refusal, and exit status, whether the address is typed
       * (add, edit) or read from the account file (token). */
      g_set_error (error, TD_ERROR, TD_ERROR_INVALID_ENDPOINT,
                   _("“%s” is not a secure address: use https://"), url);
      return FALSE;
    }

  g_set_error (error, TD_ERROR, TD_ERROR_INVALID_ENDPOINT,
               _("“%s” is not a web address"), url);
  return FALSE;
}

char *
td_provider_resolve_base_url (TdProvider  *self,
                              const char  *endpoint,
                              GError     **error)
{
  const TdEndpointPreset *preset = NULL;
  const TdEndpointPreset *presets;
  g_autofree char *url = NULL;
  gsize len;

  g_return_val_if_fail (TD_IS_PROVIDER (self), NULL);

  presets = presets_of (self);

  if (endpoint == NULL || *endpoint == '\0')
    {
      if (presets->id == NULL)
        {
          g_set_error (error, TD_ERROR, TD_ERROR_INVALID_ENDPOINT,
                       _("%s has no public address: enter the address of your instance"),
                       td_provider_get_display_name (self));
          return NULL;
        }
      preset = presets;
    }
  else
    preset = td_provider_find_preset (self, endpoint);

  url = g_strdup (preset ? preset->url : endpoint);
  g_strstrip (url);

  if (!td_provider_validate_url (url, error))
    return NULL;

  len = strlen (url);
  while (len > 0 && url[len - 1] == '/')
    url[--len] = '\0';

  return g_steal_pointer (&url);
}

void
td_provider_set_unexpected_status_error (TdProvider      *self,
                                         TdHttpResponse  *response,
                                         const char      *vendor_text,
                                         GError         **error)
{
  const char *vendor = td_provider_get_display_name (self);
  guint status = response->status;

  if (status == 429)
    {
      if (response->retry_after >= 0)
        g_set_error (error, TD_ERROR, TD_ERROR_UNREACHABLE,
                     g_dngettext (GETTEXT_PACKAGE,
                                  "%s is receiving too many requests: try again in %d second",
                                  "%s is receiving too many requests: try again in %d seconds",
                                  response->retry_after),
                     vendor, (int) response->retry_after);
      else
        g_set_error (error, TD_ERROR, TD_ERROR_UNREACHABLE,
                     _("%s is receiving too many requests: try again later"), vendor);
    }
  else if (SOUP_STATUS_IS_SERVER_ERROR (status))
    {
      if (vendor_text)
        g_set_error (error, TD_ERROR, TD_ERROR_UNREACHABLE,
                     _("%s is having problems (HTTP %u): %s"), vendor, status, vendor_text);
      else
        g_set_error (error, TD_ERROR, TD_ERROR_UNREACHABLE,
                     _("%s is having problems (HTTP %u)"), vendor, status);
    }
  else if (SOUP_STATUS_IS_REDIRECTION (status))
    {
      g_set_error (error, TD_ERROR, TD_ERROR_INVALID_RESPONSE,
                   _("%s redirected the sign-in elsewhere (HTTP %u); check the address"),
                   vendor, status);
    }
  else if (status == 404)
    {
      g_set_error (error, TD_ERROR, TD_ERROR_INVALID_RESPONSE,
                   _("%s has no sign-in at this address (HTTP 404); check the address"),
                   vendor);
    }
  else if (vendor_text)
    {
      g_set_error (error, TD_ERROR, TD_ERROR_INVALID_RESPONSE,
                   _("%s answered HTTP %u: %s"), vendor, status, vendor_text);
    }
  else if (response->json == NULL && g_bytes_get_size (response->body) > 0)
    {
      g_set_error (error, TD_ERROR, TD_ERROR_INVALID_RESPONSE,
                   _("%s answered HTTP %u with something that is not JSON"), vendor, status);
    }
  else
    {
      g_set_error (error, TD_ERROR, TD_ERROR_INVALID_RESPONSE,
                   _("%s answered HTTP %u"), vendor, status);
    }
}

static gboolean
has_exp (const char *token)
{
  g_autoptr(JsonObject) claims = td_jwt_decode_claims (token, NULL);

  return claims != NULL && json_object_has_member (claims, "exp") &&
         !json_object_get_null_member (claims, "exp");
}

gboolean
td_provider_compute_expiry (TdProvider  *self,
                            const char  *token,
                            gboolean     must_be_jwt,
                            gint64       fallback_seconds,
                            gint64      *out_expires_at,
                            GError     **error)
{
  TdProviderPrivate *priv = td_provider_get_instance_private (self);
  g_autoptr(GError) local_error = NULL;
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;
  gint64 exp;

  g_return_val_if_fail (TD_IS_PROVIDER (self), FALSE);
  g_return_val_if_fail (token != NULL, FALSE);

  if (td_jwt_get_expiry (token, &exp, &local_error))
    {
      /* exp is a time on the vendor's clock: on ours it is that much
       * earlier or later. */
      exp += priv->clock_offset;

      /* Expired before it arrived: used, it would be refused at once, and
       * renewed again and again. With the vendor's clock accounted for,
       * the likely cause is this computer's. */
      if (exp <= now)
        {
          g_autoptr(GDateTime) at = g_date_time_new_from_unix_utc (exp);
          g_autoptr(GDateTime) local_now = g_date_time_new_now_utc ();
          g_autofree char *at_text = at ? g_date_time_format (at, "%Y-%m-%d %H:%M:%S") : NULL;
          g_autofree char *now_text = g_date_time_format (local_now, "%Y-%m-%d %H:%M:%S");

          g_set_error (error, TD_ERROR, TD_ERROR_INVALID_RESPONSE,
                       _("%s issued a token that had already expired (at %s UTC; this "
                         "computer’s clock says %s UTC): check that the clock, date and time "
                         "zone of this computer are right"),
                       td_provider_get_display_name (self), at_text ? at_text : "?", now_text);
          return FALSE;
        }

      *out_expires_at = exp;
      return TRUE;
    }

  /* The fallback is for tokens that do not say when they expire; one that
   * says it with a value no clock has (past the year 9999, negative) is
   * an invalid answer, not a token to keep for the assumed lifetime. */
  if (!must_be_jwt && fallback_seconds > 0 && !has_exp (token))
    {
      *out_expires_at = now + fallback_seconds;
      return TRUE;
    }

  g_set_error (error, TD_ERROR, TD_ERROR_INVALID_RESPONSE,
               _("%s sent a token that cannot be used: %s"),
               td_provider_get_display_name (self), local_error->message);
  return FALSE;
}

void
td_provider_set_clock_offset (TdProvider *self,
                              gint64      seconds)
{
  TdProviderPrivate *priv = td_provider_get_instance_private (self);

  g_return_if_fail (TD_IS_PROVIDER (self));

  priv->clock_offset = seconds;
}

/* Public wrappers: check the arguments once, here, for every vendor. */

void
td_provider_login_async (TdProvider          *self,
                         TdAccount           *account,
                         const char          *password,
                         const char          *new_password,
                         GCancellable        *cancellable,
                         GAsyncReadyCallback  callback,
                         gpointer             user_data)
{
  g_return_if_fail (TD_IS_PROVIDER (self));
  g_return_if_fail (TD_IS_ACCOUNT (account));
  g_return_if_fail (password != NULL);
  g_return_if_fail (!cancellable || G_IS_CANCELLABLE (cancellable));

  CLASS (self)->login_async (self, account, password, new_password, cancellable, callback, user_data);
}

TdTokens *
td_provider_login_finish (TdProvider    *self,
                          GAsyncResult  *result,
                          GError       **error)
{
  g_return_val_if_fail (TD_IS_PROVIDER (self), NULL);
  g_return_val_if_fail (G_IS_ASYNC_RESULT (result), NULL);

  return CLASS (self)->login_finish (self, result, error);
}

void
td_provider_refresh_async (TdProvider          *self,
                           TdAccount           *account,
                           const char          *refresh_token,
                           GCancellable        *cancellable,
                           GAsyncReadyCallback  callback,
                           gpointer             user_data)
{
  g_return_if_fail (TD_IS_PROVIDER (self));
  g_return_if_fail (TD_IS_ACCOUNT (account));
  g_return_if_fail (refresh_token != NULL);
  g_return_if_fail (!cancellable || G_IS_CANCELLABLE (cancellable));

  CLASS (self)->refresh_async (self, account, refresh_token, cancellable, callback, user_data);
}

TdTokens *
td_provider_refresh_finish (TdProvider    *self,
                            GAsyncResult  *result,
                            GError       **error)
{
  g_return_val_if_fail (TD_IS_PROVIDER (self), NULL);
  g_return_val_if_fail (G_IS_ASYNC_RESULT (result), NULL);

  return CLASS (self)->refresh_finish (self, result, error);
}

void
td_provider_request_password_reset_async (TdProvider          *self,
                                          TdAccount           *account,
                                          GCancellable        *cancellable,
                                          GAsyncReadyCallback  callback,
                                          gpointer             user_data)
{
  g_return_if_fail (TD_IS_PROVIDER (self));
  g_return_if_fail (TD_IS_ACCOUNT (account));
  g_return_if_fail (!cancellable || G_IS_CANCELLABLE (cancellable));

  CLASS (self)->request_password_reset_async (self, account, cancellable, callback, user_data);
}

gboolean
td_provider_request_password_reset_finish (TdProvider    *self,
                                           GAsyncResult  *result,
                                           GError       **error)
{
  g_return_val_if_fail (TD_IS_PROVIDER (self), FALSE);
  g_return_val_if_fail (G_IS_ASYNC_RESULT (result), FALSE);

  return CLASS (self)->request_password_reset_finish (self, result, error);
}

void
td_provider_reset_password_async (TdProvider          *self,
                                  TdAccount           *account,
                                  const char          *code,
                                  const char          *new_password,
                                  GCancellable        *cancellable,
                                  GAsyncReadyCallback  callback,
                                  gpointer             user_data)
{
  g_return_if_fail (TD_IS_PROVIDER (self));
  g_return_if_fail (TD_IS_ACCOUNT (account));
  g_return_if_fail (code != NULL);
  g_return_if_fail (new_password != NULL);
  g_return_if_fail (!cancellable || G_IS_CANCELLABLE (cancellable));

  CLASS (self)->reset_password_async (self, account, code, new_password,
                                      cancellable, callback, user_data);
}

gboolean
td_provider_reset_password_finish (TdProvider    *self,
                                   GAsyncResult  *result,
                                   GError       **error)
{
  g_return_val_if_fail (TD_IS_PROVIDER (self), FALSE);
  g_return_val_if_fail (G_IS_ASYNC_RESULT (result), FALSE);

  return CLASS (self)->reset_password_finish (self, result, error);
}
