/* td-ui-test-util.h: what the GUI tests and the screenshot tool share to
 * drive the real window
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gtk/gtk.h>

#include "td-account-dialog.h"
#include "td-application.h"
#include "td-test-sim.h"
#include "td-window.h"

G_BEGIN_DECLS

/* Every wait is bounded: a test that hangs fails instead. */
#define TD_UI_TEST_WAIT_MS 20000

/* Iterates the main loop until condition (data) holds or timeout_ms pass;
 * returns whether it holds. Conditions are checked once per iteration, and
 * at least every 20 ms for those the main loop cannot see change (a
 * private X connection, the clock). */
gboolean  td_ui_test_wait_until     (TdTestCondition    condition,
                                     gpointer           data,
                                     guint              timeout_ms);
/* Conditions on a gboolean and on a (weak) pointer. */
gboolean  td_ui_test_is_true        (gpointer           data);
gboolean  td_ui_test_is_null        (gpointer           data);

/* Starts the application as the GUI tests and the screenshot tool run it:
 * its own id, not unique, expiry notifications off (nothing would show
 * them here), the window at width × height (0: as saved), activated and
 * waited for until mapped with the account list read. Returns the window. */
TdWindow *td_ui_test_start_app      (const char        *application_id,
                                     int                width,
                                     int                height,
                                     TdApplication    **out_application);

/* object, to which the caller holds the last reference once GTK let go
 * (bounded wait), is finalized when the caller drops it: nothing else
 * keeps a closed window or dialog alive. Drops that reference. */
void      td_ui_test_assert_finalized (gpointer         object);

/* The first visible toplevel of that type, or NULL. */
gpointer  td_ui_test_find_toplevel  (GType              type);
/* Closes a window and waits until it is gone, then checks that nothing
 * keeps it alive; aborts when it stays. */
void      td_ui_test_close_window   (gpointer           toplevel);

void      td_ui_test_set_field      (TdAccountDialog   *dialog,
                                     const char        *field,
                                     const char        *text);
/* The vendor chosen, its endpoint the simulator's, and the form filled. */
void      td_ui_test_fill_dialog    (TdAccountDialog   *dialog,
                                     TdTestSim         *sim,
                                     const char        *vendor,
                                     const char        *name,
                                     const char        *username,
                                     const char        *password);
/* A condition: the dialog is not talking to the vendor. */
gboolean  td_ui_test_dialog_idle    (gpointer           dialog);
/* Presses Sign In and waits for the dialog to close (TRUE: it was then
 * finalized) or to show an error (FALSE); aborts when Sign In is disabled
 * or nothing happens. */
gboolean  td_ui_test_sign_in        (TdAccountDialog   *dialog);

G_END_DECLS
