/* Bounded offline login (offline_login = password): the one path where
 * "Cognito is unavailable" may become a success.
 *
 * After each online success the module keeps a slow salted verifier of the
 * password (yescrypt, libxcrypt's default cost) with the time and whether the
 * login took a second factor, in a root-only record per user:
 * private_dir/offline/. A refused online login removes it. Only when the
 * online login ends COG_ERR_UNAVAILABLE is it consulted: the password is
 * accepted when it matches (constant time), the record is at most
 * offline_max_age old, and the user passed no MFA online (or
 * offline_login_mfa_users = yes). */
#ifndef PAM_COGNITO_OFFLINE_H
#define PAM_COGNITO_OFFLINE_H

#include <stdbool.h>

#include <security/pam_modules.h>

#include "libcognito/config.h"
#include "pam_cognito/args.h"
#include "pam_cognito/conv.h"

#define PC_OFFLINE_TEXT "Cognito is unreachable: logged in with your cached password"

/* After an online success with password (offline_login on). mfa: the login
 * took a second factor, or a remembered device stood in for one. */
void pc_offline_remember(pam_handle_t *pamh, const struct pc_args *args,
                         const struct cog_config *cfg, const char *user, const char *password,
                         bool mfa);
/* After a refused online login, or a password change: no verifier stays. */
void pc_offline_forget(pam_handle_t *pamh, const struct pc_args *args, const struct cog_config *cfg,
                       const char *user);
/* Cognito is unreachable: PAM_SUCCESS (logged, and said once), PAM_AUTH_ERR
 * for a wrong password, PAM_AUTHINFO_UNAVAIL when offline login does not
 * apply (off, no verifier, too old, an MFA user). */
int pc_offline_login(pam_handle_t *pamh, const struct pc_args *args, const struct cog_config *cfg,
                     struct pc_conv *conv, const char *user, const char *password);

#endif
