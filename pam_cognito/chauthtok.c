/* pam_sm_chauthtok: a Cognito user's password change (ChangePassword with
 * the access token of a login with the old password and its MFA). */
#include "build-config.h"

#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include <security/pam_ext.h>
#include <security/pam_modules.h>

#include "libcognito/signin/account.h"
#include "libcognito/signin/auth.h"
#include "libcognito/wire/idp.h"
#include "libcognito/core/util.h"
#include "pam_cognito/args.h"
#include "pam_cognito/conv.h"
#include "pam_cognito/login.h"
#include "pam_cognito/offline.h"

#define DATA_CHAUTHTOK "pam_cognito_chauthtok"
#define PROMPT_CURRENT "Current password: "
#define NEW_PASSWORD_TRIES 3

static void cleanup_secret(pam_handle_t *pamh, void *data, int error_status)
{
    (void)pamh;
    (void)error_status;
    cog_free_secret(data);
}

/* The access token of a login with the old password (and its MFA). */
static int old_password_login(pam_handle_t *pamh, const struct pc_args *args,
                              const struct cog_config *cfg, struct pc_conv *conv, const char *user,
                              char **access_token)
{
    struct cog_auth_result res = {0};
    struct cog_error err = {0};
    const char *old = NULL;

    *access_token = NULL;
    int rc = pc_get_password(pamh, args, conv, PAM_OLDAUTHTOK, PROMPT_CURRENT, &old);
    if (rc != PAM_SUCCESS)
        return rc == PAM_AUTH_ERR ? PAM_AUTHTOK_RECOVERY_ERR : rc;
    char *device_key = NULL;
    struct pending_login pending;
    pc_login_prepare(pamh, args, cfg, user, false, &pending);
    cog_status st = pc_cognito_login(pamh, args, cfg, conv, user, old, false, &pending, &res,
                                     &device_key, &err);
    pc_login_release(&pending);
    free(device_key);
    rc = pc_auth_result(st, conv);
    if (rc == PAM_SUCCESS) {
        *access_token = strdup(res.access_token);
        if (*access_token == NULL)
            rc = PAM_BUF_ERR;
    } else {
        pc_log_failure(pamh, "password change login", user, st, &err);
        const char *why = cog_auth_failure_text(st);
        if (why != NULL)
            pc_conv_say(conv, PAM_ERROR_MSG, why);
    }
    cog_auth_result_clear(&res);
    return rc;
}

static int change_password(pam_handle_t *pamh, const struct pc_args *args,
                           const struct cog_config *cfg, struct pc_conv *conv, const char *user,
                           const char *access_token)
{
    struct cog_idp idp = {0};
    struct cog_error err = {0};
    const void *old = NULL;
    cog_status st;
    int rc = PAM_AUTHTOK_ERR;

    if (pam_get_item(pamh, PAM_OLDAUTHTOK, &old) != PAM_SUCCESS || old == NULL)
        return PAM_AUTHTOK_RECOVERY_ERR;
    st = cog_idp_open(&idp, cfg, &err);
    if (st != COG_OK)
        goto failed;
    /* Nothing is changed until Cognito says so. */
    st = COG_ERR_INVALID_PASSWORD;
    for (int tries = 0; tries < NEW_PASSWORD_TRIES; tries++) {
        const char *new_password = NULL;
        /* Linux-PAM asks twice ("New password: ", "Retype new password: ")
         * and honours use_authtok, so stacks with pam_pwquality work. */
        rc = pam_get_authtok(pamh, PAM_AUTHTOK, &new_password, NULL);
        if (rc == PAM_TRY_AGAIN && !args->use_authtok)
            continue;
        if (rc != PAM_SUCCESS)
            goto out;
        cog_http_begin_step(idp.http);
        st = cog_change_password(&idp, access_token, old, new_password, &err);
        if (st != COG_ERR_INVALID_PASSWORD || args->use_authtok)
            break;
        /* Cognito's policy message, and another try. */
        if (tries + 1 < NEW_PASSWORD_TRIES)
            pc_conv_say(conv, PAM_ERROR_MSG, err.message);
        pam_set_item(pamh, PAM_AUTHTOK, NULL);
    }
    if (st == COG_OK) {
        rc = PAM_SUCCESS;
        pc_debug(pamh, args, "Cognito password of %s changed", user);
        /* The old password must not open the host offline. */
        pc_offline_forget(pamh, args, cfg, user);
        goto out;
    }
failed:
    pc_log_failure(pamh, "password change", user, st, &err);
    rc = st == COG_ERR_UNAVAILABLE ? PAM_AUTHINFO_UNAVAIL : PAM_AUTHTOK_ERR;
    if (st == COG_ERR_INVALID_PASSWORD && err.message[0] != '\0')
        pc_conv_say(conv, PAM_ERROR_MSG, err.message);
out:
    cog_idp_close(&idp);
    return rc;
}

PAM_EXTERN int pam_sm_chauthtok(pam_handle_t *pamh, int flags, int argc, const char **argv)
{
    struct pc_args args;
    struct cog_config cfg;
    struct pc_conv conv = {.pamh = pamh};
    const char *user = NULL;
    const void *data = NULL;
    char *token = NULL;

    int rc = pc_prepare(pamh, flags, argc, argv, &args, &cfg, &user);
    if (rc == PAM_USER_UNKNOWN)
        rc = PAM_IGNORE; /* a local account's password is not ours */
    if (rc != PAM_SUCCESS)
        goto out;
    /* Nothing of ours expires in the PAM sense: NEW_PASSWORD_REQUIRED is
     * handled during authentication. */
    if (flags & PAM_CHANGE_EXPIRED_AUTHTOK) {
        rc = PAM_IGNORE;
        goto out;
    }
    conv.echo_codes = args.echo_codes;
    conv.silent = args.silent;
    if (flags & PAM_PRELIM_CHECK) {
        rc = old_password_login(pamh, &args, &cfg, &conv, user, &token);
        if (rc == PAM_SUCCESS &&
            (rc = pam_set_data(pamh, DATA_CHAUTHTOK, token, cleanup_secret)) == PAM_SUCCESS)
            token = NULL;
        goto out;
    }
    if (!(flags & PAM_UPDATE_AUTHTOK)) {
        rc = PAM_SERVICE_ERR;
        goto out;
    }
    /* Without a preliminary check of ours (an application that skips it),
     * the old password is proven now. */
    if (pam_get_data(pamh, DATA_CHAUTHTOK, &data) != PAM_SUCCESS || data == NULL) {
        rc = old_password_login(pamh, &args, &cfg, &conv, user, &token);
        if (rc != PAM_SUCCESS)
            goto out;
        data = token;
    }
    rc = change_password(pamh, &args, &cfg, &conv, user, data);
    pam_set_data(pamh, DATA_CHAUTHTOK, NULL, NULL);
out:
    cog_free_secret(token);
    cog_config_free(&cfg);
    return rc;
}
