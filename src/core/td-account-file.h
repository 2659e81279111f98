/* td-account-file.h: accounts.ini, read and written; the list decides when
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

#include "td-account.h"

G_BEGIN_DECLS

/* The version this build writes and the newest it reads. */
#define TD_ACCOUNT_FILE_VERSION 1

/* Whether id can name an account's group in the file. */
gboolean   td_account_file_is_valid_id   (const char    *id);

/* Blocking, and touches no TdAccount: safe in a worker thread. The
 * validated key file, an empty one when file does not exist, or NULL with
 * TD_ERROR_FAILED when it cannot be read, is damaged or is from a newer
 * version (G_IO_ERROR_CANCELLED when cancelled). */
GKeyFile  *td_account_file_read          (GFile         *file,
                                          GCancellable  *cancellable,
                                          GError       **error);
/* The same checks on contents already read; where names the file in
 * messages. */
GKeyFile  *td_account_file_parse         (GBytes        *contents,
                                          const char    *where,
                                          GError       **error);

/* For a key file the two above returned: the account ids in file order,
 * an account's vendor, and its settings set on an account object. */
GStrv      td_account_file_get_ids       (GKeyFile      *key_file);
char      *td_account_file_dup_vendor    (GKeyFile      *key_file,
                                          const char    *id);
void       td_account_file_apply         (GKeyFile      *key_file,
                                          const char    *id,
                                          TdAccount     *account);

/* The file's contents for a list model of TdAccount, written over base
 * (the key file last read, or NULL), which is changed to match: its
 * comments, and the keys and groups this version does not know, are
 * kept; the groups of accounts no longer in the list are dropped. With
 * base, changed (a set of TdAccount, or NULL for all) says whose
 * settings base may not have: the others are left as they are in it. */
GBytes    *td_account_file_serialize     (GListModel    *accounts,
                                          GKeyFile      *base,
                                          GHashTable    *changed);

/* Blocking. Replaces path atomically with contents, readable by the user
 * only; with must_be_absent, fails instead when path exists. */
gboolean   td_account_file_write         (const char    *path,
                                          GBytes        *contents,
                                          gboolean       must_be_absent,
                                          GError       **error);

G_END_DECLS
