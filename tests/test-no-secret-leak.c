/* test-no-secret-leak.c: no password or token in any log line, any output,
 * or any file the app wrote
 *
 * Runs a full cycle per vendor (failed and successful sign-ins, tokens,
 * renewals, vendor specials) with every debug message on, capturing:
 * - every GLib log message, through a log writer (all its fields);
 * - everything written to file descriptors 1 and 2, into an unlinked file;
 * then checks the captures, and every file under the throwaway HOME, XDG
 * folders and TMPDIR this process uses, for the secrets it handled and for
 * anything shaped like a JWT or an opaque token.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "td-test-util.h"

static TdTestSim *sim;
static char *root;            /* holds HOME, XDG folders and TMPDIR */
static GString *log_text;     /* what the log writer saw */
static gboolean capturing;
static int saved_stdout = -1;
static int saved_stderr = -1;
static FILE *fd_capture;

/* Log writer ------------------------------------------------------------- */

static GLogWriterOutput
capture_writer (GLogLevelFlags   level,
                const GLogField *fields,
                gsize            n_fields,
                gpointer         user_data)
{
  g_autofree char *line = g_log_writer_format_fields (level, fields, n_fields, FALSE);

  g_string_append_printf (log_text, "%s\n", line);
  /* Every field, not only MESSAGE: a secret in CODE_FUNC would leak too. */
  for (gsize i = 0; i < n_fields; i++)
    {
      if (fields[i].length < 0)
        g_string_append_printf (log_text, "  %s=%s\n", fields[i].key,
                                (const char *) fields[i].value);
      else
        g_string_append_len (log_text, fields[i].value, fields[i].length);
    }

  /* Failures must stay visible, even while fd 2 is captured. */
  if (level & (G_LOG_LEVEL_ERROR | G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_WARNING))
    {
      int fd = saved_stderr >= 0 ? saved_stderr : STDERR_FILENO;

      if (write (fd, line, strlen (line)) < 0 || write (fd, "\n", 1) < 0)
        return G_LOG_WRITER_UNHANDLED;
    }

  return G_LOG_WRITER_HANDLED;
}

/* File descriptors ------------------------------------------------------- */

static void
start_fd_capture (void)
{
  g_assert_false (capturing);

  fflush (stdout);
  fflush (stderr);
  /* Unlinked: the capture itself leaves nothing on disk. */
  fd_capture = tmpfile ();
  g_assert_nonnull (fd_capture);
  saved_stdout = dup (STDOUT_FILENO);
  saved_stderr = dup (STDERR_FILENO);
  g_assert_cmpint (saved_stdout, >=, 0);
  g_assert_cmpint (saved_stderr, >=, 0);
  g_assert_cmpint (dup2 (fileno (fd_capture), STDOUT_FILENO), ==, STDOUT_FILENO);
  g_assert_cmpint (dup2 (fileno (fd_capture), STDERR_FILENO), ==, STDERR_FILENO);
  capturing = TRUE;
}

static char *
stop_fd_capture (void)
{
  GString *text = g_string_new (NULL);
  char buf[4096];
  size_t n;

  g_assert_true (capturing);
  fflush (stdout);
  fflush (stderr);
  dup2 (saved_stdout, STDOUT_FILENO);
  dup2 (saved_stderr, STDERR_FILENO);
  close (saved_stdout);
  close (saved_stderr);
  saved_stdout = saved_stderr = -1;
  capturing = FALSE;

  rewind (fd_capture);
  while ((n = fread (buf, 1, sizeof buf, fd_capture)) > 0)
    g_string_append_len (text, buf, n);
  fclose (fd_capture);
  fd_capture = NULL;

  return g_string_free (text, FALSE);
}

/* Checks ----------------------------------------------------------------- */

static gboolean
is_uuid (const char *s,
         gsize       len)
{
  g_autofree char *copy = g_strndup (s, len);

  return g_uuid_string_is_valid (copy);
}

/* Anything a vendor could have issued: a JWT ("eyJ" is base64 of '{"'), or
 * a long run of token characters that is not an account id. Returns the
 * offending piece or NULL. */
static char *
find_token_shape (const char *text)
{
  const char *p = text;

  if ((p = strstr (text, "eyJ")) != NULL)
    return g_strndup (p, 40);

  for (p = text; *p; )
    {
      gsize len = 0;

      while (g_ascii_isalnum (p[len]) || p[len] == '-' || p[len] == '_')
        len++;

      if (len >= 32 && !is_uuid (p, len))
        return g_strndup (p, len);

      p += len ? len : 1;
    }

  return NULL;
}

static void
assert_clean (const char *what,
              const char *text,
              GPtrArray  *secrets)
{
  g_autofree char *shape = NULL;

  for (guint i = 0; i < secrets->len; i++)
    if (strstr (text, g_ptr_array_index (secrets, i)) != NULL)
      g_error ("%s contains secret #%u (%zu characters)", what, i,
               strlen (g_ptr_array_index (secrets, i)));

  if ((shape = find_token_shape (text)) != NULL)
    g_error ("%s contains something shaped like a token, starting “%.8s”", what, shape);
}

static void
scan_files (const char *path,
            GPtrArray  *secrets,
            guint      *n_files)
{
  g_autoptr(GDir) dir = g_dir_open (path, 0, NULL);
  const char *name;

  if (dir == NULL)
    return;

  while ((name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *child = g_build_filename (path, name, NULL);

      if (g_file_test (child, G_FILE_TEST_IS_SYMLINK))
        continue;

      if (g_file_test (child, G_FILE_TEST_IS_DIR))
        scan_files (child, secrets, n_files);
      else if (g_file_test (child, G_FILE_TEST_IS_REGULAR))
        {
          g_autofree char *contents = NULL;
          gsize len;

          (*n_files)++;
          if (g_file_get_contents (child, &contents, &len, NULL))
            assert_clean (child, contents, secrets);
        }
    }
}

/* The cycle -------------------------------------------------------------- */

static void
add_secret (GPtrArray  *secrets,
            const char *secret)
{
  if (secret != NULL && *secret != '\0')
    g_ptr_array_add (secrets, g_strdup (secret));
}

static void
add_account_secrets (GPtrArray *secrets,
                     TdAccount *account)
{
  const TdTokens *tokens = td_account_peek_tokens (account);

  if (tokens == NULL)
    return;

  add_secret (secrets, tokens->access_token);
  add_secret (secrets, tokens->id_token);
  add_secret (secrets, tokens->refresh_token);
}

static void
note_error (GString    *messages,
            GError     *error,
            TdAccount  *account)
{
  if (error != NULL)
    g_string_append_printf (messages, "%s\n", error->message);
  if (td_account_get_error_message (account) != NULL)
    g_string_append_printf (messages, "%s\n", td_account_get_error_message (account));
}

static void
run_cycle (const char *vendor,
           GPtrArray  *secrets,
           GString    *messages)
{
  g_autoptr(TdTokenManager) manager = td_token_manager_new (NULL);
  g_autoptr(TdAccount) account = td_test_account_new (sim, vendor, "alice");
  g_autoptr(GError) error = NULL;
  gboolean refresh = td_provider_has_feature (td_test_provider (vendor),
                                              TD_PROVIDER_FEATURE_REFRESH_TOKEN);

  add_secret (secrets, "alice-password");
  add_secret (secrets, "wrong-password-Zq81x");

  /* A failed sign-in: its error message must not echo what was sent. */
  g_assert_false (td_test_manager_sign_in (manager, account, "wrong-password-Zq81x", &error));
  note_error (messages, error, account);
  g_clear_error (&error);

  g_assert_true (td_test_manager_sign_in (manager, account, "alice-password", &error));
  g_assert_no_error (error);
  add_account_secrets (secrets, account);

  {
    g_auto(TdSecret) token = td_test_manager_get_token (manager, account, 60, &error);

    g_assert_no_error (error);
    add_secret (secrets, token);
  }

  /* Renew: a refresh, or "sign in again" for password-only vendors. */
  if (refresh)
    {
      g_assert_true (td_test_manager_renew (manager, account, &error));
      g_assert_no_error (error);
      add_account_secrets (secrets, account);
    }
  else
    {
      g_assert_false (td_test_manager_renew (manager, account, &error));
      note_error (messages, error, account);
      g_clear_error (&error);
    }

  if (g_str_equal (vendor, "coverwhale"))
    {
      g_autofree char *code = NULL;
      g_autoptr(TdTokens) rejected = NULL;

      g_assert_true (td_test_request_password_reset (account, &error));
      g_assert_no_error (error);
      code = td_test_sim_reset_code (sim, "alice");
      add_secret (secrets, code);
      add_secret (secrets, "alice-new-password-Kd02");
      g_assert_true (td_test_reset_password (account, code, "alice-new-password-Kd02", &error));
      g_assert_no_error (error);
      g_assert_true (td_test_manager_sign_in (manager, account, "alice-new-password-Kd02",
                                              &error));
      g_assert_no_error (error);
      add_account_secrets (secrets, account);

      /* A rejected refresh token: the message quotes the vendor, not the token. */
      add_secret (secrets, "stale-refresh-token-Wm3");
      rejected = td_test_refresh (account, "stale-refresh-token-Wm3", &error);
      g_assert_null (rejected);
      note_error (messages, error, account);
      g_clear_error (&error);
    }
  else if (g_str_equal (vendor, "couchdrop"))
    {
      g_autoptr(GAsyncResult) result = NULL;
      GAsyncResult *slot = NULL;
      g_auto(TdSecret) token = NULL;

      add_secret (secrets, "cd-admin-token-for-tests");
      td_token_manager_set_admin_token_async (manager, account, "cd-admin-token-for-tests",
                                              NULL, td_test_result_cb, &slot);
      result = td_test_wait_result (&slot);
      g_assert_true (td_token_manager_set_admin_token_finish (manager, result, &error));
      g_assert_no_error (error);
      token = td_test_manager_get_token (manager, account, 60, &error);
      g_assert_no_error (error);
    }
  else
    {
      /* The wrong type Senmo's hostile answer carries holds a live JWT. */
      td_test_sim_hostile (sim, vendor, "wrong-type", 1);
      g_assert_false (td_test_manager_sign_in (manager, account, "alice-password", &error));
      note_error (messages, error, account);
      g_clear_error (&error);
      td_account_set_hand_out (account, TD_HAND_OUT_ACCESS_TOKEN);
      {
        g_auto(TdSecret) token = td_test_manager_get_token (manager, account, 60, &error);

        g_assert_no_error (error);
        add_secret (secrets, token);
      }
    }

  {
    g_autoptr(GAsyncResult) result = NULL;
    GAsyncResult *slot = NULL;

    td_token_manager_sign_out_async (manager, account, TRUE, NULL, td_test_result_cb, &slot);
    result = td_test_wait_result (&slot);
    g_assert_true (td_token_manager_sign_out_finish (manager, result, &error));
    g_assert_no_error (error);
  }
}

static void
test_cycle (gconstpointer data)
{
  const char *vendor = data;
  g_autoptr(GPtrArray) secrets = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GString) messages = g_string_new (NULL);
  g_autofree char *fd_text = NULL;
  g_autofree char *jwt_shape = NULL;
  g_autofree char *opaque_shape = NULL;
  guint n_files = 0;

  td_test_sim_reset (sim);
  g_string_truncate (log_text, 0);

  start_fd_capture ();
  /* Canaries: they prove each capture sees what it should. */
  g_debug ("canary-in-the-log");
  fprintf (stderr, "canary-on-stderr\n");
  printf ("canary-on-stdout\n");
  run_cycle (vendor, secrets, messages);
  fd_text = stop_fd_capture ();

  g_test_message ("%s: %u secrets, %" G_GSIZE_FORMAT " bytes of log, "
                  "%" G_GSIZE_FORMAT " bytes of output",
                  vendor, secrets->len, log_text->len, strlen (fd_text));

  g_assert_nonnull (strstr (log_text->str, "canary-in-the-log"));
  g_assert_nonnull (strstr (fd_text, "canary-on-stderr"));
  g_assert_nonnull (strstr (fd_text, "canary-on-stdout"));
  /* The debug output was really on, and the vendor was really called. */
  g_assert_nonnull (strstr (log_text->str, "answered HTTP 200"));
  g_assert_cmpuint (secrets->len, >=, 4);

  assert_clean ("the log", log_text->str, secrets);
  assert_clean ("the output", fd_text, secrets);
  assert_clean ("the error messages", messages->str, secrets);
  scan_files (root, secrets, &n_files);

  /* The checker itself finds what it looks for. */
  jwt_shape = find_token_shape ("x eyJhbGciOiJIUzI1NiJ9.e30.sig y");
  g_assert_nonnull (jwt_shape);
  opaque_shape = find_token_shape ("token Jt8cXq0wL4rQ2mZ9vB7nD5kF1hG3sA6y end");
  g_assert_nonnull (opaque_shape);
  g_assert_null (find_token_shape ("account 4f05ec5f-51eb-4992-a67a-daea5b25876b"));
}

static void
test_files_checked (void)
{
  g_autoptr(GPtrArray) secrets = g_ptr_array_new_with_free_func (g_free);
  g_autofree char *dir = g_build_filename (g_get_user_cache_dir (), "probe", NULL);
  g_autofree char *file = g_build_filename (dir, "probe.txt", NULL);
  guint n_files = 0;

  /* The throwaway folders are the ones GLib hands out. */
  g_assert_true (g_str_has_prefix (g_get_home_dir (), root));
  g_assert_true (g_str_has_prefix (g_get_user_config_dir (), root));
  g_assert_true (g_str_has_prefix (g_get_user_data_dir (), root));
  g_assert_true (g_str_has_prefix (g_get_user_cache_dir (), root));
  g_assert_true (g_str_has_prefix (g_get_tmp_dir (), root));

  g_assert_cmpint (g_mkdir_with_parents (dir, 0700), ==, 0);
  g_assert_true (g_file_set_contents (file, "nothing to see", -1, NULL));
  add_secret (secrets, "alice-password");
  scan_files (root, secrets, &n_files);
  g_assert_cmpuint (n_files, >=, 1);

  /* A leaked secret is found: run in a child, which must fail. */
  if (g_test_subprocess ())
    {
      g_assert_true (g_file_set_contents (file, "pw=alice-password", -1, NULL));
      scan_files (root, secrets, &n_files);
      return;
    }
  g_test_trap_subprocess (NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
  g_test_trap_assert_failed ();
  g_unlink (file);
  g_rmdir (dir);
}

static void
isolate_dirs (void)
{
  const char *base = g_getenv ("TMPDIR");
  struct {
    const char *variable;
    const char *subdir;
  } dirs[] = {
    { "HOME", "home" },
    { "XDG_CONFIG_HOME", "home/.config" },
    { "XDG_DATA_HOME", "home/.local/share" },
    { "XDG_CACHE_HOME", "home/.cache" },
    { "XDG_STATE_HOME", "home/.local/state" },
    { "XDG_RUNTIME_DIR", "runtime" },
    { "TMPDIR", "tmp" },
  };

  /* Before anything asks GLib for these: it caches them. XDG_DATA_DIRS
   * stays, for the system's GSettings schemas. */
  root = g_build_filename (base && *base ? base : "/tmp", "td-leak-XXXXXX", NULL);
  if (g_mkdtemp (root) == NULL)
    g_error ("mkdtemp: %s", g_strerror (errno));

  for (guint i = 0; i < G_N_ELEMENTS (dirs); i++)
    {
      g_autofree char *path = g_build_filename (root, dirs[i].subdir, NULL);

      g_mkdir_with_parents (path, 0700);
      g_setenv (dirs[i].variable, path, TRUE);
    }
}

int
main (int   argc,
      char *argv[])
{
  const char *vendors[] = TD_TEST_VENDORS;
  gboolean subprocess;
  int ret;

  /* A test subprocess re-runs main: it shares the parent's folders. */
  subprocess = g_getenv ("TD_LEAK_ROOT") != NULL;
  if (subprocess)
    root = g_strdup (g_getenv ("TD_LEAK_ROOT"));
  else
    {
      isolate_dirs ();
      g_setenv ("TD_LEAK_ROOT", root, TRUE);
    }

  g_setenv ("G_MESSAGES_DEBUG", "all", TRUE);
  log_text = g_string_new (NULL);
  g_log_set_writer_func (capture_writer, NULL, NULL);

  td_test_init (&argc, &argv);
  if (!g_test_subprocess ())
    sim = td_test_sim_start (NULL, NULL);

  for (guint i = 0; i < G_N_ELEMENTS (vendors); i++)
    {
      g_autofree char *path = g_strdup_printf ("/no-secret-leak/%s", vendors[i]);

      g_test_add_data_func (path, vendors[i], test_cycle);
    }
  g_test_add_func ("/no-secret-leak/files-checked", test_files_checked);

  ret = g_test_run ();

  if (sim != NULL)
    td_test_sim_stop (sim);
  if (!subprocess)
    td_test_rm_rf (root);
  g_string_free (log_text, TRUE);
  g_free (root);

  return ret;
}
