/* test-expiry-scheduler.c: one wall-clock timer for every deadline
 *
 * The scheduler must call each due owner once, in the order of their
 * deadlines, with one timer however many owners there are, and none while
 * nothing is due; a deadline already passed is acted on at once, and a
 * re-evaluation makes every owner look at the clock again. TdAccount's
 * state must follow the scheduler's clock, so a test can make time pass.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <glib/gstdio.h>
#include <string.h>

#include "td-expiry-scheduler.h"
#include "td-test-util.h"

#define HOUR_US ((gint64) 3600 * G_USEC_PER_SEC)
#define MS_US   ((gint64) 1000)

/* An owner that records its calls. */
typedef struct
{
  TdExpiryScheduler *scheduler;
  gint64             when;      /* the deadline it was given */
  guint              n_calls;
  gint64             called_at; /* scheduler clock at the first call */
  GPtrArray         *order;     /* shared: owners in the order called */
} Owner;

static void
owner_cb (gpointer data)
{
  Owner *owner = data;

  if (owner->n_calls++ == 0)
    owner->called_at = td_expiry_scheduler_get_now (owner->scheduler);
  if (owner->order != NULL)
    g_ptr_array_add (owner->order, owner);
}

static gboolean
owner_called (gpointer user_data)
{
  Owner *owner = user_data;

  return owner->n_calls > 0;
}

static void
set_owner (Owner  *owner,
           gint64  when)
{
  owner->when = when;
  td_expiry_scheduler_set_deadline (owner->scheduler, owner, when, owner_cb);
}

/* Timer file descriptors this process holds. */
static guint
count_timerfds (void)
{
  g_autoptr(GDir) dir = g_dir_open ("/proc/self/fd", 0, NULL);
  const char *name;
  guint n = 0;

  g_assert_nonnull (dir);
  while ((name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *path = g_build_filename ("/proc/self/fd", name, NULL);
      g_autofree char *target = g_file_read_link (path, NULL);

      if (target != NULL && strcmp (target, "anon_inode:[timerfd]") == 0)
        n++;
    }

  return n;
}

/* The poll timeout the default main context would sleep with now. */
static int
main_context_timeout (void)
{
  GMainContext *context = g_main_context_default ();
  GPollFD fds[64];
  int priority, timeout, n_fds;

  g_assert_true (g_main_context_acquire (context));
  g_main_context_prepare (context, &priority);
  n_fds = g_main_context_query (context, priority, &timeout, fds, G_N_ELEMENTS (fds));
  g_assert_cmpint (n_fds, <=, (int) G_N_ELEMENTS (fds));
  g_main_context_check (context, priority, fds, n_fds);
  g_main_context_dispatch (context);
  g_main_context_release (context);

  return timeout;
}

static void
test_order (void)
{
  g_autoptr(TdExpiryScheduler) scheduler = td_expiry_scheduler_new ();
  g_autoptr(GPtrArray) order = g_ptr_array_new ();
  g_autoptr(GRand) rand = g_rand_new_with_seed (42);
  enum { N_DUE = 300, N_LATER = 50 };
  Owner due[N_DUE] = { { 0 } };
  Owner later[N_LATER] = { { 0 } };
  gint64 now = td_expiry_scheduler_get_now (scheduler);
  gint64 earliest_later = G_MAXINT64;

  /* Already passed when set, in random order, some on the same µs. */
  for (guint i = 0; i < N_DUE; i++)
    {
      due[i].scheduler = scheduler;
      due[i].order = order;
      set_owner (&due[i], now - (gint64) g_rand_int_range (rand, 1, 100) * G_USEC_PER_SEC
                              - g_rand_int_range (rand, 0, 3));
    }
  for (guint i = 0; i < N_LATER; i++)
    {
      later[i].scheduler = scheduler;
      set_owner (&later[i],
                 now + HOUR_US + (gint64) g_rand_int_range (rand, 0, 3600) * G_USEC_PER_SEC);
      earliest_later = MIN (earliest_later, later[i].when);
    }
  /* A second deadline replaces the first. */
  set_owner (&due[7], now - 200 * G_USEC_PER_SEC);
  g_assert_cmpuint (td_expiry_scheduler_get_n_deadlines (scheduler), ==, N_DUE + N_LATER);

  /* Never from inside set_deadline: at the next iteration. */
  g_assert_cmpuint (order->len, ==, 0);
  g_assert_true (td_test_wait_until (owner_called, &due[N_DUE - 1], 1000));

  g_assert_cmpuint (order->len, ==, N_DUE);
  for (guint i = 1; i < order->len; i++)
    {
      Owner *a = g_ptr_array_index (order, i - 1);
      Owner *b = g_ptr_array_index (order, i);

      g_assert_cmpint (a->when, <=, b->when);
    }
  g_assert_true (g_ptr_array_index (order, 0) == &due[7]);
  for (guint i = 0; i < N_DUE; i++)
    g_assert_cmpuint (due[i].n_calls, ==, 1);
  for (guint i = 0; i < N_LATER; i++)
    g_assert_cmpuint (later[i].n_calls, ==, 0);

  g_assert_cmpuint (td_expiry_scheduler_get_n_deadlines (scheduler), ==, N_LATER);
  g_assert_cmpint (td_expiry_scheduler_get_armed_for_testing (scheduler), ==, earliest_later);
}

static void
test_fires_once_on_time (void)
{
  g_autoptr(TdExpiryScheduler) scheduler = td_expiry_scheduler_new ();
  Owner owner = { .scheduler = scheduler };
  gint64 late;

  set_owner (&owner, td_expiry_scheduler_get_now (scheduler) + 1000 * MS_US);
  g_assert_cmpint (td_expiry_scheduler_get_armed_for_testing (scheduler), ==, owner.when);

  g_assert_true (td_test_wait_until (owner_called, &owner, 3000));
  late = owner.called_at - owner.when;
  g_test_message ("a 1 s deadline fired %.1f ms late", late / 1000.0);
  g_assert_cmpint (late, >=, 0);
  g_assert_cmpint (late, <, 200 * MS_US);

  /* Once, and the timer is off with nothing left. */
  td_test_run_for (300);
  g_assert_cmpuint (owner.n_calls, ==, 1);
  g_assert_cmpuint (td_expiry_scheduler_get_n_deadlines (scheduler), ==, 0);
  g_assert_cmpint (td_expiry_scheduler_get_armed_for_testing (scheduler), ==, 0);
}

static void
test_clear_and_reset (void)
{
  g_autoptr(TdExpiryScheduler) scheduler = td_expiry_scheduler_new ();
  Owner cleared = { .scheduler = scheduler };
  Owner later = { .scheduler = scheduler };
  Owner sooner = { .scheduler = scheduler };
  gint64 now = td_expiry_scheduler_get_now (scheduler);

  set_owner (&cleared, now + 200 * MS_US);
  td_expiry_scheduler_clear_deadline (scheduler, &cleared);
  g_assert_cmpint (td_expiry_scheduler_get_deadline (scheduler, &cleared), ==, 0);

  set_owner (&later, now + 200 * MS_US);
  set_owner (&later, now + 600 * MS_US);
  set_owner (&sooner, now + 2000 * MS_US);
  set_owner (&sooner, now + 300 * MS_US);
  g_assert_cmpuint (td_expiry_scheduler_get_n_deadlines (scheduler), ==, 2);
  g_assert_cmpint (td_expiry_scheduler_get_armed_for_testing (scheduler), ==, sooner.when);

  g_assert_true (td_test_wait_until (owner_called, &later, 3000));
  td_test_run_for (200);

  g_assert_cmpuint (cleared.n_calls, ==, 0);
  g_assert_cmpuint (sooner.n_calls, ==, 1);
  g_assert_cmpint (sooner.called_at, >=, sooner.when);
  g_assert_cmpuint (later.n_calls, ==, 1);
  g_assert_cmpint (later.called_at, >=, later.when);

  /* Clearing the only one disarms. */
  set_owner (&cleared, now + HOUR_US);
  g_assert_cmpint (td_expiry_scheduler_get_armed_for_testing (scheduler), ==, cleared.when);
  td_expiry_scheduler_clear_deadline (scheduler, &cleared);
  g_assert_cmpint (td_expiry_scheduler_get_armed_for_testing (scheduler), ==, 0);
}

static void
test_due_when_set (void)
{
  g_autoptr(TdExpiryScheduler) scheduler = td_expiry_scheduler_new ();
  Owner owner = { .scheduler = scheduler };
  gint64 start = g_get_monotonic_time ();
  gint64 latency;

  set_owner (&owner, td_expiry_scheduler_get_now (scheduler) - 5 * G_USEC_PER_SEC);
  g_assert_cmpuint (owner.n_calls, ==, 0);

  g_assert_true (td_test_wait_until (owner_called, &owner, 1000));
  latency = g_get_monotonic_time () - start;
  g_test_message ("a passed deadline was acted on after %.1f ms", latency / 1000.0);
  g_assert_cmpint (latency, <, 100 * MS_US);
  g_assert_cmpuint (owner.n_calls, ==, 1);
}

/* 100 accounts: one timerfd, no GLib timeout, the timer at the earliest. */
static void
test_many_accounts_one_timer (void)
{
  TdExpiryScheduler *scheduler = td_expiry_scheduler_get_default ();
  g_autoptr(GPtrArray) accounts = g_ptr_array_new_with_free_func (g_object_unref);
  gint64 now = td_expiry_scheduler_get_now (scheduler) / G_USEC_PER_SEC;
  guint timerfds_before = count_timerfds ();
  guint deadlines_before = td_expiry_scheduler_get_n_deadlines (scheduler);
  guint timerfds_with;
  gint64 earliest = G_MAXINT64;

  for (guint i = 0; i < 100; i++)
    {
      g_autoptr(TdAccount) account = td_account_new (NULL, "coverwhale");
      g_autoptr(TdTokens) tokens = td_tokens_new ();

      tokens->access_token = g_strdup ("token");
      tokens->expires_at = now + 3600 * (2 + i % 7) + i;
      td_account_set_tokens (account, tokens);
      g_assert_cmpint (td_account_get_state (account), ==, TD_ACCOUNT_STATE_SIGNED_IN);
      earliest = MIN (earliest, tokens->expires_at - TD_ACCOUNT_DEFAULT_EXPIRING_WINDOW);
      g_ptr_array_add (accounts, g_steal_pointer (&account));
    }

  /* A token that never expires and an account without one: no deadline. */
  {
    g_autoptr(TdAccount) never = td_account_new (NULL, "couchdrop");
    g_autoptr(TdAccount) none = td_account_new (NULL, "senmo");
    g_autoptr(TdTokens) tokens = td_tokens_new ();

    tokens->access_token = g_strdup ("token");
    tokens->expires_at = TD_EXPIRES_NEVER;
    td_account_set_tokens (never, tokens);
    td_account_clear_tokens (none);
    g_assert_cmpint (td_expiry_scheduler_get_deadline (scheduler, never), ==, 0);
    g_assert_cmpint (td_expiry_scheduler_get_deadline (scheduler, none), ==, 0);
  }

  timerfds_with = count_timerfds ();
  g_assert_cmpuint (td_expiry_scheduler_get_n_deadlines (scheduler), ==, deadlines_before + 100);
  g_assert_cmpuint (timerfds_with, <=, timerfds_before + 1);
  g_assert_cmpuint (timerfds_with, >=, 1);
  g_assert_cmpint (td_expiry_scheduler_get_armed_for_testing (scheduler), ==,
                   earliest * G_USEC_PER_SEC);
  /* Nothing for the main loop to count down: it sleeps in poll (). */
  g_assert_cmpint (main_context_timeout (), ==, -1);

  /* Each account takes its deadline with it. */
  g_ptr_array_set_size (accounts, 0);
  g_assert_cmpuint (td_expiry_scheduler_get_n_deadlines (scheduler), ==, deadlines_before);
}

static void
reevaluated_cb (TdExpiryScheduler *scheduler,
                gpointer           user_data)
{
  guint *n = user_data;

  (*n)++;
}

static void
test_clock_jump (void)
{
  g_autoptr(TdExpiryScheduler) scheduler = td_expiry_scheduler_new ();
  Owner near = { .scheduler = scheduler };
  Owner far = { .scheduler = scheduler };
  gint64 now = td_expiry_scheduler_get_now (scheduler);
  guint n_reevaluated = 0;

  g_signal_connect (scheduler, "reevaluated", G_CALLBACK (reevaluated_cb), &n_reevaluated);
  set_owner (&near, now + HOUR_US);
  set_owner (&far, now + 5 * HOUR_US);

  /* Two hours pass without the timer noticing, as across a suspend. */
  td_expiry_scheduler_set_clock_offset_for_testing (scheduler, 2 * HOUR_US);
  g_assert_cmpint (td_expiry_scheduler_get_now (scheduler) - now, >=, 2 * HOUR_US);
  td_test_run_for (200);
  g_assert_cmpuint (near.n_calls, ==, 0);

  /* Every owner is asked, its deadline dropped first. */
  td_expiry_scheduler_reevaluate (scheduler);
  g_assert_cmpuint (n_reevaluated, ==, 1);
  g_assert_cmpuint (near.n_calls, ==, 1);
  g_assert_cmpuint (far.n_calls, ==, 1);
  g_assert_cmpuint (td_expiry_scheduler_get_n_deadlines (scheduler), ==, 0);
  g_assert_cmpint (td_expiry_scheduler_get_armed_for_testing (scheduler), ==, 0);

  /* The timer is armed in real time: the deadline minus the offset. */
  set_owner (&far, now + 5 * HOUR_US);
  g_assert_cmpint (td_expiry_scheduler_get_armed_for_testing (scheduler), ==,
                   now + 3 * HOUR_US);
}

/* TdAccount ------------------------------------------------------------- */

static gboolean
account_in_state (gpointer user_data)
{
  TdAccount *account = user_data;
  TdAccountState wanted = GPOINTER_TO_INT (g_object_get_data (user_data, "wanted"));

  return td_account_get_state (account) == wanted;
}

/* Moves the scheduler's clock to ms before the second `at`, and lets the
 * timer find out on its own. */
static void
set_clock_before (TdExpiryScheduler *scheduler,
                  gint64             at,
                  guint              ms)
{
  td_expiry_scheduler_set_clock_offset_for_testing (scheduler,
                                                    at * G_USEC_PER_SEC - ms * MS_US
                                                    - g_get_real_time ());
  /* A re-evaluation re-arms the timer for the new clock; the state must
   * not change yet. */
  td_expiry_scheduler_reevaluate (scheduler);
}

static void
test_account_states (void)
{
  TdExpiryScheduler *scheduler = td_expiry_scheduler_get_default ();
  g_autoptr(TdAccount) account = td_account_new (NULL, "coverwhale");
  g_autoptr(TdTokens) tokens = td_tokens_new ();
  gint64 expires_at;

  tokens->access_token = g_strdup ("token");
  tokens->expires_at = expires_at = td_expiry_scheduler_get_now (scheduler) / G_USEC_PER_SEC
                                    + 3600;
  td_account_set_tokens (account, tokens);
  g_assert_cmpint (td_account_get_state (account), ==, TD_ACCOUNT_STATE_SIGNED_IN);
  g_assert_cmpint (td_expiry_scheduler_get_deadline (scheduler, account), ==,
                   (expires_at - TD_ACCOUNT_DEFAULT_EXPIRING_WINDOW) * G_USEC_PER_SEC);
  g_assert_true (td_account_has_valid_token (account, TD_ACCOUNT_DEFAULT_EXPIRING_WINDOW));

  /* 300 ms before the expiring window opens. */
  set_clock_before (scheduler, expires_at - TD_ACCOUNT_DEFAULT_EXPIRING_WINDOW, 300);
  g_assert_cmpint (td_account_get_state (account), ==, TD_ACCOUNT_STATE_SIGNED_IN);
  g_object_set_data (G_OBJECT (account), "wanted", GINT_TO_POINTER (TD_ACCOUNT_STATE_EXPIRING));
  g_assert_true (td_test_wait_until (account_in_state, account, 2000));
  g_assert_false (td_account_has_valid_token (account, TD_ACCOUNT_DEFAULT_EXPIRING_WINDOW));
  g_assert_true (td_account_has_valid_token (account, 0));
  g_assert_cmpint (td_expiry_scheduler_get_deadline (scheduler, account), ==,
                   expires_at * G_USEC_PER_SEC);

  /* 300 ms before it expires. */
  set_clock_before (scheduler, expires_at, 300);
  g_assert_cmpint (td_account_get_state (account), ==, TD_ACCOUNT_STATE_EXPIRING);
  g_object_set_data (G_OBJECT (account), "wanted", GINT_TO_POINTER (TD_ACCOUNT_STATE_EXPIRED));
  g_assert_true (td_test_wait_until (account_in_state, account, 2000));
  g_assert_false (td_account_has_valid_token (account, 0));
  g_assert_cmpint (td_expiry_scheduler_get_deadline (scheduler, account), ==, 0);

  /* Back to the real clock, renewed. */
  td_expiry_scheduler_set_clock_offset_for_testing (scheduler, 0);
  td_account_set_tokens (account, tokens);
  g_assert_cmpint (td_account_get_state (account), ==, TD_ACCOUNT_STATE_SIGNED_IN);

  /* Signed out: no deadline left behind. */
  td_account_clear_tokens (account);
  g_assert_cmpint (td_expiry_scheduler_get_deadline (scheduler, account), ==, 0);
}

int
main (int   argc,
      char *argv[])
{
  td_test_init (&argc, &argv);

  g_test_add_func ("/expiry-scheduler/order", test_order);
  g_test_add_func ("/expiry-scheduler/fires-once-on-time", test_fires_once_on_time);
  g_test_add_func ("/expiry-scheduler/clear-and-reset", test_clear_and_reset);
  g_test_add_func ("/expiry-scheduler/due-when-set", test_due_when_set);
  g_test_add_func ("/expiry-scheduler/many-accounts-one-timer", test_many_accounts_one_timer);
  g_test_add_func ("/expiry-scheduler/clock-jump", test_clock_jump);
  g_test_add_func ("/expiry-scheduler/account-states", test_account_states);

  return g_test_run ();
}
