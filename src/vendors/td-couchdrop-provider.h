/* td-couchdrop-provider.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "td-provider.h"

G_BEGIN_DECLS

#define TD_TYPE_COUCHDROP_PROVIDER (td_couchdrop_provider_get_type ())

G_DECLARE_FINAL_TYPE (TdCouchdropProvider, td_couchdrop_provider,
                      TD, COUCHDROP_PROVIDER, TdProvider)

G_END_DECLS
