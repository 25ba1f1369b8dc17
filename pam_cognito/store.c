#include "build-config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "libcognito/wire/idp.h"
#include "libcognito/core/util.h"
#include "pam_cognito/store.h"

/* Larger than any record: a session's three tokens are a few KiB. */
#define RECORD_MAX (64 * 1024)

/* Makes the missing parents of path (0755), as a package would. */
static void make_parents(const char *path)
{
    char *copy = strdup(path);
    if (copy == NULL)
        return;
    char *slash = strrchr(copy, '/');
    if (slash != NULL && slash != copy) {
        *slash = '\0';
        struct stat sb;
        if (lstat(copy, &sb) != 0 && errno == ENOENT) {
            make_parents(copy);
            (void)cog_mkdir_mode(copy, 0755);
        }
    }
    free(copy);
}

cog_status pc_store_dir(const char *dir, bool create, struct cog_error *err)
{
    struct stat sb;
    if (lstat(dir, &sb) != 0) {
        if (errno != ENOENT)
            return cog_error_set(err, COG_ERR_CONFIG, NULL, "%s: %s", dir, strerror(errno));
        if (!create)
            return cog_error_set(err, COG_ERR_INVALID_INPUT, NULL, "%s: no such directory", dir);
        make_parents(dir);
        if (cog_mkdir_mode(dir, 0700) != 0 && errno != EEXIST)
            return cog_error_set(err, COG_ERR_CONFIG, NULL, "%s: cannot create: %s", dir,
                                 strerror(errno));
        if (lstat(dir, &sb) != 0)
            return cog_error_set(err, COG_ERR_CONFIG, NULL, "%s: %s", dir, strerror(errno));
    }
    /* The directory decides whose records count: it must be ours alone. */
    if (!S_ISDIR(sb.st_mode) || sb.st_uid != geteuid() || (sb.st_mode & 077) != 0)
        return cog_error_set(err, COG_ERR_CONFIG, NULL,
                             "%s: must be a directory only its owner can use (chmod 0700)", dir);
    return COG_OK;
}

char *pc_store_path(const char *dir, const char *key)
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int n = 0;
    char hex[2 * EVP_MAX_MD_SIZE + 1];
    char *path = NULL;

    if (EVP_Digest(key, strlen(key), md, &n, EVP_sha256(), NULL) != 1)
        return NULL;
    cog_hex_encode(md, n, hex);
    if (asprintf(&path, "%s/%s", dir, hex) < 0)
        return NULL;
    return path;
}

cog_status pc_store_write(const char *dir, const char *key, struct json_object *o,
                          struct cog_error *err)
{
    cog_status st;
    char *path = NULL;
    size_t len = 0;

    st = pc_store_dir(dir, true, err);
    if (st != COG_OK)
        goto out;
    path = pc_store_path(dir, key);
    const char *text = json_object_to_json_string_length(o, JSON_C_TO_STRING_PLAIN, &len);
    if (path == NULL || text == NULL) {
        st = cog_error_set(err, COG_ERR_NOMEM, NULL, "out of memory");
        goto out;
    }
    st = cog_write_file_atomic(path, text, len, 0600, err);
    cog_wipe((char *)text, len);
out:
    free(path);
    return st;
}

cog_status pc_store_read(const char *dir, const char *key, struct json_object **o,
                         struct cog_error *err)
{
    cog_status st;
    char *path = NULL, *buf = NULL;
    size_t len = 0;
    unsigned mode = 0;

    *o = NULL;
    st = pc_store_dir(dir, false, err);
    if (st != COG_OK)
        goto out;
    path = pc_store_path(dir, key);
    if (path == NULL) {
        st = cog_error_set(err, COG_ERR_NOMEM, NULL, "out of memory");
        goto out;
    }
    st = cog_read_trusted_file(path, RECORD_MAX, &buf, &len, &mode, err);
    if (st != COG_OK)
        goto out;
    if (mode & 077) {
        st = cog_error_set(err, COG_ERR_CONFIG, NULL, "%s: not private to its owner", path);
        goto out;
    }
    struct cog_error ignored;
    if (cog_idp_parse_body(buf, len, o, &ignored) != COG_OK)
        st = cog_error_set(err, COG_ERR_INVALID_INPUT, NULL, "%s: not a record", path);
out:
    if (buf != NULL) {
        cog_wipe(buf, len);
        free(buf);
    }
    free(path);
    return st;
}

/* Overwrites a record with zeros, then removes it: tokens and verifiers
 * should not outlive their name (on tmpfs this frees the last copy). */
static void wipe_and_unlink(const char *path)
{
    struct stat sb;
    int fd = open(path, O_WRONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY);

    if (fd >= 0 && fstat(fd, &sb) == 0 && S_ISREG(sb.st_mode) && sb.st_size > 0 &&
        sb.st_size <= RECORD_MAX) {
        char zeros[4096] = {0};
        for (off_t left = sb.st_size; left > 0;) {
            ssize_t n =
                write(fd, zeros, left < (off_t)sizeof(zeros) ? (size_t)left : sizeof(zeros));
            if (n <= 0)
                break;
            left -= n;
        }
        fdatasync(fd);
    }
    if (fd >= 0)
        close(fd);
    unlink(path);
}

void pc_store_remove(const char *dir, const char *key)
{
    struct cog_error ignored;
    char *path = NULL;

    if (pc_store_dir(dir, false, &ignored) != COG_OK)
        goto out;
    if ((path = pc_store_path(dir, key)) != NULL)
        wipe_and_unlink(path);
out:
    free(path);
}

void pc_store_sweep(const char *dir, bool (*stale)(struct json_object *o, void *ctx), void *ctx)
{
    struct cog_error ignored;
    DIR *d = NULL;
    struct dirent *e;

    if (pc_store_dir(dir, false, &ignored) != COG_OK || (d = opendir(dir)) == NULL)
        goto out;
    while ((e = readdir(d)) != NULL) {
        char *path = NULL, *buf = NULL;
        size_t len = 0;
        unsigned mode = 0;
        struct json_object *o = NULL;
        /* Records only: 64 hex digits (temp files have a suffix). */
        if (strlen(e->d_name) != 64 || strspn(e->d_name, "0123456789abcdef") != 64 ||
            asprintf(&path, "%s/%s", dir, e->d_name) < 0)
            continue;
        if (cog_read_trusted_file(path, RECORD_MAX, &buf, &len, &mode, &ignored) == COG_OK &&
            cog_idp_parse_body(buf, len, &o, &ignored) == COG_OK && stale(o, ctx))
            wipe_and_unlink(path);
        if (buf != NULL) {
            cog_wipe(buf, len);
            free(buf);
        }
        cog_json_put_wiped(o);
        free(path);
    }
out:
    if (d != NULL)
        closedir(d);
}

bool pc_json_add_int(struct json_object *o, const char *key, long long v)
{
    struct json_object *x = json_object_new_int64(v);
    if (x != NULL && json_object_object_add(o, key, x) == 0)
        return true;
    json_object_put(x);
    return false;
}

bool pc_json_add_bool(struct json_object *o, const char *key, bool v)
{
    struct json_object *x = json_object_new_boolean(v);
    if (x != NULL && json_object_object_add(o, key, x) == 0)
        return true;
    json_object_put(x);
    return false;
}

bool pc_json_int(struct json_object *o, const char *key, long long *v)
{
    struct json_object *x;
    if (!json_object_object_get_ex(o, key, &x) || !json_object_is_type(x, json_type_int))
        return false;
    *v = json_object_get_int64(x);
    return true;
}

bool pc_json_bool(struct json_object *o, const char *key, bool *v)
{
    struct json_object *x;
    if (!json_object_object_get_ex(o, key, &x) || !json_object_is_type(x, json_type_boolean))
        return false;
    *v = json_object_get_boolean(x);
    return true;
}
