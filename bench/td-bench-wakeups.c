/* td-bench-wakeups.c: how often a process wakes up, measured from outside
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <stdio.h>

#include "td-bench-wakeups.h"

/* Field 3 of /proc/PID/task/TID/schedstat: how many times TID ran. */
static gboolean
read_runs (const char *task_dir,
           const char *tid,
           guint64    *out_runs)
{
  g_autofree char *path = g_build_filename (task_dir, tid, "schedstat", NULL);
  g_autofree char *contents = NULL;
  g_auto(GStrv) fields = NULL;

  if (!g_file_get_contents (path, &contents, NULL, NULL))
    return FALSE;

  fields = g_strsplit_set (g_strstrip (contents), " ", -1);
  if (g_strv_length (fields) < 3)
    return FALSE;

  *out_runs = g_ascii_strtoull (fields[2], NULL, 10);
  return TRUE;
}

static char *
dup_thread_name (const char *task_dir,
                 const char *tid)
{
  g_autofree char *path = g_build_filename (task_dir, tid, "comm", NULL);
  char *name = NULL;

  if (!g_file_get_contents (path, &name, NULL, NULL))
    return g_strdup ("?");

  return g_strstrip (name);
}

/* TID → runs, and TID → name, of pid's threads; NULL when pid is gone. */
static GHashTable *
read_threads (GPid         pid,
              GHashTable **out_names)
{
  g_autofree char *task_dir = g_strdup_printf ("/proc/%d/task", (int) pid);
  g_autoptr(GDir) dir = g_dir_open (task_dir, 0, NULL);
  GHashTable *threads;
  const char *tid;

  if (dir == NULL)
    return NULL;

  threads = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  *out_names = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  while ((tid = g_dir_read_name (dir)) != NULL)
    {
      guint64 runs;

      /* A thread that ended since the listing is not there. */
      if (!read_runs (task_dir, tid, &runs))
        continue;

      g_hash_table_insert (threads, g_strdup (tid), g_memdup2 (&runs, sizeof runs));
      g_hash_table_insert (*out_names, g_strdup (tid), dup_thread_name (task_dir, tid));
    }

  return threads;
}

guint64
td_bench_read_wakeups (GPid pid)
{
  g_autoptr(GHashTable) names = NULL;
  g_autoptr(GHashTable) threads = read_threads (pid, &names);
  GHashTableIter iter;
  gpointer runs;
  guint64 total = 0;

  if (threads == NULL)
    return G_MAXUINT64;

  g_hash_table_iter_init (&iter, threads);
  while (g_hash_table_iter_next (&iter, NULL, &runs))
    total += *(guint64 *) runs;

  return total;
}

void
td_bench_count_wakeups (const GPid *pids,
                        guint       n_pids,
                        guint       seconds,
                        guint64    *out_wakeups)
{
  g_autoptr(GPtrArray) before = g_ptr_array_new_with_free_func ((GDestroyNotify) g_hash_table_unref);
  g_autoptr(GPtrArray) before_names = g_ptr_array_new_with_free_func ((GDestroyNotify) g_hash_table_unref);

  for (guint i = 0; i < n_pids; i++)
    {
      GHashTable *names = NULL;
      GHashTable *threads = read_threads (pids[i], &names);

      g_ptr_array_add (before, threads ? threads : g_hash_table_new (NULL, NULL));
      g_ptr_array_add (before_names, names ? names : g_hash_table_new (NULL, NULL));
      out_wakeups[i] = threads ? 0 : G_MAXUINT64;
    }

  g_usleep ((gulong) seconds * G_USEC_PER_SEC);

  for (guint i = 0; i < n_pids; i++)
    {
      g_autoptr(GHashTable) names = NULL;
      g_autoptr(GHashTable) after = NULL;
      GHashTable *earlier = g_ptr_array_index (before, i);
      GHashTableIter iter;
      gpointer tid, runs;

      if (out_wakeups[i] == G_MAXUINT64 ||
          (after = read_threads (pids[i], &names)) == NULL)
        {
          out_wakeups[i] = G_MAXUINT64;
          continue;
        }

      g_hash_table_iter_init (&iter, after);
      while (g_hash_table_iter_next (&iter, &tid, &runs))
        {
          guint64 *then = g_hash_table_lookup (earlier, tid);

          out_wakeups[i] += *(guint64 *) runs - (then ? *then : 0);
          if (then == NULL)
            fprintf (stderr, "  pid %d: thread %s (%s) started\n", (int) pids[i],
                     (char *) tid, (char *) g_hash_table_lookup (names, tid));
        }

      g_hash_table_iter_init (&iter, earlier);
      while (g_hash_table_iter_next (&iter, &tid, NULL))
        if (!g_hash_table_contains (after, tid))
          {
            out_wakeups[i] += 1;
            fprintf (stderr, "  pid %d: thread %s (%s) ended\n", (int) pids[i], (char *) tid,
                     (char *) g_hash_table_lookup (g_ptr_array_index (before_names, i), tid));
          }
    }
}
