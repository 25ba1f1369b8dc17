#include "build-config.h"

#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>

#include <json-c/json.h>
#include <security/pam_ext.h>

#include "libcognito/signin/account.h"
#include "libcognito/cache/cache.h"
#include "libcognito/wire/idp.h"
#include "libcognito/core/util.h"
#include "pam_cognito/acct.h"
#include "pam_cognito/session.h"
#include "pam_cognito/state.h"

#define DATA_LOGIN "pam_cognito_login"
#define GROUP_MAX 128

static void cleanup_login(pam_handle_t *pamh, void *data, int error_status)
{
    (void)pamh;
    (void)error_status;
    pc_state_free(data);
    free(data);
}

/* The login as a record: who, verified groups, when, and until when. */
static bool state_of(const char *user, const struct cog_auth_result *res, struct pc_state *st)
{
    struct json_object *groups = json_object_object_get(res->claims, "cognito:groups");
    struct json_object *exp = json_object_object_get(res->claims, "exp");
    size_t n = json_object_is_type(groups, json_type_array) ? json_object_array_length(groups) : 0;
    time_t now = time(NULL);

    memset(st, 0, sizeof(*st));
    if (n > PC_MAX_GROUPS)
        n = PC_MAX_GROUPS;
    st->user = strdup(user);
    st->groups = calloc(n ? n : 1, sizeof(char *));
    if (st->user == NULL || st->groups == NULL)
        return false;
    for (size_t i = 0; i < n; i++) {
        struct json_object *g = json_object_array_get_idx(groups, i);
        const char *name = json_object_get_string(g);
        if (!json_object_is_type(g, json_type_string) || !cog_text_valid(name, GROUP_MAX))
            continue;
        if ((st->groups[st->n_groups] = strdup(name)) == NULL)
            return false;
        st->n_groups++;
    }
    st->auth_time = now;
    st->expires = now + PC_STATE_TTL;
    if (json_object_is_type(exp, json_type_int) && json_object_get_int64(exp) < st->expires)
        st->expires = json_object_get_int64(exp);
    st->passed_mfa = res->passed_mfa;
    return true;
}

void pc_account_remember(pam_handle_t *pamh, const struct pc_args *args,
                         const struct cog_config *cfg, const char *user,
                         const struct cog_auth_result *res, const char *session_id)
{
    struct cog_error err = {0};
    struct pc_state *st = calloc(1, sizeof(*st));

    if (st == NULL || !state_of(user, res, st) ||
        (session_id != NULL && (st->session_id = strdup(session_id)) == NULL)) {
        pam_syslog(pamh, LOG_ERR, "out of memory recording the login of %s", user);
        goto out;
    }
    if (pc_state_write(cfg->state_dir, st, &err) != COG_OK)
        pam_syslog(pamh, LOG_ERR, "cannot write the login record: %s", err.message);
    else
        pc_debug(pamh, args, "login record of %s written (%zu groups)", user, st->n_groups);
    if (pam_set_data(pamh, DATA_LOGIN, st, cleanup_login) == PAM_SUCCESS)
        st = NULL;
out:
    if (st != NULL)
        cleanup_login(pamh, st, 0);
}

void pc_account_drop_handle(pam_handle_t *pamh)
{
    pam_set_data(pamh, DATA_LOGIN, NULL, NULL);
}

void pc_account_forget(pam_handle_t *pamh, const struct cog_config *cfg, const char *user)
{
    pc_account_drop_handle(pamh);
    pc_state_remove(cfg->state_dir, user);
}

static bool take_groups(struct pc_account *acct, const struct pc_state *st)
{
    acct->groups = calloc(st->n_groups ? st->n_groups : 1, sizeof(char *));
    if (acct->groups == NULL)
        return false;
    for (size_t i = 0; i < st->n_groups; i++) {
        if ((acct->groups[i] = strdup(st->groups[i])) == NULL)
            return false;
        acct->n_groups++;
    }
    return true;
}

/* The user cache (cognitoctl sync and earlier logins): whether the pool
 * still has the user enabled, and their groups. No cache, or no such user in
 * it, leaves the account unknown. */
static void from_cache(pam_handle_t *pamh, const struct pc_args *args, const struct cog_config *cfg,
                       const char *user, struct pc_account *acct)
{
    struct cog_account a = {0};
    struct cog_error err = {0};

    if (cog_account_lookup(cfg, user, &a, &err) != COG_OK) {
        pc_debug(pamh, args, "%s not in the user cache: %s", user, err.message);
        goto out;
    }
    acct->groups = calloc(a.ngroups ? a.ngroups : 1, sizeof(char *));
    if (acct->groups == NULL)
        goto out;
    for (size_t i = 0; i < a.ngroups; i++) {
        if ((acct->groups[i] = strdup(a.groups[i])) == NULL)
            goto out;
        acct->n_groups++;
    }
    /* Only a confirmed account (cog_user_status_active) logs in: an
     * unconfirmed sign-up or a reset-required account is as good as
     * disabled. */
    bool active = cog_user_status_active(cfg, a.status);
    acct->state = a.enabled && active ? PC_ACCOUNT_ACTIVE : PC_ACCOUNT_DISABLED;
    if (!active)
        pam_syslog(pamh, LOG_NOTICE, "%s has UserStatus %.32s, not an active one", user,
                   cog_text_valid(a.status, 32) ? a.status : "?");
out:
    cog_account_clear(&a);
}

void pc_account_lookup(pam_handle_t *pamh, const struct pc_args *args, const struct cog_config *cfg,
                       const char *user, struct pc_account *acct)
{
    const void *data = NULL;
    struct pc_state record;
    struct cog_error err = {0};
    time_t now = time(NULL);

    memset(acct, 0, sizeof(*acct));
    /* The account phase runs in every stack of ours, also where no session
     * line of ours does (sudo): the session id leaves the environment here. */
    pc_session_account_phase(pamh);
    if (pam_get_data(pamh, DATA_LOGIN, &data) == PAM_SUCCESS && data != NULL) {
        const struct pc_state *mine = data;
        if (strcmp(mine->user, user) == 0 && now < mine->expires) {
            acct->source = "this login";
            acct->state = take_groups(acct, mine) ? PC_ACCOUNT_ACTIVE : PC_ACCOUNT_UNKNOWN;
            goto out;
        }
    }
    if (pc_state_read(cfg->state_dir, user, now, &record, &err) == COG_OK) {
        acct->source = "login record";
        acct->state = take_groups(acct, &record) ? PC_ACCOUNT_ACTIVE : PC_ACCOUNT_UNKNOWN;
        pc_state_free(&record);
        goto out;
    }
    pc_debug(pamh, args, "no login record for %s: %s", user, err.message);
    from_cache(pamh, args, cfg, user, acct);
    if (acct->state != PC_ACCOUNT_UNKNOWN)
        acct->source = "cache";
out:
    if (acct->state == PC_ACCOUNT_UNKNOWN) {
        pc_account_free(acct);
        acct->source = NULL;
    }
}

void pc_account_free(struct pc_account *acct)
{
    for (size_t i = 0; i < acct->n_groups; i++)
        free(acct->groups[i]);
    free(acct->groups);
    acct->groups = NULL;
    acct->n_groups = 0;
}

bool pc_account_in_groups(const struct pc_account *acct, const char *allowed)
{
    for (const char *p = allowed; *p != '\0';) {
        size_t n = strcspn(p, ",");
        for (size_t i = 0; n > 0 && i < acct->n_groups; i++) {
            if (strlen(acct->groups[i]) == n && strncmp(acct->groups[i], p, n) == 0)
                return true;
        }
        p += n;
        if (*p == ',')
            p++;
    }
    return false;
}
