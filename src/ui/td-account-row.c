/* td-account-row.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "td-account-row"

#include "config.h"

#include <glib/gi18n-lib.h>

#include "td-account-name.h"
#include "td-account-row.h"
#include "td-expiry-text.h"
#include "td-provider.h"

struct _TdAccountRow
{
  GtkWidget  parent_instance;

  TdAccount *account;
  /* Wakes up when the expiry text next changes, not every second. */
  guint      expiry_timeout_id;

  /* Template widgets */
  GtkImage  *vendor_icon;
  GtkLabel  *name_label;
  GtkLabel  *details_label;
  GtkLabel  *state_label;
  GtkLabel  *expiry_label;
  GtkLabel  *handed_out_label;
  GtkWidget *spinner;
  GtkWidget *retry_button;
  GtkWidget *copy_button;
  GtkWidget *menu_button;
};

G_DEFINE_FINAL_TYPE (TdAccountRow, td_account_row, GTK_TYPE_WIDGET)

static const char *state_classes[] = { "success", "warning", "error", "dim-label" };

static void update_expiry (TdAccountRow *self);

static void
update_names (TdAccountRow *self)
{
  TdAccount *account = self->account;
  TdProvider *provider = td_provider_get_for_vendor (td_account_get_vendor (account));
  const char *username = td_account_get_username (account);
  const char *endpoint = td_account_get_endpoint (account);
  guint granted = td_account_get_granted_lifetime (account);
  g_autoptr(GString) details = g_string_new (NULL);
  g_autofree char *name = NULL;
  const char *endpoint_text = NULL;

  /* Escaped: a name from an older file may hold a bidi override. */
  name = td_account_name_dup_printable (td_account_get_display_name (account));
  gtk_label_set_label (self->name_label, name);

  if (provider != NULL)
    {
      const TdEndpointPreset *presets = td_provider_get_presets (provider);
      const TdEndpointPreset *preset = td_provider_find_preset (provider, endpoint);

      gtk_image_set_from_icon_name (self->vendor_icon, td_provider_get_icon_name (provider));

      /* The production preset is what everybody uses: say nothing of it. */
      if (endpoint == NULL || *endpoint == '\0' || (presets->id && preset == presets))
        endpoint_text = NULL;
      else if (preset != NULL)
        endpoint_text = g_dgettext (GETTEXT_PACKAGE, preset->label);
      else
        endpoint_text = endpoint;

      g_string_append (details, td_provider_get_display_name (provider));
    }
  else
    {
      gtk_image_set_from_icon_name (self->vendor_icon, "dialog-question-symbolic");
      g_string_append (details, td_account_get_vendor (account));
    }

  if (td_account_get_admin_token (account))
    g_string_append_printf (details, " · %s", _("administrative token"));
  else if (username != NULL && *username != '\0')
    g_string_append_printf (details, " · %s", username);

  if (endpoint_text != NULL)
    g_string_append_printf (details, " · %s", endpoint_text);

  /* What the vendor grants, learned from its last tokens: why a Minimum
   * Validity longer than that still hands out a shorter token. */
  if (granted == TD_GRANTED_LIFETIME_NEVER)
    g_string_append_printf (details, " · %s", _("tokens do not expire"));
  else if (granted != 0)
    {
      g_autofree char *lifetime = td_format_duration (granted);

      g_string_append (details, " · ");
      g_string_append_printf (details, _("tokens last %s"), lifetime);
    }

  gtk_label_set_label (self->details_label, details->str);
}

static void
set_state_class (TdAccountRow *self,
                 const char   *css_class)
{
  for (guint i = 0; i < G_N_ELEMENTS (state_classes); i++)
    if (g_strcmp0 (state_classes[i], css_class) != 0)
      gtk_widget_remove_css_class (GTK_WIDGET (self->state_label), state_classes[i]);

  if (css_class != NULL)
    gtk_widget_add_css_class (GTK_WIDGET (self->state_label), css_class);
}

/* What the row shows, for G_MESSAGES_DEBUG=td-account-row: how the
 * flatpak suite, which cannot reach into the sandboxed window, sees that
 * every row came to show its state. Names and states only, no secret. */
static void
log_shown (TdAccountRow *self)
{
  g_debug ("Row %s: state \"%s\", expiry \"%s\"",
           td_account_get_display_name (self->account),
           gtk_label_get_label (self->state_label),
           gtk_widget_get_visible (GTK_WIDGET (self->expiry_label))
             ? gtk_label_get_label (self->expiry_label) : "");
}

static void
update_state (TdAccountRow *self)
{
  TdAccount *account = self->account;
  const char *message = td_account_get_error_message (account);
  const char *text = NULL;
  const char *css_class = NULL;
  gboolean busy = td_account_get_busy (account);
  gboolean admin = td_account_get_admin_token (account);

  /* Until the keyring has been read, the state would be a guess. */
  if (!td_account_get_secrets_loaded (account))
    text = "";
  else
    switch (td_account_get_state (account))
      {
      case TD_ACCOUNT_STATE_SIGNED_OUT:
        text = _("Signed out");
        css_class = "dim-label";
        break;
      case TD_ACCOUNT_STATE_SIGNED_IN:
        text = _("Signed in");
        css_class = "success";
        break;
      case TD_ACCOUNT_STATE_EXPIRING:
        text = _("Expiring soon");
        css_class = "warning";
        break;
      case TD_ACCOUNT_STATE_EXPIRED:
        text = _("Expired");
        css_class = "warning";
        break;
      case TD_ACCOUNT_STATE_NEEDS_SIGN_IN:
        text = _("Needs sign-in");
        css_class = "error";
        break;
      case TD_ACCOUNT_STATE_ERROR:
        /* The vendor's own words, or ours when it sent none. */
        text = message ? message : _("Something went wrong");
        css_class = "error";
        break;
      default:
        g_assert_not_reached ();
      }

  gtk_label_set_label (self->state_label, text);
  set_state_class (self, css_class);
  log_shown (self);

  /* The keyring did not answer, or stayed locked: the one thing to do is
   * to ask it again, so the row offers that and not a renewal. */
  gtk_widget_set_visible (self->retry_button,
                          !busy && td_account_get_secrets_loaded (account) &&
                          td_account_get_keyring_error (account));

  gtk_widget_set_visible (self->spinner, busy);
  gtk_spinner_set_spinning (GTK_SPINNER (self->spinner), busy);

  gtk_widget_action_set_enabled (GTK_WIDGET (self), "row.renew", !admin);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "row.change-password",
                                 !admin && g_strcmp0 (td_account_get_vendor (account),
                                                      "coverwhale") == 0);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "row.sign-out",
                                 td_account_get_state (account) != TD_ACCOUNT_STATE_SIGNED_OUT);
}

static gboolean
expiry_timeout_cb (gpointer user_data)
{
  TdAccountRow *self = user_data;

  self->expiry_timeout_id = 0;
  update_expiry (self);

  return G_SOURCE_REMOVE;
}

static void
update_expiry (TdAccountRow *self)
{
  g_autofree char *text = NULL;
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;
  gint64 next_change = 0;

  g_clear_handle_id (&self->expiry_timeout_id, g_source_remove);

  if (self->account == NULL)
    return;

  text = td_expiry_text (td_account_get_expires_at (self->account), now, &next_change);
  gtk_label_set_label (self->expiry_label, text);
  gtk_widget_set_visible (GTK_WIDGET (self->expiry_label), text != NULL);
  log_shown (self);

  /* Another program got a token: the user should see that it did. */
  if (td_account_get_handed_out_at (self->account) > 0)
    {
      g_autofree char *handed_out = NULL;
      gint64 handed_out_change = 0;

      handed_out = td_handed_out_text (td_account_get_handed_out_at (self->account),
                                       td_account_get_handed_out_to (self->account),
                                       now, &handed_out_change);
      gtk_label_set_label (self->handed_out_label, handed_out);
      if (handed_out_change > now && (next_change <= now || handed_out_change < next_change))
        next_change = handed_out_change;
    }
  gtk_widget_set_visible (GTK_WIDGET (self->handed_out_label),
                          td_account_get_handed_out_at (self->account) > 0);

  /* Only a row on screen needs the clock; map() starts it again. The
   * timeout runs on the monotonic clock, the text on the wall clock:
   * after a suspend it may fire late, never wrong. */
  if (next_change > now && gtk_widget_get_mapped (GTK_WIDGET (self)))
    self->expiry_timeout_id = g_timeout_add_seconds_full (G_PRIORITY_LOW,
                                                          (guint) MIN (next_change - now,
                                                                       G_MAXUINT / 2),
                                                          expiry_timeout_cb, self, NULL);
}

static void
account_notify_cb (TdAccountRow *self,
                   GParamSpec   *pspec,
                   TdAccount    *account)
{
  const char *name = g_param_spec_get_name (pspec);

  if (g_str_equal (name, "expires-at") || g_str_equal (name, "handed-out-at"))
    update_expiry (self);
  else if (g_str_equal (name, "display-name") || g_str_equal (name, "username") ||
           g_str_equal (name, "endpoint") || g_str_equal (name, "admin-token") ||
           g_str_equal (name, "granted-lifetime"))
    {
      update_names (self);
      update_state (self);
    }
  else if (g_str_equal (name, "state") || g_str_equal (name, "error-message") ||
           g_str_equal (name, "busy"))
    update_state (self);
  else if (g_str_equal (name, "secrets-loaded"))
    {
      update_state (self);
      update_expiry (self);
    }
}

/* Tooltips are worked out when asked for, not set: GTK 4.8 asks the X
 * server where the pointer is each time a tooltip is set, a round trip
 * for every label of every row bound, at startup and while scrolling. */
static gboolean
query_tooltip_cb (TdAccountRow *self,
                  int           x,
                  int           y,
                  gboolean      keyboard_mode,
                  GtkTooltip   *tooltip,
                  gpointer      user_data)
{
  GtkWidget *widget = GTK_WIDGET (self);
  GtkWidget *target;
  const char *text = NULL;
  graphene_rect_t bounds;

  if (self->account == NULL)
    return FALSE;

  if (keyboard_mode)
    target = gtk_root_get_focus (gtk_widget_get_root (widget));
  else
    target = gtk_widget_pick (widget, x, y, GTK_PICK_DEFAULT);

  for (; target != NULL && target != widget; target = gtk_widget_get_parent (target))
    {
      if (target == GTK_WIDGET (self->vendor_icon))
        {
          TdProvider *provider = td_provider_get_for_vendor (td_account_get_vendor (self->account));

          text = provider ? td_provider_get_display_name (provider) : NULL;
        }
      else if (target == GTK_WIDGET (self->details_label))
        text = gtk_label_get_label (self->details_label);
      else if (target == GTK_WIDGET (self->state_label))
        text = td_account_get_error_message (self->account);
      else if (target == GTK_WIDGET (self->handed_out_label))
        text = gtk_label_get_label (self->handed_out_label);
      else if (target == self->copy_button)
        text = _("Copy Token");
      else if (target == self->menu_button)
        text = _("More Actions");
      else
        continue;
      break;
    }

  if (text == NULL || *text == '\0' || target == NULL || target == widget)
    return FALSE;

  gtk_tooltip_set_text (tooltip, text);

  /* Moving on to another child asks again. */
  if (gtk_widget_compute_bounds (target, widget, &bounds))
    {
      GdkRectangle area = { bounds.origin.x, bounds.origin.y,
                            bounds.size.width, bounds.size.height };

      gtk_tooltip_set_tip_area (tooltip, &area);
    }

  return TRUE;
}

/* One menu for all rows, and a row's popover only once it is opened: built
 * with the row, each popover was most of what a row cost. */
static void
create_popup_cb (GtkMenuButton *button,
                 gpointer       user_data)
{
  static GMenuModel *menu;

  if (menu == NULL)
    {
      g_autoptr(GtkBuilder) builder =
        gtk_builder_new_from_resource ("/io/github/tokendesk/TokenDesk/td-account-row-menu.ui");

      menu = g_object_ref (G_MENU_MODEL (gtk_builder_get_object (builder, "row_menu")));
    }

  gtk_menu_button_set_menu_model (button, menu);
}

TdAccount *
td_account_row_get_account (TdAccountRow *self)
{
  g_return_val_if_fail (TD_IS_ACCOUNT_ROW (self), NULL);
  return self->account;
}

void
td_account_row_set_account (TdAccountRow *self,
                            TdAccount    *account)
{
  g_return_if_fail (TD_IS_ACCOUNT_ROW (self));
  g_return_if_fail (!account || TD_IS_ACCOUNT (account));

  if (self->account == account)
    return;

  if (self->account != NULL)
    {
      g_signal_handlers_disconnect_by_func (self->account, account_notify_cb, self);
      g_clear_object (&self->account);
    }
  g_clear_handle_id (&self->expiry_timeout_id, g_source_remove);

  if (account == NULL)
    return;

  self->account = g_object_ref (account);
  g_signal_connect_object (account, "notify", G_CALLBACK (account_notify_cb),
                           self, G_CONNECT_SWAPPED);

  update_names (self);
  update_state (self);
  update_expiry (self);
}

const char *
td_account_row_get_state_text (TdAccountRow *self)
{
  g_return_val_if_fail (TD_IS_ACCOUNT_ROW (self), NULL);
  return gtk_label_get_label (self->state_label);
}

const char *
td_account_row_get_details_text (TdAccountRow *self)
{
  g_return_val_if_fail (TD_IS_ACCOUNT_ROW (self), NULL);
  return gtk_label_get_label (self->details_label);
}

const char *
td_account_row_get_expiry_text (TdAccountRow *self)
{
  g_return_val_if_fail (TD_IS_ACCOUNT_ROW (self), NULL);

  if (!gtk_widget_get_visible (GTK_WIDGET (self->expiry_label)))
    return NULL;

  return gtk_label_get_label (self->expiry_label);
}

/* For tests: whether the row offers to read the keyring again. */
gboolean
td_account_row_get_offers_retry (TdAccountRow *self)
{
  g_return_val_if_fail (TD_IS_ACCOUNT_ROW (self), FALSE);
  return gtk_widget_get_visible (self->retry_button);
}

/* For tests: "handed out 2 min ago to curl", or NULL. */
const char *
td_account_row_get_handed_out_text (TdAccountRow *self)
{
  g_return_val_if_fail (TD_IS_ACCOUNT_ROW (self), NULL);

  if (!gtk_widget_get_visible (GTK_WIDGET (self->handed_out_label)))
    return NULL;

  return gtk_label_get_label (self->handed_out_label);
}

/* The row's menu forwards to the window's actions, which know dialogs and
 * toasts, with the account's id (and the format to copy in) as target. */
static const struct
{
  const char *row_action;
  const char *window_action;
  const char *format;        /* win.copy-account-as only */
} forwarded_actions[] = {
  { "row.copy", "win.copy-account", NULL },
  { "row.copy-header", "win.copy-account-as", "header" },
  { "row.copy-curl", "win.copy-account-as", "curl" },
  { "row.renew", "win.renew-account", NULL },
  { "row.retry", "win.reload-account", NULL },
  { "row.sign-in", "win.sign-in-account", NULL },
  { "row.change-password", "win.change-password", NULL },
  { "row.edit", "win.edit-account", NULL },
  { "row.sign-out", "win.sign-out-account", NULL },
  { "row.remove", "win.remove-account", NULL },
};

static void
forward_action (GtkWidget  *widget,
                const char *action_name,
                GVariant   *parameter)
{
  TdAccountRow *self = TD_ACCOUNT_ROW (widget);
  const char *id;

  if (self->account == NULL)
    return;

  id = td_account_get_id (self->account);

  for (guint i = 0; i < G_N_ELEMENTS (forwarded_actions); i++)
    {
      if (!g_str_equal (action_name, forwarded_actions[i].row_action))
        continue;

      if (forwarded_actions[i].format != NULL)
        gtk_widget_activate_action (widget, forwarded_actions[i].window_action, "(ss)",
                                    id, forwarded_actions[i].format);
      else
        gtk_widget_activate_action (widget, forwarded_actions[i].window_action, "s", id);
      return;
    }

  g_assert_not_reached ();
}

static void
td_account_row_map (GtkWidget *widget)
{
  GTK_WIDGET_CLASS (td_account_row_parent_class)->map (widget);
  update_expiry (TD_ACCOUNT_ROW (widget));
}

static void
td_account_row_unmap (GtkWidget *widget)
{
  TdAccountRow *self = TD_ACCOUNT_ROW (widget);

  g_clear_handle_id (&self->expiry_timeout_id, g_source_remove);
  GTK_WIDGET_CLASS (td_account_row_parent_class)->unmap (widget);
}

static void
td_account_row_dispose (GObject *object)
{
  TdAccountRow *self = (TdAccountRow *)object;

  GtkWidget *child;

  td_account_row_set_account (self, NULL);
  gtk_widget_dispose_template (GTK_WIDGET (self), TD_TYPE_ACCOUNT_ROW);

  /* GTK 4.8 only unparents the template children bound to a field; a
   * plain GtkWidget parent has to drop the others itself. */
  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self))) != NULL)
    gtk_widget_unparent (child);

  G_OBJECT_CLASS (td_account_row_parent_class)->dispose (object);
}

static void
td_account_row_class_init (TdAccountRowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = td_account_row_dispose;

  widget_class->map = td_account_row_map;
  widget_class->unmap = td_account_row_unmap;

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/tokendesk/TokenDesk/td-account-row.ui");
  gtk_widget_class_bind_template_child (widget_class, TdAccountRow, vendor_icon);
  gtk_widget_class_bind_template_child (widget_class, TdAccountRow, name_label);
  gtk_widget_class_bind_template_child (widget_class, TdAccountRow, details_label);
  gtk_widget_class_bind_template_child (widget_class, TdAccountRow, state_label);
  gtk_widget_class_bind_template_child (widget_class, TdAccountRow, expiry_label);
  gtk_widget_class_bind_template_child (widget_class, TdAccountRow, handed_out_label);
  gtk_widget_class_bind_template_child (widget_class, TdAccountRow, spinner);
  gtk_widget_class_bind_template_child (widget_class, TdAccountRow, retry_button);
  gtk_widget_class_bind_template_child (widget_class, TdAccountRow, copy_button);
  gtk_widget_class_bind_template_child (widget_class, TdAccountRow, menu_button);

  for (guint i = 0; i < G_N_ELEMENTS (forwarded_actions); i++)
    gtk_widget_class_install_action (widget_class, forwarded_actions[i].row_action, NULL,
                                     forward_action);

  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BOX_LAYOUT);
  gtk_widget_class_set_css_name (widget_class, "accountrow");
}

static void
td_account_row_init (TdAccountRow *self)
{
  GtkLayoutManager *layout;

  gtk_widget_init_template (GTK_WIDGET (self));

  layout = gtk_widget_get_layout_manager (GTK_WIDGET (self));
  gtk_box_layout_set_spacing (GTK_BOX_LAYOUT (layout), 12);

  gtk_widget_set_has_tooltip (GTK_WIDGET (self), TRUE);
  g_signal_connect (self, "query-tooltip", G_CALLBACK (query_tooltip_cb), NULL);
  gtk_menu_button_set_create_popup_func (GTK_MENU_BUTTON (self->menu_button),
                                         create_popup_cb, NULL, NULL);
}

GtkWidget *
td_account_row_new (void)
{
  return g_object_new (TD_TYPE_ACCOUNT_ROW, NULL);
}
