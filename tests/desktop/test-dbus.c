/* test-dbus.c: io.github.tokendesk.TokenDesk1, the interface for other
 * programs, called with `gdbus` as a script would
 *
 * The real tokendesk-app, started in the background on the session's bus
 * or D-Bus-activated without a window on a private bus of this test, with
 * accounts added by the real `tokendesk add` against the simulator. The
 * activated app has a gnome-keyring of its own on the private bus.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <gdk/x11/gdkx.h>
#include <glib/gstdio.h>
#include <gtk/gtk.h>
#include <signal.h>
#include <string.h>
#include <X11/Xatom.h>
#include <X11/Xlib.h>

#include "td-dbus-service.h"
#include "td-desktop-test-util.h"
#include "td-test-util.h"

#define WAIT_MS TD_DESKTOP_TEST_WAIT_MS
#define METHOD(name) TD_DBUS_SERVICE_INTERFACE "." name

static TdTestSim *sim;
static char *test_dir;

/* Running things ------------------------------------------------------------ */

/* argv with DBUS_SESSION_BUS_ADDRESS = bus (NULL: the session's). */
static GSubprocess *
spawn_on (const char         *bus,
          const char         *input,
          const char * const *argv)
{
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autoptr(GError) error = NULL;
  GSubprocess *process;

  launcher = g_subprocess_launcher_new ((input ? G_SUBPROCESS_FLAGS_STDIN_PIPE : 0) |
                                        G_SUBPROCESS_FLAGS_STDOUT_PIPE |
                                        G_SUBPROCESS_FLAGS_STDERR_PIPE);
  if (bus != NULL)
    g_subprocess_launcher_setenv (launcher, "DBUS_SESSION_BUS_ADDRESS", bus, TRUE);
  g_subprocess_launcher_unsetenv (launcher, "G_MESSAGES_DEBUG");
  process = g_subprocess_launcher_spawnv (launcher, argv, &error);
  g_assert_no_error (error);

  if (input != NULL)
    {
      g_output_stream_write_all (g_subprocess_get_stdin_pipe (process), input, strlen (input),
                                 NULL, NULL, &error);
      /* td_desktop_communicate () closes it. */
      g_assert_no_error (error);
    }

  return process;
}

typedef struct
{
  int   status;
  char *out;
  char *err;
} Result;

static void
result_free (Result *result)
{
  g_free (result->out);
  g_free (result->err);
  g_free (result);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Result, result_free)

static Result *
finish (GSubprocess *process)
{
  Result *result = g_new0 (Result, 1);

  result->out = td_desktop_communicate (process, &result->err);
  g_assert_true (g_subprocess_get_if_exited (process));
  result->status = g_subprocess_get_exit_status (process);
  g_test_message ("exit %d; stderr: %s", result->status, result->err);

  return result;
}

/* gdbus call --session --dest … METHOD ARGS… */
static GSubprocess *
spawn_gdbus (const char *bus,
             const char *method,
             const char *arg1,
             const char *arg2)
{
  const char *argv[] = {
    "gdbus", "call", "--session", "--dest", APPLICATION_ID,
    "--object-path", TD_DBUS_SERVICE_PATH, "--method", method, arg1, arg2, NULL
  };

  return spawn_on (bus, NULL, argv);
}

static Result *
gdbus (const char *bus,
       const char *method,
       const char *arg1,
       const char *arg2)
{
  g_autoptr(GSubprocess) process = spawn_gdbus (bus, method, arg1, arg2);

  return finish (process);
}

/* GetToken's answer as gdbus prints it: a GVariant text. */
static void
parse_token (Result  *result,
             char   **token,
             gint64  *expires_at,
             char   **header)
{
  g_autoptr(GVariant) reply = NULL;
  g_autoptr(GError) error = NULL;

  if (result->status != 0)
    g_error ("GetToken failed: %s", result->err);
  reply = g_variant_parse (G_VARIANT_TYPE ("(sxs)"), result->out, NULL, NULL, &error);
  g_assert_no_error (error);
  g_variant_get (reply, "(sxs)", token, expires_at, header);
}

static void
assert_dbus_error (Result     *result,
                   const char *name,
                   const char *text)
{
  g_autofree char *expected = g_strconcat ("GDBus.Error:" TD_DBUS_ERROR_PREFIX ".", name, ":",
                                           NULL);

  g_assert_cmpint (result->status, !=, 0);
  if (strstr (result->err, expected) == NULL || (text && strstr (result->err, text) == NULL))
    g_error ("expected %s (%s), got: %s", expected, text ? text : "", result->err);
}

/* Accounts, with the real command line --------------------------------------- */

static void
add_account (const char *bus,
             const char *name)
{
  g_autofree char *base = td_test_sim_dup_base (sim, "coverwhale");
  const char *argv[] = {
    TOKENDESK_PATH, "add", "coverwhale", name, "--username", "alice", "--endpoint", base, NULL
  };
  g_autoptr(GSubprocess) process = spawn_on (bus, "alice-password\n", argv);
  g_autoptr(Result) result = finish (process);

  g_assert_cmpint (result->status, ==, 0);
}

static GSubprocess *
spawn_cli_token (const char *bus,
                 const char *name)
{
  const char *argv[] = { TOKENDESK_PATH, "token", name, NULL };

  return spawn_on (bus, NULL, argv);
}

static char *
account_id_for (const char *name)
{
  g_autoptr(GKeyFile) key_file = g_key_file_new ();
  g_autofree char *path = g_build_filename (g_get_user_config_dir (), "tokendesk",
                                            "accounts.ini", NULL);
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) groups = NULL;

  g_key_file_load_from_file (key_file, path, G_KEY_FILE_NONE, &error);
  g_assert_no_error (error);
  groups = g_key_file_get_groups (key_file, NULL);
  for (guint i = 0; groups[i]; i++)
    {
      g_autofree char *group_name = g_key_file_get_string (key_file, groups[i], "name", NULL);

      if (g_strcmp0 (group_name, name) == 0)
        return g_strdup (groups[i]);
    }

  g_error ("no account %s in %s", name, path);
}

static void
remove_accounts (void)
{
  g_autofree char *path = g_build_filename (g_get_user_config_dir (), "tokendesk",
                                            "accounts.ini", NULL);

  g_unlink (path);
}

static guint
use_token (const char *token)
{
  return td_test_sim_use_token (sim, "coverwhale", "AccessToken", token, NULL);
}

/* The app on the session's bus ------------------------------------------------- */

static GDBusConnection *
session_bus (void)
{
  static GDBusConnection *bus;  /* for the whole run */
  g_autoptr(GError) error = NULL;

  if (bus == NULL)
    bus = g_bus_get_sync (G_BUS_TYPE_SESSION, NULL, &error);
  g_assert_no_error (error);

  return bus;
}

static GSubprocess *
start_app (void)
{
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autoptr(GError) error = NULL;
  GSubprocess *process;

  g_assert_true (td_desktop_wait_for_name (APPLICATION_ID, FALSE, 0));
  /* Its messages with ours, its output unread. No notification server
   * here: GIO warns that it cannot tell about the account needing a
   * sign-in, which is not ours to fail on. */
  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_SILENCE);
  g_subprocess_launcher_setenv (launcher, "G_DEBUG", "fatal-criticals", TRUE);
  process = g_subprocess_launcher_spawn (launcher, &error, TOKENDESK_APP, "--background", NULL);
  g_assert_no_error (error);
  if (!td_desktop_wait_for_name (APPLICATION_ID, TRUE, WAIT_MS))
    g_error ("the app did not take its bus name");

  return process;
}

static void
quit_app (GSubprocess *process,
          const char  *bus)
{
  const char *argv[] = {
    "gdbus", "call", "--session", "--dest", APPLICATION_ID,
    "--object-path", TD_DBUS_SERVICE_PATH, "--method", "org.gtk.Actions.Activate",
    "quit", "[]", "{}", NULL
  };
  g_autoptr(GSubprocess) call = spawn_on (bus, NULL, argv);
  g_autoptr(Result) result = finish (call);

  g_assert_cmpint (result->status, ==, 0);
  if (process != NULL)
    {
      g_subprocess_wait (process, NULL, NULL);
      g_assert_true (g_subprocess_get_if_exited (process));
      g_assert_cmpint (g_subprocess_get_exit_status (process), ==, 0);
    }
}

typedef struct
{
  guint  count;
  char  *name;
  char  *state;
  gint64 expires_at;
} Signals;

static void
account_changed_cb (GDBusConnection *connection,
                    const char      *sender,
                    const char      *path,
                    const char      *interface,
                    const char      *signal,
                    GVariant        *parameters,
                    gpointer         user_data)
{
  Signals *signals = user_data;

  signals->count++;
  g_clear_pointer (&signals->name, g_free);
  g_clear_pointer (&signals->state, g_free);
  g_variant_get (parameters, "(ssx)", &signals->name, &signals->state, &signals->expires_at);
}

static gboolean
got_signal (gpointer data)
{
  return ((Signals *) data)->count > 0;
}

/* The methods, against the running app -------------------------------------- */

static void
test_methods (void)
{
  g_autoptr(GSubprocess) app = NULL;
  g_autofree char *token = NULL;
  g_autofree char *header = NULL;
  g_autofree char *renewed = NULL;
  g_autofree char *renewed_header = NULL;
  gint64 expires_at, renewed_expires_at;
  Signals signals = { 0 };
  guint subscription;
  guint refreshes;

  remove_accounts ();
  add_account (NULL, "Work API");
  app = start_app ();

  /* ListAccounts: the account, its state and expiry, no secret. */
  {
    g_autoptr(Result) result = gdbus (NULL, METHOD ("ListAccounts"), NULL, NULL);
    g_autoptr(GVariant) reply = NULL;
    g_autoptr(GVariant) accounts = NULL;
    g_autoptr(GError) error = NULL;
    const char *name, *vendor, *username, *state;
    gint64 listed_expiry;

    g_assert_cmpint (result->status, ==, 0);
    reply = g_variant_parse (G_VARIANT_TYPE ("(aa{sv})"), result->out, NULL, NULL, &error);
    g_assert_no_error (error);
    accounts = g_variant_get_child_value (reply, 0);
    g_assert_cmpuint (g_variant_n_children (accounts), ==, 1);
    {
      g_autoptr(GVariant) account = g_variant_get_child_value (accounts, 0);
      g_autoptr(GVariantDict) dict = g_variant_dict_new (account);

      g_assert_true (g_variant_dict_lookup (dict, "name", "&s", &name));
      g_assert_true (g_variant_dict_lookup (dict, "vendor", "&s", &vendor));
      g_assert_true (g_variant_dict_lookup (dict, "username", "&s", &username));
      g_assert_true (g_variant_dict_lookup (dict, "state", "&s", &state));
      g_assert_true (g_variant_dict_lookup (dict, "expires-at", "x", &listed_expiry));
      g_assert_cmpstr (name, ==, "Work API");
      g_assert_cmpstr (vendor, ==, "coverwhale");
      g_assert_cmpstr (username, ==, "alice");
      g_assert_cmpstr (state, ==, "signed-in");
      g_assert_cmpint (listed_expiry - td_test_now (), >, 3000);
    }
    g_assert_null (strstr (result->out, "alice-password"));
  }

  /* GetToken: the stored token, no vendor call, and the header. */
  refreshes = td_test_sim_count (sim, "coverwhale/refresh");
  {
    g_autoptr(Result) result = gdbus (NULL, METHOD ("GetToken"), "work api", "300");

    parse_token (result, &token, &expires_at, &header);
  }
  g_assert_cmpuint (td_test_sim_count (sim, "coverwhale/refresh"), ==, refreshes);
  g_assert_cmpuint (use_token (token), ==, 200);
  {
    g_autofree char *expected = g_strconcat ("AccessToken: ", token, NULL);

    g_assert_cmpstr (header, ==, expected);
  }
  g_assert_cmpint (expires_at - td_test_now (), >, 3000);

  /* Renew: one vendor call, and AccountChanged with the new expiry. */
  subscription = g_dbus_connection_signal_subscribe (session_bus (), NULL,
                                                     TD_DBUS_SERVICE_INTERFACE, "AccountChanged",
                                                     TD_DBUS_SERVICE_PATH, NULL,
                                                     G_DBUS_SIGNAL_FLAGS_NONE, account_changed_cb,
                                                     &signals, NULL);
  td_test_sim_config (sim, "{\"vendor\":\"coverwhale\",\"lifetime_s\":7200}");
  {
    g_autoptr(Result) result = gdbus (NULL, METHOD ("Renew"), "Work API", NULL);

    g_assert_cmpint (result->status, ==, 0);
    g_assert_cmpstr (result->out, ==, "()\n");
  }
  g_assert_cmpuint (td_test_sim_count (sim, "coverwhale/refresh"), ==, refreshes + 1);
  if (!td_test_wait_until (got_signal, &signals, WAIT_MS))
    g_error ("no AccountChanged after Renew");
  g_assert_cmpstr (signals.name, ==, "Work API");
  g_assert_cmpstr (signals.state, ==, "signed-in");
  g_assert_cmpint (signals.expires_at - td_test_now (), >, 7000);
  g_dbus_connection_signal_unsubscribe (session_bus (), subscription);
  g_free (signals.name);
  g_free (signals.state);

  {
    g_autoptr(Result) result = gdbus (NULL, METHOD ("GetToken"), "Work API", "300");

    parse_token (result, &renewed, &renewed_expires_at, &renewed_header);
  }
  g_assert_cmpstr (renewed, !=, token);
  g_assert_cmpint (renewed_expires_at, >, expires_at);
  g_assert_cmpuint (use_token (renewed), ==, 200);

  /* The errors: named after the codes, with the words. */
  {
    g_autoptr(Result) result = gdbus (NULL, METHOD ("GetToken"), "Nobody", "300");

    assert_dbus_error (result, "NoSuchAccount", "Nobody");
  }
  {
    g_autoptr(Result) result = gdbus (NULL, METHOD ("Renew"), "Nobody", NULL);

    assert_dbus_error (result, "NoSuchAccount", "Nobody");
  }
  /* The vendor forgets the refresh token, and no password is remembered. */
  td_test_sim_revoke (sim, "coverwhale", "alice");
  {
    g_autoptr(Result) result = gdbus (NULL, METHOD ("Renew"), "Work API", NULL);

    assert_dbus_error (result, "NeedsSignIn", NULL);
  }
  {
    g_autoptr(Result) result = gdbus (NULL, METHOD ("GetToken"), "Work API", "999999");

    assert_dbus_error (result, "NeedsSignIn", NULL);
  }
  quit_app (app, NULL);
  g_assert_true (td_desktop_wait_for_name (APPLICATION_ID, FALSE, WAIT_MS));
}

/* Ten callers at once: D-Bus, the command line and the app's copy action
 * (the window's and the tray's) → one renewal --------------------------------- */

static void
test_ten_callers (void)
{
  g_autoptr(GSubprocess) app = NULL;
  g_autoptr(GPtrArray) calls = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(GPtrArray) tokens = g_ptr_array_new_with_free_func (g_free);
  g_autofree char *id = NULL;
  g_autofree char *copy_target = NULL;
  g_autofree char *clipboard = NULL;
  guint refreshes, auths;

  remove_accounts ();
  /* The stored token too short for anyone; the renewed one long. */
  td_test_sim_config (sim, "{\"vendor\":\"coverwhale\",\"lifetime_s\":60}");
  add_account (NULL, "Ten");
  id = account_id_for ("Ten");
  app = start_app ();
  {
    /* The app has read its accounts once it answers. */
    g_autoptr(Result) result = gdbus (NULL, METHOD ("ListAccounts"), NULL, NULL);

    g_assert_cmpint (result->status, ==, 0);
  }

  td_test_sim_config (sim, "{\"vendor\":\"coverwhale\",\"lifetime_s\":3600,"
                      "\"latency_ms\":1500}");
  refreshes = td_test_sim_count (sim, "coverwhale/refresh");
  auths = td_test_sim_count (sim, "coverwhale/authentication");

  copy_target = g_strdup_printf ("[<'%s'>]", id);
  for (guint i = 0; i < 4; i++)
    g_ptr_array_add (calls, spawn_gdbus (NULL, METHOD ("GetToken"), "Ten", "300"));
  for (guint i = 0; i < 4; i++)
    g_ptr_array_add (calls, spawn_cli_token (NULL, "Ten"));
  for (guint i = 0; i < 2; i++)
    {
      const char *argv[] = {
        "gdbus", "call", "--session", "--dest", APPLICATION_ID,
        "--object-path", TD_DBUS_SERVICE_PATH, "--method", "org.gtk.Actions.Activate",
        "copy-token", copy_target, "{}", NULL
      };

      g_ptr_array_add (calls, spawn_on (NULL, NULL, argv));
    }

  for (guint i = 0; i < calls->len; i++)
    {
      g_autoptr(Result) result = finish (g_ptr_array_index (calls, i));
      char *token = NULL;

      g_assert_cmpint (result->status, ==, 0);
      if (i < 4)
        {
          g_autofree char *header = NULL;
          gint64 expires_at;

          parse_token (result, &token, &expires_at, &header);
        }
      else if (i < 8)
        token = g_strdup (g_strstrip (result->out));
      if (token != NULL)
        g_ptr_array_add (tokens, token);
    }

  /* The copies: on the clipboard once the renewal is done. */
  for (int i = 0; i < 100; i++)
    {
      g_free (clipboard);
      clipboard = td_desktop_run ("xclip", "-selection", "clipboard", "-o", NULL);
      if (g_strcmp0 (clipboard, g_ptr_array_index (tokens, 0)) == 0)
        break;
      td_test_run_for (100);
    }
  g_assert_cmpstr (clipboard, ==, g_ptr_array_index (tokens, 0));

  g_assert_cmpuint (td_test_sim_count (sim, "coverwhale/refresh"), ==, refreshes + 1);
  /* Cover Whale's refresh is a call to its authentication endpoint. */
  g_assert_cmpuint (td_test_sim_count (sim, "coverwhale/authentication"), ==, auths + 1);
  for (guint i = 0; i < tokens->len; i++)
    g_assert_cmpstr (g_ptr_array_index (tokens, i), ==, g_ptr_array_index (tokens, 0));
  g_assert_cmpuint (use_token (g_ptr_array_index (tokens, 0)), ==, 200);

  quit_app (app, NULL);
  g_assert_true (td_desktop_wait_for_name (APPLICATION_ID, FALSE, WAIT_MS));
}

/* D-Bus activation without a window ------------------------------------------- */

static guint32
pid_of (GDBusConnection *connection,
        const char      *name)
{
  g_autoptr(GVariant) reply = NULL;
  g_autoptr(GError) error = NULL;
  guint32 pid;

  reply = g_dbus_connection_call_sync (connection, "org.freedesktop.DBus",
                                       "/org/freedesktop/DBus", "org.freedesktop.DBus",
                                       "GetConnectionUnixProcessID", g_variant_new ("(s)", name),
                                       G_VARIANT_TYPE ("(u)"), G_DBUS_CALL_FLAGS_NONE, -1,
                                       NULL, &error);
  if (reply == NULL)
    return 0;
  g_variant_get (reply, "(u)", &pid);

  return pid;
}

/* A session bus that activates the app from the build, as the installed
 * data/io.github.tokendesk.TokenDesk.service does, with a keyring. */
static TdTestBus *
activating_bus_start (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *services = g_build_filename (test_dir, "services", NULL);
  g_autofree char *service = NULL;
  g_autofree char *path = NULL;

  g_assert_cmpint (g_mkdir_with_parents (services, 0700), ==, 0);
  service = g_strdup_printf ("[D-BUS Service]\nName=%s\nExec=%s --gapplication-service\n",
                             APPLICATION_ID, TOKENDESK_PATH);
  path = g_build_filename (services, APPLICATION_ID ".service", NULL);
  g_file_set_contents (path, service, -1, &error);
  g_assert_no_error (error);

  return td_test_bus_start (TRUE, services);
}

static void
test_activation (void)
{
  g_autoptr(TdTestBus) bus = NULL;
  g_autoptr(GDBusConnection) connection = NULL;
  g_autofree char *token = NULL;
  g_autofree char *header = NULL;
  gint64 expires_at;
  guint32 pid;

  if (!td_test_have_program ("dbus-daemon"))
    {
      g_test_skip ("dbus-daemon is missing");
      return;
    }

  remove_accounts ();
  td_test_sim_config (sim, "{\"vendor\":\"coverwhale\",\"lifetime_s\":3600}");
  bus = activating_bus_start ();
  connection = td_test_bus_connect (bus);
  add_account (bus->address, "Activated");
  g_assert_cmpuint (pid_of (connection, APPLICATION_ID), ==, 0);

  /* The call starts the app, which answers it. */
  {
    g_autoptr(Result) result = gdbus (bus->address, METHOD ("GetToken"), "Activated", "300");

    parse_token (result, &token, &expires_at, &header);
  }
  g_assert_cmpuint (use_token (token), ==, 200);
  pid = pid_of (connection, APPLICATION_ID);
  g_assert_cmpuint (pid, >, 0);

  /* Without a window, also a moment later. */
  td_test_run_for (500);
  g_assert_cmpuint (td_desktop_count_windows_of (pid), ==, 0);

  /* And the errors there too. */
  {
    g_autoptr(Result) result = gdbus (bus->address, METHOD ("GetToken"), "Nobody", "300");

    assert_dbus_error (result, "NoSuchAccount", NULL);
  }
  g_assert_cmpuint (td_desktop_count_windows_of (pid), ==, 0);

  /* Quit (the tray's, or Ctrl+Q) ends it at once, not after the
   * inactivity timeout of 30 s that keeps an activated app around. */
  {
    g_autoptr(GVariant) reply = NULL;
    g_autoptr(GError) error = NULL;

    reply = g_dbus_connection_call_sync (connection, APPLICATION_ID,
                                         "/io/github/tokendesk/TokenDesk", "org.gtk.Actions",
                                         "Activate",
                                         g_variant_new ("(s@av@a{sv})", "quit",
                                                        g_variant_new_array (G_VARIANT_TYPE_VARIANT,
                                                                             NULL, 0),
                                                        g_variant_new_array (G_VARIANT_TYPE ("{sv}"),
                                                                             NULL, 0)),
                                         NULL, G_DBUS_CALL_FLAGS_NONE, 5000, NULL, &error);
    g_assert_no_error (error);
  }
  for (int i = 0; i < 250 && pid_of (connection, APPLICATION_ID) != 0; i++)
    td_test_run_for (20);
  g_assert_cmpuint (pid_of (connection, APPLICATION_ID), ==, 0);

  g_clear_object (&connection);
}

/* Setup --------------------------------------------------------------------------- */

static void
run_test (gconstpointer data)
{
  void (*test) (void) = data;

  td_test_sim_reset (sim);
  test ();
}

int
main (int   argc,
      char *argv[])
{
  g_autofree char *config_dir = NULL;
  g_autoptr(GError) error = NULL;
  int status;

  /* Before anything reads it: the account file of this test, for the app
   * and the command line it starts. */
  test_dir = g_dir_make_tmp ("tokendesk-dbus-XXXXXX", &error);
  g_assert_no_error (error);
  config_dir = g_build_filename (test_dir, "config", NULL);
  g_assert_cmpint (g_mkdir_with_parents (config_dir, 0700), ==, 0);
  g_setenv ("XDG_CONFIG_HOME", config_dir, TRUE);
  g_setenv ("TOKENDESK_HTTP_TIMEOUT", "5", TRUE);

  g_test_init (&argc, &argv, NULL);
  gtk_init ();

  if (g_getenv ("TD_HEADLESS_SESSION") == NULL || gdk_display_get_default () == NULL ||
      !GDK_IS_X11_DISPLAY (gdk_display_get_default ()))
    {
      g_print ("1..0 # SKIP run inside tests/headless-session\n");
      td_test_rm_rf (test_dir);
      return 0;
    }

  sim = td_test_sim_start ("--quiet", NULL);

  g_test_add_data_func ("/desktop/dbus/methods", test_methods, run_test);
  g_test_add_data_func ("/desktop/dbus/ten-callers", test_ten_callers, run_test);
  g_test_add_data_func ("/desktop/dbus/activation", test_activation, run_test);

  status = g_test_run ();

  td_test_sim_stop (sim);
  td_test_rm_rf (test_dir);
  g_free (test_dir);

  return status;
}
