/* The fleet snapshot's manifest: what `cognitoctl export` publishes under
 * snapshot_url beside the three cache files, and what a host checks before it
 * installs them.
 *
 * manifest.json is one JSON object (json-c):
 *   {"format":1, "pool_id":"us-east-1_xxx", "serial":N, "created":UNIX_SECONDS,
 *    "users":N, "groups":N,
 *    "files":{"nss":{"name":"nss-N.cache","size":BYTES,"sha256":"hex"},
 *             "accounts":{...}, "keys":{...}},
 *    "retired":[UID, ...]}            (optional: uids never to be given again)
 * serial only grows (a host refuses one not greater than what it installed);
 * each file's sha256 is over its exact bytes. manifest.json.sig is the
 * standard base64 of the raw 64-byte Ed25519 signature over the exact bytes
 * of manifest.json, one line ending in "\n".
 *
 * Order of publication: the data files, then manifest.json.sig, then
 * manifest.json last (a reader that sees a new manifest finds its files). */
#ifndef COGNITO_SNAPSHOT_MANIFEST_H
#define COGNITO_SNAPSHOT_MANIFEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "libcognito/error.h"

#define COG_SNAPSHOT_FORMAT 1
#define COG_SNAPSHOT_MANIFEST "manifest.json"
#define COG_SNAPSHOT_SIG "manifest.json.sig"
#define COG_SNAPSHOT_SIG_LEN 64      /* raw Ed25519 signature */
#define COG_SNAPSHOT_MAX_BYTES 65536 /* a manifest larger than this is refused */

enum cog_snapshot_file { COG_SNAP_NSS = 0, COG_SNAP_ACCOUNTS, COG_SNAP_KEYS, COG_SNAP_NFILES };

struct cog_snapshot_entry {
    char name[64];   /* "nss-<serial>.cache": a plain file name, no '/' */
    uint64_t size;   /* bytes */
    char sha256[65]; /* lowercase hex */
};

struct cog_snapshot_manifest {
    int format; /* COG_SNAPSHOT_FORMAT */
    char pool_id[128];
    int64_t serial;  /* > 0, strictly growing */
    int64_t created; /* unix seconds */
    int64_t users, groups;
    struct cog_snapshot_entry files[COG_SNAP_NFILES];
    /* "retired": uids of subs gone from the pool, never given to another
     * sub (optional in the JSON; malloc'd here, cog_snapshot_manifest_free). */
    uint32_t *retired;
    size_t nretired;
};

/* Frees retired (the rest is inline). */
void cog_snapshot_manifest_free(struct cog_snapshot_manifest *m);

/* "nss", "accounts", "keys". */
const char *cog_snapshot_file_key(enum cog_snapshot_file f);

/* Fills e (name, size, sha256) for data. name must be a plain file name. */
cog_status cog_snapshot_entry_set(struct cog_snapshot_entry *e, const char *name, const void *data,
                                  size_t len, struct cog_error *err);
/* True when data has e's size and sha256. */
bool cog_snapshot_entry_matches(const struct cog_snapshot_entry *e, const void *data, size_t len);

/* The manifest as JSON text (malloc'd, NUL-terminated, *len without the NUL). */
cog_status cog_snapshot_manifest_emit(const struct cog_snapshot_manifest *m, char **text,
                                      size_t *len, struct cog_error *err);
/* Parses and checks the manifest: format COG_SNAPSHOT_FORMAT, serial > 0,
 * every file present with a plain name, a size and a 64-hex sha256.
 * COG_ERR_INVALID_INPUT with a message saying what is wrong. */
cog_status cog_snapshot_manifest_parse(const char *text, size_t len,
                                       struct cog_snapshot_manifest *out, struct cog_error *err);

/* Signs text with the PEM Ed25519 private key at key_path and returns the
 * .sig file's contents (base64 + "\n", malloc'd). The key file must be a
 * regular file owned by root (by the caller when not root) and not readable
 * or writable by group or others: COG_ERR_CONFIG otherwise. The key is
 * freed and wiped before returning. */
cog_status cog_snapshot_sign(const char *key_path, const void *text, size_t len, char **sig_b64,
                             size_t *sig_len, struct cog_error *err);
/* Verifies sig_b64 (the .sig file's contents, trailing whitespace allowed)
 * over text with the PEM Ed25519 public key at pubkey_path.
 * COG_OK when it verifies; COG_ERR_TOKEN when the signature is bad or
 * malformed; COG_ERR_CONFIG when the key cannot be read or is not Ed25519. */
cog_status cog_snapshot_verify(const char *pubkey_path, const void *text, size_t len,
                               const char *sig_b64, size_t sig_len, struct cog_error *err);

#endif
