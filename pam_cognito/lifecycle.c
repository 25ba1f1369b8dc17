#include "build-config.h"

#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>

#include <json-c/json.h>
#include <security/pam_ext.h>

#include "libcognito/signin/account.h"
#include "libcognito/signin/auth.h"
#include "libcognito/signin/device_flow.h"
#include "libcognito/wire/identity.h"
#include "libcognito/wire/idp.h"
#include "libcognito/core/util.h"
#include "pam_cognito/aws.h"
#include "pam_cognito/lifecycle.h"

/* An ID or access token this close to its end is treated as ended. */
#define TOKEN_MARGIN 60

static const char *on_close_name(enum cog_on_close v)
{
    return v == COG_CLOSE_REVOKE    ? "RevokeToken"
           : v == COG_CLOSE_SIGNOUT ? "GlobalSignOut"
                                    : "none";
}

/* New ID and access tokens from the session's refresh token, kept. */
static cog_status refresh(struct cog_idp *idp, const struct cog_config *cfg, struct pc_session *s,
                          struct cog_error *err)
{
    struct cog_auth_result res;
    cog_status st;

    if (s->refresh_token == NULL)
        return cog_error_set(err, COG_ERR_AUTH, NULL, "the tokens ran out and none refreshes them");
    st = s->device_flow
             ? cog_device_refresh(idp, s->refresh_token, &res, err)
             : cog_auth_refresh(idp, s->refresh_token, s->username, s->device_key, &res, err);
    if (st != COG_OK)
        return st;
    struct json_object *exp = json_object_object_get(res.claims, "exp");
    cog_free_secret(s->id_token);
    cog_free_secret(s->access_token);
    s->id_token = res.id_token;
    s->access_token = res.access_token;
    res.id_token = res.access_token = NULL;
    /* A rotating client sent a new refresh token: the record holds it
     * (saved atomically below) before the old one is let go. */
    if (res.refresh_token != NULL && s->refresh_token != NULL &&
        strcmp(res.refresh_token, s->refresh_token) != 0) {
        cog_free_secret(s->refresh_token);
        s->refresh_token = res.refresh_token;
        res.refresh_token = NULL;
    }
    if (json_object_is_type(exp, json_type_int))
        s->token_expires = json_object_get_int64(exp);
    cog_auth_result_clear(&res);
    return pc_session_save(cfg, s, err);
}

static bool ran_out(const struct pc_session *s)
{
    return s->token_expires <= (long long)time(NULL) + TOKEN_MARGIN;
}

void pc_lifecycle_open(pam_handle_t *pamh, const struct pc_args *args, const struct cog_config *cfg,
                       struct pc_conv *conv, const char *user, struct pc_session *s)
{
    struct cog_idp idp = {0};
    struct cog_identity_credentials c = {0};
    struct cog_error err = {0};
    cog_status st;

    if (cfg->identity_pool_id == NULL || cfg->aws_credentials == COG_AWS_OFF)
        return;
    st = cog_idp_open(&idp, cfg, &err);
    if (st == COG_OK && ran_out(s))
        st = refresh(&idp, cfg, s, &err);
    if (st == COG_OK)
        st = cog_identity_credentials(&idp, s->id_token, &c, &err);
    if (st == COG_OK)
        st = pc_aws_export(pamh, args, cfg, user, &c, &err);
    if (st == COG_OK && cfg->aws_credentials == COG_AWS_FILE) {
        /* close_session removes the file only while it is this session's. */
        free(s->aws_access_key_id);
        s->aws_access_key_id = strdup(c.aws.access_key_id);
        struct cog_error ignored;
        if (s->aws_access_key_id == NULL || pc_session_save(cfg, s, &ignored) != COG_OK)
            pam_syslog(pamh, LOG_ERR, "cannot note the credentials file of %s", user);
    }
    if (st != COG_OK) {
        pam_syslog(pamh, st == COG_ERR_UNAVAILABLE ? LOG_ERR : LOG_NOTICE,
                   "no AWS credentials for the session of %s: %s%s%s", user, cog_status_name(st),
                   err.message[0] ? ": " : "", err.message);
        pc_conv_say(conv, PAM_TEXT_INFO, PC_TEXT_NO_AWS);
    }
    cog_identity_credentials_clear(&c);
    cog_idp_close(&idp);
}

/* Each ending costs a request within timeout: a login pays for few. */
#define SWEEP_BUDGET 2

struct sweep {
    pam_handle_t *pamh;
    const struct pc_args *args;
    const struct cog_config *cfg;
    int budget;
};

static bool end_expired(void *ctx, struct pc_session *s)
{
    struct sweep *w = ctx;
    if (w->cfg->on_close != COG_CLOSE_NONE && w->budget-- <= 0)
        return false;
    pam_syslog(w->pamh, LOG_NOTICE, "the tokens of a login of %s expired unused: %s", s->user,
               w->cfg->on_close == COG_CLOSE_NONE ? "wiped" : "ending them");
    pc_lifecycle_close(w->pamh, w->args, w->cfg, s->user, s);
    return true;
}

void pc_lifecycle_sweep(pam_handle_t *pamh, const struct pc_args *args,
                        const struct cog_config *cfg)
{
    struct sweep w = {.pamh = pamh, .args = args, .cfg = cfg, .budget = SWEEP_BUDGET};
    pc_session_sweep(cfg, end_expired, &w);
}

void pc_lifecycle_close(pam_handle_t *pamh, const struct pc_args *args,
                        const struct cog_config *cfg, const char *user, struct pc_session *s)
{
    struct cog_idp idp = {0};
    struct cog_error err = {0};
    cog_status st = COG_OK;

    pc_aws_forget(pamh, cfg, user, s->aws_access_key_id);
    if (cfg->on_close == COG_CLOSE_NONE)
        return;
    st = cog_idp_open(&idp, cfg, &err);
    if (st == COG_OK && cfg->on_close == COG_CLOSE_REVOKE) {
        if (s->refresh_token == NULL)
            st = cog_error_set(&err, COG_ERR_INVALID_INPUT, NULL, "the login got no refresh token");
        else if (s->device_flow) /* another app client: the hosted UI's RFC 7009 endpoint */
            st = cog_device_revoke(&idp, s->refresh_token, &err);
        else
            st = cog_revoke_token(&idp, s->refresh_token, &err);
    } else if (st == COG_OK) {
        /* GlobalSignOut takes an access token: a long session's has run out. */
        if (ran_out(s))
            st = refresh(&idp, cfg, s, &err);
        cog_http_begin_step(idp.http);
        if (st == COG_OK)
            st = cog_global_sign_out(&idp, s->access_token, &err);
    }
    if (st != COG_OK)
        pam_syslog(pamh, st == COG_ERR_UNAVAILABLE ? LOG_ERR : LOG_NOTICE,
                   "%s at the end of the session of %s failed: %s%s%s",
                   on_close_name(cfg->on_close), user, cog_status_name(st),
                   err.message[0] ? ": " : "", err.message);
    else
        pc_debug(pamh, args, "%s at the end of the session of %s", on_close_name(cfg->on_close),
                 user);
    cog_idp_close(&idp);
}
