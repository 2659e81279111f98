/* td-coverwhale-provider.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "td-provider.h"

G_BEGIN_DECLS

#define TD_TYPE_COVERWHALE_PROVIDER (td_coverwhale_provider_get_type ())

G_DECLARE_FINAL_TYPE (TdCoverwhaleProvider, td_coverwhale_provider,
                      TD, COVERWHALE_PROVIDER, TdProvider)

G_END_DECLS
