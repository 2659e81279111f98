/* td-vendor-sim-main.c: the tokendesk-vendor-sim command
 *
 * The contract with tests, scripts and the demo: exactly one line on
 * stdout, the root URL, printed once the server listens.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <glib-unix.h>

#include "td-vendor-sim.h"

static int opt_port = 0;
static int opt_latency = -1;
static gint64 opt_lifetime = G_MININT64;
static double opt_failure_rate = -1.0;
static gint64 opt_seed = -1;
static char **opt_hostile = NULL;
static char *opt_tls_help = NULL;
static gboolean opt_quiet = FALSE;
static gboolean opt_exit_on_stdin_eof = FALSE;
static gboolean opt_version = FALSE;

static guint stdin_watch_id = 0;

static const GOptionEntry entries[] = {
  { "port", 0, 0, G_OPTION_ARG_INT, &opt_port, "Port on 127.0.0.1 (0: any free port)", "N" },
  { "latency", 0, 0, G_OPTION_ARG_INT, &opt_latency, "Delay every vendor answer", "MS" },
  { "lifetime", 0, 0, G_OPTION_ARG_INT64, &opt_lifetime,
    "Access token lifetime of every vendor", "SECONDS" },
  { "failure-rate", 0, 0, G_OPTION_ARG_DOUBLE, &opt_failure_rate,
    "Fraction of auth calls answered 503", "0..1" },
  { "seed", 0, 0, G_OPTION_ARG_INT64, &opt_seed, "Seed of the failure-rate generator", "N" },
  { "hostile", 0, 0, G_OPTION_ARG_STRING_ARRAY, &opt_hostile,
    "Misbehave on a vendor's auth endpoints (repeatable)", "VENDOR:MODE[:COUNT]" },
  /* Only for --help: main() takes "--tls CERT KEY" out of argv itself,
   * since GOption cannot give one option two arguments. */
  { "tls", 0, 0, G_OPTION_ARG_FILENAME, &opt_tls_help, "Serve https", "CERT.pem KEY.pem" },
  { "quiet", 'q', 0, G_OPTION_ARG_NONE, &opt_quiet, "Do not log requests", NULL },
  { "exit-on-stdin-eof", 0, 0, G_OPTION_ARG_NONE, &opt_exit_on_stdin_eof,
    "Exit when standard input is closed", NULL },
  { "version", 0, 0, G_OPTION_ARG_NONE, &opt_version, "Print the version", NULL },
  { NULL }
};

static gboolean
on_quit_signal (gpointer user_data)
{
  g_main_loop_quit (user_data);
  return G_SOURCE_CONTINUE;
}

/* The test that started us may crash without stopping us: its end of our
 * stdin closing is the one signal that always arrives. */
static gboolean
on_stdin (int          fd,
          GIOCondition condition,
          gpointer     user_data)
{
  char buf[256];
  gssize n;

  n = read (fd, buf, sizeof buf);
  if (n > 0 || (n < 0 && (errno == EINTR || errno == EAGAIN)))
    return G_SOURCE_CONTINUE;

  stdin_watch_id = 0;
  g_main_loop_quit (user_data);
  return G_SOURCE_REMOVE;
}

static gboolean
apply_hostile (TdVendorSim  *sim,
               const char   *spec,
               GError      **error)
{
  g_auto(GStrv) parts = g_strsplit (spec, ":", 3);
  gint64 count = 0;

  if (g_strv_length (parts) < 2)
    {
      g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                   "--hostile wants VENDOR:MODE[:COUNT], not '%s'", spec);
      return FALSE;
    }

  if (parts[2] != NULL &&
      !g_ascii_string_to_signed (parts[2], 10, 0, G_MAXINT, &count, error))
    return FALSE;

  return td_vendor_sim_set_hostile (sim, parts[0], parts[1], count, error);
}

/* Takes "--tls CERT KEY" out of @argv, leaving the rest to GOption. */
static gboolean
take_tls_option (int     *argc,
                 char   **argv,
                 char   **cert,
                 char   **key,
                 GError **error)
{
  int out = 1;

  for (int i = 1; i < *argc; i++)
    {
      if (g_str_equal (argv[i], "--"))
        {
          while (i < *argc)
            argv[out++] = argv[i++];
          break;
        }

      if (!g_str_equal (argv[i], "--tls"))
        {
          argv[out++] = argv[i];
          continue;
        }

      if (i + 2 >= *argc)
        {
          g_set_error_literal (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                               "--tls wants two arguments: CERT.pem KEY.pem");
          return FALSE;
        }

      g_free (*cert);
      g_free (*key);
      *cert = g_strdup (argv[i + 1]);
      *key = g_strdup (argv[i + 2]);
      i += 2;
    }

  argv[out] = NULL;
  *argc = out;
  return TRUE;
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(GOptionContext) context = NULL;
  g_autoptr(TdVendorSim) sim = NULL;
  g_autoptr(GMainLoop) loop = NULL;
  g_autoptr(GTlsCertificate) certificate = NULL;
  g_autoptr(JsonObject) config = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *tls_cert = NULL;
  g_autofree char *tls_key = NULL;
  g_autofree char *root = NULL;
  guint sigterm_id, sigint_id;

  /* A client closing its socket must not kill us through a write. */
  signal (SIGPIPE, SIG_IGN);

  context = g_option_context_new ("- fake Cover Whale, Couchdrop, Senmo and Logware auth APIs");
  g_option_context_add_main_entries (context, entries, NULL);
  if (!take_tls_option (&argc, argv, &tls_cert, &tls_key, &error) ||
      !g_option_context_parse (context, &argc, &argv, &error))
    {
      g_printerr ("tokendesk-vendor-sim: %s\n", error->message);
      return 2;
    }

  if (opt_version)
    {
      g_print ("tokendesk-vendor-sim %s\n", PACKAGE_VERSION);
      return 0;
    }

  if (argc > 1 || opt_tls_help != NULL)
    {
      g_printerr ("tokendesk-vendor-sim: unexpected argument '%s'\n",
                  argc > 1 ? argv[1] : opt_tls_help);
      return 2;
    }

  sim = td_vendor_sim_new ();
  td_vendor_sim_set_quiet (sim, opt_quiet);

  config = json_object_new ();
  if (opt_latency >= 0)
    json_object_set_int_member (config, "latency_ms", opt_latency);
  if (opt_lifetime != G_MININT64)
    json_object_set_int_member (config, "lifetime_s", opt_lifetime);
  if (opt_failure_rate >= 0.0)
    json_object_set_double_member (config, "failure_rate", opt_failure_rate);
  if (opt_seed >= 0)
    json_object_set_int_member (config, "seed", opt_seed);

  if (!td_vendor_sim_apply_config (sim, config, &error))
    {
      g_printerr ("tokendesk-vendor-sim: %s\n", error->message);
      return 2;
    }

  for (guint i = 0; opt_hostile != NULL && opt_hostile[i] != NULL; i++)
    {
      if (!apply_hostile (sim, opt_hostile[i], &error))
        {
          g_printerr ("tokendesk-vendor-sim: %s\n", error->message);
          return 2;
        }
    }
  g_strfreev (opt_hostile);

  td_vendor_sim_save_seed_state (sim);

  if (tls_cert != NULL)
    {
      certificate = g_tls_certificate_new_from_files (tls_cert, tls_key, &error);
      if (certificate == NULL)
        {
          g_printerr ("tokendesk-vendor-sim: %s\n", error->message);
          return 1;
        }
    }

  if (!td_vendor_sim_listen (sim, opt_port, certificate, &error))
    {
      g_printerr ("tokendesk-vendor-sim: %s\n", error->message);
      return 1;
    }

  root = td_vendor_sim_dup_root (sim);
  g_print ("%s\n", root);
  fflush (stdout);

  loop = g_main_loop_new (NULL, FALSE);
  sigterm_id = g_unix_signal_add (SIGTERM, on_quit_signal, loop);
  sigint_id = g_unix_signal_add (SIGINT, on_quit_signal, loop);
  if (opt_exit_on_stdin_eof)
    stdin_watch_id = g_unix_fd_add (STDIN_FILENO, G_IO_IN | G_IO_HUP | G_IO_ERR, on_stdin, loop);

  g_main_loop_run (loop);

  g_source_remove (sigterm_id);
  g_source_remove (sigint_id);
  g_clear_handle_id (&stdin_watch_id, g_source_remove);

  return EXIT_SUCCESS;
}
