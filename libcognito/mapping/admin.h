/* The user pool's admin APIs, signed with AWS Signature V4: what
 * `cognitoctl sync` reads the whole pool with. Every request has its own
 * deadline (the config's timeout); throttling and transient failures are
 * retried a few times with backoff, then reported as COG_ERR_UNAVAILABLE. */
#ifndef COGNITO_ADMIN_H
#define COGNITO_ADMIN_H

#include <json-c/json.h>

#include "libcognito/core/config.h"
#include "libcognito/core/error.h"
#include "libcognito/wire/idp.h"
#include "libcognito/mapping/mapping.h"
#include "libcognito/mapping/pool_reader.h"
#include "libcognito/wire/sigv4.h"

struct cog_admin {
    struct cog_idp idp; /* the transport and the endpoint URL */
    struct cog_aws_credentials creds;
    char *host; /* the Host header as signed: host[:port] of the endpoint */
    char *path; /* the endpoint's path, "/" for Cognito */
    int retries;
    long retry_delay_ms;  /* first backoff; doubles */
    struct cog_pace pace; /* request budget and throttling backoff (pool_reader.h) */
};

/* Where a signed JSON 1.1 request goes: the URL, the Host header and path
 * as signed, the SigV4 service and the X-Amz-Target operation. */
struct cog_admin_target {
    const char *url, *host, *path, *service, *target;
};

/* One POST of body to `to` over a's transport, signed now with a's
 * credentials (x-amz-date is part of the signature); no retry. The admin
 * APIs and CloudTrail's LookupEvents (cloudtrail.c) both go through it. */
cog_status cog_admin_signed_post(struct cog_admin *a, const struct cog_admin_target *to,
                                 const char *body, size_t body_len, struct json_object **resp,
                                 struct cog_error *err);

/* Loads the credentials (sigv4.h) and opens the transport. */
cog_status cog_admin_open(struct cog_admin *a, const struct cog_config *cfg, struct cog_error *err);
/* The same with credentials the caller loaded (the exporter's may come from
 * the instance role): they move into a (creds is zeroed), even on failure. */
cog_status cog_admin_open_with(struct cog_admin *a, const struct cog_config *cfg,
                               struct cog_aws_credentials *creds, struct cog_error *err);
/* Wipes the credentials, closes the transport. */
void cog_admin_close(struct cog_admin *a);

/* One signed AWSCognitoIdentityProviderService.<op> call. Credentials AWS
 * refuses (UnrecognizedClient, InvalidSignature, ...) are COG_ERR_CONFIG
 * with a message naming where the credentials came from. */
cog_status cog_admin_call(struct cog_admin *a, const char *op, struct json_object *req,
                          struct json_object **resp, struct cog_error *err);

/* Progress after each page: users, groups and group memberships read so far. */
typedef void (*cog_admin_progress_fn)(void *ctx, size_t users, size_t groups, size_t members);

/* Reads the whole pool: ListUsers, ListGroups, then ListUsersInGroup for
 * each group, every one paginated to the end. */
cog_status cog_admin_list_pool(struct cog_admin *a, struct cog_pool *pool,
                               cog_admin_progress_fn progress, void *ctx, struct cog_error *err);

/* The incremental export's reads. ListUsers with a Filter (`sub = "..."`,
 * `username = "..."`), every match appended to pool (groups not filled). */
cog_status cog_admin_read_users(struct cog_admin *a, struct cog_pool *pool, const char *filter,
                                struct cog_error *err);
/* ListGroups: every group appended to pool. */
cog_status cog_admin_read_groups(struct cog_admin *a, struct cog_pool *pool, struct cog_error *err);
/* AdminListGroupsForUser: pool->users[at]'s groups appended to it. */
cog_status cog_admin_read_user_groups(struct cog_admin *a, struct cog_pool *pool, size_t at,
                                      struct cog_error *err);

#endif
