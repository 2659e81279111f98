/* td-error-banner.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include "td-error-banner.h"
#include "td-error-text.h"

struct _TdErrorBanner
{
  GtkWidget    parent_instance;

  GtkRevealer *revealer;
  GtkWidget   *box;
  GtkImage    *icon;
  GtkLabel    *title_label;
  GtkLabel    *message_label;
  GtkLabel    *hint_label;
  GtkButton   *button;
};

G_DEFINE_FINAL_TYPE (TdErrorBanner, td_error_banner, GTK_TYPE_WIDGET)

static void
show (TdErrorBanner *self,
      gboolean       is_error,
      const char    *title,
      const char    *message,
      const char    *hint)
{
  gtk_label_set_label (self->title_label, title);
  gtk_label_set_label (self->message_label, message);
  gtk_label_set_label (self->hint_label, hint);
  gtk_widget_set_visible (GTK_WIDGET (self->hint_label), hint != NULL);
  gtk_image_set_from_icon_name (self->icon, is_error ? "dialog-error-symbolic"
                                                     : "dialog-information-symbolic");

  if (is_error)
    {
      gtk_widget_add_css_class (self->box, "error");
      gtk_widget_remove_css_class (self->box, "info");
    }
  else
    {
      gtk_widget_add_css_class (self->box, "info");
      gtk_widget_remove_css_class (self->box, "error");
    }

  gtk_revealer_set_reveal_child (self->revealer, TRUE);
  gtk_widget_set_visible (GTK_WIDGET (self), TRUE);

  /* Screen readers hear it as soon as it appears. */
  gtk_accessible_update_property (GTK_ACCESSIBLE (self),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL, title,
                                  GTK_ACCESSIBLE_PROPERTY_DESCRIPTION, message,
                                  -1);
}

void
td_error_banner_set_error (TdErrorBanner *self,
                           const GError  *error)
{
  g_return_if_fail (TD_IS_ERROR_BANNER (self));

  gtk_widget_set_visible (GTK_WIDGET (self->button), FALSE);

  if (error == NULL)
    {
      gtk_revealer_set_reveal_child (self->revealer, FALSE);
      gtk_label_set_label (self->message_label, NULL);
      return;
    }

  show (self, TRUE, td_error_get_title (error), error->message, td_error_get_hint (error));
}

void
td_error_banner_set_info (TdErrorBanner *self,
                          const char    *title,
                          const char    *message)
{
  g_return_if_fail (TD_IS_ERROR_BANNER (self));

  gtk_widget_set_visible (GTK_WIDGET (self->button), FALSE);
  show (self, FALSE, title, message, NULL);
}

void
td_error_banner_set_button (TdErrorBanner *self,
                            const char    *label,
                            const char    *action_name)
{
  g_return_if_fail (TD_IS_ERROR_BANNER (self));

  gtk_button_set_label (self->button, label);
  gtk_actionable_set_action_name (GTK_ACTIONABLE (self->button), action_name);
  gtk_widget_set_visible (GTK_WIDGET (self->button), label != NULL);
}

const char *
td_error_banner_get_message (TdErrorBanner *self)
{
  g_return_val_if_fail (TD_IS_ERROR_BANNER (self), NULL);

  if (!gtk_revealer_get_reveal_child (self->revealer))
    return NULL;

  return gtk_label_get_label (self->message_label);
}

static void
td_error_banner_dispose (GObject *object)
{
  gtk_widget_dispose_template (GTK_WIDGET (object), TD_TYPE_ERROR_BANNER);

  G_OBJECT_CLASS (td_error_banner_parent_class)->dispose (object);
}

static void
td_error_banner_class_init (TdErrorBannerClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = td_error_banner_dispose;

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/tokendesk/TokenDesk/td-error-banner.ui");
  gtk_widget_class_bind_template_child (widget_class, TdErrorBanner, revealer);
  gtk_widget_class_bind_template_child (widget_class, TdErrorBanner, box);
  gtk_widget_class_bind_template_child (widget_class, TdErrorBanner, icon);
  gtk_widget_class_bind_template_child (widget_class, TdErrorBanner, title_label);
  gtk_widget_class_bind_template_child (widget_class, TdErrorBanner, message_label);
  gtk_widget_class_bind_template_child (widget_class, TdErrorBanner, hint_label);
  gtk_widget_class_bind_template_child (widget_class, TdErrorBanner, button);

  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
  gtk_widget_class_set_css_name (widget_class, "errorbanner");
  gtk_widget_class_set_accessible_role (widget_class, GTK_ACCESSIBLE_ROLE_ALERT);
}

static void
td_error_banner_init (TdErrorBanner *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
}
