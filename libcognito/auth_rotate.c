/* Refresh-token rotation: an app client that rotates refresh tokens refuses
 * REFRESH_TOKEN_AUTH (the flow must be off for rotation to be on), and
 * GetTokensFromRefreshToken answers instead, with a new refresh token that
 * replaces the old one (which stops working after the client's grace
 * period; using it again is RefreshTokenReuseException). */
#include "build-config.h"

#include <string.h>

#include "libcognito/auth_internal.h"
#include "libcognito/util.h"

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
