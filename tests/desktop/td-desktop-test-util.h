/* td-desktop-test-util.h: real desktop components for the desktop tests
 * (and the idle-wakeups benchmark's tray host), started as subprocesses
 * inside tests/headless-session
 *
 * Test-only: helpers assert instead of reporting errors, and every wait
 * iterates the default main context with a bound, so an application
 * running in the test's process keeps answering.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

#define TD_DESKTOP_TEST_WAIT_MS 10000

/* Bus names ---------------------------------------------------------------- */

/* Polls NameHasOwner until name is owned (or, present FALSE, not owned);
 * returns whether it happened within timeout_ms. */
gboolean     td_desktop_wait_for_name    (const char   *name,
                                          gboolean      present,
                                          guint         timeout_ms);

/* Commands ----------------------------------------------------------------- */

/* Starts argv (NULL-terminated) with stdout and stderr piped. */
GSubprocess *td_desktop_spawn            (const char   *first_arg,
                                          ...) G_GNUC_NULL_TERMINATED;
/* Waits (bounded) for it to exit, iterating the main loop; returns its
 * stdout and, if out_stderr is given, its stderr. Aborts when it does not
 * exit; the exit status is in g_subprocess_get_exit_status (). */
char        *td_desktop_communicate      (GSubprocess  *process,
                                          char        **out_stderr);
/* Runs a command to its end while the main loop keeps running (so that
 * this process can answer it: xclip reading our clipboard). Aborts when
 * it fails; returns its stdout. */
char        *td_desktop_run              (const char   *first_arg,
                                          ...) G_GNUC_NULL_TERMINATED;
/* Ends a process that we started and waits until it is gone. */
void         td_desktop_kill             (GSubprocess  *process);

/* The tray host: xfce4-panel ----------------------------------------------- */

typedef struct _TdDesktopPanel TdDesktopPanel;

/* xfconfd and xfce4-panel with tests/desktop/xfce4-panel.xml (one panel
 * at the top, 32 px high, with only the systray plugin) in
 * $XDG_CONFIG_HOME. Returns once org.kde.StatusNotifierWatcher is on the
 * bus. Skips nothing: the caller checks td_desktop_have_panel (). */
gboolean        td_desktop_have_panel    (void);
TdDesktopPanel *td_desktop_panel_start   (void);
/* The same with the configuration file at config: for a benchmark, which
 * has no g_test_init () to find it with. */
TdDesktopPanel *td_desktop_panel_start_with_config (const char *config);
/* Kills the panel (not xfconfd) and waits until its watcher is gone. */
void            td_desktop_panel_kill    (TdDesktopPanel *panel);
/* Starts the panel again after td_desktop_panel_kill (). */
void            td_desktop_panel_restart (TdDesktopPanel *panel);
void            td_desktop_panel_stop    (TdDesktopPanel *panel);

/* The screen ---------------------------------------------------------------- */

/* How many toplevels of process pid are mapped on the X server. */
guint        td_desktop_count_windows_of (unsigned long pid);

/* The whole X screen (`import -window root`), as a file in path. */
void         td_desktop_screenshot       (const char   *path);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (TdDesktopPanel, td_desktop_panel_stop)

G_END_DECLS
