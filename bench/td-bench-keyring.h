/* td-bench-keyring.h: the benchmarks' secrets, many at once, in the
 * session's keyring through TdTokenStore, as the app stores them
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

#include "td-account.h"
#include "td-token-store.h"
#include "td-tokens.h"

G_BEGIN_DECLS

/* Keyring operations queued, then run with a few in flight at once: the
 * keyring daemon serializes them anyway. */
typedef struct _TdBenchKeyring TdBenchKeyring;

typedef enum
{
  TD_BENCH_SECRET_PASSWORD,
  TD_BENCH_SECRET_ADMIN_TOKEN,
} TdBenchSecret;

TdBenchKeyring *td_bench_keyring_new           (void);
void            td_bench_keyring_free          (TdBenchKeyring  *self);

/* Each takes tokens or secret. What is queued for one account is
 * written as one set, as the app keeps it. */
void            td_bench_keyring_queue_tokens  (TdBenchKeyring  *self,
                                                TdAccount       *account,
                                                TdTokens        *tokens);
void            td_bench_keyring_queue_secret  (TdBenchKeyring  *self,
                                                TdAccount       *account,
                                                TdBenchSecret    kind,
                                                char            *secret);
/* Every item of the account goes. */
void            td_bench_keyring_queue_clear   (TdBenchKeyring  *self,
                                                TdAccount       *account);

/* Runs what is queued, iterating the default main context until
 * all of it ended. Fails with the first error when any failed. */
gboolean        td_bench_keyring_run           (TdBenchKeyring  *self,
                                                GError         **error);

/* What a token looks like to the keyring and in memory: a JWT's length,
 * kind ("access.", …) after its header. */
char           *td_bench_fake_token            (GRand           *rand,
                                                const char      *kind,
                                                guint            length);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (TdBenchKeyring, td_bench_keyring_free)

G_END_DECLS
