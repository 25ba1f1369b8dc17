#include "build-config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <check.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rsa.h>

#include "libcognito/signin/jwt.h"
#include "libcognito/core/util.h"

#define ISS "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_MockPool1"
#define CLIENT "mockclient0123456789abcdef"

static EVP_PKEY *key;       /* signs the good tokens */
static EVP_PKEY *other_key; /* a key the JWKS does not list */
static char *jwks_json;
static struct cog_jwks *jwks;
static time_t now;

static char *b64url(const unsigned char *in, size_t n)
{
    char *s = cog_base64_encode(in, n);
    size_t j = 0;
    for (size_t i = 0; s[i]; i++) {
        if (s[i] == '=')
            continue;
        s[j++] = s[i] == '+' ? '-' : s[i] == '/' ? '_' : s[i];
    }
    s[j] = '\0';
    return s;
}

static char *bn_b64url(EVP_PKEY *k, const char *name)
{
    BIGNUM *bn = NULL;
    ck_assert(EVP_PKEY_get_bn_param(k, name, &bn) == 1);
    unsigned char buf[1024];
    int n = BN_bn2bin(bn, buf);
    BN_free(bn);
    return b64url(buf, (size_t)n);
}

static EVP_PKEY *rsa_key(int bits)
{
    EVP_PKEY *k = EVP_RSA_gen((unsigned)bits);
    ck_assert_ptr_nonnull(k);
    return k;
}

static char *jwk_json(EVP_PKEY *k, const char *kid, const char *extra)
{
    char *n = bn_b64url(k, OSSL_PKEY_PARAM_RSA_N), *e = bn_b64url(k, OSSL_PKEY_PARAM_RSA_E);
    char *out = NULL;
    ck_assert_int_ge(asprintf(&out, "{\"kty\":\"RSA\",\"kid\":\"%s\",\"n\":\"%s\",\"e\":\"%s\"%s}",
                              kid, n, e, extra ? extra : ""),
                     0);
    free(n);
    free(e);
    return out;
}

/* header and payload are JSON texts; alg decides how the token is signed. */
static char *make_token(const char *header, const char *payload, EVP_PKEY *signer)
{
    char *h = b64url((const unsigned char *)header, strlen(header));
    char *p = b64url((const unsigned char *)payload, strlen(payload));
    char *input = NULL, *token = NULL;
    ck_assert_int_ge(asprintf(&input, "%s.%s", h, p), 0);
    unsigned char sig[1024];
    size_t sig_len = sizeof(sig);
    if (signer != NULL) {
        EVP_MD_CTX *md = EVP_MD_CTX_new();
        ck_assert(EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, signer) == 1);
        ck_assert(EVP_DigestSign(md, sig, &sig_len, (unsigned char *)input, strlen(input)) == 1);
        EVP_MD_CTX_free(md);
    } else {
        sig_len = 0;
    }
    char *s = sig_len ? b64url(sig, sig_len) : strdup("");
    ck_assert_int_ge(asprintf(&token, "%s.%s", input, s), 0);
    free(h);
    free(p);
    free(input);
    free(s);
    return token;
}

static char *claims(const char *iss, const char *use, const char *aud_key, const char *aud,
                    long exp_off, long iat_off)
{
    char *out = NULL;
    ck_assert_int_ge(asprintf(&out,
                              "{\"sub\":\"11111111-2222-3333-4444-555555555555\","
                              "\"iss\":\"%s\",\"token_use\":\"%s\",\"%s\":\"%s\","
                              "\"cognito:username\":\"alice\",\"exp\":%ld,\"iat\":%ld}",
                              iss, use, aud_key, aud, (long)now + exp_off, (long)now + iat_off),
                     0);
    return out;
}

static const struct cog_jwt_expect id_expect = {ISS, CLIENT, "id", 60};
static const struct cog_jwt_expect access_expect = {ISS, CLIENT, "access", 60};

static void setup(void)
{
    now = time(NULL);
    key = rsa_key(2048);
    other_key = rsa_key(2048);
    char *k1 = jwk_json(key, "good-kid", ",\"alg\":\"RS256\",\"use\":\"sig\"");
    EVP_PKEY *small = rsa_key(1024);
    char *k2 = jwk_json(small, "small-kid", NULL);
    EVP_PKEY_free(small);
    ck_assert_int_ge(asprintf(&jwks_json,
                              "{\"keys\":[{\"kty\":\"EC\",\"kid\":\"ec\",\"crv\":\"P-256\"},"
                              "%s,%s,{\"kty\":\"RSA\",\"kid\":\"enc\",\"use\":\"enc\","
                              "\"n\":\"AQAB\",\"e\":\"AQAB\"}]}",
                              k1, k2),
                     0);
    free(k1);
    free(k2);
    struct cog_error err;
    ck_assert_int_eq(cog_jwks_parse(jwks_json, strlen(jwks_json), &jwks, &err), COG_OK);
}

static void teardown(void)
{
    cog_jwks_free(jwks);
    EVP_PKEY_free(key);
    EVP_PKEY_free(other_key);
    free(jwks_json);
}

static cog_status verify(const char *token, const struct cog_jwt_expect *exp, bool *unknown)
{
    struct cog_error err;
    struct json_object *c = NULL;
    cog_status st = cog_jwt_verify(token, jwks, exp, now, &c, unknown, &err);
    if (st == COG_OK) {
        ck_assert_ptr_nonnull(c);
        json_object_put(c);
    } else {
        ck_assert_ptr_null(c);
        ck_assert(err.message[0] != '\0');
    }
    return st;
}

START_TEST(test_jwks_keeps_only_usable_keys)
{
    /* EC, 1024-bit RSA and an encryption key are skipped. */
    ck_assert_uint_eq(cog_jwks_count(jwks), 1);
}
END_TEST

START_TEST(test_good_tokens)
{
    char *c = claims(ISS, "id", "aud", CLIENT, 3600, 0);
    char *t = make_token("{\"kid\":\"good-kid\",\"alg\":\"RS256\"}", c, key);
    struct cog_error err;
    struct json_object *out = NULL;
    ck_assert_int_eq(cog_jwt_verify(t, jwks, &id_expect, now, &out, NULL, &err), COG_OK);
    ck_assert_str_eq(json_object_get_string(json_object_object_get(out, "cognito:username")),
                     "alice");
    json_object_put(out);
    free(t);
    free(c);

    c = claims(ISS, "access", "client_id", CLIENT, 3600, 0);
    t = make_token("{\"kid\":\"good-kid\",\"alg\":\"RS256\"}", c, key);
    ck_assert_int_eq(verify(t, &access_expect, NULL), COG_OK);
    /* An access token is not an ID token. */
    ck_assert_int_eq(verify(t, &id_expect, NULL), COG_ERR_TOKEN);
    free(t);
    free(c);
}
END_TEST

/* Every way a token can be wrong; none may verify. */
START_TEST(test_bad_claims)
{
    struct {
        const char *iss, *use, *aud_key, *aud;
        long exp_off, iat_off;
    } cases[] = {
        {"https://cognito-idp.us-east-1.amazonaws.com/us-east-1_Other", "id", "aud", CLIENT, 3600,
         0},
        {ISS "/", "id", "aud", CLIENT, 3600, 0},
        {ISS, "access", "aud", CLIENT, 3600, 0},
        {ISS, "id", "aud", "otherclient", 3600, 0},
        {ISS, "id", "client_id", CLIENT, 3600, 0}, /* no aud */
        {ISS, "id", "aud", CLIENT, -61, -3600},    /* expired past the skew */
        {ISS, "id", "aud", CLIENT, 3600, 120},     /* issued in the future */
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char *c = claims(cases[i].iss, cases[i].use, cases[i].aud_key, cases[i].aud,
                         cases[i].exp_off, cases[i].iat_off);
        char *t = make_token("{\"kid\":\"good-kid\",\"alg\":\"RS256\"}", c, key);
        ck_assert_msg(verify(t, &id_expect, NULL) == COG_ERR_TOKEN, "case %zu verified", i);
        free(t);
        free(c);
    }
    /* Within the skew is fine. */
    char *c = claims(ISS, "id", "aud", CLIENT, -30, -3600);
    char *t = make_token("{\"kid\":\"good-kid\",\"alg\":\"RS256\"}", c, key);
    ck_assert_int_eq(verify(t, &id_expect, NULL), COG_OK);
    free(t);
    free(c);
    /* exp as a string is not a time. */
    t = make_token("{\"kid\":\"good-kid\",\"alg\":\"RS256\"}",
                   "{\"sub\":\"s\",\"iss\":\"" ISS "\",\"token_use\":\"id\",\"aud\":\"" CLIENT
                   "\",\"exp\":\"9999999999\",\"iat\":1}",
                   key);
    ck_assert_int_eq(verify(t, &id_expect, NULL), COG_ERR_TOKEN);
    free(t);
}
END_TEST

START_TEST(test_bad_signatures)
{
    char *c = claims(ISS, "id", "aud", CLIENT, 3600, 0);
    bool unknown = false;

    /* alg=none with an empty signature. */
    char *t = make_token("{\"kid\":\"good-kid\",\"alg\":\"none\"}", c, NULL);
    ck_assert_int_eq(verify(t, &id_expect, &unknown), COG_ERR_TOKEN);
    ck_assert(!unknown);
    free(t);

    /* HS256 keyed with the public key's JWK text: the classic confusion attack. */
    {
        char *h = b64url((const unsigned char *)"{\"kid\":\"good-kid\",\"alg\":\"HS256\"}", 33);
        char *p = b64url((const unsigned char *)c, strlen(c));
        char *input = NULL;
        ck_assert_int_ge(asprintf(&input, "%s.%s", h, p), 0);
        unsigned char mac[32];
        unsigned int ml = 0;
        HMAC(EVP_sha256(), jwks_json, (int)strlen(jwks_json), (unsigned char *)input, strlen(input),
             mac, &ml);
        char *s = b64url(mac, ml);
        ck_assert_int_ge(asprintf(&t, "%s.%s", input, s), 0);
        ck_assert_int_eq(verify(t, &id_expect, NULL), COG_ERR_TOKEN);
        free(t);
        free(h);
        free(p);
        free(input);
        free(s);
    }

    /* Signed by a key the JWKS does not hold, under a kid it does. */
    t = make_token("{\"kid\":\"good-kid\",\"alg\":\"RS256\"}", c, other_key);
    ck_assert_int_eq(verify(t, &id_expect, &unknown), COG_ERR_TOKEN);
    ck_assert(!unknown);
    free(t);

    /* An unknown kid is reported so the caller can refetch once. */
    t = make_token("{\"kid\":\"new-kid\",\"alg\":\"RS256\"}", c, other_key);
    ck_assert_int_eq(verify(t, &id_expect, &unknown), COG_ERR_TOKEN);
    ck_assert(unknown);
    free(t);

    /* No kid at all. */
    t = make_token("{\"alg\":\"RS256\"}", c, key);
    ck_assert_int_eq(verify(t, &id_expect, NULL), COG_ERR_TOKEN);
    free(t);

    /* A good token with its payload swapped for another. */
    t = make_token("{\"kid\":\"good-kid\",\"alg\":\"RS256\"}", c, key);
    char *c2 = claims(ISS, "id", "aud", CLIENT, 7200, 0);
    char *t2 = make_token("{\"kid\":\"good-kid\",\"alg\":\"RS256\"}", c2, key);
    char *d1 = strchr(t, '.'), *d2 = strchr(t2, '.');
    char *e1 = strchr(d1 + 1, '.'), *e2 = strchr(d2 + 1, '.');
    char *mixed = NULL;
    ck_assert_int_ge(asprintf(&mixed, "%.*s%.*s%s", (int)(d1 - t), t, (int)(e2 - d2), d2, e1), 0);
    ck_assert_int_eq(verify(mixed, &id_expect, NULL), COG_ERR_TOKEN);
    /* One flipped signature bit. */
    size_t last = strlen(t) - 3;
    t[last] = t[last] == 'A' ? 'B' : 'A';
    ck_assert_int_eq(verify(t, &id_expect, NULL), COG_ERR_TOKEN);
    free(mixed);
    free(t);
    free(t2);
    free(c2);
    free(c);
}
END_TEST

START_TEST(test_malformed)
{
    static const char *const bad[] = {
        "",
        "abc",
        "a.b",
        "a.b.c.d",
        "..",
        "eyJhbGciOiJSUzI1NiJ9..sig",
        "!!!.???.***",
        "eyJhbGciOiJSUzI1NiIsImtpZCI6Imdvb2Qta2lkIn0.bm90IGpzb24.c2ln",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        ck_assert_int_eq(verify(bad[i], &id_expect, NULL), COG_ERR_TOKEN);
    ck_assert_int_eq(verify(NULL, &id_expect, NULL), COG_ERR_TOKEN);

    struct cog_jwks *j = NULL;
    struct cog_error err;
    static const char *const bad_jwks[] = {
        "", "{}", "{\"keys\":{}}", "{\"keys\":[]}", "{\"keys\":[{\"kty\":\"RSA\"}]}", "[1,2]"};
    for (size_t i = 0; i < sizeof(bad_jwks) / sizeof(bad_jwks[0]); i++) {
        ck_assert_int_eq(cog_jwks_parse(bad_jwks[i], strlen(bad_jwks[i]), &j, &err),
                         COG_ERR_UNAVAILABLE);
        ck_assert_ptr_null(j);
    }
}
END_TEST

/* A good token has one spelling: padding, the standard alphabet or other
 * unused bits in the signature decode to the same bytes, and must still be
 * refused (found by fuzz_jwt: 'token=' verified as the token). */
START_TEST(test_one_spelling)
{
    char *c = claims(ISS, "id", "aud", CLIENT, 3600, 0);
    char *t = make_token("{\"kid\":\"good-kid\",\"alg\":\"RS256\"}", c, key);
    size_t n = strlen(t);
    char *v = malloc(n + 3);
    ck_assert_int_eq(verify(t, &id_expect, NULL), COG_OK);

    snprintf(v, n + 3, "%s=", t);
    ck_assert_int_eq(verify(v, &id_expect, NULL), COG_ERR_TOKEN);
    snprintf(v, n + 3, "%s==", t);
    ck_assert_int_eq(verify(v, &id_expect, NULL), COG_ERR_TOKEN);

    /* A 2048-bit signature is 342 characters: the last one carries 4 unused bits. */
    const char *sig = strrchr(t, '.') + 1;
    ck_assert_uint_eq(strlen(sig) % 4, 2);
    memcpy(v, t, n + 1);
    v[n - 1] = v[n - 1] == 'A' ? 'B' : v[n - 1] == 'Q' ? 'R' : v[n - 1] == 'g' ? 'h' : 'x';
    ck_assert_int_eq(verify(v, &id_expect, NULL), COG_ERR_TOKEN);

    memcpy(v, t, n + 1);
    bool changed = false;
    for (char *p = v + (sig - t); *p != '\0'; p++) {
        if (*p == '-' || *p == '_') {
            *p = *p == '-' ? '+' : '/';
            changed = true;
        }
    }
    if (changed)
        ck_assert_int_eq(verify(v, &id_expect, NULL), COG_ERR_TOKEN);
    free(v);
    free(t);
    free(c);
}
END_TEST

START_TEST(test_decode_unverified)
{
    char *c = claims(ISS, "id", "aud", CLIENT, 3600, 0);
    char *t = make_token("{\"kid\":\"good-kid\",\"alg\":\"RS256\"}", c, key);
    struct json_object *h = NULL, *p = NULL;
    struct cog_error err;
    ck_assert_int_eq(cog_jwt_decode_unverified(t, &h, &p, &err), COG_OK);
    ck_assert_str_eq(json_object_get_string(json_object_object_get(h, "kid")), "good-kid");
    ck_assert_str_eq(json_object_get_string(json_object_object_get(p, "token_use")), "id");
    json_object_put(h);
    json_object_put(p);
    free(t);
    free(c);
}
END_TEST

static Suite *jwt_suite(void)
{
    Suite *s = suite_create("jwt");
    TCase *tc = tcase_create("verify");
    tcase_add_unchecked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_jwks_keeps_only_usable_keys);
    tcase_add_test(tc, test_good_tokens);
    tcase_add_test(tc, test_bad_claims);
    tcase_add_test(tc, test_bad_signatures);
    tcase_add_test(tc, test_malformed);
    tcase_add_test(tc, test_one_spelling);
    tcase_add_test(tc, test_decode_unverified);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(jwt_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
