/* Retiring the logins files after a new full file arrived (a fleet
 * snapshot installed by `cognitoctl sync`, see cognito.conf(5)
 * snapshot_url): the logins a snapshot now contains leave the small
 * logins files, the rest stay and keep shadowing the full file.
 *
 * A login's record leaves when the new full accounts file has its sub (the
 * snapshot is the fleet's word on that user: uid, name, groups), or when it
 * is older than the snapshot's listing (the full NSS file's base_time) and
 * the snapshot lacks the sub (deleted or no longer a Unix user). A record
 * newer than the listing that the snapshot lacks stays, with what it
 * displaces in the new full file hidden again. Hidden records of the old
 * logins files (`cognitoctl cache drop`, displaced holders) are recomputed:
 * a new full file is a sync. */
#ifndef COGNITO_CACHE_RETIRE_H
#define COGNITO_CACHE_RETIRE_H

#include <stddef.h>

#include "libcognito/cache/cache.h"
#include "libcognito/core/error.h"

struct cog_retire_stats {
    size_t retired;   /* logins the new full file contains */
    size_t conflicts; /* of those, how many it gives another uid or name (it wins) */
    size_t dropped;   /* logins older than its listing that it lacks */
    size_t kept;      /* logins newer than its listing that it lacks */
};

/* Takes cache.lock (cfg-less: COG_LOCK_WAIT_MS), retires, releases. Call
 * after the new full files are in place. COG_OK with nothing to do when
 * there are no logins files. */
cog_status cog_cache_delta_retire(const char *cache_dir, struct cog_error *err);
/* The same with counts (stats may be NULL), for a caller that already holds
 * lk on cache_dir (lk must not be NULL). */
cog_status cog_cache_delta_retire_locked(const struct cog_cache_lock *lk, const char *cache_dir,
                                         struct cog_retire_stats *stats, struct cog_error *err);

#endif
