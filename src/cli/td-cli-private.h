/* td-cli-private.h: what the command implementations share
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

#include "td-account.h"
#include "td-account-list.h"
#include "td-account-name.h"
#include "td-provider.h"
#include "td-token-manager.h"
#include "td-token-store.h"

G_BEGIN_DECLS

/* The exit statuses scripts rely on: see `tokendesk help`. */
typedef enum
{
  TD_CLI_EXIT_OK          = 0,
  TD_CLI_EXIT_REFUSED     = 1, /* credentials, two-factor, access denied, needs sign-in */
  TD_CLI_EXIT_USAGE       = 2, /* unknown account or vendor, bad option, missing endpoint */
  TD_CLI_EXIT_UNREACHABLE = 3, /* no answer, or an answer that cannot be used */
  TD_CLI_EXIT_KEYRING     = 4, /* keyring absent, locked, or refusing */
} TdCliExit;

typedef struct _TdCli TdCli;

struct _TdCli
{
  const char     *command;   /* "token", for messages */

  /* Created on first use: `vendors` needs none of them. */
  TdAccountList  *list;
  TdTokenStore   *store;
  TdTokenManager *manager;

  GMainLoop      *loop;
  GAsyncResult   *result;       /* arrived, not yet waited for */
  GAsyncResult   *last_result;  /* returned by the last td_cli_wait() */
};

typedef int (*TdCliCommandFunc) (TdCli  *cli,
                                 int     argc,
                                 char  **argv);

/* Options and usage */
GOptionContext *td_cli_option_context_new  (TdCli          *cli,
                                            const char     *parameter_string,
                                            const char     *summary,
                                            const char     *description);
gboolean        td_cli_parse               (TdCli          *cli,
                                            GOptionContext *context,
                                            int            *argc,
                                            char         ***argv,
                                            int             n_args,
                                            int            *status);
int             td_cli_usage_error         (TdCli          *cli,
                                            const char     *format,
                                            ...) G_GNUC_PRINTF (2, 3);
/* Option values shared by add and edit: FALSE, with *status set, after
 * saying what is wrong. */
gboolean        td_cli_parse_hand_out      (TdCli          *cli,
                                            TdProvider     *provider,
                                            const char     *text,
                                            TdHandOut      *out_hand_out,
                                            int            *status);
gboolean        td_cli_parse_renew         (TdCli          *cli,
                                            const char     *text,
                                            gboolean       *out_renew,
                                            int            *status);

/* Errors: one line on stderr naming the account and its vendor. */
int             td_cli_exit_status_for_error (const GError *error);
int             td_cli_fail                (TdCli          *cli,
                                            TdAccount      *account,
                                            const GError   *error);

/* Accounts */
TdAccountList  *td_cli_get_list            (TdCli          *cli,
                                            int            *status);
TdTokenManager *td_cli_get_manager         (TdCli          *cli);
TdAccount      *td_cli_find_account        (TdCli          *cli,
                                            const char     *name,
                                            int            *status);
TdProvider     *td_cli_get_provider        (TdCli          *cli,
                                            TdAccount      *account,
                                            int            *status);
char           *td_cli_describe_account    (TdAccount      *account);
gboolean        td_cli_edit_list           (TdCli          *cli,
                                            TdAccount      *account,
                                            gboolean        add,
                                            GError        **error);
void            td_cli_save_granted_lifetime (TdCli        *cli,
                                            TdAccount      *account,
                                            guint           before);
gboolean        td_cli_check_keyring       (TdCli          *cli,
                                            TdAccount      *account,
                                            int            *status);

/* Runs the main loop until the operation started with td_cli_ready_cb
 * completes; the result is borrowed and valid until the next wait. */
void            td_cli_ready_cb            (GObject        *object,
                                            GAsyncResult   *result,
                                            gpointer        user_data);
GAsyncResult   *td_cli_wait                (TdCli          *cli);

/* Secrets from stdin: one line each, not echoed on a terminal. */
char           *td_cli_read_secret         (const char     *prompt,
                                            GError        **error);

/* Commands */
int td_cli_vendors         (TdCli *cli, int argc, char **argv);
int td_cli_add             (TdCli *cli, int argc, char **argv);
int td_cli_login           (TdCli *cli, int argc, char **argv);
int td_cli_token           (TdCli *cli, int argc, char **argv);
int td_cli_exec            (TdCli *cli, int argc, char **argv);
int td_cli_list            (TdCli *cli, int argc, char **argv);
int td_cli_logout          (TdCli *cli, int argc, char **argv);
int td_cli_remove          (TdCli *cli, int argc, char **argv);
int td_cli_reset_password  (TdCli *cli, int argc, char **argv);
int td_cli_change_password (TdCli *cli, int argc, char **argv);
int td_cli_edit            (TdCli *cli, int argc, char **argv);
int td_cli_export          (TdCli *cli, int argc, char **argv);
int td_cli_import          (TdCli *cli, int argc, char **argv);

G_END_DECLS
