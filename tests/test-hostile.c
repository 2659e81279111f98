/* test-hostile.c: every way a vendor (or what stands in front of it) can
 * misbehave, for every vendor
 *
 * Each case runs twice: straight through the provider, for the error code
 * and message; then through the token manager, for what the account keeps
 * (its tokens untouched, a clear error) while an account of another vendor
 * signs in at the same time.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <string.h>

#include "td-http-client.h"
#include "td-test-util.h"

#define CLIENT_TIMEOUT_SECONDS 2
#define SUCCEEDS (-1)

static TdTestSim *sim;

static const char * const vendors[] = TD_TEST_VENDORS;

static const char * const modes[] = {
  "status-401", "status-403", "status-404", "status-429", "status-429-retry",
  "status-500", "status-502", "html", "empty", "truncated", "wrong-type",
  "missing-token", "not-jwt", "no-exp", "huge", "hang", "slow", "reset", "redirect",
};

typedef struct
{
  const char *vendor;
  const char *mode;
} Case;

static gboolean
has_refresh (const char *vendor)
{
  return td_provider_has_feature (td_test_provider (vendor), TD_PROVIDER_FEATURE_REFRESH_TOKEN);
}

/* What the app must make of it. refresh: the answer was to a refresh. */
static int
expected_code (const char *vendor,
               const char *mode,
               gboolean    refresh)
{
  static const char * const unreachable[] = {
    "status-429", "status-429-retry", "status-500", "status-502", "reset",
  };

  for (guint i = 0; i < G_N_ELEMENTS (unreachable); i++)
    if (g_str_equal (mode, unreachable[i]))
      return TD_ERROR_UNREACHABLE;

  if (g_str_equal (mode, "hang") || g_str_equal (mode, "slow"))
    return TD_ERROR_TIMED_OUT;

  /* Statuses some vendors document: they mean what the vendor says. */
  if (g_str_equal (mode, "status-401"))
    {
      if (refresh)
        return TD_ERROR_NEEDS_SIGN_IN;
      if (g_str_equal (vendor, "couchdrop"))
        return TD_ERROR_TWO_FACTOR_REQUIRED;
      if (g_str_equal (vendor, "senmo"))
        return TD_ERROR_BAD_CREDENTIALS;
      return TD_ERROR_INVALID_RESPONSE;
    }

  if (g_str_equal (mode, "status-403") && g_str_equal (vendor, "couchdrop"))
    return TD_ERROR_ACCESS_DENIED;

  /* Couchdrop documents an opaque token: "not.a-jwt" is a valid one, and a
   * JWT without exp lives the assumed lifetime. Logware's tokens are JWTs
   * whose lifetime the page gives: exp is optional. */
  if (g_str_equal (mode, "not-jwt") && g_str_equal (vendor, "couchdrop"))
    return SUCCEEDS;
  if (g_str_equal (mode, "no-exp") &&
      (g_str_equal (vendor, "couchdrop") || g_str_equal (vendor, "logware")))
    return SUCCEEDS;

  return TD_ERROR_INVALID_RESPONSE;
}

static const char *
auth_count_key (const char *vendor,
                gboolean    refresh)
{
  if (g_str_equal (vendor, "coverwhale"))
    return refresh ? "coverwhale/refresh" : "coverwhale/authentication";
  if (g_str_equal (vendor, "couchdrop"))
    return "couchdrop/authenticate";
  if (g_str_equal (vendor, "senmo"))
    return refresh ? "senmo/refreshtoken" : "senmo/auth";
  return "logware/authenticate";
}

static const char *
other_vendor (const char *vendor)
{
  for (guint i = 0; i < G_N_ELEMENTS (vendors); i++)
    if (g_str_equal (vendors[i], vendor))
      return vendors[(i + 1) % G_N_ELEMENTS (vendors)];

  g_assert_not_reached ();
}

static void
assert_outcome (const Case   *c,
                int           code,
                const GError *error,
                gboolean      succeeded)
{
  const char *display = td_provider_get_display_name (td_test_provider (c->vendor));

  if (code == SUCCEEDS)
    {
      g_assert_no_error (error);
      g_assert_true (succeeded);
      return;
    }

  g_assert_false (succeeded);
  td_test_assert_td_error (error, code, display, NULL);

  if (g_str_equal (c->mode, "status-429-retry"))
    g_assert_nonnull (strstr (error->message, "30 seconds"));
  if (g_str_equal (c->mode, "status-429"))
    g_assert_nonnull (strstr (error->message, "too many requests"));
}

static void
test_provider (gconstpointer data)
{
  const Case *c = data;
  g_autoptr(TdAccount) account = td_test_account_new (sim, c->vendor, "alice");
  g_autoptr(TdTokens) tokens = NULL;
  g_autoptr(GError) error = NULL;
  const char *key = auth_count_key (c->vendor, FALSE);

  td_test_sim_reset (sim);
  td_test_sim_hostile (sim, c->vendor, c->mode, 1);

  tokens = td_test_login (account, "alice-password", NULL, &error);
  assert_outcome (c, expected_code (c->vendor, c->mode, FALSE), error, tokens != NULL);
  /* One request: nothing is retried behind the user's back. */
  g_assert_cmpuint (td_test_sim_count (sim, key), ==, 1);

  if (tokens != NULL && g_str_equal (c->mode, "no-exp"))
    {
      /* Couchdrop's assumed lifetime, or Logware's documented ten hours. */
      gint64 lifetime = g_str_equal (c->vendor, "couchdrop")
                        ? td_account_get_assumed_lifetime (account) : 10 * 3600;

      g_assert_cmpint (tokens->expires_at, >=, td_test_now () + lifetime - 5);
      g_assert_cmpint (tokens->expires_at, <=, td_test_now () + lifetime);
    }
}

typedef struct
{
  GAsyncResult *a;
  GAsyncResult *b;
  gboolean      b_first;
} Pair;

static void
a_done_cb (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  Pair *pair = user_data;

  pair->a = g_object_ref (result);
}

static void
b_done_cb (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  Pair *pair = user_data;

  pair->b = g_object_ref (result);
  pair->b_first = pair->a == NULL;
}

static gboolean
both_done (gpointer user_data)
{
  Pair *pair = user_data;

  return pair->a != NULL && pair->b != NULL;
}

static void
test_manager (gconstpointer data)
{
  const Case *c = data;
  const char *display = td_provider_get_display_name (td_test_provider (c->vendor));
  const char *b_vendor = other_vendor (c->vendor);
  gboolean refresh = has_refresh (c->vendor);
  const char *key = auth_count_key (c->vendor, refresh);
  g_autoptr(TdTokenManager) manager = td_token_manager_new (NULL);
  g_autoptr(TdAccount) a = td_test_account_new (sim, c->vendor, "alice");
  g_autoptr(TdAccount) b = td_test_account_new (sim, b_vendor, "bob");
  g_autoptr(TdTokens) before = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GError) b_error = NULL;
  g_auto(TdSecret) b_token = NULL;
  Pair pair = { 0 };
  gboolean ok;
  guint calls;
  int code;

  td_test_sim_reset (sim);
  g_assert_true (td_test_manager_sign_in (manager, a, "alice-password", &error));
  g_assert_no_error (error);
  before = td_tokens_copy (td_account_peek_tokens (a));
  calls = td_test_sim_count (sim, key);

  td_test_sim_hostile (sim, c->vendor, c->mode, 1);

  /* Renew as the app would: refresh token where there is one, else the
   * password again. B starts while A's answer is still coming. */
  if (refresh)
    td_token_manager_renew_async (manager, a, NULL, a_done_cb, &pair);
  else
    td_token_manager_sign_in_async (manager, a, "alice-password", NULL, NULL, a_done_cb, &pair);
  td_token_manager_sign_in_async (manager, b, "bob-password", NULL, NULL, b_done_cb, &pair);

  if (!td_test_wait_until (both_done, &pair, TD_TEST_WAIT_SECONDS * 1000))
    g_error ("the renewals did not finish within %d s", TD_TEST_WAIT_SECONDS);

  if (refresh)
    ok = td_token_manager_renew_finish (manager, pair.a, &error);
  else
    ok = td_token_manager_sign_in_finish (manager, pair.a, &error);
  g_clear_object (&pair.a);

  code = expected_code (c->vendor, c->mode, refresh);
  assert_outcome (c, code, error, ok);
  g_assert_cmpuint (td_test_sim_count (sim, key), ==, calls + 1);
  g_assert_false (td_account_get_busy (a));

  if (code == SUCCEEDS)
    {
      g_assert_false (td_test_tokens_equal (td_account_peek_tokens (a), before));
      g_assert_cmpint (td_account_get_state (a), ==, TD_ACCOUNT_STATE_SIGNED_IN);
    }
  else
    {
      const char *message = td_account_get_error_message (a);
      g_auto(TdSecret) still = td_account_dup_hand_out_token (a);

      /* What the account had is kept as it was, and still works. */
      g_assert_true (td_test_tokens_equal (td_account_peek_tokens (a), before));
      g_assert_cmpuint (td_test_use_token_as_provider (sim, c->vendor, still), ==, 200);

      g_assert_nonnull (message);
      g_assert_nonnull (strstr (message, display));
      g_assert_cmpint (td_account_get_state (a), ==,
                       code == TD_ERROR_NEEDS_SIGN_IN ? TD_ACCOUNT_STATE_NEEDS_SIGN_IN
                                                      : TD_ACCOUNT_STATE_ERROR);
    }

  /* The other account did not notice, nor wait for A's timeout. */
  g_assert_true (td_token_manager_sign_in_finish (manager, pair.b, &b_error));
  g_assert_no_error (b_error);
  g_clear_object (&pair.b);
  g_assert_cmpint (td_account_get_state (b), ==, TD_ACCOUNT_STATE_SIGNED_IN);
  b_token = td_test_manager_get_token (manager, b, 60, &b_error);
  g_assert_no_error (b_error);
  g_assert_cmpuint (td_test_use_token_as_provider (sim, b_vendor, b_token), ==, 200);
  if (g_str_equal (c->mode, "hang") || g_str_equal (c->mode, "slow"))
    g_assert_true (pair.b_first);
}

/* Answers about time: an exp past the year 9999, a token expired when it
 * arrives, and a vendor whose clock is not ours. */
static TdTokens *
login_with_config (const char  *vendor,
                   const char  *config,
                   GError     **error)
{
  g_autoptr(TdAccount) account = td_test_account_new (sim, vendor, "alice");
  g_autofree char *body = g_strdup_printf ("{\"vendor\":\"%s\",%s}", vendor, config);

  td_test_sim_reset (sim);
  /* Couchdrop's tokens are opaque unless asked: without exp, nothing to check. */
  if (g_str_equal (vendor, "couchdrop"))
    td_test_sim_config (sim, "{\"vendor\":\"couchdrop\",\"jwt_tokens\":true}");
  td_test_sim_config (sim, body);

  return td_test_login (account, "alice-password", NULL, error);
}

/* Messages are read whole: the clock's number is checked apart. */
static void
keep_message_cb (const char     *log_domain,
                 GLogLevelFlags  log_level,
                 const char     *message,
                 gpointer        user_data)
{
  g_ptr_array_add (user_data, g_strdup (message));
}

static void
test_clock (gconstpointer data)
{
  const char *vendor = data;
  const char *display = td_provider_get_display_name (td_test_provider (vendor));
  gint64 lifetime = g_str_equal (vendor, "logware") ? 36000 : 3600;

  /* An exp GDateTime cannot show is an invalid answer, not "never". */
  {
    g_autoptr(GError) error = NULL;
    g_autoptr(TdTokens) tokens = login_with_config (vendor, "\"jwt_exp\":253402300800", &error);

    g_assert_null (tokens);
    td_test_assert_td_error (error, TD_ERROR_INVALID_RESPONSE, display, "expiry");
  }
  {
    g_autoptr(GError) error = NULL;
    g_autoptr(TdTokens) tokens = login_with_config (vendor, "\"jwt_exp\":253402300799", &error);

    g_assert_no_error (error);
    /* Cover Whale's own expiry is ExpiresIn; the others take exp. */
    if (!g_str_equal (vendor, "coverwhale"))
      g_assert_cmpint (tokens->expires_at, ==, G_GINT64_CONSTANT (253402300799));
  }

  /* Expired when issued: refused, naming the clock (Cover Whale says
   * when its tokens expire as a duration: one below zero is nonsense). */
  {
    g_autoptr(GError) error = NULL;
    g_autoptr(TdTokens) tokens = login_with_config (vendor, "\"lifetime_s\":-600", &error);

    g_assert_null (tokens);
    td_test_assert_td_error (error, TD_ERROR_INVALID_RESPONSE, display, NULL);
    if (!g_str_equal (vendor, "coverwhale"))
      g_assert_nonnull (strstr (error->message, "clock"));
  }

  /* The vendor's clock two hours ahead, then two hours behind (its tokens
   * would look expired): the expiry is on ours, and the token works. */
  for (int sign = 1; sign >= -1; sign -= 2)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(TdTokens) tokens = NULL;
      g_autofree char *config = g_strdup_printf ("\"clock_skew_s\":%d", sign * 7200);
      gint64 now = g_get_real_time () / G_USEC_PER_SEC;

      g_autoptr(GPtrArray) said = g_ptr_array_new_with_free_func (g_free);
      guint handler;

      handler = g_log_set_handler ("td-vendor", G_LOG_LEVEL_MESSAGE, keep_message_cb, said);
      tokens = login_with_config (vendor, config, &error);
      g_log_remove_handler ("td-vendor", handler);
      g_assert_no_error (error);
      g_assert_cmpuint (said->len, ==, 1);
      td_test_assert_clock_said (g_ptr_array_index (said, 0), -sign * 7200);
      g_assert_cmpint (ABS (tokens->expires_at - (now + lifetime)), <=, 5);
    }

  /* A minute or less is left alone, and said nothing about. */
  {
    g_autoptr(GError) error = NULL;
    g_autoptr(TdTokens) tokens = NULL;
    gint64 now = g_get_real_time () / G_USEC_PER_SEC;

    tokens = login_with_config (vendor, "\"clock_skew_s\":50", &error);
    g_assert_no_error (error);
    if (!g_str_equal (vendor, "coverwhale"))
      g_assert_cmpint (ABS (tokens->expires_at - (now + 50 + lifetime)), <=, 5);
  }
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(GPtrArray) cases = g_ptr_array_new_with_free_func (g_free);
  int ret;

  td_test_init (&argc, &argv);
  sim = td_test_sim_start (NULL, NULL);
  td_http_client_set_timeout (td_http_client_get_default (), CLIENT_TIMEOUT_SECONDS);

  for (guint v = 0; v < G_N_ELEMENTS (vendors); v++)
    for (guint m = 0; m < G_N_ELEMENTS (modes); m++)
      {
        Case *c = g_new0 (Case, 1);
        g_autofree char *provider_path = NULL;
        g_autofree char *manager_path = NULL;

        c->vendor = vendors[v];
        c->mode = modes[m];
        g_ptr_array_add (cases, c);

        provider_path = g_strdup_printf ("/hostile/%s/%s/provider", c->vendor, c->mode);
        manager_path = g_strdup_printf ("/hostile/%s/%s/manager", c->vendor, c->mode);
        g_test_add_data_func (provider_path, c, test_provider);
        g_test_add_data_func (manager_path, c, test_manager);
      }

  for (guint v = 0; v < G_N_ELEMENTS (vendors); v++)
    {
      g_autofree char *path = g_strdup_printf ("/hostile/%s/clock", vendors[v]);

      g_test_add_data_func (path, vendors[v], test_clock);
    }

  ret = g_test_run ();
  td_test_sim_stop (sim);

  return ret;
}
