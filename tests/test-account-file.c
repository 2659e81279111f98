/* test-account-file.c: accounts.ini that people edit, and names people type
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <glib/gstdio.h>
#include <string.h>

#include "td-account-file.h"
#include "td-account-list.h"
#include "td-account-name.h"
#include "td-error.h"
#include "td-test-util.h"

#define ID_A "0b8e6a9c-0000-4000-8000-00000000000a"
#define ID_B "0b8e6a9c-0000-4000-8000-00000000000b"

static char *
write_file (const char *contents)
{
  g_autofree char *dir = g_build_filename (g_get_user_config_dir (), "td-account-file", NULL);
  char *path = g_build_filename (dir, "accounts.ini", NULL);
  g_autoptr(GError) error = NULL;

  g_assert_cmpint (g_mkdir_with_parents (dir, 0700), ==, 0);
  g_file_set_contents (path, contents, -1, &error);
  g_assert_no_error (error);

  return path;
}

static char *
read_file (const char *path)
{
  g_autoptr(GError) error = NULL;
  char *contents = NULL;

  g_file_get_contents (path, &contents, NULL, &error);
  g_assert_no_error (error);
  return contents;
}

static TdAccountList *
load_list (const char  *path,
           GError     **error)
{
  g_autoptr(GFile) file = g_file_new_for_path (path);
  TdAccountList *list = td_account_list_new_for_file (file);

  td_account_list_load_sync (list, NULL, error);
  return list;
}

/* GKeyFile merges two groups of one name; the file is damaged instead,
 * and nothing is written over it. */
static void
test_duplicate_group (void)
{
  const char *contents =
    "[TokenDesk]\nversion=1\n\n"
    "[" ID_A "]\nname=Work\nvendor=logware\nusername=alice\n\n"
    "[" ID_B "]\nname=Home\nvendor=logware\nusername=bob\n\n"
    "  [" ID_A "]\nname=Lab\nvendor=senmo\nusername=carol\n";
  g_autofree char *path = write_file (contents);
  g_autoptr(TdAccountList) list = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GError) save_error = NULL;
  g_autofree char *after = NULL;

  list = load_list (path, &error);
  g_assert_error (error, TD_ERROR, TD_ERROR_FAILED);
  g_assert_nonnull (strstr (error->message, "damaged"));
  g_assert_nonnull (strstr (error->message, path));
  g_assert_nonnull (strstr (error->message, "[" ID_A "]"));
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (list)), ==, 0);

  g_assert_false (td_account_list_save_sync (list, NULL, &save_error));
  after = read_file (path);
  g_assert_cmpstr (after, ==, contents);

  g_unlink (path);
}

/* A key given twice: GKeyFile reads the last, and a save rewrote one and
 * left the other, which changed the account (found by fuzz-account-file).
 * The file is damaged instead. */
static void
test_duplicate_key (void)
{
  const char *contents =
    "[TokenDesk]\nversion=1\n\n"
    "[" ID_A "]\nname=Work\nvendor=couchdrop\nusername=alice\n"
    "endpoint=https://one.example.com\nendpoint=https://two.example.com\n";
  g_autofree char *path = write_file (contents);
  g_autoptr(TdAccountList) list = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *after = NULL;

  list = load_list (path, &error);
  g_assert_error (error, TD_ERROR, TD_ERROR_FAILED);
  g_assert_nonnull (strstr (error->message, "“endpoint” twice"));
  g_assert_nonnull (strstr (error->message, "[" ID_A "]"));
  g_assert_false (td_account_list_save_sync (list, NULL, NULL));
  after = read_file (path);
  g_assert_cmpstr (after, ==, contents);

  g_unlink (path);
}

/* Line ends of "\r\n", "\r\r\n" and "\r" at the very end, as an editor
 * or a copy between systems leaves them: the account loads, and the file
 * a first save writes is the one every later save writes again. GKeyFile
 * alone takes one carriage return off a line per save (found by
 * fuzz-account-file). */
static void
test_carriage_returns (void)
{
  g_autofree char *path = write_file (
    "# edited elsewhere\r\r\n"
    "[TokenDesk]\r\nversion=1\r\n\r\r\r\n"
    "[" ID_A "]\r\nname=Work\r\r\nvendor=logware\r\nusername=alice\r\n"
    "notes=a\rb\r\r");
  g_autofree char *first = NULL;
  g_autofree char *second = NULL;  /* the third save's */
  g_autoptr(GError) error = NULL;

  /* Each save changes the user back and forth, or nothing is written:
   * the first and the third write the same account. */
  for (guint save = 0; save < 3; save++)
    {
      g_autoptr(TdAccountList) list = load_list (path, &error);
      TdAccount *work;

      g_assert_no_error (error);
      work = td_account_list_find_by_id (list, ID_A);
      g_assert_nonnull (work);
      g_assert_cmpstr (td_account_get_display_name (work), ==, "Work");
      g_assert_cmpstr (td_account_get_username (work), ==, save == 1 ? "bob" : "alice");

      td_account_set_username (work, save == 1 ? "alice" : "bob");
      td_account_list_save_sync (list, NULL, &error);
      g_assert_no_error (error);
      if (save == 0)
        first = read_file (path);
      else if (save == 2)
        second = read_file (path);
    }

  g_test_message ("%s", first);
  /* Only the carriage return inside a line is left. */
  g_assert_nonnull (strstr (first, "notes=a\rb\n"));
  g_assert_null (strstr (first, "\r\n"));
  g_assert_cmpstr (second, ==, first);

  g_unlink (path);
}

/* What a newer minor version added, and what people wrote, stays. */
static void
test_unknown_keys_survive (void)
{
  g_autofree char *path = write_file (
    "# My accounts, edited by hand\n"
    "[TokenDesk]\nversion=1\nfuture-setting=42\n\n"
    "[" ID_A "]\n"
    "# the work one\n"
    "name=Work\nvendor=logware\nusername=alice\ncolor=teal\nname[fr]=Travail\n\n"
    "[" ID_B "]\nname=Home\nvendor=logware\nusername=bob\nnotes=kept until removed\n");
  g_autoptr(TdAccountList) list = NULL;
  g_autoptr(TdAccount) added = td_account_new (NULL, "logware");
  g_autoptr(GKeyFile) saved = g_key_file_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *after = NULL;
  g_autofree char *value = NULL;
  TdAccount *work;

  list = load_list (path, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (list)), ==, 2);

  work = td_account_list_find_by_id (list, ID_A);
  td_account_set_display_name (work, "Office");
  td_account_list_remove (list, td_account_list_find_by_id (list, ID_B));
  td_account_set_display_name (added, "New");
  td_account_set_username (added, "carol");
  td_account_list_add (list, added, &error);
  g_assert_no_error (error);

  td_account_list_save_sync (list, NULL, &error);
  g_assert_no_error (error);

  after = read_file (path);
  g_test_message ("%s", after);
  g_assert_nonnull (strstr (after, "# My accounts, edited by hand\n"));
  g_assert_nonnull (strstr (after, "# the work one\n"));
  g_assert_null (strstr (after, "kept until removed"));

  g_key_file_load_from_data (saved, after, -1, G_KEY_FILE_KEEP_TRANSLATIONS, &error);
  g_assert_no_error (error);
  value = g_key_file_get_string (saved, "TokenDesk", "future-setting", NULL);
  g_assert_cmpstr (value, ==, "42");
  g_clear_pointer (&value, g_free);
  value = g_key_file_get_string (saved, ID_A, "color", NULL);
  g_assert_cmpstr (value, ==, "teal");
  g_clear_pointer (&value, g_free);
  value = g_key_file_get_string (saved, ID_A, "name[fr]", NULL);
  g_assert_cmpstr (value, ==, "Travail");
  g_clear_pointer (&value, g_free);
  value = g_key_file_get_string (saved, ID_A, "name", NULL);
  g_assert_cmpstr (value, ==, "Office");
  g_assert_false (g_key_file_has_group (saved, ID_B));
  g_assert_true (g_key_file_has_group (saved, td_account_get_id (added)));

  /* Read back by this version, the file is the same list. */
  {
    g_autoptr(TdAccountList) again = load_list (path, &error);

    g_assert_no_error (error);
    g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (again)), ==, 2);
    g_assert_nonnull (td_account_list_find_by_name (again, "Office"));
    g_assert_nonnull (td_account_list_find_by_name (again, "New"));
  }

  g_unlink (path);
}

static void
test_name_check (void)
{
  const char *accepted[] = {
    "Work", "Büro 2", "仕事", "family 👩‍👩‍👧", "كلمة",
  };
  const struct {
    const char *name;
    const char *in_message;
  } refused[] = {
    { "bad \xff\xfe utf-8", "UTF-8" },
    { "two\nlines", "U+000A" },
    { "tab\there", "U+0009" },
    { "bell\a", "U+0007" },
    { "del\x7f", "U+007F" },
    { "c1 \xc2\x9b", "U+009B" },
    { "admin\xe2\x80\xae" "krow", "U+202E" },   /* RIGHT-TO-LEFT OVERRIDE */
    { "a\xe2\x80\xaa" "b", "U+202A" },          /* LEFT-TO-RIGHT EMBEDDING */
    { "a\xe2\x81\xa6" "b", "U+2066" },          /* LEFT-TO-RIGHT ISOLATE */
    { "a\xe2\x81\xa9" "b", "U+2069" },          /* POP DIRECTIONAL ISOLATE */
    { "a\xe2\x80\x8f" "b", "U+200F" },          /* RIGHT-TO-LEFT MARK */
    { "a\xe2\x80\x8b" "b", "U+200B" },          /* ZERO WIDTH SPACE */
    { "a\xe2\x80\xa8" "b", "U+2028" },          /* LINE SEPARATOR */
  };
  g_autoptr(GFile) file = g_file_new_for_path ("/nonexistent/td-test/accounts.ini");
  g_autoptr(TdAccountList) list = td_account_list_new_for_file (file);

  for (guint i = 0; i < G_N_ELEMENTS (accepted); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autofree char *shown = td_account_name_dup_printable (accepted[i]);

      g_assert_true (td_account_name_check (accepted[i], &error));
      g_assert_no_error (error);
      g_assert_cmpstr (shown, ==, accepted[i]);
    }

  for (guint i = 0; i < G_N_ELEMENTS (refused); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(GError) add_error = NULL;
      g_autoptr(TdAccount) account = td_account_new (NULL, "logware");
      g_autofree char *shown = td_account_name_dup_printable (refused[i].name);

      g_assert_false (td_account_name_check (refused[i].name, &error));
      g_assert_error (error, TD_ERROR, TD_ERROR_FAILED);
      g_assert_nonnull (strstr (error->message, refused[i].in_message));

      /* The list refuses it too, whoever adds. */
      td_account_set_display_name (account, refused[i].name);
      g_assert_false (td_account_list_add (list, account, &add_error));
      g_assert_error (add_error, TD_ERROR, TD_ERROR_FAILED);

      /* Shown, it is plain printable text. */
      g_assert_true (td_account_name_check (shown, NULL));
      g_assert_nonnull (strchr (shown, '\\'));
    }

  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (list)), ==, 0);
}

/* A file written before the check: the account loads, its name is shown
 * escaped; a name that is not UTF-8 is damage, reported as such. */
static void
test_names_in_file (void)
{
  g_autofree char *path = write_file (
    "[TokenDesk]\nversion=1\n\n"
    "[" ID_A "]\nname=admin\xe2\x80\xae" "krow\\nx\nvendor=logware\nusername=alice\n");
  g_autoptr(TdAccountList) list = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *shown = NULL;
  TdAccount *account;

  list = load_list (path, &error);
  g_assert_no_error (error);
  account = td_account_list_find_by_id (list, ID_A);
  g_assert_nonnull (account);
  shown = td_account_name_dup_printable (td_account_get_display_name (account));
  g_assert_cmpstr (shown, ==, "admin\\u202Ekrow\\u000Ax");
  g_unlink (path);
  g_clear_pointer (&path, g_free);
  g_clear_object (&list);

  path = write_file ("[TokenDesk]\nversion=1\n\n"
                     "[" ID_A "]\nname=bad \xff\nvendor=logware\nusername=alice\n");
  list = load_list (path, &error);
  g_assert_error (error, TD_ERROR, TD_ERROR_FAILED);
  g_assert_nonnull (strstr (error->message, "UTF-8"));
  g_assert_nonnull (strstr (error->message, ID_A));
  g_unlink (path);
}

/* The list finds accounts by id in a table (loading looked each one up
 * by walking the list: quadratic). What the table must get right: a
 * second load keeps every object it already holds, adds the new one, and
 * a removed account is no longer found. */
static void
test_reload_keeps_objects (void)
{
  g_autoptr(GString) contents = g_string_new ("[TokenDesk]\nversion=1\n");
  g_autofree char *path = NULL;
  g_autoptr(TdAccountList) list = NULL;
  g_autoptr(GPtrArray) before = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(GError) error = NULL;
  guint n;

  for (guint i = 0; i < 2000; i++)
    g_string_append_printf (contents, "\n[id-%u]\nname=account %u\nvendor=logware\n", i, i);
  path = write_file (contents->str);

  list = load_list (path, &error);
  g_assert_no_error (error);
  n = g_list_model_get_n_items (G_LIST_MODEL (list));
  g_assert_cmpuint (n, ==, 2000);
  for (guint i = 0; i < n; i++)
    g_ptr_array_add (before, g_list_model_get_item (G_LIST_MODEL (list), i));

  /* Changed meanwhile (another process added one): read and merged again. */
  g_string_append (contents, "\n[id-new]\nname=added elsewhere\nvendor=logware\n");
  g_free (write_file (contents->str));
  td_account_list_load_sync (list, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (list)), ==, n + 1);
  g_assert_nonnull (td_account_list_find_by_id (list, "id-new"));
  for (guint i = 0; i < n; i++)
    {
      g_autoptr(TdAccount) account = g_list_model_get_item (G_LIST_MODEL (list), i);

      g_assert_true (account == g_ptr_array_index (before, i));
      g_assert_true (td_account_list_find_by_id (list, td_account_get_id (account)) == account);
    }

  td_account_list_remove (list, g_ptr_array_index (before, 7));
  g_assert_null (td_account_list_find_by_id (list, "id-7"));
  g_assert_nonnull (td_account_list_find_by_id (list, "id-8"));

  g_unlink (path);
}

int
main (int   argc,
      char *argv[])
{
  td_test_init (&argc, &argv);

  g_test_add_func ("/account-file/duplicate-group", test_duplicate_group);
  g_test_add_func ("/account-file/duplicate-key", test_duplicate_key);
  g_test_add_func ("/account-file/unknown-keys-survive", test_unknown_keys_survive);
  g_test_add_func ("/account-file/carriage-returns", test_carriage_returns);
  g_test_add_func ("/account-file/name-check", test_name_check);
  g_test_add_func ("/account-file/names-in-file", test_names_in_file);
  g_test_add_func ("/account-file/reload-keeps-objects", test_reload_keeps_objects);

  return g_test_run ();
}
