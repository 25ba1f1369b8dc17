/* Who may be a Cognito user on this host, and which pool identity a Unix
 * name belongs to (pam_cognito(8), SECURITY). */
#ifndef PAM_COGNITO_WHO_H
#define PAM_COGNITO_WHO_H

#include <stdbool.h>

#include <json-c/json.h>
#include <security/pam_modules.h>

#include "libcognito/core/config.h"
#include "libcognito/core/error.h"

/* PAM_SUCCESS when user may be a Cognito user here; PAM_USER_UNKNOWN (with
 * a log line) for a local account or group (the local files, any NSS
 * source other than the user cache: localnames.h) and for a name on the
 * deny list. Asks nothing of Cognito. */
int pc_who_may_be_cognito(pam_handle_t *pamh, const struct cog_config *cfg, const char *user);

/* True for root and the local accounts below pam_min_uid (NSS says). */
bool pc_who_system_account(const struct cog_config *cfg, const char *user, long *uid);

/* After a verified login of user: the login stands only if the host can
 * hold it. COG_ERR_TOKEN (logged) when the cache binds user to another sub
 * than the ID token's, or the mapping refuses the user (deny list, a name or
 * uid another sub holds, no usable uid...); otherwise the user goes into
 * the user cache's logins file (cog_cache_store_login_checked, with user as
 * the name pc_prepare has just checked against the host's NSS). A cache that cannot
 * be written for another reason (its lock, the disk) costs the cache, not
 * the login. */
cog_status pc_who_claim(pam_handle_t *pamh, const struct cog_config *cfg, const char *user,
                        struct json_object *claims, struct cog_error *err);

/* Both checks a verified login's ID token must pass before it logs user in:
 * the token's user maps to user itself (cognito.conf(5): username_attribute,
 * else cognito:username), so an alias or another user's token never opens
 * another Unix account; then pc_who_claim. COG_ERR_TOKEN otherwise. */
cog_status pc_who_token_user(pam_handle_t *pamh, const struct cog_config *cfg, const char *user,
                             struct json_object *claims, struct cog_error *err);

#endif
