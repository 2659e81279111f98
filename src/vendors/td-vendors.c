/* td-vendors.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include "td-couchdrop-provider.h"
#include "td-coverwhale-provider.h"
#include "td-logware-provider.h"
#include "td-senmo-provider.h"
#include "td-vendors.h"

void
td_vendors_init (void)
{
  /* Display order. td_provider_register() ignores a type it already has. */
  td_provider_register (TD_TYPE_COVERWHALE_PROVIDER);
  td_provider_register (TD_TYPE_COUCHDROP_PROVIDER);
  td_provider_register (TD_TYPE_SENMO_PROVIDER);
  td_provider_register (TD_TYPE_LOGWARE_PROVIDER);
}
