/* uids and gids: explicit, held before, or hashed; who keeps a contested
 * one; Cognito groups' gids and group_map's local groups. */
#include "build-config.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include <openssl/evp.h>

#include "libcognito/mapping/mapping_internal.h"

uint32_t cog_mapping_hash_id(const char *key, unsigned probe, uint32_t min, uint32_t max)
{
    unsigned char md[32];
    unsigned int mdlen = 0;
    char msg[COG_USERNAME_MAX + 16];
    uint64_t h = 0;

    /* Keys are subs (36 characters) and group names (at most 128). */
    int n = probe > 0 ? snprintf(msg, sizeof(msg), "%s#%u", key, probe)
                      : snprintf(msg, sizeof(msg), "%s", key);
    if (n > 0 && (size_t)n < sizeof(msg) &&
        EVP_Digest(msg, (size_t)n, md, &mdlen, EVP_sha256(), NULL) == 1 && mdlen == 32) {
        for (int i = 0; i < 8; i++)
            h = h << 8 | md[i];
    }
    return min + (uint32_t)(h % ((uint64_t)max - min + 1));
}

static uint32_t prior_uid_of_sub(const struct mapper *m, const char *sub)
{
    const struct cog_cache_map *map;
    const struct cog_disk_account *a;
    if (m->in->prior_accounts == NULL || sub == NULL ||
        cog_view_account_by_sub(m->in->prior_accounts, sub, &map, &a) != COG_CACHE_OK)
        return 0;
    return a->uid;
}

/* Is uid held, on this host, by someone other than sub? A uid is bound
 * to the sub the host gave it to as long as the cache holds that account,
 * and never doubles as a gid: local groups', group_map's, Cognito groups'. */
static bool uid_taken(const struct mapper *m, uint32_t uid, const char *sub)
{
    size_t owner;
    if (cog_u32map_get(&m->local.uids, uid, NULL) || cog_u32map_get(&m->local.gids, uid, NULL))
        return true;
    if (cog_u32map_get(&m->reserved, uid, NULL))
        return true;
    for (size_t k = 0; k < m->nmap; k++) {
        if (m->map[k].gid == uid)
            return true;
    }
    if (cog_u32map_get(&m->uid_owner, uid, &owner))
        return strcmp(m->pool->users[owner].sub, sub) != 0;
    if (m->in->prior_nss == NULL)
        return false;
    const struct cog_cache_view *v = m->in->prior_nss;
    struct cog_view_user vu;
    struct cog_view_group vg;
    if (cog_view_user_by_uid(v, uid, &vu) == COG_CACHE_OK) {
        const char *holder = mapper_prior_sub_of_name(m, cog_cache_str(vu.map, vu.rec->name));
        return holder == NULL || strcmp(holder, sub) != 0;
    }
    if (cog_view_group_by_gid(v, uid, &vg) == COG_CACHE_OK && vg.rec != NULL)
        return true;
    /* A login does not rewrite the full file: a uid held there (or in the
     * logins file, or hidden by it) is held. */
    return m->in->incremental &&
           (cog_cache_user_by_uid(v->main, uid) || cog_cache_user_by_uid(v->delta, uid) ||
            cog_cache_group_by_gid(v->main, uid) || cog_cache_group_by_gid(v->delta, uid));
}

static bool gid_taken(const struct mapper *m, uint32_t gid, const char *group)
{
    size_t owner;
    if (cog_u32map_get(&m->local.gids, gid, NULL) || cog_u32map_get(&m->uid_owner, gid, NULL) ||
        cog_u32map_get(&m->reserved, gid, NULL))
        return true;
    if (cog_u32map_get(&m->gid_owner, gid, &owner))
        return strcmp(m->pool->groups[owner].name, group) != 0;
    if (m->in->incremental && m->in->prior_nss != NULL) {
        const struct cog_cache_map *maps[2] = {m->in->prior_nss->main, m->in->prior_nss->delta};
        for (int i = 0; i < 2; i++) {
            if (cog_cache_user_by_uid(maps[i], gid) != NULL)
                return true;
            const struct cog_disk_group *g = cog_cache_group_by_gid(maps[i], gid);
            char want[COG_UNIX_NAME_MAX + 1];
            if (g != NULL && (!cog_mapping_unix_name(group, want) ||
                              strcmp(cog_cache_str(maps[i], g->name), want) != 0))
                return true;
        }
    }
    return false;
}

/* Orders pool users for contested names and ids: earlier UserCreateDate, then sub. */

static cog_status claim_uid(struct mapper *m, size_t i, uint32_t uid, struct cog_error *err)
{
    m->uids[i] = uid;
    if (!cog_u32map_put(&m->uid_owner, uid, i))
        return cog_error_set(err, COG_ERR_NOMEM, NULL, "out of memory");
    return COG_OK;
}

/* Explicit uids first, then uids users already hold, then hashed ones in age order. */
cog_status mapper_assign_uids(struct mapper *m, const size_t *order, struct cog_error *err)
{
    const struct cog_pool *p = m->pool;
    const struct cog_config *cfg = m->cfg;
    cog_status st = COG_OK;

    for (int pass = 0; pass < 3 && st == COG_OK; pass++) {
        for (size_t k = 0; k < p->nusers && st == COG_OK; k++) {
            size_t i = order[k];
            const struct cog_pool_user *u = &p->users[i];
            if (m->names[i][0] == '\0' || m->uids[i] != 0)
                continue;
            bool explicit_uid = cfg->uid_attribute != NULL && u->uid_value != NULL;
            uint32_t uid = 0;
            if (pass == 0 && explicit_uid) {
                /* Only inside the range this host gives Cognito users. */
                if (!mapping_parse_id(u->uid_value, cfg->uid_min, cfg->uid_max, &uid) ||
                    uid == 65534) {
                    mapper_logf(m->log, LOG_WARNING,
                                "user '%s': %s '%.32s' is not a usable uid (%d-%d); left out",
                                m->names[i], cfg->uid_attribute, u->uid_value, cfg->uid_min,
                                cfg->uid_max);
                } else if (uid_taken(m, uid, u->sub)) {
                    mapper_logf(m->log, LOG_WARNING, "user '%s': uid %u from %s is taken; left out",
                                m->names[i], uid, cfg->uid_attribute);
                    m->log->collisions++;
                } else {
                    st = claim_uid(m, i, uid, err);
                    continue;
                }
                m->log->skipped++;
                m->names[i][0] = '\0';
                m->uids[i] = UINT32_MAX;
                continue;
            }
            if (explicit_uid)
                continue;
            if (pass == 1) {
                uid = prior_uid_of_sub(m, u->sub);
                if (uid == 0)
                    continue;
                if (uid < 1000 || uid > COG_ID_MAX || uid_taken(m, uid, u->sub)) {
                    mapper_logf(m->log, LOG_WARNING,
                                "user '%s' (sub %s) held uid %u, now taken; "
                                "a new uid follows",
                                m->names[i], u->sub, uid);
                    m->log->collisions++;
                    continue;
                }
                st = claim_uid(m, i, uid, err);
                continue;
            }
            if (pass != 2)
                continue;
            unsigned probe;
            for (probe = 0; probe < PROBES_MAX; probe++) {
                uid = cog_mapping_hash_id(u->sub, probe, (uint32_t)cfg->uid_min,
                                          (uint32_t)cfg->uid_max);
                if (uid != 65534 && !uid_taken(m, uid, u->sub))
                    break;
                if (probe == 0) {
                    size_t other;
                    bool ours = cog_u32map_get(&m->uid_owner, uid, &other);
                    mapper_logf(m->log, LOG_NOTICE,
                                "uid %u: sub %s (created %lld) hashes to it but %s%s has it; "
                                "probing",
                                uid, u->sub, (long long)u->created,
                                ours ? "sub " : "an existing account",
                                ours ? p->users[other].sub : "");
                    m->log->collisions++;
                }
            }
            if (probe == PROBES_MAX) {
                mapper_logf(m->log, LOG_ERR, "user '%s': no free uid in %d-%d; left out",
                            m->names[i], cfg->uid_min, cfg->uid_max);
                m->log->skipped++;
                m->names[i][0] = '\0';
                continue;
            }
            if (probe > 0)
                mapper_logf(m->log, LOG_NOTICE, "user '%s' (sub %s) gets uid %u (probe %u)",
                            m->names[i], u->sub, uid, probe);
            st = claim_uid(m, i, uid, err);
        }
    }
    return st;
}

struct pin_find {
    const char *group;
    uint32_t gid;
};

static bool pin_find(void *ctx, const char *left, const char *right)
{
    struct pin_find *f = ctx;
    if (strcmp(left, f->group) == 0)
        mapping_parse_id(right, 1000, COG_ID_MAX, &f->gid);
    return true;
}

static uint32_t prior_gid_of_group(const struct mapper *m, const char *unix_name)
{
    struct cog_view_group g;
    if (m->in->prior_nss == NULL ||
        cog_view_group_by_name(m->in->prior_nss, unix_name, &g) != COG_CACHE_OK || g.rec == NULL)
        return 0;
    return g.rec->gid;
}

static int group_by_age(const void *a, const void *b, void *ctx)
{
    const struct cog_pool_group *groups = ctx;
    const struct cog_pool_group *x = &groups[*(const size_t *)a];
    const struct cog_pool_group *y = &groups[*(const size_t *)b];
    if (x->created != y->created)
        return x->created < y->created ? -1 : 1;
    return strcmp(x->name, y->name);
}

cog_status mapper_assign_groups(struct mapper *m, struct cog_error *err)
{
    const struct cog_pool *p = m->pool;
    const struct cog_config *cfg = m->cfg;
    size_t *order = malloc((p->ngroups ? p->ngroups : 1) * sizeof(*order));

    if (order == NULL)
        return cog_error_set(err, COG_ERR_NOMEM, NULL, "out of memory");
    for (size_t i = 0; i < p->ngroups; i++)
        order[i] = i;
    qsort_r(order, p->ngroups, sizeof(*order), group_by_age, p->groups);

    for (size_t k = 0; k < p->ngroups; k++) {
        size_t i = order[k];
        const char *cname = p->groups[i].name;
        char name[COG_UNIX_NAME_MAX + 1];
        const char *why = NULL;
        if (!cog_strmap_put(&m->group_index, cname, i))
            goto nomem;
        if (!cog_mapping_unix_name(cname, name))
            why = "not a valid Unix group name";
        else if (cog_mapping_name_denied(cfg, name))
            why = "the name is on the deny list (use group_map)";
        else if (cog_strmap_get(&m->local.names, name, NULL))
            why = "a local user or group has that name (use group_map)";
        else if (cog_strmap_get(&m->name_owner, name, NULL))
            why = "a user has that name (their private group)";
        else if (cog_strmap_get(&m->gname_owner, name, NULL))
            why = "another Cognito group maps to the same name";
        if (why != NULL) {
            mapper_logf(m->log, LOG_WARNING, "group '%.128s': %s; not a Unix group", cname, why);
            m->log->skipped++;
            continue;
        }
        memcpy(m->gnames[i], name, sizeof(name));
        if (!cog_strmap_put(&m->gname_owner, m->gnames[i], i))
            goto nomem;
    }
    /* gids: pinned, then held before, then hashed, each pass in age order. */
    for (int pass = 0; pass < 3; pass++) {
        for (size_t k = 0; k < p->ngroups; k++) {
            size_t i = order[k];
            const char *cname = p->groups[i].name;
            struct pin_find pin = {cname, 0};
            if (m->gnames[i][0] == '\0' || m->gids[i] != 0)
                continue;
            if (cfg->group_gids != NULL)
                mapping_each_pair(cfg->group_gids, pin_find, &pin);
            uint32_t gid = 0;
            if (pass == 0 && pin.gid != 0) {
                gid = pin.gid;
                if (gid_taken(m, gid, cname)) {
                    mapper_logf(m->log, LOG_WARNING,
                                "group '%s': pinned gid %u is taken; not a Unix "
                                "group",
                                cname, gid);
                    m->log->skipped++;
                    m->gnames[i][0] = '\0';
                    continue;
                }
            } else if (pass == 1 && pin.gid == 0) {
                gid = prior_gid_of_group(m, m->gnames[i]);
                if (gid != 0 && gid_taken(m, gid, cname)) {
                    mapper_logf(m->log, LOG_WARNING,
                                "group '%s' held gid %u, now taken; a new gid "
                                "follows",
                                cname, gid);
                    m->log->collisions++;
                    gid = 0;
                }
            } else if (pass == 2) {
                unsigned probe;
                for (probe = 0; probe < PROBES_MAX; probe++) {
                    gid = cog_mapping_hash_id(cname, probe, (uint32_t)cfg->gid_min,
                                              (uint32_t)cfg->gid_max);
                    if (!gid_taken(m, gid, cname))
                        break;
                }
                if (probe > 0) {
                    mapper_logf(m->log, LOG_NOTICE, "group '%s' gets gid %u (probe %u)", cname, gid,
                                probe);
                    m->log->collisions++;
                }
                if (probe == PROBES_MAX) {
                    m->gnames[i][0] = '\0';
                    m->log->skipped++;
                    continue;
                }
            }
            if (gid == 0)
                continue;
            m->gids[i] = gid;
            if (!cog_u32map_put(&m->gid_owner, gid, i))
                goto nomem;
        }
    }
    free(order);
    return COG_OK;
nomem:
    free(order);
    return cog_error_set(err, COG_ERR_NOMEM, NULL, "out of memory");
}

/* group_map's local groups, resolved once in the local group file. */
struct map_collect {
    struct mapper *m;
    bool nomem;
};

static bool map_collect(void *ctx, const char *left, const char *right)
{
    struct map_collect *c = ctx;
    struct mapper *m = c->m;
    uint32_t gid = 0;
    size_t v;
    if (m->nmap == GROUP_MAP_MAX)
        return true;
    if (isdigit((unsigned char)right[0]))
        mapping_parse_id(right, 1, COG_ID_MAX, &gid);
    else if (cog_strmap_get(&m->local.group_gid, right, &v) && v != 0)
        gid = (uint32_t)v;
    if (gid == 0) {
        mapper_logf(m->log, LOG_WARNING, "group_map: no local group '%s'; '%s' adds nothing", right,
                    left);
        return true;
    }
    snprintf(m->map[m->nmap].group, sizeof(m->map[m->nmap].group), "%s", left);
    m->map[m->nmap++].gid = gid;
    return true;
}

cog_status mapper_resolve_group_map(struct mapper *m, struct cog_error *err)
{
    struct map_collect c = {m, false};
    if (m->cfg->group_map == NULL)
        return COG_OK;
    m->map = calloc(GROUP_MAP_MAX, sizeof(*m->map));
    if (m->map == NULL)
        return cog_error_set(err, COG_ERR_NOMEM, NULL, "out of memory");
    mapping_each_pair(m->cfg->group_map, map_collect, &c);
    return COG_OK;
}
