/* td-tokens.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib-object.h>

#include "td-secret.h"

G_BEGIN_DECLS

/* An expiry time meaning "this token does not expire by itself"
 * (Couchdrop administrative tokens). */
#define TD_EXPIRES_NEVER G_MAXINT64

#define TD_TYPE_TOKENS (td_tokens_get_type ())

/* What one successful login or refresh returned. Plain boxed data: the
 * strings are secrets, so the struct is wiped when freed. */
typedef struct
{
  char   *access_token;   /* Cover Whale AccessToken, Couchdrop/Logware token, Senmo accessToken */
  char   *id_token;       /* Senmo idToken, NULL elsewhere */
  char   *refresh_token;  /* NULL when the vendor sent none */
  gint64  expires_at;     /* absolute, seconds since the Unix epoch (UTC); TD_EXPIRES_NEVER */
} TdTokens;

GType     td_tokens_get_type (void) G_GNUC_CONST;
TdTokens *td_tokens_new      (void);
TdTokens *td_tokens_copy     (const TdTokens *self);
void      td_tokens_free     (TdTokens       *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (TdTokens, td_tokens_free)

G_END_DECLS
