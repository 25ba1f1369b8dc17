#include "build-config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "libcognito/signin/account.h"
#include "libcognito/signin/srp.h"
#include "libcognito/core/util.h"

void cog_delivery_from_json(struct json_object *obj, const char *medium_key,
                            const char *destination_key, struct cog_delivery *where)
{
    const char *medium = cog_json_string(obj, medium_key);
    const char *dest = cog_json_string(obj, destination_key);

    memset(where, 0, sizeof(*where));
    /* Shown to the user as is: only plain text from the server gets through. */
    if (medium != NULL && cog_text_valid(medium, sizeof(where->medium) - 1))
        snprintf(where->medium, sizeof(where->medium), "%s", medium);
    if (dest != NULL && cog_text_valid(dest, sizeof(where->destination) - 1))
        snprintf(where->destination, sizeof(where->destination), "%s", dest);
}

/* One API call whose request is the key/value pairs after err (NULL-ended;
 * a NULL value leaves its key out). With a username it is a call of the app
 * client for that user: ClientId, Username and SecretHash come first. */
static cog_status call(struct cog_idp *idp, const char *op, const char *username,
                       struct json_object **resp, struct cog_error *err, ...)
{
    cog_status st = COG_OK;
    struct json_object *req = json_object_new_object();
    va_list ap;

    *resp = NULL;
    if (req == NULL) {
        st = cog_error_set(err, COG_ERR_NOMEM, NULL, "out of memory");
        goto out;
    }
    if (username != NULL) {
        if (!cog_username_valid(username)) {
            st = cog_error_set(err, COG_ERR_INVALID_INPUT, NULL, "invalid username");
            goto out;
        }
        if (!cog_json_add_string(req, "ClientId", idp->cfg->client_id) ||
            !cog_json_add_string(req, "Username", username)) {
            st = cog_error_set(err, COG_ERR_NOMEM, NULL, "out of memory");
            goto out;
        }
        st = cog_idp_add_secret_hash(idp->cfg, req, "SecretHash", username, err);
        if (st != COG_OK)
            goto out;
    }
    va_start(ap, err);
    for (const char *key = va_arg(ap, const char *); key != NULL && st == COG_OK;
         key = va_arg(ap, const char *)) {
        const char *value = va_arg(ap, const char *);
        if (value != NULL && !cog_json_add_string(req, key, value))
            st = cog_error_set(err, COG_ERR_NOMEM, NULL, "out of memory");
    }
    va_end(ap);
    if (st != COG_OK)
        goto out;
    st = cog_idp_call(idp, op, req, resp, err);
out:
    cog_json_put_wiped(req);
    return st;
}

/* Answers that carry CodeDeliveryDetails. */
static cog_status call_delivery(struct cog_idp *idp, const char *op, const char *username,
                                struct cog_delivery *where, struct cog_error *err)
{
    struct json_object *resp = NULL;
    cog_status st = call(idp, op, username, &resp, err, NULL);
    if (st == COG_OK && where != NULL)
        cog_delivery_from_json(cog_json_object(resp, "CodeDeliveryDetails"), "DeliveryMedium",
                               "Destination", where);
    json_object_put(resp);
    return st;
}

cog_status cog_forgot_password(struct cog_idp *idp, const char *username,
                               struct cog_delivery *where, struct cog_error *err)
{
    return call_delivery(idp, "ForgotPassword", username, where, err);
}

cog_status cog_resend_confirmation_code(struct cog_idp *idp, const char *username,
                                        struct cog_delivery *where, struct cog_error *err)
{
    return call_delivery(idp, "ResendConfirmationCode", username, where, err);
}

cog_status cog_confirm_forgot_password(struct cog_idp *idp, const char *username, const char *code,
                                       const char *new_password, struct cog_error *err)
{
    struct json_object *resp = NULL;
    cog_status st = call(idp, "ConfirmForgotPassword", username, &resp, err, "ConfirmationCode",
                         code, "Password", new_password, NULL);
    json_object_put(resp);
    return st;
}

cog_status cog_confirm_sign_up(struct cog_idp *idp, const char *username, const char *code,
                               struct cog_error *err)
{
    struct json_object *resp = NULL;
    cog_status st =
        call(idp, "ConfirmSignUp", username, &resp, err, "ConfirmationCode", code, NULL);
    json_object_put(resp);
    return st;
}

cog_status cog_change_password(struct cog_idp *idp, const char *access_token,
                               const char *old_password, const char *new_password,
                               struct cog_error *err)
{
    struct json_object *resp = NULL;
    cog_status st = call(idp, "ChangePassword", NULL, &resp, err, "PreviousPassword", old_password,
                         "ProposedPassword", new_password, "AccessToken", access_token, NULL);
    json_object_put(resp);
    return st;
}

/* A Session from an answer, copied; a session-based call must get one back. */
static cog_status take_session(struct json_object *resp, const char *sent, char **out,
                               struct cog_error *err)
{
    const char *session = cog_json_string(resp, "Session");
    *out = NULL;
    if (sent == NULL)
        return COG_OK;
    if (session == NULL || session[0] == '\0')
        return cog_error_set(err, COG_ERR_UNAVAILABLE, NULL, "the service sent no Session");
    *out = strdup(session);
    return *out ? COG_OK : cog_error_set(err, COG_ERR_NOMEM, NULL, "out of memory");
}

cog_status cog_associate_software_token(struct cog_idp *idp, const char *session,
                                        const char *access_token, char **secret, char **new_session,
                                        struct cog_error *err)
{
    struct json_object *resp = NULL;
    cog_status st;

    *secret = NULL;
    *new_session = NULL;
    st = call(idp, "AssociateSoftwareToken", NULL, &resp, err, "Session", session, "AccessToken",
              access_token, NULL);
    if (st != COG_OK)
        goto out;
    const char *code = cog_json_string(resp, "SecretCode");
    /* It goes into an otpauth:// URI and onto the screen: base32 only. */
    if (code == NULL || code[0] == '\0' || strlen(code) > 128 ||
        strspn(code, "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567=") != strlen(code)) {
        st = cog_error_set(err, COG_ERR_UNAVAILABLE, NULL, "the service sent no usable SecretCode");
        goto out;
    }
    st = take_session(resp, session, new_session, err);
    if (st != COG_OK)
        goto out;
    *secret = strdup(code);
    if (*secret == NULL)
        st = cog_error_set(err, COG_ERR_NOMEM, NULL, "out of memory");
out:
    if (st != COG_OK) {
        cog_free_secret(*new_session);
        *new_session = NULL;
    }
    cog_json_put_wiped(resp);
    return st;
}

cog_status cog_verify_software_token(struct cog_idp *idp, const char *session,
                                     const char *access_token, const char *code,
                                     const char *device_name, char **new_session,
                                     struct cog_error *err)
{
    struct json_object *resp = NULL;
    cog_status st;

    *new_session = NULL;
    st = call(idp, "VerifySoftwareToken", NULL, &resp, err, "Session", session, "AccessToken",
              access_token, "UserCode", code, "FriendlyDeviceName", device_name, NULL);
    if (st != COG_OK)
        goto out;
    /* Cognito says SUCCESS or ERROR (a wrong code comes as an exception).
     * Anything else is no answer at all: taking it for a wrong code would
     * ask the user for codes that cannot help and call the outage a
     * failed login. */
    const char *status = cog_json_string(resp, "Status");
    if (status != NULL && strcmp(status, "ERROR") == 0) {
        st = cog_error_set(err, COG_ERR_CODE, NULL, "the code was not accepted");
        goto out;
    }
    if (status == NULL || strcmp(status, "SUCCESS") != 0) {
        st = cog_error_set(err, COG_ERR_UNAVAILABLE, NULL,
                           "the service sent an unreadable VerifySoftwareToken answer");
        goto out;
    }
    st = take_session(resp, session, new_session, err);
out:
    cog_json_put_wiped(resp);
    return st;
}

/* A call whose answer holds nothing we need. */
static cog_status call_simple(struct cog_idp *idp, const char *op, struct cog_error *err,
                              const char *k1, const char *v1, const char *k2, const char *v2,
                              const char *k3, const char *v3)
{
    struct json_object *resp = NULL;
    cog_status st = call(idp, op, NULL, &resp, err, k1, v1, k2, v2, k3, v3, NULL);
    cog_json_put_wiped(resp);
    return st;
}

cog_status cog_revoke_token(struct cog_idp *idp, const char *refresh_token, struct cog_error *err)
{
    return call_simple(idp, "RevokeToken", err, "Token", refresh_token, "ClientId",
                       idp->cfg->client_id, "ClientSecret", idp->cfg->client_secret);
}

cog_status cog_global_sign_out(struct cog_idp *idp, const char *access_token, struct cog_error *err)
{
    return call_simple(idp, "GlobalSignOut", err, "AccessToken", access_token, NULL, NULL, NULL,
                       NULL);
}

cog_status cog_update_device_status(struct cog_idp *idp, const char *access_token,
                                    const char *device_key, bool remembered, struct cog_error *err)
{
    return call_simple(idp, "UpdateDeviceStatus", err, "AccessToken", access_token, "DeviceKey",
                       device_key, "DeviceRememberedStatus",
                       remembered ? "remembered" : "not_remembered");
}

cog_status cog_forget_device(struct cog_idp *idp, const char *access_token, const char *device_key,
                             struct cog_error *err)
{
    return call_simple(idp, "ForgetDevice", err, "AccessToken", access_token, "DeviceKey",
                       device_key, NULL, NULL);
}

cog_status cog_confirm_device(struct cog_idp *idp, const char *access_token, const char *device_key,
                              const struct cog_srp_device_secret *secret, const char *device_name,
                              bool *user_confirmation_necessary, struct cog_error *err)
{
    cog_status st = COG_OK;
    struct json_object *req = json_object_new_object();
    struct json_object *config = json_object_new_object();
    struct json_object *resp = NULL, *v;

    *user_confirmation_necessary = false;
    if (req == NULL || config == NULL ||
        json_object_object_add(req, "DeviceSecretVerifierConfig", config) != 0) {
        json_object_put(config);
        st = cog_error_set(err, COG_ERR_NOMEM, NULL, "out of memory");
        goto out;
    }
    if (!cog_json_add_string(req, "AccessToken", access_token) ||
        !cog_json_add_string(req, "DeviceKey", device_key) ||
        !cog_json_add_string(config, "PasswordVerifier", secret->verifier_b64) ||
        !cog_json_add_string(config, "Salt", secret->salt_b64) ||
        (device_name != NULL && !cog_json_add_string(req, "DeviceName", device_name))) {
        st = cog_error_set(err, COG_ERR_NOMEM, NULL, "out of memory");
        goto out;
    }
    st = cog_idp_call(idp, "ConfirmDevice", req, &resp, err);
    if (st != COG_OK)
        goto out;
    if (json_object_object_get_ex(resp, "UserConfirmationNecessary", &v) &&
        json_object_is_type(v, json_type_boolean))
        *user_confirmation_necessary = json_object_get_boolean(v);
out:
    cog_json_put_wiped(req);
    json_object_put(resp);
    return st;
}

/* RFC 3986 percent-encoding of everything but the unreserved characters. */
static bool put_encoded(char **p, const char *end, const char *s)
{
    static const char hex[] = "0123456789ABCDEF";
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        bool plain = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                     c == '-' || c == '.' || c == '_' || c == '~';
        if (end - *p < (plain ? 2 : 4))
            return false;
        if (plain) {
            *(*p)++ = (char)c;
        } else {
            *(*p)++ = '%';
            *(*p)++ = hex[c >> 4];
            *(*p)++ = hex[c & 15];
        }
    }
    **p = '\0';
    return true;
}

static bool put_plain(char **p, const char *end, const char *s)
{
    size_t n = strlen(s);
    if ((size_t)(end - *p) <= n)
        return false;
    memcpy(*p, s, n + 1);
    *p += n;
    return true;
}

char *cog_otpauth_uri(const char *issuer, const char *account, const char *secret)
{
    /* Every byte may triple when encoded. */
    size_t cap = 64 + 6 * strlen(issuer) + 3 * strlen(account) + strlen(secret);
    char *out = malloc(cap);
    if (out == NULL)
        return NULL;
    char *p = out, *end = out + cap;
    bool ok = put_plain(&p, end, "otpauth://totp/") && put_encoded(&p, end, issuer) &&
              put_plain(&p, end, ":") && put_encoded(&p, end, account) &&
              put_plain(&p, end, "?secret=") && put_encoded(&p, end, secret) &&
              put_plain(&p, end, "&issuer=") && put_encoded(&p, end, issuer);
    if (!ok) {
        cog_wipe(out, cap);
        free(out);
        return NULL;
    }
    return out;
}

bool cog_user_status_active(const struct cog_config *cfg, const char *status)
{
    if (status == NULL || status[0] == '\0')
        return false;
    if (strcmp(status, "CONFIRMED") == 0 || strcmp(status, "EXTERNAL_PROVIDER") == 0)
        return true;
    size_t n = strlen(status);
    for (const char *p = cfg != NULL ? cfg->allowed_user_status : NULL; p != NULL && *p != '\0';) {
        size_t len = strcspn(p, ",");
        if (len == n && strncmp(p, status, n) == 0)
            return true;
        p += len;
        if (*p == ',')
            p++;
    }
    return false;
}
