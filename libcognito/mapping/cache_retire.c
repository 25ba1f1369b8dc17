/* The logins files after a new full file: what the full file now holds
 * leaves them (cache_retire.h says the rules). Work grows with the logins
 * files, never with the full file: every question to the full file is one
 * index probe. */
#include "build-config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "libcognito/cache/cache.h"
#include "libcognito/mapping/cache_retire.h"
#include "libcognito/mapping/cache_store.h"

cog_status cog_store_remove_logins(const struct cog_cache_lock *lk, const char *dir,
                                   struct cog_error *err)
{
    static const char *const names[] = {COG_CACHE_NSS_DELTA_FILE, COG_CACHE_KEYS_DELTA_FILE,
                                        COG_CACHE_ACCOUNTS_DELTA_FILE};
    cog_status st = cog_cache_lock_check(lk, err);
    /* NSS first: no visible user is left without its account facts. */
    for (size_t i = 0; st == COG_OK && i < sizeof(names) / sizeof(names[0]); i++) {
        char *p = cog_cache_path(dir, names[i]);
        if (p == NULL)
            st = cog_error_set(err, COG_ERR_NOMEM, NULL, "out of memory");
        else if (unlink(p) != 0 && errno != ENOENT)
            st = cog_error_set(err, COG_ERR_CONFIG, NULL, "%s: cannot remove: %s", p,
                               strerror(errno));
        free(p);
    }
    return st;
}

/* What a model of kept logins needs before it is written over a new full
 * file: what each displaces there hidden, the old logins' groups they are
 * in, every group's members. */
cog_status cog_store_shadow_full(struct delta *d, const struct cog_cache_files *full,
                                 const struct cog_cache_map *old_delta, struct cog_error *err)
{
    cog_status st = COG_OK;
    size_t live = d->m->nusers;
    for (size_t i = 0; i < live && st == COG_OK; i++) {
        struct cog_cache_user x = d->m->users[i];
        st = cog_store_displace(d, &full->nss, &full->acc, &x, err);
    }
    if (st == COG_OK)
        st = cog_store_copy_groups(d, old_delta, err);
    return st == COG_OK ? cog_store_fill_members(d->m, err) : st;
}

/* What becomes of one live login record. */
enum fate { KEEP, RETIRE, CONFLICT, DROP };

static enum fate fate_of(const struct cog_cache_files *f, const struct cog_cache_map *nm,
                         const struct cog_disk_user *r, const struct cog_disk_account *a)
{
    if (a == NULL || (a->flags & COG_DISK_HIDDEN))
        return DROP; /* no account facts: nothing binds it to a sub */
    const char *sub = cog_cache_str(f->vacc.delta, a->sub);
    const struct cog_disk_account *full = cog_cache_account_by_sub(f->vacc.main, sub);
    if (full != NULL) {
        const char *name = cog_cache_str(f->vacc.main, full->name);
        bool same =
            full->uid == r->uid && name != NULL && strcmp(name, cog_cache_str(nm, r->name)) == 0;
        return same ? RETIRE : CONFLICT;
    }
    return a->stamp < f->nss.hdr->base_time ? DROP : KEEP;
}

cog_status cog_cache_delta_retire_locked(const struct cog_cache_lock *lk, const char *dir,
                                         struct cog_retire_stats *stats, struct cog_error *err)
{
    cog_status st;
    struct cog_cache_files f;
    struct cog_cache_model dm;
    struct delta d = {.m = &dm};
    struct cog_retire_stats s = {0};

    cog_cache_model_init(&dm);
    if ((st = cog_cache_files_open(dir, &f, err)) != COG_OK)
        goto out;
    if (f.vnss.delta == NULL && f.vacc.delta == NULL)
        goto out; /* nothing to retire */
    if (f.vnss.main == NULL || f.vacc.main == NULL) {
        st = cog_error_set(err, COG_ERR_UNAVAILABLE, NULL, "%s: no full cache to retire into", dir);
        goto out;
    }
    dm.delta = true;
    dm.built_at = time(NULL);
    dm.base_time = f.nss.hdr->base_time;
    const struct cog_cache_map *nm = f.vnss.delta, *am = f.vacc.delta;
    for (uint32_t i = 0; nm != NULL && i < nm->nrec[0] && st == COG_OK; i++) {
        const struct cog_disk_user *r = cog_cache_user_at(nm, i);
        if (r == NULL || (r->flags & COG_DISK_HIDDEN))
            continue;
        const struct cog_disk_account *a =
            cog_cache_account_by_name(am, cog_cache_str(nm, r->name));
        switch (fate_of(&f, nm, r, a)) {
        case CONFLICT:
            s.conflicts++;
            s.retired++; /* the snapshot is the fleet's word: it wins */
            break;
        case RETIRE:
            s.retired++;
            break;
        case DROP:
            s.dropped++;
            break;
        case KEEP:
            s.kept++;
            st = cog_store_copy_user(&dm, nm, r, am, a, err);
            break;
        }
    }
    if (st != COG_OK || (st = cog_store_shadow_full(&d, &f, f.vnss.delta, err)) != COG_OK ||
        (st = cog_cache_files_sound(&f, err)) != COG_OK)
        goto out;
    st = dm.nusers > 0 ? cog_store_write_model(lk, dir, &dm, err)
                       : cog_store_remove_logins(lk, dir, err);
    if (st == COG_OK && (st = cog_cache_notify(dir, COG_CACHE_NSS_FILE, err)) == COG_OK)
        st = cog_cache_sync_dir(dir, err);
out:
    if (st == COG_OK && stats != NULL)
        *stats = s;
    cog_cache_files_close(&f);
    cog_store_delta_free(&d);
    cog_cache_model_free(&dm);
    return st;
}

cog_status cog_cache_delta_retire(const char *dir, struct cog_error *err)
{
    struct cog_cache_lock lk = {.fd = -1};
    cog_status st = cog_cache_lock(dir, 0, &lk, err);
    if (st == COG_OK)
        st = cog_cache_delta_retire_locked(&lk, dir, NULL, err);
    cog_cache_unlock(&lk);
    return st;
}
