/* What a session does with its login's tokens: AWS credentials when it
 * opens (identity_pool_id), RevokeToken or GlobalSignOut when it closes
 * (on_close). Nothing here can undo a login: failures are logged, and the
 * user is told once. */
#ifndef PAM_COGNITO_LIFECYCLE_H
#define PAM_COGNITO_LIFECYCLE_H

#include <security/pam_modules.h>

#include "libcognito/core/config.h"
#include "pam_cognito/args.h"
#include "pam_cognito/conv.h"
#include "pam_cognito/session.h"

/* Said once when the session gets no AWS credentials. */
#define PC_TEXT_NO_AWS "AWS credentials are not available in this session."

/* GetId, GetCredentialsForIdentity, then pc_aws_export; the ID token is
 * refreshed first when it has run out. */
void pc_lifecycle_open(pam_handle_t *pamh, const struct pc_args *args, const struct cog_config *cfg,
                       struct pc_conv *conv, const char *user, struct pc_session *s);
/* on_close, then the user's credentials file (if it is still this session's). */
void pc_lifecycle_close(pam_handle_t *pamh, const struct pc_args *args,
                        const struct cog_config *cfg, const char *user, struct pc_session *s);

/* Ends the tokens of session records past their time (a login whose
 * session never opened: sudo without a session line of ours, a refused
 * account phase) per on_close, a few per call, and wipes them. */
void pc_lifecycle_sweep(pam_handle_t *pamh, const struct pc_args *args,
                        const struct cog_config *cfg);

#endif
