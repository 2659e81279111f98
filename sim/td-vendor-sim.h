/* td-vendor-sim.h: a fake of the four vendors' authentication APIs
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>

G_BEGIN_DECLS

#define TD_TYPE_VENDOR_SIM (td_vendor_sim_get_type ())

G_DECLARE_FINAL_TYPE (TdVendorSim, td_vendor_sim, TD, VENDOR_SIM, GObject)

#define TD_VENDOR_SIM_ERROR (td_vendor_sim_error_quark ())

typedef enum
{
  TD_VENDOR_SIM_ERROR_INVALID,
  TD_VENDOR_SIM_ERROR_NOT_FOUND,
} TdVendorSimError;

GQuark       td_vendor_sim_error_quark   (void);

TdVendorSim *td_vendor_sim_new           (void);
void         td_vendor_sim_set_quiet     (TdVendorSim      *self,
                                          gboolean          quiet);
gboolean     td_vendor_sim_apply_config  (TdVendorSim      *self,
                                          JsonObject       *config,
                                          GError          **error);
gboolean     td_vendor_sim_set_hostile   (TdVendorSim      *self,
                                          const char       *vendor,
                                          const char       *mode,
                                          int               count,
                                          GError          **error);
void         td_vendor_sim_save_seed_state (TdVendorSim    *self);
gboolean     td_vendor_sim_listen        (TdVendorSim      *self,
                                          guint             port,
                                          GTlsCertificate  *certificate,
                                          GError          **error);
char        *td_vendor_sim_dup_root      (TdVendorSim      *self);

G_END_DECLS
