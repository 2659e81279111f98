/* td-vendor-sim-private.h: what the simulator's core shares with the vendor files
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <libsoup/soup.h>

#include "td-vendor-sim.h"

G_BEGIN_DECLS

/* Request bodies are JSON objects of a few short strings; anything bigger is
 * a client bug the app's tests should see as an error, not a memory hog. */
#define TD_SIM_MAX_REQUEST_BODY (64 * 1024)

typedef enum
{
  TD_SIM_VENDOR_COVERWHALE,
  TD_SIM_VENDOR_COUCHDROP,
  TD_SIM_VENDOR_SENMO,
  TD_SIM_VENDOR_LOGWARE,
  TD_SIM_N_VENDORS
} TdSimVendor;

typedef enum
{
  TD_SIM_HOSTILE_NONE,
  TD_SIM_HOSTILE_STATUS_401,
  TD_SIM_HOSTILE_STATUS_403,
  TD_SIM_HOSTILE_STATUS_404,
  TD_SIM_HOSTILE_STATUS_429,
  TD_SIM_HOSTILE_STATUS_429_RETRY,
  TD_SIM_HOSTILE_STATUS_500,
  TD_SIM_HOSTILE_STATUS_502,
  TD_SIM_HOSTILE_HTML,
  TD_SIM_HOSTILE_EMPTY,
  TD_SIM_HOSTILE_TRUNCATED,
  TD_SIM_HOSTILE_WRONG_TYPE,
  TD_SIM_HOSTILE_MISSING_TOKEN,
  TD_SIM_HOSTILE_NOT_JWT,
  TD_SIM_HOSTILE_NO_EXP,
  TD_SIM_HOSTILE_HUGE,
  TD_SIM_HOSTILE_HANG,
  TD_SIM_HOSTILE_SLOW,
  TD_SIM_HOSTILE_RESET,
  TD_SIM_HOSTILE_REDIRECT,
} TdSimHostileMode;

/* The hostile modes that still answer 200 with the vendor's JSON bend the
 * tokens in one of these ways. */
typedef enum
{
  TD_SIM_SHAPE_VALID,
  TD_SIM_SHAPE_WRONG_TYPE,
  TD_SIM_SHAPE_MISSING,
  TD_SIM_SHAPE_NOT_JWT,
  TD_SIM_SHAPE_NO_EXP,
} TdSimShape;

typedef enum
{
  TD_SIM_TOKEN_ACCESS,
  TD_SIM_TOKEN_ID,
  TD_SIM_TOKEN_REFRESH,
  TD_SIM_TOKEN_ADMIN,
} TdSimTokenKind;

typedef struct
{
  char *username;
  char *password;
  char *id;             /* stable uuid: JWT "sub", Logware's "id" */
  char *reset_code;     /* Cover Whale's e-mailed code, NULL when none */
  guint twofa : 1;
  guint forbidden : 1;
  guint password_expired : 1;
} TdSimUser;

typedef struct
{
  char *username;       /* NULL for Couchdrop's administrative tokens */
  TdSimTokenKind kind;
  gint64 expires_at;    /* Unix seconds; G_MAXINT64 for never */
} TdSimToken;

typedef struct
{
  int latency_ms;
  int lifetime_s;
  double failure_rate;
  gboolean expires_in_as_string;  /* Cover Whale */
  gboolean jwt_tokens;            /* Couchdrop */
  guint login_failure_status;     /* Senmo */
  gint64 clock_skew_s;            /* the vendor's clock minus the real one */
  gint64 jwt_exp;                 /* the exp of every JWT minted, or 0 for now + lifetime_s */
} TdSimKnobs;

typedef struct
{
  TdVendorSim *sim;
  SoupServerMessage *msg;
  TdSimVendor vendor;
  JsonObject *body;     /* NULL unless the body was a JSON object */
  GHashTable *query;
} TdSimRequest;

typedef void (*TdSimHandler) (TdSimRequest *req);

/* Builds the vendor's 200 body for @user in @shape; when @store is FALSE the
 * tokens are minted but not accepted anywhere (hostile answers). */
typedef JsonObject *(*TdSimSuccessBody) (TdVendorSim *sim,
                                         TdSimUser   *user,
                                         TdSimShape   shape,
                                         gboolean     store);

/* td-vendor-sim.c */
gint64            td_sim_now                  (void);
char             *td_sim_random_string        (guint             len);
TdSimUser        *td_vendor_sim_lookup_user   (TdVendorSim      *self,
                                               TdSimVendor       vendor,
                                               const char       *username);
const TdSimKnobs *td_vendor_sim_get_knobs     (TdVendorSim      *self,
                                               TdSimVendor       vendor);
/* The vendor's own clock (clock_skew_s), and the expiry of a token it
 * mints at now on that clock (jwt_exp, or now + lifetime_s). */
gint64            td_vendor_sim_now           (TdVendorSim      *self,
                                               TdSimVendor       vendor);
gint64            td_vendor_sim_expiry        (TdVendorSim      *self,
                                               TdSimVendor       vendor,
                                               gint64            now);
char             *td_vendor_sim_sign_jwt      (TdVendorSim      *self,
                                               JsonObject       *claims);
char             *td_vendor_sim_dup_issuer    (TdVendorSim      *self,
                                               TdSimVendor       vendor);
void              td_vendor_sim_store_token   (TdVendorSim      *self,
                                               TdSimVendor       vendor,
                                               const char       *token,
                                               const char       *username,
                                               TdSimTokenKind    kind,
                                               gint64            expires_at);
const TdSimToken *td_vendor_sim_find_token    (TdVendorSim      *self,
                                               TdSimVendor       vendor,
                                               const char       *token);
void              td_vendor_sim_revoke_user   (TdVendorSim      *self,
                                               TdSimVendor       vendor,
                                               const char       *username);
void              td_vendor_sim_note          (TdVendorSim      *self,
                                               const char       *format,
                                               ...) G_GNUC_PRINTF (2, 3);

void              td_sim_respond              (SoupServerMessage *msg,
                                               guint              status,
                                               JsonObject        *object);
void              td_sim_respond_message      (SoupServerMessage *msg,
                                               guint              status,
                                               const char        *member,
                                               const char        *text);
const char       *td_sim_json_get_string      (JsonObject        *object,
                                               const char        *member);
const char       *td_sim_get_bearer           (SoupServerMessage *msg);
void              td_sim_set_token_member     (JsonObject        *body,
                                               const char        *member,
                                               const char        *token,
                                               TdSimShape         shape);

/* td-sim-coverwhale.c */
void        td_sim_coverwhale_authentication  (TdSimRequest *req);
void        td_sim_coverwhale_reset_request   (TdSimRequest *req);
void        td_sim_coverwhale_reset_confirm   (TdSimRequest *req);
void        td_sim_coverwhale_getindication   (TdSimRequest *req);
JsonObject *td_sim_coverwhale_success_body    (TdVendorSim  *sim,
                                               TdSimUser    *user,
                                               TdSimShape    shape,
                                               gboolean      store);

/* td-sim-couchdrop.c */
void        td_sim_couchdrop_authenticate     (TdSimRequest *req);
void        td_sim_couchdrop_account          (TdSimRequest *req);
JsonObject *td_sim_couchdrop_success_body     (TdVendorSim  *sim,
                                               TdSimUser    *user,
                                               TdSimShape    shape,
                                               gboolean      store);

/* td-sim-senmo.c */
void        td_sim_senmo_auth                 (TdSimRequest *req);
void        td_sim_senmo_refresh              (TdSimRequest *req);
void        td_sim_senmo_me                   (TdSimRequest *req);
JsonObject *td_sim_senmo_success_body         (TdVendorSim  *sim,
                                               TdSimUser    *user,
                                               TdSimShape    shape,
                                               gboolean      store);

/* td-sim-logware.c */
void        td_sim_logware_authenticate       (TdSimRequest *req);
void        td_sim_logware_me                 (TdSimRequest *req);
JsonObject *td_sim_logware_success_body       (TdVendorSim  *sim,
                                               TdSimUser    *user,
                                               TdSimShape    shape,
                                               gboolean      store);

G_END_DECLS
