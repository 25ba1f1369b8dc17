/* The client side of a WebAuthn assertion (W3C WebAuthn level 2, section
 * 7.2 from the client's end): Cognito's CREDENTIAL_REQUEST_OPTIONS in, the
 * AuthenticationResponseJSON Cognito's CREDENTIAL answer carries out. */
#include "build-config.h"
#include "libcognito/signin/webauthn.h"

#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>
#include <openssl/evp.h>

#include "libcognito/signin/auth.h"
#include "libcognito/wire/idp.h"
#include "libcognito/core/util.h"
#include "libcognito/signin/webauthn_internal.h"

/* A challenge is 16 to 64 random bytes in practice; allow some slack. */
#define CHALLENGE_MAX 512
#define RP_ID_MAX 253
#define CRED_ID_MAX 1023 /* WebAuthn: a credential id is at most 1023 bytes */
#define AUTH_DATA_MIN 37 /* rpIdHash(32) flags(1) signCount(4) */

char *cog_b64url_encode(const unsigned char *in, size_t n)
{
    char *s = cog_base64_encode(in, n);
    if (s == NULL)
        return NULL;
    size_t j = 0;
    for (size_t i = 0; s[i] != '\0'; i++) {
        if (s[i] == '=')
            break;
        s[j++] = s[i] == '+' ? '-' : s[i] == '/' ? '_' : s[i];
    }
    s[j] = '\0';
    return s;
}

unsigned char *cog_b64url_decode(const char *in, size_t *out_len)
{
    if (in == NULL)
        return NULL;
    /* Only the url-safe alphabet: a '+' or '/' is another encoding. */
    if (strpbrk(in, "+/") != NULL)
        return NULL;
    return cog_base64_decode(in, strlen(in), out_len);
}

bool cog_webauthn_rp_id_valid(const char *rp_id)
{
    size_t n = rp_id != NULL ? strlen(rp_id) : 0;
    if (n == 0 || n > RP_ID_MAX || rp_id[0] == '.' || rp_id[0] == '-' || rp_id[n - 1] == '.')
        return false;
    return strspn(rp_id, "abcdefghijklmnopqrstuvwxyz0123456789.-") == n && !strstr(rp_id, "..");
}

void cog_webauthn_options_free(struct cog_webauthn_options *o)
{
    for (size_t i = 0; i < o->allow_count; i++)
        free(o->allow[i].id);
    free(o->rp_id);
    free(o->challenge);
    memset(o, 0, sizeof(*o));
}

bool cog_webauthn_uv_required(const char *credential_request_options_json)
{
    struct json_object *root = json_tokener_parse(credential_request_options_json);
    const char *uv = cog_json_string(root, "userVerification");
    bool required = uv != NULL && strcmp(uv, "required") == 0;
    json_object_put(root);
    return required;
}

/* allowCredentials: [{"type":"public-key","id":B64URL,"transports":[...]}] */
static cog_status parse_allow(struct json_object *list, struct cog_webauthn_options *o,
                              struct cog_error *err)
{
    if (list == NULL)
        return COG_OK;
    if (!json_object_is_type(list, json_type_array) ||
        json_object_array_length(list) > COG_WEBAUTHN_MAX_ALLOW)
        return cog_error_set(err, COG_ERR_INVALID_INPUT, "",
                             "passkey options: allowCredentials is not a list of at most %d",
                             COG_WEBAUTHN_MAX_ALLOW);
    for (size_t i = 0; i < json_object_array_length(list); i++) {
        struct json_object *c = json_object_array_get_idx(list, i);
        const char *type = cog_json_string(c, "type");
        const char *id = cog_json_string(c, "id");
        if (type == NULL || strcmp(type, "public-key") != 0)
            continue; /* unknown credential types are skipped, as browsers do */
        size_t len = 0;
        unsigned char *raw = id != NULL ? cog_b64url_decode(id, &len) : NULL;
        if (raw == NULL || len == 0 || len > CRED_ID_MAX) {
            free(raw);
            return cog_error_set(err, COG_ERR_INVALID_INPUT, "",
                                 "passkey options: a credential id is not base64url");
        }
        o->allow[o->allow_count].id = raw;
        o->allow[o->allow_count++].len = len;
    }
    return COG_OK;
}

cog_status cog_webauthn_parse_options(const char *json, struct cog_webauthn_options *o,
                                      struct cog_error *err)
{
    cog_status st;
    memset(o, 0, sizeof(*o));
    struct json_object *root = json != NULL ? json_tokener_parse(json) : NULL;
    if (root == NULL || !json_object_is_type(root, json_type_object)) {
        st = cog_error_set(err, COG_ERR_INVALID_INPUT, "",
                           "passkey options: CREDENTIAL_REQUEST_OPTIONS is not a JSON object");
        goto out;
    }
    const char *challenge = cog_json_string(root, "challenge");
    size_t clen = 0;
    unsigned char *craw = challenge != NULL ? cog_b64url_decode(challenge, &clen) : NULL;
    bool challenge_ok = craw != NULL && clen >= 16 && strlen(challenge) <= CHALLENGE_MAX;
    free(craw);
    if (!challenge_ok) {
        st = cog_error_set(err, COG_ERR_INVALID_INPUT, "",
                           "passkey options: no base64url challenge of 16 bytes or more");
        goto out;
    }
    const char *rp_id = cog_json_string(root, "rpId");
    if (!cog_webauthn_rp_id_valid(rp_id)) {
        st = cog_error_set(err, COG_ERR_INVALID_INPUT, "",
                           "passkey options: rpId is missing or not a lower-case host name");
        goto out;
    }
    const char *uv = cog_json_string(root, "userVerification");
    o->uv_required = uv != NULL && strcmp(uv, "required") == 0;
    o->uv_preferred = uv == NULL || strcmp(uv, "preferred") == 0;
    struct json_object *t = json_object_object_get(root, "timeout");
    if (t != NULL && json_object_is_type(t, json_type_int) && json_object_get_int64(t) > 0)
        o->timeout_ms =
            (long)(json_object_get_int64(t) > 600000 ? 600000 : json_object_get_int64(t));
    o->challenge = strdup(challenge);
    o->rp_id = strdup(rp_id);
    if (o->challenge == NULL || o->rp_id == NULL) {
        st = cog_error_set(err, COG_ERR_NOMEM, "", "out of memory");
        goto out;
    }
    st = parse_allow(json_object_object_get(root, "allowCredentials"), o, err);
out:
    json_object_put(root);
    if (st != COG_OK)
        cog_webauthn_options_free(o);
    return st;
}

char *cog_webauthn_client_data(const char *type, const char *challenge, const char *origin)
{
    struct json_object *cd = json_object_new_object();
    char *text = NULL;
    if (cd == NULL)
        return NULL;
    if (cog_json_add_string(cd, "type", type) && cog_json_add_string(cd, "challenge", challenge) &&
        cog_json_add_string(cd, "origin", origin) &&
        json_object_object_add(cd, "crossOrigin", json_object_new_boolean(0)) == 0)
        text = cog_strdup(json_object_to_json_string_ext(cd, JSON_C_TO_STRING_PLAIN |
                                                                 JSON_C_TO_STRING_NOSLASHESCAPE));
    json_object_put(cd);
    return text;
}

char *cog_webauthn_origin(const struct cog_config *cfg, const char *rp_id)
{
    if (cfg != NULL && cfg->webauthn_origin != NULL)
        return cog_strdup(cfg->webauthn_origin);
    size_t n = strlen(rp_id) + sizeof("https://");
    char *o = malloc(n);
    if (o != NULL)
        snprintf(o, n, "https://%s", rp_id);
    return o;
}

bool cog_webauthn_sha256(const void *data, size_t len, unsigned char out[COG_WEBAUTHN_HASH_LEN])
{
    unsigned int n = 0;
    return EVP_Digest(data, len, out, &n, EVP_sha256(), NULL) == 1 && n == COG_WEBAUTHN_HASH_LEN;
}

/* Adds key: base64url(b) to obj; false on ENOMEM. */
bool cog_webauthn_add_b64url(struct json_object *obj, const char *key, const void *b, size_t n)
{
    char *s = cog_b64url_encode(b, n);
    bool ok = s != NULL && cog_json_add_string(obj, key, s);
    free(s);
    return ok;
}

/* What a key answered must be about this rpId and, when the options named
 * credentials, one of them: a confused or hostile key is refused here. */
static cog_status check_assertion(const struct cog_webauthn_options *o,
                                  const struct cog_webauthn_assertion *a, struct cog_error *err)
{
    unsigned char rp_hash[COG_WEBAUTHN_HASH_LEN];
    if (a->auth_data.failed || a->signature.failed || a->credential_id.failed ||
        a->user_handle.failed)
        return cog_error_set(err, COG_ERR_NOMEM, "", "out of memory");
    if (a->auth_data.len < AUTH_DATA_MIN || a->signature.len == 0 || a->credential_id.len == 0 ||
        a->credential_id.len > CRED_ID_MAX)
        return cog_error_set(err, COG_ERR_AUTH, "", "the security key gave an incomplete answer");
    if (!cog_webauthn_sha256(o->rp_id, strlen(o->rp_id), rp_hash))
        return cog_error_set(err, COG_ERR_INTERNAL, "", "SHA-256 failed");
    if (memcmp(rp_hash, a->auth_data.data, COG_WEBAUTHN_HASH_LEN) != 0)
        return cog_error_set(err, COG_ERR_AUTH, "", "the security key answered for another site");
    if (o->allow_count == 0)
        return COG_OK;
    for (size_t i = 0; i < o->allow_count; i++) {
        if (o->allow[i].len == a->credential_id.len &&
            memcmp(o->allow[i].id, a->credential_id.data, a->credential_id.len) == 0)
            return COG_OK;
    }
    return cog_error_set(err, COG_ERR_AUTH, "",
                         "the security key used a credential the pool did not ask for");
}

/* AuthenticationResponseJSON, base64url without padding throughout. */
static char *credential_json(const struct cog_webauthn_assertion *a, const char *client_data)
{
    struct json_object *root = json_object_new_object();
    struct json_object *resp = json_object_new_object();
    char *text = NULL;
    bool ok = root != NULL && resp != NULL;
    ok = ok && cog_webauthn_add_b64url(root, "id", a->credential_id.data, a->credential_id.len);
    ok = ok && cog_webauthn_add_b64url(root, "rawId", a->credential_id.data, a->credential_id.len);
    ok = ok && cog_json_add_string(root, "type", "public-key");
    ok = ok &&
         cog_webauthn_add_b64url(resp, "authenticatorData", a->auth_data.data, a->auth_data.len);
    ok = ok && cog_webauthn_add_b64url(resp, "clientDataJSON", client_data, strlen(client_data));
    ok = ok && cog_webauthn_add_b64url(resp, "signature", a->signature.data, a->signature.len);
    if (ok && a->user_handle.len > 0)
        ok = cog_webauthn_add_b64url(resp, "userHandle", a->user_handle.data, a->user_handle.len);
    if (ok && json_object_object_add(root, "response", resp) == 0)
        resp = NULL;
    else
        ok = false;
    ok =
        ok && json_object_object_add(root, "clientExtensionResults", json_object_new_object()) == 0;
    if (ok && a->attachment != NULL)
        ok = cog_json_add_string(root, "authenticatorAttachment", a->attachment);
    if (ok)
        text = cog_strdup(json_object_to_json_string_ext(root, JSON_C_TO_STRING_PLAIN |
                                                                   JSON_C_TO_STRING_NOSLASHESCAPE));
    json_object_put(resp);
    json_object_put(root);
    return text;
}

void cog_webauthn_assertion_free(struct cog_webauthn_assertion *a)
{
    cog_buf_free(&a->auth_data);
    cog_buf_free(&a->signature);
    cog_buf_free(&a->credential_id);
    cog_buf_free(&a->user_handle);
    a->attachment = NULL;
}

int cog_webauthn_answer(const struct cog_config *cfg, const char *credential_request_options_json,
                        const struct cog_authenticator *auth, const char *pin,
                        char **credential_json_out, struct cog_error *err)
{
    struct cog_webauthn_options o;
    struct cog_webauthn_assertion a;
    struct cog_webauthn_request req;
    char *origin = NULL, *client_data = NULL;
    cog_status st;

    memset(&a, 0, sizeof(a));
    memset(&req, 0, sizeof(req));
    *credential_json_out = NULL;
    if (auth == NULL || auth->get_assertion == NULL)
        return cog_error_set(err, COG_ERR_INTERNAL, "", "no security key interface");
    if ((st = cog_webauthn_parse_options(credential_request_options_json, &o, err)) != COG_OK)
        return st;
    origin = cog_webauthn_origin(cfg, o.rp_id);
    client_data =
        origin != NULL ? cog_webauthn_client_data("webauthn.get", o.challenge, origin) : NULL;
    if (client_data == NULL) {
        st = cog_error_set(err, COG_ERR_NOMEM, "", "out of memory");
        goto out;
    }
    if (!cog_webauthn_sha256(client_data, strlen(client_data), req.client_data_hash)) {
        st = cog_error_set(err, COG_ERR_INTERNAL, "", "SHA-256 failed");
        goto out;
    }
    req.rp_id = o.rp_id;
    req.allow = o.allow;
    req.allow_count = o.allow_count;
    req.uv_required = o.uv_required;
    req.uv_preferred = o.uv_preferred;
    req.timeout_ms = o.timeout_ms;
    if ((st = (cog_status)auth->get_assertion(auth->ctx, &req, pin, &a, err)) != COG_OK)
        goto out;
    if ((st = check_assertion(&o, &a, err)) != COG_OK)
        goto out;
    if ((*credential_json_out = credential_json(&a, client_data)) == NULL)
        st = cog_error_set(err, COG_ERR_NOMEM, "", "out of memory");
out:
    cog_webauthn_assertion_free(&a);
    cog_webauthn_options_free(&o);
    free(origin);
    free(client_data);
    return st;
}

int cog_webauthn_respond(const struct cog_config *cfg, const char *credential_request_options_json,
                         const struct cog_authenticator *auth, const struct cog_auth_callbacks *cb,
                         char **credential_json_out, struct cog_error *err)
{
    char *pin = NULL;
    cog_status st;
    *credential_json_out = NULL;
    if (auth == NULL || cb == NULL)
        return cog_error_set(err, COG_ERR_INTERNAL, "", "no security key interface");
    if (cog_webauthn_uv_required(credential_request_options_json) && auth->needs_pin != NULL &&
        auth->needs_pin(auth->ctx)) {
        if (cb->ask_password == NULL)
            return cog_error_set(err, COG_ERR_INTERNAL, "", "no way to ask the key's PIN");
        if ((st = cb->ask_password(cb->ctx, COG_PROMPT_SECURITY_KEY_PIN, &pin)) != COG_OK)
            return cog_error_set(err, st, "", "the security key's PIN was not given");
    }
    if (cb->show_info != NULL)
        cb->show_info(cb->ctx, COG_TEXT_TOUCH_KEY);
    st = (cog_status)cog_webauthn_answer(cfg, credential_request_options_json, auth, pin,
                                         credential_json_out, err);
    cog_free_secret(pin);
    return st;
}

void cog_authenticator_close(struct cog_authenticator *auth)
{
    if (auth == NULL)
        return;
    if (auth->close != NULL)
        auth->close(auth->ctx);
    memset(auth, 0, sizeof(*auth));
}
