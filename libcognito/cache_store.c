/* The two writers of the cache and the account-facts reader.
 *
 * A login (cog_cache_store_login) maps one user and rewrites only the small
 * logins files: the old logins plus this user, plus "hidden" records for
 * whatever this user displaces (a name or uid the full file gives someone
 * else, the user's own old name). Cost grows with the logins since the last
 * sync, not with the pool: at 100k users a login still writes a few KB.
 *
 * A sync (cog_cache_store_pool) maps the whole pool, with what the host gave
 * out before as priors, replaces the full files, and keeps in the logins
 * file only the logins newer than its listing (which it may not have seen).
 *
 * Both run under cache.lock; readers are told through the notify word. */
#include "build-config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "libcognito/cache.h"
#include "libcognito/config.h"
#include "libcognito/idmap.h"
#include "libcognito/mapping.h"
#include "libcognito/util.h"

void cog_cache_files_close(struct cog_cache_files *f)
{
    cog_cache_map_close(&f->nss);
    cog_cache_map_close(&f->nss_d);
    cog_cache_map_close(&f->acc);
    cog_cache_map_close(&f->acc_d);
    memset(f, 0, sizeof(*f));
}

/* A damaged or foreign file counts as absent: the writer replaces it. */
static cog_status map_one(const char *dir, const char *name, enum cog_disk_kind kind,
                          struct cog_cache_map *m, struct cog_error *err)
{
    char *path = cog_cache_path(dir, name);
    if (path == NULL)
        return cog_error_set(err, COG_ERR_NOMEM, NULL, "out of memory");
    cog_cache_map_open(m, path, kind);
    free(path);
    return COG_OK;
}

cog_status cog_cache_files_open(const char *dir, struct cog_cache_files *f, struct cog_error *err)
{
    cog_status st;
    memset(f, 0, sizeof(*f));
    if ((st = map_one(dir, COG_CACHE_NSS_FILE, COG_DISK_NSS, &f->nss, err)) != COG_OK ||
        (st = map_one(dir, COG_CACHE_NSS_DELTA_FILE, COG_DISK_NSS, &f->nss_d, err)) != COG_OK ||
        (st = map_one(dir, COG_CACHE_ACCOUNTS_FILE, COG_DISK_ACCOUNTS, &f->acc, err)) != COG_OK ||
        (st = map_one(dir, COG_CACHE_ACCOUNTS_DELTA_FILE, COG_DISK_ACCOUNTS, &f->acc_d, err)) !=
            COG_OK)
        return st;
    f->vnss.main = f->nss.base ? &f->nss : NULL;
    f->vnss.delta = f->nss_d.base ? &f->nss_d : NULL;
    f->vacc.main = f->acc.base ? &f->acc : NULL;
    f->vacc.delta = f->acc_d.base ? &f->acc_d : NULL;
    return COG_OK;
}

/* Writes the model as the NSS and accounts files named (accounts first:
 * an account fact never refers to a user NSS does not show yet... or no
 * longer shows for long). */
static cog_status write_model(const char *dir, struct cog_cache_model *m, const char *nss_name,
                              const char *acc_name, struct cog_error *err)
{
    cog_status st;
    char *nss = NULL, *acc = NULL;
    size_t nss_len = 0, acc_len = 0;

    if ((st = cog_cache_build(m, COG_DISK_NSS, &nss, &nss_len, err)) != COG_OK ||
        (st = cog_cache_build(m, COG_DISK_ACCOUNTS, &acc, &acc_len, err)) != COG_OK)
        goto out;
    if ((st = cog_cache_replace(dir, acc_name, acc, acc_len, err)) != COG_OK)
        goto out;
    st = cog_cache_replace(dir, nss_name, nss, nss_len, err);
out:
    free(nss);
    free(acc);
    return st;
}

/* ---- building a logins model ------------------------------------------------------ */

struct delta {
    struct cog_cache_model *m;
    struct cog_u32map hidden; /* uid -> model index of a hidden record */
    struct cog_strmap groups; /* unix group name -> model group */
};

static cog_status add_hidden(struct delta *d, const char *name, uint32_t uid, struct cog_error *err)
{
    size_t at;
    if (name == NULL || *name == '\0' || uid == 0)
        return COG_OK;
    if (cog_u32map_get(&d->hidden, uid, &at) && strcmp(d->m->users[at].name, name) == 0)
        return COG_OK;
    struct cog_cache_user *u = cog_cache_model_add_user(d->m);
    if (u == NULL || (u->name = cog_cache_model_strdup(d->m, name)) == NULL ||
        !cog_u32map_put(&d->hidden, uid, d->m->nusers - 1))
        return cog_error_set(err, COG_ERR_NOMEM, NULL, "out of memory");
    u->uid = u->gid = uid;
    u->hidden = true;
    u->sub = u->gecos = u->home = u->shell = u->status = "";
    return COG_OK;
}

static const char **copy_strings(struct cog_cache_model *m, const struct cog_cache_map *map,
                                 uint32_t list, size_t *n)
{
    const uint32_t *items;
    uint32_t count = 0;
    *n = 0;
    if (map == NULL || !cog_cache_list(map, list, &items, &count) || count == 0)
        return NULL;
    const char **out = cog_cache_model_alloc(m, count * sizeof(*out));
    for (uint32_t i = 0; out != NULL && i < count; i++) {
        out[i] = cog_cache_model_strdup(m, cog_cache_str(map, items[i]));
        if (out[i] == NULL)
            return NULL;
    }
    *n = out ? count : 0;
    return out;
}

/* A live record of an old logins file, with its account facts, into the model. */
static cog_status copy_user(struct cog_cache_model *m, const struct cog_cache_map *nm,
                            const struct cog_disk_user *r, const struct cog_cache_map *am,
                            const struct cog_disk_account *a, struct cog_error *err)
{
    const uint32_t *gids;
    uint32_t ngids = 0;
    struct cog_cache_user *u = cog_cache_model_add_user(m);
    if (u == NULL)
        goto nomem;
    u->name = cog_cache_model_strdup(m, cog_cache_str(nm, r->name));
    u->gecos = cog_cache_model_strdup(m, cog_cache_str(nm, r->gecos));
    u->home = cog_cache_model_strdup(m, cog_cache_str(nm, r->home));
    u->shell = cog_cache_model_strdup(m, cog_cache_str(nm, r->shell));
    u->uid = r->uid;
    u->gid = r->gid;
    if (!u->name || !u->gecos || !u->home || !u->shell)
        goto nomem;
    if (cog_cache_list(nm, r->gids, &gids, &ngids) && ngids > 0) {
        uint32_t *copy = cog_cache_model_alloc(m, ngids * sizeof(*copy));
        if (copy == NULL)
            goto nomem;
        memcpy(copy, gids, ngids * sizeof(*copy));
        u->gids = copy;
        u->ngids = ngids;
    }
    u->sub = cog_cache_model_strdup(m, a ? cog_cache_str(am, a->sub) : "");
    u->status = cog_cache_model_strdup(m, a ? cog_cache_str(am, a->status) : "UNKNOWN");
    if (!u->sub || !u->status)
        goto nomem;
    if (a != NULL) {
        u->enabled = (a->flags & COG_DISK_ENABLED) != 0;
        u->created = a->created;
        u->stamp = a->stamp;
        u->groups = copy_strings(m, am, a->groups, &u->ngroups);
        u->keys = copy_strings(m, am, a->keys, &u->nkeys);
    }
    return COG_OK;
nomem:
    return cog_error_set(err, COG_ERR_NOMEM, NULL, "out of memory");
}

/* Hides the full file's records that live user x displaces: the holder of
 * x's name (another uid), the holder of x's uid (another name), x's own
 * record under an older name. */
static cog_status displace(struct delta *d, const struct cog_cache_map *nss,
                           const struct cog_cache_map *acc, const struct cog_cache_user *x,
                           struct cog_error *err)
{
    cog_status st = COG_OK;
    const struct cog_disk_user *y = cog_cache_user_by_name(nss, x->name);
    if (y != NULL && y->uid != x->uid)
        st = add_hidden(d, x->name, y->uid, err);
    y = cog_cache_user_by_uid(nss, x->uid);
    if (st == COG_OK && y != NULL && strcmp(cog_cache_str(nss, y->name), x->name) != 0)
        st = add_hidden(d, cog_cache_str(nss, y->name), y->uid, err);
    const struct cog_disk_account *a = cog_cache_account_by_sub(acc, x->sub);
    if (st == COG_OK && a != NULL && strcmp(cog_cache_str(acc, a->name), x->name) != 0)
        st = add_hidden(d, cog_cache_str(acc, a->name), a->uid, err);
    return st;
}

static cog_status add_group(struct delta *d, const char *name, uint32_t gid, struct cog_error *err)
{
    if (cog_strmap_get(&d->groups, name, NULL))
        return COG_OK;
    struct cog_cache_group *g = cog_cache_model_add_group(d->m);
    if (g == NULL || (g->name = cog_cache_model_strdup(d->m, name)) == NULL ||
        !cog_strmap_put(&d->groups, g->name, d->m->ngroups - 1))
        return cog_error_set(err, COG_ERR_NOMEM, NULL, "out of memory");
    g->gid = gid;
    return COG_OK;
}

/* The groups of the old logins file that the model's live users are in. */
static cog_status copy_groups(struct delta *d, const struct cog_cache_map *old,
                              struct cog_error *err)
{
    for (size_t i = 0; old != NULL && i < d->m->nusers; i++) {
        const struct cog_cache_user *u = &d->m->users[i];
        for (size_t k = 0; !u->hidden && k < u->ngids; k++) {
            const struct cog_disk_group *g = cog_cache_group_by_gid(old, u->gids[k]);
            cog_status st = g ? add_group(d, cog_cache_str(old, g->name), g->gid, err) : COG_OK;
            if (st != COG_OK)
                return st;
        }
    }
    return COG_OK;
}

/* Members of the model's groups: its live users holding their gid. */
static cog_status fill_members(struct cog_cache_model *m, struct cog_error *err)
{
    for (size_t g = 0; g < m->ngroups; g++) {
        uint32_t *members = cog_cache_model_alloc(m, (m->nusers ? m->nusers : 1) * 4);
        size_t n = 0;
        if (members == NULL)
            return cog_error_set(err, COG_ERR_NOMEM, NULL, "out of memory");
        for (size_t i = 0; i < m->nusers; i++) {
            const struct cog_cache_user *u = &m->users[i];
            for (size_t k = 0; !u->hidden && k < u->ngids; k++) {
                if (u->gids[k] == m->groups[g].gid) {
                    members[n++] = (uint32_t)i;
                    break;
                }
            }
        }
        m->groups[g].members = members;
        m->groups[g].nmembers = n;
    }
    return COG_OK;
}

static void delta_free(struct delta *d)
{
    cog_u32map_free(&d->hidden);
    cog_strmap_free(&d->groups);
}

/* The delta, completed with the old logins' groups its users are in and
 * every group's members, as the new logins files; readers are told. */
static cog_status write_logins(const char *dir, struct delta *d, const struct cog_cache_files *f,
                               struct cog_error *err)
{
    cog_status st;
    if ((st = copy_groups(d, f->vnss.delta, err)) != COG_OK ||
        (st = fill_members(d->m, err)) != COG_OK ||
        (st = write_model(dir, d->m, COG_CACHE_NSS_DELTA_FILE, COG_CACHE_ACCOUNTS_DELTA_FILE,
                          err)) != COG_OK ||
        (st = cog_cache_notify(dir, COG_CACHE_NSS_FILE, err)) != COG_OK)
        return st;
    return cog_cache_sync_dir(dir, err);
}

/* ---- a login ------------------------------------------------------------------------ */

/* Full files, empty, when there are none: readers need one to exist (no
 * file means "unavailable") and to carry the notify word. Only a missing or
 * damaged file is replaced. */
static cog_status ensure_full(const char *dir, struct cog_cache_files *f, struct cog_error *err)
{
    struct cog_cache_model empty;
    cog_status st = COG_OK;
    char *img = NULL;
    size_t len = 0;
    if (f->nss.base != NULL && f->acc.base != NULL)
        return COG_OK;
    cog_cache_model_init(&empty);
    empty.built_at = time(NULL);
    if (f->acc.base == NULL &&
        ((st = cog_cache_build(&empty, COG_DISK_ACCOUNTS, &img, &len, err)) != COG_OK ||
         (st = cog_cache_replace(dir, COG_CACHE_ACCOUNTS_FILE, img, len, err)) != COG_OK))
        goto out;
    free(img);
    img = NULL;
    if (f->nss.base == NULL &&
        ((st = cog_cache_build(&empty, COG_DISK_NSS, &img, &len, err)) != COG_OK ||
         (st = cog_cache_replace(dir, COG_CACHE_NSS_FILE, img, len, err)) != COG_OK))
        goto out;
    cog_cache_files_close(f);
    st = cog_cache_files_open(dir, f, err);
    if (st == COG_OK && (f->nss.base == NULL || f->acc.base == NULL))
        st = cog_error_set(err, COG_ERR_CONFIG, NULL, "%s: cannot read back the cache", dir);
out:
    free(img);
    cog_cache_model_free(&empty);
    return st;
}

/* The old logins file's records, minus what x replaces. */
static cog_status carry_old_logins(struct delta *d, const struct cog_cache_files *f,
                                   const struct cog_cache_user *x, struct cog_error *err)
{
    cog_status st = COG_OK;
    const struct cog_cache_map *nm = f->vnss.delta, *am = f->vacc.delta;
    for (uint32_t i = 0; nm != NULL && i < nm->nrec[0] && st == COG_OK; i++) {
        const struct cog_disk_user *r = cog_cache_user_at(nm, i);
        if (r == NULL)
            continue;
        const char *name = cog_cache_str(nm, r->name);
        const struct cog_disk_account *a = cog_cache_account_by_name(am, name);
        if (r->flags & COG_DISK_HIDDEN) {
            if (strcmp(name, x->name) != 0 || r->uid != x->uid)
                st = add_hidden(d, name, r->uid, err);
            continue;
        }
        const char *sub = a ? cog_cache_str(am, a->sub) : "";
        bool same_user = sub != NULL && strcmp(sub, x->sub) == 0;
        if (same_user || strcmp(name, x->name) == 0 || r->uid == x->uid) {
            /* x's older self, or someone x displaces: keep it hidden. */
            if (!(same_user && strcmp(name, x->name) == 0))
                st = add_hidden(d, name, r->uid, err);
            continue;
        }
        st = copy_user(d->m, nm, r, am, a, err);
    }
    return st;
}

cog_status cog_cache_store_login(const struct cog_config *cfg, struct json_object *id_claims,
                                 struct json_object *getuser, struct cog_mapping_log *log,
                                 struct cog_error *err)
{
    cog_status st;
    struct cog_pool pool;
    struct cog_cache_model one, dm;
    struct delta d = {.m = &dm};
    struct cog_cache_files f;
    struct cog_cache_lock lk = {-1};
    struct cog_mapping_log quiet = {0};
    const char *dir = cfg->cache_dir ? cfg->cache_dir : CACHEDIR;

    memset(&f, 0, sizeof(f));
    cog_pool_init(&pool);
    cog_cache_model_init(&one);
    cog_cache_model_init(&dm);
    if (log == NULL)
        log = &quiet;
    struct cog_pool_user *u = cog_pool_add_user(&pool);
    if (u == NULL) {
        st = cog_error_set(err, COG_ERR_NOMEM, NULL, "out of memory");
        goto out;
    }
    st = cog_pool_user_from_login(&pool, u, cfg, id_claims, getuser, err);
    if (st != COG_OK)
        goto out;
    for (size_t i = 0; i < u->ngroups; i++) {
        struct cog_pool_group *g = cog_pool_add_group(&pool);
        if (g == NULL) {
            st = cog_error_set(err, COG_ERR_NOMEM, NULL, "out of memory");
            goto out;
        }
        g->name = u->groups[i];
    }

    if ((st = cog_cache_lock(dir, (long)cfg->timeout * 1000, &lk, err)) != COG_OK ||
        (st = cog_cache_files_open(dir, &f, err)) != COG_OK ||
        (st = ensure_full(dir, &f, err)) != COG_OK)
        goto out;
    struct cog_mapping_input in = {
        .cfg = cfg,
        .pool = &pool,
        .prior_nss = &f.vnss,
        .prior_accounts = &f.vacc,
        .incremental = true,
    };
    if ((st = cog_mapping_build(&in, &one, log, err)) != COG_OK)
        goto out;
    if (one.nusers == 0) {
        st = cog_error_set(err, COG_ERR_INVALID_INPUT, NULL,
                           "user '%.128s' cannot be a Unix user here (see the log)",
                           pool.users[0].username);
        goto out;
    }

    time_t now = time(NULL);
    dm.delta = true;
    dm.built_at = now;
    dm.base_time = f.vnss.delta ? f.nss_d.hdr->base_time : f.nss.hdr->built_at;
    struct cog_cache_user *x = cog_cache_model_add_user(&dm);
    if (x == NULL) {
        st = cog_error_set(err, COG_ERR_NOMEM, NULL, "out of memory");
        goto out;
    }
    *x = one.users[0]; /* its strings live in `one`, freed last */
    x->stamp = now;
    struct cog_cache_user xs = *x;
    if ((st = carry_old_logins(&d, &f, &xs, err)) != COG_OK ||
        (st = displace(&d, &f.nss, &f.acc, &xs, err)) != COG_OK)
        goto out;
    for (size_t i = 0; i < one.ngroups && st == COG_OK; i++)
        st = add_group(&d, one.groups[i].name, one.groups[i].gid, err);
    if (st == COG_OK)
        st = write_logins(dir, &d, &f, err);
out:
    cog_cache_files_close(&f);
    cog_cache_unlock(&lk);
    delta_free(&d);
    cog_cache_model_free(&dm);
    cog_cache_model_free(&one);
    cog_pool_free(&pool);
    return st;
}

/* ---- dropping a user ------------------------------------------------------------- */

cog_status cog_cache_drop_user(const struct cog_config *cfg, const char *name,
                               struct cog_error *err)
{
    cog_status st;
    struct cog_cache_model dm;
    struct delta d = {.m = &dm};
    struct cog_cache_files f;
    struct cog_cache_lock lk = {-1};
    struct cog_view_user vu;
    const struct cog_cache_map *am;
    const struct cog_disk_account *a;
    const char *dir = cfg->cache_dir ? cfg->cache_dir : CACHEDIR;

    memset(&f, 0, sizeof(f));
    cog_cache_model_init(&dm);
    if ((st = cog_cache_lock(dir, (long)cfg->timeout * 1000, &lk, err)) != COG_OK ||
        (st = cog_cache_files_open(dir, &f, err)) != COG_OK)
        goto out;
    if (f.vnss.main == NULL && f.vnss.delta == NULL) {
        st = cog_error_set(err, COG_ERR_UNAVAILABLE, NULL, "%s: no cache yet", dir);
        goto out;
    }
    if ((st = ensure_full(dir, &f, err)) != COG_OK)
        goto out;
    if (cog_view_user_by_name(&f.vnss, name, &vu) != COG_CACHE_OK) {
        st = cog_error_set(err, COG_ERR_USER_UNKNOWN, NULL, "no user '%.64s' in the cache", name);
        goto out;
    }
    /* "-" matches no record: one without account facts has sub "". */
    struct cog_cache_user x = {.name = name, .uid = vu.rec->uid, .sub = "-"};
    if (cog_view_account_by_name(&f.vacc, name, &am, &a) == COG_CACHE_OK &&
        (x.sub = cog_cache_model_strdup(&dm, cog_cache_str(am, a->sub))) == NULL) {
        st = cog_error_set(err, COG_ERR_NOMEM, NULL, "out of memory");
        goto out;
    }
    dm.delta = true;
    dm.built_at = time(NULL);
    dm.base_time = f.vnss.delta ? f.nss_d.hdr->base_time : f.nss.hdr->built_at;
    if ((st = carry_old_logins(&d, &f, &x, err)) != COG_OK ||
        (st = add_hidden(&d, name, x.uid, err)) != COG_OK)
        goto out;
    st = write_logins(dir, &d, &f, err);
out:
    cog_cache_files_close(&f);
    cog_cache_unlock(&lk);
    delta_free(&d);
    cog_cache_model_free(&dm);
    return st;
}

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
        if ((st = copy_user(d->m, nm, r, am, a, err)) != COG_OK)
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
    struct cog_cache_lock lk = {-1};
    uint32_t *reserved = NULL;
    size_t nreserved = 0;
    const char *dir = cfg->cache_dir ? cfg->cache_dir : CACHEDIR;
    long long t0 = cog_now_ms();

    memset(&f, 0, sizeof(f));
    memset(&fresh, 0, sizeof(fresh));
    cog_cache_model_init(&full);
    cog_cache_model_init(&dm);
    if ((st = cog_cache_lock(dir, 0, &lk, err)) != COG_OK ||
        (st = cog_cache_files_open(dir, &f, err)) != COG_OK)
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
    if ((st = cog_mapping_build(&in, &full, log, err)) != COG_OK)
        goto out;
    full.built_at = time(NULL);
    if ((st = write_model(dir, &full, COG_CACHE_NSS_FILE, COG_CACHE_ACCOUNTS_FILE, err)) != COG_OK)
        goto out;

    /* The kept logins, now shadowing the new full file. */
    if ((st = cog_cache_files_open(dir, &fresh, err)) != COG_OK)
        goto out;
    size_t live = dm.nusers;
    for (size_t i = 0; i < live && st == COG_OK; i++) {
        struct cog_cache_user x = dm.users[i];
        st = displace(&d, &fresh.nss, &fresh.acc, &x, err);
    }
    if (st != COG_OK || (st = copy_groups(&d, f.vnss.delta, err)) != COG_OK ||
        (st = fill_members(&dm, err)) != COG_OK)
        goto out;
    if (dm.nusers > 0) {
        st = write_model(dir, &dm, COG_CACHE_NSS_DELTA_FILE, COG_CACHE_ACCOUNTS_DELTA_FILE, err);
    } else {
        /* Nothing newer than the listing: no logins files at all. */
        char *a = cog_cache_path(dir, COG_CACHE_ACCOUNTS_DELTA_FILE);
        char *n = cog_cache_path(dir, COG_CACHE_NSS_DELTA_FILE);
        bool gone = a != NULL && n != NULL && (unlink(n) == 0 || errno == ENOENT) &&
                    (unlink(a) == 0 || errno == ENOENT);
        if (!gone)
            st =
                cog_error_set(err, COG_ERR_CONFIG, NULL, "%s: cannot remove the logins files", dir);
        free(a);
        free(n);
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
    delta_free(&d);
    cog_cache_model_free(&dm);
    cog_cache_model_free(&full);
    return st;
}

/* ---- account facts ------------------------------------------------------------------ */

void cog_account_clear(struct cog_account *a)
{
    if (a == NULL)
        return;
    free(a->name);
    free(a->sub);
    free(a->status);
    for (size_t i = 0; i < a->ngroups; i++)
        free(a->groups[i]);
    for (size_t i = 0; i < a->nkeys; i++)
        free(a->keys[i]);
    free(a->groups);
    free(a->keys);
    memset(a, 0, sizeof(*a));
}

static bool dup_list(const struct cog_cache_map *m, uint32_t list, char ***out, size_t *n)
{
    const uint32_t *items;
    uint32_t count = 0;
    *out = NULL;
    *n = 0;
    if (!cog_cache_list(m, list, &items, &count) || count == 0)
        return true;
    *out = calloc(count, sizeof(**out));
    if (*out == NULL)
        return false;
    for (uint32_t i = 0; i < count; i++) {
        (*out)[i] = strdup(cog_cache_str(m, items[i]));
        if ((*out)[i] == NULL)
            return false;
        (*n)++;
    }
    return true;
}

cog_status cog_account_lookup(const struct cog_config *cfg, const char *username,
                              struct cog_account *out, struct cog_error *err)
{
    cog_status st = COG_OK;
    struct cog_cache_map main_map, delta_map;
    struct cog_cache_view v = {0};
    const struct cog_cache_map *at;
    const struct cog_disk_account *a;
    const char *dir = cfg->cache_dir ? cfg->cache_dir : CACHEDIR;
    char *mp = cog_cache_path(dir, COG_CACHE_ACCOUNTS_FILE);
    char *dp = cog_cache_path(dir, COG_CACHE_ACCOUNTS_DELTA_FILE);

    memset(out, 0, sizeof(*out));
    memset(&main_map, 0, sizeof(main_map));
    memset(&delta_map, 0, sizeof(delta_map));
    if (mp == NULL || dp == NULL) {
        st = cog_error_set(err, COG_ERR_NOMEM, NULL, "out of memory");
        goto out;
    }
    enum cog_cache_rc rc = cog_cache_map_open(&main_map, mp, COG_DISK_ACCOUNTS);
    if (rc != COG_CACHE_OK) {
        st = cog_error_set(err, COG_ERR_UNAVAILABLE, NULL, "%s: %s", mp,
                           rc == COG_CACHE_ABSENT      ? "no cache yet (run cognitoctl sync)"
                           : rc == COG_CACHE_UNTRUSTED ? "not owned by root or writable by others"
                                                       : "unreadable or damaged");
        goto out;
    }
    v.main = &main_map;
    if (cog_cache_map_open(&delta_map, dp, COG_DISK_ACCOUNTS) == COG_CACHE_OK)
        v.delta = &delta_map;
    if (cog_view_account_by_name(&v, username, &at, &a) != COG_CACHE_OK) {
        st = cog_error_set(err, COG_ERR_USER_UNKNOWN, NULL, "no user '%.64s' in the cache",
                           username);
        goto out;
    }
    out->name = strdup(cog_cache_str(at, a->name));
    out->sub = strdup(cog_cache_str(at, a->sub));
    out->status = strdup(cog_cache_str(at, a->status));
    out->enabled = (a->flags & COG_DISK_ENABLED) != 0;
    out->uid = a->uid;
    out->created = a->created;
    out->from_login = at == v.delta;
    if (!out->name || !out->sub || !out->status ||
        !dup_list(at, a->groups, &out->groups, &out->ngroups) ||
        !dup_list(at, a->keys, &out->keys, &out->nkeys)) {
        cog_account_clear(out);
        st = cog_error_set(err, COG_ERR_NOMEM, NULL, "out of memory");
    }
out:
    cog_cache_map_close(&main_map);
    cog_cache_map_close(&delta_map);
    free(mp);
    free(dp);
    return st;
}
