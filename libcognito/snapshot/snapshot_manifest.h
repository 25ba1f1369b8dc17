/* A fleet snapshot's manifest (interfaces.md, issue 14): what the exporter
 * publishes beside the cache files, and the detached Ed25519 signature over
 * its exact bytes.
 *
 *   {"format":1, "pool_id":"...", "serial":N, "created":UNIX, "users":N, "groups":N,
 *    "files":{"nss":{"name":"nss-N.cache","size":BYTES,"sha256":"hex"},
 *             "accounts":{...}, "keys":{...}}}
 *
 * manifest.json.sig holds base64 of the 64-byte signature and a newline. */
#ifndef COGNITO_SNAPSHOT_MANIFEST_H
#define COGNITO_SNAPSHOT_MANIFEST_H

#include <stddef.h>
#include <stdbool.h>
#include <stdint.h>

#include "libcognito/core/error.h"

#define COG_SNAPSHOT_FORMAT 1
#define COG_SNAPSHOT_MANIFEST "manifest.json"
#define COG_SNAPSHOT_SIGNATURE "manifest.json.sig"
#define COG_SNAPSHOT_MANIFEST_MAX (64 * 1024)
#define COG_SNAPSHOT_NAME_MAX 128

enum cog_snapshot_part {
    COG_SNAPSHOT_NSS = 0,
    COG_SNAPSHOT_ACCOUNTS,
    COG_SNAPSHOT_KEYS,
    COG_SNAPSHOT_NPARTS,
};

struct cog_snapshot_file {
    char name[COG_SNAPSHOT_NAME_MAX + 1]; /* a plain file name: [A-Za-z0-9._-], no leading '.' */
    uint64_t size;
    char sha256[65]; /* lowercase hex */
};

struct cog_snapshot_manifest {
    int format;
    char pool_id[64];
    int64_t serial, created, users, groups;
    struct cog_snapshot_file files[COG_SNAPSHOT_NPARTS];
    /* The uids of subs gone from the pool, which the exporter never gives
     * to another sub. Not emitted: they go in a file of their own,
     * retired_file (cog_snapshot_retired_encode), because every host polls
     * the manifest and a pool that loses 1 % of a million users a day
     * retires 10,000 uids a day. Parse fills them only from a manifest of
     * 0.1's exporter, which listed them inline as "retired" (malloc'd; free
     * with cog_snapshot_manifest_free). */
    uint32_t *retired;
    size_t nretired;
    /* "retired_file" (optional): names, sizes and hashes the retired uids'
     * file. Hosts never fetch it; the exporter reads it back from its own
     * copy of the last snapshot. */
    struct cog_snapshot_file retired_file;
    bool has_retired_file;
    /* Optional (0: absent; hosts ignore them): when the last full read of
     * the pool started, and the time up to which CloudTrail events are
     * folded in (an incremental export starts from there). */
    int64_t full_at, events_until;
};

/* The retired uids as retired_file's bytes: sorted, no repeats, 4 bytes
 * each, little-endian (*data malloc'd; none gives len 0). Decode refuses
 * anything else, and a zero uid. */
cog_status cog_snapshot_retired_encode(const uint32_t *uids, size_t n, char **data, size_t *len,
                                       struct cog_error *err);
cog_status cog_snapshot_retired_decode(const void *data, size_t len, uint32_t **uids, size_t *n,
                                       struct cog_error *err);

/* Frees what parse allocated (retired); the rest is inline. */
void cog_snapshot_manifest_free(struct cog_snapshot_manifest *m);

/* Fills f (name, size, sha256) for data. name must be a plain file name. */
cog_status cog_snapshot_file_set(struct cog_snapshot_file *f, const char *name, const void *data,
                                 size_t len, struct cog_error *err);
/* True when data has f's size and sha256. */
bool cog_snapshot_file_matches(const struct cog_snapshot_file *f, const void *data, size_t len);

/* The key of files[] for a part ("nss", "accounts", "keys"). */
const char *cog_snapshot_part_key(enum cog_snapshot_part part);

/* Parses manifest bytes (json-c). COG_ERR_INVALID_INPUT, naming what is wrong,
 * for anything but one object with every field above well-formed (a file
 * name that could leave the snapshot's directory, a short hash, a negative
 * serial...). The format number is returned as found: the caller decides. */
cog_status cog_snapshot_manifest_parse(const char *text, size_t len,
                                       struct cog_snapshot_manifest *out, struct cog_error *err);

/* The exporter's side. The manifest as JSON text (json-c, one object, no
 * trailing newline; *text malloc'd): parse gives m back. */
cog_status cog_snapshot_manifest_emit(const struct cog_snapshot_manifest *m, char **text,
                                      size_t *len, struct cog_error *err);
/* Signs data with the PEM Ed25519 private key in key_path (OpenSSL EVP):
 * *sig_text is base64 of the 64-byte signature and "\n", as
 * manifest.json.sig holds it (malloc'd). The key file must be owned by root
 * (or the caller, when not root) and readable by nobody else (0600):
 * COG_ERR_CONFIG otherwise. */
cog_status cog_snapshot_sign(const char *key_path, const void *data, size_t len, char **sig_text,
                             struct cog_error *err);

/* Verifies sig_text (base64 of a raw Ed25519 signature, as in
 * manifest.json.sig) over data with the PEM public key in key_path (OpenSSL
 * EVP). The key file must be a regular file only root (or the caller, when
 * the caller is not root) can write. COG_ERR_CONFIG for an unusable key
 * (not Ed25519, unreadable, writable by others), COG_ERR_TOKEN for a
 * signature that does not verify. */
cog_status cog_snapshot_verify(const char *key_path, const void *data, size_t len,
                               const char *sig_text, size_t sig_len, struct cog_error *err);

#endif
