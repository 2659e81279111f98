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

/* One account's settings as the file gives them, read once. */
typedef struct _TdAccountFileEntry TdAccountFileEntry;

void        td_account_file_entry_free       (TdAccountFileEntry *entry);
const char *td_account_file_entry_get_id     (TdAccountFileEntry *entry);
const char *td_account_file_entry_get_vendor (TdAccountFileEntry *entry);
/* Main thread: sets the account's settings from the entry. */
void        td_account_file_entry_apply      (TdAccountFileEntry *entry,
                                              TdAccount          *account);

/* td_account_file_parse, also giving the accounts' entries in file order
 * (a GPtrArray of TdAccountFileEntry). */
GKeyFile  *td_account_file_parse_entries (GBytes        *contents,
                                          const char    *where,
                                          GPtrArray    **out_entries,
                                          GError       **error);
/* The entries of a key file that td_account_file_read() or _parse()
 * returned. */
GPtrArray *td_account_file_get_entries   (GKeyFile      *key_file);

/* The file's contents for a list model of TdAccount, written over base
 * (the key file last read, or NULL), which is changed to match: its
 * comments, and the keys and groups this version does not know, are
 * kept. With base and changed (a set of TdAccount), only the accounts in
 * changed are written and only the groups named in removed (account ids)
 * dropped: the list must have kept count of both since base was read or
 * last serialized. Otherwise (either NULL) every account is written and
 * every group of an account not in the list dropped. */
GBytes    *td_account_file_serialize     (GListModel    *accounts,
                                          GKeyFile      *base,
                                          GHashTable    *changed,
                                          GPtrArray     *removed);

/* Blocking. Replaces path atomically with contents, readable by the user
 * only; with must_be_absent, fails instead when path exists. */
gboolean   td_account_file_write         (const char    *path,
                                          GBytes        *contents,
                                          gboolean       must_be_absent,
                                          GError       **error);

G_END_DECLS
