/* What the entry points share (pam_cognito.c, chauthtok.c): the setup every
 * PAM call starts with, the password, the Cognito login and how its result
 * becomes a PAM code. */
#ifndef PAM_COGNITO_LOGIN_H
#define PAM_COGNITO_LOGIN_H

#include <stdbool.h>

#include <security/pam_modules.h>

#include "libcognito/signin/auth.h"
#include "libcognito/core/config.h"
#include "libcognito/core/error.h"
#include "libcognito/wire/idp.h"
#include "pam_cognito/args.h"
#include "pam_cognito/conv.h"
#include "pam_cognito/device.h"

/* DESIGN.md's table: a wrong password never becomes "unavailable", and only
 * COG_OK is ever a success. */
int pc_auth_result(cog_status st, const struct pc_conv *conv);
/* Argv, config and user: what every entry point needs first. */
int pc_prepare(pam_handle_t *pamh, int flags, int argc, const char **argv, struct pc_args *args,
               struct cog_config *cfg, const char **user);
/* A password from an earlier module (use_first_pass, try_first_pass) or
 * asked here; what is asked becomes the item for the modules after us. */
int pc_get_password(pam_handle_t *pamh, const struct pc_args *args, struct pc_conv *conv, int item,
                    const char *prompt, const char **password);

/* What a login holds from before the password to its end. */
struct pending_login {
    struct pc_device dev;
    bool have_dev;
    struct cog_idp idp;
    bool open;
    struct cog_auth_early *early;
};

/* The remembered device and, with early, InitiateAuth under way while the
 * password is typed; pc_login_release leaves no thread, connection or secret. */
void pc_login_prepare(pam_handle_t *pamh, const struct pc_args *args, const struct cog_config *cfg,
                      const char *user, bool early, struct pending_login *p);
void pc_login_release(struct pending_login *p);
/* A Cognito login of user with password (pam_cognito.c tells the rest). */
cog_status pc_cognito_login(pam_handle_t *pamh, const struct pc_args *args,
                            const struct cog_config *cfg, struct pc_conv *conv, const char *user,
                            const char *password, bool remember, struct pending_login *p,
                            struct cog_auth_result *res, char **device_key, struct cog_error *err);
void pc_log_failure(pam_handle_t *pamh, const char *what, const char *user, cog_status st,
                    const struct cog_error *err);

#endif
