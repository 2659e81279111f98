/* td-fake-keyring.h: a Secret Service that does not answer, or answers
 * the way libsecret 0.20.5 makes the Secret portal answer inside Flatpak
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

typedef enum
{
  TD_FAKE_KEYRING_SILENT,      /* never answers anything */
  TD_FAKE_KEYRING_FIRST_ALONE, /* holds its first search a moment, and never answers
                                * what arrives meanwhile (the portal's lost Responses) */
  TD_FAKE_KEYRING_ANSWERS,     /* an empty, unlocked keyring */
} TdFakeKeyringMode;

typedef struct _TdFakeKeyring TdFakeKeyring;

/* Starts a private session bus (DBUS_SESSION_BUS_ADDRESS points at it from
 * then on, for this process and its children) and owns
 * org.freedesktop.secrets on it. Call before anything uses the session bus. */
TdFakeKeyring *td_fake_keyring_start     (TdFakeKeyringMode  mode);
void           td_fake_keyring_set_mode  (TdFakeKeyring     *self,
                                          TdFakeKeyringMode  mode);
/* Method calls received so far, answered or not. */
guint          td_fake_keyring_get_calls (TdFakeKeyring     *self);
/* Calls it will never answer. */
guint          td_fake_keyring_get_unanswered (TdFakeKeyring *self);
void           td_fake_keyring_stop      (TdFakeKeyring     *self);

G_END_DECLS
