/* td-fake-keyring.c: a Secret Service that does not answer, or answers
 * the way libsecret 0.20.5 makes the Secret portal answer inside Flatpak
 *
 * Just enough of org.freedesktop.Secret.Service for libsecret's password
 * API on an empty keyring: the service's properties, OpenSession with the
 * plain algorithm, SearchItems. It runs on its own connection in the
 * test's process and answers from its main loop.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include "td-fake-keyring.h"

/* How long the first search is held in FIRST_ALONE. */
#define FIRST_HOLD_MS 300

struct _TdFakeKeyring
{
  GTestDBus         *bus;
  GDBusConnection   *connection;
  guint              registration;
  TdFakeKeyringMode  mode;
  guint              calls;
  GPtrArray         *never;        /* GDBusMethodInvocation, never answered */
  gboolean           holding;      /* FIRST_ALONE: the first search is held */
  gboolean           held_once;
};

static const char introspection[] =
  "<node>"
  "  <interface name='org.freedesktop.Secret.Service'>"
  "    <method name='OpenSession'>"
  "      <arg name='algorithm' type='s' direction='in'/>"
  "      <arg name='input' type='v' direction='in'/>"
  "      <arg name='output' type='v' direction='out'/>"
  "      <arg name='result' type='o' direction='out'/>"
  "    </method>"
  "    <method name='SearchItems'>"
  "      <arg name='attributes' type='a{ss}' direction='in'/>"
  "      <arg name='unlocked' type='ao' direction='out'/>"
  "      <arg name='locked' type='ao' direction='out'/>"
  "    </method>"
  "    <property name='Collections' type='ao' access='read'/>"
  "  </interface>"
  "</node>";

/* Takes the invocation, as returning it does. */
static void
answer (GDBusMethodInvocation *invocation)
{
  const char *interface = g_dbus_method_invocation_get_interface_name (invocation);
  const char *method = g_dbus_method_invocation_get_method_name (invocation);
  GVariant *parameters = g_dbus_method_invocation_get_parameters (invocation);

  if (g_str_equal (interface, "org.freedesktop.DBus.Properties") &&
      g_str_equal (method, "GetAll"))
    {
      GVariantBuilder builder;

      g_variant_builder_init (&builder, G_VARIANT_TYPE ("a{sv}"));
      g_variant_builder_add (&builder, "{sv}", "Collections",
                             g_variant_new_objv (NULL, 0));
      g_dbus_method_invocation_return_value (invocation, g_variant_new ("(a{sv})", &builder));
    }
  else if (g_str_equal (interface, "org.freedesktop.DBus.Properties") &&
           g_str_equal (method, "Get"))
    g_dbus_method_invocation_return_value (invocation,
                                           g_variant_new ("(v)", g_variant_new_objv (NULL, 0)));
  else if (g_str_equal (method, "OpenSession"))
    {
      const char *algorithm = NULL;

      g_variant_get (parameters, "(&sv)", &algorithm, NULL);
      if (!g_str_equal (algorithm, "plain"))
        g_dbus_method_invocation_return_dbus_error (invocation,
                                                    "org.freedesktop.DBus.Error.NotSupported",
                                                    "Only plain");
      else
        g_dbus_method_invocation_return_value (invocation,
                                               g_variant_new ("(vo)", g_variant_new_string (""),
                                                              "/org/freedesktop/secrets/session/s1"));
    }
  else if (g_str_equal (method, "SearchItems"))
    {
      const char * const none[] = { NULL };

      g_dbus_method_invocation_return_value (invocation,
                                             g_variant_new ("(^ao^ao)", none, none));
    }
  else
    g_dbus_method_invocation_return_dbus_error (invocation,
                                                "org.freedesktop.DBus.Error.UnknownMethod",
                                                method);
}

static gboolean
release_first_cb (gpointer user_data)
{
  GDBusMethodInvocation *invocation = user_data;
  TdFakeKeyring *self = g_object_get_data (G_OBJECT (invocation), "td-fake-keyring");

  self->holding = FALSE;
  answer (invocation);

  return G_SOURCE_REMOVE;
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
  TdFakeKeyring *self = user_data;

  self->calls++;

  switch (self->mode)
    {
    case TD_FAKE_KEYRING_SILENT:
      g_ptr_array_add (self->never, invocation);
      return;

    case TD_FAKE_KEYRING_FIRST_ALONE:
      if (self->holding)
        {
          g_ptr_array_add (self->never, invocation);
          return;
        }
      if (!self->held_once && g_str_equal (method_name, "SearchItems"))
        {
          self->held_once = TRUE;
          self->holding = TRUE;
          g_object_set_data (G_OBJECT (invocation), "td-fake-keyring", self);
          g_timeout_add (FIRST_HOLD_MS, release_first_cb, invocation);
          return;
        }
      answer (invocation);
      return;

    case TD_FAKE_KEYRING_ANSWERS:
    default:
      answer (invocation);
      return;
    }
}

static const GDBusInterfaceVTable vtable = {
  .method_call = method_call_cb,
  /* Get and GetAll come to method_call, to be held like the rest. */
  .get_property = NULL,
};

TdFakeKeyring *
td_fake_keyring_start (TdFakeKeyringMode mode)
{
  TdFakeKeyring *self = g_new0 (TdFakeKeyring, 1);
  g_autoptr(GDBusNodeInfo) info = NULL;
  g_autoptr(GVariant) reply = NULL;
  g_autoptr(GError) error = NULL;
  guint32 result;

  self->mode = mode;
  self->never = g_ptr_array_new_with_free_func (g_object_unref);

  self->bus = g_test_dbus_new (G_TEST_DBUS_NONE);
  g_test_dbus_up (self->bus);

  self->connection = g_dbus_connection_new_for_address_sync (g_test_dbus_get_bus_address (self->bus),
                                                             G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT |
                                                             G_DBUS_CONNECTION_FLAGS_MESSAGE_BUS_CONNECTION,
                                                             NULL, NULL, &error);
  g_assert_no_error (error);

  info = g_dbus_node_info_new_for_xml (introspection, &error);
  g_assert_no_error (error);
  self->registration = g_dbus_connection_register_object (self->connection,
                                                          "/org/freedesktop/secrets",
                                                          info->interfaces[0], &vtable,
                                                          self, NULL, &error);
  g_assert_no_error (error);

  reply = g_dbus_connection_call_sync (self->connection, "org.freedesktop.DBus",
                                       "/org/freedesktop/DBus", "org.freedesktop.DBus",
                                       "RequestName",
                                       g_variant_new ("(su)", "org.freedesktop.secrets", 4),
                                       G_VARIANT_TYPE ("(u)"), G_DBUS_CALL_FLAGS_NONE, -1,
                                       NULL, &error);
  g_assert_no_error (error);
  g_variant_get (reply, "(u)", &result);
  g_assert_cmpuint (result, ==, 1);  /* DBUS_REQUEST_NAME_REPLY_PRIMARY_OWNER */

  return self;
}

void
td_fake_keyring_set_mode (TdFakeKeyring     *self,
                          TdFakeKeyringMode  mode)
{
  self->mode = mode;
}

guint
td_fake_keyring_get_calls (TdFakeKeyring *self)
{
  return self->calls;
}

guint
td_fake_keyring_get_unanswered (TdFakeKeyring *self)
{
  return self->never->len;
}

/* The process ends soon after. libsecret keeps its connection to the bus,
 * which would end the process if the bus went away under it (and
 * g_test_dbus_down () waits for that connection to go): the bus is left
 * to GTestDBus's watcher, which stops it when this process exits. */
void
td_fake_keyring_stop (TdFakeKeyring *self)
{
  g_dbus_connection_unregister_object (self->connection, self->registration);
  g_ptr_array_unref (self->never);
  g_object_unref (self->connection);
  g_free (self);
}
