/* The cognito-idp JSON API: one POST per operation, JSON in and out (json-c),
 * Cognito's error shapes turned into a cog_status. */
#ifndef COGNITO_IDP_H
#define COGNITO_IDP_H

#include <time.h>

#include <json-c/json.h>
#include "libcognito/core/config.h"
#include "libcognito/core/json.h" /* the helpers lived here once: callers still find them */
#include "libcognito/core/error.h"
#include "libcognito/wire/http.h"

/* A stand-in for the network, so tests and fuzzers can drive the IdP calls
 * (and so the whole login) with scripted answers. Production never sets one.
 *
 * post gets the X-Amz-Target value ("AWSCognitoIdentityProviderService.Op")
 * and the JSON request text; get is the JWKS fetch. Each fills resp as
 * cog_http_post/get would: status, a malloc'd NUL-terminated body (the caller
 * wipes and frees it), len, error_type (the x-amzn-ErrorType header or "").
 * A non-OK return is a transport failure (reset, timeout), normally
 * COG_ERR_UNAVAILABLE with err set. */
struct cog_idp_transport {
    void *ctx;
    cog_status (*post)(void *ctx, const char *url, const char *target, const char *body,
                       size_t body_len, struct cog_http_response *resp, struct cog_error *err);
    cog_status (*get)(void *ctx, const char *url, struct cog_http_response *resp,
                      struct cog_error *err);
    /* SRP's private a (big-endian) for byte-exact replays; NULL: random, as in production. */
    const unsigned char *srp_a;
    size_t srp_a_len;
    /* The same for a remembered device's SRP (DEVICE_SRP_AUTH). */
    const unsigned char *device_srp_a;
    size_t device_srp_a_len;
    /* The clock the TIMESTAMPs of SRP claims are made from; 0: the real one. */
    time_t now;
};

struct cog_idp {
    const struct cog_config *cfg;
    struct cog_http *http;                     /* NULL when transport is set */
    char *url;                                 /* the cognito-idp endpoint */
    const struct cog_idp_transport *transport; /* tests and fuzzers only */
};

/* Opens the transport for one login (or one cognitoctl command). */
cog_status cog_idp_open(struct cog_idp *idp, const struct cog_config *cfg, struct cog_error *err);
/* The same without libcurl: every request goes to transport (not copied; it
 * must outlive idp). */
cog_status cog_idp_open_transport(struct cog_idp *idp, const struct cog_config *cfg,
                                  const struct cog_idp_transport *transport, struct cog_error *err);
void cog_idp_close(struct cog_idp *idp);

/* GET url over idp's transport (the JWKS fetch). */
cog_status cog_idp_get(struct cog_idp *idp, const char *url, struct cog_http_response *resp,
                       struct cog_error *err);

/* Now, or the transport's fixed time. */
time_t cog_idp_now(const struct cog_idp *idp);

/* Calls AWSCognitoIdentityProviderService.<op> with req (not consumed).
 * On COG_OK, *resp is the parsed JSON object (caller puts it). On a service
 * error, the status is mapped from the exception name and err->code holds it. */
cog_status cog_idp_call(struct cog_idp *idp, const char *op, struct json_object *req,
                        struct json_object **resp, struct cog_error *err);

/* The same for another JSON-1.1 service on another URL (the identity pool:
 * target "AWSCognitoIdentityService.GetId"). */
cog_status cog_idp_call_target(struct cog_idp *idp, const char *url, const char *target,
                               struct json_object *req, struct json_object **resp,
                               struct cog_error *err);

/* POSTs body with the given headers (NULL-terminated) to url over idp's
 * connection (or its transport, which gets target instead of the headers)
 * and reads the answer: a 2xx JSON object into *resp, else the error as
 * cog_idp_parse_error reads it. */
cog_status cog_idp_post(struct cog_idp *idp, const char *url, const char *target,
                        const char *const *headers, const char *body, size_t body_len,
                        struct json_object **resp, struct cog_error *err);

/* Reads an AWS JSON error answer: `__type` (the part after '#'), falling back
 * to the x-amzn-ErrorType header (the part before ':'); `message`/`Message`.
 * 5xx, throttling and unparsable bodies are COG_ERR_UNAVAILABLE. */
cog_status cog_idp_parse_error(long http_status, const char *body, size_t len,
                               const char *error_type_header, struct cog_error *err);

/* Parses a 2xx body: must be a JSON object, else COG_ERR_UNAVAILABLE. */
cog_status cog_idp_parse_body(const char *body, size_t len, struct json_object **out,
                              struct cog_error *err);

/* Adds SECRET_HASH for username to obj under key when the client has a secret. */
cog_status cog_idp_add_secret_hash(const struct cog_config *cfg, struct json_object *obj,
                                   const char *key, const char *username, struct cog_error *err);

/* SECRET_HASH = base64(HMAC-SHA256(key = client_secret, msg = username || client_id)). */
#define COG_SECRET_HASH_MAX 64
cog_status cog_secret_hash(const char *client_secret, const char *username, const char *client_id,
                           char out[COG_SECRET_HASH_MAX]);

#endif
