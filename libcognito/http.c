#include "build-config.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>

#include "libcognito/http.h"
#include "libcognito/util.h"

struct cog_http {
    CURL *curl;
    long timeout_ms;
    long connect_timeout_ms;
    size_t max_body;
    long long deadline_ms; /* monotonic; 0 before the first step */
    unsigned requests;
    unsigned connections;
    const atomic_bool *stop; /* cog_http_set_stop */
    char errbuf[CURL_ERROR_SIZE];
};

struct body_sink {
    char *buf;
    size_t len;
    size_t cap;
    size_t max;
    bool too_large;
};

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static CURLcode curl_init_result = CURLE_FAILED_INIT;

static void curl_init_once(void)
{
    curl_init_result = curl_global_init(CURL_GLOBAL_DEFAULT);
}

static size_t sink_write(char *data, size_t size, size_t nmemb, void *userp)
{
    struct body_sink *s = userp;
    size_t n = size * nmemb;
    if (n > s->max - s->len) {
        s->too_large = true;
        return 0; /* aborts the transfer */
    }
    if (s->len + n + 1 > s->cap) {
        size_t cap = s->cap ? s->cap : 4096;
        while (cap < s->len + n + 1)
            cap *= 2;
        if (cap > s->max + 1)
            cap = s->max + 1;
        char *nb = malloc(cap);
        if (nb == NULL)
            return 0;
        if (s->buf != NULL) {
            memcpy(nb, s->buf, s->len);
            /* the old buffer may hold part of a token */
            cog_wipe(s->buf, s->cap);
            free(s->buf);
        }
        s->buf = nb;
        s->cap = cap;
    }
    memcpy(s->buf + s->len, data, n);
    s->len += n;
    s->buf[s->len] = '\0';
    return n;
}

static size_t header_seen(char *data, size_t size, size_t nmemb, void *userp)
{
    struct cog_http_response *resp = userp;
    size_t n = size * nmemb;
    static const char name[] = "x-amzn-errortype:";
    if (n > sizeof(name) - 1 && strncasecmp(data, name, sizeof(name) - 1) == 0) {
        const char *v = data + sizeof(name) - 1;
        size_t vl = n - (sizeof(name) - 1);
        while (vl > 0 && (*v == ' ' || *v == '\t')) {
            v++;
            vl--;
        }
        while (vl > 0 && (v[vl - 1] == '\r' || v[vl - 1] == '\n' || v[vl - 1] == ' '))
            vl--;
        if (vl >= sizeof(resp->error_type))
            vl = sizeof(resp->error_type) - 1;
        memcpy(resp->error_type, v, vl);
        resp->error_type[vl] = '\0';
    }
    return n;
}

static int stop_asked(void *userp, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
                      curl_off_t ulnow)
{
    const struct cog_http *http = userp;
    (void)dltotal, (void)dlnow, (void)ultotal, (void)ulnow;
    return http->stop != NULL && atomic_load(http->stop);
}

struct cog_http *cog_http_new(const struct cog_http_opts *opts, struct cog_error *err)
{
    struct cog_http *http = NULL;
    CURL *curl = NULL;

    pthread_once(&curl_once, curl_init_once);
    if (curl_init_result != CURLE_OK) {
        cog_error_set(err, COG_ERR_INTERNAL, NULL, "libcurl failed to initialise");
        goto fail;
    }
    http = calloc(1, sizeof(*http));
    curl = curl_easy_init();
    if (http == NULL || curl == NULL) {
        cog_error_set(err, COG_ERR_NOMEM, NULL, "out of memory");
        goto fail;
    }
    http->curl = curl;
    http->timeout_ms = opts->timeout_ms > 0 ? opts->timeout_ms : 10000;
    http->connect_timeout_ms = opts->connect_timeout_ms > 0 ? opts->connect_timeout_ms
                               : http->timeout_ms < 5000    ? http->timeout_ms
                                                            : 5000;
    http->max_body = opts->max_body ? opts->max_body : COG_HTTP_MAX_BODY_DEFAULT;

    /* Settings that hold for every request of this handle. TLS verification is
     * never turned off; ca_file only adds the anchor a private endpoint needs. */
    bool ok =
        curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L) == CURLE_OK &&
        curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "https") == CURLE_OK &&
        curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 0L) == CURLE_OK &&
        curl_easy_setopt(curl, CURLOPT_SSL_VERIFYPEER, 1L) == CURLE_OK &&
        curl_easy_setopt(curl, CURLOPT_SSL_VERIFYHOST, 2L) == CURLE_OK &&
        curl_easy_setopt(curl, CURLOPT_SSLVERSION, (long)CURL_SSLVERSION_TLSv1_2) == CURLE_OK &&
        curl_easy_setopt(curl, CURLOPT_USERAGENT, "pam_cognito/" PACKAGE_VERSION) == CURLE_OK &&
        curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, http->errbuf) == CURLE_OK &&
        curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, http->connect_timeout_ms) == CURLE_OK &&
        curl_easy_setopt(curl, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)http->max_body) == CURLE_OK &&
        curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, sink_write) == CURLE_OK &&
        curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, header_seen) == CURLE_OK &&
        /* One connection, resumed TLS sessions, for every request of a login. */
        curl_easy_setopt(curl, CURLOPT_TCP_KEEPALIVE, 1L) == CURLE_OK &&
        curl_easy_setopt(curl, CURLOPT_SSL_SESSIONID_CACHE, 1L) == CURLE_OK &&
        curl_easy_setopt(curl, CURLOPT_XFERINFOFUNCTION, stop_asked) == CURLE_OK &&
        curl_easy_setopt(curl, CURLOPT_XFERINFODATA, http) == CURLE_OK &&
        curl_easy_setopt(curl, CURLOPT_NOPROGRESS, 0L) == CURLE_OK;
    if (ok && opts->ca_file != NULL)
        ok = curl_easy_setopt(curl, CURLOPT_CAINFO, opts->ca_file) == CURLE_OK;
    if (!ok) {
        cog_error_set(err, COG_ERR_INTERNAL, NULL, "libcurl lacks a required option");
        goto fail;
    }
    return http;
fail:
    if (curl != NULL)
        curl_easy_cleanup(curl);
    free(http);
    return NULL;
}

void cog_http_free(struct cog_http *http)
{
    if (http == NULL)
        return;
    curl_easy_cleanup(http->curl);
    free(http);
}

void cog_http_begin_step(struct cog_http *http)
{
    cog_http_begin_step_at(http, cog_now_ms());
}

void cog_http_begin_step_at(struct cog_http *http, long long start_ms)
{
    if (http == NULL) /* a scripted transport has no clock to start */
        return;
    http->deadline_ms = start_ms + http->timeout_ms;
}

void cog_http_set_stop(struct cog_http *http, const atomic_bool *stop)
{
    if (http != NULL)
        http->stop = stop;
}

static cog_status perform(struct cog_http *http, const char *url, struct curl_slist *headers,
                          const char *body, size_t body_len, struct cog_http_response *resp,
                          struct cog_error *err)
{
    cog_status st = COG_OK;
    struct body_sink sink = {.max = http->max_body};
    CURL *curl = http->curl;

    memset(resp, 0, sizeof(*resp));
    if (http->deadline_ms == 0)
        cog_http_begin_step(http);
    long long left = http->deadline_ms - cog_now_ms();
    if (left <= 0) {
        st = cog_error_set(err, COG_ERR_UNAVAILABLE, NULL, "timed out");
        goto out;
    }
    http->errbuf[0] = '\0';
    curl_easy_setopt(curl, CURLOPT_URL, url);
    curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, (long)left);
    curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS,
                     left < http->connect_timeout_ms ? (long)left : http->connect_timeout_ms);
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, &sink);
    curl_easy_setopt(curl, CURLOPT_HEADERDATA, resp);
    if (body != NULL) {
        curl_easy_setopt(curl, CURLOPT_POST, 1L);
        curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body);
        curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)body_len);
    } else {
        curl_easy_setopt(curl, CURLOPT_HTTPGET, 1L);
    }

    CURLcode rc = curl_easy_perform(curl);
    http->requests++;
    long connects = 0;
    if (curl_easy_getinfo(curl, CURLINFO_NUM_CONNECTS, &connects) == CURLE_OK && connects > 0)
        http->connections += (unsigned)connects;
    /* The request body may hold a password: curl must not keep pointing at it. */
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, NULL);
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, NULL);

    if (rc != CURLE_OK) {
        if (sink.too_large || rc == CURLE_FILESIZE_EXCEEDED)
            st = cog_error_set(err, COG_ERR_UNAVAILABLE, NULL, "response larger than %zu bytes",
                               http->max_body);
        else if (rc == CURLE_ABORTED_BY_CALLBACK)
            st = cog_error_set(err, COG_ERR_UNAVAILABLE, NULL, "stopped");
        else if (rc == CURLE_OPERATION_TIMEDOUT)
            st = cog_error_set(err, COG_ERR_UNAVAILABLE, NULL, "timed out");
        else
            st = cog_error_set(err, COG_ERR_UNAVAILABLE, NULL, "%s%s%s", curl_easy_strerror(rc),
                               http->errbuf[0] ? ": " : "", http->errbuf);
        goto out;
    }
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &resp->status);
    if (sink.buf == NULL) {
        sink.buf = calloc(1, 1);
        if (sink.buf == NULL) {
            st = cog_error_set(err, COG_ERR_NOMEM, NULL, "out of memory");
            goto out;
        }
    }
    resp->body = sink.buf;
    resp->len = sink.len;
    sink.buf = NULL;
out:
    if (sink.buf != NULL) {
        cog_wipe(sink.buf, sink.cap);
        free(sink.buf);
    }
    return st;
}

cog_status cog_http_post(struct cog_http *http, const char *url, const char *const *headers,
                         const char *body, size_t body_len, struct cog_http_response *resp,
                         struct cog_error *err)
{
    cog_status st;
    struct curl_slist *list = NULL;

    /* curl adds "Expect: 100-continue" to large POSTs; Cognito answers faster without it. */
    list = curl_slist_append(list, "Expect:");
    for (size_t i = 0; list != NULL && headers != NULL && headers[i] != NULL; i++) {
        struct curl_slist *n = curl_slist_append(list, headers[i]);
        if (n == NULL) {
            curl_slist_free_all(list);
            list = NULL;
            break;
        }
        list = n;
    }
    if (list == NULL) {
        st = cog_error_set(err, COG_ERR_NOMEM, NULL, "out of memory");
        goto out;
    }
    st = perform(http, url, list, body, body_len, resp, err);
out:
    curl_slist_free_all(list);
    return st;
}

cog_status cog_http_get(struct cog_http *http, const char *url, struct cog_http_response *resp,
                        struct cog_error *err)
{
    return perform(http, url, NULL, NULL, 0, resp, err);
}

void cog_http_response_clear(struct cog_http_response *resp)
{
    if (resp == NULL)
        return;
    if (resp->body != NULL) {
        cog_wipe(resp->body, resp->len);
        free(resp->body);
    }
    memset(resp, 0, sizeof(*resp));
}

unsigned cog_http_request_count(const struct cog_http *http)
{
    return http->requests;
}

unsigned cog_http_connection_count(const struct cog_http *http)
{
    return http->connections;
}
