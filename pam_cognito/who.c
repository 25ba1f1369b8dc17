/* Local accounts win, and a Unix name belongs to one pool identity. */
#include "build-config.h"

#include <pwd.h>
#include <string.h>
#include <syslog.h>

#include <security/pam_ext.h>

#include "libcognito/cache/cache.h"
#include "libcognito/wire/idp.h"
#include "libcognito/mapping/localnames.h"
#include "libcognito/mapping/mapping.h"
#include "pam_cognito/who.h"

int pc_who_may_be_cognito(pam_handle_t *pamh, const struct cog_config *cfg, const char *user)
{
    const char *why = cog_local_name(cfg, user);
    if (why == NULL)
        return PAM_SUCCESS;
    pam_syslog(pamh, LOG_NOTICE, "%s is not a Cognito user here: %s", user, why);
    return PAM_USER_UNKNOWN;
}

bool pc_who_system_account(const struct cog_config *cfg, const char *user, long *uid)
{
    const struct passwd *pw = getpwnam(user);
    *uid = pw ? (long)pw->pw_uid : -1;
    return pw != NULL && (pw->pw_uid == 0 || (long)pw->pw_uid < (long)cfg->pam_min_uid);
}

static void mapping_log(void *ctx, int priority, const char *message)
{
    pam_syslog(ctx, priority, "user cache: %s", message);
}

cog_status pc_who_claim(pam_handle_t *pamh, const struct cog_config *cfg, const char *user,
                        struct json_object *claims, struct cog_error *err)
{
    struct cog_account a = {0};
    struct cog_error cerr = {0};
    struct cog_mapping_log log = {.fn = mapping_log, .ctx = pamh};
    const char *sub = cog_json_string(claims, "sub");
    cog_status st = COG_OK;

    /* The binding, checked even when the cache cannot be written below. */
    if (sub != NULL && cog_account_lookup(cfg, user, &a, &cerr) == COG_OK && a.sub != NULL &&
        a.sub[0] != '\0' && strcmp(a.sub, sub) != 0) {
        pam_syslog(pamh, LOG_WARNING,
                   "refusing %s: the ID token's sub %.64s is not %.64s, the sub this host "
                   "gave the name to",
                   user, sub, a.sub);
        st = cog_error_set(err, COG_ERR_TOKEN, NULL, "%s belongs to another Cognito user here",
                           user);
        goto out;
    }
    memset(&cerr, 0, sizeof(cerr));
    /* pc_prepare passed user through cog_local_name (pc_who_may_be_cognito)
     * before the sign-in, and the token maps to user (pc_who_token_user):
     * the update need not ask the host's NSS about it again. */
    cog_status cst = cog_cache_store_login_checked(cfg, claims, NULL, user, &log, &cerr);
    if (cst == COG_ERR_INVALID_INPUT) {
        pam_syslog(pamh, LOG_WARNING, "refusing %s: %s", user, cerr.message);
        st = cog_error_set(err, COG_ERR_TOKEN, NULL, "%s cannot be a Unix user here", user);
    } else if (cst != COG_OK) {
        pam_syslog(pamh, LOG_ERR, "cannot put %s into the user cache: %s", user, cerr.message);
    }
out:
    cog_account_clear(&a);
    return st;
}

cog_status pc_who_token_user(pam_handle_t *pamh, const struct cog_config *cfg, const char *user,
                             struct json_object *claims, struct cog_error *err)
{
    char unix_name[COG_UNIX_NAME_MAX + 1];
    if (!cog_mapping_unix_name_of_claims(cfg, claims, unix_name) || strcmp(unix_name, user) != 0)
        return cog_error_set(err, COG_ERR_TOKEN, NULL, "the ID token is for another user");
    return pc_who_claim(pamh, cfg, user, claims, err);
}
