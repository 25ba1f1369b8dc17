#include "build-config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "libcognito/signin/auth_internal.h"
#include "libcognito/signin/jwt.h"
#include "libcognito/core/util.h"

/* A hostile or broken server could answer challenges forever. */
#define MAX_ROUNDS 16
/* Reset and confirm flows each restart the sign-in once at most. */
#define MAX_RESTARTS 2

static cog_status answer_password_verifier(struct login *l, struct step *s);

/* Every challenge the machine answers. retry_on: the status after which the
 * same challenge is asked again with the same Session (Cognito's session
 * takes a few tries), up to opts->max_code_attempts. */
static const struct challenge {
    const char *name;
    challenge_fn fn;
    cog_status retry_on;
    bool mfa;    /* passing it is a second factor */
    bool device; /* the remembered device's own proof */
} challenges[] = {
    {"PASSWORD_VERIFIER", answer_password_verifier, COG_OK, false, false},
    {"SMS_MFA", auth_answer_sms, COG_ERR_CODE, true, false},
    {"SOFTWARE_TOKEN_MFA", auth_answer_totp, COG_ERR_CODE, true, false},
    {"EMAIL_OTP", auth_answer_email, COG_ERR_CODE, true, false},
    {"SELECT_MFA_TYPE", auth_answer_select_mfa, COG_OK, false, false},
    {"MFA_SETUP", auth_answer_mfa_setup, COG_OK, true, false},
    {"NEW_PASSWORD_REQUIRED", auth_answer_new_password, COG_ERR_INVALID_PASSWORD, false, false},
    {"CUSTOM_CHALLENGE", auth_answer_custom, COG_OK, false, false},
    {"DEVICE_SRP_AUTH", auth_answer_device_srp, COG_OK, false, true},
    {"DEVICE_PASSWORD_VERIFIER", auth_answer_device_verifier, COG_OK, false, true},
    /* USER_AUTH (auth_userauth.c): codes as a first factor are MFA only
     * after another factor (answer_challenge). */
    {"SELECT_CHALLENGE", auth_answer_select_challenge, COG_OK, false, false},
    {"SMS_OTP", auth_answer_sms_otp, COG_ERR_CODE, true, false},
    {"EMAIL_MFA", auth_answer_email_mfa, COG_ERR_CODE, true, false},
    {"WEB_AUTHN", auth_answer_web_authn, COG_OK, false, false},
};

static const struct challenge *find_challenge(const char *name)
{
    for (size_t i = 0; i < sizeof(challenges) / sizeof(challenges[0]); i++) {
        if (strcmp(challenges[i].name, name) == 0)
            return &challenges[i];
    }
    return NULL;
}

cog_status auth_nomem(struct login *l)
{
    return cog_error_set(l->err, COG_ERR_NOMEM, NULL, "out of memory");
}

const char *auth_user(const struct login *l)
{
    return l->user_id ? l->user_id : l->username;
}

int auth_max_attempts(const struct login *l)
{
    return l->opts->max_code_attempts > 0 ? l->opts->max_code_attempts : 3;
}

cog_status auth_spend_request(struct login *l)
{
    if (l->requests >= AUTH_MAX_REQUESTS)
        return cog_error_set(l->err, COG_ERR_UNAVAILABLE, NULL,
                             "the service wanted too many calls");
    l->requests++;
    return COG_OK;
}

bool auth_spend_turn(struct login *l)
{
    if (l->turns >= AUTH_MAX_TURNS)
        return false;
    l->turns++;
    return true;
}

/* -- PASSWORD_VERIFIER ---------------------------------------------------------- */

static cog_status answer_password_verifier(struct login *l, struct step *s)
{
    cog_status st;

    const char *salt = cog_json_string(s->params, "SALT");
    const char *b = cog_json_string(s->params, "SRP_B");
    const char *block = cog_json_string(s->params, "SECRET_BLOCK");
    const char *user_id = cog_json_string(s->params, "USER_ID_FOR_SRP");
    if (l->srp == NULL || salt == NULL || b == NULL || block == NULL || user_id == NULL ||
        !cog_username_valid(user_id)) {
        st = cog_error_set(l->err, COG_ERR_UNAVAILABLE, NULL,
                           "the service sent an incomplete PASSWORD_VERIFIER challenge");
        goto out;
    }
    /* From here on Cognito knows the user by USER_ID_FOR_SRP, not the typed name. */
    free(l->user_id);
    l->user_id = strdup(user_id);
    if (l->user_id == NULL) {
        st = auth_nomem(l);
        goto out;
    }
    struct cog_srp_claim_input in = {
        .pool_name = cog_config_pool_name(l->cfg),
        .user_id = l->user_id,
        .password = l->password,
        .salt_hex = salt,
        .B_hex = b,
        .secret_block_b64 = block,
    };
    st = auth_add_claim(l, s, l->srp, &in);
out:
    return st;
}

cog_status auth_add_claim(struct login *l, struct step *s, struct cog_srp *srp,
                          struct cog_srp_claim_input *in)
{
    char sig[COG_SRP_SIGNATURE_MAX] = "";
    char stamp[COG_SRP_TIMESTAMP_MAX];
    cog_status st;

    cog_srp_timestamp(cog_idp_now(l->idp), stamp);
    in->timestamp = stamp;
    st = cog_srp_claim(srp, in, sig, NULL, l->err);
    if (st != COG_OK)
        goto out;
    if ((st = auth_add(l, s->responses, "PASSWORD_CLAIM_SECRET_BLOCK", in->secret_block_b64)) !=
            COG_OK ||
        (st = auth_add(l, s->responses, "TIMESTAMP", stamp)) != COG_OK ||
        (st = auth_add(l, s->responses, "PASSWORD_CLAIM_SIGNATURE", sig)) != COG_OK)
        goto out;
    if (l->device_key != NULL)
        st = auth_add(l, s->responses, "DEVICE_KEY", l->device_key);
out:
    in->timestamp = NULL;
    cog_wipe(sig, sizeof(sig));
    return st;
}

/* -- the API calls of a sign-in --------------------------------------------------- */

cog_status auth_initiate(struct login *l, struct json_object **resp)
{
    static const char *const flows[] = {
        [COG_FLOW_USER_SRP_AUTH] = "USER_SRP_AUTH",
        [COG_FLOW_USER_PASSWORD_AUTH] = "USER_PASSWORD_AUTH",
        [COG_FLOW_CUSTOM_AUTH] = "CUSTOM_AUTH",
        [COG_FLOW_USER_AUTH] = "USER_AUTH",
        [COG_FLOW_DEVICE] = "USER_SRP_AUTH", /* a password (chauthtok) still goes by SRP */
    };
    cog_status st;
    struct json_object *req = json_object_new_object();
    struct json_object *ap = json_object_new_object();

    *resp = NULL;
    if (req == NULL || ap == NULL || json_object_object_add(req, "AuthParameters", ap) != 0) {
        json_object_put(ap);
        st = auth_nomem(l);
        goto out;
    }
    bool user_auth = cog_config_user_auth(l->cfg);
    bool srp = l->cfg->auth_flow != COG_FLOW_USER_PASSWORD_AUTH && !user_auth;
    if (srp && (st = cog_idp_srp_new(l->idp, &l->srp, l->err)) != COG_OK)
        goto out;
    if ((st = auth_add(l, req, "AuthFlow", user_auth ? "USER_AUTH" : flows[l->cfg->auth_flow])) !=
            COG_OK ||
        (st = auth_add(l, req, "ClientId", l->cfg->client_id)) != COG_OK ||
        (st = auth_add(l, ap, "USERNAME", l->username)) != COG_OK ||
        (st = auth_add_context(l, req)) != COG_OK)
        goto out;
    if (user_auth)
        st = auth_userauth_params(l, ap);
    else if (srp)
        st = auth_add(l, ap, "SRP_A", cog_srp_A_hex(l->srp));
    else
        st = auth_add(l, ap, "PASSWORD", l->password);
    /* What the SDK sends for CUSTOM_AUTH that starts with SRP. */
    if (st == COG_OK && l->cfg->auth_flow == COG_FLOW_CUSTOM_AUTH)
        st = auth_add(l, ap, "CHALLENGE_NAME", "SRP_A");
    if (st == COG_OK && l->device_key != NULL)
        st = auth_add(l, ap, "DEVICE_KEY", l->device_key);
    if (st != COG_OK)
        goto out;
    st = cog_idp_add_secret_hash(l->cfg, ap, "SECRET_HASH", l->username, l->err);
    if (st != COG_OK)
        goto out;
    if ((st = auth_spend_request(l)) == COG_OK)
        st = cog_idp_call(l->idp, "InitiateAuth", req, resp, l->err);
out:
    cog_json_put_wiped(req);
    return st;
}

/* Sends one RespondToAuthChallenge with the step's answers. */
static cog_status send_answer(struct login *l, struct step *s, struct json_object **resp)
{
    cog_status st;
    const char *user = auth_user(l);
    struct json_object *req = json_object_new_object();

    *resp = NULL;
    if (req == NULL ||
        json_object_object_add(req, "ChallengeResponses", json_object_get(s->responses)) != 0) {
        if (req != NULL)
            json_object_put(s->responses);
        st = auth_nomem(l);
        goto out;
    }
    if ((st = auth_add(l, req, "ChallengeName", s->name)) != COG_OK ||
        (st = auth_add(l, req, "ClientId", l->cfg->client_id)) != COG_OK ||
        (st = auth_add(l, s->responses, "USERNAME", user)) != COG_OK ||
        (s->session != NULL && (st = auth_add(l, req, "Session", s->session)) != COG_OK) ||
        (st = auth_add_context(l, req)) != COG_OK)
        goto out;
    st = cog_idp_add_secret_hash(l->cfg, s->responses, "SECRET_HASH", user, l->err);
    if (st != COG_OK)
        goto out;
    if ((st = auth_spend_request(l)) == COG_OK)
        st = cog_idp_call(l->idp, "RespondToAuthChallenge", req, resp, l->err);
out:
    cog_json_put_wiped(req);
    return st;
}

/* Answers the challenge in prev, asking again while it may be retried. */
static cog_status answer_challenge(struct login *l, const struct challenge *c,
                                   struct json_object *prev, struct json_object **next)
{
    cog_status st = COG_OK;
    const char *session = cog_json_string(prev, "Session");
    struct step s = {
        .name = c->name,
        .params = cog_json_object(prev, "ChallengeParameters"),
        .prev = prev,
    };
    bool factor_was_done = l->factor_done;

    *next = NULL;
    if (session != NULL && (s.session = strdup(session)) == NULL) {
        st = auth_nomem(l);
        goto out;
    }
    for (;; s.attempt++) {
        s.responses = json_object_new_object();
        if (s.responses == NULL) {
            st = auth_nomem(l);
            goto out;
        }
        st = c->fn(l, &s);
        if (st == COG_OK)
            st = send_answer(l, &s, next);
        cog_json_put_wiped(s.responses);
        s.responses = NULL;
        if (st == COG_OK || c->retry_on == COG_OK || st != c->retry_on ||
            s.attempt + 1 >= auth_max_attempts(l))
            break;
    }
    /* Under USER_AUTH a code is the first factor unless one passed before. */
    if (st == COG_OK && c->mfa && (!cog_config_user_auth(l->cfg) || factor_was_done))
        l->passed_mfa = true;
    if (st == COG_OK && strcmp(c->name, "SELECT_CHALLENGE") != 0)
        l->factor_done = true;
    if (st == COG_OK && strcmp(c->name, "CUSTOM_CHALLENGE") == 0)
        l->passed_custom = true;
    if (st == COG_OK && strcmp(c->name, "NEW_PASSWORD_REQUIRED") == 0)
        l->password_changed = true;
    if (st == COG_OK && strcmp(c->name, "DEVICE_PASSWORD_VERIFIER") == 0)
        l->device_authenticated = true;
    if (st != COG_OK && c->device)
        l->device_failed = true;
out:
    cog_free_secret(s.session);
    cog_json_put_wiped(s.kept);
    return st;
}

cog_status auth_take_result(struct login *l, struct json_object *ar, struct cog_auth_result *out)
{
    cog_status st;
    const char *id = cog_json_string(ar, "IdToken");
    const char *access = cog_json_string(ar, "AccessToken");
    const char *refresh = cog_json_string(ar, "RefreshToken");
    struct json_object *claims = NULL;

    if (id == NULL || access == NULL) {
        st = cog_error_set(l->err, COG_ERR_UNAVAILABLE, NULL,
                           "the service sent an AuthenticationResult without tokens");
        goto out;
    }
    /* No success without a token this pool signed for this client. */
    st = cog_token_verify(l->idp, id, "id", &claims, l->err);
    if (st != COG_OK)
        goto out;
    const char *uname = cog_json_string(claims, "cognito:username");
    if (uname == NULL || !cog_username_valid(uname)) {
        st = cog_error_set(l->err, COG_ERR_TOKEN, NULL, "ID token names no valid user");
        goto out;
    }
    out->id_token = strdup(id);
    out->access_token = strdup(access);
    out->refresh_token = refresh ? strdup(refresh) : NULL;
    out->username = strdup(uname);
    if (out->id_token == NULL || out->access_token == NULL || out->username == NULL ||
        (refresh != NULL && out->refresh_token == NULL)) {
        st = auth_nomem(l);
        goto out;
    }
    struct json_object *v;
    if (json_object_object_get_ex(ar, "ExpiresIn", &v))
        out->expires_in = (long)json_object_get_int64(v);
    struct json_object *dev = cog_json_object(ar, "NewDeviceMetadata");
    if (dev != NULL) {
        const char *dk = cog_json_string(dev, "DeviceKey");
        const char *gk = cog_json_string(dev, "DeviceGroupKey");
        out->new_device_key = cog_strdup(dk);
        out->new_device_group_key = cog_strdup(gk);
    }
    out->passed_mfa = l->passed_mfa;
    out->passed_custom = l->passed_custom;
    out->device_authenticated = l->device_authenticated;
    out->password_changed = l->password_changed;
    out->claims = claims;
    claims = NULL;
out:
    if (claims != NULL)
        json_object_put(claims);
    return st;
}

/* One sign-in attempt: InitiateAuth, then challenges until tokens. */
static cog_status sign_in(struct login *l, struct cog_auth_result *out)
{
    cog_status st;
    struct json_object *resp = NULL;

    if (!l->early_taken) {
        cog_srp_free(l->srp);
        l->srp = NULL;
    }
    cog_srp_free(l->device_srp);
    l->device_srp = NULL;
    free(l->user_id);
    l->user_id = NULL;
    l->passed_mfa = l->passed_custom = l->device_authenticated = l->device_failed = false;
    l->factor_done = false;
    /* The first sign-in may have been started while the password was typed. */
    if (l->early_taken) {
        l->early_taken = false;
        st = l->early_st;
        resp = l->early_resp;
        l->early_resp = NULL;
    } else {
        st = auth_initiate(l, &resp);
        /* Passwordless: a name Cognito refuses at once gets a known user's
         * prompts, each wrong code taking what one exchange with it takes. */
        if (l->cfg->passwordless != COG_PASSWORDLESS_NO &&
            (st == COG_ERR_USER_UNKNOWN || st == COG_ERR_AUTH))
            st = auth_userauth_decoy(l, cog_http_last_exchange_ms(l->idp->http));
    }
    for (int round = 0; st == COG_OK; round++) {
        struct json_object *ar = cog_json_object(resp, "AuthenticationResult");
        const char *name = cog_json_string(resp, "ChallengeName");
        /* Anything but the password's own challenge means the password
         * was accepted: from here on the service is reachable, whatever
         * fails next. */
        if (name == NULL || strcmp(name, "PASSWORD_VERIFIER") != 0)
            l->past_password = true;
        /* A ChallengeName is never a success, whatever else the answer holds. */
        if (name == NULL && ar != NULL) {
            st = auth_take_result(l, ar, out);
            break;
        }
        if (name == NULL) {
            st = cog_error_set(l->err, COG_ERR_UNAVAILABLE, NULL,
                               "the service sent neither tokens nor a challenge");
            break;
        }
        const struct challenge *c = find_challenge(name);
        if (c == NULL) {
            st = cog_error_set(l->err, COG_ERR_UNAVAILABLE, NULL, "unsupported challenge %.40s",
                               cog_text_valid(name, 40) ? name : "?");
            break;
        }
        if (round >= MAX_ROUNDS) {
            st = cog_error_set(l->err, COG_ERR_UNAVAILABLE, NULL, "too many challenges");
            break;
        }
        struct json_object *next = NULL;
        st = answer_challenge(l, c, resp, &next);
        cog_json_put_wiped(resp);
        resp = next;
    }
    cog_json_put_wiped(resp);
    return st;
}

/* Cognito's answer to a DEVICE_KEY it does not know; the SDK tells it from a
 * missing app client the same way, by the word "device" in the message. */
static bool device_not_found(const struct cog_error *err)
{
    return strcmp(err->code, "ResourceNotFoundException") == 0 &&
           strcasestr(err->message, "device") != NULL;
}

/* A sign-in with the remembered device, and when Cognito refuses the
 * device (forgotten, or its proof fails) one more without it: a device
 * the pool no longer knows must not lock its user out. A refusal of the
 * password is not the device's fault and is never retried. */
static cog_status sign_in_with_device(struct login *l, struct cog_auth_result *out)
{
    cog_status st = sign_in(l, out);
    if (st == COG_OK || l->device_key == NULL ||
        !(device_not_found(l->err) || (l->device_failed && st != COG_ERR_UNAVAILABLE &&
                                       st != COG_ERR_ABORTED && st != COG_ERR_NOMEM)))
        return st;
    bool was_not_found = device_not_found(l->err);
    l->device_key = NULL;
    st = sign_in(l, out);
    /* The same answer without the device: it was not the device. */
    if (!(was_not_found && st != COG_OK && device_not_found(l->err)) &&
        l->opts->device_refused != NULL)
        *l->opts->device_refused = true;
    return st;
}

cog_status cog_auth_login(struct cog_idp *idp, const char *username,
                          const struct cog_auth_callbacks *cb, const struct cog_auth_opts *opts,
                          struct cog_auth_result *out, struct cog_error *err)
{
    static const struct cog_auth_opts no_opts;
    cog_status st;
    struct login l = {
        .idp = idp,
        .cfg = idp->cfg,
        .cb = cb,
        .opts = opts ? opts : &no_opts,
        .username = username,
        .err = err,
    };

    memset(out, 0, sizeof(*out));
    if (!cog_username_valid(username)) {
        st = cog_error_set(err, COG_ERR_INVALID_INPUT, NULL, "invalid username");
        goto out;
    }
    /* Cognito wants PASSWORD_VERIFIER answered within seconds: the password
     * is in hand before the first request, and nothing prompts until it is. */
    if (l.opts->password != NULL) {
        l.password = strdup(l.opts->password);
        if (l.password == NULL) {
            st = auth_nomem(&l);
            goto out;
        }
    } else if (!cog_config_user_auth(l.cfg) || auth_userauth_wants_password(&l)) {
        if (cb == NULL || cb->ask_password == NULL) {
            st = auth_no_callback(&l, "the password");
            goto out;
        }
        l.turns++;
        st = cb->ask_password(cb->ctx, COG_PROMPT_PASSWORD, &l.password);
        if (st != COG_OK || l.password == NULL) {
            st = cog_error_set(err, COG_ERR_ABORTED, NULL, "no password given");
            goto out;
        }
    }
    /* Cognito passwords are 1..256 characters without whitespace controls: anything
     * else cannot be right, and is refused without telling the network. */
    if (l.password != NULL && (l.password[0] == '\0' || !cog_text_valid(l.password, 1024))) {
        st = cog_error_set(err, COG_ERR_AUTH, NULL, "Incorrect username or password.");
        goto out;
    }

    if (l.opts->device_key != NULL && l.opts->device_group_key != NULL &&
        l.opts->device_password != NULL)
        l.device_key = l.opts->device_key;
    /* After Enter, the login's network step: an early InitiateAuth still
     * under way is waited for within it, so no login takes longer than
     * without the early start. */
    long long entered = cog_now_ms();
    if (l.opts->early != NULL)
        l.early_taken = auth_early_take(l.opts->early, &l, &l.early_st, &l.early_resp);
    cog_http_begin_step_at(idp->http, entered);
    for (int restarts = 0;; restarts++) {
        st = sign_in_with_device(&l, out);
        if (restarts >= MAX_RESTARTS)
            break;
        /* Both flows end with a fresh sign-in: Cognito grants nothing for them. */
        if ((st == COG_ERR_PASSWORD_RESET_REQUIRED && l.opts->allow_password_reset) ||
            (st == COG_ERR_NOT_CONFIRMED && l.opts->allow_confirm))
            l.past_password = true;
        if (st == COG_ERR_PASSWORD_RESET_REQUIRED && l.opts->allow_password_reset) {
            st = auth_reset_password(&l);
            l.password_changed = st == COG_OK;
        } else if (st == COG_ERR_NOT_CONFIRMED && l.opts->allow_confirm) {
            st = auth_confirm_account(&l);
        } else {
            break;
        }
        if (st != COG_OK)
            break;
    }
    /* The service answered the password: no failure after that is "the
     * service could not be reached" (error.h). */
    if (st != COG_OK && l.past_password && err != NULL)
        err->unreachable = false;
out:
    cog_json_put_wiped(l.early_resp);
    cog_srp_free(l.srp);
    cog_srp_free(l.device_srp);
    cog_free_secret(l.password);
    free(l.user_id);
    if (st != COG_OK)
        cog_auth_result_clear(out);
    return st;
}

void cog_auth_result_clear(struct cog_auth_result *res)
{
    if (res == NULL)
        return;
    cog_free_secret(res->id_token);
    cog_free_secret(res->access_token);
    cog_free_secret(res->refresh_token);
    free(res->username);
    free(res->new_device_key);
    free(res->new_device_group_key);
    if (res->claims != NULL)
        json_object_put(res->claims);
    memset(res, 0, sizeof(*res));
}
