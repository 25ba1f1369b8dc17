/* The exporter's snapshot files (cmd_export.c): the previous snapshot read
 * back from its own copy, a new one published to a directory or to S3 in
 * the order readers need, and old serials pruned. */
#ifndef COGNITO_EXPORT_FILES_H
#define COGNITO_EXPORT_FILES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "libcognito/core/config.h"
#include "libcognito/core/error.h"
#include "libcognito/snapshot/snapshot_build.h"
#include "libcognito/snapshot/snapshot_manifest.h"

/* The largest snapshot file the exporter reads back. */
#define EXPORT_FILE_MAX ((size_t)1 << 31)

struct export_prior {
    struct cog_snapshot_manifest m; /* m.retired: from retired_file (or 0.1's inline list) */
    char *data[COG_SNAPSHOT_NPARTS];
    size_t len[COG_SNAPSHOT_NPARTS];
    bool present;
};

/* The previous snapshot in dir: none (present false) when dir has no
 * manifest.json; every file it names must match it. */
cog_status export_prior_load(const char *dir, struct export_prior *p, struct cog_error *err);
void export_prior_free(struct export_prior *p);

/* One export's output. */
struct export_output {
    const struct cog_snapshot_manifest *m;
    const struct cog_snapshot_data *d;
    const char *retired; /* m->retired_file's bytes, when m->has_retired_file */
    size_t retired_len;
    const char *mtext, *sig;
    size_t mlen, siglen;
};

/* Data files first (the parts, the retired uids), then the signature, the
 * manifest last: a reader that sees the new manifest finds all it names. */
cog_status export_publish_dir(const char *dir, const struct export_output *o,
                              struct cog_error *err);
cog_status export_publish_s3(const struct cog_config *cfg, const struct export_output *o,
                             struct cog_error *err);
/* Removes the data files of serials other than keep1 and keep2. */
void export_prune_dir(const char *dir, int64_t keep1, int64_t keep2);

#endif
