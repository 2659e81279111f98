/* td-error-text.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <gio/gio.h>
#include <glib/gi18n-lib.h>

#include "td-error.h"
#include "td-error-text.h"

const char *
td_error_get_title (const GError *error)
{
  g_return_val_if_fail (error != NULL, NULL);

  if (error->domain != TD_ERROR)
    return _("Something Went Wrong");

  switch ((TdError) error->code)
    {
    case TD_ERROR_BAD_CREDENTIALS:
      return _("Wrong Username or Password");
    case TD_ERROR_TWO_FACTOR_REQUIRED:
      return _("Two-Factor Authentication Required");
    case TD_ERROR_ACCESS_DENIED:
      return _("Access Denied");
    case TD_ERROR_NEEDS_SIGN_IN:
      return _("Sign In Again");
    case TD_ERROR_UNREACHABLE:
      return _("Could Not Reach the Vendor");
    case TD_ERROR_TIMED_OUT:
      return _("No Answer in Time");
    case TD_ERROR_INVALID_RESPONSE:
      return _("Unexpected Answer");
    case TD_ERROR_KEYRING_UNAVAILABLE:
      return _("Keyring Unavailable");
    case TD_ERROR_INSECURE:
      return _("Insecure Connection");
    case TD_ERROR_INVALID_ENDPOINT:
      return _("Invalid Address");
    case TD_ERROR_NOT_SUPPORTED:
      return _("Not Supported");
    case TD_ERROR_FAILED:
    default:
      return _("Something Went Wrong");
    }
}

const char *
td_error_get_hint (const GError *error)
{
  g_return_val_if_fail (error != NULL, NULL);

  if (error->domain != TD_ERROR)
    return NULL;

  switch ((TdError) error->code)
    {
    case TD_ERROR_TWO_FACTOR_REQUIRED:
      return _("Token Desk cannot answer a second factor. Create an administrative token in "
               "Couchdrop’s admin interface and use it instead.");
    case TD_ERROR_ACCESS_DENIED:
      return _("Ask the vendor’s administrator to allow this account to use the API.");
    case TD_ERROR_UNREACHABLE:
    case TD_ERROR_TIMED_OUT:
      return _("Check the network connection and the address, then try again.");
    case TD_ERROR_KEYRING_UNAVAILABLE:
      return _("Unlock the keyring, or start a Secret Service such as GNOME Keyring.");
    case TD_ERROR_BAD_CREDENTIALS:
    case TD_ERROR_NEEDS_SIGN_IN:
    case TD_ERROR_INVALID_RESPONSE:
    case TD_ERROR_INSECURE:
    case TD_ERROR_INVALID_ENDPOINT:
    case TD_ERROR_NOT_SUPPORTED:
    case TD_ERROR_FAILED:
    default:
      return NULL;
    }
}
