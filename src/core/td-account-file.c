/* td-account-file.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "td-account-file"

#include "config.h"

#include <errno.h>
#include <glib/gi18n-lib.h>
#include <glib/gstdio.h>
#include <string.h>

#include "td-account-file.h"
#include "td-account-name.h"
#include "td-error.h"
#include "td-provider.h"

/* The file, for a person reading it:
 *
 *   [TokenDesk]
 *   version=1
 *
 *   [0b8e…-uuid]
 *   name=Work
 *   vendor=coverwhale
 *   username=alice
 *   endpoint=sandbox
 *   …
 *
 * One group per account, named by its id (the keyring items carry the same
 * id). Nothing secret goes here, ever: the keyring has the rest. */

#define MAIN_GROUP "TokenDesk"

gboolean
td_account_file_is_valid_id (const char *id)
{
  /* The id names a key-file group. */
  return id != NULL && *id != '\0' && g_strcmp0 (id, MAIN_GROUP) != 0 &&
         strpbrk (id, "[]\n\r") == NULL && g_utf8_validate (id, -1, NULL);
}

/* Reading ---------------------------------------------------------------- */

GKeyFile *
td_account_file_read (GFile         *file,
                      GCancellable  *cancellable,
                      GError       **error)
{
  g_autoptr(GError) local_error = NULL;
  g_autoptr(GBytes) contents = NULL;
  g_autofree char *where = NULL;

  g_return_val_if_fail (G_IS_FILE (file), NULL);

  where = g_file_get_parse_name (file);
  contents = g_file_load_bytes (file, cancellable, NULL, &local_error);
  if (contents == NULL)
    {
      if (g_error_matches (local_error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND))
        return g_key_file_new ();

      if (g_error_matches (local_error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        g_propagate_error (error, g_steal_pointer (&local_error));
      else
        g_set_error (error, TD_ERROR, TD_ERROR_FAILED,
                     _("Cannot read the account file %s: %s"), where, local_error->message);
      return NULL;
    }

  return td_account_file_parse (contents, where, error);
}

/* The per-account switches, each true or false. */
static const char * const boolean_keys[] = {
  "remember-password",
  "admin-token",
  "renew-automatically",
};

/* "never" or seconds, as the vendor last granted them. */
static gboolean
parse_granted_lifetime (const char *text,
                        guint      *out_seconds)
{
  guint64 seconds;

  if (g_strcmp0 (text, "never") == 0)
    seconds = TD_GRANTED_LIFETIME_NEVER;
  else if (text == NULL ||
           !g_ascii_string_to_unsigned (text, 10, 1, G_MAXUINT - 1, &seconds, NULL))
    return FALSE;

  if (out_seconds != NULL)
    *out_seconds = (guint) seconds;
  return TRUE;
}

/* GKeyFile merges groups of the same name into one, so a file with two
 * [id] groups (edited by hand, or two copies pasted together) would load
 * as one account made of both, and the next save would drop the other.
 * Look for them in the text itself: a group line is, after leading
 * blanks, '[' name ']'. Called on text GKeyFile has accepted. */
/* GKeyFile takes one carriage return off the end of a line and keeps the
 * rest of a run of them, which it writes back: a line ending in "\r\r"
 * lost one more at each save, so no save was the last to change the file
 * (found by tests/fuzz/fuzz-account-file). Every carriage return ending a
 * line goes at once: what a first save writes, every later save writes
 * again. One inside a line is left as it is. */
static GBytes *
strip_line_end_returns (GBytes *contents)
{
  gsize length;
  const char *data = g_bytes_get_data (contents, &length);
  GString *out;
  gsize i = 0;

  if (length == 0 || memchr (data, '\r', length) == NULL)
    return g_bytes_ref (contents);

  out = g_string_sized_new (length);
  while (i < length)
    {
      gsize run_end = i;

      while (run_end < length && data[run_end] == '\r')
        run_end++;

      if (run_end == i)
        g_string_append_c (out, data[i++]);
      else
        {
          if (run_end < length && data[run_end] != '\n')
            g_string_append_len (out, data + i, run_end - i);
          i = run_end;
        }
    }

  return g_string_free_to_bytes (out);
}

static char *
find_duplicate_group (const char *data,
                      gsize       length,
                      guint       n_groups)
{
  g_autoptr(GHashTable) seen = NULL;
  const char *end = data + length;
  const char *line = data;
  guint n_lines = 0;

  /* Counted first, without allocating: as many group lines as groups is
   * the usual case, and then no name appears twice. */
  while (line < end)
    {
      const char *line_end = memchr (line, '\n', end - line);
      const char *p = line;

      if (line_end == NULL)
        line_end = end;
      while (p < line_end && g_ascii_isspace (*p))
        p++;
      if (p < line_end && *p == '[' && memchr (p + 1, ']', line_end - (p + 1)) != NULL)
        n_lines++;
      line = line_end + 1;
    }

  if (n_lines == n_groups)
    return NULL;

  seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  line = data;

  while (line < end)
    {
      const char *line_end = memchr (line, '\n', end - line);
      const char *p = line;
      const char *close;

      if (line_end == NULL)
        line_end = end;

      while (p < line_end && g_ascii_isspace (*p))
        p++;

      if (p < line_end && *p == '[' &&
          (close = memchr (p + 1, ']', line_end - (p + 1))) != NULL)
        {
          char *name = g_strndup (p + 1, close - (p + 1));

          if (!g_hash_table_add (seen, name))
            return g_strndup (p + 1, close - (p + 1));
        }

      line = line_end + 1;
    }

  return NULL;
}

/* One account's settings, read once: checked by the parse and applied
 * from here, so that loading reads each key of 100,000 accounts once and
 * not twice. */
struct _TdAccountFileEntry
{
  char      *id;
  char      *name;      /* stripped */
  char      *vendor;    /* stripped */
  char      *username;  /* NULL when absent or empty */
  char      *endpoint;  /* NULL when absent or empty */
  TdHandOut  hand_out;
  gboolean   remember_password;
  gboolean   admin_token;
  gboolean   has_renew;
  gboolean   renew;
  gboolean   has_assumed_lifetime;
  gint64     assumed_lifetime;
  gboolean   has_granted_lifetime;
  guint      granted_lifetime;
};

void
td_account_file_entry_free (TdAccountFileEntry *entry)
{
  if (entry == NULL)
    return;

  g_free (entry->id);
  g_free (entry->name);
  g_free (entry->vendor);
  g_free (entry->username);
  g_free (entry->endpoint);
  g_free (entry);
}

const char *
td_account_file_entry_get_id (TdAccountFileEntry *entry)
{
  return entry->id;
}

const char *
td_account_file_entry_get_vendor (TdAccountFileEntry *entry)
{
  return entry->vendor;
}

static char *
dup_nonempty (GKeyFile   *key_file,
              const char *id,
              const char *key)
{
  char *value = g_key_file_get_string (key_file, id, key, NULL);

  if (value != NULL && *value == '\0')
    g_clear_pointer (&value, g_free);
  return value;
}

/* Reads the group id into a new entry. On a value that is not valid, a
 * message for "damaged: …" in *reason, and NULL. */
static TdAccountFileEntry *
read_entry (GKeyFile    *key_file,
            const char  *id,
            char       **reason)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *hand_out = NULL;
  g_autofree char *granted = NULL;
  g_autofree char *shown_name = NULL;
  TdAccountFileEntry *entry = g_new0 (TdAccountFileEntry, 1);
  gboolean *switches[] = { &entry->remember_password, &entry->admin_token, &entry->renew };

  entry->id = g_strdup (id);

#define INVALID(fmt, ...) \
  G_STMT_START { \
    *reason = g_strdup_printf (fmt, __VA_ARGS__); \
    td_account_file_entry_free (entry); \
    return NULL; \
  } G_STMT_END

  entry->name = g_key_file_get_string (key_file, id, "name", &error);
  if (g_error_matches (error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_UNKNOWN_ENCODING))
    INVALID (_("account [%s] has a name that is not valid UTF-8 text"), id);
  g_clear_error (&error);
  if (entry->name == NULL || *g_strstrip (entry->name) == '\0')
    INVALID (_("account [%s] has no name"), id);
  shown_name = td_account_name_dup_printable (entry->name);

  entry->vendor = g_key_file_get_string (key_file, id, "vendor", NULL);
  if (entry->vendor == NULL || *g_strstrip (entry->vendor) == '\0')
    INVALID (_("account “%s” has no vendor"), shown_name);

  entry->hand_out = TD_HAND_OUT_ID_TOKEN;
  hand_out = g_key_file_get_string (key_file, id, "hand-out", NULL);
  if (hand_out != NULL && !td_hand_out_from_string (hand_out, &entry->hand_out))
    INVALID (_("account “%s” has an unknown hand-out “%s”"), shown_name, hand_out);

  for (guint k = 0; k < G_N_ELEMENTS (boolean_keys); k++)
    {
      *switches[k] = g_key_file_get_boolean (key_file, id, boolean_keys[k], &error);
      if (g_error_matches (error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_KEY_NOT_FOUND))
        g_clear_error (&error);
      else if (error != NULL)
        INVALID (_("account “%s”: %s"), shown_name, error->message);
      else if (switches[k] == &entry->renew)
        entry->has_renew = TRUE;
    }

  entry->assumed_lifetime = g_key_file_get_int64 (key_file, id, "assumed-lifetime", &error);
  if (g_error_matches (error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_KEY_NOT_FOUND))
    g_clear_error (&error);
  else if (error != NULL)
    INVALID (_("account “%s”: %s"), shown_name, error->message);
  else if (entry->assumed_lifetime < 60 || entry->assumed_lifetime > 7 * 24 * 3600)
    INVALID (_("account “%s” has an assumed lifetime out of range"), shown_name);
  else
    entry->has_assumed_lifetime = TRUE;

#undef INVALID

  entry->username = dup_nonempty (key_file, id, "username");
  entry->endpoint = dup_nonempty (key_file, id, "endpoint");
  /* Only something learned, never a setting: a value this version cannot
   * read is as good as none. */
  granted = g_key_file_get_string (key_file, id, "granted-lifetime", NULL);
  entry->has_granted_lifetime = parse_granted_lifetime (granted, &entry->granted_lifetime);

  return entry;
}

GKeyFile *
td_account_file_parse_entries (GBytes      *contents,
                               const char  *where,
                               GPtrArray  **out_entries,
                               GError     **error)
{
  g_autoptr(GKeyFile) key_file = g_key_file_new ();
  g_autoptr(GPtrArray) entries = NULL;
  g_autoptr(GError) local_error = NULL;
  g_autoptr(GHashTable) names = NULL;
  g_autoptr(GBytes) stripped = NULL;
  g_auto(GStrv) groups = NULL;
  gconstpointer data;
  gsize length;
  gsize n_groups;
  gint64 version;

  g_return_val_if_fail (contents != NULL, NULL);
  g_return_val_if_fail (where != NULL, NULL);

  stripped = strip_line_end_returns (contents);
  data = g_bytes_get_data (stripped, &length);

#define DAMAGED(fmt, ...) \
  G_STMT_START { \
    g_autofree char *reason = g_strdup_printf (fmt, __VA_ARGS__); \
    g_set_error (error, TD_ERROR, TD_ERROR_FAILED, \
                 _("The account file %s is damaged and was left untouched: %s"), \
                 where, reason); \
    return NULL; \
  } G_STMT_END

  /* Comments and every key kept, even translations: what this version
   * does not know is written back as it was (td_account_file_serialize). */
  if (!g_key_file_load_from_data (key_file, data, length,
                                  G_KEY_FILE_KEEP_COMMENTS | G_KEY_FILE_KEEP_TRANSLATIONS,
                                  &local_error))
    DAMAGED ("%s", local_error->message);

  groups = g_key_file_get_groups (key_file, &n_groups);

  {
    g_autofree char *duplicate = find_duplicate_group (data, length, n_groups);

    if (duplicate != NULL)
      {
        g_autofree char *shown = td_account_name_dup_printable (duplicate);

        DAMAGED (_("the group [%s] appears twice"), shown);
      }
  }

  /* GKeyFile keeps a key given twice and reads the last; a save that
   * changes it rewrites one and leaves the other, which the next load
   * reads (found by tests/fuzz/fuzz-account-file): damage instead. */
  for (guint i = 0; groups[i] != NULL; i++)
    {
      g_auto(GStrv) keys = g_key_file_get_keys (key_file, groups[i], NULL, NULL);
      g_autoptr(GHashTable) seen = g_hash_table_new (g_str_hash, g_str_equal);

      for (guint k = 0; keys != NULL && keys[k] != NULL; k++)
        if (!g_hash_table_add (seen, keys[k]))
          {
            g_autofree char *shown_group = td_account_name_dup_printable (groups[i]);
            g_autofree char *shown_key = td_account_name_dup_printable (keys[k]);

            DAMAGED (_("the group [%s] has the key “%s” twice"), shown_group, shown_key);
          }
    }

  if (!g_key_file_has_group (key_file, MAIN_GROUP))
    DAMAGED (_("it has no [%s] group"), MAIN_GROUP);

  version = g_key_file_get_int64 (key_file, MAIN_GROUP, "version", &local_error);
  if (local_error != NULL)
    DAMAGED ("%s", local_error->message);

  if (version > TD_ACCOUNT_FILE_VERSION)
    {
      /* Printed apart: a G_GINT64_FORMAT inside the message would hide
       * the directive from translators. */
      g_autofree char *found = g_strdup_printf ("%" G_GINT64_FORMAT, version);

      g_set_error (error, TD_ERROR, TD_ERROR_FAILED,
                   _("The account file %s is from a newer version of Token Desk "
                     "(format %s; this one reads up to %d) and was left untouched"),
                   where, found, TD_ACCOUNT_FILE_VERSION);
      return NULL;
    }

  if (version < 1)
    {
      /* Printed apart, as above: xgettext cannot see through the macro. */
      g_autofree char *found = g_strdup_printf ("%" G_GINT64_FORMAT, version);

      DAMAGED (_("unknown format %s"), found);
    }

  names = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  entries = g_ptr_array_new_full (n_groups,
                                  (GDestroyNotify) td_account_file_entry_free);

  for (guint i = 0; groups[i] != NULL; i++)
    {
      const char *id = groups[i];
      g_autofree char *why = NULL;
      TdAccountFileEntry *entry;

      if (g_strcmp0 (id, MAIN_GROUP) == 0)
        continue;

      /* The id names the keyring items too, which must be UTF-8. */
      if (!td_account_file_is_valid_id (id))
        {
          g_autofree char *shown = td_account_name_dup_printable (id);

          DAMAGED (_("[%s] is not a valid account id"), shown);
        }

      entry = read_entry (key_file, id, &why);
      if (entry == NULL)
        DAMAGED ("%s", why);
      g_ptr_array_add (entries, entry);

      if (!g_hash_table_add (names, g_utf8_casefold (entry->name, -1)))
        {
          g_autofree char *shown_name = td_account_name_dup_printable (entry->name);

          DAMAGED (_("two accounts are named “%s”"), shown_name);
        }
    }

#undef DAMAGED

  if (out_entries != NULL)
    *out_entries = g_steal_pointer (&entries);

  return g_steal_pointer (&key_file);
}

GKeyFile *
td_account_file_parse (GBytes      *contents,
                       const char  *where,
                       GError     **error)
{
  return td_account_file_parse_entries (contents, where, NULL, error);
}

GPtrArray *
td_account_file_get_entries (GKeyFile *key_file)
{
  g_autoptr(GPtrArray) entries = g_ptr_array_new_with_free_func (
    (GDestroyNotify) td_account_file_entry_free);
  g_auto(GStrv) groups = NULL;

  g_return_val_if_fail (key_file != NULL, NULL);

  groups = g_key_file_get_groups (key_file, NULL);
  for (guint i = 0; groups[i] != NULL; i++)
    {
      g_autofree char *reason = NULL;
      TdAccountFileEntry *entry;

      if (g_strcmp0 (groups[i], MAIN_GROUP) == 0)
        continue;

      /* Only for a key file that passed the parse: nothing fails here. */
      entry = read_entry (key_file, groups[i], &reason);
      if (entry != NULL)
        g_ptr_array_add (entries, entry);
    }

  return g_steal_pointer (&entries);
}

/* Main thread, like every change to a TdAccount. */
void
td_account_file_entry_apply (TdAccountFileEntry *entry,
                             TdAccount          *account)
{
  TdProvider *provider;

  g_return_if_fail (entry != NULL);
  g_return_if_fail (TD_IS_ACCOUNT (account));

  g_object_freeze_notify (G_OBJECT (account));
  td_account_set_display_name (account, entry->name);
  td_account_set_username (account, entry->username);
  td_account_set_endpoint (account, entry->endpoint);
  td_account_set_hand_out (account, entry->hand_out);
  td_account_set_remember_password (account, entry->remember_password);
  td_account_set_admin_token (account, entry->admin_token);
  /* Files from before the option: what the vendor makes safe. */
  if (entry->has_renew)
    td_account_set_renew_automatically (account, entry->renew);
  else if ((provider = td_provider_get_for_vendor (td_account_get_vendor (account))) != NULL)
    td_account_set_renew_automatically (account, td_provider_renews_freely (provider, account));
  td_account_set_assumed_lifetime (account, entry->has_assumed_lifetime
                                              ? entry->assumed_lifetime
                                              : TD_ACCOUNT_DEFAULT_ASSUMED_LIFETIME);
  /* None (files from before it, accounts that never had a token) keeps
   * what this process learned meanwhile. */
  if (entry->has_granted_lifetime)
    td_account_set_granted_lifetime (account, entry->granted_lifetime);
  g_object_thaw_notify (G_OBJECT (account));
}

/* Writing ---------------------------------------------------------------- */

GBytes *
td_account_file_serialize (GListModel *accounts,
                           GKeyFile   *base,
                           GHashTable *changed,
                           GPtrArray  *removed)
{
  g_autoptr(GKeyFile) key_file = base ? g_key_file_ref (base) : g_key_file_new ();
  g_autoptr(GHashTable) kept = NULL;
  gboolean everything = base == NULL || changed == NULL;
  guint n_accounts;
  char *data;
  gsize length;

  g_return_val_if_fail (G_IS_LIST_MODEL (accounts), NULL);

  /* On top of the file as read: a newer minor version may have added keys,
   * and people add comments; both survive a save by this one. base itself
   * is brought up to date, not copied: with 100,000 accounts a copy costs
   * as much as the rest, and base then describes the list either way. */

  if (!g_key_file_has_group (key_file, MAIN_GROUP))
    g_key_file_set_comment (key_file, NULL, NULL,
                            " Token Desk accounts. No secret is kept here: tokens and passwords"
                            "\n are in the keyring, under the account's id.", NULL);
  g_key_file_set_integer (key_file, MAIN_GROUP, "version", TD_ACCOUNT_FILE_VERSION);

  /* First the groups of the accounts removed: one removed and added back
   * in the same save is then written again, at the end, as the list has
   * it. */
  for (guint i = 0; !everything && removed != NULL && i < removed->len; i++)
    g_key_file_remove_group (key_file, g_ptr_array_index (removed, i), NULL);

  if (everything)
    kept = g_hash_table_new (g_str_hash, g_str_equal);

  n_accounts = g_list_model_get_n_items (accounts);
  for (guint i = 0; i < n_accounts; i++)
    {
      g_autoptr(TdAccount) account = g_list_model_get_item (accounts, i);
      const char *id = td_account_get_id (account);

      if (everything)
        g_hash_table_add (kept, (gpointer) id);
      else if (!g_hash_table_contains (changed, account))
        continue;

      g_key_file_set_string (key_file, id, "name", td_account_get_display_name (account));
      g_key_file_set_string (key_file, id, "vendor", td_account_get_vendor (account));
      if (td_account_get_username (account) != NULL)
        g_key_file_set_string (key_file, id, "username", td_account_get_username (account));
      else
        g_key_file_remove_key (key_file, id, "username", NULL);
      if (td_account_get_endpoint (account) != NULL)
        g_key_file_set_string (key_file, id, "endpoint", td_account_get_endpoint (account));
      else
        g_key_file_remove_key (key_file, id, "endpoint", NULL);
      g_key_file_set_string (key_file, id, "hand-out",
                             td_hand_out_to_string (td_account_get_hand_out (account)));
      g_key_file_set_boolean (key_file, id, "remember-password",
                              td_account_get_remember_password (account));
      g_key_file_set_boolean (key_file, id, "admin-token",
                              td_account_get_admin_token (account));
      g_key_file_set_boolean (key_file, id, "renew-automatically",
                              td_account_get_renew_automatically (account));
      g_key_file_set_int64 (key_file, id, "assumed-lifetime",
                            td_account_get_assumed_lifetime (account));
      if (td_account_get_granted_lifetime (account) == TD_GRANTED_LIFETIME_NEVER)
        g_key_file_set_string (key_file, id, "granted-lifetime", "never");
      else if (td_account_get_granted_lifetime (account) != 0)
        g_key_file_set_int64 (key_file, id, "granted-lifetime",
                              td_account_get_granted_lifetime (account));
      else
        g_key_file_remove_key (key_file, id, "granted-lifetime", NULL);
    }

  /* Told nothing of what changed: every group the list does not have goes. */
  if (everything)
    {
      g_auto(GStrv) groups = g_key_file_get_groups (key_file, NULL);

      for (guint i = 0; groups[i] != NULL; i++)
        if (g_strcmp0 (groups[i], MAIN_GROUP) != 0 && !g_hash_table_contains (kept, groups[i]))
          g_key_file_remove_group (key_file, groups[i], NULL);
    }

  data = g_key_file_to_data (key_file, &length, NULL);

  return g_bytes_new_take (data, length);
}

gboolean
td_account_file_write (const char  *path,
                       GBytes      *contents,
                       gboolean     must_be_absent,
                       GError     **error)
{
  g_autofree char *dir = NULL;
  g_autoptr(GError) local_error = NULL;
  gconstpointer data;
  gsize length;

  g_return_val_if_fail (path != NULL, FALSE);
  g_return_val_if_fail (contents != NULL, FALSE);

  dir = g_path_get_dirname (path);
  data = g_bytes_get_data (contents, &length);

  if (must_be_absent && g_file_test (path, G_FILE_TEST_EXISTS))
    {
      g_set_error (error, TD_ERROR, TD_ERROR_FAILED,
                   _("The account file %s was not read first: not replacing it"), path);
      return FALSE;
    }

  if (g_mkdir_with_parents (dir, 0700) != 0)
    {
      int saved_errno = errno;

      g_set_error (error, TD_ERROR, TD_ERROR_FAILED,
                   _("Cannot create the folder %s: %s"), dir, g_strerror (saved_errno));
      return FALSE;
    }

  /* CONSISTENT: written to a temporary file, synced, renamed over the old
   * one. Private, although nothing in it is secret: usernames and hosts
   * are nobody else's business. */
  if (!g_file_set_contents_full (path, data, length,
                                 G_FILE_SET_CONTENTS_CONSISTENT, 0600, &local_error))
    {
      g_set_error (error, TD_ERROR, TD_ERROR_FAILED,
                   _("Cannot save the account file: %s"), local_error->message);
      return FALSE;
    }

  return TRUE;
}
