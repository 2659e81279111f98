/* test-single-flight.c: many callers, one renewal per account
 *
 * Cover Whale invalidates every earlier token on each authentication: two
 * refreshes racing would leave one caller with a dead token. The manager
 * must send one refresh and hand its result to everyone who asked.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <string.h>

#include "td-test-util.h"

#define N_CALLERS   10
#define LATENCY_MS  200
#define MIN_VALID   300

static TdTestSim *sim;

typedef struct
{
  GAsyncResult *results[N_CALLERS];
  guint n_done;
} Callers;

typedef struct
{
  Callers *callers;
  guint index;
} Caller;

static void
caller_done_cb (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  Caller *caller = user_data;

  g_assert_null (caller->callers->results[caller->index]);
  caller->callers->results[caller->index] = g_object_ref (result);
  caller->callers->n_done++;
}

static gboolean
all_done (gpointer user_data)
{
  Callers *callers = user_data;

  return callers->n_done == N_CALLERS;
}

static const char *
refresh_key (const char *vendor)
{
  return g_str_equal (vendor, "coverwhale") ? "coverwhale/refresh" : "senmo/refreshtoken";
}

/* Signs in with tokens that are about to expire, then makes the vendor slow
 * and its next tokens long-lived. */
static TdAccount *
prepare_account (TdTokenManager *manager,
                 const char     *vendor)
{
  g_autoptr(TdAccount) account = td_test_account_new (sim, vendor, "alice");
  g_autoptr(GError) error = NULL;
  g_autofree char *short_lived = NULL;
  g_autofree char *slow = NULL;

  td_test_sim_reset (sim);
  short_lived = g_strdup_printf ("{\"vendor\":\"%s\",\"lifetime_s\":60}", vendor);
  td_test_sim_config (sim, short_lived);

  g_assert_true (td_test_manager_sign_in (manager, account, "alice-password", &error));
  g_assert_no_error (error);
  g_assert_false (td_account_has_valid_token (account, MIN_VALID));
  g_assert_cmpint (td_account_get_state (account), ==, TD_ACCOUNT_STATE_EXPIRING);

  slow = g_strdup_printf ("{\"vendor\":\"%s\",\"lifetime_s\":3600,\"latency_ms\":%d}",
                          vendor, LATENCY_MS);
  td_test_sim_config (sim, slow);

  return g_steal_pointer (&account);
}

static void
check_callers (TdTokenManager *manager,
               TdAccount      *account,
               Callers        *callers,
               const char     *old_token,
               gboolean        renew)
{
  g_auto(TdSecret) current = td_account_dup_hand_out_token (account);

  g_assert_nonnull (current);
  g_assert_cmpstr (current, !=, old_token);

  for (guint i = 0; i < N_CALLERS; i++)
    {
      g_autoptr(GError) error = NULL;

      if (renew)
        {
          g_assert_true (td_token_manager_renew_finish (manager, callers->results[i], &error));
          g_assert_no_error (error);
        }
      else
        {
          g_auto(TdSecret) token = td_token_manager_get_token_finish (manager,
                                                                      callers->results[i],
                                                                      &error);

          g_assert_no_error (error);
          /* Everyone gets the one token the single refresh brought. */
          g_assert_cmpstr (token, ==, current);
        }
      g_clear_object (&callers->results[i]);
    }
}

static void
test_get_token (gconstpointer data)
{
  const char *vendor = data;
  g_autoptr(TdTokenManager) manager = td_token_manager_new (NULL);
  g_autoptr(TdAccount) account = prepare_account (manager, vendor);
  g_auto(TdSecret) old_token = td_account_dup_hand_out_token (account);
  Caller caller[N_CALLERS];
  Callers callers = { 0 };
  guint refreshes = td_test_sim_count (sim, refresh_key (vendor));

  g_assert_cmpuint (refreshes, ==, 0);

  for (guint i = 0; i < N_CALLERS; i++)
    {
      caller[i] = (Caller) { &callers, i };
      td_token_manager_get_token_async (manager, account, MIN_VALID, NULL,
                                        caller_done_cb, &caller[i]);
    }
  g_assert_true (td_account_get_busy (account));

  if (!td_test_wait_until (all_done, &callers, TD_TEST_WAIT_SECONDS * 1000))
    g_error ("%u of %d callers answered", callers.n_done, N_CALLERS);

  g_assert_cmpuint (td_test_sim_count (sim, refresh_key (vendor)), ==, 1);
  check_callers (manager, account, &callers, old_token, FALSE);
  g_assert_false (td_account_get_busy (account));
  g_assert_cmpint (td_account_get_state (account), ==, TD_ACCOUNT_STATE_SIGNED_IN);

  /* The renewed token now serves without a vendor call. */
  {
    g_autoptr(GError) error = NULL;
    g_auto(TdSecret) again = td_test_manager_get_token (manager, account, MIN_VALID, &error);

    g_assert_no_error (error);
    g_assert_cmpuint (td_test_sim_count (sim, refresh_key (vendor)), ==, 1);
    g_assert_cmpuint (td_test_use_token_as_provider (sim, vendor, again), ==, 200);
  }
}

/* Forced renewals (the "renew now" button pressed in two windows) join
 * each other too. */
static void
test_renew (gconstpointer data)
{
  const char *vendor = data;
  g_autoptr(TdTokenManager) manager = td_token_manager_new (NULL);
  g_autoptr(TdAccount) account = prepare_account (manager, vendor);
  g_auto(TdSecret) old_token = td_account_dup_hand_out_token (account);
  Caller caller[N_CALLERS];
  Callers callers = { 0 };

  for (guint i = 0; i < N_CALLERS; i++)
    {
      caller[i] = (Caller) { &callers, i };
      td_token_manager_renew_async (manager, account, NULL, caller_done_cb, &caller[i]);
    }

  if (!td_test_wait_until (all_done, &callers, TD_TEST_WAIT_SECONDS * 1000))
    g_error ("%u of %d callers answered", callers.n_done, N_CALLERS);

  g_assert_cmpuint (td_test_sim_count (sim, refresh_key (vendor)), ==, 1);
  check_callers (manager, account, &callers, old_token, TRUE);
}

/* Asking for more validity than the vendor ever grants: one refresh for
 * all the callers, each handed the fresh (short) token, no error; the
 * account learns how long this vendor's tokens last. */
static void
test_short_lived_vendor (void)
{
  g_autoptr(TdTokenManager) manager = td_token_manager_new (NULL);
  g_autoptr(TdAccount) account = prepare_account (manager, "coverwhale");
  g_auto(TdSecret) old_token = td_account_dup_hand_out_token (account);
  const guint asked = 27 * 3600;
  Caller caller[N_CALLERS];
  Callers callers = { 0 };

  /* Learned at sign-in, rounded: the vendor said 60 s. */
  g_assert_cmpuint (td_account_get_granted_lifetime (account), ==, 60);

  for (guint i = 0; i < N_CALLERS; i++)
    {
      caller[i] = (Caller) { &callers, i };
      td_token_manager_get_token_async (manager, account, i == 0 ? MIN_VALID : asked, NULL,
                                        caller_done_cb, &caller[i]);
    }

  if (!td_test_wait_until (all_done, &callers, TD_TEST_WAIT_SECONDS * 1000))
    g_error ("%u of %d callers answered", callers.n_done, N_CALLERS);

  g_assert_cmpuint (td_test_sim_count (sim, "coverwhale/refresh"), ==, 1);
  check_callers (manager, account, &callers, old_token, FALSE);
  g_assert_true (td_account_has_valid_token (account, MIN_VALID));
  g_assert_false (td_account_has_valid_token (account, asked));
  g_assert_cmpuint (td_account_get_granted_lifetime (account), ==, 3600);

  /* Asked again, it renews once more and hands out that token: never a
   * loop, never an error. */
  {
    g_autoptr(GError) error = NULL;
    g_auto(TdSecret) again = td_test_manager_get_token (manager, account, asked, &error);

    g_assert_no_error (error);
    g_assert_nonnull (again);
    g_assert_cmpuint (td_test_sim_count (sim, "coverwhale/refresh"), ==, 2);
    g_assert_cmpuint (td_test_use_token_as_provider (sim, "coverwhale", again), ==, 200);
  }
}

/* Accounts do not wait for each other: two accounts, two refreshes, both
 * in flight at once (the pair takes about one latency, not two). */
static void
test_accounts_independent (void)
{
  g_autoptr(TdTokenManager) manager = td_token_manager_new (NULL);
  g_autoptr(TdAccount) alice = td_test_account_new (sim, "coverwhale", "alice");
  g_autoptr(TdAccount) bob = td_test_account_new (sim, "coverwhale", "bob");
  g_autoptr(GError) error = NULL;
  Caller caller[N_CALLERS];
  Callers callers = { 0 };
  gint64 start, elapsed;

  td_test_sim_reset (sim);
  g_assert_true (td_test_manager_sign_in (manager, alice, "alice-password", &error));
  g_assert_true (td_test_manager_sign_in (manager, bob, "bob-password", &error));
  g_assert_no_error (error);
  td_test_sim_config (sim, "{\"latency_ms\":1000}");

  start = g_get_monotonic_time ();
  for (guint i = 0; i < N_CALLERS; i++)
    {
      caller[i] = (Caller) { &callers, i };
      td_token_manager_renew_async (manager, i % 2 ? alice : bob, NULL,
                                    caller_done_cb, &caller[i]);
    }

  if (!td_test_wait_until (all_done, &callers, TD_TEST_WAIT_SECONDS * 1000))
    g_error ("%u of %d callers answered", callers.n_done, N_CALLERS);
  elapsed = g_get_monotonic_time () - start;

  g_assert_cmpuint (td_test_sim_count (sim, "coverwhale/refresh"), ==, 2);
  g_assert_cmpint (elapsed, <, 1900 * 1000);

  for (guint i = 0; i < N_CALLERS; i++)
    {
      g_assert_true (td_token_manager_renew_finish (manager, callers.results[i], &error));
      g_assert_no_error (error);
      g_clear_object (&callers.results[i]);
    }
}

int
main (int   argc,
      char *argv[])
{
  const char *vendors[] = TD_TEST_VENDORS;
  int ret;

  td_test_init (&argc, &argv);
  sim = td_test_sim_start (NULL, NULL);

  for (guint i = 0; i < G_N_ELEMENTS (vendors); i++)
    {
      g_autofree char *get_path = NULL;
      g_autofree char *renew_path = NULL;

      if (!td_provider_has_feature (td_test_provider (vendors[i]),
                                    TD_PROVIDER_FEATURE_REFRESH_TOKEN))
        continue;

      get_path = g_strdup_printf ("/single-flight/%s/get-token", vendors[i]);
      renew_path = g_strdup_printf ("/single-flight/%s/renew", vendors[i]);
      g_test_add_data_func (get_path, vendors[i], test_get_token);
      g_test_add_data_func (renew_path, vendors[i], test_renew);
    }
  g_test_add_func ("/single-flight/short-lived-vendor", test_short_lived_vendor);
  g_test_add_func ("/single-flight/accounts-independent", test_accounts_independent);

  ret = g_test_run ();
  td_test_sim_stop (sim);

  return ret;
}
