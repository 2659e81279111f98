/* td-error.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define TD_ERROR (td_error_quark ())

/* Every failure a person can meet, grouped by what they can do about it.
 * The message of a GError in this domain is already translated and carries
 * the vendor's own text when the vendor sent one. */
typedef enum
{
  TD_ERROR_BAD_CREDENTIALS,     /* wrong username or password */
  TD_ERROR_TWO_FACTOR_REQUIRED, /* the vendor wants a second factor we cannot supply */
  TD_ERROR_ACCESS_DENIED,       /* the credentials are right but the account may not use the API */
  TD_ERROR_NEEDS_SIGN_IN,       /* refresh token rejected and no password to fall back on */
  TD_ERROR_UNREACHABLE,         /* connection refused/reset, DNS, 5xx, 429 */
  TD_ERROR_TIMED_OUT,           /* no complete answer within the deadline */
  TD_ERROR_INVALID_RESPONSE,    /* an answer we cannot use: HTML, truncated JSON, no token… */
  TD_ERROR_KEYRING_UNAVAILABLE, /* no Secret Service, locked, or the prompt was dismissed */
  TD_ERROR_INSECURE,            /* plain http to a remote host, or a certificate that does not verify */
  TD_ERROR_INVALID_ENDPOINT,    /* not a URL, or missing where the vendor has no default */
  TD_ERROR_NOT_SUPPORTED,       /* the vendor has no such operation */
  TD_ERROR_FAILED,              /* anything else, e.g. the account list file is damaged */
} TdError;

GQuark td_error_quark (void);

const char *td_error_code_to_string (TdError code);

G_END_DECLS
