/* test-background.c: running in the background and starting at login —
 * the real tokendesk-app started with --background and driven over its
 * bus name, Start at Login in the real Preferences window, and the
 * Background portal asked from a fake Flatpak sandbox
 *
 * Inside tests/headless-session. The portal tests start the portal stack
 * (DESKTOP-TESTING.md: xdg-permission-store, xdg-desktop-portal-gtk,
 * -gnome and xdg-desktop-portal, with XDG_CURRENT_DESKTOP=GNOME) and run
 * their window half in a child of this binary under
 * tests/desktop/fake-flatpak-run, which sees /.flatpak-info; the parent
 * presets the permission store and checks what the child reports.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <adwaita.h>
#include <gdk/x11/gdkx.h>
#include <glib/gstdio.h>
#include <signal.h>
#include <unistd.h>
#include <X11/Xatom.h>
#include <X11/Xlib.h>

#include "td-application.h"
#include "td-desktop-test-util.h"
#include "td-preferences-window.h"
#include "td-test-util.h"
#include "td-ui-test-util.h"
#include "td-vendors.h"

#define WAIT_MS TD_UI_TEST_WAIT_MS

static char *test_dir;
static TdApplication *app;         /* in this process, made when first needed */
static GPtrArray *portal_stack;    /* GSubprocess, started when first needed */

static const char *refusal = "Token Desk is not allowed to run in the background.";

/* Waiting ---------------------------------------------------------------- */

static gboolean
never (gpointer data)
{
  return FALSE;
}

static void
run_for (guint ms)
{
  td_ui_test_wait_until (never, NULL, ms);
}

static void
wait_until (TdTestCondition  condition,
            gpointer         data,
            const char      *what)
{
  if (!td_ui_test_wait_until (condition, data, WAIT_MS))
    g_error ("Timed out waiting for %s", what);
}

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

static gboolean
name_has_owner (gpointer name)
{
  g_autoptr(GVariant) reply = NULL;
  gboolean owned = FALSE;

  reply = g_dbus_connection_call_sync (session_bus (), "org.freedesktop.DBus",
                                       "/org/freedesktop/DBus", "org.freedesktop.DBus",
                                       "NameHasOwner", g_variant_new ("(s)", (const char *) name),
                                       G_VARIANT_TYPE ("(b)"), G_DBUS_CALL_FLAGS_NONE, -1,
                                       NULL, NULL);
  if (reply != NULL)
    g_variant_get (reply, "(b)", &owned);

  return owned;
}

static gboolean
name_has_no_owner (gpointer name)
{
  return !name_has_owner (name);
}

/* The autostart entry ---------------------------------------------------- */

static char *
entry_path (void)
{
  return g_build_filename (g_get_user_config_dir (), "autostart",
                           APPLICATION_ID ".desktop", NULL);
}

static gboolean
entry_exists (void)
{
  g_autofree char *path = entry_path ();

  return g_file_test (path, G_FILE_TEST_EXISTS);
}

static void
remove_entry (void)
{
  g_autofree char *path = entry_path ();

  g_unlink (path);
}

/* The entry starts the app in the background, by exec_start (the path of
 * the app outside Flatpak, `flatpak run …` inside), and names the app in
 * id_key (our Icon; the portal writes X-Flatpak). */
static void
assert_entry (const char *exec_start,
              const char *id_key)
{
  g_autoptr(GKeyFile) keyfile = g_key_file_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *path = entry_path ();
  g_autofree char *exec = NULL;
  g_autofree char *id = NULL;

  g_key_file_load_from_file (keyfile, path, G_KEY_FILE_NONE, &error);
  g_assert_no_error (error);
  {
    g_autofree char *contents = g_key_file_to_data (keyfile, NULL, NULL);

    g_test_message ("%s:\n%s", path, contents);
  }

  exec = g_key_file_get_string (keyfile, G_KEY_FILE_DESKTOP_GROUP, "Exec", &error);
  g_assert_no_error (error);
  g_test_message ("Exec=%s", exec);
  g_assert_true (g_str_has_prefix (exec, exec_start));
  g_assert_true (g_str_has_suffix (exec, " --background"));
  g_assert_nonnull (strstr (exec, TOKENDESK_APP_PATH));

  id = g_key_file_get_string (keyfile, G_KEY_FILE_DESKTOP_GROUP, id_key, NULL);
  g_assert_cmpstr (id, ==, APPLICATION_ID);
  g_assert_true (g_key_file_get_boolean (keyfile, G_KEY_FILE_DESKTOP_GROUP,
                                         "X-GNOME-Autostart-enabled", NULL) ||
                 !g_key_file_has_key (keyfile, G_KEY_FILE_DESKTOP_GROUP,
                                      "X-GNOME-Autostart-enabled", NULL));
  g_assert_false (g_key_file_get_boolean (keyfile, G_KEY_FILE_DESKTOP_GROUP, "Hidden", NULL));
}

/* The Preferences window, in this process -------------------------------- */

static GSettings *
settings (void)
{
  return td_application_get_settings (app);
}

static void
ensure_app (const char *application_id)
{
  if (app == NULL)
    td_ui_test_start_app (application_id, 0, 0, &app);
}

static gboolean
is_active (gpointer window)
{
  return gtk_window_is_active (window);
}

static AdwPreferencesWindow *
open_preferences (void)
{
  AdwPreferencesWindow *preferences;

  g_action_group_activate_action (G_ACTION_GROUP (app), "preferences", NULL);
  preferences = td_ui_test_find_toplevel (TD_TYPE_PREFERENCES_WINDOW);
  g_assert_nonnull (preferences);
  /* The portal is asked for a focused window. */
  wait_until (is_active, preferences, "Preferences to have the focus");

  return preferences;
}

static AdwPreferencesRow *
find_row (GtkWidget  *widget,
          const char *title)
{
  if (ADW_IS_PREFERENCES_ROW (widget) &&
      g_strcmp0 (adw_preferences_row_get_title (ADW_PREFERENCES_ROW (widget)), title) == 0)
    return ADW_PREFERENCES_ROW (widget);

  for (GtkWidget *child = gtk_widget_get_first_child (widget); child;
       child = gtk_widget_get_next_sibling (child))
    {
      AdwPreferencesRow *row = find_row (child, title);

      if (row != NULL)
        return row;
    }

  return NULL;
}

static AdwActionRow *
autostart_row (gpointer preferences)
{
  AdwPreferencesRow *row = find_row (preferences, "_Start at Login");

  g_assert_true (ADW_IS_ACTION_ROW (row));
  return ADW_ACTION_ROW (row);
}

static GtkSwitch *
autostart_switch (gpointer preferences)
{
  GtkWidget *widget = adw_action_row_get_activatable_widget (autostart_row (preferences));

  g_assert_true (GTK_IS_SWITCH (widget));
  return GTK_SWITCH (widget);
}

static gboolean
row_sensitive (gpointer row)
{
  return gtk_widget_get_sensitive (row);
}

/* Flips the switch as a click or Space would, and waits for the change to
 * be made or refused: the row is insensitive meanwhile. */
static void
flip_autostart (gpointer preferences)
{
  AdwActionRow *row = autostart_row (preferences);

  gboolean was = gtk_switch_get_active (autostart_switch (preferences));

  g_assert_true (gtk_widget_get_sensitive (GTK_WIDGET (row)));
  gtk_widget_activate (GTK_WIDGET (autostart_switch (preferences)));
  /* Asked at once: busy until it is done. */
  g_assert_true (gtk_switch_get_active (autostart_switch (preferences)) != was);
  g_assert_false (gtk_widget_get_sensitive (GTK_WIDGET (row)));
  wait_until (row_sensitive, row, "Start at Login to be done");
}

static gboolean
switch_off (gpointer preferences)
{
  return !gtk_switch_get_active (autostart_switch (preferences));
}

static gboolean
switch_on (gpointer preferences)
{
  return gtk_switch_get_active (autostart_switch (preferences));
}

/* Outside Flatpak: the entry of our own ---------------------------------- */

static void
test_autostart_entry (void)
{
  gpointer preferences;

  ensure_app ("io.github.tokendesk.TokenDesk.DesktopTest");
  remove_entry ();
  g_settings_reset (settings (), "start-at-login");

  preferences = open_preferences ();
  g_assert_false (gtk_switch_get_active (autostart_switch (preferences)));

  flip_autostart (preferences);
  g_assert_true (gtk_switch_get_active (autostart_switch (preferences)));
  g_assert_true (g_settings_get_boolean (settings (), "start-at-login"));
  g_assert_cmpstr (adw_action_row_get_subtitle (autostart_row (preferences)), !=, refusal);
  assert_entry (TOKENDESK_APP_PATH, "Icon");

  flip_autostart (preferences);
  g_assert_false (gtk_switch_get_active (autostart_switch (preferences)));
  g_assert_false (g_settings_get_boolean (settings (), "start-at-login"));
  g_assert_false (entry_exists ());

  td_ui_test_close_window (preferences);
}

/* The user removes the entry with another tool, or adds one: the switch
 * shows what is there the next time Preferences opens. */
static void
test_autostart_entry_changed_behind_its_back (void)
{
  gpointer preferences;

  ensure_app ("io.github.tokendesk.TokenDesk.DesktopTest");
  remove_entry ();
  g_settings_reset (settings (), "start-at-login");

  preferences = open_preferences ();
  flip_autostart (preferences);
  g_assert_true (entry_exists ());
  td_ui_test_close_window (preferences);

  remove_entry ();
  preferences = open_preferences ();
  wait_until (switch_off, preferences, "the switch to show the entry gone");
  g_assert_false (g_settings_get_boolean (settings (), "start-at-login"));
  td_ui_test_close_window (preferences);

  {
    g_autofree char *path = entry_path ();
    g_autoptr(GError) error = NULL;

    g_file_set_contents (path, "[Desktop Entry]\nType=Application\nName=Token Desk\n"
                         "Exec=tokendesk-app --background\n", -1, &error);
    g_assert_no_error (error);
  }
  preferences = open_preferences ();
  wait_until (switch_on, preferences, "the switch to show the entry back");
  g_assert_true (g_settings_get_boolean (settings (), "start-at-login"));
  td_ui_test_close_window (preferences);

  remove_entry ();
}

/* A file where the autostart folder should be: the entry cannot be
 * written, the user is told, and the switch goes back off. */
static void
test_autostart_entry_not_written (void)
{
  g_autofree char *folder = g_build_filename (g_get_user_config_dir (), "autostart", NULL);
  g_autoptr(GError) error = NULL;
  gpointer preferences;

  ensure_app ("io.github.tokendesk.TokenDesk.DesktopTest");
  remove_entry ();
  g_settings_reset (settings (), "start-at-login");
  g_assert_cmpint (g_rmdir (folder), ==, 0);
  g_file_set_contents (folder, "not a folder", -1, &error);
  g_assert_no_error (error);

  preferences = open_preferences ();
  flip_autostart (preferences);
  g_assert_false (gtk_switch_get_active (autostart_switch (preferences)));
  g_assert_false (g_settings_get_boolean (settings (), "start-at-login"));
  g_assert_true (g_str_has_prefix (adw_action_row_get_subtitle (autostart_row (preferences)),
                                   "Could not add Token Desk"));
  td_ui_test_close_window (preferences);

  g_assert_cmpint (g_unlink (folder), ==, 0);
  g_assert_cmpint (g_mkdir (folder, 0700), ==, 0);
}

/* Warning Time: a lead time in minutes, kept without the warnings (it is
 * when accounts that renew automatically renew). */
static void
test_warn_before_expiry (void)
{
  AdwComboRow *row;
  gpointer preferences;
  GListModel *model;
  guint ten = G_MAXUINT;

  ensure_app ("io.github.tokendesk.TokenDesk.DesktopTest");
  g_settings_reset (settings (), "expiry-lead-time");
  g_settings_set_boolean (settings (), "notify-expiry", TRUE);

  preferences = open_preferences ();
  row = ADW_COMBO_ROW (find_row (preferences, "_Warning Time"));
  g_assert_nonnull (row);
  g_assert_true (gtk_widget_get_sensitive (GTK_WIDGET (row)));

  model = adw_combo_row_get_model (row);
  g_assert_cmpuint (g_list_model_get_n_items (model), ==, 7);
  g_assert_cmpstr (gtk_string_list_get_string (GTK_STRING_LIST (model),
                                               adw_combo_row_get_selected (row)), ==, "5 minutes");
  for (guint i = 0; i < g_list_model_get_n_items (model); i++)
    if (g_str_equal (gtk_string_list_get_string (GTK_STRING_LIST (model), i), "10 minutes"))
      ten = i;
  g_assert_cmpuint (ten, !=, G_MAXUINT);
  adw_combo_row_set_selected (row, ten);
  g_assert_cmpuint (g_settings_get_uint (settings (), "expiry-lead-time"), ==, 600);

  g_settings_set_boolean (settings (), "notify-expiry", FALSE);
  g_assert_true (gtk_widget_get_sensitive (GTK_WIDGET (row)));
  g_settings_set_boolean (settings (), "notify-expiry", TRUE);
  g_assert_true (gtk_widget_get_sensitive (GTK_WIDGET (row)));

  td_ui_test_close_window (preferences);
  g_settings_reset (settings (), "expiry-lead-time");
}

/* The real app, started in the background -------------------------------- */

/* What the tests give the app: their environment (schemas, session). */
static GSubprocess *
spawn (const char * const *argv,
       GSubprocessFlags    flags)
{
  g_autoptr(GError) error = NULL;
  GSubprocess *process = g_subprocess_newv (argv, flags, &error);

  g_assert_no_error (error);
  return process;
}

static GSubprocess *
spawn_app (const char *first_arg)
{
  const char *argv[] = { g_getenv ("TD_TEST_APP"), first_arg, NULL };

  return spawn (argv, G_SUBPROCESS_FLAGS_STDOUT_SILENCE);
}

static gboolean
subprocess_done (gpointer process)
{
  return g_subprocess_get_identifier (process) == NULL;
}

/* Bounded; the process ended by itself with status 0. */
static void
wait_for_exit (GSubprocess *process,
               const char  *what)
{
  /* g_subprocess_wait_async reaps it on the main context. */
  g_subprocess_wait_async (process, NULL, NULL, NULL);
  wait_until (subprocess_done, process, what);
  g_assert_true (g_subprocess_get_if_exited (process));
  g_assert_cmpint (g_subprocess_get_exit_status (process), ==, 0);
}

static void
stop (GSubprocess *process)
{
  if (g_subprocess_get_identifier (process) != NULL)
    {
      g_subprocess_send_signal (process, SIGTERM);
      g_subprocess_wait_async (process, NULL, NULL, NULL);
      if (!td_ui_test_wait_until (subprocess_done, process, WAIT_MS))
        g_subprocess_force_exit (process);
    }
  g_object_unref (process);
}

static guint
count_windows_of (GSubprocess *process)
{
  const char *id = g_subprocess_get_identifier (process);

  return td_desktop_count_windows_of (id ? strtoul (id, NULL, 10) : 0);
}

static gboolean
has_window (gpointer process)
{
  return count_windows_of (process) > 0;
}

static void
call_app (const char *interface,
          const char *method,
          GVariant   *parameters)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) reply = NULL;

  reply = g_dbus_connection_call_sync (session_bus (), APPLICATION_ID,
                                       "/io/github/tokendesk/TokenDesk", interface, method,
                                       parameters, NULL, G_DBUS_CALL_FLAGS_NONE, WAIT_MS,
                                       NULL, &error);
  g_assert_no_error (error);
}

/* Started with --background: on the bus, its actions answer (the main
 * loop runs, so activate has been and gone), and no window. */
static GSubprocess *
start_in_background (void)
{
  GSubprocess *process;

  g_assert_false (name_has_owner ((gpointer) APPLICATION_ID));
  process = spawn_app ("--background");
  wait_until (name_has_owner, (gpointer) APPLICATION_ID, "the app's bus name");
  call_app ("org.gtk.Actions", "List", NULL);
  /* Time for a window GTK would have shown to reach the X server. */
  run_for (500);
  g_assert_cmpuint (count_windows_of (process), ==, 0);

  return process;
}

static void
quit (GSubprocess *process)
{
  call_app ("org.gtk.Actions", "Activate",
            g_variant_new ("(sava{sv})", "quit", NULL, NULL));
  wait_for_exit (process, "the app to quit");
  wait_until (name_has_no_owner, (gpointer) APPLICATION_ID, "the bus name to go");
}

static gboolean
app_available (void)
{
  if (g_getenv ("TD_TEST_APP") == NULL)
    {
      g_test_skip ("TD_TEST_APP is not set: run through meson test");
      return FALSE;
    }
  return TRUE;
}

/* The launcher activates over D-Bus (DBusActivatable=true): a window. */
static void
test_background_then_activate (void)
{
  GSubprocess *process;

  if (!app_available ())
    return;

  process = start_in_background ();
  call_app ("org.freedesktop.Application", "Activate", g_variant_new ("(a{sv})", NULL));
  wait_until (has_window, process, "a window after Activate");

  quit (process);
}

/* Started again from a terminal or the desktop file: once more with
 * --background changes nothing, without it opens the window. Quit then
 * ends it although Run in Background is on and a window was open. */
static void
test_background_then_launch (void)
{
  g_autoptr(GSettings) defaults = g_settings_new (APPLICATION_ID);
  GSubprocess *process, *second;

  if (!app_available ())
    return;

  /* The app's settings are its own (memory backend): the defaults. */
  g_assert_true (g_settings_get_boolean (defaults, "run-in-background"));
  process = start_in_background ();

  second = spawn_app ("--background");
  wait_for_exit (second, "the second --background to end");
  g_object_unref (second);
  run_for (500);
  g_assert_cmpuint (count_windows_of (process), ==, 0);

  second = spawn_app (NULL);
  wait_for_exit (second, "the launcher to hand over");
  g_object_unref (second);
  wait_until (has_window, process, "a window after a second launch");

  quit (process);
}

/* Held with no window at all, Quit still ends it. */
static void
test_background_then_quit (void)
{
  GSubprocess *process;

  if (!app_available ())
    return;

  process = start_in_background ();
  quit (process);
}

/* Inside Flatpak: the Background portal ---------------------------------- */

static GSubprocess *
spawn_portal (const char *path)
{
  g_autoptr(GSubprocessLauncher) launcher =
    g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_SILENCE | G_SUBPROCESS_FLAGS_STDERR_SILENCE);
  const char *argv[] = { path, NULL };
  g_autoptr(GError) error = NULL;
  GSubprocess *process;

  g_subprocess_launcher_setenv (launcher, "XDG_CURRENT_DESKTOP", "GNOME", TRUE);
  /* Their warnings are not ours. */
  g_subprocess_launcher_unsetenv (launcher, "G_DEBUG");
  process = g_subprocess_launcher_spawnv (launcher, argv, &error);
  g_assert_no_error (error);

  return process;
}

static gboolean
start_portal_stack (void)
{
  static const struct {
    const char *path;
    const char *name;
  } parts[] = {
    { "/usr/libexec/xdg-permission-store", "org.freedesktop.impl.portal.PermissionStore" },
    { "/usr/libexec/xdg-desktop-portal-gtk", "org.freedesktop.impl.portal.desktop.gtk" },
    { "/usr/libexec/xdg-desktop-portal-gnome", "org.freedesktop.impl.portal.desktop.gnome" },
    { "/usr/libexec/xdg-desktop-portal", "org.freedesktop.portal.Desktop" },
  };
  g_autofree char *bwrap = g_find_program_in_path ("bwrap");

  if (portal_stack != NULL)
    return TRUE;

  for (guint i = 0; i < G_N_ELEMENTS (parts); i++)
    if (!g_file_test (parts[i].path, G_FILE_TEST_IS_EXECUTABLE))
      {
        g_autofree char *why = g_strdup_printf ("%s is missing (build-aux/install-deps)",
                                                parts[i].path);
        g_test_skip (why);
        return FALSE;
      }
  if (bwrap == NULL)
    {
      g_test_skip ("bwrap is missing (build-aux/install-deps)");
      return FALSE;
    }

  portal_stack = g_ptr_array_new_with_free_func ((GDestroyNotify) stop);
  for (guint i = 0; i < G_N_ELEMENTS (parts); i++)
    {
      g_ptr_array_add (portal_stack, spawn_portal (parts[i].path));
      wait_until (name_has_owner, (gpointer) parts[i].name, parts[i].path);
    }

  return TRUE;
}

/* What the user answered before: NULL for nothing, "no" for a refusal. */
static void
preset_permission (const char *answer)
{
  g_autoptr(GVariant) reply = NULL;
  g_autoptr(GError) error = NULL;
  const char *answers[] = { answer, NULL };

  if (answer != NULL)
    reply = g_dbus_connection_call_sync (session_bus (),
                                         "org.freedesktop.impl.portal.PermissionStore",
                                         "/org/freedesktop/impl/portal/PermissionStore",
                                         "org.freedesktop.impl.portal.PermissionStore",
                                         "SetPermission",
                                         g_variant_new ("(sbss^as)", "background", TRUE,
                                                        "background", APPLICATION_ID, answers),
                                         NULL, G_DBUS_CALL_FLAGS_NONE, WAIT_MS, NULL, &error);
  else
    /* Fails when nothing is stored, which is the point. */
    reply = g_dbus_connection_call_sync (session_bus (),
                                         "org.freedesktop.impl.portal.PermissionStore",
                                         "/org/freedesktop/impl/portal/PermissionStore",
                                         "org.freedesktop.impl.portal.PermissionStore",
                                         "DeletePermission",
                                         g_variant_new ("(sss)", "background", "background",
                                                        APPLICATION_ID),
                                         NULL, G_DBUS_CALL_FLAGS_NONE, WAIT_MS, NULL, NULL);
  g_assert_no_error (error);
}

/* The window half, in the fake sandbox: the app there asks the portal. */
static void
portal_child (gboolean allowed)
{
  gpointer preferences;

  g_assert_true (g_file_test ("/.flatpak-info", G_FILE_TEST_EXISTS));
  ensure_app (APPLICATION_ID);
  g_assert_false (g_settings_get_boolean (settings (), "start-at-login"));

  preferences = open_preferences ();
  flip_autostart (preferences);

  if (allowed)
    {
      /* The portal wrote it, for `flatpak run`. */
      g_assert_true (gtk_switch_get_active (autostart_switch (preferences)));
      g_assert_true (g_settings_get_boolean (settings (), "start-at-login"));
      assert_entry ("flatpak run", "X-Flatpak");

      /* Off again: the portal removes it. */
      flip_autostart (preferences);
      g_assert_false (gtk_switch_get_active (autostart_switch (preferences)));
      g_assert_false (g_settings_get_boolean (settings (), "start-at-login"));
      g_assert_false (entry_exists ());
    }
  else
    {
      g_assert_false (gtk_switch_get_active (autostart_switch (preferences)));
      g_assert_false (g_settings_get_boolean (settings (), "start-at-login"));
      g_test_message ("Said: %s", adw_action_row_get_subtitle (autostart_row (preferences)));
      g_assert_true (g_str_has_prefix (adw_action_row_get_subtitle (autostart_row (preferences)),
                                       refusal));
      g_assert_false (entry_exists ());
    }

  td_ui_test_close_window (preferences);
}

static void
test_portal (gconstpointer data)
{
  gboolean allowed = GPOINTER_TO_INT (data);
  g_autofree char *script = NULL;
  g_autofree char *self = NULL;
  GSubprocess *child;

  if (g_test_subprocess ())
    {
      portal_child (allowed);
      return;
    }

  if (g_getenv ("TD_TEST_SOURCE_ROOT") == NULL || g_getenv ("TD_TEST_BUILD_ROOT") == NULL)
    {
      g_test_skip ("TD_TEST_SOURCE_ROOT is not set: run through meson test");
      return;
    }
  if (!start_portal_stack ())
    return;

  remove_entry ();
  preset_permission (allowed ? NULL : "no");

  script = g_test_build_filename (G_TEST_DIST, "desktop", "fake-flatpak-run", NULL);
  self = g_file_read_link ("/proc/self/exe", NULL);
  g_assert_nonnull (self);
  {
    /* What the child needs from outside the system folders. */
    const char *argv[] = {
      script,
      "--bind", g_getenv ("TD_TEST_SOURCE_ROOT"),
      "--bind", g_getenv ("TD_TEST_BUILD_ROOT"),
      "--bind", g_get_tmp_dir (),
      "--bind", g_get_user_runtime_dir (),
      "--bind", g_get_home_dir (),
      "--bind", test_dir,
      "--",
      self, "-p", g_test_get_path (), "--GTestSubprocess", "--verbose",
      NULL
    };

    g_autoptr(GSubprocessLauncher) launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_NONE);
    g_autoptr(GError) error = NULL;

    /* Its TAP output is not ours: to stderr, with its messages. */
    g_subprocess_launcher_take_stdout_fd (launcher, dup (STDERR_FILENO));
    child = g_subprocess_launcher_spawnv (launcher, argv, &error);
    g_assert_no_error (error);
  }
  g_subprocess_wait_async (child, NULL, NULL, NULL);
  if (!td_ui_test_wait_until (subprocess_done, child, 3 * WAIT_MS))
    {
      stop (child);
      g_error ("The sandboxed half did not end");
    }
  g_assert_true (g_subprocess_get_if_exited (child));
  g_assert_cmpint (g_subprocess_get_exit_status (child), ==, 0);
  g_object_unref (child);

  /* Nothing was left behind: off again, or never on. */
  g_assert_false (entry_exists ());
}

/* Setup ------------------------------------------------------------------ */

int
main (int   argc,
      char *argv[])
{
  g_autofree char *config_dir = NULL;
  g_autofree char *autostart_dir = NULL;
  g_autoptr(GError) error = NULL;
  gboolean child = FALSE;
  int status;

  for (int i = 1; i < argc; i++)
    if (g_str_equal (argv[i], "--GTestSubprocess"))
      child = TRUE;

  /* Before anything reads it: the account file and the autostart entry
   * live here, for this process, its children and the portals. The
   * sandboxed child shares its parent's. */
  if (!child)
    {
      test_dir = g_dir_make_tmp ("tokendesk-desktop-XXXXXX", &error);
      g_assert_no_error (error);
      config_dir = g_build_filename (test_dir, "config", NULL);
      autostart_dir = g_build_filename (config_dir, "autostart", NULL);
      g_assert_cmpint (g_mkdir_with_parents (autostart_dir, 0700), ==, 0);
      g_setenv ("XDG_CONFIG_HOME", config_dir, TRUE);
    }

  g_test_init (&argc, &argv, NULL);
  gtk_init ();
  adw_init ();
  td_vendors_init ();

  if (gdk_display_get_default () == NULL || !GDK_IS_X11_DISPLAY (gdk_display_get_default ()))
    {
      g_print ("1..0 # SKIP no X display: run under tests/headless-session\n");
      return 0;
    }

  /* A switch flipped with animations on moves at the end of its
   * animation; off, at once. */
  g_object_set (gtk_settings_get_default (), "gtk-enable-animations", FALSE, NULL);

  g_test_add_func ("/desktop/background/autostart-entry", test_autostart_entry);
  g_test_add_func ("/desktop/background/autostart-entry-changed-behind-its-back",
                   test_autostart_entry_changed_behind_its_back);
  g_test_add_func ("/desktop/background/autostart-entry-not-written",
                   test_autostart_entry_not_written);
  g_test_add_func ("/desktop/background/warn-before-expiry", test_warn_before_expiry);
  g_test_add_func ("/desktop/background/start-then-activate", test_background_then_activate);
  g_test_add_func ("/desktop/background/start-then-launch", test_background_then_launch);
  g_test_add_func ("/desktop/background/start-then-quit", test_background_then_quit);
  g_test_add_data_func ("/desktop/background/portal-allowed", GINT_TO_POINTER (TRUE),
                        test_portal);
  g_test_add_data_func ("/desktop/background/portal-refused", GINT_TO_POINTER (FALSE),
                        test_portal);

  status = g_test_run ();

  g_clear_pointer (&portal_stack, g_ptr_array_unref);
  if (app != NULL)
    {
      GtkWindow *window = gtk_application_get_active_window (GTK_APPLICATION (app));

      if (window != NULL)
        gtk_window_destroy (window);
      run_for (200);
      g_clear_object (&app);
    }
  if (!child)
    td_test_rm_rf (test_dir);
  g_free (test_dir);

  return status;
}
