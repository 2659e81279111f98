/* td-expiry-scheduler.h: one wall-clock timer for every account's deadline
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib-object.h>

G_BEGIN_DECLS

/* Called on the main context when owner's deadline is due, or when every
 * deadline is re-evaluated (clock set, resume): the deadline has been
 * dropped before the call, so the function recomputes from
 * td_expiry_scheduler_get_now () and sets a new one if it still needs one. */
typedef void (*TdExpiryFunc) (gpointer owner);

#define TD_TYPE_EXPIRY_SCHEDULER (td_expiry_scheduler_get_type ())

G_DECLARE_FINAL_TYPE (TdExpiryScheduler, td_expiry_scheduler, TD, EXPIRY_SCHEDULER, GObject)

TdExpiryScheduler *td_expiry_scheduler_new              (void);
/* The process-wide scheduler TdAccount uses; never freed. */
TdExpiryScheduler *td_expiry_scheduler_get_default      (void);

/* The wall clock as the scheduler sees it, in µs since the epoch:
 * g_get_real_time () plus the test offset. */
gint64             td_expiry_scheduler_get_now          (TdExpiryScheduler *self);

/* when: µs since the epoch. Replaces owner's previous deadline. A deadline
 * already passed is acted on at the next main loop iteration, never from
 * inside this call. */
void               td_expiry_scheduler_set_deadline     (TdExpiryScheduler *self,
                                                         gpointer           owner,
                                                         gint64             when,
                                                         TdExpiryFunc       func);
void               td_expiry_scheduler_clear_deadline   (TdExpiryScheduler *self,
                                                         gpointer           owner);
/* owner's deadline in µs since the epoch, or 0 without one. */
gint64             td_expiry_scheduler_get_deadline     (TdExpiryScheduler *self,
                                                         gpointer           owner);
guint              td_expiry_scheduler_get_n_deadlines  (TdExpiryScheduler *self);

/* Calls every owner's function (each deadline dropped first), then emits
 * ::reevaluated. The scheduler does it itself when the wall clock is set
 * and, after td_expiry_scheduler_watch_sleep (), on resume. */
void               td_expiry_scheduler_reevaluate       (TdExpiryScheduler *self);

/* Re-evaluates on logind's PrepareForSleep(false) on the system bus. No
 * system bus or no logind is fine: nothing happens. The app calls it; the
 * command line never does. */
void               td_expiry_scheduler_watch_sleep      (TdExpiryScheduler *self);
/* TRUE once the PrepareForSleep subscription is in place (notify::watching-sleep). */
gboolean           td_expiry_scheduler_get_watching_sleep (TdExpiryScheduler *self);

/* Tests: µs added to the real clock. Like a suspend, changing it tells
 * nobody: the armed timer keeps its real time until the next re-arm, and
 * only a re-evaluation (or a deadline firing) acts on the jump. */
void               td_expiry_scheduler_set_clock_offset_for_testing (TdExpiryScheduler *self,
                                                                     gint64             offset);
/* Tests: whether the timer is armed, and the real time (µs since the
 * epoch) it is armed for; 0 when disarmed. */
gint64             td_expiry_scheduler_get_armed_for_testing        (TdExpiryScheduler *self);

G_END_DECLS
