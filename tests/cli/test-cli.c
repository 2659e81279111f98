/* test-cli.c: the `tokendesk` command line, end to end
 *
 * Runs the real tokendesk executable against the vendor simulator and the
 * real gnome-keyring of tests/headless-session. Every test uses account
 * names and simulator users of its own; the tests of this program run one
 * after the other and share one simulator, whose call counts they read as
 * differences.
 *
 * The locked and absent keyrings are private ones started here (a D-Bus
 * daemon with or without a gnome-keyring): locking the session's keyring
 * would break every other test running in the session, since nothing can
 * unlock it again without a prompt.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <gio/gio.h>
#include <json-glib/json-glib.h>
#include <libsecret/secret.h>
#include <signal.h>
#include <string.h>

#include "td-test-util.h"
#include "td-vendors.h"

#ifndef TOKENDESK_PATH
#error "TOKENDESK_PATH must name the tokendesk executable"
#endif

#define SCHEMA_NAME "io.github.tokendesk.TokenDesk.Secret"

static TdTestSim *sim;
static char *config_home;   /* this program's XDG_CONFIG_HOME, inside the session's */
static GPtrArray *secrets;  /* every password and token of the run, for the final scan */
static guint user_serial;

/* Running tokendesk ------------------------------------------------------ */

typedef struct
{
  int   status;
  char *out;
  char *err;
} Run;

static void
run_free (Run *run)
{
  g_free (run->out);
  g_free (run->err);
  g_free (run);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Run, run_free)

static const char *
tokendesk_path (void)
{
  /* To run these tests against another build of tokendesk. */
  const char *path = g_getenv ("TD_TEST_TOKENDESK");

  return path && *path ? path : TOKENDESK_PATH;
}

static GSubprocessLauncher *
new_launcher (const char * const *env)
{
  GSubprocessLauncher *launcher;

  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDIN_PIPE |
                                        G_SUBPROCESS_FLAGS_STDOUT_PIPE |
                                        G_SUBPROCESS_FLAGS_STDERR_PIPE);
  g_subprocess_launcher_setenv (launcher, "XDG_CONFIG_HOME", config_home, TRUE);
  g_subprocess_launcher_setenv (launcher, "TOKENDESK_HTTP_TIMEOUT", "5", TRUE);
  g_subprocess_launcher_unsetenv (launcher, "G_MESSAGES_DEBUG");

  for (guint i = 0; env != NULL && env[i] != NULL; i += 2)
    {
      if (env[i + 1] != NULL)
        g_subprocess_launcher_setenv (launcher, env[i], env[i + 1], TRUE);
      else
        g_subprocess_launcher_unsetenv (launcher, env[i]);
    }

  return launcher;
}

static GSubprocess *
spawn_cli (const char * const *env,
           const char * const *args)
{
  g_autoptr(GSubprocessLauncher) launcher = new_launcher (env);
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_autoptr(GError) error = NULL;
  GSubprocess *process;

  g_ptr_array_add (argv, (gpointer) tokendesk_path ());
  for (guint i = 0; args[i] != NULL; i++)
    g_ptr_array_add (argv, (gpointer) args[i]);
  g_ptr_array_add (argv, NULL);

  process = g_subprocess_launcher_spawnv (launcher, (const char * const *) argv->pdata, &error);
  g_assert_no_error (error);

  return process;
}

static Run *
finish_cli (GSubprocess *process,
            const char  *input)
{
  g_autoptr(GError) error = NULL;
  Run *run = g_new0 (Run, 1);

  /* Written first, whole: a command that refuses its arguments exits
   * without reading it, and the pipe may then be broken before we write.
   * That is the command's right, not a failure of the test. */
  if (input != NULL && *input != '\0' &&
      !g_output_stream_write_all (g_subprocess_get_stdin_pipe (process), input, strlen (input),
                                  NULL, NULL, &error) &&
      !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_BROKEN_PIPE))
    g_assert_no_error (error);
  g_clear_error (&error);

  g_subprocess_communicate_utf8 (process, NULL, NULL, &run->out, &run->err, &error);
  g_assert_no_error (error);

  /* A crash or a critical (G_DEBUG=fatal-criticals) is never an exit status. */
  if (!g_subprocess_get_if_exited (process))
    g_error ("tokendesk died of signal %d; stderr: %s",
             g_subprocess_get_term_sig (process), run->err);
  run->status = g_subprocess_get_exit_status (process);

  g_test_message ("exit %d; stderr: %s", run->status, run->err);
  return run;
}

static Run *
run_env (const char * const *env,
         const char         *input,
         ...)
{
  g_autoptr(GPtrArray) args = g_ptr_array_new ();
  g_autoptr(GSubprocess) process = NULL;
  va_list ap;

  va_start (ap, input);
  for (const char *arg = va_arg (ap, const char *); arg; arg = va_arg (ap, const char *))
    g_ptr_array_add (args, (gpointer) arg);
  va_end (ap);
  g_ptr_array_add (args, NULL);

  process = spawn_cli (env, (const char * const *) args->pdata);
  return finish_cli (process, input);
}

#define run(input, ...) run_env (NULL, input, __VA_ARGS__, NULL)

static void
assert_run (Run        *run,
            int         status,
            const char *in_stderr)
{
  if (run->status != status)
    g_error ("expected exit status %d, got %d; stdout: %s; stderr: %s",
             status, run->status, run->out, run->err);

  if (in_stderr != NULL && strstr (run->err, in_stderr) == NULL)
    g_error ("expected “%s” on stderr, got: %s", in_stderr, run->err);

  /* Errors are one line, and only errors go to stderr. */
  if (status != 0)
    {
      g_autofree char *trimmed = g_strstrip (g_strdup (run->err));

      g_assert_nonnull (strstr (run->err, "tokendesk"));
      if (strchr (trimmed, '\n') != NULL && strstr (run->err, "Usage:") == NULL)
        g_error ("an error message of more than one line: %s", run->err);
    }
}

static char *
stripped_out (Run *run)
{
  g_autofree char *out = g_strdup (run->out);

  return g_strdup (g_strstrip (out));
}

static void
remember_secret (const char *secret)
{
  if (secret != NULL && strlen (secret) >= 8)
    g_ptr_array_add (secrets, g_strdup (secret));
}

static char *
get_token (const char *name)
{
  g_autoptr(Run) r = run (NULL, "token", name);
  char *token;

  assert_run (r, 0, NULL);
  token = stripped_out (r);
  g_assert_cmpstr (token, !=, "");
  remember_secret (token);

  return token;
}

/* The simulator ---------------------------------------------------------- */

static void
sim_config (const char *vendor,
            int         lifetime_s)
{
  g_autofree char *body = g_strdup_printf ("{\"vendor\":\"%s\",\"lifetime_s\":%d}",
                                           vendor, lifetime_s);

  td_test_sim_config (sim, body);
}

/* A user of every vendor, of this test only: Cover Whale invalidates a
 * user's tokens on every sign-in, so users shared by tests would make them
 * depend on each other. */
static void
new_user (const char  *flag,
          char       **username,
          char       **password)
{
  g_autoptr(JsonNode) answer = NULL;
  g_autofree char *body = NULL;

  *username = g_strdup_printf ("user%u-%u", ++user_serial, g_random_int ());
  *password = g_strdup_printf ("pw-%08x%08x", g_random_int (), g_random_int ());
  remember_secret (*password);

  if (flag != NULL)
    body = g_strdup_printf ("{\"username\":\"%s\",\"password\":\"%s\",\"flags\":[\"%s\"]}",
                            *username, *password, flag);
  else
    body = g_strdup_printf ("{\"username\":\"%s\",\"password\":\"%s\"}", *username, *password);

  answer = td_test_sim_control (sim, "POST", "/_sim/users", body);
}

static char *
line (const char *text)
{
  return g_strconcat (text, "\n", NULL);
}

/* Adds and signs in; returns the account name for convenience. */
static void
add_account (const char *vendor,
             const char *name,
             const char *username,
             const char *password,
             const char *extra_option)
{
  g_autofree char *base = td_test_sim_dup_base (sim, vendor);
  g_autofree char *input = line (password);
  g_autoptr(Run) r = NULL;

  if (extra_option != NULL)
    r = run (input, "add", vendor, name, "--username", username, "--endpoint", base, extra_option);
  else
    r = run (input, "add", vendor, name, "--username", username, "--endpoint", base);

  assert_run (r, 0, NULL);
  g_assert_nonnull (strstr (r->out, name));
  /* Nothing secret on stdout either. */
  g_assert_null (strstr (r->out, password));
}

/* The vendor's protected endpoint, called with the header line that
 * `tokendesk token --format header` printed. */
static guint
call_protected (const char *vendor,
                const char *header_line)
{
  g_auto(GStrv) parts = g_strsplit (header_line, ": ", 2);

  g_assert_cmpuint (g_strv_length (parts), ==, 2);

  return td_test_sim_use_token (sim, vendor, parts[0], parts[1], NULL);
}

static void
assert_token_works (const char *vendor,
                    const char *name)
{
  g_autoptr(Run) r = run (NULL, "token", name, "--format", "header");
  g_autofree char *header = NULL;

  assert_run (r, 0, NULL);
  header = stripped_out (r);
  g_assert_cmpuint (call_protected (vendor, header), ==, 200);
}

/* The keyring ------------------------------------------------------------ */

static char *
account_id_for (const char *name)
{
  g_autoptr(GKeyFile) key_file = g_key_file_new ();
  g_autofree char *path = g_build_filename (config_home, "tokendesk", "accounts.ini", NULL);
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) groups = NULL;

  g_key_file_load_from_file (key_file, path, G_KEY_FILE_NONE, &error);
  g_assert_no_error (error);

  groups = g_key_file_get_groups (key_file, NULL);
  for (guint i = 0; groups[i]; i++)
    {
      g_autofree char *group_name = g_key_file_get_string (key_file, groups[i], "name", NULL);

      if (g_strcmp0 (group_name, name) == 0)
        return g_strdup (groups[i]);
    }

  return NULL;
}

/* Enumerates every item of every collection: what Seahorse would show. */
static GPtrArray *
keyring_items_full (SecretService **out_service)
{
  g_autoptr(SecretService) service = NULL;
  g_autoptr(GError) error = NULL;
  GPtrArray *items = g_ptr_array_new_with_free_func (g_object_unref);
  GList *collections;

  /* A new proxy each time, not the shared one: this test never runs the
   * main loop, so a shared proxy's item lists would stay as first seen. */
  service = secret_service_open_sync (SECRET_TYPE_SERVICE, NULL,
                                      SECRET_SERVICE_LOAD_COLLECTIONS, NULL, &error);
  g_assert_no_error (error);

  collections = secret_service_get_collections (service);
  for (GList *c = collections; c; c = c->next)
    {
      GList *list;

      secret_collection_load_items_sync (c->data, NULL, &error);
      g_assert_no_error (error);

      list = secret_collection_get_items (c->data);
      for (GList *l = list; l; l = l->next)
        g_ptr_array_add (items, g_object_ref (l->data));
      g_list_free_full (list, g_object_unref);
    }
  g_list_free_full (collections, g_object_unref);

  /* The items do not keep their service alive. */
  if (out_service != NULL)
    *out_service = g_steal_pointer (&service);

  return items;
}

static GPtrArray *
keyring_items (void)
{
  return keyring_items_full (NULL);
}

/* What the keyring holds for one account, sorted and joined, named as the
 * secrets' kinds: "access-token,refresh-token". The account has one item
 * at most, of kind "credentials", holding all of them as JSON. */
static char *
keyring_kinds (const char *account_id,
               const char *name)
{
  static const struct { const char *member; const char *kind; } secrets[] = {
    { "access_token", "access-token" },
    { "admin_token", "admin-token" },
    { "password", "password" },
    { "refresh_token", "refresh-token" },
  };
  g_autoptr(SecretService) service = NULL;
  g_autoptr(GPtrArray) items = keyring_items_full (&service);
  g_autoptr(GPtrArray) kinds = g_ptr_array_new_with_free_func (g_free);
  g_autofree char *label_end = g_strconcat (" for ", name, NULL);
  guint n_items = 0;

  for (guint i = 0; i < items->len; i++)
    {
      SecretItem *item = g_ptr_array_index (items, i);
      g_autoptr(GHashTable) attributes = secret_item_get_attributes (item);
      g_autofree char *label = secret_item_get_label (item);
      g_autoptr(JsonParser) parser = NULL;
      g_autoptr(SecretValue) value = NULL;
      g_autoptr(GError) error = NULL;
      JsonObject *object;

      if (g_strcmp0 (g_hash_table_lookup (attributes, "account"), account_id) != 0)
        {
          if (g_str_has_suffix (label, label_end))
            g_error ("a keyring item “%s” has no or another account id", label);
          continue;
        }

      g_assert_cmpstr (g_hash_table_lookup (attributes, "xdg:schema"), ==, SCHEMA_NAME);
      g_assert_cmpstr (g_hash_table_lookup (attributes, "kind"), ==, "credentials");
      g_assert_true (g_str_has_prefix (label, "Token Desk: "));
      g_assert_true (g_str_has_suffix (label, label_end));
      n_items++;

      secret_item_load_secret_sync (item, NULL, &error);
      g_assert_no_error (error);
      value = secret_item_get_secret (item);
      parser = json_parser_new ();
      json_parser_load_from_data (parser, secret_value_get_text (value), -1, &error);
      g_assert_no_error (error);
      object = json_node_get_object (json_parser_get_root (parser));
      for (guint s = 0; s < G_N_ELEMENTS (secrets); s++)
        if (json_object_get_string_member_with_default (object, secrets[s].member, NULL))
          g_ptr_array_add (kinds, g_strdup (secrets[s].kind));
    }

  /* One item, replaced whole by each write. */
  g_assert_cmpuint (n_items, <=, 1);

  g_ptr_array_add (kinds, NULL);
  return g_strjoinv (",", (char **) kinds->pdata);
}

/* Tests ------------------------------------------------------------------ */

static void
test_help (void)
{
  const char *commands[] = {
    "vendors", "add", "login", "token", "exec", "list", "logout", "remove",
    "reset-password", "change-password", "edit", "export", "import",
  };

  {
    g_autoptr(Run) r = run (NULL, "help");

    assert_run (r, 0, NULL);
    for (guint i = 0; i < G_N_ELEMENTS (commands); i++)
      g_assert_nonnull (strstr (r->out, commands[i]));
    g_assert_nonnull (strstr (r->out, "Exit status"));
  }

  /* --help is the same list, not the app's GApplication options. */
  {
    g_autoptr(Run) r = run (NULL, "help");
    g_autoptr(Run) dash = run (NULL, "--help");
    g_autoptr(Run) version = run (NULL, "--version");

    assert_run (dash, 0, NULL);
    g_assert_cmpstr (dash->out, ==, r->out);
    assert_run (version, 0, NULL);
    g_assert_true (g_str_has_prefix (version->out, "tokendesk "));
  }

  for (guint i = 0; i < G_N_ELEMENTS (commands); i++)
    {
      g_autoptr(Run) r = run (NULL, commands[i], "--help");
      g_autoptr(Run) h = run (NULL, "help", commands[i]);
      g_autofree char *usage = g_strdup_printf ("tokendesk %s", commands[i]);

      assert_run (r, 0, NULL);
      g_assert_nonnull (strstr (r->out, usage));
      g_assert_nonnull (strstr (r->out, "Example"));
      g_assert_nonnull (strstr (r->out, "Exit status"));
      assert_run (h, 0, NULL);
      g_assert_cmpstr (h->out, ==, r->out);
    }

  {
    g_autoptr(Run) r = run (NULL, "token", "--bogus", "x");
    g_autoptr(Run) r2 = run (NULL, "token");
    g_autoptr(Run) r3 = run (NULL, "token", "a", "b");
    g_autoptr(Run) r4 = run (NULL, "help", "nonsense");

    assert_run (r, 2, "--bogus");
    assert_run (r2, 2, "missing argument");
    assert_run (r3, 2, "unexpected argument");
    g_assert_cmpint (r4->status, ==, 2);
  }
}

static void
test_vendors (void)
{
  g_autoptr(Run) text = run (NULL, "vendors");
  g_autoptr(Run) json = run (NULL, "vendors", "--json");
  g_autoptr(Run) bad = run (NULL, "vendors", "--jsn");
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;
  const char *ids[] = { "coverwhale", "couchdrop", "senmo", "logware" };
  JsonArray *array;

  assert_run (text, 0, NULL);
  assert_run (json, 0, NULL);
  assert_run (bad, 2, NULL);

  for (guint i = 0; i < G_N_ELEMENTS (ids); i++)
    g_assert_nonnull (strstr (text->out, ids[i]));
  g_assert_nonnull (strstr (text->out, "sandbox"));

  json_parser_load_from_data (parser, json->out, -1, &error);
  g_assert_no_error (error);
  g_assert_true (JSON_NODE_HOLDS_ARRAY (json_parser_get_root (parser)));
  array = json_node_get_array (json_parser_get_root (parser));
  g_assert_cmpuint (json_array_get_length (array), ==, G_N_ELEMENTS (ids));

  for (guint i = 0; i < G_N_ELEMENTS (ids); i++)
    {
      JsonObject *vendor = json_array_get_object_element (array, i);

      g_assert_cmpstr (json_object_get_string_member (vendor, "id"), ==, ids[i]);
      g_assert_true (json_object_has_member (vendor, "endpoints"));
      g_assert_true (json_object_has_member (vendor, "features"));
    }
}

static void
test_add_usage (void)
{
  g_autofree char *user = NULL;
  g_autofree char *password = NULL;
  g_autofree char *input = NULL;
  g_autofree char *base = td_test_sim_dup_base (sim, "coverwhale");
  guint auth_calls = td_test_sim_count (sim, "coverwhale/authentication");

  new_user (NULL, &user, &password);
  input = line (password);
  add_account ("coverwhale", "usage-cw", user, password, NULL);

  {
    g_autoptr(Run) r = run (input, "add", "nosuch", "x", "--username", user);
    assert_run (r, 2, "nosuch");
  }
  {
    g_autoptr(Run) r = run (input, "add", "coverwhale", "x", "--endpoint", base);
    assert_run (r, 2, "--username");
  }
  {
    g_autoptr(Run) r = run (input, "add", "senmo", "x", "--username", user);
    assert_run (r, 2, "Senmo");
  }
  {
    g_autoptr(Run) r = run (input, "add", "coverwhale", "x", "--username", user,
                            "--endpoint", "no-such-preset");
    assert_run (r, 2, "no-such-preset");
  }
  {
    /* Passwords never go to a remote host in the clear. */
    g_autoptr(Run) r = run (input, "add", "coverwhale", "x", "--username", user,
                            "--endpoint", "http://example.com/api");
    assert_run (r, 2, "https");
  }
  {
    /* Names are unique, whatever their case. */
    g_autoptr(Run) r = run (input, "add", "coverwhale", "USAGE-CW", "--username", user,
                            "--endpoint", base);
    assert_run (r, 2, "already");
  }
  {
    g_autoptr(Run) r = run (input, "add", "coverwhale", "x", "--username", user,
                            "--endpoint", base, "--hand-out", "access");
    assert_run (r, 2, "--hand-out");
  }
  {
    g_autoptr(Run) r = run (input, "add", "logware", "x", "--admin-token");
    assert_run (r, 2, "administrative");
  }
  {
    g_autoptr(Run) r = run ("", "add", "coverwhale", "x", "--username", user, "--endpoint", base);
    assert_run (r, 2, "standard input");
  }

  /* None of them reached the vendor or left an account behind. */
  g_assert_cmpuint (td_test_sim_count (sim, "coverwhale/authentication"), ==, auth_calls + 1);
  {
    g_autoptr(Run) r = run (NULL, "list", "--json");

    assert_run (r, 0, NULL);
    g_assert_null (strstr (r->out, "\"x\""));
  }
}

static void
test_add_refused (void)
{
  g_autofree char *user = NULL;
  g_autofree char *password = NULL;
  g_autofree char *twofa = NULL;
  g_autofree char *twofa_password = NULL;
  g_autofree char *forbidden = NULL;
  g_autofree char *forbidden_password = NULL;
  g_autofree char *cw_base = td_test_sim_dup_base (sim, "coverwhale");
  g_autofree char *cd_base = td_test_sim_dup_base (sim, "couchdrop");
  g_autofree char *wrong = line ("not-the-password");
  g_autofree char *twofa_input = NULL;
  g_autofree char *forbidden_input = NULL;

  new_user (NULL, &user, &password);
  new_user ("twofa", &twofa, &twofa_password);
  new_user ("forbidden", &forbidden, &forbidden_password);
  twofa_input = line (twofa_password);
  forbidden_input = line (forbidden_password);

  {
    g_autoptr(Run) r = run (wrong, "add", "coverwhale", "refused-cw", "--username", user,
                            "--endpoint", cw_base);
    /* The vendor's own words, the account and the vendor named. */
    assert_run (r, 1, "Incorrect username or password");
    g_assert_nonnull (strstr (r->err, "refused-cw (Cover Whale)"));
  }
  {
    g_autoptr(Run) r = run (twofa_input, "add", "couchdrop", "refused-2fa", "--username", twofa,
                            "--endpoint", cd_base);
    assert_run (r, 1, "two-factor");
  }
  {
    g_autoptr(Run) r = run (forbidden_input, "add", "couchdrop", "refused-403",
                            "--username", forbidden, "--endpoint", cd_base);
    assert_run (r, 1, "refused-403");
  }

  /* Saved only when the sign-in succeeds, and nothing left in the keyring. */
  {
    g_autoptr(Run) r = run (NULL, "list", "--json");
    g_autoptr(GPtrArray) items = keyring_items ();

    assert_run (r, 0, NULL);
    g_assert_null (strstr (r->out, "refused-"));
    for (guint i = 0; i < items->len; i++)
      {
        g_autofree char *label = secret_item_get_label (g_ptr_array_index (items, i));

        g_assert_null (strstr (label, "refused-"));
      }
  }
}

static void
test_add_unreachable (void)
{
  g_autofree char *user = NULL;
  g_autofree char *password = NULL;
  g_autofree char *input = NULL;
  g_autofree char *base = td_test_sim_dup_base (sim, "logware");
  const char *modes[] = { "status-500", "html", "truncated", "missing-token", "hang" };

  new_user (NULL, &user, &password);
  input = line (password);

  {
    /* Nothing listens on port 9 of the loopback. */
    g_autoptr(Run) r = run (input, "add", "logware", "down-lw", "--username", user,
                            "--endpoint", "http://127.0.0.1:9");
    assert_run (r, 3, "down-lw (Logware)");
  }

  for (guint i = 0; i < G_N_ELEMENTS (modes); i++)
    {
      const char *env[] = { "TOKENDESK_HTTP_TIMEOUT", "2", NULL };
      g_autoptr(Run) r = NULL;

      td_test_sim_hostile (sim, "logware", modes[i], 1);
      r = run_env (env, input, "add", "logware", "down-lw", "--username", user,
                   "--endpoint", base, NULL);
      assert_run (r, 3, "down-lw (Logware)");
    }

  {
    g_autoptr(Run) r = run (NULL, "list", "--json");
    assert_run (r, 0, NULL);
    g_assert_null (strstr (r->out, "down-lw"));
  }
}

static void
test_coverwhale_token (void)
{
  g_autofree char *user = NULL;
  g_autofree char *password = NULL;
  g_autofree char *first = NULL;
  g_autofree char *second = NULL;
  g_autofree char *base = td_test_sim_dup_base (sim, "coverwhale");
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;
  guint auth_calls;
  JsonObject *object;

  new_user (NULL, &user, &password);
  add_account ("coverwhale", "cw-token", user, password, NULL);
  auth_calls = td_test_sim_count (sim, "coverwhale/authentication");

  /* Two processes, one token, no vendor call: it came from the keyring. */
  first = get_token ("cw-token");
  second = get_token ("cw-token");
  g_assert_cmpstr (first, ==, second);
  g_assert_cmpuint (td_test_sim_count (sim, "coverwhale/authentication"), ==, auth_calls);
  assert_token_works ("coverwhale", "cw-token");

  {
    g_autoptr(Run) r = run (NULL, "token", "cw-token", "--format", "header");
    g_autofree char *expected = g_strdup_printf ("AccessToken: %s\n", first);

    assert_run (r, 0, NULL);
    g_assert_cmpstr (r->out, ==, expected);
  }
  {
    g_autoptr(Run) r = run (NULL, "token", "cw-token", "--format", "json");
    g_autofree char *header = g_strdup_printf ("AccessToken: %s", first);
    const char *expires;

    assert_run (r, 0, NULL);
    json_parser_load_from_data (parser, r->out, -1, &error);
    g_assert_no_error (error);
    object = json_node_get_object (json_parser_get_root (parser));
    g_assert_cmpstr (json_object_get_string_member (object, "token"), ==, first);
    g_assert_cmpstr (json_object_get_string_member (object, "header"), ==, header);
    expires = json_object_get_string_member (object, "expires_at");
    g_assert_true (g_str_has_suffix (expires, "Z"));
    {
      g_autoptr(GDateTime) date_time = g_date_time_new_from_iso8601 (expires, NULL);
      gint64 in = g_date_time_to_unix (date_time) - g_get_real_time () / G_USEC_PER_SEC;

      g_assert_nonnull (date_time);
      g_assert_cmpint (in, >, 3000);
      g_assert_cmpint (in, <=, 3600);
    }
  }
  {
    g_autoptr(Run) r1 = run (NULL, "token", "cw-token", "--format", "yaml");
    g_autoptr(Run) r2 = run (NULL, "token", "cw-token", "--min-valid", "-1");
    g_autoptr(Run) r3 = run (NULL, "token", "no-such-account");

    assert_run (r1, 2, "yaml");
    assert_run (r2, 2, "--min-valid");
    assert_run (r3, 2, "no-such-account");
  }
  {
    g_autoptr(Run) r = run (NULL, "list");
    assert_run (r, 0, NULL);
    g_assert_nonnull (strstr (r->out, "cw-token"));
    g_assert_nonnull (strstr (r->out, "signed-in"));
    g_assert_null (strstr (r->out, first));
  }
  {
    g_autoptr(Run) r = run (NULL, "list", "--json");
    g_autoptr(JsonParser) list_parser = json_parser_new ();
    JsonArray *array;
    gboolean found = FALSE;

    assert_run (r, 0, NULL);
    g_assert_null (strstr (r->out, first));
    json_parser_load_from_data (list_parser, r->out, -1, &error);
    g_assert_no_error (error);
    array = json_node_get_array (json_parser_get_root (list_parser));
    for (guint i = 0; i < json_array_get_length (array); i++)
      {
        JsonObject *account = json_array_get_object_element (array, i);

        if (g_strcmp0 (json_object_get_string_member (account, "name"), "cw-token") != 0)
          continue;
        found = TRUE;
        g_assert_cmpstr (json_object_get_string_member (account, "vendor"), ==, "coverwhale");
        g_assert_cmpstr (json_object_get_string_member (account, "username"), ==, user);
        g_assert_cmpstr (json_object_get_string_member (account, "endpoint"), ==, base);
        g_assert_cmpstr (json_object_get_string_member (account, "state"), ==, "signed-in");
        g_assert_true (g_str_has_suffix (json_object_get_string_member (account, "expires_at"),
                                         "Z"));
        g_assert_cmpuint (json_object_get_size (account), ==, 6);
      }
    g_assert_true (found);
  }

  /* The keyring holds what the issue says, labelled for people. */
  {
    g_autofree char *id = account_id_for ("cw-token");
    g_autofree char *kinds = keyring_kinds (id, "cw-token");

    g_assert_cmpstr (kinds, ==, "access-token,refresh-token");
  }
}

static guint
granted_lifetime_in_file (const char *name)
{
  g_autoptr(GKeyFile) key_file = g_key_file_new ();
  g_autofree char *path = g_build_filename (config_home, "tokendesk", "accounts.ini", NULL);
  g_autofree char *id = account_id_for (name);
  g_autoptr(GError) error = NULL;

  g_key_file_load_from_file (key_file, path, G_KEY_FILE_NONE, &error);
  g_assert_no_error (error);

  return (guint) g_key_file_get_uint64 (key_file, id, "granted-lifetime", NULL);
}

/* The vendor's tokens last 10 minutes, the script asks for 27 hours: one
 * renewal, the fresh token on stdout, exit 0, and stderr says how long
 * this vendor's tokens last. */
static void
test_short_lived_vendor (void)
{
  g_autofree char *user = NULL;
  g_autofree char *password = NULL;
  g_autofree char *header = NULL;
  guint refreshes;

  new_user (NULL, &user, &password);
  sim_config ("coverwhale", 600);
  add_account ("coverwhale", "cw-short", user, password, NULL);
  g_assert_cmpuint (granted_lifetime_in_file ("cw-short"), ==, 600);
  refreshes = td_test_sim_count (sim, "coverwhale/refresh");

  {
    g_autoptr(Run) r = run (NULL, "token", "cw-short", "--min-valid", "97200",
                            "--format", "header");

    assert_run (r, 0, "cw-short (Cover Whale): the token is valid for 10 min, less than the "
                      "27 hours asked for: Cover Whale’s tokens last 10 min");
    header = stripped_out (r);
    remember_secret (strchr (header, ' ') + 1);
  }
  g_assert_cmpuint (td_test_sim_count (sim, "coverwhale/refresh"), ==, refreshes + 1);
  g_assert_cmpuint (call_protected ("coverwhale", header), ==, 200);

  /* The vendor changes its mind: the file follows what it grants now. */
  sim_config ("coverwhale", 1200);
  {
    g_autoptr(Run) r = run (NULL, "token", "cw-short", "--min-valid", "97200");

    assert_run (r, 0, "Cover Whale’s tokens last 20 min");
    remember_secret (g_strstrip (r->out));
  }
  g_assert_cmpuint (td_test_sim_count (sim, "coverwhale/refresh"), ==, refreshes + 2);
  g_assert_cmpuint (granted_lifetime_in_file ("cw-short"), ==, 1200);
}

/* --force renews a token that is still good, with exactly one vendor call. */
static void
test_force (void)
{
  g_autofree char *user = NULL;
  g_autofree char *password = NULL;
  g_autofree char *before = NULL;
  g_autofree char *after = NULL;
  guint refreshes;

  new_user (NULL, &user, &password);
  add_account ("coverwhale", "cw-force", user, password, NULL);
  refreshes = td_test_sim_count (sim, "coverwhale/refresh");

  before = get_token ("cw-force");
  g_assert_cmpuint (td_test_sim_count (sim, "coverwhale/refresh"), ==, refreshes);

  {
    g_autoptr(Run) r = run (NULL, "token", "cw-force", "--force");

    assert_run (r, 0, NULL);
    g_assert_cmpstr (r->err, ==, "");
    after = stripped_out (r);
    remember_secret (after);
  }
  g_assert_cmpuint (td_test_sim_count (sim, "coverwhale/refresh"), ==, refreshes + 1);
  g_assert_cmpstr (after, !=, before);
  assert_token_works ("coverwhale", "cw-force");

  /* Forced with more validity than the vendor grants: still one call. */
  {
    g_autoptr(Run) r = run (NULL, "token", "cw-force", "--force", "--min-valid", "97200");

    assert_run (r, 0, "less than the 27 hours asked for");
    remember_secret (g_strstrip (r->out));
  }
  g_assert_cmpuint (td_test_sim_count (sim, "coverwhale/refresh"), ==, refreshes + 2);
}

/* The command's environment holds the token, its command line and ours do
 * not; its standard streams and its exit status are its own. */
static void
test_exec (void)
{
  g_autofree char *user = NULL;
  g_autofree char *password = NULL;
  g_autofree char *token = NULL;
  g_autofree char *header = NULL;
  const char *script =
    "read line; printf '%s\\n' \"in=$line\" "
    "\"cmdline=$(tr '\\0' ' ' < /proc/$$/cmdline)\" "
    "\"parent=$(tr '\\0' ' ' < /proc/$PPID/cmdline)\" "
    "\"T=$TOKENDESK_TOKEN\" \"H=$TOKENDESK_HEADER\" \"E=$TOKENDESK_EXPIRES_AT\"; "
    "echo oops >&2; exit 7";

  new_user (NULL, &user, &password);
  add_account ("logware", "lw-exec", user, password, "--remember-password");
  token = get_token ("lw-exec");
  header = g_strdup_printf ("Authorization: Bearer %s", token);

  {
    g_autoptr(Run) r = run ("hello\n", "exec", "lw-exec", "--", "sh", "-c", script);
    g_auto(GStrv) lines = NULL;
    g_autofree char *expected_token = g_strdup_printf ("T=%s", token);
    g_autofree char *expected_header = g_strdup_printf ("H=%s", header);

    g_assert_cmpint (r->status, ==, 7);
    g_assert_cmpstr (r->err, ==, "oops\n");
    lines = g_strsplit (r->out, "\n", -1);
    g_assert_cmpuint (g_strv_length (lines), ==, 7);
    g_assert_cmpstr (lines[0], ==, "in=hello");
    g_assert_true (g_str_has_prefix (lines[1], "cmdline=sh -c "));
    g_assert_true (g_str_has_prefix (lines[2], "parent="));
    g_assert_nonnull (strstr (lines[2], "exec lw-exec -- sh -c"));
    g_assert_null (strstr (lines[1], token));
    g_assert_null (strstr (lines[2], token));
    g_assert_cmpstr (lines[3], ==, expected_token);
    g_assert_cmpstr (lines[4], ==, expected_header);
    /* The same expiry as the JSON says, in the same form. */
    {
      g_autoptr(Run) json = run (NULL, "token", "lw-exec", "--format", "json");
      g_autofree char *expected_expiry = NULL;

      assert_run (json, 0, NULL);
      expected_expiry = g_strdup_printf ("\"expires_at\":\"%s\"", lines[5] + 2);
      g_assert_true (g_str_has_suffix (lines[5], "Z"));
      g_assert_nonnull (strstr (json->out, expected_expiry));
    }
    g_assert_cmpuint (call_protected ("logware", lines[4] + 2), ==, 200);
  }

  /* Killed by a signal: 128 + its number, like a shell says. */
  {
    g_autoptr(Run) r = run (NULL, "exec", "lw-exec", "--", "sh", "-c", "kill -TERM $$");

    g_assert_cmpint (r->status, ==, 128 + SIGTERM);
  }
  {
    g_autoptr(Run) r = run (NULL, "exec", "lw-exec", "--", "true");

    assert_run (r, 0, NULL);
    g_assert_cmpstr (r->err, ==, "");
  }
  {
    g_autoptr(Run) r1 = run (NULL, "exec", "lw-exec", "--", "no-such-command-here");
    g_autoptr(Run) r2 = run (NULL, "exec", "lw-exec");
    g_autoptr(Run) r3 = run (NULL, "exec", "lw-exec", "--");
    g_autoptr(Run) r4 = run (NULL, "exec", "no-such-account", "--", "true");

    g_assert_cmpint (r1->status, ==, 127);
    g_assert_nonnull (strstr (r1->err, "no-such-command-here"));
    assert_run (r2, 2, "-- COMMAND");
    assert_run (r3, 2, "-- COMMAND");
    assert_run (r4, 2, "no-such-account");
  }
}

/* Evaluated by sh, the export lines give back the token, the header with
 * its space, and the expiry; empty for a token that never expires. */
static void
test_format_env (void)
{
  g_autofree char *user = NULL;
  g_autofree char *password = NULL;
  g_autofree char *token = NULL;
  g_autofree char *admin = g_strdup_printf ("admin-token-%08x", g_random_int ());
  g_autofree char *body = g_strdup_printf ("{\"token\":\"%s\"}", admin);
  g_autofree char *admin_input = line (admin);
  g_autofree char *base = td_test_sim_dup_base (sim, "couchdrop");
  g_autoptr(JsonNode) answer = td_test_sim_control (sim, "POST", "/_sim/admin-tokens", body);
  const char *sh_argv[] = {
    "sh", "-c",
    "eval \"$(cat)\" && printf '%s\\n' \"$TOKENDESK_TOKEN\" \"$TOKENDESK_HEADER\" "
    "\"[$TOKENDESK_EXPIRES_AT]\"",
    NULL
  };

  remember_secret (admin);
  new_user (NULL, &user, &password);
  add_account ("senmo", "sm-env", user, password, NULL);
  token = get_token ("sm-env");
  {
    g_autoptr(Run) r = run (admin_input, "add", "couchdrop", "cd-env", "--admin-token",
                            "--endpoint", base);
    assert_run (r, 0, NULL);
  }

  for (guint i = 0; i < 2; i++)
    {
      const char *name = i == 0 ? "sm-env" : "cd-env";
      const char *expected_token = i == 0 ? token : admin;
      g_autoptr(Run) r = run (NULL, "token", name, "--format", "env");
      g_autoptr(GSubprocess) sh = NULL;
      g_autoptr(GError) error = NULL;
      g_autofree char *out = NULL;
      g_autofree char *expected = NULL;

      assert_run (r, 0, NULL);
      g_assert_true (g_str_has_prefix (r->out, "export TOKENDESK_TOKEN="));

      sh = g_subprocess_newv (sh_argv, G_SUBPROCESS_FLAGS_STDIN_PIPE |
                                       G_SUBPROCESS_FLAGS_STDOUT_PIPE, &error);
      g_assert_no_error (error);
      g_subprocess_communicate_utf8 (sh, r->out, NULL, &out, NULL, &error);
      g_assert_no_error (error);
      g_assert_true (g_subprocess_get_successful (sh));

      if (i == 0)
        {
          g_auto(GStrv) lines = g_strsplit (out, "\n", -1);
          g_autofree char *expected_header = g_strdup_printf ("Authorization: Bearer %s",
                                                              expected_token);

          g_assert_cmpuint (g_strv_length (lines), ==, 4);
          g_assert_cmpstr (lines[0], ==, expected_token);
          g_assert_cmpstr (lines[1], ==, expected_header);
          g_assert_true (g_str_has_suffix (lines[2], "Z]"));
          g_assert_cmpuint (call_protected ("senmo", lines[1]), ==, 200);
        }
      else
        {
          expected = g_strdup_printf ("%s\ntoken: %s\n[]\n", expected_token, expected_token);
          g_assert_cmpstr (out, ==, expected);
        }
    }
}

/* `list` and the keyring ------------------------------------------------- */

/* The Secret Service SearchItems calls seen on the session bus, by a
 * monitor connection; its filter runs in GDBus's worker thread. */
typedef struct
{
  GMutex     mutex;
  GPtrArray *account_ids;  /* the accounts of the test */
  guint      per_account;  /* searches for one of them */
  guint      every_account;/* searches of the schema without an account */
} SearchCount;

static GDBusMessage *
count_search_cb (GDBusConnection *connection,
                 GDBusMessage    *message,
                 gboolean         incoming,
                 gpointer         user_data)
{
  SearchCount *count = user_data;
  GVariant *body = g_dbus_message_get_body (message);
  g_autoptr(GVariant) attributes = NULL;
  const char *schema = NULL;
  const char *account = NULL;

  if (!incoming || g_strcmp0 (g_dbus_message_get_member (message), "SearchItems") != 0 ||
      body == NULL || !g_variant_is_of_type (body, G_VARIANT_TYPE ("(a{ss})")))
    return message;

  attributes = g_variant_get_child_value (body, 0);
  g_variant_lookup (attributes, "xdg:schema", "&s", &schema);
  g_variant_lookup (attributes, "account", "&s", &account);

  g_mutex_lock (&count->mutex);
  if (g_strcmp0 (schema, SCHEMA_NAME) == 0 && account == NULL)
    count->every_account++;
  else if (account != NULL && g_ptr_array_find_with_equal_func (count->account_ids, account,
                                                                 g_str_equal, NULL))
    count->per_account++;
  g_mutex_unlock (&count->mutex);

  return message;
}

/* `list` reads every account's secrets with one search of the keyring,
 * not one per account. Other tests share the bus: only searches of this
 * test's accounts count against it. */
static void
test_list_one_search (void)
{
  g_autoptr(GPtrArray) ids = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GDBusConnection) monitor = NULL;
  g_autoptr(GVariant) reply = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *address = NULL;
  SearchCount count = { 0 };
  const char *rules[] = {
    "type='method_call',interface='org.freedesktop.Secret.Service',member='SearchItems'",
    NULL
  };
  guint filter;

  for (guint i = 0; i < 4; i++)
    {
      g_autofree char *user = NULL;
      g_autofree char *password = NULL;
      g_autofree char *name = g_strdup_printf ("list-search-%u", i);

      new_user (NULL, &user, &password);
      add_account ("logware", name, user, password, NULL);
      g_ptr_array_add (ids, account_id_for (name));
    }

  address = g_dbus_address_get_for_bus_sync (G_BUS_TYPE_SESSION, NULL, &error);
  g_assert_no_error (error);
  monitor = g_dbus_connection_new_for_address_sync (address,
                                                    G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT |
                                                    G_DBUS_CONNECTION_FLAGS_MESSAGE_BUS_CONNECTION,
                                                    NULL, NULL, &error);
  g_assert_no_error (error);
  g_mutex_init (&count.mutex);
  count.account_ids = ids;
  filter = g_dbus_connection_add_filter (monitor, count_search_cb, &count, NULL);
  reply = g_dbus_connection_call_sync (monitor, "org.freedesktop.DBus", "/org/freedesktop/DBus",
                                       "org.freedesktop.DBus.Monitoring", "BecomeMonitor",
                                       g_variant_new ("(^asu)", rules, 0), NULL,
                                       G_DBUS_CALL_FLAGS_NONE, -1, NULL, &error);
  g_assert_no_error (error);

  {
    g_autoptr(Run) r = run (NULL, "list");

    assert_run (r, 0, NULL);
    for (guint i = 0; i < 4; i++)
      {
        g_autofree char *name = g_strdup_printf ("list-search-%u", i);

        g_assert_nonnull (strstr (r->out, name));
      }
    g_assert_null (strstr (r->out, "unknown"));
  }

  /* The monitor sees the calls a moment after the daemon does. */
  for (guint i = 0; i < 100; i++)
    {
      guint seen;

      g_mutex_lock (&count.mutex);
      seen = count.every_account;
      g_mutex_unlock (&count.mutex);
      if (seen > 0)
        break;
      g_usleep (20000);
    }

  g_dbus_connection_remove_filter (monitor, filter);
  g_dbus_connection_close_sync (monitor, NULL, NULL);
  g_test_message ("searches of one account: %u, of every account: %u",
                  count.per_account, count.every_account);
  g_assert_cmpuint (count.per_account, ==, 0);
  g_assert_cmpuint (count.every_account, >=, 1);
  g_mutex_clear (&count.mutex);
}

/* The in-flight mark ---------------------------------------------------- */

/* The lock file of an account, where the mark is kept. */
static char *
lock_path_for (const char *account_id)
{
  g_autofree char *name = g_strconcat (account_id, ".lock", NULL);

  return g_build_filename (g_getenv ("XDG_RUNTIME_DIR"), "tokendesk", name, NULL);
}

static gsize
lock_file_size (const char *account_id)
{
  g_autofree char *path = lock_path_for (account_id);
  GStatBuf st;

  return g_stat (path, &st) == 0 ? (gsize) st.st_size : 0;
}

/* A member of the account's credentials item. */
static char *
stored_secret (const char *account_id,
               const char *member)
{
  g_autoptr(GHashTable) attributes = secret_attributes_build (&(const SecretSchema) {
      SCHEMA_NAME, SECRET_SCHEMA_NONE,
      { { "account", SECRET_SCHEMA_ATTRIBUTE_STRING },
        { "kind", SECRET_SCHEMA_ATTRIBUTE_STRING } } },
    "account", account_id, "kind", "credentials", NULL);
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *text = NULL;
  JsonObject *object;

  text = secret_password_lookupv_sync (NULL, attributes, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (text);
  json_parser_load_from_data (parser, text, -1, &error);
  g_assert_no_error (error);
  object = json_node_get_object (json_parser_get_root (parser));

  return g_strdup (json_object_get_string_member_with_default (object, member, NULL));
}

/* What a `tokendesk token` killed after Cover Whale answered and before
 * the keyring write leaves: the vendor issued new tokens and revoked the
 * ones in the keyring, and the lock file holds the mark. */
static void
kill_renewal_after_vendor (const char *user,
                           const char *account_id)
{
  g_autofree char *refresh = stored_secret (account_id, "refresh_token");
  g_autoptr(TdAccount) account = td_test_account_new (sim, "coverwhale", user);
  g_autofree char *lock_path = lock_path_for (account_id);
  g_autoptr(TdTokens) lost = NULL;
  g_autoptr(GError) error = NULL;

  g_assert_cmpuint (lock_file_size (account_id), ==, 0);
  g_assert_true (g_file_set_contents (lock_path, "renewal in flight\n", -1, &error));
  g_assert_no_error (error);

  lost = td_test_refresh (account, refresh, &error);
  g_assert_no_error (error);
  g_assert_nonnull (lost);
  remember_secret (lost->access_token);
  remember_secret (lost->refresh_token);
}

/* Never the revoked token, whether the account can renew by itself or
 * needs signing in. */
static void
test_interrupted_renewal (void)
{
  g_autofree char *user = NULL;
  g_autofree char *password = NULL;
  g_autofree char *id = NULL;
  g_autofree char *stale = NULL;

  new_user (NULL, &user, &password);
  add_account ("coverwhale", "cw-cut", user, password, NULL);
  id = account_id_for ("cw-cut");
  stale = get_token ("cw-cut");

  kill_renewal_after_vendor (user, id);
  g_assert_cmpuint (td_test_use_token_as_provider (sim, "coverwhale", stale), !=, 200);

  /* The stored token still looks valid for an hour; it is not printed,
   * and the refresh token beside it was revoked with it. */
  for (guint i = 0; i < 2; i++)
    {
      g_autoptr(Run) r = run (NULL, "token", "cw-cut");

      assert_run (r, 1, "ign in again");
      g_assert_null (strstr (r->out, stale));
      g_assert_cmpstr (r->out, ==, "");
    }
  {
    g_autoptr(Run) r = run (NULL, "exec", "cw-cut", "--", "true");

    assert_run (r, 1, "ign in again");
  }

  /* Signing in again stores a good set and clears the mark. */
  {
    g_autofree char *input = line (password);
    g_autoptr(Run) r = run (input, "login", "cw-cut");

    assert_run (r, 0, NULL);
  }
  g_assert_cmpuint (lock_file_size (id), ==, 0);
  assert_token_works ("coverwhale", "cw-cut");
}

/* With a remembered password the account signs in again by itself. */
static void
test_interrupted_renewal_password (void)
{
  g_autofree char *user = NULL;
  g_autofree char *password = NULL;
  g_autofree char *id = NULL;
  g_autofree char *stale = NULL;
  g_autofree char *fresh = NULL;
  guint logins;

  new_user (NULL, &user, &password);
  add_account ("coverwhale", "cw-cut-pw", user, password, "--remember-password");
  id = account_id_for ("cw-cut-pw");
  stale = get_token ("cw-cut-pw");

  kill_renewal_after_vendor (user, id);
  logins = td_test_sim_count (sim, "coverwhale/authentication");

  fresh = get_token ("cw-cut-pw");
  g_assert_cmpstr (fresh, !=, stale);
  g_assert_cmpuint (td_test_use_token_as_provider (sim, "coverwhale", fresh), ==, 200);
  /* The refresh token was refused, the password accepted. */
  g_assert_cmpuint (td_test_sim_count (sim, "coverwhale/authentication"), ==, logins + 2);
  g_assert_cmpuint (lock_file_size (id), ==, 0);

  /* And the next one is the keyring's again, without a vendor call. */
  {
    g_autofree char *again = get_token ("cw-cut-pw");

    g_assert_cmpstr (again, ==, fresh);
    g_assert_cmpuint (td_test_sim_count (sim, "coverwhale/authentication"), ==, logins + 2);
  }
}

/* The mark is in the lock file while Cover Whale is being asked, and gone
 * once the answer is stored. */
static void
test_renewal_mark (void)
{
  g_autofree char *user = NULL;
  g_autofree char *password = NULL;
  g_autofree char *id = NULL;
  g_autoptr(GSubprocess) process = NULL;
  g_autoptr(Run) r = NULL;
  const char *args[] = { "token", "cw-mark", "--force", NULL };
  gint64 deadline;

  new_user (NULL, &user, &password);
  add_account ("coverwhale", "cw-mark", user, password, NULL);
  id = account_id_for ("cw-mark");
  g_assert_cmpuint (lock_file_size (id), ==, 0);

  td_test_sim_config (sim, "{\"vendor\":\"coverwhale\",\"latency_ms\":1500}");
  process = spawn_cli (NULL, args);
  deadline = g_get_monotonic_time () + 5 * G_USEC_PER_SEC;
  while (lock_file_size (id) == 0 && g_get_monotonic_time () < deadline)
    g_usleep (5000);
  g_assert_cmpuint (lock_file_size (id), >, 0);
  r = finish_cli (process, NULL);
  td_test_sim_config (sim, "{\"vendor\":\"coverwhale\",\"latency_ms\":0}");

  assert_run (r, 0, NULL);
  remember_secret (g_strstrip (r->out));
  g_assert_cmpuint (lock_file_size (id), ==, 0);
  {
    g_autofree char *contents = NULL;
    g_autofree char *path = lock_path_for (id);

    /* Nothing secret was ever in it: it is empty now, and said so then. */
    g_assert_true (g_file_get_contents (path, &contents, NULL, NULL));
    g_assert_cmpstr (contents, ==, "");
  }
}

/* Cover Whale rotates the refresh token on every refresh and invalidates
 * the old one: process B must use what process A stored. */
static void
test_rotation_across_processes (void)
{
  g_autofree char *user = NULL;
  g_autofree char *password = NULL;
  g_autofree char *token_a = NULL;
  g_autofree char *token_b = NULL;
  g_autofree char *header_a = NULL;
  guint refreshes;

  new_user (NULL, &user, &password);
  /* Token lifetimes chosen so that each process below has to renew. */
  sim_config ("coverwhale", 60);
  add_account ("coverwhale", "cw-rotate", user, password, NULL);
  refreshes = td_test_sim_count (sim, "coverwhale/refresh");

  /* Process A renews (the stored token lasts 60 s < 300 s). */
  sim_config ("coverwhale", 400);
  {
    g_autoptr(Run) r = run (NULL, "token", "cw-rotate", "--format", "header");
    assert_run (r, 0, NULL);
    header_a = stripped_out (r);
    token_a = g_strdup (strchr (header_a, ' ') + 1);
    remember_secret (token_a);
  }
  g_assert_cmpuint (td_test_sim_count (sim, "coverwhale/refresh"), ==, refreshes + 1);
  g_assert_cmpuint (call_protected ("coverwhale", header_a), ==, 200);

  /* Process B renews too (A's token lasts 400 s < 500 s): with the refresh
   * token A stored, since the vendor invalidated the first one. */
  sim_config ("coverwhale", 1000);
  {
    g_autoptr(Run) r = run (NULL, "token", "cw-rotate", "--min-valid", "500");
    assert_run (r, 0, NULL);
    token_b = stripped_out (r);
    remember_secret (token_b);
  }
  g_assert_cmpuint (td_test_sim_count (sim, "coverwhale/refresh"), ==, refreshes + 2);
  g_assert_cmpstr (token_a, !=, token_b);
  assert_token_works ("coverwhale", "cw-rotate");
  /* …and the vendor dropped A's token, as documented. */
  g_assert_cmpuint (call_protected ("coverwhale", header_a), ==, 401);

  /* A third process finds B's token and calls nobody. */
  {
    g_autofree char *token_c = get_token ("cw-rotate");

    g_assert_cmpstr (token_c, ==, token_b);
    g_assert_cmpuint (td_test_sim_count (sim, "coverwhale/refresh"), ==, refreshes + 2);
  }
}

static void
test_concurrent_renewal (void)
{
  g_autofree char *user = NULL;
  g_autofree char *password = NULL;
  GSubprocess *processes[10];
  char *tokens[10];
  guint refreshes;
  guint auths;

  new_user (NULL, &user, &password);
  sim_config ("coverwhale", 60);
  add_account ("coverwhale", "cw-ten", user, password, NULL);
  /* The renewed token lasts long enough for everyone; the stored one not. */
  sim_config ("coverwhale", 3600);
  refreshes = td_test_sim_count (sim, "coverwhale/refresh");
  auths = td_test_sim_count (sim, "coverwhale/authentication");

  for (guint i = 0; i < G_N_ELEMENTS (processes); i++)
    {
      const char *args[] = { "token", "cw-ten", "--format", "header", NULL };

      processes[i] = spawn_cli (NULL, args);
    }

  for (guint i = 0; i < G_N_ELEMENTS (processes); i++)
    {
      g_autoptr(Run) r = finish_cli (processes[i], NULL);

      assert_run (r, 0, NULL);
      tokens[i] = stripped_out (r);
      g_object_unref (processes[i]);
    }

  /* Exactly one vendor call for the ten; each printed the same, working token. */
  g_assert_cmpuint (td_test_sim_count (sim, "coverwhale/refresh"), ==, refreshes + 1);
  g_assert_cmpuint (td_test_sim_count (sim, "coverwhale/authentication"), ==, auths + 1);

  for (guint i = 0; i < G_N_ELEMENTS (tokens); i++)
    {
      g_assert_cmpstr (tokens[i], ==, tokens[0]);
      g_assert_cmpuint (call_protected ("coverwhale", tokens[i]), ==, 200);
      remember_secret (strchr (tokens[i], ' ') + 1);
    }

  for (guint i = 0; i < G_N_ELEMENTS (tokens); i++)
    g_free (tokens[i]);
}

static char *
list_state (const char *name)
{
  g_autoptr(Run) r = run (NULL, "list", "--json");
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;
  JsonArray *array;

  assert_run (r, 0, NULL);
  json_parser_load_from_data (parser, r->out, -1, &error);
  g_assert_no_error (error);
  array = json_node_get_array (json_parser_get_root (parser));

  for (guint i = 0; i < json_array_get_length (array); i++)
    {
      JsonObject *account = json_array_get_object_element (array, i);

      if (g_strcmp0 (json_object_get_string_member (account, "name"), name) == 0)
        return g_strdup (json_object_get_string_member (account, "state"));
    }

  return NULL;
}

static void
test_remembered_password (void)
{
  g_autofree char *user = NULL;
  g_autofree char *password = NULL;
  g_autofree char *input = NULL;
  g_autofree char *first = NULL;
  g_autofree char *second = NULL;
  g_autofree char *state = NULL;
  guint logins;

  new_user (NULL, &user, &password);
  input = line (password);
  sim_config ("logware", 60);
  add_account ("logware", "lw-remember", user, password, "--remember-password");
  add_account ("logware", "lw-forget", user, password, NULL);
  sim_config ("logware", 36000);
  logins = td_test_sim_count (sim, "logware/authenticate");

  {
    g_autofree char *id = account_id_for ("lw-remember");
    g_autofree char *kinds = keyring_kinds (id, "lw-remember");
    g_autofree char *id2 = account_id_for ("lw-forget");
    g_autofree char *kinds2 = keyring_kinds (id2, "lw-forget");

    g_assert_cmpstr (kinds, ==, "access-token,password");
    g_assert_cmpstr (kinds2, ==, "access-token");
  }

  state = list_state ("lw-forget");
  g_assert_cmpstr (state, ==, "expiring");

  /* No refresh token: the remembered password renews silently… */
  first = get_token ("lw-remember");
  g_assert_cmpuint (td_test_sim_count (sim, "logware/authenticate"), ==, logins + 1);
  assert_token_works ("logware", "lw-remember");

  /* …and without one the account needs signing in. */
  {
    g_autoptr(Run) r = run (NULL, "token", "lw-forget");
    assert_run (r, 1, "lw-forget (Logware)");
  }
  g_assert_cmpuint (td_test_sim_count (sim, "logware/authenticate"), ==, logins + 1);

  /* login: 0, then 1 with a wrong password, 2 for an unknown account, 3
   * for a vendor that is down. */
  {
    g_autoptr(Run) r = run (input, "login", "lw-forget");
    assert_run (r, 0, NULL);
  }
  second = get_token ("lw-forget");
  assert_token_works ("logware", "lw-forget");
  {
    g_autoptr(Run) r = run ("wrong-password\n", "login", "lw-forget");
    assert_run (r, 1, "Username or password incorrect");
  }
  {
    g_autoptr(Run) r = run (input, "login", "no-such-account");
    assert_run (r, 2, "no-such-account");
  }
  {
    g_autoptr(Run) r = NULL;

    td_test_sim_hostile (sim, "logware", "status-502", 1);
    r = run (input, "login", "lw-forget");
    assert_run (r, 3, "lw-forget (Logware)");
  }
}

static void
test_senmo (void)
{
  g_autofree char *user = NULL;
  g_autofree char *password = NULL;
  g_autofree char *id_token = NULL;
  g_autofree char *access_token = NULL;
  guint refreshes;

  new_user (NULL, &user, &password);
  sim_config ("senmo", 60);
  add_account ("senmo", "senmo-id", user, password, NULL);
  add_account ("senmo", "senmo-access", user, password, "--hand-out=access");
  sim_config ("senmo", 3600);
  refreshes = td_test_sim_count (sim, "senmo/refreshtoken");

  /* Renewal by refresh token, first with the vendor down. */
  {
    g_autoptr(Run) r = NULL;

    td_test_sim_hostile (sim, "senmo", "status-500", 1);
    r = run (NULL, "token", "senmo-id");
    assert_run (r, 3, "senmo-id (Senmo)");
    g_assert_cmpstr (r->out, ==, "");
  }

  id_token = get_token ("senmo-id");
  access_token = get_token ("senmo-access");
  g_assert_cmpuint (td_test_sim_count (sim, "senmo/refreshtoken"), ==, refreshes + 3);
  g_assert_cmpstr (id_token, !=, access_token);

  {
    g_autoptr(Run) r = run (NULL, "token", "senmo-id", "--format", "header");
    g_autofree char *expected = g_strdup_printf ("Authorization: Bearer %s\n", id_token);

    assert_run (r, 0, NULL);
    g_assert_cmpstr (r->out, ==, expected);
  }
  assert_token_works ("senmo", "senmo-id");
  assert_token_works ("senmo", "senmo-access");

  {
    g_autofree char *id = account_id_for ("senmo-id");
    g_autofree char *kinds = keyring_kinds (id, "senmo-id");

    g_assert_cmpstr (kinds, ==, "access-token,refresh-token");
  }
}

static void
test_couchdrop_admin_token (void)
{
  g_autofree char *admin = g_strdup_printf ("admin-token-%08x", g_random_int ());
  g_autofree char *body = g_strdup_printf ("{\"token\":\"%s\"}", admin);
  g_autofree char *input = line (admin);
  g_autofree char *base = td_test_sim_dup_base (sim, "couchdrop");
  g_autoptr(JsonNode) answer = td_test_sim_control (sim, "POST", "/_sim/admin-tokens", body);
  guint auth_calls = td_test_sim_count (sim, "couchdrop/authenticate");

  remember_secret (admin);

  {
    g_autoptr(Run) r = run (input, "add", "couchdrop", "cd-admin", "--admin-token",
                            "--endpoint", base);
    assert_run (r, 0, NULL);
  }
  {
    g_autoptr(Run) r = run (NULL, "token", "cd-admin", "--format", "json");
    g_autofree char *expected = g_strdup_printf ("{\"token\":\"%s\",\"expires_at\":null,"
                                                 "\"header\":\"token: %s\"}\n", admin, admin);

    assert_run (r, 0, NULL);
    g_assert_cmpstr (r->out, ==, expected);
  }
  assert_token_works ("couchdrop", "cd-admin");
  /* Kept as given: no vendor call. */
  g_assert_cmpuint (td_test_sim_count (sim, "couchdrop/authenticate"), ==, auth_calls);

  {
    g_autofree char *id = account_id_for ("cd-admin");
    g_autofree char *kinds = keyring_kinds (id, "cd-admin");

    g_assert_cmpstr (kinds, ==, "admin-token");
  }

  /* Signing out drops it; login takes a new one. */
  {
    g_autoptr(Run) r = run (NULL, "logout", "cd-admin");
    g_autoptr(Run) t = run (NULL, "token", "cd-admin");

    assert_run (r, 0, NULL);
    assert_run (t, 1, "cd-admin (Couchdrop)");
  }
  {
    g_autoptr(Run) r = run (input, "login", "cd-admin");
    g_autofree char *token = NULL;

    assert_run (r, 0, NULL);
    token = get_token ("cd-admin");
    g_assert_cmpstr (token, ==, admin);
  }
}

static void
test_logout_and_remove (void)
{
  g_autofree char *user = NULL;
  g_autofree char *password = NULL;
  g_autofree char *id = NULL;
  g_autofree char *token = NULL;

  new_user (NULL, &user, &password);
  add_account ("logware", "lw-remove", user, password, "--remember-password");
  id = account_id_for ("lw-remove");
  token = get_token ("lw-remove");

  {
    g_autofree char *kinds = keyring_kinds (id, "lw-remove");
    g_assert_cmpstr (kinds, ==, "access-token,password");
  }

  /* Sign out: the tokens go, the account and the remembered password stay. */
  {
    g_autoptr(Run) r = run (NULL, "logout", "lw-remove");
    g_autoptr(Run) l = run (NULL, "list", "--json");
    g_autofree char *kinds = keyring_kinds (id, "lw-remove");

    assert_run (r, 0, NULL);
    assert_run (l, 0, NULL);
    g_assert_nonnull (strstr (l->out, "lw-remove"));
    g_assert_cmpstr (kinds, ==, "password");
  }
  {
    g_autoptr(Run) r = run (NULL, "logout", "no-such-account");
    assert_run (r, 2, "no-such-account");
  }

  /* The remembered password signs in again by itself. */
  g_clear_pointer (&token, g_free);
  token = get_token ("lw-remove");
  {
    g_autofree char *kinds = keyring_kinds (id, "lw-remove");
    g_assert_cmpstr (kinds, ==, "access-token,password");
  }

  /* Remove: nothing left in any collection, nor in the account file. */
  {
    g_autoptr(Run) r = run (NULL, "remove", "lw-remove");
    g_autoptr(Run) again = run (NULL, "remove", "lw-remove");
    g_autoptr(Run) l = run (NULL, "list", "--json");
    g_autofree char *kinds = keyring_kinds (id, "lw-remove");
    g_autofree char *path = g_build_filename (config_home, "tokendesk", "accounts.ini", NULL);
    g_autofree char *file = NULL;

    assert_run (r, 0, NULL);
    assert_run (again, 2, "lw-remove");
    assert_run (l, 0, NULL);
    g_assert_null (strstr (l->out, "lw-remove"));
    g_assert_cmpstr (kinds, ==, "");
    g_assert_true (g_file_get_contents (path, &file, NULL, NULL));
    g_assert_null (strstr (file, id));
  }
}

static void
test_reset_password (void)
{
  g_autofree char *user = NULL;
  g_autofree char *password = NULL;
  g_autofree char *new_password = g_strdup_printf ("new-pw-%08x", g_random_int ());
  g_autofree char *new_input = line (new_password);
  g_autofree char *code = NULL;

  remember_secret (new_password);
  new_user (NULL, &user, &password);
  add_account ("coverwhale", "cw-reset", user, password, NULL);
  add_account ("logware", "lw-reset", user, password, NULL);

  {
    g_autoptr(Run) neither = run (NULL, "reset-password", "cw-reset");
    g_autoptr(Run) both = run (NULL, "reset-password", "cw-reset", "--request", "--code", "1");
    g_autoptr(Run) unsupported = run (NULL, "reset-password", "lw-reset", "--request");
    g_autoptr(Run) unknown = run (NULL, "reset-password", "nobody", "--request");

    assert_run (neither, 2, NULL);
    assert_run (both, 2, NULL);
    assert_run (unsupported, 2, "Logware");
    assert_run (unknown, 2, "nobody");
  }
  {
    g_autoptr(Run) r = run (NULL, "reset-password", "cw-reset", "--request");
    assert_run (r, 0, NULL);
  }

  code = td_test_sim_reset_code (sim, user);
  g_assert_nonnull (code);

  {
    g_autoptr(Run) r = run (new_input, "reset-password", "cw-reset", "--code", "000000x");
    assert_run (r, 1, "cw-reset (Cover Whale)");
  }
  {
    g_autoptr(Run) r = run (new_input, "reset-password", "cw-reset", "--code", code);
    assert_run (r, 0, NULL);
  }
  assert_token_works ("coverwhale", "cw-reset");

  /* The old password is gone at the vendor. */
  {
    g_autofree char *old_input = line (password);
    g_autoptr(Run) r = run (old_input, "login", "cw-reset");
    g_autoptr(Run) ok = run (new_input, "login", "cw-reset");

    assert_run (r, 1, "cw-reset");
    assert_run (ok, 0, NULL);
  }
}

static void
test_change_password (void)
{
  g_autofree char *user = NULL;
  g_autofree char *password = NULL;
  g_autofree char *new_password = g_strdup_printf ("changed-%08x", g_random_int ());
  g_autofree char *input = NULL;
  g_autofree char *wrong_input = NULL;
  g_autofree char *new_input = line (new_password);

  remember_secret (new_password);
  new_user (NULL, &user, &password);
  input = g_strdup_printf ("%s\n%s\n", password, new_password);
  wrong_input = g_strdup_printf ("nope\n%s\n", new_password);
  add_account ("coverwhale", "cw-change", user, password, NULL);
  add_account ("senmo", "senmo-change", user, password, NULL);

  {
    g_autoptr(Run) r = run (input, "change-password", "senmo-change");
    assert_run (r, 2, "Senmo");
  }
  {
    g_autoptr(Run) r = run (wrong_input, "change-password", "cw-change");
    assert_run (r, 1, "cw-change (Cover Whale)");
  }
  {
    g_autoptr(Run) r = run (password, "change-password", "cw-change");
    assert_run (r, 2, "standard input");
  }
  {
    g_autoptr(Run) r = run (input, "change-password", "cw-change");
    assert_run (r, 0, NULL);
  }
  assert_token_works ("coverwhale", "cw-change");
  {
    g_autoptr(Run) r = run (new_input, "login", "cw-change");
    assert_run (r, 0, NULL);
  }
}

static void
test_keyring_locked (void)
{
  g_autoptr(TdTestBus) bus = NULL;
  g_autoptr(GDBusConnection) connection = NULL;
  g_autoptr(GVariant) reply = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *user = NULL;
  g_autofree char *password = NULL;
  g_autofree char *input = NULL;
  g_autofree char *base = td_test_sim_dup_base (sim, "logware");
  g_autofree char *token = NULL;
  const char *env[6];
  guint logins;

  if (!td_test_have_program ("dbus-daemon") || !td_test_have_program ("gnome-keyring-daemon"))
    {
      g_test_skip ("needs dbus-daemon and gnome-keyring-daemon");
      return;
    }

  bus = td_test_bus_start (TRUE, NULL);
  env[0] = "DBUS_SESSION_BUS_ADDRESS";
  env[1] = bus->address;
  env[2] = "XDG_RUNTIME_DIR";
  env[3] = bus->runtime_dir;
  env[4] = NULL;

  new_user (NULL, &user, &password);
  input = line (password);

  {
    g_autoptr(Run) r = run_env (env, input, "add", "logware", "lw-locked", "--username", user,
                                "--endpoint", base, "--remember-password", NULL);
    g_autoptr(Run) t = run_env (env, NULL, "token", "lw-locked", NULL);

    assert_run (r, 0, NULL);
    assert_run (t, 0, NULL);
    token = stripped_out (t);
    remember_secret (token);
  }

  /* Lock the default collection, as the screen lock or Seahorse would. */
  connection = td_test_bus_connect (bus);
  reply = g_dbus_connection_call_sync (connection, "org.freedesktop.secrets",
                                       "/org/freedesktop/secrets",
                                       "org.freedesktop.Secret.Service", "ReadAlias",
                                       g_variant_new ("(s)", "default"), G_VARIANT_TYPE ("(o)"),
                                       G_DBUS_CALL_FLAGS_NONE, -1, NULL, &error);
  g_assert_no_error (error);
  {
    const char *collection;
    g_autoptr(GVariant) locked = NULL;

    g_variant_get (reply, "(&o)", &collection);
    locked = g_dbus_connection_call_sync (connection, "org.freedesktop.secrets",
                                          "/org/freedesktop/secrets",
                                          "org.freedesktop.Secret.Service", "Lock",
                                          g_variant_new_parsed ("([%o],)", collection),
                                          NULL, G_DBUS_CALL_FLAGS_NONE, -1, NULL, &error);
    g_assert_no_error (error);
  }

  logins = td_test_sim_count (sim, "logware/authenticate");

  {
    g_autoptr(Run) r = run_env (env, NULL, "token", "lw-locked", NULL);
    assert_run (r, 4, "locked");
    g_assert_nonnull (strstr (r->err, "lw-locked (Logware)"));
    g_assert_cmpstr (r->out, ==, "");
  }
  {
    g_autoptr(Run) r = run_env (env, NULL, "list", NULL);
    assert_run (r, 4, "locked");
    /* What does not need the keyring still works. */
    g_assert_nonnull (strstr (r->out, "lw-locked"));
    g_assert_nonnull (strstr (r->out, "unknown"));
  }
  {
    g_autoptr(Run) r = run_env (env, input, "login", "lw-locked", NULL);
    assert_run (r, 4, "locked");
  }
  {
    g_autoptr(Run) r = run_env (env, input, "add", "logware", "lw-locked-2", "--username", user,
                                "--endpoint", base, NULL);
    assert_run (r, 4, "locked");
  }
  {
    g_autoptr(Run) r = run_env (env, NULL, "logout", "lw-locked", NULL);
    assert_run (r, 4, "locked");
  }
  {
    /* The account stays, so that removing can be retried. */
    g_autoptr(Run) r = run_env (env, NULL, "remove", "lw-locked", NULL);
    g_autoptr(Run) l = run_env (env, NULL, "list", "--json", NULL);

    assert_run (r, 4, "locked");
    g_assert_nonnull (strstr (l->out, "lw-locked"));
  }
  {
    g_autoptr(Run) r = run_env (env, NULL, "vendors", NULL);
    assert_run (r, 0, NULL);
  }

  /* Not one sign-in wasted on a keyring that could not keep its result. */
  g_assert_cmpuint (td_test_sim_count (sim, "logware/authenticate"), ==, logins);

  /* Forget the account in the shared account file: its keyring is gone. */
  {
    g_autoptr(TdTestBus) plain = td_test_bus_start (TRUE, NULL);
    const char *plain_env[] = { "DBUS_SESSION_BUS_ADDRESS", plain->address, NULL };
    g_autoptr(Run) r = run_env (plain_env, NULL, "remove", "lw-locked", NULL);

    assert_run (r, 0, NULL);
  }
}

static void
test_keyring_absent (void)
{
  g_autoptr(TdTestBus) bus = NULL;
  g_autofree char *user = NULL;
  g_autofree char *password = NULL;
  g_autofree char *input = NULL;
  g_autofree char *base = td_test_sim_dup_base (sim, "coverwhale");
  const char *env[3];
  const char *no_bus[] = { "DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent/bus", NULL };
  guint auths;

  if (!td_test_have_program ("dbus-daemon"))
    {
      g_test_skip ("needs dbus-daemon");
      return;
    }

  new_user (NULL, &user, &password);
  input = line (password);
  add_account ("coverwhale", "cw-absent", user, password, NULL);

  bus = td_test_bus_start (FALSE, NULL);
  env[0] = "DBUS_SESSION_BUS_ADDRESS";
  env[1] = bus->address;
  env[2] = NULL;
  auths = td_test_sim_count (sim, "coverwhale/authentication");

  {
    g_autoptr(Run) r = run_env (env, NULL, "token", "cw-absent", NULL);
    assert_run (r, 4, "No keyring");
    g_assert_nonnull (strstr (r->err, "cw-absent (Cover Whale)"));
    g_assert_cmpstr (r->out, ==, "");
  }
  {
    g_autoptr(Run) r = run_env (no_bus, NULL, "token", "cw-absent", NULL);
    assert_run (r, 4, "keyring");
  }
  {
    g_autoptr(Run) r = run_env (env, input, "add", "coverwhale", "cw-absent-2",
                                "--username", user, "--endpoint", base, NULL);
    assert_run (r, 4, "No keyring");
  }
  {
    g_autoptr(Run) r = run_env (env, NULL, "list", "--json", NULL);
    assert_run (r, 4, "No keyring");
    g_assert_nonnull (strstr (r->out, "\"unknown\""));
  }
  {
    g_autoptr(Run) r = run_env (env, NULL, "vendors", NULL);
    assert_run (r, 0, NULL);
  }
  g_assert_cmpuint (td_test_sim_count (sim, "coverwhale/authentication"), ==, auths);

  /* Back with the keyring, the account never noticed. */
  assert_token_works ("coverwhale", "cw-absent");
}

/* Two `add`s at once must not lose one of the accounts: each re-reads the
 * file under a lock before writing it. */
static void
test_parallel_add (void)
{
  g_autofree char *user = NULL;
  g_autofree char *password = NULL;
  g_autofree char *input = NULL;
  g_autofree char *base = td_test_sim_dup_base (sim, "logware");
  GSubprocess *processes[6];

  new_user (NULL, &user, &password);
  input = line (password);

  for (guint i = 0; i < G_N_ELEMENTS (processes); i++)
    {
      g_autofree char *name = g_strdup_printf ("lw-parallel-%u", i);
      const char *args[] = { "add", "logware", name, "--username", user, "--endpoint", base,
                             NULL };

      processes[i] = spawn_cli (NULL, args);
    }

  for (guint i = 0; i < G_N_ELEMENTS (processes); i++)
    {
      g_autoptr(Run) r = finish_cli (processes[i], input);

      assert_run (r, 0, NULL);
      g_object_unref (processes[i]);
    }

  for (guint i = 0; i < G_N_ELEMENTS (processes); i++)
    {
      g_autofree char *name = g_strdup_printf ("lw-parallel-%u", i);
      g_autofree char *state = list_state (name);

      g_assert_cmpstr (state, ==, "signed-in");
      assert_token_works ("logware", name);
    }
}

static void
test_account_file (void)
{
  g_autofree char *dir = g_build_filename (config_home, "damaged", NULL);
  g_autofree char *file_dir = g_build_filename (dir, "tokendesk", NULL);
  g_autofree char *path = g_build_filename (file_dir, "accounts.ini", NULL);
  const char *env[] = { "XDG_CONFIG_HOME", dir, NULL };
  const char *contents[] = {
    "this is [not a key file\n\x01",
    "[TokenDesk]\nversion=2\n\n[abc]\nname=future\nvendor=coverwhale\n",
    "[TokenDesk]\nversion=1\n\n[abc]\nvendor=coverwhale\n",
  };
  const char *messages[] = { "damaged", "newer", "damaged" };

  g_assert_cmpint (g_mkdir_with_parents (file_dir, 0700), ==, 0);

  for (guint i = 0; i < G_N_ELEMENTS (contents); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autofree char *after = NULL;

      g_file_set_contents (path, contents[i], -1, &error);
      g_assert_no_error (error);

      {
        g_autoptr(Run) r = run_env (env, NULL, "list", NULL);
        assert_run (r, 2, messages[i]);
      }
      {
        g_autoptr(Run) r = run_env (env, "x\n", "add", "logware", "lw-file",
                                    "--username", "u", "--endpoint", "http://127.0.0.1:9", NULL);
        assert_run (r, 2, messages[i]);
      }

      /* Reported, never overwritten. */
      g_file_get_contents (path, &after, NULL, &error);
      g_assert_no_error (error);
      g_assert_cmpstr (after, ==, contents[i]);
    }

  g_unlink (path);
  g_rmdir (file_dir);
  g_rmdir (dir);
}

static void
test_no_secret_in_debug_output (void)
{
  g_autofree char *user = NULL;
  g_autofree char *password = NULL;
  g_autofree char *input = NULL;
  g_autofree char *base = td_test_sim_dup_base (sim, "senmo");
  const char *env[] = { "G_MESSAGES_DEBUG", "all", NULL };
  g_autofree char *token = NULL;

  new_user (NULL, &user, &password);
  input = line (password);

  {
    g_autoptr(Run) r = run_env (env, input, "add", "senmo", "senmo-debug", "--username", user,
                                "--endpoint", base, "--remember-password", NULL);
    assert_run (r, 0, NULL);
    g_assert_null (strstr (r->err, password));
  }
  {
    /* Renewing logs the most: refresh, keyring writes. */
    g_autoptr(Run) r = run_env (env, NULL, "token", "senmo-debug", "--min-valid", "3500", NULL);

    assert_run (r, 0, NULL);
    token = stripped_out (r);
    remember_secret (token);
    g_assert_null (strstr (r->err, token));
    g_assert_null (strstr (r->err, password));
  }

  /* Listing every account of the run logs none of their secrets. */
  {
    g_autoptr(Run) r = run_env (env, NULL, "list", "--json", NULL);

    assert_run (r, 0, NULL);
    for (guint i = 0; i < secrets->len; i++)
      {
        g_assert_null (strstr (r->err, g_ptr_array_index (secrets, i)));
        g_assert_null (strstr (r->out, g_ptr_array_index (secrets, i)));
      }
  }
}

/* Every byte of every file under HOME and the XDG folders, searched for
 * every secret this run saw: none may be there, in clear. The keyring's
 * own file is among them, encrypted. */
static gboolean
contains (const char *data,
          gsize       length,
          const char *needle)
{
  gsize needle_length = strlen (needle);

  for (const char *p = data; needle_length <= length - (gsize) (p - data); p++)
    {
      p = memchr (p, needle[0], length - (p - data));
      if (p == NULL || length - (gsize) (p - data) < needle_length)
        return FALSE;
      if (memcmp (p, needle, needle_length) == 0)
        return TRUE;
    }

  return FALSE;
}

static void
scan_dir (const char *path,
          GHashTable *seen,
          guint      *n_files)
{
  g_autoptr(GDir) dir = g_dir_open (path, 0, NULL);
  const char *name;

  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *child = g_build_filename (path, name, NULL);
      GStatBuf st;

      if (g_lstat (child, &st) != 0 || g_hash_table_contains (seen, child))
        continue;
      g_hash_table_add (seen, g_strdup (child));

      if (S_ISDIR (st.st_mode))
        scan_dir (child, seen, n_files);
      else if (S_ISREG (st.st_mode))
        {
          g_autofree char *data = NULL;
          gsize length;

          if (!g_file_get_contents (child, &data, &length, NULL))
            continue;
          (*n_files)++;

          for (guint i = 0; i < secrets->len; i++)
            {
              const char *secret = g_ptr_array_index (secrets, i);

              if (contains (data, length, secret))
                g_error ("%s holds a secret of this run in clear", child);
            }
        }
    }
}

static void
collect_keyring_secrets (void)
{
  g_autoptr(SecretService) service = NULL;
  g_autoptr(GPtrArray) items = keyring_items_full (&service);

  for (guint i = 0; i < items->len; i++)
    {
      SecretItem *item = g_ptr_array_index (items, i);
      g_autoptr(GHashTable) attributes = secret_item_get_attributes (item);
      g_autoptr(SecretValue) value = NULL;
      g_autoptr(GError) error = NULL;
      g_autoptr(JsonParser) parser = json_parser_new ();
      const char *text;

      if (g_strcmp0 (g_hash_table_lookup (attributes, "xdg:schema"), SCHEMA_NAME) != 0)
        continue;

      secret_item_load_secret_sync (item, NULL, &error);
      g_assert_no_error (error);
      value = secret_item_get_secret (item);
      text = secret_value_get_text (value);
      g_assert_nonnull (text);

      /* The one item per account is JSON: each secret in it separately. */
      g_assert_cmpstr (g_hash_table_lookup (attributes, "kind"), ==, "credentials");
      {
        static const char * const members[] = {
          "access_token", "id_token", "refresh_token", "password", "admin_token",
        };
        JsonObject *object;

        json_parser_load_from_data (parser, text, -1, &error);
        g_assert_no_error (error);
        object = json_node_get_object (json_parser_get_root (parser));
        for (guint m = 0; m < G_N_ELEMENTS (members); m++)
          if (json_object_get_string_member_with_default (object, members[m], NULL))
            remember_secret (json_object_get_string_member (object, members[m]));
      }
    }
}

/* export, import, edit --------------------------------------------------- */

/* A key of account name in the account file of config_dir, or NULL. */
static char *
ini_value (const char *config_dir,
           const char *name,
           const char *key)
{
  g_autoptr(GKeyFile) key_file = g_key_file_new ();
  g_autofree char *path = g_build_filename (config_dir, "tokendesk", "accounts.ini", NULL);
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) groups = NULL;

  g_key_file_load_from_file (key_file, path, G_KEY_FILE_NONE, &error);
  g_assert_no_error (error);

  groups = g_key_file_get_groups (key_file, NULL);
  for (guint i = 0; groups[i]; i++)
    {
      g_autofree char *group_name = g_key_file_get_string (key_file, groups[i], "name", NULL);

      if (g_strcmp0 (group_name, name) == 0)
        return g_key_file_get_string (key_file, groups[i], key, NULL);
    }

  return NULL;
}

static guint
count_accounts (const char * const *env)
{
  g_autoptr(Run) r = run_env (env, NULL, "list", "--json", NULL);
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;

  json_parser_load_from_data (parser, r->out, -1, &error);
  g_assert_no_error (error);
  return json_array_get_length (json_node_get_array (json_parser_get_root (parser)));
}

static void
assert_ini (const char *config_dir,
            const char *name,
            const char *key,
            const char *expected)
{
  g_autofree char *value = ini_value (config_dir, name, key);

  if (g_strcmp0 (value, expected) != 0)
    g_error ("%s of “%s”: expected %s, got %s", key, name, expected, value);
}

static void
test_export_import (void)
{
  g_autofree char *user = NULL;
  g_autofree char *password = NULL;
  g_autofree char *admin = g_strdup_printf ("admin-token-%08x%08x", g_random_int (),
                                            g_random_int ());
  g_autofree char *admin_body = g_strdup_printf ("{\"token\":\"%s\"}", admin);
  g_autofree char *admin_input = line (admin);
  g_autofree char *cd_base = td_test_sim_dup_base (sim, "couchdrop");
  g_autofree char *input = NULL;
  g_autofree char *export_path = g_build_filename (config_home, "exported.json", NULL);
  g_autofree char *bad_path = g_build_filename (config_home, "bad-export.json", NULL);
  g_autofree char *other = g_build_filename (config_home, "other-machine", NULL);
  g_autoptr(JsonNode) answer = td_test_sim_control (sim, "POST", "/_sim/admin-tokens",
                                                    admin_body);
  g_autoptr(GError) error = NULL;
  const char *env[] = { "XDG_CONFIG_HOME", other, NULL };
  const char *names[] = { "xp-cw", "xp-lw", "xp-cd", "xp-senmo" };
  guint logins;

  remember_secret (admin);
  new_user (NULL, &user, &password);
  input = line (password);
  add_account ("coverwhale", "xp-cw", user, password, NULL);
  add_account ("logware", "xp-lw", user, password, "--remember-password");
  add_account ("senmo", "xp-senmo", user, password, "--hand-out=access");
  {
    g_autoptr(Run) r = run (admin_input, "add", "couchdrop", "xp-cd", "--admin-token",
                            "--endpoint", cd_base);
    assert_run (r, 0, NULL);
  }
  g_free (get_token ("xp-senmo"));

  /* An unknown name prints nothing at all. */
  {
    g_autoptr(Run) r = run (NULL, "export", "xp-cw", "xp-nope");
    assert_run (r, 2, "xp-nope");
    g_assert_cmpstr (r->out, ==, "");
  }

  /* Not one secret of the run, the keyring's included, nor an id. */
  {
    g_autoptr(Run) r = run (NULL, "export", "xp-cw", "xp-lw", "xp-cd", "xp-senmo");

    assert_run (r, 0, NULL);
    collect_keyring_secrets ();
    g_assert_cmpuint (secrets->len, >, 8);
    for (guint i = 0; i < secrets->len; i++)
      if (strstr (r->out, g_ptr_array_index (secrets, i)) != NULL)
        g_error ("the export holds a secret: %s", r->out);
    g_assert_null (strstr (r->out, admin));
    g_assert_null (strstr (r->out, password));
    for (guint i = 0; i < G_N_ELEMENTS (names); i++)
      {
        g_autofree char *id = account_id_for (names[i]);

        g_assert_nonnull (strstr (r->out, names[i]));
        g_assert_null (strstr (r->out, id));
      }

    /* Kept where the final scan of every file looks too. */
    g_file_set_contents (export_path, r->out, -1, &error);
    g_assert_no_error (error);
  }

  /* Another machine: the same settings, signed out, each told how to
   * sign in. */
  {
    g_autoptr(Run) r = run_env (env, NULL, "import", export_path, NULL);

    assert_run (r, 0, NULL);
    g_assert_nonnull (strstr (r->out, "Imported xp-cw (Cover Whale)"));
    g_assert_nonnull (strstr (r->out, "administrative token: paste it with "
                                      "“tokendesk login xp-cd”"));
    g_assert_nonnull (strstr (r->out, "tokendesk login xp-lw"));
  }
  g_assert_cmpuint (count_accounts (env), ==, 4);
  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    {
      g_autofree char *id = account_id_for (names[i]);
      const char *keys[] = {
        "vendor", "username", "endpoint", "hand-out", "remember-password", "admin-token",
        "renew-automatically", "assumed-lifetime",
      };

      for (guint k = 0; k < G_N_ELEMENTS (keys); k++)
        {
          g_autofree char *here = ini_value (config_home, names[i], keys[k]);

          assert_ini (other, names[i], keys[k], here);
        }
      {
        g_autoptr(Run) r = run_env (env, NULL, "token", names[i], NULL);
        assert_run (r, 1, names[i]);
      }
    }
  assert_ini (other, "xp-lw", "remember-password", "true");
  assert_ini (other, "xp-cd", "admin-token", "true");
  assert_ini (other, "xp-senmo", "hand-out", "access");

  /* Signing in makes an imported account work. */
  logins = td_test_sim_count (sim, "logware/authenticate");
  {
    g_autoptr(Run) r = run_env (env, input, "login", "xp-lw", NULL);
    g_autoptr(Run) t = run_env (env, NULL, "token", "xp-lw", "--format", "header", NULL);
    g_autofree char *header = NULL;

    assert_run (r, 0, NULL);
    assert_run (t, 0, NULL);
    header = stripped_out (t);
    g_assert_cmpuint (call_protected ("logware", header), ==, 200);
  }
  g_assert_cmpuint (td_test_sim_count (sim, "logware/authenticate"), ==, logins + 1);

  /* Again: every name is taken, skipped and said; with --rename, added
   * under a free name. From standard input this time. */
  {
    g_autofree char *data = NULL;
    g_autoptr(Run) r = NULL;
    g_autoptr(Run) renamed = NULL;

    g_file_get_contents (export_path, &data, NULL, &error);
    g_assert_no_error (error);
    r = run_env (env, data, "import", "-", NULL);
    assert_run (r, 0, "“xp-cw” already exists, skipped");
    g_assert_nonnull (strstr (r->err, "“xp-senmo” already exists"));
    g_assert_cmpstr (r->out, ==, "");
    g_assert_cmpuint (count_accounts (env), ==, 4);

    renamed = run_env (env, NULL, "import", "--rename", export_path, NULL);
    assert_run (renamed, 0, NULL);
    g_assert_nonnull (strstr (renamed->out, "Imported “xp-cw” as xp-cw 2 (Cover Whale)"));
    g_assert_cmpuint (count_accounts (env), ==, 8);
    assert_ini (other, "xp-senmo 2", "hand-out", "access");
  }

  /* A file with one bad entry adds nothing, and says which. */
  {
    g_autoptr(Run) r = NULL;
    g_autoptr(Run) missing = run_env (env, NULL, "import", "/nonexistent/x.json", NULL);

    g_file_set_contents (bad_path,
                         "{\"format\":\"tokendesk-accounts\",\"version\":1,\"accounts\":["
                         "{\"name\":\"xp-fine\",\"vendor\":\"logware\",\"username\":\"u\"},"
                         "{\"name\":\"xp-bad\",\"vendor\":\"acme\",\"username\":\"u\"}]}",
                         -1, &error);
    g_assert_no_error (error);
    r = run_env (env, NULL, "import", bad_path, NULL);
    assert_run (r, 2, "account 2 (“xp-bad”)");
    g_assert_nonnull (strstr (r->err, "acme"));
    g_assert_cmpuint (count_accounts (env), ==, 8);
    assert_run (missing, 2, "/nonexistent/x.json");
  }

  td_test_rm_rf (other);
}

static void
test_edit (void)
{
  g_autofree char *user = NULL;
  g_autofree char *password = NULL;
  g_autofree char *user2 = NULL;
  g_autofree char *password2 = NULL;
  g_autofree char *input = NULL;
  g_autofree char *input2 = NULL;
  g_autofree char *base = td_test_sim_dup_base (sim, "logware");
  g_autofree char *base_slash = g_strconcat (base, "/", NULL);
  guint logins;

  new_user (NULL, &user, &password);
  new_user (NULL, &user2, &password2);
  input = line (password);
  input2 = line (password2);
  add_account ("logware", "ed-lw", user, password, NULL);
  add_account ("logware", "ed-other", user, password, NULL);
  add_account ("senmo", "ed-senmo", user, password, NULL);
  add_account ("couchdrop", "ed-cd", user, password, NULL);
  logins = td_test_sim_count (sim, "logware/authenticate");

  /* Usage errors change nothing. */
  {
    g_autoptr(Run) nothing = run (NULL, "edit", "ed-lw");
    g_autoptr(Run) clash = run (NULL, "edit", "ed-lw", "--name", "ED-OTHER");
    g_autoptr(Run) empty = run (NULL, "edit", "ed-lw", "--name", "  ");
    g_autoptr(Run) both = run (NULL, "edit", "ed-lw", "--auto-renew", "--no-auto-renew");
    g_autoptr(Run) both2 = run (NULL, "edit", "ed-lw", "--remember-password",
                                "--forget-password");
    g_autoptr(Run) hand_out = run (NULL, "edit", "ed-lw", "--hand-out", "access");
    g_autoptr(Run) lifetime = run (NULL, "edit", "ed-lw", "--lifetime", "2h");
    g_autoptr(Run) bad_lifetime = run (NULL, "edit", "ed-cd", "--lifetime", "5");
    g_autoptr(Run) bad_unit = run (NULL, "edit", "ed-cd", "--lifetime", "2w");
    g_autoptr(Run) bad_endpoint = run (NULL, "edit", "ed-lw", "--endpoint", "http://example.com");
    g_autoptr(Run) unknown = run (NULL, "edit", "ed-nope", "--auto-renew");

    assert_run (nothing, 2, "nothing to change");
    assert_run (clash, 2, "already an account named “ED-OTHER”");
    assert_run (empty, 2, "empty");
    assert_run (both, 2, "contradict");
    assert_run (both2, 2, "contradict");
    assert_run (hand_out, 2, "--hand-out does not apply");
    assert_run (lifetime, 2, "--lifetime does not apply");
    assert_run (bad_lifetime, 2, "--lifetime must be");
    assert_run (bad_unit, 2, "--lifetime must be");
    assert_run (bad_endpoint, 2, NULL);
    assert_run (unknown, 2, "ed-nope");
  }
  assert_ini (config_home, "ed-lw", "endpoint", base);

  /* The name: no vendor call, the token stays. */
  {
    g_autoptr(Run) r = run (NULL, "edit", "ed-lw", "--name", "ed-renamed");

    assert_run (r, 0, NULL);
    g_assert_nonnull (strstr (r->out, "Saved ed-renamed (Logware)"));
    g_assert_null (account_id_for ("ed-lw"));
    assert_token_works ("logware", "ed-renamed");
  }

  /* Renewing automatically, both spellings. */
  {
    g_autoptr(Run) on = run (NULL, "edit", "ed-renamed", "--auto-renew");
    g_autoptr(Run) off = NULL;
    g_autoptr(Run) on2 = NULL;

    assert_run (on, 0, NULL);
    assert_ini (config_home, "ed-renamed", "renew-automatically", "true");
    off = run (NULL, "edit", "ed-renamed", "--no-auto-renew");
    assert_run (off, 0, NULL);
    assert_ini (config_home, "ed-renamed", "renew-automatically", "false");
    on2 = run (NULL, "edit", "ed-renamed", "--renew-automatically=on");
    assert_run (on2, 0, NULL);
    assert_ini (config_home, "ed-renamed", "renew-automatically", "true");
  }
  g_assert_cmpuint (td_test_sim_count (sim, "logware/authenticate"), ==, logins);

  /* Remembering the password signs in to store it; forgetting removes it. */
  {
    g_autoptr(Run) wrong = run ("wrong-password\n", "edit", "ed-renamed", "--remember-password");
    g_autoptr(Run) r = NULL;
    g_autofree char *id = account_id_for ("ed-renamed");
    g_autofree char *kinds = NULL;

    assert_run (wrong, 1, "remembering the password needs a new sign-in, which failed");
    assert_ini (config_home, "ed-renamed", "remember-password", "false");

    r = run (input, "edit", "ed-renamed", "--remember-password");
    assert_run (r, 0, NULL);
    g_assert_nonnull (strstr (r->out, "signed in again: remembering the password needs it"));
    assert_ini (config_home, "ed-renamed", "remember-password", "true");
    kinds = keyring_kinds (id, "ed-renamed");
    g_assert_cmpstr (kinds, ==, "access-token,password");
  }
  g_assert_cmpuint (td_test_sim_count (sim, "logware/authenticate"), ==, logins + 2);
  {
    g_autoptr(Run) r = run (NULL, "edit", "ed-renamed", "--forget-password");
    g_autofree char *id = account_id_for ("ed-renamed");
    g_autofree char *kinds = NULL;

    assert_run (r, 0, NULL);
    assert_ini (config_home, "ed-renamed", "remember-password", "false");
    kinds = keyring_kinds (id, "ed-renamed");
    g_assert_cmpstr (kinds, ==, "access-token");
  }
  g_assert_cmpuint (td_test_sim_count (sim, "logware/authenticate"), ==, logins + 2);

  /* The endpoint and the username sign in again; refused, nothing changes. */
  {
    g_autoptr(Run) wrong = run ("wrong-password\n", "edit", "ed-renamed",
                                "--endpoint", base_slash);
    g_autoptr(Run) r = NULL;

    assert_run (wrong, 1, "a new endpoint needs a new sign-in, which failed: Logware "
                          "refused");
    assert_ini (config_home, "ed-renamed", "endpoint", base);

    r = run (input, "edit", "ed-renamed", "--endpoint", base_slash);
    assert_run (r, 0, NULL);
    assert_ini (config_home, "ed-renamed", "endpoint", base_slash);
    assert_token_works ("logware", "ed-renamed");
  }
  {
    g_autoptr(Run) r = run (input2, "edit", "ed-renamed", "--username", user2);

    assert_run (r, 0, NULL);
    g_assert_nonnull (strstr (r->out, "signed in again: a new username needs it"));
    assert_ini (config_home, "ed-renamed", "username", user2);
    assert_token_works ("logware", "ed-renamed");
  }
  g_assert_cmpuint (td_test_sim_count (sim, "logware/authenticate"), ==, logins + 5);

  /* Senmo's hand-out, Couchdrop's assumed lifetime. */
  {
    g_autoptr(Run) r = run (NULL, "edit", "ed-senmo", "--hand-out", "access");
    g_autoptr(Run) l = run (NULL, "edit", "ed-cd", "--lifetime", "2h");
    g_autoptr(Run) l2 = NULL;

    assert_run (r, 0, NULL);
    assert_ini (config_home, "ed-senmo", "hand-out", "access");
    assert_run (l, 0, NULL);
    assert_ini (config_home, "ed-cd", "assumed-lifetime", "7200");
    l2 = run (NULL, "edit", "ed-cd", "--lifetime", "90m");
    assert_run (l2, 0, NULL);
    assert_ini (config_home, "ed-cd", "assumed-lifetime", "5400");
  }
}

/* What people type: a mistyped command, names that would spoof `list`. */
static void
test_mistyped_command (void)
{
  g_autoptr(Run) r = run (NULL, "tokne", "work");
  g_autoptr(Run) far = run (NULL, "frobnicate");

  assert_run (r, 2, "unknown command “tokne”");
  g_assert_nonnull (strstr (r->err, "“token”"));
  g_assert_null (strstr (r->err, "CRITICAL"));
  g_assert_cmpstr (r->out, ==, "");
  assert_run (far, 2, "unknown command “frobnicate”");
}

/* stdout is for tokens and JSON: G_MESSAGES_DEBUG=all must not mix in. */
static void
test_debug_not_on_stdout (void)
{
  g_autofree char *dir = g_build_filename (config_home, "debug-stdout", NULL);
  g_autofree char *file_dir = g_build_filename (dir, "tokendesk", NULL);
  g_autofree char *path = g_build_filename (file_dir, "accounts.ini", NULL);
  const char *env[] = { "XDG_CONFIG_HOME", dir, "G_MESSAGES_DEBUG", "all", NULL };
  g_autoptr(GError) error = NULL;

  g_assert_cmpint (g_mkdir_with_parents (file_dir, 0700), ==, 0);
  g_file_set_contents (path, "[TokenDesk]\nversion=1\n", -1, &error);
  g_assert_no_error (error);

  {
    g_autoptr(Run) r = run_env (env, NULL, "vendors", "--json", NULL);
    g_autoptr(JsonParser) parser = json_parser_new ();

    g_assert_cmpint (r->status, ==, 0);
    json_parser_load_from_data (parser, r->out, -1, &error);
    g_assert_no_error (error);
  }
  {
    g_autoptr(Run) r = run_env (env, NULL, "list", "--json", NULL);
    g_autoptr(JsonParser) parser = json_parser_new ();

    /* The keyring is asked: its debug messages are there, on stderr. */
    g_assert_nonnull (strstr (r->err, "DEBUG"));
    json_parser_load_from_data (parser, r->out, -1, &error);
    g_assert_no_error (error);
  }

  g_unlink (path);
  g_rmdir (file_dir);
  g_rmdir (dir);
}

static void
test_account_names (void)
{
  g_autofree char *user = NULL;
  g_autofree char *password = NULL;
  g_autofree char *input = NULL;
  g_autofree char *base = td_test_sim_dup_base (sim, "logware");
  g_autofree char *import_path = g_build_filename (config_home, "spoof-import.json", NULL);
  g_autofree char *dir = g_build_filename (config_home, "spoofed", NULL);
  g_autofree char *file_dir = g_build_filename (dir, "tokendesk", NULL);
  g_autofree char *path = g_build_filename (file_dir, "accounts.ini", NULL);
  const char *env[] = { "XDG_CONFIG_HOME", dir, NULL };
  g_autoptr(GError) error = NULL;
  const struct {
    const char *name;
    const char *in_stderr;
  } refused[] = {
    { "nm-\xff\xfe", "UTF-8" },
    { "nm-two\nlines", "U+000A" },
    { "nm-esc\x1b[2J", "U+001B" },
    { "nm-admin\xe2\x80\xae" "krow", "U+202E" },
    { "nm-\xe2\x81\xa6" "isolate", "U+2066" },
  };
  guint logins;

  new_user (NULL, &user, &password);
  input = line (password);
  logins = td_test_sim_count (sim, "logware/authenticate");

  /* Refused before a password is asked or anything stored. */
  for (guint i = 0; i < G_N_ELEMENTS (refused); i++)
    {
      g_autoptr(Run) r = run (input, "add", "logware", refused[i].name, "--username", user,
                              "--endpoint", base);

      assert_run (r, 2, refused[i].in_stderr);
      g_assert_null (strstr (r->err, "CRITICAL"));
    }
  g_assert_cmpuint (td_test_sim_count (sim, "logware/authenticate"), ==, logins);

  /* Every other command still works (an invalid name used to break the file). */
  add_account ("logware", "nm-ok", user, password, NULL);
  {
    g_autoptr(Run) l = run (NULL, "list");

    assert_run (l, 0, NULL);
    g_assert_nonnull (strstr (l->out, "nm-ok"));
  }

  for (guint i = 0; i < G_N_ELEMENTS (refused); i++)
    {
      g_autoptr(Run) r = run (NULL, "edit", "nm-ok", "--name", refused[i].name);

      /* GOption converts option values to UTF-8 first and refuses what is not. */
      g_assert_cmpint (r->status, ==, 2);
      if (i > 0)
        assert_run (r, 2, refused[i].in_stderr);
    }
  assert_ini (config_home, "nm-ok", "name", "nm-ok");

  /* import checks the whole file first: nothing is added. */
  g_file_set_contents (import_path,
                       "{\"format\":\"tokendesk-accounts\",\"version\":1,\"accounts\":["
                       "{\"name\":\"nm-fine\",\"vendor\":\"logware\",\"username\":\"u\"},"
                       "{\"name\":\"nm-\\u202egnp.exe\",\"vendor\":\"logware\","
                       "\"username\":\"u\"}]}", -1, &error);
  g_assert_no_error (error);
  {
    g_autoptr(Run) r = run (NULL, "import", import_path);
    g_autofree char *id = NULL;

    assert_run (r, 2, "U+202E");
    /* The message names the account, escaped. */
    g_assert_nonnull (strstr (r->err, "nm-\\u202Egnp.exe"));
    g_assert_null (strstr (r->err, "\xe2\x80\xae"));
    id = account_id_for ("nm-fine");
    g_assert_null (id);
  }
  g_unlink (import_path);

  /* Names in a file from before: listed escaped, never raw. */
  g_assert_cmpint (g_mkdir_with_parents (file_dir, 0700), ==, 0);
  g_file_set_contents (path,
                       "[TokenDesk]\nversion=1\n\n"
                       "[0b8e6a9c-0000-4000-8000-000000000001]\n"
                       "name=admin\xe2\x80\xae" "krow\\nfake line\nvendor=logware\nusername=u\n",
                       -1, &error);
  g_assert_no_error (error);
  {
    g_autoptr(Run) r = run_env (env, NULL, "list", NULL);
    g_auto(GStrv) lines = g_strsplit (r->out, "\n", -1);

    g_assert_nonnull (strstr (r->out, "admin\\u202Ekrow\\u000Afake line"));
    g_assert_null (strstr (r->out, "\xe2\x80\xae"));
    /* The heading and one line. */
    g_assert_cmpuint (g_strv_length (lines), <=, 3);
  }

  g_unlink (path);
  g_rmdir (file_dir);
  g_rmdir (dir);
}

/* Addresses: no credentials in them, no control characters, and the
 * insecure-address refusal has one exit status wherever it is found. */
static void
test_endpoints (void)
{
  g_autofree char *user = NULL;
  g_autofree char *password = NULL;
  g_autofree char *input = NULL;
  g_autofree char *base = td_test_sim_dup_base (sim, "logware");
  g_autofree char *with_password = NULL;
  guint logins;

  new_user (NULL, &user, &password);
  input = line (password);
  logins = td_test_sim_count (sim, "logware/authenticate");

  /* http://127.0.0.1:PORT/… → http://alice:PASSWORD@127.0.0.1:PORT/… */
  with_password = g_strdup_printf ("http://%s:%s@%s", user, password, base + strlen ("http://"));
  {
    g_autoptr(Run) r = run (input, "add", "logware", "ep-cred", "--username", user,
                            "--endpoint", with_password);
    g_autoptr(Run) l = run (NULL, "list", "--json");

    assert_run (r, 2, "username or password");
    g_assert_null (strstr (r->err, password));
    g_assert_null (strstr (l->out, password));
    g_assert_null (strstr (l->out, "ep-cred"));
  }
  {
    g_autofree char *newline = g_strconcat (base, "\nX-Injected: 1", NULL);
    g_autoptr(Run) r = run (input, "add", "logware", "ep-ctl", "--username", user,
                            "--endpoint", newline);

    assert_run (r, 2, "U+000A");
  }
  g_assert_cmpuint (td_test_sim_count (sim, "logware/authenticate"), ==, logins);

  /* A remembered password: token --force then signs in at the address. */
  add_account ("logware", "ep-ok", user, password, "--remember-password");
  {
    g_autoptr(Run) r = run (NULL, "edit", "ep-ok", "--endpoint", with_password);

    assert_run (r, 2, "username or password");
    assert_ini (config_home, "ep-ok", "endpoint", base);
  }

  /* The same insecure address: refused by add, and by token when the
   * account file says so (edited by hand), with the same status. */
  {
    g_autoptr(Run) add = run (input, "add", "logware", "ep-http", "--username", user,
                              "--endpoint", "http://example.com/logware");
    g_autofree char *path = g_build_filename (config_home, "tokendesk", "accounts.ini", NULL);
    g_autofree char *contents = NULL;
    g_autofree char *edited = NULL;
    g_autoptr(GError) error = NULL;
    g_autoptr(Run) token = NULL;

    assert_run (add, 2, "https://");

    g_file_get_contents (path, &contents, NULL, &error);
    g_assert_no_error (error);
    {
      g_autoptr(GKeyFile) key_file = g_key_file_new ();
      g_autofree char *id = account_id_for ("ep-ok");

      g_key_file_load_from_data (key_file, contents, -1, G_KEY_FILE_KEEP_COMMENTS, &error);
      g_assert_no_error (error);
      g_key_file_set_string (key_file, id, "endpoint", "http://example.com/logware");
      edited = g_key_file_to_data (key_file, NULL, NULL);
    }
    g_file_set_contents (path, edited, -1, &error);
    g_assert_no_error (error);

    token = run (NULL, "token", "ep-ok", "--force");
    assert_run (token, add->status, "https://");
  }
  {
    g_autoptr(Run) r = run (NULL, "remove", "ep-ok");

    assert_run (r, 0, NULL);
  }
}

/* A vendor whose tokens are expired when they arrive, one whose clock is
 * two hours ahead of ours. */
static void
test_vendor_clock (void)
{
  g_autofree char *user = NULL;
  g_autofree char *password = NULL;
  g_autofree char *input = NULL;
  g_autofree char *base = td_test_sim_dup_base (sim, "senmo");

  new_user (NULL, &user, &password);
  input = line (password);

  td_test_sim_config (sim, "{\"vendor\":\"senmo\",\"lifetime_s\":-600}");
  {
    g_autoptr(Run) r = run (input, "add", "senmo", "clk-expired", "--username", user,
                            "--endpoint", base);

    assert_run (r, 3, "already expired");
    g_assert_nonnull (strstr (r->err, "clock"));
    g_assert_null (strstr (r->err, "CRITICAL"));
  }

  td_test_sim_config (sim, "{\"vendor\":\"senmo\",\"lifetime_s\":3600,"
                           "\"clock_skew_s\":7200}");
  {
    g_autoptr(Run) r = run (input, "add", "senmo", "clk-skewed", "--username", user,
                            "--endpoint", base);
    g_autoptr(Run) l = run (NULL, "list", "--json");
    g_autoptr(JsonParser) parser = json_parser_new ();
    g_autoptr(GError) error = NULL;
    g_autoptr(GDateTime) expected = NULL;
    g_autofree char *expected_text = NULL;
    g_autofree char *next_text = NULL;
    JsonArray *accounts;

    assert_run (r, 0, NULL);
    /* Said on stderr, beside the answer. */
    td_test_assert_clock_said (r->err, -7200);

    /* The expiry is on this computer's clock: an hour from now, not three. */
    assert_run (l, 0, NULL);
    json_parser_load_from_data (parser, l->out, -1, &error);
    g_assert_no_error (error);
    accounts = json_node_get_array (json_parser_get_root (parser));
    expected = g_date_time_new_from_unix_utc (g_get_real_time () / G_USEC_PER_SEC + 3600);
    expected_text = g_date_time_format (expected, "%Y-%m-%dT%H:%M");
    {
      g_autoptr(GDateTime) next = g_date_time_add_minutes (expected, 1);

      next_text = g_date_time_format (next, "%Y-%m-%dT%H:%M");
    }
    for (guint i = 0; i < json_array_get_length (accounts); i++)
      {
        JsonObject *a = json_array_get_object_element (accounts, i);
        const char *expires;

        if (!g_str_equal (json_object_get_string_member (a, "name"), "clk-skewed"))
          continue;
        expires = json_object_get_string_member (a, "expires_at");
        if (!g_str_has_prefix (expires, expected_text) && !g_str_has_prefix (expires, next_text))
          g_error ("expected an expiry at %s, got %s", expected_text, expires);
      }
    assert_token_works ("senmo", "clk-skewed");
  }
}

static void
test_scan_for_secrets (void)
{
  g_autoptr(GHashTable) seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  const char *vars[] = {
    "HOME", "XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_CACHE_HOME", "XDG_STATE_HOME",
    "XDG_RUNTIME_DIR",
  };
  guint n_files = 0;

  collect_keyring_secrets ();
  /* Passwords, access, ID, refresh and admin tokens of a dozen accounts. */
  g_assert_cmpuint (secrets->len, >, 20);

  for (guint i = 0; i < G_N_ELEMENTS (vars); i++)
    {
      const char *dir = g_getenv (vars[i]);

      if (dir != NULL && *dir != '\0')
        scan_dir (dir, seen, &n_files);
    }

  g_test_message ("scanned %u files for %u secrets", n_files, secrets->len);
  /* At least the account file and the keyring's file were there. */
  g_assert_cmpuint (n_files, >=, 2);
}

/* Every test starts from the simulator's initial state: its users, no
 * tokens, no hostile mode, default lifetimes. */
static void
run_test (gconstpointer data)
{
  void (*test) (void) = data;

  td_test_sim_reset (sim);
  test ();
}

static void
add_test (const char *path,
          void      (*test) (void))
{
  g_test_add_data_func (path, test, run_test);
}

int
main (int   argc,
      char *argv[])
{
  g_autofree char *dir_name = NULL;
  int status;

  g_test_init (&argc, &argv, NULL);
  /* For the vendor calls made behind tokendesk's back. */
  td_vendors_init ();

  /* Against the session's keyring only: never a person's real one. */
  if (g_getenv ("TD_HEADLESS_SESSION") == NULL)
    {
      g_print ("1..0 # SKIP run inside tests/headless-session\n");
      return 0;
    }

  secrets = g_ptr_array_new_with_free_func (g_free);
  dir_name = g_strdup_printf ("test-cli-%d", (int) getpid ());
  config_home = g_build_filename (g_get_user_config_dir (), dir_name, NULL);
  g_assert_cmpint (g_mkdir_with_parents (config_home, 0700), ==, 0);

  sim = td_test_sim_start ("--quiet", NULL);

  add_test ("/cli/usage/help", test_help);
  add_test ("/cli/usage/vendors", test_vendors);
  add_test ("/cli/add/usage", test_add_usage);
  add_test ("/cli/add/refused", test_add_refused);
  add_test ("/cli/add/unreachable", test_add_unreachable);
  add_test ("/cli/token/coverwhale", test_coverwhale_token);
  add_test ("/cli/token/short-lived-vendor", test_short_lived_vendor);
  add_test ("/cli/token/force", test_force);
  add_test ("/cli/token/format-env", test_format_env);
  add_test ("/cli/exec", test_exec);
  add_test ("/cli/token/rotation-across-processes", test_rotation_across_processes);
  add_test ("/cli/token/ten-concurrent-processes", test_concurrent_renewal);
  add_test ("/cli/token/remembered-password", test_remembered_password);
  add_test ("/cli/token/interrupted-renewal", test_interrupted_renewal);
  add_test ("/cli/token/interrupted-renewal-password", test_interrupted_renewal_password);
  add_test ("/cli/token/renewal-mark", test_renewal_mark);
  add_test ("/cli/token/senmo", test_senmo);
  add_test ("/cli/token/couchdrop-admin-token", test_couchdrop_admin_token);
  add_test ("/cli/accounts/logout-and-remove", test_logout_and_remove);
  add_test ("/cli/accounts/list-one-search", test_list_one_search);
  add_test ("/cli/password/reset", test_reset_password);
  add_test ("/cli/password/change", test_change_password);
  add_test ("/cli/keyring/locked", test_keyring_locked);
  add_test ("/cli/keyring/absent", test_keyring_absent);
  add_test ("/cli/accounts/damaged-file", test_account_file);
  add_test ("/cli/accounts/parallel-add", test_parallel_add);
  add_test ("/cli/accounts/export-import", test_export_import);
  add_test ("/cli/accounts/edit", test_edit);
  add_test ("/cli/secrets/not-in-debug-output", test_no_secret_in_debug_output);
  add_test ("/cli/usage/mistyped-command", test_mistyped_command);
  add_test ("/cli/usage/debug-not-on-stdout", test_debug_not_on_stdout);
  add_test ("/cli/accounts/names", test_account_names);
  add_test ("/cli/accounts/endpoints", test_endpoints);
  add_test ("/cli/token/vendor-clock", test_vendor_clock);
  /* Last (GTest runs suites in the order they were created): it checks
   * what all the others left behind. */
  add_test ("/cli/secrets/not-in-any-file", test_scan_for_secrets);

  status = g_test_run ();

  td_test_sim_stop (sim);
  g_ptr_array_unref (secrets);
  g_free (config_home);

  return status;
}
