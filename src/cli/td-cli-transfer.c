/* td-cli-transfer.c: export, import, edit
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "td-cli"

#include "config.h"

#include <gio/gunixinputstream.h>
#include <glib/gi18n-lib.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "td-account-export.h"
#include "td-account-lock.h"
#include "td-cli-private.h"
#include "td-error.h"

/* Under the lock every tokendesk process takes to change the account file:
 * reads it again, so that what another process wrote meanwhile is kept. */
static TdAccountLock *
lock_and_reload (TdCli   *cli,
                 GError **error)
{
  g_autoptr(TdAccountLock) lock = NULL;

  td_account_lock_acquire_async ("accounts", NULL, td_cli_ready_cb, cli);
  lock = td_account_lock_acquire_finish (td_cli_wait (cli), error);
  if (lock == NULL)
    return NULL;

  if (!td_account_list_load_sync (cli->list, NULL, error))
    return NULL;

  return g_steal_pointer (&lock);
}

/* export ----------------------------------------------------------------- */

int
td_cli_export (TdCli  *cli,
               int     argc,
               char  **argv)
{
  g_autoptr(GOptionContext) context = NULL;
  g_autoptr(GPtrArray) accounts = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(GBytes) bytes = NULL;
  g_autoptr(GError) error = NULL;
  TdAccountList *list;
  gconstpointer data;
  gsize length;
  int status;

  context = td_cli_option_context_new (cli, _("[NAME…]"),
                                       _("Print the definitions of the accounts named, or of "
                                         "every account, as JSON for “tokendesk import” on "
                                         "another machine. Never a secret: no password, no "
                                         "token, not even an administrative one. Each "
                                         "imported account needs a sign-in."),
                                       _("Examples:\n"
                                         "  tokendesk export > accounts.json\n"
                                         "  tokendesk export work lab > some.json"));
  if (!g_option_context_parse (context, &argc, &argv, &error))
    return td_cli_usage_error (cli, "%s", error->message);

  if (!(list = td_cli_get_list (cli, &status)))
    return status;

  if (argc <= 1)
    {
      for (guint i = 0; i < g_list_model_get_n_items (G_LIST_MODEL (list)); i++)
        g_ptr_array_add (accounts, g_list_model_get_item (G_LIST_MODEL (list), i));
    }

  for (int i = 1; i < argc; i++)
    {
      TdAccount *account = td_cli_find_account (cli, argv[i], &status);

      if (account == NULL)
        return status;
      if (!g_ptr_array_find (accounts, account, NULL))
        g_ptr_array_add (accounts, g_object_ref (account));
    }

  bytes = td_account_export_to_bytes (accounts);
  data = g_bytes_get_data (bytes, &length);
  if (fwrite (data, 1, length, stdout) != length || fflush (stdout) != 0)
    {
      fprintf (stderr, _("tokendesk %s: cannot write to standard output\n"), cli->command);
      return TD_CLI_EXIT_USAGE;
    }

  return TD_CLI_EXIT_OK;
}

/* import ----------------------------------------------------------------- */

static GBytes *
read_input (const char  *path,
            GError     **error)
{
  g_autoptr(GError) local_error = NULL;
  g_autoptr(GBytes) bytes = NULL;

  if (g_str_equal (path, "-"))
    {
      g_autoptr(GInputStream) in = g_unix_input_stream_new (STDIN_FILENO, FALSE);
      g_autoptr(GOutputStream) out = g_memory_output_stream_new_resizable ();

      if (g_output_stream_splice (out, in, G_OUTPUT_STREAM_SPLICE_CLOSE_TARGET, NULL,
                                  &local_error) >= 0)
        bytes = g_memory_output_stream_steal_as_bytes (G_MEMORY_OUTPUT_STREAM (out));
    }
  else
    {
      g_autoptr(GFile) file = g_file_new_for_commandline_arg (path);

      bytes = g_file_load_bytes (file, NULL, NULL, &local_error);
    }

  if (bytes == NULL)
    {
      g_set_error (error, TD_ERROR, TD_ERROR_FAILED, _("Cannot read %s: %s"),
                   g_str_equal (path, "-") ? _("standard input") : path, local_error->message);
      return NULL;
    }

  return g_steal_pointer (&bytes);
}

int
td_cli_import (TdCli  *cli,
               int     argc,
               char  **argv)
{
  g_autoptr(GOptionContext) context = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) contents = NULL;
  g_autoptr(GPtrArray) accounts = NULL;
  g_autoptr(GPtrArray) added = NULL;
  g_autoptr(GPtrArray) skipped = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GPtrArray) names_in_file = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(TdAccountLock) lock = NULL;
  gboolean rename = FALSE;
  const char *path;
  int status;
  const GOptionEntry entries[] = {
    { "rename", 0, 0, G_OPTION_ARG_NONE, &rename,
      N_("Import an account whose name is taken as “NAME 2” instead of skipping it"), NULL },
    { NULL }
  };

  context = td_cli_option_context_new (cli, _("FILE"),
                                       _("Add the accounts of FILE, written by “tokendesk "
                                         "export” (“-” reads standard input). They come signed "
                                         "out: sign in to each with “tokendesk login NAME”. An "
                                         "account whose name is taken is skipped and named on "
                                         "standard error, unless --rename. A file that cannot "
                                         "be used adds nothing."),
                                       _("Examples:\n"
                                         "  tokendesk import accounts.json\n"
                                         "  ssh old-laptop tokendesk export | tokendesk import "
                                         "--rename -"));
  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  if (!td_cli_parse (cli, context, &argc, &argv, 1, &status))
    return status;

  path = argv[1];

  contents = read_input (path, &error);
  if (contents == NULL)
    return td_cli_fail (cli, NULL, error);

  accounts = td_account_export_parse (contents, g_str_equal (path, "-") ? _("standard input")
                                                                        : path,
                                      &error);
  if (accounts == NULL)
    return td_cli_fail (cli, NULL, error);

  for (guint i = 0; i < accounts->len; i++)
    g_ptr_array_add (names_in_file,
                     g_strdup (td_account_get_display_name (g_ptr_array_index (accounts, i))));

  if (!td_cli_get_list (cli, &status))
    return status;

  if (!(lock = lock_and_reload (cli, &error)))
    return td_cli_fail (cli, NULL, error);

  added = td_account_export_add_to_list (cli->list, accounts, rename, skipped);

  if (added->len > 0 && !td_account_list_save_sync (cli->list, NULL, &error))
    return td_cli_fail (cli, NULL, error);

  for (guint i = 0; i < accounts->len; i++)
    {
      TdAccount *account = g_ptr_array_index (accounts, i);
      const char *was = g_ptr_array_index (names_in_file, i);
      const char *name = td_account_get_display_name (account);
      g_autofree char *who = NULL;

      if (!g_ptr_array_find (added, account, NULL))
        continue;

      who = td_cli_describe_account (account);
      if (!g_str_equal (was, name))
        printf (_("Imported “%s” as %s\n"), was, who);
      else
        printf (_("Imported %s\n"), who);

      if (td_account_get_admin_token (account))
        printf (_("  it uses an administrative token: paste it with “tokendesk login %s”\n"),
                name);
      else
        printf (_("  sign in with “tokendesk login %s”\n"), name);
    }

  for (guint i = 0; i < skipped->len; i++)
    fprintf (stderr, _("tokendesk %s: “%s” already exists, skipped (--rename imports it "
                       "under another name)\n"),
             cli->command, (const char *) g_ptr_array_index (skipped, i));

  if (accounts->len == 0)
    fprintf (stderr, _("tokendesk %s: %s has no accounts\n"), cli->command, path);

  return TD_CLI_EXIT_OK;
}

/* edit ------------------------------------------------------------------- */

/* "90" (seconds), "90s", "45m", "2h", "1d" */
static gboolean
parse_duration (const char *text,
                guint      *out_seconds)
{
  g_autofree char *digits = g_strstrip (g_strdup (text));
  guint64 value;
  guint64 unit = 1;
  gsize len = strlen (digits);

  if (len > 1 && g_ascii_isalpha (digits[len - 1]))
    {
      switch (digits[len - 1])
        {
        case 's': unit = 1; break;
        case 'm': unit = 60; break;
        case 'h': unit = 3600; break;
        case 'd': unit = 24 * 3600; break;
        default: return FALSE;
        }
      digits[len - 1] = '\0';
    }

  if (!g_ascii_string_to_unsigned (digits, 10, 0, G_MAXUINT32, &value, NULL) ||
      value * unit > G_MAXUINT32)
    return FALSE;

  *out_seconds = (guint) (value * unit);
  return TRUE;
}

/* A new account of the same id and vendor with the settings of account: the
 * edit is made on it and applied in one go by the token manager. */
static TdAccount *
copy_settings (TdAccount *account)
{
  TdAccount *copy = td_account_new (td_account_get_id (account), td_account_get_vendor (account));

  td_account_set_display_name (copy, td_account_get_display_name (account));
  td_account_set_username (copy, td_account_get_username (account));
  td_account_set_endpoint (copy, td_account_get_endpoint (account));
  td_account_set_hand_out (copy, td_account_get_hand_out (account));
  td_account_set_remember_password (copy, td_account_get_remember_password (account));
  td_account_set_admin_token (copy, td_account_get_admin_token (account));
  td_account_set_renew_automatically (copy, td_account_get_renew_automatically (account));
  td_account_set_assumed_lifetime (copy, td_account_get_assumed_lifetime (account));
  td_account_set_expiring_window (copy, td_account_get_expiring_window (account));

  return copy;
}

static gboolean
name_taken (TdAccountList *list,
            TdAccount     *account,
            const char    *name)
{
  TdAccount *other = td_account_list_find_by_name (list, name);

  return other != NULL && other != account;
}

/* Signs in with the changes (a draft under the account's id), the secret
 * read from stdin: the account itself changes only once the vendor said yes. */
static gboolean
sign_in_changes (TdCli      *cli,
                 TdAccount  *account,
                 TdAccount  *changes,
                 TdProvider *provider,
                 const char *why,
                 int        *status)
{
  g_autoptr(GError) error = NULL;
  g_auto(TdSecret) secret = NULL;
  g_autofree char *prompt = NULL;
  g_autofree char *who = td_cli_describe_account (account);
  TdTokenManager *manager;

  if (!td_cli_check_keyring (cli, account, status))
    return FALSE;

  /* Said before the prompt to a person; to a script, in the one line of
   * its error if the sign-in fails. */
  if (isatty (STDIN_FILENO))
    /* Translators: "a new endpoint needs a new sign-in" */
    fprintf (stderr, _("%s needs a new sign-in\n"), why);

  if (td_account_get_admin_token (changes))
    prompt = g_strdup_printf (_("Administrative token for %s: "), who);
  else
    prompt = g_strdup_printf (_("Password for %s at %s: "), td_account_get_username (changes),
                              td_provider_get_display_name (provider));

  secret = td_cli_read_secret (prompt, &error);
  if (secret == NULL)
    {
      *status = td_cli_fail (cli, account, error);
      return FALSE;
    }

  manager = td_cli_get_manager (cli);
  if (td_account_get_admin_token (changes))
    {
      td_token_manager_set_admin_token_async (manager, changes, secret, NULL,
                                              td_cli_ready_cb, cli);
      td_token_manager_set_admin_token_finish (manager, td_cli_wait (cli), &error);
    }
  else
    {
      td_token_manager_sign_in_async (manager, changes, secret, NULL, NULL,
                                      td_cli_ready_cb, cli);
      td_token_manager_sign_in_finish (manager, td_cli_wait (cli), &error);
    }

  if (error != NULL)
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        /* Translators: "a new endpoint needs a new sign-in, which failed: …" */
        g_prefix_error (&error, _("%s needs a new sign-in, which failed: "), why);
      *status = td_cli_fail (cli, account, error);
      return FALSE;
    }

  return TRUE;
}

int
td_cli_edit (TdCli  *cli,
             int     argc,
             char  **argv)
{
  g_autoptr(GOptionContext) context = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(TdAccount) changes = NULL;
  g_autoptr(TdAccountLock) lock = NULL;
  g_autofree char *name = NULL;
  g_autofree char *username = NULL;
  g_autofree char *endpoint = NULL;
  g_autofree char *hand_out = NULL;
  g_autofree char *lifetime = NULL;
  g_autofree char *renew = NULL;
  g_autofree char *base_url = NULL;
  g_autofree char *who = NULL;
  g_autoptr(GString) why = g_string_new (NULL);
  gboolean remember_password = FALSE;
  gboolean forget_password = FALSE;
  gboolean auto_renew = FALSE;
  gboolean no_auto_renew = FALSE;
  gboolean signed_in = FALSE;
  g_autoptr(TdAccount) account = NULL;
  TdAccount *found;
  TdProvider *provider;
  TdAccountList *list;
  int status;
  const GOptionEntry entries[] = {
    { "name", 0, 0, G_OPTION_ARG_STRING, &name, N_("A new name for the account"), N_("NAME") },
    { "username", 'u', 0, G_OPTION_ARG_STRING, &username,
      N_("Another username at the vendor (signs in again)"), N_("USER") },
    { "endpoint", 'e', 0, G_OPTION_ARG_STRING, &endpoint,
      N_("Another endpoint preset or base URL, “” for the vendor's default (signs in again)"),
      N_("PRESET|URL") },
    { "hand-out", 0, 0, G_OPTION_ARG_STRING, &hand_out,
      N_("Senmo: which token “token” prints, “id” or “access”"), N_("id|access") },
    { "lifetime", 0, 0, G_OPTION_ARG_STRING, &lifetime,
      N_("Couchdrop: how long a token that does not say is assumed to last, in seconds or "
         "with a unit (90m, 2h); from 60 s to 7 days"), N_("DURATION") },
    { "remember-password", 0, 0, G_OPTION_ARG_NONE, &remember_password,
      N_("Keep the password in the keyring (signs in again to store it)"), NULL },
    { "forget-password", 0, 0, G_OPTION_ARG_NONE, &forget_password,
      N_("Remove a remembered password from the keyring"), NULL },
    { "auto-renew", 0, 0, G_OPTION_ARG_NONE, &auto_renew,
      N_("Let the app renew the token before it expires"), NULL },
    { "no-auto-renew", 0, 0, G_OPTION_ARG_NONE, &no_auto_renew,
      N_("Let the app warn before the token expires instead of renewing it"), NULL },
    { "renew-automatically", 0, 0, G_OPTION_ARG_STRING, &renew,
      N_("The same as --auto-renew or --no-auto-renew, spelt as for “add”"), N_("on|off") },
    { NULL }
  };

  context = td_cli_option_context_new (cli, _("NAME"),
                                       _("Change the settings of account NAME, as the window's "
                                         "Edit does. A new username or endpoint, or a password "
                                         "to remember, needs the vendor again: the command says "
                                         "so and signs in with the password read from standard "
                                         "input; the account changes only when that succeeds."),
                                       _("Examples:\n"
                                         "  tokendesk edit work --name office --no-auto-renew\n"
                                         "  tokendesk edit files --lifetime 2h\n"
                                         "  tokendesk edit lab --endpoint https://senmo2.example.com "
                                         "< password.txt"));
  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  if (!td_cli_parse (cli, context, &argc, &argv, 1, &status))
    return status;

  if (!(found = td_cli_find_account (cli, argv[1], &status)) ||
      !(provider = td_cli_get_provider (cli, found, &status)))
    return status;
  list = cli->list;
  /* Ours: reloading the file under the lock may drop the list's. */
  account = g_object_ref (found);
  changes = copy_settings (account);

  if (remember_password && forget_password)
    return td_cli_usage_error (cli, "%s",
                               _("--remember-password and --forget-password contradict each "
                                 "other"));

  if (renew != NULL)
    {
      gboolean on;

      if (!td_cli_parse_renew (cli, renew, &on, &status))
        return status;
      if (on)
        auto_renew = TRUE;
      else
        no_auto_renew = TRUE;
    }
  if (auto_renew && no_auto_renew)
    return td_cli_usage_error (cli, "%s",
                               _("--auto-renew and --no-auto-renew contradict each other"));

  if (name == NULL && username == NULL && endpoint == NULL && hand_out == NULL &&
      lifetime == NULL && !remember_password && !forget_password && !auto_renew &&
      !no_auto_renew)
    return td_cli_usage_error (cli, "%s", _("nothing to change: give at least one option"));

  if (name != NULL)
    {
      g_strstrip (name);
      if (*name == '\0')
        return td_cli_usage_error (cli, "%s", _("the account name is empty"));
      if (!td_account_name_check (name, &error))
        return td_cli_usage_error (cli, "%s", error->message);
      if (name_taken (list, account, name))
        return td_cli_usage_error (cli, _("there is already an account named “%s”"), name);
      td_account_set_display_name (changes, name);
    }

  if (username != NULL)
    {
      g_strstrip (username);
      if (td_account_get_admin_token (account))
        return td_cli_usage_error (cli, "%s",
                                   _("an account with an administrative token has no "
                                     "username"));
      if (*username == '\0')
        return td_cli_usage_error (cli, "%s", _("the username is empty"));
      if (g_strcmp0 (username, td_account_get_username (account)) != 0)
        g_string_append (why, _("a new username"));
      td_account_set_username (changes, username);
    }

  if (endpoint != NULL)
    {
      g_strstrip (endpoint);
      base_url = td_provider_resolve_base_url (provider, endpoint, &error);
      if (base_url == NULL)
        return td_cli_usage_error (cli, "%s", error->message);
      if (g_strcmp0 (*endpoint ? endpoint : NULL, td_account_get_endpoint (account)) != 0)
        g_string_append_printf (why, "%s%s", why->len ? ", " : "", _("a new endpoint"));
      td_account_set_endpoint (changes, *endpoint ? endpoint : NULL);
    }

  if (hand_out != NULL)
    {
      TdHandOut value;

      if (!td_cli_parse_hand_out (cli, provider, hand_out, &value, &status))
        return status;
      td_account_set_hand_out (changes, value);
    }

  if (lifetime != NULL)
    {
      guint seconds;

      if (!td_provider_has_feature (provider, TD_PROVIDER_FEATURE_ASSUMED_LIFETIME))
        return td_cli_usage_error (cli, _("%s's tokens say when they expire: --lifetime does "
                                          "not apply"),
                                   td_provider_get_display_name (provider));
      if (td_account_get_admin_token (account))
        return td_cli_usage_error (cli, "%s",
                                   _("an administrative token does not expire: --lifetime "
                                     "does not apply"));
      if (!parse_duration (lifetime, &seconds) || seconds < 60 || seconds > 7 * 24 * 3600)
        return td_cli_usage_error (cli, _("--lifetime must be from 60 s to 7 days, like "
                                          "“3600”, “90m” or “2h”, not “%s”"), lifetime);
      td_account_set_assumed_lifetime (changes, seconds);
    }

  if (remember_password || forget_password)
    {
      if (td_account_get_admin_token (account))
        return td_cli_usage_error (cli, "%s",
                                   _("an account with an administrative token has no "
                                     "password to remember"));
      if (remember_password && !td_account_get_remember_password (account))
        g_string_append_printf (why, "%s%s", why->len ? ", " : "", _("remembering the password"));
      td_account_set_remember_password (changes, remember_password);
    }

  if (auto_renew || no_auto_renew)
    td_account_set_renew_automatically (changes, auto_renew);

  if (why->len > 0)
    {
      if (!sign_in_changes (cli, account, changes, provider, why->str, &status))
        return status;
      signed_in = TRUE;
    }
  else
    {
      /* Forgetting the password removes it from the keyring. */
      if (forget_password && td_account_get_remember_password (account) &&
          !td_cli_check_keyring (cli, account, &status))
        return status;
    }

  /* The file again, under the lock: another tokendesk may have changed it
   * while the vendor was asked. */
  if (!(lock = lock_and_reload (cli, &error)))
    return td_cli_fail (cli, account, error);

  if (td_account_list_find_by_id (list, td_account_get_id (account)) != account)
    {
      fprintf (stderr, _("tokendesk %s: “%s” was removed meanwhile\n"), cli->command, argv[1]);
      return TD_CLI_EXIT_USAGE;
    }
  if (name_taken (list, account, td_account_get_display_name (changes)))
    return td_cli_usage_error (cli, _("there is already an account named “%s”"),
                               td_account_get_display_name (changes));

  td_token_manager_update_account_async (td_cli_get_manager (cli), account, changes, NULL,
                                         td_cli_ready_cb, cli);
  if (!td_token_manager_update_account_finish (td_cli_get_manager (cli), td_cli_wait (cli),
                                               &error))
    return td_cli_fail (cli, account, error);

  if (!td_account_list_save_sync (list, NULL, &error))
    return td_cli_fail (cli, account, error);

  who = td_cli_describe_account (account);
  if (signed_in)
    /* Translators: "Saved work (Logware) and signed in again: a new endpoint needs it" */
    printf (_("Saved %s and signed in again: %s needs it\n"), who, why->str);
  else
    printf (_("Saved %s\n"), who);

  return TD_CLI_EXIT_OK;
}
