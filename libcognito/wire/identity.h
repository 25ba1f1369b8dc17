/* The identity pool: a verified ID token of the user pool becomes temporary
 * AWS credentials, as the SDK's CognitoIdentityCredentials does: GetId, then
 * GetCredentialsForIdentity (AWSCognitoIdentityService, JSON 1.1, unsigned:
 * the ID token in Logins, keyed cognito-idp.REGION.amazonaws.com/POOL, is
 * the proof). The endpoint is cfg->identity_endpoint or
 * https://cognito-identity.REGION.amazonaws.com/, reached over the idp's
 * connection. Secrets are wiped when freed and never appear in errors. */
#ifndef COGNITO_IDENTITY_H
#define COGNITO_IDENTITY_H

#include "libcognito/core/error.h"
#include "libcognito/wire/idp.h"
#include "libcognito/wire/sigv4.h"

struct cog_identity_credentials {
    struct cog_aws_credentials aws; /* access key id, secret key, session token */
    long long expiration;           /* epoch seconds */
    char *identity_id;              /* REGION:UUID, not a secret */
};

/* GetId: the identity of the token's user in cfg->identity_pool_id. */
cog_status cog_identity_get_id(struct cog_idp *idp, const char *id_token, char **identity_id,
                               struct cog_error *err);
/* GetCredentialsForIdentity for identity_id with the same token. */
cog_status cog_identity_get_credentials(struct cog_idp *idp, const char *identity_id,
                                        const char *id_token, struct cog_identity_credentials *out,
                                        struct cog_error *err);
/* Both, in one network step (one deadline). COG_ERR_CONFIG without
 * identity_pool_id; NotAuthorized is COG_ERR_AUTH, throttling and 5xx
 * COG_ERR_UNAVAILABLE, as for the user pool. */
cog_status cog_identity_credentials(struct cog_idp *idp, const char *id_token,
                                    struct cog_identity_credentials *out, struct cog_error *err);
void cog_identity_credentials_clear(struct cog_identity_credentials *c);

/* 2026-07-04T12:34:56Z */
#define COG_ISO8601_MAX 32
void cog_iso8601(long long t, char out[COG_ISO8601_MAX]);

/* {"Version":1,"AccessKeyId","SecretAccessKey","SessionToken","Expiration"}:
 * what the AWS CLI reads from a credential_process. malloc'd; wipe it. */
char *cog_identity_credentials_json(const struct cog_identity_credentials *c);

#endif
