/* td-tokens.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include "td-tokens.h"

G_DEFINE_BOXED_TYPE (TdTokens, td_tokens, td_tokens_copy, td_tokens_free)

TdTokens *
td_tokens_new (void)
{
  return g_new0 (TdTokens, 1);
}

TdTokens *
td_tokens_copy (const TdTokens *self)
{
  TdTokens *copy;

  g_return_val_if_fail (self != NULL, NULL);

  copy = td_tokens_new ();
  copy->access_token = g_strdup (self->access_token);
  copy->id_token = g_strdup (self->id_token);
  copy->refresh_token = g_strdup (self->refresh_token);
  copy->expires_at = self->expires_at;

  return copy;
}

void
td_tokens_free (TdTokens *self)
{
  if (self == NULL)
    return;

  td_secret_free (self->access_token);
  td_secret_free (self->id_token);
  td_secret_free (self->refresh_token);
  g_free (self);
}
