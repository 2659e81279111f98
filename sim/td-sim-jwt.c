/* td-sim-jwt.c: minimal HS256 JWT minting for the vendor simulator
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "td-sim-jwt.h"

#include <string.h>

char *
td_sim_base64url_encode (const guint8 *data,
                         gsize         len)
{
  char *text = g_base64_encode (data, len);

  /* RFC 7515 wants the URL alphabet and no padding. */
  for (char *p = text; *p != '\0'; p++)
    {
      if (*p == '+')
        *p = '-';
      else if (*p == '/')
        *p = '_';
      else if (*p == '=')
        {
          *p = '\0';
          break;
        }
    }

  return text;
}

/* @exp of 0 leaves the claim out: the "no-exp" hostile mode needs such a token. */
JsonObject *
td_sim_jwt_claims_new (const char *sub,
                       gint64      iat,
                       gint64      exp)
{
  JsonObject *claims = json_object_new ();
  g_autofree char *jti = g_uuid_string_random ();

  json_object_set_string_member (claims, "sub", sub);
  json_object_set_int_member (claims, "iat", iat);
  if (exp != 0)
    json_object_set_int_member (claims, "exp", exp);
  json_object_set_string_member (claims, "jti", jti);

  return claims;
}

char *
td_sim_jwt_sign (GBytes     *secret,
                 JsonObject *claims)
{
  static const char header[] = "{\"alg\":\"HS256\",\"typ\":\"JWT\",\"kid\":\"td-sim\"}";
  g_autoptr(JsonNode) node = json_node_new (JSON_NODE_OBJECT);
  g_autoptr(GHmac) hmac = NULL;
  g_autofree char *payload = NULL;
  g_autofree char *header64 = NULL;
  g_autofree char *payload64 = NULL;
  g_autofree char *signing_input = NULL;
  g_autofree char *signature64 = NULL;
  guint8 digest[32];
  gsize digest_len = sizeof digest;
  gsize secret_len;
  const guint8 *secret_data = g_bytes_get_data (secret, &secret_len);

  json_node_set_object (node, claims);
  payload = json_to_string (node, FALSE);

  header64 = td_sim_base64url_encode ((const guint8 *) header, strlen (header));
  payload64 = td_sim_base64url_encode ((const guint8 *) payload, strlen (payload));
  signing_input = g_strconcat (header64, ".", payload64, NULL);

  hmac = g_hmac_new (G_CHECKSUM_SHA256, secret_data, secret_len);
  g_hmac_update (hmac, (const guchar *) signing_input, -1);
  g_hmac_get_digest (hmac, digest, &digest_len);
  signature64 = td_sim_base64url_encode (digest, digest_len);

  return g_strconcat (signing_input, ".", signature64, NULL);
}
