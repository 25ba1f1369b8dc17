/* One cache file mapped and checked (header, sums, sections, pools) before
 * the reader (cache_read.c) looks anything up in it. libc only, as the
 * reader: the NSS module links it; it allocates nothing, and frees only a
 * writer's cog_cache_map_load copy (cache_file.c) or reader on demand
 * (cache_fetch.c) in cog_cache_map_close. */
#include "build-config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "libcognito/cache/cache.h"

/* Enough for any real pool, small enough that counts times record sizes
 * cannot overflow 64 bits. */
#define MAX_RECORDS (1u << 28)

static bool section_ok(const struct cog_disk_header *h, size_t file_size, unsigned s)
{
    uint64_t off = h->sect[s].off, size = h->sect[s].size;
    if (size == 0)
        return true;
    return off >= h->header_size && off % 8 == 0 && off <= file_size && size <= file_size - off;
}

/* Fills m's section pointers (none when read on demand) from a header
 * already checked for size and sum; the pools' sentinels are the caller's
 * to check (pools_ok). */
static bool layout(struct cog_cache_map *m, enum cog_disk_kind kind)
{
    const struct cog_disk_header *h = m->hdr;
    size_t recsize[2] = {kind == COG_DISK_NSS ? sizeof(uint32_t) : sizeof(struct cog_disk_account),
                         kind == COG_DISK_NSS ? sizeof(struct cog_disk_group) : 0};

    for (unsigned s = 0; s < COG_SEC_COUNT; s++) {
        if (!section_ok(h, m->size, s))
            return false;
    }
    for (unsigned r = 0; r < 2; r++) {
        if (h->count[r] > MAX_RECORDS || (recsize[r] == 0 && h->count[r] != 0) ||
            h->sect[r].size != (uint64_t)h->count[r] * recsize[r])
            return false;
        m->nrec[r] = h->count[r];
        m->rec[r] = m->base ? m->base + h->sect[r].off : NULL;
    }
    /* The word pool starts with the empty list; the string pool with "" and
     * ends with a NUL, so no string can run off its end. */
    const struct cog_disk_section *w = &h->sect[COG_SEC_WORDS], *s = &h->sect[COG_SEC_STRINGS];
    if (w->size < 4 || w->size % 4 != 0 || w->size / 4 > UINT32_MAX || s->size < 1 ||
        s->size > UINT32_MAX)
        return false;
    m->words = m->base ? (const uint32_t *)(m->base + w->off) : NULL;
    m->nwords = (uint32_t)(w->size / 4);
    m->strings = m->base ? (const char *)(m->base + s->off) : NULL;
    m->strings_size = (uint32_t)s->size;
    for (unsigned i = 0; i < 4; i++) {
        uint32_t slots = h->slots[i];
        const struct cog_disk_section *x = &h->sect[COG_SEC_IDX_A + i];
        if ((slots & (slots - 1)) != 0 || x->size != (uint64_t)slots * sizeof(struct cog_disk_slot))
            return false;
        m->slots[i] = slots;
        m->idx[i] = m->base ? (const struct cog_disk_slot *)(m->base + x->off) : NULL;
    }
    return true;
}

static bool header_ok(const struct cog_disk_header *h, size_t file_size, enum cog_disk_kind kind)
{
    return memcmp(h->magic, COG_DISK_MAGIC, 8) == 0 && h->version == COG_DISK_VERSION &&
           h->kind == (uint32_t)kind && h->header_size == sizeof(*h) && h->file_size == file_size &&
           h->header_sum == cog_disk_checksum(h, offsetof(struct cog_disk_header, header_sum));
}

/* The word pool starts with the empty list; the string pool with "" and
 * ends with a NUL, so no string can run off its end. Read from fd when
 * there is one (a file just mapped): pread costs less than the page faults
 * of three pages no lookup may ever need. */
static bool pools_ok(const struct cog_cache_map *m, int fd)
{
    uint32_t word0 = 1;
    char first = 1, last = 1;
    if (fd < 0)
        return m->words[0] == 0 && m->strings[0] == '\0' && m->strings[m->strings_size - 1] == '\0';
    off_t w = (off_t)m->hdr->sect[COG_SEC_WORDS].off;
    off_t str = (off_t)m->hdr->sect[COG_SEC_STRINGS].off;
    return pread(fd, &word0, sizeof(word0), w) == (ssize_t)sizeof(word0) && word0 == 0 &&
           pread(fd, &first, 1, str) == 1 && first == '\0' &&
           pread(fd, &last, 1, str + (off_t)m->strings_size - 1) == 1 && last == '\0';
}

/* data (len bytes, the file open as fd or -1) checked and laid out in m;
 * data NULL: hdr alone, for a reader on demand (fd then required). */
static enum cog_cache_rc map_checked(struct cog_cache_map *m, const void *data,
                                     const struct cog_disk_header *hdr, size_t len,
                                     enum cog_disk_kind kind, int fd)
{
    memset(m, 0, sizeof(*m));
    if (len < sizeof(struct cog_disk_header) || ((uintptr_t)hdr & 7) != 0 ||
        (data == NULL && fd < 0))
        return COG_CACHE_CORRUPT;
    m->base = data;
    m->size = len;
    m->hdr = hdr;
    if (!header_ok(m->hdr, m->size, kind) || !layout(m, kind) || !pools_ok(m, fd)) {
        memset(m, 0, sizeof(*m));
        return COG_CACHE_CORRUPT;
    }
    return COG_CACHE_OK;
}

enum cog_cache_rc cog_cache_map_buffer(struct cog_cache_map *m, const void *data, size_t len,
                                       enum cog_disk_kind kind)
{
    return map_checked(m, data, data, len, kind, -1);
}

enum cog_cache_rc cog_cache_open_checked(const char *path, int *fd, struct stat *sb)
{
    enum cog_cache_rc rc = COG_CACHE_OK;
    *fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NOFOLLOW);
    if (*fd < 0)
        return errno == ENOENT || errno == ENOTDIR ? COG_CACHE_ABSENT : COG_CACHE_ERROR;
    /* Whoever can write the cache decides who exists on this host. */
    uid_t me = geteuid();
    if (fstat(*fd, sb) != 0 || !S_ISREG(sb->st_mode))
        rc = COG_CACHE_CORRUPT;
    else if ((sb->st_uid != 0 && (me == 0 || sb->st_uid != me)) ||
             (sb->st_mode & (S_IWGRP | S_IWOTH)))
        rc = COG_CACHE_UNTRUSTED;
    else if ((uint64_t)sb->st_size < sizeof(struct cog_disk_header) ||
             (uint64_t)sb->st_size > (uint64_t)SIZE_MAX / 2)
        rc = COG_CACHE_CORRUPT;
    if (rc != COG_CACHE_OK) {
        close(*fd);
        *fd = -1;
    }
    return rc;
}

enum cog_cache_rc cog_cache_map_fd(struct cog_cache_map *m, int fd, const struct stat *sb,
                                   enum cog_disk_kind kind)
{
    memset(m, 0, sizeof(*m));
    /* Shared, so the old file's notify word changes under us when a writer
     * replaces it; read-only, so nothing here can change the file. */
    void *addr = mmap(NULL, (size_t)sb->st_size, PROT_READ, MAP_SHARED, fd, 0);
    if (addr == MAP_FAILED)
        return COG_CACHE_ERROR;
    enum cog_cache_rc rc = map_checked(m, addr, addr, (size_t)sb->st_size, kind, fd);
    if (rc != COG_CACHE_OK) {
        munmap(addr, (size_t)sb->st_size);
        return rc;
    }
    m->dev = sb->st_dev;
    m->ino = sb->st_ino;
    return COG_CACHE_OK;
}

enum cog_cache_rc cog_cache_map_open(struct cog_cache_map *m, const char *path,
                                     enum cog_disk_kind kind)
{
    struct stat sb;
    int fd;

    memset(m, 0, sizeof(*m));
    enum cog_cache_rc rc = cog_cache_open_checked(path, &fd, &sb);
    if (rc != COG_CACHE_OK)
        return rc;
    rc = cog_cache_map_fd(m, fd, &sb, kind);
    close(fd);
    return rc;
}

enum cog_cache_rc cog_cache_map_header(struct cog_cache_map *m, const struct cog_disk_header *hdr,
                                       int fd, const struct stat *sb, enum cog_disk_kind kind,
                                       struct cog_cache_fetch *fetch)
{
    enum cog_cache_rc rc = map_checked(m, NULL, hdr, (size_t)sb->st_size, kind, fd);
    if (rc != COG_CACHE_OK)
        return rc;
    m->dev = sb->st_dev;
    m->ino = sb->st_ino;
    m->fetch = fetch;
    return COG_CACHE_OK;
}

bool cog_cache_map_present(const struct cog_cache_map *m)
{
    return m->hdr != NULL;
}

bool cog_cache_map_failed(const struct cog_cache_map *m)
{
    return m->fetch != NULL && m->fetch->failed;
}

void cog_cache_map_close(struct cog_cache_map *m)
{
    if (m->fetch != NULL)
        m->fetch->close(m->fetch); /* cache_fetch.c's reader and its copies */
    else if (m->loaded)
        free((void *)m->base); /* cog_cache_map_load's copy */
    else if (m->base != NULL)
        munmap((void *)m->base, m->size);
    memset(m, 0, sizeof(*m));
}

bool cog_cache_map_verify(const struct cog_cache_map *m)
{
    return m->base != NULL && m->hdr->body_sum == cog_disk_checksum(m->base + m->hdr->header_size,
                                                                    m->size - m->hdr->header_size);
}

uint32_t cog_cache_map_notify(const struct cog_cache_map *m)
{
    return __atomic_load_n(&m->hdr->notify, __ATOMIC_ACQUIRE);
}
