/* td-cli-input.c: passwords and tokens from standard input
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "td-cli"

#include "config.h"

#include <errno.h>
#include <glib/gi18n-lib.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "td-cli-private.h"
#include "td-error.h"
#include "td-tokens.h"

/* Long enough for any password or pasted token; a longer line is an error
 * rather than silently cut. */
#define MAX_SECRET_LENGTH 8192

/* The terminal as it was before echo was turned off, for the signal
 * handler: an interrupted prompt must not leave the shell without echo. */
static struct termios saved_termios;
static volatile sig_atomic_t echo_off;

static void
restore_echo_and_reraise (int signum)
{
  if (echo_off)
    tcsetattr (STDIN_FILENO, TCSAFLUSH, &saved_termios);
  signal (signum, SIG_DFL);
  raise (signum);
}

static gboolean
disable_echo (struct sigaction *old_int,
              struct sigaction *old_term)
{
  struct termios noecho;
  struct sigaction action = { .sa_handler = restore_echo_and_reraise };

  if (tcgetattr (STDIN_FILENO, &saved_termios) != 0)
    return FALSE;

  sigemptyset (&action.sa_mask);
  sigaction (SIGINT, &action, old_int);
  sigaction (SIGTERM, &action, old_term);

  noecho = saved_termios;
  noecho.c_lflag &= ~ECHO;
  if (tcsetattr (STDIN_FILENO, TCSAFLUSH, &noecho) != 0)
    {
      sigaction (SIGINT, old_int, NULL);
      sigaction (SIGTERM, old_term, NULL);
      return FALSE;
    }

  echo_off = TRUE;
  return TRUE;
}

static void
restore_echo (struct sigaction *old_int,
              struct sigaction *old_term)
{
  tcsetattr (STDIN_FILENO, TCSAFLUSH, &saved_termios);
  echo_off = FALSE;
  sigaction (SIGINT, old_int, NULL);
  sigaction (SIGTERM, old_term, NULL);
}

/**
 * td_cli_read_secret:
 * @prompt: shown on stderr when stdin is a terminal
 *
 * Reads one line. Byte by byte with read(2), not stdio: a second secret
 * on the next line (change-password) must still be in the pipe, not in a
 * FILE buffer, and stdio would leave copies of the secret in its buffer.
 *
 * Returns: the line without its end, to free with td_secret_free().
 */
char *
td_cli_read_secret (const char  *prompt,
                    GError     **error)
{
  struct sigaction old_int, old_term;
  gboolean tty = isatty (STDIN_FILENO);
  gboolean echo_disabled = FALSE;
  gboolean too_long = FALSE;
  gboolean got_newline = FALSE;
  g_auto(TdSecret) buffer = g_malloc0 (MAX_SECRET_LENGTH + 1);
  int saved_errno = 0;
  gsize length = 0;

  if (tty)
    {
      fputs (prompt, stderr);
      fflush (stderr);
      echo_disabled = disable_echo (&old_int, &old_term);
    }

  for (;;)
    {
      char c;
      ssize_t n = read (STDIN_FILENO, &c, 1);

      if (n < 0 && errno == EINTR)
        continue;

      if (n < 0)
        {
          saved_errno = errno;
          break;
        }

      if (n == 0)
        break;

      if (c == '\n')
        {
          got_newline = TRUE;
          break;
        }

      if (length < MAX_SECRET_LENGTH)
        buffer[length++] = c;
      else
        too_long = TRUE;
    }

  if (echo_disabled)
    restore_echo (&old_int, &old_term);
  if (tty)
    fputc ('\n', stderr);

  /* Pasted from a file with Windows line ends */
  if (length > 0 && buffer[length - 1] == '\r')
    buffer[--length] = '\0';

  if (saved_errno != 0)
    {
      g_set_error (error, TD_ERROR, TD_ERROR_FAILED,
                   _("Cannot read standard input: %s"), g_strerror (saved_errno));
      return NULL;
    }

  if (too_long)
    {
      g_set_error (error, TD_ERROR, TD_ERROR_FAILED,
                   ngettext ("The line on standard input is longer than %d byte",
                             "The line on standard input is longer than %d bytes",
                             MAX_SECRET_LENGTH),
                   MAX_SECRET_LENGTH);
      return NULL;
    }

  if (length == 0)
    {
      if (!got_newline)
        g_set_error_literal (error, TD_ERROR, TD_ERROR_FAILED,
                             _("Nothing on standard input: pipe the secret in, one line each"));
      else
        g_set_error_literal (error, TD_ERROR, TD_ERROR_FAILED, _("The line read is empty"));
      return NULL;
    }

  if (!g_utf8_validate (buffer, length, NULL))
    {
      g_set_error_literal (error, TD_ERROR, TD_ERROR_FAILED,
                           _("The line on standard input is not valid UTF-8"));
      return NULL;
    }

  return g_steal_pointer (&buffer);
}
