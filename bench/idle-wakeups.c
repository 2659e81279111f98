/* idle-wakeups.c: how often Token Desk wakes while nothing is due
 *
 * Target: with 100 accounts whose tokens expire hours from now, no wakeup
 * at all in a minute beyond the floor, a bare GMainLoop doing nothing.
 *
 * Three processes sit idle side by side in the same window, and this one
 * sleeps meanwhile and counts their wakeups (every thread's) from outside,
 * in /proc/PID/task/TID/schedstat (td-bench-wakeups.c), so the measuring
 * costs them nothing:
 *
 * - the floor, this executable started again with --sample floor;
 * - the expiry scheduler alone holding the accounts (--sample scheduler:
 *   one timerfd armed at the earliest deadline, and logind's
 *   PrepareForSleep subscribed to when there is a system bus, as in the
 *   app);
 * - the real app, `tokendesk-app --background`: no window, its tray icon
 *   in xfce4-panel. Before it starts, the accounts are written to
 *   accounts.ini in a throwaway XDG_CONFIG_HOME (TdAccountList) and their
 *   tokens to the session's keyring (TdTokenStore), so that it reads them
 *   back and arms their deadlines as at a login. It counts once its item
 *   is among the watcher's RegisteredStatusNotifierItems and its tray menu
 *   (com.canonical.dbusmenu GetLayout) shows every account signed in.
 *   That needs the session's throwaway keyring, display and bus: outside
 *   tests/headless-session, or without xfce4-panel, it is skipped.
 *
 *   tests/headless-session meson test -C _build --benchmark idle-wakeups -v
 *   tests/headless-session _build/bench/idle-wakeups [--seconds N] [--accounts N] [--settle N]
 *
 * To see why the app wakes, run the second line and, during the window,
 * strace -f -tt -p PID (the PID is printed), or run it with
 * G_MESSAGES_DEBUG=all: the app's output goes to this one's.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <errno.h>
#include <gio/gio.h>
#include <glib/gstdio.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "td-account-list.h"
#include "td-account.h"
#include "td-bench-keyring.h"
#include "td-bench-wakeups.h"
#include "td-desktop-test-util.h"
#include "td-expiry-scheduler.h"

#ifndef TOKENDESK_APP
#error "TOKENDESK_APP must name the tokendesk-app executable"
#endif

#define TARGET_WAKEUPS 0
/* From starting the app to its tray menu showing every account: a start
 * that takes this long is broken, not slow. */
#define APP_START_TIMEOUT_S 60
#define WATCHER_NAME "org.kde.StatusNotifierWatcher"

static int opt_seconds = 60;
static int opt_accounts = 100;
/* After all say ready, before counting: the system bus connection is set
 * up in a GTask thread of GLib's pool (in the app, the keyring reads and
 * the account file too), and GLib ends an idle pool thread 15 s later.
 * That is one wakeup of startup, not of sitting idle; so is the tray
 * host reading the app's menu again for a second after it last changed. */
static int opt_settle = 20;
static char *opt_sample = NULL;

static const GOptionEntry entries[] = {
  { "seconds", 's', 0, G_OPTION_ARG_INT, &opt_seconds, "Length of the window", "N" },
  { "accounts", 'n', 0, G_OPTION_ARG_INT, &opt_accounts,
    "Accounts the scheduler and the app hold", "N" },
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

/* The real app ------------------------------------------------------------ */

static const char *vendors[] = { "coverwhale", "couchdrop", "senmo", "logware" };
static const char *vendor_names[] = { "Cover Whale", "Couchdrop", "Senmo", "Logware" };

typedef struct
{
  char           *config_home;  /* the app's XDG_CONFIG_HOME */
  GPtrArray      *accounts;     /* TdAccount, their tokens in the keyring */
  TdDesktopPanel *panel;
  GSubprocess    *process;
  char           *unique_name;
} App;

/* Signed in to all four vendors, nothing to renew: tokens expiring 2 to 9
 * hours from now, a second apart, as in the scheduler sample. Senmo has
 * no default host, so its accounts name one; nothing calls it. */
static gboolean
write_accounts (App     *app,
                GError **error)
{
  g_autofree char *path = g_build_filename (app->config_home, "tokendesk", "accounts.ini", NULL);
  g_autoptr(GFile) file = g_file_new_for_path (path);
  g_autoptr(TdAccountList) list = td_account_list_new_for_file (file);
  g_autoptr(TdBenchKeyring) keyring = td_bench_keyring_new ();
  g_autoptr(GRand) rand = g_rand_new_with_seed (20260101);
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;

  for (int i = 0; i < opt_accounts; i++)
    {
      guint v = i % G_N_ELEMENTS (vendors);
      g_autoptr(TdAccount) account = td_account_new (NULL, vendors[v]);
      g_autofree char *name = g_strdup_printf ("%s %04d", vendor_names[v], i);
      g_autofree char *username = g_strdup_printf ("ops.%04d@example.com", i);
      TdTokens *tokens = td_tokens_new ();

      td_account_set_display_name (account, name);
      td_account_set_username (account, username);
      if (v == 2)
        td_account_set_endpoint (account, "https://senmo.example.com/api");
      if (!td_account_list_add (list, account, error))
        {
          td_tokens_free (tokens);
          return FALSE;
        }

      tokens->access_token = td_bench_fake_token (rand, "access.", 800);
      if (v == 0 || v == 2)
        tokens->refresh_token = td_bench_fake_token (rand, "refresh.", 200);
      tokens->expires_at = now + 3600 * (2 + i % 8) + i;
      td_bench_keyring_queue_tokens (keyring, account, tokens);
      g_ptr_array_add (app->accounts, g_steal_pointer (&account));
    }

  return td_account_list_save_sync (list, NULL, error) && td_bench_keyring_run (keyring, error);
}

static GVariant *
call_sync (const char  *dest,
           const char  *path,
           const char  *interface,
           const char  *method,
           GVariant    *parameters,
           GError     **error)
{
  g_autoptr(GDBusConnection) bus = g_bus_get_sync (G_BUS_TYPE_SESSION, NULL, error);

  if (bus == NULL)
    return NULL;

  /* Blocking is fine: the answers come from other processes. */
  return g_dbus_connection_call_sync (bus, dest, path, interface, method, parameters, NULL,
                                      G_DBUS_CALL_FLAGS_NO_AUTO_START, 5000, NULL, error);
}

static char *
dup_unique_name (void)
{
  g_autoptr(GVariant) reply = NULL;
  char *name = NULL;

  reply = call_sync ("org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus",
                     "GetNameOwner", g_variant_new ("(s)", APPLICATION_ID), NULL);
  if (reply != NULL)
    g_variant_get (reply, "(s)", &name);

  return name;
}

static gboolean
item_registered (const char *unique_name)
{
  g_autoptr(GVariant) reply = NULL;
  g_autoptr(GVariant) items = NULL;
  g_autofree char *list = NULL;

  reply = call_sync (WATCHER_NAME, "/StatusNotifierWatcher", "org.freedesktop.DBus.Properties",
                     "Get", g_variant_new ("(ss)", WATCHER_NAME, "RegisteredStatusNotifierItems"),
                     NULL);
  if (reply == NULL)
    return FALSE;

  /* Hosts differ in the form ("NAME/PATH", "NAME"): look for the name. */
  g_variant_get (reply, "(v)", &items);
  list = g_variant_print (items, FALSE);
  return strstr (list, unique_name) != NULL;
}

/* The accounts in the tray menu whose state shows that their tokens were
 * read and are valid ("Name — expires in 3 h"); the first such label in
 * out_example. */
static guint
count_signed_in (const char  *unique_name,
                 char       **out_example)
{
  const char *names[] = { "label", NULL };
  g_autoptr(GVariant) reply = NULL;
  g_autoptr(GVariant) children = NULL;
  guint n = 0;

  reply = call_sync (unique_name, "/MenuBar", "com.canonical.dbusmenu", "GetLayout",
                     g_variant_new ("(ii^as)", 0, 1, names), NULL);
  if (reply == NULL)
    return 0;

  g_variant_get (reply, "(u(i@a{sv}@av))", NULL, NULL, NULL, &children);
  for (gsize i = 0; i < g_variant_n_children (children); i++)
    {
      g_autoptr(GVariant) child = g_variant_get_child_value (children, i);
      g_autoptr(GVariant) item = g_variant_get_variant (child);
      g_autoptr(GVariant) properties = NULL;
      const char *label = NULL;

      g_variant_get (item, "(i@a{sv}@av)", NULL, &properties, NULL);
      if (g_variant_lookup (properties, "label", "&s", &label) &&
          strstr (label, " — expires in ") != NULL)
        {
          if (n++ == 0 && out_example != NULL)
            *out_example = g_strdup (label);
        }
    }

  return n;
}

static gboolean
app_exited (App *app)
{
  return g_subprocess_get_identifier (app->process) == NULL;
}

static gboolean
start_app (App     *app,
           GError **error)
{
  g_autoptr(GSubprocessLauncher) launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_NONE);
  g_autofree char *example = NULL;
  gint64 give_up = g_get_monotonic_time () + APP_START_TIMEOUT_S * G_USEC_PER_SEC;
  gboolean registered = FALSE;
  guint signed_in = 0;

  /* As a login starts it, but with this profile and the build's schema;
   * not with the tests' G_DEBUG=fatal-criticals. */
  g_subprocess_launcher_setenv (launcher, "XDG_CONFIG_HOME", app->config_home, TRUE);
  g_subprocess_launcher_setenv (launcher, "GSETTINGS_SCHEMA_DIR", TD_SCHEMA_DIR, TRUE);
  g_subprocess_launcher_unsetenv (launcher, "G_DEBUG");
  app->process = g_subprocess_launcher_spawn (launcher, error, TOKENDESK_APP, "--background",
                                              NULL);
  if (app->process == NULL)
    return FALSE;

  while (g_get_monotonic_time () < give_up && !app_exited (app))
    {
      if (app->unique_name == NULL)
        app->unique_name = dup_unique_name ();
      if (app->unique_name != NULL && !registered)
        registered = item_registered (app->unique_name);
      if (registered)
        {
          g_clear_pointer (&example, g_free);
          signed_in = count_signed_in (app->unique_name, &example);
          if (signed_in == (guint) opt_accounts)
            break;
        }
      g_usleep (G_USEC_PER_SEC / 10);
    }

  if (signed_in != (guint) opt_accounts)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED,
                   "%s within %d s: %s", app_exited (app) ? "The app ended" : "No answer",
                   APP_START_TIMEOUT_S,
                   app->unique_name == NULL ? "it did not take its name on the bus"
                   : !registered ? "its tray item never registered with the watcher"
                   : "its tray menu never showed every account signed in");
      return FALSE;
    }

  printf ("app: pid %s, tray item registered, all %u accounts in its menu (“%s”, …)\n",
          g_subprocess_get_identifier (app->process), signed_in, example);
  fflush (stdout);
  return TRUE;
}

/* Accounts, keyring, panel and app; NULL with the reason printed when
 * this session cannot have them. */
static App *
app_new (void)
{
  App *app = NULL;
  g_autoptr(GError) error = NULL;

  /* The session's throwaway keyring, display and bus only, never a
   * person's own. */
  if (g_getenv ("TD_HEADLESS_SESSION") == NULL || g_getenv ("DISPLAY") == NULL)
    {
      printf ("app: skipped: run it under tests/headless-session\n");
      return NULL;
    }
  if (!td_desktop_have_panel ())
    {
      printf ("app: skipped: xfce4-panel (the tray host) is missing\n");
      return NULL;
    }

  app = g_new0 (App, 1);
  app->accounts = g_ptr_array_new_with_free_func (g_object_unref);
  /* In the session's own folder: whatever the app leaves goes with it. */
  app->config_home = g_build_filename (g_get_user_config_dir (), "bench-idle-wakeups-XXXXXX",
                                       NULL);
  if (g_mkdtemp (app->config_home) == NULL)
    g_set_error (&error, G_IO_ERROR, g_io_error_from_errno (errno), "%s: %s",
                 app->config_home, g_strerror (errno));
  else
    {
      g_autofree char *dir = g_build_filename (app->config_home, "tokendesk", NULL);

      g_mkdir (dir, 0700);
      write_accounts (app, &error);
    }
  if (error != NULL)
    {
      g_printerr ("app: could not set up the accounts: %s\n", error->message);
      exit (EXIT_FAILURE);
    }

  app->panel = td_desktop_panel_start_with_config (TD_PANEL_CONFIG);

  if (!start_app (app, &error))
    {
      g_printerr ("app: %s\n", error->message);
      exit (EXIT_FAILURE);
    }

  return app;
}

static void
app_free (App *app)
{
  g_autoptr(TdBenchKeyring) keyring = td_bench_keyring_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = g_build_filename (app->config_home, "tokendesk", NULL);
  g_autofree char *file = g_build_filename (dir, "accounts.ini", NULL);

  if (app->process != NULL)
    td_desktop_kill (app->process);
  g_clear_object (&app->process);
  g_clear_pointer (&app->panel, td_desktop_panel_stop);

  /* Leave the keyring and the folders as they were found. */
  for (guint i = 0; i < app->accounts->len; i++)
    td_bench_keyring_queue_clear (keyring, g_ptr_array_index (app->accounts, i));
  if (!td_bench_keyring_run (keyring, &error))
    g_printerr ("app: %s\n", error->message);
  g_unlink (file);
  g_rmdir (dir);
  g_rmdir (app->config_home);

  g_ptr_array_unref (app->accounts);
  g_free (app->config_home);
  g_free (app->unique_name);
  g_free (app);
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
    printf ("  %-44s      gone\n", what);
  else
    printf ("  %-44s %9" G_GUINT64_FORMAT "  (%.2f/min)\n", what, wakeups,
            wakeups * 60.0 / opt_seconds);
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(GOptionContext) context = g_option_context_new ("- idle wakeups of Token Desk");
  g_autoptr(GError) error = NULL;
  g_autoptr(GSubprocess) floor_sample = NULL;
  g_autoptr(GSubprocess) scheduler_sample = NULL;
  g_autofree char *scheduler_label = NULL;
  g_autofree char *app_label = NULL;
  App *app = NULL;
  GPid pids[3];
  guint64 wakeups[3];
  guint n_pids = 2;
  gboolean met;
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

  /* First, as it takes longest to start; it settles with the others. */
  app = app_new ();

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
  if (app != NULL)
    pids[n_pids++] = atoi (g_subprocess_get_identifier (app->process));
  printf ("Wakeups while idle for %d s after %d s of settling, side by side "
          "(target: %d beyond the floor):\n", opt_seconds, opt_settle, TARGET_WAKEUPS);
  fflush (stdout);
  td_bench_count_wakeups (pids, n_pids, opt_seconds, wakeups);

  scheduler_label = g_strdup_printf ("scheduler, %d accounts (2 to 9 h away)", opt_accounts);
  print_row ("floor: a bare GMainLoop", wakeups[0]);
  print_row (scheduler_label, wakeups[1]);
  met = wakeups[0] != G_MAXUINT64 && wakeups[1] != G_MAXUINT64 &&
        wakeups[1] <= wakeups[0] + TARGET_WAKEUPS;
  if (app != NULL)
    {
      app_label = g_strdup_printf ("app, %d accounts, window closed, tray up", opt_accounts);
      print_row (app_label, wakeups[2]);
      met = met && wakeups[2] != G_MAXUINT64 && wakeups[2] <= wakeups[0] + TARGET_WAKEUPS;
    }
  fflush (stdout);

  g_subprocess_force_exit (floor_sample);
  g_subprocess_force_exit (scheduler_sample);
  g_subprocess_wait (floor_sample, NULL, NULL);
  g_subprocess_wait (scheduler_sample, NULL, NULL);
  g_clear_pointer (&app, app_free);

  return met ? EXIT_SUCCESS : EXIT_FAILURE;
}
