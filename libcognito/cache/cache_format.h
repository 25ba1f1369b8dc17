/* The on-disk layout of the user cache. Shared by the writer (cache_write.c)
 * and the libc-only reader (cache_read.c) that the NSS module links; see
 * nss_cognito(8) for the files and cache.h for the APIs.
 *
 * A file is a header, then sections the header locates by offset and size:
 * fixed-size records, one pool of NUL-terminated strings, one pool of 32-bit
 * words (lists: a count, then that many items) and open-addressing hash
 * indexes. Everything is native-endian and naturally aligned, so a reader
 * maps the file and reads it in place; every offset, count and length it
 * reads is checked against the mapping before use, so a damaged file makes
 * lookups fail, never crash. Files are never changed in place except for the
 * header's `notify` word (below): a writer builds a new file and renames it
 * over the old one. */
#ifndef COGNITO_CACHE_FORMAT_H
#define COGNITO_CACHE_FORMAT_H

#include <stddef.h>
#include <stdint.h>

#define COG_DISK_MAGIC "COGCACHE"
#define COG_DISK_VERSION 1

enum cog_disk_kind {
    COG_DISK_NSS = 1,      /* users and groups: what /etc/passwd and /etc/group would show */
    COG_DISK_ACCOUNTS = 2, /* account facts: sub, Enabled, UserStatus, groups, SSH keys */
};

/* header.flags */
#define COG_DISK_DELTA 0x1u /* a logins file: read before the full one, shadows it */

/* Sections of an NSS file. */
enum {
    COG_SEC_USERS = 0,   /* uint32_t[count[0]]: where each user's record is (below) */
    COG_SEC_GROUPS = 1,  /* struct cog_disk_group[count[1]] */
    COG_SEC_WORDS = 2,   /* uint32_t lists: [n, item...]; word 0 is 0 (the empty list) */
    COG_SEC_STRINGS = 3, /* NUL-terminated strings; offset 0 is "" */
    COG_SEC_IDX_A = 4,   /* users by name / accounts by name */
    COG_SEC_IDX_B = 5,   /* users by uid / accounts by sub */
    COG_SEC_IDX_C = 6,   /* groups by name */
    COG_SEC_IDX_D = 7,   /* groups by gid */
    COG_SEC_COUNT = 8,
};
/* A user's struct cog_disk_user sits in the string pool, 8-byte aligned,
 * right before its name, home and GECOS (a home that ends in the name,
 * "/home/NAME", holds the name: the name's offset points into it): a
 * lookup then touches the index slot and one place, not three. Its
 * position is said in units of 8 bytes (COG_SEC_USERS entries; user index
 * refs are that plus one), so 32-bit refs reach a 32 GB pool.
 *
 * Records may share a word list, as they share a string: a writer stores a
 * list that repeats once (users with the same supplementary gids, accounts
 * with the same Cognito groups), so the lists of most lookups are few, hot
 * and in cache.
 *
 * An accounts file uses COG_SEC_USERS for struct cog_disk_account[count[0]],
 * WORDS, STRINGS, IDX_A (by name) and IDX_B (by sub). */

struct cog_disk_section {
    uint64_t off;
    uint64_t size;
};

struct cog_disk_header {
    char magic[8];        /* COG_DISK_MAGIC, no NUL */
    uint32_t version;     /* COG_DISK_VERSION */
    uint32_t kind;        /* enum cog_disk_kind */
    uint32_t header_size; /* sizeof(struct cog_disk_header) */
    uint32_t flags;
    uint64_t file_size; /* the file is exactly this long */
    int64_t built_at;   /* unix seconds */
    int64_t base_time;  /* delta: the start time of the sync it follows; full: when its
                           listing started (built_at when the writer did not say) */
    uint32_t count[2];  /* records: users (or accounts), groups */
    uint32_t slots[4];  /* slots in IDX_A..IDX_D; powers of two, or 0 */
    struct cog_disk_section sect[COG_SEC_COUNT];
    uint64_t body_sum;   /* cog_disk_checksum of bytes [header_size, file_size) */
    uint64_t header_sum; /* cog_disk_checksum of the header up to this field */
    /* Bumped by a writer after it replaced this file, or the logins file
     * beside it: a reader that mapped this file re-checks the files when the
     * value changes. Outside both sums; the only bytes ever written in place. */
    uint32_t notify;
    uint32_t reserved;
};

/* An index slot: a key (a name's hash, or the id itself) and the record's
 * ref: its index plus one, or for users its 8-byte unit in the string pool
 * plus one (0: empty slot). Linear probing from hash(key). */
struct cog_disk_slot {
    uint32_t key;
    uint32_t ref;
};

/* user.flags, account.flags */
#define COG_DISK_HIDDEN 0x1u  /* delta only: hides the full file's record with this name/id */
#define COG_DISK_ENABLED 0x2u /* account: Cognito's Enabled */

struct cog_disk_user {
    uint32_t name, gecos, home, shell; /* string offsets */
    uint32_t uid, gid;                 /* gid == uid: the private group */
    uint32_t gids;                     /* word offset: supplementary gids */
    uint32_t flags;
};

struct cog_disk_group {
    uint32_t name;    /* string offset */
    uint32_t gid;     /* a Cognito group's gid (never a private group) */
    uint32_t members; /* word offset: string offsets of member names */
    uint32_t flags;
};

struct cog_disk_account {
    uint32_t name;   /* the Unix name */
    uint32_t sub;    /* Cognito's immutable user id */
    uint32_t status; /* UserStatus */
    uint32_t uid;
    uint32_t groups; /* word offset: string offsets of Cognito group names */
    uint32_t keys;   /* word offset: string offsets of SSH public keys */
    uint32_t flags;
    uint32_t reserved;
    int64_t created; /* UserCreateDate, unix seconds (0: unknown) */
    int64_t stamp;   /* delta: when the login wrote it */
};

/* FNV-1a's step over 64-bit words (then the tail bytes): catches damage,
 * not attacks (the files are root's to write; a snapshot also carries its
 * sha256 and a signature), at memory speed. Its one blind spot: the multiply
 * carries a word's low bits up but never its top byte down, so changes
 * confined to the top bytes of two or more words can cancel (1 in 256 for
 * two). A torn write or a damaged sector changes whole words, low bytes
 * too, and is seen but for the odds of any 64-bit sum. */
static inline uint64_t cog_disk_checksum(const void *data, size_t len)
{
    const unsigned char *p = data;
    uint64_t h = 0xcbf29ce484222325ull;
    size_t i = 0;
    for (; i + 8 <= len; i += 8) {
        uint64_t w;
        __builtin_memcpy(&w, p + i, 8);
        h ^= w;
        h *= 0x100000001b3ull;
    }
    for (; i < len; i++) {
        h ^= p[i];
        h *= 0x100000001b3ull;
    }
    return h;
}

/* murmur3's finaliser: spreads ids and name hashes over the slots. */
static inline uint32_t cog_disk_mix(uint32_t h)
{
    h ^= h >> 16;
    h *= 0x85ebca6bu;
    h ^= h >> 13;
    h *= 0xc2b2ae35u;
    h ^= h >> 16;
    return h;
}

/* The key of a name in a name index. */
static inline uint32_t cog_disk_name_key(const char *s)
{
    uint32_t h = 0x811c9dc5u;
    for (; *s != '\0'; s++) {
        h ^= (unsigned char)*s;
        h *= 0x01000193u;
    }
    return h;
}

#endif
