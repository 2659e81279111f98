/* td-test-util.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <glib/gstdio.h>
#include <signal.h>
#include <string.h>

#include "td-test-util.h"
#include "td-vendors.h"

void
td_test_init (int    *argc,
              char ***argv)
{
  /* Each test gets its own HOME and XDG folders, removed afterwards. */
  g_test_init (argc, argv, NULL);
  td_vendors_init ();
}

gboolean
td_test_wait_until (TdTestCondition condition,
                    gpointer        user_data,
                    guint           timeout_ms)
{
  return td_test_sim_wait_until (NULL, condition, user_data, timeout_ms);
}

static gboolean
never (gpointer user_data)
{
  return FALSE;
}

void
td_test_run_for (guint ms)
{
  td_test_wait_until (never, NULL, ms);
}

void
td_test_result_cb (GObject      *source,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  GAsyncResult **slot = user_data;

  g_assert_null (*slot);
  *slot = g_object_ref (result);
}

static gboolean
slot_is_set (gpointer user_data)
{
  GAsyncResult **slot = user_data;

  return *slot != NULL;
}

GAsyncResult *
td_test_wait_result (GAsyncResult **slot)
{
  if (!td_test_wait_until (slot_is_set, slot, TD_TEST_WAIT_SECONDS * 1000))
    g_error ("no answer within %d seconds", TD_TEST_WAIT_SECONDS);

  return g_steal_pointer (slot);
}

TdProvider *
td_test_provider (const char *vendor)
{
  TdProvider *provider = td_provider_get_for_vendor (vendor);

  g_assert_nonnull (provider);
  return provider;
}

TdAccount *
td_test_account_new (TdTestSim  *sim,
                     const char *vendor,
                     const char *username)
{
  TdAccount *account = td_account_new (NULL, vendor);
  g_autofree char *base = td_test_sim_dup_base (sim, vendor);

  td_account_set_endpoint (account, base);
  td_account_set_username (account, username);
  td_account_set_display_name (account, username);

  return account;
}

TdTokens *
td_test_login (TdAccount   *account,
               const char  *password,
               const char  *new_password,
               GError     **error)
{
  TdProvider *provider = td_test_provider (td_account_get_vendor (account));
  g_autoptr(GAsyncResult) result = NULL;
  GAsyncResult *slot = NULL;

  td_provider_login_async (provider, account, password, new_password, NULL,
                           td_test_result_cb, &slot);
  result = td_test_wait_result (&slot);

  return td_provider_login_finish (provider, result, error);
}

TdTokens *
td_test_refresh (TdAccount   *account,
                 const char  *refresh_token,
                 GError     **error)
{
  TdProvider *provider = td_test_provider (td_account_get_vendor (account));
  g_autoptr(GAsyncResult) result = NULL;
  GAsyncResult *slot = NULL;

  td_provider_refresh_async (provider, account, refresh_token, NULL, td_test_result_cb, &slot);
  result = td_test_wait_result (&slot);

  return td_provider_refresh_finish (provider, result, error);
}

gboolean
td_test_request_password_reset (TdAccount  *account,
                                GError    **error)
{
  TdProvider *provider = td_test_provider (td_account_get_vendor (account));
  g_autoptr(GAsyncResult) result = NULL;
  GAsyncResult *slot = NULL;

  td_provider_request_password_reset_async (provider, account, NULL, td_test_result_cb, &slot);
  result = td_test_wait_result (&slot);

  return td_provider_request_password_reset_finish (provider, result, error);
}

gboolean
td_test_reset_password (TdAccount   *account,
                        const char  *code,
                        const char  *new_password,
                        GError     **error)
{
  TdProvider *provider = td_test_provider (td_account_get_vendor (account));
  g_autoptr(GAsyncResult) result = NULL;
  GAsyncResult *slot = NULL;

  td_provider_reset_password_async (provider, account, code, new_password, NULL,
                                    td_test_result_cb, &slot);
  result = td_test_wait_result (&slot);

  return td_provider_reset_password_finish (provider, result, error);
}

gboolean
td_test_manager_sign_in (TdTokenManager  *manager,
                         TdAccount       *account,
                         const char      *password,
                         GError         **error)
{
  g_autoptr(GAsyncResult) result = NULL;
  GAsyncResult *slot = NULL;

  td_token_manager_sign_in_async (manager, account, password, NULL, NULL,
                                  td_test_result_cb, &slot);
  result = td_test_wait_result (&slot);

  return td_token_manager_sign_in_finish (manager, result, error);
}

gboolean
td_test_manager_renew (TdTokenManager  *manager,
                       TdAccount       *account,
                       GError         **error)
{
  g_autoptr(GAsyncResult) result = NULL;
  GAsyncResult *slot = NULL;

  td_token_manager_renew_async (manager, account, NULL, td_test_result_cb, &slot);
  result = td_test_wait_result (&slot);

  return td_token_manager_renew_finish (manager, result, error);
}

char *
td_test_manager_get_token (TdTokenManager  *manager,
                           TdAccount       *account,
                           guint            min_valid,
                           GError         **error)
{
  g_autoptr(GAsyncResult) result = NULL;
  GAsyncResult *slot = NULL;

  td_token_manager_get_token_async (manager, account, min_valid, NULL, td_test_result_cb, &slot);
  result = td_test_wait_result (&slot);

  return td_token_manager_get_token_finish (manager, result, error);
}

guint
td_test_use_token_as_provider (TdTestSim  *sim,
                               const char *vendor,
                               const char *token)
{
  TdProvider *provider = td_test_provider (vendor);
  g_autofree char *value = td_provider_format_header_value (provider, token);

  return td_test_sim_use_token (sim, vendor, td_provider_get_header_name (provider), value,
                                NULL);
}

JsonObject *
td_test_sim_last (TdTestSim  *sim,
                  const char *vendor)
{
  g_autofree char *path = g_strconcat ("/_sim/last?vendor=", vendor, NULL);
  g_autoptr(JsonNode) answer = td_test_sim_control (sim, "GET", path, NULL);

  g_assert_true (JSON_NODE_HOLDS_OBJECT (answer));
  return json_object_ref (json_node_get_object (answer));
}

int
td_test_slowdown (void)
{
  const char *text = g_getenv ("TD_TEST_SLOWDOWN");
  guint64 factor;

  if (text == NULL || !g_ascii_string_to_unsigned (text, 10, 1, 100, &factor, NULL))
    return 1;

  return (int) factor;
}

gboolean
td_test_have_program (const char *program)
{
  g_autofree char *path = g_find_program_in_path (program);

  return path != NULL;
}

void
td_test_rm_rf (const char *path)
{
  g_autoptr(GDir) dir = g_dir_open (path, 0, NULL);
  const char *name;

  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *child = g_build_filename (path, name, NULL);

      if (g_file_test (child, G_FILE_TEST_IS_DIR) && !g_file_test (child, G_FILE_TEST_IS_SYMLINK))
        td_test_rm_rf (child);
      else
        g_unlink (child);
    }

  g_rmdir (path);
}

gint64
td_test_now (void)
{
  return g_get_real_time () / G_USEC_PER_SEC;
}

gboolean
td_test_tokens_equal (const TdTokens *a,
                      const TdTokens *b)
{
  if (a == NULL || b == NULL)
    return a == b;

  return g_strcmp0 (a->access_token, b->access_token) == 0 &&
         g_strcmp0 (a->id_token, b->id_token) == 0 &&
         g_strcmp0 (a->refresh_token, b->refresh_token) == 0 &&
         a->expires_at == b->expires_at;
}

void
td_test_assert_td_error_impl (const char   *strloc,
                              const GError *error,
                              TdError       code,
                              const char   *vendor_name,
                              const char   *text)
{
  if (error == NULL)
    g_error ("%s: expected TD_ERROR %s, got no error", strloc, td_error_code_to_string (code));

  g_test_message ("%s: %s", td_error_code_to_string (error->code), error->message);

  if (error->domain != TD_ERROR || error->code != (int) code)
    g_error ("%s: expected TD_ERROR %s, got %s %d (%s): %s", strloc,
             td_error_code_to_string (code), g_quark_to_string (error->domain), error->code,
             error->domain == TD_ERROR ? td_error_code_to_string (error->code) : "-",
             error->message);

  if (vendor_name != NULL && strstr (error->message, vendor_name) == NULL)
    g_error ("%s: the message does not name %s: %s", strloc, vendor_name, error->message);

  if (text != NULL && strstr (error->message, text) == NULL)
    g_error ("%s: the message does not contain “%s”: %s", strloc, text, error->message);
}

void
td_test_assert_clock_said (const char *text,
                           gint64      offset)
{
  g_autofree char *exact = NULL;
  g_autofree char *late = NULL;

  exact = g_strdup_printf ("clock is %" G_GINT64_FORMAT " s %s", ABS (offset),
                           offset > 0 ? "ahead" : "behind");
  late = g_strdup_printf ("clock is %" G_GINT64_FORMAT " s %s", ABS (offset + 1),
                          offset + 1 > 0 ? "ahead" : "behind");

  if (strstr (text, exact) == NULL && strstr (text, late) == NULL)
    g_error ("expected “%s” or “%s”, got: %s", exact, late, text);
}

/* A private session bus -------------------------------------------------- */

void
td_test_bus_stop (TdTestBus *bus)
{
  if (bus->keyring_pid > 0)
    kill (bus->keyring_pid, SIGTERM);
  if (bus->bus != NULL)
    {
      g_subprocess_send_signal (bus->bus, SIGTERM);
      g_subprocess_wait (bus->bus, NULL, NULL);
      g_clear_object (&bus->bus);
    }
  td_test_rm_rf (bus->dir);
  g_free (bus->dir);
  g_free (bus->runtime_dir);
  g_free (bus->address);
  g_free (bus);
}

GDBusConnection *
td_test_bus_connect (TdTestBus *bus)
{
  g_autoptr(GError) error = NULL;
  GDBusConnection *connection;

  connection =
    g_dbus_connection_new_for_address_sync (bus->address,
                                            G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT |
                                            G_DBUS_CONNECTION_FLAGS_MESSAGE_BUS_CONNECTION,
                                            NULL, NULL, &error);
  g_assert_no_error (error);
  return connection;
}

static void
run_keyring_daemon (TdTestBus  *bus,
                    const char *argument,
                    const char *input)
{
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autoptr(GSubprocess) process = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *data_dir = g_build_filename (bus->dir, "data", NULL);

  /* Its stderr too: "discover_other_daemon: 1" at each start says only
   * that --start found the daemon --unlock made. */
  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDIN_PIPE |
                                        G_SUBPROCESS_FLAGS_STDOUT_SILENCE |
                                        G_SUBPROCESS_FLAGS_STDERR_SILENCE);
  g_subprocess_launcher_setenv (launcher, "DBUS_SESSION_BUS_ADDRESS", bus->address, TRUE);
  g_subprocess_launcher_setenv (launcher, "XDG_RUNTIME_DIR", bus->runtime_dir, TRUE);
  g_subprocess_launcher_setenv (launcher, "XDG_DATA_HOME", data_dir, TRUE);
  process = g_subprocess_launcher_spawn (launcher, &error, "gnome-keyring-daemon", argument,
                                         "--components=secrets", NULL);
  g_assert_no_error (error);
  g_subprocess_communicate_utf8 (process, input, NULL, NULL, NULL, &error);
  g_assert_no_error (error);
}

/* As tests/headless-session does: both steps, and a password. On a
 * keyring already made, the same password unlocks it again. */
static void
start_keyring (TdTestBus *bus)
{
  g_autoptr(GDBusConnection) connection = NULL;
  g_autoptr(GVariant) reply = NULL;
  g_autoptr(GError) error = NULL;

  run_keyring_daemon (bus, "--unlock", "private-keyring-password");
  run_keyring_daemon (bus, "--start", "");

  connection = td_test_bus_connect (bus);
  for (int i = 0; i < 100; i++)
    {
      g_clear_pointer (&reply, g_variant_unref);
      g_clear_error (&error);
      reply = g_dbus_connection_call_sync (connection, "org.freedesktop.DBus",
                                           "/org/freedesktop/DBus", "org.freedesktop.DBus",
                                           "GetConnectionUnixProcessID",
                                           g_variant_new ("(s)", "org.freedesktop.secrets"),
                                           G_VARIANT_TYPE ("(u)"), G_DBUS_CALL_FLAGS_NONE,
                                           -1, NULL, &error);
      if (reply != NULL)
        break;
      g_usleep (50 * 1000);
    }
  g_assert_no_error (error);
  g_variant_get (reply, "(u)", &bus->keyring_pid);
}

TdTestBus *
td_test_bus_start (gboolean    with_keyring,
                   const char *service_dir)
{
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autoptr(GDataInputStream) lines = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *config = NULL;
  g_autofree char *config_path = NULL;
  TdTestBus *bus = g_new0 (TdTestBus, 1);
  g_autofree char *services = NULL;

  bus->dir = g_dir_make_tmp ("td-test-bus-XXXXXX", &error);
  g_assert_no_error (error);
  bus->runtime_dir = g_build_filename (bus->dir, "runtime", NULL);
  g_assert_cmpint (g_mkdir (bus->runtime_dir, 0700), ==, 0);

  /* Without service_dir nothing is activated, so without a keyring
   * started here the bus has no Secret Service at all. */
  if (service_dir != NULL)
    services = g_markup_printf_escaped ("  <servicedir>%s</servicedir>\n", service_dir);
  config = g_strdup_printf ("<!DOCTYPE busconfig PUBLIC "
                            "\"-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN\"\n"
                            " \"http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd\">\n"
                            "<busconfig>\n"
                            "  <type>session</type>\n"
                            "  <listen>unix:dir=%s</listen>\n"
                            "  <auth>EXTERNAL</auth>\n"
                            "%s"
                            "  <policy context=\"default\">\n"
                            "    <allow send_destination=\"*\" eavesdrop=\"true\"/>\n"
                            "    <allow eavesdrop=\"true\"/>\n"
                            "    <allow own=\"*\"/>\n"
                            "  </policy>\n"
                            "</busconfig>\n", bus->runtime_dir, services ? services : "");
  config_path = g_build_filename (bus->dir, "bus.conf", NULL);
  g_file_set_contents (config_path, config, -1, &error);
  g_assert_no_error (error);

  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE |
                                        G_SUBPROCESS_FLAGS_STDERR_SILENCE);
  bus->bus = g_subprocess_launcher_spawn (launcher, &error, "dbus-daemon", "--nofork",
                                          "--print-address=1", "--config-file", config_path,
                                          NULL);
  g_assert_no_error (error);

  lines = g_data_input_stream_new (g_subprocess_get_stdout_pipe (bus->bus));
  bus->address = g_data_input_stream_read_line_utf8 (lines, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (bus->address);

  if (with_keyring)
    start_keyring (bus);

  return bus;
}

void
td_test_bus_kill_keyring (TdTestBus *bus)
{
  g_autoptr(GDBusConnection) connection = td_test_bus_connect (bus);

  g_assert_cmpint (bus->keyring_pid, >, 0);
  kill (bus->keyring_pid, SIGKILL);

  /* Its name goes when the bus sees its connection close; a daemon
   * started again before that would find the old one still registered. */
  for (int i = 0; i < 200; i++)
    {
      g_autoptr(GVariant) reply = NULL;
      g_autoptr(GError) error = NULL;
      gboolean has_owner;

      reply = g_dbus_connection_call_sync (connection, "org.freedesktop.DBus",
                                           "/org/freedesktop/DBus", "org.freedesktop.DBus",
                                           "NameHasOwner",
                                           g_variant_new ("(s)", "org.freedesktop.secrets"),
                                           G_VARIANT_TYPE ("(b)"), G_DBUS_CALL_FLAGS_NONE,
                                           -1, NULL, &error);
      g_assert_no_error (error);
      g_variant_get (reply, "(b)", &has_owner);
      if (!has_owner)
        {
          bus->keyring_pid = 0;
          return;
        }
      g_usleep (10 * 1000);
    }

  g_error ("the killed gnome-keyring-daemon still owns its name after 2 s");
}

void
td_test_bus_start_keyring (TdTestBus *bus)
{
  g_assert_cmpint (bus->keyring_pid, ==, 0);
  start_keyring (bus);
}

/* Names on a bus, and logind ---------------------------------------------- */

#define LOGIND_NAME "org.freedesktop.login1"

typedef struct
{
  GDBusConnection *bus;
  const char      *name;
  gboolean         present;
} NameWait;

static gboolean
name_is (gpointer data)
{
  NameWait *wait = data;
  g_autoptr(GVariant) reply = NULL;
  g_autoptr(GError) error = NULL;
  gboolean has_owner;

  /* The bus answers this itself: a blocking call cannot wait on us. */
  reply = g_dbus_connection_call_sync (wait->bus, "org.freedesktop.DBus", "/org/freedesktop/DBus",
                                       "org.freedesktop.DBus", "NameHasOwner",
                                       g_variant_new ("(s)", wait->name), G_VARIANT_TYPE ("(b)"),
                                       G_DBUS_CALL_FLAGS_NONE, -1, NULL, &error);
  g_assert_no_error (error);
  g_variant_get (reply, "(b)", &has_owner);

  return has_owner == wait->present;
}

static gboolean
tick_cb (gpointer data)
{
  return G_SOURCE_CONTINUE;
}

gboolean
td_test_wait_for_name (GBusType    bus_type,
                       const char *name,
                       gboolean    present,
                       guint       timeout_ms)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GDBusConnection) bus = g_bus_get_sync (bus_type, NULL, &error);
  NameWait wait = { bus, name, present };
  guint tick;
  gboolean met;

  g_assert_no_error (error);

  /* Checked every 20 ms: a name coming is no event of this main loop. */
  tick = g_timeout_add (20, tick_cb, NULL);
  met = td_test_sim_wait_until (NULL, name_is, &wait, timeout_ms);
  g_source_remove (tick);

  return met;
}

GSubprocess *
td_test_logind_start (void)
{
  g_autoptr(GSubprocess) logind = NULL;
  g_autoptr(GError) error = NULL;

  /* tests/headless-session's own system bus, never the machine's. */
  g_assert_nonnull (g_getenv ("DBUS_SYSTEM_BUS_ADDRESS"));
  g_assert_true (td_test_wait_for_name (G_BUS_TYPE_SYSTEM, LOGIND_NAME, FALSE, 0));

  logind = g_subprocess_new (G_SUBPROCESS_FLAGS_STDOUT_SILENCE, &error,
                             "/usr/bin/python3", "-m", "dbusmock", "--system",
                             "--template", "logind", NULL);
  g_assert_no_error (error);
  if (!td_test_wait_for_name (G_BUS_TYPE_SYSTEM, LOGIND_NAME, TRUE, 10000))
    g_error ("logind (python3-dbusmock) did not come up");

  return g_steal_pointer (&logind);
}

void
td_test_logind_prepare_for_sleep (gboolean start)
{
  g_autoptr(GDBusConnection) bus = g_bus_get_sync (G_BUS_TYPE_SYSTEM, NULL, NULL);
  g_autoptr(GVariant) reply = NULL;
  g_autoptr(GError) error = NULL;
  GVariantBuilder args;

  g_variant_builder_init (&args, G_VARIANT_TYPE ("av"));
  g_variant_builder_add (&args, "v", g_variant_new_boolean (start));
  reply = g_dbus_connection_call_sync (bus, LOGIND_NAME, "/org/freedesktop/login1",
                                       "org.freedesktop.DBus.Mock", "EmitSignal",
                                       g_variant_new ("(sssav)", "org.freedesktop.login1.Manager",
                                                      "PrepareForSleep", "b", &args),
                                       NULL, G_DBUS_CALL_FLAGS_NONE, 5000, NULL, &error);
  g_assert_no_error (error);
}
