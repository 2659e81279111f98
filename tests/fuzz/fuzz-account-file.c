/* fuzz-account-file.c: accounts.ini as it may be found on disk
 *
 * The input is the file. It is loaded the way the app and the command line
 * load it (td_account_list_load_sync), and then:
 *
 * - when the load fails, the list is read-only, a save is refused even
 *   after an account was added, and the file is left byte for byte as it
 *   was: a damaged file is the user's to repair, never ours to replace;
 * - when it succeeds, save → load round-trips: the saved file loads, every
 *   account comes back with the same settings, and a file saved that way
 *   saves again to the same bytes.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <glib/gstdio.h>
#include <string.h>

#include "td-account-file.h"
#include "td-account-list.h"
#include "td-error.h"
#include "td-fuzz.h"
#include "td-test-account.h"

static char *input_path;
static char *saved_path;

int
LLVMFuzzerInitialize (int    *argc,
                      char ***argv)
{
  td_fuzz_init ();

  input_path = g_build_filename (td_fuzz_get_tmp_dir (), "accounts.ini", NULL);
  saved_path = g_build_filename (td_fuzz_get_tmp_dir (), "saved.ini", NULL);

  return 0;
}

/* Without the fsync of g_file_set_contents(): the files are the
 * harness's own, and speed matters. GLib 2.74 does not truncate a file it
 * writes that way, hence the unlink. */
static void
write_file (const char *path,
            const void *data,
            gsize       size)
{
  g_autoptr(GError) error = NULL;

  g_unlink (path);
  g_file_set_contents_full (path, data, size, G_FILE_SET_CONTENTS_NONE, 0600, &error);
  g_assert_no_error (error);
}

static TdAccountList *
load (const char  *path,
      GError     **error)
{
  g_autoptr(GFile) file = g_file_new_for_path (path);
  g_autoptr(TdAccountList) list = td_account_list_new_for_file (file);

  if (!td_account_list_load_sync (list, NULL, error))
    return NULL;

  return g_steal_pointer (&list);
}

static void
assert_file_contents (const char *path,
                      const void *data,
                      gsize       size)
{
  g_autofree char *contents = NULL;
  gsize length = 0;

  g_assert_true (g_file_get_contents (path, &contents, &length, NULL));
  g_assert_cmpmem (contents, length, data, size);
}

static void
check_refused (const uint8_t *data,
               size_t         size)
{
  g_autoptr(GFile) file = g_file_new_for_path (input_path);
  g_autoptr(TdAccountList) list = td_account_list_new_for_file (file);
  g_autoptr(TdAccount) account = td_account_new ("fuzz-added", "coverwhale");
  g_autoptr(GError) error = NULL;

  g_assert_false (td_account_list_load_sync (list, NULL, &error));
  g_assert_error (error, TD_ERROR, TD_ERROR_FAILED);
  g_assert_true (td_account_list_get_read_only (list));
  g_clear_error (&error);

  /* What a user does next: add an account, which saves the list. */
  td_account_set_display_name (account, "Added after a failed load");
  td_account_list_add (list, account, NULL);
  g_assert_false (td_account_list_save_sync (list, NULL, &error));
  g_assert_error (error, TD_ERROR, TD_ERROR_FAILED);

  assert_file_contents (input_path, data, size);
}

static void
assert_same_account (TdAccount *a,
                     TdAccount *b)
{
  g_assert_cmpstr (td_account_get_id (a), ==, td_account_get_id (b));
  td_test_assert_same_settings (a, b);
  g_assert_cmpuint (td_account_get_granted_lifetime (a), ==,
                    td_account_get_granted_lifetime (b));
}

static void
check_round_trip (TdAccountList *list,
                  GBytes        *contents)
{
  g_autoptr(TdAccountList) again = NULL;
  g_autoptr(GKeyFile) base = NULL;
  g_autoptr(GKeyFile) base_again = NULL;
  g_autoptr(GKeyFile) base_third = NULL;
  g_autoptr(GBytes) saved = NULL;
  g_autoptr(GBytes) saved_again = NULL;
  g_autoptr(GBytes) saved_third = NULL;
  g_autoptr(GError) error = NULL;
  guint n_accounts = g_list_model_get_n_items (G_LIST_MODEL (list));

  g_assert_false (td_account_list_get_read_only (list));

  /* What td_account_list_save_sync() would write over the file it read,
   * keeping what this version does not know. */
  base = td_account_file_parse (contents, "accounts.ini", &error);
  g_assert_no_error (error);
  saved = td_account_file_serialize (G_LIST_MODEL (list), base, NULL, NULL);
  write_file (saved_path, g_bytes_get_data (saved, NULL), g_bytes_get_size (saved));

  again = load (saved_path, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (again)), ==, n_accounts);

  for (guint i = 0; i < n_accounts; i++)
    {
      g_autoptr(TdAccount) a = g_list_model_get_item (G_LIST_MODEL (list), i);
      g_autoptr(TdAccount) b = g_list_model_get_item (G_LIST_MODEL (again), i);

      assert_same_account (a, b);
    }

  /* A file this version wrote comes back byte for byte. Not the first
   * save: GKeyFile writes what it read its own way ("key=value" for
   * "key = value", for one), so the first save may normalize. */
  base_again = td_account_file_parse (saved, "saved.ini", &error);
  g_assert_no_error (error);
  saved_again = td_account_file_serialize (G_LIST_MODEL (again), base_again, NULL, NULL);
  base_third = td_account_file_parse (saved_again, "saved-again.ini", &error);
  g_assert_no_error (error);
  saved_third = td_account_file_serialize (G_LIST_MODEL (again), base_third, NULL, NULL);
  if (!g_bytes_equal (saved_again, saved_third))
    g_error ("Saved again, the file differs:\n--- before\n%.*s\n--- after\n%.*s",
             (int) g_bytes_get_size (saved_again),
             (const char *) g_bytes_get_data (saved_again, NULL),
             (int) g_bytes_get_size (saved_third),
             (const char *) g_bytes_get_data (saved_third, NULL));
}

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  g_autoptr(TdAccountList) list = NULL;
  g_autoptr(GError) error = NULL;

  write_file (input_path, data, size);

  list = load (input_path, &error);
  if (list == NULL)
    {
      g_assert_error (error, TD_ERROR, TD_ERROR_FAILED);
      check_refused (data, size);
    }
  else
    {
      g_autoptr(GBytes) contents = g_bytes_new (data, size);

      g_assert_no_error (error);
      check_round_trip (list, contents);
    }

  assert_file_contents (input_path, data, size);

  return 0;
}
