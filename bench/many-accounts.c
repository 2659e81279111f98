/* many-accounts.c: `tokendesk add`, `remove` and `list` with a big account file
 *
 * Each command reads the whole account file, and add and remove write it
 * back, so their cost cannot fall below reading and writing that file.
 * The floor printed beside each size is exactly that, done with plain
 * GKeyFile: load the same file, write it out again. The target is each
 * command under 2 s at 100,000 accounts; what matters beside it is that
 * the commands grow with the file as the floor does (linearly), not with
 * its square. CPU time (user + system) is printed beside the wall
 * clock: on a machine shared with other work it is the steadier figure.
 *
 * The accounts are written straight into accounts.ini (Logware accounts
 * pointing at the simulator, signed out: no keyring item each), then one
 * account is added (a real sign-in at the simulator) and removed again.
 *
 *   tests/headless-session meson test -C _build --benchmark many-accounts -v
 *   tests/headless-session _build/bench/many-accounts [N …]
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <gio/gio.h>
#include <glib/gstdio.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "td-test-sim.h"

#ifndef TOKENDESK_PATH
#error "TOKENDESK_PATH must name the tokendesk executable"
#endif

#define TARGET_SECONDS 2.0

static const guint default_sizes[] = { 1000, 10000, 100000 };

static double
cpu_seconds (int who)
{
  struct rusage usage;

  getrusage (who, &usage);
  return usage.ru_utime.tv_sec + usage.ru_stime.tv_sec +
         (usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
}

static double
spawn_timed (char       **argv,
             char       **envp,
             const char  *input,
             double      *out_cpu)
{
  double cpu_before = cpu_seconds (RUSAGE_CHILDREN);
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autoptr(GSubprocess) process = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *err = NULL;
  gint64 start = g_get_monotonic_time ();

  /* stdout is read and dropped, as a script reading `list` would. */
  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDIN_PIPE |
                                        G_SUBPROCESS_FLAGS_STDOUT_SILENCE |
                                        G_SUBPROCESS_FLAGS_STDERR_PIPE);
  g_subprocess_launcher_set_environ (launcher, envp);
  process = g_subprocess_launcher_spawnv (launcher, (const char * const *) argv, &error);
  if (process == NULL)
    g_error ("%s: %s", argv[0], error->message);

  if (!g_subprocess_communicate_utf8 (process, input, NULL, NULL, &err, &error))
    g_error ("%s: %s", argv[0], error->message);

  /* list exits 4 without a keyring: still a measure of the file side. */
  if (!g_subprocess_get_if_exited (process) ||
      (g_subprocess_get_exit_status (process) != 0 && !g_str_equal (argv[1], "list")))
    g_error ("%s %s failed: %s", argv[0], argv[1], err);

  *out_cpu = cpu_seconds (RUSAGE_CHILDREN) - cpu_before;
  return (g_get_monotonic_time () - start) / (double) G_USEC_PER_SEC;
}

static void
write_accounts (const char *path,
                guint       n,
                const char *base)
{
  g_autoptr(GString) data = g_string_new ("[TokenDesk]\nversion=1\n");
  g_autoptr(GError) error = NULL;

  for (guint i = 0; i < n; i++)
    {
      g_autofree char *id = g_uuid_string_random ();

      g_string_append_printf (data,
                              "\n[%s]\nname=account %u\nvendor=logware\nusername=user%u\n"
                              "endpoint=%s\nhand-out=id\nremember-password=false\n"
                              "admin-token=false\nrenew-automatically=true\n"
                              "assumed-lifetime=3600\n",
                              id, i, i, base);
    }

  if (!g_file_set_contents (path, data->str, data->len, &error))
    g_error ("%s", error->message);
}

/* The floor: what reading and writing this file costs with GKeyFile alone. */
static double
time_floor (const char *path,
            const char *copy,
            double     *out_cpu)
{
  double cpu_before = cpu_seconds (RUSAGE_SELF);
  g_autoptr(GKeyFile) key_file = g_key_file_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *data = NULL;
  gint64 start = g_get_monotonic_time ();
  gsize length;

  if (!g_key_file_load_from_file (key_file, path, G_KEY_FILE_KEEP_COMMENTS, &error))
    g_error ("%s: %s", path, error->message);
  data = g_key_file_to_data (key_file, &length, NULL);
  if (!g_file_set_contents_full (copy, data, length, G_FILE_SET_CONTENTS_CONSISTENT, 0600,
                                 &error))
    g_error ("%s: %s", copy, error->message);

  *out_cpu = cpu_seconds (RUSAGE_SELF) - cpu_before;
  return (g_get_monotonic_time () - start) / (double) G_USEC_PER_SEC;
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(TdTestSim) sim = NULL;
  g_autoptr(JsonNode) answer = NULL;
  g_autoptr(GArray) sizes = g_array_new (FALSE, FALSE, sizeof (guint));
  g_autofree char *dir_name = g_strdup_printf ("bench-many-accounts-%d", (int) getpid ());
  g_autofree char *config_home = g_build_filename (g_get_user_config_dir (), dir_name, NULL);
  g_autofree char *file_dir = g_build_filename (config_home, "tokendesk", NULL);
  g_autofree char *path = g_build_filename (file_dir, "accounts.ini", NULL);
  g_autofree char *copy = g_build_filename (config_home, "floor.ini", NULL);
  g_autofree char *base = NULL;
  g_auto(GStrv) env = NULL;
  const char *tokendesk = g_getenv ("TD_TEST_TOKENDESK");
  gboolean all_met = TRUE;

  for (int i = 1; i < argc; i++)
    {
      guint n = (guint) g_ascii_strtoull (argv[i], NULL, 10);

      if (n > 0)
        g_array_append_val (sizes, n);
    }
  if (sizes->len == 0)
    g_array_append_vals (sizes, default_sizes, G_N_ELEMENTS (default_sizes));

  /* The session's throwaway keyring only, never a person's own. */
  if (g_getenv ("TD_HEADLESS_SESSION") == NULL)
    {
      printf ("many-accounts: skipped: needs tests/headless-session\n");
      return 77;
    }

  if (tokendesk == NULL || *tokendesk == '\0')
    tokendesk = TOKENDESK_PATH;

  env = g_environ_setenv (g_get_environ (), "XDG_CONFIG_HOME", config_home, TRUE);
  env = g_environ_unsetenv (env, "G_MESSAGES_DEBUG");
  g_mkdir_with_parents (file_dir, 0700);

  sim = td_test_sim_start ("--quiet", NULL);
  answer = td_test_sim_control (sim, "POST", "/_sim/users",
                                "{\"vendor\":\"logware\",\"username\":\"bench\","
                                "\"password\":\"bench-password\"}");
  base = td_test_sim_dup_base (sim, "logware");

  printf ("%-9s %10s %10s %10s %10s   (seconds; target: each under %.0f s)\n",
          "accounts", "floor", "list", "add", "remove", TARGET_SECONDS);

  for (guint s = 0; s < sizes->len; s++)
    {
      guint n = g_array_index (sizes, guint, s);
      char *list[] = { (char *) tokendesk, "list", NULL };
      char *add[] = { (char *) tokendesk, "add", "logware", "bench new", "--username", "bench",
                      "--endpoint", base, NULL };
      char *remove[] = { (char *) tokendesk, "remove", "bench new", NULL };
      double floor_s, list_s, add_s, remove_s;
      double floor_cpu, list_cpu, add_cpu, remove_cpu;

      write_accounts (path, n, base);
      /* Warm the page cache for both alike. */
      time_floor (path, copy, &floor_cpu);

      floor_s = time_floor (path, copy, &floor_cpu);
      list_s = spawn_timed (list, env, NULL, &list_cpu);
      add_s = spawn_timed (add, env, "bench-password\n", &add_cpu);
      remove_s = spawn_timed (remove, env, NULL, &remove_cpu);

      printf ("%-9u %10.3f %10.3f %10.3f %10.3f   (%.1f× %.1f× %.1f× the floor)\n",
              n, floor_s, list_s, add_s, remove_s,
              list_s / floor_s, add_s / floor_s, remove_s / floor_s);
      printf ("%-9s %10.3f %10.3f %10.3f %10.3f   (CPU seconds)\n",
              "", floor_cpu, list_cpu, add_cpu, remove_cpu);
      fflush (stdout);

      if (n >= 100000 &&
          (list_s >= TARGET_SECONDS || add_s >= TARGET_SECONDS || remove_s >= TARGET_SECONDS))
        all_met = FALSE;
    }

  printf ("target (each command under %.0f s at 100,000 accounts): %s\n", TARGET_SECONDS,
          all_met ? "met" : "NOT MET");

  g_unlink (path);
  g_unlink (copy);
  g_rmdir (file_dir);
  g_rmdir (config_home);

  return 0;
}
