/* test-storage.c: what the command line and the app keep between runs
 *
 * TdAccountList (the account file), TdAccountLock (one renewal per
 * account across processes) and TdTokenStore (the keyring; those tests
 * skip outside tests/headless-session).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <glib/gstdio.h>
#include <gio/gio.h>
#include <string.h>
#ifdef __SANITIZE_ADDRESS__
#include <sanitizer/lsan_interface.h>
#endif

#include "td-account-list.h"
#include "td-account-lock.h"
#include <libsecret/secret.h>

#include "td-error.h"
#include "td-token-manager.h"
#include "td-token-store.h"

/* Bounded waits: a test that hangs fails instead. */
static gboolean
timed_out_cb (gpointer user_data)
{
  gboolean *timed_out = user_data;

  *timed_out = TRUE;
  return G_SOURCE_REMOVE;
}

static void
result_cb (GObject      *object,
           GAsyncResult *result,
           gpointer      user_data)
{
  GAsyncResult **out = user_data;

  *out = g_object_ref (result);
}

static GAsyncResult *
wait_result (GAsyncResult **slot)
{
  gboolean timed_out = FALSE;
  guint id = g_timeout_add (10000, timed_out_cb, &timed_out);

  while (*slot == NULL && !timed_out)
    g_main_context_iteration (NULL, TRUE);

  if (!timed_out)
    g_source_remove (id);
  g_assert_nonnull (*slot);

  return *slot;
}

/* TdAccountList ----------------------------------------------------------- */

typedef struct
{
  char  *dir;
  char  *path;
  GFile *file;
} Fixture;

static void
fixture_set_up (Fixture       *fixture,
                gconstpointer  data)
{
  g_autoptr(GError) error = NULL;

  fixture->dir = g_dir_make_tmp ("td-test-storage-XXXXXX", &error);
  g_assert_no_error (error);
  fixture->path = g_build_filename (fixture->dir, "tokendesk", "accounts.ini", NULL);
  fixture->file = g_file_new_for_path (fixture->path);
}

static void
fixture_tear_down (Fixture       *fixture,
                   gconstpointer  data)
{
  g_autofree char *parent = g_path_get_dirname (fixture->path);

  g_unlink (fixture->path);
  g_rmdir (parent);
  g_rmdir (fixture->dir);
  g_clear_object (&fixture->file);
  g_free (fixture->path);
  g_free (fixture->dir);
}

static void
items_changed_cb (GListModel *model,
                  guint       position,
                  guint       removed,
                  guint       added,
                  guint      *count)
{
  (*count)++;
}

static TdAccount *
new_account (const char *name,
             const char *vendor)
{
  TdAccount *account = td_account_new (NULL, vendor);

  td_account_set_display_name (account, name);
  td_account_set_username (account, "alice");
  return account;
}

static void
load (TdAccountList *list,
      gboolean       expect_success)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;

  td_account_list_load_async (list, NULL, result_cb, &result);
  if (td_account_list_load_finish (list, wait_result (&result), &error))
    g_assert_true (expect_success);
  else
    {
      g_assert_false (expect_success);
      g_assert_error (error, TD_ERROR, TD_ERROR_FAILED);
    }
}

static gboolean
save (TdAccountList  *list,
      GError        **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  td_account_list_save_async (list, NULL, result_cb, &result);
  return td_account_list_save_finish (list, wait_result (&result), error);
}

static void
test_list_round_trip (Fixture       *fixture,
                      gconstpointer  data)
{
  g_autoptr(TdAccountList) list = td_account_list_new_for_file (fixture->file);
  g_autoptr(TdAccountList) again = td_account_list_new_for_file (fixture->file);
  g_autoptr(TdAccount) work = new_account ("Work", "coverwhale");
  g_autoptr(TdAccount) lab = new_account ("Lab", "senmo");
  g_autoptr(TdAccount) clash = new_account ("WORK", "logware");
  g_autoptr(GError) error = NULL;
  g_autofree char *contents = NULL;
  guint changes = 0;
  TdAccount *found;

  g_signal_connect (list, "items-changed", G_CALLBACK (items_changed_cb), &changes);

  /* No file yet: an empty list, not an error. */
  load (list, TRUE);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (list)), ==, 0);
  g_assert_true (g_list_model_get_item_type (G_LIST_MODEL (list)) == TD_TYPE_ACCOUNT);

  td_account_set_endpoint (work, "sandbox");
  td_account_set_remember_password (work, TRUE);
  td_account_set_assumed_lifetime (work, 1800);
  td_account_set_endpoint (lab, "https://senmo.example.com");
  td_account_set_hand_out (lab, TD_HAND_OUT_ACCESS_TOKEN);
  td_account_set_granted_lifetime (work, 3600);
  td_account_set_granted_lifetime (lab, TD_GRANTED_LIFETIME_NEVER);

  g_assert_true (td_account_list_add (list, work, &error));
  g_assert_no_error (error);
  g_assert_true (td_account_list_add (list, lab, NULL));
  g_assert_cmpuint (changes, ==, 2);

  /* Names are unique whatever their case; ids are unique. */
  g_assert_false (td_account_list_add (list, clash, &error));
  g_assert_error (error, TD_ERROR, TD_ERROR_FAILED);
  g_clear_error (&error);
  g_assert_false (td_account_list_add (list, work, NULL));
  g_assert_cmpuint (changes, ==, 2);

  g_assert_true (td_account_list_find_by_name (list, "wORk") == work);
  g_assert_true (td_account_list_find_by_id (list, td_account_get_id (lab)) == lab);
  g_assert_null (td_account_list_find_by_name (list, "nobody"));

  g_assert_true (save (list, &error));
  g_assert_no_error (error);

  /* Human-readable, versioned, private. */
  g_assert_true (g_file_get_contents (fixture->path, &contents, NULL, NULL));
  g_assert_nonnull (strstr (contents, "[TokenDesk]\nversion=1\n"));
  g_assert_nonnull (strstr (contents, "name=Work\n"));
  g_assert_nonnull (strstr (contents, "endpoint=https://senmo.example.com\n"));
  g_assert_nonnull (strstr (contents, "hand-out=access\n"));
  g_assert_nonnull (strstr (contents, "granted-lifetime=3600\n"));
  g_assert_nonnull (strstr (contents, "granted-lifetime=never\n"));
  {
    GStatBuf st;

    g_assert_cmpint (g_stat (fixture->path, &st), ==, 0);
    g_assert_cmpint (st.st_mode & 0777, ==, 0600);
  }

  g_assert_true (td_account_list_load_sync (again, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (again)), ==, 2);
  found = td_account_list_find_by_id (again, td_account_get_id (work));
  g_assert_nonnull (found);
  g_assert_cmpstr (td_account_get_display_name (found), ==, "Work");
  g_assert_cmpstr (td_account_get_vendor (found), ==, "coverwhale");
  g_assert_cmpstr (td_account_get_username (found), ==, "alice");
  g_assert_cmpstr (td_account_get_endpoint (found), ==, "sandbox");
  g_assert_true (td_account_get_remember_password (found));
  g_assert_false (td_account_get_admin_token (found));
  g_assert_cmpuint (td_account_get_assumed_lifetime (found), ==, 1800);
  g_assert_cmpuint (td_account_get_granted_lifetime (found), ==, 3600);
  found = td_account_list_find_by_name (again, "lab");
  g_assert_cmpint (td_account_get_hand_out (found), ==, TD_HAND_OUT_ACCESS_TOKEN);
  g_assert_cmpuint (td_account_get_granted_lifetime (found), ==, TD_GRANTED_LIFETIME_NEVER);

  /* Removing */
  td_account_list_remove (list, work);
  g_assert_cmpuint (changes, ==, 3);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (list)), ==, 1);
  td_account_list_remove (list, work);
  g_assert_cmpuint (changes, ==, 3);
}

static void
test_list_merge (Fixture       *fixture,
                 gconstpointer  data)
{
  g_autoptr(TdAccountList) app = td_account_list_new_for_file (fixture->file);
  g_autoptr(TdAccountList) other = td_account_list_new_for_file (fixture->file);
  g_autoptr(TdAccount) work = new_account ("Work", "coverwhale");
  g_autoptr(TdAccount) lab = new_account ("Lab", "logware");
  g_autoptr(GError) error = NULL;
  TdAccount *kept;
  guint changes = 0;

  load (app, TRUE);
  g_assert_true (td_account_list_add (app, work, NULL));
  g_assert_true (save (app, NULL));

  /* Another process renames Work and adds Lab. */
  g_assert_true (td_account_list_load_sync (other, NULL, &error));
  td_account_set_display_name (td_account_list_find_by_id (other, td_account_get_id (work)),
                               "Work (old)");
  g_assert_true (td_account_list_add (other, lab, NULL));
  g_assert_true (td_account_list_save_sync (other, NULL, &error));
  g_assert_no_error (error);

  g_signal_connect (app, "items-changed", G_CALLBACK (items_changed_cb), &changes);
  load (app, TRUE);

  /* The same object, which the UI is bound to, with the new settings. */
  kept = td_account_list_find_by_id (app, td_account_get_id (work));
  g_assert_true (kept == work);
  g_assert_cmpstr (td_account_get_display_name (work), ==, "Work (old)");
  g_assert_nonnull (td_account_list_find_by_name (app, "Lab"));
  g_assert_cmpuint (changes, ==, 1);

  /* Nothing changed: no signal. */
  load (app, TRUE);
  g_assert_cmpuint (changes, ==, 1);
}

/* What the vendor grants is learned, not set: a file from before the key,
 * or with a value this version cannot read, loads all the same. */
static void
test_list_granted_lifetime (Fixture       *fixture,
                            gconstpointer  data)
{
  g_autoptr(TdAccountList) list = td_account_list_new_for_file (fixture->file);
  g_autofree char *parent = g_path_get_dirname (fixture->path);
  g_autoptr(GError) error = NULL;

  g_assert_cmpint (g_mkdir_with_parents (parent, 0700), ==, 0);
  g_assert_true (g_file_set_contents (fixture->path,
                                      "[TokenDesk]\nversion=1\n"
                                      "[a]\nname=A\nvendor=logware\n"
                                      "[b]\nname=B\nvendor=logware\ngranted-lifetime=soon\n"
                                      "[c]\nname=C\nvendor=logware\ngranted-lifetime=60\n",
                                      -1, NULL));
  g_assert_true (td_account_list_load_sync (list, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (td_account_get_granted_lifetime (td_account_list_find_by_id (list, "a")),
                    ==, 0);
  g_assert_cmpuint (td_account_get_granted_lifetime (td_account_list_find_by_id (list, "b")),
                    ==, 0);
  g_assert_cmpuint (td_account_get_granted_lifetime (td_account_list_find_by_id (list, "c")),
                    ==, 60);

  /* Learned since the file was read, absent from it: kept over a reload. */
  td_account_set_granted_lifetime (td_account_list_find_by_id (list, "a"), 600);
  g_assert_true (td_account_list_load_sync (list, NULL, &error));
  g_assert_cmpuint (td_account_get_granted_lifetime (td_account_list_find_by_id (list, "a")),
                    ==, 600);
}

static void
test_list_refuses_to_overwrite (Fixture       *fixture,
                                gconstpointer  data)
{
  const char *bad[] = {
    "garbage\x01[[[",
    "[TokenDesk]\nversion=7\n",
    "[TokenDesk]\nversion=one\n",
    "[Other]\nkey=value\n",
    "[TokenDesk]\nversion=1\n[a]\nname=A\n",
    "[TokenDesk]\nversion=1\n[a]\nname=A\nvendor=x\n[b]\nname=a\nvendor=y\n",
    "[TokenDesk]\nversion=1\n[a]\nname=A\nvendor=x\nremember-password=maybe\n",
    "[TokenDesk]\nversion=1\n[a]\nname=A\nvendor=x\nassumed-lifetime=5\n",
  };
  g_autofree char *parent = g_path_get_dirname (fixture->path);

  g_assert_cmpint (g_mkdir_with_parents (parent, 0700), ==, 0);

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr(TdAccountList) list = td_account_list_new_for_file (fixture->file);
      g_autoptr(TdAccount) account = new_account ("New", "logware");
      g_autoptr(GError) error = NULL;
      g_autofree char *after = NULL;

      g_assert_true (g_file_set_contents (fixture->path, bad[i], -1, NULL));

      load (list, FALSE);
      g_assert_true (td_account_list_get_read_only (list));
      g_assert_false (td_account_list_load_sync (list, NULL, &error));
      g_assert_error (error, TD_ERROR, TD_ERROR_FAILED);
      g_clear_error (&error);

      g_assert_true (td_account_list_add (list, account, NULL));
      g_assert_false (save (list, &error));
      g_assert_error (error, TD_ERROR, TD_ERROR_FAILED);
      g_clear_error (&error);
      g_assert_false (td_account_list_save_sync (list, NULL, &error));
      g_assert_error (error, TD_ERROR, TD_ERROR_FAILED);

      g_assert_true (g_file_get_contents (fixture->path, &after, NULL, NULL));
      g_assert_cmpstr (after, ==, bad[i]);
    }

  /* Repaired, it loads and saves again. */
  {
    g_autoptr(TdAccountList) list = td_account_list_new_for_file (fixture->file);

    g_assert_true (g_file_set_contents (fixture->path, bad[0], -1, NULL));
    load (list, FALSE);
    g_assert_true (g_file_set_contents (fixture->path,
                                        "[TokenDesk]\nversion=1\n[a]\nname=A\nvendor=x\n",
                                        -1, NULL));
    load (list, TRUE);
    g_assert_false (td_account_list_get_read_only (list));
    g_assert_true (save (list, NULL));
  }

  /* A list never loaded does not replace a file it has not read. */
  {
    g_autoptr(TdAccountList) list = td_account_list_new_for_file (fixture->file);
    g_autoptr(GError) error = NULL;

    g_assert_false (save (list, &error));
    g_assert_error (error, TD_ERROR, TD_ERROR_FAILED);
  }
}

static void
test_list_queued_saves (Fixture       *fixture,
                        gconstpointer  data)
{
  g_autoptr(TdAccountList) list = td_account_list_new_for_file (fixture->file);
  g_autoptr(TdAccountList) check = td_account_list_new_for_file (fixture->file);
  GAsyncResult *results[5] = { NULL };

  load (list, TRUE);

  /* Saves asked for while one is written all complete, and the file ends
   * with the last state. */
  for (guint i = 0; i < G_N_ELEMENTS (results); i++)
    {
      g_autofree char *name = g_strdup_printf ("Account %u", i);
      g_autoptr(TdAccount) account = new_account (name, "logware");

      g_assert_true (td_account_list_add (list, account, NULL));
      td_account_list_save_async (list, NULL, result_cb, &results[i]);
    }

  for (guint i = 0; i < G_N_ELEMENTS (results); i++)
    {
      g_autoptr(GError) error = NULL;

      g_assert_true (td_account_list_save_finish (list, wait_result (&results[i]), &error));
      g_assert_no_error (error);
      g_clear_object (&results[i]);
    }

  g_assert_true (td_account_list_load_sync (check, NULL, NULL));
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (check)), ==, G_N_ELEMENTS (results));
}

/* TdAccountLock ----------------------------------------------------------- */

static gboolean
tick_cb (gpointer user_data)
{
  guint *ticks = user_data;

  (*ticks)++;
  return G_SOURCE_CONTINUE;
}

static void
test_lock_exclusive_and_cancellable (void)
{
  g_autofree char *id = g_uuid_string_random ();
  g_autoptr(TdAccountLock) first = NULL;
  g_autoptr(TdAccountLock) second = NULL;
  g_autoptr(TdAccountLock) third = NULL;
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GAsyncResult) r1 = NULL;
  g_autoptr(GAsyncResult) r2 = NULL;
  g_autoptr(GAsyncResult) r3 = NULL;
  g_autoptr(GError) error = NULL;
  gboolean waited = FALSE;
  guint ticks = 0;
  guint tick_id;

  td_account_lock_acquire_async (id, NULL, result_cb, &r1);
  first = td_account_lock_acquire_finish (wait_result (&r1), &error);
  g_assert_no_error (error);
  g_assert_nonnull (first);

  /* Held: a second acquisition waits, and the main loop keeps running. */
  tick_id = g_timeout_add (10, tick_cb, &ticks);
  td_account_lock_acquire_async (id, NULL, result_cb, &r2);
  td_account_lock_acquire_async (id, cancellable, result_cb, &r3);
  g_timeout_add (300, timed_out_cb, &waited);
  while (!waited)
    g_main_context_iteration (NULL, TRUE);
  g_assert_null (r2);
  g_assert_null (r3);
  g_assert_cmpuint (ticks, >=, 10);

  /* Cancelling one waiter ends it promptly, with CANCELLED. */
  g_cancellable_cancel (cancellable);
  third = td_account_lock_acquire_finish (wait_result (&r3), &error);
  g_assert_null (third);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_clear_error (&error);
  g_assert_null (r2);

  /* Releasing hands the lock to the other. */
  g_clear_pointer (&first, td_account_lock_release);
  second = td_account_lock_acquire_finish (wait_result (&r2), &error);
  g_assert_no_error (error);
  g_assert_nonnull (second);

  g_source_remove (tick_id);
}

static void
test_lock_dir (void)
{
  g_autofree char *dir = g_build_filename (g_getenv ("XDG_RUNTIME_DIR") ?
                                             g_getenv ("XDG_RUNTIME_DIR") :
                                             g_get_user_runtime_dir (),
                                           "tokendesk", NULL);
  g_autofree char *id = g_uuid_string_random ();
  g_autofree char *name = g_strconcat (id, ".lock", NULL);
  g_autofree char *path = g_build_filename (dir, name, NULL);
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(TdAccountLock) lock = NULL;
  GStatBuf st;

  td_account_lock_acquire_async (id, NULL, result_cb, &result);
  lock = td_account_lock_acquire_finish (wait_result (&result), NULL);
  g_assert_nonnull (lock);

  g_assert_true (g_file_test (path, G_FILE_TEST_IS_REGULAR));
  g_assert_cmpint (g_stat (dir, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 0777, ==, 0700);

  /* An id that is no file name still gets a lock file of its own. */
  {
    g_autoptr(GAsyncResult) odd_result = NULL;
    g_autoptr(TdAccountLock) odd = NULL;

    td_account_lock_acquire_async ("../../etc/passwd", NULL, result_cb, &odd_result);
    odd = td_account_lock_acquire_finish (wait_result (&odd_result), NULL);
    g_assert_nonnull (odd);
    g_assert_false (g_file_test ("/etc/passwd.lock", G_FILE_TEST_EXISTS));
  }

  g_unlink (path);

  /* In Flatpak, where instances share only app/$FLATPAK_ID. */
  {
    g_autofree char *flatpak_dir = g_build_filename (g_getenv ("XDG_RUNTIME_DIR") ?
                                                       g_getenv ("XDG_RUNTIME_DIR") :
                                                       g_get_user_runtime_dir (),
                                                     "app", "io.github.tokendesk.Test",
                                                     "tokendesk", NULL);
    g_autofree char *flatpak_path = g_build_filename (flatpak_dir, name, NULL);
    g_autoptr(GAsyncResult) flatpak_result = NULL;
    g_autoptr(TdAccountLock) flatpak_lock = NULL;

    g_setenv ("FLATPAK_ID", "io.github.tokendesk.Test", TRUE);
    td_account_lock_acquire_async (id, NULL, result_cb, &flatpak_result);
    flatpak_lock = td_account_lock_acquire_finish (wait_result (&flatpak_result), NULL);
    g_unsetenv ("FLATPAK_ID");

    g_assert_nonnull (flatpak_lock);
    g_assert_true (g_file_test (flatpak_path, G_FILE_TEST_IS_REGULAR));
    g_unlink (flatpak_path);
  }
}

/* TdTokenStore ------------------------------------------------------------ */

static TdStoredSecrets *
store_load (TdTokenStore *store,
            TdAccount    *account)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  TdStoredSecrets *secrets;

  td_token_store_load_async (store, account, NULL, result_cb, &result);
  secrets = td_token_store_load_finish (store, wait_result (&result), &error);
  g_assert_no_error (error);
  g_assert_nonnull (secrets);

  return secrets;
}

static void
store_save (TdTokenStore    *store,
            TdAccount       *account,
            TdStoredSecrets *secrets)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;

  td_token_store_save_async (store, account, secrets, NULL, result_cb, &result);
  g_assert_true (td_token_store_save_finish (store, wait_result (&result), &error));
  g_assert_no_error (error);
}

static TdStoredSecrets *
make_secrets (const char *access_token,
              const char *refresh_token,
              const char *password,
              const char *admin_token)
{
  TdStoredSecrets *secrets = td_stored_secrets_new ();

  if (access_token != NULL || refresh_token != NULL)
    {
      secrets->tokens = td_tokens_new ();
      secrets->tokens->access_token = g_strdup (access_token);
      secrets->tokens->refresh_token = g_strdup (refresh_token);
      secrets->tokens->expires_at = 1900000000;
    }
  secrets->password = g_strdup (password);
  secrets->admin_token = g_strdup (admin_token);

  return secrets;
}

static const SecretSchema *
test_schema (void)
{
  static const SecretSchema schema = {
    .name = "io.github.tokendesk.TokenDesk.Secret",
    .flags = SECRET_SCHEMA_NONE,
    .attributes = {
      { .name = "account", .type = SECRET_SCHEMA_ATTRIBUTE_STRING },
      { .name = "kind", .type = SECRET_SCHEMA_ATTRIBUTE_STRING },
      { .name = NULL },
    },
  };

  return &schema;
}

/* An item of the one-per-kind format, as versions before wrote it. */
static void
store_legacy_item (TdAccount  *account,
                   const char *kind,
                   const char *secret)
{
  g_autoptr(GError) error = NULL;

  secret_password_store_sync (test_schema (), SECRET_COLLECTION_DEFAULT, "old item", secret,
                              NULL, &error,
                              "account", td_account_get_id (account), "kind", kind, NULL);
  g_assert_no_error (error);
}

static void
store_legacy_account (TdAccount  *account,
                      const char *suffix)
{
  g_autofree char *access = g_strdup_printf ("{\"access_token\":\"access-%s\",\"id_token\":null,"
                                             "\"expires_at\":1900000000}", suffix);
  g_autofree char *refresh = g_strdup_printf ("refresh-%s", suffix);
  g_autofree char *password = g_strdup_printf ("pw-%s", suffix);

  store_legacy_item (account, "access-token", access);
  store_legacy_item (account, "refresh-token", refresh);
  store_legacy_item (account, "password", password);
}

static int
compare_strings (gconstpointer a,
                 gconstpointer b)
{
  return g_strcmp0 (*(const char * const *) a, *(const char * const *) b);
}

/* The kinds of the account's items, sorted and joined. */
static char *
item_kinds (TdAccount *account)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) kinds = g_ptr_array_new_with_free_func (g_free);
  GList *items;

  items = secret_password_search_sync (test_schema (), SECRET_SEARCH_ALL, NULL, &error,
                                       "account", td_account_get_id (account), NULL);
  g_assert_no_error (error);
  for (GList *l = items; l; l = l->next)
    {
      g_autoptr(GHashTable) attributes = secret_retrievable_get_attributes (l->data);

      const char *kind = g_hash_table_lookup (attributes, "kind");

      g_ptr_array_add (kinds, g_strdup (kind ? kind : "?"));
    }
  g_list_free_full (items, g_object_unref);

  g_ptr_array_sort (kinds, compare_strings);
  g_ptr_array_add (kinds, NULL);

  return g_strjoinv (",", (char **) kinds->pdata);
}

static void
manager_load (TdTokenManager *manager,
              TdAccount      *account)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;

  td_token_manager_load_async (manager, account, NULL, result_cb, &result);
  g_assert_true (td_token_manager_load_finish (manager, wait_result (&result), &error));
  g_assert_no_error (error);
}

static void
test_store_round_trip (void)
{
  g_autoptr(TdTokenStore) store = td_token_store_new ();
  g_autoptr(TdAccount) account = new_account ("Store test", "senmo");
  g_autoptr(TdStoredSecrets) secrets = NULL;
  g_autoptr(TdStoredSecrets) saved = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *kinds = NULL;

  if (g_getenv ("TD_HEADLESS_SESSION") == NULL)
    {
      g_test_skip ("needs the keyring of tests/headless-session");
      return;
    }

  /* Nothing stored yet */
  secrets = store_load (store, account);
  g_assert_null (secrets->tokens);
  g_assert_null (secrets->password);
  g_assert_null (secrets->admin_token);
  g_assert_false (secrets->legacy);
  g_clear_pointer (&secrets, td_stored_secrets_free);

  td_token_store_check_async (store, NULL, result_cb, &result);
  g_assert_true (td_token_store_check_finish (store, wait_result (&result), &error));
  g_assert_no_error (error);
  g_clear_object (&result);

  /* The whole set, in one item; what JSON must escape survives. */
  saved = make_secrets ("access-1", "refresh-1", "p\"w\\1\n\t\x01 é", NULL);
  saved->tokens->id_token = g_strdup ("id-1");
  store_save (store, account, saved);

  secrets = store_load (store, account);
  g_assert_nonnull (secrets->tokens);
  g_assert_cmpstr (secrets->tokens->access_token, ==, "access-1");
  g_assert_cmpstr (secrets->tokens->id_token, ==, "id-1");
  g_assert_cmpstr (secrets->tokens->refresh_token, ==, "refresh-1");
  g_assert_cmpint (secrets->tokens->expires_at, ==, 1900000000);
  g_assert_cmpstr (secrets->password, ==, "p\"w\\1\n\t\x01 é");
  g_assert_null (secrets->admin_token);
  g_clear_pointer (&secrets, td_stored_secrets_free);
  kinds = item_kinds (account);
  g_assert_cmpstr (kinds, ==, "credentials");
  g_clear_pointer (&kinds, g_free);

  /* A new set replaces the old one whole: one item still. */
  g_clear_pointer (&saved, td_stored_secrets_free);
  saved = make_secrets ("access-2", NULL, NULL, "admin-1");
  saved->tokens->expires_at = TD_EXPIRES_NEVER;
  store_save (store, account, saved);
  secrets = store_load (store, account);
  g_assert_cmpstr (secrets->tokens->access_token, ==, "access-2");
  g_assert_null (secrets->tokens->id_token);
  g_assert_null (secrets->tokens->refresh_token);
  g_assert_cmpint (secrets->tokens->expires_at, ==, TD_EXPIRES_NEVER);
  g_assert_null (secrets->password);
  g_assert_cmpstr (secrets->admin_token, ==, "admin-1");
  g_clear_pointer (&secrets, td_stored_secrets_free);
  kinds = item_kinds (account);
  g_assert_cmpstr (kinds, ==, "credentials");
  g_clear_pointer (&kinds, g_free);

  /* An empty set leaves no item. */
  g_clear_pointer (&saved, td_stored_secrets_free);
  saved = td_stored_secrets_new ();
  store_save (store, account, saved);
  kinds = item_kinds (account);
  g_assert_cmpstr (kinds, ==, "");
  g_clear_pointer (&kinds, g_free);

  /* Remove: every item goes, of either format. */
  g_clear_pointer (&saved, td_stored_secrets_free);
  saved = make_secrets ("access-3", "refresh-3", "pw-3", NULL);
  store_save (store, account, saved);
  store_legacy_item (account, "password", "pw-old");
  td_token_store_clear_async (store, td_account_get_id (account), NULL, result_cb, &result);
  g_assert_true (td_token_store_clear_finish (store, wait_result (&result), &error));
  g_clear_object (&result);
  kinds = item_kinds (account);
  g_assert_cmpstr (kinds, ==, "");
}

/* Items of the one-per-kind format are read, written as one item, and
 * only then removed. */
static void
test_store_migration (void)
{
  g_autoptr(TdTokenStore) store = td_token_store_new ();
  g_autoptr(TdTokenManager) manager = td_token_manager_new (store);
  g_autoptr(TdAccount) account = new_account ("Old format", "coverwhale");
  g_autoptr(TdStoredSecrets) secrets = NULL;
  g_autofree char *kinds = NULL;

  if (g_getenv ("TD_HEADLESS_SESSION") == NULL)
    {
      g_test_skip ("needs the keyring of tests/headless-session");
      return;
    }

  store_legacy_account (account, "old");
  store_legacy_item (account, "admin-token", "admin-old");

  /* Read as it is, and known to be old. */
  secrets = store_load (store, account);
  g_assert_true (secrets->legacy);
  g_assert_cmpstr (secrets->tokens->access_token, ==, "access-old");
  g_assert_cmpstr (secrets->tokens->refresh_token, ==, "refresh-old");
  g_assert_cmpint (secrets->tokens->expires_at, ==, 1900000000);
  g_assert_cmpstr (secrets->password, ==, "pw-old");
  g_assert_cmpstr (secrets->admin_token, ==, "admin-old");
  g_clear_pointer (&secrets, td_stored_secrets_free);

  /* The first load through the manager migrates. */
  manager_load (manager, account);
  g_assert_cmpstr (td_account_peek_tokens (account)->access_token, ==, "access-old");
  kinds = item_kinds (account);
  g_assert_cmpstr (kinds, ==, "credentials");

  secrets = store_load (store, account);
  g_assert_false (secrets->legacy);
  g_assert_cmpstr (secrets->tokens->access_token, ==, "access-old");
  g_assert_cmpstr (secrets->tokens->refresh_token, ==, "refresh-old");
  g_assert_cmpstr (secrets->password, ==, "pw-old");
  g_assert_cmpstr (secrets->admin_token, ==, "admin-old");
}

/* A migration killed after writing the new item and before removing the
 * old ones: the new item is the one read, and the old ones go later. */
static void
test_store_interrupted_migration (void)
{
  g_autoptr(TdTokenStore) store = td_token_store_new ();
  g_autoptr(TdTokenManager) manager = td_token_manager_new (store);
  g_autoptr(TdAccount) account = new_account ("Half migrated", "coverwhale");
  g_autoptr(TdStoredSecrets) secrets = NULL;
  g_autoptr(TdStoredSecrets) current = NULL;
  g_autofree char *kinds = NULL;

  if (g_getenv ("TD_HEADLESS_SESSION") == NULL)
    {
      g_test_skip ("needs the keyring of tests/headless-session");
      return;
    }

  store_legacy_account (account, "old");
  /* Renewed since: the new item is newer than what the old ones say. */
  current = make_secrets ("access-new", "refresh-new", "pw-new", NULL);
  store_save (store, account, current);
  kinds = item_kinds (account);
  g_assert_cmpstr (kinds, ==, "access-token,credentials,password,refresh-token");
  g_clear_pointer (&kinds, g_free);

  /* The lookup of `tokendesk token` reads the new item only. */
  secrets = store_load (store, account);
  g_assert_cmpstr (secrets->tokens->access_token, ==, "access-new");
  g_assert_cmpstr (secrets->tokens->refresh_token, ==, "refresh-new");
  g_assert_cmpstr (secrets->password, ==, "pw-new");
  g_clear_pointer (&secrets, td_stored_secrets_free);

  /* So does a search, which also sees the old items left behind. */
  {
    g_autoptr(GAsyncResult) result = NULL;

    td_token_store_scan_async (store, account, NULL, result_cb, &result);
    secrets = td_token_store_load_finish (store, wait_result (&result), NULL);
    g_assert_nonnull (secrets);
    g_assert_true (secrets->legacy);
    g_assert_cmpstr (secrets->tokens->access_token, ==, "access-new");
    g_assert_cmpstr (secrets->tokens->refresh_token, ==, "refresh-new");
    g_assert_cmpstr (secrets->password, ==, "pw-new");
    g_clear_pointer (&secrets, td_stored_secrets_free);
  }

  /* The next write under the lock removes them, keeping the new set. */
  {
    g_autoptr(GAsyncResult) result = NULL;
    g_autoptr(GError) error = NULL;

    td_token_manager_sign_out_async (manager, account, FALSE, NULL, result_cb, &result);
    g_assert_true (td_token_manager_sign_out_finish (manager, wait_result (&result), &error));
    g_assert_no_error (error);
  }
  kinds = item_kinds (account);
  g_assert_cmpstr (kinds, ==, "credentials");
  secrets = store_load (store, account);
  g_assert_null (secrets->tokens);
  g_assert_cmpstr (secrets->password, ==, "pw-new");
  g_assert_false (secrets->legacy);
}

/* Every account in one search: the new format, the old one, none. */
static void
test_store_load_all (void)
{
  g_autoptr(TdTokenStore) store = td_token_store_new ();
  g_autoptr(TdTokenManager) manager = td_token_manager_new (store);
  g_autoptr(TdAccount) current = new_account ("All: new", "coverwhale");
  g_autoptr(TdAccount) old = new_account ("All: old", "coverwhale");
  g_autoptr(TdAccount) none = new_account ("All: none", "coverwhale");
  g_autoptr(TdStoredSecrets) saved = make_secrets ("access-a", "refresh-a", NULL, NULL);
  g_autoptr(GListStore) accounts = g_list_store_new (TD_TYPE_ACCOUNT);
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GHashTable) all = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *kinds = NULL;
  TdStoredSecrets *secrets;

  if (g_getenv ("TD_HEADLESS_SESSION") == NULL)
    {
      g_test_skip ("needs the keyring of tests/headless-session");
      return;
    }

  store_save (store, current, saved);
  store_legacy_account (old, "b");

  td_token_store_load_all_async (store, NULL, result_cb, &result);
  all = td_token_store_load_all_finish (store, wait_result (&result), &error);
  g_assert_no_error (error);
  g_clear_object (&result);

  secrets = g_hash_table_lookup (all, td_account_get_id (current));
  g_assert_nonnull (secrets);
  g_assert_cmpstr (secrets->tokens->access_token, ==, "access-a");
  g_assert_false (secrets->legacy);
  secrets = g_hash_table_lookup (all, td_account_get_id (old));
  g_assert_nonnull (secrets);
  g_assert_cmpstr (secrets->tokens->access_token, ==, "access-b");
  g_assert_cmpstr (secrets->password, ==, "pw-b");
  g_assert_true (secrets->legacy);
  g_assert_null (g_hash_table_lookup (all, td_account_get_id (none)));

  /* The manager's version fills the accounts and migrates the old one. */
  g_list_store_append (accounts, current);
  g_list_store_append (accounts, old);
  g_list_store_append (accounts, none);
  td_token_manager_load_all_async (manager, G_LIST_MODEL (accounts), NULL, result_cb, &result);
  g_assert_true (td_token_manager_load_all_finish (manager, wait_result (&result), &error));
  g_assert_no_error (error);
  g_assert_cmpstr (td_account_peek_tokens (current)->access_token, ==, "access-a");
  g_assert_cmpstr (td_account_peek_tokens (old)->access_token, ==, "access-b");
  g_assert_null (td_account_peek_tokens (none));
  kinds = item_kinds (old);
  g_assert_cmpstr (kinds, ==, "credentials");

  for (guint i = 0; i < 3; i++)
    {
      g_autoptr(GAsyncResult) cleared = NULL;
      g_autoptr(TdAccount) account = g_list_model_get_item (G_LIST_MODEL (accounts), i);

      td_token_store_clear_async (store, td_account_get_id (account), NULL, result_cb, &cleared);
      g_assert_true (td_token_store_clear_finish (store, wait_result (&cleared), NULL));
    }
}

/* Another process removes the account while we read it: the items the
 * search found vanish before libsecret loads them. The load must see an
 * account with fewer (or no) secrets, never a keyring error. Racy by
 * nature, so tried many times: three items saved, and cleared by
 * secret-tool while a load runs.
 *
 * libsecret 0.20.5 (Debian 12) returns a search's task once for every
 * item that vanishes while the search loads it (on_search_loaded() in
 * secret-methods.c), and once more when the items left have loaded: the
 * second return logs a GLib critical from inside libsecret, from
 * g_task_return_error or g_task_return_boolean. Token Desk takes the first
 * error and searches again. Only that critical is tolerated here, and only
 * during this loop; any other critical fails the test. The GError of that
 * second return is never freed: in the sanitizer build, leaks are not
 * counted during the loop either. */
static GPtrArray *criticals;

static void
record_critical (const char     *log_domain,
                 GLogLevelFlags  log_level,
                 const char     *message,
                 gpointer        user_data)
{
  g_ptr_array_add (criticals, g_strdup_printf ("%s: %s", log_domain, message));
}

static void
test_store_load_while_removed (void)
{
  g_autoptr(TdTokenStore) store = td_token_store_new ();
  g_autoptr(TdAccount) account = new_account ("Vanishing", "logware");
  GSubprocess *clearer = NULL;
  guint n_errors = 0;

  if (g_getenv ("TD_HEADLESS_SESSION") == NULL)
    {
      g_test_skip ("needs the keyring of tests/headless-session");
      return;
    }

  static const char *domains[] = { "GLib", "GLib-GObject", "GLib-GIO", "libsecret", "td-token-store" };
  guint handlers[G_N_ELEMENTS (domains)];
  GLogLevelFlags fatal;

  criticals = g_ptr_array_new_with_free_func (g_free);
  fatal = g_log_set_always_fatal (G_LOG_FATAL_MASK);
  for (guint i = 0; i < G_N_ELEMENTS (domains); i++)
    handlers[i] = g_log_set_handler (domains[i], G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_WARNING,
                                     record_critical, NULL);

#ifdef __SANITIZE_ADDRESS__
  __lsan_disable ();
#endif
  for (guint round = 0; round < 40; round++)
    {
      g_autoptr(TdTokens) tokens = td_tokens_new ();
      g_autoptr(GAsyncResult) saved = NULL;
      g_autoptr(GAsyncResult) loaded = NULL;
      g_autoptr(GAsyncResult) cleared = NULL;
      g_autoptr(TdStoredSecrets) secrets = NULL;
      g_autoptr(GError) error = NULL;

      tokens->access_token = g_strdup_printf ("access-%u", round);
      tokens->refresh_token = g_strdup_printf ("refresh-%u", round);
      tokens->expires_at = 1900000000;
      g_autoptr(TdStoredSecrets) set = td_stored_secrets_new ();

      set->tokens = g_steal_pointer (&tokens);
      set->password = g_strdup ("pw");
      td_token_store_save_async (store, account, set, NULL, result_cb, &saved);
      g_assert_true (td_token_store_save_finish (store, wait_result (&saved), NULL));
      /* And an item of the older format, so that the load searches. */
      if (round % 2 == 0)
        store_legacy_item (account, "password", "pw-old");

      /* The other process: its deletions interleave with our reads,
       * which calls of our own on one D-Bus connection would not. */
      clearer = g_subprocess_new (G_SUBPROCESS_FLAGS_NONE, &error,
                                  "secret-tool", "clear", "account",
                                  td_account_get_id (account), NULL);
      g_assert_no_error (error);
      if (round % 2 == 1)
        g_usleep (1000 * (round % 5));
      td_token_store_load_async (store, account, NULL, result_cb, &loaded);

      secrets = td_token_store_load_finish (store, wait_result (&loaded), &error);
      if (error != NULL)
        {
          g_test_message ("Round %u: %s", round, error->message);
          n_errors++;
          g_clear_error (&error);
        }
      g_subprocess_wait_async (clearer, NULL, result_cb, &cleared);
      g_assert_true (g_subprocess_wait_finish (clearer, wait_result (&cleared), NULL));
      g_clear_object (&clearer);
    }

  for (guint i = 0; i < G_N_ELEMENTS (domains); i++)
    g_log_remove_handler (domains[i], handlers[i]);
#ifdef __SANITIZE_ADDRESS__
  __lsan_enable ();
#endif
  g_log_set_always_fatal (fatal);

  for (guint i = 0; i < criticals->len; i++)
    {
      const char *message = g_ptr_array_index (criticals, i);

      g_test_message ("Logged: %s", message);
      g_assert_true (g_str_has_prefix (message, "GLib-GIO: g_task_return_"));
      g_assert_true (g_str_has_suffix (message, ": assertion '!task->ever_returned' failed"));
    }
  g_clear_pointer (&criticals, g_ptr_array_unref);

  g_assert_cmpuint (n_errors, ==, 0);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add ("/storage/account-list/round-trip", Fixture, NULL,
              fixture_set_up, test_list_round_trip, fixture_tear_down);
  g_test_add ("/storage/account-list/merge-by-id", Fixture, NULL,
              fixture_set_up, test_list_merge, fixture_tear_down);
  g_test_add ("/storage/account-list/granted-lifetime", Fixture, NULL,
              fixture_set_up, test_list_granted_lifetime, fixture_tear_down);
  g_test_add ("/storage/account-list/refuses-to-overwrite", Fixture, NULL,
              fixture_set_up, test_list_refuses_to_overwrite, fixture_tear_down);
  g_test_add ("/storage/account-list/queued-saves", Fixture, NULL,
              fixture_set_up, test_list_queued_saves, fixture_tear_down);
  g_test_add_func ("/storage/account-lock/exclusive-and-cancellable",
                   test_lock_exclusive_and_cancellable);
  g_test_add_func ("/storage/account-lock/directory", test_lock_dir);
  g_test_add_func ("/storage/token-store/round-trip", test_store_round_trip);
  g_test_add_func ("/storage/token-store/migration", test_store_migration);
  g_test_add_func ("/storage/token-store/interrupted-migration",
                   test_store_interrupted_migration);
  g_test_add_func ("/storage/token-store/load-all", test_store_load_all);
  g_test_add_func ("/storage/token-store/load-while-removed", test_store_load_while_removed);

  return g_test_run ();
}
