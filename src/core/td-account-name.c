/* td-account-name.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "td-account-name"

#include "config.h"

#include <glib/gi18n-lib.h>
#include <string.h>

#include "td-account-name.h"
#include "td-error.h"

/* Control characters (C0, DEL, C1) move the cursor or end the line a
 * script reads; formatting characters (Cf: the bidi embeddings, overrides
 * and isolates, the marks, zero-width spaces) and the line and paragraph
 * separators change how the rest of a line is shown without showing
 * themselves. Either lets one name pass for another in `list`. The two
 * zero-width joiners are kept: emoji sequences and several scripts need
 * them, and they reorder nothing. */
static gboolean
is_refused (gunichar c)
{
  switch (g_unichar_type (c))
    {
    case G_UNICODE_CONTROL:
    case G_UNICODE_LINE_SEPARATOR:
    case G_UNICODE_PARAGRAPH_SEPARATOR:
      return TRUE;

    case G_UNICODE_FORMAT:
      return c != 0x200C && c != 0x200D;

    default:
      return FALSE;
    }
}

gboolean
td_account_name_check (const char  *name,
                       GError     **error)
{
  g_return_val_if_fail (name != NULL, FALSE);

  if (!g_utf8_validate (name, -1, NULL))
    {
      g_set_error_literal (error, TD_ERROR, TD_ERROR_FAILED,
                           _("The account name is not valid UTF-8 text"));
      return FALSE;
    }

  for (const char *p = name; *p != '\0'; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);
      g_autofree char *code = NULL;

      if (!is_refused (c))
        continue;

      /* Printed apart: translators see one plain %s. */
      code = g_strdup_printf ("U+%04X", c);
      if (g_unichar_type (c) == G_UNICODE_CONTROL)
        g_set_error (error, TD_ERROR, TD_ERROR_FAILED,
                     _("The account name contains a control character (%s)"), code);
      else
        g_set_error (error, TD_ERROR, TD_ERROR_FAILED,
                     _("The account name contains an invisible character (%s) that changes "
                       "how text is shown"), code);
      return FALSE;
    }

  return TRUE;
}

char *
td_account_name_dup_printable (const char *name)
{
  GString *out;
  const char *p;
  const char *end;

  g_return_val_if_fail (name != NULL, NULL);

  out = g_string_sized_new (strlen (name));
  p = name;
  end = name + strlen (name);

  while (p < end)
    {
      gunichar c = g_utf8_get_char_validated (p, end - p);

      if (c == (gunichar) -1 || c == (gunichar) -2)
        {
          g_string_append_printf (out, "\\x%02X", (guchar) *p);
          p++;
          continue;
        }

      if (is_refused (c))
        g_string_append_printf (out, "\\u%04X", c);
      else
        g_string_append_len (out, p, g_utf8_next_char (p) - p);
      p = g_utf8_next_char (p);
    }

  return g_string_free (out, FALSE);
}
