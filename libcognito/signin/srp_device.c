/* A remembered device's secret (its password, salt and verifier, made once
 * at ConfirmDevice) and the SRP client a login starts with (srp.h). */
#include "build-config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/bn.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "libcognito/wire/idp.h"
#include "libcognito/signin/srp.h"
#include "libcognito/signin/srp_internal.h"
#include "libcognito/core/util.h"

cog_status cog_srp_device_secret_new(const char *device_group_key, const char *device_key,
                                     const unsigned char *random40, const unsigned char *salt16,
                                     struct cog_srp_device_secret *out, struct cog_error *err)
{
    cog_status st = COG_ERR_NOMEM;
    const char *why = "out of memory";
    unsigned char rnd[DEVICE_PASSWORD_LEN], salt_bytes[DEVICE_SALT_LEN];
    unsigned char *v_pad = NULL, *salt_pad = NULL;
    size_t v_pad_len = 0, salt_pad_len = 0;
    BN_CTX *ctx = NULL;
    BIGNUM *salt = NULL, *x = NULL, *v = NULL;
    struct cog_srp_device_secret ds = {0};

    if (out != NULL)
        memset(out, 0, sizeof(*out));
    if (device_group_key == NULL || device_key == NULL || out == NULL) {
        st = COG_ERR_INVALID_INPUT;
        why = "missing device keys";
        goto out;
    }
    st = COG_ERR_INTERNAL;
    why = "group setup failed";
    if (!srp_group_ready())
        goto out;
    why = "no random bytes for the device";
    if (random40 != NULL)
        memcpy(rnd, random40, sizeof(rnd));
    else if (RAND_priv_bytes(rnd, sizeof(rnd)) != 1)
        goto out;
    if (salt16 != NULL)
        memcpy(salt_bytes, salt16, sizeof(salt_bytes));
    else if (RAND_bytes(salt_bytes, sizeof(salt_bytes)) != 1)
        goto out;
    st = COG_ERR_NOMEM;
    why = "out of memory";

    /* The device password is the base64 text, and that text is what gets hashed. */
    ds.password_b64 = cog_base64_encode(rnd, sizeof(rnd));
    ctx = BN_CTX_secure_new();
    salt = BN_bin2bn(salt_bytes, sizeof(salt_bytes), NULL);
    x = BN_secure_new();
    v = BN_new();
    if (ds.password_b64 == NULL || ctx == NULL || salt == NULL || x == NULL || v == NULL)
        goto out;
    if (!srp_compute_x(salt, device_group_key, device_key, ds.password_b64, x) ||
        !srp_g_pow(v, x, ctx)) {
        st = COG_ERR_INTERNAL;
        why = "computing the verifier failed";
        goto out;
    }
    salt_pad = srp_padhex_new(salt, &salt_pad_len);
    v_pad = srp_padhex_new(v, &v_pad_len);
    if (salt_pad == NULL || v_pad == NULL)
        goto out;
    ds.salt_b64 = cog_base64_encode(salt_pad, salt_pad_len);
    ds.verifier_b64 = cog_base64_encode(v_pad, v_pad_len);
    if (ds.salt_b64 == NULL || ds.verifier_b64 == NULL)
        goto out;
    *out = ds;
    memset(&ds, 0, sizeof(ds));
    st = COG_OK;
out:
    if (st != COG_OK)
        cog_error_set(err, st, NULL, "SRP: %s", why);
    cog_srp_device_secret_clear(&ds);
    OPENSSL_free(v_pad);
    OPENSSL_free(salt_pad);
    BN_free(v);
    BN_clear_free(x);
    BN_free(salt);
    BN_CTX_free(ctx);
    cog_wipe(rnd, sizeof(rnd));
    cog_wipe(salt_bytes, sizeof(salt_bytes));
    return st;
}

void cog_srp_device_secret_clear(struct cog_srp_device_secret *s)
{
    if (s == NULL)
        return;
    cog_free_secret(s->password_b64);
    free(s->salt_b64);
    free(s->verifier_b64);
    memset(s, 0, sizeof(*s));
}

cog_status cog_idp_srp_new(const struct cog_idp *idp, struct cog_srp **out, struct cog_error *err)
{
    if (idp->transport != NULL && idp->transport->srp_a != NULL)
        return cog_srp_new_from_a(idp->transport->srp_a, idp->transport->srp_a_len, out, err);
    return cog_srp_new(out, err);
}

cog_status cog_idp_device_srp_new(const struct cog_idp *idp, struct cog_srp **out,
                                  struct cog_error *err)
{
    if (idp->transport != NULL && idp->transport->device_srp_a != NULL)
        return cog_srp_new_from_a(idp->transport->device_srp_a, idp->transport->device_srp_a_len,
                                  out, err);
    return cog_srp_new(out, err);
}
