/* take-screenshots.c: the PNGs in data/screenshots/, taken from the real
 * window against the vendor simulator
 *
 *   tests/headless-session _build/tests/ui/take-screenshots data/screenshots
 *
 * Not a test: build-aux/screenshots runs it. It drives the window through
 * its actions as test-window.c does, waits for each state it wants to show
 * (animations are off, and nothing may still be moving), and renders each
 * toplevel inside the process: no window manager, compositor or screen
 * grabber is involved.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <adwaita.h>
#include <glib/gi18n.h>
#include <glib/gstdio.h>
#include <locale.h>

#include "td-account-dialog.h"
#include "td-account-list.h"
#include "td-account-row.h"
#include "td-application.h"
#include "td-preferences-window.h"
#include "td-test-sim.h"
#include "td-ui-test-util.h"
#include "td-vendors.h"
#include "td-window.h"


static TdTestSim *sim;
static TdApplication *app;
static TdWindow *window;
static const char *output_dir;

/* Waiting ---------------------------------------------------------------- */

/* Every wait is bounded; a screenshot of the wrong state is worse than none. */
static void
wait_until (TdTestCondition    condition,
            gpointer           data,
            const char        *what)
{
  if (!td_ui_test_wait_until (condition, data, TD_UI_TEST_WAIT_MS))
    g_error ("Timed out waiting for %s", what);
}

/* No stack in a transition, no revealer half open: what the eye would see
 * once the window is still. */
static gboolean
settled (GtkWidget *widget)
{
  if (GTK_IS_STACK (widget) && gtk_stack_get_transition_running (GTK_STACK (widget)))
    return FALSE;

  if (GTK_IS_REVEALER (widget) &&
      gtk_revealer_get_reveal_child (GTK_REVEALER (widget)) !=
      gtk_revealer_get_child_revealed (GTK_REVEALER (widget)))
    return FALSE;

  for (GtkWidget *child = gtk_widget_get_first_child (widget); child;
       child = gtk_widget_get_next_sibling (child))
    if (!settled (child))
      return FALSE;

  return TRUE;
}

static gboolean
settled_cb (gpointer widget)
{
  return settled (widget);
}

static gboolean
has_css_name (GtkWidget  *widget,
              const char *name)
{
  if (g_str_equal (gtk_widget_get_css_name (widget), name))
    return TRUE;

  for (GtkWidget *child = gtk_widget_get_first_child (widget); child;
       child = gtk_widget_get_next_sibling (child))
    if (has_css_name (child, name))
      return TRUE;

  return FALSE;
}

static gboolean
no_toast (gpointer widget)
{
  return !has_css_name (widget, "toast");
}

static void
after_paint_cb (GdkFrameClock *clock,
                gboolean      *painted)
{
  *painted = TRUE;
}

/* The widget paintable shows what was last drawn: let a frame go by. */
static void
wait_for_paint (GtkWidget *widget)
{
  GdkFrameClock *clock = gtk_widget_get_frame_clock (widget);
  gboolean painted = FALSE;
  gulong id;

  g_assert (clock != NULL);
  id = g_signal_connect (clock, "after-paint", G_CALLBACK (after_paint_cb), &painted);
  gtk_widget_queue_draw (widget);
  wait_until (td_ui_test_is_true, &painted, "a frame");
  g_signal_handler_disconnect (clock, id);
}

static gboolean
mapped (gpointer widget)
{
  return gtk_widget_get_mapped (widget);
}

/* Shooting --------------------------------------------------------------- */

static void
shoot (gpointer    toplevel,
       const char *name)
{
  GtkWidget *widget = GTK_WIDGET (toplevel);
  g_autoptr(GdkPaintable) paintable = NULL;
  g_autoptr(GskRenderNode) node = NULL;
  g_autoptr(GdkTexture) texture = NULL;
  g_autofree char *path = g_build_filename (output_dir, name, NULL);
  GtkSnapshot *snapshot;
  int width, height;

  wait_until (mapped, widget, "the window to be mapped");
  wait_until (settled_cb, widget, "animations to finish");
  /* Twice: the first frame may have been under way when the state changed. */
  wait_for_paint (widget);
  wait_for_paint (widget);

  width = gtk_widget_get_width (widget);
  height = gtk_widget_get_height (widget);
  paintable = gtk_widget_paintable_new (widget);
  snapshot = gtk_snapshot_new ();
  gdk_paintable_snapshot (paintable, GDK_SNAPSHOT (snapshot), width, height);
  node = gtk_snapshot_free_to_node (snapshot);
  g_assert (node != NULL);

  texture = gsk_renderer_render_texture (gtk_native_get_renderer (GTK_NATIVE (widget)), node,
                                         &GRAPHENE_RECT_INIT (0, 0, width, height));
  if (!gdk_texture_save_to_png (texture, path))
    g_error ("Could not write %s", path);

  g_print ("%s (%d×%d)\n", path, width, height);
}

/* The window and its dialogs --------------------------------------------- */

static TdAccountList *
accounts (void)
{
  return td_application_get_accounts (app);
}

static TdAccountDialog *
open_add_dialog (void)
{
  TdAccountDialog *dialog;

  if (!gtk_widget_activate_action (GTK_WIDGET (window), "win.add-account", NULL) ||
      !(dialog = td_ui_test_find_toplevel (TD_TYPE_ACCOUNT_DIALOG)))
    g_error ("The add dialog did not open");

  return dialog;
}


static TdAccount *
add_account (const char *vendor,
             const char *name,
             const char *username,
             const char *password,
             gboolean    remember_password)
{
  TdAccountDialog *dialog = open_add_dialog ();
  TdAccount *account;

  td_ui_test_fill_dialog (dialog, sim, vendor, name, username, password);
  td_account_dialog_set_option (dialog, "remember-password", remember_password);
  /* The states on show are those a user is warned of: the app would
   * renew the short-lived token of an account that renews by itself. */
  td_account_dialog_set_option (dialog, "renew-automatically", FALSE);
  if (!td_ui_test_sign_in (dialog))
    g_error ("Could not add %s: %s", name, td_account_dialog_get_message (dialog));

  account = td_account_list_find_by_name (accounts (), name);
  g_assert (account != NULL);

  return account;
}

static void
renewed_cb (GObject      *object,
            GAsyncResult *result,
            gpointer      user_data)
{
  /* Failing is the point: the account keeps the error for its row. */
  td_token_manager_renew_finish (TD_TOKEN_MANAGER (object), result, NULL);
  *(gboolean *) user_data = TRUE;
}

/* Through the token manager rather than win.renew-account: the window
 * would add a toast, or a sign-in prompt, on top of the list. */
static void
renew (TdAccount *account)
{
  gboolean done = FALSE;

  td_token_manager_renew_async (td_application_get_token_manager (app), account, NULL,
                                renewed_cb, &done);
  wait_until (td_ui_test_is_true, &done, "a renewal");
}

typedef struct
{
  TdAccount      *account;
  TdAccountState  state;
} StateWanted;

static gboolean
row_found (GtkWidget  *widget,
           TdAccount  *account)
{
  if (TD_IS_ACCOUNT_ROW (widget) && td_account_row_get_account (TD_ACCOUNT_ROW (widget)) == account)
    return gtk_widget_get_mapped (widget);

  for (GtkWidget *child = gtk_widget_get_first_child (widget); child;
       child = gtk_widget_get_next_sibling (child))
    if (row_found (child, account))
      return TRUE;

  return FALSE;
}

static gboolean
account_shows (gpointer data)
{
  StateWanted *wanted = data;

  return td_account_get_state (wanted->account) == wanted->state &&
         !td_account_get_busy (wanted->account) &&
         row_found (GTK_WIDGET (window), wanted->account);
}

static void
wait_for_state (TdAccount      *account,
                TdAccountState  state)
{
  StateWanted wanted = { account, state };
  g_autofree char *what = g_strdup_printf ("“%s” to be %s on screen",
                                           td_account_get_display_name (account),
                                           td_account_state_to_string (state));

  wait_until (account_shows, &wanted, what);
}

static gint64
sim_lifetime (const char *vendor)
{
  g_autoptr(JsonNode) config = td_test_sim_control (sim, "GET", "config", NULL);
  JsonObject *vendors = json_object_get_object_member (json_node_get_object (config), "vendors");

  return json_object_get_int_member (json_object_get_object_member (vendors, vendor),
                                     "lifetime_s");
}

static void
set_sim_lifetime (const char *vendor,
                  gint64      seconds)
{
  g_autofree char *body = NULL;

  body = g_strdup_printf ("{\"vendor\":\"%s\",\"lifetime_s\":%" G_GINT64_FORMAT "}",
                          vendor, seconds);

  td_test_sim_config (sim, body);
}

/* Added while the vendor's tokens live that many seconds. */
static TdAccount *
add_account_with_lifetime (const char *vendor,
                           gint64      seconds,
                           const char *name,
                           const char *username,
                           const char *password)
{
  gint64 usual = sim_lifetime (vendor);
  TdAccount *account;

  set_sim_lifetime (vendor, seconds);
  account = add_account (vendor, name, username, password, FALSE);
  set_sim_lifetime (vendor, usual);

  return account;
}

static gboolean
token_expired (gpointer account)
{
  return td_account_get_expires_at (account) <= g_get_real_time () / G_USEC_PER_SEC;
}

static void
unselect_all (void)
{
  GtkSelectionModel *selection = GTK_SELECTION_MODEL (td_window_get_visible_accounts (window));
  guint n = g_list_model_get_n_items (G_LIST_MODEL (selection));

  for (guint i = 0; i < n; i++)
    if (gtk_selection_model_is_selected (selection, i))
      gtk_selection_model_unselect_item (selection, i);
}

static gboolean
subprocess_done (gpointer process)
{
  return g_subprocess_get_identifier (process) == NULL;
}

static gboolean
handed_out (gpointer account)
{
  return td_account_get_handed_out_at (account) > 0;
}

static void
hand_out_to_gdbus (TdAccount *account)
{
  GDBusConnection *bus = g_application_get_dbus_connection (G_APPLICATION (app));
  g_autoptr(GSubprocess) gdbus = NULL;
  g_autoptr(GError) error = NULL;

  /* Its output, the token, goes nowhere. */
  gdbus = g_subprocess_new (G_SUBPROCESS_FLAGS_STDOUT_SILENCE, &error,
                            "gdbus", "call", "--session",
                            "--dest", g_dbus_connection_get_unique_name (bus),
                            "--object-path", "/io/github/tokendesk/TokenDesk",
                            "--method", "io.github.tokendesk.TokenDesk1.GetToken",
                            td_account_get_display_name (account), "60", NULL);
  g_assert (error == NULL);
  wait_until (handed_out, account, "gdbus to get a token");
  wait_until (subprocess_done, gdbus, "gdbus to end");
}

/* Screens ---------------------------------------------------------------- */

static gboolean
page_is (gpointer page)
{
  return g_strcmp0 (td_window_get_page (window), page) == 0;
}

static void
shoot_empty (void)
{
  wait_until (page_is, "empty", "the empty state");
  shoot (window, "empty.png");
}

/* One account per vendor, one state each. Sorted by name, the list reads
 * from fine to broken. */
static void
shoot_main (void)
{
  TdAccount *signed_in, *expiring, *needs_sign_in, *error;

  signed_in = add_account ("coverwhale", "Insurance API", "alice", "alice-password", FALSE);

  /* Expiring: within the five minutes before the end of a token's life. */
  expiring = add_account_with_lifetime ("senmo", 270, "Lab Instance", "alice", "alice-password");

  /* Needs sign-in: the token ran out, no password is kept, and Logware
   * has no refresh token. The app finds out when it tries to renew. */
  needs_sign_in = add_account_with_lifetime ("logware", 1, "Shipping Logs", "bob", "bob-password");

  /* Error: Couchdrop's gateway fails the renewal with the remembered
   * password, once. */
  error = add_account ("couchdrop", "Transfers", "bob", "bob-password", TRUE);
  td_test_sim_hostile (sim, "couchdrop", "status-502", 1);

  wait_until (token_expired, needs_sign_in, "the Logware token to run out");
  renew (needs_sign_in);
  renew (error);

  wait_for_state (signed_in, TD_ACCOUNT_STATE_SIGNED_IN);
  wait_for_state (expiring, TD_ACCOUNT_STATE_EXPIRING);
  wait_for_state (needs_sign_in, TD_ACCOUNT_STATE_NEEDS_SIGN_IN);
  wait_for_state (error, TD_ACCOUNT_STATE_ERROR);

  /* A script got the first account's token over D-Bus, as `gdbus call`
   * does: its row says so. */
  hand_out_to_gdbus (signed_in);

  /* The dialog selected the account it added; a list at rest has none.
   * The "added" toast goes by its timeout (5 s): td-window.c never
   * dismisses one from code, as libadwaita 1.2 may crash on it. */
  unselect_all ();
  wait_until (no_toast, window, "the toasts to time out");

  shoot (window, "main.png");
}

static void
scroll_to_end (GtkWidget *inside)
{
  GtkWidget *scrolled = gtk_widget_get_ancestor (inside, GTK_TYPE_SCROLLED_WINDOW);
  GtkAdjustment *adjustment;

  g_assert (scrolled != NULL);
  adjustment = gtk_scrolled_window_get_vadjustment (GTK_SCROLLED_WINDOW (scrolled));
  gtk_adjustment_set_value (adjustment, gtk_adjustment_get_upper (adjustment) -
                                        gtk_adjustment_get_page_size (adjustment));
}

static void
shoot_add_error (void)
{
  TdAccountDialog *dialog = open_add_dialog ();

  td_ui_test_fill_dialog (dialog, sim, "coverwhale", "Insurance Sandbox", "bob", "not-bobs-password");
  /* Where a person who typed the password is: the form scrolled to it. */
  gtk_widget_grab_focus (GTK_WIDGET (td_account_dialog_get_field (dialog, "password")));
  wait_for_paint (GTK_WIDGET (dialog));
  if (td_ui_test_sign_in (dialog))
    g_error ("A wrong password was accepted");

  /* The banner that appeared above the form shrank it, and the focused
   * password field went below the fold (the dialog does not scroll back
   * to it): show the end of the form, as the person would scroll to. */
  wait_for_paint (GTK_WIDGET (dialog));
  scroll_to_end (GTK_WIDGET (td_account_dialog_get_field (dialog, "password")));

  shoot (dialog, "add-error.png");
  td_ui_test_close_window (dialog);
}

/* A Cover Whale account being added, at the end of the form: Renew
 * Automatically is off there, and the row says why. */
static void
shoot_renew_automatically (void)
{
  TdAccountDialog *dialog = open_add_dialog ();

  td_ui_test_fill_dialog (dialog, sim, "coverwhale", "Claims Sandbox", "alice", "");
  wait_for_paint (GTK_WIDGET (dialog));
  scroll_to_end (GTK_WIDGET (td_account_dialog_get_field (dialog, "password")));

  shoot (dialog, "renew-automatically.png");
  td_ui_test_close_window (dialog);
}

static gboolean
dialog_says_something (gpointer dialog)
{
  return !td_account_dialog_get_busy (dialog) && td_account_dialog_get_message (dialog) != NULL;
}

/* Step 2 of Cover Whale's reset: the code is "e-mailed", the form filled. */
static void
shoot_reset_password (void)
{
  TdAccountDialog *dialog = open_add_dialog ();
  g_autofree char *code = NULL;

  td_ui_test_fill_dialog (dialog, sim, "coverwhale", "Insurance Sandbox", "bob", "");
  if (!gtk_widget_activate_action (GTK_WIDGET (dialog), "dialog.forgot-password", NULL) ||
      g_strcmp0 (td_account_dialog_get_page (dialog), "reset") != 0)
    g_error ("No reset page");

  if (!gtk_widget_activate_action (td_account_dialog_get_reset_page (dialog),
                                   "reset.send-code", NULL))
    g_error ("Send Reset Code is disabled");
  wait_until (dialog_says_something, dialog, "the reset code to be sent");

  code = td_test_sim_reset_code (sim, "bob");
  g_assert (code != NULL);
  td_ui_test_set_field (dialog, "reset-code", code);
  td_ui_test_set_field (dialog, "reset-password", "a-new-password-for-bob");
  td_ui_test_set_field (dialog, "reset-confirm", "a-new-password-for-bob");
  wait_until (td_ui_test_dialog_idle, dialog, "the dialog to be idle");

  shoot (dialog, "reset-password.png");
  td_ui_test_close_window (dialog);
}

static void
shoot_preferences (void)
{
  GtkWindow *preferences;

  g_settings_reset (td_application_get_settings (app), "notify-expiry");
  g_action_group_activate_action (G_ACTION_GROUP (app), "preferences", NULL);
  preferences = td_ui_test_find_toplevel (TD_TYPE_PREFERENCES_WINDOW);
  g_assert (preferences != NULL);

  shoot (preferences, "preferences.png");
  td_ui_test_close_window (preferences);
}

/* Setup ------------------------------------------------------------------ */

int
main (int   argc,
      char *argv[])
{
  if (argc != 2)
    {
      g_printerr ("Usage: %s OUTPUT-DIR (inside tests/headless-session)\n", argv[0]);
      return 2;
    }
  output_dir = argv[1];
  if (g_mkdir_with_parents (output_dir, 0755) != 0)
    g_error ("Cannot create %s", output_dir);

  /* It adds accounts: never to someone's own list and keyring. */
  if (g_getenv ("TD_HEADLESS_SESSION") == NULL)
    {
      g_printerr ("%s: run it inside tests/headless-session\n", argv[0]);
      return 2;
    }

  /* As src/app-main.c does: LANGUAGE=de build-aux/screenshots DIR takes
   * them in German. */
  setlocale (LC_ALL, "");
  bindtextdomain (GETTEXT_PACKAGE, g_getenv ("TOKENDESK_LOCALEDIR") != NULL
                                   ? g_getenv ("TOKENDESK_LOCALEDIR") : LOCALEDIR);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);

  gtk_init ();
  adw_init ();
  td_vendors_init ();

  if (gdk_display_get_default () == NULL)
    g_error ("No display: run under tests/headless-session");

  /* The font and title buttons a GNOME desktop sets through XSETTINGS,
   * which Xvfb lacks; a steady caret so that a focused entry looks the same in every run.
   * Animations off: a scrolled window's scroll to the focused field (an
   * adjustment animating) cannot be waited for from outside; stacks and
   * revealers then end at once too, and settled() checks that they did. */
  g_object_set (gtk_settings_get_default (),
                "gtk-font-name", "Cantarell 11",
                "gtk-decoration-layout", "appmenu:close",
                "gtk-cursor-blink", FALSE,
                "gtk-enable-animations", FALSE,
                NULL);
  adw_style_manager_set_color_scheme (adw_style_manager_get_default (),
                                      ADW_COLOR_SCHEME_FORCE_LIGHT);

  sim = td_test_sim_start ("--quiet", NULL);

  /* 800×600 inside: without a compositor GTK keeps a 5 px frame around
   * the window for resizing, which the default size includes. */
  window = td_ui_test_start_app ("io.github.tokendesk.TokenDesk.Screenshots", 810, 610, &app);

  shoot_empty ();
  shoot_main ();
  shoot_add_error ();
  shoot_reset_password ();
  shoot_renew_automatically ();
  shoot_preferences ();

  gtk_window_destroy (GTK_WINDOW (window));
  g_clear_object (&app);
  td_test_sim_stop (sim);

  return 0;
}
