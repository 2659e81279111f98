/* td-tray-menu.c: a menu over D-Bus (com.canonical.dbusmenu), as
 * StatusNotifierItem hosts read it
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "td-tray-menu"

#include "config.h"

#include <gtk/gtk.h>

#include "td-tray-menu.h"

/* Version 3: hosts send EventGroup and AboutToShowGroup; older hosts call
 * Event and AboutToShow, which are answered as well. */
#define DBUSMENU_VERSION 3

static const char introspection_xml[] =
  "<node>"
  "  <interface name='com.canonical.dbusmenu'>"
  "    <property name='Version' type='u' access='read'/>"
  "    <property name='TextDirection' type='s' access='read'/>"
  "    <property name='Status' type='s' access='read'/>"
  "    <property name='IconThemePath' type='as' access='read'/>"
  "    <method name='GetLayout'>"
  "      <arg type='i' name='parentId' direction='in'/>"
  "      <arg type='i' name='recursionDepth' direction='in'/>"
  "      <arg type='as' name='propertyNames' direction='in'/>"
  "      <arg type='u' name='revision' direction='out'/>"
  "      <arg type='(ia{sv}av)' name='layout' direction='out'/>"
  "    </method>"
  "    <method name='GetGroupProperties'>"
  "      <arg type='ai' name='ids' direction='in'/>"
  "      <arg type='as' name='propertyNames' direction='in'/>"
  "      <arg type='a(ia{sv})' name='properties' direction='out'/>"
  "    </method>"
  "    <method name='GetProperty'>"
  "      <arg type='i' name='id' direction='in'/>"
  "      <arg type='s' name='name' direction='in'/>"
  "      <arg type='v' name='value' direction='out'/>"
  "    </method>"
  "    <method name='Event'>"
  "      <arg type='i' name='id' direction='in'/>"
  "      <arg type='s' name='eventId' direction='in'/>"
  "      <arg type='v' name='data' direction='in'/>"
  "      <arg type='u' name='timestamp' direction='in'/>"
  "    </method>"
  "    <method name='EventGroup'>"
  "      <arg type='a(isvu)' name='events' direction='in'/>"
  "      <arg type='ai' name='idErrors' direction='out'/>"
  "    </method>"
  "    <method name='AboutToShow'>"
  "      <arg type='i' name='id' direction='in'/>"
  "      <arg type='b' name='needUpdate' direction='out'/>"
  "    </method>"
  "    <method name='AboutToShowGroup'>"
  "      <arg type='ai' name='ids' direction='in'/>"
  "      <arg type='ai' name='updatesNeeded' direction='out'/>"
  "      <arg type='ai' name='idErrors' direction='out'/>"
  "    </method>"
  "    <signal name='ItemsPropertiesUpdated'>"
  "      <arg type='a(ia{sv})' name='updatedProps'/>"
  "      <arg type='a(ias)' name='removedProps'/>"
  "    </signal>"
  "    <signal name='LayoutUpdated'>"
  "      <arg type='u' name='revision'/>"
  "      <arg type='i' name='parent'/>"
  "    </signal>"
  "    <signal name='ItemActivationRequested'>"
  "      <arg type='i' name='id'/>"
  "      <arg type='u' name='timestamp'/>"
  "    </signal>"
  "  </interface>"
  "</node>";

typedef struct
{
  int        id;
  char      *label;
  char      *action;
  GVariant  *target;
  gboolean   enabled;
  gboolean   separator;
  GArray    *children;  /* of int */
} Item;

struct _TdTrayMenu
{
  GObject          parent_instance;

  GActionGroup    *actions;    /* weak: its owner owns the menu */

  GHashTable      *items;      /* id → Item, as hosts see it */
  GHashTable      *building;   /* id → Item, between begin and commit */
  GHashTable      *key_ids;    /* key → id, of the items hosts see */
  GHashTable      *new_key_ids;
  int              next_id;
  guint            revision;

  GDBusConnection *connection;
  char            *object_path;
  guint            registration_id;
};

G_DEFINE_FINAL_TYPE (TdTrayMenu, td_tray_menu, G_TYPE_OBJECT)

enum {
  ABOUT_TO_SHOW,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static GDBusNodeInfo *introspection_data;

static Item *
item_new (int id)
{
  Item *item = g_new0 (Item, 1);

  item->id = id;
  item->enabled = TRUE;
  item->children = g_array_new (FALSE, FALSE, sizeof (int));

  return item;
}

static void
item_free (Item *item)
{
  g_free (item->label);
  g_free (item->action);
  g_clear_pointer (&item->target, g_variant_unref);
  g_array_unref (item->children);
  g_free (item);
}

static GHashTable *
item_table_new (void)
{
  GHashTable *table = g_hash_table_new_full (NULL, NULL, NULL, (GDestroyNotify) item_free);

  g_hash_table_insert (table, GINT_TO_POINTER (TD_TRAY_MENU_ROOT), item_new (TD_TRAY_MENU_ROOT));

  return table;
}

static Item *
find_item (GHashTable *table,
           int         id)
{
  return g_hash_table_lookup (table, GINT_TO_POINTER (id));
}

static gboolean
wanted (const char * const *names,
        const char         *name)
{
  /* No names: all of them. */
  return names == NULL || names[0] == NULL || g_strv_contains (names, name);
}

static GVariant *
item_properties (Item               *item,
                 const char * const *names)
{
  GVariantBuilder builder;

  g_variant_builder_init (&builder, G_VARIANT_TYPE_VARDICT);

  if (item->separator)
    {
      if (wanted (names, "type"))
        g_variant_builder_add (&builder, "{sv}", "type", g_variant_new_string ("separator"));
      if (wanted (names, "visible"))
        g_variant_builder_add (&builder, "{sv}", "visible", g_variant_new_boolean (TRUE));
    }
  else if (item->id != TD_TRAY_MENU_ROOT)
    {
      if (wanted (names, "label"))
        g_variant_builder_add (&builder, "{sv}", "label",
                               g_variant_new_string (item->label ? item->label : ""));
      if (wanted (names, "enabled"))
        g_variant_builder_add (&builder, "{sv}", "enabled", g_variant_new_boolean (item->enabled));
      if (wanted (names, "visible"))
        g_variant_builder_add (&builder, "{sv}", "visible", g_variant_new_boolean (TRUE));
    }

  if (item->children->len > 0 && wanted (names, "children-display"))
    g_variant_builder_add (&builder, "{sv}", "children-display", g_variant_new_string ("submenu"));

  return g_variant_builder_end (&builder);
}

static GVariant *
build_layout (GHashTable         *table,
              Item               *item,
              int                 depth,
              const char * const *names)
{
  GVariantBuilder children;

  g_variant_builder_init (&children, G_VARIANT_TYPE ("av"));

  /* A negative depth: the whole tree. */
  if (depth != 0)
    for (guint i = 0; i < item->children->len; i++)
      {
        Item *child = find_item (table, g_array_index (item->children, int, i));

        g_variant_builder_add (&children, "v", build_layout (table, child, depth - 1, names));
      }

  return g_variant_new ("(i@a{sv}av)", item->id, item_properties (item, names), &children);
}

static GVariant *
all_properties (GHashTable *table)
{
  GVariantBuilder builder;
  GHashTableIter iter;
  Item *item;

  g_variant_builder_init (&builder, G_VARIANT_TYPE ("a(ia{sv})"));
  g_hash_table_iter_init (&iter, table);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &item))
    g_variant_builder_add (&builder, "(i@a{sv})", item->id, item_properties (item, NULL));

  return g_variant_builder_end (&builder);
}

static void
emit_signal (TdTrayMenu *self,
             const char *name,
             GVariant   *parameters)
{
  g_autoptr(GError) error = NULL;

  if (self->registration_id == 0)
    {
      g_variant_unref (g_variant_ref_sink (parameters));
      return;
    }

  if (!g_dbus_connection_emit_signal (self->connection, NULL, self->object_path,
                                      "com.canonical.dbusmenu", name, parameters, &error))
    g_debug ("Could not emit %s: %s", name, error->message);
}

/* Asks the owner to refresh the labels; TRUE when the layout changed. */
static gboolean
refresh (TdTrayMenu *self)
{
  guint revision = self->revision;

  g_signal_emit (self, signals[ABOUT_TO_SHOW], 0);

  return self->revision != revision;
}

static void
activate_item (TdTrayMenu *self,
               int         id)
{
  Item *item = find_item (self->items, id);
  g_autofree char *action = NULL;
  g_autoptr(GVariant) target = NULL;

  if (item == NULL || item->action == NULL || !item->enabled)
    return;

  /* The action may rebuild the menu (and free the item) or quit. */
  action = g_strdup (item->action);
  target = item->target ? g_variant_ref (item->target) : NULL;

  g_debug ("Menu item %d activates %s", id, action);
  if (self->actions != NULL && g_action_group_has_action (self->actions, action))
    g_action_group_activate_action (self->actions, action, target);
  else
    g_debug ("No action %s", action);
}

/* D-Bus ------------------------------------------------------------------ */

static void
get_layout (TdTrayMenu            *self,
            GVariant              *parameters,
            GDBusMethodInvocation *invocation)
{
  g_autofree const char **names = NULL;
  int parent, depth;
  Item *item;

  g_variant_get (parameters, "(ii^a&s)", &parent, &depth, &names);

  if (!(item = find_item (self->items, parent)))
    {
      g_dbus_method_invocation_return_error (invocation, G_DBUS_ERROR, G_DBUS_ERROR_INVALID_ARGS,
                                             "No menu item %d", parent);
      return;
    }

  g_dbus_method_invocation_return_value (invocation,
                                         g_variant_new ("(u@(ia{sv}av))", self->revision,
                                                        build_layout (self->items, item, depth,
                                                                      names)));
}

static void
get_group_properties (TdTrayMenu            *self,
                      GVariant              *parameters,
                      GDBusMethodInvocation *invocation)
{
  g_autoptr(GVariant) ids = NULL;
  g_autofree const char **names = NULL;
  GVariantBuilder builder;
  gsize n_ids;
  const gint32 *id;

  g_variant_get (parameters, "(@ai^a&s)", &ids, &names);
  id = g_variant_get_fixed_array (ids, &n_ids, sizeof (gint32));

  g_variant_builder_init (&builder, G_VARIANT_TYPE ("a(ia{sv})"));

  if (n_ids == 0)
    {
      /* No ids: every item. */
      GHashTableIter iter;
      Item *item;

      g_hash_table_iter_init (&iter, self->items);
      while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &item))
        g_variant_builder_add (&builder, "(i@a{sv})", item->id, item_properties (item, names));
    }

  /* Items gone since the host read the layout are left out. */
  for (gsize i = 0; i < n_ids; i++)
    {
      Item *item = find_item (self->items, id[i]);

      if (item != NULL)
        g_variant_builder_add (&builder, "(i@a{sv})", item->id, item_properties (item, names));
    }

  g_dbus_method_invocation_return_value (invocation, g_variant_new ("(a(ia{sv}))", &builder));
}

static void
get_property (TdTrayMenu            *self,
              GVariant              *parameters,
              GDBusMethodInvocation *invocation)
{
  g_autoptr(GVariant) properties = NULL;
  g_autoptr(GVariant) value = NULL;
  const char *name;
  Item *item;
  int id;

  g_variant_get (parameters, "(i&s)", &id, &name);

  if ((item = find_item (self->items, id)) != NULL)
    {
      properties = g_variant_ref_sink (item_properties (item, NULL));
      value = g_variant_lookup_value (properties, name, NULL);
    }

  if (value == NULL)
    {
      g_dbus_method_invocation_return_error (invocation, G_DBUS_ERROR, G_DBUS_ERROR_INVALID_ARGS,
                                             "No property %s on menu item %d", name, id);
      return;
    }

  g_dbus_method_invocation_return_value (invocation, g_variant_new ("(v)", value));
}

static void
event (TdTrayMenu            *self,
       GVariant              *parameters,
       GDBusMethodInvocation *invocation)
{
  const char *event_id;
  int id;

  g_variant_get (parameters, "(i&s@vu)", &id, &event_id, NULL, NULL);

  if (find_item (self->items, id) == NULL)
    {
      g_dbus_method_invocation_return_error (invocation, G_DBUS_ERROR, G_DBUS_ERROR_INVALID_ARGS,
                                             "No menu item %d", id);
      return;
    }

  /* Answer first: the action may quit. */
  g_dbus_method_invocation_return_value (invocation, NULL);

  if (g_str_equal (event_id, "clicked"))
    activate_item (self, id);
}

static void
event_group (TdTrayMenu            *self,
             GVariant              *parameters,
             GDBusMethodInvocation *invocation)
{
  g_autoptr(GVariant) events = NULL;
  g_autoptr(GArray) clicked = g_array_new (FALSE, FALSE, sizeof (int));
  GVariantBuilder errors;
  GVariantIter iter;
  const char *event_id;
  gsize n_errors = 0;
  int id;

  g_variant_get (parameters, "(@a(isvu))", &events);
  g_variant_builder_init (&errors, G_VARIANT_TYPE ("ai"));

  g_variant_iter_init (&iter, events);
  while (g_variant_iter_next (&iter, "(i&s@vu)", &id, &event_id, NULL, NULL))
    {
      if (find_item (self->items, id) == NULL)
        {
          g_variant_builder_add (&errors, "i", id);
          n_errors++;
        }
      else if (g_str_equal (event_id, "clicked"))
        g_array_append_val (clicked, id);
    }

  if (n_errors > 0 && n_errors == g_variant_n_children (events))
    {
      g_variant_builder_clear (&errors);
      g_dbus_method_invocation_return_error (invocation, G_DBUS_ERROR, G_DBUS_ERROR_INVALID_ARGS,
                                             "No such menu items");
      return;
    }

  g_dbus_method_invocation_return_value (invocation, g_variant_new ("(ai)", &errors));

  for (guint i = 0; i < clicked->len; i++)
    activate_item (self, g_array_index (clicked, int, i));
}

static void
about_to_show (TdTrayMenu            *self,
               GVariant              *parameters,
               GDBusMethodInvocation *invocation)
{
  int id;

  g_variant_get (parameters, "(i)", &id);

  if (find_item (self->items, id) == NULL)
    {
      g_dbus_method_invocation_return_error (invocation, G_DBUS_ERROR, G_DBUS_ERROR_INVALID_ARGS,
                                             "No menu item %d", id);
      return;
    }

  g_dbus_method_invocation_return_value (invocation, g_variant_new ("(b)", refresh (self)));
}

static void
about_to_show_group (TdTrayMenu            *self,
                     GVariant              *parameters,
                     GDBusMethodInvocation *invocation)
{
  g_autoptr(GVariant) ids = NULL;
  GVariantBuilder updates, errors;
  gboolean changed;
  const gint32 *id;
  gsize n_ids;

  g_variant_get (parameters, "(@ai)", &ids);
  id = g_variant_get_fixed_array (ids, &n_ids, sizeof (gint32));

  /* One refresh for the whole group. */
  changed = refresh (self);

  g_variant_builder_init (&updates, G_VARIANT_TYPE ("ai"));
  g_variant_builder_init (&errors, G_VARIANT_TYPE ("ai"));
  for (gsize i = 0; i < n_ids; i++)
    {
      if (find_item (self->items, id[i]) == NULL)
        g_variant_builder_add (&errors, "i", id[i]);
      else if (changed)
        g_variant_builder_add (&updates, "i", id[i]);
    }

  g_dbus_method_invocation_return_value (invocation, g_variant_new ("(aiai)", &updates, &errors));
}

static void
method_call_cb (GDBusConnection       *connection,
                const char            *sender,
                const char            *object_path,
                const char            *interface_name,
                const char            *method_name,
                GVariant              *parameters,
                GDBusMethodInvocation *invocation,
                gpointer               user_data)
{
  TdTrayMenu *self = user_data;

  if (g_str_equal (method_name, "GetLayout"))
    get_layout (self, parameters, invocation);
  else if (g_str_equal (method_name, "GetGroupProperties"))
    get_group_properties (self, parameters, invocation);
  else if (g_str_equal (method_name, "GetProperty"))
    get_property (self, parameters, invocation);
  else if (g_str_equal (method_name, "Event"))
    event (self, parameters, invocation);
  else if (g_str_equal (method_name, "EventGroup"))
    event_group (self, parameters, invocation);
  else if (g_str_equal (method_name, "AboutToShow"))
    about_to_show (self, parameters, invocation);
  else if (g_str_equal (method_name, "AboutToShowGroup"))
    about_to_show_group (self, parameters, invocation);
  else
    g_dbus_method_invocation_return_error (invocation, G_DBUS_ERROR, G_DBUS_ERROR_UNKNOWN_METHOD,
                                           "No method %s", method_name);
}

static GVariant *
get_property_cb (GDBusConnection  *connection,
                 const char       *sender,
                 const char       *object_path,
                 const char       *interface_name,
                 const char       *property_name,
                 GError          **error,
                 gpointer          user_data)
{
  if (g_str_equal (property_name, "Version"))
    return g_variant_new_uint32 (DBUSMENU_VERSION);
  if (g_str_equal (property_name, "TextDirection"))
    return g_variant_new_string (gtk_widget_get_default_direction () == GTK_TEXT_DIR_RTL ?
                                 "rtl" : "ltr");
  if (g_str_equal (property_name, "Status"))
    return g_variant_new_string ("normal");
  if (g_str_equal (property_name, "IconThemePath"))
    return g_variant_new_strv (NULL, 0);

  g_set_error (error, G_DBUS_ERROR, G_DBUS_ERROR_UNKNOWN_PROPERTY,
               "No property %s", property_name);
  return NULL;
}

static const GDBusInterfaceVTable vtable = {
  method_call_cb,
  get_property_cb,
  NULL,
};

/* GObject ---------------------------------------------------------------- */

static void
td_tray_menu_dispose (GObject *object)
{
  TdTrayMenu *self = (TdTrayMenu *)object;

  td_tray_menu_unexport (self);
  if (self->actions != NULL)
    g_object_remove_weak_pointer (G_OBJECT (self->actions), (gpointer *) &self->actions);
  self->actions = NULL;

  G_OBJECT_CLASS (td_tray_menu_parent_class)->dispose (object);
}

static void
td_tray_menu_finalize (GObject *object)
{
  TdTrayMenu *self = (TdTrayMenu *)object;

  g_hash_table_unref (self->items);
  g_clear_pointer (&self->building, g_hash_table_unref);
  g_hash_table_unref (self->key_ids);
  g_clear_pointer (&self->new_key_ids, g_hash_table_unref);

  G_OBJECT_CLASS (td_tray_menu_parent_class)->finalize (object);
}

static void
td_tray_menu_class_init (TdTrayMenuClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = td_tray_menu_dispose;
  object_class->finalize = td_tray_menu_finalize;

  signals[ABOUT_TO_SHOW] =
    g_signal_new ("about-to-show",
                  G_TYPE_FROM_CLASS (klass),
                  G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL,
                  G_TYPE_NONE, 0);

  introspection_data = g_dbus_node_info_new_for_xml (introspection_xml, NULL);
  g_assert (introspection_data != NULL);
}

static void
td_tray_menu_init (TdTrayMenu *self)
{
  self->items = item_table_new ();
  self->key_ids = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  self->next_id = TD_TRAY_MENU_ROOT + 1;
}

/* Public API ------------------------------------------------------------- */

TdTrayMenu *
td_tray_menu_new (GActionGroup *actions)
{
  TdTrayMenu *self;

  g_return_val_if_fail (G_IS_ACTION_GROUP (actions), NULL);

  self = g_object_new (TD_TYPE_TRAY_MENU, NULL);
  self->actions = actions;
  g_object_add_weak_pointer (G_OBJECT (actions), (gpointer *) &self->actions);

  return self;
}

gboolean
td_tray_menu_export (TdTrayMenu       *self,
                     GDBusConnection  *connection,
                     const char       *object_path,
                     GError          **error)
{
  g_return_val_if_fail (TD_IS_TRAY_MENU (self), FALSE);
  g_return_val_if_fail (G_IS_DBUS_CONNECTION (connection), FALSE);
  g_return_val_if_fail (self->registration_id == 0, FALSE);

  self->registration_id =
    g_dbus_connection_register_object (connection, object_path,
                                       introspection_data->interfaces[0],
                                       &vtable, self, NULL, error);
  if (self->registration_id == 0)
    return FALSE;

  self->connection = g_object_ref (connection);
  self->object_path = g_strdup (object_path);

  return TRUE;
}

void
td_tray_menu_unexport (TdTrayMenu *self)
{
  g_return_if_fail (TD_IS_TRAY_MENU (self));

  if (self->registration_id != 0)
    g_dbus_connection_unregister_object (self->connection, self->registration_id);
  self->registration_id = 0;
  g_clear_object (&self->connection);
  g_clear_pointer (&self->object_path, g_free);
}

void
td_tray_menu_begin (TdTrayMenu *self)
{
  g_return_if_fail (TD_IS_TRAY_MENU (self));

  g_clear_pointer (&self->building, g_hash_table_unref);
  g_clear_pointer (&self->new_key_ids, g_hash_table_unref);
  self->building = item_table_new ();
  self->new_key_ids = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
}

static Item *
add_item (TdTrayMenu *self,
          int         parent,
          const char *key)
{
  Item *parent_item;
  Item *item;
  gpointer id;

  g_return_val_if_fail (self->building != NULL, NULL);
  g_return_val_if_fail (key != NULL, NULL);
  g_return_val_if_fail (!g_hash_table_contains (self->new_key_ids, key), NULL);
  parent_item = find_item (self->building, parent);
  g_return_val_if_fail (parent_item != NULL && !parent_item->separator, NULL);

  /* The same key keeps its id; a new one gets an id never used before. */
  if (!g_hash_table_lookup_extended (self->key_ids, key, NULL, &id))
    id = GINT_TO_POINTER (self->next_id++);
  g_hash_table_insert (self->new_key_ids, g_strdup (key), id);

  item = item_new (GPOINTER_TO_INT (id));
  g_hash_table_insert (self->building, id, item);
  g_array_append_val (parent_item->children, item->id);

  return item;
}

int
td_tray_menu_add_item (TdTrayMenu *self,
                       int         parent,
                       const char *key,
                       const char *label,
                       const char *action,
                       GVariant   *target)
{
  Item *item;

  g_return_val_if_fail (TD_IS_TRAY_MENU (self), -1);

  if (target != NULL)
    g_variant_ref_sink (target);

  if (!(item = add_item (self, parent, key)))
    {
      g_clear_pointer (&target, g_variant_unref);
      return -1;
    }

  item->label = g_strdup (label);
  item->action = g_strdup (action);
  item->target = target;

  return item->id;
}

int
td_tray_menu_add_separator (TdTrayMenu *self,
                            int         parent,
                            const char *key)
{
  Item *item;

  g_return_val_if_fail (TD_IS_TRAY_MENU (self), -1);

  if (!(item = add_item (self, parent, key)))
    return -1;

  item->separator = TRUE;

  return item->id;
}

void
td_tray_menu_set_enabled (TdTrayMenu *self,
                          int         id,
                          gboolean    enabled)
{
  Item *item;

  g_return_if_fail (TD_IS_TRAY_MENU (self));
  g_return_if_fail (self->building != NULL);

  item = find_item (self->building, id);
  g_return_if_fail (item != NULL);

  item->enabled = enabled;
}

static gboolean
same_actions (GHashTable *a,
              GHashTable *b)
{
  GHashTableIter iter;
  Item *item;

  /* The layouts are equal, so are the ids. */
  g_hash_table_iter_init (&iter, a);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &item))
    {
      Item *other = find_item (b, item->id);

      if (g_strcmp0 (item->action, other->action) != 0 ||
          (item->target == NULL) != (other->target == NULL) ||
          (item->target != NULL && !g_variant_equal (item->target, other->target)))
        return FALSE;
    }

  return TRUE;
}

void
td_tray_menu_commit (TdTrayMenu *self)
{
  g_autoptr(GVariant) old_layout = NULL;
  g_autoptr(GVariant) new_layout = NULL;
  gboolean visible_change;

  g_return_if_fail (TD_IS_TRAY_MENU (self));
  g_return_if_fail (self->building != NULL);

  old_layout = g_variant_ref_sink (build_layout (self->items, find_item (self->items, 0), -1,
                                                 NULL));
  new_layout = g_variant_ref_sink (build_layout (self->building, find_item (self->building, 0),
                                                 -1, NULL));
  visible_change = !g_variant_equal (old_layout, new_layout);

  /* What hosts do not see (the actions) is swapped in silently. */
  if (!visible_change && same_actions (self->items, self->building))
    {
      g_clear_pointer (&self->building, g_hash_table_unref);
      g_clear_pointer (&self->new_key_ids, g_hash_table_unref);
      return;
    }

  g_hash_table_unref (self->items);
  self->items = g_steal_pointer (&self->building);
  g_hash_table_unref (self->key_ids);
  self->key_ids = g_steal_pointer (&self->new_key_ids);

  if (!visible_change)
    return;

  self->revision++;
  g_debug ("Menu layout revision %u", self->revision);

  /* Hosts that cache item properties learn them all again. */
  emit_signal (self, "ItemsPropertiesUpdated",
               g_variant_new ("(@a(ia{sv})@a(ias))", all_properties (self->items),
                              g_variant_new_array (G_VARIANT_TYPE ("(ias)"), NULL, 0)));
  emit_signal (self, "LayoutUpdated",
               g_variant_new ("(ui)", self->revision, TD_TRAY_MENU_ROOT));
}

guint
td_tray_menu_get_revision (TdTrayMenu *self)
{
  g_return_val_if_fail (TD_IS_TRAY_MENU (self), 0);

  return self->revision;
}

char *
td_tray_menu_escape_label (const char *text)
{
  GString *escaped = g_string_new (NULL);

  for (const char *p = text; *p; p++)
    {
      if (*p == '_')
        g_string_append_c (escaped, '_');
      g_string_append_c (escaped, *p);
    }

  return g_string_free (escaped, FALSE);
}
