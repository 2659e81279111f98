/* td-account-list.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "td-account-list"

#include "config.h"

#include <glib/gi18n-lib.h>

#include "td-account-file.h"
#include "td-account-list.h"
#include "td-account-name.h"
#include "td-error.h"

struct _TdAccountList
{
  GObject    parent_instance;

  GFile     *file;
  GPtrArray *accounts;   /* TdAccount, in file order */
  GHashTable *by_id;     /* id → TdAccount of accounts, borrowed */
  GKeyFile  *key_file;   /* as last read: what this version does not know is kept from it */
  GBytes    *contents;   /* the file as last read or written by load_sync/save, or NULL */
  GHashTable *changed;   /* TdAccount (borrowed) whose settings key_file does not have yet */
  GPtrArray *removed;    /* ids of the accounts removed since key_file was read or saved */

  gboolean   loaded;     /* a load succeeded, or found no file */
  gboolean   read_only;  /* the last load failed: never write over that file */

  gboolean   saving;
  GPtrArray *queued;     /* GTask: saves asked for while one was being written */
};

static void list_model_iface_init (GListModelInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (TdAccountList, td_account_list, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (G_TYPE_LIST_MODEL, list_model_iface_init))

enum {
  PROP_0,
  PROP_READ_ONLY,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static GType
get_item_type (GListModel *model)
{
  return TD_TYPE_ACCOUNT;
}

static guint
get_n_items (GListModel *model)
{
  return TD_ACCOUNT_LIST (model)->accounts->len;
}

static gpointer
get_item (GListModel *model,
          guint       position)
{
  TdAccountList *self = TD_ACCOUNT_LIST (model);

  if (position >= self->accounts->len)
    return NULL;

  return g_object_ref (g_ptr_array_index (self->accounts, position));
}

static void
list_model_iface_init (GListModelInterface *iface)
{
  iface->get_item_type = get_item_type;
  iface->get_n_items = get_n_items;
  iface->get_item = get_item;
}

/* A save writes only what changed since the key file was read or last
 * written: rewriting the settings of 100,000 accounts when one was added
 * was most of the cost of `add`. Any property notification counts. */
static void
account_notify_cb (TdAccount     *account,
                   GParamSpec    *pspec,
                   TdAccountList *self)
{
  g_hash_table_add (self->changed, account);
}

static void
watch_account (TdAccountList *self,
               TdAccount     *account)
{
  g_signal_connect (account, "notify", G_CALLBACK (account_notify_cb), self);
}

static void
unwatch_account (TdAccountList *self,
                 TdAccount     *account)
{
  g_signal_handlers_disconnect_by_func (account, account_notify_cb, self);
  g_hash_table_remove (self->changed, account);
}

static void
td_account_list_dispose (GObject *object)
{
  TdAccountList *self = (TdAccountList *)object;

  for (guint i = 0; self->accounts != NULL && i < self->accounts->len; i++)
    unwatch_account (self, g_ptr_array_index (self->accounts, i));

  if (self->by_id != NULL)
    g_hash_table_remove_all (self->by_id);
  if (self->accounts != NULL)
    g_ptr_array_set_size (self->accounts, 0);

  G_OBJECT_CLASS (td_account_list_parent_class)->dispose (object);
}

static void
td_account_list_finalize (GObject *object)
{
  TdAccountList *self = (TdAccountList *)object;

  g_clear_object (&self->file);
  g_clear_pointer (&self->accounts, g_ptr_array_unref);
  g_clear_pointer (&self->by_id, g_hash_table_unref);
  g_clear_pointer (&self->key_file, g_key_file_unref);
  g_clear_pointer (&self->contents, g_bytes_unref);
  g_clear_pointer (&self->changed, g_hash_table_unref);
  g_clear_pointer (&self->removed, g_ptr_array_unref);
  g_clear_pointer (&self->queued, g_ptr_array_unref);

  G_OBJECT_CLASS (td_account_list_parent_class)->finalize (object);
}

static void
td_account_list_get_property (GObject    *object,
                              guint       prop_id,
                              GValue     *value,
                              GParamSpec *pspec)
{
  TdAccountList *self = TD_ACCOUNT_LIST (object);

  switch (prop_id)
    {
    case PROP_READ_ONLY:
      g_value_set_boolean (value, self->read_only);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
td_account_list_class_init (TdAccountListClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = td_account_list_dispose;
  object_class->finalize = td_account_list_finalize;
  object_class->get_property = td_account_list_get_property;

  /* TRUE after a failed load: the file is kept as it is and not saved over. */
  properties[PROP_READ_ONLY] =
    g_param_spec_boolean ("read-only", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
td_account_list_init (TdAccountList *self)
{
  self->accounts = g_ptr_array_new_with_free_func (g_object_unref);
  /* Keyed by the account's own id string: an id never changes. */
  self->by_id = g_hash_table_new (g_str_hash, g_str_equal);
  self->changed = g_hash_table_new (NULL, NULL);
  self->removed = g_ptr_array_new_with_free_func (g_free);
  self->queued = g_ptr_array_new_with_free_func (g_object_unref);
}

char *
td_account_list_dup_default_path (void)
{
  return g_build_filename (g_get_user_config_dir (), "tokendesk", "accounts.ini", NULL);
}

TdAccountList *
td_account_list_new (void)
{
  g_autofree char *path = td_account_list_dup_default_path ();
  g_autoptr(GFile) file = g_file_new_for_path (path);

  return td_account_list_new_for_file (file);
}

TdAccountList *
td_account_list_new_for_file (GFile *file)
{
  TdAccountList *self;

  g_return_val_if_fail (G_IS_FILE (file), NULL);

  self = g_object_new (TD_TYPE_ACCOUNT_LIST, NULL);
  self->file = g_object_ref (file);

  return self;
}

GFile *
td_account_list_get_file (TdAccountList *self)
{
  g_return_val_if_fail (TD_IS_ACCOUNT_LIST (self), NULL);
  return self->file;
}

gboolean
td_account_list_get_read_only (TdAccountList *self)
{
  g_return_val_if_fail (TD_IS_ACCOUNT_LIST (self), FALSE);
  return self->read_only;
}

static void
set_read_only (TdAccountList *self,
               gboolean       read_only)
{
  if (self->read_only == read_only)
    return;

  self->read_only = read_only;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_READ_ONLY]);
}

static gboolean
names_equal (const char *a,
             const char *b)
{
  g_autofree char *fa = NULL;
  g_autofree char *fb = NULL;

  if (a == NULL || b == NULL)
    return FALSE;

  fa = g_utf8_casefold (a, -1);
  fb = g_utf8_casefold (b, -1);

  return g_strcmp0 (fa, fb) == 0;
}

TdAccount *
td_account_list_find_by_id (TdAccountList *self,
                            const char    *id)
{
  g_return_val_if_fail (TD_IS_ACCOUNT_LIST (self), NULL);
  g_return_val_if_fail (id != NULL, NULL);

  /* A lookup, not a walk: loading calls this for every account in the
   * file, which made reading 100,000 accounts quadratic. */
  return g_hash_table_lookup (self->by_id, id);
}

TdAccount *
td_account_list_find_by_name (TdAccountList *self,
                              const char    *name)
{
  g_return_val_if_fail (TD_IS_ACCOUNT_LIST (self), NULL);
  g_return_val_if_fail (name != NULL, NULL);

  for (guint i = 0; i < self->accounts->len; i++)
    {
      TdAccount *account = g_ptr_array_index (self->accounts, i);

      if (names_equal (td_account_get_display_name (account), name))
        return account;
    }

  return NULL;
}

static gboolean
is_blank (const char *str)
{
  for (; str != NULL && *str; str++)
    if (!g_ascii_isspace (*str))
      return FALSE;

  return TRUE;
}

gboolean
td_account_list_add (TdAccountList  *self,
                     TdAccount      *account,
                     GError        **error)
{
  const char *name;

  g_return_val_if_fail (TD_IS_ACCOUNT_LIST (self), FALSE);
  g_return_val_if_fail (TD_IS_ACCOUNT (account), FALSE);

  name = td_account_get_display_name (account);

  if (is_blank (name))
    {
      g_set_error_literal (error, TD_ERROR, TD_ERROR_FAILED, _("An account needs a name"));
      return FALSE;
    }

  if (!td_account_name_check (name, error))
    return FALSE;

  if (!td_account_file_is_valid_id (td_account_get_id (account)) ||
      td_account_list_find_by_id (self, td_account_get_id (account)) != NULL)
    {
      g_set_error_literal (error, TD_ERROR, TD_ERROR_FAILED,
                           _("This account is already in the list"));
      return FALSE;
    }

  if (td_account_list_find_by_name (self, name) != NULL)
    {
      g_set_error (error, TD_ERROR, TD_ERROR_FAILED,
                   _("There is already an account named “%s”"), name);
      return FALSE;
    }

  g_ptr_array_add (self->accounts, g_object_ref (account));
  g_hash_table_insert (self->by_id, (gpointer) td_account_get_id (account), account);
  watch_account (self, account);
  g_hash_table_add (self->changed, account);
  g_list_model_items_changed (G_LIST_MODEL (self), self->accounts->len - 1, 0, 1);

  return TRUE;
}

void
td_account_list_remove (TdAccountList *self,
                        TdAccount     *account)
{
  guint position;

  g_return_if_fail (TD_IS_ACCOUNT_LIST (self));
  g_return_if_fail (TD_IS_ACCOUNT (account));

  if (!g_ptr_array_find (self->accounts, account, &position))
    return;

  g_hash_table_remove (self->by_id, td_account_get_id (account));
  g_ptr_array_add (self->removed, g_strdup (td_account_get_id (account)));
  unwatch_account (self, account);
  g_ptr_array_remove_index (self->accounts, position);
  g_list_model_items_changed (G_LIST_MODEL (self), position, 1, 0);
}

/* Loading ---------------------------------------------------------------- */

static void
merge_entries (TdAccountList *self,
               GPtrArray     *entries)
{
  g_autoptr(GPtrArray) accounts = g_ptr_array_new_full (entries->len, g_object_unref);
  gboolean same = TRUE;
  guint old_len;

  for (guint i = 0; i < entries->len; i++)
    {
      TdAccountFileEntry *entry = g_ptr_array_index (entries, i);
      const char *id = td_account_file_entry_get_id (entry);
      const char *vendor = td_account_file_entry_get_vendor (entry);
      TdAccount *account;

      account = td_account_list_find_by_id (self, id);

      /* Keep the object: the UI is bound to it and it holds the tokens. */
      if (account != NULL && g_strcmp0 (td_account_get_vendor (account), vendor) == 0)
        g_object_ref (account);
      else
        account = td_account_new (id, vendor);

      td_account_file_entry_apply (entry, account);
      g_ptr_array_add (accounts, account);
    }

  same = accounts->len == self->accounts->len;
  for (guint i = 0; same && i < accounts->len; i++)
    same = g_ptr_array_index (accounts, i) == g_ptr_array_index (self->accounts, i);

  if (!same)
    {
      g_autoptr(GHashTable) new_by_id = g_hash_table_new (g_str_hash, g_str_equal);

      for (guint i = 0; i < accounts->len; i++)
        {
          TdAccount *account = g_ptr_array_index (accounts, i);
          const char *id = td_account_get_id (account);

          if (g_hash_table_lookup (self->by_id, id) != account)
            watch_account (self, account);
          g_hash_table_insert (new_by_id, (gpointer) id, account);
        }
      for (guint i = 0; i < self->accounts->len; i++)
        {
          TdAccount *account = g_ptr_array_index (self->accounts, i);

          if (g_hash_table_lookup (new_by_id, td_account_get_id (account)) != account)
            unwatch_account (self, account);
        }

      old_len = self->accounts->len;
      g_ptr_array_unref (self->accounts);
      self->accounts = g_steal_pointer (&accounts);
      g_hash_table_unref (self->by_id);
      self->by_id = g_steal_pointer (&new_by_id);
      g_list_model_items_changed (G_LIST_MODEL (self), 0, old_len, self->accounts->len);
    }

  /* Every account is now as the file says. */
  g_hash_table_remove_all (self->changed);
  g_ptr_array_set_size (self->removed, 0);
}

static void
load_thread (GTask        *task,
             gpointer      source_object,
             gpointer      task_data,
             GCancellable *cancellable)
{
  GError *error = NULL;
  GKeyFile *key_file;

  key_file = td_account_file_read (G_FILE (task_data), cancellable, &error);
  if (key_file == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, key_file, (GDestroyNotify)g_key_file_unref);
}

static gboolean
finish_load (TdAccountList  *self,
             GKeyFile       *key_file,
             GPtrArray      *entries,
             GBytes         *contents,
             GError        **error)
{
  g_autoptr(GPtrArray) read_entries = NULL;

  if (key_file == NULL)
    {
      if (!g_error_matches (*error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        {
          g_debug ("Account file not loaded: %s", (*error)->message);
          set_read_only (self, TRUE);
        }
      return FALSE;
    }

  if (entries == NULL)
    entries = read_entries = td_account_file_get_entries (key_file);
  merge_entries (self, entries);
  g_clear_pointer (&self->key_file, g_key_file_unref);
  self->key_file = g_key_file_ref (key_file);
  g_clear_pointer (&self->contents, g_bytes_unref);
  self->contents = contents ? g_bytes_ref (contents) : NULL;
  self->loaded = TRUE;
  set_read_only (self, FALSE);

  return TRUE;
}

void
td_account_list_load_async (TdAccountList       *self,
                            GCancellable        *cancellable,
                            GAsyncReadyCallback  callback,
                            gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (TD_IS_ACCOUNT_LIST (self));
  g_return_if_fail (!cancellable || G_IS_CANCELLABLE (cancellable));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, td_account_list_load_async);
  g_task_set_task_data (task, g_object_ref (self->file), g_object_unref);
  g_task_run_in_thread (task, load_thread);
}

gboolean
td_account_list_load_finish (TdAccountList  *self,
                             GAsyncResult   *result,
                             GError        **error)
{
  g_autoptr(GKeyFile) key_file = NULL;
  GError *local_error = NULL;

  g_return_val_if_fail (TD_IS_ACCOUNT_LIST (self), FALSE);
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  key_file = g_task_propagate_pointer (G_TASK (result), &local_error);
  if (!finish_load (self, key_file, NULL, NULL, &local_error))
    {
      g_propagate_error (error, local_error);
      return FALSE;
    }

  return TRUE;
}

gboolean
td_account_list_load_sync (TdAccountList  *self,
                           GCancellable   *cancellable,
                           GError        **error)
{
  g_autoptr(GKeyFile) key_file = NULL;
  g_autoptr(GBytes) contents = NULL;
  g_autoptr(GPtrArray) entries = NULL;
  GError *local_error = NULL;

  g_return_val_if_fail (TD_IS_ACCOUNT_LIST (self), FALSE);

  /* The command line reads the file, then again under its lock before a
   * change: with 100,000 accounts, parsing it twice is most of the cost
   * of `add`. The same bytes as this list last read or wrote need no
   * second look. */
  contents = g_file_load_bytes (self->file, cancellable, NULL, NULL);
  if (contents != NULL && self->loaded && !self->read_only && self->contents != NULL &&
      g_bytes_equal (contents, self->contents))
    return TRUE;

  if (contents != NULL)
    {
      g_autofree char *where = g_file_get_parse_name (self->file);

      key_file = td_account_file_parse_entries (contents, where, &entries, &local_error);
    }
  else
    key_file = td_account_file_read (self->file, cancellable, &local_error);

  if (!finish_load (self, key_file, entries, contents, &local_error))
    {
      g_propagate_error (error, local_error);
      return FALSE;
    }

  return TRUE;
}

/* Saving ----------------------------------------------------------------- */

typedef struct
{
  char     *path;
  GBytes   *contents;
  gboolean  check_absent;  /* never loaded: refuse to replace a file we have not read */
} Write;

static void
write_free (Write *write)
{
  g_free (write->path);
  g_bytes_unref (write->contents);
  g_free (write);
}

/* Blocking; in a worker thread for save_async. */
static gboolean
write_file (Write   *write,
            GError **error)
{
  return td_account_file_write (write->path, write->contents, write->check_absent, error);
}

static Write *
prepare_write (TdAccountList  *self,
               GError        **error)
{
  g_autofree char *path = g_file_get_path (self->file);
  Write *write;

  if (self->read_only)
    {
      g_autofree char *where = g_file_get_parse_name (self->file);

      g_set_error (error, TD_ERROR, TD_ERROR_FAILED,
                   _("The account file %s could not be read, so it is not saved over: "
                     "repair it or move it aside"), where);
      return NULL;
    }

  if (path == NULL)
    {
      g_set_error_literal (error, TD_ERROR, TD_ERROR_FAILED,
                           _("The account file must be a local file"));
      return NULL;
    }

  write = g_new0 (Write, 1);
  write->path = g_steal_pointer (&path);
  write->contents = td_account_file_serialize (G_LIST_MODEL (self), self->key_file,
                                               self->changed, self->removed);
  /* The key file has them all now, whether or not the write succeeds. */
  g_hash_table_remove_all (self->changed);
  g_ptr_array_set_size (self->removed, 0);
  write->check_absent = !self->loaded;

  return write;
}

static void
write_thread (GTask        *task,
              gpointer      source_object,
              gpointer      task_data,
              GCancellable *cancellable)
{
  GError *error = NULL;

  if (write_file (task_data, &error))
    g_task_return_boolean (task, TRUE);
  else
    g_task_return_error (task, error);
}

static void start_write (TdAccountList *self,
                         GPtrArray     *waiters);

static void
written_cb (GObject      *object,
            GAsyncResult *result,
            gpointer      user_data)
{
  TdAccountList *self = TD_ACCOUNT_LIST (object);
  g_autoptr(GPtrArray) waiters = user_data;
  g_autoptr(GError) error = NULL;

  if (g_task_propagate_boolean (G_TASK (result), &error))
    {
      Write *write = g_task_get_task_data (G_TASK (result));

      self->loaded = TRUE;  /* the file is now ours */
      g_clear_pointer (&self->contents, g_bytes_unref);
      self->contents = g_bytes_ref (write->contents);
    }

  for (guint i = 0; i < waiters->len; i++)
    {
      GTask *task = g_ptr_array_index (waiters, i);

      if (error != NULL)
        g_task_return_error (task, g_error_copy (error));
      else
        g_task_return_boolean (task, TRUE);
    }

  self->saving = FALSE;

  if (self->queued->len > 0)
    {
      GPtrArray *next = g_steal_pointer (&self->queued);

      self->queued = g_ptr_array_new_with_free_func (g_object_unref);
      start_write (self, next);
    }
}

static void
start_write (TdAccountList *self,
             GPtrArray     *waiters)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(GError) error = NULL;
  Write *write;

  write = prepare_write (self, &error);
  if (write == NULL)
    {
      for (guint i = 0; i < waiters->len; i++)
        g_task_return_error (g_ptr_array_index (waiters, i), g_error_copy (error));
      g_ptr_array_unref (waiters);
      return;
    }

  self->saving = TRUE;

  /* Not cancellable: half the callers may have cancelled, the others still
   * want the file written. */
  task = g_task_new (self, NULL, written_cb, waiters);
  g_task_set_source_tag (task, start_write);
  g_task_set_task_data (task, write, (GDestroyNotify)write_free);
  g_task_run_in_thread (task, write_thread);
}

void
td_account_list_save_async (TdAccountList       *self,
                            GCancellable        *cancellable,
                            GAsyncReadyCallback  callback,
                            gpointer             user_data)
{
  GTask *task;
  GPtrArray *waiters;

  g_return_if_fail (TD_IS_ACCOUNT_LIST (self));
  g_return_if_fail (!cancellable || G_IS_CANCELLABLE (cancellable));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, td_account_list_save_async);

  /* Writes never overlap: the one after the current write takes the list
   * as it is when it starts, which covers every save asked for meanwhile. */
  if (self->saving)
    {
      g_ptr_array_add (self->queued, task);
      return;
    }

  waiters = g_ptr_array_new_with_free_func (g_object_unref);
  g_ptr_array_add (waiters, task);
  start_write (self, waiters);
}

gboolean
td_account_list_save_finish (TdAccountList  *self,
                             GAsyncResult   *result,
                             GError        **error)
{
  g_return_val_if_fail (TD_IS_ACCOUNT_LIST (self), FALSE);
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

gboolean
td_account_list_save_sync (TdAccountList  *self,
                           GCancellable   *cancellable,
                           GError        **error)
{
  Write *write;
  gboolean ret;

  g_return_val_if_fail (TD_IS_ACCOUNT_LIST (self), FALSE);
  g_return_val_if_fail (!self->saving, FALSE);

  if (g_cancellable_set_error_if_cancelled (cancellable, error))
    return FALSE;

  write = prepare_write (self, error);
  if (write == NULL)
    return FALSE;

  ret = write_file (write, error);
  if (ret)
    {
      self->loaded = TRUE;
      g_clear_pointer (&self->contents, g_bytes_unref);
      self->contents = g_bytes_ref (write->contents);
    }
  write_free (write);

  return ret;
}
