/* td-desktop-test-util.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <gdk/x11/gdkx.h>
#include <glib/gstdio.h>
#include <gtk/gtk.h>
#include <X11/Xatom.h>
#include <X11/Xlib.h>

#include "td-desktop-test-util.h"
#include "td-test-sim.h"
#include "td-test-util.h"

#define XFCONFD "/usr/lib/x86_64-linux-gnu/xfce4/xfconf/xfconfd"

/* Waiting ------------------------------------------------------------------ */

static gboolean
tick_cb (gpointer data)
{
  return G_SOURCE_CONTINUE;
}

/* td_test_sim_wait_until, checked at least every 20 ms: a name on the bus
 * and a process's end are not events of this main loop. */
static gboolean
wait_until (TdTestCondition condition,
            gpointer        data,
            guint           timeout_ms)
{
  guint tick = g_timeout_add (20, tick_cb, NULL);
  gboolean met = td_test_sim_wait_until (NULL, condition, data, timeout_ms);

  g_source_remove (tick);

  return met;
}

/* Bus names ---------------------------------------------------------------- */

gboolean
td_desktop_wait_for_name (const char *name,
                          gboolean    present,
                          guint       timeout_ms)
{
  return td_test_wait_for_name (G_BUS_TYPE_SESSION, name, present, timeout_ms);
}

/* Commands ----------------------------------------------------------------- */

static GSubprocess *
spawn_va (GSubprocessFlags  flags,
          const char       *first_arg,
          va_list           args)
{
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_autoptr(GError) error = NULL;
  GSubprocess *process;
  const char *arg;

  for (arg = first_arg; arg != NULL; arg = va_arg (args, const char *))
    g_ptr_array_add (argv, (char *) arg);
  g_ptr_array_add (argv, NULL);

  process = g_subprocess_newv ((const char * const *) argv->pdata, flags, &error);
  g_assert_no_error (error);

  return process;
}

GSubprocess *
td_desktop_spawn (const char *first_arg,
                  ...)
{
  GSubprocess *process;
  va_list args;

  va_start (args, first_arg);
  process = spawn_va (G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_PIPE,
                      first_arg, args);
  va_end (args);

  return process;
}

/* A daemon: its chatter, unread, must not fill a pipe and stop it. */
static GSubprocess *
spawn_daemon (const char *first_arg,
              ...)
{
  GSubprocess *process;
  va_list args;

  va_start (args, first_arg);
  process = spawn_va (G_SUBPROCESS_FLAGS_STDOUT_SILENCE | G_SUBPROCESS_FLAGS_STDERR_SILENCE,
                      first_arg, args);
  va_end (args);

  return process;
}

typedef struct
{
  gboolean  done;
  char     *out;
  char     *err;
  GError   *error;
} Communication;

static void
communicated_cb (GObject      *object,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  Communication *c = user_data;

  g_subprocess_communicate_utf8_finish (G_SUBPROCESS (object), result, &c->out, &c->err,
                                        &c->error);
  c->done = TRUE;
}

static gboolean
communicated (gpointer data)
{
  return ((Communication *) data)->done;
}

char *
td_desktop_communicate (GSubprocess  *process,
                        char        **out_stderr)
{
  Communication c = { 0 };

  g_subprocess_communicate_utf8_async (process, NULL, NULL, communicated_cb, &c);
  if (!wait_until (communicated, &c, TD_DESKTOP_TEST_WAIT_MS))
    g_error ("%s did not end", g_subprocess_get_identifier (process));
  g_assert_no_error (c.error);

  /* The pipes are closed; the exit status may come a moment later. */
  if (!g_subprocess_wait (process, NULL, &c.error))
    g_assert_no_error (c.error);

  if (out_stderr != NULL)
    *out_stderr = c.err;
  else
    g_free (c.err);

  return c.out;
}

char *
td_desktop_run (const char *first_arg,
                ...)
{
  g_autoptr(GSubprocess) process = NULL;
  g_autofree char *err = NULL;
  char *out;
  va_list args;

  va_start (args, first_arg);
  process = spawn_va (G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_PIPE,
                      first_arg, args);
  va_end (args);

  out = td_desktop_communicate (process, &err);
  if (!g_subprocess_get_if_exited (process) || g_subprocess_get_exit_status (process) != 0)
    g_error ("%s failed: %s", first_arg, err);

  return out;
}

static gboolean
exited (gpointer data)
{
  return *(gboolean *) data;
}

static void
exited_cb (GObject      *object,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_subprocess_wait_finish (G_SUBPROCESS (object), result, NULL);
  *(gboolean *) user_data = TRUE;
}

void
td_desktop_kill (GSubprocess *process)
{
  gboolean done = FALSE;

  g_subprocess_wait_async (process, NULL, exited_cb, &done);
  g_subprocess_send_signal (process, SIGTERM);
  if (!wait_until (exited, &done, TD_DESKTOP_TEST_WAIT_MS))
    {
      g_subprocess_force_exit (process);
      wait_until (exited, &done, TD_DESKTOP_TEST_WAIT_MS);
    }
  g_assert_true (done);
}

/* The tray host: xfce4-panel ----------------------------------------------- */

struct _TdDesktopPanel
{
  GSubprocess *xfconfd;
  GSubprocess *panel;
};

gboolean
td_desktop_have_panel (void)
{
  g_autofree char *panel = g_find_program_in_path ("xfce4-panel");

  return panel != NULL && g_file_test (XFCONFD, G_FILE_TEST_IS_EXECUTABLE);
}

static void
install_panel_config (const char *source)
{
  g_autofree char *dir = g_build_filename (g_get_user_config_dir (), "xfce4", "xfconf",
                                           "xfce-perchannel-xml", NULL);
  g_autofree char *target = g_build_filename (dir, "xfce4-panel.xml", NULL);
  g_autofree char *contents = NULL;
  g_autoptr(GError) error = NULL;
  gsize length;

  g_assert_cmpint (g_mkdir_with_parents (dir, 0700), ==, 0);
  g_file_get_contents (source, &contents, &length, &error);
  g_assert_no_error (error);
  g_file_set_contents (target, contents, length, &error);
  g_assert_no_error (error);
}

static void
start_panel (TdDesktopPanel *panel)
{
  /* Its own output is chatter about a session we do not have. */
  panel->panel = spawn_daemon ("xfce4-panel", "--disable-wm-check", "--sm-client-disable",
                                   NULL);
  if (!td_desktop_wait_for_name ("org.kde.StatusNotifierWatcher", TRUE, TD_DESKTOP_TEST_WAIT_MS))
    g_error ("xfce4-panel did not start its StatusNotifierWatcher");
}

TdDesktopPanel *
td_desktop_panel_start (void)
{
  return td_desktop_panel_start_with_config (g_test_get_filename (G_TEST_DIST, "desktop",
                                                                  "xfce4-panel.xml", NULL));
}

TdDesktopPanel *
td_desktop_panel_start_with_config (const char *config)
{
  TdDesktopPanel *panel = g_new0 (TdDesktopPanel, 1);

  install_panel_config (config);

  panel->xfconfd = spawn_daemon (XFCONFD, NULL);
  if (!td_desktop_wait_for_name ("org.xfce.Xfconf", TRUE, TD_DESKTOP_TEST_WAIT_MS))
    g_error ("xfconfd did not start");

  start_panel (panel);

  return panel;
}

void
td_desktop_panel_kill (TdDesktopPanel *panel)
{
  g_assert_nonnull (panel->panel);

  td_desktop_kill (panel->panel);
  g_clear_object (&panel->panel);
  if (!td_desktop_wait_for_name ("org.kde.StatusNotifierWatcher", FALSE, TD_DESKTOP_TEST_WAIT_MS))
    g_error ("The StatusNotifierWatcher outlived xfce4-panel");
}

void
td_desktop_panel_restart (TdDesktopPanel *panel)
{
  g_assert_null (panel->panel);

  start_panel (panel);
}

void
td_desktop_panel_stop (TdDesktopPanel *panel)
{
  if (panel->panel != NULL)
    td_desktop_panel_kill (panel);
  td_desktop_kill (panel->xfconfd);
  g_clear_object (&panel->xfconfd);
  g_free (panel);
}

/* The screen ---------------------------------------------------------------- */

void
td_desktop_screenshot (const char *path)
{
  g_free (td_desktop_run ("import", "-window", "root", path, NULL));
}

/* Without a window manager the toplevels are children of the root window,
 * each with _NET_WM_PID. */
guint
td_desktop_count_windows_of (unsigned long pid)
{
  Display *display = gdk_x11_display_get_xdisplay (gdk_display_get_default ());
  Atom pid_atom = XInternAtom (display, "_NET_WM_PID", False);
  Window root, parent, *children = NULL;
  unsigned int n_children = 0;
  guint found = 0;

  XSync (display, False);
  if (!XQueryTree (display, DefaultRootWindow (display), &root, &parent, &children, &n_children))
    return 0;

  for (unsigned int i = 0; i < n_children; i++)
    {
      XWindowAttributes attributes;
      Atom type;
      int format;
      unsigned long n_items, after;
      unsigned char *data = NULL;

      if (!XGetWindowAttributes (display, children[i], &attributes) ||
          attributes.map_state != IsViewable)
        continue;
      if (XGetWindowProperty (display, children[i], pid_atom, 0, 1, False, XA_CARDINAL,
                              &type, &format, &n_items, &after, &data) == Success &&
          data != NULL && n_items == 1 && *(unsigned long *) data == pid)
        found++;
      if (data != NULL)
        XFree (data);
    }
  if (children != NULL)
    XFree (children);

  return found;
}
