/* td-sim-logware.c: Logware's authentication API, as documented
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "td-vendor-sim-private.h"
#include "td-sim-jwt.h"

JsonObject *
td_sim_logware_success_body (TdVendorSim *sim,
                             TdSimUser   *user,
                             TdSimShape   shape,
                             gboolean     store)
{
  JsonObject *body = json_object_new ();
  g_autoptr(JsonObject) claims = NULL;
  g_autofree char *token = NULL;
  gint64 now = td_vendor_sim_now (sim, TD_SIM_VENDOR_LOGWARE);
  gint64 exp = td_vendor_sim_expiry (sim, TD_SIM_VENDOR_LOGWARE, now);

  /* The claims of the token on Logware's page, an ASP.NET identity. */
  claims = td_sim_jwt_claims_new (user->id, now, shape == TD_SIM_SHAPE_NO_EXP ? 0 : exp);
  json_object_set_string_member (claims,
                                 "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/sid",
                                 user->id);
  json_object_set_string_member (claims, "unique_name", user->username);
  json_object_set_int_member (claims, "nbf", now);
  json_object_set_string_member (claims, "token_use", "access");
  token = td_vendor_sim_sign_jwt (sim, claims);

  /* Logware keeps older tokens valid until they expire. */
  if (store)
    td_vendor_sim_store_token (sim, TD_SIM_VENDOR_LOGWARE, token, user->username,
                               TD_SIM_TOKEN_ACCESS, exp);

  json_object_set_string_member (body, "login", user->username);
  json_object_set_null_member (body, "password");

  td_sim_set_token_member (body, "token", token, shape);

  json_object_set_string_member (body, "id", user->id);

  return body;
}

void
td_sim_logware_authenticate (TdSimRequest *req)
{
  const char *login = td_sim_json_get_string (req->body, "login");
  const char *password = td_sim_json_get_string (req->body, "password");
  TdSimUser *user = NULL;
  g_autoptr(JsonObject) body = NULL;

  if (login != NULL)
    user = td_vendor_sim_lookup_user (req->sim, TD_SIM_VENDOR_LOGWARE, login);

  if (user == NULL || password == NULL || g_strcmp0 (user->password, password) != 0)
    {
      td_sim_respond_message (req->msg, SOUP_STATUS_BAD_REQUEST, "message",
                              "Username or password incorrect");
      return;
    }

  body = td_sim_logware_success_body (req->sim, user, TD_SIM_SHAPE_VALID, TRUE);
  td_sim_respond (req->msg, SOUP_STATUS_OK, body);
}

void
td_sim_logware_me (TdSimRequest *req)
{
  const char *bearer = td_sim_get_bearer (req->msg);
  const TdSimToken *token = NULL;
  TdSimUser *user = NULL;
  g_autoptr(JsonObject) body = NULL;

  if (bearer != NULL)
    token = td_vendor_sim_find_token (req->sim, TD_SIM_VENDOR_LOGWARE, bearer);
  if (token != NULL)
    user = td_vendor_sim_lookup_user (req->sim, TD_SIM_VENDOR_LOGWARE, token->username);

  if (user == NULL)
    {
      SoupMessageHeaders *headers = soup_server_message_get_response_headers (req->msg);

      soup_message_headers_replace (headers, "WWW-Authenticate", "Bearer");
      td_sim_respond_message (req->msg, SOUP_STATUS_UNAUTHORIZED, "message", "Unauthorized");
      return;
    }

  body = json_object_new ();
  json_object_set_string_member (body, "login", user->username);
  json_object_set_string_member (body, "id", user->id);
  td_sim_respond (req->msg, SOUP_STATUS_OK, body);
}
