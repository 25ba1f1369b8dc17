#include "build-config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "libcognito/wire/idp.h"
#include "libcognito/core/util.h"
#include "pam_cognito/state.h"
#include "pam_cognito/store.h"

#define GROUP_MAX 128
/* Clock steps between the phases of one login. */
#define SKEW 60

void pc_state_free(struct pc_state *st)
{
    if (st == NULL)
        return;
    free(st->user);
    for (size_t i = 0; i < st->n_groups; i++)
        free(st->groups[i]);
    free(st->groups);
    free(st->session_id);
    memset(st, 0, sizeof(*st));
}

static struct json_object *to_json(const struct pc_state *st)
{
    struct json_object *o = json_object_new_object();
    struct json_object *groups = json_object_new_array();
    struct json_object *mfa = json_object_new_boolean(st->passed_mfa);

    if (o == NULL || groups == NULL || mfa == NULL)
        goto fail;
    for (size_t i = 0; i < st->n_groups; i++) {
        struct json_object *g = json_object_new_string(st->groups[i]);
        if (g == NULL || json_object_array_add(groups, g) != 0) {
            json_object_put(g);
            goto fail;
        }
    }
    if (!pc_json_add_int(o, "version", 1) || !cog_json_add_string(o, "user", st->user) ||
        json_object_object_add(o, "groups", groups) != 0) {
        goto fail;
    }
    groups = NULL;
    if (json_object_object_add(o, "mfa", mfa) != 0)
        goto fail;
    mfa = NULL;
    if (!pc_json_add_int(o, "auth_time", st->auth_time) ||
        !pc_json_add_int(o, "expires", st->expires) ||
        (st->session_id != NULL && !cog_json_add_string(o, "session", st->session_id)))
        goto fail;
    return o;
fail:
    json_object_put(mfa);
    json_object_put(groups);
    json_object_put(o);
    return NULL;
}

cog_status pc_state_write(const char *dir, const struct pc_state *st, struct cog_error *err)
{
    cog_status rc;
    struct json_object *o = to_json(st);

    if (o == NULL)
        rc = cog_error_set(err, COG_ERR_NOMEM, NULL, "out of memory");
    else
        rc = pc_store_write(dir, st->user, o, err);
    json_object_put(o);
    return rc;
}

static cog_status from_json(struct json_object *o, const char *user, struct pc_state *st)
{
    struct json_object *groups, *mfa;
    long long version;
    const char *name = cog_json_string(o, "user");

    if (!pc_json_int(o, "version", &version) || version != 1 || name == NULL ||
        strcmp(name, user) != 0 || !pc_json_int(o, "auth_time", &st->auth_time) ||
        !pc_json_int(o, "expires", &st->expires) ||
        !json_object_object_get_ex(o, "groups", &groups) ||
        !json_object_is_type(groups, json_type_array) ||
        json_object_array_length(groups) > PC_MAX_GROUPS ||
        !json_object_object_get_ex(o, "mfa", &mfa) || !json_object_is_type(mfa, json_type_boolean))
        return COG_ERR_INVALID_INPUT;
    st->passed_mfa = json_object_get_boolean(mfa);
    const char *session = cog_json_string(o, "session");
    if (session != NULL && (st->session_id = strdup(session)) == NULL)
        return COG_ERR_NOMEM;
    size_t n = json_object_array_length(groups);
    st->user = strdup(name);
    st->groups = calloc(n ? n : 1, sizeof(char *));
    if (st->user == NULL || st->groups == NULL)
        return COG_ERR_NOMEM;
    for (size_t i = 0; i < n; i++) {
        struct json_object *g = json_object_array_get_idx(groups, i);
        const char *s = json_object_get_string(g);
        if (!json_object_is_type(g, json_type_string) || !cog_text_valid(s, GROUP_MAX))
            return COG_ERR_INVALID_INPUT;
        if ((st->groups[st->n_groups] = strdup(s)) == NULL)
            return COG_ERR_NOMEM;
        st->n_groups++;
    }
    return COG_OK;
}

cog_status pc_state_read(const char *dir, const char *user, time_t now, struct pc_state *st,
                         struct cog_error *err)
{
    cog_status rc;
    struct json_object *o = NULL;

    memset(st, 0, sizeof(*st));
    rc = pc_store_read(dir, user, &o, err);
    if (rc != COG_OK)
        goto out;
    rc = from_json(o, user, st);
    if (rc != COG_OK) {
        rc = cog_error_set(err, rc, NULL, "not a login record of %s", user);
        goto out;
    }
    if (now >= st->expires || now + SKEW < st->auth_time) {
        /* Spent: nobody should read it again. */
        pc_store_remove(dir, user);
        rc =
            cog_error_set(err, COG_ERR_INVALID_INPUT, NULL, "the login record of %s expired", user);
        goto out;
    }
out:
    if (rc != COG_OK)
        pc_state_free(st);
    json_object_put(o);
    return rc;
}

void pc_state_remove(const char *dir, const char *user)
{
    pc_store_remove(dir, user);
}
