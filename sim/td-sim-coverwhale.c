/* td-sim-coverwhale.c: Cover Whale's authentication API, as documented
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "td-vendor-sim-private.h"
#include "td-sim-jwt.h"

/* Cognito keeps refresh tokens for 30 days by default. */
#define REFRESH_LIFETIME_S (30 * 24 * 3600)

static void
respond_auth_error (SoupServerMessage *msg,
                    const char        *text)
{
  g_autofree char *full = g_strconcat ("Auth Error: ", text, NULL);

  td_sim_respond_message (msg, SOUP_STATUS_BAD_REQUEST, "Error", full);
}

JsonObject *
td_sim_coverwhale_success_body (TdVendorSim *sim,
                                TdSimUser   *user,
                                TdSimShape   shape,
                                gboolean     store)
{
  const TdSimKnobs *knobs = td_vendor_sim_get_knobs (sim, TD_SIM_VENDOR_COVERWHALE);
  JsonObject *body = json_object_new ();
  g_autoptr(JsonObject) claims = NULL;
  g_autofree char *issuer = td_vendor_sim_dup_issuer (sim, TD_SIM_VENDOR_COVERWHALE);
  g_autofree char *access = NULL;
  g_autofree char *refresh = td_sim_random_string (64);
  gint64 now = td_vendor_sim_now (sim, TD_SIM_VENDOR_COVERWHALE);
  gint64 exp = td_vendor_sim_expiry (sim, TD_SIM_VENDOR_COVERWHALE, now);

  claims = td_sim_jwt_claims_new (user->id, now, shape == TD_SIM_SHAPE_NO_EXP ? 0 : exp);
  json_object_set_string_member (claims, "token_use", "access");
  json_object_set_string_member (claims, "username", user->username);
  json_object_set_string_member (claims, "iss", issuer);
  access = td_vendor_sim_sign_jwt (sim, claims);

  if (store)
    {
      /* "Each authentication call invalidates previous tokens." */
      td_vendor_sim_revoke_user (sim, TD_SIM_VENDOR_COVERWHALE, user->username);
      td_vendor_sim_store_token (sim, TD_SIM_VENDOR_COVERWHALE, access, user->username,
                                 TD_SIM_TOKEN_ACCESS, exp);
      td_vendor_sim_store_token (sim, TD_SIM_VENDOR_COVERWHALE, refresh, user->username,
                                 TD_SIM_TOKEN_REFRESH, now + REFRESH_LIFETIME_S);
    }

  switch (shape)
    {
    case TD_SIM_SHAPE_VALID:
    case TD_SIM_SHAPE_NO_EXP:
      json_object_set_string_member (body, "AccessToken", access);
      json_object_set_string_member (body, "RefreshToken", refresh);
      break;

    case TD_SIM_SHAPE_WRONG_TYPE:
      {
        JsonObject *nested = json_object_new ();

        json_object_set_string_member (nested, "token", refresh);
        json_object_set_int_member (body, "AccessToken", 12345);
        json_object_set_object_member (body, "RefreshToken", nested);
      }
      break;

    case TD_SIM_SHAPE_MISSING:
      break;

    case TD_SIM_SHAPE_NOT_JWT:
      json_object_set_string_member (body, "AccessToken", "not.a-jwt");
      json_object_set_string_member (body, "RefreshToken", refresh);
      break;

    default:
      g_assert_not_reached ();
    }

  if (knobs->expires_in_as_string)
    {
      g_autofree char *text = g_strdup_printf ("%d", knobs->lifetime_s);

      json_object_set_string_member (body, "ExpiresIn", text);
    }
  else
    json_object_set_int_member (body, "ExpiresIn", knobs->lifetime_s);

  return body;
}

static void
respond_tokens (TdSimRequest *req,
                TdSimUser    *user)
{
  g_autoptr(JsonObject) body = NULL;

  body = td_sim_coverwhale_success_body (req->sim, user, TD_SIM_SHAPE_VALID, TRUE);
  td_sim_respond (req->msg, SOUP_STATUS_OK, body);
}

void
td_sim_coverwhale_authentication (TdSimRequest *req)
{
  const char *username = td_sim_json_get_string (req->body, "username");
  const char *password = td_sim_json_get_string (req->body, "password");
  const char *refresh_token = td_sim_json_get_string (req->body, "refresh_token");
  const char *new_password = td_sim_json_get_string (req->body, "new_password");
  TdSimUser *user;

  if (req->body == NULL)
    {
      respond_auth_error (req->msg, "Invalid request body.");
      return;
    }

  if (username == NULL || *username == '\0')
    {
      respond_auth_error (req->msg, "Missing username.");
      return;
    }

  /* A present but mistyped field is a client bug that must not pass as
   * "absent", or a refresh with a numeric token would look like a login. */
  if ((json_object_has_member (req->body, "password") && password == NULL) ||
      (json_object_has_member (req->body, "refresh_token") && refresh_token == NULL) ||
      (json_object_has_member (req->body, "new_password") &&
       (new_password == NULL || *new_password == '\0')))
    {
      respond_auth_error (req->msg, "Invalid request body.");
      return;
    }

  user = td_vendor_sim_lookup_user (req->sim, TD_SIM_VENDOR_COVERWHALE, username);

  if (password == NULL && refresh_token != NULL)
    {
      const TdSimToken *token;

      token = td_vendor_sim_find_token (req->sim, TD_SIM_VENDOR_COVERWHALE, refresh_token);
      if (user == NULL || token == NULL || token->kind != TD_SIM_TOKEN_REFRESH ||
          g_strcmp0 (token->username, user->username) != 0)
        {
          respond_auth_error (req->msg, "Invalid Refresh Token");
          return;
        }

      respond_tokens (req, user);
      return;
    }

  if (password == NULL)
    {
      respond_auth_error (req->msg, "Missing password or refresh_token.");
      return;
    }

  if (user == NULL || g_strcmp0 (user->password, password) != 0)
    {
      respond_auth_error (req->msg, "Incorrect username or password.");
      return;
    }

  if (new_password != NULL)
    {
      g_free (user->password);
      user->password = g_strdup (new_password);
      user->password_expired = FALSE;
    }
  else if (user->password_expired)
    {
      respond_auth_error (req->msg, "New password required.");
      return;
    }

  respond_tokens (req, user);
}

void
td_sim_coverwhale_reset_request (TdSimRequest *req)
{
  const char *username = req->query ? g_hash_table_lookup (req->query, "username") : NULL;
  TdSimUser *user;

  if (username == NULL || *username == '\0')
    {
      respond_auth_error (req->msg, "Missing username.");
      return;
    }

  /* Same answer for unknown users, so the endpoint doesn't reveal accounts. */
  user = td_vendor_sim_lookup_user (req->sim, TD_SIM_VENDOR_COVERWHALE, username);
  if (user != NULL)
    {
      g_free (user->reset_code);
      user->reset_code = g_strdup_printf ("%06d", g_random_int_range (0, 1000000));
      /* This stderr line is the "e-mail": scripts and the demo read it. */
      g_printerr ("coverwhale: password reset code for %s: %s\n", username, user->reset_code);
    }

  td_sim_respond_message (req->msg, SOUP_STATUS_OK, "Message",
                          "If the account exists, a reset code has been sent to its e-mail address.");
}

void
td_sim_coverwhale_reset_confirm (TdSimRequest *req)
{
  const char *username = td_sim_json_get_string (req->body, "username");
  const char *new_password = td_sim_json_get_string (req->body, "new_password");
  const char *reset_token = td_sim_json_get_string (req->body, "reset_token");
  TdSimUser *user;

  if (username == NULL || new_password == NULL || *new_password == '\0' || reset_token == NULL)
    {
      respond_auth_error (req->msg, "Missing username, new_password or reset_token.");
      return;
    }

  user = td_vendor_sim_lookup_user (req->sim, TD_SIM_VENDOR_COVERWHALE, username);
  if (user == NULL || user->reset_code == NULL || g_strcmp0 (user->reset_code, reset_token) != 0)
    {
      respond_auth_error (req->msg, "Invalid verification code provided, please try again.");
      return;
    }

  g_clear_pointer (&user->reset_code, g_free);
  g_free (user->password);
  user->password = g_strdup (new_password);
  user->password_expired = FALSE;

  td_sim_respond_message (req->msg, SOUP_STATUS_OK, "Message", "Password has been reset.");
}

void
td_sim_coverwhale_getindication (TdSimRequest *req)
{
  SoupMessageHeaders *headers = soup_server_message_get_request_headers (req->msg);
  const char *value = soup_message_headers_get_one (headers, "AccessToken");
  const TdSimToken *token = NULL;
  g_autoptr(JsonObject) body = NULL;

  if (value != NULL)
    token = td_vendor_sim_find_token (req->sim, TD_SIM_VENDOR_COVERWHALE, value);

  if (token == NULL || token->kind != TD_SIM_TOKEN_ACCESS)
    {
      td_sim_respond_message (req->msg, SOUP_STATUS_UNAUTHORIZED, "message", "Unauthorized");
      return;
    }

  body = json_object_new ();
  json_object_set_boolean_member (body, "ok", TRUE);
  td_sim_respond (req->msg, SOUP_STATUS_OK, body);
}
