/* AWS Signature Version 4 for the admin APIs `cognitoctl sync` calls
 * (ListUsers, ListGroups, ListUsersInGroup), written on OpenSSL's SHA-256 and
 * HMAC. The canonical request, string to sign and signing key follow AWS's
 * published algorithm; tests pin them with AWS's own test-suite vectors.
 *
 * Credentials come from the environment (AWS_ACCESS_KEY_ID,
 * AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN) or from a root-only file named by
 * the config key admin_credentials_file. The secret key is wiped when freed
 * and never appears in an error message. */
#ifndef COGNITO_SIGV4_H
#define COGNITO_SIGV4_H

#include <stddef.h>
#include <time.h>
#include "libcognito/core/config.h"
#include "libcognito/core/error.h"

struct cog_aws_credentials {
    char *access_key_id;
    char *secret_access_key;
    char *session_token; /* NULL for long-term keys */
    char source[80];     /* "environment" or the file, for messages */
};

/* The environment when AWS_ACCESS_KEY_ID is set (the AWS tools' order), else
 * cfg->admin_credentials_file. COG_ERR_CONFIG when there are none, when the
 * file can be read or written by others, or when it is malformed. */
cog_status cog_aws_credentials_load(const struct cog_config *cfg, struct cog_aws_credentials *out,
                                    struct cog_error *err);
/* Parses the file's text: `key = value` lines (aws_access_key_id,
 * aws_secret_access_key, aws_session_token), optionally under a [default]
 * section as in ~/.aws/credentials; other sections are ignored. */
cog_status cog_aws_credentials_parse(const char *text, size_t len, const char *origin,
                                     struct cog_aws_credentials *out, struct cog_error *err);
/* Wipes the secret and the token, frees everything. */
void cog_aws_credentials_clear(struct cog_aws_credentials *creds);

struct cog_sigv4_header {
    const char *name; /* any case; the same name may repeat (values join with ',') */
    const char *value;
};

struct cog_sigv4_request {
    const char *method; /* "POST" */
    const char *path;   /* "/", unencoded; normalised and URI-encoded for signing */
    const char *query;  /* without '?', unencoded; NULL or "" for none */
    const struct cog_sigv4_header *headers; /* every header to sign: host and x-amz-date at least */
    size_t nheaders;
    const void *body;
    size_t body_len;
    const char *region;
    const char *service;  /* "cognito-idp" */
    const char *amz_date; /* YYYYMMDDTHHMMSSZ, the x-amz-date value */
};

/* The signed pieces; the three strings are malloc'd. canonical_request and
 * string_to_sign are what AWS's test suite publishes (tests compare them). */
struct cog_sigv4_result {
    char *authorization; /* the Authorization header's value */
    char *canonical_request;
    char *string_to_sign;
};

cog_status cog_sigv4_sign(const struct cog_sigv4_request *req,
                          const struct cog_aws_credentials *creds, struct cog_sigv4_result *out,
                          struct cog_error *err);
void cog_sigv4_result_clear(struct cog_sigv4_result *res);

/* The signed request's headers as "Name: value" lines for the HTTP client,
 * then "Authorization: ...": out needs req->nheaders + 2 slots, zeroed (the
 * last stays NULL). Each line is malloc'd; one may hold the session token,
 * so free them with cog_free_secret. */
cog_status cog_sigv4_header_lines(const struct cog_sigv4_request *req,
                                  const struct cog_sigv4_result *sig, char **out,
                                  struct cog_error *err);

/* x-amz-date for t (UTC): YYYYMMDDTHHMMSSZ. */
#define COG_AMZ_DATE_LEN 17
void cog_sigv4_amz_date(time_t t, char out[COG_AMZ_DATE_LEN]);

/* The signing key HMAC(HMAC(HMAC(HMAC("AWS4" secret, date), region), service), "aws4_request"). */
cog_status cog_sigv4_signing_key(const char *secret, const char *date8, const char *region,
                                 const char *service, unsigned char key[32]);

#endif
