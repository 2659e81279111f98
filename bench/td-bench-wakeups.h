/* td-bench-wakeups.h: how often a process wakes up, measured from outside
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* The times pid's threads have been put on a CPU so far: field 3 of each
 * /proc/PID/task/TID/schedstat, summed. A thread asleep in poll () adds
 * nothing; each wakeup adds at least one. G_MAXUINT64 when pid is gone. */
guint64  td_bench_read_wakeups  (GPid        pid);

/* Sleeps for seconds and stores in out_wakeups[i] how many times pids[i]
 * woke meanwhile, thread by thread: a thread that started counts all its
 * runs, one that ended counts one (it woke to end), and the names of
 * both go to stderr. G_MAXUINT64 for a process that went away. Measuring
 * from another process costs the measured ones nothing. */
void     td_bench_count_wakeups (const GPid *pids,
                                 guint       n_pids,
                                 guint       seconds,
                                 guint64    *out_wakeups);

G_END_DECLS
