/* A large cache file read on demand (struct cog_cache_fetch in cache.h),
 * for writers: cog_cache_map_load opens a file past COG_CACHE_READ_MAX this
 * way instead of mapping it.
 *
 * Why: a login looks up a handful of records in files of a million users.
 * Mapped, each lookup touches an index slot, a record and its strings on
 * pages no one has touched in this process, and on some virtual machines
 * each such page costs a fault of tens of microseconds (and its unmapping
 * as much again): a few dozen pages were most of a login's time. Read on
 * demand, each lookup costs a pread or two of a few hundred bytes, kept
 * in a small arena until the map is closed (the reader hands out pointers
 * into it). A writer that walks the whole file (a sync's mapping, `cache
 * show`) passes COG_CACHE_FETCH_MAX and maps the file after all: the
 * pointers handed out before stay valid, the arena is freed at close.
 *
 * The file is the one the checks at open saw: the descriptor is kept
 * open, and cache files are never changed in place (only the notify
 * word, which no writer reads through this). A read that fails marks the
 * reader failed (cog_cache_map_failed): a writer must not take an
 * unreadable record for an absent one. */
#include "build-config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "libcognito/cache/cache.h"

/* What one read fetches at least: a record and the strings after it. */
#define WINDOW_MIN 256u
/* Reads remembered, so the lookups that follow (a record's strings, the
 * next probe) are answered without another read. */
#define RECENT 16u
/* The arena grows in blocks of this much. */
#define BLOCK_BYTES 8192u

struct block {
    struct block *next;
    size_t size, used;
    unsigned char data[];
};

struct window {
    uint64_t off;
    size_t len;
    const unsigned char *data;
};

struct fetcher {
    struct cog_cache_fetch pub; /* first: the reader's handle is this */
    int fd;
    uint64_t size;
    struct cog_disk_header hdr; /* the map's hdr */
    struct block *blocks;
    size_t total; /* bytes read into the arena */
    struct window recent[RECENT];
    unsigned next;
    const unsigned char *mapped; /* after COG_CACHE_FETCH_MAX: the whole file */
};

static const void *failed(struct fetcher *f)
{
    f->pub.failed = true;
    return NULL;
}

static bool read_all(int fd, void *buf, size_t len, uint64_t off)
{
    for (size_t done = 0; done < len;) {
        ssize_t n = pread(fd, (char *)buf + done, len - done, (off_t)(off + done));
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return false;
        done += (size_t)n;
    }
    return true;
}

/* len bytes of the arena, 8-byte aligned (records are read in place). */
static unsigned char *take(struct fetcher *f, size_t len)
{
    size_t need = (len + 7) & ~(size_t)7;
    struct block *b = f->blocks;
    if (b == NULL || b->size - b->used < need) {
        size_t size = need > BLOCK_BYTES ? need : BLOCK_BYTES;
        if ((b = malloc(sizeof(*b) + size)) == NULL)
            return NULL;
        b->size = size;
        b->used = 0;
        b->next = f->blocks;
        f->blocks = b;
    }
    unsigned char *p = b->data + b->used;
    b->used += need;
    return p;
}

/* Where an earlier read already holds [off, off + len), or for a string,
 * its start and its NUL before off + len. Anything but a string is taken
 * only 8-byte aligned: a record read inside a window that began at a
 * string would not be. */
static const void *remembered(const struct fetcher *f, uint64_t off, size_t len, bool str)
{
    for (unsigned i = 0; i < RECENT; i++) {
        const struct window *w = &f->recent[i];
        if (w->data == NULL || off < w->off || off - w->off >= w->len)
            continue;
        const unsigned char *p = w->data + (off - w->off);
        size_t avail = w->len - (size_t)(off - w->off);
        if (!str ? len <= avail && ((uintptr_t)p & 7) == 0
                 : memchr(p, '\0', avail < len ? avail : len) != NULL)
            return p;
    }
    return NULL;
}

/* The rest of the reader's life on a mapping of the whole file. */
static const void *from_mapping(struct fetcher *f, uint64_t off, size_t len, bool str)
{
    if (f->mapped == NULL) {
        void *addr = mmap(NULL, (size_t)f->size, PROT_READ, MAP_SHARED, f->fd, 0);
        if (addr == MAP_FAILED)
            return failed(f);
        f->mapped = addr;
    }
    const unsigned char *p = f->mapped + off;
    return !str || memchr(p, '\0', len) != NULL ? p : failed(f);
}

static const void *fetch_read(struct cog_cache_fetch *pub, uint64_t off, size_t len, bool str)
{
    struct fetcher *f = (struct fetcher *)pub;
    if (off > f->size || len > f->size - off || (str && len == 0))
        return failed(f);
    if (f->mapped != NULL)
        return from_mapping(f, off, len, str);
    const void *hit = remembered(f, off, len, str);
    if (hit != NULL)
        return hit;
    /* A string's length is unknown: a window, four times larger until its
     * NUL is in it; anything else is read with what follows it. */
    uint64_t rest = f->size - off;
    size_t want = str ? (len < WINDOW_MIN ? len : WINDOW_MIN)
                      : (len >= WINDOW_MIN || rest < WINDOW_MIN ? len : WINDOW_MIN);
    for (;;) {
        unsigned char *buf = NULL;
        if (f->total + want > COG_CACHE_FETCH_MAX || (buf = take(f, want)) == NULL)
            return from_mapping(f, off, len, str);
        if (!read_all(f->fd, buf, want, off)) /* cut short in place: no longer as checked */
            return failed(f);
        f->total += want;
        f->recent[f->next] = (struct window){off, want, buf};
        f->next = (f->next + 1) % RECENT;
        if (!str || memchr(buf, '\0', want) != NULL)
            return buf;
        if (want == len) /* no NUL before the pool's end: not as checked */
            return failed(f);
        want = len / 4 > want ? want * 4 : len;
    }
}

static void fetch_close(struct cog_cache_fetch *pub)
{
    struct fetcher *f = (struct fetcher *)pub;
    if (f->mapped != NULL)
        munmap((void *)f->mapped, (size_t)f->size);
    while (f->blocks != NULL) {
        struct block *b = f->blocks;
        f->blocks = b->next;
        free(b);
    }
    close(f->fd);
    free(f);
}

enum cog_cache_rc cog_cache_fetch_open(struct cog_cache_map *m, int fd, const struct stat *sb,
                                       enum cog_disk_kind kind)
{
    memset(m, 0, sizeof(*m));
    struct fetcher *f = calloc(1, sizeof(*f));
    if (f == NULL)
        return COG_CACHE_ERROR;
    f->pub.read = fetch_read;
    f->pub.close = fetch_close;
    f->fd = fd;
    f->size = (uint64_t)sb->st_size;
    enum cog_cache_rc rc = COG_CACHE_CORRUPT;
    if (read_all(fd, &f->hdr, sizeof(f->hdr), 0))
        rc = cog_cache_map_header(m, &f->hdr, fd, sb, kind, &f->pub);
    if (rc != COG_CACHE_OK)
        free(f); /* fd stays the caller's */
    return rc;
}
