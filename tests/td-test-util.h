/* td-test-util.h: what the core, vendor and command-line tests share
 *
 * Test-only: helpers assert instead of reporting errors. Every wait on the
 * main loop is bounded by a timeout source.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

#include "td-account.h"
#include "td-error.h"
#include "td-provider.h"
#include "td-test-sim.h"
#include "td-token-manager.h"
#include "td-tokens.h"

G_BEGIN_DECLS

/* Long enough for a 2 s client timeout plus slack, short enough that a
 * hung test fails instead of stalling the suite. */
#define TD_TEST_WAIT_SECONDS 20

#define TD_TEST_VENDORS { "coverwhale", "couchdrop", "senmo", "logware" }

/* g_test_init (with the isolated directories option) + td_vendors_init. */
void        td_test_init              (int                *argc,
                                       char             ***argv);

/* td_test_sim_wait_until on the default main context. */
gboolean    td_test_wait_until        (TdTestCondition     condition,
                                       gpointer            user_data,
                                       guint               timeout_ms);
/* Runs the default main context for ms milliseconds. */
void        td_test_run_for           (guint               ms);

/* GAsyncReadyCallback storing a ref of the result in *(GAsyncResult **) user_data. */
void        td_test_result_cb         (GObject            *source,
                                       GAsyncResult       *result,
                                       gpointer            user_data);
/* Waits (bounded) until *slot is set; asserts it was. Returns it, transfer full. */
GAsyncResult *td_test_wait_result     (GAsyncResult      **slot);

TdProvider *td_test_provider          (const char         *vendor);
/* An account of vendor pointing at the simulator, with a username. */
TdAccount  *td_test_account_new       (TdTestSim          *sim,
                                       const char         *vendor,
                                       const char         *username);

/* Provider calls, synchronously. */
TdTokens   *td_test_login             (TdAccount          *account,
                                       const char         *password,
                                       const char         *new_password,
                                       GError            **error);
TdTokens   *td_test_refresh           (TdAccount          *account,
                                       const char         *refresh_token,
                                       GError            **error);
gboolean    td_test_request_password_reset (TdAccount     *account,
                                            GError       **error);
gboolean    td_test_reset_password    (TdAccount          *account,
                                       const char         *code,
                                       const char         *new_password,
                                       GError            **error);

/* Token manager calls, synchronously. */
gboolean    td_test_manager_sign_in   (TdTokenManager     *manager,
                                       TdAccount          *account,
                                       const char         *password,
                                       GError            **error);
gboolean    td_test_manager_renew     (TdTokenManager     *manager,
                                       TdAccount          *account,
                                       GError            **error);
char       *td_test_manager_get_token (TdTokenManager     *manager,
                                       TdAccount          *account,
                                       guint               min_valid,
                                       GError            **error);

/* td_test_sim_use_token with the provider's own header name and value
 * format: the HTTP status of the vendor's protected endpoint. */
guint       td_test_use_token_as_provider (TdTestSim      *sim,
                                           const char     *vendor,
                                           const char     *token);

/* What the simulator saw last on a vendor's auth endpoint (GET /_sim/last). */
JsonObject *td_test_sim_last          (TdTestSim          *sim,
                                       const char         *vendor);

/* Deletes path and everything below it, following no symbolic link. */
void        td_test_rm_rf             (const char         *path);

/* TD_TEST_SLOWDOWN, 1 when unset: how many times longer a timing
 * assertion may take, for runs made slow on purpose (valgrind). */
int         td_test_slowdown          (void);

/* Whether program is in PATH: for a test to skip without it. */
gboolean    td_test_have_program      (const char         *program);

/* Seconds since the epoch, as the account computes expiry. */
gint64      td_test_now               (void);

gboolean    td_test_tokens_equal      (const TdTokens     *a,
                                       const TdTokens     *b);

/* Asserts error is TD_ERROR code and its message names the vendor and,
 * when given, contains text. */
#define td_test_assert_td_error(error, code, vendor_name, text) \
  td_test_assert_td_error_impl (G_STRLOC, (error), (code), (vendor_name), (text))
void        td_test_assert_td_error_impl (const char      *strloc,
                                          const GError    *error,
                                          TdError          code,
                                          const char      *vendor_name,
                                          const char      *text);

/* Asserts text says this computer's clock is offset seconds off the
 * vendor's (ours minus theirs: below zero, behind). The Date header counts
 * whole seconds and the answer takes time to arrive, so what is read is
 * offset or one second more (offset 7200 behind reads 7200 or 7199 s
 * behind), never anything else. */
void        td_test_assert_clock_said (const char      *text,
                                       gint64           offset);

/* A private session bus of the test's own: dbus-daemon, and with_keyring
 * an unlocked gnome-keyring on it (as tests/headless-session starts it).
 * service_dir, if not NULL, is where the bus finds what it may activate;
 * without it nothing is. runtime_dir is the XDG_RUNTIME_DIR to give the
 * programs run on it. */
typedef struct
{
  char        *dir;
  char        *runtime_dir;
  char        *address;
  GSubprocess *bus;
  GPid         keyring_pid;
} TdTestBus;

TdTestBus       *td_test_bus_start        (gboolean            with_keyring,
                                           const char         *service_dir);
/* A connection to it, as a client. */
GDBusConnection *td_test_bus_connect      (TdTestBus          *bus);
void             td_test_bus_stop         (TdTestBus          *bus);
/* Kills the bus's gnome-keyring with SIGKILL and waits until its name is
 * gone; starts it again, unlocked, on the same keyring files. */
void             td_test_bus_kill_keyring (TdTestBus          *bus);
void             td_test_bus_start_keyring (TdTestBus         *bus);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (TdTestBus, td_test_bus_stop)

/* Polls NameHasOwner on that bus until name is owned (or, present FALSE,
 * not owned); returns whether it happened within timeout_ms. */
gboolean         td_test_wait_for_name    (GBusType            bus_type,
                                           const char         *name,
                                           gboolean            present,
                                           guint               timeout_ms);
/* python3-dbusmock's logind on the private system bus of
 * tests/headless-session; returns once it owns org.freedesktop.login1. */
GSubprocess     *td_test_logind_start     (void);
/* Has logind announce a suspend (start TRUE) or the resume (FALSE). */
void             td_test_logind_prepare_for_sleep (gboolean start);

G_END_DECLS
