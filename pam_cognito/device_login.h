/* A login with the RFC 8628 device flow (device_flow.h) through the PAM
 * conversation: the person signs in on another device (a phone, a browser)
 * with whatever the pool's identity provider asks, and presses Enter here.
 * Not to be confused with device.h, the remembered devices of password
 * logins. */
#ifndef PAM_COGNITO_DEVICE_LOGIN_H
#define PAM_COGNITO_DEVICE_LOGIN_H

#include <stdbool.h>
#include <security/pam_modules.h>

#include "libcognito/signin/auth.h"
#include "libcognito/core/config.h"
#include "pam_cognito/args.h"
#include "pam_cognito/conv.h"

/* Said before the password prompt with device_login = fallback. */
#define PC_DEVICE_TEXT_FALLBACK                                                                    \
    "No password? Leave it empty to sign in with a code on another device."

/* Whether this login goes by the device flow: auth_flow = device, or
 * device_login = fallback and the password was answered empty. */
bool pc_device_login_wanted(const struct cog_config *cfg, const char *password);

/* Runs the device flow for user: an info message with the verification
 * URL, the user code and a QR code of verification_uri_complete, then
 * "Press Enter after signing in: " until the flow ends (asked again while
 * the sign-in is pending). On COG_OK res holds verified tokens of user
 * (pc_who_token_user passed). COG_ERR_UNAVAILABLE: the endpoint could not
 * be reached; COG_ERR_AUTH: declined; COG_ERR_CODE: expired or past
 * device_timeout; COG_ERR_TOKEN: the token is not user's. */
cog_status pc_device_login(pam_handle_t *pamh, const struct pc_args *args,
                           const struct cog_config *cfg, struct pc_conv *conv, const char *user,
                           struct cog_auth_result *res, struct cog_error *err);

#endif
