/* New tokens from a refresh token (cog_auth_refresh): REFRESH_TOKEN_AUTH,
 * or, with refresh-token rotation, GetTokensFromRefreshToken. An app client that rotates refresh
 * tokens refuses REFRESH_TOKEN_AUTH (the flow must be off for rotation to be on), and
 * GetTokensFromRefreshToken answers instead, with a new refresh token that
 * replaces the old one (which stops working after the client's grace
 * period; using it again is RefreshTokenReuseException). */
#include "build-config.h"

#include <stdlib.h>
#include <string.h>

#include "libcognito/signin/auth_internal.h"
#include "libcognito/core/util.h"

bool auth_refresh_refused_for_rotation(const struct cog_error *err)
{
    /* Cognito's answer to a disabled flow: no config key says "rotating". */
    return strcmp(err->code, "InvalidParameterException") == 0 &&
           strcasestr(err->message, "not enabled") != NULL;
}

cog_status auth_get_tokens_from_refresh(struct login *l, const char *refresh_token,
                                        const char *device_key, struct json_object **resp)
{
    cog_status st;
    struct json_object *req = json_object_new_object();

    *resp = NULL;
    if (req == NULL) {
        st = auth_nomem(l);
        goto out;
    }
    if ((st = auth_add(l, req, "ClientId", l->cfg->client_id)) != COG_OK ||
        (st = auth_add(l, req, "RefreshToken", refresh_token)) != COG_OK ||
        (device_key != NULL && (st = auth_add(l, req, "DeviceKey", device_key)) != COG_OK) ||
        (l->cfg->client_secret != NULL &&
         (st = auth_add(l, req, "ClientSecret", l->cfg->client_secret)) != COG_OK))
        goto out;
    cog_http_begin_step(l->idp->http);
    st = cog_idp_call(l->idp, "GetTokensFromRefreshToken", req, resp, l->err);
out:
    cog_json_put_wiped(req);
    return st;
}

cog_status cog_auth_refresh(struct cog_idp *idp, const char *refresh_token, const char *username,
                            const char *device_key, struct cog_auth_result *out,
                            struct cog_error *err)
{
    static const struct cog_auth_opts no_opts;
    cog_status st;
    struct json_object *req = json_object_new_object();
    struct json_object *ap = json_object_new_object();
    struct json_object *resp = NULL;
    struct login l = {
        .idp = idp, .cfg = idp->cfg, .opts = &no_opts, .username = username, .err = err};

    memset(out, 0, sizeof(*out));
    if (req == NULL || ap == NULL || json_object_object_add(req, "AuthParameters", ap) != 0) {
        json_object_put(ap);
        st = auth_nomem(&l);
        goto out;
    }
    if (refresh_token == NULL || refresh_token[0] == '\0' ||
        (username != NULL && !cog_username_valid(username))) {
        st = cog_error_set(err, COG_ERR_INVALID_INPUT, NULL, "no usable refresh token or username");
        goto out;
    }
    if ((st = auth_add(&l, req, "AuthFlow", "REFRESH_TOKEN_AUTH")) != COG_OK ||
        (st = auth_add(&l, req, "ClientId", idp->cfg->client_id)) != COG_OK ||
        (st = auth_add(&l, ap, "REFRESH_TOKEN", refresh_token)) != COG_OK ||
        (device_key != NULL && (st = auth_add(&l, ap, "DEVICE_KEY", device_key)) != COG_OK))
        goto out;
    /* A client with a secret: Cognito hashes the user the tokens name. */
    if (idp->cfg->client_secret != NULL && username == NULL) {
        st = cog_error_set(err, COG_ERR_INVALID_INPUT, NULL,
                           "the app client has a secret: the refresh needs the username");
        goto out;
    }
    if (username != NULL &&
        (st = cog_idp_add_secret_hash(idp->cfg, ap, "SECRET_HASH", username, err)) != COG_OK)
        goto out;
    cog_http_begin_step(idp->http);
    st = cog_idp_call(idp, "InitiateAuth", req, &resp, err);
    /* A rotating client: the new call, and a new refresh token in out. */
    if (st == COG_ERR_CONFIG && auth_refresh_refused_for_rotation(err)) {
        memset(err, 0, sizeof(*err));
        st = auth_get_tokens_from_refresh(&l, refresh_token, device_key, &resp);
    }
    if (st != COG_OK)
        goto out;
    struct json_object *ar = cog_json_object(resp, "AuthenticationResult");
    if (ar == NULL || cog_json_string(resp, "ChallengeName") != NULL) {
        st = cog_error_set(err, COG_ERR_UNAVAILABLE, NULL,
                           "the service answered a refresh with a challenge");
        goto out;
    }
    st = auth_take_result(&l, ar, out);
    if (st == COG_OK && out->refresh_token == NULL &&
        (out->refresh_token = strdup(refresh_token)) == NULL)
        st = auth_nomem(&l);
out:
    if (st != COG_OK)
        cog_auth_result_clear(out);
    cog_json_put_wiped(req);
    cog_json_put_wiped(resp);
    return st;
}
