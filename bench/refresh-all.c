/* refresh-all.c: renew many accounts at once through the token manager
 *
 * Starts the vendor simulator with a fixed latency, signs in N accounts
 * (half Cover Whale, half Senmo: the vendors with refresh tokens), then
 * forces a refresh of all of them concurrently and reports the wall time
 * against the bound the connection limit sets, N × latency / max-conns,
 * and the longest stall of the main loop meanwhile.
 *
 *   refresh-all [--accounts N] [--latency MS]
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <stdlib.h>

#include "td-account.h"
#include "td-http-client.h"
#include "td-test-sim.h"
#include "td-token-manager.h"
#include "td-vendors.h"

/* A 1 ms tick at high priority: the gap between two ticks is how long the
 * main loop was busy elsewhere. */
#define TICK_MS 1
#define WAIT_SECONDS 600

static int opt_accounts = 1000;
static int opt_latency = 50;

static const GOptionEntry entries[] = {
  { "accounts", 'n', 0, G_OPTION_ARG_INT, &opt_accounts, "Accounts to refresh", "N" },
  { "latency", 'l', 0, G_OPTION_ARG_INT, &opt_latency, "Simulated vendor latency", "MS" },
  { NULL }
};

typedef struct
{
  guint  pending;
  guint  failed;
  GError *first_error;
} Batch;

typedef struct
{
  gint64 last;
  gint64 longest;
} Watch;

static gboolean
tick_cb (gpointer user_data)
{
  Watch *watch = user_data;
  gint64 now = g_get_monotonic_time ();

  watch->longest = MAX (watch->longest, now - watch->last);
  watch->last = now;

  return G_SOURCE_CONTINUE;
}

static gboolean
deadline_cb (gpointer user_data)
{
  gboolean *expired = user_data;

  *expired = TRUE;
  return G_SOURCE_REMOVE;
}

/* Bounded: a wedged run fails instead of hanging the benchmark suite. */
static gboolean
wait_batch (Batch *batch)
{
  gboolean expired = FALSE;
  guint id = g_timeout_add_seconds (WAIT_SECONDS, deadline_cb, &expired);

  while (batch->pending > 0 && !expired)
    g_main_context_iteration (NULL, TRUE);

  if (!expired)
    g_source_remove (id);

  return batch->pending == 0;
}

static void
note_result (Batch  *batch,
             GError *error)
{
  batch->pending--;
  if (error != NULL)
    {
      batch->failed++;
      if (batch->first_error == NULL)
        batch->first_error = g_error_copy (error);
    }
}

static void
signed_in_cb (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(GError) error = NULL;

  td_token_manager_sign_in_finish (TD_TOKEN_MANAGER (source), result, &error);
  note_result (user_data, error);
}

static void
renewed_cb (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr(GError) error = NULL;

  td_token_manager_renew_finish (TD_TOKEN_MANAGER (source), result, &error);
  note_result (user_data, error);
}

static gboolean
report_failures (const char *phase,
                 Batch      *batch)
{
  if (batch->pending > 0)
    {
      g_printerr ("refresh-all: %s: %u accounts did not finish within %d s\n",
                  phase, batch->pending, WAIT_SECONDS);
      return FALSE;
    }

  if (batch->failed > 0)
    {
      g_printerr ("refresh-all: %s: %u accounts failed, the first with: %s\n",
                  phase, batch->failed, batch->first_error->message);
      return FALSE;
    }

  return TRUE;
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(GOptionContext) context = g_option_context_new ("- refresh many accounts at once");
  g_autoptr(GPtrArray) accounts = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(TdTokenManager) manager = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *latency_arg = NULL;
  g_autofree char *latency_config = NULL;
  g_autofree char *coverwhale_base = NULL;
  g_autofree char *senmo_base = NULL;
  TdTestSim *sim;
  Batch sign_in = { 0 };
  Batch refresh = { 0 };
  Watch watch = { 0 };
  guint max_conns;
  guint tick_id;
  guint refreshes;
  gint64 start, launched, wall;
  double bound_s, wall_s;

  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      g_printerr ("refresh-all: %s\n", error->message);
      return 2;
    }
  if (opt_accounts < 1 || opt_latency < 0)
    {
      g_printerr ("refresh-all: --accounts must be positive, --latency not negative\n");
      return 2;
    }

  td_vendors_init ();
  latency_arg = g_strdup_printf ("%d", opt_latency);
  sim = td_test_sim_start ("--latency", latency_arg, "--quiet", NULL);
  coverwhale_base = td_test_sim_dup_base (sim, "coverwhale");
  senmo_base = td_test_sim_dup_base (sim, "senmo");

  /* Setting up is not what is measured: no latency while signing in. */
  td_test_sim_config (sim, "{\"latency_ms\":0}");

  manager = td_token_manager_new (NULL);
  for (int i = 0; i < opt_accounts; i++)
    {
      gboolean senmo = i % 2 == 1;
      const char *vendor = senmo ? "senmo" : "coverwhale";
      g_autofree char *username = g_strdup_printf ("bench%05d", i);
      g_autofree char *password = g_strdup_printf ("bench-password-%05d", i);
      g_autofree char *body = g_strdup_printf ("{\"vendor\":\"%s\",\"username\":\"%s\","
                                               "\"password\":\"%s\"}",
                                               vendor, username, password);
      g_autoptr(JsonNode) answer = td_test_sim_control (sim, "POST", "/_sim/users", body);
      TdAccount *account = td_account_new (NULL, vendor);

      td_account_set_username (account, username);
      td_account_set_endpoint (account, senmo ? senmo_base : coverwhale_base);
      g_ptr_array_add (accounts, account);

      sign_in.pending++;
      td_token_manager_sign_in_async (manager, account, password, NULL, NULL,
                                      signed_in_cb, &sign_in);
    }

  if (!wait_batch (&sign_in) || !report_failures ("sign-in", &sign_in))
    return EXIT_FAILURE;

  latency_config = g_strdup_printf ("{\"latency_ms\":%d}", opt_latency);
  td_test_sim_config (sim, latency_config);
  max_conns = td_http_client_get_max_conns (td_http_client_get_default ());

  watch.last = g_get_monotonic_time ();
  tick_id = g_timeout_add_full (G_PRIORITY_HIGH, TICK_MS, tick_cb, &watch, NULL);

  start = g_get_monotonic_time ();
  for (guint i = 0; i < accounts->len; i++)
    {
      refresh.pending++;
      td_token_manager_renew_async (manager, g_ptr_array_index (accounts, i), NULL,
                                    renewed_cb, &refresh);
    }
  /* Queuing them all blocks the loop once; reported on its own line. */
  launched = g_get_monotonic_time ();
  watch.last = launched;
  wait_batch (&refresh);
  wall = g_get_monotonic_time () - start;
  g_source_remove (tick_id);

  if (!report_failures ("refresh", &refresh))
    return EXIT_FAILURE;

  refreshes = td_test_sim_count (sim, "coverwhale/refresh") +
              td_test_sim_count (sim, "senmo/refreshtoken");
  if (refreshes != (guint) opt_accounts)
    {
      g_printerr ("refresh-all: the vendors saw %u refreshes for %d accounts\n",
                  refreshes, opt_accounts);
      return EXIT_FAILURE;
    }

  wall_s = wall / (double) G_USEC_PER_SEC;
  bound_s = opt_accounts * (opt_latency / 1000.0) / max_conns;

  g_print ("accounts           %d (Cover Whale and Senmo, one refresh each)\n", opt_accounts);
  g_print ("latency            %d ms\n", opt_latency);
  g_print ("max connections    %u\n", max_conns);
  g_print ("wall time          %.3f s\n", wall_s);
  g_print ("bound N*lat/conns  %.3f s\n", bound_s);
  g_print ("wall / bound       %.2f\n", bound_s > 0 ? wall_s / bound_s : 0.0);
  g_print ("queuing all        %.1f ms (the loop is blocked once, meanwhile)\n",
           (launched - start) / 1000.0);
  g_print ("longest stall      %.1f ms (main loop, while the refreshes ran)\n",
           watch.longest / 1000.0);

  td_test_sim_stop (sim);

  return EXIT_SUCCESS;
}
