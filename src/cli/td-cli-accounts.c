/* td-cli-accounts.c: vendors, add, login, list, logout, remove
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

static void
print_json (JsonBuilder *builder)
{
  g_autoptr(JsonGenerator) generator = json_generator_new ();
  g_autoptr(JsonNode) root = json_builder_get_root (builder);
  g_autofree char *data = NULL;

  json_generator_set_root (generator, root);
  json_generator_set_pretty (generator, TRUE);
  data = json_generator_to_data (generator, NULL);
  printf ("%s\n", data);
}

/* vendors ---------------------------------------------------------------- */

static const struct
{
  TdProviderFeatures  feature;
  const char         *name;    /* stable, for --json */
  const char         *label;   /* N_() */
} feature_names[] = {
  { TD_PROVIDER_FEATURE_REFRESH_TOKEN, "refresh-token", N_("refresh token") },
  { TD_PROVIDER_FEATURE_PASSWORD_RESET, "password-reset", N_("password reset") },
  { TD_PROVIDER_FEATURE_CHANGE_PASSWORD, "change-password", N_("password change") },
  { TD_PROVIDER_FEATURE_ADMIN_TOKEN, "admin-token", N_("administrative token") },
  { TD_PROVIDER_FEATURE_REQUIRES_ENDPOINT, "requires-endpoint", N_("your own address") },
  { TD_PROVIDER_FEATURE_CHOOSE_TOKEN, "choose-token", N_("ID or access token") },
};

int
td_cli_vendors (TdCli  *cli,
                int     argc,
                char  **argv)
{
  g_autoptr(GOptionContext) context = NULL;
  gboolean json = FALSE;
  int status;
  const GOptionEntry entries[] = {
    { "json", 0, 0, G_OPTION_ARG_NONE, &json, N_("Print a JSON array"), NULL },
    { NULL }
  };

  context = td_cli_option_context_new (cli, NULL,
                                       _("List the vendors Token Desk speaks to, their endpoint "
                                         "presets (for “add --endpoint”) and what they support."),
                                       _("Example:\n  tokendesk vendors --json"));
  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  if (!td_cli_parse (cli, context, &argc, &argv, 0, &status))
    return status;

  if (json)
    {
      g_autoptr(JsonBuilder) builder = json_builder_new ();

      json_builder_begin_array (builder);
      for (const GList *l = td_provider_get_all (); l; l = l->next)
        {
          TdProvider *provider = l->data;
          const TdEndpointPreset *presets = td_provider_get_presets (provider);

          json_builder_begin_object (builder);
          json_builder_set_member_name (builder, "id");
          json_builder_add_string_value (builder, td_provider_get_vendor_id (provider));
          json_builder_set_member_name (builder, "name");
          json_builder_add_string_value (builder, td_provider_get_display_name (provider));
          json_builder_set_member_name (builder, "description");
          json_builder_add_string_value (builder, td_provider_get_description (provider));
          json_builder_set_member_name (builder, "header");
          json_builder_add_string_value (builder, td_provider_get_header_name (provider));

          json_builder_set_member_name (builder, "endpoints");
          json_builder_begin_array (builder);
          for (const TdEndpointPreset *p = presets; p->id; p++)
            {
              json_builder_begin_object (builder);
              json_builder_set_member_name (builder, "id");
              json_builder_add_string_value (builder, p->id);
              json_builder_set_member_name (builder, "url");
              json_builder_add_string_value (builder, p->url);
              json_builder_set_member_name (builder, "default");
              json_builder_add_boolean_value (builder, p == presets);
              json_builder_end_object (builder);
            }
          json_builder_end_array (builder);

          json_builder_set_member_name (builder, "features");
          json_builder_begin_array (builder);
          for (guint i = 0; i < G_N_ELEMENTS (feature_names); i++)
            if (td_provider_has_feature (provider, feature_names[i].feature))
              json_builder_add_string_value (builder, feature_names[i].name);
          json_builder_end_array (builder);

          json_builder_end_object (builder);
        }
      json_builder_end_array (builder);

      print_json (builder);
      return TD_CLI_EXIT_OK;
    }

  for (const GList *l = td_provider_get_all (); l; l = l->next)
    {
      TdProvider *provider = l->data;
      const TdEndpointPreset *presets = td_provider_get_presets (provider);
      g_autoptr(GString) features = g_string_new (NULL);

      printf ("%-12s %s — %s\n", td_provider_get_vendor_id (provider),
              td_provider_get_display_name (provider), td_provider_get_description (provider));

      if (presets->id == NULL)
        printf ("             %s\n", _("endpoint: none public, give yours with --endpoint URL"));
      for (const TdEndpointPreset *p = presets; p->id; p++)
        printf ("             %s %-11s %s%s\n", p == presets ? _("endpoint:") : "         ",
                p->id, p->url, p == presets ? _(" (default)") : "");

      for (guint i = 0; i < G_N_ELEMENTS (feature_names); i++)
        if (td_provider_has_feature (provider, feature_names[i].feature))
          g_string_append_printf (features, "%s%s", features->len ? ", " : "",
                                  _(feature_names[i].label));
      if (features->len > 0)
        printf ("             %s %s\n", _("supports:"), features->str);
    }

  return TD_CLI_EXIT_OK;
}

/* add -------------------------------------------------------------------- */

/* Best effort, after a failed add: whatever the sign-in managed to store
 * under the new account's id would otherwise stay in the keyring with no
 * account to remove it. */
static void
forget_secrets (TdCli     *cli,
                TdAccount *account)
{
  TdTokenManager *manager = td_cli_get_manager (cli);

  td_token_manager_sign_out_async (manager, account, TRUE, NULL, td_cli_ready_cb, cli);
  td_token_manager_sign_out_finish (manager, td_cli_wait (cli), NULL);
}

int
td_cli_add (TdCli  *cli,
            int     argc,
            char  **argv)
{
  g_autoptr(GOptionContext) context = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(TdAccount) account = NULL;
  g_autofree char *username = NULL;
  g_autofree char *endpoint = NULL;
  g_autofree char *hand_out = NULL;
  g_autofree char *renew = NULL;
  g_autofree char *base_url = NULL;
  g_autofree char *who = NULL;
  g_auto(TdSecret) secret = NULL;
  g_autofree char *prompt = NULL;
  gboolean remember_password = FALSE;
  gboolean admin_token = FALSE;
  TdHandOut hand_out_value = TD_HAND_OUT_ID_TOKEN;
  gboolean renew_value = FALSE;
  TdAccountList *list;
  TdTokenManager *manager;
  TdProvider *provider;
  const char *vendor;
  g_autofree char *name = NULL;
  int status;
  const GOptionEntry entries[] = {
    { "username", 'u', 0, G_OPTION_ARG_STRING, &username,
      N_("The username (Logware: the login) at the vendor"), N_("USER") },
    { "endpoint", 'e', 0, G_OPTION_ARG_STRING, &endpoint,
      N_("An endpoint preset (see “tokendesk vendors”) or a base URL; Senmo needs one"),
      N_("PRESET|URL") },
    { "remember-password", 0, 0, G_OPTION_ARG_NONE, &remember_password,
      N_("Keep the password in the keyring to renew without asking "
         "(vendors without refresh tokens)"), NULL },
    { "hand-out", 0, 0, G_OPTION_ARG_STRING, &hand_out,
      N_("Senmo: which token “token” prints, “id” (default) or “access”"), N_("id|access") },
    { "admin-token", 0, 0, G_OPTION_ARG_NONE, &admin_token,
      N_("Couchdrop: keep an administrative token read from standard input instead "
         "of signing in"), NULL },
    { "renew-automatically", 0, 0, G_OPTION_ARG_STRING, &renew,
      N_("Whether the app renews the token before it expires instead of warning; the "
         "default is “on” except for Cover Whale, whose renewal revokes tokens already "
         "copied"), N_("on|off") },
    { NULL }
  };

  context = td_cli_option_context_new (cli, _("VENDOR NAME"),
                                       _("Add an account named NAME and sign in at once, with "
                                         "the password read from standard input. The account "
                                         "is saved only when the sign-in succeeds."),
                                       _("Examples:\n"
                                         "  tokendesk add coverwhale work --username alice "
                                         "--endpoint sandbox\n"
                                         "  tokendesk add senmo lab --username bob "
                                         "--endpoint https://senmo.example.com\n"
                                         "  tokendesk add couchdrop files --admin-token "
                                         "< admin-token.txt"));
  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  if (!td_cli_parse (cli, context, &argc, &argv, 2, &status))
    return status;

  vendor = argv[1];
  name = g_strstrip (g_strdup (argv[2]));

  provider = td_provider_get_for_vendor (vendor);
  if (provider == NULL)
    {
      g_autoptr(GString) known = g_string_new (NULL);

      for (const GList *l = td_provider_get_all (); l; l = l->next)
        g_string_append_printf (known, "%s%s", known->len ? ", " : "",
                                td_provider_get_vendor_id (l->data));
      return td_cli_usage_error (cli, _("unknown vendor “%s”; known: %s"), vendor, known->str);
    }

  if (*name == '\0')
    return td_cli_usage_error (cli, "%s", _("the account name is empty"));
  /* Before anything is asked or stored: a name that is not UTF-8 cannot
   * be written to the account file, and one with control or bidi
   * characters would let `list` show something else than it is. */
  if (!td_account_name_check (name, &error))
    return td_cli_usage_error (cli, "%s", error->message);

  if (admin_token)
    {
      if (!td_provider_has_feature (provider, TD_PROVIDER_FEATURE_ADMIN_TOKEN))
        return td_cli_usage_error (cli, _("%s has no administrative tokens"),
                                   td_provider_get_display_name (provider));
      if (remember_password)
        return td_cli_usage_error (cli, "%s",
                                   _("--remember-password does not go with --admin-token"));
    }
  else if (username == NULL || *g_strstrip (username) == '\0')
    return td_cli_usage_error (cli, "%s", _("--username is required"));

  if (hand_out != NULL &&
      !td_cli_parse_hand_out (cli, provider, hand_out, &hand_out_value, &status))
    return status;

  if (renew != NULL && !td_cli_parse_renew (cli, renew, &renew_value, &status))
    return status;

  if (endpoint != NULL)
    g_strstrip (endpoint);

  if ((endpoint == NULL || *endpoint == '\0') &&
      td_provider_has_feature (provider, TD_PROVIDER_FEATURE_REQUIRES_ENDPOINT))
    return td_cli_usage_error (cli, _("%s has no public address: give yours with --endpoint URL"),
                               td_provider_get_display_name (provider));

  /* Catch a typo in a preset name or an http:// URL before asking for a
   * password. */
  base_url = td_provider_resolve_base_url (provider, endpoint, &error);
  if (base_url == NULL)
    return td_cli_usage_error (cli, "%s", error->message);

  if (!(list = td_cli_get_list (cli, &status)))
    return status;

  if (td_account_list_find_by_name (list, name) != NULL)
    return td_cli_usage_error (cli, _("there is already an account named “%s”"), name);

  account = td_account_new (NULL, td_provider_get_vendor_id (provider));
  td_account_set_display_name (account, name);
  td_account_set_username (account, username);
  td_account_set_endpoint (account, endpoint && *endpoint ? endpoint : NULL);
  td_account_set_hand_out (account, hand_out_value);
  td_account_set_remember_password (account, remember_password);
  td_account_set_admin_token (account, admin_token);
  td_account_set_renew_automatically (account,
                                      renew != NULL ? renew_value
                                                    : td_provider_renews_freely (provider, account));
  who = td_cli_describe_account (account);

  if (!td_cli_check_keyring (cli, account, &status))
    return status;

  if (admin_token)
    prompt = g_strdup_printf (_("Administrative token for %s: "), who);
  else
    prompt = g_strdup_printf (_("Password for %s at %s: "), username,
                              td_provider_get_display_name (provider));

  secret = td_cli_read_secret (prompt, &error);
  if (secret == NULL)
    return td_cli_fail (cli, account, error);

  manager = td_cli_get_manager (cli);

  if (admin_token)
    {
      td_token_manager_set_admin_token_async (manager, account, secret, NULL,
                                              td_cli_ready_cb, cli);
      td_token_manager_set_admin_token_finish (manager, td_cli_wait (cli), &error);
    }
  else
    {
      td_token_manager_sign_in_async (manager, account, secret, NULL, NULL,
                                      td_cli_ready_cb, cli);
      td_token_manager_sign_in_finish (manager, td_cli_wait (cli), &error);
    }

  if (error == NULL)
    td_cli_edit_list (cli, account, TRUE, &error);

  if (error != NULL)
    {
      status = td_cli_fail (cli, account, error);
      forget_secrets (cli, account);
      return status;
    }

  if (admin_token)
    printf (_("Added %s with its administrative token\n"), who);
  else
    printf (_("Added %s and signed in as %s\n"), who, username);

  return TD_CLI_EXIT_OK;
}

/* login ------------------------------------------------------------------ */

int
td_cli_login (TdCli  *cli,
              int     argc,
              char  **argv)
{
  g_autoptr(GOptionContext) context = NULL;
  g_autoptr(GError) error = NULL;
  g_auto(TdSecret) secret = NULL;
  g_autofree char *prompt = NULL;
  g_autofree char *who = NULL;
  TdTokenManager *manager;
  TdProvider *provider;
  TdAccount *account;
  int status;

  context = td_cli_option_context_new (cli, _("NAME"),
                                       _("Sign in to account NAME again with the password read "
                                         "from standard input (for an administrative-token "
                                         "account: the new token). A remembered password is "
                                         "updated."),
                                       _("Example:\n  tokendesk login work < password.txt"));
  if (!td_cli_parse (cli, context, &argc, &argv, 1, &status))
    return status;

  if (!(account = td_cli_find_account (cli, argv[1], &status)) ||
      !(provider = td_cli_get_provider (cli, account, &status)))
    return status;

  if (!td_cli_check_keyring (cli, account, &status))
    return status;

  who = td_cli_describe_account (account);
  if (td_account_get_admin_token (account))
    prompt = g_strdup_printf (_("Administrative token for %s: "), who);
  else
    prompt = g_strdup_printf (_("Password for %s at %s: "), td_account_get_username (account),
                              td_provider_get_display_name (provider));

  secret = td_cli_read_secret (prompt, &error);
  if (secret == NULL)
    return td_cli_fail (cli, account, error);

  manager = td_cli_get_manager (cli);

  if (td_account_get_admin_token (account))
    {
      td_token_manager_set_admin_token_async (manager, account, secret, NULL,
                                              td_cli_ready_cb, cli);
      if (!td_token_manager_set_admin_token_finish (manager, td_cli_wait (cli), &error))
        return td_cli_fail (cli, account, error);
    }
  else
    {
      td_token_manager_sign_in_async (manager, account, secret, NULL, NULL,
                                      td_cli_ready_cb, cli);
      if (!td_token_manager_sign_in_finish (manager, td_cli_wait (cli), &error))
        return td_cli_fail (cli, account, error);
    }

  printf (_("Signed in to %s\n"), who);
  return TD_CLI_EXIT_OK;
}

/* list ------------------------------------------------------------------- */

static char *
format_expiry (gint64 expires_at)
{
  g_autoptr(GDateTime) date_time = NULL;

  if (expires_at <= 0 || expires_at == TD_EXPIRES_NEVER)
    return NULL;

  date_time = g_date_time_new_from_unix_utc (expires_at);
  if (date_time == NULL)
    return NULL;

  return g_date_time_format (date_time, "%Y-%m-%dT%H:%M:%SZ");
}

int
td_cli_list (TdCli  *cli,
             int     argc,
             char  **argv)
{
  g_autoptr(GOptionContext) context = NULL;
  g_autoptr(GError) keyring_error = NULL;
  g_autoptr(GPtrArray) states = g_ptr_array_new ();
  TdTokenManager *manager;
  TdAccountList *list;
  gboolean json = FALSE;
  guint n_accounts;
  int status;
  const GOptionEntry entries[] = {
    { "json", 0, 0, G_OPTION_ARG_NONE, &json,
      N_("Print a JSON array of {name, vendor, username, endpoint, state, expires_at}"), NULL },
    { NULL }
  };

  context = td_cli_option_context_new (cli, NULL,
                                       _("List the accounts with their state (signed-out, "
                                         "signed-in, expiring, expired, needs-sign-in, error) "
                                         "and when their token expires, in UTC. Never prints a "
                                         "secret. The state comes from the keyring: without "
                                         "one it is “unknown” and the exit status 4."),
                                       _("Example:\n  tokendesk list --json"));
  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  if (!td_cli_parse (cli, context, &argc, &argv, 0, &status))
    return status;

  if (!(list = td_cli_get_list (cli, &status)))
    return status;

  manager = td_cli_get_manager (cli);
  n_accounts = g_list_model_get_n_items (G_LIST_MODEL (list));

  /* One keyring search for every account, not one per account. */
  if (n_accounts > 0)
    {
      td_token_manager_load_all_async (manager, G_LIST_MODEL (list), NULL, td_cli_ready_cb, cli);
      td_token_manager_load_all_finish (manager, td_cli_wait (cli), &keyring_error);
    }

  for (guint i = 0; i < n_accounts; i++)
    {
      g_autoptr(TdAccount) account = g_list_model_get_item (G_LIST_MODEL (list), i);
      const char *state = "unknown";

      /* Only the keyring fails a load of every account; without it, no
       * state is known. */
      if (keyring_error == NULL)
        state = td_account_state_to_string (td_account_get_state (account));

      g_ptr_array_add (states, (gpointer) state);
    }

  if (json)
    {
      g_autoptr(JsonBuilder) builder = json_builder_new ();

      json_builder_begin_array (builder);
      for (guint i = 0; i < n_accounts; i++)
        {
          g_autoptr(TdAccount) account = g_list_model_get_item (G_LIST_MODEL (list), i);
          g_autofree char *expires = format_expiry (td_account_get_expires_at (account));

          json_builder_begin_object (builder);
          json_builder_set_member_name (builder, "name");
          json_builder_add_string_value (builder, td_account_get_display_name (account));
          json_builder_set_member_name (builder, "vendor");
          json_builder_add_string_value (builder, td_account_get_vendor (account));
          json_builder_set_member_name (builder, "username");
          if (td_account_get_username (account))
            json_builder_add_string_value (builder, td_account_get_username (account));
          else
            json_builder_add_null_value (builder);
          json_builder_set_member_name (builder, "endpoint");
          if (td_account_get_endpoint (account))
            json_builder_add_string_value (builder, td_account_get_endpoint (account));
          else
            json_builder_add_null_value (builder);
          json_builder_set_member_name (builder, "state");
          json_builder_add_string_value (builder, g_ptr_array_index (states, i));
          json_builder_set_member_name (builder, "expires_at");
          if (expires)
            json_builder_add_string_value (builder, expires);
          else
            json_builder_add_null_value (builder);
          json_builder_end_object (builder);
        }
      json_builder_end_array (builder);

      print_json (builder);
    }
  else if (n_accounts == 0)
    {
      fprintf (stderr, "%s\n", _("No accounts yet: add one with “tokendesk add”."));
    }
  else
    {
      /* TRANSLATORS: column headings of `tokendesk list` */
      printf ("%-20s %-12s %-20s %-14s %s\n",
              _("NAME"), _("VENDOR"), _("USERNAME"), _("STATE"), _("EXPIRES (UTC)"));

      for (guint i = 0; i < n_accounts; i++)
        {
          g_autoptr(TdAccount) account = g_list_model_get_item (G_LIST_MODEL (list), i);
          g_autofree char *expires = format_expiry (td_account_get_expires_at (account));
          const char *username = td_account_get_username (account);
          /* For a terminal: a control or bidi character in a name from an
           * older file would let one line pass for another. --json has
           * the names as they are. */
          g_autofree char *name = NULL;
          g_autofree char *shown_username = NULL;

          name = td_account_name_dup_printable (td_account_get_display_name (account));
          shown_username = td_account_name_dup_printable (username ? username : "-");
          printf ("%-20s %-12s %-20s %-14s %s\n",
                  name,
                  td_account_get_vendor (account),
                  shown_username,
                  (const char *) g_ptr_array_index (states, i),
                  expires ? expires
                          : td_account_get_expires_at (account) == TD_EXPIRES_NEVER
                              ? _("never") : "-");
        }
    }

  if (keyring_error != NULL)
    return td_cli_fail (cli, NULL, keyring_error);

  return TD_CLI_EXIT_OK;
}

/* logout, remove --------------------------------------------------------- */

int
td_cli_logout (TdCli  *cli,
               int     argc,
               char  **argv)
{
  g_autoptr(GOptionContext) context = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *who = NULL;
  TdTokenManager *manager;
  TdAccount *account;
  int status;

  context = td_cli_option_context_new (cli, _("NAME"),
                                       _("Sign out of account NAME: its tokens leave the "
                                         "keyring; the account and a remembered password stay."),
                                       _("Example:\n  tokendesk logout work"));
  if (!td_cli_parse (cli, context, &argc, &argv, 1, &status))
    return status;

  if (!(account = td_cli_find_account (cli, argv[1], &status)))
    return status;

  manager = td_cli_get_manager (cli);
  td_token_manager_sign_out_async (manager, account, FALSE, NULL, td_cli_ready_cb, cli);
  if (!td_token_manager_sign_out_finish (manager, td_cli_wait (cli), &error))
    return td_cli_fail (cli, account, error);

  who = td_cli_describe_account (account);
  printf (_("Signed out of %s\n"), who);
  return TD_CLI_EXIT_OK;
}

int
td_cli_remove (TdCli  *cli,
               int     argc,
               char  **argv)
{
  g_autoptr(GOptionContext) context = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(TdAccount) account = NULL;
  g_autofree char *who = NULL;
  TdTokenManager *manager;
  int status;

  context = td_cli_option_context_new (cli, _("NAME"),
                                       _("Remove account NAME and every secret it had in the "
                                         "keyring. When the keyring cannot be reached the "
                                         "account is kept, so that nothing is left behind."),
                                       _("Example:\n  tokendesk remove work"));
  if (!td_cli_parse (cli, context, &argc, &argv, 1, &status))
    return status;

  account = td_cli_find_account (cli, argv[1], &status);
  if (account == NULL)
    return status;
  g_object_ref (account);

  /* The secrets first: an account whose secrets could not be removed
   * stays listed, so that the removal can be retried. */
  manager = td_cli_get_manager (cli);
  td_token_manager_sign_out_async (manager, account, TRUE, NULL, td_cli_ready_cb, cli);
  if (!td_token_manager_sign_out_finish (manager, td_cli_wait (cli), &error))
    return td_cli_fail (cli, account, error);

  if (!td_cli_edit_list (cli, account, FALSE, &error))
    return td_cli_fail (cli, account, error);

  who = td_cli_describe_account (account);
  printf (_("Removed %s and its secrets\n"), who);
  return TD_CLI_EXIT_OK;
}
