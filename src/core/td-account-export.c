/* td-account-export.c: account definitions as JSON, to move them between machines
 *
 * The file, for a person reading it:
 *
 *   {
 *     "format" : "tokendesk-accounts",
 *     "version" : 1,
 *     "accounts" : [
 *       {
 *         "name" : "Work",
 *         "vendor" : "coverwhale",
 *         "username" : "alice",
 *         "endpoint" : "sandbox",
 *         "hand-out" : "id",
 *         "remember-password" : false,
 *         "admin-token" : false,
 *         "assumed-lifetime" : 3600,
 *         "renew-automatically" : false
 *       }
 *     ]
 *   }
 *
 * What accounts.ini holds, without the ids: an imported account gets a new
 * one, so that importing on the machine that exported never mixes two
 * accounts' keyring items. Nothing secret, ever: an account that uses an
 * administrative token says so and needs the token pasted again.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "td-account-export"

#include "config.h"

#include <glib/gi18n-lib.h>
#include <json-glib/json-glib.h>
#include <string.h>

#include "td-account-export.h"
#include "td-account-name.h"
#include "td-error.h"
#include "td-provider.h"

/* The bounds accounts.ini accepts too. */
#define MIN_ASSUMED_LIFETIME 60
#define MAX_ASSUMED_LIFETIME (7 * 24 * 3600)

/* Writing ---------------------------------------------------------------- */

static void
add_string_or_null (JsonBuilder *builder,
                    const char  *member,
                    const char  *value)
{
  json_builder_set_member_name (builder, member);
  if (value != NULL)
    json_builder_add_string_value (builder, value);
  else
    json_builder_add_null_value (builder);
}

static void
add_boolean (JsonBuilder *builder,
             const char  *member,
             gboolean     value)
{
  json_builder_set_member_name (builder, member);
  json_builder_add_boolean_value (builder, value);
}

GBytes *
td_account_export_to_bytes (GPtrArray *accounts)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonGenerator) generator = json_generator_new ();
  g_autoptr(JsonNode) root = NULL;
  g_autofree char *data = NULL;

  g_return_val_if_fail (accounts != NULL, NULL);

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "format");
  json_builder_add_string_value (builder, TD_ACCOUNT_EXPORT_FORMAT);
  json_builder_set_member_name (builder, "version");
  json_builder_add_int_value (builder, TD_ACCOUNT_EXPORT_VERSION);
  json_builder_set_member_name (builder, "accounts");
  json_builder_begin_array (builder);

  for (guint i = 0; i < accounts->len; i++)
    {
      TdAccount *account = g_ptr_array_index (accounts, i);

      g_return_val_if_fail (TD_IS_ACCOUNT (account), NULL);

      json_builder_begin_object (builder);
      add_string_or_null (builder, "name", td_account_get_display_name (account));
      add_string_or_null (builder, "vendor", td_account_get_vendor (account));
      add_string_or_null (builder, "username", td_account_get_username (account));
      add_string_or_null (builder, "endpoint", td_account_get_endpoint (account));
      add_string_or_null (builder, "hand-out",
                          td_hand_out_to_string (td_account_get_hand_out (account)));
      add_boolean (builder, "remember-password", td_account_get_remember_password (account));
      add_boolean (builder, "admin-token", td_account_get_admin_token (account));
      json_builder_set_member_name (builder, "assumed-lifetime");
      json_builder_add_int_value (builder, td_account_get_assumed_lifetime (account));
      add_boolean (builder, "renew-automatically",
                   td_account_get_renew_automatically (account));
      json_builder_end_object (builder);
    }

  json_builder_end_array (builder);
  json_builder_end_object (builder);

  root = json_builder_get_root (builder);
  json_generator_set_root (generator, root);
  json_generator_set_pretty (generator, TRUE);
  data = json_generator_to_data (generator, NULL);

  return g_bytes_new_take (g_strconcat (data, "\n", NULL), strlen (data) + 1);
}

/* Reading ---------------------------------------------------------------- */

/* Each sets error with the member's name when the member has another type;
 * an absent member or a null is the default. */

static gboolean
get_string (JsonObject  *object,
            const char  *member,
            const char **out_value,
            GError     **error)
{
  JsonNode *node = json_object_get_member (object, member);

  *out_value = NULL;
  if (node == NULL || JSON_NODE_HOLDS_NULL (node))
    return TRUE;

  if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_STRING)
    {
      g_set_error (error, TD_ERROR, TD_ERROR_FAILED, _("“%s” is not a string"), member);
      return FALSE;
    }

  /* json-glib decodes a lone surrogate ("\ud800x") to bytes that are not
   * UTF-8: a name shown in GTK and saved in accounts.ini must be text. */
  if (!g_utf8_validate (json_node_get_string (node), -1, NULL))
    {
      g_set_error (error, TD_ERROR, TD_ERROR_FAILED, _("“%s” is not valid text"), member);
      return FALSE;
    }

  *out_value = json_node_get_string (node);
  return TRUE;
}

static gboolean
get_boolean (JsonObject  *object,
             const char  *member,
             gboolean    *out_value,
             GError     **error)
{
  JsonNode *node = json_object_get_member (object, member);

  if (node == NULL || JSON_NODE_HOLDS_NULL (node))
    return TRUE;

  if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_BOOLEAN)
    {
      g_set_error (error, TD_ERROR, TD_ERROR_FAILED, _("“%s” is not true or false"), member);
      return FALSE;
    }

  *out_value = json_node_get_boolean (node);
  return TRUE;
}

static gboolean
get_int (JsonObject  *object,
         const char  *member,
         gint64      *out_value,
         GError     **error)
{
  JsonNode *node = json_object_get_member (object, member);

  if (node == NULL || JSON_NODE_HOLDS_NULL (node))
    return TRUE;

  if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_INT64)
    {
      g_set_error (error, TD_ERROR, TD_ERROR_FAILED, _("“%s” is not a whole number"), member);
      return FALSE;
    }

  *out_value = json_node_get_int (node);
  return TRUE;
}

static gboolean
is_blank (const char *text)
{
  if (text == NULL)
    return TRUE;

  for (; *text; text++)
    if (!g_ascii_isspace (*text))
      return FALSE;

  return TRUE;
}

/* One entry of "accounts" as a new account, or NULL with error saying what
 * is wrong (without naming the entry: the caller does). */
static TdAccount *
parse_account (JsonNode  *node,
               GError   **error)
{
  g_autoptr(TdAccount) account = NULL;
  g_autoptr(GError) local_error = NULL;
  g_autofree char *base_url = NULL;
  g_autofree char *name = NULL;
  JsonObject *object;
  TdProvider *provider;
  const char *name_member = NULL;
  const char *vendor = NULL;
  const char *username = NULL;
  const char *endpoint = NULL;
  const char *hand_out = NULL;
  TdHandOut hand_out_value = TD_HAND_OUT_ID_TOKEN;
  gboolean remember_password = FALSE;
  gboolean admin_token = FALSE;
  gboolean renew = FALSE;
  gboolean has_renew;
  gint64 lifetime = TD_ACCOUNT_DEFAULT_ASSUMED_LIFETIME;

  if (!JSON_NODE_HOLDS_OBJECT (node))
    {
      g_set_error_literal (error, TD_ERROR, TD_ERROR_FAILED, _("it is not an object"));
      return NULL;
    }
  object = json_node_get_object (node);

  if (!get_string (object, "name", &name_member, error) ||
      !get_string (object, "vendor", &vendor, error) ||
      !get_string (object, "username", &username, error) ||
      !get_string (object, "endpoint", &endpoint, error) ||
      !get_string (object, "hand-out", &hand_out, error) ||
      !get_boolean (object, "remember-password", &remember_password, error) ||
      !get_boolean (object, "admin-token", &admin_token, error) ||
      !get_boolean (object, "renew-automatically", &renew, error) ||
      !get_int (object, "assumed-lifetime", &lifetime, error))
    return NULL;

  if (is_blank (name_member))
    {
      g_set_error_literal (error, TD_ERROR, TD_ERROR_FAILED, _("it has no name"));
      return NULL;
    }
  name = g_strstrip (g_strdup (name_member));
  if (!td_account_name_check (name, error))
    return NULL;

  if (is_blank (vendor))
    {
      g_set_error_literal (error, TD_ERROR, TD_ERROR_FAILED, _("it has no vendor"));
      return NULL;
    }

  provider = td_provider_get_for_vendor (vendor);
  if (provider == NULL)
    {
      g_set_error (error, TD_ERROR, TD_ERROR_FAILED,
                   _("this version of Token Desk does not know the vendor “%s”"), vendor);
      return NULL;
    }

  if (admin_token && !td_provider_has_feature (provider, TD_PROVIDER_FEATURE_ADMIN_TOKEN))
    {
      g_set_error (error, TD_ERROR, TD_ERROR_FAILED, _("%s has no administrative tokens"),
                   td_provider_get_display_name (provider));
      return NULL;
    }

  if (!admin_token && is_blank (username))
    {
      g_set_error_literal (error, TD_ERROR, TD_ERROR_FAILED, _("it has no username"));
      return NULL;
    }

  if (is_blank (endpoint))
    endpoint = NULL;
  base_url = td_provider_resolve_base_url (provider, endpoint, &local_error);
  if (base_url == NULL)
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return NULL;
    }

  if (hand_out != NULL && !td_hand_out_from_string (hand_out, &hand_out_value))
    {
      g_set_error (error, TD_ERROR, TD_ERROR_FAILED, _("unknown hand-out “%s”"), hand_out);
      return NULL;
    }

  if (lifetime < MIN_ASSUMED_LIFETIME || lifetime > MAX_ASSUMED_LIFETIME)
    {
      g_set_error_literal (error, TD_ERROR, TD_ERROR_FAILED,
                           _("the assumed lifetime is out of range"));
      return NULL;
    }

  has_renew = json_object_has_member (object, "renew-automatically") &&
              !JSON_NODE_HOLDS_NULL (json_object_get_member (object, "renew-automatically"));

  account = td_account_new (NULL, td_provider_get_vendor_id (provider));
  td_account_set_display_name (account, name);
  td_account_set_username (account, admin_token || is_blank (username) ? NULL : username);
  td_account_set_endpoint (account, endpoint);
  td_account_set_hand_out (account, hand_out_value);
  td_account_set_remember_password (account, remember_password && !admin_token);
  td_account_set_admin_token (account, admin_token);
  td_account_set_assumed_lifetime (account, (guint) lifetime);
  td_account_set_renew_automatically (account,
                                      has_renew ? renew
                                                : td_provider_renews_freely (provider, account));

  return g_steal_pointer (&account);
}

/* json-glib hands strings out as C strings, cut at an escaped NUL: "a\u0000b"
 * would be imported as "a", another name than the file says. Found in the
 * text: a \u0000 whose backslash is not itself escaped. */
static gboolean
has_escaped_nul (const char *data,
                 gsize       length)
{
  for (gsize i = 0; i + 6 <= length; i++)
    {
      gsize backslashes = 0;

      if (data[i] != '\\' || g_ascii_strncasecmp (data + i + 1, "u0000", 5) != 0)
        continue;
      while (backslashes < i && data[i - 1 - backslashes] == '\\')
        backslashes++;
      if (backslashes % 2 == 0)
        return TRUE;
    }

  return FALSE;
}

GPtrArray *
td_account_export_parse (GBytes      *contents,
                         const char  *where,
                         GError     **error)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GPtrArray) accounts = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(GHashTable) names = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autoptr(GError) local_error = NULL;
  const char *format = NULL;
  gint64 version = 0;
  JsonObject *root;
  JsonNode *accounts_node;
  JsonArray *array;
  gconstpointer data;
  gsize length;

  g_return_val_if_fail (contents != NULL, NULL);
  g_return_val_if_fail (where != NULL, NULL);

  data = g_bytes_get_data (contents, &length);

#define UNUSABLE(fmt, ...) \
  G_STMT_START { \
    g_autofree char *reason = g_strdup_printf (fmt, __VA_ARGS__); \
    g_set_error (error, TD_ERROR, TD_ERROR_FAILED, \
                 _("%s cannot be imported, nothing was added: %s"), where, reason); \
    return NULL; \
  } G_STMT_END

  /* json-glib quotes the string it could not read in its message, bytes
   * that are not UTF-8 included: the message is shown in GTK and printed. */
  if (length == 0 || !json_parser_load_from_data (parser, data, length, &local_error))
    {
      g_autofree char *parse_error = NULL;

      parse_error = local_error ? g_utf8_make_valid (local_error->message, -1)
                                : g_strdup (_("the file is empty"));
      UNUSABLE ("%s", parse_error);
    }

  if (has_escaped_nul (data, length))
    UNUSABLE ("%s", _("a text in it holds a NUL character (\\u0000)"));

  /* Only blanks parse to no root at all. */
  if (json_parser_get_root (parser) == NULL ||
      !JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)))
    UNUSABLE ("%s", _("it is not a Token Desk account export"));
  root = json_node_get_object (json_parser_get_root (parser));

  if (!get_string (root, "format", &format, NULL) ||
      g_strcmp0 (format, TD_ACCOUNT_EXPORT_FORMAT) != 0)
    UNUSABLE ("%s", _("it is not a Token Desk account export"));

  if (!get_int (root, "version", &version, &local_error))
    UNUSABLE ("%s", local_error->message);

  if (version > TD_ACCOUNT_EXPORT_VERSION)
    {
      g_autofree char *found = g_strdup_printf ("%" G_GINT64_FORMAT, version);

      g_set_error (error, TD_ERROR, TD_ERROR_FAILED,
                   _("%s is from a newer version of Token Desk (format %s; this one reads up "
                     "to %d), nothing was added"),
                   where, found, TD_ACCOUNT_EXPORT_VERSION);
      return NULL;
    }

  if (version < 1)
    UNUSABLE ("%s", _("it has no valid version"));

  accounts_node = json_object_get_member (root, "accounts");
  if (accounts_node == NULL || !JSON_NODE_HOLDS_ARRAY (accounts_node))
    UNUSABLE ("%s", _("it has no list of accounts"));
  array = json_node_get_array (accounts_node);

  for (guint i = 0; i < json_array_get_length (array); i++)
    {
      g_autoptr(TdAccount) account = NULL;
      const char *name;

      account = parse_account (json_array_get_element (array, i), &local_error);
      if (account == NULL)
        {
          JsonNode *node = json_array_get_element (array, i);
          const char *entry_name = NULL;

          if (JSON_NODE_HOLDS_OBJECT (node))
            get_string (json_node_get_object (node), "name", &entry_name, NULL);

          /* Translators: "account 2 (“Work”): it has no vendor" */
          if (!is_blank (entry_name))
            {
              g_autofree char *shown = td_account_name_dup_printable (entry_name);

              UNUSABLE (_("account %u (“%s”): %s"), i + 1, shown, local_error->message);
            }
          else
            UNUSABLE (_("account %u: %s"), i + 1, local_error->message);
        }

      name = td_account_get_display_name (account);
      if (!g_hash_table_add (names, g_utf8_casefold (name, -1)))
        UNUSABLE (_("two accounts are named “%s”"), name);

      g_ptr_array_add (accounts, g_steal_pointer (&account));
    }

#undef UNUSABLE

  return g_steal_pointer (&accounts);
}

/* Adding ----------------------------------------------------------------- */

static char *
dup_free_name (TdAccountList *list,
               const char    *base)
{
  char *name = NULL;

  for (guint i = 2; name == NULL || td_account_list_find_by_name (list, name); i++)
    {
      g_free (name);
      /* Translators: an imported account renamed because its name was
       * taken, "Work 2"; the same as a default account name. */
      name = g_strdup_printf (C_("account name", "%s %u"), base, i);
    }

  return name;
}

GPtrArray *
td_account_export_add_to_list (TdAccountList *list,
                               GPtrArray     *accounts,
                               gboolean       rename,
                               GPtrArray     *skipped)
{
  g_autoptr(GPtrArray) added = g_ptr_array_new_with_free_func (g_object_unref);

  g_return_val_if_fail (TD_IS_ACCOUNT_LIST (list), NULL);
  g_return_val_if_fail (accounts != NULL, NULL);

  for (guint i = 0; i < accounts->len; i++)
    {
      TdAccount *account = g_ptr_array_index (accounts, i);
      const char *name = td_account_get_display_name (account);
      g_autoptr(GError) error = NULL;

      if (td_account_list_find_by_name (list, name) != NULL)
        {
          if (!rename)
            {
              if (skipped != NULL)
                g_ptr_array_add (skipped, g_strdup (name));
              continue;
            }
          else
            {
              g_autofree char *free_name = dup_free_name (list, name);

              td_account_set_display_name (account, free_name);
            }
        }

      /* The id is new and the name free: nothing else can fail. */
      if (!td_account_list_add (list, account, &error))
        {
          g_warning ("Could not add an imported account: %s", error->message);
          continue;
        }

      g_ptr_array_add (added, g_object_ref (account));
    }

  return g_steal_pointer (&added);
}
