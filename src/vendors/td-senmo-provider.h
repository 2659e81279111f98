/* td-senmo-provider.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "td-provider.h"

G_BEGIN_DECLS

#define TD_TYPE_SENMO_PROVIDER (td_senmo_provider_get_type ())

G_DECLARE_FINAL_TYPE (TdSenmoProvider, td_senmo_provider, TD, SENMO_PROVIDER, TdProvider)

G_END_DECLS
