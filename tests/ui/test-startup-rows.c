/* test-startup-rows.c: every row shows its state at start-up, every time
 *
 * The window started afresh, each time in a new process (libsecret's
 * first call is once per process): with accounts in the session's real
 * keyring, every row shows its state and expiry within 5 s, ten times
 * over; with a keyring that never answers, every row says so within the
 * deadline and offers to retry, and Retry reads the keyring again.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <adwaita.h>

#include "td-account-list.h"
#include "td-account-row.h"
#include "td-fake-keyring.h"
#include "td-test-util.h"
#include "td-token-store.h"
#include "td-ui-test-util.h"
#include "td-vendors.h"

#define N_ACCOUNTS   12
#define N_STARTS     10
#define ROWS_MS      5000
#define DEADLINE_MS  1000
#define MARGIN_MS    3000

/* Rows --------------------------------------------------------------------- */

static void
collect_rows (GtkWidget *widget,
              GPtrArray *rows)
{
  if (TD_IS_ACCOUNT_ROW (widget) && td_account_row_get_account (TD_ACCOUNT_ROW (widget)))
    g_ptr_array_add (rows, widget);

  for (GtkWidget *child = gtk_widget_get_first_child (widget); child;
       child = gtk_widget_get_next_sibling (child))
    collect_rows (child, rows);
}

static GPtrArray *
get_rows (TdWindow *window)
{
  GPtrArray *rows = g_ptr_array_new ();

  collect_rows (GTK_WIDGET (window), rows);
  return rows;
}

static gboolean
rows_show_state (gpointer data)
{
  g_autoptr(GPtrArray) rows = get_rows (data);
  guint shown = 0;

  for (guint i = 0; i < rows->len; i++)
    {
      TdAccountRow *row = g_ptr_array_index (rows, i);
      const char *state = td_account_row_get_state_text (row);

      if (state != NULL && *state != '\0' && td_account_row_get_expiry_text (row) != NULL)
        shown++;
    }

  return shown == N_ACCOUNTS;
}

static gboolean
rows_say_no_answer (gpointer data)
{
  g_autoptr(GPtrArray) rows = get_rows (data);
  guint shown = 0;

  for (guint i = 0; i < rows->len; i++)
    {
      TdAccountRow *row = g_ptr_array_index (rows, i);

      if (g_strcmp0 (td_account_row_get_state_text (row), "The keyring did not answer") == 0 &&
          td_account_row_get_offers_retry (row))
        shown++;
    }

  return shown == N_ACCOUNTS;
}

static gboolean
row_signed_out (gpointer data)
{
  TdAccountRow *row = data;

  return g_strcmp0 (td_account_row_get_state_text (row), "Signed out") == 0 &&
         !td_account_row_get_offers_retry (row);
}

/* Accounts ----------------------------------------------------------------- */

static void
saved_cb (GObject      *object,
          GAsyncResult *result,
          gpointer      user_data)
{
  gboolean *done = user_data;
  g_autoptr(GError) error = NULL;

  g_assert_true (td_token_store_save_finish (TD_TOKEN_STORE (object), result, &error));
  g_assert_no_error (error);
  *done = TRUE;
}

/* N_ACCOUNTS Logware accounts in the file, each with a token valid for an
 * hour in the session's keyring. */
static void
add_accounts (void)
{
  g_autoptr(TdAccountList) list = NULL;
  g_autoptr(TdTokenStore) store = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *path = td_account_list_dup_default_path ();

  /* Once for every test of this run. */
  if (g_file_test (path, G_FILE_TEST_EXISTS))
    return;

  list = td_account_list_new ();
  store = td_token_store_new ();
  for (guint i = 0; i < N_ACCOUNTS; i++)
    {
      g_autofree char *id = td_account_generate_id ();
      g_autofree char *name = g_strdup_printf ("Account %02u", i);
      g_autoptr(TdAccount) account = td_account_new (id, "logware");
      g_autoptr(TdStoredSecrets) secrets = td_stored_secrets_new ();
      gboolean done = FALSE;

      td_account_set_display_name (account, name);
      td_account_set_username (account, "alice");
      g_assert_true (td_account_list_add (list, account, &error));
      g_assert_no_error (error);

      secrets->tokens = td_tokens_new ();
      secrets->tokens->access_token = g_strdup_printf ("token-%u", i);
      secrets->tokens->expires_at = g_get_real_time () / G_USEC_PER_SEC + 3600;
      td_token_store_save_async (store, account, secrets, NULL, saved_cb, &done);
      g_assert_true (td_ui_test_wait_until (td_ui_test_is_true, &done, TD_UI_TEST_WAIT_MS));
    }

  g_assert_true (td_account_list_save_sync (list, NULL, &error));
  g_assert_no_error (error);
}

static TdWindow *
start_window (TdApplication **out_app)
{
  return td_ui_test_start_app ("io.github.tokendesk.TokenDesk.Test", 0, 1200, out_app);
}

/* Tests -------------------------------------------------------------------- */

static void
test_rows_every_time (void)
{
  if (g_test_subprocess ())
    {
      g_autoptr(TdApplication) app = NULL;
      gint64 started = g_get_monotonic_time ();
      TdWindow *window = start_window (&app);

      if (!td_ui_test_wait_until (rows_show_state, window, ROWS_MS))
        g_error ("Not every row showed its state and expiry within %d ms", ROWS_MS);
      g_test_message ("Every row showed its state after %" G_GINT64_FORMAT " ms",
                      (g_get_monotonic_time () - started) / 1000);
      return;
    }

  add_accounts ();

  for (guint i = 0; i < N_STARTS; i++)
    {
      g_test_message ("Start %u of %u", i + 1, N_STARTS);
      g_test_trap_subprocess (NULL, 60 * G_USEC_PER_SEC, G_TEST_SUBPROCESS_INHERIT_STDERR);
      g_test_trap_assert_passed ();
    }
}

static void
test_silent_keyring (void)
{
  g_autoptr(TdApplication) app = NULL;
  g_autoptr(GPtrArray) rows = NULL;
  TdFakeKeyring *keyring;
  TdWindow *window;
  TdAccountRow *row;

  if (!g_test_subprocess ())
    {
      add_accounts ();
      g_test_trap_subprocess (NULL, 60 * G_USEC_PER_SEC, G_TEST_SUBPROCESS_INHERIT_STDERR);
      g_test_trap_assert_passed ();
      return;
    }

  g_setenv ("TD_KEYRING_TIMEOUT_MS", G_STRINGIFY (DEADLINE_MS), TRUE);
  keyring = td_fake_keyring_start (TD_FAKE_KEYRING_SILENT);
  window = start_window (&app);

  if (!td_ui_test_wait_until (rows_say_no_answer, window, DEADLINE_MS + MARGIN_MS))
    g_error ("Not every row said the keyring did not answer within %d ms",
             DEADLINE_MS + MARGIN_MS);
  /* It was the fake keyring that was asked, once. */
  g_assert_cmpuint (td_fake_keyring_get_calls (keyring), ==, 1);

  /* Retry, the keyring answering now (and holding nothing of ours). */
  td_fake_keyring_set_mode (keyring, TD_FAKE_KEYRING_ANSWERS);
  rows = get_rows (window);
  row = g_ptr_array_index (rows, 0);
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (row), "row.retry", NULL));
  if (!td_ui_test_wait_until (row_signed_out, row, DEADLINE_MS + MARGIN_MS))
    g_error ("Retry did not read the keyring again: the row says “%s”",
             td_account_row_get_state_text (row));

  td_fake_keyring_stop (keyring);
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(GError) error = NULL;
  const char *dir = g_getenv ("TD_TEST_STARTUP_DIR");
  g_autofree char *made = NULL;
  g_autofree char *config_dir = NULL;
  int status;

  /* The account file lives here, for this process and the ones it starts
   * to run each test in. */
  if (dir == NULL)
    {
      made = g_dir_make_tmp ("tokendesk-startup-XXXXXX", &error);
      g_assert_no_error (error);
      g_setenv ("TD_TEST_STARTUP_DIR", made, TRUE);
      dir = made;
    }
  config_dir = g_build_filename (dir, "config", NULL);
  g_setenv ("XDG_CONFIG_HOME", config_dir, TRUE);

  g_test_init (&argc, &argv, NULL);
  gtk_init ();
  adw_init ();
  td_vendors_init ();

  if (gdk_display_get_default () == NULL)
    {
      g_print ("1..0 # SKIP no display: run under tests/headless-session\n");
      return 0;
    }

  g_test_add_func ("/startup/rows-every-time", test_rows_every_time);
  g_test_add_func ("/startup/silent-keyring", test_silent_keyring);

  status = g_test_run ();

  if (made != NULL)
    td_test_rm_rf (made);

  return status;
}
