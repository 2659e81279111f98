/* test-account-export.c: account definitions to JSON and back
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <json-glib/json-glib.h>
#include <string.h>

#include "td-account-export.h"
#include "td-error.h"
#include "td-test-account.h"
#include "td-test-util.h"
#include "td-vendors.h"

static TdAccount *
new_account (const char *vendor,
             const char *name,
             const char *username)
{
  TdAccount *account = td_account_new (NULL, vendor);

  td_account_set_display_name (account, name);
  td_account_set_username (account, username);
  return account;
}

static GPtrArray *
parse_text (const char  *text,
            GError     **error)
{
  g_autoptr(GBytes) bytes = g_bytes_new (text, strlen (text));

  return td_account_export_parse (bytes, "accounts.json", error);
}

static TdAccountList *
new_list (void)
{
  /* Never saved: only the list in memory is looked at. */
  g_autoptr(GFile) file = g_file_new_for_path ("/nonexistent/td-test-export/accounts.ini");

  return td_account_list_new_for_file (file);
}

/* Every setting of every vendor survives the trip; ids are new; no
 * secret of any kind is in the text, though every account has some. */
static void
test_round_trip (void)
{
  g_autoptr(GPtrArray) accounts = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(GPtrArray) parsed = NULL;
  g_autoptr(GBytes) bytes = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *text = NULL;
  const char *secrets[] = {
    "access-secret-4f1a", "id-secret-88c2", "refresh-secret-17de",
  };
  TdAccount *account;

  account = new_account ("coverwhale", "Work", "alice");
  td_account_set_endpoint (account, "sandbox");
  td_account_set_renew_automatically (account, FALSE);
  g_ptr_array_add (accounts, account);

  account = new_account ("senmo", "Lab", "bob");
  td_account_set_endpoint (account, "https://senmo.example.com");
  td_account_set_hand_out (account, TD_HAND_OUT_ACCESS_TOKEN);
  td_account_set_renew_automatically (account, TRUE);
  g_ptr_array_add (accounts, account);

  account = new_account ("logware", "Logs", "carol");
  td_account_set_remember_password (account, TRUE);
  td_account_set_renew_automatically (account, FALSE);
  g_ptr_array_add (accounts, account);

  account = new_account ("couchdrop", "Files", "dave");
  td_account_set_assumed_lifetime (account, 7200);
  g_ptr_array_add (accounts, account);

  account = new_account ("couchdrop", "Admin", NULL);
  td_account_set_admin_token (account, TRUE);
  g_ptr_array_add (accounts, account);

  for (guint i = 0; i < accounts->len; i++)
    {
      g_autoptr(TdTokens) tokens = td_tokens_new ();

      tokens->access_token = g_strdup (secrets[0]);
      tokens->id_token = g_strdup (secrets[1]);
      tokens->refresh_token = g_strdup (secrets[2]);
      tokens->expires_at = g_get_real_time () / G_USEC_PER_SEC + 3600;
      td_account_set_tokens (g_ptr_array_index (accounts, i), tokens);
    }

  bytes = td_account_export_to_bytes (accounts);
  text = g_strndup (g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes));
  g_test_message ("%s", text);

  for (guint i = 0; i < G_N_ELEMENTS (secrets); i++)
    g_assert_null (strstr (text, secrets[i]));
  for (guint i = 0; i < accounts->len; i++)
    g_assert_null (strstr (text, td_account_get_id (g_ptr_array_index (accounts, i))));
  g_assert_true (g_str_has_suffix (text, "}\n"));
  g_assert_nonnull (strstr (text, "\"format\" : \"tokendesk-accounts\""));

  parsed = td_account_export_parse (bytes, "accounts.json", &error);
  g_assert_no_error (error);
  g_assert_cmpuint (parsed->len, ==, accounts->len);

  for (guint i = 0; i < accounts->len; i++)
    {
      TdAccount *a = g_ptr_array_index (accounts, i);
      TdAccount *b = g_ptr_array_index (parsed, i);

      g_assert_cmpstr (td_account_get_id (a), !=, td_account_get_id (b));
      td_test_assert_same_settings (a, b);
      /* Signed out: the secrets stayed on the old machine. */
      g_assert_null (td_account_peek_tokens (b));
      g_assert_cmpint (td_account_get_state (b), ==, TD_ACCOUNT_STATE_SIGNED_OUT);
    }
}

/* Absent optional members take the defaults accounts.ini takes. */
static void
test_defaults (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) parsed =
    parse_text ("{\"format\":\"tokendesk-accounts\",\"version\":1,\"accounts\":["
                "{\"name\":\"  cw  \",\"vendor\":\"coverwhale\",\"username\":\"u\"},"
                "{\"name\":\"lw\",\"vendor\":\"logware\",\"username\":\"u\",\"endpoint\":null,"
                "\"unknown-member\":[1,2]}]}", &error);
  TdAccount *cw, *lw;

  g_assert_no_error (error);
  g_assert_cmpuint (parsed->len, ==, 2);
  cw = g_ptr_array_index (parsed, 0);
  lw = g_ptr_array_index (parsed, 1);

  g_assert_cmpstr (td_account_get_display_name (cw), ==, "cw");
  g_assert_null (td_account_get_endpoint (cw));
  g_assert_cmpint (td_account_get_hand_out (cw), ==, TD_HAND_OUT_ID_TOKEN);
  g_assert_false (td_account_get_remember_password (cw));
  g_assert_cmpuint (td_account_get_assumed_lifetime (cw), ==,
                    TD_ACCOUNT_DEFAULT_ASSUMED_LIFETIME);
  /* What the vendor makes safe: Cover Whale's renewal revokes tokens. */
  g_assert_false (td_account_get_renew_automatically (cw));
  g_assert_cmpstr (td_account_get_username (lw), ==, "u");
}

/* Each file that cannot be used fails whole, saying why and which entry. */
static void
test_invalid (void)
{
  const struct
  {
    const char *text;
    const char *message;
  } cases[] = {
    { "", "empty" },
    /* Blanks parse as JSON with no root at all (found by fuzz-account-export). */
    { " \n", "not a Token Desk account export" },
    { "not json", "accounts.json" },
    { "[]", "not a Token Desk account export" },
    { "{\"format\":\"something-else\",\"version\":1,\"accounts\":[]}",
      "not a Token Desk account export" },
    { "{\"format\":\"tokendesk-accounts\",\"version\":2,\"accounts\":[]}",
      "newer version" },
    { "{\"format\":\"tokendesk-accounts\",\"version\":\"1\",\"accounts\":[]}",
      "“version” is not a whole number" },
    { "{\"format\":\"tokendesk-accounts\",\"version\":0,\"accounts\":[]}", "version" },
    { "{\"format\":\"tokendesk-accounts\",\"version\":1}", "no list of accounts" },
    { "{\"format\":\"tokendesk-accounts\",\"version\":1,\"accounts\":["
      "{\"name\":\"ok\",\"vendor\":\"logware\",\"username\":\"u\"},"
      "{\"vendor\":\"logware\",\"username\":\"u\"}]}",
      "account 2: it has no name" },
    { "{\"format\":\"tokendesk-accounts\",\"version\":1,\"accounts\":["
      "{\"name\":\"Acme\",\"vendor\":\"acme\",\"username\":\"u\"}]}",
      "account 1 (“Acme”): this version of Token Desk does not know the vendor “acme”" },
    { "{\"format\":\"tokendesk-accounts\",\"version\":1,\"accounts\":["
      "{\"name\":\"NoVendor\",\"username\":\"u\"}]}",
      "account 1 (“NoVendor”): it has no vendor" },
    { "{\"format\":\"tokendesk-accounts\",\"version\":1,\"accounts\":["
      "{\"name\":\"x\",\"vendor\":\"logware\"}]}",
      "account 1 (“x”): it has no username" },
    { "{\"format\":\"tokendesk-accounts\",\"version\":1,\"accounts\":[42]}",
      "account 1: it is not an object" },
    { "{\"format\":\"tokendesk-accounts\",\"version\":1,\"accounts\":["
      "{\"name\":\"x\",\"vendor\":\"logware\",\"username\":\"u\",\"remember-password\":\"yes\"}]}",
      "“remember-password” is not true or false" },
    { "{\"format\":\"tokendesk-accounts\",\"version\":1,\"accounts\":["
      "{\"name\":\"x\",\"vendor\":\"logware\",\"username\":\"u\",\"admin-token\":true}]}",
      "Logware has no administrative tokens" },
    { "{\"format\":\"tokendesk-accounts\",\"version\":1,\"accounts\":["
      "{\"name\":\"x\",\"vendor\":\"senmo\",\"username\":\"u\"}]}",
      "account 1 (“x”): Senmo has no public address" },
    { "{\"format\":\"tokendesk-accounts\",\"version\":1,\"accounts\":["
      "{\"name\":\"x\",\"vendor\":\"logware\",\"username\":\"u\","
      "\"endpoint\":\"http://example.com\"}]}",
      "account 1 (“x”)" },
    { "{\"format\":\"tokendesk-accounts\",\"version\":1,\"accounts\":["
      "{\"name\":\"x\",\"vendor\":\"senmo\",\"username\":\"u\","
      "\"endpoint\":\"https://s.example.com\",\"hand-out\":\"refresh\"}]}",
      "unknown hand-out “refresh”" },
    { "{\"format\":\"tokendesk-accounts\",\"version\":1,\"accounts\":["
      "{\"name\":\"x\",\"vendor\":\"couchdrop\",\"username\":\"u\",\"assumed-lifetime\":5}]}",
      "assumed lifetime is out of range" },
    { "{\"format\":\"tokendesk-accounts\",\"version\":1,\"accounts\":["
      "{\"name\":\"Twin\",\"vendor\":\"logware\",\"username\":\"u\"},"
      "{\"name\":\"twin\",\"vendor\":\"logware\",\"username\":\"u\"}]}",
      "two accounts are named “twin”" },
    /* A lone surrogate, and bytes that are not UTF-8: json-glib refuses
     * some, quoting them in its message, and decodes others to bytes that
     * are not UTF-8 (found by fuzz-account-export). */
    { "{\"format\":\"tokendesk-accounts\",\"version\":1,\"accounts\":["
      "{\"name\":\"x\\ud800\",\"vendor\":\"logware\",\"username\":\"u\"}]}",
      "accounts.json" },
    { "{\"format\":\"tokendesk-accounts\",\"version\":1,\"accounts\":["
      "{\"name\":\"x\\ud800yz\",\"username\":\"u\"}]}",
      "account 1: “name” is not valid text" },
    { "{\"format\":\"tokendesk-accounts\",\"version\":1,\"accounts\":["
      "{\"name\":\"x\",\"vendor\":\"logware\",\"username\":\"\\ud800yz\"}]}",
      "account 1 (“x”): “username” is not valid text" },
    { "{\"format\":\"tokendesk-accounts\",\"version\":1,\"accounts\":["
      "{\"name\":\"x\",\"vendor\":\"logware\",\"username\":\"\xff\"}]}",
      "accounts.json" },
    /* Names that would show as another: refused, and named escaped. */
    { "{\"format\":\"tokendesk-accounts\",\"version\":1,\"accounts\":["
      "{\"name\":\"admin\\u202ekrow\",\"vendor\":\"logware\",\"username\":\"u\"}]}",
      "account 1 (“admin\\u202Ekrow”): The account name contains an invisible character (U+202E)" },
    { "{\"format\":\"tokendesk-accounts\",\"version\":1,\"accounts\":["
      "{\"name\":\"two\\nlines\",\"vendor\":\"logware\",\"username\":\"u\"}]}",
      "control character (U+000A)" },
    /* json-glib would cut the name at the NUL: "a" is not what the file says. */
    { "{\"format\":\"tokendesk-accounts\",\"version\":1,\"accounts\":["
      "{\"name\":\"a\\u0000b\",\"vendor\":\"logware\",\"username\":\"u\"}]}",
      "NUL" },
    { "{\"format\":\"tokendesk-accounts\",\"version\":1,\"accounts\":["
      "{\"name\":\"x\",\"vendor\":\"logware\",\"username\":\"u\","
      "\"endpoint\":\"https://u:p@example.com\"}]}",
      "username or password" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(GPtrArray) parsed = parse_text (cases[i].text, &error);

      g_test_message ("case %u: %s", i, error ? error->message : "(no error)");
      g_assert_null (parsed);
      g_assert_error (error, TD_ERROR, TD_ERROR_FAILED);
      g_assert_nonnull (strstr (error->message, "accounts.json"));
      g_assert_true (g_utf8_validate (error->message, -1, NULL));
      if (strstr (error->message, cases[i].message) == NULL)
        g_error ("case %u: expected “%s” in “%s”", i, cases[i].message, error->message);
    }
}

/* Taken names are skipped, or renamed to the first free "Name N". */
static void
test_add_to_list (void)
{
  g_autoptr(TdAccountList) list = new_list ();
  g_autoptr(TdAccount) existing = new_account ("logware", "Work", "u");
  g_autoptr(TdAccount) existing2 = new_account ("logware", "Work 2", "u");
  g_autoptr(GError) error = NULL;
  const char *text =
    "{\"format\":\"tokendesk-accounts\",\"version\":1,\"accounts\":["
    "{\"name\":\"work\",\"vendor\":\"logware\",\"username\":\"a\"},"
    "{\"name\":\"Home\",\"vendor\":\"logware\",\"username\":\"b\"}]}";

  g_assert_true (td_account_list_add (list, existing, &error));
  g_assert_true (td_account_list_add (list, existing2, &error));

  {
    g_autoptr(GPtrArray) parsed = parse_text (text, &error);
    g_autoptr(GPtrArray) skipped = g_ptr_array_new_with_free_func (g_free);
    g_autoptr(GPtrArray) added = NULL;

    g_assert_no_error (error);
    added = td_account_export_add_to_list (list, parsed, FALSE, skipped);
    g_assert_cmpuint (added->len, ==, 1);
    g_assert_cmpstr (td_account_get_display_name (g_ptr_array_index (added, 0)), ==, "Home");
    g_assert_cmpuint (skipped->len, ==, 1);
    g_assert_cmpstr (g_ptr_array_index (skipped, 0), ==, "work");
    g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (list)), ==, 3);
  }

  {
    g_autoptr(GPtrArray) parsed = parse_text (text, &error);
    g_autoptr(GPtrArray) skipped = g_ptr_array_new_with_free_func (g_free);
    g_autoptr(GPtrArray) added = NULL;

    g_assert_no_error (error);
    added = td_account_export_add_to_list (list, parsed, TRUE, skipped);
    g_assert_cmpuint (added->len, ==, 2);
    g_assert_cmpuint (skipped->len, ==, 0);
    /* "Work 2" is taken too. */
    g_assert_cmpstr (td_account_get_display_name (g_ptr_array_index (added, 0)), ==, "work 3");
    g_assert_cmpstr (td_account_get_display_name (g_ptr_array_index (added, 1)), ==, "Home 2");
    g_assert_nonnull (td_account_list_find_by_id (list,
                                                  td_account_get_id (g_ptr_array_index (added,
                                                                                        0))));
    g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (list)), ==, 5);
  }
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  td_vendors_init ();

  g_test_add_func ("/account-export/round-trip", test_round_trip);
  g_test_add_func ("/account-export/defaults", test_defaults);
  g_test_add_func ("/account-export/invalid", test_invalid);
  g_test_add_func ("/account-export/add-to-list", test_add_to_list);

  return g_test_run ();
}
