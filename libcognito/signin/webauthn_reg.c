/* Enrolment of a passkey: StartWebAuthnRegistration's creation options in,
 * the RegistrationResponseJSON that CompleteWebAuthnRegistration takes out,
 * with attestation "none" (Cognito keeps the key, not a vendor's claim). */
#include "build-config.h"
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "libcognito/wire/idp.h"
#include "libcognito/core/util.h"
#include "libcognito/signin/webauthn.h"
#include "libcognito/signin/webauthn_internal.h"

#define USER_ID_MAX 64 /* WebAuthn: user.id is at most 64 bytes */
#define COSE_ES256 (-7)

void cog_webauthn_new_credential_free(struct cog_webauthn_new_credential *c)
{
    cog_buf_free(&c->auth_data);
    cog_buf_free(&c->credential_id);
    c->attachment = NULL;
}

/* The creation options, checked: what the key is asked to make. */
struct create_options {
    char *challenge, *rp_id, *rp_name, *user_name, *display_name;
    unsigned char *user_id;
    size_t user_id_len;
    struct cog_webauthn_cred_id exclude[COG_WEBAUTHN_MAX_ALLOW];
    size_t exclude_count;
    bool uv_required;
};

static void create_options_free(struct create_options *o)
{
    free(o->challenge);
    free(o->rp_id);
    free(o->rp_name);
    free(o->user_name);
    free(o->display_name);
    free(o->user_id);
    for (size_t i = 0; i < o->exclude_count; i++)
        free(o->exclude[i].id);
    memset(o, 0, sizeof(*o));
}

static char *dup_or(const char *s, const char *fallback)
{
    return cog_strdup(s != NULL ? s : fallback);
}

/* True when pubKeyCredParams offers ES256, the one algorithm we make. */
static bool offers_es256(struct json_object *params)
{
    for (size_t i = 0; params != NULL && json_object_is_type(params, json_type_array) &&
                       i < json_object_array_length(params);
         i++) {
        struct json_object *alg =
            json_object_object_get(json_object_array_get_idx(params, i), "alg");
        if (alg != NULL && json_object_is_type(alg, json_type_int) &&
            json_object_get_int(alg) == COSE_ES256)
            return true;
    }
    return false;
}

static cog_status parse_create(const char *json, struct create_options *o, struct cog_error *err)
{
    cog_status st = COG_OK;
    memset(o, 0, sizeof(*o));
    struct json_object *root = json != NULL ? json_tokener_parse(json) : NULL;
    struct json_object *rp = cog_json_object(root, "rp"), *user = cog_json_object(root, "user");
    const char *challenge = cog_json_string(root, "challenge");
    const char *rp_id = cog_json_string(rp, "id");
    const char *user_id = cog_json_string(user, "id");
    size_t n = 0;
    unsigned char *raw = challenge != NULL ? cog_b64url_decode(challenge, &n) : NULL;
    bool challenge_ok = raw != NULL && n >= 16;
    free(raw);
    if (!challenge_ok || !cog_webauthn_rp_id_valid(rp_id) || user_id == NULL) {
        st = cog_error_set(err, COG_ERR_SERVICE, "",
                           "passkey creation options lack a challenge, rp.id or user.id");
        goto out;
    }
    o->user_id = cog_b64url_decode(user_id, &o->user_id_len);
    if (o->user_id == NULL || o->user_id_len == 0 || o->user_id_len > USER_ID_MAX) {
        st = cog_error_set(err, COG_ERR_SERVICE, "", "passkey creation options: bad user.id");
        goto out;
    }
    if (!offers_es256(json_object_object_get(root, "pubKeyCredParams"))) {
        st = cog_error_set(err, COG_ERR_SERVICE, "",
                           "the pool does not accept ES256 keys (pubKeyCredParams)");
        goto out;
    }
    struct json_object *sel = cog_json_object(root, "authenticatorSelection");
    const char *uv = cog_json_string(sel, "userVerification");
    o->uv_required = uv != NULL && strcmp(uv, "required") == 0;
    /* excludeCredentials has allowCredentials' shape: reuse its parser. */
    struct json_object *opts = json_object_new_object();
    struct json_object *ex = json_object_object_get(root, "excludeCredentials");
    if (opts != NULL && ex != NULL)
        json_object_object_add(opts, "allowCredentials", json_object_get(ex));
    json_object_object_add(opts, "challenge", json_object_new_string(challenge));
    json_object_object_add(opts, "rpId", json_object_new_string(rp_id));
    struct cog_webauthn_options parsed;
    st = cog_webauthn_parse_options(json_object_to_json_string(opts), &parsed, err);
    json_object_put(opts);
    if (st != COG_OK)
        goto out;
    memcpy(o->exclude, parsed.allow, sizeof(parsed.allow));
    o->exclude_count = parsed.allow_count;
    parsed.allow_count = 0;
    cog_webauthn_options_free(&parsed);
    o->challenge = cog_strdup(challenge);
    o->rp_id = cog_strdup(rp_id);
    o->rp_name = dup_or(cog_json_string(rp, "name"), rp_id);
    o->user_name = dup_or(cog_json_string(user, "name"), "");
    o->display_name = dup_or(cog_json_string(user, "displayName"), "");
    if (!o->challenge || !o->rp_id || !o->rp_name || !o->user_name || !o->display_name)
        st = cog_error_set(err, COG_ERR_NOMEM, "", "out of memory");
out:
    json_object_put(root);
    if (st != COG_OK)
        create_options_free(o);
    return st;
}

/* CBOR head of major type mt with argument n (RFC 8949 section 3). */
static void cbor_head(struct cog_buf *b, unsigned mt, size_t n)
{
    unsigned char h[3];
    if (n < 24) {
        h[0] = (unsigned char)(mt << 5 | n);
        cog_buf_add(b, h, 1);
    } else if (n < 256) {
        h[0] = (unsigned char)(mt << 5 | 24);
        h[1] = (unsigned char)n;
        cog_buf_add(b, h, 2);
    } else {
        h[0] = (unsigned char)(mt << 5 | 25);
        h[1] = (unsigned char)(n >> 8);
        h[2] = (unsigned char)n;
        cog_buf_add(b, h, 3);
    }
}

static void cbor_text(struct cog_buf *b, const char *s)
{
    cbor_head(b, 3, strlen(s));
    cog_buf_adds(b, s);
}

/* {"fmt": "none", "attStmt": {}, "authData": bytes}: attestation "none". */
static bool attestation_none(const struct cog_buf *auth_data, struct cog_buf *out)
{
    if (auth_data->len > 0xffff)
        return false;
    cbor_head(out, 5, 3);
    cbor_text(out, "fmt");
    cbor_text(out, "none");
    cbor_text(out, "attStmt");
    cbor_head(out, 5, 0);
    cbor_text(out, "authData");
    cbor_head(out, 2, auth_data->len);
    cog_buf_add(out, auth_data->data, auth_data->len);
    return !out->failed;
}

static char *registration_json(const struct cog_webauthn_new_credential *c,
                               const struct cog_buf *att, const char *client_data)
{
    struct json_object *root = json_object_new_object(), *resp = json_object_new_object();
    struct json_object *transports = json_object_new_array();
    char *text = NULL;
    bool ok = root != NULL && resp != NULL && transports != NULL;
    ok = ok && cog_webauthn_add_b64url(root, "id", c->credential_id.data, c->credential_id.len);
    ok = ok && cog_webauthn_add_b64url(root, "rawId", c->credential_id.data, c->credential_id.len);
    ok = ok && cog_json_add_string(root, "type", "public-key");
    ok = ok && cog_webauthn_add_b64url(resp, "clientDataJSON", client_data, strlen(client_data));
    ok = ok && cog_webauthn_add_b64url(resp, "attestationObject", att->data, att->len);
    ok = ok && json_object_array_add(transports, json_object_new_string("usb")) == 0;
    if (ok && json_object_object_add(resp, "transports", transports) == 0)
        transports = NULL;
    if (ok && json_object_object_add(root, "response", resp) == 0)
        resp = NULL;
    ok = ok && resp == NULL && transports == NULL;
    ok =
        ok && json_object_object_add(root, "clientExtensionResults", json_object_new_object()) == 0;
    if (ok && c->attachment != NULL)
        ok = cog_json_add_string(root, "authenticatorAttachment", c->attachment);
    if (ok)
        text = cog_strdup(json_object_to_json_string_ext(root, JSON_C_TO_STRING_PLAIN |
                                                                   JSON_C_TO_STRING_NOSLASHESCAPE));
    json_object_put(transports);
    json_object_put(resp);
    json_object_put(root);
    return text;
}

int cog_webauthn_register(const struct cog_config *cfg, const char *creation_options_json,
                          const struct cog_authenticator *auth, const char *pin,
                          char **credential_json_out, struct cog_error *err)
{
    struct create_options o;
    struct cog_webauthn_create_request req;
    struct cog_webauthn_new_credential c;
    struct cog_buf att = {0};
    char *origin = NULL, *client_data = NULL;
    cog_status st;

    memset(&c, 0, sizeof(c));
    memset(&req, 0, sizeof(req));
    *credential_json_out = NULL;
    if (auth == NULL || auth->make_credential == NULL)
        return cog_error_set(err, COG_ERR_INTERNAL, "", "this security key cannot enrol");
    if ((st = parse_create(creation_options_json, &o, err)) != COG_OK)
        return st;
    origin = cog_webauthn_origin(cfg, o.rp_id);
    client_data = origin ? cog_webauthn_client_data("webauthn.create", o.challenge, origin) : NULL;
    if (client_data == NULL ||
        !cog_webauthn_sha256(client_data, strlen(client_data), req.client_data_hash)) {
        st = cog_error_set(err, COG_ERR_NOMEM, "", "out of memory");
        goto out;
    }
    req.rp_id = o.rp_id;
    req.rp_name = o.rp_name;
    req.user_id = o.user_id;
    req.user_id_len = o.user_id_len;
    req.user_name = o.user_name;
    req.user_display_name = o.display_name;
    req.exclude = o.exclude;
    req.exclude_count = o.exclude_count;
    req.uv_required = o.uv_required;
    if ((st = (cog_status)auth->make_credential(auth->ctx, &req, pin, &c, err)) != COG_OK)
        goto out;
    if (c.auth_data.len < 37 + 16 + 2 || c.credential_id.len == 0 || c.auth_data.failed ||
        c.credential_id.failed) {
        st = cog_error_set(err, COG_ERR_AUTH, "", "the security key made no usable credential");
        goto out;
    }
    if (!attestation_none(&c.auth_data, &att) ||
        (*credential_json_out = registration_json(&c, &att, client_data)) == NULL)
        st = cog_error_set(err, COG_ERR_NOMEM, "", "out of memory");
out:
    cog_webauthn_new_credential_free(&c);
    cog_buf_free(&att);
    create_options_free(&o);
    free(origin);
    free(client_data);
    return st;
}
