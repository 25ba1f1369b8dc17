/* The exporter's mapping (`cognitoctl export`): the whole pool into the three
 * cache file images of a fleet snapshot, in memory. Every user keeps the
 * uid/gid and name the previous snapshot gave its sub (the mapping's prior
 * rule), and the uids of subs gone from the pool are retired: carried from
 * snapshot to snapshot and never given to another sub. */
#ifndef COGNITO_SNAPSHOT_BUILD_H
#define COGNITO_SNAPSHOT_BUILD_H

#include <stddef.h>
#include <stdint.h>

#include "libcognito/core/config.h"
#include "libcognito/core/error.h"
#include "libcognito/mapping/mapping.h"
#include "libcognito/snapshot/snapshot_manifest.h"

/* The previous snapshot (all NULL/0: none). The images must be 8-byte aligned. */
struct cog_snapshot_prior {
    const void *nss, *accounts;
    size_t nss_len, accounts_len;
    const uint32_t *retired;
    size_t nretired;
};

struct cog_snapshot_data {
    char *data[COG_SNAPSHOT_NPARTS]; /* malloc'd images, in snapshot_manifest.h's order */
    size_t len[COG_SNAPSHOT_NPARTS];
    size_t users, groups;
    uint32_t *retired; /* prior->retired plus the uids of subs gone since */
    size_t nretired;
};

cog_status cog_snapshot_build(const struct cog_config *cfg, const struct cog_pool *pool,
                              const struct cog_snapshot_prior *prior, struct cog_snapshot_data *out,
                              struct cog_mapping_log *log, struct cog_error *err);
void cog_snapshot_data_free(struct cog_snapshot_data *d);

#endif
