/* Pool users and groups to Unix users and groups: the rules are in mapping.h
 * and cognito.conf(5). Nothing here touches the network or the cache files;
 * the writers hand in the pool, what the host gave out before, and take the
 * model. */
#include "build-config.h"

#include <stdlib.h>
#include <string.h>

#include "libcognito/mapping/mapping_internal.h"

static int by_age(const void *a, const void *b, void *ctx)
{
    const struct cog_pool_user *users = ctx;
    const struct cog_pool_user *x = &users[*(const size_t *)a];
    const struct cog_pool_user *y = &users[*(const size_t *)b];
    if (x->created != y->created)
        return x->created < y->created ? -1 : 1;
    return strcmp(x->sub ? x->sub : "", y->sub ? y->sub : "");
}

cog_status cog_mapping_build(const struct cog_mapping_input *in, struct cog_cache_model *out,
                             struct cog_mapping_log *log, struct cog_error *err)
{
    cog_status st;
    struct cog_mapping_log quiet = {0};
    struct mapper m = {.in = in, .cfg = in->cfg, .pool = in->pool, .log = log ? log : &quiet};
    const struct cog_pool *p = in->pool;
    size_t *order = NULL;

    st = mapping_local_load(&m.local, in->cfg, m.log, err);
    if (st != COG_OK)
        goto out;
    size_t nu = p->nusers ? p->nusers : 1, ng = p->ngroups ? p->ngroups : 1;
    m.names = calloc(nu, sizeof(*m.names));
    m.uids = calloc(nu, sizeof(*m.uids));
    m.gnames = calloc(ng, sizeof(*m.gnames));
    m.gids = calloc(ng, sizeof(*m.gids));
    order = malloc(nu * sizeof(*order));
    if (!m.names || !m.uids || !m.gnames || !m.gids || !order) {
        st = cog_error_set(err, COG_ERR_NOMEM, NULL, "out of memory");
        goto out;
    }
    for (size_t i = 0; i < p->nusers; i++)
        order[i] = i;
    qsort_r(order, p->nusers, sizeof(*order), by_age, p->users);

    for (size_t i = 0; i < in->nreserved; i++) {
        if (!cog_u32map_put(&m.reserved, in->reserved[i], 0)) {
            st = cog_error_set(err, COG_ERR_NOMEM, NULL, "out of memory");
            goto out;
        }
    }
    st = mapper_resolve_group_map(&m, err);
    if (st == COG_OK)
        st = mapper_assign_names(&m, order, err);
    if (st == COG_OK)
        st = mapper_assign_uids(&m, order, err);
    if (st == COG_OK)
        st = mapper_assign_groups(&m, err);
    if (st == COG_OK)
        st = mapper_emit(&m, out, err);
out:
    free(order);
    free(m.names);
    free(m.uids);
    free(m.gnames);
    free(m.gids);
    cog_strmap_free(&m.name_owner);
    cog_u32map_free(&m.uid_owner);
    cog_strmap_free(&m.gname_owner);
    cog_u32map_free(&m.gid_owner);
    cog_strmap_free(&m.group_index);
    free(m.map);
    cog_u32map_free(&m.reserved);
    mapping_local_free(&m.local);
    return st;
}
