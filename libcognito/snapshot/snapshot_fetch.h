/* Reading a fleet snapshot's objects from snapshot_url: a local directory,
 * an https:// URL (anonymous, or SigV4 when AWS credentials are configured)
 * or s3://BUCKET/PREFIX through s3_endpoint (path-style requests).
 *
 * A minimal GET of its own (the exporter's cog_s3_get lives in s3.c, branch
 * export); both sign with sigv4.c. */
#ifndef COGNITO_SNAPSHOT_FETCH_H
#define COGNITO_SNAPSHOT_FETCH_H

#include <stdbool.h>
#include <stddef.h>

#include "libcognito/core/buf.h"
#include "libcognito/core/config.h"
#include "libcognito/core/error.h"
#include "libcognito/wire/sigv4.h"

#define COG_SNAPSHOT_ETAG_MAX 128

struct cog_http;

struct cog_snapshot_source {
    const struct cog_config *cfg;
    bool local; /* a directory: base is its path */
    char *base; /* the directory, or the URL prefix ending in '/' */
    char *host; /* the URL's host[:port], for SigV4 */
    char *path; /* the URL's path prefix ending in '/', for SigV4 */
    bool sign;  /* credentials configured: SigV4 GETs */
    struct cog_aws_credentials creds;
    struct cog_http *http;
};

/* Parses cfg->snapshot_url; loads AWS credentials when the environment or
 * admin_credentials_file has them (anonymous GETs otherwise). */
cog_status cog_snapshot_source_open(struct cog_snapshot_source *s, const struct cog_config *cfg,
                                    struct cog_error *err);
void cog_snapshot_source_close(struct cog_snapshot_source *s);

/* GETs NAME (a plain file name) under the snapshot's prefix into body (at
 * most max bytes, else it fails), within timeout_ms. With if_none_match (a
 * previous etag, may be NULL) an unchanged object sets *unchanged and leaves
 * body empty: HTTP's 304, or for a directory the same sha256. etag receives
 * the object's ETag (a directory's: "sha256:" and the hex digest). A
 * missing object, an HTTP error or a short answer is COG_ERR_UNAVAILABLE. */
cog_status cog_snapshot_get(struct cog_snapshot_source *s, const char *name,
                            const char *if_none_match, size_t max, long timeout_ms,
                            struct cog_buf *body, char etag[COG_SNAPSHOT_ETAG_MAX], bool *unchanged,
                            struct cog_error *err);

/* Lowercase hex SHA-256 of data. */
void cog_snapshot_sha256_hex(const void *data, size_t len, char hex[65]);

#endif
