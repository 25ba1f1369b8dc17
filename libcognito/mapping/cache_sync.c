/* A sync's commit (cog_cache_store_pool): the whole pool mapped into new
 * full files under cache.lock; logins newer than the listing stay in the
 * logins files. See cache_store.c for the two writers. */
#include "build-config.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "libcognito/cache/cache.h"
#include "libcognito/mapping/cache_store.h"
#include "libcognito/core/config.h"
#include "libcognito/cache/idmap.h"
#include "libcognito/mapping/mapping.h"
#include "libcognito/core/util.h"

/* ---- a sync ------------------------------------------------------------------------- */

/* Logins of the old logins file newer than the listing: the listing may
 * predate them. Their ids are reserved unless the listing has the user. */
static cog_status keep_new_logins(struct delta *d, const struct cog_cache_files *f,
                                  const struct cog_pool *pool, int64_t listed_at,
                                  uint32_t **reserved, size_t *nreserved, struct cog_error *err)
{
    struct cog_strmap subs = {0};
    cog_status st = COG_OK;
    const struct cog_cache_map *nm = f->vnss.delta, *am = f->vacc.delta;

    *reserved = NULL;
    *nreserved = 0;
    for (size_t i = 0; i < pool->nusers; i++) {
        if (pool->users[i].sub != NULL && !cog_strmap_put(&subs, pool->users[i].sub, i))
            goto nomem;
    }
    size_t cap = 0;
    for (uint32_t i = 0; nm != NULL && i < nm->nrec[0]; i++) {
        const struct cog_disk_user *r = cog_cache_user_at(nm, i);
        if (r == NULL || (r->flags & COG_DISK_HIDDEN))
            continue;
        const struct cog_disk_account *a =
            cog_cache_account_by_name(am, cog_cache_str(nm, r->name));
        if (a == NULL || (a->flags & COG_DISK_HIDDEN) || a->stamp < listed_at)
            continue;
        if ((st = cog_store_copy_user(d->m, nm, r, am, a, err)) != COG_OK)
            goto out;
        if (cog_strmap_get(&subs, cog_cache_str(am, a->sub), NULL))
            continue;
        const uint32_t *gids;
        uint32_t ngids = 0;
        cog_cache_list(nm, r->gids, &gids, &ngids);
        if (*nreserved + 1 + ngids > cap) {
            cap = (cap + 1 + ngids) * 2;
            uint32_t *nr = realloc(*reserved, cap * sizeof(**reserved));
            if (nr == NULL)
                goto nomem;
            *reserved = nr;
        }
        (*reserved)[(*nreserved)++] = r->uid;
        for (uint32_t k = 0; k < ngids; k++) {
            /* Only the gids of groups the logins file introduced. */
            if (cog_cache_group_by_gid(nm, gids[k]) != NULL &&
                cog_cache_group_by_gid(f->vnss.main, gids[k]) == NULL)
                (*reserved)[(*nreserved)++] = gids[k];
        }
    }
    goto out;
nomem:
    st = cog_error_set(err, COG_ERR_NOMEM, NULL, "out of memory");
out:
    cog_strmap_free(&subs);
    return st;
}

cog_status cog_cache_store_pool(const struct cog_config *cfg, const struct cog_pool *pool,
                                int64_t listed_at, struct cog_mapping_log *log,
                                struct cog_sync_stats *stats, struct cog_error *err)
{
    cog_status st;
    struct cog_cache_files f, fresh;
    struct cog_cache_model full, dm;
    struct delta d = {.m = &dm};
    struct cog_cache_lock lk = {.fd = -1};
    uint32_t *reserved = NULL;
    size_t nreserved = 0;
    const char *dir = cfg->cache_dir ? cfg->cache_dir : CACHEDIR;
    long long t0 = cog_now_ms();

    memset(&f, 0, sizeof(f));
    memset(&fresh, 0, sizeof(fresh));
    cog_cache_model_init(&full);
    cog_cache_model_init(&dm);
    if ((st = cog_cache_lock(dir, 0, &lk, err)) != COG_OK)
        goto out;
    cog_store_note_reclaim(log, &lk);
    if ((st = cog_cache_files_open(dir, &f, err)) != COG_OK)
        goto out;
    dm.delta = true;
    dm.built_at = time(NULL);
    dm.base_time = listed_at;
    if ((st = keep_new_logins(&d, &f, pool, listed_at, &reserved, &nreserved, err)) != COG_OK)
        goto out;
    struct cog_mapping_input in = {
        .cfg = cfg,
        .pool = pool,
        .prior_nss = &f.vnss,
        .prior_accounts = &f.vacc,
        .reserved = reserved,
        .nreserved = nreserved,
    };
    if ((st = cog_mapping_build(&in, &full, log, err)) != COG_OK ||
        (st = cog_cache_files_sound(&f, err)) != COG_OK)
        goto out;
    full.built_at = time(NULL);
    full.base_time = listed_at;
    if ((st = cog_store_write_model(&lk, dir, &full, err)) != COG_OK)
        goto out;

    /* The kept logins, now shadowing the new full file. */
    if ((st = cog_cache_files_open(dir, &fresh, err)) != COG_OK)
        goto out;
    size_t live = dm.nusers;
    if ((st = cog_store_shadow_full(&d, &fresh, f.vnss.delta, err)) != COG_OK ||
        (st = cog_cache_files_sound(&fresh, err)) != COG_OK)
        goto out;
    if (dm.nusers > 0) {
        st = cog_store_write_model(&lk, dir, &dm, err);
    } else {
        /* Nothing newer than the listing: no logins files at all. */
        st = cog_store_remove_logins(&lk, dir, err);
    }
    if (st != COG_OK || (st = cog_cache_notify(dir, COG_CACHE_NSS_FILE, err)) != COG_OK)
        goto out;
    st = cog_cache_sync_dir(dir, err);
    if (st == COG_OK && stats != NULL) {
        stats->users = full.nusers;
        stats->groups = full.ngroups;
        stats->kept_logins = live;
        stats->build_ms = cog_now_ms() - t0;
    }
out:
    cog_cache_files_close(&fresh);
    cog_cache_files_close(&f);
    cog_cache_unlock(&lk);
    free(reserved);
    cog_store_delta_free(&d);
    cog_cache_model_free(&dm);
    cog_cache_model_free(&full);
    return st;
}
