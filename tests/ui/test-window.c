/* test-window.c: the real window, driven through its actions, against the
 * vendor simulator, under Xvfb with a real keyring (tests/headless-session)
 *
 * One application for the whole run (a GApplication registers once per
 * process): the tests run in order and each leaves the list as it found
 * it, or says what it adds. Every wait is bounded.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <adwaita.h>
#include <gdk/x11/gdkx.h>
#include <glib/gstdio.h>
#include <X11/Xatom.h>
#include <X11/Xlib.h>
#include <X11/extensions/XTest.h>

#include "td-account-dialog.h"
#include "td-account-list.h"
#include "td-account-row.h"
#include "td-application.h"
#include "td-clipboard.h"
#include "td-sign-in-dialog.h"
#include "td-test-sim.h"
#include "td-test-util.h"
#include "td-ui-test-util.h"
#include "td-token-store.h"
#include "td-vendors.h"
#include "td-window.h"

#define WAIT_MS TD_UI_TEST_WAIT_MS

static TdTestSim *sim;
static TdApplication *app;
static TdWindow *window;
static GdkDisplay *other_display;  /* another X client: "another app" */
static char *config_dir;

/* Waiting ---------------------------------------------------------------- */

static gboolean
never (gpointer data)
{
  return FALSE;
}

static void
run_for (guint ms)
{
  td_ui_test_wait_until (never, NULL, ms);
}

/* The simulator ---------------------------------------------------------- */

static const char *
password_of (const char *username)
{
  if (g_str_equal (username, "alice"))
    return "alice-password";
  if (g_str_equal (username, "bob"))
    return "bob-password";
  if (g_str_equal (username, "twofa"))
    return "twofa-password";
  if (g_str_equal (username, "forbidden"))
    return "forbidden-password";
  g_assert_not_reached ();
}

/* Window and dialogs ----------------------------------------------------- */

static TdAccountList *
accounts (void)
{
  return td_application_get_accounts (app);
}

static TdAccountDialog *
open_add_dialog (void)
{
  TdAccountDialog *dialog;

  g_assert_null (td_ui_test_find_toplevel (TD_TYPE_ACCOUNT_DIALOG));
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window), "win.add-account", NULL));
  dialog = td_ui_test_find_toplevel (TD_TYPE_ACCOUNT_DIALOG);
  g_assert_nonnull (dialog);

  return dialog;
}

static const char *
get_field (TdAccountDialog *dialog,
           const char      *field)
{
  return gtk_editable_get_text (td_account_dialog_get_field (dialog, field));
}


static TdAccount *
add_account (const char *vendor,
             const char *name,
             const char *username,
             gboolean    remember_password)
{
  TdAccountDialog *dialog = open_add_dialog ();
  TdAccount *account;
  g_autofree char *token = NULL;

  td_ui_test_fill_dialog (dialog, sim, vendor, name, username, password_of (username));
  if (remember_password)
    td_account_dialog_set_option (dialog, "remember-password", TRUE);
  if (!td_ui_test_sign_in (dialog))
    g_error ("Could not add %s: %s", name, td_account_dialog_get_message (dialog));

  account = td_account_list_find_by_name (accounts (), name);
  g_assert_nonnull (account);
  g_assert_cmpstr (td_account_get_vendor (account), ==, vendor);
  /* Signed in; a short-lived token shows as expiring at once. */
  g_assert_true (td_account_get_state (account) == TD_ACCOUNT_STATE_SIGNED_IN ||
                 td_account_get_state (account) == TD_ACCOUNT_STATE_EXPIRING);
  token = td_account_dup_hand_out_token (account);
  g_assert_nonnull (token);

  return account;
}

static gboolean
row_found (GtkWidget  *widget,
           TdAccount  *account,
           TdAccountRow **out_row)
{
  if (TD_IS_ACCOUNT_ROW (widget) && td_account_row_get_account (TD_ACCOUNT_ROW (widget)) == account)
    {
      *out_row = TD_ACCOUNT_ROW (widget);
      return TRUE;
    }

  for (GtkWidget *child = gtk_widget_get_first_child (widget); child;
       child = gtk_widget_get_next_sibling (child))
    if (row_found (child, account, out_row))
      return TRUE;

  return FALSE;
}

static TdAccountRow *
find_row (TdAccount *account)
{
  TdAccountRow *row = NULL;

  /* Rows are created at layout time. */
  run_for (50);
  row_found (GTK_WIDGET (window), account, &row);

  return row;
}

static void
remove_account (TdAccount *account)
{
  g_autoptr(TdAccount) ref = g_object_ref (account);

  gtk_widget_activate_action (GTK_WIDGET (window), "win.remove-account", "s",
                              td_account_get_id (account));
  g_assert_null (td_account_list_find_by_id (accounts (), td_account_get_id (ref)));
}

static gboolean
page_is (gpointer data)
{
  return g_strcmp0 (td_window_get_page (window), data) == 0;
}

/* Clipboard -------------------------------------------------------------- */

typedef struct
{
  gboolean done;
  char    *text;
  GError  *error;
} ReadText;

static void
read_text_cb (GObject      *object,
              GAsyncResult *result,
              gpointer      user_data)
{
  ReadText *read = user_data;

  read->text = gdk_clipboard_read_text_finish (GDK_CLIPBOARD (object), result, &read->error);
  read->done = TRUE;
}

/* Reads the clipboard as another X client does, through the X server. */
static char *
read_clipboard_from (GdkDisplay *display)
{
  ReadText read = { 0 };

  gdk_clipboard_read_text_async (gdk_display_get_clipboard (display), NULL, read_text_cb, &read);
  g_assert_true (td_ui_test_wait_until (td_ui_test_is_true, &read.done, WAIT_MS));
  g_clear_error (&read.error);

  return read.text;
}

/* What a clipboard manager sees: a plain Xlib client asking the owner.
 * GDK's own reader keeps only the targets it knows as mime types. */
typedef struct
{
  Display *xdisplay;
  Window   xwindow;
  XEvent   event;
} XReader;

static gboolean
x_selection_notified (gpointer data)
{
  XReader *reader = data;

  return XCheckTypedWindowEvent (reader->xdisplay, reader->xwindow, SelectionNotify,
                                 &reader->event);
}

static GBytes *
x_convert_clipboard (const char *target_name)
{
  XReader reader = { 0 };
  Atom clipboard, target, property, type;
  unsigned long n_items, after;
  unsigned char *data = NULL;
  int format;
  GBytes *bytes = NULL;

  reader.xdisplay = XOpenDisplay (gdk_display_get_name (gdk_display_get_default ()));
  g_assert_nonnull (reader.xdisplay);
  reader.xwindow = XCreateSimpleWindow (reader.xdisplay, DefaultRootWindow (reader.xdisplay),
                                        0, 0, 1, 1, 0, 0, 0);
  clipboard = XInternAtom (reader.xdisplay, "CLIPBOARD", False);
  target = XInternAtom (reader.xdisplay, target_name, False);
  property = XInternAtom (reader.xdisplay, "TD_TEST_SELECTION", False);

  XConvertSelection (reader.xdisplay, clipboard, target, property, reader.xwindow, CurrentTime);
  XFlush (reader.xdisplay);
  /* Our main loop has to run for the application to answer. */
  g_assert_true (td_ui_test_wait_until (x_selection_notified, &reader, WAIT_MS));

  if (reader.event.xselection.property != None &&
      XGetWindowProperty (reader.xdisplay, reader.xwindow, property, 0, 65536, True,
                          AnyPropertyType, &type, &format, &n_items, &after, &data) == Success &&
      data != NULL)
    {
      bytes = g_bytes_new (data, n_items * (format / 8));
      XFree (data);
    }

  XDestroyWindow (reader.xdisplay, reader.xwindow);
  XCloseDisplay (reader.xdisplay);

  return bytes;
}

static gboolean
x_clipboard_offers (const char *target_name)
{
  g_autoptr(GBytes) bytes = x_convert_clipboard ("TARGETS");
  Display *xdisplay = XOpenDisplay (gdk_display_get_name (gdk_display_get_default ()));
  const Atom *atoms;
  gsize size;
  gboolean found = FALSE;

  g_assert_nonnull (bytes);
  atoms = g_bytes_get_data (bytes, &size);
  for (gsize i = 0; i < size / sizeof (Atom) && !found; i++)
    {
      char *name = XGetAtomName (xdisplay, atoms[i]);

      found = g_strcmp0 (name, target_name) == 0;
      XFree (name);
    }
  XCloseDisplay (xdisplay);

  return found;
}

static gboolean
holds_secret (gpointer data)
{
  return td_clipboard_holds_secret (td_application_get_clipboard (app));
}

static gboolean
does_not_hold_secret (gpointer data)
{
  return !holds_secret (data);
}

/* Lost it, and learnt what the new owner offers (GDK asks for TARGETS). */
static gboolean
other_lost_clipboard (gpointer data)
{
  GdkClipboard *clipboard = gdk_display_get_clipboard (other_display);

  return !gdk_clipboard_is_local (clipboard) &&
         gdk_content_formats_contain_mime_type (gdk_clipboard_get_formats (clipboard),
                                                "text/plain;charset=utf-8");
}

static gboolean
other_owns_clipboard (gpointer data)
{
  return !gdk_clipboard_is_local (gdk_display_get_clipboard (gdk_display_get_default ()));
}

/* Another application copies text: wait until the X server told us.
 *
 * Then let a few milliseconds pass with our connection drained. GDK drops
 * an XFixes ownership notice only when it is strictly older than its own
 * claim, and X time counts milliseconds: a notice for this copy that were
 * still queued when the app copied within the same millisecond would make
 * the app believe it lost the clipboard. People don't copy that fast;
 * tests do. */
static void
copy_elsewhere (const char *text)
{
  gdk_clipboard_set_text (gdk_display_get_clipboard (other_display), text);
  g_assert_true (td_ui_test_wait_until (other_owns_clipboard, NULL, WAIT_MS));
  XSync (gdk_x11_display_get_xdisplay (gdk_display_get_default ()), False);
  run_for (5);
}

/* We copied: wait until the other application heard of it. */
static void
wait_for_our_copy (void)
{
  g_assert_true (td_ui_test_wait_until (holds_secret, NULL, WAIT_MS));
  if (!td_ui_test_wait_until (other_lost_clipboard, NULL, WAIT_MS))
    {
      GdkClipboard *clipboard = gdk_display_get_clipboard (other_display);
      g_autofree char *formats = gdk_content_formats_to_string (gdk_clipboard_get_formats (clipboard));

      g_error ("The other client did not see our copy: local %d, formats %s; ours local %d",
               gdk_clipboard_is_local (clipboard), formats,
               gdk_clipboard_is_local (gdk_display_get_clipboard (gdk_display_get_default ())));
    }
}

static void
copy (TdAccount *account)
{
  copy_elsewhere ("before");
  g_assert_false (holds_secret (NULL));

  gtk_widget_activate_action (GTK_WIDGET (window), "win.copy-account", "s",
                              td_account_get_id (account));
  wait_for_our_copy ();
}

/* Keyring ---------------------------------------------------------------- */

typedef struct
{
  gboolean         done;
  TdStoredSecrets *secrets;
} LoadSecrets;

static void
load_secrets_cb (GObject      *object,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  LoadSecrets *load = user_data;
  g_autoptr(GError) error = NULL;

  load->secrets = td_token_store_load_finish (TD_TOKEN_STORE (object), result, &error);
  g_assert_no_error (error);
  load->done = TRUE;
}

static gboolean
keyring_has_tokens (TdAccount *account)
{
  TdTokenStore *store = td_token_manager_get_store (td_application_get_token_manager (app));
  LoadSecrets load = { 0 };
  gboolean has;

  td_token_store_load_async (store, account, NULL, load_secrets_cb, &load);
  g_assert_true (td_ui_test_wait_until (td_ui_test_is_true, &load.done, WAIT_MS));
  has = load.secrets->tokens != NULL && load.secrets->tokens->access_token != NULL;
  td_stored_secrets_free (load.secrets);

  return has;
}

static gboolean
keyring_forgot (gpointer data)
{
  return !keyring_has_tokens (data);
}

static gboolean
file_has_account (const char *id)
{
  g_autofree char *path = g_build_filename (config_dir, "tokendesk", "accounts.ini", NULL);
  g_autofree char *contents = NULL;

  if (!g_file_get_contents (path, &contents, NULL, NULL))
    return FALSE;

  return strstr (contents, id) != NULL;
}

static gboolean
file_has_account_cb (gpointer id)
{
  return file_has_account (id);
}

static gboolean
file_lacks_account (gpointer id)
{
  return !file_has_account (id);
}

/* Tests ------------------------------------------------------------------ */

static gboolean
not_loading (gpointer data)
{
  return !td_application_get_loading (app);
}

static void
test_empty_state (void)
{
  g_assert_true (td_ui_test_wait_until (not_loading, NULL, WAIT_MS));
  g_assert_cmpstr (td_window_get_page (window), ==, "empty");
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (accounts ())), ==, 0);
}

static void
test_add_each_vendor (void)
{
  static const struct { const char *vendor; const char *name; const char *user; } cases[] = {
    { "coverwhale", "CW Alice", "alice" },
    { "couchdrop", "Couch Bob", "bob" },
    { "senmo", "Senmo Alice", "alice" },
    { "logware", "Logware Bob", "bob" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      TdAccount *account = add_account (cases[i].vendor, cases[i].name, cases[i].user, FALSE);
      TdAccountRow *row;

      g_test_message ("Added %s", cases[i].vendor);
      g_assert_true (td_ui_test_wait_until (file_has_account_cb, (gpointer) td_account_get_id (account),
                                 WAIT_MS));
      g_assert_true (keyring_has_tokens (account));

      row = find_row (account);
      g_assert_nonnull (row);
      g_assert_cmpstr (td_account_row_get_state_text (row), ==, "Signed in");
      g_assert_true (g_str_has_prefix (td_account_row_get_expiry_text (row), "expires in "));
    }

  g_assert_cmpstr (td_window_get_page (window), ==, "list");
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (accounts ())), ==, 4);
}

typedef struct
{
  const char *vendor;
  const char *username;
  const char *password;
  const char *url;          /* NULL: the simulator */
  const char *expected;     /* in the message */
} ErrorCase;

static void
test_add_errors (void)
{
  static const ErrorCase cases[] = {
    { "coverwhale", "alice", "wrong-password", NULL, "Incorrect username or password" },
    { "senmo", "bob", "wrong-password", NULL, "Incorrect username or password" },
    { "logware", "alice", "wrong-password", NULL, "Username or password incorrect" },
    { "couchdrop", "twofa", "twofa-password", NULL, "two-factor" },
    { "couchdrop", "forbidden", "forbidden-password", NULL, "Couchdrop" },
    { "logware", "bob", "bob-password", "http://127.0.0.1:1/logware", "Logware" },
  };
  guint n_before = g_list_model_get_n_items (G_LIST_MODEL (accounts ()));

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      TdAccountDialog *dialog = open_add_dialog ();
      g_autofree char *message = NULL;
      g_autofree char *expected = NULL;

      g_test_message ("Error case %u: %s %s", i, cases[i].vendor, cases[i].username);
      td_ui_test_fill_dialog (dialog, sim, cases[i].vendor, "Failing", cases[i].username, cases[i].password);
      if (cases[i].url != NULL)
        td_ui_test_set_field (dialog, "url", cases[i].url);

      g_assert_false (td_ui_test_sign_in (dialog));

      message = g_utf8_casefold (td_account_dialog_get_message (dialog), -1);
      g_test_message ("Message: %s", td_account_dialog_get_message (dialog));
      expected = g_utf8_casefold (cases[i].expected, -1);
      g_assert_nonnull (strstr (message, expected));

      /* Nothing typed is lost, nothing is saved. */
      g_assert_cmpstr (get_field (dialog, "username"), ==, cases[i].username);
      g_assert_cmpstr (get_field (dialog, "password"), ==, cases[i].password);
      g_assert_cmpstr (get_field (dialog, "name"), ==, "Failing");
      g_assert_null (td_account_list_find_by_name (accounts (), "Failing"));

      td_ui_test_close_window (dialog);
    }

  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (accounts ())), ==, n_before);
}

static void
test_add_validation (void)
{
  TdAccountDialog *dialog = open_add_dialog ();

  td_ui_test_fill_dialog (dialog, sim, "senmo", "Validated", "alice", "alice-password");
  g_assert_null (td_account_dialog_get_field_error (dialog));

  /* Checked as typed: no sign-in possible until the address is right. */
  td_ui_test_set_field (dialog, "url", "http://example.com/senmo");
  g_assert_nonnull (td_account_dialog_get_field_error (dialog));
  g_assert_nonnull (strstr (td_account_dialog_get_field_error (dialog), "https://"));
  g_assert_false (gtk_widget_activate_action (GTK_WIDGET (dialog), "dialog.sign-in", NULL) &&
                  td_account_dialog_get_busy (dialog));

  td_ui_test_set_field (dialog, "url", "not an address");
  g_assert_nonnull (td_account_dialog_get_field_error (dialog));

  td_ui_test_set_field (dialog, "url", "");
  g_assert_nonnull (td_account_dialog_get_field_error (dialog));

  /* Names are unique. */
  td_ui_test_set_field (dialog, "url", "https://senmo.example.com");
  td_ui_test_set_field (dialog, "name", "CW Alice");
  g_assert_nonnull (strstr (td_account_dialog_get_field_error (dialog), "already exists"));

  /* Names that would show as another: a bidi override, a control character. */
  td_ui_test_set_field (dialog, "name", "admin\xe2\x80\xae" "krow");
  g_assert_nonnull (td_account_dialog_get_field_error (dialog));
  g_assert_nonnull (strstr (td_account_dialog_get_field_error (dialog), "U+202E"));
  td_ui_test_set_field (dialog, "name", "two\x1blines");
  g_assert_nonnull (strstr (td_account_dialog_get_field_error (dialog), "U+001B"));
  td_ui_test_set_field (dialog, "name", "Validated");
  g_assert_null (td_account_dialog_get_field_error (dialog));

  td_ui_test_close_window (dialog);
}

static void
test_copy (void)
{
  TdAccount *account = td_account_list_find_by_name (accounts (), "CW Alice");
  g_autofree char *token = NULL;
  g_autofree char *text = NULL;
  g_settings_set_uint (td_application_get_settings (app), "clipboard-timeout", 0);
  copy (account);

  token = td_account_dup_hand_out_token (account);
  text = read_clipboard_from (other_display);
  g_assert_cmpstr (text, ==, token);

  /* Clipboard managers are told to keep it out of their history. GTK 4.8
   * can only advertise the hint (see td-clipboard.c): its value is not
   * served, so this checks the offer, which is what GPaste looks at. */
  g_assert_true (x_clipboard_offers (TD_CLIPBOARD_PASSWORD_HINT_MIME));
  g_assert_true (x_clipboard_offers ("UTF8_STRING"));
}

static void
test_copy_as (void)
{
  TdAccount *account = td_account_list_find_by_name (accounts (), "Logware Bob");
  g_autofree char *token = NULL;
  g_autofree char *header = NULL;
  g_autofree char *curl = NULL;
  g_autofree char *expected = NULL;

  g_settings_set_uint (td_application_get_settings (app), "clipboard-timeout", 0);

  copy_elsewhere ("before");
  gtk_widget_activate_action (GTK_WIDGET (window), "win.copy-account-as", "(ss)",
                              td_account_get_id (account), "header");
  wait_for_our_copy ();
  token = td_account_dup_hand_out_token (account);
  header = read_clipboard_from (other_display);
  expected = g_strdup_printf ("Authorization: Bearer %s", token);
  g_assert_cmpstr (header, ==, expected);

  copy_elsewhere ("before");
  gtk_widget_activate_action (GTK_WIDGET (window), "win.copy-account-as", "(ss)",
                              td_account_get_id (account), "curl");
  wait_for_our_copy ();
  curl = read_clipboard_from (other_display);
  g_assert_true (g_str_has_prefix (curl, "curl -H 'Authorization: Bearer "));
  g_assert_nonnull (strstr (curl, token));
  g_assert_nonnull (strstr (curl, "/logware/'"));
}

static void
test_copy_clears (void)
{
  TdAccount *account = td_account_list_find_by_name (accounts (), "Couch Bob");
  g_autofree char *text = NULL;
  g_autofree char *after = NULL;
  gint64 start;

  g_settings_set_uint (td_application_get_settings (app), "clipboard-timeout", 2);
  copy (account);
  start = g_get_monotonic_time ();

  text = read_clipboard_from (other_display);
  g_assert_nonnull (text);
  g_assert_cmpstr (text, !=, "before");

  g_assert_true (td_ui_test_wait_until (does_not_hold_secret, NULL, WAIT_MS));
  g_assert_cmpint (g_get_monotonic_time () - start, >=, 1 * G_USEC_PER_SEC);

  after = read_clipboard_from (other_display);
  g_assert_true (after == NULL || *after == '\0');
}

static void
test_copy_left_alone (void)
{
  TdAccount *account = td_account_list_find_by_name (accounts (), "Senmo Alice");
  g_autofree char *text = NULL;

  g_settings_set_uint (td_application_get_settings (app), "clipboard-timeout", 2);
  copy (account);

  /* Another application copies something before the timeout. */
  copy_elsewhere ("copied by someone else");
  g_assert_false (holds_secret (NULL));
  run_for (3000);

  text = read_clipboard_from (gdk_display_get_default ());
  g_assert_cmpstr (text, ==, "copied by someone else");
}

static gboolean
account_idle (gpointer data)
{
  return !td_account_get_busy (data);
}

/* Renewed while its token is on the clipboard: the new one replaces it,
 * in the same format, and the clear timer starts again. */
static void
test_copy_follows_renewal (void)
{
  TdAccount *account = td_account_list_find_by_name (accounts (), "Senmo Alice");
  g_autofree char *old_token = NULL;
  g_autofree char *new_token = NULL;
  g_autofree char *expected = NULL;
  g_autofree char *text = NULL;
  g_autofree char *still = NULL;

  g_settings_set_uint (td_application_get_settings (app), "clipboard-timeout", 3);
  copy_elsewhere ("before");
  gtk_widget_activate_action (GTK_WIDGET (window), "win.copy-account-as", "(ss)",
                              td_account_get_id (account), "header");
  wait_for_our_copy ();
  old_token = td_account_dup_hand_out_token (account);

  /* Renewed two seconds on (the tray's Renew Now): a fresh three seconds. */
  run_for (2000);
  gtk_widget_activate_action (GTK_WIDGET (window), "win.renew-account", "s",
                              td_account_get_id (account));
  g_assert_true (td_ui_test_wait_until (account_idle, account, WAIT_MS));
  new_token = td_account_dup_hand_out_token (account);
  g_assert_cmpstr (new_token, !=, old_token);

  expected = g_strdup_printf ("Authorization: Bearer %s", new_token);
  text = read_clipboard_from (other_display);
  g_assert_cmpstr (text, ==, expected);
  run_for (1500);
  g_assert_true (holds_secret (NULL));
  g_assert_true (td_ui_test_wait_until (does_not_hold_secret, NULL, WAIT_MS));

  /* Something else copied in between: left alone. */
  gtk_widget_activate_action (GTK_WIDGET (window), "win.copy-account", "s",
                              td_account_get_id (account));
  wait_for_our_copy ();
  copy_elsewhere ("copied by someone else");
  gtk_widget_activate_action (GTK_WIDGET (window), "win.renew-account", "s",
                              td_account_get_id (account));
  g_assert_true (td_ui_test_wait_until (account_idle, account, WAIT_MS));
  still = read_clipboard_from (gdk_display_get_default ());
  g_assert_cmpstr (still, ==, "copied by someone else");
}

static void
test_remove_undo (void)
{
  TdAccount *account = td_account_list_find_by_name (accounts (), "Logware Bob");
  g_autoptr(TdAccount) ref = g_object_ref (account);
  g_autofree char *id = g_strdup (td_account_get_id (account));
  guint n = g_list_model_get_n_items (G_LIST_MODEL (accounts ()));

  /* Removed from the list at once; the secrets wait for the toast. */
  remove_account (account);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (accounts ())), ==, n - 1);
  g_assert_true (keyring_has_tokens (ref));

  gtk_widget_activate_action (GTK_WIDGET (window), "win.undo-remove", "s", id);
  g_assert_true (td_account_list_find_by_id (accounts (), id) == ref);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (accounts ())), ==, n);
  run_for (500);
  g_assert_true (keyring_has_tokens (ref));
  g_assert_true (td_ui_test_wait_until (file_has_account_cb, id, WAIT_MS));

  /* This time the toast goes by: the file and the keyring forget it. */
  remove_account (ref);
  g_assert_true (td_ui_test_wait_until (file_lacks_account, id, WAIT_MS));
  g_assert_true (td_ui_test_wait_until (keyring_forgot, ref, WAIT_MS));
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (accounts ())), ==, n - 1);
}

static guint
n_visible (void)
{
  return g_list_model_get_n_items (td_window_get_visible_accounts (window));
}

static GtkEditable *
search_entry (void)
{
  GtkWidget *focus;

  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window), "win.search", NULL));
  focus = gtk_root_get_focus (GTK_ROOT (window));
  g_assert_nonnull (focus);
  focus = gtk_widget_get_ancestor (focus, GTK_TYPE_SEARCH_ENTRY);
  g_assert_nonnull (focus);

  return GTK_EDITABLE (focus);
}

static void
search (GtkEditable *entry,
        const char  *text)
{
  gtk_editable_set_text (entry, text);
  /* GtkSearchEntry waits a little before "search-changed". */
  run_for (400);
}

static void
test_search (void)
{
  GtkEditable *entry = search_entry ();
  guint all = n_visible ();

  g_assert_cmpuint (all, ==, 3);

  search (entry, "couch");             /* name and vendor */
  g_assert_cmpuint (n_visible (), ==, 1);

  search (entry, "SENMO");             /* vendor, any case */
  g_assert_cmpuint (n_visible (), ==, 1);

  search (entry, "Cover Whale");       /* vendor display name, not in the name */
  g_assert_cmpuint (n_visible (), ==, 1);

  search (entry, "alice");             /* username */
  g_assert_cmpuint (n_visible (), ==, 2);

  search (entry, "nothing like it");
  g_assert_cmpuint (n_visible (), ==, 0);
  g_assert_true (td_ui_test_wait_until (page_is, "no-results", WAIT_MS));

  search (entry, "");
  g_assert_cmpuint (n_visible (), ==, all);
  g_assert_true (td_ui_test_wait_until (page_is, "list", WAIT_MS));

  /* Closing the search shows everything again. */
  search (entry, "bob");
  g_assert_cmpuint (n_visible (), ==, 1);
  gtk_widget_activate_action (GTK_WIDGET (window), "win.search", NULL);
  run_for (400);
  g_assert_cmpuint (n_visible (), ==, all);
}

static gboolean
sign_in_prompt_shown (gpointer data)
{
  return td_ui_test_find_toplevel (TD_TYPE_SIGN_IN_DIALOG) != NULL;
}

static gboolean
prompt_has_error (gpointer data)
{
  return td_sign_in_dialog_get_error (data) != NULL;
}

static void
test_copy_asks_for_password (void)
{
  TdAccount *account;
  TdSignInDialog *prompt;
  g_autofree char *text = NULL;
  g_autofree char *token = NULL;

  /* A Couchdrop token (a JWT, so its lifetime is known) that is too
   * short-lived for the minimum validity, and no password remembered:
   * copying has to ask. */
  td_test_sim_config (sim, "{\"vendor\":\"couchdrop\",\"jwt_tokens\":true,\"lifetime_s\":120}");
  account = add_account ("couchdrop", "Couch Alice", "alice", FALSE);
  td_test_sim_config (sim, "{\"vendor\":\"couchdrop\",\"jwt_tokens\":false,\"lifetime_s\":3600}");
  g_settings_set_uint (td_application_get_settings (app), "min-validity", 300);
  g_settings_set_uint (td_application_get_settings (app), "clipboard-timeout", 0);

  copy_elsewhere ("before");
  gtk_widget_activate_action (GTK_WIDGET (window), "win.copy-account", "s",
                              td_account_get_id (account));
  g_assert_true (td_ui_test_wait_until (sign_in_prompt_shown, NULL, WAIT_MS));
  g_assert_cmpint (td_account_get_state (account), ==, TD_ACCOUNT_STATE_NEEDS_SIGN_IN);
  g_assert_false (holds_secret (NULL));

  /* A wrong password first: the prompt stays and says why. */
  prompt = td_ui_test_find_toplevel (TD_TYPE_SIGN_IN_DIALOG);
  td_sign_in_dialog_set_password (prompt, "wrong");
  td_sign_in_dialog_sign_in (prompt);
  g_assert_true (td_ui_test_wait_until (prompt_has_error, prompt, WAIT_MS));
  g_assert_nonnull (strstr (td_sign_in_dialog_get_error (prompt), "Couchdrop"));

  td_sign_in_dialog_set_password (prompt, "alice-password");
  g_object_ref (prompt);
  td_sign_in_dialog_sign_in (prompt);
  wait_for_our_copy ();
  g_assert_null (td_ui_test_find_toplevel (TD_TYPE_SIGN_IN_DIALOG));
  td_ui_test_assert_finalized (g_steal_pointer (&prompt));

  token = td_account_dup_hand_out_token (account);
  text = read_clipboard_from (other_display);
  g_assert_cmpstr (text, ==, token);
  g_assert_cmpint (td_account_get_state (account), ==, TD_ACCOUNT_STATE_SIGNED_IN);

  remove_account (account);
}

static gboolean
banner_shows (gpointer data)
{
  TdAccountDialog *dialog = td_ui_test_find_toplevel (TD_TYPE_ACCOUNT_DIALOG);
  const char *message = dialog ? td_account_dialog_get_message (dialog) : NULL;

  return message != NULL && strstr (message, data) != NULL;
}

static void
test_reset_password (void)
{
  TdAccountDialog *dialog = open_add_dialog ();
  g_autofree char *code = NULL;
  TdAccount *account;

  td_ui_test_fill_dialog (dialog, sim, "coverwhale", "CW Bob", "bob", "forgotten");

  gtk_widget_activate_action (GTK_WIDGET (dialog), "dialog.forgot-password", NULL);
  g_assert_cmpstr (td_account_dialog_get_page (dialog), ==, "reset");
  g_assert_cmpstr (get_field (dialog, "reset-username"), ==, "bob");

  /* Step 1: the code is "e-mailed". */
  g_assert_true (gtk_widget_activate_action (td_account_dialog_get_reset_page (dialog),
                                             "reset.send-code", NULL));
  g_assert_true (td_ui_test_wait_until (banner_shows, "bob", WAIT_MS));
  code = td_test_sim_reset_code (sim, "bob");
  g_assert_nonnull (code);

  /* A wrong code is refused with the vendor's words. */
  td_ui_test_set_field (dialog, "reset-code", "000000-wrong");
  td_ui_test_set_field (dialog, "reset-password", "bob-new-password");
  td_ui_test_set_field (dialog, "reset-confirm", "bob-new-password");
  g_assert_true (gtk_widget_activate_action (td_account_dialog_get_reset_page (dialog),
                                             "reset.set-password", NULL));
  g_assert_true (td_ui_test_wait_until (td_ui_test_dialog_idle, dialog, WAIT_MS));
  g_assert_cmpstr (td_account_dialog_get_page (dialog), ==, "reset");
  g_assert_nonnull (td_account_dialog_get_message (dialog));

  /* Step 2: the right code sets the password and fills it in. */
  td_ui_test_set_field (dialog, "reset-code", code);
  g_assert_true (gtk_widget_activate_action (td_account_dialog_get_reset_page (dialog),
                                             "reset.set-password", NULL));
  g_assert_true (td_ui_test_wait_until (td_ui_test_dialog_idle, dialog, WAIT_MS));
  g_assert_cmpstr (td_account_dialog_get_page (dialog), ==, "form");
  g_assert_cmpstr (get_field (dialog, "password"), ==, "bob-new-password");

  g_assert_true (td_ui_test_sign_in (dialog));
  account = td_account_list_find_by_name (accounts (), "CW Bob");
  g_assert_nonnull (account);

  /* Change it back, from the row's menu. */
  gtk_widget_activate_action (GTK_WIDGET (window), "win.change-password", "s",
                              td_account_get_id (account));
  dialog = td_ui_test_find_toplevel (TD_TYPE_ACCOUNT_DIALOG);
  g_assert_nonnull (dialog);
  g_assert_nonnull (td_account_dialog_get_field_error (dialog));
  td_ui_test_set_field (dialog, "password", "bob-new-password");
  td_ui_test_set_field (dialog, "new-password", "bob-password");
  td_ui_test_set_field (dialog, "confirm-password", "bob-passwor");
  g_assert_nonnull (strstr (td_account_dialog_get_field_error (dialog), "do not match"));
  td_ui_test_set_field (dialog, "confirm-password", "bob-password");
  g_assert_true (td_ui_test_sign_in (dialog));
  g_assert_cmpint (td_account_get_state (account), ==, TD_ACCOUNT_STATE_SIGNED_IN);

  remove_account (account);
}

static void
test_edit (void)
{
  TdAccount *account = td_account_list_find_by_name (accounts (), "Senmo Alice");
  g_autofree char *id = g_strdup (td_account_get_id (account));
  g_autofree char *base = td_test_sim_dup_base (sim, "senmo");
  TdAccountDialog *dialog;
  TdAccountRow *row;

  gtk_widget_activate_action (GTK_WIDGET (window), "win.edit-account", "s", id);
  dialog = td_ui_test_find_toplevel (TD_TYPE_ACCOUNT_DIALOG);
  g_assert_nonnull (dialog);
  g_assert_cmpstr (get_field (dialog, "name"), ==, "Senmo Alice");
  g_assert_cmpstr (get_field (dialog, "url"), ==, base);

  /* A new name and token choice need no password. */
  td_ui_test_set_field (dialog, "name", "Senmo Production");
  td_account_dialog_set_hand_out (dialog, TD_HAND_OUT_ACCESS_TOKEN);
  g_assert_null (td_account_dialog_get_field_error (dialog));
  g_assert_true (td_ui_test_sign_in (dialog));
  g_assert_cmpstr (td_account_get_display_name (account), ==, "Senmo Production");
  g_assert_cmpint (td_account_get_hand_out (account), ==, TD_HAND_OUT_ACCESS_TOKEN);
  row = find_row (account);
  g_assert_nonnull (row);

  /* Another username does. */
  gtk_widget_activate_action (GTK_WIDGET (window), "win.edit-account", "s", id);
  dialog = td_ui_test_find_toplevel (TD_TYPE_ACCOUNT_DIALOG);
  td_ui_test_set_field (dialog, "username", "bob");
  g_assert_nonnull (td_account_dialog_get_field_error (dialog));
  td_ui_test_set_field (dialog, "password", "bob-password");
  g_assert_true (td_ui_test_sign_in (dialog));
  g_assert_cmpstr (td_account_get_username (account), ==, "bob");
  g_assert_cmpint (td_account_get_state (account), ==, TD_ACCOUNT_STATE_SIGNED_IN);
}

static gboolean
file_has_text (gpointer text)
{
  g_autofree char *path = g_build_filename (config_dir, "tokendesk", "accounts.ini", NULL);
  g_autofree char *contents = NULL;

  return g_file_get_contents (path, &contents, NULL, NULL) && strstr (contents, text) != NULL;
}

/* Couchdrop's tokens carry no lifetime: the one assumed is the user's. */
static void
test_edit_lifetime (void)
{
  TdAccount *account = td_account_list_find_by_name (accounts (), "Couch Bob");
  TdAccountDialog *dialog;

  gtk_widget_activate_action (GTK_WIDGET (window), "win.edit-account", "s",
                              td_account_get_id (account));
  dialog = td_ui_test_find_toplevel (TD_TYPE_ACCOUNT_DIALOG);
  g_assert_nonnull (dialog);
  g_assert_cmpstr (get_field (dialog, "lifetime"), ==, "60");
  td_ui_test_set_field (dialog, "lifetime", "25");
  g_assert_null (td_account_dialog_get_field_error (dialog));
  g_assert_true (td_ui_test_sign_in (dialog));
  g_assert_cmpuint (td_account_get_assumed_lifetime (account), ==, 25 * 60);
  g_assert_true (td_ui_test_wait_until (file_has_text, "assumed-lifetime=1500", WAIT_MS));
}



static void
test_renew_and_sign_out (void)
{
  TdAccount *account = td_account_list_find_by_name (accounts (), "CW Alice");
  g_autofree char *before = td_account_dup_hand_out_token (account);
  g_autofree char *after = NULL;
  TdAccountRow *row;

  gtk_widget_activate_action (GTK_WIDGET (window), "win.renew-account", "s",
                              td_account_get_id (account));
  g_assert_true (td_account_get_busy (account));
  g_assert_true (td_ui_test_wait_until (account_idle, account, WAIT_MS));
  after = td_account_dup_hand_out_token (account);
  g_assert_cmpstr (after, !=, before);

  gtk_widget_activate_action (GTK_WIDGET (window), "win.sign-out-account", "s",
                              td_account_get_id (account));
  g_assert_true (td_ui_test_wait_until (keyring_forgot, account, WAIT_MS));
  row = find_row (account);
  g_assert_nonnull (row);
  g_assert_cmpstr (td_account_row_get_state_text (row), ==, "Signed out");
}

static void
renewed_elsewhere_cb (GObject      *object,
                      GAsyncResult *result,
                      gpointer      user_data)
{
  g_autoptr(GError) error = NULL;

  g_assert_true (td_token_manager_renew_finish (TD_TOKEN_MANAGER (object), result, &error));
  g_assert_no_error (error);
  *(gboolean *) user_data = TRUE;
}

/* Another process (`tokendesk token`, a second window) renews the account:
 * Cover Whale kills the token the app holds, so a copy must hand out the
 * one in the keyring, not the one in memory. */
static void
test_copy_after_renewal_elsewhere (void)
{
  TdAccount *account = td_account_list_find_by_name (accounts (), "CW Alice");
  g_autoptr(TdTokenStore) store = td_token_store_new ();
  g_autoptr(TdTokenManager) other = td_token_manager_new (store);
  g_autoptr(TdAccount) twin = td_account_new (td_account_get_id (account), "coverwhale");
  g_autofree char *held = td_account_dup_hand_out_token (account);
  g_autofree char *renewed = NULL;
  g_autofree char *text = NULL;
  gboolean done = FALSE;

  td_account_set_display_name (twin, td_account_get_display_name (account));
  td_account_set_username (twin, td_account_get_username (account));
  td_account_set_endpoint (twin, td_account_get_endpoint (account));
  td_token_manager_load_async (other, twin, NULL, NULL, NULL);
  td_token_manager_renew_async (other, twin, NULL, renewed_elsewhere_cb, &done);
  g_assert_true (td_ui_test_wait_until (td_ui_test_is_true, &done, WAIT_MS));
  renewed = td_account_dup_hand_out_token (twin);
  g_assert_cmpstr (renewed, !=, held);

  g_settings_set_uint (td_application_get_settings (app), "clipboard-timeout", 0);
  copy (account);
  text = read_clipboard_from (other_display);
  g_assert_cmpstr (text, ==, renewed);
  g_assert_cmpuint (td_test_use_token_as_provider (sim, "coverwhale", text), ==, 200);
  g_assert_cmpuint (td_test_use_token_as_provider (sim, "coverwhale", held), ==, 401);
}

/* A Minimum Validity longer than the vendor grants: the copy renews once
 * and copies the fresh token, without an error; the row says how long the
 * vendor's tokens last. */
static void
test_copy_short_lived_vendor (void)
{
  TdAccount *account = td_account_list_find_by_name (accounts (), "CW Alice");
  GSettings *settings = td_application_get_settings (app);
  g_autofree char *held = td_account_dup_hand_out_token (account);
  g_autofree char *text = NULL;
  TdAccountRow *row;
  guint refreshes;

  td_test_sim_config (sim, "{\"vendor\":\"coverwhale\",\"lifetime_s\":600}");
  refreshes = td_test_sim_count (sim, "coverwhale/refresh");
  g_settings_set_uint (settings, "clipboard-timeout", 0);
  g_settings_set_uint (settings, "min-validity", 86400);

  copy (account);
  text = read_clipboard_from (other_display);
  g_assert_cmpstr (text, !=, held);
  g_assert_cmpuint (td_test_sim_count (sim, "coverwhale/refresh"), ==, refreshes + 1);
  g_assert_cmpuint (td_test_use_token_as_provider (sim, "coverwhale", text), ==, 200);
  g_assert_null (td_account_get_error_message (account));
  g_assert_cmpint (td_account_get_state (account), ==, TD_ACCOUNT_STATE_SIGNED_IN);

  row = find_row (account);
  g_assert_nonnull (row);
  g_assert_true (g_str_has_suffix (td_account_row_get_details_text (row),
                                   " · tokens last 10 min"));

  g_settings_reset (settings, "min-validity");
  td_test_sim_config (sim, "{\"vendor\":\"coverwhale\",\"lifetime_s\":3600}");
}

/* Keyboard --------------------------------------------------------------- */

static gboolean
window_active (gpointer data)
{
  return gtk_window_is_active (GTK_WINDOW (window));
}

/* No window manager runs under Xvfb: give the window the X input focus
 * ourselves, as a click on it would. */
static void
focus_window (void)
{
  GdkSurface *surface = gtk_native_get_surface (GTK_NATIVE (window));
  Display *xdisplay = gdk_x11_display_get_xdisplay (gdk_display_get_default ());

  gtk_window_present (GTK_WINDOW (window));
  XSetInputFocus (xdisplay, gdk_x11_surface_get_xid (surface), RevertToParent, CurrentTime);
  XFlush (xdisplay);
  g_assert_true (td_ui_test_wait_until (window_active, NULL, WAIT_MS));
}

/* Real key presses, through the X server (XTest), to the main window: what
 * a person does, down to its shortcut controllers and key bindings. */
static void
press (KeySym modifier,
       KeySym key)
{
  Display *xdisplay = gdk_x11_display_get_xdisplay (gdk_display_get_default ());
  KeyCode modifier_code = modifier ? XKeysymToKeycode (xdisplay, modifier) : 0;
  KeyCode key_code = XKeysymToKeycode (xdisplay, key);

  g_assert_cmpuint (key_code, !=, 0);
  focus_window ();
  if (modifier_code != 0)
    XTestFakeKeyEvent (xdisplay, modifier_code, True, CurrentTime);
  XTestFakeKeyEvent (xdisplay, key_code, True, CurrentTime);
  XTestFakeKeyEvent (xdisplay, key_code, False, CurrentTime);
  if (modifier_code != 0)
    XTestFakeKeyEvent (xdisplay, modifier_code, False, CurrentTime);
  XFlush (xdisplay);
}

static gboolean
add_dialog_shown (gpointer data)
{
  return td_ui_test_find_toplevel (TD_TYPE_ACCOUNT_DIALOG) != NULL;
}

static gboolean
n_accounts_is (gpointer data)
{
  return g_list_model_get_n_items (G_LIST_MODEL (accounts ())) == GPOINTER_TO_UINT (data);
}

static gboolean
search_has_focus (gpointer data)
{
  GtkWidget *focus = gtk_root_get_focus (GTK_ROOT (window));

  return focus != NULL && gtk_widget_get_ancestor (focus, GTK_TYPE_SEARCH_ENTRY) != NULL;
}


static void
select_account (TdAccount *account)
{
  gtk_widget_activate_action (GTK_WIDGET (window), "win.show-account", "s",
                              td_account_get_id (account));
  gtk_window_set_focus (GTK_WINDOW (window), NULL);
  run_for (50);
}

static void
test_keyboard (void)
{
  TdAccount *cw = td_account_list_find_by_name (accounts (), "CW Alice");
  TdAccount *couch = td_account_list_find_by_name (accounts (), "Couch Bob");
  g_autoptr(TdAccount) couch_ref = g_object_ref (couch);
  guint n = g_list_model_get_n_items (G_LIST_MODEL (accounts ()));
  g_autofree char *before = NULL;
  g_autofree char *after = NULL;
  g_autofree char *text = NULL;

  g_settings_set_uint (td_application_get_settings (app), "clipboard-timeout", 0);

  /* Ctrl+N: the add dialog. */
  press (XK_Control_L, XK_n);
  g_assert_true (td_ui_test_wait_until (add_dialog_shown, NULL, WAIT_MS));
  td_ui_test_close_window (td_ui_test_find_toplevel (TD_TYPE_ACCOUNT_DIALOG));

  /* Ctrl+C on the selected account: its token on the clipboard. */
  select_account (cw);
  copy_elsewhere ("before");
  press (XK_Control_L, XK_c);
  wait_for_our_copy ();
  before = td_account_dup_hand_out_token (cw);
  text = read_clipboard_from (other_display);
  g_assert_cmpstr (text, ==, before);

  /* Ctrl+R: renewed. */
  press (XK_Control_L, XK_r);
  g_assert_true (td_ui_test_wait_until (account_idle, cw, WAIT_MS));
  run_for (100);
  g_assert_true (td_ui_test_wait_until (account_idle, cw, WAIT_MS));
  after = td_account_dup_hand_out_token (cw);
  g_assert_cmpstr (after, !=, before);

  /* Delete removes the selected account, Ctrl+Z brings it back. */
  select_account (couch);
  press (0, XK_Delete);
  g_assert_true (td_ui_test_wait_until (n_accounts_is, GUINT_TO_POINTER (n - 1), WAIT_MS));
  g_assert_null (td_account_list_find_by_name (accounts (), "Couch Bob"));
  press (XK_Control_L, XK_z);
  g_assert_true (td_ui_test_wait_until (n_accounts_is, GUINT_TO_POINTER (n), WAIT_MS));
  g_assert_true (td_account_list_find_by_name (accounts (), "Couch Bob") == couch_ref);

  /* Ctrl+F: typing goes to the search. */
  press (XK_Control_L, XK_f);
  g_assert_true (td_ui_test_wait_until (search_has_focus, NULL, WAIT_MS));
  gtk_widget_activate_action (GTK_WIDGET (window), "win.search", NULL);
  run_for (400);
}

/* Setup ------------------------------------------------------------------ */

static gboolean
help_overlay_added (gpointer data)
{
  return gtk_application_window_get_help_overlay (GTK_APPLICATION_WINDOW (window)) != NULL;
}

/* Added once the first frame is out, and Ctrl+? still opens it. */
static void
test_shortcuts_window (void)
{
  g_auto(GStrv) accels = NULL;
  GtkWidget *shortcuts;

  g_assert_true (td_ui_test_wait_until (help_overlay_added, NULL, WAIT_MS));
  accels = gtk_application_get_accels_for_action (GTK_APPLICATION (app),
                                                  "win.show-help-overlay");
  g_assert_nonnull (accels);
  g_assert_cmpstr (accels[0], ==, "<Control>question");

  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window), "win.show-help-overlay", NULL));
  shortcuts = td_ui_test_find_toplevel (GTK_TYPE_SHORTCUTS_WINDOW);
  g_assert_nonnull (shortcuts);
  gtk_widget_set_visible (shortcuts, FALSE);
}

/* Export and import are in the primary menu, as window actions. What they
 * do is tested in test-account-export and the CLI's test: GTK 4.8's
 * fallback chooser (no portal here) answers with the folder it opened in,
 * not one a test sets on it, so the flow cannot be driven to a file here. */

static gboolean
menu_has_action (GMenuModel *model,
                 const char *action)
{
  for (int i = 0; i < g_menu_model_get_n_items (model); i++)
    {
      g_autofree char *name = NULL;
      g_autoptr(GMenuModel) section = g_menu_model_get_item_link (model, i, G_MENU_LINK_SECTION);

      if (g_menu_model_get_item_attribute (model, i, G_MENU_ATTRIBUTE_ACTION, "s", &name) &&
          g_str_equal (name, action))
        return TRUE;
      if (section != NULL && menu_has_action (section, action))
        return TRUE;
    }

  return FALSE;
}

static GMenuModel *
find_primary_menu (GtkWidget *widget)
{
  if (GTK_IS_MENU_BUTTON (widget) && gtk_menu_button_get_menu_model (GTK_MENU_BUTTON (widget)))
    return gtk_menu_button_get_menu_model (GTK_MENU_BUTTON (widget));

  for (GtkWidget *child = gtk_widget_get_first_child (widget); child;
       child = gtk_widget_get_next_sibling (child))
    {
      GMenuModel *model = find_primary_menu (child);

      if (model != NULL)
        return model;
    }

  return NULL;
}

static gboolean
window_has_action (const char *action)
{
  const GVariantType *parameter_type;
  const char *property_name;
  const char *name;
  GType owner;

  for (guint i = 0;
       gtk_widget_class_query_action (GTK_WIDGET_GET_CLASS (window), i, &owner, &name,
                                      &parameter_type, &property_name);
       i++)
    if (g_str_equal (name, action))
      return TRUE;

  return FALSE;
}

static void
test_export_import_menu (void)
{
  GMenuModel *menu = find_primary_menu (GTK_WIDGET (window));
  const char *actions[] = { "win.export-accounts", "win.import-accounts" };

  g_assert_nonnull (menu);
  for (guint i = 0; i < G_N_ELEMENTS (actions); i++)
    {
      g_assert_true (menu_has_action (menu, actions[i]));
      g_assert_true (window_has_action (actions[i]));
    }
}

/* The throwaway config folder goes when the run is over. */
/* Other programs, over D-Bus ------------------------------------------- */

typedef struct
{
  GVariant *reply;
  GError   *error;
  gboolean  done;
} BusCall;

static void
bus_called_cb (GObject      *object,
               GAsyncResult *result,
               gpointer      user_data)
{
  BusCall *call = user_data;

  call->reply = g_dbus_connection_call_finish (G_DBUS_CONNECTION (object), result, &call->error);
  call->done = TRUE;
}

/* GetToken on the application's own interface, through the bus: this test
 * program is the "other program" asking. Asynchronous: the answer comes
 * from this process. */
static void
get_token_over_bus (const char *name,
                    BusCall    *call)
{
  GDBusConnection *bus = g_application_get_dbus_connection (G_APPLICATION (app));

  g_assert_nonnull (bus);
  *call = (BusCall) { NULL, NULL, FALSE };
  g_dbus_connection_call (bus, g_dbus_connection_get_unique_name (bus),
                          "/io/github/tokendesk/TokenDesk", "io.github.tokendesk.TokenDesk1",
                          "GetToken", g_variant_new ("(su)", name, 60), G_VARIANT_TYPE ("(sxs)"),
                          G_DBUS_CALL_FLAGS_NONE, -1, NULL, bus_called_cb, call);
}

static const char *
program_name (void)
{
  static char *name = NULL;

  /* What the bus says of us: /proc/self/comm. */
  if (name == NULL)
    {
      g_file_get_contents ("/proc/self/comm", &name, NULL, NULL);
      g_strstrip (name);
    }

  return name;
}

/* The row says which program got a token, and when. */
static void
test_handed_out_shown (void)
{
  TdAccount *account = td_account_list_find_by_name (accounts (), "Senmo Production");
  g_autofree char *expected = NULL;
  g_autofree char *token = NULL;
  g_autofree char *hand_out = NULL;
  TdAccountRow *row = find_row (account);
  BusCall call;

  g_assert_nonnull (row);
  g_assert_null (td_account_row_get_handed_out_text (row));

  get_token_over_bus ("senmo production", &call);
  g_assert_true (td_ui_test_wait_until (td_ui_test_is_true, &call.done, WAIT_MS));
  g_assert_no_error (call.error);
  g_variant_get (call.reply, "(sxs)", &token, NULL, NULL);
  hand_out = td_account_dup_hand_out_token (account);
  g_assert_cmpstr (token, ==, hand_out);
  g_clear_pointer (&call.reply, g_variant_unref);

  expected = g_strdup_printf ("handed out just now to %s", program_name ());
  g_assert_cmpstr (td_account_row_get_handed_out_text (find_row (account)), ==, expected);
}

static gpointer
wait_for_message_dialog (void)
{
  AdwMessageDialog *dialog = NULL;
  gint64 deadline = g_get_monotonic_time () + WAIT_MS * 1000;

  while (dialog == NULL && g_get_monotonic_time () < deadline)
    {
      g_main_context_iteration (NULL, FALSE);
      dialog = td_ui_test_find_toplevel (ADW_TYPE_MESSAGE_DIALOG);
      if (dialog == NULL)
        g_usleep (10 * 1000);
    }

  g_assert_nonnull (dialog);
  return dialog;
}

/* With Confirm Token Requests on, the user decides: Deny answers
 * NotAllowed; Allow hands the token out, and counts for that program
 * until the app quits. */
static void
test_confirm_token_requests (void)
{
  GSettings *settings = td_application_get_settings (app);
  g_autofree char *heading = NULL;
  g_autofree char *token = NULL;
  g_autofree char *expected = NULL;
  g_autofree char *remote = NULL;
  AdwMessageDialog *dialog;
  BusCall call;

  g_settings_set_boolean (settings, "confirm-token-requests", TRUE);

  get_token_over_bus ("Senmo Production", &call);
  dialog = wait_for_message_dialog ();
  heading = g_strdup_printf ("Allow “%s” to get the token of “Senmo Production”?", program_name ());
  g_assert_cmpstr (adw_message_dialog_get_heading (dialog), ==, heading);
  g_assert_false (call.done);
  adw_message_dialog_response (dialog, "deny");
  gtk_window_destroy (GTK_WINDOW (dialog));
  g_assert_true (td_ui_test_wait_until (td_ui_test_is_true, &call.done, WAIT_MS));
  g_assert_nonnull (call.error);
  remote = g_dbus_error_get_remote_error (call.error);
  g_assert_cmpstr (remote, ==, "io.github.tokendesk.TokenDesk.Error.NotAllowed");
  g_clear_error (&call.error);

  /* Refused is not remembered: asked again, allowed this time. */
  get_token_over_bus ("Senmo Production", &call);
  dialog = wait_for_message_dialog ();
  adw_message_dialog_response (dialog, "allow");
  gtk_window_destroy (GTK_WINDOW (dialog));
  g_assert_true (td_ui_test_wait_until (td_ui_test_is_true, &call.done, WAIT_MS));
  g_assert_no_error (call.error);
  g_variant_get (call.reply, "(sxs)", &token, NULL, NULL);
  expected = td_account_dup_hand_out_token (td_account_list_find_by_name (accounts (),
                                                                         "Senmo Production"));
  g_assert_cmpstr (token, ==, expected);
  g_clear_pointer (&call.reply, g_variant_unref);

  /* Allowed for this program from now on: no dialog. */
  get_token_over_bus ("Senmo Production", &call);
  g_assert_true (td_ui_test_wait_until (td_ui_test_is_true, &call.done, WAIT_MS));
  g_assert_no_error (call.error);
  g_assert_null (td_ui_test_find_toplevel (ADW_TYPE_MESSAGE_DIALOG));
  g_clear_pointer (&call.reply, g_variant_unref);

  g_settings_reset (settings, "confirm-token-requests");
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = NULL;
  int status;

  /* Before anything reads it: the account file lives here. */
  dir = g_dir_make_tmp ("tokendesk-ui-XXXXXX", &error);
  g_assert_no_error (error);
  config_dir = g_build_filename (dir, "config", NULL);
  g_setenv ("XDG_CONFIG_HOME", config_dir, TRUE);

  g_test_init (&argc, &argv, NULL);
  gtk_init ();
  adw_init ();
  td_vendors_init ();

  if (gdk_display_get_default () == NULL)
    {
      g_print ("1..0 # SKIP no display: run under tests/headless-session\n");
      return 0;
    }

  other_display = gdk_display_open (gdk_display_get_name (gdk_display_get_default ()));
  g_assert_nonnull (other_display);

  sim = td_test_sim_start ("--quiet", NULL);

  /* Tall enough for every row to be on screen. */
  window = td_ui_test_start_app ("io.github.tokendesk.TokenDesk.Test", 0, 1000, &app);

  g_test_add_func ("/ui/empty-state", test_empty_state);
  g_test_add_func ("/ui/add-each-vendor", test_add_each_vendor);
  g_test_add_func ("/ui/add-errors", test_add_errors);
  g_test_add_func ("/ui/add-validation", test_add_validation);
  g_test_add_func ("/ui/copy-read-back", test_copy);
  g_test_add_func ("/ui/copy-as", test_copy_as);
  g_test_add_func ("/ui/copy-cleared-after-timeout", test_copy_clears);
  g_test_add_func ("/ui/copy-left-alone-when-replaced", test_copy_left_alone);
  g_test_add_func ("/ui/copy-follows-renewal", test_copy_follows_renewal);
  g_test_add_func ("/ui/copy-asks-for-password", test_copy_asks_for_password);
  g_test_add_func ("/ui/copy-after-renewal-elsewhere", test_copy_after_renewal_elsewhere);
  g_test_add_func ("/ui/copy-short-lived-vendor", test_copy_short_lived_vendor);
  g_test_add_func ("/ui/keyboard", test_keyboard);
  g_test_add_func ("/ui/remove-undo", test_remove_undo);
  g_test_add_func ("/ui/search", test_search);
  g_test_add_func ("/ui/reset-password", test_reset_password);
  g_test_add_func ("/ui/edit", test_edit);
  g_test_add_func ("/ui/edit-lifetime", test_edit_lifetime);
  g_test_add_func ("/ui/renew-and-sign-out", test_renew_and_sign_out);
  g_test_add_func ("/ui/export-import-menu", test_export_import_menu);
  g_test_add_func ("/ui/shortcuts-window", test_shortcuts_window);
  g_test_add_func ("/ui/handed-out-shown", test_handed_out_shown);
  g_test_add_func ("/ui/confirm-token-requests", test_confirm_token_requests);

  status = g_test_run ();

  /* Nothing keeps the window alive once it is gone. */
  g_object_ref (window);
  gtk_window_destroy (GTK_WINDOW (window));
  td_ui_test_assert_finalized (g_steal_pointer (&window));
  run_for (200);
  g_clear_object (&app);
  td_test_sim_stop (sim);
  gdk_display_close (other_display);
  td_test_rm_rf (dir);

  return status;
}
