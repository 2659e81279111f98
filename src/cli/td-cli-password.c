/* td-cli-password.c: reset-password and change-password
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "td-cli"

#include "config.h"

#include <glib/gi18n-lib.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "td-cli-private.h"
#include "td-error.h"

/* On a terminal the new password is typed twice, since nobody sees it;
 * from a pipe it is one line. */
static char *
read_new_password (const char  *prompt,
                   GError     **error)
{
  g_auto(TdSecret) password = NULL;
  g_auto(TdSecret) again = NULL;

  password = td_cli_read_secret (prompt, error);
  if (password == NULL || !isatty (STDIN_FILENO))
    return g_steal_pointer (&password);

  again = td_cli_read_secret (_("The new password again: "), error);
  if (again == NULL)
    return NULL;

  if (strcmp (password, again) != 0)
    {
      g_set_error_literal (error, TD_ERROR, TD_ERROR_FAILED,
                           _("The two new passwords differ"));
      return NULL;
    }

  return g_steal_pointer (&password);
}

static gboolean
check_feature (TdCli              *cli,
               TdAccount          *account,
               TdProvider         *provider,
               TdProviderFeatures  feature,
               const char         *what,
               int                *status)
{
  if (td_provider_has_feature (provider, feature))
    return TRUE;

  fprintf (stderr, _("tokendesk %s: %s: %s does not offer %s\n"), cli->command,
           td_account_get_display_name (account), td_provider_get_display_name (provider), what);
  *status = TD_CLI_EXIT_USAGE;
  return FALSE;
}

int
td_cli_reset_password (TdCli  *cli,
                       int     argc,
                       char  **argv)
{
  g_autoptr(GOptionContext) context = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *code = NULL;
  g_autofree char *who = NULL;
  g_auto(TdSecret) new_password = NULL;
  TdTokenManager *manager;
  TdProvider *provider;
  TdAccount *account;
  gboolean request = FALSE;
  int status;
  const GOptionEntry entries[] = {
    { "request", 0, 0, G_OPTION_ARG_NONE, &request,
      N_("Step 1: ask the vendor to e-mail a reset code"), NULL },
    { "code", 0, 0, G_OPTION_ARG_STRING, &code,
      N_("Step 2: set the new password, read from standard input, with the e-mailed code"),
      N_("CODE") },
    { NULL }
  };

  context = td_cli_option_context_new (cli, _("NAME"),
                                       _("Reset the forgotten password of account NAME in two "
                                         "steps: --request has the vendor e-mail a code, then "
                                         "--code CODE sets the new password read from standard "
                                         "input and signs in with it."),
                                       _("Example:\n"
                                         "  tokendesk reset-password work --request\n"
                                         "  tokendesk reset-password work --code 123456 "
                                         "< new-password.txt"));
  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  if (!td_cli_parse (cli, context, &argc, &argv, 1, &status))
    return status;

  if (request == (code != NULL))
    return td_cli_usage_error (cli, "%s", _("give either --request or --code CODE"));

  if (code != NULL && *g_strstrip (code) == '\0')
    return td_cli_usage_error (cli, "%s", _("the code is empty"));

  if (!(account = td_cli_find_account (cli, argv[1], &status)) ||
      !(provider = td_cli_get_provider (cli, account, &status)) ||
      !check_feature (cli, account, provider, TD_PROVIDER_FEATURE_PASSWORD_RESET,
                      _("a password reset"), &status))
    return status;

  who = td_cli_describe_account (account);

  if (request)
    {
      td_provider_request_password_reset_async (provider, account, NULL, td_cli_ready_cb, cli);
      if (!td_provider_request_password_reset_finish (provider, td_cli_wait (cli), &error))
        return td_cli_fail (cli, account, error);

      printf (_("%s e-mailed a reset code to %s. Then run: tokendesk reset-password %s "
                "--code CODE\n"),
              td_provider_get_display_name (provider), td_account_get_username (account),
              td_account_get_display_name (account));
      return TD_CLI_EXIT_OK;
    }

  if (!td_cli_check_keyring (cli, account, &status))
    return status;

  new_password = read_new_password (_("New password: "), &error);
  if (new_password == NULL)
    return td_cli_fail (cli, account, error);

  td_provider_reset_password_async (provider, account, code, new_password, NULL,
                                    td_cli_ready_cb, cli);
  if (!td_provider_reset_password_finish (provider, td_cli_wait (cli), &error))
    return td_cli_fail (cli, account, error);

  /* The old tokens and a remembered password are stale now: signing in
   * replaces both, and proves the new password works. */
  manager = td_cli_get_manager (cli);
  td_token_manager_sign_in_async (manager, account, new_password, NULL, NULL,
                                  td_cli_ready_cb, cli);
  if (!td_token_manager_sign_in_finish (manager, td_cli_wait (cli), &error))
    {
      g_prefix_error (&error, _("The password was reset, but signing in failed: "));
      return td_cli_fail (cli, account, error);
    }

  printf (_("Password reset; signed in to %s\n"), who);
  return TD_CLI_EXIT_OK;
}

int
td_cli_change_password (TdCli  *cli,
                        int     argc,
                        char  **argv)
{
  g_autoptr(GOptionContext) context = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *prompt = NULL;
  g_autofree char *who = NULL;
  g_auto(TdSecret) password = NULL;
  g_auto(TdSecret) new_password = NULL;
  TdTokenManager *manager;
  TdProvider *provider;
  TdAccount *account;
  int status;

  context = td_cli_option_context_new (cli, _("NAME"),
                                       _("Change the password of account NAME at the vendor: "
                                         "reads the current password, then the new one, from "
                                         "standard input (one line each), and signs in."),
                                       _("Example:\n"
                                         "  { echo \"$OLD\"; echo \"$NEW\"; } | "
                                         "tokendesk change-password work"));
  if (!td_cli_parse (cli, context, &argc, &argv, 1, &status))
    return status;

  if (!(account = td_cli_find_account (cli, argv[1], &status)) ||
      !(provider = td_cli_get_provider (cli, account, &status)) ||
      !check_feature (cli, account, provider, TD_PROVIDER_FEATURE_CHANGE_PASSWORD,
                      _("a password change"), &status))
    return status;

  if (!td_cli_check_keyring (cli, account, &status))
    return status;

  who = td_cli_describe_account (account);
  prompt = g_strdup_printf (_("Current password for %s at %s: "),
                            td_account_get_username (account),
                            td_provider_get_display_name (provider));

  password = td_cli_read_secret (prompt, &error);
  if (password == NULL)
    return td_cli_fail (cli, account, error);

  new_password = read_new_password (_("New password: "), &error);
  if (new_password == NULL)
    return td_cli_fail (cli, account, error);

  manager = td_cli_get_manager (cli);
  td_token_manager_sign_in_async (manager, account, password, new_password, NULL,
                                  td_cli_ready_cb, cli);
  if (!td_token_manager_sign_in_finish (manager, td_cli_wait (cli), &error))
    return td_cli_fail (cli, account, error);

  printf (_("Password changed; signed in to %s\n"), who);
  return TD_CLI_EXIT_OK;
}
