/* td-sim-couchdrop.c: Couchdrop's authentication API, as documented
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "td-vendor-sim-private.h"
#include "td-sim-jwt.h"

JsonObject *
td_sim_couchdrop_success_body (TdVendorSim *sim,
                               TdSimUser   *user,
                               TdSimShape   shape,
                               gboolean     store)
{
  const TdSimKnobs *knobs = td_vendor_sim_get_knobs (sim, TD_SIM_VENDOR_COUCHDROP);
  JsonObject *body = json_object_new ();
  g_autofree char *token = NULL;
  gint64 now = td_vendor_sim_now (sim, TD_SIM_VENDOR_COUCHDROP);
  gint64 exp = td_vendor_sim_expiry (sim, TD_SIM_VENDOR_COUCHDROP, now);

  /* Couchdrop documents an opaque token; the JWT variant lets the app's
   * "take exp when it is a JWT" path be exercised too. */
  if (knobs->jwt_tokens || shape == TD_SIM_SHAPE_NO_EXP)
    {
      g_autoptr(JsonObject) claims = NULL;
      g_autofree char *issuer = td_vendor_sim_dup_issuer (sim, TD_SIM_VENDOR_COUCHDROP);

      claims = td_sim_jwt_claims_new (user->id, now, shape == TD_SIM_SHAPE_NO_EXP ? 0 : exp);
      json_object_set_string_member (claims, "token_use", "access");
      json_object_set_string_member (claims, "username", user->username);
      json_object_set_string_member (claims, "iss", issuer);
      token = td_vendor_sim_sign_jwt (sim, claims);
    }
  else
    token = td_sim_random_string (40);

  if (store)
    td_vendor_sim_store_token (sim, TD_SIM_VENDOR_COUCHDROP, token, user->username,
                               TD_SIM_TOKEN_ACCESS, exp);

  td_sim_set_token_member (body, "token", token, shape);

  return body;
}

void
td_sim_couchdrop_authenticate (TdSimRequest *req)
{
  const char *username = td_sim_json_get_string (req->body, "username");
  const char *password = td_sim_json_get_string (req->body, "password");
  TdSimUser *user;
  g_autoptr(JsonObject) body = NULL;

  if (username == NULL || password == NULL ||
      (json_object_has_member (req->body, "system") &&
       td_sim_json_get_string (req->body, "system") == NULL))
    {
      td_sim_respond_message (req->msg, SOUP_STATUS_BAD_REQUEST, "error",
                              "Missing username or password");
      return;
    }

  /* The page lists only 401 and 403: a wrong password is "Access Denied". */
  user = td_vendor_sim_lookup_user (req->sim, TD_SIM_VENDOR_COUCHDROP, username);
  if (user == NULL || g_strcmp0 (user->password, password) != 0 || user->forbidden)
    {
      td_sim_respond_message (req->msg, SOUP_STATUS_FORBIDDEN, "error", "Access Denied");
      return;
    }

  if (user->twofa)
    {
      td_sim_respond_message (req->msg, SOUP_STATUS_UNAUTHORIZED, "error", "2FA required");
      return;
    }

  body = td_sim_couchdrop_success_body (req->sim, user, TD_SIM_SHAPE_VALID, TRUE);
  td_sim_respond (req->msg, SOUP_STATUS_OK, body);
}

void
td_sim_couchdrop_account (TdSimRequest *req)
{
  SoupMessageHeaders *headers = soup_server_message_get_request_headers (req->msg);
  const char *value = soup_message_headers_get_one (headers, "token");
  const TdSimToken *token = NULL;
  g_autoptr(JsonObject) body = NULL;

  if (value != NULL)
    token = td_vendor_sim_find_token (req->sim, TD_SIM_VENDOR_COUCHDROP, value);

  if (token == NULL)
    {
      td_sim_respond_message (req->msg, SOUP_STATUS_UNAUTHORIZED, "error", "Unauthorized");
      return;
    }

  body = json_object_new ();
  if (token->kind == TD_SIM_TOKEN_ADMIN)
    {
      json_object_set_string_member (body, "username", "admin");
      json_object_set_boolean_member (body, "administrative_token", TRUE);
    }
  else
    {
      json_object_set_string_member (body, "username", token->username);
      json_object_set_boolean_member (body, "administrative_token", FALSE);
    }
  td_sim_respond (req->msg, SOUP_STATUS_OK, body);
}
