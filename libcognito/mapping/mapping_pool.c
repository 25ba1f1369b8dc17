/* The pool as the IdP describes it: users, groups and the attributes the
 * configuration uses, from a listing or from a login's ID token. */
#include "build-config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "libcognito/core/arena.h"
#include "libcognito/core/json.h"
#include "libcognito/mapping/mapping.h"

void cog_pool_init(struct cog_pool *p)
{
    memset(p, 0, sizeof(*p));
    p->arena = cog_arena_new();
}

void cog_pool_free(struct cog_pool *p)
{
    free(p->users);
    free(p->groups);
    cog_arena_free(p->arena);
    memset(p, 0, sizeof(*p));
}

char *cog_pool_strdup(struct cog_pool *p, const char *s)
{
    return p->arena ? cog_arena_strdup(p->arena, s) : NULL;
}

static bool grow(void **array, size_t *cap, size_t n, size_t elem)
{
    if (n < *cap)
        return true;
    size_t ncap = *cap ? *cap * 2 : 16;
    void *na = ncap <= SIZE_MAX / elem ? realloc(*array, ncap * elem) : NULL;
    if (na == NULL)
        return false;
    *array = na;
    *cap = ncap;
    return true;
}

struct cog_pool_user *cog_pool_add_user(struct cog_pool *p)
{
    if (p->arena == NULL || !grow((void **)&p->users, &p->users_cap, p->nusers, sizeof(*p->users)))
        return NULL;
    struct cog_pool_user *u = &p->users[p->nusers++];
    memset(u, 0, sizeof(*u));
    return u;
}

struct cog_pool_group *cog_pool_add_group(struct cog_pool *p)
{
    if (p->arena == NULL ||
        !grow((void **)&p->groups, &p->groups_cap, p->ngroups, sizeof(*p->groups)))
        return NULL;
    struct cog_pool_group *g = &p->groups[p->ngroups++];
    memset(g, 0, sizeof(*g));
    return g;
}

bool cog_pool_user_add_group(struct cog_pool *p, struct cog_pool_user *u, const char *group)
{
    /* Arrays of a user live in the arena: a pool of a million users must
     * not cost a million mallocs. */
    if (u->ngroups == u->groups_cap) {
        size_t ncap = u->groups_cap ? u->groups_cap * 2 : 4;
        const char **ng = cog_arena_alloc(p->arena, ncap * sizeof(*ng));
        if (ng == NULL)
            return false;
        if (u->ngroups > 0)
            memcpy(ng, u->groups, u->ngroups * sizeof(*ng));
        u->groups = ng;
        u->groups_cap = ncap;
    }
    const char *copy = cog_arena_strdup(p->arena, group);
    if (copy == NULL)
        return false;
    u->groups[u->ngroups++] = copy;
    return true;
}

/* One attribute's value into the fields the configuration gives it. */
static bool set_attribute(struct cog_pool *p, struct cog_pool_user *u, const struct cog_config *cfg,
                          const char *name, const char *value)
{
    const char *copy = cog_pool_strdup(p, value);
    if (copy == NULL)
        return false;
    if (strcmp(name, "sub") == 0)
        u->sub = copy;
    if (strcmp(name, "name") == 0)
        u->name = copy;
    if (strcmp(name, "given_name") == 0)
        u->given_name = copy;
    if (strcmp(name, "family_name") == 0)
        u->family_name = copy;
    if (cfg->username_attribute != NULL && strcmp(name, cfg->username_attribute) == 0)
        u->name_value = copy;
    if (cfg->uid_attribute != NULL && strcmp(name, cfg->uid_attribute) == 0)
        u->uid_value = copy;
    if (cfg->ssh_key_attribute != NULL && strcmp(name, cfg->ssh_key_attribute) == 0)
        u->ssh_keys = copy;
    return true;
}

static bool attribute_wanted(const struct cog_config *cfg, const char *name)
{
    static const char *const always[] = {"sub", "name", "given_name", "family_name"};
    for (size_t i = 0; i < sizeof(always) / sizeof(always[0]); i++) {
        if (strcmp(name, always[i]) == 0)
            return true;
    }
    const char *configured[] = {cfg->username_attribute, cfg->uid_attribute,
                                cfg->ssh_key_attribute};
    for (size_t i = 0; i < 3; i++) {
        if (configured[i] != NULL && strcmp(name, configured[i]) == 0)
            return true;
    }
    return false;
}

cog_status cog_pool_user_set_attributes(struct cog_pool *p, struct cog_pool_user *u,
                                        const struct cog_config *cfg, struct json_object *list,
                                        struct cog_error *err)
{
    if (list == NULL)
        return COG_OK;
    if (!json_object_is_type(list, json_type_array))
        return cog_error_set(err, COG_ERR_UNAVAILABLE, NULL,
                             "the service sent attributes that are "
                             "not a list");
    size_t n = json_object_array_length(list);
    for (size_t i = 0; i < n; i++) {
        struct json_object *a = json_object_array_get_idx(list, i);
        const char *name = cog_json_string(a, "Name"), *value = cog_json_string(a, "Value");
        if (name == NULL || value == NULL || !attribute_wanted(cfg, name))
            continue;
        if (!set_attribute(p, u, cfg, name, value))
            return cog_error_set(err, COG_ERR_NOMEM, NULL, "out of memory");
    }
    return COG_OK;
}

cog_status cog_pool_user_from_login(struct cog_pool *p, struct cog_pool_user *u,
                                    const struct cog_config *cfg, struct json_object *claims,
                                    struct json_object *getuser, struct cog_error *err)
{
    const char *username = cog_json_string(claims, "cognito:username");
    const char *sub = cog_json_string(claims, "sub");
    if (username == NULL || sub == NULL)
        return cog_error_set(err, COG_ERR_TOKEN, NULL,
                             "the ID token has no cognito:username or sub claim");
    u->username = cog_pool_strdup(p, username);
    u->sub = cog_pool_strdup(p, sub);
    u->enabled = true; /* a login just succeeded */
    u->status = cog_pool_strdup(p, "CONFIRMED");
    if (u->username == NULL || u->sub == NULL || u->status == NULL)
        return cog_error_set(err, COG_ERR_NOMEM, NULL, "out of memory");
    json_object_object_foreach(claims, key, val)
    {
        char num[32];
        const char *value = NULL;
        if (json_object_is_type(val, json_type_string))
            value = json_object_get_string(val);
        else if (json_object_is_type(val, json_type_int)) {
            snprintf(num, sizeof(num), "%lld", (long long)json_object_get_int64(val));
            value = num;
        }
        if (value == NULL || strcmp(key, "sub") == 0 || !attribute_wanted(cfg, key))
            continue;
        if (!set_attribute(p, u, cfg, key, value))
            return cog_error_set(err, COG_ERR_NOMEM, NULL, "out of memory");
    }
    struct json_object *groups = json_object_object_get(claims, "cognito:groups");
    if (groups != NULL && json_object_is_type(groups, json_type_array)) {
        size_t n = json_object_array_length(groups);
        for (size_t i = 0; i < n; i++) {
            struct json_object *g = json_object_array_get_idx(groups, i);
            if (json_object_is_type(g, json_type_string) &&
                !cog_pool_user_add_group(p, u, json_object_get_string(g)))
                return cog_error_set(err, COG_ERR_NOMEM, NULL, "out of memory");
        }
    }
    if (getuser != NULL) {
        /* GetUser answers for the token's user; anything else is not ours to trust. */
        const char *who = cog_json_string(getuser, "Username");
        if (who != NULL && strcmp(who, username) != 0)
            return cog_error_set(err, COG_ERR_TOKEN, NULL,
                                 "GetUser answered for another user than the ID token's");
        struct json_object *attrs = NULL;
        json_object_object_get_ex(getuser, "UserAttributes", &attrs);
        cog_status st = cog_pool_user_set_attributes(p, u, cfg, attrs, err);
        if (st != COG_OK)
            return st;
        if (strcmp(u->sub, sub) != 0)
            return cog_error_set(err, COG_ERR_TOKEN, NULL,
                                 "GetUser's sub differs from the ID token's");
    }
    return COG_OK;
}
