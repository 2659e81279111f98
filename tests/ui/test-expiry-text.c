/* test-expiry-text.c: the words for a token's time left, and when they change
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <locale.h>

#include "td-expiry-text.h"
#include "td-tokens.h"

#define NOW ((gint64) 1800000000)

typedef struct
{
  gint64      offset;       /* expires_at - now */
  const char *text;
  gint64      next_offset;  /* next_change - now; 0: never */
} Case;

static void
test_texts (void)
{
  static const Case cases[] = {
    { 42 * 60 + 30, "expires in 42 min", 31 },
    { 42 * 60, "expires in 42 min", 1 },
    { 89 * 60 + 59, "expires in 89 min", 60 },
    { 90 * 60, "expires in 1 hour", 1 },
    { 2 * 3600 + 5, "expires in 2 hours", 6 },
    { 10 * 3600, "expires in 10 hours", 1 },
    { 3 * 86400 + 10, "expires in 3 days", 11 },
    { 2 * 86400, "expires in 2 days", 1 },
    { 59, "expires in less than a minute", 59 },
    { 60, "expires in 1 min", 1 },
    { 0, "expired less than a minute ago", 60 },
    { -1, "expired less than a minute ago", 59 },
    { -3 * 60 - 10, "expired 3 min ago", 50 },
    { -(89 * 60 + 30), "expired 89 min ago", 30 },
    { -90 * 60, "expired 1 hour ago", 30 * 60 },
    { -(47 * 3600 + 1800), "expired 47 hours ago", 1800 },
    { -2 * 86400, "expired 2 days ago", 86400 },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      gint64 next = -1;
      g_autofree char *text = td_expiry_text (NOW + cases[i].offset, NOW, &next);

      g_test_message ("offset %" G_GINT64_FORMAT, cases[i].offset);
      g_assert_cmpstr (text, ==, cases[i].text);
      g_assert_cmpint (next - NOW, ==, cases[i].next_offset);
    }
}

static void
test_never_and_none (void)
{
  gint64 next = -1;
  g_autofree char *never = td_expiry_text (TD_EXPIRES_NEVER, NOW, &next);
  char *none;

  g_assert_cmpstr (never, ==, "does not expire");
  g_assert_cmpint (next, ==, 0);

  none = td_expiry_text (0, NOW, &next);
  g_assert_null (none);
  g_assert_cmpint (next, ==, 0);
}

/* At every second of four hours around expiry, the text announced for the
 * next change really changes then, and not before. */
static void
test_next_change_is_exact (void)
{
  const gint64 expires_at = NOW + 2 * 3600;

  for (gint64 now = NOW; now < expires_at + 2 * 3600; now++)
    {
      gint64 next = 0;
      g_autofree char *text = td_expiry_text (expires_at, now, &next);
      g_autofree char *before = NULL;
      g_autofree char *at = NULL;

      g_assert_cmpint (next, >, now);
      before = td_expiry_text (expires_at, next - 1, NULL);
      at = td_expiry_text (expires_at, next, NULL);
      g_assert_cmpstr (before, ==, text);
      g_assert_cmpstr (at, !=, text);
    }
}

int
main (int   argc,
      char *argv[])
{
  setlocale (LC_ALL, "C");
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/expiry-text/texts", test_texts);
  g_test_add_func ("/expiry-text/never-and-none", test_never_and_none);
  g_test_add_func ("/expiry-text/next-change-is-exact", test_next_change_is_exact);

  return g_test_run ();
}
