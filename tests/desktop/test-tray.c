/* test-tray.c: the tray icon in a real StatusNotifierItem host
 * (xfce4-panel), clicked with xdotool, read back with xclip, against the
 * vendor simulator, inside tests/headless-session
 *
 * One application for the whole run, started before any watcher exists;
 * the tests run in order: quiet without a watcher, then the panel comes,
 * then the menu is used, then the panel restarts. Every wait is bounded.
 *
 * TD_SCREENSHOT_DIR set: the open menu is also saved there as tray.png.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <adwaita.h>
#include <glib/gstdio.h>

#include "td-account-list.h"
#include "td-application.h"
#include "td-clipboard.h"
#include "td-desktop-test-util.h"
#include "td-test-sim.h"
#include "td-test-util.h"
#include "td-ui-test-util.h"
#include "td-vendors.h"

#define WAIT_MS TD_DESKTOP_TEST_WAIT_MS
#define PANEL_HEIGHT 32

static TdTestSim *sim;
static TdApplication *app;
static TdDesktopPanel *panel;
static GDBusConnection *host;  /* what a tray host sees of us */
static const char *unique_name;
static char *dir;
static int icon_x, icon_y;

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

/* D-Bus, as a host calls us ---------------------------------------------- */

typedef struct
{
  gboolean  done;
  GVariant *reply;
  GError   *error;
} Call;

static void
called_cb (GObject      *object,
           GAsyncResult *result,
           gpointer      user_data)
{
  Call *call = user_data;

  call->reply = g_dbus_connection_call_finish (G_DBUS_CONNECTION (object), result, &call->error);
  call->done = TRUE;
}

/* Asynchronous, and waited for: the answer comes from this process. */
static GVariant *
call (const char  *dest,
      const char  *path,
      const char  *interface,
      const char  *method,
      GVariant    *parameters,
      GError     **error)
{
  Call c = { 0 };

  g_dbus_connection_call (host, dest, path, interface, method, parameters, NULL,
                          G_DBUS_CALL_FLAGS_NO_AUTO_START, WAIT_MS, NULL, called_cb, &c);
  if (!td_ui_test_wait_until (td_ui_test_is_true, &c.done, WAIT_MS + 1000))
    g_error ("%s got no answer", method);

  if (c.error != NULL)
    g_propagate_error (error, c.error);
  return c.reply;
}

static GVariant *
call_menu (const char *method,
           GVariant   *parameters)
{
  g_autoptr(GError) error = NULL;
  GVariant *reply = call (unique_name, "/MenuBar", "com.canonical.dbusmenu", method, parameters,
                          &error);

  g_assert_no_error (error);
  return reply;
}

static GVariant *
get_item_property (const char *name)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) reply = NULL;
  GVariant *value;

  reply = call (unique_name, "/StatusNotifierItem", "org.freedesktop.DBus.Properties", "Get",
                g_variant_new ("(ss)", "org.kde.StatusNotifierItem", name), &error);
  g_assert_no_error (error);
  g_variant_get (reply, "(v)", &value);

  return value;
}

/* The labels of the menu, one line per item, submenus indented: easy to
 * compare and to read in a failure. */
static void
append_labels (GString  *text,
               GVariant *item,
               int       depth)
{
  g_autoptr(GVariant) properties = NULL;
  g_autoptr(GVariant) children = NULL;
  const char *label = NULL, *type = NULL;
  gboolean enabled = TRUE;
  int id;

  g_variant_get (item, "(i@a{sv}@av)", &id, &properties, &children);
  g_variant_lookup (properties, "label", "&s", &label);
  g_variant_lookup (properties, "type", "&s", &type);
  g_variant_lookup (properties, "enabled", "b", &enabled);

  if (depth > 0)
    g_string_append_printf (text, "%*s%s%s\n", 2 * (depth - 1), "",
                            g_strcmp0 (type, "separator") == 0 ? "---" : label,
                            enabled ? "" : " (disabled)");

  for (gsize i = 0; i < g_variant_n_children (children); i++)
    {
      g_autoptr(GVariant) child = g_variant_get_child_value (children, i);
      g_autoptr(GVariant) child_item = g_variant_get_variant (child);

      append_labels (text, child_item, depth + 1);
    }
}

static char *
get_menu (guint *out_revision)
{
  g_autoptr(GVariant) reply = NULL;
  g_autoptr(GVariant) layout = NULL;
  g_autoptr(GString) text = g_string_new (NULL);
  const char *names[] = { NULL };

  reply = call_menu ("GetLayout", g_variant_new ("(ii^as)", 0, -1, names));
  g_variant_get (reply, "(u@(ia{sv}av))", out_revision, &layout);
  append_labels (text, layout, 0);

  return g_string_free (g_steal_pointer (&text), FALSE);
}

static gboolean
item_registered (gpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) reply = NULL;
  g_autoptr(GVariant) items = NULL;
  g_autofree char *list = NULL;

  reply = call ("org.kde.StatusNotifierWatcher", "/StatusNotifierWatcher",
                "org.freedesktop.DBus.Properties", "Get",
                g_variant_new ("(ss)", "org.kde.StatusNotifierWatcher",
                               "RegisteredStatusNotifierItems"), &error);
  if (error != NULL)
    return FALSE;

  /* Hosts differ in the form ("NAME/PATH", "NAME"): look for the name. */
  g_variant_get (reply, "(v)", &items);
  list = g_variant_print (items, FALSE);
  return strstr (list, unique_name) != NULL;
}

typedef struct
{
  guint layout_updated;
  guint properties_updated;
  guint new_status;
} Signals;

static Signals signals_seen;

static void
menu_signal_cb (GDBusConnection *connection,
                const char      *sender_name,
                const char      *object_path,
                const char      *interface_name,
                const char      *signal_name,
                GVariant        *parameters,
                gpointer         user_data)
{
  if (g_str_equal (signal_name, "LayoutUpdated"))
    signals_seen.layout_updated++;
  else if (g_str_equal (signal_name, "ItemsPropertiesUpdated"))
    signals_seen.properties_updated++;
  else if (g_str_equal (signal_name, "NewStatus"))
    signals_seen.new_status++;
}

/* Screens ---------------------------------------------------------------- */

static GdkPixbuf *
screenshot (void)
{
  g_autofree char *path = g_build_filename (dir, "screen.png", NULL);
  g_autoptr(GError) error = NULL;
  GdkPixbuf *pixbuf;

  td_desktop_screenshot (path);
  pixbuf = gdk_pixbuf_new_from_file (path, &error);
  g_assert_no_error (error);

  return pixbuf;
}

static const guchar *
pixel (GdkPixbuf *pixbuf,
       int        x,
       int        y)
{
  return gdk_pixbuf_get_pixels (pixbuf) + y * gdk_pixbuf_get_rowstride (pixbuf) +
         x * gdk_pixbuf_get_n_channels (pixbuf);
}

static gboolean
pixels_differ (const guchar *a,
               const guchar *b)
{
  for (int i = 0; i < 3; i++)
    if (ABS ((int) a[i] - (int) b[i]) > 40)
      return TRUE;
  return FALSE;
}

/* Pixels unlike the panel's background in its first 200 px: the tray
 * icons. Their box goes to *box (x, y, width, height). */
static guint
count_icon_pixels (GdkPixbuf    *screen,
                   GdkRectangle *box)
{
  const guchar *background = pixel (screen, gdk_pixbuf_get_width (screen) / 2, PANEL_HEIGHT / 2);
  int x0 = G_MAXINT, y0 = G_MAXINT, x1 = -1, y1 = -1;
  guint n = 0;

  for (int y = 0; y < PANEL_HEIGHT; y++)
    for (int x = 0; x < 200; x++)
      if (pixels_differ (pixel (screen, x, y), background))
        {
          n++;
          x0 = MIN (x0, x), y0 = MIN (y0, y), x1 = MAX (x1, x), y1 = MAX (y1, y);
        }

  *box = (GdkRectangle) { x0, y0, x1 - x0 + 1, y1 - y0 + 1 };
  return n;
}

static guint
count_blue (GdkPixbuf          *screen,
            const GdkRectangle *box)
{
  guint n = 0;

  for (int y = box->y; y < box->y + box->height; y++)
    for (int x = box->x; x < box->x + box->width; x++)
      {
        const guchar *p = pixel (screen, x, y);

        if (p[2] > p[0] + 60)
          n++;
      }
  return n;
}

/* How many pixels differ below the panel, where a menu opens. */
static guint
count_changed_below_panel (GdkPixbuf *before,
                           GdkPixbuf *after)
{
  guint n = 0;

  for (int y = PANEL_HEIGHT + 2; y < PANEL_HEIGHT + 120; y++)
    for (int x = 0; x < 300; x++)
      if (pixels_differ (pixel (before, x, y), pixel (after, x, y)))
        n++;
  return n;
}

/* The application -------------------------------------------------------- */

static TdAccountList *
accounts (void)
{
  return td_application_get_accounts (app);
}

static TdAccount *
add_signed_in (const char *vendor,
               const char *name)
{
  g_autoptr(TdAccount) account = td_test_account_new (sim, vendor, "alice");
  g_autoptr(GError) error = NULL;

  td_account_set_display_name (account, name);
  td_account_list_add (accounts (), account, &error);
  g_assert_no_error (error);
  td_test_manager_sign_in (td_application_get_token_manager (app), account, "alice-password",
                           &error);
  g_assert_no_error (error);
  g_assert_true (td_account_has_valid_token (account, 60));

  return account;
}

static void
close_windows (void)
{
  GtkWindow *window;

  /* A window shown at (0, 0) without a window manager can cover the
   * panel: keep the screen to the panel and its menus. */
  while ((window = gtk_application_get_active_window (GTK_APPLICATION (app))) != NULL)
    td_ui_test_close_window (window);
}

static gboolean
clipboard_holds_token (gpointer data)
{
  return td_clipboard_holds_secret (td_application_get_clipboard (app));
}

/* Opens the tray menu with a right click and waits until it is drawn. */
static void
open_menu (void)
{
  g_autoptr(GdkPixbuf) before = screenshot ();
  g_autofree char *x = g_strdup_printf ("%d", icon_x);
  g_autofree char *y = g_strdup_printf ("%d", icon_y);

  g_free (td_desktop_run ("xdotool", "mousemove", x, y, "click", "3", NULL));

  for (int i = 0; i < 50; i++)
    {
      g_autoptr(GdkPixbuf) after = NULL;

      run_for (100);
      after = screenshot ();
      if (count_changed_below_panel (before, after) > 500)
        {
          /* Drawn; let it settle. */
          run_for (200);
          return;
        }
    }
  g_error ("No menu opened");
}

static void
press (const char *keys)
{
  g_auto(GStrv) each = g_strsplit (keys, " ", -1);

  for (guint i = 0; each[i]; i++)
    {
      g_free (td_desktop_run ("xdotool", "key", each[i], NULL));
      /* The host may open a submenu after asking us (AboutToShowGroup). */
      run_for (150);
    }
}

static void
save_screenshot (const char *name)
{
  const char *out_dir = g_getenv ("TD_SCREENSHOT_DIR");
  g_autofree char *full = NULL;
  g_autofree char *path = NULL;

  if (out_dir == NULL)
    return;

  full = g_build_filename (dir, "full.png", NULL);
  path = g_build_filename (out_dir, name, NULL);
  td_desktop_screenshot (full);
  /* The panel's corner with the menu and its submenu open. */
  g_free (td_desktop_run ("convert", full, "-crop", "460x124+0+0", "+repage", path, NULL));
  g_test_message ("Wrote %s", path);
}

/* Tests ------------------------------------------------------------------ */

/* Run before any watcher exists: the item is on the bus, quietly (warnings
 * are fatal here), and the real executable says nothing on stderr. */
static void
test_no_watcher (void)
{
  g_autoptr(GVariant) status = NULL;
  g_autoptr(GSubprocess) process = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) reply = NULL;
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  guint revision;
  g_autofree char *menu = NULL;

  g_assert_true (td_desktop_wait_for_name ("org.kde.StatusNotifierWatcher", FALSE, 0));
  status = get_item_property ("Status");
  g_assert_cmpstr (g_variant_get_string (status, NULL), ==, "Active");
  menu = get_menu (&revision);
  g_assert_cmpstr (menu, ==, "Open Token Desk\nQuit\n");

  /* The real app, started as a desktop would, with no tray to talk to. */
  process = td_desktop_spawn (TOKENDESK_APP, NULL);
  if (!td_desktop_wait_for_name (APPLICATION_ID, TRUE, WAIT_MS))
    g_error ("tokendesk-app did not start");

  /* Its tray icon is up once the item answers. */
  for (int i = 0; i < 50; i++)
    {
      g_clear_error (&error);
      g_clear_pointer (&reply, g_variant_unref);
      reply = call (APPLICATION_ID, "/StatusNotifierItem", "org.freedesktop.DBus.Properties",
                    "Get", g_variant_new ("(ss)", "org.kde.StatusNotifierItem", "Status"),
                    &error);
      if (reply != NULL)
        break;
      run_for (100);
    }
  g_assert_no_error (error);
  /* Time to look for a watcher, find none, and complain if it would. */
  run_for (500);

  g_clear_pointer (&reply, g_variant_unref);
  reply = call (APPLICATION_ID, "/io/github/tokendesk/TokenDesk", "org.gtk.Actions", "Activate",
                g_variant_new_parsed ("('quit', @av [], @a{sv} {})"), &error);
  g_assert_no_error (error);

  out = td_desktop_communicate (process, &err);
  g_assert_true (g_subprocess_get_if_exited (process));
  g_assert_cmpstr (err, ==, "");
  g_assert_cmpint (g_subprocess_get_exit_status (process), ==, 0);
}

/* The panel comes after the app: the item registers with it. */
static void
test_watcher_appears (void)
{
  panel = td_desktop_panel_start ();

  if (!td_ui_test_wait_until (item_registered, NULL, WAIT_MS))
    g_error ("The item did not register with a watcher that came later");
}

/* The panel draws the icon at its top left. */
static void
test_icon_drawn (void)
{
  g_autoptr(GdkPixbuf) screen = NULL;
  GdkRectangle box = { 0 };
  guint n = 0;

  g_assert_true (item_registered (NULL));

  for (int i = 0; i < 50 && n < 50; i++)
    {
      run_for (100);
      g_clear_object (&screen);
      screen = screenshot ();
      n = count_icon_pixels (screen, &box);
    }

  g_test_message ("Icon: %u pixels in %d×%d at %d,%d", n, box.width, box.height, box.x, box.y);
  g_assert_cmpuint (n, >=, 50);
  g_assert_cmpint (box.width, <=, PANEL_HEIGHT);
  /* Ours, which is blue, not the attention icon: nothing needs it yet. */
  g_assert_cmpuint (count_blue (screen, &box), >=, 50);
  icon_x = box.x + box.width / 2;
  icon_y = box.y + box.height / 2;
}

static gboolean
layout_updated (gpointer data)
{
  return signals_seen.layout_updated > *(guint *) data;
}

/* After a change: waits for a LayoutUpdated beyond seen and for the ones
 * the same change may still cause, then reads the menu, which must have a
 * newer revision than revision. */
static char *
menu_after (guint  seen,
            guint *revision)
{
  guint previous = *revision;
  char *menu;

  if (!td_ui_test_wait_until (layout_updated, &seen, WAIT_MS))
    g_error ("No LayoutUpdated");
  run_for (200);
  menu = get_menu (revision);
  g_assert_cmpuint (*revision, >, previous);

  return menu;
}

static gboolean
secrets_loaded (gpointer data)
{
  return td_account_get_secrets_loaded (data);
}

/* Adding, renaming, removing and a state change each update the menu;
 * many changes at once update it once. */
static void
test_menu_follows_accounts (void)
{
  g_autoptr(GVariant) status = NULL;
  TdAccount *account;
  TdAccount *batch[3];
  char *menu;
  guint revision, seen;

  g_free (get_menu (&revision));

  seen = signals_seen.layout_updated;
  account = add_signed_in ("logware", "Insurance API");
  menu = menu_after (seen, &revision);
  g_test_message ("%s", menu);
  g_assert_true (g_regex_match_simple ("^Insurance API — expires in [0-9]+ min\n"
                                       "  Copy Token\n  Copy Header\n  Renew Now\n"
                                       "---\nOpen Token Desk\nQuit\n$", menu, 0, 0));
  g_free (menu);

  /* A rename. A literal underscore is doubled: it is no mnemonic. */
  seen = signals_seen.layout_updated;
  td_account_set_display_name (account, "Claims_API");
  menu = menu_after (seen, &revision);
  g_assert_true (g_str_has_prefix (menu, "Claims__API — expires in"));
  g_free (menu);

  /* A state change: the account needs attention, and so does the icon. */
  seen = signals_seen.layout_updated;
  td_account_set_needs_sign_in (account, "The password changed");
  menu = menu_after (seen, &revision);
  g_assert_true (g_str_has_prefix (menu, "Claims__API — needs sign-in\n"
                                         "  Copy Token\n  Copy Header\n  Sign In…\n"));
  g_free (menu);
  status = get_item_property ("Status");
  g_assert_cmpstr (g_variant_get_string (status, NULL), ==, "NeedsAttention");
  g_assert_cmpuint (signals_seen.new_status, ==, 1);

  /* Three more, left to read the keyring. */
  seen = signals_seen.layout_updated;
  for (guint i = 0; i < G_N_ELEMENTS (batch); i++)
    {
      g_autofree char *name = g_strdup_printf ("Batch %u", i);
      g_autoptr(GError) error = NULL;

      batch[i] = td_account_new (NULL, "logware");
      td_account_set_display_name (batch[i], name);
      td_account_list_add (accounts (), batch[i], &error);
      g_assert_no_error (error);
    }
  for (guint i = 0; i < G_N_ELEMENTS (batch); i++)
    g_assert_true (td_ui_test_wait_until (secrets_loaded, batch[i], WAIT_MS));
  menu = menu_after (seen, &revision);
  g_assert_nonnull (strstr (menu, "Batch 2 — signed out\n"));
  g_free (menu);

  /* Renamed all at once: one new layout. */
  seen = signals_seen.layout_updated;
  for (guint i = 0; i < G_N_ELEMENTS (batch); i++)
    td_account_set_display_name (batch[i], "Renamed");
  menu = menu_after (seen, &revision);
  run_for (300);
  g_assert_cmpuint (signals_seen.layout_updated, ==, seen + 1);
  g_free (menu);

  /* Removals, and the attention goes with the account that needed it. */
  seen = signals_seen.layout_updated;
  for (guint i = 0; i < G_N_ELEMENTS (batch); i++)
    {
      td_account_list_remove (accounts (), batch[i]);
      g_object_unref (batch[i]);
    }
  td_account_list_remove (accounts (), account);
  menu = menu_after (seen, &revision);
  g_assert_cmpstr (menu, ==, "Open Token Desk\nQuit\n");
  g_free (menu);
  g_clear_pointer (&status, g_variant_unref);
  status = get_item_property ("Status");
  g_assert_cmpstr (g_variant_get_string (status, NULL), ==, "Active");
  g_assert_cmpuint (signals_seen.new_status, ==, 2);

  /* Nothing changed: nothing is sent, also when a host asks. */
  seen = signals_seen.layout_updated;
  g_variant_unref (call_menu ("AboutToShow", g_variant_new ("(i)", 0)));
  run_for (300);
  g_assert_cmpuint (signals_seen.layout_updated, ==, seen);
}

/* Adds a signed-in account and waits until the menu shows it. */
static TdAccount *
add_to_menu (const char *vendor,
             const char *name)
{
  guint seen = signals_seen.layout_updated;
  guint revision = 0;
  g_autofree char *menu = NULL;
  TdAccount *account = add_signed_in (vendor, name);

  menu = menu_after (seen, &revision);
  g_assert_true (g_str_has_prefix (menu, name));

  return account;
}

/* Right click, Copy Token of the first account: another X client reads a
 * token the vendor accepts. */
static void
test_copy_token (void)
{
  TdAccount *account;
  g_autofree char *token = NULL;
  g_autofree char *pasted = NULL;

  account = add_to_menu ("logware", "Insurance API");
  g_assert_false (clipboard_holds_token (NULL));

  open_menu ();
  press ("Down Right");
  save_screenshot ("tray.png");
  press ("Return");

  if (!td_ui_test_wait_until (clipboard_holds_token, NULL, WAIT_MS))
    g_error ("Nothing was copied");
  pasted = td_desktop_run ("xclip", "-o", "-selection", "clipboard", NULL);
  token = td_account_dup_hand_out_token (account);
  g_assert_nonnull (token);
  /* Not g_assert_cmpstr: a failure would print the token. */
  g_assert_true (g_str_equal (pasted, token));
  g_assert_cmpuint (td_test_use_token_as_provider (sim, "logware", pasted), ==, 200);

  close_windows ();
  td_account_list_remove (accounts (), account);
}

static guint
senmo_calls (void)
{
  return td_test_sim_count (sim, "senmo/auth") + td_test_sim_count (sim, "senmo/refreshtoken");
}

static gboolean
senmo_called (gpointer data)
{
  return senmo_calls () > *(guint *) data;
}

/* Renew Now from the menu: one call to the vendor. */
static void
test_renew (void)
{
  TdAccount *account;
  guint before;

  account = add_to_menu ("senmo", "Claims API");

  before = senmo_calls ();
  open_menu ();
  press ("Down Right Down Down Return");

  if (!td_ui_test_wait_until (senmo_called, &before, WAIT_MS))
    g_error ("Renew Now did not reach the vendor");
  /* Time for a second call, if there were one. */
  run_for (1000);
  g_assert_cmpuint (senmo_calls (), ==, before + 1);

  close_windows ();
  td_account_list_remove (accounts (), account);
}

static gboolean
window_shown (gpointer data)
{
  GtkWindow *window = gtk_application_get_active_window (GTK_APPLICATION (app));

  return window != NULL && gtk_widget_get_mapped (GTK_WIDGET (window));
}

/* A left click shows the window. */
static void
test_activate (void)
{
  g_autofree char *x = g_strdup_printf ("%d", icon_x);
  g_autofree char *y = g_strdup_printf ("%d", icon_y);

  close_windows ();
  g_assert_false (window_shown (NULL));

  g_free (td_desktop_run ("xdotool", "mousemove", x, y, "click", "1", NULL));
  if (!td_ui_test_wait_until (window_shown, NULL, WAIT_MS))
    g_error ("A left click showed no window");

  close_windows ();
}

/* The panel restarts: the item registers again. */
static void
test_watcher_restarts (void)
{
  td_desktop_panel_kill (panel);
  g_assert_false (item_registered (NULL));
  td_desktop_panel_restart (panel);

  if (!td_ui_test_wait_until (item_registered, NULL, WAIT_MS))
    g_error ("The item did not register with a restarted watcher");
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(GError) error = NULL;
  g_autofree char *config_dir = NULL;
  g_autofree char *address = NULL;
  int status;

  /* Before anything reads it: the account file and the panel's settings. */
  dir = g_dir_make_tmp ("tokendesk-desktop-XXXXXX", &error);
  g_assert_no_error (error);
  config_dir = g_build_filename (dir, "config", NULL);
  g_setenv ("XDG_CONFIG_HOME", config_dir, TRUE);

  g_test_init (&argc, &argv, NULL);
  gtk_init ();
  adw_init ();
  td_vendors_init ();

  if (gdk_display_get_default () == NULL || g_getenv ("DBUS_SESSION_BUS_ADDRESS") == NULL)
    {
      g_print ("1..0 # SKIP no display or bus: run under tests/headless-session\n");
      return 0;
    }
  if (!td_desktop_have_panel ())
    {
      g_print ("1..0 # SKIP xfce4-panel is missing (build-aux/install-deps)\n");
      return 0;
    }

  sim = td_test_sim_start ("--quiet", NULL);
  /* Tokens for 12.5 minutes: "expires in 12 min" in the menu for 30 s. */
  td_test_sim_config (sim, "{\"lifetime_s\": 750}");

  td_ui_test_start_app ("io.github.tokendesk.TokenDesk.Test", 0, 0, &app);
  close_windows ();
  unique_name = g_dbus_connection_get_unique_name (
    g_application_get_dbus_connection (G_APPLICATION (app)));

  /* A connection of its own, as a tray host has. */
  address = g_dbus_address_get_for_bus_sync (G_BUS_TYPE_SESSION, NULL, &error);
  g_assert_no_error (error);
  host = g_dbus_connection_new_for_address_sync (address,
                                                 G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT |
                                                 G_DBUS_CONNECTION_FLAGS_MESSAGE_BUS_CONNECTION,
                                                 NULL, NULL, &error);
  g_assert_no_error (error);
  g_dbus_connection_signal_subscribe (host, unique_name, NULL, NULL, NULL, NULL,
                                      G_DBUS_SIGNAL_FLAGS_NONE, menu_signal_cb, NULL, NULL);

  g_test_add_func ("/desktop/no-watcher", test_no_watcher);
  g_test_add_func ("/desktop/watcher-appears", test_watcher_appears);
  g_test_add_func ("/desktop/icon-drawn", test_icon_drawn);
  g_test_add_func ("/desktop/menu-follows-accounts", test_menu_follows_accounts);
  g_test_add_func ("/desktop/copy-token", test_copy_token);
  g_test_add_func ("/desktop/renew", test_renew);
  g_test_add_func ("/desktop/activate", test_activate);
  g_test_add_func ("/desktop/watcher-restarts", test_watcher_restarts);

  status = g_test_run ();

  g_clear_pointer (&panel, td_desktop_panel_stop);
  g_dbus_connection_close_sync (host, NULL, NULL);
  g_clear_object (&host);
  close_windows ();
  run_for (200);
  g_clear_object (&app);
  td_test_sim_stop (sim);
  td_test_rm_rf (dir);
  g_free (dir);

  return status;
}
