/* test-vendor-sim.c: the vendor simulator's own tests
 *
 * Plain libsoup requests against a spawned simulator, so that the app's
 * tests can trust what the simulator says about each vendor.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include <stdlib.h>
#include <string.h>

#include <libsoup/soup.h>

#include "td-test-sim.h"

#define USER_AGENT "TokenDesk-SimTest/1.0"

static TdTestSim *sim;

/* One HTTP exchange */

typedef struct
{
  guint status;
  SoupMessageHeaders *headers;
  GBytes *body;
  JsonNode *json;       /* NULL unless the body parsed as JSON */
  GError *error;
  double elapsed;       /* seconds */
} Reply;

static void
reply_free (Reply *reply)
{
  g_clear_pointer (&reply->headers, soup_message_headers_unref);
  g_clear_pointer (&reply->body, g_bytes_unref);
  g_clear_pointer (&reply->json, json_node_unref);
  g_clear_error (&reply->error);
  g_free (reply);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Reply, reply_free)

static void
fill_reply (Reply       *reply,
            SoupMessage *msg,
            GBytes      *body,
            gint64       start)
{
  reply->elapsed = (g_get_monotonic_time () - start) / (double) G_USEC_PER_SEC;
  reply->status = soup_message_get_status (msg);
  reply->headers = soup_message_headers_ref (soup_message_get_response_headers (msg));
  reply->body = body;

  if (body != NULL && g_bytes_get_size (body) > 0)
    {
      g_autoptr(JsonParser) parser = json_parser_new ();
      gsize len;
      const char *data = g_bytes_get_data (body, &len);

      if (json_parser_load_from_data (parser, data, len, NULL) &&
          json_parser_get_root (parser) != NULL)
        reply->json = json_node_copy (json_parser_get_root (parser));
    }
}

static SoupMessage *
build_message (const char *method,
               const char *url,
               const char *body,
               va_list     headers)
{
  SoupMessage *msg = soup_message_new (method, url);
  SoupMessageHeaders *request_headers;

  g_assert_nonnull (msg);
  request_headers = soup_message_get_request_headers (msg);

  if (body != NULL)
    {
      g_autoptr(GBytes) bytes = g_bytes_new (body, strlen (body));

      soup_message_set_request_body_from_bytes (msg, "application/json", bytes);
    }
  soup_message_headers_replace (request_headers, "Accept", "application/json");
  soup_message_headers_replace (request_headers, "User-Agent", USER_AGENT);

  for (const char *name = va_arg (headers, const char *); name != NULL;
       name = va_arg (headers, const char *))
    soup_message_headers_replace (request_headers, name, va_arg (headers, const char *));

  return msg;
}

/* Extra request headers as NULL-terminated name, value pairs. */
static Reply *
http_with (SoupSession      *session,
           SoupMessageFlags  flags,
           const char       *method,
           const char       *url,
           const char       *body,
           ...)
{
  g_autoptr(SoupMessage) msg = NULL;
  Reply *reply = g_new0 (Reply, 1);
  GBytes *answer;
  gint64 start;
  va_list args;

  va_start (args, body);
  msg = build_message (method, url, body, args);
  va_end (args);
  soup_message_add_flags (msg, flags);

  start = g_get_monotonic_time ();
  answer = soup_session_send_and_read (session, msg, NULL, &reply->error);
  fill_reply (reply, msg, answer, start);

  return reply;
}

static SoupSession *
new_session (guint timeout_s)
{
  SoupSession *session = soup_session_new_with_options ("timeout", timeout_s, NULL);

  /* Loopback only: no proxy from the environment. */
  soup_session_set_proxy_resolver (session, NULL);
  return session;
}

static Reply *
http_va (const char *method,
         const char *url,
         const char *body,
         va_list     headers)
{
  g_autoptr(SoupSession) session = new_session (10);
  g_autoptr(SoupMessage) msg = build_message (method, url, body, headers);
  Reply *reply = g_new0 (Reply, 1);
  GBytes *answer;
  gint64 start = g_get_monotonic_time ();

  answer = soup_session_send_and_read (session, msg, NULL, &reply->error);
  fill_reply (reply, msg, answer, start);
  g_assert_no_error (reply->error);

  return reply;
}

static char *
vendor_url (const char *vendor,
            const char *path)
{
  g_autofree char *base = td_test_sim_dup_base (sim, vendor);

  return g_strconcat (base, path, NULL);
}

/* POST @body (JSON) to @path under @vendor's base. */
static Reply *
post (const char *vendor,
      const char *path,
      const char *body,
      ...)
{
  g_autofree char *url = vendor_url (vendor, path);
  Reply *reply;
  va_list args;

  va_start (args, body);
  reply = http_va ("POST", url, body, args);
  va_end (args);

  return reply;
}

static Reply *
get (const char *vendor,
     const char *path,
     ...)
{
  g_autofree char *url = vendor_url (vendor, path);
  Reply *reply;
  va_list args;

  va_start (args, path);
  reply = http_va ("GET", url, NULL, args);
  va_end (args);

  return reply;
}

/* Assertions on replies */

static JsonObject *
reply_object (Reply *reply)
{
  g_assert_nonnull (reply->json);
  g_assert_true (JSON_NODE_HOLDS_OBJECT (reply->json));

  return json_node_get_object (reply->json);
}

static const char *
reply_string (Reply      *reply,
              const char *member)
{
  JsonObject *object = reply_object (reply);
  JsonNode *node = json_object_get_member (object, member);

  g_assert_nonnull (node);
  g_assert_cmpint (json_node_get_value_type (node), ==, G_TYPE_STRING);

  return json_node_get_string (node);
}

/* The whole body, exactly: field names, values and nothing more. */
static void
assert_reply_json (Reply      *reply,
                   guint       status,
                   const char *expected)
{
  g_autoptr(JsonNode) want = json_from_string (expected, NULL);
  g_autofree char *got = reply->json ? json_to_string (reply->json, FALSE) : g_strdup ("(none)");

  g_assert_nonnull (want);
  g_assert_cmpuint (reply->status, ==, status);
  g_assert_cmpstr (soup_message_headers_get_content_type (reply->headers, NULL), ==,
                   "application/json");
  if (reply->json == NULL || !json_node_equal (reply->json, want))
    g_error ("expected %s, got %s", expected, got);
}

static JsonObject *
decode_segment (const char *segment)
{
  g_autoptr(GString) text = g_string_new (segment);
  g_autoptr(JsonNode) node = NULL;
  g_autofree guchar *decoded = NULL;
  g_autofree char *json = NULL;
  gsize len;

  g_string_replace (text, "-", "+", 0);
  g_string_replace (text, "_", "/", 0);
  while (text->len % 4 != 0)
    g_string_append_c (text, '=');

  decoded = g_base64_decode (text->str, &len);
  json = g_strndup ((const char *) decoded, len);
  node = json_from_string (json, NULL);
  g_assert_nonnull (node);
  g_assert_true (JSON_NODE_HOLDS_OBJECT (node));

  return json_object_ref (json_node_get_object (node));
}

/* Asserts @token is an HS256 JWT; returns its claims. */
static JsonObject *
jwt_claims (const char *token)
{
  g_auto(GStrv) parts = g_strsplit (token, ".", -1);
  g_autoptr(JsonObject) header = NULL;

  g_assert_cmpuint (g_strv_length (parts), ==, 3);
  header = decode_segment (parts[0]);
  g_assert_cmpstr (json_object_get_string_member (header, "alg"), ==, "HS256");
  g_assert_cmpstr (json_object_get_string_member (header, "typ"), ==, "JWT");
  g_assert_cmpuint (strlen (parts[2]), ==, 43);  /* 32 bytes, base64url */

  return decode_segment (parts[1]);
}

static void
assert_jwt_lifetime (const char *token,
                     const char *token_use,
                     gint64      lifetime)
{
  g_autoptr(JsonObject) claims = jwt_claims (token);
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;
  gint64 iat = json_object_get_int_member (claims, "iat");

  g_assert_true (json_object_has_member (claims, "sub"));
  g_assert_true (json_object_has_member (claims, "jti"));
  g_assert_cmpstr (json_object_get_string_member (claims, "token_use"), ==, token_use);
  g_assert_cmpint (ABS (iat - now), <=, 5);
  g_assert_cmpint (json_object_get_int_member (claims, "exp") - iat, ==, lifetime);
}

static gboolean
is_jwt_shaped (const char *token)
{
  g_auto(GStrv) parts = g_strsplit (token, ".", -1);

  return g_strv_length (parts) == 3;
}

static void
assert_count (const char *key,
              guint       expected)
{
  g_assert_cmpuint (td_test_sim_count (sim, key), ==, expected);
}

static JsonObject *
control_object (const char *method,
                const char *path,
                const char *body)
{
  g_autoptr(JsonNode) node = td_test_sim_control (sim, method, path, body);

  g_assert_true (JSON_NODE_HOLDS_OBJECT (node));
  return json_object_ref (json_node_get_object (node));
}

/* A request against the control API that must fail. */
static void
assert_control_fails (const char *method,
                      const char *path,
                      const char *body,
                      guint       status)
{
  g_autofree char *url = g_strconcat (td_test_sim_get_root (sim), path, NULL);
  g_autoptr(SoupSession) session = new_session (10);
  g_autoptr(Reply) reply = http_with (session, 0, method, url, body, NULL);

  g_assert_no_error (reply->error);
  g_assert_cmpuint (reply->status, ==, status);
  g_assert_nonnull (reply_string (reply, "error"));
}

#define ALICE_CW "{\"username\":\"alice\",\"password\":\"alice-password\"}"
#define ALICE_CD "{\"username\":\"alice\",\"password\":\"alice-password\",\"system\":\"TokenDesk\"}"
#define ALICE_SENMO "{\"username\":\"alice\",\"password\":\"alice-password\"}"
#define ALICE_LW "{\"login\":\"alice\",\"password\":\"alice-password\"}"

typedef struct
{
  const char *vendor;
  const char *path;
  const char *body;
  const char *count_key;
} AuthCall;

static const AuthCall auth_calls[] = {
  { "coverwhale", "/authentication", ALICE_CW, "coverwhale/authentication" },
  { "couchdrop", "/authenticate", ALICE_CD, "couchdrop/authenticate" },
  { "senmo", "/v1/auth", ALICE_SENMO, "senmo/auth" },
  { "logware", "/api/users/authenticate", ALICE_LW, "logware/authenticate" },
};

/* The member holding the vendor's main token, or NULL when it is absent. */
static JsonNode *
token_node (const char *vendor,
            Reply      *reply)
{
  JsonObject *object = reply_object (reply);

  if (g_str_equal (vendor, "coverwhale"))
    return json_object_get_member (object, "AccessToken");
  if (g_str_equal (vendor, "senmo"))
    {
      JsonNode *tokens = json_object_get_member (object, "tokens");

      if (tokens == NULL)
        return NULL;
      g_assert_true (JSON_NODE_HOLDS_OBJECT (tokens));
      return json_object_get_member (json_node_get_object (tokens), "idToken");
    }

  return json_object_get_member (object, "token");
}

/* Tests */

static void
test_start (void)
{
  const char *root = td_test_sim_get_root (sim);
  g_autofree char *cw = td_test_sim_dup_base (sim, "coverwhale");
  g_autofree char *lw = td_test_sim_dup_base (sim, "logware");
  g_autoptr(JsonObject) counts = NULL;
  g_autoptr(GList) members = NULL;

  td_test_sim_reset (sim);

  g_assert_true (g_str_has_prefix (root, "http://127.0.0.1:"));
  g_assert_true (g_str_has_suffix (cw, "/coverwhale/api/v1"));
  g_assert_true (g_str_has_suffix (lw, "/logware"));

  counts = control_object ("GET", "/_sim/counts", NULL);
  members = json_object_get_members (counts);
  g_assert_cmpuint (g_list_length (members), ==, 11);
  for (GList *l = members; l != NULL; l = l->next)
    g_assert_cmpint (json_object_get_int_member (counts, l->data), ==, 0);

  assert_control_fails ("GET", "/_sim/nothing", NULL, SOUP_STATUS_NOT_FOUND);
  assert_control_fails ("GET", "/_sim/reset", NULL, SOUP_STATUS_METHOD_NOT_ALLOWED);
}

static void
test_coverwhale_login (void)
{
  g_autoptr(Reply) ok = NULL;
  g_autoptr(Reply) bad = NULL;
  g_autoptr(Reply) unknown = NULL;
  g_autoptr(Reply) missing = NULL;
  g_autoptr(Reply) not_json = NULL;
  g_autoptr(Reply) wrong_type = NULL;
  g_autoptr(Reply) garbage = NULL;
  JsonObject *object;

  td_test_sim_reset (sim);

  ok = post ("coverwhale", "/authentication", ALICE_CW, NULL);
  g_assert_cmpuint (ok->status, ==, 200);
  object = reply_object (ok);
  g_assert_cmpuint (json_object_get_size (object), ==, 3);
  g_assert_cmpint (json_node_get_value_type (json_object_get_member (object, "ExpiresIn")), ==,
                   G_TYPE_INT64);
  g_assert_cmpint (json_object_get_int_member (object, "ExpiresIn"), ==, 3600);
  assert_jwt_lifetime (reply_string (ok, "AccessToken"), "access", 3600);
  g_assert_false (is_jwt_shaped (reply_string (ok, "RefreshToken")));
  g_assert_cmpuint (strlen (reply_string (ok, "RefreshToken")), >=, 32);

  bad = post ("coverwhale", "/authentication",
              "{\"username\":\"alice\",\"password\":\"nope\"}", NULL);
  assert_reply_json (bad, 400, "{\"Error\":\"Auth Error: Incorrect username or password.\"}");

  unknown = post ("coverwhale", "/authentication",
                  "{\"username\":\"mallory\",\"password\":\"alice-password\"}", NULL);
  assert_reply_json (unknown, 400, "{\"Error\":\"Auth Error: Incorrect username or password.\"}");

  /* "user" instead of "username": the field names are the API. */
  missing = post ("coverwhale", "/authentication",
                  "{\"user\":\"alice\",\"password\":\"alice-password\"}", NULL);
  g_assert_cmpuint (missing->status, ==, 400);
  g_assert_nonnull (reply_string (missing, "Error"));

  wrong_type = post ("coverwhale", "/authentication",
                     "{\"username\":\"alice\",\"password\":42}", NULL);
  g_assert_cmpuint (wrong_type->status, ==, 400);

  garbage = post ("coverwhale", "/authentication", "{\"username\":", NULL);
  g_assert_cmpuint (garbage->status, ==, 400);
  g_assert_nonnull (reply_string (garbage, "Error"));

  not_json = post ("coverwhale", "/authentication", ALICE_CW,
                   "Content-Type", "text/plain", NULL);
  g_assert_cmpuint (not_json->status, ==, 415);

  assert_count ("coverwhale/authentication", 7);
  assert_count ("coverwhale/refresh", 0);
}

static char *
refresh_body (const char *token)
{
  return g_strdup_printf ("{\"username\":\"alice\",\"refresh_token\":\"%s\"}", token);
}

static guint
getindication (const char *token)
{
  g_autoptr(Reply) reply = NULL;

  if (token != NULL)
    reply = post ("coverwhale", "/getindication", "{}", "AccessToken", token, NULL);
  else
    reply = post ("coverwhale", "/getindication", "{}", NULL);

  if (reply->status == 200)
    assert_reply_json (reply, 200, "{\"ok\":true}");
  else
    assert_reply_json (reply, 401, "{\"message\":\"Unauthorized\"}");

  return reply->status;
}

static void
test_coverwhale_invalidation (void)
{
  g_autoptr(Reply) first = NULL;
  g_autoptr(Reply) second = NULL;
  g_autoptr(Reply) stale = NULL;
  g_autoptr(Reply) refreshed = NULL;
  g_autoptr(Reply) again = NULL;
  g_autofree char *a1 = NULL, *r1 = NULL, *a2 = NULL, *r2 = NULL;
  g_autofree char *body = NULL;

  td_test_sim_reset (sim);

  first = post ("coverwhale", "/authentication", ALICE_CW, NULL);
  g_assert_cmpuint (first->status, ==, 200);
  a1 = g_strdup (reply_string (first, "AccessToken"));
  r1 = g_strdup (reply_string (first, "RefreshToken"));
  g_assert_cmpuint (getindication (a1), ==, 200);
  g_assert_cmpuint (getindication (NULL), ==, 401);
  g_assert_cmpuint (getindication ("garbage"), ==, 401);
  /* The refresh token is no access token. */
  g_assert_cmpuint (getindication (r1), ==, 401);

  /* A second login kills every earlier token. */
  second = post ("coverwhale", "/authentication", ALICE_CW, NULL);
  g_assert_cmpuint (second->status, ==, 200);
  a2 = g_strdup (reply_string (second, "AccessToken"));
  r2 = g_strdup (reply_string (second, "RefreshToken"));
  g_assert_cmpuint (getindication (a1), ==, 401);
  g_assert_cmpuint (getindication (a2), ==, 200);

  body = refresh_body (r1);
  stale = post ("coverwhale", "/authentication", body, NULL);
  assert_reply_json (stale, 400, "{\"Error\":\"Auth Error: Invalid Refresh Token\"}");
  g_assert_cmpuint (getindication (a2), ==, 200);

  /* A refresh is an authentication too: new pair, old pair dead. */
  g_free (body);
  body = refresh_body (r2);
  refreshed = post ("coverwhale", "/authentication", body, NULL);
  g_assert_cmpuint (refreshed->status, ==, 200);
  g_assert_cmpstr (reply_string (refreshed, "AccessToken"), !=, a2);
  g_assert_cmpstr (reply_string (refreshed, "RefreshToken"), !=, r2);
  g_assert_cmpuint (getindication (a2), ==, 401);
  g_assert_cmpuint (getindication (reply_string (refreshed, "AccessToken")), ==, 200);

  again = post ("coverwhale", "/authentication", body, NULL);
  g_assert_cmpuint (again->status, ==, 400);

  /* Someone else's refresh token is invalid for alice. */
  {
    g_autoptr(Reply) bob = post ("coverwhale", "/authentication",
                                 "{\"username\":\"bob\",\"password\":\"bob-password\"}", NULL);
    g_autofree char *swapped = refresh_body (reply_string (bob, "RefreshToken"));
    g_autoptr(Reply) mixed = post ("coverwhale", "/authentication", swapped, NULL);

    g_assert_cmpuint (mixed->status, ==, 400);
    /* bob's login left alice's tokens alone */
    g_assert_cmpuint (getindication (reply_string (refreshed, "AccessToken")), ==, 200);
  }

  /* The control API's revoke: "needs sign-in". */
  td_test_sim_revoke (sim, "coverwhale", "alice");
  g_assert_cmpuint (getindication (reply_string (refreshed, "AccessToken")), ==, 401);
  {
    g_autofree char *revoked = refresh_body (reply_string (refreshed, "RefreshToken"));
    g_autoptr(Reply) dead = post ("coverwhale", "/authentication", revoked, NULL);

    g_assert_cmpuint (dead->status, ==, 400);
  }

  assert_count ("coverwhale/authentication", 8);
  assert_count ("coverwhale/refresh", 5);
  assert_count ("coverwhale/getindication", 11);
}

static void
test_coverwhale_new_password (void)
{
  g_autoptr(Reply) change = NULL;
  g_autoptr(Reply) old = NULL;
  g_autoptr(Reply) fresh = NULL;
  g_autoptr(Reply) expired = NULL;
  g_autoptr(Reply) renewed = NULL;
  g_autoptr(JsonNode) answer = NULL;

  td_test_sim_reset (sim);

  change = post ("coverwhale", "/authentication",
                 "{\"username\":\"alice\",\"password\":\"alice-password\","
                 "\"new_password\":\"alice-2\"}", NULL);
  g_assert_cmpuint (change->status, ==, 200);
  assert_jwt_lifetime (reply_string (change, "AccessToken"), "access", 3600);

  old = post ("coverwhale", "/authentication", ALICE_CW, NULL);
  g_assert_cmpuint (old->status, ==, 400);
  fresh = post ("coverwhale", "/authentication",
                "{\"username\":\"alice\",\"password\":\"alice-2\"}", NULL);
  g_assert_cmpuint (fresh->status, ==, 200);

  /* A forced password change: the login alone is refused. */
  answer = td_test_sim_control (sim, "POST", "/_sim/users",
                                "{\"vendor\":\"coverwhale\",\"username\":\"carol\","
                                "\"password\":\"carol-password\","
                                "\"flags\":[\"password_expired\"]}");
  expired = post ("coverwhale", "/authentication",
                  "{\"username\":\"carol\",\"password\":\"carol-password\"}", NULL);
  assert_reply_json (expired, 400, "{\"Error\":\"Auth Error: New password required.\"}");
  renewed = post ("coverwhale", "/authentication",
                  "{\"username\":\"carol\",\"password\":\"carol-password\","
                  "\"new_password\":\"carol-2\"}", NULL);
  g_assert_cmpuint (renewed->status, ==, 200);
}

static void
test_coverwhale_reset (void)
{
  g_autoptr(Reply) ask = NULL;
  g_autoptr(Reply) ask_unknown = NULL;
  g_autoptr(Reply) wrong = NULL;
  g_autoptr(Reply) right = NULL;
  g_autoptr(Reply) replay = NULL;
  g_autoptr(Reply) login_new = NULL;
  g_autoptr(Reply) login_old = NULL;
  g_autofree char *code = NULL;
  g_autofree char *none = NULL;
  g_autofree char *wrong_body = NULL;
  g_autofree char *right_body = NULL;

  td_test_sim_reset (sim);

  none = td_test_sim_reset_code (sim, "alice");
  g_assert_null (none);

  ask = get ("coverwhale", "/password-reset?username=alice", NULL);
  g_assert_cmpuint (ask->status, ==, 200);
  g_assert_nonnull (reply_string (ask, "Message"));
  g_assert_cmpuint (json_object_get_size (reply_object (ask)), ==, 1);

  code = td_test_sim_reset_code (sim, "alice");
  g_assert_nonnull (code);
  g_assert_cmpuint (strlen (code), ==, 6);
  for (guint i = 0; i < 6; i++)
    g_assert_true (g_ascii_isdigit (code[i]));

  /* Unknown users get the same answer and no code. */
  ask_unknown = get ("coverwhale", "/password-reset?username=mallory", NULL);
  g_assert_cmpuint (ask_unknown->status, ==, 200);
  g_free (none);
  none = td_test_sim_reset_code (sim, "mallory");
  g_assert_null (none);

  wrong_body = g_strdup_printf ("{\"username\":\"alice\",\"new_password\":\"alice-3\","
                                "\"reset_token\":\"%06d\"}",
                                (atoi (code) + 1) % 1000000);
  wrong = post ("coverwhale", "/password-reset", wrong_body, NULL);
  g_assert_cmpuint (wrong->status, ==, 400);
  g_assert_nonnull (reply_string (wrong, "Error"));

  right_body = g_strdup_printf ("{\"username\":\"alice\",\"new_password\":\"alice-3\","
                                "\"reset_token\":\"%s\"}", code);
  right = post ("coverwhale", "/password-reset", right_body, NULL);
  g_assert_cmpuint (right->status, ==, 200);
  g_assert_nonnull (reply_string (right, "Message"));

  /* The code is used up. */
  replay = post ("coverwhale", "/password-reset", right_body, NULL);
  g_assert_cmpuint (replay->status, ==, 400);
  g_free (none);
  none = td_test_sim_reset_code (sim, "alice");
  g_assert_null (none);

  login_new = post ("coverwhale", "/authentication",
                    "{\"username\":\"alice\",\"password\":\"alice-3\"}", NULL);
  g_assert_cmpuint (login_new->status, ==, 200);
  login_old = post ("coverwhale", "/authentication", ALICE_CW, NULL);
  g_assert_cmpuint (login_old->status, ==, 400);

  assert_count ("coverwhale/password-reset", 5);
}

static void
test_coverwhale_knobs (void)
{
  g_autoptr(Reply) as_string = NULL;
  g_autoptr(Reply) expired = NULL;
  JsonNode *expires_in;

  td_test_sim_reset (sim);

  td_test_sim_config (sim, "{\"expires_in_as_string\":true,\"lifetime_s\":60,"
                           "\"vendor\":\"coverwhale\"}");
  as_string = post ("coverwhale", "/authentication", ALICE_CW, NULL);
  g_assert_cmpuint (as_string->status, ==, 200);
  expires_in = json_object_get_member (reply_object (as_string), "ExpiresIn");
  g_assert_cmpint (json_node_get_value_type (expires_in), ==, G_TYPE_STRING);
  g_assert_cmpstr (json_node_get_string (expires_in), ==, "60");
  assert_jwt_lifetime (reply_string (as_string, "AccessToken"), "access", 60);
  g_assert_cmpuint (getindication (reply_string (as_string, "AccessToken")), ==, 200);

  /* A token born expired is refused at once. */
  td_test_sim_config (sim, "{\"lifetime_s\":0}");
  expired = post ("coverwhale", "/authentication", ALICE_CW, NULL);
  g_assert_cmpuint (expired->status, ==, 200);
  g_assert_cmpuint (getindication (reply_string (expired, "AccessToken")), ==, 401);

  /* A vendor's knob set for another vendor is an error. */
  assert_control_fails ("POST", "/_sim/config",
                        "{\"vendor\":\"senmo\",\"expires_in_as_string\":true}", 400);
  assert_control_fails ("POST", "/_sim/config", "{\"latency\":5}", 400);
  assert_control_fails ("POST", "/_sim/config", "{\"failure_rate\":2}", 400);
  assert_control_fails ("POST", "/_sim/config", "{\"vendor\":\"acme\",\"lifetime_s\":5}", 400);
}

static guint
couchdrop_account (const char *token)
{
  g_autoptr(Reply) reply = get ("couchdrop", "/manage/account", "token", token, NULL);

  return reply->status;
}

static void
test_couchdrop (void)
{
  g_autoptr(Reply) ok = NULL;
  g_autoptr(Reply) twofa = NULL;
  g_autoptr(Reply) twofa_bad = NULL;
  g_autoptr(Reply) forbidden = NULL;
  g_autoptr(Reply) bad = NULL;
  g_autoptr(Reply) missing = NULL;
  g_autoptr(Reply) jwt = NULL;
  g_autoptr(Reply) admin = NULL;
  g_autoptr(JsonObject) last = NULL;
  g_autoptr(JsonNode) answer = NULL;
  g_autofree char *token = NULL;

  td_test_sim_reset (sim);

  ok = post ("couchdrop", "/authenticate", ALICE_CD, NULL);
  g_assert_cmpuint (ok->status, ==, 200);
  g_assert_cmpuint (json_object_get_size (reply_object (ok)), ==, 1);
  token = g_strdup (reply_string (ok, "token"));
  g_assert_false (is_jwt_shaped (token));
  g_assert_cmpuint (couchdrop_account (token), ==, 200);
  g_assert_cmpuint (couchdrop_account ("nope"), ==, 401);

  last = control_object ("GET", "/_sim/last?vendor=couchdrop", NULL);
  g_assert_true (json_object_get_boolean_member (last, "seen"));
  g_assert_cmpstr (json_object_get_string_member (last, "system"), ==, "TokenDesk");
  g_assert_cmpstr (json_object_get_string_member (last, "user_agent"), ==, USER_AGENT);
  g_assert_cmpstr (json_object_get_string_member (last, "accept"), ==, "application/json");
  g_assert_cmpstr (json_object_get_string_member (last, "content_type"), ==, "application/json");

  twofa = post ("couchdrop", "/authenticate",
                "{\"username\":\"twofa\",\"password\":\"twofa-password\"}", NULL);
  assert_reply_json (twofa, 401, "{\"error\":\"2FA required\"}");
  twofa_bad = post ("couchdrop", "/authenticate",
                    "{\"username\":\"twofa\",\"password\":\"wrong\"}", NULL);
  assert_reply_json (twofa_bad, 403, "{\"error\":\"Access Denied\"}");
  forbidden = post ("couchdrop", "/authenticate",
                    "{\"username\":\"forbidden\",\"password\":\"forbidden-password\"}", NULL);
  assert_reply_json (forbidden, 403, "{\"error\":\"Access Denied\"}");
  bad = post ("couchdrop", "/authenticate",
              "{\"username\":\"alice\",\"password\":\"wrong\"}", NULL);
  assert_reply_json (bad, 403, "{\"error\":\"Access Denied\"}");
  missing = post ("couchdrop", "/authenticate", "{\"username\":\"alice\"}", NULL);
  g_assert_cmpuint (missing->status, ==, 400);

  /* "system" is optional, and its absence is recorded too. */
  {
    g_autoptr(Reply) no_system = post ("couchdrop", "/authenticate", ALICE_CW, NULL);
    g_autoptr(JsonObject) seen = control_object ("GET", "/_sim/last?vendor=couchdrop", NULL);

    g_assert_cmpuint (no_system->status, ==, 200);
    g_assert_true (json_object_get_null_member (seen, "system"));
  }

  g_assert_cmpuint (couchdrop_account ("cd-admin-token-for-tests"), ==, 200);
  admin = get ("couchdrop", "/manage/account", "token", "cd-admin-token-for-tests", NULL);
  g_assert_true (json_object_get_boolean_member (reply_object (admin), "administrative_token"));
  g_assert_cmpuint (couchdrop_account ("cd-admin-2"), ==, 401);
  answer = td_test_sim_control (sim, "POST", "/_sim/admin-tokens", "{\"token\":\"cd-admin-2\"}");
  g_assert_cmpuint (couchdrop_account ("cd-admin-2"), ==, 200);

  /* Revoking a user leaves the administrative tokens alone. */
  td_test_sim_revoke (sim, "couchdrop", "alice");
  g_assert_cmpuint (couchdrop_account (token), ==, 401);
  g_assert_cmpuint (couchdrop_account ("cd-admin-2"), ==, 200);

  td_test_sim_config (sim, "{\"jwt_tokens\":true,\"lifetime_s\":900}");
  jwt = post ("couchdrop", "/authenticate", ALICE_CD, NULL);
  g_assert_cmpuint (jwt->status, ==, 200);
  assert_jwt_lifetime (reply_string (jwt, "token"), "access", 900);
  g_assert_cmpuint (couchdrop_account (reply_string (jwt, "token")), ==, 200);

  /* The control API's users: flags apply to new users too. */
  g_clear_pointer (&answer, json_node_unref);
  answer = td_test_sim_control (sim, "POST", "/_sim/users",
                                "{\"vendor\":\"couchdrop\",\"username\":\"dave\","
                                "\"password\":\"dave-password\",\"flags\":[\"twofa\"]}");
  {
    g_autoptr(Reply) dave = post ("couchdrop", "/authenticate",
                                  "{\"username\":\"dave\",\"password\":\"dave-password\"}", NULL);

    g_assert_cmpuint (dave->status, ==, 401);
  }

  assert_count ("couchdrop/authenticate", 9);
  assert_count ("couchdrop/manage/account", 9);
}

static guint
senmo_me (const char *token)
{
  g_autofree char *bearer = g_strconcat ("Bearer ", token, NULL);
  g_autoptr(Reply) reply = get ("senmo", "/v1/me", "Authorization", bearer, NULL);

  return reply->status;
}

static JsonObject *
senmo_tokens (Reply *reply)
{
  JsonObject *object = reply_object (reply);

  g_assert_cmpuint (reply->status, ==, 200);
  g_assert_cmpint (json_object_get_int_member (object, "statusCode"), ==, 200);
  g_assert_cmpstr (json_object_get_string_member (object, "statusMessage"), ==, "OK");
  g_assert_cmpuint (json_object_get_size (object), ==, 3);

  return json_object_get_object_member (object, "tokens");
}

static void
test_senmo (void)
{
  g_autoptr(Reply) ok = NULL;
  g_autoptr(Reply) bad = NULL;
  g_autoptr(Reply) bad_401 = NULL;
  g_autoptr(Reply) refreshed = NULL;
  g_autoptr(Reply) invalid = NULL;
  g_autoptr(Reply) missing = NULL;
  g_autoptr(Reply) camel = NULL;
  g_autoptr(Reply) empty = NULL;
  g_autoptr(Reply) revoked = NULL;
  g_autofree char *id_token = NULL;
  g_autofree char *access_token = NULL;
  g_autofree char *refresh_token = NULL;
  g_autofree char *body = NULL;
  JsonObject *tokens;

  td_test_sim_reset (sim);

  ok = post ("senmo", "/v1/auth", ALICE_SENMO, NULL);
  tokens = senmo_tokens (ok);
  g_assert_cmpuint (json_object_get_size (tokens), ==, 3);
  id_token = g_strdup (json_object_get_string_member (tokens, "idToken"));
  access_token = g_strdup (json_object_get_string_member (tokens, "accessToken"));
  refresh_token = g_strdup (json_object_get_string_member (tokens, "refreshToken"));
  assert_jwt_lifetime (id_token, "id", 3600);
  assert_jwt_lifetime (access_token, "access", 3600);
  g_assert_false (is_jwt_shaped (refresh_token));

  g_assert_cmpuint (senmo_me (id_token), ==, 200);
  g_assert_cmpuint (senmo_me (access_token), ==, 200);
  g_assert_cmpuint (senmo_me (refresh_token), ==, 401);
  g_assert_cmpuint (senmo_me ("nope"), ==, 401);

  bad = post ("senmo", "/v1/auth", "{\"username\":\"alice\",\"password\":\"x\"}", NULL);
  assert_reply_json (bad, 400, "{\"statusCode\":400,\"statusMessage\":\"Login failed\","
                               "\"error\":\"Incorrect username or password.\"}");
  td_test_sim_config (sim, "{\"login_failure_status\":401}");
  bad_401 = post ("senmo", "/v1/auth", "{\"username\":\"alice\",\"password\":\"x\"}", NULL);
  assert_reply_json (bad_401, 401, "{\"statusCode\":401,\"statusMessage\":\"Login failed\","
                                   "\"error\":\"Incorrect username or password.\"}");

  /* Refresh: same refresh token back, the older tokens still valid. */
  body = g_strdup_printf ("{\"refreshtoken\":\"%s\"}", refresh_token);
  refreshed = post ("senmo", "/v1/auth/refreshtoken", body, NULL);
  tokens = senmo_tokens (refreshed);
  g_assert_cmpstr (json_object_get_string_member (tokens, "refreshToken"), ==, refresh_token);
  g_assert_cmpstr (json_object_get_string_member (tokens, "idToken"), !=, id_token);
  assert_jwt_lifetime (json_object_get_string_member (tokens, "idToken"), "id", 3600);
  g_assert_cmpuint (senmo_me (id_token), ==, 200);
  g_assert_cmpuint (senmo_me (json_object_get_string_member (tokens, "idToken")), ==, 200);

  invalid = post ("senmo", "/v1/auth/refreshtoken", "{\"refreshtoken\":\"nope\"}", NULL);
  assert_reply_json (invalid, 400, "{\"statusCode\":400,\"statusMessage\":"
                                   "\"Failed to refresh token\",\"error\":\"Invalid Refresh Token\"}");
  missing = post ("senmo", "/v1/auth/refreshtoken", "{}", NULL);
  assert_reply_json (missing, 400, "{\"statusCode\":400,\"statusMessage\":\"Missing refresh token\"}");
  /* One word, lower case: "refreshToken" is not the field. */
  g_free (body);
  body = g_strdup_printf ("{\"refreshToken\":\"%s\"}", refresh_token);
  camel = post ("senmo", "/v1/auth/refreshtoken", body, NULL);
  assert_reply_json (camel, 400, "{\"statusCode\":400,\"statusMessage\":\"Missing refresh token\"}");
  empty = post ("senmo", "/v1/auth/refreshtoken", "{\"refreshtoken\":\"\"}", NULL);
  assert_reply_json (empty, 400, "{\"statusCode\":400,\"statusMessage\":\"Missing refresh token\"}");

  td_test_sim_revoke (sim, "senmo", "alice");
  g_assert_cmpuint (senmo_me (id_token), ==, 401);
  g_free (body);
  body = g_strdup_printf ("{\"refreshtoken\":\"%s\"}", refresh_token);
  revoked = post ("senmo", "/v1/auth/refreshtoken", body, NULL);
  g_assert_cmpuint (revoked->status, ==, 400);

  assert_count ("senmo/auth", 3);
  assert_count ("senmo/refreshtoken", 6);
  assert_count ("senmo/me", 7);
}

static void
test_logware (void)
{
  g_autoptr(Reply) ok = NULL;
  g_autoptr(Reply) bad = NULL;
  g_autoptr(Reply) wrong_field = NULL;
  g_autoptr(Reply) me = NULL;
  g_autoptr(Reply) anonymous = NULL;
  g_autoptr(JsonObject) claims = NULL;
  g_autofree char *bearer = NULL;
  JsonObject *object;
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;

  td_test_sim_reset (sim);

  ok = post ("logware", "/api/users/authenticate", ALICE_LW, NULL);
  g_assert_cmpuint (ok->status, ==, 200);
  object = reply_object (ok);
  g_assert_cmpuint (json_object_get_size (object), ==, 4);
  g_assert_cmpstr (reply_string (ok, "login"), ==, "alice");
  g_assert_true (json_object_get_null_member (object, "password"));
  g_assert_true (g_uuid_string_is_valid (reply_string (ok, "id")));
  claims = jwt_claims (reply_string (ok, "token"));
  g_assert_cmpint (ABS (json_object_get_int_member (claims, "exp") - (now + 36000)), <=, 5);
  g_assert_cmpstr (json_object_get_string_member (claims, "unique_name"), ==, "alice");

  bad = post ("logware", "/api/users/authenticate",
              "{\"login\":\"alice\",\"password\":\"x\"}", NULL);
  assert_reply_json (bad, 400, "{\"message\":\"Username or password incorrect\"}");
  wrong_field = post ("logware", "/api/users/authenticate", ALICE_CW, NULL);
  assert_reply_json (wrong_field, 400, "{\"message\":\"Username or password incorrect\"}");

  bearer = g_strconcat ("Bearer ", reply_string (ok, "token"), NULL);
  me = get ("logware", "/api/users/me", "Authorization", bearer, NULL);
  g_assert_cmpuint (me->status, ==, 200);
  g_assert_cmpstr (reply_string (me, "id"), ==, reply_string (ok, "id"));
  anonymous = get ("logware", "/api/users/me", NULL);
  g_assert_cmpuint (anonymous->status, ==, 401);
  g_assert_cmpstr (soup_message_headers_get_one (anonymous->headers, "WWW-Authenticate"), ==,
                   "Bearer");

  assert_count ("logware/authenticate", 3);
  assert_count ("logware/me", 2);
}

static void
test_counts_and_reset (void)
{
  g_autoptr(Reply) unknown = NULL;
  g_autoptr(Reply) wrong_method = NULL;
  g_autoptr(JsonObject) last = NULL;
  g_autoptr(JsonNode) added = NULL;

  td_test_sim_reset (sim);

  for (guint i = 0; i < G_N_ELEMENTS (auth_calls); i++)
    {
      g_autoptr(Reply) reply = post (auth_calls[i].vendor, auth_calls[i].path,
                                     auth_calls[i].body, NULL);

      g_assert_cmpuint (reply->status, ==, 200);
      assert_count (auth_calls[i].count_key, 1);
    }

  unknown = post ("senmo", "/v1/nothing", "{}", NULL);
  g_assert_cmpuint (unknown->status, ==, 404);
  assert_count ("senmo/unknown", 1);
  wrong_method = get ("logware", "/api/users/authenticate", NULL);
  g_assert_cmpuint (wrong_method->status, ==, 405);
  g_assert_cmpstr (soup_message_headers_get_one (wrong_method->headers, "Allow"), ==, "POST");
  assert_count ("logware/authenticate", 2);

  last = control_object ("GET", "/_sim/last?key=logware/authenticate", NULL);
  g_assert_cmpstr (json_object_get_string_member (last, "method"), ==, "GET");

  /* Reset: counts, users and tokens back to the seed. */
  g_clear_pointer (&added, json_node_unref);
  added = td_test_sim_control (sim, "POST", "/_sim/users",
                               "{\"username\":\"erin\",\"password\":\"erin-password\"}");
  td_test_sim_reset (sim);
  assert_count ("logware/authenticate", 0);
  assert_count ("senmo/unknown", 0);
  {
    g_autoptr(Reply) erin = post ("logware", "/api/users/authenticate",
                                  "{\"login\":\"erin\",\"password\":\"erin-password\"}", NULL);
    g_autoptr(JsonObject) seen = control_object ("GET", "/_sim/last?vendor=senmo", NULL);

    g_assert_cmpuint (erin->status, ==, 400);
    g_assert_false (json_object_get_boolean_member (seen, "seen"));
  }
}

typedef struct
{
  Reply *reply;
  SoupMessage *msg;
  gint64 start;
} AsyncCall;

static void
on_async_done (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  AsyncCall *call = user_data;
  GBytes *body;

  call->reply = g_new0 (Reply, 1);
  body = soup_session_send_and_read_finish (SOUP_SESSION (source), result, &call->reply->error);
  fill_reply (call->reply, call->msg, body, call->start);
}

/* Runs the test's main context (where the async request lives) until the
 * sim has seen @n requests under @key. */
static void
wait_for_count (const char *key,
                guint       n)
{
  gint64 deadline = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;

  while (td_test_sim_count (sim, key) < n)
    {
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      g_main_context_iteration (NULL, FALSE);
    }
}

static gboolean
call_answered (gpointer user_data)
{
  AsyncCall *call = user_data;

  return call->reply != NULL;
}

static void
wait_for_answer (AsyncCall *call)
{
  if (!td_test_sim_wait_until (NULL, call_answered, call, 10 * 1000))
    g_error ("timed out waiting for the simulator");
}

static void
test_latency (void)
{
  g_autoptr(SoupSession) session = new_session (10);
  g_autofree char *url = vendor_url ("logware", "/api/users/authenticate");
  g_autoptr(Reply) other = NULL;
  g_autoptr(Reply) fast = NULL;
  AsyncCall call = { NULL, NULL, 0 };
  gint64 control_start;
  double control_elapsed;

  td_test_sim_reset (sim);
  td_test_sim_config (sim, "{\"vendor\":\"logware\",\"latency_ms\":400}");

  call.msg = soup_message_new ("POST", url);
  {
    g_autoptr(GBytes) bytes = g_bytes_new_static (ALICE_LW, strlen (ALICE_LW));

    soup_message_set_request_body_from_bytes (call.msg, "application/json", bytes);
  }
  call.start = g_get_monotonic_time ();
  soup_session_send_and_read_async (session, call.msg, G_PRIORITY_DEFAULT, NULL,
                                    on_async_done, &call);

  /* Let the request reach the sim, then prove its loop still answers. */
  wait_for_count ("logware/authenticate", 1);
  control_start = g_get_monotonic_time ();
  other = post ("senmo", "/v1/auth", ALICE_SENMO, NULL);
  control_elapsed = (g_get_monotonic_time () - control_start) / (double) G_USEC_PER_SEC;
  g_assert_cmpuint (other->status, ==, 200);
  g_assert_cmpfloat (control_elapsed, <, 0.3);

  wait_for_answer (&call);

  g_assert_no_error (call.reply->error);
  g_assert_cmpuint (call.reply->status, ==, 200);
  g_assert_cmpfloat (call.reply->elapsed, >=, 0.4);
  g_assert_cmpfloat (call.reply->elapsed, <, 2.0);
  reply_free (call.reply);
  g_object_unref (call.msg);

  /* Global latency reaches every vendor, protected endpoints included. */
  td_test_sim_config (sim, "{\"latency_ms\":250}");
  fast = get ("senmo", "/v1/me", NULL);
  g_assert_cmpuint (fast->status, ==, 401);
  g_assert_cmpfloat (fast->elapsed, >=, 0.25);
}

static GString *
failure_pattern (void)
{
  GString *pattern = g_string_new (NULL);

  for (guint i = 0; i < 20; i++)
    {
      g_autoptr(Reply) reply = post ("logware", "/api/users/authenticate", ALICE_LW, NULL);

      if (reply->status == 503)
        {
          assert_reply_json (reply, 503, "{\"message\":\"Service Unavailable\"}");
          g_string_append_c (pattern, 'F');
        }
      else
        {
          g_assert_cmpuint (reply->status, ==, 200);
          g_string_append_c (pattern, '.');
        }
    }

  return pattern;
}

static void
test_failure_rate (void)
{
  g_autoptr(GString) first = NULL;
  g_autoptr(GString) second = NULL;
  g_autoptr(Reply) always = NULL;
  g_autoptr(Reply) protected = NULL;
  guint failures = 0;

  td_test_sim_reset (sim);

  td_test_sim_config (sim, "{\"failure_rate\":0.5,\"seed\":1}");
  first = failure_pattern ();
  td_test_sim_config (sim, "{\"seed\":1}");
  second = failure_pattern ();
  g_assert_cmpstr (first->str, ==, second->str);
  for (gsize i = 0; i < first->len; i++)
    failures += first->str[i] == 'F';
  g_assert_cmpuint (failures, >, 0);
  g_assert_cmpuint (failures, <, 20);

  td_test_sim_config (sim, "{\"failure_rate\":1}");
  always = post ("senmo", "/v1/auth", ALICE_SENMO, NULL);
  assert_reply_json (always, 503, "{\"message\":\"Service Unavailable\"}");
  /* Only the auth endpoints fail. */
  protected = get ("senmo", "/v1/me", NULL);
  g_assert_cmpuint (protected->status, ==, 401);
}

static void
test_hostile_status (void)
{
  static const struct {
    const char *mode;
    guint status;
    const char *retry_after;
  } modes[] = {
    { "status-500", 500, NULL },
    { "status-502", 502, NULL },
    { "status-404", 404, NULL },
    { "status-429", 429, NULL },
    { "status-429-retry", 429, "30" },
    { "status-401", 401, NULL },
    { "status-403", 403, NULL },
  };

  td_test_sim_reset (sim);

  for (guint i = 0; i < G_N_ELEMENTS (modes); i++)
    {
      for (guint v = 0; v < G_N_ELEMENTS (auth_calls); v++)
        {
          g_autoptr(Reply) hostile = NULL;
          g_autoptr(Reply) normal = NULL;

          td_test_sim_hostile (sim, auth_calls[v].vendor, modes[i].mode, 1);
          hostile = post (auth_calls[v].vendor, auth_calls[v].path, auth_calls[v].body, NULL);
          g_assert_cmpuint (hostile->status, ==, modes[i].status);
          g_assert_cmpstr (soup_message_headers_get_one (hostile->headers, "Retry-After"), ==,
                           modes[i].retry_after);

          /* count 1: the next call is normal again */
          normal = post (auth_calls[v].vendor, auth_calls[v].path, auth_calls[v].body, NULL);
          g_assert_cmpuint (normal->status, ==, 200);
        }
    }

  /* Until cleared, for every vendor at once; protected endpoints untouched. */
  td_test_sim_hostile (sim, NULL, "status-502", 0);
  for (guint round = 0; round < 3; round++)
    {
      g_autoptr(Reply) reply = post ("coverwhale", "/authentication", ALICE_CW, NULL);

      g_assert_cmpuint (reply->status, ==, 502);
    }
  g_assert_cmpuint (getindication ("nope"), ==, 401);
  td_test_sim_hostile (sim, NULL, NULL, 0);
  {
    g_autoptr(Reply) cleared = post ("coverwhale", "/authentication", ALICE_CW, NULL);

    g_assert_cmpuint (cleared->status, ==, 200);
  }

  /* count 2 is two calls, and the state says so. */
  td_test_sim_hostile (sim, "senmo", "status-500", 2);
  {
    g_autoptr(JsonObject) state = control_object ("GET", "/_sim/hostile", NULL);
    JsonObject *senmo = json_object_get_object_member (state, "senmo");
    g_autoptr(Reply) a = post ("senmo", "/v1/auth", ALICE_SENMO, NULL);
    g_autoptr(Reply) b = post ("senmo", "/v1/auth/refreshtoken", "{\"refreshtoken\":\"x\"}", NULL);
    g_autoptr(Reply) c = post ("senmo", "/v1/auth", ALICE_SENMO, NULL);

    g_assert_cmpstr (json_object_get_string_member (senmo, "mode"), ==, "status-500");
    g_assert_cmpint (json_object_get_int_member (senmo, "remaining"), ==, 2);
    g_assert_cmpuint (a->status, ==, 500);
    g_assert_cmpuint (b->status, ==, 500);
    g_assert_cmpuint (c->status, ==, 200);
  }

  assert_control_fails ("POST", "/_sim/hostile", "{\"vendor\":\"senmo\",\"mode\":\"nasty\"}", 400);
  assert_control_fails ("POST", "/_sim/hostile", "{\"vendor\":\"senmo\"}", 400);
}

static void
test_hostile_bodies (void)
{
  td_test_sim_reset (sim);

  for (guint v = 0; v < G_N_ELEMENTS (auth_calls); v++)
    {
      const AuthCall *call = &auth_calls[v];
      g_autoptr(Reply) html = NULL;
      g_autoptr(Reply) empty = NULL;
      g_autoptr(Reply) truncated = NULL;
      g_autoptr(Reply) wrong_type = NULL;
      g_autoptr(Reply) missing = NULL;
      g_autoptr(Reply) not_jwt = NULL;
      g_autoptr(Reply) no_exp = NULL;
      g_autoptr(Reply) huge = NULL;
      g_autoptr(JsonObject) claims = NULL;
      JsonNode *node;
      gsize len;
      const char *data;

      td_test_sim_hostile (sim, call->vendor, "html", 1);
      html = post (call->vendor, call->path, call->body, NULL);
      g_assert_cmpuint (html->status, ==, 200);
      g_assert_cmpstr (soup_message_headers_get_content_type (html->headers, NULL), ==,
                       "text/html");
      g_assert_true (g_str_has_prefix (g_bytes_get_data (html->body, NULL), "<!DOCTYPE html>"));
      g_assert_null (html->json);

      td_test_sim_hostile (sim, call->vendor, "empty", 1);
      empty = post (call->vendor, call->path, call->body, NULL);
      g_assert_cmpuint (empty->status, ==, 200);
      g_assert_cmpuint (g_bytes_get_size (empty->body), ==, 0);

      td_test_sim_hostile (sim, call->vendor, "truncated", 1);
      truncated = post (call->vendor, call->path, call->body, NULL);
      g_assert_cmpuint (truncated->status, ==, 200);
      g_assert_cmpstr (soup_message_headers_get_content_type (truncated->headers, NULL), ==,
                       "application/json");
      data = g_bytes_get_data (truncated->body, &len);
      g_assert_cmpuint (len, >, 10);
      g_assert_true (data[0] == '{');
      g_assert_null (truncated->json);

      td_test_sim_hostile (sim, call->vendor, "wrong-type", 1);
      wrong_type = post (call->vendor, call->path, call->body, NULL);
      g_assert_cmpuint (wrong_type->status, ==, 200);
      node = token_node (call->vendor, wrong_type);
      g_assert_nonnull (node);
      g_assert_cmpint (json_node_get_value_type (node), ==, G_TYPE_INT64);

      td_test_sim_hostile (sim, call->vendor, "missing-token", 1);
      missing = post (call->vendor, call->path, call->body, NULL);
      g_assert_cmpuint (missing->status, ==, 200);
      g_assert_null (token_node (call->vendor, missing));

      td_test_sim_hostile (sim, call->vendor, "not-jwt", 1);
      not_jwt = post (call->vendor, call->path, call->body, NULL);
      g_assert_cmpuint (not_jwt->status, ==, 200);
      node = token_node (call->vendor, not_jwt);
      g_assert_cmpstr (json_node_get_string (node), ==, "not.a-jwt");

      td_test_sim_hostile (sim, call->vendor, "no-exp", 1);
      no_exp = post (call->vendor, call->path, call->body, NULL);
      g_assert_cmpuint (no_exp->status, ==, 200);
      claims = jwt_claims (json_node_get_string (token_node (call->vendor, no_exp)));
      g_assert_true (json_object_has_member (claims, "iat"));
      g_assert_false (json_object_has_member (claims, "exp"));

      td_test_sim_hostile (sim, call->vendor, "huge", 1);
      huge = post (call->vendor, call->path, call->body, NULL);
      g_assert_cmpuint (huge->status, ==, 200);
      g_assert_cmpuint (g_bytes_get_size (huge->body), >, 4 * 1024 * 1024);
      g_assert_true (g_str_has_prefix (g_bytes_get_data (huge->body, NULL), "{\"padding\":\"xxx"));
      g_assert_nonnull (token_node (call->vendor, huge));

      /* The hostile answers changed nothing: a normal call works, and the
       * count saw every call. */
      {
        g_autoptr(Reply) normal = post (call->vendor, call->path, call->body, NULL);

        g_assert_cmpuint (normal->status, ==, 200);
        g_assert_cmpint (json_node_get_value_type (token_node (call->vendor, normal)), ==,
                         G_TYPE_STRING);
      }
      assert_count (call->count_key, 9);
    }

  /* Tokens from a hostile answer are accepted nowhere. */
  td_test_sim_hostile (sim, "logware", "no-exp", 1);
  {
    g_autoptr(Reply) no_exp = post ("logware", "/api/users/authenticate", ALICE_LW, NULL);
    g_autofree char *bearer = g_strconcat ("Bearer ", reply_string (no_exp, "token"), NULL);
    g_autoptr(Reply) me = get ("logware", "/api/users/me", "Authorization", bearer, NULL);

    g_assert_cmpuint (me->status, ==, 401);
  }
}

static void
test_hostile_hang (void)
{
  g_autoptr(SoupSession) session = new_session (1);
  g_autoptr(SoupSession) patient = new_session (10);
  g_autofree char *url = vendor_url ("senmo", "/v1/auth");
  g_autoptr(Reply) hung = NULL;
  g_autoptr(Reply) after = NULL;
  AsyncCall call = { NULL, NULL, 0 };

  td_test_sim_reset (sim);

  td_test_sim_hostile (sim, "senmo", "hang", 1);
  hung = http_with (session, 0, "POST", url, ALICE_SENMO, NULL);
  g_assert_error (hung->error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT);
  g_assert_cmpfloat (hung->elapsed, >=, 0.9);

  after = post ("senmo", "/v1/auth", ALICE_SENMO, NULL);
  g_assert_cmpuint (after->status, ==, 200);

  /* Held until cleared: clearing answers 503. */
  td_test_sim_hostile (sim, "senmo", "hang", 0);
  call.msg = soup_message_new ("POST", url);
  {
    g_autoptr(GBytes) bytes = g_bytes_new_static (ALICE_SENMO, strlen (ALICE_SENMO));

    soup_message_set_request_body_from_bytes (call.msg, "application/json", bytes);
  }
  call.start = g_get_monotonic_time ();
  soup_session_send_and_read_async (patient, call.msg, G_PRIORITY_DEFAULT, NULL,
                                    on_async_done, &call);
  wait_for_count ("senmo/auth", 3);
  g_assert_null (call.reply);
  td_test_sim_hostile (sim, "senmo", NULL, 0);

  wait_for_answer (&call);

  g_assert_no_error (call.reply->error);
  g_assert_cmpuint (call.reply->status, ==, 503);
  reply_free (call.reply);
  g_object_unref (call.msg);
}

static void
test_hostile_slow (void)
{
  g_autoptr(SoupSession) session = new_session (10);
  g_autoptr(SoupMessage) msg = NULL;
  g_autoptr(GInputStream) stream = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *url = vendor_url ("logware", "/api/users/authenticate");
  g_autoptr(GBytes) bytes = g_bytes_new_static (ALICE_LW, strlen (ALICE_LW));
  char received[4] = { 0 };
  gint64 times[3];

  td_test_sim_reset (sim);
  td_test_sim_hostile (sim, "logware", "slow", 1);

  msg = soup_message_new ("POST", url);
  soup_message_set_request_body_from_bytes (msg, "application/json", bytes);
  stream = soup_session_send (session, msg, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (soup_message_get_status (msg), ==, 200);
  g_assert_cmpint (soup_message_headers_get_encoding (soup_message_get_response_headers (msg)),
                   ==, SOUP_ENCODING_CHUNKED);

  for (guint i = 0; i < 3; i++)
    {
      gssize n = g_input_stream_read (stream, received + i, 1, NULL, &error);

      g_assert_no_error (error);
      g_assert_cmpint (n, ==, 1);
      times[i] = g_get_monotonic_time ();
    }

  /* A valid body, one byte a second. */
  g_assert_cmpstr (received, ==, "{\"l");
  g_assert_cmpint (times[1] - times[0], >=, 800 * 1000);
  g_assert_cmpint (times[2] - times[1], >=, 800 * 1000);

  /* Hanging up mid-body leaves the sim serving. */
  g_input_stream_close (stream, NULL, NULL);
  {
    g_autoptr(Reply) normal = post ("logware", "/api/users/authenticate", ALICE_LW, NULL);

    g_assert_cmpuint (normal->status, ==, 200);
  }
}

static void
test_hostile_reset (void)
{
  g_autoptr(SoupSession) session = new_session (5);
  g_autofree char *url = vendor_url ("coverwhale", "/authentication");
  g_autoptr(Reply) reset = NULL;
  g_autoptr(Reply) after = NULL;

  td_test_sim_reset (sim);
  td_test_sim_hostile (sim, "coverwhale", "reset", 1);

  reset = http_with (session, 0, "POST", url, ALICE_CW, NULL);
  g_assert_nonnull (reset->error);
  g_assert_false (g_error_matches (reset->error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT));
  g_assert_cmpfloat (reset->elapsed, <, 2.0);
  g_assert_cmpuint (reset->status, ==, 0);
  assert_count ("coverwhale/authentication", 1);

  after = post ("coverwhale", "/authentication", ALICE_CW, NULL);
  g_assert_cmpuint (after->status, ==, 200);
}

static void
test_hostile_redirect (void)
{
  g_autoptr(SoupSession) session = new_session (5);
  g_autofree char *url = vendor_url ("couchdrop", "/authenticate");
  g_autoptr(Reply) redirect = NULL;
  g_autoptr(Reply) followed = NULL;
  const char *location;

  td_test_sim_reset (sim);

  td_test_sim_hostile (sim, "couchdrop", "redirect", 1);
  redirect = http_with (session, SOUP_MESSAGE_NO_REDIRECT, "POST", url, ALICE_CD, NULL);
  g_assert_no_error (redirect->error);
  g_assert_cmpuint (redirect->status, ==, 302);
  location = soup_message_headers_get_one (redirect->headers, "Location");
  g_assert_cmpstr (location, ==, "http://127.0.0.2:1/couchdrop/authenticate");

  /* A client that follows it gets nowhere. */
  td_test_sim_hostile (sim, "couchdrop", "redirect", 1);
  followed = http_with (session, 0, "POST", url, ALICE_CD, NULL);
  g_assert_nonnull (followed->error);
}

static void
test_body_limits (void)
{
  g_autoptr(GString) big = g_string_new ("{\"login\":\"alice\",\"password\":\"");
  g_autoptr(Reply) too_large = NULL;
  g_autoptr(Reply) after = NULL;

  td_test_sim_reset (sim);

  for (guint i = 0; i < 1024 * 1024; i++)
    g_string_append_c (big, 'p');
  g_string_append (big, "\"}");

  too_large = post ("logware", "/api/users/authenticate", big->str, NULL);
  g_assert_cmpuint (too_large->status, ==, 413);
  after = post ("logware", "/api/users/authenticate", ALICE_LW, NULL);
  g_assert_cmpuint (after->status, ==, 200);
}

static void
test_tls (void)
{
  g_autofree char *cert = g_build_filename (TD_SIM_DATA_DIR, "sim-cert.pem", NULL);
  g_autofree char *key = g_build_filename (TD_SIM_DATA_DIR, "sim-key.pem", NULL);
  g_autoptr(TdTestSim) tls_sim = td_test_sim_start ("--tls", cert, key, "--quiet", NULL);
  g_autofree char *url = NULL;
  g_autoptr(SoupSession) strict = new_session (5);
  g_autoptr(SoupSession) trusting = new_session (5);
  g_autoptr(GTlsDatabase) database = NULL;
  g_autoptr(Reply) refused = NULL;
  g_autoptr(Reply) accepted = NULL;
  g_autoptr(GError) error = NULL;

  g_assert_true (g_str_has_prefix (td_test_sim_get_root (tls_sim), "https://127.0.0.1:"));
  url = g_strconcat (td_test_sim_get_root (tls_sim), "/logware/api/users/authenticate", NULL);

  /* The system's CAs don't know the sim: the handshake must fail, and no
   * request (password included) reaches the server. */
  refused = http_with (strict, 0, "POST", url, ALICE_LW, NULL);
  g_assert_error (refused->error, G_TLS_ERROR, G_TLS_ERROR_BAD_CERTIFICATE);
  g_assert_cmpuint (td_test_sim_count (tls_sim, "logware/authenticate"), ==, 0);

  database = g_tls_file_database_new (cert, &error);
  g_assert_no_error (error);
  soup_session_set_tls_database (trusting, database);
  accepted = http_with (trusting, 0, "POST", url, ALICE_LW, NULL);
  g_assert_no_error (accepted->error);
  g_assert_cmpuint (accepted->status, ==, 200);
  g_assert_cmpuint (td_test_sim_count (tls_sim, "logware/authenticate"), ==, 1);
}

static void
test_command_line (void)
{
  g_autoptr(TdTestSim) cli_sim = td_test_sim_start ("--latency", "100", "--lifetime", "120",
                                                    "--hostile", "senmo:status-500:1",
                                                    "--failure-rate", "0", "--seed", "7",
                                                    "--quiet", NULL);
  g_autoptr(JsonNode) config = td_test_sim_control (cli_sim, "GET", "config", NULL);
  JsonObject *vendors = json_object_get_object_member (json_node_get_object (config), "vendors");
  JsonObject *logware = json_object_get_object_member (vendors, "logware");
  g_autofree char *senmo_url = g_strconcat (td_test_sim_get_root (cli_sim), "/senmo/v1/auth", NULL);
  g_autofree char *logware_url = g_strconcat (td_test_sim_get_root (cli_sim),
                                              "/logware/api/users/authenticate", NULL);
  g_autoptr(SoupSession) session = new_session (5);

  g_assert_cmpint (json_object_get_int_member (json_node_get_object (config), "seed"), ==, 7);
  g_assert_cmpint (json_object_get_int_member (logware, "latency_ms"), ==, 100);
  g_assert_cmpint (json_object_get_int_member (logware, "lifetime_s"), ==, 120);

  /* The command line is the seed state that /_sim/reset returns to. */
  for (guint round = 0; round < 2; round++)
    {
      g_autoptr(Reply) first = http_with (session, 0, "POST", senmo_url, ALICE_SENMO, NULL);
      g_autoptr(Reply) second = http_with (session, 0, "POST", senmo_url, ALICE_SENMO, NULL);
      g_autoptr(Reply) logware_reply = http_with (session, 0, "POST", logware_url, ALICE_LW, NULL);

      g_assert_cmpuint (first->status, ==, 500);
      g_assert_cmpuint (second->status, ==, 200);
      g_assert_cmpfloat (second->elapsed, >=, 0.1);
      assert_jwt_lifetime (reply_string (logware_reply, "token"), "access", 120);
      td_test_sim_reset (cli_sim);
    }
}

static void
test_stdin_eof (void)
{
  const char *path = g_getenv ("TD_SIM_PATH") ? g_getenv ("TD_SIM_PATH") : TD_SIM_PATH;
  g_autoptr(GSubprocess) process = NULL;
  g_autoptr(GDataInputStream) lines = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *line = NULL;
  gint64 deadline;

  process = g_subprocess_new (G_SUBPROCESS_FLAGS_STDIN_PIPE | G_SUBPROCESS_FLAGS_STDOUT_PIPE,
                              &error, path, "--port", "0", "--quiet", "--exit-on-stdin-eof",
                              NULL);
  g_assert_no_error (error);

  lines = g_data_input_stream_new (g_subprocess_get_stdout_pipe (process));
  line = g_data_input_stream_read_line_utf8 (lines, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (g_str_has_prefix (line, "http://127.0.0.1:"));

  g_output_stream_close (g_subprocess_get_stdin_pipe (process), NULL, &error);
  g_assert_no_error (error);

  /* Bounded: poll for the exit instead of waiting forever. */
  deadline = g_get_monotonic_time () + 5 * G_USEC_PER_SEC;
  while (g_get_monotonic_time () < deadline && g_subprocess_get_identifier (process) != NULL)
    {
      g_main_context_iteration (NULL, FALSE);
      g_usleep (10 * 1000);
    }

  if (g_subprocess_get_identifier (process) != NULL)
    {
      g_subprocess_force_exit (process);
      g_subprocess_wait (process, NULL, NULL);
      g_error ("the simulator ignored the end of its stdin");
    }

  g_assert_true (g_subprocess_get_if_exited (process));
  g_assert_cmpint (g_subprocess_get_exit_status (process), ==, 0);
}

int
main (int   argc,
      char *argv[])
{
  int status;

  g_test_init (&argc, &argv, NULL);

  sim = td_test_sim_start ("--quiet", NULL);

  g_test_add_func ("/vendor-sim/start", test_start);
  g_test_add_func ("/vendor-sim/coverwhale/login", test_coverwhale_login);
  g_test_add_func ("/vendor-sim/coverwhale/invalidation", test_coverwhale_invalidation);
  g_test_add_func ("/vendor-sim/coverwhale/new-password", test_coverwhale_new_password);
  g_test_add_func ("/vendor-sim/coverwhale/password-reset", test_coverwhale_reset);
  g_test_add_func ("/vendor-sim/coverwhale/knobs", test_coverwhale_knobs);
  g_test_add_func ("/vendor-sim/couchdrop", test_couchdrop);
  g_test_add_func ("/vendor-sim/senmo", test_senmo);
  g_test_add_func ("/vendor-sim/logware", test_logware);
  g_test_add_func ("/vendor-sim/counts-and-reset", test_counts_and_reset);
  g_test_add_func ("/vendor-sim/latency", test_latency);
  g_test_add_func ("/vendor-sim/failure-rate", test_failure_rate);
  g_test_add_func ("/vendor-sim/hostile/status", test_hostile_status);
  g_test_add_func ("/vendor-sim/hostile/bodies", test_hostile_bodies);
  g_test_add_func ("/vendor-sim/hostile/hang", test_hostile_hang);
  g_test_add_func ("/vendor-sim/hostile/slow", test_hostile_slow);
  g_test_add_func ("/vendor-sim/hostile/reset", test_hostile_reset);
  g_test_add_func ("/vendor-sim/hostile/redirect", test_hostile_redirect);
  g_test_add_func ("/vendor-sim/body-limits", test_body_limits);
  g_test_add_func ("/vendor-sim/tls", test_tls);
  g_test_add_func ("/vendor-sim/command-line", test_command_line);
  g_test_add_func ("/vendor-sim/stdin-eof", test_stdin_eof);

  status = g_test_run ();

  td_test_sim_stop (sim);

  return status;
}
