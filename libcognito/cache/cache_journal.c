/* The logins journal: one fdatasync makes a login's cache update durable.
 *
 * A login's update replaces the three small logins files. Made durable
 * file by file that is four fsyncs (three files and the directory), most
 * of a new user's login. Instead the login writes one record holding the
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
 * (cog_cache_lock_login) only settles, then adds its record; a journal
 * that would pass JOURNAL_SIZE is emptied the same way first.
 *
 * The file keeps its size (JOURNAL_SIZE, zeros written when it is made):
 * a record overwrites bytes already on disk, so its fdatasync writes data
 * and no metadata (an append also commits the file system's journal for
 * the new size, about twice the time here). Where the last record is, is
 * said by a header in one of two slots at the start, one per sector,
 * written in turn: the valid one with the higher sequence number is
 * current. A login writes its record after the last one, then the header
 * naming it into the other slot, then syncs both. A crash in between
 * leaves either slot torn or the record torn; then the other slot, which
 * names the record before (written and synced by an earlier login), is
 * current. Emptying starts a new epoch: a header naming no record; the
 * records that follow overwrite the old ones from the start, and a record
 * counts only under a header of its own epoch.
 *
 * A record: head (magic, image count, epoch, payload length), per image
 * (name length, data length, name, data, each padded to 8 bytes), tail
 * (record length, sum of all before it, magic). Only the three logins
 * files' names are accepted, each image must be a sound file of its kind,
 * and the modes come from here, not from the journal. */
#include "build-config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "libcognito/cache/cache.h"

#include <time.h>

#define JOURNAL_SIZE (1u << 20)
#define SLOT_SIZE 512u            /* a header slot per sector */
#define HEAD_SIZE (2 * SLOT_SIZE) /* records start here */
#define NIMG COG_CACHE_NLOGINS

static const char HDR_MAGIC[8] = "COGJHDR2", REC_MAGIC[8] = "COGJRN02", END_MAGIC[8] = "COGJEND2";

struct jheader {
    char magic[8];
    uint64_t seq;                /* the valid slot with the higher one is current */
    uint64_t epoch;              /* a record counts only under its own epoch */
    uint64_t last_off, last_len; /* the last record; 0, 0: none */
    uint64_t sum;                /* of the fields before it */
};
struct jhead {
    char magic[8];
    uint32_t nimg, reserved;
    uint64_t epoch, payload_len;
};
struct jimg {
    uint32_t name_len, reserved;
    uint64_t data_len;
};
struct jtail {
    uint64_t record_len, sum; /* sum: of the record's bytes before the tail */
    char magic[8];
};

const struct cog_cache_logins_file cog_cache_logins_files[COG_CACHE_NLOGINS] = {
    {COG_CACHE_ACCOUNTS_DELTA_FILE, COG_DISK_ACCOUNTS, COG_CACHE_PRIVATE_MODE},
    {COG_CACHE_KEYS_DELTA_FILE, COG_DISK_ACCOUNTS, COG_CACHE_PUBLIC_MODE},
    {COG_CACHE_NSS_DELTA_FILE, COG_DISK_NSS, COG_CACHE_PUBLIC_MODE},
};

static size_t pad8(size_t n)
{
    return (n + 7) & ~(size_t)7;
}

static uint64_t header_sum(const struct jheader *h)
{
    return cog_disk_checksum(h, offsetof(struct jheader, sum));
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
        if (strlen(cog_cache_logins_files[i].name) == len &&
            memcmp(cog_cache_logins_files[i].name, name, len) == 0)
            return i;
    return -1;
}

/* Whether r->buf (r->len bytes, 8-byte aligned) is one whole record of
 * epoch naming each logins file once with a sound image; fills r->img in
 * the files' order. */
static bool parse(struct jrecord *r, uint64_t epoch)
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
        t.record_len != r->len || h.nimg != NIMG || h.epoch != epoch ||
        h.payload_len != r->len - sizeof(h) - sizeof(t) ||
        t.sum != cog_disk_checksum(r->buf, r->len - sizeof(t)))
        return false;
    size_t off = sizeof(h), end = sizeof(h) + h.payload_len;
    for (unsigned k = 0; k < NIMG; k++) {
        struct jimg e;
        if (end - off < sizeof(e))
            return false;
        memcpy(&e, r->buf + off, sizeof(e));
        off += sizeof(e);
        if (pad8(e.name_len) > end - off)
            return false;
        int i = known_file((const char *)r->buf + off, e.name_len);
        off += pad8(e.name_len);
        if (i < 0 || seen[i] || pad8(e.data_len) > end - off ||
            cog_cache_map_buffer(&m, r->buf + off, e.data_len, cog_cache_logins_files[i].kind) !=
                COG_CACHE_OK)
            return false;
        seen[i] = true;
        r->img[i] = (struct cog_cache_image){cog_cache_logins_files[i].name, r->buf + off,
                                             e.data_len, cog_cache_logins_files[i].mode};
        off += pad8(e.data_len);
    }
    return off == end;
}

/* The record h names, if it is whole and of h's epoch; size: the file's. */
static bool read_record(int fd, uint64_t size, const struct jheader *h, struct jrecord *r)
{
    record_free(r);
    /* One record may pass JOURNAL_SIZE (a host with very many logins since
     * its last sync): the file grows for it. It never passes the file's
     * end: a damaged header must not make a reader allocate what it says. */
    if (h->last_off > size || h->last_len > size - h->last_off ||
        (r->buf = malloc(h->last_len ? h->last_len : 1)) == NULL)
        return false;
    r->len = h->last_len;
    if (pread(fd, r->buf, r->len, (off_t)h->last_off) != (ssize_t)r->len || !parse(r, h->epoch)) {
        record_free(r);
        return false;
    }
    return true;
}

/* The journal's two header slots, the current (or only valid) one first;
 * how many are valid. */
static int headers(int fd, struct jheader hs[2])
{
    unsigned char buf[HEAD_SIZE];
    int n = 0;
    if (pread(fd, buf, sizeof(buf), 0) != (ssize_t)sizeof(buf))
        return 0;
    for (unsigned i = 0; i < 2; i++) {
        struct jheader h;
        memcpy(&h, buf + i * SLOT_SIZE, sizeof(h));
        if (memcmp(h.magic, HDR_MAGIC, 8) == 0 && h.sum == header_sum(&h))
            hs[n++] = h;
    }
    if (n == 2 && hs[1].seq > hs[0].seq) {
        struct jheader t = hs[0];
        hs[0] = hs[1];
        hs[1] = t;
    }
    return n;
}

/* h as the next header, in the slot after prev's, then synced. */
static bool put_header(int fd, const struct jheader *prev, struct jheader *h)
{
    memcpy(h->magic, HDR_MAGIC, 8);
    h->seq = prev->seq + 1;
    h->sum = header_sum(h);
    off_t at = (off_t)(h->seq % 2) * SLOT_SIZE;
    return pwrite(fd, h, sizeof(*h), at) == (ssize_t)sizeof(*h) && fdatasync(fd) == 0;
}

/* The file's bytes up to JOURNAL_SIZE written (zeros past its end), so
 * records overwrite data already on disk. */
static bool fill(int fd)
{
    static const unsigned char zeros[65536];
    struct stat sb;
    if (fstat(fd, &sb) != 0)
        return false;
    for (off_t at = sb.st_size; at < (off_t)JOURNAL_SIZE;) {
        size_t n = (size_t)((off_t)JOURNAL_SIZE - at) < sizeof(zeros)
                       ? (size_t)((off_t)JOURNAL_SIZE - at)
                       : sizeof(zeros);
        ssize_t w = pwrite(fd, zeros, n, at);
        if (w <= 0)
            return false;
        at += w;
    }
    return sb.st_size >= (off_t)JOURNAL_SIZE || fsync(fd) == 0;
}

/* DIR/logins.journal open read-write as *fd, which is -1 when there is
 * none (create: made then, filled, with an empty header, and the directory
 * synced), its size in *size (if not NULL). A journal not root's own (or
 * the caller's, when not root) is refused. */
static cog_status open_journal(const char *dir, bool create, int *fd, uint64_t *size,
                               struct cog_error *err)
{
    struct stat sb;
    char *path = cog_cache_path(dir, COG_CACHE_JOURNAL_FILE);
    cog_status st = COG_OK;
    int flags = O_RDWR | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY;

    *fd = -1;
    if (path == NULL)
        return cog_error_set(err, COG_ERR_NOMEM, NULL, "out of memory");
    *fd = open(path, flags);
    if (*fd < 0 && errno == ENOENT && create) {
        struct jheader none = {0}, first = {.epoch = 1};
        *fd = open(path, flags | O_CREAT | O_EXCL, 0600);
        if (*fd >= 0 && (!fill(*fd) || !put_header(*fd, &none, &first))) {
            st = cog_error_set(err, COG_ERR_CONFIG, NULL, "%s: cannot make it: %s", path,
                               strerror(errno));
            goto out;
        }
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
    else if (size != NULL)
        *size = (uint64_t)sb.st_size;
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

/* The logins files made durable as they are, then the journal emptied: a
 * header of the next epoch naming no record, after cur (updated). */
static cog_status checkpoint(const struct cog_cache_lock *lk, const char *dir, int jfd,
                             struct jheader *cur, struct cog_error *err)
{
    cog_status st;
    for (int i = 0; i < NIMG; i++) {
        char *path = cog_cache_path(dir, cog_cache_logins_files[i].name);
        int fd = path ? open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY) : -1;
        bool ok = fd >= 0 ? fsync(fd) == 0 : path != NULL && errno == ENOENT;
        if (fd >= 0)
            close(fd);
        free(path);
        if (!ok)
            return cog_error_set(err, COG_ERR_CONFIG, NULL, "%s/%s: fsync: %s", dir,
                                 cog_cache_logins_files[i].name, strerror(errno));
    }
    if ((st = cog_cache_sync_dir(dir, err)) != COG_OK ||
        (st = cog_cache_lock_check(lk, err)) != COG_OK)
        return st;
    struct jheader next = {.epoch = cur->epoch + 1};
    if (!fill(jfd) || !put_header(jfd, cur, &next))
        return cog_error_set(err, COG_ERR_CONFIG, NULL, "%s/%s: cannot empty: %s", dir,
                             COG_CACHE_JOURNAL_FILE, strerror(errno));
    *cur = next;
    return COG_OK;
}

/* The current header and its record (r->buf NULL when it names none): the
 * newer slot, unless it or its record is torn, then the older; *newest: the
 * newer valid slot's seq. False when neither holds; *h is then a header to
 * follow (seq and epoch past every valid one's, or fresh), so the next
 * epoch shares no number with an old. */
static bool current(int fd, uint64_t size, struct jheader *h, struct jrecord *r, uint64_t *newest)
{
    struct jheader hs[2];
    int n = headers(fd, hs);
    for (int i = 0; i < n; i++) {
        if (hs[i].last_len == 0 || read_record(fd, size, &hs[i], r)) {
            *h = hs[i];
            *newest = hs[0].seq;
            return true;
        }
    }
    memset(h, 0, sizeof(*h));
    h->seq = n > 0 ? hs[0].seq : 0;
    h->epoch = n > 0 ? (hs[0].epoch > hs[n - 1].epoch ? hs[0].epoch : hs[n - 1].epoch)
                     : (uint64_t)time(NULL) << 16;
    return false;
}

cog_status cog_journal_settle(const struct cog_cache_lock *lk, const char *dir, bool empty,
                              struct cog_error *err)
{
    struct jrecord r = {0};
    struct jheader h;
    uint64_t size = 0, newest = 0;
    int fd;
    /* The files logins set aside, freed by a writer no one waits on. */
    for (int i = 0; empty && i < NIMG; i++)
        cog_cache_tidy_aside(dir, cog_cache_logins_files[i].name);
    cog_status st = open_journal(dir, false, &fd, &size, err);
    if (st != COG_OK || fd < 0)
        return st;
    if (!current(fd, size, &h, &r, &newest)) {
        empty = true; /* no header or record to trust: the files as they are */
    } else if (r.buf != NULL) {
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
        empty = false; /* an empty epoch: the files are durable as they are */
    }
    if (!empty && newest != h.seq) {
        /* The newer slot names a torn record (a login that never returned):
         * h written over it, so the next login keeps h as the other slot. */
        struct jheader torn = {.seq = newest + 1}, again = h;
        if (!put_header(fd, &torn, &again))
            empty = true;
    }
    if (empty)
        st = checkpoint(lk, dir, fd, &h, err);
out:
    record_free(&r);
    close(fd);
    return st;
}

/* imgs (the three logins files, any order) as one record of epoch. */
static unsigned char *build_record(const struct cog_cache_image *imgs, size_t n, uint64_t epoch,
                                   size_t *len)
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
    struct jhead h = {.nimg = (uint32_t)n, .epoch = epoch, .payload_len = payload};
    memcpy(h.magic, REC_MAGIC, 8);
    memcpy(buf, &h, sizeof(h));
    struct jtail t = {.record_len = *len, .sum = cog_disk_checksum(buf, off)};
    memcpy(t.magic, END_MAGIC, 8);
    memcpy(buf + off, &t, sizeof(t));
    return buf;
}

cog_status cog_journal_replace_set(const struct cog_cache_lock *lk, const char *dir,
                                   const struct cog_cache_image *imgs, size_t n,
                                   struct cog_error *err)
{
    struct jheader hs[2], h;
    size_t len = 0;
    int fd = -1;
    cog_status st;
    unsigned char *rec = NULL;

    if (n != NIMG)
        return cog_error_set(err, COG_ERR_INTERNAL, NULL, "a journal record holds %d files", NIMG);
    if ((st = open_journal(dir, true, &fd, NULL, err)) != COG_OK)
        goto out;
    /* The lock's settle left a current header (cog_cache_lock_login). */
    if (headers(fd, hs) == 0) {
        st = cog_error_set(err, COG_ERR_CONFIG, NULL, "%s/%s: no header", dir,
                           COG_CACHE_JOURNAL_FILE);
        goto out;
    }
    h = hs[0];
    uint64_t at = h.last_len ? h.last_off + h.last_len : HEAD_SIZE;
    if ((rec = build_record(imgs, n, h.epoch, &len)) == NULL) {
        st = cog_error_set(err, COG_ERR_NOMEM, NULL, "out of memory");
        goto out;
    }
    /* Full: the files it describes made durable, then emptied. */
    if (at > HEAD_SIZE && at + len > JOURNAL_SIZE) {
        if ((st = checkpoint(lk, dir, fd, &h, err)) != COG_OK)
            goto out;
        free(rec);
        if ((rec = build_record(imgs, n, h.epoch, &len)) == NULL) {
            st = cog_error_set(err, COG_ERR_NOMEM, NULL, "out of memory");
            goto out;
        }
        at = HEAD_SIZE;
    }
    if ((st = cog_cache_lock_check(lk, err)) != COG_OK)
        goto out;
    struct jheader next = {.epoch = h.epoch, .last_off = at, .last_len = len};
    if (pwrite(fd, rec, len, (off_t)at) != (ssize_t)len || !put_header(fd, &h, &next)) {
        st = cog_error_set(err, COG_ERR_CONFIG, NULL, "%s/%s: write: %s", dir,
                           COG_CACHE_JOURNAL_FILE, strerror(errno));
        /* Not the login's promise: its header taken back while the lock is
         * ours (the slot zeroed: the other one, h, is current again). */
        if (cog_cache_lock_check(lk, NULL) == COG_OK) {
            static const struct jheader zero;
            if (pwrite(fd, &zero, sizeof(zero), (off_t)(next.seq % 2) * SLOT_SIZE) > 0)
                (void)fdatasync(fd);
        }
        goto out;
    }
    st = cog_cache_replace_set_unsynced(lk, dir, imgs, n, err);
out:
    if (fd >= 0)
        close(fd);
    free(rec);
    return st;
}

void cog_journal_info(const char *dir, struct cog_journal_info *out)
{
    struct jheader hs[2];
    struct stat sb;
    memset(out, 0, sizeof(*out));
    char *path = cog_cache_path(dir, COG_CACHE_JOURNAL_FILE);
    int fd = path ? open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY) : -1;
    free(path);
    out->present = fd >= 0 || errno != ENOENT;
    if (fd < 0)
        return;
    out->readable = true;
    if (fstat(fd, &sb) == 0) {
        out->size = (uint64_t)sb.st_size;
        /* What the writers demand (open_journal). */
        out->trusted = S_ISREG(sb.st_mode) && sb.st_uid == geteuid() && (sb.st_mode & 077) == 0;
    }
    if (headers(fd, hs) > 0) {
        out->valid = true;
        out->seq = hs[0].seq;
        out->epoch = hs[0].epoch;
        out->last_off = hs[0].last_off;
        out->last_len = hs[0].last_len;
        out->used = hs[0].last_len ? hs[0].last_off + hs[0].last_len - HEAD_SIZE : 0;
    }
    close(fd);
}
