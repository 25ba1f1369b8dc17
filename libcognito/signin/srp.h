/* Cognito's SRP-6a variant (amazon-cognito-identity-js AuthenticationHelper),
 * on OpenSSL BIGNUM. Only the client side; the mock IdP has the server side.
 *
 * The SDK's rules, pinned by tests/vectors/srp_vectors.json:
 *  - 3072-bit group (RFC 5054 / RFC 3526), g = 2, k = H(00 || N || 02);
 *  - hashed values use padHex: minimal big-endian bytes, one 00 added when the
 *    top bit is set; SRP_A goes on the wire as unpadded lowercase hex;
 *  - x = H(padHex(salt) || H(pool_name || user_id || ":" || password));
 *  - u = H(padHex(A) || padHex(B)); S = (B - k g^x mod N)^(a + u x) mod N;
 *  - key = HKDF-SHA256(ikm = padHex(S), salt = padHex(u), info = "Caldera Derived Key")[0..16];
 *  - signature = base64(HMAC-SHA256(key, pool_name || user_id || secret_block || timestamp)).
 */
#ifndef COGNITO_SRP_H
#define COGNITO_SRP_H

#include <stddef.h>
#include <time.h>
#include "libcognito/core/error.h"

struct cog_srp;

/* A fresh client ephemeral: a is 128 random bytes, as in the SDK. */
cog_status cog_srp_new(struct cog_srp **out, struct cog_error *err);
/* A client ephemeral with a given a (big-endian bytes): known-answer tests and benchmarks. */
cog_status cog_srp_new_from_a(const unsigned char *a, size_t a_len, struct cog_srp **out,
                              struct cog_error *err);
/* Wipes a and every derived secret. NULL is fine. */
void cog_srp_free(struct cog_srp *srp);

/* SRP_A as sent: A.toString(16), lowercase, no padding. Owned by srp. */
const char *cog_srp_A_hex(const struct cog_srp *srp);

struct cog_srp_claim_input {
    const char *pool_name;        /* part of the pool id after '_' (or DeviceGroupKey) */
    const char *user_id;          /* USER_ID_FOR_SRP (or DeviceKey) */
    const char *password;         /* UTF-8 (or the device's random password) */
    const char *salt_hex;         /* challenge SALT */
    const char *B_hex;            /* challenge SRP_B */
    const char *secret_block_b64; /* challenge SECRET_BLOCK */
    const char *timestamp;        /* from cog_srp_timestamp */
};

/* Intermediate values in lowercase hex, for known-answer tests only. */
struct cog_srp_trace {
    char *u_padhex;
    char *x_hex; /* x.toString(16), unpadded */
    char *S_padhex;
    char *hkdf_key_hex;
    char *message_hex; /* the bytes the signature covers */
};
void cog_srp_trace_free(struct cog_srp_trace *trace);

#define COG_SRP_SIGNATURE_MAX 64

/* PASSWORD_CLAIM_SIGNATURE (or DEVICE_PASSWORD_VERIFIER's) into sig_b64.
 * Refuses B % N == 0 and u == 0 (COG_ERR_AUTH: a hostile or broken server).
 * Malformed hex/base64 is COG_ERR_UNAVAILABLE (unparsable answer). trace may be NULL. */
cog_status cog_srp_claim(struct cog_srp *srp, const struct cog_srp_claim_input *in,
                         char sig_b64[COG_SRP_SIGNATURE_MAX], struct cog_srp_trace *trace,
                         struct cog_error *err);

/* "Sun Nov 1 10:00:00 UTC 2026": English names, day not zero-padded. */
#define COG_SRP_TIMESTAMP_MAX 40
void cog_srp_timestamp(time_t now, char out[COG_SRP_TIMESTAMP_MAX]);

/* padHex of a big-endian magnitude (tests): lowercase hex, malloc'd. */
char *cog_srp_padhex(const unsigned char *be, size_t len, int negative);

/* Device registration (ConfirmDevice): from 40 random bytes (the device
 * password, base64 of them) and a 16-byte salt, the verifier g^x mod N with
 * x = H(padHex(salt) || H(group_key || device_key || ":" || password)).
 * Outputs are base64 of padHex, as the SDK sends them. random40/salt16 may be
 * NULL to draw them from the CSPRNG. All outputs malloc'd. */
struct cog_srp_device_secret {
    char *password_b64; /* keep root-only: the device's password */
    char *salt_b64;     /* DeviceSecretVerifierConfig.Salt */
    char *verifier_b64; /* DeviceSecretVerifierConfig.PasswordVerifier */
};
cog_status cog_srp_device_secret_new(const char *device_group_key, const char *device_key,
                                     const unsigned char *random40, const unsigned char *salt16,
                                     struct cog_srp_device_secret *out, struct cog_error *err);
void cog_srp_device_secret_clear(struct cog_srp_device_secret *s);

/* A fresh SRP client for a login on idp: random a, or the transport's srp_a
 * (device_srp_a for a device). */
struct cog_idp;
cog_status cog_idp_srp_new(const struct cog_idp *idp, struct cog_srp **out, struct cog_error *err);
cog_status cog_idp_device_srp_new(const struct cog_idp *idp, struct cog_srp **out,
                                  struct cog_error *err);

#endif
