/* td-jwt.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <json-glib/json-glib.h>

G_BEGIN_DECLS

/* Decodes the claims (payload) of a compact JWS. The signature is not
 * verified: we are the client, the vendor verifies. Returns NULL and sets
 * TD_ERROR_INVALID_RESPONSE unless there are three non-empty base64url parts
 * and the payload is a JSON object. */
JsonObject *td_jwt_decode_claims (const char  *token,
                                  GError     **error);

/* TRUE and the exp claim (seconds since the epoch) when the token is a JWT
 * with a numeric exp; FALSE with error otherwise. */
gboolean    td_jwt_get_expiry    (const char  *token,
                                  gint64      *out_exp,
                                  GError     **error);

gboolean    td_jwt_looks_like_jwt (const char *token);

G_END_DECLS
