/* td-test-sim.c: spawn and drive the vendor simulator from GLib tests
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "td-test-sim.h"

#include <signal.h>
#include <string.h>

#include <libsoup/soup.h>

#ifndef TD_SIM_PATH
#error "TD_SIM_PATH must name the tokendesk-vendor-sim executable"
#endif

/* Generous: the sim may run under valgrind (TD_SIM_WRAPPER). */
#define START_TIMEOUT_MS 30000
#define STOP_TIMEOUT_MS 10000

struct _TdTestSim
{
  GSubprocess *process;
  GInputStream *stdout_pipe;
  GMainContext *context;
  SoupSession *session;
  char *root;
};

static gboolean
on_wait_timeout (gpointer user_data)
{
  gboolean *timed_out = user_data;

  *timed_out = TRUE;
  return G_SOURCE_REMOVE;
}

/* A timeout source on the same context wakes the blocking iteration, so
 * the wait ends even when nothing else ever happens there. */
gboolean
td_test_sim_wait_until (GMainContext    *context,
                        TdTestCondition  condition,
                        gpointer         user_data,
                        guint            timeout_ms)
{
  g_autoptr(GSource) source = g_timeout_source_new (timeout_ms);
  gboolean timed_out = FALSE;
  gboolean met;

  g_assert_nonnull (condition);

  g_source_set_callback (source, on_wait_timeout, &timed_out, NULL);
  g_source_attach (source, context);

  while (!(met = condition (user_data)) && !timed_out)
    g_main_context_iteration (context, TRUE);

  g_source_destroy (source);
  return met;
}

static gboolean
flag_is_set (gpointer user_data)
{
  gboolean *flag = user_data;

  return *flag;
}

typedef struct
{
  gboolean done;
  char *line;
  GError *error;
} ReadLine;

static void
on_line_read (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  ReadLine *state = user_data;

  state->line = g_data_input_stream_read_line_finish_utf8 (G_DATA_INPUT_STREAM (source), result,
                                                           NULL, &state->error);
  state->done = TRUE;
}

static void
on_wait_done (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  gboolean *done = user_data;

  g_subprocess_wait_finish (G_SUBPROCESS (source), result, NULL);
  *done = TRUE;
}

static void
add_wrapper (GPtrArray *argv)
{
  const char *wrapper = g_getenv ("TD_SIM_WRAPPER");
  g_auto(GStrv) words = NULL;
  g_autoptr(GError) error = NULL;

  if (wrapper == NULL || *wrapper == '\0')
    return;

  if (!g_shell_parse_argv (wrapper, NULL, &words, &error))
    g_error ("TD_SIM_WRAPPER: %s", error->message);

  for (guint i = 0; words[i] != NULL; i++)
    g_ptr_array_add (argv, g_strdup (words[i]));
}

TdTestSim *
td_test_sim_start (const char *first_arg,
                   ...)
{
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autoptr(GPtrArray) argv = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GDataInputStream) lines = NULL;
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GTlsDatabase) database = NULL;
  g_autoptr(GError) error = NULL;
  const char *path = g_getenv ("TD_SIM_PATH");
  const char *ca_file = NULL;
  ReadLine state = { 0 };
  TdTestSim *sim;
  va_list args;

  sim = g_new0 (TdTestSim, 1);
  sim->context = g_main_context_new ();

  add_wrapper (argv);
  g_ptr_array_add (argv, g_strdup (path != NULL ? path : TD_SIM_PATH));
  g_ptr_array_add (argv, g_strdup ("--port"));
  g_ptr_array_add (argv, g_strdup ("0"));
  g_ptr_array_add (argv, g_strdup ("--exit-on-stdin-eof"));

  va_start (args, first_arg);
  for (const char *arg = first_arg; arg != NULL; arg = va_arg (args, const char *))
    {
      /* The control session has to trust the sim's own certificate. */
      if (g_ptr_array_index (argv, argv->len - 1) != NULL &&
          g_str_equal (g_ptr_array_index (argv, argv->len - 1), "--tls"))
        ca_file = arg;
      g_ptr_array_add (argv, g_strdup (arg));
    }
  va_end (args);
  g_ptr_array_add (argv, NULL);

  /* stdin stays open for the sim's life: if this process dies, the pipe
   * closes and --exit-on-stdin-eof ends the sim. */
  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDIN_PIPE |
                                        G_SUBPROCESS_FLAGS_STDOUT_PIPE);
  sim->process = g_subprocess_launcher_spawnv (launcher,
                                               (const char * const *) argv->pdata, &error);
  g_assert_no_error (error);
  sim->stdout_pipe = g_object_ref (g_subprocess_get_stdout_pipe (sim->process));

  g_main_context_push_thread_default (sim->context);

  lines = g_data_input_stream_new (sim->stdout_pipe);
  g_filter_input_stream_set_close_base_stream (G_FILTER_INPUT_STREAM (lines), FALSE);
  g_data_input_stream_read_line_async (lines, G_PRIORITY_DEFAULT, cancellable,
                                       on_line_read, &state);
  if (!td_test_sim_wait_until (sim->context, flag_is_set, &state.done, START_TIMEOUT_MS))
    {
      /* Let the read finish before its state leaves the stack. */
      g_cancellable_cancel (cancellable);
      while (!state.done)
        g_main_context_iteration (sim->context, TRUE);
    }

  if (ca_file != NULL)
    {
      database = g_tls_file_database_new (ca_file, &error);
      g_assert_no_error (error);
    }
  /* The sim is on loopback: a proxy from the environment must not apply. */
  sim->session = soup_session_new_with_options ("timeout", 30, NULL);
  soup_session_set_proxy_resolver (sim->session, NULL);
  if (database != NULL)
    soup_session_set_tls_database (sim->session, database);

  g_main_context_pop_thread_default (sim->context);

  g_assert_no_error (state.error);
  g_assert_nonnull (state.line);
  g_assert_true (g_str_has_prefix (state.line, "http://127.0.0.1:") ||
                 g_str_has_prefix (state.line, "https://127.0.0.1:"));
  sim->root = g_steal_pointer (&state.line);

  return sim;
}

void
td_test_sim_stop (TdTestSim *sim)
{
  gboolean done = FALSE;

  if (sim == NULL)
    return;

  g_clear_object (&sim->session);

  g_main_context_push_thread_default (sim->context);
  g_subprocess_send_signal (sim->process, SIGTERM);
  g_subprocess_wait_async (sim->process, NULL, on_wait_done, &done);
  if (!td_test_sim_wait_until (sim->context, flag_is_set, &done, STOP_TIMEOUT_MS))
    {
      g_subprocess_force_exit (sim->process);
      while (!done)
        g_main_context_iteration (sim->context, TRUE);
      g_error ("the vendor simulator did not exit on SIGTERM");
    }
  g_main_context_pop_thread_default (sim->context);

  /* A crash of the sim is a test failure, even if every answer was right. */
  g_assert_true (g_subprocess_get_if_exited (sim->process));
  g_assert_cmpint (g_subprocess_get_exit_status (sim->process), ==, 0);

  g_clear_object (&sim->stdout_pipe);
  g_clear_object (&sim->process);
  g_clear_pointer (&sim->context, g_main_context_unref);
  g_free (sim->root);
  g_free (sim);
}

const char *
td_test_sim_get_root (TdTestSim *sim)
{
  g_assert_nonnull (sim);

  return sim->root;
}

char *
td_test_sim_dup_base (TdTestSim  *sim,
                      const char *vendor)
{
  g_assert_nonnull (sim);
  g_assert_nonnull (vendor);

  if (g_str_equal (vendor, "coverwhale"))
    return g_strconcat (sim->root, "/coverwhale/api/v1", NULL);

  g_assert_true (g_str_equal (vendor, "couchdrop") ||
                 g_str_equal (vendor, "senmo") ||
                 g_str_equal (vendor, "logware"));

  return g_strconcat (sim->root, "/", vendor, NULL);
}

JsonNode *
td_test_sim_control (TdTestSim  *sim,
                     const char *method,
                     const char *path,
                     const char *json_body)
{
  g_autoptr(SoupMessage) msg = NULL;
  g_autoptr(GBytes) answer = NULL;
  g_autoptr(JsonParser) parser = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *url = NULL;
  const char *data;
  gsize len;
  guint status;

  g_assert_nonnull (sim);
  g_assert_nonnull (method);
  g_assert_nonnull (path);

  /* "counts" and "/_sim/counts" both work. */
  if (g_str_has_prefix (path, "/"))
    url = g_strconcat (sim->root, path, NULL);
  else
    url = g_strconcat (sim->root, "/_sim/", path, NULL);

  msg = soup_message_new (method, url);
  g_assert_nonnull (msg);
  if (json_body != NULL)
    {
      g_autoptr(GBytes) bytes = g_bytes_new (json_body, strlen (json_body));

      soup_message_set_request_body_from_bytes (msg, "application/json", bytes);
    }

  g_main_context_push_thread_default (sim->context);
  answer = soup_session_send_and_read (sim->session, msg, NULL, &error);
  g_main_context_pop_thread_default (sim->context);
  g_assert_no_error (error);

  data = g_bytes_get_data (answer, &len);
  status = soup_message_get_status (msg);
  if (!SOUP_STATUS_IS_SUCCESSFUL (status))
    g_error ("vendor simulator: %s %s -> %u %.*s", method, url, status, (int) len, data);

  parser = json_parser_new ();
  json_parser_load_from_data (parser, data, len, &error);
  g_assert_no_error (error);
  g_assert_nonnull (json_parser_get_root (parser));

  return json_node_copy (json_parser_get_root (parser));
}

guint
td_test_sim_count (TdTestSim  *sim,
                   const char *key)
{
  g_autoptr(JsonNode) counts = td_test_sim_control (sim, "GET", "/_sim/counts", NULL);
  JsonObject *object;

  g_assert_true (JSON_NODE_HOLDS_OBJECT (counts));
  object = json_node_get_object (counts);
  if (!json_object_has_member (object, key))
    return 0;

  return json_object_get_int_member (object, key);
}

void
td_test_sim_reset (TdTestSim *sim)
{
  g_autoptr(JsonNode) answer = td_test_sim_control (sim, "POST", "/_sim/reset", NULL);
}

void
td_test_sim_config (TdTestSim  *sim,
                    const char *json_body)
{
  g_autoptr(JsonNode) answer = NULL;

  g_assert_nonnull (json_body);
  answer = td_test_sim_control (sim, "POST", "/_sim/config", json_body);
}

static char *
node_to_string (JsonBuilder *builder)
{
  g_autoptr(JsonNode) root = json_builder_get_root (builder);

  return json_to_string (root, FALSE);
}

/* @vendor NULL: every vendor; @mode NULL: clear; @count <= 0: until cleared. */
void
td_test_sim_hostile (TdTestSim  *sim,
                     const char *vendor,
                     const char *mode,
                     int         count)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonNode) answer = NULL;
  g_autofree char *body = NULL;

  json_builder_begin_object (builder);
  if (vendor != NULL)
    {
      json_builder_set_member_name (builder, "vendor");
      json_builder_add_string_value (builder, vendor);
    }
  json_builder_set_member_name (builder, "mode");
  if (mode != NULL)
    json_builder_add_string_value (builder, mode);
  else
    json_builder_add_null_value (builder);
  json_builder_set_member_name (builder, "count");
  json_builder_add_int_value (builder, count);
  json_builder_end_object (builder);

  body = node_to_string (builder);
  answer = td_test_sim_control (sim, "POST", "/_sim/hostile", body);
}

void
td_test_sim_revoke (TdTestSim  *sim,
                    const char *vendor,
                    const char *username)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonNode) answer = NULL;
  g_autofree char *body = NULL;

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "vendor");
  json_builder_add_string_value (builder, vendor);
  json_builder_set_member_name (builder, "username");
  json_builder_add_string_value (builder, username);
  json_builder_end_object (builder);

  body = node_to_string (builder);
  answer = td_test_sim_control (sim, "POST", "/_sim/revoke", body);
}

/* The last Cover Whale password-reset code "e-mailed" to @username, or NULL. */
char *
td_test_sim_reset_code (TdTestSim  *sim,
                        const char *username)
{
  g_autofree char *escaped = g_uri_escape_string (username, NULL, FALSE);
  g_autofree char *path = g_strconcat ("/_sim/outbox?username=", escaped, NULL);
  g_autoptr(JsonNode) answer = td_test_sim_control (sim, "GET", path, NULL);
  JsonObject *object;

  g_assert_true (JSON_NODE_HOLDS_OBJECT (answer));
  object = json_node_get_object (answer);
  if (json_object_get_null_member (object, "code"))
    return NULL;

  return g_strdup (json_object_get_string_member (object, "code"));
}

/* Calls @vendor's protected endpoint with "@header_name: @header_value", as
 * an API client would with its token; returns the HTTP status, 200 when the
 * simulator accepts the token. When @body_out is set, it gets the answer's
 * JSON object, or NULL. */
guint
td_test_sim_use_token (TdTestSim   *sim,
                       const char  *vendor,
                       const char  *header_name,
                       const char  *header_value,
                       JsonObject **body_out)
{
  g_autoptr(SoupSession) session = soup_session_new_with_options ("timeout", 10, NULL);
  g_autoptr(SoupMessage) msg = NULL;
  g_autoptr(GBytes) answer = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *base = td_test_sim_dup_base (sim, vendor);
  g_autofree char *url = NULL;

  if (g_str_equal (vendor, "coverwhale"))
    {
      g_autoptr(GBytes) body = g_bytes_new_static ("{}", 2);

      url = g_strconcat (base, "/getindication", NULL);
      msg = soup_message_new ("POST", url);
      soup_message_set_request_body_from_bytes (msg, "application/json", body);
    }
  else
    {
      if (g_str_equal (vendor, "couchdrop"))
        url = g_strconcat (base, "/manage/account", NULL);
      else if (g_str_equal (vendor, "senmo"))
        url = g_strconcat (base, "/v1/me", NULL);
      else if (g_str_equal (vendor, "logware"))
        url = g_strconcat (base, "/api/users/me", NULL);
      else
        g_assert_not_reached ();
      msg = soup_message_new ("GET", url);
    }

  /* The sim is on loopback: a proxy from the environment must not apply. */
  soup_session_set_proxy_resolver (session, NULL);
  soup_message_headers_replace (soup_message_get_request_headers (msg), header_name, header_value);
  answer = soup_session_send_and_read (session, msg, NULL, &error);
  g_assert_no_error (error);

  if (body_out != NULL)
    {
      g_autoptr(JsonParser) parser = json_parser_new ();
      JsonNode *root;

      *body_out = NULL;
      if (json_parser_load_from_data (parser, g_bytes_get_data (answer, NULL),
                                      g_bytes_get_size (answer), NULL) &&
          (root = json_parser_get_root (parser)) != NULL && JSON_NODE_HOLDS_OBJECT (root))
        *body_out = json_object_ref (json_node_get_object (root));
    }

  return soup_message_get_status (msg);
}
