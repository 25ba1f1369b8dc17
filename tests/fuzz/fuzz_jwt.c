/* Token verification. The fixed JWKS in fixtures.h holds a key whose private
 * half no longer exists, so the only tokens that may ever verify are the two
 * made with it: any other COG_OK is a forgery the fuzzer found.
 *
 * Input: a mode byte, then
 *   0: a token, checked against the fixed JWKS as an ID and an access token;
 *   1: a JWKS, parsed, then asked to verify the known-good ID token;
 *   2: a JWKS, a newline, a token: both chosen by the fuzzer. */
#include "build-config.h"

#include <stdlib.h>
#include <string.h>

#include "libcognito/signin/jwt.h"
#include "tests/fuzz/fixtures.h"
#include "tests/fuzz/fuzz.h"

static const struct cog_jwt_expect id_expect = {FUZZ_ISSUER, FUZZ_CLIENT_ID, "id", 60};
static const struct cog_jwt_expect access_expect = {FUZZ_ISSUER, FUZZ_CLIENT_ID, "access", 60};

/* Parsed once: the keys are read-only afterwards. */
static const struct cog_jwks *fixed_jwks(void)
{
    static struct cog_jwks *jwks;
    if (jwks == NULL) {
        struct cog_error err;
        FUZZ_CHECK(cog_jwks_parse(FUZZ_JWKS, strlen(FUZZ_JWKS), &jwks, &err) == COG_OK);
        FUZZ_CHECK(cog_jwks_count(jwks) == 1);
    }
    return jwks;
}

static void verify_one(const char *token, const struct cog_jwks *jwks,
                       const struct cog_jwt_expect *expect, const char *good)
{
    struct cog_error err = {0};
    struct json_object *claims = NULL;
    bool unknown_kid = false;

    cog_status st = cog_jwt_verify(token, jwks, expect, FUZZ_NOW, &claims, &unknown_kid, &err);
    FUZZ_CHECK(st == COG_OK || st == COG_ERR_TOKEN || st == COG_ERR_UNAVAILABLE);
    if (st == COG_OK) {
        /* The property this target exists for: no token but the signed one passes. */
        FUZZ_CHECK(strcmp(token, good) == 0);
        FUZZ_CHECK(claims != NULL && !unknown_kid);
        json_object_put(claims);
    } else {
        FUZZ_CHECK(claims == NULL);
        FUZZ_CHECK(!unknown_kid || st == COG_ERR_TOKEN);
    }
    /* The known-good token must pass against the fixed keys, or this target tests nothing. */
    if (jwks == fixed_jwks() && strcmp(token, good) == 0)
        FUZZ_CHECK(st == COG_OK);
}

static void check_token(const char *token, const struct cog_jwks *jwks)
{
    struct json_object *header = NULL, *claims = NULL;
    struct cog_error err = {0};

    /* Display-only decoding: may accept anything well-formed, must never crash. */
    cog_status st = cog_jwt_decode_unverified(token, &header, &claims, &err);
    FUZZ_CHECK(st == COG_OK || st == COG_ERR_TOKEN);
    FUZZ_CHECK((st == COG_OK) == (header != NULL && claims != NULL));
    if (header != NULL)
        json_object_put(header);
    if (claims != NULL)
        json_object_put(claims);
    st = cog_jwt_decode_unverified(token, NULL, &claims, &err);
    if (claims != NULL)
        json_object_put(claims);

    verify_one(token, jwks, &id_expect, FUZZ_ID_TOKEN);
    verify_one(token, jwks, &access_expect, FUZZ_ACCESS_TOKEN);
}

static struct cog_jwks *parse_jwks(const uint8_t *data, size_t size)
{
    struct cog_jwks *jwks = NULL;
    struct cog_error err = {0};
    char *json = fuzz_bytes(data, size);

    cog_status st = cog_jwks_parse(json, size, &jwks, &err);
    FUZZ_CHECK(st == COG_OK || st == COG_ERR_UNAVAILABLE);
    FUZZ_CHECK((st == COG_OK) == (jwks != NULL));
    if (jwks != NULL)
        FUZZ_CHECK(cog_jwks_count(jwks) >= 1 && cog_jwks_count(jwks) <= 16);
    free(json);
    return jwks;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    uint8_t mode = data[0] % 3;
    data++;
    size--;

    if (mode == 0) {
        char *token = fuzz_cstr(data, size);
        check_token(token, fixed_jwks());
        free(token);
    } else if (mode == 1) {
        struct cog_jwks *jwks = parse_jwks(data, size);
        if (jwks != NULL)
            check_token(FUZZ_ID_TOKEN, jwks);
        cog_jwks_free(jwks);
    } else {
        const uint8_t *nl = memchr(data, '\n', size);
        size_t jlen = nl ? (size_t)(nl - data) : size;
        struct cog_jwks *jwks = parse_jwks(data, jlen);
        char *token = nl ? fuzz_cstr(nl + 1, size - jlen - 1) : fuzz_cstr(data, 0);
        if (jwks != NULL)
            check_token(token, jwks);
        free(token);
        cog_jwks_free(jwks);
    }
    return 0;
}
