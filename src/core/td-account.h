/* td-account.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib-object.h>

#include "td-tokens.h"

G_BEGIN_DECLS

typedef enum
{
  TD_ACCOUNT_STATE_SIGNED_OUT,    /* no token, nothing wrong */
  TD_ACCOUNT_STATE_SIGNED_IN,     /* a token valid beyond the expiring window */
  TD_ACCOUNT_STATE_EXPIRING,      /* a token that expires within the expiring window */
  TD_ACCOUNT_STATE_EXPIRED,       /* a token whose expiry has passed */
  TD_ACCOUNT_STATE_NEEDS_SIGN_IN, /* renewal needs a password we do not have */
  TD_ACCOUNT_STATE_ERROR,         /* the last operation failed; see error-message */
} TdAccountState;

/* Which of Senmo's tokens to hand out. Other vendors have one token. */
typedef enum
{
  TD_HAND_OUT_ID_TOKEN,
  TD_HAND_OUT_ACCESS_TOKEN,
} TdHandOut;

#define TD_TYPE_ACCOUNT_STATE (td_account_state_get_type ())
#define TD_TYPE_HAND_OUT (td_hand_out_get_type ())
GType td_account_state_get_type (void) G_GNUC_CONST;
GType td_hand_out_get_type (void) G_GNUC_CONST;

const char *td_account_state_to_string (TdAccountState state);
const char *td_hand_out_to_string      (TdHandOut      hand_out);
gboolean    td_hand_out_from_string    (const char    *str,
                                        TdHandOut     *out_hand_out);

/* Default lifetime assumed for a token that says nothing of its own. */
#define TD_ACCOUNT_DEFAULT_ASSUMED_LIFETIME (60 * 60)
#define TD_ACCOUNT_DEFAULT_EXPIRING_WINDOW  (5 * 60)

#define TD_TYPE_ACCOUNT (td_account_get_type ())

G_DECLARE_FINAL_TYPE (TdAccount, td_account, TD, ACCOUNT, GObject)

TdAccount      *td_account_new                   (const char      *id,
                                                  const char      *vendor);
char           *td_account_generate_id           (void);

const char     *td_account_get_id                (TdAccount       *self);
const char     *td_account_get_vendor            (TdAccount       *self);
const char     *td_account_get_display_name      (TdAccount       *self);
void            td_account_set_display_name      (TdAccount       *self,
                                                  const char      *display_name);
const char     *td_account_get_username          (TdAccount       *self);
void            td_account_set_username          (TdAccount       *self,
                                                  const char      *username);
/* A preset id of the vendor ("production", "sandbox") or a base URL. */
const char     *td_account_get_endpoint          (TdAccount       *self);
void            td_account_set_endpoint          (TdAccount       *self,
                                                  const char      *endpoint);
TdHandOut       td_account_get_hand_out          (TdAccount       *self);
void            td_account_set_hand_out          (TdAccount       *self,
                                                  TdHandOut        hand_out);
gboolean        td_account_get_remember_password (TdAccount       *self);
void            td_account_set_remember_password (TdAccount       *self,
                                                  gboolean         remember_password);
gboolean        td_account_get_renew_automatically (TdAccount     *self);
void            td_account_set_renew_automatically (TdAccount     *self,
                                                    gboolean       renew_automatically);
gboolean        td_account_get_admin_token       (TdAccount       *self);
void            td_account_set_admin_token       (TdAccount       *self,
                                                  gboolean         admin_token);
guint           td_account_get_assumed_lifetime  (TdAccount       *self);
void            td_account_set_assumed_lifetime  (TdAccount       *self,
                                                  guint            seconds);
/* How long the vendor's tokens last (seconds; 0 unknown): learned from
 * the tokens it issues, see td_account_record_granted_lifetime(). */
#define TD_GRANTED_LIFETIME_NEVER G_MAXUINT
guint           td_account_get_granted_lifetime  (TdAccount       *self);
void            td_account_set_granted_lifetime  (TdAccount       *self,
                                                  guint            seconds);
guint           td_account_get_expiring_window   (TdAccount       *self);
void            td_account_set_expiring_window   (TdAccount       *self,
                                                  guint            seconds);

TdAccountState  td_account_get_state             (TdAccount       *self);
const char     *td_account_get_error_message     (TdAccount       *self);
gboolean        td_account_get_busy              (TdAccount       *self);
void            td_account_set_busy              (TdAccount       *self,
                                                  gboolean         busy);
/* FALSE until the keyring has been read for the account (or it signed in):
 * until then its state means nothing yet. */
gboolean        td_account_get_secrets_loaded    (TdAccount       *self);
void            td_account_set_secrets_loaded    (TdAccount       *self,
                                                  gboolean         secrets_loaded);
gint64          td_account_get_expires_at        (TdAccount       *self);
/* The last token handed out to another program, for the user to see. */
gint64          td_account_get_handed_out_at     (TdAccount       *self);
const char     *td_account_get_handed_out_to     (TdAccount       *self);
void            td_account_set_handed_out        (TdAccount       *self,
                                                  gint64           when,
                                                  const char      *program);

/* Secrets: held in memory only, never as properties. */
const TdTokens *td_account_peek_tokens           (TdAccount       *self);
void            td_account_set_tokens            (TdAccount       *self,
                                                  const TdTokens  *tokens);
void            td_account_clear_tokens          (TdAccount       *self);
char           *td_account_dup_hand_out_token    (TdAccount       *self);
gboolean        td_account_has_valid_token       (TdAccount       *self,
                                                  guint            min_valid);
void            td_account_record_granted_lifetime (TdAccount      *self,
                                                    const TdTokens *tokens);

/* "45 s", "60 min", "27 hours", "3 days": a span for people. */
char           *td_format_duration               (gint64           seconds);

void            td_account_set_error             (TdAccount       *self,
                                                  const GError    *error);
void            td_account_set_needs_sign_in     (TdAccount       *self,
                                                  const char      *message);
/* TRUE when the last failure was the keyring's (it did not answer, is
 * locked, or there is none): reading it again may be all it takes. */
gboolean        td_account_get_keyring_error     (TdAccount       *self);
void            td_account_clear_error           (TdAccount       *self);

G_END_DECLS
