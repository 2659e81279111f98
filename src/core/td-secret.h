/* td-secret.h: secrets in memory, overwritten as soon as they are no longer needed
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <json-glib/json-glib.h>

G_BEGIN_DECLS

/* Overwrites length bytes at data with zeros; the compiler may not drop it. */
void      td_secret_wipe            (gpointer        data,
                                     gsize           length);

/* Overwrite a secret string in place before freeing it. */
void      td_secret_free            (char           *secret);

/* g_auto(TdSecret) token = …: a string wiped and freed at scope exit. */
typedef char *TdSecret;
G_DEFINE_AUTO_CLEANUP_FREE_FUNC (TdSecret, td_secret_free, NULL)

/* A GBytes owning data (from g_malloc), wiped when its last reference goes. */
GBytes   *td_secret_bytes_new_take  (gpointer        data,
                                     gsize           length);

/* Wipes every string value in the tree of node. Only for a tree about to
 * be freed: nothing else may read those strings afterwards. */
void      td_secret_json_wipe       (JsonNode       *node);
/* td_secret_json_wipe, then json_node_unref. */
void      td_secret_json_free       (JsonNode       *node);

/* g_auto(TdSecretJson) body = …: a JSON tree wiped and released at scope exit. */
typedef JsonNode *TdSecretJson;
G_DEFINE_AUTO_CLEANUP_FREE_FUNC (TdSecretJson, td_secret_json_free, NULL)

/* Compact JSON text of node, NUL-terminated, in one allocation of the exact
 * size: JsonGenerator grows a GString, leaving freed copies of the text so
 * far behind each time, and escapes every string into a copy of its own. */
char     *td_secret_json_to_string  (JsonNode       *node,
                                     gsize          *length);

/* g_strconcat, wiping: one allocation, for strings that hold a secret
 * (g_strdup_printf grows its buffer, leaving copies behind). */
char     *td_secret_concat          (const char     *first,
                                     ...) G_GNUC_NULL_TERMINATED;

/* g_shell_quote in one allocation of the exact size (g_shell_quote grows
 * a GString). */
char     *td_secret_shell_quote     (const char     *text);

G_END_DECLS
