/* td-expiry-text.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <glib/gi18n-lib.h>

#include "td-expiry-text.h"
#include "td-tokens.h"

#define MINUTE 60
#define HOUR   (60 * MINUTE)
#define DAY    (24 * HOUR)

/* Counts are rounded down, so "expires in 42 min" never promises more than
 * is left. Minutes up to an hour and a half, hours up to two days, then
 * days: precise where it matters, quiet where it does not. */
static gint64
unit_for (gint64 seconds)
{
  if (seconds < 90 * MINUTE)
    return MINUTE;
  if (seconds < 2 * DAY)
    return HOUR;
  return DAY;
}

/* The longest span counted in unit. */
static gint64
upper_bound_for (gint64 unit)
{
  return unit == MINUTE ? 90 * MINUTE : unit == HOUR ? 2 * DAY : G_MAXINT64 / 2;
}

/* The shortest span counted in unit. */
static gint64
lower_bound_for (gint64 unit)
{
  return unit == DAY ? 2 * DAY : unit == HOUR ? 90 * MINUTE : 0;
}

char *
td_expiry_text (gint64  expires_at,
                gint64  now,
                gint64 *out_next_change)
{
  gint64 next_change = 0;
  char *text;

  if (expires_at == 0)
    text = NULL;
  else if (expires_at == TD_EXPIRES_NEVER)
    text = g_strdup (_("does not expire"));
  else if (expires_at > now)
    {
      gint64 left = expires_at - now;
      gint64 unit = unit_for (left);
      gint64 count = left / unit;

      /* The text changes when fewer than count units are left, or when
       * the count goes on in a smaller unit. */
      next_change = expires_at - MAX (count * unit, lower_bound_for (unit)) + 1;

      if (count == 0)
        {
          text = g_strdup (_("expires in less than a minute"));
          next_change = expires_at;
        }
      else if (unit == MINUTE)
        text = g_strdup_printf (ngettext ("expires in %d min", "expires in %d min", count),
                                (int) count);
      else if (unit == HOUR)
        text = g_strdup_printf (ngettext ("expires in %d hour", "expires in %d hours", count),
                                (int) count);
      else
        text = g_strdup_printf (ngettext ("expires in %d day", "expires in %d days", count),
                                (int) MIN (count, G_MAXINT));
    }
  else
    {
      gint64 ago = now - expires_at;
      gint64 unit = unit_for (ago);
      gint64 count = ago / unit;

      /* The text changes when count + 1 units have passed, or the unit
       * grows (90 min → hours, 2 days → days). */
      next_change = expires_at + MIN ((count + 1) * unit, upper_bound_for (unit));

      if (count == 0)
        text = g_strdup (_("expired less than a minute ago"));
      else if (unit == MINUTE)
        text = g_strdup_printf (ngettext ("expired %d min ago", "expired %d min ago", count),
                                (int) count);
      else if (unit == HOUR)
        text = g_strdup_printf (ngettext ("expired %d hour ago", "expired %d hours ago", count),
                                (int) count);
      else
        text = g_strdup_printf (ngettext ("expired %d day ago", "expired %d days ago", count),
                                (int) MIN (count, G_MAXINT));
    }

  if (out_next_change != NULL)
    *out_next_change = next_change;

  return text;
}

char *
td_handed_out_text (gint64      handed_out_at,
                    const char *program,
                    gint64      now,
                    gint64     *out_next_change)
{
  gint64 ago = MAX (0, now - handed_out_at);
  gint64 unit = unit_for (ago);
  gint64 count = ago / unit;
  char *text;

  if (out_next_change != NULL)
    *out_next_change = handed_out_at + MIN ((count + 1) * unit, upper_bound_for (unit));

  /* Translators: %s is a program's name, as in "curl" */
  if (count == 0)
    text = g_strdup_printf (_("handed out just now to %s"), program);
  else if (unit == MINUTE)
    /* Translators: the second %s is a program's name, as in "curl" */
    text = g_strdup_printf (ngettext ("handed out %d min ago to %s",
                                      "handed out %d min ago to %s", count),
                            (int) count, program);
  else if (unit == HOUR)
    text = g_strdup_printf (ngettext ("handed out %d hour ago to %s",
                                      "handed out %d hours ago to %s", count),
                            (int) count, program);
  else
    text = g_strdup_printf (ngettext ("handed out %d day ago to %s",
                                      "handed out %d days ago to %s", count),
                            (int) MIN (count, G_MAXINT), program);

  return text;
}
