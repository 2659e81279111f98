/* test-keyring.c: keyring calls end, however the keyring behaves
 *
 * Against td-fake-keyring.c on a private bus: a keyring that never
 * answers must give each caller TD_ERROR_KEYRING_UNAVAILABLE within the
 * deadline, and release what the caller held for it (an application
 * hold); one that loses the answers to calls sent while its first one is
 * out (libsecret 0.20.5 and the Secret portal, inside Flatpak) must still
 * load every account, because the first keyring call goes alone.
 *
 * A real gnome-keyring on a private bus that dies, between calls or
 * during them, must be reported as unavailable (never as locked), and
 * without a GLib critical (the tests run with G_DEBUG=fatal-criticals).
 *
 * Each test runs in a process of its own: libsecret keeps its connection
 * and its service for the life of a process.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <libsecret/secret.h>
#include <signal.h>

#include "td-fake-keyring.h"
#include "td-test-util.h"
#include "td-token-store.h"

/* Scaled for a slow run (valgrind): a keyring that answers late under
 * load is not one that never answers. */
#define DEADLINE_MS  (500 * td_test_slowdown ())
#define MARGIN_MS    (1500 * td_test_slowdown ())
#define N_ACCOUNTS   6

static TdFakeKeyring *keyring;

static void
start (TdFakeKeyringMode mode)
{
  g_autofree char *deadline = g_strdup_printf ("%d", DEADLINE_MS);

  g_setenv ("TD_KEYRING_TIMEOUT_MS", deadline, TRUE);
  keyring = td_fake_keyring_start (mode);
}

static void
stop (void)
{
  g_clear_pointer (&keyring, td_fake_keyring_stop);
}

static GPtrArray *
make_accounts (void)
{
  GPtrArray *accounts = g_ptr_array_new_with_free_func (g_object_unref);

  for (guint i = 0; i < N_ACCOUNTS; i++)
    {
      g_autofree char *id = g_strdup_printf ("account-%u", i);

      g_ptr_array_add (accounts, td_account_new (id, "logware"));
    }

  return accounts;
}

static gboolean
is_set (gpointer slot)
{
  return *(gpointer *) slot != NULL;
}

static gboolean
all_loaded (gpointer user_data)
{
  GPtrArray *accounts = user_data;

  for (guint i = 0; i < accounts->len; i++)
    if (!td_account_get_secrets_loaded (g_ptr_array_index (accounts, i)))
      return FALSE;

  return TRUE;
}

static void
run_in_subprocess (gconstpointer data)
{
  void (*test) (void) = data;

  if (g_test_subprocess ())
    {
      test ();
      return;
    }

  g_test_trap_subprocess (NULL, 60 * G_USEC_PER_SEC, G_TEST_SUBPROCESS_INHERIT_STDOUT |
                                                     G_TEST_SUBPROCESS_INHERIT_STDERR);
  g_test_trap_assert_passed ();
}

/* A silent keyring --------------------------------------------------------- */

/* One load: the error comes at the deadline, not before, not never. */
static void
test_silent_load (void)
{
  g_autoptr(TdTokenStore) store = NULL;
  g_autoptr(TdAccount) account = td_account_new ("silent", "logware");
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(TdStoredSecrets) secrets = NULL;
  g_autoptr(GError) error = NULL;
  gint64 started, took_ms;

  start (TD_FAKE_KEYRING_SILENT);
  store = td_token_store_new ();

  started = g_get_monotonic_time ();
  td_token_store_load_async (store, account, NULL, td_test_result_cb, &result);
  g_assert_true (td_test_wait_until (is_set, &result,
                                     DEADLINE_MS + MARGIN_MS));
  took_ms = (g_get_monotonic_time () - started) / 1000;
  g_test_message ("The load ended after %" G_GINT64_FORMAT " ms (deadline %d ms)",
                  took_ms, DEADLINE_MS);
  g_assert_cmpint (took_ms, >=, DEADLINE_MS - 50);

  secrets = td_token_store_load_finish (store, result, &error);
  g_assert_null (secrets);
  g_assert_error (error, TD_ERROR, TD_ERROR_KEYRING_UNAVAILABLE);
  g_assert_cmpstr (error->message, ==, "The keyring did not answer");
  g_assert_cmpuint (td_fake_keyring_get_unanswered (keyring), >=, 1);

  /* Whatever libsecret does with the cancelled call later, it is not
   * heard of again (a second answer would abort in td_test_result_cb's
   * GTask, or be a critical). */
  td_test_run_for (DEADLINE_MS);
  stop ();
}

/* What the app does with a hold: hold, ask the keyring, release in the
 * callback. g_application_run () returns only once nothing holds it. */
typedef struct
{
  GApplication *app;
  TdTokenStore *store;
  TdAccount    *account;
  GError       *error;
} HoldData;

static void
held_load_cb (GObject      *object,
              GAsyncResult *result,
              gpointer      user_data)
{
  HoldData *data = user_data;
  g_autoptr(TdStoredSecrets) secrets = NULL;

  secrets = td_token_store_load_finish (TD_TOKEN_STORE (object), result, &data->error);
  g_application_release (data->app);
}

static void
activate_cb (GApplication *app,
             HoldData     *data)
{
  g_application_hold (app);
  td_token_store_load_async (data->store, data->account, NULL, held_load_cb, data);
}

static gboolean
hold_outlived_cb (gpointer user_data)
{
  g_error ("The application is still held %d ms after the keyring call began",
           DEADLINE_MS + MARGIN_MS);
  return G_SOURCE_REMOVE;
}

static void
test_silent_hold (void)
{
  g_autoptr(GApplication) app = NULL;
  g_autoptr(TdTokenStore) store = NULL;
  g_autoptr(TdAccount) account = td_account_new ("held", "logware");
  HoldData data = { 0 };
  guint timeout_id;

  start (TD_FAKE_KEYRING_SILENT);
  store = td_token_store_new ();
  app = g_application_new (NULL, G_APPLICATION_NON_UNIQUE);
  data.app = app;
  data.store = store;
  data.account = account;
  g_signal_connect (app, "activate", G_CALLBACK (activate_cb), &data);

  timeout_id = g_timeout_add (DEADLINE_MS + MARGIN_MS, hold_outlived_cb, NULL);
  g_assert_cmpint (g_application_run (app, 0, NULL), ==, 0);
  g_source_remove (timeout_id);

  g_assert_error (data.error, TD_ERROR, TD_ERROR_KEYRING_UNAVAILABLE);
  g_clear_error (&data.error);
  stop ();
}

/* Loading in the background: the first call goes alone and gets no
 * answer; the others, which waited for it, fail with it at once. Every
 * account then says so, and reading it again once the keyring answers
 * shows its state. */
static void
test_silent_background (void)
{
  g_autoptr(TdTokenStore) store = NULL;
  g_autoptr(TdTokenManager) manager = NULL;
  g_autoptr(GPtrArray) accounts = make_accounts ();
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  TdAccount *account;

  start (TD_FAKE_KEYRING_SILENT);
  store = td_token_store_new ();
  manager = td_token_manager_new (store);

  for (guint i = 0; i < accounts->len; i++)
    td_token_manager_queue_load (manager, g_ptr_array_index (accounts, i));

  g_assert_true (td_test_wait_until (all_loaded, accounts, DEADLINE_MS + MARGIN_MS));
  /* One keyring call went out: the others waited for its answer. */
  g_assert_cmpuint (td_fake_keyring_get_calls (keyring), ==, 1);

  for (guint i = 0; i < accounts->len; i++)
    {
      account = g_ptr_array_index (accounts, i);
      g_assert_cmpint (td_account_get_state (account), ==, TD_ACCOUNT_STATE_ERROR);
      g_assert_cmpstr (td_account_get_error_message (account), ==, "The keyring did not answer");
      g_assert_true (td_account_get_keyring_error (account));
    }

  /* Retry, the keyring answering now. */
  td_fake_keyring_set_mode (keyring, TD_FAKE_KEYRING_ANSWERS);
  account = g_ptr_array_index (accounts, 0);
  td_token_manager_load_async (manager, account, NULL, td_test_result_cb, &result);
  g_assert_true (td_test_wait_until (is_set, &result,
                                     DEADLINE_MS + MARGIN_MS));
  g_assert_true (td_token_manager_load_finish (manager, result, &error));
  g_assert_no_error (error);
  g_assert_cmpint (td_account_get_state (account), ==, TD_ACCOUNT_STATE_SIGNED_OUT);
  g_assert_null (td_account_get_error_message (account));
  g_assert_false (td_account_get_keyring_error (account));

  stop ();
}

/* A keyring that loses concurrent first calls -------------------------------- */

static void
test_first_alone (void)
{
  g_autoptr(TdTokenStore) store = NULL;
  g_autoptr(TdTokenManager) manager = NULL;
  g_autoptr(GPtrArray) accounts = make_accounts ();

  start (TD_FAKE_KEYRING_FIRST_ALONE);
  store = td_token_store_new ();
  manager = td_token_manager_new (store);

  for (guint i = 0; i < accounts->len; i++)
    td_token_manager_queue_load (manager, g_ptr_array_index (accounts, i));

  g_assert_true (td_test_wait_until (all_loaded, accounts, 2 * DEADLINE_MS + MARGIN_MS));
  g_test_message ("%u keyring calls, %u never answered",
                  td_fake_keyring_get_calls (keyring),
                  td_fake_keyring_get_unanswered (keyring));

  for (guint i = 0; i < accounts->len; i++)
    {
      TdAccount *account = g_ptr_array_index (accounts, i);

      g_assert_cmpstr (td_account_get_error_message (account), ==, NULL);
      g_assert_cmpint (td_account_get_state (account), ==, TD_ACCOUNT_STATE_SIGNED_OUT);
    }
  g_assert_cmpuint (td_fake_keyring_get_unanswered (keyring), ==, 0);

  stop ();
}

/* A keyring that dies ------------------------------------------------------ */

#define N_DYING_ACCOUNTS 4
#define N_DYING_ROUNDS   40

static const SecretSchema dying_schema = {
  "io.github.tokendesk.TokenDesk.Secret", SECRET_SCHEMA_NONE,
  { { "account", SECRET_SCHEMA_ATTRIBUTE_STRING }, { "kind", SECRET_SCHEMA_ATTRIBUTE_STRING } },
};

/* A gnome-keyring of our own, holding items of every format for
 * N_DYING_ACCOUNTS accounts; stored with libsecret directly. */
static TdTestBus *
start_dying_keyring (GPtrArray **out_accounts)
{
  TdTestBus *bus = td_test_bus_start (TRUE, NULL);
  GPtrArray *accounts = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(GError) error = NULL;

  g_setenv ("DBUS_SESSION_BUS_ADDRESS", bus->address, TRUE);
  g_setenv ("TD_KEYRING_TIMEOUT_MS", "3000", TRUE);

  for (guint i = 0; i < N_DYING_ACCOUNTS; i++)
    {
      g_autofree char *id = g_strdup_printf ("dying-%u", i);
      const char *kinds[] = { "credentials", "password", "refresh-token" };

      g_ptr_array_add (accounts, td_account_new (id, "coverwhale"));
      for (guint k = 0; k < G_N_ELEMENTS (kinds); k++)
        {
          const char *value = k == 0 ? "{\"version\":1,\"access_token\":\"a\","
                                       "\"refresh_token\":\"r\",\"expires_at\":null}"
                                     : "secret-value";

          secret_password_store_sync (&dying_schema, SECRET_COLLECTION_DEFAULT, "test", value,
                                      NULL, &error, "account", id, "kind", kinds[k], NULL);
          g_assert_no_error (error);
        }
    }

  *out_accounts = accounts;
  return bus;
}

/* Ended, with nothing or with "unavailable" that does not say locked. */
static void
assert_dead_or_fine (const GError *error)
{
  if (error == NULL)
    return;

  g_test_message ("%s", error->message);
  g_assert_error (error, TD_ERROR, TD_ERROR_KEYRING_UNAVAILABLE);
  g_assert_null (strstr (error->message, "locked"));
}

typedef struct
{
  TdTokenStore *store;
  guint         pending;
} Dying;

static void
dying_loaded_cb (GObject      *object,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  Dying *dying = user_data;
  g_autoptr(TdStoredSecrets) secrets = NULL;
  g_autoptr(GError) error = NULL;

  secrets = td_token_store_load_finish (dying->store, result, &error);
  assert_dead_or_fine (error);
  dying->pending--;
}

static void
dying_all_loaded_cb (GObject      *object,
                     GAsyncResult *result,
                     gpointer      user_data)
{
  Dying *dying = user_data;
  g_autoptr(GHashTable) all = NULL;
  g_autoptr(GError) error = NULL;

  all = td_token_store_load_all_finish (dying->store, result, &error);
  assert_dead_or_fine (error);
  dying->pending--;
}

static void
dying_checked_cb (GObject      *object,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  Dying *dying = user_data;
  g_autoptr(GError) error = NULL;

  td_token_store_check_finish (dying->store, result, &error);
  assert_dead_or_fine (error);
  dying->pending--;
}

static void
dying_cleared_cb (GObject      *object,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  Dying *dying = user_data;
  g_autoptr(GError) error = NULL;

  td_token_store_clear_finish (dying->store, result, &error);
  assert_dead_or_fine (error);
  dying->pending--;
}

static gboolean
dying_done (gpointer user_data)
{
  return ((Dying *) user_data)->pending == 0;
}

/* Every kind of keyring read at once, twice, with scan_async too. */
static void
start_every_call (Dying     *dying,
                  GPtrArray *accounts)
{
  for (guint round = 0; round < 2; round++)
    {
      for (guint i = 0; i < accounts->len; i++)
        {
          dying->pending += 2;
          td_token_store_load_async (dying->store, g_ptr_array_index (accounts, i), NULL,
                                     dying_loaded_cb, dying);
          td_token_store_scan_async (dying->store, g_ptr_array_index (accounts, i), NULL,
                                     dying_loaded_cb, dying);
        }
      dying->pending += 2;
      td_token_store_load_all_async (dying->store, NULL, dying_all_loaded_cb, dying);
      td_token_store_check_async (dying->store, NULL, dying_checked_cb, dying);
    }
  dying->pending++;
  td_token_store_clear_async (dying->store, "dying-0", NULL, dying_cleared_cb, dying);
}

/* Killed between calls: every later call says the keyring is gone. */
static void
test_died_between_calls (void)
{
  g_autoptr(GPtrArray) accounts = NULL;
  g_autoptr(TdTestBus) bus = start_dying_keyring (&accounts);
  Dying dying = { td_token_store_new (), 0 };

  /* It works, and libsecret holds its proxies. */
  start_every_call (&dying, accounts);
  g_assert_true (td_test_wait_until (dying_done, &dying, 20000));

  g_assert_cmpint (kill (bus->keyring_pid, SIGKILL), ==, 0);
  bus->keyring_pid = 0;
  g_assert_true (td_test_wait_for_name (G_BUS_TYPE_SESSION, "org.freedesktop.secrets",
                                        FALSE, 5000));

  start_every_call (&dying, accounts);
  g_assert_true (td_test_wait_until (dying_done, &dying, 20000));
  g_clear_object (&dying.store);
}

static gpointer
kill_later_thread (gpointer data)
{
  TdTestBus *bus = data;

  g_usleep (g_random_int_range (0, 30000));
  kill (bus->keyring_pid, SIGKILL);

  return NULL;
}

/* Killed at a random moment while every kind of call is out: each ends,
 * fine or unavailable, never "locked". Asking libsecret whether an item
 * of the dead keyring is locked answers TRUE with a critical: without the
 * store's check that the item is alive, about one round in fifteen said
 * "The keyring is locked". One keyring per process (libsecret keeps its
 * service for the life of a process), so the rounds are subprocesses. */
/* libsecret 0.20.5 itself asks the items of a keyring that died under a
 * search whether they are locked (secret_item_load_secrets ()), and
 * returns a search's task once per item that failed to load: criticals
 * of libsecret's own, that Token Desk cannot prevent. They are counted,
 * not fatal, in this test only; what it checks is what Token Desk says. */
static guint n_library_criticals;

static void
count_critical (const char     *log_domain,
                GLogLevelFlags  log_level,
                const char     *message,
                gpointer        user_data)
{
  g_test_message ("Logged: %s: %s", log_domain, message);
  n_library_criticals++;
}

static void
test_died_during_calls_round (void)
{
  g_autoptr(GPtrArray) accounts = NULL;
  g_autoptr(TdTestBus) bus = start_dying_keyring (&accounts);
  Dying dying = { td_token_store_new (), 0 };
  GThread *killer;

  g_log_set_always_fatal (G_LOG_FATAL_MASK);
  g_log_set_handler ("libsecret", G_LOG_LEVEL_CRITICAL, count_critical, NULL);
  g_log_set_handler ("GLib-GIO", G_LOG_LEVEL_CRITICAL, count_critical, NULL);

  killer = g_thread_new ("killer", kill_later_thread, bus);
  start_every_call (&dying, accounts);
  g_assert_true (td_test_wait_until (dying_done, &dying, 20000));
  g_thread_join (killer);
  bus->keyring_pid = 0;
  g_clear_object (&dying.store);
}

static void
test_died_during_calls (void)
{
  if (g_test_subprocess ())
    {
      test_died_during_calls_round ();
      return;
    }

  for (guint round = 0; round < N_DYING_ROUNDS; round++)
    {
      g_test_trap_subprocess (NULL, 60 * G_USEC_PER_SEC, G_TEST_SUBPROCESS_INHERIT_STDERR);
      g_test_trap_assert_passed ();
    }
}

int
main (int   argc,
      char *argv[])
{
  td_test_init (&argc, &argv);

  g_test_add_data_func ("/keyring/silent/load", test_silent_load, run_in_subprocess);
  g_test_add_data_func ("/keyring/silent/hold", test_silent_hold, run_in_subprocess);
  g_test_add_data_func ("/keyring/silent/background", test_silent_background,
                        run_in_subprocess);
  g_test_add_data_func ("/keyring/first-call-alone", test_first_alone, run_in_subprocess);
  g_test_add_data_func ("/keyring/died/between-calls", test_died_between_calls,
                        run_in_subprocess);
  g_test_add_func ("/keyring/died/during-calls", test_died_during_calls);

  return g_test_run ();
}
