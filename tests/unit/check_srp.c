/* Known-answer tests for libcognito/srp against the reference SDK's vectors
 * (tests/vectors/srp_vectors.json, made with amazon-cognito-identity-js
 * 6.3.21), plus the refusals a hostile or broken server must trigger. */
#include "build-config.h"

#include <check.h>
#include <json-c/json.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "libcognito/core/error.h"
#include "libcognito/signin/srp.h"
#include "libcognito/wire/idp.h"
#include "libcognito/core/util.h"

static json_object *vectors;

static void load_vectors(void)
{
    const char *top = getenv("top_srcdir");
    char path[4096];

    snprintf(path, sizeof(path), "%s/tests/vectors/srp_vectors.json",
             top != NULL && top[0] != '\0' ? top : ".");
    vectors = json_object_from_file(path);
    if (vectors == NULL) {
        fprintf(stderr, "check_srp: cannot read %s: %s\n", path, json_util_get_last_err());
        exit(EXIT_FAILURE);
    }
}

/* Walks a dotted path ("cases.0.inputs.password"); numeric parts index arrays. */
static json_object *jget(json_object *root, const char *path)
{
    char buf[256];
    json_object *cur = root;

    snprintf(buf, sizeof(buf), "%s", path);
    for (char *save = NULL, *tok = strtok_r(buf, ".", &save); tok != NULL && cur != NULL;
         tok = strtok_r(NULL, ".", &save)) {
        if (json_object_is_type(cur, json_type_array))
            cur = json_object_array_get_idx(cur, (size_t)strtoul(tok, NULL, 10));
        else if (!json_object_object_get_ex(cur, tok, &cur))
            cur = NULL;
    }
    ck_assert_msg(cur != NULL, "vector %s missing", path);
    return cur;
}

static const char *jstr(json_object *root, const char *path)
{
    json_object *o = jget(root, path);
    ck_assert_msg(json_object_is_type(o, json_type_string), "vector %s is not a string", path);
    return json_object_get_string(o);
}

/* Runs before the suite exists, so it cannot use ck_assert: a missing list
 * counts as -1 and main fails. */
static int jlen(const char *key)
{
    json_object *o = NULL;
    if (!json_object_object_get_ex(vectors, key, &o) || !json_object_is_type(o, json_type_array))
        return -1;
    return (int)json_object_array_length(o);
}

static unsigned char *hex_decode(const char *hex, size_t *len)
{
    size_t n = strlen(hex);
    ck_assert_msg(n % 2 == 0, "odd hex in vector: %s", hex);
    unsigned char *out = malloc(n / 2 + 1);
    ck_assert_ptr_nonnull(out);
    for (size_t i = 0; i < n / 2; i++) {
        unsigned v;
        ck_assert_int_eq(sscanf(hex + 2 * i, "%2x", &v), 1);
        out[i] = (unsigned char)v;
    }
    *len = n / 2;
    return out;
}

static char *hex_of(const unsigned char *p, size_t n)
{
    char *hex = malloc(2 * n + 1);
    ck_assert_ptr_nonnull(hex);
    cog_hex_encode(p, n, hex);
    return hex;
}

/* "2026-11-01T10:00:00Z" -> time_t, without the local time zone. */
static time_t parse_utc(const char *s)
{
    struct tm tm = {0};
    ck_assert_int_eq(sscanf(s, "%d-%d-%dT%d:%d:%dZ", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
                            &tm.tm_hour, &tm.tm_min, &tm.tm_sec),
                     6);
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    return timegm(&tm);
}

static struct cog_srp *srp_from_hex(const char *a_hex)
{
    size_t a_len;
    unsigned char *a = hex_decode(a_hex, &a_len);
    struct cog_srp *srp = NULL;
    struct cog_error err = {0};

    ck_assert_uint_eq(a_len, 128);
    ck_assert_int_eq(cog_srp_new_from_a(a, a_len, &srp, &err), COG_OK);
    ck_assert_ptr_nonnull(srp);
    cog_wipe(a, a_len);
    free(a);
    return srp;
}

/* ---- the five login cases ---- */

static void check_claim(struct cog_srp *srp, const struct cog_srp_claim_input *in,
                        json_object *want, const char *sig_key)
{
    char sig[COG_SRP_SIGNATURE_MAX];
    struct cog_srp_trace tr;
    struct cog_error err = {0};

    ck_assert_int_eq(cog_srp_claim(srp, in, sig, &tr, &err), COG_OK);
    ck_assert_str_eq(tr.u_padhex, jstr(want, "u_padhex"));
    ck_assert_str_eq(tr.x_hex, jstr(want, "x_hex"));
    ck_assert_str_eq(tr.S_padhex, jstr(want, "S_padhex"));
    ck_assert_str_eq(tr.hkdf_key_hex, jstr(want, "hkdf_key_hex"));
    ck_assert_str_eq(tr.message_hex, jstr(want, "signature_message_hex"));
    ck_assert_str_eq(sig, jstr(want, sig_key));
    cog_srp_trace_free(&tr);
    ck_assert_ptr_null(tr.S_padhex);

    /* Without a trace the signature is the same. */
    char again[COG_SRP_SIGNATURE_MAX];
    ck_assert_int_eq(cog_srp_claim(srp, in, again, NULL, &err), COG_OK);
    ck_assert_str_eq(again, sig);
}

START_TEST(test_case)
{
    char base[32];
    snprintf(base, sizeof(base), "cases.%d", _i);
    json_object *c = jget(vectors, base);
    json_object *want = jget(c, "expected");

    /* json-c must hand us the password as the SDK's UTF-8 bytes. */
    const char *password = jstr(c, "inputs.password");
    char *pw_hex = hex_of((const unsigned char *)password, strlen(password));
    ck_assert_str_eq(pw_hex, jstr(c, "inputs.password_utf8_hex"));
    free(pw_hex);

    struct cog_srp *srp = srp_from_hex(jstr(c, "inputs.a_hex_128_bytes"));
    ck_assert_str_eq(cog_srp_A_hex(srp), jstr(want, "SRP_A_sent"));
    ck_assert_int_eq((int)strlen(cog_srp_A_hex(srp)),
                     json_object_get_int(jget(want, "SRP_A_sent_len_hexchars")));

    char ts[COG_SRP_TIMESTAMP_MAX];
    cog_srp_timestamp(parse_utc(jstr(c, "inputs.now_utc")), ts);
    ck_assert_str_eq(ts, jstr(want, "TIMESTAMP"));

    struct cog_srp_claim_input in = {
        .pool_name = jstr(c, "inputs.pool_name"),
        .user_id = jstr(c, "inputs.user_id_for_srp"),
        .password = password,
        .salt_hex = jstr(c, "inputs.challenge_SALT"),
        .B_hex = jstr(c, "inputs.challenge_SRP_B"),
        .secret_block_b64 = jstr(c, "inputs.challenge_SECRET_BLOCK"),
        .timestamp = ts,
    };
    check_claim(srp, &in, want, "PASSWORD_CLAIM_SIGNATURE");
    /* What the SDK actually sent agrees with the intermediate values. */
    ck_assert_str_eq(jstr(want, "PASSWORD_CLAIM_SIGNATURE"),
                     jstr(want, "PASSWORD_VERIFIER_ChallengeResponses.PASSWORD_CLAIM_SIGNATURE"));
    ck_assert_str_eq(ts, jstr(want, "PASSWORD_VERIFIER_ChallengeResponses.TIMESTAMP"));
    cog_srp_free(srp);
}
END_TEST

/* DEVICE_PASSWORD_VERIFIER: the same claim with the device's keys and password. */
START_TEST(test_case5_device_srp)
{
    json_object *d = jget(vectors, "cases.4.device_srp");
    json_object *want = jget(d, "expected");
    struct cog_srp *srp = srp_from_hex(jstr(d, "device_a_hex_128_bytes"));
    ck_assert_str_eq(cog_srp_A_hex(srp), jstr(want, "SRP_A_sent"));

    char ts[COG_SRP_TIMESTAMP_MAX];
    cog_srp_timestamp(parse_utc(jstr(vectors, "cases.4.inputs.now_utc")), ts);
    ck_assert_str_eq(ts, jstr(want, "DEVICE_PASSWORD_VERIFIER_ChallengeResponses.TIMESTAMP"));

    struct cog_srp_claim_input in = {
        .pool_name = jstr(d, "device_group_key"),
        .user_id = jstr(d, "device_key"),
        .password = jstr(d, "random_password"),
        .salt_hex = jstr(d, "challenge_SALT"),
        .B_hex = jstr(d, "challenge_SRP_B"),
        .secret_block_b64 = jstr(d, "challenge_SECRET_BLOCK"),
        .timestamp = ts,
    };
    check_claim(srp, &in, want, "PASSWORD_CLAIM_SIGNATURE");
    ck_assert_str_eq(
        jstr(want, "PASSWORD_CLAIM_SIGNATURE"),
        jstr(want, "DEVICE_PASSWORD_VERIFIER_ChallengeResponses.PASSWORD_CLAIM_SIGNATURE"));
    cog_srp_free(srp);
}
END_TEST

/* ---- device registration (ConfirmDevice) ---- */

START_TEST(test_device_registration)
{
    json_object *r = jget(vectors, "cases.0.device_registration");
    size_t rlen, slen;
    unsigned char *rnd = hex_decode(jstr(r, "random_40_bytes_hex"), &rlen);
    unsigned char *salt = hex_decode(jstr(r, "random_16_bytes_salt_hex"), &slen);
    ck_assert_uint_eq(rlen, 40);
    ck_assert_uint_eq(slen, 16);

    struct cog_srp_device_secret ds;
    struct cog_error err = {0};
    ck_assert_int_eq(cog_srp_device_secret_new(jstr(r, "NewDeviceMetadata.DeviceGroupKey"),
                                               jstr(r, "NewDeviceMetadata.DeviceKey"), rnd, salt,
                                               &ds, &err),
                     COG_OK);
    ck_assert_str_eq(ds.password_b64, jstr(r, "randomPassword_base64"));
    ck_assert_str_eq(ds.salt_b64, jstr(r, "ConfirmDevice_request.DeviceSecretVerifierConfig.Salt"));
    ck_assert_str_eq(ds.verifier_b64,
                     jstr(r, "ConfirmDevice_request.DeviceSecretVerifierConfig.PasswordVerifier"));

    /* The base64 carries padHex bytes: check against the hex form too. */
    size_t n;
    unsigned char *raw = cog_base64_decode(ds.verifier_b64, strlen(ds.verifier_b64), &n);
    ck_assert_ptr_nonnull(raw);
    char *hex = hex_of(raw, n);
    ck_assert_str_eq(hex, jstr(r, "verifier_padhex"));
    free(hex);
    free(raw);
    raw = cog_base64_decode(ds.salt_b64, strlen(ds.salt_b64), &n);
    ck_assert_ptr_nonnull(raw);
    hex = hex_of(raw, n);
    ck_assert_str_eq(hex, jstr(r, "device_salt_padhex"));
    free(hex);
    free(raw);

    /* The device later logs in with these: case5 uses exactly this device. */
    ck_assert_str_eq(ds.password_b64, jstr(vectors, "cases.4.device_srp.random_password"));

    cog_srp_device_secret_clear(&ds);
    ck_assert_ptr_null(ds.password_b64);
    ck_assert_ptr_null(ds.verifier_b64);
    free(rnd);
    free(salt);
}
END_TEST

START_TEST(test_device_registration_random)
{
    struct cog_srp_device_secret a, b;
    ck_assert_int_eq(cog_srp_device_secret_new("-grp", "us-east-1_dev", NULL, NULL, &a, NULL),
                     COG_OK);
    ck_assert_int_eq(cog_srp_device_secret_new("-grp", "us-east-1_dev", NULL, NULL, &b, NULL),
                     COG_OK);
    ck_assert_uint_eq(strlen(a.password_b64), 56); /* base64 of 40 bytes */
    ck_assert_str_ne(a.password_b64, b.password_b64);
    ck_assert_str_ne(a.salt_b64, b.salt_b64);
    ck_assert_str_ne(a.verifier_b64, b.verifier_b64);
    cog_srp_device_secret_clear(&a);
    cog_srp_device_secret_clear(&b);

    struct cog_error err = {0};
    ck_assert_int_eq(cog_srp_device_secret_new(NULL, "k", NULL, NULL, &a, &err),
                     COG_ERR_INVALID_INPUT);
    ck_assert_ptr_null(a.password_b64);
}
END_TEST

/* ---- padHex, timestamps, SECRET_HASH ---- */

START_TEST(test_padhex_example)
{
    char path[64];
    snprintf(path, sizeof(path), "padhex_examples.%d", _i);
    json_object *ex = jget(vectors, path);
    int64_t v = json_object_get_int64(jget(ex, "int"));
    uint64_t mag = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
    unsigned char be[8];
    for (int i = 7; i >= 0; i--) {
        be[i] = (unsigned char)(mag & 0xff);
        mag >>= 8;
    }
    /* Leading zero bytes in the magnitude must not matter. */
    char *hex = cog_srp_padhex(be, sizeof(be), v < 0);
    ck_assert_ptr_nonnull(hex);
    ck_assert_msg(strcmp(hex, jstr(ex, "sdk_padHex")) == 0, "padHex(%lld) = %s, want %s",
                  (long long)v, hex, jstr(ex, "sdk_padHex"));
    free(hex);
}
END_TEST

START_TEST(test_padhex_edges)
{
    char *hex = cog_srp_padhex(NULL, 0, 0);
    ck_assert_str_eq(hex, "00");
    free(hex);
    static const unsigned char zero[3] = {0};
    hex = cog_srp_padhex(zero, sizeof(zero), 1); /* -0 is 0 */
    ck_assert_str_eq(hex, "00");
    free(hex);
    static const unsigned char big[] = {0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0};
    hex = cog_srp_padhex(big, sizeof(big), 1); /* -2^79: the ff8 rule */
    ck_assert_str_eq(hex, "80000000000000000000");
    free(hex);
    hex = cog_srp_padhex(big, sizeof(big), 0);
    ck_assert_str_eq(hex, "0080000000000000000000");
    free(hex);
}
END_TEST

START_TEST(test_timestamp_example)
{
    char path[64], ts[COG_SRP_TIMESTAMP_MAX];
    snprintf(path, sizeof(path), "timestamp_examples.%d", _i);
    json_object *ex = jget(vectors, path);
    cog_srp_timestamp(parse_utc(jstr(ex, "utc")), ts);
    ck_assert_str_eq(ts, jstr(ex, "TIMESTAMP"));
}
END_TEST

START_TEST(test_timestamp_epoch)
{
    char ts[COG_SRP_TIMESTAMP_MAX];
    cog_srp_timestamp(0, ts);
    ck_assert_str_eq(ts, "Thu Jan 1 00:00:00 UTC 1970");
}
END_TEST

START_TEST(test_secret_hash_example)
{
    char path[64], out[COG_SECRET_HASH_MAX];
    snprintf(path, sizeof(path), "secret_hash_examples.%d", _i);
    json_object *ex = jget(vectors, path);
    ck_assert_int_eq(cog_secret_hash(jstr(ex, "client_secret"), jstr(ex, "username"),
                                     jstr(ex, "client_id"), out),
                     COG_OK);
    ck_assert_str_eq(out, jstr(ex, "SECRET_HASH"));
}
END_TEST

START_TEST(test_secret_hash_null)
{
    char out[COG_SECRET_HASH_MAX];
    ck_assert_int_eq(cog_secret_hash(NULL, "u", "c", out), COG_ERR_INVALID_INPUT);
    ck_assert_int_eq(cog_secret_hash("s", NULL, "c", out), COG_ERR_INVALID_INPUT);
}
END_TEST

/* ---- what a hostile or broken server can send ---- */

static struct cog_srp *neg_srp;
static struct cog_srp_claim_input neg_in;

static void neg_setup(void)
{
    neg_srp = srp_from_hex(jstr(vectors, "cases.0.inputs.a_hex_128_bytes"));
    neg_in = (struct cog_srp_claim_input){
        .pool_name = jstr(vectors, "cases.0.inputs.pool_name"),
        .user_id = jstr(vectors, "cases.0.inputs.user_id_for_srp"),
        .password = jstr(vectors, "cases.0.inputs.password"),
        .salt_hex = jstr(vectors, "cases.0.inputs.challenge_SALT"),
        .B_hex = jstr(vectors, "cases.0.inputs.challenge_SRP_B"),
        .secret_block_b64 = jstr(vectors, "cases.0.inputs.challenge_SECRET_BLOCK"),
        .timestamp = jstr(vectors, "cases.0.expected.TIMESTAMP"),
    };
}

static void neg_teardown(void)
{
    cog_srp_free(neg_srp);
    neg_srp = NULL;
}

/* Runs the claim and checks it fails with want, leaving no signature or trace. */
static void expect_claim(cog_status want)
{
    char sig[COG_SRP_SIGNATURE_MAX] = "stale";
    struct cog_srp_trace tr;
    struct cog_error err = {0};

    cog_status st = cog_srp_claim(neg_srp, &neg_in, sig, &tr, &err);
    ck_assert_msg(st == want, "status %s (%s), want %s", cog_status_name(st), err.message,
                  cog_status_name(want));
    ck_assert_int_eq(err.status, want);
    ck_assert_str_eq(sig, "");
    ck_assert_ptr_null(tr.S_padhex);
    ck_assert_ptr_null(tr.hkdf_key_hex);
}

START_TEST(test_B_zero)
{
    neg_in.B_hex = "0";
    expect_claim(COG_ERR_AUTH);
    neg_in.B_hex = "0000";
    expect_claim(COG_ERR_AUTH);
}
END_TEST

START_TEST(test_B_multiple_of_N)
{
    const char *N = jstr(vectors, "constants.N_hex");
    neg_in.B_hex = N;
    expect_claim(COG_ERR_AUTH);

    /* 2N: N's top bit is set, so 2N is "1" followed by N shifted left. */
    char twice[800];
    size_t n = strlen(N);
    ck_assert_uint_lt(n + 2, sizeof(twice));
    unsigned carry = 0;
    twice[n + 1] = '\0';
    for (size_t i = n; i-- > 0;) {
        unsigned d = (unsigned)(N[i] <= '9' ? N[i] - '0' : N[i] - 'a' + 10) * 2 + carry;
        twice[i + 1] = "0123456789abcdef"[d & 0xf];
        carry = d >> 4;
    }
    twice[0] = (char)('0' + carry);
    neg_in.B_hex = twice;
    expect_claim(COG_ERR_AUTH);
}
END_TEST

START_TEST(test_malformed_hex)
{
    static const char *const bad[] = {"", "xyz", "12 34", "-1f", "0x1f", "1f\n", "abcg"};
    const char *good_B = neg_in.B_hex;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        neg_in.B_hex = bad[i];
        expect_claim(COG_ERR_UNAVAILABLE);
    }
    neg_in.B_hex = good_B;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        neg_in.salt_hex = bad[i];
        expect_claim(COG_ERR_UNAVAILABLE);
    }
}
END_TEST

START_TEST(test_oversized_hex)
{
    char *huge = malloc(1 << 20);
    ck_assert_ptr_nonnull(huge);
    memset(huge, 'f', (1 << 20) - 1);
    huge[(1 << 20) - 1] = '\0';
    neg_in.B_hex = huge;
    expect_claim(COG_ERR_UNAVAILABLE);
    free(huge);
}
END_TEST

START_TEST(test_bad_secret_block)
{
    static const char *const bad[] = {"!!!!", "abc=def", "a", "ab==cd"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        neg_in.secret_block_b64 = bad[i];
        expect_claim(COG_ERR_UNAVAILABLE);
    }
}
END_TEST

START_TEST(test_missing_input)
{
    neg_in.password = NULL;
    expect_claim(COG_ERR_INVALID_INPUT);
    neg_in.password = "x";
    neg_in.timestamp = NULL;
    expect_claim(COG_ERR_INVALID_INPUT);

    char sig[COG_SRP_SIGNATURE_MAX];
    ck_assert_int_eq(cog_srp_claim(NULL, &neg_in, sig, NULL, NULL), COG_ERR_INVALID_INPUT);
    ck_assert_int_eq(cog_srp_claim(neg_srp, NULL, sig, NULL, NULL), COG_ERR_INVALID_INPUT);
}
END_TEST

/* The server's hex is parsed as an integer: case and leading zeros do not count. */
START_TEST(test_hex_forms_equivalent)
{
    const char *want = jstr(vectors, "cases.0.expected.PASSWORD_CLAIM_SIGNATURE");
    char sig[COG_SRP_SIGNATURE_MAX];
    char *B = malloc(strlen(neg_in.B_hex) + 5);
    char *salt = malloc(strlen(neg_in.salt_hex) + 5);
    ck_assert_ptr_nonnull(B);
    ck_assert_ptr_nonnull(salt);

    sprintf(B, "000%s", neg_in.B_hex);
    for (char *p = B; *p != '\0'; p++) {
        if (*p >= 'a' && *p <= 'f')
            *p = (char)(*p - 'a' + 'A');
    }
    sprintf(salt, "00%s", neg_in.salt_hex);
    neg_in.B_hex = B;
    neg_in.salt_hex = salt;
    ck_assert_int_eq(cog_srp_claim(neg_srp, &neg_in, sig, NULL, NULL), COG_OK);
    ck_assert_str_eq(sig, want);
    free(B);
    free(salt);
}
END_TEST

START_TEST(test_wrong_password_differs)
{
    const char *want = jstr(vectors, "cases.0.expected.PASSWORD_CLAIM_SIGNATURE");
    char sig[COG_SRP_SIGNATURE_MAX];
    neg_in.password = "Passw0rd?";
    ck_assert_int_eq(cog_srp_claim(neg_srp, &neg_in, sig, NULL, NULL), COG_OK);
    ck_assert_str_ne(sig, want);
}
END_TEST

START_TEST(test_new_random)
{
    struct cog_srp *a = NULL, *b = NULL;
    struct cog_error err = {0};
    ck_assert_int_eq(cog_srp_new(&a, &err), COG_OK);
    ck_assert_int_eq(cog_srp_new(&b, &err), COG_OK);
    ck_assert_str_ne(cog_srp_A_hex(a), cog_srp_A_hex(b));
    const char *A = cog_srp_A_hex(a);
    ck_assert_uint_gt(strlen(A), 700);
    ck_assert_uint_le(strlen(A), 768);
    ck_assert_int_ne(A[0], '0');
    char sig[COG_SRP_SIGNATURE_MAX];
    /* Claims against the case1 challenge work with any a. */
    ck_assert_int_eq(cog_srp_claim(a, &neg_in, sig, NULL, &err), COG_OK);
    ck_assert_uint_eq(strlen(sig), 44);
    cog_srp_free(a);
    cog_srp_free(b);
    cog_srp_free(NULL);

    ck_assert_int_eq(cog_srp_new_from_a(NULL, 0, &a, &err), COG_ERR_INVALID_INPUT);
}
END_TEST

/* The group is set up on first use from whichever thread gets there; with
 * CK_FORK each test starts before that, so these threads race for it. */
#define N_THREADS 4

static void *thread_login(void *arg)
{
    (void)arg;
    struct cog_srp *srp = srp_from_hex(jstr(vectors, "cases.0.inputs.a_hex_128_bytes"));
    struct cog_srp_claim_input in = {
        .pool_name = jstr(vectors, "cases.0.inputs.pool_name"),
        .user_id = jstr(vectors, "cases.0.inputs.user_id_for_srp"),
        .password = jstr(vectors, "cases.0.inputs.password"),
        .salt_hex = jstr(vectors, "cases.0.inputs.challenge_SALT"),
        .B_hex = jstr(vectors, "cases.0.inputs.challenge_SRP_B"),
        .secret_block_b64 = jstr(vectors, "cases.0.inputs.challenge_SECRET_BLOCK"),
        .timestamp = jstr(vectors, "cases.0.expected.TIMESTAMP"),
    };
    char sig[COG_SRP_SIGNATURE_MAX];
    cog_status st = cog_srp_claim(srp, &in, sig, NULL, NULL);
    cog_srp_free(srp);
    if (st != COG_OK || strcmp(sig, jstr(vectors, "cases.0.expected.PASSWORD_CLAIM_SIGNATURE")))
        return (void *)1;
    return NULL;
}

START_TEST(test_threads)
{
    pthread_t t[N_THREADS];
    for (int i = 0; i < N_THREADS; i++)
        ck_assert_int_eq(pthread_create(&t[i], NULL, thread_login, NULL), 0);
    for (int i = 0; i < N_THREADS; i++) {
        void *ret = (void *)1;
        ck_assert_int_eq(pthread_join(t[i], &ret), 0);
        ck_assert_ptr_null(ret);
    }
}
END_TEST

static Suite *srp_suite(void)
{
    Suite *s = suite_create("srp");
    TCase *tc;

    tc = tcase_create("vectors");
    tcase_add_loop_test(tc, test_case, 0, jlen("cases"));
    tcase_add_test(tc, test_case5_device_srp);
    tcase_add_test(tc, test_device_registration);
    tcase_add_test(tc, test_device_registration_random);
    tcase_add_loop_test(tc, test_padhex_example, 0, jlen("padhex_examples"));
    tcase_add_test(tc, test_padhex_edges);
    tcase_add_loop_test(tc, test_timestamp_example, 0, jlen("timestamp_examples"));
    tcase_add_test(tc, test_timestamp_epoch);
    tcase_add_loop_test(tc, test_secret_hash_example, 0, jlen("secret_hash_examples"));
    tcase_add_test(tc, test_secret_hash_null);
    tcase_add_test(tc, test_threads);
    suite_add_tcase(s, tc);

    tc = tcase_create("hostile");
    tcase_add_checked_fixture(tc, neg_setup, neg_teardown);
    tcase_add_test(tc, test_B_zero);
    tcase_add_test(tc, test_B_multiple_of_N);
    tcase_add_test(tc, test_malformed_hex);
    tcase_add_test(tc, test_oversized_hex);
    tcase_add_test(tc, test_bad_secret_block);
    tcase_add_test(tc, test_missing_input);
    tcase_add_test(tc, test_hex_forms_equivalent);
    tcase_add_test(tc, test_wrong_password_differs);
    tcase_add_test(tc, test_new_random);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    load_vectors();
    /* A truncated vector file is a failure, not a quieter pass. */
    if (jlen("cases") != 5 || jlen("padhex_examples") < 1 || jlen("timestamp_examples") < 1 ||
        jlen("secret_hash_examples") < 1) {
        fprintf(stderr, "check_srp: srp_vectors.json lacks cases or examples\n");
        return EXIT_FAILURE;
    }
    SRunner *sr = srunner_create(srp_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    json_object_put(vectors);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
