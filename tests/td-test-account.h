/* td-test-account.h: comparing two accounts' settings, for the tests and
 * the fuzzers (which are built apart from td-test-util.c)
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "td-account.h"

G_BEGIN_DECLS

void td_test_assert_same_settings (TdAccount *a,
                                   TdAccount *b);

G_END_DECLS
