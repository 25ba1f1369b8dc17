/* The two writers of the cache and the account-facts reader.
 *
 * A login (cache_login.c) maps one user and rewrites only the small
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
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <syslog.h>
#include <unistd.h>

#include "libcognito/cache/cache.h"
#include "libcognito/mapping/cache_store.h"
#include "libcognito/core/config.h"
#include "libcognito/cache/idmap.h"
#include "libcognito/mapping/mapping.h"
#include "libcognito/core/util.h"

void cog_cache_files_close(struct cog_cache_files *f)
{
    cog_cache_map_close(&f->nss);
    cog_cache_map_close(&f->nss_d);
    cog_cache_map_close(&f->acc);
    cog_cache_map_close(&f->acc_d);
    memset(f, 0, sizeof(*f));
}

/* The four files' names and kinds, in files_load's order. */
static const struct {
    const char *name;
    enum cog_disk_kind kind;
} files_spec[4] = {
    {COG_CACHE_NSS_FILE, COG_DISK_NSS},
    {COG_CACHE_NSS_DELTA_FILE, COG_DISK_NSS},
    {COG_CACHE_ACCOUNTS_FILE, COG_DISK_ACCOUNTS},
    {COG_CACHE_ACCOUNTS_DELTA_FILE, COG_DISK_ACCOUNTS},
};

static void files_views(struct cog_cache_files *f)
{
    f->vnss.main = cog_cache_map_present(&f->nss) ? &f->nss : NULL;
    f->vnss.delta = cog_cache_map_present(&f->nss_d) ? &f->nss_d : NULL;
    f->vacc.main = cog_cache_map_present(&f->acc) ? &f->acc : NULL;
    f->vacc.delta = cog_cache_map_present(&f->acc_d) ? &f->acc_d : NULL;
}

/* Each file opened again unless keep says the one held is still the one
 * at its name. A damaged or foreign file counts as absent: the writer
 * replaces it. */
static cog_status files_load(const char *dir, struct cog_cache_files *f, bool keep,
                             struct cog_error *err)
{
    struct cog_cache_map *maps[4] = {&f->nss, &f->nss_d, &f->acc, &f->acc_d};
    struct stat sb;

    for (size_t i = 0; i < 4; i++) {
        struct cog_cache_map *map = maps[i];
        char *path = cog_cache_path(dir, files_spec[i].name);
        if (path == NULL)
            return cog_error_set(err, COG_ERR_NOMEM, NULL, "out of memory");
        /* A file mapped or read on demand holds its inode, so the same
         * device and inode are the same file (never changed in place); a
         * copy is simply read again. */
        bool same = keep && cog_cache_map_present(map) && !map->loaded &&
                    !cog_cache_map_failed(map) && stat(path, &sb) == 0 && sb.st_dev == map->dev &&
                    sb.st_ino == map->ino;
        if (!same) {
            cog_cache_map_close(map);
            cog_cache_map_load(map, path, files_spec[i].kind);
        }
        free(path);
    }
    files_views(f);
    return COG_OK;
}

cog_status cog_cache_files_open(const char *dir, struct cog_cache_files *f, struct cog_error *err)
{
    memset(f, 0, sizeof(*f));
    return files_load(dir, f, false, err);
}

cog_status cog_cache_files_refresh(const char *dir, struct cog_cache_files *f,
                                   struct cog_error *err)
{
    return files_load(dir, f, true, err);
}

cog_status cog_cache_files_sound(const struct cog_cache_files *f, struct cog_error *err)
{
    const struct cog_cache_map *maps[4] = {&f->nss, &f->nss_d, &f->acc, &f->acc_d};
    for (size_t i = 0; i < 4; i++)
        if (cog_cache_map_failed(maps[i]))
            return cog_error_set(err, COG_ERR_UNAVAILABLE, NULL,
                                 "a cache file could not be read; nothing written");
    return COG_OK;
}

/* Writes the model as the full files or the logins files: account facts
 * (root-only), the public keys file (what authorized-keys reads as an
 * unprivileged user), then NSS (accounts first: an account fact never refers
 * to a user NSS does not show yet... or no longer shows for long). */
static cog_status write_model(const struct cog_cache_lock *lk, const char *dir,
                              struct cog_cache_model *m, bool journaled, struct cog_error *err)
{
    cog_status st;
    char *nss = NULL, *acc = NULL, *keys = NULL;
    size_t nss_len = 0, acc_len = 0, keys_len = 0;

    if ((st = cog_cache_build(m, COG_DISK_NSS, &nss, &nss_len, err)) != COG_OK ||
        (st = cog_cache_build(m, COG_DISK_ACCOUNTS, &acc, &acc_len, err)) != COG_OK ||
        (st = cog_cache_build_keys(m, &keys, &keys_len, err)) != COG_OK)
        goto out;
    /* One set: accounts, keys, NSS renamed in that order. */
    struct cog_cache_image set[] = {
        {m->delta ? COG_CACHE_ACCOUNTS_DELTA_FILE : COG_CACHE_ACCOUNTS_FILE, acc, acc_len,
         COG_CACHE_PRIVATE_MODE},
        {m->delta ? COG_CACHE_KEYS_DELTA_FILE : COG_CACHE_KEYS_FILE, keys, keys_len,
         COG_CACHE_PUBLIC_MODE},
        {m->delta ? COG_CACHE_NSS_DELTA_FILE : COG_CACHE_NSS_FILE, nss, nss_len,
         COG_CACHE_PUBLIC_MODE},
    };
    size_t n = sizeof(set) / sizeof(set[0]);
    st = journaled ? cog_journal_replace_set(lk, dir, set, n, err)
                   : cog_cache_replace_set(lk, dir, set, n, err);
out:
    free(nss);
    free(acc);
    free(keys);
    return st;
}

cog_status cog_store_write_model(const struct cog_cache_lock *lk, const char *dir,
                                 struct cog_cache_model *m, struct cog_error *err)
{
    return write_model(lk, dir, m, false, err);
}

void cog_store_note_reclaim(struct cog_mapping_log *log, const struct cog_cache_lock *lk)
{
    char msg[256];
    if (log == NULL || log->fn == NULL || !lk->reclaimed)
        return;
    snprintf(msg, sizeof(msg), "took cache.lock over: %s", lk->reclaim_reason);
    log->fn(log->ctx, LOG_WARNING, msg);
}

/* ---- building a logins model ------------------------------------------------------ */

cog_status cog_store_add_hidden(struct delta *d, const char *name, uint32_t uid,
                                struct cog_error *err)
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
cog_status cog_store_copy_user(struct cog_cache_model *m, const struct cog_cache_map *nm,
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
cog_status cog_store_displace(struct delta *d, const struct cog_cache_map *nss,
                              const struct cog_cache_map *acc, const struct cog_cache_user *x,
                              struct cog_error *err)
{
    cog_status st = COG_OK;
    const struct cog_disk_user *y = cog_cache_user_by_name(nss, x->name);
    if (y != NULL && y->uid != x->uid)
        st = cog_store_add_hidden(d, x->name, y->uid, err);
    y = cog_cache_user_by_uid(nss, x->uid);
    if (st == COG_OK && y != NULL && strcmp(cog_cache_str(nss, y->name), x->name) != 0)
        st = cog_store_add_hidden(d, cog_cache_str(nss, y->name), y->uid, err);
    const struct cog_disk_account *a = cog_cache_account_by_sub(acc, x->sub);
    if (st == COG_OK && a != NULL && strcmp(cog_cache_str(acc, a->name), x->name) != 0)
        st = cog_store_add_hidden(d, cog_cache_str(acc, a->name), a->uid, err);
    return st;
}

cog_status cog_store_add_group(struct delta *d, const char *name, uint32_t gid,
                               struct cog_error *err)
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
cog_status cog_store_copy_groups(struct delta *d, const struct cog_cache_map *old,
                                 struct cog_error *err)
{
    for (size_t i = 0; old != NULL && i < d->m->nusers; i++) {
        const struct cog_cache_user *u = &d->m->users[i];
        for (size_t k = 0; !u->hidden && k < u->ngids; k++) {
            const struct cog_disk_group *g = cog_cache_group_by_gid(old, u->gids[k]);
            cog_status st =
                g ? cog_store_add_group(d, cog_cache_str(old, g->name), g->gid, err) : COG_OK;
            if (st != COG_OK)
                return st;
        }
    }
    return COG_OK;
}

/* Members of the model's groups: its live users holding their gid. One pass
 * over the users' gids (a logins file may hold many users and groups). */
cog_status cog_store_fill_members(struct cog_cache_model *m, struct cog_error *err)
{
    struct cog_u32map by_gid = {0};
    cog_status st = COG_OK;
    size_t at;

    for (size_t g = 0; g < m->ngroups; g++) {
        m->groups[g].nmembers = 0;
        if (!cog_u32map_put(&by_gid, m->groups[g].gid, g))
            goto nomem;
    }
    /* Count, allocate, fill: a user lists a gid once (the mapping sorts
     * and dedups them), so counts and fills agree. */
    for (int fill = 0; fill < 2; fill++) {
        for (size_t g = 0; fill == 1 && g < m->ngroups; g++) {
            size_t n = m->groups[g].nmembers;
            m->groups[g].members = cog_cache_model_alloc(m, (n ? n : 1) * sizeof(uint32_t));
            m->groups[g].nmembers = 0;
            if (m->groups[g].members == NULL)
                goto nomem;
        }
        for (size_t i = 0; i < m->nusers; i++) {
            const struct cog_cache_user *u = &m->users[i];
            for (size_t k = 0; !u->hidden && k < u->ngids; k++) {
                if (k > 0 && u->gids[k] == u->gids[k - 1])
                    continue;
                if (!cog_u32map_get(&by_gid, u->gids[k], &at))
                    continue;
                struct cog_cache_group *g = &m->groups[at];
                if (fill == 1)
                    ((uint32_t *)g->members)[g->nmembers] = (uint32_t)i;
                g->nmembers++;
            }
        }
    }
    goto out;
nomem:
    st = cog_error_set(err, COG_ERR_NOMEM, NULL, "out of memory");
out:
    cog_u32map_free(&by_gid);
    return st;
}

void cog_store_delta_free(struct delta *d)
{
    cog_u32map_free(&d->hidden);
    cog_strmap_free(&d->groups);
}

/* The delta, completed with the old logins' groups its users are in and
 * every group's members, as the new logins files; readers are told. */
cog_status cog_store_write_logins(const struct cog_cache_lock *lk, const char *dir, struct delta *d,
                                  const struct cog_cache_files *f, bool journaled,
                                  struct cog_error *err)
{
    cog_status st;
    if ((st = cog_cache_files_sound(f, err)) != COG_OK ||
        (st = cog_store_copy_groups(d, f->vnss.delta, err)) != COG_OK ||
        (st = cog_store_fill_members(d->m, err)) != COG_OK ||
        (st = write_model(lk, dir, d->m, journaled, err)) != COG_OK ||
        (st = cog_cache_notify(dir, COG_CACHE_NSS_FILE, err)) != COG_OK)
        return st;
    /* Journaled, the record is what survives a crash, not the renames. */
    return journaled ? COG_OK : cog_cache_sync_dir(dir, err);
}

/* ---- a login ------------------------------------------------------------------------ */

/* An empty full file of the kind as DIR/NAME when there is none (or a
 * damaged one: present is false then). */
static cog_status ensure_one(const struct cog_cache_lock *lk, const char *dir, const char *name,
                             enum cog_disk_kind kind, bool present, struct cog_error *err)
{
    struct cog_cache_model empty;
    cog_status st = COG_OK;
    char *img = NULL;
    size_t len = 0;
    if (present)
        return COG_OK;
    cog_cache_model_init(&empty);
    empty.built_at = time(NULL);
    st = cog_cache_build(&empty, kind, &img, &len, err);
    if (st == COG_OK)
        st = cog_cache_replace(
            lk, dir, name, img, len,
            kind == COG_DISK_ACCOUNTS ? COG_CACHE_PRIVATE_MODE : COG_CACHE_PUBLIC_MODE, err);
    free(img);
    cog_cache_model_free(&empty);
    return st;
}

/* keys.cache from the full accounts file (a cache written before the keys
 * files existed, whose accounts.cache everyone could read), and then that
 * file made root-only: the keys stay readable to authorized-keys, the
 * rest no longer is. */
static cog_status migrate_keys(const struct cog_cache_lock *lk, const char *dir,
                               const struct cog_cache_map *acc, struct cog_error *err)
{
    struct cog_cache_model m;
    cog_status st = COG_OK;
    char *img = NULL, *path = NULL;
    size_t len = 0;

    cog_cache_model_init(&m);
    m.built_at = acc ? acc->hdr->built_at : time(NULL);
    for (uint32_t i = 0; acc != NULL && i < acc->nrec[0] && st == COG_OK; i++) {
        const struct cog_disk_account *a = cog_cache_account_at(acc, i);
        if (a == NULL || (a->flags & COG_DISK_HIDDEN))
            continue;
        struct cog_cache_user *u = cog_cache_model_add_user(&m);
        if (u == NULL ||
            (u->name = cog_cache_model_strdup(&m, cog_cache_str(acc, a->name))) == NULL ||
            (u->status = cog_cache_model_strdup(&m, cog_cache_str(acc, a->status))) == NULL) {
            st = cog_error_set(err, COG_ERR_NOMEM, NULL, "out of memory");
            break;
        }
        u->uid = u->gid = a->uid;
        u->sub = u->gecos = u->home = u->shell = "";
        u->enabled = (a->flags & COG_DISK_ENABLED) != 0;
        u->keys = copy_strings(&m, acc, a->keys, &u->nkeys);
    }
    if (st == COG_OK && (st = cog_cache_build_keys(&m, &img, &len, err)) == COG_OK &&
        (st = cog_cache_replace(lk, dir, COG_CACHE_KEYS_FILE, img, len, COG_CACHE_PUBLIC_MODE,
                                err)) == COG_OK &&
        acc != NULL) {
        path = cog_cache_path(dir, COG_CACHE_ACCOUNTS_FILE);
        if (path == NULL || chmod(path, COG_CACHE_PRIVATE_MODE) != 0)
            st = cog_error_set(err, COG_ERR_CONFIG, NULL, "%s: cannot make it root-only",
                               path ? path : dir);
    }
    free(path);
    free(img);
    cog_cache_model_free(&m);
    return st;
}

/* Full files, empty, when there are none: readers need one to exist (no
 * file means "unavailable") and to carry the notify word. Only a missing or
 * damaged file is replaced. */
cog_status cog_store_ensure_full(const struct cog_cache_lock *lk, const char *dir,
                                 struct cog_cache_files *f, struct cog_error *err)
{
    cog_status st;
    struct cog_cache_map keys;
    char *kp = cog_cache_path(dir, COG_CACHE_KEYS_FILE);
    if (kp == NULL)
        return cog_error_set(err, COG_ERR_NOMEM, NULL, "out of memory");
    bool have_keys = cog_cache_map_load(&keys, kp, COG_DISK_ACCOUNTS) == COG_CACHE_OK;
    if (have_keys)
        cog_cache_map_close(&keys);
    free(kp);
    if (cog_cache_map_present(&f->nss) && cog_cache_map_present(&f->acc) && have_keys)
        return COG_OK;
    if ((!have_keys && (st = migrate_keys(lk, dir, cog_cache_map_present(&f->acc) ? &f->acc : NULL,
                                          err)) != COG_OK) ||
        (st = ensure_one(lk, dir, COG_CACHE_ACCOUNTS_FILE, COG_DISK_ACCOUNTS,
                         cog_cache_map_present(&f->acc), err)) != COG_OK ||
        (st = ensure_one(lk, dir, COG_CACHE_NSS_FILE, COG_DISK_NSS, cog_cache_map_present(&f->nss),
                         err)) != COG_OK)
        return st;
    cog_cache_files_close(f);
    st = cog_cache_files_open(dir, f, err);
    if (st == COG_OK && (!cog_cache_map_present(&f->nss) || !cog_cache_map_present(&f->acc)))
        st = cog_error_set(err, COG_ERR_CONFIG, NULL, "%s: cannot read back the cache", dir);
    return st;
}

/* The old logins file's records, minus what x replaces. */
cog_status cog_store_carry_old_logins(struct delta *d, const struct cog_cache_files *f,
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
                st = cog_store_add_hidden(d, name, r->uid, err);
            continue;
        }
        const char *sub = a ? cog_cache_str(am, a->sub) : "";
        bool same_user = sub != NULL && strcmp(sub, x->sub) == 0;
        if (same_user || strcmp(name, x->name) == 0 || r->uid == x->uid) {
            /* x's older self, or someone x displaces: keep it hidden. */
            if (!(same_user && strcmp(name, x->name) == 0))
                st = cog_store_add_hidden(d, name, r->uid, err);
            continue;
        }
        st = cog_store_copy_user(d->m, nm, r, am, a, err);
    }
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
    struct cog_cache_lock lk = {.fd = -1};
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
    if ((st = cog_store_ensure_full(&lk, dir, &f, err)) != COG_OK)
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
    dm.base_time = f.vnss.delta ? f.nss_d.hdr->base_time : f.nss.hdr->base_time;
    if ((st = cog_store_carry_old_logins(&d, &f, &x, err)) != COG_OK ||
        (st = cog_store_add_hidden(&d, name, x.uid, err)) != COG_OK)
        goto out;
    st = cog_store_write_logins(&lk, dir, &d, &f, false, err);
out:
    cog_cache_files_close(&f);
    cog_cache_unlock(&lk);
    cog_store_delta_free(&d);
    cog_cache_model_free(&dm);
    return st;
}
