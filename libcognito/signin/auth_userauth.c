/* USER_AUTH, Cognito's choice-based sign-in: InitiateAuth names a preferred
 * first factor or gets SELECT_CHALLENGE with AvailableChallenges, a menu
 * answered with ANSWER and the factor's own parameters. Codes by e-mail or
 * SMS can be the first factor (passwordless), a passkey answers WEB_AUTHN
 * (webauthn.h), and the password goes as SRP or as PASSWORD. */
#include "build-config.h"

#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "libcognito/signin/auth_internal.h"
#include "libcognito/core/util.h"
#include "libcognito/signin/webauthn.h"

#define PROMPT_SMS "SMS code: "
#define PROMPT_EMAIL "Email code: "

/* The first factors this client answers, in the menu's words; a menu with
 * both password forms shows one "Password" and answers with SRP. */
static const struct factor {
    const char *name;
    const char *label;
    enum cog_challenge_pref pref;
} factors[] = {
    {"PASSWORD_SRP", "Password", COG_PREF_PASSWORD_SRP},
    {"PASSWORD", "Password", COG_PREF_PASSWORD},
    {"EMAIL_OTP", "Code by email", COG_PREF_EMAIL_OTP},
    {"SMS_OTP", "Code by SMS", COG_PREF_SMS_OTP},
    {"WEB_AUTHN", "Security key (passkey)", COG_PREF_WEB_AUTHN},
};
#define N_FACTORS (sizeof(factors) / sizeof(factors[0]))

static bool remote(const struct login *l)
{
    return l->opts->remote_host != NULL && l->opts->remote_host[0] != '\0';
}

/* Whether this login may use factor f at all. */
static bool allowed(const struct login *l, const struct factor *f)
{
    switch (l->cfg->passwordless) {
    case COG_PASSWORDLESS_EMAIL:
        return f->pref == COG_PREF_EMAIL_OTP;
    case COG_PASSWORDLESS_SMS:
        return f->pref == COG_PREF_SMS_OTP;
    case COG_PASSWORDLESS_ANY:
        return f->pref == COG_PREF_EMAIL_OTP || f->pref == COG_PREF_SMS_OTP;
    case COG_PASSWORDLESS_NO:
        break;
    }
    return f->pref != COG_PREF_WEB_AUTHN || !remote(l);
}

static enum cog_challenge_pref preferred(const struct login *l)
{
    switch (l->cfg->passwordless) {
    case COG_PASSWORDLESS_EMAIL:
        return COG_PREF_EMAIL_OTP;
    case COG_PASSWORDLESS_SMS:
        return COG_PREF_SMS_OTP;
    case COG_PASSWORDLESS_ANY:
        return COG_PREF_NONE;
    case COG_PASSWORDLESS_NO:
        break;
    }
    /* Over SSH the key is on the client: let Cognito offer the others. */
    if (l->cfg->preferred_challenge == COG_PREF_WEB_AUTHN && remote(l))
        return COG_PREF_NONE;
    /* A password in hand (an earlier module's, a password change): that factor. */
    if (l->cfg->preferred_challenge == COG_PREF_NONE && l->opts->password != NULL)
        return COG_PREF_PASSWORD_SRP;
    return l->cfg->preferred_challenge;
}

static const struct factor *factor_of(enum cog_challenge_pref pref)
{
    for (size_t i = 0; i < N_FACTORS; i++) {
        if (factors[i].pref == pref)
            return &factors[i];
    }
    return NULL;
}

bool auth_userauth_wants_password(const struct login *l)
{
    enum cog_challenge_pref p = preferred(l);
    return p == COG_PREF_PASSWORD_SRP || p == COG_PREF_PASSWORD;
}

/* The password, asked now when the login has none yet (a menu choice). */
static cog_status need_password(struct login *l)
{
    cog_status st;

    if (l->password != NULL)
        return COG_OK;
    if (l->cb == NULL || l->cb->ask_password == NULL)
        return cog_error_set(l->err, COG_ERR_INTERNAL, NULL, "no way to ask for the password");
    if (!auth_spend_turn(l))
        return cog_error_set(l->err, COG_ERR_UNAVAILABLE, NULL,
                             "the service asked too many questions");
    st = l->cb->ask_password(l->cb->ctx, COG_PROMPT_PASSWORD, &l->password);
    if (st != COG_OK || l->password == NULL) {
        cog_free_secret(l->password);
        l->password = NULL;
        return cog_error_set(l->err, COG_ERR_ABORTED, NULL, "no password given");
    }
    cog_http_begin_step(l->idp->http);
    if (l->password[0] == '\0' || !cog_text_valid(l->password, 1024))
        return cog_error_set(l->err, COG_ERR_AUTH, NULL, "Incorrect username or password.");
    return COG_OK;
}

/* What the password factor sends with it into obj: a fresh SRP_A, or the password. */
static cog_status add_password_factor(struct login *l, struct json_object *obj,
                                      enum cog_challenge_pref p)
{
    cog_status st = need_password(l);
    if (st != COG_OK)
        return st;
    if (p == COG_PREF_PASSWORD)
        return auth_add(l, obj, "PASSWORD", l->password);
    cog_srp_free(l->srp);
    l->srp = NULL;
    if ((st = cog_idp_srp_new(l->idp, &l->srp, l->err)) != COG_OK)
        return st;
    return auth_add(l, obj, "SRP_A", cog_srp_A_hex(l->srp));
}

cog_status auth_userauth_params(struct login *l, struct json_object *ap)
{
    const struct factor *f = factor_of(preferred(l));
    cog_status st;

    if (f == NULL)
        return COG_OK;
    if ((st = auth_add(l, ap, "PREFERRED_CHALLENGE", f->name)) != COG_OK)
        return st;
    if (f->pref == COG_PREF_PASSWORD_SRP || f->pref == COG_PREF_PASSWORD)
        return add_password_factor(l, ap, f->pref);
    return COG_OK;
}

/* The factors of AvailableChallenges this login may use, in Cognito's order. */
static size_t offered(struct login *l, struct step *s, const struct factor **out, bool *key_hidden)
{
    struct json_object *list = NULL;
    size_t n = 0;
    bool srp = false;

    *key_hidden = false;
    if (!json_object_object_get_ex(s->prev, "AvailableChallenges", &list) ||
        !json_object_is_type(list, json_type_array))
        return 0;
    size_t len = json_object_array_length(list);
    for (size_t i = 0; i < len; i++) {
        const char *name = json_object_get_string(json_object_array_get_idx(list, i));
        srp = srp || (name != NULL && strcmp(name, "PASSWORD_SRP") == 0);
    }
    for (size_t i = 0; i < len && n < N_FACTORS; i++) {
        const char *name = json_object_get_string(json_object_array_get_idx(list, i));
        for (size_t k = 0; name != NULL && k < N_FACTORS; k++) {
            const struct factor *f = &factors[k];
            bool seen = false;
            if (strcmp(name, f->name) != 0)
                continue;
            for (size_t j = 0; j < n; j++)
                seen = seen || out[j] == f;
            if (f->pref == COG_PREF_WEB_AUTHN && l->cfg->passwordless == COG_PASSWORDLESS_NO &&
                remote(l))
                *key_hidden = true;
            if (!seen && allowed(l, f) && !(f->pref == COG_PREF_PASSWORD && srp))
                out[n++] = f;
        }
    }
    return n;
}

cog_status auth_answer_select_challenge(struct login *l, struct step *s)
{
    const struct factor *can[N_FACTORS];
    const char *labels[N_FACTORS];
    size_t picked = 0;
    bool key_hidden;
    cog_status st;
    size_t n = offered(l, s, can, &key_hidden);

    if (n == 0 && l->cfg->passwordless != COG_PASSWORDLESS_NO)
        return auth_userauth_decoy(l, 0);
    if (key_hidden)
        auth_info(l, COG_TEXT_KEY_REMOTE);
    if (n == 0)
        return cog_error_set(l->err, COG_ERR_AUTH, NULL,
                             "SELECT_CHALLENGE offers no way to sign in this host can use");
    for (size_t i = 0; i < n; i++)
        labels[i] = can[i]->label;
    /* One choice is no choice. */
    if (n > 1 && (st = auth_select(l, COG_PROMPT_SIGN_IN_CHOICE, labels, n, &picked)) != COG_OK)
        return st;
    const struct factor *f = can[picked];
    if ((st = auth_add(l, s->responses, "ANSWER", f->name)) != COG_OK)
        return st;
    if (f->pref == COG_PREF_PASSWORD_SRP || f->pref == COG_PREF_PASSWORD)
        return add_password_factor(l, s->responses, f->pref);
    return COG_OK;
}

cog_status auth_answer_sms_otp(struct login *l, struct step *s)
{
    return auth_answer_code(l, s, COG_CODE_SMS, "SMS_OTP_CODE", PROMPT_SMS);
}

/* EMAIL_MFA is the name some pools give e-mail MFA after a first factor:
 * the code goes under both names, as the SDK does for TOTP. */
cog_status auth_answer_email_mfa(struct login *l, struct step *s)
{
    cog_status st = auth_answer_code(l, s, COG_CODE_EMAIL, "EMAIL_OTP_CODE", PROMPT_EMAIL);
    if (st == COG_OK)
        st = auth_add(l, s->responses, "EMAIL_MFA_CODE",
                      cog_json_string(s->responses, "EMAIL_OTP_CODE"));
    return st;
}

cog_status auth_answer_web_authn(struct login *l, struct step *s)
{
    struct cog_authenticator key = {0};
    bool opened = false;
    char *pin = NULL, *credential = NULL;
    cog_status st;
    const char *options = cog_json_string(s->params, "CREDENTIAL_REQUEST_OPTIONS");

    if (remote(l)) {
        auth_error(l, COG_TEXT_KEY_REMOTE);
        st = cog_error_set(l->err, COG_ERR_AUTH, NULL, "a security key is out of reach over %s",
                           "a remote login");
        goto out;
    }
    if (options == NULL) {
        st = cog_error_set(l->err, COG_ERR_UNAVAILABLE, NULL,
                           "WEB_AUTHN without CREDENTIAL_REQUEST_OPTIONS");
        goto out;
    }
    if ((st = (cog_status)cog_authenticator_default(&key, l->err)) != COG_OK)
        goto out;
    opened = true;
    if (cog_webauthn_uv_required(options) && key.needs_pin != NULL && key.needs_pin(key.ctx)) {
        if (l->cb == NULL || l->cb->ask_password == NULL || !auth_spend_turn(l)) {
            st = cog_error_set(l->err, COG_ERR_INTERNAL, NULL, "no way to ask for the key's PIN");
            goto out;
        }
        st = l->cb->ask_password(l->cb->ctx, COG_PROMPT_SECURITY_KEY_PIN, &pin);
        if (st != COG_OK || pin == NULL) {
            st = cog_error_set(l->err, COG_ERR_ABORTED, NULL, "no PIN given");
            goto out;
        }
    }
    auth_info(l, COG_TEXT_TOUCH_KEY);
    st = (cog_status)cog_webauthn_answer(l->cfg, options, &key, pin, &credential, l->err);
    /* The key takes a human's time: the deadline starts after it. */
    cog_http_begin_step(l->idp->http);
    if (st == COG_OK)
        st = auth_add(l, s->responses, "CREDENTIAL", credential);
out:
    if (opened)
        cog_authenticator_close(&key);
    cog_free_secret(pin);
    cog_free_secret(credential);
    return st;
}

cog_status auth_userauth_decoy(struct login *l, long long spent_ms)
{
    bool sms = l->cfg->passwordless == COG_PASSWORDLESS_SMS;
    struct step s = {.name = sms ? "SMS_OTP" : "EMAIL_OTP"};
    cog_status st = COG_OK;

    s.params = json_object_new_object();
    if (s.params == NULL ||
        !cog_json_add_string(s.params, "CODE_DELIVERY_DELIVERY_MEDIUM", sms ? "SMS" : "EMAIL")) {
        st = auth_nomem(l);
        goto out;
    }
    for (; s.attempt < auth_max_attempts(l); s.attempt++) {
        if ((s.responses = json_object_new_object()) == NULL) {
            st = auth_nomem(l);
            goto out;
        }
        st = auth_answer_code(l, &s, sms ? COG_CODE_SMS : COG_CODE_EMAIL,
                              sms ? "SMS_OTP_CODE" : "EMAIL_OTP_CODE",
                              sms ? PROMPT_SMS : PROMPT_EMAIL);
        cog_json_put_wiped(s.responses);
        s.responses = NULL;
        if (st != COG_OK && st != COG_ERR_CODE)
            goto out;
        /* As long as Cognito's refusal of a code would take. */
        if (spent_ms > 0) {
            long long ms = spent_ms < 5000 ? spent_ms : 5000;
            struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L};
            nanosleep(&ts, NULL);
        }
    }
    st = cog_error_set(l->err, COG_ERR_CODE, "CodeMismatchException",
                       "Invalid code or auth state for the user.");
out:
    cog_json_put_wiped(s.responses);
    cog_json_put_wiped(s.params);
    return st;
}

cog_status auth_add_context(struct login *l, struct json_object *req)
{
    unsigned char addr[16];
    const char *host = l->opts->remote_host;
    struct json_object *ucd = NULL;

    /* Only an address as PAM_RHOST gives it: a name is never resolved. */
    if (!l->cfg->user_context_data || host == NULL ||
        (inet_pton(AF_INET, host, addr) != 1 && inet_pton(AF_INET6, host, addr) != 1))
        return COG_OK;
    if ((ucd = json_object_new_object()) == NULL || !cog_json_add_string(ucd, "IpAddress", host) ||
        json_object_object_add(req, "UserContextData", ucd) != 0) {
        json_object_put(ucd);
        return auth_nomem(l);
    }
    return COG_OK;
}
