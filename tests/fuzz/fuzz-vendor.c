/* fuzz-vendor.c: one vendor's answers, read as td_vendor_call_async() reads them
 *
 * Built once per vendor, TD_FUZZ_VENDOR naming it. An input is three bytes
 * of header, then the body the vendor sent:
 *
 *   byte 0  bit 0 set: the answer to a refresh (when the vendor has one),
 *           else to the sign-in
 *   byte 1  the HTTP status, from the table below
 *   byte 2  Retry-After in seconds, 255 for none
 *
 * The body is parsed as JSON the way the HTTP client does it
 * (finish_response in td-http-client.c), then the vendor's dialect and
 * the shared reply path of td-vendor-util.c read it.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include "td-error.h"
#include "td-fuzz.h"
#include "td-provider.h"
#include "td-vendor-util.h"

#ifndef TD_FUZZ_VENDOR
#error "TD_FUZZ_VENDOR names the vendor to fuzz"
#endif

/* What the vendors document, what proxies and gateways add, and a few
 * that nobody sends. */
static const guint statuses[] = {
  200, 201, 202, 204, 299, 301, 302, 304, 400, 401, 403, 404, 405, 409, 418, 422,
  429, 500, 502, 503, 504, 599, 100, 0,
};

static TdProvider *provider;
static TdAccount *account;

int
LLVMFuzzerInitialize (int    *argc,
                      char ***argv)
{
  td_fuzz_init ();

  provider = td_provider_get_for_vendor (TD_FUZZ_VENDOR);
  g_assert_nonnull (provider);

  account = td_account_new ("fuzz-account", TD_FUZZ_VENDOR);
  td_account_set_display_name (account, "Fuzz");
  td_account_set_username (account, "alice");

  return 0;
}

static TdHttpResponse *
make_response (const guint8 *data,
               gsize         size)
{
  TdHttpResponse *response = g_new0 (TdHttpResponse, 1);
  gsize len = size - 3;

  response->status = statuses[data[1] % G_N_ELEMENTS (statuses)];
  response->retry_after = data[2] == 255 ? -1 : data[2];
  response->content_type = g_strdup ("application/json");
  response->body = g_bytes_new (data + 3, len);

  if (len > 0)
    {
      g_autoptr(JsonParser) parser = json_parser_new_immutable ();
      const char *body = g_bytes_get_data (response->body, NULL);

      if (g_utf8_validate (body, len, NULL) &&
          json_parser_load_from_data (parser, body, len, NULL) &&
          json_parser_get_root (parser) != NULL)
        response->json = json_node_copy (json_parser_get_root (parser));
    }

  return response;
}

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  g_autoptr(TdHttpResponse) response = NULL;
  g_autoptr(TdTokens) tokens = NULL;
  g_autoptr(GError) error = NULL;
  const TdVendorCall *call = NULL;
  gboolean ok;

  if (size < 3)
    return 0;

  if (data[0] & 1)
    call = td_vendor_get_described_call (provider, TRUE);
  if (call == NULL)
    call = td_vendor_get_described_call (provider, FALSE);
  g_assert_nonnull (call);
  g_assert_nonnull (call->parse);

  response = make_response (data, size);
  ok = td_vendor_read_answer (provider, account, call, response, &tokens, &error);

  /* Tokens or an error, never both or neither, and only a 2xx has tokens. */
  g_assert_true (ok == (tokens != NULL));
  g_assert_true (ok != (error != NULL));
  if (ok)
    {
      g_assert_cmpuint (response->status, >=, 200);
      g_assert_cmpuint (response->status, <, 300);
      g_assert_nonnull (tokens->access_token);
      g_assert_cmpstr (tokens->access_token, !=, "");
      g_assert_true (g_utf8_validate (tokens->access_token, -1, NULL));
      g_assert_true (tokens->id_token == NULL || g_utf8_validate (tokens->id_token, -1, NULL));
      g_assert_true (tokens->refresh_token == NULL ||
                     g_utf8_validate (tokens->refresh_token, -1, NULL));
      g_assert_cmpint (tokens->expires_at, >, 0);
    }
  else
    {
      /* A message fit to show: TD_ERROR, readable text. */
      g_assert_true (error->domain == TD_ERROR);
      g_assert_true (g_utf8_validate (error->message, -1, NULL));
      g_assert_cmpstr (error->message, !=, "");
    }

  return 0;
}
