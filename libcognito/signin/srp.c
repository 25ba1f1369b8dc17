/* Cognito's SRP-6a client. The byte-level rules (padHex, what is hashed, the
 * unreduced exponent) follow the reference SDK, pinned by
 * tests/vectors/srp_vectors.json; see srp.h for the formulas. */
#include "build-config.h"

#include <limits.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/bn.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include "libcognito/signin/srp.h"
#include "libcognito/signin/srp_internal.h"
#include "libcognito/core/util.h"

#define HKDF_KEY_LEN 16
/* The SDK draws a from 128 random bytes and never reduces it. */
#define SMALL_A_LEN 128
/* Cognito's B is 384 bytes and its salt 16; anything far larger is garbage,
 * and the cap keeps a hostile answer from making us allocate without bound. */
#define SERVER_HEX_MAX 4096
#define HKDF_INFO "Caldera Derived Key\x01"

/* RFC 3526 group 15 (3072-bit MODP), the group Cognito uses. */
static const char group_N_hex[] =
    "FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD129024E088A67CC74"
    "020BBEA63B139B22514A08798E3404DDEF9519B3CD3A431B302B0A6DF25F1437"
    "4FE1356D6D51C245E485B576625E7EC6F44C42E9A637ED6B0BFF5CB6F406B7ED"
    "EE386BFB5A899FA5AE9F24117C4B1FE649286651ECE45B3DC2007CB8A163BF05"
    "98DA48361C55D39A69163FA8FD24CF5F83655D23DCA3AD961C62F356208552BB"
    "9ED529077096966D670C354E4ABC9804F1746C08CA18217C32905E462E36CE3B"
    "E39E772C180E86039B2783A2EC07A28FB5C55DF06F4C52C9DE2BCBF695581718"
    "3995497CEA956AE515D2261898FA051015728E5A8AAAC42DAD33170D04507A33"
    "A85521ABDF1CBA64ECFB850458DBEF0A8AEA71575D060C7DB3970F85A6E1E4C7"
    "ABF5AE8CDB0933D71E8C94E04A25619DCEE3D2261AD2EE6BF12FFA06D98A0864"
    "D87602733EC86A64521F2B18177B200CBBE117577A615D6C770988C0BAD946E2"
    "08E24FA074E5AB3143DB5BFCE0FD108E4B82D120A93AD2CAFFFFFFFFFFFFFFFF";

/* Parsed once per process and only read afterwards, so threads share it
 * without locks (BN_mod_exp_mont_consttime takes the Montgomery context const). */
static struct {
    BIGNUM *N;
    BIGNUM *g;
    BIGNUM *k;
    BIGNUM *k_mont; /* k R mod N */
    BN_MONT_CTX *mont;
    bool ok;
} group;
static pthread_once_t group_once = PTHREAD_ONCE_INIT;

struct cog_srp {
    BIGNUM *a;
    unsigned char *A_pad; /* padHex(A) bytes, hashed into u */
    size_t A_pad_len;
    char *A_hex;
};

struct part {
    const void *p;
    size_t n;
};

static bool sha256_parts(const struct part *parts, size_t nparts, unsigned char out[SHA256_LEN])
{
    bool ok = false;
    EVP_MD_CTX *md = EVP_MD_CTX_new();

    if (md == NULL || EVP_DigestInit_ex(md, EVP_sha256(), NULL) != 1)
        goto out;
    for (size_t i = 0; i < nparts; i++) {
        if (EVP_DigestUpdate(md, parts[i].p, parts[i].n) != 1)
            goto out;
    }
    ok = EVP_DigestFinal_ex(md, out, NULL) == 1;
out:
    EVP_MD_CTX_free(md);
    return ok;
}

bool srp_hmac_sha256(const void *key, size_t key_len, const void *msg, size_t msg_len,
                     unsigned char out[SHA256_LEN])
{
    unsigned int len = 0;

    if (key_len > INT_MAX)
        return false;
    /* HMAC() reads the key pointer even for an empty key. */
    static const unsigned char empty;
    if (key_len == 0)
        key = &empty;
    if (msg_len == 0)
        msg = &empty;
    return HMAC(EVP_sha256(), key, (int)key_len, msg, msg_len, out, &len) != NULL &&
           len == SHA256_LEN;
}

/* padHex as bytes: minimal big-endian, one 00 in front when the top bit is
 * set, "00" for zero. Writes into out (BN_num_bytes + 1 bytes suffice). */
static size_t padhex_into(const BIGNUM *n, unsigned char *out)
{
    int len = BN_num_bytes(n);

    if (len == 0) {
        out[0] = 0;
        return 1;
    }
    if (BN_num_bits(n) % 8 == 0) {
        out[0] = 0;
        BN_bn2bin(n, out + 1);
        return (size_t)len + 1;
    }
    BN_bn2bin(n, out);
    return (size_t)len;
}

unsigned char *srp_padhex_new(const BIGNUM *n, size_t *len)
{
    unsigned char *buf = OPENSSL_malloc((size_t)BN_num_bytes(n) + 1);

    if (buf != NULL)
        *len = padhex_into(n, buf);
    return buf;
}

/* Lowercase hex, leading zero nibble dropped: BigInteger.toString(16). */
static char *bn_to_hex(const BIGNUM *n)
{
    size_t len = (size_t)BN_num_bytes(n);
    unsigned char *bin = OPENSSL_malloc(len + 1);
    char *hex = NULL;

    if (bin == NULL)
        goto out;
    if (len == 0) {
        hex = strdup("0");
        goto out;
    }
    BN_bn2bin(n, bin);
    hex = malloc(2 * len + 1);
    if (hex == NULL)
        goto out;
    cog_hex_encode(bin, len, hex);
    if (hex[0] == '0')
        memmove(hex, hex + 1, 2 * len);
out:
    OPENSSL_clear_free(bin, len + 1);
    return hex;
}

char *srp_bytes_to_hex(const unsigned char *p, size_t n)
{
    char *hex = malloc(2 * n + 1);

    if (hex != NULL)
        cog_hex_encode(p, n, hex);
    return hex;
}

static int hex_nibble(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Strict: only hex digits, either case, odd length allowed (the server's
 * values are BigInteger.toString(16)). No sign, no whitespace, no "0x". */
static BIGNUM *hex_to_bn(const char *hex)
{
    BIGNUM *bn = NULL;
    unsigned char *bin = NULL;
    size_t len = strnlen(hex, SERVER_HEX_MAX + 1);
    size_t nbytes = (len + 1) / 2;

    if (len == 0 || len > SERVER_HEX_MAX)
        goto out;
    bin = OPENSSL_malloc(nbytes);
    if (bin == NULL)
        goto out;
    /* An odd-length string has an implicit leading zero nibble. */
    size_t i = 0, j = 0;
    if (len % 2 == 1) {
        int lo = hex_nibble(hex[i++]);
        if (lo < 0)
            goto out;
        bin[j++] = (unsigned char)lo;
    }
    while (i < len) {
        int hi = hex_nibble(hex[i]);
        int lo = hex_nibble(hex[i + 1]);
        if (hi < 0 || lo < 0)
            goto out;
        bin[j++] = (unsigned char)(hi << 4 | lo);
        i += 2;
    }
    bn = BN_bin2bn(bin, (int)nbytes, NULL);
out:
    OPENSSL_free(bin);
    return bn;
}

static void group_init(void)
{
    BN_CTX *ctx = BN_CTX_new();
    unsigned char buf[1 + 384 + 1];

    if (ctx == NULL)
        goto out;
    group.N = NULL;
    if (BN_hex2bn(&group.N, group_N_hex) == 0 || BN_num_bytes(group.N) != 384)
        goto out;
    group.g = BN_new();
    if (group.g == NULL || !BN_set_word(group.g, 2))
        goto out;
    /* k = H(padHex(N) || padHex(g)): N's top bit is set, so padHex adds the 00. */
    size_t len = padhex_into(group.N, buf);
    buf[len++] = 0x02;
    unsigned char kh[SHA256_LEN];
    struct part p = {buf, len};
    if (!sha256_parts(&p, 1, kh))
        goto out;
    group.k = BN_bin2bn(kh, sizeof(kh), NULL);
    if (group.k == NULL)
        goto out;
    group.mont = BN_MONT_CTX_new();
    group.k_mont = BN_new();
    if (group.mont == NULL || group.k_mont == NULL || !BN_MONT_CTX_set(group.mont, group.N, ctx) ||
        !BN_to_montgomery(group.k_mont, group.k, group.mont, ctx))
        goto out;
    group.ok = true;
out:
    BN_CTX_free(ctx);
}

/* The PAM module is dlopen'ed and dlclose'd per PAM handle: give the group back
 * on unload, or long-lived callers (display managers) would leak it each time. */
__attribute__((destructor)) static void group_fini(void)
{
    BN_MONT_CTX_free(group.mont);
    BN_free(group.k_mont);
    BN_free(group.k);
    BN_free(group.g);
    BN_free(group.N);
    memset(&group, 0, sizeof(group));
}

bool srp_group_ready(void)
{
    return pthread_once(&group_once, group_init) == 0 && group.ok;
}

/* g^e mod N without a timing side channel on e. */
bool srp_g_pow(BIGNUM *r, BIGNUM *e, BN_CTX *ctx)
{
    BN_set_flags(e, BN_FLG_CONSTTIME);
    return BN_mod_exp_mont_consttime(r, group.g, e, group.N, ctx, group.mont) == 1;
}

cog_status cog_srp_new(struct cog_srp **out, struct cog_error *err)
{
    unsigned char a[SMALL_A_LEN];
    cog_status st;

    if (RAND_priv_bytes(a, sizeof(a)) != 1)
        st = cog_error_set(err, COG_ERR_INTERNAL, NULL, "SRP: no random bytes for a");
    else
        st = cog_srp_new_from_a(a, sizeof(a), out, err);
    cog_wipe(a, sizeof(a));
    return st;
}

cog_status cog_srp_new_from_a(const unsigned char *a, size_t a_len, struct cog_srp **out,
                              struct cog_error *err)
{
    cog_status st = COG_ERR_NOMEM;
    const char *why = "out of memory";
    struct cog_srp *srp = NULL;
    BN_CTX *ctx = NULL;
    BIGNUM *A = NULL;

    if (out == NULL || a == NULL || a_len == 0 || a_len > 1024) {
        st = COG_ERR_INVALID_INPUT;
        why = "bad private value";
        goto out;
    }
    *out = NULL;
    if (!srp_group_ready()) {
        st = COG_ERR_INTERNAL;
        why = "group setup failed";
        goto out;
    }
    srp = calloc(1, sizeof(*srp));
    ctx = BN_CTX_secure_new();
    A = BN_new();
    if (srp == NULL || ctx == NULL || A == NULL || (srp->a = BN_secure_new()) == NULL ||
        BN_bin2bn(a, (int)a_len, srp->a) == NULL)
        goto out;
    if (!srp_g_pow(A, srp->a, ctx)) {
        st = COG_ERR_INTERNAL;
        why = "computing A failed";
        goto out;
    }
    /* Impossible for a prime N and g = 2; the SDK checks, so do we. */
    if (BN_is_zero(A)) {
        st = COG_ERR_INTERNAL;
        why = "A mod N is 0";
        goto out;
    }
    srp->A_pad = srp_padhex_new(A, &srp->A_pad_len);
    srp->A_hex = bn_to_hex(A);
    if (srp->A_pad == NULL || srp->A_hex == NULL)
        goto out;
    *out = srp;
    srp = NULL;
    st = COG_OK;
out:
    if (st != COG_OK)
        cog_error_set(err, st, NULL, "SRP: %s", why);
    cog_srp_free(srp);
    BN_free(A);
    BN_CTX_free(ctx);
    return st;
}

void cog_srp_free(struct cog_srp *srp)
{
    if (srp == NULL)
        return;
    BN_clear_free(srp->a);
    OPENSSL_free(srp->A_pad);
    free(srp->A_hex);
    free(srp);
}

const char *cog_srp_A_hex(const struct cog_srp *srp)
{
    return srp ? srp->A_hex : NULL;
}

void cog_srp_trace_free(struct cog_srp_trace *trace)
{
    if (trace == NULL)
        return;
    free(trace->u_padhex);
    cog_free_secret(trace->x_hex);
    cog_free_secret(trace->S_padhex);
    cog_free_secret(trace->hkdf_key_hex);
    free(trace->message_hex);
    memset(trace, 0, sizeof(*trace));
}

/* x = H(padHex(salt) || H(pool_name || user_id || ":" || password)), as an integer. */
bool srp_compute_x(const BIGNUM *salt, const char *pool_name, const char *user_id,
                   const char *password, BIGNUM *x)
{
    bool ok = false;
    unsigned char inner[SHA256_LEN], outer[SHA256_LEN];
    size_t salt_len = 0;
    unsigned char *salt_pad = srp_padhex_new(salt, &salt_len);

    if (salt_pad == NULL)
        goto out;
    struct part ip[] = {
        {pool_name, strlen(pool_name)},
        {user_id, strlen(user_id)},
        {":", 1},
        {password, strlen(password)},
    };
    if (!sha256_parts(ip, 4, inner))
        goto out;
    struct part op[] = {{salt_pad, salt_len}, {inner, sizeof(inner)}};
    if (!sha256_parts(op, 2, outer))
        goto out;
    ok = BN_bin2bn(outer, sizeof(outer), x) != NULL;
out:
    OPENSSL_free(salt_pad);
    cog_wipe(inner, sizeof(inner));
    cog_wipe(outer, sizeof(outer));
    return ok;
}

/* Every field the claim hashes or sends, checked before any work is done. */
static bool claim_input_complete(const struct cog_srp_claim_input *in)
{
    return in != NULL && in->pool_name != NULL && in->user_id != NULL && in->password != NULL &&
           in->salt_hex != NULL && in->B_hex != NULL && in->secret_block_b64 != NULL &&
           in->timestamp != NULL;
}

cog_status cog_srp_claim(struct cog_srp *srp, const struct cog_srp_claim_input *in,
                         char sig_b64[COG_SRP_SIGNATURE_MAX], struct cog_srp_trace *trace,
                         struct cog_error *err)
{
    cog_status st = COG_ERR_NOMEM;
    const char *why = "out of memory";
    BN_CTX *ctx = NULL;
    BIGNUM *B = NULL, *salt = NULL, *u = NULL;
    BIGNUM *x = NULL, *gx = NULL, *kgx = NULL, *base = NULL, *e = NULL, *S = NULL;
    unsigned char *B_pad = NULL, *u_pad = NULL, *S_pad = NULL, *block = NULL, *msg = NULL;
    size_t B_pad_len = 0, u_pad_len = 0, S_pad_len = 0, block_len = 0, msg_len = 0;
    unsigned char uh[SHA256_LEN], prk[SHA256_LEN], okm[SHA256_LEN], mac[SHA256_LEN];
    struct cog_srp_trace tr = {0};
    char *sig = NULL;

    if (trace != NULL)
        memset(trace, 0, sizeof(*trace));
    if (sig_b64 != NULL)
        sig_b64[0] = '\0';
    if (srp == NULL || sig_b64 == NULL || !claim_input_complete(in)) {
        st = COG_ERR_INVALID_INPUT;
        why = "incomplete claim input";
        goto out;
    }
    if (!srp_group_ready()) {
        st = COG_ERR_INTERNAL;
        why = "group setup failed";
        goto out;
    }
    /* Garbage from the server is an unparsable answer, not a wrong password. */
    st = COG_ERR_UNAVAILABLE;
    why = "malformed SRP_B in the challenge";
    if ((B = hex_to_bn(in->B_hex)) == NULL)
        goto out;
    why = "malformed SALT in the challenge";
    if ((salt = hex_to_bn(in->salt_hex)) == NULL)
        goto out;
    why = "malformed SECRET_BLOCK in the challenge";
    block = cog_base64_decode(in->secret_block_b64, strlen(in->secret_block_b64), &block_len);
    if (block == NULL)
        goto out;
    st = COG_ERR_NOMEM;
    why = "out of memory";

    ctx = BN_CTX_secure_new();
    u = BN_new();
    x = BN_secure_new();
    gx = BN_secure_new();
    kgx = BN_secure_new();
    base = BN_secure_new();
    e = BN_secure_new();
    S = BN_secure_new();
    B_pad = srp_padhex_new(B, &B_pad_len);
    if (ctx == NULL || u == NULL || x == NULL || gx == NULL || kgx == NULL || base == NULL ||
        e == NULL || S == NULL || B_pad == NULL)
        goto out;

    st = COG_ERR_INTERNAL;
    why = "big-number or hash operation failed";
    if (!BN_nnmod(base, B, group.N, ctx))
        goto out;
    /* A server that sends B = 0 mod N would make S independent of the password. */
    if (BN_is_zero(base)) {
        st = COG_ERR_AUTH;
        why = "server sent B = 0 mod N";
        goto out;
    }
    struct part up[] = {{srp->A_pad, srp->A_pad_len}, {B_pad, B_pad_len}};
    if (!sha256_parts(up, 2, uh) || BN_bin2bn(uh, sizeof(uh), u) == NULL)
        goto out;
    if (BN_is_zero(u)) {
        st = COG_ERR_AUTH;
        why = "u is 0";
        goto out;
    }
    if (!srp_compute_x(salt, in->pool_name, in->user_id, in->password, x))
        goto out;
    BN_set_flags(x, BN_FLG_CONSTTIME);

    /* base = (B - k g^x) mod N, made non-negative before exponentiation.
     * k is kept as k R mod N, so one Montgomery product gives k g^x mod N
     * without a data-dependent division of the secret g^x. */
    if (!srp_g_pow(gx, x, ctx) || !BN_mod_mul_montgomery(kgx, group.k_mont, gx, group.mont, ctx) ||
        !BN_mod_sub(base, base, kgx, group.N, ctx))
        goto out;
    /* The SDK does not reduce a + u x mod N-1; doing so would change S for no one. */
    if (!BN_mul(e, u, x, ctx) || !BN_add(e, e, srp->a))
        goto out;
    BN_set_flags(e, BN_FLG_CONSTTIME);
    BN_set_flags(base, BN_FLG_CONSTTIME);
    if (BN_mod_exp_mont_consttime(S, base, e, group.N, ctx, group.mont) != 1)
        goto out;

    /* HKDF-SHA256 with one output block: PRK = HMAC(padHex(u), padHex(S)). */
    st = COG_ERR_NOMEM;
    why = "out of memory";
    u_pad = srp_padhex_new(u, &u_pad_len);
    S_pad_len = (size_t)BN_num_bytes(S) + 1;
    S_pad = OPENSSL_secure_malloc(S_pad_len);
    size_t pool_len = strlen(in->pool_name), user_len = strlen(in->user_id);
    size_t ts_len = strlen(in->timestamp);
    msg_len = pool_len + user_len + block_len + ts_len;
    msg = malloc(msg_len + 1);
    if (u_pad == NULL || S_pad == NULL || msg == NULL)
        goto out;
    S_pad_len = padhex_into(S, S_pad);
    memcpy(msg, in->pool_name, pool_len);
    memcpy(msg + pool_len, in->user_id, user_len);
    memcpy(msg + pool_len + user_len, block, block_len);
    memcpy(msg + pool_len + user_len + block_len, in->timestamp, ts_len);
    if (!srp_hmac_sha256(u_pad, u_pad_len, S_pad, S_pad_len, prk) ||
        !srp_hmac_sha256(prk, sizeof(prk), HKDF_INFO, sizeof(HKDF_INFO) - 1, okm) ||
        !srp_hmac_sha256(okm, HKDF_KEY_LEN, msg, msg_len, mac)) {
        st = COG_ERR_INTERNAL;
        why = "HMAC failed";
        goto out;
    }
    sig = cog_base64_encode(mac, sizeof(mac));
    if (sig == NULL || strlen(sig) >= COG_SRP_SIGNATURE_MAX)
        goto out;

    if (trace != NULL) {
        tr.u_padhex = srp_bytes_to_hex(u_pad, u_pad_len);
        tr.x_hex = bn_to_hex(x);
        tr.S_padhex = srp_bytes_to_hex(S_pad, S_pad_len);
        tr.hkdf_key_hex = srp_bytes_to_hex(okm, HKDF_KEY_LEN);
        tr.message_hex = srp_bytes_to_hex(msg, msg_len);
        if (tr.u_padhex == NULL || tr.x_hex == NULL || tr.S_padhex == NULL ||
            tr.hkdf_key_hex == NULL || tr.message_hex == NULL)
            goto out;
        *trace = tr;
        memset(&tr, 0, sizeof(tr));
    }
    memcpy(sig_b64, sig, strlen(sig) + 1);
    st = COG_OK;
out:
    if (st != COG_OK)
        cog_error_set(err, st, NULL, "SRP: %s", why);
    cog_srp_trace_free(&tr);
    cog_free_secret(sig);
    free(msg);
    free(block);
    OPENSSL_secure_clear_free(S_pad, S_pad_len);
    OPENSSL_free(u_pad);
    OPENSSL_free(B_pad);
    cog_wipe(uh, sizeof(uh));
    cog_wipe(prk, sizeof(prk));
    cog_wipe(okm, sizeof(okm));
    cog_wipe(mac, sizeof(mac));
    BN_clear_free(S);
    BN_clear_free(e);
    BN_clear_free(base);
    BN_clear_free(kgx);
    BN_clear_free(gx);
    BN_clear_free(x);
    BN_free(u);
    BN_free(salt);
    BN_free(B);
    BN_CTX_free(ctx);
    return st;
}
