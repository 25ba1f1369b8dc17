/* What the mapping's files share (mapping.h is the public face): the
 * mapper's state and the steps cog_mapping_build runs in order. */
#ifndef COGNITO_MAPPING_INTERNAL_H
#define COGNITO_MAPPING_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "libcognito/cache/idmap.h"
#include "libcognito/core/util.h"
#include "libcognito/mapping/mapping.h"

#define PROBES_MAX 1000
#define NOBODY SIZE_MAX
#define GROUP_MAP_MAX 64

/* The local passwd and group files, read once. */
struct local {
    struct cog_strmap names;     /* user and group names */
    struct cog_strmap group_gid; /* group name -> gid */
    struct cog_u32map uids, gids;
    struct cog_arena *arena;
};

/* One group_map entry with its local gid. */
struct map_entry {
    char group[COG_USERNAME_MAX + 1];
    uint32_t gid;
};

struct mapper {
    const struct cog_mapping_input *in;
    const struct cog_config *cfg;
    const struct cog_pool *pool;
    struct cog_mapping_log *log;
    struct local local;
    char (*names)[COG_UNIX_NAME_MAX + 1];  /* per pool user; "" = skipped */
    uint32_t *uids;                        /* per pool user; 0 = none yet */
    char (*gnames)[COG_UNIX_NAME_MAX + 1]; /* per pool group; "" = skipped */
    uint32_t *gids;
    struct cog_strmap name_owner;  /* unix name -> pool user */
    struct cog_u32map uid_owner;   /* uid -> pool user */
    struct cog_strmap gname_owner; /* unix group name -> pool group */
    struct cog_u32map gid_owner;   /* gid -> pool group */
    struct cog_strmap group_index; /* Cognito group name -> pool group */
    struct cog_u32map reserved;    /* the input's reserved ids */
    struct map_entry *map;         /* group_map, resolved */
    size_t nmap;
};

void mapper_logf(struct cog_mapping_log *log, int prio, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

cog_status mapping_local_load(struct local *l, const struct cog_config *cfg,
                              struct cog_mapping_log *log, struct cog_error *err);
void mapping_local_free(struct local *l);
const char *mapper_prior_sub_of_name(const struct mapper *m, const char *name);

/* The steps, in this order; order lists the pool users by age. */
cog_status mapper_resolve_group_map(struct mapper *m, struct cog_error *err);
cog_status mapper_assign_names(struct mapper *m, const size_t *order, struct cog_error *err);
cog_status mapper_assign_uids(struct mapper *m, const size_t *order, struct cog_error *err);
cog_status mapper_assign_groups(struct mapper *m, struct cog_error *err);
cog_status mapper_emit(struct mapper *m, struct cog_cache_model *out, struct cog_error *err);

#endif
