#include "build-config.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "libcognito/core/buf.h"
#include "libcognito/wire/sigv4.h"
#include "libcognito/core/util.h"

#define CREDENTIALS_FILE_MAX (64 * 1024)
#define ALGORITHM "AWS4-HMAC-SHA256"

void cog_aws_credentials_clear(struct cog_aws_credentials *creds)
{
    if (creds == NULL)
        return;
    free(creds->access_key_id);
    cog_free_secret(creds->secret_access_key);
    cog_free_secret(creds->session_token);
    memset(creds, 0, sizeof(*creds));
}

/* Access key ids are upper-case letters and digits; anything else in that
 * slot is a typo that AWS would answer with a confusing error. */
static bool access_key_valid(const char *v)
{
    size_t n = strlen(v);
    if (n < 16 || n > 128)
        return false;
    for (const char *p = v; *p; p++) {
        if (!isupper((unsigned char)*p) && !isdigit((unsigned char)*p))
            return false;
    }
    return true;
}

/* Secrets and tokens are base64-ish text: printable, no spaces. */
static bool secret_text_valid(const char *v, size_t max)
{
    size_t n = strlen(v);
    if (n == 0 || n > max)
        return false;
    for (const char *p = v; *p; p++) {
        if (*p <= ' ' || *p >= 0x7f)
            return false;
    }
    return true;
}

cog_status cog_aws_credentials_parse(const char *text, size_t len, const char *origin,
                                     struct cog_aws_credentials *out, struct cog_error *err)
{
    cog_status st = COG_OK;
    char *copy = NULL;
    unsigned lineno = 0;
    bool in_default = true; /* lines before any section count as [default] */

    memset(out, 0, sizeof(*out));
    snprintf(out->source, sizeof(out->source), "%s", origin);
    if ((st = cog_text_copy(text, len, origin, &copy, err)) != COG_OK)
        goto out;
    for (char *line = copy, *next; line != NULL; line = next) {
        next = strchr(line, '\n');
        if (next != NULL)
            *next++ = '\0';
        lineno++;
        char *s = cog_trim(line);
        if (*s == '\0' || *s == '#' || *s == ';')
            continue;
        if (*s == '[') {
            in_default = strcmp(s, "[default]") == 0;
            continue;
        }
        if (!in_default)
            continue;
        char *eq = strchr(s, '=');
        if (eq == NULL) {
            st = cog_error_set(err, COG_ERR_CONFIG, NULL, "%s:%u: expected 'key = value'", origin,
                               lineno);
            goto out;
        }
        *eq = '\0';
        char *key = cog_trim(s), *value = cog_trim(eq + 1);
        char **slot = NULL;
        if (strcmp(key, "aws_access_key_id") == 0)
            slot = &out->access_key_id;
        else if (strcmp(key, "aws_secret_access_key") == 0)
            slot = &out->secret_access_key;
        else if (strcmp(key, "aws_session_token") == 0)
            slot = &out->session_token;
        else
            continue; /* region, output, ...: the AWS tools' other keys */
        if (*slot != NULL) {
            st = cog_error_set(err, COG_ERR_CONFIG, NULL, "%s:%u: key '%s' given twice", origin,
                               lineno, key);
            goto out;
        }
        *slot = strdup(value);
        if (*slot == NULL) {
            st = cog_error_set(err, COG_ERR_NOMEM, NULL, "out of memory");
            goto out;
        }
    }
    if (out->access_key_id == NULL || out->secret_access_key == NULL) {
        st = cog_error_set(err, COG_ERR_CONFIG, NULL,
                           "%s: needs aws_access_key_id and aws_secret_access_key", origin);
        goto out;
    }
    if (!access_key_valid(out->access_key_id) || !secret_text_valid(out->secret_access_key, 256) ||
        (out->session_token != NULL && !secret_text_valid(out->session_token, 8192))) {
        st = cog_error_set(err, COG_ERR_CONFIG, NULL, "%s: malformed AWS credentials", origin);
        goto out;
    }
out:
    if (copy != NULL) {
        cog_wipe(copy, len);
        free(copy);
    }
    if (st != COG_OK)
        cog_aws_credentials_clear(out);
    return st;
}

static cog_status credentials_from_env(struct cog_aws_credentials *out, struct cog_error *err)
{
    const char *id = getenv("AWS_ACCESS_KEY_ID");
    const char *secret = getenv("AWS_SECRET_ACCESS_KEY");
    const char *token = getenv("AWS_SESSION_TOKEN");

    memset(out, 0, sizeof(*out));
    snprintf(out->source, sizeof(out->source), "the environment");
    if (secret == NULL || *secret == '\0')
        return cog_error_set(err, COG_ERR_CONFIG, NULL,
                             "AWS_ACCESS_KEY_ID is set but AWS_SECRET_ACCESS_KEY is not");
    if (!access_key_valid(id) || !secret_text_valid(secret, 256) ||
        (token != NULL && *token != '\0' && !secret_text_valid(token, 8192)))
        return cog_error_set(err, COG_ERR_CONFIG, NULL,
                             "malformed AWS credentials in the environment");
    out->access_key_id = strdup(id);
    out->secret_access_key = strdup(secret);
    out->session_token = token != NULL && *token != '\0' ? strdup(token) : NULL;
    if (out->access_key_id == NULL || out->secret_access_key == NULL ||
        (token != NULL && *token != '\0' && out->session_token == NULL)) {
        cog_aws_credentials_clear(out);
        return cog_error_set(err, COG_ERR_NOMEM, NULL, "out of memory");
    }
    return COG_OK;
}

cog_status cog_aws_credentials_load(const struct cog_config *cfg, struct cog_aws_credentials *out,
                                    struct cog_error *err)
{
    cog_status st;
    char *buf = NULL;
    size_t len = 0;
    unsigned mode = 0;

    memset(out, 0, sizeof(*out));
    const char *id = getenv("AWS_ACCESS_KEY_ID");
    if (id != NULL && *id != '\0')
        return credentials_from_env(out, err);
    if (cfg->admin_credentials_file == NULL)
        return cog_error_set(err, COG_ERR_CONFIG, NULL,
                             "no AWS credentials: set admin_credentials_file in the configuration "
                             "or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY");
    st = cog_read_trusted_file(cfg->admin_credentials_file, CREDENTIALS_FILE_MAX, &buf, &len, &mode,
                               err);
    if (st != COG_OK) {
        if (st == COG_ERR_INVALID_INPUT)
            st = cog_error_set(err, COG_ERR_CONFIG, NULL, "%s: no such file",
                               cfg->admin_credentials_file);
        goto out;
    }
    /* A secret key others can read is a leaked key: refuse before parsing it. */
    if (mode & 077) {
        st = cog_error_set(err, COG_ERR_CONFIG, NULL,
                           "%s: holds AWS credentials but is readable by others (chmod 0600)",
                           cfg->admin_credentials_file);
        goto out;
    }
    st = cog_aws_credentials_parse(buf, len, cfg->admin_credentials_file, out, err);
out:
    if (buf != NULL) {
        cog_wipe(buf, len);
        free(buf);
    }
    return st;
}

void cog_sigv4_amz_date(time_t t, char out[COG_AMZ_DATE_LEN])
{
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, COG_AMZ_DATE_LEN, "%Y%m%dT%H%M%SZ", &tm);
}

static bool sha256_hex(const void *data, size_t len, char hex[65])
{
    unsigned char md[32];
    unsigned int n = 0;
    if (EVP_Digest(data, len, md, &n, EVP_sha256(), NULL) != 1 || n != 32)
        return false;
    cog_hex_encode(md, 32, hex);
    return true;
}

static bool hmac256(const void *key, size_t key_len, const void *msg, size_t msg_len,
                    unsigned char out[32])
{
    unsigned int n = 0;
    return HMAC(EVP_sha256(), key, (int)key_len, msg, msg_len, out, &n) != NULL && n == 32;
}

cog_status cog_sigv4_signing_key(const char *secret, const char *date8, const char *region,
                                 const char *service, unsigned char key[32])
{
    cog_status st = COG_ERR_INTERNAL;
    struct cog_buf k0 = {0};
    unsigned char a[32], b[32];

    cog_buf_adds(&k0, "AWS4");
    cog_buf_adds(&k0, secret);
    if (k0.failed) {
        st = COG_ERR_NOMEM;
        goto out;
    }
    if (!hmac256(k0.data, k0.len, date8, strlen(date8), a) ||
        !hmac256(a, 32, region, strlen(region), b) ||
        !hmac256(b, 32, service, strlen(service), a) || !hmac256(a, 32, "aws4_request", 12, key))
        goto out;
    st = COG_OK;
out:
    cog_buf_free(&k0);
    cog_wipe(a, sizeof(a));
    cog_wipe(b, sizeof(b));
    return st;
}

/* RFC 3986 unreserved characters stay; every other byte is %XX (upper case). */
static void uri_encode(struct cog_buf *b, const char *s, size_t n, bool keep_slash)
{
    static const char hex[] = "0123456789ABCDEF";
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~' || (keep_slash && c == '/'))
            cog_buf_addc(b, (char)c);
        else {
            char esc[3] = {'%', hex[c >> 4], hex[c & 15]};
            cog_buf_add(b, esc, 3);
        }
    }
}

/* The canonical URI of a non-S3 service: dot segments removed, empty
 * segments collapsed, each segment encoded; a trailing '/' is kept. */
static void canonical_path(struct cog_buf *b, const char *path)
{
    const char *segs[64];
    size_t lens[64];
    size_t n = 0;
    const char *p = path;

    while (*p != '\0') {
        while (*p == '/')
            p++;
        const char *start = p;
        while (*p != '\0' && *p != '/')
            p++;
        size_t len = (size_t)(p - start);
        if (len == 0 || (len == 1 && start[0] == '.'))
            continue;
        if (len == 2 && start[0] == '.' && start[1] == '.') {
            if (n > 0)
                n--;
            continue;
        }
        if (n == sizeof(segs) / sizeof(segs[0])) {
            b->failed = true;
            return;
        }
        segs[n] = start;
        lens[n++] = len;
    }
    size_t plen = strlen(path);
    bool trailing = plen > 1 && path[plen - 1] == '/' && n > 0;
    cog_buf_addc(b, '/');
    for (size_t i = 0; i < n; i++) {
        if (i > 0)
            cog_buf_addc(b, '/');
        uri_encode(b, segs[i], lens[i], false);
    }
    if (trailing)
        cog_buf_addc(b, '/');
}

struct param {
    char *key; /* encoded */
    char *value;
};

static int param_cmp(const void *a, const void *b)
{
    const struct param *x = a, *y = b;
    int c = strcmp(x->key, y->key);
    return c != 0 ? c : strcmp(x->value, y->value);
}

/* Parameters sorted by encoded name, then encoded value, joined with '&'. */
static void canonical_query(struct cog_buf *b, const char *query)
{
    struct param params[64];
    size_t n = 0;

    if (query == NULL)
        return;
    for (const char *p = query; *p != '\0';) {
        const char *end = strchr(p, '&');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        if (len > 0) {
            if (n == sizeof(params) / sizeof(params[0])) {
                b->failed = true;
                goto out;
            }
            const char *eq = memchr(p, '=', len);
            size_t klen = eq ? (size_t)(eq - p) : len;
            struct cog_buf k = {0}, v = {0};
            uri_encode(&k, p, klen, false);
            if (eq != NULL)
                uri_encode(&v, eq + 1, len - klen - 1, false);
            params[n].key = cog_buf_take(&k, NULL);
            params[n].value = cog_buf_take(&v, NULL);
            n++;
            if (params[n - 1].key == NULL || params[n - 1].value == NULL) {
                b->failed = true;
                goto out;
            }
        }
        p += len;
        if (*p == '&')
            p++;
    }
    qsort(params, n, sizeof(params[0]), param_cmp);
    for (size_t i = 0; i < n; i++) {
        cog_buf_printf(b, "%s%s=%s", i ? "&" : "", params[i].key, params[i].value);
    }
out:
    for (size_t i = 0; i < n; i++) {
        free(params[i].key);
        free(params[i].value);
    }
}

struct hdr {
    char *name; /* lower case */
    const char *value;
    size_t order;
};

static int hdr_cmp(const void *a, const void *b)
{
    const struct hdr *x = a, *y = b;
    int c = strcmp(x->name, y->name);
    if (c != 0)
        return c;
    return x->order < y->order ? -1 : x->order > y->order;
}

/* A header value as signed: leading/trailing space dropped, runs of spaces
 * (and folded line breaks) squeezed to one space. */
static void trimmed_value(struct cog_buf *b, const char *v)
{
    bool space = false, started = false;
    for (const char *p = v; *p != '\0'; p++) {
        if (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r') {
            space = started;
            continue;
        }
        if (space)
            cog_buf_addc(b, ' ');
        cog_buf_addc(b, *p);
        space = false;
        started = true;
    }
}

/* Canonical headers ("name:value\n" each, repeated names joined with ',')
 * into b, the signed-header list ("a;b;c") into names. */
static void canonical_headers(struct cog_buf *b, struct cog_buf *names,
                              const struct cog_sigv4_header *headers, size_t n)
{
    struct hdr *h = calloc(n ? n : 1, sizeof(*h));
    if (h == NULL) {
        b->failed = true;
        return;
    }
    for (size_t i = 0; i < n; i++) {
        h[i].name = strdup(headers[i].name);
        if (h[i].name == NULL) {
            b->failed = true;
            goto out;
        }
        for (char *p = h[i].name; *p; p++)
            *p = (char)tolower((unsigned char)*p);
        h[i].value = headers[i].value;
        h[i].order = i;
    }
    qsort(h, n, sizeof(*h), hdr_cmp);
    for (size_t i = 0; i < n; i++) {
        bool same = i > 0 && strcmp(h[i].name, h[i - 1].name) == 0;
        if (same) {
            cog_buf_addc(b, ',');
        } else {
            if (i > 0) {
                cog_buf_addc(b, '\n');
                cog_buf_addc(names, ';');
            }
            cog_buf_printf(b, "%s:", h[i].name);
            cog_buf_adds(names, h[i].name);
        }
        trimmed_value(b, h[i].value);
    }
    if (n > 0)
        cog_buf_addc(b, '\n');
out:
    for (size_t i = 0; i < n; i++)
        free(h[i].name);
    free(h);
}

void cog_sigv4_result_clear(struct cog_sigv4_result *res)
{
    if (res == NULL)
        return;
    free(res->authorization);
    free(res->canonical_request);
    free(res->string_to_sign);
    memset(res, 0, sizeof(*res));
}

cog_status cog_sigv4_sign(const struct cog_sigv4_request *req,
                          const struct cog_aws_credentials *creds, struct cog_sigv4_result *out,
                          struct cog_error *err)
{
    cog_status st = COG_OK;
    struct cog_buf creq = {0}, names = {0}, sts = {0}, auth = {0};
    char date8[9], payload_hex[65], creq_hex[65], sig_hex[65];
    unsigned char key[32], sig[32];

    memset(out, 0, sizeof(*out));
    if (req->amz_date == NULL || strlen(req->amz_date) != COG_AMZ_DATE_LEN - 1 ||
        req->amz_date[8] != 'T') {
        st = cog_error_set(err, COG_ERR_INTERNAL, NULL, "sigv4: bad x-amz-date");
        goto out;
    }
    memcpy(date8, req->amz_date, 8);
    date8[8] = '\0';
    if (!sha256_hex(req->body ? req->body : "", req->body_len, payload_hex)) {
        st = cog_error_set(err, COG_ERR_INTERNAL, NULL, "sigv4: SHA-256 failed");
        goto out;
    }

    /* Task 1: the canonical request. */
    cog_buf_printf(&creq, "%s\n", req->method);
    canonical_path(&creq, req->path ? req->path : "/");
    cog_buf_addc(&creq, '\n');
    canonical_query(&creq, req->query);
    cog_buf_addc(&creq, '\n');
    canonical_headers(&creq, &names, req->headers, req->nheaders);
    cog_buf_addc(&creq, '\n');
    cog_buf_add(&creq, names.data ? names.data : "", names.len);
    cog_buf_printf(&creq, "\n%s", payload_hex);
    if (creq.failed || names.failed) {
        st = cog_error_set(err, COG_ERR_NOMEM, NULL, "out of memory");
        goto out;
    }

    /* Task 2: the string to sign. */
    if (!sha256_hex(creq.data, creq.len, creq_hex)) {
        st = cog_error_set(err, COG_ERR_INTERNAL, NULL, "sigv4: SHA-256 failed");
        goto out;
    }
    cog_buf_printf(&sts, ALGORITHM "\n%s\n%s/%s/%s/aws4_request\n%s", req->amz_date, date8,
                   req->region, req->service, creq_hex);

    /* Task 3: the signature, keyed by the derived signing key. */
    st = cog_sigv4_signing_key(creds->secret_access_key, date8, req->region, req->service, key);
    if (st != COG_OK) {
        st = cog_error_set(err, st, NULL, "sigv4: cannot derive the signing key");
        goto out;
    }
    if (sts.failed || !hmac256(key, sizeof(key), sts.data, sts.len, sig)) {
        st = cog_error_set(err, COG_ERR_INTERNAL, NULL, "sigv4: HMAC failed");
        goto out;
    }
    cog_hex_encode(sig, sizeof(sig), sig_hex);
    cog_buf_printf(&auth,
                   ALGORITHM " Credential=%s/%s/%s/%s/aws4_request, SignedHeaders=%s, "
                             "Signature=%s",
                   creds->access_key_id, date8, req->region, req->service, names.data, sig_hex);
    if (auth.failed) {
        st = cog_error_set(err, COG_ERR_NOMEM, NULL, "out of memory");
        goto out;
    }
    out->authorization = cog_buf_take(&auth, NULL);
    out->canonical_request = cog_buf_take(&creq, NULL);
    out->string_to_sign = cog_buf_take(&sts, NULL);
    if (out->authorization == NULL || out->canonical_request == NULL ||
        out->string_to_sign == NULL) {
        cog_sigv4_result_clear(out);
        st = cog_error_set(err, COG_ERR_NOMEM, NULL, "out of memory");
    }
out:
    cog_wipe(key, sizeof(key));
    cog_wipe(sig, sizeof(sig));
    cog_buf_free(&creq);
    cog_buf_free(&names);
    cog_buf_free(&sts);
    cog_buf_free(&auth);
    return st;
}

cog_status cog_sigv4_header_lines(const struct cog_sigv4_request *req,
                                  const struct cog_sigv4_result *sig, char **out,
                                  struct cog_error *err)
{
    size_t n = 0;
    for (size_t i = 0; i < req->nheaders; i++) {
        if (asprintf(&out[n], "%s: %s", req->headers[i].name, req->headers[i].value) < 0)
            out[n] = NULL;
        if (out[n++] == NULL)
            return cog_error_set(err, COG_ERR_NOMEM, NULL, "out of memory");
    }
    if (asprintf(&out[n], "Authorization: %s", sig->authorization) < 0)
        out[n] = NULL;
    if (out[n] == NULL)
        return cog_error_set(err, COG_ERR_NOMEM, NULL, "out of memory");
    return COG_OK;
}
