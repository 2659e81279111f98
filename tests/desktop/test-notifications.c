/* test-notifications.c: expiry warnings in a real notification server
 *
 * The application runs in this process with its window, against the
 * vendor simulator and a real keyring; dunst shows what it sends, and
 * its context menu chooses the buttons, as a user would.
 *
 * TD_SCREENSHOT_DIR set: the first warning is also saved there as
 * notification.png.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <glib/gstdio.h>
#include <string.h>
#include <unistd.h>

#include "td-desktop-test-util.h"
#include "td-dunst.h"
#include "td-expiry-scheduler.h"
#include "td-sign-in-dialog.h"
#include "td-test-util.h"
#include "td-ui-test-util.h"
#include "td-vendors.h"

/* The shortest lead time the settings allow: tokens live a few seconds
 * longer, so the warning comes a few seconds after signing in. */
#define LEAD_TIME 60

static TdTestSim *sim;
static TdDunst *dunst;
static TdApplication *app;
static TdWindow *window;

typedef struct
{
  GAsyncResult *result;
} Wait;

static void
ready_cb (GObject      *object,
          GAsyncResult *result,
          gpointer      user_data)
{
  Wait *wait = user_data;

  wait->result = g_object_ref (result);
}

static gboolean
has_result (gpointer data)
{
  return ((Wait *) data)->result != NULL;
}

static void
set_lifetime (const char *vendor,
              guint       seconds)
{
  g_autofree char *json = g_strdup_printf ("{\"vendor\":\"%s\",\"lifetime_s\":%u}",
                                           vendor, seconds);

  td_test_sim_config (sim, json);
}

/* An account signed in at the simulator and added to the application's
 * list, as the account dialog does. */
static TdAccount *
add_signed_in (const char *vendor,
               const char *name,
               gboolean    remember_password,
               gboolean    renew_automatically)
{
  TdTokenManager *manager = td_application_get_token_manager (app);
  g_autoptr(TdAccount) account = td_account_new (NULL, vendor);
  g_autofree char *base = td_test_sim_dup_base (sim, vendor);
  g_autoptr(GError) error = NULL;
  Wait wait = { NULL };

  td_account_set_display_name (account, name);
  td_account_set_username (account, "alice");
  td_account_set_endpoint (account, base);
  td_account_set_remember_password (account, remember_password);
  td_account_set_renew_automatically (account, renew_automatically);

  td_token_manager_sign_in_async (manager, account, "alice-password", NULL, NULL,
                                  ready_cb, &wait);
  g_assert_true (td_ui_test_wait_until (has_result, &wait, TD_UI_TEST_WAIT_MS));
  td_token_manager_sign_in_finish (manager, wait.result, &error);
  g_assert_no_error (error);
  g_clear_object (&wait.result);

  td_account_list_add (td_application_get_accounts (app), account, &error);
  g_assert_no_error (error);

  return account;  /* the list holds it */
}

static void
remove_all_accounts (void)
{
  TdAccountList *accounts = td_application_get_accounts (app);
  GtkWindow *dialog;

  while ((dialog = td_ui_test_find_toplevel (TD_TYPE_SIGN_IN_DIALOG)) != NULL)
    td_ui_test_close_window (dialog);

  while (g_list_model_get_n_items (G_LIST_MODEL (accounts)) > 0)
    {
      g_autoptr(TdAccount) account = g_list_model_get_item (G_LIST_MODEL (accounts), 0);

      td_account_list_remove (accounts, account);
    }

  td_dunst_close_all (dunst);
  td_test_sim_reset (sim);
}

/* Conditions ---------------------------------------------------------------- */

typedef struct
{
  guint count;
} Expected;

static gboolean
received_reaches (gpointer data)
{
  return td_dunst_get_received (dunst)->len >= ((Expected *) data)->count;
}

static gboolean
displayed_is (gpointer data)
{
  return td_dunst_count_displayed (dunst) == ((Expected *) data)->count;
}

typedef struct
{
  const char *key;
  guint       count;
} Calls;

static gboolean
calls_reach (gpointer data)
{
  Calls *calls = data;

  return td_test_sim_count (sim, calls->key) >= calls->count;
}

static gboolean
signed_in (gpointer account)
{
  return td_account_get_state (account) == TD_ACCOUNT_STATE_SIGNED_IN;
}

static void
wait_received (guint count)
{
  Expected expected = { count };

  if (!td_ui_test_wait_until (received_reaches, &expected, 10000))
    g_error ("dunst received %u notifications, not %u",
             td_dunst_get_received (dunst)->len, count);
}

static void run_for (guint ms);

static void
wait_displayed (guint count)
{
  Expected expected = { count };

  if (!td_ui_test_wait_until (displayed_is, &expected, 10000))
    g_error ("dunst shows %u notifications, not %u", td_dunst_count_displayed (dunst), count);

  /* GLib learns the server's id for a notification from the reply to
   * Notify, and cannot withdraw it before: let the reply arrive. */
  run_for (100);
}

static gboolean
set_true_cb (gpointer data)
{
  *(gboolean *) data = TRUE;
  return G_SOURCE_REMOVE;
}

/* Runs the main loop for ms milliseconds. */
static void
run_for (guint ms)
{
  gboolean done = FALSE;

  g_timeout_add (ms, set_true_cb, &done);
  g_assert_true (td_ui_test_wait_until (td_ui_test_is_true, &done, ms + 5000));
}

static gboolean
has_action (TdDunstNotification *notification,
            const char          *label,
            const char          *action,
            TdAccount           *account)
{
  const char *found = td_dunst_find_action (notification, label);
  g_autofree char *expected = NULL;

  if (found == NULL)
    return FALSE;

  expected = g_strdup_printf ("%s=%s", action, label);
  if (account != NULL)
    {
      g_free (expected);
      expected = g_strdup_printf ("%s::%s=%s", action, td_account_get_id (account), label);
    }

  return g_str_equal (found, expected);
}

/* The corner of the screen where dunst shows its bubbles. */
static void
save_screenshot (const char *name)
{
  const char *out_dir = g_getenv ("TD_SCREENSHOT_DIR");
  g_autofree char *full = NULL;
  g_autofree char *path = NULL;

  if (out_dir == NULL)
    return;

  full = g_build_filename (g_get_tmp_dir (), "td-notification-full.png", NULL);
  path = g_build_filename (out_dir, name, NULL);
  td_desktop_screenshot (full);
  /* dunst's menu across the top of the screen, the bubble under it. */
  g_free (td_desktop_run ("convert", full, "-crop", "1280x250+0+0", "+repage", path, NULL));
  g_unlink (full);
  g_test_message ("Wrote %s", path);
}

/* Tests ------------------------------------------------------------------- */

/* At the lead time, not before; with the account, the vendor and the time
 * left; Renew renews once and withdraws it. */
static void
test_warning_on_time (void)
{
  guint before = td_dunst_get_received (dunst)->len;
  TdDunstNotification *notification;
  TdAccount *account;
  gint64 signed_in_at;
  double waited;
  Calls logins = { "logware/authenticate", 2 };

  set_lifetime ("logware", LEAD_TIME + 3);
  account = add_signed_in ("logware", "Insurance API", TRUE, FALSE);
  signed_in_at = g_get_monotonic_time ();
  set_lifetime ("logware", 3600);
  g_assert_cmpint (td_account_get_state (account), ==, TD_ACCOUNT_STATE_SIGNED_IN);

  run_for (1500);
  g_assert_cmpuint (td_dunst_get_received (dunst)->len, ==, before);

  wait_received (before + 1);
  waited = (g_get_monotonic_time () - signed_in_at) / (double) G_USEC_PER_SEC;
  g_test_message ("warned %.1f s after signing in, due after 3 s", waited);
  g_assert_cmpfloat (waited, >=, 2.0);
  g_assert_cmpfloat (waited, <, 4.5);

  notification = td_dunst_get_last (dunst);
  g_assert_cmpstr (notification->summary, ==, "Insurance API");
  g_assert_true (g_str_has_prefix (notification->body, "Logware token expires in"));
  g_assert_true (has_action (notification, "Copy", "app.copy-token", account));
  g_assert_true (has_action (notification, "Renew", "app.renew-account", account));
  g_assert_null (td_dunst_find_action (notification, "Sign In…"));
  wait_displayed (1);
  if (g_getenv ("TD_SCREENSHOT_DIR") != NULL)
    {
      g_autoptr(GSubprocess) menu = td_dunst_open_menu (dunst);

      save_screenshot ("notification.png");
      g_free (td_desktop_run ("xdotool", "key", "Escape", NULL));
      g_free (td_desktop_communicate (menu, NULL));
      /* dunst reads dmenu's answer in a thread of its own. */
      run_for (500);
    }

  td_dunst_choose (dunst, "Renew");
  g_assert_true (td_ui_test_wait_until (calls_reach, &logins, TD_UI_TEST_WAIT_MS));
  g_assert_true (td_ui_test_wait_until (signed_in, account, TD_UI_TEST_WAIT_MS));
  /* dunst leaves the bubble after an action chosen from its menu, while
   * GLib, as the specification says, takes it as closed by the server:
   * nothing can withdraw it any more. A click on a real button (GNOME
   * Shell, xfce4-notifyd) closes it. */
  td_dunst_close_all (dunst);

  /* Once: no second call, no second notification. */
  run_for (500);
  g_assert_cmpuint (td_test_sim_count (sim, "logware/authenticate"), ==, 2);
  g_assert_cmpuint (td_dunst_get_received (dunst)->len, ==, before + 1);

  remove_all_accounts ();
}

/* Renewed some other way (the tray, the window): the warning goes. */
static void
test_withdrawn_when_renewed (void)
{
  guint before = td_dunst_get_received (dunst)->len;
  TdAccount *account;
  Calls logins = { "logware/authenticate", 2 };

  set_lifetime ("logware", LEAD_TIME / 2);
  account = add_signed_in ("logware", "Shipping", TRUE, FALSE);
  set_lifetime ("logware", 3600);
  wait_received (before + 1);
  wait_displayed (1);

  g_action_group_activate_action (G_ACTION_GROUP (app), "renew-account",
                                  g_variant_new_string (td_account_get_id (account)));
  g_assert_true (td_ui_test_wait_until (calls_reach, &logins, TD_UI_TEST_WAIT_MS));
  wait_displayed (0);
  g_assert_cmpuint (td_dunst_get_received (dunst)->len, ==, before + 1);

  remove_all_accounts ();
}

/* Without a remembered password renewal needs one typed: Sign In…. Signing
 * out withdraws the warning. */
static void
test_sign_in_button_and_sign_out (void)
{
  guint before = td_dunst_get_received (dunst)->len;
  TdTokenManager *manager = td_application_get_token_manager (app);
  TdDunstNotification *notification;
  TdAccount *account;
  Wait wait = { NULL };

  /* Already in its warning time when it arrives. */
  set_lifetime ("logware", LEAD_TIME / 2);
  account = add_signed_in ("logware", "Claims", FALSE, TRUE);
  wait_received (before + 1);

  notification = td_dunst_get_last (dunst);
  g_assert_cmpstr (notification->summary, ==, "Claims");
  g_assert_true (has_action (notification, "Sign In…", "app.sign-in-account", account));
  g_assert_null (td_dunst_find_action (notification, "Renew"));
  wait_displayed (1);

  td_token_manager_sign_out_async (manager, account, FALSE, NULL, ready_cb, &wait);
  g_assert_true (td_ui_test_wait_until (has_result, &wait, TD_UI_TEST_WAIT_MS));
  g_assert_true (td_token_manager_sign_out_finish (manager, wait.result, NULL));
  g_clear_object (&wait.result);
  wait_displayed (0);

  remove_all_accounts ();
}

/* Expired unrenewed: the warning makes way for the expiry; removing the
 * account withdraws that. */
static void
test_expired_and_removed (void)
{
  guint before = td_dunst_get_received (dunst)->len;
  TdDunstNotification *notification;
  TdAccount *account;

  set_lifetime ("logware", 3);
  account = add_signed_in ("logware", "Billing", TRUE, FALSE);
  wait_received (before + 1);
  g_assert_cmpstr (td_dunst_get_last (dunst)->summary, ==, "Billing");

  wait_received (before + 2);
  notification = td_dunst_get_last (dunst);
  g_assert_cmpint (td_account_get_state (account), ==, TD_ACCOUNT_STATE_EXPIRED);
  g_assert_cmpstr (notification->summary, ==, "Token for “Billing” expired");
  g_assert_true (has_action (notification, "Renew", "app.renew-account", account));
  wait_displayed (1);

  td_account_list_remove (td_application_get_accounts (app), account);
  wait_displayed (0);

  remove_all_accounts ();
}

/* A renewal the vendor refuses: its words, and Sign In…. */
static void
test_renewal_failed (void)
{
  guint before = td_dunst_get_received (dunst)->len;
  TdDunstNotification *notification;
  TdAccount *account;
  Calls refreshes = { "senmo/refreshtoken", 1 };

  account = add_signed_in ("senmo", "Lab", FALSE, FALSE);
  td_test_sim_revoke (sim, "senmo", "alice");

  g_action_group_activate_action (G_ACTION_GROUP (app), "renew-account",
                                  g_variant_new_string (td_account_get_id (account)));
  g_assert_true (td_ui_test_wait_until (calls_reach, &refreshes, TD_UI_TEST_WAIT_MS));
  wait_received (before + 1);

  notification = td_dunst_get_last (dunst);
  g_assert_cmpstr (notification->summary, ==, "Could not renew the token for “Lab”");
  g_assert_nonnull (td_account_get_error_message (account));
  g_assert_cmpstr (notification->body, ==, td_account_get_error_message (account));
  g_assert_true (has_action (notification, "Sign In…", "app.sign-in-account", account));

  remove_all_accounts ();
  wait_displayed (0);
}

/* Ten accounts due within the same minute: one notification, and Renew All
 * renews each once. */
static void
test_coalesced (void)
{
  guint before = td_dunst_get_received (dunst)->len;
  TdDunstNotification *notification;
  Calls logins = { "logware/authenticate", 20 };

  set_lifetime ("logware", LEAD_TIME + 3);
  for (guint i = 0; i < 10; i++)
    {
      g_autofree char *name = g_strdup_printf ("Service %u", i);

      add_signed_in ("logware", name, TRUE, FALSE);
    }
  set_lifetime ("logware", 3600);

  wait_received (before + 1);
  run_for (4000);
  g_assert_cmpuint (td_dunst_get_received (dunst)->len, ==, before + 1);
  g_assert_cmpuint (td_dunst_count_displayed (dunst), ==, 1);

  notification = td_dunst_get_last (dunst);
  g_assert_cmpstr (notification->summary, ==, "10 tokens expire in 1 min");
  g_assert_nonnull (strstr (notification->body, "Service 0"));
  g_assert_nonnull (strstr (notification->body, "Service 9"));
  g_assert_nonnull (td_dunst_find_action (notification, "Renew All"));

  td_dunst_choose (dunst, "Renew All");
  g_assert_true (td_ui_test_wait_until (calls_reach, &logins, TD_UI_TEST_WAIT_MS));
  /* As in test_warning_on_time: dunst keeps the bubble after its menu. */
  td_dunst_close_all (dunst);
  run_for (500);
  g_assert_cmpuint (td_test_sim_count (sim, "logware/authenticate"), ==, 20);
  g_assert_cmpuint (td_dunst_get_received (dunst)->len, ==, before + 1);

  remove_all_accounts ();
}

/* Renews at the warning time instead of warning. */
static void
test_renews_automatically (void)
{
  guint before = td_dunst_get_received (dunst)->len;
  TdAccount *account;
  gint64 expires_at;
  Calls logins = { "logware/authenticate", 2 };

  set_lifetime ("logware", LEAD_TIME + 2);
  account = add_signed_in ("logware", "Payments", TRUE, TRUE);
  expires_at = td_account_get_expires_at (account);
  set_lifetime ("logware", 3600);

  g_assert_true (td_ui_test_wait_until (calls_reach, &logins, 6000));
  g_assert_true (td_ui_test_wait_until (signed_in, account, TD_UI_TEST_WAIT_MS));
  g_assert_cmpint (td_account_get_expires_at (account), >, expires_at);

  run_for (1000);
  g_assert_cmpuint (td_test_sim_count (sim, "logware/authenticate"), ==, 2);
  g_assert_cmpuint (td_dunst_get_received (dunst)->len, ==, before);

  remove_all_accounts ();
}

static gboolean
window_active (gpointer data)
{
  GtkWindow *window = gtk_application_get_active_window (GTK_APPLICATION (app));

  return window != NULL && gtk_window_is_active (window);
}

static gboolean
window_mapped (gpointer data)
{
  GtkWindow *window = gtk_application_get_active_window (GTK_APPLICATION (app));

  return window != NULL && gtk_widget_get_mapped (GTK_WIDGET (window));
}

static void
focus_our_window (void)
{
  g_autofree char *pid = g_strdup_printf ("%d", (int) getpid ());
  g_autofree char *ids = td_desktop_run ("xdotool", "search", "--onlyvisible", "--pid", pid,
                                         NULL);
  g_auto(GStrv) lines = g_strsplit (g_strstrip (ids), "\n", -1);

  g_assert_cmpuint (g_strv_length (lines), >=, 1);
  g_free (td_desktop_run ("xdotool", "windowfocus", "--sync", lines[0], NULL));
}

/* The focused window shows the account: its row says it all, no
 * notification; that event stays told once the window is gone. */
static void
test_not_for_account_in_view (void)
{
  guint before = td_dunst_get_received (dunst)->len;
  GtkWindow *window;
  TdAccount *account;

  g_application_activate (G_APPLICATION (app));
  g_assert_true (td_ui_test_wait_until (window_mapped, NULL, TD_UI_TEST_WAIT_MS));
  /* No window manager here to give it the focus: as one would. */
  focus_our_window ();
  g_assert_true (td_ui_test_wait_until (window_active, NULL, TD_UI_TEST_WAIT_MS));
  window = gtk_application_get_active_window (GTK_APPLICATION (app));

  set_lifetime ("logware", LEAD_TIME / 2);
  account = add_signed_in ("logware", "Audit", TRUE, FALSE);
  g_assert_cmpint (td_account_get_state (account), ==, TD_ACCOUNT_STATE_EXPIRING);
  run_for (1500);
  g_assert_true (td_window_shows_account (TD_WINDOW (window), account));
  g_assert_cmpuint (td_dunst_get_received (dunst)->len, ==, before);

  td_ui_test_close_window (window);
  run_for (1000);
  g_assert_cmpuint (td_dunst_get_received (dunst)->len, ==, before);

  /* Nobody looking: the next one is told. */
  add_signed_in ("logware", "Audit Two", TRUE, FALSE);
  wait_received (before + 1);
  g_assert_cmpstr (td_dunst_get_last (dunst)->summary, ==, "Audit Two");

  remove_all_accounts ();
}

typedef struct
{
  TdAccount *account;
  gint64     expires_at;
} ExpiryWait;

static gboolean
expiry_changed (gpointer data)
{
  ExpiryWait *wait = data;

  return td_account_get_expires_at (wait->account) != wait->expires_at &&
         !td_account_get_busy (wait->account);
}

/* Asleep past the expiry: told within a second of logind's resume signal,
 * and an account that renews automatically is renewed then. */
static void
test_after_resume (void)
{
  TdExpiryScheduler *scheduler = td_expiry_scheduler_get_default ();
  guint before = td_dunst_get_received (dunst)->len;
  g_autoptr(GSubprocess) logind = td_test_logind_start ();
  TdAccount *warned, *renewed;
  Calls logins = { "logware/authenticate", 3 };
  ExpiryWait renewal;
  gint64 resumed_at;
  double latency_ms;

  /* The application subscribed at startup, before logind existed. */
  set_lifetime ("logware", 3600);
  warned = add_signed_in ("logware", "Warehouse", TRUE, FALSE);
  renewed = add_signed_in ("logware", "Invoices", TRUE, TRUE);
  g_assert_cmpint (td_account_get_state (warned), ==, TD_ACCOUNT_STATE_SIGNED_IN);
  renewal.account = renewed;
  renewal.expires_at = td_account_get_expires_at (renewed);
  /* Tokens from the renewal expire later: they show it came. */
  set_lifetime ("logware", 4 * 3600);

  /* Two hours asleep: the wall clock moved on, the timer armed on the
   * real clock did not fire. */
  td_test_logind_prepare_for_sleep (TRUE);
  td_expiry_scheduler_set_clock_offset_for_testing (scheduler, 2 * G_TIME_SPAN_HOUR);
  run_for (300);
  g_assert_cmpuint (td_dunst_get_received (dunst)->len, ==, before);

  resumed_at = g_get_monotonic_time ();
  td_test_logind_prepare_for_sleep (FALSE);
  wait_received (before + 1);
  latency_ms = (g_get_monotonic_time () - resumed_at) / 1000.0;
  g_test_message ("expired notification %.0f ms after resume", latency_ms);
  g_assert_cmpfloat (latency_ms, <, 1000);
  g_assert_cmpstr (td_dunst_get_last (dunst)->summary, ==, "Token for “Warehouse” expired");

  /* Renewed at once (the simulator's clock did not sleep: its token
   * still looks expired on ours). */
  g_assert_true (td_ui_test_wait_until (calls_reach, &logins, TD_UI_TEST_WAIT_MS));
  g_assert_true (td_ui_test_wait_until (expiry_changed, &renewal, TD_UI_TEST_WAIT_MS));
  g_assert_cmpuint (td_dunst_get_received (dunst)->len, ==, before + 1);

  td_expiry_scheduler_set_clock_offset_for_testing (scheduler, 0);
  td_desktop_kill (logind);
  remove_all_accounts ();
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = NULL;
  g_autofree char *config_dir = NULL;
  g_autofree char *dunst_dir = NULL;
  int status;

  dir = g_dir_make_tmp ("tokendesk-notifications-XXXXXX", &error);
  g_assert_no_error (error);
  config_dir = g_build_filename (dir, "config", NULL);
  dunst_dir = g_build_filename (dir, "dunst", NULL);
  g_mkdir (dunst_dir, 0700);
  g_setenv ("XDG_CONFIG_HOME", config_dir, TRUE);
  /* What GLib uses on a desktop without GNOME Shell (and with nobody on
   * org.gtk.Notifications, as here): the freedesktop.org server. */
  g_setenv ("GNOTIFICATION_BACKEND", "freedesktop", TRUE);

  g_test_init (&argc, &argv, NULL);
  gtk_init ();
  adw_init ();
  td_vendors_init ();

  if (gdk_display_get_default () == NULL)
    {
      g_print ("1..0 # SKIP no display: run under tests/headless-session\n");
      return 0;
    }

  sim = td_test_sim_start ("--quiet", NULL);
  dunst = td_dunst_start (dunst_dir);

  window = td_ui_test_start_app ("io.github.tokendesk.TokenDesk.Test", 0, 0, &app);
  g_settings_set_boolean (td_application_get_settings (app), "notify-expiry", TRUE);
  g_settings_set_uint (td_application_get_settings (app), "expiry-lead-time", LEAD_TIME);
  /* In the background, as from the tray: a window showing the accounts
   * would keep their notifications away. */
  td_ui_test_close_window (g_steal_pointer (&window));

  g_test_add_func ("/notifications/warning-on-time", test_warning_on_time);
  g_test_add_func ("/notifications/withdrawn-when-renewed", test_withdrawn_when_renewed);
  g_test_add_func ("/notifications/sign-in-button-and-sign-out", test_sign_in_button_and_sign_out);
  g_test_add_func ("/notifications/expired-and-removed", test_expired_and_removed);
  g_test_add_func ("/notifications/renewal-failed", test_renewal_failed);
  g_test_add_func ("/notifications/coalesced", test_coalesced);
  g_test_add_func ("/notifications/renews-automatically", test_renews_automatically);
  g_test_add_func ("/notifications/after-resume", test_after_resume);
  g_test_add_func ("/notifications/not-for-account-in-view", test_not_for_account_in_view);

  status = g_test_run ();

  g_action_group_activate_action (G_ACTION_GROUP (app), "quit", NULL);
  g_clear_object (&app);
  td_dunst_stop (dunst);
  td_test_sim_stop (sim);
  td_test_rm_rf (dir);

  return status;
}
