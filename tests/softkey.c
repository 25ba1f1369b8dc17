/* The software authenticator of tests/softkey.h. State file (JSON, 0600):
 *   {"key": PEM private key, "cred_id": b64url, "user_handle": b64url,
 *    "rp_id": "...", "count": N, "uv": bool, "pin": "..."}
 * or, instead of "key", "d", "x", "y": the key as 64 hex digits each (the
 * mock makes such keys for PAM tests: POST /_mock/webauthn/softkey).
 * authenticatorData = SHA-256(rpId) | flags | signCount (big-endian 32)
 * [| attested credential data, at enrolment]; the signature is ES256 (DER)
 * over authenticatorData | clientDataHash, as CTAP2 specifies. */
#include "build-config.h"
#include "tests/softkey.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>
#include <openssl/rand.h>

#include "libcognito/wire/idp.h"
#include "libcognito/core/util.h"

#define FLAG_UP 0x01
#define FLAG_UV 0x04
#define FLAG_AT 0x40
#define STATE_MAX 16384

static struct json_object *load(const char *path)
{
    char *text = NULL;
    size_t len = 0;
    unsigned mode = 0;
    struct cog_error err;
    if (cog_read_trusted_file(path, STATE_MAX, &text, &len, &mode, &err) != COG_OK)
        return NULL;
    struct json_object *o = json_tokener_parse(text);
    cog_free_secret(text);
    return o;
}

static bool save(const char *path, struct json_object *o)
{
    struct cog_error err;
    const char *text = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY);
    return cog_write_file_atomic(path, text, strlen(text), 0600, &err) == COG_OK;
}

static long get_long(struct json_object *o, const char *key)
{
    struct json_object *v = json_object_object_get(o, key);
    return v != NULL && json_object_is_type(v, json_type_int) ? (long)json_object_get_int64(v) : -1;
}

static bool set_field(const char *path, const char *key, struct json_object *value)
{
    struct json_object *o = load(path);
    bool ok = o != NULL && json_object_object_add(o, key, value) == 0;
    if (!ok)
        json_object_put(value);
    ok = ok && save(path, o);
    json_object_put(o);
    return ok;
}

bool softkey_set_count(const char *path, long count)
{
    return set_field(path, "count", json_object_new_int64(count));
}

bool softkey_set_uv(const char *path, bool uv)
{
    return set_field(path, "uv", json_object_new_boolean(uv));
}

bool softkey_set_pin(const char *path, const char *pin)
{
    return set_field(path, "pin", pin && *pin ? json_object_new_string(pin) : NULL);
}

long softkey_count(const char *path)
{
    struct json_object *o = load(path);
    long n = get_long(o, "count");
    json_object_put(o);
    return n;
}

static void add_be32(struct cog_buf *b, unsigned long v)
{
    unsigned char c[4] = {(unsigned char)(v >> 24), (unsigned char)(v >> 16),
                          (unsigned char)(v >> 8), (unsigned char)v};
    cog_buf_add(b, c, 4);
}

static bool add_b64url_field(struct json_object *o, const char *key, struct cog_buf *out)
{
    size_t n = 0;
    const char *s = cog_json_string(o, key);
    unsigned char *raw = s != NULL ? cog_b64url_decode(s, &n) : NULL;
    if (raw == NULL)
        return false;
    cog_buf_add(out, raw, n);
    free(raw);
    return !out->failed;
}

/* A key given as hex numbers (the mock writes these: POST
 * /_mock/webauthn/softkey): private scalar d, public point x, y. */
static EVP_PKEY *key_of_hex(struct json_object *o)
{
    unsigned char pub[65], priv[32];
    const char *d = cog_json_string(o, "d"), *x = cog_json_string(o, "x"),
               *y = cog_json_string(o, "y");
    EVP_PKEY *k = NULL;
    EVP_PKEY_CTX *ctx = NULL;
    BIGNUM *bn = NULL;
    OSSL_PARAM_BLD *bld = NULL;
    OSSL_PARAM *params = NULL;
    if (d == NULL || x == NULL || y == NULL || strlen(d) != 64 || strlen(x) != 64 ||
        strlen(y) != 64)
        return NULL;
    pub[0] = 0x04;
    for (size_t i = 0; i < 32; i++) {
        if (sscanf(x + 2 * i, "%2hhx", &pub[1 + i]) != 1 ||
            sscanf(y + 2 * i, "%2hhx", &pub[33 + i]) != 1 ||
            sscanf(d + 2 * i, "%2hhx", &priv[i]) != 1)
            return NULL;
    }
    if ((bn = BN_bin2bn(priv, sizeof(priv), NULL)) == NULL ||
        (bld = OSSL_PARAM_BLD_new()) == NULL ||
        !OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, "prime256v1", 0) ||
        !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_PRIV_KEY, bn) ||
        !OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, pub, sizeof(pub)) ||
        (params = OSSL_PARAM_BLD_to_param(bld)) == NULL ||
        (ctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL)) == NULL ||
        EVP_PKEY_fromdata_init(ctx) != 1 ||
        EVP_PKEY_fromdata(ctx, &k, EVP_PKEY_KEYPAIR, params) != 1)
        k = NULL;
    OSSL_PARAM_free(params);
    OSSL_PARAM_BLD_free(bld);
    BN_clear_free(bn);
    EVP_PKEY_CTX_free(ctx);
    OPENSSL_cleanse(priv, sizeof(priv));
    return k;
}

static EVP_PKEY *key_of(struct json_object *o)
{
    const char *pem = cog_json_string(o, "key");
    if (pem == NULL)
        return key_of_hex(o);
    BIO *bio = BIO_new_mem_buf(pem, -1);
    EVP_PKEY *k = bio != NULL ? PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL) : NULL;
    BIO_free(bio);
    return k;
}

/* UV: with a PIN, only the right one; without, when the key "can" (uv). */
static cog_status user_verified(struct json_object *o, const char *pin, bool *uv,
                                struct cog_error *err)
{
    const char *want = cog_json_string(o, "pin");
    *uv = false;
    if (want != NULL) {
        if (pin == NULL)
            return COG_OK;
        if (strcmp(pin, want) != 0)
            return cog_error_set(err, COG_ERR_AUTH, "", "softkey: wrong PIN");
        *uv = true;
        return COG_OK;
    }
    struct json_object *can = json_object_object_get(o, "uv");
    *uv = can != NULL && json_object_get_boolean(can);
    return COG_OK;
}

static int get_assertion(void *ctx, const struct cog_webauthn_request *req, const char *pin,
                         struct cog_webauthn_assertion *out, struct cog_error *err)
{
    const char *path = ctx;
    struct json_object *o = load(path);
    EVP_PKEY *key = NULL;
    EVP_MD_CTX *md = NULL;
    unsigned char rp_hash[32];
    unsigned int hn = 0;
    size_t siglen = 0;
    bool uv = false;
    cog_status st;

    memset(out, 0, sizeof(*out));
    if (o == NULL || (key = key_of(o)) == NULL) {
        st = cog_error_set(err, COG_ERR_UNAVAILABLE, "", "softkey: no key in %s", path);
        goto out;
    }
    if ((st = user_verified(o, pin, &uv, err)) != COG_OK)
        goto out;
    long count = get_long(o, "count") + 1;
    EVP_Digest(req->rp_id, strlen(req->rp_id), rp_hash, &hn, EVP_sha256(), NULL);
    cog_buf_add(&out->auth_data, rp_hash, sizeof(rp_hash));
    cog_buf_addc(&out->auth_data, (char)(FLAG_UP | (uv ? FLAG_UV : 0)));
    add_be32(&out->auth_data, (unsigned long)count);
    struct cog_buf signed_data = {0};
    cog_buf_add(&signed_data, out->auth_data.data, out->auth_data.len);
    cog_buf_add(&signed_data, req->client_data_hash, sizeof(req->client_data_hash));
    md = EVP_MD_CTX_new();
    bool ok = md != NULL && !signed_data.failed &&
              EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, key) == 1 &&
              EVP_DigestSign(md, NULL, &siglen, (unsigned char *)signed_data.data,
                             signed_data.len) == 1 &&
              cog_buf_reserve(&out->signature, siglen) &&
              EVP_DigestSign(md, (unsigned char *)out->signature.data, &siglen,
                             (unsigned char *)signed_data.data, signed_data.len) == 1;
    cog_buf_free(&signed_data);
    if (!ok) {
        st = cog_error_set(err, COG_ERR_INTERNAL, "", "softkey: signing failed");
        goto out;
    }
    out->signature.len = siglen;
    if (!add_b64url_field(o, "cred_id", &out->credential_id) ||
        !add_b64url_field(o, "user_handle", &out->user_handle) || !softkey_set_count(path, count)) {
        st = cog_error_set(err, COG_ERR_INTERNAL, "", "softkey: bad state file %s", path);
        goto out;
    }
    out->attachment = "cross-platform";
    st = COG_OK;
out:
    EVP_MD_CTX_free(md);
    EVP_PKEY_free(key);
    json_object_put(o);
    if (st != COG_OK)
        cog_webauthn_assertion_free(out);
    return st;
}

/* COSE_Key of an ES256 public key: {1:2, 3:-7, -1:1, -2:x, -3:y}. */
static bool add_cose_key(struct cog_buf *b, EVP_PKEY *key)
{
    unsigned char pub[65];
    size_t n = 0;
    if (EVP_PKEY_get_octet_string_param(key, OSSL_PKEY_PARAM_PUB_KEY, pub, sizeof(pub), &n) != 1 ||
        n != 65 || pub[0] != 0x04)
        return false;
    static const unsigned char head[] = {0xa5, 0x01, 0x02, 0x03, 0x26,
                                         0x20, 0x01, 0x21, 0x58, 0x20};
    static const unsigned char y_head[] = {0x22, 0x58, 0x20};
    cog_buf_add(b, head, sizeof(head));
    cog_buf_add(b, pub + 1, 32);
    cog_buf_add(b, y_head, sizeof(y_head));
    cog_buf_add(b, pub + 33, 32);
    return !b->failed;
}

static char *key_pem(EVP_PKEY *key)
{
    BIO *bio = BIO_new(BIO_s_mem());
    char *pem = NULL, *data = NULL;
    if (bio != NULL && PEM_write_bio_PrivateKey(bio, key, NULL, NULL, 0, NULL, NULL) == 1) {
        long n = BIO_get_mem_data(bio, &data);
        if (n > 0 && (pem = malloc((size_t)n + 1)) != NULL) {
            memcpy(pem, data, (size_t)n);
            pem[n] = '\0';
        }
    }
    BIO_free(bio);
    return pem;
}

static int make_credential(void *ctx, const struct cog_webauthn_create_request *req,
                           const char *pin, struct cog_webauthn_new_credential *out,
                           struct cog_error *err)
{
    const char *path = ctx;
    unsigned char cred_id[32], rp_hash[32], aaguid[16] = {0};
    unsigned int hn = 0;
    char *pem = NULL, *id64 = NULL, *uh64 = NULL;
    struct json_object *o = json_object_new_object();
    EVP_PKEY *key = EVP_EC_gen("P-256");
    cog_status st = COG_OK;

    memset(out, 0, sizeof(*out));
    if (o == NULL || key == NULL || RAND_bytes(cred_id, sizeof(cred_id)) != 1 ||
        (pem = key_pem(key)) == NULL) {
        st = cog_error_set(err, COG_ERR_INTERNAL, "", "softkey: key generation failed");
        goto out;
    }
    EVP_Digest(req->rp_id, strlen(req->rp_id), rp_hash, &hn, EVP_sha256(), NULL);
    id64 = cog_b64url_encode(cred_id, sizeof(cred_id));
    uh64 = cog_b64url_encode(req->user_id, req->user_id_len);
    json_object_object_add(o, "key", json_object_new_string(pem));
    json_object_object_add(o, "cred_id", json_object_new_string(id64 ? id64 : ""));
    json_object_object_add(o, "user_handle", json_object_new_string(uh64 ? uh64 : ""));
    json_object_object_add(o, "rp_id", json_object_new_string(req->rp_id));
    json_object_object_add(o, "count", json_object_new_int64(0));
    json_object_object_add(o, "uv", json_object_new_boolean(1));
    if (pin != NULL && *pin != '\0')
        json_object_object_add(o, "pin", json_object_new_string(pin));
    if (id64 == NULL || uh64 == NULL || !save(path, o)) {
        st = cog_error_set(err, COG_ERR_INTERNAL, "", "softkey: cannot write %s", path);
        goto out;
    }
    cog_buf_add(&out->auth_data, rp_hash, sizeof(rp_hash));
    cog_buf_addc(&out->auth_data, (char)(FLAG_UP | FLAG_UV | FLAG_AT));
    add_be32(&out->auth_data, 0);
    cog_buf_add(&out->auth_data, aaguid, sizeof(aaguid));
    cog_buf_addc(&out->auth_data, 0);
    cog_buf_addc(&out->auth_data, (char)sizeof(cred_id));
    cog_buf_add(&out->auth_data, cred_id, sizeof(cred_id));
    cog_buf_add(&out->credential_id, cred_id, sizeof(cred_id));
    if (!add_cose_key(&out->auth_data, key) || out->credential_id.failed)
        st = cog_error_set(err, COG_ERR_INTERNAL, "", "softkey: public key export failed");
    out->attachment = "cross-platform";
out:
    if (pem != NULL)
        cog_free_secret(pem);
    free(id64);
    free(uh64);
    json_object_put(o);
    EVP_PKEY_free(key);
    if (st != COG_OK)
        cog_webauthn_new_credential_free(out);
    return st;
}

static bool needs_pin(void *ctx)
{
    struct json_object *o = load(ctx);
    bool has = cog_json_string(o, "pin") != NULL;
    json_object_put(o);
    return has;
}

static void close_key(void *ctx)
{
    free(ctx);
}

int softkey_authenticator(struct cog_authenticator *out, const char *state_path)
{
    memset(out, 0, sizeof(*out));
    if ((out->ctx = cog_strdup(state_path)) == NULL)
        return COG_ERR_NOMEM;
    out->get_assertion = get_assertion;
    out->needs_pin = needs_pin;
    out->close = close_key;
    out->make_credential = make_credential;
    return COG_OK;
}
