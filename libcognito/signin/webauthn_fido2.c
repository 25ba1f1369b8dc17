/* The production authenticator: the first FIDO2 key libfido2 finds
 * (USB HID), asked for an assertion or, at enrolment, a new credential. */
#include "build-config.h"
#include <stdlib.h>
#include <string.h>

#include <fido.h>

#include "libcognito/signin/webauthn.h"

#define MAX_DEVICES 16

struct fido2_ctx {
    fido_dev_t *dev;
    bool has_pin;
};

/* libfido2 gives an assertion's authenticatorData as a CBOR byte string:
 * the raw bytes are what the relying party hashes. */
static bool unwrap_bstr(const unsigned char *p, size_t n, struct cog_buf *out)
{
    size_t len, head;
    if (p == NULL || n < 1 || (p[0] >> 5) != 2)
        return false;
    if ((p[0] & 0x1f) < 24) {
        len = p[0] & 0x1f;
        head = 1;
    } else if ((p[0] & 0x1f) == 24 && n >= 2) {
        len = p[1];
        head = 2;
    } else if ((p[0] & 0x1f) == 25 && n >= 3) {
        len = (size_t)p[1] << 8 | p[2];
        head = 3;
    } else {
        return false;
    }
    if (head + len != n)
        return false;
    cog_buf_add(out, p + head, len);
    return !out->failed;
}

static cog_status fido_fail(struct cog_error *err, const char *what, int r)
{
    cog_status st = r == FIDO_ERR_PIN_INVALID || r == FIDO_ERR_PIN_AUTH_BLOCKED ||
                            r == FIDO_ERR_PIN_BLOCKED || r == FIDO_ERR_NO_CREDENTIALS ||
                            r == FIDO_ERR_ACTION_TIMEOUT || r == FIDO_ERR_OPERATION_DENIED ||
                            r == FIDO_ERR_UV_INVALID || r == FIDO_ERR_PIN_REQUIRED
                        ? COG_ERR_AUTH
                        : COG_ERR_UNAVAILABLE;
    return cog_error_set(err, st, "", "security key: %s: %s", what, fido_strerr(r));
}

static int get_assertion(void *vctx, const struct cog_webauthn_request *req, const char *pin,
                         struct cog_webauthn_assertion *out, struct cog_error *err)
{
    struct fido2_ctx *ctx = vctx;
    fido_assert_t *a = fido_assert_new();
    cog_status st = COG_OK;
    int r;

    memset(out, 0, sizeof(*out));
    if (a == NULL)
        return cog_error_set(err, COG_ERR_NOMEM, "", "out of memory");
    if ((r = fido_assert_set_rp(a, req->rp_id)) != FIDO_OK ||
        (r = fido_assert_set_clientdata_hash(a, req->client_data_hash,
                                             sizeof(req->client_data_hash))) != FIDO_OK) {
        st = fido_fail(err, "request", r);
        goto out;
    }
    for (size_t i = 0; i < req->allow_count; i++) {
        if ((r = fido_assert_allow_cred(a, req->allow[i].id, req->allow[i].len)) != FIDO_OK) {
            st = fido_fail(err, "allow list", r);
            goto out;
        }
    }
    /* With a PIN, libfido2 gets UV through the PIN protocol; without one a
     * key with built-in UV (a fingerprint) is asked for it. */
    bool uv = req->uv_required || (req->uv_preferred && pin != NULL);
    if (uv && pin == NULL && fido_dev_has_uv(ctx->dev))
        fido_assert_set_uv(a, FIDO_OPT_TRUE);
    if (req->timeout_ms > 0)
        fido_dev_set_timeout(ctx->dev, (int)req->timeout_ms);
    if ((r = fido_dev_get_assert(ctx->dev, a, uv ? pin : NULL)) != FIDO_OK) {
        st = fido_fail(err, "sign-in", r);
        goto out;
    }
    if (fido_assert_count(a) < 1 || !unwrap_bstr(fido_assert_authdata_ptr(a, 0),
                                                 fido_assert_authdata_len(a, 0), &out->auth_data)) {
        st = cog_error_set(err, COG_ERR_AUTH, "", "security key: no usable assertion");
        goto out;
    }
    cog_buf_add(&out->signature, fido_assert_sig_ptr(a, 0), fido_assert_sig_len(a, 0));
    cog_buf_add(&out->credential_id, fido_assert_id_ptr(a, 0), fido_assert_id_len(a, 0));
    if (fido_assert_user_id_len(a, 0) > 0)
        cog_buf_add(&out->user_handle, fido_assert_user_id_ptr(a, 0),
                    fido_assert_user_id_len(a, 0));
    /* A single allowed credential is echoed by CTAP without its id. */
    if (fido_assert_id_len(a, 0) == 0 && req->allow_count == 1)
        cog_buf_add(&out->credential_id, req->allow[0].id, req->allow[0].len);
    out->attachment = "cross-platform";
out:
    fido_assert_free(&a);
    if (st != COG_OK)
        cog_webauthn_assertion_free(out);
    return st;
}

static int make_credential(void *vctx, const struct cog_webauthn_create_request *req,
                           const char *pin, struct cog_webauthn_new_credential *out,
                           struct cog_error *err)
{
    struct fido2_ctx *ctx = vctx;
    fido_cred_t *c = fido_cred_new();
    cog_status st = COG_OK;
    int r = FIDO_ERR_INTERNAL;

    memset(out, 0, sizeof(*out));
    if (c == NULL)
        return cog_error_set(err, COG_ERR_NOMEM, "", "out of memory");
    bool ok = (r = fido_cred_set_type(c, COSE_ES256)) == FIDO_OK &&
              (r = fido_cred_set_clientdata_hash(c, req->client_data_hash,
                                                 sizeof(req->client_data_hash))) == FIDO_OK &&
              (r = fido_cred_set_rp(c, req->rp_id, req->rp_name)) == FIDO_OK &&
              (r = fido_cred_set_user(c, req->user_id, req->user_id_len, req->user_name,
                                      req->user_display_name, NULL)) == FIDO_OK &&
              (r = fido_cred_set_rk(c, FIDO_OPT_TRUE)) == FIDO_OK;
    for (size_t i = 0; ok && i < req->exclude_count; i++)
        ok = (r = fido_cred_exclude(c, req->exclude[i].id, req->exclude[i].len)) == FIDO_OK;
    if (ok && req->uv_required && pin == NULL && fido_dev_has_uv(ctx->dev))
        fido_cred_set_uv(c, FIDO_OPT_TRUE);
    if (!ok || (r = fido_dev_make_cred(ctx->dev, c, pin)) != FIDO_OK) {
        st = fido_fail(err, "enrolment", r);
        goto out;
    }
    cog_buf_add(&out->auth_data, fido_cred_authdata_raw_ptr(c), fido_cred_authdata_raw_len(c));
    cog_buf_add(&out->credential_id, fido_cred_id_ptr(c), fido_cred_id_len(c));
    out->attachment = "cross-platform";
out:
    fido_cred_free(&c);
    if (st != COG_OK)
        cog_webauthn_new_credential_free(out);
    return st;
}

static bool needs_pin(void *vctx)
{
    return ((struct fido2_ctx *)vctx)->has_pin;
}

static void close_dev(void *vctx)
{
    struct fido2_ctx *ctx = vctx;
    if (ctx == NULL)
        return;
    fido_dev_close(ctx->dev);
    fido_dev_free(&ctx->dev);
    free(ctx);
}

int cog_authenticator_fido2(struct cog_authenticator *out, struct cog_error *err)
{
    fido_dev_info_t *list = NULL;
    struct fido2_ctx *ctx = NULL;
    size_t n = 0;
    cog_status st = COG_OK;
    int r;

    memset(out, 0, sizeof(*out));
    fido_init(0);
    if ((list = fido_dev_info_new(MAX_DEVICES)) == NULL ||
        (ctx = calloc(1, sizeof(*ctx))) == NULL || (ctx->dev = fido_dev_new()) == NULL) {
        st = cog_error_set(err, COG_ERR_NOMEM, "", "out of memory");
        goto out;
    }
    if (fido_dev_info_manifest(list, MAX_DEVICES, &n) != FIDO_OK || n == 0) {
        st = cog_error_set(err, COG_ERR_UNAVAILABLE, "", "no security key is plugged in");
        goto out;
    }
    const char *path = fido_dev_info_path(fido_dev_info_ptr(list, 0));
    if ((r = fido_dev_open(ctx->dev, path)) != FIDO_OK) {
        st = fido_fail(err, "open", r);
        goto out;
    }
    ctx->has_pin = fido_dev_has_pin(ctx->dev);
    out->ctx = ctx;
    out->get_assertion = get_assertion;
    out->needs_pin = needs_pin;
    out->close = close_dev;
    out->make_credential = make_credential;
    ctx = NULL;
out:
    if (ctx != NULL) {
        fido_dev_free(&ctx->dev);
        free(ctx);
    }
    fido_dev_info_free(&list, MAX_DEVICES);
    return st;
}
