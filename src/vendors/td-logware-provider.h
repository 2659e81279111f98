/* td-logware-provider.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "td-provider.h"

G_BEGIN_DECLS

#define TD_TYPE_LOGWARE_PROVIDER (td_logware_provider_get_type ())

G_DECLARE_FINAL_TYPE (TdLogwareProvider, td_logware_provider, TD, LOGWARE_PROVIDER, TdProvider)

G_END_DECLS
