/* td-cli.c: `tokendesk COMMAND …`, dispatch and what the commands share
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "td-cli"

#include "config.h"

#include <glib/gi18n-lib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "td-cli.h"
#include "td-cli-private.h"
#include "td-account-lock.h"
#include "td-error.h"
#include "td-http-client.h"
#include "td-vendors.h"

typedef struct
{
  const char       *name;
  TdCliCommandFunc  func;
  const char       *synopsis;  /* marked with N_() */
} Command;

static const Command commands[] = {
  { "vendors", td_cli_vendors, N_("List the vendors Token Desk speaks to") },
  { "add", td_cli_add, N_("Add an account and sign in") },
  { "login", td_cli_login, N_("Sign in to an account again") },
  { "token", td_cli_token, N_("Print a valid token, renewing it first if needed") },
  { "exec", td_cli_exec, N_("Run a command with a valid token in its environment") },
  { "list", td_cli_list, N_("List the accounts and their state") },
  { "logout", td_cli_logout, N_("Forget an account's tokens, keep the account") },
  { "remove", td_cli_remove, N_("Remove an account and every secret it had") },
  { "reset-password", td_cli_reset_password, N_("Reset a forgotten password by e-mailed code") },
  { "change-password", td_cli_change_password, N_("Change the password at the vendor") },
  { "edit", td_cli_edit, N_("Change an account's name, endpoint or options") },
  { "export", td_cli_export, N_("Print account definitions as JSON, without secrets") },
  { "import", td_cli_import, N_("Add the accounts of a file written by “export”") },
};

#define EXIT_STATUS_HELP \
  N_("Exit status:\n" \
     "  0  success\n" \
     "  1  the vendor refused (credentials, two-factor, access denied, needs sign-in)\n" \
     "  2  usage: unknown account or vendor, bad option, missing endpoint,\n" \
     "     an account file that cannot be used\n" \
     "  3  the vendor could not be reached or answered something unusable\n" \
     "  4  the keyring is unavailable or locked")

gboolean
td_cli_is_command (const char *arg)
{
  if (arg == NULL)
    return FALSE;

  if (g_str_equal (arg, "help"))
    return TRUE;

  for (guint i = 0; i < G_N_ELEMENTS (commands); i++)
    if (g_str_equal (arg, commands[i].name))
      return TRUE;

  return FALSE;
}

/* Optimal string alignment distance: edits, with a swap of two neighbours
 * counting as one (tokne → token). Command names are short. */
static guint
edit_distance (const char *a,
               const char *b)
{
  gsize la = strlen (a), lb = strlen (b);
  g_autofree guint *d = NULL;

  if (la > 64 || lb > 64)
    return G_MAXUINT;

  d = g_new0 (guint, (la + 1) * (lb + 1));
#define D(i, j) d[(i) * (lb + 1) + (j)]
  for (gsize i = 0; i <= la; i++)
    D (i, 0) = i;
  for (gsize j = 0; j <= lb; j++)
    D (0, j) = j;

  for (gsize i = 1; i <= la; i++)
    for (gsize j = 1; j <= lb; j++)
      {
        guint cost = a[i - 1] == b[j - 1] ? 0 : 1;

        D (i, j) = MIN (MIN (D (i - 1, j) + 1, D (i, j - 1) + 1), D (i - 1, j - 1) + cost);
        if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
          D (i, j) = MIN (D (i, j), D (i - 2, j - 2) + 1);
      }

  return D (la, lb);
#undef D
}

/* The command a typo most likely meant, if one is close enough. */
static const char *
find_closest_command (const char *typed)
{
  const char *best = NULL;
  guint best_distance = 3;  /* more than two edits away is another word */

  for (guint i = 0; i < G_N_ELEMENTS (commands); i++)
    {
      guint distance = edit_distance (typed, commands[i].name);

      if (distance < best_distance)
        {
          best = commands[i].name;
          best_distance = distance;
        }
    }

  return best;
}

static void
print_overview (FILE *out)
{
  fprintf (out, "%s\n  tokendesk %s\n\n", _("Usage:"), _("COMMAND [OPTION…]"));
  fprintf (out, "%s\n", _("Commands:"));
  for (guint i = 0; i < G_N_ELEMENTS (commands); i++)
    fprintf (out, "  %-16s %s\n", commands[i].name, _(commands[i].synopsis));
  fprintf (out, "  %-16s %s\n\n", "help", _("Show this, or “help COMMAND” for one command"));
  fprintf (out, "%s\n", _("Without a command, tokendesk opens its window."));
  fprintf (out, "%s\n\n", _("Passwords and tokens are read from standard input, one line each."));
  fprintf (out, "%s\n", _(EXIT_STATUS_HELP));
}

/* Shared by the commands ------------------------------------------------- */

GOptionContext *
td_cli_option_context_new (TdCli      *cli,
                           const char *parameter_string,
                           const char *summary,
                           const char *description)
{
  g_autofree char *full_description = NULL;
  GOptionContext *context;

  context = g_option_context_new (parameter_string);
  g_option_context_set_translation_domain (context, GETTEXT_PACKAGE);
  g_option_context_set_summary (context, summary);

  if (description != NULL)
    full_description = g_strconcat (description, "\n\n", _(EXIT_STATUS_HELP), NULL);
  else
    full_description = g_strdup (_(EXIT_STATUS_HELP));
  g_option_context_set_description (context, full_description);

  return context;
}

static char *
one_line (const char *message)
{
  char *line = g_strdup (message);

  /* A vendor's text may span lines; scripts read one line per error. */
  g_strdelimit (line, "\r\n", ' ');
  return g_strstrip (line);
}

int
td_cli_usage_error (TdCli      *cli,
                    const char *format,
                    ...)
{
  g_autofree char *message = NULL;
  g_autofree char *line = NULL;
  va_list args;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);

  line = one_line (message);
  fprintf (stderr, _("tokendesk %s: %s (see “tokendesk %s --help”)\n"),
           cli->command, line, cli->command);

  return TD_CLI_EXIT_USAGE;
}

/* --hand-out: only Senmo has two kinds of token. */
gboolean
td_cli_parse_hand_out (TdCli      *cli,
                       TdProvider *provider,
                       const char *text,
                       TdHandOut  *out_hand_out,
                       int        *status)
{
  if (!td_provider_has_feature (provider, TD_PROVIDER_FEATURE_CHOOSE_TOKEN))
    {
      *status = td_cli_usage_error (cli, _("%s has one kind of token: --hand-out does not apply"),
                                    td_provider_get_display_name (provider));
      return FALSE;
    }

  if (!td_hand_out_from_string (text, out_hand_out))
    {
      *status = td_cli_usage_error (cli, _("--hand-out must be “id” or “access”, not “%s”"),
                                    text);
      return FALSE;
    }

  return TRUE;
}

/* --renew-automatically=on|off */
gboolean
td_cli_parse_renew (TdCli      *cli,
                    const char *text,
                    gboolean   *out_renew,
                    int        *status)
{
  if (!g_str_equal (text, "on") && !g_str_equal (text, "off"))
    {
      *status = td_cli_usage_error (cli, _("--renew-automatically must be “on” or “off”, "
                                           "not “%s”"), text);
      return FALSE;
    }

  *out_renew = g_str_equal (text, "on");
  return TRUE;
}

/* Parses the options and wants exactly n_args positional arguments. */
gboolean
td_cli_parse (TdCli            *cli,
              GOptionContext   *context,
              int              *argc,
              char           ***argv,
              int               n_args,
              int              *status)
{
  g_autoptr(GError) error = NULL;

  /* argv[0] is the command: GOptionContext takes it as the program. */
  if (!g_option_context_parse (context, argc, argv, &error))
    {
      *status = td_cli_usage_error (cli, "%s", error->message);
      return FALSE;
    }

  if (*argc - 1 < n_args)
    {
      *status = td_cli_usage_error (cli, "%s", _("missing argument"));
      return FALSE;
    }

  if (*argc - 1 > n_args)
    {
      *status = td_cli_usage_error (cli, _("unexpected argument “%s”"), (*argv)[n_args + 1]);
      return FALSE;
    }

  return TRUE;
}

int
td_cli_exit_status_for_error (const GError *error)
{
  if (error->domain != TD_ERROR)
    return TD_CLI_EXIT_UNREACHABLE;

  switch ((TdError) error->code)
    {
    case TD_ERROR_BAD_CREDENTIALS:
    case TD_ERROR_TWO_FACTOR_REQUIRED:
    case TD_ERROR_ACCESS_DENIED:
    case TD_ERROR_NEEDS_SIGN_IN:
      return TD_CLI_EXIT_REFUSED;

    case TD_ERROR_UNREACHABLE:
    case TD_ERROR_TIMED_OUT:
    case TD_ERROR_INVALID_RESPONSE:
    case TD_ERROR_INSECURE:
      return TD_CLI_EXIT_UNREACHABLE;

    case TD_ERROR_KEYRING_UNAVAILABLE:
      return TD_CLI_EXIT_KEYRING;

    case TD_ERROR_INVALID_ENDPOINT:
    case TD_ERROR_NOT_SUPPORTED:
    case TD_ERROR_FAILED:
    default:
      return TD_CLI_EXIT_USAGE;
    }
}

char *
td_cli_describe_account (TdAccount *account)
{
  TdProvider *provider = td_provider_get_for_vendor (td_account_get_vendor (account));
  g_autofree char *name = td_account_name_dup_printable (td_account_get_display_name (account));

  /* Escaped: a name from an older file may hold control or bidi characters. */
  return g_strdup_printf ("%s (%s)", name,
                          provider ? td_provider_get_display_name (provider)
                                   : td_account_get_vendor (account));
}

int
td_cli_fail (TdCli        *cli,
             TdAccount    *account,
             const GError *error)
{
  g_autofree char *line = one_line (error->message);

  if (account != NULL)
    {
      g_autofree char *who = td_cli_describe_account (account);

      fprintf (stderr, "tokendesk %s: %s: %s\n", cli->command, who, line);
    }
  else
    fprintf (stderr, "tokendesk %s: %s\n", cli->command, line);

  return td_cli_exit_status_for_error (error);
}

TdAccountList *
td_cli_get_list (TdCli *cli,
                 int   *status)
{
  g_autoptr(GError) error = NULL;

  if (cli->list != NULL)
    return cli->list;

  cli->list = td_account_list_new ();

  /* Blocking is fine here: nothing else runs in this process yet. */
  if (!td_account_list_load_sync (cli->list, NULL, &error))
    {
      g_clear_object (&cli->list);
      *status = td_cli_fail (cli, NULL, error);
      return NULL;
    }

  return cli->list;
}

TdTokenManager *
td_cli_get_manager (TdCli *cli)
{
  if (cli->manager == NULL)
    {
      cli->store = td_token_store_new ();
      cli->manager = td_token_manager_new (cli->store);
    }

  return cli->manager;
}

TdAccount *
td_cli_find_account (TdCli      *cli,
                     const char *name,
                     int        *status)
{
  TdAccountList *list;
  TdAccount *account;

  if (!(list = td_cli_get_list (cli, status)))
    return NULL;

  account = td_account_list_find_by_name (list, name);
  if (account == NULL)
    {
      g_autofree char *shown = td_account_name_dup_printable (name);

      fprintf (stderr, _("tokendesk %s: no account named “%s” (see “tokendesk list”)\n"),
               cli->command, shown);
      *status = TD_CLI_EXIT_USAGE;
    }

  return account;
}

TdProvider *
td_cli_get_provider (TdCli     *cli,
                     TdAccount *account,
                     int       *status)
{
  TdProvider *provider = td_provider_get_for_vendor (td_account_get_vendor (account));

  if (provider == NULL)
    {
      const char *display_name = td_account_get_display_name (account);
      g_autofree char *name = td_account_name_dup_printable (display_name);

      fprintf (stderr, _("tokendesk %s: %s: this version of Token Desk does not know the "
                         "vendor “%s”\n"),
               cli->command, name, td_account_get_vendor (account));
      *status = TD_CLI_EXIT_USAGE;
    }

  return provider;
}

/* Another tokendesk may have changed the account file since this one read
 * it (two `add`s in parallel): under a lock that every tokendesk process
 * takes for this, read it again (merging by account id), change, write. */
gboolean
td_cli_edit_list (TdCli      *cli,
                  TdAccount  *account,
                  gboolean    add,
                  GError    **error)
{
  g_autoptr(TdAccountLock) lock = NULL;
  TdAccount *current;

  g_assert (cli->list != NULL);

  /* Not an account id (those are UUIDs): a lock file of its own. */
  td_account_lock_acquire_async ("accounts", NULL, td_cli_ready_cb, cli);
  lock = td_account_lock_acquire_finish (td_cli_wait (cli), error);
  if (lock == NULL)
    return FALSE;

  if (!td_account_list_load_sync (cli->list, NULL, error))
    return FALSE;

  if (add)
    {
      if (!td_account_list_add (cli->list, account, error))
        return FALSE;
    }
  else if ((current = td_account_list_find_by_id (cli->list, td_account_get_id (account))))
    td_account_list_remove (cli->list, current);

  return td_account_list_save_sync (cli->list, NULL, error);
}

/* The vendor issued tokens of another lifetime than the account file
 * says (TdAccount:granted-lifetime, learned by the token manager): write
 * it, merged under the lock of td_cli_edit_list. The token is good either
 * way, so a failure is said, not fatal. */
void
td_cli_save_granted_lifetime (TdCli     *cli,
                              TdAccount *account,
                              guint      before)
{
  g_autoptr(TdAccountLock) lock = NULL;
  g_autoptr(GError) error = NULL;
  guint granted = td_account_get_granted_lifetime (account);
  TdAccount *current;

  g_assert (cli->list != NULL);

  if (granted == before || granted == 0)
    return;

  td_account_lock_acquire_async ("accounts", NULL, td_cli_ready_cb, cli);
  lock = td_account_lock_acquire_finish (td_cli_wait (cli), &error);

  /* Reading the file again applies its value: set ours after. */
  if (lock != NULL && td_account_list_load_sync (cli->list, NULL, &error))
    {
      current = td_account_list_find_by_id (cli->list, td_account_get_id (account));
      if (current == NULL)
        return;  /* removed meanwhile */

      td_account_set_granted_lifetime (current, granted);
      if (td_account_list_save_sync (cli->list, NULL, &error))
        return;
    }

  fprintf (stderr, _("tokendesk %s: could not note how long the vendor's tokens last: %s\n"),
           cli->command, error->message);
}

/* Before a vendor call whose tokens must be stored: finding out after
 * signing in would waste the sign-in and, with Cover Whale, invalidate the
 * tokens the account had. */
gboolean
td_cli_check_keyring (TdCli     *cli,
                      TdAccount *account,
                      int       *status)
{
  g_autoptr(GError) error = NULL;

  td_cli_get_manager (cli);
  td_token_store_check_async (cli->store, NULL, td_cli_ready_cb, cli);
  if (!td_token_store_check_finish (cli->store, td_cli_wait (cli), &error))
    {
      *status = td_cli_fail (cli, account, error);
      return FALSE;
    }

  return TRUE;
}

void
td_cli_ready_cb (GObject      *object,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  TdCli *cli = user_data;

  g_assert (cli->result == NULL);
  cli->result = g_object_ref (result);
  g_main_loop_quit (cli->loop);
}

GAsyncResult *
td_cli_wait (TdCli *cli)
{
  /* Every operation waited for is bounded: HTTP by the client's deadline,
   * the keyring by D-Bus's call timeout or a person answering its prompt. */
  while (cli->result == NULL)
    g_main_loop_run (cli->loop);

  g_clear_object (&cli->last_result);
  cli->last_result = g_steal_pointer (&cli->result);

  return cli->last_result;
}

static void
td_cli_clear (TdCli *cli)
{
  /* The command is over and the process ends next: its accounts are left
   * for the kernel to take back with the rest of the heap. Freeing them
   * one by one, with the key file the list keeps, was a fifth of
   * `tokendesk list` at 100,000 accounts (bench/many-accounts). Their
   * tokens are wiped first, as freeing would have; the rest is kept
   * reachable here, so leak checkers do not count it. */
  static TdAccountList *left_at_exit;

  g_clear_object (&cli->manager);
  g_clear_object (&cli->store);
  if (cli->list != NULL)
    {
      GListModel *accounts = G_LIST_MODEL (cli->list);

      for (guint i = 0; i < g_list_model_get_n_items (accounts); i++)
        {
          g_autoptr(TdAccount) account = g_list_model_get_item (accounts, i);

          if (td_account_peek_tokens (account) != NULL)
            td_account_clear_tokens (account);
        }

      g_clear_object (&left_at_exit);
      left_at_exit = g_steal_pointer (&cli->list);
    }
  g_clear_object (&cli->result);
  g_clear_object (&cli->last_result);
  g_clear_pointer (&cli->loop, g_main_loop_unref);
}

/* Test and debugging knob, documented in README: a short HTTP deadline so
 * that a test of a vendor that never answers does not take half a
 * minute. Not a secret, never a credential. */
static void
apply_debug_environment (void)
{
  const char *timeout = g_getenv ("TOKENDESK_HTTP_TIMEOUT");
  guint64 seconds;

  if (timeout != NULL &&
      g_ascii_string_to_unsigned (timeout, 10, 1, 3600, &seconds, NULL))
    td_http_client_set_timeout (td_http_client_get_default (), (guint) seconds);
}

int
td_cli_run (int    argc,
            char **argv)
{
  TdCli cli = { 0 };
  const Command *command = NULL;
  int status;

  g_return_val_if_fail (argc >= 2, TD_CLI_EXIT_USAGE);

  g_set_prgname ("tokendesk");
  /* stdout is the token a script reads: GLib would print debug messages
   * (G_MESSAGES_DEBUG) there, into `$(tokendesk token work)`. */
  g_log_writer_default_set_use_stderr (TRUE);

  if (g_str_equal (argv[1], "help"))
    {
      if (argc == 2)
        {
          print_overview (stdout);
          return TD_CLI_EXIT_OK;
        }

      if (argc == 3 && td_cli_is_command (argv[2]) && !g_str_equal (argv[2], "help"))
        {
          char *help_argv[] = { argv[0], argv[2], (char *) "--help", NULL };

          return td_cli_run (3, help_argv);
        }

      print_overview (stderr);
      return TD_CLI_EXIT_USAGE;
    }

  for (guint i = 0; i < G_N_ELEMENTS (commands); i++)
    if (g_str_equal (argv[1], commands[i].name))
      command = &commands[i];

  if (command == NULL)
    {
      const char *closest = find_closest_command (argv[1]);
      g_autofree char *shown = td_account_name_dup_printable (argv[1]);

      if (closest != NULL)
        fprintf (stderr, _("tokendesk: unknown command “%s”; did you mean “%s”? "
                           "(see “tokendesk help”)\n"), shown, closest);
      else
        fprintf (stderr, _("tokendesk: unknown command “%s” (see “tokendesk help”)\n"), shown);
      return TD_CLI_EXIT_USAGE;
    }

  cli.command = command->name;
  cli.loop = g_main_loop_new (NULL, FALSE);

  td_vendors_init ();
  apply_debug_environment ();

  /* The command sees itself as argv[0]: GOptionContext prints
   * "tokendesk token [OPTION…] NAME" from the program name we set. */
  {
    g_autofree char *prgname = g_strdup_printf ("tokendesk %s", command->name);

    g_set_prgname (prgname);
    status = command->func (&cli, argc - 1, argv + 1);
  }

  td_cli_clear (&cli);

  return status;
}
