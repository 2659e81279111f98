/* td-account-lock.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "td-account-lock"

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gi18n-lib.h>
#include <glib/gstdio.h>
#include <poll.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "td-account-lock.h"
#include "td-error.h"

/* flock(2) on one file per account. The kernel drops the lock when the
 * holder exits or crashes, so a killed `tokendesk token` never leaves an
 * account stuck. Lock files are never deleted: unlinking a lock file lets a
 * second process lock a new file of the same name while a third still holds
 * the old one. */

/* A blocked flock() cannot be cancelled, so the thread polls with LOCK_NB,
 * sleeping on the cancellable's fd in between. A renewal holds the lock
 * for one vendor round trip; these waits are short next to it. */
#define RETRY_MIN_MS 2
#define RETRY_MAX_MS 50

#define MARK_TEXT "renewal in flight\n"

struct _TdAccountLock
{
  int       fd;
  char     *account_id;
  gboolean  marked;  /* the file holds the in-flight mark */
};

/* The app's id inside Flatpak, NULL outside. `flatpak run` sets FLATPAK_ID;
 * a process started inside with a cleaned environment still has
 * /.flatpak-info, which names the app. */
static char *
dup_flatpak_id (void)
{
  const char *env_id = g_getenv ("FLATPAK_ID");
  g_autoptr(GKeyFile) info = NULL;

  if (env_id != NULL && *env_id != '\0')
    return g_strdup (env_id);

  info = g_key_file_new ();
  if (!g_key_file_load_from_file (info, "/.flatpak-info", G_KEY_FILE_NONE, NULL))
    return NULL;

  return g_key_file_get_string (info, "Application", "name", NULL);
}

static char *
dup_lock_dir (void)
{
  const char *runtime_dir = g_getenv ("XDG_RUNTIME_DIR");
  g_autofree char *flatpak_id = dup_flatpak_id ();

  /* Read the variable each time rather than g_get_user_runtime_dir()'s
   * cached copy; that one also falls back to the cache dir when unset. */
  if (runtime_dir == NULL || *runtime_dir == '\0' || !g_path_is_absolute (runtime_dir))
    runtime_dir = g_get_user_runtime_dir ();

  /* Inside Flatpak the rest of the runtime dir is private to one sandbox:
   * only app/$FLATPAK_ID is shared by every instance (the window and any
   * `flatpak run --command=tokendesk … token`). */
  if (flatpak_id != NULL && *flatpak_id != '\0' && strchr (flatpak_id, '/') == NULL)
    return g_build_filename (runtime_dir, "app", flatpak_id, "tokendesk", NULL);

  return g_build_filename (runtime_dir, "tokendesk", NULL);
}

/* Account ids are UUIDs, but the file name must be safe whatever an edited
 * accounts file says. */
static char *
dup_lock_name (const char *account_id)
{
  gboolean safe = *account_id != '\0' && strlen (account_id) <= 64;

  for (const char *p = account_id; safe && *p; p++)
    safe = g_ascii_isalnum (*p) || *p == '-' || *p == '_';

  if (safe)
    return g_strconcat (account_id, ".lock", NULL);

  {
    g_autofree char *digest = g_compute_checksum_for_string (G_CHECKSUM_SHA256, account_id, -1);

    return g_strconcat (digest, ".lock", NULL);
  }
}

static char *
dup_lock_path (const char *account_id)
{
  g_autofree char *dir = dup_lock_dir ();
  g_autofree char *name = dup_lock_name (account_id);

  return g_build_filename (dir, name, NULL);
}

static void
acquire_thread (GTask        *task,
                gpointer      source_object,
                gpointer      task_data,
                GCancellable *cancellable)
{
  const char *account_id = task_data;
  g_autofree char *dir = dup_lock_dir ();
  g_autofree char *path = dup_lock_path (account_id);
  GPollFD cancel_fd = { .fd = -1, .events = G_IO_IN };
  TdAccountLock *lock;
  int retry_ms = RETRY_MIN_MS;
  int fd;

  if (g_mkdir_with_parents (dir, 0700) != 0)
    {
      int saved_errno = errno;

      g_task_return_new_error (task, TD_ERROR, TD_ERROR_FAILED,
                               _("Cannot create the folder %s: %s"),
                               dir, g_strerror (saved_errno));
      return;
    }

  fd = g_open (path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0)
    {
      int saved_errno = errno;

      g_task_return_new_error (task, TD_ERROR, TD_ERROR_FAILED,
                               _("Cannot open the lock file %s: %s"),
                               path, g_strerror (saved_errno));
      return;
    }

  if (cancellable != NULL)
    g_cancellable_make_pollfd (cancellable, &cancel_fd);

  while (flock (fd, LOCK_EX | LOCK_NB) != 0)
    {
      int saved_errno = errno;

      if (saved_errno != EWOULDBLOCK && saved_errno != EINTR)
        {
          g_task_return_new_error (task, TD_ERROR, TD_ERROR_FAILED,
                                   _("Cannot lock %s: %s"), path, g_strerror (saved_errno));
          goto fail;
        }

      if (cancel_fd.fd >= 0)
        g_poll (&cancel_fd, 1, retry_ms);
      else
        g_usleep (retry_ms * 1000);

      if (g_task_return_error_if_cancelled (task))
        goto fail;

      retry_ms = MIN (retry_ms * 2, RETRY_MAX_MS);
    }

  if (cancel_fd.fd >= 0)
    g_cancellable_release_fd (cancellable);

  lock = g_new0 (TdAccountLock, 1);
  lock->fd = fd;
  lock->account_id = g_strdup (account_id);

  {
    struct stat st;

    /* A file we cannot stat is treated as marked: the worst that does is
     * one renewal too many. */
    lock->marked = fstat (fd, &st) != 0 || st.st_size > 0;
  }

  g_debug ("Locked account %s%s", account_id,
           lock->marked ? " (a renewal died in flight)" : "");

  /* Cancelled from now on, GTask frees the lock unreturned, unlocking. */
  g_task_return_pointer (task, lock, (GDestroyNotify)td_account_lock_release);
  return;

fail:
  if (cancel_fd.fd >= 0)
    g_cancellable_release_fd (cancellable);
  close (fd);
}

void
td_account_lock_acquire_async (const char          *account_id,
                               GCancellable        *cancellable,
                               GAsyncReadyCallback  callback,
                               gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (account_id != NULL);
  g_return_if_fail (!cancellable || G_IS_CANCELLABLE (cancellable));

  task = g_task_new (NULL, cancellable, callback, user_data);
  g_task_set_source_tag (task, td_account_lock_acquire_async);
  g_task_set_task_data (task, g_strdup (account_id), g_free);

  /* In a thread: waiting for another process must not block a main loop. */
  g_task_run_in_thread (task, acquire_thread);
}

TdAccountLock *
td_account_lock_acquire_finish (GAsyncResult  *result,
                                GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == td_account_lock_acquire_async,
                        NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

void
td_account_lock_release (TdAccountLock *lock)
{
  if (lock == NULL)
    return;

  g_debug ("Unlocked account %s", lock->account_id);

  /* Closing the last descriptor of the open file releases the flock. */
  close (lock->fd);
  g_free (lock->account_id);
  g_free (lock);
}

gboolean
td_account_lock_is_marked (TdAccountLock *lock)
{
  g_return_val_if_fail (lock != NULL, TRUE);

  return lock->marked;
}

/* The in-flight mark ----------------------------------------------------- */

static gboolean
write_mark (TdAccountLock  *lock,
            gboolean        in_flight,
            GError        **error)
{
  static const char text[] = MARK_TEXT;
  gboolean done;

  if (in_flight)
    done = pwrite (lock->fd, text, sizeof text - 1, 0) == sizeof text - 1;
  else
    done = ftruncate (lock->fd, 0) == 0;

  /* Synced before the vendor is called: a crash of the machine is not
   * what this guards against (the runtime dir is a tmpfs), but nothing
   * may reorder the mark after the request. */
  if (done)
    done = fsync (lock->fd) == 0;

  if (!done)
    {
      int saved_errno = errno;

      g_set_error (error, TD_ERROR, TD_ERROR_FAILED,
                   _("Cannot write the lock file of the account: %s"), g_strerror (saved_errno));
      return FALSE;
    }

  lock->marked = in_flight;
  g_debug ("Account %s: renewal mark %s", lock->account_id, in_flight ? "set" : "cleared");

  return TRUE;
}

static void
mark_thread (GTask        *task,
             gpointer      source_object,
             gpointer      task_data,
             GCancellable *cancellable)
{
  TdAccountLock *lock = g_object_get_data (G_OBJECT (task), "lock");
  g_autoptr(GError) error = NULL;

  if (write_mark (lock, GPOINTER_TO_INT (task_data), &error))
    g_task_return_boolean (task, TRUE);
  else
    g_task_return_error (task, g_steal_pointer (&error));
}

void
td_account_lock_mark_async (TdAccountLock       *lock,
                            gboolean             in_flight,
                            GAsyncReadyCallback  callback,
                            gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (lock != NULL);

  task = g_task_new (NULL, NULL, callback, user_data);
  g_task_set_source_tag (task, td_account_lock_mark_async);
  g_task_set_task_data (task, GINT_TO_POINTER (!!in_flight), NULL);
  /* The lock outlives the task: its holder waits for the callback. */
  g_object_set_data (G_OBJECT (task), "lock", lock);

  g_task_run_in_thread (task, mark_thread);
}

gboolean
td_account_lock_mark_finish (GAsyncResult  *result,
                             GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), FALSE);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == td_account_lock_mark_async,
                        FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

static void
peek_mark_thread (GTask        *task,
                  gpointer      source_object,
                  gpointer      task_data,
                  GCancellable *cancellable)
{
  g_autofree char *path = dup_lock_path (task_data);
  GStatBuf st;

  /* No lock file: no renewal ever ran here. Any other failure counts as a
   * mark: the lock holder's check will say what is wrong. */
  if (g_stat (path, &st) != 0)
    g_task_return_boolean (task, errno != ENOENT);
  else
    g_task_return_boolean (task, st.st_size > 0);
}

void
td_account_lock_peek_mark_async (const char          *account_id,
                                 GCancellable        *cancellable,
                                 GAsyncReadyCallback  callback,
                                 gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (account_id != NULL);
  g_return_if_fail (!cancellable || G_IS_CANCELLABLE (cancellable));

  task = g_task_new (NULL, cancellable, callback, user_data);
  g_task_set_source_tag (task, td_account_lock_peek_mark_async);
  g_task_set_task_data (task, g_strdup (account_id), g_free);

  g_task_run_in_thread (task, peek_mark_thread);
}

gboolean
td_account_lock_peek_mark_finish (GAsyncResult  *result,
                                  GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), TRUE);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == td_account_lock_peek_mark_async,
                        TRUE);

  return g_task_propagate_boolean (G_TASK (result), error);
}
