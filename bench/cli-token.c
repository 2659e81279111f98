/* cli-token.c: `tokendesk token NAME` next to `secret-tool lookup`
 *
 * With a still-valid token in the keyring, `tokendesk token` should cost
 * about what reading that keyring item costs: the target is at most 1.15
 * times `secret-tool lookup` of the very same item, in the same keyring,
 * in the same run. The two are timed alternately, so that a machine
 * getting busier slows both alike.
 *
 *   tests/headless-session meson test -C _build --benchmark cli-token -v
 *   tests/headless-session _build/bench/cli-token [N]
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <gio/gio.h>
#include <glib/gstdio.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "td-test-sim.h"

#ifndef TOKENDESK_PATH
#error "TOKENDESK_PATH must name the tokendesk executable"
#endif

#define DEFAULT_RUNS 100
#define TARGET_RATIO 1.15

static double
spawn_timed (char       **argv,
             char       **envp,
             const char  *input,
             char       **out)
{
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autoptr(GSubprocess) process = NULL;
  g_autoptr(GError) error = NULL;
  gint64 start = g_get_monotonic_time ();

  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDIN_PIPE |
                                        G_SUBPROCESS_FLAGS_STDOUT_PIPE);
  g_subprocess_launcher_set_environ (launcher, envp);
  process = g_subprocess_launcher_spawnv (launcher, (const char * const *) argv, &error);
  if (process == NULL)
    g_error ("%s: %s", argv[0], error->message);

  if (!g_subprocess_communicate_utf8 (process, input, NULL, out, NULL, &error))
    g_error ("%s: %s", argv[0], error->message);

  if (!g_subprocess_get_successful (process))
    g_error ("%s %s failed", argv[0], argv[1]);

  return (g_get_monotonic_time () - start) / 1000.0;
}

static int
compare_doubles (gconstpointer a,
                 gconstpointer b)
{
  double x = *(const double *) a, y = *(const double *) b;

  return x < y ? -1 : x > y;
}

static void
summarize (const char *what,
           GArray     *times,
           double     *out_mean)
{
  double sum = 0;

  for (guint i = 0; i < times->len; i++)
    sum += g_array_index (times, double, i);
  *out_mean = sum / times->len;

  g_array_sort (times, compare_doubles);
  printf ("%-22s mean %6.2f ms   median %6.2f ms   min %6.2f ms   (%u runs)\n",
          what, *out_mean, g_array_index (times, double, times->len / 2),
          g_array_index (times, double, 0), times->len);
}

static char *
find_account_id (const char *config_home,
                 const char *name)
{
  g_autoptr(GKeyFile) key_file = g_key_file_new ();
  g_autofree char *path = g_build_filename (config_home, "tokendesk", "accounts.ini", NULL);
  g_auto(GStrv) groups = NULL;
  g_autoptr(GError) error = NULL;

  if (!g_key_file_load_from_file (key_file, path, G_KEY_FILE_NONE, &error))
    g_error ("%s: %s", path, error->message);

  groups = g_key_file_get_groups (key_file, NULL);
  for (guint i = 0; groups[i] != NULL; i++)
    {
      g_autofree char *group_name = g_key_file_get_string (key_file, groups[i], "name", NULL);

      if (g_strcmp0 (group_name, name) == 0)
        return g_strdup (groups[i]);
    }

  g_error ("no account %s in %s", name, path);
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(TdTestSim) sim = NULL;
  g_autoptr(JsonNode) answer = NULL;
  g_autoptr(GArray) cli_times = g_array_new (FALSE, FALSE, sizeof (double));
  g_autoptr(GArray) lookup_times = g_array_new (FALSE, FALSE, sizeof (double));
  g_autofree char *secret_tool = g_find_program_in_path ("secret-tool");
  g_autofree char *dir_name = g_strdup_printf ("bench-cli-token-%d", (int) getpid ());
  g_autofree char *config_home = g_build_filename (g_get_user_config_dir (), dir_name, NULL);
  g_autofree char *base = NULL;
  g_autofree char *token = NULL;
  g_autofree char *id = NULL;
  g_autofree char *cli_out = NULL;
  g_auto(GStrv) cli_env = NULL;
  g_auto(GStrv) lookup_env = g_get_environ ();
  const char *tokendesk = g_getenv ("TD_TEST_TOKENDESK");
  guint runs = DEFAULT_RUNS;
  guint logins;
  double cli_mean, lookup_mean;

  if (argc > 1)
    runs = MAX (1, (guint) g_ascii_strtoull (argv[1], NULL, 10));

  /* The session's throwaway keyring only, never a person's own. */
  if (g_getenv ("TD_HEADLESS_SESSION") == NULL || secret_tool == NULL)
    {
      printf ("cli-token: skipped: needs tests/headless-session and secret-tool\n");
      return 77;
    }

  if (tokendesk == NULL || *tokendesk == '\0')
    tokendesk = TOKENDESK_PATH;

  cli_env = g_environ_setenv (g_get_environ (), "XDG_CONFIG_HOME", config_home, TRUE);
  g_mkdir_with_parents (config_home, 0700);

  sim = td_test_sim_start ("--quiet", NULL);
  answer = td_test_sim_control (sim, "POST", "/_sim/users",
                                "{\"vendor\":\"logware\",\"username\":\"bench\","
                                "\"password\":\"bench-password\"}");
  base = td_test_sim_dup_base (sim, "logware");

  /* Logware: the vendor that asks for exactly this, a token reused until
   * it expires (ten hours). */
  {
    char *add[] = { (char *) tokendesk, "add", "logware", "bench", "--username", "bench",
                    "--endpoint", base, NULL };

    spawn_timed (add, cli_env, "bench-password\n", NULL);
  }
  id = find_account_id (config_home, "bench");
  logins = td_test_sim_count (sim, "logware/authenticate");

  {
    char *cli[] = { (char *) tokendesk, "token", "bench", NULL };
    char *lookup[] = { secret_tool, "lookup", "account", id, "kind", "credentials", NULL };

    /* Warm both up: the page cache, the keyring daemon's first answers. */
    for (guint i = 0; i < 3; i++)
      {
        g_autofree char *out = NULL;

        g_clear_pointer (&cli_out, g_free);
        spawn_timed (cli, cli_env, NULL, &cli_out);
        spawn_timed (lookup, lookup_env, NULL, &out);
      }
    token = g_strdup (g_strstrip (cli_out));

    for (guint i = 0; i < runs; i++)
      {
        g_autofree char *out = NULL;
        g_autofree char *item = NULL;
        double t;

        t = spawn_timed (cli, cli_env, NULL, &out);
        g_array_append_val (cli_times, t);
        if (g_strcmp0 (g_strstrip (out), token) != 0)
          g_error ("tokendesk token printed another token");

        t = spawn_timed (lookup, lookup_env, NULL, &item);
        g_array_append_val (lookup_times, t);
        if (strstr (item, token) == NULL)
          g_error ("secret-tool did not find the same token");
      }
  }

  if (td_test_sim_count (sim, "logware/authenticate") != logins)
    g_error ("tokendesk token called the vendor: the token was not taken from the keyring");

  printf ("tokendesk token NAME vs secret-tool lookup, same keyring item, alternating:\n");
  summarize ("tokendesk token", cli_times, &cli_mean);
  summarize ("secret-tool lookup", lookup_times, &lookup_mean);
  printf ("ratio (mean): %.2f×   target: at most %.2f×   %s\n", cli_mean / lookup_mean,
          TARGET_RATIO, cli_mean / lookup_mean <= TARGET_RATIO ? "met" : "NOT MET");

  {
    char *remove[] = { (char *) tokendesk, "remove", "bench", NULL };

    spawn_timed (remove, cli_env, NULL, NULL);
  }
  {
    g_autofree char *file_dir = g_build_filename (config_home, "tokendesk", NULL);
    g_autofree char *file = g_build_filename (file_dir, "accounts.ini", NULL);

    g_unlink (file);
    g_rmdir (file_dir);
    g_rmdir (config_home);
  }

  return 0;
}
