/* The cache's files: a built image replaced atomically (temp file, fsync,
 * read back and checked, the lock still ours, rename) and readers told
 * through the old file's notify word (cache_format.h). */
#include "build-config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "libcognito/cache/cache.h"

char *cog_cache_path(const char *dir, const char *name)
{
    char *p = NULL;
    if (asprintf(&p, "%s/%s", dir, name) < 0)
        return NULL;
    return p;
}

/* Adds one to the notify word of the file open as fd. */
static bool bump_notify(int fd)
{
    uint32_t v;
    off_t at = (off_t)offsetof(struct cog_disk_header, notify);
    if (pread(fd, &v, sizeof(v), at) != (ssize_t)sizeof(v))
        return false;
    v++;
    return pwrite(fd, &v, sizeof(v), at) == (ssize_t)sizeof(v);
}

/* The file at path, open for bumping, when it is one of ours. */
static int open_for_notify(const char *path)
{
    struct cog_disk_header h;
    int fd = open(path, O_RDWR | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY);
    if (fd < 0)
        return -1;
    if (pread(fd, &h, sizeof(h), 0) != (ssize_t)sizeof(h) ||
        memcmp(h.magic, COG_DISK_MAGIC, 8) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

/* data into a new file beside path, synced, then read back whole: a short
 * write (RLIMIT_FSIZE, a full disk) fails here, before any rename. */
static cog_status write_checked(const char *path, const void *data, size_t len, unsigned mode,
                                char **tmp, struct cog_error *err)
{
    cog_status st = COG_OK;
    const struct cog_disk_header *h = data;
    struct cog_cache_map back;
    int fd = -1;

    if (asprintf(tmp, "%s.XXXXXX", path) < 0) {
        *tmp = NULL;
        return cog_error_set(err, COG_ERR_NOMEM, NULL, "out of memory");
    }
    fd = mkostemp(*tmp, O_CLOEXEC);
    if (fd < 0 || fchmod(fd, (mode_t)mode) != 0) {
        st = cog_error_set(err, COG_ERR_CONFIG, NULL, "%s: cannot create: %s", *tmp,
                           strerror(errno));
        goto out;
    }
    for (size_t off = 0; off < len;) {
        ssize_t n = write(fd, (const char *)data + off, len - off);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            st = cog_error_set(err, COG_ERR_CONFIG, NULL, "%s: write: %s", *tmp,
                               n < 0 ? strerror(errno) : "short write");
            goto out;
        }
        off += (size_t)n;
    }
    if (fsync(fd) != 0) {
        st = cog_error_set(err, COG_ERR_CONFIG, NULL, "%s: fsync: %s", *tmp, strerror(errno));
        goto out;
    }
    if (len < sizeof(*h) ||
        cog_cache_map_open(&back, *tmp, (enum cog_disk_kind)h->kind) != COG_CACHE_OK) {
        st = cog_error_set(err, COG_ERR_CONFIG, NULL, "%s: the file written is not whole", *tmp);
        goto out;
    }
    bool whole = back.size == len && cog_cache_map_verify(&back);
    cog_cache_map_close(&back);
    if (!whole)
        st = cog_error_set(err, COG_ERR_CONFIG, NULL, "%s: the file written is not whole", *tmp);
out:
    if (fd >= 0 && close(fd) != 0 && st == COG_OK)
        st = cog_error_set(err, COG_ERR_CONFIG, NULL, "%s: close: %s", *tmp, strerror(errno));
    return st;
}

cog_status cog_cache_replace(const struct cog_cache_lock *lk, const char *dir, const char *name,
                             const void *data, size_t len, unsigned mode, struct cog_error *err)
{
    cog_status st;
    char *path = cog_cache_path(dir, name), *tmp = NULL;
    int old = -1;

    if (path == NULL) {
        st = cog_error_set(err, COG_ERR_NOMEM, NULL, "out of memory");
        goto out;
    }
    if ((st = write_checked(path, data, len, mode, &tmp, err)) != COG_OK)
        goto out;
    /* Opened before the rename: afterwards the name means the new file. */
    old = open_for_notify(path);
    if ((st = cog_cache_lock_check(lk, err)) != COG_OK)
        goto out;
    if (rename(tmp, path) != 0) {
        st = cog_error_set(err, COG_ERR_CONFIG, NULL, "%s: rename: %s", path, strerror(errno));
        goto out;
    }
    free(tmp);
    tmp = NULL;
    if (old >= 0)
        bump_notify(old);
out:
    if (tmp != NULL) {
        unlink(tmp);
        free(tmp);
    }
    if (old >= 0)
        close(old);
    free(path);
    return st;
}

cog_status cog_cache_notify(const char *dir, const char *name, struct cog_error *err)
{
    char *path = cog_cache_path(dir, name);
    if (path == NULL)
        return cog_error_set(err, COG_ERR_NOMEM, NULL, "out of memory");
    int fd = open_for_notify(path);
    bool ok = fd >= 0 && bump_notify(fd);
    cog_status st = ok ? COG_OK
                       : cog_error_set(err, COG_ERR_CONFIG, NULL, "%s: cannot notify readers: %s",
                                       path, strerror(errno));
    if (fd >= 0)
        close(fd);
    free(path);
    return st;
}

cog_status cog_cache_sync_dir(const char *dir, struct cog_error *err)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0 || fsync(fd) != 0) {
        cog_status st =
            cog_error_set(err, COG_ERR_CONFIG, NULL, "%s: fsync: %s", dir, strerror(errno));
        if (fd >= 0)
            close(fd);
        return st;
    }
    close(fd);
    return COG_OK;
}
