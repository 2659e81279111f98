/* app-main.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <glib/gi18n.h>
#include <locale.h>

#include "td-application.h"
#include "td-vendors.h"

/* The desktop app. Started by `tokendesk` without a command, so the
 * desktop file, D-Bus activation and users all go through one name. */
int
main (int   argc,
      char *argv[])
{
  g_autoptr(TdApplication) app = NULL;
  const char *localedir;

  setlocale (LC_ALL, "");
  /* TOKENDESK_LOCALEDIR: the build folder's po/, where the tests and
   * build-aux/run-app find the translations before they are installed. */
  localedir = g_getenv ("TOKENDESK_LOCALEDIR");
  bindtextdomain (GETTEXT_PACKAGE, localedir != NULL ? localedir : LOCALEDIR);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);

  td_vendors_init ();

  app = td_application_new ();
  return g_application_run (G_APPLICATION (app), argc, argv);
}
