/* idle-wakeups.c: how often the expiry scheduler wakes while nothing is due
 *
 * Target: with 100 accounts whose tokens expire hours from now, no wakeup
 * at all in a minute beyond the floor, a bare GMainLoop doing nothing.
 *
 * Each runs in its own process, this executable started again with
 * --sample, side by side in the same window: the scheduler holding the
 * accounts (one timerfd armed at the earliest deadline, and logind's
 * PrepareForSleep subscribed to when there is a system bus, as in the app)
 * and the floor. This process sleeps meanwhile and counts their wakeups
 * from outside, in /proc/PID/task/TID/schedstat (td-bench-wakeups.c), so
 * the measuring costs them nothing.
 *
 *   tests/headless-session meson test -C _build --benchmark idle-wakeups -v
 *   _build/bench/idle-wakeups [--seconds N] [--accounts N] [--settle N]
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <gio/gio.h>
#include <stdio.h>
#include <stdlib.h>

#include "td-account.h"
#include "td-bench-wakeups.h"
#include "td-expiry-scheduler.h"

#define TARGET_WAKEUPS 0

static int opt_seconds = 60;
static int opt_accounts = 100;
/* After both say ready, before counting: the system bus connection is set
 * up in a GTask thread of GLib's pool, and GLib ends an idle pool thread
 * 15 s later. That is one wakeup of startup, not of sitting idle. */
static int opt_settle = 20;
static char *opt_sample = NULL;

static const GOptionEntry entries[] = {
  { "seconds", 's', 0, G_OPTION_ARG_INT, &opt_seconds, "Length of the window", "N" },
  { "accounts", 'n', 0, G_OPTION_ARG_INT, &opt_accounts, "Accounts the scheduler holds", "N" },
  { "settle", 0, 0, G_OPTION_ARG_INT, &opt_settle, "Seconds to wait before counting", "N" },
  { "sample", 0, G_OPTION_FLAG_HIDDEN, G_OPTION_ARG_STRING, &opt_sample,
    "Sit idle in this process: floor or scheduler", "KIND" },
  { NULL }
};

/* One sample, in its own process ----------------------------------------- */

static gboolean
ready_cb (gpointer user_data)
{
  printf ("ready\n");
  fflush (stdout);
  return G_SOURCE_REMOVE;
}

static gboolean
give_up_cb (gpointer user_data)
{
  *(gboolean *) user_data = TRUE;
  return G_SOURCE_REMOVE;
}

static int
run_sample (const char *kind)
{
  g_autoptr(GMainLoop) loop = g_main_loop_new (NULL, FALSE);
  g_autoptr(GPtrArray) accounts = g_ptr_array_new_with_free_func (g_object_unref);

  if (g_strcmp0 (kind, "scheduler") == 0)
    {
      TdExpiryScheduler *scheduler = td_expiry_scheduler_get_default ();
      gint64 now = g_get_real_time () / G_USEC_PER_SEC;
      gboolean gave_up = FALSE;
      guint give_up_id;

      /* Expiring 2 to 9 hours from now, a second apart. */
      for (int i = 0; i < opt_accounts; i++)
        {
          g_autoptr(TdAccount) account = td_account_new (NULL, "coverwhale");
          g_autoptr(TdTokens) tokens = td_tokens_new ();

          tokens->access_token = g_strdup ("token");
          tokens->expires_at = now + 3600 * (2 + i % 8) + i;
          td_account_set_tokens (account, tokens);
          g_ptr_array_add (accounts, g_steal_pointer (&account));
        }
      g_assert (td_expiry_scheduler_get_n_deadlines (scheduler) == (guint) opt_accounts);

      /* Absent a system bus it gives up at once, quietly. */
      td_expiry_scheduler_watch_sleep (scheduler);
      give_up_id = g_timeout_add_seconds (5, give_up_cb, &gave_up);
      while (!td_expiry_scheduler_get_watching_sleep (scheduler) && !gave_up)
        g_main_context_iteration (NULL, TRUE);
      if (!gave_up)
        g_source_remove (give_up_id);
    }
  else if (g_strcmp0 (kind, "floor") != 0)
    {
      g_printerr ("Unknown sample %s\n", kind);
      return EXIT_FAILURE;
    }

  g_idle_add (ready_cb, NULL);
  g_main_loop_run (loop);

  return EXIT_SUCCESS;
}

/* The measurement -------------------------------------------------------- */

static GSubprocess *
start_sample (const char  *self_path,
              const char  *kind,
              GError     **error)
{
  g_autofree char *accounts = g_strdup_printf ("%d", opt_accounts);

  return g_subprocess_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE, error,
                           self_path, "--sample", kind, "--accounts", accounts, NULL);
}

static gboolean
wait_ready (GSubprocess  *sample,
            GError      **error)
{
  g_autoptr(GDataInputStream) out =
    g_data_input_stream_new (g_subprocess_get_stdout_pipe (sample));
  g_autofree char *line = g_data_input_stream_read_line (out, NULL, NULL, error);

  if (g_strcmp0 (line, "ready") == 0)
    return TRUE;

  if (error != NULL && *error == NULL)
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "The sample ended before it was ready");
  return FALSE;
}

static void
print_row (const char *what,
           guint64     wakeups)
{
  if (wakeups == G_MAXUINT64)
    printf ("  %-40s      gone\n", what);
  else
    printf ("  %-40s %9" G_GUINT64_FORMAT "  (%.2f/min)\n", what, wakeups,
            wakeups * 60.0 / opt_seconds);
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(GOptionContext) context = g_option_context_new ("- idle wakeups of the expiry scheduler");
  g_autoptr(GError) error = NULL;
  g_autoptr(GSubprocess) floor_sample = NULL;
  g_autoptr(GSubprocess) scheduler_sample = NULL;
  g_autofree char *scheduler_label = NULL;
  GPid pids[2];
  guint64 wakeups[2];
  const char *self_path = "/proc/self/exe";
  g_autofree char *exe = g_file_read_link (self_path, NULL);

  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      g_printerr ("%s\n", error->message);
      return EXIT_FAILURE;
    }
  if (opt_seconds < 1 || opt_accounts < 1)
    {
      g_printerr ("--seconds and --accounts must be at least 1\n");
      return EXIT_FAILURE;
    }

  if (opt_sample != NULL)
    return run_sample (opt_sample);

  floor_sample = start_sample (exe, "floor", &error);
  if (floor_sample != NULL)
    scheduler_sample = start_sample (exe, "scheduler", &error);
  if (scheduler_sample == NULL || !wait_ready (floor_sample, &error) ||
      !wait_ready (scheduler_sample, &error))
    {
      g_printerr ("Could not start the samples: %s\n", error->message);
      return EXIT_FAILURE;
    }

  g_usleep ((gulong) MAX (opt_settle, 0) * G_USEC_PER_SEC);

  pids[0] = atoi (g_subprocess_get_identifier (floor_sample));
  pids[1] = atoi (g_subprocess_get_identifier (scheduler_sample));
  printf ("Wakeups while idle for %d s after %d s of settling, side by side "
          "(target: %d beyond the floor):\n", opt_seconds, opt_settle, TARGET_WAKEUPS);
  fflush (stdout);
  td_bench_count_wakeups (pids, G_N_ELEMENTS (pids), opt_seconds, wakeups);

  scheduler_label = g_strdup_printf ("scheduler, %d accounts (2 to 9 h away)", opt_accounts);
  print_row ("floor: a bare GMainLoop", wakeups[0]);
  print_row (scheduler_label, wakeups[1]);

  g_subprocess_force_exit (floor_sample);
  g_subprocess_force_exit (scheduler_sample);
  g_subprocess_wait (floor_sample, NULL, NULL);
  g_subprocess_wait (scheduler_sample, NULL, NULL);

  if (wakeups[0] == G_MAXUINT64 || wakeups[1] == G_MAXUINT64)
    return EXIT_FAILURE;

  return wakeups[1] <= wakeups[0] + TARGET_WAKEUPS ? EXIT_SUCCESS : EXIT_FAILURE;
}
