/* libnss_cognito.so.2: passwd, group and initgroups from the user cache.
 *
 * Loaded into every process on the host, so: libc only, no socket, no
 * config file, no lookups through NSS (no getpw*, getgr* here), and memory
 * bounded by what callers hold. The cache directory is compiled in
 * (CACHEDIR); the test build (COG_NSS_TEST_ENV) also takes it from
 * COGNITO_NSS_CACHE_DIR, and only in processes that are not setuid/setgid
 * or file-capability programs (AT_SECURE), since this module sits inside su
 * and sudo too. The installed module has no such code at all.
 *
 * The one piece of global state: the current generation of mapped files,
 * shared by all threads, replaced when a writer says so (the full file's
 * notify word) or, as a safety net, when a re-stat once a second finds new
 * files. A generation is reference-counted: a thread copying a record out
 * keeps its mapping alive while another thread installs the next one; the
 * last reference unmaps it. Enumeration (setpwent/getpwent) holds its own
 * reference, so a walk sees one consistent generation. */
#include "build-config.h"

#include <errno.h>
#include <grp.h>
#include <limits.h>
#include <nss.h>
#include <pthread.h>
#include <pwd.h>
#include <stdalign.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#ifdef COG_NSS_TEST_ENV
#include <sys/auxv.h>
#endif

#include "libcognito/cache/cache.h"
#include "nss_cognito/nss_cognito.h"

#define EXPORT __attribute__((visibility("default")))
#define RECHECK_NS 1000000000LL /* re-stat at least this often */

struct generation {
    struct cog_cache_map main, delta;
    bool has_delta;
    unsigned refs;
};

static pthread_mutex_t gen_lock = PTHREAD_MUTEX_INITIALIZER;
static struct generation *current;
static uint32_t seen_notify;
static long long last_check_ns;
static pthread_once_t once = PTHREAD_ONCE_INIT;

/* Enumeration state, one walk per database, as glibc's own modules have. */
struct walk {
    struct generation *gen;
    struct cog_view_cursor cur;
};
static pthread_mutex_t walk_lock = PTHREAD_MUTEX_INITIALIZER;
static struct walk pw_walk, gr_walk;

/* A fork while another thread holds a lock must not leave the child's
 * lock held forever: take them around fork. */
static void before_fork(void)
{
    pthread_mutex_lock(&walk_lock);
    pthread_mutex_lock(&gen_lock);
}

static void after_fork(void)
{
    pthread_mutex_unlock(&gen_lock);
    pthread_mutex_unlock(&walk_lock);
}

static void init_once(void)
{
    pthread_atfork(before_fork, after_fork, after_fork);
}

static const char *cache_dir(void)
{
#ifdef COG_NSS_TEST_ENV
    if (getauxval(AT_SECURE) == 0) {
        const char *d = getenv("COGNITO_NSS_CACHE_DIR");
        if (d != NULL && d[0] == '/')
            return d;
    }
#endif
    return CACHEDIR;
}

static long long now_ns(void)
{
    struct timespec ts;
    /* The coarse clock is a vDSO read: no syscall on the lookup path. */
    clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
    return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* Drops a reference; the last one unmaps. No lock needed: only `current`
 * hands out references (under gen_lock) and holds one itself, so a count
 * that reaches zero belongs to a generation nobody can reach any more. */
static void unref(struct generation *g)
{
    if (g == NULL || __atomic_sub_fetch(&g->refs, 1, __ATOMIC_ACQ_REL) > 0)
        return;
    cog_cache_map_close(&g->main);
    cog_cache_map_close(&g->delta);
    free(g);
}

static bool same_file(const struct cog_cache_map *m, const struct stat *sb)
{
    return m->base != NULL && m->dev == sb->st_dev && m->ino == sb->st_ino;
}

/* Installs a new generation, or none. Called with gen_lock held. */
static enum cog_cache_rc refresh_locked(const char *main_path, const char *delta_path)
{
    struct stat ms, ds;
    bool have_delta = stat(delta_path, &ds) == 0;

    if (stat(main_path, &ms) != 0) {
        unref(current);
        current = NULL;
        return errno == ENOENT || errno == ENOTDIR ? COG_CACHE_ABSENT : COG_CACHE_ERROR;
    }
    if (current != NULL && same_file(&current->main, &ms) &&
        (have_delta ? same_file(&current->delta, &ds) : !current->has_delta)) {
        seen_notify = cog_cache_map_notify(&current->main);
        return COG_CACHE_OK;
    }
    struct generation *g = calloc(1, sizeof(*g));
    if (g == NULL)
        return COG_CACHE_ERROR;
    enum cog_cache_rc rc = cog_cache_map_open(&g->main, main_path, COG_DISK_NSS);
    if (rc != COG_CACHE_OK) {
        free(g);
        unref(current);
        current = NULL;
        return rc;
    }
    /* Read before the logins file is opened: a bump after this is seen next call. */
    uint32_t notify = cog_cache_map_notify(&g->main);
    /* A damaged logins file costs the recent logins, not the whole cache. */
    g->has_delta = cog_cache_map_open(&g->delta, delta_path, COG_DISK_NSS) == COG_CACHE_OK &&
                   (g->delta.hdr->flags & COG_DISK_DELTA) != 0;
    if (!g->has_delta)
        cog_cache_map_close(&g->delta);
    g->refs = 1; /* current's own reference */
    unref(current);
    current = g;
    seen_notify = notify;
    return COG_CACHE_OK;
}

/* The current generation with a reference for the caller, or NULL. */
static struct generation *acquire(enum cog_cache_rc *rc)
{
    char main_path[PATH_MAX], delta_path[PATH_MAX];
    struct generation *g = NULL;
    long long now = now_ns();

    pthread_once(&once, init_once);
    pthread_mutex_lock(&gen_lock);
    *rc = COG_CACHE_OK;
    if (current == NULL || cog_cache_map_notify(&current->main) != seen_notify ||
        now - last_check_ns >= RECHECK_NS) {
        const char *dir = cache_dir();
        int a = snprintf(main_path, sizeof(main_path), "%s/" COG_CACHE_NSS_FILE, dir);
        int b = snprintf(delta_path, sizeof(delta_path), "%s/" COG_CACHE_NSS_DELTA_FILE, dir);
        if (a < 0 || b < 0 || (size_t)a >= sizeof(main_path) || (size_t)b >= sizeof(delta_path))
            *rc = COG_CACHE_ERROR;
        else
            *rc = refresh_locked(main_path, delta_path);
        last_check_ns = now;
    }
    if (current != NULL) {
        g = current;
        __atomic_add_fetch(&g->refs, 1, __ATOMIC_RELAXED);
    }
    pthread_mutex_unlock(&gen_lock);
    return g;
}

static struct cog_cache_view view_of(const struct generation *g)
{
    struct cog_cache_view v = {&g->main, g->has_delta ? &g->delta : NULL};
    return v;
}

static enum nss_status unavailable(int *errnop)
{
    *errnop = ENOENT;
    return NSS_STATUS_UNAVAIL;
}

/* ---- copying into the caller's buffer --------------------------------------------- */

struct packer {
    char *buf;
    size_t len, used;
};

static char *pack(struct packer *p, const char *s)
{
    size_t n = strlen(s) + 1;
    if (n > p->len - p->used)
        return NULL;
    char *at = p->buf + p->used;
    memcpy(at, s, n);
    p->used += n;
    return at;
}

static enum nss_status fill_passwd(const struct cog_view_user *u, struct passwd *pw, char *buf,
                                   size_t buflen, int *errnop)
{
    struct packer p = {buf, buflen, 0};
    const struct cog_cache_map *m = u->map;
    pw->pw_name = pack(&p, cog_cache_str(m, u->rec->name));
    /* No Unix password: "*" also keeps pam_unix's account check from
     * looking for a shadow entry that does not exist. */
    pw->pw_passwd = pack(&p, "*");
    pw->pw_gecos = pack(&p, cog_cache_str(m, u->rec->gecos));
    pw->pw_dir = pack(&p, cog_cache_str(m, u->rec->home));
    pw->pw_shell = pack(&p, cog_cache_str(m, u->rec->shell));
    pw->pw_uid = u->rec->uid;
    pw->pw_gid = u->rec->gid;
    if (!pw->pw_name || !pw->pw_passwd || !pw->pw_gecos || !pw->pw_dir || !pw->pw_shell) {
        *errnop = ERANGE;
        return NSS_STATUS_TRYAGAIN;
    }
    return NSS_STATUS_SUCCESS;
}

struct member_sizer {
    size_t n, bytes;
};

static bool size_member(void *ctx, const char *name)
{
    struct member_sizer *s = ctx;
    s->n++;
    s->bytes += strlen(name) + 1;
    return true;
}

struct member_filler {
    struct packer *p;
    char **mem;
    size_t n, max;
};

static bool fill_member(void *ctx, const char *name)
{
    struct member_filler *f = ctx;
    if (f->n == f->max)
        return false;
    f->mem[f->n] = pack(f->p, name);
    return f->mem[f->n++] != NULL;
}

static enum nss_status fill_group(const struct cog_cache_view *v, const struct cog_view_group *g,
                                  struct group *gr, char *buf, size_t buflen, int *errnop)
{
    struct member_sizer sz = {0, 0};
    cog_view_group_members(v, g, size_member, &sz);

    /* Member pointers first (aligned), then the strings. */
    size_t pad = (alignof(char *) - ((uintptr_t)buf % alignof(char *))) % alignof(char *);
    size_t ptrs = (sz.n + 1) * sizeof(char *);
    if (buflen < pad || buflen - pad < ptrs) {
        *errnop = ERANGE;
        return NSS_STATUS_TRYAGAIN;
    }
    char **mem = (char **)(void *)(buf + pad);
    struct packer p = {buf, buflen, pad + ptrs};
    gr->gr_name = pack(&p, cog_view_group_name(g));
    gr->gr_passwd = pack(&p, "*");
    gr->gr_gid = cog_view_group_gid(g);
    struct member_filler f = {&p, mem, 0, sz.n};
    cog_view_group_members(v, g, fill_member, &f);
    if (!gr->gr_name || !gr->gr_passwd || f.n != sz.n || (sz.n > 0 && mem[sz.n - 1] == NULL)) {
        *errnop = ERANGE;
        return NSS_STATUS_TRYAGAIN;
    }
    mem[sz.n] = NULL;
    gr->gr_mem = mem;
    return NSS_STATUS_SUCCESS;
}

/* ---- passwd ----------------------------------------------------------------------- */

enum user_key { BY_NAME, BY_ID };

static enum nss_status lookup_user(enum user_key key, const char *name, uid_t uid,
                                   struct passwd *pw, char *buf, size_t buflen, int *errnop)
{
    enum cog_cache_rc rc;
    struct cog_view_user u;
    struct generation *g = acquire(&rc);
    if (g == NULL)
        return unavailable(errnop);
    struct cog_cache_view v = view_of(g);
    rc = key == BY_NAME ? cog_view_user_by_name(&v, name, &u) : cog_view_user_by_uid(&v, uid, &u);
    enum nss_status st;
    if (rc != COG_CACHE_OK) {
        *errnop = ENOENT;
        st = NSS_STATUS_NOTFOUND;
    } else {
        st = fill_passwd(&u, pw, buf, buflen, errnop);
    }
    unref(g);
    return st;
}

EXPORT enum nss_status _nss_cognito_getpwnam_r(const char *name, struct passwd *pw, char *buf,
                                               size_t buflen, int *errnop)
{
    return lookup_user(BY_NAME, name, 0, pw, buf, buflen, errnop);
}

EXPORT enum nss_status _nss_cognito_getpwuid_r(uid_t uid, struct passwd *pw, char *buf,
                                               size_t buflen, int *errnop)
{
    return lookup_user(BY_ID, NULL, uid, pw, buf, buflen, errnop);
}

static enum nss_status walk_start(struct walk *w)
{
    enum cog_cache_rc rc;
    unref(w->gen);
    memset(w, 0, sizeof(*w));
    w->gen = acquire(&rc);
    return w->gen != NULL ? NSS_STATUS_SUCCESS : NSS_STATUS_UNAVAIL;
}

static void walk_end(struct walk *w)
{
    unref(w->gen);
    memset(w, 0, sizeof(*w));
}

EXPORT enum nss_status _nss_cognito_setpwent(int stayopen)
{
    (void)stayopen;
    pthread_mutex_lock(&walk_lock);
    enum nss_status st = walk_start(&pw_walk);
    pthread_mutex_unlock(&walk_lock);
    return st;
}

EXPORT enum nss_status _nss_cognito_endpwent(void)
{
    pthread_mutex_lock(&walk_lock);
    walk_end(&pw_walk);
    pthread_mutex_unlock(&walk_lock);
    return NSS_STATUS_SUCCESS;
}

EXPORT enum nss_status _nss_cognito_getpwent_r(struct passwd *pw, char *buf, size_t buflen,
                                               int *errnop)
{
    enum nss_status st;
    struct cog_view_user u;

    pthread_mutex_lock(&walk_lock);
    if (pw_walk.gen == NULL && walk_start(&pw_walk) != NSS_STATUS_SUCCESS) {
        st = unavailable(errnop);
        goto out;
    }
    struct cog_cache_view v = view_of(pw_walk.gen);
    struct cog_view_cursor before = pw_walk.cur;
    if (cog_view_next_user(&v, &pw_walk.cur, &u) != COG_CACHE_OK) {
        *errnop = ENOENT;
        st = NSS_STATUS_NOTFOUND;
        goto out;
    }
    st = fill_passwd(&u, pw, buf, buflen, errnop);
    if (st == NSS_STATUS_TRYAGAIN)
        pw_walk.cur = before; /* the caller retries this entry with a bigger buffer */
out:
    pthread_mutex_unlock(&walk_lock);
    return st;
}

/* ---- group ------------------------------------------------------------------------ */

static enum nss_status lookup_group(enum user_key key, const char *name, gid_t gid,
                                    struct group *gr, char *buf, size_t buflen, int *errnop)
{
    enum cog_cache_rc rc;
    struct cog_view_group grp;
    struct generation *g = acquire(&rc);
    if (g == NULL)
        return unavailable(errnop);
    struct cog_cache_view v = view_of(g);
    rc = key == BY_NAME ? cog_view_group_by_name(&v, name, &grp)
                        : cog_view_group_by_gid(&v, gid, &grp);
    enum nss_status st;
    if (rc != COG_CACHE_OK) {
        *errnop = ENOENT;
        st = NSS_STATUS_NOTFOUND;
    } else {
        st = fill_group(&v, &grp, gr, buf, buflen, errnop);
    }
    unref(g);
    return st;
}

EXPORT enum nss_status _nss_cognito_getgrnam_r(const char *name, struct group *gr, char *buf,
                                               size_t buflen, int *errnop)
{
    return lookup_group(BY_NAME, name, 0, gr, buf, buflen, errnop);
}

EXPORT enum nss_status _nss_cognito_getgrgid_r(gid_t gid, struct group *gr, char *buf,
                                               size_t buflen, int *errnop)
{
    return lookup_group(BY_ID, NULL, gid, gr, buf, buflen, errnop);
}

EXPORT enum nss_status _nss_cognito_setgrent(int stayopen)
{
    (void)stayopen;
    pthread_mutex_lock(&walk_lock);
    enum nss_status st = walk_start(&gr_walk);
    pthread_mutex_unlock(&walk_lock);
    return st;
}

EXPORT enum nss_status _nss_cognito_endgrent(void)
{
    pthread_mutex_lock(&walk_lock);
    walk_end(&gr_walk);
    pthread_mutex_unlock(&walk_lock);
    return NSS_STATUS_SUCCESS;
}

EXPORT enum nss_status _nss_cognito_getgrent_r(struct group *gr, char *buf, size_t buflen,
                                               int *errnop)
{
    enum nss_status st;
    struct cog_view_group grp;

    pthread_mutex_lock(&walk_lock);
    if (gr_walk.gen == NULL && walk_start(&gr_walk) != NSS_STATUS_SUCCESS) {
        st = unavailable(errnop);
        goto out;
    }
    struct cog_cache_view v = view_of(gr_walk.gen);
    struct cog_view_cursor before = gr_walk.cur;
    if (cog_view_next_group(&v, &gr_walk.cur, &grp) != COG_CACHE_OK) {
        *errnop = ENOENT;
        st = NSS_STATUS_NOTFOUND;
        goto out;
    }
    st = fill_group(&v, &grp, gr, buf, buflen, errnop);
    if (st == NSS_STATUS_TRYAGAIN)
        gr_walk.cur = before;
out:
    pthread_mutex_unlock(&walk_lock);
    return st;
}

/* ---- initgroups --------------------------------------------------------------------- */

EXPORT enum nss_status _nss_cognito_initgroups_dyn(const char *user, gid_t group, long int *start,
                                                   long int *size, gid_t **groupsp, long int limit,
                                                   int *errnop)
{
    enum cog_cache_rc rc;
    struct cog_view_user u;
    const uint32_t *gids;
    uint32_t n = 0;
    enum nss_status st = NSS_STATUS_SUCCESS;
    struct generation *g = acquire(&rc);

    if (g == NULL)
        return unavailable(errnop);
    struct cog_cache_view v = view_of(g);
    if (cog_view_user_by_name(&v, user, &u) != COG_CACHE_OK ||
        !cog_cache_list(u.map, u.rec->gids, &gids, &n)) {
        *errnop = ENOENT;
        st = NSS_STATUS_NOTFOUND;
        goto out;
    }
    for (uint32_t i = 0; i < n; i++) {
        gid_t gid = gids[i];
        bool dup = gid == group || gid == 0;
        for (long k = 0; !dup && k < *start; k++)
            dup = (*groupsp)[k] == gid;
        if (dup)
            continue;
        if (*start == *size) {
            if (limit > 0 && *size >= limit)
                break; /* glibc's limit reached: the rest would be dropped anyway */
            long nsize = *size > 0 ? *size * 2 : 16;
            if (limit > 0 && nsize > limit)
                nsize = limit;
            gid_t *ng = realloc(*groupsp, (size_t)nsize * sizeof(gid_t));
            if (ng == NULL) {
                *errnop = ENOMEM;
                st = NSS_STATUS_TRYAGAIN;
                goto out;
            }
            *groupsp = ng;
            *size = nsize;
        }
        (*groupsp)[(*start)++] = gid;
    }
out:
    unref(g);
    return st;
}
