/* fuzz-account-export.c: a file given to `tokendesk import` or the window's Import
 *
 * The input is the file. td_account_export_parse() takes it whole or not
 * at all; what it takes exports again (td_account_export_to_bytes) to a
 * file that parses to the same definitions, and adds to an account list
 * and to the account file without a fault.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include "td-account-export.h"
#include "td-account-file.h"
#include "td-error.h"
#include "td-fuzz.h"
#include "td-test-account.h"

static GFile *list_file;

int
LLVMFuzzerInitialize (int    *argc,
                      char ***argv)
{
  g_autofree char *path = NULL;

  td_fuzz_init ();

  /* Never written: a list to add to needs a file, not to save in it. */
  path = g_build_filename (td_fuzz_get_tmp_dir (), "never-written.ini", NULL);
  list_file = g_file_new_for_path (path);

  return 0;
}

static void
assert_same_definition (TdAccount *a,
                        TdAccount *b)
{
  g_assert_cmpstr (td_account_get_id (a), !=, td_account_get_id (b));
  td_test_assert_same_settings (a, b);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  g_autoptr(GBytes) contents = g_bytes_new (data, size);
  g_autoptr(GPtrArray) accounts = NULL;
  g_autoptr(GPtrArray) again = NULL;
  g_autoptr(GPtrArray) added = NULL;
  g_autoptr(GPtrArray) skipped = NULL;
  g_autoptr(GBytes) exported = NULL;
  g_autoptr(GBytes) saved = NULL;
  g_autoptr(TdAccountList) list = NULL;
  g_autoptr(GKeyFile) key_file = NULL;
  g_autoptr(GError) error = NULL;

  accounts = td_account_export_parse (contents, "fuzz.json", &error);
  g_assert_true ((accounts == NULL) != (error == NULL));
  if (accounts == NULL)
    {
      /* Shown in GTK and printed: text, whatever the file held. */
      g_assert_error (error, TD_ERROR, TD_ERROR_FAILED);
      g_assert_true (g_utf8_validate (error->message, -1, NULL));
      return 0;
    }

  /* Exported again, it reads back the same. */
  exported = td_account_export_to_bytes (accounts);
  again = td_account_export_parse (exported, "exported.json", &error);
  g_assert_no_error (error);
  g_assert_cmpuint (again->len, ==, accounts->len);
  for (guint i = 0; i < accounts->len; i++)
    assert_same_definition (g_ptr_array_index (accounts, i), g_ptr_array_index (again, i));

  /* Into an empty list, renaming: every one is added, and the list can
   * be written as accounts.ini. */
  list = td_account_list_new_for_file (list_file);
  skipped = g_ptr_array_new_with_free_func (g_free);
  added = td_account_export_add_to_list (list, accounts, TRUE, skipped);
  g_assert_cmpuint (added->len, ==, accounts->len);
  g_assert_cmpuint (skipped->len, ==, 0);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (list)), ==, added->len);

  /* What the list then saves is a file it can load again. */
  saved = td_account_file_serialize (G_LIST_MODEL (list), NULL, NULL, NULL);
  key_file = td_account_file_parse (saved, "saved.ini", &error);
  g_assert_no_error (error);
  g_assert_nonnull (key_file);

  return 0;
}
