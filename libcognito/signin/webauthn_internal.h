/* What webauthn.c shares with the registration (webauthn_reg.c) and the
 * authenticators: parsed options, clientDataJSON, encodings. */
#ifndef COGNITO_WEBAUTHN_INTERNAL_H
#define COGNITO_WEBAUTHN_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>

#include <json-c/json.h>
#include "libcognito/signin/webauthn.h"

/* CREDENTIAL_REQUEST_OPTIONS, checked and decoded. */
struct cog_webauthn_options {
    char *challenge; /* base64url, exactly as given */
    char *rp_id;
    struct cog_webauthn_cred_id allow[COG_WEBAUTHN_MAX_ALLOW];
    size_t allow_count;
    bool uv_required, uv_preferred;
    long timeout_ms;
};

cog_status cog_webauthn_parse_options(const char *json, struct cog_webauthn_options *o,
                                      struct cog_error *err);
void cog_webauthn_options_free(struct cog_webauthn_options *o);
/* A lower-case DNS name (WebAuthn's rpId: no scheme, port or path). */
bool cog_webauthn_rp_id_valid(const char *rp_id);
/* {"type":TYPE,"challenge":...,"origin":...,"crossOrigin":false}; malloc'd. */
char *cog_webauthn_client_data(const char *type, const char *challenge, const char *origin);
/* cfg->webauthn_origin, else https://<rp_id>; malloc'd. */
char *cog_webauthn_origin(const struct cog_config *cfg, const char *rp_id);
bool cog_webauthn_sha256(const void *data, size_t len, unsigned char out[COG_WEBAUTHN_HASH_LEN]);
bool cog_webauthn_add_b64url(struct json_object *obj, const char *key, const void *b, size_t n);

#endif
