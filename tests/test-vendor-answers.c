/* test-vendor-answers.c: answers no simulator sends, read as every vendor reads them
 *
 * td_vendor_read_answer() is given the answer directly: JSON that
 * escapes a lone surrogate ("\ud800"), which json-glib decodes to bytes
 * that are not UTF-8. tests/fuzz/ found them; nothing a vendor says may
 * reach a message or a token as anything but text.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <string.h>

#include "td-test-util.h"
#include "td-vendor-util.h"

static const char * const vendors[] = TD_TEST_VENDORS;

/* What the HTTP client makes of an answer (finish_response). */
static TdHttpResponse *
make_response (guint       status,
               const char *body)
{
  TdHttpResponse *response = g_new0 (TdHttpResponse, 1);
  g_autoptr(JsonParser) parser = json_parser_new_immutable ();

  response->status = status;
  response->retry_after = -1;
  response->content_type = g_strdup ("application/json");
  response->body = g_bytes_new (body, strlen (body));
  g_assert_true (json_parser_load_from_data (parser, body, -1, NULL));
  response->json = json_node_copy (json_parser_get_root (parser));

  return response;
}

static GError *
read_answer (const char *vendor,
             guint       status,
             const char *body,
             TdTokens  **out_tokens)
{
  TdProvider *provider = td_test_provider (vendor);
  g_autoptr(TdAccount) account = td_account_new (NULL, vendor);
  g_autoptr(TdHttpResponse) response = make_response (status, body);
  const TdVendorCall *call = td_vendor_get_described_call (provider, FALSE);
  g_autoptr(TdTokens) tokens = NULL;
  GError *error = NULL;

  td_account_set_display_name (account, "Test");
  td_account_set_username (account, "alice");

  if (td_vendor_read_answer (provider, account, call, response, &tokens, &error))
    g_assert_no_error (error);
  else
    g_assert_nonnull (error);

  if (out_tokens != NULL)
    *out_tokens = g_steal_pointer (&tokens);
  return error;
}

/* Every place each vendor looks for its words, one of them broken. */
static void
test_error_text (void)
{
  const char *body = "{\"Error\":\"bad\\ud800 thing\",\"error\":\"bad\\ud800 thing\","
                     "\"message\":\"bad\\ud800 thing\",\"statusMessage\":\"bad\\ud800 thing\"}";
  const guint statuses[] = { 400, 401, 403, 418, 500 };

  for (guint v = 0; v < G_N_ELEMENTS (vendors); v++)
    for (guint s = 0; s < G_N_ELEMENTS (statuses); s++)
      {
        g_autoptr(GError) error = read_answer (vendors[v], statuses[s], body, NULL);

        g_test_message ("%s, HTTP %u: %s", vendors[v], statuses[s], error->message);
        g_assert_true (error->domain == TD_ERROR);
        g_assert_true (g_utf8_validate (error->message, -1, NULL));
        /* The vendor's words are kept, the broken piece replaced (by
         * U+FFFD; json-glib also eats the character after it). */
        if (strstr (error->message, "bad") != NULL)
          {
            g_assert_nonnull (strstr (error->message, "bad\xef\xbf\xbd"));
            g_assert_nonnull (strstr (error->message, "thing"));
          }
      }
}

/* A token that is not text is no token. Couchdrop's is opaque, so
 * nothing else would refuse it. (json-glib takes the character after a
 * lone high surrogate for the start of its pair: hence "bc".) */
static void
test_token (void)
{
  const struct
  {
    const char *vendor;
    const char *body;
  } cases[] = {
    { "coverwhale", "{\"AccessToken\":\"a\\ud800bc\",\"ExpiresIn\":3600}" },
    { "couchdrop", "{\"token\":\"opaque\\ud800xy\"}" },
    { "senmo", "{\"tokens\":{\"idToken\":\"a\\ud800bc\",\"accessToken\":\"b\"}}" },
    { "logware", "{\"token\":\"a\\udfffbc\"}" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(TdTokens) tokens = NULL;
      g_autoptr(GError) error = read_answer (cases[i].vendor, 200, cases[i].body, &tokens);

      g_test_message ("%s: %s", cases[i].vendor, error ? error->message : "(no error)");
      g_assert_null (tokens);
      g_assert_error (error, TD_ERROR, TD_ERROR_INVALID_RESPONSE);
      g_assert_true (g_utf8_validate (error->message, -1, NULL));
    }
}

int
main (int   argc,
      char *argv[])
{
  td_test_init (&argc, &argv);

  g_test_add_func ("/vendor-answers/error-text", test_error_text);
  g_test_add_func ("/vendor-answers/token", test_token);

  return g_test_run ();
}
