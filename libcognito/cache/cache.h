/* The user cache: Cognito users and groups as Unix users and groups.
 *
 * Files, all in cache_dir (default CACHEDIR, compiled into the NSS module):
 *   nss.cache        0644 users and groups, written whole by `cognitoctl sync`
 *   nss.logins       0644 users seen at login since that sync (a small delta)
 *   accounts.cache   0600 account facts: sub, Enabled, UserStatus, groups, SSH keys
 *   accounts.logins  0600 the same for logins since the sync
 *   keys.cache       0644 what `cognitoctl authorized-keys` needs as sshd's
 *                    unprivileged AuthorizedKeysCommandUser: the accounts
 *                    format with only name, uid, UserStatus, Enabled and SSH
 *                    public keys, and only users with keys (sub, groups and
 *                    dates stay root-only)
 *   keys.logins      0644 the same for logins since the sync (every login, so
 *                    it shadows keys.cache)
 *   logins.journal   0600 the logins files' last images, written in place and
 *                    synced by each login (cache_journal.c), emptied by
 *                    other writers; 1 MiB, its size kept
 *   cache.lock       0600 writers' lock (cache_lock.c)
 * The NSS files hold what /etc/passwd and /etc/group would show.
 *
 * Why a delta: a login must reach the cache in milliseconds, and rewriting a
 * 100k-user file per login cannot. A login rewrites only the small logins
 * files (temp files, rename; made durable by the logins journal); readers
 * look there first; the next sync folds it into a new full file.
 *
 * What a login costs (bench/cache prints it, with the parts and the page
 * faults): the mapping of one user against the files, and when the files
 * already show the user as they are (a returning user), nothing more. A
 * new or changed user is then mapped again and written under the lock, in
 * a guard the user cannot stop (cache_detach.c): one record appended to
 * the logins journal and fdatasynced, then the three logins files replaced
 * without fsync (cache_journal.c); the files the check opened are
 * kept where no one has replaced them meanwhile (cog_cache_files_refresh),
 * and writers never map a file: small files are read whole, large ones
 * read on demand, a pread per lookup (cog_cache_map_load, cache_fetch.c):
 * on some virtual machines each page a fresh mapping touches costs tens of
 * microseconds, and a login's lookups touched a few dozen. The host's NSS is
 * asked about the name only when the caller has not just asked it
 * (cog_cache_store_login_checked). Durability is kept on purpose: a login
 * returns after its entry is on disk (in the journal), because a lost
 * entry would free the name for another sub and its hashed uid for another
 * sub that hashes to it (mapping_ids.c probes past taken uids), so the
 * user's uid could change under them after a crash. Writers hold cache.lock; readers take no
 * lock: they map a file that is never changed in place, and notice a
 * replacement through the old file's `notify` word (cache_format.h).
 *
 * The reader half (cog_cache_map_*, cog_view_*) is libc only: the NSS module
 * links it into every process on the host. */
#ifndef COGNITO_CACHE_H
#define COGNITO_CACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "libcognito/cache/cache_format.h"
#include "libcognito/core/error.h"

#define COG_CACHE_NSS_FILE "nss.cache"
#define COG_CACHE_NSS_DELTA_FILE "nss.logins"
#define COG_CACHE_ACCOUNTS_FILE "accounts.cache"
#define COG_CACHE_ACCOUNTS_DELTA_FILE "accounts.logins"
#define COG_CACHE_KEYS_FILE "keys.cache"
#define COG_CACHE_KEYS_DELTA_FILE "keys.logins"
#define COG_CACHE_LOCK_FILE "cache.lock"
#define COG_CACHE_PUBLIC_MODE 0644
#define COG_CACHE_PRIVATE_MODE 0600

/* ---- reader (libc only) --------------------------------------------------- */

enum cog_cache_rc {
    COG_CACHE_OK = 0,
    COG_CACHE_NOTFOUND,  /* the file is fine; no such entry */
    COG_CACHE_ABSENT,    /* no such file */
    COG_CACHE_CORRUPT,   /* wrong magic/version/kind/size/sums or a bad offset */
    COG_CACHE_UNTRUSTED, /* owned by someone else, or writable by group/others */
    COG_CACHE_ERROR,     /* I/O or mapping failed */
};

/* A large file a writer reads on demand (cog_cache_map_load, cache_fetch.c)
 * instead of mapping it: the reader asks for the bytes a lookup needs. The
 * reader half only calls through it (it allocates nothing itself). */
struct cog_cache_fetch {
    /* The file's bytes [off, off + len), or with str the NUL-terminated
     * string at off that must end before off + len; valid until the map is
     * closed. NULL when they cannot be had: failed is set then, and a
     * writer that has looked something up must not go on (a record it
     * could not read is not a record that is absent). */
    const void *(*read)(struct cog_cache_fetch *f, uint64_t off, size_t len, bool str);
    void (*close)(struct cog_cache_fetch *f);
    bool failed;
};

/* One mapped (or read on demand), validated file. */
struct cog_cache_map {
    const unsigned char *base;
    size_t size;
    dev_t dev;
    ino_t ino;
    const struct cog_disk_header *hdr;
    uint32_t nrec[2];
    const void *rec[2]; /* users (or accounts), groups */
    const uint32_t *words;
    uint32_t nwords;
    const char *strings;
    uint32_t strings_size;
    const struct cog_disk_slot *idx[4];
    uint32_t slots[4];
    bool loaded; /* a copy in memory (cog_cache_map_load): freed, not unmapped */
    /* Read on demand: base and the section pointers are NULL, hdr is a
     * copy; lookups go through fetch. */
    struct cog_cache_fetch *fetch;
};

/* Maps and validates path: magic, version, kind, the header's sum, the size
 * against the file's, every section inside the file and consistent with
 * its counts. The body's sum is only checked by cog_cache_map_verify (it
 * reads every page; a lookup must not). The file must be a regular file
 * owned by root (or by the caller when the caller is not root) and not
 * writable by group or others. */
enum cog_cache_rc cog_cache_map_open(struct cog_cache_map *m, const char *path,
                                     enum cog_disk_kind kind);
void cog_cache_map_close(struct cog_cache_map *m);
/* path opened read-only with the same checks as cog_cache_map_open (a
 * regular file, trusted owner and mode, a plausible size); *fd is -1
 * unless COG_CACHE_OK. */
enum cog_cache_rc cog_cache_open_checked(const char *path, int *fd, struct stat *sb);
/* Maps the file open as fd (sb from cog_cache_open_checked) as
 * cog_cache_map_open does; fd stays the caller's. */
enum cog_cache_rc cog_cache_map_fd(struct cog_cache_map *m, int fd, const struct stat *sb,
                                   enum cog_disk_kind kind);
/* The same checks on an image already in memory (8-byte aligned), for
 * fuzzers and tests; such a map is not closed, the caller frees the data. */
enum cog_cache_rc cog_cache_map_buffer(struct cog_cache_map *m, const void *data, size_t len,
                                       enum cog_disk_kind kind);
/* Checks the body's sum: for writers (read back) and tests. A file read on
 * demand is never whole in memory: false (map it to check it). */
bool cog_cache_map_verify(const struct cog_cache_map *m);
/* The header's notify word, read once (it may change under us). */
uint32_t cog_cache_map_notify(const struct cog_cache_map *m);

/* A checked string / list of the file; NULL / false when the offset is bad. */
const char *cog_cache_str(const struct cog_cache_map *m, uint32_t off);
bool cog_cache_list(const struct cog_cache_map *m, uint32_t off, const uint32_t **items,
                    uint32_t *n);

/* Raw record lookups in one file (NULL when absent or the record is damaged). */
const struct cog_disk_user *cog_cache_user_by_name(const struct cog_cache_map *m, const char *name);
const struct cog_disk_user *cog_cache_user_by_uid(const struct cog_cache_map *m, uint32_t uid);
const struct cog_disk_group *cog_cache_group_by_name(const struct cog_cache_map *m,
                                                     const char *name);
const struct cog_disk_group *cog_cache_group_by_gid(const struct cog_cache_map *m, uint32_t gid);
const struct cog_disk_account *cog_cache_account_by_name(const struct cog_cache_map *m,
                                                         const char *name);
const struct cog_disk_account *cog_cache_account_by_sub(const struct cog_cache_map *m,
                                                        const char *sub);
/* The i-th record, checked (NULL when damaged). */
const struct cog_disk_user *cog_cache_user_at(const struct cog_cache_map *m, uint32_t i);
const struct cog_disk_group *cog_cache_group_at(const struct cog_cache_map *m, uint32_t i);
const struct cog_disk_account *cog_cache_account_at(const struct cog_cache_map *m, uint32_t i);

/* The full file and the logins file read as one: the logins file (delta,
 * may be NULL) answers first. A delta record hides the full file's records
 * with the same name or id; a HIDDEN delta record only hides. */
struct cog_cache_view {
    const struct cog_cache_map *main;
    const struct cog_cache_map *delta;
};

struct cog_view_user {
    const struct cog_cache_map *map;
    const struct cog_disk_user *rec;
};

/* A group as NSS shows it: a Cognito group, or a user's private group
 * (rec NULL, owner set: name and gid are the user's name and uid). */
struct cog_view_group {
    const struct cog_cache_map *map;
    const struct cog_disk_group *rec;
    const struct cog_disk_user *owner;
};

enum cog_cache_rc cog_view_user_by_name(const struct cog_cache_view *v, const char *name,
                                        struct cog_view_user *out);
enum cog_cache_rc cog_view_user_by_uid(const struct cog_cache_view *v, uint32_t uid,
                                       struct cog_view_user *out);
enum cog_cache_rc cog_view_group_by_name(const struct cog_cache_view *v, const char *name,
                                         struct cog_view_group *out);
enum cog_cache_rc cog_view_group_by_gid(const struct cog_cache_view *v, uint32_t gid,
                                        struct cog_view_group *out);
const char *cog_view_group_name(const struct cog_view_group *g);
uint32_t cog_view_group_gid(const struct cog_view_group *g);

/* Calls fn for each member name of g (the full file's members the delta does
 * not override, then the delta's); stops early when fn returns false.
 * Returns the number of members visited. */
typedef bool (*cog_view_member_fn)(void *ctx, const char *name);
size_t cog_view_group_members(const struct cog_cache_view *v, const struct cog_view_group *g,
                              cog_view_member_fn fn, void *ctx);

/* Enumeration: every visible user / group once. Start with a zeroed cursor. */
struct cog_view_cursor {
    unsigned phase;
    uint32_t index;
};
enum cog_cache_rc cog_view_next_user(const struct cog_cache_view *v, struct cog_view_cursor *c,
                                     struct cog_view_user *out);
enum cog_cache_rc cog_view_next_group(const struct cog_cache_view *v, struct cog_view_cursor *c,
                                      struct cog_view_group *out);

/* Account facts, delta first (accounts files). */
enum cog_cache_rc cog_view_account_by_name(const struct cog_cache_view *v, const char *name,
                                           const struct cog_cache_map **map,
                                           const struct cog_disk_account **out);
enum cog_cache_rc cog_view_account_by_sub(const struct cog_cache_view *v, const char *sub,
                                          const struct cog_cache_map **map,
                                          const struct cog_disk_account **out);

/* ---- writer (the rest of libcognito: json-c and OpenSSL are fine) ---------- */

struct cog_config;
struct json_object;

/* One user as the mapping made it. Strings and arrays live in the model's
 * arena. A delta's hidden record only hides the full file's record with
 * its name or uid (a user renamed, or a name now someone else's). */
struct cog_cache_user {
    const char *name, *sub, *gecos, *home, *shell, *status;
    uint32_t uid, gid;
    bool enabled, hidden;
    const uint32_t *gids; /* supplementary: Cognito groups', then group_map's local ones */
    size_t ngids;
    const char *const *groups; /* Cognito group names (for allowed_groups) */
    size_t ngroups;
    const char *const *keys; /* SSH public keys */
    size_t nkeys;
    int64_t created; /* UserCreateDate, unix seconds; 0 unknown */
    int64_t stamp;   /* when a login wrote it (deltas) */
};

struct cog_cache_group {
    const char *name;
    uint32_t gid;
    const uint32_t *members; /* indices into the model's users */
    size_t nmembers;
};

struct cog_arena;

struct cog_cache_model {
    struct cog_cache_user *users;
    size_t nusers, users_cap;
    struct cog_cache_group *groups;
    size_t ngroups, groups_cap;
    int64_t built_at;
    int64_t base_time; /* a delta: the start of the sync it follows; a full file: when
                          its listing started (0: built_at) */
    bool delta;
    struct cog_arena *arena;
};

void cog_cache_model_init(struct cog_cache_model *m);
void cog_cache_model_free(struct cog_cache_model *m);
/* A zeroed record appended to the model; NULL when out of memory. Pointers
 * to earlier records may move: hold indices. */
struct cog_cache_user *cog_cache_model_add_user(struct cog_cache_model *m);
struct cog_cache_group *cog_cache_model_add_group(struct cog_cache_model *m);
/* Memory that lives as long as the model (zeroed); NULL when out of memory. */
void *cog_cache_model_alloc(struct cog_cache_model *m, size_t n);
char *cog_cache_model_strdup(struct cog_cache_model *m, const char *s);

/* The file image of the model: kind NSS (users and groups) or ACCOUNTS.
 * *data is malloc'd. COG_ERR_INTERNAL when the model has two live users of
 * one name or uid, or two groups of one name or gid. */
cog_status cog_cache_build(const struct cog_cache_model *m, enum cog_disk_kind kind, char **data,
                           size_t *len, struct cog_error *err);

/* The public keys file's image of the model (see the file list above). */
cog_status cog_cache_build_keys(const struct cog_cache_model *m, char **data, size_t *len,
                                struct cog_error *err);

/* For writers, which open the files once and look up a few records: a file
 * of at most COG_CACHE_READ_MAX bytes (a logins file, a small host's cache)
 * is read into memory, a larger one is read on demand (cache_fetch.c: each
 * lookup preads the few hundred bytes it needs) after the same checks as
 * cog_cache_map_open's. On some virtual machines every page a fresh
 * mapping touches costs a fault of tens of microseconds and its unmapping
 * as much again, where a pread costs one or two; a reader that stays (the
 * NSS module) maps. A reader on demand that has read COG_CACHE_FETCH_MAX
 * bytes (a writer walking the whole file) maps the file after all. */
#define COG_CACHE_READ_MAX (256u * 1024u)
#define COG_CACHE_FETCH_MAX (1024u * 1024u)
enum cog_cache_rc cog_cache_map_load(struct cog_cache_map *m, const char *path,
                                     enum cog_disk_kind kind);
/* cog_cache_map_load's reader on demand (cache_fetch.c) of the file open as
 * fd (sb from cog_cache_open_checked), which keeps fd when COG_CACHE_OK. */
enum cog_cache_rc cog_cache_fetch_open(struct cog_cache_map *m, int fd, const struct stat *sb,
                                       enum cog_disk_kind kind);
/* Whether m holds a file (mapped, copied or read on demand). */
bool cog_cache_map_present(const struct cog_cache_map *m);
/* Whether a read on demand of m failed (see struct cog_cache_fetch). */
bool cog_cache_map_failed(const struct cog_cache_map *m);
/* The checks of cog_cache_map_fd on the header of the file open as fd
 * (sb from cog_cache_open_checked), for a reader on demand: m is laid out
 * without a mapping, hdr (a copy the caller keeps) and fetch are m's. */
enum cog_cache_rc cog_cache_map_header(struct cog_cache_map *m, const struct cog_disk_header *hdr,
                                       int fd, const struct stat *sb, enum cog_disk_kind kind,
                                       struct cog_cache_fetch *fetch);

/* DIR/NAME, malloc'd (NULL when out of memory). */
char *cog_cache_path(const char *dir, const char *name);

/* Writers' mutual exclusion: flock on DIR/cache.lock (made 0600 if absent,
 * DIR 0755 if absent) that no one can freeze (cache_lock.c says how): every
 * wait ends by wait_ms (<= 0: COG_LOCK_WAIT_MS) with COG_ERR_UNAVAILABLE,
 * and a holder that is gone, stopped or past its lease loses the lock to a
 * waiter after COG_LOCK_GRACE_MS. A writer calls cog_cache_lock_check right
 * before each rename into the cache (cog_cache_replace does).
 * Once held, the logins journal is settled (cache_journal.c): the logins
 * files are brought back to its last record if a crash left them behind,
 * and, for every writer but a login (cog_cache_lock_login), made durable
 * and the journal emptied, so no older login's record can undo the write. */
#define COG_LOCK_WAIT_MS 30000L
#define COG_LOCK_GRACE_MS 1000L
#define COG_LOCK_LEASE_S 300
struct cog_cache_lock {
    int fd;
    char *path;
    bool reclaimed; /* taken from a stale holder, reclaim_reason says why */
    char reclaim_reason[128];
};
cog_status cog_cache_lock(const char *dir, long wait_ms, struct cog_cache_lock *lk,
                          struct cog_error *err);
cog_status cog_cache_lock_login(const char *dir, long wait_ms, struct cog_cache_lock *lk,
                                struct cog_error *err);
/* COG_OK while lk is still the lock (NULL: no lock, always OK); else
 * COG_ERR_UNAVAILABLE: it was reclaimed and this writer must not commit. */
cog_status cog_cache_lock_check(const struct cog_cache_lock *lk, struct cog_error *err);
void cog_cache_unlock(struct cog_cache_lock *lk);

/* Runs fn(ctx) in a child process that the caller's user cannot signal or
 * stop (real, effective and saved uid 0 when the caller runs as root, its
 * own session, terminal signals ignored) and waits for it at most wait_ms:
 * past that it is killed and COG_ERR_UNAVAILABLE returned. fn's status and
 * error come back through a pipe. For work that holds cache.lock on behalf
 * of a setuid program such as su. */
cog_status cog_run_detached(cog_status (*fn)(void *ctx, struct cog_error *err), void *ctx,
                            long wait_ms, struct cog_error *err);

/* The same guarantee without a fork when the process has one thread (a
 * fork costs about 2 ms on some hosts, more than a login's whole update):
 * fn runs in this process with every signal blocked, the caller's resource
 * limits lifted and, when the caller runs as root, its real uid 0 (the user
 * cannot signal it then); all three are put back before this returns, so
 * signals that arrived meanwhile reach the program after the lock is gone.
 * A process with other threads (one of them could take a terminal's ^Z),
 * or one that cannot change its uids, gets cog_run_detached. */
cog_status cog_run_guarded(cog_status (*fn)(void *ctx, struct cog_error *err), void *ctx,
                           long wait_ms, struct cog_error *err);

/* Replaces DIR/NAME by data, an image of cog_cache_build (temp file of the
 * mode, fsync, the file read back and its sums checked, lk still held, then
 * rename), then bumps the notify word of the file it replaced, so readers
 * holding it look again. A short write never reaches DIR/NAME. */
cog_status cog_cache_replace(const struct cog_cache_lock *lk, const char *dir, const char *name,
                             const void *data, size_t len, unsigned mode, struct cog_error *err);
/* Several files replaced as one step: all written (their writeback started
 * together), then each synced and read back, then each renamed in the
 * order given (lk checked before each). Nothing is renamed unless every
 * file was written whole. At most COG_CACHE_SET_MAX files. */
#define COG_CACHE_SET_MAX 4
struct cog_cache_image {
    const char *name; /* in DIR */
    const void *data; /* an image of cog_cache_build / cog_cache_build_keys */
    size_t len;
    unsigned mode;
};
cog_status cog_cache_replace_set(const struct cog_cache_lock *lk, const char *dir,
                                 const struct cog_cache_image *imgs, size_t n,
                                 struct cog_error *err);
/* The same without any fsync: only for images already made durable by
 * the logins journal (cog_journal_replace_set), and without bumping the
 * notify words of the logins files it replaces (no reader watches them;
 * the caller bumps nss.cache's, cog_cache_notify). The file each replaces is
 * set aside as DIR/NAME.aside-K (K < COG_CACHE_ASIDE_RING), not removed:
 * freeing a file's blocks is a synchronous TRIM on a file system mounted
 * with `discard`, which a login need not wait for. When no such name is
 * free, it is removed at once. */
cog_status cog_cache_replace_set_unsynced(const struct cog_cache_lock *lk, const char *dir,
                                          const struct cog_cache_image *imgs, size_t n,
                                          struct cog_error *err);
#define COG_CACHE_ASIDE_RING 64
/* Removes DIR/NAME.aside-K for every K: the files logins set aside. Run
 * by every writer but a login, once it holds the lock (the journal's
 * emptying settle). */
void cog_cache_tidy_aside(const char *dir, const char *name);
/* The lock taken (at most wait_ms) and given back: the journal emptied and
 * the files logins set aside removed, for a timer's run that has nothing
 * else to write (a snapshot poll answered "unchanged"). */
cog_status cog_cache_tidy(const char *dir, long wait_ms, struct cog_error *err);
/* The logins journal (cache_journal.c: why and how). A login's three new
 * logins images written in place as one record and fdatasynced (the
 * login's only sync), then the files replaced without fsync; lk from
 * cog_cache_lock_login. */
#define COG_CACHE_JOURNAL_FILE "logins.journal"
/* The only files a record may name (the three logins files), each with its
 * kind and mode, in the order a login writes them. */
#define COG_CACHE_NLOGINS 3
struct cog_cache_logins_file {
    const char *name;
    enum cog_disk_kind kind;
    unsigned mode;
};
extern const struct cog_cache_logins_file cog_cache_logins_files[COG_CACHE_NLOGINS];
cog_status cog_journal_replace_set(const struct cog_cache_lock *lk, const char *dir,
                                   const struct cog_cache_image *imgs, size_t n,
                                   struct cog_error *err);
/* Under lk: the logins files brought back to the journal's last record if
 * they differ from it (durably), and with empty, made durable as they are
 * and the journal emptied (cog_cache_lock and cog_cache_lock_login call it). */
cog_status cog_journal_settle(const struct cog_cache_lock *lk, const char *dir, bool empty,
                              struct cog_error *err);
/* What DIR/logins.journal holds (cognitoctl cache show, tests). */
struct cog_journal_info {
    bool present;                /* the name exists */
    bool readable;               /* opened (by this caller) */
    bool trusted;                /* the writers' own 0600 regular file (else they all stop) */
    bool valid;                  /* a whole header slot */
    uint64_t size;               /* the file's (1 MiB unless a record passed it) */
    uint64_t seq;                /* the current header's; its slot is seq % 2 */
    uint64_t epoch;              /* emptying starts the next one */
    uint64_t used;               /* bytes of the records of this epoch */
    uint64_t last_off, last_len; /* the last record; 0, 0: none */
};
void cog_journal_info(const char *dir, struct cog_journal_info *out);

/* Bumps DIR/NAME's notify word in place (a delta changed beside it). */
cog_status cog_cache_notify(const char *dir, const char *name, struct cog_error *err);
/* fsync(DIR): the renames survive a crash. */
cog_status cog_cache_sync_dir(const char *dir, struct cog_error *err);

/* ---- the two writers ----------------------------------------------------------- */

struct cog_pool;
struct cog_mapping_log;

/* After a successful login: maps the user of a verified ID token's claims
 * (and GetUser's answer, may be NULL) and writes them, with their groups,
 * into the logins files of cfg->cache_dir under the lock. Only the small
 * logins files are rewritten. The user keeps the uid this host gave them;
 * a name or uid that was someone else's here is hidden from the full file.
 * COG_ERR_INVALID_INPUT when the user cannot be mapped (log is told why). */
cog_status cog_cache_store_login(const struct cog_config *cfg, struct json_object *id_claims,
                                 struct json_object *getuser, struct cog_mapping_log *log,
                                 struct cog_error *err);
/* The same, for a caller that has just passed the user's Unix name through
 * cog_local_name in this process (pam_cognito does, before the sign-in):
 * nss_checked is that name, and the update does not ask the host's NSS
 * about it again (the deny list and the local files are still checked).
 * A mapped name other than nss_checked gets the full check. */
cog_status cog_cache_store_login_checked(const struct cog_config *cfg,
                                         struct json_object *id_claims, struct json_object *getuser,
                                         const char *nss_checked, struct cog_mapping_log *log,
                                         struct cog_error *err);

struct cog_sync_stats {
    size_t users, groups; /* in the new full file */
    size_t kept_logins;   /* logins newer than the listing, kept in the logins file */
    long long build_ms;   /* mapping and writing, after the listing */
};

/* `cognitoctl sync`'s commit: maps the whole pool (listed from listed_at
 * on) and replaces the full files; logins written since listed_at stay in
 * the logins file, everything older is folded in. */
cog_status cog_cache_store_pool(const struct cog_config *cfg, const struct cog_pool *pool,
                                int64_t listed_at, struct cog_mapping_log *log,
                                struct cog_sync_stats *stats, struct cog_error *err);

/* The four files of a cache directory, mapped when present and sound (a
 * damaged or foreign file counts as absent), with their two views. */
struct cog_cache_files {
    struct cog_cache_map nss, nss_d, acc, acc_d;
    struct cog_cache_view vnss, vacc;
};
cog_status cog_cache_files_open(const char *dir, struct cog_cache_files *f, struct cog_error *err);
/* f (opened before, maybe by another step) made current: a large file
 * still mapped under its name is kept, everything else opened again. */
cog_status cog_cache_files_refresh(const char *dir, struct cog_cache_files *f,
                                   struct cog_error *err);
void cog_cache_files_close(struct cog_cache_files *f);
/* COG_ERR_UNAVAILABLE when a lookup in f could not read a large file
 * (cog_cache_map_failed): a writer checks this before it writes what its
 * lookups decided. */
cog_status cog_cache_files_sound(const struct cog_cache_files *f, struct cog_error *err);

/* `cognitoctl cache drop`: hides the Unix user name from both views until a
 * sync or a login brings the user back (the logins files are rewritten
 * under the lock). COG_ERR_USER_UNKNOWN when the cache has no such user. */
cog_status cog_cache_drop_user(const struct cog_config *cfg, const char *name,
                               struct cog_error *err);

/* ---- account facts ------------------------------------------------------------- */

struct cog_account {
    char *name;   /* the Unix name */
    char *sub;    /* Cognito's immutable user id */
    char *status; /* UserStatus: CONFIRMED, FORCE_CHANGE_PASSWORD, ... */
    bool enabled; /* Cognito's Enabled */
    uint32_t uid;
    char **groups; /* Cognito group names (not the Unix names) */
    size_t ngroups;
    char **keys; /* SSH public keys from ssh_key_attribute */
    size_t nkeys;
    int64_t created;  /* UserCreateDate, 0 when only a login has seen the user */
    bool from_login;  /* the logins file answered (fresher than the last sync) */
    bool public_only; /* read from the public keys files: sub, groups, created unknown */
};

/* What the cache knows of a Unix user name: for pam_cognito's acct_mgmt
 * (Enabled, allowed_groups, the sub the ID token must carry) and
 * `cognitoctl authorized-keys`. A caller who may not read the root-only
 * accounts files gets the public keys files' answer (public_only): a user
 * without keys is then unknown. COG_ERR_USER_UNKNOWN when the cache has no
 * such user, COG_ERR_UNAVAILABLE when there is no (usable) cache. */
cog_status cog_account_lookup(const struct cog_config *cfg, const char *username,
                              struct cog_account *out, struct cog_error *err);
void cog_account_clear(struct cog_account *a);

#endif
