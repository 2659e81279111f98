/* test-suspend.c: a deadline passed while asleep is acted on at resume
 *
 * logind is python3-dbusmock's logind template on the private system bus
 * of tests/headless-session. The scheduler's clock jumps two hours without
 * its timer firing, as if the machine had slept through a token's expiry;
 * logind's PrepareForSleep(false) must then expire the account within a
 * second. Without logind, or without a system bus at all, nothing may
 * warn: warnings are fatal here.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <string.h>

#include "td-expiry-scheduler.h"
#include "td-test-util.h"

#define LOGIND_NAME      "org.freedesktop.login1"
#define HOUR_US          ((gint64) 3600 * G_USEC_PER_SEC)

/* Resume must be acted on within this. */
#define RESUME_BOUND_MS 1000

static gboolean
have_private_system_bus (void)
{
  if (g_getenv ("DBUS_SYSTEM_BUS_ADDRESS") != NULL)
    return TRUE;

  /* Never the machine's own logind or bus. */
  g_test_skip ("needs the private system bus of tests/headless-session");
  return FALSE;
}

static gboolean
watching_sleep (gpointer user_data)
{
  return td_expiry_scheduler_get_watching_sleep (user_data);
}

static gboolean
account_expired (gpointer user_data)
{
  return td_account_get_state (user_data) == TD_ACCOUNT_STATE_EXPIRED;
}

static void
reevaluated_cb (TdExpiryScheduler *scheduler,
                gpointer           user_data)
{
  guint *n = user_data;

  (*n)++;
}

static void
test_resume (void)
{
  TdExpiryScheduler *scheduler = td_expiry_scheduler_get_default ();
  g_autoptr(GSubprocess) logind = NULL;
  g_autoptr(TdAccount) account = NULL;
  g_autoptr(TdTokens) tokens = NULL;
  guint n_reevaluated = 0;
  gulong handler;
  gint64 start, latency;

  if (!have_private_system_bus ())
    return;

  start = g_get_monotonic_time ();
  logind = td_test_logind_start ();
  g_test_message ("logind (dbusmock) up after %" G_GINT64_FORMAT " ms",
                  (g_get_monotonic_time () - start) / 1000);

  td_expiry_scheduler_watch_sleep (scheduler);
  g_assert_true (td_test_wait_until (watching_sleep, scheduler, 5000));
  /* A round trip on the same (shared) connection: the bus has our match
   * rule. */
  g_assert_true (td_test_wait_for_name (G_BUS_TYPE_SYSTEM, LOGIND_NAME, TRUE, 0));
  handler = g_signal_connect (scheduler, "reevaluated", G_CALLBACK (reevaluated_cb),
                              &n_reevaluated);

  account = td_account_new (NULL, "coverwhale");
  tokens = td_tokens_new ();
  tokens->access_token = g_strdup ("token");
  tokens->expires_at = td_expiry_scheduler_get_now (scheduler) / G_USEC_PER_SEC + 3600;
  td_account_set_tokens (account, tokens);
  g_assert_cmpint (td_account_get_state (account), ==, TD_ACCOUNT_STATE_SIGNED_IN);

  /* Two hours asleep: the wall clock moved, the armed timer (real time)
   * did not fire. */
  td_expiry_scheduler_set_clock_offset_for_testing (scheduler, 2 * HOUR_US);
  td_test_logind_prepare_for_sleep (TRUE);
  td_test_run_for (200);
  g_assert_cmpint (td_account_get_state (account), ==, TD_ACCOUNT_STATE_SIGNED_IN);
  g_assert_cmpuint (n_reevaluated, ==, 0);

  start = g_get_monotonic_time ();
  td_test_logind_prepare_for_sleep (FALSE);
  g_assert_true (td_test_wait_until (account_expired, account, RESUME_BOUND_MS));
  latency = g_get_monotonic_time () - start;

  g_test_message ("acted on %.1f ms after resume (bound %d ms)",
                  latency / 1000.0, RESUME_BOUND_MS);
  g_assert_cmpint (latency, <, RESUME_BOUND_MS * 1000);
  g_assert_cmpuint (n_reevaluated, ==, 1);
  g_assert_cmpint (td_expiry_scheduler_get_deadline (scheduler, account), ==, 0);

  g_signal_handler_disconnect (scheduler, handler);
  td_expiry_scheduler_set_clock_offset_for_testing (scheduler, 0);
  g_subprocess_force_exit (logind);
  g_subprocess_wait (logind, NULL, NULL);
}

/* The system bus is there, logind is not: subscribed, silent. */
static void
test_no_logind (void)
{
  g_autoptr(TdExpiryScheduler) scheduler = td_expiry_scheduler_new ();

  if (!have_private_system_bus ())
    return;

  g_assert_true (td_test_wait_for_name (G_BUS_TYPE_SYSTEM, LOGIND_NAME, FALSE, 0));

  td_expiry_scheduler_watch_sleep (scheduler);
  g_assert_true (td_test_wait_until (watching_sleep, scheduler, 5000));
  td_test_run_for (200);
}

/* No system bus at all: a debug message, not a warning. */
static void
test_no_system_bus (void)
{
  if (g_test_subprocess ())
    {
      g_autoptr(TdExpiryScheduler) scheduler = NULL;

      g_setenv ("DBUS_SYSTEM_BUS_ADDRESS", "unix:path=/nonexistent/td-system-bus", TRUE);
      scheduler = td_expiry_scheduler_new ();
      td_expiry_scheduler_watch_sleep (scheduler);
      td_test_run_for (500);
      g_assert_false (td_expiry_scheduler_get_watching_sleep (scheduler));
      return;
    }

  g_test_trap_subprocess (NULL, 10 * G_USEC_PER_SEC, G_TEST_SUBPROCESS_DEFAULT);
  g_test_trap_assert_passed ();
  g_test_trap_assert_stderr_unmatched ("*WARNING*");
}

int
main (int   argc,
      char *argv[])
{
  td_test_init (&argc, &argv);
  /* G_DEBUG=fatal-warnings: a missing logind or bus must not warn. */
  g_log_set_always_fatal (G_LOG_LEVEL_WARNING | G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_ERROR);

  g_test_add_func ("/suspend/no-system-bus", test_no_system_bus);
  g_test_add_func ("/suspend/no-logind", test_no_logind);
  g_test_add_func ("/suspend/resume", test_resume);

  return g_test_run ();
}
