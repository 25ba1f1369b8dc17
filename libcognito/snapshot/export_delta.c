#include "build-config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "libcognito/core/arena.h"
#include "libcognito/snapshot/export_delta.h"
#include "libcognito/cache/idmap.h"
#include "libcognito/core/json.h"

/* Writes that change nothing the snapshot holds: sign-in, tokens, MFA,
 * devices, passwords, and the pool's own configuration. */
static const char *const harmless[] = {"InitiateAuth",
                                       "AdminInitiateAuth",
                                       "RespondToAuthChallenge",
                                       "AdminRespondToAuthChallenge",
                                       "GlobalSignOut",
                                       "AdminUserGlobalSignOut",
                                       "RevokeToken",
                                       "ForgotPassword",
                                       "ConfirmForgotPassword",
                                       "ChangePassword",
                                       "SetUserMFAPreference",
                                       "AdminSetUserMFAPreference",
                                       "SetUserSettings",
                                       "AdminSetUserSettings",
                                       "AssociateSoftwareToken",
                                       "VerifySoftwareToken",
                                       "ConfirmDevice",
                                       "ForgetDevice",
                                       "AdminForgetDevice",
                                       "UpdateDeviceStatus",
                                       "AdminUpdateDeviceStatus",
                                       "ResendConfirmationCode",
                                       "GetUserAttributeVerificationCode",
                                       "VerifyUserAttribute",
                                       "UpdateAuthEventFeedback",
                                       "AdminUpdateAuthEventFeedback",
                                       "StartWebAuthnRegistration",
                                       "CompleteWebAuthnRegistration",
                                       "DeleteWebAuthnCredential",
                                       "UpdateGroup",
                                       "CreateUserPoolClient",
                                       "UpdateUserPoolClient",
                                       "DeleteUserPoolClient",
                                       "UpdateUserPool",
                                       "CreateUserPoolDomain",
                                       "UpdateUserPoolDomain",
                                       "DeleteUserPoolDomain",
                                       "CreateIdentityProvider",
                                       "UpdateIdentityProvider",
                                       "DeleteIdentityProvider",
                                       "CreateResourceServer",
                                       "UpdateResourceServer",
                                       "DeleteResourceServer",
                                       "SetUICustomization",
                                       "SetRiskConfiguration",
                                       "SetUserPoolMfaConfig",
                                       "SetLogDeliveryConfiguration",
                                       "TagResource",
                                       "UntagResource",
                                       "AddCustomAttributes",
                                       "CreateUserPool",
                                       "Login_GET",
                                       "Login_POST",
                                       "Logout_GET",
                                       "Token_POST",
                                       "Authorize_GET",
                                       "SignUp_GET",
                                       "UserInfo_GET",
                                       "ForgotPassword_GET",
                                       "ConfirmForgotPassword_GET"};

/* Writes about one user: read that user again. */
static const char *const user_events[] = {"SignUp",
                                          "ConfirmSignUp",
                                          "AdminConfirmSignUp",
                                          "AdminCreateUser",
                                          "AdminDeleteUser",
                                          "DeleteUser",
                                          "AdminUpdateUserAttributes",
                                          "UpdateUserAttributes",
                                          "AdminDeleteUserAttributes",
                                          "DeleteUserAttributes",
                                          "AdminEnableUser",
                                          "AdminDisableUser",
                                          "AdminAddUserToGroup",
                                          "AdminRemoveUserFromGroup",
                                          "AdminSetUserPassword",
                                          "AdminResetUserPassword",
                                          "AdminLinkProviderForUser",
                                          "AdminDisableProviderForUser"};

/* Groups made or deleted: read the group list again (a deleted group leaves
 * every member; members join a new group through their own events). */
static const char *const group_events[] = {"CreateGroup", "DeleteGroup"};

static bool listed(const char *name, const char *const *list, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (strcmp(name, list[i]) == 0)
            return true;
    }
    return false;
}
#define LISTED(name, list) listed(name, list, sizeof(list) / sizeof(list[0]))

struct keys {
    const char **v;
    size_t n, cap;
    struct cog_strmap seen;
};

struct collect {
    const char *pool_id;
    struct cog_arena *arena;
    struct keys subs, names;
    bool groups;
    struct cog_export_delta *d;
};

static bool keys_add(struct collect *c, struct keys *k, const char *s)
{
    if (cog_strmap_get(&k->seen, s, NULL))
        return true;
    if (k->n == k->cap) {
        size_t ncap = k->cap ? k->cap * 2 : 16;
        const char **nv = realloc(k->v, ncap * sizeof(*nv));
        if (nv == NULL)
            return false;
        k->v = nv;
        k->cap = ncap;
    }
    const char *copy = cog_arena_strdup(c->arena, s);
    return copy != NULL && cog_strmap_put(&k->seen, copy, k->n) && (k->v[k->n++] = copy) != NULL;
}

static void keys_free(struct keys *k)
{
    free(k->v);
    cog_strmap_free(&k->seen);
}

/* A value usable in a ListUsers Filter: present, not masked, no quote or
 * backslash (Cognito's filter grammar has no escapes). */
static const char *usable(const char *v)
{
    if (v == NULL || *v == '\0' || strncmp(v, "HIDDEN_", 7) == 0 || strlen(v) > 256 ||
        strpbrk(v, "\"\\") != NULL)
        return NULL;
    for (const unsigned char *p = (const unsigned char *)v; *p; p++) {
        if (*p < 0x20 || *p == 0x7f)
            return NULL;
    }
    return v;
}

enum cog_event_effect cog_export_event_effect(const char *pool_id, const char *name,
                                              struct json_object *rec, const char **sub,
                                              const char **username, const char **why)
{
    *sub = *username = NULL;
    *why = NULL;
    if (rec == NULL || !json_object_is_type(rec, json_type_object)) {
        *why = "no readable record";
        return COG_EVENT_UNRESOLVED;
    }
    const char *code = cog_json_string(rec, "errorCode");
    struct json_object *ro = json_object_object_get(rec, "readOnly");
    /* A failed call or a read changes nothing; readOnly counts only as JSON true. */
    if ((code != NULL && *code != '\0') ||
        (ro != NULL && json_object_is_type(ro, json_type_boolean) && json_object_get_boolean(ro)))
        return COG_EVENT_NONE;
    struct json_object *params = cog_json_object(rec, "requestParameters");
    struct json_object *extra = cog_json_object(rec, "additionalEventData");
    const char *pool = cog_json_string(params, "userPoolId");
    if (pool != NULL && strcmp(pool, pool_id) != 0)
        return COG_EVENT_NONE; /* another pool of the account */
    if (LISTED(name, harmless))
        return COG_EVENT_NONE;
    if (LISTED(name, group_events))
        return COG_EVENT_GROUPS;
    if (!LISTED(name, user_events)) {
        *why = "a change the incremental export does not know";
        return COG_EVENT_UNRESOLVED;
    }
    if (pool == NULL) {
        *why = "no user pool id";
        return COG_EVENT_UNRESOLVED;
    }
    *sub = usable(cog_json_string(extra, "sub"));
    *username = *sub == NULL ? usable(cog_json_string(params, "username")) : NULL;
    if (*sub == NULL && *username == NULL) {
        *why = "names its user by neither sub nor username (masked)";
        return COG_EVENT_UNRESOLVED;
    }
    return COG_EVENT_USER;
}

static bool on_event(void *ctx, const char *name, int64_t when, struct json_object *rec,
                     struct cog_error *err)
{
    struct collect *c = ctx;
    const char *sub, *user, *why;
    (void)when;
    c->d->events++;
    switch (cog_export_event_effect(c->pool_id, name, rec, &sub, &user, &why)) {
    case COG_EVENT_NONE:
        return true;
    case COG_EVENT_GROUPS:
        c->groups = true;
        return true;
    case COG_EVENT_UNRESOLVED:
        snprintf(c->d->why_full, sizeof(c->d->why_full), "CloudTrail event %.64s: %s", name, why);
        cog_error_set(err, COG_ERR_INVALID_INPUT, NULL, "%s", c->d->why_full);
        return false;
    case COG_EVENT_USER:
        break;
    }
    if (!(sub != NULL ? keys_add(c, &c->subs, sub) : keys_add(c, &c->names, user))) {
        cog_error_set(err, COG_ERR_NOMEM, NULL, "out of memory");
        return false;
    }
    return true;
}

/* Drops from pool every user whose sub (or username) is in k: Cognito's
 * answer replaces them. */
static void drop_users(struct cog_pool *pool, const struct keys *subs, const struct keys *names)
{
    size_t w = 0;
    for (size_t i = 0; i < pool->nusers; i++) {
        const struct cog_pool_user *u = &pool->users[i];
        if ((u->sub != NULL && cog_strmap_get(&subs->seen, u->sub, NULL)) ||
            cog_strmap_get(&names->seen, u->username, NULL))
            continue;
        pool->users[w++] = *u;
    }
    pool->nusers = w;
}

/* A user found by two keys (its sub and its name) is kept once. */
static void dedupe_from(struct cog_pool *pool, size_t first)
{
    size_t w = first;
    for (size_t i = first; i < pool->nusers; i++) {
        bool dup = false;
        for (size_t j = first; j < w && !dup; j++)
            dup = strcmp(pool->users[j].username, pool->users[i].username) == 0;
        if (!dup)
            pool->users[w++] = pool->users[i];
    }
    pool->nusers = w;
}

static cog_status reread_users(struct cog_admin *a, struct cog_pool *pool, struct collect *c,
                               struct cog_error *err)
{
    cog_status st = COG_OK;
    size_t first;
    char filter[600];

    drop_users(pool, &c->subs, &c->names);
    first = pool->nusers;
    for (size_t i = 0; st == COG_OK && i < c->subs.n + c->names.n; i++) {
        bool by_sub = i < c->subs.n;
        snprintf(filter, sizeof(filter), "%s = \"%s\"", by_sub ? "sub" : "username",
                 by_sub ? c->subs.v[i] : c->names.v[i - c->subs.n]);
        st = cog_admin_read_users(a, pool, filter, err);
        c->d->users_reread++;
    }
    if (st == COG_OK)
        dedupe_from(pool, first);
    for (size_t i = first; st == COG_OK && i < pool->nusers; i++)
        st = cog_admin_read_user_groups(a, pool, i, err);
    return st;
}

/* The group list read again; users leave groups that are gone. */
static cog_status reread_groups(struct cog_admin *a, struct cog_pool *pool, struct cog_error *err)
{
    struct cog_strmap names = {0};
    cog_status st;
    pool->ngroups = 0;
    if ((st = cog_admin_read_groups(a, pool, err)) != COG_OK)
        return st;
    for (size_t i = 0; i < pool->ngroups; i++) {
        if (!cog_strmap_put(&names, pool->groups[i].name, i)) {
            cog_strmap_free(&names);
            return cog_error_set(err, COG_ERR_NOMEM, NULL, "out of memory");
        }
    }
    for (size_t i = 0; i < pool->nusers; i++) {
        struct cog_pool_user *u = &pool->users[i];
        size_t w = 0;
        for (size_t g = 0; g < u->ngroups; g++) {
            if (cog_strmap_get(&names, u->groups[g], NULL))
                u->groups[w++] = u->groups[g];
        }
        u->ngroups = w;
    }
    cog_strmap_free(&names);
    return COG_OK;
}

static bool names_unknown_group(const struct cog_pool *pool)
{
    for (size_t i = 0; i < pool->nusers; i++) {
        for (size_t g = 0; g < pool->users[i].ngroups; g++) {
            bool known = false;
            for (size_t k = 0; k < pool->ngroups && !known; k++)
                known = strcmp(pool->groups[k].name, pool->users[i].groups[g]) == 0;
            if (!known)
                return true;
        }
    }
    return false;
}

cog_status cog_export_delta_apply(struct cog_admin *admin, struct cog_cloudtrail *ct,
                                  struct cog_pool *pool, int64_t start, int64_t end,
                                  struct cog_export_delta *d, struct cog_error *err)
{
    struct collect c = {.pool_id = admin->idp.cfg->user_pool_id, .d = d};
    cog_status st;

    memset(d, 0, sizeof(*d));
    if ((c.arena = cog_arena_new()) == NULL)
        return cog_error_set(err, COG_ERR_NOMEM, NULL, "out of memory");
    unsigned long before = ct->requests;
    st = cog_cloudtrail_lookup(ct, start, end, on_event, &c, err);
    d->lookups = ct->requests - before;
    if (st == COG_OK && c.groups) {
        st = reread_groups(admin, pool, err);
        d->groups_reread = true;
    }
    if (st == COG_OK)
        st = reread_users(admin, pool, &c, err);
    if (st == COG_OK && !d->groups_reread && names_unknown_group(pool)) {
        /* A group made before the window with no event of ours in it. */
        st = reread_groups(admin, pool, err);
        d->groups_reread = true;
    }
    keys_free(&c.subs);
    keys_free(&c.names);
    cog_arena_free(c.arena);
    return st;
}
