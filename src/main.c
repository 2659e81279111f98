/* main.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <errno.h>
#include <glib/gi18n.h>
#include <locale.h>
#include <string.h>
#include <unistd.h>

#include "td-cli.h"
#include "td-vendors.h"

/* The app is installed beside us in a build tree, in libexecdir otherwise. */
static char *
find_app (void)
{
  g_autofree char *self = g_file_read_link ("/proc/self/exe", NULL);

  if (self != NULL)
    {
      g_autofree char *dir = g_path_get_dirname (self);
      g_autofree char *beside = g_build_filename (dir, "tokendesk-app", NULL);

      if (g_file_test (beside, G_FILE_TEST_IS_EXECUTABLE))
        return g_steal_pointer (&beside);
    }

  return g_strdup (TOKENDESK_APP_PATH);
}

int
main (int   argc,
      char *argv[])
{
  g_autofree char *app = NULL;
  const char *localedir;

  setlocale (LC_ALL, "");
  /* TOKENDESK_LOCALEDIR: the build folder's po/, where the tests and
   * build-aux/run-app find the translations before they are installed. */
  localedir = g_getenv ("TOKENDESK_LOCALEDIR");
  bindtextdomain (GETTEXT_PACKAGE, localedir != NULL ? localedir : LOCALEDIR);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);

  /* `tokendesk --help` lists the commands, as `tokendesk help` does: the
   * app's own options are for the desktop file, not for people. */
  if (argc > 1 && (g_str_equal (argv[1], "--help") || g_str_equal (argv[1], "-h")))
    argv[1] = (char *) "help";

  if (argc > 1 && g_str_equal (argv[1], "--version"))
    {
      g_print ("tokendesk %s\n", PACKAGE_VERSION);
      return 0;
    }

  /* `tokendesk token NAME` and friends must work over SSH and in scripts:
   * commands never load GTK or need a display. Anything that is not an
   * option is taken as a command, so that a typo (`tokendesk tokne`) is
   * answered as one rather than handed to the app, which takes no
   * arguments. */
  if (argc > 1 && (td_cli_is_command (argv[1]) || argv[1][0] != '-'))
    {
      /* stdout is for tokens and JSON that scripts read: GLib's default
       * writer would put debug and info messages there. */
      g_log_writer_default_set_use_stderr (TRUE);

      td_vendors_init ();
      return td_cli_run (argc, argv);
    }

  app = find_app ();
  execv (app, argv);

  g_printerr (_("Could not start the Token Desk app (%s): %s\n"), app, g_strerror (errno));
  return 1;
}
