/* test-l10n.c: Token Desk in German
 *
 * Runs with LANGUAGE=de (and LANG=C.UTF-8, so that no German locale needs
 * to be installed) against the translations just built in <build>/po,
 * which TOKENDESK_LOCALEDIR points the executables at: the command line's
 * help and output, the app's own options, and the window, its plural
 * forms and the About window's translator credits must all be German.
 * An untranslated or stale de.po, or a string that never reaches
 * gettext, fails here.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <adwaita.h>
#include <glib/gi18n.h>
#include <locale.h>

#include "td-application.h"
#include "td-expiry-text.h"
#include "td-test-util.h"
#include "td-ui-test-util.h"
#include "td-vendors.h"
#include "td-window.h"

#ifndef TOKENDESK_PATH
#error "TOKENDESK_PATH, TOKENDESK_APP_PATH_FOR_TESTS and BUILD_LOCALEDIR must be defined"
#endif

static TdApplication *app;
static TdWindow *window;

/* Runs ARGV…, returns its standard output and error together. */
static char *
run (const char * const *argv)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  int status;

  g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_DEFAULT, NULL, NULL,
                &out, &err, &status, &error);
  g_assert_no_error (error);
  g_test_message ("%s exited with %d:\n%s%s", argv[0], status, out, err);

  return g_strconcat (out, err, NULL);
}

static void
test_cli_help (void)
{
  const char *argv[] = { TOKENDESK_PATH, "--help", NULL };
  g_autofree char *text = run (argv);

  g_assert_nonnull (strstr (text, "Befehle:"));
  g_assert_nonnull (strstr (text, "Die Anbieter auflisten, mit denen Token Desk spricht"));
  g_assert_nonnull (strstr (text, "Exit-Status:"));
  g_assert_null (strstr (text, "Commands:"));
}

static void
test_cli_vendors (void)
{
  const char *argv[] = { TOKENDESK_PATH, "vendors", NULL };
  g_autofree char *text = run (argv);

  /* The vendors' descriptions come from N_() in the providers. */
  g_assert_nonnull (strstr (text, "Cloud-Dateiübertragung"));
  g_assert_nonnull (strstr (text, "Endpunkt:"));
  g_assert_nonnull (strstr (text, "unterstützt:"));
}

static void
test_cli_error (void)
{
  const char *argv[] = { TOKENDESK_PATH, "token", "Nobody Here", NULL };
  g_autofree char *text = run (argv);

  g_assert_nonnull (strstr (text, "kein Konto namens „Nobody Here“"));
}

/* `tokendesk-app --help`: the app binds the text domain itself. */
static void
test_app_help (void)
{
  const char *argv[] = { TOKENDESK_APP_PATH_FOR_TESTS, "--help", NULL };
  g_autofree char *text = run (argv);

  g_assert_nonnull (strstr (text, "Ohne Fenster starten, wie beim Anmelden"));
}

static void
collect_text (GtkWidget *widget,
              GString   *text)
{
  if (GTK_IS_LABEL (widget))
    g_string_append_printf (text, "%s\n", gtk_label_get_text (GTK_LABEL (widget)));
  else if (ADW_IS_STATUS_PAGE (widget))
    g_string_append_printf (text, "%s\n%s\n",
                            adw_status_page_get_title (ADW_STATUS_PAGE (widget)),
                            adw_status_page_get_description (ADW_STATUS_PAGE (widget)));

  for (GtkWidget *child = gtk_widget_get_first_child (widget); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    collect_text (child, text);
}

static gboolean
page_is_empty (gpointer data)
{
  return g_strcmp0 (td_window_get_page (window), "empty") == 0;
}

static void
test_window (void)
{
  g_autoptr(GString) text = g_string_new (NULL);

  g_assert_true (td_ui_test_wait_until (page_is_empty, NULL, TD_UI_TEST_WAIT_MS));
  collect_text (GTK_WIDGET (window), text);
  g_test_message ("The window's text:\n%s", text->str);

  g_assert_nonnull (strstr (text->str, "Keine Konten"));
  g_assert_nonnull (strstr (text->str, "Konto hinzufügen"));
  g_assert_null (strstr (text->str, "No Accounts"));
}

static void
test_plurals (void)
{
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;
  g_autofree char *hours = td_expiry_text (now + 5 * 3600 + 30, now, NULL);

  /* The Plural-Forms of de.po, read by ngettext. */
  g_assert_cmpstr (ngettext ("%u account", "%u accounts", 1), ==, "%u Konto");
  g_assert_cmpstr (ngettext ("%u account", "%u accounts", 0), ==, "%u Konten");
  g_assert_cmpstr (ngettext ("%u account", "%u accounts", 3), ==, "%u Konten");
  g_assert_cmpstr (hours, ==, "läuft in 5 Stunden ab");
}

static void
test_about_credits (void)
{
  AdwAboutWindow *about;
  g_autofree char *credits = NULL;

  g_action_group_activate_action (G_ACTION_GROUP (app), "about", NULL);
  about = td_ui_test_find_toplevel (ADW_TYPE_ABOUT_WINDOW);
  g_assert_nonnull (about);

  g_object_get (about, "translator-credits", &credits, NULL);
  g_assert_cmpstr (credits, ==, "Token-Desk-Übersetzungsteam");
  g_assert_cmpstr (adw_about_window_get_comments (about), !=,
                   "Copy a fresh API token for any of your accounts. "
                   "Passwords and tokens stay in the system keyring.");

  td_ui_test_close_window (about);
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = NULL;
  int status;

  /* Before anything reads them; the children inherit them. */
  dir = g_dir_make_tmp ("tokendesk-l10n-XXXXXX", &error);
  g_assert_no_error (error);
  g_setenv ("XDG_CONFIG_HOME", dir, TRUE);
  g_setenv ("LANGUAGE", "de", TRUE);
  g_setenv ("LANG", "C.UTF-8", TRUE);
  g_unsetenv ("LC_ALL");
  g_unsetenv ("LC_MESSAGES");
  g_setenv ("TOKENDESK_LOCALEDIR", BUILD_LOCALEDIR, TRUE);

  /* What src/app-main.c does, for the window made in this process. */
  setlocale (LC_ALL, "");
  bindtextdomain (GETTEXT_PACKAGE, BUILD_LOCALEDIR);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);

  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/l10n/cli-help", test_cli_help);
  g_test_add_func ("/l10n/cli-vendors", test_cli_vendors);
  g_test_add_func ("/l10n/cli-error", test_cli_error);
  g_test_add_func ("/l10n/app-help", test_app_help);
  g_test_add_func ("/l10n/plurals", test_plurals);

  gtk_init ();
  adw_init ();
  td_vendors_init ();

  if (gdk_display_get_default () == NULL)
    {
      g_test_message ("No display: the window is not tried (run under tests/headless-session)");
      status = g_test_run ();
      td_test_rm_rf (dir);
      return status;
    }

  window = td_ui_test_start_app ("io.github.tokendesk.TokenDesk.L10nTest", 0, 0, &app);

  g_test_add_func ("/l10n/window", test_window);
  g_test_add_func ("/l10n/about-credits", test_about_credits);

  status = g_test_run ();

  gtk_window_destroy (GTK_WINDOW (window));
  g_clear_object (&app);
  td_test_rm_rf (dir);

  return status;
}
