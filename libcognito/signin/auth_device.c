/* A remembered device proves itself after the password: DEVICE_SRP_AUTH
 * (the device's SRP_A) and DEVICE_PASSWORD_VERIFIER (its claim), the same
 * SRP as the user's with the DeviceGroupKey as pool name, the DeviceKey as
 * user and the device's random password. Cognito then trusts the device
 * and may skip MFA. */
#include "build-config.h"

#include <string.h>

#include "libcognito/signin/auth_internal.h"
#include "libcognito/core/util.h"

static cog_status no_device(struct login *l, const char *why)
{
    return cog_error_set(l->err, COG_ERR_UNAVAILABLE, NULL, "%s", why);
}

cog_status auth_answer_device_srp(struct login *l, struct step *s)
{
    cog_status st;

    (void)s;
    if (l->device_key == NULL)
        return no_device(l, "the service asked for a device this host does not have");
    cog_srp_free(l->device_srp);
    l->device_srp = NULL;
    st = cog_idp_device_srp_new(l->idp, &l->device_srp, l->err);
    if (st != COG_OK)
        return st;
    if ((st = auth_add(l, s->responses, "DEVICE_KEY", l->device_key)) != COG_OK)
        return st;
    return auth_add(l, s->responses, "SRP_A", cog_srp_A_hex(l->device_srp));
}

cog_status auth_answer_device_verifier(struct login *l, struct step *s)
{
    const char *salt = cog_json_string(s->params, "SALT");
    const char *b = cog_json_string(s->params, "SRP_B");
    const char *block = cog_json_string(s->params, "SECRET_BLOCK");
    const char *named = cog_json_string(s->params, "DEVICE_KEY");

    if (l->device_key == NULL || l->device_srp == NULL)
        return no_device(l, "the service asked for a device proof out of turn");
    if (salt == NULL || b == NULL || block == NULL ||
        (named != NULL && strcmp(named, l->device_key) != 0))
        return no_device(l, "the service sent an incomplete DEVICE_PASSWORD_VERIFIER challenge");
    struct cog_srp_claim_input in = {
        .pool_name = l->opts->device_group_key,
        .user_id = l->device_key,
        .password = l->opts->device_password,
        .salt_hex = salt,
        .B_hex = b,
        .secret_block_b64 = block,
    };
    return auth_add_claim(l, s, l->device_srp, &in);
}
