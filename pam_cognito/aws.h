/* A session's AWS credentials, where the user finds them.
 *
 * aws_credentials = env: AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY,
 * AWS_SESSION_TOKEN, AWS_REGION, AWS_DEFAULT_REGION and
 * AWS_CREDENTIAL_EXPIRATION in the PAM environment (the shell's).
 *
 * aws_credentials = file: aws_credentials_dir/UID.json, the credential_process
 * JSON, owned by the user and readable by the user alone (written by root in
 * a directory only root can write), and in the user's ~/.aws/config a
 * profile (aws_profile) whose credential_process prints it. The profile is
 * written as the user (pam_modutil_drop_priv), replacing only its own
 * section; a symlinked ~/.aws or ~/.aws/config is left alone. */
#ifndef PAM_COGNITO_AWS_H
#define PAM_COGNITO_AWS_H

#include <security/pam_modules.h>

#include "libcognito/core/config.h"
#include "libcognito/core/error.h"
#include "libcognito/wire/identity.h"
#include "pam_cognito/args.h"

/* Puts c where cfg says. */
cog_status pc_aws_export(pam_handle_t *pamh, const struct pc_args *args,
                         const struct cog_config *cfg, const char *user,
                         const struct cog_identity_credentials *c, struct cog_error *err);
/* aws_credentials = file: removes the user's file if it still holds key_id
 * (a later session may have replaced it). */
void pc_aws_forget(pam_handle_t *pamh, const struct cog_config *cfg, const char *user,
                   const char *key_id);

#endif
