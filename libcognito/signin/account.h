/* Account operations of the cognito-idp API that are not a sign-in:
 * password reset, sign-up confirmation, password change, and the TOTP
 * enrolment calls. One function per operation; the auth state machine and
 * the front ends (PAM chauthtok, cognitoctl) share them. */
#ifndef COGNITO_ACCOUNT_H
#define COGNITO_ACCOUNT_H

#include <stdbool.h>

#include "libcognito/core/error.h"
#include "libcognito/wire/idp.h"

/* Where Cognito sent a code: CodeDeliveryDetails, or a challenge's
 * CODE_DELIVERY_* parameters. Empty strings when unknown or not fit to show. */
struct cog_delivery {
    char medium[16];       /* "SMS", "EMAIL" */
    char destination[128]; /* masked by Cognito: "+*******1111", "a***@e***" */
};

/* Fills where from a CodeDeliveryDetails object or challenge parameters
 * (medium_key/destination_key name the members). */
void cog_delivery_from_json(struct json_object *obj, const char *medium_key,
                            const char *destination_key, struct cog_delivery *where);

/* ForgotPassword: sends a reset code to the user's verified email or phone. */
cog_status cog_forgot_password(struct cog_idp *idp, const char *username,
                               struct cog_delivery *where, struct cog_error *err);
/* ConfirmForgotPassword: the code and the new password. */
cog_status cog_confirm_forgot_password(struct cog_idp *idp, const char *username, const char *code,
                                       const char *new_password, struct cog_error *err);
/* ConfirmSignUp with the code sent at sign-up (or by ResendConfirmationCode). */
cog_status cog_confirm_sign_up(struct cog_idp *idp, const char *username, const char *code,
                               struct cog_error *err);
cog_status cog_resend_confirmation_code(struct cog_idp *idp, const char *username,
                                        struct cog_delivery *where, struct cog_error *err);
/* ChangePassword for the user the access token belongs to. */
cog_status cog_change_password(struct cog_idp *idp, const char *access_token,
                               const char *old_password, const char *new_password,
                               struct cog_error *err);

/* AssociateSoftwareToken with either an MFA_SETUP challenge's session or an
 * access token. *secret (base32, wipe it) and, for a session, *new_session
 * (NULL otherwise) are malloc'd. */
cog_status cog_associate_software_token(struct cog_idp *idp, const char *session,
                                        const char *access_token, char **secret, char **new_session,
                                        struct cog_error *err);
/* VerifySoftwareToken: the first code from the new authenticator. A wrong
 * code is COG_ERR_CODE. device_name may be NULL. */
cog_status cog_verify_software_token(struct cog_idp *idp, const char *session,
                                     const char *access_token, const char *code,
                                     const char *device_name, char **new_session,
                                     struct cog_error *err);

/* RevokeToken: the refresh token, and the access and ID tokens it issued,
 * stop working. ClientSecret goes along when the app client has one. */
cog_status cog_revoke_token(struct cog_idp *idp, const char *refresh_token, struct cog_error *err);
/* GlobalSignOut: every token of the access token's user, on every device. */
cog_status cog_global_sign_out(struct cog_idp *idp, const char *access_token,
                               struct cog_error *err);

/* ConfirmDevice: the device NewDeviceMetadata named becomes the user's, with
 * the verifier of a device secret (cog_srp_device_secret_new). The pool then
 * either remembers it at once, or wants the user's word:
 * *user_confirmation_necessary, answered by cog_update_device_status. */
struct cog_srp_device_secret;
cog_status cog_confirm_device(struct cog_idp *idp, const char *access_token, const char *device_key,
                              const struct cog_srp_device_secret *secret, const char *device_name,
                              bool *user_confirmation_necessary, struct cog_error *err);
/* UpdateDeviceStatus: "remembered" or "not_remembered". */
cog_status cog_update_device_status(struct cog_idp *idp, const char *access_token,
                                    const char *device_key, bool remembered, struct cog_error *err);
/* ForgetDevice: the device is no longer the user's. */
cog_status cog_forget_device(struct cog_idp *idp, const char *access_token, const char *device_key,
                             struct cog_error *err);

/* Whether a user of UserStatus status may log in: CONFIRMED and
 * EXTERNAL_PROVIDER (federated users), and the names cfg's
 * allowed_user_status adds. UNCONFIRMED, RESET_REQUIRED, COMPROMISED,
 * ARCHIVED, FORCE_CHANGE_PASSWORD (unless added), UNKNOWN, NULL and
 * anything else are not. Every decision about an account (PAM's account
 * phase, authorized-keys) asks this. */
bool cog_user_status_active(const struct cog_config *cfg, const char *status);

/* otpauth://totp/ISSUER:ACCOUNT?secret=SECRET&issuer=ISSUER, percent-encoded
 * (Google's Key URI format, which authenticator apps scan). malloc'd. */
char *cog_otpauth_uri(const char *issuer, const char *account, const char *secret);

#endif
