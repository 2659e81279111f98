/* test-memory.c: no stale copy of a secret in the memory of `tokendesk`
 *
 * Runs the real tokendesk executable under gdb against the vendor
 * simulator and the session's gnome-keyring, stops it where it is about
 * to exit (a breakpoint on exit(), after main returned), dumps its memory
 * with gcore and counts the secrets of the run in the dump: the password
 * read from standard input, and the refresh and access tokens the vendor
 * issued (asked from the simulator, which knows which are still valid).
 *
 * What the process had to hold is in the keyring by then; what is left
 * in its memory are copies nobody wiped: request and response bodies,
 * JSON trees, the stdio buffer. Full copies only are counted: libraries
 * that free a buffer without wiping it (libsoup's line reader, json-glib's
 * scanner) leave fragments we cannot reach, and malloc writes its own
 * pointers over the start of a freed block.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <glib/gstdio.h>
#include <gio/gio.h>
#include <json-glib/json-glib.h>
#include <string.h>

#include "td-test-util.h"

#ifndef TOKENDESK_PATH
#error "TOKENDESK_PATH must name the tokendesk executable"
#endif

/* Several rounds: whether a freed copy survives until the dump depends on
 * what malloc hands out afterwards, so one round could be lucky. */
#define ROUNDS 3

/* Copies of the tokens tolerated in all the dumps of a run together: a
 * buffer libsoup or json-glib freed without wiping survives now and then.
 * Without our wiping there is one in nearly every dump. */
#define MAX_STRAY_TOKENS 2

static TdTestSim *sim;
static char *work_dir;
static guint stray_tokens;  /* refresh and access tokens found in all the dumps so far */

/* Runs tokendesk with args under gdb, input on its stdin; dumps it at
 * exit() into core_path. Asserts it exited 0. */
static void
dump_at_exit (const char         *input,
              const char         *core_path,
              const char * const *args)
{
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autoptr(GSubprocess) process = NULL;
  g_autoptr(GPtrArray) argv = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GError) error = NULL;
  g_autofree char *config_home = g_build_filename (work_dir, "config", NULL);
  g_autofree char *out = NULL;
  g_autofree char *gcore = g_strdup_printf ("gcore %s", core_path);

  const char * const gdb_args[] = {
    "gdb", "-nx", "-q", "-batch",
    "-ex", "set debuginfod enabled off",
    "-ex", "set startup-with-shell off",
    "-ex", "set breakpoint pending on",
    "-ex", "break exit",
    "-ex", "run",
    "-ex", gcore,
    "-ex", "continue",
    "--args", TOKENDESK_PATH,
  };

  for (guint i = 0; i < G_N_ELEMENTS (gdb_args); i++)
    g_ptr_array_add (argv, g_strdup (gdb_args[i]));
  for (guint i = 0; args[i] != NULL; i++)
    g_ptr_array_add (argv, g_strdup (args[i]));
  g_ptr_array_add (argv, NULL);

  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDIN_PIPE |
                                        G_SUBPROCESS_FLAGS_STDOUT_PIPE |
                                        G_SUBPROCESS_FLAGS_STDERR_MERGE);
  g_subprocess_launcher_setenv (launcher, "XDG_CONFIG_HOME", config_home, TRUE);
  g_subprocess_launcher_setenv (launcher, "TOKENDESK_HTTP_TIMEOUT", "5", TRUE);
  g_subprocess_launcher_unsetenv (launcher, "G_MESSAGES_DEBUG");

  process = g_subprocess_launcher_spawnv (launcher, (const char * const *) argv->pdata, &error);
  g_assert_no_error (error);

  g_subprocess_communicate_utf8 (process, input, NULL, &out, NULL, &error);
  g_assert_no_error (error);
  g_test_message ("gdb: %s", out);

  g_assert_true (g_subprocess_get_if_exited (process));
  g_assert_cmpint (g_subprocess_get_exit_status (process), ==, 0);
  if (strstr (out, "Saved corefile") == NULL)
    g_error ("gcore made no dump: %s", out);
  if (strstr (out, "exited normally") == NULL)
    g_error ("tokendesk failed: %s", out);
}

static guint
count_in (GBytes     *dump,
          const char *needle)
{
  gsize size;
  const char *data = g_bytes_get_data (dump, &size);
  gsize needle_len = strlen (needle);
  const char *end = data + size;
  const char *p = data;
  guint count = 0;

  g_assert_cmpuint (needle_len, >=, 8);

  while (p + needle_len <= end && (p = memchr (p, needle[0], end - p)) != NULL)
    {
      if (p + needle_len <= end && memcmp (p, needle, needle_len) == 0)
        {
          count++;
          p += needle_len;
        }
      else
        p++;
    }

  return count;
}

/* The only token of that kind the simulator still accepts for username:
 * Cover Whale revokes the earlier ones at every sign-in. */
static char *
dup_live_token (const char *username,
                const char *kind)
{
  g_autofree char *path = g_strdup_printf ("/_sim/tokens?vendor=coverwhale&username=%s",
                                           username);
  g_autoptr(JsonNode) answer = td_test_sim_control (sim, "GET", path, NULL);
  JsonArray *tokens = json_object_get_array_member (json_node_get_object (answer), kind);

  g_assert_cmpuint (json_array_get_length (tokens), ==, 1);
  return g_strdup (json_array_get_string_element (tokens, 0));
}

static void
check_dump (const char *what,
            const char *core_path,
            const char *name,
            const char *username,
            const char *password,
            const char *old_refresh_token)
{
  g_autoptr(GMappedFile) file = NULL;
  g_autoptr(GBytes) dump = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *refresh_token = dup_live_token (username, "refresh");
  g_autofree char *access_token = dup_live_token (username, "access");
  guint n_password, n_refresh, n_access, n_old_refresh = 0;

  file = g_mapped_file_new (core_path, FALSE, &error);
  g_assert_no_error (error);
  dump = g_mapped_file_get_bytes (file);

  /* The dump is of the process: its command line names the account. */
  g_assert_cmpuint (count_in (dump, name), >=, 1);

  n_password = count_in (dump, password);
  n_refresh = count_in (dump, refresh_token);
  n_access = count_in (dump, access_token);
  if (old_refresh_token != NULL)
    n_old_refresh = count_in (dump, old_refresh_token);

  g_test_message ("# %s: password %u, refresh token %u, access token %u, previous refresh "
              "token %u", what, n_password, n_refresh, n_access, n_old_refresh);

  /* Sent long before exit: not a copy of them may be left. */
  g_assert_cmpuint (n_password, ==, 0);
  g_assert_cmpuint (n_old_refresh, ==, 0);
  /* The keyring write is over at exit, so even the one copy that was on
   * its way there is gone: what is left is a copy nobody wiped. One per
   * dump at most, and hardly any in the whole run (MAX_STRAY_TOKENS). */
  g_assert_cmpuint (n_refresh, <=, 1);
  g_assert_cmpuint (n_access, <=, 1);
  stray_tokens += n_refresh + n_access;

  g_unlink (core_path);
}

static void
test_add_login_renew (void)
{
  g_autofree char *base = td_test_sim_dup_base (sim, "coverwhale");
  g_autofree char *core_path = g_build_filename (work_dir, "core", NULL);

  for (guint round = 0; round < ROUNDS; round++)
    {
      g_autofree char *username = g_strdup_printf ("mem%u-%08x", round, g_random_int ());
      g_autofree char *password = g_strdup_printf ("pw-%08x%08x", g_random_int (),
                                                   g_random_int ());
      g_autofree char *name = g_strdup_printf ("memory-round%u", round);
      g_autofree char *body = NULL;
      g_autofree char *input = g_strconcat (password, "\n", NULL);
      g_autofree char *old_refresh_token = NULL;
      g_autoptr(JsonNode) answer = NULL;

      body = g_strdup_printf ("{\"username\":\"%s\",\"password\":\"%s\"}", username, password);
      answer = td_test_sim_control (sim, "POST", "/_sim/users", body);

      dump_at_exit (input, core_path, (const char * const[]) {
        "add", "coverwhale", name, "--username", username, "--endpoint", base, NULL,
      });
      check_dump ("add", core_path, name, username, password, NULL);

      old_refresh_token = dup_live_token (username, "refresh");
      dump_at_exit (input, core_path, (const char * const[]) { "login", name, NULL });
      check_dump ("login", core_path, name, username, password, old_refresh_token);

      /* A renewal sends the refresh token and gets a new one; it prints
       * the access token, which must not stay in stdio's buffer either. */
      g_clear_pointer (&old_refresh_token, g_free);
      old_refresh_token = dup_live_token (username, "refresh");
      dump_at_exit (NULL, core_path, (const char * const[]) { "token", name, "--force", NULL });
      check_dump ("token --force", core_path, name, username, password, old_refresh_token);
    }

  g_test_message ("%u copies of tokens in all the dumps", stray_tokens);
  g_assert_cmpuint (stray_tokens, <=, MAX_STRAY_TOKENS);
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(GError) error = NULL;
  g_autofree char *gdb = NULL;
  int status;

  g_test_init (&argc, &argv, NULL);

  /* Against the session's keyring only: never a person's real one. */
  if (g_getenv ("TD_HEADLESS_SESSION") == NULL)
    {
      g_print ("1..0 # SKIP run inside tests/headless-session\n");
      return 0;
    }

  gdb = g_find_program_in_path ("gdb");
  if (gdb == NULL)
    {
      g_print ("1..0 # SKIP needs gdb (build-aux/install-deps installs it)\n");
      return 0;
    }

  work_dir = g_dir_make_tmp ("test-memory-XXXXXX", &error);
  g_assert_no_error (error);
  sim = td_test_sim_start ("--quiet", NULL);

  g_test_add_func ("/cli/secrets/not-in-memory", test_add_login_renew);

  status = g_test_run ();

  td_test_sim_stop (sim);
  td_test_rm_rf (work_dir);
  g_free (work_dir);

  return status;
}
