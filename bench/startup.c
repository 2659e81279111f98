/* startup.c: the first frame of Token Desk, with 1,000 accounts and with
 * none, next to that of the same screen built from plain widgets, and the
 * memory each account costs
 *
 * Targets: Token Desk shows its accounts within 1.3 times the time an
 * application of the same first screen takes, and its empty state within
 * 1.3 times that of the same empty state; each account costs at most
 * 10 KiB of resident memory.
 *
 * The floors are what any application pays for that screen: an
 * AdwApplication of this executable, registered on the same bus, whose
 * window has the same header bar and buttons, and either as many card rows
 * as Token Desk has on screen (each an icon, three labels and two buttons,
 * with Token Desk's own vendor icons) or the same status page. Their text
 * is static: no account file, no keyring, no list model, no template. An
 * empty AdwApplicationWindow, the floor this benchmark had first, is still
 * printed as a detail: it draws no text, so it says what GTK itself costs,
 * not what a screen of text and icons does.
 *
 * A GApplication registers once per process and GTK keeps caches (CSS,
 * icons, fonts) warm after a first window: every sample is therefore a
 * fresh process, this same executable started again with --sample. The
 * kinds of sample alternate, each floor next to its Token Desk, so that a
 * machine getting busier slows them alike, and a first round is thrown
 * away (page cache, keyring daemon); that round also counts the rows
 * Token Desk has on screen, which the same-screen floor then builds.
 *
 * Setting up stores some 2,000 keyring items: the keyring daemon takes a
 * minute or more over it. --keep leaves them, and the account files, for
 * profiling one sample (the paths are printed):
 *
 *   tests/headless-session meson test -C _build --benchmark startup -v
 *   tests/headless-session _build/bench/startup [--accounts N] [--samples N] [--keep]
 *   XDG_CONFIG_HOME=DIR perf record -g _build/bench/startup --sample tokendesk --until-shown
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <adwaita.h>
#include <glib/gstdio.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "td-account-list.h"
#include "td-account-row.h"
#include "td-application.h"
#include "td-bench-keyring.h"
#include "td-token-store.h"
#include "td-vendors.h"
#include "td-window.h"

#define TARGET_RATIO 1.3
#define TARGET_KIB_PER_ACCOUNT 10.0

/* After the last keyring read: let idles and deferred frees run. */
#define SETTLE_MS 500
/* A sample that takes longer is broken, not slow. */
#define SAMPLE_TIMEOUT_S 120

#define FLOOR_APPLICATION_ID "io.github.tokendesk.TokenDesk.BenchFloor"
#define SAMPLE_PREFIX "startup-sample "

static int opt_accounts = 1000;
static int opt_samples = 5;
static gboolean opt_keep = FALSE;
static char *opt_sample = NULL;
static int opt_rows = 0;
static gboolean opt_until_shown = FALSE;

static const GOptionEntry entries[] = {
  { "accounts", 'n', 0, G_OPTION_ARG_INT, &opt_accounts, "Accounts in the account file", "N" },
  { "samples", 's', 0, G_OPTION_ARG_INT, &opt_samples, "Samples of each kind", "N" },
  { "keep", 0, 0, G_OPTION_ARG_NONE, &opt_keep,
    "Leave the account files and keyring items, to profile --sample", NULL },
  { "sample", 0, G_OPTION_FLAG_HIDDEN, G_OPTION_ARG_STRING, &opt_sample,
    "Take one sample in this process: empty, floor-list, floor-empty or tokendesk", "KIND" },
  { "rows", 0, G_OPTION_FLAG_HIDDEN, G_OPTION_ARG_INT, &opt_rows,
    "Rows of the floor-list sample", "N" },
  { "until-shown", 0, G_OPTION_FLAG_HIDDEN, G_OPTION_ARG_NONE, &opt_until_shown,
    "End the sample at its first frame showing content, for a profiler", NULL },
  { NULL }
};

/* The accounts ----------------------------------------------------------- */

static const char *vendors[] = { "coverwhale", "couchdrop", "senmo", "logware" };
static const char *vendor_names[] = { "Cover Whale", "Couchdrop", "Senmo", "Logware" };
static const char *companies[] = {
  "Acme", "Globex", "Initech", "Umbrella", "Hooli", "Stark", "Wayne", "Tyrell",
  "Soylent", "Cyberdyne", "Vandelay", "Wonka", "Oscorp", "Aperture", "Massive", "Gringotts",
};

/* Account i of the benchmark's file: written by the setup, and shown as
 * static text by the same-screen floor. */
typedef struct
{
  guint       vendor;     /* index in vendors[] */
  char       *name;
  char       *username;   /* NULL for an administrative token */
  char       *endpoint;   /* NULL for production */
  gboolean    sandbox;
} AccountText;

static void
account_text_init (AccountText *text,
                   guint        i)
{
  guint v = i % G_N_ELEMENTS (vendors);
  const char *company = companies[(i / 4) % G_N_ELEMENTS (companies)];

  text->vendor = v;
  text->name = g_strdup_printf ("%s %s %04u", company, vendor_names[v], i);
  text->username = v == 1 && i % 16 == 5
                     ? NULL
                     : g_strdup_printf ("%s.%04u@%s.example", i % 3 ? "ops" : "dev", i, company);
  text->sandbox = v == 0 && i % 8 == 4;
  text->endpoint = v == 2 ? g_strdup_printf ("https://foundry-%02u.%s.example/api", i % 7, company)
                          : NULL;
}

static void
account_text_clear (AccountText *text)
{
  g_clear_pointer (&text->name, g_free);
  g_clear_pointer (&text->username, g_free);
  g_clear_pointer (&text->endpoint, g_free);
}

/* One sample, in its own process ----------------------------------------- */

typedef struct
{
  GApplication *app;
  GtkWindow    *window;
  GdkSurface   *surface;
  gboolean      rendered;     /* the surface rendered in this frame clock cycle */

  gint64        start;
  gint64        first_frame;  /* µs from start; 0 until painted */
  gint64        shown_frame;  /* the first frame showing the accounts (or "no accounts") */
  long          rss_shown;    /* KiB, right after shown_frame */
  guint         rows_shown;   /* account rows on screen in shown_frame */
  guint         secrets_shown; /* accounts whose keyring items were read by then */

  GHashTable   *secrets;      /* TdAccount whose keyring items were read */
  guint         settle_id;
  gboolean      finished;
} Sample;

static Sample sample;

typedef struct
{
  long rss;
  long pss;
} Memory;

static Memory
read_memory (void)
{
  g_autofree char *contents = NULL;
  g_auto(GStrv) lines = NULL;
  Memory memory = { -1, -1 };

  /* Linux 4.14 and later; the totals of every mapping, in KiB. */
  if (!g_file_get_contents ("/proc/self/smaps_rollup", &contents, NULL, NULL))
    return memory;

  lines = g_strsplit (contents, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    {
      if (g_str_has_prefix (lines[i], "Rss:"))
        memory.rss = strtol (lines[i] + 4, NULL, 10);
      else if (g_str_has_prefix (lines[i], "Pss:"))
        memory.pss = strtol (lines[i] + 4, NULL, 10);
    }

  return memory;
}

static guint
count_rows (GtkWidget *widget)
{
  guint n = TD_IS_ACCOUNT_ROW (widget) ? 1 : 0;

  for (GtkWidget *child = gtk_widget_get_first_child (widget);
       child != NULL;
       child = gtk_widget_get_next_sibling (child))
    n += count_rows (child);

  return n;
}

/* On screen: inside the scrolled window's visible area, not merely built
 * (GtkGridView builds some rows below the fold). */
static guint
count_shown_rows (GtkWidget *widget)
{
  guint n = 0;

  if (!gtk_widget_get_mapped (widget))
    return 0;

  if (TD_IS_ACCOUNT_ROW (widget))
    {
      GtkWidget *viewport = gtk_widget_get_ancestor (widget, GTK_TYPE_SCROLLED_WINDOW);
      graphene_rect_t bounds;

      return viewport != NULL &&
             gtk_widget_compute_bounds (widget, viewport, &bounds) &&
             bounds.size.height > 0 &&
             bounds.origin.y < gtk_widget_get_height (viewport) &&
             bounds.origin.y + bounds.size.height > 0;
    }

  for (GtkWidget *child = gtk_widget_get_first_child (widget);
       child != NULL;
       child = gtk_widget_get_next_sibling (child))
    n += count_shown_rows (child);

  return n;
}

static void
finish_sample (gboolean settled)
{
  Memory memory = read_memory ();
  guint n_accounts = 0;

  if (sample.finished)
    return;
  sample.finished = TRUE;

  if (TD_IS_APPLICATION (sample.app))
    n_accounts = g_list_model_get_n_items (
        G_LIST_MODEL (td_application_get_accounts (TD_APPLICATION (sample.app))));

  printf (SAMPLE_PREFIX "first_us=%" G_GINT64_FORMAT " shown_us=%" G_GINT64_FORMAT
          " rss_shown=%ld rss=%ld pss=%ld accounts=%u rows=%u rows_shown=%u"
          " secrets_shown=%u settled=%d\n",
          sample.first_frame, sample.shown_frame, sample.rss_shown, memory.rss, memory.pss,
          n_accounts, count_rows (GTK_WIDGET (sample.window)), sample.rows_shown,
          sample.secrets_shown, settled);
  fflush (stdout);

  g_application_quit (sample.app);
}

static gboolean
settled_cb (gpointer user_data)
{
  sample.settle_id = 0;
  finish_sample (TRUE);
  return G_SOURCE_REMOVE;
}

/* Memory is read once the start is over: the window shown and every
 * account's keyring items read, as a user has it a moment later. */
static void
check_settled (void)
{
  if (sample.shown_frame == 0 || sample.settle_id != 0 || sample.finished)
    return;

  if (TD_IS_APPLICATION (sample.app))
    {
      TdApplication *app = TD_APPLICATION (sample.app);

      if (td_application_get_loading (app) ||
          g_hash_table_size (sample.secrets) <
          g_list_model_get_n_items (G_LIST_MODEL (td_application_get_accounts (app))))
        return;
    }

  sample.settle_id = g_timeout_add (SETTLE_MS, settled_cb, NULL);
}

static gboolean
content_shown (void)
{
  /* The spinner shown while the account file is read is not the app. */
  if (TD_IS_WINDOW (sample.window))
    return !g_str_equal (td_window_get_page (TD_WINDOW (sample.window)), "loading");

  return TRUE;
}

/* "Painted", precisely: GdkFrameClock::after-paint ends every frame clock
 * cycle, whether anything was drawn or not (a surface not mapped yet,
 * nothing invalidated), and a tick callback runs before layout and paint.
 * GdkSurface::render is the one emitted only when the paint phase draws
 * the mapped surface; GTK's handler then snapshots the widgets and hands
 * the frame to the renderer, and stops the emission, so that no handler
 * connected after it would run. Hence an emission hook, which notes that
 * the surface is being drawn in this cycle, and after-paint, which takes
 * the time once the paint phase is over. The XSync before it waits until
 * the X server has executed the drawing, not merely received it. */
static gboolean
render_hook (GSignalInvocationHint *hint,
             guint                  n_values,
             const GValue          *values,
             gpointer               user_data)
{
  if (sample.surface != NULL && g_value_get_object (&values[0]) == (gpointer) sample.surface)
    sample.rendered = TRUE;

  return TRUE;
}

static void
after_paint_cb (GdkFrameClock *clock,
                gpointer       user_data)
{
  gint64 elapsed;

  if (!sample.rendered)
    return;
  sample.rendered = FALSE;

  gdk_display_sync (gdk_surface_get_display (sample.surface));
  elapsed = g_get_monotonic_time () - sample.start;

  if (sample.first_frame == 0)
    sample.first_frame = elapsed;

  if (sample.shown_frame == 0 && content_shown ())
    {
      sample.shown_frame = elapsed;
      sample.rss_shown = read_memory ().rss;
      sample.rows_shown = count_shown_rows (GTK_WIDGET (sample.window));
      sample.secrets_shown = g_hash_table_size (sample.secrets);
      /* A profile of the start, not of the keyring reads after it. */
      if (opt_until_shown)
        finish_sample (FALSE);
      check_settled ();
    }
}

static void
window_realized_cb (GtkWidget *widget,
                    gpointer   user_data)
{
  sample.surface = gtk_native_get_surface (GTK_NATIVE (widget));
  g_signal_connect (gdk_surface_get_frame_clock (sample.surface), "after-paint",
                    G_CALLBACK (after_paint_cb), NULL);
}

static void
window_added_cb (GtkApplication *app,
                 GtkWindow      *window,
                 gpointer        user_data)
{
  if (sample.window != NULL)
    return;

  sample.window = window;
  g_signal_connect_after (window, "realize", G_CALLBACK (window_realized_cb), NULL);
}

static void
secrets_loaded_cb (TdAccount  *account,
                   GParamSpec *pspec,
                   gpointer    user_data)
{
  if (td_account_get_secrets_loaded (account))
    g_hash_table_add (sample.secrets, account);
  check_settled ();
}

/* Once the file is read, count each account whose keyring read is done. */
static void
loading_cb (TdApplication *app,
            GParamSpec    *pspec,
            gpointer       user_data)
{
  GListModel *accounts = G_LIST_MODEL (td_application_get_accounts (app));

  if (!td_application_get_loading (app))
    for (guint i = 0; i < g_list_model_get_n_items (accounts); i++)
      {
        g_autoptr(TdAccount) account = g_list_model_get_item (accounts, i);

        if (td_account_get_secrets_loaded (account))
          g_hash_table_add (sample.secrets, account);
        else
          g_signal_connect (account, "notify::secrets-loaded",
                            G_CALLBACK (secrets_loaded_cb), NULL);
      }

  check_settled ();
}

static int window_width = 640;
static int window_height = 600;

static void
empty_activate_cb (GApplication *app,
                   gpointer      user_data)
{
  GtkWidget *window = adw_application_window_new (GTK_APPLICATION (app));

  gtk_window_set_default_size (GTK_WINDOW (window), window_width, window_height);
  gtk_window_present (GTK_WINDOW (window));
}

/* The floors: Token Desk's first screen from plain widgets --------------- */

typedef struct
{
  char *icon_name;
  char *name;
  char *details;
} FloorRow;

/* The rows Token Desk shows first, in its order (by name, ignoring case),
 * worked out before the clock starts: to the floor they are static text. */
static GArray *floor_rows;

typedef struct
{
  guint  index;
  char  *key;
} SortKey;

static int
compare_sort_keys (gconstpointer a,
                   gconstpointer b)
{
  return strcmp (((const SortKey *) a)->key, ((const SortKey *) b)->key);
}

static void
clear_sort_key (gpointer data)
{
  g_free (((SortKey *) data)->key);
}

static void
prepare_floor_rows (guint n_accounts,
                    guint n_rows)
{
  g_autoptr(GArray) keys = g_array_sized_new (FALSE, FALSE, sizeof (SortKey), n_accounts);

  g_array_set_clear_func (keys, clear_sort_key);
  floor_rows = g_array_new (FALSE, TRUE, sizeof (FloorRow));

  /* Sorted as GtkStringSorter does with ignore-case: casefolded, collated. */
  for (guint i = 0; i < n_accounts; i++)
    {
      AccountText text;
      g_autofree char *folded = NULL;
      SortKey key;

      account_text_init (&text, i);
      folded = g_utf8_casefold (text.name, -1);
      key.index = i;
      key.key = g_utf8_collate_key (folded, -1);
      g_array_append_val (keys, key);
      account_text_clear (&text);
    }
  g_array_sort (keys, compare_sort_keys);

  for (guint r = 0; r < MIN (n_rows, keys->len); r++)
    {
      AccountText text;
      FloorRow row;
      GString *details;

      account_text_init (&text, g_array_index (keys, SortKey, r).index);
      details = g_string_new (vendor_names[text.vendor]);
      g_string_append_printf (details, " · %s",
                              text.username ? text.username : "administrative token");
      if (text.sandbox)
        g_string_append (details, " · Sandbox");
      else if (text.endpoint != NULL)
        g_string_append_printf (details, " · %s", text.endpoint);

      /* The vendors' own icons, as td_provider_get_icon_name() names them. */
      row.icon_name = g_strdup_printf ("%s-%s", APPLICATION_ID, vendors[text.vendor]);
      row.name = g_steal_pointer (&text.name);
      row.details = g_string_free (details, FALSE);
      g_array_append_val (floor_rows, row);
      account_text_clear (&text);
    }
}

/* The same buttons as Token Desk's header bar, the main menu included. */
static GtkWidget *
floor_header_bar (gboolean can_search)
{
  GtkWidget *header_bar = adw_header_bar_new ();
  GtkWidget *add_button = gtk_button_new_from_icon_name ("list-add-symbolic");
  GtkWidget *menu_button = gtk_menu_button_new ();
  GtkWidget *search_button = gtk_toggle_button_new ();
  g_autoptr(GMenu) menu = g_menu_new ();
  g_autoptr(GMenu) section = g_menu_new ();

  g_menu_append (section, "_Preferences", "app.preferences");
  g_menu_append (section, "_Keyboard Shortcuts", "win.show-help-overlay");
  g_menu_append (section, "_About Token Desk", "app.about");
  g_menu_append_section (menu, NULL, G_MENU_MODEL (section));

  gtk_widget_set_tooltip_text (add_button, "Add Account");
  adw_header_bar_pack_start (ADW_HEADER_BAR (header_bar), add_button);

  gtk_menu_button_set_icon_name (GTK_MENU_BUTTON (menu_button), "open-menu-symbolic");
  gtk_menu_button_set_menu_model (GTK_MENU_BUTTON (menu_button), G_MENU_MODEL (menu));
  gtk_menu_button_set_primary (GTK_MENU_BUTTON (menu_button), TRUE);
  gtk_widget_set_tooltip_text (menu_button, "Main Menu");
  adw_header_bar_pack_end (ADW_HEADER_BAR (header_bar), menu_button);

  gtk_button_set_icon_name (GTK_BUTTON (search_button), "system-search-symbolic");
  gtk_widget_set_tooltip_text (search_button, "Search");
  gtk_widget_set_sensitive (search_button, can_search);
  adw_header_bar_pack_end (ADW_HEADER_BAR (header_bar), search_button);

  return header_bar;
}

static void
present_floor (GApplication *app,
               GtkWidget    *header_bar,
               GtkWidget    *content)
{
  GtkWidget *window = adw_application_window_new (GTK_APPLICATION (app));
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 0);

  /* Token Desk's vendor and app icons are in its resources, which this
   * executable links: found by name the way GtkApplication finds them. */
  gtk_icon_theme_add_resource_path (gtk_icon_theme_get_for_display (gdk_display_get_default ()),
                                    "/io/github/tokendesk/TokenDesk/icons");

  gtk_box_append (GTK_BOX (box), header_bar);
  gtk_widget_set_vexpand (content, TRUE);
  gtk_box_append (GTK_BOX (box), content);
  adw_application_window_set_content (ADW_APPLICATION_WINDOW (window), box);

  gtk_window_set_title (GTK_WINDOW (window), "Token Desk");
  gtk_window_set_default_size (GTK_WINDOW (window), window_width, window_height);
  gtk_window_present (GTK_WINDOW (window));
}

/* The row's menu as Token Desk has it: built when first opened, which a
 * menu button needs to be sensitive. */
static void
floor_row_menu_cb (GtkMenuButton *button,
                   gpointer       user_data)
{
  g_autoptr(GMenu) menu = g_menu_new ();

  g_menu_append (menu, "_Copy Token", "row.copy");
  gtk_menu_button_set_menu_model (button, G_MENU_MODEL (menu));
}

/* A card as Token Desk draws an account: libadwaita's .card, with
 * style.css's margins and padding. */
static GtkWidget *
floor_row (const FloorRow *row)
{
  GtkWidget *card = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 12);
  GtkWidget *icon = gtk_image_new_from_icon_name (row->icon_name);
  GtkWidget *labels = gtk_box_new (GTK_ORIENTATION_VERTICAL, 2);
  GtkWidget *name = gtk_label_new (row->name);
  GtkWidget *details = gtk_label_new (row->details);
  /* Token Desk's first frame has no state yet (its keyring reads end
   * later), so this third label makes the floor, if anything, dearer. */
  GtkWidget *state = gtk_label_new ("Signed in");
  GtkWidget *copy_button = gtk_button_new_from_icon_name ("edit-copy-symbolic");
  GtkWidget *menu_button = gtk_menu_button_new ();

  gtk_widget_add_css_class (card, "card");
  gtk_widget_add_css_class (card, "floor-row");
  gtk_widget_set_margin_top (card, 3);
  gtk_widget_set_margin_bottom (card, 3);
  gtk_widget_set_margin_start (card, 6);
  gtk_widget_set_margin_end (card, 6);

  gtk_image_set_pixel_size (GTK_IMAGE (icon), 32);
  gtk_box_append (GTK_BOX (card), icon);

  gtk_widget_set_valign (labels, GTK_ALIGN_CENTER);
  gtk_widget_set_hexpand (labels, TRUE);
  gtk_label_set_xalign (GTK_LABEL (name), 0);
  gtk_label_set_ellipsize (GTK_LABEL (name), PANGO_ELLIPSIZE_END);
  gtk_widget_add_css_class (name, "heading");
  gtk_box_append (GTK_BOX (labels), name);
  gtk_label_set_xalign (GTK_LABEL (details), 0);
  gtk_label_set_ellipsize (GTK_LABEL (details), PANGO_ELLIPSIZE_MIDDLE);
  gtk_widget_add_css_class (details, "caption");
  gtk_widget_add_css_class (details, "dim-label");
  gtk_box_append (GTK_BOX (labels), details);
  gtk_label_set_xalign (GTK_LABEL (state), 0);
  gtk_widget_add_css_class (state, "caption");
  gtk_widget_add_css_class (state, "success");
  gtk_box_append (GTK_BOX (labels), state);
  gtk_box_append (GTK_BOX (card), labels);

  gtk_widget_set_valign (copy_button, GTK_ALIGN_CENTER);
  gtk_widget_add_css_class (copy_button, "flat");
  gtk_box_append (GTK_BOX (card), copy_button);

  gtk_menu_button_set_icon_name (GTK_MENU_BUTTON (menu_button), "view-more-symbolic");
  gtk_menu_button_set_create_popup_func (GTK_MENU_BUTTON (menu_button), floor_row_menu_cb,
                                         NULL, NULL);
  gtk_widget_set_valign (menu_button, GTK_ALIGN_CENTER);
  gtk_widget_add_css_class (menu_button, "flat");
  gtk_box_append (GTK_BOX (card), menu_button);

  return card;
}

static void
floor_list_activate_cb (GApplication *app,
                        gpointer      user_data)
{
  g_autoptr(GtkCssProvider) css = gtk_css_provider_new ();
  GtkWidget *scrolled = gtk_scrolled_window_new ();
  GtkWidget *clamp = adw_clamp_new ();
  GtkWidget *list = gtk_box_new (GTK_ORIENTATION_VERTICAL, 0);

  /* As an application's style.css would be: loaded, not inline. */
  gtk_css_provider_load_from_data (css, ".floor-row { padding: 10px 6px 10px 14px; }", -1);
  gtk_style_context_add_provider_for_display (gdk_display_get_default (),
                                              GTK_STYLE_PROVIDER (css),
                                              GTK_STYLE_PROVIDER_PRIORITY_APPLICATION);

  gtk_widget_set_margin_top (list, 12);
  gtk_widget_set_margin_bottom (list, 24);
  gtk_widget_set_margin_start (list, 6);
  gtk_widget_set_margin_end (list, 6);
  for (guint i = 0; i < floor_rows->len; i++)
    gtk_box_append (GTK_BOX (list), floor_row (&g_array_index (floor_rows, FloorRow, i)));

  adw_clamp_set_maximum_size (ADW_CLAMP (clamp), 720);
  adw_clamp_set_tightening_threshold (ADW_CLAMP (clamp), 480);
  adw_clamp_set_child (ADW_CLAMP (clamp), list);
  gtk_scrolled_window_set_policy (GTK_SCROLLED_WINDOW (scrolled),
                                  GTK_POLICY_NEVER, GTK_POLICY_AUTOMATIC);
  gtk_scrolled_window_set_child (GTK_SCROLLED_WINDOW (scrolled), clamp);

  present_floor (app, floor_header_bar (TRUE), scrolled);
}

static void
floor_empty_activate_cb (GApplication *app,
                         gpointer      user_data)
{
  GtkWidget *status_page = adw_status_page_new ();
  GtkWidget *button = gtk_button_new_with_mnemonic ("_Add Account");

  gtk_widget_set_halign (button, GTK_ALIGN_CENTER);
  gtk_widget_add_css_class (button, "pill");
  gtk_widget_add_css_class (button, "suggested-action");

  adw_status_page_set_icon_name (ADW_STATUS_PAGE (status_page),
                                 APPLICATION_ID "-symbolic");
  adw_status_page_set_title (ADW_STATUS_PAGE (status_page), "No Accounts");
  adw_status_page_set_description (ADW_STATUS_PAGE (status_page),
                                   "Add your Cover Whale, Couchdrop, Senmo or Logware accounts, "
                                   "then copy a valid API token with one click. Passwords and "
                                   "tokens stay in the keyring.");
  adw_status_page_set_child (ADW_STATUS_PAGE (status_page), button);

  present_floor (app, floor_header_bar (FALSE), status_page);
}

/* The empty window is as large as Token Desk's, whose size comes from the
 * settings: read the schema's defaults before the clock starts. */
static void
read_default_size (void)
{
  GSettingsSchemaSource *source = g_settings_schema_source_get_default ();
  g_autoptr(GSettingsSchema) schema = NULL;

  if (source == NULL ||
      !(schema = g_settings_schema_source_lookup (source, APPLICATION_ID, TRUE)))
    return;

  for (guint i = 0; i < 2; i++)
    {
      const char *name = i == 0 ? "window-width" : "window-height";
      g_autoptr(GSettingsSchemaKey) key = g_settings_schema_get_key (schema, name);
      g_autoptr(GVariant) value = g_settings_schema_key_get_default_value (key);

      *(i == 0 ? &window_width : &window_height) = g_variant_get_int32 (value);
    }
}

static gboolean
watchdog_cb (gpointer user_data)
{
  if (sample.first_frame == 0)
    {
      g_printerr ("startup: no frame painted within %d s\n", SAMPLE_TIMEOUT_S);
      exit (EXIT_FAILURE);
    }

  /* Painted, but the keyring reads never ended: say so, with what we have. */
  finish_sample (FALSE);
  return G_SOURCE_REMOVE;
}

static int
run_sample (const char *argv0,
            const char *kind)
{
  g_autoptr(GApplication) app = NULL;
  char *app_argv[] = { (char *) argv0, NULL };
  GCallback activate_cb = NULL;
  int status;

  if (g_str_equal (kind, "empty"))
    activate_cb = G_CALLBACK (empty_activate_cb);
  else if (g_str_equal (kind, "floor-list"))
    activate_cb = G_CALLBACK (floor_list_activate_cb);
  else if (g_str_equal (kind, "floor-empty"))
    activate_cb = G_CALLBACK (floor_empty_activate_cb);
  else if (!g_str_equal (kind, "tokendesk"))
    {
      g_printerr ("startup: unknown sample kind %s\n", kind);
      return 2;
    }

  /* Outside the clock for every kind: what every GTK app pays first. */
  gtk_init ();
  adw_init ();
  td_vendors_init ();
  if (activate_cb != NULL)
    read_default_size ();
  if (activate_cb == G_CALLBACK (floor_list_activate_cb))
    prepare_floor_rows (opt_accounts, opt_rows);

  g_type_class_ref (GDK_TYPE_SURFACE);
  g_signal_add_emission_hook (g_signal_lookup ("render", GDK_TYPE_SURFACE), 0,
                              render_hook, NULL, NULL);
  g_timeout_add_seconds (SAMPLE_TIMEOUT_S, watchdog_cb, NULL);
  sample.secrets = g_hash_table_new (NULL, NULL);

  /* From here on, as a user starts it: each registers on the bus, gets
   * "activate" and builds its window there. */
  sample.start = g_get_monotonic_time ();

  if (activate_cb != NULL)
    {
      app = G_APPLICATION (adw_application_new (FLOOR_APPLICATION_ID,
                                                G_APPLICATION_DEFAULT_FLAGS));
      g_signal_connect (app, "activate", activate_cb, NULL);
    }
  else
    {
      app = G_APPLICATION (td_application_new ());
      g_signal_connect (app, "notify::loading", G_CALLBACK (loading_cb), NULL);
    }
  g_signal_connect (app, "window-added", G_CALLBACK (window_added_cb), NULL);
  sample.app = app;

  status = g_application_run (app, 1, app_argv);

  g_clear_pointer (&sample.secrets, g_hash_table_unref);

  return status;
}

/* Setting up: the account file and the keyring ------------------------- */

/* A mix a person with many accounts could have: all four vendors, some on
 * sandbox or their own host, most signed in (tokens, and a remembered
 * password for Cover Whale), some expired, some signed out. Returns the
 * accounts whose secrets went to the keyring. */
static GPtrArray *
write_accounts (const char      *config_home,
                guint            n,
                TdBenchKeyring  *keyring,
                GError         **error)
{
  g_autofree char *path = g_build_filename (config_home, "tokendesk", "accounts.ini", NULL);
  g_autoptr(GFile) file = g_file_new_for_path (path);
  g_autoptr(TdAccountList) list = td_account_list_new_for_file (file);
  g_autoptr(GRand) rand = g_rand_new_with_seed (20260101);
  g_autoptr(GPtrArray) with_secrets = g_ptr_array_new_with_free_func (g_object_unref);
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;

  for (guint i = 0; i < n; i++)
    {
      AccountText text;
      guint v = i % G_N_ELEMENTS (vendors);
      g_autoptr(TdAccount) account = td_account_new (NULL, vendors[v]);
      gboolean admin;

      account_text_init (&text, i);
      admin = text.username == NULL;
      td_account_set_display_name (account, text.name);
      if (!admin)
        td_account_set_username (account, text.username);
      if (text.sandbox)
        td_account_set_endpoint (account, "sandbox");
      else if (text.endpoint != NULL)
        {
          td_account_set_endpoint (account, text.endpoint);
          td_account_set_hand_out (account, i % 3 ? TD_HAND_OUT_ID_TOKEN
                                                  : TD_HAND_OUT_ACCESS_TOKEN);
        }
      td_account_set_remember_password (account, v == 0);
      td_account_set_admin_token (account, admin);
      account_text_clear (&text);

      if (!td_account_list_add (list, account, error))
        return NULL;

      /* One in eight signed out: nothing in the keyring. */
      if (i % 8 == 7)
        continue;

      if (admin)
        td_bench_keyring_queue_secret (keyring, account, TD_BENCH_SECRET_ADMIN_TOKEN,
                                       td_bench_fake_token (rand, "admin.", 64));
      else
        {
          TdTokens *tokens = td_tokens_new ();

          tokens->access_token = td_bench_fake_token (rand, "access.", 800);
          if (v == 2)
            tokens->id_token = td_bench_fake_token (rand, "id.", 900);
          if (v == 0 || v == 2)
            tokens->refresh_token = td_bench_fake_token (rand, "refresh.", 200);
          /* One in eight expired; the others valid for one to ten hours. */
          tokens->expires_at = i % 8 == 6 ? now - 3600
                                          : now + 3600 * (1 + (gint64) g_rand_int_range (rand, 0, 9));
          td_bench_keyring_queue_tokens (keyring, account, tokens);

          if (v == 0)
            td_bench_keyring_queue_secret (keyring, account, TD_BENCH_SECRET_PASSWORD,
                                           g_strdup_printf ("bench-password-%04u", i));
        }
      g_ptr_array_add (with_secrets, g_object_ref (account));
    }

  if (!td_account_list_save_sync (list, NULL, error))
    return NULL;

  return g_steal_pointer (&with_secrets);
}

/* Measuring ------------------------------------------------------------- */

typedef struct
{
  GArray *first;      /* double, ms */
  GArray *shown;      /* double, ms */
  GArray *rss_shown;  /* double, KiB */
  GArray *rss;        /* double, KiB */
  GArray *pss;        /* double, KiB */
  guint   accounts;
  guint   rows;
  guint   rows_shown;     /* of the last sample */
  guint   secrets_shown;  /* the most in any sample */
  gboolean unsettled;
} Series;

static void
series_init (Series *series)
{
  series->first = g_array_new (FALSE, FALSE, sizeof (double));
  series->shown = g_array_new (FALSE, FALSE, sizeof (double));
  series->rss_shown = g_array_new (FALSE, FALSE, sizeof (double));
  series->rss = g_array_new (FALSE, FALSE, sizeof (double));
  series->pss = g_array_new (FALSE, FALSE, sizeof (double));
}

static void
series_clear (Series *series)
{
  g_array_unref (series->first);
  g_array_unref (series->shown);
  g_array_unref (series->rss_shown);
  g_array_unref (series->rss);
  g_array_unref (series->pss);
}

static int
compare_doubles (gconstpointer a,
                 gconstpointer b)
{
  double x = *(const double *) a, y = *(const double *) b;

  return x < y ? -1 : x > y;
}

static double
median (GArray *values)
{
  g_autoptr(GArray) sorted = g_array_copy (values);
  guint n = sorted->len;

  g_array_sort (sorted, compare_doubles);
  if (n % 2 == 1)
    return g_array_index (sorted, double, n / 2);

  return (g_array_index (sorted, double, n / 2 - 1) + g_array_index (sorted, double, n / 2)) / 2;
}

static void
print_values (const char *label,
              GArray     *values,
              const char *suffix)
{
  g_autoptr(GString) text = g_string_new (NULL);

  for (guint i = 0; i < values->len; i++)
    g_string_append_printf (text, "%s%.1f", i > 0 ? ", " : "", g_array_index (values, double, i));

  printf ("  %-30s%s%s\n", label, text->str, suffix ? suffix : "");
}

static gboolean
take_sample (const char *self_path,
             const char *kind,
             const char *config_home,
             guint       rows,
             Series     *series)
{
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autoptr(GSubprocess) process = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *out = NULL;
  g_auto(GStrv) lines = NULL;
  gint64 first_us, shown_us;
  long rss_shown, rss, pss;
  guint accounts, rows_built, rows_shown, secrets_shown;
  int settled;
  char rows_arg[32], accounts_arg[32];

  g_snprintf (rows_arg, sizeof rows_arg, "--rows=%u", rows);
  g_snprintf (accounts_arg, sizeof accounts_arg, "--accounts=%d", opt_accounts);
  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE);
  g_subprocess_launcher_setenv (launcher, "XDG_CONFIG_HOME", config_home, TRUE);
  process = g_subprocess_launcher_spawn (launcher, &error, self_path, "--sample", kind,
                                         rows_arg, accounts_arg, NULL);
  if (process == NULL ||
      !g_subprocess_communicate_utf8 (process, NULL, NULL, &out, NULL, &error))
    {
      g_printerr ("startup: %s sample: %s\n", kind, error->message);
      return FALSE;
    }

  if (!g_subprocess_get_successful (process))
    {
      g_printerr ("startup: the %s sample failed\n", kind);
      return FALSE;
    }

  lines = g_strsplit (out, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    {
      double value;

      if (!g_str_has_prefix (lines[i], SAMPLE_PREFIX) ||
          sscanf (lines[i] + strlen (SAMPLE_PREFIX),
                  "first_us=%" G_GINT64_FORMAT " shown_us=%" G_GINT64_FORMAT
                  " rss_shown=%ld rss=%ld pss=%ld accounts=%u rows=%u rows_shown=%u"
                  " secrets_shown=%u settled=%d",
                  &first_us, &shown_us, &rss_shown, &rss, &pss, &accounts, &rows_built,
                  &rows_shown, &secrets_shown, &settled) != 10)
        continue;

      if (series == NULL)
        return TRUE;

      value = first_us / 1000.0;
      g_array_append_val (series->first, value);
      value = shown_us / 1000.0;
      g_array_append_val (series->shown, value);
      value = rss_shown;
      g_array_append_val (series->rss_shown, value);
      value = rss;
      g_array_append_val (series->rss, value);
      value = pss;
      g_array_append_val (series->pss, value);
      series->accounts = accounts;
      series->rows = MAX (series->rows, rows_built);
      series->rows_shown = rows_shown;
      series->secrets_shown = MAX (series->secrets_shown, secrets_shown);
      series->unsettled |= !settled;

      return TRUE;
    }

  g_printerr ("startup: the %s sample printed no result\n", kind);
  return FALSE;
}

static char *
make_config_home (const char *root,
                  const char *name)
{
  char *config_home = g_build_filename (root, name, NULL);
  g_autofree char *dir = g_build_filename (config_home, "tokendesk", NULL);

  g_mkdir_with_parents (dir, 0700);

  return config_home;
}

static void
remove_config_home (const char *config_home)
{
  g_autofree char *dir = g_build_filename (config_home, "tokendesk", NULL);
  g_autofree char *file = g_build_filename (dir, "accounts.ini", NULL);

  g_unlink (file);
  g_rmdir (dir);
  g_rmdir (config_home);
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(GOptionContext) context = g_option_context_new ("- first frame and memory at startup");
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) with_secrets = NULL;
  g_autoptr(TdBenchKeyring) keyring = NULL;
  g_autoptr(TdAccountList) none = NULL;
  g_autofree char *self_path = NULL;
  g_autofree char *root = NULL;
  g_autofree char *full_home = NULL;
  g_autofree char *none_home = NULL;
  g_autofree char *label = NULL;
  g_autofree char *suffix = NULL;
  Series empty = { 0 }, floor_list = { 0 }, floor_empty = { 0 }, full = { 0 }, zero = { 0 };
  Series warmup = { 0 };
  double empty_ms, floor_list_ms, floor_empty_ms, full_ms, zero_ms, full_ratio, zero_ratio;
  double kib_per_account, kib_shown, pss_per_account;
  guint rows = 0;
  gboolean ok = TRUE;
  gint64 setup_start;

  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      g_printerr ("startup: %s\n", error->message);
      return 2;
    }

  if (opt_sample != NULL)
    return run_sample (argv[0], opt_sample);

  if (opt_accounts < 1 || opt_samples < 1)
    {
      g_printerr ("startup: --accounts and --samples must be positive\n");
      return 2;
    }

  /* The session's throwaway keyring and display only, never a person's. */
  if (g_getenv ("TD_HEADLESS_SESSION") == NULL || g_getenv ("DISPLAY") == NULL)
    {
      printf ("startup: skipped: run it under tests/headless-session\n");
      return 77;
    }

  self_path = g_file_read_link ("/proc/self/exe", &error);
  if (self_path == NULL)
    {
      g_printerr ("startup: %s\n", error->message);
      return EXIT_FAILURE;
    }

  root = g_dir_make_tmp ("tokendesk-bench-startup-XXXXXX", &error);
  if (root == NULL)
    {
      g_printerr ("startup: %s\n", error->message);
      return EXIT_FAILURE;
    }
  full_home = make_config_home (root, "accounts");
  none_home = make_config_home (root, "none");

  /* The same file with no account in it: what is left is the app alone. */
  {
    g_autofree char *path = g_build_filename (none_home, "tokendesk", "accounts.ini", NULL);
    g_autoptr(GFile) file = g_file_new_for_path (path);

    none = td_account_list_new_for_file (file);
    if (!td_account_list_save_sync (none, NULL, &error))
      {
        g_printerr ("startup: %s\n", error->message);
        return EXIT_FAILURE;
      }
  }

  setup_start = g_get_monotonic_time ();
  keyring = td_bench_keyring_new ();
  with_secrets = write_accounts (full_home, opt_accounts, keyring, &error);
  if (with_secrets == NULL || !td_bench_keyring_run (keyring, &error))
    {
      g_printerr ("startup: %s\n", error->message);
      return EXIT_FAILURE;
    }
  printf ("setup: %d accounts written, their secrets stored in %.1f s\n",
          opt_accounts, (g_get_monotonic_time () - setup_start) / (double) G_USEC_PER_SEC);
  fflush (stdout);

  series_init (&empty);
  series_init (&floor_list);
  series_init (&floor_empty);
  series_init (&full);
  series_init (&zero);
  series_init (&warmup);

  /* A first round for the page cache and the keyring daemon, not counted;
   * it tells how many rows Token Desk has on screen, for the floor. */
  ok = take_sample (self_path, "tokendesk", full_home, 0, &warmup);
  rows = warmup.rows_shown;
  if (ok && rows == 0)
    {
      g_printerr ("startup: Token Desk showed no account row on its first frame\n");
      ok = FALSE;
    }
  ok = ok &&
       take_sample (self_path, "empty", none_home, 0, NULL) &&
       take_sample (self_path, "floor-list", none_home, rows, NULL) &&
       take_sample (self_path, "floor-empty", none_home, 0, NULL) &&
       take_sample (self_path, "tokendesk", none_home, 0, NULL);

  /* Each floor right before its Token Desk. */
  for (int i = 0; ok && i < opt_samples; i++)
    ok = take_sample (self_path, "floor-list", none_home, rows, &floor_list) &&
         take_sample (self_path, "tokendesk", full_home, 0, &full) &&
         take_sample (self_path, "floor-empty", none_home, 0, &floor_empty) &&
         take_sample (self_path, "tokendesk", none_home, 0, &zero) &&
         take_sample (self_path, "empty", none_home, 0, &empty);

  if (ok && full.accounts != (guint) opt_accounts)
    {
      g_printerr ("startup: Token Desk showed %u accounts of %d\n", full.accounts, opt_accounts);
      ok = FALSE;
    }

  if (ok)
    {
      empty_ms = median (empty.shown);
      floor_list_ms = median (floor_list.shown);
      floor_empty_ms = median (floor_empty.shown);
      full_ms = median (full.shown);
      zero_ms = median (zero.shown);
      full_ratio = full_ms / floor_list_ms;
      zero_ratio = zero_ms / floor_empty_ms;
      kib_per_account = (median (full.rss) - median (zero.rss)) / full.accounts;
      kib_shown = (median (full.rss_shown) - median (zero.rss_shown)) / full.accounts;
      pss_per_account = (median (full.pss) - median (zero.pss)) / full.accounts;

      printf ("Token Desk startup: %u accounts of all four vendors, %u of them with secrets "
              "in the keyring; each sample a fresh process, medians of %u\n",
              full.accounts, with_secrets->len, full.shown->len);
      printf ("same-screen floor, %u rows: %.1f ms\n", rows, floor_list_ms);
      printf ("empty-state floor: %.1f ms\n", floor_empty_ms);
      printf ("Token Desk, %u accounts: %.1f ms — ratio %.2f to the same-screen floor "
              "(target ≤ %.1f)%s\n",
              full.accounts, full_ms, full_ratio, TARGET_RATIO,
              full_ratio > TARGET_RATIO ? "   OVER TARGET" : "");
      printf ("Token Desk, no account: %.1f ms — ratio %.2f to the empty-state floor "
              "(target ≤ %.1f)%s\n",
              zero_ms, zero_ratio, TARGET_RATIO,
              zero_ratio > TARGET_RATIO ? "   OVER TARGET" : "");
      printf ("memory per account: %.1f KiB (target ≤ %.0f KiB)%s\n",
              kib_per_account, TARGET_KIB_PER_ACCOUNT,
              kib_per_account > TARGET_KIB_PER_ACCOUNT ? "   OVER TARGET" : "");

      printf ("\ndetails (ms, from creating the application to the X server having drawn the\n"
              "first frame that shows the accounts or the empty state):\n");
      print_values ("same-screen floor", floor_list.shown, NULL);
      label = g_strdup_printf ("Token Desk, %u accounts", full.accounts);
      print_values (label, full.shown, NULL);
      print_values ("  its very first frame", full.first, NULL);
      print_values ("empty-state floor", floor_empty.shown, NULL);
      print_values ("Token Desk, no account", zero.shown, NULL);
      suffix = g_strdup_printf (" (median %.1f)", empty_ms);
      print_values ("empty window, no text", empty.shown, suffix);
      printf ("    what GTK alone costs: Token Desk is %.2f and %.2f times it\n",
              full_ms / empty_ms, zero_ms / empty_ms);
      printf ("  account rows                  %u built, %u on screen (the floor's rows); "
              "keyring read for %u by the first frame\n",
              full.rows, rows, full.secrets_shown);
      printf ("memory (KiB, medians; read once every account's keyring items were read):\n");
      printf ("  RSS %u accounts %.0f, no account %.0f; Pss %.0f and %.0f: %.1f KiB per account\n",
              full.accounts, median (full.rss), median (zero.rss), median (full.pss),
              median (zero.pss), pss_per_account);
      printf ("  RSS at the first frame already: %.1f KiB per account\n", kib_shown);
      if (full.unsettled)
        printf ("  (some samples were read before every keyring read had ended)\n");
    }

  series_clear (&empty);
  series_clear (&floor_list);
  series_clear (&floor_empty);
  series_clear (&full);
  series_clear (&zero);
  series_clear (&warmup);

  if (opt_keep)
    {
      printf ("kept: XDG_CONFIG_HOME=%s (%d accounts) or %s (none), and the keyring items\n",
              full_home, opt_accounts, none_home);
      return ok ? EXIT_SUCCESS : EXIT_FAILURE;
    }

  /* Leave the keyring as it was found. */
  for (guint i = 0; i < with_secrets->len; i++)
    td_bench_keyring_queue_clear (keyring, g_ptr_array_index (with_secrets, i));
  if (!td_bench_keyring_run (keyring, &error))
    g_printerr ("startup: %s\n", error->message);

  remove_config_home (full_home);
  remove_config_home (none_home);
  g_rmdir (root);

  return ok ? EXIT_SUCCESS : EXIT_FAILURE;
}
