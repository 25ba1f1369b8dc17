/* This host as a remembered device of a user (remember_device).
 *
 * After a login that passed MFA and got NewDeviceMetadata, the host makes a
 * device secret (cog_srp_device_secret_new), confirms the device with its
 * verifier (ConfirmDevice, DeviceName = the host name) and, when the pool
 * waits for the user's word, remembers it (UpdateDeviceStatus). The key,
 * group key and device password are kept in a root-only record, one per
 * user: private_dir/devices/. Later logins of that user present the device
 * (DEVICE_KEY, DEVICE_SRP_AUTH), so Cognito may skip MFA. A device Cognito
 * refuses is dropped, and the next MFA login remembers a new one.
 *
 * What that means: once the host is a user's remembered device, anyone who
 * has the user's password and can log in on this host skips MFA. A remote
 * login (PAM_RHOST set) neither uses nor makes a device unless
 * remember_device_remote = yes. */
#ifndef PAM_COGNITO_DEVICE_H
#define PAM_COGNITO_DEVICE_H

#include <stdbool.h>

#include <security/pam_modules.h>

#include "libcognito/signin/auth.h"
#include "libcognito/core/config.h"
#include "libcognito/wire/idp.h"
#include "pam_cognito/args.h"

struct pc_device {
    char *key, *group_key, *password;
};

/* The user's device, when remember_device is on and one is kept. */
bool pc_device_load(pam_handle_t *pamh, const struct pc_args *args, const struct cog_config *cfg,
                    const char *user, struct pc_device *d);
/* Wipes the password and frees everything. */
void pc_device_clear(struct pc_device *d);
/* Drops the user's device (Cognito refused it). */
void pc_device_forget(pam_handle_t *pamh, const struct cog_config *cfg, const char *user);
/* After a verified login over idp: remembers the new device res names, when
 * the login passed MFA. Failures are logged; the login stands. */
void pc_device_remember(pam_handle_t *pamh, const struct pc_args *args,
                        const struct cog_config *cfg, struct cog_idp *idp, const char *user,
                        const struct cog_auth_result *res);

#endif
