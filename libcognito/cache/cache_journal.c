/* The logins journal: one fdatasync makes a login's cache update durable.
 *
 * A login's update replaces the three small logins files. Made durable
 * file by file that is four fsyncs (three files and the directory), most
 * of a new user's login. Instead the login appends one record holding the
 * three new images to DIR/logins.journal (root's, 0600) and fdatasyncs it
 * once; then it replaces the files without fsync. The record on disk is
 * the login's promise: after a crash the files may be old, or damaged, but
 * the journal's last record is what they must hold.
 *
 * Every writer first settles the journal under the lock (cog_cache_lock):
 * when the logins files differ from the last record, the record's images
 * are written back, durably. A writer other than a login then also makes
 * the logins files durable and empties the journal, so a record never
 * outlives the state it describes: a sync, a snapshot or a drop that
 * rewrites the files is never undone by an older login's record. A login
 * (cog_cache_lock_login) only settles, then appends; a journal grown past
 * JOURNAL_MAX is emptied the same way first.
 *
 * A record: head (magic, image count, payload length and sum), per image
 * (name length, data length, name, data, each padded to 8 bytes), tail
 * (record length, magic), so the last record is found from the end of the
 * file. Only the three logins files' names are accepted, each image must
 * be a sound file of its kind, and the modes come from here, not from the
 * journal. A torn last record (a crash mid-append: that login never
 * returned) is skipped: the one before it is the last. */
#include "build-config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "libcognito/cache/cache.h"

#define JOURNAL_MAX (1u << 20)
#define NIMG 3

static const char REC_MAGIC[8] = "COGJRN01", END_MAGIC[8] = "COGJEND1";

struct jhead {
    char magic[8];
    uint32_t nimg, reserved;
    uint64_t payload_len, payload_sum;
};
struct jimg {
    uint32_t name_len, reserved;
    uint64_t data_len;
};
struct jtail {
    uint64_t record_len;
    char magic[8];
};

/* The only files a record may name, with their kinds and modes. */
static const struct {
    const char *name;
    enum cog_disk_kind kind;
    unsigned mode;
} logins_files[NIMG] = {
    {COG_CACHE_ACCOUNTS_DELTA_FILE, COG_DISK_ACCOUNTS, COG_CACHE_PRIVATE_MODE},
    {COG_CACHE_KEYS_DELTA_FILE, COG_DISK_ACCOUNTS, COG_CACHE_PUBLIC_MODE},
    {COG_CACHE_NSS_DELTA_FILE, COG_DISK_NSS, COG_CACHE_PUBLIC_MODE},
};

static size_t pad8(size_t n)
{
    return (n + 7) & ~(size_t)7;
}

/* One record parsed: its images point into the record's buffer. */
struct jrecord {
    unsigned char *buf;
    size_t len;
    struct cog_cache_image img[NIMG];
};

static void record_free(struct jrecord *r)
{
    free(r->buf);
    memset(r, 0, sizeof(*r));
}

static int known_file(const char *name, size_t len)
{
    for (int i = 0; i < NIMG; i++)
        if (strlen(logins_files[i].name) == len && memcmp(logins_files[i].name, name, len) == 0)
            return i;
    return -1;
}

/* Whether buf (len bytes, 8-byte aligned) is one whole record naming each
 * logins file once with a sound image; fills r->img in the files' order. */
static bool parse(struct jrecord *r)
{
    struct jhead h;
    struct jtail t;
    struct cog_cache_map m;
    bool seen[NIMG] = {false};

    if (r->len < sizeof(h) + sizeof(t))
        return false;
    memcpy(&h, r->buf, sizeof(h));
    memcpy(&t, r->buf + r->len - sizeof(t), sizeof(t));
    if (memcmp(h.magic, REC_MAGIC, 8) != 0 || memcmp(t.magic, END_MAGIC, 8) != 0 ||
        t.record_len != r->len || h.nimg != NIMG ||
        h.payload_len != r->len - sizeof(h) - sizeof(t) ||
        h.payload_sum != cog_disk_checksum(r->buf + sizeof(h), h.payload_len))
        return false;
    size_t off = sizeof(h), end = sizeof(h) + h.payload_len;
    for (unsigned k = 0; k < NIMG; k++) {
        struct jimg e;
        if (end - off < sizeof(e))
            return false;
        memcpy(&e, r->buf + off, sizeof(e));
        off += sizeof(e);
        if (e.name_len > end - off || pad8(e.name_len) > end - off)
            return false;
        int i = known_file((const char *)r->buf + off, e.name_len);
        off += pad8(e.name_len);
        if (i < 0 || seen[i] || e.data_len > end - off || pad8(e.data_len) > end - off ||
            cog_cache_map_buffer(&m, r->buf + off, e.data_len, logins_files[i].kind) !=
                COG_CACHE_OK)
            return false;
        seen[i] = true;
        r->img[i] = (struct cog_cache_image){logins_files[i].name, r->buf + off, e.data_len,
                                             logins_files[i].mode};
        off += pad8(e.data_len);
    }
    return off == end;
}

/* The record of len bytes at off, if it is one. */
static bool read_record(int fd, off_t off, uint64_t len, struct jrecord *r)
{
    record_free(r);
    /* len is within the file (the callers check): one record may pass
     * JOURNAL_MAX (a host with very many logins since its last sync). */
    if (len > (uint64_t)SIZE_MAX / 2 || (r->buf = malloc(len ? len : 1)) == NULL)
        return false;
    r->len = len;
    if (pread(fd, r->buf, len, off) != (ssize_t)len || !parse(r)) {
        record_free(r);
        return false;
    }
    return true;
}

/* The last whole record of a journal of size bytes: found from its tail,
 * or, when the tail is torn, by walking the records from the start. */
static bool last_record(int fd, off_t size, struct jrecord *r)
{
    struct jtail t;
    struct jhead h;
    if (size >= (off_t)sizeof(t) &&
        pread(fd, &t, sizeof(t), size - (off_t)sizeof(t)) == (ssize_t)sizeof(t) &&
        memcmp(t.magic, END_MAGIC, 8) == 0 && t.record_len <= (uint64_t)size &&
        read_record(fd, size - (off_t)t.record_len, t.record_len, r))
        return true;
    bool found = false;
    struct jrecord cur = {0};
    for (off_t off = 0; off + (off_t)sizeof(h) <= size;) {
        if (pread(fd, &h, sizeof(h), off) != (ssize_t)sizeof(h) || h.payload_len > (uint64_t)size)
            break;
        uint64_t len = sizeof(h) + h.payload_len + sizeof(t);
        if (len > (uint64_t)(size - off) || !read_record(fd, off, len, &cur))
            break;
        record_free(r);
        *r = cur;
        memset(&cur, 0, sizeof(cur));
        found = true;
        off += (off_t)len;
    }
    record_free(&cur);
    return found;
}

/* DIR/logins.journal open read-write (appending) as *fd, which is -1 when
 * there is none (create: made then, and the directory synced). A journal
 * not root's own (or the caller's, when not root) is refused. */
static cog_status open_journal(const char *dir, bool create, int *fd, struct cog_error *err)
{
    struct stat sb;
    char *path = cog_cache_path(dir, COG_CACHE_JOURNAL_FILE);
    cog_status st = COG_OK;
    int flags = O_RDWR | O_APPEND | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY;

    *fd = -1;
    if (path == NULL)
        return cog_error_set(err, COG_ERR_NOMEM, NULL, "out of memory");
    *fd = open(path, flags);
    if (*fd < 0 && errno == ENOENT && create) {
        *fd = open(path, flags | O_CREAT | O_EXCL, 0600);
        if (*fd >= 0 && (st = cog_cache_sync_dir(dir, err)) != COG_OK)
            goto out;
    }
    if (*fd < 0) {
        if (errno != ENOENT)
            st = cog_error_set(err, COG_ERR_CONFIG, NULL, "%s: cannot open: %s", path,
                               strerror(errno));
        goto out;
    }
    if (fstat(*fd, &sb) != 0 || !S_ISREG(sb.st_mode) || sb.st_uid != geteuid() ||
        (sb.st_mode & 077) != 0)
        st = cog_error_set(err, COG_ERR_CONFIG, NULL,
                           "%s: not a regular file of this user's, mode 0600", path);
out:
    if (st != COG_OK && *fd >= 0) {
        close(*fd);
        *fd = -1;
    }
    free(path);
    return st;
}

/* Whether DIR/NAME holds exactly img. */
static bool file_holds(const char *dir, const struct cog_cache_image *img)
{
    char *path = cog_cache_path(dir, img->name);
    int fd = path ? open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY) : -1;
    unsigned char *got = malloc(img->len + 1);
    bool same = fd >= 0 && got != NULL && pread(fd, got, img->len + 1, 0) == (ssize_t)img->len &&
                memcmp(got, img->data, img->len) == 0;
    if (fd >= 0)
        close(fd);
    free(got);
    free(path);
    return same;
}

/* The logins files made durable as they are, then the journal emptied. */
static cog_status checkpoint(const struct cog_cache_lock *lk, const char *dir, int jfd,
                             struct cog_error *err)
{
    cog_status st;
    for (int i = 0; i < NIMG; i++) {
        char *path = cog_cache_path(dir, logins_files[i].name);
        int fd = path ? open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY) : -1;
        bool ok = fd >= 0 ? fsync(fd) == 0 : path != NULL && errno == ENOENT;
        if (fd >= 0)
            close(fd);
        free(path);
        if (!ok)
            return cog_error_set(err, COG_ERR_CONFIG, NULL, "%s/%s: fsync: %s", dir,
                                 logins_files[i].name, strerror(errno));
    }
    if ((st = cog_cache_sync_dir(dir, err)) != COG_OK ||
        (st = cog_cache_lock_check(lk, err)) != COG_OK)
        return st;
    if (ftruncate(jfd, 0) != 0 || fdatasync(jfd) != 0)
        return cog_error_set(err, COG_ERR_CONFIG, NULL, "%s/%s: cannot empty: %s", dir,
                             COG_CACHE_JOURNAL_FILE, strerror(errno));
    return COG_OK;
}

cog_status cog_journal_settle(const struct cog_cache_lock *lk, const char *dir, bool empty,
                              struct cog_error *err)
{
    struct jrecord r = {0};
    struct stat sb;
    int fd;
    cog_status st = open_journal(dir, false, &fd, err);
    if (st != COG_OK || fd < 0)
        return st;
    if (fstat(fd, &sb) != 0 || sb.st_size == 0)
        goto out;
    if (last_record(fd, sb.st_size, &r)) {
        bool same = true;
        for (int i = 0; i < NIMG; i++)
            same = same && file_holds(dir, &r.img[i]);
        /* A crash after the record and before (or during) its files. */
        if (!same) {
            if ((st = cog_cache_replace_set(lk, dir, r.img, NIMG, err)) != COG_OK)
                goto out;
            /* Readers told where they can be: without nss.cache (removed by
             * hand) no one maps the files, and the sync that makes it must
             * not be stopped here. */
            (void)cog_cache_notify(dir, COG_CACHE_NSS_FILE, NULL);
            empty = true;
        }
    } else {
        empty = true; /* only a torn first record: its login never returned */
    }
    if (empty)
        st = checkpoint(lk, dir, fd, err);
out:
    record_free(&r);
    close(fd);
    return st;
}

/* imgs (the three logins files, any order) as one record. */
static unsigned char *build_record(const struct cog_cache_image *imgs, size_t n, size_t *len)
{
    size_t payload = 0;
    for (size_t i = 0; i < n; i++)
        payload += sizeof(struct jimg) + pad8(strlen(imgs[i].name)) + pad8(imgs[i].len);
    *len = sizeof(struct jhead) + payload + sizeof(struct jtail);
    unsigned char *buf = calloc(1, *len);
    if (buf == NULL)
        return NULL;
    size_t off = sizeof(struct jhead);
    for (size_t i = 0; i < n; i++) {
        struct jimg e = {.name_len = (uint32_t)strlen(imgs[i].name), .data_len = imgs[i].len};
        memcpy(buf + off, &e, sizeof(e));
        off += sizeof(e);
        memcpy(buf + off, imgs[i].name, e.name_len);
        off += pad8(e.name_len);
        memcpy(buf + off, imgs[i].data, imgs[i].len);
        off += pad8(imgs[i].len);
    }
    struct jhead h = {.nimg = (uint32_t)n, .payload_len = payload};
    memcpy(h.magic, REC_MAGIC, 8);
    h.payload_sum = cog_disk_checksum(buf + sizeof(h), payload);
    memcpy(buf, &h, sizeof(h));
    struct jtail t = {.record_len = *len};
    memcpy(t.magic, END_MAGIC, 8);
    memcpy(buf + off, &t, sizeof(t));
    return buf;
}

cog_status cog_journal_replace_set(const struct cog_cache_lock *lk, const char *dir,
                                   const struct cog_cache_image *imgs, size_t n,
                                   struct cog_error *err)
{
    struct stat sb;
    size_t len = 0;
    int fd = -1;
    cog_status st;
    unsigned char *rec = NULL;

    if (n != NIMG)
        return cog_error_set(err, COG_ERR_INTERNAL, NULL, "a journal record holds %d files", NIMG);
    if ((rec = build_record(imgs, n, &len)) == NULL) {
        st = cog_error_set(err, COG_ERR_NOMEM, NULL, "out of memory");
        goto out;
    }
    if ((st = open_journal(dir, true, &fd, err)) != COG_OK)
        goto out;
    if (fstat(fd, &sb) != 0) {
        st = cog_error_set(err, COG_ERR_CONFIG, NULL, "%s: fstat: %s", dir, strerror(errno));
        goto out;
    }
    off_t before = sb.st_size;
    /* Grown too long: the files it describes made durable, then emptied. */
    if (before > 0 && (uint64_t)before + len > JOURNAL_MAX) {
        if ((st = checkpoint(lk, dir, fd, err)) != COG_OK)
            goto out;
        before = 0;
    }
    if ((st = cog_cache_lock_check(lk, err)) != COG_OK)
        goto out;
    if (write(fd, rec, len) != (ssize_t)len || fdatasync(fd) != 0) {
        st = cog_error_set(err, COG_ERR_CONFIG, NULL, "%s/%s: append: %s", dir,
                           COG_CACHE_JOURNAL_FILE, strerror(errno));
        /* Not the login's promise: taken back while the lock is ours. */
        if (cog_cache_lock_check(lk, NULL) == COG_OK)
            (void)ftruncate(fd, before);
        goto out;
    }
    st = cog_cache_replace_set_unsynced(lk, dir, imgs, n, err);
out:
    if (fd >= 0)
        close(fd);
    free(rec);
    return st;
}
