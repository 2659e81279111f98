/* test-couchdrop.c: Couchdrop's login dialect against the simulator
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <string.h>

#include "td-jwt.h"
#include "td-test-util.h"

static TdTestSim *sim;

static void
test_login_opaque (void)
{
  g_autoptr(TdAccount) account = td_test_account_new (sim, "couchdrop", "alice");
  g_autoptr(TdTokens) tokens = NULL;
  g_autoptr(JsonObject) last = NULL;
  g_autoptr(GError) error = NULL;
  gint64 expected;

  td_test_sim_reset (sim);
  /* Not the default, so the test sees the account's value being used. */
  td_account_set_assumed_lifetime (account, 600);

  tokens = td_test_login (account, "alice-password", NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (tokens);
  g_assert_false (td_jwt_looks_like_jwt (tokens->access_token));
  g_assert_null (tokens->refresh_token);
  g_assert_null (tokens->id_token);
  expected = td_test_now () + 600;
  g_assert_cmpint (tokens->expires_at, >=, expected - 5);
  g_assert_cmpint (tokens->expires_at, <=, expected);

  g_assert_cmpuint (td_test_sim_count (sim, "couchdrop/authenticate"), ==, 1);
  last = td_test_sim_last (sim, "couchdrop");
  g_assert_cmpstr (json_object_get_string_member (last, "path"), ==, "/couchdrop/authenticate");
  g_assert_cmpstr (json_object_get_string_member (last, "system"), ==, "Token Desk");
  g_assert_cmpstr (json_object_get_string_member (last, "content_type"), ==, "application/json");
  g_assert_nonnull (strstr (json_object_get_string_member (last, "user_agent"), "TokenDesk"));
}

static void
test_login_jwt (void)
{
  g_autoptr(TdAccount) account = td_test_account_new (sim, "couchdrop", "bob");
  g_autoptr(TdTokens) tokens = NULL;
  g_autoptr(GError) error = NULL;
  gint64 exp = 0;

  td_test_sim_reset (sim);
  td_test_sim_config (sim, "{\"jwt_tokens\":true,\"lifetime_s\":1800}");
  td_account_set_assumed_lifetime (account, 600);

  tokens = td_test_login (account, "bob-password", NULL, &error);
  g_assert_no_error (error);
  g_assert_true (td_jwt_get_expiry (tokens->access_token, &exp, NULL));
  /* The token's own exp wins over the assumed lifetime. */
  g_assert_cmpint (tokens->expires_at, ==, exp);
  g_assert_cmpint (tokens->expires_at, >=, td_test_now () + 1800 - 5);
}

static void
test_two_factor (void)
{
  g_autoptr(TdAccount) account = td_test_account_new (sim, "couchdrop", "twofa");
  g_autoptr(TdTokens) tokens = NULL;
  g_autoptr(GError) error = NULL;

  td_test_sim_reset (sim);

  tokens = td_test_login (account, "twofa-password", NULL, &error);
  g_assert_null (tokens);
  td_test_assert_td_error (error, TD_ERROR_TWO_FACTOR_REQUIRED, "Couchdrop", "two-factor");
  g_assert_nonnull (strstr (error->message, "administrative token"));
}

static void
test_access_denied (void)
{
  struct {
    const char *username;
    const char *password;
  } cases[] = {
    { "forbidden", "forbidden-password" },
    { "alice", "wrong-password" },      /* Couchdrop says 403 here too */
  };

  td_test_sim_reset (sim);

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(TdAccount) account = td_test_account_new (sim, "couchdrop", cases[i].username);
      g_autoptr(TdTokens) tokens = NULL;
      g_autoptr(GError) error = NULL;

      tokens = td_test_login (account, cases[i].password, NULL, &error);
      g_assert_null (tokens);
      /* Distinct from the 401 above: the user acts differently on each. */
      td_test_assert_td_error (error, TD_ERROR_ACCESS_DENIED, "Couchdrop", "Access Denied");
    }
}

static void
test_header (void)
{
  g_autoptr(TdAccount) account = td_test_account_new (sim, "couchdrop", "alice");
  g_autoptr(TdTokens) tokens = NULL;
  g_autoptr(JsonObject) body = NULL;
  g_autoptr(GError) error = NULL;
  TdProvider *provider = td_test_provider ("couchdrop");
  g_autofree char *value = NULL;

  td_test_sim_reset (sim);
  tokens = td_test_login (account, "alice-password", NULL, &error);
  g_assert_no_error (error);

  g_assert_cmpstr (td_provider_get_header_name (provider), ==, "token");
  value = td_provider_format_header_value (provider, tokens->access_token);
  g_assert_cmpstr (value, ==, tokens->access_token);
  g_assert_cmpuint (td_test_sim_use_token (sim, "couchdrop", "token", value, &body), ==, 200);
  g_assert_cmpstr (json_object_get_string_member (body, "username"), ==, "alice");
  g_assert_cmpuint (td_test_sim_use_token (sim, "couchdrop", "token", "made-up", NULL), ==, 401);
}

static void
test_no_refresh (void)
{
  g_autoptr(TdAccount) account = td_test_account_new (sim, "couchdrop", "alice");
  g_autoptr(TdTokens) tokens = NULL;
  g_autoptr(GError) error = NULL;
  TdProvider *provider = td_test_provider ("couchdrop");

  td_test_sim_reset (sim);
  g_assert_false (td_provider_has_feature (provider, TD_PROVIDER_FEATURE_REFRESH_TOKEN));
  g_assert_true (td_provider_has_feature (provider, TD_PROVIDER_FEATURE_ADMIN_TOKEN));

  tokens = td_test_refresh (account, "anything", &error);
  g_assert_null (tokens);
  td_test_assert_td_error (error, TD_ERROR_NOT_SUPPORTED, "Couchdrop", NULL);
  g_assert_cmpuint (td_test_sim_count (sim, "couchdrop/authenticate"), ==, 0);
}

static void
test_admin_token (void)
{
  g_autoptr(TdTokenManager) manager = td_token_manager_new (NULL);
  g_autoptr(TdAccount) account = td_test_account_new (sim, "couchdrop", "admin");
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_auto(TdSecret) token = NULL;
  GAsyncResult *slot = NULL;

  td_test_sim_reset (sim);

  td_token_manager_set_admin_token_async (manager, account, "  cd-admin-token-for-tests\n", NULL,
                                          td_test_result_cb, &slot);
  result = td_test_wait_result (&slot);
  g_assert_true (td_token_manager_set_admin_token_finish (manager, result, &error));
  g_assert_no_error (error);
  g_assert_cmpint (td_account_get_expires_at (account), ==, TD_EXPIRES_NEVER);

  token = td_test_manager_get_token (manager, account, 3600, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (token, ==, "cd-admin-token-for-tests");
  g_assert_cmpuint (td_test_use_token_as_provider (sim, "couchdrop", token), ==, 200);
  /* Pasted, not obtained: Couchdrop was never asked. */
  g_assert_cmpuint (td_test_sim_count (sim, "couchdrop/authenticate"), ==, 0);
}

int
main (int   argc,
      char *argv[])
{
  int ret;

  td_test_init (&argc, &argv);
  sim = td_test_sim_start (NULL, NULL);

  g_test_add_func ("/couchdrop/login-opaque", test_login_opaque);
  g_test_add_func ("/couchdrop/login-jwt", test_login_jwt);
  g_test_add_func ("/couchdrop/two-factor", test_two_factor);
  g_test_add_func ("/couchdrop/access-denied", test_access_denied);
  g_test_add_func ("/couchdrop/header", test_header);
  g_test_add_func ("/couchdrop/no-refresh", test_no_refresh);
  g_test_add_func ("/couchdrop/admin-token", test_admin_token);

  ret = g_test_run ();
  td_test_sim_stop (sim);

  return ret;
}
