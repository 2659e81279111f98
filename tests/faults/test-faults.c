/* test-faults.c: kill -9 at random moments of a Cover Whale renewal
 *
 * Cover Whale revokes every earlier token of a user at each
 * authentication, refresh included, so a `tokendesk token` that dies in the
 * middle of a renewal may leave the keyring holding tokens the vendor no
 * longer accepts. Each round here starts `tokendesk token cw --min-valid
 * 100000` (longer than any Cover Whale token, so it renews every time) and
 * kills it with SIGKILL, or kills the keyring daemon under it, at a random
 * moment. Then it asks as a script would, `tokendesk token cw`, and checks
 * the answer against the simulator's protected endpoint:
 *
 * - exit 0 with a token the vendor rejects is a revoked token handed out:
 *   the one thing that must never happen;
 * - exit 1 saying the account needs sign-in is a lost refresh token, which
 *   a kill after the vendor answered and before the keyring write cannot
 *   avoid: counted, then the account is signed in again through the CLI;
 * - anything else is a failure.
 *
 * After every round a forced renewal must work (or clearly need sign-in:
 * a lost refresh token the previous answer did not show), accounts.ini
 * must hold the same accounts, the keyring no item of an account that does
 * not exist and no duplicate, and a second account beside the first must
 * still hand out a token the vendor accepts.
 *
 * One more setting kills a plain `tokendesk token cw` while it migrates
 * the account's items of the older format (one per kind, written here as
 * that version wrote them) into the one item of today: there nothing may
 * be lost at all, and after the next renewal no item of the older format
 * may be left.
 *
 * Everything runs on a private D-Bus with a gnome-keyring of its own
 * (td_test_bus_start): the keyring setting kills and restarts the daemon,
 * which would break every other test of the session.
 *
 * TD_FAULT_ROUNDS=N spreads N rounds over the settings in the proportions
 * of the issue that asked for this test (150:300:150:60, so 660 reproduces
 * its table, and 60 migration rounds on top); the normal suite runs 80,
 * the `faults` benchmark 660.
 * TD_FAULT_SEED=N repeats the kill moments of an earlier run.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <gio/gio.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "td-test-util.h"

#ifndef TOKENDESK_PATH
#error "TOKENDESK_PATH must name the tokendesk executable"
#endif

#define DEFAULT_ROUNDS 80
#define FULL_ROUNDS    660  /* the table; the migration's 60 come on top */
#define MIN_ROUNDS     5
/* Any one tokendesk run: far above its own HTTP (5 s) and keyring (5 s)
 * deadlines, so reaching it means a hang. */
#define RUN_TIMEOUT_MS 30000
#define APP_ID_PREFIX  "io.github.tokendesk."
/* Failures described one by one; beyond that only counted. */
#define MAX_DESCRIBED  10

typedef struct
{
  const char *name;
  const char *description;   /* %u: kill_max_ms */
  guint       full_rounds;   /* out of FULL_ROUNDS, as in the table */
  guint       latency_ms;    /* of the simulated vendor */
  guint       kill_min_ms;   /* after the start of tokendesk */
  guint       kill_max_ms;   /* 0: as long as a renewal takes, measured */
  gboolean    kill_keyring;  /* the keyring daemon instead of tokendesk */
  gboolean    migrate;       /* a plain `token` moving items of the older format */
} Setting;

static const Setting settings[] = {
  { "instant", "killed 0-%u ms in, vendor answering at once", 150, 0, 0, 300, FALSE },
  { "early", "killed 0-%u ms in", 300, 0, 0, 25, FALSE },
  { "latency", "killed 0-%u ms in, vendor taking 150 ms", 150, 150, 0, 300, FALSE },
  { "keyring", "keyring daemon killed 0-%u ms in (a renewal's median)", 60, 0, 0, 0, TRUE },
  { "migration", "killed 0-%u ms into the migration of one-per-kind items (its median)", 60,
    0, 0, 0, FALSE, TRUE },
};

typedef struct
{
  guint rounds;
  guint killed;       /* tokendesk (or the keyring) died before tokendesk's end */
  guint finished;     /* tokendesk ended before the kill */
  guint revoked;      /* a token the vendor rejects, printed with exit 0 */
  guint lost;         /* the refresh token lost: the account needs sign-in */
  guint failures;     /* any other broken promise, described in the log */
  guint items;        /* the app's keyring items after the last round */
} Tally;

typedef struct
{
  char *name;
  char *username;
  char *password;
  char *id;
} Account;

static TdTestSim *sim;
static TdTestBus *bus;
static GDBusConnection *keyring_bus;  /* this test's own look at the keyring */
static char *config_home;
static char *accounts_path;
static guint32 seed;
static guint total_rounds;
static Account target;   /* the account renewed and killed */
static Account beside;   /* the second account, which must keep working */
static GKeyFile *accounts_before;

/* Running tokendesk ------------------------------------------------------ */

typedef struct
{
  GSubprocess *process;
  gboolean     done;
  char        *out;
  char        *err;
  GError      *error;
} Run;

static void
run_free (Run *run)
{
  g_clear_object (&run->process);
  g_free (run->out);
  g_free (run->err);
  g_clear_error (&run->error);
  g_free (run);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Run, run_free)

static const char *
tokendesk_path (void)
{
  const char *path = g_getenv ("TD_TEST_TOKENDESK");

  return path && *path ? path : TOKENDESK_PATH;
}

static Run *
run_start (const char         *input,
           const char * const *args)
{
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_autoptr(GError) error = NULL;
  Run *run = g_new0 (Run, 1);

  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDIN_PIPE |
                                        G_SUBPROCESS_FLAGS_STDOUT_PIPE |
                                        G_SUBPROCESS_FLAGS_STDERR_PIPE);
  g_subprocess_launcher_setenv (launcher, "XDG_CONFIG_HOME", config_home, TRUE);
  g_subprocess_launcher_setenv (launcher, "XDG_RUNTIME_DIR", bus->runtime_dir, TRUE);
  g_subprocess_launcher_setenv (launcher, "DBUS_SESSION_BUS_ADDRESS", bus->address, TRUE);
  g_subprocess_launcher_setenv (launcher, "TOKENDESK_HTTP_TIMEOUT", "5", TRUE);
  g_subprocess_launcher_setenv (launcher, "TD_KEYRING_TIMEOUT_MS", "5000", TRUE);
  /* The messages this test looks for are the untranslated ones. */
  g_subprocess_launcher_setenv (launcher, "LC_ALL", "C.UTF-8", TRUE);
  g_subprocess_launcher_unsetenv (launcher, "LANGUAGE");
  g_subprocess_launcher_unsetenv (launcher, "G_MESSAGES_DEBUG");

  g_ptr_array_add (argv, (gpointer) tokendesk_path ());
  for (guint i = 0; args[i] != NULL; i++)
    g_ptr_array_add (argv, (gpointer) args[i]);
  g_ptr_array_add (argv, NULL);

  run->process = g_subprocess_launcher_spawnv (launcher, (const char * const *) argv->pdata,
                                               &error);
  g_assert_no_error (error);

  /* Whole and at once: a password is one short line, far below a pipe's
   * buffer, and the command may die before reading it. */
  if (input != NULL)
    {
      GOutputStream *stdin_pipe = g_subprocess_get_stdin_pipe (run->process);

      if (!g_output_stream_write_all (stdin_pipe, input, strlen (input), NULL, NULL, &error) &&
          !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_BROKEN_PIPE))
        g_assert_no_error (error);
      g_clear_error (&error);
    }

  return run;
}

static void
communicated_cb (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  Run *run = user_data;

  g_subprocess_communicate_utf8_finish (G_SUBPROCESS (source), result, &run->out, &run->err,
                                        &run->error);
  run->done = TRUE;
}

static gboolean
run_is_done (gpointer user_data)
{
  Run *run = user_data;

  return run->done;
}

/* Waits, bounded, for the end of run and reads what it printed. */
static void
run_finish (Run *run)
{
  g_subprocess_communicate_utf8_async (run->process, NULL, NULL, communicated_cb, run);
  if (!td_test_wait_until (run_is_done, run, RUN_TIMEOUT_MS))
    {
      g_subprocess_force_exit (run->process);
      td_test_wait_until (run_is_done, run, RUN_TIMEOUT_MS);
      g_error ("tokendesk did not end within %d s", RUN_TIMEOUT_MS / 1000);
    }
  g_assert_no_error (run->error);
}

static Run *
run_cli (const char *input,
         ...)
{
  g_autoptr(GPtrArray) args = g_ptr_array_new ();
  Run *run;
  va_list ap;

  va_start (ap, input);
  for (const char *arg = va_arg (ap, const char *); arg; arg = va_arg (ap, const char *))
    g_ptr_array_add (args, (gpointer) arg);
  va_end (ap);
  g_ptr_array_add (args, NULL);

  run = run_start (input, (const char * const *) args->pdata);
  run_finish (run);
  return run;
}

/* -1 when it died of a signal. */
static int
run_status (Run *run)
{
  if (!g_subprocess_get_if_exited (run->process))
    return -1;
  return g_subprocess_get_exit_status (run->process);
}

static void
describe_run (GString    *text,
              const char *what,
              Run        *run)
{
  g_autofree char *err = g_strstrip (g_strdup (run->err ? run->err : ""));

  if (g_subprocess_get_if_signaled (run->process))
    g_string_append_printf (text, "%s died of signal %d", what,
                            g_subprocess_get_term_sig (run->process));
  else
    g_string_append_printf (text, "%s exited %d", what, run_status (run));
  if (*err != '\0')
    g_string_append_printf (text, " (stderr: %s)", err);
}

/* Exit 1 and the words of a refused renewal: the account needs sign-in. */
static gboolean
says_needs_sign_in (Run *run)
{
  g_autofree char *err = g_ascii_strdown (run->err ? run->err : "", -1);

  return run_status (run) == 1 &&
         (strstr (err, "sign in") != NULL || strstr (err, "sign-in") != NULL);
}

/* What the vendor says of the header line printed by --format header:
 * 200 accepted, 401 revoked or expired. */
static guint
vendor_status_of (const char *out)
{
  g_autofree char *header = g_strstrip (g_strdup (out ? out : ""));
  g_auto(GStrv) parts = g_strsplit (header, ": ", 2);

  if (g_strv_length (parts) != 2)
    return 0;
  return td_test_sim_use_token (sim, "coverwhale", parts[0], parts[1], NULL);
}

/* Accounts ---------------------------------------------------------------- */

static char *
account_id_for (GKeyFile   *key_file,
                const char *name)
{
  g_auto(GStrv) groups = g_key_file_get_groups (key_file, NULL);

  for (guint i = 0; groups[i] != NULL; i++)
    {
      g_autofree char *group_name = g_key_file_get_string (key_file, groups[i], "name", NULL);

      if (g_strcmp0 (group_name, name) == 0)
        return g_strdup (groups[i]);
    }

  return NULL;
}

static GKeyFile *
load_accounts (GError **error)
{
  g_autoptr(GKeyFile) key_file = g_key_file_new ();

  if (!g_key_file_load_from_file (key_file, accounts_path, G_KEY_FILE_NONE, error))
    return NULL;
  return g_steal_pointer (&key_file);
}

static void
new_user (Account    *account,
          const char *name)
{
  g_autoptr(JsonNode) answer = NULL;
  g_autofree char *body = NULL;

  account->name = g_strdup (name);
  account->username = g_strdup_printf ("fault-%s-%08x", name, g_random_int ());
  account->password = g_strdup_printf ("pw-%08x%08x", g_random_int (), g_random_int ());
  body = g_strdup_printf ("{\"vendor\":\"coverwhale\",\"username\":\"%s\",\"password\":\"%s\"}",
                          account->username, account->password);
  answer = td_test_sim_control (sim, "POST", "/_sim/users", body);
}

static void
add_account (Account *account)
{
  g_autofree char *base = td_test_sim_dup_base (sim, "coverwhale");
  g_autofree char *input = g_strconcat (account->password, "\n", NULL);
  g_autoptr(Run) run = run_cli (input, "add", "coverwhale", account->name,
                                "--username", account->username, "--endpoint", base, NULL);

  if (run_status (run) != 0)
    g_error ("tokendesk add %s: exit %d: %s", account->name, run_status (run), run->err);
}

/* Signs in again through the CLI, the password on standard input. */
static gboolean
sign_in_again (Account *account,
               GString *problem)
{
  g_autofree char *input = g_strconcat (account->password, "\n", NULL);
  g_autoptr(Run) run = run_cli (input, "login", account->name, NULL);

  g_autoptr(Run) check = NULL;

  if (run_status (run) != 0)
    {
      describe_run (problem, "login", run);
      g_string_append (problem, "; ");
      return FALSE;
    }

  check = run_cli (NULL, "token", account->name, "--format", "header", NULL);
  if (run_status (check) != 0 || vendor_status_of (check->out) != 200)
    {
      describe_run (problem, "token after login", check);
      g_string_append (problem, "; ");
      return FALSE;
    }

  return TRUE;
}

/* The older format ------------------------------------------------------- */

/* Until issue 9 an account's secrets were one keyring item per kind, of
 * the same schema; the app migrates them on first load. These are written
 * as that version wrote them, with secret-tool (the secret on its stdin),
 * after a fresh sign-in at the simulator. */
#define SCHEMA_NAME "io.github.tokendesk.TokenDesk.Secret"

static void
delete_items_of (const char *account_id)
{
  g_autoptr(GVariant) reply = NULL;
  g_autoptr(GVariant) unlocked = NULL;
  g_autoptr(GVariant) locked = NULL;
  g_autoptr(GError) error = NULL;
  GVariantBuilder attributes;
  GVariantIter iter;
  const char *item;

  g_variant_builder_init (&attributes, G_VARIANT_TYPE ("a{ss}"));
  g_variant_builder_add (&attributes, "{ss}", "account", account_id);
  reply = g_dbus_connection_call_sync (keyring_bus, "org.freedesktop.secrets",
                                       "/org/freedesktop/secrets",
                                       "org.freedesktop.Secret.Service", "SearchItems",
                                       g_variant_new ("(a{ss})", &attributes),
                                       G_VARIANT_TYPE ("(aoao)"), G_DBUS_CALL_FLAGS_NONE,
                                       RUN_TIMEOUT_MS, NULL, &error);
  g_assert_no_error (error);
  g_variant_get (reply, "(@ao@ao)", &unlocked, &locked);
  g_assert_cmpuint (g_variant_n_children (locked), ==, 0);

  g_variant_iter_init (&iter, unlocked);
  while (g_variant_iter_next (&iter, "&o", &item))
    {
      g_autoptr(GVariant) deleted = NULL;

      deleted = g_dbus_connection_call_sync (keyring_bus, "org.freedesktop.secrets", item,
                                             "org.freedesktop.Secret.Item", "Delete", NULL,
                                             G_VARIANT_TYPE ("(o)"), G_DBUS_CALL_FLAGS_NONE,
                                             RUN_TIMEOUT_MS, NULL, &error);
      g_assert_no_error (error);
    }
}

static void
store_legacy_item (const char *account_id,
                   const char *kind,
                   const char *label,
                   const char *secret)
{
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autoptr(GSubprocess) process = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *err = NULL;

  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDIN_PIPE |
                                        G_SUBPROCESS_FLAGS_STDOUT_SILENCE |
                                        G_SUBPROCESS_FLAGS_STDERR_PIPE);
  g_subprocess_launcher_setenv (launcher, "DBUS_SESSION_BUS_ADDRESS", bus->address, TRUE);
  process = g_subprocess_launcher_spawn (launcher, &error, "secret-tool", "store",
                                         "--label", label, "xdg:schema", SCHEMA_NAME,
                                         "account", account_id, "kind", kind, NULL);
  g_assert_no_error (error);
  g_subprocess_communicate_utf8 (process, secret, NULL, NULL, &err, &error);
  g_assert_no_error (error);
  if (!g_subprocess_get_successful (process))
    g_error ("secret-tool store failed: %s", err);
}

/* The target account signed in afresh and stored as the older version
 * stored it: its refresh token, then its access token with the expiry. */
static void
make_legacy_items (void)
{
  g_autoptr(TdAccount) account = td_test_account_new (sim, "coverwhale", target.username);
  g_autoptr(TdTokens) tokens = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *access = NULL;
  g_autofree char *refresh_label = g_strdup_printf ("Token Desk: refresh token for %s",
                                                    target.name);
  g_autofree char *access_label = g_strdup_printf ("Token Desk: access token for %s",
                                                   target.name);

  tokens = td_test_login (account, target.password, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (tokens->refresh_token);

  access = g_strdup_printf ("{\"access_token\":\"%s\",\"id_token\":null,"
                            "\"expires_at\":%" G_GINT64_FORMAT "}",
                            tokens->access_token, tokens->expires_at);

  delete_items_of (target.id);
  store_legacy_item (target.id, "refresh-token", refresh_label, tokens->refresh_token);
  store_legacy_item (target.id, "access-token", access_label, access);
}

/* Kinds of the older format: after a write under the lock, none is left. */
static gboolean
is_legacy_kind (const char *kind)
{
  return g_strcmp0 (kind, "refresh-token") == 0 || g_strcmp0 (kind, "access-token") == 0 ||
         g_strcmp0 (kind, "password") == 0 || g_strcmp0 (kind, "admin-token") == 0;
}

/* The invariants after a round -------------------------------------------- */

/* accounts.ini parses and holds the same accounts, each as it was added. */
static gboolean
accounts_intact (GString *problem)
{
  const char *keys[] = { "name", "vendor", "username", "endpoint" };
  g_autoptr(GKeyFile) now = NULL;
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) groups_before = g_key_file_get_groups (accounts_before, NULL);
  g_auto(GStrv) groups_now = NULL;

  now = load_accounts (&error);
  if (now == NULL)
    {
      g_string_append_printf (problem, "accounts.ini does not load: %s; ", error->message);
      return FALSE;
    }

  groups_now = g_key_file_get_groups (now, NULL);
  if (g_strv_length (groups_now) != g_strv_length (groups_before))
    {
      g_string_append_printf (problem, "accounts.ini holds %u groups, not %u; ",
                              g_strv_length (groups_now), g_strv_length (groups_before));
      return FALSE;
    }

  for (guint i = 0; groups_before[i] != NULL; i++)
    {
      for (guint k = 0; k < G_N_ELEMENTS (keys); k++)
        {
          g_autofree char *was = g_key_file_get_string (accounts_before, groups_before[i],
                                                        keys[k], NULL);
          g_autofree char *is = g_key_file_get_string (now, groups_before[i], keys[k], NULL);

          if (g_strcmp0 (was, is) != 0)
            {
              g_string_append_printf (problem, "accounts.ini: [%s] %s changed; ",
                                      groups_before[i], keys[k]);
              return FALSE;
            }
        }
    }

  return TRUE;
}

static GVariant *
get_secret_property (const char  *object_path,
                     const char  *interface,
                     const char  *property,
                     GError     **error)
{
  g_autoptr(GVariant) reply = NULL;
  GVariant *value;

  reply = g_dbus_connection_call_sync (keyring_bus, "org.freedesktop.secrets", object_path,
                                       "org.freedesktop.DBus.Properties", "Get",
                                       g_variant_new ("(ss)", interface, property),
                                       G_VARIANT_TYPE ("(v)"), G_DBUS_CALL_FLAGS_NONE,
                                       RUN_TIMEOUT_MS, NULL, error);
  if (reply == NULL)
    return NULL;

  g_variant_get (reply, "(v)", &value);
  return value;
}

/* Every item of the app's schema belongs to an account that exists, and no
 * two items have the same attributes (a lookup would find either). Every
 * item of every collection is looked at, not one schema's search: the
 * schema's name is the app's to change. Only attributes are read, over
 * D-Bus, never a secret. n_items: how many items the app has; n_legacy:
 * how many of them are of the older format. */
static gboolean
keyring_clean (GString *problem,
               guint   *n_items,
               guint   *n_legacy)
{
  g_autoptr(GHashTable) seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autoptr(GVariant) collections = NULL;
  g_autoptr(GError) error = NULL;
  gboolean clean = TRUE;
  GVariantIter collection_iter;
  const char *collection;

  *n_items = 0;
  *n_legacy = 0;
  collections = get_secret_property ("/org/freedesktop/secrets",
                                     "org.freedesktop.Secret.Service", "Collections", &error);
  if (collections == NULL)
    {
      g_string_append_printf (problem, "the keyring does not answer: %s; ", error->message);
      return FALSE;
    }

  g_variant_iter_init (&collection_iter, collections);
  while (g_variant_iter_next (&collection_iter, "&o", &collection))
    {
      g_autoptr(GVariant) items = NULL;
      GVariantIter item_iter;
      const char *item;

      items = get_secret_property (collection, "org.freedesktop.Secret.Collection", "Items",
                                   &error);
      if (items == NULL)
        {
          g_string_append_printf (problem, "the keyring's items do not load: %s; ",
                                  error->message);
          return FALSE;
        }

      g_variant_iter_init (&item_iter, items);
      while (g_variant_iter_next (&item_iter, "&o", &item))
        {
          g_autoptr(GVariant) attributes = NULL;
          g_autofree char *described = NULL;
          const char *schema = NULL;
          const char *account = NULL;
          const char *kind = NULL;

          attributes = get_secret_property (item, "org.freedesktop.Secret.Item", "Attributes",
                                            &error);
          if (attributes == NULL)
            {
              g_string_append_printf (problem, "a keyring item does not answer: %s; ",
                                      error->message);
              return FALSE;
            }

          g_variant_lookup (attributes, "xdg:schema", "&s", &schema);
          g_variant_lookup (attributes, "account", "&s", &account);
          g_variant_lookup (attributes, "kind", "&s", &kind);
          if (schema == NULL || !g_str_has_prefix (schema, APP_ID_PREFIX))
            continue;

          /* a{ss} prints sorted as the keyring keeps it; good enough to
           * compare two items of one run. */
          (*n_items)++;
          if (is_legacy_kind (kind))
            (*n_legacy)++;
          described = g_variant_print (attributes, FALSE);
          if (g_strcmp0 (account, target.id) != 0 && g_strcmp0 (account, beside.id) != 0)
            {
              g_string_append_printf (problem, "orphaned keyring item %s; ", described);
              clean = FALSE;
            }
          else if (!g_hash_table_add (seen, g_strdup (described)))
            {
              g_string_append_printf (problem, "duplicate keyring items %s; ", described);
              clean = FALSE;
            }
        }
    }

  return clean;
}

/* One round ---------------------------------------------------------------- */

static guint
random_delay (GRand         *rand,
              const Setting *setting)
{
  return g_rand_int_range (rand, setting->kill_min_ms, setting->kill_max_ms + 1);
}

static int
compare_uints (gconstpointer a,
               gconstpointer b)
{
  guint x = *(const guint *) a;
  guint y = *(const guint *) b;

  return x < y ? -1 : x > y;
}

/* How long the setting's command takes here and now, the median of five:
 * the keyring is touched in a few milliseconds of it, so a fixed window
 * would mostly kill before or after, on a fast or a busy machine. */
static guint
measure_ms (const Setting *setting)
{
  guint ms[5];

  for (guint i = 0; i < G_N_ELEMENTS (ms); i++)
    {
      g_autoptr(Run) run = NULL;
      gint64 start;

      if (setting->migrate)
        make_legacy_items ();
      start = g_get_monotonic_time ();
      if (setting->migrate)
        run = run_cli (NULL, "token", target.name, NULL);
      else
        run = run_cli (NULL, "token", target.name, "--min-valid", "100000", NULL);
      ms[i] = (g_get_monotonic_time () - start) / 1000;
      g_assert_cmpint (run_status (run), ==, 0);
    }

  qsort (ms, G_N_ELEMENTS (ms), sizeof ms[0], compare_uints);
  return ms[G_N_ELEMENTS (ms) / 2];
}

/* Kills what the setting says at delay_ms after tokendesk started; TRUE
 * when the renewal was still running then. A renewal that ended on its
 * own must have ended well: *broken otherwise. */
static gboolean
kill_renewal (const Setting *setting,
              guint          delay_ms,
              Tally         *tally,
              GString       *problem,
              gboolean      *broken)
{
  const char *renew[] = { "token", target.name, "--min-valid", "100000", "--format", "header",
                          NULL };
  const char *migrate[] = { "token", target.name, "--format", "header", NULL };
  g_autoptr(Run) run = NULL;
  gboolean killed;

  if (setting->migrate)
    make_legacy_items ();
  run = run_start (NULL, setting->migrate ? migrate : renew);
  g_usleep (delay_ms * 1000);

  if (setting->kill_keyring)
    {
      td_test_bus_kill_keyring (bus);
      run_finish (run);
      td_test_bus_start_keyring (bus);
      /* Losing its keyring may fail it (exit 4), never crash it. */
      killed = run_status (run) != 0;
      if (g_subprocess_get_if_signaled (run->process))
        {
          describe_run (problem, "the renewal", run);
          g_string_append (problem, "; ");
          *broken = TRUE;
        }
    }
  else
    {
      g_subprocess_force_exit (run->process);
      run_finish (run);
      killed = g_subprocess_get_if_signaled (run->process) &&
               g_subprocess_get_term_sig (run->process) == SIGKILL;
      if (!killed && run_status (run) != 0)
        {
          describe_run (problem, "the renewal", run);
          g_string_append (problem, "; ");
          *broken = TRUE;
        }
    }

  /* A token it printed was handed out too, however it ended. */
  if (run->out != NULL && *run->out != '\0' && vendor_status_of (run->out) != 200)
    {
      tally->revoked++;
      g_string_append (problem, "the renewal printed a token the vendor rejects; ");
    }

  return killed;
}

static void
run_round (const Setting *setting,
           GRand         *rand,
           guint          round,
           Tally         *tally)
{
  g_autoptr(GString) problem = g_string_new (NULL);
  guint delay_ms = random_delay (rand, setting);
  guint revoked_before = tally->revoked;
  gboolean lost = FALSE;
  gboolean broken = FALSE;
  guint legacy_items = 0;

  tally->rounds++;
  if (kill_renewal (setting, delay_ms, tally, problem, &broken))
    tally->killed++;
  else
    tally->finished++;

  /* What a script would get now. */
  {
    g_autoptr(Run) run = run_cli (NULL, "token", target.name, "--format", "header", NULL);

    if (run_status (run) == 0)
      {
        guint status = vendor_status_of (run->out);

        if (status != 200)
          {
            tally->revoked++;
            g_string_append_printf (problem, "token printed a token the vendor answers %u to; ",
                                    status);
          }
      }
    else if (says_needs_sign_in (run))
      lost = TRUE;
    else
      {
        describe_run (problem, "token", run);
        g_string_append (problem, "; ");
        broken = TRUE;
      }
  }

  /* Whether the refresh token survived, also when the answer above did
   * not show it (a revoked token printed with exit 0 before the fix), and
   * a fresh start for the next round. */
  if (!lost && !broken)
    {
      g_autoptr(Run) run = run_cli (NULL, "token", target.name, "--force", "--format", "header",
                                    NULL);

      if (run_status (run) == 0)
        {
          guint status = vendor_status_of (run->out);

          if (status != 200)
            {
              tally->revoked++;
              g_string_append_printf (problem, "a forced renewal printed a token the vendor "
                                      "answers %u to; ", status);
            }
        }
      else if (says_needs_sign_in (run))
        lost = TRUE;
      else
        {
          describe_run (problem, "token --force", run);
          g_string_append (problem, "; ");
          broken = TRUE;
        }
    }

  if (lost)
    tally->lost++;
  /* Signed in again to go on, as its user would; after a failure too, so
   * that one failure does not spoil the rounds after it. */
  if ((lost || broken) && !sign_in_again (&target, problem))
    broken = TRUE;

  /* The account beside it keeps its token and the vendor takes it. */
  {
    g_autoptr(Run) run = run_cli (NULL, "token", beside.name, "--format", "header", NULL);

    if (run_status (run) != 0 || vendor_status_of (run->out) != 200)
      {
        describe_run (problem, "the other account's token", run);
        g_string_append (problem, "; ");
        broken = TRUE;
      }
  }

  if (!accounts_intact (problem))
    broken = TRUE;

  if (!keyring_clean (problem, &tally->items, &legacy_items))
    broken = TRUE;

  /* The forced renewal wrote the set under the lock: what the migration
   * left behind is gone now. */
  if (setting->migrate && legacy_items != 0)
    {
      g_string_append_printf (problem, "%u items of the older format after a renewal; ",
                              legacy_items);
      broken = TRUE;
    }

  if (broken)
    tally->failures++;

  if ((broken || tally->revoked != revoked_before) &&
      tally->failures + tally->revoked <= MAX_DESCRIBED)
    g_test_message ("%s round %u, killed at %u ms: %s", setting->name, round, delay_ms,
                    problem->str);
}

/* The settings ---------------------------------------------------------------- */

static guint
rounds_of (const Setting *setting)
{
  guint rounds = (setting->full_rounds * total_rounds + FULL_ROUNDS / 2) / FULL_ROUNDS;

  return MAX (rounds, MIN_ROUNDS);
}

static void
test_setting (gconstpointer data)
{
  Setting setting_here = *(const Setting *) data;
  const Setting *setting = &setting_here;
  g_autofree char *description = NULL;
  g_autofree char *config = NULL;
  g_autoptr(GRand) rand = NULL;
  guint index = (const Setting *) data - settings;
  guint rounds = rounds_of (setting);
  Tally tally = { 0 };

  config = g_strdup_printf ("{\"vendor\":\"coverwhale\",\"latency_ms\":%u}", setting->latency_ms);
  td_test_sim_config (sim, config);

  if (setting->kill_max_ms == 0)
    setting_here.kill_max_ms = measure_ms (setting);
  description = g_strdup_printf (setting->description, setting->kill_max_ms);

  /* One sequence per setting: a setting run alone (-p) repeats its own. */
  rand = g_rand_new_with_seed (seed + index);

  for (guint round = 1; round <= rounds; round++)
    run_round (setting, rand, round, &tally);

  td_test_sim_config (sim, "{\"vendor\":\"coverwhale\",\"latency_ms\":0}");

  g_test_message ("%s (%s): %u rounds (%u killed before the end, %u finished first), "
                  "%u revoked tokens handed out (must be 0), %u lost refresh tokens, "
                  "%u other failures (must be 0); "
                  "%u keyring items for the 2 accounts", setting->name, description,
                  tally.rounds, tally.killed, tally.finished, tally.revoked, tally.lost,
                  tally.failures, tally.items);

  g_assert_cmpuint (tally.revoked, ==, 0);
  g_assert_cmpuint (tally.failures, ==, 0);
  /* No vendor call in it: nothing can be lost but by the app. */
  if (setting->migrate)
    g_assert_cmpuint (tally.lost, ==, 0);
}

/* Setup -------------------------------------------------------------------- */

static GLogFunc test_log_handler;

static void
drop_debug_cb (const char     *log_domain,
               GLogLevelFlags  log_level,
               const char     *message,
               gpointer        user_data)
{
  if ((log_level & G_LOG_LEVEL_MASK) != G_LOG_LEVEL_DEBUG)
    test_log_handler (log_domain, log_level, message, user_data);
}

static guint32
parse_env_uint (const char *name,
                guint32     fallback)
{
  const char *text = g_getenv (name);
  guint64 value;

  if (text == NULL || *text == '\0')
    return fallback;
  if (!g_ascii_string_to_unsigned (text, 10, 0, G_MAXUINT32, &value, NULL))
    g_error ("%s must be a number, not “%s”", name, text);
  return value;
}

static void
set_up_accounts (void)
{
  g_autoptr(GError) error = NULL;

  new_user (&target, "cw");
  new_user (&beside, "cw2");
  add_account (&target);
  add_account (&beside);

  accounts_before = load_accounts (&error);
  g_assert_no_error (error);
  target.id = account_id_for (accounts_before, target.name);
  beside.id = account_id_for (accounts_before, beside.name);
  g_assert_nonnull (target.id);
  g_assert_nonnull (beside.id);

  /* The keyring check looks where the items are: it finds them. */
  {
    g_autoptr(GString) problem = g_string_new (NULL);
    guint n_items;
    guint n_legacy;

    if (!keyring_clean (problem, &n_items, &n_legacy))
      g_error ("the keyring is not clean after two sign-ins: %s", problem->str);
    g_assert_cmpuint (n_items, >=, 2);
  }
}

static void
account_clear (Account *account)
{
  g_free (account->name);
  g_free (account->username);
  g_free (account->password);
  g_free (account->id);
}

int
main (int   argc,
      char *argv[])
{
  int status;

  td_test_init (&argc, &argv);
  /* Every setting runs and reports its figures, whichever fails. */
  g_test_set_nonfatal_assertions ();
  /* The migration setting signs in from this process: its providers'
   * debug lines would bury the figures (GTest's handler shows them all). */
  test_log_handler = g_log_set_default_handler (drop_debug_cb, NULL);

  /* Its own bus and keyring are made below, but its commands must never
   * reach a person's session: run it as the other tests run. */
  if (g_getenv ("TD_HEADLESS_SESSION") == NULL)
    {
      g_print ("1..0 # SKIP run inside tests/headless-session\n");
      return 0;
    }

  seed = parse_env_uint ("TD_FAULT_SEED", g_random_int ());
  total_rounds = parse_env_uint ("TD_FAULT_ROUNDS", DEFAULT_ROUNDS);
  g_test_message ("seed %" G_GUINT32_FORMAT " (repeat with TD_FAULT_SEED=%" G_GUINT32_FORMAT
                  "), TD_FAULT_ROUNDS=%u", seed, seed, total_rounds);

  bus = td_test_bus_start (TRUE, NULL);
  keyring_bus = td_test_bus_connect (bus);

  config_home = g_build_filename (bus->dir, "config", NULL);
  g_assert_cmpint (g_mkdir_with_parents (config_home, 0700), ==, 0);
  accounts_path = g_build_filename (config_home, "tokendesk", "accounts.ini", NULL);

  sim = td_test_sim_start ("--quiet", NULL);
  set_up_accounts ();

  for (guint i = 0; i < G_N_ELEMENTS (settings); i++)
    {
      g_autofree char *path = g_strconcat ("/faults/", settings[i].name, NULL);

      g_test_add_data_func (path, &settings[i], test_setting);
    }

  status = g_test_run ();

  g_key_file_unref (accounts_before);
  account_clear (&target);
  account_clear (&beside);
  td_test_sim_stop (sim);
  g_object_unref (keyring_bus);
  td_test_bus_stop (bus);
  g_free (accounts_path);
  g_free (config_home);

  return status;
}
