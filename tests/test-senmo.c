/* test-senmo.c: the Senmo Foundry Platform's login dialect against the simulator
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <string.h>

#include "td-jwt.h"
#include "td-test-util.h"

static TdTestSim *sim;

static void
test_requires_endpoint (void)
{
  g_autoptr(TdAccount) account = td_account_new (NULL, "senmo");
  g_autoptr(TdTokens) tokens = NULL;
  g_autoptr(GError) error = NULL;
  TdProvider *provider = td_test_provider ("senmo");

  g_assert_true (td_provider_has_feature (provider, TD_PROVIDER_FEATURE_REQUIRES_ENDPOINT));
  g_assert_true (td_provider_has_feature (provider, TD_PROVIDER_FEATURE_CHOOSE_TOKEN));
  g_assert_null (td_provider_get_presets (provider)[0].id);

  td_account_set_username (account, "alice");
  tokens = td_test_login (account, "alice-password", NULL, &error);
  g_assert_null (tokens);
  td_test_assert_td_error (error, TD_ERROR_INVALID_ENDPOINT, "Senmo", NULL);
}

static void
test_login (void)
{
  g_autoptr(TdAccount) account = td_test_account_new (sim, "senmo", "alice");
  g_autoptr(TdTokens) tokens = NULL;
  g_autoptr(JsonObject) last = NULL;
  g_autoptr(GError) error = NULL;
  gint64 id_exp = 0, access_exp = 0;

  td_test_sim_reset (sim);
  td_test_sim_config (sim, "{\"vendor\":\"senmo\",\"lifetime_s\":2400}");

  tokens = td_test_login (account, "alice-password", NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (tokens->id_token);
  g_assert_nonnull (tokens->access_token);
  g_assert_nonnull (tokens->refresh_token);
  g_assert_cmpstr (tokens->id_token, !=, tokens->access_token);

  /* No lifetime in the answer: it is the JWT's exp. */
  g_assert_true (td_jwt_get_expiry (tokens->id_token, &id_exp, NULL));
  g_assert_true (td_jwt_get_expiry (tokens->access_token, &access_exp, NULL));
  g_assert_cmpint (tokens->expires_at, ==, MIN (id_exp, access_exp));
  g_assert_cmpint (tokens->expires_at, >=, td_test_now () + 2400 - 5);
  g_assert_cmpint (tokens->expires_at, <=, td_test_now () + 2400);

  g_assert_cmpuint (td_test_sim_count (sim, "senmo/auth"), ==, 1);
  last = td_test_sim_last (sim, "senmo");
  g_assert_cmpstr (json_object_get_string_member (last, "path"), ==, "/senmo/v1/auth");
  g_assert_nonnull (strstr (json_object_get_string_member (last, "user_agent"), "TokenDesk"));
}

static void
test_bad_credentials (void)
{
  const char *configs[] = {
    "{\"login_failure_status\":400}",   /* the API page */
    "{\"login_failure_status\":401}",   /* the status-code page */
  };

  td_test_sim_reset (sim);

  for (guint i = 0; i < G_N_ELEMENTS (configs); i++)
    {
      g_autoptr(TdAccount) account = td_test_account_new (sim, "senmo", "alice");
      g_autoptr(TdTokens) tokens = NULL;
      g_autoptr(GError) error = NULL;

      td_test_sim_config (sim, configs[i]);
      tokens = td_test_login (account, "wrong-password", NULL, &error);
      g_assert_null (tokens);
      td_test_assert_td_error (error, TD_ERROR_BAD_CREDENTIALS, "Senmo",
                               "Incorrect username or password.");
    }
}

static void
test_refresh (void)
{
  g_autoptr(TdAccount) account = td_test_account_new (sim, "senmo", "bob");
  g_autoptr(TdTokens) first = NULL;
  g_autoptr(TdTokens) second = NULL;
  g_autoptr(TdTokens) bogus = NULL;
  g_autoptr(GError) error = NULL;

  td_test_sim_reset (sim);

  first = td_test_login (account, "bob-password", NULL, &error);
  g_assert_no_error (error);

  second = td_test_refresh (account, first->refresh_token, &error);
  g_assert_no_error (error);
  g_assert_nonnull (second);
  g_assert_cmpstr (second->id_token, !=, first->id_token);
  g_assert_cmpstr (second->access_token, !=, first->access_token);
  g_assert_cmpuint (td_test_sim_count (sim, "senmo/refreshtoken"), ==, 1);
  g_assert_cmpuint (td_test_sim_count (sim, "senmo/auth"), ==, 1);
  g_assert_cmpuint (td_test_use_token_as_provider (sim, "senmo", second->id_token), ==, 200);

  bogus = td_test_refresh (account, "not-a-refresh-token", &error);
  g_assert_null (bogus);
  td_test_assert_td_error (error, TD_ERROR_NEEDS_SIGN_IN, "Senmo",
                           "Failed to refresh token: Invalid Refresh Token");
  g_clear_error (&error);

  /* An empty one: "Missing refresh token". */
  bogus = td_test_refresh (account, "", &error);
  g_assert_null (bogus);
  td_test_assert_td_error (error, TD_ERROR_NEEDS_SIGN_IN, "Senmo", "Missing refresh token");
}

static void
test_hand_out (void)
{
  g_autoptr(TdTokenManager) manager = td_token_manager_new (NULL);
  g_autoptr(TdAccount) account = td_test_account_new (sim, "senmo", "alice");
  g_autoptr(GError) error = NULL;
  TdProvider *provider = td_test_provider ("senmo");
  const TdTokens *tokens;

  td_test_sim_reset (sim);
  g_assert_cmpstr (td_provider_get_header_name (provider), ==, "Authorization");

  g_assert_true (td_test_manager_sign_in (manager, account, "alice-password", &error));
  g_assert_no_error (error);
  tokens = td_account_peek_tokens (account);

  {
    g_auto(TdSecret) token = td_test_manager_get_token (manager, account, 60, &error);
    g_autoptr(JsonObject) body = NULL;
    g_autofree char *value = td_provider_format_header_value (provider, token);
    g_autofree char *expected = g_strconcat ("Bearer ", token, NULL);

    g_assert_no_error (error);
    g_assert_cmpstr (token, ==, tokens->id_token);
    g_assert_cmpstr (value, ==, expected);
    g_assert_cmpuint (td_test_sim_use_token (sim, "senmo", "Authorization", value, &body), ==, 200);
    g_assert_cmpstr (json_object_get_string_member (body, "token_use"), ==, "id");
  }

  td_account_set_hand_out (account, TD_HAND_OUT_ACCESS_TOKEN);

  {
    g_auto(TdSecret) token = td_test_manager_get_token (manager, account, 60, &error);
    g_autoptr(JsonObject) body = NULL;
    g_autofree char *value = td_provider_format_header_value (provider, token);

    g_assert_no_error (error);
    g_assert_cmpstr (token, ==, tokens->access_token);
    g_assert_cmpuint (td_test_sim_use_token (sim, "senmo", "Authorization", value, &body), ==, 200);
    g_assert_cmpstr (json_object_get_string_member (body, "token_use"), ==, "access");
  }

  /* A valid token was reused: one sign-in, no refresh. */
  g_assert_cmpuint (td_test_sim_count (sim, "senmo/auth"), ==, 1);
  g_assert_cmpuint (td_test_sim_count (sim, "senmo/refreshtoken"), ==, 0);
}

int
main (int   argc,
      char *argv[])
{
  int ret;

  td_test_init (&argc, &argv);
  sim = td_test_sim_start (NULL, NULL);

  g_test_add_func ("/senmo/requires-endpoint", test_requires_endpoint);
  g_test_add_func ("/senmo/login", test_login);
  g_test_add_func ("/senmo/bad-credentials", test_bad_credentials);
  g_test_add_func ("/senmo/refresh", test_refresh);
  g_test_add_func ("/senmo/hand-out", test_hand_out);

  ret = g_test_run ();
  td_test_sim_stop (sim);

  return ret;
}
