/* A fleet host's side of issue 14: `cognitoctl sync` with snapshot_url set
 * installs the exporter's signed snapshot instead of reading the pool.
 *
 * The order of checks, each failure leaving the cache as it was:
 *   manifest.json (If-None-Match with the stored ETag; a directory's
 *   sha256) -> manifest.json.sig, Ed25519 with snapshot_public_key ->
 *   format 1, pool_id == user_pool_id, serial > the installed one (equal:
 *   nothing to do; lower: a replay, refused) -> each file: size, sha256,
 *   the cache reader maps and verifies it as a full file of its kind ->
 *   under cache.lock: entries that collide with this host's local
 *   accounts are dropped (logged), the files renamed into place, the
 *   logins the snapshot now holds retired, snapshot.state written. */
#ifndef COGNITO_SNAPSHOT_INSTALL_H
#define COGNITO_SNAPSHOT_INSTALL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "libcognito/core/config.h"
#include "libcognito/core/error.h"

#define COG_SNAPSHOT_STATE_FILE "snapshot.state"

struct cog_mapping_log;

struct cog_snapshot_report {
    bool unchanged;   /* 304, the same manifest, or the installed serial again */
    int64_t serial;   /* the snapshot's (the installed one when unchanged) */
    int64_t previous; /* the serial installed before; -1: none */
    size_t users, groups;
    size_t dropped; /* users and groups left out for local accounts */
    size_t kept_logins, retired_logins;
    bool rebuilt; /* drops: the host wrote its own files from the snapshot's */
    long long elapsed_ms;
};

/* The host's record of what it installed: <cache_dir>/snapshot.state,
 * 0644 JSON {"serial":N,"etag":"...","installed":UNIX}. serial -1 and an
 * empty etag when there is none. */
struct cog_snapshot_state {
    int64_t serial;
    char etag[128];
    int64_t installed;
};
cog_status cog_snapshot_state_read(const char *dir, struct cog_snapshot_state *st,
                                   struct cog_error *err);

/* Fetches, checks and installs the snapshot cfg->snapshot_url names; log
 * (may be NULL) hears of every dropped entry. COG_ERR_TOKEN for a snapshot
 * that fails a check (signature, hash, size, pool, format, replay),
 * COG_ERR_UNAVAILABLE when it cannot be fetched, COG_ERR_CONFIG for an
 * unusable key or URL. */
cog_status cog_snapshot_sync(const struct cog_config *cfg, struct cog_mapping_log *log,
                             struct cog_snapshot_report *out, struct cog_error *err);

/* `cognitoctl check-config`: fetches the current manifest and its
 * signature and checks them (signature, format, pool) without fetching or
 * installing anything; m is the verified manifest. */
struct cog_snapshot_manifest;
cog_status cog_snapshot_peek(const struct cog_config *cfg, struct cog_snapshot_manifest *m,
                             struct cog_error *err);

#endif
