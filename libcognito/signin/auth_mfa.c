#include "build-config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "libcognito/signin/auth_internal.h"
#include "libcognito/signin/qr.h"
#include "libcognito/core/util.h"

#define PROMPT_SMS "SMS code: "
#define PROMPT_EMAIL "Email code: "
#define PROMPT_TOTP "Authenticator code: "

/* The MFA types a client can answer, with the words the menu shows. */
static const struct {
    const char *name;
    const char *label;
} mfa_types[] = {
    {"SMS_MFA", "Code by SMS"},
    {"SOFTWARE_TOKEN_MFA", "Authenticator app"},
    {"EMAIL_OTP", "Code by email"},
};
#define N_MFA_TYPES (sizeof(mfa_types) / sizeof(mfa_types[0]))

cog_status auth_answer_code(struct login *l, struct step *s, enum cog_code_kind kind,
                            const char *key, const char *prompt)
{
    char *code = NULL;
    cog_status st;

    if (s->attempt > 0) {
        auth_error(l, AUTH_TEXT_WRONG_CODE);
    } else if (kind != COG_CODE_TOTP) {
        struct cog_delivery where;
        cog_delivery_from_json(s->params, "CODE_DELIVERY_DELIVERY_MEDIUM",
                               "CODE_DELIVERY_DESTINATION", &where);
        /* Passwordless: whoever types a name must not learn its address,
         * nor tell a real name from a made-up one by it. */
        if (l->cfg->passwordless != COG_PASSWORDLESS_NO)
            where.destination[0] = '\0';
        auth_say_delivery(l, "A code", &where);
    }
    st = auth_ask_code(l, kind, prompt, &code);
    if (st != COG_OK)
        goto out;
    /* Cannot be right: counted as a wrong code without asking Cognito. */
    if (code[0] == '\0' || !cog_text_valid(code, AUTH_CODE_MAX)) {
        st = cog_error_set(l->err, COG_ERR_CODE, NULL, "the code is empty or not text");
        goto out;
    }
    st = auth_add(l, s->responses, key, code);
    /* The SDK sends a TOTP code under both names; so do we. */
    if (st == COG_OK && kind == COG_CODE_TOTP)
        st = auth_add(l, s->responses, "SMS_MFA_CODE", code);
out:
    cog_free_secret(code);
    return st;
}

cog_status auth_answer_sms(struct login *l, struct step *s)
{
    return auth_answer_code(l, s, COG_CODE_SMS, "SMS_MFA_CODE", PROMPT_SMS);
}

cog_status auth_answer_totp(struct login *l, struct step *s)
{
    return auth_answer_code(l, s, COG_CODE_TOTP, "SOFTWARE_TOKEN_MFA_CODE", PROMPT_TOTP);
}

cog_status auth_answer_email(struct login *l, struct step *s)
{
    return auth_answer_code(l, s, COG_CODE_EMAIL, "EMAIL_OTP_CODE", PROMPT_EMAIL);
}

/* The known MFA types in a JSON-array-in-a-string parameter, in the
 * server's order, as indexes into mfa_types. Returns how many. */
static size_t mfa_list(struct json_object *params, const char *key, size_t *out)
{
    size_t n = 0;
    const char *text = cog_json_string(params, key);
    struct json_object *list = text ? json_tokener_parse(text) : NULL;

    if (list != NULL && json_object_is_type(list, json_type_array)) {
        size_t len = json_object_array_length(list);
        for (size_t i = 0; i < len && n < N_MFA_TYPES; i++) {
            const char *name = json_object_get_string(json_object_array_get_idx(list, i));
            for (size_t k = 0; name != NULL && k < N_MFA_TYPES; k++) {
                bool seen = false;
                for (size_t j = 0; j < n; j++)
                    seen = seen || out[j] == k;
                if (!seen && strcmp(name, mfa_types[k].name) == 0)
                    out[n++] = k;
            }
        }
    }
    json_object_put(list);
    return n;
}

cog_status auth_answer_select_mfa(struct login *l, struct step *s)
{
    size_t types[N_MFA_TYPES];
    const char *labels[N_MFA_TYPES];
    size_t picked = 0;
    size_t n = mfa_list(s->params, "MFAS_CAN_CHOOSE", types);

    if (n == 0)
        return cog_error_set(l->err, COG_ERR_UNAVAILABLE, NULL,
                             "SELECT_MFA_TYPE offers no MFA type this client knows");
    for (size_t i = 0; i < n; i++)
        labels[i] = mfa_types[types[i]].label;
    /* One choice is no choice. */
    if (n > 1) {
        cog_status st = auth_select(l, "Choose how to confirm this sign-in:", labels, n, &picked);
        if (st != COG_OK)
            return st;
    }
    return auth_add(l, s->responses, "ANSWER", mfa_types[types[picked]].name);
}

/* Shows the new secret three ways: QR code, otpauth:// link, key to type. */
static cog_status show_secret(struct login *l, const char *secret)
{
    cog_status st;
    const char *issuer = l->cfg->totp_issuer ? l->cfg->totp_issuer : l->cfg->user_pool_id;
    char *uri = cog_otpauth_uri(issuer, l->username, secret);
    char *key = cog_totp_key_grouped(secret);
    char *qr = NULL, *text = NULL, *intro = NULL;

    if (uri == NULL || key == NULL) {
        st = auth_nomem(l);
        goto out;
    }
    st = cog_qr_text_style(uri, l->cfg->qr_style, &qr, l->err);
    if (st != COG_OK)
        goto out;
    if (asprintf(&text,
                 "Or open this link on the device with the app:\n%s\nOr type this key "
                 "into the app: %s",
                 uri, key) < 0) {
        text = NULL;
        st = auth_nomem(l);
        goto out;
    }
    if (asprintf(&intro, "This account needs an authenticator app (TOTP). %s",
                 cog_qr_intro(l->cfg->qr_style)) < 0) {
        intro = NULL;
        st = auth_nomem(l);
        goto out;
    }
    auth_info(l, intro);
    auth_info(l, qr);
    auth_info(l, text);
out:
    free(intro);
    cog_free_secret(text);
    cog_free_secret(qr);
    cog_free_secret(key);
    cog_free_secret(uri);
    return st;
}

cog_status auth_answer_mfa_setup(struct login *l, struct step *s)
{
    size_t types[N_MFA_TYPES];
    char *secret = NULL, *session = NULL, *verified = NULL, *code = NULL;
    cog_status st;
    bool totp = false;
    size_t n = mfa_list(s->params, "MFAS_CAN_SETUP", types);

    for (size_t i = 0; i < n; i++)
        totp = totp || strcmp(mfa_types[types[i]].name, "SOFTWARE_TOKEN_MFA") == 0;
    if (!totp) {
        st = cog_error_set(l->err, COG_ERR_AUTH, NULL,
                           "the account must set up an MFA type this login cannot offer");
        goto out;
    }
    if (s->session == NULL) {
        st = cog_error_set(l->err, COG_ERR_UNAVAILABLE, NULL, "MFA_SETUP came without a Session");
        goto out;
    }
    if ((st = auth_spend_request(l)) == COG_OK)
        st = cog_associate_software_token(l->idp, s->session, NULL, &secret, &session, l->err);
    if (st != COG_OK)
        goto out;
    st = show_secret(l, secret);
    if (st != COG_OK)
        goto out;
    for (int attempt = 0; attempt < auth_max_attempts(l); attempt++) {
        if (attempt > 0)
            auth_error(l, AUTH_TEXT_WRONG_CODE);
        st = auth_ask_code(l, COG_CODE_TOTP_SETUP, PROMPT_TOTP, &code);
        if (st != COG_OK)
            goto out;
        if (code[0] == '\0' || !cog_text_valid(code, AUTH_CODE_MAX))
            st = cog_error_set(l->err, COG_ERR_CODE, NULL, "the code is empty or not text");
        else if ((st = auth_spend_request(l)) == COG_OK)
            st = cog_verify_software_token(l->idp, session, NULL, code, NULL, &verified, l->err);
        cog_free_secret(code);
        code = NULL;
        if (st != COG_ERR_CODE)
            break;
    }
    if (st != COG_OK)
        goto out;
    /* The challenge is answered with the Session the verification returned. */
    cog_free_secret(s->session);
    s->session = verified;
    verified = NULL;
    auth_info(l, "The authenticator app is set up.");
out:
    cog_free_secret(code);
    cog_free_secret(verified);
    cog_free_secret(session);
    cog_free_secret(secret);
    return st;
}
