/* test-jwt.c: decoding the claims of a JWT without trusting it
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <string.h>

#include "td-jwt.h"
#include "td-test-util.h"

#define HEADER "{\"alg\":\"HS256\",\"typ\":\"JWT\"}"

static char *
b64url (const char *data,
        gsize       len,
        gboolean    keep_padding)
{
  char *text = g_base64_encode ((const guchar *) data, len);

  for (char *p = text; *p; p++)
    {
      if (*p == '+')
        *p = '-';
      else if (*p == '/')
        *p = '_';
      else if (*p == '=' && !keep_padding)
        {
          *p = '\0';
          break;
        }
    }

  return text;
}

/* header.payload.signature, payload as given (not necessarily JSON). */
static char *
make_token (const char *payload,
            gboolean    keep_padding)
{
  g_autofree char *h = b64url (HEADER, strlen (HEADER), FALSE);
  g_autofree char *p = b64url (payload, strlen (payload), keep_padding);

  return g_strconcat (h, ".", p, ".c2lnbmF0dXJl", NULL);
}

static void
test_decode (void)
{
  g_autofree char *token = make_token ("{\"sub\":\"alice\",\"exp\":1900000000}", FALSE);
  g_autoptr(JsonObject) claims = NULL;
  g_autoptr(GError) error = NULL;
  gint64 exp = 0;

  claims = td_jwt_decode_claims (token, &error);
  g_assert_no_error (error);
  g_assert_nonnull (claims);
  g_assert_cmpstr (json_object_get_string_member (claims, "sub"), ==, "alice");

  g_assert_true (td_jwt_get_expiry (token, &exp, &error));
  g_assert_no_error (error);
  g_assert_cmpint (exp, ==, 1900000000);
  g_assert_true (td_jwt_looks_like_jwt (token));
}

/* base64url drops the padding; every remainder must decode. */
static void
test_missing_padding (void)
{
  static const char * const payloads[] = {
    "{\"exp\":1900000000}",     /* 18 bytes: remainder 0 */
    "{\"exp\":1900000000 }",    /* 19 bytes: two '=' dropped */
    "{\"exp\":1900000000  }",   /* 20 bytes: one '=' dropped */
    "{\"exp\":1900000000,\"a\":\"\xc3\xa9\xff?\"}", /* not UTF-8: must fail */
  };

  for (guint i = 0; i < 3; i++)
    {
      g_autofree char *bare = make_token (payloads[i], FALSE);
      g_autofree char *padded = make_token (payloads[i], TRUE);
      g_autoptr(GError) error = NULL;
      gint64 exp = 0;

      g_assert_null (strchr (bare, '='));
      g_assert_true (td_jwt_get_expiry (bare, &exp, &error));
      g_assert_no_error (error);
      g_assert_cmpint (exp, ==, 1900000000);

      /* Some issuers keep the padding: tolerated. */
      exp = 0;
      g_assert_true (td_jwt_get_expiry (padded, &exp, &error));
      g_assert_no_error (error);
      g_assert_cmpint (exp, ==, 1900000000);
    }

  {
    g_autofree char *token = make_token (payloads[3], FALSE);
    g_autoptr(GError) error = NULL;

    g_assert_null (td_jwt_decode_claims (token, &error));
    g_assert_error (error, TD_ERROR, TD_ERROR_INVALID_RESPONSE);
  }
}

static void
test_garbage (void)
{
  g_autofree char *good_header = b64url (HEADER, strlen (HEADER), FALSE);
  g_autofree char *not_json = make_token ("this is not json", FALSE);
  g_autofree char *empty_payload = g_strconcat (good_header, "..c2ln", NULL);
  g_autofree char *bad_chars = g_strconcat (good_header, ".eyJ$ZXhwIjoxfQ.c2ln", NULL);
  g_autofree char *five_chars = g_strconcat (good_header, ".eyJhY.c2ln", NULL);
  const char *cases[] = {
    "", "abc", "not.a-jwt", "a.b.c.d", "..", "a..c", ".b.c", "a.b.", "a b.c d.e f",
    "Bearer eyJ.eyJ.sig", not_json, empty_payload, bad_chars, five_chars,
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(JsonObject) claims = NULL;
      gint64 exp = 42;

      claims = td_jwt_decode_claims (cases[i], &error);
      if (claims != NULL)
        g_error ("“%s” decoded as a JWT", cases[i]);
      g_assert_error (error, TD_ERROR, TD_ERROR_INVALID_RESPONSE);
      g_clear_error (&error);

      g_assert_false (td_jwt_get_expiry (cases[i], &exp, &error));
      g_assert_error (error, TD_ERROR, TD_ERROR_INVALID_RESPONSE);
      g_assert_cmpint (exp, ==, 42);
      g_assert_false (td_jwt_looks_like_jwt (cases[i]));
    }
}

static void
test_no_exp (void)
{
  g_autofree char *token = make_token ("{\"sub\":\"alice\",\"iat\":1700000000}", FALSE);
  g_autofree char *null_exp = make_token ("{\"exp\":null}", FALSE);
  g_autoptr(JsonObject) claims = NULL;
  g_autoptr(GError) error = NULL;
  gint64 exp = 0;

  /* Still a JWT, just one that does not say when it expires. */
  claims = td_jwt_decode_claims (token, &error);
  g_assert_no_error (error);
  g_assert_nonnull (claims);
  g_assert_true (td_jwt_looks_like_jwt (token));

  g_assert_false (td_jwt_get_expiry (token, &exp, &error));
  g_assert_error (error, TD_ERROR, TD_ERROR_INVALID_RESPONSE);
  g_assert_nonnull (strstr (error->message, "expire"));
  g_clear_error (&error);

  g_assert_false (td_jwt_get_expiry (null_exp, &exp, &error));
  g_assert_error (error, TD_ERROR, TD_ERROR_INVALID_RESPONSE);
}

static void
test_exp_types (void)
{
  struct {
    const char *payload;
    gboolean ok;
    gint64 exp;
  } cases[] = {
    { "{\"exp\":1900000000.75}", TRUE, 1900000000 },
    { "{\"exp\":1.9e9}", TRUE, 1900000000 },
    { "{\"exp\":\"1900000000\"}", FALSE, 0 },   /* NumericDate is a number */
    { "{\"exp\":true}", FALSE, 0 },
    { "{\"exp\":[1900000000]}", FALSE, 0 },
    { "{\"exp\":{\"at\":1900000000}}", FALSE, 0 },
    { "{\"exp\":-5}", FALSE, 0 },
    { "{\"exp\":0}", FALSE, 0 },
    { "{\"exp\":1e300}", FALSE, 0 },
    { "{\"exp\":99999999999999999999}", FALSE, 0 },
    /* The last second GDateTime can show, and the first it cannot: past
     * it a token is not "never expiring", it is an invalid answer. */
    { "{\"exp\":253402300799}", TRUE, G_GINT64_CONSTANT (253402300799) },
    { "{\"exp\":253402300800}", FALSE, 0 },
    { "{\"exp\":253402300800.0}", FALSE, 0 },
    { "{\"exp\":1099511627776}", FALSE, 0 },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *token = make_token (cases[i].payload, FALSE);
      g_autoptr(GError) error = NULL;
      gint64 exp = 0;
      gboolean ok;

      ok = td_jwt_get_expiry (token, &exp, &error);
      if (ok != cases[i].ok)
        g_error ("%s: expected %s", cases[i].payload, cases[i].ok ? "an expiry" : "an error");
      if (ok)
        g_assert_cmpint (exp, ==, cases[i].exp);
      else
        g_assert_error (error, TD_ERROR, TD_ERROR_INVALID_RESPONSE);
    }
}

static void
test_non_object_payload (void)
{
  const char *payloads[] = { "[1,2,3]", "\"alice\"", "1900000000", "null", "true" };

  for (guint i = 0; i < G_N_ELEMENTS (payloads); i++)
    {
      g_autofree char *token = make_token (payloads[i], FALSE);
      g_autoptr(GError) error = NULL;
      g_autoptr(JsonObject) claims = NULL;

      claims = td_jwt_decode_claims (token, &error);
      g_assert_null (claims);
      g_assert_error (error, TD_ERROR, TD_ERROR_INVALID_RESPONSE);
    }
}

static void
test_huge (void)
{
  g_autoptr(GString) payload = g_string_new ("{\"exp\":1900000000,\"pad\":\"");
  g_autofree char *token = NULL;
  g_autoptr(GError) error = NULL;
  gint64 exp = 0;

  for (guint i = 0; i < 200 * 1024; i++)
    g_string_append_c (payload, 'x');
  g_string_append (payload, "\"}");
  token = make_token (payload->str, FALSE);

  /* Well-formed, but far beyond any real token: refused unread. */
  g_assert_false (td_jwt_get_expiry (token, &exp, &error));
  g_assert_error (error, TD_ERROR, TD_ERROR_INVALID_RESPONSE);
  g_clear_error (&error);

  /* A long run of dots and base64 characters without structure. */
  g_clear_pointer (&token, g_free);
  token = g_strnfill (1024 * 1024, '.');
  g_assert_false (td_jwt_get_expiry (token, &exp, &error));
  g_assert_error (error, TD_ERROR, TD_ERROR_INVALID_RESPONSE);
}

int
main (int   argc,
      char *argv[])
{
  td_test_init (&argc, &argv);

  g_test_add_func ("/jwt/decode", test_decode);
  g_test_add_func ("/jwt/missing-padding", test_missing_padding);
  g_test_add_func ("/jwt/garbage", test_garbage);
  g_test_add_func ("/jwt/no-exp", test_no_exp);
  g_test_add_func ("/jwt/exp-types", test_exp_types);
  g_test_add_func ("/jwt/non-object-payload", test_non_object_payload);
  g_test_add_func ("/jwt/huge", test_huge);

  return g_test_run ();
}
