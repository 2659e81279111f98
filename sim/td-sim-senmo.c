/* td-sim-senmo.c: the Senmo Foundry Platform's authentication API
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "td-vendor-sim-private.h"
#include "td-sim-jwt.h"

#define REFRESH_LIFETIME_S (30 * 24 * 3600)

static void
respond_senmo_error (SoupServerMessage *msg,
                     guint              status,
                     const char        *status_message,
                     const char        *error)
{
  g_autoptr(JsonObject) body = json_object_new ();

  json_object_set_int_member (body, "statusCode", status);
  json_object_set_string_member (body, "statusMessage", status_message);
  if (error != NULL)
    json_object_set_string_member (body, "error", error);
  td_sim_respond (msg, status, body);
}

static char *
mint (TdVendorSim *sim,
      TdSimUser   *user,
      const char  *token_use,
      gint64       now,
      gint64       exp)
{
  g_autoptr(JsonObject) claims = td_sim_jwt_claims_new (user->id, now, exp);
  g_autofree char *issuer = td_vendor_sim_dup_issuer (sim, TD_SIM_VENDOR_SENMO);

  json_object_set_string_member (claims, "token_use", token_use);
  json_object_set_string_member (claims, "cognito:username", user->username);
  json_object_set_string_member (claims, "iss", issuer);
  if (g_str_equal (token_use, "id"))
    json_object_set_string_member (claims, "aud", "senmo-foundry");

  return td_vendor_sim_sign_jwt (sim, claims);
}

/* Senmo hands back the refresh token it was given: @keep_refresh. */
static JsonObject *
build_body (TdVendorSim *sim,
            TdSimUser   *user,
            TdSimShape   shape,
            gboolean     store,
            const char  *keep_refresh)
{
  JsonObject *body = json_object_new ();
  JsonObject *tokens = json_object_new ();
  gint64 now = td_vendor_sim_now (sim, TD_SIM_VENDOR_SENMO);
  gint64 exp = td_vendor_sim_expiry (sim, TD_SIM_VENDOR_SENMO, now);
  gint64 claim_exp = shape == TD_SIM_SHAPE_NO_EXP ? 0 : exp;
  g_autofree char *id_token = mint (sim, user, "id", now, claim_exp);
  g_autofree char *access_token = mint (sim, user, "access", now, claim_exp);
  g_autofree char *refresh_token = NULL;

  refresh_token = keep_refresh ? g_strdup (keep_refresh) : td_sim_random_string (64);

  /* Senmo does not invalidate earlier tokens: nothing is revoked here. */
  if (store)
    {
      td_vendor_sim_store_token (sim, TD_SIM_VENDOR_SENMO, id_token, user->username,
                                 TD_SIM_TOKEN_ID, exp);
      td_vendor_sim_store_token (sim, TD_SIM_VENDOR_SENMO, access_token, user->username,
                                 TD_SIM_TOKEN_ACCESS, exp);
      if (keep_refresh == NULL)
        td_vendor_sim_store_token (sim, TD_SIM_VENDOR_SENMO, refresh_token, user->username,
                                   TD_SIM_TOKEN_REFRESH, now + REFRESH_LIFETIME_S);
    }

  json_object_set_int_member (body, "statusCode", 200);
  json_object_set_string_member (body, "statusMessage", "OK");

  switch (shape)
    {
    case TD_SIM_SHAPE_VALID:
    case TD_SIM_SHAPE_NO_EXP:
      json_object_set_string_member (tokens, "idToken", id_token);
      json_object_set_string_member (tokens, "accessToken", access_token);
      json_object_set_string_member (tokens, "refreshToken", refresh_token);
      break;

    case TD_SIM_SHAPE_WRONG_TYPE:
      {
        JsonObject *nested = json_object_new ();

        json_object_set_string_member (nested, "jwt", access_token);
        json_object_set_int_member (tokens, "idToken", 12345);
        json_object_set_object_member (tokens, "accessToken", nested);
        json_object_set_boolean_member (tokens, "refreshToken", TRUE);
      }
      break;

    case TD_SIM_SHAPE_MISSING:
      json_object_unref (tokens);
      return body;

    case TD_SIM_SHAPE_NOT_JWT:
      json_object_set_string_member (tokens, "idToken", "not.a-jwt");
      json_object_set_string_member (tokens, "accessToken", "not.a-jwt");
      json_object_set_string_member (tokens, "refreshToken", refresh_token);
      break;

    default:
      g_assert_not_reached ();
    }

  json_object_set_object_member (body, "tokens", tokens);
  return body;
}

JsonObject *
td_sim_senmo_success_body (TdVendorSim *sim,
                           TdSimUser   *user,
                           TdSimShape   shape,
                           gboolean     store)
{
  return build_body (sim, user, shape, store, NULL);
}

void
td_sim_senmo_auth (TdSimRequest *req)
{
  const TdSimKnobs *knobs = td_vendor_sim_get_knobs (req->sim, TD_SIM_VENDOR_SENMO);
  const char *username = td_sim_json_get_string (req->body, "username");
  const char *password = td_sim_json_get_string (req->body, "password");
  TdSimUser *user;
  g_autoptr(JsonObject) body = NULL;

  if (username == NULL || password == NULL)
    {
      respond_senmo_error (req->msg, SOUP_STATUS_BAD_REQUEST, "Login failed",
                           "Missing username or password.");
      return;
    }

  user = td_vendor_sim_lookup_user (req->sim, TD_SIM_VENDOR_SENMO, username);
  if (user == NULL || g_strcmp0 (user->password, password) != 0)
    {
      /* The API page says 400, the status-code page 401: the knob picks. */
      respond_senmo_error (req->msg, knobs->login_failure_status, "Login failed",
                           "Incorrect username or password.");
      return;
    }

  body = build_body (req->sim, user, TD_SIM_SHAPE_VALID, TRUE, NULL);
  td_sim_respond (req->msg, SOUP_STATUS_OK, body);
}

void
td_sim_senmo_refresh (TdSimRequest *req)
{
  const char *refresh_token = td_sim_json_get_string (req->body, "refreshtoken");
  const TdSimToken *token;
  TdSimUser *user = NULL;
  g_autoptr(JsonObject) body = NULL;

  if (refresh_token == NULL || *refresh_token == '\0')
    {
      respond_senmo_error (req->msg, SOUP_STATUS_BAD_REQUEST, "Missing refresh token", NULL);
      return;
    }

  token = td_vendor_sim_find_token (req->sim, TD_SIM_VENDOR_SENMO, refresh_token);
  if (token != NULL && token->kind == TD_SIM_TOKEN_REFRESH)
    user = td_vendor_sim_lookup_user (req->sim, TD_SIM_VENDOR_SENMO, token->username);

  if (user == NULL)
    {
      respond_senmo_error (req->msg, SOUP_STATUS_BAD_REQUEST, "Failed to refresh token",
                           "Invalid Refresh Token");
      return;
    }

  body = build_body (req->sim, user, TD_SIM_SHAPE_VALID, TRUE, refresh_token);
  td_sim_respond (req->msg, SOUP_STATUS_OK, body);
}

void
td_sim_senmo_me (TdSimRequest *req)
{
  const char *bearer = td_sim_get_bearer (req->msg);
  const TdSimToken *token = NULL;
  g_autoptr(JsonObject) body = NULL;

  if (bearer != NULL)
    token = td_vendor_sim_find_token (req->sim, TD_SIM_VENDOR_SENMO, bearer);

  if (token == NULL || token->kind == TD_SIM_TOKEN_REFRESH)
    {
      respond_senmo_error (req->msg, SOUP_STATUS_UNAUTHORIZED, "Unauthorized", NULL);
      return;
    }

  body = json_object_new ();
  json_object_set_int_member (body, "statusCode", 200);
  json_object_set_string_member (body, "statusMessage", "OK");
  json_object_set_string_member (body, "username", token->username);
  json_object_set_string_member (body, "token_use",
                                 token->kind == TD_SIM_TOKEN_ID ? "id" : "access");
  td_sim_respond (req->msg, SOUP_STATUS_OK, body);
}
