#include "build-config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>

#include "libcognito/wire/idp.h"
#include "libcognito/signin/jwt.h"
#include "libcognito/core/util.h"

#define JWKS_MAX_KEYS 16
#define JWKS_MAX_BYTES (64 * 1024)
#define JWT_MAX_BYTES (16 * 1024)
#define RSA_MIN_BITS 2048

struct jwk {
    char kid[128];
    EVP_PKEY *key;
};

struct cog_jwks {
    size_t n;
    struct jwk keys[JWKS_MAX_KEYS];
};

void cog_jwks_free(struct cog_jwks *jwks)
{
    if (jwks == NULL)
        return;
    for (size_t i = 0; i < jwks->n; i++)
        EVP_PKEY_free(jwks->keys[i].key);
    free(jwks);
}

size_t cog_jwks_count(const struct cog_jwks *jwks)
{
    return jwks ? jwks->n : 0;
}

static EVP_PKEY *rsa_from_jwk(const char *n_b64, const char *e_b64)
{
    EVP_PKEY *pkey = NULL;
    EVP_PKEY_CTX *ctx = NULL;
    OSSL_PARAM_BLD *bld = NULL;
    OSSL_PARAM *params = NULL;
    BIGNUM *n = NULL, *e = NULL;
    unsigned char *nb = NULL, *eb = NULL;
    size_t nl = 0, el = 0;

    nb = cog_base64_decode(n_b64, strlen(n_b64), &nl);
    eb = cog_base64_decode(e_b64, strlen(e_b64), &el);
    if (nb == NULL || eb == NULL || nl == 0 || el == 0 || el > 8)
        goto out;
    n = BN_bin2bn(nb, (int)nl, NULL);
    e = BN_bin2bn(eb, (int)el, NULL);
    if (n == NULL || e == NULL || BN_num_bits(n) < RSA_MIN_BITS || BN_num_bits(n) > 8192 ||
        !BN_is_odd(e) || BN_is_one(e))
        goto out;
    bld = OSSL_PARAM_BLD_new();
    if (bld == NULL || !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, n) ||
        !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, e))
        goto out;
    params = OSSL_PARAM_BLD_to_param(bld);
    ctx = EVP_PKEY_CTX_new_from_name(NULL, "RSA", NULL);
    if (params == NULL || ctx == NULL || EVP_PKEY_fromdata_init(ctx) <= 0 ||
        EVP_PKEY_fromdata(ctx, &pkey, EVP_PKEY_PUBLIC_KEY, params) <= 0)
        pkey = NULL;
out:
    EVP_PKEY_CTX_free(ctx);
    OSSL_PARAM_free(params);
    OSSL_PARAM_BLD_free(bld);
    BN_free(n);
    BN_free(e);
    free(nb);
    free(eb);
    return pkey;
}

cog_status cog_jwks_parse(const char *json, size_t len, struct cog_jwks **out,
                          struct cog_error *err)
{
    cog_status st = COG_OK;
    struct json_object *doc = NULL;
    struct cog_jwks *jwks = NULL;
    struct json_object *arr;

    *out = NULL;
    if (len > JWKS_MAX_BYTES) {
        st = cog_error_set(err, COG_ERR_UNAVAILABLE, NULL, "JWKS too large");
        goto out;
    }
    st = cog_idp_parse_body(json, len, &doc, err);
    if (st != COG_OK)
        goto out;
    if (!json_object_object_get_ex(doc, "keys", &arr) ||
        !json_object_is_type(arr, json_type_array)) {
        st = cog_error_set(err, COG_ERR_UNAVAILABLE, NULL, "JWKS has no keys array");
        goto out;
    }
    jwks = calloc(1, sizeof(*jwks));
    if (jwks == NULL) {
        st = cog_error_set(err, COG_ERR_NOMEM, NULL, "out of memory");
        goto out;
    }
    size_t count = json_object_array_length(arr);
    for (size_t i = 0; i < count && jwks->n < JWKS_MAX_KEYS; i++) {
        struct json_object *k = json_object_array_get_idx(arr, i);
        const char *kty = cog_json_string(k, "kty");
        const char *kid = cog_json_string(k, "kid");
        const char *alg = cog_json_string(k, "alg");
        const char *use = cog_json_string(k, "use");
        const char *n = cog_json_string(k, "n");
        const char *e = cog_json_string(k, "e");
        /* Keys we cannot use are skipped, not fatal: a JWKS may list others. */
        if (kty == NULL || strcmp(kty, "RSA") != 0 || kid == NULL || n == NULL || e == NULL)
            continue;
        if ((alg != NULL && strcmp(alg, "RS256") != 0) || (use != NULL && strcmp(use, "sig") != 0))
            continue;
        if (strlen(kid) >= sizeof(jwks->keys[0].kid))
            continue;
        EVP_PKEY *pkey = rsa_from_jwk(n, e);
        if (pkey == NULL)
            continue;
        snprintf(jwks->keys[jwks->n].kid, sizeof(jwks->keys[0].kid), "%s", kid);
        jwks->keys[jwks->n].key = pkey;
        jwks->n++;
    }
    if (jwks->n == 0) {
        st = cog_error_set(err, COG_ERR_UNAVAILABLE, NULL, "JWKS holds no usable RS256 key");
        goto out;
    }
    *out = jwks;
    jwks = NULL;
out:
    cog_jwks_free(jwks);
    if (doc != NULL)
        json_object_put(doc);
    return st;
}

static EVP_PKEY *jwks_find(const struct cog_jwks *jwks, const char *kid)
{
    for (size_t i = 0; jwks != NULL && i < jwks->n; i++) {
        if (strcmp(jwks->keys[i].kid, kid) == 0)
            return jwks->keys[i].key;
    }
    return NULL;
}

static int b64url_value(char c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    return c == '-' ? 62 : c == '_' ? 63 : -1;
}

/* A JWS part is unpadded base64url with its unused low bits zero (RFC 7515),
 * so a token has one spelling: a padded, standard-alphabet or other-trailing-
 * bits copy of a good token is refused rather than verified as the same. */
static bool b64url_canonical(const char *p, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (b64url_value(p[i]) < 0)
            return false;
    }
    if (n % 4 == 1)
        return false;
    int last = n > 0 ? b64url_value(p[n - 1]) : 0;
    return n % 4 == 2 ? (last & 0x0f) == 0 : n % 4 == 3 ? (last & 0x03) == 0 : true;
}

/* Splits "a.b.c" into three non-empty canonical base64url parts; false for anything else. */
static bool split_token(const char *token, const char *part[3], size_t part_len[3])
{
    const char *p = token;
    for (int i = 0; i < 3; i++) {
        const char *dot = strchr(p, '.');
        if ((i < 2) != (dot != NULL))
            return false;
        size_t n = dot ? (size_t)(dot - p) : strlen(p);
        if (n == 0 || !b64url_canonical(p, n))
            return false;
        part[i] = p;
        part_len[i] = n;
        p = dot ? dot + 1 : p + n;
    }
    return true;
}

static cog_status decode_json_part(const char *b64, size_t len, struct json_object **out,
                                   struct cog_error *err)
{
    size_t n = 0;
    unsigned char *raw = cog_base64_decode(b64, len, &n);
    if (raw == NULL)
        return cog_error_set(err, COG_ERR_TOKEN, NULL, "token is not base64url");
    cog_status st = cog_idp_parse_body((const char *)raw, n, out, err);
    free(raw);
    if (st != COG_OK)
        return cog_error_set(err, COG_ERR_TOKEN, NULL, "token part is not a JSON object");
    return COG_OK;
}

cog_status cog_jwt_decode_unverified(const char *token, struct json_object **header,
                                     struct json_object **claims, struct cog_error *err)
{
    const char *part[3];
    size_t len[3];
    struct json_object *h = NULL;
    cog_status st;

    if (header)
        *header = NULL;
    *claims = NULL;
    if (token == NULL || strlen(token) > JWT_MAX_BYTES || !split_token(token, part, len))
        return cog_error_set(err, COG_ERR_TOKEN, NULL, "not a JWS compact token");
    st = decode_json_part(part[0], len[0], &h, err);
    if (st != COG_OK)
        return st;
    st = decode_json_part(part[1], len[1], claims, err);
    if (st != COG_OK || header == NULL)
        json_object_put(h);
    else
        *header = h;
    return st;
}

static bool claim_int(struct json_object *claims, const char *key, int64_t *out)
{
    struct json_object *v;
    if (!json_object_object_get_ex(claims, key, &v) || !json_object_is_type(v, json_type_int))
        return false;
    *out = json_object_get_int64(v);
    return true;
}

static cog_status check_claims(struct json_object *claims, const struct cog_jwt_expect *expect,
                               time_t now, struct cog_error *err)
{
    const char *iss = cog_json_string(claims, "iss");
    const char *use = cog_json_string(claims, "token_use");
    int64_t exp, iat;

    if (iss == NULL || strcmp(iss, expect->issuer) != 0)
        return cog_error_set(err, COG_ERR_TOKEN, NULL, "token issuer is not this user pool");
    if (use == NULL || strcmp(use, expect->token_use) != 0)
        return cog_error_set(err, COG_ERR_TOKEN, NULL, "token_use is not '%s'", expect->token_use);
    /* Cognito puts the app client in aud for ID tokens and client_id for access tokens. */
    const char *client =
        cog_json_string(claims, strcmp(expect->token_use, "id") == 0 ? "aud" : "client_id");
    if (client == NULL || strcmp(client, expect->client_id) != 0)
        return cog_error_set(err, COG_ERR_TOKEN, NULL, "token is for another app client");
    if (!claim_int(claims, "exp", &exp) || exp + expect->skew <= (int64_t)now)
        return cog_error_set(err, COG_ERR_TOKEN, NULL, "token expired");
    if (!claim_int(claims, "iat", &iat) || iat - expect->skew > (int64_t)now)
        return cog_error_set(err, COG_ERR_TOKEN, NULL, "token issued in the future");
    const char *sub = cog_json_string(claims, "sub");
    if (sub == NULL || sub[0] == '\0')
        return cog_error_set(err, COG_ERR_TOKEN, NULL, "token has no subject");
    return COG_OK;
}

cog_status cog_jwt_verify(const char *token, const struct cog_jwks *jwks,
                          const struct cog_jwt_expect *expect, time_t now,
                          struct json_object **claims, bool *unknown_kid, struct cog_error *err)
{
    cog_status st = COG_OK;
    const char *part[3];
    size_t len[3];
    struct json_object *header = NULL, *payload = NULL;
    unsigned char *sig = NULL;
    size_t sig_len = 0;
    EVP_MD_CTX *md = NULL;

    if (claims)
        *claims = NULL;
    if (unknown_kid)
        *unknown_kid = false;
    if (token == NULL || strlen(token) > JWT_MAX_BYTES || !split_token(token, part, len)) {
        st = cog_error_set(err, COG_ERR_TOKEN, NULL, "not a JWS compact token");
        goto out;
    }
    st = decode_json_part(part[0], len[0], &header, err);
    if (st != COG_OK)
        goto out;
    /* Only RS256: "none" and HMAC algorithms (keyed with the public key) are attacks. */
    const char *alg = cog_json_string(header, "alg");
    const char *kid = cog_json_string(header, "kid");
    if (alg == NULL || strcmp(alg, "RS256") != 0) {
        st = cog_error_set(err, COG_ERR_TOKEN, NULL, "token algorithm is not RS256");
        goto out;
    }
    if (kid == NULL) {
        st = cog_error_set(err, COG_ERR_TOKEN, NULL, "token names no key");
        goto out;
    }
    EVP_PKEY *key = jwks_find(jwks, kid);
    if (key == NULL) {
        if (unknown_kid)
            *unknown_kid = true;
        st = cog_error_set(err, COG_ERR_TOKEN, NULL, "token signed by an unknown key");
        goto out;
    }
    sig = cog_base64_decode(part[2], len[2], &sig_len);
    if (sig == NULL || sig_len != (size_t)EVP_PKEY_get_size(key)) {
        st = cog_error_set(err, COG_ERR_TOKEN, NULL, "token signature is malformed");
        goto out;
    }
    md = EVP_MD_CTX_new();
    if (md == NULL || EVP_DigestVerifyInit(md, NULL, EVP_sha256(), NULL, key) != 1) {
        st = cog_error_set(err, COG_ERR_INTERNAL, NULL, "cannot set up RS256 verification");
        goto out;
    }
    /* The signed input is "header.payload" exactly as received. */
    if (EVP_DigestVerify(md, sig, sig_len, (const unsigned char *)part[0], len[0] + 1 + len[1]) !=
        1) {
        st = cog_error_set(err, COG_ERR_TOKEN, NULL, "token signature does not verify");
        goto out;
    }
    st = decode_json_part(part[1], len[1], &payload, err);
    if (st != COG_OK)
        goto out;
    st = check_claims(payload, expect, now, err);
    if (st != COG_OK)
        goto out;
    if (claims) {
        *claims = payload;
        payload = NULL;
    }
out:
    EVP_MD_CTX_free(md);
    free(sig);
    if (header)
        json_object_put(header);
    if (payload)
        json_object_put(payload);
    return st;
}

static char *jwks_cache_path(const struct cog_config *cfg)
{
    char *path = NULL;
    if (cfg->cache_dir == NULL)
        return NULL;
    if (asprintf(&path, "%s/jwks-%s.json", cfg->cache_dir, cfg->user_pool_id) < 0)
        return NULL;
    return path;
}

/* The cached JWKS, when it is younger than jwks_max_age. Keys rotate both
 * ways: a kid we have not seen earns a refetch (cog_token_verify), and a
 * key the pool withdrew must stop counting, which only a bounded age gives.
 * The age is the file's mtime (each fetch writes a new file); one from the
 * future beyond the skew is a clock step or a forgery: stale too. */
static cog_status jwks_from_cache(const struct cog_config *cfg, struct cog_jwks **out)
{
    char *path = jwks_cache_path(cfg);
    char *buf = NULL;
    size_t len = 0;
    cog_status st = COG_ERR_INVALID_INPUT;
    struct cog_error ignored;
    struct stat sb;
    time_t now = time(NULL);

    *out = NULL;
    if (path == NULL || lstat(path, &sb) != 0)
        goto out;
    long max_age = cfg->jwks_max_age > 0 ? cfg->jwks_max_age : COG_JWKS_MAX_AGE_DEFAULT;
    if (sb.st_mtime > now + 60 || now - sb.st_mtime > max_age)
        goto out;
    /* The cache decides which signatures count: same ownership rule as the config. */
    st = cog_read_trusted_file(path, JWKS_MAX_BYTES, &buf, &len, NULL, &ignored);
    if (st != COG_OK)
        goto out;
    st = cog_jwks_parse(buf, len, out, &ignored);
out:
    free(buf);
    free(path);
    return st;
}

static cog_status jwks_fetch(struct cog_idp *idp, struct cog_jwks **out, struct cog_error *err)
{
    cog_status st;
    struct cog_http_response hr = {0};
    char *url = cog_config_jwks_url(idp->cfg);
    char *path = NULL;

    *out = NULL;
    if (url == NULL) {
        st = cog_error_set(err, COG_ERR_NOMEM, NULL, "out of memory");
        goto out;
    }
    st = cog_idp_get(idp, url, &hr, err);
    if (st != COG_OK)
        goto out;
    if (hr.status != 200) {
        st = cog_error_set(err, COG_ERR_UNAVAILABLE, NULL, "JWKS fetch answered HTTP %ld",
                           hr.status);
        goto out;
    }
    st = cog_jwks_parse(hr.body, hr.len, out, err);
    if (st != COG_OK)
        goto out;
    /* Best effort: an unprivileged cognitoctl cannot write the cache, and need not. */
    path = jwks_cache_path(idp->cfg);
    if (path != NULL) {
        struct cog_error ignored;
        (void)cog_mkdir_mode(idp->cfg->cache_dir, 0755);
        (void)cog_write_file_atomic(path, hr.body, hr.len, 0644, &ignored);
    }
out:
    cog_http_response_clear(&hr);
    free(path);
    free(url);
    return st;
}

cog_status cog_token_verify(struct cog_idp *idp, const char *token, const char *token_use,
                            struct json_object **claims, struct cog_error *err)
{
    return cog_token_verify_for(idp, token, token_use, idp->cfg->client_id, claims, err);
}

cog_status cog_token_verify_for(struct cog_idp *idp, const char *token, const char *token_use,
                                const char *client_id, struct json_object **claims,
                                struct cog_error *err)
{
    cog_status st;
    struct cog_jwks *jwks = NULL;
    char *issuer = cog_config_issuer(idp->cfg);
    bool unknown_kid = false;
    bool fetched = false;

    if (issuer == NULL) {
        st = cog_error_set(err, COG_ERR_NOMEM, NULL, "out of memory");
        goto out;
    }
    struct cog_jwt_expect expect = {
        .issuer = issuer,
        .client_id = client_id,
        .token_use = token_use,
        .skew = 60,
    };
    if (jwks_from_cache(idp->cfg, &jwks) != COG_OK) {
        st = jwks_fetch(idp, &jwks, err);
        if (st != COG_OK)
            goto out;
        fetched = true;
    }
    st = cog_jwt_verify(token, jwks, &expect, time(NULL), claims, &unknown_kid, err);
    /* Keys rotate: a kid we have not seen earns one refetch, never more. */
    if (st == COG_ERR_TOKEN && unknown_kid && !fetched) {
        cog_jwks_free(jwks);
        jwks = NULL;
        st = jwks_fetch(idp, &jwks, err);
        if (st != COG_OK)
            goto out;
        st = cog_jwt_verify(token, jwks, &expect, time(NULL), claims, NULL, err);
    }
out:
    cog_jwks_free(jwks);
    free(issuer);
    return st;
}
