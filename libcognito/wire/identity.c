#include "build-config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "libcognito/wire/identity.h"
#include "libcognito/core/util.h"

#define TARGET_PREFIX "AWSCognitoIdentityService."
/* Longer than any key, secret or session token STS hands out. */
#define SESSION_TOKEN_MAX 8192
#define KEY_MAX 256

static cog_status nomem(struct cog_error *err)
{
    return cog_error_set(err, COG_ERR_NOMEM, NULL, "out of memory");
}

/* {"IdentityPoolId"?, "IdentityId"?, "Logins": {"cognito-idp...": token}} */
static cog_status build_request(const struct cog_config *cfg, const char *pool_id,
                                const char *identity_id, const char *id_token,
                                struct json_object **out, struct cog_error *err)
{
    cog_status st = COG_OK;
    char *provider = cog_config_identity_provider(cfg);
    struct json_object *req = json_object_new_object();
    struct json_object *logins = json_object_new_object();

    *out = NULL;
    if (provider == NULL || req == NULL || logins == NULL ||
        json_object_object_add(req, "Logins", logins) != 0) {
        json_object_put(logins);
        st = nomem(err);
        goto out;
    }
    if ((pool_id != NULL && !cog_json_add_string(req, "IdentityPoolId", pool_id)) ||
        (identity_id != NULL && !cog_json_add_string(req, "IdentityId", identity_id)) ||
        !cog_json_add_string(logins, provider, id_token)) {
        st = nomem(err);
        goto out;
    }
    *out = req;
    req = NULL;
out:
    cog_json_put_wiped(req);
    free(provider);
    return st;
}

static cog_status call(struct cog_idp *idp, const char *op, struct json_object *req,
                       struct json_object **resp, struct cog_error *err)
{
    char target[96];
    char *url = cog_config_identity_url(idp->cfg);
    cog_status st;
    if (url == NULL)
        return nomem(err);
    snprintf(target, sizeof(target), TARGET_PREFIX "%s", op);
    st = cog_idp_call_target(idp, url, target, req, resp, err);
    free(url);
    return st;
}

/* Plain ASCII of [A-Za-z0-9] and extra, 1..max long: what goes into an
 * environment variable and a JSON file must not smuggle anything else. */
static bool token_text(const char *s, size_t max, const char *extra)
{
    size_t n = s ? strlen(s) : 0;
    if (n == 0 || n > max)
        return false;
    for (const char *p = s; *p; p++) {
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
              strchr(extra, *p) != NULL))
            return false;
    }
    return true;
}

static cog_status unusable(struct cog_error *err, const char *what)
{
    return cog_error_set(err, COG_ERR_UNAVAILABLE, NULL, "the identity service sent %s", what);
}

cog_status cog_identity_get_id(struct cog_idp *idp, const char *id_token, char **identity_id,
                               struct cog_error *err)
{
    struct json_object *req = NULL, *resp = NULL;
    cog_status st;

    *identity_id = NULL;
    if (idp->cfg->identity_pool_id == NULL) {
        st = cog_error_set(err, COG_ERR_CONFIG, NULL, "no identity_pool_id configured");
        goto out;
    }
    st = build_request(idp->cfg, idp->cfg->identity_pool_id, NULL, id_token, &req, err);
    if (st == COG_OK)
        st = call(idp, "GetId", req, &resp, err);
    if (st != COG_OK)
        goto out;
    const char *id = cog_json_string(resp, "IdentityId");
    if (!token_text(id, 128, ":-")) {
        st = unusable(err, "no usable IdentityId");
        goto out;
    }
    if ((*identity_id = strdup(id)) == NULL)
        st = nomem(err);
out:
    cog_json_put_wiped(req);
    json_object_put(resp);
    return st;
}

static bool read_expiration(struct json_object *creds, long long *out)
{
    struct json_object *v;
    if (!json_object_object_get_ex(creds, "Expiration", &v))
        return false;
    /* The JSON protocol sends timestamps as epoch seconds, often fractional. */
    if (json_object_is_type(v, json_type_int))
        *out = json_object_get_int64(v);
    else if (json_object_is_type(v, json_type_double))
        *out = (long long)json_object_get_double(v);
    else
        return false;
    return *out > 0;
}

cog_status cog_identity_get_credentials(struct cog_idp *idp, const char *identity_id,
                                        const char *id_token, struct cog_identity_credentials *out,
                                        struct cog_error *err)
{
    struct json_object *req = NULL, *resp = NULL;
    cog_status st;

    memset(out, 0, sizeof(*out));
    st = build_request(idp->cfg, NULL, identity_id, id_token, &req, err);
    if (st == COG_OK)
        st = call(idp, "GetCredentialsForIdentity", req, &resp, err);
    if (st != COG_OK)
        goto out;
    struct json_object *c = cog_json_object(resp, "Credentials");
    const char *key = cog_json_string(c, "AccessKeyId");
    const char *secret = cog_json_string(c, "SecretKey");
    const char *token = cog_json_string(c, "SessionToken");
    if (!token_text(key, KEY_MAX, "") || !token_text(secret, KEY_MAX, "+/=") ||
        !token_text(token, SESSION_TOKEN_MAX, "+/=_-") || !read_expiration(c, &out->expiration)) {
        st = unusable(err, "incomplete credentials");
        goto out;
    }
    out->aws.access_key_id = strdup(key);
    out->aws.secret_access_key = strdup(secret);
    out->aws.session_token = strdup(token);
    out->identity_id = strdup(identity_id);
    snprintf(out->aws.source, sizeof(out->aws.source), "identity pool");
    if (out->aws.access_key_id == NULL || out->aws.secret_access_key == NULL ||
        out->aws.session_token == NULL || out->identity_id == NULL)
        st = nomem(err);
out:
    if (st != COG_OK)
        cog_identity_credentials_clear(out);
    cog_json_put_wiped(req);
    cog_json_put_wiped(resp);
    return st;
}

cog_status cog_identity_credentials(struct cog_idp *idp, const char *id_token,
                                    struct cog_identity_credentials *out, struct cog_error *err)
{
    char *identity_id = NULL;
    cog_status st;

    memset(out, 0, sizeof(*out));
    cog_http_begin_step(idp->http);
    st = cog_identity_get_id(idp, id_token, &identity_id, err);
    if (st == COG_OK)
        st = cog_identity_get_credentials(idp, identity_id, id_token, out, err);
    free(identity_id);
    return st;
}

void cog_identity_credentials_clear(struct cog_identity_credentials *c)
{
    if (c == NULL)
        return;
    cog_aws_credentials_clear(&c->aws);
    free(c->identity_id);
    memset(c, 0, sizeof(*c));
}

void cog_iso8601(long long t, char out[COG_ISO8601_MAX])
{
    struct tm tm;
    time_t tt = (time_t)t;
    if (gmtime_r(&tt, &tm) == NULL ||
        strftime(out, COG_ISO8601_MAX, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
        snprintf(out, COG_ISO8601_MAX, "1970-01-01T00:00:00Z");
}

char *cog_identity_credentials_json(const struct cog_identity_credentials *c)
{
    char when[COG_ISO8601_MAX];
    char *text = NULL;
    struct json_object *o = json_object_new_object();
    struct json_object *version = json_object_new_int(1);

    if (o == NULL || version == NULL || json_object_object_add(o, "Version", version) != 0) {
        json_object_put(version);
        goto out;
    }
    cog_iso8601(c->expiration, when);
    if (!cog_json_add_string(o, "AccessKeyId", c->aws.access_key_id) ||
        !cog_json_add_string(o, "SecretAccessKey", c->aws.secret_access_key) ||
        !cog_json_add_string(o, "SessionToken", c->aws.session_token) ||
        !cog_json_add_string(o, "Expiration", when))
        goto out;
    const char *s =
        json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
    text = s ? strdup(s) : NULL;
    if (s != NULL)
        cog_wipe((char *)s, strlen(s));
out:
    cog_json_put_wiped(o);
    return text;
}
