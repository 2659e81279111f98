/* test-secret.c: the helpers that keep secrets from lingering in memory
 *
 * What they write must be what the library functions they replace would
 * have written: a request body the vendor reads, a line the shell evals.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <string.h>

#include "td-secret.h"

static char *
generate (JsonNode *node)
{
  g_autoptr(JsonGenerator) generator = json_generator_new ();

  json_generator_set_root (generator, node);
  return json_generator_to_data (generator, NULL);
}

static JsonNode *
parse (const char *text)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;

  json_parser_load_from_data (parser, text, -1, &error);
  g_assert_no_error (error);

  return json_node_copy (json_parser_get_root (parser));
}

static void
test_json_to_string (void)
{
  const char *texts[] = {
    "{}",
    "[]",
    "{\"username\":\"alice\",\"password\":\"p\\\"w\\\\d\\n\\t\\r\\b\\f é ☃\"}",
    "{\"password\":\"\\u0001\\u001f\"}",
    "{\"a\":[1,-2,3.5,true,false,null,\"x\"],\"b\":{\"c\":{\"d\":[]}},\"e\":9007199254740993}",
    "\"just a string\"",
    "[0.1,1e+300,-2.5e-7]",
  };

  for (guint i = 0; i < G_N_ELEMENTS (texts); i++)
    {
      g_autoptr(JsonNode) node = parse (texts[i]);
      g_autofree char *expected = generate (node);
      g_autofree char *ours = NULL;
      g_autoptr(JsonNode) reparsed = NULL;
      gsize length = 0;

      ours = td_secret_json_to_string (node, &length);
      g_assert_cmpuint (length, ==, strlen (ours));

      /* The same text as JsonGenerator, and the same tree once read. Not
       * for doubles (its digits differ) nor control characters (json-glib
       * 1.6 writes U+001F raw, which is not JSON). */
      if (strchr (texts[i], '.') == NULL && strstr (texts[i], "\\u00") == NULL)
        g_assert_cmpstr (ours, ==, expected);
      reparsed = parse (ours);
      g_assert_true (json_node_equal (node, reparsed));
    }
}

static void
test_json_wipe (void)
{
  g_autoptr(JsonNode) node = parse ("{\"token\":\"secret-token\",\"list\":[\"secret-two\",4],"
                                    "\"nested\":{\"refresh\":\"secret-three\"}}");
  JsonObject *object = json_node_get_object (node);
  const char *token = json_object_get_string_member (object, "token");
  const char *two = json_array_get_string_element (json_object_get_array_member (object, "list"), 0);
  const char *three = json_object_get_string_member (json_object_get_object_member (object, "nested"),
                                                     "refresh");

  td_secret_json_wipe (node);

  /* Overwritten where they lie: the strings are empty, the shape stays. */
  g_assert_cmpstr (token, ==, "");
  g_assert_cmpstr (two, ==, "");
  g_assert_cmpstr (three, ==, "");
  g_assert_cmpint (json_array_get_int_element (json_object_get_array_member (object, "list"), 1),
                   ==, 4);
}

static void
test_shell_quote (void)
{
  const char *texts[] = { "", "abc", "Authorization: Bearer a.b-c_d", "it's", "''", "a'b'c", "$(x) `y` \\" };

  for (guint i = 0; i < G_N_ELEMENTS (texts); i++)
    {
      g_autofree char *expected = g_shell_quote (texts[i]);
      g_autofree char *ours = td_secret_shell_quote (texts[i]);
      g_autofree char *unquoted = g_shell_unquote (ours, NULL);

      g_assert_cmpstr (ours, ==, expected);
      g_assert_cmpstr (unquoted, ==, texts[i]);
    }
}

static void
test_concat (void)
{
  g_auto(TdSecret) joined = td_secret_concat ("AccessToken", ": ", "", "eyJ.x.y", NULL);
  g_auto(TdSecret) empty = td_secret_concat ("", NULL);

  g_assert_cmpstr (joined, ==, "AccessToken: eyJ.x.y");
  g_assert_cmpstr (empty, ==, "");
}

static void
test_bytes (void)
{
  char *data = g_strdup ("a refresh token");
  g_autoptr(GBytes) bytes = td_secret_bytes_new_take (data, strlen (data));
  gsize size;

  /* Taken, not copied. */
  g_assert_true (g_bytes_get_data (bytes, &size) == data);
  g_assert_cmpuint (size, ==, strlen ("a refresh token"));
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/secret/json-to-string", test_json_to_string);
  g_test_add_func ("/secret/json-wipe", test_json_wipe);
  g_test_add_func ("/secret/shell-quote", test_shell_quote);
  g_test_add_func ("/secret/concat", test_concat);
  g_test_add_func ("/secret/bytes", test_bytes);

  return g_test_run ();
}
