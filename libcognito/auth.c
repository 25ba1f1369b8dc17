#include "build-config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "libcognito/auth.h"
#include "libcognito/jwt.h"
#include "libcognito/srp.h"
#include "libcognito/util.h"

/* A hostile or broken server could answer challenges forever. */
#define MAX_ROUNDS 16

/* One login in flight. */
struct login {
    struct cog_idp *idp;
    const struct cog_config *cfg;
    const struct cog_auth_callbacks *cb;
    const struct cog_auth_opts *opts;
    const char *username; /* as typed */
    char *user_id;        /* USER_ID_FOR_SRP once known: every later USERNAME */
    char *password;
    struct cog_srp *srp;
    bool passed_mfa;
    struct cog_error *err;
};

/* A challenge handler fills responses (USERNAME and SECRET_HASH are added by
 * the loop) from the challenge parameters, prompting through the callbacks. */
typedef cog_status (*challenge_fn)(struct login *l, struct json_object *params,
                                   struct json_object *responses);

static cog_status answer_password_verifier(struct login *l, struct json_object *params,
                                           struct json_object *responses);

static const struct {
    const char *name;
    challenge_fn fn;
} challenges[] = {
    {"PASSWORD_VERIFIER", answer_password_verifier},
};

static challenge_fn find_challenge(const char *name)
{
    for (size_t i = 0; i < sizeof(challenges) / sizeof(challenges[0]); i++) {
        if (strcmp(challenges[i].name, name) == 0)
            return challenges[i].fn;
    }
    return NULL;
}

static cog_status nomem(struct login *l)
{
    return cog_error_set(l->err, COG_ERR_NOMEM, NULL, "out of memory");
}

static cog_status answer_password_verifier(struct login *l, struct json_object *params,
                                           struct json_object *responses)
{
    char sig[COG_SRP_SIGNATURE_MAX] = "";
    char stamp[COG_SRP_TIMESTAMP_MAX];
    cog_status st;

    const char *salt = cog_json_string(params, "SALT");
    const char *b = cog_json_string(params, "SRP_B");
    const char *block = cog_json_string(params, "SECRET_BLOCK");
    const char *user_id = cog_json_string(params, "USER_ID_FOR_SRP");
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
        st = nomem(l);
        goto out;
    }
    cog_srp_timestamp(time(NULL), stamp);
    struct cog_srp_claim_input in = {
        .pool_name = cog_config_pool_name(l->cfg),
        .user_id = l->user_id,
        .password = l->password,
        .salt_hex = salt,
        .B_hex = b,
        .secret_block_b64 = block,
        .timestamp = stamp,
    };
    st = cog_srp_claim(l->srp, &in, sig, NULL, l->err);
    if (st != COG_OK)
        goto out;
    if (!cog_json_add_string(responses, "PASSWORD_CLAIM_SECRET_BLOCK", block) ||
        !cog_json_add_string(responses, "TIMESTAMP", stamp) ||
        !cog_json_add_string(responses, "PASSWORD_CLAIM_SIGNATURE", sig) ||
        (l->opts->device_key != NULL &&
         !cog_json_add_string(responses, "DEVICE_KEY", l->opts->device_key))) {
        st = nomem(l);
        goto out;
    }
out:
    cog_wipe(sig, sizeof(sig));
    return st;
}

static cog_status initiate(struct login *l, struct json_object **resp)
{
    cog_status st;
    struct json_object *req = json_object_new_object();
    struct json_object *ap = json_object_new_object();

    *resp = NULL;
    if (req == NULL || ap == NULL) {
        json_object_put(ap);
        st = nomem(l);
        goto out;
    }
    bool srp = l->cfg->auth_flow == COG_FLOW_USER_SRP_AUTH;
    if (srp) {
        st = cog_idp_srp_new(l->idp, &l->srp, l->err);
        if (st != COG_OK) {
            json_object_put(ap);
            goto out;
        }
    }
    bool ok = cog_json_add_string(req, "AuthFlow", srp ? "USER_SRP_AUTH" : "USER_PASSWORD_AUTH") &&
              cog_json_add_string(req, "ClientId", l->cfg->client_id) &&
              json_object_object_add(req, "AuthParameters", ap) == 0;
    if (!ok) {
        json_object_put(ap);
        st = nomem(l);
        goto out;
    }
    ok =
        cog_json_add_string(ap, "USERNAME", l->username) &&
        (srp ? cog_json_add_string(ap, "SRP_A", cog_srp_A_hex(l->srp))
             : cog_json_add_string(ap, "PASSWORD", l->password)) &&
        (l->opts->device_key == NULL || cog_json_add_string(ap, "DEVICE_KEY", l->opts->device_key));
    if (!ok) {
        st = nomem(l);
        goto out;
    }
    st = cog_idp_add_secret_hash(l->cfg, ap, "SECRET_HASH", l->username, l->err);
    if (st != COG_OK)
        goto out;
    st = cog_idp_call(l->idp, "InitiateAuth", req, resp, l->err);
out:
    cog_json_put_wiped(req);
    return st;
}

/* Sends one RespondToAuthChallenge for the challenge in prev. */
static cog_status respond(struct login *l, struct json_object *prev, const char *name,
                          challenge_fn fn, struct json_object **resp)
{
    cog_status st;
    struct json_object *req = json_object_new_object();
    struct json_object *responses = json_object_new_object();
    struct json_object *params = cog_json_object(prev, "ChallengeParameters");
    const char *session = cog_json_string(prev, "Session");

    *resp = NULL;
    if (req == NULL || responses == NULL ||
        json_object_object_add(req, "ChallengeResponses", responses) != 0) {
        json_object_put(responses);
        st = nomem(l);
        goto out;
    }
    st = fn(l, params, responses);
    if (st != COG_OK)
        goto out;
    const char *user = l->user_id ? l->user_id : l->username;
    if (!cog_json_add_string(req, "ChallengeName", name) ||
        !cog_json_add_string(req, "ClientId", l->cfg->client_id) ||
        !cog_json_add_string(responses, "USERNAME", user) ||
        (session != NULL && !cog_json_add_string(req, "Session", session))) {
        st = nomem(l);
        goto out;
    }
    st = cog_idp_add_secret_hash(l->cfg, responses, "SECRET_HASH", user, l->err);
    if (st != COG_OK)
        goto out;
    /* The answer is ready: the network part of this step starts now. */
    cog_http_begin_step(l->idp->http);
    st = cog_idp_call(l->idp, "RespondToAuthChallenge", req, resp, l->err);
out:
    cog_json_put_wiped(req);
    return st;
}

static cog_status take_result(struct login *l, struct json_object *ar, struct cog_auth_result *out)
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
        st = nomem(l);
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
    out->claims = claims;
    claims = NULL;
out:
    if (claims != NULL)
        json_object_put(claims);
    return st;
}

cog_status cog_auth_login(struct cog_idp *idp, const char *username,
                          const struct cog_auth_callbacks *cb, const struct cog_auth_opts *opts,
                          struct cog_auth_result *out, struct cog_error *err)
{
    static const struct cog_auth_opts no_opts;
    cog_status st;
    struct json_object *resp = NULL;
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
            st = nomem(&l);
            goto out;
        }
    } else {
        if (cb == NULL || cb->ask_password == NULL) {
            st = cog_error_set(err, COG_ERR_INTERNAL, NULL, "no way to ask for the password");
            goto out;
        }
        st = cb->ask_password(cb->ctx, "Password: ", &l.password);
        if (st != COG_OK || l.password == NULL) {
            st = cog_error_set(err, COG_ERR_ABORTED, NULL, "no password given");
            goto out;
        }
    }
    /* Cognito passwords are 1..256 characters without whitespace controls: anything
     * else cannot be right, and is refused without telling the network. */
    if (l.password[0] == '\0' || !cog_text_valid(l.password, 1024)) {
        st = cog_error_set(err, COG_ERR_AUTH, NULL, "Incorrect username or password.");
        goto out;
    }

    cog_http_begin_step(idp->http);
    st = initiate(&l, &resp);
    for (int round = 0; st == COG_OK; round++) {
        struct json_object *ar = cog_json_object(resp, "AuthenticationResult");
        const char *name = cog_json_string(resp, "ChallengeName");
        /* A ChallengeName is never a success, whatever else the answer holds. */
        if (name == NULL && ar != NULL) {
            st = take_result(&l, ar, out);
            break;
        }
        if (name == NULL) {
            st = cog_error_set(err, COG_ERR_UNAVAILABLE, NULL,
                               "the service sent neither tokens nor a challenge");
            break;
        }
        challenge_fn fn = find_challenge(name);
        if (fn == NULL) {
            st = cog_error_set(err, COG_ERR_UNAVAILABLE, NULL, "unsupported challenge");
            break;
        }
        if (round >= MAX_ROUNDS) {
            st = cog_error_set(err, COG_ERR_UNAVAILABLE, NULL, "too many challenges");
            break;
        }
        struct json_object *next = NULL;
        st = respond(&l, resp, name, fn, &next);
        cog_json_put_wiped(resp);
        resp = next;
    }
out:
    cog_json_put_wiped(resp);
    cog_srp_free(l.srp);
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
