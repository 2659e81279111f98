/* td-account-export.h: account definitions as JSON, to move them between machines
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

#include "td-account.h"
#include "td-account-list.h"

G_BEGIN_DECLS

/* The "format" member, and the version this build writes and the newest it
 * reads. */
#define TD_ACCOUNT_EXPORT_FORMAT  "tokendesk-accounts"
#define TD_ACCOUNT_EXPORT_VERSION 1

/* The definitions of accounts (an array of TdAccount) as pretty-printed
 * JSON, ending with a newline. Never a secret: no password, no token, and
 * of an administrative token only that the account uses one. */
GBytes    *td_account_export_to_bytes     (GPtrArray      *accounts);

/* Parses and checks a whole export: a file that is not one, is from a
 * newer version or has an entry that cannot be used fails with
 * TD_ERROR_FAILED naming the entry, and gives no account at all. where
 * names the file in messages. The vendors must be registered.
 *
 * Returns: (transfer full): new signed-out TdAccounts with new ids, in
 * the file's order. */
GPtrArray *td_account_export_parse        (GBytes         *contents,
                                           const char     *where,
                                           GError        **error);

/* Adds the parsed accounts to list (which is not saved). An account whose
 * name is taken (case-insensitively) is skipped and its name appended to
 * skipped, or with rename given the first free "Name 2", "Name 3"…
 *
 * Returns: (transfer container): the accounts added, which the list holds. */
GPtrArray *td_account_export_add_to_list  (TdAccountList  *list,
                                           GPtrArray      *accounts,
                                           gboolean        rename,
                                           GPtrArray      *skipped);

G_END_DECLS
