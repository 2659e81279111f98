/* td-vendor-util.h: what the four vendor providers share to talk and to read answers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "td-provider.h"

G_BEGIN_DECLS

/* The account's username, or TD_ERROR_BAD_CREDENTIALS when it has none. */
const char *td_vendor_require_username   (TdProvider           *self,
                                          TdAccount            *account,
                                          GError              **error);

/* Sends method to {base}{path} of the account's endpoint; callback gets the
 * TdHttpClient as source object and task as user data. Takes task: on an
 * unusable endpoint the task returns the error instead. */
void        td_vendor_send               (TdProvider           *self,
                                          TdAccount            *account,
                                          const char           *method,
                                          const char           *path,
                                          JsonBuilder          *body,
                                          GTask                *task,
                                          GAsyncReadyCallback   callback);

/* The TdHttpResponse behind a td_vendor_send() callback, or NULL after the
 * task returned the transport error. */
TdHttpResponse *td_vendor_send_finish    (GObject              *client,
                                          GAsyncResult         *result,
                                          GTask                *task);

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

/* Unwraps the TdTokens a provider task returned. */
TdTokens   *td_vendor_tokens_finish      (TdProvider           *self,
                                          GAsyncResult         *result,
                                          GError              **error);

G_END_DECLS
