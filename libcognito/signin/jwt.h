/* ID/access token verification: RS256 against the pool's JWKS, then the
 * claims Cognito promises (iss, aud or client_id, token_use, exp, iat). */
#ifndef COGNITO_JWT_H
#define COGNITO_JWT_H

#include <stdbool.h>
#include <time.h>
#include <json-c/json.h>
#include "libcognito/core/error.h"

struct cog_idp;
struct cog_jwks;

/* Parses a JWKS document: RSA keys (kty RSA, alg RS256 or absent, use sig or absent). */
cog_status cog_jwks_parse(const char *json, size_t len, struct cog_jwks **out,
                          struct cog_error *err);
void cog_jwks_free(struct cog_jwks *jwks);
size_t cog_jwks_count(const struct cog_jwks *jwks);

struct cog_jwt_expect {
    const char *issuer;    /* exact iss */
    const char *client_id; /* aud (id token) or client_id (access token) */
    const char *token_use; /* "id" or "access" */
    long skew;             /* seconds of clock skew allowed on exp/iat */
};

/* Verifies token against keys. COG_OK: *claims (if not NULL) holds the payload.
 * COG_ERR_TOKEN for any failed check; *unknown_kid set when only the key was missing. */
cog_status cog_jwt_verify(const char *token, const struct cog_jwks *jwks,
                          const struct cog_jwt_expect *expect, time_t now,
                          struct json_object **claims, bool *unknown_kid, struct cog_error *err);

/* Decodes the payload without verifying (display and tests only). */
cog_status cog_jwt_decode_unverified(const char *token, struct json_object **header,
                                     struct json_object **claims, struct cog_error *err);

/* Verifies a token of the configured pool over idp's connection: JWKS from the
 * on-disk cache (cfg->cache_dir) or fetched, refetched once on an unknown kid. */
cog_status cog_token_verify(struct cog_idp *idp, const char *token, const char *token_use,
                            struct json_object **claims, struct cog_error *err);
/* The same for tokens of another app client of the pool (device_client_id). */
cog_status cog_token_verify_for(struct cog_idp *idp, const char *token, const char *token_use,
                                const char *client_id, struct json_object **claims,
                                struct cog_error *err);

#endif
