/* td-bench-keyring.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include "td-bench-keyring.h"

/* Keyring operations in flight: the daemon serializes them. */
#define MAX_IN_FLIGHT 8

typedef struct
{
  TdAccount       *account;
  TdStoredSecrets *secrets;  /* NULL: clear every item */
} Job;

struct _TdBenchKeyring
{
  TdTokenStore *store;
  GQueue        jobs;
  GHashTable   *by_account;  /* TdAccount → Job, while queued */
  guint         in_flight;
  guint         failed;
  GError       *first_error;
};

static void pump (TdBenchKeyring *self);

static void
job_free (Job *job)
{
  g_clear_object (&job->account);
  g_clear_pointer (&job->secrets, td_stored_secrets_free);
  g_free (job);
}

static void
job_done (TdBenchKeyring *self,
          GError         *error)
{
  self->in_flight--;
  if (error != NULL)
    {
      self->failed++;
      if (self->first_error == NULL)
        self->first_error = g_error_copy (error);
    }
  pump (self);
}

static void
stored_cb (GObject      *object,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(GError) error = NULL;

  td_token_store_save_finish (TD_TOKEN_STORE (object), result, &error);
  job_done (user_data, error);
}

static void
cleared_cb (GObject      *object,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr(GError) error = NULL;

  td_token_store_clear_finish (TD_TOKEN_STORE (object), result, &error);
  job_done (user_data, error);
}

static void
pump (TdBenchKeyring *self)
{
  Job *job;

  while (self->in_flight < MAX_IN_FLIGHT && (job = g_queue_pop_head (&self->jobs)) != NULL)
    {
      g_hash_table_remove (self->by_account, job->account);
      self->in_flight++;
      if (job->secrets != NULL)
        td_token_store_save_async (self->store, job->account, job->secrets, NULL,
                                   stored_cb, self);
      else
        td_token_store_clear_async (self->store, td_account_get_id (job->account),
                                    NULL, cleared_cb, self);
      job_free (job);
    }
}

/* The account's queued job, a new one when there is none. */
static Job *
find_job (TdBenchKeyring *self,
          TdAccount      *account,
          gboolean        clear)
{
  Job *job = g_hash_table_lookup (self->by_account, account);

  if (job == NULL || clear != (job->secrets == NULL))
    {
      job = g_new0 (Job, 1);
      job->account = g_object_ref (account);
      if (!clear)
        job->secrets = td_stored_secrets_new ();
      g_queue_push_tail (&self->jobs, job);
      g_hash_table_insert (self->by_account, account, job);
    }

  return job;
}

TdBenchKeyring *
td_bench_keyring_new (void)
{
  TdBenchKeyring *self = g_new0 (TdBenchKeyring, 1);

  self->store = td_token_store_new ();
  g_queue_init (&self->jobs);
  self->by_account = g_hash_table_new (NULL, NULL);

  return self;
}

void
td_bench_keyring_free (TdBenchKeyring *self)
{
  g_return_if_fail (self->in_flight == 0);

  g_queue_clear_full (&self->jobs, (GDestroyNotify) job_free);
  g_clear_pointer (&self->by_account, g_hash_table_unref);
  g_clear_object (&self->store);
  g_clear_error (&self->first_error);
  g_free (self);
}

void
td_bench_keyring_queue_tokens (TdBenchKeyring *self,
                               TdAccount      *account,
                               TdTokens       *tokens)
{
  Job *job = find_job (self, account, FALSE);

  g_clear_pointer (&job->secrets->tokens, td_tokens_free);
  job->secrets->tokens = tokens;
}

void
td_bench_keyring_queue_secret (TdBenchKeyring *self,
                               TdAccount      *account,
                               TdBenchSecret   kind,
                               char           *secret)
{
  Job *job = find_job (self, account, FALSE);
  char **slot = kind == TD_BENCH_SECRET_PASSWORD ? &job->secrets->password
                                                 : &job->secrets->admin_token;

  td_secret_free (*slot);
  *slot = secret;
}

void
td_bench_keyring_queue_clear (TdBenchKeyring *self,
                              TdAccount      *account)
{
  find_job (self, account, TRUE);
}

gboolean
td_bench_keyring_run (TdBenchKeyring  *self,
                      GError         **error)
{
  pump (self);
  while (self->in_flight > 0)
    g_main_context_iteration (NULL, TRUE);

  if (self->failed > 0)
    {
      g_set_error (error, self->first_error->domain, self->first_error->code,
                   "%u keyring operations failed, the first with: %s", self->failed,
                   self->first_error->message);
      self->failed = 0;
      g_clear_error (&self->first_error);
      return FALSE;
    }

  return TRUE;
}

char *
td_bench_fake_token (GRand      *rand,
                     const char *kind,
                     guint       length)
{
  static const char alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  GString *token = g_string_new ("eyJhbGciOiJSUzI1NiJ9.");

  g_string_append (token, kind);
  while (token->len < length)
    g_string_append_c (token, alphabet[g_rand_int_range (rand, 0, 64)]);

  return g_string_free (token, FALSE);
}
