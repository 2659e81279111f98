/* fuzz-jwt.c: td_jwt_decode_claims() and td_jwt_get_expiry() on any token
 *
 * The first byte picks how the rest is read. Even: the rest is the token,
 * as a vendor would send it. Odd: the rest is the claims, which the
 * harness encodes as the payload of a token, so that mutations reach the
 * JSON and the exp checks instead of dying in base64.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <string.h>

#include "td-error.h"
#include "td-fuzz.h"
#include "td-jwt.h"

/* The limits td-jwt.c documents for an exp. */
#define MIN_EXP G_GINT64_CONSTANT (1000000000)
#define MAX_EXP (((gint64) G_MAXINT32) * 512)

static char *
encode_base64url (const guint8 *data,
                  gsize         len)
{
  char *text = g_base64_encode (data, len);

  for (char *p = text; *p; p++)
    {
      if (*p == '+')
        *p = '-';
      else if (*p == '/')
        *p = '_';
      else if (*p == '=')
        {
          *p = '\0';
          break;
        }
    }

  return text;
}

static char *
make_token (const guint8 *data,
            gsize         size)
{
  g_autofree char *payload = NULL;

  if ((data[0] & 1) == 0)
    return g_strndup ((const char *) data + 1, size - 1);

  payload = encode_base64url (data + 1, size - 1);
  return g_strconcat ("eyJhbGciOiJIUzI1NiJ9.", payload, ".c2ln", NULL);
}

int
LLVMFuzzerInitialize (int    *argc,
                      char ***argv)
{
  td_fuzz_init ();
  return 0;
}

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  g_autofree char *token = NULL;
  g_autoptr(JsonObject) claims = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GError) exp_error = NULL;
  gint64 exp = 0;
  gboolean has_exp;

  if (size == 0)
    return 0;

  token = make_token (data, size);

  claims = td_jwt_decode_claims (token, &error);
  /* Claims or an error, never both or neither; always the same error. */
  g_assert_true ((claims == NULL) != (error == NULL));
  if (error != NULL)
    g_assert_error (error, TD_ERROR, TD_ERROR_INVALID_RESPONSE);

  g_assert_true (td_jwt_looks_like_jwt (token) == (claims != NULL));

  has_exp = td_jwt_get_expiry (token, &exp, &exp_error);
  g_assert_true (has_exp != (exp_error != NULL));
  if (has_exp)
    {
      g_assert_nonnull (claims);
      g_assert_true (json_object_has_member (claims, "exp"));
      g_assert_cmpint (exp, >=, MIN_EXP);
      g_assert_cmpint (exp, <=, MAX_EXP);
    }
  else
    {
      g_assert_error (exp_error, TD_ERROR, TD_ERROR_INVALID_RESPONSE);
    }

  return 0;
}
