/* The cache's files: a built image replaced atomically (temp file, fsync,
 * read back and checked, the lock still ours, rename) and readers told
 * through the old file's notify word (cache_format.h). */
#include "build-config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
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

enum cog_cache_rc cog_cache_map_load(struct cog_cache_map *m, const char *path,
                                     enum cog_disk_kind kind)
{
    struct stat sb;
    int fd;
    void *copy = NULL;

    memset(m, 0, sizeof(*m));
    enum cog_cache_rc rc = cog_cache_open_checked(path, &fd, &sb);
    if (rc != COG_CACHE_OK)
        return rc;
    size_t len = (size_t)sb.st_size;
    if (len > COG_CACHE_READ_MAX) {
        rc = cog_cache_fetch_open(m, fd, &sb, kind);
        if (rc != COG_CACHE_OK)
            close(fd);
        return rc;
    }
    /* 8-byte aligned, as the reader needs (malloc's alignment is more). */
    rc = COG_CACHE_ERROR;
    if ((copy = malloc(len)) == NULL)
        goto out;
    for (size_t off = 0; off < len;) {
        ssize_t n = pread(fd, (char *)copy + off, len - off, (off_t)off);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) /* it shrank under us: not a file of ours any more */
            goto out;
        off += (size_t)n;
    }
    if ((rc = cog_cache_map_buffer(m, copy, len, kind)) != COG_CACHE_OK)
        goto out;
    m->loaded = true;
    m->dev = sb.st_dev;
    m->ino = sb.st_ino;
    copy = NULL;
out:
    free(copy);
    close(fd);
    return rc;
}

/* Sets the notify word of the file open as fd to one past seen (its value
 * when it was opened: only writers, who hold the lock, change it). */
static bool bump_notify(int fd, uint32_t seen)
{
    uint32_t v = seen + 1;
    off_t at = (off_t)offsetof(struct cog_disk_header, notify);
    return pwrite(fd, &v, sizeof(v), at) == (ssize_t)sizeof(v);
}

/* The file at path, open for bumping, when it is one of ours; *seen its
 * notify word. */
static int open_for_notify(const char *path, uint32_t *seen)
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
    *seen = h.notify;
    return fd;
}

/* data into a new file beside path (*fd left open), its writeback started:
 * the files of one set reach the disk together, and their fsyncs, one
 * after the other, then mostly find the journal already committed. */
static cog_status stage(const char *path, const struct cog_cache_image *img, bool sync, char **tmp,
                        int *fd, struct cog_error *err)
{
    if (asprintf(tmp, "%s.XXXXXX", path) < 0) {
        *tmp = NULL;
        return cog_error_set(err, COG_ERR_NOMEM, NULL, "out of memory");
    }
    *fd = mkostemp(*tmp, O_CLOEXEC);
    if (*fd < 0 || fchmod(*fd, (mode_t)img->mode) != 0)
        return cog_error_set(err, COG_ERR_CONFIG, NULL, "%s: cannot create: %s", *tmp,
                             strerror(errno));
    for (size_t off = 0; off < img->len;) {
        ssize_t n = write(*fd, (const char *)img->data + off, img->len - off);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return cog_error_set(err, COG_ERR_CONFIG, NULL, "%s: write: %s", *tmp,
                                 n < 0 ? strerror(errno) : "short write");
        off += (size_t)n;
    }
    if (sync)
        (void)sync_file_range(*fd, 0, 0, SYNC_FILE_RANGE_WRITE); /* a hint: fsync follows */
    return COG_OK;
}

/* A staged file synced, closed, then read back whole: a short write
 * (RLIMIT_FSIZE, a full disk) fails here, before any rename. Unsynced (a
 * journaled login's image, whose checked record is already on disk), its
 * size is checked instead; the next writer's settle compares the bytes. */
static cog_status settle(const char *tmp, int *fd, const struct cog_cache_image *img, bool sync,
                         struct cog_error *err)
{
    const struct cog_disk_header *h = img->data;
    struct cog_cache_map back;
    struct stat sb;
    cog_status st = COG_OK;

    if (sync && fsync(*fd) != 0)
        st = cog_error_set(err, COG_ERR_CONFIG, NULL, "%s: fsync: %s", tmp, strerror(errno));
    if (!sync && st == COG_OK && (fstat(*fd, &sb) != 0 || (uint64_t)sb.st_size != img->len))
        st = cog_error_set(err, COG_ERR_CONFIG, NULL, "%s: the file written is not whole", tmp);
    if (close(*fd) != 0 && st == COG_OK)
        st = cog_error_set(err, COG_ERR_CONFIG, NULL, "%s: close: %s", tmp, strerror(errno));
    *fd = -1;
    if (st != COG_OK || !sync)
        return st;
    /* The body's sum reads every byte: a large file is mapped for it. */
    enum cog_disk_kind kind = img->len >= sizeof(*h) ? (enum cog_disk_kind)h->kind : COG_DISK_NSS;
    if (img->len < sizeof(*h) ||
        (img->len > COG_CACHE_READ_MAX ? cog_cache_map_open(&back, tmp, kind)
                                       : cog_cache_map_load(&back, tmp, kind)) != COG_CACHE_OK)
        return cog_error_set(err, COG_ERR_CONFIG, NULL, "%s: the file written is not whole", tmp);
    bool whole = back.size == img->len && cog_cache_map_verify(&back);
    cog_cache_map_close(&back);
    if (!whole)
        st = cog_error_set(err, COG_ERR_CONFIG, NULL, "%s: the file written is not whole", tmp);
    return st;
}

/* path's name for the K-th file set aside (cache.h), in buf. */
static bool aside_name(char *buf, size_t len, const char *path, unsigned k)
{
    int n = snprintf(buf, len, "%s.aside-%u", path, k % COG_CACHE_ASIDE_RING);
    return n > 0 && (size_t)n < len;
}

/* The old file of path, now under the temp name old, set aside for the
 * next writer that is not a login to remove (cog_cache_tidy_aside): on a
 * file system mounted with `discard`, freeing a written-back file's blocks
 * waits for a TRIM (about 190 µs a file on the ext4 we measure on). Three
 * places, picked by the last characters of the temp name (mkostemp's
 * random tail), so a ring a fraction f full fails f^3 of the time and a
 * full one costs three failed renames; then the file is removed. */
static void set_aside(const char *path, const char *old)
{
    char name[PATH_MAX];
    size_t len = strlen(old);
    for (size_t t = 1; t <= 3 && t <= len; t++) {
        if (!aside_name(name, sizeof(name), path, (unsigned char)old[len - t]))
            break;
        if (renameat2(AT_FDCWD, old, AT_FDCWD, name, RENAME_NOREPLACE) == 0)
            return;
        if (errno != EEXIST)
            break;
    }
    (void)unlink(old);
}

void cog_cache_tidy_aside(const char *dir, const char *name)
{
    char *path = cog_cache_path(dir, name);
    char buf[PATH_MAX];
    for (unsigned k = 0; path != NULL && k < COG_CACHE_ASIDE_RING; k++) {
        if (aside_name(buf, sizeof(buf), path, k))
            (void)unlink(buf);
    }
    free(path);
}

/* DIR/NAME (path) replaced by its settled temp file, lk checked first.
 * Unsynced (a journaled login), the two names are exchanged and the old
 * file's set aside: ext4 starts writing a file renamed over another at once
 * (auto_da_alloc, for writers that skip fsync), so the next login would
 * free blocks on disk; exchanged, a file replaced before the kernel's own
 * writeback (about 30 s) never had any, and one that had is freed later.
 * Where the file system cannot exchange, or there is no old file, a rename. */
static cog_status commit(const struct cog_cache_lock *lk, const char *path, char **tmp, bool sync,
                         struct cog_error *err)
{
    cog_status st;
    /* Opened before the rename: afterwards the name means the new file.
     * Unsynced, these are the logins files, whose notify words no reader
     * watches: the login bumps nss.cache's once it is done. */
    uint32_t seen = 0;
    int old = sync ? open_for_notify(path, &seen) : -1;
    if ((st = cog_cache_lock_check(lk, err)) != COG_OK)
        goto out;
    if (!sync && renameat2(AT_FDCWD, *tmp, AT_FDCWD, path, RENAME_EXCHANGE) == 0) {
        set_aside(path, *tmp); /* the old file, under the temp name now */
    } else if (rename(*tmp, path) != 0) {
        st = cog_error_set(err, COG_ERR_CONFIG, NULL, "%s: rename: %s", path, strerror(errno));
        goto out;
    }
    free(*tmp);
    *tmp = NULL;
    if (old >= 0)
        bump_notify(old, seen);
out:
    if (old >= 0)
        close(old);
    return st;
}

static cog_status replace_set(const struct cog_cache_lock *lk, const char *dir,
                              const struct cog_cache_image *imgs, size_t n, bool sync,
                              struct cog_error *err)
{
    cog_status st = COG_OK;
    char *path[COG_CACHE_SET_MAX] = {0}, *tmp[COG_CACHE_SET_MAX] = {0};
    int fd[COG_CACHE_SET_MAX];
    size_t i;

    for (i = 0; i < COG_CACHE_SET_MAX; i++)
        fd[i] = -1;
    if (n > COG_CACHE_SET_MAX) {
        st = cog_error_set(err, COG_ERR_INTERNAL, NULL, "too many cache files at once");
        goto out;
    }
    for (i = 0; i < n && st == COG_OK; i++) {
        if ((path[i] = cog_cache_path(dir, imgs[i].name)) == NULL)
            st = cog_error_set(err, COG_ERR_NOMEM, NULL, "out of memory");
        else
            st = stage(path[i], &imgs[i], sync, &tmp[i], &fd[i], err);
    }
    for (i = 0; i < n && st == COG_OK; i++)
        st = settle(tmp[i], &fd[i], &imgs[i], sync, err);
    for (i = 0; i < n && st == COG_OK; i++)
        st = commit(lk, path[i], &tmp[i], sync, err);
out:
    for (i = 0; i < COG_CACHE_SET_MAX; i++) {
        if (fd[i] >= 0)
            close(fd[i]);
        if (tmp[i] != NULL)
            unlink(tmp[i]);
        free(tmp[i]);
        free(path[i]);
    }
    return st;
}

cog_status cog_cache_replace_set(const struct cog_cache_lock *lk, const char *dir,
                                 const struct cog_cache_image *imgs, size_t n,
                                 struct cog_error *err)
{
    return replace_set(lk, dir, imgs, n, true, err);
}

cog_status cog_cache_replace_set_unsynced(const struct cog_cache_lock *lk, const char *dir,
                                          const struct cog_cache_image *imgs, size_t n,
                                          struct cog_error *err)
{
    return replace_set(lk, dir, imgs, n, false, err);
}

cog_status cog_cache_replace(const struct cog_cache_lock *lk, const char *dir, const char *name,
                             const void *data, size_t len, unsigned mode, struct cog_error *err)
{
    struct cog_cache_image img = {name, data, len, mode};
    return cog_cache_replace_set(lk, dir, &img, 1, err);
}

cog_status cog_cache_notify(const char *dir, const char *name, struct cog_error *err)
{
    char *path = cog_cache_path(dir, name);
    if (path == NULL)
        return cog_error_set(err, COG_ERR_NOMEM, NULL, "out of memory");
    uint32_t seen = 0;
    int fd = open_for_notify(path, &seen);
    bool ok = fd >= 0 && bump_notify(fd, seen);
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
