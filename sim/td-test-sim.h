/* td-test-sim.h: spawn and drive the vendor simulator from GLib tests
 *
 * Test-only code: it asserts instead of reporting errors, and its control
 * calls are synchronous on a private GMainContext, so they never run the
 * test's own main loop.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <json-glib/json-glib.h>

G_BEGIN_DECLS

typedef struct _TdTestSim TdTestSim;

typedef gboolean (*TdTestCondition) (gpointer user_data);

TdTestSim  *td_test_sim_start      (const char *first_arg,
                                    ...) G_GNUC_NULL_TERMINATED;
void        td_test_sim_stop       (TdTestSim  *sim);
const char *td_test_sim_get_root   (TdTestSim  *sim);
char       *td_test_sim_dup_base   (TdTestSim  *sim,
                                    const char *vendor);
JsonNode   *td_test_sim_control    (TdTestSim  *sim,
                                    const char *method,
                                    const char *path,
                                    const char *json_body);
guint       td_test_sim_count      (TdTestSim  *sim,
                                    const char *key);
void        td_test_sim_reset      (TdTestSim  *sim);
void        td_test_sim_config     (TdTestSim  *sim,
                                    const char *json_body);
void        td_test_sim_hostile    (TdTestSim  *sim,
                                    const char *vendor,
                                    const char *mode,
                                    int         count);
void        td_test_sim_revoke     (TdTestSim  *sim,
                                    const char *vendor,
                                    const char *username);
char       *td_test_sim_reset_code (TdTestSim  *sim,
                                    const char *username);
guint       td_test_sim_use_token  (TdTestSim  *sim,
                                    const char *vendor,
                                    const char *header_name,
                                    const char *header_value,
                                    JsonObject **body_out);

/* Runs @context (NULL: the default one) until @condition holds; FALSE when
 * @timeout_ms passed first. The one bounded wait of the simulator's client
 * and of the tests, so that nothing waiting on a main loop can hang. */
gboolean    td_test_sim_wait_until (GMainContext    *context,
                                    TdTestCondition  condition,
                                    gpointer         user_data,
                                    guint            timeout_ms);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (TdTestSim, td_test_sim_stop)

G_END_DECLS
