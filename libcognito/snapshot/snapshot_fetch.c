/* Reading a fleet snapshot's objects (snapshot_fetch.h). */
#include "build-config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "libcognito/wire/http.h"
#include "libcognito/wire/s3.h"
#include "libcognito/snapshot/snapshot_fetch.h"
#include "libcognito/core/util.h"

/* SHA-256 of an empty body: S3 wants x-amz-content-sha256 signed. */

void cog_snapshot_sha256_hex(const void *data, size_t len, char hex[65])
{
    unsigned char md[32];
    unsigned mdlen = 0;
    if (EVP_Digest(data, len, md, &mdlen, EVP_sha256(), NULL) != 1 || mdlen != 32) {
        hex[0] = '\0';
        return;
    }
    cog_hex_encode(md, sizeof(md), hex);
}

/* Splits https://HOST[:PORT]/PATH into s->host and s->path ("/..." ending in '/'). */
static cog_status split_url(struct cog_snapshot_source *s, const char *url, struct cog_error *err)
{
    const char *h = url + 8, *slash = strchr(h, '/');
    size_t hl = slash ? (size_t)(slash - h) : strlen(h);
    const char *p = slash ? slash : "/";
    size_t pl = strlen(p);
    bool add = pl == 0 || p[pl - 1] != '/';
    s->host = strndup(h, hl);
    if (asprintf(&s->path, "%s%s", p, add ? "/" : "") < 0)
        s->path = NULL;
    if (asprintf(&s->base, "https://%s%s", s->host ? s->host : "", s->path ? s->path : "") < 0)
        s->base = NULL;
    if (s->host == NULL || s->path == NULL || s->base == NULL)
        return cog_error_set(err, COG_ERR_NOMEM, NULL, "out of memory");
    if (hl == 0)
        return cog_error_set(err, COG_ERR_CONFIG, NULL, "snapshot_url '%s' has no host", url);
    return COG_OK;
}

cog_status cog_snapshot_source_open(struct cog_snapshot_source *s, const struct cog_config *cfg,
                                    struct cog_error *err)
{
    cog_status st = COG_OK;
    const char *url = cfg->snapshot_url;
    char *https = NULL;

    memset(s, 0, sizeof(*s));
    s->cfg = cfg;
    if (url == NULL)
        return cog_error_set(err, COG_ERR_CONFIG, NULL, "snapshot_url is not set");
    if (url[0] == '/') {
        s->local = true;
        s->base = strdup(url);
        if (s->base == NULL)
            st = cog_error_set(err, COG_ERR_NOMEM, NULL, "out of memory");
        goto out;
    }
    if (strncmp(url, "s3://", 5) == 0) {
        /* Path-style: s3_endpoint/BUCKET/PREFIX/ */
        int n = cfg->s3_endpoint
                    ? asprintf(&https, "%s%s%s", cfg->s3_endpoint,
                               cfg->s3_endpoint[strlen(cfg->s3_endpoint) - 1] == '/' ? "" : "/",
                               url + 5)
                    : asprintf(&https, "https://s3.%s.amazonaws.com/%s",
                               cfg->region ? cfg->region : "us-east-1", url + 5);
        if (n < 0) {
            https = NULL;
            st = cog_error_set(err, COG_ERR_NOMEM, NULL, "out of memory");
            goto out;
        }
        url = https;
    }
    if ((st = split_url(s, url, err)) != COG_OK)
        goto out;
    /* Sign only when credentials are configured; a broken credentials file
     * is an error, not a reason to go anonymous. */
    const char *env = getenv("AWS_ACCESS_KEY_ID");
    if ((env != NULL && *env != '\0') || cfg->admin_credentials_file != NULL) {
        if ((st = cog_aws_credentials_load(cfg, &s->creds, err)) != COG_OK)
            goto out;
        s->sign = true;
    }
out:
    free(https);
    return st;
}

void cog_snapshot_source_close(struct cog_snapshot_source *s)
{
    cog_http_free(s->http);
    if (s->sign)
        cog_aws_credentials_clear(&s->creds);
    free(s->base);
    free(s->host);
    free(s->path);
    memset(s, 0, sizeof(*s));
}

static cog_status get_local(struct cog_snapshot_source *s, const char *name, size_t max,
                            struct cog_buf *body, struct cog_error *err)
{
    cog_status st = COG_OK;
    char *path = NULL;
    struct stat sb;
    int fd = -1;

    if (asprintf(&path, "%s/%s", s->base, name) < 0) {
        path = NULL;
        st = cog_error_set(err, COG_ERR_NOMEM, NULL, "out of memory");
        goto out;
    }
    fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
    if (fd < 0 || fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
        st = cog_error_set(err, COG_ERR_UNAVAILABLE, NULL, "%s: %s", path,
                           fd < 0 ? strerror(errno) : "not a regular file");
        goto out;
    }
    if ((uint64_t)sb.st_size > max) {
        st = cog_error_set(err, COG_ERR_UNAVAILABLE, NULL, "%s: larger than %zu bytes", path, max);
        goto out;
    }
    if (!cog_buf_reserve(body, (size_t)sb.st_size)) {
        st = cog_error_set(err, COG_ERR_NOMEM, NULL, "out of memory");
        goto out;
    }
    for (;;) {
        char chunk[65536];
        ssize_t n = read(fd, chunk, sizeof(chunk));
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            st = cog_error_set(err, COG_ERR_UNAVAILABLE, NULL, "%s: %s", path, strerror(errno));
            goto out;
        }
        if (n == 0)
            break;
        if (body->len + (size_t)n > max) {
            st = cog_error_set(err, COG_ERR_UNAVAILABLE, NULL, "%s: larger than %zu bytes", path,
                               max);
            goto out;
        }
        cog_buf_add(body, chunk, (size_t)n);
    }
    if (body->failed)
        st = cog_error_set(err, COG_ERR_NOMEM, NULL, "out of memory");
out:
    if (fd >= 0)
        close(fd);
    free(path);
    return st;
}

/* The SigV4 headers of a GET of s->path NAME (hdr: 6 slots; s3.h). */
static cog_status sign_get(struct cog_snapshot_source *s, const char *name, char **hdr,
                           struct cog_error *err)
{
    char *path = NULL;
    if (asprintf(&path, "%s%s", s->path, name) < 0)
        return cog_error_set(err, COG_ERR_NOMEM, NULL, "out of memory");
    cog_status st = cog_s3_sign("GET", s->host, path, NULL, 0,
                                s->cfg->region ? s->cfg->region : "us-east-1", &s->creds, hdr, err);
    free(path);
    return st;
}

static cog_status get_https(struct cog_snapshot_source *s, const char *name,
                            const char *if_none_match, size_t max, long timeout_ms,
                            struct cog_buf *body, char etag[COG_SNAPSHOT_ETAG_MAX], bool *unchanged,
                            struct cog_error *err)
{
    cog_status st;
    char *url = NULL, *hdr[7] = {0};
    size_t n = 0;
    struct cog_http_response resp = {0};
    struct cog_http_opts opts = {
        .ca_file = s->cfg->ca_file,
        .proxy = s->cfg->proxy,
        .timeout_ms = timeout_ms,
        .max_body = max > 0 ? max : 1,
    };

    /* A handle per object: its size cap is the manifest's word for it. */
    cog_http_free(s->http);
    if ((s->http = cog_http_new(&opts, err)) == NULL)
        return err->status;
    if (asprintf(&url, "%s%s", s->base, name) < 0) {
        url = NULL;
        goto nomem;
    }
    if (s->sign && (st = sign_get(s, name, hdr, err)) != COG_OK)
        goto out;
    while (hdr[n] != NULL)
        n++;
    if (if_none_match != NULL && *if_none_match != '\0' &&
        asprintf(&hdr[n], "If-None-Match: %s", if_none_match) < 0) {
        hdr[n] = NULL;
        goto nomem;
    }
    cog_http_begin_step(s->http);
    if ((st = cog_http_get_with(s->http, url, (const char *const *)hdr, &resp, err)) != COG_OK) {
        char why[COG_ERROR_MESSAGE_MAX];
        snprintf(why, sizeof(why), "%s", err->message);
        st = cog_error_set(err, st, NULL, "GET %s: %s", url, why);
        goto out;
    }
    if (resp.status == 304 && if_none_match != NULL && *if_none_match != '\0') {
        *unchanged = true;
        snprintf(etag, COG_SNAPSHOT_ETAG_MAX, "%s", if_none_match);
        goto out;
    }
    if (resp.status != 200) {
        st = cog_error_set(err, COG_ERR_UNAVAILABLE, NULL, "GET %s: HTTP %ld", url, resp.status);
        goto out;
    }
    snprintf(etag, COG_SNAPSHOT_ETAG_MAX, "%s", resp.etag);
    if (body->data == NULL) {
        /* Taken over, not copied: a snapshot file may be a hundred MB. */
        body->data = resp.body;
        body->len = resp.len;
        body->cap = resp.len + 1;
        resp.body = NULL;
        resp.len = 0;
        goto out;
    }
    cog_buf_add(body, resp.body, resp.len);
    if (body->failed)
        goto nomem;
    goto out;
nomem:
    st = cog_error_set(err, COG_ERR_NOMEM, NULL, "out of memory");
out:
    for (size_t i = 0; i < sizeof(hdr) / sizeof(hdr[0]); i++)
        cog_free_secret(hdr[i]); /* one may hold the session token */
    cog_http_response_clear(&resp);
    free(url);
    return st;
}

cog_status cog_snapshot_get(struct cog_snapshot_source *s, const char *name,
                            const char *if_none_match, size_t max, long timeout_ms,
                            struct cog_buf *body, char etag[COG_SNAPSHOT_ETAG_MAX], bool *unchanged,
                            struct cog_error *err)
{
    cog_status st;
    char hex[65];

    *unchanged = false;
    etag[0] = '\0';
    body->public_data = true; /* snapshots are public data, and may be large */
    if (!s->local)
        return get_https(s, name, if_none_match, max, timeout_ms, body, etag, unchanged, err);
    if ((st = get_local(s, name, max, body, err)) != COG_OK)
        return st;
    cog_snapshot_sha256_hex(body->data ? body->data : "", body->len, hex);
    snprintf(etag, COG_SNAPSHOT_ETAG_MAX, "sha256:%s", hex);
    if (if_none_match != NULL && strcmp(if_none_match, etag) == 0)
        *unchanged = true;
    return COG_OK;
}
