/* Local accounts win over a snapshot too (snapshot_local.c): which of its
 * users and groups this host leaves out, and the host's own full files
 * made from the snapshot's without them. Internal to libcognito. */
#ifndef COGNITO_SNAPSHOT_LOCAL_H
#define COGNITO_SNAPSHOT_LOCAL_H

#include "libcognito/cache/cache.h"
#include "libcognito/core/config.h"
#include "libcognito/cache/idmap.h"

struct cog_mapping_log;

struct snapshot_drops {
    struct cog_u32map users; /* record index in the snapshot's NSS file */
    struct cog_u32map gids;  /* Cognito groups left out, by gid */
    struct cog_strmap names; /* users left out, by name (for the accounts file) */
    size_t n;
};

/* Finds the snapshot's users and groups that collide with this host's
 * local accounts by a full sync's rules (mapping.h): a name on the deny
 * list or in local_passwd_file / local_group_file, a uid or gid those files
 * use, or an id below pam_min_uid. Each one is told to log (LOG_WARNING). */
cog_status snapshot_find_drops(const struct cog_config *cfg, const struct cog_cache_map *nss,
                               struct cog_mapping_log *log, struct snapshot_drops *d,
                               struct cog_error *err);

/* The snapshot's users (with their account facts and SSH keys) and groups
 * minus the drops, as a full model; dropped gids leave the users' lists. */
cog_status snapshot_model_without(const struct cog_cache_map *nss, const struct cog_cache_map *acc,
                                  const struct snapshot_drops *d, struct cog_cache_model *m,
                                  struct cog_error *err);

void snapshot_drops_free(struct snapshot_drops *d);

#endif
