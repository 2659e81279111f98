/* test-coverwhale.c: Cover Whale's login dialect against the simulator
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <libsecret/secret.h>
#include <string.h>

#include "td-jwt.h"
#include "td-test-util.h"

static TdTestSim *sim;

static void
assert_expires_in (const TdTokens *tokens,
                   gint64          seconds)
{
  gint64 expected = td_test_now () + seconds;

  g_assert_cmpint (tokens->expires_at, >=, expected - 5);
  g_assert_cmpint (tokens->expires_at, <=, expected);
}

static void
test_login (void)
{
  g_autoptr(TdAccount) account = td_test_account_new (sim, "coverwhale", "alice");
  g_autoptr(TdTokens) tokens = NULL;
  g_autoptr(JsonObject) last = NULL;
  g_autoptr(GError) error = NULL;

  td_test_sim_reset (sim);

  tokens = td_test_login (account, "alice-password", NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (tokens);
  g_assert_true (td_jwt_looks_like_jwt (tokens->access_token));
  g_assert_nonnull (tokens->refresh_token);
  g_assert_null (tokens->id_token);
  assert_expires_in (tokens, 3600);
  g_assert_cmpuint (td_test_sim_count (sim, "coverwhale/authentication"), ==, 1);
  g_assert_cmpuint (td_test_sim_count (sim, "coverwhale/refresh"), ==, 0);

  last = td_test_sim_last (sim, "coverwhale");
  g_assert_cmpstr (json_object_get_string_member (last, "method"), ==, "POST");
  g_assert_cmpstr (json_object_get_string_member (last, "path"), ==,
                   "/coverwhale/api/v1/authentication");
  g_assert_cmpstr (json_object_get_string_member (last, "content_type"), ==, "application/json");
  g_assert_cmpstr (json_object_get_string_member (last, "accept"), ==, "application/json");
  g_assert_true (g_str_has_prefix (json_object_get_string_member (last, "user_agent"),
                                   "TokenDesk/"));
}

static void
test_bad_credentials (void)
{
  const char *usernames[] = { "alice", "nobody" };

  td_test_sim_reset (sim);

  for (guint i = 0; i < G_N_ELEMENTS (usernames); i++)
    {
      g_autoptr(TdAccount) account = td_test_account_new (sim, "coverwhale", usernames[i]);
      g_autoptr(TdTokens) tokens = NULL;
      g_autoptr(GError) error = NULL;

      tokens = td_test_login (account, "wrong-password", NULL, &error);
      g_assert_null (tokens);
      td_test_assert_td_error (error, TD_ERROR_BAD_CREDENTIALS, "Cover Whale",
                               "Auth Error: Incorrect username or password.");
    }

  g_assert_cmpuint (td_test_sim_count (sim, "coverwhale/authentication"), ==, 2);
}

static void
test_no_username (void)
{
  g_autoptr(TdAccount) account = td_test_account_new (sim, "coverwhale", NULL);
  g_autoptr(TdTokens) tokens = NULL;
  g_autoptr(GError) error = NULL;

  td_test_sim_reset (sim);

  tokens = td_test_login (account, "alice-password", NULL, &error);
  g_assert_null (tokens);
  td_test_assert_td_error (error, TD_ERROR_BAD_CREDENTIALS, "Cover Whale", "username");
  g_assert_cmpuint (td_test_sim_count (sim, "coverwhale/authentication"), ==, 0);
}

static void
test_refresh_rotation (void)
{
  g_autoptr(TdAccount) account = td_test_account_new (sim, "coverwhale", "alice");
  g_autoptr(TdTokens) first = NULL;
  g_autoptr(TdTokens) second = NULL;
  g_autoptr(TdTokens) replay = NULL;
  g_autoptr(GError) error = NULL;

  td_test_sim_reset (sim);

  first = td_test_login (account, "alice-password", NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (td_test_use_token_as_provider (sim, "coverwhale", first->access_token),
                    ==, 200);

  second = td_test_refresh (account, first->refresh_token, &error);
  g_assert_no_error (error);
  g_assert_nonnull (second);
  g_assert_cmpstr (second->access_token, !=, first->access_token);
  /* Rotation: a new refresh token came back and replaces the old one. */
  g_assert_nonnull (second->refresh_token);
  g_assert_cmpstr (second->refresh_token, !=, first->refresh_token);
  assert_expires_in (second, 3600);
  g_assert_cmpuint (td_test_sim_count (sim, "coverwhale/refresh"), ==, 1);

  /* Every authentication invalidates what came before. */
  g_assert_cmpuint (td_test_use_token_as_provider (sim, "coverwhale", first->access_token),
                    ==, 401);
  g_assert_cmpuint (td_test_use_token_as_provider (sim, "coverwhale", second->access_token),
                    ==, 200);

  replay = td_test_refresh (account, first->refresh_token, &error);
  g_assert_null (replay);
  td_test_assert_td_error (error, TD_ERROR_NEEDS_SIGN_IN, NULL,
                           "Cover Whale rejected the refresh token: "
                           "Auth Error: Invalid Refresh Token");
  g_assert_cmpuint (td_test_sim_count (sim, "coverwhale/refresh"), ==, 2);
}

static void
test_manager_keeps_rotated_token (void)
{
  g_autoptr(TdTokenManager) manager = td_token_manager_new (NULL);
  g_autoptr(TdAccount) account = td_test_account_new (sim, "coverwhale", "bob");
  g_autoptr(TdTokens) before = NULL;
  g_autoptr(GError) error = NULL;

  td_test_sim_reset (sim);

  g_assert_true (td_test_manager_sign_in (manager, account, "bob-password", &error));
  g_assert_no_error (error);
  before = td_tokens_copy (td_account_peek_tokens (account));

  g_assert_true (td_test_manager_renew (manager, account, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (td_account_peek_tokens (account)->refresh_token, !=, before->refresh_token);

  /* The second renewal must use the rotated token, or the sim rejects it. */
  g_assert_true (td_test_manager_renew (manager, account, &error));
  g_assert_no_error (error);
  g_assert_cmpint (td_account_get_state (account), ==, TD_ACCOUNT_STATE_SIGNED_IN);
  g_assert_cmpuint (td_test_sim_count (sim, "coverwhale/refresh"), ==, 2);
}

static void
test_expires_in_forms (void)
{
  g_autoptr(TdAccount) account = td_test_account_new (sim, "coverwhale", "alice");
  g_autoptr(GError) error = NULL;

  td_test_sim_reset (sim);

  {
    g_autoptr(TdTokens) tokens = NULL;

    td_test_sim_config (sim, "{\"vendor\":\"coverwhale\",\"lifetime_s\":1234}");
    tokens = td_test_login (account, "alice-password", NULL, &error);
    g_assert_no_error (error);
    assert_expires_in (tokens, 1234);
  }

  {
    g_autoptr(TdTokens) tokens = NULL;

    /* The OpenAPI example's form: "ExpiresIn": "777" */
    td_test_sim_config (sim, "{\"expires_in_as_string\":true,\"lifetime_s\":777}");
    tokens = td_test_login (account, "alice-password", NULL, &error);
    g_assert_no_error (error);
    assert_expires_in (tokens, 777);
  }
}

static void
test_header (void)
{
  g_autoptr(TdAccount) account = td_test_account_new (sim, "coverwhale", "alice");
  g_autoptr(TdTokens) tokens = NULL;
  g_autoptr(GError) error = NULL;
  TdProvider *provider = td_test_provider ("coverwhale");
  g_autofree char *value = NULL;
  g_autofree char *bearer = NULL;
  g_autofree char *line = NULL;

  td_test_sim_reset (sim);
  tokens = td_test_login (account, "alice-password", NULL, &error);
  g_assert_no_error (error);

  g_assert_cmpstr (td_provider_get_header_name (provider), ==, "AccessToken");
  value = td_provider_format_header_value (provider, tokens->access_token);
  g_assert_cmpstr (value, ==, tokens->access_token);
  line = td_provider_format_header (provider, "abc");
  g_assert_cmpstr (line, ==, "AccessToken: abc");

  g_assert_cmpuint (td_test_sim_use_token (sim, "coverwhale", "AccessToken", value, NULL),
                    ==, 200);
  /* No "Bearer": Cover Whale's guide insists. */
  bearer = g_strconcat ("Bearer ", tokens->access_token, NULL);
  g_assert_cmpuint (td_test_sim_use_token (sim, "coverwhale", "AccessToken", bearer, NULL),
                    ==, 401);
}

static void
test_password_reset (void)
{
  g_autoptr(TdAccount) account = td_test_account_new (sim, "coverwhale", "bob");
  g_autoptr(TdTokens) tokens = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *code = NULL;
  g_autofree char *padded_code = NULL;

  td_test_sim_reset (sim);
  g_assert_null (td_test_sim_reset_code (sim, "bob"));

  g_assert_true (td_test_request_password_reset (account, &error));
  g_assert_no_error (error);
  code = td_test_sim_reset_code (sim, "bob");
  g_assert_nonnull (code);

  /* A wrong code is refused with the vendor's words. */
  g_assert_false (td_test_reset_password (account, "000000x", "bob-new-password", &error));
  td_test_assert_td_error (error, TD_ERROR_BAD_CREDENTIALS, "Cover Whale",
                           "Invalid verification code");
  g_clear_error (&error);

  /* Pasted from an e-mail, with the whitespace that comes along. */
  padded_code = g_strconcat ("  ", code, "\n", NULL);
  g_assert_true (td_test_reset_password (account, padded_code, "bob-new-password", &error));
  g_assert_no_error (error);

  tokens = td_test_login (account, "bob-password", NULL, &error);
  g_assert_null (tokens);
  td_test_assert_td_error (error, TD_ERROR_BAD_CREDENTIALS, "Cover Whale", NULL);
  g_clear_error (&error);

  tokens = td_test_login (account, "bob-new-password", NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (tokens);
}

static void
test_new_password (void)
{
  g_autoptr(TdAccount) account = td_test_account_new (sim, "coverwhale", "carol");
  g_autoptr(JsonNode) answer = NULL;
  g_autoptr(GError) error = NULL;

  td_test_sim_reset (sim);
  answer = td_test_sim_control (sim, "POST", "/_sim/users",
                                "{\"vendor\":\"coverwhale\",\"username\":\"carol\","
                                "\"password\":\"carol-old\",\"flags\":[\"password_expired\"]}");

  {
    g_autoptr(TdTokens) tokens = td_test_login (account, "carol-old", NULL, &error);

    g_assert_null (tokens);
    td_test_assert_td_error (error, TD_ERROR_BAD_CREDENTIALS, "Cover Whale",
                             "New password required");
    g_clear_error (&error);
  }

  {
    g_autoptr(TdTokens) tokens = td_test_login (account, "carol-old", "carol-new", &error);

    g_assert_no_error (error);
    g_assert_nonnull (tokens);
    g_assert_cmpuint (td_test_use_token_as_provider (sim, "coverwhale", tokens->access_token),
                      ==, 200);
  }

  {
    g_autoptr(TdTokens) tokens = td_test_login (account, "carol-new", NULL, &error);

    g_assert_no_error (error);
    g_assert_nonnull (tokens);
  }

  {
    g_autoptr(TdTokens) tokens = td_test_login (account, "carol-old", NULL, &error);

    g_assert_null (tokens);
    g_assert_error (error, TD_ERROR, TD_ERROR_BAD_CREDENTIALS);
  }
}

static void
test_metadata (void)
{
  TdProvider *provider = td_test_provider ("coverwhale");
  const TdEndpointPreset *presets = td_provider_get_presets (provider);
  GList *all = td_provider_get_all ();
  const char *order[] = TD_TEST_VENDORS;

  g_assert_cmpstr (td_provider_get_display_name (provider), ==, "Cover Whale");
  g_assert_cmpstr (td_provider_get_icon_name (provider), ==,
                   "io.github.tokendesk.TokenDesk-coverwhale");
  g_assert_nonnull (td_provider_get_description (provider));
  g_assert_cmpstr (presets[0].id, ==, "production");
  g_assert_cmpstr (presets[0].url, ==, "https://app.coverwhale.com/api/v1");
  g_assert_cmpstr (presets[1].id, ==, "sandbox");
  g_assert_cmpstr (presets[1].url, ==, "https://api.coverwhale.dev/v1");
  g_assert_null (presets[2].id);
  g_assert_true (td_provider_has_feature (provider, TD_PROVIDER_FEATURE_REFRESH_TOKEN));
  g_assert_true (td_provider_has_feature (provider, TD_PROVIDER_FEATURE_PASSWORD_RESET));
  g_assert_true (td_provider_has_feature (provider, TD_PROVIDER_FEATURE_CHANGE_PASSWORD));
  g_assert_false (td_provider_has_feature (provider, TD_PROVIDER_FEATURE_ADMIN_TOKEN));

  /* Registered once, in display order. */
  g_assert_cmpuint (g_list_length (all), ==, G_N_ELEMENTS (order));
  for (guint i = 0; i < G_N_ELEMENTS (order); i++, all = all->next)
    g_assert_cmpstr (td_provider_get_vendor_id (all->data), ==, order[i]);
}

static void
loaded_cb (GObject      *object,
           GAsyncResult *result,
           gpointer      user_data)
{
  *(GAsyncResult **) user_data = g_object_ref (result);
}

/* The access token the keyring holds for the account now, read by a store
 * of its own, as another process would. */
static char *
dup_stored_access_token (TdAccount *account)
{
  g_autoptr(TdTokenStore) store = td_token_store_new ();
  g_autoptr(TdStoredSecrets) secrets = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;

  td_token_store_load_async (store, account, NULL, loaded_cb, &result);
  while (result == NULL)
    g_main_context_iteration (NULL, TRUE);
  secrets = td_token_store_load_finish (store, result, &error);
  g_assert_no_error (error);
  g_assert_nonnull (secrets->tokens);

  return g_strdup (secrets->tokens->access_token);
}

typedef struct
{
  char     *token_before;
  gboolean  notified;
  gboolean  stored_first;
} StoreFirst;

static void
granted_lifetime_notify_cb (TdAccount  *account,
                            GParamSpec *pspec,
                            StoreFirst *data)
{
  g_autofree char *stored = dup_stored_access_token (account);

  data->notified = TRUE;
  data->stored_first = g_strcmp0 (stored, data->token_before) != 0;
}

/* TRUE when the test was skipped: it needs the real keyring of
 * tests/headless-session, and it looks items up, which valgrind cannot
 * run: every lookup that finds an item loses 64 bytes of its D-Bus reply
 * inside libsecret 0.20.5 (the same with secret_password_lookup_sync ()
 * alone), and valgrind would count the library's leak as ours. */
static gboolean
skip_keyring_lookups (void)
{
  if (g_getenv ("TD_HEADLESS_SESSION") == NULL)
    {
      g_test_skip ("needs the keyring of tests/headless-session");
      return TRUE;
    }

  if (g_getenv ("TD_TEST_VALGRIND") != NULL)
    {
      g_test_skip ("libsecret 0.20.5 leaks a reply per lookup");
      return TRUE;
    }

  return FALSE;
}

/* The rotated tokens reach the keyring before anything else happens: the
 * first thing anyone hears of the renewal (here, the granted lifetime that
 * changed) finds them stored. */
static void
test_store_first (void)
{
  g_autoptr(TdTokenStore) store = td_token_store_new ();
  g_autoptr(TdTokenManager) manager = td_token_manager_new (store);
  g_autoptr(TdAccount) account = td_test_account_new (sim, "coverwhale", "alice");
  g_autoptr(GError) error = NULL;
  StoreFirst data = { 0 };
  gulong handler;

  /* It looks the item up to compare. */
  if (skip_keyring_lookups ())
    return;

  td_test_sim_reset (sim);
  td_test_sim_config (sim, "{\"vendor\":\"coverwhale\",\"lifetime_s\":600}");
  g_assert_true (td_test_manager_sign_in (manager, account, "alice-password", &error));
  g_assert_no_error (error);
  g_assert_cmpuint (td_account_get_granted_lifetime (account), ==, 600);
  data.token_before = dup_stored_access_token (account);

  td_test_sim_config (sim, "{\"vendor\":\"coverwhale\",\"lifetime_s\":1200}");
  handler = g_signal_connect (account, "notify::granted-lifetime",
                              G_CALLBACK (granted_lifetime_notify_cb), &data);
  g_assert_true (td_test_manager_renew (manager, account, &error));
  g_assert_no_error (error);
  g_signal_handler_disconnect (account, handler);

  g_assert_true (data.notified);
  g_assert_true (data.stored_first);
  g_free (data.token_before);

  {
    g_autoptr(GAsyncResult) result = NULL;
    g_autoptr(GAsyncResult) done = NULL;

    td_token_manager_sign_out_async (manager, account, TRUE, NULL, td_test_result_cb, &result);
    done = td_test_wait_result (&result);
    g_assert_true (td_token_manager_sign_out_finish (manager, done, NULL));
  }
  td_test_sim_reset (sim);
}

static gboolean
needs_sign_in (gpointer user_data)
{
  return td_account_get_state (user_data) == TD_ACCOUNT_STATE_NEEDS_SIGN_IN;
}

/* A renewal killed in another process after Cover Whale answered leaves
 * the mark in the lock file and dead tokens in the keyring. Loading the
 * account (the window's start) must not show those tokens as signed in:
 * it renews under the lock, and with the refresh token refused too, the
 * account says it needs sign-in. */
static void
test_load_after_interrupted_renewal (void)
{
  g_autoptr(TdTokenStore) store = td_token_store_new ();
  g_autoptr(TdTokenManager) manager = td_token_manager_new (store);
  g_autoptr(TdAccount) account = td_test_account_new (sim, "coverwhale", "alice");
  g_autofree char *lock_name = g_strconcat (td_account_get_id (account), ".lock", NULL);
  g_autofree char *lock_dir = g_build_filename (g_get_user_runtime_dir (), "tokendesk", NULL);
  g_autofree char *lock_path = g_build_filename (lock_dir, lock_name, NULL);
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GAsyncResult) done = NULL;
  g_autoptr(JsonNode) answer = NULL;
  g_autoptr(GError) error = NULL;

  /* Loading looks the item up. */
  if (skip_keyring_lookups ())
    return;

  td_test_sim_reset (sim);
  g_assert_true (td_test_manager_sign_in (manager, account, "alice-password", &error));
  g_assert_no_error (error);

  /* The other process's renewal: the mark, then the vendor revoking what
   * the keyring holds. */
  g_assert_cmpint (g_mkdir_with_parents (lock_dir, 0700), ==, 0);
  g_assert_true (g_file_set_contents (lock_path, "renewal in flight\n", -1, &error));
  g_assert_no_error (error);
  answer = td_test_sim_control (sim, "POST", "/_sim/revoke",
                                "{\"vendor\":\"coverwhale\",\"username\":\"alice\"}");

  /* This process starts afresh: nothing in memory, the keyring read. */
  td_account_clear_tokens (account);
  td_token_manager_load_async (manager, account, NULL, td_test_result_cb, &result);
  done = td_test_wait_result (&result);
  g_assert_true (td_token_manager_load_finish (manager, done, &error));
  g_assert_no_error (error);

  g_assert_true (td_test_wait_until (needs_sign_in, account, 5000));
  g_assert_cmpuint (td_test_sim_count (sim, "coverwhale/refresh"), >=, 1);

  g_clear_object (&result);
  g_clear_object (&done);
  td_token_manager_sign_out_async (manager, account, TRUE, NULL, td_test_result_cb, &result);
  done = td_test_wait_result (&result);
  g_assert_true (td_token_manager_sign_out_finish (manager, done, NULL));
  td_test_sim_reset (sim);
}

int
main (int   argc,
      char *argv[])
{
  int ret;

  td_test_init (&argc, &argv);
  sim = td_test_sim_start (NULL, NULL);

  g_test_add_func ("/coverwhale/metadata", test_metadata);
  g_test_add_func ("/coverwhale/login", test_login);
  g_test_add_func ("/coverwhale/bad-credentials", test_bad_credentials);
  g_test_add_func ("/coverwhale/no-username", test_no_username);
  g_test_add_func ("/coverwhale/refresh-rotation", test_refresh_rotation);
  g_test_add_func ("/coverwhale/manager-keeps-rotated-token", test_manager_keeps_rotated_token);
  g_test_add_func ("/coverwhale/store-first", test_store_first);
  g_test_add_func ("/coverwhale/load-after-interrupted-renewal",
                   test_load_after_interrupted_renewal);
  g_test_add_func ("/coverwhale/expires-in-forms", test_expires_in_forms);
  g_test_add_func ("/coverwhale/header", test_header);
  g_test_add_func ("/coverwhale/password-reset", test_password_reset);
  g_test_add_func ("/coverwhale/new-password", test_new_password);

  ret = g_test_run ();
  td_test_sim_stop (sim);

  return ret;
}
