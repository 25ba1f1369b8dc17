#include "build-config.h"

#include <stddef.h>

#include "pam_cognito/userauth.h"

int pc_userauth_password(pam_handle_t *pamh, const struct cog_config *cfg,
                         const struct pc_args *args, const char **password)
{
    const void *prev = NULL;

    *password = NULL;
    if (!cog_config_user_auth(cfg))
        return PAM_IGNORE;
    /* A kiosk's code login: an earlier module's password is not ours to use
     * (the stack still works; the code is asked). */
    if (cfg->passwordless != COG_PASSWORDLESS_NO)
        return PAM_SUCCESS;
    if (cfg->preferred_challenge == COG_PREF_PASSWORD_SRP ||
        cfg->preferred_challenge == COG_PREF_PASSWORD)
        return PAM_IGNORE;
    if ((args->use_first_pass || args->try_first_pass) &&
        pam_get_item(pamh, PAM_AUTHTOK, &prev) == PAM_SUCCESS && prev != NULL)
        *password = prev;
    return PAM_SUCCESS;
}
