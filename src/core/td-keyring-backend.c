/* td-keyring-backend.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "td-keyring-backend"

#include "config.h"

#include <glib/gi18n-lib.h>
#include <libsecret/secret.h>

#include "td-error.h"
#include "td-keyring-backend.h"

/* Opening the file backend asks the Secret portal for the file's key:
 * RetrieveSecret, then the key comes with the request's Response signal.
 * libsecret 0.20.5 subscribes to Response only once RetrieveSecret's reply
 * has been dispatched in its main context (fixed in 0.21.4); GDBus drops a
 * signal that arrives before anyone subscribed. In a window starting up,
 * the main loop is busy long enough for the portal to answer first, and
 * the keyring then never answers that process.
 *
 * So the backend is opened in a thread of its own, on a main context that
 * does nothing else: the reply is dispatched, and the subscription made,
 * within microseconds, well before the portal's round trip to its backend
 * ends. An attempt that still gets no answer is left behind and another
 * one made. Once open, libsecret keeps the backend for the whole process
 * and every call in any thread uses it. */

/* The first attempt is short, so that a lost answer costs a starting
 * window one second; each next one waits twice as long, for a keyring
 * that has to ask its password first. The caller's deadline ends them. */
#define FIRST_ATTEMPT_MS 1000
#define MAX_ATTEMPTS     4

gboolean
td_keyring_backend_is_file (void)
{
  /* libsecret's own test for using the portal and the file. */
  return g_file_test ("/.flatpak-info", G_FILE_TEST_EXISTS) || g_getenv ("SNAP_NAME") != NULL;
}

typedef struct
{
  gboolean  done;
  gboolean  timed_out;
  GError   *error;
} Attempt;

/* Looks up an item that never exists: the public way to have libsecret
 * open its backend in this thread (secret_backend_get() is not in 0.20.5's
 * headers). */
static const SecretSchema *
get_probe_schema (void)
{
  static const SecretSchema schema = {
    .name = "io.github.tokendesk.TokenDesk.Probe",
    .flags = SECRET_SCHEMA_NONE,
    .attributes = {
      { .name = "probe", .type = SECRET_SCHEMA_ATTRIBUTE_STRING },
      { .name = NULL },
    },
  };

  return &schema;
}

static void
probed_cb (GObject      *object,
           GAsyncResult *result,
           gpointer      user_data)
{
  Attempt *attempt = user_data;
  char *found = secret_password_lookup_finish (result, &attempt->error);

  secret_password_free (found);
  attempt->done = TRUE;
}

static gboolean
attempt_timeout_cb (gpointer user_data)
{
  Attempt *attempt = user_data;

  attempt->timed_out = TRUE;
  return G_SOURCE_REMOVE;
}

/* Only wakes the loop, which then sees the cancellation. */
static gboolean
cancelled_cb (GCancellable *cancellable,
              gpointer      user_data)
{
  return G_SOURCE_REMOVE;
}

/* TRUE when the attempt ended, with or without an error. */
static gboolean
open_once (guint          timeout_ms,
           GCancellable  *cancellable,
           GError       **error)
{
  /* Never freed: an attempt left behind may still be answered, into this
   * context, and must find its callback's data there. */
  Attempt *attempt = g_new0 (Attempt, 1);
  GMainContext *context = g_main_context_new ();
  GSource *timeout = g_timeout_source_new (timeout_ms);
  GSource *cancelled = NULL;

  g_main_context_push_thread_default (context);

  g_source_set_callback (timeout, attempt_timeout_cb, attempt, NULL);
  g_source_set_static_name (timeout, "[td] keyring open attempt");
  g_source_attach (timeout, context);
  if (cancellable != NULL)
    {
      cancelled = g_cancellable_source_new (cancellable);
      g_source_set_callback (cancelled, G_SOURCE_FUNC (cancelled_cb), NULL, NULL);
      g_source_attach (cancelled, context);
    }

  /* Not given the cancellable: cancelling libsecret 0.20.5 half-way
   * through opening can leave a backend without its file cached for
   * good. A left-behind attempt that is answered late is harmless. */
  secret_password_lookup (get_probe_schema (), NULL, probed_cb, attempt, "probe", "open", NULL);

  while (!attempt->done && !attempt->timed_out && !g_cancellable_is_cancelled (cancellable))
    g_main_context_iteration (context, TRUE);

  g_source_destroy (timeout);
  g_source_unref (timeout);
  if (cancelled != NULL)
    {
      g_source_destroy (cancelled);
      g_source_unref (cancelled);
    }
  g_main_context_pop_thread_default (context);

  if (!attempt->done)
    return FALSE;

  if (attempt->error != NULL)
    g_propagate_error (error, g_steal_pointer (&attempt->error));
  g_main_context_unref (context);
  g_free (attempt);
  return TRUE;
}

static void
open_thread (GTask        *task,
             gpointer      source_object,
             gpointer      task_data,
             GCancellable *cancellable)
{
  gboolean reopen = GPOINTER_TO_INT (task_data);
  g_autoptr(GError) error = NULL;

  /* Forgets the open backend and the file it read: the next one reads
   * the file again, with what other processes have written since. */
  if (reopen)
    secret_service_disconnect ();

  for (guint i = 0, timeout_ms = FIRST_ATTEMPT_MS; i < MAX_ATTEMPTS; i++, timeout_ms *= 2)
    {
      if (g_cancellable_set_error_if_cancelled (cancellable, &error))
        break;

      if (open_once (timeout_ms, cancellable, &error))
        {
          if (error == NULL)
            {
              g_debug ("Keyring file opened (attempt %u)", i + 1);
              g_task_return_boolean (task, TRUE);
              return;
            }
          break;
        }
      g_debug ("The Secret portal did not answer within %u ms: asking again", timeout_ms);
    }

  if (error == NULL)
    error = g_error_new (TD_ERROR, TD_ERROR_KEYRING_UNAVAILABLE,
                         _("The keyring did not answer"));
  g_task_return_error (task, g_steal_pointer (&error));
}

/* Opens libsecret's file backend, or with @reopen opens it again to read
 * the file afresh. Does nothing outside Flatpak, where libsecret talks to
 * the Secret Service instead, which always answers with what it holds. */
void
td_keyring_backend_open_async (gboolean             reopen,
                               GCancellable        *cancellable,
                               GAsyncReadyCallback  callback,
                               gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (!cancellable || G_IS_CANCELLABLE (cancellable));

  task = g_task_new (NULL, cancellable, callback, user_data);
  g_task_set_source_tag (task, td_keyring_backend_open_async);

  if (!td_keyring_backend_is_file ())
    {
      g_task_return_boolean (task, TRUE);
      return;
    }

  g_task_set_task_data (task, GINT_TO_POINTER (reopen), NULL);
  g_task_run_in_thread (task, open_thread);
}

gboolean
td_keyring_backend_open_finish (GAsyncResult  *result,
                                GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}
