/* What srp.c shares with the other SRP files (srp_device.c, srp_text.c):
 * the group, the hashes and padHex. Not for use outside libcognito/signin. */
#ifndef COGNITO_SRP_INTERNAL_H
#define COGNITO_SRP_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>

#include <openssl/bn.h>

#define SHA256_LEN 32
#define DEVICE_PASSWORD_LEN 40
#define DEVICE_SALT_LEN 16

/* The group (RFC 3526 group 15), parsed once; false if that failed. */
bool srp_group_ready(void);
/* r = g^e mod N, in constant time. */
bool srp_g_pow(BIGNUM *r, BIGNUM *e, BN_CTX *ctx);
/* x = H(padHex(salt) || H(pool_name || user_id || ":" || password)). */
bool srp_compute_x(const BIGNUM *salt, const char *pool_name, const char *user_id,
                   const char *password, BIGNUM *x);
/* padHex(n) as bytes (OPENSSL_free them). */
unsigned char *srp_padhex_new(const BIGNUM *n, size_t *len);
bool srp_hmac_sha256(const void *key, size_t key_len, const void *msg, size_t msg_len,
                     unsigned char out[SHA256_LEN]);
/* Lowercase hex, malloc'd. */
char *srp_bytes_to_hex(const unsigned char *p, size_t n);

#endif
