/* td-window-private.h: what td-window.c and td-window-actions.c share
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "td-window.h"

G_BEGIN_DECLS

struct _TdWindow
{
  AdwApplicationWindow  parent_instance;

  /* Services, given at construction */
  TdAccountList        *accounts;
  TdTokenManager       *token_manager;
  GSettings            *settings;
  TdClipboard          *clipboard;

  /* The account file's state, as the application tells */
  gboolean              loading;
  char                 *load_error;

  /* Cancelled when the window goes: no callback touches a dead window. */
  GCancellable         *cancellable;

  GtkFilter            *filter;
  GtkSorter            *sorter;
  GtkFilterListModel   *filter_model;
  GtkSortListModel     *sort_model;
  GtkSingleSelection   *selection;
  char                 *search_text;  /* casefolded; NULL shows everything */

  guint                 help_overlay_id;
  AdwToast             *toast;        /* the one on screen, or NULL */
  TdAccount            *removed;      /* removed, its Undo still offered */

  /* Template widgets */
  AdwToastOverlay      *toast_overlay;
  GtkSearchBar         *search_bar;
  GtkSearchEntry       *search_entry;
  GtkToggleButton      *search_button;
  GtkStack             *stack;
  GtkSpinner           *loading_spinner;
  AdwStatusPage        *error_page;
  GtkGridView          *list_view;
};

/* td-window.c */
void      _td_window_show_status       (TdWindow     *self,
                                        const char   *text,
                                        guint         timeout,
                                        TdAccount    *removed);
void      _td_window_show_toast        (TdWindow     *self,
                                        const char   *text);
gboolean  _td_window_matches_search    (TdWindow     *self,
                                        TdAccount    *account);
void      _td_window_accounts_edited   (TdWindow     *self);
void      _td_window_select_account    (TdWindow     *self,
                                        TdAccount    *account);

/* td-window-actions.c */
void      _td_window_class_actions_init (TdWindowClass *klass);
void      _td_window_copy_account       (TdWindow     *self,
                                         TdAccount    *account,
                                         TdCopyFormat  format);
void      _td_window_finish_removal     (TdWindow     *self);

G_END_DECLS
