/* td-cli-token.c: `tokendesk token` and `tokendesk exec`, for scripts
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "td-cli"

#include "config.h"

#include <glib/gi18n-lib.h>
#include <errno.h>
#include <json-glib/json-glib.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "td-cli-private.h"
#include "td-error.h"

#define DEFAULT_MIN_VALID 300

typedef enum
{
  FORMAT_RAW,
  FORMAT_HEADER,
  FORMAT_JSON,
  FORMAT_ENV,
} Format;

/* What `--format env` prints and `exec` puts in the command's environment. */
#define ENV_TOKEN      "TOKENDESK_TOKEN"
#define ENV_HEADER     "TOKENDESK_HEADER"
#define ENV_EXPIRES_AT "TOKENDESK_EXPIRES_AT"

static void
write_all (const char *data,
           gsize       length)
{
  while (length > 0)
    {
      ssize_t n = write (STDOUT_FILENO, data, length);

      if (n < 0 && errno == EINTR)
        continue;
      /* A closed pipe or a full disk: the caller sees the output cut
       * short, as it would with stdio. */
      if (n <= 0)
        return;

      data += n;
      length -= n;
    }
}

/* Straight to the file descriptor: stdio would keep a copy of the secret
 * in its buffer until the process exits. */
static void
print_secret_line (const char *line)
{
  fflush (stdout);
  write_all (line, strlen (line));
  write_all ("\n", 1);
}

/* ISO 8601 in UTC, or NULL for a token that never expires. */
static char *
dup_expires_at_iso (TdAccount *account)
{
  gint64 expires_at = td_account_get_expires_at (account);
  g_autoptr(GDateTime) date_time = NULL;

  if (expires_at == TD_EXPIRES_NEVER || expires_at <= 0)
    return NULL;

  date_time = g_date_time_new_from_unix_utc (expires_at);
  return g_date_time_format (date_time, "%Y-%m-%dT%H:%M:%SZ");
}

static void
print_json_token (TdProvider *provider,
                  TdAccount  *account,
                  const char *token)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  /* Shares its strings, the token among them, with the builder's tree. */
  g_auto(TdSecretJson) root = NULL;
  g_auto(TdSecret) header = td_provider_format_header (provider, token);
  g_auto(TdSecret) data = NULL;
  g_autofree char *expires_at = dup_expires_at_iso (account);

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "token");
  json_builder_add_string_value (builder, token);
  json_builder_set_member_name (builder, "expires_at");
  if (expires_at == NULL)
    json_builder_add_null_value (builder);
  else
    json_builder_add_string_value (builder, expires_at);
  json_builder_set_member_name (builder, "header");
  json_builder_add_string_value (builder, header);
  json_builder_end_object (builder);

  root = json_builder_get_root (builder);
  data = td_secret_json_to_string (root, NULL);
  print_secret_line (data);
}

/* export lines for `eval`: quoted for the shell, whatever the token holds. */
static void
print_env_token (TdProvider *provider,
                 TdAccount  *account,
                 const char *token)
{
  g_auto(TdSecret) header = td_provider_format_header (provider, token);
  g_autofree char *expires_at = dup_expires_at_iso (account);
  g_auto(TdSecret) quoted_token = td_secret_shell_quote (token);
  g_auto(TdSecret) quoted_header = td_secret_shell_quote (header);
  g_autofree char *quoted_expires_at = g_shell_quote (expires_at ? expires_at : "");
  g_auto(TdSecret) lines = NULL;

  lines = td_secret_concat ("export " ENV_TOKEN "=", quoted_token, "\n",
                            "export " ENV_HEADER "=", quoted_header, "\n",
                            "export " ENV_EXPIRES_AT "=", quoted_expires_at,
                            NULL);
  print_secret_line (lines);
}

/* One line on stderr when the token is shorter than asked: the vendor
 * grants no longer, and a script had better know it. */
static void
warn_short_token (TdCli     *cli,
                  TdAccount *account,
                  guint      min_valid)
{
  TdProvider *provider = td_provider_get_for_vendor (td_account_get_vendor (account));
  guint granted = td_account_get_granted_lifetime (account);
  gint64 left = td_account_get_expires_at (account) - g_get_real_time () / G_USEC_PER_SEC;
  g_autofree char *who = td_cli_describe_account (account);
  g_autofree char *left_text = td_format_duration (left);
  g_autofree char *asked_text = td_format_duration (min_valid);

  if (granted != 0 && granted != TD_GRANTED_LIFETIME_NEVER)
    {
      g_autofree char *granted_text = td_format_duration (granted);

      /* TRANSLATORS: "… is valid for 59 min, less than the 27 hours asked
       * for: Logware's tokens last 60 min" */
      fprintf (stderr, _("tokendesk %s: %s: the token is valid for %s, less than the %s asked "
                         "for: %s’s tokens last %s\n"),
               cli->command, who, left_text, asked_text,
               provider ? td_provider_get_display_name (provider)
                        : td_account_get_vendor (account),
               granted_text);
    }
  else
    fprintf (stderr, _("tokendesk %s: %s: the token is valid for %s, less than the %s asked "
                       "for\n"),
             cli->command, who, left_text, asked_text);
}

/* A token of account: renewed first when it lasts less than min_valid
 * seconds (or always, with force), handed out even when the fresh one is
 * shorter, with a word on stderr. NULL with *status set on failure. */
static char *
obtain_token (TdCli     *cli,
              TdAccount *account,
              guint      min_valid,
              gboolean   force,
              int       *status)
{
  g_autoptr(GError) error = NULL;
  TdTokenManager *manager;
  guint granted_before;
  char *token;

  /* What the keyring holds first: a still-valid token needs no lock and
   * no vendor call, which is what keeps this command as cheap as a
   * keyring lookup. */
  manager = td_cli_get_manager (cli);
  td_token_manager_load_async (manager, account, NULL, td_cli_ready_cb, cli);
  if (!td_token_manager_load_finish (manager, td_cli_wait (cli), &error))
    {
      *status = td_cli_fail (cli, account, error);
      return NULL;
    }

  granted_before = td_account_get_granted_lifetime (account);

  /* Exactly one vendor call, then the token it brought: asking for
   * min_valid again would renew a second time if the vendor's tokens are
   * shorter. */
  if (force)
    {
      td_token_manager_renew_async (manager, account, NULL, td_cli_ready_cb, cli);
      if (!td_token_manager_renew_finish (manager, td_cli_wait (cli), &error))
        {
          *status = td_cli_fail (cli, account, error);
          return NULL;
        }
    }

  td_token_manager_get_token_async (manager, account, force ? 0 : min_valid, NULL,
                                    td_cli_ready_cb, cli);
  token = td_token_manager_get_token_finish (manager, td_cli_wait (cli), &error);
  if (token == NULL)
    {
      *status = td_cli_fail (cli, account, error);
      return NULL;
    }

  if (!td_account_has_valid_token (account, min_valid))
    warn_short_token (cli, account, min_valid);

  td_cli_save_granted_lifetime (cli, account, granted_before);

  return token;
}

int
td_cli_token (TdCli  *cli,
              int     argc,
              char  **argv)
{
  g_autoptr(GOptionContext) context = NULL;
  g_autofree char *format_name = NULL;
  g_auto(TdSecret) token = NULL;
  TdProvider *provider;
  TdAccount *account;
  Format format = FORMAT_RAW;
  int min_valid = DEFAULT_MIN_VALID;
  gboolean force = FALSE;
  int status;
  const GOptionEntry entries[] = {
    { "min-valid", 'm', 0, G_OPTION_ARG_INT, &min_valid,
      N_("Renew first unless the token stays valid this long (default 300)"), N_("SECONDS") },
    { "force", 0, 0, G_OPTION_ARG_NONE, &force,
      N_("Renew even a token that is still valid"), NULL },
    { "format", 'f', 0, G_OPTION_ARG_STRING, &format_name,
      N_("raw (the token, default), header (the HTTP header line the vendor expects), "
         "json ({token, expires_at, header}) or env (export lines for the shell)"),
      N_("FORMAT") },
    { NULL }
  };

  context = td_cli_option_context_new (cli, _("NAME"),
                                       _("Print a token of account NAME that stays valid for at "
                                         "least --min-valid seconds, renewing it first when "
                                         "needed: by refresh token, else by remembered password, "
                                         "else it fails with “needs sign-in” (status 1). A "
                                         "still-valid token is reused, across processes and "
                                         "restarts, without calling the vendor. When the "
                                         "vendor's tokens are shorter than --min-valid, the "
                                         "fresh token is printed all the same and stderr says "
                                         "how long they last."),
                                       _("Examples:\n"
                                         "  curl -H \"$(tokendesk token work --format header)\" …\n"
                                         "  tokendesk token work --min-valid 3000 --format json\n"
                                         "  eval \"$(tokendesk token work --format env)\""));
  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  if (!td_cli_parse (cli, context, &argc, &argv, 1, &status))
    return status;

  if (min_valid < 0)
    return td_cli_usage_error (cli, "%s", _("--min-valid must be zero or more seconds"));

  if (format_name == NULL || g_str_equal (format_name, "raw"))
    format = FORMAT_RAW;
  else if (g_str_equal (format_name, "header"))
    format = FORMAT_HEADER;
  else if (g_str_equal (format_name, "json"))
    format = FORMAT_JSON;
  else if (g_str_equal (format_name, "env"))
    format = FORMAT_ENV;
  else
    return td_cli_usage_error (cli, _("--format must be raw, header, json or env, not “%s”"),
                               format_name);

  if (!(account = td_cli_find_account (cli, argv[1], &status)) ||
      !(provider = td_cli_get_provider (cli, account, &status)))
    return status;

  if (!(token = obtain_token (cli, account, (guint) min_valid, force, &status)))
    return status;

  switch (format)
    {
    case FORMAT_RAW:
      print_secret_line (token);
      break;

    case FORMAT_HEADER:
      {
        g_auto(TdSecret) header = td_provider_format_header (provider, token);

        print_secret_line (header);
      }
      break;

    case FORMAT_JSON:
      print_json_token (provider, account, token);
      break;

    case FORMAT_ENV:
      print_env_token (provider, account, token);
      break;

    default:
      g_assert_not_reached ();
    }

  return TD_CLI_EXIT_OK;
}

/* exec ------------------------------------------------------------------- */

/* Wipes every entry: some hold the token. */
static void
environ_free (char **envp)
{
  for (guint i = 0; envp != NULL && envp[i] != NULL; i++)
    td_secret_free (envp[i]);
  g_free (envp);
}

typedef char **TdEnviron;
G_DEFINE_AUTO_CLEANUP_FREE_FUNC (TdEnviron, environ_free, NULL)

/* g_environ_setenv formats the entry with g_strdup_printf, whose growing
 * buffer leaves copies of the value behind. */
static char **
setenv_secret (char       **envp,
               const char  *variable,
               const char  *value)
{
  guint length;

  envp = g_environ_unsetenv (envp, variable);
  length = g_strv_length (envp);
  envp = g_renew (char *, envp, length + 2);
  envp[length] = td_secret_concat (variable, "=", value, NULL);
  envp[length + 1] = NULL;

  return envp;
}

/* Runs command with the token in its environment, never on a command line
 * (which every user of the machine can read in /proc), and waits for it.
 * Its standard streams are ours. */
static int
run_with_token (TdCli       *cli,
                TdProvider  *provider,
                TdAccount   *account,
                const char  *token,
                char       **command)
{
  g_auto(TdSecret) header = td_provider_format_header (provider, token);
  g_autofree char *expires_at = dup_expires_at_iso (account);
  g_auto(TdEnviron) envp = g_get_environ ();
  g_autoptr(GError) error = NULL;
  GPid pid;
  int wait_status;

  envp = setenv_secret (envp, ENV_TOKEN, token);
  envp = setenv_secret (envp, ENV_HEADER, header);
  envp = setenv_secret (envp, ENV_EXPIRES_AT, expires_at ? expires_at : "");

  if (!g_spawn_async (NULL, command, envp,
                      G_SPAWN_SEARCH_PATH | G_SPAWN_DO_NOT_REAP_CHILD |
                      G_SPAWN_CHILD_INHERITS_STDIN,
                      NULL, NULL, &pid, &error))
    {
      fprintf (stderr, "tokendesk %s: %s\n", cli->command, error->message);
      /* What shells answer for a command not found, or not runnable. */
      return g_error_matches (error, G_SPAWN_ERROR, G_SPAWN_ERROR_NOENT) ? 127 : 126;
    }

  /* The terminal sends Ctrl-C and Ctrl-\ to the command too: it decides
   * whether to stop, and its status becomes ours. Ignored only now that
   * it runs, so that it does not inherit the ignoring. */
  signal (SIGINT, SIG_IGN);
  signal (SIGQUIT, SIG_IGN);

  while (waitpid (pid, &wait_status, 0) < 0)
    {
      if (errno != EINTR)
        {
          fprintf (stderr, "tokendesk %s: %s\n", cli->command, g_strerror (errno));
          return TD_CLI_EXIT_UNREACHABLE;
        }
    }

  g_spawn_close_pid (pid);

  if (WIFSIGNALED (wait_status))
    return 128 + WTERMSIG (wait_status);

  return WEXITSTATUS (wait_status);
}

int
td_cli_exec (TdCli  *cli,
             int     argc,
             char  **argv)
{
  g_autoptr(GOptionContext) context = NULL;
  g_autofree char **head = NULL;
  g_auto(TdSecret) token = NULL;
  TdProvider *provider;
  TdAccount *account;
  char **command = NULL;
  int head_argc = argc;
  int min_valid = DEFAULT_MIN_VALID;
  gboolean force = FALSE;
  int status;
  const GOptionEntry entries[] = {
    { "min-valid", 'm', 0, G_OPTION_ARG_INT, &min_valid,
      N_("Renew first unless the token stays valid this long (default 300)"), N_("SECONDS") },
    { "force", 0, 0, G_OPTION_ARG_NONE, &force,
      N_("Renew even a token that is still valid"), NULL },
    { NULL }
  };

  context = td_cli_option_context_new (cli, _("NAME -- COMMAND [ARG…]"),
                                       _("Run COMMAND with a token of account NAME, valid as "
                                         "for “tokendesk token”, in its environment: "
                                         "TOKENDESK_TOKEN (the token), TOKENDESK_HEADER (the "
                                         "HTTP header line the vendor expects) and "
                                         "TOKENDESK_EXPIRES_AT (ISO 8601 in UTC, empty if it never expires). The "
                                         "token is never on a command line. The standard "
                                         "streams are COMMAND's; so is the exit status (128 + "
                                         "the signal if it was killed; 127 if it cannot be "
                                         "found, 126 if it cannot be run)."),
                                       _("Examples:\n"
                                         "  tokendesk exec work -- sh -c 'curl -H "
                                         "\"$TOKENDESK_HEADER\" …'\n"
                                         "  tokendesk exec work --min-valid 3600 -- ./deploy"));
  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);

  /* COMMAND and its arguments are not ours to parse: split at "--". */
  for (int i = 1; i < argc; i++)
    if (g_str_equal (argv[i], "--"))
      {
        head_argc = i;
        command = argv + i + 1;
        break;
      }

  head = g_new0 (char *, head_argc + 1);
  memcpy (head, argv, head_argc * sizeof (char *));
  if (!td_cli_parse (cli, context, &head_argc, &head, 1, &status))
    return status;

  if (command == NULL || command[0] == NULL)
    return td_cli_usage_error (cli, "%s", _("missing “-- COMMAND”"));

  if (min_valid < 0)
    return td_cli_usage_error (cli, "%s", _("--min-valid must be zero or more seconds"));

  if (!(account = td_cli_find_account (cli, head[1], &status)) ||
      !(provider = td_cli_get_provider (cli, account, &status)) ||
      !(token = obtain_token (cli, account, (guint) min_valid, force, &status)))
    return status;

  return run_with_token (cli, provider, account, token, command);
}
