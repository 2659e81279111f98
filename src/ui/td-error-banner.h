/* td-error-banner.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

#define TD_TYPE_ERROR_BANNER (td_error_banner_get_type ())

G_DECLARE_FINAL_TYPE (TdErrorBanner, td_error_banner, TD, ERROR_BANNER, GtkWidget)

/* Shows error inside a dialog (NULL hides it): a heading, the message
 * with the vendor's words, and what to do about it. */
void        td_error_banner_set_error   (TdErrorBanner *self,
                                         const GError  *error);
/* An info message in the same place ("A reset code was sent"). */
void        td_error_banner_set_info    (TdErrorBanner *self,
                                         const char    *title,
                                         const char    *message);
/* A button under the message, e.g. "Use an Administrative Token". */
void        td_error_banner_set_button  (TdErrorBanner *self,
                                         const char    *label,
                                         const char    *action_name);
const char *td_error_banner_get_message (TdErrorBanner *self);

G_END_DECLS
