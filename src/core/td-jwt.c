/* td-jwt.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "td-jwt"

#include "config.h"

#include <glib/gi18n-lib.h>
#include <string.h>

#include "td-error.h"
#include "td-jwt.h"

/* A JWT is far smaller than this; a longer "token" is garbage. */
#define MAX_JWT_LENGTH (64 * 1024)

/* 9999-12-31T23:59:59Z: GDateTime, and so every date shown or compared,
 * ends there. A later exp is no "never expires", it is nonsense. */
#define MAX_EXP G_GINT64_CONSTANT (253402300799)

static gboolean
is_base64url (const char *s,
              gsize       len)
{
  for (gsize i = 0; i < len; i++)
    {
      char c = s[i];

      if (!g_ascii_isalnum (c) && c != '-' && c != '_' && c != '=')
        return FALSE;
    }

  return len > 0;
}

/* base64url without padding → bytes. GLib's decoder wants the standard
 * alphabet and tolerates missing padding only when we restore it. */
static GBytes *
base64url_decode (const char *s,
                  gsize       len)
{
  g_autoptr(GString) buf = g_string_sized_new (len + 4);
  guchar *data;
  gsize out_len = 0;

  for (gsize i = 0; i < len; i++)
    {
      char c = s[i];

      if (c == '=')
        break;
      g_string_append_c (buf, c == '-' ? '+' : c == '_' ? '/' : c);
    }

  if (buf->len % 4 == 1)
    return NULL;
  while (buf->len % 4 != 0)
    g_string_append_c (buf, '=');

  data = g_base64_decode (buf->str, &out_len);
  return g_bytes_new_take (data, out_len);
}

gboolean
td_jwt_looks_like_jwt (const char *token)
{
  g_autoptr(JsonObject) claims = NULL;

  if (token == NULL)
    return FALSE;

  claims = td_jwt_decode_claims (token, NULL);
  return claims != NULL;
}

JsonObject *
td_jwt_decode_claims (const char  *token,
                      GError     **error)
{
  g_autoptr(JsonParser) parser = NULL;
  g_autoptr(GBytes) payload = NULL;
  const char *dot1, *dot2;
  gsize len;
  JsonNode *root;

  g_return_val_if_fail (token != NULL, NULL);

  len = strlen (token);
  dot1 = strchr (token, '.');
  dot2 = dot1 ? strchr (dot1 + 1, '.') : NULL;

  if (len > MAX_JWT_LENGTH ||
      dot1 == NULL || dot2 == NULL ||
      strchr (dot2 + 1, '.') != NULL ||
      !is_base64url (token, dot1 - token) ||
      !is_base64url (dot1 + 1, dot2 - dot1 - 1) ||
      !is_base64url (dot2 + 1, token + len - dot2 - 1))
    {
      g_set_error_literal (error, TD_ERROR, TD_ERROR_INVALID_RESPONSE,
                           _("The token is not a JSON Web Token"));
      return NULL;
    }

  payload = base64url_decode (dot1 + 1, dot2 - dot1 - 1);
  parser = json_parser_new_immutable ();

  if (payload == NULL ||
      g_bytes_get_size (payload) == 0 ||
      !g_utf8_validate (g_bytes_get_data (payload, NULL), g_bytes_get_size (payload), NULL) ||
      !json_parser_load_from_data (parser, g_bytes_get_data (payload, NULL),
                                   g_bytes_get_size (payload), NULL))
    {
      g_set_error_literal (error, TD_ERROR, TD_ERROR_INVALID_RESPONSE,
                           _("The token's claims could not be read"));
      return NULL;
    }

  root = json_parser_get_root (parser);
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    {
      g_set_error_literal (error, TD_ERROR, TD_ERROR_INVALID_RESPONSE,
                           _("The token's claims are not a JSON object"));
      return NULL;
    }

  return json_object_ref (json_node_get_object (root));
}

gboolean
td_jwt_get_expiry (const char  *token,
                   gint64      *out_exp,
                   GError     **error)
{
  g_autoptr(JsonObject) claims = NULL;
  JsonNode *exp;
  gint64 value;

  g_return_val_if_fail (token != NULL, FALSE);

  if (!(claims = td_jwt_decode_claims (token, error)))
    return FALSE;

  exp = json_object_get_member (claims, "exp");
  if (exp == NULL || !JSON_NODE_HOLDS_VALUE (exp))
    {
      g_set_error_literal (error, TD_ERROR, TD_ERROR_INVALID_RESPONSE,
                           _("The token does not say when it expires"));
      return FALSE;
    }

  switch (json_node_get_value_type (exp))
    {
    case G_TYPE_INT64:
      value = json_node_get_int (exp);
      break;

    case G_TYPE_DOUBLE:
      {
        double d = json_node_get_double (exp);

        /* NaN fails both comparisons */
        if (!(d > 0 && d <= (double) MAX_EXP))
          goto bad;
        value = (gint64) d;
      }
      break;

    default:
      goto bad;
    }

  /* Anything before 2001 or after the year 9999 is not a real expiry. */
  if (value < 1000000000 || value > MAX_EXP)
    goto bad;

  if (out_exp)
    *out_exp = value;

  return TRUE;

bad:
  g_set_error_literal (error, TD_ERROR, TD_ERROR_INVALID_RESPONSE,
                       _("The token's expiry time is not valid"));
  return FALSE;
}
