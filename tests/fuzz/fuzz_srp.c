/* What the SRP client reads from the server, and its two encoders.
 *
 * Input: a mode byte, then
 *   0: SALT, SRP_B and SECRET_BLOCK separated by newlines, for a claim with
 *      a fixed a (bit 3 of the mode byte asks for the trace too);
 *   1: base64 text for cog_base64_decode, checked against a plain decoder;
 *   2: big-endian bytes for cog_srp_padhex (bit 3: negative), checked
 *      against the SDK's nibble-flipping algorithm. */
#include "build-config.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>

#include "libcognito/signin/srp.h"
#include "libcognito/core/util.h"
#include "tests/fuzz/fuzz.h"

/* Short, so a claim costs two small exponentiations and the fuzzer runs more of them. */
static const unsigned char fixed_a[16] = {0x7d, 0xf2, 0x4c, 0x52, 0x2a, 0x88, 0x50, 0xb5,
                                          0xd0, 0x97, 0x00, 0x95, 0xfe, 0x8a, 0x91, 0x63};

static struct cog_srp *fixed_srp(void)
{
    static struct cog_srp *srp;
    if (srp == NULL) {
        struct cog_error err;
        FUZZ_CHECK(cog_srp_new_from_a(fixed_a, sizeof(fixed_a), &srp, &err) == COG_OK);
    }
    return srp;
}

static bool hex_ok(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > 4096)
        return false;
    for (const char *p = s; *p != '\0'; p++) {
        if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f') || (*p >= 'A' && *p <= 'F')))
            return false;
    }
    return true;
}

static bool multiple_of_N(const char *hex)
{
    BIGNUM *b = NULL, *r = BN_new();
    BIGNUM *N = BN_get_rfc3526_prime_3072(NULL);
    BN_CTX *ctx = BN_CTX_new();
    FUZZ_CHECK(r != NULL && N != NULL && ctx != NULL && BN_hex2bn(&b, hex) > 0);
    FUZZ_CHECK(BN_mod(r, b, N, ctx) == 1);
    bool zero = BN_is_zero(r);
    BN_free(b);
    BN_free(r);
    BN_free(N);
    BN_CTX_free(ctx);
    return zero;
}

/* Splits off the text up to the next newline (or the end) as a C string. */
static char *next_field(const uint8_t **data, size_t *size)
{
    const uint8_t *nl = memchr(*data, '\n', *size);
    size_t n = nl ? (size_t)(nl - *data) : *size;
    char *field = fuzz_cstr(*data, n);
    *data += nl ? n + 1 : n;
    *size -= nl ? n + 1 : n;
    return field;
}

static void fuzz_claim(const uint8_t *data, size_t size, bool want_trace)
{
    char *salt = next_field(&data, &size);
    char *B = next_field(&data, &size);
    char *block = fuzz_cstr(data, size);
    struct cog_srp_trace trace;
    struct cog_error err = {0};
    char sig[COG_SRP_SIGNATURE_MAX];
    size_t block_len = 0;
    unsigned char *raw = cog_base64_decode(block, strlen(block), &block_len);

    struct cog_srp_claim_input in = {
        .pool_name = "MockPool1",
        .user_id = "alice",
        .password = "Passw0rd!",
        .salt_hex = salt,
        .B_hex = B,
        .secret_block_b64 = block,
        .timestamp = "Sun Nov 1 10:00:00 UTC 2026",
    };
    cog_status st = cog_srp_claim(fixed_srp(), &in, sig, want_trace ? &trace : NULL, &err);

    /* What the server sent decides the answer: garbage is an unusable service,
     * a B that would make S independent of the password is a refusal. */
    cog_status want = COG_ERR_UNAVAILABLE;
    if (hex_ok(B) && hex_ok(salt) && raw != NULL)
        want = multiple_of_N(B) ? COG_ERR_AUTH : COG_OK;
    FUZZ_CHECK(st == want);
    if (st == COG_OK) {
        size_t n = 0;
        unsigned char *mac = cog_base64_decode(sig, strlen(sig), &n);
        FUZZ_CHECK(strlen(sig) == 44 && mac != NULL && n == 32);
        free(mac);
        if (want_trace) {
            FUZZ_CHECK(trace.u_padhex != NULL && trace.message_hex != NULL);
            cog_srp_trace_free(&trace);
        }
    } else {
        FUZZ_CHECK(sig[0] == '\0' && err.status == st);
        if (want_trace)
            FUZZ_CHECK(trace.u_padhex == NULL && trace.x_hex == NULL && trace.S_padhex == NULL);
    }
    free(raw);
    free(salt);
    free(B);
    free(block);
}

/* 0..63 in either alphabet, -1 for anything else. */
static int b64_value(char c)
{
    static const char std[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    static const char url[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    const char *p = c != '\0' ? strchr(std, c) : NULL;
    const char *q = c != '\0' ? strchr(url, c) : NULL;
    return p ? (int)(p - std) : q ? (int)(q - url) : -1;
}

/* The contract in util.h, written out bit by bit: either alphabet, up to two
 * '=' only at the end, no lone final character. */
static unsigned char *reference_decode(const char *in, size_t len, size_t *out_len)
{
    size_t pad = 0;
    while (pad < len && in[len - 1 - pad] == '=')
        pad++;
    size_t n = len - pad;
    if (pad > 2 || n % 4 == 1)
        return NULL;
    unsigned char *out = malloc(n * 3 / 4 + 1);
    FUZZ_CHECK(out != NULL);
    unsigned acc = 0, bits = 0;
    size_t j = 0;
    for (size_t i = 0; i < n; i++) {
        int v = b64_value(in[i]);
        if (v < 0) {
            free(out);
            return NULL;
        }
        acc = (acc << 6 | (unsigned)v) & 0xffffff;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out[j++] = (unsigned char)(acc >> bits);
        }
    }
    *out_len = j;
    return out;
}

static void fuzz_base64(const uint8_t *data, size_t size)
{
    char *text = fuzz_bytes(data, size);
    size_t n = 0, rn = 0;
    unsigned char *got = cog_base64_decode(text, size, &n);
    unsigned char *want = reference_decode(text, size, &rn);

    FUZZ_CHECK((got == NULL) == (want == NULL));
    if (got != NULL) {
        FUZZ_CHECK(n == rn && memcmp(got, want, n) == 0);
        FUZZ_CHECK(got[n] == '\0');
        /* What we decode we can encode back to the same bytes. */
        char *again = cog_base64_encode(got, n);
        size_t n2 = 0;
        unsigned char *round = cog_base64_decode(again, strlen(again), &n2);
        FUZZ_CHECK(round != NULL && n2 == n && memcmp(round, got, n) == 0);
        free(round);
        free(again);
    }
    free(got);
    free(want);
    free(text);
}

/* The SDK's padHex on the nibble string: even length, "00" before a high
 * nibble >= 8; negative: flip every nibble, add one, drop a leading "ff"
 * before an 8. */
static char *reference_padhex(const uint8_t *be, size_t len, bool negative)
{
    static const char digits[] = "0123456789abcdef";
    while (len > 0 && be[0] == 0) {
        be++;
        len--;
    }
    char *hex = malloc(2 * len + 3);
    FUZZ_CHECK(hex != NULL);
    if (len == 0) {
        strcpy(hex, "00");
        return hex;
    }
    size_t n = 0;
    if (be[0] >= 0x80) {
        hex[n++] = '0';
        hex[n++] = '0';
    }
    for (size_t i = 0; i < len; i++) {
        hex[n++] = digits[be[i] >> 4];
        hex[n++] = digits[be[i] & 15];
    }
    hex[n] = '\0';
    if (!negative)
        return hex;
    for (size_t i = 0; i < n; i++)
        hex[i] = digits[15 - (strchr(digits, hex[i]) - digits)];
    for (size_t i = n; i-- > 0;) { /* + 1 */
        int v = (int)(strchr(digits, hex[i]) - digits) + 1;
        hex[i] = digits[v & 15];
        if (v < 16)
            break;
    }
    if (n >= 3 && strncmp(hex, "ff8", 3) == 0)
        memmove(hex, hex + 2, n - 1);
    return hex;
}

static void fuzz_padhex(const uint8_t *data, size_t size, bool negative)
{
    char *got = cog_srp_padhex(size > 0 ? data : NULL, size, negative);
    char *want = reference_padhex(data, size, negative);
    FUZZ_CHECK(got != NULL && strcmp(got, want) == 0);
    free(got);
    free(want);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    uint8_t mode = data[0];
    data++;
    size--;
    switch (mode % 3) {
    case 0:
        fuzz_claim(data, size, mode & 8);
        break;
    case 1:
        fuzz_base64(data, size);
        break;
    default:
        fuzz_padhex(data, size, mode & 8);
        break;
    }
    return 0;
}
