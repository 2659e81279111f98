/* td-expiry-scheduler.c: one wall-clock timer for every account's deadline
 *
 * Tokens expire at a time of day, not after an amount of running time.
 * GLib's timeouts run on CLOCK_MONOTONIC, which stops while the machine is
 * suspended: a timeout due during a suspend fires late by the whole time
 * asleep, and one per account wakes the process once per account. Here the
 * deadlines are wall-clock times in one sorted sequence, and one timerfd on
 * CLOCK_REALTIME, armed at the earliest with TFD_TIMER_ABSTIME, fires at
 * that time of day whatever happened in between: after a resume it fires
 * at once for a deadline passed while asleep. TFD_TIMER_CANCEL_ON_SET makes
 * a read fail with ECANCELED when the wall clock is set (NTP step, the
 * user, a timezone-less RTC after boot), and then every owner recomputes:
 * some deadlines may now be past, others further away. logind's
 * PrepareForSleep(false) triggers the same re-evaluation, for kernels or
 * sandboxes where the timer is not enough, and for listeners of
 * ::reevaluated (the notifications) that want to look again after a resume.
 *
 * While nothing is due the timer sleeps in the kernel: no wakeup at all,
 * however many accounts there are. Used from the main thread only; its
 * sources are on the global default main context.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "td-expiry-scheduler"

#include "config.h"

#include <errno.h>
#include <gio/gio.h>
#include <glib-unix.h>
#include <string.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "td-expiry-scheduler.h"

#define LOGIND_NAME      "org.freedesktop.login1"
#define LOGIND_PATH      "/org/freedesktop/login1"
#define LOGIND_INTERFACE "org.freedesktop.login1.Manager"

typedef struct
{
  gpointer       owner;
  gint64         when;      /* µs since the epoch, on the scheduler's clock */
  guint64        serial;    /* equal times keep the order they were set in */
  TdExpiryFunc   func;
  GSequenceIter *iter;      /* NULL once taken out to be called */
  gboolean       due;       /* taken out to be called in this dispatch */
} Deadline;

struct _TdExpiryScheduler
{
  GObject          parent_instance;

  GSequence       *deadlines;   /* Deadline, earliest first; owned by by_owner */
  GHashTable      *by_owner;    /* owner → Deadline */
  guint64          next_serial;
  gint64           offset;      /* µs added to the real clock, for tests */

  int              timer_fd;    /* -1 until the first deadline */
  gboolean         timer_failed;
  guint            timer_source_id;
  gint64           armed_at;    /* real µs the timer is armed for; 0 disarmed */
  guint            dispatching; /* arm once after the callbacks, not per call */

  GCancellable    *sleep_cancellable;
  GDBusConnection *system_bus;
  guint            sleep_subscription;
  gboolean         watching_sleep;
};

G_DEFINE_FINAL_TYPE (TdExpiryScheduler, td_expiry_scheduler, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_WATCHING_SLEEP,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

enum {
  REEVALUATED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static void
deadline_free (gpointer data)
{
  Deadline *deadline = data;

  if (deadline->iter != NULL)
    g_sequence_remove (deadline->iter);
  g_free (deadline);
}

static int
compare_deadlines (gconstpointer a,
                   gconstpointer b,
                   gpointer      user_data)
{
  const Deadline *da = a;
  const Deadline *db = b;

  if (da->when != db->when)
    return da->when < db->when ? -1 : 1;
  if (da->serial != db->serial)
    return da->serial < db->serial ? -1 : 1;
  return 0;
}

static Deadline *
peek_earliest (TdExpiryScheduler *self)
{
  GSequenceIter *first = g_sequence_get_begin_iter (self->deadlines);

  return g_sequence_iter_is_end (first) ? NULL : g_sequence_get (first);
}

static gboolean timer_cb (int          fd,
                          GIOCondition condition,
                          gpointer     user_data);

/* Created on the first deadline: `tokendesk token` and friends mostly
 * never get one. */
static gboolean
ensure_timer (TdExpiryScheduler *self)
{
  if (self->timer_fd >= 0)
    return TRUE;
  if (self->timer_failed)
    return FALSE;

  self->timer_fd = timerfd_create (CLOCK_REALTIME, TFD_NONBLOCK | TFD_CLOEXEC);
  if (self->timer_fd < 0)
    {
      int saved_errno = errno;

      self->timer_failed = TRUE;
      g_warning ("Could not create a wall-clock timer, expiry will not be watched: %s",
                 g_strerror (saved_errno));
      return FALSE;
    }

  self->timer_source_id = g_unix_fd_add (self->timer_fd, G_IO_IN, timer_cb, self);
  return TRUE;
}

static void
set_timer (TdExpiryScheduler *self,
           gint64             real_us)
{
  struct itimerspec spec = { { 0, 0 }, { 0, 0 } };
  int flags = 0;

  if (real_us != 0)
    {
      /* A zero it_value disarms: a deadline at or before the epoch is
       * simply due, so aim at its first nanosecond instead. */
      real_us = MAX (real_us, 1);
      spec.it_value.tv_sec = real_us / G_USEC_PER_SEC;
      spec.it_value.tv_nsec = (real_us % G_USEC_PER_SEC) * 1000;
      flags = TFD_TIMER_ABSTIME | TFD_TIMER_CANCEL_ON_SET;
    }

  if (timerfd_settime (self->timer_fd, flags, &spec, NULL) < 0)
    {
      int saved_errno = errno;

      g_warning ("Could not arm the wall-clock timer: %s", g_strerror (saved_errno));
      return;
    }

  self->armed_at = real_us;
}

/* Arms the timer at the earliest deadline, or disarms it. */
static void
arm_timer (TdExpiryScheduler *self)
{
  Deadline *earliest;
  gint64 real_us;

  if (self->dispatching > 0)
    return;

  earliest = peek_earliest (self);
  if (earliest == NULL)
    {
      if (self->timer_fd >= 0 && self->armed_at != 0)
        set_timer (self, 0);
      return;
    }

  /* The test offset moves our clock, not the kernel's: the timer fires
   * when the real clock reaches the deadline minus the offset. */
  real_us = earliest->when - self->offset;
  if (real_us == self->armed_at || !ensure_timer (self))
    return;

  set_timer (self, MAX (real_us, 1));
}

/* Calls the function of every deadline marked due that is still there:
 * one may clear or set another's while we go. */
static void
call_due (TdExpiryScheduler *self,
          GPtrArray         *owners)
{
  for (guint i = 0; i < owners->len; i++)
    {
      gpointer owner = g_ptr_array_index (owners, i);
      Deadline *deadline = g_hash_table_lookup (self->by_owner, owner);
      TdExpiryFunc func;

      if (deadline == NULL || !deadline->due)
        continue;

      func = deadline->func;
      g_hash_table_remove (self->by_owner, owner);
      func (owner);
    }
}

static void
run_due (TdExpiryScheduler *self)
{
  g_autoptr(GPtrArray) owners = g_ptr_array_new ();
  gint64 now = td_expiry_scheduler_get_now (self);
  Deadline *deadline;

  /* Take the due ones out first: a function that sets a deadline already
   * past gets it run at the next iteration, not in a loop here. */
  while ((deadline = peek_earliest (self)) != NULL && deadline->when <= now)
    {
      g_sequence_remove (deadline->iter);
      deadline->iter = NULL;
      deadline->due = TRUE;
      g_ptr_array_add (owners, deadline->owner);
    }

  call_due (self, owners);
}

static gboolean
timer_cb (int          fd,
          GIOCondition condition,
          gpointer     user_data)
{
  g_autoptr(TdExpiryScheduler) self = g_object_ref (user_data);
  guint64 expirations;
  ssize_t n;

  n = read (fd, &expirations, sizeof expirations);
  /* Fired or cancelled, the timer is spent: arm it again afterwards. */
  self->armed_at = 0;

  if (n < 0 && errno == ECANCELED)
    {
      g_debug ("The wall clock was set: re-evaluating %u deadlines",
               g_hash_table_size (self->by_owner));
      td_expiry_scheduler_reevaluate (self);
      return G_SOURCE_CONTINUE;
    }
  else if (n < 0 && errno != EAGAIN && errno != EINTR)
    {
      int saved_errno = errno;

      g_warning ("Could not read the wall-clock timer: %s", g_strerror (saved_errno));
    }

  self->dispatching++;
  run_due (self);
  self->dispatching--;
  arm_timer (self);

  return G_SOURCE_CONTINUE;
}

/* Watching for resume ---------------------------------------------------- */

static void
prepare_for_sleep_cb (GDBusConnection *connection,
                      const char      *sender_name,
                      const char      *object_path,
                      const char      *interface_name,
                      const char      *signal_name,
                      GVariant        *parameters,
                      gpointer         user_data)
{
  TdExpiryScheduler *self = user_data;
  gboolean start;

  if (!g_variant_is_of_type (parameters, G_VARIANT_TYPE ("(b)")))
    return;

  g_variant_get (parameters, "(b)", &start);
  if (start)
    {
      g_debug ("Going to sleep");
      return;
    }

  g_debug ("Resumed: re-evaluating %u deadlines", g_hash_table_size (self->by_owner));
  td_expiry_scheduler_reevaluate (self);
}

static void
system_bus_cb (GObject      *object,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr(TdExpiryScheduler) self = user_data;
  g_autoptr(GError) error = NULL;
  GDBusConnection *connection;

  connection = g_bus_get_finish (result, &error);
  if (connection == NULL)
    {
      /* Containers, CI, some sandboxes: the timer alone still works. */
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        g_debug ("No system bus, resume not watched: %s", error->message);
      return;
    }

  /* The shared system bus connection exits the process by default when
   * the bus goes away; a restarted dbus-daemon must not end the app. */
  g_dbus_connection_set_exit_on_close (connection, FALSE);

  self->system_bus = connection;
  /* Without logind on the bus this signal simply never comes. */
  self->sleep_subscription =
    g_dbus_connection_signal_subscribe (connection, LOGIND_NAME, LOGIND_INTERFACE,
                                        "PrepareForSleep", LOGIND_PATH, NULL,
                                        G_DBUS_SIGNAL_FLAGS_NONE,
                                        prepare_for_sleep_cb, self, NULL);
  self->watching_sleep = TRUE;
  g_debug ("Watching logind's PrepareForSleep");
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_WATCHING_SLEEP]);
}

/* GObject ---------------------------------------------------------------- */

static void
td_expiry_scheduler_dispose (GObject *object)
{
  TdExpiryScheduler *self = (TdExpiryScheduler *)object;

  g_cancellable_cancel (self->sleep_cancellable);
  g_clear_object (&self->sleep_cancellable);
  if (self->sleep_subscription != 0)
    g_dbus_connection_signal_unsubscribe (self->system_bus, self->sleep_subscription);
  self->sleep_subscription = 0;
  g_clear_object (&self->system_bus);

  g_hash_table_remove_all (self->by_owner);
  g_clear_handle_id (&self->timer_source_id, g_source_remove);
  if (self->timer_fd >= 0)
    close (self->timer_fd);
  self->timer_fd = -1;
  self->armed_at = 0;

  G_OBJECT_CLASS (td_expiry_scheduler_parent_class)->dispose (object);
}

static void
td_expiry_scheduler_finalize (GObject *object)
{
  TdExpiryScheduler *self = (TdExpiryScheduler *)object;

  g_hash_table_unref (self->by_owner);
  g_sequence_free (self->deadlines);

  G_OBJECT_CLASS (td_expiry_scheduler_parent_class)->finalize (object);
}

static void
td_expiry_scheduler_get_property (GObject    *object,
                                  guint       prop_id,
                                  GValue     *value,
                                  GParamSpec *pspec)
{
  TdExpiryScheduler *self = TD_EXPIRY_SCHEDULER (object);

  switch (prop_id)
    {
    case PROP_WATCHING_SLEEP:
      g_value_set_boolean (value, self->watching_sleep);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
td_expiry_scheduler_class_init (TdExpirySchedulerClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = td_expiry_scheduler_dispose;
  object_class->finalize = td_expiry_scheduler_finalize;
  object_class->get_property = td_expiry_scheduler_get_property;

  /* TRUE once logind's PrepareForSleep is subscribed to. */
  properties[PROP_WATCHING_SLEEP] =
    g_param_spec_boolean ("watching-sleep", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);

  /* After every owner has recomputed on a clock change or a resume: what
   * became due meanwhile has been acted on. */
  signals[REEVALUATED] =
    g_signal_new ("reevaluated",
                  G_TYPE_FROM_CLASS (klass),
                  G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL,
                  G_TYPE_NONE, 0);
}

static void
td_expiry_scheduler_init (TdExpiryScheduler *self)
{
  self->deadlines = g_sequence_new (NULL);
  self->by_owner = g_hash_table_new_full (NULL, NULL, NULL, deadline_free);
  self->timer_fd = -1;
}

/* Public API ------------------------------------------------------------- */

TdExpiryScheduler *
td_expiry_scheduler_new (void)
{
  return g_object_new (TD_TYPE_EXPIRY_SCHEDULER, NULL);
}

TdExpiryScheduler *
td_expiry_scheduler_get_default (void)
{
  static TdExpiryScheduler *default_scheduler;

  if (g_once_init_enter (&default_scheduler))
    g_once_init_leave (&default_scheduler, td_expiry_scheduler_new ());

  return default_scheduler;
}

gint64
td_expiry_scheduler_get_now (TdExpiryScheduler *self)
{
  g_return_val_if_fail (TD_IS_EXPIRY_SCHEDULER (self), 0);

  return g_get_real_time () + self->offset;
}

void
td_expiry_scheduler_set_deadline (TdExpiryScheduler *self,
                                  gpointer           owner,
                                  gint64             when,
                                  TdExpiryFunc       func)
{
  Deadline *deadline;

  g_return_if_fail (TD_IS_EXPIRY_SCHEDULER (self));
  g_return_if_fail (owner != NULL);
  g_return_if_fail (func != NULL);

  deadline = g_hash_table_lookup (self->by_owner, owner);
  if (deadline != NULL && deadline->iter != NULL && deadline->when == when &&
      deadline->func == func)
    return;

  deadline = g_new0 (Deadline, 1);
  deadline->owner = owner;
  deadline->when = when;
  deadline->serial = self->next_serial++;
  deadline->func = func;
  deadline->iter = g_sequence_insert_sorted (self->deadlines, deadline, compare_deadlines, NULL);
  /* Frees the one it replaces, taking it out of the sequence. */
  g_hash_table_insert (self->by_owner, owner, deadline);

  arm_timer (self);
}

void
td_expiry_scheduler_clear_deadline (TdExpiryScheduler *self,
                                    gpointer           owner)
{
  g_return_if_fail (TD_IS_EXPIRY_SCHEDULER (self));

  if (g_hash_table_remove (self->by_owner, owner))
    arm_timer (self);
}

gint64
td_expiry_scheduler_get_deadline (TdExpiryScheduler *self,
                                  gpointer           owner)
{
  Deadline *deadline;

  g_return_val_if_fail (TD_IS_EXPIRY_SCHEDULER (self), 0);

  deadline = g_hash_table_lookup (self->by_owner, owner);
  return deadline != NULL ? deadline->when : 0;
}

guint
td_expiry_scheduler_get_n_deadlines (TdExpiryScheduler *self)
{
  g_return_val_if_fail (TD_IS_EXPIRY_SCHEDULER (self), 0);

  return g_hash_table_size (self->by_owner);
}

void
td_expiry_scheduler_reevaluate (TdExpiryScheduler *self)
{
  g_autoptr(GPtrArray) owners = NULL;
  GHashTableIter iter;
  gpointer owner;
  Deadline *deadline;

  g_return_if_fail (TD_IS_EXPIRY_SCHEDULER (self));

  g_object_ref (self);
  owners = g_ptr_array_sized_new (g_hash_table_size (self->by_owner));
  g_hash_table_iter_init (&iter, self->by_owner);
  while (g_hash_table_iter_next (&iter, &owner, (gpointer *) &deadline))
    {
      deadline->due = TRUE;
      g_ptr_array_add (owners, owner);
    }

  self->dispatching++;
  call_due (self, owners);
  self->dispatching--;
  /* The clock may have moved under an armed timer: arm it afresh. */
  self->armed_at = 0;
  arm_timer (self);

  g_signal_emit (self, signals[REEVALUATED], 0);
  g_object_unref (self);
}

void
td_expiry_scheduler_watch_sleep (TdExpiryScheduler *self)
{
  g_return_if_fail (TD_IS_EXPIRY_SCHEDULER (self));

  if (self->sleep_cancellable != NULL)
    return;

  self->sleep_cancellable = g_cancellable_new ();
  g_bus_get (G_BUS_TYPE_SYSTEM, self->sleep_cancellable, system_bus_cb, g_object_ref (self));
}

gboolean
td_expiry_scheduler_get_watching_sleep (TdExpiryScheduler *self)
{
  g_return_val_if_fail (TD_IS_EXPIRY_SCHEDULER (self), FALSE);

  return self->watching_sleep;
}

void
td_expiry_scheduler_set_clock_offset_for_testing (TdExpiryScheduler *self,
                                                  gint64             offset)
{
  g_return_if_fail (TD_IS_EXPIRY_SCHEDULER (self));

  self->offset = offset;
}

gint64
td_expiry_scheduler_get_armed_for_testing (TdExpiryScheduler *self)
{
  g_return_val_if_fail (TD_IS_EXPIRY_SCHEDULER (self), 0);

  return self->armed_at;
}
