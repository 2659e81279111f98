/* td-fuzz.c: what every libFuzzer harness of tests/fuzz/ shares
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <glib/gstdio.h>
#include <stdlib.h>
#include <string.h>

#include "td-fuzz.h"
#include "td-vendors.h"

static char *tmp_dir;

/* Debug output is dropped (its formatting still runs): millions of inputs
 * would flood the terminal. A warning or a critical is printed and aborts
 * here: GLib's own fatal path raises SIGTRAP, which libFuzzer does not
 * catch, so the input would be lost. */
static void
log_cb (const char     *log_domain,
        GLogLevelFlags  log_level,
        const char     *message,
        gpointer        user_data)
{
  if (log_level & (G_LOG_LEVEL_DEBUG | G_LOG_LEVEL_INFO | G_LOG_LEVEL_MESSAGE))
    return;

  /* GLib 2.74's own: g_key_file_get_string () on a value with an invalid
   * escape and a backslash at its end sets its internal error twice and
   * warns, whatever the caller passed. Not ours to abort on; the load
   * still fails or succeeds as it should. */
  if (g_strcmp0 (log_domain, "GLib") == 0 &&
      g_str_has_prefix (message, "GError set over the top of a previous GError") &&
      strstr (message, "Key file contains escape character at end of line") != NULL)
    return;

  g_log_default_handler (log_domain, log_level, message, user_data);
  abort ();
}

static void
remove_tmp_dir (void)
{
  g_autoptr(GDir) dir = NULL;
  const char *name;

  if (tmp_dir == NULL)
    return;

  /* Only what the harnesses put there: files, no folders. */
  if ((dir = g_dir_open (tmp_dir, 0, NULL)) != NULL)
    while ((name = g_dir_read_name (dir)) != NULL)
      {
        g_autofree char *path = g_build_filename (tmp_dir, name, NULL);

        g_unlink (path);
      }

  g_rmdir (tmp_dir);
  g_clear_pointer (&tmp_dir, g_free);
}

void
td_fuzz_init (void)
{
  g_log_set_default_handler (log_cb, NULL);
  td_vendors_init ();
}

const char *
td_fuzz_get_tmp_dir (void)
{
  if (tmp_dir == NULL)
    {
      /* In memory when there is /dev/shm: a file system on disk makes
       * the account file harness three times slower. */
      const char *parent = g_file_test ("/dev/shm", G_FILE_TEST_IS_DIR) ? "/dev/shm"
                                                                        : g_get_tmp_dir ();

      tmp_dir = g_build_filename (parent, "tokendesk-fuzz-XXXXXX", NULL);
      g_assert_nonnull (g_mkdtemp (tmp_dir));
      atexit (remove_tmp_dir);
    }

  return tmp_dir;
}
