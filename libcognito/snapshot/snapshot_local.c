/* Local accounts win over a snapshot (snapshot_local.h). The exporter
 * decided names and ids for the whole fleet; this host still refuses any
 * that are its own accounts', exactly as its own mapping would. */
#include "build-config.h"

#include <stdio.h>
#include <string.h>
#include <syslog.h>

#include "libcognito/mapping/cache_store.h"
#include "libcognito/mapping/mapping.h"
#include "libcognito/mapping/mapping_internal.h"
#include "libcognito/snapshot/snapshot_local.h"

static void drop(struct snapshot_drops *d, struct cog_mapping_log *log, bool group,
                 const char *name, uint32_t id, const char *why)
{
    mapper_logf(log, LOG_WARNING, "snapshot: %s '%s' (%s %u): %s; left out on this host",
                group ? "group" : "user", name, group ? "gid" : "uid", id, why);
    if (log != NULL)
        log->skipped++;
    d->n++;
}

/* Why an id may not be a pool user's or group's here (NULL: it may). */
static const char *id_local(const struct cog_config *cfg, const struct local *l, uint32_t id)
{
    if ((long)id < (long)cfg->pam_min_uid || id == 0)
        return "a system id (below pam_min_uid)";
    if (cog_u32map_get(&l->uids, id, NULL))
        return "a local user has that id";
    if (cog_u32map_get(&l->gids, id, NULL))
        return "a local group has that id";
    return NULL;
}

/* The rule of a full sync (mapping_names.c): the deny list and the local
 * files, read once. Other NSS sources are not asked per user here: at a
 * fleet's scale that is a million lookups (each one a round trip to LDAP or
 * systemd-userdb; 0.8 ms apiece on a test host), and the places a name is
 * used (pam_cognito's account check, authorized-keys) ask them anyway
 * (cog_local_name). */
static const char *name_local(const struct cog_config *cfg, const struct local *l, const char *name)
{
    if (cog_mapping_name_denied(cfg, name))
        return "the name is on the deny list";
    if (cog_strmap_get(&l->names, name, NULL))
        return "a local user or group has that name";
    return NULL;
}

cog_status snapshot_find_drops(const struct cog_config *cfg, const struct cog_cache_map *nss,
                               struct cog_mapping_log *log, struct snapshot_drops *d,
                               struct cog_error *err)
{
    struct local l;
    cog_status st;

    memset(d, 0, sizeof(*d));
    if ((st = mapping_local_load(&l, cfg, log, err)) != COG_OK)
        return st;
    for (uint32_t i = 0; i < nss->nrec[0] && st == COG_OK; i++) {
        const struct cog_disk_user *r = cog_cache_user_at(nss, i);
        const char *name = r ? cog_cache_str(nss, r->name) : NULL;
        if (name == NULL)
            continue; /* the reader verified the file: cannot happen */
        const char *why = name_local(cfg, &l, name);
        if (why == NULL)
            why = id_local(cfg, &l, r->uid);
        if (why == NULL && r->gid != r->uid)
            why = id_local(cfg, &l, r->gid);
        if (why == NULL)
            continue;
        if (!cog_u32map_put(&d->users, i, 0) || !cog_strmap_put(&d->names, name, i))
            st = cog_error_set(err, COG_ERR_NOMEM, NULL, "out of memory");
        else
            drop(d, log, false, name, r->uid, why);
    }
    for (uint32_t i = 0; i < nss->nrec[1] && st == COG_OK; i++) {
        const struct cog_disk_group *g = cog_cache_group_at(nss, i);
        const char *name = g ? cog_cache_str(nss, g->name) : NULL;
        if (name == NULL)
            continue;
        const char *why = name_local(cfg, &l, name);
        if (why == NULL)
            why = id_local(cfg, &l, g->gid);
        if (why == NULL)
            continue;
        if (!cog_u32map_put(&d->gids, g->gid, i))
            st = cog_error_set(err, COG_ERR_NOMEM, NULL, "out of memory");
        else
            drop(d, log, true, name, g->gid, why);
    }
    mapping_local_free(&l);
    return st;
}

/* u's supplementary gids without the dropped groups'. */
static cog_status strip_gids(struct cog_cache_model *m, struct cog_cache_user *u,
                             const struct snapshot_drops *d, struct cog_error *err)
{
    if (u->ngids == 0 || d->gids.n == 0)
        return COG_OK;
    uint32_t *kept = cog_cache_model_alloc(m, u->ngids * sizeof(*kept));
    size_t n = 0;
    if (kept == NULL)
        return cog_error_set(err, COG_ERR_NOMEM, NULL, "out of memory");
    for (size_t k = 0; k < u->ngids; k++) {
        if (!cog_u32map_get(&d->gids, u->gids[k], NULL))
            kept[n++] = u->gids[k];
    }
    u->gids = kept;
    u->ngids = n;
    return COG_OK;
}

/* g's members as the snapshot lists them, minus the dropped: linear in
 * the memberships (cog_store_fill_members is for small logins models). */
static cog_status copy_members(struct cog_cache_model *m, const struct cog_cache_map *nss,
                               const struct cog_disk_group *g, const struct cog_strmap *index,
                               struct cog_cache_group *mg, struct cog_error *err)
{
    const uint32_t *items;
    uint32_t n = 0;
    size_t at;
    if (!cog_cache_list(nss, g->members, &items, &n) || n == 0)
        return COG_OK;
    uint32_t *members = cog_cache_model_alloc(m, n * sizeof(*members));
    if (members == NULL)
        return cog_error_set(err, COG_ERR_NOMEM, NULL, "out of memory");
    for (uint32_t k = 0; k < n; k++) {
        const char *name = cog_cache_str(nss, items[k]);
        if (name != NULL && cog_strmap_get(index, name, &at))
            members[mg->nmembers++] = (uint32_t)at;
    }
    mg->members = members;
    return COG_OK;
}

cog_status snapshot_model_without(const struct cog_cache_map *nss, const struct cog_cache_map *acc,
                                  const struct snapshot_drops *d, struct cog_cache_model *m,
                                  struct cog_error *err)
{
    cog_status st = COG_OK;
    struct cog_strmap index = {0}; /* name -> model user */

    m->built_at = nss->hdr->built_at;
    m->base_time = nss->hdr->base_time;
    for (uint32_t i = 0; i < nss->nrec[0] && st == COG_OK; i++) {
        const struct cog_disk_user *r = cog_cache_user_at(nss, i);
        if (r == NULL || cog_u32map_get(&d->users, i, NULL))
            continue;
        const char *name = cog_cache_str(nss, r->name);
        const struct cog_disk_account *a = cog_cache_account_by_name(acc, name);
        if ((st = cog_store_copy_user(m, nss, r, acc, a, err)) == COG_OK)
            st = strip_gids(m, &m->users[m->nusers - 1], d, err);
        if (st == COG_OK && !cog_strmap_put(&index, name, m->nusers - 1))
            st = cog_error_set(err, COG_ERR_NOMEM, NULL, "out of memory");
    }
    for (uint32_t i = 0; i < nss->nrec[1] && st == COG_OK; i++) {
        const struct cog_disk_group *g = cog_cache_group_at(nss, i);
        if (g == NULL || cog_u32map_get(&d->gids, g->gid, NULL))
            continue;
        struct cog_cache_group *mg = cog_cache_model_add_group(m);
        if (mg == NULL ||
            (mg->name = cog_cache_model_strdup(m, cog_cache_str(nss, g->name))) == NULL) {
            st = cog_error_set(err, COG_ERR_NOMEM, NULL, "out of memory");
            break;
        }
        mg->gid = g->gid;
        st = copy_members(m, nss, g, &index, mg, err);
    }
    cog_strmap_free(&index);
    return st;
}

void snapshot_drops_free(struct snapshot_drops *d)
{
    cog_u32map_free(&d->users);
    cog_u32map_free(&d->gids);
    cog_strmap_free(&d->names);
    memset(d, 0, sizeof(*d));
}
