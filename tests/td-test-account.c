/* td-test-account.c: comparing two accounts' settings
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include "td-test-account.h"

/* What both the account file and an export keep of an account: its
 * vendor, name, user, endpoint and choices. Not its id (an import makes
 * a new one) nor what the vendor granted; the callers compare those when
 * they should be kept. */
void
td_test_assert_same_settings (TdAccount *a,
                              TdAccount *b)
{
  g_assert_cmpstr (td_account_get_vendor (a), ==, td_account_get_vendor (b));
  g_assert_cmpstr (td_account_get_display_name (a), ==, td_account_get_display_name (b));
  g_assert_cmpstr (td_account_get_username (a), ==, td_account_get_username (b));
  g_assert_cmpstr (td_account_get_endpoint (a), ==, td_account_get_endpoint (b));
  g_assert_cmpint (td_account_get_hand_out (a), ==, td_account_get_hand_out (b));
  g_assert_cmpint (td_account_get_remember_password (a), ==,
                   td_account_get_remember_password (b));
  g_assert_cmpint (td_account_get_admin_token (a), ==, td_account_get_admin_token (b));
  g_assert_cmpint (td_account_get_renew_automatically (a), ==,
                   td_account_get_renew_automatically (b));
  g_assert_cmpuint (td_account_get_assumed_lifetime (a), ==,
                    td_account_get_assumed_lifetime (b));
}
