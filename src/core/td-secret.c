/* td-secret.c
 *
 * Not a defence against a debugger: against the bytes of a password or a
 * token lingering in freed heap memory, where a core dump, a swapped-out
 * page or a later allocation could show them. Every copy we make is wiped
 * before it is freed; the copies libraries make inside are theirs.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <string.h>

#include "td-secret.h"

void
td_secret_wipe (gpointer data,
                gsize    length)
{
  if (data != NULL && length > 0)
    explicit_bzero (data, length);
}

void
td_secret_free (char *secret)
{
  if (secret == NULL)
    return;

  td_secret_wipe (secret, strlen (secret));
  g_free (secret);
}

/* Bytes ------------------------------------------------------------------ */

typedef struct
{
  gpointer data;
  gsize    length;
} SecretBytes;

static void
secret_bytes_free (gpointer user_data)
{
  SecretBytes *bytes = user_data;

  td_secret_wipe (bytes->data, bytes->length);
  g_free (bytes->data);
  g_free (bytes);
}

GBytes *
td_secret_bytes_new_take (gpointer data,
                          gsize    length)
{
  SecretBytes *bytes = g_new (SecretBytes, 1);

  bytes->data = data;
  bytes->length = length;

  return g_bytes_new_with_free_func (data, length, secret_bytes_free, bytes);
}

/* JSON trees ------------------------------------------------------------- */

void
td_secret_json_wipe (JsonNode *node)
{
  if (node == NULL)
    return;

  switch (JSON_NODE_TYPE (node))
    {
    case JSON_NODE_OBJECT:
      {
        JsonObjectIter iter;
        JsonNode *member;

        json_object_iter_init (&iter, json_node_get_object (node));
        while (json_object_iter_next (&iter, NULL, &member))
          td_secret_json_wipe (member);
      }
      break;

    case JSON_NODE_ARRAY:
      {
        JsonArray *array = json_node_get_array (node);

        for (guint i = 0; i < json_array_get_length (array); i++)
          td_secret_json_wipe (json_array_get_element (array, i));
      }
      break;

    case JSON_NODE_VALUE:
      /* json-glib lends its own copy of the string: overwriting it in
       * place is the only way to reach it before the node frees it. */
      if (json_node_get_value_type (node) == G_TYPE_STRING)
        {
          char *text = (char *) json_node_get_string (node);

          if (text != NULL)
            td_secret_wipe (text, strlen (text));
        }
      break;

    case JSON_NODE_NULL:
    default:
      break;
    }
}

void
td_secret_json_free (JsonNode *node)
{
  if (node == NULL)
    return;

  td_secret_json_wipe (node);
  json_node_unref (node);
}

/* Writing JSON: measured first, then written into one buffer of that size. */

typedef struct
{
  char  *out;     /* NULL while measuring */
  gsize  length;
} Writer;

static void
write_bytes (Writer     *writer,
             const char *bytes,
             gsize       length)
{
  if (writer->out != NULL)
    memcpy (writer->out + writer->length, bytes, length);
  writer->length += length;
}

static void
write_text (Writer     *writer,
            const char *text)
{
  write_bytes (writer, text, strlen (text));
}

/* Escapes as RFC 8259 asks: quote, backslash and the control characters. */
static void
write_escape (Writer *writer,
              guchar  c)
{
  static const char short_forms[] = "\bb\ff\nn\rr\tt\"\"\\\\";
  char escape[8];

  for (guint i = 0; short_forms[i] != '\0'; i += 2)
    {
      if ((guchar) short_forms[i] == c)
        {
          escape[0] = '\\';
          escape[1] = short_forms[i + 1];
          write_bytes (writer, escape, 2);
          return;
        }
    }

  g_snprintf (escape, sizeof escape, "\\u%04x", c);
  write_bytes (writer, escape, 6);
}

static void
write_string (Writer     *writer,
              const char *text)
{
  const char *p = text;

  write_bytes (writer, "\"", 1);

  while (*p != '\0')
    {
      gsize plain = 0;

      while (p[plain] != '\0' && (guchar) p[plain] >= 0x20 && p[plain] != '"' && p[plain] != '\\')
        plain++;
      write_bytes (writer, p, plain);
      p += plain;

      if (*p != '\0')
        write_escape (writer, (guchar) *p++);
    }

  write_bytes (writer, "\"", 1);
}

static void
write_value (Writer   *writer,
             JsonNode *node)
{
  char number[G_ASCII_DTOSTR_BUF_SIZE];
  GType type = json_node_get_value_type (node);

  if (type == G_TYPE_STRING)
    write_string (writer, json_node_get_string (node));
  else if (type == G_TYPE_INT64)
    {
      g_snprintf (number, sizeof number, "%" G_GINT64_FORMAT, json_node_get_int (node));
      write_text (writer, number);
    }
  else if (type == G_TYPE_DOUBLE)
    write_text (writer, g_ascii_dtostr (number, sizeof number, json_node_get_double (node)));
  else if (type == G_TYPE_BOOLEAN)
    write_text (writer, json_node_get_boolean (node) ? "true" : "false");
  else
    write_text (writer, "null");
}

static void
write_node (Writer   *writer,
            JsonNode *node)
{
  switch (JSON_NODE_TYPE (node))
    {
    case JSON_NODE_OBJECT:
      {
        JsonObject *object = json_node_get_object (node);
        /* In the order the members were added, as JsonGenerator writes
         * them; a JsonObjectIter goes in hash order. */
        g_autoptr(GList) names = json_object_get_members (object);

        write_bytes (writer, "{", 1);
        for (GList *l = names; l != NULL; l = l->next)
          {
            if (l != names)
              write_bytes (writer, ",", 1);
            write_string (writer, l->data);
            write_bytes (writer, ":", 1);
            write_node (writer, json_object_get_member (object, l->data));
          }
        write_bytes (writer, "}", 1);
      }
      break;

    case JSON_NODE_ARRAY:
      {
        JsonArray *array = json_node_get_array (node);

        write_bytes (writer, "[", 1);
        for (guint i = 0; i < json_array_get_length (array); i++)
          {
            if (i > 0)
              write_bytes (writer, ",", 1);
            write_node (writer, json_array_get_element (array, i));
          }
        write_bytes (writer, "]", 1);
      }
      break;

    case JSON_NODE_VALUE:
      write_value (writer, node);
      break;

    case JSON_NODE_NULL:
    default:
      write_text (writer, "null");
      break;
    }
}

char *
td_secret_json_to_string (JsonNode *node,
                          gsize    *length)
{
  Writer writer = { NULL, 0 };

  g_return_val_if_fail (node != NULL, NULL);

  write_node (&writer, node);
  writer.out = g_malloc (writer.length + 1);
  writer.length = 0;
  write_node (&writer, node);
  writer.out[writer.length] = '\0';

  if (length != NULL)
    *length = writer.length;

  return writer.out;
}

/* Strings ---------------------------------------------------------------- */

char *
td_secret_concat (const char *first,
                  ...)
{
  va_list args;
  gsize length = 0;
  char *result;
  char *end;

  va_start (args, first);
  for (const char *part = first; part != NULL; part = va_arg (args, const char *))
    length += strlen (part);
  va_end (args);

  result = g_malloc (length + 1);
  end = result;

  va_start (args, first);
  for (const char *part = first; part != NULL; part = va_arg (args, const char *))
    end = g_stpcpy (end, part);
  va_end (args);

  return result;
}

char *
td_secret_shell_quote (const char *text)
{
  gsize length = 2;
  char *quoted;
  char *end;

  g_return_val_if_fail (text != NULL, NULL);

  /* Single quotes keep everything but a single quote, which becomes '\'' */
  for (const char *p = text; *p != '\0'; p++)
    length += *p == '\'' ? 4 : 1;

  quoted = g_malloc (length + 1);
  end = quoted;
  *end++ = '\'';
  for (const char *p = text; *p != '\0'; p++)
    {
      if (*p == '\'')
        end = g_stpcpy (end, "'\\''");
      else
        *end++ = *p;
    }
  *end++ = '\'';
  *end = '\0';

  return quoted;
}
