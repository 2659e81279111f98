/* td-cli-token.c: `tokendesk token`, the command scripts call most
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "td-cli"

#include "config.h"

#include <glib/gi18n-lib.h>
#include <json-glib/json-glib.h>
#include <stdio.h>

#include "td-cli-private.h"
#include "td-error.h"

#define DEFAULT_MIN_VALID 300

typedef enum
{
  FORMAT_RAW,
  FORMAT_HEADER,
  FORMAT_JSON,
} Format;

static void
print_secret_line (const char *line)
{
  fputs (line, stdout);
  fputc ('\n', stdout);
  fflush (stdout);
}

static void
print_json_token (TdProvider *provider,
                  TdAccount  *account,
                  const char *token)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonGenerator) generator = json_generator_new ();
  g_autoptr(JsonNode) root = NULL;
  g_auto(TdSecret) header = td_provider_format_header (provider, token);
  g_auto(TdSecret) data = NULL;
  gint64 expires_at = td_account_get_expires_at (account);

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "token");
  json_builder_add_string_value (builder, token);
  json_builder_set_member_name (builder, "expires_at");
  if (expires_at == TD_EXPIRES_NEVER || expires_at <= 0)
    json_builder_add_null_value (builder);
  else
    {
      g_autoptr(GDateTime) date_time = g_date_time_new_from_unix_utc (expires_at);
      g_autofree char *iso = g_date_time_format (date_time, "%Y-%m-%dT%H:%M:%SZ");

      json_builder_add_string_value (builder, iso);
    }
  json_builder_set_member_name (builder, "header");
  json_builder_add_string_value (builder, header);
  json_builder_end_object (builder);

  root = json_builder_get_root (builder);
  json_generator_set_root (generator, root);
  data = json_generator_to_data (generator, NULL);
  print_secret_line (data);
}

int
td_cli_token (TdCli  *cli,
              int     argc,
              char  **argv)
{
  g_autoptr(GOptionContext) context = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *format_name = NULL;
  g_auto(TdSecret) token = NULL;
  TdTokenManager *manager;
  TdProvider *provider;
  TdAccount *account;
  Format format = FORMAT_RAW;
  int min_valid = DEFAULT_MIN_VALID;
  int status;
  const GOptionEntry entries[] = {
    { "min-valid", 'm', 0, G_OPTION_ARG_INT, &min_valid,
      N_("Renew first unless the token stays valid this long (default 300)"), N_("SECONDS") },
    { "format", 'f', 0, G_OPTION_ARG_STRING, &format_name,
      N_("raw (the token, default), header (the HTTP header line the vendor expects) "
         "or json ({token, expires_at, header})"), N_("FORMAT") },
    { NULL }
  };

  context = td_cli_option_context_new (cli, _("NAME"),
                                       _("Print a token of account NAME that stays valid for at "
                                         "least --min-valid seconds, renewing it first when "
                                         "needed: by refresh token, else by remembered password, "
                                         "else it fails with “needs sign-in” (status 1). A "
                                         "still-valid token is reused, across processes and "
                                         "restarts, without calling the vendor."),
                                       _("Examples:\n"
                                         "  curl -H \"$(tokendesk token work --format header)\" …\n"
                                         "  tokendesk token work --min-valid 3000 --format json"));
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
  else
    return td_cli_usage_error (cli, _("--format must be raw, header or json, not “%s”"),
                               format_name);

  if (!(account = td_cli_find_account (cli, argv[1], &status)) ||
      !(provider = td_cli_get_provider (cli, account, &status)))
    return status;

  /* What the keyring holds first: a still-valid token needs no lock and
   * no vendor call, which is what keeps this command as cheap as a
   * keyring lookup. */
  manager = td_cli_get_manager (cli);
  td_token_manager_load_async (manager, account, NULL, td_cli_ready_cb, cli);
  if (!td_token_manager_load_finish (manager, td_cli_wait (cli), &error))
    return td_cli_fail (cli, account, error);

  td_token_manager_get_token_async (manager, account, (guint) min_valid, NULL,
                                    td_cli_ready_cb, cli);
  token = td_token_manager_get_token_finish (manager, td_cli_wait (cli), &error);
  if (token == NULL)
    return td_cli_fail (cli, account, error);

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

    default:
      g_assert_not_reached ();
    }

  return TD_CLI_EXIT_OK;
}
