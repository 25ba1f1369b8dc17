/* USER_AUTH at the PAM layer: whether the password is asked before the
 * login (the old way), left to the menu, or never asked (passwordless). */
#ifndef PAM_COGNITO_USERAUTH_H
#define PAM_COGNITO_USERAUTH_H

#include <security/pam_modules.h>

#include "libcognito/core/config.h"
#include "pam_cognito/args.h"

/* PAM_IGNORE: ask or take the password as ever (not USER_AUTH, or its
 * preferred factor is a password). PAM_SUCCESS: *password is an earlier
 * module's password (try_first_pass / use_first_pass), used when the
 * password factor is chosen, or NULL: the login asks only what the chosen
 * factor needs. Passwordless logins never take or ask one. */
int pc_userauth_password(pam_handle_t *pamh, const struct cog_config *cfg,
                         const struct pc_args *args, const char **password);

#endif
