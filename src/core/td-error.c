/* td-error.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include "td-error.h"

G_DEFINE_QUARK (td-error-quark, td_error)

/* Stable machine-readable names, used by `tokendesk … --json` and in logs. */
const char *
td_error_code_to_string (TdError code)
{
  switch (code)
    {
    case TD_ERROR_BAD_CREDENTIALS: return "bad-credentials";
    case TD_ERROR_TWO_FACTOR_REQUIRED: return "two-factor-required";
    case TD_ERROR_ACCESS_DENIED: return "access-denied";
    case TD_ERROR_NEEDS_SIGN_IN: return "needs-sign-in";
    case TD_ERROR_UNREACHABLE: return "unreachable";
    case TD_ERROR_TIMED_OUT: return "timed-out";
    case TD_ERROR_INVALID_RESPONSE: return "invalid-response";
    case TD_ERROR_KEYRING_UNAVAILABLE: return "keyring-unavailable";
    case TD_ERROR_INSECURE: return "insecure";
    case TD_ERROR_INVALID_ENDPOINT: return "invalid-endpoint";
    case TD_ERROR_NOT_SUPPORTED: return "not-supported";
    case TD_ERROR_FAILED: return "failed";
    default: return "unknown";
    }
}
