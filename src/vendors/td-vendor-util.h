/* td-vendor-util.h: the one path every vendor call takes; vendors only describe their dialect
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "td-provider.h"

G_BEGIN_DECLS

/* The tokens in a 2xx answer. */
typedef TdTokens * (*TdVendorParseFunc)  (TdProvider      *self,
                                          TdAccount       *account,
                                          TdHttpResponse  *response,
                                          GError         **error);

/* Sets error and returns TRUE when status (with the vendor's words, or
 * NULL) is one the vendor documents; FALSE leaves it to the
 * unexpected-status error. */
typedef gboolean   (*TdVendorRefuseFunc) (TdProvider      *self,
                                          guint            status,
                                          const char      *text,
                                          GError         **error);

/* The vendor's words in an error answer, or NULL. */
typedef char *     (*TdVendorTextFunc)   (TdHttpResponse  *response);

/* One call of a vendor's API, a static const per call: the vendor says how
 * its dialect reads, td_vendor_call_async() does the work. */
typedef struct
{
  const char         *name;                 /* "sign-in", "refresh": for the debug log */

  /* For the sign-in and refresh of td_vendor_class_set_calls(): a POST to
   * path with what it sends under the vendor's names; a NULL name sends
   * nothing of that. Other calls give their request to td_vendor_call_async(). */
  const char         *path;
  const char         *username_member;      /* also means the call needs a username */
  const char         *password_member;
  const char         *new_password_member;
  const char         *refresh_token_member;
  const char         *fixed_member;         /* sent with fixed_value on every call */
  const char         *fixed_value;

  /* The answer */
  const char         *text_members[4];      /* up to three where errors put its words */
  TdVendorTextFunc    dup_text;             /* instead, when the words are spread out */
  /* The refusal most vendors document: a 400 carrying their words, a
   * TD_ERROR_BAD_CREDENTIALS with this N_() message ("%s … %s": the
   * vendor's name, then its words). A bare 400 is more likely a proxy's. */
  const char         *refused;
  TdVendorRefuseFunc  refuse;               /* the other non-2xx statuses it documents */
  TdVendorParseFunc   parse;                /* NULL when a 2xx is all the call returns */
} TdVendorCall;

/* Implements klass's login (and refresh, unless NULL) with the calls
 * described: the vendor then overrides no vfunc for them. */
void        td_vendor_class_set_calls    (TdProviderClass      *klass,
                                          const TdVendorCall   *sign_in,
                                          const TdVendorCall   *refresh);

/* The account's username; when it has none, reports
 * TD_ERROR_BAD_CREDENTIALS to callback and returns NULL. */
const char *td_vendor_require_username   (TdProvider           *self,
                                          TdAccount            *account,
                                          GCancellable         *cancellable,
                                          GAsyncReadyCallback   callback,
                                          gpointer              user_data);

/* A JSON object of string members from name/value pairs, ending with a
 * NULL name. A NULL value leaves its member out. */
JsonNode   *td_vendor_body_new           (const char           *first_member,
                                          ...) G_GNUC_NULL_TERMINATED;

/* Sends method to {base}{path} of the account's endpoint with body (may be
 * NULL) and reads the answer as call describes: a 2xx is parsed, a status
 * call->refused or call->refuse knows is the vendor's refusal, anything else
 * the unexpected-status error. Finish with g_task_propagate_pointer() for
 * the TdTokens, or g_task_propagate_boolean() for a call without parse. */
void        td_vendor_call_async         (TdProvider           *self,
                                          TdAccount            *account,
                                          const TdVendorCall   *call,
                                          const char           *method,
                                          const char           *path,
                                          JsonNode             *body,
                                          GCancellable         *cancellable,
                                          GAsyncReadyCallback   callback,
                                          gpointer              user_data);

/* What td_vendor_call_async() makes of an answer once it has arrived,
 * apart from the network so that the fuzzers (tests/fuzz/) can feed it
 * answers: TRUE for a 2xx, with the tokens in out_tokens when call parses
 * them; FALSE with the error call's dialect maps anything else to. */
gboolean    td_vendor_read_answer        (TdProvider           *self,
                                          TdAccount            *account,
                                          const TdVendorCall   *call,
                                          TdHttpResponse       *response,
                                          TdTokens            **out_tokens,
                                          GError              **error);

/* The sign-in call given to td_vendor_class_set_calls() or, with refresh,
 * the refresh call (NULL when the vendor has none). */
const TdVendorCall *td_vendor_get_described_call (TdProvider *self,
                                                  gboolean    refresh);

/* The body of a 2xx answer as a JSON object, or TD_ERROR_INVALID_RESPONSE. */
JsonObject *td_vendor_get_success_object (TdProvider           *self,
                                          TdHttpResponse       *response,
                                          GError              **error);

/* A string member. Missing (or null) is an error only when required; any
 * other type, or an empty string, is TD_ERROR_INVALID_RESPONSE naming the
 * vendor and the member. */
gboolean    td_vendor_get_string         (TdProvider           *self,
                                          JsonObject           *object,
                                          const char           *member,
                                          gboolean              required,
                                          const char          **out_value,
                                          GError              **error);

/* The vendor's own words in an error answer: the first of the members that
 * is a non-empty string, shortened for a message. NULL when none. */
char       *td_vendor_dup_error_text     (TdHttpResponse       *response,
                                          const char           *first_member,
                                          ...) G_GNUC_NULL_TERMINATED;

G_END_DECLS
