#include "build-config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <json-c/json.h>
#include <openssl/evp.h>

#include "libcognito/wire/http.h"
#include "libcognito/wire/idp.h"
#include "libcognito/wire/s3.h"
#include "libcognito/core/util.h"

#define IMDS_DEFAULT "http://169.254.169.254"
#define S3_MAX_BODY (1024 * 1024 * 1024)

cog_status cog_s3_split(const char *url, char **bucket, char **prefix, struct cog_error *err)
{
    *bucket = *prefix = NULL;
    if (url == NULL || strncmp(url, "s3://", 5) != 0 || url[5] == '\0' || url[5] == '/')
        return cog_error_set(err, COG_ERR_CONFIG, NULL, "not an s3://BUCKET/PREFIX URL");
    const char *b = url + 5, *slash = strchr(b, '/');
    size_t blen = slash ? (size_t)(slash - b) : strlen(b);
    const char *p = slash ? slash + 1 : "";
    size_t plen = strlen(p);
    while (plen > 0 && p[plen - 1] == '/')
        plen--;
    *bucket = strndup(b, blen);
    *prefix = strndup(p, plen);
    if (*bucket == NULL || *prefix == NULL) {
        free(*bucket);
        free(*prefix);
        *bucket = *prefix = NULL;
        return cog_error_set(err, COG_ERR_NOMEM, NULL, "out of memory");
    }
    return COG_OK;
}

static struct cog_http *open_http(const struct cog_config *cfg, bool allow_http,
                                  struct cog_error *err)
{
    struct cog_http_opts opts = {
        .ca_file = cfg->ca_file,
        .proxy = allow_http ? NULL : cfg->proxy, /* IMDS is never behind a proxy */
        .timeout_ms = (long)cfg->timeout * 1000,
        .max_body = S3_MAX_BODY,
        .allow_http = allow_http,
    };
    return cog_http_new(&opts, err);
}

/* The S3 error code from an XML error body (<Code>...</Code>). */
static void s3_code(const char *body, char *out, size_t cap)
{
    const char *a = body ? strstr(body, "<Code>") : NULL, *b = a ? strstr(a, "</Code>") : NULL;
    snprintf(out, cap, "%.*s", a && b ? (int)(b - a - 6) : 0, a ? a + 6 : "");
    for (char *c = out; *c; c++) {
        if (!((*c >= 'A' && *c <= 'Z') || (*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9')))
            *c = '?';
    }
}

cog_status cog_s3_sign(const char *method, const char *host, const char *path, const void *body,
                       size_t len, const char *region, const struct cog_aws_credentials *creds,
                       char **hdr, struct cog_error *err)
{
    static const unsigned char none = 0;
    char date[COG_AMZ_DATE_LEN], payload[65];
    unsigned char md[32];
    unsigned int mdlen = 0;
    struct cog_sigv4_result sig = {0};

    if (EVP_Digest(len > 0 ? body : &none, len, md, &mdlen, EVP_sha256(), NULL) != 1)
        return cog_error_set(err, COG_ERR_INTERNAL, NULL, "S3: SHA-256 of the payload failed");
    cog_hex_encode(md, sizeof(md), payload);
    cog_sigv4_amz_date(time(NULL), date);
    struct cog_sigv4_header sh[] = {
        {"Host", host},
        {"X-Amz-Content-Sha256", payload},
        {"X-Amz-Date", date},
        {"X-Amz-Security-Token", creds->session_token},
    };
    struct cog_sigv4_request req = {
        .method = method,
        .path = path,
        .headers = sh,
        .nheaders = creds->session_token ? 4 : 3,
        .body = body,
        .body_len = len,
        .region = region,
        .service = "s3",
        .amz_date = date,
    };
    cog_status st = cog_sigv4_sign(&req, creds, &sig, err);
    if (st == COG_OK)
        st = cog_sigv4_header_lines(&req, &sig, hdr, err);
    cog_sigv4_result_clear(&sig);
    return st;
}

cog_status cog_s3_put(const struct cog_config *cfg, const struct cog_aws_credentials *creds,
                      const char *url_bucket_key, const void *body, size_t len,
                      struct cog_error *err)
{
    cog_status st;
    char *bucket = NULL, *key = NULL, *endpoint = NULL, *host = NULL, *path = NULL, *url = NULL;
    char *hdr[6] = {0};
    char code[64];
    struct cog_http *http = NULL;
    struct cog_http_response resp = {0};

    if ((st = cog_s3_split(url_bucket_key, &bucket, &key, err)) != COG_OK)
        goto out;
    if (cfg->s3_endpoint != NULL)
        endpoint = strdup(cfg->s3_endpoint);
    else if (asprintf(&endpoint, "https://s3.%s.amazonaws.com", cfg->region) < 0)
        endpoint = NULL;
    if (endpoint == NULL)
        goto nomem;
    size_t elen = strlen(endpoint);
    while (elen > 0 && endpoint[elen - 1] == '/')
        endpoint[--elen] = '\0';
    const char *h = strstr(endpoint, "://");
    h = h ? h + 3 : endpoint;
    const char *slash = strchr(h, '/');
    host = slash ? strndup(h, (size_t)(slash - h)) : strdup(h);
    if (host == NULL || asprintf(&path, "%s/%s/%s", slash ? slash : "", bucket, key) < 0 ||
        asprintf(&url, "%.*s%s", (int)((slash ? slash : endpoint + elen) - endpoint), endpoint,
                 path) < 0)
        goto nomem;
    if (strncmp(url, "http", 4) == 0 && strncmp(url, "https", 5) != 0) {
        free(url); /* S3 only over TLS */
        url = NULL;
        st = cog_error_set(err, COG_ERR_CONFIG, NULL, "s3_endpoint must be https://");
        goto out;
    }
    if ((st = cog_s3_sign("PUT", host, path, body, len, cfg->region, creds, hdr, err)) != COG_OK)
        goto out;
    if ((http = open_http(cfg, false, err)) == NULL) {
        st = err ? err->status : COG_ERR_INTERNAL;
        goto out;
    }
    st = cog_http_send(http, "PUT", url, (const char *const *)hdr, body, len, &resp, err);
    if (st != COG_OK)
        goto out;
    if (resp.status / 100 != 2) {
        s3_code(resp.body, code, sizeof(code));
        st = cog_error_set(err, resp.status >= 500 ? COG_ERR_UNAVAILABLE : COG_ERR_CONFIG, code,
                           "S3 refused the PUT of %s with the credentials from %s: HTTP %ld %s",
                           url_bucket_key, creds->source, resp.status, code);
    }
    goto out;
nomem:
    st = cog_error_set(err, COG_ERR_NOMEM, NULL, "out of memory");
out:
    for (size_t i = 0; i < sizeof(hdr) / sizeof(hdr[0]); i++)
        cog_free_secret(hdr[i]);
    cog_http_response_clear(&resp);
    cog_http_free(http);
    free(bucket);
    free(key);
    free(endpoint);
    free(host);
    free(path);
    free(url);
    return st;
}

/* ---- IMDSv2 -------------------------------------------------------------------- */

static char *imds_get(struct cog_http *http, const char *base, const char *path,
                      const char *token_hdr, struct cog_error *err)
{
    char *url = NULL, *out = NULL;
    const char *hdrs[] = {token_hdr, NULL};
    struct cog_http_response resp = {0};
    if (asprintf(&url, "%s%s", base, path) < 0)
        return NULL;
    if (cog_http_send(http, NULL, url, hdrs, NULL, 0, &resp, err) == COG_OK) {
        if (resp.status == 200)
            out = strdup(resp.body);
        else
            cog_error_set(err, COG_ERR_CONFIG, NULL, "instance metadata %s: HTTP %ld", path,
                          resp.status);
    }
    free(url);
    cog_http_response_clear(&resp);
    return out;
}

static cog_status from_imds(const struct cog_config *cfg, struct cog_aws_credentials *out,
                            struct cog_error *err)
{
    cog_status st = COG_ERR_CONFIG;
    const char *base = cfg->imds_endpoint ? cfg->imds_endpoint : IMDS_DEFAULT;
    struct cog_http *http = open_http(cfg, true, err);
    struct cog_http_response resp = {0};
    char *url = NULL, *token_hdr = NULL, *roles = NULL, *path = NULL, *doc = NULL;
    struct json_object *o = NULL;
    const char *ttl[] = {"X-aws-ec2-metadata-token-ttl-seconds: 300", NULL};

    memset(out, 0, sizeof(*out));
    if (http == NULL)
        return err ? err->status : COG_ERR_INTERNAL;
    if (asprintf(&url, "%s/latest/api/token", base) < 0)
        goto nomem;
    if (cog_http_send(http, "PUT", url, ttl, "", 0, &resp, err) != COG_OK || resp.status != 200 ||
        resp.len == 0 || resp.len > 1024) {
        st = cog_error_set(err, COG_ERR_CONFIG, NULL,
                           "no AWS credentials: none in the environment or "
                           "admin_credentials_file, and no IMDSv2 token from %s",
                           base);
        goto out;
    }
    if (asprintf(&token_hdr, "X-aws-ec2-metadata-token: %s", cog_trim(resp.body)) < 0)
        goto nomem;
    roles = imds_get(http, base, "/latest/meta-data/iam/security-credentials/", token_hdr, err);
    if (roles == NULL)
        goto out;
    roles[strcspn(roles, "\r\n")] = '\0';
    if (*cog_trim(roles) == '\0' || strchr(roles, '/') != NULL) {
        st = cog_error_set(err, COG_ERR_CONFIG, NULL, "the instance has no IAM role");
        goto out;
    }
    if (asprintf(&path, "/latest/meta-data/iam/security-credentials/%s", cog_trim(roles)) < 0)
        goto nomem;
    if ((doc = imds_get(http, base, path, token_hdr, err)) == NULL)
        goto out;
    o = json_tokener_parse(doc);
    const char *id = cog_json_string(o, "AccessKeyId"),
               *secret = cog_json_string(o, "SecretAccessKey"),
               *token = cog_json_string(o, "Token");
    if (id == NULL || secret == NULL) {
        st = cog_error_set(err, COG_ERR_CONFIG, NULL, "instance metadata: malformed credentials");
        goto out;
    }
    out->access_key_id = strdup(id);
    out->secret_access_key = strdup(secret);
    out->session_token = token ? strdup(token) : NULL;
    snprintf(out->source, sizeof(out->source), "the instance role %.40s", cog_trim(roles));
    if (out->access_key_id == NULL || out->secret_access_key == NULL ||
        (token != NULL && out->session_token == NULL))
        goto nomem;
    st = COG_OK;
    goto out;
nomem:
    st = cog_error_set(err, COG_ERR_NOMEM, NULL, "out of memory");
out:
    if (st != COG_OK)
        cog_aws_credentials_clear(out);
    json_object_put(o);
    cog_free_secret(doc);
    cog_free_secret(token_hdr);
    free(roles);
    free(path);
    free(url);
    cog_http_response_clear(&resp);
    cog_http_free(http);
    return st;
}

cog_status cog_s3_credentials(const struct cog_config *cfg, struct cog_aws_credentials *out,
                              struct cog_error *err)
{
    const char *id = getenv("AWS_ACCESS_KEY_ID");
    if ((id != NULL && *id != '\0') || cfg->admin_credentials_file != NULL)
        return cog_aws_credentials_load(cfg, out, err);
    return from_imds(cfg, out, err);
}
