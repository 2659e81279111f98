/* td-vendor-sim.c: a fake of the four vendors' authentication APIs
 *
 * One SoupServer on 127.0.0.1 serves every vendor under its own prefix and a
 * control API under /_sim/ that the tests use to shape the next answers.
 * Nothing here may block: the server loop also carries the paused requests
 * of the latency knob and the "hang" and "slow" hostile modes.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#include "td-vendor-sim-private.h"
#include "td-sim-jwt.h"

#define HUGE_BODY_SIZE (4 * 1024 * 1024)
#define MAX_LATENCY_MS (10 * 60 * 1000)
#define STATUS_TOO_MANY_REQUESTS 429

typedef struct
{
  GHashTable *users;    /* username → TdSimUser */
  GHashTable *tokens;   /* token → TdSimToken */
  TdSimKnobs knobs;
  TdSimHostileMode hostile;
  int hostile_remaining;  /* < 0: until cleared */
} TdSimVendorState;

typedef struct
{
  char *method;
  char *path;
  char *user_agent;
  char *content_type;
  char *accept;
  char *system;
} TdSimLastSeen;

typedef enum
{
  TD_SIM_PENDING_NONE,
  TD_SIM_PENDING_DELAY,
  TD_SIM_PENDING_HANG,
  TD_SIM_PENDING_SLOW,
  TD_SIM_PENDING_RESET,
} TdSimPendingKind;

/* A paused request waiting for its timer (or, for "hang", for nothing). */
typedef struct
{
  TdVendorSim *sim;
  SoupServerMessage *msg;
  TdSimVendor vendor;
  TdSimPendingKind kind;
  gulong finished_id;
  guint source_id;
  GBytes *slow_body;
  gsize slow_offset;
} TdSimPending;

struct _TdVendorSim
{
  GObject parent_instance;

  SoupServer *server;
  gboolean tls;
  char *root;             /* set once listening */
  gboolean quiet;
  GBytes *jwt_secret;

  GRand *rand;
  gboolean seed_set;
  guint32 seed;

  TdSimVendorState vendors[TD_SIM_N_VENDORS];

  /* What POST /_sim/reset goes back to: the command line's settings. */
  TdSimKnobs seed_knobs[TD_SIM_N_VENDORS];
  TdSimHostileMode seed_hostile[TD_SIM_N_VENDORS];
  int seed_hostile_remaining[TD_SIM_N_VENDORS];
  gboolean seed_seed_set;
  guint32 seed_seed;

  GHashTable *counts;     /* key → GUINT_TO_POINTER (count) */
  GHashTable *last_seen;  /* vendor name or count key → TdSimLastSeen */
  GPtrArray *pending;     /* TdSimPending */
};

G_DEFINE_TYPE (TdVendorSim, td_vendor_sim, G_TYPE_OBJECT)

G_DEFINE_QUARK (td-vendor-sim-error-quark, td_vendor_sim_error)

typedef struct
{
  const char *name;
  const char *prefix;
  const char *login_field;
  TdSimSuccessBody success_body;
  TdSimKnobs defaults;
} TdSimVendorInfo;

static const TdSimVendorInfo vendor_info[TD_SIM_N_VENDORS] = {
  [TD_SIM_VENDOR_COVERWHALE] = {
    "coverwhale", "/coverwhale/api/v1", "username", td_sim_coverwhale_success_body,
    { .lifetime_s = 3600, .login_failure_status = SOUP_STATUS_BAD_REQUEST },
  },
  [TD_SIM_VENDOR_COUCHDROP] = {
    "couchdrop", "/couchdrop", "username", td_sim_couchdrop_success_body,
    { .lifetime_s = 3600, .login_failure_status = SOUP_STATUS_BAD_REQUEST },
  },
  [TD_SIM_VENDOR_SENMO] = {
    "senmo", "/senmo", "username", td_sim_senmo_success_body,
    { .lifetime_s = 3600, .login_failure_status = SOUP_STATUS_BAD_REQUEST },
  },
  [TD_SIM_VENDOR_LOGWARE] = {
    "logware", "/logware", "login", td_sim_logware_success_body,
    { .lifetime_s = 36000, .login_failure_status = SOUP_STATUS_BAD_REQUEST },
  },
};

typedef struct
{
  TdSimVendor vendor;
  const char *method;
  const char *path;
  const char *key;
  gboolean is_auth;   /* subject to the hostile modes and failure_rate */
  TdSimHandler handler;
} TdSimRoute;

static const TdSimRoute routes[] = {
  { TD_SIM_VENDOR_COVERWHALE, "POST", "/authentication", "coverwhale/authentication", TRUE,
    td_sim_coverwhale_authentication },
  { TD_SIM_VENDOR_COVERWHALE, "GET", "/password-reset", "coverwhale/password-reset", FALSE,
    td_sim_coverwhale_reset_request },
  { TD_SIM_VENDOR_COVERWHALE, "POST", "/password-reset", "coverwhale/password-reset", FALSE,
    td_sim_coverwhale_reset_confirm },
  { TD_SIM_VENDOR_COVERWHALE, "POST", "/getindication", "coverwhale/getindication", FALSE,
    td_sim_coverwhale_getindication },
  { TD_SIM_VENDOR_COUCHDROP, "POST", "/authenticate", "couchdrop/authenticate", TRUE,
    td_sim_couchdrop_authenticate },
  { TD_SIM_VENDOR_COUCHDROP, "GET", "/manage/account", "couchdrop/manage/account", FALSE,
    td_sim_couchdrop_account },
  { TD_SIM_VENDOR_SENMO, "POST", "/v1/auth", "senmo/auth", TRUE, td_sim_senmo_auth },
  { TD_SIM_VENDOR_SENMO, "POST", "/v1/auth/refreshtoken", "senmo/refreshtoken", TRUE,
    td_sim_senmo_refresh },
  { TD_SIM_VENDOR_SENMO, "GET", "/v1/me", "senmo/me", FALSE, td_sim_senmo_me },
  { TD_SIM_VENDOR_LOGWARE, "POST", "/api/users/authenticate", "logware/authenticate", TRUE,
    td_sim_logware_authenticate },
  { TD_SIM_VENDOR_LOGWARE, "GET", "/api/users/me", "logware/me", FALSE, td_sim_logware_me },
};

/* Refresh calls also count under their own key: the app must send exactly
 * one per account at a time, and the tests count them. */
#define COVERWHALE_REFRESH_KEY "coverwhale/refresh"

static const char * const hostile_names[] = {
  [TD_SIM_HOSTILE_NONE] = "none",
  [TD_SIM_HOSTILE_STATUS_401] = "status-401",
  [TD_SIM_HOSTILE_STATUS_403] = "status-403",
  [TD_SIM_HOSTILE_STATUS_404] = "status-404",
  [TD_SIM_HOSTILE_STATUS_429] = "status-429",
  [TD_SIM_HOSTILE_STATUS_429_RETRY] = "status-429-retry",
  [TD_SIM_HOSTILE_STATUS_500] = "status-500",
  [TD_SIM_HOSTILE_STATUS_502] = "status-502",
  [TD_SIM_HOSTILE_HTML] = "html",
  [TD_SIM_HOSTILE_EMPTY] = "empty",
  [TD_SIM_HOSTILE_TRUNCATED] = "truncated",
  [TD_SIM_HOSTILE_WRONG_TYPE] = "wrong-type",
  [TD_SIM_HOSTILE_MISSING_TOKEN] = "missing-token",
  [TD_SIM_HOSTILE_NOT_JWT] = "not-jwt",
  [TD_SIM_HOSTILE_NO_EXP] = "no-exp",
  [TD_SIM_HOSTILE_HUGE] = "huge",
  [TD_SIM_HOSTILE_HANG] = "hang",
  [TD_SIM_HOSTILE_SLOW] = "slow",
  [TD_SIM_HOSTILE_RESET] = "reset",
  [TD_SIM_HOSTILE_REDIRECT] = "redirect",
};

static const char captive_portal_html[] =
  "<!DOCTYPE html>\n"
  "<html><head><title>Sign in to the network</title></head>\n"
  "<body><h1>Welcome</h1><p>Please accept the terms of use to continue.</p>\n"
  "<form method=\"post\" action=\"/portal\"><button>Accept</button></form></body></html>\n";

static void release_hanging (TdVendorSim *self,
                             int          vendor);

/* Helpers shared with the vendor files */

gint64
td_sim_now (void)
{
  return g_get_real_time () / G_USEC_PER_SEC;
}

/* GLib's global generator is seeded from /dev/urandom: fine for tokens that
 * only have to be unguessable by tests, and kept apart from the seedable
 * GRand so that token minting doesn't shift the failure_rate sequence. */
char *
td_sim_random_string (guint len)
{
  static const char alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  char *text = g_malloc (len + 1);

  for (guint i = 0; i < len; i++)
    text[i] = alphabet[g_random_int_range (0, sizeof alphabet - 1)];
  text[len] = '\0';

  return text;
}

void
td_sim_respond (SoupServerMessage *msg,
                guint              status,
                JsonObject        *object)
{
  g_autoptr(JsonNode) node = json_node_new (JSON_NODE_OBJECT);
  char *text;

  json_node_set_object (node, object);
  text = json_to_string (node, FALSE);
  soup_server_message_set_status (msg, status, NULL);
  soup_server_message_set_response (msg, "application/json", SOUP_MEMORY_TAKE,
                                    text, strlen (text));
}

void
td_sim_respond_message (SoupServerMessage *msg,
                        guint              status,
                        const char        *member,
                        const char        *text)
{
  g_autoptr(JsonObject) object = json_object_new ();

  json_object_set_string_member (object, member, text);
  td_sim_respond (msg, status, object);
}

const char *
td_sim_json_get_string (JsonObject *object,
                        const char *member)
{
  JsonNode *node;

  if (object == NULL)
    return NULL;

  node = json_object_get_member (object, member);
  if (node == NULL || json_node_get_value_type (node) != G_TYPE_STRING)
    return NULL;

  return json_node_get_string (node);
}

/* For the vendors that answer with a single token member (Couchdrop,
 * Logware): puts @token under @member bent the way @shape says. */
void
td_sim_set_token_member (JsonObject *body,
                         const char *member,
                         const char *token,
                         TdSimShape  shape)
{
  switch (shape)
    {
    case TD_SIM_SHAPE_VALID:
    case TD_SIM_SHAPE_NO_EXP:
      json_object_set_string_member (body, member, token);
      break;

    case TD_SIM_SHAPE_WRONG_TYPE:
      json_object_set_int_member (body, member, 12345);
      break;

    case TD_SIM_SHAPE_MISSING:
      break;

    case TD_SIM_SHAPE_NOT_JWT:
      json_object_set_string_member (body, member, "not.a-jwt");
      break;

    default:
      g_assert_not_reached ();
    }
}

const char *
td_sim_get_bearer (SoupServerMessage *msg)
{
  SoupMessageHeaders *headers = soup_server_message_get_request_headers (msg);
  const char *value = soup_message_headers_get_one (headers, "Authorization");

  if (value == NULL || g_ascii_strncasecmp (value, "Bearer ", 7) != 0)
    return NULL;

  return value + 7;
}

static const char *
vendor_name (int vendor)
{
  return vendor < 0 ? NULL : vendor_info[vendor].name;
}

static gboolean
parse_vendor (const char  *name,
              int         *vendor,
              GError     **error)
{
  /* NULL means every vendor */
  if (name == NULL)
    {
      *vendor = -1;
      return TRUE;
    }

  for (int v = 0; v < TD_SIM_N_VENDORS; v++)
    {
      if (g_str_equal (name, vendor_info[v].name))
        {
          *vendor = v;
          return TRUE;
        }
    }

  g_set_error (error, TD_VENDOR_SIM_ERROR, TD_VENDOR_SIM_ERROR_INVALID,
               "unknown vendor '%s'", name);
  return FALSE;
}

/* Users and tokens */

static void
user_free (TdSimUser *user)
{
  g_free (user->username);
  g_free (user->password);
  g_free (user->id);
  g_free (user->reset_code);
  g_free (user);
}

static void
token_free (TdSimToken *token)
{
  g_free (token->username);
  g_free (token);
}

static TdSimUser *
add_user (TdVendorSim *self,
          TdSimVendor  vendor,
          const char  *username,
          const char  *password)
{
  TdSimUser *user = td_vendor_sim_lookup_user (self, vendor, username);

  if (user == NULL)
    {
      user = g_new0 (TdSimUser, 1);
      user->username = g_strdup (username);
      user->id = g_uuid_string_random ();
      g_hash_table_insert (self->vendors[vendor].users, user->username, user);
    }

  g_free (user->password);
  user->password = g_strdup (password);
  user->twofa = user->forbidden = user->password_expired = FALSE;

  return user;
}

TdSimUser *
td_vendor_sim_lookup_user (TdVendorSim *self,
                           TdSimVendor  vendor,
                           const char  *username)
{
  return g_hash_table_lookup (self->vendors[vendor].users, username);
}

const TdSimKnobs *
td_vendor_sim_get_knobs (TdVendorSim *self,
                         TdSimVendor  vendor)
{
  return &self->vendors[vendor].knobs;
}

char *
td_vendor_sim_sign_jwt (TdVendorSim *self,
                        JsonObject  *claims)
{
  return td_sim_jwt_sign (self->jwt_secret, claims);
}

char *
td_vendor_sim_dup_issuer (TdVendorSim *self,
                          TdSimVendor  vendor)
{
  return g_strconcat (self->root ? self->root : "http://127.0.0.1",
                      vendor_info[vendor].prefix, NULL);
}

void
td_vendor_sim_store_token (TdVendorSim    *self,
                           TdSimVendor     vendor,
                           const char     *token,
                           const char     *username,
                           TdSimTokenKind  kind,
                           gint64          expires_at)
{
  TdSimToken *record = g_new0 (TdSimToken, 1);

  record->username = g_strdup (username);
  record->kind = kind;
  /* Minted on the vendor's clock, checked against the real one. */
  record->expires_at = expires_at - self->vendors[vendor].knobs.clock_skew_s;
  g_hash_table_replace (self->vendors[vendor].tokens, g_strdup (token), record);
}

gint64
td_vendor_sim_now (TdVendorSim *self,
                   TdSimVendor  vendor)
{
  return td_sim_now () + self->vendors[vendor].knobs.clock_skew_s;
}

gint64
td_vendor_sim_expiry (TdVendorSim *self,
                      TdSimVendor  vendor,
                      gint64       now)
{
  const TdSimKnobs *knobs = &self->vendors[vendor].knobs;

  return knobs->jwt_exp != 0 ? knobs->jwt_exp : now + knobs->lifetime_s;
}

const TdSimToken *
td_vendor_sim_find_token (TdVendorSim *self,
                          TdSimVendor  vendor,
                          const char  *token)
{
  TdSimToken *record = g_hash_table_lookup (self->vendors[vendor].tokens, token);

  if (record == NULL || td_sim_now () >= record->expires_at)
    return NULL;

  return record;
}

static gboolean
token_belongs_to (gpointer key,
                  gpointer value,
                  gpointer user_data)
{
  TdSimToken *record = value;

  return record->username != NULL && g_str_equal (record->username, user_data);
}

void
td_vendor_sim_revoke_user (TdVendorSim *self,
                           TdSimVendor  vendor,
                           const char  *username)
{
  g_hash_table_foreach_remove (self->vendors[vendor].tokens, token_belongs_to,
                               (gpointer) username);
}

static void
seed_users (TdVendorSim *self)
{
  for (int v = 0; v < TD_SIM_N_VENDORS; v++)
    {
      g_hash_table_remove_all (self->vendors[v].users);
      g_hash_table_remove_all (self->vendors[v].tokens);
      add_user (self, v, "alice", "alice-password");
      add_user (self, v, "bob", "bob-password");
    }

  add_user (self, TD_SIM_VENDOR_COUCHDROP, "twofa", "twofa-password")->twofa = TRUE;
  add_user (self, TD_SIM_VENDOR_COUCHDROP, "forbidden", "forbidden-password")->forbidden = TRUE;
  td_vendor_sim_store_token (self, TD_SIM_VENDOR_COUCHDROP, "cd-admin-token-for-tests", NULL,
                             TD_SIM_TOKEN_ADMIN, G_MAXINT64);
}

/* Logging: never a password or a token */

void
td_vendor_sim_note (TdVendorSim *self,
                    const char  *format,
                    ...)
{
  g_autofree char *text = NULL;
  va_list args;

  if (self->quiet)
    return;

  va_start (args, format);
  text = g_strdup_vprintf (format, args);
  va_end (args);

  g_printerr ("tokendesk-vendor-sim: %s\n", text);
}

/* Counts and what the last request carried */

static void
reset_counts (TdVendorSim *self)
{
  g_hash_table_remove_all (self->counts);

  /* Every known key is listed, so a test sees a typo'd key as absent. */
  for (guint i = 0; i < G_N_ELEMENTS (routes); i++)
    g_hash_table_insert (self->counts, g_strdup (routes[i].key), GUINT_TO_POINTER (0));
  g_hash_table_insert (self->counts, g_strdup (COVERWHALE_REFRESH_KEY), GUINT_TO_POINTER (0));
}

static void
count (TdVendorSim *self,
       const char  *key)
{
  guint n = GPOINTER_TO_UINT (g_hash_table_lookup (self->counts, key));

  g_hash_table_replace (self->counts, g_strdup (key), GUINT_TO_POINTER (n + 1));
}

static void
last_seen_free (TdSimLastSeen *seen)
{
  g_free (seen->method);
  g_free (seen->path);
  g_free (seen->user_agent);
  g_free (seen->content_type);
  g_free (seen->accept);
  g_free (seen->system);
  g_free (seen);
}

static void
record_last_seen (TdVendorSim       *self,
                  const char        *key,
                  SoupServerMessage *msg,
                  JsonObject        *body)
{
  SoupMessageHeaders *headers = soup_server_message_get_request_headers (msg);
  TdSimLastSeen *seen = g_new0 (TdSimLastSeen, 1);

  seen->method = g_strdup (soup_server_message_get_method (msg));
  seen->path = g_strdup (g_uri_get_path (soup_server_message_get_uri (msg)));
  seen->user_agent = g_strdup (soup_message_headers_get_one (headers, "User-Agent"));
  seen->content_type = g_strdup (soup_message_headers_get_one (headers, "Content-Type"));
  seen->accept = g_strdup (soup_message_headers_get_one (headers, "Accept"));
  seen->system = g_strdup (td_sim_json_get_string (body, "system"));
  g_hash_table_replace (self->last_seen, g_strdup (key), seen);
}

/* Knobs */

static void
reset_knobs (TdVendorSim *self)
{
  for (int v = 0; v < TD_SIM_N_VENDORS; v++)
    {
      self->vendors[v].knobs = self->seed_knobs[v];
      self->vendors[v].hostile = self->seed_hostile[v];
      self->vendors[v].hostile_remaining = self->seed_hostile_remaining[v];
    }

  g_rand_free (self->rand);
  self->seed_set = self->seed_seed_set;
  self->seed = self->seed_seed;
  self->rand = self->seed_set ? g_rand_new_with_seed (self->seed) : g_rand_new ();
}

static gboolean
get_int_member (JsonNode    *node,
                const char  *name,
                gint64       min,
                gint64       max,
                gint64      *value,
                GError     **error)
{
  if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_INT64 ||
      json_node_get_int (node) < min || json_node_get_int (node) > max)
    {
      g_set_error (error, TD_VENDOR_SIM_ERROR, TD_VENDOR_SIM_ERROR_INVALID,
                   "'%s' must be an integer in [%" G_GINT64_FORMAT ", %" G_GINT64_FORMAT "]",
                   name, min, max);
      return FALSE;
    }

  *value = json_node_get_int (node);
  return TRUE;
}

static gboolean
get_bool_member (JsonNode    *node,
                 const char  *name,
                 gboolean    *value,
                 GError     **error)
{
  if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_BOOLEAN)
    {
      g_set_error (error, TD_VENDOR_SIM_ERROR, TD_VENDOR_SIM_ERROR_INVALID,
                   "'%s' must be a boolean", name);
      return FALSE;
    }

  *value = json_node_get_boolean (node);
  return TRUE;
}

/* A vendor-only knob with no vendor named goes to its one vendor. */
static gboolean
vendor_only_knob (const char   *name,
                  int           vendor,
                  TdSimVendor   owner,
                  GError      **error)
{
  if (vendor >= 0 && vendor != (int) owner)
    {
      g_set_error (error, TD_VENDOR_SIM_ERROR, TD_VENDOR_SIM_ERROR_INVALID,
                   "'%s' is a %s knob", name, vendor_info[owner].name);
      return FALSE;
    }

  return TRUE;
}

gboolean
td_vendor_sim_apply_config (TdVendorSim  *self,
                            JsonObject   *config,
                            GError      **error)
{
  TdSimKnobs knobs[TD_SIM_N_VENDORS];
  g_autoptr(GList) members = NULL;
  gboolean seed_set = self->seed_set;
  guint32 seed = self->seed;
  int vendor = -1;

  g_return_val_if_fail (TD_IS_VENDOR_SIM (self), FALSE);
  g_return_val_if_fail (config != NULL, FALSE);

  if (json_object_has_member (config, "vendor") &&
      !json_object_get_null_member (config, "vendor"))
    {
      const char *name = td_sim_json_get_string (config, "vendor");

      if (name == NULL)
        {
          g_set_error_literal (error, TD_VENDOR_SIM_ERROR, TD_VENDOR_SIM_ERROR_INVALID,
                               "'vendor' must be a string");
          return FALSE;
        }
      if (!parse_vendor (name, &vendor, error))
        return FALSE;
    }

  /* Validate everything before changing anything. */
  for (int v = 0; v < TD_SIM_N_VENDORS; v++)
    knobs[v] = self->vendors[v].knobs;

  members = json_object_get_members (config);
  for (GList *l = members; l != NULL; l = l->next)
    {
      const char *name = l->data;
      JsonNode *node = json_object_get_member (config, name);
      gint64 int_value;
      gboolean bool_value;

      if (g_str_equal (name, "vendor"))
        continue;

      if (g_str_equal (name, "latency_ms"))
        {
          if (!get_int_member (node, name, 0, MAX_LATENCY_MS, &int_value, error))
            return FALSE;
          for (int v = 0; v < TD_SIM_N_VENDORS; v++)
            if (vendor < 0 || v == vendor)
              knobs[v].latency_ms = int_value;
        }
      else if (g_str_equal (name, "lifetime_s"))
        {
          /* Negative lifetimes mint tokens that are already expired. */
          if (!get_int_member (node, name, -G_MAXINT32, G_MAXINT32, &int_value, error))
            return FALSE;
          for (int v = 0; v < TD_SIM_N_VENDORS; v++)
            if (vendor < 0 || v == vendor)
              knobs[v].lifetime_s = int_value;
        }
      else if (g_str_equal (name, "clock_skew_s"))
        {
          /* Up to ten years either way. */
          if (!get_int_member (node, name, -315360000, 315360000, &int_value, error))
            return FALSE;
          for (int v = 0; v < TD_SIM_N_VENDORS; v++)
            if (vendor < 0 || v == vendor)
              knobs[v].clock_skew_s = int_value;
        }
      else if (g_str_equal (name, "jwt_exp"))
        {
          /* Any positive time, even past the year 9999: a hostile answer. */
          if (!get_int_member (node, name, 0, G_MAXINT64, &int_value, error))
            return FALSE;
          for (int v = 0; v < TD_SIM_N_VENDORS; v++)
            if (vendor < 0 || v == vendor)
              knobs[v].jwt_exp = int_value;
        }
      else if (g_str_equal (name, "failure_rate"))
        {
          double rate;

          if (!JSON_NODE_HOLDS_VALUE (node) ||
              (json_node_get_value_type (node) != G_TYPE_DOUBLE &&
               json_node_get_value_type (node) != G_TYPE_INT64) ||
              (rate = json_node_get_double (node)) < 0.0 || rate > 1.0)
            {
              g_set_error_literal (error, TD_VENDOR_SIM_ERROR, TD_VENDOR_SIM_ERROR_INVALID,
                                   "'failure_rate' must be a number in [0, 1]");
              return FALSE;
            }
          for (int v = 0; v < TD_SIM_N_VENDORS; v++)
            if (vendor < 0 || v == vendor)
              knobs[v].failure_rate = rate;
        }
      else if (g_str_equal (name, "seed"))
        {
          if (!get_int_member (node, name, 0, G_MAXUINT32, &int_value, error))
            return FALSE;
          seed_set = TRUE;
          seed = int_value;
        }
      else if (g_str_equal (name, "expires_in_as_string"))
        {
          if (!vendor_only_knob (name, vendor, TD_SIM_VENDOR_COVERWHALE, error) ||
              !get_bool_member (node, name, &bool_value, error))
            return FALSE;
          knobs[TD_SIM_VENDOR_COVERWHALE].expires_in_as_string = bool_value;
        }
      else if (g_str_equal (name, "jwt_tokens"))
        {
          if (!vendor_only_knob (name, vendor, TD_SIM_VENDOR_COUCHDROP, error) ||
              !get_bool_member (node, name, &bool_value, error))
            return FALSE;
          knobs[TD_SIM_VENDOR_COUCHDROP].jwt_tokens = bool_value;
        }
      else if (g_str_equal (name, "login_failure_status"))
        {
          if (!vendor_only_knob (name, vendor, TD_SIM_VENDOR_SENMO, error) ||
              !get_int_member (node, name, 400, 401, &int_value, error))
            return FALSE;
          knobs[TD_SIM_VENDOR_SENMO].login_failure_status = int_value;
        }
      else
        {
          g_set_error (error, TD_VENDOR_SIM_ERROR, TD_VENDOR_SIM_ERROR_INVALID,
                       "unknown knob '%s'", name);
          return FALSE;
        }
    }

  for (int v = 0; v < TD_SIM_N_VENDORS; v++)
    self->vendors[v].knobs = knobs[v];

  /* Re-seeding restarts the sequence even with the same seed, so a test can
   * replay the same failures. */
  if (json_object_has_member (config, "seed"))
    {
      self->seed_set = seed_set;
      self->seed = seed;
      g_rand_set_seed (self->rand, seed);
    }

  return TRUE;
}

static JsonObject *
dup_config (TdVendorSim *self)
{
  JsonObject *object = json_object_new ();
  JsonObject *vendors = json_object_new ();

  if (self->seed_set)
    json_object_set_int_member (object, "seed", self->seed);
  else
    json_object_set_null_member (object, "seed");

  for (int v = 0; v < TD_SIM_N_VENDORS; v++)
    {
      const TdSimKnobs *knobs = &self->vendors[v].knobs;
      JsonObject *entry = json_object_new ();

      json_object_set_int_member (entry, "latency_ms", knobs->latency_ms);
      json_object_set_int_member (entry, "lifetime_s", knobs->lifetime_s);
      json_object_set_double_member (entry, "failure_rate", knobs->failure_rate);
      json_object_set_int_member (entry, "clock_skew_s", knobs->clock_skew_s);
      json_object_set_int_member (entry, "jwt_exp", knobs->jwt_exp);
      if (v == TD_SIM_VENDOR_COVERWHALE)
        json_object_set_boolean_member (entry, "expires_in_as_string",
                                        knobs->expires_in_as_string);
      if (v == TD_SIM_VENDOR_COUCHDROP)
        json_object_set_boolean_member (entry, "jwt_tokens", knobs->jwt_tokens);
      if (v == TD_SIM_VENDOR_SENMO)
        json_object_set_int_member (entry, "login_failure_status", knobs->login_failure_status);
      json_object_set_object_member (vendors, vendor_info[v].name, entry);
    }
  json_object_set_object_member (object, "vendors", vendors);

  return object;
}

/* Hostile modes */

gboolean
td_vendor_sim_set_hostile (TdVendorSim  *self,
                           const char   *vendor,
                           const char   *mode,
                           int           count,
                           GError      **error)
{
  TdSimHostileMode parsed = TD_SIM_HOSTILE_NONE;
  int target;

  g_return_val_if_fail (TD_IS_VENDOR_SIM (self), FALSE);

  if (!parse_vendor (vendor, &target, error))
    return FALSE;

  if (mode != NULL)
    {
      guint i;

      for (i = 0; i < G_N_ELEMENTS (hostile_names); i++)
        if (g_str_equal (mode, hostile_names[i]))
          break;

      if (i == G_N_ELEMENTS (hostile_names))
        {
          g_set_error (error, TD_VENDOR_SIM_ERROR, TD_VENDOR_SIM_ERROR_INVALID,
                       "unknown hostile mode '%s'", mode);
          return FALSE;
        }
      parsed = i;
    }

  for (int v = 0; v < TD_SIM_N_VENDORS; v++)
    {
      if (target >= 0 && v != target)
        continue;
      self->vendors[v].hostile = parsed;
      self->vendors[v].hostile_remaining = parsed != TD_SIM_HOSTILE_NONE && count > 0 ? count : -1;
    }

  /* "hang" lasts until cleared: clearing answers what it held. */
  if (parsed != TD_SIM_HOSTILE_HANG)
    release_hanging (self, target);

  return TRUE;
}

static JsonObject *
dup_hostile (TdVendorSim *self)
{
  JsonObject *object = json_object_new ();

  for (int v = 0; v < TD_SIM_N_VENDORS; v++)
    {
      JsonObject *entry = json_object_new ();

      json_object_set_string_member (entry, "mode", hostile_names[self->vendors[v].hostile]);
      json_object_set_int_member (entry, "remaining", self->vendors[v].hostile_remaining);
      json_object_set_object_member (object, vendor_info[v].name, entry);
    }

  return object;
}

static TdSimHostileMode
take_hostile (TdVendorSim *self,
              TdSimVendor  vendor)
{
  TdSimVendorState *state = &self->vendors[vendor];
  TdSimHostileMode mode = state->hostile;

  if (mode != TD_SIM_HOSTILE_NONE && state->hostile_remaining > 0 &&
      --state->hostile_remaining == 0)
    {
      state->hostile = TD_SIM_HOSTILE_NONE;
      state->hostile_remaining = -1;
    }

  return mode;
}

static char *
object_to_string (JsonObject *object)
{
  g_autoptr(JsonNode) node = json_node_new (JSON_NODE_OBJECT);

  json_node_set_object (node, object);
  return json_to_string (node, FALSE);
}

static void
respond_status (SoupServerMessage *msg,
                guint              status)
{
  /* libsoup 3.2 has no name for 429 and would call it "Unknown Error". */
  const char *phrase = status == STATUS_TOO_MANY_REQUESTS ? "Too Many Requests"
                                                          : soup_status_get_phrase (status);

  td_sim_respond_message (msg, status, "message", phrase);
  soup_server_message_set_status (msg, status, phrase);
}

/* The hostile modes stand for a broken server or proxy in front of the
 * vendor: the vendor never sees the request, so no state changes and the
 * tokens in the bodies below are minted but accepted nowhere. */
static TdSimPendingKind
apply_hostile (TdVendorSim      *self,
               TdSimRequest     *req,
               TdSimHostileMode  mode,
               JsonObject       *body,
               GBytes          **slow_body)
{
  const TdSimVendorInfo *info = &vendor_info[req->vendor];
  SoupMessageHeaders *headers = soup_server_message_get_response_headers (req->msg);
  const char *username = td_sim_json_get_string (body, info->login_field);
  TdSimUser *user = NULL;
  TdSimUser stand_in = { 0 };
  g_autoptr(JsonObject) object = NULL;
  g_autofree char *text = NULL;
  g_autofree char *stand_in_id = NULL;
  TdSimShape shape = TD_SIM_SHAPE_VALID;

  if (username != NULL)
    user = td_vendor_sim_lookup_user (self, req->vendor, username);
  if (user == NULL)
    {
      stand_in.username = (char *) (username ? username : "alice");
      stand_in.id = stand_in_id = g_uuid_string_random ();
      user = &stand_in;
    }

  switch (mode)
    {
    case TD_SIM_HOSTILE_STATUS_401:
      respond_status (req->msg, SOUP_STATUS_UNAUTHORIZED);
      break;

    case TD_SIM_HOSTILE_STATUS_403:
      respond_status (req->msg, SOUP_STATUS_FORBIDDEN);
      break;

    case TD_SIM_HOSTILE_STATUS_404:
      respond_status (req->msg, SOUP_STATUS_NOT_FOUND);
      break;

    case TD_SIM_HOSTILE_STATUS_429:
      respond_status (req->msg, STATUS_TOO_MANY_REQUESTS);
      break;

    case TD_SIM_HOSTILE_STATUS_429_RETRY:
      respond_status (req->msg, STATUS_TOO_MANY_REQUESTS);
      soup_message_headers_replace (headers, "Retry-After", "30");
      break;

    case TD_SIM_HOSTILE_STATUS_500:
      respond_status (req->msg, SOUP_STATUS_INTERNAL_SERVER_ERROR);
      break;

    case TD_SIM_HOSTILE_STATUS_502:
      respond_status (req->msg, SOUP_STATUS_BAD_GATEWAY);
      break;

    case TD_SIM_HOSTILE_HTML:
      soup_server_message_set_status (req->msg, SOUP_STATUS_OK, NULL);
      soup_server_message_set_response (req->msg, "text/html; charset=utf-8", SOUP_MEMORY_STATIC,
                                        captive_portal_html, strlen (captive_portal_html));
      break;

    case TD_SIM_HOSTILE_EMPTY:
      soup_server_message_set_status (req->msg, SOUP_STATUS_OK, NULL);
      soup_server_message_set_response (req->msg, "application/json", SOUP_MEMORY_STATIC, "", 0);
      break;

    case TD_SIM_HOSTILE_TRUNCATED:
      object = info->success_body (self, user, TD_SIM_SHAPE_VALID, FALSE);
      text = object_to_string (object);
      soup_server_message_set_status (req->msg, SOUP_STATUS_OK, NULL);
      soup_server_message_set_response (req->msg, "application/json", SOUP_MEMORY_COPY,
                                        text, strlen (text) / 2);
      break;

    case TD_SIM_HOSTILE_WRONG_TYPE:
    case TD_SIM_HOSTILE_MISSING_TOKEN:
    case TD_SIM_HOSTILE_NOT_JWT:
    case TD_SIM_HOSTILE_NO_EXP:
      if (mode == TD_SIM_HOSTILE_WRONG_TYPE)
        shape = TD_SIM_SHAPE_WRONG_TYPE;
      else if (mode == TD_SIM_HOSTILE_MISSING_TOKEN)
        shape = TD_SIM_SHAPE_MISSING;
      else if (mode == TD_SIM_HOSTILE_NOT_JWT)
        shape = TD_SIM_SHAPE_NOT_JWT;
      else
        shape = TD_SIM_SHAPE_NO_EXP;
      object = info->success_body (self, user, shape, FALSE);
      td_sim_respond (req->msg, SOUP_STATUS_OK, object);
      break;

    case TD_SIM_HOSTILE_HUGE:
      {
        GString *huge = g_string_sized_new (HUGE_BODY_SIZE + 1024);
        gsize start;
        gsize len;

        /* Padding first, so a client that caps its read never sees a token. */
        object = info->success_body (self, user, TD_SIM_SHAPE_VALID, FALSE);
        text = object_to_string (object);
        g_string_append (huge, "{\"padding\":\"");
        start = huge->len;
        g_string_set_size (huge, start + HUGE_BODY_SIZE);
        memset (huge->str + start, 'x', HUGE_BODY_SIZE);
        g_string_append (huge, "\",");
        g_string_append (huge, text + 1);
        len = huge->len;
        soup_server_message_set_status (req->msg, SOUP_STATUS_OK, NULL);
        soup_server_message_set_response (req->msg, "application/json", SOUP_MEMORY_TAKE,
                                          g_string_free (huge, FALSE), len);
      }
      break;

    case TD_SIM_HOSTILE_HANG:
      return TD_SIM_PENDING_HANG;

    case TD_SIM_HOSTILE_SLOW:
      object = info->success_body (self, user, TD_SIM_SHAPE_VALID, FALSE);
      text = object_to_string (object);
      *slow_body = g_bytes_new (text, strlen (text));
      soup_server_message_set_status (req->msg, SOUP_STATUS_OK, NULL);
      soup_message_headers_set_content_type (headers, "application/json", NULL);
      soup_message_headers_set_encoding (headers, SOUP_ENCODING_CHUNKED);
      return TD_SIM_PENDING_SLOW;

    case TD_SIM_HOSTILE_RESET:
      return TD_SIM_PENDING_RESET;

    case TD_SIM_HOSTILE_REDIRECT:
      {
        /* Another host on a closed port: following it must fail, and must
         * never carry the password. */
        GUri *uri = soup_server_message_get_uri (req->msg);
        g_autofree char *target = g_strconcat ("http://127.0.0.2:1", g_uri_get_path (uri), NULL);

        soup_server_message_set_redirect (req->msg, SOUP_STATUS_FOUND, target);
      }
      break;

    case TD_SIM_HOSTILE_NONE:
    default:
      g_assert_not_reached ();
    }

  return TD_SIM_PENDING_NONE;
}

/* Paused requests */

static void
pending_free (TdSimPending *pending)
{
  g_clear_signal_handler (&pending->finished_id, pending->msg);
  g_clear_handle_id (&pending->source_id, g_source_remove);
  g_clear_pointer (&pending->slow_body, g_bytes_unref);
  g_clear_object (&pending->msg);
  g_free (pending);
}

static void
pending_done (TdSimPending *pending)
{
  g_ptr_array_remove_fast (pending->sim->pending, pending);
}

static void
on_pending_finished (SoupServerMessage *msg,
                     TdSimPending      *pending)
{
  /* The client went away (or the answer went out): nothing left to do. */
  pending->finished_id = 0;
  pending_done (pending);
}

static void
reset_connection (SoupServerMessage *msg)
{
  g_autoptr(GSocket) socket = NULL;
  g_autoptr(GIOStream) stream = NULL;

  if (soup_server_message_get_socket (msg) != NULL)
    socket = g_object_ref (soup_server_message_get_socket (msg));

  stream = soup_server_message_steal_connection (msg);

  /* SO_LINGER 0 turns the close into a TCP RST: a real "connection reset". */
  if (socket != NULL)
    {
      struct linger linger = { .l_onoff = 1, .l_linger = 0 };

      if (setsockopt (g_socket_get_fd (socket), SOL_SOCKET, SO_LINGER,
                      &linger, sizeof linger) != 0)
        g_printerr ("tokendesk-vendor-sim: SO_LINGER: %s\n", g_strerror (errno));
      g_socket_close (socket, NULL);
    }

  if (stream != NULL)
    g_io_stream_close (stream, NULL, NULL);
}

static gboolean
on_pending_timeout (gpointer user_data)
{
  TdSimPending *pending = user_data;
  SoupMessageBody *body;

  pending->source_id = 0;

  switch (pending->kind)
    {
    case TD_SIM_PENDING_DELAY:
      soup_server_message_unpause (pending->msg);
      pending_done (pending);
      break;

    case TD_SIM_PENDING_RESET:
      /* Stealing finishes the message: don't hear about it. */
      g_clear_signal_handler (&pending->finished_id, pending->msg);
      reset_connection (pending->msg);
      pending_done (pending);
      break;

    case TD_SIM_PENDING_SLOW:
      body = soup_server_message_get_response_body (pending->msg);
      if (pending->slow_offset < g_bytes_get_size (pending->slow_body))
        {
          const char *data = g_bytes_get_data (pending->slow_body, NULL);

          soup_message_body_append (body, SOUP_MEMORY_COPY, data + pending->slow_offset, 1);
          pending->slow_offset++;
          soup_server_message_unpause (pending->msg);
          pending->source_id = g_timeout_add (1000, on_pending_timeout, pending);
        }
      else
        {
          soup_message_body_complete (body);
          soup_server_message_unpause (pending->msg);
          pending_done (pending);
        }
      break;

    case TD_SIM_PENDING_HANG:
    case TD_SIM_PENDING_NONE:
    default:
      g_assert_not_reached ();
    }

  return G_SOURCE_REMOVE;
}

static void
defer (TdVendorSim       *self,
       SoupServerMessage *msg,
       TdSimVendor        vendor,
       TdSimPendingKind   kind,
       GBytes            *slow_body)
{
  int latency = self->vendors[vendor].knobs.latency_ms;
  TdSimPending *pending;

  if (kind == TD_SIM_PENDING_NONE)
    {
      if (latency <= 0)
        return;
      kind = TD_SIM_PENDING_DELAY;
    }

  pending = g_new0 (TdSimPending, 1);
  pending->sim = self;
  pending->msg = g_object_ref (msg);
  pending->vendor = vendor;
  pending->kind = kind;
  pending->slow_body = slow_body ? g_bytes_ref (slow_body) : NULL;
  pending->finished_id = g_signal_connect (msg, "finished",
                                           G_CALLBACK (on_pending_finished), pending);
  g_ptr_array_add (self->pending, pending);

  /* Paused, the server goes on serving others: latency never blocks it. */
  soup_server_message_pause (msg);

  if (kind == TD_SIM_PENDING_HANG)
    return;

  if (latency > 0)
    pending->source_id = g_timeout_add (latency, on_pending_timeout, pending);
  else
    pending->source_id = g_idle_add (on_pending_timeout, pending);
}

static void
release_hanging (TdVendorSim *self,
                 int          vendor)
{
  for (guint i = self->pending->len; i > 0; i--)
    {
      TdSimPending *pending = g_ptr_array_index (self->pending, i - 1);

      if (pending->kind != TD_SIM_PENDING_HANG || (vendor >= 0 && (int) pending->vendor != vendor))
        continue;

      respond_status (pending->msg, SOUP_STATUS_SERVICE_UNAVAILABLE);
      soup_server_message_unpause (pending->msg);
      g_ptr_array_remove_index_fast (self->pending, i - 1);
    }
}

/* Vendor requests */

static JsonObject *
parse_body (SoupServerMessage *msg)
{
  SoupMessageBody *body = soup_server_message_get_request_body (msg);
  g_autoptr(GBytes) bytes = NULL;
  g_autoptr(JsonParser) parser = NULL;
  JsonNode *root;
  gsize len;
  const char *data;

  if (body == NULL || body->length == 0)
    return NULL;

  bytes = soup_message_body_flatten (body);
  data = g_bytes_get_data (bytes, &len);
  parser = json_parser_new ();
  if (!json_parser_load_from_data (parser, data, len, NULL))
    return NULL;

  root = json_parser_get_root (parser);
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    return NULL;

  return json_object_ref (json_node_get_object (root));
}

static gboolean
body_too_large (SoupServerMessage *msg)
{
  return GPOINTER_TO_SIZE (g_object_get_data (G_OBJECT (msg), "td-sim-body-size")) >
         TD_SIM_MAX_REQUEST_BODY;
}

static gboolean
is_json_request (SoupServerMessage *msg)
{
  SoupMessageHeaders *headers = soup_server_message_get_request_headers (msg);
  const char *type = soup_message_headers_get_content_type (headers, NULL);

  return type != NULL && g_ascii_strcasecmp (type, "application/json") == 0;
}

static void
handle_vendor (TdVendorSim       *self,
               SoupServerMessage *msg,
               TdSimVendor        vendor,
               const char        *subpath,
               GHashTable        *query)
{
  const char *method = soup_server_message_get_method (msg);
  const TdSimRoute *route = NULL;
  const char *key = NULL;
  TdSimRequest req = { self, msg, vendor, NULL, query };
  TdSimHostileMode hostile = TD_SIM_HOSTILE_NONE;
  TdSimPendingKind kind = TD_SIM_PENDING_NONE;
  g_autoptr(JsonObject) body = NULL;
  g_autoptr(GBytes) slow_body = NULL;
  g_autofree char *unknown_key = NULL;
  g_autoptr(GString) allow = g_string_new (NULL);
  const TdSimKnobs *knobs = &self->vendors[vendor].knobs;

  for (guint i = 0; i < G_N_ELEMENTS (routes); i++)
    {
      if (routes[i].vendor != vendor || !g_str_equal (routes[i].path, subpath))
        continue;
      key = routes[i].key;
      if (g_str_equal (routes[i].method, method))
        route = &routes[i];
      if (allow->len > 0)
        g_string_append (allow, ", ");
      g_string_append (allow, routes[i].method);
    }

  if (key == NULL)
    {
      unknown_key = g_strconcat (vendor_info[vendor].name, "/unknown", NULL);
      count (self, unknown_key);
      respond_status (msg, SOUP_STATUS_NOT_FOUND);
      goto out;
    }

  count (self, key);

  if (body_too_large (msg))
    {
      respond_status (msg, SOUP_STATUS_REQUEST_ENTITY_TOO_LARGE);
      goto out;
    }

  body = parse_body (msg);
  record_last_seen (self, key, msg, body);

  if (route == NULL)
    {
      soup_message_headers_replace (soup_server_message_get_response_headers (msg), "Allow",
                                    allow->str);
      respond_status (msg, SOUP_STATUS_METHOD_NOT_ALLOWED);
      goto out;
    }

  if (route->is_auth)
    {
      record_last_seen (self, vendor_info[vendor].name, msg, body);

      if (vendor == TD_SIM_VENDOR_COVERWHALE &&
          td_sim_json_get_string (body, "refresh_token") != NULL &&
          !json_object_has_member (body, "password"))
        count (self, COVERWHALE_REFRESH_KEY);

      hostile = take_hostile (self, vendor);
      if (hostile != TD_SIM_HOSTILE_NONE)
        {
          kind = apply_hostile (self, &req, hostile, body, &slow_body);
          goto out;
        }

      if (knobs->failure_rate > 0.0 && g_rand_double (self->rand) < knobs->failure_rate)
        {
          respond_status (msg, SOUP_STATUS_SERVICE_UNAVAILABLE);
          goto out;
        }
    }

  if (g_str_equal (method, "POST") && !is_json_request (msg))
    {
      respond_status (msg, SOUP_STATUS_UNSUPPORTED_MEDIA_TYPE);
      goto out;
    }

  req.body = body;
  route->handler (&req);

out:
  /* libsoup wrote the real time; a vendor with a wrong clock says its own. */
  if (knobs->clock_skew_s != 0)
    {
      g_autoptr(GDateTime) vendor_now =
        g_date_time_new_from_unix_utc (td_vendor_sim_now (self, vendor));
      g_autofree char *date = soup_date_time_to_string (vendor_now, SOUP_DATE_HTTP);

      soup_message_headers_replace (soup_server_message_get_response_headers (msg), "Date",
                                    date);
    }

  if (kind == TD_SIM_PENDING_HANG || kind == TD_SIM_PENDING_RESET)
    td_vendor_sim_note (self, "%s %s %s -> %s", vendor_info[vendor].name, method, subpath,
                        hostile_names[hostile]);
  else
    td_vendor_sim_note (self, "%s %s %s -> %u%s%s", vendor_info[vendor].name, method, subpath,
                        soup_server_message_get_status (msg),
                        hostile != TD_SIM_HOSTILE_NONE ? " hostile " : "",
                        hostile != TD_SIM_HOSTILE_NONE ? hostile_names[hostile] : "");

  defer (self, msg, vendor, kind, slow_body);
}

/* Control API */

typedef JsonObject *(*TdSimControlFunc) (TdVendorSim  *self,
                                         JsonObject   *body,
                                         GHashTable   *query,
                                         GError      **error);

static JsonObject *
ok_object (void)
{
  JsonObject *object = json_object_new ();

  json_object_set_boolean_member (object, "ok", TRUE);
  return object;
}

static gboolean
get_optional_vendor (JsonObject  *body,
                     int         *vendor,
                     GError     **error)
{
  JsonNode *node = json_object_get_member (body, "vendor");

  if (node == NULL || JSON_NODE_HOLDS_NULL (node))
    return parse_vendor (NULL, vendor, error);

  if (json_node_get_value_type (node) != G_TYPE_STRING)
    {
      g_set_error_literal (error, TD_VENDOR_SIM_ERROR, TD_VENDOR_SIM_ERROR_INVALID,
                           "'vendor' must be a string");
      return FALSE;
    }

  return parse_vendor (json_node_get_string (node), vendor, error);
}

static gboolean
require_string (JsonObject  *body,
                const char  *member,
                const char **value,
                GError     **error)
{
  *value = td_sim_json_get_string (body, member);
  if (*value == NULL || **value == '\0')
    {
      g_set_error (error, TD_VENDOR_SIM_ERROR, TD_VENDOR_SIM_ERROR_INVALID,
                   "'%s' must be a non-empty string", member);
      return FALSE;
    }

  return TRUE;
}

static JsonObject *
control_counts (TdVendorSim  *self,
                JsonObject   *body,
                GHashTable   *query,
                GError      **error)
{
  JsonObject *object = json_object_new ();
  GHashTableIter iter;
  gpointer key, value;

  g_hash_table_iter_init (&iter, self->counts);
  while (g_hash_table_iter_next (&iter, &key, &value))
    json_object_set_int_member (object, key, GPOINTER_TO_UINT (value));

  return object;
}

static JsonObject *
control_reset (TdVendorSim  *self,
               JsonObject   *body,
               GHashTable   *query,
               GError      **error)
{
  release_hanging (self, -1);
  reset_counts (self);
  reset_knobs (self);
  seed_users (self);
  g_hash_table_remove_all (self->last_seen);

  return ok_object ();
}

static JsonObject *
control_get_config (TdVendorSim  *self,
                    JsonObject   *body,
                    GHashTable   *query,
                    GError      **error)
{
  return dup_config (self);
}

static JsonObject *
control_set_config (TdVendorSim  *self,
                    JsonObject   *body,
                    GHashTable   *query,
                    GError      **error)
{
  if (!td_vendor_sim_apply_config (self, body, error))
    return NULL;

  return dup_config (self);
}

static JsonObject *
control_get_hostile (TdVendorSim  *self,
                     JsonObject   *body,
                     GHashTable   *query,
                     GError      **error)
{
  return dup_hostile (self);
}

static JsonObject *
control_set_hostile (TdVendorSim  *self,
                     JsonObject   *body,
                     GHashTable   *query,
                     GError      **error)
{
  JsonNode *mode = json_object_get_member (body, "mode");
  JsonNode *count_node = json_object_get_member (body, "count");
  int vendor;
  gint64 n = 0;

  if (!get_optional_vendor (body, &vendor, error))
    return NULL;

  if (mode == NULL ||
      (!JSON_NODE_HOLDS_NULL (mode) && json_node_get_value_type (mode) != G_TYPE_STRING))
    {
      g_set_error_literal (error, TD_VENDOR_SIM_ERROR, TD_VENDOR_SIM_ERROR_INVALID,
                           "'mode' must be a string or null");
      return NULL;
    }

  if (count_node != NULL && !JSON_NODE_HOLDS_NULL (count_node) &&
      !get_int_member (count_node, "count", G_MININT32, G_MAXINT32, &n, error))
    return NULL;

  if (!td_vendor_sim_set_hostile (self, vendor_name (vendor),
                                  JSON_NODE_HOLDS_NULL (mode) ? NULL : json_node_get_string (mode),
                                  n, error))
    return NULL;

  return dup_hostile (self);
}

static JsonObject *
control_users (TdVendorSim  *self,
               JsonObject   *body,
               GHashTable   *query,
               GError      **error)
{
  JsonNode *flags = json_object_get_member (body, "flags");
  const char *username;
  const char *password;
  gboolean twofa = FALSE, forbidden = FALSE, password_expired = FALSE;
  int vendor;

  if (!get_optional_vendor (body, &vendor, error) ||
      !require_string (body, "username", &username, error) ||
      !require_string (body, "password", &password, error))
    return NULL;

  if (flags != NULL && !JSON_NODE_HOLDS_NULL (flags))
    {
      JsonArray *array;

      if (!JSON_NODE_HOLDS_ARRAY (flags))
        {
          g_set_error_literal (error, TD_VENDOR_SIM_ERROR, TD_VENDOR_SIM_ERROR_INVALID,
                               "'flags' must be an array of strings");
          return NULL;
        }

      array = json_node_get_array (flags);
      for (guint i = 0; i < json_array_get_length (array); i++)
        {
          JsonNode *element = json_array_get_element (array, i);
          const char *flag = NULL;

          if (JSON_NODE_HOLDS_VALUE (element) &&
              json_node_get_value_type (element) == G_TYPE_STRING)
            flag = json_node_get_string (element);

          if (g_strcmp0 (flag, "twofa") == 0)
            twofa = TRUE;
          else if (g_strcmp0 (flag, "forbidden") == 0)
            forbidden = TRUE;
          else if (g_strcmp0 (flag, "password_expired") == 0)
            password_expired = TRUE;
          else
            {
              g_set_error (error, TD_VENDOR_SIM_ERROR, TD_VENDOR_SIM_ERROR_INVALID,
                           "unknown flag '%s'", flag ? flag : "(not a string)");
              return NULL;
            }
        }
    }

  for (int v = 0; v < TD_SIM_N_VENDORS; v++)
    {
      TdSimUser *user;

      if (vendor >= 0 && v != vendor)
        continue;

      user = add_user (self, v, username, password);
      user->twofa = twofa;
      user->forbidden = forbidden;
      user->password_expired = password_expired;
    }

  return ok_object ();
}

static JsonObject *
control_admin_tokens (TdVendorSim  *self,
                      JsonObject   *body,
                      GHashTable   *query,
                      GError      **error)
{
  const char *token;

  if (!require_string (body, "token", &token, error))
    return NULL;

  td_vendor_sim_store_token (self, TD_SIM_VENDOR_COUCHDROP, token, NULL,
                             TD_SIM_TOKEN_ADMIN, G_MAXINT64);

  return ok_object ();
}

static JsonObject *
control_revoke (TdVendorSim  *self,
                JsonObject   *body,
                GHashTable   *query,
                GError      **error)
{
  const char *username;
  int vendor;

  if (!get_optional_vendor (body, &vendor, error) ||
      !require_string (body, "username", &username, error))
    return NULL;

  for (int v = 0; v < TD_SIM_N_VENDORS; v++)
    if (vendor < 0 || v == vendor)
      td_vendor_sim_revoke_user (self, v, username);

  return ok_object ();
}

static JsonObject *
control_outbox (TdVendorSim  *self,
                JsonObject   *body,
                GHashTable   *query,
                GError      **error)
{
  const char *username = query ? g_hash_table_lookup (query, "username") : NULL;
  TdSimUser *user;
  JsonObject *object;

  if (username == NULL)
    {
      g_set_error_literal (error, TD_VENDOR_SIM_ERROR, TD_VENDOR_SIM_ERROR_INVALID,
                           "the 'username' parameter is required");
      return NULL;
    }

  user = td_vendor_sim_lookup_user (self, TD_SIM_VENDOR_COVERWHALE, username);
  object = json_object_new ();
  if (user != NULL && user->reset_code != NULL)
    json_object_set_string_member (object, "code", user->reset_code);
  else
    json_object_set_null_member (object, "code");

  return object;
}

static void
set_nullable_string (JsonObject *object,
                     const char *member,
                     const char *value)
{
  if (value != NULL)
    json_object_set_string_member (object, member, value);
  else
    json_object_set_null_member (object, member);
}

static JsonObject *
control_last (TdVendorSim  *self,
              JsonObject   *body,
              GHashTable   *query,
              GError      **error)
{
  const char *vendor = query ? g_hash_table_lookup (query, "vendor") : NULL;
  const char *key = query ? g_hash_table_lookup (query, "key") : NULL;
  TdSimLastSeen *seen;
  JsonObject *object;
  int parsed;

  if ((vendor == NULL) == (key == NULL))
    {
      g_set_error_literal (error, TD_VENDOR_SIM_ERROR, TD_VENDOR_SIM_ERROR_INVALID,
                           "give exactly one of the 'vendor' and 'key' parameters");
      return NULL;
    }

  if (vendor != NULL && !parse_vendor (vendor, &parsed, error))
    return NULL;

  seen = g_hash_table_lookup (self->last_seen, vendor ? vendor : key);
  object = json_object_new ();
  json_object_set_boolean_member (object, "seen", seen != NULL);
  if (seen != NULL)
    {
      set_nullable_string (object, "method", seen->method);
      set_nullable_string (object, "path", seen->path);
      set_nullable_string (object, "user_agent", seen->user_agent);
      set_nullable_string (object, "content_type", seen->content_type);
      set_nullable_string (object, "accept", seen->accept);
      set_nullable_string (object, "system", seen->system);
    }

  return object;
}

/* The tokens of a user that are still accepted, so that a test can look
 * for them where they should not be (a core dump of tokendesk). */
static JsonObject *
control_tokens (TdVendorSim  *self,
                JsonObject   *body,
                GHashTable   *query,
                GError      **error)
{
  const char *vendor = query ? g_hash_table_lookup (query, "vendor") : NULL;
  const char *username = query ? g_hash_table_lookup (query, "username") : NULL;
  static const char * const kind_names[] = {
    [TD_SIM_TOKEN_ACCESS] = "access",
    [TD_SIM_TOKEN_ID] = "id",
    [TD_SIM_TOKEN_REFRESH] = "refresh",
    [TD_SIM_TOKEN_ADMIN] = "admin",
  };
  JsonArray *arrays[G_N_ELEMENTS (kind_names)];
  GHashTableIter iter;
  gpointer token, value;
  JsonObject *object;
  int parsed;

  if (vendor == NULL || username == NULL)
    {
      g_set_error_literal (error, TD_VENDOR_SIM_ERROR, TD_VENDOR_SIM_ERROR_INVALID,
                           "the 'vendor' and 'username' parameters are required");
      return NULL;
    }

  if (!parse_vendor (vendor, &parsed, error))
    return NULL;

  object = json_object_new ();
  for (guint i = 0; i < G_N_ELEMENTS (kind_names); i++)
    {
      arrays[i] = json_array_new ();
      json_object_set_array_member (object, kind_names[i], arrays[i]);
    }

  g_hash_table_iter_init (&iter, self->vendors[parsed].tokens);
  while (g_hash_table_iter_next (&iter, &token, &value))
    {
      TdSimToken *record = value;

      if (g_strcmp0 (record->username, username) == 0 && td_sim_now () < record->expires_at)
        json_array_add_string_element (arrays[record->kind], token);
    }

  return object;
}

typedef struct
{
  const char *method;
  const char *path;
  TdSimControlFunc func;
} TdSimControlRoute;

static const TdSimControlRoute control_routes[] = {
  { "GET", "counts", control_counts },
  { "POST", "reset", control_reset },
  { "GET", "config", control_get_config },
  { "POST", "config", control_set_config },
  { "GET", "hostile", control_get_hostile },
  { "POST", "hostile", control_set_hostile },
  { "POST", "users", control_users },
  { "POST", "admin-tokens", control_admin_tokens },
  { "POST", "revoke", control_revoke },
  { "GET", "outbox", control_outbox },
  { "GET", "last", control_last },
  { "GET", "tokens", control_tokens },
};

static void
handle_control (TdVendorSim       *self,
                SoupServerMessage *msg,
                const char        *what,
                GHashTable        *query)
{
  const char *method = soup_server_message_get_method (msg);
  const TdSimControlRoute *route = NULL;
  gboolean known = FALSE;
  g_autoptr(JsonObject) body = NULL;
  g_autoptr(JsonObject) answer = NULL;
  g_autoptr(GError) error = NULL;

  for (guint i = 0; i < G_N_ELEMENTS (control_routes); i++)
    {
      if (!g_str_equal (control_routes[i].path, what))
        continue;
      known = TRUE;
      if (g_str_equal (control_routes[i].method, method))
        route = &control_routes[i];
    }

  if (!known)
    td_sim_respond_message (msg, SOUP_STATUS_NOT_FOUND, "error", "unknown control endpoint");
  else if (route == NULL)
    td_sim_respond_message (msg, SOUP_STATUS_METHOD_NOT_ALLOWED, "error", "wrong method");
  else if (body_too_large (msg))
    td_sim_respond_message (msg, SOUP_STATUS_REQUEST_ENTITY_TOO_LARGE, "error", "body too large");
  else
    {
      /* POST /_sim/reset needs no body; the others need an object. */
      body = parse_body (msg);
      if (body == NULL && g_str_equal (method, "POST") && route->func != control_reset)
        td_sim_respond_message (msg, SOUP_STATUS_BAD_REQUEST, "error",
                                "the body must be a JSON object");
      else if ((answer = route->func (self, body, query, &error)) == NULL)
        td_sim_respond_message (msg, SOUP_STATUS_BAD_REQUEST, "error", error->message);
      else
        td_sim_respond (msg, SOUP_STATUS_OK, answer);
    }

  td_vendor_sim_note (self, "_sim %s /_sim/%s -> %u", method, what,
                      soup_server_message_get_status (msg));
}

/* Server callbacks */

static void
on_request_chunk (SoupServerMessage *msg,
                  GBytes            *chunk,
                  gpointer           user_data)
{
  gsize total = GPOINTER_TO_SIZE (g_object_get_data (G_OBJECT (msg), "td-sim-body-size"));

  total += g_bytes_get_size (chunk);
  g_object_set_data (G_OBJECT (msg), "td-sim-body-size", GSIZE_TO_POINTER (total));

  /* Keep counting, but stop keeping: the handler answers 413. */
  if (total > TD_SIM_MAX_REQUEST_BODY)
    {
      SoupMessageBody *body = soup_server_message_get_request_body (msg);

      soup_message_body_set_accumulate (body, FALSE);
      soup_message_body_truncate (body);
    }
}

static void
early_cb (SoupServer        *server,
          SoupServerMessage *msg,
          const char        *path,
          GHashTable        *query,
          gpointer           user_data)
{
  SoupMessageHeaders *headers = soup_server_message_get_request_headers (msg);

  if (soup_message_headers_get_encoding (headers) == SOUP_ENCODING_CONTENT_LENGTH &&
      soup_message_headers_get_content_length (headers) > TD_SIM_MAX_REQUEST_BODY)
    soup_message_body_set_accumulate (soup_server_message_get_request_body (msg), FALSE);

  g_signal_connect (msg, "got-chunk", G_CALLBACK (on_request_chunk), NULL);
}

static void
server_cb (SoupServer        *server,
           SoupServerMessage *msg,
           const char        *path,
           GHashTable        *query,
           gpointer           user_data)
{
  TdVendorSim *self = user_data;

  if (g_str_has_prefix (path, "/_sim/"))
    {
      handle_control (self, msg, path + strlen ("/_sim/"), query);
      return;
    }

  for (int v = 0; v < TD_SIM_N_VENDORS; v++)
    {
      const char *prefix = vendor_info[v].prefix;
      gsize len = strlen (prefix);

      if (strncmp (path, prefix, len) == 0 && (path[len] == '/' || path[len] == '\0'))
        {
          handle_vendor (self, msg, v, path + len, query);
          return;
        }
    }

  respond_status (msg, SOUP_STATUS_NOT_FOUND);
  td_vendor_sim_note (self, "%s %s -> 404", soup_server_message_get_method (msg), path);
}

/* GObject */

static void
td_vendor_sim_dispose (GObject *object)
{
  TdVendorSim *self = TD_VENDOR_SIM (object);

  /* Drop the paused requests before their connections go away. */
  if (self->pending != NULL)
    g_ptr_array_set_size (self->pending, 0);

  if (self->server != NULL)
    soup_server_disconnect (self->server);
  g_clear_object (&self->server);

  G_OBJECT_CLASS (td_vendor_sim_parent_class)->dispose (object);
}

static void
td_vendor_sim_finalize (GObject *object)
{
  TdVendorSim *self = TD_VENDOR_SIM (object);

  for (int v = 0; v < TD_SIM_N_VENDORS; v++)
    {
      g_clear_pointer (&self->vendors[v].users, g_hash_table_unref);
      g_clear_pointer (&self->vendors[v].tokens, g_hash_table_unref);
    }

  g_clear_pointer (&self->pending, g_ptr_array_unref);
  g_clear_pointer (&self->counts, g_hash_table_unref);
  g_clear_pointer (&self->last_seen, g_hash_table_unref);
  g_clear_pointer (&self->jwt_secret, g_bytes_unref);
  g_clear_pointer (&self->rand, g_rand_free);
  g_clear_pointer (&self->root, g_free);

  G_OBJECT_CLASS (td_vendor_sim_parent_class)->finalize (object);
}

static void
td_vendor_sim_class_init (TdVendorSimClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = td_vendor_sim_dispose;
  object_class->finalize = td_vendor_sim_finalize;
}

static void
td_vendor_sim_init (TdVendorSim *self)
{
  guint32 secret[8];

  /* A fresh secret per process: tokens from an earlier run never verify. */
  for (guint i = 0; i < G_N_ELEMENTS (secret); i++)
    secret[i] = g_random_int ();
  self->jwt_secret = g_bytes_new (secret, sizeof secret);

  self->server = soup_server_new ("server-header", "tokendesk-vendor-sim/" PACKAGE_VERSION " ",
                                  NULL);
  soup_server_add_early_handler (self->server, NULL, early_cb, self, NULL);
  soup_server_add_handler (self->server, NULL, server_cb, self, NULL);

  for (int v = 0; v < TD_SIM_N_VENDORS; v++)
    {
      self->vendors[v].users = g_hash_table_new_full (g_str_hash, g_str_equal, NULL,
                                                      (GDestroyNotify) user_free);
      self->vendors[v].tokens = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                                       (GDestroyNotify) token_free);
      self->seed_knobs[v] = vendor_info[v].defaults;
      self->seed_hostile[v] = TD_SIM_HOSTILE_NONE;
      self->seed_hostile_remaining[v] = -1;
    }

  self->counts = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  self->last_seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                           (GDestroyNotify) last_seen_free);
  self->pending = g_ptr_array_new_with_free_func ((GDestroyNotify) pending_free);
  self->rand = g_rand_new ();

  reset_counts (self);
  reset_knobs (self);
  seed_users (self);
}

TdVendorSim *
td_vendor_sim_new (void)
{
  return g_object_new (TD_TYPE_VENDOR_SIM, NULL);
}

void
td_vendor_sim_set_quiet (TdVendorSim *self,
                         gboolean     quiet)
{
  g_return_if_fail (TD_IS_VENDOR_SIM (self));

  self->quiet = !!quiet;
}

/* Makes the current knobs and hostile modes what POST /_sim/reset restores:
 * main() calls it once the command line has been applied. */
void
td_vendor_sim_save_seed_state (TdVendorSim *self)
{
  g_return_if_fail (TD_IS_VENDOR_SIM (self));

  for (int v = 0; v < TD_SIM_N_VENDORS; v++)
    {
      self->seed_knobs[v] = self->vendors[v].knobs;
      self->seed_hostile[v] = self->vendors[v].hostile;
      self->seed_hostile_remaining[v] = self->vendors[v].hostile_remaining;
    }
  self->seed_seed_set = self->seed_set;
  self->seed_seed = self->seed;
}

gboolean
td_vendor_sim_listen (TdVendorSim      *self,
                      guint             port,
                      GTlsCertificate  *certificate,
                      GError          **error)
{
  SoupServerListenOptions options = SOUP_SERVER_LISTEN_IPV4_ONLY;

  g_return_val_if_fail (TD_IS_VENDOR_SIM (self), FALSE);
  g_return_val_if_fail (certificate == NULL || G_IS_TLS_CERTIFICATE (certificate), FALSE);

  if (certificate != NULL)
    {
      soup_server_set_tls_certificate (self->server, certificate);
      options |= SOUP_SERVER_LISTEN_HTTPS;
      self->tls = TRUE;
    }

  /* listen_local binds the loopback address only. */
  if (!soup_server_listen_local (self->server, port, options, error))
    return FALSE;

  g_clear_pointer (&self->root, g_free);
  self->root = td_vendor_sim_dup_root (self);
  return TRUE;
}

char *
td_vendor_sim_dup_root (TdVendorSim *self)
{
  GSList *uris;
  int port = 0;

  g_return_val_if_fail (TD_IS_VENDOR_SIM (self), NULL);

  uris = soup_server_get_uris (self->server);
  if (uris != NULL)
    port = g_uri_get_port (uris->data);
  g_slist_free_full (uris, (GDestroyNotify) g_uri_unref);

  if (port <= 0)
    return g_strdup (self->tls ? "https://127.0.0.1" : "http://127.0.0.1");

  return g_strdup_printf ("%s://127.0.0.1:%d", self->tls ? "https" : "http", port);
}
