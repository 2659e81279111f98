/* td-account-row.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gtk/gtk.h>

#include "td-account.h"

G_BEGIN_DECLS

#define TD_TYPE_ACCOUNT_ROW (td_account_row_get_type ())

G_DECLARE_FINAL_TYPE (TdAccountRow, td_account_row, TD, ACCOUNT_ROW, GtkWidget)

GtkWidget  *td_account_row_new          (void);
TdAccount  *td_account_row_get_account  (TdAccountRow *self);
void        td_account_row_set_account  (TdAccountRow *self,
                                         TdAccount    *account);

/* The words the row shows, for tests. */
const char *td_account_row_get_state_text  (TdAccountRow *self);
const char *td_account_row_get_details_text (TdAccountRow *self);
const char *td_account_row_get_expiry_text (TdAccountRow *self);
const char *td_account_row_get_handed_out_text (TdAccountRow *self);
gboolean    td_account_row_get_offers_retry   (TdAccountRow *self);

G_END_DECLS
