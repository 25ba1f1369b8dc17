#include "build-config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <json-c/json.h>
#include <openssl/evp.h>

#include "libcognito/idp.h"
#include "libcognito/util.h"
#include "pam_cognito/state.h"

#define RECORD_MAX (64 * 1024)
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
    memset(st, 0, sizeof(*st));
}

/* The directory decides whose login counts: it must be root's alone. */
static cog_status check_dir(const char *dir, bool create, struct cog_error *err)
{
    struct stat sb;
    if (lstat(dir, &sb) != 0) {
        if (errno != ENOENT)
            return cog_error_set(err, COG_ERR_CONFIG, NULL, "%s: %s", dir, strerror(errno));
        if (!create)
            return cog_error_set(err, COG_ERR_INVALID_INPUT, NULL, "%s: no such directory", dir);
        if (mkdir(dir, 0700) != 0 && errno != EEXIST)
            return cog_error_set(err, COG_ERR_CONFIG, NULL, "%s: cannot create: %s", dir,
                                 strerror(errno));
        if (lstat(dir, &sb) != 0)
            return cog_error_set(err, COG_ERR_CONFIG, NULL, "%s: %s", dir, strerror(errno));
    }
    if (!S_ISDIR(sb.st_mode) || sb.st_uid != geteuid() || (sb.st_mode & 077) != 0)
        return cog_error_set(err, COG_ERR_CONFIG, NULL,
                             "%s: must be a directory only its owner can use (chmod 0700)", dir);
    return COG_OK;
}

/* dir/<hex SHA-256 of the user>: any user name makes a safe file name. */
static char *record_path(const char *dir, const char *user)
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int n = 0;
    char hex[2 * EVP_MAX_MD_SIZE + 1];
    char *path = NULL;

    if (EVP_Digest(user, strlen(user), md, &n, EVP_sha256(), NULL) != 1)
        return NULL;
    cog_hex_encode(md, n, hex);
    if (asprintf(&path, "%s/%s", dir, hex) < 0)
        return NULL;
    return path;
}

static bool add_int(struct json_object *o, const char *key, long long v)
{
    struct json_object *x = json_object_new_int64(v);
    if (x != NULL && json_object_object_add(o, key, x) == 0)
        return true;
    json_object_put(x);
    return false;
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
    if (!add_int(o, "version", 1) || !cog_json_add_string(o, "user", st->user) ||
        json_object_object_add(o, "groups", groups) != 0) {
        goto fail;
    }
    groups = NULL;
    if (json_object_object_add(o, "mfa", mfa) != 0)
        goto fail;
    mfa = NULL;
    if (!add_int(o, "auth_time", st->auth_time) || !add_int(o, "expires", st->expires))
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
    char *path = NULL;
    struct json_object *o = NULL;

    rc = check_dir(dir, true, err);
    if (rc != COG_OK)
        goto out;
    path = record_path(dir, st->user);
    o = to_json(st);
    if (path == NULL || o == NULL) {
        rc = cog_error_set(err, COG_ERR_NOMEM, NULL, "out of memory");
        goto out;
    }
    size_t len = 0;
    const char *text = json_object_to_json_string_length(o, JSON_C_TO_STRING_PLAIN, &len);
    if (text == NULL) {
        rc = cog_error_set(err, COG_ERR_NOMEM, NULL, "out of memory");
        goto out;
    }
    rc = cog_write_file_atomic(path, text, len, 0600, err);
out:
    json_object_put(o);
    free(path);
    return rc;
}

static bool read_int(struct json_object *o, const char *key, long long *v)
{
    struct json_object *x;
    if (!json_object_object_get_ex(o, key, &x) || !json_object_is_type(x, json_type_int))
        return false;
    *v = json_object_get_int64(x);
    return true;
}

static cog_status from_json(struct json_object *o, const char *user, struct pc_state *st)
{
    struct json_object *groups, *mfa;
    long long version;
    const char *name = cog_json_string(o, "user");

    if (!read_int(o, "version", &version) || version != 1 || name == NULL ||
        strcmp(name, user) != 0 || !read_int(o, "auth_time", &st->auth_time) ||
        !read_int(o, "expires", &st->expires) || !json_object_object_get_ex(o, "groups", &groups) ||
        !json_object_is_type(groups, json_type_array) ||
        json_object_array_length(groups) > PC_MAX_GROUPS ||
        !json_object_object_get_ex(o, "mfa", &mfa) || !json_object_is_type(mfa, json_type_boolean))
        return COG_ERR_INVALID_INPUT;
    st->passed_mfa = json_object_get_boolean(mfa);
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
    char *path = NULL, *buf = NULL;
    size_t len = 0;
    unsigned mode = 0;
    struct json_object *o = NULL;

    memset(st, 0, sizeof(*st));
    rc = check_dir(dir, false, err);
    if (rc != COG_OK)
        goto out;
    path = record_path(dir, user);
    if (path == NULL) {
        rc = cog_error_set(err, COG_ERR_NOMEM, NULL, "out of memory");
        goto out;
    }
    rc = cog_read_trusted_file(path, RECORD_MAX, &buf, &len, &mode, err);
    if (rc != COG_OK)
        goto out;
    if (mode & 077) {
        rc = cog_error_set(err, COG_ERR_CONFIG, NULL, "%s: not private to its owner", path);
        goto out;
    }
    o = json_tokener_parse(buf);
    rc = o ? from_json(o, user, st) : COG_ERR_INVALID_INPUT;
    if (rc != COG_OK) {
        rc = cog_error_set(err, rc, NULL, "%s: not a login record of this user", path);
        goto out;
    }
    if (now >= st->expires || now + SKEW < st->auth_time) {
        /* Spent: nobody should read it again. */
        unlink(path);
        rc = cog_error_set(err, COG_ERR_INVALID_INPUT, NULL, "%s: expired", path);
        goto out;
    }
out:
    if (rc != COG_OK)
        pc_state_free(st);
    json_object_put(o);
    free(buf);
    free(path);
    return rc;
}

void pc_state_remove(const char *dir, const char *user)
{
    struct cog_error ignored;
    char *path;
    if (check_dir(dir, false, &ignored) != COG_OK)
        return;
    path = record_path(dir, user);
    if (path != NULL)
        unlink(path);
    free(path);
}
