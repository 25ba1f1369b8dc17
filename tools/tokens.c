/* The user's token cache: only when asked (--cache-tokens), a file only the
 * user can read, in a directory only the user can enter. */
#include "build-config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>

#include "libcognito/signin/auth.h"
#include "libcognito/wire/idp.h"
#include "libcognito/core/util.h"
#include "tools/cmds.h"

#define TOKEN_FILE_MAX (64 * 1024)

int ctl_token_path(const char *given, char *buf, size_t len)
{
    const char *xdg = getenv("XDG_CACHE_HOME"), *home = getenv("HOME");
    int n;
    if (given != NULL)
        n = snprintf(buf, len, "%s", given);
    else if (xdg != NULL && xdg[0] == '/')
        n = snprintf(buf, len, "%s/cognitoctl/tokens.json", xdg);
    else if (home != NULL && home[0] == '/')
        n = snprintf(buf, len, "%s/.cache/cognitoctl/tokens.json", home);
    else {
        fprintf(stderr, "cognitoctl: no HOME: name the token file with --token-file\n");
        return EXIT_USAGE;
    }
    return n > 0 && (size_t)n < len ? EXIT_OK : EXIT_USAGE;
}

/* mkdir -p of path's directory, each new level 0700. */
static bool make_parent(char *path)
{
    char *slash = strrchr(path, '/');
    if (slash == NULL || slash == path)
        return true;
    *slash = '\0';
    bool ok = mkdir(path, 0700) == 0 || errno == EEXIST;
    if (!ok && errno == ENOENT)
        ok = make_parent(path) && (mkdir(path, 0700) == 0 || errno == EEXIST);
    *slash = '/';
    return ok;
}

int ctl_tokens_save(const char *path, const struct cog_auth_result *res)
{
    struct cog_error err = {0};
    char dir[4096];
    struct json_object *o = json_object_new_object();
    int rc = EXIT_INTERNAL;
    if (o == NULL)
        return rc;
    cog_json_add_string(o, "username", res->username);
    cog_json_add_string(o, "id_token", res->id_token);
    cog_json_add_string(o, "access_token", res->access_token);
    if (res->refresh_token != NULL)
        cog_json_add_string(o, "refresh_token", res->refresh_token);
    json_object_object_add(o, "expires_at",
                           json_object_new_int64((int64_t)time(NULL) + res->expires_in));
    const char *text = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN);
    snprintf(dir, sizeof(dir), "%s", path);
    if (!make_parent(dir)) {
        fprintf(stderr, "cognitoctl: cannot make the directory of %s\n", path);
        goto out;
    }
    if (cog_write_file_atomic(path, text, strlen(text), 0600, &err) != COG_OK) {
        fprintf(stderr, "cognitoctl: %s\n", err.message);
        goto out;
    }
    rc = EXIT_OK;
out:
    cog_json_put_wiped(o);
    return rc;
}

int ctl_tokens_load(const char *path, struct cog_auth_result *res, long long *expires_at)
{
    struct cog_error err = {0};
    char *buf = NULL;
    size_t len = 0;
    unsigned mode = 0;
    struct json_object *o = NULL;
    int rc = EXIT_REFUSED;
    memset(res, 0, sizeof(*res));
    if (cog_read_trusted_file(path, TOKEN_FILE_MAX, &buf, &len, &mode, &err) != COG_OK) {
        fprintf(stderr, "cognitoctl: no usable token cache: %s (log in with --cache-tokens)\n",
                err.message);
        return rc;
    }
    if ((mode & 077) != 0) {
        fprintf(stderr, "cognitoctl: %s is readable by others: not used (chmod 0600)\n", path);
        goto out;
    }
    o = json_tokener_parse(buf);
    const char *user = cog_json_string(o, "username"), *id = cog_json_string(o, "id_token"),
               *access = cog_json_string(o, "access_token"),
               *refresh = cog_json_string(o, "refresh_token");
    if (user == NULL || id == NULL || access == NULL) {
        fprintf(stderr, "cognitoctl: %s is damaged\n", path);
        goto out;
    }
    res->username = strdup(user);
    res->id_token = strdup(id);
    res->access_token = strdup(access);
    res->refresh_token = cog_strdup(refresh);
    *expires_at = json_object_get_int64(json_object_object_get(o, "expires_at"));
    rc = res->username && res->id_token && res->access_token && (!refresh || res->refresh_token)
             ? EXIT_OK
             : EXIT_INTERNAL;
out:
    cog_json_put_wiped(o);
    cog_free_secret(buf);
    return rc;
}
