/* td-vendors.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Registers the built-in vendors with the provider registry, in the order
 * the app shows them. Safe to call more than once. */
void td_vendors_init (void);

G_END_DECLS
