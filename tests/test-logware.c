/* test-logware.c: Logware's login dialect against the simulator
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <string.h>

#include "td-jwt.h"
#include "td-test-util.h"

static TdTestSim *sim;

static void
test_login (void)
{
  g_autoptr(TdAccount) account = td_test_account_new (sim, "logware", "alice");
  g_autoptr(TdTokens) tokens = NULL;
  g_autoptr(JsonObject) last = NULL;
  g_autoptr(GError) error = NULL;
  gint64 exp = 0;

  td_test_sim_reset (sim);

  /* The sim only knows the user under "login", Logware's field name. */
  tokens = td_test_login (account, "alice-password", NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (tokens->access_token);
  g_assert_null (tokens->refresh_token);
  g_assert_true (td_jwt_get_expiry (tokens->access_token, &exp, NULL));
  g_assert_cmpint (tokens->expires_at, ==, exp);
  /* The sim's default is the documented ten hours. */
  g_assert_cmpint (tokens->expires_at, >=, td_test_now () + 36000 - 5);

  g_assert_cmpuint (td_test_sim_count (sim, "logware/authenticate"), ==, 1);
  last = td_test_sim_last (sim, "logware");
  g_assert_cmpstr (json_object_get_string_member (last, "path"), ==,
                   "/logware/api/users/authenticate");
  g_assert_cmpstr (json_object_get_string_member (last, "accept"), ==, "application/json");
  g_assert_nonnull (strstr (json_object_get_string_member (last, "user_agent"), "TokenDesk"));
}

static void
test_exp_wins (void)
{
  g_autoptr(TdAccount) account = td_test_account_new (sim, "logware", "bob");
  g_autoptr(TdTokens) tokens = NULL;
  g_autoptr(GError) error = NULL;

  td_test_sim_reset (sim);
  td_test_sim_config (sim, "{\"vendor\":\"logware\",\"lifetime_s\":1000}");

  tokens = td_test_login (account, "bob-password", NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpint (tokens->expires_at, >=, td_test_now () + 1000 - 5);
  g_assert_cmpint (tokens->expires_at, <=, td_test_now () + 1000);
}

static void
test_bad_credentials (void)
{
  g_autoptr(TdAccount) account = td_test_account_new (sim, "logware", "alice");
  g_autoptr(TdTokens) tokens = NULL;
  g_autoptr(GError) error = NULL;

  td_test_sim_reset (sim);

  tokens = td_test_login (account, "wrong-password", NULL, &error);
  g_assert_null (tokens);
  td_test_assert_td_error (error, TD_ERROR_BAD_CREDENTIALS, "Logware",
                           "Username or password incorrect");
}

static void
test_header (void)
{
  g_autoptr(TdAccount) account = td_test_account_new (sim, "logware", "alice");
  g_autoptr(TdTokens) tokens = NULL;
  g_autoptr(JsonObject) body = NULL;
  g_autoptr(GError) error = NULL;
  TdProvider *provider = td_test_provider ("logware");
  g_autofree char *value = NULL;
  g_autofree char *line = NULL;

  td_test_sim_reset (sim);
  tokens = td_test_login (account, "alice-password", NULL, &error);
  g_assert_no_error (error);

  value = td_provider_format_header_value (provider, tokens->access_token);
  line = td_provider_format_header (provider, "abc");
  g_assert_cmpstr (line, ==, "Authorization: Bearer abc");
  g_assert_cmpuint (td_test_sim_use_token (sim, "logware", td_provider_get_header_name (provider),
                                           value, &body), ==, 200);
  g_assert_cmpstr (json_object_get_string_member (body, "login"), ==, "alice");
  /* Without "Bearer " it is not Logware's header. */
  g_assert_cmpuint (td_test_sim_use_token (sim, "logware", "Authorization", tokens->access_token,
                                           NULL), ==, 401);
}

/* "Please track the age of the token so the application is not requesting
 * a new token before each […] invocation." */
static void
test_token_reused (void)
{
  g_autoptr(TdTokenManager) manager = td_token_manager_new (NULL);
  g_autoptr(TdAccount) account = td_test_account_new (sim, "logware", "bob");
  g_autoptr(GError) error = NULL;
  g_autofree char *first = NULL;

  td_test_sim_reset (sim);
  g_assert_true (td_test_manager_sign_in (manager, account, "bob-password", &error));
  g_assert_no_error (error);

  for (guint i = 0; i < 5; i++)
    {
      g_auto(TdSecret) token = td_test_manager_get_token (manager, account, 3600, &error);

      g_assert_no_error (error);
      if (first == NULL)
        first = g_strdup (token);
      g_assert_cmpstr (token, ==, first);
    }

  g_assert_cmpuint (td_test_sim_count (sim, "logware/authenticate"), ==, 1);
}

/* Renewal needs the password: with none remembered, the manager asks for a
 * sign-in without calling Logware. */
static void
test_renew_needs_password (void)
{
  g_autoptr(TdTokenManager) manager = td_token_manager_new (NULL);
  g_autoptr(TdAccount) account = td_test_account_new (sim, "logware", "alice");
  g_autoptr(GError) error = NULL;

  td_test_sim_reset (sim);
  g_assert_true (td_test_manager_sign_in (manager, account, "alice-password", &error));

  g_assert_false (td_test_manager_renew (manager, account, &error));
  td_test_assert_td_error (error, TD_ERROR_NEEDS_SIGN_IN, "Logware", NULL);
  g_assert_cmpint (td_account_get_state (account), ==, TD_ACCOUNT_STATE_NEEDS_SIGN_IN);
  g_assert_cmpuint (td_test_sim_count (sim, "logware/authenticate"), ==, 1);
}

int
main (int   argc,
      char *argv[])
{
  int ret;

  td_test_init (&argc, &argv);
  sim = td_test_sim_start (NULL, NULL);

  g_test_add_func ("/logware/login", test_login);
  g_test_add_func ("/logware/exp-wins", test_exp_wins);
  g_test_add_func ("/logware/bad-credentials", test_bad_credentials);
  g_test_add_func ("/logware/header", test_header);
  g_test_add_func ("/logware/token-reused", test_token_reused);
  g_test_add_func ("/logware/renew-needs-password", test_renew_needs_password);

  ret = g_test_run ();
  td_test_sim_stop (sim);

  return ret;
}
