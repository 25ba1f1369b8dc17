#include "build-config.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "libcognito/cache/cache.h"
#include "libcognito/cache/idmap.h"
#include "libcognito/snapshot/snapshot_build.h"

void cog_snapshot_data_free(struct cog_snapshot_data *d)
{
    for (int i = 0; i < COG_SNAPSHOT_NPARTS; i++)
        free(d->data[i]);
    free(d->retired);
    memset(d, 0, sizeof(*d));
}

static bool add_retired(struct cog_snapshot_data *d, struct cog_u32map *seen, size_t *cap,
                        uint32_t uid)
{
    if (cog_u32map_get(seen, uid, NULL))
        return true;
    if (d->nretired == *cap) {
        *cap = *cap ? *cap * 2 : 64;
        uint32_t *n = realloc(d->retired, *cap * sizeof(*n));
        if (n == NULL)
            return false;
        d->retired = n;
    }
    d->retired[d->nretired++] = uid;
    return cog_u32map_put(seen, uid, 0);
}

/* Retired uids: the prior list, plus every prior user whose sub the pool
 * no longer has (their private group's gid is the same number). */
static cog_status retire(const struct cog_pool *pool, const struct cog_snapshot_prior *prior,
                         const struct cog_cache_map *nss, const struct cog_cache_map *acc,
                         struct cog_snapshot_data *d, struct cog_error *err)
{
    struct cog_strmap subs = {0};
    struct cog_u32map seen = {0};
    size_t cap = 0;
    cog_status st = COG_OK;

    for (size_t i = 0; i < pool->nusers; i++) {
        if (pool->users[i].sub != NULL && !cog_strmap_put(&subs, pool->users[i].sub, i))
            goto nomem;
    }
    for (size_t i = 0; i < prior->nretired; i++) {
        if (!add_retired(d, &seen, &cap, prior->retired[i]))
            goto nomem;
    }
    for (uint32_t i = 0; acc != NULL && i < acc->nrec[0]; i++) {
        const struct cog_disk_account *a = cog_cache_account_at(acc, i);
        const char *sub = a != NULL ? cog_cache_str(acc, a->sub) : NULL;
        if (sub == NULL || cog_strmap_get(&subs, sub, NULL))
            continue;
        const struct cog_disk_user *u =
            nss != NULL ? cog_cache_user_by_name(nss, cog_cache_str(acc, a->name)) : NULL;
        if (!add_retired(d, &seen, &cap, u != NULL ? u->uid : a->uid))
            goto nomem;
    }
    goto out;
nomem:
    st = cog_error_set(err, COG_ERR_NOMEM, NULL, "out of memory");
out:
    cog_strmap_free(&subs);
    cog_u32map_free(&seen);
    return st;
}

cog_status cog_snapshot_build(const struct cog_config *cfg, const struct cog_pool *pool,
                              const struct cog_snapshot_prior *prior, struct cog_snapshot_data *out,
                              struct cog_mapping_log *log, struct cog_error *err)
{
    static const struct cog_snapshot_prior none = {0};
    struct cog_cache_map nss, acc;
    struct cog_cache_view vnss = {0}, vacc = {0};
    struct cog_cache_model model;
    cog_status st;

    memset(out, 0, sizeof(*out));
    memset(&nss, 0, sizeof(nss));
    memset(&acc, 0, sizeof(acc));
    cog_cache_model_init(&model);
    if (prior == NULL)
        prior = &none;
    if (prior->nss != NULL) {
        if (cog_cache_map_buffer(&nss, prior->nss, prior->nss_len, COG_DISK_NSS) != COG_CACHE_OK ||
            !cog_cache_map_verify(&nss)) {
            st = cog_error_set(err, COG_ERR_INVALID_INPUT, NULL,
                               "the previous snapshot's nss file is damaged");
            goto out;
        }
        vnss.main = &nss;
    }
    if (prior->accounts != NULL) {
        if (cog_cache_map_buffer(&acc, prior->accounts, prior->accounts_len, COG_DISK_ACCOUNTS) !=
                COG_CACHE_OK ||
            !cog_cache_map_verify(&acc)) {
            st = cog_error_set(err, COG_ERR_INVALID_INPUT, NULL,
                               "the previous snapshot's accounts file is damaged");
            goto out;
        }
        vacc.main = &acc;
    }
    st = retire(pool, prior, vnss.main, vacc.main, out, err);
    if (st != COG_OK)
        goto out;
    struct cog_mapping_input in = {
        .cfg = cfg,
        .pool = pool,
        .prior_nss = &vnss,
        .prior_accounts = &vacc,
        .reserved = out->retired,
        .nreserved = out->nretired,
    };
    if ((st = cog_mapping_build(&in, &model, log, err)) != COG_OK)
        goto out;
    model.built_at = time(NULL);
    if ((st = cog_cache_build(&model, COG_DISK_NSS, &out->data[COG_SNAPSHOT_NSS],
                              &out->len[COG_SNAPSHOT_NSS], err)) != COG_OK ||
        (st = cog_cache_build(&model, COG_DISK_ACCOUNTS, &out->data[COG_SNAPSHOT_ACCOUNTS],
                              &out->len[COG_SNAPSHOT_ACCOUNTS], err)) != COG_OK ||
        (st = cog_cache_build_keys(&model, &out->data[COG_SNAPSHOT_KEYS],
                                   &out->len[COG_SNAPSHOT_KEYS], err)) != COG_OK)
        goto out;
    out->users = model.nusers;
    out->groups = model.ngroups;
out:
    if (st != COG_OK)
        cog_snapshot_data_free(out);
    cog_cache_model_free(&model);
    return st;
}
