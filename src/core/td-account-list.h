/* td-account-list.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

#include "td-account.h"
#include "td-account-file.h"

G_BEGIN_DECLS

/* The version this build writes and the newest it reads. */
#define TD_ACCOUNT_LIST_VERSION TD_ACCOUNT_FILE_VERSION

#define TD_TYPE_ACCOUNT_LIST (td_account_list_get_type ())

G_DECLARE_FINAL_TYPE (TdAccountList, td_account_list, TD, ACCOUNT_LIST, GObject)

/* A GListModel of TdAccount, kept in a human-readable key file with no
 * secret in it: $XDG_CONFIG_HOME/tokendesk/accounts.ini by default.
 *
 * Loading a file that is damaged or from a newer version fails with
 * TD_ERROR_FAILED and leaves the list "read-only": every later save fails
 * instead of overwriting the file, until a load succeeds. */
TdAccountList *td_account_list_new               (void);
TdAccountList *td_account_list_new_for_file      (GFile               *file);
char          *td_account_list_dup_default_path  (void);

GFile         *td_account_list_get_file          (TdAccountList       *self);
gboolean       td_account_list_get_read_only     (TdAccountList       *self);

/* Loading merges by account id: accounts already in the list keep their
 * object (and their tokens in memory) and take the file's settings; new
 * ones are added, missing ones removed. A missing file is an empty list. */
void           td_account_list_load_async        (TdAccountList       *self,
                                                  GCancellable        *cancellable,
                                                  GAsyncReadyCallback  callback,
                                                  gpointer             user_data);
gboolean       td_account_list_load_finish       (TdAccountList       *self,
                                                  GAsyncResult        *result,
                                                  GError             **error);
/* Blocking: for the command line, never on the app's main loop. */
gboolean       td_account_list_load_sync         (TdAccountList       *self,
                                                  GCancellable        *cancellable,
                                                  GError             **error);

/* Writes atomically (a new file renamed over the old one): a crash leaves
 * the old file or the new one, never half of one. Saves issued while one
 * is in flight are written after it, with the list as it is then. */
void           td_account_list_save_async        (TdAccountList       *self,
                                                  GCancellable        *cancellable,
                                                  GAsyncReadyCallback  callback,
                                                  gpointer             user_data);
gboolean       td_account_list_save_finish       (TdAccountList       *self,
                                                  GAsyncResult        *result,
                                                  GError             **error);
gboolean       td_account_list_save_sync         (TdAccountList       *self,
                                                  GCancellable        *cancellable,
                                                  GError             **error);

/* Borrowed; NULL when absent. Names compare case-insensitively. */
TdAccount     *td_account_list_find_by_id        (TdAccountList       *self,
                                                  const char          *id);
TdAccount     *td_account_list_find_by_name      (TdAccountList       *self,
                                                  const char          *name);

/* Fails (TD_ERROR_FAILED) when the id or the name is taken, or the name is
 * empty. Neither saves: call td_account_list_save_async(). */
gboolean       td_account_list_add               (TdAccountList       *self,
                                                  TdAccount           *account,
                                                  GError             **error);
void           td_account_list_remove            (TdAccountList       *self,
                                                  TdAccount           *account);

G_END_DECLS
