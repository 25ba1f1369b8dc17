#include "build-config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "libcognito/core/buf.h"
#include "libcognito/snapshot/export_state.h"
#include "libcognito/core/json.h"

#define STATE_FORMAT 1

/* The configuration's attribute names: a listing made under others is stale. */
static void attribute_key(const struct cog_config *cfg, char *out, size_t size)
{
    snprintf(out, size, "%s|%s|%s", cfg->username_attribute ? cfg->username_attribute : "",
             cfg->uid_attribute ? cfg->uid_attribute : "",
             cfg->ssh_key_attribute ? cfg->ssh_key_attribute : "");
}

static bool add_attr(struct json_object *list, const char *name, const char *value)
{
    if (name == NULL || value == NULL)
        return true;
    struct json_object *a = json_object_new_object();
    if (a == NULL || !cog_json_add_string(a, "Name", name) ||
        !cog_json_add_string(a, "Value", value) || json_object_array_add(list, a) != 0) {
        json_object_put(a);
        return false;
    }
    return true;
}

static struct json_object *user_json(const struct cog_config *cfg, const struct cog_pool_user *u)
{
    struct json_object *o = json_object_new_object(), *attrs = json_object_new_array(),
                       *groups = json_object_new_array();
    bool ok = o != NULL && attrs != NULL && groups != NULL &&
              cog_json_add_string(o, "Username", u->username) && add_attr(attrs, "sub", u->sub) &&
              add_attr(attrs, "name", u->name) && add_attr(attrs, "given_name", u->given_name) &&
              add_attr(attrs, "family_name", u->family_name) &&
              add_attr(attrs, cfg->username_attribute, u->name_value) &&
              add_attr(attrs, cfg->uid_attribute, u->uid_value) &&
              add_attr(attrs, cfg->ssh_key_attribute, u->ssh_keys) &&
              json_object_object_add(o, "UserCreateDate", json_object_new_int64(u->created)) == 0 &&
              json_object_object_add(o, "Enabled", json_object_new_boolean(u->enabled)) == 0 &&
              cog_json_add_string(o, "UserStatus", u->status ? u->status : "UNKNOWN");
    for (size_t i = 0; ok && i < u->ngroups; i++)
        ok = json_object_array_add(groups, json_object_new_string(u->groups[i])) == 0;
    if (ok && json_object_object_add(o, "Attributes", attrs) == 0) {
        attrs = NULL;
        if (json_object_object_add(o, "Groups", groups) == 0)
            return o;
    }
    json_object_put(groups);
    json_object_put(attrs);
    json_object_put(o);
    return NULL;
}

/* One JSON object and a newline (json-c escapes newlines inside strings). */
static bool add_line(struct cog_buf *b, struct json_object *o)
{
    size_t n = 0;
    const char *s =
        o != NULL ? json_object_to_json_string_length(o, JSON_C_TO_STRING_PLAIN, &n) : NULL;
    if (s == NULL)
        return false;
    cog_buf_add(b, s, n);
    cog_buf_addc(b, '\n');
    return !b->failed;
}

cog_status cog_export_state_emit(const struct cog_config *cfg, const struct cog_pool *pool,
                                 int64_t serial, int64_t events_until, char **text, size_t *len,
                                 struct cog_error *err)
{
    char key[512];
    struct cog_buf b = {.public_data = true};
    struct json_object *o = json_object_new_object();
    bool ok;

    *text = NULL;
    attribute_key(cfg, key, sizeof(key));
    ok = o != NULL && json_object_object_add(o, "format", json_object_new_int(STATE_FORMAT)) == 0 &&
         json_object_object_add(o, "serial", json_object_new_int64(serial)) == 0 &&
         json_object_object_add(o, "events_until", json_object_new_int64(events_until)) == 0 &&
         cog_json_add_string(o, "attributes", key) && add_line(&b, o);
    json_object_put(o);
    /* A line per user and per group: a million users never become one tree. */
    for (size_t i = 0; ok && i < pool->nusers; i++) {
        o = user_json(cfg, &pool->users[i]);
        ok = add_line(&b, o);
        json_object_put(o);
    }
    for (size_t i = 0; ok && i < pool->ngroups; i++) {
        o = json_object_new_object();
        ok = o != NULL && cog_json_add_string(o, "GroupName", pool->groups[i].name) &&
             json_object_object_add(o, "CreationDate",
                                    json_object_new_int64(pool->groups[i].created)) == 0 &&
             add_line(&b, o);
        json_object_put(o);
    }
    if (ok)
        *text = cog_buf_take(&b, len);
    cog_buf_free(&b);
    if (*text == NULL)
        return cog_error_set(err, COG_ERR_NOMEM, NULL, "out of memory");
    return COG_OK;
}

static int by_username(const void *a, const void *b)
{
    return strcmp(((const struct cog_pool_user *)a)->username,
                  ((const struct cog_pool_user *)b)->username);
}

void cog_export_state_sort(struct cog_pool *pool)
{
    if (pool->nusers > 1)
        qsort(pool->users, pool->nusers, sizeof(pool->users[0]), by_username);
}

static int64_t int_of(struct json_object *o, const char *key)
{
    struct json_object *v = json_object_object_get(o, key);
    return v != NULL && json_object_is_type(v, json_type_int) ? json_object_get_int64(v) : 0;
}

static cog_status parse_user(const struct cog_config *cfg, struct json_object *o,
                             struct cog_pool *pool, struct cog_error *err)
{
    const char *username = cog_json_string(o, "Username"),
               *status = cog_json_string(o, "UserStatus");
    struct json_object *groups = json_object_object_get(o, "Groups"), *v;
    if (username == NULL || groups == NULL || !json_object_is_type(groups, json_type_array))
        return cog_error_set(err, COG_ERR_INVALID_INPUT, NULL, "a user without Username or Groups");
    struct cog_pool_user *u = cog_pool_add_user(pool);
    if (u == NULL || (u->username = cog_pool_strdup(pool, username)) == NULL ||
        (u->status = cog_pool_strdup(pool, status ? status : "UNKNOWN")) == NULL)
        return cog_error_set(err, COG_ERR_NOMEM, NULL, "out of memory");
    u->created = int_of(o, "UserCreateDate");
    u->enabled = json_object_object_get_ex(o, "Enabled", &v) ? json_object_get_boolean(v) : true;
    for (size_t i = 0; i < json_object_array_length(groups); i++) {
        const char *g = json_object_get_string(json_object_array_get_idx(groups, i));
        if (g != NULL && !cog_pool_user_add_group(pool, u, g))
            return cog_error_set(err, COG_ERR_NOMEM, NULL, "out of memory");
    }
    cog_status st =
        cog_pool_user_set_attributes(pool, u, cfg, json_object_object_get(o, "Attributes"), err);
    return st == COG_OK ? COG_OK : COG_ERR_INVALID_INPUT;
}

static cog_status parse_group(struct json_object *g, struct cog_pool *pool, struct cog_error *err)
{
    const char *name = cog_json_string(g, "GroupName");
    struct cog_pool_group *pg = name != NULL ? cog_pool_add_group(pool) : NULL;
    if (name == NULL)
        return cog_error_set(err, COG_ERR_INVALID_INPUT, NULL, "a group without a name");
    if (pg == NULL || (pg->name = cog_pool_strdup(pool, name)) == NULL)
        return cog_error_set(err, COG_ERR_NOMEM, NULL, "out of memory");
    pg->created = int_of(g, "CreationDate");
    return COG_OK;
}

/* The header line: this serial, these attribute names. */
static cog_status check_header(const struct cog_config *cfg, struct json_object *h, int64_t serial,
                               struct cog_error *err)
{
    char key[512];
    const char *have = cog_json_string(h, "attributes");
    attribute_key(cfg, key, sizeof(key));
    if (int_of(h, "format") != STATE_FORMAT)
        return cog_error_set(err, COG_ERR_INVALID_INPUT, NULL, "%s is damaged", COG_EXPORT_STATE);
    if (int_of(h, "serial") != serial)
        return cog_error_set(err, COG_ERR_INVALID_INPUT, NULL,
                             "%s belongs to serial %lld, the previous snapshot is %lld",
                             COG_EXPORT_STATE, (long long)int_of(h, "serial"), (long long)serial);
    if (have == NULL || strcmp(have, key) != 0)
        return cog_error_set(err, COG_ERR_INVALID_INPUT, NULL,
                             "%s was made with other username/uid/ssh-key attributes",
                             COG_EXPORT_STATE);
    return COG_OK;
}

cog_status cog_export_state_parse(const struct cog_config *cfg, const char *text, size_t len,
                                  int64_t serial, struct cog_pool *pool, int64_t *events_until,
                                  struct cog_error *err)
{
    struct json_tokener *tok = json_tokener_new();
    cog_status st = COG_OK;
    size_t at = 0;

    if (tok == NULL)
        return cog_error_set(err, COG_ERR_NOMEM, NULL, "out of memory");
    for (size_t line = 0; st == COG_OK && at < len; line++) {
        const char *nl = memchr(text + at, '\n', len - at);
        size_t n = nl != NULL ? (size_t)(nl - (text + at)) : len - at;
        struct json_object *o = NULL;
        json_tokener_reset(tok);
        if (nl != NULL && n <= INT32_MAX)
            o = json_tokener_parse_ex(tok, text + at, (int)n);
        if (o == NULL || json_tokener_get_parse_end(tok) != n ||
            !json_object_is_type(o, json_type_object)) {
            st = cog_error_set(err, COG_ERR_INVALID_INPUT, NULL, "%s is damaged (line %zu)",
                               COG_EXPORT_STATE, line + 1);
        } else if (line == 0) {
            if ((st = check_header(cfg, o, serial, err)) == COG_OK)
                *events_until = int_of(o, "events_until");
        } else if (json_object_object_get_ex(o, "Username", NULL)) {
            st = parse_user(cfg, o, pool, err);
        } else {
            st = parse_group(o, pool, err);
        }
        json_object_put(o);
        at += n + 1;
    }
    if (st == COG_OK && at == 0)
        st = cog_error_set(err, COG_ERR_INVALID_INPUT, NULL, "%s is empty", COG_EXPORT_STATE);
    json_tokener_free(tok);
    return st;
}
