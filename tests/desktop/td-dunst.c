/* td-dunst.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <glib/gstdio.h>
#include <string.h>

#include "td-desktop-test-util.h"
#include "td-dunst.h"

struct _TdDunst
{
  char             *dir;
  GSubprocess      *process;
  GDataInputStream *output;
  GCancellable     *cancellable;
  GPtrArray        *received;  /* TdDunstNotification* */
  TdDunstNotification *reading;
  gboolean          in_actions;
};

static void
notification_free (TdDunstNotification *notification)
{
  g_free (notification->summary);
  g_free (notification->body);
  g_ptr_array_unref (notification->actions);
  g_free (notification);
}

/* "\tsummary: 'Text'" → "Text" */
static char *
quoted_value (const char *line)
{
  const char *start = strchr (line, '\'');
  const char *end = strrchr (line, '\'');

  if (start == NULL || end == start)
    return g_strdup ("");

  return g_strndup (start + 1, end - start - 1);
}

/* dunst -print writes each notification as a block of "key: value" lines. */
static void
parse_line (TdDunst    *self,
            const char *line)
{
  const char *text = line;

  while (*text == '\t' || *text == ' ')
    text++;

  if (g_str_equal (line, "{"))
    {
      self->reading = g_new0 (TdDunstNotification, 1);
      self->reading->actions = g_ptr_array_new_with_free_func (g_free);
      return;
    }

  if (self->reading == NULL)
    return;

  if (g_str_equal (line, "}"))
    {
      g_ptr_array_add (self->received, g_steal_pointer (&self->reading));
      return;
    }

  if (self->in_actions)
    {
      g_auto(GStrv) parts = NULL;

      if (g_str_equal (text, "}"))
        {
          self->in_actions = FALSE;
          return;
        }

      /* "app.renew-account::ID": "Renew" */
      parts = g_strsplit (text, "\": \"", 2);
      if (g_strv_length (parts) == 2)
        {
          g_strdelimit (parts[0], "\"", ' ');
          g_strdelimit (parts[1], "\"", ' ');
          g_ptr_array_add (self->reading->actions,
                           g_strdup_printf ("%s=%s", g_strstrip (parts[0]), g_strstrip (parts[1])));
        }
      return;
    }

  if (g_str_has_prefix (text, "summary:"))
    self->reading->summary = quoted_value (text);
  else if (g_str_has_prefix (text, "body:"))
    self->reading->body = quoted_value (text);
  else if (g_str_has_prefix (text, "actions: {"))
    self->in_actions = TRUE;
}

static void
line_read_cb (GObject      *object,
              GAsyncResult *result,
              gpointer      user_data)
{
  TdDunst *self = user_data;
  g_autoptr(GError) error = NULL;
  g_autofree char *line = NULL;

  line = g_data_input_stream_read_line_finish_utf8 (G_DATA_INPUT_STREAM (object), result,
                                                    NULL, &error);
  if (line == NULL)
    return;  /* dunst ended, or we stopped reading */

  parse_line (self, line);
  g_data_input_stream_read_line_async (self->output, G_PRIORITY_DEFAULT, self->cancellable,
                                       line_read_cb, self);
}

TdDunst *
td_dunst_start (const char *dir)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *config_path = g_build_filename (dir, "dunstrc", NULL);
  g_autofree char *chooser_path = g_build_filename (dir, "choose", NULL);
  g_autofree char *choice_path = g_build_filename (dir, "choice", NULL);
  g_autofree char *log_path = g_build_filename (dir, "dunst.log", NULL);
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autofree char *config = NULL;
  g_autofree char *chooser = NULL;
  TdDunst *self;

  /* No timeouts: a test looks at what is on screen. The context menu is
   * a script printing the line with the label the test wrote down, or
   * with none, dmenu for a person (or a screenshot) to see the buttons. */
  chooser = g_strdup_printf ("#!/bin/sh\n"
                             "choice=$(cat '%s' 2>/dev/null)\n"
                             "[ -n \"$choice\" ] || exec dmenu -l 6 -fn Cantarell-11 -p Actions\n"
                             "exec grep -m1 -F -- \"$choice\"\n", choice_path);
  g_assert_true (g_file_set_contents (chooser_path, chooser, -1, NULL));
  g_assert_cmpint (g_chmod (chooser_path, 0700), ==, 0);

  config = g_strdup_printf ("[global]\n"
                            "    monitor = 0\n"
                            "    follow = none\n"
                            "    width = 360\n"
                            "    height = 150\n"
                            "    origin = top-right\n"
                            "    offset = 10x180\n"
                            "    font = Cantarell 10\n"
                            "    idle_threshold = 0\n"
                            "    history_length = 50\n"
                            "    show_indicators = no\n"
                            "    dmenu = %s\n"
                            "    mouse_left_click = do_action, close_current\n"
                            "    mouse_middle_click = context\n"
                            "    mouse_right_click = close_current\n"
                            "[urgency_low]\n    timeout = 0\n"
                            "[urgency_normal]\n    timeout = 0\n"
                            "[urgency_critical]\n    timeout = 0\n",
                            chooser_path);
  g_assert_true (g_file_set_contents (config_path, config, -1, NULL));

  g_assert_true (td_desktop_wait_for_name ("org.freedesktop.Notifications", FALSE, 0));

  self = g_new0 (TdDunst, 1);
  self->dir = g_strdup (dir);
  self->received = g_ptr_array_new_with_free_func ((GDestroyNotify) notification_free);
  self->cancellable = g_cancellable_new ();
  /* Its complaints go to a file in dir, for when a test fails. */
  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE);
  g_subprocess_launcher_set_stderr_file_path (launcher, log_path);
  /* The tests' fatal warnings are for us: dunst warns of missing icons. */
  g_subprocess_launcher_unsetenv (launcher, "G_DEBUG");
  self->process = g_subprocess_launcher_spawn (launcher, &error, "dunst", "-config", config_path,
                                               "-print", NULL);
  g_assert_no_error (error);

  self->output = g_data_input_stream_new (g_subprocess_get_stdout_pipe (self->process));
  g_data_input_stream_read_line_async (self->output, G_PRIORITY_DEFAULT, self->cancellable,
                                       line_read_cb, self);

  if (!td_desktop_wait_for_name ("org.freedesktop.Notifications", TRUE, TD_DESKTOP_TEST_WAIT_MS))
    g_error ("dunst did not come up: see %s", log_path);

  return self;
}

void
td_dunst_stop (TdDunst *self)
{
  g_cancellable_cancel (self->cancellable);
  g_subprocess_force_exit (self->process);
  g_subprocess_wait (self->process, NULL, NULL);

  /* Let the cancelled read finish before its stream goes. */
  while (g_main_context_iteration (NULL, FALSE))
    ;

  g_clear_object (&self->output);
  g_clear_object (&self->process);
  g_clear_object (&self->cancellable);
  g_clear_pointer (&self->reading, notification_free);
  g_ptr_array_unref (self->received);
  g_free (self->dir);
  g_free (self);
}

guint
td_dunst_count_displayed (TdDunst *self)
{
  g_autofree char *count = td_desktop_run ("dunstctl", "count", "displayed", NULL);

  return (guint) g_ascii_strtoull (count, NULL, 10);
}

GPtrArray *
td_dunst_get_received (TdDunst *self)
{
  return self->received;
}

TdDunstNotification *
td_dunst_get_last (TdDunst *self)
{
  if (self->received->len == 0)
    return NULL;

  return g_ptr_array_index (self->received, self->received->len - 1);
}

const char *
td_dunst_find_action (TdDunstNotification *notification,
                      const char          *label)
{
  for (guint i = 0; i < notification->actions->len; i++)
    {
      const char *action = g_ptr_array_index (notification->actions, i);
      const char *equals = strrchr (action, '=');

      if (equals != NULL && g_str_equal (equals + 1, label))
        return action;
    }

  return NULL;
}

void
td_dunst_choose (TdDunst    *self,
                 const char *label)
{
  g_autofree char *choice_path = g_build_filename (self->dir, "choice", NULL);
  g_autofree char *output = NULL;

  g_assert_true (g_file_set_contents (choice_path, label, -1, NULL));
  output = td_desktop_run ("dunstctl", "context", NULL);
}

GSubprocess *
td_dunst_open_menu (TdDunst *self)
{
  g_autofree char *choice_path = g_build_filename (self->dir, "choice", NULL);
  GSubprocess *context;

  g_assert_true (g_file_set_contents (choice_path, "", 0, NULL));
  context = td_desktop_spawn ("dunstctl", "context", NULL);
  /* dmenu maps its window: nothing to wait on but the screen. */
  g_usleep (G_USEC_PER_SEC);

  return context;
}

void
td_dunst_close_all (TdDunst *self)
{
  g_autofree char *output = td_desktop_run ("dunstctl", "close-all", NULL);
}
