/* td-sim-jwt.h: minimal HS256 JWT minting for the vendor simulator
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <json-glib/json-glib.h>

G_BEGIN_DECLS

char       *td_sim_base64url_encode (const guint8 *data,
                                     gsize         len);
JsonObject *td_sim_jwt_claims_new   (const char   *sub,
                                     gint64        iat,
                                     gint64        exp);
char       *td_sim_jwt_sign         (GBytes       *secret,
                                     JsonObject   *claims);

G_END_DECLS
