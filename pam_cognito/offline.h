/* Bounded offline login (offline_login = password): the one path where
 * "Cognito is unavailable" may become a success.
 *
 * After each online success the module keeps a slow salted verifier of the
 * password (yescrypt, libxcrypt's default cost) with the time and every
 * factor the online login needed (password, MFA, a custom challenge, the
 * remembered device), in a root-only record per user: private_dir/offline/.
 * An offline login can prove only the password, so a record naming any
 * other factor opens nothing offline unless offline_login_mfa_users = yes
 * says the administrator accepts the password alone for such users.
 *
 * Only an unreachable service (cog_error.unreachable: DNS, connect, TLS,
 * timeout, 5xx, and never once a challenge after the password was pending)
 * consults it; a throttled pool or a failing Lambda trigger does not.
 *
 * A stranger's wrong password changes nothing: the record goes only when
 * Cognito refuses the very password it holds (the password changed, the
 * user was disabled), when Cognito says the account cannot log in (not
 * confirmed, a reset required), or after a password change. */
#ifndef PAM_COGNITO_OFFLINE_H
#define PAM_COGNITO_OFFLINE_H

#include <stdbool.h>

#include <security/pam_modules.h>

#include "libcognito/signin/auth.h"
#include "libcognito/core/config.h"
#include "pam_cognito/args.h"
#include "pam_cognito/conv.h"

#define PC_OFFLINE_TEXT "Cognito is unreachable: logged in with your cached password"

/* The factors of a login, as the verifier records them. */
enum pc_factor {
    PC_FACTOR_PASSWORD = 1 << 0,
    PC_FACTOR_MFA = 1 << 1,    /* SMS, TOTP, e-mail code, MFA setup */
    PC_FACTOR_CUSTOM = 1 << 2, /* a custom challenge (auth_flow = CUSTOM_AUTH) */
    PC_FACTOR_DEVICE = 1 << 3, /* the remembered device stood in for MFA */
};
/* Every factor res's login needed. */
unsigned pc_offline_factors(const struct cog_auth_result *res);

/* After an online success with password (offline_login on). */
void pc_offline_remember(pam_handle_t *pamh, const struct pc_args *args,
                         const struct cog_config *cfg, const char *user, const char *password,
                         unsigned factors);
/* After a password change, or Cognito saying the account cannot log in:
 * no verifier stays. */
void pc_offline_forget(pam_handle_t *pamh, const struct pc_args *args, const struct cog_config *cfg,
                       const char *user);
/* After Cognito refused password: the verifier goes only when it holds this
 * very password (then it is stale); anyone else's guess leaves it. */
void pc_offline_forget_if_stale(pam_handle_t *pamh, const struct pc_args *args,
                                const struct cog_config *cfg, const char *user,
                                const char *password);
/* Cognito is unreachable: PAM_SUCCESS (logged, and said once), PAM_AUTH_ERR
 * for a wrong password, PAM_AUTHINFO_UNAVAIL when offline login does not
 * apply (off, no verifier, too old, an MFA user). */
int pc_offline_login(pam_handle_t *pamh, const struct pc_args *args, const struct cog_config *cfg,
                     struct pc_conv *conv, const char *user, const char *password);

#endif
