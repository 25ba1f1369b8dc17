/* S3 for the fleet snapshot: a SigV4-signed PUT, path-style against
 * s3_endpoint (default https://s3.<region>.amazonaws.com/BUCKET/KEY), and the
 * exporter's credentials: the environment, admin_credentials_file, else the
 * EC2 instance role through IMDSv2 at imds_endpoint. */
#ifndef COGNITO_S3_H
#define COGNITO_S3_H

#include <stddef.h>

#include "libcognito/core/config.h"
#include "libcognito/core/error.h"
#include "libcognito/wire/sigv4.h"

/* Splits s3://BUCKET/PREFIX: bucket and prefix (without slashes at its
 * ends, may be empty) malloc'd. COG_ERR_CONFIG when not such a URL. */
cog_status cog_s3_split(const char *url, char **bucket, char **prefix, struct cog_error *err);

/* The SigV4 header lines of one S3 request (hdr: 6 zeroed slots, the last
 * stays NULL; free each with cog_free_secret): Host, X-Amz-Content-Sha256
 * (of body), X-Amz-Date, the session token if any, Authorization. The PUT
 * of the exporter and the GET of a fleet host both sign with it. */
cog_status cog_s3_sign(const char *method, const char *host, const char *path, const void *body,
                       size_t len, const char *region, const struct cog_aws_credentials *creds,
                       char **hdr, struct cog_error *err);

/* PUTs body to s3://BUCKET/KEY. A refusal (403, SignatureDoesNotMatch,
 * InvalidAccessKeyId, ...) is COG_ERR_CONFIG naming the credentials' source
 * and S3's code; 5xx and network trouble COG_ERR_UNAVAILABLE. */
cog_status cog_s3_put(const struct cog_config *cfg, const struct cog_aws_credentials *creds,
                      const char *url_bucket_key, const void *body, size_t len,
                      struct cog_error *err);

/* The environment or admin_credentials_file (cog_aws_credentials_load), else
 * IMDSv2: PUT /latest/api/token, then GET
 * /latest/meta-data/iam/security-credentials/ and .../ROLE at imds_endpoint. */
cog_status cog_s3_credentials(const struct cog_config *cfg, struct cog_aws_credentials *out,
                              struct cog_error *err);

#endif
