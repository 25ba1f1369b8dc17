#include "build-config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include <security/pam_ext.h>

#include "libcognito/signin/device_flow.h"
#include "libcognito/core/util.h"
#include "pam_cognito/device_login.h"
#include "pam_cognito/who.h"

bool pc_device_login_wanted(const struct cog_config *cfg, const char *password)
{
    if (cfg->auth_flow == COG_FLOW_DEVICE)
        return true;
    return cfg->device_login == COG_DEVICE_LOGIN_FALLBACK && password != NULL &&
           password[0] == '\0';
}

cog_status pc_device_login(pam_handle_t *pamh, const struct pc_args *args,
                           const struct cog_config *cfg, struct pc_conv *conv, const char *user,
                           struct cog_auth_result *res, struct cog_error *err)
{
    struct cog_idp idp = {0};
    struct cog_auth_callbacks cb;
    cog_status st;

    pc_conv_callbacks(conv, &cb);
    if ((st = cog_idp_open(&idp, cfg, err)) != COG_OK)
        goto out;
    if ((st = cog_device_login(&idp, &cb, res, err)) != COG_OK)
        goto out;
    if ((st = pc_who_token_user(pamh, cfg, user, res->claims, err)) != COG_OK)
        goto out;
    pc_debug(pamh, args, "device login of %s as %s", user, res->username);
out:
    if (st != COG_OK)
        cog_auth_result_clear(res);
    cog_idp_close(&idp);
    return st;
}
