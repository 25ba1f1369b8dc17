/* A login's cache update (cog_cache_store_login).
 *
 * Most logins are of users the cache already shows as the login sees them
 * (a returning user of a synced host, or of a fleet's snapshot): those
 * write nothing. The login maps its user against the files as they are,
 * without the lock, and compares; only a new or changed user goes on to
 * the writer (cache_store.c's logins files), in the guard that keeps the
 * lock out of the user's reach (cache_detach.c), mapped again under the
 * lock. */
#include "build-config.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <openssl/crypto.h>

#include "libcognito/cache/cache.h"
#include "libcognito/core/config.h"
#include "libcognito/mapping/cache_store.h"
#include "libcognito/mapping/mapping.h"

/* The login's user, as the pool the mapping reads. */
static cog_status login_pool(const struct cog_login_job *job, struct cog_pool *pool,
                             struct cog_error *err)
{
    struct cog_pool_user *u = cog_pool_add_user(pool);
    if (u == NULL)
        return cog_error_set(err, COG_ERR_NOMEM, NULL, "out of memory");
    cog_status st = cog_pool_user_from_login(pool, u, job->cfg, job->id_claims, job->getuser, err);
    for (size_t i = 0; st == COG_OK && i < u->ngroups; i++) {
        struct cog_pool_group *g = cog_pool_add_group(pool);
        if (g == NULL)
            return cog_error_set(err, COG_ERR_NOMEM, NULL, "out of memory");
        g->name = u->groups[i];
    }
    return st;
}

/* The user as the mapping makes it against the files f holds. */
static cog_status login_map(const struct cog_login_job *job, struct cog_pool *pool,
                            struct cog_cache_files *f, struct cog_cache_model *one,
                            struct cog_mapping_log *log, struct cog_error *err)
{
    struct cog_mapping_input in = {
        .cfg = job->cfg,
        .pool = pool,
        .prior_nss = &f->vnss,
        .prior_accounts = &f->vacc,
        .incremental = true,
        .nss_checked = job->nss_checked,
    };
    cog_status st = cog_mapping_build(&in, one, log, err);
    if (st == COG_OK && one->nusers == 0)
        st = cog_error_set(err, COG_ERR_INVALID_INPUT, NULL,
                           "user '%.128s' cannot be a Unix user here (see the log)",
                           pool->users[0].username);
    return st;
}

static bool same_str(const struct cog_cache_map *m, uint32_t off, const char *want)
{
    const char *s = cog_cache_str(m, off);
    return s != NULL && want != NULL && strcmp(s, want) == 0;
}

static bool same_strings(const struct cog_cache_map *m, uint32_t list, const char *const *want,
                         size_t n)
{
    const uint32_t *items;
    uint32_t count = 0;
    if (!cog_cache_list(m, list, &items, &count))
        count = 0;
    if (count != n)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!same_str(m, items[i], want[i]))
            return false;
    return true;
}

/* Whether the files already show x as this login would write it: the same
 * passwd record under the same name and uid, the same supplementary gids,
 * the same account facts (sub, status, enabled, groups, keys) bound to the
 * same name, and every group of the login under its gid. Anything else,
 * also a record the reader cannot check, is a change. */
static bool cache_shows(const struct cog_cache_files *f, const struct cog_cache_model *one)
{
    const struct cog_cache_user *x = &one->users[0];
    struct cog_view_user vu, byuid;
    struct cog_view_group vg;
    const struct cog_cache_map *am, *am2;
    const struct cog_disk_account *a, *a2;
    const uint32_t *gids;
    uint32_t ngids = 0;

    if (one->nusers != 1 || x->hidden || !cog_cache_map_present(&f->nss) ||
        !cog_cache_map_present(&f->acc) ||
        cog_view_user_by_name(&f->vnss, x->name, &vu) != COG_CACHE_OK ||
        cog_view_user_by_uid(&f->vnss, x->uid, &byuid) != COG_CACHE_OK || byuid.rec != vu.rec)
        return false;
    const struct cog_disk_user *r = vu.rec;
    if (r->uid != x->uid || r->gid != x->gid || !same_str(vu.map, r->name, x->name) ||
        !same_str(vu.map, r->gecos, x->gecos) || !same_str(vu.map, r->home, x->home) ||
        !same_str(vu.map, r->shell, x->shell))
        return false;
    if (!cog_cache_list(vu.map, r->gids, &gids, &ngids))
        ngids = 0;
    if (ngids != x->ngids || (ngids > 0 && memcmp(gids, x->gids, ngids * sizeof(*gids)) != 0))
        return false;
    if (cog_view_account_by_name(&f->vacc, x->name, &am, &a) != COG_CACHE_OK ||
        cog_view_account_by_sub(&f->vacc, x->sub, &am2, &a2) != COG_CACHE_OK || a2 != a ||
        a->uid != x->uid || !same_str(am, a->sub, x->sub) || !same_str(am, a->status, x->status) ||
        ((a->flags & COG_DISK_ENABLED) != 0) != x->enabled ||
        (x->created != 0 && a->created != x->created) ||
        !same_strings(am, a->groups, x->groups, x->ngroups) ||
        !same_strings(am, a->keys, x->keys, x->nkeys))
        return false;
    for (size_t i = 0; i < one->ngroups; i++)
        if (cog_view_group_by_name(&f->vnss, one->groups[i].name, &vg) != COG_CACHE_OK ||
            cog_view_group_gid(&vg) != one->groups[i].gid)
            return false;
    return true;
}

/* Whether the login would change nothing (read without the lock: a writer
 * that replaces the files meanwhile writes what it read itself). Any
 * failure here only means "go and write". f is left open for the writer. */
static bool login_unchanged(const struct cog_login_job *job, struct cog_cache_files *f)
{
    const char *dir = job->cfg->cache_dir ? job->cfg->cache_dir : CACHEDIR;
    struct cog_pool pool;
    struct cog_cache_model one;
    struct cog_error err = {0};
    struct cog_mapping_log quiet = {0};
    struct stat keys;
    bool same = false;

    cog_pool_init(&pool);
    cog_cache_model_init(&one);
    char *kp = cog_cache_path(dir, COG_CACHE_KEYS_FILE);
    bool have_keys = kp != NULL && stat(kp, &keys) == 0;
    free(kp);
    if (have_keys && login_pool(job, &pool, &err) == COG_OK &&
        cog_cache_files_open(dir, f, &err) == COG_OK)
        same = login_map(job, &pool, f, &one, &quiet, &err) == COG_OK && cache_shows(f, &one) &&
               cog_cache_files_sound(f, &err) == COG_OK;
    cog_error_clear(&err);
    cog_cache_model_free(&one);
    cog_pool_free(&pool);
    return same;
}

/* The login's cache update under the lock, in the guard (cache_detach.c). */
cog_status cog_store_login_job(void *ctx, struct cog_error *err)
{
    const struct cog_login_job *job = ctx;
    const struct cog_config *cfg = job->cfg;
    struct cog_mapping_log *log = job->log;
    cog_status st;
    struct cog_pool pool;
    struct cog_cache_model one, dm;
    struct delta d = {.m = &dm};
    struct cog_cache_files own, *f = job->files ? job->files : &own;
    struct cog_cache_lock lk = {.fd = -1};
    struct cog_mapping_log quiet = {0};
    const char *dir = cfg->cache_dir ? cfg->cache_dir : CACHEDIR;

    memset(&own, 0, sizeof(own));
    cog_pool_init(&pool);
    cog_cache_model_init(&one);
    cog_cache_model_init(&dm);
    if (log == NULL)
        log = &quiet;
    if ((st = login_pool(job, &pool, err)) != COG_OK ||
        (st = cog_cache_lock_login(dir, (long)cfg->timeout * 1000, &lk, err)) != COG_OK)
        goto out;
    cog_store_note_reclaim(log, &lk);
    /* The check's files, where it left them, are read again only where
     * another writer has replaced them since (the lock is ours now). */
    if ((st = cog_cache_files_refresh(dir, f, err)) != COG_OK ||
        (st = cog_store_ensure_full(&lk, dir, f, err)) != COG_OK ||
        (st = login_map(job, &pool, f, &one, log, err)) != COG_OK)
        goto out;

    time_t now = time(NULL);
    dm.delta = true;
    dm.built_at = now;
    dm.base_time = f->vnss.delta ? f->nss_d.hdr->base_time : f->nss.hdr->base_time;
    struct cog_cache_user *x = cog_cache_model_add_user(&dm);
    if (x == NULL) {
        st = cog_error_set(err, COG_ERR_NOMEM, NULL, "out of memory");
        goto out;
    }
    *x = one.users[0]; /* its strings live in `one`, freed last */
    x->stamp = now;
    struct cog_cache_user xs = *x;
    if ((st = cog_store_carry_old_logins(&d, f, &xs, err)) != COG_OK ||
        (st = cog_store_displace(&d, &f->nss, &f->acc, &xs, err)) != COG_OK)
        goto out;
    for (size_t i = 0; i < one.ngroups && st == COG_OK; i++)
        st = cog_store_add_group(&d, one.groups[i].name, one.groups[i].gid, err);
    if (st == COG_OK)
        st = cog_store_write_logins(&lk, dir, &d, f, true, err);
out:
    cog_cache_files_close(&own);
    cog_cache_unlock(&lk);
    cog_store_delta_free(&d);
    cog_cache_model_free(&dm);
    cog_cache_model_free(&one);
    cog_pool_free(&pool);
    return st;
}

cog_status cog_cache_store_login(const struct cog_config *cfg, struct json_object *id_claims,
                                 struct json_object *getuser, struct cog_mapping_log *log,
                                 struct cog_error *err)
{
    return cog_cache_store_login_checked(cfg, id_claims, getuser, NULL, log, err);
}

cog_status cog_cache_store_login_checked(const struct cog_config *cfg,
                                         struct json_object *id_claims, struct json_object *getuser,
                                         const char *nss_checked, struct cog_mapping_log *log,
                                         struct cog_error *err)
{
    struct cog_cache_files f;
    struct cog_login_job job = {cfg, id_claims, getuser, nss_checked, log, &f};
    cog_status st = COG_OK;

    memset(&f, 0, sizeof(f));
    /* Subs are hashed (SHA-256): OpenSSL's configuration is read once. */
    (void)OPENSSL_init_crypto(OPENSSL_INIT_LOAD_CONFIG, NULL);
    /* The lock is held where the user cannot stop it (cache_detach.c). */
    if (!login_unchanged(&job, &f))
        st = cog_run_guarded(cog_store_login_job, &job, (long)cfg->timeout * 1000, err);
    cog_cache_files_close(&f);
    return st;
}
