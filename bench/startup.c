/* startup.c: the first frame of Token Desk with 1,000 accounts, next to
 * that of an empty AdwApplicationWindow, and the memory each account costs
 *
 * Targets: Token Desk's window shows its accounts within 1.3 times the
 * time an empty AdwApplicationWindow takes to show up, on the same display
 * in the same run; each account costs at most 10 KiB of resident memory.
 *
 * A GApplication registers once per process and GTK keeps caches (CSS,
 * icons, fonts) warm after a first window: every sample is therefore a
 * fresh process, this same executable started again with --sample. The
 * kinds of sample alternate, so that a machine getting busier slows them
 * alike, and a first round is thrown away (page cache, keyring daemon).
 * A third kind, a window with a header bar, an icon and a label, shows
 * what any window that draws text and icons costs over an empty one.
 *
 * Setting up stores some 2,000 keyring items: the keyring daemon takes a
 * minute or more over it.
 *
 *   tests/headless-session meson test -C _build --benchmark startup -v
 *   tests/headless-session _build/bench/startup [--accounts N] [--samples N]
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
#include "td-token-store.h"
#include "td-vendors.h"
#include "td-window.h"

#define TARGET_RATIO 1.3
#define TARGET_KIB_PER_ACCOUNT 10.0

/* Keyring writes in flight while setting up: the daemon serializes them. */
#define MAX_STORES 8
/* After the last keyring read: let idles and deferred frees run. */
#define SETTLE_MS 500
/* A sample that takes longer is broken, not slow. */
#define SAMPLE_TIMEOUT_S 120

#define EMPTY_APPLICATION_ID "io.github.tokendesk.TokenDesk.BenchEmpty"
#define SAMPLE_PREFIX "startup-sample "

static int opt_accounts = 1000;
static int opt_samples = 5;
static char *opt_sample = NULL;

static const GOptionEntry entries[] = {
  { "accounts", 'n', 0, G_OPTION_ARG_INT, &opt_accounts, "Accounts in the account file", "N" },
  { "samples", 's', 0, G_OPTION_ARG_INT, &opt_samples, "Samples of each kind", "N" },
  { "sample", 0, G_OPTION_FLAG_HIDDEN, G_OPTION_ARG_STRING, &opt_sample,
    "Take one sample in this process: empty, reference or tokendesk", "KIND" },
  { NULL }
};

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
          " rss_shown=%ld rss=%ld pss=%ld accounts=%u rows=%u settled=%d\n",
          sample.first_frame, sample.shown_frame, sample.rss_shown, memory.rss, memory.pss,
          n_accounts, count_rows (GTK_WIDGET (sample.window)), settled);
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
secrets_loaded_cb (TdApplication *app,
                   TdAccount     *account,
                   gpointer       user_data)
{
  g_hash_table_add (sample.secrets, account);
  check_settled ();
}

static void
loading_cb (TdApplication *app,
            GParamSpec    *pspec,
            gpointer       user_data)
{
  check_settled ();
}

static int empty_width = 640;
static int empty_height = 600;

static void
empty_activate_cb (GApplication *app,
                   gpointer      user_data)
{
  GtkWidget *window = adw_application_window_new (GTK_APPLICATION (app));

  gtk_window_set_default_size (GTK_WINDOW (window), empty_width, empty_height);
  gtk_window_present (GTK_WINDOW (window));
}

/* Not a target, a yardstick: the least a real window shows, a header bar
 * with a title and an icon, and a line of text. The empty window loads
 * neither an icon theme nor a font. */
static void
reference_activate_cb (GApplication *app,
                       gpointer      user_data)
{
  GtkWidget *window = adw_application_window_new (GTK_APPLICATION (app));
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 0);
  GtkWidget *header_bar = adw_header_bar_new ();
  GtkWidget *label = gtk_label_new ("No Accounts");

  adw_header_bar_pack_start (ADW_HEADER_BAR (header_bar),
                             gtk_button_new_from_icon_name ("list-add-symbolic"));
  gtk_box_append (GTK_BOX (box), header_bar);
  gtk_widget_set_vexpand (label, TRUE);
  gtk_box_append (GTK_BOX (box), label);
  adw_application_window_set_content (ADW_APPLICATION_WINDOW (window), box);

  gtk_window_set_title (GTK_WINDOW (window), "Token Desk");
  gtk_window_set_default_size (GTK_WINDOW (window), empty_width, empty_height);
  gtk_window_present (GTK_WINDOW (window));
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

      *(i == 0 ? &empty_width : &empty_height) = g_variant_get_int32 (value);
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
  gboolean empty = g_str_equal (kind, "empty");
  gboolean reference = g_str_equal (kind, "reference");
  int status;

  if (!empty && !reference && !g_str_equal (kind, "tokendesk"))
    {
      g_printerr ("startup: unknown sample kind %s\n", kind);
      return 2;
    }

  /* Outside the clock for both kinds: what every GTK app pays first. */
  gtk_init ();
  adw_init ();
  td_vendors_init ();
  if (empty || reference)
    read_default_size ();

  g_type_class_ref (GDK_TYPE_SURFACE);
  g_signal_add_emission_hook (g_signal_lookup ("render", GDK_TYPE_SURFACE), 0,
                              render_hook, NULL, NULL);
  g_timeout_add_seconds (SAMPLE_TIMEOUT_S, watchdog_cb, NULL);
  sample.secrets = g_hash_table_new (NULL, NULL);

  /* From here on, as a user starts it: both register on the bus, get
   * "activate" and build their window there. */
  sample.start = g_get_monotonic_time ();

  if (empty || reference)
    {
      app = G_APPLICATION (adw_application_new (EMPTY_APPLICATION_ID,
                                                G_APPLICATION_DEFAULT_FLAGS));
      g_signal_connect (app, "activate",
                        empty ? G_CALLBACK (empty_activate_cb) : G_CALLBACK (reference_activate_cb),
                        NULL);
    }
  else
    {
      app = G_APPLICATION (td_application_new ());
      g_signal_connect (app, "secrets-loaded", G_CALLBACK (secrets_loaded_cb), NULL);
      g_signal_connect (app, "notify::loading", G_CALLBACK (loading_cb), NULL);
    }
  g_signal_connect (app, "window-added", G_CALLBACK (window_added_cb), NULL);
  sample.app = app;

  status = g_application_run (app, 1, app_argv);

  g_clear_pointer (&sample.secrets, g_hash_table_unref);

  return status;
}

/* Setting up: the account file and the keyring ------------------------- */

static const char *vendors[] = { "coverwhale", "couchdrop", "senmo", "logware" };
static const char *vendor_names[] = { "Cover Whale", "Couchdrop", "Senmo", "Logware" };
static const char *companies[] = {
  "Acme", "Globex", "Initech", "Umbrella", "Hooli", "Stark", "Wayne", "Tyrell",
  "Soylent", "Cyberdyne", "Vandelay", "Wonka", "Oscorp", "Aperture", "Massive", "Gringotts",
};

/* What a token looks like to the keyring and in memory: a JWT's length. */
static char *
fake_token (GRand      *rand,
            const char *kind,
            guint       length)
{
  static const char alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  GString *token = g_string_new ("eyJhbGciOiJSUzI1NiJ9.");

  g_string_append (token, kind);
  while (token->len < length)
    g_string_append_c (token, alphabet[g_rand_int_range (rand, 0, 64)]);

  return g_string_free (token, FALSE);
}

typedef struct
{
  TdAccount    *account;
  TdSecretKind  kind;       /* PASSWORD or ADMIN_TOKEN; unused with tokens */
  TdTokens     *tokens;     /* or NULL */
  char         *secret;
} Job;

static void
job_free (Job *job)
{
  g_clear_object (&job->account);
  g_clear_pointer (&job->tokens, td_tokens_free);
  g_clear_pointer (&job->secret, td_secret_free);
  g_free (job);
}

typedef struct
{
  TdTokenStore *store;
  GQueue        jobs;
  guint         in_flight;
  guint         failed;
  char         *first_error;
} Batch;

static void pump (Batch *batch);

static void
job_done (Batch  *batch,
          GError *error)
{
  batch->in_flight--;
  if (error != NULL)
    {
      batch->failed++;
      if (batch->first_error == NULL)
        batch->first_error = g_strdup (error->message);
    }
  pump (batch);
}

static void
stored_tokens_cb (GObject      *object,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(GError) error = NULL;

  td_token_store_save_tokens_finish (TD_TOKEN_STORE (object), result, &error);
  job_done (user_data, error);
}

static void
stored_secret_cb (GObject      *object,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(GError) error = NULL;

  td_token_store_save_secret_finish (TD_TOKEN_STORE (object), result, &error);
  job_done (user_data, error);
}

static void
cleared_cb (GObject      *object,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr(GError) error = NULL;

  td_token_store_clear_finish (TD_TOKEN_STORE (object), result, &error);
  job_done (user_data, error);
}

static void
pump (Batch *batch)
{
  Job *job;

  while (batch->in_flight < MAX_STORES && (job = g_queue_pop_head (&batch->jobs)) != NULL)
    {
      batch->in_flight++;
      if (job->tokens != NULL)
        td_token_store_save_tokens_async (batch->store, job->account, job->tokens, NULL,
                                          stored_tokens_cb, batch);
      else if (job->secret != NULL)
        td_token_store_save_secret_async (batch->store, job->account, job->kind, job->secret,
                                          NULL, stored_secret_cb, batch);
      else
        td_token_store_clear_async (batch->store, td_account_get_id (job->account), TRUE,
                                    NULL, cleared_cb, batch);
      job_free (job);
    }
}

static gboolean
run_batch (Batch *batch)
{
  pump (batch);
  while (batch->in_flight > 0)
    g_main_context_iteration (NULL, TRUE);

  if (batch->failed > 0)
    {
      g_printerr ("startup: %u keyring operations failed, the first with: %s\n",
                  batch->failed, batch->first_error);
      return FALSE;
    }

  return TRUE;
}

static void
queue_job (Batch        *batch,
           TdAccount    *account,
           TdSecretKind  kind,
           TdTokens     *tokens,
           char         *secret)
{
  Job *job = g_new0 (Job, 1);

  job->account = g_object_ref (account);
  job->kind = kind;
  job->tokens = tokens;
  job->secret = secret;
  g_queue_push_tail (&batch->jobs, job);
}

/* A mix a person with many accounts could have: all four vendors, some on
 * sandbox or their own host, most signed in (tokens, and a remembered
 * password for Cover Whale), some expired, some signed out. Returns the
 * accounts whose secrets went to the keyring. */
static GPtrArray *
write_accounts (const char  *config_home,
                guint        n,
                Batch       *batch,
                GError     **error)
{
  g_autofree char *path = g_build_filename (config_home, "tokendesk", "accounts.ini", NULL);
  g_autoptr(GFile) file = g_file_new_for_path (path);
  g_autoptr(TdAccountList) list = td_account_list_new_for_file (file);
  g_autoptr(GRand) rand = g_rand_new_with_seed (20260101);
  g_autoptr(GPtrArray) with_secrets = g_ptr_array_new_with_free_func (g_object_unref);
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;

  for (guint i = 0; i < n; i++)
    {
      guint v = i % G_N_ELEMENTS (vendors);
      const char *company = companies[(i / 4) % G_N_ELEMENTS (companies)];
      g_autoptr(TdAccount) account = td_account_new (NULL, vendors[v]);
      g_autofree char *name = g_strdup_printf ("%s %s %04u", company, vendor_names[v], i);
      g_autofree char *username = g_strdup_printf ("%s.%04u@%s.example",
                                                   i % 3 ? "ops" : "dev", i, company);
      gboolean admin = v == 1 && i % 16 == 5;

      td_account_set_display_name (account, name);
      if (!admin)
        td_account_set_username (account, username);
      if (v == 0 && i % 8 == 4)
        td_account_set_endpoint (account, "sandbox");
      else if (v == 2)
        {
          g_autofree char *host = g_strdup_printf ("https://foundry-%02u.%s.example/api",
                                                   i % 7, company);

          td_account_set_endpoint (account, host);
          td_account_set_hand_out (account, i % 3 ? TD_HAND_OUT_ID_TOKEN
                                                  : TD_HAND_OUT_ACCESS_TOKEN);
        }
      td_account_set_remember_password (account, v == 0);
      td_account_set_admin_token (account, admin);

      if (!td_account_list_add (list, account, error))
        return NULL;

      /* One in eight signed out: nothing in the keyring. */
      if (i % 8 == 7)
        continue;

      if (admin)
        queue_job (batch, account, TD_SECRET_KIND_ADMIN_TOKEN, NULL,
                   fake_token (rand, "admin.", 64));
      else
        {
          TdTokens *tokens = td_tokens_new ();

          tokens->access_token = fake_token (rand, "access.", 800);
          if (v == 2)
            tokens->id_token = fake_token (rand, "id.", 900);
          if (v == 0 || v == 2)
            tokens->refresh_token = fake_token (rand, "refresh.", 200);
          /* One in eight expired; the others valid for one to ten hours. */
          tokens->expires_at = i % 8 == 6 ? now - 3600
                                          : now + 3600 * (1 + (gint64) g_rand_int_range (rand, 0, 9));
          queue_job (batch, account, 0, tokens, NULL);

          if (v == 0)
            queue_job (batch, account, TD_SECRET_KIND_PASSWORD, NULL,
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
             Series     *series)
{
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autoptr(GSubprocess) process = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *out = NULL;
  g_auto(GStrv) lines = NULL;
  gint64 first_us, shown_us;
  long rss_shown, rss, pss;
  guint accounts, rows;
  int settled;

  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE);
  g_subprocess_launcher_setenv (launcher, "XDG_CONFIG_HOME", config_home, TRUE);
  process = g_subprocess_launcher_spawn (launcher, &error, self_path, "--sample", kind, NULL);
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
                  " rss_shown=%ld rss=%ld pss=%ld accounts=%u rows=%u settled=%d",
                  &first_us, &shown_us, &rss_shown, &rss, &pss, &accounts, &rows,
                  &settled) != 8)
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
      series->rows = MAX (series->rows, rows);
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
  g_autoptr(TdTokenStore) store = NULL;
  g_autoptr(TdAccountList) none = NULL;
  g_autofree char *self_path = NULL;
  g_autofree char *root = NULL;
  g_autofree char *full_home = NULL;
  g_autofree char *none_home = NULL;
  g_autofree char *label = NULL;
  g_autofree char *suffix = NULL;
  Series empty = { 0 }, reference = { 0 }, full = { 0 }, zero = { 0 };
  Batch batch = { 0 };
  double empty_ms, full_ms, ratio, kib_per_account, kib_shown, pss_per_account;
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
  store = td_token_store_new ();
  batch.store = store;
  g_queue_init (&batch.jobs);
  with_secrets = write_accounts (full_home, opt_accounts, &batch, &error);
  if (with_secrets == NULL)
    {
      g_printerr ("startup: %s\n", error->message);
      return EXIT_FAILURE;
    }
  if (!run_batch (&batch))
    return EXIT_FAILURE;
  printf ("setup: %d accounts written, their secrets stored in %.1f s\n",
          opt_accounts, (g_get_monotonic_time () - setup_start) / (double) G_USEC_PER_SEC);
  fflush (stdout);

  series_init (&empty);
  series_init (&reference);
  series_init (&full);
  series_init (&zero);

  /* A first round for the page cache and the keyring daemon, not counted. */
  ok = take_sample (self_path, "empty", none_home, NULL) &&
       take_sample (self_path, "reference", none_home, NULL) &&
       take_sample (self_path, "tokendesk", full_home, NULL) &&
       take_sample (self_path, "tokendesk", none_home, NULL);

  for (int i = 0; ok && i < opt_samples; i++)
    ok = take_sample (self_path, "empty", none_home, &empty) &&
         take_sample (self_path, "tokendesk", full_home, &full) &&
         take_sample (self_path, "tokendesk", none_home, &zero) &&
         take_sample (self_path, "reference", none_home, &reference);

  if (ok && full.accounts != (guint) opt_accounts)
    {
      g_printerr ("startup: Token Desk showed %u accounts of %d\n", full.accounts, opt_accounts);
      ok = FALSE;
    }

  if (ok)
    {
      empty_ms = median (empty.first);
      full_ms = median (full.shown);
      ratio = full_ms / empty_ms;
      kib_per_account = (median (full.rss) - median (zero.rss)) / full.accounts;
      kib_shown = (median (full.rss_shown) - median (zero.rss_shown)) / full.accounts;
      pss_per_account = (median (full.pss) - median (zero.pss)) / full.accounts;

      printf ("Token Desk startup: %u accounts of all four vendors, %u of them with secrets "
              "in the keyring; each sample a fresh process\n",
              full.accounts, with_secrets->len);
      printf ("empty window first frame: %.1f ms (median of %u)\n",
              empty_ms, empty.first->len);
      printf ("Token Desk, %u accounts, first frame: %.1f ms (median of %u) — ratio %.2f "
              "(target ≤ %.1f)%s\n",
              full.accounts, full_ms, full.shown->len, ratio, TARGET_RATIO,
              ratio > TARGET_RATIO ? "   OVER TARGET" : "");
      printf ("memory per account: %.1f KiB (target ≤ %.0f KiB)%s\n",
              kib_per_account, TARGET_KIB_PER_ACCOUNT,
              kib_per_account > TARGET_KIB_PER_ACCOUNT ? "   OVER TARGET" : "");

      printf ("\ndetails (ms; \"first frame\" above is the first one showing the accounts,\n"
              "timed from creating the application to the X server having drawn it):\n");
      print_values ("empty window", empty.first, NULL);
      label = g_strdup_printf ("Token Desk, %u accounts", full.accounts);
      print_values (label, full.shown, NULL);
      print_values ("  its very first frame", full.first, NULL);
      suffix = g_strdup_printf (" (median %.1f, ratio %.2f)",
                                median (zero.shown), median (zero.shown) / empty_ms);
      print_values ("Token Desk, no account", zero.shown, suffix);
      g_free (suffix);
      suffix = g_strdup_printf (" (median %.1f, ratio %.2f)",
                                median (reference.first), median (reference.first) / empty_ms);
      print_values ("header bar, icon and a label", reference.first, suffix);
      printf ("  account rows built            %u for %u accounts\n", full.rows, full.accounts);
      printf ("memory (KiB, medians; read once every account's keyring items were read):\n");
      printf ("  RSS %u accounts %.0f, no account %.0f; Pss %.0f and %.0f: %.1f KiB per account\n",
              full.accounts, median (full.rss), median (zero.rss), median (full.pss),
              median (zero.pss), pss_per_account);
      printf ("  RSS at the first frame already: %.1f KiB per account\n", kib_shown);
      if (full.unsettled)
        printf ("  (some samples were read before every keyring read had ended)\n");
    }

  /* Leave the keyring as it was found. */
  for (guint i = 0; i < with_secrets->len; i++)
    queue_job (&batch, g_ptr_array_index (with_secrets, i), 0, NULL, NULL);
  run_batch (&batch);
  g_free (batch.first_error);

  remove_config_home (full_home);
  remove_config_home (none_home);
  g_rmdir (root);

  series_clear (&empty);
  series_clear (&reference);
  series_clear (&full);
  series_clear (&zero);

  return ok ? EXIT_SUCCESS : EXIT_FAILURE;
}
